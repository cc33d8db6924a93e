//! Reports: what happened across many calls, per tree and per tree version, folded from the
//! event logs one session at a time.
//!
//! A host streams sessions in (`Report::add_session`, one session's events at a time, read
//! from files or SQLite), so nothing here holds more than one log; every figure is kept in
//! bounded memory and `Report::finish` turns them into plain data (`ReportData`, `Serialize`).
//! Every figure is kept twice: per version of a tree (the `Started` event's fingerprint), so
//! the effect of an edit can be compared, and for the tree over all its versions.
//!
//! # What is counted, precisely
//!
//! - **Sessions**: `started` = `finished` + `unfinished` + `unknown_version` + `unreadable`.
//!   A session is *finished* when its log folds to an ending (the tree's `end`, an escalation
//!   from a step, the host's `Ended`, or a sub-tree run on its own returning). Sessions added
//!   without their version's project are `unknown_version`: only what the raw events say is
//!   counted for them (escalation and skip reasons, take-overs); with a project whose version
//!   differs they count the same way. A log the project refuses is `unreadable`.
//! - **Outcomes**: the final outcome after folding (`Back` and take-overs resolved). `abandoned`
//!   counts the tree's `end abandoned` and the host's `Ended`; `abandoned_by_host` is the
//!   latter alone. `returned` is a sub-tree run on its own that finished with no outcome.
//!   Escalations with no team, and transfers with no queue, are counted under `(none)`.
//! - **First-contact resolution**: finished sessions whose final outcome is `resolved`, that
//!   never reached any other ending at any point of the log (an escalation, a callback, a
//!   transfer, an abandonment — even one later undone by `Back` or by a take-over) and were
//!   never taken over; divided by all finished sessions.
//! - **Self-service containment**: sessions started for the customer audience, finished,
//!   resolved and never taken over; divided by customer sessions that finished.
//! - **Drop-off per node**: where a session stopped without an outcome of the tree: the node
//!   an unfinished session is at, or the node the host ended it at (`Ended`).
//! - **Visits per node**: every arrival on the session's final path (routing nodes included),
//!   for a heat map. Nodes of sub-trees are named `subtree.node`.
//! - **Time per node**: from arriving at a node to the move that left it (the next arrival on
//!   the final path, or the ending for the last node). A detour undone with `Back` counts
//!   toward the node the call went back to. Routing and `end` nodes take no time and are left
//!   out, and so is the node an unfinished session is still at. Negative spans (clocks moved
//!   back) count as 0. **Time per call**: first to last event of finished sessions.
//! - **Paths**: the nodes of the final path without routing nodes, joined by ` > `.
//! - **Reasons**: every `Escalated` and `Skipped` event as written in the log, including ones
//!   later undone, since the caller heard them; counted for every session.
//! - **Feedback**: the final value of each `rating` (value → count) and `comment` field of
//!   the trees the session could run; a comment's time is that of the last answer to it.
//!
//! # Bounded memory, and the error it costs
//!
//! - **Quantiles** (median and p90) use the nearest-rank method: the value at rank
//!   ⌈q·n⌉ (1-based) of the sorted values, so always an observed value and the lower middle
//!   for an even count. Up to 1,024 values per node they are kept and the quantiles are exact.
//!   Beyond that they move into a histogram of log-scale buckets: exact below 64 ms, then 64
//!   buckets per power of two (integer arithmetic only, so it is deterministic everywhere and
//!   two histograms merge by adding counts). The rank is still exact; the value reported is
//!   the middle of its bucket, within 1/128 (< 0.8%) of the true quantile. At most 3,776
//!   buckets exist, and only occupied ones are stored.
//! - **Top lists** (paths, escalation and skip reasons) use Space-Saving with a fixed number
//!   of counters (10,000 paths, 1,000 reasons per list): while there are no more distinct
//!   values than counters every count is exact; beyond, the least counted value gives up its
//!   counter to the newcomer, which inherits that count. Any value seen more than
//!   total ÷ counters times is then certain to hold a counter (so a common path that first
//!   appears late is not lost), and each count overstates the true one by at most its
//!   `overcount`. `exact` says whether any counter was ever given up.
//! - **Comments**: the latest 50 per field (by time, then by the order sessions were added).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use calltree_syntax::Audience;
use serde::{Deserialize, Serialize};

