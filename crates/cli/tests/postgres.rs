//! Two real `calltree serve` processes on one real PostgreSQL: a customer's session served by
//! both in turn loses nothing, a handoff code given by one works through the other's
//! database, `kill -9` of one under load loses no acknowledged step, and PostgreSQL going
//! away mid-run is a 503 that says the answers are saved, then service again.
//!
//! PostgreSQL comes from `calltree_store::testing` (a throw-away cluster, or
//! `CALLTREE_TEST_POSTGRES`); without it these tests are skipped with a note, except on CI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use calltree_engine::Event;
use calltree_store::Store;
use calltree_store::testing::postgres_database;
use support::{
    NOTES, Visit, get, header, hidden, serve_with, start, take_over_from, try_get, try_post,
};

/// Rates high enough for a load test from one address.
const NO_RATE_LIMITS: [&str; 4] = [
    "--starts-per-minute",
    "1000000",
    "--posts-per-minute",
    "1000000",
];

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/notes.tree"), NOTES).unwrap();
    dir
}

/// The session's id, from its page's address.
fn id_of(visit: &Visit) -> String {
    visit.path.trim_start_matches("/s/").to_owned()
}

/// One step: the page read from one instance, the form posted to the other, as a balancer
/// sending each request to the next instance would. `Ok(true)` when the server said the step
/// was stored (a redirect to the page, not to a stale notice).
fn step(read_from: u16, post_to: u16, visit: &Visit, fields: &str) -> Result<bool, String> {
    let page = try_get(read_from, &visit.path, &visit.cookie)?;
    if page.status != 200 {
        return Err(format!("page: {}", page.status));
    }
    if !page.body.contains("name=\"csrf\"") {
        return Err(format!("no form on the page: {}", page.body));
    }
    let (csrf, seq) = (hidden(&page.body, "csrf"), hidden(&page.body, "seq"));
    let posted = try_post(
        post_to,
        &visit.path,
        &visit.cookie,
        &format!("csrf={csrf}&seq={seq}&{fields}"),
    )?;
    Ok(posted.status == 303 && !header(&posted, "location").contains("stale"))
}

/// The answers stored in a session, in order.
fn notes(store: &Store, id: &str) -> Vec<String> {
    store
        .events(id)
        .unwrap()
        .into_iter()
        .filter_map(|event| match event {
            Event::Answered { value, .. } => Some(value),
            _ => None,
        })
        .collect()
}

#[test]
fn two_instances_serve_one_session_in_turn_and_its_handoff_code_works_through_either() {
    let Some(db) = postgres_database() else {
        return;
    };
    let dir = site();
    let a = serve_with(dir.path(), &db, &[]);
    let b = serve_with(dir.path(), &db, &[]);
    let visit = start(a.port, "notes");
    let ports = [a.port, b.port];
    for n in 0..10 {
        let stored = step(
            ports[n % 2],
            ports[(n + 1) % 2],
            &visit,
            &format!("note=step+{n}&choose=0"),
        )
        .unwrap();
        assert!(stored, "step {n}");
    }
    let store = Store::open(&db).unwrap();
    let id = id_of(&visit);
    let expected: Vec<String> = (0..10).map(|n| format!("step {n}")).collect();
    assert_eq!(notes(&store, &id), expected, "every step once, in order");

    // The customer asks for a person on one instance; the other shows the same code.
    let asked = step(a.port, b.port, &visit, "note=last&go=person").unwrap();
    assert!(asked);
    let on_a = Visit {
        port: a.port,
        path: visit.path.clone(),
        cookie: visit.cookie.clone(),
    };
    let on_b = Visit {
        port: b.port,
        path: visit.path.clone(),
        cookie: visit.cookie.clone(),
    };
    let code = on_b.handoff_code();
    assert_eq!(on_a.handoff_code(), code);

    // An agent takes it over from the shared database and finishes it.
    let shown = take_over_from(dir.path(), &db, &code, "\n2\n");
    assert!(shown.contains("Taking over"), "{shown}");
    let info = store.session(&id).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("resolved"));
    assert!(
        store
            .events(&id)
            .unwrap()
            .iter()
            .any(|event| matches!(event, Event::TakenOver { .. }))
    );
    // Both instances now show the customer the session as taken over, not a step.
    for port in ports {
        let page = get(port, &visit.path, &visit.cookie);
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("name=\"choose\""), "{}", page.body);
    }
}

