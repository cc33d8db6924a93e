//! The questions a call asks before an event: a note, why a step is skipped, why the call is
//! escalated, and how it ended. They open in a band above the action bar, never over the line
//! being read; Enter confirms (Shift+Enter for a new line) and Esc cancels.

use calltree_engine::EndCause;
use egui::RichText;

use super::call_screen::{CallScreen, Dialog, Intent};
use super::keys::Pressed;
use crate::look::Palette;

/// The ways a call ends early, in the order of their keys.
const ENDINGS: [(EndCause, &str); 3] = [
    (EndCause::HungUp, "Caller hung up"),
    (
        EndCause::WrongScript,
        "Wrong script: start another, keeping the answers",
    ),
    (EndCause::Dropped, "Call dropped"),
];

/// What the keys of this frame do to the open dialog.
pub(super) fn keys(open: &Dialog, pressed: Pressed) -> Option<Intent> {
    if pressed.escape {
        return Some(Intent::CloseDialog);
    }
    if let Dialog::End { text, other } = open {
        if !other && let Some(digit) = pressed.digit {
            return match ENDINGS.get(usize::from(digit) - 1) {
                Some((cause, _)) => Some(Intent::End(*cause, String::new())),
                None if digit == 4 => Some(Intent::Open(Dialog::End {
                    text: text.clone(),
                    other: true,
                })),
                None => None,
            };
        }
        if *other && pressed.enter && !text.trim().is_empty() {
            return Some(Intent::End(EndCause::Other, text.clone()));
        }
        return None;
    }
    let (Dialog::Note(text) | Dialog::Skip(text) | Dialog::Escalate(text)) = open else {
        return None;
    };
    (pressed.enter && !text.trim().is_empty()).then(|| Intent::Confirm(open.clone()))
}

/// Draws the open dialog; what is typed goes back into `screen.dialog`.
pub(super) fn ui(ui: &mut egui::Ui, open: &Dialog, screen: &mut CallScreen) -> Option<Intent> {
    let palette = Palette::of(ui);
    let mut intent = None;
    let focus = std::mem::take(&mut screen.focus_dialog);
    egui::Panel::bottom("call_dialog").show(ui, |ui| {
        ui.add_space(8.0);
        match open {
            Dialog::End { text, other } => {
                ui.label(RichText::new("End the call").size(18.0).strong());
                for (number, (cause, label)) in ENDINGS.iter().enumerate() {
                    if ui.button(format!("{}  {label}", number + 1)).clicked() {
                        intent = Some(Intent::End(*cause, String::new()));
                    }
                }
                if !other && ui.button("4  Something else…").clicked() {
                    intent = Some(Intent::Open(Dialog::End {
                        text: text.clone(),
                        other: true,
                    }));
                }
                if *other {
                    let mut text = text.clone();
                    let label = ui.label("Why did the call end?");
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut text)
                                .desired_width(f32::INFINITY)
                                .id(egui::Id::unique("agent-dialog-text")),
                        )
                        .labelled_by(label.id);
                    if focus {
                        edit.request_focus();
                    }
                    if ui
                        .add_enabled(
                            !text.trim().is_empty(),
                            egui::Button::new("End call").shortcut_text("Enter"),
                        )
                        .clicked()
                    {
                        intent = Some(Intent::End(EndCause::Other, text.clone()));
                    }
                    screen.dialog = Some(Dialog::End { text, other: true });
                }
                ui.label(RichText::new("Esc: keep going with the call").color(palette.weak));
            }
            Dialog::Note(text) | Dialog::Skip(text) | Dialog::Escalate(text) => {
                let (title, question) = match open {
                    Dialog::Note(_) => ("Add a note", "Note"),
                    Dialog::Skip(_) => ("Skip this step", "Why skip this step?"),
                    _ => ("Escalate the call", "Why escalate?"),
                };
                ui.label(RichText::new(title).size(18.0).strong());
                let mut text = text.clone();
                let label = ui.label(question);
                let edit = ui
                    .add(
                        egui::TextEdit::multiline(&mut text)
                            .return_key(egui::KeyboardShortcut::new(
                                egui::Modifiers::SHIFT,
                                egui::Key::Enter,
                            ))
                            .desired_rows(2)
                            .desired_width(f32::INFINITY)
                            .id(egui::Id::unique("agent-dialog-text")),
                    )
                    .labelled_by(label.id);
                if focus {
                    edit.request_focus();
                }
                ui.horizontal(|ui| {
                    let ok = egui::Button::new("OK").shortcut_text("Enter");
                    if ui.add_enabled(!text.trim().is_empty(), ok).clicked() {
                        intent = Some(Intent::Confirm(with_text(open, text.clone())));
                    }
                    if ui.button("Cancel").on_hover_text("Esc").clicked() {
                        intent = Some(Intent::CloseDialog);
                    }
                    ui.label(RichText::new("Shift+Enter: new line").color(palette.weak));
                });
                screen.dialog = Some(with_text(open, text));
            }
        }
        ui.add_space(8.0);
    });
    intent
}

fn with_text(dialog: &Dialog, text: String) -> Dialog {
    match dialog {
        Dialog::Note(_) => Dialog::Note(text),
        Dialog::Skip(_) => Dialog::Skip(text),
        Dialog::Escalate(_) => Dialog::Escalate(text),
        Dialog::End { other, .. } => Dialog::End {
            text,
            other: *other,
        },
    }
}
