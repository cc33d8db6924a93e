//! The call's action bar: Back, Note, Skip, Escalate and End call, each with its key. The
//! buttons take clicks but never the keyboard's focus, so Enter can never land on Back.

use calltree_engine::View;
use egui::{RichText, Sense};

use super::call_screen::{Dialog, Intent, skip_refusal};
use super::keys;

fn button(ui: &mut egui::Ui, enabled: bool, label: &str, key: Option<&str>) -> egui::Response {
    let mut button = egui::Button::new(RichText::new(label).size(15.0));
    if let Some(key) = key {
        button = button.shortcut_text(key);
    }
    let button = button.sense(Sense::CLICK).min_size(egui::vec2(0.0, 32.0));
    ui.add_enabled(enabled, button)
}

/// `saved` is the step as stored: Back undoes what is stored, not what is typed.
/// `show_keys`: whether the screen takes its keys (so the buttons name them).
pub(super) fn ui(
    ui: &mut egui::Ui,
    saved: &View,
    dialog_open: bool,
    show_keys: bool,
) -> Option<Intent> {
    let mut intent = None;
    let key = |name: &'static str| show_keys.then_some(name);
    egui::Panel::bottom("call_actions").show(ui, |ui| {
        ui.add_space(4.0);
        ui.add_enabled_ui(!dialog_open, |ui| {
            ui.horizontal_wrapped(|ui| {
                if saved.ended.is_some() {
                    if button(ui, true, "Note after the call", key(keys::NOTE)).clicked() {
                        intent = Some(Intent::Open(Dialog::Note(String::new())));
                    }
                    return;
                }
                if button(ui, saved.actions.back, "Back", key(keys::BACK)).clicked() {
                    intent = Some(Intent::Back(1));
                }
                if button(ui, true, "Note", key(keys::NOTE)).clicked() {
                    intent = Some(Intent::Open(Dialog::Note(String::new())));
                }
                let skip = button(ui, saved.actions.skip, "Skip step", key(keys::SKIP));
                if skip.clicked() {
                    intent = Some(Intent::Open(Dialog::Skip(String::new())));
                }
                skip.on_disabled_hover_text(skip_refusal(saved));
                if button(ui, true, "Escalate", key(keys::ESCALATE)).clicked() {
                    intent = Some(Intent::Open(Dialog::Escalate(String::new())));
                }
                if button(ui, true, "End call", key(keys::END)).clicked() {
                    intent = Some(Intent::Open(Dialog::End {
                        text: String::new(),
                        other: false,
                    }));
                }
            });
        });
        ui.add_space(4.0);
    });
    intent
}
