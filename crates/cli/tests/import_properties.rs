//! Property tests for `calltree import`'s reading of interchange documents (issue 13): mutated
//! YAML and JSON of every bundled tree, and generated documents with hostile strings, go
//! through the same steps as the command (nesting check, the YAML reader, source generation,
//! parsing, loading and checking) without a panic, and no document adds lines of its own to
//! the tree it becomes.
//!
//! A few dozen cases run by default; `PROPTEST_CASES=20000 cargo test -p calltree-cli
//! --release --test import_properties` is the longer campaign.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::Project;
use calltree_syntax::interchange::{
    ChoiceDoc, Document, EffectDoc, FieldDoc, MAX_NESTING, NodeDoc, OutcomeDoc, StepDoc, TestDoc,
    TestStepDoc, TreeDoc, nesting_depth,
};
use calltree_syntax::{format, parse};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// What `calltree import` does with a text, up to writing: `None` where it refuses.
fn import(text: &str) -> Option<String> {
    if nesting_depth(text) > MAX_NESTING {
        return None;
    }
    let document: Document = serde_yaml::from_str(text).ok()?;
    let source = document.to_source().ok()?;
    let (syntax, diagnostics) = parse(&source);
    if diagnostics
        .iter()
        .any(calltree_syntax::Diagnostic::is_error)
    {
        return None;
    }
    let formatted = format(&syntax);
    let project = Project::single("imported.tree", formatted.as_str());
    let _ = project.diagnostics_with_tests();
    Some(formatted)
}

/// The YAML and JSON export of every bundled tree.
fn exported() -> &'static [String] {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tree"))
            .collect();
        paths.sort();
        let mut texts = Vec::new();
        for path in paths {
            let (file, _) = parse(&std::fs::read_to_string(path).unwrap());
            let document = Document::from_file(&file).unwrap();
            texts.push(serde_yaml::to_string(&document).unwrap());
            texts.push(serde_json::to_string_pretty(&document).unwrap());
        }
        texts
    })
}

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "[",
            "{",
            "]",
            "}",
            "\n",
            "\"",
            "'",
            ": ",
            "- ",
            "\\n",
            "\\\"",
            "#",
            "\t",
            "&a ",
            "*a",
            "!!str ",
            "---\n",
            "[[[[[[[[",
            "{a: {a: {a: ",
            "\u{0}",
            "é",
            "\r",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,6}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(f64, String),
    Delete(f64, usize),
}

fn boundary(text: &str, at: f64) -> usize {
    let mut index = ((text.len() as f64) * at) as usize;
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A string for a field written without quotes: usually a name, sometimes anything.
fn raw() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,8}",
        1 => prop::sample::select(vec![
            "yes\n\nnode injected\n  end resolved",
            "a\rb",
            "x\u{85}y",
            "a\u{0}",
            "a # comment",
            "\"quoted\"",
            "a\tand\tb",
            "b\n  -> a",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,10}",
    ]
}

/// A text written between quotes: anything at all.
fn quoted() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z ,.?]{0,20}",
        1 => "\\PC{0,12}",
        1 => prop::sample::select(vec!["one\ntwo", "a\"b", "tab\there", "{x}", "\\"]).prop_map(str::to_owned),
    ]
}

fn step() -> impl Strategy<Value = StepDoc> {
    prop_oneof![
        quoted().prop_map(|text| StepDoc::Say { text }),
        prop::collection::vec(raw(), 1..3).prop_map(|fields| StepDoc::Ask { fields }),
        (raw(), prop::option::of(raw())).prop_map(|(name, value)| StepDoc::Set { name, value }),
        (
            quoted(),
            raw(),
            prop::option::of(raw()),
            prop::collection::vec((raw(), prop::option::of(raw())), 0..2)
        )
            .prop_map(|(label, to, when, set)| StepDoc::Option {
                label,
                to,
                only: None,
                when,
                set: set
                    .into_iter()
                    .map(|(name, value)| EffectDoc { name, value })
                    .collect(),
            }),
        (quoted(), prop::option::of(raw())).prop_map(|(text, when)| StepDoc::Note { text, when }),
        raw().prop_map(|to| StepDoc::Continue { to }),
        (raw(), raw()).prop_map(|(when, to)| StepDoc::If { when, to }),
        (
            raw(),
            prop::option::of(quoted()),
            prop::option::of(quoted())
        )
            .prop_map(|(outcome, result, code)| StepDoc::End(OutcomeDoc {
                outcome,
                to: None,
                result,
                code
            })),
        (raw(), raw()).prop_map(|(tree, then)| StepDoc::Call { tree, then }),
    ]
}

