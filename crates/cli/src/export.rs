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
                None => project.tree(id).nodes.clone(),
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

/// A Graphviz digraph of one tree, or of the `shown` part of it.
pub fn dot(project: &Project, tree: TreeId, shown: &[NodeId]) -> String {
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
    for &node in shown {
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
    for node in beyond(project, shown) {
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\", style=\"rounded,dashed\", fillcolor=white];",
            dot_escape(&project.node(node).name),
            dot_escape(&project.node(node).name)
        );
    }
    for &node in shown {
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

/// A Mermaid flowchart of one tree, or of the `shown` part of it. Node ids are `n0`, `n1`...
/// because Mermaid ids allow fewer characters than tree ids do.
pub fn mermaid(project: &Project, tree: TreeId, shown: &[NodeId]) -> String {
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
    for &node in shown {
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
