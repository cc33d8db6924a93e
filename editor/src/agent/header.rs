//! The call's header: the script, the path so far on one line (the oldest steps give way
//! first, each earlier step a way back to it), how long the call has lasted, and a warning
//! while events wait in memory because the disk failed.

use egui::RichText;

use super::call_screen::{Intent, Shown};
use crate::look::Palette;

/// How many of the latest steps the path shows before "…".
const CRUMBS: usize = 5;

pub(super) fn ui(ui: &mut egui::Ui, shown: &Shown, now: i64, unsaved: usize) -> Option<Intent> {
    let mut intent = None;
    let palette = Palette::of(ui);
    egui::Panel::top("call_header").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.label(RichText::new(&shown.summary.title).size(17.0).strong());
            // A finished call's length stops with its last event.
            let finished = shown.view.ended.is_some();
            let end = if finished { shown.summary.last_at } else { now };
            let lasted = (end - shown.summary.started_at).max(0) / 1_000;
            ui.label(
                RichText::new(format!("{}:{:02}", lasted / 60, lasted % 60))
                    .monospace()
                    .color(palette.weak),
            )
            .on_hover_text("how long the call has lasted");
            if unsaved > 0 {
                ui.label(
                    RichText::new(format!(
                        "Warning: {unsaved} step(s) not saved to disk yet, retrying"
                    ))
                    .strong()
                    .color(palette.error),
                );
            }
        });
        let crumbs = &shown.view.breadcrumb;
        // A finished call cannot go back: its path is shown, not offered.
        let can_go_back = shown.view.ended.is_none();
        let steps = crumbs.len();
        ui.horizontal(|ui| {
            let first = steps.saturating_sub(CRUMBS);
            if first > 0 {
                ui.label(RichText::new("…").color(palette.weak))
                    .on_hover_text(format!("{first} earlier steps"));
            }
            for (index, crumb) in crumbs.iter().enumerate().skip(first) {
                if index > first {
                    ui.label(RichText::new(">").color(palette.weak));
                }
                if index + 1 == steps {
                    ui.add(egui::Label::new(RichText::new(&crumb.title).strong()).truncate());
                } else if !can_go_back {
                    ui.label(&crumb.title);
                } else if ui
                    .add(egui::Link::new(&crumb.title))
                    .on_hover_text("go back to this step")
                    .clicked()
                {
                    intent = Some(Intent::Back(steps - index - 1));
                }
            }
        });
        ui.add_space(2.0);
    });
    intent
}
