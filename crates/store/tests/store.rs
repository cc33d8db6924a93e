//! The store keeps what it acknowledged, refuses what it must, and stays correct under
//! concurrent writers. Every test works on a real database file in a temporary folder, with
//! the same WAL and sync settings as production.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

use calltree_engine::{Event, Project, Session};
use calltree_store::{NewSession, Store, StoreError};
use calltree_syntax::Audience;
use rusqlite::Connection;
use tempfile::TempDir;

fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    (dir, store)
}

fn started(tree: &str, at: i64) -> Event {
    Event::Started {
        tree: tree.into(),
        version: "v1-fingerprint".into(),
        audience: Audience::Customer,
        at,
        given: Vec::new(),
    }
}

fn note(text: &str, at: i64) -> Event {
    Event::Noted {
        text: text.into(),
        at,
    }
}

/// A connection beside the store's, to look at or damage the file as another program would.
fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn a_session_reads_back_as_it_was_written() {
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 1_000)).unwrap();
    let log = vec![
        started("modem", 1_000),
        Event::Answered {
            field: "account".into(),
            value: "12345678".into(),
            at: 2_000,
        },
        Event::Chose {
            option: 1,
            label: "Solid".into(),
            at: 3_000,
        },
        note("Customer was very patient — \"thanks\"\nsecond line", 4_000),
    ];
    for (seq, event) in log.iter().enumerate().skip(1) {
        store.append(&new.id, seq, event).unwrap();
    }
    assert_eq!(store.events(&new.id).unwrap(), log);

    let info = store.session(&new.id).unwrap().unwrap();
    assert_eq!(info.id, new.id);
    assert_eq!(info.tree, "modem");
    assert_eq!(info.version, "v1-fingerprint");
    assert_eq!(info.audience, Audience::Customer);
    assert_eq!((info.created_at, info.updated_at), (1_000, 4_000));
    assert_eq!(info.events, 4);
    assert!(!info.finished);
    assert_eq!(info.outcome, None);
    assert_eq!(info.handoff, None);

    let ended = Event::Ended {
        cause: calltree_engine::EndCause::Other,
        reason: "the page was closed".into(),
        at: 5_000,
    };
    store.append(&new.id, 4, &ended).unwrap();
    store.finish(&new.id, Some("abandoned")).unwrap();
    let info = store.session(&new.id).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("abandoned"));
    assert_eq!(info.updated_at, 5_000);

    // The kind and time columns agree with the JSON body, for reports.
    let kinds: Vec<(String, i64)> = raw(store.path())
        .prepare("SELECT kind, at FROM events WHERE session_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([&new.id], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        [
            ("started".into(), 1_000),
            ("answered".into(), 2_000),
            ("chose".into(), 3_000),
            ("noted".into(), 4_000),
            ("ended".into(), 5_000),
        ]
    );
}

#[test]
fn a_stale_seq_is_a_conflict_and_stores_nothing() {
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 0)).unwrap();
    store.append(&new.id, 1, &note("first tab", 1)).unwrap();

    let error = store
        .append(&new.id, 1, &note("second tab", 2))
        .unwrap_err();
    assert!(
        matches!(
            &error,
            StoreError::Conflict { session, expected: 1, actual: 2 } if *session == new.id
        ),
        "{error:?}"
    );
    // Ahead of the log is as wrong as behind it.
    let error = store
        .append(&new.id, 5, &note("from the future", 3))
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::Conflict {
            expected: 5,
            actual: 2,
            ..
        }
    ));

    assert_eq!(store.events(&new.id).unwrap().len(), 2);
    assert_eq!(store.session(&new.id).unwrap().unwrap().updated_at, 1);

    // The caller reloads and tries again with the right number.
    let seen = store.session(&new.id).unwrap().unwrap().events;
    store.append(&new.id, seen, &note("second tab", 2)).unwrap();
    assert_eq!(store.events(&new.id).unwrap().len(), 3);
}

