//! Author mode: a folder of `.tree` files edited with live checking, a graph of the tree, a
//! preview that plays it, its tests and coverage, and files that are never lost.
//!
//! Every edit bumps the documents' revision; the revision is sent to the checker thread, and
//! what comes back is shown when it arrives. The graph and the preview follow the newest
//! check in which every file parsed, so a half-typed line never blanks them.

mod checker;
mod code_view;
mod documents;
mod folder;
mod graph;
mod layout;
mod preview;
mod template;

use std::sync::Arc;
use std::time::Duration;

use calltree_engine::{Coverage, NodeId, Project, TestReport, TreeId};
use calltree_syntax::{LineIndex, Severity};
use egui::{Key, KeyboardShortcut, Modifiers, RichText};

pub use checker::{CheckRequest, Checked, Checker};
pub use code_view::{CodeView, Mark};
pub use documents::{
    AUTOSAVE_AFTER_MS, Document, Documents, Hold, POLL_EVERY_MS, RECOVERY_AFTER_MS,
};
pub use folder::{MemoryFolder, Stamp, TreeFolder};
pub use graph::{GraphAction, GraphView};
pub use layout::{Placement, place};
pub use preview::Preview;

use crate::agent::Clock;
use crate::error::EditorError;

/// The tabs beside the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideTab {
    Preview,
    Graph,
    Tests,
}

/// A question the author is answering before something happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorDialog {
    NewTree {
        id: String,
        title: String,
        error: Option<String>,
    },
    Rename {
        tree: String,
        old: String,
        new: String,
        error: Option<String>,
    },
}

/// One problem, located for the problems list.
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: String,
    pub start: usize,
    pub end: usize,
    /// 1-based.
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// What to do about it.
    pub hints: Vec<String>,
}

/// The last test run.
pub struct TestRun {
    pub revision: u64,
    pub project: Arc<Project>,
    pub reports: Vec<TestReport>,
}

/// A version in which every file parsed: what the graph and the preview show.
#[derive(Clone)]
struct Parsed {
    revision: u64,
    project: Arc<Project>,
    node_problems: Vec<(NodeId, Severity)>,
}

/// A check's results, arranged for drawing.
struct Findings {
    revision: u64,
    project: Arc<Project>,
    problems: Vec<Problem>,
    node_problems: Vec<(NodeId, Severity)>,
    check_time: Duration,
}

pub struct Author {
    pub documents: Documents,
    /// The file on screen, by name.
    pub current: Option<String>,
    checker: Checker,
    findings: Option<Findings>,
    /// The newest project in which every file parsed.
    good: Option<Parsed>,
    pub graph: GraphView,
    pub preview: Preview,
    pub tests: Option<TestRun>,
    pub side: SideTab,
    pub dialog: Option<AuthorDialog>,
    /// A byte offset in the current file to put the cursor at next frame.
    jump: Option<usize>,
    cursor: Option<usize>,
    code: CodeView,
    clock: Clock,
    /// The revision last sent to the checker.
    requested: u64,
    tests_wanted: bool,
    /// Whether the open dialog has been drawn before: on its first frame its first field
    /// takes the keyboard, so it can be answered without the mouse.
    dialog_drawn: bool,
}

fn is_syntax(code: &str) -> bool {
    code.starts_with("E1")
}

/// Where a node's block ends: at the next line that starts a new block.
fn block_end(text: &str, from: usize) -> usize {
    let mut offset = text[from.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |n| from + n + 1);
    while offset < text.len() {
        let line_end = text[offset..]
            .find('\n')
            .map_or(text.len(), |n| offset + n + 1);
        let line = &text[offset..line_end];
        let starts_block = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#');
        if starts_block {
            return offset;
        }
        offset = line_end;
    }
    text.len()
}

