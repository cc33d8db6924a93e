//! How many times each node was reached in one call, kept sparse: a call reaches a handful of
//! the project's nodes, so starting one must not cost a counter per node of the project.

use crate::model::NodeId;

/// Visit counts of the nodes reached so far, as `(node, count)` pairs sorted by node, with no
/// zero counts: two states that reached the same nodes equally often compare equal however
/// they got there (a step taken back leaves no zero behind).
///
/// A sorted vector rather than a map: a walk reaches few distinct nodes, so a binary search
/// over a few contiguous pairs beats hashing, and an empty one allocates nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visits {
    counts: Vec<(NodeId, u32)>,
}

impl Visits {
    /// How many times `node` was reached; 0 for a node never reached.
    pub fn get(&self, node: NodeId) -> u32 {
        match self.counts.binary_search_by_key(&node, |&(n, _)| n) {
            Ok(at) => self.counts[at].1,
            Err(_) => 0,
        }
    }

    /// The nodes reached, each with its count, in node order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, u32)> + '_ {
        self.counts.iter().copied()
    }

    /// How many distinct nodes were reached.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The bytes the counts hold, for a walk's memory budget.
    pub(crate) fn footprint(&self) -> usize {
        size_of_val(self.counts.as_slice())
    }

    pub(crate) fn add(&mut self, node: NodeId) {
        match self.counts.binary_search_by_key(&node, |&(n, _)| n) {
            Ok(at) => self.counts[at].1 = self.counts[at].1.saturating_add(1),
            Err(at) => self.counts.insert(at, (node, 1)),
        }
    }

    /// Takes one visit back; a count that reaches zero is removed.
    pub(crate) fn remove(&mut self, node: NodeId) {
        if let Ok(at) = self.counts.binary_search_by_key(&node, |&(n, _)| n) {
            if self.counts[at].1 <= 1 {
                self.counts.remove(at);
            } else {
                self.counts[at].1 -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adding and taking back in any order gives the counts of a dense counter, and taking
    /// every visit back leaves a value equal to a fresh one.
    #[test]
    fn matches_a_dense_counter() {
        let order = [5_usize, 1, 5, 9, 0, 1, 5, 3, 9, 9];
        let mut sparse = Visits::default();
        let mut dense = [0_u32; 10];
        for &i in &order {
            sparse.add(NodeId::from_index(i));
            dense[i] += 1;
            for (n, &count) in dense.iter().enumerate() {
                assert_eq!(sparse.get(NodeId::from_index(n)), count);
            }
        }
        assert_eq!(sparse.len(), 5);
        assert!(sparse.iter().map(|(n, _)| n).is_sorted());
        for &i in order.iter().rev() {
            sparse.remove(NodeId::from_index(i));
            dense[i] -= 1;
            for (n, &count) in dense.iter().enumerate() {
                assert_eq!(sparse.get(NodeId::from_index(n)), count);
            }
        }
        assert_eq!(sparse, Visits::default());
        assert!(sparse.is_empty());
    }
}
