//! The store keeps what it acknowledged, refuses what it must, and stays correct under
//! concurrent writers. Every test works on a real database with the settings of production:
//! the tests in `on_both_backends!` run once on an SQLite file in a temporary folder and once
//! on a new database of a real PostgreSQL (see `calltree_store::testing`), so both backends
//! keep one set of promises; the rest are about one backend's own file or server.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
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

/// One database for a test: an SQLite file in a temporary folder, or a new, empty database
/// on the test PostgreSQL.
enum Db {
    Sqlite(TempDir),
    Postgres(String),
}

impl Db {
    fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().unwrap())
    }

    /// `None` (the test is skipped, with a note) when PostgreSQL cannot be had and is not
    /// required.
    fn postgres() -> Option<Db> {
        calltree_store::testing::postgres_database().map(Db::Postgres)
    }

    fn location(&self) -> PathBuf {
        match self {
            Db::Sqlite(dir) => dir.path().join("sessions.db"),
            Db::Postgres(address) => PathBuf::from(address),
        }
    }

    fn open(&self) -> Store {
        Store::open(self.location()).unwrap()
    }

    fn pg(address: &str) -> ::postgres::Client {
        ::postgres::Client::connect(address, ::postgres::NoTls).unwrap()
    }

    /// Runs `sql` (with `$1` = `param`) beside the store, as another program would.
    fn execute(&self, sql: &str, param: &str) {
        match self {
            Db::Sqlite(_) => {
                raw(&self.location()).execute(sql, [param]).unwrap();
            }
            Db::Postgres(address) => {
                Db::pg(address).execute(sql, &[&param]).unwrap();
            }
        }
    }

    /// The one text value `sql` selects.
    fn text(&self, sql: &str, param: &str) -> String {
        match self {
            Db::Sqlite(_) => raw(&self.location())
                .query_row(sql, [param], |row| row.get(0))
                .unwrap(),
            Db::Postgres(address) => Db::pg(address).query_one(sql, &[&param]).unwrap().get(0),
        }
    }

    /// The one number `sql` selects.
    fn number(&self, sql: &str, param: &str) -> i64 {
        match self {
            Db::Sqlite(_) => raw(&self.location())
                .query_row(sql, [param], |row| row.get(0))
                .unwrap(),
            Db::Postgres(address) => Db::pg(address).query_one(sql, &[&param]).unwrap().get(0),
        }
    }

    fn count(&self, table: &str) -> i64 {
        self.number(&format!("SELECT count(*) FROM {table} WHERE $1 = $1"), "")
    }

    /// The `kind` and `at` columns of a session's events, in order.
    fn kinds(&self, id: &str) -> Vec<(String, i64)> {
        let sql = "SELECT kind, at FROM events WHERE session_id = $1 ORDER BY seq";
        match self {
            Db::Sqlite(_) => raw(&self.location())
                .prepare(sql)
                .unwrap()
                .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap(),
            Db::Postgres(address) => Db::pg(address)
                .query(sql, &[&id])
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect(),
        }
    }
}

/// Each test named here runs twice: `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Db::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = super::Db::postgres() {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    a_session_reads_back_as_it_was_written,
    a_stale_seq_is_a_conflict_and_stores_nothing,
    unknown_sessions_and_misplaced_started_events_are_refused,
    everything_is_there_after_a_restart,
    concurrent_appends_to_different_sessions_all_land_in_order,
    of_two_writers_racing_for_one_seq_exactly_one_wins,
    handoff_codes_are_unique_stable_and_forgiving_to_type,
    only_the_owner_token_passes_and_it_is_not_stored,
    ids_and_tokens_are_32_hex_digits_and_all_different,
    a_damaged_event_is_an_error_naming_session_and_seq,
    sessions_are_listed_newest_first_by_tree_and_time,
    a_session_played_through_the_store_resumes_exactly,
    a_tree_version_is_kept_as_first_saved,
    a_step_of_several_events_is_stored_whole_or_not_at_all,
    a_handoff_code_expires_a_lifetime_after_the_last_event_and_asking_again_keeps_it,
    prune_deletes_old_sessions_but_keeps_live_handoffs_and_versions,
    a_file_text_is_stored_once_whatever_number_of_versions_use_it,
    agent_tokens_are_stored_hashed_and_can_be_revoked,
    a_publish_makes_versions_live_together_and_a_later_one_replaces_them,
);

