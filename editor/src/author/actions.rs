//! What the author can do from anywhere in author mode: jump to a place, to the next
//! problem, rename, create a tree, run the tests, save; and the shortcuts that do them.

use calltree_engine::{NodeId, Project};
use egui::{Key, KeyboardShortcut, Modifiers};

use super::{Author, AuthorDialog, SideTab, template};
use crate::error::EditorError;

impl Author {
    /// Goes to a place: opens the file, and next frame puts the cursor at the byte offset,
    /// scrolls the text to it and gives the editor the keyboard. Every "go to" (a problem, a
    /// graph node, a test, a step not reached, F8, a new tree) comes through here, so a
    /// click lands the same as a key.
    /// Opens `file` with `span` (byte offsets) selected and the editor given the keyboard.
    pub fn jump_to(&mut self, file: &str, span: std::ops::Range<usize>) {
        self.current = Some(file.to_owned());
        self.jump = Some(span);
    }

    pub(super) fn jump_to_node(&mut self, project: &Project, node: NodeId) {
        let data = project.node(node);
        let file = project.file(data.file).name.clone();
        self.jump_to(&file, data.span.range());
    }

    /// Asks for the tests to be run on the newest text.
    pub fn run_tests(&mut self) {
        self.tests_wanted = true;
        self.side = SideTab::Tests;
    }

    /// Moves to the next problem after the cursor, wrapping around the folder.
    pub fn next_problem(&mut self) {
        let problems = self.problems();
        if problems.is_empty() {
            return;
        }
        let here = (
            self.current.clone().unwrap_or_default(),
            self.cursor.unwrap_or(0),
        );
        let next = problems
            .iter()
            .find(|p| (p.file.clone(), p.start) > here)
            .or_else(|| problems.first())
            .map(|p| (p.file.clone(), p.start..p.end));
        if let Some((file, span)) = next {
            self.jump_to(&file, span);
        }
    }

    /// Starts renaming the node whose name is under the cursor.
    pub fn rename_at_cursor(&mut self) {
        let (Some(index), Some(cursor)) = (self.current_index(), self.cursor) else {
            return;
        };
        let text = &self.documents.docs[index].text;
        // The cursor is from the last frame; the text may have been reloaded since.
        let mut cursor = cursor.min(text.len());
        while !text.is_char_boundary(cursor) {
            cursor -= 1;
        }
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let start = text[..cursor]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(cursor, |(i, _)| i);
        let end = text[cursor..]
            .char_indices()
            .find(|(_, c)| !is_word(*c))
            .map_or(text.len(), |(i, _)| cursor + i);
        let word = text[start..end].to_owned();
        let Some(project) = self.good_project().cloned() else {
            return;
        };
        let found = self
            .current_trees(&project)
            .into_iter()
            .chain(project.trees().map(|(_, t)| t.name.clone()))
            .find(|tree| {
                project
                    .tree_by_name(tree)
                    .and_then(|id| project.node_by_name(id, &word))
                    .is_some()
            });
        if let Some(tree) = found {
            self.dialog = Some(AuthorDialog::Rename {
                tree,
                old: word.clone(),
                new: word,
                error: None,
            });
        }
    }

    /// Renames a node everywhere it is named; the files change as if the author typed it.
    pub fn rename(&mut self, tree: &str, old: &str, new: &str) -> Result<(), EditorError> {
        let texts: Vec<&str> = self
            .documents
            .docs
            .iter()
            .map(|d| d.text.as_str())
            .collect();
        let renamed = calltree_engine::rename_node(&texts, tree, old, new)?;
        let now = (self.clock)();
        for (index, text) in renamed.into_iter().enumerate() {
            if let Some(text) = text {
                self.documents.replace(index, text, now);
            }
        }
        Ok(())
    }

    /// Creates a tree from the template and opens it.
    pub fn create_tree(&mut self, id: &str, title: &str) -> Result<(), EditorError> {
        template::check_id(id)?;
        let name = format!("{id}.tree");
        let text = template::new_tree(id, title);
        self.documents.create(&name, &text, (self.clock)())?;
        self.jump_to(&name, 0..0);
        Ok(())
    }

    /// Saves every file with unsaved edits; returns what could not be saved.
    pub fn save_all(&mut self) -> Vec<String> {
        self.documents
            .save_all()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    /// Keeps the files safe whatever mode is on screen: recovery copies, autosaves, and a
    /// look at the disk before anything is saved.
    pub fn tick(&mut self) {
        let now = (self.clock)();
        self.documents.tick(now);
    }

    /// The author's keyboard shortcuts.
    pub(super) fn shortcuts(&mut self, ui: &egui::Ui) {
        let pressed = |modifiers, key| {
            ui.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
        };
        if pressed(Modifiers::COMMAND, Key::S) {
            let failures = self.save_all();
            self.documents.messages.extend(failures);
        }
        if pressed(Modifiers::COMMAND, Key::T) {
            self.run_tests();
        }
        if pressed(Modifiers::COMMAND, Key::N) {
            self.dialog = Some(AuthorDialog::NewTree {
                id: String::new(),
                title: String::new(),
                error: None,
            });
        }
        if pressed(Modifiers::COMMAND, Key::G) {
            // The graph's "Go to node" box: the graph tab is shown and its box takes the keys.
            self.side = SideTab::Graph;
            self.graph.focus_find = true;
        }
        if pressed(Modifiers::NONE, Key::F8) {
            self.next_problem();
        }
        if pressed(Modifiers::NONE, Key::F2) {
            self.rename_at_cursor();
        }
    }
}
