//! One call in one JSON-lines file, as `calltree run --log FILE` keeps it.
//!
//! A log is never overwritten by accident: a new log refuses an existing non-empty file unless
//! the host says to replace it. A log continued after a crash has its torn last line cut off
//! before anything is appended, and a damaged log is refused, untouched.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::Path;

use calltree_engine::{Event, OutcomeKind};

use crate::error::CallsError;
use crate::log::{self, LogProblem, LogWriter};
use crate::store::{CallId, CallStore};

/// A call's log file, open for appending.
#[derive(Debug)]
pub struct LogFile {
    writer: LogWriter,
}

fn refuse_to_overwrite(path: &Path, replace: bool) -> Result<(), CallsError> {
    let exists_with_content = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    if exists_with_content && !replace {
        return Err(CallsError::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

impl LogFile {
    /// A new, empty log at `path` for a call about to start. An existing file that is not
    /// empty is refused unless `replace`.
    pub fn create(path: &Path, replace: bool) -> Result<LogFile, CallsError> {
        refuse_to_overwrite(path, replace)?;
        OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)
            .map_err(CallsError::io("create the call log", path))?;
        Ok(LogFile {
            writer: LogWriter::open(path, 0, 0)?,
        })
    }

    /// Opens a log to continue its call, with every event in it, and the torn last line that
    /// was cut off first (if there was one: it was never acknowledged). A damaged log, or one
    /// with a newer program's events, is refused untouched.
    pub fn resume(path: &Path) -> Result<(LogFile, Vec<Event>, Option<LogProblem>), CallsError> {
        if std::fs::metadata(path).is_err_and(|e| e.kind() == ErrorKind::NotFound) {
            return Err(CallsError::NoSuchCall(path.display().to_string()));
        }
        let (events, len, torn) = log::read_to_continue(path)?;
        let writer = LogWriter::open(path, len, events.len())?;
        Ok((LogFile { writer }, events, torn))
    }

    /// A new log at `path` holding `events` already (a call continued from another log into
    /// this one), written atomically. An existing non-empty file is refused unless `replace`.
    pub fn create_with(
        path: &Path,
        events: &[Event],
        replace: bool,
    ) -> Result<LogFile, CallsError> {
        refuse_to_overwrite(path, replace)?;
        let text = log::lines(events);
        calltree_files::write_atomically(path, &text).map_err(|error| CallsError::Io {
            during: "write the call log",
            path: path.to_path_buf(),
            source: std::io::Error::other(error),
        })?;
        Ok(LogFile {
            writer: LogWriter::open(path, text.len() as u64, events.len())?,
        })
    }

    pub fn path(&self) -> &Path {
        self.writer.path()
    }
}

impl CallStore for LogFile {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        let id = self.writer.path().display().to_string();
        self.writer.append(&id, 0, std::slice::from_ref(first))?;
        Ok(id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        self.writer.append(call, seq, events)
    }

    fn finish(&mut self, _call: &str, _outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        // The log is the whole record; a finished call is one whose log ends it.
        Ok(())
    }
}