use crate::error::SessionError;
use crate::model::{Exit, NodeId, OutcomeKind, TreeId, VariableKind};
use crate::project::Project;
use crate::session::{Event, Millis, Session, State};
use crate::value::Value;

/// How many entries the top lists show.
const TOP: usize = 10;
/// Counters kept for paths: distinct paths beyond this make the path counts approximate.
const PATH_COUNTERS: usize = 10_000;
/// Counters kept for each list of reasons.
const REASON_COUNTERS: usize = 1_000;
/// Comments kept per field.
const COMMENTS_KEPT: usize = 50;
/// Durations kept as they are, per node, before moving into the histogram.
const EXACT_DURATIONS: usize = 1_024;
/// The team or queue of an escalation or transfer that names none.
const NO_TEAM: &str = "(none)";

/// Which sessions a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilter {
    /// Only sessions of this tree (by name).
    pub tree: Option<String>,
    /// Only sessions started at or after this time.
    pub since: Option<Millis>,
}

/// A report being built, one session at a time.
#[derive(Debug, Clone)]
pub struct Report {
    filter: ReportFilter,
    trees: HashMap<String, TreeTally>,
    not_sessions: u64,
    left_out: u64,
    /// How many sessions were added so far: orders comments made at the same moment.
    added: u64,
}

impl Report {
    pub fn new(filter: ReportFilter) -> Report {
        Report {
            filter,
            trees: HashMap::new(),
            not_sessions: 0,
            left_out: 0,
            added: 0,
        }
    }

    /// Adds one session. `project` is the project of the session's version, if the host has
    /// it; without it only what the raw events say is counted (see the module docs).
    pub fn add_session(&mut self, project: Option<&Project>, events: &[Event]) {
        self.add(None, project, events);
    }

    /// Adds one session with the host's id for it, which comments are listed with.
    pub fn add_session_with_id(&mut self, id: &str, project: Option<&Project>, events: &[Event]) {
        self.add(Some(id), project, events);
    }

    fn add(&mut self, id: Option<&str>, project: Option<&Project>, events: &[Event]) {
        let Some(Event::Started {
            tree,
            version,
            audience,
            at,
        }) = events.first()
        else {
            self.not_sessions += 1;
            return;
        };
        let wanted = self.filter.tree.as_ref().is_none_or(|t| t == tree)
            && self.filter.since.is_none_or(|since| *at >= since);
        if !wanted {
            self.left_out += 1;
            return;
        }
        self.added += 1;
        let digest = Digest::of(project, events, *audience);
        let label = match (&digest.folded, project) {
            (Folded::Known(_), Some(project)) => project
                .tree_by_name(tree)
                .and_then(|t| project.tree(t).version.clone()),
            _ => None,
        };
        let order = self.added;
        let tally = self.trees.entry(tree.clone()).or_default();
        tally.total.add(&digest, id, order);
        let version_tally = match tally.versions.get_mut(version) {
            Some(existing) => existing,
            None => tally
                .versions
                .entry(version.clone())
                .or_insert_with(|| VersionTally {
                    label: None,
                    known: false,
                    first_started: *at,
                    last_started: *at,
                    figures: FigureTally::default(),
                }),
        };
        version_tally.first_started = version_tally.first_started.min(*at);
        version_tally.last_started = version_tally.last_started.max(*at);
        if matches!(digest.folded, Folded::Known(_)) {
            version_tally.known = true;
        }
        if version_tally.label.is_none() {
            version_tally.label = label;
        }
        version_tally.figures.add(&digest, id, order);
    }

