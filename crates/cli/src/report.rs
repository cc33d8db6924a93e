//! `calltree report` and `calltree simulate`: what happened on real calls and self-service
//! sessions, read from call logs or the self-service database and folded by the engine's
//! `Report`; and realistic synthetic logs to report on before there are real ones.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use calltree_calls::{StoredSessions, Versions};
use calltree_engine::{
    Date, DateRange, Figures, ReportData, ReportFilter, TimeSummary, TopList, csv_field,
    show_duration, synthetic_sessions,
};
use calltree_store::Store;
use clap::ValueEnum;

use crate::files;
use crate::output;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A summary for people.
    Text,
    /// Every figure, as one JSON document.
    Json,
    /// Every figure, one per row: tree, version, measure, item, value.
    Csv,
}

pub struct Options {
    pub logs: Option<PathBuf>,
    pub db: Option<PathBuf>,
    /// A hub (`calltree serve`) to read sessions from, with an agent token.
    pub server: Option<(String, String)>,
    pub trees: PathBuf,
    pub tree: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Only this chart's data, as the desktop's CSV button saves it (needs `tree`).
    pub chart: Option<String>,
    /// Only sessions shown in this language (`source`: in the trees' own words).
    pub locale: Option<String>,
    pub format: ReportFormat,
}

/// Milliseconds since the epoch of a `YYYY-MM-DD` date (midnight UTC), or of a plain number.
fn parse_since(text: &str) -> Result<i64> {
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    let date = Date::parse(text)
        .with_context(|| format!("`{text}` is not a date: write it as YYYY-MM-DD"))?;
    Ok(date.days_since_epoch() * 86_400_000)
}

/// The versions call logs can be rebuilt on: those of the trees on disk.
fn versions_on_disk(trees: &Path) -> Result<Versions> {
    let versions = Versions::new();
    if trees.exists() {
        let project = files::load_project(&[trees.to_path_buf()])?.project;
        versions.add(&Arc::new(project));
    }
    Ok(versions)
}

