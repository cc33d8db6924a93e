//! The reason dialogs: a note, a skip or an escalation needs words before it is an event.

use egui::Key;

use super::call_screen::{Dialog, Intent};

/// Draws the open dialog; `open` is updated with what is typed.
pub(super) fn ui(ui: &mut egui::Ui, dialog: &Dialog, open: &mut Option<Dialog>) -> Option<Intent> {
    let (title, question, mut text) = match dialog {
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
    let with_text = |text: String| match dialog {
        Dialog::Note(_) => Dialog::Note(text),
        Dialog::Skip(_) => Dialog::Skip(text),
        Dialog::Escalate(_) => Dialog::Escalate(text),
    };
    if confirmed {
        Some(Intent::Confirm(with_text(text)))
    } else if cancelled {
        Some(Intent::CloseDialog)
    } else {
        *open = Some(with_text(text));
        None
    }
}
