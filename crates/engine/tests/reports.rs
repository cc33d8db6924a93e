//! Reports on small hand-written logs: every figure below was worked out by hand from the
//! logs, and is asserted exactly.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::collections::BTreeMap;

use calltree_engine::{
    Counted, DAY, Date, DateRange, Event, Figures, Millis, OutcomeMix, Project, Rate, RatingCount,
    Report, ReportData, ReportFilter, SessionCounts, StepChange, Table, TimeSummary, TopList,
    compare_versions, csv_field, figure_tables,
};
use calltree_syntax::Audience;

const HELP: &str = r#"
tree help "Help desk"
  audience: agent, customer
  version: "1.0"
  escalation: "Support L2"
  start: ask

field topic: choice(billing "Billing", tech "Technical") "Topic" required

node ask "What is it about?"
  say "What can I help you with?"
  ask topic
  -> route

node route
  if topic == billing -> billing
  else -> tech

node billing "Billing"
  say "Let me look at your bill."
  option "Explained" -> rate
  option "Needs a refund" -> refund

node refund "Refund"
  say "I'll pass you to refunds."
  end transferred "Refunds queue"

node tech "Technical"
  say "Let's fix it."
  option "Fixed" -> rate
  option "Call back later" -> later
  option "Send to L3" -> l3

node later "Callback"
  say "We'll call you back."
  end callback

node l3 "Third line"
  say "Passing you to third line."
  end escalated "Tech L3"

feedback rate "Rate us"
  say "How did we do?"
  rating stars "Stars" 1..5
  comment remarks "Anything to add?"
  -> done

node done "Done"
  say "Goodbye."
  end resolved
"#;

const BASE: Millis = 1_700_000_000_000;

fn help(text: &str) -> Project {
    let project = Project::single("help.tree", text);
    assert!(
        !project.has_errors(),
        "{:?}",
        project.all_diagnostics().collect::<Vec<_>>()
    );
    project
}

/// A log under construction; times are seconds after the session's start.
struct Log {
    start: Millis,
    events: Vec<Event>,
}

impl Log {
    fn new(project: &Project, audience: Audience, start: Millis) -> Log {
        let tree = project.tree_by_name("help").unwrap();
        Log {
            start,
            events: vec![Event::Started {
                tree: "help".into(),
                version: project.session_hash(tree),
                audience,
                at: start,
                given: Vec::new(),
                locale: None,
            }],
        }
    }

    fn at(&self, seconds: i64) -> Millis {
        self.start + seconds * 1_000
    }

    fn push(mut self, event: Event) -> Log {
        self.events.push(event);
        self
    }

    fn answer(self, field: &str, value: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Answered {
            field: field.into(),
            value: value.into(),
            at,
        })
    }

    fn go_on(self, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Continued { at })
    }

    fn choose(self, option: u16, label: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Chose {
            option,
            label: label.into(),
            at,
        })
    }

    fn escalate(self, reason: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Escalated {
            reason: reason.into(),
            at,
        })
    }

    fn skip(self, reason: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Skipped {
            reason: reason.into(),
            at,
        })
    }

    fn back(self, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Back { at })
    }

    fn end(self, reason: &str, s: i64) -> Log {
        self.end_for(calltree_engine::EndCause::Other, reason, s)
    }

    fn end_for(self, cause: calltree_engine::EndCause, reason: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Ended {
            cause,
            reason: reason.into(),
            at,
        })
    }

    fn take_over(self, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::TakenOver { at })
    }

    fn note(self, text: &str, s: i64) -> Log {
        let at = self.at(s);
        self.push(Event::Noted {
            text: text.into(),
            at,
        })
    }
}

/// Session `k` starts 1,000 seconds after session `k - 1`.
fn start(k: i64) -> Millis {
    BASE + k * 1_000_000
}