#[test]
fn unknown_sessions_and_misplaced_started_events_are_refused() {
    let (_dir, store) = temp_store();
    let error = store.append("nope", 1, &note("x", 1)).unwrap_err();
    assert!(matches!(&error, StoreError::NotFound(id) if id == "nope"));
    assert!(matches!(
        store.events("nope").unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert!(matches!(
        store.handoff("nope").unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert!(matches!(
        store.finish("nope", None).unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert_eq!(store.session("nope").unwrap(), None);
    assert_eq!(store.csrf("nope").unwrap(), None);

    assert!(matches!(
        store.create_session(&note("not a start", 0)).unwrap_err(),
        StoreError::NotStarted
    ));
    let new = store.create_session(&started("modem", 0)).unwrap();
    assert!(matches!(
        store.append(&new.id, 1, &started("modem", 1)).unwrap_err(),
        StoreError::AlreadyStarted(_)
    ));
    assert_eq!(store.events(&new.id).unwrap().len(), 1);
}

#[test]
fn everything_is_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let (new, code, csrf) = {
        let store = Store::open(&path).unwrap();
        let new = store.create_session(&started("modem", 10)).unwrap();
        store
            .append(&new.id, 1, &note("before the restart", 20))
            .unwrap();
        let code = store.handoff(&new.id).unwrap();
        let csrf = store.csrf(&new.id).unwrap().unwrap();
        (new, code, csrf)
        // The store is dropped here, as when the server stops.
    };

    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.events(&new.id).unwrap(),
        [started("modem", 10), note("before the restart", 20)]
    );
    assert_eq!(store.session(&new.id).unwrap().unwrap().events, 2);
    assert!(store.check_owner(&new.id, &new.owner_token).unwrap());
    assert_eq!(store.csrf(&new.id).unwrap(), Some(csrf.clone()));
    assert_eq!(csrf, new.csrf_token);
    assert_eq!(store.handoff(&new.id).unwrap(), code);
    assert_eq!(store.find_handoff(&code).unwrap(), Some(new.id.clone()));
    store
        .append(&new.id, 2, &note("after the restart", 30))
        .unwrap();
    assert_eq!(store.events(&new.id).unwrap().len(), 3);
}

#[test]
fn the_database_is_wal_at_the_current_schema_version() {
    let (_dir, store) = temp_store();
    let conn = raw(store.path());
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, calltree_store::schema_version());
    assert_eq!(version, 4);
}

#[test]
fn concurrent_appends_to_different_sessions_all_land_in_order() {
    const THREADS: usize = 8;
    const EVENTS: usize = 60;
    let (_dir, store) = temp_store();
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = store.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let new = store
                    .create_session(&started(&format!("tree{thread}"), 0))
                    .unwrap();
                start.wait();
                for seq in 1..=EVENTS {
                    let event = note(&format!("thread {thread} event {seq}"), seq as i64);
                    store.append(&new.id, seq, &event).unwrap();
                }
                (thread, new.id)
            })
        })
        .collect();
    for worker in workers {
        let (thread, id) = worker.join().unwrap();
        let events = store.events(&id).unwrap();
        assert_eq!(events.len(), EVENTS + 1);
        for (seq, event) in events.iter().enumerate().skip(1) {
            assert_eq!(
                *event,
                note(&format!("thread {thread} event {seq}"), seq as i64)
            );
        }
    }
}

