//! `calltree stats`: the shape of each tree, for authors and reviewers.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use calltree_engine::{Exit, NodeId, OutcomeKind, Project, TreeId, VariableKind};
use serde::Serialize;

use crate::OutputFormat;
use crate::files;
use crate::output;

/// The figures for one tree.
#[derive(Debug, Serialize)]
pub struct TreeStats {
    pub tree: String,
    pub title: String,
    pub nodes: usize,
    pub routing_nodes: usize,
    pub options: usize,
    /// Endings by outcome (`resolved`, `escalated`...), and `return` for sub-tree exits.
    pub outcomes: BTreeMap<String, usize>,
    pub fields: usize,
    pub flags: usize,
    pub tests: usize,
    /// Fewest steps from the start to an `end resolved`.
    pub shortest_resolution: Option<usize>,
    /// Steps to the resolved ending that is farthest from the start (each by its shortest way).
    pub longest_resolution: Option<usize>,
    /// Steps from the start to the farthest node (each by its shortest way).
    pub depth: usize,
    /// Options per question, on average and at most.
    pub average_branching: f64,
    pub max_branching: usize,
}

/// Shortest number of steps from the start to every node of the tree (routing and calls
/// count as steps, like everything the call passes through).
fn distances(project: &Project, tree: TreeId) -> BTreeMap<NodeId, usize> {
    let mut distance = BTreeMap::new();
    let Some(start) = project.tree(tree).start else {
        return distance;
    };
    distance.insert(start, 0);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let next_distance = distance[&node] + 1;
        for next in project.successors(node) {
            distance.entry(next).or_insert_with(|| {
                queue.push_back(next);
                next_distance
            });
        }
    }
    distance
}

pub fn of_tree(project: &Project, id: TreeId) -> TreeStats {
    let tree = project.tree(id);
    let distance = distances(project, id);
    let mut stats = TreeStats {
        tree: tree.name.clone(),
        title: tree.title.clone(),
        nodes: tree.nodes.len(),
        routing_nodes: 0,
        options: 0,
        outcomes: BTreeMap::new(),
        fields: tree
            .variables
            .iter()
            .filter(|v| v.kind != VariableKind::Flag)
            .count(),
        flags: tree
            .variables
            .iter()
            .filter(|v| v.kind == VariableKind::Flag)
            .count(),
        tests: tree.tests.len(),
        shortest_resolution: None,
        longest_resolution: None,
        depth: distance.values().copied().max().unwrap_or(0),
        average_branching: 0.0,
        max_branching: 0,
    };
    let mut questions = 0usize;
    for &id in &tree.nodes {
        let node = project.node(id);
        match &node.exit {
            Exit::Options(options) => {
                questions += 1;
                stats.options += options.len();
                stats.max_branching = stats.max_branching.max(options.len());
            }
            Exit::Route { .. } => stats.routing_nodes += 1,
            Exit::End(outcome) => {
                *stats
                    .outcomes
                    .entry(outcome.kind.name().to_owned())
                    .or_default() += 1;
                if outcome.kind == OutcomeKind::Resolved
                    && let Some(&steps) = distance.get(&id)
                {
                    stats.shortest_resolution =
                        Some(stats.shortest_resolution.map_or(steps, |s| s.min(steps)));
                    stats.longest_resolution =
                        Some(stats.longest_resolution.map_or(steps, |s| s.max(steps)));
                }
            }
            Exit::Return => *stats.outcomes.entry("return".to_owned()).or_default() += 1,
            Exit::Continue(_) | Exit::Call { .. } | Exit::None => {}
        }
    }
    if questions > 0 {
        stats.average_branching = stats.options as f64 / questions as f64;
    }
    stats
}

pub fn run(paths: &[PathBuf], format: OutputFormat) -> Result<ExitCode> {
    let loaded = files::load_project(paths)?;
    let project = &loaded.project;
    // The trees of the files named; the others were loaded only so that calls resolve.
    let all: Vec<TreeStats> = project
        .trees()
        .filter(|(_, tree)| loaded.is_named(tree.file))
        .map(|(id, _)| of_tree(project, id))
        .collect();
    match format {
        OutputFormat::Json => output::emit(&format!("{}\n", serde_json::to_string_pretty(&all)?))?,
        OutputFormat::Human => output::emit(&human(&all))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn steps(value: Option<usize>) -> String {
    match value {
        None => "none reachable".to_owned(),
        Some(1) => "1 step".to_owned(),
        Some(n) => format!("{n} steps"),
    }
}

fn human(all: &[TreeStats]) -> String {
    let mut out = String::new();
    for stats in all {
        let outcomes: Vec<String> = stats
            .outcomes
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let _ = writeln!(out, "{} — {}", stats.tree, stats.title);
        let _ = writeln!(
            out,
            "  nodes {} ({} routing), options {}, fields {}, flags {}, tests {}",
            stats.nodes, stats.routing_nodes, stats.options, stats.fields, stats.flags, stats.tests
        );
        let _ = writeln!(
            out,
            "  endings: {}",
            if outcomes.is_empty() {
                "none".to_owned()
            } else {
                outcomes.join(", ")
            }
        );
        let _ = writeln!(
            out,
            "  to a resolution: shortest {}, longest {}; depth {}",
            steps(stats.shortest_resolution),
            steps(stats.longest_resolution),
            steps(Some(stats.depth))
        );
        let _ = writeln!(
            out,
            "  branching: {:.1} options per question on average, {} at most",
            stats.average_branching, stats.max_branching
        );
        out.push('\n');
    }
    out
}
