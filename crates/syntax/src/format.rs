//! The one canonical layout of a `.tree` file.
//!
//! Blocks start at column 0 and are separated by one blank line; statements are indented by
//! two spaces; tokens are separated by one space; a comment at the end of a line sits two
//! spaces after the code. Comments and single blank lines inside blocks stay where the author
//! put them. Lines that did not parse are written back exactly as they were, so formatting a
//! file with mistakes never loses text.

use std::fmt::Write as _;

use crate::ast::{
    BinaryOp, ChoiceItem, Comment, Expectation, Expr, ExprKind, FieldDecl, FieldTypeKind, Item,
    ItemKind, Literal, LiteralKind, NodeKind, Offered, OptionStmt, Outcome, OutcomeKind, Segment,
    SourceFile, Stmt, StmtKind, Text, Trivia,
};

const INDENT: &str = "  ";

/// Formats a parsed file in the canonical layout.
pub fn format(file: &SourceFile) -> String {
    format_with(file, true)
}

/// The canonical text of what a file does: its layout without comments, blank lines or
/// tests. Two files that behave alike give the same text, which is what version
/// fingerprints are made from.
pub fn format_behaviour(file: &SourceFile) -> String {
    format_with(file, false)
}

/// [`format_behaviour`]'s text handed to `sink` a block at a time, for a fingerprint that
/// hashes it: on a 100,000-node file the whole text was 35 MiB more at the load's busiest
/// moment, beside the whole syntax tree.
pub fn behaviour_pieces(file: &SourceFile, mut sink: impl FnMut(&str)) {
    let mut piece = String::new();
    for item in &file.items {
        piece.clear();
        write_behaviour(&mut piece, item);
        sink(&piece);
    }
    piece.clear();
    write_file_trailing(&mut piece, file);
    sink(&piece);
}

/// One block's part of [`format_behaviour`]: that text is these parts of the file's blocks
/// in order, so a re-parse that keeps most blocks formats only the new ones.
pub(crate) fn item_behaviour(item: &Item) -> String {
    let mut out = String::new();
    write_behaviour(&mut out, item);
    out
}

fn write_behaviour(out: &mut String, item: &Item) {
    if !matches!(
        item.kind,
        ItemKind::Test(_) | ItemKind::TestsFor(_) | ItemKind::Setup
    ) {
        write_item(out, item, false);
    }
}

fn format_with(file: &SourceFile, everything: bool) -> String {
    let mut out = String::with_capacity(file.items.len() * 64);
    let mut previous: Option<&Item> = None;
    for item in &file.items {
        if !everything {
            write_behaviour(&mut out, item);
            continue;
        }
        if let Some(previous) = previous
            && !(is_one_liner(previous)
                && is_one_liner(item)
                && !matches!(item.leading.first(), Some(Trivia::Blank)))
        {
            out.push('\n');
        }
        previous = Some(item);
        write_trivia(&mut out, &item.leading, "", Edges::TrimStart);
        write_item(&mut out, item, true);
    }
    write_file_trailing(&mut out, file);
    out
}

/// The end of [`format_behaviour`] after its blocks' parts (see [`item_behaviour`]): the
/// comments after the last block. They are part of the behaviour text as it has always been
/// made, so every fingerprint ever recorded depends on them staying in.
pub(crate) fn trailing_behaviour(file: &SourceFile) -> String {
    let mut out = String::new();
    write_file_trailing(&mut out, file);
    out
}

fn write_file_trailing(out: &mut String, file: &SourceFile) {
    if !file.items.is_empty()
        && file
            .trailing
            .iter()
            .any(|t| matches!(t, Trivia::Comment(_)))
    {
        out.push('\n');
    }
    write_trivia(out, &file.trailing, "", Edges::TrimBoth);
}

/// Declarations (`field`, `flag`, `use`) that the author wrote on adjacent lines stay together;
/// every other block is set apart by a blank line.
fn is_one_liner(item: &Item) -> bool {
    matches!(
        item.kind,
        ItemKind::Field(_) | ItemKind::Flag(_) | ItemKind::Use(_)
    ) && item.body.is_empty()
        && item.trailing.is_empty()
}

