//! The JSON-lines call log: one event per line, the format of `calltree run --log` and of the
//! desktop app's calls folder.
//!
//! Writing: the events of a step are written with one `write_all` (each event's JSON and its
//! line break together) and synced to disk before the call moves on. So a crash can only leave
//! the last line without its line break, never a line break without its event.
//!
//! Reading: a last line without a line break is *torn* — it was never acknowledged, so it is
//! dropped (and cut off the file before anything is appended). Any other line that is not an
//! event is *damage*, and a line naming an event this build does not know was written by a
//! newer calltree; in both cases the events after it cannot be trusted or dropped, so a log
//! is never continued past them and never rewritten without them.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use calltree_engine::{EVENT_NAMES, Event};

use crate::error::CallsError;

/// What is wrong with a log, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogProblem {
    /// The last line has no line break: the program stopped while writing it. Harmless: the
    /// event on it was never acknowledged.
    Torn { line: usize },
    /// A complete line that is not an event.
    Damaged { line: usize, message: String },
    /// A complete line holding an event a newer calltree wrote.
    Newer { line: usize, name: String },
}

impl LogProblem {
    /// The problem as an error about the log at `path`, for a host that wanted to continue it.
    pub fn into_error(self, path: &Path) -> CallsError {
        match self {
            LogProblem::Torn { line } => CallsError::Damaged {
                path: path.to_path_buf(),
                line,
                message: "the line is cut short".to_owned(),
            },
            LogProblem::Damaged { line, message } => CallsError::Damaged {
                path: path.to_path_buf(),
                line,
                message,
            },
            LogProblem::Newer { line, name } => CallsError::FromNewer {
                path: path.to_path_buf(),
                line,
                name,
            },
        }
    }

    /// In plain words, for lists and reports.
    pub fn describe(&self) -> String {
        match self {
            LogProblem::Torn { line } => {
                format!("line {line} is cut short (the program stopped while writing it)")
            }
            LogProblem::Damaged { line, message } => format!("line {line} is damaged: {message}"),
            LogProblem::Newer { line, name } => {
                format!("line {line} holds a `{name}` event from a newer calltree")
            }
        }
    }
}

/// A log as read: every event before the first problem.
#[derive(Debug, Clone, PartialEq)]
pub struct LogContents {
    pub events: Vec<Event>,
    pub problem: Option<LogProblem>,
    /// Bytes of the file up to the end of the last complete line that was read as an event:
    /// where a torn tail is cut off.
    pub sound_len: u64,
}

impl LogContents {
    /// Whether the log can be continued: nothing is wrong, or only its last line is torn.
    pub fn can_continue(&self) -> bool {
        matches!(self.problem, None | Some(LogProblem::Torn { .. }))
    }
}

/// Reads a log's bytes. Never fails: what cannot be read is described in `problem`.
pub fn read_log(bytes: &[u8]) -> LogContents {
    let mut events = Vec::new();
    let mut offset = 0usize;
    let mut sound_len = 0u64;
    let mut line_number = 0usize;
    while offset < bytes.len() {
        line_number += 1;
        let rest = &bytes[offset..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // No line break: torn, whatever it holds (a crash before the line break was
            // written means the event was never acknowledged). Zero bytes that some file
            // systems leave after a crash count as a torn tail too.
            return LogContents {
                events,
                problem: Some(LogProblem::Torn { line: line_number }),
                sound_len,
            };
        };
        let line = &rest[..end];
        offset += end + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            sound_len = offset as u64;
            continue;
        }
        match read_line(line, line_number) {
            Ok(event) => {
                events.push(event);
                sound_len = offset as u64;
            }
            Err(problem) => {
                return LogContents {
                    events,
                    problem: Some(problem),
                    sound_len,
                };
            }
        }
    }
    LogContents {
        events,
        problem: None,
        sound_len,
    }
}

/// Reads complete line number `number`.
fn read_line(line: &[u8], number: usize) -> Result<Event, LogProblem> {
    let Ok(text) = std::str::from_utf8(line) else {
        return Err(LogProblem::Damaged {
            line: number,
            message: "it is not UTF-8 text".to_owned(),
        });
    };
    Event::from_json_line(text).map_err(|error| {
        // An object naming an event this build does not know is a newer program's event,
        // not damage: say so, so that nobody "repairs" it away.
        let unknown = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|value| value.get("event")?.as_str().map(str::to_owned))
            .filter(|name| !EVENT_NAMES.contains(&name.as_str()));
        match unknown {
            Some(name) => LogProblem::Newer { line: number, name },
            None => LogProblem::Damaged {
                line: number,
                message: format!("not a call event ({error})"),
            },
        }
    })
}

/// The lines for `events`, each with its line break.
pub(crate) fn lines(events: &[Event]) -> String {
    let mut text = String::new();
    for event in events {
        text.push_str(&event.to_json_line());
        text.push('\n');
    }
    text
}

/// A log open for appending, which knows how many events and bytes it holds.
///
/// The events of a step are written with one write and synced to disk. When the write or the
/// sync fails, the file is cut back to where it was, so a half-written line never sits under
/// the next event; if even that fails, the writer refuses every later append (the call can
/// still be resumed from its log, whose torn tail is then cut off).
#[derive(Debug)]
pub(crate) struct LogWriter {
    path: PathBuf,
    file: File,
    len: u64,
    events: usize,
    broken: bool,
}

