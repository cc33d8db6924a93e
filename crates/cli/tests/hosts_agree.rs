//! The hosts agree because they share one host kit: the same call played in the terminal
//! (`calltree run`), in the desktop app (agent mode, driven headless) and on the web (the real
//! `calltree serve` over HTTP) makes the same events; and the desktop's Insights and
//! `calltree report --db` give the same figures on one database. Both pin bugs of issue 12:
//! the desktop recorded an answer for a box left empty, and its Insights rebuilt sessions
//! only on today's trees.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;

use calltree_calls::{Call, DatabaseCalls, MemoryCalls, StoredSessions, Versions};
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings};
use calltree_engine::{Action, Event, Project, Step, synthetic_sessions};
use calltree_store::Store;
use calltree_syntax::Audience;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use support::{serve, start};

const SIGNUP: &str = r#"tree signup "Sign up"
  audience: agent, customer
  start: details

field name: text "Your name" required
field email: text "Email (optional)"
field plan: choice(basic "Basic", pro "Pro") "Plan" required

node details "Details"
  say "Let's get you signed up."
  ask name, email
  -> pick

node pick "Plan"
  say "Which plan suits you, {name}?"
  ask plan
  option "Sign me up" -> done
  option "Not now" -> later

node done "Done"
  say "Welcome aboard."
  end resolved

node later "Later"
  say "Come back any time."
  end abandoned
"#;

/// An event as the hosts must agree on it: without its time, and without the audience (the
/// web plays customers, the desktop agents).
fn comparable(event: &Event) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_str(&event.to_json_line()).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("at");
    object.remove("audience");
    json
}

fn comparable_all(events: &[Event]) -> Vec<serde_json::Value> {
    events.iter().map(comparable).collect()
}

