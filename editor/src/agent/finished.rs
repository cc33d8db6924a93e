//! The finished call: the outcome, the summary for the CRM with one key to copy it (and a
//! confirmation that it was copied), and a new call. Nothing here can go back into the call.

use calltree_engine::{EndCause, EndView, TextRole};
use egui::RichText;

use super::call_screen::{Intent, Shown};
use super::keys;
use crate::look::Palette;

/// The outcome in words.
pub(super) fn outcome_line(ended: &EndView) -> String {
    if let Some(cause) = ended.cause.filter(|c| *c != EndCause::Other) {
        return format!("ended early: {}", cause.describe());
    }
    let mut line = ended
        .outcome
        .map_or("finished".to_owned(), |o| o.name().to_owned());
    if let Some(to) = &ended.to {
        line.push_str(&format!(" to {to}"));
    }
    if let Some(result) = &ended.result {
        line.push_str(&format!(": {result}"));
    }
    if let Some(code) = &ended.code {
        line.push_str(&format!(" (code {code})"));
    }
    line
}

/// `show_keys`: whether the screen takes its keys (so the buttons name them).
pub(super) fn ui(
    ui: &mut egui::Ui,
    shown: &Shown,
    copied: bool,
    show_keys: bool,
) -> Option<Intent> {
    let palette = Palette::of(ui);
    let mut intent = None;
    let view = &shown.view;
    let Some(ended) = &view.ended else {
        return None;
    };
    ui.label(
        RichText::new("Call finished")
            .size(17.0)
            .color(palette.weak),
    );
    for text in view.texts.iter().filter(|t| t.role == TextRole::Say) {
        ui.label(RichText::new(&text.text).size(25.0).color(palette.say));
    }
    ui.add_space(6.0);
    ui.label(
        RichText::new(format!("Outcome: {}", outcome_line(ended)))
            .strong()
            .size(19.0),
    );
    if let Some(reason) = &ended.reason
        && ended.cause.is_none_or(|c| c == EndCause::Other)
    {
        ui.label(RichText::new(format!("Reason: {reason}")).size(16.0));
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        let mut copy = egui::Button::new(RichText::new("Copy summary").size(17.0));
        if show_keys {
            copy = copy.shortcut_text(keys::COPY);
        }
        let copy = copy.min_size(egui::vec2(200.0, 38.0));
        if ui.add(copy).clicked() {
            intent = Some(Intent::Copy);
        }
        let mut next = egui::Button::new(RichText::new("New call").size(17.0));
        if show_keys {
            next = next.shortcut_text(keys::CONTINUE);
        }
        let next = next.min_size(egui::vec2(160.0, 38.0));
        if ui.add(next).clicked() {
            intent = Some(Intent::NewCall);
        }
        if copied {
            ui.label(
                RichText::new("Copied: paste it into the CRM")
                    .strong()
                    .color(palette.good),
            );
        }
    });
    ui.add_space(8.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(shown.summary.to_plain_text()).monospace());
    });
    intent
}