/// Ten sessions on one version; the comment on each says what it contributes.
fn ten_sessions(project: &Project) -> Vec<(String, Vec<Event>)> {
    use Audience::{Agent, Customer};
    let logs = [
        // 1. Agent, billing explained, rated 5 with a comment: resolved, first contact.
        //    ask 10 s, billing 30 s, rate 20 s; call 60 s.
        Log::new(project, Agent, start(1))
            .answer("topic", "billing", 5)
            .go_on(10)
            .choose(0, "Explained", 40)
            .answer("stars", "5", 50)
            .answer("remarks", "Great", 55)
            .go_on(60),
        // 2. Customer asks for a person at tech, an agent takes over and fixes it: resolved,
        //    but neither first contact nor contained. ask 20 s, tech 90 s (20 → 110, the
        //    escalation undone), rate 10 s; call 120 s.
        Log::new(project, Customer, start(2))
            .answer("topic", "tech", 5)
            .go_on(20)
            .escalate("customer asked for a person", 50)
            .take_over(80)
            .choose(0, "Fixed", 110)
            .answer("stars", "4", 115)
            .go_on(120),
        // 3. Customer fixes it alone, rates 2 with a comment: resolved, first contact,
        //    contained. ask 10 s, tech 30 s, rate 10 s; call 50 s.
        Log::new(project, Customer, start(3))
            .answer("topic", "tech", 3)
            .go_on(10)
            .choose(0, "Fixed", 40)
            .answer("stars", "2", 45)
            .answer("remarks", "Slow", 48)
            .go_on(50),
        // 4. Agent, refund: transferred. ask 8 s, billing 12 s; call 20 s.
        Log::new(project, Agent, start(4))
            .answer("topic", "billing", 5)
            .go_on(8)
            .choose(1, "Needs a refund", 20),
        // 5. Customer leaves the page at tech: abandoned by the host, a drop-off at tech.
        //    ask 6 s, tech 24 s; call 30 s.
        Log::new(project, Customer, start(5))
            .answer("topic", "tech", 4)
            .go_on(6)
            .end("customer left the page", 30),
        // 6. Agent, still at billing: unfinished, a drop-off at billing. ask 15 s.
        Log::new(project, Agent, start(6))
            .answer("topic", "billing", 5)
            .go_on(15)
            .note("Caller put on hold", 20),
        // 7. Agent skips the topic step, books a callback, goes back, sends to L3:
        //    escalated to Tech L3. ask 12 s, tech 18 s (12 → 30); call 30 s.
        Log::new(project, Agent, start(7))
            .answer("topic", "tech", 4)
            .skip("caller did not know", 12)
            .choose(1, "Call back later", 20)
            .back(25)
            .choose(2, "Send to L3", 30),
        // 8. Agent starts a refund, goes back, explains instead: resolved, but not first
        //    contact (it reached a transfer on the way). ask 10 s, billing 15 s (10 → 25),
        //    rate 20 s; call 45 s.
        Log::new(project, Agent, start(8))
            .answer("topic", "billing", 5)
            .go_on(10)
            .choose(1, "Needs a refund", 15)
            .back(17)
            .choose(0, "Explained", 25)
            .go_on(45),
        // 9. Customer fixes it alone, no rating: resolved, first contact, contained.
        //    ask 9 s, tech 40 s, rate 3 s; call 52 s.
        Log::new(project, Customer, start(9))
            .answer("topic", "tech", 7)
            .go_on(9)
            .choose(0, "Fixed", 49)
            .go_on(52),
        // 10. Agent escalates from billing: escalated to Support L2. ask 9 s, billing 12 s;
        //     call 21 s.
        Log::new(project, Agent, start(10))
            .answer("topic", "billing", 5)
            .go_on(9)
            .escalate("caller asked for a supervisor", 21),
    ];
    logs.into_iter()
        .enumerate()
        .map(|(i, log)| (format!("s{}", i + 1), log.events))
        .collect()
}

