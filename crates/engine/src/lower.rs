//! Lowering: from the syntax trees of a project's files to the model, resolving every name.
//!
//! Each problem found on the way is a diagnostic on the file it is in; lowering never stops at
//! the first one. What cannot be resolved (an unknown target, say) is left as `None` in the
//! model so that later checks and sessions can still work with the rest.

use std::borrow::Cow;
use std::collections::HashMap;

use calltree_syntax::{
    self as syntax, Audience, Diagnostic, FieldTypeKind, ItemKind, LiteralKind, Span, StmtKind,
};

use crate::codes;
use crate::damage::{Damage, SyntaxDamage};
use crate::expr::{Scope, unknown_node};
use crate::model::{
    Assignment, ChoiceValue, EntrySkip, Exit, FileId, Node, NodeId, NodeOption, NoteTemplate,
    Outcome, OutcomeKind, Route, Slot, Template, TemplatePart, TestCase, TestSetup, Tree, TreeId,
    Variable, VariableKind,
};
use crate::value::{Date, Type, Value, format_number};

/// A file as the project keeps it: its name and text. Its syntax tree is only needed while
/// lowering and is dropped afterwards (on a 100,000-node tree it is hundreds of megabytes).
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub name: String,
    pub text: String,
}

/// The model under construction, with one list of diagnostics per file.
#[derive(Default)]
pub(crate) struct Lowered<'a> {
    pub files: Vec<ProjectFile>,
    /// The syntax tree of each file, by `FileId`: borrowed from a parse cache that keeps it
    /// for the next re-check, or owned and dropped once the model is built.
    pub syntax: Vec<Cow<'a, syntax::SourceFile>>,
    pub trees: Vec<Tree>,
    pub nodes: Vec<Node>,
    pub tree_names: HashMap<String, TreeId>,
    /// Every field and flag name in the project, by slot.
    pub slot_names: Vec<String>,
    pub slots: HashMap<String, Slot>,
    /// Node names per tree.
    pub node_names: Vec<HashMap<String, NodeId>>,
    /// Where each node's block starts, by id: known once the names are collected, while
    /// `nodes` is filled in as each node is lowered (see `collect_nodes`).
    pub node_spans: Vec<Span>,
    /// Per tree, the names on block lines that did not parse (`nod welcome` gives `welcome`):
    /// references to them are not reported, because the broken line already is.
    pub unreadable_names: Vec<Vec<String>>,
    pub diagnostics: Vec<Vec<Diagnostic>>,
    /// What the damage survey needs from the syntax trees, read before their nodes' blocks
    /// are let go of.
    pub syntax_damage: SyntaxDamage,
}

/// Lowers a project's parsed files: each input is a file's name and text, its syntax tree and
/// the diagnostics its parse found.
pub(crate) fn lower<'a>(
    inputs: Vec<(String, String, Cow<'a, syntax::SourceFile>, Vec<Diagnostic>)>,
) -> Lowered<'a> {
    let mut lowered = Lowered::default();
    for (name, text, syntax, diagnostics) in inputs {
        lowered.files.push(ProjectFile { name, text });
        lowered.syntax.push(syntax);
        lowered.diagnostics.push(diagnostics);
    }
    lowered.collect_trees();
    lowered.collect_variables();
    lowered.collect_nodes();
    lowered.syntax_damage = Damage::read_syntax(&lowered);
    for tree in 0..lowered.trees.len() {
        lowered.lower_tree(TreeId::from_index(tree));
    }
    lowered.collect_tests();
    lowered
}

fn plain(text: &syntax::Text) -> String {
    text.to_plain()
}

