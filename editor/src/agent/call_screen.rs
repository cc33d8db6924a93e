//! A call on screen: the host kit's `Call`, what is typed into its fields, the dialog open
//! under it, and where the keyboard goes. Each frame takes the keys first (`keys.rs`), draws
//! the panels, and turns what the agent did into one [`Intent`]; the intent becomes a `Step`
//! that the call records.
//!
//! What a frame costs: the call's view (and the view with the typed answers applied, so the
//! options an answer enables light up as it is typed) is worked out again only when the log or
//! the typed text changed, and never by folding the log.
//!
//! A live call never stops for a failing disk: steps are recorded with `record_or_keep`, the
//! header says how many events wait in memory, and they are written again every few seconds.

use std::collections::HashMap;

use calltree_calls::{Call, CallsError};
use calltree_engine::{Action, EndCause, Step, Summary, View};

use super::keys::{self, Pressed};
use super::{Clock, actions, captured, dialog, finished, header, step};

/// How often events kept in memory are written again, in milliseconds.
const RETRY_EVERY: i64 = 3_000;
/// How long "Copied" stays on screen, in milliseconds.
const COPIED_FOR: i64 = 4_000;

/// A note, a reason or an ending being written before it becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Note(String),
    Skip(String),
    Escalate(String),
    /// Ending the call: the words, used when the cause is "something else".
    End {
        text: String,
        other: bool,
    },
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
    /// Answers from a call ended as the wrong script, offered where a field has the same name.
    pub carried: HashMap<String, String>,
    shown: Option<Shown>,
    /// The step on screen (node and path length): a new one gets the keyboard on its first
    /// field.
    arrived: Option<(String, usize)>,
    /// A field to give the keyboard to when it is next drawn.
    pub(super) focus_field: Option<String>,
    /// The dialog's box takes the keyboard when it opens.
    pub(super) focus_dialog: bool,
    /// Enter left the last field of a step with options: the keyboard leaves the fields, so
    /// that the number keys choose.
    release_keyboard: bool,
    /// The widgets of each field as last drawn, to know which field has the keyboard.
    pub(super) field_ids: Vec<(String, Vec<egui::Id>)>,
    copied_at: Option<i64>,
    last_retry: i64,
    /// Whether the call screen takes its keys from the window: in agent mode it does; the
    /// author's preview, beside the editor, is played with the mouse.
    pub keyboard: bool,
    /// A narrow screen (the author's preview): no side panel.
    pub compact: bool,
    /// Whether the call's tree has conditions on time, worked out once for the call.
    reads_time: bool,
}

/// What the screen shows, worked out for one log length and one set of typed answers.
pub(super) struct Shown {
    log_len: usize,
    inputs: HashMap<String, String>,
    /// The minute it was worked out in, for a tree whose conditions read the time (an option
    /// that opens after half an hour lights up without anything else happening).
    minute: Option<i64>,
    /// The step as stored.
    pub saved: View,
    /// The step with the typed answers applied, for display.
    pub view: View,
    pub summary: Summary,
}

/// What the agent did this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Intent {
    Choose(u16),
    Continue,
    /// Go back this many steps.
    Back(usize),
    Open(Dialog),
    /// A dialog was confirmed.
    Confirm(Dialog),
    /// The call was ended for this cause (and these words, for "something else").
    End(EndCause, String),
    CloseDialog,
    NewCall,
    Copy,
    /// Write the events waiting in memory now.
    Retry,
}

/// What the agent mode does after a frame of the call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CallOutcome {
    Stay,
    Close,
    /// The call was the wrong script: back to the scripts, carrying these answers over.
    WrongScript(HashMap<String, String>),
}

impl CallScreen {
    pub fn new(call: Call) -> Self {
        let session = call.session();
        let reads_time = session.project().reads_time(session.state().tree);
        CallScreen {
            reads_time,
            call,
            inputs: HashMap::new(),
            errors: HashMap::new(),
            dialog: None,
            message: None,
            carried: HashMap::new(),
            shown: None,
            arrived: None,
            focus_field: None,
            focus_dialog: false,
            release_keyboard: false,
            field_ids: Vec::new(),
            copied_at: None,
            last_retry: 0,
            keyboard: true,
            compact: false,
        }
    }

    /// A call screen for a preview: narrow, and played with the mouse, so it never takes a
    /// key meant for the editor beside it.
    pub fn preview(call: Call) -> Self {
        CallScreen {
            keyboard: false,
            compact: true,
            ..CallScreen::new(call)
        }
    }

