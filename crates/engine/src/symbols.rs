//! Where every name in a project's files is declared and used: the rule behind "go to
//! definition", "find references" and renaming fields, for editors.
//!
//! Three kinds of names: trees (one namespace for the project), nodes (one per tree) and
//! fields with flags (one namespace, shared by value between trees joined by a `call`, so a
//! field's scope is the group of trees that calls join). The rules mirror lowering: `->`,
//! `start:`, `call ... -> next` and the node arguments of `visited(...)` and `count(...)` name
//! nodes; `expect node x` in a test names a node of the tested tree or, failing that, of a
//! tree its calls run through; every other bare word in a condition names a field or flag,
//! except a word beside a choice field that is one of its values (`plan == pro`). Everything
//! here works on syntax trees alone, so it answers for files that do not load cleanly.

use std::collections::HashMap;

use calltree_syntax::{
    BinaryOp, Expectation, Expr, ExprKind, FieldTypeKind, Ident, ItemKind, Segment, SourceFile,
    Span, StmtKind, Text,
};

use crate::expr::takes_node;

/// What a name refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    Tree(String),
    /// A node of a tree (`tree` is empty for a file that names no tree).
    Node {
        tree: String,
        name: String,
    },
    /// A field or flag. `scope` names the group of trees joined by calls that share its value:
    /// the first of them by name.
    Variable {
        scope: String,
        name: String,
    },
}

impl Symbol {
    /// The name as written in the source.
    pub fn name(&self) -> &str {
        match self {
            Symbol::Tree(name) | Symbol::Node { name, .. } | Symbol::Variable { name, .. } => name,
        }
    }
}

/// One place a name is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub symbol: Symbol,
    /// The name itself, nothing around it.
    pub span: Span,
    /// Whether this is where the name is declared (`tree x`, `node x`, `field x`, `flag x`,
    /// and a feedback node's `rating x` and `comment x`).
    pub declares: bool,
}

/// Every name of a set of files (usually a loaded project, in the engine's file order).
#[derive(Debug, Default)]
pub struct SymbolIndex {
    /// Per file, its occurrences sorted by position.
    files: Vec<Vec<Occurrence>>,
    /// Per file, the scope of its fields.
    scopes: Vec<String>,
}

impl SymbolIndex {
    pub fn new(files: &[&SourceFile]) -> SymbolIndex {
        let trees = TreeTable::new(files);
        SymbolIndex {
            scopes: files
                .iter()
                .map(|file| trees.scope(file.tree_name().map_or("", |n| n.as_str())))
                .collect(),
            files: files
                .iter()
                .map(|file| {
                    let mut found = Collector::new(file, &trees);
                    found.file(file);
                    let mut list = found.out;
                    list.sort_by_key(|o| (o.span.start, o.span.end));
                    list
                })
                .collect(),
        }
    }

    /// The group of trees (see [`Symbol::Variable`]) a file's fields belong to.
    pub fn scope(&self, file: usize) -> &str {
        self.scopes.get(file).map_or("", String::as_str)
    }

    /// The occurrences of one file, in source order.
    pub fn occurrences(&self, file: usize) -> &[Occurrence] {
        self.files.get(file).map_or(&[], Vec::as_slice)
    }

    /// The name at byte `offset` of a file: one whose span holds it, or ends right at it (a
    /// cursor just after a word is still on it).
    pub fn at(&self, file: usize, offset: usize) -> Option<&Occurrence> {
        let list = self.occurrences(file);
        let after = list.partition_point(|o| o.span.start as usize <= offset);
        list[..after]
            .iter()
            .rev()
            .take(2)
            .find(|o| offset <= o.span.end as usize)
    }

    /// Where a symbol is declared: usually one place, more when a project declares it twice.
    pub fn declarations(&self, symbol: &Symbol) -> Vec<(usize, Span)> {
        self.find(symbol, true)
    }

    /// Every place a symbol is written, declarations included, by file and position.
    pub fn references(&self, symbol: &Symbol) -> Vec<(usize, Span)> {
        self.find(symbol, false)
    }

