//! The step being played, in the order an agent uses it: the line to say (the largest, most
//! contrasted text on screen), agent guidance in a callout that stands out from it, the fields
//! to fill, and the options with the number that chooses each.

use calltree_engine::{FieldView, InputKind, TextRole, View};
use egui::{Color32, RichText, Stroke};

use super::call_screen::{CallScreen, Intent};
use super::keys::{self, Pressed};
use super::rtl;
use crate::look::Palette;

/// The widest the step's column grows: lines longer than this are hard to read aloud.
const COLUMN: f32 = 720.0;

pub(super) fn ui(ui: &mut egui::Ui, view: &View, screen: &mut CallScreen) -> Option<Intent> {
    let palette = Palette::of(ui);
    let mut intent = None;
    ui.set_max_width(ui.available_width().min(COLUMN));
    let rtl = screen
        .call
        .session()
        .locale()
        .is_some_and(calltree_engine::translation::is_right_to_left);
    // Steps an entry skip passed over on the way here: the agent should know the call did
    // not simply forget them (the customer may ask about the restart they already did).
    for (title, because) in &view.passed_over {
        ui.label(
            RichText::new(format!("Passed over {title}: {because}"))
                .size(13.0)
                .color(palette.weak),
        );
    }
    customer_text(ui, rtl, &view.title, 17.0, palette.weak);
    ui.add_space(4.0);
    for text in view.texts.iter().filter(|t| t.role == TextRole::Say) {
        customer_text(ui, rtl, &text.text, 25.0, palette.say);
        ui.add_space(4.0);
    }
    let guidance: Vec<&str> = view
        .texts
        .iter()
        .filter(|t| t.role == TextRole::Agent)
        .map(|t| t.text.as_str())
        .collect();
    if !guidance.is_empty() {
        ui.add_space(8.0);
        guidance_callout(ui, &palette, &guidance);
    }
    if let Some(problem) = &view.stuck {
        ui.add_space(8.0);
        ui.colored_label(palette.error, format!("This step is broken: {problem}"));
    }

    screen.field_ids.clear();
    for field in &view.fields {
        ui.add_space(10.0);
        field_ui(ui, &palette, field, screen, rtl);
    }

    if !view.options.is_empty() {
        ui.add_space(14.0);
    }
    for option in &view.options {
        let key = option.key.map_or_else(String::new, |k| format!("{k}  "));
        let text = format!("{key}{}", option.label);
        let width = ui.available_width();
        let response = if rtl && rtl::has_right_to_left(&option.label) {
            // The number that chooses it comes first, so at the right of the line.
            let font = egui::FontId::proportional(18.0);
            let color = ui.visuals().text_color();
            let job = rtl::visual_line(ui, &text, font, color);
            let button = egui::Button::new("")
                .right_text(job)
                .min_size(egui::vec2(width, 40.0));
            let response = ui.add_enabled(option.enabled, button);
            let enabled = option.enabled;
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &text));
            response
        } else {
            let button =
                egui::Button::new(RichText::new(text).size(18.0)).min_size(egui::vec2(width, 40.0));
            ui.add_enabled(option.enabled, button)
        };
        if let Some(reason) = &option.reason {
            ui.label(RichText::new(format!("Not available: {reason}")).color(palette.weak));
        }
        if response.clicked() {
            intent = Some(Intent::Choose(option.index));
        }
        ui.add_space(2.0);
    }
    if view.actions.go_on {
        ui.add_space(14.0);
        let mut button = egui::Button::new(RichText::new("Continue").size(18.0));
        if screen.keyboard {
            button = button.shortcut_text(keys::CONTINUE);
        }
        let button = button.min_size(egui::vec2(220.0, 40.0));
        if ui.add(button).clicked() {
            intent = Some(Intent::Continue);
        }
    }
    intent
}

/// Words the customer hears or sees: in a right-to-left call, a right-to-left paragraph;
/// otherwise the ordinary label, exactly as before.
fn customer_text(
    ui: &mut egui::Ui,
    rtl: bool,
    text: &str,
    size: f32,
    color: Color32,
) -> egui::Response {
    if rtl && rtl::has_right_to_left(text) {
        rtl::paragraph(ui, text, egui::FontId::proportional(size), color)
    } else {
        ui.label(RichText::new(text).size(size).color(color))
    }
}

