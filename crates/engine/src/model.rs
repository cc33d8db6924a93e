//! The lowered model of a project: trees, nodes and variables, referred to by ids, not names.
//!
//! Everything a session needs is resolved here once: targets are `NodeId`s, fields are
//! `Slot`s, conditions are compiled and typed. The graph itself lives in `Project` and never
//! appears in the public API.

use calltree_syntax::{Audience, Span};
use serde::Serialize;

use crate::expr::Expr;
use crate::value::{Type, Value};

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub struct $name(pub(crate) u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub(crate) fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).unwrap_or(u32::MAX))
            }
        }
    };
}

id_newtype!(
    /// A node anywhere in the project.
    NodeId
);
id_newtype!(
    /// A tree of the project.
    TreeId
);
id_newtype!(
    /// A field or flag: one value store per session, shared by every tree that names it.
    Slot
);
id_newtype!(
    /// A source file given to the project.
    FileId
);

impl FileId {
    /// The first file given to `Project::load`.
    pub fn first() -> FileId {
        FileId(0)
    }
}

/// One option of one node: the node and the option's position (0-based) in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OptionId {
    pub node: NodeId,
    pub index: u16,
}

/// One way a routing node can send a call on: the node and the position of the `if` line
/// among its routes, with `else` counted last (its position is the number of `if` lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct BranchId {
    pub node: NodeId,
    pub index: u16,
}

/// What kind of thing a variable is, which decides how it gets a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableKind {
    /// A `field`, filled in where a node `ask`s it.
    Field,
    /// A `flag`: yes/no, starts as no, changed only by `set`.
    Flag,
    /// A `rating` in a feedback node.
    Rating,
    /// A `comment` in a feedback node.
    Comment,
}

/// One value of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceValue {
    pub value: String,
    pub label: Option<String>,
}

impl ChoiceValue {
    /// What people see: the label when there is one.
    pub fn shown(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.value)
    }
}

/// A field or flag as one tree declares it. Trees that share a name share the value (the
/// slot); each keeps its own label and rules, and trees joined by a `call` must agree on type.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub slot: Slot,
    pub kind: VariableKind,
    pub ty: Type,
    pub label: Option<String>,
    pub required: bool,
    /// `given`: the host may hand its value in when a call starts (a screen-pop's account
    /// number, a URL's campaign), checked like an answer.
    pub given: bool,
    pub pattern: Option<regex::Regex>,
    /// What the pattern accepts, in the author's words ("an email address like
    /// name@example.com"): said to the person whose answer it refuses.
    pub pattern_description: Option<String>,
    pub range: Option<(f64, f64)>,
    pub choices: Vec<ChoiceValue>,
    /// The value before anyone answers: the declared default, `no` for flags, else unset.
    pub default: Value,
    /// Where the tree declares it.
    pub span: Span,
}

impl Variable {
    /// The label, or the name when there is none.
    pub fn shown_label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// Display text with `{field}` placeholders resolved to slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub(crate) parts: Box<[TemplatePart]>,
    /// The text as the author wrote it, placeholders included; labels are matched on this,
    /// in every language, so events and tests name an option the same way everywhere.
    pub source: String,
    /// The words shown instead of `source` in a translated project, placeholders included.
    pub shown: Option<String>,
    /// Where the text is written, quotes included: translation checks point at it.
    pub span: Span,
}

///
/// Every text of a tree has these, so they are kept small (32 bytes, half of what an
/// unboxed expression made them): expressions in placeholders are rare and boxed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TemplatePart {
    Text(Box<str>),
    /// A placeholder and where it is written, for diagnostics.
    Var(Slot, Span),
    /// A placeholder holding an expression (`{restarts + 1}`), with its type (a choice is
    /// shown by its label) and where it is written.
    Expr(Box<Expr>, Type, Span),
}

