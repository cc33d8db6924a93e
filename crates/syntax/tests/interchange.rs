//! The interchange form's guards (issue 13): a value written into the source without quotes
//! cannot carry a line break into the tree, and hosts can measure how deeply a YAML or JSON
//! text nests before a reader sees it.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use calltree_syntax::interchange::{
    Document, InterchangeError, MAX_NESTING, NodeDoc, StepDoc, TreeDoc, nesting_depth,
};
use calltree_syntax::parse;

fn document(steps: Vec<StepDoc>) -> Document {
    Document {
        format: "calltree.tree".into(),
        version: 1,
        tree: TreeDoc {
            id: "t".into(),
            start: Some("a".into()),
            nodes: vec![
                NodeDoc {
                    id: "a".into(),
                    kind: "node".into(),
                    title: None,
                    steps,
                },
                NodeDoc {
                    id: "b".into(),
                    kind: "node".into(),
                    title: None,
                    steps: vec![StepDoc::End(calltree_syntax::interchange::OutcomeDoc {
                        outcome: "resolved".into(),
                        to: None,
                        result: None,
                        code: None,
                    })],
                },
            ],
            ..TreeDoc::default()
        },
    }
}

#[test]
fn a_condition_with_a_line_break_injects_lines() {
    let injected = document(vec![
        StepDoc::Say {
            text: "Hello".into(),
        },
        StepDoc::Option {
            label: "Go".into(),
            to: "b".into(),
            only: None,
            when: Some("yes\n\nnode evil\n  say \"injected\"\n  end resolved".into()),
            set: Vec::new(),
        },
    ]);
    assert_eq!(
        injected.to_source(),
        Err(InterchangeError::ControlCharacter {
            place: "`when` of step 2 of node `a`".into(),
            code: 0x0a,
        })
    );
    let in_a_name = document(vec![StepDoc::Continue {
        to: "b\r\nnode c".into(),
    }]);
    assert!(in_a_name.to_source().is_err());

    // A text keeps its line breaks as `\n` escapes, on its own line.
    let text = document(vec![
        StepDoc::Say {
            text: "one\ntwo".into(),
        },
        StepDoc::Continue { to: "b".into() },
    ]);
    let source = text.to_source().unwrap();
    assert!(source.contains("say \"one\\ntwo\"\n"), "{source}");
    let (file, diagnostics) = parse(&source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(file.nodes().count(), 2);
}

#[test]
fn nesting_is_measured_outside_strings_and_comments() {
    assert_eq!(nesting_depth("format: calltree.tree\ntree:\n  id: x\n"), 0);
    assert_eq!(nesting_depth("{\"a\": [[1], {\"b\": []}]}"), 4);
    assert_eq!(nesting_depth(&"[".repeat(10_000)), 10_000);
    assert_eq!(nesting_depth(&"{a: ".repeat(500)), 500);
    // Brackets in strings and comments do not nest.
    assert_eq!(nesting_depth("text: \"[[[[\"\nother: '{{{' # [[[[\n"), 0);
    assert_eq!(nesting_depth("[\"]]]]\", 'it''s [']"), 1);
    // A quote inside plain text is a character, and does not hide what follows.
    assert_eq!(nesting_depth("say: it's \"fine\nnext: [[[]]]\n"), 3);
    const { assert!(MAX_NESTING >= 8) };
}

/// Issue 16: a pattern says in words what it accepts, and a tree how its customers reach a
/// person. Both survive formatting and the interchange form both ways, escapes included.
#[test]
fn a_pattern_description_survives_formatting_and_the_interchange_form() {
    let source = "tree t \"T\"\n  contact: \"Call 0800 123 456\"\n  start: a\n\nfield email: text \"Email\" required pattern \"[^@ ]+@[^@ ]+\" \"an email address like \\\"name@example.com\\\"\"\n\nnode a\n  ask email\n  end resolved\n";
    let (file, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(calltree_syntax::format_source(source).unwrap(), source);
    let document = Document::from_file(&file).unwrap();
    let field = &document.tree.fields[0];
    assert_eq!(field.pattern.as_deref(), Some("[^@ ]+@[^@ ]+"));
    assert_eq!(
        field.pattern_description.as_deref(),
        Some("an email address like \\\"name@example.com\\\"")
    );
    assert_eq!(document.tree.contact.as_deref(), Some("Call 0800 123 456"));
    let json = serde_json::to_string(&document).unwrap();
    assert!(json.contains("\"pattern_description\""), "{json}");
    let back: Document = serde_json::from_str(&json).unwrap();
    let again = calltree_syntax::format_source(&back.to_source().unwrap()).unwrap();
    assert_eq!(again, source);
}

/// Issue 14 items 4, 8 and 9: an option's effects, a conditional note, and a referral with an
/// author-named result survive formatting and the interchange form both ways, and a line
/// break cannot ride in on an effect.
#[test]
fn option_effects_survive_formatting_and_the_interchange_form() {
    let source = "tree t \"T\"\n  start: a\n\nfield n: number \"N\" = 0\n\nflag done\n\nnode a\n  note \"Tried {n} times\" when n > 1 and done\n  option \"Done\" -> b agent-only when n < 3 set done, n = n + 1\n  option \"Other\" -> b\n\nnode b\n  end referred \"Out-of-hours GP\" result \"Urgent (orange)\" code \"T2\"\n";
    let (file, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(calltree_syntax::format_source(source).unwrap(), source);
    let document = Document::from_file(&file).unwrap();
    let json = serde_json::to_string(&document).unwrap();
    assert!(
        json.contains("\"set\":[{\"name\":\"done\"},{\"name\":\"n\",\"value\":\"n + 1\"}]"),
        "{json}"
    );
    assert!(json.contains("\"when\":\"n > 1 and done\""), "{json}");
    assert!(
        json.contains(
            "\"outcome\":\"referred\",\"to\":\"Out-of-hours GP\",\"result\":\"Urgent (orange)\""
        ),
        "{json}"
    );
    let back: Document = serde_json::from_str(&json).unwrap();
    let again = calltree_syntax::format_source(&back.to_source().unwrap()).unwrap();
    assert_eq!(again, source);

    let injected = document_with_effect("n + 1\nnode evil");
    assert!(injected.to_source().is_err());
}

fn document_with_effect(value: &str) -> Document {
    document(vec![StepDoc::Option {
        label: "Go".into(),
        to: "b".into(),
        only: None,
        when: None,
        set: vec![calltree_syntax::interchange::EffectDoc {
            name: "n".into(),
            value: Some(value.into()),
        }],
    }])
}
