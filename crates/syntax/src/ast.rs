//! The owned, spanned syntax tree of one `.tree` file.
//!
//! Everything the later stages need is here, already decoded: escapes are resolved, `{field}`
//! placeholders are split out, numbers are parsed. Comments and blank lines are kept as trivia
//! so that the formatter can put them back where the author wrote them.

use crate::Span;

/// The same elements in an allocation of exactly their number. A vector grown by pushes
/// keeps up to twice the room it needs, and `shrink_to_fit` does not help under mimalloc (it
/// keeps a block that shrinks by less than half), so a tree of 100,000 nodes kept hundreds of
/// bytes of empty room per node; kept vectors are copied once into the right size instead.
pub(crate) fn exact<T>(mut grown: Vec<T>) -> Vec<T> {
    if grown.capacity() == grown.len() {
        return grown;
    }
    let mut exact = Vec::with_capacity(grown.len());
    exact.append(&mut grown);
    exact
}

/// A name as written in the source (`welcome`, `account`, `internet_down`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

macro_rules! name_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub Ident);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0.text
            }

            pub fn span(&self) -> Span {
                self.0.span
            }
        }
    };
}

name_newtype!(
    /// The id of a tree, used by `call` and `tests for`.
    TreeName
);
name_newtype!(
    /// The id of a node or feedback node, used by `->`, `start:` and `visited(...)`.
    NodeName
);
name_newtype!(
    /// The name of a field or flag (fields and flags share one namespace).
    VarName
);

/// One parsed `.tree` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceFile {
    pub items: Vec<Item>,
    /// Comments after the last block.
    pub trailing: Vec<Trivia>,
}

impl SourceFile {
    /// The `tree` line of this file, if it has one.
    pub fn tree(&self) -> Option<(&TreeHead, &Item)> {
        self.items.iter().find_map(|item| match &item.kind {
            ItemKind::Tree(head) => Some((head, item)),
            _ => None,
        })
    }

    /// The tree this file's tests belong to: its own `tree`, or the one named by `tests for`.
    pub fn tree_name(&self) -> Option<&TreeName> {
        self.items.iter().find_map(|item| match &item.kind {
            ItemKind::Tree(head) => Some(&head.name),
            ItemKind::TestsFor(name) => Some(name),
            _ => None,
        })
    }

    pub fn nodes(&self) -> impl Iterator<Item = (&NodeHead, &Item)> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Node(head) => Some((head, item)),
            _ => None,
        })
    }

    pub fn fields(&self) -> impl Iterator<Item = (&FieldDecl, &Item)> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Field(decl) => Some((&**decl, item)),
            _ => None,
        })
    }

    pub fn flags(&self) -> impl Iterator<Item = (&FlagDecl, &Item)> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Flag(decl) => Some((decl, item)),
            _ => None,
        })
    }

    pub fn tests(&self) -> impl Iterator<Item = (&TestHead, &Item)> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Test(head) => Some((head, item)),
            _ => None,
        })
    }

    /// The file's `setup` block: the steps each of its tests plays first.
    pub fn setup(&self) -> Option<&Item> {
        self.items
            .iter()
            .find(|item| matches!(item.kind, ItemKind::Setup))
    }

    pub fn uses(&self) -> impl Iterator<Item = (&UseDecl, &Item)> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Use(decl) => Some((decl, item)),
            _ => None,
        })
    }
}

/// A comment line or a blank line between statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trivia {
    /// One or more blank lines (kept as one).
    Blank,
    Comment(Comment),
}

/// A `#` comment; `text` is everything after the `#`, trailing spaces removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// A block: a line starting at column 0 and the indented statements under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Comments and blank lines directly above the block's first line.
    pub leading: Vec<Trivia>,
    pub kind: ItemKind,
    /// A comment at the end of the block's first line.
    pub comment: Option<Comment>,
    pub body: Vec<Stmt>,
    /// Indented comments after the block's last statement.
    pub trailing: Vec<Trivia>,
    /// The block's first line, without its comment.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `tree internet_down "Internet is not working"`; its properties are the body.
    Tree(TreeHead),
    /// `tests for internet_down`: a file of tests kept beside the tree they test.
    TestsFor(TreeName),
    /// `use "shared/identity.tree"`: brings another file's tree into this project.
    Use(UseDecl),
    Field(Box<FieldDecl>),
    Flag(FlagDecl),
    /// `node` and `feedback` blocks.
    Node(NodeHead),
    Test(TestHead),
    /// `setup`: test steps every test of this file plays before its own.
    Setup,
    /// A first line that did not parse; kept verbatim so nothing the author wrote is lost.
    Error(ErrorLine),
}

