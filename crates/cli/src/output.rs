//! Standard output, shared by every command: buffered, and quiet when the reader goes away.
//!
//! `calltree export … | head` closes the pipe after ten lines. Rust's `print!` panics on the
//! next write ("Broken pipe", exit 101); a command writes through [`Output`] instead, which
//! stops writing once the pipe is closed and lets the command finish with its usual exit
//! status. Any other write error (a full disk behind a redirection) is an error.

use std::io::{self, Write as _};

use anyhow::{Context as _, Result};

/// Standard output for one command.
pub struct Output {
    out: io::BufWriter<io::StdoutLock<'static>>,
    /// The reader has gone away: nothing more is written.
    closed: bool,
}

impl Output {
    pub fn stdout() -> Output {
        Output {
            out: io::BufWriter::new(io::stdout().lock()),
            closed: false,
        }
    }

    /// Writes text as it is.
    pub fn text(&mut self, text: &str) -> Result<()> {
        self.bytes(text.as_bytes())
    }

    /// Writes a line of text and a line break.
    pub fn line(&mut self, text: &str) -> Result<()> {
        self.text(text)?;
        self.text("\n")
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let written = self.out.write_all(bytes);
        self.settle(written)
    }

    /// Flushes what is buffered; the output is complete (or its reader gone) when this returns.
    pub fn finish(mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let flushed = self.out.flush();
        self.settle(flushed)
    }

    /// Whether the reader has gone away, for a command that could stop producing output.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn settle(&mut self, result: io::Result<()>) -> Result<()> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other.context("cannot write to standard output"),
        }
    }
}

/// Writes a whole text to standard output (see [`Output`]).
pub fn emit(text: &str) -> Result<()> {
    emit_bytes(text.as_bytes())
}

/// Writes bytes to standard output (see [`Output`]).
pub fn emit_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = Output::stdout();
    out.bytes(bytes)?;
    out.finish()
}

/// Set once standard output's reader has gone away during an interactive command.
static CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to standard output at once (an interactive command's prompts must not wait in a
/// buffer). A closed pipe is remembered, not a panic: see [`closed`].
pub fn write_now(args: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.flush());
    if written.is_err() {
        // Broken pipe or any other failure: nobody can read what follows.
        CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether standard output's reader has gone away; an interactive command then stops.
pub fn closed() -> bool {
    CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// `print!` through [`write_now`].
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::write_now(format_args!($($arg)*)) };
}

/// `println!` through [`write_now`].
macro_rules! sayln {
    () => { $crate::output::write_now(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_now(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {say, sayln};
