//! `calltree export` and `calltree import`: a tree as a drawing (Graphviz DOT, Mermaid) or as
//! data (JSON, YAML), and YAML or JSON back into a formatted `.tree` file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use calltree_engine::{Exit, NodeId, NodeKind, OutcomeKind, Project, SourceInput, TreeId};
use calltree_syntax::interchange::{self, Document};
use calltree_syntax::{LineIndex, format, parse};
use clap::ValueEnum;

use crate::files;
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

pub fn export(file: &Path, format_: ExportFormat, tree: Option<&str>) -> Result<ExitCode> {
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
                println!("{}", serde_json::to_string_pretty(&document)?);
            } else {
                print!("{}", serde_yaml::to_string(&document)?);
            }
        }
        ExportFormat::Dot | ExportFormat::Mermaid => {
            let project = Project::load(vec![SourceInput::new(file.display().to_string(), text)]);
            let id = match tree {
                Some(name) => project.tree_by_name(name).with_context(|| {
                    format!("there is no tree called `{name}` in `{}`", file.display())
                })?,
                None => project
                    .trees()
                    .next()
                    .map(|(id, _)| id)
                    .with_context(|| format!("`{}` has no tree", file.display()))?,
            };
            let drawing = if format_ == ExportFormat::Dot {
                dot(&project, id)
            } else {
                mermaid(&project, id)
            };
            print!("{drawing}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How a node is drawn: its kind, and for endings the outcome.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    Step,
    Start,
    Routing,
    Call,
    Feedback,
    Return,
    End(OutcomeKind),
}

fn look(project: &Project, tree: TreeId, node: NodeId) -> Look {
    let data = project.node(node);
    match &data.exit {
        Exit::End(outcome) => Look::End(outcome.kind),
        Exit::Return => Look::Return,
        Exit::Route { .. } => Look::Routing,
        Exit::Call { .. } => Look::Call,
        _ if project.tree(tree).start == Some(node) => Look::Start,
        _ if data.kind == NodeKind::Feedback => Look::Feedback,
        _ => Look::Step,
    }
}

/// Fill colours by kind and outcome, chosen to be told apart in print and on screen.
fn colour(look: Look) -> &'static str {
    match look {
        Look::Step => "#ffffff",
        Look::Start => "#dbe8fb",
        Look::Routing => "#fff4cc",
        Look::Call | Look::Return => "#ece3f7",
        Look::Feedback => "#e3f4f4",
        Look::End(OutcomeKind::Resolved) => "#d3f0d9",
        Look::End(OutcomeKind::Escalated) => "#ffe0c2",
        Look::End(OutcomeKind::Callback) => "#d6e9ff",
        Look::End(OutcomeKind::Transferred) => "#eadcf5",
        Look::End(OutcomeKind::Abandoned) => "#e2e2e2",
    }
}

/// Every edge of a node: where it goes and what it is labelled with.
fn edges(project: &Project, node: NodeId) -> Vec<(NodeId, String)> {
    let mut out = Vec::new();
    match &project.node(node).exit {
        Exit::Options(options) => {
            for option in options {
                if let Some(target) = option.target {
                    let mut label = option.label.source.clone();
                    if let Some(only) = option.only {
                        let _ = write!(label, " ({}-only)", only.name());
                    }
                    if let Some(guard) = &option.guard_text {
                        let _ = write!(label, "\nwhen {guard}");
                    }
                    out.push((target, label));
                }
            }
        }
        Exit::Continue(Some(target)) => out.push((*target, String::new())),
        Exit::Route { routes, otherwise } => {
            for route in routes {
                if let Some(target) = route.target {
                    out.push((target, format!("if {}", route.condition_text)));
                }
            }
            if let Some(Some(target)) = otherwise {
                out.push((*target, "else".to_owned()));
            }
        }
        Exit::Call {
            then: Some(target), ..
        } => out.push((*target, "after the call".to_owned())),
        _ => {}
    }
    out
}