#[test]
fn of_two_writers_racing_for_one_seq_exactly_one_wins() {
    const THREADS: usize = 8;
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 0)).unwrap();
    let start = Arc::new(Barrier::new(THREADS));
    let results: Vec<Result<(), StoreError>> = (0..THREADS)
        .map(|thread| {
            let (store, start, id) = (store.clone(), Arc::clone(&start), new.id.clone());
            thread::spawn(move || {
                start.wait();
                store.append(&id, 1, &note(&format!("tab {thread}"), 1))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|worker| worker.join().unwrap())
        .collect();
    let won = results.iter().filter(|result| result.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|result| matches!(result, Err(StoreError::Conflict { .. })))
        .count();
    assert_eq!((won, conflicts), (1, THREADS - 1), "{results:?}");
    assert_eq!(store.events(&new.id).unwrap().len(), 2);
}

#[test]
fn handoff_codes_are_unique_stable_and_forgiving_to_type() {
    let (_dir, store) = temp_store();
    let mut codes = HashSet::new();
    let mut sessions = Vec::new();
    for i in 0..200 {
        let new = store.create_session(&started("modem", i)).unwrap();
        let code = store.handoff(&new.id).unwrap();
        assert_eq!(code.len(), 9, "{code}");
        assert_eq!(&code[4..5], "-", "{code}");
        assert!(
            code.chars()
                .filter(|c| *c != '-')
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
            "{code}"
        );
        assert!(codes.insert(code.clone()), "{code} given twice");
        sessions.push((new.id, code));
    }
    for (id, code) in &sessions {
        assert_eq!(store.handoff(id).unwrap(), *code, "the code stays the same");
        let bare = code.replace('-', "");
        let spaced = format!(" {} {} ", &bare[..4], &bare[4..]);
        for typed in [code.clone(), code.to_lowercase(), bare.clone(), spaced] {
            assert_eq!(
                store.find_handoff(&typed).unwrap().as_ref(),
                Some(id),
                "{typed:?}"
            );
        }
        assert_eq!(
            store.session(id).unwrap().unwrap().handoff.as_ref(),
            Some(code)
        );
    }
    for typed in ["", "0000-000", "not a code", "UUUU-UUUU", "0000-0000-0"] {
        assert_eq!(store.find_handoff(typed).unwrap(), None, "{typed:?}");
    }
}

#[test]
fn only_the_owner_token_passes_and_it_is_not_stored() {
    let (dir, store) = temp_store();
    let new = store.create_session(&started("modem", 0)).unwrap();
    let other = store.create_session(&started("modem", 0)).unwrap();
    assert!(store.check_owner(&new.id, &new.owner_token).unwrap());
    assert!(!store.check_owner(&new.id, &other.owner_token).unwrap());
    assert!(!store.check_owner(&new.id, "").unwrap());
    assert!(
        !store
            .check_owner(&new.id, &new.owner_token.to_uppercase())
            .unwrap()
    );
    assert!(!store.check_owner("nope", &new.owner_token).unwrap());

    let path = store.path().to_path_buf();
    drop(store);
    // Neither the database nor anything SQLite keeps beside it holds the token.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&new.owner_token));
        assert!(!text.contains(&other.owner_token));
    }
    let stored: String = raw(&path)
        .query_row(
            "SELECT owner_hash FROM sessions WHERE id = ?1",
            [&new.id],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stored.len(), 64);
}

#[test]
fn ids_and_tokens_are_32_hex_digits_and_all_different() {
    let (_dir, store) = temp_store();
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let NewSession {
            id,
            owner_token,
            csrf_token,
        } = store.create_session(&started("modem", 0)).unwrap();
        for value in [id, owner_token, csrf_token] {
            assert_eq!(value.len(), 32, "{value}");
            assert!(
                value
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{value}"
            );
            assert!(seen.insert(value), "a value came twice");
        }
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 0)).unwrap();
    let shown = format!("{new:?}");
    assert!(shown.contains(&new.id));
    assert!(!shown.contains(&new.owner_token));
    assert!(!shown.contains(&new.csrf_token));
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    raw(&path)
        .execute_batch("PRAGMA user_version = 99; CREATE TABLE future (x);")
        .unwrap();

    let error = Store::open(&path).unwrap_err();
    assert!(matches!(
        error,
        StoreError::TooNew {
            found: 99,
            supported: 4,
            ..
        }
    ));
    let message = error.to_string();
    assert!(message.contains("newer calltree"), "{message}");
    assert!(message.contains("schema version 99"), "{message}");
    assert!(message.contains("future.db"), "{message}");

    let conn = raw(&path);
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!((version, mode.as_str(), tables), (99, "delete", 0));
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    raw(&path)
        .execute_batch("PRAGMA application_id = 1234;")
        .unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NotOurs {
                application_id: 1234,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("not a calltree session database")
    );
}

