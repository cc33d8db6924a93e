//! The desktop app's files: the folder of trees (atomic saves, recovery copies), the
//! settings, and calls stored one file per call, each event appended and synced to disk
//! before the screen moves on.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use std::time::UNIX_EPOCH;

use std::sync::Arc;

use calltree_editor::author::Stamp;
use calltree_editor::{
    CallId, CallStore, EditorError, HandedOff, Handoffs, SessionSource, Settings, TreeFolder,
};
use calltree_engine::{Event, Project, Session, parse_log};
use calltree_store::Store;

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
/// for a message, never fatal.
pub fn save_settings(settings: &Settings) -> Result<(), String> {
    let path = settings_path();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    calltree_files::write_atomically(&path, &settings.to_json()).map_err(|e| e.to_string())
}

/// The self-service session database agents take customers' sessions over from:
/// `CALLTREE_DB`, else `calltree-sessions.db` in the current folder (where `calltree serve`
/// keeps it by default).
pub fn session_database_path() -> PathBuf {
    std::env::var_os("CALLTREE_DB")
        .map_or_else(|| PathBuf::from("calltree-sessions.db"), PathBuf::from)
}

/// Customers' self-service sessions, found by their handoff codes.
pub struct SessionDatabase {
    path: PathBuf,
}

impl SessionDatabase {
    pub fn new(path: PathBuf) -> Self {
        SessionDatabase { path }
    }
}

impl Handoffs for SessionDatabase {
    fn find(&mut self, code: &str) -> Result<(CallId, Vec<Event>, HandedOff), String> {
        if !self.path.exists() {
            return Err(format!(
                "there is no self-service session database at `{}` (set CALLTREE_DB to where `calltree serve` keeps it)",
                self.path.display()
            ));
        }
        let store = Store::open(&self.path).map_err(|e| e.to_string())?;
        let (id, events, project) = store
            .handed_off(code)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!("no session has the handoff code `{code}`; check it with the customer")
            })?;
        let project = Arc::new(project);
        let calls = SessionCalls {
            store,
            project: Arc::clone(&project),
            seq: events.len(),
        };
        Ok((
            id,
            events,
            HandedOff {
                project,
                store: Box::new(calls),
            },
        ))
    }
}

/// A taken-over session's events go back into the self-service database, after the
/// customer's, each committed before the screen moves on.
struct SessionCalls {
    store: Store,
    project: Arc<Project>,
    seq: usize,
}

impl CallStore for SessionCalls {
    fn begin(&mut self, _first: &Event) -> Result<CallId, EditorError> {
        Err(EditorError::CallWrite(
            "a taken-over session already exists; it cannot begin again".to_owned(),
        ))
    }

    fn append(&mut self, call: &CallId, event: &Event) -> Result<(), EditorError> {
        self.store
            .append(call, self.seq, event)
            .map_err(|e| EditorError::CallWrite(e.to_string()))?;
        self.seq += 1;
        Ok(())
    }

    fn finish(&mut self, call: &CallId) -> Result<(), EditorError> {
        let events = self
            .store
            .events(call)
            .map_err(|e| EditorError::CallRead(e.to_string()))?;
        let outcome = Session::resume(&self.project, events)
            .ok()
            .and_then(|session| session.view().ended)
            .and_then(|end| end.outcome);
        self.store
            .finish(call, outcome.map(|o| o.name()))
            .map_err(|e| EditorError::CallWrite(e.to_string()))
    }

    fn unfinished(&self) -> Vec<(CallId, Vec<Event>)> {
        Vec::new()
    }
}

/// Every stored session for the Insights view: the agents' call logs (finished and not) and,
/// when it exists, the self-service database.
pub struct StoredSessions {
    calls: PathBuf,
    database: PathBuf,
}

impl StoredSessions {
    pub fn new(calls: PathBuf, database: PathBuf) -> Self {
        StoredSessions { calls, database }
    }

    fn logs(&self) -> Vec<PathBuf> {
        let mut logs = Vec::new();
        for dir in [self.calls.clone(), self.calls.join("done")] {
            if let Ok(entries) = fs::read_dir(&dir) {
                logs.extend(
                    entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|e| e == "jsonl")),
                );
            }
        }
        logs.sort();
        logs
    }
}

