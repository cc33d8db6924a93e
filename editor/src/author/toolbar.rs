//! The toolbar: new tree, rename, save, run tests, and the check's state.

use egui::RichText;

use super::{Author, AuthorDialog};

impl Author {
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("author_toolbar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .button("New tree…")
                    .on_hover_text("Ctrl+N: a new tree from a template")
                    .clicked()
                {
                    self.dialog = Some(AuthorDialog::NewTree {
                        id: String::new(),
                        title: String::new(),
                        error: None,
                    });
                }
                if ui.button("Save").on_hover_text("Ctrl+S").clicked() {
                    let failures = self.save_all();
                    self.documents.messages.extend(failures);
                }
                if ui
                    .button("Run tests")
                    .on_hover_text("Ctrl+T: run this folder's tests")
                    .clicked()
                {
                    self.run_tests();
                }
                if ui
                    .button("Rename node…")
                    .on_hover_text("F2: rename the node under the cursor everywhere")
                    .clicked()
                {
                    self.rename_at_cursor();
                }
                ui.separator();
                let status = if self.documents.any_dirty() {
                    "Unsaved changes (saved automatically)"
                } else {
                    "All changes saved"
                };
                ui.label(RichText::new(status).weak());
                ui.separator();
                match &self.findings {
                    Some(findings) if findings.revision == self.documents.revision => {
                        // The time goes in a tooltip: it varies from run to run.
                        ui.label(RichText::new("Checked").weak())
                            .on_hover_text(format!(
                                "loading and checking the folder took {} ms",
                                findings.check_time.as_millis()
                            ));
                    }
                    _ => {
                        ui.label(RichText::new("Checking…").weak());
                    }
                }
            });
        });
    }
}