/// Which blank lines at the edges of a run of trivia are dropped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edges {
    TrimStart,
    TrimEnd,
    TrimBoth,
    Keep,
}

fn write_trivia(out: &mut String, trivia: &[Trivia], indent: &str, edges: Edges) {
    let mut run = trivia;
    if matches!(edges, Edges::TrimStart | Edges::TrimBoth) {
        while let [Trivia::Blank, rest @ ..] = run {
            run = rest;
        }
    }
    if matches!(edges, Edges::TrimEnd | Edges::TrimBoth) {
        while let [rest @ .., Trivia::Blank] = run {
            run = rest;
        }
    }
    for trivia in run {
        match trivia {
            Trivia::Blank => out.push('\n'),
            Trivia::Comment(comment) => {
                out.push_str(indent);
                out.push('#');
                out.push_str(&comment.text);
                out.push('\n');
            }
        }
    }
}

fn end_line(out: &mut String, comment: Option<&Comment>, comments: bool) {
    if let Some(comment) = comment.filter(|_| comments) {
        out.push_str("  #");
        out.push_str(&comment.text);
    }
    out.push('\n');
}

fn write_item(out: &mut String, item: &Item, comments: bool) {
    match &item.kind {
        ItemKind::Tree(head) => {
            out.push_str("tree ");
            out.push_str(head.name.as_str());
            optional_template(out, head.title.as_ref());
        }
        ItemKind::TestsFor(name) => {
            out.push_str("tests for ");
            out.push_str(name.as_str());
        }
        ItemKind::Use(decl) => {
            out.push_str("use ");
            write_plain(out, &decl.path);
        }
        ItemKind::Field(decl) => write_field(out, decl),
        ItemKind::Flag(decl) => {
            out.push_str("flag ");
            out.push_str(decl.name.as_str());
            optional_template(out, decl.label.as_ref());
        }
        ItemKind::Node(head) => {
            out.push_str(match head.kind {
                NodeKind::Step => "node ",
                NodeKind::Feedback => "feedback ",
            });
            out.push_str(head.name.as_str());
            optional_template(out, head.title.as_ref());
        }
        ItemKind::Test(head) => {
            out.push_str("test ");
            write_plain(out, &head.name);
        }
        ItemKind::Setup => out.push_str("setup"),
        ItemKind::Error(line) => out.push_str(&line.raw),
    }
    end_line(out, item.comment.as_ref(), comments);
    for (index, stmt) in item.body.iter().enumerate() {
        if comments {
            let edges = if index == 0 {
                Edges::TrimStart
            } else {
                Edges::Keep
            };
            write_trivia(out, &stmt.leading, INDENT, edges);
        }
        write_stmt(out, stmt, comments);
    }
    if comments {
        let edges = if item.body.is_empty() {
            Edges::TrimBoth
        } else {
            Edges::TrimEnd
        };
        write_trivia(out, &item.trailing, INDENT, edges);
    }
}

fn optional_template(out: &mut String, text: Option<&Text>) {
    if let Some(text) = text {
        out.push(' ');
        write_template(out, text);
    }
}

