//! The desktop app's files: the folder of trees (atomic saves, recovery copies), the
//! settings, and where calls and the self-service database are (the calls themselves are
//! kept by the host kit's `LogFolder`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use calltree_editor::author::Stamp;
use calltree_editor::{EditorError, Settings, TreeFolder};
use calltree_engine::translation::TranslationInput;

/// A folder of trees on disk. Saves replace files atomically; recovery copies are hidden
/// files beside them (`.name.tree.calltree-recovery`), which the folder's listing skips.
pub struct DiskFolder {
    root: PathBuf,
}

impl DiskFolder {
    pub fn open(root: PathBuf) -> Result<Self, String> {
        if !root.is_dir() {
            return Err(format!("`{}` is not a folder", root.display()));
        }
        Ok(DiskFolder { root })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn recovery_path(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        let file = path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        path.with_file_name(format!(".{file}.calltree-recovery"))
    }
}

fn stamp_of(path: &Path) -> Option<Stamp> {
    let metadata = fs::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some(Stamp(format!("{modified}:{}", metadata.len())))
}

fn write_error(name: &str, error: &dyn std::error::Error) -> EditorError {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    EditorError::FileWrite {
        name: name.to_owned(),
        reason,
    }
}

impl TreeFolder for DiskFolder {
    fn label(&self) -> String {
        self.root.display().to_string()
    }

    fn list(&self) -> Result<Vec<String>, EditorError> {
        let files = calltree_files::tree_files(&self.root).map_err(|e| EditorError::FileRead {
            name: self.root.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(files
            .iter()
            .filter_map(|p| p.strip_prefix(&self.root).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect())
    }

    fn read(&self, name: &str) -> Result<(String, Stamp), EditorError> {
        let path = self.path(name);
        let stamp = stamp_of(&path);
        let text = calltree_files::read_text(&path).map_err(|e| EditorError::FileRead {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        let stamp = stamp.ok_or_else(|| EditorError::FileRead {
            name: name.to_owned(),
            reason: "it vanished while being read".to_owned(),
        })?;
        Ok((text, stamp))
    }

    fn stamp(&self, name: &str) -> Option<Stamp> {
        stamp_of(&self.path(name))
    }

    fn write(&mut self, name: &str, text: &str) -> Result<Stamp, EditorError> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| write_error(name, &e))?;
        }
        calltree_files::write_atomically(&path, text).map_err(|e| write_error(name, &e))?;
        stamp_of(&path).ok_or_else(|| EditorError::FileWrite {
            name: name.to_owned(),
            reason: "it vanished right after being saved".to_owned(),
        })
    }

    fn translations(&self) -> Vec<TranslationInput> {
        let Ok(trees) = self.list() else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for tree in trees {
            for (locale, path) in calltree_calls::translation_files(&self.path(&tree)) {
                let Ok(bytes) = calltree_files::read_bytes_within(
                    &path,
                    calltree_files::DEFAULT_MAX_INPUT_SIZE,
                ) else {
                    continue;
                };
                let name = path.strip_prefix(&self.root).map_or_else(
                    |_| path.display().to_string(),
                    |p| p.to_string_lossy().replace('\\', "/"),
                );
                found.push(TranslationInput {
                    name,
                    locale,
                    tree_file: tree.clone(),
                    bytes,
                });
            }
        }
        found
    }

    fn read_recovery(&self, name: &str) -> Option<String> {
        calltree_files::read_text(&self.recovery_path(name)).ok()
    }

    fn write_recovery(&mut self, name: &str, text: &str) -> Result<(), EditorError> {
        calltree_files::write_atomically(&self.recovery_path(name), text)
            .map_err(|e| write_error(name, &e))
    }

    fn remove_recovery(&mut self, name: &str) {
        let _ = fs::remove_file(self.recovery_path(name));
    }
}

/// Where settings are kept: `$XDG_CONFIG_HOME/calltree/desktop.json`, else under `~/.config`.
pub fn settings_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CALLTREE_SETTINGS") {
        return PathBuf::from(path);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("calltree").join("desktop.json")
}

pub fn load_settings() -> Settings {
    fs::read_to_string(settings_path())
        .map_or_else(|_| Settings::default(), |t| Settings::from_json(&t))
}

/// Stores settings; failing to only means they are not remembered, so the error is returned
/// for a message, never fatal. The file may hold the agent's token for the hub, so on Unix it
/// is written readable by this user only (mode 0600).
pub fn save_settings(settings: &Settings) -> Result<(), String> {
    let path = settings_path();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    calltree_files::write_privately(&path, &settings.to_json()).map_err(|e| e.to_string())
}

/// The self-service session database agents take customers' sessions over from:
/// `CALLTREE_DB`, else `calltree-sessions.db` in the current folder (where `calltree serve`
/// keeps it by default).
pub fn session_database_path() -> PathBuf {
    std::env::var_os("CALLTREE_DB")
        .map_or_else(|| PathBuf::from("calltree-sessions.db"), PathBuf::from)
}

/// Where calls are kept: `CALLTREE_CALLS`, else the user's data folder.
pub fn calls_folder() -> PathBuf {
    if let Some(dir) = std::env::var_os("CALLTREE_CALLS") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("calltree").join("calls")
}