impl Lowered<'_> {
    fn report(&mut self, file: FileId, diagnostic: Diagnostic) {
        self.diagnostics[file.index()].push(diagnostic);
    }

    fn collect_trees(&mut self) {
        for file_index in 0..self.files.len() {
            let file = FileId::from_index(file_index);
            let Some((head, item)) = self.syntax[file_index].tree() else {
                continue;
            };
            let name = head.name.as_str().to_owned();
            let span = item.span;
            if let Some(&existing) = self.tree_names.get(&name) {
                let other = &self.files[self.trees[existing.index()].file.index()].name;
                let message =
                    format!("another file already defines a tree called `{name}` ({other})");
                self.report(
                    file,
                    Diagnostic::new(codes::DUPLICATE_TREE, head.name.span(), message)
                        .with_hint("tree ids are unique in a project; rename one of them"),
                );
                continue;
            }
            let mut tree = Tree {
                name: name.clone(),
                title: head.title.as_ref().map_or_else(|| name.clone(), plain),
                file,
                span,
                description: None,
                version: None,
                tags: Vec::new(),
                audiences: Vec::new(),
                escalation: None,
                contact: None,
                start: None,
                nodes: Vec::new(),
                variables: Vec::new(),
                tests: Vec::new(),
                setups: Vec::new(),
                hash: String::new(),
            };
            for stmt in &item.body {
                match &stmt.kind {
                    StmtKind::Tags(tags) => {
                        tree.tags = tags.iter().map(|t| t.text.clone()).collect()
                    }
                    StmtKind::Audience(list) => {
                        tree.audiences = list.iter().filter_map(|a| a.audience).collect();
                    }
                    StmtKind::Version(text) => tree.version = Some(plain(text)),
                    StmtKind::Description(text) => tree.description = Some(plain(text)),
                    StmtKind::Escalation(text) => tree.escalation = Some(plain(text)),
                    StmtKind::Contact(text) => tree.contact = Some(plain(text)),
                    _ => {}
                }
            }
            let id = TreeId::from_index(self.trees.len());
            self.tree_names.insert(name, id);
            self.trees.push(tree);
            self.node_names.push(HashMap::new());
            let unreadable = self.syntax[file_index]
                .items
                .iter()
                .filter_map(|item| match &item.kind {
                    ItemKind::Error(line) => line.raw.split_whitespace().nth(1).map(str::to_owned),
                    _ => None,
                })
                .collect();
            self.unreadable_names.push(unreadable);
        }
    }

    // ---------------------------------------------------------------- variables

    fn collect_variables(&mut self) {
        for tree_index in 0..self.trees.len() {
            let tree = TreeId::from_index(tree_index);
            let file = self.trees[tree_index].file;
            // Taken out while declarations are added (they need `&mut self`), then put back.
            let syntax = std::mem::take(&mut self.syntax[file.index()]);
            for item in &syntax.items {
                match &item.kind {
                    ItemKind::Field(decl) => self.declare_field(tree, file, decl),
                    ItemKind::Flag(decl) => {
                        let label = decl.label.as_ref().map(plain);
                        self.declare(
                            tree,
                            file,
                            &decl.name,
                            VariableKind::Flag,
                            Type::Bool,
                            label,
                            Vec::new(),
                        );
                    }
                    ItemKind::Node(_) => {
                        for stmt in &item.body {
                            match &stmt.kind {
                                StmtKind::Rating {
                                    var,
                                    question,
                                    range,
                                } => {
                                    if let Some(index) = self.declare(
                                        tree,
                                        file,
                                        var,
                                        VariableKind::Rating,
                                        Type::Number,
                                        Some(plain(question)),
                                        Vec::new(),
                                    ) {
                                        self.trees[tree.index()].variables[index].range =
                                            Some((range.min.value, range.max.value));
                                    }
                                }
                                StmtKind::FeedbackComment { var, question } => {
                                    self.declare(
                                        tree,
                                        file,
                                        var,
                                        VariableKind::Comment,
                                        Type::Text,
                                        Some(plain(question)),
                                        Vec::new(),
                                    );
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            self.syntax[file.index()] = syntax;
        }
    }

    fn declare_field(&mut self, tree: TreeId, file: FileId, decl: &syntax::FieldDecl) {
        let (ty_kind, choices) = match &decl.ty.kind {
            FieldTypeKind::Text => (Type::Text, Vec::new()),
            FieldTypeKind::Number => (Type::Number, Vec::new()),
            FieldTypeKind::YesNo => (Type::Bool, Vec::new()),
            FieldTypeKind::Date => (Type::Date, Vec::new()),
            FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) => (
                // The real slot is filled in by `declare`.
                if matches!(decl.ty.kind, FieldTypeKind::Choices(_)) {
                    Type::Choices(Slot(u32::MAX))
                } else {
                    Type::Choice(Slot(u32::MAX))
                },
                items
                    .iter()
                    .map(|c| ChoiceValue {
                        value: c.value.text.clone(),
                        label: c.label.as_ref().map(plain),
                    })
                    .collect(),
            ),
        };
        let label = decl.label.as_ref().map(plain);
        let Some(index) = self.declare(
            tree,
            file,
            &decl.name,
            VariableKind::Field,
            ty_kind,
            label,
            choices,
        ) else {
            return;
        };
        let mut variable = self.trees[tree.index()].variables[index].clone();
        let mut problems = Vec::new();
        let ty = variable.ty;
        let name = decl.name.as_str().to_owned();
        variable.required = decl.required.is_some();
        variable.given = decl.given.is_some();
        if let Some(pattern) = &decl.pattern {
            if ty != Type::Text {
                problems.push(Diagnostic::new(
                    codes::TYPE_ERROR,
                    pattern.span,
                    format!(
                        "`{name}` is {}, and only text fields take a `pattern`",
                        ty.describe()
                    ),
                ));
            }
            variable.pattern_description = pattern.description.as_ref().map(|d| d.to_plain());
            match regex::Regex::new(&format!("^(?:{})$", pattern.regex)) {
                Ok(regex) => variable.pattern = Some(regex),
                Err(error) => {
                    let reason = error.to_string();
                    let last = reason.lines().last().unwrap_or("invalid").trim().to_owned();
                    problems.push(
                        Diagnostic::new(
                            codes::BAD_PATTERN,
                            pattern.span,
                            format!(
                                "this pattern is not a valid regular expression: {}",
                                last.trim_start_matches("error: ")
                            ),
                        )
                        .with_hint(
                            "patterns use the usual regular-expression syntax, like \"[0-9]{8}\"",
                        ),
                    );
                }
            }
        }
        if let Some(range) = &decl.range {
            if ty == Type::Number {
                variable.range = Some((range.min.value, range.max.value));
            } else {
                problems.push(Diagnostic::new(
                    codes::TYPE_ERROR,
                    range.span,
                    format!(
                        "`{name}` is {}, and only number fields take a `range`",
                        ty.describe()
                    ),
                ));
            }
        }
        if let Some(default) = &decl.default {
            match literal_value(&variable, &default.kind).and_then(|value| {
                check_answer(&variable, &value)?;
                Ok(value)
            }) {
                Ok(value) => variable.default = value,
                Err(problem) => problems.push(Diagnostic::new(
                    codes::BAD_DEFAULT,
                    default.span,
                    format!("the default of `{name}` is not a valid value: {problem}"),
                )),
            }
        }
        self.trees[tree.index()].variables[index] = variable;
        for problem in problems {
            self.report(file, problem);
        }
    }

    /// Declares a variable in a tree and returns its position in the tree's list; `None`
    /// when the tree declares the name already.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per kind of declaration, all different"
    )]
    fn declare(
        &mut self,
        tree: TreeId,
        file: FileId,
        name: &syntax::VarName,
        kind: VariableKind,
        ty: Type,
        label: Option<String>,
        choices: Vec<ChoiceValue>,
    ) -> Option<usize> {
        let text = name.as_str();
        if let Some(first) = self.trees[tree.index()]
            .variables
            .iter()
            .find(|v| v.name == text)
        {
            let first = first.span;
            self.report(
                file,
                Diagnostic::new(
                    codes::DUPLICATE_VARIABLE,
                    name.span(),
                    format!("`{text}` is declared twice in this tree"),
                )
                .with_hint("keep one declaration; fields and flags share one set of names")
                .with_related(first, "first declared here"),
            );
            return None;
        }
        let slot = match self.slots.get(text) {
            Some(&slot) => slot,
            None => {
                let slot = Slot::from_index(self.slot_names.len());
                self.slot_names.push(text.to_owned());
                self.slots.insert(text.to_owned(), slot);
                slot
            }
        };
        let ty = match ty {
            Type::Choice(_) => Type::Choice(slot),
            Type::Choices(_) => Type::Choices(slot),
            other => other,
        };
        let variables = &mut self.trees[tree.index()].variables;
        variables.push(Variable {
            name: text.to_owned(),
            slot,
            kind,
            ty,
            label,
            required: false,
            given: false,
            pattern: None,
            pattern_description: None,
            range: None,
            choices,
            default: if kind == VariableKind::Flag {
                Value::Bool(false)
            } else {
                Value::Unset
            },
            span: name.span(),
        });
        Some(variables.len() - 1)
    }

    // ---------------------------------------------------------------- nodes

    fn collect_nodes(&mut self) {
        for tree_index in 0..self.trees.len() {
            let file = self.trees[tree_index].file;
            let mut reports = Vec::new();
            // Room for every node at once: grown by doubling, the vector of 100,000 nodes
            // kept room for 31,000 more, and the copies of its growth stood at the peak. The
            // room is only written (and so only takes memory) as each node is lowered, while
            // the syntax tree lets go of the node's block: made here, the nodes were 40 MiB
            // more beside the whole syntax tree.
            let count = self.syntax[file.index()].nodes().count();
            self.nodes.reserve(count);
            self.node_spans.reserve(count);
            self.node_names[tree_index].reserve(count);
            self.trees[tree_index].nodes.reserve(count);
            for (head, item) in self.syntax[file.index()].nodes() {
                let name = head.name.as_str();
                if let Some(&first) = self.node_names[tree_index].get(name) {
                    reports.push(
                        Diagnostic::new(
                            codes::DUPLICATE_NODE,
                            head.name.span(),
                            format!("there is already a node called `{name}` in this tree"),
                        )
                        .with_hint("node ids are unique within a tree; rename one of them")
                        .with_related(self.node_spans[first.index()], "first defined here"),
                    );
                    continue;
                }
                let id = NodeId::from_index(self.node_spans.len());
                self.node_names[tree_index].insert(name.to_owned(), id);
                self.trees[tree_index].nodes.push(id);
                self.node_spans.push(item.span);
            }
            for diagnostic in reports {
                self.report(file, diagnostic);
            }
        }
    }

    fn lower_tree(&mut self, tree: TreeId) {
        let file = self.trees[tree.index()].file;
        // Taken out while the tree's nodes are built (that needs `&mut self`), then put back.
        let syntax_file = std::mem::take(&mut self.syntax[file.index()]);
        let mut diagnostics = std::mem::take(&mut self.diagnostics[file.index()]);

        // The start node.
        let start = syntax_file.tree().and_then(|(_, item)| {
            item.body.iter().find_map(|stmt| match &stmt.kind {
                StmtKind::Start(name) => Some(name.clone()),
                _ => None,
            })
        });
        match start {
            Some(name) => {
                self.trees[tree.index()].start = self.resolve_target(
                    tree,
                    &self.node_names[tree.index()],
                    &name,
                    &mut diagnostics,
                );
            }
            None => {
                let span = self.trees[tree.index()].span;
                diagnostics.push(
                    Diagnostic::new(
                        codes::MISSING_START,
                        span,
                        format!("tree `{}` has no `start:`", self.trees[tree.index()].name),
                    )
                    .with_hint(
                        "add `start: <node>` under the `tree` line to say where a call begins",
                    ),
                );
            }
        }

        // What every node of the tree resolves names against, built once per tree.
        let variables = self.trees[tree.index()].variables.clone();
        let context = TreeContext {
            tree,
            // Moved out while the tree is lowered and put back after: a copy was the size of
            // the file again.
            source: std::mem::take(&mut self.files[file.index()].text),
            // Moved out and put back too: a copy was a string for every node of the tree,
            // made again on every re-check.
            node_names: std::mem::take(&mut self.node_names[tree.index()]),
            variable_names: variables
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.clone(), i))
                .collect(),
            variables,
        };
        let mut syntax_file = syntax_file;
        for index in 0..syntax_file.items.len() {
            let item = &syntax_file.items[index];
            let ItemKind::Node(head) = &item.kind else {
                continue;
            };
            let Some(&id) = context.node_names.get(head.name.as_str()) else {
                continue;
            };
            if self.node_spans[id.index()] != item.span {
                // A duplicate: reported already, and its body belongs to nobody.
                continue;
            }
            self.lower_node(&context, id, head, item, &mut diagnostics);
            // Nothing reads a node's block after this (the fingerprint and the damage survey
            // read the tree before lowering), so a tree the load owns lets go of it now: the
            // model grows while the syntax tree shrinks, instead of both being whole at once.
            //
            // The block's first line goes with it: its name and title were allocated among the
            // body's small pieces, and kept alive they held every page those pieces shared, so
            // freed bodies could not make room for the model (the load's peak was 100 MiB
            // higher with them kept).
            if let Cow::Owned(owned) = &mut syntax_file {
                let item = &mut owned.items[index];
                item.body = Vec::new();
                item.leading = Vec::new();
                item.trailing = Vec::new();
                item.comment = None;
                if let ItemKind::Node(head) = &mut item.kind {
                    head.title = None;
                    head.name.0.text = String::new();
                }
            }
        }
        self.syntax[file.index()] = syntax_file;
        self.files[file.index()].text = context.source;
        self.node_names[tree.index()] = context.node_names;
        self.diagnostics[file.index()] = diagnostics;
    }

    /// The node `name` names in `tree`, whose node names are `node_names` (passed in, since
    /// the tree's lowering holds them).
    fn resolve_target(
        &self,
        tree: TreeId,
        node_names: &HashMap<String, NodeId>,
        name: &syntax::NodeName,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<NodeId> {
        if let Some(&id) = node_names.get(name.as_str()) {
            return Some(id);
        }
        if self.unreadable_names[tree.index()]
            .iter()
            .any(|n| n == name.as_str())
        {
            return None;
        }
        let names: Vec<&str> = node_names.keys().map(String::as_str).collect();
        diagnostics.push(unknown_node(name.as_str(), name.span(), &names));
        None
    }

    fn lower_node(
        &mut self,
        context: &TreeContext,
        id: NodeId,
        head: &syntax::NodeHead,
        item: &syntax::Item,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let tree = context.tree;
        let source = &context.source;
        let mut node = Node {
            name: head.name.as_str().to_owned(),
            kind: head.kind,
            file: self.trees[tree.index()].file,
            span: item.span,
            ..empty_node(tree)
        };

        let mut scope = Scope {
            variables: &context.variables,
            variable_names: &context.variable_names,
            node_names: &context.node_names,
            source,
            diagnostics,
        };
        node.title = head.title.as_ref().map(|t| template(&mut scope, t));

        let mut exits = ExitBuilder::default();
        let mut written = Vec::new();
        let entry_skips = entry_skip_count(&item.body);
        for (position, stmt) in item.body.iter().enumerate() {
            match &stmt.kind {
                StmtKind::Option(option) => {
                    for expr in option
                        .guard
                        .as_deref()
                        .into_iter()
                        .chain(option.effects.iter().filter_map(|e| e.value.as_ref()))
                    {
                        written_names(expr, &mut written);
                    }
                }
                StmtKind::NoteWhen { when: expr, .. }
                | StmtKind::If {
                    condition: expr, ..
                }
                | StmtKind::Set {
                    value: Some(expr), ..
                } => written_names(expr, &mut written),
                _ => {}
            }
            match &stmt.kind {
                StmtKind::Say(text) => node.say.push(template(&mut scope, text)),
                StmtKind::Agent(text) => node.agent.push(template(&mut scope, text)),
                StmtKind::Customer(text) => node.customer.push(template(&mut scope, text)),
                StmtKind::Note(text) => node.notes.push(NoteTemplate {
                    text: template(&mut scope, text),
                    when: None,
                    span: stmt.span,
                }),
                StmtKind::NoteWhen { text, when } => {
                    let text = template(&mut scope, text);
                    node.notes.push(NoteTemplate {
                        text,
                        when: scope.condition(when),
                        span: stmt.span,
                    });
                }
                StmtKind::Ask(names) => {
                    for name in names {
                        if let Some(slot) = askable(&mut scope, name) {
                            node.asks.push((slot, name.span()));
                        }
                    }
                }
                StmtKind::Rating { var, .. } | StmtKind::FeedbackComment { var, .. } => {
                    if let Some(&index) = scope.variable_names.get(var.as_str()) {
                        node.asks.push((scope.variables[index].slot, var.span()));
                    }
                }
                StmtKind::Set { var, value } => {
                    if let Some(assignment) = assignment(&mut scope, var, value.as_ref(), stmt.span)
                    {
                        node.sets.push(assignment);
                    }
                }
                StmtKind::Option(option) => {
                    let label = template(&mut scope, &option.label);
                    let guard = option
                        .guard
                        .as_ref()
                        .and_then(|g| scope.condition(g))
                        .map(Box::new);
                    let duplicate = exits
                        .options
                        .iter()
                        .find(|o| o.label.source == label.source)
                        .map(|o| o.span);
                    if let Some(first) = duplicate {
                        scope.diagnostics.push(
                            Diagnostic::new(
                                codes::DUPLICATE_OPTION,
                                option.label.span,
                                format!("this node already has an option labelled \"{}\"", label.source),
                            )
                            .with_hint("give each option its own label, so the person (and a test) can tell them apart")
                            .with_related(first, "first option with this label"),
                        );
                    }
                    exits.record(ExitKind::Options, stmt.span, scope.diagnostics);
                    let guard_text = option
                        .guard
                        .as_ref()
                        .and_then(|g| source.get(g.span.range()))
                        .map(Box::from);
                    let guard_words = option
                        .guard
                        .as_ref()
                        .map(|g| crate::wording::in_words(g, &scope).into_boxed_str());
                    exits.options.push(NodeOption {
                        label,
                        target: None,
                        only: option.only.map(|(audience, _)| audience),
                        guard,
                        guard_text,
                        guard_words,
                        effects: exact(
                            option
                                .effects
                                .iter()
                                .filter_map(|effect| {
                                    assignment(
                                        &mut scope,
                                        &effect.var,
                                        effect.value.as_ref(),
                                        effect.span,
                                    )
                                })
                                .collect(),
                        ),
                        effects_text: match (option.effects.first(), option.effects.last()) {
                            (Some(first), Some(last)) => source
                                .get(first.span.range().start..last.span.range().end)
                                .map(Box::from),
                            _ => None,
                        },
                        span: stmt.span,
                    });
                    exits.option_targets.push(&option.target);
                }
                StmtKind::Goto(target) => {
                    exits.record(ExitKind::Continue, stmt.span, scope.diagnostics);
                    exits.single_target = Some(target);
                }
                StmtKind::If { condition, target } if position < entry_skips => {
                    let compiled = scope.condition(condition);
                    let because = crate::wording::in_words(condition, &scope);
                    node.entry.push(EntrySkip {
                        // A condition that did not compile is reported already; the skip
                        // stays (never taken) so its target is not also reported unreachable.
                        condition: compiled.unwrap_or(crate::expr::Expr::Const(Value::Unset)),
                        condition_text: source
                            .get(condition.span.range())
                            .unwrap_or_default()
                            .to_owned(),
                        because,
                        target: self.resolve_target(
                            tree,
                            &context.node_names,
                            target,
                            scope.diagnostics,
                        ),
                        span: stmt.span,
                    });
                }
                StmtKind::If { condition, target } => {
                    exits.record(ExitKind::Route, stmt.span, scope.diagnostics);
                    if let Some(else_span) = exits.else_span {
                        scope.diagnostics.push(
                            Diagnostic::new(
                                codes::CONFLICTING_EXITS,
                                stmt.span,
                                "this `if` comes after `else`, which catches what the conditions above it do not",
                            )
                            .with_hint("move `else` to the end of the routing")
                            .with_related(else_span, "the `else` is here"),
                        );
                    }
                    exits.routes.push(PendingRoute {
                        condition: scope.condition(condition),
                        text: source
                            .get(condition.span.range())
                            .unwrap_or_default()
                            .to_owned(),
                        target,
                        span: stmt.span,
                    });
                }
                StmtKind::Else(target) => {
                    exits.record(ExitKind::Route, stmt.span, scope.diagnostics);
                    if exits.else_span.is_some() {
                        scope.diagnostics.push(Diagnostic::new(
                            codes::CONFLICTING_EXITS,
                            stmt.span,
                            "this routing already has an `else`",
                        ));
                    }
                    if exits.else_span.is_none() {
                        // The first `else` counts, as the first of anything given twice does.
                        exits.else_span = Some(stmt.span);
                        exits.otherwise = Some(target);
                    }
                }
                StmtKind::End(outcome) => {
                    exits.record(ExitKind::End, stmt.span, scope.diagnostics);
                    exits.outcome = Some(Outcome {
                        kind: match outcome.kind {
                            syntax::OutcomeKind::Resolved => OutcomeKind::Resolved,
                            syntax::OutcomeKind::Escalated(_) => OutcomeKind::Escalated,
                            syntax::OutcomeKind::Callback => OutcomeKind::Callback,
                            syntax::OutcomeKind::Transferred(_) => OutcomeKind::Transferred,
                            syntax::OutcomeKind::Referred(_) => OutcomeKind::Referred,
                            syntax::OutcomeKind::Abandoned => OutcomeKind::Abandoned,
                        },
                        to: match &outcome.kind {
                            syntax::OutcomeKind::Escalated(to)
                            | syntax::OutcomeKind::Transferred(to)
                            | syntax::OutcomeKind::Referred(to) => Some(plain(to)),
                            _ => None,
                        },
                        result: outcome.result.as_ref().map(plain),
                        code: outcome.code.as_ref().map(plain),
                    });
                }
                StmtKind::Call { tree: callee, then } => {
                    exits.record(ExitKind::Call, stmt.span, scope.diagnostics);
                    exits.call = Some((callee, then));
                }
                StmtKind::Return => exits.record(ExitKind::Return, stmt.span, scope.diagnostics),
                _ => {}
            }
        }

        node.required = node
            .asks
            .iter()
            .filter(|(slot, _)| {
                context
                    .variables
                    .iter()
                    .any(|v| v.slot == *slot && v.required)
            })
            .map(|(slot, _)| *slot)
            .collect();
        node.mentions = written
            .iter()
            .filter_map(|name| context.variable_names.get(*name))
            .map(|&index| context.variables[index].slot)
            .collect();
        node.exit = self.finish_exit(tree, &context.node_names, &node, exits, diagnostics);
        for texts in [&mut node.say, &mut node.agent, &mut node.customer] {
            *texts = exact(std::mem::take(texts));
        }
        node.notes = exact(node.notes);
        node.asks = exact(node.asks);
        node.sets = exact(node.sets);
        node.entry = exact(node.entry);
        if node.is_routing()
            && (!node.say.is_empty()
                || !node.agent.is_empty()
                || !node.customer.is_empty()
                || !node.asks.is_empty())
        {
            diagnostics.push(
                Diagnostic::new(
                    codes::ROUTING_WITH_CONTENT,
                    item.span,
                    format!("node `{}` routes automatically, so nobody would see its text or questions", node.name),
                )
                .with_hint("move the text and questions to the node before it, or replace the routing with options"),
            );
        }
        // Nodes are lowered in the order `collect_nodes` numbered them (trees in order, each
        // tree's blocks in order, duplicates skipped by both), so this is node `id`.
        debug_assert_eq!(self.nodes.len(), id.index());
        self.nodes.push(node);
    }

    fn finish_exit(
        &self,
        tree: TreeId,
        node_names: &HashMap<String, NodeId>,
        node: &Node,
        exits: ExitBuilder<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Exit {
        let Some(kind) = exits.kind else {
            return Exit::None;
        };
        let mut resolve =
            |name: &syntax::NodeName| self.resolve_target(tree, node_names, name, diagnostics);
        match kind {
            ExitKind::Options => {
                let mut options = exits.options;
                for (option, target) in options.iter_mut().zip(exits.option_targets) {
                    option.target = resolve(target);
                }
                Exit::Options(exact(options))
            }
            ExitKind::Continue => Exit::Continue(exits.single_target.and_then(&mut resolve)),
            ExitKind::Route => {
                let routes = exits
                    .routes
                    .into_iter()
                    .map(|route| Route {
                        // A condition that did not compile is reported already; the route
                        // stays (never taken) so its target is not also reported unreachable.
                        condition: route
                            .condition
                            .unwrap_or(crate::expr::Expr::Const(Value::Unset)),
                        condition_text: route.text,
                        target: resolve(route.target),
                        span: route.span,
                    })
                    .collect();
                let otherwise = exits.otherwise.map(&mut resolve);
                if otherwise.is_none() {
                    diagnostics.push(
                        Diagnostic::new(
                            codes::ROUTING_WITHOUT_ELSE,
                            node.span,
                            format!("node `{}` routes with `if` but has no `else`: when no condition holds, the call is stuck", node.name),
                        )
                        .with_hint("end the routing with `else -> <node>`"),
                    );
                }
                Exit::Route {
                    routes,
                    otherwise,
                    else_span: exits.else_span,
                }
            }
            ExitKind::End => match exits.outcome {
                Some(outcome) => Exit::End(outcome),
                None => Exit::None,
            },
            ExitKind::Call => {
                let Some((callee, then)) = exits.call else {
                    return Exit::None;
                };
                let then = resolve(then);
                let tree_id = self.tree_names.get(callee.as_str()).copied();
                if tree_id.is_none() {
                    let names: Vec<&str> = self.tree_names.keys().map(String::as_str).collect();
                    let mut diagnostic = Diagnostic::new(
                        codes::UNKNOWN_TREE,
                        callee.span(),
                        format!(
                            "there is no tree called `{}` in this project",
                            callee.as_str()
                        ),
                    );
                    diagnostic = match syntax::nearest(callee.as_str(), &names) {
                        Some(s) => diagnostic.with_hint(format!("did you mean `{s}`?")),
                        None => diagnostic.with_hint(
                            "the trees in this file's folder are loaded already: bring in a file from elsewhere with `use \"path/to/file.tree\"`, and check the name on the sub-tree's `tree` line",
                        ),
                    };
                    diagnostics.push(diagnostic);
                }
                Exit::Call {
                    tree: tree_id,
                    then,
                }
            }
            ExitKind::Return => Exit::Return,
        }
    }

    // ---------------------------------------------------------------- tests

    fn collect_tests(&mut self) {
        for file_index in 0..self.files.len() {
            let file = FileId::from_index(file_index);
            let syntax_file = &self.syntax[file_index];
            let Some(owner) = syntax_file.tree_name() else {
                continue;
            };
            let setup = syntax_file.setup().map(|item| TestSetup {
                file,
                span: item.span,
                steps: item.body.clone(),
            });
            let mut tests: Vec<TestCase> = syntax_file
                .tests()
                .map(|(head, item)| TestCase {
                    name: plain(&head.name),
                    file,
                    span: item.span,
                    steps: item.body.clone(),
                    setup: None,
                })
                .collect();
            let owner_name = owner.as_str().to_owned();
            let owner_span = owner.span();
            let is_tests_for = syntax_file.tree().is_none();
            match self.tree_names.get(&owner_name) {
                Some(&tree) if is_tests_for || self.trees[tree.index()].file == file => {
                    let tree = &mut self.trees[tree.index()];
                    if let Some(setup) = setup {
                        let index = tree.setups.len();
                        tree.setups.push(setup);
                        for test in &mut tests {
                            test.setup = Some(index);
                        }
                    }
                    tree.tests.extend(tests);
                }
                Some(_) => {}
                None => {
                    let names: Vec<&str> = self.tree_names.keys().map(String::as_str).collect();
                    let mut diagnostic = Diagnostic::new(
                        codes::UNKNOWN_TREE,
                        owner_span,
                        format!("there is no tree called `{owner_name}` in this project"),
                    );
                    if let Some(s) = syntax::nearest(&owner_name, &names) {
                        diagnostic = diagnostic.with_hint(format!("did you mean `{s}`?"));
                    }
                    self.report(file, diagnostic);
                }
            }
        }
    }
}

/// A tree's names, resolved once for all of its nodes.
struct TreeContext {
    tree: TreeId,
    source: String,
    node_names: HashMap<String, NodeId>,
    variables: Vec<Variable>,
    variable_names: HashMap<String, usize>,
}

/// The same elements in an allocation of exactly their number: a vector grown by pushes keeps
/// up to twice the room it needs (four texts' room for one `say`), `shrink_to_fit` does not
/// help under mimalloc (it keeps a block that shrinks by less than half), and the model keeps
/// every node's vectors for as long as the project lives.
fn exact<T>(mut grown: Vec<T>) -> Vec<T> {
    if grown.capacity() == grown.len() {
        return grown;
    }
    let mut exact = Vec::with_capacity(grown.len());
    exact.append(&mut grown);
    exact
}

/// A node with nothing in it yet: filled in as its lines are lowered.
fn empty_node(tree: TreeId) -> Node {
    Node {
        tree,
        name: String::new(),
        title: None,
        kind: syntax::NodeKind::Step,
        file: FileId(0),
        span: Span::default(),
        say: Vec::new(),
        agent: Vec::new(),
        customer: Vec::new(),
        notes: Vec::new(),
        asks: Vec::new(),
        sets: Vec::new(),
        entry: Vec::new(),
        exit: Exit::None,
        mentions: Vec::new(),
        required: Vec::new(),
    }
}

/// Names written in an expression (field, flag or choice words), for usage checks that must
/// not depend on the expression type-checking.
fn written_names<'e>(expr: &'e syntax::Expr, out: &mut Vec<&'e str>) {
    match &expr.kind {
        syntax::ExprKind::Name(ident) => out.push(&ident.text),
        syntax::ExprKind::Call { args, .. } => args.iter().for_each(|a| written_names(a, out)),
        syntax::ExprKind::Not(e) | syntax::ExprKind::Neg(e) | syntax::ExprKind::Paren(e) => {
            written_names(e, out)
        }
        syntax::ExprKind::Binary { lhs, rhs, .. } => {
            written_names(lhs, out);
            written_names(rhs, out);
        }
        syntax::ExprKind::Number(_) | syntax::ExprKind::Text(_) | syntax::ExprKind::Bool(_) => {}
    }
}

/// Which kind of way out a statement gives a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExitKind {
    Options,
    Continue,
    Route,
    End,
    Call,
    Return,
}

