//! `calltree check`: report every problem in a set of trees, checked together as one project
//! so that sub-tree calls between files resolve.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use calltree_syntax::{LineIndex, Severity};

use crate::OutputFormat;
use crate::files;
use crate::output::Output;
use crate::render::{self, Style};

pub fn run(
    paths: &[PathBuf],
    format: OutputFormat,
    deny_warnings: bool,
    all: bool,
) -> Result<ExitCode> {
    let loaded = files::load_project(paths)?;
    let project = &loaded.project;
    // Tests are part of a tree: a test that fails is a problem in the tree, reported the same
    // way. Only the files named are reported: the trees beside them and the files they `use`
    // are context (a call into a broken one is still reported at the call).
    let mut all_diagnostics = project.diagnostics_with_tests();
    all_diagnostics.truncate(loaded.named);

    let style = Style::for_stdout();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for diagnostic in all_diagnostics.iter().flatten() {
        match diagnostic.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
    }
    let mut out = Output::stdout();
    match format {
        OutputFormat::Human => {
            // Past the cap the rest are only counted: the summary line still has them all.
            let shown = if all {
                usize::MAX
            } else {
                render::SHOWN_DIAGNOSTICS
            };
            let mut printed = 0usize;
            for (id, file) in project.files().take(loaded.named) {
                let diagnostics = &all_diagnostics[id.index()];
                if diagnostics.is_empty() || printed >= shown || out.is_closed() {
                    continue;
                }
                let index = LineIndex::new(&file.text);
                for diagnostic in diagnostics.iter().take(shown - printed) {
                    out.text(&render::human(
                        &file.name, &file.text, &index, diagnostic, style,
                    ))?;
                    out.text("\n")?;
                    printed += 1;
                }
            }
            if errors + warnings > printed {
                out.text(&render::more(errors + warnings - printed))?;
                out.text("\n")?;
            }
            out.line(&render::summary(loaded.named, errors, warnings))?;
        }
        OutputFormat::Json => {
            let report: Vec<serde_json::Value> = project
                .files()
                .take(loaded.named)
                .map(|(id, file)| {
                    let index = LineIndex::new(&file.text);
                    serde_json::json!({
                        "path": file.name,
                        "diagnostics": all_diagnostics[id.index()]
                            .iter()
                            .map(|d| render::json(&index, d))
                            .collect::<Vec<_>>(),
                    })
                })
                .collect();
            let document = serde_json::json!({
                "files": report,
                "errors": errors,
                "warnings": warnings,
            });
            out.line(&serde_json::to_string_pretty(&document)?)?;
        }
    }
    out.finish()?;
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
