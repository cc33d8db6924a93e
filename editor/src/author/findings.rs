//! A check's results arranged for drawing: problems located by line and column, and the
//! nodes whose blocks they fall in (for the graph's colours).

use std::sync::Arc;

use calltree_engine::NodeId;
use calltree_syntax::LineIndex;

use super::{Checked, Findings, Problem};

pub(super) fn is_syntax(code: &str) -> bool {
    code.starts_with("E1")
}

/// Where a node's block ends: at the next line that starts a new block.
fn block_end(text: &str, from: usize) -> usize {
    let mut offset = text[from.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |n| from + n + 1);
    while offset < text.len() {
        let line_end = text[offset..]
            .find('\n')
            .map_or(text.len(), |n| offset + n + 1);
        let line = &text[offset..line_end];
        let starts_block = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#');
        if starts_block {
            return offset;
        }
        offset = line_end;
    }
    text.len()
}

pub(super) fn arrange(checked: &Checked) -> Findings {
    let project = &checked.project;
    let mut problems = Vec::new();
    let mut node_problems = Vec::new();
    for (file_id, file) in project.files() {
        let diagnostics = project.diagnostics(file_id);
        if diagnostics.is_empty() {
            continue;
        }
        let index = LineIndex::new(&file.text);
        let mut blocks: Vec<(usize, usize, NodeId)> = project
            .trees()
            .flat_map(|(_, tree)| tree.nodes.iter().copied())
            .filter(|&node| project.node(node).file == file_id)
            .map(|node| {
                let start = project.node(node).span.start as usize;
                (start, block_end(&file.text, start), node)
            })
            .collect();
        blocks.sort_unstable();
        for diagnostic in diagnostics {
            let at = index.line_col(diagnostic.span.start);
            problems.push(Problem {
                file: file.name.clone(),
                start: diagnostic.span.start as usize,
                end: diagnostic.span.end as usize,
                line: at.line as usize,
                column: at.column as usize,
                severity: diagnostic.code.severity,
                code: diagnostic.code.id,
                message: diagnostic.message.clone(),
                hints: diagnostic.hints.clone(),
            });
            let start = diagnostic.span.start as usize;
            let block = blocks.partition_point(|(s, _, _)| *s <= start);
            if let Some((_, end, node)) = block.checked_sub(1).map(|b| blocks[b])
                && start < end
            {
                node_problems.push((node, diagnostic.code.severity));
            }
        }
    }
    let drawings = project
        .trees()
        .map(|(tree, _)| {
            (
                tree,
                super::graph::fingerprint(project, tree, &node_problems),
            )
        })
        .collect();
    Findings {
        revision: checked.revision,
        project: Arc::clone(project),
        problems,
        node_problems,
        drawings,
        ready: std::collections::HashMap::new(),
        check_time: checked.check_time,
    }
}
