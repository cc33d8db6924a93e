//! The PostgreSQL backend: the same tables, migrations, group commit and expected-seq rule as
//! the SQLite file, on a server that several `calltree serve` instances share.
//!
//! **Client.** rust-postgres's blocking `Client`. The store's API is synchronous and it owns
//! its threads already (one writer, readers on the callers' threads), so an async client
//! would only add a runtime inside the store. The pool is the store's own, as for SQLite: a
//! few idle connections, one more opened when all are busy, a dead one dropped.
//!
//! **Durability.** A caller hears `Ok` only after `COMMIT` returned, with
//! `synchronous_commit = on` set on every connection (a server or role set to `off` would
//! acknowledge commits that a crash of PostgreSQL can lose). If the connection breaks while
//! `COMMIT` is on its way, the caller hears an error although the events may be stored: the
//! promise is that nothing acknowledged is lost, and the caller's retry finds the events (a
//! `Conflict`), never a copy of them.
//!
//! **Two instances, one session.** An append first locks the session's row (`FOR UPDATE`),
//! then counts its events. A second writer to the same session waits for the first to
//! commit and then counts the first one's events too, so it hears `Conflict`; nothing is
//! stored twice and no number is skipped. A batch takes its jobs in the order of their
//! session ids, so two instances' batches lock rows in one order; a deadlock or a
//! serialisation failure that still happens (a prune) repeats the job, up to three times.
//!
//! **Down and back.** Any failure to reach the server is `StoreError::Unavailable`. A
//! connection that failed is dropped, and the next call connects again; a read, and a batch
//! that broke before its `COMMIT` was sent, are tried once more on a fresh connection at
//! once, so the first request after PostgreSQL comes back works.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use calltree_engine::Millis;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement, Transaction};

use crate::error::StoreError;
use crate::store::{RawSession, Reads, SESSION_COLUMNS, sessions_query};
use crate::token::{random_handoff, show_handoff};
use crate::writer::{Batches, Job, Reply, Work, snapshot_hash};

/// Idle connections kept for reads (more may be open at once; the extra ones are closed).
/// Opening one costs PostgreSQL a new server process, so the pool keeps enough for a busy
/// server's concurrent requests: with 4, a load of 64 sessions opened a connection for most
/// reads and served 194 steps a second instead of the figure in docs/performance.md.
const IDLE_READERS: usize = 32;

/// How long connecting may take unless the address says (`connect_timeout=`): long enough
/// for a server across a data centre, short enough that a customer hears "try again" soon.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// TCP keepalive, so a server that vanished without closing the connection (a machine lost,
/// a network cut) is noticed in about a minute rather than the system's two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// An append: see migration 7. Returns the session's event count before the call (the
/// events were stored if it is the count expected), or -1 if there is no such session.
const APPEND: &str = "SELECT calltree_append($1, $2, $3, $4, $5, $6)";

/// Tries of one job that lost a deadlock or a serialisation race.
const JOB_ATTEMPTS: usize = 3;

/// The advisory lock under which a schema is migrated ("CTRE"), so two instances starting
/// at once migrate one after the other.
const MIGRATION_LOCK: i64 = 0x4354_5245;

