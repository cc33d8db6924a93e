//! The host kit's promises, each as one test: nothing refused is stored, nothing unstored is
//! shown, logs survive crashes at any byte, and a call finds its tree version again.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::fs;
use std::sync::Arc;

use calltree_calls::{
    AgentCalls, Call, CallStore, CallsError, DatabaseCalls, LogFile, LogFolder, MemoryCalls,
    StoredSessions, Versions, read_log, report_with_progress, take_over,
};
use calltree_engine::{Action, Event, Project, ReportFilter, Session, Step};
use calltree_store::Store;
use calltree_syntax::Audience;

const WIFI: &str = r#"tree wifi "Wi-Fi help"
  audience: agent, customer
  escalation: "Network desk"
  start: ask

field router: text "Router model" required

node ask "Router"
  say "Which router do you have?"
  ask router
  option "It works now" -> done
  option "Still broken" -> broken

node done "Done"
  say "Glad it works."
  end resolved

node broken "Broken"
  say "Let's get a technician."
  end escalated "Field team"
"#;

fn project() -> Arc<Project> {
    let project = Arc::new(Project::single("wifi.tree", WIFI));
    assert!(!project.has_errors());
    project
}

fn start<S: CallStore>(store: S) -> Call<S> {
    let project = project();
    let tree = project.tree_by_name("wifi").unwrap();
    Call::start(project, tree, Audience::Agent, 1_000, store).unwrap()
}

fn answer_and_choose(option: u16) -> Step {
    Step {
        answers: vec![("router".into(), "R7000".into())],
        action: Some(Action::Choose(option)),
    }
}

#[test]
fn a_refused_step_stores_nothing() {
    let memory = MemoryCalls::new();
    let mut call = start(memory.clone());
    let error = call
        .record(&Step::action(Action::Choose(0)), 2_000)
        .unwrap_err();
    assert_eq!(
        error.refusal().unwrap().field("router"),
        Some("an answer is needed before moving on")
    );
    assert_eq!(memory.events(call.id()).len(), 1);
}

#[test]
fn a_failed_write_leaves_the_call_as_it_was_and_a_retry_stores_it_once() {
    let memory = MemoryCalls::new();
    let mut call = start(memory.clone());
    memory.fail_writes(true);
    let error = call.record(&answer_and_choose(0), 2_000).unwrap_err();
    assert!(error.refusal().is_none(), "{error}");
    assert_eq!(call.session().log().len(), 1);
    assert_eq!(call.view().node, "ask");

    memory.fail_writes(false);
    let recorded = call.record(&answer_and_choose(0), 3_000).unwrap();
    assert_eq!(recorded.events, 2);
    assert!(recorded.finished);
    assert_eq!(memory.events(call.id()), call.session().log());
    assert!(memory.is_finished(call.id()));
}

#[test]
fn a_log_on_a_failing_disk_stops_the_step_and_keeps_what_was_stored() {
    // /dev/full takes opens and refuses every write, as a full disk does.
    let Ok(log) = LogFile::create(std::path::Path::new("/dev/full"), true) else {
        return;
    };
    let project = project();
    let tree = project.tree_by_name("wifi").unwrap();
    let error = Call::start(project, tree, Audience::Agent, 1_000, log)
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("cannot write to the call log"),
        "{error}"
    );
}

#[test]
fn a_log_file_is_never_overwritten_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.jsonl");
    fs::write(&path, "precious\n").unwrap();
    let error = LogFile::create(&path, false).unwrap_err();
    assert!(matches!(error, CallsError::Exists { .. }), "{error}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious\n");
    assert!(LogFile::create(&path, true).is_ok());
}

