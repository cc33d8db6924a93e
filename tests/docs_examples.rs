//! Every example in `docs/language.md` parses: a reference that teaches wrong syntax is worse
//! than none.

use calltree_syntax::parse;
use calltree_tests::repo_root;

/// Code blocks without a language tag are `.tree` examples; tagged ones (`text`, `diff`) are not.
fn tree_examples(markdown: &str) -> Vec<(usize, String)> {
    let mut examples = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_end()) {
            (None, "```") => current = Some((index + 2, String::new())),
            (None, fence) if fence.starts_with("```") => current = Some((0, String::new())),
            (Some((start, text)), "```") => {
                if *start > 0 {
                    examples.push((*start, std::mem::take(text)));
                }
                current = None;
            }
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    examples
}

#[test]
fn every_language_example_parses_without_diagnostics() {
    let markdown = std::fs::read_to_string(repo_root().join("docs/language.md")).unwrap();
    let examples = tree_examples(&markdown);
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    let mut failures = Vec::new();
    for (line, example) in &examples {
        // Snippets of statements are shown without their block; try the blocks they fit in.
        let wrapped = [
            String::new(),
            "tree snippet \"Snippet\"\n".to_owned(),
            "tree snippet \"Snippet\"\nnode snippet\n".to_owned(),
            "tree snippet \"Snippet\"\ntest \"snippet\"\n".to_owned(),
        ];
        let clean = wrapped.iter().any(|prefix| {
            let (_, diagnostics) = parse(&format!("{prefix}{example}"));
            diagnostics.is_empty()
        });
        if !clean {
            let (_, diagnostics) = parse(example);
            let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
            failures.push(format!("docs/language.md:{line}: {messages:?}\n{example}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