impl LogWriter {
    /// Opens the log at `path` for appending; it holds `events` events in `len` bytes.
    pub(crate) fn open(path: &Path, len: u64, events: usize) -> Result<LogWriter, CallsError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(CallsError::io("open the call log", path))?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            len,
            events,
            broken: false,
        })
    }

    /// A new log at `path`, which must not exist yet.
    pub(crate) fn create_new(path: &Path) -> Result<LogWriter, CallsError> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(CallsError::io("create the call log", path))?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            len: 0,
            events: 0,
            broken: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The log moved (a finished call put away, or back): later writes follow the open file,
    /// and errors name the new place.
    pub(crate) fn moved_to(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Appends events number `seq`, `seq + 1`, ... of `call` and syncs them to disk.
    pub(crate) fn append(
        &mut self,
        call: &str,
        seq: usize,
        events: &[Event],
    ) -> Result<(), CallsError> {
        if self.broken {
            return Err(CallsError::Io {
                during: "write to",
                path: self.path.clone(),
                source: std::io::Error::other(
                    "an earlier write failed and could not be undone; resume the call from its log",
                ),
            });
        }
        if seq != self.events {
            return Err(CallsError::Conflict {
                call: call.to_owned(),
                expected: seq,
                actual: self.events,
            });
        }
        let text = lines(events);
        let path = &self.path;
        let written = self
            .file
            .write_all(text.as_bytes())
            .map_err(CallsError::io("write to the call log", path))
            .and_then(|()| {
                self.file
                    .sync_data()
                    .map_err(CallsError::io("flush to disk the call log", path))
            });
        match written {
            Ok(()) => {
                self.len += text.len() as u64;
                self.events += events.len();
                Ok(())
            }
            Err(error) => {
                let undone = self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data());
                if undone.is_err() {
                    self.broken = true;
                }
                Err(error)
            }
        }
    }
}

/// Reads the log at `path` to continue it: cuts a torn last line off the file (and syncs the
/// cut), and refuses damage and newer events, leaving the file as it is. Returns the events
/// and the file's length after the repair, and the torn line that was cut off, if any.
pub(crate) fn read_to_continue(
    path: &Path,
) -> Result<(Vec<Event>, u64, Option<LogProblem>), CallsError> {
    let bytes = std::fs::read(path).map_err(CallsError::io("read the call log", path))?;
    let contents = read_log(&bytes);
    match &contents.problem {
        None => {}
        Some(LogProblem::Torn { .. }) => {
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(CallsError::io("repair the call log", path))?;
            file.set_len(contents.sound_len)
                .and_then(|()| file.sync_all())
                .map_err(CallsError::io("repair the call log", path))?;
        }
        Some(problem) => return Err(problem.clone().into_error(path)),
    }
    Ok((contents.events, contents.sound_len, contents.problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: i64) -> Event {
        Event::Continued { at }
    }

    #[test]
    fn complete_lines_are_events_and_a_last_line_without_a_break_is_torn() {
        let mut text = lines(&[event(1), event(2)]);
        let sound = text.len() as u64;
        // A whole event, only its line break missing: still torn, never acknowledged.
        text.push_str(&event(3).to_json_line());
        let read = read_log(text.as_bytes());
        assert_eq!(read.events, vec![event(1), event(2)]);
        assert_eq!(read.problem, Some(LogProblem::Torn { line: 3 }));
        assert_eq!(read.sound_len, sound);
        assert!(read.can_continue());
    }

    #[test]
    fn zero_bytes_after_a_crash_are_a_torn_tail() {
        let mut bytes = lines(&[event(1)]).into_bytes();
        bytes.extend([0u8; 64]);
        let read = read_log(&bytes);
        assert_eq!(read.events, vec![event(1)]);
        assert!(matches!(read.problem, Some(LogProblem::Torn { .. })));
    }

    #[test]
    fn a_bad_complete_line_is_damage_and_an_unknown_event_is_a_newer_programs() {
        let text = format!("{}not json\n{}", lines(&[event(1)]), lines(&[event(2)]));
        let read = read_log(text.as_bytes());
        assert_eq!(read.events, vec![event(1)]);
        assert!(matches!(
            read.problem,
            Some(LogProblem::Damaged { line: 2, .. })
        ));
        assert!(!read.can_continue());

        let text = format!(
            "{}{{\"event\":\"transferred_to_bot\",\"at\":5}}\n",
            lines(&[event(1)])
        );
        let read = read_log(text.as_bytes());
        assert_eq!(
            read.problem,
            Some(LogProblem::Newer {
                line: 2,
                name: "transferred_to_bot".into()
            })
        );

        // A known event name with a broken body is damage, not a newer event.
        let read = read_log(b"{\"event\":\"continued\",\"at\":\"soon\"}\n");
        assert!(matches!(read.problem, Some(LogProblem::Damaged { .. })));
        let read = read_log(b"\xff\xfe\n");
        assert!(matches!(read.problem, Some(LogProblem::Damaged { .. })));
    }

    #[test]
    fn continuing_cuts_a_torn_tail_off_the_file_and_leaves_damage_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.jsonl");
        let mut text = lines(&[event(1)]);
        text.push_str("{\"event\":\"contin");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_to_continue(&path).unwrap().0, vec![event(1)]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), lines(&[event(1)]));

        let damaged = format!("{}oops\n{}", lines(&[event(1)]), lines(&[event(2)]));
        std::fs::write(&path, &damaged).unwrap();
        let error = read_to_continue(&path).unwrap_err();
        assert!(
            matches!(error, CallsError::Damaged { line: 2, .. }),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
    }
}