/// Issue 13, bug 3: a kill between an event's JSON and its line break used to make the next
/// event share its line, and the log after that was refused as damaged.
#[test]
fn a_log_cut_between_an_event_and_its_line_break_continues_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.jsonl");
    let call = start(LogFile::create(&path, false).unwrap());
    let started = call.session().log()[0].clone();
    drop(call);
    // A whole event whose line break never reached the disk.
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(
        &Event::Answered {
            field: "router".into(),
            value: "R7000".into(),
            at: 1_500,
        }
        .to_json_line(),
    );
    fs::write(&path, &text).unwrap();

    for round in 0..2 {
        let (log, events, _) = LogFile::resume(&path).unwrap();
        assert_eq!(events[0], started);
        let mut call = Call::resume(path.display().to_string(), project(), events, log).unwrap();
        if round == 0 {
            call.record(&answer_and_choose(1), 2_000).unwrap();
        }
    }
    let read = read_log(&fs::read(&path).unwrap());
    assert_eq!(read.problem, None);
    // Started, the answer again (the torn one was never acknowledged), the choice.
    assert_eq!(read.events.len(), 3);
}

/// Issue 13, bug 12: an event a newer calltree wrote used to be dropped on resume.
#[test]
fn a_log_with_a_newer_programs_event_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.jsonl");
    drop(start(LogFile::create(&path, false).unwrap()));
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("{\"event\":\"translated\",\"locale\":\"fr\",\"at\":3}\n");
    fs::write(&path, &text).unwrap();
    let error = LogFile::resume(&path).unwrap_err();
    assert!(matches!(error, CallsError::FromNewer { .. }), "{error}");
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

/// Issue 12: the desktop app resumed a call after a torn write and appended after the half
/// line, so every later event was lost to readers.
#[test]
fn a_desktop_call_resumed_after_a_torn_write_appends_on_a_clean_line() {
    let dir = tempfile::tempdir().unwrap();
    let calls = LogFolder::open(dir.path()).unwrap();
    let mut call = start(calls.store());
    call.record(&Step::answer("router", "R7000"), 2_000)
        .unwrap();
    let id = call.id().to_owned();
    drop(call);
    drop(calls);
    let log = dir.path().join(format!("{id}.jsonl"));
    let mut torn = fs::read_to_string(&log).unwrap();
    torn.push_str("{\"event\":\"chose\",\"option\":0,\"lab");
    fs::write(&log, torn).unwrap();

    // The app starts again: the call is offered, then continued.
    let mut calls = LogFolder::open(dir.path()).unwrap();
    let unfinished = calls.unfinished().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].events.len(), 2);
    let events = calls.reopen(&id).unwrap();
    let mut call = Call::resume(id.clone(), project(), events, calls.store()).unwrap();
    call.record(&Step::action(Action::Choose(1)), 3_000)
        .unwrap();
    drop(call);

    let finished = dir.path().join("done").join(format!("{id}.jsonl"));
    let read = read_log(&fs::read(&finished).unwrap());
    assert_eq!(read.problem, None, "{:?}", read.problem);
    assert_eq!(read.events.len(), 3);
    assert!(matches!(read.events[2], Event::Chose { option: 1, .. }));
}

#[test]
fn the_unfinished_list_is_read_from_disk_once() {
    let dir = tempfile::tempdir().unwrap();
    let calls = LogFolder::open(dir.path()).unwrap();
    for at in 0..5 {
        let project = project();
        let tree = project.tree_by_name("wifi").unwrap();
        Call::start(project, tree, Audience::Agent, at, calls.store()).unwrap();
    }
    drop(calls);
    let mut calls = LogFolder::open(dir.path()).unwrap();
    for _ in 0..100 {
        assert_eq!(calls.unfinished().unwrap().len(), 5);
    }
    assert_eq!(calls.reads(), 5);
    // Its own writes keep the list current without reading again.
    let mut call = start(calls.store());
    call.record(&answer_and_choose(0), 2_000).unwrap();
    assert_eq!(calls.unfinished().unwrap().len(), 5);
    assert_eq!(calls.reads(), 5);
}

fn database(dir: &std::path::Path) -> (Store, Versions) {
    let store = Store::open(dir.join("sessions.db")).unwrap();
    let versions = Versions::with_store(store.clone());
    (store, versions)
}

