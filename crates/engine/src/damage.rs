//! Holding back the echoes of a broken line, so that one typo is one problem.
//!
//! A line that does not parse is dropped, and a reference to a name that does not exist
//! resolves to nothing. Everything the graph checks then say about the consequences is true of
//! the model but false of what the author meant: the nodes behind a broken option look
//! unreachable, a field whose declaration did not parse is "unknown" at every use, and the
//! tree's tests fail at the broken step. Reported together they bury the one line that needs
//! fixing (a single typo once gave 1 error and 52 warnings).
//!
//! So loading first surveys the damage (which nodes hold a line that did not parse or an
//! error, which files hold a block that did not parse, which words those lines contain), and a
//! diagnostic that damage can explain is held back. Each rule below names the consequence it
//! hides and why the broken line may be its cause; every broken line itself is still
//! reported, so an author who fixes what is shown sees the held-back problems, if they are
//! real, on the next check.

use std::collections::{HashMap, HashSet};

use calltree_syntax::{Diagnostic, ItemKind, Severity, Span, StmtKind};

use crate::codes;
use crate::lower::Lowered;
use crate::model::{FileId, NodeId, TreeId};
use crate::project::Project;

/// What did not parse or did not resolve, found once per load.
#[derive(Debug, Default, Clone)]
pub(crate) struct Damage {
    /// By `NodeId`: the node's block holds a line that did not parse or an error.
    broken: Vec<bool>,
    /// By `FileId`: the file has a block whose first line did not parse (a `node`, `field`
    /// or `flag` line, say), so anything in it may have been meant to be there.
    unreadable_block: Vec<bool>,
    /// Names whose `field` or `flag` line did not parse, in any file.
    declared: HashSet<String>,
    /// Every word on a line that did not parse, in any file: a field named there may be
    /// set, read or used by it.
    words: HashSet<String>,
    /// Names read or asked that no field or flag has: a field spelt like one of them may be
    /// the one the author meant, and is then not really unused.
    misspelt: Vec<String>,
}

/// What [`Damage::survey`] takes from the syntax trees.
#[derive(Debug, Default)]
pub(crate) struct SyntaxDamage {
    /// Everything but `broken` and `misspelt`, which need lowering's diagnostics.
    damage: Damage,
    blocks: Vec<NodeBlock>,
}

/// A node's block: whether it holds a line that did not parse, and where an error in it
/// would be.
#[derive(Debug)]
struct NodeBlock {
    file: usize,
    node: NodeId,
    span: Span,
    holds_unreadable: bool,
}

impl Damage {
    /// Reads what the survey needs from the syntax trees, once every node exists and before
    /// lowering lets go of the nodes' blocks (see `Lowered::lower_tree`).
    pub(crate) fn read_syntax(lowered: &Lowered) -> SyntaxDamage {
        let files = lowered.files.len();
        let mut damage = Damage {
            broken: vec![false; lowered.node_spans.len()],
            unreadable_block: vec![false; files],
            ..Damage::default()
        };
        let mut blocks = Vec::new();
        let tree_of_file: HashMap<FileId, TreeId> = lowered
            .trees
            .iter()
            .enumerate()
            .map(|(i, tree)| (tree.file, TreeId::from_index(i)))
            .collect();
        for (file_index, source) in lowered.syntax.iter().enumerate() {
            let file = FileId::from_index(file_index);
            for item in &source.items {
                if let ItemKind::Error(line) = &item.kind {
                    damage.unreadable_block[file_index] = true;
                    damage.note_line(&line.raw);
                    if let Some(name) = declared_name(&line.raw) {
                        damage.declared.insert(name.to_owned());
                    }
                }
                let mut holds_unreadable = false;
                for stmt in &item.body {
                    if let StmtKind::Error(line) = &stmt.kind {
                        holds_unreadable = true;
                        damage.note_line(&line.raw);
                    }
                }
                let ItemKind::Node(head) = &item.kind else {
                    continue;
                };
                let Some(&tree) = tree_of_file.get(&file) else {
                    continue;
                };
                let Some(&node) = lowered.node_names[tree.index()].get(head.name.as_str()) else {
                    continue;
                };
                // A duplicate block shares the name but not the node.
                if lowered.node_spans[node.index()] != item.span {
                    continue;
                }
                let end = item.body.last().map_or(item.span.end, |s| s.span.end);
                blocks.push(NodeBlock {
                    file: file_index,
                    node,
                    span: Span {
                        start: item.span.start,
                        end,
                    },
                    holds_unreadable,
                });
            }
        }
        SyntaxDamage { damage, blocks }
    }

