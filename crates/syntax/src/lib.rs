//! The calltree language: grammar, spanned syntax tree, formatter and diagnostics.
//!
//! This crate is a pure function from text to tree. It does no I/O and knows nothing of
//! graphs, sessions or user interfaces: [`parse`] turns the text of one `.tree` file into a
//! [`SourceFile`] plus a list of [`Diagnostic`]s, never failing and never panicking, and
//! [`format()`] turns a tree back into its one canonical layout. [`parse_cached`] gives the
//! same result, re-parsing only the lines a [`LineCache`] has not seen in the previous parse.

mod ast;
mod cache;
pub mod codes;
mod convert;
mod diagnostic;
mod expected;
#[cfg(test)]
mod fast_path_tests;
mod format;
// pest's derive, built without its `std` feature (see Cargo.toml), names `alloc` in the code
// it generates.
extern crate alloc;

mod grammar;
mod highlight;
pub mod interchange;
mod invisible;
mod parser;
mod shift;
mod span;

pub use ast::*;
pub use cache::LineCache;
pub use diagnostic::{Code, Diagnostic, Related, Severity};
pub use expected::{BLOCK_KEYWORDS, STATEMENT_KEYWORDS, nearest};
pub use format::{behaviour_pieces, format, format_behaviour};
pub use highlight::{Token, TokenKind, highlight};
pub use invisible::{invisible_name, is_invisible};
pub use parser::{parse, parse_cached};
pub use span::{LineCol, LineIndex, Span};

/// Formats source text directly. Returns `None` when the text has syntax errors, because
/// rewriting a file its author has not finished is rarely what they want.
pub fn format_source(text: &str) -> Option<String> {
    let (file, diagnostics) = parse(text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(format(&file))
    }
}