fn document() -> impl Strategy<Value = Document> {
    let node = (
        raw(),
        prop::option::of(quoted()),
        prop::collection::vec(step(), 0..5),
    )
        .prop_map(|(id, title, steps)| NodeDoc {
            id,
            kind: "node".into(),
            title,
            steps,
        });
    // The type is sometimes a real list type (issue 14's checklists), so the choices are read.
    let ty = prop_oneof![
        2 => raw(),
        1 => prop::sample::select(vec!["choice", "choices"]).prop_map(str::to_owned),
    ];
    let choice =
        (raw(), prop::option::of(quoted())).prop_map(|(value, label)| ChoiceDoc { value, label });
    let field = (
        raw(),
        ty,
        prop::option::of(raw()),
        any::<bool>(),
        prop::collection::vec(choice, 0..3),
    )
        .prop_map(|(name, ty, default, given, choices)| FieldDoc {
            name,
            ty,
            choices,
            label: None,
            required: false,
            given,
            pattern: None,
            pattern_description: None,
            range: None,
            default,
        });
    let test_step = prop_oneof![
        (raw(), raw()).prop_map(|(field, value)| TestStepDoc::Answer { field, value }),
        (quoted(), any::<bool>())
            .prop_map(|(label, disabled)| TestStepDoc::ExpectOption { label, disabled }),
        quoted().prop_map(|label| TestStepDoc::ExpectNoOption { label }),
        (raw(), raw()).prop_map(|(amount, unit)| TestStepDoc::Wait { amount, unit }),
        (raw(), raw()).prop_map(|(field, value)| TestStepDoc::Given { field, value }),
    ];
    let test = (quoted(), prop::collection::vec(test_step.clone(), 0..3))
        .prop_map(|(name, steps)| TestDoc { name, steps });
    (
        raw(),
        prop::option::of(quoted()),
        prop::option::of(raw()),
        prop::collection::vec(field, 0..3),
        prop::collection::vec(node, 0..4),
        prop::collection::vec(test, 0..2),
        prop::collection::vec(test_step, 0..3),
    )
        .prop_map(|(id, title, start, fields, nodes, tests, setup)| Document {
            format: "calltree.tree".into(),
            version: 1,
            tree: TreeDoc {
                id,
                title,
                start,
                fields,
                nodes,
                tests,
                setup,
                ..TreeDoc::default()
            },
        })
}

/// How many lines the source of a document has: one per statement and block line, and a
/// blank line before each block.
fn expected_lines(document: &Document) -> usize {
    let tree = &document.tree;
    1 + usize::from(tree.start.is_some())
        + 2 * tree.fields.len()
        + tree.nodes.iter().map(|n| 2 + n.steps.len()).sum::<usize>()
        + tree.tests.iter().map(|t| 2 + t.steps.len()).sum::<usize>()
        + if tree.setup.is_empty() {
            0
        } else {
            2 + tree.setup.len()
        }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn mutated_documents_import_or_are_refused_without_panicking(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(
            prop_oneof![
                (0.0..1.0f64, snippet()).prop_map(|(at, s)| Mutation::Insert(at, s)),
                (0.0..1.0f64, 1usize..40).prop_map(|(at, n)| Mutation::Delete(at, n)),
            ],
            1..6,
        ),
    ) {
        let texts = exported();
        let mut text = texts[pick.index(texts.len())].clone();
        for mutation in &mutations {
            match mutation {
                Mutation::Insert(at, snippet) => {
                    let at = boundary(&text, *at);
                    text.insert_str(at, snippet);
                }
                Mutation::Delete(at, len) => {
                    let start = boundary(&text, *at);
                    let mut end = (start + len).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(start..end, "");
                }
            }
        }
        let _ = import(&text);
    }

    #[test]
    fn no_document_adds_lines_of_its_own(document in document()) {
        match document.to_source() {
            Ok(source) => {
                prop_assert_eq!(source.lines().count(), expected_lines(&document), "{}", source);
                let (file, _) = parse(&source);
                prop_assert!(file.nodes().count() <= document.tree.nodes.len());
                let project = Project::single("generated.tree", source.as_str());
                let _ = project.diagnostics_with_tests();
            }
            Err(error) => prop_assert!(error.to_string().contains("control character")),
        }
        // The same document through YAML and JSON imports the same way.
        let yaml = serde_yaml::to_string(&document).unwrap();
        let json = serde_json::to_string(&document).unwrap();
        prop_assert_eq!(import(&yaml), import(&json));
    }
}
