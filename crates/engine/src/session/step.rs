//! The step protocol: what a person did at one step (the answers typed into its fields and the
//! button they pressed) turned into the events to record, by one set of rules for every host.
//!
//! The rules, so that the same call makes the same log in the terminal, the desktop app and
//! the web:
//! - answers are taken in the order the step asks its fields, whatever order the host sends;
//! - an answer equal to the field's value, or an empty box for a field with no value, is not an
//!   event; an answer is recorded trimmed;
//! - with Choose, Continue or answers alone, every answer must be accepted or nothing is;
//! - with Skip, Escalate or End, accepted answers are kept and refused ones dropped, so a
//!   refused answer never holds up leaving the step;
//! - Note, Back and TakeOver take no answers: what was typed stays with the host;
//! - notes and reasons must have words, and are recorded trimmed;
//! - answers and notes have a length limit;
//! - answers, notes and reasons hold no hidden control characters (see
//!   [`crate::show::is_hidden_control`]): line breaks only where the text may have lines (a
//!   feedback comment, a note, a reason), kept as `\n` whichever way the host sent them.
//!   Refused rather than cleaned, so the person sees what was wrong and the log holds what
//!   they meant. Logs written before this rule still load; hosts show them through
//!   [`crate::show_line`].
//!
//! A step is worked out on a copy of the state ([`Submission`]); the host stores its events and
//! only then [`Session::commit`]s it, so a failed write leaves the session as it was.

use std::borrow::Cow;
use std::ops::Deref;

use calltree_syntax::Audience;

use crate::error::{FieldProblem, SessionError, StepRefusal};
use crate::model::VariableKind;
use crate::project::Project;
use crate::show::is_hidden_control;
use crate::view::{Scene, View};

use super::event::{EndCause, Event, Millis};
use super::state::{State, input_text};
use super::{Session, choice};

/// The longest answer a person may give, in characters.
pub const MAX_ANSWER_CHARS: usize = 2_000;
/// Why a required field refuses moving on: the message beside it. Hosts that know the kind
/// of input may say it in their own words ("choose one of the answers").
pub const ANSWER_NEEDED: &str = "an answer is needed before moving on";
/// The longest note or reason, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What a person did at one step, as a host received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Field names and the text typed into each, for fields of the current step.
    pub answers: Vec<(String, String)>,
    /// The button pressed; `None` keeps the answers without moving on.
    pub action: Option<Action>,
}

impl Step {
    /// Only an action, no answers.
    pub fn action(action: Action) -> Step {
        Step {
            answers: Vec::new(),
            action: Some(action),
        }
    }

    /// One answer, without moving on.
    pub fn answer(field: impl Into<String>, text: impl Into<String>) -> Step {
        Step {
            answers: vec![(field.into(), text.into())],
            action: None,
        }
    }
}

/// The buttons of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The option at this position of the node (as [`crate::OptionView::index`]).
    Choose(u16),
    Continue,
    Back,
    Note(String),
    /// Pass over the step, for a reason.
    Skip(String),
    /// Hand the call on from this step, for a reason.
    Escalate(String),
    /// End the call before the tree does: why, and words for it (needed only for
    /// [`EndCause::Other`]; the others say what happened by themselves).
    End(EndCause, String),
    /// An agent takes over a customer's session.
    TakeOver,
}

/// A step worked out and not yet applied: the events to store, and the state they lead to.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The length of the log it was worked out on.
    base: usize,
    events: Vec<Event>,
    state: State,
}

impl Submission {
    /// The events to store, in order. Empty when the step changes nothing.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Whether the call has ended after this step.
    pub fn finishes(&self) -> bool {
        self.state.ending.is_some()
    }
}

/// What a step would look like with the answers typed so far, before anything is stored.
#[derive(Debug, Clone)]
pub struct Preview {
    pub view: View,
    /// Answers that would be refused, each beside its field.
    pub problems: Vec<FieldProblem>,
}

