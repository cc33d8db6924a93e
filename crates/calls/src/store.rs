//! Where a call's events are kept. Every host stores through this trait, so the rule "an event
//! is on disk before it is shown" is kept by [`crate::Call::record`] once, for all of them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use calltree_engine::{Event, OutcomeKind};

use crate::error::CallsError;
use crate::log::LogProblem;

/// A call's key in its store: a session id, a log's file name.
pub type CallId = String;

/// Durable storage for the events of calls.
pub trait CallStore {
    /// Stores a new call's first event (`Started`) and returns the call's key. Returns once
    /// the event is safe.
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError>;
    /// Stores `events` as the call's events number `seq`, `seq + 1`, ... (`seq` is how many
    /// events the caller has seen): all of them or none. Fails with `Conflict`, storing
    /// nothing, when the call has another number of events. Returns once they are safe.
    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError>;
    /// The call has ended, with this kind of outcome (none for a sub-tree run on its own, or a
    /// call set aside). Called after the append that ended it; doing it twice is harmless.
    fn finish(&mut self, call: &str, outcome: Option<OutcomeKind>) -> Result<(), CallsError>;
}

impl<S: CallStore + ?Sized> CallStore for Box<S> {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        (**self).begin(first)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        (**self).append(call, seq, events)
    }

    fn finish(&mut self, call: &str, outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        (**self).finish(call, outcome)
    }
}

/// A call kept where an agent works, as a list of unfinished calls shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub id: CallId,
    /// Every event that could be read.
    pub events: Vec<Event>,
    /// What is wrong with the stored log, if anything: a call whose log is damaged or from a
    /// newer calltree is listed, but cannot be continued.
    pub problem: Option<LogProblem>,
}

/// An agent's own calls: a store for new calls, plus finding unfinished ones again after a
/// crash or a restart.
pub trait AgentCalls {
    /// A store handle for one call (clones share the calls).
    fn store(&self) -> Box<dyn CallStore>;
    /// The calls started and not finished, oldest first. Read from disk once; after that the
    /// list follows this program's own writes, so asking for it on every frame costs nothing.
    fn unfinished(&mut self) -> Result<Arc<Vec<StoredCall>>, CallsError>;
    /// A call's events, to continue it: a torn last line is cut off first, and a damaged log
    /// is refused and left as it is.
    fn reopen(&mut self, call: &str) -> Result<Vec<Event>, CallsError>;
    /// Stops offering an unfinished call; its events are kept with the finished calls.
    fn set_aside(&mut self, call: &str) -> Result<(), CallsError>;
}

/// Calls kept in memory, shared between clones: dropping an app and building a new one on
/// the same calls is how tests simulate a crash and a restart. Writes can be made to fail,
/// as a full disk would.
#[derive(Debug, Clone, Default)]
pub struct MemoryCalls {
    inner: Arc<Mutex<Memory>>,
}

#[derive(Debug, Default)]
struct Memory {
    calls: BTreeMap<CallId, MemoryCall>,
    failing: bool,
    listed: Option<Arc<Vec<StoredCall>>>,
}

#[derive(Debug, Default)]
struct MemoryCall {
    events: Vec<Event>,
    finished: bool,
}

impl MemoryCalls {
    pub fn new() -> Self {
        MemoryCalls::default()
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        // Nothing half-done is left behind by a panic while holding it: every change is one
        // insert or push.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on, every write fails (or succeeds again), as with a full or failing disk.
    pub fn fail_writes(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// Every event of a call.
    pub fn events(&self, call: &str) -> Vec<Event> {
        self.lock()
            .calls
            .get(call)
            .map(|c| c.events.clone())
            .unwrap_or_default()
    }

    pub fn call_ids(&self) -> Vec<CallId> {
        self.lock().calls.keys().cloned().collect()
    }

    pub fn is_finished(&self, call: &str) -> bool {
        self.lock().calls.get(call).is_some_and(|c| c.finished)
    }
}

impl Memory {
    fn refuse_if_failing(&self) -> Result<(), CallsError> {
        if self.failing {
            return Err(CallsError::Io {
                during: "write to",
                path: "memory".into(),
                source: std::io::Error::from(std::io::ErrorKind::StorageFull),
            });
        }
        Ok(())
    }
}

impl CallStore for MemoryCalls {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        let mut memory = self.lock();
        memory.refuse_if_failing()?;
        let id = format!("call-{:04}", memory.calls.len() + 1);
        memory.calls.insert(
            id.clone(),
            MemoryCall {
                events: vec![first.clone()],
                finished: false,
            },
        );
        memory.listed = None;
        Ok(id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        let mut memory = self.lock();
        memory.refuse_if_failing()?;
        let stored = memory
            .calls
            .get_mut(call)
            .ok_or_else(|| CallsError::NoSuchCall(call.to_owned()))?;
        if stored.events.len() != seq {
            return Err(CallsError::Conflict {
                call: call.to_owned(),
                expected: seq,
                actual: stored.events.len(),
            });
        }
        stored.events.extend_from_slice(events);
        if events.iter().any(Event::reopens) {
            stored.finished = false;
        }
        memory.listed = None;
        Ok(())
    }

    fn finish(&mut self, call: &str, _outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        let mut memory = self.lock();
        memory.refuse_if_failing()?;
        if let Some(stored) = memory.calls.get_mut(call) {
            stored.finished = true;
        }
        memory.listed = None;
        Ok(())
    }
}

impl AgentCalls for MemoryCalls {
    fn store(&self) -> Box<dyn CallStore> {
        Box::new(self.clone())
    }

    fn unfinished(&mut self) -> Result<Arc<Vec<StoredCall>>, CallsError> {
        let mut memory = self.lock();
        if let Some(listed) = &memory.listed {
            return Ok(Arc::clone(listed));
        }
        let listed = Arc::new(
            memory
                .calls
                .iter()
                .filter(|(_, call)| !call.finished)
                .map(|(id, call)| StoredCall {
                    id: id.clone(),
                    events: call.events.clone(),
                    problem: None,
                })
                .collect::<Vec<_>>(),
        );
        memory.listed = Some(Arc::clone(&listed));
        Ok(listed)
    }

    fn reopen(&mut self, call: &str) -> Result<Vec<Event>, CallsError> {
        self.lock()
            .calls
            .get(call)
            .map(|c| c.events.clone())
            .ok_or_else(|| CallsError::NoSuchCall(call.to_owned()))
    }

    fn set_aside(&mut self, call: &str) -> Result<(), CallsError> {
        self.finish(call, None)
    }
}
