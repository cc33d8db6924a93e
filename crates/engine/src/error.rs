//! Operational errors: a step a session cannot take, or a log that cannot be resumed.
//!
//! Problems in a tree are diagnostics, never these. These say why one event was refused; the
//! session is unchanged when one is returned.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    #[error("there is no tree called `{0}` in this project")]
    UnknownTree(String),
    #[error("tree `{tree}` has no start node, so a call cannot begin")]
    NoStart { tree: String },
    #[error("tree `{tree}` does not serve {audience}s")]
    WrongAudience { tree: String, audience: String },
    #[error(
        "this call was started on another version of `{tree}` (version {logged}, now {current}); \
         it cannot continue on the changed tree"
    )]
    VersionMismatch {
        tree: String,
        logged: String,
        current: String,
    },
    #[error("a call log must begin with a `started` event")]
    NotStarted,
    #[error("the call has already been started")]
    AlreadyStarted,
    #[error("the call has ended; go back to change it")]
    Ended,
    #[error("`{field}` is not asked at this step")]
    NotAsked { field: String },
    #[error("{label}: {reason}")]
    InvalidAnswer { label: String, reason: String },
    #[error("{label} must be answered before moving on")]
    Required { label: String },
    #[error("this step has no option {0}")]
    NoSuchOption(String),
    #[error("the option \"{label}\" is not available: {reason}")]
    OptionUnavailable { label: String, reason: String },
    #[error("this step {0}")]
    WrongStep(&'static str),
    #[error("there is nothing to go back to")]
    NothingToUndo,
    #[error("this step cannot be left: {0}")]
    Stuck(String),
}