fn report(project: &Project, filter: ReportFilter) -> ReportData {
    let mut report = Report::new(filter);
    for (id, events) in ten_sessions(project) {
        report.add_session_with_id(&id, Some(project), &events);
    }
    report.finish()
}

fn seconds(values: &[u64]) -> Vec<u64> {
    values.iter().map(|s| s * 1_000).collect()
}

/// Exact quantiles of `values` (seconds), by nearest rank, as worked out by hand.
fn time(count: u64, min: u64, median: u64, p90: u64, max: u64) -> Option<TimeSummary> {
    let [min, median, p90, max] = seconds(&[min, median, p90, max])[..] else {
        unreachable!()
    };
    Some(TimeSummary {
        count,
        min,
        median,
        p90,
        max,
        exact: true,
    })
}

fn counted(value: &str, count: u64) -> Counted {
    Counted {
        value: value.into(),
        count,
        overcount: 0,
    }
}

fn only_tree(data: &ReportData) -> &Figures {
    assert_eq!(data.trees.len(), 1);
    &data.trees["help"].total
}

#[test]
fn sessions_and_outcomes() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let figures = only_tree(&data);
    assert_eq!(
        figures.sessions,
        SessionCounts {
            started: 10,
            finished: 9,
            unfinished: 1,
            unknown_version: 0,
            unreadable: 0,
            wrong_script: 0,
        }
    );
    assert_eq!(
        figures.outcomes,
        OutcomeMix {
            resolved: 5,
            escalated: 2,
            escalated_to: BTreeMap::from([("Support L2".into(), 1), ("Tech L3".into(), 1)]),
            callback: 0,
            transferred: 1,
            transferred_to: BTreeMap::from([("Refunds queue".into(), 1)]),
            referred: 0,
            referred_to: BTreeMap::new(),
            results: BTreeMap::new(),
            abandoned: 1,
            abandoned_by_host: 1,
            ended_early: BTreeMap::from([("other".into(), 1)]),
            returned: 0,
        }
    );
    // Sessions 1, 3 and 9 of the 9 finished.
    assert_eq!(
        figures.first_contact_resolution,
        Rate {
            count: 3,
            of: 9,
            rate: Some(3.0 / 9.0)
        }
    );
    // Customers: 2, 3, 5 and 9 finished; 3 and 9 resolved on their own.
    assert_eq!(
        figures.containment,
        Rate {
            count: 2,
            of: 4,
            rate: Some(0.5)
        }
    );
    assert_eq!(figures.taken_over, 1);
    assert_eq!(data.not_sessions, 0);
    assert_eq!(data.left_out, 0);
}

#[test]
fn times_per_node_and_per_call() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let figures = only_tree(&data);
    // Calls: 20 21 30 30 45 50 52 60 120 → median rank 5, p90 rank ⌈8.1⌉ = 9.
    assert_eq!(figures.call_time, time(9, 20, 45, 120, 120));
    let node = |name: &str| &figures.nodes[name];
    // ask: 6 8 9 9 10 10 10 12 15 20 → median rank 5, p90 rank 9.
    assert_eq!(node("ask").time, time(10, 6, 10, 15, 20));
    // billing: 12 12 15 30 (session 6 never left it) → ranks 2 and 4.
    assert_eq!(node("billing").time, time(4, 12, 12, 30, 30));
    // tech: 18 24 30 40 90 → median rank 3, p90 rank ⌈4.5⌉ = 5.
    assert_eq!(node("tech").time, time(5, 18, 30, 90, 90));
    // rate: 3 10 10 20 20 → ranks 3 and 5.
    assert_eq!(node("rate").time, time(5, 3, 10, 20, 20));
    // Routing and end nodes take no time.
    for name in ["route", "done", "refund", "l3"] {
        assert_eq!(node(name).time, None, "{name}");
    }
}

