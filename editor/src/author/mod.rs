//! Author mode: a folder of `.tree` files edited with live checking, a graph of the tree, a
//! preview that plays it, its tests and coverage, and files that are never lost.
//!
//! Every edit bumps the documents' revision; the revision is sent to the checker thread, and
//! what comes back is shown when it arrives. The graph and the preview follow the newest
//! check in which every file parsed, so a half-typed line never blanks them.
//!
//! The screen is made of panels, each in its own file: `toolbar.rs`, `files_panel.rs`,
//! `editor_panel.rs` (the text), `problems_panel.rs`, `side_panel.rs` (preview, graph and
//! tests) and `dialogs.rs` (new tree, rename). `actions.rs` holds what the author can do from
//! any of them (jump, rename, run tests, shortcuts); `findings.rs` arranges a check's results.

mod actions;
mod checker;
mod code_view;
mod dialogs;
mod documents;
mod editor_panel;
mod files_panel;
mod findings;
mod folder;
mod graph;
mod layout;
mod preview;
mod problems_panel;
mod side_panel;
mod template;
mod toolbar;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use calltree_engine::{NodeId, Project, TestReport, TreeId};
use calltree_syntax::Severity;

pub use checker::{CheckRequest, Checked, Checker};
pub use code_view::{CodeView, EditorView, Mark};
pub use documents::{
    AUTOSAVE_AFTER_MS, Document, Documents, Hold, POLL_EVERY_MS, RECOVERY_AFTER_MS,
};
pub use folder::{MemoryFolder, Stamp, TreeFolder};
pub use graph::{GraphAction, GraphView};
pub use layout::{Placement, place};
pub use preview::Preview;

use crate::agent::Clock;
use crate::error::EditorError;
use findings::{arrange, is_syntax};

/// Frees what a newer check replaced on a thread of its own: the last reference to a big
/// project (tens of thousands of allocations) took about 15 ms of a frame to drop. Should no
/// thread start, it is dropped here as before.
fn drop_elsewhere<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("calltree-drop".into())
        .spawn(move || drop(value));
}

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
    /// Each tree's drawing fingerprint (`graph::fingerprint`): the graph is drawn again only
    /// when its tree's changes.
    drawings: HashMap<TreeId, u64>,
    /// Each tree drawn whole by the checker thread.
    ready: HashMap<TreeId, Arc<graph::Drawing>>,
}

/// A check's results, arranged for drawing.
struct Findings {
    revision: u64,
    project: Arc<Project>,
    problems: Vec<Problem>,
    node_problems: Vec<(NodeId, Severity)>,
    /// Each tree's drawing fingerprint, worked out on the checker thread.
    drawings: HashMap<TreeId, u64>,
    /// Each tree drawn whole, on the checker thread (none when a file did not parse).
    ready: HashMap<TreeId, Arc<graph::Drawing>>,
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
    /// A byte range of the current file to select next frame.
    jump: Option<std::ops::Range<usize>>,
    cursor: Option<usize>,
    selection: Option<std::ops::Range<usize>>,
    /// What part of the current file the editor showed last frame.
    view: EditorView,
    code: CodeView,
    clock: Clock,
    /// The revision last sent to the checker.
    requested: u64,
    tests_wanted: bool,
    /// Whether the open dialog has been drawn before: on its first frame its first field
    /// takes the keyboard, so it can be answered without the mouse.
    dialog_drawn: bool,
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
            selection: None,
            view: EditorView::default(),
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

    /// The selected text of the current file, as byte offsets (empty when nothing is
    /// selected): a jump selects the span it was asked for.
    pub fn selection(&self) -> Option<std::ops::Range<usize>> {
        self.selection.clone()
    }

    /// How far the editor is scrolled and which lines it showed last frame.
    pub fn editor_view(&self) -> EditorView {
        self.view
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
            self.accept(result);
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

    fn accept(&mut self, mut checked: Checked) {
        let findings = checked.findings.take().unwrap_or_else(|| arrange(&checked));
        let mut old_tests = None;
        let mut old_good = None;
        if let Some(reports) = &checked.tests {
            old_tests = self.tests.replace(TestRun {
                revision: checked.revision,
                project: Arc::clone(&checked.project),
                reports: reports.clone(),
            });
        }
        let parsed = !findings.problems.iter().any(|p| is_syntax(p.code));
        if parsed {
            old_good = self.good.replace(Parsed {
                revision: checked.revision,
                project: Arc::clone(&checked.project),
                node_problems: findings.node_problems.clone(),
                drawings: findings.drawings.clone(),
                ready: findings.ready.clone(),
            });
            self.preview.replay(&checked.project);
        }
        let old = self.findings.replace(findings);
        drop_elsewhere((old, old_good, old_tests));
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

    /// Draws author mode and handles its input.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.tick();
        if let Some(result) = self.checker.poll() {
            self.accept(result);
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
}