/// Schema migrations; `MIGRATIONS[n]` takes the database from version `n` to `n + 1`. They
/// are the SQLite migrations in PostgreSQL's words, version for version, so a schema version
/// means the same tables on both (checked at compile time below).
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE sessions (
        id         TEXT PRIMARY KEY,
        tree       TEXT NOT NULL,
        version    TEXT NOT NULL,
        audience   TEXT NOT NULL,
        owner_hash TEXT NOT NULL,
        csrf       TEXT NOT NULL,
        handoff    TEXT UNIQUE,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        finished   BOOLEAN NOT NULL DEFAULT FALSE,
        outcome    TEXT
    );
    CREATE TABLE events (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        BIGINT NOT NULL CHECK (seq >= 0),
        at         BIGINT NOT NULL,
        kind       TEXT NOT NULL,
        body       TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    CREATE TABLE versions (
        version TEXT NOT NULL,
        file    TEXT NOT NULL,
        text    TEXT NOT NULL,
        PRIMARY KEY (version, file)
    );
    CREATE INDEX sessions_by_created ON sessions (created_at);
    CREATE INDEX sessions_by_tree ON sessions (tree, created_at);
    ",
    "
    ALTER TABLE sessions ADD COLUMN handoff_expires BIGINT;
    UPDATE sessions SET handoff_expires = updated_at + 86400000 WHERE handoff IS NOT NULL;
    ",
    "
    CREATE INDEX sessions_by_updated ON sessions (updated_at);
    ",
    "
    CREATE TABLE texts (
        hash TEXT PRIMARY KEY,
        text TEXT NOT NULL
    );
    CREATE TABLE snapshot_files (
        snapshot TEXT NOT NULL,
        file     TEXT NOT NULL,
        hash     TEXT NOT NULL REFERENCES texts (hash),
        PRIMARY KEY (snapshot, file)
    );
    CREATE TABLE version_snapshots (
        version  TEXT PRIMARY KEY,
        snapshot TEXT NOT NULL
    );
    ",
    "
    CREATE TABLE agents (
        name       TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    ",
    "
    CREATE TABLE live_trees (
        tree         TEXT PRIMARY KEY,
        version      TEXT NOT NULL,
        published_at BIGINT NOT NULL,
        published_by TEXT NOT NULL
    );
    ",
    // Version 7: an append in one round trip (see `APPEND`). Inside a function each
    // statement takes a fresh snapshot under READ COMMITTED, so the count that follows the
    // row lock sees the events of a writer the lock waited for, as two statements from the
    // client did. A refusal is a return value, not an error, so it spoils no transaction.
    "
    CREATE FUNCTION calltree_append(
        p_id TEXT, p_expected BIGINT, p_ats BIGINT[], p_kinds TEXT[], p_bodies TEXT[],
        p_reopens BOOLEAN
    ) RETURNS BIGINT LANGUAGE plpgsql AS $$
    DECLARE
        actual BIGINT;
    BEGIN
        PERFORM 1 FROM sessions WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN -1;
        END IF;
        SELECT coalesce(max(seq) + 1, 0) INTO actual FROM events WHERE session_id = p_id;
        IF actual <> p_expected OR cardinality(p_ats) = 0 THEN
            RETURN actual;
        END IF;
        INSERT INTO events (session_id, seq, at, kind, body)
            SELECT p_id, actual + e.n - 1, e.at, e.kind, e.body
            FROM unnest(p_ats, p_kinds, p_bodies) WITH ORDINALITY AS e(at, kind, body, n);
        UPDATE sessions SET updated_at = p_ats[cardinality(p_ats)],
            finished = finished AND NOT p_reopens,
            outcome = CASE WHEN p_reopens THEN NULL ELSE outcome END
            WHERE id = p_id;
        RETURN actual;
    END
    $$;
    ",
];

const _: () = assert!(MIGRATIONS.len() == crate::schema::MIGRATION_COUNT);

/// Where the database is, and how it is shown (without the password).
struct Target {
    config: Config,
    shown: String,
}

impl Target {
    fn connect(&self, during: &'static str) -> Result<Client, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(|error| {
            // Refused at the door for a reason an operator must fix (a wrong password, no
            // such database) is a plain failure; anything else there (not started yet, shut
            // down, not accepting connections, no answer) is the database being away.
            let misconfigured = error
                .code()
                .is_some_and(|code| code.code().starts_with("28") || code.code() == "3D000");
            let error = Arc::new(error);
            if misconfigured {
                StoreError::Postgres {
                    during,
                    source: error,
                }
            } else {
                StoreError::Unavailable {
                    location: self.shown.clone(),
                    during,
                    source: error,
                }
            }
        })?;
        client
            .batch_execute("SET synchronous_commit TO on")
            .map_err(|error| self.error(during, error))?;
        Ok(client)
    }

    fn error(&self, during: &'static str, error: postgres::Error) -> StoreError {
        if unreachable(&error) {
            StoreError::Unavailable {
                location: self.shown.clone(),
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
}

/// Whether an error means the server could not be reached or went away, rather than that
/// it refused what was asked.
pub(crate) fn unreachable(error: &postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        // Connection exceptions (08…), the server shutting down or starting (57P…), and a
        // server with no connection to spare.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }
        // The client's own kinds have no code; these three are the ones about the line.
        None => {
            let text = error.to_string();
            text.starts_with("error communicating")
                || text.starts_with("error connecting")
                || text.starts_with("timeout")
        }
    }
}

/// Whether a job lost a race that PostgreSQL resolved by undoing it (a deadlock, a
/// serialisation failure), so doing it again is right.
fn lost_race(error: &postgres::Error) -> bool {
    error
        .code()
        .is_some_and(|code| matches!(code.code(), "40P01" | "40001"))
}

/// The address as it may be shown in messages and logs: the password, and any parameters
/// (which may hold one), left out.
pub(crate) fn shown_address(address: &str) -> String {
    let Some((scheme, rest)) = address.split_once("://") else {
        return "a PostgreSQL database".to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let path = tail.split('?').next().unwrap_or_default();
    format!("{scheme}://{authority}{path}")
}

/// Connects, migrates the schema, and returns the writer's connection, the readers, and the
/// address as shown.
pub(crate) fn open(address: &str) -> Result<(PgWriter, Box<dyn Reads>, String), StoreError> {
    let shown = shown_address(address);
    let mut config: Config =
        address
            .parse()
            .map_err(|error: postgres::Error| StoreError::BadAddress {
                location: shown.clone(),
                message: error.to_string(),
            })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.keepalives_idle(KEEPALIVE_IDLE);
    if config.get_application_name().is_none() {
        config.application_name("calltree");
    }
    let target = Arc::new(Target {
        config,
        shown: shown.clone(),
    });
    let mut client = target.connect("connecting")?;
    migrate(&mut client, &target)?;
    let writer = PgWriter {
        target: Arc::clone(&target),
        client: Some(client),
    };
    let readers = Readers {
        target,
        idle: Mutex::new(Vec::new()),
    };
    Ok((writer, Box::new(readers), shown))
}

fn migrate(client: &mut Client, target: &Target) -> Result<(), StoreError> {
    let during = "migrating the schema";
    let error = |error| target.error(during, error);
    let mut tx = client.transaction().map_err(error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(error)?;
    let ours: bool = tx
        .query_one("SELECT to_regclass('calltree_schema') IS NOT NULL", &[])
        .and_then(|row| row.try_get(0))
        .map_err(error)?;
    if !ours {
        // A database that already has a `sessions` table of someone else's is refused
        // before anything is added to it.
        let foreign: bool = tx
            .query_one("SELECT to_regclass('sessions') IS NOT NULL", &[])
            .and_then(|row| row.try_get(0))
            .map_err(error)?;
        if foreign {
            return Err(StoreError::ForeignDatabase {
                location: target.shown.clone(),
            });
        }
        tx.batch_execute(
            "CREATE TABLE calltree_schema (version BIGINT NOT NULL);
             INSERT INTO calltree_schema (version) VALUES (0);",
        )
        .map_err(error)?;
    }
    let current: i64 = tx
        .query_one("SELECT max(version) FROM calltree_schema", &[])
        .and_then(|row| row.try_get::<_, Option<i64>>(0))
        .map_err(error)?
        .unwrap_or(0);
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        return Err(StoreError::TooNew {
            path: PathBuf::from(&target.shown),
            found: current,
            supported: latest,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        tx.batch_execute(sql).map_err(error)?;
        tx.execute(
            "UPDATE calltree_schema SET version = $1",
            &[&(index as i64 + 1)],
        )
        .map_err(error)?;
    }
    tx.commit().map_err(error)
}

/// A connection for reading, with the statements it has prepared: a statement prepared at
/// every use costs a second round trip and a plan each time, and a page's reads are the
/// same few statements again and again.
struct Reader {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Reader {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.client.query(&statement, params)
    }

    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.client.query_opt(&statement, params)
    }

    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.client.query_one(&statement, params)
    }
}

/// Connections for reading.
struct Readers {
    target: Arc<Target>,
    idle: Mutex<Vec<Reader>>,
}

impl Drop for Readers {
    /// The blocking client's destructor runs a runtime of its own, which may not start on a
    /// thread that drives async tasks (where the last handle of a server's store may go): the
    /// idle connections are closed on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut *self.idle());
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Readers {
    fn idle(&self) -> MutexGuard<'_, Vec<Reader>> {
        // A list of connections cannot be left half-changed by a panic elsewhere.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on an idle connection (or a new one). A pooled connection that turns out to
    /// be dead (PostgreSQL restarted meanwhile) is dropped and `f` runs again on a new one:
    /// reads change nothing, so repeating one is safe.
    fn read<T>(
        &self,
        during: &'static str,
        f: impl Fn(&mut Reader) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.idle().pop();
        loop {
            let reused = pooled.is_some();
            let mut client = match pooled.take() {
                Some(client) => client,
                None => Reader {
                    client: self.target.connect(during)?,
                    statements: HashMap::new(),
                },
            };
            match f(&mut client) {
                Ok(value) => {
                    self.put_back(client);
                    return Ok(value);
                }
                Err(error) if unreachable(&error) || client.client.is_closed() => {
                    if !reused {
                        return Err(self.target.error(during, error));
                    }
                }
                Err(error) => {
                    self.put_back(client);
                    return Err(self.target.error(during, error));
                }
            }
        }
    }

    fn put_back(&self, client: Reader) {
        let mut idle = self.idle();
        if idle.len() < IDLE_READERS && !client.client.is_closed() {
            idle.push(client);
        }
    }

    fn one<T: for<'a> postgres::types::FromSql<'a>>(
        &self,
        sql: &str,
        key: &str,
        during: &'static str,
    ) -> Result<Option<T>, StoreError> {
        self.read(during, |client| {
            client
                .query_opt(sql, &[&key])?
                .map(|row| row.try_get(0))
                .transpose()
        })
    }
}

fn session_row(row: &Row) -> Result<RawSession, postgres::Error> {
    Ok(RawSession {
        id: row.try_get(0)?,
        tree: row.try_get(1)?,
        version: row.try_get(2)?,
        audience: row.try_get(3)?,
        handoff: row.try_get(4)?,
        created_at: row.try_get(5)?,
        updated_at: row.try_get(6)?,
        finished: row.try_get(7)?,
        outcome: row.try_get(8)?,
        events: row.try_get(9)?,
        handoff_expires: row.try_get(10)?,
    })
}

impl Reads for Readers {
    fn agent_by_hash(&self, hash: &str) -> Result<Option<(String, Option<i64>)>, StoreError> {
        self.read("checking an agent token", |client| {
            client
                .query_opt(
                    "SELECT name, revoked_at FROM agents WHERE token_hash = $1",
                    &[&hash],
                )?
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .transpose()
        })
    }

    fn live_trees(&self) -> Result<Vec<(String, String, i64, String)>, StoreError> {
        self.read("listing published trees", |client| {
            client
                .query(
                    "SELECT tree, version, published_at, published_by FROM live_trees \
                     ORDER BY tree",
                    &[],
                )?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                    ))
                })
                .collect()
        })
    }

    fn agents(&self) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        self.read("listing agents", |client| {
            client
                .query(
                    "SELECT name, created_at, revoked_at FROM agents ORDER BY name",
                    &[],
                )?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
                .collect()
        })
    }

    fn has_version(&self, version: &str) -> Result<bool, StoreError> {
        self.read("looking for a tree version", |client| {
            client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM version_snapshots WHERE version = $1) \
                     OR EXISTS (SELECT 1 FROM versions WHERE version = $1)",
                    &[&version],
                )?
                .try_get(0)
        })
    }

    fn load_version(&self, version: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.read("reading a tree version", |client| {
            client
                .query(
                    "SELECT f.file, t.text FROM version_snapshots v \
                     JOIN snapshot_files f ON f.snapshot = v.snapshot \
                     JOIN texts t ON t.hash = f.hash WHERE v.version = $1 \
                     UNION ALL SELECT file, text FROM versions WHERE version = $1 ORDER BY 1",
                    &[&version],
                )?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect()
        })
    }

    fn find_handoff(&self, code: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT id FROM sessions WHERE handoff = $1",
            code,
            "finding a handoff code",
        )
    }

    fn session(&self, id: &str) -> Result<Option<RawSession>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = $1");
        self.read("reading a session", |client| {
            client
                .query_opt(&sql, &[&id])?
                .map(|row| session_row(&row))
                .transpose()
        })
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, String)>, StoreError> {
        self.read("reading events", |client| {
            client
                .query(
                    "SELECT seq, body FROM events WHERE session_id = $1 ORDER BY seq",
                    &[&id],
                )?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect()
        })
    }

    fn event_count(&self, id: &str) -> Result<Option<i64>, StoreError> {
        self.one(
            "SELECT (SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = s.id) \
             FROM sessions s WHERE s.id = $1",
            id,
            "counting a session's events",
        )
    }

    fn owner_hash(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT owner_hash FROM sessions WHERE id = $1",
            id,
            "checking an owner",
        )
    }

    fn csrf(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.one(
            "SELECT csrf FROM sessions WHERE id = $1",
            id,
            "reading a CSRF token",
        )
    }

    fn step_keys(&self, id: &str) -> Result<Option<(String, String, i64)>, StoreError> {
        self.read("checking an owner", |client| {
            client
                .query_opt(
                    "SELECT owner_hash, csrf, \
                     (SELECT coalesce(max(seq) + 1, 0) FROM events WHERE session_id = s.id) \
                     FROM sessions s WHERE s.id = $1",
                    &[&id],
                )?
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
                .transpose()
        })
    }

    fn sessions(
        &self,
        tree: Option<&str>,
        since: Option<Millis>,
        limit: i64,
    ) -> Result<Vec<RawSession>, StoreError> {
        let sql = sessions_query(tree.is_some(), since.is_some(), |n| format!("${n}"));
        let mut values: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(tree) = &tree {
            values.push(tree);
        }
        if let Some(since) = &since {
            values.push(since);
        }
        values.push(&limit);
        self.read("listing sessions", |client| {
            client
                .query(&sql, &values)?
                .iter()
                .map(session_row)
                .collect()
        })
    }
}

