//! `calltree check`: report every problem in a set of trees, checked together as one project
//! so that sub-tree calls between files resolve.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use calltree_engine::translation::TranslationFile;
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
    // The translations of the named trees, per locale: a problem in one is the tree's
    // problem too (a customer would read the fallback or a broken text).
    let translations: Vec<&TranslationFile> = project
        .translation_files()
        .iter()
        .filter(|t| t.file.is_some_and(|f| loaded.is_named(f)))
        .collect();
    let reported_files = loaded.named + translations.len();

    let style = Style::for_stdout();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for diagnostic in all_diagnostics
        .iter()
        .flatten()
        .chain(translations.iter().flat_map(|t| &t.diagnostics))
    {
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
            let files = project
                .files()
                .take(loaded.named)
                .map(|(id, file)| (&file.name, &file.text, &all_diagnostics[id.index()]))
                .chain(
                    translations
                        .iter()
                        .map(|t| (&t.name, &t.text, &t.diagnostics)),
                );
            for (name, text, diagnostics) in files {
                if diagnostics.is_empty() || printed >= shown || out.is_closed() {
                    continue;
                }
                let index = LineIndex::new(text);
                for diagnostic in diagnostics.iter().take(shown - printed) {
                    out.text(&render::human(name, text, &index, diagnostic, style))?;
                    out.text("\n")?;
                    printed += 1;
                }
            }
            if errors + warnings > printed {
                out.text(&render::more(errors + warnings - printed))?;
                out.text("\n")?;
            }
            out.line(&render::summary(reported_files, errors, warnings))?;
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
                .chain(translations.iter().map(|t| {
                    let index = LineIndex::new(&t.text);
                    serde_json::json!({
                        "path": t.name,
                        "locale": t.locale,
                        "diagnostics": t
                            .diagnostics
                            .iter()
                            .map(|d| render::json(&index, d))
                            .collect::<Vec<_>>(),
                    })
                }))
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
