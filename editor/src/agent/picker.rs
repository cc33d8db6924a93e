//! The script picker: a search over the scripts agents can run, the calls left unfinished
//! (after a crash or a restart) to resume, and a customer's handoff code to take over.

use std::sync::Arc;

use calltree_calls::{AgentCalls, CallId, Handoffs};
use calltree_engine::{Event, TreeId};
use egui::{Key, RichText};

use super::{Agent, Screen};

/// The script search.
#[derive(Default)]
pub struct Picker {
    pub query: String,
    pub selected: usize,
    /// A customer's handoff code being typed.
    pub handoff: String,
}

impl Agent {
    pub(super) fn picker_ui(
        &mut self,
        ui: &mut egui::Ui,
        calls: &mut dyn AgentCalls,
        handoffs: Option<&mut dyn Handoffs>,
    ) {
        // Read from disk once; after that the list follows this app's own writes.
        let unfinished = match calls.unfinished() {
            Ok(list) => list,
            Err(error) => {
                self.notice = Some(error.to_string());
                Arc::default()
            }
        };
        let Screen::Picker(picker) = &mut self.screen else {
            return;
        };
        let mut start: Option<TreeId> = None;
        let mut resume: Option<CallId> = None;
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
                self.notice = self.take_over(&code, handoffs).err().map(|e| e.to_string());
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
            for stored in unfinished.iter() {
                let title = match stored.events.first() {
                    Some(Event::Started { tree, .. }) => project
                        .tree_by_name(tree)
                        .map_or_else(|| tree.clone(), |t| project.tree(t).title.clone()),
                    _ => stored.id.clone(),
                };
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("Resume: {title} ({} steps)", stored.events.len()))
                        .clicked()
                    {
                        resume = Some(stored.id.clone());
                    }
                    if ui
                        .small_button(format!("Set aside: {title}"))
                        .on_hover_text(
                            "stop offering this call; its log is kept with the finished calls",
                        )
                        .clicked()
                    {
                        set_aside = Some(stored.id.clone());
                    }
                });
                if let Some(problem) = &stored.problem {
                    ui.label(RichText::new(problem.describe()).weak().small());
                }
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
            self.notice = self.start(tree, calls.store()).err().map(|e| e.to_string());
        }
        if let Some(id) = resume {
            self.notice = self.resume(&id, calls).err().map(|e| e.to_string());
        }
        if let Some(id) = set_aside {
            self.notice = calls.set_aside(&id).err().map(|e| e.to_string());
        }
    }
}
