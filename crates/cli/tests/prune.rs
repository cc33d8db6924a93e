//! `calltree prune` with the real binary: old sessions go, recent ones stay.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::process::Command;

use calltree_engine::Event;
use calltree_store::Store;

fn started(at: i64) -> Event {
    Event::Started {
        tree: "wifi".into(),
        version: "v".into(),
        audience: calltree_syntax::Audience::Customer,
        at,
        given: Vec::new(),
        locale: None,
    }
}

#[test]
fn prune_deletes_sessions_older_than_the_retention_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    let now = calltree_calls::now();
    let day = 24 * 60 * 60 * 1000;
    let (old, recent) = {
        let store = Store::open(&db).unwrap();
        let old = store.create_session(&started(now - 40 * day)).unwrap().id;
        let recent = store.create_session(&started(now - day)).unwrap().id;
        (old, recent)
    };
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["prune", "--retain", "30", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(
        said.starts_with("deleted 1 sessions and 1 events older than 30 days"),
        "{said}"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(store.session(&old).unwrap(), None);
    assert!(store.session(&recent).unwrap().is_some());

    // A database that is not there is an error, not a new empty file.
    let missing = dir.path().join("missing.db");
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["prune", "--retain", "30", "--db"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!missing.exists());
}
