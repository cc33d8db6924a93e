//! The command line's files: the paths given as arguments expanded into `.tree` files, read
//! into one project (the reading and writing itself is `calltree-files`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context as _, Result, bail};

/// The input size limit of this run (`--max-input-size`), set once by `main`.
static MAX_INPUT_SIZE: OnceLock<u64> = OnceLock::new();

/// Sets the most any one input (a tree, a call log, an interchange document, standard input)
/// may hold, in bytes. Only the first call counts.
pub fn set_max_input_size(bytes: u64) {
    let _ = MAX_INPUT_SIZE.set(bytes);
}

/// The input size limit of this run.
pub fn max_input_size() -> u64 {
    MAX_INPUT_SIZE
        .get()
        .copied()
        .unwrap_or(calltree_files::DEFAULT_MAX_INPUT_SIZE)
}

/// Reads a size such as `65536`, `512K`, `64M` or `1G` (binary units, case ignored).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let (digits, unit) = match trimmed.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches(['B', 'I'])
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write bytes, or a number with K, M or G"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a size: write bytes, or a number with K, M or G"))
}

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

/// A project as the command line loads it: the files named, and the context they need.
pub struct Loaded {
    pub project: calltree_engine::Project,
    /// How many of the project's first files were named (a folder names all its files);
    /// the rest are the trees beside them and the files they bring in with `use`, loaded so
    /// that calls resolve, whose own problems are not this run's to report.
    pub named: usize,
}

impl Loaded {
    /// Whether a file was named, rather than loaded as context.
    pub fn is_named(&self, file: calltree_engine::FileId) -> bool {
        file.index() < self.named
    }
}

/// Loads the files and folders in `paths` by the hosts' one rule (`calltree_calls::load_trees`):
/// with the other trees of their folders and everything reached through `use`.
pub fn load_project(paths: &[PathBuf]) -> Result<Loaded> {
    let loaded = calltree_calls::load_trees(paths, max_input_size()).map_err(with_limit_hint)?;
    let named = loaded.named;
    Ok(Loaded {
        project: loaded.into_project(),
        named,
    })
}

/// Reads a file as UTF-8 text, with a message that says what is wrong when it is not, within
/// the run's input size limit.
pub fn read_text(path: &Path) -> Result<String> {
    calltree_files::read_text_within(path, max_input_size()).map_err(with_limit_hint)
}

/// Reads standard input within the run's input size limit.
pub fn read_stdin() -> Result<Vec<u8>> {
    let limit = max_input_size();
    calltree_files::read_within(std::io::stdin().lock(), limit)
        .context("cannot read standard input")?
        .with_context(|| {
            format!("standard input is larger than the input limit of {limit} bytes; {LIMIT_HINT}")
        })
}

const LIMIT_HINT: &str =
    "raise it with --max-input-size (or CALLTREE_MAX_INPUT_SIZE) if the input is right";

fn with_limit_hint(error: calltree_files::FilesError) -> anyhow::Error {
    match error {
        calltree_files::FilesError::TooLarge { .. } => {
            anyhow::anyhow!("{error}; {LIMIT_HINT}")
        }
        other => other.into(),
    }
}

/// Replaces `path` with `contents` atomically: a crash leaves the old file or the new one.
pub fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    Ok(calltree_files::write_atomically(path, contents)?)
}