fn write_field(out: &mut String, decl: &FieldDecl) {
    out.push_str("field ");
    out.push_str(decl.name.as_str());
    out.push_str(": ");
    match &decl.ty.kind {
        FieldTypeKind::Text => out.push_str("text"),
        FieldTypeKind::Number => out.push_str("number"),
        FieldTypeKind::YesNo => out.push_str("yesno"),
        FieldTypeKind::Date => out.push_str("date"),
        FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) => {
            out.push_str(if matches!(decl.ty.kind, FieldTypeKind::Choices(_)) {
                "choices("
            } else {
                "choice("
            });
            for (index, ChoiceItem { value, label }) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&value.text);
                optional_template(out, label.as_ref());
            }
            out.push(')');
        }
    }
    optional_template(out, decl.label.as_ref());
    if decl.required.is_some() {
        out.push_str(" required");
    }
    if decl.given.is_some() {
        out.push_str(" given");
    }
    if let Some(pattern) = &decl.pattern {
        out.push_str(" pattern \"");
        out.push_str(&pattern.regex.replace('"', "\\\""));
        out.push('"');
        if let Some(description) = &pattern.description {
            out.push(' ');
            write_plain(out, description);
        }
    }
    if let Some(range) = &decl.range {
        let _ = write!(out, " range {}..{}", range.min.text, range.max.text);
    }
    if let Some(default) = &decl.default {
        out.push_str(" = ");
        write_literal(out, default);
    }
}

fn write_stmt(out: &mut String, stmt: &Stmt, comments: bool) {
    out.push_str(INDENT);
    match &stmt.kind {
        StmtKind::Tags(tags) => {
            out.push_str("tags: ");
            join(out, tags.iter().map(|t| t.text.as_str()));
        }
        StmtKind::Audience(audiences) => {
            out.push_str("audience: ");
            join(out, audiences.iter().map(|a| a.name.text.as_str()));
        }
        StmtKind::Start(node) => {
            out.push_str("start: ");
            out.push_str(node.as_str());
        }
        StmtKind::Version(text) => keyword_plain(out, "version:", text),
        StmtKind::Description(text) => keyword_template(out, "description:", text),
        StmtKind::Escalation(text) => keyword_plain(out, "escalation:", text),
        StmtKind::Contact(text) => keyword_plain(out, "contact:", text),
        StmtKind::Say(text) => keyword_template(out, "say", text),
        StmtKind::Agent(text) => keyword_template(out, "agent", text),
        StmtKind::Customer(text) => keyword_template(out, "customer", text),
        StmtKind::Note(text) => keyword_template(out, "note", text),
        StmtKind::NoteWhen { text, when } => {
            keyword_template(out, "note", text);
            out.push_str(" when ");
            write_expr(out, when);
        }
        StmtKind::Ask(vars) => {
            out.push_str("ask ");
            join(out, vars.iter().map(|v| v.as_str()));
        }
        StmtKind::Set { var, value } => {
            out.push_str("set ");
            out.push_str(var.as_str());
            if let Some(value) = value {
                out.push_str(" = ");
                write_expr(out, value);
            }
        }
        StmtKind::Option(option) => write_option(out, option),
        StmtKind::Goto(target) => {
            out.push_str("-> ");
            out.push_str(target.as_str());
        }
        StmtKind::If { condition, target } => {
            out.push_str("if ");
            write_expr(out, condition);
            out.push_str(" -> ");
            out.push_str(target.as_str());
        }
        StmtKind::Else(target) => {
            out.push_str("else -> ");
            out.push_str(target.as_str());
        }
        StmtKind::End(outcome) => {
            out.push_str("end ");
            write_outcome(out, outcome);
        }
        StmtKind::Call { tree, then } => {
            let _ = write!(out, "call {} -> {}", tree.as_str(), then.as_str());
        }
        StmtKind::Return => out.push_str("return"),
        StmtKind::Rating {
            var,
            question,
            range,
        } => {
            let _ = write!(out, "rating {} ", var.as_str());
            write_template(out, question);
            let _ = write!(out, " {}..{}", range.min.text, range.max.text);
        }
        StmtKind::FeedbackComment { var, question } => {
            let _ = write!(out, "comment {} ", var.as_str());
            write_template(out, question);
        }
        StmtKind::As(audience, locale) => {
            out.push_str("as ");
            out.push_str(&audience.name.text);
            if let Some(locale) = locale {
                out.push_str(" locale ");
                out.push_str(&locale.text);
            }
        }
        StmtKind::Answer { var, value } => {
            let _ = write!(out, "answer {} ", var.as_str());
            write_literal(out, value);
        }
        StmtKind::Choose(text) => keyword_template(out, "choose", text),
        StmtKind::Back => out.push_str("back"),
        StmtKind::Skip(text) => keyword_plain(out, "skip", text),
        StmtKind::Escalate(text) => keyword_plain(out, "escalate", text),
        StmtKind::Given { var, value } => {
            let _ = write!(out, "given {} ", var.as_str());
            write_literal(out, value);
        }
        StmtKind::Wait { amount, unit } => {
            let _ = write!(out, "wait {} {}", amount.text, unit.word(&amount.text));
        }
        StmtKind::Expect(expectation) => {
            out.push_str("expect ");
            write_expectation(out, expectation);
        }
        StmtKind::Error(line) => out.push_str(&line.raw),
    }
    end_line(out, stmt.comment.as_deref(), comments);
}