#[test]
fn visits_and_drop_offs() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let figures = only_tree(&data);
    let visits: BTreeMap<&str, (u64, u64)> = figures
        .nodes
        .iter()
        .map(|(name, node)| (name.as_str(), (node.visits, node.drop_offs)))
        .collect();
    // `later` and session 8's `refund` were undone with Back: not on any final path.
    assert_eq!(
        visits,
        BTreeMap::from([
            ("ask", (10, 0)),
            ("route", (10, 0)),
            ("billing", (5, 1)),
            ("tech", (5, 1)),
            ("rate", (5, 0)),
            ("done", (5, 0)),
            ("refund", (1, 0)),
            ("l3", (1, 0)),
        ])
    );
}

#[test]
fn paths_and_reasons() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let figures = only_tree(&data);
    assert_eq!(
        figures.paths,
        TopList {
            top: vec![
                counted("ask > tech > rate > done", 3),
                counted("ask > billing", 2),
                counted("ask > billing > rate > done", 2),
                counted("ask > billing > refund", 1),
                counted("ask > tech", 1),
                counted("ask > tech > l3", 1),
            ],
            total: 10,
            others: 0,
            exact: true,
        }
    );
    assert_eq!(
        figures.escalation_reasons,
        TopList {
            top: vec![
                counted("caller asked for a supervisor", 1),
                counted("customer asked for a person", 1),
            ],
            total: 2,
            others: 0,
            exact: true,
        }
    );
    assert_eq!(
        figures.skip_reasons,
        TopList {
            top: vec![counted("caller did not know", 1)],
            total: 1,
            others: 0,
            exact: true,
        }
    );
}

#[test]
fn ratings_and_comments() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let figures = only_tree(&data);
    let rating = |value: f64, count: u64| RatingCount { value, count };
    assert_eq!(
        figures.ratings,
        BTreeMap::from([(
            "stars".to_owned(),
            vec![rating(2.0, 1), rating(4.0, 1), rating(5.0, 1)]
        )])
    );
    let comments = &figures.comments["remarks"];
    let seen: Vec<(Option<&str>, Millis, &str)> = comments
        .iter()
        .map(|c| (c.session.as_deref(), c.at, c.text.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("s3"), start(3) + 48_000, "Slow"),
            (Some("s1"), start(1) + 55_000, "Great"),
        ]
    );
    assert_eq!(figures.comments.len(), 1);
    // Sessions 1 to 10 start 1,000 s apart: the three ratings fall on one day, averaging
    // (5 + 4 + 2) / 3.
    let days = &figures.ratings_by_day["stars"];
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].day, start(1).div_euclid(86_400_000));
    assert_eq!(days[0].count, 3);
    assert!((days[0].average - 11.0 / 3.0).abs() < 1e-12);
}

#[test]
fn one_version_reports_the_same_as_the_total() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let tree = &data.trees["help"];
    assert_eq!(tree.versions.len(), 1);
    let version = &tree.versions[0];
    assert_eq!(version.figures, tree.total);
    assert_eq!(version.label.as_deref(), Some("1.0"));
    assert!(version.known);
    assert_eq!(
        version.version,
        project.session_hash(project.tree_by_name("help").unwrap())
    );
    assert_eq!(
        (version.first_started, version.last_started),
        (start(1), start(10))
    );
}

