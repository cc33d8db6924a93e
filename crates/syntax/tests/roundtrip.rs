//! Property tests: the parser never panics, its spans stay inside the text, the formatter is a
//! fixed point that keeps meaning, and a parse with a warm line cache is exactly a fresh parse,
//! on generated trees and on mutated real files.

use std::path::Path;

use calltree_syntax::{Diagnostic, LineCache, format, parse, parse_cached};
use proptest::prelude::*;

/// The number of cases: `PROPTEST_CASES` when set (for a longer campaign), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
use proptest::test_runner::Config;

// ------------------------------------------------------------------ generated valid trees

const RESERVED: &[&str] = &["and", "or", "not", "yes", "no", "true", "false"];

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,7}".prop_filter("not reserved", |n| !RESERVED.contains(&n.as_str()))
}

/// Decoded text content, including every character that needs escaping.
fn content() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::char::range('a', 'z'),
            1 => Just(' '),
            1 => prop::sample::select(vec!['"', '\\', '{', '}', '\t', '\n', 'é', '日', '#', '\u{1F600}', '\u{7}']),
        ],
        0..14,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Encodes content as a quoted string, choosing among the escapes the language allows, so the
/// formatter has real work to do.
fn quoted(content: &str, template: bool, alternate: bool) -> String {
    let mut out = String::from("\"");
    for c in content.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str(if alternate { "\\u{a}" } else { "\\n" }),
            '\t' if alternate => out.push_str("\\t"),
            '{' if template => out.push_str(if alternate { "\\u{7b}" } else { "\\{" }),
            '}' if alternate => out.push_str("\\}"),
            c if c.is_control() && c != '\t' => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What goes between `{` and `}`: a field, or (issue 14) an expression without texts.
fn placeholder() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => name(),
        1 => (name(), number()).prop_map(|(n, k)| format!("{n} + {k}")),
        1 => name().prop_map(|n| format!(" count({n}) ")),
        1 => (name(), name()).prop_map(|(a, b)| format!("{a} == {b} and not {b}")),
    ]
}

fn template() -> impl Strategy<Value = String> {
    (content(), any::<bool>(), prop::option::of(placeholder())).prop_map(
        |(text, alternate, field)| {
            let mut quoted = quoted(&text, true, alternate);
            if let Some(field) = field {
                quoted.insert_str(quoted.len() - 1, &format!("{{{field}}}"));
            }
            quoted
        },
    )
}

fn plain() -> impl Strategy<Value = String> {
    (content(), any::<bool>()).prop_map(|(text, alternate)| quoted(&text, false, alternate))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9]{1,4}", "[0-9]{1,3}\\.[0-9]{1,2}"]
}

/// Expressions with every binary operation parenthesised, so any shape is valid text.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        number(),
        name(),
        // A text in an expression fills in placeholders (issue 14), like a step's text.
        template(),
        prop::sample::select(vec!["yes", "no", "true", "false"]).prop_map(str::to_owned),
        name().prop_map(|n| format!("visited({n})")),
        prop::sample::select(vec!["minutes_in_call()", "minutes_at_step()"])
            .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "and", "or", "==", "!=", "<", "<=", ">", ">=", "has", "+", "-", "*", "/"
                ]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            // `not` binds looser than comparisons, so as an operand it needs parentheses.
            inner.clone().prop_map(|e| format!("(not {e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (name(), prop::collection::vec(inner, 0..3))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        ]
    })
}

fn outcome() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("resolved".to_owned()),
            plain().prop_map(|t| format!("escalated {t}")),
            Just("callback".to_owned()),
            plain().prop_map(|t| format!("transferred {t}")),
            plain().prop_map(|t| format!("referred {t}")),
            Just("abandoned".to_owned()),
        ],
        prop::option::of(plain()),
        prop::option::of(plain()),
    )
        .prop_map(|(kind, result, code)| {
            let result = result.map(|r| format!(" result {r}")).unwrap_or_default();
            let code = code.map(|c| format!(" code {c}")).unwrap_or_default();
            format!("{kind}{result}{code}")
        })
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        number().prop_map(|n| format!("-{n}")),
        plain(),
        Just("yes".to_owned()),
        name(),
    ]
}

