//! The call screen's header: the script's title and the path so far, each earlier step a
//! way back to it.

use calltree_engine::View;
use egui::RichText;

use super::call_screen::Intent;

pub(super) fn ui(ui: &mut egui::Ui, title: &str, view: &View) -> Option<Intent> {
    let mut intent = None;
    egui::Panel::top("call_header").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(title).strong());
            ui.separator();
            let steps = view.breadcrumb.len();
            for (index, crumb) in view.breadcrumb.iter().enumerate() {
                if index + 1 == steps {
                    ui.label(RichText::new(&crumb.title).strong());
                } else if ui
                    .link(&crumb.title)
                    .on_hover_text("go back to this step")
                    .clicked()
                {
                    intent = Some(Intent::Back(steps - index - 1));
                }
                if index + 1 < steps {
                    ui.label(">");
                }
            }
        });
    });
    intent
}
