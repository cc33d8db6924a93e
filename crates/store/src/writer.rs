//! The writer thread: the one connection of this process that writes, and group commit.
//!
//! Callers queue jobs on a channel and block on their own reply channel. The thread takes
//! every job that is waiting, applies them in one transaction (each in its own savepoint, so
//! one caller's conflict does not undo another's event), commits once — one fsync of the WAL
//! for the whole batch — and only then answers. A reply of `Ok` therefore always means "on
//! disk"; if the commit fails, every caller of the batch gets the error.
//!
//! The thread and the jobs are the same for both backends; how a batch is committed is each
//! backend's (`Batches`): here for SQLite, in `pg.rs` for PostgreSQL.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use rusqlite::{Connection, ErrorCode, OptionalExtension as _, TransactionBehavior, params};

use crate::error::StoreError;
use crate::token::{random_handoff, show_handoff};

/// The most jobs in one transaction, so that a flood of appends still gets answers in bounded
/// time while the batch is large enough to make the fsync cheap per event.
const MAX_BATCH: usize = 256;

/// Attempts at a handoff code before giving up; with 2^40 codes a second attempt is already
/// a rarity, so running out means something else is wrong.
pub(crate) const HANDOFF_ATTEMPTS: usize = 16;

pub(crate) struct Job {
    pub(crate) work: Work,
    pub(crate) reply: Sender<Result<Reply, StoreError>>,
}

/// An event on its way into the `events` table.
pub(crate) struct NewEvent {
    pub kind: String,
    pub at: i64,
    pub body: String,
    /// The event undoes an ending, so the session is open again.
    pub reopens: bool,
}

pub(crate) enum Work {
    Create {
        id: String,
        owner_hash: String,
        csrf: String,
        tree: String,
        version: String,
        audience: &'static str,
        at: i64,
        body: String,
    },
    /// One or more events, stored together or not at all (one job is one savepoint).
    Append {
        id: String,
        expected: usize,
        events: Vec<NewEvent>,
    },
    Finish {
        id: String,
        outcome: Option<String>,
    },
    SaveVersion {
        version: String,
        files: Vec<VersionFile>,
    },
    Handoff {
        id: String,
        /// How long a new code lasts, from the session's last event.
        lifetime: i64,
    },
    /// A new agent with the hash of its token; refused if the name is taken.
    AddAgent {
        name: String,
        token_hash: String,
        at: i64,
    },
    /// Makes these (tree, version) pairs the live ones, all together.
    Publish {
        trees: Vec<(String, String)>,
        at: i64,
        by: String,
    },
    /// Stops an agent's token working (kept revoked at the first time asked).
    RevokeAgent {
        name: String,
        at: i64,
    },
    /// Deletes up to `batch` sessions whose last event is before `before`, except those
    /// whose handoff code still works at `now`.
    Prune {
        before: i64,
        now: i64,
        batch: usize,
    },
}

impl Work {
    /// The session the work is on ("" for work on none), by which a PostgreSQL batch orders
    /// its jobs.
    pub(crate) fn session(&self) -> &str {
        match self {
            Work::Create { id, .. }
            | Work::Append { id, .. }
            | Work::Finish { id, .. }
            | Work::Handoff { id, .. } => id,
            Work::SaveVersion { .. }
            | Work::Prune { .. }
            | Work::AddAgent { .. }
            | Work::Publish { .. }
            | Work::RevokeAgent { .. } => "",
        }
    }
}

/// A file of a tree version, with the SHA-256 of its text (hex).
pub(crate) struct VersionFile {
    pub name: String,
    pub text: String,
    pub hash: String,
}

/// A snapshot is named by the hash of its files' names and text hashes, so the same set of
/// files saved for another version (every tree of one project) is one snapshot.
pub(crate) fn snapshot_hash(files: &[VersionFile]) -> String {
    let mut listing = String::new();
    for file in files {
        listing.push_str(&file.name);
        listing.push('\0');
        listing.push_str(&file.hash);
        listing.push('\n');
    }
    crate::token::hash_token(&listing)
}

pub(crate) enum Reply {
    Done,
    /// A handoff code, as shown to people.
    Handoff(String),
    /// Sessions and events deleted.
    Pruned(usize, usize),
}

/// A database connection that commits a batch of jobs in one transaction, a result per job,
/// each `Ok` only once the transaction holding it has committed.
pub(crate) trait Batches: Send + 'static {
    fn commit(&mut self, batch: &[Job]) -> Vec<Result<Reply, StoreError>>;
}