std::thread_local! {
    /// The statements of a step, prepared once on the writer thread's connection rather than
    /// at every use (which costs a round trip each). Statements belong to one connection, so
    /// this is emptied whenever the writer's connection is replaced (`forget_prepared`).
    static PREPARED: std::cell::RefCell<HashMap<&'static str, Statement>> =
        std::cell::RefCell::new(HashMap::new());
}

/// `sql` prepared on the writer's connection, once.
fn prepared(tx: &mut Transaction<'_>, sql: &'static str) -> Result<Statement, postgres::Error> {
    if let Some(statement) = PREPARED.with(|cache| cache.borrow().get(sql).cloned()) {
        return Ok(statement);
    }
    let statement = tx.prepare(sql)?;
    PREPARED.with(|cache| cache.borrow_mut().insert(sql, statement.clone()));
    Ok(statement)
}

fn forget_prepared() {
    PREPARED.with(|cache| cache.borrow_mut().clear());
}

/// The writer thread's connection, reopened when it breaks.
pub(crate) struct PgWriter {
    target: Arc<Target>,
    client: Option<Client>,
}

/// Why one job failed: the store's own refusal, or the database.
enum Failure {
    Refused(StoreError),
    Db(&'static str, postgres::Error),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Refused(error)
    }
}

fn db(during: &'static str) -> impl FnOnce(postgres::Error) -> Failure {
    move |error| Failure::Db(during, error)
}

