//! The pest parser generated from `grammar.pest`. Its types never leave this crate.

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct Grammar;
