//! The list of files in the folder, with their unsaved and held states.

use calltree_syntax::Severity;
use egui::RichText;

use super::Author;

impl Author {
    pub(super) fn files_panel(&mut self, ui: &mut egui::Ui) {
        let counts = |name: &str| {
            self.problems()
                .iter()
                .filter(|p| p.file == name && p.severity == Severity::Error)
                .count()
        };
        let rows: Vec<(String, bool, usize)> = self
            .documents
            .docs
            .iter()
            .map(|d| (d.name.clone(), d.is_dirty(), counts(&d.name)))
            .collect();
        egui::Panel::left("author_files")
            .resizable(true)
            .default_size(190.0)
            .show(ui, |ui| {
                ui.label(RichText::new(self.documents.folder_label()).weak().small());
                ui.separator();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for (name, dirty, errors) in rows {
                        let mut label = name.clone();
                        if dirty {
                            label.push_str(" *");
                        }
                        let mut text = RichText::new(label);
                        if errors > 0 {
                            text = text.color(ui.visuals().error_fg_color);
                        }
                        let selected = self.current.as_ref() == Some(&name);
                        let row = ui.selectable_label(selected, text);
                        let row = if errors > 0 {
                            row.on_hover_text(format!("{errors} error(s)"))
                        } else {
                            row
                        };
                        if row.clicked() {
                            self.current = Some(name);
                        }
                    }
                });
            });
    }
}