/// Why a whole batch failed, and whether it was at `COMMIT` (after which its outcome is
/// unknown, so it must not be tried again).
struct BatchError {
    during: &'static str,
    error: postgres::Error,
    committing: bool,
    /// A job without a savepoint failed in the database: the batch was rolled back and is
    /// to be run again with a savepoint for each job, so that the failure is that job's alone.
    spoilt: bool,
}

fn early(during: &'static str) -> impl Fn(postgres::Error) -> BatchError {
    move |error| BatchError {
        during,
        error,
        committing: false,
        spoilt: false,
    }
}

impl Batches for PgWriter {
    fn commit(&mut self, batch: &[Job]) -> Vec<Result<Reply, StoreError>> {
        // In session order, so that two instances' batches lock rows in the same order.
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|&a, &b| batch[a].work.session().cmp(batch[b].work.session()));
        let mut retried = false;
        let mut careful = false;
        loop {
            let reused = self
                .client
                .as_ref()
                .is_some_and(|client| !client.is_closed());
            if !reused {
                self.client = None;
                forget_prepared();
                match self.target.connect("connecting") {
                    Ok(client) => self.client = Some(client),
                    Err(error) => return fail_all(batch, &error),
                }
            }
            let Some(client) = self.client.as_mut() else {
                return batch.iter().map(|_| Err(StoreError::WriterGone)).collect();
            };
            match run_batch(client, batch, &order, &self.target, careful) {
                Ok(results) => return results,
                Err(failed) if failed.spoilt && !careful && !client.is_closed() => {
                    careful = true;
                }
                Err(failed) => {
                    let broken = unreachable(&failed.error) || client.is_closed();
                    if broken {
                        self.client = None;
                        forget_prepared();
                    }
                    // A connection that died before `COMMIT` left nothing behind: try the
                    // batch once more on a new one (PostgreSQL may have restarted meanwhile).
                    if broken && reused && !failed.committing && !retried {
                        retried = true;
                        continue;
                    }
                    let error = self.target.error(failed.during, failed.error);
                    return fail_all(batch, &error);
                }
            }
        }
    }
}