    fn find(&self, symbol: &Symbol, declarations_only: bool) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        for (file, list) in self.files.iter().enumerate() {
            for occurrence in list {
                if &occurrence.symbol == symbol && (occurrence.declares || !declarations_only) {
                    out.push((file, occurrence.span));
                }
            }
        }
        out
    }

    /// Every symbol declared somewhere, once per declaration: what completion offers.
    pub fn declared(&self) -> impl Iterator<Item = &Symbol> {
        self.files
            .iter()
            .flatten()
            .filter(|o| o.declares)
            .map(|o| &o.symbol)
    }
}

/// What the index needs to know of the trees before it reads names: the nodes of each tree, the calls between them, the group each belongs to, and the
/// values of choice fields.
struct TreeTable<'a> {
    nodes: HashMap<&'a str, Vec<&'a str>>,
    calls: HashMap<&'a str, Vec<&'a str>>,
    /// Each tree's group, by the group's first tree name.
    group: HashMap<&'a str, &'a str>,
    /// Choice values by field name.
    choices: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> TreeTable<'a> {
    fn new(files: &[&'a SourceFile]) -> Self {
        let mut table = TreeTable {
            nodes: HashMap::new(),
            calls: HashMap::new(),
            group: HashMap::new(),
            choices: HashMap::new(),
        };
        for file in files {
            for (decl, _) in file.fields() {
                if let FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) = &decl.ty.kind
                {
                    table
                        .choices
                        .entry(decl.name.as_str())
                        .or_default()
                        .extend(items.iter().map(|c| c.value.text.as_str()));
                }
            }
            let Some((head, _)) = file.tree() else {
                continue;
            };
            let tree = head.name.as_str();
            if table.nodes.contains_key(tree) {
                // A second definition is an error the project reports; the first one counts.
                continue;
            }
            table
                .nodes
                .insert(tree, file.nodes().map(|(h, _)| h.name.as_str()).collect());
            let calls = file
                .nodes()
                .flat_map(|(_, item)| &item.body)
                .filter_map(|stmt| match &stmt.kind {
                    StmtKind::Call { tree, .. } => Some(tree.as_str()),
                    _ => None,
                })
                .collect();
            table.calls.insert(tree, calls);
        }
        table.group_trees();
        table
    }

    /// Joins trees that call each other into groups (union-find over the calls), each named
    /// by its first tree name, so the result does not depend on the order of the files.
    fn group_trees(&mut self) {
        let mut names: Vec<&'a str> = self.nodes.keys().copied().collect();
        names.sort_unstable();
        let position: HashMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut parent: Vec<usize> = (0..names.len()).collect();
        fn root(parent: &mut [usize], mut at: usize) -> usize {
            while parent[at] != at {
                parent[at] = parent[parent[at]];
                at = parent[at];
            }
            at
        }
        for (caller, callees) in &self.calls {
            let Some(&a) = position.get(caller) else {
                continue;
            };
            for callee in callees {
                if let Some(&b) = position.get(callee) {
                    let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                    // The smaller index is the root, so a group is named by its first tree.
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        for (index, name) in names.iter().enumerate() {
            let first = root(&mut parent, index);
            self.group.insert(name, names[first]);
        }
    }

    fn has_node(&self, tree: &str, node: &str) -> bool {
        self.nodes.get(tree).is_some_and(|n| n.contains(&node))
    }

    /// The tree whose node `node` a test of `tree` means: `tree`'s own, else the first tree
    /// its calls run through that has one (breadth first).
    fn tested_node_tree(&self, tree: &'a str, node: &str) -> &'a str {
        let mut seen = vec![tree];
        let mut next = 0;
        while let Some(&current) = seen.get(next) {
            if self.has_node(current, node) {
                return current;
            }
            next += 1;
            for &callee in self.calls.get(current).into_iter().flatten() {
                if self.nodes.contains_key(callee) && !seen.contains(&callee) {
                    seen.push(callee);
                }
            }
        }
        tree
    }

    fn scope(&self, tree: &str) -> String {
        self.group.get(tree).copied().unwrap_or(tree).to_owned()
    }
}

struct Collector<'t, 'a> {
    trees: &'t TreeTable<'a>,
    tree: &'a str,
    scope: String,
    out: Vec<Occurrence>,
}

impl<'t, 'a> Collector<'t, 'a> {
    fn new(file: &'a SourceFile, trees: &'t TreeTable<'a>) -> Self {
        let tree = file.tree_name().map_or("", |n| n.as_str());
        Collector {
            trees,
            tree,
            scope: trees.scope(tree),
            out: Vec::new(),
        }
    }

    fn push(&mut self, symbol: Symbol, span: Span, declares: bool) {
        self.out.push(Occurrence {
            symbol,
            span,
            declares,
        });
    }

    fn node(&mut self, name: &Ident, declares: bool) {
        let symbol = Symbol::Node {
            tree: self.tree.to_owned(),
            name: name.text.clone(),
        };
        self.push(symbol, name.span, declares);
    }

    fn variable(&mut self, name: &Ident, declares: bool) {
        let symbol = Symbol::Variable {
            scope: self.scope.clone(),
            name: name.text.clone(),
        };
        self.push(symbol, name.span, declares);
    }

    fn tree_name(&mut self, name: &Ident, declares: bool) {
        self.push(Symbol::Tree(name.text.clone()), name.span, declares);
    }

    fn text(&mut self, text: &Text) {
        for segment in &text.segments {
            match segment {
                Segment::Field(name) => self.variable(&name.0, false),
                Segment::Expr(expr) => self.expression(expr),
                Segment::Literal(_) => {}
            }
        }
    }

    fn file(&mut self, file: &'a SourceFile) {
        for item in &file.items {
            match &item.kind {
                ItemKind::Tree(head) => {
                    self.tree_name(&head.name.0, true);
                    head.title.iter().for_each(|t| self.text(t));
                }
                ItemKind::TestsFor(name) => self.tree_name(&name.0, false),
                ItemKind::Field(decl) => {
                    self.variable(&decl.name.0, true);
                    decl.label.iter().for_each(|t| self.text(t));
                    if let FieldTypeKind::Choice(items) | FieldTypeKind::Choices(items) =
                        &decl.ty.kind
                    {
                        items
                            .iter()
                            .filter_map(|c| c.label.as_ref())
                            .for_each(|t| self.text(t));
                    }
                }
                ItemKind::Flag(decl) => {
                    self.variable(&decl.name.0, true);
                    decl.label.iter().for_each(|t| self.text(t));
                }
                ItemKind::Node(head) => {
                    self.node(&head.name.0, true);
                    head.title.iter().for_each(|t| self.text(t));
                }
                ItemKind::Use(_) | ItemKind::Test(_) | ItemKind::Setup | ItemKind::Error(_) => {}
            }
            for stmt in &item.body {
                self.statement(&stmt.kind);
            }
        }
    }

    fn statement(&mut self, kind: &StmtKind) {
        match kind {
            StmtKind::Start(target) | StmtKind::Goto(target) | StmtKind::Else(target) => {
                self.node(&target.0, false);
            }
            StmtKind::Option(option) => {
                self.text(&option.label);
                self.node(&option.target.0, false);
                if let Some(guard) = &option.guard {
                    self.expression(guard);
                }
                for effect in &option.effects {
                    self.variable(&effect.var.0, false);
                    if let Some(value) = &effect.value {
                        self.expression(value);
                    }
                }
            }
            StmtKind::NoteWhen { text, when } => {
                self.text(text);
                self.expression(when);
            }
            StmtKind::Given { var, .. } => self.variable(&var.0, false),
            StmtKind::If { condition, target } => {
                self.expression(condition);
                self.node(&target.0, false);
            }
            StmtKind::Call { tree, then } => {
                self.tree_name(&tree.0, false);
                self.node(&then.0, false);
            }
            StmtKind::Ask(names) => names.iter().for_each(|n| self.variable(&n.0, false)),
            StmtKind::Set { var, value } => {
                self.variable(&var.0, false);
                if let Some(value) = value {
                    self.expression(value);
                }
            }
            StmtKind::Rating { var, question, .. }
            | StmtKind::FeedbackComment { var, question } => {
                self.variable(&var.0, true);
                self.text(question);
            }
            StmtKind::Answer { var, .. } | StmtKind::Expect(Expectation::Field { var, .. }) => {
                self.variable(&var.0, false);
            }
            StmtKind::Expect(Expectation::Node(target)) => {
                let tree = self.trees.tested_node_tree(self.tree, target.as_str());
                let symbol = Symbol::Node {
                    tree: tree.to_owned(),
                    name: target.as_str().to_owned(),
                };
                self.push(symbol, target.span(), false);
            }
            StmtKind::Say(t)
            | StmtKind::Agent(t)
            | StmtKind::Customer(t)
            | StmtKind::Note(t)
            | StmtKind::Choose(t)
            | StmtKind::Description(t)
            | StmtKind::Version(t)
            | StmtKind::Escalation(t)
            | StmtKind::Contact(t)
            | StmtKind::Skip(t)
            | StmtKind::Escalate(t)
            | StmtKind::Expect(Expectation::TextContains(t))
            | StmtKind::Expect(Expectation::Option { label: t, .. }) => self.text(t),
            // Listed one by one so that a new statement has to be thought about here.
            StmtKind::Tags(_)
            | StmtKind::Audience(_)
            | StmtKind::End(_)
            | StmtKind::Return
            | StmtKind::As(..)
            | StmtKind::Back
            | StmtKind::Wait { .. }
            | StmtKind::Expect(Expectation::End(_))
            | StmtKind::Error(_) => {}
        }
    }

    fn expression(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Name(ident) => self.variable(ident, false),
            ExprKind::Call { func, args } => {
                for arg in args {
                    match &arg.kind {
                        ExprKind::Name(ident) if takes_node(&func.text) => self.node(ident, false),
                        _ => self.expression(arg),
                    }
                }
            }
            ExprKind::Not(inner) | ExprKind::Neg(inner) | ExprKind::Paren(inner) => {
                self.expression(inner);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let comparison = matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                if comparison && self.is_choice_word(lhs, rhs) {
                    self.expression(lhs);
                } else if comparison && self.is_choice_word(rhs, lhs) {
                    self.expression(rhs);
                } else {
                    self.expression(lhs);
                    self.expression(rhs);
                }
            }
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {}
        }
    }

    /// Whether `word` is a value of the choice field `field` names, as in `plan == pro`: then
    /// it is that value even when a field has the same name, as the engine reads it.
    fn is_choice_word(&self, field: &Expr, word: &Expr) -> bool {
        let (ExprKind::Name(field), ExprKind::Name(word)) = (&field.kind, &word.kind) else {
            return false;
        };
        self.trees
            .choices
            .get(field.text.as_str())
            .is_some_and(|values| values.contains(&word.text.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPORT: &str = "\
tree support \"Support {plan}\"
  start: hello
field plan: choice(basic, pro \"Pro {plan}\") \"Plan\"
field basic: number
flag seen
node hello \"Hi\"
  ask plan
  set seen = visited(hello) or answered(basic)
  option \"Pro\" -> check when plan == pro
  option \"Basic\" -> check when basic == plan
  -> check
node check
  if count(hello) > 1 and not seen -> done
  else -> done
node done
  call closing -> hello
test \"t\"
  answer plan pro
  expect field seen = yes
  expect node done
  expect node bye
";

    const CLOSING: &str = "\
tree closing
  start: bye
field basic: text
node bye \"Bye {basic}\"
  return
";

    const TESTS: &str = "tests for support\ntest \"u\"\n  expect node hello\n";

    const OTHER: &str = "tree other\n  start: hello\nfield plan: text\nnode hello\n  say \"{plan}\"\n  end resolved\n";

    fn index(texts: &[&str]) -> (Vec<SourceFile>, SymbolIndex) {
        let files: Vec<SourceFile> = texts.iter().map(|t| calltree_syntax::parse(t).0).collect();
        let refs: Vec<&SourceFile> = files.iter().collect();
        let index = SymbolIndex::new(&refs);
        (files, index)
    }

    fn words(texts: &[&str], found: &[(usize, Span)]) -> Vec<(usize, String)> {
        found
            .iter()
            .map(|(file, span)| (*file, texts[*file][span.range()].to_owned()))
            .collect()
    }

    fn node(tree: &str, name: &str) -> Symbol {
        Symbol::Node {
            tree: tree.into(),
            name: name.into(),
        }
    }

    fn variable(scope: &str, name: &str) -> Symbol {
        Symbol::Variable {
            scope: scope.into(),
            name: name.into(),
        }
    }

    #[test]
    fn nodes_are_found_in_their_tree_and_its_tests() {
        let texts = [SUPPORT, CLOSING, TESTS, OTHER];
        let (_, index) = index(&texts);
        let hello = node("support", "hello");
        // node, start, visited(...), count(...), `call -> hello` and the tests-for file.
        let found = index.references(&hello);
        assert_eq!(found.len(), 6, "{:?}", words(&texts, &found));
        assert_eq!(found.iter().filter(|(f, _)| *f == 2).count(), 1);
        assert!(
            found.iter().all(|(f, _)| *f != 3),
            "other's hello is its own"
        );
        assert_eq!(index.declarations(&hello).len(), 1);
        // A test's `expect node bye` means the called tree's node.
        let bye = index.references(&node("closing", "bye"));
        assert_eq!(bye.len(), 3);
        assert!(bye.iter().any(|(f, _)| *f == 0));
    }

    #[test]
    fn fields_are_shared_by_trees_joined_by_calls() {
        let texts = [SUPPORT, CLOSING, TESTS, OTHER];
        let (_, index) = index(&texts);
        // support and closing form one group named by its first tree.
        let basic = variable("closing", "basic");
        // In `basic == plan` the word is the choice value, as the engine reads it.
        let found = words(&texts, &index.references(&basic));
        assert_eq!(
            found,
            [
                (0, "basic".to_owned()),
                (0, "basic".into()),
                (1, "basic".into()),
                (1, "basic".into())
            ]
        );
        assert_eq!(index.declarations(&basic).len(), 2);
        // `plan == pro`: pro is a choice value.
        let plan = index.references(&variable("closing", "plan"));
        assert_eq!(plan.len(), 7, "{:?}", words(&texts, &plan));
        assert!(index.references(&variable("closing", "pro")).is_empty());
        // The unrelated tree's `plan` is another field.
        assert_eq!(index.references(&variable("other", "plan")).len(), 2);
    }

    #[test]
    fn the_name_under_the_cursor() {
        let texts = [SUPPORT];
        let (_, index) = index(&texts);
        let at = |needle: &str, delta: usize| {
            let offset = SUPPORT.find(needle).unwrap() + delta;
            index.at(0, offset).map(|o| (o.symbol.clone(), o.declares))
        };
        assert_eq!(at("node hello", 5), Some((node("support", "hello"), true)));
        assert_eq!(at("node hello", 10), Some((node("support", "hello"), true)));
        assert_eq!(at("node hello", 4), None);
        assert_eq!(
            at("call closing", 6),
            Some((Symbol::Tree("closing".into()), false))
        );
        assert_eq!(
            at("{plan}", 1).map(|s| s.0),
            Some(variable("support", "plan"))
        );
        assert_eq!(at("ask plan", 0), None);
    }

    #[test]
    fn broken_files_still_answer() {
        let broken = "tree x\n  start: a\nnode a\n  -> \nnod b\n  say \"{f}\"\n";
        let (_, index) = index(&[broken]);
        assert_eq!(index.references(&node("x", "a")).len(), 2);
        assert_eq!(index.references(&variable("x", "f")).len(), 1);
    }
}