fn a_publish_makes_versions_live_together_and_a_later_one_replaces_them(db: &Db) {
    let store = db.open();
    assert!(store.live_trees().unwrap().is_empty());
    let first = [
        ("billing".to_owned(), "b1".to_owned()),
        ("modem".to_owned(), "m1".to_owned()),
    ];
    store.publish(&first, 10, "ana").unwrap();
    store
        .publish(&[("modem".to_owned(), "m2".to_owned())], 20, "bo")
        .unwrap();
    let live: Vec<(String, String, i64, String)> = db
        .open()
        .live_trees()
        .unwrap()
        .into_iter()
        .map(|t| (t.tree, t.version, t.published_at, t.published_by))
        .collect();
    assert_eq!(
        live,
        [
            ("billing".into(), "b1".into(), 10, "ana".into()),
            ("modem".into(), "m2".into(), 20, "bo".into())
        ]
    );
}

fn agent_tokens_are_stored_hashed_and_can_be_revoked(db: &Db) {
    let store = db.open();
    let token = store.add_agent("ana", 1_000).unwrap();
    assert!(token.starts_with("ct_") && token.len() == 67, "{token}");
    let other = store.add_agent("bo@desk-2", 2_000).unwrap();
    assert_ne!(token, other);
    // Only the hash is kept: the token itself is nowhere in the table.
    let stored = db.text("SELECT token_hash FROM agents WHERE name = $1", "ana");
    assert_eq!(stored.len(), 64);
    assert!(!stored.contains(&token[3..]));

    assert_eq!(
        store.check_agent(&token).unwrap(),
        calltree_store::AgentCheck::Agent("ana".into())
    );
    assert_eq!(
        store.check_agent("ct_0000").unwrap(),
        calltree_store::AgentCheck::Unknown
    );
    assert!(matches!(
        store.add_agent("ana", 3_000).unwrap_err(),
        StoreError::AgentExists(name) if name == "ana"
    ));
    for bad in ["", "two words", "-dash", &"x".repeat(65), "é"] {
        assert!(
            matches!(store.add_agent(bad, 0), Err(StoreError::BadAgentName(_))),
            "{bad:?}"
        );
    }

    store.revoke_agent("ana", 5_000).unwrap();
    store.revoke_agent("ana", 6_000).unwrap();
    assert_eq!(
        store.check_agent(&token).unwrap(),
        calltree_store::AgentCheck::Revoked {
            name: "ana".into(),
            at: 5_000
        }
    );
    assert!(matches!(
        store.revoke_agent("nobody", 1).unwrap_err(),
        StoreError::NoAgent(_)
    ));
    let listed = db.open().agents().unwrap();
    let names: Vec<(&str, Option<i64>)> = listed
        .iter()
        .map(|agent| (agent.name.as_str(), agent.revoked_at))
        .collect();
    assert_eq!(names, [("ana", Some(5_000)), ("bo@desk-2", None)]);
}

