//! Turns the pest pairs of one line into owned AST nodes: text decoded, numbers parsed.
//!
//! The grammar guarantees the shape of the pairs, but nothing here trusts that blindly: every
//! step that expects a child returns `None` when it is missing, and the caller turns that into
//! an error line. A grammar change that forgets this file is a diagnostic, never a panic.

use std::iter::Peekable;

use pest::iterators::{Pair, Pairs};

use crate::ast::{
    Audience, AudienceRef, BinaryOp, BoolWord, ChoiceItem, Comment, Effect, Expectation, Expr,
    ExprKind, FieldDecl, FieldType, FieldTypeKind, FlagDecl, Ident, ItemKind, Literal, LiteralKind,
    NodeHead, NodeKind, NodeName, Number, Offered, OptionStmt, Outcome, OutcomeKind, Pattern,
    Range, Segment, StmtKind, TestHead, Text, TimeUnit, TreeHead, TreeName, UseDecl, VarName,
};
use crate::diagnostic::Diagnostic;
use crate::grammar::Rule;
use crate::{Span, codes};

type P<'i> = Pair<'i, Rule>;

/// Words that read as operators or values in conditions, so they cannot name a field or flag.
const RESERVED: &[&str] = &["and", "or", "not", "yes", "no", "true", "false"];

pub(crate) struct Convert<'d> {
    /// Offset of the line's first parsed character in the file.
    base: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// A fast-path expression was refused: the line must be read with the reference rules.
    pub(crate) refused: bool,
}

fn kids<'i>(pair: &P<'i>) -> Vec<P<'i>> {
    pair.clone().into_inner().collect()
}

fn find<'i>(kids: &[P<'i>], rule: Rule) -> Option<P<'i>> {
    kids.iter().find(|p| p.as_rule() == rule).cloned()
}

/// The first display text among `kids`, in the reference's shape or the fast path's.
fn find_text<'i>(kids: &[P<'i>]) -> Option<P<'i>> {
    kids.iter()
        .find(|p| {
            matches!(
                p.as_rule(),
                Rule::template | Rule::simple_template | Rule::fast_template
            )
        })
        .cloned()
}

/// The first expression among `kids`, in the reference's shape or the fast path's.
fn find_expr<'i>(kids: &[P<'i>]) -> Option<P<'i>> {
    kids.iter()
        .find(|p| matches!(p.as_rule(), Rule::expr | Rule::fast_expr))
        .cloned()
}

fn find_all<'a, 'i>(kids: &'a [P<'i>], rule: Rule) -> impl Iterator<Item = &'a P<'i>> {
    kids.iter().filter(move |p| p.as_rule() == rule)
}

