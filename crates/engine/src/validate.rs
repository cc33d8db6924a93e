//! Graph checks over the whole project: what a call can reach, where it can get stuck, and
//! what a customer would see. Read-before-set lives in `flow`.
//!
//! Every walk over a graph here is iterative (breadth-first searches, and Kosaraju's strongly
//! connected components, which petgraph computes with explicit stacks; its `tarjan_scc`
//! recurses once per node and overflowed the stack on a chain of 100,000 nodes).

use calltree_syntax::{Audience, Diagnostic, Expectation, StmtKind};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, NodeFiltered, Reversed, Walker};

use crate::codes;
use crate::lower::{check_answer, literal_value, serves_customers};
use crate::model::{Exit, FileId, NodeId, OutcomeKind, TreeId, VariableKind};
use crate::project::Project;
use crate::session::MAX_AUTOMATIC_HOPS;
use crate::value::Type;

/// Zingtree's advice, and ours: past about this many nodes a script is hard to keep in mind.
const LARGE_TREE: usize = 150;

type Found = Vec<(FileId, Diagnostic)>;

pub(crate) fn check(project: &Project, out: &mut Found) {
    let reachable = reachable_from_starts(project);
    let finishes = can_finish(project);
    for (tree_id, tree) in project.trees() {
        for &node_id in &tree.nodes {
            let node = project.node(node_id);
            if matches!(node.exit, Exit::None) {
                out.push((
                    node.file,
                    Diagnostic::new(
                        codes::DEAD_END,
                        node.span,
                        format!("node `{}` has no way out", node.name),
                    )
                    .with_hint("give it options, `-> <node>`, routing, a `call` or an `end`"),
                ));
            }
            if tree.start.is_some() && !reachable[node_id.index()] {
                out.push((
                    node.file,
                    Diagnostic::new(
                        codes::UNREACHABLE_NODE,
                        node.span,
                        format!("node `{}` can never be reached from the start", node.name),
                    )
                    .with_hint("point an option or `->` at it, or delete it"),
                ));
            }
            if let Exit::Options(options) = &node.exit
                && !options.is_empty()
                && options.iter().all(|o| o.has_guard())
            {
                out.push((
                    node.file,
                    Diagnostic::new(
                        codes::SOFT_LOCK,
                        node.span,
                        format!("every option of `{}` has a `when` condition: if none holds, the call is stuck here", node.name),
                    )
                    .with_hint("add an option without `when`, such as \"None of these\", or be sure the conditions cover every case"),
                ));
            }
        }
        if serves_customers(tree) {
            check_customer_paths(project, tree_id, out);
        }
        check_resolution(project, tree_id, &reachable, out);
        if tree.nodes.len() > LARGE_TREE {
            out.push((
                tree.file,
                Diagnostic::new(
                    codes::LARGE_TREE,
                    tree.span,
                    format!(
                        "tree `{}` has {} nodes; agents lose their way in scripts this large",
                        tree.name,
                        tree.nodes.len()
                    ),
                )
                .with_hint(format!(
                    "split it into sub-trees of fewer than {LARGE_TREE} nodes and `call` them"
                )),
            ));
        }
        check_unused(project, tree_id, out);
        check_shared_declarations(project, tree_id, out);
        check_tests(project, tree_id, out);
    }
    check_traps(project, &reachable, &finishes, out);
    let automatic = automatic_graph(project);
    check_routing_loops(project, &automatic, out);
    check_routing_chains(project, &automatic, out);
    check_constant_skips(project, out);
    check_recursion(project, out);
}

fn index(node: NodeId) -> NodeIndex {
    NodeIndex::new(node.index())
}

pub(crate) fn reachable_from_starts(project: &Project) -> Vec<bool> {
    let mut reachable = vec![false; project.node_count()];
    for (_, tree) in project.trees() {
        if let Some(start) = tree.start {
            for node in Bfs::new(&project.graph, index(start)).iter(&project.graph) {
                reachable[node.index()] = true;
            }
        }
    }
    reachable
}