fn node_statement() -> impl Strategy<Value = String> {
    prop_oneof![
        template().prop_map(|t| format!("say {t}")),
        template().prop_map(|t| format!("agent {t}")),
        template().prop_map(|t| format!("customer {t}")),
        template().prop_map(|t| format!("note {t}")),
        (template(), expr()).prop_map(|(t, e)| format!("note {t} when {e}")),
        prop::collection::vec(name(), 1..3).prop_map(|v| format!("ask {}", v.join(", "))),
        (name(), prop::option::of(expr())).prop_map(|(n, e)| match e {
            Some(e) => format!("set {n} = {e}"),
            None => format!("set {n}"),
        }),
        (
            template(),
            name(),
            prop::sample::select(vec!["", " agent-only", " customer-only"]),
            prop::option::of(expr()),
            prop::collection::vec((name(), prop::option::of(expr())), 0..3),
        )
            .prop_map(|(label, target, only, guard, effects)| {
                let guard = guard.map(|g| format!(" when {g}")).unwrap_or_default();
                let effects: Vec<String> = effects
                    .into_iter()
                    .map(|(n, e)| match e {
                        Some(e) => format!("{n} = {e}"),
                        None => n,
                    })
                    .collect();
                let effects = if effects.is_empty() {
                    String::new()
                } else {
                    format!(" set {}", effects.join(", "))
                };
                format!("option {label} -> {target}{only}{guard}{effects}")
            }),
        name().prop_map(|t| format!("-> {t}")),
        (expr(), name()).prop_map(|(e, t)| format!("if {e} -> {t}")),
        name().prop_map(|t| format!("else -> {t}")),
        outcome().prop_map(|o| format!("end {o}")),
        (name(), name()).prop_map(|(tree, then)| format!("call {tree} -> {then}")),
        Just("return".to_owned()),
    ]
}

fn test_statement() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["as agent", "as customer", "back"]).prop_map(str::to_owned),
        (name(), literal()).prop_map(|(n, l)| format!("answer {n} {l}")),
        (name(), literal()).prop_map(|(n, l)| format!("given {n} {l}")),
        template().prop_map(|t| format!("choose {t}")),
        plain().prop_map(|t| format!("skip {t}")),
        plain().prop_map(|t| format!("escalate {t}")),
        template().prop_map(|t| format!("note {t}")),
        outcome().prop_map(|o| format!("expect end {o}")),
        name().prop_map(|n| format!("expect node {n}")),
        (name(), literal()).prop_map(|(n, l)| format!("expect field {n} = {l}")),
        plain().prop_map(|t| format!("expect text contains {t}")),
        (
            "[0-9]{1,3}(\\.[0-9])?",
            prop::sample::select(vec!["second", "seconds", "minutes", "hour", "hours"])
        )
            .prop_map(|(n, unit)| format!("wait {n} {unit}")),
        (
            prop::sample::select(vec!["", "no "]),
            template(),
            prop::sample::select(vec!["", " disabled"])
        )
            .prop_map(|(no, t, disabled)| if no.is_empty() {
                format!("expect option {t}{disabled}")
            } else {
                format!("expect no option {t}")
            }),
    ]
}

/// A statement line with optional trivia before it (never before the first statement, where
/// the canonical layout has none) and an optional comment after it.
fn body(statement: BoxedStrategy<String>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        (
            statement,
            any::<bool>(),
            prop::option::of("[ a-z!#\"]{0,10}"),
            prop::option::of("[ a-z]{0,10}"),
        ),
        1..6,
    )
    .prop_map(|lines| {
        let mut out = Vec::new();
        for (index, (statement, blank, before, after)) in lines.into_iter().enumerate() {
            if index > 0 {
                if blank {
                    out.push(String::new());
                }
                if let Some(comment) = before {
                    out.push(format!("  #{}", comment.trim_end()));
                }
            }
            let comment = after
                .map(|c| format!("  #{}", c.trim_end()))
                .unwrap_or_default();
            out.push(format!("  {statement}{comment}"));
        }
        out
    })
}

