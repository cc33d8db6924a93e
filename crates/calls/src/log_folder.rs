//! An agent's calls in a folder, one JSON-lines log per call, as the desktop app keeps them:
//! `ID.jsonl` while a call runs, moved to `done/ID.jsonl` when it ends.
//!
//! One program at a time: the folder is locked (`.calltree.lock`) while open, so two app
//! instances can never append to one call. That is also why the list of unfinished calls can
//! be read from disk once and then kept up to date from this program's own writes.
//!
//! A finished call's log still takes events: a note after the call goes to `done/`, and a
//! `Back` that reopens the call moves the log back out first.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use calltree_engine::{Event, OutcomeKind};

use crate::error::CallsError;
use crate::log::{self, LogWriter};
use crate::store::{AgentCalls, CallId, CallStore, StoredCall};

const LOCK_FILE: &str = ".calltree.lock";
const DONE: &str = "done";

/// A folder of call logs. Cheap to clone; clones share the folder, its lock and its list.
#[derive(Debug, Clone)]
pub struct LogFolder {
    inner: Arc<Mutex<Folder>>,
}

#[derive(Debug)]
struct Folder {
    dir: PathBuf,
    /// Held for as long as any clone lives; the lock goes with the file.
    _lock: File,
    /// Logs open for appending, by call.
    writers: HashMap<CallId, LogWriter>,
    /// Calls whose logs are in `done/`.
    finished: std::collections::HashSet<CallId>,
    /// The unfinished calls, once read.
    unfinished: Option<Arc<Vec<StoredCall>>>,
    /// How many log files were read from disk, for tests that check the list is not re-read.
    reads: u64,
}

