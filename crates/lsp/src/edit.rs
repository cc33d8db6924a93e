//! Writing features: rename, formatting and completion.
//!
//! Renames are the engine's `rename_node` and `rename_field` over the document's project, and
//! formatting is `calltree fmt`'s formatter; each changed file becomes one edit of the part
//! that changed, so the editor keeps the cursor and the undo history small.

use std::collections::HashMap;

use calltree_engine::Symbol;
use lsp_server::ErrorCode;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, TextEdit, Url, WorkspaceEdit,
};

use crate::server::{Answer, to_value};
use crate::workspace::{File, Snapshot};

/// One edit turning `old` into `new`: the part between their common start and end.
pub fn minimal_edit(file: &File, new: &str) -> TextEdit {
    let old = file.text.as_str();
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let room = old.len().min(new.len()) - start;
    let mut common_end = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - common_end)
        || !new.is_char_boundary(new.len() - common_end)
    {
        common_end -= 1;
    }
    let span = calltree_syntax::Span::new(start, old.len() - common_end);
    TextEdit::new(
        file.lines.range(old, span),
        new[start..new.len() - common_end].to_owned(),
    )
}

pub fn rename(snapshot: &Snapshot, offset: usize, new_name: &str) -> Answer {
    let Some(found) = snapshot.index.at(0, offset) else {
        return Err((
            ErrorCode::InvalidParams,
            "there is no node, field, flag or tree name here to rename".into(),
        ));
    };
    let texts: Vec<&str> = snapshot.files.iter().map(|f| f.text.as_str()).collect();
    let renamed = match &found.symbol {
        Symbol::Node { tree, name } => calltree_engine::rename_node(&texts, tree, name, new_name),
        Symbol::Variable { name, .. } => {
            let Some(tree) = snapshot.files[0].syntax.tree_name() else {
                return Err((
                    ErrorCode::RequestFailed,
                    "this file belongs to no tree, so its fields cannot be renamed".into(),
                ));
            };
            calltree_engine::rename_field(&texts, tree.as_str(), name, new_name)
        }
        Symbol::Tree(_) => {
            return Err((
                ErrorCode::RequestFailed,
                "renaming a tree is not supported yet: change its `tree` line, its `call`s and \
                 its `tests for` lines"
                    .into(),
            ));
        }
    }
    .map_err(|error| (ErrorCode::RequestFailed, error.to_string()))?;
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (file, new_text) in snapshot.files.iter().zip(renamed) {
        if let Some(new_text) = new_text {
            changes
                .entry(file.uri.clone())
                .or_default()
                .push(minimal_edit(file, &new_text));
        }
    }
    to_value(WorkspaceEdit::new(changes))
}

pub fn formatting(file: &File) -> Answer {
    match calltree_syntax::format_source(&file.text) {
        None => Err((
            ErrorCode::RequestFailed,
            "the file has syntax errors, so it is left as it is; fix them first".into(),
        )),
        Some(formatted) if formatted == file.text => to_value(Vec::<TextEdit>::new()),
        Some(formatted) => to_value(vec![minimal_edit(file, &formatted)]),
    }
}

/// The tree's properties, completed with their colon.
const PROPERTIES: &[&str] = &[
    "tags",
    "audience",
    "start",
    "version",
    "description",
    "escalation",
    "contact",
];

/// A keyword as it is typed: `tests for`, `start:`. The lists themselves are the parser's,
/// so a new statement is offered as soon as the grammar has it.
fn keyword_as_typed(word: &str) -> String {
    match word {
        "tests" => "tests for".to_owned(),
        word if PROPERTIES.contains(&word) => format!("{word}:"),
        word => word.to_owned(),
    }
}

const CONDITION_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "yes",
    "no",
    "visited",
    "count",
    "answered",
    "minutes_in_call",
    "minutes_at_step",
    "when",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Nodes,
    Variables,
    Trees,
    TopKeywords,
    BodyKeywords,
    Condition,
    Nothing,
}

