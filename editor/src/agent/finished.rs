//! The finished call: the outcome, the summary to copy into the CRM, and a new call.

use calltree_engine::{Summary, TextRole, View};
use egui::RichText;

use super::call_screen::Intent;

pub(super) fn ui(ui: &mut egui::Ui, view: &View, summary: &Summary) -> Option<Intent> {
    let mut intent = None;
    let Some(ended) = &view.ended else {
        return None;
    };
    ui.heading(RichText::new("Call finished").size(24.0));
    for text in view.texts.iter().filter(|t| t.role == TextRole::Say) {
        ui.label(RichText::new(&text.text).size(18.0));
    }
    let mut outcome_line = ended
        .outcome
        .map_or("finished".to_owned(), |o| o.name().to_owned());
    if let Some(to) = &ended.to {
        outcome_line.push_str(&format!(" to {to}"));
    }
    if let Some(code) = &ended.code {
        outcome_line.push_str(&format!(" (code {code})"));
    }
    ui.label(
        RichText::new(format!("Outcome: {outcome_line}"))
            .strong()
            .size(18.0),
    );
    let text = summary.to_plain_text();
    ui.add_space(8.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.monospace(&text);
    });
    ui.horizontal(|ui| {
        if ui.button("Copy summary").clicked() {
            ui.ctx().copy_text(text.clone());
        }
        if ui.button("New call").clicked() {
            intent = Some(Intent::NewCall);
        }
    });
    intent
}
