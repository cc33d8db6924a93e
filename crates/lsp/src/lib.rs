//! The calltree language server: what `calltree check`, `calltree fmt` and the desktop
//! editor know about trees, for any editor that speaks the Language Server Protocol.
//!
//! The server is a thin host. Diagnostics are the project's own, loaded by the host kit's
//! one loading rule (`calltree_calls::load_trees_editing`: a file, the trees of its folder and
//! what `use` brings in, with the editor's unsaved texts in place of the disk's) and checked
//! with the syntax crate's line cache, so typing re-parses only the edited lines. Names are
//! resolved by the engine's `SymbolIndex`, renames are the engine's `rename_node` and
//! `rename_field`, formatting is `calltree fmt`'s formatter, and colours are the syntax
//! crate's highlighter. What is here is only the protocol: positions, messages, and never
//! stopping on bad input.
//!
//! One thread reads the wire (see `transport`), the other answers in order. Edits that arrive
//! while a check runs are taken together, so a check is never more than one behind.

mod edit;
mod error;
mod navigate;
mod position;
mod server;
mod transport;
mod workspace;

pub use error::LspError;
pub use position::{Encoding, LineMap};

use std::io::{BufRead, Write};

/// How the session ended: whether the client asked for `shutdown` before `exit`, which
/// decides the process's exit code (0 or 1, as the protocol says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `exit` after `shutdown`.
    Clean,
    /// `exit` without `shutdown`, or the input ended.
    Abrupt,
}

/// Runs the server on standard input and output until the client says `exit` or goes away.
pub fn run_stdio() -> Result<Ending, LspError> {
    // Parsing and checking recurse within fixed limits (see the syntax crate); a thread of
    // its own gives them the stack they were measured with, whatever the caller's is.
    let worker = std::thread::Builder::new()
        .name("calltree-lsp".into())
        .stack_size(16 * 1024 * 1024)
        .spawn(|| {
            let input = std::io::BufReader::new(std::io::stdin());
            let output = std::io::stdout();
            serve(input, output)
        })
        .map_err(LspError::Thread)?;
    worker.join().map_err(|_| LspError::Stopped)?
}

/// Runs the server on any pair of streams (tests use pipes).
pub fn serve(input: impl BufRead + Send + 'static, output: impl Write) -> Result<Ending, LspError> {
    server::Server::new(output).run(input)
}
