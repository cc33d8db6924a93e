//! Copying a whole SQLite session database into PostgreSQL (`calltree migrate`): every
//! session with its secrets' hashes, handoff code and events, and every tree version's texts,
//! so the instances on PostgreSQL carry on every session exactly where it was.
//!
//! Both databases are first opened as stores, which brings each schema up to date (and
//! refuses a file or a database from a newer calltree) before a row is read. Sessions are
//! copied in transactions of `BATCH` sessions, each with all its events or not at all, and a
//! session already in PostgreSQL is left as it is: a copy cut short is finished by running it
//! again, and nothing is copied twice. Stop the server on the SQLite file first, or sessions
//! it changes during the copy may be copied as they were before.

use std::path::Path;
use std::sync::Arc;

use postgres::NoTls;
use rusqlite::Connection;

use crate::error::StoreError;
use crate::store::{Store, postgres_address};

/// Sessions per PostgreSQL transaction.
const BATCH: usize = 500;

/// What a migration copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Sessions copied.
    pub sessions: usize,
    /// Their events.
    pub events: usize,
    /// Sessions that were in PostgreSQL already, left as they were.
    pub skipped: usize,
    /// Tree versions copied (new ones only).
    pub versions: usize,
}

/// A `sessions` row of SQLite, every column.
struct Row {
    id: String,
    tree: String,
    version: String,
    audience: String,
    owner_hash: String,
    csrf: String,
    handoff: Option<String>,
    handoff_expires: Option<i64>,
    created_at: i64,
    updated_at: i64,
    finished: bool,
    outcome: Option<String>,
}

/// Copies every session and tree version of the SQLite file `from` into the PostgreSQL
/// database `to` (an address).
pub fn migrate(from: &Path, to: &Path) -> Result<Migrated, StoreError> {
    let Some(address) = postgres_address(to) else {
        return Err(StoreError::BadAddress {
            location: to.display().to_string(),
            message: "the target of a migration is a postgres:// address".into(),
        });
    };
    if postgres_address(from).is_some() || !from.is_file() {
        return Err(StoreError::NotFound(format!(
            "{} (the SQLite file to copy)",
            from.display()
        )));
    }
    // Opening each as a store migrates its schema to this version, or refuses it.
    drop(Store::open(from)?);
    let target = Store::open(to)?;
    let shown = target.path().display().to_string();
    drop(target);

    let sqlite = crate::schema::open_reader(from)?;
    let mut config = postgres::Config::from_str_checked(address, &shown)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    let mut pg = config
        .connect(NoTls)
        .map_err(|error| pg_error(&shown, "connecting", error))?;
    let mut migrated = Migrated::default();
    copy_versions(&sqlite, &mut pg, &shown, &mut migrated)?;
    copy_agents(&sqlite, &mut pg, &shown)?;

    let ids: Vec<String> = sqlite
        .prepare("SELECT id FROM sessions ORDER BY id")
        .and_then(|mut select| select.query_map([], |row| row.get(0))?.collect())
        .map_err(StoreError::db("listing sessions to copy"))?;
    for chunk in ids.chunks(BATCH) {
        let mut tx = pg
            .transaction()
            .map_err(|error| pg_error(&shown, "copying sessions", error))?;
        for id in chunk {
            let row = session_row(&sqlite, id)?;
            let inserted = tx
                .execute(
                    "INSERT INTO sessions (id, tree, version, audience, owner_hash, csrf, \
                     handoff, handoff_expires, created_at, updated_at, finished, outcome) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT (id) DO NOTHING",
                    &[
                        &row.id,
                        &row.tree,
                        &row.version,
                        &row.audience,
                        &row.owner_hash,
                        &row.csrf,
                        &row.handoff,
                        &row.handoff_expires,
                        &row.created_at,
                        &row.updated_at,
                        &row.finished,
                        &row.outcome,
                    ],
                )
                .map_err(|error| pg_error(&shown, "copying a session", error))?;
            if inserted == 0 {
                migrated.skipped += 1;
                continue;
            }
            let events: Vec<(i64, i64, String, String)> = sqlite
                .prepare_cached(
                    "SELECT seq, at, kind, body FROM events WHERE session_id = ?1 ORDER BY seq",
                )
                .and_then(|mut select| {
                    select
                        .query_map([id], |row| {
                            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                        })?
                        .collect()
                })
                .map_err(StoreError::db("reading events to copy"))?;
            for (seq, at, kind, body) in &events {
                tx.execute(
                    "INSERT INTO events (session_id, seq, at, kind, body) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[id, seq, at, kind, body],
                )
                .map_err(|error| pg_error(&shown, "copying an event", error))?;
            }
            migrated.sessions += 1;
            migrated.events += events.len();
        }
        tx.commit()
            .map_err(|error| pg_error(&shown, "committing copied sessions", error))?;
    }
    Ok(migrated)
}

