//! `calltree check`: report every problem in a set of trees, checked together as one project
//! so that sub-tree calls between files resolve.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use calltree_syntax::{LineIndex, Severity};

use crate::OutputFormat;
use crate::files;
use crate::render::{self, Style};

pub fn run(paths: &[PathBuf], format: OutputFormat, deny_warnings: bool) -> Result<ExitCode> {
    let (project, files) = files::load_project(paths)?;
    // Tests are part of a tree: a test that fails is a problem in the tree, reported the same way.
    let all = project.diagnostics_with_tests();

    let style = Style::for_stdout();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut report = Vec::new();
    let mut human = String::new();
    for (id, file) in project.files() {
        let diagnostics = &all[id.index()];
        let index = LineIndex::new(&file.text);
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        match format {
            OutputFormat::Human => {
                for diagnostic in diagnostics {
                    human.push_str(&render::human(&file.name, &file.text, &index, diagnostic, style));
                    human.push('\n');
                }
            }
            OutputFormat::Json => report.push(serde_json::json!({
                "path": file.name,
                "diagnostics": diagnostics.iter().map(|d| render::json(&index, d)).collect::<Vec<_>>(),
            })),
        }
    }

    match format {
        OutputFormat::Human => {
            print!("{human}");
            println!("{}", render::summary(files.len(), errors, warnings));
        }
        OutputFormat::Json => {
            let document = serde_json::json!({
                "files": report,
                "errors": errors,
                "warnings": warnings,
            });
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