#[test]
fn an_agent_takes_over_a_customers_session_on_the_version_it_started_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let project = project();
    versions.save(&project).unwrap();
    let tree = project.tree_by_name("wifi").unwrap();
    let mut customer = Call::start(
        Arc::clone(&project),
        tree,
        Audience::Customer,
        1_000,
        DatabaseCalls::new(store.clone()),
    )
    .unwrap();
    customer
        .record(
            &Step {
                answers: vec![("router".into(), "R7000".into())],
                action: Some(Action::Escalate("customer asked for a person".into())),
            },
            2_000,
        )
        .unwrap();
    let code = store.handoff(customer.id()).unwrap();

    // The agent's program knows only the database: the version is rebuilt from it.
    let fresh = Versions::with_store(store.clone());
    let mut agent = take_over(&store, &fresh, &code.to_lowercase(), 3_000).unwrap();
    assert_eq!(agent.id(), customer.id());
    assert_eq!(agent.session().state().audience, Audience::Agent);
    assert_eq!(agent.view().fields[0].value.as_deref(), Some("R7000"));
    agent
        .record(&Step::action(Action::Choose(0)), 4_000)
        .unwrap();
    let info = store.session(agent.id()).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("resolved"));
    assert_eq!(store.events(agent.id()).unwrap(), agent.session().log());

    let error = take_over(&store, &fresh, "ZZZZ-ZZZZ", 5_000).err().unwrap();
    assert!(matches!(error, CallsError::NoHandoff(_)), "{error}");
}

/// A customer of the wifi tree who asked for a person at 2,000 ms, and their handoff code.
fn waiting_customer(store: &Store, versions: &Versions, lifetime: i64) -> (String, String) {
    let project = project();
    versions.save(&project).unwrap();
    let tree = project.tree_by_name("wifi").unwrap();
    let mut customer = Call::start(
        Arc::clone(&project),
        tree,
        Audience::Customer,
        1_000,
        DatabaseCalls::new(store.clone()),
    )
    .unwrap();
    customer
        .record(
            &Step::action(Action::Escalate("customer asked for a person".into())),
            2_000,
        )
        .unwrap();
    let code = store.handoff_lasting(customer.id(), lifetime).unwrap();
    (customer.id().to_owned(), code)
}

#[test]
fn a_resolved_case_is_not_reopened_by_entering_its_code_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let (id, code) = waiting_customer(&store, &versions, calltree_store::HANDOFF_LIFETIME);
    let mut agent = take_over(&store, &versions, &code, 3_000).unwrap();
    agent.record(&answer_and_choose(0), 4_000).unwrap();
    let events = store.events(&id).unwrap();

    // The bug: a second take-over appended `TakenOver`, which undid the agent's ending.
    let error = take_over(&store, &versions, &code, 5_000 + 60_000 * 5)
        .err()
        .unwrap();
    assert!(matches!(error, CallsError::HandoffUsed { .. }), "{error}");
    assert!(
        error.to_string().contains("5 minutes ago") && error.to_string().contains(&code),
        "{error}"
    );
    let info = store.session(&id).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("resolved"));
    assert_eq!(store.events(&id).unwrap(), events, "nothing was stored");
}

#[test]
fn a_code_works_once_even_while_the_agent_is_still_on_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let (id, code) = waiting_customer(&store, &versions, calltree_store::HANDOFF_LIFETIME);
    let _first = take_over(&store, &versions, &code, 3_000).unwrap();
    let error = take_over(&store, &versions, &code, 3_500).err().unwrap();
    assert!(matches!(error, CallsError::HandoffUsed { .. }), "{error}");
    assert_eq!(
        store.events(&id).unwrap().len(),
        3,
        "started, escalated, taken over"
    );
}