impl<P: Deref<Target = Project>> Session<P> {
    /// Works out the events for one step without applying them. Refused steps change nothing
    /// and say why, each refused answer beside its field.
    pub fn submit(&self, step: &Step, at: Millis) -> Result<Submission, StepRefusal> {
        let base = self.log.len();
        let project: &Project = &self.project;
        let undo = match &step.action {
            Some(Action::Back) => Some(Event::Back { at }),
            Some(Action::TakeOver) => Some(Event::TakenOver { at }),
            _ => None,
        };
        let mut state = self.state.clone();
        if let Some(event) = undo {
            state.apply(project, &event).map_err(StepRefusal::of_step)?;
            return Ok(Submission {
                base,
                events: vec![event],
                state,
            });
        }

        if state.audience == Audience::Customer {
            let agents_only = match &step.action {
                Some(Action::Note(_)) => Some("write notes for the call"),
                Some(Action::Skip(_)) => Some("skip a step"),
                _ => None,
            };
            if let Some(what) = agents_only {
                return Err(StepRefusal::of_step(SessionError::AgentsOnly(what)));
            }
        }
        let mut events = Vec::new();
        let action = match &step.action {
            None => None,
            Some(Action::Note(text)) => Some(Event::Noted {
                text: words(text, "a note needs some text")?,
                at,
            }),
            Some(Action::Choose(index)) => {
                Some(choice(project, &state, *index, at).ok_or_else(|| {
                    StepRefusal::of_step(SessionError::NoSuchOption(
                        (u32::from(*index) + 1).to_string(),
                    ))
                })?)
            }
            Some(Action::Continue) => Some(Event::Continued { at }),
            Some(Action::Skip(reason)) => Some(Event::Skipped {
                reason: words(reason, "a skipped step needs a reason")?,
                at,
            }),
            Some(Action::Escalate(reason)) => Some(Event::Escalated {
                reason: words(reason, "an escalation needs a reason")?,
                at,
            }),
            Some(Action::End(cause, reason)) => Some(Event::Ended {
                reason: if reason.trim().is_empty() && !cause.is_other() {
                    cause.describe().to_owned()
                } else {
                    words(reason, "ending the call needs a reason")?
                },
                cause: *cause,
                at,
            }),
            Some(Action::Back | Action::TakeOver) => None,
        };
        let takes_answers = !matches!(step.action, Some(Action::Note(_)));
        if takes_answers {
            let mut problems = apply_answers(project, &mut state, &step.answers, at, &mut events);
            let leaving = matches!(
                step.action,
                Some(Action::Skip(_) | Action::Escalate(_) | Action::End(..))
            );
            // Moving on needs every required answer: name each one missing beside the refused
            // ones, so that a person fixes the whole step in one go.
            let moving = matches!(step.action, Some(Action::Choose(_) | Action::Continue));
            if moving {
                for (field, label) in state.all_missing_required(project) {
                    if !problems.iter().any(|p| p.field == field) {
                        problems.push(FieldProblem {
                            field,
                            label,
                            message: ANSWER_NEEDED.to_owned(),
                        });
                    }
                }
            }
            if !problems.is_empty() && !leaving {
                in_step_order(project, &state, &mut problems);
                return Err(StepRefusal {
                    fields: problems,
                    step: None,
                });
            }
        }
        if let Some(event) = action {
            if matches!(event, Event::Skipped { .. })
                && let Some(refusal) = state.skip_refusal(project)
            {
                return Err(StepRefusal::of_step(refusal));
            }
            match state.apply(project, &event) {
                Ok(()) => events.push(event),
                Err(SessionError::Required { field, label }) => {
                    return Err(StepRefusal {
                        fields: vec![FieldProblem {
                            field,
                            label,
                            message: ANSWER_NEEDED.to_owned(),
                        }],
                        step: None,
                    });
                }
                Err(error) => return Err(StepRefusal::of_step(error)),
            }
        }
        Ok(Submission {
            base,
            events,
            state,
        })
    }

    /// Applies a step worked out by [`Session::submit`] on this session, once its events are
    /// stored. Refused when the session moved on since (the submission is stale).
    pub fn commit(&mut self, submission: Submission) -> Result<(), SessionError> {
        if submission.base != self.log.len() {
            return Err(SessionError::StaleSubmission);
        }
        self.log.extend(submission.events);
        self.state = submission.state;
        Ok(())
    }

    /// The step as it would look with these answers, for a host that shows the effect of
    /// typing at once (the options an answer enables light up) and stores nothing until the
    /// person moves on. Refused answers are left out and reported.
    pub fn preview(&self, answers: &[(String, String)]) -> Preview {
        self.preview_at(answers, None)
    }

    /// [`Session::preview`] as of the host's `now`, for a tree whose conditions read the
    /// time (see [`Session::view_at`]); `None` is the latest event's time.
    pub fn preview_at(&self, answers: &[(String, String)], now: Option<Millis>) -> Preview {
        let mut state = self.state.clone();
        let mut events = Vec::new();
        let at = state.last_at;
        let problems = apply_answers(&self.project, &mut state, answers, at, &mut events);
        let scene = Scene {
            project: &self.project,
            state: &state,
            can_go_back: self.state.can_go_back(),
            now,
        };
        Preview {
            view: scene.view(),
            problems,
        }
    }
}

