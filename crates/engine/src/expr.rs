//! Conditions and arithmetic: type checking at load time, fast evaluation at run time.
//!
//! Expressions are compiled once: names become slots or node ids, choice words become value
//! indexes, date literals become dates. Evaluation then never looks anything up by name, which
//! keeps stepping fast however many fields a tree has.

use std::borrow::Cow;
use std::collections::HashMap;

use calltree_syntax::{self as syntax, BinaryOp, Diagnostic, ExprKind, Span};

use crate::codes;
use crate::model::{NodeId, Slot, Variable};
use crate::value::{Date, Type, Value};

/// A compiled, type-checked expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Const(Value),
    Var(Slot),
    Visited(NodeId),
    Count(NodeId),
    Answered(Slot),
    /// `minutes_in_call()`: minutes from the call's first event to the latest.
    MinutesInCall,
    /// `minutes_at_step()`: minutes from arriving at the current step to the latest event.
    MinutesAtStep,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A text with placeholders (`"HR {hr}"`): its parts joined into one text.
    Join(Vec<JoinPart>),
    /// `count(labs, ecg, xray)` over yes/no fields: how many are yes.
    CountYes(Vec<Slot>),
    /// `count(resources)` over a checklist: how many of its values are ticked.
    CountTicked(Slot),
}

/// One part of a text with placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JoinPart {
    Text(String),
    /// A value, and the labels of its choices when it is a choice (shown by label).
    Value(Expr, Vec<String>),
}

/// What evaluation reads: the session's values, visit counts and event times. Time is the
/// events' own (`at`), never a clock, so a log folds to the same state whenever it is read.
pub(crate) trait Env {
    fn value(&self, slot: Slot) -> &Value;
    fn visits(&self, node: NodeId) -> u32;
    fn minutes_in_call(&self) -> f64;
    fn minutes_at_step(&self) -> f64;
}

impl Expr {
    /// The slots this condition proves answered when it holds: `answered(x)`, alone or joined
    /// with `and`.
    pub(crate) fn answered_when_true(&self, out: &mut Vec<Slot>) {
        match self {
            Expr::Answered(slot) => out.push(*slot),
            Expr::Binary(BinaryOp::And, lhs, rhs) => {
                lhs.answered_when_true(out);
                rhs.answered_when_true(out);
            }
            _ => {}
        }
    }

    /// Whether the expression is the constant yes (`if yes -> ...`), whatever the call.
    pub(crate) fn is_always_true(&self) -> bool {
        matches!(self, Expr::Const(Value::Bool(true)))
    }

