//! `calltree export` and `calltree import`: a tree as a drawing (Graphviz DOT, Mermaid) or as
//! data (JSON, YAML), and YAML or JSON back into a formatted `.tree` file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use calltree_engine::{Exit, Look, NodeId, Project, SourceInput, TreeId};
use calltree_syntax::interchange::{self, Document};
use calltree_syntax::{LineIndex, format, parse};
use clap::ValueEnum;

use crate::files;
use crate::output;
use crate::render::{self, Style};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Graphviz: `dot -Tsvg tree.dot > tree.svg`.
    Dot,
    /// A Mermaid flowchart, for Markdown pages that render Mermaid.
    Mermaid,
    /// The interchange model as JSON (see docs/interchange.md).
    Json,
    /// The interchange model as YAML (see docs/interchange.md).
    Yaml,
}

pub fn export(
    file: &Path,
    format_: ExportFormat,
    tree: Option<&str>,
    focus: Option<(&str, u32)>,
) -> Result<ExitCode> {
    if focus.is_some() && matches!(format_, ExportFormat::Json | ExportFormat::Yaml) {
        bail!("`--focus` draws part of a tree; JSON and YAML always hold the whole tree");
    }
    let text = files::read_text(file)?;
    let (syntax, diagnostics) = parse(&text);
    if diagnostics
        .iter()
        .any(calltree_syntax::Diagnostic::is_error)
    {
        bail!(
            "`{}` has syntax errors; run `calltree check {}` and fix them first",
            file.display(),
            file.display()
        );
    }
    match format_ {
        ExportFormat::Json | ExportFormat::Yaml => {
            let document = Document::from_file(&syntax)
                .with_context(|| format!("`{}` has no `tree` line to export", file.display()))?;
            if format_ == ExportFormat::Json {
                output::emit(&format!("{}\n", serde_json::to_string_pretty(&document)?))?;
            } else {
                output::emit(&serde_yaml::to_string(&document)?)?;
            }
        }
        ExportFormat::Dot | ExportFormat::Mermaid => {
            // With its project (the trees beside it and what it brings in with `use`), so a
            // drawing shows its calls resolved, as `check` and `run` see them.
            let loaded = files::load_project(&[file.to_path_buf()])?;
            let project = loaded.project;
            let id = match tree {
                Some(name) => project.tree_by_name(name).with_context(|| {
                    format!("there is no tree called `{name}` in `{}`", file.display())
                })?,
                None => project
                    .trees()
                    .find(|(_, t)| t.file.index() < loaded.named)
                    .map(|(id, _)| id)
                    .with_context(|| format!("`{}` has no tree", file.display()))?,
            };
            let shown = match focus {
                // The whole tree with the sub-trees it calls, each in its own cluster.
                None => project
                    .call_closure(id)
                    .into_iter()
                    .flat_map(|t| project.tree(t).nodes.clone())
                    .collect(),
                Some((name, depth)) => {
                    let centre = project.node_by_name(id, name).with_context(|| {
                        format!(
                            "there is no node called `{name}` in `{}`",
                            project.tree(id).name
                        )
                    })?;
                    project.neighbourhood(id, centre, depth)
                }
            };
            let drawing = if format_ == ExportFormat::Dot {
                dot(&project, id, &shown)
            } else {
                mermaid(&project, id, &shown)
            };
            output::emit(&drawing)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The nodes an edge from a shown node leads to that are not shown themselves: drawn dashed,
/// so a part of a tree still shows every way out of it.
fn beyond(project: &Project, shown: &[NodeId]) -> Vec<NodeId> {
    let inside: std::collections::HashSet<NodeId> = shown.iter().copied().collect();
    let mut out: Vec<NodeId> = Vec::new();
    for &node in shown {
        for (target, _) in project.labelled_edges(node) {
            if !inside.contains(&target) && !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
}

/// The shown nodes tree by tree: the drawn tree first, then the sub-trees it calls in the
/// order it reaches them. Each becomes a cluster, so a script and its sub-trees each keep
/// their own box instead of being woven into one tangle.
fn by_tree(project: &Project, tree: TreeId, shown: &[NodeId]) -> Vec<(TreeId, Vec<NodeId>)> {
    let mut groups: Vec<(TreeId, Vec<NodeId>)> = project
        .call_closure(tree)
        .into_iter()
        .map(|t| (t, Vec::new()))
        .collect();
    for &node in shown {
        let owner = project.node(node).tree;
        match groups.iter_mut().find(|(t, _)| *t == owner) {
            Some((_, nodes)) => nodes.push(node),
            None => groups.push((owner, vec![node])),
        }
    }
    groups.retain(|(_, nodes)| !nodes.is_empty());
    groups
}

/// Where a shown call node goes into a shown sub-tree: the call and the callee's start.
fn calls_into(project: &Project, shown: &[NodeId]) -> Vec<(NodeId, NodeId)> {
    let inside: std::collections::HashSet<NodeId> = shown.iter().copied().collect();
    shown
        .iter()
        .filter_map(|&node| match project.node(node).exit {
            Exit::Call {
                tree: Some(callee), ..
            } => project
                .tree(callee)
                .start
                .filter(|start| inside.contains(start))
                .map(|start| (node, start)),
            _ => None,
        })
        .collect()
}

/// A Graphviz digraph of one tree, or of the `shown` part of it; sub-trees among `shown` are
/// drawn in their own clusters, entered by a dashed "call" edge.
pub fn dot(project: &Project, tree: TreeId, shown: &[NodeId]) -> String {
    let data = project.tree(tree);
    // Node names are unique within a tree only: a sub-tree's are prefixed with its name.
    let id = |node: NodeId| {
        let owner = project.node(node).tree;
        let name = &project.node(node).name;
        if owner == tree {
            dot_escape(name)
        } else {
            dot_escape(&format!("{}.{name}", project.tree(owner).name))
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&data.name));
    let _ = writeln!(
        out,
        "  graph [label=\"{}\", labelloc=t, fontname=\"Helvetica\", rankdir=TB];",
        dot_escape(&data.title)
    );
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (owner, nodes) in by_tree(project, tree, shown) {
        let owner_data = project.tree(owner);
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{}\" {{",
            dot_escape(&owner_data.name)
        );
        let _ = writeln!(
            out,
            "    graph [label=\"{} ({})\", style=rounded, color=\"#9a9a9a\"];",
            dot_escape(&owner_data.title),
            dot_escape(&owner_data.name)
        );
        for node in nodes {
            let look = project.look(owner, node);
            let shape = match look {
                Look::Routing => ", shape=diamond, style=filled",
                Look::End(_) | Look::Return => ", shape=box, style=\"filled,bold\"",
                Look::Feedback => ", shape=note, style=filled",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    \"{}\" [label=\"{}\", fillcolor=\"{}\"{shape}];",
                id(node),
                dot_escape(&project.caption(node)),
                look.fill_hex()
            );
        }
        out.push_str("  }\n");
    }
    for node in beyond(project, shown) {
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\", style=\"rounded,dashed\", fillcolor=white];",
            id(node),
            dot_escape(&project.node(node).name)
        );
    }
    for &node in shown {
        for (target, label) in project.labelled_edges(node) {
            let _ = write!(out, "  \"{}\" -> \"{}\"", id(node), id(target));
            if label.is_empty() {
                out.push_str(";\n");
            } else {
                let _ = writeln!(out, " [label=\"{}\"];", dot_escape(&label));
            }
        }
    }
    for (call, start) in calls_into(project, shown) {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"call\", style=dashed];",
            id(call),
            id(start)
        );
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;").replace('\n', "<br/>")
}

/// A Mermaid flowchart of one tree, or of the `shown` part of it, each tree in its own
/// `subgraph`. Node ids are `n0`, `n1`... (`t1n0`... in the sub-trees) because Mermaid ids
/// allow fewer characters than tree ids do.
pub fn mermaid(project: &Project, tree: TreeId, shown: &[NodeId]) -> String {
    let data = project.tree(tree);
    let groups = by_tree(project, tree, shown);
    // A node's id, looked up once per node rather than searched for on every use (quadratic
    // on a tree of 100,000 nodes).
    let mut ids: std::collections::HashMap<NodeId, String> = std::collections::HashMap::new();
    let mut tree_ids: Vec<TreeId> = vec![tree];
    for (owner, _) in &groups {
        if !tree_ids.contains(owner) {
            tree_ids.push(*owner);
        }
    }
    let beyond_trees = beyond(project, shown)
        .into_iter()
        .map(|n| project.node(n).tree);
    for owner in beyond_trees {
        if !tree_ids.contains(&owner) {
            tree_ids.push(owner);
        }
    }
    for (k, &owner) in tree_ids.iter().enumerate() {
        let prefix = if k == 0 {
            String::new()
        } else {
            format!("t{k}")
        };
        for (position, &node) in project.tree(owner).nodes.iter().enumerate() {
            ids.insert(node, format!("{prefix}n{position}"));
        }
    }
    let id = |node: NodeId| ids.get(&node).cloned().unwrap_or_else(|| "n0".to_owned());
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(out, "  %% {} ({})", data.title, data.name);
    let mut classes: Vec<(String, Look)> = Vec::new();
    for (k, (owner, nodes)) in groups.iter().enumerate() {
        let owner_data = project.tree(*owner);
        let _ = writeln!(
            out,
            "  subgraph tree{k}[\"{} ({})\"]",
            mermaid_escape(&owner_data.title),
            mermaid_escape(&owner_data.name)
        );
        for &node in nodes {
            let look = project.look(*owner, node);
            let label = mermaid_escape(&project.caption(node));
            let shape = match look {
                Look::Routing => format!("{{\"{label}\"}}"),
                Look::End(_) | Look::Return => format!("([\"{label}\"])"),
                _ => format!("[\"{label}\"]"),
            };
            let _ = writeln!(out, "    {}{shape}", id(node));
            classes.push((id(node), look));
        }
        out.push_str("  end\n");
    }
    let outside = beyond(project, shown);
    for &node in &outside {
        let name = mermaid_escape(&project.node(node).name);
        let _ = writeln!(out, "  {}[\"{name}\"]", id(node));
    }
    for &node in shown {
        for (target, label) in project.labelled_edges(node) {
            if label.is_empty() {
                let _ = writeln!(out, "  {} --> {}", id(node), id(target));
            } else {
                let _ = writeln!(
                    out,
                    "  {} -->|\"{}\"| {}",
                    id(node),
                    mermaid_escape(&label),
                    id(target)
                );
            }
        }
    }
    for (call, start) in calls_into(project, shown) {
        let _ = writeln!(out, "  {} -.->|\"call\"| {}", id(call), id(start));
    }
    // Class names carry a prefix: some plain words (`call`, `click`, `end`) are Mermaid
    // keywords and break the chart.
    for (look, name) in Look::ALL {
        if look == Look::Step {
            continue;
        }
        let members: Vec<&str> = classes
            .iter()
            .filter(|(_, l)| *l == look)
            .map(|(id, _)| id.as_str())
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  classDef is_{name} fill:{}", look.fill_hex());
            let _ = writeln!(out, "  class {} is_{name}", members.join(","));
        }
    }
    if !outside.is_empty() {
        let members: Vec<String> = outside.iter().map(|&n| id(n)).collect();
        out.push_str("  classDef is_beyond fill:#ffffff,stroke-dasharray:4 3\n");
        let _ = writeln!(out, "  class {} is_beyond", members.join(","));
    }
    out
}

/// Turns a YAML (or JSON) interchange document into a formatted `.tree` file, and checks it:
/// nothing is written when the generated tree has errors.
pub fn import(file: &Path, output: Option<&PathBuf>) -> Result<ExitCode> {
    let text = files::read_text(file)?;
    // YAML readers slow down with the square of how deeply `[` and `{` nest, so depth is
    // checked before one sees the text; a real document nests six deep.
    let depth = interchange::nesting_depth(&text);
    if depth > interchange::MAX_NESTING {
        bail!(
            "`{}` nests lists and maps {depth} deep; an interchange document needs six levels, and calltree reads at most {}",
            file.display(),
            interchange::MAX_NESTING
        );
    }
    // JSON is YAML too, so one reader takes both.
    let document: Document = serde_yaml::from_str(&text).with_context(|| {
        format!(
            "`{}` is not a calltree interchange document",
            file.display()
        )
    })?;
    if document.format != interchange::FORMAT {
        bail!(
            "`{}` says its format is `{}`, not `{}`",
            file.display(),
            document.format,
            interchange::FORMAT
        );
    }
    if document.version != interchange::VERSION {
        bail!(
            "`{}` is version {} of the interchange form; this calltree reads version {}",
            file.display(),
            document.version,
            interchange::VERSION
        );
    }
    let source = document
        .to_source()
        .with_context(|| format!("`{}` cannot become a .tree file", file.display()))?;
    let (syntax, diagnostics) = parse(&source);
    if diagnostics
        .iter()
        .any(calltree_syntax::Diagnostic::is_error)
    {
        eprintln!(
            "error: `{}` does not describe a valid tree; the generated text has these problems:",
            file.display()
        );
        show_problems("(generated)", &source, &diagnostics);
        return Ok(ExitCode::from(1));
    }
    let formatted = format(&syntax);
    let name = output.map_or_else(|| "(imported)".to_owned(), |p| p.display().to_string());
    match check_imported(&name, &formatted, output)? {
        Checked::Clean => {}
        Checked::CallsElsewhere(trees) => eprintln!(
            "note: the tree calls {} which {} not beside it, so only its syntax was checked; run `calltree check` where they are",
            trees.join(", "),
            if trees.len() == 1 { "is" } else { "are" }
        ),
        Checked::Problems(problems) => {
            eprintln!(
                "error: `{}` describes a tree with errors; nothing was written:",
                file.display()
            );
            show_problems(&name, &formatted, &problems);
            return Ok(ExitCode::from(1));
        }
    }
    match output {
        Some(path) => {
            files::write_atomically(path, &formatted)?;
            eprintln!("wrote {}", path.display());
        }
        None => output::emit(&formatted)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// What checking an imported tree found.
enum Checked {
    Clean,
    /// It calls trees that are not in the folder it goes to (by name): what depends on them
    /// (read-before-set across the call, tests through it) cannot be checked here.
    CallsElsewhere(Vec<String>),
    /// Errors in the imported tree.
    Problems(Vec<calltree_syntax::Diagnostic>),
}

/// Checks an imported tree as `calltree check` would, with the trees of the folder it is
/// written to (the trees it may call), the file it replaces left out.
fn check_imported(name: &str, text: &str, output: Option<&PathBuf>) -> Result<Checked> {
    let mut inputs = vec![SourceInput::new(name, text)];
    if let Some(path) = output {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let replaced = std::fs::canonicalize(path).ok();
        for sibling in calltree_files::tree_files(folder).unwrap_or_default() {
            if std::fs::canonicalize(&sibling).ok() == replaced && replaced.is_some() {
                continue;
            }
            // The other trees are only context: one that cannot be read is left out.
            if let Ok(text) = files::read_text(&sibling) {
                inputs.push(SourceInput::new(sibling.display().to_string(), text));
            }
        }
    }
    let project = Project::load(inputs);
    let own = project.diagnostics_with_tests().swap_remove(0);
    let elsewhere: Vec<String> = own
        .iter()
        .filter(|d| d.code.id == calltree_engine::codes::UNKNOWN_TREE.id)
        .map(|d| text.get(d.span.range()).unwrap_or_default().to_owned())
        .collect();
    if !elsewhere.is_empty() {
        return Ok(Checked::CallsElsewhere(elsewhere));
    }
    let errors: Vec<calltree_syntax::Diagnostic> =
        own.into_iter().filter(|d| d.is_error()).collect();
    Ok(if errors.is_empty() {
        Checked::Clean
    } else {
        Checked::Problems(errors)
    })
}

/// Diagnostics of a generated text on standard error, capped as `check` caps them.
fn show_problems(name: &str, text: &str, diagnostics: &[calltree_syntax::Diagnostic]) {
    let index = LineIndex::new(text);
    let style = Style::for_stdout();
    for diagnostic in diagnostics.iter().take(render::SHOWN_DIAGNOSTICS) {
        eprint!("{}", render::human(name, text, &index, diagnostic, style));
    }
    if diagnostics.len() > render::SHOWN_DIAGNOSTICS {
        eprintln!(
            "… and {} more",
            diagnostics.len() - render::SHOWN_DIAGNOSTICS
        );
    }
}
