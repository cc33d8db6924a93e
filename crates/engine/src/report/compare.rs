//! Two versions of a tree side by side: did an edit help? The outcome mix of each, and the
//! drop-off at the steps the edit changed (added, removed, or doing something else), so a
//! team lead sees whether the step they reworded now loses fewer callers.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::data::{Figures, Rate, TimeSummary, VersionReport};
use crate::project::Project;
use crate::session::Millis;

/// What an edit did to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepChange {
    Added,
    Removed,
    Edited,
    /// The same in both versions.
    Same,
    /// Not known to be changed: without both versions' trees, no step can be told apart,
    /// so every step with visits is compared.
    Unknown,
}

/// One version's side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedVersion {
    pub version: String,
    /// The tree's own `version:` line, when known.
    pub label: Option<String>,
    pub first_started: Millis,
    pub last_started: Millis,
    pub started: u64,
    pub finished: u64,
    pub first_contact_resolution: Rate,
    pub containment: Rate,
    pub call_time: Option<TimeSummary>,
}

/// One outcome's count before and after; shares are of each side's finished sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRow {
    pub outcome: String,
    pub before: u64,
    pub after: u64,
}

/// A step's visits and drop-offs on each side (`None`: the step is not in that version, or
/// no session of it reached the step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub node: String,
    pub change: StepChange,
    pub before: Option<StepCounts>,
    pub after: Option<StepCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepCounts {
    pub visits: u64,
    pub drop_offs: u64,
}

impl StepCounts {
    /// Drop-offs as a share of visits, or `None` without visits.
    pub fn drop_off_rate(self) -> Option<f64> {
        (self.visits > 0).then(|| self.drop_offs as f64 / self.visits as f64)
    }
}

/// Two versions of a tree side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionComparison {
    pub before: ComparedVersion,
    pub after: ComparedVersion,
    /// Every outcome either side reached, in a fixed order (resolved first).
    pub outcomes: Vec<OutcomeRow>,
    /// Whether the changed steps are known (both versions' trees were given).
    pub changes_known: bool,
    /// The changed steps (or, when unknown, every step either side visited), the step whose
    /// drop-off rate moved most first.
    pub steps: Vec<StepRow>,
    /// When the changes are known: the unchanged steps either side visited, in the same
    /// order, since an edit can move callers' drop-off at the steps after it too.
    pub unchanged: Vec<StepRow>,
}

/// Compares two versions of `tree` as reported. `before_project` and `after_project` are the
/// projects the versions ran on, when the host has them: only with both are the changed
/// steps known; a step is changed when its canonical text (without comments) differs, or it
/// is in one version only. Steps of called sub-trees are left out: they are compared in
/// their own tree.
pub fn compare_versions(
    tree: &str,
    before: &VersionReport,
    after: &VersionReport,
    before_project: Option<&Project>,
    after_project: Option<&Project>,
) -> VersionComparison {
    let side = |v: &VersionReport| ComparedVersion {
        version: v.version.clone(),
        label: v.label.clone(),
        first_started: v.first_started,
        last_started: v.last_started,
        started: v.figures.sessions.started,
        finished: v.figures.sessions.finished,
        first_contact_resolution: v.figures.first_contact_resolution,
        containment: v.figures.containment,
        call_time: v.figures.call_time,
    };
    let changes = match (before_project, after_project) {
        (Some(b), Some(a)) => Some(changed_steps(tree, b, a)),
        _ => None,
    };
    let counts = |figures: &Figures, node: &str| {
        figures.nodes.get(node).map(|n| StepCounts {
            visits: n.visits,
            drop_offs: n.drop_offs,
        })
    };
    let mut steps: Vec<StepRow> = match &changes {
        Some(changes) => changes
            .iter()
            .map(|(node, change)| StepRow {
                node: node.clone(),
                change: *change,
                before: counts(&before.figures, node),
                after: counts(&after.figures, node),
            })
            .collect(),
        None => visited(before, after)
            .into_iter()
            .map(|node| StepRow {
                node: node.clone(),
                change: StepChange::Unknown,
                before: counts(&before.figures, node),
                after: counts(&after.figures, node),
            })
            .collect(),
    };
    let mut unchanged: Vec<StepRow> = match &changes {
        Some(changes) => visited(before, after)
            .into_iter()
            .filter(|node| !changes.contains_key(*node))
            .map(|node| StepRow {
                node: node.clone(),
                change: StepChange::Same,
                before: counts(&before.figures, node),
                after: counts(&after.figures, node),
            })
            .collect(),
        None => Vec::new(),
    };
    let moved = |row: &StepRow| {
        let rate = |c: Option<StepCounts>| c.and_then(StepCounts::drop_off_rate).unwrap_or(0.0);
        (rate(row.after) - rate(row.before)).abs()
    };
    for list in [&mut steps, &mut unchanged] {
        list.sort_by(|a, b| {
            moved(b)
                .total_cmp(&moved(a))
                .then_with(|| a.node.cmp(&b.node))
        });
    }
    VersionComparison {
        before: side(before),
        after: side(after),
        outcomes: outcome_rows(&before.figures, &after.figures),
        changes_known: changes.is_some(),
        steps,
        unchanged,
    }
}

