//! Renaming a node: the new name is written everywhere the project refers to it.
//!
//! A node is referred to by its own `node`/`feedback` line, `start:`, every `->` (options,
//! continues, routing, `call ... -> next`), node arguments of condition functions such as
//! `visited(x)`, and `expect node x` in tests: the tree's own tests, in its file or in a
//! `tests for` file, and the tests of trees that call it (directly or through other
//! sub-trees), since a test's call runs through its sub-trees too. Edits replace exactly those
//! spans of the original text, so comments and layout stay as the author wrote them. Fields,
//! flags and other trees' nodes of the same name are not references and are left alone.

use std::collections::HashMap;

use calltree_syntax::{
    self as syntax, Diagnostic, Expectation, Expr, ExprKind, ItemKind, LineIndex, NodeName,
    SourceFile, Span, StmtKind,
};

use crate::error::RenameError;
use crate::expr::takes_node;

/// Renames node `old` of tree `tree` to `new` in the texts of a project's files.
///
/// Returns, for each file in `files` (same order), its new text, or `None` when the file does
/// not change. Nothing is changed, and an error in plain words comes back, when `new` is not a
/// usable node name, the tree or the node does not exist, the tree already has a node called
/// `new`, or a file that would be searched has syntax errors: a line that cannot be read might
/// hold a reference that would be missed.
///
/// The tree is the one the first file whose `tree` line names it defines, as when the project
/// is loaded. A test of a tree that calls this one is updated when this tree is the only one
/// its call can pass through with a node called `old`; when several have one, the test's
/// `expect node old` may mean any of them and is left as it is. Renaming a node to its own
/// name changes nothing.
pub fn rename_node(
    files: &[&str],
    tree: &str,
    old: &str,
    new: &str,
) -> Result<Vec<Option<String>>, RenameError> {
    if !is_node_name(new) {
        return Err(RenameError::InvalidNodeName {
            name: new.to_owned(),
        });
    }
    let parsed: Vec<(SourceFile, Vec<Diagnostic>)> =
        files.iter().map(|text| syntax::parse(text)).collect();
    let project = Trees::collect(&parsed);
    let Some(&owner) = project.owners.get(tree) else {
        return Err(RenameError::UnknownTree(tree.to_owned()));
    };

    let mut scope = vec![(owner, Part::Tree)];
    scope.extend(tests_for(&parsed, tree));
    refuse_syntax_errors(files, &parsed, &scope, tree)?;
    if !project.has_node(tree, old) {
        return Err(RenameError::UnknownNode {
            tree: tree.to_owned(),
            name: old.to_owned(),
        });
    }
    let mut renamed = vec![None; files.len()];
    if old == new {
        return Ok(renamed);
    }
    if project.has_node(tree, new) {
        return Err(RenameError::NodeExists {
            tree: tree.to_owned(),
            name: new.to_owned(),
        });
    }
    for caller in project.callers_meaning(tree, old) {
        let mut files_of_caller = vec![(project.owners[caller], Part::Tests)];
        files_of_caller.extend(tests_for(&parsed, caller));
        refuse_syntax_errors(files, &parsed, &files_of_caller, caller)?;
        scope.extend(files_of_caller);
    }

    for (index, part) in scope {
        let mut spans = Vec::new();
        references(&parsed[index].0, part, old, &mut spans);
        if spans.is_empty() {
            continue;
        }
        let text = files[index];
        let broken = |span: Span| RenameError::WouldBreak {
            file: index,
            line: line_of(text, span),
        };
        let edited = replace(text, &mut spans, old, new).map_err(broken)?;
        // The result must read as cleanly as the original did, with no reference left behind.
        let (file, diagnostics) = syntax::parse(&edited);
        if let Some(error) = diagnostics.iter().find(|d| d.is_error()) {
            return Err(RenameError::WouldBreak {
                file: index,
                line: line_of(&edited, error.span),
            });
        }
        let mut left = Vec::new();
        references(&file, part, old, &mut left);
        if let Some(&span) = left.first() {
            return Err(RenameError::WouldBreak {
                file: index,
                line: line_of(&edited, span),
            });
        }
        renamed[index] = Some(edited);
    }
    Ok(renamed)
}

