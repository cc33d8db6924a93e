//! `calltree test`: run every tree's tests, walk every tree, and report coverage.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use calltree_engine::{Coverage, Exit, Project, WalkLimits, WalkReport, walk_all, walk_random};
use calltree_syntax::{Audience, LineIndex};

use crate::files;
use crate::output;
use crate::render::{self, Style};

/// What `calltree test` was asked to do.
pub struct Options {
    pub random: Option<usize>,
    pub seed: u64,
    pub coverage: bool,
    pub walk_limit: usize,
}

pub fn run(paths: &[PathBuf], options: &Options) -> Result<ExitCode> {
    let loaded = files::load_project(paths)?;
    let project = &loaded.project;
    let style = Style::for_stdout();
    let indexes: Vec<LineIndex> = project
        .files()
        .map(|(_, f)| LineIndex::new(&f.text))
        .collect();

    let mut out = String::new();
    let (mut passed, mut failed, mut stuck_total) = (0usize, 0usize, 0usize);
    // A tree with errors is not tested as written (the broken lines are left out), so its
    // errors are printed first and fail the run: CI that runs only `test` must not pass it.
    let mut errors = 0usize;
    for (file_id, diagnostic) in project
        .all_diagnostics()
        .filter(|(file, d)| d.is_error() && loaded.is_named(*file))
    {
        errors += 1;
        if errors <= render::SHOWN_DIAGNOSTICS {
            let file = project.file(file_id);
            out.push_str(&render::human(
                &file.name,
                &file.text,
                &indexes[file_id.index()],
                diagnostic,
                style,
            ));
            out.push('\n');
        }
    }
    if errors > render::SHOWN_DIAGNOSTICS {
        out.push_str(&render::more(errors - render::SHOWN_DIAGNOSTICS));
    }
    if errors > 0 {
        let _ = writeln!(
            out,
            "the trees have errors: the tests below ran on what could be read of them\n"
        );
    }

    // The trees of the files named are tested; the others were loaded only so calls resolve.
    for (tree_id, tree) in project.trees().filter(|(_, t)| loaded.is_named(t.file)) {
        let reports = project.run_tree_tests(tree_id);
        let _ = writeln!(out, "{}", style.paint("1", &tree.name));
        let mut coverage = Coverage::of(project, tree_id);
        for report in &reports {
            report.cover(&mut coverage);
            match &report.failure {
                None => {
                    passed += 1;
                    let _ = writeln!(out, "  {} {}", style.paint("32", "PASS"), report.name);
                }
                Some(failure) => {
                    failed += 1;
                    let _ = writeln!(out, "  {} {}", style.paint("31", "FAIL"), report.name);
                    let file = project.file(report.file);
                    let rendered = render::human(
                        &file.name,
                        &file.text,
                        &indexes[report.file.index()],
                        failure,
                        style,
                    );
                    for line in rendered.lines() {
                        let _ = writeln!(out, "       {line}");
                    }
                }
            }
        }
        if reports.is_empty() {
            let _ = writeln!(out, "  (no tests)");
        }

        for audience in [Audience::Agent, Audience::Customer] {
            if !tree.serves(audience) || tree.start.is_none() {
                continue;
            }
            let limits = WalkLimits {
                walks: options.walk_limit,
                ..WalkLimits::default()
            };
            let report = match options.random {
                Some(count) => walk_random(project, tree_id, audience, count, options.seed, limits),
                None => walk_all(project, tree_id, audience, limits),
            };
            stuck_total += report.walks - report.finished - report.cut;
            describe_walks(&mut out, project, audience, &report, options, style);
            coverage.merge(&report.coverage);
        }
        if options.coverage {
            describe_coverage(&mut out, project, &coverage, &indexes);
        }
        out.push('\n');
    }

    let trees = project
        .trees()
        .filter(|(_, t)| loaded.is_named(t.file))
        .count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let _ = writeln!(
        out,
        "{}: {} ({passed} passed, {failed} failed); {}{}",
        plural(trees, "tree", "trees"),
        plural(passed + failed, "test", "tests"),
        plural(stuck_total, "stuck walk", "stuck walks"),
        if errors > 0 {
            format!("; {}", plural(errors, "error", "errors"))
        } else {
            String::new()
        },
    );
    output::emit(&out)?;
    Ok(if failed > 0 || stuck_total > 0 || errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn describe_walks(
    out: &mut String,
    project: &Project,
    audience: Audience,
    report: &WalkReport,
    options: &Options,
    style: Style,
) {
    let kind = match options.random {
        Some(_) => format!("random walks (seed {})", options.seed),
        None => "walks".to_owned(),
    };
    let limit = if report.incomplete {
        format!(", stopped at the limit of {}", options.walk_limit)
    } else {
        String::new()
    };
    let stuck_walks = report.walks - report.finished - report.cut;
    let stuck = if report.stuck.is_empty() {
        "none stuck".to_owned()
    } else {
        let places = report.stuck.len();
        style.paint(
            "31",
            &format!(
                "{stuck_walks} stuck at {places} {}",
                if places == 1 { "place" } else { "places" }
            ),
        )
    };
    let _ = writeln!(
        out,
        "  {kind} as {}: {} — {} finished, {} cut at loop limits{limit}, {stuck}",
        audience.name(),
        report.walks,
        report.finished,
        report.cut,
    );
    for walk in &report.stuck {
        let path: Vec<&str> = walk
            .path
            .iter()
            .map(|n| project.node(*n).name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "    stuck: {} (path: {})",
            walk.reason,
            path.join(" > ")
        );
    }
}

fn describe_coverage(
    out: &mut String,
    project: &Project,
    coverage: &Coverage,
    indexes: &[LineIndex],
) {
    let (nodes, options) = coverage.percentages();
    let _ = writeln!(
        out,
        "  coverage: nodes {}/{} ({nodes:.1}%), options {}/{} ({options:.1}%), routing branches {}/{} ({:.1}%)",
        coverage.reached_nodes.len(),
        coverage.nodes.len(),
        coverage.chosen_options.len(),
        coverage.options.len(),
        coverage.taken_branches.len(),
        coverage.branches.len(),
        coverage.branch_percentage(),
    );
    for node in coverage.unreached_nodes() {
        let node = project.node(node);
        let line = indexes[node.file.index()].line_col(node.span.start).line;
        let _ = writeln!(
            out,
            "    never reached: node `{}` ({}:{line})",
            node.name,
            project.file(node.file).name
        );
    }
    for branch in coverage.untaken_branches() {
        let node = project.node(branch.node);
        let Exit::Route {
            routes, else_span, ..
        } = &node.exit
        else {
            continue;
        };
        let file = project.file(node.file);
        let (line, what) = match routes.get(usize::from(branch.index)) {
            Some(route) => (
                indexes[node.file.index()].line_col(route.span.start).line,
                format!("`if {}`", route.condition_text),
            ),
            None => (
                indexes[node.file.index()]
                    .line_col(else_span.unwrap_or(node.span).start)
                    .line,
                "`else`".to_owned(),
            ),
        };
        let _ = writeln!(
            out,
            "    never taken: {what} at `{}` ({}:{line})",
            node.name, file.name
        );
    }
    for option in coverage.unchosen_options() {
        let node = project.node(option.node);
        if let Exit::Options(options) = &node.exit {
            let chosen = &options[usize::from(option.index)];
            let line = indexes[node.file.index()].line_col(chosen.span.start).line;
            let _ = writeln!(
                out,
                "    never chosen: \"{}\" at `{}` ({}:{line})",
                chosen.label.source,
                node.name,
                project.file(node.file).name
            );
        }
    }
}