pub fn run(options: &Options) -> Result<ExitCode> {
    let since = options.since.as_deref().map(parse_since).transpose()?;
    let until = options
        .until
        .as_deref()
        .map(|text| {
            let date = Date::parse(text)
                .with_context(|| format!("`{text}` is not a date: write it as YYYY-MM-DD"))?;
            Ok::<_, anyhow::Error>(date)
        })
        .transpose()?;
    // The engine's date range decides what `--until` covers: the whole of its last day.
    let (_, until) = DateRange::Between {
        from: None,
        to: until,
    }
    .bounds(0);
    let filter = ReportFilter {
        tree: options.tree.clone(),
        since,
        until,
        locale: options.locale.clone(),
    };
    if options.chart.is_some() && options.tree.is_none() {
        bail!("--chart needs --tree: a chart shows one tree's figures");
    }
    let (data, versions) = if let Some((url, token)) = &options.server {
        let client = calltree_calls::HubClient::new(url, token)?;
        // The versions come from the hub, which keeps every version its sessions ran on.
        let versions = Versions::new();
        let mut sessions = calltree_calls::HubSessions::new(client, versions.clone());
        (
            calltree_calls::report(filter, &mut sessions, &versions)?,
            versions,
        )
    } else {
        from_files(options, filter)?
    };
    if let (Some(chart), Some(tree)) = (&options.chart, &options.tree) {
        output::emit(&chart_csv(&data, &versions, tree, chart)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_report(options, &data)
}

/// The report of call logs or a session database, with the versions its sessions ran on.
fn from_files(options: &Options, filter: ReportFilter) -> Result<(ReportData, Versions)> {
    Ok(match (&options.logs, &options.db) {
        (Some(dir), None) => {
            if !dir.is_dir() {
                bail!("there is no folder of call logs at `{}`", dir.display());
            }
            let mut sessions = StoredSessions::new()
                .with_logs(dir.clone())
                .with_read_limit(files::max_input_size());
            let versions = versions_on_disk(&options.trees)?;
            (
                calltree_calls::report(filter, &mut sessions, &versions)?,
                versions,
            )
        }
        (None, Some(db)) => {
            let shown = calltree_store::shown_location(db);
            if !calltree_store::location_exists(db) {
                bail!("there is no session database at `{shown}`");
            }
            let store = Store::open(db)
                .with_context(|| format!("cannot open the session database `{shown}`"))?;
            // Sessions rebuild on the versions the database keeps: the figures are those of
            // the trees as they ran, whatever the folder holds now.
            let versions = Versions::with_store(store.clone());
            let mut sessions = StoredSessions::new().with_database(store);
            (
                calltree_calls::report(filter, &mut sessions, &versions)?,
                versions,
            )
        }
        _ => bail!("give one of --logs DIR, --db FILE or --server URL"),
    })
}

fn print_report(options: &Options, data: &ReportData) -> Result<ExitCode> {
    let shown = match options.format {
        ReportFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(data).context("cannot write the report as JSON")?;
            json.push('\n');
            json
        }
        ReportFormat::Csv => csv(data),
        ReportFormat::Text => text(data),
    };
    output::emit(&shown)?;
    Ok(ExitCode::SUCCESS)
}

/// One chart's data as CSV: the engine's table, with steps titled as the newest version of
/// the tree that can be had names them.
fn chart_csv(data: &ReportData, versions: &Versions, tree: &str, chart: &str) -> Result<String> {
    let Some(report) = data.trees.get(tree) else {
        bail!("no session of `{tree}` matched");
    };
    let project = report
        .versions
        .iter()
        .rev()
        .find_map(|v| versions.project(&v.version).ok().flatten());
    let title = |name: &str| {
        project
            .as_ref()
            .and_then(|p| {
                let id = p.tree_by_name(tree)?;
                let node = p.node_by_name(id, name)?;
                Some(p.node(node).shown_title().to_owned())
            })
            .unwrap_or_else(|| name.to_owned())
    };
    let tables = calltree_engine::figure_tables(&report.total, &title);
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    match tables.iter().find(|t| t.name == chart) {
        Some(table) => Ok(table.to_csv()),
        None => bail!(
            "there is no chart `{chart}`; the charts of `{tree}` are: {}",
            names.join(", ")
        ),
    }
}

fn percent(count: u64, of: u64) -> String {
    calltree_engine::show_percent(count, of, 1)
}

fn top(out: &mut String, title: &str, list: &TopList, limit: usize) {
    top_shown(out, title, list, limit, |value| value.to_owned());
}

fn top_shown(
    out: &mut String,
    title: &str,
    list: &TopList,
    limit: usize,
    show: impl Fn(&str) -> String,
) {
    if list.top.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title}:");
    for item in list.top.iter().take(limit) {
        let _ = writeln!(out, "    {:>6}  {}", item.count, show(&item.value));
    }
}

/// Steps of a path shown at each end before the middle is counted instead.
const PATH_ENDS: usize = 6;

/// A path as a person reads it: a call that went round a loop a thousand times is its first
/// and last steps and how many came between, not a line of thousands of names. The JSON
/// form keeps the whole path.
fn short_path(path: &str) -> String {
    let steps: Vec<&str> = path.split(" > ").collect();
    if steps.len() <= 2 * PATH_ENDS + 1 {
        return path.to_owned();
    }
    let hidden = steps.len() - 2 * PATH_ENDS;
    format!(
        "{} > … {hidden} more … > {} ({} steps)",
        steps[..PATH_ENDS].join(" > "),
        steps[steps.len() - PATH_ENDS..].join(" > "),
        steps.len()
    )
}