fn field_line() -> impl Strategy<Value = String> {
    (
        name(),
        prop_oneof![
            Just("text".to_owned()),
            Just("number".to_owned()),
            Just("yesno".to_owned()),
            Just("date".to_owned()),
            prop::collection::vec((name(), prop::option::of(template())), 1..4).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(v, l)| l.map_or(v.clone(), |l| format!("{v} {l}")))
                    .collect();
                format!("choice({})", items.join(", "))
            }),
            // A checklist (issue 14): the same items, any number ticked.
            prop::collection::vec((name(), prop::option::of(template())), 1..4).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(v, l)| l.map_or(v.clone(), |l| format!("{v} {l}")))
                    .collect();
                format!("choices({})", items.join(", "))
            }),
        ],
        prop::option::of(template()),
        (any::<bool>(), any::<bool>()),
        // A pattern cannot end in a backslash: it would escape the closing quote.
        prop::option::of("[a-z0-9\\[\\]{}\\\\.*+?]{0,9}[a-z0-9.*+?]"),
        prop::option::of((0u32..50, 50u32..100)),
        prop::option::of(literal()),
    )
        .prop_map(
            |(name, ty, label, (required, given), pattern, range, default)| {
                let mut line = format!("field {name}: {ty}");
                if let Some(label) = label {
                    line.push_str(&format!(" {label}"));
                }
                if required {
                    line.push_str(" required");
                }
                if given {
                    line.push_str(" given");
                }
                if let Some(pattern) = pattern {
                    line.push_str(&format!(" pattern \"{pattern}\""));
                }
                if let Some((min, max)) = range {
                    line.push_str(&format!(" range {min}..{max}"));
                }
                if let Some(default) = default {
                    line.push_str(&format!(" = {default}"));
                }
                line
            },
        )
}

fn item() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        field_line().prop_map(|l| vec![l]),
        (name(), prop::option::of(template())).prop_map(|(n, l)| vec![match l {
            Some(l) => format!("flag {n} {l}"),
            None => format!("flag {n}"),
        }]),
        plain().prop_map(|p| vec![format!("use {p}")]),
        (
            name(),
            prop::option::of(template()),
            body(node_statement().boxed())
        )
            .prop_map(|(n, title, body)| {
                let title = title.map(|t| format!(" {t}")).unwrap_or_default();
                let mut lines = vec![format!("node {n}{title}")];
                lines.extend(body);
                lines
            }),
        (
            name(),
            template(),
            0u32..3,
            3u32..10,
            name(),
            template(),
            name()
        )
            .prop_map(|(n, question, min, max, remark, remark_q, next)| vec![
                format!("feedback {n}"),
                format!("  rating {n}_score {question} {min}..{max}"),
                format!("  comment {remark} {remark_q}"),
                format!("  -> {next}"),
            ]),
        (plain(), body(test_statement().boxed())).prop_map(|(name, body)| {
            let mut lines = vec![format!("test {name}")];
            lines.extend(body);
            lines
        }),
    ]
}

