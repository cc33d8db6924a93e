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
}

impl StoreError {
    /// A closure for `map_err` that names what the store was doing.
    pub(crate) fn db(during: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Database {
            during,
            source: Arc::new(source),
        }
    }
}
