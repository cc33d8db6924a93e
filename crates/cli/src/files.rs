//! The command line's files: the paths given as arguments expanded into `.tree` files, read
//! into one project (the reading and writing itself is `calltree-files`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// Expands the paths given on the command line: files are taken as they are, folders are
/// searched (recursively, in name order) for `.tree` files.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let metadata =
            fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        if metadata.is_dir() {
            let found = calltree_files::tree_files(path)?;
            if found.is_empty() {
                bail!("no .tree files in the folder `{}`", path.display());
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Reads every `.tree` file under `paths` into one project, so calls between trees resolve.
/// Returns the project and the files it was made from.
pub fn load_project(paths: &[PathBuf]) -> Result<(calltree_engine::Project, Vec<PathBuf>)> {
    let files = collect(paths)?;
    let mut inputs = Vec::with_capacity(files.len());
    for path in &files {
        inputs.push(calltree_engine::SourceInput::new(
            path.display().to_string(),
            read_text(path)?,
        ));
    }
    Ok((calltree_engine::Project::load(inputs), files))
}

/// Reads a file as UTF-8 text, with a message that says what is wrong when it is not.
pub fn read_text(path: &Path) -> Result<String> {
    Ok(calltree_files::read_text(path)?)
}

/// Replaces `path` with `contents` atomically: a crash leaves the old file or the new one.
pub fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    Ok(calltree_files::write_atomically(path, contents)?)
}
