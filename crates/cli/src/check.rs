//! `calltree check`: report every problem in a set of trees.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use calltree_syntax::{LineIndex, Severity, parse};

use crate::OutputFormat;
use crate::files;
use crate::render::{self, Style};

pub fn run(paths: &[PathBuf], format: OutputFormat, deny_warnings: bool) -> Result<ExitCode> {
    let files = files::collect(paths)?;
    let style = Style::for_stdout();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut report = Vec::new();
    let mut human = String::new();

    for path in &files {
        let source = files::read_text(path)?;
        let (_, diagnostics) = parse(&source);
        let index = LineIndex::new(&source);
        let shown = path.display().to_string();
        for diagnostic in &diagnostics {
            match diagnostic.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        match format {
            OutputFormat::Human => {
                for diagnostic in &diagnostics {
                    human.push_str(&render::human(&shown, &source, &index, diagnostic, style));
                    human.push('\n');
                }
            }
            OutputFormat::Json => report.push(serde_json::json!({
                "path": shown,
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
