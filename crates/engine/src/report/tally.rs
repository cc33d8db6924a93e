//! The running tallies of a report: per tree, per version of a tree, and the figures each
//! keeps, added to one session's digest at a time and turned into `Figures` at the end.

use std::collections::{BTreeMap, HashMap};

use super::counters::{Durations, LatestComments, TopCounter};
use super::data::{
    DailyRating, Figures, LanguageFigures, NodeFigures, OutcomeMix, Rate, RatingCount,
    SessionCounts,
};
use super::digest::{Digest, EndDigest, Folded, Known};
use crate::model::OutcomeKind;
use crate::session::Millis;
use crate::show::show_line;

/// How many entries the top lists show.
const TOP: usize = 10;
/// Counters kept for paths: distinct paths beyond this make the path counts approximate.
const PATH_COUNTERS: usize = 10_000;
/// Counters kept for each list of reasons.
const REASON_COUNTERS: usize = 1_000;
/// The team or queue of an escalation or transfer that names none.
const NO_TEAM: &str = "(none)";

#[derive(Debug, Clone, Default)]
pub(super) struct TreeTally {
    pub(super) total: FigureTally,
    pub(super) versions: HashMap<String, VersionTally>,
    /// By the language sessions were shown in (`""`: the tree's own words).
    pub(super) languages: BTreeMap<String, LanguageTally>,
}

/// The outcome counts of a set of sessions: what every figure has, the whole tree's, a
/// version's and a language's alike, counted by one rule.
#[derive(Debug, Clone, Default)]
struct OutcomeTally {
    sessions: SessionCounts,
    outcomes: OutcomeMix,
    first_contact: u64,
    customer_finished: u64,
    contained: u64,
    taken_over: u64,
}

impl OutcomeTally {
    /// Counts one session; what its events say beyond its counts, if its version was known.
    fn add<'d>(&mut self, digest: &'d Digest<'_>) -> Option<&'d Known> {
        self.sessions.started += 1;
        if digest.taken_over {
            self.taken_over += 1;
        }
        let known = match &digest.folded {
            Folded::UnknownVersion => {
                self.sessions.unknown_version += 1;
                return None;
            }
            Folded::Unreadable => {
                self.sessions.unreadable += 1;
                return None;
            }
            Folded::Known(known) => known,
        };
        match &known.ending {
            None => self.sessions.unfinished += 1,
            Some(ending) if ending.wrong_script() => self.sessions.wrong_script += 1,
            Some(ending) => {
                self.sessions.finished += 1;
                count_outcome(&mut self.outcomes, ending);
                if digest.customer {
                    self.customer_finished += 1;
                }
            }
        }
        if known.first_contact {
            self.first_contact += 1;
        }
        if known.contained {
            self.contained += 1;
        }
        Some(known)
    }

    fn first_contact_resolution(&self) -> Rate {
        Rate::new(self.first_contact, self.sessions.finished)
    }

    fn containment(&self) -> Rate {
        Rate::new(self.contained, self.customer_finished)
    }
}

/// The outcome counts of the sessions shown in one language: what a split by language
/// compares. Paths, steps and comments stay in the whole tree's figures.
#[derive(Debug, Clone, Default)]
pub(super) struct LanguageTally {
    counts: OutcomeTally,
}

impl LanguageTally {
    pub(super) fn add(&mut self, digest: &Digest<'_>) {
        self.counts.add(digest);
    }

