//! What a finished report holds: plain data, `Serialize`, for hosts to show or store. Every
//! figure here is defined in the module docs of `report`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ReportFilter;
use crate::session::Millis;

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
    /// The outcomes split by the language sessions were shown in, the trees' own words
    /// first; one entry when every session was in the same language.
    pub languages: Vec<LanguageFigures>,
}

/// The sessions of a tree shown in one language, and how they ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageFigures {
    /// The `Started` event's locale; `None` for the trees' own words.
    pub locale: Option<String>,
    pub sessions: SessionCounts,
    pub outcomes: OutcomeMix,
    pub first_contact_resolution: Rate,
    pub containment: Rate,
    pub taken_over: u64,
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

/// The ratings given in sessions started on one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DailyRating {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub average: f64,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionCounts {
    pub started: u64,
    pub finished: u64,
    pub unfinished: u64,
    /// Added without the project of their version.
    pub unknown_version: u64,
    /// Refused by their version's project (a log that does not replay).
    pub unreadable: u64,
    /// Ended by the agent as the wrong script (they went on with another one): neither
    /// finished nor unfinished, and no outcome of this tree.
    pub wrong_script: u64,
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
    /// Sent on to another provider or service.
    pub referred: u64,
    /// Referrals by service.
    pub referred_to: BTreeMap<String, u64>,
    /// Endings by their author-named result (`result "Urgent (orange)"`), whatever their kind.
    pub results: BTreeMap<String, u64>,
    /// The tree's `end abandoned` and the host's `Ended` together.
    pub abandoned: u64,
    /// The host's `Ended` alone (the caller hung up, the page was closed).
    pub abandoned_by_host: u64,
    /// The host's `Ended` by cause (`hung_up`, `dropped`, `other`): what `abandoned_by_host`
    /// is made of.
    pub ended_early: BTreeMap<String, u64>,
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
    pub(super) fn new(count: u64, of: u64) -> Rate {
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