impl Batches for Connection {
    fn commit(&mut self, batch: &[Job]) -> Vec<Result<Reply, StoreError>> {
        commit_batch(self, batch)
    }
}

/// Serves jobs until every sender is gone (the last clone of the store was dropped).
pub(crate) fn run(mut conn: impl Batches, jobs: &Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(job) = jobs.try_recv()
        {
            batch.push(job);
        }
        let results = conn.commit(&batch);
        for (job, result) in batch.into_iter().zip(results) {
            // A caller that stopped waiting is no reason to stop answering the others.
            let _ = job.reply.send(result);
        }
    }
}

fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<Reply, StoreError>> {
    let fail_all = |during: &'static str, error: rusqlite::Error| {
        let source = Arc::new(error);
        batch
            .iter()
            .map(|_| {
                Err(StoreError::Database {
                    during,
                    source: Arc::clone(&source),
                })
            })
            .collect()
    };
    // IMMEDIATE takes the write lock at once: another program writing the same file makes us
    // wait (busy timeout) here rather than fail halfway through the batch.
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => return fail_all("starting a write", error),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = match tx.savepoint() {
            Ok(savepoint) => savepoint,
            Err(error) => return fail_all("starting a write", error),
        };
        let result = apply(&savepoint, &job.work);
        // `finish` rolls a failed job back to the savepoint. Either statement fails only if
        // SQLite itself abandoned the transaction (disk full, I/O error): then every job of
        // the batch is lost, and every caller must hear so.
        let settled = if result.is_ok() {
            savepoint.commit()
        } else {
            savepoint.finish()
        };
        if let Err(error) = settled {
            return fail_all("writing", error);
        }
        results.push(result);
    }
    match tx.commit() {
        Ok(()) => results,
        Err(error) => fail_all("committing", error),
    }
}

