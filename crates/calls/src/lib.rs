//! The host kit: how every calltree host — the `calltree` command line, the desktop app, the
//! self-service server, and any host to come — plays a call and keeps it. Hosts render the
//! engine's `View` and take input; every rule about turning input into stored events lives
//! here (and, for what a step means, in the engine), once.
//!
//! Writing a host:
//! 1. get a project ([`Versions`] finds the one a stored call's version runs on);
//! 2. start a [`Call`] with a [`CallStore`] ([`LogFile`], [`LogFolder`], [`DatabaseCalls`], or
//!    [`MemoryCalls`] in tests), or continue one;
//! 3. draw `call.view()`; turn what the person did into a `Step` (answers and an `Action`);
//! 4. `call.record(&step, now)`: a refusal comes back with a reason beside each field; a
//!    failure to store leaves the call as it was; success means the events are on disk.
//!
//! Invariants:
//! - a host never stores an event the session refused: `record` works the step out first;
//! - an event is on disk (synced, or committed) before the call moves on and the host shows it;
//! - a call log is never continued past a damaged line nor rewritten without it; only a torn
//!   last line (never acknowledged) is cut off;
//! - a log is never overwritten by accident.
//!
//! Modules: `call` (the record path), `clock` (event times), `store` (the storage trait, agents' own calls, memory),
//! `log` (the JSON-lines format), `log_file` (one call per file: the CLI), `log_folder` (a
//! folder of calls: the desktop app), `database` (the session database and take-overs),
//! `versions` (version → project), `reports` (stored sessions for reports), `load` (the one
//! rule for which files make a project: a file, its folder, and what it brings in with `use`).

mod call;
mod clock;
mod database;
mod error;
mod hub;
mod load;
mod log;
mod log_file;
mod log_folder;
mod relay;
mod reports;
mod store;
mod versions;

pub use call::{Call, Recorded, given_value};
pub use clock::now;
pub use database::{
    DatabaseCalls, Handoffs, SessionDatabase, in_customers_language, open_session, take_over,
};
pub use error::CallsError;
pub use hub::{
    HUB_TREES_FILE, HandoffRequest, HubCalls, HubClient, HubHandoffs, HubSessions, HubTrees,
    LiveTrees, NumberedEvent, PublishRequest, SessionEvents, TakenOver, TreeFile, TreeSource,
    Upload, Uploaded, project_of,
};
pub use load::{
    LoadedTrees, load_folder_leaving_out_unreadable, load_trees, load_trees_editing,
    translation_files,
};
pub use log::{LogContents, LogProblem, read_log};
pub use log_file::LogFile;
pub use log_folder::LogFolder;
pub use relay::{OUTBOX_FILE, Relay, RelayHandle, Relayed, RelayedCalls};
pub use reports::{
    AddSession, Progress, SessionSource, StoredSessions, report, report_with_progress,
};
pub use store::{AgentCalls, CallId, CallStore, MemoryCalls, StoredCall};
pub use versions::{
    Versions, project_of_version, split_version_files, translation_file_name, version_files,
};
