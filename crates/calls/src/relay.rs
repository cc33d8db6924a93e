//! An agent's calls sent on to the hub: every event is first fsynced to the local calls
//! folder (as without a server), then uploaded by a background thread, so the call on screen
//! never waits for the network and goes on when the server is away.
//!
//! **Exactly once.** The folder's logs are the backlog: the relay keeps, per call, the id
//! the call has on the server and how many of its events the server acknowledged, in
//! `hub-outbox.json` beside the logs (written atomically after every acknowledged upload).
//! An upload sends the events from that number on; if the program dies after the server
//! stored them but before the file was written, the next upload sends them again and the
//! server, idempotent by (session, sequence), counts them as already stored. The server id is
//! written before the first upload, so a call keeps one id across restarts.
//!
//! **Offline.** A server that cannot be reached is tried again after 1, 2, 4 … up to 30
//! seconds, and at once when a new event is recorded; [`Relay::unsent`] is the number a
//! desktop shows ("n events not yet sent"), [`Relay::problem`] why they are waiting.
//!
//! **Refused (409, 400).** The server refuses an upload that does not follow on from what it
//! has. If what it has is the start of the local log (it lost events, e.g. restored from a
//! backup, or the outbox was lost), the relay goes on from there at once. Otherwise its copy
//! is not this call's (different events under the same id): sending again cannot help, so
//! the call is marked refused in the outbox, for good, with the server's sentence. It is no
//! longer counted as unsent or tried again (not after a restart either), the local log is
//! kept as it is, and [`Relay::refused`] names it for the agent; the other calls still go.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use calltree_engine::{Event, OutcomeKind};
use serde::{Deserialize, Serialize};

use crate::error::CallsError;
use crate::hub::{HubClient, random_id};
use crate::store::{AgentCalls, CallId, CallStore, StoredCall};

/// The relay's file in the calls folder.
pub const OUTBOX_FILE: &str = "hub-outbox.json";

/// Events per upload (the server takes up to 1,000).
const CHUNK: usize = 500;

/// The longest wait before trying an unreachable server again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the server has of one call.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Sent {
    /// The call's session id on the server.
    remote: String,
    /// Events the server acknowledged.
    sent: usize,
    /// Why the server refused the call for good, if it did (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// Per local call: what the server has (from the outbox file).
    sent: BTreeMap<CallId, Sent>,
    /// Per local call: how many events are safely in its log (known from the folder at
    /// start and from every event recorded since).
    stored: BTreeMap<CallId, usize>,
    /// Why events are waiting, in words, if they are.
    problem: Option<String>,
    /// Whether the folder has been read yet.
    scanned: bool,
    /// Not before this instant (after a failure).
    retry_at: Option<Instant>,
    backoff: Duration,
    stopping: bool,
}

impl State {
    fn refused(&self, call: &str) -> bool {
        self.sent.get(call).is_some_and(|s| s.refused.is_some())
    }

    /// Events still to send: those of calls the server refused for good are not.
    fn unsent(&self) -> usize {
        self.stored
            .iter()
            .filter(|(call, _)| !self.refused(call))
            .map(|(call, stored)| stored.saturating_sub(self.sent.get(call).map_or(0, |s| s.sent)))
            .sum()
    }

    /// The next call with events to send, and from which number.
    fn next(&self) -> Option<(CallId, usize, usize)> {
        self.stored.iter().find_map(|(call, &stored)| {
            let sent = self.sent.get(call).map_or(0, |s| s.sent);
            (stored > sent && !self.refused(call)).then(|| (call.clone(), sent, stored))
        })
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    dir: PathBuf,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Each change leaves the maps consistent, so a poisoned lock is still good to use.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn save(&self, state: &State) -> Result<(), CallsError> {
        let text = serde_json::to_string_pretty(&state.sent).unwrap_or_default();
        let path = self.dir.join(OUTBOX_FILE);
        calltree_files::write_atomically(&path, &text)?;
        Ok(())
    }
}

/// Sends the calls of a calls folder to the hub in the background. Dropping it stops the
/// thread (an upload under way finishes or times out on its own).
pub struct Relay {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
    }
}

