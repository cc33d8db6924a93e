//! The step protocol: what a person typed and pressed at one step becomes the same events in
//! every host. Each test states one rule of `Session::submit`.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::sync::Arc;

use calltree_engine::{
    Action, Event, MAX_ANSWER_CHARS, Project, Session, SessionError, Step, folds_on_this_thread,
};
use calltree_syntax::Audience;

const SIGNUP: &str = r#"
tree signup "Sign up"
  audience: agent, customer
  start: details

field name: text "Your name" required
field email: text "Email" pattern "[^@ ]+@[^@ ]+"
field age: number "Age" range 0..120
field plan: choice(basic "Basic plan", pro "Pro plan") "Plan"

node details "Details"
  say "Let's get you signed up."
  ask name, email, age
  -> pick

node pick "Plan"
  say "Which plan, {name}?"
  ask plan
  option "Go basic" -> done when plan == basic
  option "Go pro" -> done when plan == pro
  option "Not now" -> later

node done "Done"
  say "Welcome aboard."
  end resolved

node later "Later"
  say "Come back any time."
  end abandoned
"#;

fn session() -> Session {
    let project = Arc::new(Project::single("signup.tree", SIGNUP));
    assert!(!project.has_errors());
    let tree = project.tree_by_name("signup").unwrap();
    Session::start(project, tree, Audience::Agent, 1_000).unwrap()
}

fn step(answers: &[(&str, &str)], action: Option<Action>) -> Step {
    Step {
        answers: answers
            .iter()
            .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
            .collect(),
        action,
    }
}

/// Submits and commits, as a host does once the events are stored.
fn play(session: &mut Session, step: &Step, at: i64) -> Vec<Event> {
    let submission = session.submit(step, at).unwrap();
    let events = submission.events().to_vec();
    session.commit(submission).unwrap();
    events
}

#[test]
fn answers_are_recorded_in_the_order_the_step_asks_them_trimmed() {
    let mut call = session();
    let events = play(
        &mut call,
        &step(
            &[("age", " 41 "), ("name", "  Jo Smith\n")],
            Some(Action::Continue),
        ),
        2_000,
    );
    assert_eq!(
        events,
        vec![
            Event::Answered {
                field: "name".into(),
                value: "Jo Smith".into(),
                at: 2_000
            },
            Event::Answered {
                field: "age".into(),
                value: "41".into(),
                at: 2_000
            },
            Event::Continued { at: 2_000 },
        ]
    );
}

