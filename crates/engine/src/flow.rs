//! Read-before-set: which fields definitely have a value when each node is reached.
//!
//! A forward dataflow over each tree's graph: a node's "has a value" set is the intersection of
//! what every path into it guarantees. Asking a field counts as giving it a value (an optional
//! field left blank is an answer of "nothing", which conditions and text handle), and so does
//! `set` (in a node, or an option's effects on the way to the option's target), a default, or a sub-tree that asks it on every path to its `return`. A read that is
//! not covered is reported with an example path on which nothing gives the field a value.

use std::collections::HashMap;

use calltree_syntax::{Diagnostic, Span};

use crate::codes;
use crate::expr::Expr;
use crate::model::{Exit, FileId, NodeId, Slot, Template, TemplatePart, TreeId};
use crate::project::Project;

/// A fixed-width set of slots.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(width: usize) -> Self {
        Bits(vec![0; width.div_ceil(64)])
    }

    fn full(width: usize) -> Self {
        let mut bits = Bits(vec![u64::MAX; width.div_ceil(64)]);
        if !width.is_multiple_of(64)
            && let Some(last) = bits.0.last_mut()
        {
            *last = (1u64 << (width % 64)) - 1;
        }
        bits
    }

    fn insert(&mut self, slot: Slot) {
        self.0[slot.index() / 64] |= 1 << (slot.index() % 64);
    }

    fn contains(&self, slot: Slot) -> bool {
        self.0[slot.index() / 64] & (1 << (slot.index() % 64)) != 0
    }

    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn intersect(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

type Found = Vec<(FileId, Diagnostic)>;

pub(crate) fn check(project: &Project, out: &mut Found) {
    let mut analysis = Analysis {
        project,
        width: project.slot_count(),
        summaries: HashMap::new(),
        in_progress: Vec::new(),
    };
    for (tree, _) in project.trees() {
        let states = analysis.analyse(tree);
        analysis.report_reads(tree, &states, out);
    }
}

/// A tree whose analysis waits for the summaries of the sub-trees it calls.
struct Frame {
    tree: TreeId,
    /// Whether to keep the tree's summary once it is analysed.
    store: bool,
    /// What each node gives a value to, for the nodes looked at so far.
    generated: Vec<Bits>,
}

struct Analysis<'p> {
    project: &'p Project,
    width: usize,
    /// What each sub-tree guarantees on return.
    summaries: HashMap<TreeId, Bits>,
    in_progress: Vec<TreeId>,
}

