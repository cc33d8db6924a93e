//! Hostile input beyond the parser (issue 13): mutated real trees go through loading and
//! every check, their own tests, exhaustive and random walks, and mutated call logs through a
//! report. Nothing may panic, and everything must end: the test runner presses Continue at
//! most 1,000 times per step, walks stop at their limits, so a case that loops fails by
//! never finishing.
//!
//! Each property runs a few dozen cases by default; `PROPTEST_CASES=20000 cargo test -p
//! calltree-engine --release --test hostile` is the longer campaign.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::{
    Event, Project, Report, ReportFilter, SourceInput, WalkLimits, walk_all, walk_random,
};
use calltree_syntax::Audience;
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn bundled() -> &'static [(String, String)] {
    static FILES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "tree"))
            .map(|path| {
                (
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&path).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine { at: f64 },
    DuplicateLine { at: f64 },
    SwapLines { at: f64 },
    Insert { at: f64, text: String },
    Delete { at: f64, len: usize },
}

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\n  -> start\n",
            "\n  set visits = visits + 1\n",
            "\n  if yes -> ",
            "\n  else -> ",
            "\n  option \"Again\" -> ",
            "\n  call identity_check -> ",
            "\n  return\n",
            "\n  end resolved\n",
            "\n  expect end resolved\n",
            "\n  choose \"Yes\"\n",
            "\n  answer account \"1\"\n",
            "\nnode extra\n  -> extra\n",
            "\tand\t",
            " or not ",
            " pattern \"a{70}\"",
            "{",
            "\"",
            "#",
            "\n",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,8}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (0.0..1.0f64).prop_map(|at| Mutation::DeleteLine { at }),
        2 => (0.0..1.0f64).prop_map(|at| Mutation::DuplicateLine { at }),
        1 => (0.0..1.0f64).prop_map(|at| Mutation::SwapLines { at }),
        3 => (0.0..1.0f64, snippet()).prop_map(|(at, text)| Mutation::Insert { at, text }),
        1 => (0.0..1.0f64, 1usize..30).prop_map(|(at, len)| Mutation::Delete { at, len }),
    ]
}

fn boundary(text: &str, at: f64) -> usize {
    let mut index = ((text.len() as f64) * at) as usize;
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let line_at = |at: f64, count: usize| ((count as f64) * at) as usize % count.max(1);
    match mutation {
        Mutation::DeleteLine { at } => {
            let index = line_at(*at, lines.len());
            lines.remove(index);
            lines.join("\n")
        }
        Mutation::DuplicateLine { at } => {
            let index = line_at(*at, lines.len());
            lines.insert(index, lines[index]);
            lines.join("\n")
        }
        Mutation::SwapLines { at } => {
            let index = line_at(*at, lines.len());
            if index + 1 < lines.len() {
                lines.swap(index, index + 1);
            }
            lines.join("\n")
        }
        Mutation::Insert { at, text: snippet } => {
            let mut text = text.to_owned();
            text.insert_str(boundary(&text, *at), snippet);
            text
        }
        Mutation::Delete { at, len } => {
            let mut text = text.to_owned();
            let start = boundary(&text, *at);
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, "");
            text
        }
    }
}