#[test]
fn a_damaged_event_is_an_error_naming_session_and_seq() {
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 0)).unwrap();
    store.append(&new.id, 1, &note("fine", 1)).unwrap();
    store
        .append(&new.id, 2, &note("about to break", 2))
        .unwrap();
    raw(store.path())
        .execute(
            "UPDATE events SET body = '{\"event\":\"teleported\",\"at\":2}' \
             WHERE session_id = ?1 AND seq = 2",
            [&new.id],
        )
        .unwrap();

    let error = store.events(&new.id).unwrap_err();
    assert!(
        matches!(&error, StoreError::BadEvent { session, seq: 2, .. } if *session == new.id),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&new.id) && message.contains("event 2"),
        "{message}"
    );

    raw(store.path())
        .execute(
            "UPDATE sessions SET audience = 'robot' WHERE id = ?1",
            [&new.id],
        )
        .unwrap();
    assert!(matches!(
        store.session(&new.id).unwrap_err(),
        StoreError::BadSession { .. }
    ));
}

#[test]
fn sessions_are_listed_newest_first_by_tree_and_time() {
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for (tree, at) in [
        ("modem", 100),
        ("billing", 200),
        ("modem", 300),
        ("modem", 400),
    ] {
        ids.push(store.create_session(&started(tree, at)).unwrap().id);
    }
    let listed = |tree: Option<&str>, since: Option<i64>, limit: usize| -> Vec<String> {
        store
            .sessions(tree, since, limit)
            .unwrap()
            .into_iter()
            .map(|info| info.id)
            .collect()
    };
    assert_eq!(
        listed(None, None, 10),
        [
            ids[3].as_str(),
            ids[2].as_str(),
            ids[1].as_str(),
            ids[0].as_str()
        ]
    );
    assert_eq!(
        listed(Some("modem"), None, 10),
        [ids[3].as_str(), ids[2].as_str(), ids[0].as_str()]
    );
    assert_eq!(
        listed(Some("modem"), Some(300), 10),
        [ids[3].as_str(), ids[2].as_str()]
    );
    assert_eq!(
        listed(None, Some(200), 10),
        [ids[3].as_str(), ids[2].as_str(), ids[1].as_str()]
    );
    assert_eq!(listed(Some("modem"), None, 1), [ids[3].as_str()]);
    assert!(listed(Some("nothing"), None, 10).is_empty());
    assert!(listed(None, None, 0).is_empty());

    let all = store.sessions(None, None, 10).unwrap();
    assert!(all.iter().all(|info| info.events == 1 && !info.finished));
}

const HELP: &str = r#"
tree help "Help"
  audience: agent, customer
  start: ask

field name: text "Your name"

node ask "Ask"
  say "What is your name?"
  ask name
  option "Solved" -> solved
  option "Talk to a person" -> person

node solved "Solved"
  say "Glad to help."
  end resolved

node person "Person"
  say "Connecting you."
  end escalated "Support"
"#;

#[test]
fn a_session_played_through_the_store_resumes_exactly() {
    let project = Project::single("help.tree", HELP);
    assert!(!project.has_errors());
    let tree = project.tree_by_name("help").unwrap();
    let (_dir, store) = temp_store();

    let mut session = Session::start(&project, tree, Audience::Customer, 1_000).unwrap();
    let new = store.create_session(&session.log()[0]).unwrap();
    for event in [
        Event::Answered {
            field: "name".into(),
            value: "Ada".into(),
            at: 2_000,
        },
        Event::Chose {
            option: 0,
            label: "Solved".into(),
            at: 3_000,
        },
    ] {
        // As a host does it: the engine accepts the event, then the store keeps it.
        let seq = session.log().len();
        session.apply(event.clone()).unwrap();
        store.append(&new.id, seq, &event).unwrap();
    }
    assert!(session.is_finished());
    let outcome = session
        .state()
        .ending
        .as_ref()
        .and_then(|e| e.outcome.as_ref());
    store
        .finish(&new.id, outcome.map(|outcome| outcome.kind.name()))
        .unwrap();
    let info = store.session(&new.id).unwrap().unwrap();
    assert!(info.finished);
    assert_eq!(info.outcome.as_deref(), Some("resolved"));

    let resumed = Session::resume(&project, store.events(&new.id).unwrap()).unwrap();
    assert_eq!(resumed.state(), session.state());

    // Undoing the ending reopens the session in the store too.
    let mut session = resumed;
    let back = Event::Back { at: 4_000 };
    let seq = session.log().len();
    session.apply(back.clone()).unwrap();
    store.append(&new.id, seq, &back).unwrap();
    assert!(!session.is_finished());
    let info = store.session(&new.id).unwrap().unwrap();
    assert!(!info.finished);
    assert_eq!(info.outcome, None);
}