    pub(crate) fn eval(&self, env: &impl Env) -> Value {
        match self {
            Expr::Const(value) => value.clone(),
            Expr::Var(slot) => env.value(*slot).clone(),
            Expr::Visited(node) => Value::Bool(env.visits(*node) > 0),
            Expr::Count(node) => Value::Number(f64::from(env.visits(*node))),
            Expr::Answered(slot) => Value::Bool(env.value(*slot).is_set()),
            Expr::MinutesInCall => Value::Number(env.minutes_in_call()),
            Expr::MinutesAtStep => Value::Number(env.minutes_at_step()),
            Expr::Not(operand) => match operand.eval(env) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Unset,
            },
            Expr::Neg(operand) => match operand.eval(env) {
                Value::Number(n) => Value::Number(-n),
                _ => Value::Unset,
            },
            Expr::Binary(op, lhs, rhs) => binary(*op, lhs, rhs, env),
            Expr::CountTicked(slot) => Value::Number(match env.value(*slot) {
                Value::Checked(ticked) => ticked.len() as f64,
                _ => 0.0,
            }),
            Expr::CountYes(slots) => Value::Number(
                slots
                    .iter()
                    .filter(|slot| matches!(env.value(**slot), Value::Bool(true)))
                    .count() as f64,
            ),
            Expr::Join(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        JoinPart::Text(literal) => text.push_str(literal),
                        JoinPart::Value(expr, labels) => match expr.eval(env) {
                            Value::Text(value) => text.push_str(&value),
                            Value::Choice(index) if !labels.is_empty() => text.push_str(
                                labels.get(usize::from(index)).map_or("—", String::as_str),
                            ),
                            Value::Checked(ticked) if !labels.is_empty() && !ticked.is_empty() => {
                                let shown: Vec<&str> = ticked
                                    .iter()
                                    .map(|i| {
                                        labels.get(usize::from(*i)).map_or("—", String::as_str)
                                    })
                                    .collect();
                                text.push_str(&shown.join(", "));
                            }
                            value => text.push_str(&crate::session::display(None, &value)),
                        },
                    }
                }
                Value::Text(text)
            }
        }
    }

    /// A condition holds only when it evaluates to yes; an unanswered field makes it not hold.
    pub(crate) fn holds(&self, env: &impl Env) -> bool {
        self.truth(env) == Some(true)
    }

    /// `Some(b)` exactly when [`Expr::eval`] gives `Value::Bool(b)`, worked out without
    /// building the values a comparison reads: guards are evaluated for every option of
    /// every step shown, and copying a field's value to compare it was most of their cost.
    fn truth(&self, env: &impl Env) -> Option<bool> {
        match self {
            Expr::Const(Value::Bool(b)) => Some(*b),
            Expr::Var(slot) => match env.value(*slot) {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
            Expr::Visited(node) => Some(env.visits(*node) > 0),
            Expr::Answered(slot) => Some(env.value(*slot).is_set()),
            Expr::Not(operand) => operand.truth(env).map(|b| !b),
            Expr::Binary(op, lhs, rhs) => match op {
                BinaryOp::And => Some(lhs.holds(env) && rhs.holds(env)),
                BinaryOp::Or => Some(lhs.holds(env) || rhs.holds(env)),
                // Arithmetic gives a number or no value, never yes or no.
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => None,
                _ => Some(compare(*op, &lhs.operand(env), &rhs.operand(env))),
            },
            other => match other.eval(env) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// The value an operand evaluates to, borrowed where it already exists (a constant, a
    /// field's value) instead of copied.
    fn operand<'a, E: Env>(&'a self, env: &'a E) -> Cow<'a, Value> {
        match self {
            Expr::Const(value) => Cow::Borrowed(value),
            Expr::Var(slot) => Cow::Borrowed(env.value(*slot)),
            other => Cow::Owned(other.eval(env)),
        }
    }

    /// Every slot the expression reads. `answered(x)` asks whether a value exists rather than
    /// reading it, and in `answered(x) and ...` the right-hand side only runs when `x` has a
    /// value, so its reads of `x` are safe and not listed.
    pub(crate) fn reads(&self, out: &mut Vec<Slot>) {
        self.reads_unless(&[], out);
    }

    fn reads_unless(&self, guarded: &[Slot], out: &mut Vec<Slot>) {
        match self {
            Expr::Var(slot) if !guarded.contains(slot) => out.push(*slot),
            Expr::Not(e) | Expr::Neg(e) => e.reads_unless(guarded, out),
            Expr::Binary(BinaryOp::And, l, r) => {
                l.reads_unless(guarded, out);
                let mut guarded = guarded.to_vec();
                l.answered_slots(&mut guarded);
                r.reads_unless(&guarded, out);
            }
            // Nothing ticked is an answer `has` can read: an unanswered checklist has none.
            Expr::Binary(BinaryOp::Has, l, r) if matches!(**l, Expr::Var(_)) => {
                r.reads_unless(guarded, out);
            }
            Expr::Binary(_, l, r) => {
                l.reads_unless(guarded, out);
                r.reads_unless(guarded, out);
            }
            Expr::Join(parts) => {
                for part in parts {
                    if let JoinPart::Value(e, _) = part {
                        e.reads_unless(guarded, out);
                    }
                }
            }
            Expr::CountYes(slots) => {
                out.extend(slots.iter().filter(|s| !guarded.contains(s)).copied());
            }
            // Nothing ticked counts 0, so an unanswered checklist is safe to count.
            Expr::CountTicked(_) => {}
            _ => {}
        }
    }

    /// Slots that `answered(...)` checks in a chain of `and`s.
    fn answered_slots(&self, out: &mut Vec<Slot>) {
        match self {
            Expr::Answered(slot) => out.push(*slot),
            Expr::Binary(BinaryOp::And, l, r) => {
                l.answered_slots(out);
                r.answered_slots(out);
            }
            _ => {}
        }
    }

    /// Numbers a slot is compared with anywhere in the expression (`amount > 50` gives 50):
    /// the boundaries where a call's path changes.
    pub(crate) fn compared_numbers(&self, slot: Slot, out: &mut Vec<f64>) {
        match self {
            Expr::Binary(op, l, r) => {
                if !matches!(op, BinaryOp::And | BinaryOp::Or) {
                    match (&**l, &**r) {
                        (Expr::Var(s), Expr::Const(Value::Number(n)))
                        | (Expr::Const(Value::Number(n)), Expr::Var(s))
                            if *s == slot =>
                        {
                            out.push(*n);
                        }
                        _ => {}
                    }
                }
                l.compared_numbers(slot, out);
                r.compared_numbers(slot, out);
            }
            Expr::Not(e) | Expr::Neg(e) => e.compared_numbers(slot, out),
            _ => {}
        }
    }

    /// Whether the expression reads the call's time, and every number it compares the time
    /// with (`minutes_in_call() > 30` gives 30): walks move time on past them.
    pub(crate) fn compared_minutes(&self, out: &mut Vec<f64>) -> bool {
        match self {
            Expr::MinutesInCall | Expr::MinutesAtStep => true,
            Expr::Binary(op, l, r) => {
                if !matches!(op, BinaryOp::And | BinaryOp::Or) {
                    match (&**l, &**r) {
                        (
                            Expr::MinutesInCall | Expr::MinutesAtStep,
                            Expr::Const(Value::Number(n)),
                        )
                        | (
                            Expr::Const(Value::Number(n)),
                            Expr::MinutesInCall | Expr::MinutesAtStep,
                        ) => out.push(*n),
                        _ => {}
                    }
                }
                let left = l.compared_minutes(out);
                r.compared_minutes(out) || left
            }
            Expr::Not(e) | Expr::Neg(e) => e.compared_minutes(out),
            _ => false,
        }
    }

    /// Every slot named anywhere, `answered(...)` included: what counts as "used".
    pub(crate) fn mentions(&self, out: &mut Vec<Slot>) {
        if let Expr::Answered(slot) | Expr::CountTicked(slot) = self {
            out.push(*slot);
        }
        match self {
            Expr::Not(e) | Expr::Neg(e) => e.mentions(out),
            Expr::Binary(_, l, r) => {
                l.mentions(out);
                r.mentions(out);
            }
            Expr::Join(parts) => {
                for part in parts {
                    if let JoinPart::Value(e, _) = part {
                        e.mentions(out);
                    }
                }
            }
            _ => self.reads(out),
        }
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, env: &impl Env) -> Value {
    // `and`/`or` short-circuit: a guard like `answered(x) and x > 2` never reads an unset x.
    match op {
        BinaryOp::And => Value::Bool(lhs.holds(env) && rhs.holds(env)),
        BinaryOp::Or => Value::Bool(lhs.holds(env) || rhs.holds(env)),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            match (&*lhs.operand(env), &*rhs.operand(env)) {
                (Value::Number(a), Value::Number(b)) => {
                    let result = match op {
                        BinaryOp::Add => a + b,
                        BinaryOp::Sub => a - b,
                        BinaryOp::Mul => a * b,
                        _ => a / b,
                    };
                    // Division by zero gives no value rather than infinity in a call summary.
                    if result.is_finite() {
                        Value::Number(result)
                    } else {
                        Value::Unset
                    }
                }
                _ => Value::Unset,
            }
        }
        _ => Value::Bool(compare(op, &lhs.operand(env), &rhs.operand(env))),
    }
}

/// A comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`, `has`) of two evaluated operands.
fn compare(op: BinaryOp, l: &Value, r: &Value) -> bool {
    match op {
        BinaryOp::Eq | BinaryOp::Ne => {
            if !l.is_set() || !r.is_set() {
                // An unanswered field equals nothing and differs from everything.
                return op == BinaryOp::Ne;
            }
            (l == r) == (op == BinaryOp::Eq)
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = match (l, r) {
                (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
                (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
                _ => None,
            };
            let Some(ordering) = ordering else {
                return false;
            };
            match op {
                BinaryOp::Lt => ordering.is_lt(),
                BinaryOp::Le => ordering.is_le(),
                BinaryOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            }
        }
        // An unanswered checklist has nothing ticked.
        BinaryOp::Has => match (l, r) {
            (Value::Checked(ticked), Value::Choice(index)) => ticked.contains(index),
            _ => false,
        },
        // Not comparisons; `binary` answers them before asking here.
        BinaryOp::And | BinaryOp::Or => false,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => false,
    }
}

/// A name that should be a node of the tree but is not: in a `->`, a `start:`, or a
/// `visited(...)`. One diagnostic for all of them.
pub(crate) fn unknown_node(name: &str, span: Span, nodes: &[&str]) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        codes::UNKNOWN_TARGET,
        span,
        format!("there is no node called `{name}` in this tree"),
    );
    match syntax::nearest(name, nodes) {
        Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
        None => diagnostic.with_hint(format!("add a block `node {name}`")),
    }
}

/// What the compiler needs to know to resolve names in one tree.
pub(crate) struct Scope<'a> {
    /// The tree's own declarations: a tree reads only what it declares.
    pub variables: &'a [Variable],
    /// Name to position in `variables`.
    pub variable_names: &'a HashMap<String, usize>,
    pub node_names: &'a HashMap<String, NodeId>,
    /// The file's text, to quote operands in messages.
    pub source: &'a str,
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

/// An operand before its type is known: a bare word may be a value of a choice field.
enum Operand {
    Typed(Expr, Type),
    Word(String, Span),
}

const FUNCTIONS: &str = "`visited(node)`, `count(node)`, `count(yes/no fields...)`, `count(checklist)`, `answered(field)`, `minutes_in_call()` and `minutes_at_step()`";

/// The functions of the call's time, which take nothing.
const TIME_FUNCTIONS: [&str; 2] = ["minutes_in_call", "minutes_at_step"];

/// Whether a function of conditions takes a node name (`visited(x)`, `count(x)`) rather than a
/// field name (`answered(x)`). Renaming a node relies on this to find every reference.
pub(crate) fn takes_node(func: &str) -> bool {
    matches!(func, "visited" | "count")
}

impl Scope<'_> {
    fn quote(&self, span: Span) -> String {
        let text = self.source.get(span.range()).unwrap_or("this value").trim();
        if text.chars().count() > 40 {
            "this value".to_owned()
        } else {
            format!("`{text}`")
        }
    }

    fn error(
        &mut self,
        code: calltree_syntax::Code,
        span: Span,
        message: String,
    ) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::new(code, span, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    pub(crate) fn unknown_variable(&mut self, name: &str, span: Span) {
        let names: Vec<&str> = self.variable_names.keys().map(String::as_str).collect();
        let suggestion = syntax::nearest(name, &names);
        let diagnostic = self.error(
            codes::UNKNOWN_VARIABLE,
            span,
            format!("there is no field or flag called `{name}`"),
        );
        diagnostic.hints.push(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("declare it with `field {name}: text` or `flag {name}`"),
        });
    }

    /// Compiles a condition: it must be yes/no.
    /// Compiles the expression of a placeholder (`{restarts + 1}`): any type, shown as text.
    pub(crate) fn shown_value(&mut self, expr: &syntax::Expr) -> Option<(Expr, Type)> {
        self.typed(expr)
    }

    pub(crate) fn condition(&mut self, expr: &syntax::Expr) -> Option<Expr> {
        let (compiled, ty) = self.typed(expr)?;
        if ty != Type::Bool {
            let what = self.quote(expr.span);
            self.error(
                codes::TYPE_ERROR,
                expr.span,
                format!(
                    "a condition must be yes or no, but {what} is {}",
                    ty.describe()
                ),
            )
            .hints
            .push("compare it with something, like `restarts < 2` or `plan == pro`".into());
            return None;
        }
        Some(compiled)
    }

    /// Compiles the value `set` stores into the tree's variable at position `index`.
    pub(crate) fn value_for(&mut self, index: usize, expr: &syntax::Expr) -> Option<Expr> {
        let want = self.variables[index].ty;
        let operand = self.operand(expr)?;
        self.coerce(operand, want, expr.span).or_else(|| {
            let name = self.variables[index].name.clone();
            let what = self.quote(expr.span);
            self.error(
                codes::TYPE_ERROR,
                expr.span,
                format!(
                    "`{name}` holds {}, so it cannot be set to {what}",
                    want.describe()
                ),
            );
            None
        })
    }

    fn typed(&mut self, expr: &syntax::Expr) -> Option<(Expr, Type)> {
        match self.operand(expr)? {
            Operand::Typed(e, t) => Some((e, t)),
            Operand::Word(name, span) => {
                self.unknown_variable(&name, span);
                None
            }
        }
    }

    /// Turns an operand into an expression of type `want`, or `None` if it cannot be one.
    /// Choice words and text naming a choice value become that value; text in `YYYY-MM-DD`
    /// form becomes a date when a date is wanted.
    fn coerce(&mut self, operand: Operand, want: Type, span: Span) -> Option<Expr> {
        match (operand, want) {
            (Operand::Typed(e, t), want) if t == want => Some(e),
            (Operand::Word(word, _), Type::Choice(field))
            | (Operand::Typed(Expr::Const(Value::Text(word)), Type::Text), Type::Choice(field)) => {
                let variable = self.variables.iter().find(|v| v.slot == field)?;
                if let Some(index) = variable.choices.iter().position(|c| c.value == word) {
                    return Some(Expr::Const(Value::Choice(
                        u16::try_from(index).unwrap_or(u16::MAX),
                    )));
                }
                let values: Vec<&str> = variable.choices.iter().map(|c| c.value.as_str()).collect();
                let listed = values.join(", ");
                let name = variable.name.clone();
                let suggestion = syntax::nearest(&word, &values);
                let diagnostic = self.error(
                    codes::TYPE_ERROR,
                    span,
                    format!("`{word}` is not one of the values of `{name}` ({listed})"),
                );
                if let Some(s) = suggestion {
                    diagnostic.hints.push(format!("did you mean `{s}`?"));
                }
                // Reported here; the caller must not report it again.
                Some(Expr::Const(Value::Unset))
            }
            (Operand::Typed(Expr::Const(Value::Text(text)), Type::Text), Type::Date) => {
                match Date::parse(&text) {
                    Some(date) => Some(Expr::Const(Value::Date(date))),
                    None => {
                        self.error(codes::TYPE_ERROR, span, format!("\"{text}\" is not a date"))
                            .hints
                            .push("write dates as \"YYYY-MM-DD\", like \"2026-11-23\"".into());
                        Some(Expr::Const(Value::Unset))
                    }
                }
            }
            (Operand::Word(word, span), _) => {
                self.unknown_variable(&word, span);
                Some(Expr::Const(Value::Unset))
            }
            _ => None,
        }
    }

    fn operand(&mut self, expr: &syntax::Expr) -> Option<Operand> {
        let span = expr.span;
        let typed = |e, t| Some(Operand::Typed(e, t));
        match &expr.kind {
            ExprKind::Number(n) => typed(Expr::Const(Value::Number(n.value)), Type::Number),
            ExprKind::Text(text) => {
                if text
                    .segments
                    .iter()
                    .all(|s| matches!(s, syntax::Segment::Literal(_)))
                {
                    return typed(Expr::Const(Value::Text(text.to_plain())), Type::Text);
                }
                let mut parts = Vec::with_capacity(text.segments.len());
                for segment in &text.segments {
                    let (compiled, ty) = match segment {
                        syntax::Segment::Literal(literal) => {
                            parts.push(JoinPart::Text(literal.clone()));
                            continue;
                        }
                        syntax::Segment::Field(name) => {
                            match self.variable_names.get(name.as_str()) {
                                Some(&index) => {
                                    let variable = &self.variables[index];
                                    (Expr::Var(variable.slot), variable.ty)
                                }
                                None => {
                                    self.unknown_variable(name.as_str(), name.span());
                                    return None;
                                }
                            }
                        }
                        syntax::Segment::Expr(inner) => self.typed(inner)?,
                    };
                    let labels = match ty {
                        Type::Choice(field) | Type::Choices(field) => self
                            .variables
                            .iter()
                            .find(|v| v.slot == field)
                            .map(|v| v.choices.iter().map(|c| c.shown().to_owned()).collect())
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    parts.push(JoinPart::Value(compiled, labels));
                }
                typed(Expr::Join(parts), Type::Text)
            }
            ExprKind::Bool(word) => typed(Expr::Const(Value::Bool(word.value())), Type::Bool),
            ExprKind::Name(ident) => match self.variable_names.get(&ident.text) {
                Some(&index) => {
                    let variable = &self.variables[index];
                    typed(Expr::Var(variable.slot), variable.ty)
                }
                None => Some(Operand::Word(ident.text.clone(), ident.span)),
            },
            ExprKind::Paren(inner) => self.operand(inner),
            ExprKind::Not(inner) => {
                let (e, t) = self.typed(inner)?;
                self.expect(t, Type::Bool, inner.span, "`not` needs a yes/no value")?;
                typed(Expr::Not(Box::new(e)), Type::Bool)
            }
            ExprKind::Neg(inner) => {
                let (e, t) = self.typed(inner)?;
                self.expect(t, Type::Number, inner.span, "`-` needs a number")?;
                typed(Expr::Neg(Box::new(e)), Type::Number)
            }
            ExprKind::Call { func, args } => self.call(func, args, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
        }
    }

    fn expect(&mut self, got: Type, want: Type, span: Span, why: &str) -> Option<()> {
        if got == want {
            return Some(());
        }
        let what = self.quote(span);
        self.error(
            codes::TYPE_ERROR,
            span,
            format!("{why}, but {what} is {}", got.describe()),
        );
        None
    }

    fn call(&mut self, func: &syntax::Ident, args: &[syntax::Expr], span: Span) -> Option<Operand> {
        let name = func.text.as_str();
        if TIME_FUNCTIONS.contains(&name) {
            if !args.is_empty() {
                self.error(
                    codes::UNKNOWN_FUNCTION,
                    span,
                    format!("`{name}` takes nothing between its brackets: `{name}()`"),
                );
                return None;
            }
            let expr = if name == "minutes_in_call" {
                Expr::MinutesInCall
            } else {
                Expr::MinutesAtStep
            };
            return Some(Operand::Typed(expr, Type::Number));
        }
        if !matches!(name, "visited" | "count" | "answered") {
            let suggestion = syntax::nearest(
                name,
                &[
                    "visited",
                    "count",
                    "answered",
                    "minutes_in_call",
                    "minutes_at_step",
                ],
            );
            let diagnostic = self.error(
                codes::UNKNOWN_FUNCTION,
                func.span,
                format!("there is no function called `{name}`"),
            );
            diagnostic.hints.push(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the functions are {FUNCTIONS}"),
            });
            return None;
        }
        if name == "count"
            && let Some(slots) = self.yes_no_fields(args)
        {
            return Some(Operand::Typed(Expr::CountYes(slots), Type::Number));
        }
        if name == "count"
            && let [
                syntax::Expr {
                    kind: ExprKind::Name(ident),
                    ..
                },
            ] = args
            && !self.node_names.contains_key(&ident.text)
            && let Some(&index) = self.variable_names.get(&ident.text)
            && let Type::Choices(slot) = self.variables[index].ty
        {
            return Some(Operand::Typed(Expr::CountTicked(slot), Type::Number));
        }
        let arg = match args {
            [
                syntax::Expr {
                    kind: ExprKind::Name(ident),
                    ..
                },
            ] => ident,
            _ => {
                let what = if takes_node(name) { "node" } else { "field" };
                let message = if name == "count" {
                    "`count` takes one node name, like `count(x)`, or yes/no fields, like `count(labs, ecg, xray)`".to_owned()
                } else {
                    format!("`{name}` takes one {what} name, like `{name}(x)`")
                };
                self.error(codes::UNKNOWN_FUNCTION, span, message);
                return None;
            }
        };
        if !takes_node(name) {
            let Some(&index) = self.variable_names.get(&arg.text) else {
                self.unknown_variable(&arg.text, arg.span);
                return None;
            };
            return Some(Operand::Typed(
                Expr::Answered(self.variables[index].slot),
                Type::Bool,
            ));
        }
        let Some(&node) = self.node_names.get(&arg.text) else {
            let names: Vec<&str> = self.node_names.keys().map(String::as_str).collect();
            self.diagnostics
                .push(unknown_node(&arg.text, arg.span, &names));
            return None;
        };
        Some(if name == "visited" {
            Operand::Typed(Expr::Visited(node), Type::Bool)
        } else {
            Operand::Typed(Expr::Count(node), Type::Number)
        })
    }

    /// The arguments of `count(a, b, ...)` as yes/no fields, when every one is a declared
    /// yes/no field or flag and none is a node's name (`count(node)` counts visits).
    fn yes_no_fields(&mut self, args: &[syntax::Expr]) -> Option<Vec<Slot>> {
        let mut slots = Vec::with_capacity(args.len());
        for arg in args {
            let ExprKind::Name(ident) = &arg.kind else {
                return None;
            };
            if self.node_names.contains_key(&ident.text) {
                return None;
            }
            let &index = self.variable_names.get(&ident.text)?;
            if self.variables[index].ty != Type::Bool {
                return None;
            }
            slots.push(self.variables[index].slot);
        }
        (!slots.is_empty()).then_some(slots)
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &syntax::Expr,
        rhs: &syntax::Expr,
        span: Span,
    ) -> Option<Operand> {
        let build = |l: Expr, r: Expr| Expr::Binary(op, Box::new(l), Box::new(r));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.typed(lhs);
                let r = self.typed(rhs);
                let ((le, lt), (re, rt)) = (l?, r?);
                let why = format!("`{}` joins yes/no values", op.as_str());
                self.expect(lt, Type::Bool, lhs.span, &why)?;
                self.expect(rt, Type::Bool, rhs.span, &why)?;
                Some(Operand::Typed(build(le, re), Type::Bool))
            }
            BinaryOp::Has => self.has(lhs, rhs),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let l = self.typed(lhs);
                let r = self.typed(rhs);
                let ((le, lt), (re, rt)) = (l?, r?);
                let why = format!("`{}` works on numbers", op.as_str());
                self.expect(lt, Type::Number, lhs.span, &why)?;
                self.expect(rt, Type::Number, rhs.span, &why)?;
                Some(Operand::Typed(build(le, re), Type::Number))
            }
            _ => {
                let l = self.operand(lhs);
                let r = self.operand(rhs);
                let (mut l, mut r) = (l?, r?);
                // Beside a choice field, a bare word that is one of its values means that
                // value, even when a field has the same name: `reminder == email`.
                if let Some(word) = self.choice_word(&l, rhs) {
                    r = word;
                } else if let Some(word) = self.choice_word(&r, lhs) {
                    l = word;
                }
                let (le, re, ty) = self.unify(l, r, lhs.span, rhs.span)?;
                let ordering = matches!(
                    op,
                    BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
                );
                if ordering && !matches!(ty, Type::Number | Type::Date) {
                    self.error(
                        codes::TYPE_ERROR,
                        span,
                        format!(
                            "`{}` compares numbers or dates, not {}",
                            op.as_str(),
                            ty.describe()
                        ),
                    )
                    .hints
                    .push("use `==` or `!=` to compare other values".into());
                    return None;
                }
                Some(Operand::Typed(build(le, re), Type::Bool))
            }
        }
    }

    /// `resources has ecg`: the left side must be a checklist and the right one of its values.
    fn has(&mut self, lhs: &syntax::Expr, rhs: &syntax::Expr) -> Option<Operand> {
        let (list, ty) = self.typed(lhs)?;
        let Type::Choices(field) = ty else {
            let what = self.quote(lhs.span);
            self.error(
                codes::TYPE_ERROR,
                lhs.span,
                format!(
                    "`has` looks in a checklist, but {what} is {}",
                    ty.describe()
                ),
            )
            .hints
            .push("declare the field as `choices(...)`, or compare it with `==`".into());
            return None;
        };
        let variable = self.variables.iter().find(|v| v.slot == field)?;
        let values: Vec<String> = variable.choices.iter().map(|c| c.value.clone()).collect();
        let name = variable.name.clone();
        let word = match &rhs.kind {
            ExprKind::Name(ident) => Some(ident.text.as_str()),
            _ => None,
        };
        if let Some(index) = word.and_then(|w| values.iter().position(|v| v == w)) {
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            let checked = Expr::Const(Value::Choice(index));
            return Some(Operand::Typed(
                Expr::Binary(BinaryOp::Has, Box::new(list), Box::new(checked)),
                Type::Bool,
            ));
        }
        let what = self.quote(rhs.span);
        let listed = values.join(", ");
        let words: Vec<&str> = values.iter().map(String::as_str).collect();
        let suggestion = word.and_then(|w| syntax::nearest(w, &words));
        let diagnostic = self.error(
            codes::TYPE_ERROR,
            rhs.span,
            format!("{what} is not one of the values of the checklist `{name}` ({listed})"),
        );
        diagnostic.hints.push(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "write one of its values after `has`, like `{name} has {}`",
                words.first().copied().unwrap_or("x")
            ),
        });
        None
    }

    fn choice_word(&self, typed: &Operand, other: &syntax::Expr) -> Option<Operand> {
        let (Operand::Typed(_, Type::Choice(field)), ExprKind::Name(ident)) = (typed, &other.kind)
        else {
            return None;
        };
        let variable = self.variables.iter().find(|v| v.slot == *field)?;
        variable
            .choices
            .iter()
            .any(|c| c.value == ident.text)
            .then(|| Operand::Word(ident.text.clone(), ident.span))
    }

    /// Brings both sides of a comparison to one type, converting a literal side to the other
    /// side's type where that makes sense (`plan == pro`, `bought < "2026-01-01"`).
    fn unify(&mut self, l: Operand, r: Operand, ls: Span, rs: Span) -> Option<(Expr, Expr, Type)> {
        let type_of = |o: &Operand| match o {
            Operand::Typed(Expr::Const(Value::Text(_)), _) | Operand::Word(..) => None,
            Operand::Typed(_, t) => Some(*t),
        };
        match (type_of(&l), type_of(&r)) {
            (Some(lt), _) => {
                let le = self.coerce(l, lt, ls)?;
                let re = self.coerce_or_report(r, lt, rs, ls)?;
                Some((le, re, lt))
            }
            (None, Some(rt)) => {
                let re = self.coerce(r, rt, rs)?;
                let le = self.coerce_or_report(l, rt, ls, rs)?;
                Some((le, re, rt))
            }
            (None, None) => match (l, r) {
                (Operand::Word(word, span), _) | (_, Operand::Word(word, span)) => {
                    self.unknown_variable(&word, span);
                    None
                }
                (Operand::Typed(le, lt), Operand::Typed(re, _)) => Some((le, re, lt)),
            },
        }
    }

    fn coerce_or_report(
        &mut self,
        operand: Operand,
        want: Type,
        span: Span,
        other: Span,
    ) -> Option<Expr> {
        let got = match &operand {
            Operand::Typed(_, t) => Some(*t),
            Operand::Word(..) => None,
        };
        if let Some(expr) = self.coerce(operand, want, span) {
            return Some(expr);
        }
        let (this, that) = (self.quote(other), self.quote(span));
        let got = got.map_or("a word", Type::describe);
        self.error(
            codes::TYPE_ERROR,
            other.cover(span),
            format!(
                "{this} is {} and {that} is {got}, so they cannot be compared",
                want.describe()
            ),
        );
        None
    }
}