impl Relay {
    /// Starts sending the calls in `dir` (the desktop's calls folder) to `client`'s hub:
    /// first every event the server does not have yet (from `hub-outbox.json`), then each
    /// one [`Relay::recorded`] is told about.
    pub fn start(dir: &Path, client: HubClient) -> Result<Relay, CallsError> {
        let sent: BTreeMap<CallId, Sent> = match std::fs::read_to_string(dir.join(OUTBOX_FILE)) {
            Ok(text) => serde_json::from_str(&text).map_err(|error| CallsError::Damaged {
                path: dir.join(OUTBOX_FILE),
                line: error.line(),
                message: error.to_string(),
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => {
                return Err(CallsError::Io {
                    during: "read",
                    path: dir.join(OUTBOX_FILE),
                    source: error,
                });
            }
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                sent,
                backoff: Duration::from_secs(1),
                ..State::default()
            }),
            wake: Condvar::new(),
            dir: dir.to_path_buf(),
        });
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("calltree-relay".into())
            .spawn(move || run(&worker, &client))
            .map_err(|source| CallsError::Io {
                during: "start the thread that sends calls to",
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(Relay { shared })
    }

    /// A handle that tells this relay about events recorded (for [`Relayed`]).
    pub fn handle(&self) -> RelayHandle {
        RelayHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Events safely in the local logs that the server has not acknowledged yet.
    pub fn unsent(&self) -> usize {
        self.shared.lock().unsent()
    }

    /// Why events are waiting, in words (the server away, a token refused), if they are.
    pub fn problem(&self) -> Option<String> {
        self.shared.lock().problem.clone()
    }

    /// The calls the server refused for good, each with the server's sentence: their logs
    /// stay on this computer and are not sent again (see the module docs).
    pub fn refused(&self) -> Vec<(CallId, String)> {
        self.shared
            .lock()
            .sent
            .iter()
            .filter_map(|(call, sent)| Some((call.clone(), sent.refused.clone()?)))
            .collect()
    }

    /// Waits until every event is sent or `timeout` passes; returns how many are unsent.
    pub fn flush(&self, timeout: Duration) -> usize {
        let until = Instant::now() + timeout;
        let mut state = self.shared.lock();
        state.retry_at = None;
        self.shared.wake.notify_all();
        loop {
            let unsent = state.unsent();
            let settled = state.scanned && (unsent == 0 || state.next().is_none());
            let now = Instant::now();
            if settled || now >= until {
                return unsent;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, (until - now).min(Duration::from_millis(50)))
                .map_or_else(|e| e.into_inner().0, |(state, _)| state);
        }
    }
}

/// Tells a [`Relay`] that a call's events are safely in its log.
#[derive(Clone)]
pub struct RelayHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RelayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayHandle")
    }
}

impl RelayHandle {
    /// The call now has `events` events in its log: send the new ones.
    pub fn recorded(&self, call: &str, events: usize) {
        let mut state = self.shared.lock();
        let stored = state.stored.entry(call.to_owned()).or_default();
        *stored = (*stored).max(events);
        // A new event is a good moment to try an away server again.
        state.retry_at = None;
        drop(state);
        self.shared.wake.notify_all();
    }
}

impl RelayHandle {
    /// Keeps a session taken over through the hub as a call of this desktop: its events
    /// (`first` and the `rest`, all of them already on the server, under `remote`) are written to the calls folder
    /// through `folder` (the folder itself, not a relayed store) and the outbox notes that
    /// the server has them, so the agent's next steps are fsynced here first and relayed
    /// like any call's. Returns the call's local id.
    ///
    /// The relay is held while the log is written, so it cannot see the new log before it
    /// knows the server has it and upload it again as a new session. If the log cannot be
    /// written whole or the outbox cannot be saved, the log is removed again and the error
    /// returned: nothing is left for the relay to send twice.
    pub fn adopt(
        &self,
        folder: &mut dyn CallStore,
        remote: &str,
        first: &Event,
        rest: &[Event],
    ) -> Result<CallId, CallsError> {
        let events = 1 + rest.len();
        let mut state = self.shared.lock();
        let call = folder.begin(first)?;
        let kept = if rest.is_empty() {
            Ok(())
        } else {
            folder.append(&call, 1, rest)
        };
        let kept = kept.and_then(|()| {
            state.sent.insert(
                call.clone(),
                Sent {
                    remote: remote.to_owned(),
                    sent: events,
                    refused: None,
                },
            );
            self.shared.save(&state)
        });
        if let Err(error) = kept {
            state.sent.remove(&call);
            if let Some(path) = log_path(&self.shared.dir, &call) {
                let _ = std::fs::remove_file(path);
            }
            return Err(error);
        }
        let stored = state.stored.entry(call.clone()).or_default();
        *stored = (*stored).max(events);
        Ok(call)
    }
}