#[test]
fn the_store_can_be_shared_between_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Store>();
    fn error_travels<T: Send + Sync + 'static>() {}
    error_travels::<StoreError>();
}

#[test]
fn a_tree_version_is_kept_as_first_saved() {
    let (_dir, store) = temp_store();
    assert_eq!(store.load_version("abc").unwrap(), None);
    let files = vec![
        ("b.tree".to_owned(), "tree b \"B\"\n".to_owned()),
        ("a.tree".to_owned(), "tree a \"A\"\n".to_owned()),
    ];
    store.save_version("abc", &files).unwrap();
    // A later save of the same version (say, after a tree moved to another file) changes
    // nothing: mixing the two could define a tree twice.
    store
        .save_version("abc", &[("c.tree".to_owned(), "tree a \"A\"\n".to_owned())])
        .unwrap();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(store.load_version("abc").unwrap(), Some(sorted));
    assert_eq!(store.load_version("abd").unwrap(), None);
}

#[test]
fn a_step_of_several_events_is_stored_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.db")).unwrap();
    let first = Event::Started {
        tree: "wifi".into(),
        version: "v1".into(),
        audience: Audience::Customer,
        at: 1,
        given: Vec::new(),
    };
    let created = store.create_session(&first).unwrap();
    let step = [
        Event::Answered {
            field: "postcode".into(),
            value: "SW1A 1AA".into(),
            at: 2,
        },
        Event::Continued { at: 3 },
    ];
    // A stale step stores none of its events.
    assert!(matches!(
        store.append_all(&created.id, 5, &step),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.events(&created.id).unwrap().len(), 1);
    store.append_all(&created.id, 1, &step).unwrap();
    assert_eq!(store.events(&created.id).unwrap()[1..], step);
    // A `started` in the middle of a step refuses the whole step.
    assert!(
        store
            .append_all(&created.id, 3, &[step[1].clone(), first])
            .is_err()
    );
    assert_eq!(store.events(&created.id).unwrap().len(), 3);
}

#[test]
fn a_handoff_code_expires_a_lifetime_after_the_last_event_and_asking_again_keeps_it() {
    let (_dir, store) = temp_store();
    let new = store.create_session(&started("modem", 10)).unwrap();
    store
        .append(&new.id, 1, &note("asked for a person", 500))
        .unwrap();
    let code = store.handoff_lasting(&new.id, 1_000).unwrap();
    let info = store.session(&new.id).unwrap().unwrap();
    assert_eq!(info.handoff.as_deref(), Some(code.as_str()));
    assert_eq!(info.handoff_expires, Some(1_500));
    store.append(&new.id, 2, &note("later", 9_000)).unwrap();
    assert_eq!(store.handoff_lasting(&new.id, 1_000).unwrap(), code);
    assert_eq!(
        store.session(&new.id).unwrap().unwrap().handoff_expires,
        Some(1_500),
        "asking again does not extend a code"
    );
    let other = store.create_session(&started("modem", 20)).unwrap();
    store.handoff(&other.id).unwrap();
    assert_eq!(
        store.session(&other.id).unwrap().unwrap().handoff_expires,
        Some(20 + calltree_store::HANDOFF_LIFETIME)
    );
}