impl ItemKind {
    /// Declarations that are one line and take nothing indented under them.
    pub fn is_one_line(&self) -> bool {
        matches!(
            self,
            ItemKind::TestsFor(_) | ItemKind::Use(_) | ItemKind::Field(_) | ItemKind::Flag(_)
        )
    }

    /// The keyword that starts this kind of block, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            ItemKind::Tree(_) => "tree",
            ItemKind::TestsFor(_) => "tests for",
            ItemKind::Use(_) => "use",
            ItemKind::Field(_) => "field",
            ItemKind::Flag(_) => "flag",
            ItemKind::Node(head) => match head.kind {
                NodeKind::Step => "node",
                NodeKind::Feedback => "feedback",
            },
            ItemKind::Test(_) => "test",
            ItemKind::Setup => "setup",
            ItemKind::Error(_) => "unreadable",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreeHead {
    pub name: TreeName,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UseDecl {
    pub path: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: VarName,
    pub ty: FieldType,
    /// The question or label shown when the field is asked.
    pub label: Option<Text>,
    /// Where `required` was written, if it was.
    pub required: Option<Span>,
    /// Where `given` was written, if it was: the value may be handed in when a call starts.
    pub given: Option<Span>,
    pub pattern: Option<Pattern>,
    pub range: Option<Range>,
    pub default: Option<Literal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldType {
    pub kind: FieldTypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldTypeKind {
    Text,
    Number,
    YesNo,
    Date,
    Choice(Vec<ChoiceItem>),
    /// `choices(...)`: a checklist, where any number of the values may be ticked.
    Choices(Vec<ChoiceItem>),
}

/// One value of a `choice(...)` field, with an optional display label.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceItem {
    pub value: Ident,
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlagDecl {
    pub name: VarName,
    pub label: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A `node`: a step of the script.
    Step,
    /// A `feedback` node: a closing survey whose ratings and comments are collected as fields.
    Feedback,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeHead {
    pub kind: NodeKind,
    pub name: NodeName,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestHead {
    pub name: Text,
}

/// A line kept exactly as written because it could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    pub raw: String,
}

/// An indented line inside a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub leading: Vec<Trivia>,
    pub kind: StmtKind,
    /// Boxed because few lines have one: a tree of 100,000 nodes has half a million
    /// statements, and the box makes each 24 bytes smaller.
    pub comment: Option<Box<Comment>>,
    /// The statement without its comment.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    // Tree properties.
    Tags(Vec<Ident>),
    Audience(Vec<AudienceRef>),
    Start(NodeName),
    Version(Text),
    Description(Text),
    /// The team a call goes to when someone escalates from a step that has no escalation of
    /// its own.
    Escalation(Text),
    /// How a customer handed on by this tree reaches a person, shown with their handoff code.
    Contact(Text),

    // Node content.
    /// Text for everyone: the line the agent says, or what the customer reads.
    Say(Text),
    /// Guidance only the agent sees.
    Agent(Text),
    /// Wording shown to customers instead of `say`.
    Customer(Text),
    /// In a node: a note template appended to the call notes. In a test: a note taken.
    Note(Text),
    /// `note "..." when condition` in a node: written only if the condition holds.
    NoteWhen {
        text: Text,
        when: Expr,
    },
    Ask(Vec<VarName>),
    /// `set name = value`, or `set flag` for `set flag = yes`.
    Set {
        var: VarName,
        value: Option<Expr>,
    },
    Option(OptionStmt),
    /// `-> target`: a plain continue.
    Goto(NodeName),
    If {
        condition: Expr,
        target: NodeName,
    },
    Else(NodeName),
    End(Outcome),
    /// `call sub_tree -> next`: run another tree, then continue at `next` when it returns.
    Call {
        tree: TreeName,
        then: NodeName,
    },
    Return,
    /// `rating score "How did we do?" 1..5` in a feedback node.
    Rating {
        var: VarName,
        question: Text,
        range: Box<Range>,
    },
    /// `comment remarks "Anything else?"` in a feedback node.
    FeedbackComment {
        var: VarName,
        question: Text,
    },

    // Test steps.
    /// `as customer`, with `locale fr` when the test is played in another language.
    As(AudienceRef, Option<Ident>),
    Answer {
        var: VarName,
        value: Literal,
    },
    Choose(Text),
    Back,
    Skip(Text),
    Escalate(Text),
    /// `given account "12345678"`: a value the test's call starts with, for a `given` field.
    Given {
        var: VarName,
        value: Literal,
    },
    /// `wait 31 minutes`: the test's clock moves on before the next step.
    Wait {
        amount: Number,
        unit: TimeUnit,
    },
    Expect(Expectation),

    /// A line that did not parse, kept verbatim.
    Error(ErrorLine),
}

impl StmtKind {
    /// `tags:`, `audience:`, `start:`...: what goes under a `tree` line.
    pub fn is_tree_property(&self) -> bool {
        matches!(
            self,
            StmtKind::Tags(_)
                | StmtKind::Audience(_)
                | StmtKind::Start(_)
                | StmtKind::Version(_)
                | StmtKind::Description(_)
                | StmtKind::Escalation(_)
                | StmtKind::Contact(_)
        )
    }

    /// What any `node` or `feedback` block takes.
    pub fn is_node_statement(&self) -> bool {
        matches!(
            self,
            StmtKind::Say(_)
                | StmtKind::Agent(_)
                | StmtKind::Customer(_)
                | StmtKind::Note(_)
                | StmtKind::NoteWhen { .. }
                | StmtKind::Ask(_)
                | StmtKind::Set { .. }
                | StmtKind::Option(_)
                | StmtKind::Goto(_)
                | StmtKind::If { .. }
                | StmtKind::Else(_)
                | StmtKind::End(_)
                | StmtKind::Call { .. }
                | StmtKind::Return
        )
    }

    /// `rating` and `comment`: only in a `feedback` block.
    pub fn is_feedback_question(&self) -> bool {
        matches!(
            self,
            StmtKind::Rating { .. } | StmtKind::FeedbackComment { .. }
        )
    }

    /// What a `test` block takes (`note` is also a node statement).
    pub fn is_test_step(&self) -> bool {
        matches!(
            self,
            StmtKind::As(..)
                | StmtKind::Answer { .. }
                | StmtKind::Choose(_)
                | StmtKind::Back
                | StmtKind::Skip(_)
                | StmtKind::Escalate(_)
                | StmtKind::Note(_)
                | StmtKind::Wait { .. }
                | StmtKind::Given { .. }
                | StmtKind::Expect(_)
        )
    }

    /// The keyword that starts this statement, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            StmtKind::Tags(_) => "tags:",
            StmtKind::Audience(_) => "audience:",
            StmtKind::Start(_) => "start:",
            StmtKind::Version(_) => "version:",
            StmtKind::Description(_) => "description:",
            StmtKind::Escalation(_) => "escalation:",
            StmtKind::Contact(_) => "contact:",
            StmtKind::Say(_) => "say",
            StmtKind::Agent(_) => "agent",
            StmtKind::Customer(_) => "customer",
            StmtKind::Note(_) | StmtKind::NoteWhen { .. } => "note",
            StmtKind::Ask(_) => "ask",
            StmtKind::Set { .. } => "set",
            StmtKind::Option(_) => "option",
            StmtKind::Goto(_) => "->",
            StmtKind::If { .. } => "if",
            StmtKind::Else(_) => "else",
            StmtKind::End(_) => "end",
            StmtKind::Call { .. } => "call",
            StmtKind::Return => "return",
            StmtKind::Rating { .. } => "rating",
            StmtKind::FeedbackComment { .. } => "comment",
            StmtKind::As(..) => "as",
            StmtKind::Answer { .. } => "answer",
            StmtKind::Choose(_) => "choose",
            StmtKind::Back => "back",
            StmtKind::Skip(_) => "skip",
            StmtKind::Escalate(_) => "escalate",
            StmtKind::Wait { .. } => "wait",
            StmtKind::Given { .. } => "given",
            StmtKind::Expect(_) => "expect",
            StmtKind::Error(_) => "",
        }
    }
}

/// Who a text, an option or a test is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Agent,
    Customer,
}

impl Audience {
    pub fn from_name(name: &str) -> Option<Audience> {
        match name {
            "agent" => Some(Audience::Agent),
            "customer" => Some(Audience::Customer),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Audience::Agent => "agent",
            Audience::Customer => "customer",
        }
    }
}

/// An audience as written; `audience` is `None` when the name is not one the language knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceRef {
    pub name: Ident,
    pub audience: Option<Audience>,
}

