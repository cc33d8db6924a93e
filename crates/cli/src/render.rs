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

/// Source lines up to this many bytes are shown whole, as they are written.
const LONG_LINE: usize = 400;
/// On a longer line, a window of this many characters around the span is shown...
const WINDOW: usize = 120;
/// ...starting at most this many characters before the span.
const WINDOW_BEFORE: usize = 40;

/// How many diagnostics a human report shows before it only counts the rest.
pub const SHOWN_DIAGNOSTICS: usize = 200;

/// The line under a capped list of diagnostics, saying how many were left out.
pub fn more(left_out: usize) -> String {
    format!("… and {left_out} more (--all shows every one)\n")
}

/// One diagnostic in the style authors know from compilers.
///
/// A long source line is shown as a window around the span, with `…` where it is cut, so a
/// report costs the same per diagnostic however long the lines are.
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

    // Where the span starts and ends within its line (in bytes), the end clamped to the line.
    let line_start = index.line_start(start.line).min(source.len());
    let span_start = floor_boundary(
        line_text,
        (diagnostic.span.start as usize)
            .saturating_sub(line_start)
            .min(line_text.len()),
    );
    let span_end = floor_boundary(
        line_text,
        (diagnostic.span.end as usize)
            .saturating_sub(line_start)
            .clamp(span_start, line_text.len()),
    );
    let window = Window::around(line_text, span_start);
    let cut = |cut: bool| if cut { "…" } else { "" };
    let shown = line_text[window.start..window.end].replace('\t', &" ".repeat(TAB_WIDTH));
    let _ = writeln!(
        out,
        "{} {bar} {}{shown}{}",
        style.paint("1;34", &start.line.to_string()),
        cut(window.start > 0),
        cut(window.end < line_text.len())
    );

    // The caret run starts under the span and covers it to the end of what is shown.
    let before = &line_text[window.start..span_start];
    let covered = &line_text[span_start..span_end.min(window.end)];
    let lead = display_width(cut(window.start > 0)) + display_width(before);
    let carets = "^".repeat(display_width(covered).max(1));
    let _ = writeln!(
        out,
        "{pad} {bar} {}{}",
        " ".repeat(lead),
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

/// The part of a source line that is shown, in bytes.
struct Window {
    start: usize,
    end: usize,
}

impl Window {
    /// The whole line when it is short; otherwise up to `WINDOW` characters from at most
    /// `WINDOW_BEFORE` characters before `at`.
    fn around(line: &str, at: usize) -> Window {
        if line.len() <= LONG_LINE {
            return Window {
                start: 0,
                end: line.len(),
            };
        }
        let start = line[..at]
            .char_indices()
            .rev()
            .take(WINDOW_BEFORE)
            .last()
            .map_or(at, |(offset, _)| offset);
        let end = line[start..]
            .char_indices()
            .nth(WINDOW)
            .map_or(line.len(), |(offset, _)| start + offset);
        Window { start, end }
    }
}

/// The nearest character boundary at or before `offset`.
fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
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
