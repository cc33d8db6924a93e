//! How many times each node was reached in one call, kept sparse: a call reaches a handful of
//! the project's nodes, so starting one must not cost a counter per node of the project.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::NodeId;

/// Visit counts of the nodes reached so far, with no zero counts: two states that reached the
/// same nodes equally often compare equal however they got there (a step taken back leaves
/// no zero behind).
///
/// A map rather than a sorted vector of pairs: both allocate nothing when empty, but a long
/// walk reaches hundreds of distinct nodes, and inserting into the middle of a sorted vector
/// then made 1,000-step walks slower than the dense counter had been (measured; see
/// docs/performance.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visits {
    counts: HashMap<NodeId, u32, BuildHasherDefault<IdHasher>>,
}

/// How many nodes the counts make room for on the first visit.
const FIRST_ROOM: usize = 16;

/// Node ids are small dense integers chosen by the engine, not by a user, so one
/// multiplication spreads them well enough; SipHash's resistance to chosen keys buys nothing
/// here and costs most of a lookup.
#[derive(Debug, Clone, Copy, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Visits {
    /// How many times `node` was reached; 0 for a node never reached.
    pub fn get(&self, node: NodeId) -> u32 {
        self.counts.get(&node).copied().unwrap_or(0)
    }

    /// How many distinct nodes were reached.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Roughly the bytes the counts hold, for a walk's memory budget.
    pub(crate) fn footprint(&self) -> usize {
        self.counts.capacity() * (size_of::<(NodeId, u32)>() + 1)
    }

    pub(crate) fn add(&mut self, node: NodeId) {
        if self.counts.capacity() == 0 {
            // Room for a short call's nodes at once: growing from nothing rehashed at 4, 8
            // and 16 nodes, which was a tenth of a 16-step walk.
            self.counts.reserve(FIRST_ROOM);
        }
        let count = self.counts.entry(node).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// Takes one visit back; a count that reaches zero is removed.
    pub(crate) fn remove(&mut self, node: NodeId) {
        if let Some(count) = self.counts.get_mut(&node) {
            if *count <= 1 {
                self.counts.remove(&node);
            } else {
                *count -= 1;
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
