//! The script picker: a search over the scripts a call can start on (sub-trees such as a
//! greeting are not among them), the calls left unfinished (after a crash or a restart) with
//! when they started and where they stopped, and a customer's handoff code to take over.
//! One list, one selection: Up and Down move through the unfinished calls and the scripts, Enter
//! resumes or starts the one selected.

use std::sync::Arc;

use calltree_calls::{AgentCalls, CallId, Handoffs, StoredCall};
use calltree_engine::{Given, Project, Session, TreeId};
use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use super::{Agent, Screen};
use crate::look::Palette;

/// The script search.
#[derive(Default)]
pub struct Picker {
    pub query: String,
    pub selected: usize,
    /// A customer's handoff code being typed.
    pub handoff: String,
    /// The unfinished calls as rows, worked out once per list (folding each call once).
    rows: Option<(usize, Vec<Unfinished>)>,
    /// The start dialog of a script with `given` fields, when one is open.
    pub starting: Option<Starting>,
}

impl Picker {
    /// The picker with a script's start dialog open.
    pub fn starting(starting: Starting) -> Picker {
        Picker {
            starting: Some(starting),
            ..Picker::default()
        }
    }
}

/// The start dialog: a script whose `given` fields can be filled in before the call starts
/// (what a phone system would have handed in), each box checked as an answer is.
#[derive(Debug, Clone)]
pub struct Starting {
    pub tree: TreeId,
    /// Each given field: its name, its label and what is typed.
    pub fields: Vec<(String, String, String)>,
    /// Why the last try to start was refused.
    pub problem: Option<String>,
}

impl Starting {
    /// The dialog for `tree`, its boxes filled with the values handed in for them.
    pub fn new(project: &Project, tree: TreeId, handed_in: &[Given]) -> Starting {
        let fields = project
            .tree(tree)
            .variables
            .iter()
            .filter(|v| v.given)
            .map(|v| {
                let value = handed_in
                    .iter()
                    .find(|g| g.field == v.name)
                    .map(|g| g.value.clone())
                    .unwrap_or_default();
                (v.name.clone(), v.shown_label().to_owned(), value)
            })
            .collect();
        Starting {
            tree,
            fields,
            problem: None,
        }
    }

    /// The values to start with: the boxes that are not empty.
    fn given(&self) -> Vec<Given> {
        self.fields
            .iter()
            .filter(|(_, _, value)| !value.trim().is_empty())
            .map(|(field, _, value)| Given {
                field: field.clone(),
                value: value.clone(),
            })
            .collect()
    }
}

/// An unfinished call as the picker lists it.
#[derive(Debug, Clone)]
pub struct Unfinished {
    pub id: CallId,
    pub title: String,
    /// The step it stopped at, when its tree version is the one agents run now.
    pub step: Option<String>,
    pub started_at: i64,
    pub last_at: i64,
    /// The first answer that names who is calling, else the first answer.
    pub caller: Option<String>,
    /// Why it cannot be continued, if it cannot.
    pub problem: Option<String>,
}

/// How many unfinished calls the picker lists, the most recent first.
const UNFINISHED_SHOWN: usize = 30;

/// Words in the labels of fields that usually say who is calling.
const CALLER_WORDS: [&str; 7] = [
    "name", "caller", "account", "customer", "email", "phone", "postcode",
];

fn describe(project: &Arc<Project>, stored: &StoredCall) -> Unfinished {
    let (tree, started_at) = match stored.events.first() {
        Some(calltree_engine::Event::Started { tree, at, .. }) => (tree.clone(), *at),
        _ => (stored.id.clone(), 0),
    };
    let title = project
        .tree_by_name(&tree)
        .map_or_else(|| tree.clone(), |t| project.tree(t).title.clone());
    let last_at = stored
        .events
        .last()
        .map_or(started_at, calltree_engine::Event::at);
    let mut row = Unfinished {
        id: stored.id.clone(),
        title,
        step: None,
        started_at,
        last_at,
        caller: None,
        problem: stored
            .problem
            .as_ref()
            .map(calltree_calls::LogProblem::describe),
    };
    match Session::resume(Arc::clone(project), stored.events.clone()) {
        Ok(session) => {
            let summary = session.summary();
            row.step = summary.path.last().map(|c| c.title.clone());
            let caller = summary
                .answers
                .iter()
                .find(|(label, _)| {
                    let label = label.to_lowercase();
                    CALLER_WORDS.iter().any(|w| label.contains(w))
                })
                .or(summary.answers.first());
            row.caller = caller.map(|(label, value)| format!("{label}: {value}"));
        }
        Err(error) if row.problem.is_none() => row.problem = Some(error.to_string()),
        Err(_) => {}
    }
    row
}

