//! Insights' version comparison: two versions of the tree side by side, as the engine's
//! `compare_versions` works them out. The view only picks the versions and draws.

use std::sync::Arc;

use calltree_calls::Versions;
use calltree_engine::{
    DAY, Date, Project, StepChange, StepCounts, TreeReport, VersionComparison, VersionReport,
    compare_versions, show_percent,
};
use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::{Insights, outcome_colour};

/// The versions picked, and the comparison worked out for them.
#[derive(Default)]
pub(crate) struct Comparing {
    pub before: Option<String>,
    pub after: Option<String>,
    /// The comparison, with the tree and versions it was made for.
    pub made: Option<((String, String, String), VersionComparison)>,
}

/// A version as a team lead tells them apart: its `version:` line or the start of its
/// fingerprint, and the days its sessions started.
pub(crate) fn version_name(v: &VersionReport) -> String {
    let short: String = v.version.chars().take(8).collect();
    let day = |millis: i64| {
        Date::from_days_since_epoch(millis.div_euclid(DAY))
            .map_or_else(|| "?".to_owned(), |d| d.to_string())
    };
    let days = if day(v.first_started) == day(v.last_started) {
        day(v.first_started)
    } else {
        format!("{} to {}", day(v.first_started), day(v.last_started))
    };
    match &v.label {
        Some(label) => format!("{label} ({short}), {days}"),
        None => format!("{short}, {days}"),
    }
}

fn counts(c: Option<StepCounts>) -> String {
    match c {
        None => "not in this version".to_owned(),
        Some(c) => format!(
            "{} of {} stopped ({})",
            c.drop_offs,
            c.visits,
            show_percent(c.drop_offs, c.visits, 1)
        ),
    }
}

impl Insights {
    pub(super) fn compare_ui(
        &mut self,
        ui: &mut egui::Ui,
        tree: &str,
        report: &TreeReport,
        versions: &Arc<Versions>,
    ) {
        if report.versions.len() < 2 {
            ui.label(
                "Only one version of this tree has sessions on these days. After an edit, \
                 calls on the new version can be compared here with the old one.",
            );
            return;
        }
        let all = &report.versions;
        let newest = all.len() - 1;
        let state = &mut self.comparing;
        let known = |v: &Option<String>| {
            v.as_ref()
                .is_some_and(|v| all.iter().any(|r| &r.version == v))
        };
        if !known(&state.before) || !known(&state.after) {
            state.before = Some(all[newest - 1].version.clone());
            state.after = Some(all[newest].version.clone());
        }
        ui.horizontal(|ui| {
            for (label, slot) in [("Before", &mut state.before), ("After", &mut state.after)] {
                let shown = all
                    .iter()
                    .find(|v| Some(&v.version) == slot.as_ref())
                    .map(version_name)
                    .unwrap_or_default();
                let heading = ui.label(label);
                egui::ComboBox::from_id_salt(("insights_compare", label))
                    .selected_text(shown)
                    .width(320.0)
                    .show_ui(ui, |ui| {
                        for v in all {
                            if ui
                                .selectable_label(
                                    Some(&v.version) == slot.as_ref(),
                                    version_name(v),
                                )
                                .clicked()
                            {
                                *slot = Some(v.version.clone());
                            }
                        }
                    })
                    .response
                    .labelled_by(heading.id);
            }
        });
        let (Some(before), Some(after)) = (state.before.clone(), state.after.clone()) else {
            return;
        };
        let key = (tree.to_owned(), before.clone(), after.clone());
        if state.made.as_ref().is_none_or(|(made, _)| *made != key) {
            let find = |version: &str| all.iter().find(|v| v.version == version);
            let project = |version: &str| versions.project(version).ok().flatten();
            if let (Some(b), Some(a)) = (find(&before), find(&after)) {
                let (pb, pa) = (project(&before), project(&after));
                let comparison = compare_versions(tree, b, a, pb.as_deref(), pa.as_deref());
                state.made = Some((key, comparison));
            }
        }
        let Some((_, comparison)) = &state.made else {
            return;
        };
        let title_from = |version: &str, node: &str| -> Option<String> {
            let project: Arc<Project> = versions.project(version).ok().flatten()?;
            let id = project.tree_by_name(tree)?;
            let node = project.node_by_name(id, node)?;
            Some(project.node(node).shown_title().to_owned())
        };
        let title = |node: &str| {
            title_from(&after, node)
                .or_else(|| title_from(&before, node))
                .unwrap_or_else(|| node.to_owned())
        };
        if let Some(name) = comparison_ui(ui, comparison, title) {
            let tables = comparison.tables(&title);
            self.export_table(tables, &name);
        }
    }
}

