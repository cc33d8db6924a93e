//! The desktop app's files: reading a folder of trees, and storing calls one file per call,
//! each event appended and synced to disk before the screen moves on.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use calltree_editor::{CallId, CallStore, StoreError};
use calltree_engine::{Event, Project, SourceInput, parse_log};

/// Reads every `.tree` file in a folder (and its sub-folders) into one project.
pub fn load_folder(folder: &Path) -> Result<Project, String> {
    let mut paths = Vec::new();
    collect(folder, &mut paths)
        .map_err(|e| format!("cannot read the folder `{}`: {e}", folder.display()))?;
    if paths.is_empty() {
        return Err(format!("no .tree files in `{}`", folder.display()));
    }
    paths.sort();
    let mut inputs = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        inputs.push(SourceInput::new(path.display().to_string(), text));
    }
    Ok(Project::load(inputs))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "tree") {
            out.push(path);
        }
    }
    Ok(())
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

/// One JSON-lines file per call; finished calls move to `done/`.
pub struct FileStore {
    dir: PathBuf,
    open: Option<(CallId, File)>,
}

impl FileStore {
    pub fn open(dir: PathBuf) -> Result<Self, String> {
        fs::create_dir_all(dir.join("done"))
            .map_err(|e| format!("cannot use `{}` for calls: {e}", dir.display()))?;
        Ok(FileStore { dir, open: None })
    }

    fn path(&self, call: &str) -> PathBuf {
        self.dir.join(format!("{call}.jsonl"))
    }

    fn file(&mut self, call: &CallId) -> Result<&mut File, StoreError> {
        if self.open.as_ref().is_none_or(|(id, _)| id != call) {
            let file = OpenOptions::new()
                .append(true)
                .open(self.path(call))
                .map_err(|e| StoreError::Write(e.to_string()))?;
            self.open = Some((call.clone(), file));
        }
        self.open
            .as_mut()
            .map(|(_, file)| file)
            .ok_or_else(|| StoreError::Write("no open call".into()))
    }
}

fn write_line(file: &mut File, event: &Event) -> Result<(), StoreError> {
    writeln!(file, "{}", event.to_json_line()).map_err(|e| StoreError::Write(e.to_string()))?;
    file.sync_data()
        .map_err(|e| StoreError::Write(e.to_string()))
}

impl CallStore for FileStore {
    fn begin(&mut self, first: &Event) -> Result<CallId, StoreError> {
        let tree = match first {
            Event::Started { tree, .. } => tree.clone(),
            _ => "call".to_owned(),
        };
        let id = format!("{}-{tree}", first.at());
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.path(&id))
            .map_err(|e| StoreError::Write(e.to_string()))?;
        write_line(&mut file, first)?;
        self.open = Some((id.clone(), file));
        Ok(id)
    }

    fn append(&mut self, call: &CallId, event: &Event) -> Result<(), StoreError> {
        let file = self.file(call)?;
        write_line(file, event)
    }

    fn finish(&mut self, call: &CallId) -> Result<(), StoreError> {
        self.open = None;
        fs::rename(
            self.path(call),
            self.dir.join("done").join(format!("{call}.jsonl")),
        )
        .map_err(|e| StoreError::Write(e.to_string()))
    }

    fn unfinished(&self) -> Vec<(CallId, Vec<Event>)> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut calls: Vec<(CallId, Vec<Event>)> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .filter_map(|path| {
                let id = path.file_stem()?.to_string_lossy().into_owned();
                let text = fs::read_to_string(&path).ok()?;
                // A call cut short by a crash keeps its complete events.
                let (events, _) = parse_log(&text);
                (!events.is_empty()).then_some((id, events))
            })
            .collect();
        calls.sort_by(|a, b| a.0.cmp(&b.0));
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calltree_syntax::Audience;

    fn started(at: i64) -> Event {
        Event::Started {
            tree: "warranty".into(),
            version: "v1".into(),
            audience: Audience::Agent,
            at,
        }
    }

    #[test]
    fn calls_are_kept_event_by_event_and_finished_ones_are_put_away() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FileStore::open(dir.path().to_path_buf()).unwrap();
        let id = store.begin(&started(1)).unwrap();
        store.append(&id, &Event::Continued { at: 2 }).unwrap();
        // A second store on the same folder (the app after a restart) sees the call.
        let reopened = FileStore::open(dir.path().to_path_buf()).unwrap();
        let calls = reopened.unfinished();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].1, vec![started(1), Event::Continued { at: 2 }]);

        store.finish(&id).unwrap();
        assert!(reopened.unfinished().is_empty());
        assert!(dir.path().join("done").join(format!("{id}.jsonl")).exists());
    }

    #[test]
    fn a_call_cut_short_by_a_crash_keeps_its_complete_events() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FileStore::open(dir.path().to_path_buf()).unwrap();
        let id = store.begin(&started(1)).unwrap();
        let path = dir.path().join(format!("{id}.jsonl"));
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("{\"event\":\"cont");
        fs::write(&path, text).unwrap();
        let calls = store.unfinished();
        assert_eq!(calls[0].1, vec![started(1)]);
    }
}