#[test]
fn a_code_expires_after_its_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let hour = 60 * 60 * 1000;
    let (id, code) = waiting_customer(&store, &versions, hour);
    assert_eq!(
        store.session(&id).unwrap().unwrap().handoff_expires,
        Some(2_000 + hour)
    );
    let error = take_over(&store, &versions, &code, 2_000 + 3 * hour)
        .err()
        .unwrap();
    assert!(
        matches!(error, CallsError::HandoffExpired { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("2 hours ago"), "{error}");
    assert_eq!(store.events(&id).unwrap().len(), 2, "nothing was stored");
    // Just before the end it still works.
    take_over(&store, &versions, &code, 2_000 + hour - 1).unwrap();
}

#[test]
fn two_writers_on_one_session_cannot_both_add_the_next_event() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let project = project();
    versions.save(&project).unwrap();
    let tree = project.tree_by_name("wifi").unwrap();
    let session = Session::start(Arc::clone(&project), tree, Audience::Customer, 1_000).unwrap();
    let id = store.create_session(&session.log()[0]).unwrap().id;
    let mut first = calltree_calls::open_session(&store, &versions, &id).unwrap();
    let mut second = calltree_calls::open_session(&store, &versions, &id).unwrap();
    first.record(&Step::answer("router", "A"), 2_000).unwrap();
    let error = second
        .record(&Step::answer("router", "B"), 2_000)
        .unwrap_err();
    assert!(matches!(error, CallsError::Conflict { .. }), "{error}");
    assert_eq!(second.session().log().len(), 1);
    assert_eq!(store.events(&id).unwrap().len(), 2);
}

/// Issue 15: on a live call the desktop app must not stop when its disk fails. The step goes
/// on in memory, the host is told, and the events are stored once the disk is back.
#[test]
fn a_call_kept_in_memory_while_the_disk_fails_is_stored_in_order_when_it_is_back() {
    let memory = MemoryCalls::new();
    let mut call = start(memory.clone());
    memory.fail_writes(true);
    let recorded = call
        .record_or_keep(&Step::answer("router", "R7000"), 2_000)
        .unwrap();
    assert!(recorded.kept);
    assert!(recorded.warning.is_some());
    let recorded = call
        .record_or_keep(&Step::action(Action::Choose(0)), 3_000)
        .unwrap();
    assert!(recorded.kept && recorded.finished);
    assert_eq!(call.unsaved(), 2);
    assert!(call.flush().is_err(), "still failing");
    assert_eq!(memory.events(call.id()).len(), 1, "only what was stored");

    memory.fail_writes(false);
    assert_eq!(call.flush().unwrap(), 2);
    assert_eq!(call.unsaved(), 0);
    assert_eq!(memory.events(call.id()), call.session().log());
    assert!(memory.is_finished(call.id()));
    // A refused step is still refused, and kept nothing.
    let mut call = start(memory.clone());
    memory.fail_writes(true);
    assert!(
        call.record_or_keep(&Step::action(Action::Choose(0)), 4_000)
            .unwrap_err()
            .refusal()
            .is_some()
    );
    assert_eq!(call.unsaved(), 0);
}

#[test]
fn with_a_database_old_versions_leave_memory_and_come_back_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, versions) = database(dir.path());
    let first = project();
    let tree = first.tree_by_name("wifi").unwrap();
    let old = first.session_hash(tree);
    versions.save(&first).unwrap();
    // 120 edits, as an author saving all day.
    for edit in 0..120 {
        let text = WIFI.replace("Wi-Fi help", &format!("Wi-Fi help {edit}"));
        versions
            .save(&Arc::new(Project::single("wifi.tree", &text)))
            .unwrap();
    }
    // The bug: every version loaded stayed in memory for good (1.24 MB an edit).
    assert_eq!(Arc::strong_count(&first), 1, "the old project was dropped");
    let rebuilt = versions.project(&old).unwrap().unwrap();
    assert!(!Arc::ptr_eq(&rebuilt, &first));
    assert_eq!(
        rebuilt.session_hash(rebuilt.tree_by_name("wifi").unwrap()),
        old
    );
    assert!(Arc::ptr_eq(
        &versions.project(&old).unwrap().unwrap(),
        &rebuilt
    ));

    // Without a database nothing could rebuild a version, so every one is kept.
    let memory = Versions::new();
    let first = project();
    memory.add(&first);
    memory.add(&Arc::new(Project::single(
        "wifi.tree",
        WIFI.replace("Wi-Fi help", "Other"),
    )));
    assert!(Arc::ptr_eq(&memory.project(&old).unwrap().unwrap(), &first));
}

