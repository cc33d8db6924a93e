//! Issue 16: a customer could forge what the agent reads. An email pattern like
//! `[^@ ]+@[^@ ]+\.[^@ ]+` accepts line breaks, escape sequences and right-to-left overrides,
//! and every host printed answers as they were, so one answer could add a "Notes:" section of
//! its own to the call summary, or clear the agent's terminal. The step now refuses hidden
//! characters, with a message on the field, and what older logs hold is shown neutralised.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::sync::Arc;

use calltree_engine::{
    Action, Event, Project, Session, SessionError, Step, is_hidden_control, show_line,
};
use calltree_syntax::Audience;

const LOGIN: &str = r#"
tree login "Can't sign in"
  audience: agent, customer
  start: email

field login_email: text "Email" required pattern "[^@ ]+@[^@ ]+\.[^@ ]+"

node email "Your email"
  say "Which email do you sign in with?"
  ask login_email
  -> reset

node reset "Reset"
  say "We sent a reset link to {login_email}."
  option "It worked" -> survey
  option "It did not" -> stuck

node stuck "Stuck"
  end escalated "Accounts"

feedback survey "How did we do?"
  comment remarks "Anything we could do better?"
  -> done

node done "Done"
  end resolved
"#;

/// The answer from the issue: an email, two line breaks and a forged section of notes,
/// spaced with no-break spaces so the pattern's `[^@ ]` accepts it.
const FORGED: &str = "jo@example.com\n\nNotes:\n-\u{a0}Identity\u{a0}verified\u{a0}by\u{a0}the\u{a0}agent\u{a0}-\u{a0}approved\u{a0}for\u{a0}immediate\u{a0}reset";

fn project() -> Arc<Project> {
    let project = Arc::new(Project::single("login.tree", LOGIN));
    assert!(
        !project.has_errors(),
        "{:?}",
        project.all_diagnostics().collect::<Vec<_>>()
    );
    project
}

fn session(audience: Audience) -> Session {
    let project = project();
    let tree = project.tree_by_name("login").unwrap();
    Session::start(project, tree, audience, 1_000).unwrap()
}

fn answer(field: &str, text: &str, action: Option<Action>) -> Step {
    Step {
        answers: vec![(field.to_owned(), text.to_owned())],
        action,
    }
}

#[test]
fn an_answer_with_a_line_break_is_refused_on_its_field() {
    let call = session(Audience::Customer);
    let refusal = call
        .submit(
            &answer("login_email", FORGED, Some(Action::Continue)),
            2_000,
        )
        .unwrap_err();
    assert_eq!(
        refusal.field("login_email"),
        Some("please keep this on one line")
    );
    assert_eq!(refusal.step, None);
}

#[test]
fn escape_sequences_separators_and_bidirectional_marks_are_refused() {
    let call = session(Audience::Customer);
    for hidden in [
        "\u{1b}]0;owned\u{7}",
        "\u{1b}[2J",
        "\u{7f}",
        "\u{85}",
        "\u{9b}",
        "\u{2028}",
        "\u{2029}",
        "\u{202e}",
        "\u{2067}",
        "\u{200f}",
        "\u{61c}",
        "\t",
    ] {
        let typed = format!("jo{hidden}x@example.com");
        let refusal = call
            .submit(
                &answer("login_email", &typed, Some(Action::Continue)),
                2_000,
            )
            .unwrap_err();
        let message = refusal.field("login_email").unwrap();
        assert!(
            message.contains("hidden character") || message.contains("one line"),
            "{hidden:?}: {message}"
        );
    }
    // What looks like ordinary text passes: no-break spaces, accents, other scripts, emoji
    // with their joiners.
    for fine in [
        "jo\u{a0}smith@example.com",
        "zoë@example.com",
        "\u{5d0}\u{5d1}@example.com",
        "a\u{200d}b@example.com",
    ] {
        assert!(
            call.submit(&answer("login_email", fine, Some(Action::Continue)), 2_000)
                .is_ok(),
            "{fine:?}"
        );
    }
}

#[test]
fn a_comment_may_have_lines_however_the_browser_sends_them() {
    let mut call = session(Audience::Customer);
    let step = answer("login_email", "jo@example.com", Some(Action::Continue));
    let submission = call.submit(&step, 2_000).unwrap();
    call.commit(submission).unwrap();
    let submission = call
        .submit(&Step::action(Action::Choose(0)), 3_000)
        .unwrap();
    call.commit(submission).unwrap();
    let submission = call
        .submit(
            &answer("remarks", "Quick.\r\nThanks!\rBye", Some(Action::Continue)),
            4_000,
        )
        .unwrap();
    assert!(matches!(
        &submission.events()[0],
        Event::Answered { value, .. } if value == "Quick.\nThanks!\nBye"
    ));
    let refusal = call
        .submit(
            &answer("remarks", "Quick.\n\u{1b}[2J", Some(Action::Continue)),
            4_000,
        )
        .unwrap_err();
    assert!(
        refusal
            .field("remarks")
            .unwrap()
            .contains("hidden character (U+001B)")
    );
}

