//! `calltree fmt`: rewrite trees in the canonical layout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use calltree_syntax::format_source;

use crate::files;
use crate::output::{self, Output};

pub fn run(paths: &[PathBuf], check: bool) -> Result<ExitCode> {
    if paths.iter().any(|p| p == Path::new("-")) {
        if paths.len() > 1 {
            bail!("`-` (standard input) cannot be combined with other paths");
        }
        return format_stdin();
    }

    let files = files::collect(paths)?;
    let mut out = Output::stdout();
    let mut unformatted = 0usize;
    let mut broken = 0usize;
    for path in &files {
        let source = files::read_text(path)?;
        let Some(formatted) = format_source(&source) else {
            eprintln!(
                "{}: has syntax errors, left unchanged (run `calltree check` to see them)",
                path.display()
            );
            broken += 1;
            continue;
        };
        if formatted == source {
            continue;
        }
        unformatted += 1;
        if check {
            out.line(&path.display().to_string())?;
        } else {
            files::write_atomically(path, &formatted)?;
            eprintln!("formatted {}", path.display());
        }
    }
    out.finish()?;
    let failed = broken > 0 || (check && unformatted > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn format_stdin() -> Result<ExitCode> {
    let bytes = files::read_stdin()?;
    let source = String::from_utf8(bytes).context("standard input is not UTF-8 text")?;
    match format_source(&source) {
        Some(formatted) => {
            output::emit(&formatted)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("<stdin>: has syntax errors; run `calltree check` on the file to see them");
            output::emit(&source)?;
            Ok(ExitCode::from(1))
        }
    }
}
