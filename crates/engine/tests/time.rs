//! Time in conditions (issue 14, item 11): `minutes_in_call()` and `minutes_at_step()` read
//! the events' own times, never a clock, so a log folds the same way whenever it is read,
//! and a test moves time on with `wait`.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::{Event, Project, Session};
use calltree_syntax::Audience;

const MINUTE: i64 = 60_000;

const SLOW: &str = "tree slow \"Slow line\"\n  start: lights\n\n\
    node lights \"Lights\"\n  say \"Are the lights on?\"\n  option \"Restart\" -> lights\n  \
    option \"Offer a callback\" -> callback when minutes_in_call() > 30\n  \
    option \"Still down\" -> triage\n\n\
    node triage\n  if minutes_in_call() >= 30 -> callback\n  \
    if minutes_at_step() > 100 -> callback\n  else -> escalate\n\n\
    node callback \"Callback\"\n  say \"We'll call you back.\"\n  end callback\n\n\
    node escalate \"Escalate\"\n  say \"Passing you on.\"\n  end escalated \"L2\"\n";

fn project(tests: &str) -> Project {
    Project::single("slow.tree", format!("{SLOW}\n{tests}"))
}

fn problems(project: &Project) -> Vec<String> {
    project
        .diagnostics_with_tests()
        .into_iter()
        .flatten()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code.id, d.message))
        .collect()
}

fn chose(session: &Session<&Project>, label: &str, at: i64) -> Event {
    let view = session.view();
    let option = view.options.iter().find(|o| o.label == label).unwrap();
    session.choice(option.index, at).unwrap()
}

#[test]
fn routing_on_time_reads_the_time_of_the_event_that_arrives() {
    let project = project("");
    assert_eq!(problems(&project), Vec::<String>::new());
    let tree = project.tree_by_name("slow").unwrap();
    let outcome = |minutes: i64| {
        let mut session = Session::start(&project, tree, Audience::Agent, 1_000).unwrap();
        let event = chose(&session, "Still down", 1_000 + minutes * MINUTE);
        session.apply(event).unwrap();
        let ending = session.state().ending.clone().unwrap();
        ending.outcome.unwrap().kind.name()
    };
    assert_eq!(outcome(29), "escalated");
    assert_eq!(outcome(30), "callback");
}

#[test]
fn a_log_folds_to_the_same_call_whenever_it_is_read() {
    let project = project("");
    let tree = project.tree_by_name("slow").unwrap();
    let mut session = Session::start(&project, tree, Audience::Agent, 0).unwrap();
    let event = chose(&session, "Still down", 45 * MINUTE);
    session.apply(event).unwrap();
    let again = Session::resume(&project, session.log().to_vec()).unwrap();
    assert_eq!(again.state(), session.state());
    assert_eq!(project.node(again.state().node).name, "callback");
}

#[test]
fn a_guard_on_time_is_shown_as_of_the_hosts_now_and_checked_when_chosen() {
    let project = project("");
    let tree = project.tree_by_name("slow").unwrap();
    let mut session = Session::start(&project, tree, Audience::Agent, 0).unwrap();
    let offer = |view: &calltree_engine::View| {
        view.options
            .iter()
            .find(|o| o.label == "Offer a callback")
            .cloned()
            .unwrap()
    };
    // As of the latest event (the start), and at minute 10, the option is greyed out, with
    // the condition in words.
    let early = offer(&session.view_at(10 * MINUTE));
    assert!(!early.enabled);
    assert_eq!(
        early.reason.as_deref(),
        Some("needs minutes in the call more than 30")
    );
    assert!(!offer(&session.view()).enabled);
    // Half an hour later nothing has happened, but the host's clock says it is open.
    assert!(offer(&session.view_at(31 * MINUTE)).enabled);
    // Choosing it before then is refused, and leaves the call as it was.
    let index = early.index;
    let too_soon = session.choice(index, 20 * MINUTE).unwrap();
    let before = session.state().clone();
    assert!(session.apply(too_soon).is_err());
    assert_eq!(session.state(), &before);
    session
        .apply(session.choice(index, 31 * MINUTE).unwrap())
        .unwrap();
    assert_eq!(project.node(session.state().node).name, "callback");
}

#[test]
fn a_test_moves_its_clock_on_with_wait() {
    let project = project(
        "test \"a long call is offered a callback\"\n  expect option \"Offer a callback\" disabled\n  \
         wait 31 minutes\n  choose \"Restart\"\n  expect option \"Offer a callback\"\n  \
         choose \"Still down\"\n  expect end callback\n\n\
         test \"half an hour in hours\"\n  wait 0.5 hours\n  choose \"Still down\"\n  expect end callback\n\n\
         test \"a short call is escalated\"\n  wait 1 minute\n  choose \"Still down\"\n  \
         expect end escalated \"L2\"\n",
    );
    assert_eq!(problems(&project), Vec::<String>::new());
    let reports = project.run_tests();
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r.passed()));
}

#[test]
fn a_test_that_does_not_wait_is_not_offered_the_callback() {
    let project =
        project("test \"too soon\"\n  choose \"Offer a callback\"\n  expect end callback\n");
    let found = problems(&project);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("needs minutes in the call more than 30"),
        "{found:?}"
    );
}

#[test]
fn time_functions_are_numbers_and_take_nothing() {
    let with = |condition: &str| {
        let text = SLOW.replace("minutes_in_call() > 30", condition);
        problems(&Project::single("slow.tree", &text))
    };
    let wrong_type = with("minutes_in_call() == \"late\"");
    assert_eq!(wrong_type.len(), 1, "{wrong_type:?}");
    assert!(wrong_type[0].starts_with("E2"), "{wrong_type:?}");
    let with_argument = with("minutes_in_call(lights) > 30");
    assert_eq!(with_argument.len(), 1, "{with_argument:?}");
    assert!(
        with_argument[0].contains("`minutes_in_call` takes nothing between its brackets"),
        "{with_argument:?}"
    );
    let misspelt = with("minutes_in_cal() > 30");
    assert_eq!(misspelt.len(), 1, "{misspelt:?}");
}

/// Walks move time on in a tree whose conditions read it, so an option that opens after half
/// an hour is chosen and a branch on time is taken; a branch that can never hold (the time at
/// a routing step is always zero on arrival) stays untaken.
#[test]
fn walks_try_each_step_later_in_a_tree_that_reads_the_time() {
    let project = project("");
    let tree = project.tree_by_name("slow").unwrap();
    let report = calltree_engine::walk_all(
        &project,
        tree,
        Audience::Agent,
        calltree_engine::WalkLimits::default(),
    );
    assert!(report.stuck.is_empty(), "{:?}", report.stuck);
    let coverage = &report.coverage;
    assert!(coverage.unchosen_options().is_empty(), "{coverage:?}");
    let untaken = coverage.untaken_branches();
    assert_eq!(untaken.len(), 1, "{untaken:?}");
    assert_eq!(untaken[0].index, 1, "`if minutes_at_step() > 100`");
}