#[test]
fn versions_are_reported_separately() {
    let old = help(HELP);
    let new = help(
        &HELP
            .replace("version: \"1.0\"", "version: \"2.0\"")
            .replace("What can I help you with?", "How can I help?"),
    );
    let tree = old.tree_by_name("help").unwrap();
    assert_ne!(old.session_hash(tree), new.session_hash(tree));

    let mut report = Report::new(ReportFilter::default());
    // Version 1: one session folded, and one added without its project.
    let resolved = Log::new(&old, Audience::Agent, start(1))
        .answer("topic", "billing", 5)
        .go_on(10)
        .choose(0, "Explained", 40)
        .go_on(60);
    report.add_session(Some(&old), &resolved.events);
    let unknown = Log::new(&old, Audience::Agent, start(2))
        .answer("topic", "billing", 5)
        .go_on(10)
        .escalate("caller asked for a supervisor", 20);
    report.add_session(None, &unknown.events);
    // Version 2: a refund, and a version-1 log handed the version-2 project by mistake,
    // which counts under version 1 as of unknown version.
    let refund = Log::new(&new, Audience::Agent, start(3))
        .answer("topic", "billing", 5)
        .go_on(8)
        .choose(1, "Needs a refund", 20);
    report.add_session(Some(&new), &refund.events);
    let mismatched = Log::new(&old, Audience::Agent, start(4)).answer("topic", "tech", 5);
    report.add_session(Some(&new), &mismatched.events);
    let data = report.finish();

    let help = &data.trees["help"];
    assert_eq!(help.versions.len(), 2);
    let (v1, v2) = (&help.versions[0], &help.versions[1]);
    assert_eq!(v1.version, old.session_hash(tree));
    assert_eq!(v2.version, new.session_hash(tree));
    assert_eq!(
        (v1.label.as_deref(), v2.label.as_deref()),
        (Some("1.0"), Some("2.0"))
    );
    assert_eq!((v1.first_started, v1.last_started), (start(1), start(4)));
    assert_eq!(
        v1.figures.sessions,
        SessionCounts {
            started: 3,
            finished: 1,
            unfinished: 0,
            unknown_version: 2,
            unreadable: 0,
            wrong_script: 0,
        }
    );
    assert_eq!(v1.figures.outcomes.resolved, 1);
    assert_eq!(v1.figures.outcomes.transferred, 0);
    // The raw events still tell the escalation's reason.
    assert_eq!(
        v1.figures.escalation_reasons.top,
        vec![counted("caller asked for a supervisor", 1)]
    );
    assert_eq!(
        v2.figures.sessions,
        SessionCounts {
            started: 1,
            finished: 1,
            ..SessionCounts::default()
        }
    );
    assert_eq!(v2.figures.outcomes.transferred, 1);
    assert_eq!(v2.figures.outcomes.resolved, 0);
    assert_eq!(v2.figures.nodes["billing"].time, time(1, 12, 12, 12, 12));
    // The total adds both up.
    assert_eq!(help.total.sessions.started, 4);
    assert_eq!(help.total.sessions.finished, 2);
    assert_eq!(help.total.sessions.unknown_version, 2);
    assert_eq!(
        (
            help.total.outcomes.resolved,
            help.total.outcomes.transferred
        ),
        (1, 1)
    );
    assert_eq!(help.total.first_contact_resolution.rate, Some(0.5));
    assert_eq!(help.total.nodes["billing"].time, time(2, 12, 12, 30, 30));
}

#[test]
fn filters_leave_sessions_out() {
    let project = help(HELP);
    let by_tree = report(
        &project,
        ReportFilter {
            tree: Some("other".into()),
            since: None,
            until: None,
            locale: None,
        },
    );
    assert!(by_tree.trees.is_empty());
    assert_eq!(by_tree.left_out, 10);

    let since = report(
        &project,
        ReportFilter {
            tree: Some("help".into()),
            since: Some(start(9)),
            until: None,
            locale: None,
        },
    );
    assert_eq!(since.left_out, 8);
    assert_eq!(only_tree(&since).sessions.started, 2);
    assert_eq!(only_tree(&since).outcomes.resolved, 1);
    assert_eq!(only_tree(&since).outcomes.escalated, 1);
}

/// Issue 19: a date range filters every figure, ends included; `until` is the first moment
/// left out.
#[test]
fn a_time_window_keeps_only_the_sessions_started_within_it() {
    let project = help(HELP);
    let window = report(
        &project,
        ReportFilter {
            tree: None,
            since: Some(start(2)),
            until: Some(start(5)),
            locale: None,
        },
    );
    assert_eq!(window.left_out, 7);
    let figures = only_tree(&window);
    assert_eq!(figures.sessions.started, 3);
    let all = report(&project, ReportFilter::default());
    assert_ne!(
        figures,
        only_tree(&all),
        "the figures are those of the window"
    );
    let visits: u64 = figures.nodes.values().map(|n| n.visits).sum();
    let all_visits: u64 = only_tree(&all).nodes.values().map(|n| n.visits).sum();
    assert!(visits < all_visits, "{visits} of {all_visits} visits");
}

