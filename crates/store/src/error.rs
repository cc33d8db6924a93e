//! The one error type of the store. Every failure is data the host can show or act on:
//! `Conflict` in particular is an expected outcome (two tabs posting at once), not a fault.

use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the session database `{}`", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: Arc<rusqlite::Error>,
    },
    #[error(
        "the session database `{}` was written by a newer calltree (schema version {found}; \
         this program knows versions up to {supported}): use a newer calltree, or another file",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "`{}` is an SQLite database of another program (application id {application_id:#x}), \
         not a calltree session database",
        path.display()
    )]
    NotOurs { path: PathBuf, application_id: i64 },
    #[error(
        "the session database `{}` cannot use write-ahead logging (the journal mode stayed \
         `{mode}`); is it on a network file system?",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot start the database writer thread")]
    Thread(#[source] std::io::Error),
    /// An SQLite failure. Shared (`Arc`) because a failed group commit fails every caller in it.
    #[error("the session database failed while {during}")]
    Database {
        during: &'static str,
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// The session has another number of events than the caller saw: reload it and retry.
    #[error("session `{session}` has {actual} events, not {expected}: it changed meanwhile")]
    Conflict {
        session: String,
        expected: usize,
        actual: usize,
    },
    #[error("there is a session `{0}` already")]
    SessionExists(String),
    #[error("there is no session `{0}`")]
    NotFound(String),
    #[error("a session must begin with a `started` event")]
    NotStarted,
    #[error("the tree version session `{session}` ran on is not in the database")]
    VersionMissing { session: String },
    #[error("session `{0}` has started already: `started` can only be its first event")]
    AlreadyStarted(String),
    #[error("the event could not be written as JSON")]
    Unserialisable,
    #[error("session `{session}`, event {seq}: {message}")]
    BadEvent {
        session: String,
        seq: usize,
        message: String,
    },
    #[error("session `{session}`: {message}")]
    BadSession { session: String, message: String },
    #[error("the operating system's random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error("could not find a free handoff code (the database may be nearly full of them)")]
    NoFreeHandoff,
    #[error("the database writer has stopped; reopen the store")]
    WriterGone,
    /// A failure PostgreSQL reported (a constraint, a permission, a value of the wrong type).
    #[error("the session database failed while {during}")]
    Postgres {
        during: &'static str,
        #[source]
        source: Arc<postgres::Error>,
    },
    /// PostgreSQL cannot be reached (stopped, restarting, the network): this call stored
    /// nothing it acknowledged, and the store connects again on the next call.
    #[error("the session database {location} cannot be reached while {during}")]
    Unavailable {
        location: String,
        during: &'static str,
        #[source]
        source: Arc<postgres::Error>,
    },
    /// A PostgreSQL database that already holds another program's `sessions` table.
    #[error(
        "the PostgreSQL database {location} already has a `sessions` table that calltree did \
         not make: give calltree a database of its own"
    )]
    ForeignDatabase { location: String },
    #[error("there is already an agent called `{0}`; revoke it or choose another name")]
    AgentExists(String),
    #[error("there is no agent called `{0}`")]
    NoAgent(String),
    #[error("`{0}` cannot be an agent's name: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadAgentName(String),
    /// A `postgres://` address that does not parse.
    #[error("`{location}` is not a PostgreSQL address calltree can use: {message}")]
    BadAddress { location: String, message: String },
}

impl StoreError {
    /// Whether the database could not be reached, as opposed to refusing what was asked: a
    /// host answers "try again in a moment", and nothing acknowledged was lost.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// A closure for `map_err` that names what the store was doing.
    pub(crate) fn db(during: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Database {
            during,
            source: Arc::new(source),
        }
    }
}
