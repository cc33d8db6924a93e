//! Agent mode: find a script fast, then step through it on a live call.
//!
//! A call on screen is its event log. Each frame folds the log into a session to draw it (a
//! call is a few hundred events at most; the fold takes microseconds), and each action builds
//! one event, checks it against the session, hands it to the store, and only then adds it to
//! the log. What the screen shows has always been saved first.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use calltree_engine::{Event, InputKind, Project, Session, TextRole, TreeId, View};
use calltree_syntax::Audience;
use egui::{Key, RichText};

use crate::store::{CallId, CallStore};

/// What the agent is doing: choosing a script, or on a call.
pub enum Screen {
    Picker(Picker),
    Call(Call),
}

/// The script search.
#[derive(Default)]
pub struct Picker {
    pub query: String,
    pub selected: usize,
    /// A customer's handoff code being typed.
    pub handoff: String,
}

/// A reason or a note being written before it becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Note(String),
    Skip(String),
    Escalate(String),
}

/// A call on screen.
pub struct Call {
    pub id: CallId,
    pub log: Vec<Event>,
    /// What is typed in each field's box, before it is saved as an answer.
    pub inputs: HashMap<String, String>,
    /// Why an answer was refused, by field.
    pub errors: HashMap<String, String>,
    pub dialog: Option<Dialog>,
    /// A message about the last action (a refused step, a save that failed).
    pub message: Option<String>,
    /// A customer's session taken over by its handoff code runs on the version of the tree
    /// it started on, and is stored where the customer's events are.
    pub handed_off: Option<HandedOff>,
}

/// A customer's self-service session, found by its handoff code.
pub struct HandedOff {
    pub project: Arc<Project>,
    pub store: Box<dyn CallStore>,
}

/// Where customers' self-service sessions are found by their handoff codes.
pub trait Handoffs {
    /// The session with this code: its key, its events so far, the project of its version
    /// and the store its events go to.
    fn find(&mut self, code: &str) -> Result<(CallId, Vec<Event>, HandedOff), String>;
}

/// Milliseconds since the Unix epoch; the host's clock, passed into every event.
pub type Clock = Rc<dyn Fn() -> i64>;

pub struct Agent {
    pub project: Arc<Project>,
    pub screen: Screen,
    /// Ids of the scripts used lately, most recent first.
    pub recent: Vec<String>,
    /// Why the last call could not be started or resumed.
    pub notice: Option<String>,
    clock: Clock,
}

impl Agent {
    pub fn new(project: Arc<Project>, clock: Clock) -> Self {
        Agent {
            project,
            screen: Screen::Picker(Picker::default()),
            recent: Vec::new(),
            notice: None,
            clock,
        }
    }

