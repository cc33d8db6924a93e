//! A call a host is playing: its session, kept alive between keypresses and requests, and the
//! store its events go to. [`Call::record`] is the one path from a person's input to a stored
//! event, for every host:
//!
//! 1. the session works the step out by its rules (refused: nothing happens);
//! 2. the store keeps its events durably (failed: nothing happens, the session is as it was);
//! 3. only then does the session move on, and the host shows the new step.
//!
//! A host that must not stop a live call when its disk fails (the desktop app) uses
//! [`Call::record_or_keep`] instead: the step is applied and its events are kept in memory,
//! counted by [`Call::unsaved`], until [`Call::flush`] stores them. The host says so, plainly
//! and for as long as it lasts.

use std::sync::Arc;

use calltree_engine::{Given, Millis, Project, Session, Step, Summary, TreeId, View};
use calltree_syntax::Audience;

use crate::error::CallsError;
use crate::store::{CallId, CallStore};

/// A call being played, with where its events are kept.
pub struct Call<S = Box<dyn CallStore>> {
    id: CallId,
    session: Session,
    store: S,
    /// Events at the end of the log that the store has not kept yet.
    unsaved: usize,
}

/// A value handed in as `name=value` (a command line's `--set`, a phone system's screen-pop):
/// the name is trimmed, the value kept as typed (an answer's checks trim it). `None` when
/// there is no `=` or no name before it.
pub fn given_value(text: &str) -> Option<Given> {
    let (field, value) = text.split_once('=')?;
    let field = field.trim();
    if field.is_empty() {
        return None;
    }
    Some(Given {
        field: field.to_owned(),
        value: value.to_owned(),
    })
}

/// What one recorded step did.
#[derive(Debug)]
pub struct Recorded {
    /// How many events were stored (none when the step changed nothing).
    pub events: usize,
    /// The call ended with this step.
    pub finished: bool,
    /// The store failed: the step was applied anyway and its events wait in memory
    /// ([`Call::record_or_keep`] only).
    pub kept: bool,
    /// The events are stored, but marking the call finished failed: the call may still be
    /// listed as unfinished.
    pub warning: Option<CallsError>,
}

impl<S: CallStore> Call<S> {
    /// Starts a call: its `Started` event is stored before the call exists.
    pub fn start(
        project: Arc<Project>,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        store: S,
    ) -> Result<Self, CallsError> {
        Call::start_with(project, tree, audience, at, Vec::new(), store)
    }

    /// Starts a call with values handed in for the tree's `given` fields (see
    /// [`given_value`]): checked as answers are, and refused, with nothing stored, when one
    /// does not fit.
    pub fn start_with(
        project: Arc<Project>,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        given: Vec<Given>,
        store: S,
    ) -> Result<Self, CallsError> {
        Call::start_in_locale(project, tree, audience, at, given, None, store)
    }

    /// Starts a call as [`Call::start_with`] does, shown in `locale` and keeping it in the
    /// stored `Started` event. `project` is the project already in that language
    /// (`Project::in_locale`).
    pub fn start_in_locale(
        project: Arc<Project>,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        given: Vec<Given>,
        locale: Option<String>,
        mut store: S,
    ) -> Result<Self, CallsError> {
        let session = Session::start_in_locale(project, tree, audience, at, given, locale)?;
        let id = store.begin(&session.log()[0])?;
        Ok(Call {
            id,
            session,
            store,
            unsaved: 0,
        })
    }

    /// A call whose events are already stored under `id`, continued from them.
    pub fn resume(
        id: CallId,
        project: Arc<Project>,
        events: Vec<calltree_engine::Event>,
        store: S,
    ) -> Result<Self, CallsError> {
        let session = Session::resume(project, events)?;
        Ok(Call {
            id,
            session,
            store,
            unsaved: 0,
        })
    }

    /// A call from a session whose events are all stored under `id`.
    pub fn open(id: CallId, session: Session, store: S) -> Self {
        Call {
            id,
            session,
            store,
            unsaved: 0,
        }
    }

    /// Plays one step: worked out, stored, and only then applied. On any error the call is
    /// exactly as it was. Events kept in memory by an earlier [`Call::record_or_keep`] are
    /// stored first.
    pub fn record(&mut self, step: &Step, at: Millis) -> Result<Recorded, CallsError> {
        self.flush()?;
        let submission = self.session.submit(step, at)?;
        if submission.events().is_empty() {
            return Ok(self.recorded(0, false, None));
        }
        let seq = self.session.log().len();
        self.store.append(&self.id, seq, submission.events())?;
        let events = submission.events().len();
        self.session.commit(submission)?;
        let warning = self.mark_finished();
        Ok(self.recorded(events, false, warning))
    }

    /// Plays one step like [`Call::record`], but when the store fails the step is applied
    /// anyway and its events are kept in memory (`kept`, with the failure as the warning)
    /// until a later `record`, `record_or_keep` or [`Call::flush`] stores them. A refused
    /// step is still an error and changes nothing.
    pub fn record_or_keep(&mut self, step: &Step, at: Millis) -> Result<Recorded, CallsError> {
        let earlier = self.flush().err();
        let submission = self.session.submit(step, at)?;
        let events = submission.events().len();
        if events == 0 {
            return Ok(self.recorded(0, earlier.is_some(), earlier));
        }
        let seq = self.session.log().len();
        let stored = if earlier.is_some() {
            earlier
        } else {
            self.store.append(&self.id, seq, submission.events()).err()
        };
        self.session.commit(submission)?;
        match stored {
            None => {
                let warning = self.mark_finished();
                Ok(self.recorded(events, false, warning))
            }
            Some(failure) => {
                self.unsaved += events;
                Ok(self.recorded(events, true, Some(failure)))
            }
        }
    }

    /// Stores the events kept in memory, if any; returns how many were stored.
    pub fn flush(&mut self) -> Result<usize, CallsError> {
        if self.unsaved == 0 {
            return Ok(0);
        }
        let log = self.session.log();
        let first = log.len() - self.unsaved;
        self.store.append(&self.id, first, &log[first..])?;
        let stored = self.unsaved;
        self.unsaved = 0;
        if let Some(warning) = self.mark_finished() {
            return Err(warning);
        }
        Ok(stored)
    }

    /// How many events the call has that the store has not kept yet.
    pub fn unsaved(&self) -> usize {
        self.unsaved
    }

    /// Tells the store a finished call is finished; a failure only means it may still be
    /// listed as unfinished, so it comes back as a warning.
    fn mark_finished(&mut self) -> Option<CallsError> {
        if !self.session.is_finished() {
            return None;
        }
        let outcome = self
            .session
            .state()
            .ending
            .as_ref()
            .and_then(|ending| ending.outcome.as_ref())
            .map(|outcome| outcome.kind);
        self.store.finish(&self.id, outcome).err()
    }

    fn recorded(&self, events: usize, kept: bool, warning: Option<CallsError>) -> Recorded {
        Recorded {
            events,
            finished: self.session.is_finished(),
            kept,
            warning,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn project(&self) -> &Arc<Project> {
        self.session.shared_project()
    }

    pub fn view(&self) -> View {
        self.session.view()
    }

    /// The view at the host's `now`: conditions on time count up to it (see
    /// `Session::view_at`).
    pub fn view_at(&self, now: Millis) -> View {
        self.session.view_at(now)
    }

    pub fn summary(&self) -> Summary {
        self.session.summary()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The call's parts, for a host that keeps the session and the store apart.
    pub fn into_parts(self) -> (CallId, Session, S) {
        (self.id, self.session, self.store)
    }
}
