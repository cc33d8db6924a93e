//! Counters that stay within a fixed amount of memory however many sessions are added: a
//! duration histogram with exact nearest-rank quantiles while few (log-scale buckets beyond),
//! Space-Saving counters for top lists, and the latest comments. Their error bounds are in the
//! module docs of `report`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use super::data::{Comment, Counted, TimeSummary, TopList};
use crate::session::Millis;

/// Comments kept per field.
const COMMENTS_KEPT: usize = 50;
/// Durations kept as they are, per node, before moving into the histogram.
const EXACT_DURATIONS: usize = 1_024;

/// Durations with exact quantiles while few, and a log-scale histogram beyond (module docs).
#[derive(Debug, Clone, Default)]
pub(super) struct Durations {
    count: u64,
    min: u64,
    max: u64,
    exact: Vec<u64>,
    /// Bucket index → count; empty until the exact list overflows.
    buckets: BTreeMap<u16, u64>,
}

/// Each power of two above 64 ms is split into 2^SUB_BITS buckets.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

impl Durations {
    pub(super) fn add(&mut self, ms: u64) {
        if self.count == 0 {
            self.min = ms;
            self.max = ms;
        } else {
            self.min = self.min.min(ms);
            self.max = self.max.max(ms);
        }
        self.count += 1;
        if self.buckets.is_empty() && self.exact.len() < EXACT_DURATIONS {
            self.exact.push(ms);
            return;
        }
        for kept in std::mem::take(&mut self.exact) {
            *self.buckets.entry(bucket(kept)).or_default() += 1;
        }
        *self.buckets.entry(bucket(ms)).or_default() += 1;
    }

    /// The nearest-rank quantile for `percent` (1 to 100).
    fn quantile(&self, percent: u64) -> u64 {
        let rank = (percent * self.count).div_ceil(100).max(1);
        if self.buckets.is_empty() {
            let mut sorted = self.exact.clone();
            sorted.sort_unstable();
            let at = usize::try_from(rank - 1).unwrap_or(usize::MAX);
            return sorted.get(at).copied().unwrap_or(self.max);
        }
        let mut seen = 0;
        for (&index, &count) in &self.buckets {
            seen += count;
            if seen >= rank {
                return middle(index).clamp(self.min, self.max);
            }
        }
        self.max
    }

    pub(super) fn summary(&self) -> Option<TimeSummary> {
        (self.count > 0).then(|| TimeSummary {
            count: self.count,
            min: self.min,
            median: self.quantile(50),
            p90: self.quantile(90),
            max: self.max,
            exact: self.buckets.is_empty(),
        })
    }
}

/// The histogram bucket of a duration: itself below 64, then 64 per power of two.
fn bucket(ms: u64) -> u16 {
    if ms < SUB {
        return ms as u16;
    }
    let shift = (63 - ms.leading_zeros()) - SUB_BITS;
    let mantissa = (ms >> shift) - SUB;
    // At most 64 + 57 × 64 + 63 = 3,775: fits.
    (SUB + u64::from(shift) * SUB + mantissa) as u16
}

/// The middle of a bucket: within 1/128 of any value in it.
fn middle(index: u16) -> u64 {
    let index = u64::from(index);
    if index < SUB {
        return index;
    }
    let shift = (index - SUB) / SUB;
    let mantissa = (index - SUB) % SUB;
    let lower = (SUB + mantissa) << shift;
    lower + ((1u64 << shift) - 1) / 2
}

/// Space-Saving counters: bounded memory, exact while distinct values fit (module docs).
#[derive(Debug, Clone)]
pub(super) struct TopCounter {
    capacity: usize,
    total: u64,
    counters: Vec<Counter>,
    by_value: HashMap<String, usize>,
    /// (count, counter) for finding the least counted in order; ties go to the oldest counter.
    by_count: BTreeSet<(u64, usize)>,
    exact: bool,
}

#[derive(Debug, Clone)]
struct Counter {
    value: String,
    count: u64,
    overcount: u64,
}

impl TopCounter {
    pub(super) fn new(capacity: usize) -> TopCounter {
        TopCounter {
            capacity,
            total: 0,
            counters: Vec::new(),
            by_value: HashMap::new(),
            by_count: BTreeSet::new(),
            exact: true,
        }
    }

