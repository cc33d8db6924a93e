//! `calltree serve` and `calltree run --handoff`, end to end with the real binary: a customer
//! walks a tree over real HTTP, asks for a person, and an agent takes the session over in the
//! terminal with the customer's answers already there; the outcome lands on the same session.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use std::process::Command;

use support::{get, hidden, serve, start, take_over_in_the_terminal};

use calltree_engine::Event;
use calltree_store::Store;

const WIFI: &str = r#"tree wifi "Wi-Fi not working"
  audience: agent, customer
  escalation: "Broadband desk"
  start: router_lights

field postcode: text "Postcode" required

node router_lights "Router lights"
  say "Are the lights on your router green?"
  ask postcode
  option "All green" -> fixed
  option "Red light" -> engineer
  option "Line test shows a fault" -> engineer agent-only

node fixed "Working again"
  say "Great, you're back online."
  end resolved

node engineer "Engineer needed"
  say "We'll send an engineer."
  end escalated "Field engineers"
"#;

#[test]
fn a_customer_hands_over_to_an_agent_who_finishes_the_same_session() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/wifi.tree"), WIFI).unwrap();

    let code = {
        let server = serve(dir.path());
        let visit = start(server.port, "wifi");
        assert_eq!(visit.page().status, 200);
        let csrf = hidden(&visit.page().body, "csrf");
        // The customer answers, then asks for a person instead of choosing.
        let asked = visit.submit("postcode=SW1A+1AA&go=continue");
        assert_eq!(asked.status, 422, "no option chosen yet: {}", asked.body);
        let person = visit.submit("postcode=SW1A+1AA&go=person");
        assert_eq!(person.status, 303, "{}", person.body);
        let code = visit.handoff_code();
        // The log holds no secrets and no answers.
        let log = server.stop();
        let token = visit.cookie.split('=').nth(1).unwrap();
        assert!(!log.contains(token), "{log}");
        assert!(!log.contains(&csrf), "{log}");
        assert!(!log.contains("SW1A"), "{log}");
        code
    };

    // The agent sees the step as the customer left it, postcode included (Enter keeps it),
    // and finishes with an option only agents have.
    let shown = take_over_in_the_terminal(dir.path(), &code.to_lowercase(), "\n3\n");
    assert!(
        shown.contains("Taking over the customer's session"),
        "{shown}"
    );
    assert!(
        shown.contains("Line test shows a fault"),
        "agent-only options are offered: {shown}"
    );
    assert!(shown.contains("escalated"), "{shown}");

    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let id = store.find_handoff(&code).unwrap().unwrap();
    let info = store.session(&id).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("escalated"));
    let events = store.events(&id).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::TakenOver { .. })));
}

/// Issue 16: a customer-only tree handed out codes that no agent could take over ("tree
/// `parcel` does not serve agents"). Agents may take over any tree.
#[test]
fn a_session_of_a_tree_for_customers_only_is_taken_over_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(
        dir.path().join("trees/parcel.tree"),
        r#"tree parcel "Where is my parcel?"
  audience: customer
  start: number

field tracking: text "Tracking number" required

node number "Your parcel"
  customer "What is the tracking number?"
  ask tracking
  option "Found it" -> found

node found "Found"
  customer "Glad it turned up."
  end resolved
"#,
    )
    .unwrap();
    let code = {
        let server = serve(dir.path());
        let visit = start(server.port, "parcel");
        let person = visit.submit("tracking=TR-1&go=person");
        assert_eq!(person.status, 303, "{}", person.body);
        visit.handoff_code()
    };
    let shown = take_over_in_the_terminal(dir.path(), &code, "\n1\n");
    assert!(shown.contains("What is the tracking number?"), "{shown}");
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let session = store.sessions(None, None, 10).unwrap().pop().unwrap();
    assert_eq!(session.outcome.as_deref(), Some("resolved"));
}

#[test]
fn a_wrong_handoff_code_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path().join("sessions.db")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["run", "--handoff", "ZZZZ-ZZZZ", "--db", "sessions.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("no session has the handoff code"),
        "{message}"
    );
}

#[test]
fn a_tree_of_tab_separated_operators_dropped_into_the_folder_kills_the_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/wifi.tree"), WIFI).unwrap();
    let mut server = serve(dir.path());
    assert_eq!(get(server.port, "/", "").status, 200);

    // 18 KB: 3,000 `and`s separated by tabs, which the nesting limit used not to count.
    let deep = format!(
        "tree deep \"Deep\"\n  start: a\n\nfield x: yesno \"X\" = yes\n\nnode a\n  if x{} -> b\n  else -> b\n\nnode b\n  end resolved\n",
        "\tand\tx".repeat(3_000)
    );
    std::fs::write(dir.path().join("trees/deep.tree"), deep).unwrap();
    // The folder is looked at again at most once a second, when a page is asked for.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let _ = std::panic::catch_unwind(|| get(server.port, "/", ""));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server stopped when the file arrived"
    );
    assert_eq!(get(server.port, "/", "").status, 200);
    let log = server.stop();
    assert!(!log.contains("overflow"), "{log}");
}