impl SessionSource for StoredSessions {
    fn describe(&self) -> String {
        let calls = self.logs().len();
        if self.database.exists() {
            format!("{calls} call logs and {}", self.database.display())
        } else {
            format!("{calls} call logs in {}", self.calls.display())
        }
    }

    fn each_session(&mut self, add: &mut dyn FnMut(&str, &[Event])) -> Result<(), String> {
        for path in self.logs() {
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            // A log cut short by a crash still counts with its complete events.
            let (events, _) = parse_log(&text);
            let id = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            add(&id, &events);
        }
        if self.database.exists() {
            let store = Store::open(&self.database).map_err(|e| e.to_string())?;
            for session in store
                .sessions(None, None, usize::MAX)
                .map_err(|e| e.to_string())?
            {
                let events = store.events(&session.id).map_err(|e| e.to_string())?;
                add(&session.id, &events);
            }
        }
        Ok(())
    }
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

    fn file(&mut self, call: &CallId) -> Result<&mut File, EditorError> {
        if self.open.as_ref().is_none_or(|(id, _)| id != call) {
            let file = OpenOptions::new()
                .append(true)
                .open(self.path(call))
                .map_err(|e| EditorError::CallWrite(e.to_string()))?;
            self.open = Some((call.clone(), file));
        }
        self.open
            .as_mut()
            .map(|(_, file)| file)
            .ok_or_else(|| EditorError::CallWrite("no open call".into()))
    }
}

fn write_line(file: &mut File, event: &Event) -> Result<(), EditorError> {
    writeln!(file, "{}", event.to_json_line())
        .map_err(|e| EditorError::CallWrite(e.to_string()))?;
    file.sync_data()
        .map_err(|e| EditorError::CallWrite(e.to_string()))
}

impl CallStore for FileStore {
    fn begin(&mut self, first: &Event) -> Result<CallId, EditorError> {
        let tree = match first {
            Event::Started { tree, .. } => tree.clone(),
            _ => "call".to_owned(),
        };
        let id = format!("{}-{tree}", first.at());
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.path(&id))
            .map_err(|e| EditorError::CallWrite(e.to_string()))?;
        write_line(&mut file, first)?;
        self.open = Some((id.clone(), file));
        Ok(id)
    }

    fn append(&mut self, call: &CallId, event: &Event) -> Result<(), EditorError> {
        let file = self.file(call)?;
        write_line(file, event)
    }

    fn finish(&mut self, call: &CallId) -> Result<(), EditorError> {
        self.open = None;
        fs::rename(
            self.path(call),
            self.dir.join("done").join(format!("{call}.jsonl")),
        )
        .map_err(|e| EditorError::CallWrite(e.to_string()))
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

    #[test]
    fn a_handed_off_session_is_found_by_code_and_continued_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let tree = "tree wifi \"Wi-Fi\"\n  audience: agent, customer\n  start: ask\n\nnode ask \"Ask\"\n  option \"Fixed\" -> done\n\nnode done \"Done\"\n  end resolved\n";
        let project = Project::single("wifi.tree", tree);
        let wifi = project.tree_by_name("wifi").unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        store
            .save_version(
                &project.session_hash(wifi),
                &[("wifi.tree".to_owned(), tree.to_owned())],
            )
            .unwrap();
        let customer = Session::start(&project, wifi, Audience::Customer, 1).unwrap();
        let created = store.create_session(&customer.log()[0]).unwrap();
        let code = store.handoff(&created.id).unwrap();

        let mut database = SessionDatabase::new(dir.path().join("s.db"));
        let (id, events, mut handed) = database.find(&code.to_lowercase()).unwrap();
        assert_eq!(id, created.id);
        assert_eq!(events.len(), 1);
        handed
            .store
            .append(&id, &Event::TakenOver { at: 2 })
            .unwrap();
        handed
            .store
            .append(
                &id,
                &Event::Chose {
                    option: 0,
                    label: "Fixed".into(),
                    at: 3,
                },
            )
            .unwrap();
        handed.store.finish(&id).unwrap();
        let info = store.session(&id).unwrap().unwrap();
        assert_eq!(info.outcome.as_deref(), Some("resolved"));
        assert!(database.find("ZZZZ-ZZZZ").is_err());
        let mut missing = SessionDatabase::new(dir.path().join("none.db"));
        let Err(message) = missing.find(&code) else {
            panic!("a missing database is an error");
        };
        assert!(message.contains("CALLTREE_DB"), "{message}");
    }
}
