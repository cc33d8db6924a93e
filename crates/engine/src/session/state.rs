//! The state of a call and the fold that builds it from events: what each event does (answer,
//! choose, continue, route, call and return from sub-trees, end), how `Back` undoes a step, and
//! how answers and templates turn into values and text.

use calltree_syntax::Audience;
use serde::Serialize;

use super::event::{EndCause, Event, Given, Millis};
use super::visits::Visits;

use crate::error::SessionError;
use crate::expr::Env;
use crate::model::{
    Assignment, Exit, NodeId, Outcome, OutcomeKind, Slot, Template, TemplatePart, TreeId, Variable,
    VariableKind,
};
use crate::project::Project;
use crate::value::{Date, Type, Value, format_number, push_whole_number, whole_number};

/// Room made at the start for the steps of a short call (a path, a log, what `Back` keeps),
/// so that the first steps do not each grow a vector; a longer call grows them as usual.
pub(super) const PATH_ROOM: usize = 32;

/// Routing that hops more often than this without stopping is refused as a loop.
pub(crate) const MAX_AUTOMATIC_HOPS: usize = 10_000;

/// A tree being run: the root tree, or a sub-tree and the node to come back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub tree: TreeId,
    pub then: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub node: NodeId,
    pub at: Millis,
    /// At a routing node, the line that sent the call on: the position of its `if` among the
    /// node's routes, or their number for `else`. Coverage counts these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<u16>,
    /// Set when the node was passed over on arrival: the position of the entry skip that
    /// held. Nothing of the node was shown or run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<u16>,
    /// How the call left the step, once it has: what the summary says was done there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<Left>,
}

/// How a call moved on from a step it stopped at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "by")]
pub enum Left {
    /// The option at this position was chosen.
    Chose {
        option: u16,
    },
    Continued,
    /// Skipped, with the reason given.
    Skipped {
        reason: String,
    },
}

/// One answer as it was given, at the step (the position in the path) it was given at.
/// (Not to be confused with `Given`, a value handed in when the call started.)
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerGiven {
    pub visit: usize,
    pub slot: Slot,
    pub value: Value,
}

impl Visit {
    /// Whether the call stopped here to show the node (not passed over by an entry skip).
    pub fn shown(&self) -> bool {
        self.passed.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub text: String,
    pub node: NodeId,
    pub at: Millis,
    /// Written by the agent, rather than by a node's note template.
    pub by_agent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub node: NodeId,
    pub reason: String,
    pub at: Millis,
}

/// How the call finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ending {
    /// `None` when a sub-tree run on its own returned.
    pub outcome: Option<Outcome>,
    /// The reason given for an escalation from a step, or for ending early.
    pub reason: Option<String>,
    /// Why the host ended the call, when it did (not the tree, not an escalation).
    pub cause: Option<EndCause>,
    pub node: NodeId,
    pub at: Millis,
}

impl Ending {
    /// Whether the tree itself ended the call (an ending node, or a sub-tree returning),
    /// rather than an escalation from a step or the host.
    pub fn by_the_tree(&self) -> bool {
        self.reason.is_none() && self.cause.is_none()
    }
}

/// Everything known about a call at one moment. A pure function of the events so far.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub tree: TreeId,
    pub audience: Audience,
    /// The trees being run, the root first.
    pub frames: Vec<Frame>,
    /// Where the call is now.
    pub node: NodeId,
    /// Field and flag values by slot.
    pub values: Vec<Value>,
    /// How many times each node reached in this call was reached (sparse: starting a call
    /// costs nothing per node of the project).
    pub visits: Visits,
    pub path: Vec<Visit>,
    pub notes: Vec<Note>,
    pub skips: Vec<Skip>,
    /// Fields in the order they were first answered, for the summary.
    pub answered: Vec<Slot>,
    /// Every answer in the order given, with the step it was given at: the summary's steps.
    pub answers: Vec<AnswerGiven>,
    pub ending: Option<Ending>,
    /// Set when the tree itself is broken at this point (a route to nowhere).
    pub stuck: Option<String>,
    pub started_at: Millis,
    pub last_at: Millis,
    /// How to take the steps in force back.
    pub(crate) undo: Undo,
}

impl Env for State {
    fn value(&self, slot: Slot) -> &Value {
        &self.values[slot.index()]
    }

    fn visits(&self, node: NodeId) -> u32 {
        self.visits.get(node)
    }

    fn minutes_in_call(&self) -> f64 {
        minutes(self.last_at - self.started_at)
    }

    fn minutes_at_step(&self) -> f64 {
        let arrived = self.path.last().map_or(self.started_at, |visit| visit.at);
        minutes(self.last_at - arrived)
    }
}

/// A state read as of a moment after its latest event: a host showing a step now, when time
/// has passed since anything happened, shows greyed-out options as they would be chosen now.
pub(crate) struct AsOf<'s> {
    pub state: &'s State,
    pub now: Millis,
}

impl AsOf<'_> {
    fn now(&self) -> Millis {
        self.now.max(self.state.last_at)
    }
}