impl ExitKind {
    fn describe(self) -> &'static str {
        match self {
            ExitKind::Options => "options",
            ExitKind::Continue => "a `->` continue",
            ExitKind::Route => "`if`/`else` routing",
            ExitKind::End => "an `end`",
            ExitKind::Call => "a `call`",
            ExitKind::Return => "a `return`",
        }
    }

    /// Kinds that may appear on several lines of one node.
    fn repeats(self) -> bool {
        matches!(self, ExitKind::Options | ExitKind::Route)
    }
}

/// An `if` line read, its target not yet resolved.
struct PendingRoute<'s> {
    condition: Option<crate::expr::Expr>,
    text: String,
    target: &'s syntax::NodeName,
    span: Span,
}

/// Collects a node's exit statements and reports a second, conflicting kind of exit.
/// Targets are borrowed from the syntax tree: they are only needed until the exit is resolved.
#[derive(Default)]
struct ExitBuilder<'s> {
    kind: Option<ExitKind>,
    first_span: Option<Span>,
    options: Vec<NodeOption>,
    option_targets: Vec<&'s syntax::NodeName>,
    single_target: Option<&'s syntax::NodeName>,
    routes: Vec<PendingRoute<'s>>,
    otherwise: Option<&'s syntax::NodeName>,
    else_span: Option<Span>,
    outcome: Option<Outcome>,
    call: Option<(&'s syntax::TreeName, &'s syntax::NodeName)>,
}

