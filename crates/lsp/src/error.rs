//! What can stop the language server: only its connection to the editor failing.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LspError {
    #[error("the connection to the editor failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the language server could not start a thread: {0}")]
    Thread(std::io::Error),
    #[error("the language server stopped unexpectedly")]
    Stopped,
}
