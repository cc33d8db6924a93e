//! Insights: what happened on real calls and self-service sessions, for team leads who
//! improve the scripts. The engine's `Report` folds the sessions the host hands over; this
//! view shows the figures of one tree: its KPIs, charts of outcomes, time per step and
//! ratings, and its graph heat-coloured by traffic, where clicking a step shows its figures.
//! The sessions are read on a worker thread (`loader`) for the days chosen (the engine's
//! `DateRange`); two versions can be put side by side (`compare`) and any chart's data saved
//! as CSV (`export`). Every figure, order and table comes from the engine; this only draws.

mod compare;
mod export;
mod loader;

use std::collections::HashMap;
use std::sync::Arc;

use calltree_calls::Versions;
use calltree_engine::{
    Date, DateRange, Figures, Millis, Project, ReportData, show_count, show_duration,
};
use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Line, Plot};

use crate::author::{GraphAction, GraphView};
pub use loader::Source;
use loader::{Loader, Polled};

/// The Insights view's state.
#[derive(Default)]
pub struct Insights {
    pub data: Option<ReportData>,
    pub problem: Option<String>,
    pub tree: Option<String>,
    /// The step whose figures are shown, by name.
    pub selected: Option<String>,
    /// Colour the graph by where sessions stop instead of by traffic.
    pub by_drop_off: bool,
    graph: GraphView,
    /// Which project the report was made against, so a reload of the trees refreshes it.
    made_for: Option<String>,
    /// The reading under way on a worker thread, which holds the source meanwhile.
    loader: Option<Loader>,
    /// A refresh asked for while reading, started when that reading ends.
    again: bool,
    /// What the source reads, as its last reading described it.
    described: Option<String>,
    /// The days the figures cover; changing them reads the sessions again.
    pub range: DateRange,
    /// The range the shown (or coming) figures were read with.
    read_range: Option<DateRange>,
    /// The days typed into From and To.
    pub from_text: String,
    pub to_text: String,
    /// Why the typed days were not taken.
    range_problem: Option<String>,
    /// Which view is shown: the figures of all versions, or two versions side by side.
    pub comparing_versions: bool,
    comparing: compare::Comparing,
    /// Where a chart's CSV is saved unless the lead types another path.
    pub export_folder: std::path::PathBuf,
    /// A chart's data waiting to be saved as CSV.
    export: Option<export::Export>,
}

fn percent(count: u64, of: u64) -> String {
    calltree_engine::show_percent(count, of, 0)
}

/// Light yellow to deep orange: more traffic, warmer.
fn heat(share: f32) -> Color32 {
    let t = share.clamp(0.0, 1.0);
    let lerp = |a: f32, b: f32| (a + (b - a) * t) as u8;
    Color32::from_rgb(lerp(255.0, 235.0), lerp(247.0, 110.0), lerp(214.0, 40.0))
}

impl Insights {
    /// Whether stored sessions are being read on the worker thread, or are about to be
    /// (the days were changed and the next frame starts reading).
    pub fn is_loading(&self) -> bool {
        self.loader.is_some() || self.again || self.read_range.is_some_and(|r| r != self.range)
    }

    /// Starts reading every session again, on a worker thread, into a fresh report, each
    /// session on the tree version it ran on (the host kit's report, as `calltree report`
    /// makes it). The source goes with the thread and comes back with the figures.
    fn start_reading(
        &mut self,
        ctx: &egui::Context,
        project: &Project,
        sessions: &mut Option<Source>,
        versions: &Arc<Versions>,
        now: Millis,
    ) {
        self.made_for = Some(project.hash().to_owned());
        self.read_range = Some(self.range);
        if self.loader.is_some() {
            self.again = true;
            return;
        }
        if let Some(source) = sessions.take() {
            self.again = false;
            self.loader = Some(Loader::start(
                source,
                self.range.filter(None, now),
                Arc::clone(versions),
                ctx.clone(),
            ));
        }
    }

