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
//! - **Which sessions**: those the `ReportFilter` wants: of its tree, if it names one, and
//!   started within its times (`since` included, `until` not). A `DateRange` (all, the last
//!   so many days, or from one day to another, whole UTC days) makes such times for a host.
//!   Every figure below is made of these sessions alone; the others are only counted
//!   (`left_out`).
//! - **Sessions**: `started` = `finished` + `unfinished` + `wrong_script` + `unknown_version` +
//!   `unreadable`. `wrong_script` counts calls the agent ended as the wrong script (the host's
//!   `Ended` with that cause): they moved to another script, so they are no outcome of this
//!   tree, no drop-off and no call time.
//!   A session is *finished* when its log folds to an ending (the tree's `end`, an escalation
//!   from a step, the host's `Ended`, or a sub-tree run on its own returning). Sessions added
//!   without their version's project are `unknown_version`: only what the raw events say is
//!   counted for them (escalation and skip reasons, take-overs); with a project whose version
//!   differs they count the same way. A log the project refuses is `unreadable`.
//! - **Outcomes**: the final outcome after folding (`Back` and take-overs resolved). `abandoned`
//!   counts the tree's `end abandoned` and the host's `Ended`; `abandoned_by_host` is the
//!   latter alone, and `ended_early` splits it by the host's cause (`hung_up`, `dropped`,
//!   `other` — logs from before causes were kept count as `other`). `returned` is a sub-tree run on its own that finished with no outcome.
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
//!   out, and so is the node an unfinished session is still at. **Time per call**: first to
//!   last event of finished sessions. A session whose clock goes back at any point (an event
//!   earlier than the one before it), or whose first and last events are too far apart to
//!   subtract, gives no times at all: once its clock has jumped, none of its spans can be
//!   trusted (a jump back and forward again made a step last 56 years).
//! - **Paths**: the nodes of the final path without routing nodes, joined by ` > `.
//! - **Reasons**: every `Escalated` and `Skipped` event as written in the log, including ones
//!   later undone, since the caller heard them; counted for every session.
//! - **Feedback**: the final value of each `rating` (value → count) and `comment` field of
//!   the trees the session could run; a comment's time is that of the last answer to it.
//!
//! - **Version comparison** (`compare_versions`): two versions of a tree side by side, each
//!   with its started and finished sessions and its outcome counts (shares are of that
//!   side's finished sessions), and the steps the edit changed with their visits and
//!   drop-offs on each side, the step whose drop-off rate (drop-offs ÷ visits) moved most
//!   first. A step is changed when its block's canonical text without comments differs, or
//!   it exists in one version only; that needs both versions' projects, and without them
//!   every step either side visited is compared instead (`changes_known` is false).
//!
//! - **Tables** (`figure_tables`, `VersionComparison::tables`): each chart's data for
//!   export, steps by title with their ids beside them, times in milliseconds, shares as
//!   fractions; `Table::to_csv` writes RFC 4180 CSV (fields with commas, quotes, line breaks
//!   or outer spaces quoted, quotes doubled, CRLF line ends).
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
//!
//! The module is in layers: `data` (what a finished report holds), `tally` (the running
//! counts), `digest` (what one session contributes) and `counters` (the bounded-memory
//! counters the tallies use).

mod compare;
mod counters;
mod data;
mod digest;
mod range;
mod tables;
mod tally;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use compare::{
    ComparedVersion, OutcomeRow, StepChange, StepCounts, StepRow, VersionComparison,
    compare_versions,
};
pub use data::{
    Comment, Counted, DailyRating, Figures, LanguageFigures, NodeFigures, OutcomeMix, Rate,
    RatingCount, ReportData, SessionCounts, TimeSummary, TopList, TreeReport, VersionReport,
};
use digest::{Digest, Folded};
pub use range::{DAY, DateRange};
pub use tables::{Table, csv_field, drop_off_steps, figure_tables, slowest_steps};
use tally::{FigureTally, TreeTally, VersionTally};

use crate::project::Project;
use crate::session::{Event, Millis};

/// Which sessions a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilter {
    /// Only sessions of this tree (by name).
    pub tree: Option<String>,
    /// Only sessions started at or after this time.
    pub since: Option<Millis>,
    /// Only sessions started before this time.
    #[serde(default)]
    pub until: Option<Millis>,
    /// Only sessions shown in this language (their `Started` event's locale, compared
    /// without regard to case, `fr` taking `fr-CA` too); [`SOURCE_LANGUAGE`] for sessions in
    /// the trees' own words. Reports split by language are one report per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl ReportFilter {
    /// Whether a session of `tree` started at `at` is in the report's tree and dates. Every
    /// figure is made of these sessions alone (and of those in the filter's language).
    pub fn wants(&self, tree: &str, at: Millis) -> bool {
        self.tree.as_ref().is_none_or(|t| t == tree)
            && self.since.is_none_or(|since| at >= since)
            && self.until.is_none_or(|until| at < until)
    }
}

/// The [`ReportFilter::locale`] of sessions shown in the trees' own words.
pub const SOURCE_LANGUAGE: &str = "source";

/// Whether a session shown in `locale` (`None`: the trees' own words) is one `wanted` asks for.
fn in_language(wanted: Option<&str>, locale: Option<&str>) -> bool {
    match (wanted, locale) {
        (None, _) => true,
        (Some(wanted), None) => wanted.eq_ignore_ascii_case(SOURCE_LANGUAGE),
        (Some(wanted), Some(locale)) => {
            locale.eq_ignore_ascii_case(wanted)
                || locale
                    .split('-')
                    .next()
                    .is_some_and(|primary| primary.eq_ignore_ascii_case(wanted))
        }
    }
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
            given: _,
            locale,
        }) = events.first()
        else {
            self.not_sessions += 1;
            return;
        };
        let wanted = self.filter.wants(tree, *at)
            && in_language(
                self.filter.locale.as_deref(),
                locale.as_deref().map(String::as_str),
            );
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
        let language = locale.as_deref().map_or("", String::as_str);
        match tally.languages.get_mut(language) {
            Some(figures) => figures.add(&digest),
            None => tally
                .languages
                .entry(language.to_owned())
                .or_default()
                .add(&digest),
        }
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
                // The trees' own words ("") sort first.
                let languages = tally
                    .languages
                    .into_iter()
                    .map(|(locale, figures)| figures.finish(locale))
                    .collect();
                let report = TreeReport {
                    total: tally.total.finish(),
                    versions,
                    languages,
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
