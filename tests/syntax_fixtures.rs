//! Runs every fixture in `tests/fixtures/syntax`: each file states, in caret comments under the
//! offending lines, exactly which diagnostics the parser must report.

use calltree_tests::{annotations, bless, compare, repo_root, reported, tree_files};

#[test]
fn every_syntax_fixture_reports_exactly_its_annotations() {
    let dir = repo_root().join("tests/fixtures/syntax");
    let files = tree_files(&dir);
    assert!(
        files.len() >= 14,
        "expected a fixture per syntax error class in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let expected = annotations(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (_, diagnostics) = calltree_syntax::parse(&text);
        let name = path.file_name().unwrap().to_string_lossy();
        let actual = reported(&text, &diagnostics);
        if std::env::var_os("CALLTREE_BLESS").is_some() {
            std::fs::write(path, bless(&text, &actual)).unwrap();
            continue;
        }
        if let Err(report) = compare(&name, &expected, &actual) {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_syntax_code_has_a_fixture() {
    let dir = repo_root().join("tests/fixtures/syntax");
    let mut all_text = String::new();
    for path in tree_files(&dir) {
        all_text.push_str(&std::fs::read_to_string(path).unwrap());
    }
    let missing: Vec<&str> = calltree_syntax::codes::ALL
        .iter()
        .map(|code| code.id)
        .filter(|id| !all_text.contains(&format!(" {id} ")))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}
