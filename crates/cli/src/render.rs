//! Showing diagnostics to people (source line, caret, hints, colours) and to tools (JSON).
//!
//! All rendering of diagnostics for terminals lives here; the libraries only produce data.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use calltree_syntax::{Diagnostic, LineIndex, Severity};
use unicode_width::UnicodeWidthChar as _;

/// Whether to colour output: only on a terminal, and never when `NO_COLOR` is set.
#[derive(Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn for_stdout() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// Wraps `text` in an ANSI style (`"1"` bold, `"31"` red...) when colour is on.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

const TAB_WIDTH: usize = 4;

/// Columns a piece of a source line takes on screen (tabs expanded, wide characters counted).
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if c == '\t' {
                TAB_WIDTH
            } else {
                c.width().unwrap_or(0)
            }
        })
        .sum()
}

/// One diagnostic in the style authors know from compilers.
pub fn human(
    path: &str,
    source: &str,
    index: &LineIndex,
    diagnostic: &Diagnostic,
    style: Style,
) -> String {
    let mut out = String::new();
    let (label, colour) = match diagnostic.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let start = index.line_col(diagnostic.span.start);
    let line_text = index.line_text(start.line);
    let gutter = start.line.to_string().len();
    let pad = " ".repeat(gutter);

    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(colour, &format!("{label}[{}]", diagnostic.code)),
        style.paint("1", &diagnostic.message)
    );
    let _ = writeln!(
        out,
        "{pad}{} {path}:{}:{}",
        style.paint("1;34", "-->"),
        start.line,
        start.column
    );
    let bar = style.paint("1;34", "|");
    let _ = writeln!(out, "{pad} {bar}");
    let shown = line_text.replace('\t', &" ".repeat(TAB_WIDTH));
    let _ = writeln!(
        out,
        "{} {bar} {shown}",
        style.paint("1;34", &start.line.to_string())
    );

    // The caret run starts under the span and covers it to the end of its first line.
    let line_start =
        diagnostic.span.start as usize - line_byte_offset(source, diagnostic.span.start as usize);
    let span_start = diagnostic.span.start as usize;
    let line_end = line_start + line_text.len();
    let span_end = (diagnostic.span.end as usize).clamp(span_start, line_end);
    let before = source.get(line_start..span_start).unwrap_or("");
    let covered = source.get(span_start..span_end).unwrap_or("");
    let carets = "^".repeat(display_width(covered).max(1));
    let _ = writeln!(
        out,
        "{pad} {bar} {}{}",
        " ".repeat(display_width(before)),
        style.paint(colour, &carets)
    );
    for hint in &diagnostic.hints {
        let _ = writeln!(out, "{pad} {} {hint}", style.paint("1;36", "= hint:"));
    }
    for related in &diagnostic.related {
        let at = index.line_col(related.span.start);
        let _ = writeln!(
            out,
            "{pad} {} {} ({path}:{}:{})",
            style.paint("1;36", "= note:"),
            related.message,
            at.line,
            at.column
        );
    }
    out
}

/// How far `offset` is from the start of its line, in bytes.
fn line_byte_offset(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    source[..offset]
        .rfind('\n')
        .map_or(offset, |newline| offset - newline - 1)
}

/// The closing line of a human report.
pub fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let noun = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let checked = noun(files, "file", "files");
    if errors == 0 && warnings == 0 {
        format!("checked {checked}: no problems")
    } else {
        format!(
            "checked {checked}: {}, {}",
            noun(errors, "error", "errors"),
            noun(warnings, "warning", "warnings")
        )
    }
}

/// A diagnostic as JSON, with both byte offsets and line/column positions.
pub fn json(index: &LineIndex, diagnostic: &Diagnostic) -> serde_json::Value {
    let position = |offset: u32| {
        let at = index.line_col(offset);
        serde_json::json!({ "line": at.line, "column": at.column, "offset": offset })
    };
    serde_json::json!({
        "code": diagnostic.code.id,
        "name": diagnostic.code.name,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "hints": diagnostic.hints,
        "start": position(diagnostic.span.start),
        "end": position(diagnostic.span.end),
        "related": diagnostic.related.iter().map(|related| serde_json::json!({
            "message": related.message,
            "start": position(related.span.start),
            "end": position(related.span.end),
        })).collect::<Vec<_>>(),
    })
}