/// Agent guidance: never read aloud, often a rule that must not be broken, so it is set
/// apart in a callout with its own colours, in type as strong as the body's.
fn guidance_callout(ui: &mut egui::Ui, palette: &Palette, lines: &[&str]) {
    egui::Frame::new()
        .fill(palette.guidance_fill)
        .stroke(Stroke::new(1.5, palette.guidance_border))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(12, 10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new("FOR THE AGENT — NOT TO READ ALOUD")
                    .size(12.0)
                    .strong()
                    .color(palette.guidance_text),
            );
            for line in lines {
                ui.label(RichText::new(*line).size(16.0).color(palette.guidance_text));
            }
        });
}

fn field_ui(
    ui: &mut egui::Ui,
    palette: &Palette,
    field: &FieldView,
    screen: &mut CallScreen,
    rtl: bool,
) {
    let mut label = field.label.clone();
    if field.required {
        label.push_str(" *");
    }
    let label = customer_text(ui, rtl, &label, 15.0, palette.text);
    // Only a screen that owns the keyboard moves it (never the preview beside the editor).
    let focus = screen.keyboard && screen.focus_field.as_deref() == Some(field.name.as_str());
    let error = screen.errors.get(&field.name).cloned();
    // Carried over from a wrong script and not yet changed or stored.
    let carried = screen
        .carried
        .get(&field.name)
        .is_some_and(|c| screen.inputs.get(&field.name) == Some(c));
    let entry = screen
        .inputs
        .entry(field.name.clone())
        .or_insert_with(|| field.value.clone().unwrap_or_default());
    let mut ids = Vec::new();
    match &field.input {
        InputKind::Choice { values } => {
            let choices: Vec<(String, String)> = values
                .iter()
                .map(|v| (v.value.clone(), v.label.clone()))
                .collect();
            choice_row(ui, entry, &choices, focus, &mut ids);
        }
        InputKind::Checklist { values } => {
            let choices: Vec<(String, String)> = values
                .iter()
                .map(|v| (v.value.clone(), v.label.clone()))
                .collect();
            checkbox_row(ui, entry, &choices, focus, &mut ids);
        }
        InputKind::YesNo => {
            let choices = [
                ("yes".to_owned(), "Yes".to_owned()),
                ("no".to_owned(), "No".to_owned()),
            ];
            choice_row(ui, entry, &choices, focus, &mut ids);
        }
        input => {
            let hint = match input {
                InputKind::Date => "YYYY-MM-DD",
                InputKind::Number { .. } | InputKind::Rating { .. } => "a number",
                InputKind::Comment => "Shift+Enter for a new line",
                // The pattern's words say what the answer must be.
                _ => field.hint.as_deref().unwrap_or_default(),
            };
            let id = egui::Id::unique(("agent-field", &field.name));
            let edit = if matches!(input, InputKind::Comment) {
                egui::TextEdit::multiline(entry).desired_rows(3).return_key(
                    egui::KeyboardShortcut::new(egui::Modifiers::SHIFT, egui::Key::Enter),
                )
            } else {
                egui::TextEdit::singleline(entry)
            };
            let mut edit = edit
                .id(id)
                .hint_text(hint)
                .font(egui::FontId::proportional(16.0))
                .desired_width(420.0);
            if error.is_some() {
                edit = edit.background_color(error_tint(palette));
            }
            let response = ui.add(edit).labelled_by(label.id);
            if focus {
                response.request_focus();
            }
            ids.push(id);
        }
    }
    if focus {
        screen.focus_field = None;
    }
    if let Some(error) = error {
        ui.label(RichText::new(error).color(palette.error));
    } else if carried {
        ui.label(
            RichText::new("Carried over from the script before: check it with the caller")
                .color(palette.weak),
        );
    }
    screen.field_ids.push((field.name.clone(), ids));
}

