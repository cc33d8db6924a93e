//! The live preview: the tree being edited, played as an agent or a customer would see it.
//! After every edit that parses, the choices made so far are played again on the new text, so
//! the author watches the change take effect where they are, not from the start.

use calltree_engine::{Event, Project, Session};
use calltree_syntax::Audience;

use crate::agent::{Call, CallOutcome, Clock, call_ui};
use crate::store::{CallStore, MemoryStore};

/// The preview's call and who it is played as.
pub struct Preview {
    pub audience: Audience,
    /// The tree being played, by name, so it survives reloads.
    pub tree: Option<String>,
    pub call: Option<Call>,
    store: MemoryStore,
    /// What happened at the last replay, when not every step could be played again.
    pub replay_note: Option<String>,
}

impl Default for Preview {
    fn default() -> Self {
        Preview {
            audience: Audience::Agent,
            tree: None,
            call: None,
            store: MemoryStore::new(),
            replay_note: None,
        }
    }
}

impl Preview {
    /// Starts the tree from its first step.
    pub fn restart(&mut self, project: &Project, tree: &str, at: i64) {
        self.tree = Some(tree.to_owned());
        self.replay_note = None;
        self.call = None;
        let Some(id) = project.tree_by_name(tree) else {
            self.replay_note = Some(format!("there is no tree `{tree}` to play"));
            return;
        };
        match Session::start(project, id, self.audience, at) {
            Ok(session) => self.call = self.new_call(session.log().to_vec()),
            Err(error) => self.replay_note = Some(error.to_string()),
        }
    }

    fn new_call(&mut self, log: Vec<Event>) -> Option<Call> {
        let first = log.first()?.clone();
        let id = self.store.begin(&first).ok()?;
        for event in &log[1..] {
            self.store.append(&id, event).ok()?;
        }
        Some(Call::new(id, log))
    }

    /// Plays the choices made so far again on a new version of the project.
    pub fn replay(&mut self, project: &Project) {
        let Some(tree) = self.tree.clone() else {
            return;
        };
        let Some(old) = self.call.take() else {
            self.restart(project, &tree, 0);
            return;
        };
        let at = old.log.first().map_or(0, Event::at);
        self.restart(project, &tree, at);
        let Some(call) = &mut self.call else {
            return;
        };
        let Ok(mut session) = Session::resume(project, call.log.clone()) else {
            return;
        };
        let steps = old.log.len().saturating_sub(1);
        for (played, event) in old.log.iter().skip(1).enumerate() {
            if let Err(error) = session.apply(event.clone()) {
                self.replay_note = Some(format!(
                    "Played {played} of {steps} earlier steps again; the next one no longer \
                     fits the tree: {error}"
                ));
                break;
            }
        }
        let log = session.log().to_vec();
        let inputs = old.inputs;
        self.call = self.new_call(log);
        if let Some(call) = &mut self.call {
            call.inputs = inputs;
        }
    }

    /// Draws the preview: who it is played as, a restart button, and the call itself.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, trees: &[String], clock: &Clock) {
        let mut restart = false;
        ui.horizontal(|ui| {
            ui.label("Play as");
            for audience in [Audience::Agent, Audience::Customer] {
                if ui
                    .selectable_label(self.audience == audience, audience.name())
                    .clicked()
                    && self.audience != audience
                {
                    self.audience = audience;
                    restart = true;
                }
            }
            if trees.len() > 1 {
                let shown = self.tree.clone().unwrap_or_default();
                let label = ui.label("Tree");
                egui::ComboBox::from_id_salt("preview_tree")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        for tree in trees {
                            if ui
                                .selectable_label(self.tree.as_ref() == Some(tree), tree)
                                .clicked()
                            {
                                self.tree = Some(tree.clone());
                                restart = true;
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            if ui.button("Restart").clicked() {
                restart = true;
            }
        });
        if self.tree.as_ref().is_none_or(|t| !trees.contains(t)) {
            self.tree = trees.first().cloned();
            restart = true;
        }
        if restart && let Some(tree) = self.tree.clone() {
            self.restart(project, &tree, clock());
        }
        if let Some(note) = &self.replay_note {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        let Some(call) = &mut self.call else {
            ui.label("This file has no tree to play.");
            return;
        };
        let mut store: Box<dyn CallStore> = Box::new(self.store.clone());
        if call_ui(ui, project, call, store.as_mut(), clock) == CallOutcome::Close
            && let Some(tree) = self.tree.clone()
        {
            self.restart(project, &tree, clock());
        }
    }

    /// The node the preview is at, for the graph to outline.
    pub fn current_node(&self, project: &Project) -> Option<calltree_engine::NodeId> {
        let call = self.call.as_ref()?;
        let session = Session::resume(project, call.log.clone()).ok()?;
        Some(session.state().node)
    }
}