impl Env for AsOf<'_> {
    fn value(&self, slot: Slot) -> &Value {
        self.state.value(slot)
    }

    fn visits(&self, node: NodeId) -> u32 {
        self.state.visits(node)
    }

    fn minutes_in_call(&self) -> f64 {
        minutes(self.now() - self.state.started_at)
    }

    fn minutes_at_step(&self) -> f64 {
        let state = self.state;
        let arrived = state.path.last().map_or(state.started_at, |visit| visit.at);
        minutes(self.now() - arrived)
    }
}

/// Whole and part minutes in a span of milliseconds; never negative, so a host clock that
/// stepped back does not make a call younger than it started.
fn minutes(span: Millis) -> f64 {
    span.max(0) as f64 / 60_000.0
}

/// Folds a log into the state it describes.
pub(super) fn fold<'e>(
    project: &Project,
    log: impl IntoIterator<Item = &'e Event>,
) -> Result<State, SessionError> {
    let mut log = log.into_iter();
    let Some(Event::Started {
        tree,
        version,
        audience,
        at,
        given,
        ..
    }) = log.next()
    else {
        return Err(SessionError::NotStarted);
    };
    let tree_id = project
        .tree_by_name(tree)
        .ok_or_else(|| SessionError::UnknownTree(tree.clone()))?;
    let current = project.session_hash(tree_id);
    if *version != current {
        return Err(SessionError::VersionMismatch {
            tree: tree.clone(),
            logged: short(version),
            current: short(&current),
        });
    }
    let mut state = State::begin_with(project, tree_id, *audience, *at, given)?;
    for event in log {
        state.apply(project, event)?;
    }
    Ok(state)
}

/// What `Back` needs to take steps back without folding the log again: where the state
/// stood before each step still in force, and every slot value as it was before it was
/// overwritten. Folding a log whose `Back`s each replayed what was in force cost the square
/// of its length (a 228 KB log took a quarter of a second; a long call with many `Back`s, far
/// more); taking a step back now costs what the step did.
///
/// It is part of the state, and a function of the events in force like the rest of it: the
/// same events give the same record, however many `Back`s led there.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Undo {
    /// Off for sessions that never go back (walks), which then keep nothing for it.
    forgetting: bool,
    /// Before each step still in force, the latest last.
    marks: Vec<Mark>,
    /// Slot values as they were before each write, the latest last.
    overwritten: Vec<(Slot, Value)>,
    /// The notes and take-overs since each step in force, which `Back` keeps (answers it
    /// drops); each mark says where its own begin. One list for all marks rather than one per
    /// mark keeps a mark small: one is made for every step.
    since: Vec<Event>,
}

impl Undo {
    /// Stops keeping anything for `Back` and drops what was kept: a walk explores forward
    /// only, and what `Back` keeps would double the memory of the sessions it holds.
    pub(crate) fn forget(&mut self) {
        *self = Undo {
            forgetting: true,
            ..Undo::default()
        };
    }

    /// Roughly the memory it holds, for walks that budget the sessions they keep.
    pub(crate) fn footprint(&self) -> usize {
        size_of_val(self.marks.as_slice())
            + size_of_val(self.overwritten.as_slice())
            + size_of_val(self.since.as_slice())
    }

    /// Keeps a note or a take-over made since the latest step in force, if there is one.
    fn keep_since(&mut self, event: Event) {
        if !self.marks.is_empty() {
            self.since.push(event);
        }
    }
}

/// The state just before a step that moved the call. The growing lists are kept as lengths
/// (`u32`, which no call's lists come near, so that a mark, made on every step, stays small):
/// everything past them came from the step or after it.
#[derive(Debug, Clone, PartialEq)]
struct Mark {
    audience: Audience,
    /// How many trees were being run; a step calls or returns from at most one.
    frames: u32,
    /// The tree the step returned from, if it did, to run again.
    returned_from: Option<Frame>,
    node: NodeId,
    path: u32,
    notes: u32,
    skips: u32,
    answered: u32,
    answers: u32,
    overwritten: u32,
    /// Where the notes and take-overs since the step begin in `Undo::since`.
    since: u32,
    stuck: Option<String>,
    last_at: Millis,
}

