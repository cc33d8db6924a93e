//! The data behind each of a report's charts as a table, and tables as CSV, so a team lead
//! can take any chart into a spreadsheet. Steps are named by their titles (with their ids in
//! a column of their own), times are in milliseconds and the header says so.

use super::compare::{StepChange, StepCounts, VersionComparison};
use super::data::{Figures, TopList};
use crate::value::Date;

/// One chart's data: a header and rows of text, every row as long as the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// A short name for files (`slowest_steps`).
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(name: &str, columns: &[&str]) -> Table {
        Table {
            name: name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// RFC 4180 CSV: a header line, then one line per row, each ending in CRLF.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for row in std::iter::once(&self.columns).chain(&self.rows) {
            let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// A CSV field: quoted when it holds a comma, a quote, a line break or space at either end
/// (which spreadsheets would trim), with quotes doubled.
pub fn csv_field(text: &str) -> String {
    let needs_quotes = text.contains([',', '"', '\n', '\r'])
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace);
    if needs_quotes {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A share as a plain decimal fraction with four places, or empty when there is nothing to
/// divide by: spreadsheets read it as a number.
fn fraction(count: u64, of: u64) -> String {
    if of == 0 {
        String::new()
    } else {
        format!("{:.4}", count as f64 / of as f64)
    }
}

/// The steps with times, slowest (by median) first, ties by name.
pub fn slowest_steps(figures: &Figures) -> Vec<(&str, &super::NodeFigures)> {
    let mut steps: Vec<(&str, &super::NodeFigures)> = figures
        .nodes
        .iter()
        .filter(|(_, n)| n.time.is_some())
        .map(|(name, n)| (name.as_str(), n))
        .collect();
    steps.sort_by(|a, b| {
        let median = |n: &super::NodeFigures| n.time.map_or(0, |t| t.median);
        median(b.1).cmp(&median(a.1)).then(a.0.cmp(b.0))
    });
    steps
}

/// Every step with visits, the most drop-offs first, then the most visits, then by name.
pub fn drop_off_steps(figures: &Figures) -> Vec<(&str, &super::NodeFigures)> {
    let mut steps: Vec<(&str, &super::NodeFigures)> = figures
        .nodes
        .iter()
        .filter(|(_, n)| n.visits > 0)
        .map(|(name, n)| (name.as_str(), n))
        .collect();
    steps.sort_by(|a, b| {
        (b.1.drop_offs, b.1.visits)
            .cmp(&(a.1.drop_offs, a.1.visits))
            .then(a.0.cmp(b.0))
    });
    steps
}

/// Each chart of a tree's figures as a table: `outcomes`, `slowest_steps`, `drop_off`,
/// `escalation_reasons`, `skip_reasons`, `paths`, `comments`, and `ratings_FIELD` and
/// `ratings_by_day_FIELD` per rating field. `title` gives a step's title from its name.
pub fn figure_tables(figures: &Figures, title: &dyn Fn(&str) -> String) -> Vec<Table> {
    let mut tables = Vec::new();
    let o = &figures.outcomes;
    let finished = figures.sessions.finished;
    let mut outcomes = Table::new("outcomes", &["outcome", "sessions", "share of finished"]);
    for (name, count) in [
        ("resolved", o.resolved),
        ("escalated", o.escalated),
        ("callback", o.callback),
        ("transferred", o.transferred),
        ("referred", o.referred),
        ("abandoned", o.abandoned),
    ] {
        outcomes.rows.push(vec![
            name.to_owned(),
            count.to_string(),
            fraction(count, finished),
        ]);
    }
    tables.push(outcomes);

    let mut slow = Table::new(
        "slowest_steps",
        &["step", "id", "times measured", "median (ms)", "p90 (ms)"],
    );
    for (name, n) in slowest_steps(figures) {
        if let Some(t) = n.time {
            slow.rows.push(vec![
                title(name),
                name.to_owned(),
                t.count.to_string(),
                t.median.to_string(),
                t.p90.to_string(),
            ]);
        }
    }
    tables.push(slow);

    let mut drop_off = Table::new(
        "drop_off",
        &["step", "id", "visits", "stopped here", "share stopped"],
    );
    for (name, n) in drop_off_steps(figures) {
        drop_off.rows.push(vec![
            title(name),
            name.to_owned(),
            n.visits.to_string(),
            n.drop_offs.to_string(),
            fraction(n.drop_offs, n.visits),
        ]);
    }
    tables.push(drop_off);

    let reasons = |name: &str, list: &TopList| {
        let mut table = Table::new(name, &["reason", "sessions"]);
        for c in &list.top {
            table.rows.push(vec![c.value.clone(), c.count.to_string()]);
        }
        table
    };
    tables.push(reasons("escalation_reasons", &figures.escalation_reasons));
    tables.push(reasons("skip_reasons", &figures.skip_reasons));

    let mut paths = Table::new("paths", &["path", "ids", "sessions"]);
    for c in &figures.paths.top {
        let titles: Vec<String> = c.value.split(" > ").map(title).collect();
        paths.rows.push(vec![
            titles.join(" > "),
            c.value.clone(),
            c.count.to_string(),
        ]);
    }
    tables.push(paths);

    let mut comments = Table::new("comments", &["field", "day", "session", "comment"]);
    let mut all: Vec<(&String, &super::Comment)> = figures
        .comments
        .iter()
        .flat_map(|(field, list)| list.iter().map(move |c| (field, c)))
        .collect();
    all.sort_by(|a, b| b.1.at.cmp(&a.1.at).then(a.0.cmp(b.0)));
    for (field, c) in all {
        comments.rows.push(vec![
            field.clone(),
            day(c.at),
            c.session.clone().unwrap_or_default(),
            c.text.clone(),
        ]);
    }
    tables.push(comments);

    for (field, counts) in &figures.ratings {
        let mut table = Table::new(&format!("ratings_{field}"), &["rating", "answers"]);
        for c in counts {
            table.rows.push(vec![
                crate::value::format_number(c.value),
                c.count.to_string(),
            ]);
        }
        tables.push(table);
    }
    for (field, days) in &figures.ratings_by_day {
        let mut table = Table::new(
            &format!("ratings_by_day_{field}"),
            &["day", "average rating", "answers"],
        );
        for d in days {
            table.rows.push(vec![
                Date::from_days_since_epoch(d.day).map_or_else(String::new, |d| d.to_string()),
                format!("{:.2}", d.average),
                d.count.to_string(),
            ]);
        }
        tables.push(table);
    }
    tables
}

fn day(millis: i64) -> String {
    Date::from_days_since_epoch(millis.div_euclid(super::DAY))
        .map_or_else(String::new, |d| d.to_string())
}

impl VersionComparison {
    /// The comparison's two charts as tables: `compare_outcomes` and `compare_steps`.
    pub fn tables(&self, title: &dyn Fn(&str) -> String) -> Vec<Table> {
        let mut outcomes = Table::new(
            "compare_outcomes",
            &[
                "outcome",
                "before",
                "before share of finished",
                "after",
                "after share of finished",
            ],
        );
        for row in &self.outcomes {
            outcomes.rows.push(vec![
                row.outcome.clone(),
                row.before.to_string(),
                fraction(row.before, self.before.finished),
                row.after.to_string(),
                fraction(row.after, self.after.finished),
            ]);
        }
        let mut steps = Table::new(
            "compare_steps",
            &[
                "step",
                "id",
                "change",
                "before visits",
                "before stopped",
                "after visits",
                "after stopped",
            ],
        );
        let side = |c: Option<StepCounts>| match c {
            Some(c) => [c.visits.to_string(), c.drop_offs.to_string()],
            None => [String::new(), String::new()],
        };
        for row in self.steps.iter().chain(&self.unchanged) {
            let [bv, bs] = side(row.before);
            let [av, stopped] = side(row.after);
            let change = match row.change {
                StepChange::Added => "added",
                StepChange::Removed => "removed",
                StepChange::Edited => "edited",
                StepChange::Same => "same",
                StepChange::Unknown => "",
            };
            steps.rows.push(vec![
                title(&row.node),
                row.node.clone(),
                change.to_owned(),
                bv,
                bs,
                av,
                stopped,
            ]);
        }
        vec![outcomes, steps]
    }
}