impl Template {
    /// The words people read, placeholders unfilled: the translation when there is one.
    pub fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.source)
    }

    /// Every variable a placeholder names, in expressions too: what counts as using it.
    pub(crate) fn mentions(&self, out: &mut Vec<Slot>) {
        for part in &self.parts {
            match part {
                TemplatePart::Var(slot, _) => out.push(*slot),
                TemplatePart::Expr(expr, _, _) => expr.mentions(out),
                TemplatePart::Text(_) => {}
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    Resolved,
    Escalated,
    Callback,
    Transferred,
    /// Sent on to another provider or service that the caller contacts themselves: not
    /// resolved here, not escalated inside, and not a transfer of the call.
    Referred,
    Abandoned,
}

impl OutcomeKind {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Resolved => "resolved",
            OutcomeKind::Escalated => "escalated",
            OutcomeKind::Callback => "callback",
            OutcomeKind::Transferred => "transferred",
            OutcomeKind::Referred => "referred",
            OutcomeKind::Abandoned => "abandoned",
        }
    }
}

/// How a call ends, as declared by an `end` statement (or by an escalation from a step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The team (escalated), queue (transferred) or service (referred).
    pub to: Option<String>,
    /// The ending's name in the author's words (`result "Urgent (orange)"`): summaries,
    /// reports and diagrams show it beside the kind.
    pub result: Option<String>,
    /// The wrap-up code for the CRM.
    pub code: Option<String>,
}

/// One option of a node. Options are the most numerous thing in a model (three a node in a
/// typical tree), so what most of them lack is kept small: the guard is boxed and the texts
/// about it are `Box<str>` (176 bytes an option instead of 224).
#[derive(Debug, Clone)]
pub struct NodeOption {
    pub label: Template,
    pub target: Option<NodeId>,
    pub only: Option<Audience>,
    pub(crate) guard: Option<Box<Expr>>,
    /// The condition as written, for authors (diagrams).
    pub guard_text: Option<Box<str>>,
    /// The condition in words, with the fields' labels, to tell an agent why an option is
    /// not available ("needs Restarts less than 2", not "needs restarts < 2").
    pub guard_words: Option<Box<str>>,
    /// What choosing the option sets, in order, before the call moves on (and what `Back`
    /// takes back with the choice).
    pub effects: Vec<Assignment>,
    /// The effects as written after `set`, for authors (diagrams).
    pub effects_text: Option<Box<str>>,
    pub span: Span,
}

impl NodeOption {
    pub fn has_guard(&self) -> bool {
        self.guard.is_some()
    }

    pub fn visible_to(&self, audience: Audience) -> bool {
        self.only.is_none_or(|only| only == audience)
    }
}

/// One `if condition -> target` of a routing node.
#[derive(Debug, Clone)]
pub struct Route {
    pub(crate) condition: Expr,
    /// The condition as written, for drawings and reports.
    pub condition_text: String,
    pub target: Option<NodeId>,
    pub span: Span,
}

/// An `if condition -> target` line at the top of a node that has its own way out: on
/// arrival, the first that holds sends the call straight on, and the node is passed over.
#[derive(Debug, Clone)]
pub struct EntrySkip {
    pub(crate) condition: Expr,
    /// The condition as written, for drawings.
    pub condition_text: String,
    /// The condition in words, with the fields' labels: why the step was passed over.
    pub because: String,
    pub target: Option<NodeId>,
    pub span: Span,
}

/// The way out of a node. A node has exactly one kind.
#[derive(Debug, Clone)]
pub enum Exit {
    /// Nothing leads out: reported as a dead end.
    None,
    Options(Vec<NodeOption>),
    /// `-> target`: a Continue button.
    Continue(Option<NodeId>),
    /// `if ... -> / else ->`: decided on arrival without asking anyone.
    Route {
        routes: Vec<Route>,
        otherwise: Option<Option<NodeId>>,
        /// Where the `else` line is, for pointing at a branch never taken.
        else_span: Option<Span>,
    },
    /// `call tree -> then`.
    Call {
        tree: Option<TreeId>,
        then: Option<NodeId>,
    },
    End(Outcome),
    Return,
}

/// A node's `note`, written to the call notes when the call leaves the node: always, or, with
/// `when`, only if the condition holds then.
#[derive(Debug, Clone)]
pub struct NoteTemplate {
    pub text: Template,
    pub(crate) when: Option<Expr>,
    pub span: Span,
}