/// A list's length as a mark keeps it.
fn length(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// A length a mark kept, to cut a list back to.
fn cut_at(len: u32) -> usize {
    len as usize
}

fn short(version: &str) -> String {
    version.chars().take(12).collect()
}

impl State {
    #[cfg(test)]
    pub(super) fn begin(
        project: &Project,
        tree: TreeId,
        audience: Audience,
        at: Millis,
    ) -> Result<State, SessionError> {
        State::begin_with(project, tree, audience, at, &[])
    }

    pub(super) fn begin_with(
        project: &Project,
        tree: TreeId,
        audience: Audience,
        at: Millis,
        given: &[Given],
    ) -> Result<State, SessionError> {
        let root = project.tree(tree);
        if !root.serves(audience) {
            return Err(SessionError::WrongAudience {
                tree: root.name.clone(),
                audience: audience.name().to_owned(),
            });
        }
        let start = root.start.ok_or_else(|| SessionError::NoStart {
            tree: root.name.clone(),
        })?;
        let mut state = State {
            tree,
            audience,
            frames: vec![Frame { tree, then: None }],
            node: start,
            values: vec![Value::Unset; project.slot_count()],
            visits: Visits::default(),
            path: Vec::with_capacity(PATH_ROOM),
            notes: Vec::new(),
            skips: Vec::new(),
            answered: Vec::new(),
            answers: Vec::new(),
            ending: None,
            stuck: None,
            started_at: at,
            last_at: at,
            // What the start writes (defaults, given values, the first node's `set`s) is
            // never taken back: `Back` stops at the first step. So none of it is recorded.
            undo: Undo {
                forgetting: true,
                ..Undo::default()
            },
        };
        state.apply_defaults(project, tree);
        state.hand_in(project, tree, given)?;
        state.arrive(project, start, at);
        state.undo.forgetting = false;
        Ok(state)
    }

    /// Fills the `given` fields of the root tree and the sub-trees it calls with what the host
    /// handed in, each checked as an answer; a required one of the root that was not handed
    /// in refuses the start. They count as answered, so the summary and a handover carry them.
    fn hand_in(
        &mut self,
        project: &Project,
        tree: TreeId,
        given: &[Given],
    ) -> Result<(), SessionError> {
        let root = project.tree(tree);
        // A sub-tree's `given` field can be handed in too: the phone system knows the account
        // number whichever tree of the call asks for it. The root's own declaration wins.
        for Given { field, value } in given {
            let variable = root
                .variable_named(field)
                .or_else(|| {
                    project
                        .call_closure(tree)
                        .into_iter()
                        .filter_map(|t| project.tree(t).variable_named(field))
                        .find(|v| v.given)
                })
                .ok_or(SessionError::NotGiven {
                    field: field.clone(),
                    reason: "neither the tree nor a sub-tree it calls has a field of that name",
                })?;
            if !variable.given {
                return Err(SessionError::NotGiven {
                    field: field.clone(),
                    reason: "the tree does not mark it `given`",
                });
            }
            let parsed =
                parse_answer(variable, value).map_err(|reason| SessionError::InvalidAnswer {
                    field: field.clone(),
                    label: variable.shown_label().to_owned(),
                    reason,
                })?;
            self.write(variable.slot, parsed);
            if !self.answered.contains(&variable.slot) {
                self.answered.push(variable.slot);
            }
        }
        if let Some((_, missing)) = project
            .required_given(tree)
            .find(|(_, v)| !self.values[v.slot.index()].is_set())
        {
            return Err(SessionError::GivenMissing {
                field: missing.name.clone(),
                label: missing.shown_label().to_owned(),
            });
        }
        Ok(())
    }

    /// A tree's defaults fill the slots that have no value yet: a sub-tree never overwrites
    /// what its caller already knows.
    fn apply_defaults(&mut self, project: &Project, tree: TreeId) {
        for variable in &project.tree(tree).variables {
            if !self.values[variable.slot.index()].is_set() {
                self.write(variable.slot, variable.default.clone());
            }
        }
    }

    /// The tree the call is in now.
    pub fn current_tree(&self) -> TreeId {
        self.frames.last().map_or(self.tree, |f| f.tree)
    }

    /// Applies one event, `Back` and take-overs included. On error the state is as it was.
    pub(super) fn apply(&mut self, project: &Project, event: &Event) -> Result<(), SessionError> {
        match event {
            Event::Back { .. } => self.back(project),
            Event::TakenOver { at } => self.take_over(project, *at),
            event if event.moves() => {
                if self.ending.is_some() {
                    return Err(SessionError::Ended);
                }
                if self.undo.forgetting {
                    return self.apply_once(project, event);
                }
                let mark = self.mark();
                if self.undo.marks.capacity() == 0 {
                    self.undo.marks.reserve(PATH_ROOM);
                }
                self.undo.marks.push(mark);
                let applied = self.apply_once(project, event);
                if applied.is_err() {
                    self.undo.marks.pop();
                }
                applied
            }
            event => {
                self.apply_once(project, event)?;
                if let Event::Noted { .. } = event {
                    self.undo.keep_since(event.clone());
                }
                Ok(())
            }
        }
    }

    /// Whether `Back` would do anything.
    pub fn can_go_back(&self) -> bool {
        !self.undo.marks.is_empty()
    }

    /// Where the state stands now, to come back to with `Back`.
    fn mark(&self) -> Mark {
        // Every field is named, so that a new one has to be given its place in `Back`.
        let State {
            tree: _,
            audience,
            frames,
            node,
            values: _,
            visits: _,
            path,
            notes,
            skips,
            answered,
            answers,
            // A call that has ended takes no more steps, so there is never an ending to keep.
            ending: _,
            stuck,
            started_at: _,
            last_at,
            undo,
        } = self;
        Mark {
            audience: *audience,
            frames: length(frames.len()),
            returned_from: None,
            node: *node,
            path: length(path.len()),
            notes: length(notes.len()),
            skips: length(skips.len()),
            answered: length(answered.len()),
            answers: length(answers.len()),
            overwritten: length(undo.overwritten.len()),
            since: length(undo.since.len()),
            stuck: stuck.clone(),
            last_at: *last_at,
        }
    }

    /// Takes back the last step in force and the answers given after it; notes and
    /// take-overs stay, as if the step had never been taken.
    fn back(&mut self, project: &Project) -> Result<(), SessionError> {
        let mark = self.undo.marks.pop().ok_or(SessionError::NothingToUndo)?;
        let Mark {
            audience,
            frames,
            returned_from,
            node,
            path,
            notes,
            skips,
            answered,
            answers,
            overwritten,
            since,
            stuck,
            last_at,
        } = mark;
        // Each visit added one to its node's count; nothing else changes the counts.
        for visit in self.path.drain(cut_at(path)..) {
            self.visits.remove(visit.node);
        }
        for (slot, old) in self.undo.overwritten.drain(cut_at(overwritten)..).rev() {
            self.values[slot.index()] = old;
        }
        let since = self
            .undo
            .since
            .split_off(cut_at(since).min(self.undo.since.len()));
        self.notes.truncate(cut_at(notes));
        self.skips.truncate(cut_at(skips));
        self.answered.truncate(cut_at(answered));
        self.answers.truncate(cut_at(answers));
        // The step taken back left the visit it was taken from: it has not been left now.
        if let Some(visit) = self.path.last_mut() {
            visit.left = None;
        }
        self.frames.truncate(cut_at(frames));
        self.frames.extend(returned_from);
        self.audience = audience;
        self.node = node;
        self.ending = None;
        self.stuck = stuck;
        self.last_at = last_at;
        // They were applied once on a state like this one, so they apply again: a note
        // never fails and the take-over's tree was checked then.
        for event in &since {
            self.apply(project, event)?;
        }
        Ok(())
    }

    /// Sets a slot, remembering what it held for `Back`.
    fn write(&mut self, slot: Slot, value: Value) {
        let old = std::mem::replace(&mut self.values[slot.index()], value);
        if !self.undo.forgetting {
            self.undo.overwritten.push((slot, old));
        }
    }

    fn apply_once(&mut self, project: &Project, event: &Event) -> Result<(), SessionError> {
        #[cfg(test)]
        tests::APPLIED.with(|applied| applied.set(applied.get() + 1));
        if self.ending.is_some() && !matches!(event, Event::Noted { .. }) {
            return Err(SessionError::Ended);
        }
        let at = event.at();
        // Conditions worked out by this event (a guard, a route on arrival) read the time it
        // happened; a refused event leaves the state as it was, time included.
        let before = self.last_at;
        self.last_at = at;
        let applied = self.apply_timed(project, event, at);
        if applied.is_err() {
            self.last_at = before;
        }
        applied
    }

    fn apply_timed(
        &mut self,
        project: &Project,
        event: &Event,
        at: Millis,
    ) -> Result<(), SessionError> {
        match event {
            Event::Answered { field, value, .. } => self.answer(project, field, value)?,
            Event::Chose { option, label, .. } => {
                let from = self.path.len().saturating_sub(1);
                self.choose(project, *option, label, at)?;
                self.left(from, Left::Chose { option: *option });
            }
            Event::Continued { .. } => {
                let from = self.path.len().saturating_sub(1);
                self.go_on(project, at, true)?;
                self.left(from, Left::Continued);
            }
            Event::Skipped { reason, .. } => {
                let skipped = self.node;
                let from = self.path.len().saturating_sub(1);
                self.go_on(project, at, false)?;
                self.left(
                    from,
                    Left::Skipped {
                        reason: reason.clone(),
                    },
                );
                self.skips.push(Skip {
                    node: skipped,
                    reason: reason.clone(),
                    at,
                });
            }
            Event::Noted { text, .. } => self.notes.push(Note {
                text: text.clone(),
                node: self.node,
                at,
                by_agent: true,
            }),
            Event::Escalated { reason, .. } => {
                let team = project
                    .tree(self.current_tree())
                    .escalation
                    .clone()
                    .or_else(|| project.tree(self.tree).escalation.clone());
                self.finish(
                    Some(Outcome {
                        kind: OutcomeKind::Escalated,
                        to: team,
                        result: None,
                        code: None,
                    }),
                    Some(reason.clone()),
                    at,
                );
            }
            Event::Ended { reason, cause, .. } => {
                self.finish(
                    Some(Outcome {
                        kind: OutcomeKind::Abandoned,
                        to: None,
                        result: None,
                        code: None,
                    }),
                    Some(reason.clone()),
                    at,
                );
                if let Some(ending) = &mut self.ending {
                    ending.cause = Some(*cause);
                }
            }
            Event::Started { .. } => return Err(SessionError::AlreadyStarted),
            Event::Back { .. } | Event::TakenOver { .. } => {
                return Err(SessionError::WrongStep("cannot be applied this way"));
            }
        }
        Ok(())
    }

    /// From here on the session is an agent's, on the same tree. Any tree: a customer who
    /// was handed a code must find a person who can take it, even on a tree written for
    /// customers only (`audience: customer`), so that audience says where a call may
    /// *start*, not who may finish it (issue 16). A finished session is reopened first: its
    /// last step is taken back, as `Back` does, so the agent can carry it on.
    fn take_over(&mut self, project: &Project, at: Millis) -> Result<(), SessionError> {
        if self.ending.is_some() {
            self.back(project)?;
        }
        self.audience = Audience::Agent;
        self.last_at = at;
        self.undo.keep_since(Event::TakenOver { at });
        Ok(())
    }

    fn finish(&mut self, outcome: Option<Outcome>, reason: Option<String>, at: Millis) {
        self.ending = Some(Ending {
            outcome,
            reason,
            cause: None,
            node: self.node,
            at,
        });
    }

    pub(crate) fn declaration<'p>(&self, project: &'p Project, slot: Slot) -> Option<&'p Variable> {
        let tree = project.node(self.node).tree;
        project
            .tree(tree)
            .variable(slot)
            .or_else(|| project.declaration(self.tree, slot))
    }

    fn answer(&mut self, project: &Project, field: &str, raw: &str) -> Result<(), SessionError> {
        let node = project.node(self.node);
        let slot = project
            .slot_by_name(field)
            .filter(|slot| node.asks.iter().any(|(s, _)| s == slot))
            .ok_or_else(|| SessionError::NotAsked {
                field: field.to_owned(),
            })?;
        let variable = self
            .declaration(project, slot)
            .ok_or_else(|| SessionError::NotAsked {
                field: field.to_owned(),
            })?;
        let value = parse_answer(variable, raw).map_err(|reason| SessionError::InvalidAnswer {
            field: field.to_owned(),
            label: variable.shown_label().to_owned(),
            reason,
        })?;
        self.write(slot, value.clone());
        if !self.answered.contains(&slot) {
            self.answered.push(slot);
        }
        self.answers.push(AnswerGiven {
            visit: self.path.len().saturating_sub(1),
            slot,
            value,
        });
        Ok(())
    }

    /// Every required field of the current step that has no answer yet, by name and label,
    /// in the order the step asks them: a refused step names them all at once.
    pub(super) fn all_missing_required(&self, project: &Project) -> Vec<(String, String)> {
        let node = project.node(self.node);
        node.asks
            .iter()
            .map(|(slot, _)| *slot)
            .filter(|slot| node.required.contains(slot) && !self.values[slot.index()].is_set())
            .map(|slot| {
                let name = project.slot_name(slot).to_owned();
                let label = self
                    .declaration(project, slot)
                    .map_or_else(|| name.clone(), |v| v.shown_label().to_owned());
                (name, label)
            })
            .collect()
    }

    /// Why the current step cannot be skipped, if it cannot: required means required, and a
    /// skip would leave the field unset for every later read (a "—" in a sentence, a choice
    /// routed to `else`).
    ///
    /// Checked when a person or a test asks to skip ([`super::Session::submit`], the test
    /// runner), not when a log is folded: a call recorded before the rule still reopens,
    /// resumes and counts in reports as it happened.
    pub(crate) fn skip_refusal(&self, project: &Project) -> Option<SessionError> {
        let missing: Vec<Slot> = self.unanswered_required(project).collect();
        if missing.is_empty() {
            return None;
        }
        Some(SessionError::RequiredNotSkippable {
            fields: missing
                .iter()
                .map(|slot| project.slot_name(*slot).to_owned())
                .collect(),
            labels: missing
                .iter()
                .map(|slot| self.label(project, *slot))
                .collect(),
        })
    }

    /// The current step's required fields that have no value yet, in the step's order.
    fn unanswered_required<'p>(&'p self, project: &'p Project) -> impl Iterator<Item = Slot> + 'p {
        project
            .node(self.node)
            .required
            .iter()
            .copied()
            .filter(|slot| !self.values[slot.index()].is_set())
    }

    /// A field's label as this step declares it, or its name.
    fn label(&self, project: &Project, slot: Slot) -> String {
        self.declaration(project, slot).map_or_else(
            || project.slot_name(slot).to_owned(),
            |v| v.shown_label().to_owned(),
        )
    }

    /// The first required field of the current step that has no answer yet, as the error
    /// that refuses moving on.
    fn missing_required(&self, project: &Project) -> Option<SessionError> {
        let slot = self.unanswered_required(project).next()?;
        Some(SessionError::Required {
            field: project.slot_name(slot).to_owned(),
            label: self.label(project, slot),
        })
    }

    fn choose(
        &mut self,
        project: &Project,
        index: u16,
        label: &str,
        at: Millis,
    ) -> Result<(), SessionError> {
        let node = project.node(self.node);
        let Exit::Options(options) = &node.exit else {
            return Err(SessionError::WrongStep("has no options to choose from"));
        };
        let option = options
            .get(usize::from(index))
            .filter(|o| o.label.source == label)
            .ok_or_else(|| SessionError::NoSuchOption(format!("\"{label}\"")))?;
        if !option.visible_to(self.audience) {
            return Err(SessionError::OptionUnavailable {
                label: label.to_owned(),
                reason: format!(
                    "it is for {}s only",
                    option.only.map_or("agent", |a| a.name())
                ),
            });
        }
        if let Some(guard) = &option.guard
            && !guard.holds(self)
        {
            return Err(SessionError::OptionUnavailable {
                label: label.to_owned(),
                reason: format!(
                    "it needs {}",
                    option
                        .guard_words
                        .as_deref()
                        .unwrap_or("a condition that does not hold")
                ),
            });
        }
        if let Some(missing) = self.missing_required(project) {
            return Err(missing);
        }
        let target = option.target.ok_or_else(|| {
            SessionError::Stuck("the option leads to a node that does not exist".into())
        })?;
        // The option's effects come first, so the notes written on leaving know the choice;
        // each is a `write`, which `Back` takes back with the rest of the step.
        self.assign(&option.effects);
        self.leave(project, at);
        self.arrive(project, target, at);
        Ok(())
    }

    /// Takes the single way forward. `checked` is false for a skip, which leaves required
    /// questions unanswered on purpose.
    fn go_on(&mut self, project: &Project, at: Millis, checked: bool) -> Result<(), SessionError> {
        let node = project.node(self.node);
        let forward = match &node.exit {
            Exit::Continue(target) => Forward::To(*target),
            Exit::Call { tree, then } => Forward::Call(*tree, *then),
            Exit::Return => Forward::Return,
            Exit::Options(_) => {
                return Err(SessionError::WrongStep(if checked {
                    "asks to choose an option"
                } else {
                    "asks to choose an option; it cannot be skipped, but the call can be escalated"
                }));
            }
            Exit::Route { .. } | Exit::End(_) | Exit::None => {
                return Err(SessionError::Stuck(
                    self.stuck
                        .clone()
                        .unwrap_or_else(|| "this step has no way forward".into()),
                ));
            }
        };
        if checked && let Some(missing) = self.missing_required(project) {
            return Err(missing);
        }
        match forward {
            Forward::To(target) => {
                let target = target.ok_or_else(|| {
                    SessionError::Stuck("it leads to a node that does not exist".into())
                })?;
                self.leave(project, at);
                self.arrive(project, target, at);
            }
            Forward::Call(tree, then) => {
                let tree = tree.ok_or_else(|| {
                    SessionError::Stuck("it calls a tree that does not exist".into())
                })?;
                let start = project.tree(tree).start.ok_or_else(|| {
                    SessionError::Stuck(format!(
                        "the sub-tree `{}` has no start",
                        project.tree(tree).name
                    ))
                })?;
                self.leave(project, at);
                self.frames.push(Frame { tree, then });
                self.apply_defaults(project, tree);
                self.arrive(project, start, at);
            }
            Forward::Return => {
                self.leave(project, at);
                if self.frames.len() > 1
                    && let Some(frame) = self.frames.pop()
                {
                    // Every step has its mark by now (see `apply`): this one's.
                    if let Some(mark) = self.undo.marks.last_mut() {
                        mark.returned_from = Some(frame.clone());
                    }
                    match frame.then {
                        Some(then) => self.arrive(project, then, at),
                        None => self.stuck = Some("the call has nowhere to return to".into()),
                    }
                } else {
                    // A sub-tree run on its own has finished.
                    self.finish(None, None, at);
                }
            }
        }
        Ok(())
    }

    /// Notes how the call moved on from the visit at `from` (once it has).
    fn left(&mut self, from: usize, how: Left) {
        if let Some(visit) = self.path.get_mut(from) {
            visit.left = Some(how);
        }
    }

    /// Runs `set`s in order, each seeing the values the ones before it wrote.
    fn assign(&mut self, assignments: &[Assignment]) {
        for assignment in assignments {
            let value = match &assignment.value {
                Some(expr) => expr.eval(self),
                None => Value::Bool(true),
            };
            self.write(assignment.slot, value);
        }
    }

    /// Leaving a node writes its note templates with what is known by then.
    fn leave(&mut self, project: &Project, at: Millis) {
        let node = project.node(self.node);
        for note in &node.notes {
            if note.when.as_ref().is_some_and(|when| !when.holds(self)) {
                continue;
            }
            let text = render(project, self, &note.text);
            self.notes.push(Note {
                text,
                node: self.node,
                at,
                by_agent: false,
            });
        }
    }

    /// Arriving runs `set`, follows routing, and finishes the call at an `end`.
    fn arrive(&mut self, project: &Project, mut node: NodeId, at: Millis) {
        self.stuck = None;
        for _ in 0..MAX_AUTOMATIC_HOPS {
            self.node = node;
            self.visits.add(node);
            let current = project.node(node);
            // Entry skips come first: a node passed over shows nothing and sets nothing.
            if let Some(position) = current.entry.iter().position(|s| s.condition.holds(self)) {
                self.path.push(Visit {
                    node,
                    at,
                    branch: None,
                    passed: Some(u16::try_from(position).unwrap_or(u16::MAX)),
                    left: None,
                });
                match current.entry[position].target {
                    Some(next) => {
                        node = next;
                        continue;
                    }
                    None => {
                        self.stuck = Some(format!(
                            "`{}` is passed over to a node that does not exist",
                            current.name
                        ));
                        return;
                    }
                }
            }
            self.path.push(Visit {
                node,
                at,
                branch: None,
                passed: None,
                left: None,
            });
            self.assign(&current.sets);
            match &current.exit {
                Exit::Route {
                    routes, otherwise, ..
                } => {
                    let taken = routes.iter().position(|r| r.condition.holds(self));
                    let chosen = match taken {
                        Some(index) => Some(routes[index].target),
                        None => *otherwise,
                    };
                    if chosen.is_some()
                        && let Some(visit) = self.path.last_mut()
                    {
                        visit.branch =
                            Some(u16::try_from(taken.unwrap_or(routes.len())).unwrap_or(u16::MAX));
                    }
                    match chosen.flatten() {
                        Some(next) => node = next,
                        None => {
                            self.stuck = Some(format!("no route of `{}` applies", current.name));
                            return;
                        }
                    }
                }
                Exit::End(outcome) => {
                    self.leave(project, at);
                    self.finish(Some(outcome.clone()), None, at);
                    return;
                }
                Exit::None => {
                    self.stuck = Some(format!("`{}` has no way out", current.name));
                    return;
                }
                Exit::Options(_) | Exit::Continue(_) | Exit::Call { .. } | Exit::Return => return,
            }
        }
        self.stuck = Some("routing goes round in a loop without stopping".into());
    }
}