    /// The date range's row: quick choices, typed days, and what the range covers.
    fn range_row(&mut self, ui: &mut egui::Ui, now: Millis) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Dates");
            for (label, range) in [
                ("Last 7 days", DateRange::LastDays(7)),
                ("Last 30 days", DateRange::LastDays(30)),
                ("All", DateRange::All),
            ] {
                if ui.selectable_label(self.range == range, label).clicked() {
                    self.range = range;
                    self.range_problem = None;
                }
            }
            ui.separator();
            let from = ui.label("From");
            let from_edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.from_text)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(100.0),
                )
                .labelled_by(from.id);
            let to = ui.label("to");
            let to_edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.to_text)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(100.0),
                )
                .labelled_by(to.id);
            let entered = (from_edit.lost_focus() || to_edit.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Show these days").clicked() || entered {
                self.take_typed_days();
            }
            let mut covered = format!("Sessions started {}", self.range.describe(now));
            if let Some(left_out) = self.data.as_ref().map(|d| d.left_out).filter(|n| *n > 0) {
                covered.push_str(&format!(
                    "; {} other sessions are left out",
                    show_count(left_out)
                ));
            }
            ui.label(RichText::new(covered).weak());
        });
        if let Some(problem) = &self.range_problem {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
    }

    /// Takes the From and To boxes as the range; an empty box leaves that end open.
    fn take_typed_days(&mut self) {
        let read = |text: &str| -> Result<Option<Date>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            Date::parse(text)
                .map(Some)
                .ok_or_else(|| format!("“{text}” is not a day: write it as YYYY-MM-DD."))
        };
        let range = read(&self.from_text)
            .and_then(|from| read(&self.to_text).map(|to| DateRange::Between { from, to }));
        match range {
            Ok(range) if range.is_empty() => {
                self.range_problem = Some("The first day is after the last one.".into());
            }
            Ok(DateRange::Between {
                from: None,
                to: None,
            }) => {
                self.range = DateRange::All;
                self.range_problem = None;
            }
            Ok(range) => {
                self.range = range;
                self.range_problem = None;
            }
            Err(problem) => self.range_problem = Some(problem),
        }
    }

    /// Takes the worker's news: progress, or the finished report and the source back.
    fn poll(&mut self, sessions: &mut Option<Source>) {
        let Some(loader) = &mut self.loader else {
            return;
        };
        if let Some(described) = loader.described.take() {
            self.described = Some(described);
        }
        let Polled::Done(source, result) = loader.poll() else {
            return;
        };
        if let Some(described) = loader.described.take() {
            self.described = Some(described);
        }
        self.loader = None;
        *sessions = Some(source);
        // New figures: a comparison made from the old ones is out of date.
        self.comparing.made = None;
        match result {
            Ok(data) => {
                self.problem = None;
                self.data = Some(data);
            }
            Err(error) => {
                self.problem = Some(error);
                self.data = None;
            }
        }
        // The chosen tree stays chosen when these days have no session at all, so choosing
        // other days brings its figures back; it moves on only to a tree that has some.
        if let Some(data) = &self.data
            && !data.trees.is_empty()
            && self
                .tree
                .as_ref()
                .is_none_or(|t| !data.trees.contains_key(t))
        {
            self.tree = data.trees.keys().next().cloned();
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Arc<Project>,
        sessions: &mut Option<Source>,
        versions: &Arc<Versions>,
        now: Millis,
    ) {
        self.poll(sessions);
        self.export_window(ui.ctx());
        if sessions.is_none() && self.loader.is_none() {
            ui.label("No stored sessions are configured for this app.");
            return;
        }
        if self.made_for.as_deref() != Some(project.hash())
            || self.again
            || self.read_range != Some(self.range)
        {
            self.start_reading(ui.ctx(), project, sessions, versions, now);
        }
        let mut refresh = false;
        ui.horizontal(|ui| {
            ui.heading("Insights");
            if let Some(described) = &self.described {
                ui.label(RichText::new(format!("from {described}")).weak());
            }
            if ui
                .add_enabled(self.loader.is_none(), egui::Button::new("Refresh"))
                .clicked()
            {
                refresh = true;
            }
            let trees: Vec<String> = self
                .data
                .as_ref()
                .map(|d| d.trees.keys().cloned().collect())
                .unwrap_or_default();
            // While the first reading is under way there is nothing to pick yet.
            if self.data.is_none() {
                return;
            }
            let mut trees = trees;
            if let Some(tree) = &self.tree
                && !trees.contains(tree)
            {
                trees.push(tree.clone());
            }
            // Trees by their titles; a tree no longer in the folder by its id.
            let shown = |name: &str| {
                project
                    .tree_by_name(name)
                    .map_or_else(|| name.to_owned(), |t| project.tree(t).title.clone())
            };
            let label = ui.label("Tree");
            egui::ComboBox::from_id_salt("insights_tree")
                .selected_text(
                    self.tree
                        .as_deref()
                        .map_or_else(|| "no sessions".into(), shown),
                )
                .show_ui(ui, |ui| {
                    for tree in trees {
                        if ui
                            .selectable_label(self.tree.as_ref() == Some(&tree), shown(&tree))
                            .clicked()
                        {
                            self.tree = Some(tree);
                            self.selected = None;
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        if refresh {
            self.start_reading(ui.ctx(), project, sessions, versions, now);
        }
        self.range_row(ui, now);
        if let Some(loader) = &self.loader {
            ui.ctx().request_repaint_after(loader::PROGRESS_EVERY);
            let progress = loader.progress();
            let text = match progress.of {
                Some(of) => format!(
                    "Reading {} of {} stored sessions…",
                    show_count(progress.read),
                    show_count(of)
                ),
                None => format!(
                    "Reading stored sessions: {} so far…",
                    show_count(progress.read)
                ),
            };
            let fraction = progress
                .of
                .filter(|of| *of > 0)
                .map_or(0.0, |of| progress.read as f32 / of as f32);
            ui.add(
                egui::ProgressBar::new(fraction)
                    .text(text)
                    .desired_width(420.0),
            );
            if self.data.is_none() {
                ui.label(
                    RichText::new(
                        "The figures appear when every session is read; \
                         the rest of the app can be used meanwhile.",
                    )
                    .weak(),
                );
                return;
            }
        }
        if let Some(problem) = &self.problem {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        let Some(report) = self
            .tree
            .as_ref()
            .and_then(|t| self.data.as_ref()?.trees.get(t))
            .cloned()
        else {
            if self.range == DateRange::All {
                ui.label("There are no stored sessions yet. Calls taken in agent mode and self-service sessions appear here.");
            } else {
                ui.label(
                    "No session of this tree started on these days. Choose other days, or All.",
                );
            }
            return;
        };
        let figures = report.total.clone();
        kpis(ui, &figures);
        by_language(ui, &report.languages);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.comparing_versions, false, "All versions");
            ui.selectable_value(
                &mut self.comparing_versions,
                true,
                format!("Compare versions ({})", report.versions.len()),
            );
        });
        ui.separator();
        if self.comparing_versions {
            let tree = self.tree.clone().unwrap_or_default();
            egui::ScrollArea::vertical()
                .id_salt("insights_compare")
                .show(ui, |ui| self.compare_ui(ui, &tree, &report, versions));
            return;
        }
        let tree_id = self.tree.as_ref().and_then(|t| project.tree_by_name(t));
        ui.columns(2, |columns| {
            let title = |name: &str| {
                tree_id
                    .and_then(|tree| project.node_by_name(tree, name))
                    .map_or_else(
                        || name.to_owned(),
                        |node| project.node(node).shown_title().to_owned(),
                    )
            };
            let asked = egui::ScrollArea::vertical()
                .id_salt("insights_charts")
                .show(&mut columns[0], |ui| charts(ui, &figures, title))
                .inner;
            if let Some(name) = asked {
                let tables = calltree_engine::figure_tables(&figures, &title);
                self.export_table(tables, &name);
            }
            if let Some(tree) = tree_id {
                self.heat_graph(&mut columns[1], project, tree, &figures);
            }
        });
    }

    fn heat_graph(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        tree: calltree_engine::TreeId,
        figures: &Figures,
    ) {
        ui.horizontal(|ui| {
            ui.label("Colour steps by");
            ui.selectable_value(&mut self.by_drop_off, false, "traffic");
            ui.selectable_value(&mut self.by_drop_off, true, "where sessions stop");
        });
        let by_drop_off = self.by_drop_off;
        let measure = |n: &calltree_engine::NodeFigures| {
            if by_drop_off { n.drop_offs } else { n.visits }
        };
        let most = figures
            .nodes
            .values()
            .map(measure)
            .max()
            .unwrap_or(0)
            .max(1);
        let shares: HashMap<String, f32> = figures
            .nodes
            .iter()
            .map(|(name, n)| (name.clone(), measure(n) as f32 / most as f32))
            .collect();
        if let Some(name) = &self.selected {
            let node = figures.nodes.get(name);
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let shown = project
                    .node_by_name(tree, name)
                    .map_or(name.as_str(), |node| project.node(node).shown_title());
                ui.label(RichText::new(shown).strong());
                match node {
                    Some(n) => {
                        let mut line = format!("{} visits, {} stopped here", n.visits, n.drop_offs);
                        if let Some(time) = n.time {
                            line.push_str(&format!(
                                ", median {}, p90 {}",
                                show_duration(time.median),
                                show_duration(time.p90)
                            ));
                        }
                        ui.label(line);
                    }
                    None => {
                        ui.label("No session reached this step.");
                    }
                }
            });
        } else {
            let hint = if self.by_drop_off {
                "The warmer a step, the more sessions stopped there. Click a step for its figures."
            } else {
                "The warmer a step, the more sessions. Click a step for its figures."
            };
            ui.label(RichText::new(hint).weak());
        }
        self.graph.heat = Some(shares.into_iter().map(|(k, v)| (k, heat(v))).collect());
        let revision = project
            .hash()
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        if let Some(GraphAction::Jump(node) | GraphAction::Rename(node)) =
            self.graph.ui(ui, project, tree, revision, &[], None)
        {
            self.selected = Some(project.node(node).name.clone());
        }
    }
}

fn kpis(ui: &mut egui::Ui, figures: &Figures) {
    let s = &figures.sessions;
    let o = &figures.outcomes;
    ui.horizontal_wrapped(|ui| {
        let mut kpi = |label: &str, value: String| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.label(RichText::new(value).size(20.0).strong());
                    ui.label(RichText::new(label).weak());
                });
            });
        };
        kpi("sessions", s.started.to_string());
        kpi("resolved", percent(o.resolved, s.finished));
        kpi(
            "first-contact resolution",
            percent(
                figures.first_contact_resolution.count,
                figures.first_contact_resolution.of,
            ),
        );
        kpi(
            "self-service containment",
            percent(figures.containment.count, figures.containment.of),
        );
        kpi(
            "median call",
            figures
                .call_time
                .map_or("—".to_owned(), |t| show_duration(t.median)),
        );
    });
}