    /// Works the screen out again if the log or the typed text changed since the last frame,
    /// or, for a tree whose conditions read the time, the minute `now` is in.
    fn refresh(&mut self, now: i64) {
        let log_len = self.call.session().log().len();
        let session = self.call.session();
        let timed = self.reads_time;
        let minute = timed.then_some(now.div_euclid(60_000));
        if self
            .shown
            .as_ref()
            .is_some_and(|s| s.log_len == log_len && s.inputs == self.inputs && s.minute == minute)
        {
            return;
        }
        let at = timed.then_some(now);
        let saved = match at {
            Some(now) => session.view_at(now),
            None => session.view(),
        };
        // A new step: its first field gets the keyboard, and answers carried over from a
        // wrong script fill the boxes of fields with the same name (shown, not yet stored).
        let here = (saved.node.clone(), session.state().path.len());
        if self.arrived.as_ref() != Some(&here) {
            self.arrived = Some(here);
            self.focus_field = saved.fields.first().map(|f| f.name.clone());
            // A step without fields (or the end) takes the keyboard off the last step's box,
            // so the number keys and Ctrl+C are the screen's again.
            self.release_keyboard |= self.focus_field.is_none();
            for field in &saved.fields {
                if field.value.is_none()
                    && let Some(carried) = self.carried.get(&field.name)
                {
                    self.inputs
                        .entry(field.name.clone())
                        .or_insert_with(|| carried.clone());
                }
            }
        }
        let typed: Vec<(String, String)> = self
            .inputs
            .iter()
            .map(|(field, text)| (field.clone(), text.clone()))
            .collect();
        let preview = session.preview_at(&typed, at);
        self.errors = preview
            .problems
            .iter()
            .map(|p| (p.field.clone(), p.message.clone()))
            .collect();
        self.shown = Some(Shown {
            log_len,
            inputs: self.inputs.clone(),
            minute,
            saved,
            view: preview.view,
            summary: session.summary(),
        });
    }

