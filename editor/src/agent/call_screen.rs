//! A call on screen: the host kit's `Call`, what is typed into its fields, and the dialog
//! open over it. Each frame draws the panels and collects what the agent did as one
//! [`Intent`]; the intent becomes a `Step` that the call records.
//!
//! What a frame costs: the call's view (and the view with the typed answers applied, for
//! options an answer enables) is worked out again only when the log or the typed text
//! changed, and never by folding the log.

use std::collections::HashMap;

use calltree_calls::{Call, CallsError};
use calltree_engine::{Action, Step, Summary, View};

use super::{Clock, actions, dialog, finished, header, step};

/// A reason or a note being written before it becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Note(String),
    Skip(String),
    Escalate(String),
}

/// A call on screen.
pub struct CallScreen {
    pub call: Call,
    /// What is typed in each field's box, before it is saved as an answer.
    pub inputs: HashMap<String, String>,
    /// Why an answer was refused, by field.
    pub errors: HashMap<String, String>,
    pub dialog: Option<Dialog>,
    /// A message about the last action (a refused step, a save that failed).
    pub message: Option<String>,
    shown: Option<Shown>,
}

/// What the screen shows, worked out for one log length and one set of typed answers.
struct Shown {
    log_len: usize,
    inputs: HashMap<String, String>,
    /// The step as stored.
    saved: View,
    /// The step with the typed answers applied, for display.
    view: View,
    summary: Summary,
}

/// What the agent did this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Intent {
    Choose(u16),
    Continue,
    /// Go back this many steps.
    Back(usize),
    Open(Dialog),
    /// A dialog was confirmed with its text.
    Confirm(Dialog),
    CloseDialog,
    NewCall,
}

#[derive(PartialEq, Eq)]
pub(crate) enum CallOutcome {
    Stay,
    Close,
}

impl CallScreen {
    pub fn new(call: Call) -> Self {
        CallScreen {
            call,
            inputs: HashMap::new(),
            errors: HashMap::new(),
            dialog: None,
            message: None,
            shown: None,
        }
    }

    /// Works the screen out again if the log or the typed text changed since the last frame.
    fn refresh(&mut self) {
        let log_len = self.call.session().log().len();
        if self
            .shown
            .as_ref()
            .is_some_and(|s| s.log_len == log_len && s.inputs == self.inputs)
        {
            return;
        }
        let session = self.call.session();
        let saved = session.view();
        let typed: Vec<(String, String)> = self
            .inputs
            .iter()
            .map(|(field, text)| (field.clone(), text.clone()))
            .collect();
        let preview = session.preview(&typed);
        self.errors = preview
            .problems
            .iter()
            .map(|p| (p.field.clone(), p.message.clone()))
            .collect();
        self.shown = Some(Shown {
            log_len,
            inputs: self.inputs.clone(),
            saved,
            view: preview.view,
            summary: session.summary(),
        });
    }

    /// Records one step; a refusal is shown beside its fields, a failure to store as a
    /// message. Returns whether it was recorded.
    fn record(&mut self, step: &Step, at: i64) -> bool {
        match self.call.record(step, at) {
            Ok(recorded) => {
                self.message = recorded
                    .warning
                    .map(|w| format!("The call ended, but could not be put away: {w}"));
                true
            }
            Err(CallsError::Refused(refusal)) => {
                for problem in &refusal.fields {
                    self.errors
                        .insert(problem.field.clone(), problem.message.clone());
                }
                self.message = refusal.step.map(|e| e.to_string());
                false
            }
            Err(error) => {
                self.message = Some(format!(
                    "Not saved, so nothing changed: {error}. Try again; if it keeps failing, note the answers elsewhere."
                ));
                false
            }
        }
    }

    /// The typed answers, for a step that takes them.
    fn answers(&self) -> Vec<(String, String)> {
        let mut answers: Vec<(String, String)> = self
            .inputs
            .iter()
            .map(|(field, text)| (field.clone(), text.clone()))
            .collect();
        // The engine orders answers by the step; sorting keeps a refusal's wording stable.
        answers.sort();
        answers
    }

    /// Carries out what the agent did.
    fn act(&mut self, intent: Intent, clock: &Clock) -> CallOutcome {
        let step = match intent {
            Intent::NewCall => return CallOutcome::Close,
            Intent::Open(dialog) => {
                self.dialog = Some(dialog);
                return CallOutcome::Stay;
            }
            Intent::CloseDialog => {
                self.dialog = None;
                return CallOutcome::Stay;
            }
            Intent::Back(steps) => {
                for _ in 0..steps {
                    if !self.record(&Step::action(Action::Back), clock()) {
                        break;
                    }
                }
                self.inputs.clear();
                self.errors.clear();
                return CallOutcome::Stay;
            }
            Intent::Choose(index) => Step {
                answers: self.answers(),
                action: Some(Action::Choose(index)),
            },
            Intent::Continue => Step {
                answers: self.answers(),
                action: Some(Action::Continue),
            },
            Intent::Confirm(Dialog::Note(text)) => Step::action(Action::Note(text)),
            Intent::Confirm(Dialog::Skip(reason)) => Step {
                answers: self.answers(),
                action: Some(Action::Skip(reason)),
            },
            Intent::Confirm(Dialog::Escalate(reason)) => Step {
                answers: self.answers(),
                action: Some(Action::Escalate(reason)),
            },
        };
        let keeps_typing = matches!(step.action, Some(Action::Note(_)));
        if self.record(&step, clock()) {
            self.dialog = None;
            if !keeps_typing {
                self.inputs.clear();
                self.errors.clear();
            }
        }
        CallOutcome::Stay
    }
}

/// Draws a call and carries out what the agent did.
pub(crate) fn call_ui(ui: &mut egui::Ui, screen: &mut CallScreen, clock: &Clock) -> CallOutcome {
    screen.refresh();
    let Some(shown) = screen.shown.take() else {
        return CallOutcome::Stay;
    };
    let mut intent = header::ui(ui, &shown.summary.title, &shown.view);
    if let Some(next) = actions::ui(ui, &shown.saved, screen.dialog.is_some()) {
        intent = Some(next);
    }
    let drawn = egui::CentralPanel::default()
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .show(ui, |ui| {
                    if let Some(message) = &screen.message {
                        ui.colored_label(ui.visuals().error_fg_color, message);
                    }
                    if shown.view.ended.is_some() {
                        finished::ui(ui, &shown.view, &shown.summary)
                    } else {
                        step::ui(ui, &shown.view, &mut screen.inputs, &screen.errors)
                    }
                })
                .inner
        })
        .inner;
    if drawn.is_some() {
        intent = drawn;
    }
    match screen.dialog.clone() {
        Some(open) => {
            if let Some(next) = dialog::ui(ui, &open, &mut screen.dialog) {
                intent = Some(next);
            }
        }
        None if shown.view.ended.is_none() => {
            if let Some(next) = step::keys(ui, &shown.view) {
                intent = Some(next);
            }
        }
        None => {}
    }
    screen.shown = Some(shown);
    match intent {
        Some(intent) => screen.act(intent, clock),
        None => CallOutcome::Stay,
    }
}