    pub(super) fn add(&mut self, value: &str) {
        self.total += 1;
        if let Some(&slot) = self.by_value.get(value) {
            let counter = &mut self.counters[slot];
            self.by_count.remove(&(counter.count, slot));
            counter.count += 1;
            self.by_count.insert((counter.count, slot));
            return;
        }
        if self.counters.len() < self.capacity {
            let slot = self.counters.len();
            self.counters.push(Counter {
                value: value.to_owned(),
                count: 1,
                overcount: 0,
            });
            self.by_value.insert(value.to_owned(), slot);
            self.by_count.insert((1, slot));
            return;
        }
        let Some((least, slot)) = self.by_count.pop_first() else {
            return;
        };
        self.exact = false;
        let counter = &mut self.counters[slot];
        self.by_value.remove(&counter.value);
        counter.value = value.to_owned();
        counter.count = least + 1;
        counter.overcount = least;
        self.by_value.insert(value.to_owned(), slot);
        self.by_count.insert((least + 1, slot));
    }

    pub(super) fn top(&self, n: usize) -> TopList {
        let mut ranked: Vec<&Counter> = self.counters.iter().collect();
        ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let top: Vec<Counted> = ranked
            .into_iter()
            .take(n)
            .map(|c| Counted {
                value: c.value.clone(),
                count: c.count,
                overcount: c.overcount,
            })
            .collect();
        let listed: u64 = top.iter().map(|c| c.count).sum();
        TopList {
            top,
            total: self.total,
            others: self.total.saturating_sub(listed),
            exact: self.exact,
        }
    }
}

/// A kept comment: time, order added (breaks ties), text, session.
type KeptComment = (Millis, u64, String, Option<String>);

/// The latest comments of one field.
#[derive(Debug, Clone, Default)]
pub(super) struct LatestComments {
    /// Oldest on top, so it is the one dropped.
    heap: BinaryHeap<Reverse<KeptComment>>,
}

impl LatestComments {
    pub(super) fn push(&mut self, at: Millis, order: u64, text: &str, session: Option<&str>) {
        if self.heap.len() == COMMENTS_KEPT
            && self
                .heap
                .peek()
                .is_some_and(|Reverse(oldest)| (at, order) < (oldest.0, oldest.1))
        {
            return;
        }
        self.heap.push(Reverse((
            at,
            order,
            text.to_owned(),
            session.map(str::to_owned),
        )));
        if self.heap.len() > COMMENTS_KEPT {
            self.heap.pop();
        }
    }

    pub(super) fn newest_first(self) -> Vec<Comment> {
        // Sorting `Reverse` ascending puts the newest first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse((at, _, text, session))| Comment { session, at, text })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_their_bound() {
        let mut previous = 0;
        for ms in 0..200_000u64 {
            let index = bucket(ms);
            assert!(index >= previous, "buckets follow the durations");
            previous = index;
        }
        for ms in (0..200_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let index = bucket(ms);
            let shown = middle(index);
            let error = shown.abs_diff(ms) as f64 / ms.max(1) as f64;
            assert!(error <= 1.0 / 128.0, "{ms} shown as {shown}");
        }
        assert_eq!(bucket(63), 63);
        assert_eq!(bucket(64), 64);
        assert_eq!(bucket(127), 127);
        assert_eq!(bucket(128), 128);
        assert_eq!(bucket(129), 128);
    }

    #[test]
    fn many_durations_keep_the_rank_and_stay_close() {
        let mut durations = Durations::default();
        for ms in 1..=10_000u64 {
            durations.add(ms * 7);
        }
        let summary = durations.summary().unwrap();
        assert!(!summary.exact);
        assert_eq!((summary.min, summary.max), (7, 70_000));
        let close = |got: u64, want: u64| got.abs_diff(want) as f64 / want as f64 <= 1.0 / 128.0;
        assert!(close(summary.median, 35_000), "{}", summary.median);
        assert!(close(summary.p90, 63_000), "{}", summary.p90);
    }

    #[test]
    fn space_saving_keeps_a_heavy_hitter() {
        let mut counter = TopCounter::new(3);
        for i in 0..100 {
            counter.add("common");
            counter.add(&format!("rare {i}"));
        }
        let top = counter.top(1);
        assert!(!top.exact);
        assert_eq!(top.top[0].value, "common");
        assert_eq!(top.top[0].count - top.top[0].overcount, 100);
        assert_eq!(top.total, 200);
    }

    #[test]
    fn only_the_latest_comments_are_kept() {
        let mut latest = LatestComments::default();
        for i in 0..120 {
            latest.push(i % 60, u64::try_from(i).unwrap(), &i.to_string(), None);
        }
        let kept = latest.newest_first();
        assert_eq!(kept.len(), COMMENTS_KEPT);
        assert_eq!(kept[0].text, "119");
        assert_eq!(kept[0].at, 59);
        assert!(kept.iter().all(|c| c.at >= 35));
    }
}