    /// The trees an agent can run, matching the search in title, id, tags or description.
    pub fn matches(&self, query: &str) -> Vec<TreeId> {
        let query = query.trim().to_lowercase();
        self.project
            .trees()
            .filter(|(_, tree)| tree.serves(Audience::Agent) && tree.start.is_some())
            // Agents also know scripts by their ids; customers never see those.
            .filter(|(_, tree)| {
                tree.described_by(&query) || tree.name.to_lowercase().contains(&query)
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Starts a call on a tree: the `Started` event is stored before the call is shown.
    pub fn start(&mut self, tree: TreeId, store: &mut dyn CallStore) -> Result<(), String> {
        let session = Session::start(&self.project, tree, Audience::Agent, (self.clock)())
            .map_err(|e| e.to_string())?;
        let first = session.log()[0].clone();
        let id = store.begin(&first).map_err(|e| e.to_string())?;
        let name = self.project.tree(tree).name.clone();
        self.recent.retain(|r| *r != name);
        self.recent.insert(0, name);
        self.screen = Screen::Call(Call::new(id, vec![first]));
        Ok(())
    }

    /// Continues a stored call, refusing it clearly if the tree changed since it started.
    pub fn resume(&mut self, id: CallId, log: Vec<Event>) -> Result<(), String> {
        Session::resume(&self.project, log.clone()).map_err(|e| e.to_string())?;
        self.screen = Screen::Call(Call::new(id, log));
        Ok(())
    }

    /// Draws agent mode and handles its input.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &mut dyn CallStore,
        handoffs: Option<&mut dyn Handoffs>,
    ) {
        let clock = &self.clock;
        match &mut self.screen {
            Screen::Picker(_) => {
                egui::CentralPanel::default().show(ui, |ui| self.picker_ui(ui, store, handoffs));
            }
            Screen::Call(call) => {
                let next = match call.handed_off.take() {
                    Some(mut handed) => {
                        let project = Arc::clone(&handed.project);
                        let next = call_ui(ui, &project, call, handed.store.as_mut(), clock);
                        call.handed_off = Some(handed);
                        next
                    }
                    None => call_ui(ui, &self.project, call, store, clock),
                };
                if next == CallOutcome::Close {
                    self.screen = Screen::Picker(Picker::default());
                }
            }
        }
    }

    /// Takes over a customer's session: from here it is this agent's call, where the
    /// customer left it, with their answers.
    pub fn take_over(&mut self, code: &str, handoffs: &mut dyn Handoffs) -> Result<(), String> {
        let (id, log, mut handed) = handoffs.find(code.trim())?;
        let mut session = Session::resume(&handed.project, log).map_err(|e| e.to_string())?;
        let taken = Event::TakenOver { at: (self.clock)() };
        session.apply(taken.clone()).map_err(|e| e.to_string())?;
        handed
            .store
            .append(&id, &taken)
            .map_err(|e| e.to_string())?;
        let mut call = Call::new(id, session.log().to_vec());
        call.handed_off = Some(handed);
        self.screen = Screen::Call(call);
        Ok(())
    }

    fn picker_ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &mut dyn CallStore,
        handoffs: Option<&mut dyn Handoffs>,
    ) {
        let unfinished = store.unfinished();
        let Screen::Picker(picker) = &mut self.screen else {
            return;
        };
        let mut start: Option<TreeId> = None;
        let mut resume: Option<(CallId, Vec<Event>)> = None;
        let mut set_aside: Option<CallId> = None;

        ui.heading("Start a call");
        if let Some(notice) = &self.notice {
            ui.colored_label(ui.visuals().error_fg_color, notice);
        }
        if let Some(handoffs) = handoffs {
            let mut take = false;
            ui.horizontal(|ui| {
                let label = ui.label("Customer's handoff code");
                let code = ui
                    .add(
                        egui::TextEdit::singleline(&mut picker.handoff)
                            .hint_text("XXXX-XXXX")
                            .desired_width(120.0),
                    )
                    .labelled_by(label.id);
                if code.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    take = true;
                }
                if ui
                    .add_enabled(
                        !picker.handoff.trim().is_empty(),
                        egui::Button::new("Take over"),
                    )
                    .on_hover_text("continue a customer's self-service session, with their answers")
                    .clicked()
                {
                    take = true;
                }
            });
            if take {
                let code = std::mem::take(&mut picker.handoff);
                self.notice = self.take_over(&code, handoffs).err();
                return;
            }
        }
        let label = ui.label("Search");
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut picker.query)
                    .hint_text("Search scripts by title, tag or text")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        // The search has the keyboard unless the agent put it elsewhere (the handoff code).
        if picker.query.is_empty() && ui.ctx().memory(|m| m.focused().is_none()) {
            search.request_focus();
        }
        let query = picker.query.clone();
        let project = Arc::clone(&self.project);
        let recent = self.recent.clone();
        let mut found = self.matches(&query);
        let Screen::Picker(picker) = &mut self.screen else {
            return;
        };
        // Recently used scripts first.
        found.sort_by_key(|id| {
            let name = &project.tree(*id).name;
            recent.iter().position(|r| r == name).unwrap_or(usize::MAX)
        });
        if ui.input(|i| i.key_pressed(Key::ArrowDown)) {
            picker.selected = (picker.selected + 1).min(found.len().saturating_sub(1));
        }
        if ui.input(|i| i.key_pressed(Key::ArrowUp)) {
            picker.selected = picker.selected.saturating_sub(1);
        }
        picker.selected = picker.selected.min(found.len().saturating_sub(1));
        if ui.input(|i| i.key_pressed(Key::Enter))
            && let Some(tree) = found.get(picker.selected)
        {
            start = Some(*tree);
        }

