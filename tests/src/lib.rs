//! Helpers shared by the workspace-level tests: fixture files that carry their expected
//! diagnostics as caret comments under the offending line.
//!
//! A fixture is an ordinary `.tree` file. Under a line with a problem, a comment line points a
//! caret run at the span and names the code and the message:
//!
//! ```text
//! node welcome
//!   option "Yes" ->
//! #                ^ E101 expected a target node after `->`
//! ```
//!
//! The carets sit in the same columns as the span on the line above (an empty span gets one
//! caret). A span that starts in column 1 is written `#^^`: a `#` directly followed by carets
//! counts as the first caret itself. Annotations are comments, so they never change what the
//! parser sees. Every diagnostic the parser reports must be annotated and every annotation must
//! be reported.
//!
//! After a deliberate change to messages, `CALLTREE_BLESS=1 cargo test -p calltree-tests`
//! rewrites the annotations from what the parser reports; review the diff before committing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use calltree_syntax::{Diagnostic, LineIndex};

/// One diagnostic as a fixture states it, or as the parser reported it, in fixture terms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// 1-based line of the code the annotation points at.
    pub line: u32,
    /// 1-based character column of the first caret.
    pub column: u32,
    /// Number of carets: the span's length in characters, at least one.
    pub width: u32,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{} (width {}) {} {}",
            self.line, self.column, self.width, self.code, self.message
        )
    }
}

/// Reads the annotations of a fixture. An annotation is a comment line whose text after `#`
/// is spaces, carets, a code and a message.
pub fn annotations(text: &str) -> Result<Vec<Expected>, String> {
    let mut expected = Vec::new();
    let mut last_code_line: Option<u32> = None;
    for (index, line) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).map_err(|_| "fixture too long".to_owned())?;
        let trimmed = line.trim_start();
        let Some(after_hash) = trimmed.strip_prefix('#') else {
            if !trimmed.is_empty() {
                last_code_line = Some(number);
            }
            continue;
        };
        let body = after_hash.trim_start();
        if !body.starts_with('^') {
            continue;
        }
        let target = last_code_line
            .ok_or_else(|| format!("line {number}: an annotation needs a line of code above it"))?;
        let caret_start = line
            .chars()
            .position(|c| c == '^')
            .ok_or_else(|| format!("line {number}: no caret"))?;
        let mut width = line[line.find('^').unwrap_or(0)..]
            .chars()
            .take_while(|c| *c == '^')
            .count();
        let mut caret_start = caret_start;
        if after_hash.starts_with('^') && caret_start == 1 {
            // `#^^`: the `#` is the first caret, so column 1 can be pointed at.
            caret_start = 0;
            width += 1;
        }
        let rest = body.trim_start_matches('^').trim_start();
        let (code, message) = rest
            .split_once(' ')
            .ok_or_else(|| format!("line {number}: write `^^^ CODE message`"))?;
        expected.push(Expected {
            line: target,
            column: u32::try_from(caret_start + 1).map_err(|_| "line too long".to_owned())?,
            width: u32::try_from(width).map_err(|_| "line too long".to_owned())?,
            code: code.to_owned(),
            message: message.trim().to_owned(),
        });
    }
    Ok(expected)
}

/// Rewrites a fixture's annotations from reported diagnostics: old annotation lines are
/// dropped and a fresh one is written under each line that has a diagnostic.
pub fn bless(text: &str, actual: &[Expected]) -> String {
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let body = line.trim_start().strip_prefix('#').map(str::trim_start);
        if body.is_some_and(|b| b.starts_with('^')) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        let number = index + 1;
        for diagnostic in actual.iter().filter(|d| d.line as usize == number) {
            let column = diagnostic.column as usize;
            let carets = diagnostic.width as usize;
            if column == 1 {
                out.push('#');
                out.push_str(&"^".repeat(carets.saturating_sub(1).max(1)));
            } else {
                out.push('#');
                out.push_str(&" ".repeat(column - 2));
                out.push_str(&"^".repeat(carets));
            }
            out.push_str(&format!(" {} {}\n", diagnostic.code, diagnostic.message));
        }
    }
    out
}

/// Puts reported diagnostics in the same terms as annotations.
pub fn reported(text: &str, diagnostics: &[Diagnostic]) -> Vec<Expected> {
    let index = LineIndex::new(text);
    diagnostics
        .iter()
        .map(|diagnostic| {
            let start = index.line_col(diagnostic.span.start);
            let end = index.line_col(diagnostic.span.end);
            let width = if end.line == start.line {
                end.column.saturating_sub(start.column).max(1)
            } else {
                // A span that runs past its line is shown up to the end of the line.
                let line_len = index.line_text(start.line).chars().count() as u32;
                (line_len + 1).saturating_sub(start.column).max(1)
            };
            Expected {
                line: start.line,
                column: start.column,
                width,
                code: diagnostic.code.id.to_owned(),
                message: diagnostic.message.clone(),
            }
        })
        .collect()
}

/// Compares what a fixture expects with what was reported; `Err` holds a readable report.
pub fn compare(name: &str, expected: &[Expected], actual: &[Expected]) -> Result<(), String> {
    let mut expected = expected.to_vec();
    let mut actual = actual.to_vec();
    expected.sort();
    actual.sort();
    if expected == actual {
        return Ok(());
    }
    let mut report = format!("{name}: diagnostics differ from the annotations\n");
    for missing in expected.iter().filter(|e| !actual.contains(e)) {
        let _ = writeln!(report, "  expected but not reported: {missing}");
    }
    for extra in actual.iter().filter(|a| !expected.contains(a)) {
        let _ = writeln!(report, "  reported but not expected: {extra}");
    }
    Err(report)
}

/// Every `.tree` file directly in `dir`, sorted, so test output is stable.
pub fn tree_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "tree"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The repository root, from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_point_at_the_line_above() {
        let text = "node a\n  option \"Yes\" ->\n#                ^ E101 expected a target node after `->`\n";
        let found = annotations(text).unwrap();
        assert_eq!(
            found,
            vec![Expected {
                line: 2,
                column: 18,
                width: 1,
                code: "E101".into(),
                message: "expected a target node after `->`".into(),
            }]
        );
    }

    #[test]
    fn ordinary_comments_are_not_annotations() {
        assert!(
            annotations("# just a comment\nnode a\n  # ^ not first\n")
                .unwrap()
                .len()
                == 1
        );
        assert!(annotations("# hello\nnode a\n").unwrap().is_empty());
    }

    #[test]
    fn compare_names_both_sides_of_a_difference() {
        let a = Expected {
            line: 1,
            column: 1,
            width: 1,
            code: "E101".into(),
            message: "m".into(),
        };
        let mut b = a.clone();
        b.column = 2;
        let report = compare("f", &[a], &[b]).unwrap_err();
        assert!(report.contains("expected but not reported: 1:1"));
        assert!(report.contains("reported but not expected: 1:2"));
    }
}
