//! The interchange form of a tree: a documented, versioned data model for other tools, read
//! and written as JSON or YAML by the hosts (this crate only defines it and converts).
//!
//! Everything a tree says is kept: texts exactly as written between their quotes (escapes and
//! `{field}` placeholders included), conditions and values as written, statements in order.
//! Comments and layout are not kept: importing gives the canonical layout. The form is
//! documented in `docs/interchange.md`; `version` changes when it changes incompatibly.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ast::{
    Expectation, FieldTypeKind, ItemKind, NodeKind, Offered, Outcome, OutcomeKind, SourceFile,
    StmtKind, Text,
};
use crate::format::pieces;

/// What `format` holds in every interchange document.
pub const FORMAT: &str = "calltree.tree";
/// The version of the interchange form this crate reads and writes.
pub const VERSION: u32 = 1;

/// The deepest nesting of lists and maps a host should hand to a YAML or JSON reader. A real
/// document nests six deep; YAML readers take time that grows with the square of the depth
/// of `[` and `{` (160 KB of them took 20 s), so hosts check [`nesting_depth`] first.
pub const MAX_NESTING: usize = 32;

/// Why a document cannot become `.tree` source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InterchangeError {
    /// A value written into the source as it is (a name, a condition, a value) holds a line
    /// break or another control character: it would end the statement, and whatever follows
    /// would be read as new lines of the tree.
    #[error(
        "{place} holds a line break or another control character (U+{code:04X}), which cannot be part of a line of a .tree file there"
    )]
    ControlCharacter { place: String, code: u32 },
}