/// Nodes from which some way to finish (an `end`, a `return`, or a sub-tree that may end the
/// call) can be reached.
fn can_finish(project: &Project) -> Vec<bool> {
    let mut finishes = vec![false; project.node_count()];
    let reversed = Reversed(&project.graph);
    let endings: Vec<NodeIndex> = (0..project.node_count())
        .map(NodeId::from_index)
        .filter(|&n| {
            matches!(
                project.node(n).exit,
                Exit::End(_) | Exit::Return | Exit::Call { .. }
            )
        })
        .map(index)
        .collect();
    let Some(&first) = endings.first() else {
        return finishes;
    };
    let mut bfs = Bfs::new(reversed, first);
    bfs.stack.extend(endings.iter().skip(1).copied());
    for &ending in &endings {
        bfs.discovered.insert(ending.index());
    }
    while let Some(node) = bfs.next(reversed) {
        finishes[node.index()] = true;
    }
    finishes
}

fn names(project: &Project, nodes: &[NodeId]) -> String {
    const SHOWN: usize = 6;
    let mut listed: Vec<String> = nodes
        .iter()
        .take(SHOWN)
        .map(|&n| format!("`{}`", project.node(n).name))
        .collect();
    if nodes.len() > SHOWN {
        listed.push(format!("and {} more", nodes.len() - SHOWN));
    }
    listed.join(", ")
}

/// Whether a strongly connected component is a loop: several nodes, or one that leads to
/// itself.
fn is_loop(project: &Project, component: &[NodeIndex]) -> bool {
    component.len() > 1 || project.graph.contains_edge(component[0], component[0])
}

/// A loop's nodes in source order, so reports name them as the author reads them.
fn loop_members(project: &Project, component: &[NodeIndex]) -> Vec<NodeId> {
    let mut members: Vec<NodeId> = component
        .iter()
        .map(|n| NodeId::from_index(n.index()))
        .collect();
    members.sort_by_key(|&n| project.node(n).span.start);
    members
}

/// Cycles whose nodes can be reached but from which no ending can: a call that enters one
/// goes round for ever.
fn check_traps(project: &Project, reachable: &[bool], finishes: &[bool], out: &mut Found) {
    for component in kosaraju_scc(&project.graph) {
        if !is_loop(project, &component)
            || component
                .iter()
                .any(|n| !reachable[n.index()] || finishes[n.index()])
        {
            continue;
        }
        let members = loop_members(project, &component);
        let first = project.node(members[0]);
        out.push((
            first.file,
            Diagnostic::new(
                codes::TRAP,
                first.span,
                if members.len() == 1 {
                    format!(
                        "a call that reaches `{}` can never finish: it only leads back to itself",
                        first.name
                    )
                } else {
                    format!(
                        "a call that reaches `{}` can never finish: {} only lead to each other",
                        first.name,
                        names(project, &members)
                    )
                },
            )
            .with_hint("add an option or route from this loop to a node that ends the call"),
        ));
    }
}

/// The moves a call makes without anyone being asked: every way out of a routing node, and
/// each entry skip. Only those nodes have edges here.
fn automatic_graph(project: &Project) -> DiGraph<(), ()> {
    let mut graph = DiGraph::with_capacity(project.node_count(), 0);
    for _ in 0..project.node_count() {
        graph.add_node(());
    }
    for index in 0..project.node_count() {
        let node = project.node(NodeId::from_index(index));
        let from = NodeIndex::new(index);
        let mut link = |target: Option<NodeId>| {
            if let Some(target) = target {
                graph.add_edge(from, NodeIndex::new(target.index()), ());
            }
        };
        node.entry.iter().for_each(|skip| link(skip.target));
        if let Exit::Route {
            routes, otherwise, ..
        } = &node.exit
        {
            routes.iter().for_each(|r| link(r.target));
            link(otherwise.flatten());
        }
    }
    graph
}

/// Whether the call can move on from this node without anyone being asked anything.
fn is_automatic(project: &Project, node: NodeIndex) -> bool {
    let node = project.node(NodeId::from_index(node.index()));
    node.is_routing() || !node.entry.is_empty()
}