fn tree_source() -> impl Strategy<Value = String> {
    (
        name(),
        template(),
        prop::collection::vec(name(), 1..3),
        name(),
        prop::collection::vec((item(), prop::option::of("[ a-z]{0,12}")), 0..8),
        // A file has at most one `setup`.
        prop::option::of(body(test_statement().boxed())),
    )
        .prop_map(|(id, title, tags, start, items, setup)| {
            let mut text = format!(
                "tree {id} {title}\n  tags: {}\n  audience: agent, customer\n  start: {start}\n",
                tags.join(", ")
            );
            for (lines, comment) in items {
                text.push('\n');
                if let Some(comment) = comment {
                    text.push_str(&format!("#{}\n", comment.trim_end()));
                }
                for line in lines {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            if let Some(setup) = setup {
                text.push_str("\nsetup\n");
                for line in setup {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text
        })
}

/// The tree's `Debug` form without byte offsets: two trees that mean the same thing and keep
/// the same comments compare equal, wherever their text sits in the file.
fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(start) = rest.find("Span { start: ") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('}').map_or(after.len(), |i| i + 1);
        out.push_str("Span");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{} {} at {:?}", d.code, d.message, d.span))
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(Config { cases: cases(384), ..Config::default() })]

    #[test]
    fn generated_trees_parse_cleanly_and_format_is_a_fixed_point(source in tree_source()) {
        let (tree, diagnostics) = parse(&source);
        prop_assert!(diagnostics.is_empty(), "{}\n---\n{source}", render(&diagnostics));

        let formatted = format(&tree);
        let (reparsed, diagnostics) = parse(&formatted);
        prop_assert!(diagnostics.is_empty(), "{}\n---\n{formatted}", render(&diagnostics));
        prop_assert_eq!(&format(&reparsed), &formatted);
        prop_assert_eq!(
            without_spans(&format!("{tree:?}")),
            without_spans(&format!("{reparsed:?}")),
            "formatting changed the meaning of\n{}\n---\n{}", source, formatted
        );
    }
}

// ------------------------------------------------------------------ mutated real files

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = Vec::new();
    for dir in ["trees", "tests/fixtures/syntax"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.extension().is_some_and(|e| e == "tree")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                texts.push(text);
            }
        }
    }
    texts.push(
        "\u{feff}tree bom \"Byte order mark\"\r\n  start: a\r\n\r\nnode a\r\n  end resolved\r\n"
            .to_owned(),
    );
    texts
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: f64, len: usize },
    Insert { at: f64, text: String },
    DuplicateLine { at: f64 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        prop::sample::select(vec![
            "\"",
            "{",
            "}",
            "\\",
            "#",
            "\n",
            "  ",
            "\t",
            "\r",
            "->",
            "(",
            ")",
            "é",
            "-",
            ":",
            "..",
            "node ",
            "option \"",
            " when ",
            " and ",
            "\u{feff}",
            "\u{0}",
            "((((",
            "not not ",
            "\tand\t",
            "\tnot\t",
            "1and",
            "\"a\"or",
            "=",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,6}",
    ];
    prop_oneof![
        (0.0..1.0f64, 1usize..20).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (0.0..1.0f64, snippet).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (0.0..1.0f64).prop_map(|at| Mutation::DuplicateLine { at }),
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
    let mut text = text.to_owned();
    match mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(&text, *at);
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, "");
        }
        Mutation::Insert { at, text: snippet } => {
            let at = boundary(&text, *at);
            text.insert_str(at, snippet);
        }
        Mutation::DuplicateLine { at } => {
            let at = boundary(&text, *at);
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[start..end].to_owned();
            text.insert_str(start, &line);
        }
    }
    text
}

proptest! {
    #![proptest_config(Config { cases: cases(512), ..Config::default() })]

    #[test]
    fn mutated_files_never_panic_and_format_stays_a_fixed_point(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let original = &corpus[pick.index(corpus.len())];
        let mut text = original.clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }

        let (tree, diagnostics) = parse(&text);
        for diagnostic in &diagnostics {
            let range = diagnostic.span.range();
            prop_assert!(range.end <= text.len(), "span past the end: {:?}", diagnostic);
            prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            prop_assert!(!diagnostic.message.is_empty());
            prop_assert!(!diagnostic.message.ends_with('.'), "messages have no final period: {}", diagnostic.message);
        }

        let once = format(&tree);
        let (reparsed, _) = parse(&once);
        let twice = format(&reparsed);
        prop_assert_eq!(&twice, &once, "formatting is not a fixed point for\n{}", text);
    }
}

/// How many entries a cache may hold after parsing `text`: one per line, and a second one for
/// an indented block keyword, which is tried as a block's first line before as a statement.
fn cache_bound(text: &str) -> usize {
    2 * text.split('\n').count()
}

proptest! {
    #![proptest_config(Config { cases: cases(384), ..Config::default() })]

    #[test]
    fn a_warm_cache_parses_exactly_like_a_fresh_parse(
        pick in any::<prop::sample::Index>(),
        before in prop::collection::vec(mutation(), 0..4),
        edits in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let mut first = corpus[pick.index(corpus.len())].clone();
        for mutation in &before {
            first = apply(&first, mutation);
        }
        // The edit an author makes next: related to the text the cache has seen, not equal.
        let mut second = first.clone();
        for mutation in &edits {
            second = apply(&second, mutation);
        }

        let mut cache = LineCache::default();
        prop_assert_eq!(parse_cached(&first, &mut cache), parse(&first), "cold cache on\n{}", first);
        prop_assert_eq!(parse_cached(&second, &mut cache), parse(&second), "warmed on\n{}\n---\nparsing\n{}", first, second);
        prop_assert!(cache.len() <= cache_bound(&second));
        // Undoing the edit: lines the cache let go of are parsed again, the rest reused.
        prop_assert_eq!(parse_cached(&first, &mut cache), parse(&first), "warmed on\n{}\n---\nparsing\n{}", second, first);
        prop_assert!(cache.len() <= cache_bound(&first));
    }
}