/// The trees of a project as far as renaming needs them: who defines each, its nodes, and
/// the trees it calls.
struct Trees<'a> {
    /// Tree name to the file that defines it (the first, as when a project is loaded).
    owners: HashMap<&'a str, usize>,
    nodes: HashMap<&'a str, Vec<&'a str>>,
    calls: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Trees<'a> {
    fn collect(parsed: &'a [(SourceFile, Vec<Diagnostic>)]) -> Self {
        let mut trees = Trees {
            owners: HashMap::new(),
            nodes: HashMap::new(),
            calls: HashMap::new(),
        };
        for (index, (file, _)) in parsed.iter().enumerate() {
            let Some((head, _)) = file.tree() else {
                continue;
            };
            let name = head.name.as_str();
            if trees.owners.contains_key(name) {
                continue;
            }
            trees.owners.insert(name, index);
            trees.nodes.insert(
                name,
                file.nodes().map(|(head, _)| head.name.as_str()).collect(),
            );
            let calls = file
                .nodes()
                .flat_map(|(_, item)| &item.body)
                .filter_map(|stmt| match &stmt.kind {
                    StmtKind::Call { tree, .. } => Some(tree.as_str()),
                    _ => None,
                })
                .collect();
            trees.calls.insert(name, calls);
        }
        trees
    }

    fn has_node(&self, tree: &str, node: &str) -> bool {
        self.nodes
            .get(tree)
            .is_some_and(|nodes| nodes.contains(&node))
    }

    /// The tree and every tree it may call, directly or through other sub-trees.
    fn closure(&self, tree: &'a str) -> Vec<&'a str> {
        let mut seen = vec![tree];
        let mut next = 0;
        while let Some(&current) = seen.get(next) {
            next += 1;
            for &callee in self.calls.get(current).into_iter().flatten() {
                if self.owners.contains_key(callee) && !seen.contains(&callee) {
                    seen.push(callee);
                }
            }
        }
        seen
    }

    /// The other trees whose tests, naming `node`, can only mean the node of `tree`: their
    /// calls run through `tree`, and through no other tree with a node of that name.
    fn callers_meaning(&self, tree: &str, node: &str) -> Vec<&'a str> {
        let mut callers: Vec<&'a str> = self
            .owners
            .keys()
            .copied()
            .filter(|&caller| caller != tree)
            .filter(|&caller| {
                let closure = self.closure(caller);
                closure.contains(&tree)
                    && closure
                        .iter()
                        .all(|&t| t == tree || !self.has_node(t, node))
            })
            .collect();
        callers.sort_unstable();
        callers
    }
}

/// The `tests for <tree>` files.
fn tests_for<'p>(
    parsed: &'p [(SourceFile, Vec<Diagnostic>)],
    tree: &'p str,
) -> impl Iterator<Item = (usize, Part)> + 'p {
    parsed
        .iter()
        .enumerate()
        .filter(move |(_, (file, _))| {
            file.tree().is_none() && file.tree_name().is_some_and(|name| name.as_str() == tree)
        })
        .map(|(index, _)| (index, Part::Tests))
}

fn refuse_syntax_errors(
    files: &[&str],
    parsed: &[(SourceFile, Vec<Diagnostic>)],
    scope: &[(usize, Part)],
    tree: &str,
) -> Result<(), RenameError> {
    for &(index, _) in scope {
        if let Some(error) = parsed[index].1.iter().find(|d| d.is_error()) {
            return Err(RenameError::BlockedBySyntax {
                tree: tree.to_owned(),
                file: index,
                line: line_of(files[index], error.span),
            });
        }
    }
    Ok(())
}

/// Which part of a tree a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The file with the renamed node's `tree` line: nodes, their references, and tests.
    Tree,
    /// Only the tests count: a `tests for` file, or the file of a tree that calls this one.
    Tests,
}