fn arrange(checked: &Checked) -> Findings {
    let project = &checked.project;
    let mut problems = Vec::new();
    let mut node_problems = Vec::new();
    for (file_id, file) in project.files() {
        let diagnostics = project.diagnostics(file_id);
        if diagnostics.is_empty() {
            continue;
        }
        let index = LineIndex::new(&file.text);
        let mut blocks: Vec<(usize, usize, NodeId)> = project
            .trees()
            .flat_map(|(_, tree)| tree.nodes.iter().copied())
            .filter(|&node| project.node(node).file == file_id)
            .map(|node| {
                let start = project.node(node).span.start as usize;
                (start, block_end(&file.text, start), node)
            })
            .collect();
        blocks.sort_unstable();
        for diagnostic in diagnostics {
            let at = index.line_col(diagnostic.span.start);
            problems.push(Problem {
                file: file.name.clone(),
                start: diagnostic.span.start as usize,
                end: diagnostic.span.end as usize,
                line: at.line as usize,
                column: at.column as usize,
                severity: diagnostic.code.severity,
                code: diagnostic.code.id,
                message: diagnostic.message.clone(),
                hints: diagnostic.hints.clone(),
            });
            let start = diagnostic.span.start as usize;
            let block = blocks.partition_point(|(s, _, _)| *s <= start);
            if let Some((_, end, node)) = block.checked_sub(1).map(|b| blocks[b])
                && start < end
            {
                node_problems.push((node, diagnostic.code.severity));
            }
        }
    }
    Findings {
        revision: checked.revision,
        project: Arc::clone(project),
        problems,
        node_problems,
        check_time: checked.check_time,
    }
}

impl Author {
    pub fn new(folder: Box<dyn TreeFolder>, clock: Clock) -> Result<Self, EditorError> {
        let documents = Documents::open(folder, clock())?;
        let current = documents.docs.first().map(|d| d.name.clone());
        Ok(Author {
            documents,
            current,
            checker: Checker::new(),
            findings: None,
            good: None,
            graph: GraphView::default(),
            preview: Preview::default(),
            tests: None,
            side: SideTab::Preview,
            dialog: None,
            jump: None,
            cursor: None,
            code: CodeView::default(),
            clock,
            requested: 0,
            tests_wanted: false,
            dialog_drawn: false,
        })
    }

    fn current_index(&self) -> Option<usize> {
        self.current
            .as_deref()
            .and_then(|name| self.documents.index_of(name))
    }

    /// The newest checked project (which may have syntax errors).
    pub fn project(&self) -> Option<&Arc<Project>> {
        self.findings.as_ref().map(|f| &f.project)
    }

    /// The newest project in which every file parsed: what the graph and preview show.
    pub fn good_project(&self) -> Option<&Arc<Project>> {
        self.good.as_ref().map(|parsed| &parsed.project)
    }

    /// Every problem of the newest check, file by file.
    pub fn problems(&self) -> &[Problem] {
        self.findings.as_ref().map_or(&[], |f| &f.problems)
    }

    /// Where the text cursor is in the current file (a byte offset).
    pub fn cursor(&self) -> Option<usize> {
        self.cursor
    }

    /// Whether the newest text has been checked.
    pub fn is_checked(&self) -> bool {
        self.findings
            .as_ref()
            .is_some_and(|f| f.revision == self.documents.revision)
    }

    /// Waits for the checker to catch up with the newest text; for tests and for closing.
    pub fn settle(&mut self) {
        self.request_check(None);
        if let Some(result) = self.checker.wait(Duration::from_secs(60)) {
            self.accept(&result);
        }
    }

    fn request_check(&mut self, repaint: Option<egui::Context>) {
        if self.requested == self.documents.revision && !self.tests_wanted {
            return;
        }
        self.requested = self.documents.revision;
        self.checker.request(
            CheckRequest {
                revision: self.documents.revision,
                inputs: self.documents.inputs(),
                run_tests: std::mem::take(&mut self.tests_wanted),
            },
            repaint,
        );
    }

    fn accept(&mut self, checked: &Checked) {
        let findings = arrange(checked);
        if let Some(reports) = &checked.tests {
            self.tests = Some(TestRun {
                revision: checked.revision,
                project: Arc::clone(&checked.project),
                reports: reports.clone(),
            });
        }
        let parsed = !findings.problems.iter().any(|p| is_syntax(p.code));
        if parsed {
            self.good = Some(Parsed {
                revision: checked.revision,
                project: Arc::clone(&checked.project),
                node_problems: findings.node_problems.clone(),
            });
            self.preview.replay(&checked.project);
        }
        self.findings = Some(findings);
    }

    /// The trees the current file holds or tests, by name.
    fn current_trees(&self, project: &Project) -> Vec<String> {
        let Some(name) = &self.current else {
            return Vec::new();
        };
        project
            .trees()
            .filter(|(_, tree)| &project.file(tree.file).name == name)
            .map(|(_, tree)| tree.name.clone())
            .collect()
    }

    /// Opens a file and puts the cursor at a byte offset in it.
    pub fn jump_to(&mut self, file: &str, offset: usize) {
        self.current = Some(file.to_owned());
        self.jump = Some(offset);
    }