/// How deeply `[` and `{` nest in a YAML or JSON text, outside quoted strings and comments.
/// Block-style YAML nests by indentation, which costs no reader more than its length.
///
/// A quote opens a string only where a value can start (first on its line, or after one of
/// `[ { , : - ?`), as in YAML: in the middle of plain text it is just a character, and
/// taking it for a string would hide the brackets after it.
pub fn nesting_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut chars = text.chars().peekable();
    // The character before, and the last one that was not a space or a tab.
    let mut previous = '\n';
    let mut significant = '\n';
    while let Some(c) = chars.next() {
        let value_starts = matches!(significant, '\n' | '[' | '{' | ',' | ':' | '-' | '?');
        match c {
            '"' if value_starts => {
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' if value_starts => {
                // In YAML single quotes, `''` is a quote.
                while let Some(inner) = chars.next() {
                    if inner == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '#' if previous.is_whitespace() => {
                for inner in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
                previous = '\n';
                significant = '\n';
                continue;
            }
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
        if c == '\n' || !c.is_whitespace() {
            significant = c;
        }
    }
    deepest
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub version: u32,
    pub tree: TreeDoc,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TreeDoc {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<String>,
    /// How a customer handed on reaches a person (`contact:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FlagDoc>,
    #[serde(default)]
    pub nodes: Vec<NodeDoc>,
    /// The `setup` block: steps every test plays before its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<TestStepDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDoc {
    pub name: String,
    /// `text`, `number`, `yesno`, `date`, `choice` or `choices` (a checklist).
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ChoiceDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// `given`: the value may be handed in when a call starts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// What the pattern accepts, in words, as written between the quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_description: Option<String>,
    /// `[min, max]` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[String; 2]>,
    /// The default value as written (`0`, `basic`, `"text"`, `yes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceDoc {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDoc {
    pub id: String,
    /// `node` or `feedback`.
    #[serde(default = "node_kind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub steps: Vec<StepDoc>,
}

fn node_kind() -> String {
    "node".to_owned()
}

/// One statement of a node, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum StepDoc {
    Say {
        text: String,
    },
    Agent {
        text: String,
    },
    Customer {
        text: String,
    },
    Note {
        text: String,
        /// The condition of a conditional note (`note "..." when ...`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<String>,
    },
    Ask {
        fields: Vec<String>,
    },
    Set {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    Option {
        label: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        only: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<String>,
        /// What choosing the option sets, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        set: Vec<EffectDoc>,
    },
    Continue {
        to: String,
    },
    If {
        when: String,
        to: String,
    },
    Else {
        to: String,
    },
    End(OutcomeDoc),
    Call {
        tree: String,
        then: String,
    },
    Return,
    Rating {
        name: String,
        question: String,
        min: String,
        max: String,
    },
    Comment {
        name: String,
        question: String,
    },
}

/// One `name = value` of an option's `set`; without a value, the flag is set to yes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeDoc {
    /// `resolved`, `escalated`, `callback`, `transferred`, `referred` or `abandoned`.
    pub outcome: String,
    /// The team, queue or service, for `escalated`, `transferred` and `referred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The ending's name in the author's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDoc {
    pub name: String,
    pub steps: Vec<TestStepDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum TestStepDoc {
    As {
        audience: String,
        /// The language the test's call is shown in (`as customer locale fr`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locale: Option<String>,
    },
    Answer {
        field: String,
        value: String,
    },
    Choose {
        label: String,
    },
    Back,
    Note {
        text: String,
    },
    Skip {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    ExpectEnd(OutcomeDoc),
    ExpectNode {
        node: String,
    },
    ExpectField {
        field: String,
        value: String,
    },
    ExpectText {
        contains: String,
    },
    /// `expect option "Label"`, with `disabled: true` for `expect option "Label" disabled`.
    ExpectOption {
        label: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        disabled: bool,
    },
    /// `expect no option "Label"`.
    ExpectNoOption {
        label: String,
    },
    /// `wait 31 minutes`: the amount as written and its unit (`seconds`, `minutes`, `hours`).
    Wait {
        amount: String,
        unit: String,
    },
    /// `given account "12345678"`: the literal as written, like `answer`.
    Given {
        field: String,
        value: String,
    },
}

fn template(text: &Text) -> String {
    pieces::quoted_inner(text, true)
}

fn plain(text: &Text) -> String {
    pieces::quoted_inner(text, false)
}

fn outcome_doc(outcome: &Outcome) -> OutcomeDoc {
    let to = match &outcome.kind {
        OutcomeKind::Escalated(to) | OutcomeKind::Transferred(to) | OutcomeKind::Referred(to) => {
            Some(plain(to))
        }
        _ => None,
    };
    OutcomeDoc {
        outcome: outcome.kind.keyword().to_owned(),
        to,
        result: outcome.result.as_ref().map(plain),
        code: outcome.code.as_ref().map(plain),
    }
}

impl Document {
    /// The interchange form of a parsed file; `None` when the file has no `tree` line.
    pub fn from_file(file: &SourceFile) -> Option<Document> {
        let (head, header) = file.tree()?;
        let mut tree = TreeDoc {
            id: head.name.as_str().to_owned(),
            title: head.title.as_ref().map(template),
            ..TreeDoc::default()
        };
        for stmt in &header.body {
            match &stmt.kind {
                StmtKind::Tags(tags) => tree.tags = tags.iter().map(|t| t.text.clone()).collect(),
                StmtKind::Audience(list) => {
                    tree.audience = list.iter().map(|a| a.name.text.clone()).collect()
                }
                StmtKind::Start(node) => tree.start = Some(node.as_str().to_owned()),
                StmtKind::Version(text) => tree.version = Some(plain(text)),
                StmtKind::Description(text) => tree.description = Some(template(text)),
                StmtKind::Escalation(text) => tree.escalation = Some(plain(text)),
                StmtKind::Contact(text) => tree.contact = Some(plain(text)),
                _ => {}
            }
        }
        for item in &file.items {
            match &item.kind {
                ItemKind::Use(decl) => tree.uses.push(plain(&decl.path)),
                ItemKind::Field(decl) => {
                    let (ty, choices) = match &decl.ty.kind {
                        FieldTypeKind::Text => ("text", Vec::new()),
                        FieldTypeKind::Number => ("number", Vec::new()),
                        FieldTypeKind::YesNo => ("yesno", Vec::new()),
                        FieldTypeKind::Date => ("date", Vec::new()),
                        FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) => (
                            if matches!(decl.ty.kind, FieldTypeKind::Choices(_)) {
                                "choices"
                            } else {
                                "choice"
                            },
                            items
                                .iter()
                                .map(|c| ChoiceDoc {
                                    value: c.value.text.clone(),
                                    label: c.label.as_ref().map(template),
                                })
                                .collect(),
                        ),
                    };
                    tree.fields.push(FieldDoc {
                        name: decl.name.as_str().to_owned(),
                        ty: ty.to_owned(),
                        choices,
                        label: decl.label.as_ref().map(template),
                        required: decl.required.is_some(),
                        given: decl.given.is_some(),
                        pattern: decl.pattern.as_ref().map(|p| p.regex.replace('"', "\\\"")),
                        pattern_description: decl
                            .pattern
                            .as_ref()
                            .and_then(|p| p.description.as_ref())
                            .map(plain),
                        range: decl
                            .range
                            .as_ref()
                            .map(|r| [r.min.text.clone(), r.max.text.clone()]),
                        default: decl.default.as_ref().map(pieces::literal),
                    });
                }
                ItemKind::Flag(decl) => tree.flags.push(FlagDoc {
                    name: decl.name.as_str().to_owned(),
                    label: decl.label.as_ref().map(template),
                }),
                ItemKind::Node(head) => tree.nodes.push(NodeDoc {
                    id: head.name.as_str().to_owned(),
                    kind: match head.kind {
                        NodeKind::Step => "node",
                        NodeKind::Feedback => "feedback",
                    }
                    .to_owned(),
                    title: head.title.as_ref().map(template),
                    steps: item.body.iter().filter_map(|s| step_doc(&s.kind)).collect(),
                }),
                ItemKind::Setup => tree
                    .setup
                    .extend(item.body.iter().filter_map(|s| test_step_doc(&s.kind))),
                ItemKind::Test(head) => tree.tests.push(TestDoc {
                    name: plain(&head.name),
                    steps: item
                        .body
                        .iter()
                        .filter_map(|s| test_step_doc(&s.kind))
                        .collect(),
                }),
                _ => {}
            }
        }
        Some(Document {
            format: FORMAT.to_owned(),
            version: VERSION,
            tree,
        })
    }

    /// `.tree` source for the document, in the canonical layout once parsed and formatted.
    /// Texts are written back between quotes exactly as the document holds them (a line break
    /// in one becomes the `\n` escape). Everything written without quotes (names, conditions,
    /// values) is refused if it holds a line break or another control character, which would
    /// otherwise add lines of its own to the tree.
    pub fn to_source(&self) -> Result<String, InterchangeError> {
        self.check_unquoted()?;
        Ok(self.source())
    }

    fn source(&self) -> String {
        let tree = &self.tree;
        let mut out = String::new();
        let quoted = q;
        let mut line = format!("tree {}", tree.id);
        if let Some(title) = &tree.title {
            line.push_str(&format!(" {}", quoted(title)));
        }
        out.push_str(&line);
        out.push('\n');
        if let Some(description) = &tree.description {
            out.push_str(&format!("  description: {}\n", quoted(description)));
        }
        if let Some(version) = &tree.version {
            out.push_str(&format!("  version: {}\n", quoted(version)));
        }
        if !tree.tags.is_empty() {
            out.push_str(&format!("  tags: {}\n", tree.tags.join(", ")));
        }
        if !tree.audience.is_empty() {
            out.push_str(&format!("  audience: {}\n", tree.audience.join(", ")));
        }
        if let Some(escalation) = &tree.escalation {
            out.push_str(&format!("  escalation: {}\n", quoted(escalation)));
        }
        if let Some(contact) = &tree.contact {
            out.push_str(&format!("  contact: {}\n", quoted(contact)));
        }
        if let Some(start) = &tree.start {
            out.push_str(&format!("  start: {start}\n"));
        }
        for path in &tree.uses {
            out.push_str(&format!("\nuse {}\n", quoted(path)));
        }
        for field in &tree.fields {
            let mut line = format!("\nfield {}: ", field.name);
            if field.ty == "choice" || field.ty == "choices" {
                let items: Vec<String> = field
                    .choices
                    .iter()
                    .map(|c| match &c.label {
                        Some(label) => format!("{} {}", c.value, quoted(label)),
                        None => c.value.clone(),
                    })
                    .collect();
                line.push_str(&format!("{}({})", field.ty, items.join(", ")));
            } else {
                line.push_str(&field.ty);
            }
            if let Some(label) = &field.label {
                line.push_str(&format!(" {}", quoted(label)));
            }
            if field.required {
                line.push_str(" required");
            }
            if field.given {
                line.push_str(" given");
            }
            if let Some(pattern) = &field.pattern {
                line.push_str(&format!(" pattern {}", quoted(pattern)));
                if let Some(description) = &field.pattern_description {
                    line.push_str(&format!(" {}", quoted(description)));
                }
            }
            if let Some([min, max]) = &field.range {
                line.push_str(&format!(" range {min}..{max}"));
            }
            if let Some(default) = &field.default {
                line.push_str(&format!(" = {default}"));
            }
            out.push_str(&line);
            out.push('\n');
        }
        for flag in &tree.flags {
            match &flag.label {
                Some(label) => out.push_str(&format!("\nflag {} {}\n", flag.name, quoted(label))),
                None => out.push_str(&format!("\nflag {}\n", flag.name)),
            }
        }
        for node in &tree.nodes {
            out.push_str(&format!("\n{} {}", node.kind, node.id));
            if let Some(title) = &node.title {
                out.push_str(&format!(" {}", quoted(title)));
            }
            out.push('\n');
            for step in &node.steps {
                out.push_str("  ");
                out.push_str(&step_source(step));
                out.push('\n');
            }
        }
        if !tree.setup.is_empty() {
            out.push_str("\nsetup\n");
            for step in &tree.setup {
                out.push_str("  ");
                out.push_str(&test_step_source(step));
                out.push('\n');
            }
        }
        for test in &tree.tests {
            out.push_str(&format!("\ntest {}\n", quoted(&test.name)));
            for step in &test.steps {
                out.push_str("  ");
                out.push_str(&test_step_source(step));
                out.push('\n');
            }
        }
        out
    }
}

impl Document {
    /// Every value the source writes without quotes, with where it is, for error messages.
    fn check_unquoted(&self) -> Result<(), InterchangeError> {
        let tree = &self.tree;
        let mut values: Vec<(String, &str)> = Vec::new();
        values.push(("the tree's `id`".into(), &tree.id));
        values.extend(tree.tags.iter().map(|t| ("a tag".to_owned(), t.as_str())));
        values.extend(
            tree.audience
                .iter()
                .map(|a| ("an audience".to_owned(), a.as_str())),
        );
        values.extend(
            tree.start
                .iter()
                .map(|s| ("`start`".to_owned(), s.as_str())),
        );
        for field in &tree.fields {
            let place = |what: &str| format!("`{what}` of field `{}`", field.name);
            values.push(("a field's `name`".into(), &field.name));
            values.push((place("type"), &field.ty));
            values.extend(
                field
                    .choices
                    .iter()
                    .map(|c| (place("choices"), c.value.as_str())),
            );
            for bound in field.range.iter().flatten() {
                values.push((place("range"), bound));
            }
            values.extend(field.default.iter().map(|d| (place("default"), d.as_str())));
        }
        values.extend(
            tree.flags
                .iter()
                .map(|f| ("a flag's `name`".to_owned(), f.name.as_str())),
        );
        for node in &tree.nodes {
            values.push(("a node's `id`".into(), &node.id));
            values.push((format!("`kind` of node `{}`", node.id), &node.kind));
            for (number, step) in node.steps.iter().enumerate() {
                let place =
                    |what: &str| format!("`{what}` of step {} of node `{}`", number + 1, node.id);
                match step {
                    StepDoc::Note {
                        when: Some(when), ..
                    } => values.push((place("when"), when)),
                    StepDoc::Ask { fields } => {
                        values.extend(fields.iter().map(|f| (place("fields"), f.as_str())));
                    }
                    StepDoc::Set { name, value } => {
                        values.push((place("name"), name));
                        values.extend(value.iter().map(|v| (place("value"), v.as_str())));
                    }
                    StepDoc::Option {
                        to,
                        only,
                        when,
                        set,
                        ..
                    } => {
                        values.push((place("to"), to));
                        values.extend(only.iter().map(|o| (place("only"), o.as_str())));
                        values.extend(when.iter().map(|w| (place("when"), w.as_str())));
                        for effect in set {
                            values.push((place("set"), &effect.name));
                            values.extend(effect.value.iter().map(|v| (place("set"), v.as_str())));
                        }
                    }
                    StepDoc::Continue { to } | StepDoc::Else { to } => {
                        values.push((place("to"), to))
                    }
                    StepDoc::If { when, to } => {
                        values.push((place("when"), when));
                        values.push((place("to"), to));
                    }
                    StepDoc::End(outcome) => values.push((place("outcome"), &outcome.outcome)),
                    StepDoc::Call { tree, then } => {
                        values.push((place("tree"), tree));
                        values.push((place("then"), then));
                    }
                    StepDoc::Rating { name, min, max, .. } => {
                        values.push((place("name"), name));
                        values.push((place("min"), min));
                        values.push((place("max"), max));
                    }
                    StepDoc::Comment { name, .. } => values.push((place("name"), name)),
                    StepDoc::Say { .. }
                    | StepDoc::Agent { .. }
                    | StepDoc::Customer { .. }
                    | StepDoc::Note { when: None, .. }
                    | StepDoc::Return => {}
                }
            }
        }
        let setup = tree
            .setup
            .iter()
            .enumerate()
            .map(|(number, step)| (format!("step {} of the setup", number + 1), step));
        let tests = tree.tests.iter().flat_map(|test| {
            test.steps.iter().enumerate().map(|(number, step)| {
                (
                    format!("step {} of test \"{}\"", number + 1, test.name),
                    step,
                )
            })
        });
        for (whose, step) in setup.chain(tests) {
            let place = |what: &str| format!("`{what}` of {whose}");
            match step {
                TestStepDoc::As { audience, locale } => {
                    values.push((place("audience"), audience));
                    if let Some(locale) = locale {
                        values.push((place("locale"), locale));
                    }
                }
                TestStepDoc::Answer { field, value }
                | TestStepDoc::Given { field, value }
                | TestStepDoc::ExpectField { field, value } => {
                    values.push((place("field"), field));
                    values.push((place("value"), value));
                }
                TestStepDoc::ExpectEnd(outcome) => {
                    values.push((place("outcome"), &outcome.outcome));
                }
                TestStepDoc::ExpectNode { node } => values.push((place("node"), node)),
                TestStepDoc::Wait { amount, unit } => {
                    values.push((place("amount"), amount));
                    values.push((place("unit"), unit));
                }
                TestStepDoc::Choose { .. }
                | TestStepDoc::Back
                | TestStepDoc::Note { .. }
                | TestStepDoc::Skip { .. }
                | TestStepDoc::Escalate { .. }
                | TestStepDoc::ExpectText { .. }
                | TestStepDoc::ExpectOption { .. }
                | TestStepDoc::ExpectNoOption { .. } => {}
            }
        }
        for (place, value) in values {
            // A tab is only a space to the grammar; every other control character is refused.
            if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') {
                return Err(InterchangeError::ControlCharacter {
                    place,
                    code: u32::from(c),
                });
            }
        }
        Ok(())
    }
}

fn step_doc(kind: &StmtKind) -> Option<StepDoc> {
    Some(match kind {
        StmtKind::Say(text) => StepDoc::Say {
            text: template(text),
        },
        StmtKind::Agent(text) => StepDoc::Agent {
            text: template(text),
        },
        StmtKind::Customer(text) => StepDoc::Customer {
            text: template(text),
        },
        StmtKind::Note(text) => StepDoc::Note {
            text: template(text),
            when: None,
        },
        StmtKind::NoteWhen { text, when } => StepDoc::Note {
            text: template(text),
            when: Some(pieces::expr(when)),
        },
        StmtKind::Ask(vars) => StepDoc::Ask {
            fields: vars.iter().map(|v| v.as_str().to_owned()).collect(),
        },
        StmtKind::Set { var, value } => StepDoc::Set {
            name: var.as_str().to_owned(),
            value: value.as_ref().map(pieces::expr),
        },
        StmtKind::Option(option) => StepDoc::Option {
            label: template(&option.label),
            to: option.target.as_str().to_owned(),
            only: option.only.map(|(audience, _)| audience.name().to_owned()),
            when: option.guard.as_deref().map(pieces::expr),
            set: option
                .effects
                .iter()
                .map(|effect| EffectDoc {
                    name: effect.var.as_str().to_owned(),
                    value: effect.value.as_ref().map(pieces::expr),
                })
                .collect(),
        },
        StmtKind::Goto(target) => StepDoc::Continue {
            to: target.as_str().to_owned(),
        },
        StmtKind::If { condition, target } => StepDoc::If {
            when: pieces::expr(condition),
            to: target.as_str().to_owned(),
        },
        StmtKind::Else(target) => StepDoc::Else {
            to: target.as_str().to_owned(),
        },
        StmtKind::End(outcome) => StepDoc::End(outcome_doc(outcome)),
        StmtKind::Call { tree, then } => StepDoc::Call {
            tree: tree.as_str().to_owned(),
            then: then.as_str().to_owned(),
        },
        StmtKind::Return => StepDoc::Return,
        StmtKind::Rating {
            var,
            question,
            range,
        } => StepDoc::Rating {
            name: var.as_str().to_owned(),
            question: template(question),
            min: range.min.text.clone(),
            max: range.max.text.clone(),
        },
        StmtKind::FeedbackComment { var, question } => StepDoc::Comment {
            name: var.as_str().to_owned(),
            question: template(question),
        },
        _ => return None,
    })
}

fn test_step_doc(kind: &StmtKind) -> Option<TestStepDoc> {
    Some(match kind {
        StmtKind::As(audience, locale) => TestStepDoc::As {
            audience: audience.name.text.clone(),
            locale: locale.as_ref().map(|l| l.text.clone()),
        },
        StmtKind::Answer { var, value } => TestStepDoc::Answer {
            field: var.as_str().to_owned(),
            value: pieces::literal(value),
        },
        StmtKind::Choose(label) => TestStepDoc::Choose {
            label: template(label),
        },
        StmtKind::Back => TestStepDoc::Back,
        StmtKind::Given { var, value } => TestStepDoc::Given {
            field: var.as_str().to_owned(),
            value: pieces::literal(value),
        },
        StmtKind::Wait { amount, unit } => TestStepDoc::Wait {
            amount: amount.text.clone(),
            unit: unit.word(&amount.text).to_owned(),
        },
        StmtKind::Note(text) => TestStepDoc::Note {
            text: template(text),
        },
        StmtKind::Skip(reason) => TestStepDoc::Skip {
            reason: plain(reason),
        },
        StmtKind::Escalate(reason) => TestStepDoc::Escalate {
            reason: plain(reason),
        },
        StmtKind::Expect(Expectation::End(outcome)) => TestStepDoc::ExpectEnd(outcome_doc(outcome)),
        StmtKind::Expect(Expectation::Node(node)) => TestStepDoc::ExpectNode {
            node: node.as_str().to_owned(),
        },
        StmtKind::Expect(Expectation::Field { var, value }) => TestStepDoc::ExpectField {
            field: var.as_str().to_owned(),
            value: pieces::literal(value),
        },
        StmtKind::Expect(Expectation::TextContains(text)) => TestStepDoc::ExpectText {
            contains: plain(text),
        },
        StmtKind::Expect(Expectation::Option { label, offered }) => match offered {
            Offered::Absent => TestStepDoc::ExpectNoOption {
                label: template(label),
            },
            Offered::Enabled | Offered::Disabled => TestStepDoc::ExpectOption {
                label: template(label),
                disabled: *offered == Offered::Disabled,
            },
        },
        _ => return None,
    })
}

/// A text from a document kept on one line: a line break written into a JSON or YAML string
/// becomes the `\n` escape rather than breaking the statement in two.
fn one_line(text: &str) -> String {
    text.replace('\r', "").replace('\n', "\\n")
}

/// A text between quotes, kept on one line.
fn q(text: &str) -> String {
    format!("\"{}\"", one_line(text))
}

fn outcome_source(outcome: &OutcomeDoc) -> String {
    let mut text = outcome.outcome.clone();
    if let Some(to) = &outcome.to {
        text.push_str(&format!(" {}", q(to)));
    }
    if let Some(result) = &outcome.result {
        text.push_str(&format!(" result {}", q(result)));
    }
    if let Some(code) = &outcome.code {
        text.push_str(&format!(" code {}", q(code)));
    }
    text
}

fn step_source(step: &StepDoc) -> String {
    match step {
        StepDoc::Say { text } => format!("say {}", q(text)),
        StepDoc::Agent { text } => format!("agent {}", q(text)),
        StepDoc::Customer { text } => format!("customer {}", q(text)),
        StepDoc::Note { text, when: None } => format!("note {}", q(text)),
        StepDoc::Note {
            text,
            when: Some(when),
        } => format!("note {} when {when}", q(text)),
        StepDoc::Ask { fields } => format!("ask {}", fields.join(", ")),
        StepDoc::Set {
            name,
            value: Some(value),
        } => format!("set {name} = {value}"),
        StepDoc::Set { name, value: None } => format!("set {name}"),
        StepDoc::Option {
            label,
            to,
            only,
            when,
            set,
        } => {
            let mut text = format!("option {} -> {to}", q(label));
            if let Some(only) = only {
                text.push_str(&format!(" {only}-only"));
            }
            if let Some(when) = when {
                text.push_str(&format!(" when {when}"));
            }
            for (index, effect) in set.iter().enumerate() {
                text.push_str(if index == 0 { " set " } else { ", " });
                text.push_str(&effect.name);
                if let Some(value) = &effect.value {
                    text.push_str(&format!(" = {value}"));
                }
            }
            text
        }
        StepDoc::Continue { to } => format!("-> {to}"),
        StepDoc::If { when, to } => format!("if {when} -> {to}"),
        StepDoc::Else { to } => format!("else -> {to}"),
        StepDoc::End(outcome) => format!("end {}", outcome_source(outcome)),
        StepDoc::Call { tree, then } => format!("call {tree} -> {then}"),
        StepDoc::Return => "return".to_owned(),
        StepDoc::Rating {
            name,
            question,
            min,
            max,
        } => format!("rating {name} {} {min}..{max}", q(question)),
        StepDoc::Comment { name, question } => format!("comment {name} {}", q(question)),
    }
}

fn test_step_source(step: &TestStepDoc) -> String {
    match step {
        TestStepDoc::As { audience, locale } => match locale {
            Some(locale) => format!("as {audience} locale {locale}"),
            None => format!("as {audience}"),
        },
        TestStepDoc::Answer { field, value } => format!("answer {field} {value}"),
        TestStepDoc::Choose { label } => format!("choose {}", q(label)),
        TestStepDoc::Back => "back".to_owned(),
        TestStepDoc::Note { text } => format!("note {}", q(text)),
        TestStepDoc::Skip { reason } => format!("skip {}", q(reason)),
        TestStepDoc::Escalate { reason } => format!("escalate {}", q(reason)),
        TestStepDoc::ExpectEnd(outcome) => format!("expect end {}", outcome_source(outcome)),
        TestStepDoc::ExpectNode { node } => format!("expect node {node}"),
        TestStepDoc::ExpectField { field, value } => format!("expect field {field} = {value}"),
        TestStepDoc::ExpectText { contains } => format!("expect text contains {}", q(contains)),
        TestStepDoc::ExpectOption { label, disabled } => format!(
            "expect option {}{}",
            q(label),
            if *disabled { " disabled" } else { "" }
        ),
        TestStepDoc::ExpectNoOption { label } => format!("expect no option {}", q(label)),
        TestStepDoc::Wait { amount, unit } => format!("wait {amount} {unit}"),
        TestStepDoc::Given { field, value } => format!("given {field} {value}"),
    }
}
