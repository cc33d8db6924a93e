//! A call a host is playing: its session, kept alive between keypresses and requests, and the
//! store its events go to. [`Call::record`] is the one path from a person's input to a stored
//! event, for every host:
//!
//! 1. the session works the step out by its rules (refused: nothing happens);
//! 2. the store keeps its events durably (failed: nothing happens, the session is as it was);
//! 3. only then does the session move on, and the host shows the new step.

use std::sync::Arc;

use calltree_engine::{Millis, Project, Session, Step, Summary, TreeId, View};
use calltree_syntax::Audience;

use crate::error::CallsError;
use crate::store::{CallId, CallStore};

/// A call being played, with where its events are kept.
pub struct Call<S = Box<dyn CallStore>> {
    id: CallId,
    session: Session,
    store: S,
}

/// What one recorded step did.
#[derive(Debug)]
pub struct Recorded {
    /// How many events were stored (none when the step changed nothing).
    pub events: usize,
    /// The call ended with this step.
    pub finished: bool,
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
        mut store: S,
    ) -> Result<Self, CallsError> {
        let session = Session::start(project, tree, audience, at)?;
        let id = store.begin(&session.log()[0])?;
        Ok(Call { id, session, store })
    }

    /// A call whose events are already stored under `id`, continued from them.
    pub fn resume(
        id: CallId,
        project: Arc<Project>,
        events: Vec<calltree_engine::Event>,
        store: S,
    ) -> Result<Self, CallsError> {
        let session = Session::resume(project, events)?;
        Ok(Call { id, session, store })
    }

    /// A call from a session whose events are all stored under `id`.
    pub fn open(id: CallId, session: Session, store: S) -> Self {
        Call { id, session, store }
    }

    /// Plays one step: worked out, stored, and only then applied. On any error the call is
    /// exactly as it was.
    pub fn record(&mut self, step: &Step, at: Millis) -> Result<Recorded, CallsError> {
        let submission = self.session.submit(step, at)?;
        if submission.events().is_empty() {
            return Ok(Recorded {
                events: 0,
                finished: self.session.is_finished(),
                warning: None,
            });
        }
        let seq = self.session.log().len();
        self.store.append(&self.id, seq, submission.events())?;
        let events = submission.events().len();
        self.session.commit(submission)?;
        let finished = self.session.is_finished();
        let warning = if finished {
            let outcome = self
                .session
                .state()
                .ending
                .as_ref()
                .and_then(|ending| ending.outcome.as_ref())
                .map(|outcome| outcome.kind);
            self.store.finish(&self.id, outcome).err()
        } else {
            None
        };
        Ok(Recorded {
            events,
            finished,
            warning,
        })
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
