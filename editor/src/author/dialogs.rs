//! The author's dialogs: a new tree from the template, and renaming a node everywhere.

use egui::Key;

use super::{Author, AuthorDialog};

impl Author {
    pub(super) fn dialog_ui(&mut self, ui: &mut egui::Ui) {
        let Some(dialog) = self.dialog.clone() else {
            self.dialog_drawn = false;
            return;
        };
        let first_frame = !std::mem::replace(&mut self.dialog_drawn, true);
        let mut close = false;
        let mut next = dialog.clone();
        let escape = ui.input(|i| i.key_pressed(Key::Escape));
        match &mut next {
            AuthorDialog::NewTree { id, title, error } => {
                let mut create = false;
                egui::Window::new("New tree")
                    .collapsible(false)
                    .resizable(false)
                    .show(ui.ctx(), |ui| {
                        let label = ui.label("Id (letters, digits and _; also the file name)");
                        let id_edit = ui
                            .add(egui::TextEdit::singleline(id).id_salt("new_tree_id"))
                            .labelled_by(label.id);
                        if first_frame {
                            id_edit.request_focus();
                        }
                        let label = ui.label("Title");
                        let title_edit = ui
                            .add(egui::TextEdit::singleline(title).id_salt("new_tree_title"))
                            .labelled_by(label.id);
                        if let Some(error) = error.as_ref() {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                        ui.horizontal(|ui| {
                            if ui.button("Create").clicked()
                                || (title_edit.lost_focus()
                                    && ui.input(|i| i.key_pressed(Key::Enter)))
                            {
                                create = true;
                            }
                            if ui.button("Cancel").clicked() {
                                close = true;
                            }
                        });
                    });
                if create {
                    let shown = if title.trim().is_empty() {
                        id.clone()
                    } else {
                        title.trim().to_owned()
                    };
                    match self.create_tree(id.trim(), &shown) {
                        Ok(()) => close = true,
                        Err(problem) => *error = Some(problem.to_string()),
                    }
                }
            }
            AuthorDialog::Rename {
                tree,
                old,
                new,
                error,
            } => {
                let mut rename = false;
                egui::Window::new("Rename node")
                    .collapsible(false)
                    .resizable(false)
                    .show(ui.ctx(), |ui| {
                        let label =
                            ui.label(format!("New name for `{old}` (every reference changes)"));
                        let output = egui::TextEdit::singleline(new)
                            .id_salt("rename_node")
                            .show(ui);
                        let edit = output.response.response.labelled_by(label.id);
                        if first_frame {
                            // The old name, selected: typing replaces it.
                            let mut state = output.state;
                            state.cursor.set_char_range(Some(
                                egui::text::CCursorRange::select_all_str(new.as_str()),
                            ));
                            state.store(ui.ctx(), edit.id);
                            edit.request_focus();
                        }
                        if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                            rename = true;
                        }
                        if let Some(error) = error.as_ref() {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                        ui.horizontal(|ui| {
                            if ui.button("Rename").clicked() {
                                rename = true;
                            }
                            if ui.button("Cancel").clicked() {
                                close = true;
                            }
                        });
                    });
                if rename {
                    let (tree, old, new_name) = (tree.clone(), old.clone(), new.trim().to_owned());
                    match self.rename(&tree, &old, &new_name) {
                        Ok(()) => close = true,
                        Err(problem) => *error = Some(problem.to_string()),
                    }
                }
            }
        }
        self.dialog = if close || escape { None } else { Some(next) };
    }
}
