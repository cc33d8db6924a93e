//! Opening connections with the settings the store relies on, and migrating the schema.
//!
//! The schema version lives in SQLite's own `user_version` header field, so it changes in the
//! same transaction as the tables. Migrations are only ever appended to `MIGRATIONS`; a
//! published one is never edited, because databases in the field have already run it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// Marks the file as ours in the SQLite header ("CTRE"), so that opening another program's
/// database by mistake is refused instead of adding our tables to it.
const APPLICATION_ID: i64 = 0x4354_5245;

/// How long a connection waits for another one (in this process or another) to let go of the
/// database before giving up. A group commit takes milliseconds; this covers checkpoints and
/// a second program such as the CLI writing at the same moment.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations; `MIGRATIONS[n]` takes the database from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1: sessions, their events, and the tree texts of each version sessions use.
    "
    CREATE TABLE sessions (
        id         TEXT PRIMARY KEY NOT NULL,
        tree       TEXT NOT NULL,
        version    TEXT NOT NULL,
        audience   TEXT NOT NULL,
        owner_hash TEXT NOT NULL,
        csrf       TEXT NOT NULL,
        handoff    TEXT UNIQUE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished   INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
        outcome    TEXT
    ) STRICT;

    CREATE TABLE events (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL CHECK (seq >= 0),
        at         INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        body       TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE versions (
        version TEXT NOT NULL,
        file    TEXT NOT NULL,
        text    TEXT NOT NULL,
        PRIMARY KEY (version, file)
    ) STRICT; -- a rowid table: whole files are too large a row for WITHOUT ROWID

    CREATE INDEX sessions_by_created ON sessions (created_at);
    CREATE INDEX sessions_by_tree ON sessions (tree, created_at);
    ",
    // Version 2: handoff codes expire. A code given before this version lasts a day from the
    // session's last event, the default for new ones.
    "
    ALTER TABLE sessions ADD COLUMN handoff_expires INTEGER;
    UPDATE sessions SET handoff_expires = updated_at + 86400000 WHERE handoff IS NOT NULL;
    ",
    // Version 3: old sessions are found by their last event, to delete them (`prune`).
    "
    CREATE INDEX sessions_by_updated ON sessions (updated_at);
    ",
    // Version 4: each file text once, by its hash. A project of many trees saved one copy of
    // every file per tree version, per edit: 164 KB of database for a one-line edit. Now a
    // version names a snapshot (the list of its files), a snapshot names texts by hash, and a
    // text is stored once whatever number of versions use it. Versions saved before stay in
    // `versions` and are read from there.
    "
    CREATE TABLE texts (
        hash TEXT PRIMARY KEY NOT NULL,
        text TEXT NOT NULL
    ) STRICT;

    CREATE TABLE snapshot_files (
        snapshot TEXT NOT NULL,
        file     TEXT NOT NULL,
        hash     TEXT NOT NULL REFERENCES texts (hash),
        PRIMARY KEY (snapshot, file)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE version_snapshots (
        version  TEXT PRIMARY KEY NOT NULL,
        snapshot TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    ",
    // Version 5: agents' desktops talk to `calltree serve`, each with a token of its own. Only
    // the token's SHA-256 is kept (looked up by it on every request); a revoked agent keeps its
    // row, so a refused request can say it was revoked rather than unknown.
    "
    CREATE TABLE agents (
        name       TEXT PRIMARY KEY NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    ) STRICT;
    ",
    // Version 6: the tree versions that are live for desktops (`calltree publish`), one per
    // tree; the files are the version's snapshot, kept as for any other version.
    "
    CREATE TABLE live_trees (
        tree         TEXT PRIMARY KEY NOT NULL,
        version      TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        published_by TEXT NOT NULL
    ) STRICT;
    ",
    // Version 7: nothing here. PostgreSQL's version 7 adds a function that does an append in
    // one round trip; SQLite runs in-process, where a round trip costs nothing.
    "-- nothing to change",
];

/// How many migrations there are: the PostgreSQL backend has as many, version for version.
pub(crate) const MIGRATION_COUNT: usize = MIGRATIONS.len();

/// The schema version this build writes and understands.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens the connection that writes: checks the file is ours and not from the future, turns
/// on WAL and full sync, and brings the schema up to date.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let open_error = |source| StoreError::Open {
        path: path.to_path_buf(),
        source: Arc::new(source),
    };
    let mut conn = Connection::open(path).map_err(open_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    // Refuse before changing anything, so a file we do not understand is left as it was.
    check_header(&conn, path)?;

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal {
            path: path.to_path_buf(),
            mode,
        });
    }
    // FULL also syncs the WAL at every commit, so an acknowledged event survives a power cut;
    // NORMAL (the usual WAL setting) could lose the last commits.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_error)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

/// Opens a connection for reading. It never writes (`query_only`), so the writer thread stays
/// the only writer of this process.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(StoreError::db("opening a reader"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::db("opening a reader"))?;
    conn.pragma_update(None, "query_only", "ON")
        .map_err(StoreError::db("opening a reader"))?;
    Ok(conn)
}

fn check_header(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let read = |pragma: &str| -> Result<i64, StoreError> {
        conn.pragma_query_value(None, pragma, |row| row.get(0))
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source: Arc::new(source),
            })
    };
    let application_id = read("application_id")?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(StoreError::NotOurs {
            path: path.to_path_buf(),
            application_id,
        });
    }
    let found = read("user_version")?;
    if found > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: latest(),
        });
    }
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock first, so two programs opening a new file at once
    // migrate it one after the other, and the second sees the first's version.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::db("migrating the schema"))?;
    check_header(&tx, path)?;
    let current: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(StoreError::db("migrating the schema"))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        tx.execute_batch(sql)
            .map_err(StoreError::db("migrating the schema"))?;
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(StoreError::db("migrating the schema"))?;
    }
    if current < latest() {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(StoreError::db("migrating the schema"))?;
    }
    tx.commit().map_err(StoreError::db("migrating the schema"))
}