/// A call store whose every stored step is then relayed to the hub.
pub struct Relayed<S> {
    inner: S,
    relay: RelayHandle,
}

impl<S: CallStore> Relayed<S> {
    pub fn new(inner: S, relay: RelayHandle) -> Relayed<S> {
        Relayed { inner, relay }
    }
}

impl<S: CallStore> CallStore for Relayed<S> {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        let id = self.inner.begin(first)?;
        self.relay.recorded(&id, 1);
        Ok(id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        self.inner.append(call, seq, events)?;
        // Only now, with the events fsynced, may they go to the server.
        self.relay.recorded(call, seq + events.len());
        Ok(())
    }

    fn finish(&mut self, call: &str, outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        self.inner.finish(call, outcome)
    }
}

/// An agent's calls (a calls folder) whose new events go on to the hub.
pub struct RelayedCalls<A> {
    inner: A,
    relay: RelayHandle,
}

impl<A: AgentCalls> RelayedCalls<A> {
    pub fn new(inner: A, relay: RelayHandle) -> RelayedCalls<A> {
        RelayedCalls { inner, relay }
    }
}

impl<A: AgentCalls> AgentCalls for RelayedCalls<A> {
    fn store(&self) -> Box<dyn CallStore> {
        Box::new(Relayed::new(self.inner.store(), self.relay.clone()))
    }

    fn unfinished(&mut self) -> Result<Arc<Vec<StoredCall>>, CallsError> {
        self.inner.unfinished()
    }

    fn reopen(&mut self, call: &str) -> Result<Vec<Event>, CallsError> {
        self.inner.reopen(call)
    }

    fn set_aside(&mut self, call: &str) -> Result<(), CallsError> {
        self.inner.set_aside(call)
    }
}

/// The log of a call in the folder: running, or finished.
fn log_path(dir: &Path, call: &str) -> Option<PathBuf> {
    [
        dir.join(format!("{call}.jsonl")),
        dir.join("done").join(format!("{call}.jsonl")),
    ]
    .into_iter()
    .find(|path| path.is_file())
}

/// The events of a call's log that read cleanly (a torn or damaged tail left off).
fn read_events(dir: &Path, call: &str) -> Option<Vec<Event>> {
    let path = log_path(dir, call)?;
    let bytes = std::fs::read(path).ok()?;
    Some(crate::log::read_log(&bytes).events)
}

/// Every call log in the folder and how many events each has.
fn scan(dir: &Path) -> HashMap<CallId, usize> {
    let mut found = HashMap::new();
    for folder in [dir.to_path_buf(), dir.join("done")] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Some(call) = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
            else {
                continue;
            };
            if path.extension().is_none_or(|e| e != "jsonl") || call.starts_with('.') {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path) {
                let events = crate::log::read_log(&bytes).events.len();
                let known = found.entry(call).or_insert(0);
                *known = (*known).max(events);
            }
        }
    }
    found
}

