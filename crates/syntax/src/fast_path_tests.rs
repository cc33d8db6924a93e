//! The fast path reads every line exactly as the reference grammar does: the same tree, spans,
//! diagnostics and verdict, on the bundled trees' and fixtures' lines, on those lines mutated,
//! and on random runs of expression tokens in every place an expression can stand.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::ast::{ItemKind, StmtKind};
use crate::parser::{LineValue, ParsedLine, parse_line, parse_line_reference, refuse_deep_line};

/// The number of cases: `PROPTEST_CASES` when set (for a longer campaign), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// What the parser did before the fast path: refuse deep lines, else the reference rules.
fn reference<T: LineValue>(content: &str, base: usize) -> ParsedLine<T> {
    match refuse_deep_line(content, base) {
        // A refused line never reaches either grammar, so both paths agree by construction.
        Some(_) => parse_line(content, base),
        None => parse_line_reference(content, base),
    }
}

/// Both kinds of line read alike, compared through `Debug` (every field, spans included).
fn reads_alike(content: &str) -> Result<(), String> {
    let base = 17;
    let fast = format!("{:?}", parse_line::<StmtKind>(content, base));
    let slow = format!("{:?}", reference::<StmtKind>(content, base));
    if fast != slow {
        return Err(format!(
            "body line {content:?}\n fast: {fast}\n reference: {slow}"
        ));
    }
    let fast = format!("{:?}", parse_line::<ItemKind>(content, base));
    let slow = format!("{:?}", reference::<ItemKind>(content, base));
    if fast != slow {
        return Err(format!(
            "top line {content:?}\n fast: {fast}\n reference: {slow}"
        ));
    }
    Ok(())
}

fn tree_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            tree_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "tree") {
            found.push(path);
        }
    }
}

/// Every line with content of the bundled trees and the test fixtures, without its indent.
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(read_corpus)
}

fn read_corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    tree_files(&root.join("trees"), &mut files);
    tree_files(&root.join("tests"), &mut files);
    files.sort();
    let mut lines = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for line in text.lines() {
            let content = line.trim_start_matches([' ', '\t', '\u{feff}']);
            if !content.trim().is_empty() && !content.starts_with('#') {
                lines.push(content.to_owned());
            }
        }
    }
    lines.extend(
        [
            "option \"Path 2 from 0\" -> n2 when f0 < 1000000000",
            "say \"Step 1: reading {f1} and {f2}.\"",
            "set f0 = f0 + 1",
            "if not a < b and c or not not d == -e * (f + g) -> x",
            "note \"n {count(x, y + 1)}\" when minutes_in_call() > 3",
            "node n1 \"Step 1\" # a comment",
        ]
        .map(String::from),
    );
    lines
}

#[test]
fn every_line_of_the_bundled_trees_and_fixtures_reads_alike() {
    let lines = corpus();
    assert!(lines.len() > 500, "only {} lines found", lines.len());
    for line in lines {
        if let Err(problem) = reads_alike(line) {
            panic!("{problem}");
        }
    }
}

/// Pieces that change how a line reads: operators, keywords, quotes, escapes, braces.
const PIECES: &[&str] = &[
    " ",
    "\"",
    "\\",
    "{",
    "}",
    "(",
    ")",
    ",",
    "-",
    "->",
    "+",
    "*",
    "/",
    "<",
    "<=",
    ">",
    "==",
    "!=",
    "=",
    "!",
    "not ",
    "and ",
    "or ",
    " has ",
    "yes",
    "no",
    "true",
    "when ",
    "set ",
    "agent-only",
    "customer-only",
    "#",
    "1",
    "2.5",
    "x",
    "count(",
    "\\{",
    "\\u{41}",
    "\u{200b}",
    "é",
    "..",
    ":",
    "if ",
    "option ",
    "say ",
];

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PIECES)
}

/// A char boundary of `line`, chosen by `at` (any number).
fn boundary(line: &str, at: usize) -> usize {
    let bounds: Vec<usize> = line
        .char_indices()
        .map(|(i, _)| i)
        .chain([line.len()])
        .collect();
    bounds[at % bounds.len()]
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, &'static str),
    Delete(usize, usize),
    Replace(usize, usize, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), piece()).prop_map(|(at, p)| Mutation::Insert(at, p)),
        (any::<usize>(), 1..6usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), 1..4usize, piece()).prop_map(|(at, n, p)| Mutation::Replace(at, n, p)),
    ]
}

fn mutate(line: &str, mutations: &[Mutation]) -> String {
    let mut line = line.to_owned();
    for mutation in mutations {
        match *mutation {
            Mutation::Insert(at, piece) => line.insert_str(boundary(&line, at), piece),
            Mutation::Delete(at, n) | Mutation::Replace(at, n, _) => {
                let from = boundary(&line, at);
                let to = line[from..]
                    .char_indices()
                    .nth(n)
                    .map_or(line.len(), |(i, _)| from + i);
                let with = match *mutation {
                    Mutation::Replace(_, _, piece) => piece,
                    _ => "",
                };
                line.replace_range(from..to, with);
            }
        }
    }
    line
}

/// Expression tokens; runs of them are mostly not expressions, which is the point.
const TOKENS: &[&str] = &[
    "a",
    "b_2",
    "count",
    "not",
    "-",
    "+",
    "*",
    "/",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "has",
    "and",
    "or",
    "(",
    ")",
    ",",
    "1",
    "0.5",
    "yes",
    "no",
    "true",
    "\"t\"",
    "\"v {a}\"",
    "x(",
    "->",
    "=",
];

fn tokens() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(&[" ", " ", ""][..]),
        ),
        0..10,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(token, gap)| format!("{token}{gap}"))
            .collect()
    })
}

/// The places an expression can stand, with `@` where it goes.
const PLACES: &[&str] = &[
    "if @ -> next",
    "set total = @",
    "option \"Go\" -> next when @",
    "option \"Go\" -> next set a = @, b",
    "note \"Seen\" when @",
    "say \"Value {@} here\"",
    "agent \"{ @ }\"",
    "node n \"Title {@}\"",
];

proptest! {
    #![proptest_config(Config { cases: cases(2048), ..Config::default() })]

    #[test]
    fn a_mutated_line_reads_alike(
        index in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let lines = corpus();
        let line = mutate(&lines[index % lines.len()], &mutations);
        if let Err(problem) = reads_alike(&line) {
            prop_assert!(false, "{}", problem);
        }
    }

    #[test]
    fn any_run_of_expression_tokens_reads_alike(
        place in prop::sample::select(PLACES),
        expression in tokens(),
    ) {
        let line = place.replace('@', &expression);
        if let Err(problem) = reads_alike(&line) {
            prop_assert!(false, "{}", problem);
        }
    }
}