impl ExitBuilder<'_> {
    fn record(&mut self, kind: ExitKind, span: Span, diagnostics: &mut Vec<Diagnostic>) {
        match (self.kind, self.first_span) {
            (None, _) => {
                self.kind = Some(kind);
                self.first_span = Some(span);
            }
            (Some(existing), Some(first)) if existing != kind || !kind.repeats() => {
                let message = if existing == kind {
                    format!(
                        "this node already has {}; a node has one way out",
                        kind.describe()
                    )
                } else {
                    format!(
                        "this node already has {}, so it cannot also have {}",
                        existing.describe(),
                        kind.describe()
                    )
                };
                let hint = if kind == ExitKind::Route || existing == ExitKind::Route {
                    "to pass this step over on arrival when a condition holds, put its `if ... ->` lines first in the node, with no `else`; otherwise a node has one kind of way out: split it into two nodes"
                } else {
                    "a node has one kind of way out: options, `->`, routing, `call`, `end` or `return`; split it into two nodes"
                };
                diagnostics.push(
                    Diagnostic::new(codes::CONFLICTING_EXITS, span, message)
                        .with_hint(hint)
                        .with_related(first, "the node's way out starts here"),
                );
            }
            _ => {}
        }
    }
}

/// How many `if` lines at the top of a node are entry skips: all of them when the node has
/// a way out of its own (options, `->`, `call`, `end`, `return`) and no `else`; none when its
/// `if`s are its routing.
fn entry_skip_count(body: &[syntax::Stmt]) -> usize {
    let has_own_exit = body.iter().any(|stmt| {
        matches!(
            stmt.kind,
            StmtKind::Option(_)
                | StmtKind::Goto(_)
                | StmtKind::End(_)
                | StmtKind::Call { .. }
                | StmtKind::Return
        )
    });
    let has_else = body
        .iter()
        .any(|stmt| matches!(stmt.kind, StmtKind::Else(_)));
    if !has_own_exit || has_else {
        return 0;
    }
    body.iter()
        .take_while(|stmt| matches!(stmt.kind, StmtKind::If { .. }))
        .count()
}