/// What belongs at the cursor, from the words before it on its line.
fn wanted(before: &str) -> Wanted {
    let prefix_len = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .map(char::len_utf8)
        .sum::<usize>();
    let head = &before[..before.len() - prefix_len];
    if head.matches('"').count() % 2 == 1 {
        // Inside quoted text: only a `{placeholder}` takes a name.
        let open = head.rfind('{');
        let close = head.rfind('}');
        return if open > close {
            Wanted::Variables
        } else {
            Wanted::Nothing
        };
    }
    let trimmed = head.trim();
    let first = trimmed.split_whitespace().next().unwrap_or("");
    if trimmed.is_empty() {
        return if before.starts_with([' ', '\t']) {
            Wanted::BodyKeywords
        } else {
            Wanted::TopKeywords
        };
    }
    if trimmed.ends_with("->")
        || trimmed == "start:"
        || trimmed.ends_with("visited(")
        || trimmed.ends_with("count(")
        || trimmed == "expect node"
    {
        return Wanted::Nodes;
    }
    if trimmed == "call" || trimmed == "tests for" {
        return Wanted::Trees;
    }
    if matches!(first, "ask" | "set" | "answer") && !trimmed.contains('=')
        || trimmed == "expect field"
        || trimmed.ends_with("answered(")
    {
        return Wanted::Variables;
    }
    Wanted::Condition
}

pub fn completion(snapshot: &Snapshot, offset: usize) -> Answer {
    let file = &snapshot.files[0];
    let line_start = file.text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &file.text[line_start..offset];
    let tree = file.syntax.tree_name().map_or("", |n| n.as_str());
    let scope = snapshot.index.scope(0);
    let mut items: Vec<CompletionItem> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |label: &str, kind: CompletionItemKind| {
        if seen.insert(label.to_owned()) {
            items.push(CompletionItem {
                label: label.to_owned(),
                kind: Some(kind),
                ..CompletionItem::default()
            });
        }
    };
    let symbols = || snapshot.index.declared();
    let nodes = |add: &mut dyn FnMut(&str, CompletionItemKind)| {
        for symbol in symbols() {
            if let Symbol::Node { tree: t, name } = symbol
                && t == tree
            {
                add(name, CompletionItemKind::FUNCTION);
            }
        }
    };
    let variables = |add: &mut dyn FnMut(&str, CompletionItemKind)| {
        for symbol in symbols() {
            if let Symbol::Variable { scope: s, name } = symbol
                && s == scope
            {
                add(name, CompletionItemKind::FIELD);
            }
        }
    };
    match wanted(before) {
        Wanted::Nodes => nodes(&mut add),
        Wanted::Variables => variables(&mut add),
        Wanted::Trees => {
            for symbol in symbols() {
                if let Symbol::Tree(name) = symbol {
                    add(name, CompletionItemKind::MODULE);
                }
            }
        }
        Wanted::TopKeywords => calltree_syntax::BLOCK_KEYWORDS
            .iter()
            .for_each(|k| add(&keyword_as_typed(k), CompletionItemKind::KEYWORD)),
        Wanted::BodyKeywords => calltree_syntax::STATEMENT_KEYWORDS
            .iter()
            .for_each(|k| add(&keyword_as_typed(k), CompletionItemKind::KEYWORD)),
        Wanted::Condition => {
            variables(&mut add);
            CONDITION_WORDS
                .iter()
                .for_each(|k| add(k, CompletionItemKind::KEYWORD));
        }
        Wanted::Nothing => {}
    }
    to_value(CompletionResponse::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_cursor_wants() {
        assert_eq!(wanted(""), Wanted::TopKeywords);
        assert_eq!(wanted("no"), Wanted::TopKeywords);
        assert_eq!(wanted("  s"), Wanted::BodyKeywords);
        assert_eq!(wanted("  option \"Go\" -> "), Wanted::Nodes);
        assert_eq!(wanted("  -> we"), Wanted::Nodes);
        assert_eq!(wanted("  start: "), Wanted::Nodes);
        assert_eq!(wanted("  if visited(w"), Wanted::Nodes);
        assert_eq!(wanted("  call "), Wanted::Trees);
        assert_eq!(wanted("  ask a"), Wanted::Variables);
        assert_eq!(wanted("  say \"Hello {ac"), Wanted::Variables);
        assert_eq!(wanted("  say \"Hello ac"), Wanted::Nothing);
        assert_eq!(wanted("  option \"x\" -> y when v"), Wanted::Condition);
    }
}
