//! The nesting limit of a line: whatever separates the operators, a line that would recurse
//! too deeply is refused with a diagnostic before pest sees it (issue 13: tab-separated
//! operators got past a limit that counted spaces, and overflowed the stack), and a long
//! flat list is not nesting.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use calltree_syntax::{format, parse};

fn tree_with(line: &str) -> String {
    format!(
        "tree t \"T\"\n  start: a\n\nfield x: yesno \"X\" = yes\n\nnode a\n{line}\n  else -> a\n"
    )
}

/// Parses (and formats) on a thread with the stack of a server's worker thread (2 MiB),
/// returning the codes of the diagnostics on the given line.
fn codes_on_line(text: String, line: usize) -> Vec<&'static str> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (file, diagnostics) = parse(&text);
            let _ = format(&file);
            let index = calltree_syntax::LineIndex::new(&text);
            diagnostics
                .iter()
                .filter(|d| index.line_col(d.span.start).line as usize == line)
                .map(|d| d.code.id)
                .collect()
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn tab_separated_operators_overflow_the_stack() {
    let separated = [
        (
            "tab and",
            format!("  if x{} -> a", "\tand\tx".repeat(20_000)),
        ),
        ("tab not", format!("  if {}x -> a", "not\t".repeat(8_000))),
        (
            "quoted and",
            format!("  if \"a\"{} -> a", "and\"a\"".repeat(20_000)),
        ),
        (
            "number and",
            format!("  if 1{} -> a", "and 1".repeat(20_000)),
        ),
        (
            "paren or",
            format!("  if (x){} -> a", "or(x)".repeat(20_000)),
        ),
        ("minus", format!("  set x = {}1", "-".repeat(20_000))),
        (
            "not in quotes",
            format!("  if not\"x\"{} -> a", "and not\"x\"".repeat(5_000)),
        ),
    ];
    for (what, line) in separated {
        let codes = codes_on_line(tree_with(&line), 7);
        assert_eq!(codes, ["E101"], "{what}");
    }
}

#[test]
fn a_flat_list_of_names_is_not_nesting() {
    let names: Vec<String> = (0..400).map(|i| format!("field_{i}")).collect();
    let line = format!("  ask {}", names.join(", "));
    let text = format!("tree t \"T\"\n  start: a\n\nnode a\n{line}\n  end resolved\n");
    assert_eq!(codes_on_line(text, 5), Vec::<&str>::new());

    // Up to the limit, operators in any spacing are fine.
    let line = format!("  if x{} -> a", "\tand\tx".repeat(199));
    assert_eq!(codes_on_line(tree_with(&line), 7), Vec::<&str>::new());
    let line = format!("  if x{} -> a", "\tand\tx".repeat(200));
    assert_eq!(codes_on_line(tree_with(&line), 7), ["E101"]);
}

/// Issue 14 item 7: a placeholder holds an expression now, so the text between quotes is no
/// longer free: a deep one inside `{...}` is refused like one outside.
#[test]
fn a_deep_expression_in_a_placeholder_is_refused_not_parsed() {
    let deep = format!("  say \"{{{}1{}}}\"", "(".repeat(5_000), ")".repeat(5_000));
    assert_eq!(codes_on_line(tree_with(&deep), 7), ["E101"]);
    let long = format!("  say \"{{{}1}}\"", "1 + ".repeat(20_000));
    assert_eq!(codes_on_line(tree_with(&long), 7), ["E101"]);
    // Prose with brackets and dashes is still free.
    let prose = format!("  say \"{}\"", "(see the back - left side) ".repeat(2_000));
    assert!(codes_on_line(tree_with(&prose), 7).is_empty());
}