/// The outcomes split by the language sessions were shown in, one row each; nothing when
/// every session was in the tree's own words.
fn by_language(ui: &mut egui::Ui, languages: &[calltree_engine::LanguageFigures]) {
    if languages.iter().all(|l| l.locale.is_none()) {
        return;
    }
    ui.label(RichText::new("By language").strong());
    egui::Grid::new("insights-languages")
        .num_columns(6)
        .striped(true)
        .show(ui, |ui| {
            for title in [
                "language",
                "sessions",
                "resolved",
                "escalated",
                "first-contact resolution",
                "self-service containment",
            ] {
                ui.label(RichText::new(title).weak());
            }
            ui.end_row();
            for language in languages {
                let s = &language.sessions;
                let o = &language.outcomes;
                ui.label(language.locale.as_deref().unwrap_or("tree's own words"));
                ui.label(s.started.to_string());
                ui.label(percent(o.resolved, s.finished));
                ui.label(percent(o.escalated, s.finished));
                ui.label(percent(
                    language.first_contact_resolution.count,
                    language.first_contact_resolution.of,
                ));
                ui.label(percent(language.containment.count, language.containment.of));
                ui.end_row();
            }
        });
}

/// A path of step titles short enough for one line: its start, its end, and how many steps
/// lie between them.
fn shorten_path(steps: &[String]) -> String {
    match steps {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] if steps.len() > 4 => {
            format!("{first} > … {} steps … > {last}", steps.len() - 2)
        }
        _ => steps.join(" > "),
    }
}