#[test]
fn an_empty_box_for_a_field_with_no_value_and_an_unchanged_answer_are_not_events() {
    let mut call = session();
    let events = play(
        &mut call,
        &step(
            &[("name", "Jo"), ("email", ""), ("age", "   ")],
            Some(Action::Continue),
        ),
        2_000,
    );
    assert_eq!(events.len(), 2, "{events:?}");
    play(&mut call, &Step::action(Action::Back), 3_000);
    // Back on "details": Jo is still the name; sending it again records nothing.
    let events = play(&mut call, &step(&[("name", "Jo")], None), 4_000);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_refused_answer_refuses_the_whole_step_and_says_why_beside_each_field() {
    let call = session();
    let before = call.state().clone();
    let refusal = call
        .submit(
            &step(
                &[("name", "Jo"), ("email", "nope"), ("age", "old")],
                Some(Action::Continue),
            ),
            2_000,
        )
        .unwrap_err();
    assert_eq!(refusal.fields.len(), 2, "{refusal}");
    assert!(refusal.field("email").unwrap().contains("not in the form"));
    assert_eq!(refusal.field("age"), Some("\"old\" is not a number"));
    assert!(refusal.field("name").is_none());
    assert_eq!(call.state(), &before);
    assert_eq!(call.log().len(), 1);
}

#[test]
fn a_required_field_left_empty_is_refused_beside_that_field() {
    let call = session();
    let refusal = call
        .submit(&Step::action(Action::Continue), 2_000)
        .unwrap_err();
    assert_eq!(
        refusal.field("name"),
        Some("an answer is needed before moving on")
    );
    assert_eq!(
        refusal.to_string(),
        "Your name: an answer is needed before moving on"
    );
}

#[test]
fn leaving_a_step_keeps_the_good_answers_and_drops_the_refused_ones() {
    let mut call = session();
    let events = play(
        &mut call,
        &step(
            &[("name", "Jo"), ("email", "nope")],
            Some(Action::Escalate("  customer asked for a person \n".into())),
        ),
        2_000,
    );
    assert_eq!(
        events,
        vec![
            Event::Answered {
                field: "name".into(),
                value: "Jo".into(),
                at: 2_000
            },
            Event::Escalated {
                reason: "customer asked for a person".into(),
                at: 2_000
            },
        ]
    );
    assert!(call.is_finished());
}

#[test]
fn notes_and_reasons_need_words() {
    let call = session();
    for action in [
        Action::Note(" \n ".into()),
        Action::Skip(String::new()),
        Action::Escalate("  ".into()),
        Action::End(calltree_engine::EndCause::Other, "\t".into()),
    ] {
        let refusal = call
            .submit(&Step::action(action.clone()), 2_000)
            .unwrap_err();
        assert!(
            matches!(refusal.step, Some(SessionError::NeedsWords(_))),
            "{action:?}: {refusal}"
        );
    }
    assert_eq!(
        call.submit(&Step::action(Action::Skip(String::new())), 2_000)
            .unwrap_err()
            .to_string(),
        "a skipped step needs a reason"
    );
}

#[test]
fn a_note_takes_no_answers_and_answers_over_the_limit_are_refused() {
    let mut call = session();
    let events = play(
        &mut call,
        &step(
            &[("name", "Jo")],
            Some(Action::Note("calling from work".into())),
        ),
        2_000,
    );
    assert_eq!(
        events,
        vec![Event::Noted {
            text: "calling from work".into(),
            at: 2_000
        }]
    );
    let long = "x".repeat(MAX_ANSWER_CHARS + 1);
    let refusal = call
        .submit(&step(&[("name", &long)], None), 3_000)
        .unwrap_err();
    assert!(refusal.field("name").unwrap().contains("under 2000"));
}

#[test]
fn an_answer_to_a_field_the_step_does_not_ask_is_refused() {
    let call = session();
    let refusal = call
        .submit(&step(&[("plan", "pro")], Some(Action::Continue)), 2_000)
        .unwrap_err();
    assert_eq!(refusal.field("plan"), Some("this step does not ask it"));
}

#[test]
fn a_choice_answered_with_the_option_is_one_step_and_back_undoes_it() {
    let mut call = session();
    play(
        &mut call,
        &step(&[("name", "Jo")], Some(Action::Continue)),
        2_000,
    );
    let pro = call
        .view()
        .options
        .iter()
        .find(|o| o.label == "Go pro")
        .unwrap()
        .index;
    // Before the plan is answered, "Go pro" is not available.
    assert!(
        call.submit(&Step::action(Action::Choose(pro)), 3_000)
            .is_err()
    );
    let events = play(
        &mut call,
        &step(&[("plan", "pro")], Some(Action::Choose(pro))),
        3_000,
    );
    assert_eq!(events.len(), 2);
    assert!(call.is_finished());
    play(&mut call, &Step::action(Action::Back), 4_000);
    assert!(!call.is_finished());
    assert_eq!(call.view().node, "pick");
}

#[test]
fn a_submission_worked_out_on_an_older_state_cannot_be_committed() {
    let mut call = session();
    let first = call.submit(&step(&[("name", "Jo")], None), 2_000).unwrap();
    let second = call.submit(&step(&[("name", "Al")], None), 2_000).unwrap();
    call.commit(first).unwrap();
    assert_eq!(call.commit(second), Err(SessionError::StaleSubmission));
}

#[test]
fn a_preview_shows_typed_answers_and_their_problems_without_storing_anything() {
    let mut call = session();
    play(
        &mut call,
        &step(&[("name", "Jo")], Some(Action::Continue)),
        2_000,
    );
    let preview = call.preview(&[("plan".into(), "pro".into())]);
    let pro = preview
        .view
        .options
        .iter()
        .find(|o| o.label == "Go pro")
        .unwrap();
    assert!(pro.enabled);
    assert_eq!(call.log().len(), 3);
    let preview = call.preview(&[("plan".into(), "gold".into())]);
    assert_eq!(preview.problems.len(), 1);
}

#[test]
fn no_step_folds_the_log_again_not_even_back() {
    let mut call = session();
    let before = folds_on_this_thread();
    play(
        &mut call,
        &step(&[("name", "Jo")], Some(Action::Continue)),
        2_000,
    );
    let _ = call.preview(&[("plan".into(), "pro".into())]);
    let _ = call.view();
    assert_eq!(folds_on_this_thread(), before);
    play(&mut call, &Step::action(Action::Back), 3_000);
    assert_eq!(folds_on_this_thread(), before);
}

#[test]
fn ending_a_call_early_keeps_its_cause_and_needs_words_only_for_other_causes() {
    use calltree_engine::EndCause;
    let mut call = session();
    let events = play(
        &mut call,
        &Step::action(Action::End(EndCause::WrongScript, String::new())),
        2_000,
    );
    assert_eq!(
        events,
        vec![Event::Ended {
            reason: "wrong script".into(),
            cause: EndCause::WrongScript,
            at: 2_000
        }]
    );
    let ended = call.view().ended.unwrap();
    assert_eq!(ended.cause, Some(EndCause::WrongScript));
    assert!(
        call.submit(
            &Step::action(Action::End(EndCause::Other, " ".into())),
            3_000
        )
        .is_err()
    );
    // Logs from before causes were kept read as "other".
    let old = Event::from_json_line(r#"{"event":"ended","reason":"line dropped","at":5}"#);
    assert!(matches!(
        old,
        Ok(Event::Ended {
            cause: EndCause::Other,
            ..
        })
    ));
    assert!(!events[0].to_json_line().contains("other"));
}

/// Issue 15: escalating on the first step showed the greeting as if it were the ending.
#[test]
fn a_call_left_from_a_step_shows_none_of_that_steps_lines() {
    let mut call = session();
    play(
        &mut call,
        &Step::action(Action::Escalate("caller wants a manager".into())),
        2_000,
    );
    let view = call.view();
    assert!(view.ended.is_some());
    assert!(view.texts.is_empty(), "{:?}", view.texts);
}

#[test]
fn progress_counts_the_steps_shown_and_the_fewest_to_an_ending() {
    let mut call = session();
    let progress = call.view().progress;
    assert_eq!((progress.done, progress.left), (1, Some(3)));
    play(
        &mut call,
        &step(&[("name", "Jo")], Some(Action::Continue)),
        2_000,
    );
    let progress = call.view().progress;
    assert_eq!((progress.done, progress.left), (2, Some(2)));
}

#[test]
fn trees_that_return_to_a_caller_are_sub_trees() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let inputs = ["identity_check.tree", "billing_dispute.tree"]
        .iter()
        .map(|name| {
            calltree_engine::SourceInput::new(
                *name,
                std::fs::read_to_string(dir.join(name)).unwrap(),
            )
        })
        .collect();
    let project = Project::load(inputs);
    let identity = project.tree_by_name("identity_check").unwrap();
    let billing = project.tree_by_name("billing_dispute").unwrap();
    assert!(project.is_sub_tree(identity));
    assert!(!project.is_sub_tree(billing));
}

/// Issue 16: a step reported one kind of problem per round trip (a bad answer first, the
/// missing required one only after it was fixed). Every problem of a step comes at once, in
/// the order the step asks its fields.
#[test]
fn every_problem_of_a_step_is_reported_at_once_in_the_steps_order() {
    let call = session();
    let refusal = call
        .submit(
            &step(&[("age", "old"), ("email", "nope")], Some(Action::Continue)),
            2_000,
        )
        .unwrap_err();
    let fields: Vec<&str> = refusal.fields.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["name", "email", "age"], "{refusal}");
    assert_eq!(
        refusal.field("name"),
        Some("an answer is needed before moving on")
    );
}