fn figures_text(out: &mut String, figures: &Figures) {
    let s = &figures.sessions;
    let _ = writeln!(
        out,
        "  sessions: {} started, {} finished, {} unfinished{}{}",
        s.started,
        s.finished,
        s.unfinished,
        if s.wrong_script > 0 {
            format!(", {} ended as the wrong script", s.wrong_script)
        } else {
            String::new()
        },
        if s.unknown_version + s.unreadable > 0 {
            format!(
                " ({} on versions not on disk, {} unreadable)",
                s.unknown_version, s.unreadable
            )
        } else {
            String::new()
        }
    );
    let o = &figures.outcomes;
    let of = s.finished;
    let _ = writeln!(
        out,
        "  outcomes: resolved {} ({}), escalated {} ({}), callback {}, transferred {}, abandoned {}",
        o.resolved,
        percent(o.resolved, of),
        o.escalated,
        percent(o.escalated, of),
        o.callback,
        o.transferred,
        o.abandoned
    );
    // Referrals are newer than the other kinds: named only where there were some, so reports
    // on trees without them read as before.
    if o.referred > 0 {
        let _ = writeln!(out, "    referred: {}", o.referred);
    }
    for (team, count) in &o.escalated_to {
        let _ = writeln!(out, "    escalated to {team}: {count}");
    }
    for (service, count) in &o.referred_to {
        let _ = writeln!(out, "    referred to {service}: {count}");
    }
    for (result, count) in &o.results {
        let _ = writeln!(out, "    result {result}: {count}");
    }
    for (cause, count) in &o.ended_early {
        let _ = writeln!(
            out,
            "    ended early ({}): {count}",
            cause.replace('_', " ")
        );
    }
    let rate = |r: &calltree_engine::Rate| percent(r.count, r.of);
    let _ = writeln!(
        out,
        "  first-contact resolution: {} ({} of {})",
        rate(&figures.first_contact_resolution),
        figures.first_contact_resolution.count,
        figures.first_contact_resolution.of
    );
    let _ = writeln!(
        out,
        "  self-service containment: {} ({} of {} customer sessions)",
        rate(&figures.containment),
        figures.containment.count,
        figures.containment.of
    );
    if let Some(TimeSummary { median, p90, .. }) = figures.call_time {
        let _ = writeln!(
            out,
            "  time per call: median {}, p90 {}",
            show_duration(median),
            show_duration(p90)
        );
    }
    let mut drops: Vec<(&String, u64)> = figures
        .nodes
        .iter()
        .filter(|(_, n)| n.drop_offs > 0)
        .map(|(name, n)| (name, n.drop_offs))
        .collect();
    drops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !drops.is_empty() {
        let _ = writeln!(out, "  where sessions stopped without an outcome:");
        for (node, count) in drops.iter().take(5) {
            let _ = writeln!(out, "    {count:>6}  {node}");
        }
    }
    let mut slow: Vec<(&String, TimeSummary)> = figures
        .nodes
        .iter()
        .filter_map(|(name, n)| n.time.map(|t| (name, t)))
        .collect();
    slow.sort_by(|a, b| b.1.median.cmp(&a.1.median).then(a.0.cmp(b.0)));
    if !slow.is_empty() {
        let _ = writeln!(out, "  slowest steps (median, p90):");
        for (node, time) in slow.iter().take(5) {
            let _ = writeln!(
                out,
                "    {:>7} {:>7}  {node}",
                show_duration(time.median),
                show_duration(time.p90)
            );
        }
    }
    top_shown(out, "most common paths", &figures.paths, 3, short_path);
    top(out, "escalation reasons", &figures.escalation_reasons, 5);
    top(out, "skip reasons", &figures.skip_reasons, 5);
    for (field, counts) in &figures.ratings {
        let total: u64 = counts.iter().map(|c| c.count).sum();
        let sum: f64 = counts.iter().map(|c| c.value * c.count as f64).sum();
        let spread: Vec<String> = counts
            .iter()
            .map(|c| format!("{}: {}", c.value, c.count))
            .collect();
        let _ = writeln!(
            out,
            "  ratings of {field}: average {:.2} from {total} ({})",
            if total > 0 { sum / total as f64 } else { 0.0 },
            spread.join(", ")
        );
    }
}