/// A chart's heading, with a button that exports its data as CSV; `name` is the engine's
/// name for the chart's table.
fn heading(ui: &mut egui::Ui, text: &str, name: &str, export: &mut Option<String>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(text).strong());
        if ui
            .small_button("CSV")
            .on_hover_text("Save this chart's data as a CSV file")
            .clicked()
        {
            *export = Some(name.to_owned());
        }
    });
}

/// A ranked list: one row per entry with its label, a bar as long as its share of the
/// largest value, and the figure in words. Labels are read in full, which a bar chart's
/// axis, with room for a dozen letters under each bar, could not do.
fn ranked(
    ui: &mut egui::Ui,
    (text, name): (&str, &str),
    rows: Vec<(String, f64, String)>,
    export: &mut Option<String>,
) {
    if rows.is_empty() {
        return;
    }
    ui.add_space(6.0);
    heading(ui, text, name, export);
    let most = rows.iter().map(|r| r.1).fold(f64::MIN, f64::max).max(1e-9);
    egui::Grid::new(name)
        .num_columns(3)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for (label, value, shown) in rows {
                ui.label(&label);
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(120.0, 12.0), egui::Sense::hover());
                let filled = rect.with_max_x(rect.min.x + rect.width() * (value / most) as f32);
                ui.painter()
                    .rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
                ui.painter()
                    .rect_filled(filled, 2.0, ui.visuals().selection.bg_fill);
                ui.label(shown);
                ui.end_row();
            }
        });
}

