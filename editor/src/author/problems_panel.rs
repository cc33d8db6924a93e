//! The problems of the newest check, listed under the text; a click jumps to one.

use calltree_syntax::Severity;
use egui::RichText;

use super::Author;

impl Author {
    pub(super) fn problems_panel(&mut self, ui: &mut egui::Ui) {
        let mut go: Option<(String, std::ops::Range<usize>)> = None;
        egui::Panel::bottom("author_problems")
            .resizable(true)
            .default_size(130.0)
            .show(ui, |ui| {
                let problems = self.problems();
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .count();
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Problems").strong());
                    ui.label(format!(
                        "{errors} error(s), {} warning(s)",
                        problems.len() - errors
                    ));
                    ui.label(RichText::new("F8: next problem").weak().small());
                });
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if problems.is_empty() && self.findings.is_some() {
                            ui.label("No problems.");
                        }
                        for problem in problems {
                            let colour = if problem.severity == Severity::Error {
                                ui.visuals().error_fg_color
                            } else {
                                ui.visuals().warn_fg_color
                            };
                            let text = RichText::new(format!(
                                "{}:{}:{}  {}  {}",
                                problem.file,
                                problem.line,
                                problem.column,
                                problem.code,
                                problem.message
                            ))
                            .color(colour);
                            let mut tip = problem.hints.join("\n");
                            if !tip.is_empty() {
                                tip.push_str("\n\n");
                            }
                            tip.push_str("Click to show this line.");
                            if ui
                                .add(egui::Button::selectable(false, text))
                                .on_hover_text(tip)
                                .clicked()
                            {
                                go = Some((problem.file.clone(), problem.start..problem.end));
                            }
                        }
                    });
            });
        if let Some((file, span)) = go {
            self.jump_to(&file, span);
        }
    }
}