/// `option "label" -> target [agent-only|customer-only] [when condition] [set a, b = value]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionStmt {
    pub label: Text,
    pub target: NodeName,
    /// Restricts the option to one audience.
    pub only: Option<(Audience, Span)>,
    /// Boxed, as `Rating`'s range is, to keep every statement small: a statement is as large
    /// as its largest kind, and options are most of a tree's lines (`StmtKind` 168 -> 128
    /// bytes).
    pub guard: Option<Box<Expr>>,
    /// What choosing the option sets, in order, before the call moves on.
    pub effects: Vec<Effect>,
}

/// One `name = value` (or a bare `flag`, meaning yes) after an option's `set`.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub var: VarName,
    pub value: Option<Expr>,
    /// The name and its value.
    pub span: Span,
}

/// How a call ends: `end resolved`, `end escalated "Network L2" code "NET-01"`...
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The ending's name in the author's words (`result "Urgent (orange)"`), if given.
    pub result: Option<Text>,
    /// The wrap-up code for the CRM, if the author gave one.
    pub code: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeKind {
    Resolved,
    /// Escalated to the named team.
    Escalated(Text),
    Callback,
    /// Transferred to the named queue.
    Transferred(Text),
    /// Referred elsewhere: sent on to another provider or service, named here, that the
    /// caller contacts themselves (a transfer hands the call over).
    Referred(Text),
    Abandoned,
}