fn join<'a>(out: &mut String, words: impl Iterator<Item = &'a str>) {
    for (index, word) in words.enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(word);
    }
}

fn keyword_template(out: &mut String, keyword: &str, text: &Text) {
    out.push_str(keyword);
    out.push(' ');
    write_template(out, text);
}

fn keyword_plain(out: &mut String, keyword: &str, text: &Text) {
    out.push_str(keyword);
    out.push(' ');
    write_plain(out, text);
}

fn write_option(out: &mut String, option: &OptionStmt) {
    out.push_str("option ");
    write_template(out, &option.label);
    out.push_str(" -> ");
    out.push_str(option.target.as_str());
    if let Some((audience, _)) = option.only {
        out.push(' ');
        out.push_str(audience.name());
        out.push_str("-only");
    }
    if let Some(guard) = &option.guard {
        out.push_str(" when ");
        write_expr(out, guard);
    }
    for (index, effect) in option.effects.iter().enumerate() {
        out.push_str(if index == 0 { " set " } else { ", " });
        out.push_str(effect.var.as_str());
        if let Some(value) = &effect.value {
            out.push_str(" = ");
            write_expr(out, value);
        }
    }
}

fn write_outcome(out: &mut String, outcome: &Outcome) {
    out.push_str(outcome.kind.keyword());
    match &outcome.kind {
        OutcomeKind::Escalated(name)
        | OutcomeKind::Transferred(name)
        | OutcomeKind::Referred(name) => {
            out.push(' ');
            write_plain(out, name);
        }
        OutcomeKind::Resolved | OutcomeKind::Callback | OutcomeKind::Abandoned => {}
    }
    if let Some(result) = &outcome.result {
        out.push_str(" result ");
        write_plain(out, result);
    }
    if let Some(code) = &outcome.code {
        out.push_str(" code ");
        write_plain(out, code);
    }
}

fn write_expectation(out: &mut String, expectation: &Expectation) {
    match expectation {
        Expectation::End(outcome) => {
            out.push_str("end ");
            write_outcome(out, outcome);
        }
        Expectation::Node(node) => {
            out.push_str("node ");
            out.push_str(node.as_str());
        }
        Expectation::Field { var, value } => {
            let _ = write!(out, "field {} = ", var.as_str());
            write_literal(out, value);
        }
        Expectation::TextContains(text) => keyword_plain(out, "text contains", text),
        Expectation::Option { label, offered } => {
            if *offered == Offered::Absent {
                out.push_str("no ");
            }
            keyword_template(out, "option", label);
            if *offered == Offered::Disabled {
                out.push_str(" disabled");
            }
        }
    }
}

fn write_literal(out: &mut String, literal: &Literal) {
    match &literal.kind {
        LiteralKind::Number(number) => out.push_str(&number.text),
        LiteralKind::Text(text) => write_plain(out, text),
        LiteralKind::Bool(word) => out.push_str(word.as_str()),
        LiteralKind::Choice(ident) => out.push_str(&ident.text),
    }
}

/// Display text: `{` must be escaped because it would start a placeholder.
fn write_template(out: &mut String, text: &Text) {
    write_quoted(out, text, true);
}

