//! `Store`, the handle hosts share: writes go to the writer thread, reads to a small pool of
//! connections beside it. Which database holds the sessions — an SQLite file or PostgreSQL —
//! is the backend's business (`sqlite.rs`, `pg.rs`); this file holds what both share.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use calltree_engine::{Event, Millis};
use calltree_syntax::Audience;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::token::{
    hash_token, normalise_handoff, random_agent_token, random_hex, same_secret, show_handoff,
};
use crate::writer::{self, Batches, Job, NewEvent, Reply, VersionFile, Work};

/// How long a handoff code lasts unless the host says otherwise: a day, so a customer who
/// asked for a callback in the evening can still be taken over the next morning, while a code
/// read out months later, or leaked, opens nothing.
pub const HANDOFF_LIFETIME: Millis = 24 * 60 * 60 * 1000;

/// Sessions deleted per transaction by `prune`.
const PRUNE_BATCH: usize = 1_000;

/// What `prune` deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: usize,
    pub events: usize,
}

/// Which database a store keeps its sessions in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One embedded SQLite file: the default, for one machine.
    Sqlite,
    /// A PostgreSQL server, shared by several `calltree serve` instances.
    Postgres,
}

/// The reads every backend answers. Each returns rows as the database holds them; the
/// checks that turn them into the store's types are shared, in this file.
pub(crate) trait Reads: Send + Sync {
    /// The agent whose token hashes to `hash`: its name and when it was revoked.
    fn agent_by_hash(&self, hash: &str) -> Result<Option<(String, Option<i64>)>, StoreError>;
    /// The live version of each published tree: tree, version, when, by whom.
    fn live_trees(&self) -> Result<Vec<(String, String, i64, String)>, StoreError>;
    /// Every agent, by name: name, created, revoked.
    fn agents(&self) -> Result<Vec<(String, i64, Option<i64>)>, StoreError>;
    fn has_version(&self, version: &str) -> Result<bool, StoreError>;
    /// The files of a version, in name order (empty if it was never saved).
    fn load_version(&self, version: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// The session whose handoff code (normalised, without its dash) this is.
    fn find_handoff(&self, code: &str) -> Result<Option<String>, StoreError>;
    fn session(&self, id: &str) -> Result<Option<RawSession>, StoreError>;
    /// `(seq, body)` of every event of a session, in order.
    fn events(&self, id: &str) -> Result<Vec<(i64, String)>, StoreError>;
    fn event_count(&self, id: &str) -> Result<Option<i64>, StoreError>;
    fn owner_hash(&self, id: &str) -> Result<Option<String>, StoreError>;
    fn csrf(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// The owner hash, CSRF token and event count of a session, in one read.
    fn step_keys(&self, id: &str) -> Result<Option<(String, String, i64)>, StoreError>;
    fn sessions(
        &self,
        tree: Option<&str>,
        since: Option<Millis>,
        limit: i64,
    ) -> Result<Vec<RawSession>, StoreError>;
}

/// An agent who may use the server's API (`calltree agents`). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub name: String,
    /// When the agent was added (milliseconds since the epoch).
    pub created_at: Millis,
    /// When its token was revoked, if it was.
    pub revoked_at: Option<Millis>,
}

/// A tree version that is live for desktops (`calltree publish`). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTree {
    /// The tree's id.
    pub tree: String,
    /// Its fingerprint: the content hash a session on it is pinned to.
    pub version: String,
    pub published_at: Millis,
    /// The agent (or tool) that published it.
    pub published_by: String,
}

/// Whose a presented agent token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCheck {
    /// No agent has this token.
    Unknown,
    /// The token was this agent's, revoked at this time.
    Revoked { name: String, at: Millis },
    /// A working token of this agent.
    Agent(String),
}

/// Whether `name` can name an agent: 1 to 64 letters, digits, `.`, `_`, `-` or `@`, so it
/// shows plainly in lists and logs and can be typed in a shell without quotes.
fn agent_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// `location` as it may be shown to people and in logs: a file's path, or a PostgreSQL
/// address without its password.
pub fn shown_location(location: &Path) -> String {
    match postgres_address(location) {
        Some(address) => crate::pg::shown_address(address),
        None => location.display().to_string(),
    }
}