    fn jump_to_node(&mut self, project: &Project, node: NodeId) {
        let data = project.node(node);
        let file = project.file(data.file).name.clone();
        self.jump_to(&file, data.span.start as usize);
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
            .map(|p| (p.file.clone(), p.start));
        if let Some((file, start)) = next {
            self.jump_to(&file, start);
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
        self.jump_to(&name, 0);
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

    /// Draws author mode and handles its input.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.tick();
        if let Some(result) = self.checker.poll() {
            self.accept(&result);
        }
        self.request_check(Some(ui.ctx().clone()));
        if self.documents.any_dirty() || self.checker.is_busy() {
            // Autosave and the disk check need a frame now and then even without input.
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        } else {
            ui.ctx()
                .request_repaint_after(Duration::from_millis(POLL_EVERY_MS as u64));
        }
        self.shortcuts(ui);
        if self.current_index().is_none() {
            self.current = self.documents.docs.first().map(|d| d.name.clone());
        }

        self.toolbar(ui);
        self.files_panel(ui);
        self.problems_panel(ui);
        self.side_panel(ui);
        egui::CentralPanel::default().show(ui, |ui| self.editor(ui));
        self.dialog_ui(ui);
    }

    fn shortcuts(&mut self, ui: &egui::Ui) {
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
        if pressed(Modifiers::NONE, Key::F8) {
            self.next_problem();
        }
        if pressed(Modifiers::NONE, Key::F2) {
            self.rename_at_cursor();
        }
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
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

    fn files_panel(&mut self, ui: &mut egui::Ui) {
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

    fn problems_panel(&mut self, ui: &mut egui::Ui) {
        let mut go: Option<(String, usize)> = None;
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
                                go = Some((problem.file.clone(), problem.start));
                            }
                        }
                    });
            });
        if let Some((file, start)) = go {
            self.jump_to(&file, start);
        }
    }

    fn side_panel(&mut self, ui: &mut egui::Ui) {
        let width = ui.available_width() * 0.42;
        egui::Panel::right("author_side")
            .resizable(true)
            .default_size(width)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    for (tab, label) in [
                        (SideTab::Preview, "Preview"),
                        (SideTab::Graph, "Graph"),
                        (SideTab::Tests, "Tests"),
                    ] {
                        if ui.selectable_label(self.side == tab, label).clicked() {
                            self.side = tab;
                        }
                    }
                });
                ui.separator();
                let Some(Parsed {
                    revision,
                    project,
                    node_problems,
                }) = self.good.clone()
                else {
                    ui.label("Checking…");
                    return;
                };
                if self
                    .findings
                    .as_ref()
                    .is_some_and(|f| f.revision != revision)
                {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "Showing the last version that parsed; fix the syntax errors to update.",
                    );
                }
                let trees = self.current_trees(&project);
                match self.side {
                    SideTab::Preview => {
                        let clock = Clock::clone(&self.clock);
                        self.preview.ui(ui, &project, &trees, &clock);
                    }
                    SideTab::Graph => {
                        let Some(tree) = trees.first().and_then(|t| project.tree_by_name(t)) else {
                            ui.label("This file has no tree to draw.");
                            return;
                        };
                        let current = self.preview.current_node();
                        if let Some(action) =
                            self.graph
                                .ui(ui, &project, tree, revision, &node_problems, current)
                        {
                            match action {
                                GraphAction::Jump(node) => self.jump_to_node(&project, node),
                                GraphAction::Rename(node) => {
                                    let name = project.node(node).name.clone();
                                    self.dialog = Some(AuthorDialog::Rename {
                                        tree: project.tree(tree).name.clone(),
                                        old: name.clone(),
                                        new: name,
                                        error: None,
                                    });
                                }
                            }
                        }
                    }
                    SideTab::Tests => self.tests_ui(ui, &trees),
                }
            });
    }

    fn tests_ui(&mut self, ui: &mut egui::Ui, trees: &[String]) {
        if ui.button("Run tests (Ctrl+T)").clicked() {
            self.run_tests();
        }
        let Some(run) = self.tests.as_ref() else {
            ui.label("The tests have not been run yet.");
            return;
        };
        let reports_all = run.reports.clone();
        let run_revision = run.revision;
        if run_revision != self.documents.revision {
            ui.label(RichText::new("The text changed since this run.").weak());
        }
        let project = Arc::clone(&run.project);
        let mine: Vec<TreeId> = trees
            .iter()
            .filter_map(|t| project.tree_by_name(t))
            .collect();
        let reports: Vec<&TestReport> = reports_all
            .iter()
            .filter(|r| mine.contains(&r.tree))
            .collect();
        let mut go = None;
        let passed = reports.iter().filter(|r| r.passed()).count();
        ui.label(RichText::new(format!("{passed} of {} tests pass", reports.len())).strong());
        for tree in &mine {
            let mut coverage = Coverage::of(&project, *tree);
            for report in reports.iter().filter(|r| r.tree == *tree) {
                coverage.add_nodes(report.nodes.iter().copied());
                coverage.add_options(report.options.iter().copied());
            }
            let (nodes, options) = coverage.percentages();
            ui.label(format!(
                "Coverage of {}: {nodes:.0}% of steps, {options:.0}% of options",
                project.tree(*tree).name
            ));
            let unreached = coverage.unreached_nodes();
            if !unreached.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Not reached:").weak());
                    for node in unreached {
                        if ui.link(&project.node(node).name).clicked() {
                            go = Some(node);
                        }
                    }
                });
            }
        }
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            for report in &reports {
                let (mark, colour) = if report.passed() {
                    ("pass", ui.visuals().text_color())
                } else {
                    ("FAIL", ui.visuals().error_fg_color)
                };
                let row = ui.add(egui::Button::selectable(
                    false,
                    RichText::new(format!("{mark}  {}", report.name)).color(colour),
                ));
                if let Some(failure) = &report.failure {
                    ui.label(RichText::new(&failure.message).small().color(colour));
                }
                if row.clicked() {
                    let file = project.file(report.file).name.clone();
                    let at = report
                        .failure
                        .as_ref()
                        .map_or(report.span.start, |f| f.span.start);
                    self.jump_to(&file, at as usize);
                }
            }
        });
        if let Some(node) = go {
            self.jump_to_node(&project, node);
        }
    }

    fn editor(&mut self, ui: &mut egui::Ui) {
        let messages = std::mem::take(&mut self.documents.messages);
        let mut keep_messages = Vec::new();
        for message in messages {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, &message);
                if !ui.small_button("Dismiss").clicked() {
                    keep_messages.push(message.clone());
                }
            });
        }
        self.documents.messages = keep_messages;
        let Some(index) = self.current_index() else {
            ui.label("This folder has no .tree files yet. Create one with New tree.");
            return;
        };
        let now = (self.clock)();
        if let Some(hold) = self.documents.docs[index].hold.clone() {
            let name = self.documents.docs[index].name.clone();
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let (text, keep, drop) = match hold {
                    Hold::Recovered => (
                        format!(
                            "{name} had unsaved changes when calltree last closed; they are restored below."
                        ),
                        "Keep restored text",
                        "Discard them",
                    ),
                    Hold::ChangedOnDisk(_) => (
                        format!(
                            "{name} was changed by another program while you were editing it. Saving is paused."
                        ),
                        "Keep my version",
                        "Load theirs",
                    ),
                    Hold::Deleted => (
                        format!("{name} was deleted by another program."),
                        "Save it again",
                        "Close it",
                    ),
                };
                ui.colored_label(ui.visuals().warn_fg_color, text);
                ui.horizontal(|ui| {
                    if ui.button(keep).clicked()
                        && let Err(error) = self.documents.keep(index)
                    {
                        self.documents.messages.push(error.to_string());
                    }
                    if ui.button(drop).clicked() {
                        if matches!(hold, Hold::Deleted) {
                            self.documents.close(index);
                        } else {
                            self.documents.revert(index);
                        }
                    }
                });
            });
        }
        // Closing a deleted file removed it: there is nothing to edit this frame.
        let Some(doc) = self.documents.docs.get(index) else {
            return;
        };
        let name = doc.name.clone();
        let marks: Vec<Mark> = self
            .problems()
            .iter()
            .filter(|p| p.file == name)
            .map(|p| Mark::new(p.start, p.end, p.severity))
            .collect();
        let jump = self.jump.take();
        let id = egui::Id::unique(("tree_text", &name));
        let label = ui.label(RichText::new(format!("Editing {name}")).strong());
        let output = self.code.ui(
            ui,
            id,
            label.id,
            &mut self.documents.docs[index].text,
            &marks,
            jump,
        );
        if output.changed {
            self.documents.edited(index, now);
        }
        self.cursor = output.cursor;
    }

    fn dialog_ui(&mut self, ui: &mut egui::Ui) {
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