#[test]
fn a_pattern_with_words_says_them_to_the_person() {
    let project = Arc::new(Project::single(
        "account.tree",
        r#"
tree account "Account"
  start: ask_it

field account: text "Account number" required pattern "[0-9]{8}" "an 8-digit account number, like 12345678"

node ask_it "Account"
  ask account
  -> done

node done "Done"
  end resolved
"#,
    ));
    assert!(!project.has_errors());
    let tree = project.tree_by_name("account").unwrap();
    let call = Session::start(Arc::clone(&project), tree, Audience::Agent, 1_000).unwrap();
    let refusal = call
        .submit(
            &step(&[("account", "12 345")], Some(Action::Continue)),
            2_000,
        )
        .unwrap_err();
    assert_eq!(
        refusal.field("account"),
        Some("please enter an 8-digit account number, like 12345678")
    );
    let field = &call.view().fields[0];
    assert_eq!(
        field.hint.as_deref(),
        Some("an 8-digit account number, like 12345678")
    );
    assert_eq!(field.purpose, Some(calltree_engine::Purpose::Digits));
    assert_eq!(field.max_chars, MAX_ANSWER_CHARS);
}

/// Issue 14: `skip` got past required fields, so the next step read "Which plan, —?".
/// Skipping is refused with the fields named; answering first, or escalating, still works.
#[test]
fn a_step_with_unanswered_required_fields_cannot_be_skipped() {
    let mut call = session();
    let refusal = call
        .submit(&step(&[], Some(Action::Skip("in a hurry".into()))), 2_000)
        .unwrap_err();
    match &refusal.step {
        Some(SessionError::RequiredNotSkippable { fields, labels }) => {
            assert_eq!(fields, &["name"]);
            assert_eq!(labels, &["Your name"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        refusal.to_string().contains(
            "this step cannot be skipped: Your name must be answered first (or escalate or end the call)"
        ),
        "{refusal}"
    );
    let events = play(
        &mut call,
        &step(&[("name", "Jo")], Some(Action::Skip("in a hurry".into()))),
        2_000,
    );
    assert!(
        matches!(events.last(), Some(Event::Skipped { .. })),
        "{events:?}"
    );
    assert!(call.view().title.contains("Plan"), "moved on once answered");
}