/// The call, in the terminal: name, email left empty, Continue; Back; email, Continue; the
/// plan and "Sign me up".
fn in_the_terminal(dir: &Path, audience: &str) -> Vec<Event> {
    std::fs::write(
        dir.join("answers.txt"),
        "Jo\n\n\n:back\n\njo@example.com\n\n2\n1\n",
    )
    .unwrap();
    let log = format!("{audience}.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "run",
            "trees/signup.tree",
            "--as",
            audience,
            "--answers",
            "answers.txt",
            "--log",
            &log,
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = calltree_calls::read_log(&std::fs::read(dir.join(log)).unwrap());
    assert_eq!(read.problem, None);
    read.events
}

/// The same call in the desktop app's agent mode, as an agent clicks and types it.
fn in_the_desktop() -> Vec<Event> {
    let calls = MemoryCalls::new();
    let settings = Settings {
        mode: Mode::Agent,
        ..Settings::default()
    };
    let app = DesktopApp::new(
        Box::new(MemoryFolder::new([("signup.tree", SIGNUP)])),
        Box::new(calls.clone()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(900.0, 700.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    harness.run();
    harness.get_by_label("Sign up").click();
    harness.run();
    harness.get_by_label("Your name *").focus();
    harness.run();
    harness.get_by_label("Your name *").type_text("Jo");
    harness.run();
    harness.get_by_label("Continue Enter").click();
    harness.run();
    harness.get_by_label("Back Alt+Left").click();
    harness.run();
    harness.get_by_label("Email (optional)").focus();
    harness.run();
    harness
        .get_by_label("Email (optional)")
        .type_text("jo@example.com");
    harness.run();
    harness.get_by_label("Continue Enter").click();
    harness.run();
    harness.get_by_label("2 Pro").click();
    harness.run();
    harness.get_by_label("1  Sign me up").click();
    harness.run();
    assert!(harness.query_by_label("Outcome: resolved").is_some());
    calls.events(&calls.call_ids().pop().unwrap())
}

/// The same call on the self-service pages, as a browser posts the forms.
fn on_the_web(dir: &Path) -> Vec<Event> {
    let server = serve(dir);
    let visit = start(server.port, "signup");
    let submit = |fields: &str| {
        let reply = visit.submit(fields);
        assert_eq!(reply.status, 303, "{fields}: {}", reply.body);
    };
    submit("name=Jo&email=&go=continue");
    submit("go=back");
    submit("name=Jo&email=jo%40example.com&go=continue");
    submit("plan=pro&choose=0");
    drop(server);
    let store = Store::open(dir.join("sessions.db")).unwrap();
    let session = store.sessions(None, None, 10).unwrap().pop().unwrap();
    store.events(&session.id).unwrap()
}

#[test]
fn one_call_makes_the_same_events_in_the_terminal_the_desktop_and_the_web() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/signup.tree"), SIGNUP).unwrap();

    let agent_terminal = in_the_terminal(dir.path(), "agent");
    let customer_terminal = in_the_terminal(dir.path(), "customer");
    let desktop = in_the_desktop();
    let web = on_the_web(dir.path());

    let kinds: Vec<&str> = desktop.iter().map(Event::name).collect();
    assert_eq!(
        kinds,
        [
            "started",
            "answered",
            "continued",
            "back",
            "answered",
            "continued",
            "answered",
            "chose"
        ],
        "an empty box left alone is not an answer"
    );
    let expected = comparable_all(&desktop);
    assert_eq!(
        comparable_all(&agent_terminal),
        expected,
        "terminal, as agent"
    );
    assert_eq!(
        comparable_all(&customer_terminal),
        expected,
        "terminal, as customer"
    );
    assert_eq!(comparable_all(&web), expected, "web");
}

#[test]
fn the_desktops_insights_and_report_db_give_the_same_figures_over_two_versions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    let store = Store::open(&db).unwrap();
    let versions = Versions::with_store(store.clone());
    // Sessions on the first version of the tree, then the author edits it and more run.
    let edited = SIGNUP.replace("Welcome aboard.", "Welcome aboard, {name}!");
    for (text, seed) in [(SIGNUP, 1), (edited.as_str(), 2)] {
        let project = Arc::new(Project::single("signup.tree", text));
        versions.save(&project).unwrap();
        let tree = project.tree_by_name("signup").unwrap();
        for events in synthetic_sessions(&project, tree, 40, seed, 1_767_225_600_000) {
            let id = store.create_session(&events[0]).unwrap().id;
            store.append_all(&id, 1, &events[1..]).unwrap();
        }
    }
    // One more, kept through the host kit as the server keeps it.
    let project = Arc::new(Project::single("signup.tree", edited.as_str()));
    let tree = project.tree_by_name("signup").unwrap();
    let mut call = Call::start(
        Arc::clone(&project),
        tree,
        Audience::Customer,
        1_767_225_600_000,
        DatabaseCalls::new(store.clone()),
    )
    .unwrap();
    call.record(
        &Step {
            answers: vec![("name".into(), "Al".into())],
            action: Some(Action::Continue),
        },
        1_767_225_660_000,
    )
    .unwrap();
    drop(call);
    drop(versions);
    drop(store);

    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["report", "--db", "sessions.db", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reported: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // The desktop app on the same database, its folder holding the edited tree only.
    let store = Store::open(&db).unwrap();
    let mut app = DesktopApp::new(
        Box::new(MemoryFolder::new([("signup.tree", edited.as_str())])),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        Settings {
            mode: Mode::Insights,
            ..Settings::default()
        },
    )
    .unwrap();
    app.versions = Arc::new(Versions::with_store(store.clone()));
    app.sessions = Some(Box::new(StoredSessions::new().with_database(store)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    // Insights reads on a worker thread; the frames go on until it is done.
    harness.step();
    let waited = std::time::Instant::now();
    while harness.state().insights.is_loading() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
    harness.run();
    let shown = serde_json::to_value(harness.state().insights.data.clone().unwrap()).unwrap();

    let versions = reported["trees"]["signup"]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "both versions are reported");
    assert_eq!(
        reported["trees"]["signup"]["total"]["sessions"]["unknown_version"],
        0
    );
    assert_eq!(shown, reported);
}