impl Analysis<'_> {
    /// What has a value when a tree starts: its defaults and flags, and the `given` fields
    /// that are required (a call does not start without them).
    fn entry(&self, tree: TreeId) -> Bits {
        let mut bits = Bits::empty(self.width);
        for variable in &self.project.tree(tree).variables {
            if variable.default.is_set() || (variable.given && variable.required) {
                bits.insert(variable.slot);
            }
        }
        bits
    }

    /// What a sub-tree guarantees when it returns. A tree that never returns (or is being
    /// analysed already, through a recursive call that is reported elsewhere) guarantees
    /// everything, because nothing after the call can run without a return.
    fn summary(&mut self, tree: TreeId) -> Bits {
        if let Some(bits) = self.summaries.get(&tree) {
            return bits.clone();
        }
        if self.in_progress.contains(&tree) {
            return Bits::full(self.width);
        }
        self.run(tree, true);
        self.summaries
            .get(&tree)
            .cloned()
            .unwrap_or_else(|| Bits::full(self.width))
    }

    /// The summary of a tree from its arrival states: what every `return` leaves with.
    fn summarise(&self, tree: TreeId, states: &[Option<Bits>]) -> Bits {
        let mut result: Option<Bits> = None;
        for (position, &node) in self.project.tree(tree).nodes.iter().enumerate() {
            if let (Exit::Return, Some(state)) = (&self.project.node(node).exit, &states[position])
            {
                let mut leaving = state.clone();
                leaving.union(&self.gen_without_call(node));
                match &mut result {
                    Some(bits) => bits.intersect(&leaving),
                    None => result = Some(leaving),
                }
            }
        }
        result.unwrap_or_else(|| Bits::full(self.width))
    }

    fn gen_without_call(&self, node: NodeId) -> Bits {
        let node = self.project.node(node);
        let mut bits = Bits::empty(self.width);
        for assignment in &node.sets {
            bits.insert(assignment.slot);
        }
        for (slot, _) in &node.asks {
            bits.insert(*slot);
        }
        bits
    }

    fn generated(&mut self, node: NodeId) -> Bits {
        let mut bits = self.gen_without_call(node);
        if let Exit::Call {
            tree: Some(callee), ..
        } = self.project.node(node).exit
        {
            bits.union(&self.summary(callee));
        }
        bits
    }

    /// Whether an entry skip of `node` leads to `next`.
    fn passes_to(&self, node: NodeId, next: NodeId) -> bool {
        self.project
            .node(node)
            .entry
            .iter()
            .any(|skip| skip.target == Some(next))
    }

    /// What every option from `node` to `next` sets when chosen (the intersection, when
    /// several options lead there); `None` when no option's effects lead there.
    fn edge_effects(&self, node: NodeId, next: NodeId) -> Option<Bits> {
        let Exit::Options(options) = &self.project.node(node).exit else {
            return None;
        };
        let mut result: Option<Bits> = None;
        for option in options.iter().filter(|o| o.target == Some(next)) {
            let mut bits = Bits::empty(self.width);
            for effect in &option.effects {
                bits.insert(effect.slot);
            }
            match &mut result {
                Some(all) => all.intersect(&bits),
                None => result = Some(bits),
            }
        }
        result
    }

    /// The "has a value" set on arrival at each node of the tree (by position in the tree);
    /// `None` for nodes no path reaches.
    fn analyse(&mut self, tree: TreeId) -> Vec<Option<Bits>> {
        self.run(tree, false)
    }

    /// Analyses `root`, first summarising every sub-tree it calls that has no summary yet, and
    /// the sub-trees those call, in the order a recursive descent would: a chain of calls as
    /// long as the project has trees costs no stack. With `store`, the root's own summary is
    /// kept as well.
    fn run(&mut self, root: TreeId, store: bool) -> Vec<Option<Bits>> {
        let project = self.project;
        let mut frames = vec![Frame {
            tree: root,
            store,
            generated: Vec::new(),
        }];
        if project.tree(root).start.is_some() {
            self.in_progress.push(root);
        }
        loop {
            let Some(frame) = frames.last_mut() else {
                return Vec::new();
            };
            let tree = frame.tree;
            let nodes = &project.tree(tree).nodes;
            if project.tree(tree).start.is_some() && frame.generated.len() < nodes.len() {
                let node = nodes[frame.generated.len()];
                let mut bits = self.gen_without_call(node);
                if let Exit::Call {
                    tree: Some(callee), ..
                } = project.node(node).exit
                {
                    if let Some(summary) = self.summaries.get(&callee) {
                        bits.union(summary);
                    } else if self.in_progress.contains(&callee) {
                        bits.union(&Bits::full(self.width));
                    } else {
                        // The callee first; this node is looked at again once it has a summary.
                        if project.tree(callee).start.is_some() {
                            self.in_progress.push(callee);
                        }
                        frames.push(Frame {
                            tree: callee,
                            store: true,
                            generated: Vec::new(),
                        });
                        continue;
                    }
                }
                frame.generated.push(bits);
                continue;
            }
            let Some(frame) = frames.pop() else {
                return Vec::new();
            };
            let states = self.dataflow(frame.tree, &frame.generated);
            self.in_progress.retain(|t| *t != frame.tree);
            if frame.store {
                let summary = self.summarise(frame.tree, &states);
                self.summaries.insert(frame.tree, summary);
            }
            if frames.is_empty() {
                return states;
            }
        }
    }

    /// The forward dataflow over one tree, given what each of its nodes gives a value to.
    fn dataflow(&self, tree: TreeId, generated: &[Bits]) -> Vec<Option<Bits>> {
        let project = self.project;
        let nodes = &project.tree(tree).nodes;
        let mut states: Vec<Option<Bits>> = vec![None; nodes.len()];
        let Some(start) = project.tree(tree).start else {
            return states;
        };
        let first = nodes.first().map_or(0, |n| n.index());
        states[start.index() - first] = Some(self.entry(tree));
        let mut work = vec![start];
        while let Some(node) = work.pop() {
            let Some(arriving) = states[node.index() - first].clone() else {
                continue;
            };
            let mut leaving = arriving.clone();
            leaving.union(&generated[node.index() - first]);
            for next in project.successors(node) {
                // Passed over by an entry skip, the node gives nothing; that is the least
                // any way to `next` guarantees.
                let along = if self.passes_to(node, next) {
                    arriving.clone()
                } else {
                    let mut along = leaving.clone();
                    if let Some(effects) = self.edge_effects(node, next) {
                        along.union(&effects);
                    }
                    along
                };
                let slot = &mut states[next.index() - first];
                let merged = match slot {
                    None => along,
                    Some(existing) => {
                        let mut merged = existing.clone();
                        merged.intersect(&along);
                        merged
                    }
                };
                if slot.as_ref() != Some(&merged) {
                    *slot = Some(merged);
                    work.push(next);
                }
            }
        }
        states
    }

    fn report_reads(&mut self, tree: TreeId, states: &[Option<Bits>], out: &mut Found) {
        let project = self.project;
        let nodes = &project.tree(tree).nodes;
        let mut reported: Vec<(Slot, Span)> = Vec::new();
        for (position, &id) in nodes.iter().enumerate() {
            let Some(state) = &states[position] else {
                continue;
            };
            let node = project.node(id);
            let mut have = state.clone();
            let mut missing: Vec<(Slot, Span)> = Vec::new();
            let check_expr =
                |expr: &Expr, span: Span, have: &Bits, missing: &mut Vec<(Slot, Span)>| {
                    let mut slots = Vec::new();
                    expr.reads(&mut slots);
                    missing.extend(
                        slots
                            .into_iter()
                            .filter(|s| !have.contains(*s))
                            .map(|s| (s, span)),
                    );
                };
            let check_template =
                |template: &Template, have: &Bits, missing: &mut Vec<(Slot, Span)>| {
                    for part in &template.parts {
                        match part {
                            TemplatePart::Var(slot, span) if !have.contains(*slot) => {
                                missing.push((*slot, *span));
                            }
                            TemplatePart::Expr(expr, _, span) => {
                                let mut slots = Vec::new();
                                expr.reads(&mut slots);
                                missing.extend(
                                    slots
                                        .into_iter()
                                        .filter(|s| !have.contains(*s))
                                        .map(|s| (s, *span)),
                                );
                            }
                            _ => {}
                        }
                    }
                };

            // On arrival: the entry skips are checked before anything of the node runs.
            for skip in &node.entry {
                check_expr(&skip.condition, skip.span, &have, &mut missing);
            }
            // Then `set` runs in order, and the node's text is shown.
            for assignment in &node.sets {
                if let Some(value) = &assignment.value {
                    check_expr(value, assignment.span, &have, &mut missing);
                }
                have.insert(assignment.slot);
            }
            for template in node
                .title
                .iter()
                .chain(&node.say)
                .chain(&node.agent)
                .chain(&node.customer)
            {
                check_template(template, &have, &mut missing);
            }
            match &node.exit {
                Exit::Options(options) => {
                    for option in options {
                        check_template(&option.label, &have, &mut missing);
                    }
                }
                Exit::Route { routes, .. } => {
                    for route in routes {
                        check_expr(&route.condition, route.span, &have, &mut missing);
                    }
                }
                _ => {}
            }
            // When leaving: the node's questions have been answered.
            for (slot, _) in &node.asks {
                have.insert(*slot);
            }
            for note in &node.notes {
                let mut known = have.clone();
                if let Some(when) = &note.when {
                    check_expr(when, note.span, &have, &mut missing);
                    // `note "..." when answered(x)` may show `{x}`: it is written only then.
                    let mut answered = Vec::new();
                    when.answered_when_true(&mut answered);
                    for slot in answered {
                        known.insert(slot);
                    }
                }
                check_template(&note.text, &known, &mut missing);
            }
            if let Exit::Options(options) = &node.exit {
                for option in options {
                    if let Some(guard) = &option.guard {
                        check_expr(guard, option.span, &have, &mut missing);
                    }
                    // An option's effects run in order when it is chosen.
                    let mut chosen = have.clone();
                    for effect in &option.effects {
                        if let Some(value) = &effect.value {
                            check_expr(value, effect.span, &chosen, &mut missing);
                        }
                        chosen.insert(effect.slot);
                    }
                }
            }

            for (slot, span) in missing {
                if reported.contains(&(slot, span)) {
                    continue;
                }
                reported.push((slot, span));
                let name = project.slot_name(slot);
                let path = self.example_path(tree, id, slot);
                let message = match path {
                    Some(path) => format!(
                        "`{name}` may not have a value here: on the path {path}, nothing asks or sets it"
                    ),
                    None => format!("`{name}` may not have a value here"),
                };
                out.push((
                    node.file,
                    Diagnostic::new(codes::READ_BEFORE_SET, span, message).with_hint(format!(
                        "ask `{name}` on every path before this point, give it a default (`= ...`), or check `answered({name}) and ...` first"
                    )),
                ));
            }
        }
    }

    /// A shortest path from the start to `target` on which no node gives `slot` a value.
    fn example_path(&mut self, tree: TreeId, target: NodeId, slot: Slot) -> Option<String> {
        let project = self.project;
        let start = project.tree(tree).start?;
        let mut parent: HashMap<NodeId, NodeId> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut seen = std::collections::HashSet::from([start]);
        while let Some(node) = queue.pop_front() {
            if node == target {
                let mut path = vec![node];
                let mut current = node;
                while let Some(&previous) = parent.get(&current) {
                    path.push(previous);
                    current = previous;
                }
                path.reverse();
                return Some(describe_path(project, &path));
            }
            let gives = self.generated(node).contains(slot);
            for next in project.successors(node) {
                let gives_on_the_way = !self.passes_to(node, next)
                    && (gives
                        || self
                            .edge_effects(node, next)
                            .is_some_and(|effects| effects.contains(slot)));
                if gives_on_the_way {
                    continue;
                }
                if seen.insert(next) {
                    parent.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

fn describe_path(project: &Project, path: &[NodeId]) -> String {
    let names: Vec<&str> = path
        .iter()
        .map(|&n| project.node(n).name.as_str())
        .collect();
    if names.len() <= 6 {
        names.join(" → ")
    } else {
        format!(
            "{} → … → {}",
            names[..3].join(" → "),
            names[names.len() - 2..].join(" → ")
        )
    }
}
