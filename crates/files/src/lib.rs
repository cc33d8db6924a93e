//! How calltree's programs keep `.tree` files on disk: finding them in a folder, reading them
//! as UTF-8 with an error that names the line, and replacing them so that a crash at any
//! moment leaves the old file or the new one, never a mix. The command line and the desktop
//! app share this, so both treat a folder of trees the same way.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilesError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the folder `{}`", path.display())]
    ReadFolder {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{}` is not UTF-8 text (first bad byte on line {line}); .tree files are UTF-8", path.display())]
    NotUtf8 { path: PathBuf, line: usize },
    #[error("cannot write beside `{}`", path.display())]
    WriteBeside {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot replace `{}`", path.display())]
    Replace {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{}` is not a file name", path.display())]
    NotAFile { path: PathBuf },
}

/// Every `.tree` file in a folder and its sub-folders, in name order. Hidden files and
/// folders (a leading `.`) are skipped: editors and version control keep their own there.
pub fn tree_files(dir: &Path) -> Result<Vec<PathBuf>, FilesError> {
    files_with_extension(dir, "tree")
}

/// Every file with this extension (`"jsonl"` for call logs) in a folder and its
/// sub-folders, in name order, hidden ones skipped as for [`tree_files`].
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, FilesError> {
    let mut files = Vec::new();
    walk(dir, extension, &mut files)?;
    Ok(files)
}

fn walk(dir: &Path, extension: &str, files: &mut Vec<PathBuf>) -> Result<(), FilesError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|source| FilesError::ReadFolder {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, extension, files)?;
        } else if entry.extension().is_some_and(|ext| ext == extension) {
            files.push(entry);
        }
    }
    Ok(())
}

/// Reads a file as UTF-8 text, saying on which line it stops being text when it is not.
pub fn read_text(path: &Path) -> Result<String, FilesError> {
    let bytes = fs::read(path).map_err(|source| FilesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let line = error.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        FilesError::NotUtf8 {
            path: path.to_path_buf(),
            line,
        }
    })
}

/// Replaces `path` with `contents` so that a crash at any moment leaves either the old file
/// or the new one: write a temporary file beside it, flush it to disk, rename it over.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), FilesError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| FilesError::NotAFile {
        path: path.to_path_buf(),
    })?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let beside = |source| FilesError::WriteBeside {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut file = fs::File::create(&temp).map_err(beside)?;
        if let Ok(metadata) = fs::metadata(path) {
            // Keep the original's permissions; a script shared read-only stays read-only.
            let _ = fs::set_permissions(&temp, metadata.permissions());
        }
        file.write_all(contents.as_bytes()).map_err(beside)?;
        file.sync_all().map_err(beside)?;
        fs::rename(&temp, path).map_err(|source| FilesError::Replace {
            path: path.to_path_buf(),
            source,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn finds_tree_files_in_order_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b/.git")).unwrap();
        for name in [
            "z.tree",
            "a.tree",
            "notes.txt",
            "b/c.tree",
            "b/.git/x.tree",
            ".d.tree",
        ] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let found: Vec<String> = tree_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a.tree", "b/c.tree", "z.tree"]);
    }

    #[test]
    fn replaces_a_file_whole_and_names_the_line_of_bad_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tree");
        write_atomically(&path, "first").unwrap();
        write_atomically(&path, "second").unwrap();
        assert_eq!(read_text(&path).unwrap(), "second");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        fs::write(&path, b"ok\nstill ok\n\xff").unwrap();
        let error = read_text(&path).unwrap_err().to_string();
        assert!(error.contains("line 3"), "{error}");
    }
}