#[test]
fn date_ranges_are_whole_utc_days() {
    let day = |text: &str| Date::parse(text).unwrap();
    let midnight = |text: &str| day(text).days_since_epoch() * DAY;
    // 2026-12-03 at 15:20 UTC.
    let now = midnight("2026-12-03") + 55_200_000;
    assert_eq!(DateRange::All.bounds(now), (None, None));
    assert_eq!(
        DateRange::LastDays(7).bounds(now),
        (Some(midnight("2026-11-27")), None)
    );
    assert_eq!(
        DateRange::LastDays(0).bounds(now),
        (Some(midnight("2026-12-03")), None),
        "at least today"
    );
    let november = DateRange::Between {
        from: Some(day("2026-11-01")),
        to: Some(day("2026-11-30")),
    };
    assert_eq!(
        november.bounds(now),
        (Some(midnight("2026-11-01")), Some(midnight("2026-12-01")))
    );
    let filter = november.filter(Some("help".into()), now);
    assert!(filter.wants("help", midnight("2026-11-01")));
    assert!(
        filter.wants("help", midnight("2026-12-01") - 1),
        "the last day is whole"
    );
    assert!(!filter.wants("help", midnight("2026-12-01")));
    assert!(!filter.wants("help", midnight("2026-11-01") - 1));
    assert!(!filter.wants("other", midnight("2026-11-10")));
    assert_eq!(november.describe(now), "2026-11-01 to 2026-11-30");
    assert_eq!(
        DateRange::LastDays(7).describe(now),
        "2026-11-27 to 2026-12-03"
    );
    assert_eq!(
        DateRange::Between {
            from: None,
            to: Some(day("2026-11-30"))
        }
        .describe(now),
        "up to 2026-11-30"
    );
    assert!(
        DateRange::Between {
            from: Some(day("2026-12-02")),
            to: Some(day("2026-12-01"))
        }
        .is_empty()
    );
    assert!(!november.is_empty());
}

#[test]
fn days_since_the_epoch_turn_back_into_the_same_dates() {
    for text in [
        "1970-01-01",
        "2000-02-29",
        "2026-12-31",
        "1969-07-20",
        "9999-12-31",
    ] {
        let date = Date::parse(text).unwrap();
        assert_eq!(
            Date::from_days_since_epoch(date.days_since_epoch()),
            Some(date)
        );
    }
    assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
    assert_eq!(Date::from_days_since_epoch(-1_000_000), None);
}

#[test]
fn a_report_can_be_split_by_the_language_sessions_were_shown_in() {
    let project = help(HELP);
    // Sessions 1-3 in French (one in Canadian French), 4 in German, the rest in the trees'
    // own words.
    let mut sessions = ten_sessions(&project);
    for (index, (_, events)) in sessions.iter_mut().enumerate() {
        if let Some(Event::Started { locale, .. }) = events.first_mut() {
            *locale = match index {
                0 | 1 => Some(Box::new("fr".to_owned())),
                2 => Some(Box::new("fr-CA".to_owned())),
                3 => Some(Box::new("de".to_owned())),
                _ => None,
            };
        }
    }
    let split = |locale: &str| {
        let mut report = Report::new(ReportFilter {
            locale: Some(locale.to_owned()),
            ..ReportFilter::default()
        });
        for (id, events) in &sessions {
            report.add_session_with_id(id, Some(&project), events);
        }
        report.finish()
    };
    assert_eq!(only_tree(&split("fr")).sessions.started, 3);
    assert_eq!(only_tree(&split("FR-ca")).sessions.started, 1);
    assert_eq!(only_tree(&split("de")).sessions.started, 1);
    let source = split(calltree_engine::SOURCE_LANGUAGE);
    assert_eq!(only_tree(&source).sessions.started, 6);
    assert_eq!(source.left_out, 4);
    assert!(split("it").trees.is_empty());
}