/// Routing nodes that route to each other (and steps whose entry skips pass the call on to
/// each other) would spin without anyone being asked anything.
fn check_routing_loops(project: &Project, automatic: &DiGraph<(), ()>, out: &mut Found) {
    for component in kosaraju_scc(automatic) {
        if component.len() == 1 && !automatic.contains_edge(component[0], component[0]) {
            continue;
        }
        let members = loop_members(project, &component);
        let first = project.node(members[0]);
        let skips = members.iter().any(|&m| !project.node(m).entry.is_empty());
        let message = match (members.len(), skips) {
            (1, false) => format!(
                "`{}` routes to itself without asking anything, so a call could go round for ever",
                first.name
            ),
            (1, true) => format!(
                "`{}` passes the call over to itself on arrival, so a call could go round for ever",
                first.name
            ),
            (_, false) => format!(
                "{} route to each other without asking anything, so a call could go round for ever",
                names(project, &members)
            ),
            (_, true) => format!(
                "{} pass the call on to each other on arrival (by routing or entry skips) without asking anything, so a call could go round for ever",
                names(project, &members)
            ),
        };
        out.push((
            first.file,
            Diagnostic::new(codes::ROUTING_LOOP, first.span, message)
                .with_hint("put a node with a question or a continue inside the loop"),
        ));
    }
}

/// An entry skip that always holds: the node's own content is never shown, and the skips
/// after it never apply.
fn check_constant_skips(project: &Project, out: &mut Found) {
    for index in 0..project.node_count() {
        let node = project.node(NodeId::from_index(index));
        if let Some(skip) = node
            .entry
            .iter()
            .find(|skip| skip.condition.is_always_true())
        {
            out.push((
                node.file,
                Diagnostic::new(
                    codes::UNREACHABLE_NODE,
                    skip.span,
                    format!(
                        "this entry skip always holds, so nothing of `{}` below it is ever shown",
                        node.name
                    ),
                )
                .with_hint("give the skip a condition that can fail, or point the arrows into this node at its target instead"),
            ));
        }
    }
}

/// Routing nodes one after another, more of them than a session follows in one go: a call
/// that arrives at the first would stop at the hop limit before it reaches a step.
fn check_routing_chains(project: &Project, automatic: &DiGraph<(), ()>, out: &mut Found) {
    let is_routing = |n: NodeIndex| is_automatic(project, n);
    let routing = NodeFiltered::from_fn(automatic, is_routing);
    // The longest run of routing nodes from each routing node, the node itself included.
    // Components come sinks first, so every successor is measured before its predecessors;
    // loops (reported as routing loops) count as the end of a run.
    let mut longest = vec![0usize; project.node_count()];
    for component in kosaraju_scc(&routing) {
        if is_loop(project, &component) {
            continue;
        }
        let node = component[0];
        let after = automatic
            .neighbors(node)
            .filter(|&next| is_routing(next))
            .map(|next| longest[next.index()])
            .max()
            .unwrap_or(0);
        longest[node.index()] = after + 1;
    }
    for (index, &length) in longest.iter().enumerate() {
        // A run is reported where it starts: at a node no routing node leads to.
        if length < MAX_AUTOMATIC_HOPS
            || automatic
                .neighbors_directed(NodeIndex::new(index), petgraph::Direction::Incoming)
                .any(is_routing)
        {
            continue;
        }
        let node = project.node(NodeId::from_index(index));
        out.push((
            node.file,
            Diagnostic::new(
                codes::LONG_ROUTING_CHAIN,
                node.span,
                format!(
                    "`{}` starts a chain of {length} routing nodes; a call follows at most {} in a row before it must stop at a step, so it would stop part way along",
                    node.name,
                    MAX_AUTOMATIC_HOPS - 1
                ),
            )
            .with_hint("put a node with a question or a `->` continue in the chain, or route past most of it"),
        ));
    }
}