/// The same error for every job of a batch.
fn fail_all(batch: &[Job], error: &StoreError) -> Vec<Result<Reply, StoreError>> {
    batch
        .iter()
        .map(|_| {
            Err(match error {
                StoreError::Unavailable {
                    location,
                    during,
                    source,
                } => StoreError::Unavailable {
                    location: location.clone(),
                    during,
                    source: Arc::clone(source),
                },
                StoreError::Postgres { during, source } => StoreError::Postgres {
                    during,
                    source: Arc::clone(source),
                },
                _ => StoreError::WriterGone,
            })
        })
        .collect()
}

/// Whether a job, when the database refuses nothing, leaves no half-done change behind if the
/// store refuses it (a `Conflict`, a missing session): such jobs need no savepoint of their
/// own, which saves two round trips each. Appends are almost all of a busy server's jobs.
fn needs_no_savepoint(work: &Work) -> bool {
    matches!(
        work,
        Work::Append { .. } | Work::Create { .. } | Work::Finish { .. }
    )
}

/// Commits the batch in one transaction. Unless `careful`, the jobs that allow it run without
/// a savepoint; if one of them meets a database error, the transaction is spoilt, so the
/// whole batch is rolled back and the caller runs it again `careful`ly (nothing of it was
/// committed, so that is safe).
fn run_batch(
    client: &mut Client,
    batch: &[Job],
    order: &[usize],
    target: &Target,
    careful: bool,
) -> Result<Vec<Result<Reply, StoreError>>, BatchError> {
    let mut tx = client.transaction().map_err(early("starting a write"))?;
    let mut results: Vec<Option<Result<Reply, StoreError>>> = batch.iter().map(|_| None).collect();
    // Appends in a row (in session order) go to the server as one statement.
    let mut appends: Vec<usize> = Vec::new();
    for &index in order {
        let work = &batch[index].work;
        if !careful && matches!(work, Work::Append { .. }) {
            appends.push(index);
            continue;
        }
        append_together(&mut tx, batch, &mut appends, &mut results)?;
        if !careful && needs_no_savepoint(work) {
            let result = match apply(&mut tx, work) {
                Ok(reply) => Ok(reply),
                Err(Failure::Refused(error)) => Err(error),
                Err(Failure::Db(during, error)) => {
                    let spoilt = !unreachable(&error);
                    return Err(BatchError {
                        during,
                        error,
                        committing: false,
                        spoilt,
                    });
                }
            };
            results[index] = Some(result);
            continue;
        }
        let mut attempt = 1;
        let result = loop {
            let mut savepoint = tx.transaction().map_err(early("starting a write"))?;
            match apply(&mut savepoint, work) {
                Ok(reply) => {
                    savepoint.commit().map_err(early("writing"))?;
                    break Ok(reply);
                }
                Err(Failure::Refused(error)) => {
                    savepoint.rollback().map_err(early("writing"))?;
                    break Err(error);
                }
                Err(Failure::Db(during, error)) => {
                    if unreachable(&error) {
                        return Err(early(during)(error));
                    }
                    savepoint.rollback().map_err(early("writing"))?;
                    if lost_race(&error) && attempt < JOB_ATTEMPTS {
                        attempt += 1;
                        continue;
                    }
                    break Err(target.error(during, error));
                }
            }
        };
        results[index] = Some(result);
    }
    append_together(&mut tx, batch, &mut appends, &mut results)?;
    tx.commit().map_err(|error| BatchError {
        during: "committing",
        error,
        committing: true,
        spoilt: false,
    })?;
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or(Err(StoreError::WriterGone)))
        .collect())
}

