//! The diagnostic codes the parser reports (`E1xx`, and `W1xx` for its warnings). Later stages own their own ranges.

use crate::diagnostic::{Code, Severity};

const fn error(id: &'static str, name: &'static str) -> Code {
    Code {
        id,
        name,
        severity: Severity::Error,
    }
}

/// A line does not follow the grammar; the message says what was expected.
pub const SYNTAX_ERROR: Code = error("E101", "syntax-error");
/// A line starts with a word that is not a keyword.
pub const UNKNOWN_KEYWORD: Code = error("E102", "unknown-keyword");
/// A quoted text has no closing quote on its line.
pub const UNCLOSED_TEXT: Code = error("E103", "unclosed-text");
/// A backslash escape that the language does not know.
pub const UNKNOWN_ESCAPE: Code = error("E104", "unknown-escape");
/// A statement inside a block that does not take it (`choose` in a node, `say` in a test).
pub const MISPLACED_STATEMENT: Code = error("E105", "misplaced-statement");
/// An indented line with no block above it, or under a one-line declaration.
pub const ORPHAN_LINE: Code = error("E106", "orphan-line");
/// A tree header property given twice.
pub const DUPLICATE_PROPERTY: Code = error("E107", "duplicate-property");
/// More than one `tree` or `tests for` line in one file.
pub const SECOND_TREE: Code = error("E108", "second-tree");
/// Nodes, fields or tests in a file with no `tree` (or `tests for`) line.
pub const MISSING_TREE_HEADER: Code = error("E109", "missing-tree-header");
/// An audience other than `agent` or `customer`.
pub const UNKNOWN_AUDIENCE: Code = error("E110", "unknown-audience");
/// A range whose lower bound is above its upper bound.
pub const EMPTY_RANGE: Code = error("E111", "empty-range");
/// A reserved word (`and`, `not`, `yes`...) used as a field or flag name.
pub const RESERVED_NAME: Code = error("E112", "reserved-name");
/// A block keyword (`node`, `field`...) that is indented.
pub const INDENTED_BLOCK: Code = error("E113", "indented-block");
/// A number too large to be represented.
pub const BAD_NUMBER: Code = error("E114", "bad-number");

const fn warning(id: &'static str, name: &'static str) -> Code {
    Code {
        id,
        name,
        severity: Severity::Warning,
    }
}

/// A character in quoted text that a reader cannot see (zero-width, a bidirectional
/// override, a no-break space): written as it is, it can hide or disguise what is read out.
pub const HIDDEN_CHARACTER: Code = warning("W101", "hidden-character");

/// `{name}` in a text value (`set summary = "HR {hr}"`): kept as written, not filled in.
pub const LITERAL_PLACEHOLDER: Code = warning("W102", "literal-placeholder");

/// Every code this crate can report, for documentation checks.
pub const ALL: &[Code] = &[
    SYNTAX_ERROR,
    UNKNOWN_KEYWORD,
    UNCLOSED_TEXT,
    UNKNOWN_ESCAPE,
    MISPLACED_STATEMENT,
    ORPHAN_LINE,
    DUPLICATE_PROPERTY,
    SECOND_TREE,
    MISSING_TREE_HEADER,
    UNKNOWN_AUDIENCE,
    EMPTY_RANGE,
    RESERVED_NAME,
    INDENTED_BLOCK,
    BAD_NUMBER,
    HIDDEN_CHARACTER,
    LITERAL_PLACEHOLDER,
];