impl OutcomeKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            OutcomeKind::Resolved => "resolved",
            OutcomeKind::Escalated(_) => "escalated",
            OutcomeKind::Callback => "callback",
            OutcomeKind::Transferred(_) => "transferred",
            OutcomeKind::Referred(_) => "referred",
            OutcomeKind::Abandoned => "abandoned",
        }
    }
}

/// What a test checks after its steps.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    End(Outcome),
    Node(NodeName),
    Field {
        var: VarName,
        value: Literal,
    },
    TextContains(Text),
    /// `expect option "Label"` (shown and can be chosen), `... disabled` (shown greyed out) or
    /// `expect no option "Label"` (not shown at all), at the step the call waits at.
    Option {
        label: Text,
        offered: Offered,
    },
}

/// The unit of a test's `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
}

impl TimeUnit {
    pub(crate) fn from_word(word: &str) -> Option<TimeUnit> {
        match word {
            "second" | "seconds" => Some(TimeUnit::Seconds),
            "minute" | "minutes" => Some(TimeUnit::Minutes),
            "hour" | "hours" => Some(TimeUnit::Hours),
            _ => None,
        }
    }

    /// The unit's word after an amount: `1 minute`, `31 minutes`.
    pub fn word(self, amount: &str) -> &'static str {
        let one = amount == "1";
        match (self, one) {
            (TimeUnit::Seconds, true) => "second",
            (TimeUnit::Seconds, false) => "seconds",
            (TimeUnit::Minutes, true) => "minute",
            (TimeUnit::Minutes, false) => "minutes",
            (TimeUnit::Hours, true) => "hour",
            (TimeUnit::Hours, false) => "hours",
        }
    }

    /// Milliseconds in one of this unit.
    pub fn millis(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1_000,
            TimeUnit::Minutes => 60_000,
            TimeUnit::Hours => 3_600_000,
        }
    }
}