#[test]
fn every_bundled_tree_reparses_exactly_after_a_one_character_edit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "tree"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no bundled trees in {}", root.display());
    for path in paths {
        let original = std::fs::read_to_string(&path).unwrap();
        let middle = boundary(&original, 0.5);
        let next = original[middle..].chars().next().map_or(0, char::len_utf8);
        let inserted = format!("{}x{}", &original[..middle], &original[middle..]);
        let deleted = format!("{}{}", &original[..middle], &original[middle + next..]);
        for edited in [inserted, deleted] {
            let mut cache = LineCache::default();
            parse_cached(&original, &mut cache);
            assert_eq!(
                parse_cached(&edited, &mut cache),
                parse(&edited),
                "{}",
                path.display()
            );
            assert!(cache.len() <= cache_bound(&edited), "{}", path.display());
            // And back again, with the edited line now the one the cache does not know.
            assert_eq!(
                parse_cached(&original, &mut cache),
                parse(&original),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_line_that_moves_keeps_its_diagnostics_on_itself() {
    // The cache keeps a line's diagnostics measured from the line; a copy that was not moved
    // with the line would point at whatever now sits where it used to be.
    let too_large = "9".repeat(400);
    let source = format!(
        "tree t \"T\"\n  start: a\n\nfield not: number range 9..1 = {too_large}\nnode a\n  say \"\\q\"\n  end resolved\n"
    );
    let moved = format!("# a comment above it all\n{source}");
    let mut cache = LineCache::default();
    let (_, before) = parse_cached(&source, &mut cache);
    assert_eq!(before.len(), 4, "{}", render(&before));
    assert_eq!(parse_cached(&moved, &mut cache), parse(&moved));
}

#[test]
fn formatting_a_clean_file_keeps_its_comments() {
    let source = "# about the tree\ntree t \"T\"  # header comment\n  start: a\n\n# about a\nnode a\n  # before say\n  say \"hi\"  # after say\n  end resolved\n  # end of a\n\n# end of file\n";
    let (tree, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{}", render(&diagnostics));
    assert_eq!(format(&tree), source);
}

#[test]
fn formatting_canonicalises_spacing_and_escapes() {
    let source = "tree  t   \"T\"\n\tstart:a\n\n\n\nnode a\n\n     say   \"a\\u{7b}b\\}\"\n  option \"x\"->a when(1<2)customer-only\n  end   resolved   code\"X\"\n";
    let (tree, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{}", render(&diagnostics));
    assert_eq!(
        format(&tree),
        "tree t \"T\"\n  start: a\n\nnode a\n  say \"a\\{b}\"\n  option \"x\" -> a customer-only when (1 < 2)\n  end resolved code \"X\"\n"
    );
}

#[test]
fn a_line_of_a_carriage_return_and_spaces_is_blank() {
    // Found by the mutation property in CI: "\r  " was an unreadable line whose text trimmed
    // to nothing, so formatting wrote an empty line and was no longer a fixed point.
    let source =
        "\u{feff}tree bom \"Byte order mark\"\r\n  start: a\r\n\r  \nnode a\r\n  end resolved\r\n";
    let (tree, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{}", render(&diagnostics));
    let once = format(&tree);
    assert_eq!(
        once,
        "tree bom \"Byte order mark\"\n  start: a\n\nnode a\n  end resolved\n"
    );
    assert_eq!(format(&parse(&once).0), once);
}

#[test]
fn a_not_expression_spans_exactly_its_text() {
    // Found when drawing routes from their condition text: the span of `not checked` took in
    // the space before `->`, so a caret under it was one column too long.
    let source = "tree t \"T\"\n  start: a\n\nnode a\n  if not checked -> a\n  else -> a\n";
    let (tree, diagnostics) = parse(source);
    assert!(diagnostics.is_empty(), "{}", render(&diagnostics));
    let (_, item) = tree.nodes().next().unwrap();
    let calltree_syntax::StmtKind::If { condition, .. } = &item.body[0].kind else {
        panic!("not a routing line");
    };
    assert_eq!(&source[condition.span.range()], "not checked");
}

/// Found by `mutated_files_never_panic_and_format_stays_a_fixed_point`: with line breaks
/// written `\r\r\n`, an indented block line kept its stray `\r`, failed to read as a block,
/// and was kept as a statement; formatting dropped the `\r`, so the next parse read a block
/// there and the layout changed again.
#[test]
fn a_doubled_carriage_return_formats_to_a_fixed_point() {
    let text = "\u{feff}tree bom \"Byte order mark\"\r\r\n\u{feff}tree bom \"Byte order mark\"\r\r\n  start: a\r\n\r\nnode a\r\n  end resolved\r\n";
    let once = format(&parse(text).0);
    let twice = format(&parse(&once).0);
    assert_eq!(twice, once);
}

/// What `LineCache::reparse` leaves, as `parse` returns it.
/// The behaviour text the cache pieced together, and the one streamed to a fingerprint, are
/// checked against the tree's own here.
fn reparsed(cache: &mut LineCache, text: &str) -> (calltree_syntax::SourceFile, Vec<Diagnostic>) {
    let diagnostics = cache.reparse(text);
    let file = cache.parsed().cloned().unwrap_or_default();
    assert_eq!(
        cache.behaviour().collect::<String>(),
        calltree_syntax::format_behaviour(&file),
        "behaviour pieces of\n{text}"
    );
    let mut streamed = String::new();
    calltree_syntax::behaviour_pieces(&file, |piece| streamed.push_str(piece));
    assert_eq!(
        streamed,
        calltree_syntax::format_behaviour(&file),
        "streamed behaviour of\n{text}"
    );
    (file, diagnostics)
}

proptest! {
    #![proptest_config(Config { cases: cases(384), ..Config::default() })]

    /// The block-reusing path: a chain of edits, each re-parse taking over the blocks the
    /// edit left alone from the one before, must give what a fresh parse gives every time.
    #[test]
    fn a_reparse_after_edits_is_exactly_a_fresh_parse(
        pick in any::<prop::sample::Index>(),
        steps in prop::collection::vec(prop::collection::vec(mutation(), 1..3), 1..5),
    ) {
        let corpus = corpus();
        let mut text = corpus[pick.index(corpus.len())].clone();
        let mut cache = LineCache::default();
        prop_assert_eq!(reparsed(&mut cache, &text), parse(&text), "cold on\n{}", text);
        for edits in &steps {
            let before = text.clone();
            for mutation in edits {
                text = apply(&text, mutation);
            }
            prop_assert_eq!(reparsed(&mut cache, &text), parse(&text), "after\n{}\n---\nparsing\n{}", before, text);
        }
        // Undoing every edit at once.
        let first = corpus[pick.index(corpus.len())].clone();
        prop_assert_eq!(reparsed(&mut cache, &first), parse(&first), "back to\n{}", first);
    }
}

#[test]
fn every_bundled_tree_reparses_block_by_block_exactly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "tree"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no bundled trees in {}", root.display());
    for path in paths {
        let original = std::fs::read_to_string(&path).unwrap();
        for at in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let middle = boundary(&original, at);
            let next = original[middle..].chars().next().map_or(0, char::len_utf8);
            let edits = [
                format!("{}x{}", &original[..middle], &original[middle..]),
                format!("{}{}", &original[..middle], &original[middle + next..]),
                format!("{}\n\n# note\n{}", &original[..middle], &original[middle..]),
                format!(
                    "{}\nnode extra\n  end resolved\n{}",
                    &original[..middle],
                    &original[middle..]
                ),
            ];
            for edited in edits {
                let mut cache = LineCache::default();
                reparsed(&mut cache, &original);
                let name = path.display();
                assert_eq!(
                    reparsed(&mut cache, &edited),
                    parse(&edited),
                    "{name} at {at}"
                );
                assert_eq!(
                    reparsed(&mut cache, &original),
                    parse(&original),
                    "{name} back"
                );
            }
        }
    }
}
