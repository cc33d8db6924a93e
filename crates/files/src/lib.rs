//! How calltree's programs keep `.tree` files on disk: finding them in a folder, reading them
//! as UTF-8 with an error that names the line, and replacing them so that a crash at any
//! moment leaves the old file or the new one, never a mix. The command line and the desktop
//! app share this, so both treat a folder of trees the same way.
//!
//! Reading is bounded: only regular files are opened (a named pipe would block, a device
//! such as `/dev/zero` never ends), and never more than a size limit is read. Walking a
//! folder visits each real folder once, so a symbolic link back up the tree is not a loop.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The most a program reads from one file unless it is told otherwise: 64 MiB. The largest
/// real trees and call logs are a few megabytes; this only stops a runaway input.
pub const DEFAULT_MAX_INPUT_SIZE: u64 = 64 * 1024 * 1024;

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
    #[error("`{}` is larger than the input limit of {} bytes", path.display(), limit)]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("no .tree files in the folder `{}`", path.display())]
    NoTrees { path: PathBuf },
    #[error("`{}` is {kind}, not a regular file; calltree only reads files", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
}

/// Every `.tree` file in a folder and its sub-folders, in name order. Hidden files and
/// folders (a leading `.`) are skipped: editors and version control keep their own there.
pub fn tree_files(dir: &Path) -> Result<Vec<PathBuf>, FilesError> {
    files_with_extension(dir, "tree")
}

/// Every file with this extension (`"jsonl"` for call logs) in a folder and its
/// sub-folders, in name order, hidden ones skipped as for [`tree_files`].
///
/// Only regular files are listed (a named pipe or a device with a matching name is left
/// out), and each folder is visited once however many links lead to it, so a link such as
/// `again -> .` neither loops nor counts a file twice.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, FilesError> {
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    visited.insert(identity(dir));
    // Folders still being listed, each with the entries it has left; an explicit stack
    // rather than recursion, so the depth of a folder tree costs no stack.
    let mut pending = vec![sorted_entries(dir)?.into_iter()];
    while let Some(entries) = pending.last_mut() {
        let Some(entry) = entries.next() else {
            pending.pop();
            continue;
        };
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        // `metadata` follows links: a link to a file counts as the file, a broken link as
        // nothing.
        let Ok(metadata) = fs::metadata(&entry) else {
            continue;
        };
        if metadata.is_dir() {
            if visited.insert(identity(&entry)) {
                pending.push(sorted_entries(&entry)?.into_iter());
            }
        } else if metadata.is_file() && entry.extension().is_some_and(|ext| ext == extension) {
            files.push(entry);
        }
    }
    Ok(files)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, FilesError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|source| FilesError::ReadFolder {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// What makes two paths the same folder: its canonical path (links and `..` resolved).
fn identity(dir: &Path) -> PathBuf {
    fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Reads a file as UTF-8 text, saying on which line it stops being text when it is not.
/// Files larger than [`DEFAULT_MAX_INPUT_SIZE`] are refused.
pub fn read_text(path: &Path) -> Result<String, FilesError> {
    read_text_within(path, DEFAULT_MAX_INPUT_SIZE)
}

/// [`read_text`] with another size limit, in bytes.
pub fn read_text_within(path: &Path, limit: u64) -> Result<String, FilesError> {
    let bytes = read_bytes_within(path, limit)?;
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

/// The bytes of a regular file of at most `limit` bytes.
///
/// Anything else is refused before it is opened (opening a named pipe waits for a writer;
/// a device may never end), and a file that grows past the limit while it is read is
/// refused too, so at most `limit + 1` bytes are ever held.
pub fn read_bytes_within(path: &Path, limit: u64) -> Result<Vec<u8>, FilesError> {
    let read_error = |source| FilesError::Read {
        path: path.to_path_buf(),
        source,
    };
    let metadata = fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() && !metadata.is_dir() {
        return Err(FilesError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&metadata.file_type()),
        });
    }
    if metadata.len() > limit {
        return Err(FilesError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let file = fs::File::open(path).map_err(read_error)?;
    let bytes = read_within(file, limit).map_err(read_error)?;
    bytes.ok_or_else(|| FilesError::TooLarge {
        path: path.to_path_buf(),
        limit,
    })
}

/// Everything `reader` gives, or `None` if that is more than `limit` bytes (for standard
/// input, which has no size to look at first).
pub fn read_within(reader: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// A few plain words for what a path is when it is not a file or a folder.
fn kind_of(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = file_type;
    "something other than a file"
}

/// Replaces `path` with `contents` so that a crash at any moment leaves either the old file
/// or the new one: write a temporary file beside it, flush it to disk, rename it over.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), FilesError> {
    replace(path, contents, false)
}

/// As [`write_atomically`], for a file that holds a secret (an agent's token): on Unix the
/// new file is readable and writable by its owner only (mode 0600) from the moment it is
/// created, whatever the old file's mode was, so no other user of the machine can read it.
pub fn write_privately(path: &Path, contents: &str) -> Result<(), FilesError> {
    replace(path, contents, true)
}

fn create_temp(temp: &Path, private: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(temp)
}

fn replace(path: &Path, contents: &str, private: bool) -> Result<(), FilesError> {
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
        // A temporary file left by a crash may have any mode: start from none.
        let _ = fs::remove_file(&temp);
        let mut file = create_temp(&temp, private).map_err(beside)?;
        // A private file keeps the mode it was created with, not the old file's.
        if !private && let Ok(metadata) = fs::metadata(path) {
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

    /// The desktop's settings hold an agent's token: the file must not be readable by other
    /// users, even when an older copy of it was.
    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_privately(&path, "{\"token\":\"ct_x\"}").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"token\":\"ct_x\"}");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        write_atomically(&path, "plain").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an ordinary write keeps the mode it found");
    }

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

    #[cfg(unix)]
    #[test]
    fn a_link_back_up_the_folder_is_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("logs/day")).unwrap();
        fs::write(dir.path().join("logs/day/one.jsonl"), "").unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("logs/again")).unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("logs/day/up")).unwrap();
        let found = files_with_extension(&dir.path().join("logs"), "jsonl").unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[cfg(unix)]
    #[test]
    fn named_pipes_and_devices_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("waiting.tree");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(made.success());
        fs::write(dir.path().join("real.tree"), "").unwrap();
        let found = tree_files(dir.path()).unwrap();
        assert_eq!(found, [dir.path().join("real.tree")]);
        let error = read_text(&pipe).unwrap_err().to_string();
        assert!(
            error.contains("is a named pipe, not a regular file"),
            "{error}"
        );
        let error = read_text(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(error.contains("is a device"), "{error}");
    }

    #[test]
    fn files_over_the_limit_are_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.tree");
        fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(read_text_within(&path, 100).unwrap().len(), 100);
        let error = read_text_within(&path, 99).unwrap_err().to_string();
        assert!(
            error.contains("larger than the input limit of 99 bytes"),
            "{error}"
        );
        assert_eq!(read_within(&b"abc"[..], 3).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(read_within(&b"abcd"[..], 3).unwrap(), None);
    }
}
