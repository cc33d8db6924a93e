//! Synthetic logs: they replay on every bundled tree, they are the same for a seed, and they
//! have the mix of things real calls have.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use calltree_engine::{Event, Report, ReportFilter, Session, synthetic_sessions};
use calltree_syntax::Audience;

const START: i64 = 1_700_000_000_000;

#[test]
fn every_session_replays_on_every_bundled_tree() {
    let project = support::bundled(&[]);
    assert!(!project.has_errors());
    let mut trees = 0;
    for (id, tree) in project.trees() {
        trees += 1;
        let mut sessions = 0;
        for log in synthetic_sessions(&project, id, 200, 7, START) {
            sessions += 1;
            let session = Session::resume(&project, log.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{log:#?}", tree.name));
            assert_eq!(session.log(), log.as_slice());
            let times: Vec<i64> = log.iter().map(Event::at).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{}: time goes back",
                tree.name
            );
        }
        assert_eq!(sessions, 200, "{}", tree.name);
    }
    assert_eq!(trees, 11);
}

#[test]
fn the_same_seed_gives_the_same_sessions() {
    let project = support::bundled(&["password_reset"]);
    let tree = project.tree_by_name("password_reset").unwrap();
    let first: Vec<Vec<Event>> = synthetic_sessions(&project, tree, 100, 42, START).collect();
    let again: Vec<Vec<Event>> = synthetic_sessions(&project, tree, 100, 42, START).collect();
    let other: Vec<Vec<Event>> = synthetic_sessions(&project, tree, 100, 43, START).collect();
    assert_eq!(first, again);
    assert_ne!(first, other);
    // A prefix of a longer run is the shorter run.
    let longer: Vec<Vec<Event>> = synthetic_sessions(&project, tree, 150, 42, START).collect();
    assert_eq!(first[..], longer[..100]);
}

#[test]
fn sessions_have_the_mix_of_real_calls() {
    let project = support::bundled(&[]);
    let tree = project.tree_by_name("internet_down").unwrap();
    let logs: Vec<Vec<Event>> = synthetic_sessions(&project, tree, 2_000, 1, START).collect();
    let count =
        |pred: &dyn Fn(&Event) -> bool| logs.iter().filter(|log| log.iter().any(pred)).count();
    let customers = count(&|e| {
        matches!(
            e,
            Event::Started {
                audience: Audience::Customer,
                ..
            }
        )
    });
    let backs = count(&|e| matches!(e, Event::Back { .. }));
    let notes = count(&|e| matches!(e, Event::Noted { .. }));
    let skips = count(&|e| matches!(e, Event::Skipped { .. }));
    let escalations = count(&|e| matches!(e, Event::Escalated { .. }));
    let hang_ups = count(&|e| matches!(e, Event::Ended { .. }));
    let take_overs = count(&|e| matches!(e, Event::TakenOver { .. }));
    let asked = count(
        &|e| matches!(e, Event::Escalated { reason, .. } if reason == "customer asked for a person"),
    );
    // Both audiences, agents more often; every kind of event shows up, none dominates.
    assert!((600..1_000).contains(&customers), "{customers} customers");
    for (what, n) in [
        ("back", backs),
        ("note", notes),
        ("skip", skips),
        ("escalation", escalations),
        ("hang-up", hang_ups),
        ("take-over", take_overs),
    ] {
        assert!((20..1_500).contains(&n), "{n} sessions with a {what}");
    }
    assert!(
        take_overs <= asked,
        "take-overs follow a request for a person"
    );

    // Think times: seconds to minutes between events, never hours.
    let gaps: Vec<i64> = logs
        .iter()
        .flat_map(|log| log.windows(2).map(|w| w[1].at() - w[0].at()))
        .collect();
    assert!(gaps.iter().all(|g| (0..=20 * 60_000).contains(g)));
    assert!(gaps.iter().any(|g| *g >= 60_000));

    // First options are chosen more often than later ones.
    let mut chosen = [0usize; 3];
    for event in logs.iter().flatten() {
        if let Event::Chose { option, .. } = event
            && let Some(n) = chosen.get_mut(usize::from(*option))
        {
            *n += 1;
        }
    }
    assert!(chosen[0] > chosen[1] && chosen[1] > chosen[2], "{chosen:?}");

    // The report sees finished, unfinished and every kind of outcome.
    let mut report = Report::new(ReportFilter::default());
    for log in &logs {
        report.add_session(Some(&project), log);
    }
    let data = report.finish();
    let figures = &data.trees["internet_down"].total;
    assert_eq!(figures.sessions.started, 2_000);
    assert!(figures.sessions.unfinished > 0);
    assert_eq!(figures.sessions.unreadable, 0);
    assert!(figures.outcomes.resolved > figures.outcomes.escalated);
    assert!(figures.outcomes.abandoned_by_host > 0);
    assert!(figures.containment.rate.is_some_and(|r| r > 0.0 && r < 1.0));
}
