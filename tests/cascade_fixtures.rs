//! Runs every fixture in `tests/fixtures/cascade`: each is the same clean tree (`clean.tree`)
//! with one mistake, and must report that one mistake and nothing it causes (no unreachable
//! nodes behind a broken option, no unknown field at every use of a broken declaration, no
//! failing tests at the broken step). The expected diagnostics are caret comments, as in the
//! syntax fixtures, and cover the whole check: lowering, graph checks and the trees' tests.

use calltree_engine::Project;
use calltree_tests::{annotations, bless, compare, repo_root, reported, tree_files};

#[test]
fn one_mistake_is_one_problem() {
    let dir = repo_root().join("tests/fixtures/cascade");
    let files = tree_files(&dir);
    assert!(
        files.len() >= 10,
        "expected a fixture per error class in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let expected = annotations(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let project = Project::single(name.clone(), text.clone());
        let diagnostics = project.diagnostics_with_tests().remove(0);
        let actual = reported(&text, &diagnostics);
        if std::env::var_os("CALLTREE_BLESS").is_some() {
            std::fs::write(path, bless(&text, &actual)).unwrap();
            continue;
        }
        if name != "clean.tree" && actual.len() != 1 {
            failures.push(format!(
                "{name}: expected exactly one problem, got {}",
                actual.len()
            ));
        }
        if let Err(report) = compare(&name, &expected, &actual) {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