#[test]
fn codes_given_before_expiry_existed_last_a_day_from_their_sessions_last_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    // The first schema, as databases in the field have it.
    raw(&path)
        .execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY NOT NULL, tree TEXT NOT NULL,
                version TEXT NOT NULL, audience TEXT NOT NULL, owner_hash TEXT NOT NULL,
                csrf TEXT NOT NULL, handoff TEXT UNIQUE, created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL, finished INTEGER NOT NULL DEFAULT 0
                CHECK (finished IN (0, 1)), outcome TEXT) STRICT;
             CREATE TABLE events (session_id TEXT NOT NULL REFERENCES sessions (id)
                ON DELETE CASCADE, seq INTEGER NOT NULL CHECK (seq >= 0), at INTEGER NOT NULL,
                kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (session_id, seq))
                STRICT, WITHOUT ROWID;
             CREATE TABLE versions (version TEXT NOT NULL, file TEXT NOT NULL,
                text TEXT NOT NULL, PRIMARY KEY (version, file)) STRICT;
             INSERT INTO sessions VALUES ('a', 'modem', 'v', 'customer', 'h', 'c', 'ABCDEFGH',
                10, 500, 0, NULL);
             INSERT INTO sessions VALUES ('b', 'modem', 'v', 'customer', 'h', 'c', NULL,
                10, 500, 0, NULL);
             INSERT INTO versions VALUES ('old', 'a.tree', 'tree a');
             PRAGMA application_id = 1129599557; PRAGMA user_version = 1;",
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    let a = store.session("a").unwrap().unwrap();
    assert_eq!(
        a.handoff_expires,
        Some(500 + calltree_store::HANDOFF_LIFETIME)
    );
    assert_eq!(store.session("b").unwrap().unwrap().handoff_expires, None);
    // Versions saved before texts were kept once are still read.
    assert_eq!(
        store.load_version("old").unwrap(),
        Some(vec![("a.tree".to_owned(), "tree a".to_owned())])
    );
    assert!(store.has_version("old").unwrap());
}

#[test]
fn prune_deletes_old_sessions_but_keeps_live_handoffs_and_versions() {
    let (_dir, store) = temp_store();
    store
        .save_version("v1", &[("a.tree".into(), "tree a".into())])
        .unwrap();
    let old = store.create_session(&started("modem", 100)).unwrap();
    store.append(&old.id, 1, &note("old", 200)).unwrap();
    let waiting = store.create_session(&started("modem", 100)).unwrap();
    store.handoff_lasting(&waiting.id, 10_000).unwrap(); // works until 10,100
    let expired = store.create_session(&started("modem", 100)).unwrap();
    store.handoff_lasting(&expired.id, 500).unwrap(); // worked until 600
    let recent = store.create_session(&started("modem", 5_000)).unwrap();

    let pruned = store.prune(1_000, 2_000).unwrap();
    assert_eq!(
        pruned,
        calltree_store::Pruned {
            sessions: 2,
            events: 3
        }
    );
    assert_eq!(store.session(&old.id).unwrap(), None);
    assert_eq!(store.session(&expired.id).unwrap(), None);
    assert!(store.session(&waiting.id).unwrap().is_some());
    assert!(store.session(&recent.id).unwrap().is_some());
    assert!(matches!(
        store.events(&old.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.load_version("v1").unwrap().is_some(), "versions stay");
    assert_eq!(
        store.prune(1_000, 2_000).unwrap(),
        calltree_store::Pruned::default()
    );
}

#[test]
fn a_file_text_is_stored_once_whatever_number_of_versions_use_it() {
    let (_dir, store) = temp_store();
    let a = ("a.tree".to_owned(), "tree a".to_owned());
    let b = ("b.tree".to_owned(), "tree b".to_owned());
    let b2 = ("b.tree".to_owned(), "tree b, edited".to_owned());
    // Two trees of one project: two versions, one set of files.
    store.save_version("a1", &[a.clone(), b.clone()]).unwrap();
    store.save_version("b1", &[a.clone(), b.clone()]).unwrap();
    // An edit of b: a new text for b only.
    store.save_version("b2", &[a.clone(), b2.clone()]).unwrap();
    let conn = raw(store.path());
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    };
    assert_eq!(count("texts"), 3);
    assert_eq!(count("snapshot_files"), 4, "two snapshots of two files");
    assert_eq!(count("version_snapshots"), 3);
    assert_eq!(store.load_version("a1").unwrap(), Some(vec![a.clone(), b]));
    assert_eq!(store.load_version("b2").unwrap(), Some(vec![a, b2]));
    assert!(store.has_version("b2").unwrap());
    assert!(!store.has_version("zz").unwrap());
}
