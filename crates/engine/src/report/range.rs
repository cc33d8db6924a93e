//! Which days a report covers: every figure of a report is made only of the sessions that
//! started within its range, so a team lead can look at last week alone, or at the month
//! before an edit. Days are UTC days, as the report's daily ratings are.

use serde::{Deserialize, Serialize};

use super::ReportFilter;
use crate::session::Millis;
use crate::value::Date;

/// One day in milliseconds.
pub const DAY: Millis = 86_400_000;

/// The days a report covers, as a host offers them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateRange {
    /// Every session, whenever it started.
    #[default]
    All,
    /// Today and the days before it, this many days in all (at least today).
    LastDays(u32),
    /// From the first day to the last, both whole days; an end left out is open.
    Between {
        from: Option<Date>,
        to: Option<Date>,
    },
}

impl DateRange {
    /// The first moment a session may start at, and the moment before which it must start,
    /// at `now`.
    pub fn bounds(self, now: Millis) -> (Option<Millis>, Option<Millis>) {
        match self {
            DateRange::All => (None, None),
            DateRange::LastDays(days) => {
                let today = now.div_euclid(DAY);
                let first = today - i64::from(days.max(1)) + 1;
                (Some(first.saturating_mul(DAY)), None)
            }
            DateRange::Between { from, to } => (
                from.map(|d| d.days_since_epoch().saturating_mul(DAY)),
                to.map(|d| (d.days_since_epoch() + 1).saturating_mul(DAY)),
            ),
        }
    }

    /// A filter for this range (and a tree, if given) at `now`, in every language.
    pub fn filter(self, tree: Option<String>, now: Millis) -> ReportFilter {
        let (since, until) = self.bounds(now);
        ReportFilter {
            tree,
            since,
            until,
            locale: None,
        }
    }

    /// Whether no session can be in the range (it ends before it begins).
    pub fn is_empty(self) -> bool {
        matches!(self, DateRange::Between { from: Some(from), to: Some(to) } if from > to)
    }

    /// The range in words, with its days spelled out ("2026-11-27 to 2026-12-03").
    pub fn describe(self, now: Millis) -> String {
        let day = |millis: Millis| {
            Date::from_days_since_epoch(millis.div_euclid(DAY))
                .map_or_else(|| "?".to_owned(), |d| d.to_string())
        };
        match (self, self.bounds(now)) {
            (DateRange::All, _) => "every day".to_owned(),
            (DateRange::LastDays(_), (Some(since), _)) => {
                format!("{} to {}", day(since), day(now))
            }
            (_, (Some(since), Some(until))) => format!("{} to {}", day(since), day(until - 1)),
            (_, (Some(since), None)) => format!("from {}", day(since)),
            (_, (None, Some(until))) => format!("up to {}", day(until - 1)),
            (_, (None, None)) => "every day".to_owned(),
        }
    }
}
