//! What a tree looks like drawn: each node's look (kind and outcome), its caption and its
//! labelled edges. The exports (DOT, Mermaid) and the desktop graph view draw from here, so a
//! tree looks the same on paper as on screen.

use std::fmt::Write as _;

use crate::model::{Exit, NodeId, NodeKind, OutcomeKind, TreeId};
use crate::project::Project;

/// How a node is drawn: its kind, and for endings the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    Step,
    Start,
    Routing,
    Call,
    Feedback,
    Return,
    End(OutcomeKind),
    /// An ending whose author-named result names a colour ("Urgent (orange)"): drawn in that
    /// colour, so a protocol's levels are not all the green of `resolved`.
    Result(Hue),
}

/// The colours a result's words can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hue {
    Red,
    Orange,
    Yellow,
    Green,
    Blue,
    Purple,
    Grey,
}

impl Hue {
    /// The first colour word in a result's words, if any ("Delayed (yellow)" is yellow).
    pub fn named_in(words: &str) -> Option<Hue> {
        words.split(|c: char| !c.is_alphabetic()).find_map(|word| {
            match word.to_lowercase().as_str() {
                "red" => Some(Hue::Red),
                "orange" | "amber" => Some(Hue::Orange),
                "yellow" => Some(Hue::Yellow),
                "green" => Some(Hue::Green),
                "blue" => Some(Hue::Blue),
                "purple" | "violet" => Some(Hue::Purple),
                "grey" | "gray" | "black" | "white" => Some(Hue::Grey),
                _ => None,
            }
        })
    }
}

impl Look {
    /// Every look, with a short name for legends and style classes.
    pub const ALL: [(Look, &'static str); 19] = [
        (Look::Step, "step"),
        (Look::Start, "start"),
        (Look::Routing, "routing"),
        (Look::Call, "call"),
        (Look::Feedback, "feedback"),
        (Look::Return, "return"),
        (Look::End(OutcomeKind::Resolved), "resolved"),
        (Look::End(OutcomeKind::Escalated), "escalated"),
        (Look::End(OutcomeKind::Callback), "callback"),
        (Look::End(OutcomeKind::Transferred), "transferred"),
        (Look::End(OutcomeKind::Referred), "referred"),
        (Look::End(OutcomeKind::Abandoned), "abandoned"),
        (Look::Result(Hue::Red), "result_red"),
        (Look::Result(Hue::Orange), "result_orange"),
        (Look::Result(Hue::Yellow), "result_yellow"),
        (Look::Result(Hue::Green), "result_green"),
        (Look::Result(Hue::Blue), "result_blue"),
        (Look::Result(Hue::Purple), "result_purple"),
        (Look::Result(Hue::Grey), "result_grey"),
    ];

    pub fn name(self) -> &'static str {
        Look::ALL
            .iter()
            .find(|(look, _)| *look == self)
            .map_or("step", |(_, name)| name)
    }

    /// The fill colour (red, green, blue), light enough for dark text, chosen so that the
    /// kinds and outcomes can be told apart in print and on screen.
    pub fn fill(self) -> [u8; 3] {
        match self {
            Look::Step => [0xff, 0xff, 0xff],
            Look::Start => [0xdb, 0xe8, 0xfb],
            Look::Routing => [0xff, 0xf4, 0xcc],
            Look::Call | Look::Return => [0xec, 0xe3, 0xf7],
            Look::Feedback => [0xe3, 0xf4, 0xf4],
            Look::End(OutcomeKind::Resolved) => [0xd3, 0xf0, 0xd9],
            Look::End(OutcomeKind::Escalated) => [0xff, 0xe0, 0xc2],
            Look::End(OutcomeKind::Callback) => [0xd6, 0xe9, 0xff],
            Look::End(OutcomeKind::Transferred) => [0xea, 0xdc, 0xf5],
            Look::End(OutcomeKind::Referred) => [0xf5, 0xe6, 0xd8],
            Look::End(OutcomeKind::Abandoned) => [0xe2, 0xe2, 0xe2],
            Look::Result(Hue::Red) => [0xf8, 0xc4, 0xc4],
            Look::Result(Hue::Orange) => [0xfd, 0xd5, 0xa8],
            Look::Result(Hue::Yellow) => [0xfb, 0xef, 0xa4],
            Look::Result(Hue::Green) => [0xc8, 0xec, 0xc4],
            Look::Result(Hue::Blue) => [0xc9, 0xdd, 0xf7],
            Look::Result(Hue::Purple) => [0xe1, 0xd0, 0xf2],
            Look::Result(Hue::Grey) => [0xd9, 0xd9, 0xd9],
        }
    }