fn apply(conn: &Connection, work: &Work) -> Result<Reply, StoreError> {
    match work {
        Work::Create {
            id,
            owner_hash,
            csrf,
            tree,
            version,
            audience,
            at,
            body,
        } => {
            let added = conn
                .prepare_cached(
                    "INSERT INTO sessions (id, tree, version, audience, owner_hash, csrf, \
                     created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .and_then(|mut insert| {
                    insert.execute(params![id, tree, version, audience, owner_hash, csrf, at])
                })
                .map_err(StoreError::db("creating a session"))?;
            // Only a session id chosen by a desktop can already be there.
            if added == 0 {
                return Err(StoreError::SessionExists(id.clone()));
            }
            insert_event(conn, id, 0, *at, "started", body)?;
            Ok(Reply::Done)
        }
        Work::Append {
            id,
            expected,
            events,
        } => {
            let actual = event_count(conn, id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
            if actual != *expected {
                return Err(StoreError::Conflict {
                    session: id.clone(),
                    expected: *expected,
                    actual,
                });
            }
            for (offset, event) in events.iter().enumerate() {
                insert_event(
                    conn,
                    id,
                    actual + offset,
                    event.at,
                    &event.kind,
                    &event.body,
                )?;
                let sql = if event.reopens {
                    "UPDATE sessions SET updated_at = ?2, finished = 0, outcome = NULL WHERE id = ?1"
                } else {
                    "UPDATE sessions SET updated_at = ?2 WHERE id = ?1"
                };
                conn.prepare_cached(sql)
                    .and_then(|mut update| update.execute(params![id, event.at]))
                    .map_err(StoreError::db("updating a session"))?;
            }
            Ok(Reply::Done)
        }
        Work::Finish { id, outcome } => {
            let changed = conn
                .prepare_cached("UPDATE sessions SET finished = 1, outcome = ?2 WHERE id = ?1")
                .and_then(|mut update| update.execute(params![id, outcome]))
                .map_err(StoreError::db("finishing a session"))?;
            if changed == 0 {
                return Err(StoreError::NotFound(id.clone()));
            }
            Ok(Reply::Done)
        }
        Work::SaveVersion { version, files } => {
            // Only the first save counts: adding a later save's files to it could put one
            // tree in the version twice (moved to another file meanwhile).
            let saved: bool = conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM version_snapshots WHERE version = ?1) \
                     OR EXISTS (SELECT 1 FROM versions WHERE version = ?1)",
                )
                .and_then(|mut select| select.query_row([version], |row| row.get(0)))
                .map_err(StoreError::db("saving a tree version"))?;
            if saved {
                return Ok(Reply::Done);
            }
            let snapshot = snapshot_hash(files);
            let known: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM snapshot_files WHERE snapshot = ?1)")
                .and_then(|mut select| select.query_row([&snapshot], |row| row.get(0)))
                .map_err(StoreError::db("saving a tree version"))?;
            if !known {
                for file in files {
                    conn.prepare_cached("INSERT OR IGNORE INTO texts (hash, text) VALUES (?1, ?2)")
                        .and_then(|mut insert| insert.execute(params![file.hash, file.text]))
                        .map_err(StoreError::db("saving a tree version"))?;
                    conn.prepare_cached(
                        "INSERT INTO snapshot_files (snapshot, file, hash) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut insert| insert.execute(params![snapshot, file.name, file.hash]))
                    .map_err(StoreError::db("saving a tree version"))?;
                }
            }
            conn.prepare_cached(
                "INSERT INTO version_snapshots (version, snapshot) VALUES (?1, ?2)",
            )
            .and_then(|mut insert| insert.execute(params![version, snapshot]))
            .map_err(StoreError::db("saving a tree version"))?;
            Ok(Reply::Done)
        }
        Work::Handoff { id, lifetime } => handoff(conn, id, *lifetime).map(Reply::Handoff),
        Work::Prune { before, now, batch } => prune(conn, *before, *now, *batch),
        Work::AddAgent {
            name,
            token_hash,
            at,
        } => {
            let during = "adding an agent";
            let taken: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM agents WHERE name = ?1)")
                .and_then(|mut select| select.query_row([name], |row| row.get(0)))
                .map_err(StoreError::db(during))?;
            if taken {
                return Err(StoreError::AgentExists(name.clone()));
            }
            conn.prepare_cached(
                "INSERT INTO agents (name, token_hash, created_at) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut insert| insert.execute(params![name, token_hash, at]))
            .map_err(StoreError::db(during))?;
            Ok(Reply::Done)
        }
        Work::Publish { trees, at, by } => {
            for (tree, version) in trees {
                conn.prepare_cached(
                    "INSERT INTO live_trees (tree, version, published_at, published_by) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tree) DO UPDATE SET \
                     version = excluded.version, published_at = excluded.published_at, \
                     published_by = excluded.published_by",
                )
                .and_then(|mut upsert| upsert.execute(params![tree, version, at, by]))
                .map_err(StoreError::db("publishing trees"))?;
            }
            Ok(Reply::Done)
        }
        Work::RevokeAgent { name, at } => {
            let changed = conn
                .prepare_cached(
                    "UPDATE agents SET revoked_at = coalesce(revoked_at, ?2) WHERE name = ?1",
                )
                .and_then(|mut update| update.execute(params![name, at]))
                .map_err(StoreError::db("revoking an agent"))?;
            if changed == 0 {
                return Err(StoreError::NoAgent(name.clone()));
            }
            Ok(Reply::Done)
        }
    }
}

fn prune(conn: &Connection, before: i64, now: i64, batch: usize) -> Result<Reply, StoreError> {
    let batch = i64::try_from(batch).unwrap_or(i64::MAX);
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM sessions WHERE updated_at < ?1 \
             AND (handoff_expires IS NULL OR handoff_expires <= ?2) LIMIT ?3",
        )
        .and_then(|mut select| {
            select
                .query_map(params![before, now, batch], |row| row.get(0))?
                .collect()
        })
        .map_err(StoreError::db("finding old sessions"))?;
    let mut events = 0;
    for id in &ids {
        events += conn
            .prepare_cached("DELETE FROM events WHERE session_id = ?1")
            .and_then(|mut delete| delete.execute([id]))
            .map_err(StoreError::db("deleting old events"))?;
        conn.prepare_cached("DELETE FROM sessions WHERE id = ?1")
            .and_then(|mut delete| delete.execute([id]))
            .map_err(StoreError::db("deleting old sessions"))?;
    }
    Ok(Reply::Pruned(ids.len(), events))
}

/// How many events a session has (the seq its next event takes), or `None` if there is no
/// such session. `max + 1` rather than `count` reads one entry of the primary key.
fn event_count(conn: &Connection, id: &str) -> Result<Option<usize>, StoreError> {
    let count: Option<i64> = conn
        .prepare_cached(
            "SELECT (SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = s.id) \
             FROM sessions s WHERE s.id = ?1",
        )
        .and_then(|mut select| select.query_row([id], |row| row.get(0)).optional())
        .map_err(StoreError::db("counting a session's events"))?;
    count
        .map(|count| {
            usize::try_from(count).map_err(|_| StoreError::BadSession {
                session: id.to_owned(),
                message: format!("a negative event number ({count})"),
            })
        })
        .transpose()
}

