//! Where calls are kept: every event is handed to a store before the screen moves on, so a
//! crash or a power cut loses nothing. The binary stores calls in files (synced to disk on
//! every event); tests use the in-memory store.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::error::EditorError;
use calltree_engine::Event;

/// A call's key in its store.
pub type CallId = String;

/// Durable storage for calls in progress and finished.
pub trait CallStore {
    /// Stores a new call's first event and returns its key.
    fn begin(&mut self, first: &Event) -> Result<CallId, EditorError>;
    /// Appends one event; returns only once the event is safe.
    fn append(&mut self, call: &CallId, event: &Event) -> Result<(), EditorError>;
    /// Marks a call as finished, so it is not offered for resuming.
    fn finish(&mut self, call: &CallId) -> Result<(), EditorError>;
    /// Calls started but not finished, with their events, oldest first.
    fn unfinished(&self) -> Vec<(CallId, Vec<Event>)>;
}

/// Calls kept in memory, shared between clones: dropping an app and building a new one on
/// the same store is how tests simulate a crash and a restart.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    calls: Rc<RefCell<BTreeMap<CallId, StoredCall>>>,
}

#[derive(Debug, Clone, Default)]
struct StoredCall {
    events: Vec<Event>,
    finished: bool,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Every event of a call, for tests to inspect.
    pub fn events(&self, call: &str) -> Vec<Event> {
        self.calls
            .borrow()
            .get(call)
            .map(|stored| stored.events.clone())
            .unwrap_or_default()
    }

    pub fn call_ids(&self) -> Vec<CallId> {
        self.calls.borrow().keys().cloned().collect()
    }
}

impl CallStore for MemoryStore {
    fn begin(&mut self, first: &Event) -> Result<CallId, EditorError> {
        let mut calls = self.calls.borrow_mut();
        let id = format!("call-{:04}", calls.len() + 1);
        calls.insert(
            id.clone(),
            StoredCall {
                events: vec![first.clone()],
                finished: false,
            },
        );
        Ok(id)
    }

    fn append(&mut self, call: &CallId, event: &Event) -> Result<(), EditorError> {
        let mut calls = self.calls.borrow_mut();
        let stored = calls
            .get_mut(call)
            .ok_or_else(|| EditorError::CallWrite(format!("there is no call `{call}`")))?;
        stored.events.push(event.clone());
        Ok(())
    }

    fn finish(&mut self, call: &CallId) -> Result<(), EditorError> {
        if let Some(stored) = self.calls.borrow_mut().get_mut(call) {
            stored.finished = true;
        }
        Ok(())
    }

    fn unfinished(&self) -> Vec<(CallId, Vec<Event>)> {
        self.calls
            .borrow()
            .iter()
            .filter(|(_, stored)| !stored.finished)
            .map(|(id, stored)| (id.clone(), stored.events.clone()))
            .collect()
    }
}
