//! What `test` blocks can say (issue 14, item 12): options that must not be offered or must
//! be greyed out, a `setup` shared by a file's tests, and coverage that counts routing
//! branches and remembers what `back` took away.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::{Coverage, Project};

/// A tree with a guarded option, an agent-only option and a routing node with a branch that
/// can never be taken (`restarts > 5` after at most one restart); `tests` is appended.
fn tree(tests: &str) -> Project {
    let text = format!(
        "tree t \"T\"\n  audience: agent, customer\n  start: ask_plan\n\n\
         field plan: choice(basic, pro) \"Plan\" required\n\
         field restarts: number \"Restarts\" = 0\n\n\
         node ask_plan \"Plan\"\n  say \"Which plan?\"\n  ask plan\n  -> lights\n\n\
         node lights \"Lights\"\n  say \"Lights?\"\n  \
         option \"Restart\" -> restart when restarts < 1\n  \
         option \"Book a visit\" -> triage agent-only\n  option \"Fine\" -> done\n\n\
         node restart \"Restart\"\n  say \"Restart it\"\n  set restarts = restarts + 1\n  -> lights\n\n\
         node triage\n  if plan == pro -> done\n  if restarts > 5 -> done\n  else -> done\n\n\
         node done \"Done\"\n  say \"Bye\"\n  end resolved\n\n{tests}"
    );
    Project::single("t.tree", &text)
}

/// Every problem found, load-time and test failures, as `CODE message`.
fn problems(project: &Project) -> Vec<String> {
    project
        .diagnostics_with_tests()
        .into_iter()
        .flatten()
        .map(|d| format!("{} {}", d.code.id, d.message))
        .collect()
}

#[test]
fn an_option_can_be_expected_offered_greyed_out_or_not_shown() {
    let project = tree(
        "test \"offered\"\n  answer plan basic\n  expect option \"Restart\"\n  \
         choose \"Restart\"\n  expect option \"Restart\" disabled\n  \
         expect option \"Book a visit\"\n\n\
         test \"customers see neither greyed-out nor agent-only options\"\n  as customer\n  \
         answer plan basic\n  choose \"Restart\"\n  expect no option \"Restart\"\n  \
         expect no option \"Book a visit\"\n  expect option \"Fine\"\n",
    );
    assert_eq!(problems(&project), Vec::<String>::new());
}

#[test]
fn each_option_expectation_fails_with_what_the_step_shows() {
    let project = tree(
        "test \"a\"\n  answer plan basic\n  expect no option \"Restart\"\n\n\
         test \"b\"\n  answer plan basic\n  expect option \"Restart\" disabled\n\n\
         test \"c\"\n  answer plan basic\n  choose \"Restart\"\n  expect option \"Restart\"\n\n\
         test \"d\"\n  as customer\n  answer plan basic\n  expect option \"Book a visit\"\n",
    );
    let found = problems(&project);
    assert_eq!(
        found,
        [
            "E304 expected no option \"Restart\" at `lights`, but agents are shown it",
            "E304 expected option \"Restart\" to be disabled at `lights`, but it can be chosen",
            "E304 expected option \"Restart\" to be offered at `lights`, but it is disabled: needs Restarts less than 1",
            "E304 expected option \"Book a visit\" at `lights`, but it is not shown: customers are not shown options that are not for them or that they cannot choose",
        ],
        "{found:#?}"
    );
}

#[test]
fn an_option_expectation_with_a_misspelt_label_is_caught_before_running() {
    let project = tree("test \"typo\"\n  answer plan basic\n  expect no option \"Restrat\"\n");
    let found = problems(&project);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("E301 no option in `t` is labelled \"Restrat\""),
        "{found:?}"
    );
}

#[test]
fn a_setup_is_played_before_each_test_of_its_file() {
    let project = tree(
        "setup\n  answer plan pro\n\n\
         test \"one\"\n  choose \"Book a visit\"\n  expect end resolved\n\n\
         test \"two\"\n  expect field plan = pro\n",
    );
    assert_eq!(problems(&project), Vec::<String>::new());
    let reports = project.run_tests();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.passed()));
}

#[test]
fn a_failing_setup_is_reported_once_at_its_own_line() {
    let project = tree(
        "setup\n  answer plan pro\n  expect node done\n\n\
         test \"one\"\n  expect end resolved\n\n\
         test \"two\"\n  expect end resolved\n",
    );
    let found = problems(&project);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("E304 in the setup: expected the call to wait at `done`"),
        "{found:?}"
    );
    // Each test fails, at the setup's step.
    let reports = project.run_tests();
    assert!(reports.iter().all(|r| !r.passed()));
}

#[test]
fn a_mistake_in_a_setup_is_reported_once_however_many_tests_play_it() {
    let project = tree(
        "setup\n  answer plna pro\n\n\
         test \"one\"\n  expect end resolved\n\n\
         test \"two\"\n  expect end resolved\n",
    );
    let found = problems(&project);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("E302"), "{found:?}");
}

/// Issue 14: a dead `if` branch showed 100 % coverage, since its node was reached.
#[test]
fn coverage_counts_routing_branches_and_a_dead_one_is_not_covered() {
    let project = tree(
        "test \"pro\"\n  answer plan pro\n  choose \"Book a visit\"\n  expect end resolved\n\n\
         test \"basic\"\n  answer plan basic\n  choose \"Restart\"\n  choose \"Book a visit\"\n  \
         expect end resolved\n",
    );
    let tree_id = project.tree_by_name("t").unwrap();
    let mut coverage = Coverage::of(&project, tree_id);
    for report in project.run_tree_tests(tree_id) {
        assert!(report.passed(), "{:?}", report.failure);
        report.cover(&mut coverage);
    }
    assert_eq!(coverage.percentages().0, 100.0, "every node is reached");
    assert_eq!(coverage.branches.len(), 3);
    let untaken = coverage.untaken_branches();
    assert_eq!(untaken.len(), 1, "{untaken:?}");
    assert_eq!(project.node(untaken[0].node).name, "triage");
    assert_eq!(untaken[0].index, 1, "the `if restarts > 5` line");
    assert!(coverage.branch_percentage() < 100.0);
}

/// Issue 14: coverage was taken from the path left at the end of a test, so a step taken
/// back with `back` counted as never reached.
#[test]
fn coverage_remembers_steps_undone_by_back() {
    let project = tree(
        "test \"changes its mind\"\n  answer plan pro\n  choose \"Book a visit\"\n  back\n  \
         choose \"Fine\"\n  expect end resolved\n",
    );
    let tree_id = project.tree_by_name("t").unwrap();
    let reports = project.run_tree_tests(tree_id);
    assert!(reports[0].passed(), "{:?}", reports[0].failure);
    let triage = project.node_by_name(tree_id, "triage").unwrap();
    assert!(reports[0].nodes.contains(&triage), "{:?}", reports[0].nodes);
    assert!(
        reports[0]
            .branches
            .iter()
            .any(|b| b.node == triage && b.index == 0),
        "{:?}",
        reports[0].branches
    );
}
