//! The one error type of the desktop app's library: what can go wrong with the trees an author
//! edits. (Calls are kept by the host kit, whose `CallsError` says what went wrong there.)

use calltree_engine::RenameError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EditorError {
    #[error(transparent)]
    Rename(#[from] RenameError),
    #[error(
        "`{0}` cannot be a tree id: use lowercase letters, digits and _, starting with a \
         letter (like `wifi_help`)"
    )]
    TreeId(String),
    #[error("`{name}` could not be read: {reason}")]
    FileRead { name: String, reason: String },
    #[error("`{name}` could not be saved: {reason}")]
    FileWrite { name: String, reason: String },
}