/// Many appends in one statement: `calltree_append` for each, in order, their events passed
/// as flat arrays that each call takes its slice of. One round trip for all of them; what
/// each call returns is read as a single append's is. Without savepoints, as for one append.
const APPEND_MANY: &str = "SELECT j.n, calltree_append(j.id, j.expected, \
     ($6::bigint[])[j.lo:j.hi], ($7::text[])[j.lo:j.hi], ($8::text[])[j.lo:j.hi], j.reopens) \
     FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::bool[]) \
     WITH ORDINALITY AS j(id, expected, lo, hi, reopens, n) ORDER BY j.n";

/// Runs the appends waiting in `waiting` (indexes into `batch`, in order) and empties it.
fn append_together(
    tx: &mut Transaction<'_>,
    batch: &[Job],
    waiting: &mut Vec<usize>,
    results: &mut [Option<Result<Reply, StoreError>>],
) -> Result<(), BatchError> {
    let spoilt = |during: &'static str, error: postgres::Error| {
        let spoilt = !unreachable(&error);
        BatchError {
            during,
            error,
            committing: false,
            spoilt,
        }
    };
    let jobs = std::mem::take(waiting);
    if let [only] = jobs[..] {
        results[only] = Some(match apply(tx, &batch[only].work) {
            Ok(reply) => Ok(reply),
            Err(Failure::Refused(error)) => Err(error),
            Err(Failure::Db(during, error)) => return Err(spoilt(during, error)),
        });
        return Ok(());
    }
    let mut sent: Vec<usize> = Vec::new();
    let (mut ids, mut expected, mut lo, mut hi, mut reopens) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ats, mut kinds, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for index in jobs {
        let Work::Append {
            id,
            expected: seq,
            events,
        } = &batch[index].work
        else {
            continue;
        };
        let Ok(seq) = i64::try_from(*seq) else {
            results[index] = Some(Err(StoreError::BadEvent {
                session: id.clone(),
                seq: *seq,
                message: "too many events for one session".into(),
            }));
            continue;
        };
        // Array positions count from 1. A batch holds at most MAX_BATCH jobs of at most a
        // few thousand events each, far below i32::MAX.
        lo.push(i32::try_from(ats.len() + 1).unwrap_or(i32::MAX));
        for event in events {
            ats.push(event.at);
            kinds.push(event.kind.as_str());
            bodies.push(event.body.as_str());
        }
        hi.push(i32::try_from(ats.len()).unwrap_or(i32::MAX));
        ids.push(id.as_str());
        expected.push(seq);
        reopens.push(events.iter().any(|event| event.reopens));
        sent.push(index);
    }
    if sent.is_empty() {
        return Ok(());
    }
    let rows = prepared(tx, APPEND_MANY)
        .and_then(|statement| {
            tx.query(
                &statement,
                &[&ids, &expected, &lo, &hi, &reopens, &ats, &kinds, &bodies],
            )
        })
        .map_err(|error| spoilt("storing events", error))?;
    for row in rows {
        let (n, actual): (i64, i64) = match (row.try_get(0), row.try_get(1)) {
            (Ok(n), Ok(actual)) => (n, actual),
            (Err(error), _) | (_, Err(error)) => return Err(spoilt("storing events", error)),
        };
        let Some(&index) = usize::try_from(n - 1).ok().and_then(|n| sent.get(n)) else {
            continue;
        };
        if let Work::Append { id, expected, .. } = &batch[index].work {
            results[index] = Some(append_outcome(id, *expected, actual));
        }
    }
    Ok(())
}

/// What an append's call of `calltree_append` returned (the count found, or -1), as the
/// append's result.
fn append_outcome(id: &str, expected: usize, actual: i64) -> Result<Reply, StoreError> {
    if actual < 0 {
        return Err(StoreError::NotFound(id.to_owned()));
    }
    if usize::try_from(actual).ok() != Some(expected) {
        return Err(StoreError::Conflict {
            session: id.to_owned(),
            expected,
            actual: usize::try_from(actual).unwrap_or(usize::MAX),
        });
    }
    Ok(Reply::Done)
}