/// Whether `name` can be written everywhere a node name goes, according to the grammar: it is
/// parsed in each of those places and must come back unchanged.
fn is_node_name(name: &str) -> bool {
    let probe = format!(
        "tree probe\n  start: {name}\nnode {name}\n  if visited({name}) -> {name}\n  else -> {name}\n\
         test \"probe\"\n  expect node {name}\n"
    );
    let (file, diagnostics) = syntax::parse(&probe);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return false;
    }
    let mut found = Vec::new();
    references(&file, Part::Tree, name, &mut found);
    found.len() == 6
}

/// The spans of every reference to node `name` in one file.
fn references(file: &SourceFile, part: Part, name: &str, out: &mut Vec<Span>) {
    let node = |node: &NodeName, out: &mut Vec<Span>| {
        if node.as_str() == name {
            out.push(node.span());
        }
    };
    for item in &file.items {
        match &item.kind {
            ItemKind::Test(_) | ItemKind::Setup => {}
            _ if part == Part::Tests => continue,
            ItemKind::Node(head) => {
                node(&head.name, out);
                if let Some(title) = &head.title {
                    placeholders(title, name, out);
                }
            }
            ItemKind::Tree(_)
            | ItemKind::TestsFor(_)
            | ItemKind::Use(_)
            | ItemKind::Field(_)
            | ItemKind::Flag(_)
            | ItemKind::Error(_) => {}
        }
        for stmt in &item.body {
            // `{count(node)}` in a text names a node too.
            match &stmt.kind {
                StmtKind::Say(text)
                | StmtKind::Agent(text)
                | StmtKind::Customer(text)
                | StmtKind::Note(text)
                | StmtKind::NoteWhen { text, .. } => placeholders(text, name, out),
                StmtKind::Option(option) => placeholders(&option.label, name, out),
                _ => {}
            }
            match &stmt.kind {
                StmtKind::Start(target) | StmtKind::Goto(target) | StmtKind::Else(target) => {
                    node(target, out);
                }
                StmtKind::Option(option) => {
                    node(&option.target, out);
                    if let Some(guard) = &option.guard {
                        expression(guard, name, out);
                    }
                    for value in option.effects.iter().filter_map(|e| e.value.as_ref()) {
                        expression(value, name, out);
                    }
                }
                StmtKind::If { condition, target } => {
                    expression(condition, name, out);
                    node(target, out);
                }
                StmtKind::Call { then, .. } => node(then, out),
                StmtKind::NoteWhen { when, .. } => expression(when, name, out),
                StmtKind::Set { value, .. } => {
                    if let Some(value) = value {
                        expression(value, name, out);
                    }
                }
                StmtKind::Expect(Expectation::Node(target)) => node(target, out),
                StmtKind::Expect(
                    Expectation::End(_)
                    | Expectation::Field { .. }
                    | Expectation::TextContains(_)
                    | Expectation::Option { .. },
                ) => {}
                // Listed one by one so that a new statement has to be thought about here.
                StmtKind::Tags(_)
                | StmtKind::Audience(_)
                | StmtKind::Version(_)
                | StmtKind::Description(_)
                | StmtKind::Escalation(_)
                | StmtKind::Contact(_)
                | StmtKind::Say(_)
                | StmtKind::Agent(_)
                | StmtKind::Customer(_)
                | StmtKind::Note(_)
                | StmtKind::Ask(_)
                | StmtKind::End(_)
                | StmtKind::Return
                | StmtKind::Rating { .. }
                | StmtKind::FeedbackComment { .. }
                | StmtKind::As(..)
                | StmtKind::Answer { .. }
                | StmtKind::Choose(_)
                | StmtKind::Back
                | StmtKind::Wait { .. }
                | StmtKind::Given { .. }
                | StmtKind::Skip(_)
                | StmtKind::Escalate(_)
                | StmtKind::Error(_) => {}
            }
        }
    }
}

/// Node names in the expressions of a text's placeholders.
fn placeholders(text: &calltree_syntax::Text, name: &str, out: &mut Vec<Span>) {
    for segment in &text.segments {
        if let calltree_syntax::Segment::Expr(expr) = segment {
            expression(expr, name, out);
        }
    }
}

