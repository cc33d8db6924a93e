//! The tabs beside the text: the live preview, the graph and the tests with coverage.

use std::sync::Arc;

use calltree_engine::{Coverage, TestReport, TreeId};
use egui::RichText;

use super::{Author, AuthorDialog, GraphAction, Parsed, SideTab};
use crate::agent::Clock;

impl Author {
    pub(super) fn side_panel(&mut self, ui: &mut egui::Ui) {
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
                    drawings,
                    ready,
                }) = self.good.clone()
                else {
                    // "Checking…" only while no check has come back: after one, the wait is
                    // for the author, and saying so beats a spinner that never ends.
                    if self.findings.is_some() {
                        ui.label(
                            "Nothing to show until every file parses: fix the syntax errors under Problems.",
                        );
                    } else {
                        ui.label("Checking…");
                    }
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
                        // The drawing is keyed on what it shows, not on the revision: a
                        // check of an edit the graph does not show keeps it as it is.
                        let version = drawings.get(&tree).copied().unwrap_or(revision);
                        self.graph.ready = ready.get(&tree).cloned();
                        if let Some(action) =
                            self.graph
                                .ui(ui, &project, tree, version, &node_problems, current)
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

    pub(super) fn tests_ui(&mut self, ui: &mut egui::Ui, trees: &[String]) {
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
                report.cover(&mut coverage);
            }
            let (nodes, options) = coverage.percentages();
            // Routing branches are named only where a tree has some.
            let branches = if coverage.branches.is_empty() {
                String::new()
            } else {
                format!(", {:.0}% of routing branches", coverage.branch_percentage())
            };
            ui.label(format!(
                "Coverage of {}: {nodes:.0}% of steps, {options:.0}% of options{branches}",
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
                    let span = report.failure.as_ref().map_or(report.span, |f| f.span);
                    self.jump_to(&file, span.range());
                }
            }
        });
        if let Some(node) = go {
            self.jump_to_node(&project, node);
        }
    }
}