        if !unfinished.is_empty() {
            ui.add_space(8.0);
            ui.label(RichText::new("Unfinished calls").strong());
            for (id, log) in &unfinished {
                let title = match log.first() {
                    Some(Event::Started { tree, .. }) => project
                        .tree_by_name(tree)
                        .map_or_else(|| tree.clone(), |t| project.tree(t).title.clone()),
                    _ => id.clone(),
                };
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("Resume: {title} ({} steps)", log.len()))
                        .clicked()
                    {
                        resume = Some((id.clone(), log.clone()));
                    }
                    if ui
                        .small_button(format!("Set aside: {title}"))
                        .on_hover_text(
                            "stop offering this call; its log is kept with the finished calls",
                        )
                        .clicked()
                    {
                        set_aside = Some(id.clone());
                    }
                });
            }
        }

        ui.add_space(8.0);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (index, id) in found.iter().enumerate() {
                let tree = project.tree(*id);
                let mut text = RichText::new(&tree.title).size(16.0);
                if index == picker.selected {
                    text = text.strong();
                }
                let row = ui.selectable_label(index == picker.selected, text);
                if !tree.tags.is_empty() {
                    ui.label(RichText::new(tree.tags.join(", ")).weak().small());
                }
                if row.clicked() {
                    start = Some(*id);
                }
            }
            if found.is_empty() {
                ui.label("No script matches this search.");
            }
        });

        if let Some(tree) = start {
            self.notice = self.start(tree, store).err();
        }
        if let Some((id, log)) = resume {
            self.notice = self.resume(id, log).err();
        }
        if let Some(id) = set_aside {
            self.notice = store.finish(&id).err().map(|e| e.to_string());
        }
    }
}

impl Call {
    pub(crate) fn new(id: CallId, log: Vec<Event>) -> Self {
        Call {
            id,
            log,
            inputs: HashMap::new(),
            errors: HashMap::new(),
            dialog: None,
            message: None,
            handed_off: None,
        }
    }
}

#[derive(PartialEq, Eq)]
pub(crate) enum CallOutcome {
    Stay,
    Close,
}

/// Plays one event: checked against the call first, then stored, then added to the log.
fn record(
    project: &Project,
    call: &mut Call,
    store: &mut dyn CallStore,
    event: Event,
) -> Result<(), String> {
    let Ok(mut session) = Session::resume(project, call.log.clone()) else {
        return Err("this call can no longer be continued".into());
    };
    session.apply(event.clone()).map_err(|e| e.to_string())?;
    store.append(&call.id, &event).map_err(|e| e.to_string())?;
    call.log.push(event);
    if session.is_finished() {
        // A finished call is not offered for resuming; failing to mark it only means it is.
        let _ = store.finish(&call.id);
    }
    Ok(())
}

/// Saves what was typed into the step's fields. Returns `false` if any answer was refused.
fn save_answers(
    project: &Project,
    view: &View,
    call: &mut Call,
    store: &mut dyn CallStore,
    at: i64,
) -> bool {
    let mut ok = true;
    for field in &view.fields {
        let Some(typed) = call.inputs.get(&field.name).cloned() else {
            continue;
        };
        if Some(&typed) == field.value.as_ref() {
            continue;
        }
        let event = Event::Answered {
            field: field.name.clone(),
            value: typed,
            at,
        };
        match record(project, call, store, event) {
            Ok(()) => {
                call.errors.remove(&field.name);
            }
            Err(message) => {
                call.errors.insert(field.name.clone(), message);
                ok = false;
            }
        }
    }
    ok
}

