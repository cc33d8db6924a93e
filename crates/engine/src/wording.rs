//! How a condition reads to an agent: `restarts < 2 and plan == pro` as "Restarts less than 2
//! and Plan is Pro plan", with the fields' labels and the choices' labels, for the reason a
//! greyed-out option gives. Authors write conditions for the engine; agents on a call should
//! not have to read code.

use calltree_syntax::{self as syntax, BinaryOp, BoolWord, ExprKind};

use crate::expr::Scope;
use crate::model::Variable;
use crate::value::Type;

/// The condition in words. Conditions are at most a line deep (the parser's nesting limit),
/// so following them by recursion is bounded.
pub(crate) fn in_words(expr: &syntax::Expr, scope: &Scope<'_>) -> String {
    let mut out = String::new();
    write(&mut out, expr, scope, None);
    out
}

/// `choices`: the field on the other side of a comparison, whose value words read as its
/// choices' labels.
fn write(out: &mut String, expr: &syntax::Expr, scope: &Scope<'_>, choices: Option<&Variable>) {
    match &expr.kind {
        ExprKind::Number(number) => out.push_str(&number.text),
        ExprKind::Text(text) => {
            out.push('"');
            out.push_str(&text.to_plain());
            out.push('"');
        }
        ExprKind::Bool(word) => out.push_str(match word {
            BoolWord::Yes | BoolWord::True => "yes",
            BoolWord::No | BoolWord::False => "no",
        }),
        ExprKind::Name(ident) => {
            let name = ident.text.as_str();
            match variable(scope, name) {
                Some(variable) => out.push_str(variable.shown_label()),
                None => out.push_str(
                    choices
                        .and_then(|field| field.choices.iter().find(|c| c.value == name))
                        .map_or(name, |choice| choice.shown()),
                ),
            }
        }
        ExprKind::Call { func, args } => {
            let what = match func.text.as_str() {
                "visited" => "visited",
                "count" if args.len() > 1 => "how many of",
                "count" => "times at",
                "answered" => "answered",
                "minutes_in_call" => "minutes in the call",
                "minutes_at_step" => "minutes at this step",
                other => other,
            };
            out.push_str(what);
            if !args.is_empty() {
                out.push(' ');
            }
            for (index, arg) in args.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write(out, arg, scope, None);
            }
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write(out, inner, scope, None);
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write(out, inner, scope, None);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write(out, inner, scope, choices);
            out.push(')');
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let words = match op {
                BinaryOp::Or => "or",
                BinaryOp::And => "and",
                BinaryOp::Eq => "is",
                BinaryOp::Ne => "is not",
                BinaryOp::Lt => "less than",
                BinaryOp::Le => "at most",
                BinaryOp::Gt => "more than",
                BinaryOp::Ge => "at least",
                BinaryOp::Has => "includes",
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "×",
                BinaryOp::Div => "÷",
            };
            let comparing = matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Has);
            let field_of = |side: &syntax::Expr| match &side.kind {
                ExprKind::Name(ident) => variable(scope, &ident.text)
                    .filter(|v| matches!(v.ty, Type::Choice(_) | Type::Choices(_))),
                _ => None,
            };
            let (left_choices, right_choices) = if comparing {
                (field_of(rhs), field_of(lhs))
            } else {
                (None, None)
            };
            write(out, lhs, scope, left_choices);
            out.push(' ');
            out.push_str(words);
            out.push(' ');
            write(out, rhs, scope, right_choices);
        }
    }
}

fn variable<'s>(scope: &'s Scope<'_>, name: &str) -> Option<&'s Variable> {
    scope
        .variable_names
        .get(name)
        .and_then(|&index| scope.variables.get(index))
}