fn apply(tx: &mut Transaction<'_>, work: &Work) -> Result<Reply, Failure> {
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
            let added = prepared(
                tx,
                "INSERT INTO sessions (id, tree, version, audience, owner_hash, csrf, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .and_then(|insert| {
                tx.execute(
                    &insert,
                    &[id, tree, version, audience, owner_hash, csrf, at],
                )
            })
            .map_err(db("creating a session"))?;
            // Only a session id chosen by a desktop can already be there.
            if added == 0 {
                return Err(StoreError::SessionExists(id.clone()).into());
            }
            insert_event(tx, id, 0, *at, "started", body)?;
            Ok(Reply::Done)
        }
        Work::Append {
            id,
            expected,
            events,
        } => {
            // One call does the row lock, the count, the inserts and the update: the lock
            // orders writers of one session across instances, and the second one counts the
            // first one's events after waiting and hears `Conflict`.
            let expected_seq = i64::try_from(*expected).map_err(|_| StoreError::BadEvent {
                session: id.clone(),
                seq: *expected,
                message: "too many events for one session".into(),
            })?;
            let ats: Vec<i64> = events.iter().map(|event| event.at).collect();
            let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
            let bodies: Vec<&str> = events.iter().map(|event| event.body.as_str()).collect();
            let reopens = events.iter().any(|event| event.reopens);
            let actual: i64 = prepared(tx, APPEND)
                .and_then(|append| {
                    tx.query_one(
                        &append,
                        &[id, &expected_seq, &ats, &kinds, &bodies, &reopens],
                    )
                })
                .and_then(|row| row.try_get(0))
                .map_err(db("storing an event"))?;
            Ok(append_outcome(id, *expected, actual)?)
        }
        Work::Finish { id, outcome } => {
            let changed = prepared(
                tx,
                "UPDATE sessions SET finished = TRUE, outcome = $2 WHERE id = $1",
            )
            .and_then(|update| tx.execute(&update, &[id, outcome]))
            .map_err(db("finishing a session"))?;
            if changed == 0 {
                return Err(StoreError::NotFound(id.clone()).into());
            }
            Ok(Reply::Done)
        }
        Work::SaveVersion { version, files } => {
            let during = "saving a tree version";
            let saved: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM version_snapshots WHERE version = $1) \
                     OR EXISTS (SELECT 1 FROM versions WHERE version = $1)",
                    &[version],
                )
                .and_then(|row| row.try_get(0))
                .map_err(db(during))?;
            if saved {
                return Ok(Reply::Done);
            }
            // Another instance may be saving the same texts at this moment: each insert
            // gives way to a row that is already there (or arrives while it waits).
            let snapshot = snapshot_hash(files);
            for file in files {
                tx.execute(
                    "INSERT INTO texts (hash, text) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&file.hash, &file.text],
                )
                .map_err(db(during))?;
                tx.execute(
                    "INSERT INTO snapshot_files (snapshot, file, hash) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[&snapshot, &file.name, &file.hash],
                )
                .map_err(db(during))?;
            }
            tx.execute(
                "INSERT INTO version_snapshots (version, snapshot) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                &[version, &snapshot],
            )
            .map_err(db(during))?;
            Ok(Reply::Done)
        }
        Work::Handoff { id, lifetime } => handoff(tx, id, *lifetime).map(Reply::Handoff),
        Work::AddAgent {
            name,
            token_hash,
            at,
        } => {
            // `ON CONFLICT` rather than a check first: two instances adding one name at once
            // must not both succeed, and a failed insert would spoil the transaction.
            let added = tx
                .execute(
                    "INSERT INTO agents (name, token_hash, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO NOTHING",
                    &[name, token_hash, at],
                )
                .map_err(db("adding an agent"))?;
            if added == 0 {
                return Err(StoreError::AgentExists(name.clone()).into());
            }
            Ok(Reply::Done)
        }
        Work::Publish { trees, at, by } => {
            for (tree, version) in trees {
                tx.execute(
                    "INSERT INTO live_trees (tree, version, published_at, published_by) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tree) DO UPDATE SET \
                     version = excluded.version, published_at = excluded.published_at, \
                     published_by = excluded.published_by",
                    &[tree, version, at, by],
                )
                .map_err(db("publishing trees"))?;
            }
            Ok(Reply::Done)
        }
        Work::RevokeAgent { name, at } => {
            let changed = tx
                .execute(
                    "UPDATE agents SET revoked_at = coalesce(revoked_at, $2) WHERE name = $1",
                    &[name, at],
                )
                .map_err(db("revoking an agent"))?;
            if changed == 0 {
                return Err(StoreError::NoAgent(name.clone()).into());
            }
            Ok(Reply::Done)
        }
        Work::Prune { before, now, batch } => {
            let limit = i64::try_from(*batch).unwrap_or(i64::MAX);
            let ids: Vec<String> = tx
                .query(
                    "SELECT id FROM sessions WHERE updated_at < $1 \
                     AND (handoff_expires IS NULL OR handoff_expires <= $2) LIMIT $3",
                    &[before, now, &limit],
                )
                .and_then(|rows| rows.iter().map(|row| row.try_get(0)).collect())
                .map_err(db("finding old sessions"))?;
            let events = tx
                .execute("DELETE FROM events WHERE session_id = ANY($1)", &[&ids])
                .map_err(db("deleting old events"))?;
            tx.execute("DELETE FROM sessions WHERE id = ANY($1)", &[&ids])
                .map_err(db("deleting old sessions"))?;
            Ok(Reply::Pruned(
                ids.len(),
                usize::try_from(events).unwrap_or(usize::MAX),
            ))
        }
    }
}

fn insert_event(
    tx: &mut Transaction<'_>,
    id: &str,
    seq: usize,
    at: i64,
    kind: &str,
    body: &str,
) -> Result<(), Failure> {
    let seq = i64::try_from(seq).map_err(|_| StoreError::BadEvent {
        session: id.to_owned(),
        seq,
        message: "too many events for one session".into(),
    })?;
    prepared(
        tx,
        "INSERT INTO events (session_id, seq, at, kind, body) VALUES ($1, $2, $3, $4, $5)",
    )
    .and_then(|insert| tx.execute(&insert, &[&id, &seq, &at, &kind, &body]))
    .map_err(db("storing an event"))?;
    Ok(())
}