impl LogFolder {
    /// Opens (creating if needed) a calls folder and locks it. A folder another program has
    /// open is refused.
    pub fn open(dir: &Path) -> Result<LogFolder, CallsError> {
        fs::create_dir_all(dir.join(DONE))
            .map_err(CallsError::io("create the calls folder", dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(CallsError::io("lock the calls folder", dir))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(CallsError::FolderInUse {
                    path: dir.to_path_buf(),
                });
            }
            Err(fs::TryLockError::Error(source)) => {
                return Err(CallsError::Io {
                    during: "lock the calls folder",
                    path: dir.to_path_buf(),
                    source,
                });
            }
        }
        Ok(LogFolder {
            inner: Arc::new(Mutex::new(Folder {
                dir: dir.to_path_buf(),
                _lock: lock,
                writers: HashMap::new(),
                finished: std::collections::HashSet::new(),
                unfinished: None,
                reads: 0,
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Folder> {
        // Every change below leaves the maps consistent between statements, so a panic
        // elsewhere cannot leave them half-changed.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The folder.
    pub fn dir(&self) -> PathBuf {
        self.lock().dir.clone()
    }

    /// How many call logs have been read from disk since the folder was opened.
    pub fn reads(&self) -> u64 {
        self.lock().reads
    }
}

impl Folder {
    fn active(&self, call: &str) -> PathBuf {
        self.dir.join(format!("{call}.jsonl"))
    }

    fn done(&self, call: &str) -> PathBuf {
        self.dir.join(DONE).join(format!("{call}.jsonl"))
    }

    /// The writer for a call, opening its log (wherever it is) after cutting off a torn tail.
    fn writer(&mut self, call: &str) -> Result<&mut LogWriter, CallsError> {
        if !self.writers.contains_key(call) {
            let active = self.active(call);
            let done = self.done(call);
            let path = if active.exists() {
                active
            } else if done.exists() {
                self.finished.insert(call.to_owned());
                done
            } else {
                return Err(CallsError::NoSuchCall(call.to_owned()));
            };
            let (events, len, _) = log::read_to_continue(&path)?;
            self.reads += 1;
            let writer = LogWriter::open(&path, len, events.len())?;
            self.writers.insert(call.to_owned(), writer);
        }
        self.writers
            .get_mut(call)
            .ok_or_else(|| CallsError::NoSuchCall(call.to_owned()))
    }

    fn move_log(&mut self, call: &str, to_done: bool) -> Result<(), CallsError> {
        let (from, to) = if to_done {
            (self.active(call), self.done(call))
        } else {
            (self.done(call), self.active(call))
        };
        fs::rename(&from, &to).map_err(CallsError::io("move the call log", &from))?;
        if let Some(writer) = self.writers.get_mut(call) {
            writer.moved_to(to);
        }
        if to_done {
            self.finished.insert(call.to_owned());
        } else {
            self.finished.remove(call);
        }
        Ok(())
    }

    fn list_mut(&mut self) -> Option<&mut Vec<StoredCall>> {
        self.unfinished.as_mut().map(Arc::make_mut)
    }

    fn scan(&mut self) -> Result<Arc<Vec<StoredCall>>, CallsError> {
        let entries =
            fs::read_dir(&self.dir).map_err(CallsError::io("read the calls folder", &self.dir))?;
        let mut calls = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let is_log = path.extension().is_some_and(|e| e == "jsonl")
                && entry.file_type().is_ok_and(|t| t.is_file());
            let Some(id) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            if !is_log || id.starts_with('.') {
                continue;
            }
            let Ok(bytes) = fs::read(&path) else {
                continue;
            };
            self.reads += 1;
            let contents = log::read_log(&bytes);
            if contents.events.is_empty() && contents.problem.is_none() {
                continue;
            }
            calls.push(StoredCall {
                id,
                events: contents.events,
                problem: contents.problem,
            });
        }
        calls.sort_by(|a, b| a.id.cmp(&b.id));
        let calls = Arc::new(calls);
        self.unfinished = Some(Arc::clone(&calls));
        Ok(calls)
    }
}

impl CallStore for LogFolder {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        let mut folder = self.lock();
        let tree = match first {
            Event::Started { tree, .. } => tree.as_str(),
            _ => "call",
        };
        // Two calls started in the same millisecond on the same tree get a suffix.
        let mut suffix = 1;
        let (id, mut writer) = loop {
            let id = if suffix == 1 {
                format!("{}-{tree}", first.at())
            } else {
                format!("{}-{tree}-{suffix}", first.at())
            };
            let path = folder.active(&id);
            if folder.done(&id).exists() {
                suffix += 1;
                continue;
            }
            match LogWriter::create_new(&path) {
                Ok(writer) => break (id, writer),
                Err(CallsError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists && suffix < 1_000 =>
                {
                    suffix += 1;
                }
                Err(error) => return Err(error),
            }
        };
        if let Err(error) = writer.append(&id, 0, std::slice::from_ref(first)) {
            let _ = fs::remove_file(writer.path());
            return Err(error);
        }
        folder.writers.insert(id.clone(), writer);
        if let Some(list) = folder.list_mut() {
            list.push(StoredCall {
                id: id.clone(),
                events: vec![first.clone()],
                problem: None,
            });
        }
        Ok(id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        let mut folder = self.lock();
        folder.writer(call)?;
        let reopens = folder.finished.contains(call) && events.iter().any(Event::reopens);
        if reopens {
            folder.move_log(call, false)?;
        }
        let written = folder.writer(call)?.append(call, seq, events);
        if let Err(error) = written {
            if reopens {
                // The call stays finished: put its log back with the finished ones.
                let _ = folder.move_log(call, true);
            }
            return Err(error);
        }
        let listed = folder
            .list_mut()
            .and_then(|list| list.iter_mut().find(|c| c.id == call))
            .map(|stored| stored.events.extend_from_slice(events))
            .is_some();
        if reopens && !listed && folder.unfinished.is_some() {
            // A finished call opened again by `Back`: listed again, read from its log.
            let path = folder.active(call);
            let contents = fs::read(&path).map(|bytes| log::read_log(&bytes));
            folder.reads += 1;
            match (contents, folder.list_mut()) {
                (Ok(contents), Some(list)) => {
                    list.push(StoredCall {
                        id: call.to_owned(),
                        events: contents.events,
                        problem: contents.problem,
                    });
                    list.sort_by(|a, b| a.id.cmp(&b.id));
                }
                _ => folder.unfinished = None,
            }
        }
        Ok(())
    }

    fn finish(&mut self, call: &str, _outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        let mut folder = self.lock();
        if folder.finished.contains(call) {
            return Ok(());
        }
        if !folder.active(call).exists() {
            return Err(CallsError::NoSuchCall(call.to_owned()));
        }
        folder.move_log(call, true)?;
        // A finished call's log is closed: an app that takes calls all day must not keep a
        // file open for each. A note after the call opens it again.
        folder.writers.remove(call);
        if let Some(list) = folder.list_mut() {
            list.retain(|c| c.id != call);
        }
        Ok(())
    }
}

impl AgentCalls for LogFolder {
    fn store(&self) -> Box<dyn CallStore> {
        Box::new(self.clone())
    }

    fn unfinished(&mut self) -> Result<Arc<Vec<StoredCall>>, CallsError> {
        let mut folder = self.lock();
        match &folder.unfinished {
            Some(list) => Ok(Arc::clone(list)),
            None => folder.scan(),
        }
    }

    fn reopen(&mut self, call: &str) -> Result<Vec<Event>, CallsError> {
        let mut folder = self.lock();
        // Read again from disk (and repaired) rather than from the list: this is the call
        // about to be continued, and its log must end cleanly before anything is appended.
        folder.writers.remove(call);
        let path = folder.active(call);
        if !path.exists() {
            return Err(CallsError::NoSuchCall(call.to_owned()));
        }
        let (events, len, _) = log::read_to_continue(&path)?;
        folder.reads += 1;
        let writer = LogWriter::open(&path, len, events.len())?;
        folder.writers.insert(call.to_owned(), writer);
        if let Some(list) = folder.list_mut()
            && let Some(stored) = list.iter_mut().find(|c| c.id == call)
        {
            stored.events.clone_from(&events);
            stored.problem = None;
        }
        Ok(events)
    }

    fn set_aside(&mut self, call: &str) -> Result<(), CallsError> {
        self.finish(call, None)
    }
}

#[cfg(test)]
mod tests {
    use calltree_syntax::Audience;

    use super::*;

    fn started(at: i64) -> Event {
        Event::Started {
            tree: "warranty".into(),
            version: "v1".into(),
            audience: Audience::Agent,
            at,
            given: Vec::new(),
            locale: None,
        }
    }

    #[test]
    fn calls_are_kept_event_by_event_and_finished_ones_are_put_away() {
        let dir = tempfile::tempdir().unwrap();
        let mut folder = LogFolder::open(dir.path()).unwrap();
        let id = folder.begin(&started(1)).unwrap();
        folder
            .append(&id, 1, &[Event::Continued { at: 2 }])
            .unwrap();
        let calls = folder.unfinished().unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].events,
            vec![started(1), Event::Continued { at: 2 }]
        );

        folder.finish(&id, None).unwrap();
        assert!(folder.unfinished().unwrap().is_empty());
        assert!(dir.path().join("done").join(format!("{id}.jsonl")).exists());
    }

    #[test]
    fn a_finished_call_keeps_no_file_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut folder = LogFolder::open(dir.path()).unwrap();
        for at in 0..5 {
            let id = folder.begin(&started(at)).unwrap();
            folder.finish(&id, None).unwrap();
        }
        assert!(folder.lock().writers.is_empty());
    }

    #[test]
    fn a_second_program_on_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = LogFolder::open(dir.path()).unwrap();
        let error = LogFolder::open(dir.path()).unwrap_err();
        assert!(matches!(error, CallsError::FolderInUse { .. }), "{error}");
        drop(folder);
        assert!(LogFolder::open(dir.path()).is_ok());
    }

    #[test]
    fn a_stale_sequence_number_is_a_conflict_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut folder = LogFolder::open(dir.path()).unwrap();
        let id = folder.begin(&started(1)).unwrap();
        let error = folder
            .append(&id, 2, &[Event::Continued { at: 2 }])
            .unwrap_err();
        assert!(matches!(error, CallsError::Conflict { .. }), "{error}");
        assert_eq!(folder.reopen(&id).unwrap(), vec![started(1)]);
    }

    #[test]
    fn a_note_after_the_end_goes_to_the_finished_log_and_back_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut folder = LogFolder::open(dir.path()).unwrap();
        let id = folder.begin(&started(1)).unwrap();
        folder
            .append(
                &id,
                1,
                &[Event::Escalated {
                    reason: "x".into(),
                    at: 2,
                }],
            )
            .unwrap();
        folder.finish(&id, None).unwrap();
        let note = Event::Noted {
            text: "called back".into(),
            at: 3,
        };
        folder.append(&id, 2, std::slice::from_ref(&note)).unwrap();
        let done = dir.path().join("done").join(format!("{id}.jsonl"));
        assert!(fs::read_to_string(&done).unwrap().contains("called back"));
        folder.append(&id, 3, &[Event::Back { at: 4 }]).unwrap();
        assert!(!done.exists());
        let calls = folder.unfinished().unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].events.len(), 4);
    }
}