/// Sorts refused answers as the step asks its fields (answers to fields it does not ask
/// first): the order a page lists them in and a person reads them.
fn in_step_order(project: &Project, state: &State, problems: &mut [FieldProblem]) {
    let asks = &project.node(state.node).asks;
    problems.sort_by_key(|problem| {
        project
            .slot_by_name(&problem.field)
            .and_then(|slot| asks.iter().position(|(s, _)| *s == slot))
            .map_or(0, |position| position + 1)
    });
}

/// Notes and reasons: trimmed, with words, not too long, no hidden characters; they may
/// have lines.
fn words(text: &str, empty: &'static str) -> Result<String, StepRefusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StepRefusal::of_step(SessionError::NeedsWords(empty)));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(StepRefusal::of_step(SessionError::TooLong {
            what: "the text",
            limit: MAX_NOTE_CHARS,
        }));
    }
    let text = with_lines(text);
    if let Some(hidden) = text.chars().find(|c| *c != '\n' && is_hidden_control(*c)) {
        return Err(StepRefusal::of_step(SessionError::HiddenCharacter {
            what: "the text",
            code: u32::from(hidden),
        }));
    }
    Ok(text.into_owned())
}

/// Line breaks as `\n`: browsers send a text area's as `\r\n`, and old Macs' text as `\r`.
fn with_lines(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Why an answer cannot be kept because of a character in it, in words for the person who
/// typed it; `None` when every character may be kept. `lines` is whether the field may have
/// several lines (then `text` has its line breaks as `\n` already).
fn hidden_character(text: &str, lines: bool) -> Option<String> {
    let hidden = text
        .chars()
        .find(|c| !(lines && *c == '\n') && is_hidden_control(*c))?;
    Some(
        if matches!(hidden, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            "please keep this on one line".to_owned()
        } else {
            format!(
                "this has a hidden character (U+{:04X}) that cannot be kept; please type it \
                 rather than pasting it",
                u32::from(hidden)
            )
        },
    )
}

/// Applies the answers that change something to `state`, in the order the step asks its
/// fields; each accepted one becomes an event, each refused one a problem.
fn apply_answers(
    project: &Project,
    state: &mut State,
    answers: &[(String, String)],
    at: Millis,
    events: &mut Vec<Event>,
) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let node = project.node(state.node);
    let mut ordered: Vec<(usize, &str, &str)> = Vec::with_capacity(answers.len());
    for (field, typed) in answers {
        let position = project
            .slot_by_name(field)
            .and_then(|slot| node.asks.iter().position(|(s, _)| *s == slot));
        match position {
            Some(position) => ordered.push((position, field, typed)),
            None => problems.push(FieldProblem {
                field: field.clone(),
                label: field.clone(),
                message: "this step does not ask it".to_owned(),
            }),
        }
    }
    // A stable sort keeps a host's repeated answers to one field in the order given.
    ordered.sort_by_key(|(position, _, _)| *position);
    for (position, field, typed) in ordered {
        let Some(&(slot, _)) = node.asks.get(position) else {
            continue;
        };
        let variable = state.declaration(project, slot);
        let label = variable.map_or_else(|| field.to_owned(), |v| v.shown_label().to_owned());
        let current = variable.and_then(|v| input_text(v, &state.values[slot.index()]));
        let lines = variable.is_some_and(|v| v.kind == VariableKind::Comment);
        let typed = typed.trim();
        let typed = if lines {
            with_lines(typed)
        } else {
            Cow::Borrowed(typed)
        };
        let typed: &str = &typed;
        // An old log's answer with hidden characters is shown neutralised (`show_line`);
        // a host that sends the box back untouched has not changed it.
        let unchanged = match &current {
            Some(current) => {
                current.trim() == typed || crate::show::show_line(current.trim()) == typed
            }
            None => typed.is_empty(),
        };
        if unchanged {
            continue;
        }
        if typed.chars().count() > MAX_ANSWER_CHARS {
            problems.push(FieldProblem {
                field: field.to_owned(),
                label,
                message: format!("please keep this under {MAX_ANSWER_CHARS} characters"),
            });
            continue;
        }
        if let Some(message) = hidden_character(typed, lines) {
            problems.push(FieldProblem {
                field: field.to_owned(),
                label,
                message,
            });
            continue;
        }
        let event = Event::Answered {
            field: field.to_owned(),
            value: typed.to_owned(),
            at,
        };
        match state.apply(project, &event) {
            Ok(()) => events.push(event),
            Err(SessionError::InvalidAnswer { reason, .. }) => problems.push(FieldProblem {
                field: field.to_owned(),
                label,
                message: reason,
            }),
            Err(error) => problems.push(FieldProblem {
                field: field.to_owned(),
                label,
                message: error.to_string(),
            }),
        }
    }
    problems
}