fn text(data: &ReportData) -> String {
    let mut out = String::new();
    if data.trees.is_empty() {
        out.push_str("no sessions matched\n");
    }
    if data.not_sessions > 0 {
        let _ = writeln!(
            out,
            "{} file(s) were not call logs and were left out\n",
            data.not_sessions
        );
    }
    for (name, tree) in &data.trees {
        let _ = writeln!(out, "{name}");
        figures_text(&mut out, &tree.total);
        if tree.versions.len() > 1 {
            let _ = writeln!(out, "  by version:");
            for version in &tree.versions {
                let f = &version.figures;
                let label = version
                    .label
                    .clone()
                    .unwrap_or_else(|| version.version.chars().take(12).collect());
                let _ = writeln!(
                    out,
                    "    {label}: {} sessions, resolved {}, first-contact resolution {}",
                    f.sessions.started,
                    percent(f.outcomes.resolved, f.sessions.finished),
                    percent(
                        f.first_contact_resolution.count,
                        f.first_contact_resolution.of
                    )
                );
            }
        }
        if split_by_language(tree) {
            let _ = writeln!(out, "  by language:");
            for language in &tree.languages {
                let s = &language.sessions;
                let o = &language.outcomes;
                let _ = writeln!(
                    out,
                    "    {}: {} sessions, resolved {}, escalated {}, abandoned {}, first-contact resolution {}, containment {}",
                    language_name(language),
                    s.started,
                    percent(o.resolved, s.finished),
                    percent(o.escalated, s.finished),
                    percent(o.abandoned, s.finished),
                    percent(
                        language.first_contact_resolution.count,
                        language.first_contact_resolution.of
                    ),
                    percent(language.containment.count, language.containment.of)
                );
            }
        }
        out.push('\n');
    }
    out
}

/// Whether a tree's sessions were in more than its own words: then the report splits them
/// by language (a folder without translations reads as before).
fn split_by_language(tree: &calltree_engine::TreeReport) -> bool {
    tree.languages.iter().any(|l| l.locale.is_some())
}

/// A language as the report names it: its tag, or the trees' own words.
fn language_name(language: &calltree_engine::LanguageFigures) -> &str {
    language.locale.as_deref().unwrap_or("tree's own words")
}

/// The per-language rows of the CSV: version `all`, measure `language`, the item naming the
/// language and what is counted (`fr sessions`, `fr resolved`).
fn csv_languages(out: &mut String, name: &str, tree: &calltree_engine::TreeReport) {
    for language in &tree.languages {
        let tag = language.locale.as_deref().unwrap_or("source");
        let s = &language.sessions;
        let o = &language.outcomes;
        for (what, value) in [
            ("sessions", s.started),
            ("finished", s.finished),
            ("resolved", o.resolved),
            ("escalated", o.escalated),
            ("abandoned", o.abandoned),
            ("first_contact", language.first_contact_resolution.count),
            ("contained", language.containment.count),
        ] {
            let _ = writeln!(
                out,
                "{},all,language,{},{value}",
                csv_field(name),
                csv_field(&format!("{tag} {what}"))
            );
        }
    }
}