fn handoff(tx: &mut Transaction<'_>, id: &str, lifetime: i64) -> Result<String, Failure> {
    let existing: Option<Option<String>> = tx
        .query_opt(
            "SELECT handoff FROM sessions WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .and_then(|row| row.map(|row| row.try_get(0)).transpose())
        .map_err(db("reading a handoff code"))?;
    match existing {
        None => return Err(StoreError::NotFound(id.to_owned()).into()),
        Some(Some(code)) => return Ok(show_handoff(&code)),
        Some(None) => {}
    }
    for _ in 0..crate::writer::HANDOFF_ATTEMPTS {
        let code = random_handoff()?;
        // A failed statement spoils its transaction in PostgreSQL, so each try has its own
        // savepoint to go back to when the code is taken.
        let mut attempt = tx.transaction().map_err(db("giving a handoff code"))?;
        let result = attempt.execute(
            "UPDATE sessions SET handoff = $2, handoff_expires = updated_at + $3 WHERE id = $1",
            &[&id, &code, &lifetime],
        );
        match result {
            Ok(_) => {
                attempt.commit().map_err(db("giving a handoff code"))?;
                return Ok(show_handoff(&code));
            }
            Err(error) if error.code().is_some_and(|code| code.code() == "23505") => {
                attempt.rollback().map_err(db("giving a handoff code"))?;
            }
            Err(error) => return Err(Failure::Db("giving a handoff code", error)),
        }
    }
    Err(StoreError::NoFreeHandoff.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::tests::{append, job};

    fn create(id: &str, tree: &str) -> Work {
        Work::Create {
            id: id.into(),
            owner_hash: "h".into(),
            csrf: "c".into(),
            tree: tree.into(),
            version: "v".into(),
            audience: "customer",
            at: 0,
            body: r#"{"event":"started","tree":"t","version":"v","audience":"customer","at":0}"#
                .into(),
        }
    }

    /// Appends run without savepoints; a job that the database refuses in such a batch (here
    /// a tree name PostgreSQL cannot store) spoils the transaction, so the batch runs again
    /// with savepoints: that job fails alone, and the conflict and the good appends around it
    /// come out as they would have.
    #[test]
    fn a_database_error_in_a_batch_without_savepoints_is_that_jobs_alone() {
        let Some(address) = crate::testing::postgres_database() else {
            return;
        };
        let (mut writer, reads, _) = open(&address).unwrap();
        let setup = writer.commit(&[job(create("a", "t")).0, job(create("b", "t")).0]);
        assert!(setup.iter().all(Result::is_ok));
        let batch = vec![
            job(append("a", 1, "first")).0,
            job(append("a", 1, "stale")).0,
            job(create("c", "bad\0tree")).0,
            job(append("b", 1, "other")).0,
            job(append("missing", 1, "nowhere")).0,
        ];
        let results = writer.commit(&batch);
        assert!(results[0].is_ok(), "{:?}", results[0].as_ref().err());
        assert!(matches!(
            results[1],
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ));
        assert!(matches!(results[2], Err(StoreError::Postgres { .. })));
        assert!(results[3].is_ok());
        assert!(matches!(results[4], Err(StoreError::NotFound(_))));
        let a = reads.events("a").unwrap();
        assert_eq!(a.len(), 2);
        assert!(a[1].1.contains("first"));
        assert_eq!(reads.events("b").unwrap().len(), 2);
        assert!(reads.session("c").unwrap().is_none());

        // A batch of appends alone goes as one statement: two to one session (the second
        // sees the first's event and is a conflict), a good one, a missing session, and
        // one with no events.
        let batch = vec![
            job(append("a", 2, "second")).0,
            job(append("a", 2, "stale again")).0,
            job(append("b", 2, "more")).0,
            job(append("missing", 0, "nowhere")).0,
            job(Work::Append {
                id: "b".into(),
                expected: 3,
                events: Vec::new(),
            })
            .0,
            job(append("a", 3, "third")).0,
        ];
        let results = writer.commit(&batch);
        assert!(results[0].is_ok(), "{:?}", results[0].as_ref().err());
        assert!(matches!(
            results[1],
            Err(StoreError::Conflict {
                expected: 2,
                actual: 3,
                ..
            })
        ));
        assert!(results[2].is_ok());
        assert!(matches!(results[3], Err(StoreError::NotFound(_))));
        assert!(results[4].is_ok(), "{:?}", results[4].as_ref().err());
        assert!(results[5].is_ok(), "{:?}", results[5].as_ref().err());
        let a = reads.events("a").unwrap();
        assert_eq!(a.len(), 4);
        assert!(a[2].1.contains("second") && a[3].1.contains("third"));
        assert_eq!(reads.events("b").unwrap().len(), 3);
        drop(writer);
    }

    #[test]
    fn an_address_is_shown_without_its_password() {
        assert_eq!(
            shown_address("postgres://calltree:s3cret@db.example:5432/sessions?sslmode=disable"),
            "postgres://calltree@db.example:5432/sessions"
        );
        assert_eq!(
            shown_address("postgresql://db.example/sessions?password=x"),
            "postgresql://db.example/sessions"
        );
        assert_eq!(shown_address("postgres://a:b@c"), "postgres://a@c");
    }
}
