//! The example trees in `trees/` are part of the product: every one parses with no diagnostics,
//! is in the canonical layout, and carries its own tests.

use calltree_syntax::{StmtKind, format, parse};
use calltree_tests::{repo_root, tree_files};

#[test]
fn every_bundled_tree_parses_cleanly_and_is_formatted() {
    let files = tree_files(&repo_root().join("trees"));
    assert!(
        files.len() >= 8,
        "expected at least eight bundled trees, found {}",
        files.len()
    );
    let mut problems = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let (tree, diagnostics) = parse(&text);
        for diagnostic in &diagnostics {
            problems.push(format!(
                "{}: {} {}",
                path.display(),
                diagnostic.code,
                diagnostic.message
            ));
        }
        if diagnostics.is_empty() && format(&tree) != text {
            problems.push(format!(
                "{}: not in canonical layout (run `calltree fmt`)",
                path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn bundled_trees_are_realistic_and_tested() {
    let mut full_size = 0;
    for path in tree_files(&repo_root().join("trees")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let (tree, _) = parse(&text);
        let nodes = tree.nodes().count();
        let tests = tree.tests().count();
        assert!(
            tests >= 2,
            "{} has {tests} tests; every tree tests its main outcomes",
            path.display()
        );
        // A sub-tree may only ever hand back to its caller, so `return` counts as a finish.
        let finishes = tree
            .nodes()
            .flat_map(|(_, item)| &item.body)
            .filter(|stmt| matches!(stmt.kind, StmtKind::End(_) | StmtKind::Return))
            .count();
        assert!(finishes >= 1, "{} has no way to finish", path.display());
        if (15..=80).contains(&nodes) {
            full_size += 1;
        }
    }
    assert!(
        full_size >= 8,
        "expected eight trees of 15 to 80 nodes, found {full_size}"
    );
}

/// Two bundled trees ship with a complete French translation: every text translated, none
/// stale, every placeholder kept, so `check` reports nothing about them.
#[test]
fn two_bundled_trees_are_completely_translated_into_french() {
    let trees = repo_root().join("trees");
    let named: Vec<std::path::PathBuf> = ["closing.tree", "greeting.tree"]
        .iter()
        .map(|name| trees.join(name))
        .collect();
    let loaded = calltree_calls::load_trees(&named, 64 * 1024 * 1024).unwrap();
    let project = loaded.into_project();
    for tree in &named {
        let name = tree.display().to_string();
        let file = project
            .translation_files()
            .iter()
            .find(|t| t.locale == "fr" && t.file.is_some_and(|f| project.file(f).name == name))
            .unwrap_or_else(|| panic!("{name} has no French translation"));
        assert!(
            file.diagnostics.is_empty(),
            "{}: {:?}",
            file.name,
            file.diagnostics
        );
        let texts = calltree_engine::translation::source_texts(&project, file.file.unwrap());
        assert_eq!(file.po.entries.len(), texts.len(), "{name}");
        assert!(
            file.po
                .entries
                .iter()
                .all(|e| !e.translation.is_empty() && !e.fuzzy)
        );
    }
}
