//! `calltree export` and `calltree import`: a tree as a drawing (Graphviz DOT, Mermaid) or as
//! data (JSON, YAML), and YAML or JSON back into a formatted `.tree` file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use calltree_engine::{Look, NodeId, Project, SourceInput, TreeId};
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
                output::emit(&format!("{}\n", serde_json::to_string_pretty(&document)?))?;
            } else {
                output::emit(&serde_yaml::to_string(&document)?)?;
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
        let look = project.look(tree, node);
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
            dot_escape(&project.caption(node)),
            look.fill_hex()
        );
    }
    for &node in &data.nodes {
        for (target, label) in project.labelled_edges(node) {
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
    // A node's position in its tree, looked up once per node rather than searched for on
    // every use (quadratic on a tree of 100,000 nodes).
    let positions: std::collections::HashMap<NodeId, usize> = data
        .nodes
        .iter()
        .enumerate()
        .map(|(position, &node)| (node, position))
        .collect();
    let id = |node: NodeId| format!("n{}", positions.get(&node).copied().unwrap_or(0));
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(out, "  %% {} ({})", data.title, data.name);
    let mut classes: Vec<(String, Look)> = Vec::new();
    for &node in &data.nodes {
        let look = project.look(tree, node);
        let label = mermaid_escape(&project.caption(node));
        let shape = match look {
            Look::Routing => format!("{{\"{label}\"}}"),
            Look::End(_) | Look::Return => format!("([\"{label}\"])"),
            _ => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  {}{shape}", id(node));
        classes.push((id(node), look));
    }
    for &node in &data.nodes {
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
        None => output::emit(&formatted)?,
    }
    Ok(ExitCode::SUCCESS)
}