/// A time of day in the machine's time zone, for "started 14:02".
fn clock_time(millis: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(millis)
        .map(|t| t.to_zoned(zone.clone()).strftime("%H:%M").to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn minutes(millis: i64) -> String {
    let seconds = millis.max(0) / 1_000;
    if seconds < 60 {
        format!("{seconds}s")
    } else if seconds < 3_600 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} h {} min", seconds / 3_600, seconds / 60 % 60)
    }
}

/// What the agent picked this frame.
enum Picked {
    Start(TreeId),
    Resume(CallId),
    SetAside(CallId),
    TakeOver(String),
}

impl Agent {
    /// The trees a call can start on: they serve agents, have a start, and are not sub-trees
    /// (which only make sense inside the script that calls them), in the search's order.
    pub fn scripts(&self, query: &str) -> Vec<TreeId> {
        let project = &self.project;
        let mut found: Vec<TreeId> = self
            .matches(query)
            .into_iter()
            .filter(|id| !project.is_sub_tree(*id))
            .collect();
        found.sort_by_key(|id| {
            let name = &project.tree(*id).name;
            self.recent
                .iter()
                .position(|r| r == name)
                .unwrap_or(usize::MAX)
        });
        found
    }

    pub(super) fn picker_ui(
        &mut self,
        ui: &mut egui::Ui,
        calls: &mut dyn AgentCalls,
        handoffs: Option<&mut dyn Handoffs>,
    ) {
        let palette = Palette::of(ui);
        // Read from disk once; after that the list follows this app's own writes.
        let unfinished = match calls.unfinished() {
            Ok(list) => list,
            Err(error) => {
                self.notice = Some(error.to_string());
                Arc::default()
            }
        };
        let project = Arc::clone(&self.project);
        let zone = self.time_zone.clone();
        let now = (self.clock)();
        let query = match &self.screen {
            Screen::Picker(picker) => picker.query.clone(),
            Screen::Call(_) => return,
        };
        let scripts = self.scripts(&query);
        let Screen::Picker(picker) = &mut self.screen else {
            return;
        };
        if let Some(starting) = &mut picker.starting {
            let picked = start_dialog(ui, &project, starting);
            match picked {
                Some(StartDialog::Cancel) => picker.starting = None,
                Some(StartDialog::Start(tree, given)) => {
                    if self.calls_problem.is_some() {
                        self.notice = Some(
                            "No call can start until calls can be kept: see the message above."
                                .to_owned(),
                        );
                    } else if let Err(error) = self.start_with(tree, given, calls.store())
                        && let Screen::Picker(picker) = &mut self.screen
                        && let Some(starting) = &mut picker.starting
                    {
                        starting.problem = Some(error.to_string());
                    }
                }
                None => {}
            }
            return;
        }
        let list_key = Arc::as_ptr(&unfinished) as usize;
        if picker.rows.as_ref().is_none_or(|(key, _)| *key != list_key) {
            // The most recent first; only the latest are listed (an agent has a handful; a
            // folder of thousands must not slow every frame).
            let mut latest: Vec<&StoredCall> = unfinished.iter().collect();
            latest.sort_by_key(|s| std::cmp::Reverse(s.events.first().map_or(0, |e| e.at())));
            latest.truncate(UNFINISHED_SHOWN);
            let rows = latest.into_iter().map(|s| describe(&project, s)).collect();
            picker.rows = Some((list_key, rows));
        }
        let rows: &[Unfinished] = picker.rows.as_ref().map_or(&[], |(_, rows)| rows);
        let not_shown = unfinished.len().saturating_sub(rows.len());
        let total = rows.len() + scripts.len();
        let mut picked: Option<Picked> = None;

        // Keys first: the search box has the keyboard, and these are not typing.
        let (down, up, enter, handoff_key) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.key_pressed(Key::Enter),
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::H)),
            )
        });
        if down {
            picker.selected = (picker.selected + 1).min(total.saturating_sub(1));
        }
        if up {
            picker.selected = picker.selected.saturating_sub(1);
        }
        picker.selected = picker.selected.min(total.saturating_sub(1));

        ui.horizontal(|ui| {
            ui.heading(RichText::new("Start a call").size(22.0));
            if handoffs.is_some() {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let take = ui
                        .add_enabled(
                            !picker.handoff.trim().is_empty(),
                            egui::Button::new("Take over"),
                        )
                        .on_hover_text(
                            "continue a customer's self-service session, with their answers",
                        );
                    let code_id = egui::Id::unique("agent-handoff-code");
                    let code = ui.add(
                        egui::TextEdit::singleline(&mut picker.handoff)
                            .hint_text("XXXX-XXXX")
                            .desired_width(110.0)
                            .id(code_id),
                    );
                    let label = ui.label("Customer's handoff code (Ctrl+H)");
                    let code = code.labelled_by(label.id);
                    if handoff_key {
                        code.request_focus();
                    }
                    let entered = code.lost_focus() && enter;
                    if (take.clicked() || entered) && !picker.handoff.trim().is_empty() {
                        picked = Some(Picked::TakeOver(std::mem::take(&mut picker.handoff)));
                    }
                });
            }
        });
        if let Some(problem) = &self.calls_problem {
            ui.colored_label(
                palette.error,
                format!("Calls cannot be kept on this computer: {problem}"),
            );
        }
        if let Some(notice) = &self.notice {
            ui.colored_label(palette.warning, notice);
        }
        call_language(ui, &project, &mut self.call_locale);
        ui.add_space(6.0);
        let label = ui.label(RichText::new("Search").size(15.0));
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut picker.query)
                    .hint_text(
                        "Search scripts by title, tag or text; Up and Down to pick, Enter to start",
                    )
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Heading)
                    .id(egui::Id::unique("agent-search")),
            )
            .labelled_by(label.id);
        // The search has the keyboard unless the agent put it elsewhere (the handoff code).
        if ui.ctx().memory(|m| m.focused().is_none()) {
            search.request_focus();
        }
        if search.changed() {
            picker.selected = 0;
        }
        let search_enter = enter && (search.lost_focus() || search.has_focus());
        if search_enter && picked.is_none() {
            picked = match picker.selected.checked_sub(rows.len()) {
                None => rows
                    .get(picker.selected)
                    .map(|r| Picked::Resume(r.id.clone())),
                Some(index) => scripts.get(index).map(|t| Picked::Start(*t)),
            };
            if picked.is_some() {
                search.request_focus();
            }
        }

        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            if !rows.is_empty() {
                ui.add_space(10.0);
                ui.label(
                    RichText::new(format!("Unfinished calls ({})", unfinished.len()))
                        .strong()
                        .size(16.0),
                );
                if not_shown > 0 {
                    ui.label(
                        RichText::new(format!(
                            "The {} most recent are listed; {not_shown} older ones stay in the calls folder.",
                            rows.len()
                        ))
                        .color(palette.weak),
                    );
                }
                for (index, row) in rows.iter().enumerate() {
                    let selected = picker.selected == index;
                    let mut line = format!("Resume: {}", row.title);
                    if let Some(step) = &row.step {
                        line.push_str(&format!(" — at “{step}”"));
                    }
                    let mut facts = vec![format!(
                        "started {} ({} ago), {} long",
                        clock_time(row.started_at, &zone),
                        minutes(now - row.started_at),
                        minutes(row.last_at - row.started_at)
                    )];
                    facts.extend(row.caller.clone());
                    let resume = ui.add(
                        egui::Button::selectable(selected, RichText::new(&line).size(16.0))
                            .min_size(egui::vec2(ui.available_width(), 30.0)),
                    );
                    if resume.clicked() {
                        picked = Some(Picked::Resume(row.id.clone()));
                    }
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(facts.join(" · ")).color(palette.weak));
                        if ui
                            .small_button(format!("Set aside: {}", row.title))
                            .on_hover_text("stop offering this call; its log is kept with the finished calls")
                            .clicked()
                        {
                            picked = Some(Picked::SetAside(row.id.clone()));
                        }
                    });
                    if let Some(problem) = &row.problem {
                        ui.label(RichText::new(problem).color(palette.error));
                    }
                }
            }
            ui.add_space(10.0);
            ui.label(RichText::new(format!("Scripts ({})", scripts.len())).strong().size(16.0));
            for (index, id) in scripts.iter().enumerate() {
                let tree = project.tree(*id);
                let selected = picker.selected == rows.len() + index;
                let row = ui.add(
                    egui::Button::selectable(selected, RichText::new(&tree.title).size(17.0))
                        .min_size(egui::vec2(ui.available_width(), 30.0)),
                );
                if selected && (down || up) {
                    row.scroll_to_me(None);
                }
                if row.clicked() {
                    picked = Some(Picked::Start(*id));
                }
                let mut about = Vec::new();
                if let Some(description) = &tree.description {
                    about.push(description.clone());
                }
                if !tree.tags.is_empty() {
                    about.push(tree.tags.join(" · "));
                }
                let locales = project.tree_locales(*id);
                if !locales.is_empty() {
                    about.push(format!("also in {}", locales.join(", ")));
                }
                if !about.is_empty() {
                    ui.label(RichText::new(about.join("  —  ")).color(palette.weak));
                }
                ui.add_space(2.0);
            }
            if scripts.is_empty() {
                ui.label("No script matches this search.");
            }
        });

        let Some(picked) = picked else {
            return;
        };
        if self.calls_problem.is_some() && !matches!(picked, Picked::SetAside(_)) {
            self.notice = Some(
                "No call can start until calls can be kept: see the message above.".to_owned(),
            );
            return;
        }
        self.notice = match picked {
            // A script with `given` fields opens its start dialog first.
            Picked::Start(tree) if project.tree(tree).variables.iter().any(|v| v.given) => {
                let starting = Starting::new(&project, tree, &self.handed_in);
                if let Screen::Picker(picker) = &mut self.screen {
                    picker.starting = Some(starting);
                }
                None
            }
            Picked::Start(tree) => self.start(tree, calls.store()).err().map(|e| e.to_string()),
            Picked::Resume(id) => self.resume(&id, calls).err().map(|e| e.to_string()),
            Picked::SetAside(id) => calls.set_aside(&id).err().map(|e| e.to_string()),
            Picked::TakeOver(code) => match handoffs {
                Some(handoffs) => self.take_over(&code, handoffs).err().map(|e| e.to_string()),
                None => None,
            },
        };
    }
}

