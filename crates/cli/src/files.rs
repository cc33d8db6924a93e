//! Finding `.tree` files, reading them with clear errors, and replacing them atomically.

use std::fs;
use std::io::Write as _;
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
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                bail!("no .tree files in the folder `{}`", path.display());
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder `{}`", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, files)?;
        } else if entry.extension().is_some_and(|ext| ext == "tree") {
            files.push(entry);
        }
    }
    Ok(())
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
    let bytes = fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let line = error.as_bytes()[..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            bail!(
                "`{}` is not UTF-8 text (first bad byte on line {line}); .tree files are UTF-8",
                path.display()
            )
        }
    }
}

/// Replaces `path` with `contents` so that a crash at any moment leaves either the old file
/// or the new one, never a mix: write a temporary file beside it, flush it to disk, rename.
pub fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file name", path.display()))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&temp)
            .with_context(|| format!("cannot write beside `{}`", path.display()))?;
        if let Ok(metadata) = fs::metadata(path) {
            // Keep the original's permissions; a script shared read-only stays read-only.
            let _ = fs::set_permissions(&temp, metadata.permissions());
        }
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path).with_context(|| format!("cannot replace `{}`", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