/// `set name = value` in a node, or one effect of an option: the value type-checked against
/// the variable, and a bare `set name` allowed only for yes/no.
fn assignment(
    scope: &mut Scope<'_>,
    var: &syntax::VarName,
    value: Option<&syntax::Expr>,
    span: Span,
) -> Option<Assignment> {
    let Some(&index) = scope.variable_names.get(var.as_str()) else {
        scope.unknown_variable(var.as_str(), var.span());
        return None;
    };
    let (slot, ty) = (scope.variables[index].slot, scope.variables[index].ty);
    let value = match value {
        Some(expr) => scope.value_for(index, expr),
        None if ty == Type::Bool => None,
        None => {
            let name = var.as_str();
            scope.diagnostics.push(
                Diagnostic::new(
                    codes::TYPE_ERROR,
                    span,
                    format!(
                        "`set {name}` on its own means yes, but `{name}` is {}",
                        ty.describe()
                    ),
                )
                .with_hint(format!("give it a value: `set {name} = ...`")),
            );
            return None;
        }
    };
    Some(Assignment { slot, value, span })
}

fn askable(scope: &mut Scope<'_>, name: &syntax::VarName) -> Option<Slot> {
    let Some(&index) = scope.variable_names.get(name.as_str()) else {
        scope.unknown_variable(name.as_str(), name.span());
        return None;
    };
    let slot = scope.variables[index].slot;
    if scope.variables[index].kind == VariableKind::Flag {
        scope.diagnostics.push(
            Diagnostic::new(
                codes::NOT_ASKABLE,
                name.span(),
                format!(
                    "`{}` is a flag: flags are set by the tree, not asked",
                    name.as_str()
                ),
            )
            .with_hint(format!(
                "use `set {}` where it becomes true, or declare a `yesno` field to ask",
                name.as_str()
            )),
        );
        return None;
    }
    Some(slot)
}

