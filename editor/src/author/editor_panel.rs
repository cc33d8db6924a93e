//! The text being edited, with colours, underlines, and the recovery and outside-change
//! notices above it.

use egui::RichText;

use super::{Author, Hold, Mark};

impl Author {
    pub(super) fn editor(&mut self, ui: &mut egui::Ui) {
        let messages = std::mem::take(&mut self.documents.messages);
        let mut keep_messages = Vec::new();
        for message in messages {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, &message);
                if !ui.small_button("Dismiss").clicked() {
                    keep_messages.push(message.clone());
                }
            });
        }
        self.documents.messages = keep_messages;
        let Some(index) = self.current_index() else {
            ui.label("This folder has no .tree files yet. Create one with New tree.");
            return;
        };
        let now = (self.clock)();
        if let Some(hold) = self.documents.docs[index].hold.clone() {
            let name = self.documents.docs[index].name.clone();
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let (text, keep, drop) = match hold {
                    Hold::Recovered => (
                        format!(
                            "{name} had unsaved changes when calltree last closed; they are restored below."
                        ),
                        "Keep restored text",
                        "Discard them",
                    ),
                    Hold::ChangedOnDisk(_) => (
                        format!(
                            "{name} was changed by another program while you were editing it. Saving is paused."
                        ),
                        "Keep my version",
                        "Load theirs",
                    ),
                    Hold::Deleted => (
                        format!("{name} was deleted by another program."),
                        "Save it again",
                        "Close it",
                    ),
                };
                ui.colored_label(ui.visuals().warn_fg_color, text);
                ui.horizontal(|ui| {
                    if ui.button(keep).clicked()
                        && let Err(error) = self.documents.keep(index)
                    {
                        self.documents.messages.push(error.to_string());
                    }
                    if ui.button(drop).clicked() {
                        if matches!(hold, Hold::Deleted) {
                            self.documents.close(index);
                        } else {
                            self.documents.revert(index);
                        }
                    }
                });
            });
        }
        // Closing a deleted file removed it: there is nothing to edit this frame.
        let Some(doc) = self.documents.docs.get(index) else {
            return;
        };
        let name = doc.name.clone();
        let marks: Vec<Mark> = self
            .problems()
            .iter()
            .filter(|p| p.file == name)
            .map(|p| Mark::new(p.start, p.end, p.severity))
            .collect();
        let jump = self.jump.take();
        let id = egui::Id::unique(("tree_text", &name));
        let label = ui.label(RichText::new(format!("Editing {name}")).strong());
        let output = self.code.ui(
            ui,
            id,
            label.id,
            &mut self.documents.docs[index].text,
            &marks,
            jump,
        );
        if output.changed {
            self.documents.edited(index, now);
        }
        self.cursor = output.cursor;
        self.selection = output.selection;
        self.view = output.view;
    }
}
