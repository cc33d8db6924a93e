//! Values handed in when a call starts (issue 14, item 10): `given` fields, checked like
//! answers, kept in the `Started` event, and old logs without them still load.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::{Event, Given, Project, Session, SessionError};
use calltree_syntax::Audience;

const TREE: &str = "tree popped \"Screen-pop\"\n  start: greet\n\n\
    field account: text \"Account number\" required given pattern \"[0-9]{8}\"\n\
    field campaign: text \"Campaign\" given\n\
    field note_text: text \"Note\"\n\n\
    node greet \"Greet\"\n  say \"Hello, account {account}.\"\n  -> done\n\n\
    node done \"Done\"\n  say \"Bye\"\n  end resolved\n";

fn given(pairs: &[(&str, &str)]) -> Vec<Given> {
    pairs
        .iter()
        .map(|(field, value)| Given {
            field: (*field).to_owned(),
            value: (*value).to_owned(),
        })
        .collect()
}

fn start<'p>(
    project: &'p Project,
    pairs: &[(&str, &str)],
) -> Result<Session<&'p Project>, SessionError> {
    let tree = project.tree_by_name("popped").unwrap();
    Session::start_with(project, tree, Audience::Agent, 0, given(pairs))
}

#[test]
fn a_tree_with_given_fields_checks_cleanly() {
    let project = Project::single("popped.tree", TREE);
    // `campaign` is never read, but it is handed in and kept: not "unused". The read of the
    // required given `account` in `greet` is safe: a call cannot start without it.
    let problems: Vec<String> = project
        .all_diagnostics()
        .filter(|(_, d)| d.code.id != "W254")
        .map(|(_, d)| format!("{} {}", d.code.id, d.message))
        .collect();
    assert_eq!(
        problems,
        ["W252 `note_text` is declared but never asked, set or read in this tree"]
    );
}