fn template(scope: &mut Scope<'_>, text: &syntax::Text) -> Template {
    let mut parts = Vec::with_capacity(text.segments.len());
    for segment in &text.segments {
        match segment {
            syntax::Segment::Literal(literal) => {
                parts.push(TemplatePart::Text(literal.as_str().into()))
            }
            syntax::Segment::Field(name) => match scope.variable_names.get(name.as_str()) {
                Some(&index) => {
                    parts.push(TemplatePart::Var(scope.variables[index].slot, name.span()))
                }
                None => {
                    scope.unknown_variable(name.as_str(), name.span());
                    parts.push(TemplatePart::Text(format!("{{{}}}", name.as_str()).into()));
                }
            },
            syntax::Segment::Expr(expr) => match scope.shown_value(expr) {
                Some((compiled, ty)) => {
                    parts.push(TemplatePart::Expr(Box::new(compiled), ty, expr.span))
                }
                // Reported already; the text keeps what was written.
                None => parts.push(TemplatePart::Text(
                    format!(
                        "{{{}}}",
                        scope.source.get(expr.span.range()).unwrap_or_default()
                    )
                    .into(),
                )),
            },
        }
    }
    Template {
        parts: parts.into_boxed_slice(),
        source: text.to_plain(),
        shown: None,
        span: text.span,
    }
}