#[test]
fn logs_that_do_not_replay_are_counted_apart() {
    let project = help(HELP);
    let mut report = Report::new(ReportFilter::default());
    report.add_session(Some(&project), &[]);
    report.add_session(Some(&project), &[Event::Continued { at: BASE }]);
    // A choice at a step with no such option.
    let bad = Log::new(&project, Audience::Agent, start(1)).choose(5, "Nope", 3);
    report.add_session(Some(&project), &bad.events);
    let data = report.finish();
    assert_eq!(data.not_sessions, 2);
    let figures = only_tree(&data);
    assert_eq!(figures.sessions.started, 1);
    assert_eq!(figures.sessions.unreadable, 1);
    assert_eq!(figures.call_time, None);
    assert_eq!(figures.first_contact_resolution.rate, None);
}

#[test]
fn the_report_serialises() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let json = serde_json::to_value(&data).unwrap();
    assert_eq!(json["trees"]["help"]["total"]["sessions"]["started"], 10);
    assert_eq!(
        json["trees"]["help"]["total"]["nodes"]["tech"]["time"]["median"],
        30_000
    );
}

/// Issue 15: a wrong script used to count as an abandoned call (the agent had no other way out
/// than escalating, which counted as an escalation). It is counted apart now, and a hang-up by
/// its cause.
#[test]
fn a_wrong_script_is_no_outcome_and_endings_count_by_cause() {
    use calltree_engine::EndCause;
    let project = help(HELP);
    let mut report = Report::new(ReportFilter::default());
    let logs = [
        Log::new(&project, Audience::Agent, start(1)).end_for(
            EndCause::WrongScript,
            "wrong script",
            10,
        ),
        Log::new(&project, Audience::Agent, start(2)).end_for(
            EndCause::HungUp,
            "the caller hung up",
            20,
        ),
        Log::new(&project, Audience::Agent, start(3)).end_for(
            EndCause::Dropped,
            "the call dropped",
            30,
        ),
    ];
    for log in logs {
        report.add_session(Some(&project), &log.events);
    }
    let data = report.finish();
    let figures = only_tree(&data);
    assert_eq!(figures.sessions.started, 3);
    assert_eq!(figures.sessions.finished, 2);
    assert_eq!(figures.sessions.wrong_script, 1);
    assert_eq!(figures.outcomes.abandoned, 2);
    assert_eq!(
        figures.outcomes.ended_early,
        BTreeMap::from([("dropped".into(), 1), ("hung_up".into(), 1)])
    );
    assert_eq!(figures.first_contact_resolution.of, 2);
}