/// The steps of the tree itself (not of sub-trees) either version visited.
fn visited<'a>(before: &'a VersionReport, after: &'a VersionReport) -> BTreeSet<&'a String> {
    before
        .figures
        .nodes
        .iter()
        .chain(&after.figures.nodes)
        .filter(|(name, n)| n.visits > 0 && !name.contains('.'))
        .map(|(name, _)| name)
        .collect()
}

fn outcome_rows(before: &Figures, after: &Figures) -> Vec<OutcomeRow> {
    let pairs = |f: &Figures| {
        let o = &f.outcomes;
        [
            ("resolved", o.resolved),
            ("escalated", o.escalated),
            ("callback", o.callback),
            ("transferred", o.transferred),
            ("referred", o.referred),
            ("abandoned", o.abandoned),
        ]
    };
    pairs(before)
        .into_iter()
        .zip(pairs(after))
        .filter(|((_, b), (_, a))| *b > 0 || *a > 0)
        .map(|((name, b), (_, a))| OutcomeRow {
            outcome: name.to_owned(),
            before: b,
            after: a,
        })
        .collect()
}

/// The steps of `tree` that differ between two projects, by name.
fn changed_steps(tree: &str, before: &Project, after: &Project) -> BTreeMap<String, StepChange> {
    let before = step_texts(tree, before);
    let after = step_texts(tree, after);
    let mut changes = BTreeMap::new();
    for (name, text) in &after {
        match before.get(name) {
            None => {
                changes.insert(name.clone(), StepChange::Added);
            }
            Some(old) if old != text => {
                changes.insert(name.clone(), StepChange::Edited);
            }
            Some(_) => {}
        }
    }
    for name in before.keys().filter(|name| !after.contains_key(*name)) {
        changes.insert(name.clone(), StepChange::Removed);
    }
    changes
}

/// Each step of `tree` with the canonical text of its block (the formatter's, without
/// comments), read again from the project's files: the model keeps no syntax.
fn step_texts(tree: &str, project: &Project) -> BTreeMap<String, String> {
    let Some(id) = project.tree_by_name(tree) else {
        return BTreeMap::new();
    };
    let file = project.file(project.tree(id).file);
    let (syntax, _) = calltree_syntax::parse(&file.text);
    let mut texts = BTreeMap::new();
    for item in syntax.items {
        if let calltree_syntax::ItemKind::Node(head) = &item.kind {
            let name = head.name.as_str().to_owned();
            let alone = calltree_syntax::SourceFile {
                items: vec![item],
                trailing: Vec::new(),
            };
            texts.insert(name, calltree_syntax::format_behaviour(&alone));
        }
    }
    texts
}
