//! Operational errors: why a session refused an event or a step, and why a rename could not be
//! done safely. They are separate types because no call can return both: a host playing a call
//! never has to handle a rename refusal, and the author's rename never a refused answer.
//!
//! Problems in a tree are diagnostics, never these. These say why one event, one step or one
//! edit was refused; the session, or the files, are unchanged when one is returned.

use std::fmt;

use thiserror::Error;

/// Why a session could not be started or resumed, or refused an event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SessionError {
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
    /// A value handed in at the start for a field the tree does not mark `given`.
    #[error("`{field}` cannot be handed in at the start: {reason}")]
    NotGiven { field: String, reason: &'static str },
    /// A required `given` field the host did not hand in.
    #[error("{label} must be handed in when the call starts (`{field}` is a required given field)")]
    GivenMissing { field: String, label: String },
    #[error("the call has already been started")]
    AlreadyStarted,
    #[error("the call has ended; go back to change it")]
    Ended,
    #[error("`{field}` is not asked at this step")]
    NotAsked { field: String },
    #[error("{label}: {reason}")]
    InvalidAnswer {
        field: String,
        label: String,
        reason: String,
    },
    #[error("{label} must be answered before moving on")]
    Required { field: String, label: String },
    /// Skipping a step leaves its required fields unanswered, and what reads them later
    /// would show "—" or route to `else`: the step is answered, or the call escalated or
    /// ended instead.
    #[error(
        "this step cannot be skipped: {} must be answered first (or escalate or end the call)",
        labels.join(", ")
    )]
    RequiredNotSkippable {
        fields: Vec<String>,
        labels: Vec<String>,
    },
    #[error("this step has no option {0}")]
    NoSuchOption(String),
    #[error("the option \"{label}\" is not available: {reason}")]
    OptionUnavailable { label: String, reason: String },
    #[error("this step {0}")]
    WrongStep(&'static str),
    /// Something a customer's session does not offer (notes, skipping a step).
    #[error("only an agent can {0}")]
    AgentsOnly(&'static str),
    #[error("there is nothing to go back to")]
    NothingToUndo,
    #[error("this step cannot be left: {0}")]
    Stuck(String),
    /// A note or a reason with no words in it; the text says which.
    #[error("{0}")]
    NeedsWords(&'static str),
    #[error("{what} is too long: keep it under {limit} characters")]
    TooLong { what: &'static str, limit: usize },
    /// A control character or an invisible mark that reorders text (see
    /// [`crate::show::is_hidden_control`]), by its code point.
    #[error(
        "{what} has a hidden character (U+{code:04X}) that cannot be kept; type it rather than \
         pasting it"
    )]
    HiddenCharacter { what: &'static str, code: u32 },
    #[error("this step was worked out for an earlier state of the call; work it out again")]
    StaleSubmission,
}

/// One answer of a step that was refused, to show beside its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name, as in [`crate::FieldView::name`].
    pub field: String,
    /// The field's label, for hosts that show the problem away from the field.
    pub label: String,
    /// What a person reads beside the field: the reason, without the field's label.
    pub message: String,
}

/// Why a step (answers and an action) was refused. Nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRefusal {
    /// Answers refused, each beside its field, in the order the step asks them.
    pub fields: Vec<FieldProblem>,
    /// Why the action itself was refused, when it was not an answer's fault.
    pub step: Option<SessionError>,
}

impl StepRefusal {
    pub(crate) fn of_step(error: SessionError) -> StepRefusal {
        StepRefusal {
            fields: Vec::new(),
            step: Some(error),
        }
    }

    /// The problem of one field, if it has one.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|p| p.field == name)
            .map(|p| p.message.as_str())
    }
}

impl fmt::Display for StepRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .fields
            .iter()
            .map(|p| format!("{}: {}", p.label, p.message))
            .collect();
        if let Some(step) = &self.step {
            parts.push(step.to_string());
        }
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for StepRefusal {}

/// Why a node could not be renamed. `file` is a position in the list of files given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenameError {
    #[error(
        "`{name}` cannot be a node name: use letters, digits and underscores, start with a \
         letter, and avoid `and`, `or`, `not`, `yes`, `no`, `true` and `false`"
    )]
    InvalidNodeName { name: String },
    #[error("there is no tree called `{0}` in this project")]
    UnknownTree(String),
    #[error("tree `{tree}` has no node called `{name}`")]
    UnknownNode { tree: String, name: String },
    #[error("tree `{tree}` already has a node called `{name}`; choose another name")]
    NodeExists { tree: String, name: String },
    #[error(
        "line {line} of a file of tree `{tree}` cannot be read, and it might mention the node; \
         fix the errors in that file before renaming"
    )]
    BlockedBySyntax {
        tree: String,
        file: usize,
        line: u32,
    },
    #[error(
        "`{name}` cannot be a field name: use letters, digits and underscores, start with a \
         letter, and avoid the words of the language"
    )]
    InvalidFieldName { name: String },
    #[error("tree `{tree}` and the trees it calls or is called by have no field or flag `{name}`")]
    UnknownField { tree: String, name: String },
    #[error(
        "`{name}` is already a field or flag of tree `{tree}` or of a tree joined to it by a \
         call; choose another name"
    )]
    FieldExists { tree: String, name: String },
    #[error("renaming would leave line {line} of a file unreadable, so nothing was changed")]
    WouldBreak { file: usize, line: u32 },
}
