//! The live preview: the tree being edited, played as an agent or a customer would see it.
//! After every edit that parses, the choices made so far are played again on the new text, so
//! the author watches the change take effect where they are, not from the start.

use std::sync::Arc;

use calltree_calls::{Call, CallStore, MemoryCalls};
use calltree_engine::{Event, Project, Session};
use calltree_syntax::Audience;

use crate::agent::{CallOutcome, CallScreen, Clock, call_ui};

/// The preview's call and who it is played as.
pub struct Preview {
    pub audience: Audience,
    /// The tree being played, by name, so it survives reloads.
    pub tree: Option<String>,
    pub call: Option<CallScreen>,
    /// What happened at the last replay, when not every step could be played again.
    pub replay_note: Option<String>,
}

impl Default for Preview {
    fn default() -> Self {
        Preview {
            audience: Audience::Agent,
            tree: None,
            call: None,
            replay_note: None,
        }
    }
}

impl Preview {
    /// Starts the tree from its first step.
    pub fn restart(&mut self, project: &Arc<Project>, tree: &str, at: i64) {
        self.tree = Some(tree.to_owned());
        self.replay_note = None;
        self.call = None;
        let Some(id) = project.tree_by_name(tree) else {
            self.replay_note = Some(format!("there is no tree `{tree}` to play"));
            return;
        };
        match Session::start(Arc::clone(project), id, self.audience, at) {
            Ok(session) => self.call = Preview::new_call(session),
            Err(error) => self.replay_note = Some(error.to_string()),
        }
    }

    /// A call for the preview, kept in memory only: the author's plays are not calls.
    fn new_call(session: Session) -> Option<CallScreen> {
        let mut store: Box<dyn CallStore> = Box::new(MemoryCalls::new());
        let (first, rest) = session.log().split_first()?;
        let id = store.begin(first).ok()?;
        store.append(&id, 1, rest).ok()?;
        Some(CallScreen::preview(Call::open(id, session, store)))
    }

    /// Plays the choices made so far again on a new version of the project.
    pub fn replay(&mut self, project: &Arc<Project>) {
        let Some(tree) = self.tree.clone() else {
            return;
        };
        let Some(old) = self.call.take() else {
            self.restart(project, &tree, 0);
            return;
        };
        let old_log = old.call.session().log();
        let at = old_log.first().map_or(0, Event::at);
        self.restart(project, &tree, at);
        let Some(call) = self.call.take() else {
            return;
        };
        let Ok(mut session) =
            Session::resume(Arc::clone(project), call.call.session().log().to_vec())
        else {
            return;
        };
        let steps = old_log.len().saturating_sub(1);
        for (played, event) in old_log.iter().skip(1).enumerate() {
            if let Err(error) = session.apply(event.clone()) {
                self.replay_note = Some(format!(
                    "Played {played} of {steps} earlier steps again; the next one no longer \
                     fits the tree: {error}"
                ));
                break;
            }
        }
        self.call = Preview::new_call(session);
        if let Some(call) = &mut self.call {
            call.inputs = old.inputs;
        }
    }

    /// Draws the preview: who it is played as, a restart button, and the call itself.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Arc<Project>,
        trees: &[String],
        clock: &Clock,
    ) {
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
        if call_ui(ui, call, clock) == CallOutcome::Close
            && let Some(tree) = self.tree.clone()
        {
            self.restart(project, &tree, clock());
        }
    }

    /// The node the preview is at, for the graph to outline.
    pub fn current_node(&self) -> Option<calltree_engine::NodeId> {
        Some(self.call.as_ref()?.call.session().state().node)
    }
}