/// Issue 19: the desktop reads call logs on a worker thread and shows how far it has come, so
/// the report tells its caller the count first and then every session read.
#[test]
fn a_report_tells_how_many_sessions_it_has_read_of_how_many() {
    let dir = tempfile::tempdir().unwrap();
    for number in 0..3 {
        let path = dir.path().join(format!("call{number}.jsonl"));
        let mut call = start(LogFile::create(&path, false).unwrap());
        call.record(&answer_and_choose(0), 2_000).unwrap();
    }
    let versions = Versions::new();
    versions.add(&project());
    let mut sessions = StoredSessions::new().with_logs(dir.path().to_path_buf());
    let mut seen = Vec::new();
    let data = report_with_progress(
        ReportFilter::default(),
        &mut sessions,
        &versions,
        &mut |progress| seen.push((progress.read, progress.of)),
    )
    .unwrap();
    assert_eq!(
        seen,
        [(0, Some(3)), (1, Some(3)), (2, Some(3)), (3, Some(3))]
    );
    assert_eq!(data.trees["wifi"].total.outcomes.resolved, 3);
}

/// The wifi tree with a French translation of what the customer sees first, and an agent
/// line for the agent alone.
fn french_project() -> Arc<Project> {
    let tree = WIFI.replace(
        "  ask router\n",
        "  agent \"Check the line test first.\"\n  ask router\n",
    );
    let mut project = Project::single("wifi.tree", tree);
    let file = project.files().next().unwrap().0;
    let mut po = calltree_engine::translation::extract(&project, file, "fr", None);
    for (from, to) in [
        ("Which router do you have?", "Quel routeur avez-vous ?"),
        ("Check the line test first.", "Vérifiez d'abord la ligne."),
    ] {
        po = po.replace(
            &format!("msgid \"{from}\"\nmsgstr \"\""),
            &format!("msgid \"{from}\"\nmsgstr \"{to}\""),
        );
    }
    project.add_translations(vec![calltree_engine::translation::TranslationInput {
        name: "wifi.fr.po".into(),
        locale: "fr".into(),
        tree_file: "wifi.tree".into(),
        bytes: po.into_bytes(),
    }]);
    Arc::new(project)
}

#[test]
fn a_version_rebuilt_from_the_database_keeps_its_translations_and_a_handoff_its_language() {
    let dir = tempfile::tempdir().unwrap();
    let (store, versions) = database(dir.path());
    let project = french_project();
    versions.save(&project).unwrap();
    let tree = project.tree_by_name("wifi").unwrap();
    let mut customer = Call::start_in_locale(
        Arc::new(project.in_locale("fr", false)),
        tree,
        Audience::Customer,
        1_000,
        Vec::new(),
        Some("fr".into()),
        DatabaseCalls::new(store.clone()),
    )
    .unwrap();
    customer
        .record(
            &Step::action(Action::Escalate("customer asked for a person".into())),
            2_000,
        )
        .unwrap();
    let code = store.handoff(customer.id()).unwrap();

    // A program that knows only the database rebuilds the version with its French file.
    let fresh = Versions::with_store(store.clone());
    let version = project.session_hash(tree);
    let rebuilt = fresh.project(&version).unwrap().unwrap();
    assert_eq!(rebuilt.translation_files().len(), 1);
    assert!(
        rebuilt.translation_files()[0]
            .diagnostics
            .iter()
            .all(|d| !d.is_error())
    );
    assert_eq!(rebuilt.locales(), ["fr"]);

    // The agent sees what the customer saw, in French; the guidance stays in English.
    let mut database = calltree_calls::SessionDatabase::new(dir.path().join("sessions.db"));
    let agent = calltree_calls::Handoffs::take_over(&mut database, &code, 3_000).unwrap();
    assert_eq!(agent.session().locale(), Some("fr"));
    let texts: Vec<String> = agent.view().texts.iter().map(|t| t.text.clone()).collect();
    assert_eq!(
        texts,
        ["Quel routeur avez-vous ?", "Check the line test first."]
    );
}