/// Node arguments of `visited(...)`, `count(...)` and the like; every other name in a
/// condition is a field, a flag or a choice value.
fn expression(expr: &Expr, name: &str, out: &mut Vec<Span>) {
    match &expr.kind {
        ExprKind::Call { func, args } => {
            for arg in args {
                match &arg.kind {
                    ExprKind::Name(ident) if takes_node(&func.text) => {
                        if ident.text == name {
                            out.push(ident.span);
                        }
                    }
                    _ => expression(arg, name, out),
                }
            }
        }
        ExprKind::Not(inner) | ExprKind::Neg(inner) | ExprKind::Paren(inner) => {
            expression(inner, name, out);
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            expression(lhs, name, out);
            expression(rhs, name, out);
        }
        ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
    }
}

/// Replaces each span (which must hold `old`) by `new`. A span that does not hold `old` is
/// returned as the error: the edit would not be the one intended.
pub(crate) fn replace(
    text: &str,
    spans: &mut Vec<Span>,
    old: &str,
    new: &str,
) -> Result<String, Span> {
    spans.sort_unstable();
    spans.dedup();
    let mut out = String::with_capacity(text.len() + spans.len() * new.len());
    let mut copied = 0;
    for &span in spans.iter() {
        let range = span.range();
        if range.start < copied || text.get(range.clone()) != Some(old) {
            return Err(span);
        }
        out.push_str(&text[copied..range.start]);
        out.push_str(new);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

pub(crate) fn line_of(text: &str, span: Span) -> u32 {
    LineIndex::new(text).line_col(span.start).line
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::{Project, SourceInput};

    fn bundled() -> Vec<(String, String)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "tree"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                (name, text)
            })
            .collect();
        files.sort();
        files
    }

    fn load(names: &[String], texts: &[String]) -> Project {
        Project::load(
            names
                .iter()
                .zip(texts)
                .map(|(name, text)| SourceInput::new(name.clone(), text.clone()))
                .collect(),
        )
    }

    /// Codes of every diagnostic, per file.
    fn codes(project: &Project) -> Vec<(usize, &'static str)> {
        let mut codes: Vec<_> = project
            .all_diagnostics()
            .map(|(file, d)| (file.index(), d.code.id))
            .collect();
        codes.sort_unstable();
        codes
    }

    fn refs(text: &str, part: Part, name: &str) -> usize {
        let (file, _) = syntax::parse(text);
        let mut found = Vec::new();
        references(&file, part, name, &mut found);
        found.len()
    }

    /// Renames in the whole bundled project and checks the result: exactly the files named in
    /// `changed` change, every reference moves, the project reports exactly what it did before
    /// and the same tests pass.
    fn rename_bundled(
        tree: &str,
        old: &str,
        new: &str,
        changed: &[&str],
    ) -> (Vec<String>, Vec<Option<String>>) {
        let (names, texts): (Vec<String>, Vec<String>) = bundled().into_iter().unzip();
        let file = names
            .iter()
            .position(|n| n == &format!("{tree}.tree"))
            .unwrap();
        let before = refs(&texts[file], Part::Tree, old);
        assert!(before >= 2, "{old} is hardly used");
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let renamed = rename_node(&inputs, tree, old, new).unwrap();

        for (index, result) in renamed.iter().enumerate() {
            let expected = changed.contains(&names[index].as_str());
            assert_eq!(result.is_some(), expected, "{}", names[index]);
        }
        let edited = renamed[file].clone().unwrap();
        assert_eq!(refs(&edited, Part::Tree, old), 0);
        assert_eq!(refs(&edited, Part::Tree, new), before);
        // Nothing but the renamed words changed.
        let delta = new.len() as isize - old.len() as isize;
        assert_eq!(
            edited.len() as isize,
            texts[file].len() as isize + delta * before as isize
        );

        let after: Vec<String> = texts
            .iter()
            .zip(&renamed)
            .map(|(text, renamed)| renamed.clone().unwrap_or_else(|| text.clone()))
            .collect();
        let project_before = load(&names, &texts);
        let project_after = load(&names, &after);
        assert_eq!(codes(&project_before), codes(&project_after));
        let id = project_after.tree_by_name(tree).unwrap();
        assert!(project_after.node_by_name(id, old).is_none());
        assert!(project_after.node_by_name(id, new).is_some());
        let results = |project: &Project| {
            project
                .run_tests()
                .iter()
                .map(|r| (r.file.index(), r.name.clone(), r.passed()))
                .collect::<Vec<_>>()
        };
        let results_before = results(&project_before);
        assert!(!results_before.is_empty());
        assert_eq!(results_before, results(&project_after));
        (after, renamed)
    }

    #[test]
    fn renames_in_a_bundled_tree() {
        let printer = &["printer_troubleshooting.tree"];
        // `paper_jam` is a target and an argument of `visited(...)`.
        let (after, _) =
            rename_bundled("printer_troubleshooting", "paper_jam", "jam_first", printer);
        let printer_text = after
            .iter()
            .find(|t| t.starts_with("# Printer troubleshooting"))
            .unwrap();
        assert!(printer_text.contains("-> jam_first when not visited(jam_first)"));
        assert!(printer_text.contains("\nnode jam_first "));
        assert!(!printer_text.contains("paper_jam"));

        // `symptom_menu` is an argument of `count(...)`, and the tree's tests expect it.
        let (after, _) = rename_bundled("printer_troubleshooting", "symptom_menu", "menu", printer);
        assert!(after.iter().any(|t| t.contains("when count(menu) < 3")));
        assert!(after.iter().any(|t| t.contains("expect node menu")));
    }

    #[test]
    fn same_name_in_another_tree_is_untouched() {
        let (names, texts): (Vec<String>, Vec<String>) = bundled().into_iter().unzip();
        let closing = names.iter().position(|n| n == "closing.tree").unwrap();
        let billing = names
            .iter()
            .position(|n| n == "billing_dispute.tree")
            .unwrap();
        // `anything_else` is also a node of `closing`, which billing calls and tests.
        assert!(refs(&texts[closing], Part::Tree, "anything_else") >= 2);
        assert!(texts[billing].contains("expect node anything_else"));

        let printer = &["printer_troubleshooting.tree"];
        let (after, renamed) =
            rename_bundled("printer_troubleshooting", "anything_else", "more", printer);
        for index in [closing, billing] {
            assert!(renamed[index].is_none());
            assert_eq!(after[index], texts[index]);
        }

        // `welcome` starts four trees; only the one asked for changes.
        rename_bundled("internet_down", "welcome", "hello", &["internet_down.tree"]);
    }

    #[test]
    fn tests_of_calling_trees_follow_the_rename() {
        // Billing calls `closing`, and one of its tests expects closing's `anything_else`.
        let changed = &["closing.tree", "billing_dispute.tree"];
        let (after, _) = rename_bundled("closing", "anything_else", "more_help", changed);
        assert!(
            after
                .iter()
                .any(|t| t.contains("  expect node more_help\n"))
        );
    }

    const TREE: &str = "\
# A comment that mentions old, kept as it is.
tree support \"Support\"
  start:   old   # the first step