/// How an option is offered at a step, as a test expects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offered {
    /// Shown and can be chosen.
    Enabled,
    /// Shown, greyed out: its condition does not hold.
    Disabled,
    /// Not shown: the step has no such option, or not for this audience (customers are not
    /// shown options they cannot choose either).
    Absent,
}

/// Quoted text, decoded: escapes resolved and `{field}` placeholders split out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub segments: Vec<Segment>,
    /// The whole quoted text, quotes included.
    pub span: Span,
}

impl Text {
    /// The text with placeholders written back as `{name}`; for labels and messages.
    pub fn to_plain(&self) -> String {
        let length = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.len(),
                Segment::Field(name) => name.as_str().len() + 2,
                Segment::Expr(_) => 8,
            })
            .sum();
        let mut out = String::with_capacity(length);
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Field(name) => {
                    out.push('{');
                    out.push_str(name.as_str());
                    out.push('}');
                }
                Segment::Expr(expr) => {
                    out.push('{');
                    out.push_str(&crate::format::pieces::expr(expr));
                    out.push('}');
                }
            }
        }
        out
    }

    pub fn placeholders(&self) -> impl Iterator<Item = &VarName> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Field(name) => Some(name),
            Segment::Literal(_) | Segment::Expr(_) => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{restarts + 1}`: any other expression, replaced by its value when shown.
    Expr(Box<Expr>),
    /// `{name}`: replaced by the field's value when shown.
    Field(VarName),
}

/// A regular expression, kept exactly as written between the quotes, and what it accepts in
/// words (`pattern "[0-9]{8}" "an 8-digit account number"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern with `\"` already turned into `"`.
    pub regex: String,
    /// The span of the pattern's quoted text.
    pub span: Span,
    /// What an answer must be, in the words a person reads when theirs is refused ("please
    /// enter …").
    pub description: Option<Text>,
}

/// A number literal; `text` is its spelling, kept so formatting never changes a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

/// `min..max`, both inclusive.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub min: Number,
    pub max: Number,
    pub span: Span,
}

/// `yes`, `no`, `true` or `false`; the spelling is kept for the formatter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoolWord {
    Yes,
    No,
    True,
    False,
}

impl BoolWord {
    pub fn value(self) -> bool {
        matches!(self, BoolWord::Yes | BoolWord::True)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BoolWord::Yes => "yes",
            BoolWord::No => "no",
            BoolWord::True => "true",
            BoolWord::False => "false",
        }
    }

    pub(crate) fn from_word(word: &str) -> Option<BoolWord> {
        match word {
            "yes" => Some(BoolWord::Yes),
            "no" => Some(BoolWord::No),
            "true" => Some(BoolWord::True),
            "false" => Some(BoolWord::False),
            _ => None,
        }
    }
}

/// A constant value: field defaults, test answers and expected field values.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiteralKind {
    Number(Number),
    Text(Text),
    Bool(BoolWord),
    /// A bare word: a value of a `choice` field.
    Choice(Ident),
}

/// An expression in a guard, a routing condition, a `set` or a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

// Equality of expressions is total: their numbers come from digits in the source, so none is
// NaN. Texts hold expressions in placeholders, and texts compare with `Eq`.
impl Eq for Expr {}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(Number),
    Text(Text),
    Bool(BoolWord),
    /// A field, a flag, or a value of a choice field; the engine decides which.
    Name(Ident),
    /// `visited(node)`, `count(node)`...; the engine checks the function and its arguments.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Parentheses the author wrote, kept so formatting does not rewrite the expression.
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `resources has ecg`: the checklist has that value ticked.
    Has,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Has => "has",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub(crate) fn from_token(token: &str) -> Option<BinaryOp> {
        Some(match token {
            "or" => BinaryOp::Or,
            "and" => BinaryOp::And,
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::Ge,
            "has" => BinaryOp::Has,
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            _ => return None,
        })
    }

    /// Binding strength: higher binds tighter. Mirrors the grammar's layering.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Has => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }
}