    /// The fill as `#rrggbb`.
    pub fn fill_hex(self) -> String {
        let [r, g, b] = self.fill();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

impl Project {
    /// The nodes of `tree` within `depth` steps of `centre`, forwards or backwards, in the
    /// tree's order: the part of a big tree worth drawing around one node (a diagram of a
    /// whole 100-node script is too big to read).
    pub fn neighbourhood(&self, tree: TreeId, centre: NodeId, depth: u32) -> Vec<NodeId> {
        let mut distance: std::collections::HashMap<NodeId, u32> =
            std::collections::HashMap::from([(centre, 0)]);
        let mut frontier = vec![centre];
        // Stops when nothing new is found: a depth past the tree's size (up to `u32::MAX`
        // from the command line) must not go on counting steps over an empty frontier.
        for step in 1..=depth {
            if frontier.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for node in frontier {
                let around = self
                    .graph
                    .neighbors_undirected(petgraph::graph::NodeIndex::new(node.index()))
                    .map(|n| NodeId::from_index(n.index()));
                for neighbour in around {
                    if self.node(neighbour).tree == tree && !distance.contains_key(&neighbour) {
                        distance.insert(neighbour, step);
                        next.push(neighbour);
                    }
                }
            }
            frontier = next;
        }
        self.tree(tree)
            .nodes
            .iter()
            .copied()
            .filter(|n| distance.contains_key(n))
            .collect()
    }

    /// The nodes of `tree` that folding `node` in a drawing puts away: those it leads to that
    /// the start cannot reach without passing through it (its own branch of the tree), in
    /// the tree's order. What the start reaches another way stays drawn, so folding never
    /// hides a node that can be got to without the folded one; a node that leads back into
    /// itself keeps only what hangs below it.
    pub fn folded_under(&self, tree: TreeId, node: NodeId) -> Vec<NodeId> {
        let count = self.node_count();
        let in_tree = |n: NodeId| n.index() < count && self.node(n).tree == tree;
        // Walks forward from `from` inside the tree, never entering `blocked`.
        let reach = |from: &[NodeId], blocked: NodeId| {
            let mut seen = vec![false; count];
            let mut stack: Vec<NodeId> = from
                .iter()
                .copied()
                .filter(|&n| n != blocked && in_tree(n))
                .collect();
            for &n in &stack {
                seen[n.index()] = true;
            }
            while let Some(current) = stack.pop() {
                for next in self.successors(current) {
                    if next != blocked && in_tree(next) && !seen[next.index()] {
                        seen[next.index()] = true;
                        stack.push(next);
                    }
                }
            }
            seen
        };
        if !in_tree(node) {
            return Vec::new();
        }
        let start: Vec<NodeId> = self.tree(tree).start.into_iter().collect();
        let elsewhere = reach(&start, node);
        let below: Vec<NodeId> = self.successors(node).collect();
        let under = reach(&below, node);
        self.tree(tree)
            .nodes
            .iter()
            .copied()
            .filter(|n| under[n.index()] && !elsewhere[n.index()])
            .collect()
    }

    /// How a node of a tree is drawn.
    pub fn look(&self, tree: TreeId, node: NodeId) -> Look {
        let data = self.node(node);
        match &data.exit {
            Exit::End(outcome) => match outcome.result.as_deref().and_then(Hue::named_in) {
                Some(hue) => Look::Result(hue),
                None => Look::End(outcome.kind),
            },
            Exit::Return => Look::Return,
            Exit::Route { .. } => Look::Routing,
            Exit::Call { .. } => Look::Call,
            _ if self.tree(tree).start == Some(node) => Look::Start,
            _ if data.kind == NodeKind::Feedback => Look::Feedback,
            _ => Look::Step,
        }
    }

    /// Every edge out of a node: where it goes and its label (the option's text with its
    /// audience and condition, a route's condition, `else`...). A plain continue has none.
    pub fn labelled_edges(&self, node: NodeId) -> Vec<(NodeId, String)> {
        let mut out = Vec::new();
        for skip in &self.node(node).entry {
            if let Some(target) = skip.target {
                out.push((target, format!("skip if {}", skip.condition_text)));
            }
        }
        match &self.node(node).exit {
            Exit::Options(options) => {
                for option in options {
                    if let Some(target) = option.target {
                        let mut label = option.label.source.clone();
                        if let Some(only) = option.only {
                            let _ = write!(label, " ({}-only)", only.name());
                        }
                        if let Some(guard) = &option.guard_text {
                            let _ = write!(label, "\nwhen {guard}");
                        }
                        if let Some(effects) = &option.effects_text {
                            let _ = write!(label, "\nset {effects}");
                        }
                        out.push((target, label));
                    }
                }
            }
            Exit::Continue(Some(target)) => out.push((*target, String::new())),
            Exit::Route {
                routes, otherwise, ..
            } => {
                for route in routes {
                    if let Some(target) = route.target {
                        out.push((target, format!("if {}", route.condition_text)));
                    }
                }
                if let Some(Some(target)) = otherwise {
                    out.push((*target, "else".to_owned()));
                }
            }
            Exit::Call {
                then: Some(target), ..
            } => out.push((*target, "after the call".to_owned())),
            _ => {}
        }
        out
    }

    /// A node's caption: its title, then for endings the outcome, team and code, for calls
    /// the tree called, each on its own line.
    pub fn caption(&self, node: NodeId) -> String {
        let data = self.node(node);
        let mut label = data.shown_title().to_owned();
        match &data.exit {
            Exit::End(outcome) => {
                let _ = write!(label, "\nend {}", outcome.kind.name());
                if let Some(to) = &outcome.to {
                    let _ = write!(label, " to {to}");
                }
                if let Some(result) = &outcome.result {
                    let _ = write!(label, ": {result}");
                }
                if let Some(code) = &outcome.code {
                    let _ = write!(label, " [{code}]");
                }
            }
            Exit::Call {
                tree: Some(callee), ..
            } => {
                let _ = write!(label, "\ncall {}", self.tree(*callee).name);
            }
            Exit::Return => label.push_str("\nreturn"),
            _ => {}
        }
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRANCHES: &str = "tree t \"T\"\n  start: a\n\nnode a \"A\"\n  option \"B\" -> b\n  option \"C\" -> c\n\nnode b \"B\"\n  option \"One\" -> b1\n  option \"Two\" -> b2\n\nnode b1 \"B1\"\n  option \"Again\" -> b\n  option \"Done\" -> done\n\nnode b2 \"B2\"\n  -> shared\n\nnode c \"C\"\n  -> shared\n\nnode shared \"Shared\"\n  -> done\n\nnode done \"Done\"\n  end resolved\n";

    fn names(project: &Project, nodes: &[NodeId]) -> Vec<String> {
        nodes
            .iter()
            .map(|&n| project.node(n).name.clone())
            .collect()
    }

    #[test]
    fn folding_a_node_puts_away_only_what_the_start_cannot_reach_another_way() {
        let project = Project::single("t.tree", BRANCHES);
        assert!(!project.has_errors());
        let tree = project.tree_by_name("t").expect("the tree loads");
        let node = |name: &str| project.node_by_name(tree, name).expect("the node exists");
        // `shared` and `done` are also reached through `c`; the loop back from b1 to b is
        // not a way round b.
        assert_eq!(
            names(&project, &project.folded_under(tree, node("b"))),
            ["b1", "b2"]
        );
        assert_eq!(
            names(&project, &project.folded_under(tree, node("a"))),
            ["b", "b1", "b2", "c", "shared", "done"]
        );
        assert!(project.folded_under(tree, node("shared")).is_empty());
        assert!(project.folded_under(tree, node("done")).is_empty());
    }
}
