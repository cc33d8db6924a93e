//! The call screen's action bar: Back, Note, Skip and Escalate.

use calltree_engine::View;

use super::call_screen::{Dialog, Intent};

/// `saved` is the step as stored: Back undoes what is stored, not what is typed.
pub(super) fn ui(ui: &mut egui::Ui, saved: &View, dialog_open: bool) -> Option<Intent> {
    let mut intent = None;
    egui::Panel::bottom("call_actions").show(ui, |ui| {
        ui.add_enabled_ui(!dialog_open, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(saved.actions.back, egui::Button::new("Back"))
                    .clicked()
                {
                    intent = Some(Intent::Back(1));
                }
                if ui.button("Note").clicked() {
                    intent = Some(Intent::Open(Dialog::Note(String::new())));
                }
                if saved.ended.is_none() {
                    if ui
                        .add_enabled(saved.actions.skip, egui::Button::new("Skip step"))
                        .clicked()
                    {
                        intent = Some(Intent::Open(Dialog::Skip(String::new())));
                    }
                    if ui.button("Escalate").clicked() {
                        intent = Some(Intent::Open(Dialog::Escalate(String::new())));
                    }
                }
            });
        });
    });
    intent
}