fn check_recursion(project: &Project, out: &mut Found) {
    let mut calls = DiGraph::<(), NodeId>::new();
    for _ in project.trees() {
        calls.add_node(());
    }
    for (tree_id, tree) in project.trees() {
        for &node in &tree.nodes {
            if let Exit::Call {
                tree: Some(callee), ..
            } = project.node(node).exit
            {
                calls.add_edge(
                    NodeIndex::new(tree_id.index()),
                    NodeIndex::new(callee.index()),
                    node,
                );
            }
        }
    }
    let mut component_of = vec![0usize; calls.node_count()];
    for (number, component) in kosaraju_scc(&calls).iter().enumerate() {
        for tree in component {
            component_of[tree.index()] = number;
        }
    }
    for edge in calls.raw_edges() {
        let (from, to) = (edge.source().index(), edge.target().index());
        if component_of[from] != component_of[to] {
            continue;
        }
        let node = project.node(edge.weight);
        let caller = &project.tree(TreeId::from_index(from)).name;
        let callee = &project.tree(TreeId::from_index(to)).name;
        let message = if from == to {
            format!("tree `{caller}` calls itself, so this call could never finish")
        } else {
            format!(
                "tree `{caller}` calls `{callee}`, which leads back to `{caller}`: a call could never finish"
            )
        };
        out.push((
            node.file,
            Diagnostic::new(codes::RECURSIVE_CALL, node.span, message).with_hint(
                "sub-trees cannot call back up; move the shared steps into a tree of their own",
            ),
        ));
    }
}

/// What customers reach, following only what they are shown, and whether they can act there.
fn check_customer_paths(project: &Project, tree: TreeId, out: &mut Found) {
    let Some(start) = project.tree(tree).start else {
        return;
    };
    let mut seen = vec![false; project.node_count()];
    let mut stack = vec![start];
    seen[start.index()] = true;
    while let Some(id) = stack.pop() {
        let node = project.node(id);
        let mut next: Vec<Option<NodeId>> = Vec::new();
        match &node.exit {
            Exit::Options(options) => {
                let visible: Vec<_> = options
                    .iter()
                    .filter(|o| o.visible_to(Audience::Customer))
                    .collect();
                if visible.is_empty() {
                    out.push((
                        node.file,
                        Diagnostic::new(
                            codes::CUSTOMER_STUCK,
                            node.span,
                            format!(
                                "customers can reach `{}`, but every option there is agent-only",
                                node.name
                            ),
                        )
                        .with_hint("add a customer-only option, for example a handoff to an agent"),
                    ));
                }
                next.extend(visible.iter().map(|o| o.target));
            }
            Exit::Continue(target) => next.push(*target),
            Exit::Route {
                routes, otherwise, ..
            } => {
                next.extend(routes.iter().map(|r| r.target));
                next.push(otherwise.flatten());
            }
            Exit::Call { then, .. } => next.push(*then),
            Exit::None | Exit::End(_) | Exit::Return => {}
        }
        let speaks_to_agents = !node.agent.is_empty() || matches!(node.exit, Exit::Options(_));
        if speaks_to_agents && node.say.is_empty() && node.customer.is_empty() && !node.is_routing()
        {
            out.push((
                node.file,
                Diagnostic::new(
                    codes::CUSTOMER_NO_TEXT,
                    node.span,
                    format!(
                        "customers can reach `{}`, but it has no `say` or `customer` text for them",
                        node.name
                    ),
                )
                .with_hint("add a `customer \"...\"` line in words a customer understands"),
            ));
        }
        for target in next.into_iter().flatten() {
            if !seen[target.index()] {
                seen[target.index()] = true;
                stack.push(target);
            }
        }
    }
}

fn check_resolution(project: &Project, tree: TreeId, reachable: &[bool], out: &mut Found) {
    let closure = project.call_closure(tree);
    let nodes = || {
        closure
            .iter()
            .flat_map(|t| project.tree(*t).nodes.iter().copied())
    };
    let is_sub_tree = project
        .tree(tree)
        .nodes
        .iter()
        .any(|&n| matches!(project.node(n).exit, Exit::Return));
    let resolves = nodes().any(|n| {
        reachable[n.index()]
            && matches!(&project.node(n).exit, Exit::End(o) if o.kind == OutcomeKind::Resolved)
    });
    let tree = project.tree(tree);
    if !is_sub_tree && !resolves && tree.start.is_some() {
        out.push((
            tree.file,
            Diagnostic::new(
                codes::NO_RESOLUTION,
                tree.span,
                format!("no path through `{}` ends `resolved`", tree.name),
            )
            .with_hint("a script that never solves anything only passes calls on; add the path that resolves the common case"),
        ));
    }
}