#[test]
fn killing_one_of_two_instances_under_load_loses_no_acknowledged_step() {
    let Some(db) = postgres_database() else {
        return;
    };
    let dir = site();
    let mut a = serve_with(dir.path(), &db, &NO_RATE_LIMITS);
    let b = serve_with(dir.path(), &db, &NO_RATE_LIMITS);
    let ports = [a.port, b.port];
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..12)
        .map(|client| {
            let (stop, killed) = (Arc::clone(&stop), Arc::clone(&killed));
            std::thread::spawn(move || {
                // (session, note) of every step the servers acknowledged, and whether it
                // was acknowledged after the kill.
                let mut acknowledged: Vec<(String, String, bool)> = Vec::new();
                let mut attempt = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let first = if killed.load(Ordering::Relaxed) {
                        ports[1]
                    } else {
                        ports[(client + attempt) % 2]
                    };
                    let Ok(started) = try_post(first, "/start/notes", "", "") else {
                        attempt += 1;
                        continue;
                    };
                    if started.status != 303 {
                        attempt += 1;
                        continue;
                    }
                    let visit = Visit {
                        port: first,
                        path: header(&started, "location").to_owned(),
                        cookie: header(&started, "set-cookie")
                            .split(';')
                            .next()
                            .unwrap()
                            .to_owned(),
                    };
                    for _ in 0..20 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        attempt += 1;
                        let note = format!("client-{client}-attempt-{attempt}");
                        let after_kill = killed.load(Ordering::Relaxed);
                        let fields = format!("note={note}&choose=0");
                        // Once one instance is gone the balancer sends everything to the other.
                        let (read_from, post_to) = if after_kill {
                            (ports[1], ports[1])
                        } else {
                            (ports[attempt % 2], ports[(attempt + 1) % 2])
                        };
                        if let Ok(true) = step(read_from, post_to, &visit, &fields) {
                            acknowledged.push((id_of(&visit), note, after_kill));
                        }
                    }
                }
                acknowledged
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(2_500));
    a.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    a.child.wait().unwrap();
    killed.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(2_500));
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<(String, String, bool)> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();

    let before = acknowledged.iter().filter(|(_, _, after)| !after).count();
    let after = acknowledged.len() - before;
    assert!(
        before > 20 && after > 20,
        "both phases had load: {before} steps before the kill, {after} after"
    );
    eprintln!(
        "{before} steps acknowledged before the kill, {after} after, in {} sessions",
        acknowledged
            .iter()
            .map(|(id, _, _)| id)
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
    let store = Store::open(&db).unwrap();
    let mut by_session: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, note, _) in &acknowledged {
        by_session.entry(id).or_default().push(note);
    }
    for (id, acked) in &by_session {
        // `events` refuses a log whose numbers are not dense, so reading it checks that too.
        let stored = notes(&store, id);
        for note in acked {
            let copies = stored.iter().filter(|value| value == note).count();
            assert_eq!(
                copies, 1,
                "session {id}: acknowledged {note} stored {copies} times"
            );
        }
        let mut unique = stored.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            stored.len(),
            "session {id}: a note stored twice"
        );
    }
    let _ = b;
}

