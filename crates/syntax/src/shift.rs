//! Moving every span of a piece of syntax by a fixed number of bytes.
//!
//! The line cache keeps what one line parses to measured from the line's own start, so that a
//! line which only moved (because something above it changed) is not parsed again. Each
//! reuse shifts the copy to where the line now sits. A span left unshifted would point into
//! the wrong line, so every type is taken apart field by field without `..`: a field added
//! later does not compile until it is shifted (or stated to hold no span) here.

use crate::Span;
use crate::ast::{
    AudienceRef, ChoiceItem, Comment, Effect, ErrorLine, Expectation, Expr, ExprKind, FieldDecl,
    FieldType, FieldTypeKind, FlagDecl, Ident, Item, ItemKind, Literal, LiteralKind, NodeHead,
    NodeName, Number, OptionStmt, Outcome, OutcomeKind, Pattern, Range, Segment, SourceFile, Stmt,
    StmtKind, TestHead, Text, TreeHead, TreeName, Trivia, UseDecl, VarName,
};
use crate::diagnostic::{Diagnostic, Related};

/// Syntax whose spans can be moved by `by` bytes, with the same saturation as
/// [`Span::shifted`], so a shifted copy equals what parsing at that offset gives. `by` is
/// negative when text before a reused block got shorter.
pub(crate) trait Shift {
    fn shift(&mut self, by: isize);
}