/// The value a literal denotes for a variable, or what is wrong with it.
pub(crate) fn literal_value(variable: &Variable, literal: &LiteralKind) -> Result<Value, String> {
    match (variable.ty, literal) {
        (Type::Number, LiteralKind::Number(n)) => Ok(Value::Number(n.value)),
        (Type::Bool, LiteralKind::Bool(word)) => Ok(Value::Bool(word.value())),
        (Type::Text, LiteralKind::Text(text)) => Ok(Value::Text(text.to_plain())),
        (Type::Date, LiteralKind::Text(text)) => Date::parse(&text.to_plain())
            .map(Value::Date)
            .ok_or_else(|| "write dates as \"YYYY-MM-DD\"".to_owned()),
        (Type::Choice(_), LiteralKind::Choice(word)) => choice_index(variable, &word.text),
        (Type::Choice(_), LiteralKind::Text(text)) => choice_index(variable, &text.to_plain()),
        (Type::Choices(_), LiteralKind::Choice(word)) => ticked(variable, &word.text),
        (Type::Choices(_), LiteralKind::Text(text)) => ticked(variable, &text.to_plain()),
        (ty, _) => Err(format!("`{}` holds {}", variable.name, ty.describe())),
    }
}

/// A checklist's ticked values from their words, separated by commas or spaces
/// (`"labs, ecg"`); an empty text ticks nothing.
fn ticked(variable: &Variable, words: &str) -> Result<Value, String> {
    let mut ticked = Vec::new();
    for word in words.split(|c: char| c == ',' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        match choice_index(variable, word)? {
            Value::Choice(index) => ticked.push(index),
            _ => {
                return Err(format!(
                    "`{word}` is not one of the values of `{}`",
                    variable.name
                ));
            }
        }
    }
    ticked.sort_unstable();
    ticked.dedup();
    Ok(Value::Checked(ticked))
}