fn node_label(project: &Project, node: NodeId) -> String {
    let data = project.node(node);
    let mut label = data.shown_title().to_owned();
    match &data.exit {
        Exit::End(outcome) => {
            let _ = write!(label, "\nend {}", outcome.kind.name());
            if let Some(to) = &outcome.to {
                let _ = write!(label, " to {to}");
            }
            if let Some(code) = &outcome.code {
                let _ = write!(label, " [{code}]");
            }
        }
        Exit::Call {
            tree: Some(callee), ..
        } => {
            let _ = write!(label, "\ncall {}", project.tree(*callee).name);
        }
        Exit::Return => label.push_str("\nreturn"),
        _ => {}
    }
    label
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A Graphviz digraph of one tree.
pub fn dot(project: &Project, tree: TreeId) -> String {
    let data = project.tree(tree);
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
    for &node in &data.nodes {
        let look = look(project, tree, node);
        let shape = match look {
            Look::Routing => ", shape=diamond, style=filled",
            Look::End(_) | Look::Return => ", shape=box, style=\"filled,bold\"",
            Look::Feedback => ", shape=note, style=filled",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\", fillcolor=\"{}\"{shape}];",
            dot_escape(&project.node(node).name),
            dot_escape(&node_label(project, node)),
            colour(look)
        );
    }
    for &node in &data.nodes {
        for (target, label) in edges(project, node) {
            let _ = write!(
                out,
                "  \"{}\" -> \"{}\"",
                dot_escape(&project.node(node).name),
                dot_escape(&project.node(target).name)
            );
            if label.is_empty() {
                out.push_str(";\n");
            } else {
                let _ = writeln!(out, " [label=\"{}\"];", dot_escape(&label));
            }
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;").replace('\n', "<br/>")
}

/// A Mermaid flowchart of one tree. Node ids are `n0`, `n1`... because Mermaid ids allow fewer
/// characters than tree ids do.
pub fn mermaid(project: &Project, tree: TreeId) -> String {
    let data = project.tree(tree);
    let id = |node: NodeId| {
        format!(
            "n{}",
            data.nodes.iter().position(|n| *n == node).unwrap_or(0)
        )
    };
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(out, "  %% {} ({})", data.title, data.name);
    let mut classes: Vec<(String, Look)> = Vec::new();
    for &node in &data.nodes {
        let look = look(project, tree, node);
        let label = mermaid_escape(&node_label(project, node));
        let shape = match look {
            Look::Routing => format!("{{\"{label}\"}}"),
            Look::End(_) | Look::Return => format!("([\"{label}\"])"),
            _ => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  {}{shape}", id(node));
        classes.push((id(node), look));
    }
    for &node in &data.nodes {
        for (target, label) in edges(project, node) {
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
    // Class names carry a prefix: some plain words (`call`, `click`, `end`) are Mermaid
    // keywords and break the chart.
    let looks = [
        ("is_start", Look::Start),
        ("is_routing", Look::Routing),
        ("is_call", Look::Call),
        ("is_feedback", Look::Feedback),
        ("is_return", Look::Return),
        ("is_resolved", Look::End(OutcomeKind::Resolved)),
        ("is_escalated", Look::End(OutcomeKind::Escalated)),
        ("is_callback", Look::End(OutcomeKind::Callback)),
        ("is_transferred", Look::End(OutcomeKind::Transferred)),
        ("is_abandoned", Look::End(OutcomeKind::Abandoned)),
    ];
    for (name, look) in looks {
        let members: Vec<&str> = classes
            .iter()
            .filter(|(_, l)| *l == look)
            .map(|(id, _)| id.as_str())
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  classDef {name} fill:{}", colour(look));
            let _ = writeln!(out, "  class {} {name}", members.join(","));
        }
    }
    out
}

/// Turns a YAML (or JSON) interchange document into a formatted `.tree` file.
pub fn import(file: &Path, output: Option<&PathBuf>) -> Result<ExitCode> {
    let text = files::read_text(file)?;
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
    let source = document.to_source();
    let (syntax, diagnostics) = parse(&source);
    if diagnostics
        .iter()
        .any(calltree_syntax::Diagnostic::is_error)
    {
        let index = LineIndex::new(&source);
        eprintln!(
            "error: `{}` does not describe a valid tree; the generated text has these problems:",
            file.display()
        );
        for diagnostic in &diagnostics {
            eprint!(
                "{}",
                render::human(
                    "(generated)",
                    &source,
                    &index,
                    diagnostic,
                    Style::for_stdout()
                )
            );
        }
        return Ok(ExitCode::from(1));
    }
    let formatted = format(&syntax);
    match output {
        Some(path) => {
            files::write_atomically(path, &formatted)?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{formatted}"),
    }
    Ok(ExitCode::SUCCESS)
}