/// Issue 19: before and after an edit. The second version rewords `billing`, removes
/// `later` (its option now escalates) and adds `l2`; the comparison finds those steps and
/// shows each side's outcomes and drop-offs.
#[test]
fn two_versions_compare_outcomes_and_the_changed_steps() {
    let before = help(HELP);
    let edited = HELP
        .replace("Let me look at your bill.", "Let me open your latest bill.")
        .replace(
            "  option \"Call back later\" -> later\n",
            "  option \"Call back later\" -> l2\n",
        )
        .replace(
            "node later \"Callback\"\n  say \"We'll call you back.\"\n  end callback\n",
            "node l2 \"Second line\"\n  say \"Passing you to second line.\"\n  end escalated \"Tech L2\"\n",
        )
        // A comment changes no step.
        .replace("node done \"Done\"", "# the end\nnode done \"Done\"");
    let after = help(&edited);
    let tree = before.tree_by_name("help").unwrap();
    let mut report = Report::new(ReportFilter::default());
    for events in calltree_engine::synthetic_sessions(&before, tree, 200, 3, BASE) {
        report.add_session(Some(&before), &events);
    }
    let tree_after = after.tree_by_name("help").unwrap();
    for events in calltree_engine::synthetic_sessions(&after, tree_after, 150, 4, start(500)) {
        report.add_session(Some(&after), &events);
    }
    let data = report.finish();
    let versions = &data.trees["help"].versions;
    assert_eq!(versions.len(), 2);
    let comparison = compare_versions(
        "help",
        &versions[0],
        &versions[1],
        Some(&before),
        Some(&after),
    );
    assert!(comparison.changes_known);
    assert_eq!(comparison.before.started, 200);
    assert_eq!(comparison.after.started, 150);
    let mut changed: Vec<(&str, StepChange)> = comparison
        .steps
        .iter()
        .map(|s| (s.node.as_str(), s.change))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            ("billing", StepChange::Edited),
            ("l2", StepChange::Added),
            ("later", StepChange::Removed),
            ("tech", StepChange::Edited),
        ]
    );
    let l2 = comparison.steps.iter().find(|s| s.node == "l2").unwrap();
    assert!(l2.before.is_none());
    assert!(l2.after.is_some_and(|c| c.visits > 0));
    let callback = comparison
        .outcomes
        .iter()
        .find(|o| o.outcome == "callback")
        .unwrap();
    assert!(callback.before > 0);
    assert_eq!(callback.after, 0, "the edit removed the callback");
    let billing = comparison
        .steps
        .iter()
        .find(|s| s.node == "billing")
        .unwrap();
    assert_eq!(
        billing.before.unwrap().visits,
        versions[0].figures.nodes["billing"].visits
    );

    assert!(
        comparison
            .unchanged
            .iter()
            .all(|s| s.change == StepChange::Same)
    );
    assert!(comparison.unchanged.iter().any(|s| s.node == "ask"));
    assert!(!comparison.unchanged.iter().any(|s| s.node == "billing"));

    let unknown = compare_versions("help", &versions[0], &versions[1], Some(&before), None);
    assert!(unknown.unchanged.is_empty());
    assert!(!unknown.changes_known);
    assert!(
        unknown
            .steps
            .iter()
            .all(|s| s.change == StepChange::Unknown)
    );
    assert!(
        unknown.steps.iter().any(|s| s.node == "ask"),
        "every visited step"
    );
}

/// Issue 19: every chart's data as CSV, steps by title, compared with a golden file
/// (`CALLTREE_BLESS=1` rewrites it after a deliberate change; read the diff).
#[test]
fn every_charts_table_matches_its_golden_csv() {
    let project = help(HELP);
    let data = report(&project, ReportFilter::default());
    let tree = project.tree_by_name("help").unwrap();
    let title = |name: &str| {
        project.node_by_name(tree, name).map_or_else(
            || name.to_owned(),
            |n| project.node(n).shown_title().to_owned(),
        )
    };
    let mut shown = String::new();
    for table in figure_tables(only_tree(&data), &title) {
        shown.push_str(&format!("## {}\r\n", table.name));
        shown.push_str(&table.to_csv());
    }
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/report_tables.csv");
    if std::env::var_os("CALLTREE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &shown).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(shown, expected);
}

#[test]
fn csv_fields_are_quoted_only_when_they_must_be() {
    assert_eq!(csv_field("Reset your password"), "Reset your password");
    assert_eq!(csv_field("Billing, refunds"), "\"Billing, refunds\"");
    assert_eq!(csv_field("the \"new\" code"), "\"the \"\"new\"\" code\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
    assert_eq!(csv_field(" padded"), "\" padded\"");
    assert_eq!(csv_field(""), "");
    let table = Table {
        name: "t".into(),
        columns: vec!["a".into(), "b".into()],
        rows: vec![vec!["1, 2".into(), "x".into()]],
    };
    assert_eq!(table.to_csv(), "a,b\r\n\"1, 2\",x\r\n");
}
