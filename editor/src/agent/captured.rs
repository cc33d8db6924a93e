//! The side panel: what the call has captured so far (answers, notes, skipped steps, and each
//! step done with what was answered and chosen there) and how far it has come, so the agent
//! never scrolls back or asks twice.

use egui::RichText;

use super::call_screen::Shown;
use crate::look::Palette;

pub(super) fn ui(ui: &mut egui::Ui, shown: &Shown) {
    let palette = Palette::of(ui);
    let summary = &shown.summary;
    let progress = shown.view.progress;
    egui::Panel::right("call_captured")
        .resizable(false)
        .exact_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.add_space(6.0);
                ui.label(RichText::new("Progress").strong().size(15.0));
                let left = match progress.left {
                    Some(0) | None if shown.view.ended.is_some() => "finished".to_owned(),
                    Some(left) => format!("about {} more", left.saturating_sub(1)),
                    None => "no ending ahead".to_owned(),
                };
                ui.label(format!("Step {} · {left}", progress.done));
                ui.add_space(10.0);
                ui.label(RichText::new("Captured").strong().size(15.0));
                if summary.answers.is_empty() {
                    ui.label(RichText::new("Nothing yet").color(palette.weak));
                }
                for (label, value) in &summary.answers {
                    ui.label(RichText::new(label).color(palette.weak));
                    ui.label(RichText::new(value).strong());
                }
                if !summary.notes.is_empty() {
                    ui.add_space(10.0);
                    ui.label(RichText::new("Notes").strong().size(15.0));
                    for note in &summary.notes {
                        ui.label(format!("• {note}"));
                    }
                }
                if !summary.skipped.is_empty() {
                    ui.add_space(10.0);
                    ui.label(RichText::new("Skipped").strong().size(15.0));
                    for (step, reason) in &summary.skipped {
                        ui.label(format!("• {step}: {reason}"));
                    }
                }
                // Each step with what was done there, so "what did they say at the lights?" is
                // one glance, not a scroll back.
                if summary.steps.len() > 1 {
                    ui.add_space(10.0);
                    ui.label(RichText::new("Steps").strong().size(15.0));
                    let done = &summary.steps[..summary.steps.len() - 1];
                    for step in done {
                        ui.label(format!("• {}", step.to_line()));
                    }
                }
            });
        });
}