field old: text \"Old {old}\"
flag seen
node old \"Old {old}\"
  say \"We say old here, and {old}.\"
  ask old
  set seen = visited(old) or answered(old) or old == \"old\"
  option \"Again\" -> old when count(old) < 2 and (not visited( old ))
  option \"On\" ->\told  customer-only
  option \"Next\" -> next
node next
\tif visited(old) -> old
  else -> done
node done
  call other -> old
test \"goes round\"
  answer old \"x\"
  expect node old
";

    const TESTS: &str = "tests for support\r\n# old\r\ntest \"elsewhere\"\r\n  choose \"Again\"\r\n  expect node old\r\n  expect field old = \"old\"\r\n";

    const OTHER: &str = "\
tree other \"Other\"
  start: old
node old
  return
";

    const OTHER_TESTS: &str = "tests for other\ntest \"t\"\n  expect node old\n";

    /// Calls `support`, which calls `other`: both have an `old`, but only `support` a `next`.
    const CALLER: &str = "\
tree caller
  start: hello
node hello
  call support -> bye
node bye
  end resolved
test \"through support\"
  expect node next  # support's
  expect node old
";

    const CALLER_TESTS: &str = "tests for caller\ntest \"u\"\n  expect node next\n";

    #[test]
    fn every_reference_and_nothing_else() {
        let files = [TREE, TESTS, OTHER, OTHER_TESTS];
        let renamed = rename_node(&files, "support", "old", "first").unwrap();
        let expected_tree = "\
# A comment that mentions old, kept as it is.
tree support \"Support\"
  start:   first   # the first step
field old: text \"Old {old}\"
flag seen
node first \"Old {old}\"
  say \"We say old here, and {old}.\"
  ask old
  set seen = visited(first) or answered(old) or old == \"old\"
  option \"Again\" -> first when count(first) < 2 and (not visited( first ))
  option \"On\" ->\tfirst  customer-only
  option \"Next\" -> next
node next
\tif visited(first) -> first
  else -> done
node done
  call other -> first
test \"goes round\"
  answer old \"x\"
  expect node first
";
        assert_eq!(renamed[0].as_deref(), Some(expected_tree));
        assert_eq!(
            renamed[1].as_deref(),
            Some(
                "tests for support\r\n# old\r\ntest \"elsewhere\"\r\n  choose \"Again\"\r\n  expect node first\r\n  expect field old = \"old\"\r\n"
            )
        );
        assert_eq!(renamed[2], None);
        assert_eq!(renamed[3], None);

        let names: Vec<String> = (0..4).map(|i| format!("f{i}.tree")).collect();
        let before: Vec<String> = files.iter().map(|t| (*t).to_owned()).collect();
        let mut after = before.clone();
        after[0] = renamed[0].clone().unwrap();
        after[1] = renamed[1].clone().unwrap();
        assert_eq!(codes(&load(&names, &before)), codes(&load(&names, &after)));
    }

    #[test]
    fn tests_of_callers_change_only_where_unambiguous() {
        let files = [TREE, TESTS, OTHER, OTHER_TESTS, CALLER, CALLER_TESTS];
        let renamed = rename_node(&files, "support", "next", "second").unwrap();
        assert!(
            renamed[0]
                .as_deref()
                .unwrap()
                .contains("-> second\nnode second\n")
        );
        assert_eq!(renamed[1], None);
        assert_eq!(
            renamed[4].as_deref(),
            Some(CALLER.replace("node next  #", "node second  #").as_str())
        );
        assert_eq!(
            renamed[5].as_deref(),
            Some("tests for caller\ntest \"u\"\n  expect node second\n")
        );

        // `old` is a node of `other` too, which the caller's call also runs through: its
        // `expect node old` may mean either, so it stays.
        let renamed = rename_node(&files, "support", "old", "first").unwrap();
        assert!(renamed[0].is_some() && renamed[1].is_some());
        assert_eq!(renamed[4], None);
        assert_eq!(renamed[5], None);

        // The callers' files are searched, so they must be readable.
        let broken = CALLER_TESTS.replace("expect node", "expect nod");
        let files = [TREE, TESTS, OTHER, OTHER_TESTS, CALLER, broken.as_str()];
        assert_eq!(
            rename_node(&files, "support", "next", "second"),
            Err(RenameError::BlockedBySyntax {
                tree: "caller".into(),
                file: 5,
                line: 3
            })
        );
    }

    #[test]
    fn unusual_but_valid_names() {
        for new in ["café", "_step", "end", "node", "step2", "日本"] {
            let renamed = rename_node(&[TREE, TESTS], "support", "next", new).unwrap();
            let edited = renamed[0].as_deref().unwrap();
            assert_eq!(refs(edited, Part::Tree, new), 2, "{new}");
            let (_, diagnostics) = syntax::parse(edited);
            assert!(diagnostics.is_empty(), "{new}: {diagnostics:?}");
            assert_eq!(renamed[1], None);
        }
    }

    #[test]
    fn renaming_to_the_same_name_changes_nothing() {
        assert_eq!(
            rename_node(&[TREE, TESTS], "support", "old", "old").unwrap(),
            [None, None]
        );
    }

    #[test]
    fn refuses_names_the_grammar_does_not_allow() {
        for new in [
            "",
            "2x",
            "a b",
            "a-b",
            "x#y",
            "a\nnode b",
            "yes",
            "not",
            "true",
            "x\"",
            "x)",
            " x",
            "x\r",
        ] {
            let error = rename_node(&[TREE], "support", "old", new).unwrap_err();
            assert_eq!(
                error,
                RenameError::InvalidNodeName {
                    name: new.to_owned()
                }
            );
            assert!(error.to_string().contains("cannot be a node name"));
        }
    }

    #[test]
    fn refuses_a_name_that_is_taken() {
        let error = rename_node(&[TREE], "support", "old", "done").unwrap_err();
        assert_eq!(
            error,
            RenameError::NodeExists {
                tree: "support".into(),
                name: "done".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "tree `support` already has a node called `done`; choose another name"
        );
        // A field of that name is no obstacle: fields and nodes have their own names.
        assert!(rename_node(&[TREE], "support", "done", "seen").is_ok());
    }

    #[test]
    fn refuses_unknown_trees_and_nodes() {
        assert_eq!(
            rename_node(&[TREE], "nope", "old", "x").unwrap_err(),
            RenameError::UnknownTree("nope".into())
        );
        // A `tests for` file does not define the tree.
        assert_eq!(
            rename_node(&[TESTS], "support", "old", "x").unwrap_err(),
            RenameError::UnknownTree("support".into())
        );
        let error = rename_node(&[TREE, OTHER], "other", "next", "x").unwrap_err();
        assert_eq!(error.to_string(), "tree `other` has no node called `next`");
        // `seen` is a flag, not a node.
        assert!(matches!(
            rename_node(&[TREE], "support", "seen", "x"),
            Err(RenameError::UnknownNode { .. })
        ));
    }

    #[test]
    fn refuses_when_a_file_of_the_tree_has_syntax_errors() {
        let broken_tests = "tests for support\ntest \"t\"\n  expect nod old\n";
        let error = rename_node(&[OTHER, TREE, broken_tests], "support", "old", "x").unwrap_err();
        assert_eq!(
            error,
            RenameError::BlockedBySyntax {
                tree: "support".into(),
                file: 2,
                line: 3
            }
        );
        assert!(error.to_string().contains("fix the errors"));

        let broken_tree = TREE.replace("  else -> done", "  else -> ");
        assert!(matches!(
            rename_node(&[broken_tree.as_str()], "support", "old", "x"),
            Err(RenameError::BlockedBySyntax {
                file: 0,
                line: 15,
                ..
            })
        ));

        // Errors in files of other trees do not matter.
        let broken_other = "tree broken\n  start: a\nnode a\n  sya \"hi\"\n";
        assert!(rename_node(&[TREE, broken_other], "support", "old", "x").is_ok());
    }

    #[test]
    fn the_first_file_defining_a_tree_owns_it() {
        let twin = "tree support\n  start: old\nnode old\n  return\n";
        let renamed = rename_node(&[TREE, twin], "support", "old", "x").unwrap();
        assert!(renamed[0].is_some());
        assert_eq!(renamed[1], None);
    }

    #[test]
    fn replace_refuses_spans_that_do_not_hold_the_old_name() {
        let mut spans = vec![Span::new(0, 3)];
        assert_eq!(
            replace("abc def", &mut spans, "abc", "x"),
            Ok("x def".into())
        );
        let mut spans = vec![Span::new(4, 7), Span::new(0, 2)];
        assert_eq!(
            replace("abc def", &mut spans, "abc", "x"),
            Err(Span::new(0, 2))
        );
        let mut spans = vec![Span::new(4, 99)];
        assert!(replace("abc def", &mut spans, "def", "x").is_err());
    }
}