    /// Surveys a freshly lowered project, from what [`Damage::read_syntax`] read and the
    /// diagnostics lowering added.
    pub(crate) fn survey(lowered: &Lowered, syntax: SyntaxDamage) -> Damage {
        let SyntaxDamage { mut damage, blocks } = syntax;
        for (file_index, list) in lowered.diagnostics.iter().enumerate() {
            let text = &lowered.files[file_index].text;
            damage.misspelt.extend(
                list.iter()
                    .filter(|d| d.code == codes::UNKNOWN_VARIABLE)
                    .map(|d| quoted(text, d.span).to_owned()),
            );
        }
        let errors: Vec<Vec<Span>> = lowered
            .diagnostics
            .iter()
            .map(|list| {
                list.iter()
                    .filter(|d| d.code.severity == Severity::Error)
                    .map(|d| d.span)
                    .collect()
            })
            .collect();
        for block in blocks {
            let has_error = errors[block.file]
                .iter()
                .any(|span| span.start >= block.span.start && span.end <= block.span.end);
            damage.broken[block.node.index()] = block.holds_unreadable || has_error;
        }
        damage
    }

    fn note_line(&mut self, raw: &str) {
        self.words.extend(
            raw.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }

    /// Whether nothing was damaged: the common case, where no diagnostic is looked at.
    pub(crate) fn is_none(&self) -> bool {
        !self.broken.contains(&true) && !self.unreadable_block.contains(&true)
    }

    /// Drops the lowering's "unknown variable" errors for names whose declaration did not
    /// parse: the declaration line is already reported, and every use repeated it.
    pub(crate) fn drop_lowering_echoes(
        &self,
        files: &[crate::ProjectFile],
        lists: &mut [Vec<Diagnostic>],
    ) {
        if self.declared.is_empty() {
            return;
        }
        for (file, list) in files.iter().zip(lists) {
            list.retain(|d| {
                d.code != codes::UNKNOWN_VARIABLE
                    || !self.declared.contains(quoted(&file.text, d.span))
            });
        }
    }

    /// Whether a tree's behaviour is uncertain: one of its nodes is broken or its file has a
    /// block that did not parse.
    fn tree_damaged(&self, project: &Project, tree: TreeId) -> bool {
        let tree = project.tree(tree);
        self.unreadable_block[tree.file.index()]
            || tree.nodes.iter().any(|n| self.broken[n.index()])
    }

    /// Whether a tree's tests would play through damage: the tree or a sub-tree it may call
    /// is damaged. Its tests are then not run, since they would fail at the broken line.
    pub(crate) fn holds_back_tests(&self, project: &Project, tree: TreeId) -> bool {
        project
            .call_closure(tree)
            .into_iter()
            .chain([tree])
            .any(|t| self.tree_damaged(project, t))
    }

    /// Drops from `found` (the graph checks' diagnostics) what the damage may have caused.
    /// The lookups are built once here: a broken line in a big tree can leave thousands of
    /// diagnostics to weigh, and each must not cost a pass over the tree's nodes.
    pub(crate) fn hold_back(&self, project: &Project, found: &mut Vec<(FileId, Diagnostic)>) {
        let reachable = crate::validate::reachable_from_starts(project);
        let mut node_at: HashMap<(FileId, u32), NodeId> = HashMap::new();
        let mut tree_at: HashMap<(FileId, u32), TreeId> = HashMap::new();
        // By tree: a broken line anywhere in it, and one the call can reach.
        let mut damaged = Vec::new();
        let mut reach_damaged = Vec::new();
        for (id, tree) in project.trees() {
            tree_at.insert((tree.file, tree.span.start), id);
            let unreadable = self.unreadable_block[tree.file.index()];
            let mut broken = false;
            let mut reached = false;
            for &node in &tree.nodes {
                node_at.insert((tree.file, project.node(node).span.start), node);
                broken |= self.broken[node.index()];
                reached |= self.broken[node.index()] && reachable[node.index()];
            }
            damaged.push(unreadable || broken);
            reach_damaged.push(unreadable || reached);
        }
        found.retain(|(file, diagnostic)| {
            let text = &project.file(*file).text;
            let span = diagnostic.span;
            let code = diagnostic.code;
            let node = node_at.get(&(*file, span.start)).copied();
            let explained = if code == codes::UNREACHABLE_NODE {
                // A broken line the call can reach may have been the way in.
                node.is_some_and(|n| reach_damaged[project.node(n).tree.index()])
            } else if code == codes::DEAD_END
                || code == codes::SOFT_LOCK
                || code == codes::CUSTOMER_STUCK
                || code == codes::CUSTOMER_NO_TEXT
            {
                // The node's way out, or its customer text, may be on the broken line.
                node.is_some_and(|n| self.broken[n.index()])
            } else if code == codes::TRAP || code == codes::NO_RESOLUTION {
                // The way to an ending may run through the broken line.
                node.map(|n| project.node(n).tree)
                    .or_else(|| tree_at.get(&(*file, span.start)).copied())
                    .is_some_and(|tree| damaged[tree.index()])
            } else if code == codes::UNUSED_VARIABLE {
                // The warning points at the declared name.
                let name = quoted(text, span);
                self.words.contains(name)
                    || self
                        .misspelt
                        .iter()
                        .any(|m| calltree_syntax::nearest(m, &[name]).is_some())
            } else if code == codes::READ_BEFORE_SET {
                self.words.contains(quoted(text, span))
            } else if code == codes::TEST_UNKNOWN_NAME {
                self.declared.contains(quoted(text, span))
            } else if code == codes::TEST_UNKNOWN_OPTION || code == codes::TEST_STEP_REJECTED {
                self.test_tree(project, *file, span)
                    .is_some_and(|tree| self.holds_back_tests(project, tree))
            } else {
                false
            };
            !explained
        });
    }

    /// The tree whose test holds `span` (tests may live in a `tests for` file of their own).
    fn test_tree(&self, project: &Project, file: FileId, span: Span) -> Option<TreeId> {
        project.trees().find_map(|(id, tree)| {
            tree.tests
                .iter()
                .any(|test| {
                    let end = test.steps.last().map_or(test.span.end, |s| s.span.end);
                    test.file == file && span.start >= test.span.start && span.end <= end
                })
                .then_some(id)
        })
    }
}

/// The text under a span, or nothing when the span does not fit the text.
fn quoted(text: &str, span: Span) -> &str {
    text.get(span.range()).unwrap_or("").trim()
}

/// The name a `field NAME: …` or `flag NAME …` line declares, read loosely: the line may not
/// have parsed.
fn declared_name(line: &str) -> Option<&str> {
    let rest = line
        .trim_start()
        .strip_prefix("field")
        .or_else(|| line.trim_start().strip_prefix("flag"))?;
    // `fieldwork …` is not a declaration of `work`.
    let rest = rest.strip_prefix(char::is_whitespace)?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_name_is_read_from_a_line_that_did_not_parse() {
        assert_eq!(declared_name("field restarts: numbr = 0"), Some("restarts"));
        assert_eq!(
            declared_name("flag reset_done \"Reset\""),
            Some("reset_done")
        );
        assert_eq!(
            declared_name("  field plan: choice(a \"A\" b)"),
            Some("plan")
        );
        assert_eq!(declared_name("node welcome"), None);
        assert_eq!(declared_name("field"), None);
        assert_eq!(declared_name("fieldwork: text"), None);
    }
}