/// Text without placeholders: `{` is an ordinary character.
fn write_plain(out: &mut String, text: &Text) {
    write_quoted(out, text, false);
}

fn write_quoted(out: &mut String, text: &Text, template: bool) {
    out.push('"');
    for segment in &text.segments {
        match segment {
            Segment::Literal(literal) => {
                // Most text needs no escapes: copy the runs between escapes whole.
                let mut run = 0;
                for (at, c) in literal.char_indices() {
                    // `None`: a control or otherwise invisible character, written as its
                    // code point so that a reviewer sees it.
                    let escape = match c {
                        '"' => Some("\\\""),
                        '\\' => Some("\\\\"),
                        '\n' => Some("\\n"),
                        '\t' => Some("\\t"),
                        '{' if template => Some("\\{"),
                        c if crate::is_invisible(c) => None,
                        _ => continue,
                    };
                    out.push_str(&literal[run..at]);
                    run = at + c.len_utf8();
                    match escape {
                        Some(escape) => out.push_str(escape),
                        None => {
                            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                        }
                    }
                }
                out.push_str(&literal[run..]);
            }
            Segment::Field(name) => {
                out.push('{');
                out.push_str(name.as_str());
                out.push('}');
            }
            Segment::Expr(expr) => {
                out.push('{');
                write_expr(out, expr);
                out.push('}');
            }
        }
    }
    out.push('"');
}

/// How tightly an expression binds, to decide where parentheses are needed.
fn binding(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Not(_) => 3,
        ExprKind::Neg(_) => 7,
        _ => 8,
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    op.precedence() == BinaryOp::Eq.precedence()
}

/// Writes an expression, adding parentheses only where the tree's shape needs them. Trees from
/// the parser keep the author's own parentheses as `Paren` nodes and never need extra ones.
pub(crate) fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number(number) => out.push_str(&number.text),
        ExprKind::Text(text) => write_template(out, text),
        ExprKind::Bool(word) => out.push_str(word.as_str()),
        ExprKind::Name(ident) => out.push_str(&ident.text),
        ExprKind::Call { func, args } => {
            out.push_str(&func.text);
            out.push('(');
            for (index, arg) in args.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_expr(out, arg);
            }
            out.push(')');
        }
        ExprKind::Not(operand) => {
            out.push_str("not ");
            write_operand(out, operand, binding(operand) < 3);
        }
        ExprKind::Neg(operand) => {
            out.push('-');
            // `--1` would read as one token in some eyes; the grammar accepts it either way.
            write_operand(out, operand, binding(operand) < 7);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let mine = op.precedence();
            let left_needs = binding(lhs) < mine || (is_comparison(*op) && binding(lhs) == mine);
            let right_needs = binding(rhs) <= mine;
            write_operand(out, lhs, left_needs);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_operand(out, rhs, right_needs);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(out, inner);
            out.push(')');
        }
    }
}

fn write_operand(out: &mut String, expr: &Expr, parenthesise: bool) {
    if parenthesise {
        out.push('(');
        write_expr(out, expr);
        out.push(')');
    } else {
        write_expr(out, expr);
    }
}

/// Pieces of the canonical layout for other renderings of a tree (the interchange form): a
/// text as written between its quotes, an expression, a literal.
pub(crate) mod pieces {
    use super::{Expr, Literal, Text};

    /// What goes between the quotes: escapes written out, `{field}` placeholders kept (in a
    /// template), a literal brace as `\{`.
    pub(crate) fn quoted_inner(text: &Text, template: bool) -> String {
        let mut out = String::new();
        super::write_quoted(&mut out, text, template);
        out[1..out.len() - 1].to_owned()
    }

    pub(crate) fn expr(expr: &Expr) -> String {
        let mut out = String::new();
        super::write_expr(&mut out, expr);
        out
    }

    pub(crate) fn literal(literal: &Literal) -> String {
        let mut out = String::new();
        super::write_literal(&mut out, literal);
        out
    }
}