/// The "Call in" choice: the language the next call's customer hears and sees, among the
/// folder's translations; not shown when there are none. The agent's own screen and guidance
/// stay in the script's language whichever is chosen.
fn call_language(ui: &mut egui::Ui, project: &Project, chosen: &mut Option<String>) {
    let locales = project.locales();
    if locales.is_empty() {
        *chosen = None;
        return;
    }
    let named = |tag: &str| match super::header::language_name(tag) {
        Some(name) => format!("{name} ({tag})"),
        None => tag.to_owned(),
    };
    ui.horizontal(|ui| {
        let label = ui.label("Call in");
        let shown = chosen
            .as_deref()
            .map_or_else(|| "the script's own language".to_owned(), named);
        egui::ComboBox::from_id_salt("agent-call-language")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(chosen, None, "the script's own language");
                for locale in &locales {
                    ui.selectable_value(chosen, Some((*locale).to_owned()), named(locale));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "the customer's language: what you read out and the options are in it; your guidance stays in the script's own",
            );
    });
}

/// What the start dialog asked for this frame.
enum StartDialog {
    Start(TreeId, Vec<Given>),
    Cancel,
}

/// Draws the start dialog: a box per `given` field, then Start call (Enter) or Cancel
/// (Escape).
fn start_dialog(
    ui: &mut egui::Ui,
    project: &Project,
    starting: &mut Starting,
) -> Option<StartDialog> {
    let palette = Palette::of(ui);
    let title = project.tree(starting.tree).title.clone();
    ui.heading(RichText::new(format!("Start a call: {title}")).size(22.0));
    ui.label("Fill in what the phone system or the caller has given; a box may stay empty unless the script needs it.");
    ui.add_space(6.0);
    let (enter, escape) = ui.input(|i| (i.key_pressed(Key::Enter), i.key_pressed(Key::Escape)));
    egui::Grid::new("start-dialog")
        .num_columns(2)
        .show(ui, |ui| {
            for (index, (_, label, value)) in starting.fields.iter_mut().enumerate() {
                let shown = ui.label(label.as_str());
                let input = ui
                    .add(
                        egui::TextEdit::singleline(value)
                            .desired_width(280.0)
                            .id(egui::Id::unique(("start-given", index))),
                    )
                    .labelled_by(shown.id);
                if index == 0 && ui.ctx().memory(|m| m.focused().is_none()) {
                    input.request_focus();
                }
                ui.end_row();
            }
        });
    if let Some(problem) = &starting.problem {
        ui.colored_label(palette.error, problem);
    }
    ui.add_space(6.0);
    let mut picked = None;
    ui.horizontal(|ui| {
        if ui.button("Start call").clicked() || enter {
            picked = Some(StartDialog::Start(starting.tree, starting.given()));
        }
        if ui.button("Cancel").clicked() || escape {
            picked = Some(StartDialog::Cancel);
        }
    });
    picked
}