    /// Records one step; a refusal is shown beside its fields (the first gets the keyboard),
    /// a failing disk as a warning while the call goes on. Returns whether it was applied.
    fn record(&mut self, step: &Step, at: i64) -> bool {
        match self.call.record_or_keep(step, at) {
            Ok(recorded) => {
                self.message = recorded.warning.map(|warning| {
                    if recorded.kept {
                        format!(
                            "Not saved to disk: {warning}. The call goes on; the app keeps trying. If it closes now, the steps since are lost: copy what matters."
                        )
                    } else {
                        format!("The call ended, but could not be put away: {warning}")
                    }
                });
                true
            }
            Err(CallsError::Refused(refusal)) => {
                for problem in &refusal.fields {
                    self.errors
                        .insert(problem.field.clone(), problem.message.clone());
                }
                self.focus_field = refusal.fields.first().map(|p| p.field.clone());
                self.message = refusal.step.map(|e| e.to_string());
                false
            }
            Err(error) => {
                self.message = Some(format!("Nothing changed: {error}"));
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
        answers.sort();
        answers
    }

    /// The field whose widget has the keyboard, if any.
    fn focused_field(&self, ui: &egui::Ui) -> Option<usize> {
        let focused = ui.memory(|m| m.focused())?;
        self.field_ids
            .iter()
            .position(|(_, ids)| ids.contains(&focused))
    }

    /// Carries out what the agent did.
    fn act(&mut self, intent: Intent, clock: &Clock, ctx: &egui::Context) -> CallOutcome {
        let step = match intent {
            Intent::NewCall => return CallOutcome::Close,
            Intent::Open(dialog) => {
                self.dialog = Some(dialog);
                self.focus_dialog = true;
                return CallOutcome::Stay;
            }
            Intent::CloseDialog => {
                self.dialog = None;
                self.focus_field = self
                    .shown
                    .as_ref()
                    .and_then(|s| s.view.fields.first().map(|f| f.name.clone()));
                return CallOutcome::Stay;
            }
            Intent::Copy => {
                if let Some(shown) = &self.shown {
                    ctx.copy_text(shown.summary.to_plain_text());
                    self.copied_at = Some(clock());
                }
                return CallOutcome::Stay;
            }
            Intent::Retry => {
                self.last_retry = clock();
                match self.call.flush() {
                    Ok(_) => self.message = None,
                    Err(error) => {
                        self.message = Some(format!(
                            "Still not saved to disk: {error}. The app keeps trying."
                        ));
                    }
                }
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
            Intent::End(cause, words) => {
                let carry = self.carry_over();
                let step = Step {
                    answers: self.answers(),
                    action: Some(Action::End(cause, words)),
                };
                if self.record(&step, clock()) {
                    self.dialog = None;
                    if cause == EndCause::WrongScript {
                        return CallOutcome::WrongScript(carry);
                    }
                }
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
            Intent::Confirm(Dialog::End { text, .. }) => {
                return self.act(Intent::End(EndCause::Other, text), clock, ctx);
            }
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

    /// Every answer given so far, stored or typed, by field name: what a wrong script hands
    /// to the next one.
    fn carry_over(&self) -> HashMap<String, String> {
        let mut carried = self.carried.clone();
        carried.extend(self.call.session().answers());
        for (field, typed) in &self.inputs {
            if !typed.trim().is_empty() {
                carried.insert(field.clone(), typed.clone());
            }
        }
        carried
    }

    /// The intent the keys of this frame mean, before any widget is drawn.
    fn keys_intent(&mut self, ui: &egui::Ui, pressed: Pressed, shown: &Shown) -> Option<Intent> {
        let view = &shown.view;
        if let Some(open) = &self.dialog {
            return dialog::keys(open, pressed);
        }
        if view.ended.is_some() {
            return if pressed.copy {
                Some(Intent::Copy)
            } else if pressed.note {
                Some(Intent::Open(Dialog::Note(String::new())))
            } else if pressed.enter {
                Some(Intent::NewCall)
            } else {
                None
            };
        }
        let focused = self.focused_field(ui);
        if let Some(index) = focused
            && let Some(field) = view.fields.get(index)
            && let Some(choice) = step::choice_key(field, pressed, self.inputs.get(&field.name))
        {
            self.inputs.insert(field.name.clone(), choice);
            return None;
        }
        let option_key = pressed.alt_digit.or(pressed.digit);
        if let Some(key) = option_key {
            return view
                .options
                .iter()
                .find(|o| o.key == Some(key) && o.enabled)
                .map(|o| Intent::Choose(o.index))
                .or_else(|| {
                    self.message = Some(format!("There is no option {key} here."));
                    None
                });
        }
        if pressed.back && shown.saved.actions.back {
            return Some(Intent::Back(1));
        }
        if pressed.note {
            return Some(Intent::Open(Dialog::Note(String::new())));
        }
        if pressed.skip {
            if shown.saved.actions.skip {
                return Some(Intent::Open(Dialog::Skip(String::new())));
            }
            self.message = Some(skip_refusal(view).to_owned());
            return None;
        }
        if pressed.escalate {
            return Some(Intent::Open(Dialog::Escalate(String::new())));
        }
        if pressed.escape {
            return Some(Intent::Open(Dialog::End {
                text: String::new(),
                other: false,
            }));
        }
        if pressed.enter {
            return self.enter(focused, view);
        }
        None
    }

    /// Enter: to the next field, else Continue, else (a step with options) off the fields so
    /// that the number keys choose.
    fn enter(&mut self, focused: Option<usize>, view: &View) -> Option<Intent> {
        if let Some(index) = focused
            && let Some(next) = view.fields.get(index + 1)
        {
            self.focus_field = Some(next.name.clone());
            return None;
        }
        if view.actions.go_on {
            return Some(Intent::Continue);
        }
        if focused.is_some() {
            self.release_keyboard = true;
        }
        None
    }
}

/// Why Skip is not offered on this step, in words.
pub(super) fn skip_refusal(view: &View) -> &'static str {
    if view.options.is_empty() {
        "This step cannot be skipped."
    } else {
        "A step with options cannot be skipped: choose one, or escalate the call."
    }
}

/// Draws a call and carries out what the agent did.
pub(crate) fn call_ui(ui: &mut egui::Ui, screen: &mut CallScreen, clock: &Clock) -> CallOutcome {
    let now = clock();
    screen.refresh(now);
    let Some(shown) = screen.shown.take() else {
        return CallOutcome::Stay;
    };
    if shown.minute.is_some() {
        // Nothing else may happen for a while: redraw so time-gated options open on time.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(15));
    }
    let typing = ui.ctx().text_edit_focused();
    // Plain Enter is always ours (next field, Continue, confirm); Shift+Enter is left to a
    // comment or a dialog box, for a new line.
    let pressed = if screen.keyboard {
        keys::take(ui, typing, true)
    } else {
        Pressed::default()
    };
    let mut intent = screen.keys_intent(ui, pressed, &shown);

    let unsaved = screen.call.unsaved();
    if unsaved > 0 && now - screen.last_retry >= RETRY_EVERY && intent.is_none() {
        intent = Some(Intent::Retry);
    }
    let copied = screen.copied_at.is_some_and(|at| now - at < COPIED_FOR);
    let language = header::Language::of(screen.call.session());
    if let Some(next) = header::ui(ui, &shown, now, unsaved, language.as_ref()) {
        intent = Some(next);
    }
    if let Some(next) = actions::ui(ui, &shown.saved, screen.dialog.is_some(), screen.keyboard) {
        intent = Some(next);
    }
    if let Some(open) = screen.dialog.clone()
        && let Some(next) = dialog::ui(ui, &open, screen)
    {
        intent = Some(next);
    }
    if !screen.compact {
        captured::ui(ui, &shown);
    }
    let drawn = egui::CentralPanel::default()
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| {
                    if let Some(message) = &screen.message {
                        ui.colored_label(ui.visuals().error_fg_color, message);
                        ui.add_space(6.0);
                    }
                    if shown.view.ended.is_some() {
                        finished::ui(ui, &shown, copied, screen.keyboard)
                    } else {
                        step::ui(ui, &shown.view, screen)
                    }
                })
                .inner
        })
        .inner;
    if drawn.is_some() {
        intent = drawn;
    }
    if std::mem::take(&mut screen.release_keyboard)
        && screen.keyboard
        && let Some(id) = ui.memory(|m| m.focused())
    {
        ui.memory_mut(|m| m.surrender_focus(id));
    }
    if unsaved > 0 || copied {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(500));
    }
    screen.shown = Some(shown);
    match intent {
        Some(intent) => screen.act(intent, clock, ui.ctx()),
        None => CallOutcome::Stay,
    }
}
