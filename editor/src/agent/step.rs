//! The step being played: the text to say, agent guidance, the fields to fill, the options,
//! and the keys that choose them (1 to 9, Enter to continue).

use std::collections::HashMap;

use calltree_engine::{InputKind, TextRole, View};
use egui::{Key, RichText};

use super::call_screen::Intent;

/// Draws the step; typing goes into `inputs`.
pub(super) fn ui(
    ui: &mut egui::Ui,
    view: &View,
    inputs: &mut HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> Option<Intent> {
    let mut intent = None;
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
        let entry = inputs
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
        if let Some(error) = errors.get(&field.name) {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    ui.add_space(10.0);
    for option in &view.options {
        let key = option.key.map_or_else(String::new, |k| format!("{k}  "));
        let button = egui::Button::new(RichText::new(format!("{key}{}", option.label)).size(18.0))
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
            intent = Some(Intent::Choose(option.index));
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
        intent = Some(Intent::Continue);
    }
    intent
}

/// The step's keys, when no dialog is open: 1-9 choose when no text box has the keyboard,
/// Enter continues.
pub(super) fn keys(ui: &egui::Ui, view: &View) -> Option<Intent> {
    let mut intent = None;
    if !ui.ctx().text_edit_focused() {
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
                    .find(|o| o.key == u8::try_from(number + 1).ok() && o.enabled)
            {
                intent = Some(Intent::Choose(option.index));
            }
        }
    }
    if ui.input(|i| i.key_pressed(Key::Enter)) && view.actions.go_on {
        intent = Some(Intent::Continue);
    }
    intent
}