#[test]
fn notes_and_reasons_may_have_lines_but_no_other_hidden_characters() {
    let call = session(Audience::Agent);
    let submission = call
        .submit(
            &Step::action(Action::Note("Called twice.\r\nAsked for Sam.".into())),
            2_000,
        )
        .unwrap();
    assert!(matches!(
        &submission.events()[0],
        Event::Noted { text, .. } if text == "Called twice.\nAsked for Sam."
    ));
    for action in [
        Action::Note("ok\u{1b}[2J".into()),
        Action::Escalate("needs\u{202e}fix".into()),
        Action::Skip("x\u{0}".into()),
    ] {
        let refusal = call.submit(&Step::action(action), 2_000).unwrap_err();
        assert!(
            matches!(refusal.step, Some(SessionError::HiddenCharacter { .. })),
            "{refusal}"
        );
    }
}

/// A log written before the rule: the forged answer was stored. It still loads, and every
/// way of showing it keeps it on one line.
#[test]
fn an_old_log_with_a_forged_answer_loads_and_shows_on_one_line() {
    let project = project();
    let tree = project.tree_by_name("login").unwrap();
    let started = Session::start(Arc::clone(&project), tree, Audience::Customer, 1_000)
        .unwrap()
        .log()
        .to_vec();
    let mut log = started;
    log.push(Event::Answered {
        field: "login_email".into(),
        value: format!("{FORGED}\u{1b}]0;owned\u{7}\u{202e}"),
        at: 2_000,
    });
    log.push(Event::Continued { at: 2_000 });
    log.push(Event::Escalated {
        reason: "customer asked for a person\nNotes:\n- forged".into(),
        at: 3_000,
    });
    let call = Session::resume(project, log).unwrap();
    let summary = call.summary().to_plain_text();
    assert!(
        !summary.lines().any(|line| line.trim() == "Notes:"),
        "{summary}"
    );
    assert!(
        !summary.chars().any(|c| c != '\n' && is_hidden_control(c)),
        "{summary:?}"
    );
    assert!(
        summary.contains("- Email: jo@example.com / Notes: / -\u{a0}Identity"),
        "{summary}"
    );
    assert!(
        summary.contains("[U+001B]]0;owned[U+0007][U+202E]"),
        "{summary}"
    );
    for text in call.view().texts.iter().map(|t| &t.text) {
        assert!(!text.chars().any(is_hidden_control), "{text:?}");
    }
    // The answer as it was stored is still the session's own (a transfer carries it).
    assert!(call.answers()[0].1.starts_with(FORGED));
}

#[test]
fn an_old_answer_sent_back_as_it_was_shown_is_not_a_change() {
    let project = project();
    let tree = project.tree_by_name("login").unwrap();
    let mut log = Session::start(Arc::clone(&project), tree, Audience::Customer, 1_000)
        .unwrap()
        .log()
        .to_vec();
    log.push(Event::Answered {
        field: "login_email".into(),
        value: FORGED.into(),
        at: 2_000,
    });
    let call = Session::resume(project, log).unwrap();
    let shown = call.view().fields[0].value.clone().unwrap();
    assert_eq!(shown, show_line(FORGED));
    let submission = call
        .submit(&answer("login_email", &shown, None), 3_000)
        .unwrap();
    assert!(submission.events().is_empty());
}

/// Reports print reasons and comments (text, CSV, JSON): an old log's hidden characters
/// reach them neutralised, never a line break or an escape sequence.
#[test]
fn reports_show_old_reasons_and_comments_on_one_line() {
    let project = project();
    let tree = project.tree_by_name("login").unwrap();
    let mut log = Session::start(Arc::clone(&project), tree, Audience::Customer, 1_000)
        .unwrap()
        .log()
        .to_vec();
    log.extend([
        Event::Answered {
            field: "login_email".into(),
            value: "jo@example.com".into(),
            at: 2_000,
        },
        Event::Continued { at: 2_000 },
        Event::Chose {
            option: 0,
            label: "It worked".into(),
            at: 3_000,
        },
        Event::Answered {
            field: "remarks".into(),
            value: "Fine\n\nNotes:\n- refund approved\u{1b}[2J".into(),
            at: 4_000,
        },
        Event::Escalated {
            reason: "asked\nNotes:\n- forged\u{202e}".into(),
            at: 5_000,
        },
    ]);
    let mut report = calltree_engine::Report::new(calltree_engine::ReportFilter::default());
    report.add_session(Some(&project), &log);
    let data = report.finish();
    let figures = &data.trees["login"].total;
    let reason = &figures.escalation_reasons.top[0].value;
    assert_eq!(reason, "asked / Notes: / - forged[U+202E]");
    let comment = &figures.comments["remarks"][0].text;
    assert_eq!(comment, "Fine / Notes: / - refund approved[U+001B][2J");
}