/// Draws a comparison; returns the name of the chart whose data was asked for as CSV.
fn comparison_ui(
    ui: &mut egui::Ui,
    c: &VersionComparison,
    title: impl Fn(&str) -> String,
) -> Option<String> {
    let mut export = None;
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "Before: {} sessions, {} finished.   After: {} sessions, {} finished.",
            c.before.started, c.before.finished, c.after.started, c.after.finished
        ))
        .weak(),
    );
    ui.columns(2, |columns| {
        let ui = &mut columns[0];
        super::heading(
            ui,
            "Outcomes (share of finished sessions, %)",
            "compare_outcomes",
            &mut export,
        );
        let share = |count: u64, of: u64| {
            if of == 0 { 0.0 } else { count as f64 * 100.0 / of as f64 }
        };
        let mut before_bars = Vec::new();
        let mut after_bars = Vec::new();
        for (i, row) in c.outcomes.iter().enumerate() {
            let colour = outcome_colour(&row.outcome);
            before_bars.push(
                Bar::new(i as f64 - 0.2, share(row.before, c.before.finished))
                    .width(0.38)
                    .fill(colour.gamma_multiply(0.45))
                    .name(format!("{} before", row.outcome)),
            );
            after_bars.push(
                Bar::new(i as f64 + 0.2, share(row.after, c.after.finished))
                    .width(0.38)
                    .fill(colour)
                    .name(format!("{} after", row.outcome)),
            );
        }
        let names: Vec<String> = c.outcomes.iter().map(|o| o.outcome.clone()).collect();
        Plot::new("insights_compare_outcomes")
            .height(180.0)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .include_y(0.0)
            .y_axis_label("% of finished")
            .legend(Legend::default())
            .x_axis_formatter(move |mark, _| {
                names
                    .get(mark.value.round() as usize)
                    .filter(|_| (mark.value - mark.value.round()).abs() < 1e-6)
                    .cloned()
                    .unwrap_or_default()
            })
            .show(ui, |plot| {
                plot.bar_chart(
                    BarChart::new("before (pale)", before_bars)
                        .color(egui::Color32::from_gray(190)),
                );
                plot.bar_chart(
                    BarChart::new("after", after_bars).color(egui::Color32::from_gray(90)),
                );
            });
        egui::Grid::new("insights_compare_outcome_rows")
            .num_columns(3)
            .spacing([16.0, 2.0])
            .show(ui, |ui| {
                ui.label(RichText::new("outcome").weak());
                ui.label(RichText::new("before").weak());
                ui.label(RichText::new("after").weak());
                ui.end_row();
                for row in &c.outcomes {
                    ui.label(&row.outcome);
                    ui.label(format!(
                        "{} ({})",
                        row.before,
                        show_percent(row.before, c.before.finished, 0)
                    ));
                    ui.label(format!(
                        "{} ({})",
                        row.after,
                        show_percent(row.after, c.after.finished, 0)
                    ));
                    ui.end_row();
                }
            });

        ui.add_space(8.0);
        ui.label(RichText::new("Key figures").strong());
        egui::Grid::new("insights_compare_key_figures")
            .num_columns(3)
            .spacing([16.0, 2.0])
            .show(ui, |ui| {
                let rate = |r: &calltree_engine::Rate| show_percent(r.count, r.of, 0);
                let time = |t: Option<calltree_engine::TimeSummary>| {
                    t.map_or("—".to_owned(), |t| calltree_engine::show_duration(t.median))
                };
                for (name, before, after) in [
                    (
                        "first-contact resolution",
                        rate(&c.before.first_contact_resolution),
                        rate(&c.after.first_contact_resolution),
                    ),
                    (
                        "self-service containment",
                        rate(&c.before.containment),
                        rate(&c.after.containment),
                    ),
                    (
                        "median call",
                        time(c.before.call_time),
                        time(c.after.call_time),
                    ),
                ] {
                    ui.label(name);
                    ui.label(before);
                    ui.label(after);
                    ui.end_row();
                }
            });

        let ui = &mut columns[1];
        let heading = if c.changes_known {
            "Drop-off at the changed steps (sessions that stopped there, of those that reached it)"
        } else {
            "Drop-off per step (the older version's tree is not at hand, so changed steps are not known)"
        };
        super::heading(ui, heading, "compare_steps", &mut export);
        if c.steps.is_empty() {
            ui.label("No step changed between these versions.");
        }
        step_grid(ui, "insights_compare_steps", &c.steps, &title, true);
        if !c.unchanged.is_empty() {
            ui.add_space(8.0);
            ui.label(
                RichText::new("The other steps (unchanged), where drop-off moved most first")
                    .strong(),
            );
            step_grid(ui, "insights_compare_unchanged", &c.unchanged, &title, false);
        }
    });
    export
}

/// A table of steps with their drop-off on each side; `changes` adds what the edit did.
fn step_grid(
    ui: &mut egui::Ui,
    id: &str,
    rows: &[calltree_engine::StepRow],
    title: &impl Fn(&str) -> String,
    changes: bool,
) {
    if rows.is_empty() {
        return;
    }
    egui::Grid::new(id)
        .num_columns(if changes { 4 } else { 3 })
        .spacing([12.0, 2.0])
        .striped(true)
        .show(ui, |ui| {
            let heads: &[&str] = if changes {
                &["step", "change", "before", "after"]
            } else {
                &["step", "before", "after"]
            };
            for head in heads {
                ui.label(RichText::new(*head).weak());
            }
            ui.end_row();
            for row in rows.iter().take(14) {
                ui.label(title(&row.node));
                if changes {
                    ui.label(match row.change {
                        StepChange::Added => "added",
                        StepChange::Removed => "removed",
                        StepChange::Edited => "edited",
                        StepChange::Same | StepChange::Unknown => "",
                    });
                }
                ui.label(counts(row.before));
                ui.label(counts(row.after));
                ui.end_row();
            }
        });
}
