//! The SQLite backend's reads: a small pool of read-only connections, which WAL lets run
//! while the writer thread commits. (Its writes are `writer.rs`, its schema `schema.rs`.)

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use calltree_engine::Millis;
use rusqlite::{Connection, OptionalExtension as _, ToSql};

use crate::error::StoreError;
use crate::schema;
use crate::store::{RawSession, Reads, SESSION_COLUMNS, sessions_query};

/// Idle read connections kept for reuse. More readers than this may run at once (each opens
/// its own connection); the extra ones are closed when done.
const IDLE_READERS: usize = 4;

pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle read connection, opening one if none is idle.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => schema::open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = self.idle();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A panic elsewhere while holding the lock cannot leave a list of connections
        // half-changed, so a poisoned lock is still good to use.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One optional value from a query with one parameter.
    fn one<T: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        key: &str,
        during: &'static str,
    ) -> Result<Option<T>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(sql)
                .and_then(|mut select| select.query_row([key], |row| row.get(0)).optional())
                .map_err(StoreError::db(during))
        })
    }
}

fn session_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawSession> {
    Ok(RawSession {
        id: row.get(0)?,
        tree: row.get(1)?,
        version: row.get(2)?,
        audience: row.get(3)?,
        handoff: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        finished: row.get(7)?,
        outcome: row.get(8)?,
        events: row.get(9)?,
        handoff_expires: row.get(10)?,
    })
}

impl Reads for Readers {
    fn agent_by_hash(&self, hash: &str) -> Result<Option<(String, Option<i64>)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT name, revoked_at FROM agents WHERE token_hash = ?1")
                .and_then(|mut select| {
                    select
                        .query_row([hash], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()
                })
                .map_err(StoreError::db("checking an agent token"))
        })
    }

    fn live_trees(&self) -> Result<Vec<(String, String, i64, String)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT tree, version, published_at, published_by FROM live_trees ORDER BY tree",
            )
            .and_then(|mut select| {
                select
                    .query_map([], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })?
                    .collect()
            })
            .map_err(StoreError::db("listing published trees"))
        })
    }

    fn agents(&self) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT name, created_at, revoked_at FROM agents ORDER BY name")
                .and_then(|mut select| {
                    select
                        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                        .collect()
                })
                .map_err(StoreError::db("listing agents"))
        })
    }

    fn has_version(&self, version: &str) -> Result<bool, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM version_snapshots WHERE version = ?1) \
                 OR EXISTS (SELECT 1 FROM versions WHERE version = ?1)",
            )
            .and_then(|mut select| select.query_row([version], |row| row.get(0)))
            .map_err(StoreError::db("looking for a tree version"))
        })
    }

    fn load_version(&self, version: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT f.file, t.text FROM version_snapshots v \
                 JOIN snapshot_files f ON f.snapshot = v.snapshot \
                 JOIN texts t ON t.hash = f.hash WHERE v.version = ?1 \
                 UNION ALL SELECT file, text FROM versions WHERE version = ?1 ORDER BY 1",
            )
            .and_then(|mut select| {
                select
                    .query_map([version], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .map_err(StoreError::db("reading a tree version"))
        })
    }

    fn find_handoff(&self, code: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT id FROM sessions WHERE handoff = ?1",
            code,
            "finding a handoff code",
        )
    }

    fn session(&self, id: &str) -> Result<Option<RawSession>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?1"
            ))
            .and_then(|mut select| select.query_row([id], session_row).optional())
            .map_err(StoreError::db("reading a session"))
        })
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, String)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT seq, body FROM events WHERE session_id = ?1 ORDER BY seq")
                .and_then(|mut select| {
                    select
                        .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
                        .collect()
                })
                .map_err(StoreError::db("reading events"))
        })
    }

    fn event_count(&self, id: &str) -> Result<Option<i64>, StoreError> {
        self.one(
            "SELECT (SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = s.id) \
             FROM sessions s WHERE s.id = ?1",
            id,
            "counting a session's events",
        )
    }

    fn owner_hash(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT owner_hash FROM sessions WHERE id = ?1",
            id,
            "checking an owner",
        )
    }

    fn csrf(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT csrf FROM sessions WHERE id = ?1",
            id,
            "reading a CSRF token",
        )
    }

    fn step_keys(&self, id: &str) -> Result<Option<(String, String, i64)>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT owner_hash, csrf, \
                 (SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = s.id) \
                 FROM sessions s WHERE s.id = ?1",
            )
            .and_then(|mut select| {
                select
                    .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()
            })
            .map_err(StoreError::db("checking an owner"))
        })
    }

    fn sessions(
        &self,
        tree: Option<&str>,
        since: Option<Millis>,
        limit: i64,
    ) -> Result<Vec<RawSession>, StoreError> {
        let sql = sessions_query(tree.is_some(), since.is_some(), |n| format!("?{n}"));
        let mut values: Vec<&dyn ToSql> = Vec::new();
        if let Some(tree) = &tree {
            values.push(tree);
        }
        if let Some(since) = &since {
            values.push(since);
        }
        values.push(&limit);
        self.read(|conn| {
            conn.prepare_cached(&sql)
                .and_then(|mut select| select.query_map(&*values, session_row)?.collect())
                .map_err(StoreError::db("listing sessions"))
        })
    }
}