fn csv_figures(out: &mut String, tree: &str, version: &str, f: &Figures) {
    let mut row = |measure: &str, item: &str, value: String| {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(tree),
            csv_field(version),
            csv_field(measure),
            csv_field(item),
            value
        );
    };
    row("sessions", "started", f.sessions.started.to_string());
    row("sessions", "finished", f.sessions.finished.to_string());
    row("sessions", "unfinished", f.sessions.unfinished.to_string());
    row(
        "sessions",
        "wrong_script",
        f.sessions.wrong_script.to_string(),
    );
    row("outcome", "resolved", f.outcomes.resolved.to_string());
    row("outcome", "escalated", f.outcomes.escalated.to_string());
    row("outcome", "callback", f.outcomes.callback.to_string());
    row("outcome", "transferred", f.outcomes.transferred.to_string());
    row("outcome", "referred", f.outcomes.referred.to_string());
    row("outcome", "abandoned", f.outcomes.abandoned.to_string());
    for (team, count) in &f.outcomes.escalated_to {
        row("escalated_to", team, count.to_string());
    }
    for (service, count) in &f.outcomes.referred_to {
        row("referred_to", service, count.to_string());
    }
    for (result, count) in &f.outcomes.results {
        row("result", result, count.to_string());
    }
    for (cause, count) in &f.outcomes.ended_early {
        row("ended_early", cause, count.to_string());
    }
    let rate = |r: &calltree_engine::Rate| r.rate.map_or_else(String::new, |v| format!("{v:.4}"));
    row(
        "rate",
        "first_contact_resolution",
        rate(&f.first_contact_resolution),
    );
    row("rate", "containment", rate(&f.containment));
    if let Some(t) = f.call_time {
        row("call_time_ms", "median", t.median.to_string());
        row("call_time_ms", "p90", t.p90.to_string());
    }
    for (node, n) in &f.nodes {
        row("node_visits", node, n.visits.to_string());
        row("node_drop_offs", node, n.drop_offs.to_string());
        if let Some(t) = n.time {
            row("node_time_median_ms", node, t.median.to_string());
            row("node_time_p90_ms", node, t.p90.to_string());
        }
    }
    for item in &f.paths.top {
        row("path", &item.value, item.count.to_string());
    }
    for item in &f.escalation_reasons.top {
        row("escalation_reason", &item.value, item.count.to_string());
    }
    for item in &f.skip_reasons.top {
        row("skip_reason", &item.value, item.count.to_string());
    }
    for (field, counts) in &f.ratings {
        for c in counts {
            row(
                &format!("rating:{field}"),
                &c.value.to_string(),
                c.count.to_string(),
            );
        }
    }
}

fn csv(data: &ReportData) -> String {
    let mut out = String::from("tree,version,measure,item,value\n");
    for (name, tree) in &data.trees {
        csv_figures(&mut out, name, "all", &tree.total);
        for version in &tree.versions {
            csv_figures(&mut out, name, &version.version, &version.figures);
        }
        if split_by_language(tree) {
            csv_languages(&mut out, name, tree);
        }
    }
    out
}

/// `calltree simulate`: realistic synthetic call logs for a folder's trees.
pub fn simulate(
    trees: &Path,
    tree: Option<&str>,
    sessions: usize,
    seed: u64,
    out: &Path,
) -> Result<ExitCode> {
    let project = files::load_project(&[trees.to_path_buf()])?.project;
    if project.has_errors() {
        bail!(
            "the trees in `{}` have errors; run `calltree check` first",
            trees.display()
        );
    }
    let chosen: Vec<_> = project
        .trees()
        .filter(|(_, t)| tree.is_none_or(|name| t.name == name) && t.start.is_some())
        .map(|(id, _)| id)
        .collect();
    if chosen.is_empty() {
        bail!(
            "no tree to simulate{}",
            tree.map_or(String::new(), |t| format!(" called `{t}`"))
        );
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder `{}`", out.display()))?;
    // A fixed start time keeps the logs the same for the same seed.
    let start_at = 1_767_225_600_000; // 2026-01-01
    let mut written = 0;
    for (index, id) in chosen.iter().enumerate() {
        let name = &project.tree(*id).name;
        let seed = seed.wrapping_add(index as u64);
        for (number, events) in
            synthetic_sessions(&project, *id, sessions, seed, start_at).enumerate()
        {
            let mut text = String::new();
            for event in &events {
                text.push_str(&event.to_json_line());
                text.push('\n');
            }
            let path = out.join(format!("{name}-{number:06}.jsonl"));
            files::write_atomically(&path, &text)?;
            written += 1;
        }
    }
    output::emit(&format!(
        "wrote {written} session logs to {}\n",
        out.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
