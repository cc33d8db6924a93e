//! Operational errors: a step a session cannot take, a log that cannot be resumed, or a rename
//! that cannot be done safely.
//!
//! Problems in a tree are diagnostics, never these. These say why one event or one edit was
//! refused; the session, or the files, are unchanged when one is returned.

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

    // Renaming a node (see `rename_node`). `file` is a position in the list of files given.
    #[error(
        "`{name}` cannot be a node name: use letters, digits and underscores, start with a \
         letter, and avoid `and`, `or`, `not`, `yes`, `no`, `true` and `false`"
    )]
    InvalidNodeName { name: String },
    #[error("tree `{tree}` has no node called `{name}`")]
    UnknownNode { tree: String, name: String },
    #[error("tree `{tree}` already has a node called `{name}`; choose another name")]
    NodeExists { tree: String, name: String },
    #[error(
        "line {line} of a file of tree `{tree}` cannot be read, and it might mention the node; \
         fix the errors in that file before renaming"
    )]
    RenameBlockedBySyntax {
        tree: String,
        file: usize,
        line: u32,
    },
    #[error("renaming would leave line {line} of a file unreadable, so nothing was changed")]
    RenameWouldBreak { file: usize, line: u32 },
}