enum Forward {
    To(Option<NodeId>),
    Call(Option<TreeId>, Option<NodeId>),
    Return,
}

/// Turns what a person typed into a value of the field's type, or says what is wrong.
pub(crate) fn parse_answer(variable: &Variable, raw: &str) -> Result<Value, String> {
    let text = raw.trim();
    if text.is_empty() {
        return if variable.required {
            Err("an answer is required".into())
        } else {
            Ok(Value::Unset)
        };
    }
    let value = match variable.ty {
        Type::Text => Value::Text(text.to_owned()),
        Type::Number => Value::Number(
            text.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("\"{text}\" is not a number"))?,
        ),
        Type::Bool => match text.to_lowercase().as_str() {
            "yes" | "y" | "true" => Value::Bool(true),
            "no" | "n" | "false" => Value::Bool(false),
            _ => return Err(format!("\"{text}\" is not yes or no")),
        },
        Type::Date => Value::Date(
            Date::parse(text).ok_or_else(|| format!("\"{text}\" is not a date like 2026-11-23"))?,
        ),
        Type::Choice(_) => {
            let lower = text.to_lowercase();
            let index = variable
                .choices
                .iter()
                .position(|c| {
                    c.value.to_lowercase() == lower
                        || c.label.as_ref().is_some_and(|l| l.to_lowercase() == lower)
                })
                .ok_or_else(|| {
                    let shown: Vec<&str> = variable.choices.iter().map(|c| c.shown()).collect();
                    format!("\"{text}\" is not one of: {}", shown.join(", "))
                })?;
            Value::Choice(u16::try_from(index).unwrap_or(u16::MAX))
        }
        Type::Choices(_) => Value::Checked(ticked_from_text(variable, text)?),
    };
    if variable.kind == VariableKind::Flag {
        return Err("flags are set by the tree, not answered".into());
    }
    crate::lower::check_answer(variable, &value)?;
    Ok(value)
}