impl Shift for Span {
    fn shift(&mut self, by: isize) {
        *self = if by >= 0 {
            self.shifted(by.unsigned_abs())
        } else {
            self.shifted_back(by.unsigned_abs())
        };
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: isize) {
        if let Some(inner) = self {
            inner.shift(by);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: isize) {
        for inner in self {
            inner.shift(by);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, by: isize) {
        (**self).shift(by);
    }
}

impl Shift for Ident {
    fn shift(&mut self, by: isize) {
        let Ident { text: _, span } = self;
        span.shift(by);
    }
}

impl Shift for TreeName {
    fn shift(&mut self, by: isize) {
        let TreeName(ident) = self;
        ident.shift(by);
    }
}

impl Shift for NodeName {
    fn shift(&mut self, by: isize) {
        let NodeName(ident) = self;
        ident.shift(by);
    }
}

impl Shift for VarName {
    fn shift(&mut self, by: isize) {
        let VarName(ident) = self;
        ident.shift(by);
    }
}

impl Shift for Comment {
    fn shift(&mut self, by: isize) {
        let Comment { text: _, span } = self;
        span.shift(by);
    }
}

impl Shift for ErrorLine {
    fn shift(&mut self, _by: isize) {
        let ErrorLine { raw: _ } = self;
    }
}

impl Shift for ItemKind {
    fn shift(&mut self, by: isize) {
        match self {
            ItemKind::Tree(TreeHead { name, title }) => {
                name.shift(by);
                title.shift(by);
            }
            ItemKind::TestsFor(name) => name.shift(by),
            ItemKind::Use(UseDecl { path }) => path.shift(by),
            ItemKind::Field(decl) => decl.shift(by),
            ItemKind::Flag(FlagDecl { name, label }) => {
                name.shift(by);
                label.shift(by);
            }
            ItemKind::Node(NodeHead {
                kind: _,
                name,
                title,
            }) => {
                name.shift(by);
                title.shift(by);
            }
            ItemKind::Test(TestHead { name }) => name.shift(by),
            ItemKind::Setup => {}
            ItemKind::Error(line) => line.shift(by),
        }
    }
}

impl Shift for FieldDecl {
    fn shift(&mut self, by: isize) {
        let FieldDecl {
            name,
            ty,
            label,
            required,
            given,
            pattern,
            range,
            default,
        } = self;
        name.shift(by);
        ty.shift(by);
        label.shift(by);
        required.shift(by);
        given.shift(by);
        pattern.shift(by);
        range.shift(by);
        default.shift(by);
    }
}

impl Shift for FieldType {
    fn shift(&mut self, by: isize) {
        let FieldType { kind, span } = self;
        match kind {
            FieldTypeKind::Text
            | FieldTypeKind::Number
            | FieldTypeKind::YesNo
            | FieldTypeKind::Date => {}
            FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) => items.shift(by),
        }
        span.shift(by);
    }
}

impl Shift for ChoiceItem {
    fn shift(&mut self, by: isize) {
        let ChoiceItem { value, label } = self;
        value.shift(by);
        label.shift(by);
    }
}

impl Shift for StmtKind {
    fn shift(&mut self, by: isize) {
        match self {
            StmtKind::Tags(tags) => tags.shift(by),
            StmtKind::Audience(list) => list.shift(by),
            StmtKind::Start(name) | StmtKind::Goto(name) | StmtKind::Else(name) => name.shift(by),
            StmtKind::Version(text)
            | StmtKind::Description(text)
            | StmtKind::Escalation(text)
            | StmtKind::Contact(text)
            | StmtKind::Say(text)
            | StmtKind::Agent(text)
            | StmtKind::Customer(text)
            | StmtKind::Note(text)
            | StmtKind::Choose(text)
            | StmtKind::Skip(text)
            | StmtKind::Escalate(text) => text.shift(by),
            StmtKind::NoteWhen { text, when } => {
                text.shift(by);
                when.shift(by);
            }
            StmtKind::Ask(vars) => vars.shift(by),
            StmtKind::Set { var, value } => {
                var.shift(by);
                value.shift(by);
            }
            StmtKind::Option(option) => option.shift(by),
            StmtKind::If { condition, target } => {
                condition.shift(by);
                target.shift(by);
            }
            StmtKind::End(outcome) => outcome.shift(by),
            StmtKind::Call { tree, then } => {
                tree.shift(by);
                then.shift(by);
            }
            StmtKind::Return | StmtKind::Back => {}
            StmtKind::Wait { amount, unit: _ } => amount.shift(by),
            StmtKind::Given { var, value } => {
                var.shift(by);
                value.shift(by);
            }
            StmtKind::Rating {
                var,
                question,
                range,
            } => {
                var.shift(by);
                question.shift(by);
                range.shift(by);
            }
            StmtKind::FeedbackComment { var, question } => {
                var.shift(by);
                question.shift(by);
            }
            StmtKind::As(audience, locale) => {
                audience.shift(by);
                if let Some(locale) = locale {
                    locale.shift(by);
                }
            }
            StmtKind::Answer { var, value } => {
                var.shift(by);
                value.shift(by);
            }
            StmtKind::Expect(expectation) => expectation.shift(by),
            StmtKind::Error(line) => line.shift(by),
        }
    }
}

impl Shift for AudienceRef {
    fn shift(&mut self, by: isize) {
        let AudienceRef { name, audience: _ } = self;
        name.shift(by);
    }
}

impl Shift for OptionStmt {
    fn shift(&mut self, by: isize) {
        let OptionStmt {
            label,
            target,
            only,
            guard,
            effects,
        } = self;
        label.shift(by);
        target.shift(by);
        if let Some((_, span)) = only {
            span.shift(by);
        }
        guard.shift(by);
        for effect in effects {
            effect.shift(by);
        }
    }
}

impl Shift for Effect {
    fn shift(&mut self, by: isize) {
        let Effect { var, value, span } = self;
        var.shift(by);
        value.shift(by);
        span.shift(by);
    }
}

impl Shift for Outcome {
    fn shift(&mut self, by: isize) {
        let Outcome {
            kind,
            result,
            code,
            span,
        } = self;
        match kind {
            OutcomeKind::Resolved | OutcomeKind::Callback | OutcomeKind::Abandoned => {}
            OutcomeKind::Escalated(team) => team.shift(by),
            OutcomeKind::Transferred(queue) => queue.shift(by),
            OutcomeKind::Referred(to) => to.shift(by),
        }
        result.shift(by);
        code.shift(by);
        span.shift(by);
    }
}

impl Shift for Expectation {
    fn shift(&mut self, by: isize) {
        match self {
            Expectation::End(outcome) => outcome.shift(by),
            Expectation::Node(name) => name.shift(by),
            Expectation::Field { var, value } => {
                var.shift(by);
                value.shift(by);
            }
            Expectation::TextContains(text) => text.shift(by),
            Expectation::Option { label, offered: _ } => label.shift(by),
        }
    }
}

impl Shift for Text {
    fn shift(&mut self, by: isize) {
        let Text { segments, span } = self;
        segments.shift(by);
        span.shift(by);
    }
}

impl Shift for Segment {
    fn shift(&mut self, by: isize) {
        match self {
            Segment::Literal(_) => {}
            Segment::Field(name) => name.shift(by),
            Segment::Expr(expr) => expr.shift(by),
        }
    }
}

impl Shift for Pattern {
    fn shift(&mut self, by: isize) {
        let Pattern {
            regex: _,
            span,
            description,
        } = self;
        span.shift(by);
        if let Some(description) = description {
            description.shift(by);
        }
    }
}

impl Shift for Number {
    fn shift(&mut self, by: isize) {
        let Number {
            value: _,
            text: _,
            span,
        } = self;
        span.shift(by);
    }
}

impl Shift for Range {
    fn shift(&mut self, by: isize) {
        let Range { min, max, span } = self;
        min.shift(by);
        max.shift(by);
        span.shift(by);
    }
}

impl Shift for Literal {
    fn shift(&mut self, by: isize) {
        let Literal { kind, span } = self;
        match kind {
            LiteralKind::Number(number) => number.shift(by),
            LiteralKind::Text(text) => text.shift(by),
            LiteralKind::Bool(_) => {}
            LiteralKind::Choice(ident) => ident.shift(by),
        }
        span.shift(by);
    }
}

impl Shift for Expr {
    fn shift(&mut self, by: isize) {
        let Expr { kind, span } = self;
        match kind {
            ExprKind::Number(number) => number.shift(by),
            ExprKind::Text(text) => text.shift(by),
            ExprKind::Bool(_) => {}
            ExprKind::Name(ident) => ident.shift(by),
            ExprKind::Call { func, args } => {
                func.shift(by);
                args.shift(by);
            }
            ExprKind::Not(operand) | ExprKind::Neg(operand) | ExprKind::Paren(operand) => {
                operand.shift(by)
            }
            ExprKind::Binary { op: _, lhs, rhs } => {
                lhs.shift(by);
                rhs.shift(by);
            }
        }
        span.shift(by);
    }
}

impl Shift for Diagnostic {
    fn shift(&mut self, by: isize) {
        let Diagnostic {
            code: _,
            severity: _,
            span,
            message: _,
            hints: _,
            related,
        } = self;
        span.shift(by);
        related.shift(by);
    }
}

impl Shift for Related {
    fn shift(&mut self, by: isize) {
        let Related { span, message: _ } = self;
        span.shift(by);
    }
}

impl Shift for SourceFile {
    fn shift(&mut self, by: isize) {
        let SourceFile { items, trailing } = self;
        items.shift(by);
        trailing.shift(by);
    }
}

impl Shift for Item {
    fn shift(&mut self, by: isize) {
        let Item {
            leading,
            kind,
            comment,
            body,
            trailing,
            span,
        } = self;
        leading.shift(by);
        kind.shift(by);
        comment.shift(by);
        body.shift(by);
        trailing.shift(by);
        span.shift(by);
    }
}

impl Shift for Stmt {
    fn shift(&mut self, by: isize) {
        let Stmt {
            leading,
            kind,
            comment,
            span,
        } = self;
        leading.shift(by);
        kind.shift(by);
        comment.shift(by);
        span.shift(by);
    }
}

impl Shift for Trivia {
    fn shift(&mut self, by: isize) {
        match self {
            Trivia::Blank => {}
            Trivia::Comment(comment) => comment.shift(by),
        }
    }
}