/// Fields and flags a tree declares but never asks, sets or reads.
fn check_unused(project: &Project, tree_id: TreeId, out: &mut Found) {
    let tree = project.tree(tree_id);
    let mut used = vec![false; project.slot_count()];
    let mut slots = Vec::new();
    for &id in &tree.nodes {
        let node = project.node(id);
        let templates = node
            .title
            .iter()
            .chain(&node.say)
            .chain(&node.agent)
            .chain(&node.customer)
            .chain(node.notes.iter().map(|note| &note.text));
        for template in templates {
            template.mentions(&mut slots);
        }
        for note in &node.notes {
            if let Some(when) = &note.when {
                when.mentions(&mut slots);
            }
        }
        slots.extend(node.asks.iter().map(|(s, _)| *s));
        slots.extend(node.mentions.iter().copied());
        for skip in &node.entry {
            skip.condition.mentions(&mut slots);
        }
        for set in &node.sets {
            slots.push(set.slot);
            if let Some(value) = &set.value {
                value.mentions(&mut slots);
            }
        }
        match &node.exit {
            Exit::Options(options) => {
                for option in options {
                    option.label.mentions(&mut slots);
                    if let Some(guard) = &option.guard {
                        guard.mentions(&mut slots);
                    }
                    for effect in &option.effects {
                        slots.push(effect.slot);
                        if let Some(value) = &effect.value {
                            value.mentions(&mut slots);
                        }
                    }
                }
            }
            Exit::Route { routes, .. } => {
                for route in routes {
                    route.condition.mentions(&mut slots);
                }
            }
            _ => {}
        }
        for slot in slots.drain(..) {
            used[slot.index()] = true;
        }
    }
    for variable in &tree.variables {
        // A value handed in at the start is kept in the call's record and summary even when
        // nothing in the tree reads it (a campaign, a caller's number).
        if used[variable.slot.index()] || variable.given {
            continue;
        }
        out.push((
            tree.file,
            Diagnostic::new(
                codes::UNUSED_VARIABLE,
                variable.span,
                format!(
                    "`{}` is declared but never asked, set or read in this tree",
                    variable.name
                ),
            )
            .with_hint(format!(
                "`ask {}` where the answer is needed, or delete the declaration",
                variable.name
            )),
        ));
    }
}

/// A caller and the sub-tree it calls share values by name, so they must agree on what each
/// shared name is.
fn check_shared_declarations(project: &Project, tree_id: TreeId, out: &mut Found) {
    let tree = project.tree(tree_id);
    for &id in &tree.nodes {
        let node = project.node(id);
        let Exit::Call {
            tree: Some(callee_id),
            ..
        } = node.exit
        else {
            continue;
        };
        let callee = project.tree(callee_id);
        for mine in &tree.variables {
            let Some(theirs) = callee.variable(mine.slot) else {
                continue;
            };
            let same_kind =
                (mine.kind == VariableKind::Flag) == (theirs.kind == VariableKind::Flag);
            let same_type = match (mine.ty, theirs.ty) {
                (Type::Choice(_), Type::Choice(_)) | (Type::Choices(_), Type::Choices(_)) => {
                    mine.choices == theirs.choices
                }
                (a, b) => a == b,
            };
            if !(same_kind && same_type) {
                out.push((
                    tree.file,
                    Diagnostic::new(
                        codes::CONFLICTING_TYPES,
                        mine.span,
                        format!(
                            "`{}` is {} here but {} in `{}`, which this tree calls and which shares it",
                            mine.name,
                            describe(mine),
                            describe(theirs),
                            callee.name
                        ),
                    )
                    .with_hint("declare it the same way in both trees, or give one of them another name"),
                ));
            }
        }
    }
}

