//! Saving a chart's data as CSV: the engine makes the table and writes the CSV; this asks
//! where to save it (a path, filled in with the chart's name) and writes the file atomically.

use std::path::{Path, PathBuf};

use calltree_engine::Table;
use egui::RichText;

use super::Insights;

/// A chart's table waiting to be saved.
pub(crate) struct Export {
    pub table: Table,
    pub path: String,
    /// What the last attempt did, in words, and whether it worked.
    pub outcome: Option<(bool, String)>,
}

/// A name safe in any file system: letters, digits, `-` and `_` kept, anything else `_`.
fn file_stem(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `table` as CSV to `path`.
pub(crate) fn save(table: &Table, path: &Path) -> Result<(), calltree_files::FilesError> {
    calltree_files::write_atomically(path, &table.to_csv())
}

impl Insights {
    /// Offers the table called `name` of `tables` for saving.
    pub(super) fn export_table(&mut self, tables: Vec<Table>, name: &str) {
        let Some(table) = tables.into_iter().find(|t| t.name == name) else {
            return;
        };
        let tree = self.tree.clone().unwrap_or_default();
        let path: PathBuf =
            self.export_folder
                .join(format!("{}-{}.csv", file_stem(&tree), file_stem(name)));
        self.export = Some(Export {
            table,
            path: path.display().to_string(),
            outcome: None,
        });
    }

    /// The window that asks where to save, while a table waits.
    pub(super) fn export_window(&mut self, ctx: &egui::Context) {
        let Some(export) = &mut self.export else {
            return;
        };
        let mut open = true;
        let mut close = false;
        egui::Window::new("Save as CSV")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} rows of “{}”: {}",
                    export.table.rows.len(),
                    export.table.name,
                    export.table.columns.join(", ")
                ));
                ui.horizontal(|ui| {
                    let label = ui.label("Save to");
                    ui.add(egui::TextEdit::singleline(&mut export.path).desired_width(420.0))
                        .labelled_by(label.id);
                });
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        let path = PathBuf::from(export.path.trim());
                        export.outcome = Some(match save(&export.table, &path) {
                            Ok(()) => (
                                true,
                                format!(
                                    "Saved {} rows to {}.",
                                    export.table.rows.len(),
                                    path.display()
                                ),
                            ),
                            Err(error) => (false, format!("Not saved: {error}")),
                        });
                    }
                    if ui.button("Close").clicked() {
                        close = true;
                    }
                });
                if let Some((worked, text)) = &export.outcome {
                    if *worked {
                        ui.label(RichText::new(text).strong());
                    } else {
                        ui.colored_label(ui.visuals().warn_fg_color, text);
                    }
                }
            });
        if !open || close {
            self.export = None;
        }
    }
}