fn session_row(sqlite: &Connection, id: &str) -> Result<Row, StoreError> {
    sqlite
        .prepare_cached(
            "SELECT id, tree, version, audience, owner_hash, csrf, handoff, handoff_expires, \
             created_at, updated_at, finished, outcome FROM sessions WHERE id = ?1",
        )
        .and_then(|mut select| {
            select.query_row([id], |row| {
                Ok(Row {
                    id: row.get(0)?,
                    tree: row.get(1)?,
                    version: row.get(2)?,
                    audience: row.get(3)?,
                    owner_hash: row.get(4)?,
                    csrf: row.get(5)?,
                    handoff: row.get(6)?,
                    handoff_expires: row.get(7)?,
                    created_at: row.get(8)?,
                    updated_at: row.get(9)?,
                    finished: row.get(10)?,
                    outcome: row.get(11)?,
                })
            })
        })
        .map_err(StoreError::db("reading a session to copy"))
}

/// The tree texts, snapshots and versions (each table as it is; rows already there stay).
fn copy_versions(
    sqlite: &Connection,
    pg: &mut postgres::Client,
    shown: &str,
    migrated: &mut Migrated,
) -> Result<(), StoreError> {
    let mut tx = pg
        .transaction()
        .map_err(|error| pg_error(shown, "copying tree versions", error))?;
    let tables: [(&str, &str, usize); 4] = [
        ("texts", "hash, text", 2),
        ("snapshot_files", "snapshot, file, hash", 3),
        ("version_snapshots", "version, snapshot", 2),
        ("versions", "version, file, text", 3),
    ];
    for (table, columns, count) in tables {
        let rows: Vec<Vec<String>> = sqlite
            .prepare(&format!("SELECT {columns} FROM {table}"))
            .and_then(|mut select| {
                select
                    .query_map([], |row| (0..count).map(|index| row.get(index)).collect())?
                    .collect()
            })
            .map_err(StoreError::db("reading tree versions to copy"))?;
        let placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES ({}) ON CONFLICT DO NOTHING",
            placeholders.join(", ")
        );
        for row in &rows {
            let values: Vec<&(dyn postgres::types::ToSql + Sync)> = row
                .iter()
                .map(|value| value as &(dyn postgres::types::ToSql + Sync))
                .collect();
            let inserted = tx
                .execute(&sql, &values)
                .map_err(|error| pg_error(shown, "copying tree versions", error))?;
            if table == "version_snapshots" {
                migrated.versions += usize::try_from(inserted).unwrap_or(0);
            }
        }
    }
    tx.commit()
        .map_err(|error| pg_error(shown, "copying tree versions", error))
}

/// The agents and their tokens' hashes, so desktops keep working against PostgreSQL, and the
/// published trees (a row already there stays as it is).
fn copy_agents(
    sqlite: &Connection,
    pg: &mut postgres::Client,
    shown: &str,
) -> Result<(), StoreError> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlite
        .prepare("SELECT name, token_hash, created_at, revoked_at FROM agents")
        .and_then(|mut select| {
            select
                .query_map([], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })?
                .collect()
        })
        .map_err(StoreError::db("reading agents to copy"))?;
    let mut tx = pg
        .transaction()
        .map_err(|error| pg_error(shown, "copying agents", error))?;
    for (name, hash, created, revoked) in &rows {
        tx.execute(
            "INSERT INTO agents (name, token_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[name, hash, created, revoked],
        )
        .map_err(|error| pg_error(shown, "copying agents", error))?;
    }
    let live: Vec<(String, String, i64, String)> = sqlite
        .prepare("SELECT tree, version, published_at, published_by FROM live_trees")
        .and_then(|mut select| {
            select
                .query_map([], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })?
                .collect()
        })
        .map_err(StoreError::db("reading published trees to copy"))?;
    for (tree, version, at, by) in &live {
        tx.execute(
            "INSERT INTO live_trees (tree, version, published_at, published_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[tree, version, at, by],
        )
        .map_err(|error| pg_error(shown, "copying published trees", error))?;
    }
    tx.commit()
        .map_err(|error| pg_error(shown, "copying agents", error))
}

fn pg_error(shown: &str, during: &'static str, error: postgres::Error) -> StoreError {
    if crate::pg::unreachable(&error) {
        StoreError::Unavailable {
            location: shown.to_owned(),
            during,
            source: Arc::new(error),
        }
    } else {
        StoreError::Postgres {
            during,
            source: Arc::new(error),
        }
    }
}

/// Parsing an address with the password kept out of the error.
trait ParseChecked: Sized {
    fn from_str_checked(address: &str, shown: &str) -> Result<Self, StoreError>;
}

impl ParseChecked for postgres::Config {
    fn from_str_checked(address: &str, shown: &str) -> Result<Self, StoreError> {
        address
            .parse()
            .map_err(|error: postgres::Error| StoreError::BadAddress {
                location: shown.to_owned(),
                message: error.to_string(),
            })
    }
}