/// Whether there is a database at `location`: a file that exists, or any PostgreSQL address
/// (whether it answers is known only on opening it).
pub fn location_exists(location: &Path) -> bool {
    postgres_address(location).is_some() || location.exists()
}

/// The address of a PostgreSQL database, if `location` is one (`postgres://…` or
/// `postgresql://…`) rather than the path of an SQLite file.
pub fn postgres_address(location: &Path) -> Option<&str> {
    let text = location.to_str()?;
    (text.starts_with("postgres://") || text.starts_with("postgresql://")).then_some(text)
}

/// The store of sessions. Cheap to clone; clones share one writer thread and one reader pool,
/// and the database is closed when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The file, or the PostgreSQL address without its password.
    path: PathBuf,
    backend: Backend,
    /// `Option` only so that `Drop` can close the channel before waiting for the writer.
    jobs: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    reads: Box<dyn Reads>,
    /// Writes asked of the writer thread, for hosts' own checks ("a page read writes nothing").
    writes: std::sync::atomic::AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish the jobs it has and stop; waiting for it
        // means the file is closed (and the WAL checkpointed) when the last handle is gone,
        // so a store can be reopened at once.
        drop(self.jobs.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// A session just created. The owner token is returned here once and never again: only its
/// hash is stored, so it must go to the customer (a cookie) straight away.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// 32 lowercase hex digits (128 random bits).
    pub id: String,
    /// 32 lowercase hex digits (128 random bits); proves to `check_owner` that a request
    /// comes from whoever started the session.
    pub owner_token: String,
    /// 32 lowercase hex digits; also available later from `csrf`.
    pub csrf_token: String,
}

impl fmt::Debug for NewSession {
    /// Secrets stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("id", &self.id)
            .field("owner_token", &"<secret>")
            .field("csrf_token", &"<secret>")
            .finish()
    }
}

/// What is known about a stored session without reading its events. Holds no secret, so it
/// can be sent as JSON as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub tree: String,
    /// The fingerprint the session is pinned to.
    pub version: String,
    /// The audience the session started for (a take-over later makes it an agent's).
    pub audience: Audience,
    /// The handoff code as shown (`XXXX-XXXX`), once one was asked for.
    pub handoff: Option<String>,
    /// When the handoff code stops working (milliseconds since the epoch).
    pub handoff_expires: Option<Millis>,
    /// The `at` of the first event.
    pub created_at: Millis,
    /// The `at` of the last event.
    pub updated_at: Millis,
    /// How many events are stored: the `expected_seq` of the next `append`.
    pub events: usize,
    pub finished: bool,
    pub outcome: Option<String>,
}

/// The columns every `SessionInfo` query selects, in the order `RawSession`'s fields (both
/// databases read this SQL alike).
pub(crate) const SESSION_COLUMNS: &str = "s.id, s.tree, s.version, s.audience, s.handoff, s.created_at, \
     s.updated_at, s.finished, s.outcome, \
     (SELECT coalesce(max(e.seq) + 1, 0) FROM events e WHERE e.session_id = s.id), \
     s.handoff_expires";

/// The listing query both backends run: newest first, with a condition only for what is
/// asked (so SQLite can use the matching index). Its parameters are, in order, the tree (when
/// `by_tree`), the earliest start (when `since`) and the limit; `parameter(n)` writes the
/// backend's placeholder for the n-th (`?n` in SQLite, `$n` in PostgreSQL).
/// A session its owner posted to: see [`Store::owned_session`].
#[derive(Debug, Clone)]
pub struct Owned {
    /// The session's CSRF token.
    pub csrf: String,
    /// Events stored when it was read.
    pub events: usize,
}

pub(crate) fn sessions_query(by_tree: bool, since: bool, parameter: fn(usize) -> String) -> String {
    let mut sql = format!("SELECT {SESSION_COLUMNS} FROM sessions s");
    let mut conditions = Vec::new();
    if by_tree {
        conditions.push(format!("s.tree = {}", parameter(conditions.len() + 1)));
    }
    if since {
        conditions.push(format!(
            "s.created_at >= {}",
            parameter(conditions.len() + 1)
        ));
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(
        " ORDER BY s.created_at DESC, s.id LIMIT {}",
        parameter(conditions.len() + 1)
    ));
    sql
}