pub(crate) fn call_ui(
    ui: &mut egui::Ui,
    project: &Project,
    call: &mut Call,
    store: &mut dyn CallStore,
    clock: &Clock,
) -> CallOutcome {
    let session = match Session::resume(project, call.log.clone()) {
        Ok(session) => session,
        Err(error) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("This call cannot be shown: {error}"),
            );
            if ui.button("Back to scripts").clicked() {
                return CallOutcome::Close;
            }
            return CallOutcome::Stay;
        }
    };
    // What is typed but not saved yet is applied to a copy of the call for display only: the
    // options a typed answer enables light up at once, and a refused answer says why at once.
    // Nothing is stored until the agent moves on.
    let mut session = session;
    let saved = session.view();
    for field in &saved.fields {
        match call.inputs.get(&field.name) {
            // An untouched, empty box is not an answer (yet); emptying an answered one is.
            Some(typed)
                if Some(typed) != field.value.as_ref()
                    && !(typed.is_empty() && field.value.is_none()) =>
            {
                let preview = Event::Answered {
                    field: field.name.clone(),
                    value: typed.clone(),
                    at: session.state().last_at,
                };
                match session.apply(preview) {
                    Ok(()) => {
                        call.errors.remove(&field.name);
                    }
                    Err(error) => {
                        call.errors.insert(field.name.clone(), error.to_string());
                    }
                }
            }
            _ => {
                call.errors.remove(&field.name);
            }
        }
    }
    let view = session.view();
    let summary = session.summary();
    let can_go_back = saved.actions.back;
    drop(session);

    let mut action: Option<Event> = None;
    let mut choose: Option<u16> = None;
    let mut go_on = false;

    // Header: the script and the path so far, each earlier step a way back to it.
    egui::Panel::top("call_header").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&summary.title).strong());
            ui.separator();
            let steps = view.breadcrumb.len();
            for (index, crumb) in view.breadcrumb.iter().enumerate() {
                if index + 1 == steps {
                    ui.label(RichText::new(&crumb.title).strong());
                } else if ui
                    .link(&crumb.title)
                    .on_hover_text("go back to this step")
                    .clicked()
                {
                    for _ in index + 1..steps {
                        let at = clock();
                        if let Err(message) = record(project, call, store, Event::Back { at }) {
                            call.message = Some(message);
                            break;
                        }
                    }
                }
                if index + 1 < steps {
                    ui.label(">");
                }
            }
        });
    });

    egui::Panel::bottom("call_actions").show(ui, |ui| {
        ui.horizontal(|ui| {
            if ui
                .add_enabled(can_go_back, egui::Button::new("Back"))
                .clicked()
            {
                action = Some(Event::Back { at: clock() });
            }
            if ui.button("Note").clicked() {
                call.dialog = Some(Dialog::Note(String::new()));
            }
            if view.ended.is_none() {
                if ui
                    .add_enabled(view.actions.skip, egui::Button::new("Skip step"))
                    .clicked()
                {
                    call.dialog = Some(Dialog::Skip(String::new()));
                }
                if ui.button("Escalate").clicked() {
                    call.dialog = Some(Dialog::Escalate(String::new()));
                }
            }
        });
    });

    let mut outcome = CallOutcome::Stay;
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(message) = &call.message {
                ui.colored_label(ui.visuals().error_fg_color, message);
            }
            if let Some(ended) = &view.ended {
                ui.heading(RichText::new("Call finished").size(24.0));
                for text in view.texts.iter().filter(|t| t.role == TextRole::Say) {
                    ui.label(RichText::new(&text.text).size(18.0));
                }
                let mut outcome_line = ended
                    .outcome
                    .map_or("finished".to_owned(), |o| o.name().to_owned());
                if let Some(to) = &ended.to {
                    outcome_line.push_str(&format!(" to {to}"));
                }
                if let Some(code) = &ended.code {
                    outcome_line.push_str(&format!(" (code {code})"));
                }
                ui.label(
                    RichText::new(format!("Outcome: {outcome_line}"))
                        .strong()
                        .size(18.0),
                );
                let text = summary.to_plain_text();
                ui.add_space(8.0);
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.monospace(&text);
                });
                ui.horizontal(|ui| {
                    if ui.button("Copy summary").clicked() {
                        ui.ctx().copy_text(text.clone());
                        call.message = None;
                    }
                    if ui.button("New call").clicked() {
                        outcome = CallOutcome::Close;
                    }
                });
                return;
            }

            ui.heading(RichText::new(&view.title).size(26.0));
            ui.add_space(6.0);
            for text in &view.texts {
                match text.role {
                    TextRole::Say => {
                        ui.label(RichText::new(&text.text).size(20.0));
                    }
                    TextRole::Agent => {
                        egui::Frame::group(ui.style())
                            .fill(ui.visuals().faint_bg_color)
                            .show(ui, |ui| {
                                ui.label(RichText::new(format!("Agent: {}", text.text)).italics());
                            });
                    }
                }
            }
            if let Some(problem) = &view.stuck {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("This step is broken: {problem}"),
                );
            }

            for field in &view.fields {
                ui.add_space(6.0);
                let mut label = field.label.clone();
                if field.required {
                    label.push_str(" *");
                }
                let label = ui.label(RichText::new(label).strong());
                let entry = call
                    .inputs
                    .entry(field.name.clone())
                    .or_insert_with(|| field.value.clone().unwrap_or_default());
                match &field.input {
                    InputKind::Choice { values } => {
                        ui.horizontal_wrapped(|ui| {
                            for value in values {
                                ui.radio_value(entry, value.value.clone(), &value.label);
                            }
                        });
                    }
                    InputKind::YesNo => {
                        ui.horizontal(|ui| {
                            ui.radio_value(entry, "yes".to_owned(), "Yes");
                            ui.radio_value(entry, "no".to_owned(), "No");
                        });
                    }
                    _ => {
                        let hint = match &field.input {
                            InputKind::Date => "YYYY-MM-DD",
                            InputKind::Number { .. } | InputKind::Rating { .. } => "a number",
                            _ => "",
                        };
                        ui.add(
                            egui::TextEdit::singleline(entry)
                                .hint_text(hint)
                                .id_salt(&field.name),
                        )
                        .labelled_by(label.id);
                    }
                }
                if let Some(error) = call.errors.get(&field.name) {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            }

            ui.add_space(10.0);
            for option in &view.options {
                let key = option.key.map_or_else(String::new, |k| format!("{k}  "));
                let button =
                    egui::Button::new(RichText::new(format!("{key}{}", option.label)).size(18.0))
                        .min_size(egui::vec2(ui.available_width().min(560.0), 36.0));
                let response = ui.add_enabled(option.enabled, button);
                let response = match &option.reason {
                    Some(reason) => response.on_disabled_hover_text(reason),
                    None => response,
                };
                if let Some(reason) = &option.reason {
                    ui.label(RichText::new(reason).weak().small());
                }
                if response.clicked() {
                    choose = Some(option.index);
                }
            }
            if view.actions.go_on
                && ui
                    .add(
                        egui::Button::new(RichText::new("Continue (Enter)").size(18.0))
                            .min_size(egui::vec2(200.0, 36.0)),
                    )
                    .clicked()
            {
                go_on = true;
            }
        });
    });
    if outcome == CallOutcome::Close {
        return outcome;
    }

    // The reason dialogs: a note, a skip or an escalation needs words before it is an event.
    if let Some(dialog) = call.dialog.clone() {
        let (title, question, mut text) = match &dialog {
            Dialog::Note(text) => ("Add a note", "Note", text.clone()),
            Dialog::Skip(text) => ("Skip this step", "Why skip this step?", text.clone()),
            Dialog::Escalate(text) => ("Escalate the call", "Why escalate?", text.clone()),
        };
        let mut confirmed = false;
        let mut cancelled = false;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .show(ui.ctx(), |ui| {
                let label = ui.label(question);
                let edit = ui
                    .add(
                        egui::TextEdit::multiline(&mut text)
                            .desired_rows(3)
                            .id_salt("dialog_text"),
                    )
                    .labelled_by(label.id);
                edit.request_focus();
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!text.trim().is_empty(), egui::Button::new("OK"))
                        .clicked()
                    {
                        confirmed = true;
                    }
                    if ui.button("Cancel").clicked() {
                        cancelled = true;
                    }
                });
            });
        if ui.input(|i| i.key_pressed(Key::Escape)) {
            cancelled = true;
        }
        let at = clock();
        if confirmed {
            action = Some(match dialog {
                Dialog::Note(_) => Event::Noted { text, at },
                Dialog::Skip(_) => Event::Skipped { reason: text, at },
                Dialog::Escalate(_) => Event::Escalated { reason: text, at },
            });
            call.dialog = None;
        } else if cancelled {
            call.dialog = None;
        } else {
            call.dialog = Some(match dialog {
                Dialog::Note(_) => Dialog::Note(text),
                Dialog::Skip(_) => Dialog::Skip(text),
                Dialog::Escalate(_) => Dialog::Escalate(text),
            });
        }
    } else if view.ended.is_none() {
        // Keys work when no text box has the keyboard: 1-9 choose, Enter continues.
        let typing = ui.ctx().text_edit_focused();
        if !typing {
            let digits = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
            ];
            for (number, key) in digits.iter().enumerate() {
                if ui.input(|i| i.key_pressed(*key))
                    && let Some(option) = view
                        .options
                        .iter()
                        .find(|o| o.key == Some(u8::try_from(number + 1).unwrap_or(0)) && o.enabled)
                {
                    choose = Some(option.index);
                }
            }
        }
        if ui.input(|i| i.key_pressed(Key::Enter)) && view.actions.go_on {
            go_on = true;
        }
    }

    let at = clock();
    if choose.is_some() || go_on {
        call.message = None;
        if save_answers(project, &saved, call, store, at) {
            let event = match choose {
                Some(index) => match Session::resume(project, call.log.clone())
                    .ok()
                    .and_then(|session| session.choice(index, at))
                {
                    Some(event) => event,
                    None => {
                        call.message = Some("that option is no longer there".to_owned());
                        return CallOutcome::Stay;
                    }
                },
                None => Event::Continued { at },
            };
            action = Some(event);
            call.inputs.clear();
        }
    }
    if let Some(event) = action {
        let back = matches!(event, Event::Back { .. });
        match record(project, call, store, event) {
            Ok(()) => {
                call.message = None;
                if back {
                    call.inputs.clear();
                    call.errors.clear();
                }
            }
            Err(message) => call.message = Some(message),
        }
    }
    CallOutcome::Stay
}