fn describe(variable: &crate::model::Variable) -> String {
    match (variable.kind, variable.ty) {
        (VariableKind::Flag, _) => "a flag".to_owned(),
        (_, Type::Choice(_)) => {
            let values: Vec<&str> = variable.choices.iter().map(|c| c.value.as_str()).collect();
            format!("a choice of {}", values.join(", "))
        }
        (_, Type::Choices(_)) => {
            let values: Vec<&str> = variable.choices.iter().map(|c| c.value.as_str()).collect();
            format!("a checklist of {}", values.join(", "))
        }
        (_, ty) => ty.describe().to_owned(),
    }
}

/// Test steps that name things the tree does not have, checked before any test runs.
fn check_tests(project: &Project, tree_id: TreeId, out: &mut Found) {
    let tree = project.tree(tree_id);
    let closure = project.call_closure(tree_id);
    let labels: Vec<&str> = closure
        .iter()
        .flat_map(|t| project.tree(*t).nodes.iter())
        .filter_map(|&n| match &project.node(n).exit {
            Exit::Options(options) => Some(options.iter().map(|o| o.label.source.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    let node_named = |name: &str| {
        closure
            .iter()
            .any(|t| project.node_by_name(*t, name).is_some())
    };
    // A setup's steps are checked once, not once per test that plays them.
    let blocks = tree
        .setups
        .iter()
        .map(|setup| (setup.file, &setup.steps))
        .chain(tree.tests.iter().map(|test| (test.file, &test.steps)));
    for (file, steps) in blocks {
        for step in steps {
            let problem: Option<Diagnostic> = match &step.kind {
                StmtKind::Choose(label) | StmtKind::Expect(Expectation::Option { label, .. }) => {
                    let label = label.to_plain();
                    (!labels.contains(&label.as_str())).then(|| {
                        let diagnostic = Diagnostic::new(
                            codes::TEST_UNKNOWN_OPTION,
                            step.span,
                            format!("no option in `{}` is labelled \"{label}\"", tree.name),
                        );
                        match calltree_syntax::nearest(&label, &labels) {
                            Some(s) => diagnostic.with_hint(format!("did you mean \"{s}\"?")),
                            None => diagnostic,
                        }
                    })
                }
                StmtKind::Answer { var, value }
                | StmtKind::Given { var, value }
                | StmtKind::Expect(Expectation::Field { var, value }) => {
                    let declared = closure
                        .iter()
                        .find_map(|t| project.tree(*t).variable_named(var.as_str()));
                    match declared {
                        None => Some(unknown_name(var.as_str(), "field or flag", var.span())),
                        Some(variable) => literal_value(variable, &value.kind)
                            .and_then(|v| {
                                if matches!(
                                    step.kind,
                                    StmtKind::Answer { .. } | StmtKind::Given { .. }
                                ) {
                                    check_answer(variable, &v)
                                } else {
                                    Ok(())
                                }
                            })
                            .err()
                            .map(|problem| {
                                Diagnostic::new(
                                    codes::TEST_STEP_REJECTED,
                                    value.span,
                                    format!(
                                        "this value does not fit `{}`: {problem}",
                                        variable.name
                                    ),
                                )
                            }),
                    }
                }
                StmtKind::Expect(Expectation::Node(name)) => (!node_named(name.as_str()))
                    .then(|| unknown_name(name.as_str(), "node", name.span())),
                StmtKind::As(audience, _) => audience.audience.and_then(|a| {
                    (!tree.serves(a)).then(|| {
                        Diagnostic::new(
                            codes::TEST_STEP_REJECTED,
                            step.span,
                            format!(
                                "tree `{}` does not serve {}s (see its `audience:`)",
                                tree.name,
                                a.name()
                            ),
                        )
                    })
                }),
                _ => None,
            };
            if let Some(diagnostic) = problem {
                out.push((file, diagnostic));
            }
        }
    }
}

fn unknown_name(name: &str, what: &str, span: calltree_syntax::Span) -> Diagnostic {
    Diagnostic::new(
        codes::TEST_UNKNOWN_NAME,
        span,
        format!("this test names `{name}`, but the tree has no {what} of that name"),
    )
}
