//! Loading the bundled trees for the engine's tests.

use calltree_engine::{Project, SourceInput};

/// The bundled trees named (file stems), or all of them with an empty list, as one project.
pub fn bundled(names: &[&str]) -> Project {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "tree"))
        .filter(|path| {
            names.is_empty()
                || names
                    .iter()
                    .any(|n| path.file_stem().is_some_and(|s| s == *n))
        })
        .collect();
    paths.sort();
    Project::load(
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                SourceInput::new(path.display().to_string(), text)
            })
            .collect(),
    )
}