#[test]
fn postgres_going_away_mid_run_is_a_503_that_keeps_the_answers_and_then_service_again() {
    let Some(db) = postgres_database() else {
        return;
    };
    let dir = site();
    let mut server = serve_with(dir.path(), &db, &[]);
    let visit = start(server.port, "notes");
    assert!(step(server.port, server.port, &visit, "note=before&choose=0").unwrap());
    let page = visit.page();
    let (csrf, seq) = (hidden(&page.body, "csrf"), hidden(&page.body, "seq"));

    let name = db.rsplit('/').next().unwrap().to_owned();
    let admin_address = db.replace(&format!("/{name}"), "/postgres");
    let mut admin = postgres::Client::connect(&admin_address, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();

    let posted = try_post(
        server.port,
        &visit.path,
        &visit.cookie,
        &format!("csrf={csrf}&seq={seq}&note=while+away&choose=0"),
    )
    .unwrap();
    assert_eq!(posted.status, 503, "{}", posted.body);
    assert!(
        posted.body.contains("Your answers so far are saved"),
        "{}",
        posted.body
    );
    let shown = try_get(server.port, &visit.path, &visit.cookie).unwrap();
    assert_eq!(shown.status, 503);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server is still running"
    );

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"
        ))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while visit.page().status != 200 {
        assert!(Instant::now() < deadline, "the server did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(step(server.port, server.port, &visit, "note=after&choose=0").unwrap());
    let store = Store::open(&db).unwrap();
    assert_eq!(notes(&store, &id_of(&visit)), ["before", "after"]);
}

#[test]
fn serve_with_postgres_out_of_reach_says_so_and_stops() {
    let dir = site();
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "serve",
            "--trees",
            "trees",
            "--db",
            "postgres://calltree:secret@127.0.0.1:1/calltree?connect_timeout=2",
            "--addr",
            "127.0.0.1:0",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("cannot be reached"), "{said}");
    assert!(said.contains("127.0.0.1:1"), "{said}");
    assert!(!said.contains("secret"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// `calltree migrate` moves a one-machine site to PostgreSQL: the customer's link (its cookie)
/// and the handoff code keep working on the server that now runs on PostgreSQL, every event
/// and version is there, and running it again copies nothing twice.
#[test]
fn migrate_copies_an_sqlite_site_to_postgres_and_its_sessions_carry_on() {
    let Some(db) = postgres_database() else {
        return;
    };
    let dir = site();
    let (visit, waiting, code) = {
        let server = serve_with(dir.path(), "sessions.db", &[]);
        let visit = start(server.port, "notes");
        assert!(step(server.port, server.port, &visit, "note=on+sqlite&choose=0").unwrap());
        let waiting = start(server.port, "notes");
        let asked = step(server.port, server.port, &waiting, "note=call+me&go=person").unwrap();
        assert!(asked);
        let code = waiting.handoff_code();
        (visit, waiting, code)
    };
    let before = Store::open(dir.path().join("sessions.db")).unwrap();
    let sessions = before.sessions(None, None, 100).unwrap();
    assert_eq!(sessions.len(), 2);

    let migrate = |expect: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
            .args(["migrate", "--from", "sessions.db", "--to", &db])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(said.contains(expect), "{said}");
    };
    migrate("copied 2 sessions (6 events) and 1 tree versions");
    migrate("copied 0 sessions (0 events) and 0 tree versions");

    let after = Store::open(&db).unwrap();
    assert_eq!(after.sessions(None, None, 100).unwrap(), sessions);
    for info in &sessions {
        assert_eq!(
            after.events(&info.id).unwrap(),
            before.events(&info.id).unwrap()
        );
        assert_eq!(
            after.csrf(&info.id).unwrap(),
            before.csrf(&info.id).unwrap()
        );
    }
    assert_eq!(after.find_handoff(&code).unwrap(), Some(id_of(&waiting)));

    // The same browser carries on against the server on PostgreSQL.
    let server = serve_with(dir.path(), &db, &[]);
    let visit = Visit {
        port: server.port,
        ..visit
    };
    assert!(
        step(
            server.port,
            server.port,
            &visit,
            "note=on+postgres&choose=0"
        )
        .unwrap()
    );
    assert_eq!(notes(&after, &id_of(&visit)), ["on sqlite", "on postgres"]);
    let shown = take_over_from(dir.path(), &db, &code, "\n2\n");
    assert!(shown.contains("Taking over"), "{shown}");
}

#[test]
fn migrate_refuses_a_target_that_is_not_postgres() {
    let dir = site();
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["migrate", "--from", "sessions.db", "--to", "other.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("PostgreSQL address"), "{said}");
}