/// The bundled project, and one synthetic session of each of its trees (with a take-over
/// at the end) as the bytes of a log.
fn sessions() -> &'static (Project, Vec<Vec<u8>>) {
    static SESSIONS: std::sync::OnceLock<(Project, Vec<Vec<u8>>)> = std::sync::OnceLock::new();
    SESSIONS.get_or_init(|| {
        let project = Project::load(
            bundled()
                .iter()
                .map(|(name, text)| SourceInput::new(name.clone(), text.clone()))
                .collect(),
        );
        let logs = project
            .trees()
            .filter_map(|(tree, _)| {
                calltree_engine::synthetic_sessions(&project, tree, 1, 3, 0).next()
            })
            .map(|log| {
                let mut bytes: Vec<u8> = log
                    .iter()
                    .flat_map(|e| (e.to_json_line() + "\n").into_bytes())
                    .collect();
                bytes.extend(Event::TakenOver { at: 1 }.to_json_line().bytes());
                bytes
            })
            .collect();
        (project, logs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// What editors ask of a file being typed: every name found is where it says, and
    /// renaming any of them ends in new texts or a refusal, never a panic.
    #[test]
    fn mutated_trees_index_and_rename_without_panicking(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let files = bundled();
        let chosen = pick.index(files.len());
        let mut text = files[chosen].1.clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        let (syntax, _) = calltree_syntax::parse(&text);
        let index = calltree_engine::SymbolIndex::new(&[&syntax]);
        let tree = syntax.tree_name().map(|n| n.as_str().to_owned());
        for occurrence in index.occurrences(0).iter().step_by(7).take(12) {
            prop_assert_eq!(text.get(occurrence.span.range()), Some(occurrence.symbol.name()));
            let Some(tree) = &tree else { continue };
            match &occurrence.symbol {
                calltree_engine::Symbol::Node { tree, name } => {
                    let _ = calltree_engine::rename_node(&[&text], tree, name, "renamed_x");
                }
                calltree_engine::Symbol::Variable { name, .. } => {
                    let _ = calltree_engine::rename_field(&[&text], tree, name, "renamed_x");
                }
                calltree_engine::Symbol::Tree(_) => {}
            }
        }
    }

    #[test]
    fn mutated_trees_load_test_and_walk_within_their_budgets(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let files = bundled();
        let chosen = pick.index(files.len());
        let mut text = files[chosen].1.clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        // The mutated file with the shared sub-trees the bundled trees call.
        let inputs = files
            .iter()
            .enumerate()
            .filter(|(index, (name, _))| {
                *index == chosen || ["identity_check.tree", "closing.tree", "greeting.tree"].contains(&name.as_str())
            })
            .map(|(index, (name, original))| {
                SourceInput::new(name.clone(), if index == chosen { text.clone() } else { original.clone() })
            })
            .collect();
        let project = Project::load(inputs);
        let mutated = project
            .files()
            .find(|(_, file)| file.name == files[chosen].0)
            .map(|(id, _)| id)
            .unwrap();
        for diagnostic in project.diagnostics(mutated) {
            prop_assert!(diagnostic.span.range().end <= text.len());
        }
        let limits = WalkLimits { visits_per_node: 2, steps_per_walk: 200, walks: 40 };
        for (tree, data) in project.trees() {
            if data.file != mutated || data.start.is_none() {
                continue;
            }
            // The tree's own tests, then walks.
            for report in project.run_tree_tests(tree) {
                if let Some(failure) = &report.failure {
                    prop_assert!(failure.span.range().end <= text.len());
                }
            }
            for audience in [Audience::Agent, Audience::Customer] {
                if !data.serves(audience) {
                    continue;
                }
                let all = walk_all(&project, tree, audience, limits);
                prop_assert!(all.walks <= limits.walks);
                prop_assert!(all.finished + all.cut <= all.walks);
                let random = walk_random(&project, tree, audience, 5, 7, limits);
                prop_assert_eq!(random.walks, 5);
            }
        }
    }

    #[test]
    fn mutated_call_logs_report_without_panicking(
        bytes in prop::collection::vec((0usize..4096, any::<u8>()), 0..12),
        cut in 0.0..1.0f64,
    ) {
        // A real session of every tree, its log damaged byte by byte and cut short.
        let (project, logs) = sessions();
        let mut report = Report::new(ReportFilter::default());
        for log in logs {
            let mut text = log.clone();
            for &(at, byte) in &bytes {
                if !text.is_empty() {
                    let at = at % text.len();
                    text[at] = byte;
                }
            }
            text.truncate(((text.len() as f64) * cut) as usize + text.len() / 2);
            // Every event up to the first line that does not read (the host kit's log reader
            // is fuzzed on its own, in calltree-calls).
            let events: Vec<Event> = String::from_utf8_lossy(&text)
                .lines()
                .map_while(|line| Event::from_json_line(line).ok())
                .collect();
            report.add_session(Some(project), &events);
        }
        let data = report.finish();
        for tree in data.trees.values() {
            if let Some(time) = tree.total.call_time {
                prop_assert!(time.median <= time.max);
            }
        }
    }
}