/// Stores `value` unless the slot is taken; a taken slot returns `what` for the diagnostic.
/// The first one written wins, so a duplicate never silently replaces what came before it.
fn keep_first<T>(slot: &mut Option<T>, value: T, what: &'static str) -> Option<&'static str> {
    if slot.is_some() {
        Some(what)
    } else {
        *slot = Some(value);
        None
    }
}

impl<'d> Convert<'d> {
    pub(crate) fn new(base: usize, diagnostics: &'d mut Vec<Diagnostic>) -> Self {
        Convert {
            base,
            diagnostics,
            refused: false,
        }
    }

    fn span(&self, pair: &P<'_>) -> Span {
        let span = pair.as_span();
        Span::new(span.start(), span.end()).shifted(self.base)
    }

    /// Splits a `top_line`/`body_line` pair into its statement and its trailing comment.
    fn line_parts<'i>(&self, line: P<'i>) -> (Option<P<'i>>, Option<Comment>) {
        let mut stmt = None;
        let mut comment = None;
        for pair in line.into_inner() {
            match pair.as_rule() {
                Rule::trailing_comment => {
                    comment = Some(Comment {
                        text: pair.as_str()[1..].trim_end().to_owned(),
                        span: self.span(&pair),
                    });
                }
                Rule::EOI => {}
                _ => stmt = Some(pair),
            }
        }
        (stmt, comment)
    }

    pub(crate) fn top_line(&mut self, line: P<'_>) -> Option<(ItemKind, Span, Option<Comment>)> {
        let (stmt, comment) = self.line_parts(line);
        let stmt = stmt?;
        let span = self.span(&stmt);
        Some((self.item_kind(&stmt)?, span, comment))
    }

    pub(crate) fn body_line(&mut self, line: P<'_>) -> Option<(StmtKind, Span, Option<Comment>)> {
        let (stmt, comment) = self.line_parts(line);
        let stmt = stmt?;
        let span = self.span(&stmt);
        Some((self.stmt_kind(&stmt)?, span, comment))
    }

    // ------------------------------------------------------------ top-level lines

    fn item_kind(&mut self, pair: &P<'_>) -> Option<ItemKind> {
        let k = kids(pair);
        Some(match pair.as_rule() {
            Rule::tree_head => ItemKind::Tree(TreeHead {
                name: TreeName(self.ident(&find(&k, Rule::tree_name)?)),
                title: self.opt_template(&k),
            }),
            Rule::tests_head => {
                ItemKind::TestsFor(TreeName(self.ident(&find(&k, Rule::tree_name)?)))
            }
            Rule::use_decl => ItemKind::Use(UseDecl {
                path: self.plain(&find(&k, Rule::plain)?),
            }),
            Rule::flag_decl => ItemKind::Flag(FlagDecl {
                name: self.declared_var(&find(&k, Rule::var_name)?),
                label: self.opt_template(&k),
            }),
            Rule::node_head | Rule::fast_node_head | Rule::feedback_head => {
                ItemKind::Node(NodeHead {
                    kind: if pair.as_rule() != Rule::feedback_head {
                        NodeKind::Step
                    } else {
                        NodeKind::Feedback
                    },
                    name: NodeName(self.ident(&find(&k, Rule::node_name)?)),
                    title: self.opt_template(&k),
                })
            }
            Rule::test_head => ItemKind::Test(TestHead {
                name: self.plain(&find(&k, Rule::plain)?),
            }),
            Rule::field_decl => ItemKind::Field(Box::new(self.field_decl(&k)?)),
            Rule::setup_head => ItemKind::Setup,
            _ => return None,
        })
    }

    fn opt_template(&mut self, kids: &[P<'_>]) -> Option<Text> {
        find_text(kids).map(|p| self.template(&p))
    }

    fn field_decl(&mut self, k: &[P<'_>]) -> Option<FieldDecl> {
        let name = self.declared_var(&find(k, Rule::var_name)?);
        let ty = self.field_type(&find(k, Rule::field_type)?)?;
        let mut decl = FieldDecl {
            name,
            ty,
            label: None,
            required: None,
            given: None,
            pattern: None,
            range: None,
            default: None,
        };
        for extra in k {
            let span = self.span(extra);
            let what = match extra.as_rule() {
                Rule::field_label => {
                    let text = self.template(&find(&kids(extra), Rule::template)?);
                    keep_first(&mut decl.label, text, "a label")
                }
                Rule::required => keep_first(&mut decl.required, span, "`required`"),
                Rule::given => keep_first(&mut decl.given, span, "`given`"),
                Rule::pattern => {
                    let parts = kids(extra);
                    let mut pattern = self.raw(&find(&parts, Rule::raw)?);
                    pattern.description = find(&parts, Rule::pattern_about)
                        .and_then(|about| find(&kids(&about), Rule::plain))
                        .map(|text| self.plain(&text));
                    keep_first(&mut decl.pattern, pattern, "a `pattern`")
                }
                Rule::range => {
                    let range = self.range(extra)?;
                    keep_first(&mut decl.range, range, "a `range`")
                }
                Rule::default => {
                    let literal = self.literal(&find(&kids(extra), Rule::literal)?)?;
                    keep_first(&mut decl.default, literal, "a default value")
                }
                _ => None,
            };
            if let Some(what) = what {
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::DUPLICATE_PROPERTY,
                        span,
                        format!("field `{}` already has {what}", decl.name.as_str()),
                    )
                    .with_hint("keep one of them"),
                );
            }
        }
        Some(decl)
    }

    fn field_type(&mut self, pair: &P<'_>) -> Option<FieldType> {
        let span = self.span(pair);
        let inner = pair.clone().into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::ty_text => FieldTypeKind::Text,
            Rule::ty_number => FieldTypeKind::Number,
            Rule::ty_yesno => FieldTypeKind::YesNo,
            Rule::ty_date => FieldTypeKind::Date,
            Rule::ty_choice | Rule::ty_choices => {
                let mut items = Vec::new();
                for item in find_all(&kids(&inner), Rule::choice_item) {
                    let k = kids(item);
                    items.push(ChoiceItem {
                        value: self.ident(&find(&k, Rule::choice_value)?),
                        label: self.opt_template(&k),
                    });
                }
                if inner.as_rule() == Rule::ty_choices {
                    FieldTypeKind::Choices(items)
                } else {
                    FieldTypeKind::Choice(items)
                }
            }
            _ => return None,
        };
        Some(FieldType { kind, span })
    }

    // ------------------------------------------------------------ indented lines

    fn stmt_kind(&mut self, pair: &P<'_>) -> Option<StmtKind> {
        let k = kids(pair);
        Some(match pair.as_rule() {
            Rule::tags_prop => {
                StmtKind::Tags(find_all(&k, Rule::tag).map(|tag| self.ident(tag)).collect())
            }
            Rule::audience_prop => StmtKind::Audience(
                find_all(&k, Rule::audience)
                    .map(|a| self.audience(a))
                    .collect(),
            ),
            Rule::start_prop => StmtKind::Start(NodeName(self.ident(&find(&k, Rule::node_name)?))),
            Rule::version_prop => StmtKind::Version(self.plain(&find(&k, Rule::plain)?)),
            Rule::escalation_prop => StmtKind::Escalation(self.plain(&find(&k, Rule::plain)?)),
            Rule::contact_prop => StmtKind::Contact(self.plain(&find(&k, Rule::plain)?)),
            Rule::description_prop => {
                StmtKind::Description(self.template(&find(&k, Rule::template)?))
            }
            Rule::say | Rule::fast_say => StmtKind::Say(self.template(&find_text(&k)?)),
            Rule::agent_text | Rule::fast_agent => StmtKind::Agent(self.template(&find_text(&k)?)),
            Rule::customer_text | Rule::fast_customer => {
                StmtKind::Customer(self.template(&find_text(&k)?))
            }
            Rule::note | Rule::fast_note => {
                let text = self.template(&find_text(&k)?);
                match k
                    .iter()
                    .find(|p| matches!(p.as_rule(), Rule::guard | Rule::fast_guard))
                {
                    Some(guard) => StmtKind::NoteWhen {
                        text,
                        when: self.expr(&find_expr(&kids(guard))?)?,
                    },
                    None => StmtKind::Note(text),
                }
            }
            Rule::ask => StmtKind::Ask(
                find_all(&k, Rule::var_name)
                    .map(|v| VarName(self.ident(v)))
                    .collect(),
            ),
            Rule::set | Rule::fast_set => StmtKind::Set {
                var: VarName(self.ident(&find(&k, Rule::var_name)?)),
                value: match find_expr(&k) {
                    Some(expr) => Some(self.expr(&expr)?),
                    None => None,
                },
            },
            Rule::option | Rule::fast_option => StmtKind::Option(self.option(&k)?),
            Rule::goto => StmtKind::Goto(self.target(&k)?),
            Rule::route_if | Rule::fast_route_if => StmtKind::If {
                condition: self.expr(&find_expr(&k)?)?,
                target: self.target(&k)?,
            },
            Rule::route_else => StmtKind::Else(self.target(&k)?),
            Rule::call => StmtKind::Call {
                tree: TreeName(self.ident(&find(&k, Rule::tree_name)?)),
                then: self.target(&k)?,
            },
            Rule::return_stmt => StmtKind::Return,
            Rule::end_stmt => StmtKind::End(self.outcome(&find(&k, Rule::outcome)?)?),
            Rule::rating => StmtKind::Rating {
                var: self.declared_var(&find(&k, Rule::var_name)?),
                question: self.template(&find(&k, Rule::template)?),
                range: Box::new(self.range(&find(&k, Rule::range_bounds)?)?),
            },
            Rule::comment_q => StmtKind::FeedbackComment {
                var: self.declared_var(&find(&k, Rule::var_name)?),
                question: self.template(&find(&k, Rule::template)?),
            },
            Rule::as_stmt => StmtKind::As(
                self.audience(&find(&k, Rule::audience)?),
                find(&k, Rule::locale_tag).map(|tag| self.ident(&tag)),
            ),
            Rule::answer => StmtKind::Answer {
                var: VarName(self.ident(&find(&k, Rule::var_name)?)),
                value: self.literal(&find(&k, Rule::literal)?)?,
            },
            Rule::choose => StmtKind::Choose(self.template(&find(&k, Rule::template)?)),
            Rule::back => StmtKind::Back,
            Rule::skip => StmtKind::Skip(self.plain(&find(&k, Rule::plain)?)),
            Rule::escalate => StmtKind::Escalate(self.plain(&find(&k, Rule::plain)?)),
            Rule::expect => StmtKind::Expect(self.expectation(k.last()?)?),
            Rule::hand_in => StmtKind::Given {
                var: VarName(self.ident(&find(&k, Rule::var_name)?)),
                value: self.literal(&find(&k, Rule::literal)?)?,
            },
            Rule::wait => StmtKind::Wait {
                amount: self.number(&find(&k, Rule::number)?),
                unit: TimeUnit::from_word(find(&k, Rule::time_unit)?.as_str())?,
            },
            _ => return None,
        })
    }

    fn target(&mut self, kids: &[P<'_>]) -> Option<NodeName> {
        Some(NodeName(self.ident(&find(kids, Rule::target)?)))
    }

    fn option(&mut self, k: &[P<'_>]) -> Option<OptionStmt> {
        let mut option = OptionStmt {
            label: self.template(&find_text(k)?),
            target: self.target(k)?,
            only: None,
            guard: None,
            effects: Vec::new(),
        };
        let effects = k
            .iter()
            .find(|p| matches!(p.as_rule(), Rule::effects | Rule::fast_effects));
        if let Some(effects) = effects {
            let effect_kids = kids(effects);
            let effect_rules = effect_kids
                .iter()
                .filter(|p| matches!(p.as_rule(), Rule::effect | Rule::fast_effect));
            for effect in effect_rules {
                let parts = kids(effect);
                option.effects.push(Effect {
                    var: VarName(self.ident(&find(&parts, Rule::var_name)?)),
                    value: match find_expr(&parts) {
                        Some(expr) => Some(self.expr(&expr)?),
                        None => None,
                    },
                    span: self.span(effect),
                });
            }
        }
        for extra in k {
            let span = self.span(extra);
            let hint = match extra.as_rule() {
                Rule::agent_only => keep_first(
                    &mut option.only,
                    (Audience::Agent, span),
                    "an option is for agents, for customers, or for both; keep one restriction",
                ),
                Rule::customer_only => keep_first(
                    &mut option.only,
                    (Audience::Customer, span),
                    "an option is for agents, for customers, or for both; keep one restriction",
                ),
                Rule::guard | Rule::fast_guard => {
                    let expr = self.expr(&find_expr(&kids(extra))?)?;
                    keep_first(
                        &mut option.guard,
                        Box::new(expr),
                        "join the conditions into one with `and`",
                    )
                }
                _ => None,
            };
            if let Some(hint) = hint {
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::DUPLICATE_PROPERTY,
                        span,
                        "this option is restricted twice",
                    )
                    .with_hint(hint),
                );
            }
        }
        Some(option)
    }

    fn outcome(&mut self, pair: &P<'_>) -> Option<Outcome> {
        let span = self.span(pair);
        let k = kids(pair);
        let first = k.first()?;
        let named = |this: &mut Self| -> Option<Text> {
            let inner = find(&kids(first), Rule::plain)?;
            Some(this.plain(&inner))
        };
        let kind = match first.as_rule() {
            Rule::resolved => OutcomeKind::Resolved,
            Rule::escalated => OutcomeKind::Escalated(named(self)?),
            Rule::callback => OutcomeKind::Callback,
            Rule::transferred => OutcomeKind::Transferred(named(self)?),
            Rule::referred => OutcomeKind::Referred(named(self)?),
            Rule::abandoned => OutcomeKind::Abandoned,
            _ => return None,
        };
        let code = match find(&k, Rule::outcome_code) {
            Some(code) => Some(self.plain(&find(&kids(&code), Rule::plain)?)),
            None => None,
        };
        let result = match find(&k, Rule::outcome_result) {
            Some(result) => Some(self.plain(&find(&kids(&result), Rule::plain)?)),
            None => None,
        };
        Some(Outcome {
            kind,
            result,
            code,
            span,
        })
    }

    fn expectation(&mut self, pair: &P<'_>) -> Option<Expectation> {
        let k = kids(pair);
        Some(match pair.as_rule() {
            Rule::expect_end => Expectation::End(self.outcome(&find(&k, Rule::outcome)?)?),
            Rule::expect_node => {
                Expectation::Node(NodeName(self.ident(&find(&k, Rule::node_name)?)))
            }
            Rule::expect_field => Expectation::Field {
                var: VarName(self.ident(&find(&k, Rule::var_name)?)),
                value: self.literal(&find(&k, Rule::literal)?)?,
            },
            Rule::expect_text => Expectation::TextContains(self.plain(&find(&k, Rule::plain)?)),
            Rule::expect_option => Expectation::Option {
                label: self.template(&find(&k, Rule::template)?),
                offered: if find(&k, Rule::k_disabled).is_some() {
                    Offered::Disabled
                } else {
                    Offered::Enabled
                },
            },
            Rule::expect_no_option => Expectation::Option {
                label: self.template(&find(&k, Rule::template)?),
                offered: Offered::Absent,
            },
            _ => return None,
        })
    }

    // ------------------------------------------------------------ names and values

    fn ident(&self, pair: &P<'_>) -> Ident {
        Ident {
            text: pair.as_str().to_owned(),
            span: self.span(pair),
        }
    }

    /// A field or flag name being declared: reserved words are refused here, because a
    /// condition could never read them.
    fn declared_var(&mut self, pair: &P<'_>) -> VarName {
        let ident = self.ident(pair);
        if RESERVED.contains(&ident.text.as_str()) {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::RESERVED_NAME,
                    ident.span,
                    format!(
                        "`{}` is a reserved word and cannot name a field or flag",
                        ident.text
                    ),
                )
                .with_hint(format!("pick another name, like `{}_answer`", ident.text)),
            );
        }
        VarName(ident)
    }

    fn audience(&mut self, pair: &P<'_>) -> AudienceRef {
        let name = self.ident(pair);
        let audience = Audience::from_name(&name.text);
        if audience.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::UNKNOWN_AUDIENCE,
                    name.span,
                    format!("unknown audience `{}`", name.text),
                )
                .with_hint("the audiences are `agent` and `customer`"),
            );
        }
        AudienceRef { name, audience }
    }

    fn number(&mut self, pair: &P<'_>) -> Number {
        let text = pair.as_str().to_owned();
        let span = self.span(pair);
        let value = text.parse::<f64>().unwrap_or(f64::INFINITY);
        if !value.is_finite() {
            self.diagnostics.push(
                Diagnostic::new(codes::BAD_NUMBER, span, "this number is too large")
                    .with_hint("numbers must stay below about 1.8e308"),
            );
        }
        Number { value, text, span }
    }

    fn range(&mut self, pair: &P<'_>) -> Option<Range> {
        let span = self.span(pair);
        let k = kids(pair);
        let mut bounds = find_all(&k, Rule::signed_number);
        let min = self.number(bounds.next()?);
        let max = self.number(bounds.next()?);
        if min.value > max.value {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::EMPTY_RANGE,
                    span,
                    format!("the range {}..{} is empty", min.text, max.text),
                )
                .with_hint(format!(
                    "write the smaller bound first: {}..{}",
                    max.text, min.text
                )),
            );
        }
        Some(Range { min, max, span })
    }

    fn literal(&mut self, pair: &P<'_>) -> Option<Literal> {
        let span = self.span(pair);
        let inner = pair.clone().into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::signed_number => LiteralKind::Number(self.number(&inner)),
            Rule::plain => LiteralKind::Text(self.text(&inner, true)),
            Rule::yes_no => LiteralKind::Bool(BoolWord::from_word(inner.as_str())?),
            Rule::choice_value => LiteralKind::Choice(self.ident(&inner)),
            _ => return None,
        };
        Some(Literal { kind, span })
    }

    // ------------------------------------------------------------ quoted text

    fn template(&mut self, pair: &P<'_>) -> Text {
        self.text(pair, false)
    }

    fn plain(&mut self, pair: &P<'_>) -> Text {
        self.text(pair, false)
    }

    /// Decodes `template` and `plain` strings; only templates can hold placeholders. A text
    /// value in an expression (`set summary = "HR {hr}"`) is warned about when it looks as
    /// if it meant one: `placeholders_meant`.
    fn text(&mut self, pair: &P<'_>, placeholders_meant: bool) -> Text {
        if pair.as_rule() == Rule::simple_template {
            return self.simple_text(pair);
        }
        let mut segments: Vec<Segment> = Vec::new();
        let mut literal = String::new();
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::template_chars | Rule::plain_chars => {
                    self.warn_hidden(&part);
                    if placeholders_meant {
                        self.warn_literal_placeholder(&part);
                    }
                    literal.push_str(part.as_str());
                }
                Rule::escape => self.escape(&part, &mut literal),
                Rule::placeholder | Rule::fast_placeholder => {
                    let expr = part
                        .clone()
                        .into_inner()
                        .find(|p| {
                            matches!(
                                p.as_rule(),
                                Rule::placeholder_expr | Rule::fast_placeholder_expr
                            )
                        })
                        .and_then(|inner| find_expr(&kids(&inner)))
                        .and_then(|expr| self.expr(&expr));
                    if let Some(expr) = expr {
                        if !literal.is_empty() {
                            segments.push(Segment::Literal(std::mem::take(&mut literal)));
                        }
                        // A bare name stays a field placeholder, as it always was.
                        segments.push(match expr.kind {
                            ExprKind::Name(ident) => Segment::Field(VarName(ident)),
                            _ => Segment::Expr(Box::new(expr)),
                        });
                    }
                }
                _ => {}
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Text {
            segments: crate::ast::exact(segments),
            span: self.span(pair),
        }
    }

    /// A `simple_template`: the characters between its quotes are all literal, and read as the
    /// reference's `template` reads one run of `template_chars`.
    fn simple_text(&mut self, pair: &P<'_>) -> Text {
        let quoted = pair.as_str();
        let inner = quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default();
        let start = pair.as_span().start() + 1;
        self.warn_hidden_in(inner, start);
        let segments = if inner.is_empty() {
            Vec::new()
        } else {
            vec![Segment::Literal(inner.to_owned())]
        };
        Text {
            segments,
            span: self.span(pair),
        }
    }

    /// Warns about each character of raw text that a reader cannot see; escapes are ASCII,
    /// so anything found here was written as it is.
    fn warn_hidden(&mut self, part: &P<'_>) {
        self.warn_hidden_in(part.as_str(), part.as_span().start());
    }

    /// [`Self::warn_hidden`] for `text`, which starts at byte `start` of the line.
    fn warn_hidden_in(&mut self, text: &str, start: usize) {
        // Printable ASCII holds no invisible character; most texts are nothing else.
        if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return;
        }
        for (at, c) in text.char_indices() {
            if !crate::is_invisible(c) {
                continue;
            }
            let from = start + at;
            let span = Span::new(from, from + c.len_utf8()).shifted(self.base);
            let code = u32::from(c);
            let what = crate::invisible_name(c).unwrap_or("invisible character");
            self.diagnostics.push(
                Diagnostic::new(
                    codes::HIDDEN_CHARACTER,
                    span,
                    format!("a hidden character in the text: U+{code:04X} ({what})"),
                )
                .with_hint(format!(
                    "nobody reviewing this line can see it; delete it, or write `\\u{{{code:x}}}` if it is meant"
                )),
            );
        }
    }

    /// Warns about `{name}` in a constant text (a default, a test's answer): it is kept as
    /// written, braces and all, which authors did not expect ("HR {hr}" read out to a caller).
    /// A brace meant literally is written `\{`.
    fn warn_literal_placeholder(&mut self, part: &P<'_>) {
        let text = part.as_str();
        let start = part.as_span().start();
        let mut rest = 0;
        while let Some(open) = text[rest..].find('{').map(|at| rest + at) {
            let Some(close) = text[open..].find('}').map(|at| open + at) else {
                break;
            };
            let name = &text[open + 1..close];
            let looks_like_a_field = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if looks_like_a_field {
                let span = Span::new(start + open, start + close + 1).shifted(self.base);
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::LITERAL_PLACEHOLDER,
                        span,
                        format!("`{{{name}}}` is not filled in here: this text is shown as written"),
                    )
                    .with_hint(
                        "a default or a test's value is taken as written; placeholders are filled in \
                         in the texts a step shows and in expressions, so set the field with \
                         `set name = \"... {field}\"` where the value is known, or write `\\{` for a brace",
                    ),
                );
            }
            rest = close + 1;
        }
    }

    fn escape(&mut self, part: &P<'_>, out: &mut String) {
        let raw = part.as_str();
        let body = &raw[1..];
        let decoded = match body {
            "\"" => Some('"'),
            "\\" => Some('\\'),
            "n" => Some('\n'),
            "t" => Some('\t'),
            "{" => Some('{'),
            "}" => Some('}'),
            _ => body
                .strip_prefix("u{")
                .and_then(|hex| hex.strip_suffix('}'))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => {
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::UNKNOWN_ESCAPE,
                        self.span(part),
                        format!("unknown escape `{raw}`"),
                    )
                    .with_hint(
                        "the escapes are \\\" \\\\ \\n \\t \\{ \\} and \\u{hex}; write \\\\ for a backslash",
                    ),
                );
                out.push_str(raw);
            }
        }
    }

    fn raw(&self, pair: &P<'_>) -> Pattern {
        let mut regex = String::new();
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::raw_chars => regex.push_str(part.as_str()),
                Rule::raw_quote => regex.push('"'),
                _ => {}
            }
        }
        Pattern {
            regex,
            span: self.span(pair),
            description: None,
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, pair: &P<'_>) -> Option<Expr> {
        // Every level of precedence (or, and, not, comparison, sum, product, unary) is a pair
        // of its own, and most hold a single child. Stepping down through those in a loop
        // rather than a call each keeps the stack a level of parentheses costs small (a debug
        // build's frame here is several kilobytes).
        let mut pair = pair.clone();
        loop {
            let single = match pair.as_rule() {
                Rule::expr => true,
                Rule::or_expr
                | Rule::and_expr
                | Rule::compare
                | Rule::sum
                | Rule::product
                | Rule::not_expr
                | Rule::unary => pair.clone().into_inner().nth(1).is_none(),
                _ => false,
            };
            if !single {
                break;
            }
            pair = pair.into_inner().next()?;
        }
        let pair = &pair;
        let span = self.span(pair);
        match pair.as_rule() {
            Rule::expr => self.expr(&pair.clone().into_inner().next()?),
            Rule::or_expr | Rule::and_expr | Rule::compare | Rule::sum | Rule::product => {
                let mut parts = pair.clone().into_inner();
                let mut lhs = self.expr(&parts.next()?)?;
                while let Some(op) = parts.next() {
                    let op = BinaryOp::from_token(op.as_str())?;
                    let rhs = self.expr(&parts.next()?)?;
                    lhs = binary(op, lhs, rhs);
                }
                Some(lhs)
            }
            Rule::not_expr | Rule::unary => {
                let k = kids(pair);
                match k.as_slice() {
                    [single] => self.expr(single),
                    [op, operand] => {
                        let operand = Box::new(self.expr(operand)?);
                        // From the operator to the end of its operand: pest's span for the
                        // rule also takes in the spaces before whatever follows.
                        let span = self.span(op).cover(operand.span);
                        let kind = if op.as_rule() == Rule::op_not {
                            ExprKind::Not(operand)
                        } else {
                            ExprKind::Neg(operand)
                        };
                        Some(Expr { kind, span })
                    }
                    _ => None,
                }
            }
            Rule::number => Some(Expr {
                kind: ExprKind::Number(self.number(pair)),
                span,
            }),
            Rule::template | Rule::simple_template | Rule::fast_template => Some(Expr {
                kind: ExprKind::Text(self.template(pair)),
                span,
            }),
            Rule::fast_expr => {
                let mut parts = pair.clone().into_inner().peekable();
                let expr = self
                    .climb(&mut parts, BinaryOp::Or.precedence(), true)
                    // Every part is read, or the reference would not have read it this way.
                    .filter(|_| parts.next().is_none());
                // Noted as well as returned: a text drops a placeholder it cannot read.
                self.refused |= expr.is_none();
                expr
            }
            Rule::yes_no => Some(Expr {
                kind: ExprKind::Bool(BoolWord::from_word(pair.as_str())?),
                span,
            }),
            Rule::name_ref => Some(Expr {
                kind: ExprKind::Name(self.ident(pair)),
                span,
            }),
            Rule::paren | Rule::fast_paren => Some(Expr {
                kind: ExprKind::Paren(Box::new(self.expr(&find_expr(&kids(pair))?)?)),
                span,
            }),
            Rule::call_expr | Rule::fast_call => {
                let k = kids(pair);
                let func = self.ident(&find(&k, Rule::func_name)?);
                let mut args = Vec::new();
                let arg_pairs = k
                    .iter()
                    .filter(|p| matches!(p.as_rule(), Rule::expr | Rule::fast_expr));
                for arg in arg_pairs {
                    args.push(self.expr(arg)?);
                }
                Some(Expr {
                    kind: ExprKind::Call { func, args },
                    span,
                })
            }
            _ => None,
        }
    }

    /// Reads a `fast_expr`'s flat list from `parts` as the reference grammar's precedence
    /// levels would (`or` < `and` < `not` < comparison < `+ -` < `* /` < unary `-`), binding
    /// operators of at least `min`. Returns `None` for what the reference cannot read: a `not`
    /// anywhere but at the start, after `and`/`or` or after another `not`, and a comparison
    /// chained to another (`a < b < c`).
    fn climb(
        &mut self,
        parts: &mut Peekable<Pairs<'_, Rule>>,
        min: u8,
        not_allowed: bool,
    ) -> Option<Expr> {
        let mut lhs = self.prefixed(parts, not_allowed)?;
        while let Some(next) = parts.peek() {
            if next.as_rule() != Rule::fast_op {
                return None;
            }
            let op = BinaryOp::from_token(next.as_str())?;
            let precedence = op.precedence();
            if precedence < min {
                break;
            }
            parts.next();
            // One level tighter binds the right operand (left-associative); only `or` and
            // `and` may be followed by a `not`.
            let rhs = self.climb(
                parts,
                precedence + 1,
                precedence <= BinaryOp::And.precedence(),
            )?;
            let compare = BinaryOp::Eq.precedence();
            if precedence == compare
                && parts.peek().is_some_and(|after| {
                    BinaryOp::from_token(after.as_str())
                        .is_some_and(|op| op.precedence() == compare)
                })
            {
                return None;
            }
            lhs = binary(op, lhs, rhs);
        }
        Some(lhs)
    }

    /// An operand with its prefix operators: `not` (only where `not_allowed`) takes a whole
    /// comparison, unary `-` only an operand or another `-`.
    fn prefixed(
        &mut self,
        parts: &mut Peekable<Pairs<'_, Rule>>,
        not_allowed: bool,
    ) -> Option<Expr> {
        let first = parts.next()?;
        let (operand, is_not) = match first.as_rule() {
            Rule::op_not if not_allowed => {
                (self.climb(parts, BinaryOp::Eq.precedence(), true)?, true)
            }
            Rule::op_neg => (self.prefixed(parts, false)?, false),
            Rule::op_not | Rule::fast_op => return None,
            _ => return self.expr(&first),
        };
        // From the operator to the end of its operand, as the reference reads it.
        let span = self.span(&first).cover(operand.span);
        let operand = Box::new(operand);
        let kind = if is_not {
            ExprKind::Not(operand)
        } else {
            ExprKind::Neg(operand)
        };
        Some(Expr { kind, span })
    }
}

/// `lhs op rhs`, spanning both: one constructor for the reference rules' levels and the fast
/// rules' precedence climbing, so the two cannot build different trees.
fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.cover(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}