/// The relay's thread: read the folder, then send whatever is unsent, waiting for new
/// events or for the next try.
fn run(shared: &Shared, client: &HubClient) {
    let found = scan(&shared.dir);
    {
        let mut state = shared.lock();
        for (call, events) in found {
            let stored = state.stored.entry(call).or_default();
            *stored = (*stored).max(events);
        }
        state.scanned = true;
    }
    shared.wake.notify_all();
    loop {
        let (call, from, to, remote) = {
            let mut state = shared.lock();
            loop {
                if state.stopping {
                    return;
                }
                let due = state.retry_at.is_none_or(|at| Instant::now() >= at);
                if due && let Some(next) = state.next() {
                    let (call, from, to) = next;
                    // The id is chosen and kept before the first upload, so a retry after a
                    // crash goes to the same session.
                    let remote = match state.sent.get(&call) {
                        Some(sent) => sent.remote.clone(),
                        None => {
                            let Ok(remote) = random_id() else {
                                state.problem = Some("no random id could be made".into());
                                state.retry_at = Some(Instant::now() + MAX_BACKOFF);
                                continue;
                            };
                            state.sent.insert(
                                call.clone(),
                                Sent {
                                    remote: remote.clone(),
                                    sent: 0,
                                    refused: None,
                                },
                            );
                            if let Err(error) = shared.save(&state) {
                                state.sent.remove(&call);
                                state.problem = Some(error.to_string());
                                state.retry_at = Some(Instant::now() + MAX_BACKOFF);
                                continue;
                            }
                            remote
                        }
                    };
                    break (call, from, to, remote);
                }
                let wait = state
                    .retry_at
                    .map_or(MAX_BACKOFF, |at| {
                        at.saturating_duration_since(Instant::now())
                    })
                    .max(Duration::from_millis(10));
                state = shared
                    .wake
                    .wait_timeout(state, wait)
                    .map_or_else(|e| e.into_inner().0, |(state, _)| state);
            }
        };
        let local = read_events(&shared.dir, &call);
        let outcome = match &local {
            Some(events) if events.len() >= to => {
                let end = to.min(from + CHUNK);
                client
                    .upload(&remote, from, &events[from..end])
                    .map(|_| end)
            }
            // The log is being moved to `done/`, or lost: look again later.
            _ => Err(CallsError::NoSuchCall(call.clone())),
        };
        // A refusal may only mean the server has fewer events than noted: then go on from
        // what it has (asked outside the lock, like the upload).
        let resume = match (&outcome, &local) {
            (
                Err(CallsError::Server {
                    status: 409 | 400, ..
                }),
                Some(events),
            ) => client
                .events(&remote)
                .ok()
                .filter(|theirs| theirs.len() <= events.len() && events.starts_with(theirs))
                .map(|theirs| theirs.len()),
            _ => None,
        };
        let mut state = shared.lock();
        match outcome {
            Ok(end) => {
                if let Some(sent) = state.sent.get_mut(&call) {
                    sent.sent = sent.sent.max(end);
                }
                match shared.save(&state) {
                    Ok(()) => {
                        state.problem = None;
                        state.backoff = Duration::from_secs(1);
                        state.retry_at = None;
                    }
                    // Sent, but not noted: it will be sent again, which the server counts
                    // as already stored.
                    Err(error) => {
                        state.problem = Some(error.to_string());
                        state.retry_at = Some(Instant::now() + MAX_BACKOFF);
                    }
                }
            }
            Err(CallsError::Server {
                status: 409 | 400, ..
            }) if resume.is_some_and(|theirs| theirs != from) => {
                if let (Some(sent), Some(theirs)) = (state.sent.get_mut(&call), resume) {
                    sent.sent = theirs;
                }
                // Not noted on disk: if the program stops first, the next start asks again.
                state.retry_at = None;
            }
            Err(CallsError::Server {
                status: 409 | 400,
                message,
                ..
            }) => {
                if let Some(sent) = state.sent.get_mut(&call) {
                    sent.refused = Some(message.clone());
                }
                let noted = shared.save(&state);
                state.problem = Some(match noted {
                    Ok(()) => format!(
                        "the server refused call {call}, which is kept on this computer: {message}"
                    ),
                    Err(error) => format!(
                        "the server refused call {call}, which is kept on this computer: {message} ({error})"
                    ),
                });
            }
            Err(error) => {
                state.problem = Some(error.to_string());
                let wait = state.backoff;
                state.retry_at = Some(Instant::now() + wait);
                state.backoff = (wait * 2).min(MAX_BACKOFF);
            }
        }
        drop(state);
        shared.wake.notify_all();
    }
}