    pub(super) fn finish(self, locale: String) -> LanguageFigures {
        let counts = self.counts;
        LanguageFigures {
            locale: (!locale.is_empty()).then_some(locale),
            first_contact_resolution: counts.first_contact_resolution(),
            containment: counts.containment(),
            sessions: counts.sessions,
            outcomes: counts.outcomes,
            taken_over: counts.taken_over,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct VersionTally {
    pub(super) label: Option<String>,
    pub(super) known: bool,
    pub(super) first_started: Millis,
    pub(super) last_started: Millis,
    pub(super) figures: FigureTally,
}

/// The running counts behind `Figures`.
#[derive(Debug, Clone)]
pub(super) struct FigureTally {
    counts: OutcomeTally,
    call_time: Durations,
    nodes: HashMap<String, NodeTally>,
    paths: TopCounter,
    escalation_reasons: TopCounter,
    skip_reasons: TopCounter,
    ratings: BTreeMap<String, Vec<(f64, u64)>>,
    comments: BTreeMap<String, LatestComments>,
    /// By rating field and day: the sum and the number of ratings.
    rating_days: BTreeMap<String, BTreeMap<i64, (f64, u64)>>,
}

impl Default for FigureTally {
    fn default() -> Self {
        FigureTally {
            counts: OutcomeTally::default(),
            call_time: Durations::default(),
            nodes: HashMap::new(),
            paths: TopCounter::new(PATH_COUNTERS),
            escalation_reasons: TopCounter::new(REASON_COUNTERS),
            skip_reasons: TopCounter::new(REASON_COUNTERS),
            ratings: BTreeMap::new(),
            comments: BTreeMap::new(),
            rating_days: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct NodeTally {
    visits: u64,
    drop_offs: u64,
    time: Durations,
}

impl FigureTally {
    pub(super) fn add(&mut self, digest: &Digest<'_>, id: Option<&str>, order: u64) {
        let known = self.counts.add(digest);
        // Reasons and comments are what people typed: a report shows them on one line with
        // hidden characters named, in the text, the CSV and the JSON alike.
        for reason in &digest.escalation_reasons {
            self.escalation_reasons.add(&show_line(reason));
        }
        for reason in &digest.skip_reasons {
            self.skip_reasons.add(&show_line(reason));
        }
        let Some(known) = known else {
            return;
        };
        if let Some(ms) = known.call_time {
            self.call_time.add(ms);
        }
        for node in &known.nodes {
            let tally = match self.nodes.get_mut(&node.key) {
                Some(tally) => tally,
                None => self.nodes.entry(node.key.clone()).or_default(),
            };
            tally.visits += node.visits;
            if node.drop_off {
                tally.drop_offs += 1;
            }
            for &ms in &node.times {
                tally.time.add(ms);
            }
        }
        self.paths.add(&known.path);
        for (field, value) in &known.ratings {
            let counts = match self.ratings.get_mut(field) {
                Some(counts) => counts,
                None => self.ratings.entry(field.clone()).or_default(),
            };
            match counts.iter_mut().find(|(v, _)| v.total_cmp(value).is_eq()) {
                Some((_, count)) => *count += 1,
                None => counts.push((*value, 1)),
            }
            let day = self
                .rating_days
                .entry(field.clone())
                .or_default()
                .entry(known.day)
                .or_insert((0.0, 0));
            day.0 += value;
            day.1 += 1;
        }
        for (field, text, at) in &known.comments {
            self.comments
                .entry(field.clone())
                .or_default()
                .push(*at, order, &show_line(text), id);
        }
    }

    pub(super) fn finish(self) -> Figures {
        let nodes = self
            .nodes
            .into_iter()
            .map(|(key, tally)| {
                let figures = NodeFigures {
                    visits: tally.visits,
                    drop_offs: tally.drop_offs,
                    time: tally.time.summary(),
                };
                (key, figures)
            })
            .collect();
        let ratings = self
            .ratings
            .into_iter()
            .map(|(field, mut counts)| {
                counts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let counts = counts
                    .into_iter()
                    .map(|(value, count)| RatingCount { value, count })
                    .collect();
                (field, counts)
            })
            .collect();
        let comments = self
            .comments
            .into_iter()
            .map(|(field, latest)| (field, latest.newest_first()))
            .collect();
        let ratings_by_day = self
            .rating_days
            .into_iter()
            .map(|(field, days)| {
                let days = days
                    .into_iter()
                    .map(|(day, (sum, count))| DailyRating {
                        day,
                        average: sum / count as f64,
                        count,
                    })
                    .collect();
                (field, days)
            })
            .collect();
        Figures {
            first_contact_resolution: self.counts.first_contact_resolution(),
            containment: self.counts.containment(),
            sessions: self.counts.sessions,
            outcomes: self.counts.outcomes,
            taken_over: self.counts.taken_over,
            call_time: self.call_time.summary(),
            nodes,
            paths: self.paths.top(TOP),
            escalation_reasons: self.escalation_reasons.top(TOP),
            skip_reasons: self.skip_reasons.top(TOP),
            ratings,
            comments,
            ratings_by_day,
        }
    }
}

/// Counts one finished session's ending into `outcomes`.
fn count_outcome(outcomes: &mut OutcomeMix, ending: &EndDigest) {
    let team = || ending.to.clone().unwrap_or_else(|| NO_TEAM.to_owned());
    if let Some(result) = &ending.result {
        *outcomes.results.entry(result.clone()).or_default() += 1;
    }
    match ending.kind {
        None => outcomes.returned += 1,
        Some(OutcomeKind::Resolved) => outcomes.resolved += 1,
        Some(OutcomeKind::Escalated) => {
            outcomes.escalated += 1;
            *outcomes.escalated_to.entry(team()).or_default() += 1;
        }
        Some(OutcomeKind::Callback) => outcomes.callback += 1,
        Some(OutcomeKind::Referred) => {
            outcomes.referred += 1;
            *outcomes.referred_to.entry(team()).or_default() += 1;
        }
        Some(OutcomeKind::Transferred) => {
            outcomes.transferred += 1;
            *outcomes.transferred_to.entry(team()).or_default() += 1;
        }
        Some(OutcomeKind::Abandoned) => {
            outcomes.abandoned += 1;
            if ending.by_host {
                outcomes.abandoned_by_host += 1;
                let cause = ending.cause.unwrap_or_default();
                *outcomes
                    .ended_early
                    .entry(cause.name().to_owned())
                    .or_default() += 1;
            }
        }
    }
}
