//! The one error type of the host kit. Two kinds matter to a host: a step the call refused
//! (`Refused`: show it beside the field, nothing was stored) and everything else, which means
//! the call could not be kept as asked (show it plainly; the call on screen is as it was).

use std::io;
use std::path::PathBuf;

use calltree_engine::{SessionError, StepRefusal};
use calltree_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CallsError {
    /// The step was refused by the call's rules; nothing was stored.
    #[error(transparent)]
    Refused(#[from] StepRefusal),
    /// A stored call could not be started or continued on its tree.
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file could not be read (missing, not a regular file, over the size limit...).
    #[error(transparent)]
    File(#[from] calltree_files::FilesError),
    /// Someone else added to the call since it was read: read it again.
    #[error("the call `{call}` has {actual} events, not {expected}: it changed meanwhile")]
    Conflict {
        call: String,
        expected: usize,
        actual: usize,
    },
    #[error("cannot {during} `{}`: {source}", path.display())]
    Io {
        during: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{}` is damaged at line {line} ({message}); the events after it cannot be trusted or \
         dropped, so the log was left as it is: repair or remove that line",
        path.display()
    )]
    Damaged {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "line {line} of `{}` holds a `{name}` event, which a newer calltree wrote; continue this \
         call with that version (the log was left as it is)",
        path.display()
    )]
    FromNewer {
        path: PathBuf,
        line: usize,
        name: String,
    },
    #[error(
        "`{}` already exists; choose another file, continue it with --resume, or replace it \
         with --force",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error("there is no call `{0}` here")]
    NoSuchCall(String),
    #[error(
        "the calls folder `{}` is in use by another calltree program; close it first (two \
         programs writing one folder could mix their calls)",
        path.display()
    )]
    FolderInUse { path: PathBuf },
    #[error("no session has the handoff code `{0}`; check the code with the customer")]
    NoHandoff(String),
    /// A code works once: the session is already an agent's.
    #[error(
        "the handoff code {code} has been used: an agent took this session over {ago}, and a \
         code works only once, so a case already taken cannot be reopened with it; if the \
         customer needs more help, start a new call"
    )]
    HandoffUsed { code: String, ago: String },
    #[error(
        "the handoff code {code} expired {ago}; the customer's answers are kept for reports, \
         but this code no longer opens them: start a new call with the customer"
    )]
    HandoffExpired { code: String, ago: String },
    #[error(
        "there is no self-service session database at `{}` (point the app at the one          `calltree serve` keeps, with CALLTREE_DB)",
        .0.display()
    )]
    NoDatabase(PathBuf),
    #[error(
        "the version of `{tree}` this session ran on is not known here (version {version}); \
         it cannot be continued"
    )]
    VersionMissing { tree: String, version: String },
    #[error("`{url}` is not a server address calltree can use: {why}")]
    BadServerAddress { url: String, why: String },
    /// The hub could not be reached, or went away before answering: nothing is known to
    /// have been stored, and the same request can be sent again.
    #[error("the calltree server {server} cannot be reached: {message}")]
    Unreachable { server: String, message: String },
    /// The hub refused the request, in its own words (and a refused publish's problems).
    #[error("the server refused ({status}): {message}")]
    Server {
        status: u16,
        message: String,
        diagnostics: Option<String>,
    },
    #[error("the calltree server {server} gave an answer that could not be read: {message}")]
    BadAnswer { server: String, message: String },
    #[error("the stored session `{0}` does not begin with a `started` event")]
    NotStarted(String),
}

impl CallsError {
    pub(crate) fn io(
        during: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| CallsError::Io {
            during,
            path,
            source,
        }
    }

    /// The step's refusal, when this is one (nothing was stored, and the screen shows why
    /// beside the fields).
    pub fn refusal(&self) -> Option<&StepRefusal> {
        match self {
            CallsError::Refused(refusal) => Some(refusal),
            _ => None,
        }
    }
}