#[test]
fn values_handed_in_fill_the_fields_and_are_kept_in_the_started_event() {
    let project = Project::single("popped.tree", TREE);
    let session = start(&project, &[("account", "12345678"), ("campaign", "spring")]).unwrap();
    assert_eq!(session.view().texts[0].text, "Hello, account 12345678.");
    assert_eq!(
        session.answers(),
        [
            ("account".to_owned(), "12345678".to_owned()),
            ("campaign".to_owned(), "spring".to_owned())
        ]
    );
    let line = session.log()[0].to_json_line();
    assert!(
        line.contains(r#""given":[{"field":"account","value":"12345678"},{"field":"campaign","value":"spring"}]"#),
        "{line}"
    );
    // The log folds back to the same call.
    let again = Session::resume(&project, session.log().to_vec()).unwrap();
    assert_eq!(again.state(), session.state());
}

#[test]
fn values_handed_in_are_checked_like_answers() {
    let project = Project::single("popped.tree", TREE);
    let refused = |pairs: &[(&str, &str)]| start(&project, pairs).err().unwrap().to_string();
    assert!(matches!(
        start(&project, &[("account", "123")]),
        Err(SessionError::InvalidAnswer { field, .. }) if field == "account"
    ));
    assert_eq!(
        refused(&[("note_text", "hi"), ("account", "12345678")]),
        "`note_text` cannot be handed in at the start: the tree does not mark it `given`"
    );
    assert_eq!(
        refused(&[("acount", "12345678")]),
        "`acount` cannot be handed in at the start: neither the tree nor a sub-tree it calls has a field of that name"
    );
    assert_eq!(
        refused(&[("campaign", "spring")]),
        "Account number must be handed in when the call starts (`account` is a required given field)"
    );
}

#[test]
fn a_log_written_before_given_values_still_loads() {
    let project = Project::single(
        "plain.tree",
        "tree plain \"Plain\"\n  start: a\n\nnode a \"A\"\n  say \"Hi\"\n  end resolved\n",
    );
    let tree = project.tree_by_name("plain").unwrap();
    let line = format!(
        r#"{{"event":"started","tree":"plain","version":"{}","audience":"agent","at":5}}"#,
        project.session_hash(tree)
    );
    let event = Event::from_json_line(&line).unwrap();
    let session = Session::resume(&project, vec![event.clone()]).unwrap();
    assert!(session.is_finished());
    // Written back without an empty list, as before.
    assert_eq!(event.to_json_line(), line);
}

#[test]
fn a_test_starts_its_call_with_given_values_and_walks_invent_them() {
    let project = Project::single(
        "popped.tree",
        format!(
            "{TREE}\ntest \"the screen-pop fills the account\"\n  given account \"12345678\"\n  \
             expect text contains \"account 12345678\"\n  expect end resolved\n\n\
             test \"without it the call cannot start\"\n  expect end resolved\n"
        ),
    );
    let reports = project.run_tests();
    assert!(reports[0].passed(), "{:?}", reports[0].failure);
    let failure = reports[1].failure.as_ref().unwrap();
    assert!(
        failure
            .message
            .contains("must be handed in when the call starts"),
        "{}",
        failure.message
    );
    let tree = project.tree_by_name("popped").unwrap();
    let walks = calltree_engine::walk_all(
        &project,
        tree,
        Audience::Agent,
        calltree_engine::WalkLimits::default(),
    );
    assert_eq!(walks.finished, walks.walks, "{walks:?}");
    assert!(walks.walks > 0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..proptest::prelude::ProptestConfig::default() })]

    /// Whatever a host hands in, a call starts or is refused with a reason, never panics, and
    /// a started call's log folds back to the same state.
    #[test]
    fn any_values_handed_in_start_a_call_or_are_refused(
        pairs in proptest::collection::vec(
            (
                proptest::sample::select(vec!["account", "campaign", "note_text", "", "x"]),
                "\\PC{0,12}|[0-9]{8}",
            ),
            0..4,
        )
    ) {
        let project = Project::single("popped.tree", TREE);
        let tree = project.tree_by_name("popped").unwrap();
        let given: Vec<Given> = pairs
            .iter()
            .map(|(field, value)| Given { field: (*field).to_owned(), value: value.clone() })
            .collect();
        if let Ok(session) = Session::start_with(&project, tree, Audience::Agent, 0, given) {
            let again = Session::resume(&project, session.log().to_vec()).unwrap();
            proptest::prop_assert_eq!(again.state(), session.state());
            let line = session.log()[0].to_json_line();
            proptest::prop_assert_eq!(Event::from_json_line(&line).unwrap(), session.log()[0].clone());
        }
    }
}

/// Issue 14: a `given` field declared in a sub-tree could not be handed in when the call
/// started, so a screen-pop's account number never reached the sub-tree that reads it.
#[test]
fn a_sub_trees_given_field_is_handed_in_at_the_start() {
    let caller = "tree caller \"Caller\"\n  start: hello\n\n\
        node hello \"Hello\"\n  say \"Hello.\"\n  call lookup -> bye\n\n\
        node bye \"Bye\"\n  say \"Bye.\"\n  end resolved\n";
    let lookup = "tree lookup \"Look-up\"\n  start: find\n\n\
        field account: text \"Account number\" required given\n\n\
        node find \"Find\"\n  say \"Looking up {account}.\"\n  return\n";
    let project = Project::load(vec![
        calltree_engine::SourceInput::new("caller.tree", caller),
        calltree_engine::SourceInput::new("lookup.tree", lookup),
    ]);
    let errors: Vec<String> = project
        .all_diagnostics()
        .filter(|(_, d)| d.is_error())
        .map(|(_, d)| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let tree = project.tree_by_name("caller").unwrap();
    let mut session = Session::start_with(
        &project,
        tree,
        Audience::Agent,
        0,
        given(&[("account", "42")]),
    )
    .unwrap();
    session.apply(Event::Continued { at: 1 }).unwrap();
    assert_eq!(session.view().texts[0].text, "Looking up 42.");
    // Required in the sub-tree means the start cannot go without it.
    assert_eq!(
        Session::start_with(&project, tree, Audience::Agent, 0, Vec::new())
            .err()
            .unwrap()
            .to_string(),
        "Account number must be handed in when the call starts (`account` is a required given field)"
    );
}