impl Store {
    /// Opens (creating if needed) the database at `location` and brings its schema up to
    /// date: an SQLite file, or a PostgreSQL database when `location` is an address
    /// (`postgres://user:password@host:port/database`). Everything else about the store is the
    /// same on both.
    ///
    /// There is deliberately no in-memory variant: WAL needs a file, and the store's point
    /// is several connections (writer and readers) on one database, which an in-memory
    /// database cannot give without a different locking model. Tests use a temporary file,
    /// and so exercise exactly what runs in production.
    pub fn open(location: impl AsRef<Path>) -> Result<Store, StoreError> {
        let location = location.as_ref();
        if let Some(address) = postgres_address(location) {
            let (writer, reads, shown) = crate::pg::open(address)?;
            return Store::start(PathBuf::from(shown), Backend::Postgres, writer, reads);
        }
        let path = location.to_path_buf();
        let conn = crate::schema::open_writer(&path)?;
        let reads = crate::sqlite::Readers::new(path.clone());
        Store::start(path, Backend::Sqlite, conn, Box::new(reads))
    }

    fn start(
        path: PathBuf,
        backend: Backend,
        batches: impl Batches,
        reads: Box<dyn Reads>,
    ) -> Result<Store, StoreError> {
        let (jobs, queue) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("calltree-store-writer".into())
            .spawn(move || writer::run(batches, &queue))
            .map_err(StoreError::Thread)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                backend,
                jobs: Some(jobs),
                writer: Some(writer),
                reads,
                writes: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The database file, or the PostgreSQL address without its password.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Which database the sessions are in.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Stores a new session whose first event is `first` (which must be `Started`), with a
    /// fresh id, owner token and CSRF token. Returns once it is on disk.
    pub fn create_session(&self, first: &Event) -> Result<NewSession, StoreError> {
        let Event::Started {
            tree,
            version,
            audience,
            at,
            given: _,
            ..
        } = first
        else {
            return Err(StoreError::NotStarted);
        };
        let body = serialise(first)?;
        let session = NewSession {
            id: random_hex()?,
            owner_token: random_hex()?,
            csrf_token: random_hex()?,
        };
        self.submit(Work::Create {
            id: session.id.clone(),
            owner_hash: hash_token(&session.owner_token),
            csrf: session.csrf_token.clone(),
            tree: tree.clone(),
            version: version.clone(),
            audience: audience.name(),
            at: *at,
            body,
        })?;
        Ok(session)
    }

    /// Stores a new session under an id its maker chose (a desktop uploading its calls), whose
    /// first event is `first`. Fails with `SessionExists`, storing nothing, when the id is
    /// taken. The session has an owner token nobody knows: it is nobody's web page.
    pub fn create_session_with_id(&self, id: &str, first: &Event) -> Result<(), StoreError> {
        let Event::Started {
            tree,
            version,
            audience,
            at,
            given: _,
            locale: _,
        } = first
        else {
            return Err(StoreError::NotStarted);
        };
        let body = serialise(first)?;
        self.submit(Work::Create {
            id: id.to_owned(),
            owner_hash: hash_token(&random_hex()?),
            csrf: random_hex()?,
            tree: tree.clone(),
            version: version.clone(),
            audience: audience.name(),
            at: *at,
            body,
        })?;
        Ok(())
    }

    /// Appends `event` as event number `expected_seq` of session `id` (the `Started` event is
    /// number 0, so `expected_seq` is how many events the caller has seen, `log().len()`).
    /// Fails with `StoreError::Conflict`, storing nothing, if the session has another number
    /// of events: someone else appended meanwhile, and the caller should reload. Returns once
    /// the event is on disk.
    ///
    /// A `Back` or a `TakenOver` also marks the session open again: by the engine's rules
    /// either one undoes an ending, and the host cannot append anything else that would.
    pub fn append(&self, id: &str, expected_seq: usize, event: &Event) -> Result<(), StoreError> {
        self.append_all(id, expected_seq, std::slice::from_ref(event))
    }

    /// Appends several events as one step: all of them are stored, in order from
    /// `expected_seq`, or none (a conflict or a failure stores nothing). For a web form whose
    /// answers and choice belong together.
    pub fn append_all(
        &self,
        id: &str,
        expected_seq: usize,
        events: &[Event],
    ) -> Result<(), StoreError> {
        let mut new = Vec::with_capacity(events.len());
        for event in events {
            if matches!(event, Event::Started { .. }) {
                return Err(StoreError::AlreadyStarted(id.to_owned()));
            }
            let body = serialise(event)?;
            let kind = kind(&body)?;
            new.push(NewEvent {
                reopens: matches!(kind.as_str(), "back" | "taken_over"),
                kind,
                at: event.at(),
                body,
            });
        }
        if new.is_empty() {
            return Ok(());
        }
        self.submit(Work::Append {
            id: id.to_owned(),
            expected: expected_seq,
            events: new,
        })?;
        Ok(())
    }

    /// Marks the session finished, with the kind of outcome reports group by (`resolved`,
    /// `escalated`, ... — `OutcomeKind::name`), or none (a sub-tree run on its own). Hosts
    /// call it after the append that ended the session; doing it again is harmless. The log
    /// stays the truth: these two columns are a summary for lists and reports.
    pub fn finish(&self, id: &str, outcome: Option<&str>) -> Result<(), StoreError> {
        self.submit(Work::Finish {
            id: id.to_owned(),
            outcome: outcome.map(str::to_owned),
        })?;
        Ok(())
    }

    /// Keeps the texts of the `.tree` files (name, text) a tree version was loaded from, so
    /// a session pinned to that version can be resumed after the files change. The first
    /// save of a version wins: a version is a fingerprint, so a later save has the same trees.
    pub fn save_version(
        &self,
        version: &str,
        files: &[(String, String)],
    ) -> Result<(), StoreError> {
        let files = files
            .iter()
            .map(|(name, text)| VersionFile {
                name: name.clone(),
                hash: hash_token(text),
                text: text.clone(),
            })
            .collect();
        self.submit(Work::SaveVersion {
            version: version.to_owned(),
            files,
        })?;
        Ok(())
    }

    /// Whether a tree version's files are kept.
    pub fn has_version(&self, version: &str) -> Result<bool, StoreError> {
        self.inner.reads.has_version(version)
    }

    /// The files saved for a tree version, in name order, or `None` if it was never saved.
    pub fn load_version(&self, version: &str) -> Result<Option<Vec<(String, String)>>, StoreError> {
        let files = self.inner.reads.load_version(version)?;
        Ok((!files.is_empty()).then_some(files))
    }

    /// The session's handoff code, shown as `XXXX-XXXX`: a new one the first time, the same
    /// one after that. Codes are unique among all sessions. A new code lasts
    /// [`HANDOFF_LIFETIME`] from the session's last event.
    pub fn handoff(&self, id: &str) -> Result<String, StoreError> {
        self.handoff_lasting(id, HANDOFF_LIFETIME)
    }

    /// [`Store::handoff`], with a new code lasting `lifetime` milliseconds from the session's
    /// last event (the moment the customer asked for a person), after which no agent can take
    /// the session over with it. Asking again does not extend it: the code and its expiry are
    /// fixed when the code is given.
    pub fn handoff_lasting(&self, id: &str, lifetime: Millis) -> Result<String, StoreError> {
        match self.submit(Work::Handoff {
            id: id.to_owned(),
            lifetime,
        })? {
            Reply::Handoff(code) => Ok(code),
            // The writer answers a handoff job with a code; anything else means it is broken.
            Reply::Done | Reply::Pruned(..) => Err(StoreError::WriterGone),
        }
    }

    /// Deletes every session (with its events) whose last event is before `before`, except
    /// those whose handoff code still works at `now`: a customer told "an agent will call you
    /// back" keeps their session as long as the code does. Tree versions are kept: they are
    /// small (each file text once) and reports and the remaining sessions need them.
    ///
    /// Deletes in batches of a thousand sessions, one transaction each, so writers waiting
    /// behind a large prune wait for one batch, not for all of it.
    pub fn prune(&self, before: Millis, now: Millis) -> Result<Pruned, StoreError> {
        let mut total = Pruned::default();
        loop {
            match self.submit(Work::Prune {
                before,
                now,
                batch: PRUNE_BATCH,
            })? {
                Reply::Pruned(sessions, events) => {
                    total.sessions += sessions;
                    total.events += events;
                    if sessions < PRUNE_BATCH {
                        return Ok(total);
                    }
                }
                Reply::Done | Reply::Handoff(_) => return Err(StoreError::WriterGone),
            }
        }
    }

    /// The session a handoff code belongs to. Case, dashes and spaces do not matter; text
    /// that cannot be a code finds nothing.
    pub fn find_handoff(&self, code: &str) -> Result<Option<String>, StoreError> {
        let Some(code) = normalise_handoff(code) else {
            return Ok(None);
        };
        self.inner.reads.find_handoff(&code)
    }

    /// What is known about a session, or `None` if there is no such session.
    pub fn session(&self, id: &str) -> Result<Option<SessionInfo>, StoreError> {
        self.inner
            .reads
            .session(id)?
            .map(RawSession::check)
            .transpose()
    }

    /// Every event of a session, in order. A stored event that no longer reads as an event
    /// is an error naming the session and the event's number.
    pub fn events(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        let rows = self.inner.reads.events(id)?;
        // Every session has its `Started` event, so no events means no session.
        if rows.is_empty() {
            return Err(StoreError::NotFound(id.to_owned()));
        }
        rows.into_iter()
            .enumerate()
            .map(|(index, (seq, body))| read_event(id, index, seq, &body))
            .collect()
    }

    /// How many events a session has (the number its next event takes), or `None` if there is
    /// no such session. One lookup in the primary key, whatever the session's length.
    pub fn event_count(&self, id: &str) -> Result<Option<usize>, StoreError> {
        let count = self.inner.reads.event_count(id)?;
        Ok(count.map(|count| usize::try_from(count).unwrap_or(0)))
    }

    /// Whether `token` is the session's owner token. Compares hashes in constant time; a
    /// session that does not exist has no owner.
    pub fn check_owner(&self, id: &str, token: &str) -> Result<bool, StoreError> {
        let stored = self.inner.reads.owner_hash(id)?;
        Ok(stored.is_some_and(|stored| same_secret(&stored, &hash_token(token))))
    }

    /// The session's CSRF token, or `None` if there is no such session.
    pub fn csrf(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.inner.reads.csrf(id)
    }

    /// What a customer's post needs to know before its step, in one read rather than three
    /// (on PostgreSQL each read is a round trip): `None` if there is no such session or
    /// `token` is not its owner token (compared as [`Store::check_owner`] does), else the
    /// session's CSRF token and how many events it has.
    pub fn owned_session(&self, id: &str, token: &str) -> Result<Option<Owned>, StoreError> {
        let Some((owner_hash, csrf, events)) = self.inner.reads.step_keys(id)? else {
            return Ok(None);
        };
        if !same_secret(&owner_hash, &hash_token(token)) {
            return Ok(None);
        }
        Ok(Some(Owned {
            csrf,
            events: usize::try_from(events).unwrap_or(0),
        }))
    }

    /// Sessions newest first, optionally only those of one tree and those created at or after
    /// `since` (milliseconds since the epoch), at most `limit` of them.
    pub fn sessions(
        &self,
        tree: Option<&str>,
        since: Option<Millis>,
        limit: usize,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        // Both databases count in i64; no list is longer than that anyway.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws = self.inner.reads.sessions(tree, since, limit)?;
        raws.into_iter().map(RawSession::check).collect()
    }

    /// Adds an agent and returns its new token. The token is returned here once and never
    /// again: only its SHA-256 is stored. A name already taken (even by a revoked agent, whose
    /// refusals name it) is refused.
    pub fn add_agent(&self, name: &str, at: Millis) -> Result<String, StoreError> {
        if !agent_name_ok(name) {
            return Err(StoreError::BadAgentName(name.to_owned()));
        }
        let token = random_agent_token()?;
        self.submit(Work::AddAgent {
            name: name.to_owned(),
            token_hash: hash_token(&token),
            at,
        })?;
        Ok(token)
    }

    /// Stops an agent's token working, from `at` on. Revoking again keeps the first time.
    pub fn revoke_agent(&self, name: &str, at: Millis) -> Result<(), StoreError> {
        self.submit(Work::RevokeAgent {
            name: name.to_owned(),
            at,
        })?;
        Ok(())
    }

    /// Makes each (tree, version) pair the tree's live version, all in one transaction, so a
    /// desktop never sees half a publish. Save the versions' files first (`save_version`).
    pub fn publish(
        &self,
        trees: &[(String, String)],
        at: Millis,
        by: &str,
    ) -> Result<(), StoreError> {
        self.submit(Work::Publish {
            trees: trees.to_vec(),
            at,
            by: by.to_owned(),
        })?;
        Ok(())
    }

    /// The live version of every published tree, by tree id.
    pub fn live_trees(&self) -> Result<Vec<LiveTree>, StoreError> {
        Ok(self
            .inner
            .reads
            .live_trees()?
            .into_iter()
            .map(|(tree, version, published_at, published_by)| LiveTree {
                tree,
                version,
                published_at,
                published_by,
            })
            .collect())
    }

    /// Every agent, by name.
    pub fn agents(&self) -> Result<Vec<AgentInfo>, StoreError> {
        Ok(self
            .inner
            .reads
            .agents()?
            .into_iter()
            .map(|(name, created_at, revoked_at)| AgentInfo {
                name,
                created_at,
                revoked_at,
            })
            .collect())
    }

    /// Whose `token` is. Looked up by its SHA-256, so the comparison is of hashes in the
    /// database's index: timing tells an attacker about hashes of their own guesses, never
    /// about a stored token.
    pub fn check_agent(&self, token: &str) -> Result<AgentCheck, StoreError> {
        Ok(match self.inner.reads.agent_by_hash(&hash_token(token))? {
            None => AgentCheck::Unknown,
            Some((name, Some(at))) => AgentCheck::Revoked { name, at },
            Some((name, None)) => AgentCheck::Agent(name),
        })
    }

    /// How many writes this store (and its clones) has asked of the writer thread, whether
    /// they changed anything or not.
    pub fn writes(&self) -> u64 {
        self.inner.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hands work to the writer thread and waits until it is committed (or refused).
    fn submit(&self, work: Work) -> Result<Reply, StoreError> {
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::WriterGone)?;
        self.inner
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = mpsc::channel();
        jobs.send(Job { work, reply })
            .map_err(|_| StoreError::WriterGone)?;
        answer.recv().map_err(|_| StoreError::WriterGone)?
    }
}

fn serialise(event: &Event) -> Result<String, StoreError> {
    let body = event.to_json_line();
    if body.is_empty() {
        return Err(StoreError::Unserialisable);
    }
    Ok(body)
}

/// The event's name as its JSON line spells it (`"event": "chose"`), for the `kind` column.
/// Read from the JSON rather than matched on the enum, so that a new kind of event needs no
/// change here and the column always agrees with the body.
fn kind(body: &str) -> Result<String, StoreError> {
    #[derive(Deserialize)]
    struct Tag {
        event: String,
    }
    serde_json::from_str::<Tag>(body)
        .map(|tag| tag.event)
        .map_err(|_| StoreError::Unserialisable)
}

fn read_event(id: &str, index: usize, seq: i64, body: &str) -> Result<Event, StoreError> {
    let bad = |message: String| StoreError::BadEvent {
        session: id.to_owned(),
        seq: usize::try_from(seq).unwrap_or(0),
        message,
    };
    if usize::try_from(seq).ok() != Some(index) {
        return Err(bad(format!("expected event number {index} here")));
    }
    Event::from_json_line(body).map_err(|error| bad(format!("not a call event ({error})")))
}

/// A `sessions` row as the database gives it, before the checks that need our error type.
pub(crate) struct RawSession {
    pub id: String,
    pub tree: String,
    pub version: String,
    pub audience: String,
    pub handoff: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished: bool,
    pub outcome: Option<String>,
    pub events: i64,
    pub handoff_expires: Option<i64>,
}

impl RawSession {
    fn check(self) -> Result<SessionInfo, StoreError> {
        let bad = |message: String| StoreError::BadSession {
            session: self.id.clone(),
            message,
        };
        let audience = Audience::from_name(&self.audience)
            .ok_or_else(|| bad(format!("unknown audience `{}`", self.audience)))?;
        let events = usize::try_from(self.events)
            .map_err(|_| bad(format!("a negative event count ({})", self.events)))?;
        Ok(SessionInfo {
            audience,
            events,
            handoff: self.handoff.as_deref().map(show_handoff),
            handoff_expires: self.handoff_expires,
            id: self.id,
            tree: self.tree,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished: self.finished,
            outcome: self.outcome,
        })
    }
}