    /// The figures, ready to serialise.
    pub fn finish(self) -> ReportData {
        let trees = self
            .trees
            .into_iter()
            .map(|(name, tally)| {
                let mut versions: Vec<VersionReport> = tally
                    .versions
                    .into_iter()
                    .map(|(version, v)| VersionReport {
                        version,
                        label: v.label,
                        known: v.known,
                        first_started: v.first_started,
                        last_started: v.last_started,
                        figures: v.figures.finish(),
                    })
                    .collect();
                // Oldest version first, so an edit reads as the row after the one it changed.
                versions.sort_by(|a, b| {
                    (a.first_started, &a.version).cmp(&(b.first_started, &b.version))
                });
                let report = TreeReport {
                    total: tally.total.finish(),
                    versions,
                };
                (name, report)
            })
            .collect();
        ReportData {
            filter: self.filter,
            trees,
            not_sessions: self.not_sessions,
            left_out: self.left_out,
        }
    }
}

/// A finished report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    pub filter: ReportFilter,
    /// By tree name.
    pub trees: BTreeMap<String, TreeReport>,
    /// Logs that did not begin with a `started` event, so belong to no tree.
    pub not_sessions: u64,
    /// Sessions the filter left out.
    pub left_out: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeReport {
    /// Every version together.
    pub total: Figures,
    /// Each version, the one first seen earliest first.
    pub versions: Vec<VersionReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionReport {
    /// The fingerprint sessions are pinned to (`Started.version`).
    pub version: String,
    /// The tree's own `version:` line, when the project of this version was given.
    pub label: Option<String>,
    /// Whether any session of this version was folded with its project.
    pub known: bool,
    pub first_started: Millis,
    pub last_started: Millis,
    pub figures: Figures,
}

/// Every figure, for one version of a tree or for all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub sessions: SessionCounts,
    pub outcomes: OutcomeMix,
    pub first_contact_resolution: Rate,
    pub containment: Rate,
    /// Sessions an agent took over.
    pub taken_over: u64,
    /// First to last event of finished sessions, in milliseconds.
    pub call_time: Option<TimeSummary>,
    /// Visits, drop-offs and time, by node name (`subtree.node` for nodes of sub-trees).
    pub nodes: BTreeMap<String, NodeFigures>,
    pub paths: TopList,
    pub escalation_reasons: TopList,
    pub skip_reasons: TopList,
    /// By rating field, each value given and how often, lowest value first.
    pub ratings: BTreeMap<String, Vec<RatingCount>>,
    /// By comment field, the latest comments, newest first.
    pub comments: BTreeMap<String, Vec<Comment>>,
    /// By rating field, the average rating of the sessions started on each day (UTC), to
    /// see whether an edit moved satisfaction. One entry per day with ratings.
    pub ratings_by_day: BTreeMap<String, Vec<DailyRating>>,
}

/// A duration as reports show it: `41.0s` under a minute, `1m43s` from a minute on.
pub fn show_duration(millis: u64) -> String {
    if millis >= 60_000 {
        format!("{}m{:02}s", millis / 60_000, (millis / 1000) % 60)
    } else {
        format!("{:.1}s", millis as f64 / 1000.0)
    }
}

/// The ratings given in sessions started on one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DailyRating {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub average: f64,
    pub count: u64,
}

const DAY: Millis = 86_400_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionCounts {
    pub started: u64,
    pub finished: u64,
    pub unfinished: u64,
    /// Added without the project of their version.
    pub unknown_version: u64,
    /// Refused by their version's project (a log that does not replay).
    pub unreadable: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeMix {
    pub resolved: u64,
    pub escalated: u64,
    /// Escalations by team.
    pub escalated_to: BTreeMap<String, u64>,
    pub callback: u64,
    pub transferred: u64,
    /// Transfers by queue.
    pub transferred_to: BTreeMap<String, u64>,
    /// The tree's `end abandoned` and the host's `Ended` together.
    pub abandoned: u64,
    /// The host's `Ended` alone (the caller hung up, the page was closed).
    pub abandoned_by_host: u64,
    /// A sub-tree run on its own that returned, with no outcome.
    pub returned: u64,
}

/// `count` out of `of`; `rate` is `None` when `of` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub count: u64,
    pub of: u64,
    pub rate: Option<f64>,
}

impl Rate {
    fn new(count: u64, of: u64) -> Rate {
        Rate {
            count,
            of,
            rate: (of > 0).then(|| count as f64 / of as f64),
        }
    }
}

/// Durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeSummary {
    pub count: u64,
    pub min: u64,
    pub median: u64,
    pub p90: u64,
    pub max: u64,
    /// Whether the quantiles are exact (see the module docs for the bound when they are not).
    pub exact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeFigures {
    pub visits: u64,
    pub drop_offs: u64,
    /// `None` for nodes that take no time (routing, `end`) or were never left.
    pub time: Option<TimeSummary>,
}

/// The most common values of a list, most common first (ties by value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TopList {
    pub top: Vec<Counted>,
    /// Everything counted.
    pub total: u64,
    /// Counted but not in `top` (`total` minus the counts listed).
    pub others: u64,
    /// Whether every count is exact (no counter was ever given up).
    pub exact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    pub value: String,
    pub count: u64,
    /// `count` overstates the true count by at most this (0 while the list is exact).
    pub overcount: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatingCount {
    pub value: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// The host's id for the session, when it gave one.
    pub session: Option<String>,
    pub at: Millis,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
struct TreeTally {
    total: FigureTally,
    versions: HashMap<String, VersionTally>,
}

#[derive(Debug, Clone)]
struct VersionTally {
    label: Option<String>,
    known: bool,
    first_started: Millis,
    last_started: Millis,
    figures: FigureTally,
}

/// The running counts behind `Figures`.
#[derive(Debug, Clone)]
struct FigureTally {
    sessions: SessionCounts,
    outcomes: OutcomeMix,
    first_contact: u64,
    customer_finished: u64,
    contained: u64,
    taken_over: u64,
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
            sessions: SessionCounts::default(),
            outcomes: OutcomeMix::default(),
            first_contact: 0,
            customer_finished: 0,
            contained: 0,
            taken_over: 0,
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
    fn add(&mut self, digest: &Digest<'_>, id: Option<&str>, order: u64) {
        self.sessions.started += 1;
        if digest.taken_over {
            self.taken_over += 1;
        }
        for reason in &digest.escalation_reasons {
            self.escalation_reasons.add(reason);
        }
        for reason in &digest.skip_reasons {
            self.skip_reasons.add(reason);
        }
        let known = match &digest.folded {
            Folded::UnknownVersion => {
                self.sessions.unknown_version += 1;
                return;
            }
            Folded::Unreadable => {
                self.sessions.unreadable += 1;
                return;
            }
            Folded::Known(known) => known,
        };
        match &known.ending {
            None => self.sessions.unfinished += 1,
            Some(ending) => {
                self.sessions.finished += 1;
                self.count_outcome(ending);
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
                .push(*at, order, text, id);
        }
    }

    fn count_outcome(&mut self, ending: &EndDigest) {
        let outcomes = &mut self.outcomes;
        let team = || ending.to.clone().unwrap_or_else(|| NO_TEAM.to_owned());
        match ending.kind {
            None => outcomes.returned += 1,
            Some(OutcomeKind::Resolved) => outcomes.resolved += 1,
            Some(OutcomeKind::Escalated) => {
                outcomes.escalated += 1;
                *outcomes.escalated_to.entry(team()).or_default() += 1;
            }
            Some(OutcomeKind::Callback) => outcomes.callback += 1,
            Some(OutcomeKind::Transferred) => {
                outcomes.transferred += 1;
                *outcomes.transferred_to.entry(team()).or_default() += 1;
            }
            Some(OutcomeKind::Abandoned) => {
                outcomes.abandoned += 1;
                if ending.by_host {
                    outcomes.abandoned_by_host += 1;
                }
            }
        }
    }

    fn finish(self) -> Figures {
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
            first_contact_resolution: Rate::new(self.first_contact, self.sessions.finished),
            containment: Rate::new(self.contained, self.customer_finished),
            sessions: self.sessions,
            outcomes: self.outcomes,
            taken_over: self.taken_over,
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

/// What one session contributes, worked out once and added to its version and its tree.
struct Digest<'e> {
    customer: bool,
    taken_over: bool,
    escalation_reasons: Vec<&'e str>,
    skip_reasons: Vec<&'e str>,
    folded: Folded,
}

enum Folded {
    UnknownVersion,
    Unreadable,
    Known(Box<Known>),
}

/// What only folding the session with its project tells.
struct Known {
    ending: Option<EndDigest>,
    first_contact: bool,
    contained: bool,
    call_time: Option<u64>,
    nodes: Vec<NodeDigest>,
    path: String,
    ratings: Vec<(String, f64)>,
    /// Field, text, time.
    comments: Vec<(String, String, Millis)>,
    /// The day (UTC) the session started, for ratings over time.
    day: i64,
}

struct EndDigest {
    kind: Option<OutcomeKind>,
    to: Option<String>,
    by_host: bool,
}

struct NodeDigest {
    key: String,
    visits: u64,
    drop_off: bool,
    times: Vec<u64>,
}

impl<'e> Digest<'e> {
    fn of(project: Option<&Project>, events: &'e [Event], audience: Audience) -> Digest<'e> {
        let mut digest = Digest {
            customer: audience == Audience::Customer,
            taken_over: false,
            escalation_reasons: Vec::new(),
            skip_reasons: Vec::new(),
            folded: Folded::UnknownVersion,
        };
        for event in events {
            match event {
                Event::Escalated { reason, .. } => digest.escalation_reasons.push(reason),
                Event::Skipped { reason, .. } => digest.skip_reasons.push(reason),
                Event::TakenOver { .. } => digest.taken_over = true,
                _ => {}
            }
        }
        if let Some(project) = project {
            digest.folded = match fold(project, events) {
                Ok((session, other_ending)) => Folded::Known(Box::new(known(
                    &session,
                    events,
                    other_ending,
                    digest.customer,
                    digest.taken_over,
                ))),
                Err(SessionError::UnknownTree(_) | SessionError::VersionMismatch { .. }) => {
                    Folded::UnknownVersion
                }
                Err(_) => Folded::Unreadable,
            };
        }
        digest
    }
}

/// Folds a log event by event, noting whether it ever reached an ending other than
/// `resolved` on the way (an ending later undone leaves no trace in the final state).
fn fold<'p>(
    project: &'p Project,
    events: &[Event],
) -> Result<(Session<&'p Project>, bool), SessionError> {
    let (first, rest) = events.split_first().ok_or(SessionError::NotStarted)?;
    let mut session = Session::resume(project, vec![first.clone()])?;
    let mut other_ending = false;
    for event in rest {
        session.apply(event.clone())?;
        if let Some(ending) = &session.state().ending
            && ending.outcome.as_ref().map(|o| o.kind) != Some(OutcomeKind::Resolved)
        {
            other_ending = true;
        }
    }
    Ok((session, other_ending))
}

fn known(
    session: &Session<&Project>,
    events: &[Event],
    other_ending: bool,
    customer: bool,
    taken_over: bool,
) -> Known {
    let project = session.project();
    let state = session.state();
    let ending = state.ending.as_ref().map(|ending| EndDigest {
        kind: ending.outcome.as_ref().map(|o| o.kind),
        to: ending.outcome.as_ref().and_then(|o| o.to.clone()),
        // The tree's own `end abandoned` gives no reason; the host's `Ended` always does.
        by_host: ending.reason.is_some()
            && ending.outcome.as_ref().map(|o| o.kind) == Some(OutcomeKind::Abandoned),
    });
    let resolved = ending
        .as_ref()
        .is_some_and(|e| e.kind == Some(OutcomeKind::Resolved));
    let first_contact = resolved && !other_ending && !taken_over;
    let contained = customer && resolved && !taken_over;
    let call_time = match (&ending, events.first(), events.last()) {
        (Some(_), Some(first), Some(last)) => Some(span(first.at(), last.at())),
        _ => None,
    };
    let dropped_at = match (&state.ending, &ending) {
        (None, _) => Some(state.node),
        (Some(end), Some(digest)) if digest.by_host => Some(end.node),
        _ => None,
    };

    let mut nodes: Vec<NodeDigest> = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    let mut path = String::new();
    for (position, visit) in state.path.iter().enumerate() {
        let slot = *index.entry(visit.node).or_insert_with(|| {
            nodes.push(NodeDigest {
                key: node_key(project, state.tree, visit.node),
                visits: 0,
                drop_off: false,
                times: Vec::new(),
            });
            nodes.len() - 1
        });
        let digest = &mut nodes[slot];
        digest.visits += 1;
        let node = project.node(visit.node);
        if node.is_routing() {
            continue;
        }
        if !path.is_empty() {
            path.push_str(" > ");
        }
        path.push_str(&digest.key);
        if matches!(node.exit, Exit::End(_)) {
            continue;
        }
        let left_at = match state.path.get(position + 1) {
            Some(next) => Some(next.at),
            None => state.ending.as_ref().map(|e| e.at),
        };
        if let Some(left_at) = left_at {
            digest.times.push(span(visit.at, left_at));
        }
    }
    if let Some(node) = dropped_at {
        match index.get(&node) {
            Some(&slot) => nodes[slot].drop_off = true,
            None => nodes.push(NodeDigest {
                key: node_key(project, state.tree, node),
                visits: 0,
                drop_off: true,
                times: Vec::new(),
            }),
        }
    }
    let (ratings, comments) = feedback(project, state, events);
    let day = state.started_at.div_euclid(DAY);
    Known {
        day,
        ending,
        first_contact,
        contained,
        call_time,
        nodes,
        path,
        ratings,
        comments,
    }
}

/// Milliseconds from `from` to `to`, 0 if the clock went back.
fn span(from: Millis, to: Millis) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

/// A node's name in the reports of the session's root tree.
fn node_key(project: &Project, root: TreeId, node: NodeId) -> String {
    let node = project.node(node);
    if node.tree == root {
        node.name.clone()
    } else {
        format!("{}.{}", project.tree(node.tree).name, node.name)
    }
}

type Feedback = (Vec<(String, f64)>, Vec<(String, String, Millis)>);

/// The ratings and comments a session ends with, from every tree it could run.
fn feedback(project: &Project, state: &State, events: &[Event]) -> Feedback {
    let mut ratings = Vec::new();
    let mut comments = Vec::new();
    let mut seen = BTreeSet::new();
    for tree in project.call_closure(state.tree) {
        for variable in &project.tree(tree).variables {
            // Trees that share a name share the slot: count its value once.
            if !matches!(variable.kind, VariableKind::Rating | VariableKind::Comment)
                || !seen.insert(variable.slot)
            {
                continue;
            }
            match &state.values[variable.slot.index()] {
                Value::Number(n) if variable.kind == VariableKind::Rating => {
                    ratings.push((variable.name.clone(), *n));
                }
                Value::Text(text) if variable.kind == VariableKind::Comment => {
                    let at = events
                        .iter()
                        .rev()
                        .find_map(|e| match e {
                            Event::Answered { field, at, .. } if *field == variable.name => {
                                Some(*at)
                            }
                            _ => None,
                        })
                        .unwrap_or(state.last_at);
                    comments.push((variable.name.clone(), text.clone(), at));
                }
                _ => {}
            }
        }
    }
    (ratings, comments)
}

/// Durations with exact quantiles while few, and a log-scale histogram beyond (module docs).
#[derive(Debug, Clone, Default)]
struct Durations {
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
    fn add(&mut self, ms: u64) {
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

    fn summary(&self) -> Option<TimeSummary> {
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
struct TopCounter {
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
    fn new(capacity: usize) -> TopCounter {
        TopCounter {
            capacity,
            total: 0,
            counters: Vec::new(),
            by_value: HashMap::new(),
            by_count: BTreeSet::new(),
            exact: true,
        }
    }

    fn add(&mut self, value: &str) {
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

    fn top(&self, n: usize) -> TopList {
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
struct LatestComments {
    /// Oldest on top, so it is the one dropped.
    heap: BinaryHeap<Reverse<KeptComment>>,
}

impl LatestComments {
    fn push(&mut self, at: Millis, order: u64, text: &str, session: Option<&str>) {
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

    fn newest_first(self) -> Vec<Comment> {
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
