//! Placing a tree's nodes for the graph view: layers by distance from the start, and within a
//! layer an order that keeps edges short (a few barycentre sweeps, as in Sugiyama-style
//! layouts). Linear in nodes and edges per sweep, so a 10,000-node tree lays out at once.

/// Where each node goes: its layer (0 = the start) and its place in that layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub layer: Vec<usize>,
    /// The node's position along its layer, centred on 0.
    pub across: Vec<f32>,
    pub layers: usize,
}

/// Lays out `count` nodes joined by `edges` (from, to), starting from `roots`. Nodes no root
/// reaches are laid out below everything else, so nothing is hidden.
pub fn place(count: usize, edges: &[(usize, usize)], roots: &[usize]) -> Placement {
    let mut successors = vec![Vec::new(); count];
    let mut predecessors = vec![Vec::new(); count];
    for &(from, to) in edges {
        if from < count && to < count && from != to {
            successors[from].push(to);
            predecessors[to].push(from);
        }
    }

    // Layers: breadth-first distance from the roots, then from each node still unplaced.
    const UNPLACED: usize = usize::MAX;
    let mut layer = vec![UNPLACED; count];
    let mut queue = std::collections::VecDeque::new();
    let mut deepest = 0;
    let seeds = roots.iter().copied().filter(|&r| r < count).chain(0..count);
    let mut first_batch = true;
    for seed in seeds {
        if layer[seed] != UNPLACED {
            continue;
        }
        // A separate island starts below everything placed so far.
        layer[seed] = if first_batch { 0 } else { deepest + 1 };
        deepest = deepest.max(layer[seed]);
        queue.push_back(seed);
        // The roots given all start on layer 0 together.
        if first_batch && roots.contains(&seed) {
            for &root in roots {
                if root < count && layer[root] == UNPLACED {
                    layer[root] = 0;
                    queue.push_back(root);
                }
            }
        }
        first_batch = false;
        while let Some(node) = queue.pop_front() {
            for &next in &successors[node] {
                if layer[next] == UNPLACED {
                    layer[next] = layer[node] + 1;
                    deepest = deepest.max(layer[next]);
                    queue.push_back(next);
                }
            }
        }
    }
    let layers = layer.iter().max().map_or(0, |max| max + 1);

    // Order within layers: discovery order first, then sweeps towards the barycentre of
    // neighbours in the layer above (going down) and below (going up).
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (node, &l) in layer.iter().enumerate() {
        rows[l].push(node);
    }
    let mut position = vec![0.0_f32; count];
    let number = |rows: &[Vec<usize>], position: &mut [f32]| {
        for row in rows {
            for (index, &node) in row.iter().enumerate() {
                position[node] = index as f32;
            }
        }
    };
    number(&rows, &mut position);
    for sweep in 0..4 {
        let downward = sweep % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..layers).collect()
        } else {
            (0..layers.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let neighbour_layer = if downward { l - 1 } else { l + 1 };
            let mut keyed: Vec<(f32, usize)> = rows[l]
                .iter()
                .map(|&node| {
                    let neighbours = if downward {
                        &predecessors[node]
                    } else {
                        &successors[node]
                    };
                    let (sum, n) = neighbours
                        .iter()
                        .filter(|&&m| layer[m] == neighbour_layer)
                        .fold((0.0, 0), |(sum, n), &m| (sum + position[m], n + 1));
                    let key = if n == 0 {
                        position[node]
                    } else {
                        sum / n as f32
                    };
                    (key, node)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[l] = keyed.into_iter().map(|(_, node)| node).collect();
            for (index, &node) in rows[l].iter().enumerate() {
                position[node] = index as f32;
            }
        }
    }
    let mut across = vec![0.0; count];
    for row in &rows {
        let middle = (row.len() as f32 - 1.0) / 2.0;
        for (index, &node) in row.iter().enumerate() {
            across[node] = index as f32 - middle;
        }
    }
    Placement {
        layer,
        across,
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_follow_distance_from_the_start() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3, 3 -> 0 (a loop back), 4 unreachable.
        let placement = place(5, &[(0, 1), (0, 2), (1, 3), (2, 3), (3, 0)], &[0]);
        assert_eq!(placement.layer, vec![0, 1, 1, 2, 3]);
        assert_eq!(placement.layers, 4);
        assert_eq!(placement.across[0], 0.0);
        assert_eq!(placement.across[1] + placement.across[2], 0.0);
        assert_ne!(placement.across[1], placement.across[2]);
    }

    #[test]
    fn children_sit_under_their_parents() {
        // Two parents, each with two children, given in crossed order.
        let edges = [(0, 1), (0, 2), (1, 6), (2, 4), (1, 3), (2, 5)];
        let placement = place(7, &edges, &[0]);
        let side = |n: usize| placement.across[n].signum();
        assert_eq!(side(3), side(6), "3 and 6 both hang under node 1");
        assert_eq!(side(4), side(5), "4 and 5 both hang under node 2");
        assert_ne!(side(3), side(4));
    }

    #[test]
    fn bad_edges_and_no_roots_do_not_panic() {
        let placement = place(3, &[(0, 9), (2, 2), (1, 0)], &[]);
        assert_eq!(placement.layer.len(), 3);
        assert!(placement.layer.iter().all(|&l| l < placement.layers));
        assert_eq!(place(0, &[], &[7]).layers, 0);
    }
}