/// `set slot = value` (a bare `set flag` stores yes).
#[derive(Debug, Clone)]
pub struct Assignment {
    pub slot: Slot,
    pub(crate) value: Option<Expr>,
    pub span: Span,
}

pub use calltree_syntax::NodeKind;

/// One step of a tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub tree: TreeId,
    pub name: String,
    pub title: Option<Template>,
    pub kind: NodeKind,
    pub file: FileId,
    /// The node's first line.
    pub span: Span,
    pub say: Vec<Template>,
    pub agent: Vec<Template>,
    pub customer: Vec<Template>,
    pub notes: Vec<NoteTemplate>,
    /// Fields asked here, in order (a feedback node's ratings and comments included).
    pub asks: Vec<(Slot, Span)>,
    pub sets: Vec<Assignment>,
    /// Checked on arrival, before anything else: the first that holds passes the node over.
    pub entry: Vec<EntrySkip>,
    pub exit: Exit,
    /// The asked fields that must have an answer before the node can be left, resolved at
    /// load time so that stepping never searches declarations.
    pub(crate) required: Vec<Slot>,
    /// Fields and flags named in the node's conditions and `set` values as written, whether
    /// or not those compiled: what counts as using a declaration.
    pub(crate) mentions: Vec<Slot>,
}

impl Node {
    /// The title, or the id when there is none; what breadcrumbs and reports show.
    pub fn shown_title(&self) -> &str {
        self.title.as_ref().map_or(&self.name, |t| t.shown())
    }

    pub fn is_routing(&self) -> bool {
        matches!(self.exit, Exit::Route { .. })
    }

    pub fn is_ending(&self) -> bool {
        matches!(self.exit, Exit::End(_) | Exit::Return)
    }
}

/// A `test` block, kept as statements: the test runner plays them against a session.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub file: FileId,
    pub span: Span,
    pub steps: Vec<calltree_syntax::Stmt>,
    /// The `setup` its file gives every test, played first: an index into the tree's
    /// `setups`.
    pub setup: Option<usize>,
}

/// A file's `setup` block: test steps each test of that file plays before its own. Kept
/// once, so a mistake in it is reported once, not once per test.
#[derive(Debug, Clone)]
pub struct TestSetup {
    pub file: FileId,
    pub span: Span,
    pub steps: Vec<calltree_syntax::Stmt>,
}

/// One tree of the project.
#[derive(Debug, Clone)]
pub struct Tree {
    pub name: String,
    pub title: String,
    pub file: FileId,
    pub span: Span,
    pub description: Option<String>,
    pub version: Option<String>,
    pub tags: Vec<String>,
    pub audiences: Vec<Audience>,
    /// Where an escalation from a step goes.
    pub escalation: Option<String>,
    /// How a customer handed on reaches a person, in the author's words (`contact:`).
    pub contact: Option<String>,
    pub start: Option<NodeId>,
    pub nodes: Vec<NodeId>,
    /// The fields and flags the tree declares, in declaration order.
    pub variables: Vec<Variable>,
    pub tests: Vec<TestCase>,
    /// The `setup` blocks of the files holding its tests.
    pub setups: Vec<TestSetup>,
    /// Fingerprint of what the tree does (comments, layout and tests excluded).
    pub hash: String,
}

impl Tree {
    /// The tree's declaration of a slot, if it declares it.
    pub fn variable(&self, slot: Slot) -> Option<&Variable> {
        self.variables.iter().find(|v| v.slot == slot)
    }

    pub fn variable_named(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// Whether a search finds the tree by what people read about it: its title, a tag or its
    /// description contains `words` (already lowercase; empty words find every tree).
    pub fn described_by(&self, words: &str) -> bool {
        words.is_empty()
            || self.title.to_lowercase().contains(words)
            || self.tags.iter().any(|t| t.to_lowercase().contains(words))
            || self
                .description
                .as_deref()
                .is_some_and(|d| d.to_lowercase().contains(words))
    }

    pub fn serves(&self, audience: Audience) -> bool {
        // A tree that names no audience is an agent script.
        (self.audiences.is_empty() && audience == Audience::Agent)
            || self.audiences.contains(&audience)
    }
}