/// A faint red behind a refused answer, as well as the message: seen at a glance.
fn error_tint(palette: &Palette) -> Color32 {
    if palette == &Palette::DARK {
        Color32::from_rgb(0x3a, 0x16, 0x16)
    } else {
        Color32::from_rgb(0xfd, 0xec, 0xea)
    }
}

/// A checklist's values as checkboxes numbered for the keyboard: Tab moves between them and
/// Space ticks, as in any egui form, and while one has the keyboard `1`–`9` tick or untick
/// by number. The entry holds the ticked words, `labs, ecg`, as the engine reads them.
fn checkbox_row(
    ui: &mut egui::Ui,
    entry: &mut String,
    choices: &[(String, String)],
    focus: bool,
    ids: &mut Vec<egui::Id>,
) {
    let mut ticked: Vec<bool> = choices
        .iter()
        .map(|(value, _)| entry.split(',').any(|w| w.trim() == value))
        .collect();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        for (number, (_, label)) in choices.iter().enumerate() {
            let text = if number < 9 {
                format!("{} {label}", number + 1)
            } else {
                label.clone()
            };
            let Some(tick) = ticked.get_mut(number) else {
                continue;
            };
            let response = ui.checkbox(tick, text);
            changed |= response.changed();
            if focus && number == 0 {
                response.request_focus();
            }
            ids.push(response.id);
        }
    });
    if changed {
        *entry = ticked_words(choices.iter().map(|(v, _)| v.as_str()), &ticked);
    }
}

/// The words of the ticked values, in declared order, as the engine reads a checklist.
fn ticked_words<'a>(values: impl Iterator<Item = &'a str>, ticked: &[bool]) -> String {
    values
        .zip(ticked)
        .filter(|(_, on)| **on)
        .map(|(value, _)| value)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The choices of a field as radio buttons numbered for the keyboard: when one of them has
/// the keyboard, `1`–`9` pick a choice and `←`/`→` move between them.
fn choice_row(
    ui: &mut egui::Ui,
    entry: &mut String,
    choices: &[(String, String)],
    focus: bool,
    ids: &mut Vec<egui::Id>,
) {
    ui.horizontal_wrapped(|ui| {
        for (number, (value, label)) in choices.iter().enumerate() {
            let text = if number < 9 {
                format!("{} {label}", number + 1)
            } else {
                label.clone()
            };
            let response = ui.radio_value(entry, value.clone(), text);
            let selected = *entry == *value;
            if focus && (selected || (number == 0 && !choices.iter().any(|(v, _)| v == entry))) {
                response.request_focus();
            }
            ids.push(response.id);
        }
    });
}

/// A key pressed while a choice field has the keyboard: the choice it picks, if any.
pub(super) fn choice_key(
    field: &FieldView,
    pressed: Pressed,
    current: Option<&String>,
) -> Option<String> {
    if let InputKind::Checklist { values } = &field.input {
        // A number ticks or unticks its value; the others stay as they are.
        let digit = usize::from(pressed.digit?);
        if !(1..=values.len()).contains(&digit) {
            return None;
        }
        let current = current.map_or("", String::as_str);
        let ticked: Vec<bool> = values
            .iter()
            .enumerate()
            .map(|(index, v)| {
                let on = current.split(',').any(|w| w.trim() == v.value);
                if index + 1 == digit { !on } else { on }
            })
            .collect();
        return Some(ticked_words(
            values.iter().map(|v| v.value.as_str()),
            &ticked,
        ));
    }
    let values: Vec<String> = match &field.input {
        InputKind::Choice { values } => values.iter().map(|v| v.value.clone()).collect(),
        InputKind::YesNo => vec!["yes".to_owned(), "no".to_owned()],
        _ => return None,
    };
    if let Some(digit) = pressed.digit {
        return values.get(usize::from(digit) - 1).cloned();
    }
    let at = current.and_then(|c| values.iter().position(|v| v == c));
    if pressed.right {
        return values
            .get(at.map_or(0, |i| (i + 1).min(values.len() - 1)))
            .cloned();
    }
    if pressed.left {
        return values.get(at.map_or(0, |i| i.saturating_sub(1))).cloned();
    }
    None
}
