//! Event-sourced sessions: a call is its log of events, and its state is a fold over them.
//!
//! Hosts supply every event with its timestamp and store the log; the engine only folds.
//! Replaying a stored log therefore rebuilds exactly the state the call had, `Back` is exact
//! (the fold simply leaves the undone step out), and a log started on another version of a
//! tree is refused instead of being mixed with the new one.
//!
//! A session holds its project through any pointer to one (`P: Deref<Target = Project>`): an
//! `Arc<Project>` for hosts, which keep a session alive across frames and requests, or a plain
//! `&Project` for the engine's own walks and tests.
//!
//! - `event.rs`: the events and their JSON line.
//! - `state.rs`: the state and the fold.
//! - `step.rs`: the step protocol — what a person did at one step, turned into events.
//! - `visits.rs`: the sparse visit counts.

mod event;
mod state;
mod step;
mod visits;

use std::ops::Deref;
use std::sync::Arc;

use calltree_syntax::Audience;

use crate::error::SessionError;
use crate::model::{Exit, TreeId};
use crate::project::Project;

pub use event::{EVENT_NAMES, EndCause, Event, Given, Millis};
pub use state::{AnswerGiven, Ending, Frame, Left, Note, Skip, State, Visit};
pub(crate) use state::{
    AsOf, MAX_AUTOMATIC_HOPS, display, input_text, parse_answer, render, render_into,
};
pub use step::{
    ANSWER_NEEDED, Action, MAX_ANSWER_CHARS, MAX_NOTE_CHARS, Preview, Step, Submission,
};
pub use visits::Visits;

thread_local! {
    /// Folds from a log's start on this thread; see [`folds_on_this_thread`].
    static FOLDS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A call in progress (or finished): its log and the state the log folds to.
#[derive(Debug, Clone)]
pub struct Session<P = Arc<Project>> {
    project: P,
    log: Vec<Event>,
    state: State,
}

impl<P: Deref<Target = Project>> Session<P> {
    /// Starts a call on a tree. The returned session's log holds the `Started` event.
    pub fn start(
        project: P,
        tree: TreeId,
        audience: Audience,
        at: Millis,
    ) -> Result<Self, SessionError> {
        Session::start_with(project, tree, audience, at, Vec::new())
    }

    /// Starts a call with values handed in for the tree's `given` fields (a phone system's
    /// screen-pop, a link's query). Each is checked as an answer would be, and a required
    /// given field must be among them; they are kept in the `Started` event.
    pub fn start_with(
        project: P,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        given: Vec<Given>,
    ) -> Result<Self, SessionError> {
        Session::start_in_locale(project, tree, audience, at, given, None)
    }

    /// Starts a call as [`Session::start_with`] does, shown in `locale` (kept in the
    /// `Started` event). The project is the one already in that language
    /// ([`Project::in_locale`]): a locale changes the words, never the call.
    pub fn start_in_locale(
        project: P,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        given: Vec<Given>,
        locale: Option<String>,
    ) -> Result<Self, SessionError> {
        let name = project.tree(tree).name.clone();
        // Folding the one-event log would look the tree up by its name and compare the
        // version just written with itself; where the name leads back to this tree, the
        // state is begun directly, as the fold would begin it.
        let begun = if project.tree_by_name(&name) == Some(tree) {
            count_fold();
            Some(State::begin_with(&project, tree, audience, at, &given)?)
        } else {
            None
        };
        let started = Event::Started {
            tree: name,
            version: project.session_hash(tree),
            audience,
            at,
            given,
            locale: locale.map(Box::new),
        };
        let Some(state) = begun else {
            return Session::resume(project, vec![started]);
        };
        let mut log = Vec::with_capacity(state::PATH_ROOM);
        log.push(started);
        Ok(Session {
            project,
            log,
            state,
        })
    }

    /// The language the call is shown in, as its `Started` event says; `None` for the
    /// tree's own.
    pub fn locale(&self) -> Option<&str> {
        match self.log.first() {
            Some(Event::Started { locale, .. }) => locale.as_deref().map(String::as_str),
            _ => None,
        }
    }

    /// Rebuilds a call from its stored log, refusing a log from another version of the tree.
    pub fn resume(project: P, log: Vec<Event>) -> Result<Self, SessionError> {
        count_fold();
        let state = state::fold(&project, &log)?;
        Ok(Session {
            project,
            log,
            state,
        })
    }

    /// Applies one event. On error the session is exactly as it was.
    ///
    /// Hosts playing a person's input use [`Session::submit`] instead, which also applies the
    /// rules about what a person may enter; `apply` is for events already decided on (walks,
    /// tests, generated sessions).
    pub fn apply(&mut self, event: Event) -> Result<(), SessionError> {
        if matches!(event, Event::Started { .. }) {
            return Err(SessionError::AlreadyStarted);
        }
        self.state.apply(&self.project, &event)?;
        self.log.push(event);
        Ok(())
    }

    pub fn log(&self) -> &[Event] {
        &self.log
    }

    /// The event for choosing option `index` of the current step, labelled as the tree
    /// words it (the label in the log lets a reader follow it without the tree). `None`
    /// when the step has no such option.
    pub fn choice(&self, index: u16, at: Millis) -> Option<Event> {
        choice(&self.project, &self.state, index, at)
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The pointer to the project the session runs on, to share it.
    pub fn shared_project(&self) -> &P {
        &self.project
    }

    pub fn is_finished(&self) -> bool {
        self.state.ending.is_some()
    }

    /// Every answered field by name, with its answer as it would be typed again: what one
    /// call can hand to another (a wrong script, a transfer).
    pub fn answers(&self) -> Vec<(String, String)> {
        let project: &Project = &self.project;
        self.state
            .answered
            .iter()
            .filter_map(|slot| {
                let variable = self
                    .state
                    .declaration(project, *slot)
                    .or_else(|| project.declaration(self.state.tree, *slot))?;
                let text = input_text(variable, &self.state.values[slot.index()])?;
                Some((project.slot_name(*slot).to_owned(), text))
            })
            .collect()
    }

    /// The same session, keeping nothing for `Back` from now on (it is refused as if there
    /// were nothing to go back to): for walks, which only go forward and hold many sessions.
    pub(crate) fn without_back(mut self) -> Self {
        self.state.undo.forget();
        self
    }

    /// Whether `Back` would do anything.
    pub fn can_go_back(&self) -> bool {
        self.state.can_go_back()
    }
}

pub(crate) fn choice(project: &Project, state: &State, index: u16, at: Millis) -> Option<Event> {
    let Exit::Options(options) = &project.node(state.node).exit else {
        return None;
    };
    let option = options.get(usize::from(index))?;
    Some(Event::Chose {
        option: index,
        label: option.label.source.clone(),
        at,
    })
}

/// How many times this thread has folded a log from its start (a resume; `Back` and
/// take-overs step back without folding). Hosts' tests use it to
/// prove that a keypress or a redraw folds no more than it must; counting is one thread-local
/// add per fold, which no host notices.
pub fn folds_on_this_thread() -> u64 {
    FOLDS.with(std::cell::Cell::get)
}

fn count_fold() {
    FOLDS.with(|folds| folds.set(folds.get() + 1));
}
