//! Regression tests, each named after the bug it pins.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::Project;

fn codes(project: &Project) -> Vec<String> {
    project
        .diagnostics_with_tests()
        .into_iter()
        .flatten()
        .map(|d| format!("{} {}", d.code.id, d.message))
        .collect()
}

#[test]
fn a_misnamed_field_in_a_test_is_reported_once_not_also_as_a_failed_run() {
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: welcome\n\nfield account: text \"Account\" required\n\nnode welcome\n  say \"Hi\"\n  ask account\n  -> done\n\nnode done\n  say \"Bye\"\n  end resolved\n\ntest \"misnamed\"\n  answer account_number \"1\"\n  expect end resolved\n",
    );
    let reported = codes(&project);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].starts_with("E302"));
}

#[test]
fn a_step_that_cannot_be_played_is_explained_where_it_was_tried_not_after_continuing() {
    // `note_text` is optional, so the runner could press Continue all the way to the end and
    // then complain that the call has ended; the first error is the one that explains.
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: welcome\n\nfield note_text: text \"Note\"\n\nnode welcome\n  say \"Hi\"\n  ask note_text\n  -> done\n\nnode done\n  say \"Bye\"\n  end resolved\n\ntest \"wrong option\"\n  choose \"Nope\"\n",
    );
    let reported = codes(&project);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].starts_with("E301"), "{reported:?}");
    let run = project.run_tests();
    let failure = run[0].failure.as_ref().unwrap();
    assert_eq!(
        failure.message,
        "`choose \"Nope\"` cannot be played at `welcome`: this step has no options to choose from",
        "the message names the first error and where it happened"
    );
}

#[test]
fn a_route_with_a_broken_condition_keeps_its_target_reachable() {
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: triage\n\nfield restarts: number = 0\n\nnode triage\n  if restarts >= \"3\" -> technician\n  else -> fixed\n\nnode technician\n  say \"A visit.\"\n  end transferred \"Field\"\n\nnode fixed\n  say \"Fixed.\"\n  end resolved\n",
    );
    let reported = codes(&project);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(
        reported[0].starts_with("E208"),
        "only the type error, no unreachable warning: {reported:?}"
    );
}

#[test]
fn the_first_else_of_a_routing_counts() {
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: triage\n\nnode triage\n  else -> first\n  else -> second\n\nnode first\n  say \"1\"\n  end resolved\n\nnode second\n  say \"2\"\n  end resolved\n",
    );
    let tree = project.tree_by_name("t").unwrap();
    let session =
        calltree_engine::Session::start(&project, tree, calltree_syntax::Audience::Agent, 0)
            .unwrap();
    assert_eq!(session.view().node, "first");
}

#[test]
fn a_node_that_loops_to_itself_is_described_as_one_node() {
    // Read "`a` only lead to each other" and "`a` route to each other" before.
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: a\n\nflag checked\n\nnode a\n  if checked -> a\n  else -> a\n",
    );
    let reported = codes(&project);
    assert!(
        reported.contains(
            &"E206 a call that reaches `a` can never finish: it only leads back to itself"
                .to_owned()
        ),
        "{reported:?}"
    );
    assert!(
        reported.contains(
            &"E224 `a` routes to itself without asking anything, so a call could go round for ever"
                .to_owned()
        ),
        "{reported:?}"
    );
}

/// Issue 14: a test step after the end read "expected the call to wait at `x`, but it is
/// after the call ended at `done`", which reads like a time.
#[test]
fn a_test_that_goes_on_after_the_end_says_the_call_is_over() {
    let project = Project::single(
        "t.tree",
        "tree t \"T\"\n  start: welcome\n\nnode welcome\n  say \"Hi\"\n  -> done\n\nnode done\n  say \"Bye\"\n  end resolved\n\ntest \"too far\"\n  expect node done\n",
    );
    let reported = codes(&project);
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(
        reported[0].ends_with(
            "expected the call to wait at `done`, but it is past the end of the call (it ended at `done`)"
        ),
        "{reported:?}"
    );
}
