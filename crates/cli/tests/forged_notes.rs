//! Issue 16's forged-notes attack, replayed end to end: a customer types an email answer
//! with line breaks and a section of "Notes:" of their own, asks for a person, and an agent
//! takes the session over in the terminal and in the desktop app. Before the fix the web
//! stored the answer and both hosts printed it raw, so the agent read a separate "Notes:
//! Identity verified by the agent" that nobody wrote. Now the web refuses the answer, and a
//! session stored with it (as an older calltree stored it) shows it on one line.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use calltree_calls::{MemoryCalls, SessionDatabase};
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings};
use calltree_engine::{Event, Project, Session, is_hidden_control};
use calltree_store::Store;
use calltree_syntax::Audience;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use support::{serve, start, take_over_in_the_terminal};

const LOGIN: &str = r#"tree login "Can't sign in"
  audience: agent, customer
  escalation: "Accounts"
  start: email

field login_email: text "Email" required pattern "[^@ ]+@[^@ ]+\.[^@ ]+" "an email address like name@example.com"

node email "Your email"
  say "Which email do you sign in with?"
  ask login_email
  -> reset

node reset "Reset"
  say "We sent a reset link to {login_email}."
  option "It worked" -> done
  option "It did not" -> stuck

node stuck "Stuck"
  say "Our accounts team will help."
  end escalated "Accounts"

node done "Done"
  end resolved
"#;

/// The answer from the issue, as the customer typed it.
const FORGED: &str = "jo@example.com\n\nNotes:\n-\u{a0}Identity\u{a0}verified\u{a0}by\u{a0}the\u{a0}agent\u{a0}-\u{a0}approved\u{a0}for\u{a0}immediate\u{a0}reset\u{1b}]0;owned\u{7}";

/// The same answer as the browser posts it.
const FORGED_FORM: &str = "jo%40example.com%0A%0ANotes%3A%0A-%C2%A0Identity%C2%A0verified%C2%A0by%C2%A0the%C2%A0agent%C2%A0-%C2%A0approved%C2%A0for%C2%A0immediate%C2%A0reset%1B%5D0%3Bowned%07";

/// Whether `text` shows a line "Notes:" of its own, or anything a terminal would act on.
fn forged(text: &str) -> bool {
    text.lines().any(|line| line.trim() == "Notes:")
        || text.chars().any(|c| c != '\n' && is_hidden_control(c))
}

/// The customer on the web: the forged answer is refused on its field; asking for a person
/// then keeps nothing of it. Returns the handoff code.
fn on_the_web(dir: &Path) -> String {
    let server = serve(dir);
    let visit = start(server.port, "login");
    let refused = visit.submit(&format!("login_email={FORGED_FORM}&go=continue"));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .to_lowercase()
            .contains("keep this on one line"),
        "{}",
        refused.body
    );
    let person = visit.submit(&format!("login_email={FORGED_FORM}&go=person"));
    assert_eq!(person.status, 303, "{}", person.body);
    visit.handoff_code()
}

/// A session stored with the forged answer, as a calltree before the fix stored it, waiting
/// for an agent. Returns its handoff code.
fn stored_before_the_fix(db: &Path) -> String {
    let store = Store::open(db).unwrap();
    let project = Arc::new(Project::single("login.tree", LOGIN));
    let tree = project.tree_by_name("login").unwrap();
    // Times of today: a handoff code expires a day after the customer asked for a person.
    let at = calltree_calls::now();
    let started = Session::start(project, tree, Audience::Customer, at)
        .unwrap()
        .log()[0]
        .clone();
    let id = store.create_session(&started).unwrap().id;
    store
        .append_all(
            &id,
            1,
            &[
                Event::Answered {
                    field: "login_email".into(),
                    value: FORGED.into(),
                    at: at + 1_000,
                },
                Event::Escalated {
                    reason: "customer asked for a person".into(),
                    at: at + 2_000,
                },
            ],
        )
        .unwrap();
    store.handoff(&id).unwrap()
}

/// The agent takes the session over in the terminal and stops at the first prompt. Returns
/// what the terminal showed.
fn in_the_terminal(dir: &Path, code: &str) -> String {
    let shown = take_over_in_the_terminal(dir, code, ":quit\n");
    assert!(
        shown.contains("Taking over the customer's session"),
        "{shown}"
    );
    shown
}

/// Every text on the desktop's screen that mentions notes (egui gives a label's text as
/// its value).
fn labels_with_notes(harness: &Harness<'_, DesktopApp>) -> Vec<String> {
    harness
        .query_all_by_label_contains("Notes:")
        .filter_map(|node| {
            let node = node.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect()
}

#[test]
fn a_forged_notes_section_never_reaches_the_agent_as_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/login.tree"), LOGIN).unwrap();
    let db = dir.path().join("sessions.db");

    // Today: the web refuses the answer, and the handed-over session holds none of it.
    let code = on_the_web(dir.path());
    let shown = in_the_terminal(dir.path(), &code);
    assert!(!shown.contains("Identity"), "{shown}");
    assert!(!forged(&shown), "{shown}");

    // Before the fix: the answer is stored. Taking over shows it, on one line.
    let old = stored_before_the_fix(&db);
    let shown = in_the_terminal(dir.path(), &old);
    assert!(!forged(&shown), "{shown}");
    assert!(
        shown.contains("- Email: jo@example.com / Notes: / -\u{a0}Identity"),
        "{shown}"
    );
    assert!(shown.contains("[U+001B]]0;owned[U+0007]"), "{shown}");
    // The prompt says what the answer must be, in the pattern's words.
    assert!(
        shown.contains("Email (an email address like name@example.com, Enter to keep"),
        "{shown}"
    );

    // The desktop app takes over a second copy of it (the terminal took the first, and
    // paused it as the agent's call).
    let again = stored_before_the_fix(&db);
    let app = DesktopApp::new(
        Box::new(MemoryFolder::new([("login.tree", LOGIN)])),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 10_000),
        Settings {
            mode: Mode::Agent,
            ..Settings::default()
        },
    )
    .unwrap();
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1100.0, 800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    harness.state_mut().handoffs = Some(Box::new(SessionDatabase::new(db.clone())));
    harness.run();
    let label = "Customer's handoff code (Ctrl+H)";
    harness.get_by_label(label).focus();
    harness.run();
    harness.get_by_label(label).type_text(&again);
    harness.run();
    harness.get_by_label("Take over").click();
    harness.run();
    assert!(harness.query_all_by_label("Your email").next().is_some());
    let captured = labels_with_notes(&harness);
    assert!(
        !captured.is_empty(),
        "the answer is shown in the side panel"
    );
    for text in &captured {
        assert!(!forged(text), "{text:?}");
    }
    // The agent finishes the call; the summary for the CRM shows the answer on one line.
    harness.get_by_label("Continue Enter").click();
    harness.run();
    harness.get_by_label("2  It did not").click();
    harness.run();
    let summary = labels_with_notes(&harness)
        .into_iter()
        .find(|text| text.starts_with("Call summary"))
        .unwrap();
    assert!(
        summary.contains("- Email: jo@example.com / Notes: / -\u{a0}Identity"),
        "{summary}"
    );
    assert!(!forged(&summary), "{summary}");
}
