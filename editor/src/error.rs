//! The one error type of the desktop app's library: what can go wrong storing calls and trees.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EditorError {
    #[error("the call could not be saved: {0}")]
    CallWrite(String),
    #[error("a stored call could not be read: {0}")]
    CallRead(String),
    #[error("`{name}` could not be read: {reason}")]
    FileRead { name: String, reason: String },
    #[error("`{name}` could not be saved: {reason}")]
    FileWrite { name: String, reason: String },
}