fn choice_index(variable: &Variable, word: &str) -> Result<Value, String> {
    variable
        .choices
        .iter()
        .position(|c| c.value == word)
        .map(|i| Value::Choice(u16::try_from(i).unwrap_or(u16::MAX)))
        .ok_or_else(|| {
            let values: Vec<&str> = variable.choices.iter().map(|c| c.value.as_str()).collect();
            format!("`{word}` is not one of {}", values.join(", "))
        })
}

/// Checks a value against a variable's rules (pattern, range). The same rules apply to a
/// default in the file and to an answer typed during a call.
pub(crate) fn check_answer(variable: &Variable, value: &Value) -> Result<(), String> {
    match value {
        Value::Text(text) => {
            if let Some(pattern) = &variable.pattern
                && !pattern.is_match(text)
            {
                return Err(match &variable.pattern_description {
                    Some(description) => format!("please enter {description}"),
                    None => format!("\"{text}\" is not in the form this needs; please check it"),
                });
            }
        }
        Value::Number(number) => {
            if let Some((min, max)) = variable.range
                && !(min..=max).contains(number)
            {
                // Said to the person who typed it, so in words rather than `min..max`.
                return Err(format!(
                    "{} is too {}: please enter a number from {} to {}",
                    format_number(*number),
                    if *number < min { "small" } else { "big" },
                    format_number(min),
                    format_number(max)
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether a tree's audience list covers customers.
pub(crate) fn serves_customers(tree: &Tree) -> bool {
    tree.audiences.contains(&Audience::Customer)
}