fn started(tree: &str, at: i64) -> Event {
    Event::Started {
        tree: tree.into(),
        version: "v1-fingerprint".into(),
        audience: Audience::Customer,
        at,
        given: Vec::new(),
        locale: None,
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

fn a_session_reads_back_as_it_was_written(db: &Db) {
    let store = db.open();
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
    let kinds = db.kinds(&new.id);
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

fn a_stale_seq_is_a_conflict_and_stores_nothing(db: &Db) {
    let store = db.open();
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

fn unknown_sessions_and_misplaced_started_events_are_refused(db: &Db) {
    let store = db.open();
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

fn everything_is_there_after_a_restart(db: &Db) {
    let (new, code, csrf) = {
        let store = db.open();
        let new = store.create_session(&started("modem", 10)).unwrap();
        store
            .append(&new.id, 1, &note("before the restart", 20))
            .unwrap();
        let code = store.handoff(&new.id).unwrap();
        let csrf = store.csrf(&new.id).unwrap().unwrap();
        (new, code, csrf)
        // The store is dropped here, as when the server stops.
    };

    let store = db.open();
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
    assert_eq!(version, 7);
}

fn concurrent_appends_to_different_sessions_all_land_in_order(db: &Db) {
    const THREADS: usize = 8;
    const EVENTS: usize = 60;
    let store = db.open();
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

fn of_two_writers_racing_for_one_seq_exactly_one_wins(db: &Db) {
    const THREADS: usize = 8;
    let store = db.open();
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

fn handoff_codes_are_unique_stable_and_forgiving_to_type(db: &Db) {
    let store = db.open();
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

fn only_the_owner_token_passes_and_it_is_not_stored(db: &Db) {
    let store = db.open();
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

    drop(store);
    if let Db::Sqlite(dir) = db {
        // Neither the database nor anything SQLite keeps beside it holds the token.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&new.owner_token));
            assert!(!text.contains(&other.owner_token));
        }
    }
    // No row holds either token.
    for token in [&new.owner_token, &other.owner_token] {
        let sql = "SELECT count(*) FROM sessions WHERE owner_hash = $1 OR csrf = $1 OR id = $1";
        assert_eq!(db.number(sql, token), 0);
        let sql = "SELECT count(*) FROM events WHERE body LIKE '%' || $1 || '%'";
        assert_eq!(db.number(sql, token), 0);
    }
    let stored = db.text("SELECT owner_hash FROM sessions WHERE id = $1", &new.id);
    assert_eq!(stored.len(), 64);
}

fn ids_and_tokens_are_32_hex_digits_and_all_different(db: &Db) {
    let store = db.open();
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
            supported: 7,
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

fn a_damaged_event_is_an_error_naming_session_and_seq(db: &Db) {
    let store = db.open();
    let new = store.create_session(&started("modem", 0)).unwrap();
    store.append(&new.id, 1, &note("fine", 1)).unwrap();
    store
        .append(&new.id, 2, &note("about to break", 2))
        .unwrap();
    db.execute(
        "UPDATE events SET body = '{\"event\":\"teleported\",\"at\":2}' \
         WHERE session_id = $1 AND seq = 2",
        &new.id,
    );

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

    db.execute(
        "UPDATE sessions SET audience = 'robot' WHERE id = $1",
        &new.id,
    );
    assert!(matches!(
        store.session(&new.id).unwrap_err(),
        StoreError::BadSession { .. }
    ));
}

fn sessions_are_listed_newest_first_by_tree_and_time(db: &Db) {
    let store = db.open();
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

fn a_session_played_through_the_store_resumes_exactly(db: &Db) {
    let project = Project::single("help.tree", HELP);
    assert!(!project.has_errors());
    let tree = project.tree_by_name("help").unwrap();
    let store = db.open();

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

fn a_tree_version_is_kept_as_first_saved(db: &Db) {
    let store = db.open();
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

fn a_step_of_several_events_is_stored_whole_or_not_at_all(db: &Db) {
    let store = db.open();
    let first = Event::Started {
        tree: "wifi".into(),
        version: "v1".into(),
        audience: Audience::Customer,
        at: 1,
        given: Vec::new(),
        locale: None,
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

fn a_handoff_code_expires_a_lifetime_after_the_last_event_and_asking_again_keeps_it(db: &Db) {
    let store = db.open();
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

fn prune_deletes_old_sessions_but_keeps_live_handoffs_and_versions(db: &Db) {
    let store = db.open();
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

fn a_file_text_is_stored_once_whatever_number_of_versions_use_it(db: &Db) {
    let store = db.open();
    let a = ("a.tree".to_owned(), "tree a".to_owned());
    let b = ("b.tree".to_owned(), "tree b".to_owned());
    let b2 = ("b.tree".to_owned(), "tree b, edited".to_owned());
    // Two trees of one project: two versions, one set of files.
    store.save_version("a1", &[a.clone(), b.clone()]).unwrap();
    store.save_version("b1", &[a.clone(), b.clone()]).unwrap();
    // An edit of b: a new text for b only.
    store.save_version("b2", &[a.clone(), b2.clone()]).unwrap();
    let count = |table: &str| db.count(table);
    assert_eq!(count("texts"), 3);
    assert_eq!(count("snapshot_files"), 4, "two snapshots of two files");
    assert_eq!(count("version_snapshots"), 3);
    assert_eq!(store.load_version("a1").unwrap(), Some(vec![a.clone(), b]));
    assert_eq!(store.load_version("b2").unwrap(), Some(vec![a, b2]));
    assert!(store.has_version("b2").unwrap());
    assert!(!store.has_version("zz").unwrap());
}

/// Two stores on one PostgreSQL database are two `calltree serve` instances: each sees what
/// the other stored, and of two appends racing for one number exactly one lands.
#[test]
fn two_stores_on_one_postgres_database_share_sessions_and_race_fairly() {
    let Some(db) = Db::postgres() else { return };
    let (a, b) = (db.open(), db.open());
    let new = a.create_session(&started("modem", 0)).unwrap();
    // Alternating between the two, as a balancer sending requests round-robin does.
    for seq in 1..=20 {
        let store = if seq % 2 == 0 { &a } else { &b };
        let seen = store.session(&new.id).unwrap().unwrap().events;
        assert_eq!(seen, seq);
        store
            .append(&new.id, seen, &note(&format!("step {seq}"), seq as i64))
            .unwrap();
    }
    assert_eq!(a.events(&new.id).unwrap(), b.events(&new.id).unwrap());
    let code = a.handoff(&new.id).unwrap();
    assert_eq!(b.find_handoff(&code).unwrap(), Some(new.id.clone()));

    const THREADS: usize = 8;
    let start = Arc::new(Barrier::new(THREADS));
    let results: Vec<Result<(), StoreError>> = (0..THREADS)
        .map(|thread| {
            let store = if thread % 2 == 0 {
                a.clone()
            } else {
                b.clone()
            };
            let (start, id) = (Arc::clone(&start), new.id.clone());
            thread::spawn(move || {
                start.wait();
                store.append(&id, 21, &note(&format!("tab {thread}"), 21))
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
    assert_eq!(b.events(&new.id).unwrap().len(), 22);
}

/// Many sessions, each written by both instances at once: every acknowledged event is there
/// exactly once, numbers dense, and a lost race is a conflict, never a duplicate or a
/// deadlock that fails the step.
#[test]
fn two_postgres_stores_writing_the_same_sessions_lose_nothing() {
    let Some(db) = Db::postgres() else { return };
    let stores = [db.open(), db.open()];
    let ids: Vec<String> = (0..6)
        .map(|_| stores[0].create_session(&started("modem", 0)).unwrap().id)
        .collect();
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let store = stores[worker % 2].clone();
            let ids = ids.clone();
            thread::spawn(move || {
                let mut stored = Vec::new();
                for round in 0..30 {
                    // Each worker walks the sessions in its own order.
                    let id = &ids[(round * (worker + 1)) % ids.len()];
                    let seen = store.session(id).unwrap().unwrap().events;
                    let text = format!("worker {worker} round {round}");
                    match store.append(id, seen, &note(&text, 1)) {
                        Ok(()) => stored.push((id.clone(), text)),
                        Err(StoreError::Conflict { .. }) => {}
                        Err(other) => panic!("{other}"),
                    }
                }
                stored
            })
        })
        .collect();
    let acknowledged: Vec<(String, String)> = workers
        .into_iter()
        .flat_map(|worker| worker.join().unwrap())
        .collect();
    let mut found = 0;
    for id in &ids {
        let events = stores[1].events(id).unwrap();
        found += events.len() - 1;
        for (session, text) in acknowledged.iter().filter(|(session, _)| session == id) {
            let copies = events
                .iter()
                .filter(|event| **event == note(text, 1))
                .count();
            assert_eq!(copies, 1, "{session}: {text}");
        }
    }
    assert_eq!(
        found,
        acknowledged.len(),
        "nothing stored that was not acknowledged"
    );
}

#[test]
fn a_postgres_database_from_a_newer_version_or_another_program_is_refused() {
    let Some(db) = Db::postgres() else { return };
    drop(db.open());
    db.execute("UPDATE calltree_schema SET version = 99 WHERE $1 = $1", "");
    let error = Store::open(db.location()).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::TooNew {
                found: 99,
                supported: 7,
                ..
            }
        ),
        "{error:?}"
    );

    let Some(other) = Db::postgres() else { return };
    let Db::Postgres(address) = &other else {
        return;
    };
    Db::pg(address)
        .batch_execute("CREATE TABLE sessions (who TEXT)")
        .unwrap();
    let error = Store::open(other.location()).unwrap_err();
    assert!(
        matches!(error, StoreError::ForeignDatabase { .. }),
        "{error:?}"
    );
    assert_eq!(other.count("sessions"), 0, "left as it was");
}

/// PostgreSQL restarting closes every connection: the store notices, connects again, and
/// the caller sees nothing of it.
#[test]
fn connections_lost_to_a_postgres_restart_are_made_again() {
    let Some(db) = Db::postgres() else { return };
    let store = db.open();
    let new = store.create_session(&started("modem", 0)).unwrap();
    assert_eq!(store.events(&new.id).unwrap().len(), 1);
    let kill = "SELECT count(pg_terminate_backend(pid))::bigint FROM pg_stat_activity \
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND $1 = $1";
    assert!(
        db.number(kill, "") >= 2,
        "the writer and a reader were connected"
    );
    store.append(&new.id, 1, &note("after", 1)).unwrap();
    assert_eq!(store.events(&new.id).unwrap().len(), 2);
}

/// PostgreSQL out of reach: every call is `Unavailable` (no panic, nothing half-stored), and
/// the store works again once the database is back.
#[test]
fn an_unreachable_postgres_is_unavailable_and_then_back() {
    let Some(db) = Db::postgres() else { return };
    let store = db.open();
    let new = store.create_session(&started("modem", 0)).unwrap();
    let Db::Postgres(address) = &db else { return };
    let name = address.rsplit('/').next().unwrap().to_owned();
    let admin = address.replace(&format!("/{name}"), "/postgres");
    let mut admin = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();

    let error = store
        .append(&new.id, 1, &note("while down", 1))
        .unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    assert!(store.events(&new.id).unwrap_err().is_unavailable());
    assert!(store.session(&new.id).unwrap_err().is_unavailable());
    assert!(Store::open(db.location()).unwrap_err().is_unavailable());

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"
        ))
        .unwrap();
    assert_eq!(
        store.events(&new.id).unwrap().len(),
        1,
        "nothing half-stored"
    );
    store.append(&new.id, 1, &note("back", 2)).unwrap();
    assert_eq!(store.events(&new.id).unwrap().len(), 2);
}

#[test]
fn a_postgres_address_that_does_not_parse_or_answer_is_a_clear_error() {
    let error = Store::open("postgres://nobody@127.0.0.1:1/none?connect_timeout=2").unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    assert!(error.to_string().contains("127.0.0.1:1"), "{error}");
    let error = Store::open("postgres://a:secret@h/db?sslmode=sideways").unwrap_err();
    assert!(matches!(error, StoreError::BadAddress { .. }), "{error:?}");
    assert!(!error.to_string().contains("secret"), "{error}");
}