/// Each chart of a tree's figures. Returns the name of the chart whose data was asked for
/// as CSV, if one was.
fn charts(ui: &mut egui::Ui, figures: &Figures, title: impl Fn(&str) -> String) -> Option<String> {
    let mut export = None;
    let o = &figures.outcomes;
    heading(ui, "Outcomes (sessions)", "outcomes", &mut export);
    let mut outcomes = vec![
        ("resolved", o.resolved),
        ("escalated", o.escalated),
        ("callback", o.callback),
        ("transferred", o.transferred),
        ("abandoned", o.abandoned),
    ];
    // A bar for referrals only where there were some: most trees have none.
    if o.referred > 0 {
        outcomes.insert(4, ("referred", o.referred));
    }
    let bars: Vec<Bar> = outcomes
        .iter()
        .enumerate()
        .map(|(i, (name, count))| {
            Bar::new(i as f64, *count as f64)
                .name(format!("{name}: {count} sessions"))
                .fill(outcome_colour(name))
        })
        .collect();
    let names: Vec<String> = outcomes
        .iter()
        .map(|(n, count)| format!("{n} ({})", percent(*count, figures.sessions.finished)))
        .collect();
    Plot::new("insights_outcomes")
        .height(150.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_y(0.0)
        .y_axis_label("sessions")
        .x_axis_formatter(move |mark, _| {
            names
                .get(mark.value.round() as usize)
                .filter(|_| (mark.value - mark.value.round()).abs() < 1e-6)
                .cloned()
                .unwrap_or_default()
        })
        .show(ui, |plot| plot.bar_chart(BarChart::new("sessions", bars)));
    // Endings by the names their authors gave them (triage levels, categories).
    if !o.results.is_empty() {
        ui.label(RichText::new("Results (sessions)").strong());
        for (result, count) in &o.results {
            ui.label(format!("{result}: {count}"));
        }
    }

    ranked(
        ui,
        (
            "Slowest steps (median time at the step; p90 in brackets)",
            "slowest_steps",
        ),
        calltree_engine::slowest_steps(figures)
            .into_iter()
            .take(8)
            .filter_map(|(name, n)| {
                let t = n.time?;
                let shown = format!("{} ({})", show_duration(t.median), show_duration(t.p90));
                Some((title(name), t.median as f64, shown))
            })
            .collect(),
        &mut export,
    );
    ranked(
        ui,
        (
            "Drop-off per step (sessions that stopped there, of those that reached it)",
            "drop_off",
        ),
        calltree_engine::drop_off_steps(figures)
            .into_iter()
            .filter(|(_, n)| n.drop_offs > 0)
            .take(8)
            .map(|(name, n)| {
                // One decimal: most steps lose well under one in a hundred.
                let shown = format!(
                    "{} of {} ({})",
                    n.drop_offs,
                    n.visits,
                    calltree_engine::show_percent(n.drop_offs, n.visits, 1)
                );
                (title(name), n.drop_offs as f64, shown)
            })
            .collect(),
        &mut export,
    );
    for (heading, name, list) in [
        (
            "Why calls were escalated (sessions)",
            "escalation_reasons",
            &figures.escalation_reasons,
        ),
        (
            "Why steps were skipped (sessions)",
            "skip_reasons",
            &figures.skip_reasons,
        ),
    ] {
        ranked(
            ui,
            (heading, name),
            list.top
                .iter()
                .take(6)
                .map(|c| (c.value.clone(), c.count as f64, c.count.to_string()))
                .collect(),
            &mut export,
        );
    }
    ranked(
        ui,
        ("Most common paths (sessions)", "paths"),
        figures
            .paths
            .top
            .iter()
            .take(5)
            .map(|c| {
                let steps: Vec<String> = c.value.split(" > ").map(&title).collect();
                (shorten_path(&steps), c.count as f64, c.count.to_string())
            })
            .collect(),
        &mut export,
    );
    let mut comments: Vec<(&String, &calltree_engine::Comment)> = figures
        .comments
        .iter()
        .flat_map(|(field, list)| list.iter().map(move |c| (field, c)))
        .collect();
    comments.sort_by_key(|c| std::cmp::Reverse(c.1.at));
    if !comments.is_empty() {
        ui.add_space(6.0);
        heading(ui, "Latest comments", "comments", &mut export);
        for (field, comment) in comments.iter().take(5) {
            let day = Date::from_days_since_epoch(comment.at.div_euclid(calltree_engine::DAY))
                .map_or_else(String::new, |d| d.to_string());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(day).weak());
                ui.label(format!("“{}”", comment.text))
                    .on_hover_text(format!("answer to `{field}`"));
            });
        }
    }
    for (field, days) in &figures.ratings_by_day {
        if days.len() < 2 {
            continue;
        }
        ui.add_space(6.0);
        heading(
            ui,
            &format!("Average {field} by day (sessions started that day, UTC)"),
            &format!("ratings_by_day_{field}"),
            &mut export,
        );
        let points: Vec<[f64; 2]> = days.iter().map(|d| [d.day as f64, d.average]).collect();
        // The whole scale of answers given, so a wobble of a tenth does not fill the chart.
        let given = figures.ratings.get(field);
        let lowest = given.and_then(|c| c.first()).map_or(0.0, |c| c.value);
        let highest = given.and_then(|c| c.last()).map_or(5.0, |c| c.value);
        Plot::new(("insights_rating_days", field.as_str()))
            .height(120.0)
            .include_y(lowest)
            .include_y(highest)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .y_axis_label("average rating")
            .x_axis_formatter(|mark, _| {
                Date::from_days_since_epoch(mark.value.round() as i64)
                    .filter(|_| (mark.value - mark.value.round()).abs() < 1e-6)
                    .map_or_else(String::new, |d| d.to_string())
            })
            .show(ui, |plot| plot.line(Line::new("average", points)));
    }
    for (field, counts) in &figures.ratings {
        ui.add_space(6.0);
        heading(
            ui,
            &format!("Ratings: {field} (answers per rating)"),
            &format!("ratings_{field}"),
            &mut export,
        );
        let bars: Vec<Bar> = counts
            .iter()
            .map(|c| {
                Bar::new(c.value, c.count as f64)
                    .width(0.6)
                    .fill(Color32::from_rgb(0x21, 0x96, 0xf3))
                    .name(format!("{}: {} answers", c.value, c.count))
            })
            .collect();
        Plot::new(("insights_rating", field.as_str()))
            .height(120.0)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .include_y(0.0)
            .x_axis_label("rating")
            .y_axis_label("answers")
            .show(ui, |plot| plot.bar_chart(BarChart::new("answers", bars)));
    }
    export
}

/// Each outcome's colour, the same in every chart.
pub(crate) fn outcome_colour(outcome: &str) -> Color32 {
    match outcome {
        "resolved" => Color32::from_rgb(0x4c, 0xaf, 0x50),
        "escalated" => Color32::from_rgb(0xff, 0x98, 0x00),
        "callback" => Color32::from_rgb(0x21, 0x96, 0xf3),
        "transferred" => Color32::from_rgb(0x9c, 0x27, 0xb0),
        "referred" => Color32::from_rgb(0xc0, 0x7a, 0x3a),
        _ => Color32::from_rgb(0x9e, 0x9e, 0x9e),
    }
}