/// The values a person ticked, typed as words or labels separated by commas (`labs, ECG`);
/// a piece that is neither is read as words separated by spaces (`labs ecg`).
fn ticked_from_text(variable: &Variable, text: &str) -> Result<Vec<u16>, String> {
    let find = |word: &str| {
        let lower = word.trim().to_lowercase();
        variable
            .choices
            .iter()
            .position(|c| {
                c.value.to_lowercase() == lower
                    || c.label.as_ref().is_some_and(|l| l.to_lowercase() == lower)
            })
            .map(|i| u16::try_from(i).unwrap_or(u16::MAX))
    };
    let mut ticked = Vec::new();
    for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(index) = find(piece) {
            ticked.push(index);
            continue;
        }
        for word in piece.split_whitespace() {
            ticked.push(find(word).ok_or_else(|| {
                let shown: Vec<&str> = variable.choices.iter().map(|c| c.shown()).collect();
                format!("\"{word}\" is not one of: {}", shown.join(", "))
            })?);
        }
    }
    ticked.sort_unstable();
    ticked.dedup();
    Ok(ticked)
}

/// How a value reads in text: numbers without trailing zeros, choices by their label.
pub(crate) fn display(variable: Option<&Variable>, value: &Value) -> String {
    match value {
        Value::Unset => "—".to_owned(),
        Value::Number(n) => format_number(*n),
        Value::Text(text) => text.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Date(date) => date.to_string(),
        Value::Choice(index) => variable
            .and_then(|v| v.choices.get(usize::from(*index)))
            .map_or_else(|| index.to_string(), |c| c.shown().to_owned()),
        Value::Checked(ticked) if ticked.is_empty() => "none".to_owned(),
        // A checklist reads as its labels in the order they were declared: "Lab tests, ECG".
        Value::Checked(ticked) => ticked
            .iter()
            .map(|index| {
                variable
                    .and_then(|v| v.choices.get(usize::from(*index)))
                    .map_or_else(|| index.to_string(), |c| c.shown().to_owned())
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A template with the current values filled in.
pub(crate) fn render(project: &Project, state: &State, template: &Template) -> String {
    let mut out = String::new();
    render_into(project, state, template, &mut out);
    out
}

pub(crate) fn render_into(project: &Project, state: &State, template: &Template, out: &mut String) {
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Expr(expr, ty, _) => {
                let value = expr.eval(state);
                let variable = match ty {
                    Type::Choice(field) | Type::Choices(field) => {
                        state.declaration(project, *field)
                    }
                    _ => None,
                };
                match &value {
                    Value::Text(text) => out.push_str(&crate::show::show_line(text)),
                    Value::Number(n) => match whole_number(*n) {
                        Some(whole) => push_whole_number(out, whole),
                        None => out.push_str(&format_number(*n)),
                    },
                    other => out.push_str(&display(variable, other)),
                }
            }
            TemplatePart::Var(slot, _) => {
                let value = &state.values[slot.index()];
                match value {
                    // Templates print what people typed: shown safe, as everywhere else.
                    Value::Text(text) => out.push_str(&crate::show::show_line(text)),
                    // Whole numbers, the common case, are written without a temporary string.
                    Value::Number(n) => match whole_number(*n) {
                        Some(whole) => push_whole_number(out, whole),
                        None => out.push_str(&format_number(*n)),
                    },
                    Value::Choice(_) | Value::Checked(_) => {
                        out.push_str(&display(state.declaration(project, *slot), value))
                    }
                    other => out.push_str(&display(None, other)),
                }
            }
        }
    }
}

/// A field's value as it goes back into an input box: a choice by its value word, anything
/// else as it reads. `None` when the field has no value.
pub(crate) fn input_text(variable: &Variable, value: &Value) -> Option<String> {
    match value {
        v if !v.is_set() => None,
        Value::Choice(i) => variable
            .choices
            .get(usize::from(*i))
            .map(|c| c.value.clone()),
        Value::Checked(ticked) => Some(
            ticked
                .iter()
                .filter_map(|i| variable.choices.get(usize::from(*i)))
                .map(|c| c.value.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => Some(display(Some(variable), other)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test whose setup fails should fail loudly"
    )]

    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Events applied to a state on this thread, `Back`'s re-applied notes included: the
        /// work a fold does, counted instead of timed.
        pub(super) static APPLIED: Cell<u64> = const { Cell::new(0) };
    }

    const LOOP: &str = "tree loop \"Loop\"\n  start: a\n\nnode a \"A\"\n  say \"Again?\"\n  \
                        option \"Again\" -> a\n  option \"Done\" -> b\n\nnode b \"B\"\n  \
                        say \"Bye\"\n  end resolved\n";

    /// Issue 13: each `Back` replayed every event still in force, so a log of (choose,
    /// choose, Back) repeated cost the square of its length; a `Back` now costs what the step
    /// it takes back did.
    #[test]
    fn a_fold_applies_each_event_once_however_many_backs() {
        let project = Project::single("loop.tree", LOOP);
        let tree = project.tree_by_name("loop").unwrap();
        let mut log = vec![Event::Started {
            tree: "loop".into(),
            version: project.session_hash(tree),
            audience: Audience::Agent,
            at: 0,
            given: Vec::new(),
            locale: None,
        }];
        let again = |at| Event::Chose {
            option: 0,
            label: "Again".into(),
            at,
        };
        for round in 0..2_000 {
            let at = 3 * round;
            log.extend([again(at + 1), again(at + 2), Event::Back { at: at + 3 }]);
        }
        let before = APPLIED.with(Cell::get);
        let state = fold(&project, &log).unwrap();
        let applied = APPLIED.with(Cell::get) - before;
        assert_eq!(
            applied, 4_000,
            "the two choices of each round, each applied once"
        );
        assert_eq!(state.path.len(), 2_001);
        assert_eq!(state.visits.get(state.node), 2_001);
        assert!(state.can_go_back());
    }

    /// `Back` puts back what the step changed: values written by `set`, visit counts, the
    /// step's notes; an agent's note written after the step stays, at the step it returns to.
    #[test]
    fn back_restores_values_and_keeps_the_agents_notes() {
        let project = Project::single(
            "count.tree",
            "tree count \"Count\"\n  start: a\n\nfield n: number \"N\" = 0\n\n\
             node a \"A\"\n  say \"Go\"\n  note \"left a with {n}\"\n  -> b\n\n\
             node b \"B\"\n  say \"Done?\"\n  set n = n + 1\n  option \"Yes\" -> c\n\n\
             node c \"C\"\n  say \"Bye\"\n  end resolved\n",
        );
        let tree = project.tree_by_name("count").unwrap();
        let mut state = State::begin(&project, tree, Audience::Agent, 0).unwrap();
        let fresh = state.clone();
        state.apply(&project, &Event::Continued { at: 1 }).unwrap();
        state
            .apply(
                &project,
                &Event::Noted {
                    text: "caller is calm".into(),
                    at: 2,
                },
            )
            .unwrap();
        assert_eq!(state.notes.len(), 2);
        state.apply(&project, &Event::Back { at: 3 }).unwrap();
        assert_eq!(state.values, fresh.values);
        assert_eq!(state.visits, fresh.visits);
        assert_eq!(state.path, fresh.path);
        let notes: Vec<(&str, NodeId)> = state
            .notes
            .iter()
            .map(|n| (n.text.as_str(), n.node))
            .collect();
        assert_eq!(notes, [("caller is calm", fresh.node)]);
        assert_eq!(state.last_at, 2);
        assert!(!state.can_go_back());
        assert!(matches!(
            state.apply(&project, &Event::Back { at: 4 }),
            Err(SessionError::NothingToUndo)
        ));
    }
}