fn insert_event(
    conn: &Connection,
    id: &str,
    seq: usize,
    at: i64,
    kind: &str,
    body: &str,
) -> Result<(), StoreError> {
    let seq = i64::try_from(seq).map_err(|_| StoreError::BadEvent {
        session: id.to_owned(),
        seq,
        message: "too many events for one session".into(),
    })?;
    conn.prepare_cached(
        "INSERT INTO events (session_id, seq, at, kind, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut insert| insert.execute(params![id, seq, at, kind, body]))
    .map_err(StoreError::db("storing an event"))?;
    Ok(())
}

fn handoff(conn: &Connection, id: &str, lifetime: i64) -> Result<String, StoreError> {
    let existing: Option<Option<String>> = conn
        .prepare_cached("SELECT handoff FROM sessions WHERE id = ?1")
        .and_then(|mut select| select.query_row([id], |row| row.get(0)).optional())
        .map_err(StoreError::db("reading a handoff code"))?;
    match existing {
        None => return Err(StoreError::NotFound(id.to_owned())),
        Some(Some(code)) => return Ok(show_handoff(&code)),
        Some(None) => {}
    }
    for _ in 0..HANDOFF_ATTEMPTS {
        let code = random_handoff()?;
        let result = conn
            .prepare_cached(
                "UPDATE sessions SET handoff = ?2, handoff_expires = updated_at + ?3 WHERE id = ?1",
            )
            .and_then(|mut update| update.execute(params![id, code, lifetime]));
        match result {
            Ok(_) => return Ok(show_handoff(&code)),
            // Another session has this code: the UNIQUE constraint undid only this statement.
            Err(error) if error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {}
            Err(error) => return Err(StoreError::db("giving a handoff code")(error)),
        }
    }
    Err(StoreError::NoFreeHandoff)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::schema::open_writer;

    /// A job for the writer, and where its answer comes.
    pub(crate) fn job(work: Work) -> (Job, Receiver<Result<Reply, StoreError>>) {
        let (reply, answer) = mpsc::channel();
        (Job { work, reply }, answer)
    }

    /// An append of one note event, expecting the session to have `expected` events.
    pub(crate) fn append(id: &str, expected: usize, text: &str) -> Work {
        Work::Append {
            id: id.into(),
            expected,
            events: vec![NewEvent {
                kind: "noted".into(),
                at: 1,
                body: format!(r#"{{"event":"noted","text":"{text}","at":1}}"#),
                reopens: false,
            }],
        }
    }

    /// One batch, one transaction: a job that fails is undone alone, and the jobs around it
    /// (including one that depends on an earlier job of the same batch) are committed.
    #[test]
    fn a_failed_job_does_not_spoil_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_writer(&dir.path().join("s.db")).unwrap();
        let create = Work::Create {
            id: "s1".into(),
            owner_hash: "h".into(),
            csrf: "c".into(),
            tree: "t".into(),
            version: "v".into(),
            audience: "customer",
            at: 0,
            body: r#"{"event":"started","tree":"t","version":"v","audience":"customer","at":0}"#
                .into(),
        };
        let batch = vec![
            job(create).0,
            job(append("s1", 1, "first")).0,
            job(append("s1", 1, "stale")).0,
            job(append("missing", 1, "nowhere")).0,
            job(append("s1", 2, "second")).0,
            job(Work::Handoff {
                id: "s1".into(),
                lifetime: 1_000,
            })
            .0,
        ];
        let results = conn.commit(&batch);
        assert!(results[0].is_ok() && results[1].is_ok() && results[4].is_ok());
        assert!(matches!(
            results[2],
            Err(StoreError::Conflict { actual: 2, .. })
        ));
        assert!(matches!(results[3], Err(StoreError::NotFound(_))));
        assert!(matches!(results[5], Ok(Reply::Handoff(_))));

        let texts: Vec<String> = conn
            .prepare("SELECT body FROM events WHERE session_id = 's1' ORDER BY seq")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(texts.len(), 3);
        assert!(texts[1].contains("first") && texts[2].contains("second"));
        assert!(conn.is_autocommit(), "the batch's transaction is closed");
    }
}
