//! Durable storage of calltree sessions and their events, shared by the web server
//! (customers' self-service), the CLI and the desktop app (agents taking a session over by its
//! handoff code), and reports. Two backends behind the one `Store`: an embedded SQLite file
//! (the default, nothing to set up) and PostgreSQL (`Store::open("postgres://…")`), for a
//! contact centre where several `calltree serve` instances share one database. They keep the
//! same schema (versioned migrations, version for version), the same durability promise and
//! the same expected-seq rule, and one test suite runs against both (`tests/store.rs`).
//!
//! # Design
//!
//! A session is its event log (see `calltree_engine::Session`); the store keeps each event as
//! the JSON line `Event::to_json_line` gives, numbered densely from 0 (the `Started` event),
//! and an `append` names the number it expects to take, so two writers that both saw event
//! *n* cannot both add event *n + 1*: the second gets `StoreError::Conflict` and reloads.
//!
//! **Group commit.** One writer thread owns the only writing connection of the process. Callers
//! queue their writes and block; the thread applies every write that is waiting in one
//! transaction (each in a savepoint, so one caller's conflict does not undo another's event),
//! commits once and then answers them all. Under load one fsync serves many events; alone, an
//! event costs one fsync, as it must. A caller hears `Ok` only after the commit is on disk.
//!
//! **WAL** (write-ahead logging) lets readers — a small pool of read-only connections — run
//! while the writer commits, and makes a commit one sequential append to the log.
//! **`synchronous=FULL`** syncs the log at every commit: with the usual WAL setting (`NORMAL`)
//! a power cut can lose the last commits, which would break the promise that an acknowledged
//! event is kept. Other programs may open the same file; SQLite's locks (with a busy
//! timeout) order their writes, and the expected-seq check works across them too.
//!
//! Times are the events' own `at`: the store reads no clock, like the engine.
//!
//! **PostgreSQL** (`pg.rs`) keeps this design: the same writer thread and group commit, a
//! small pool of reading connections, `synchronous_commit = on`, and the expected-seq check
//! under a lock on the session's row, so two instances appending to one session get one
//! success and one `Conflict`. A server that cannot be reached is `StoreError::Unavailable`
//! (hosts answer "try again"), and the store connects again on the next call.
//!
//! # Schema (version 6, in `PRAGMA user_version`)
//!
//! - `sessions(id TEXT PRIMARY KEY, tree, version, audience, owner_hash, csrf,
//!   handoff TEXT UNIQUE NULL, created_at, updated_at, finished 0/1, outcome NULL)`: one row per
//!   session. `owner_hash` is the SHA-256 (hex) of the owner token — the token itself is never
//!   stored, so a leaked database does not let anyone act as the customer. `handoff` is the
//!   code without its dash, `handoff_expires` when it stops working (the session's last event
//!   when the code was given, plus its lifetime). `created_at`/`updated_at` are the first and
//!   the last event's `at`.
//!   Indexed by `created_at` and by `(tree, created_at)` for reports, and by `updated_at`
//!   for `prune`, which deletes sessions whose last event is older than a retention period.
//! - `events(session_id REFERENCES sessions, seq, at, kind, body, PRIMARY KEY(session_id,
//!   seq))`: `body` is the JSON line, `kind` its event name (`started`, `chose`, ...) and `at`
//!   its time, copied out for reports.
//! - `texts(hash PRIMARY KEY, text)`: each `.tree` file text once, by its SHA-256;
//!   `snapshot_files(snapshot, file, hash)`: the files of one set of texts (a snapshot is
//!   named by the hash of its file names and text hashes, so every tree of one project shares
//!   one); `version_snapshots(version PRIMARY KEY, snapshot)`: the files a tree version was
//!   loaded from, so a session pinned to an old version can still be resumed. An edit of one
//!   file adds one text, one snapshot listing and a row per tree version, not a copy of every
//!   file per tree. `versions(version, file, text)` holds versions saved before schema 4 and
//!   is still read.
//!
//! - `agents(name PRIMARY KEY, token_hash UNIQUE, created_at, revoked_at NULL)`: who may use
//!   the server's API (`calltree agents`). Tokens are 256 random bits; only their SHA-256 is
//!   kept, and a request's token is found by its hash. A fast hash is right here, unlike for
//!   passwords: a slow hash protects guessable secrets, and nobody guesses 256 random bits.
//! - `live_trees(tree PRIMARY KEY, version, published_at, published_by)`: the version of each
//!   tree that desktops run (`calltree publish`); its files are that version's snapshot.
//!
//! `finished` and `outcome` summarise the log for lists and reports; the log stays the truth.
//! Hosts set them with `finish` after the append that ends a session; an appended `Back` or
//! `TakenOver` clears them, since by the engine's rules either one undoes an ending.
//!
//! Both tables are `STRICT`. Migrations are a list in code, applied in order inside one
//! transaction; a database from a newer version of the program is refused, untouched. On
//! PostgreSQL the same tables have the same columns (`BIGINT` times, a `BOOLEAN` `finished`),
//! the version is in a table of its own, `calltree_schema`, and migrations run under an
//! advisory lock so two instances starting at once do not both migrate.
//!
//! # Example
//!
//! ```no_run
//! # fn main() -> Result<(), calltree_store::StoreError> {
//! use calltree_engine::Event;
//! use calltree_store::Store;
//!
//! let store = Store::open("sessions.db")?;
//! let started = Event::Started {
//!     tree: "billing".into(),
//!     version: "3f2a".into(),
//!     audience: calltree_syntax::Audience::Customer,
//!     at: 1_700_000_000_000,
//!     given: Vec::new(),
//!     locale: None,
//! };
//! let new = store.create_session(&started)?; // give `new.owner_token` to the customer
//! store.append(&new.id, 1, &Event::Continued { at: 1_700_000_001_000 })?; // 1 = events seen
//! assert_eq!(store.events(&new.id)?.len(), 2);
//! let code = store.handoff(&new.id)?; // read out to an agent, e.g. "7KQ2-M9XD"
//! assert_eq!(store.find_handoff(&code.to_lowercase())?, Some(new.id));
//! # Ok(())
//! # }
//! ```

mod error;
mod migrate;
mod pg;
mod schema;
mod sqlite;
mod store;
#[doc(hidden)]
pub mod testing;
mod token;
mod writer;

pub use error::StoreError;
pub use migrate::{Migrated, migrate};
pub use store::{
    AgentCheck, AgentInfo, Backend, HANDOFF_LIFETIME, LiveTree, NewSession, Owned, Pruned,
    SessionInfo, Store, location_exists, postgres_address, shown_location,
};
pub use token::same_secret;

/// The schema version this build of the store writes and understands.
pub fn schema_version() -> i64 {
    schema::latest()
}
