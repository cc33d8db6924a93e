//! How far a call has to go: the fewest steps from each node to the end of its tree, for a
//! host to show "about 4 more steps". Routing nodes are not steps (nobody sees them); a call to
//! a sub-tree costs the sub-tree's own fewest steps.
//!
//! Worked out once per project, on first use, backwards from every ending (a Dijkstra over the
//! reversed graph with weights 0 and 1): linear in the size of the project.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::{Exit, NodeId};
use crate::project::Project;

/// No way to an ending from this node.
pub(crate) const NEVER: u32 = u32::MAX;

/// The fewest steps from each node to the end of its own tree (its endings, or `return`).
pub(crate) fn steps_to_finish(project: &Project) -> Vec<u32> {
    let count = project.node_count();
    // Predecessors within a tree: the reversed graph.
    let mut before: Vec<Vec<NodeId>> = vec![Vec::new(); count];
    for index in 0..count {
        let node = NodeId::from_index(index);
        for next in project.successors(node) {
            before[next.index()].push(node);
        }
    }
    // Two rounds: the first prices every sub-tree call at one step; the second at the
    // sub-tree's own distance as the first round found it. Good enough for an estimate.
    let mut call_cost = vec![1u32; project.trees.len()];
    let mut distance = Vec::new();
    for _ in 0..2 {
        distance = shortest(project, &before, &call_cost);
        for (index, tree) in project.trees.iter().enumerate() {
            if let Some(start) = tree.start {
                call_cost[index] = distance[start.index()].max(1);
            }
        }
    }
    distance
}

/// The cost of a node itself: nothing for routing, a sub-tree's length for a call, else one.
fn weight(project: &Project, node: NodeId, call_cost: &[u32]) -> u32 {
    match &project.node(node).exit {
        Exit::Route { .. } => 0,
        Exit::Call {
            tree: Some(callee), ..
        } => call_cost[callee.index()],
        _ => 1,
    }
}

fn shortest(project: &Project, before: &[Vec<NodeId>], call_cost: &[u32]) -> Vec<u32> {
    let mut distance = vec![NEVER; project.node_count()];
    let mut queue = BinaryHeap::new();
    for (index, node) in project.nodes.iter().enumerate() {
        if node.is_ending() {
            // Reaching the ending is itself the last step.
            distance[index] = 1;
            queue.push(Reverse((1u32, index)));
        }
    }
    while let Some(Reverse((cost, index))) = queue.pop() {
        if cost > distance[index] {
            continue;
        }
        for &previous in &before[index] {
            let through = cost.saturating_add(weight(project, previous, call_cost));
            if through < distance[previous.index()] {
                distance[previous.index()] = through;
                queue.push(Reverse((through, previous.index())));
            }
        }
    }
    distance
}
