//! The diagnostic codes the engine reports: `E2xx` for errors in a tree's structure, logic
//! and types, `W2xx` for warnings, `E3xx` for tests that are wrong or fail, `E4xx`/`W4xx` for
//! translation files. Each has an entry
//! with a failing example in `docs/diagnostics.md`.

use calltree_syntax::{Code, Severity};

const fn error(id: &'static str, name: &'static str) -> Code {
    Code {
        id,
        name,
        severity: Severity::Error,
    }
}

const fn warning(id: &'static str, name: &'static str) -> Code {
    Code {
        id,
        name,
        severity: Severity::Warning,
    }
}

pub const DUPLICATE_NODE: Code = error("E201", "duplicate-node");
pub const DUPLICATE_VARIABLE: Code = error("E202", "duplicate-variable");
pub const UNKNOWN_TARGET: Code = error("E203", "unknown-target");
pub const MISSING_START: Code = error("E204", "missing-start");
pub const DEAD_END: Code = error("E205", "dead-end");
pub const TRAP: Code = error("E206", "trap");
pub const UNKNOWN_VARIABLE: Code = error("E207", "unknown-variable");
pub const TYPE_ERROR: Code = error("E208", "type-error");
pub const READ_BEFORE_SET: Code = error("E209", "read-before-set");
pub const DUPLICATE_OPTION: Code = error("E210", "duplicate-option");
pub const UNKNOWN_TREE: Code = error("E211", "unknown-tree");
pub const RECURSIVE_CALL: Code = error("E212", "recursive-call");
pub const CONFLICTING_EXITS: Code = error("E213", "conflicting-exits");
pub const ROUTING_WITHOUT_ELSE: Code = error("E214", "routing-without-else");
pub const ROUTING_WITH_CONTENT: Code = error("E215", "routing-with-content");
pub const CONFLICTING_TYPES: Code = error("E216", "conflicting-types");
pub const BAD_PATTERN: Code = error("E217", "bad-pattern");
pub const BAD_DEFAULT: Code = error("E218", "bad-default");
pub const UNKNOWN_FUNCTION: Code = error("E219", "unknown-function");
pub const CUSTOMER_STUCK: Code = error("E220", "customer-stuck");
pub const CUSTOMER_NO_TEXT: Code = error("E221", "customer-no-text");
pub const DUPLICATE_TREE: Code = error("E222", "duplicate-tree");
pub const NOT_ASKABLE: Code = error("E223", "not-askable");
pub const ROUTING_LOOP: Code = error("E224", "routing-loop");
pub const LONG_ROUTING_CHAIN: Code = error("E225", "long-routing-chain");
/// Reported by the hosts' loader (`calltree_calls::load_trees`), not by the engine, which
/// reads no files: a `use` whose file cannot be brought in.
pub const BAD_USE: Code = error("E226", "bad-use");

pub const UNREACHABLE_NODE: Code = warning("W251", "unreachable-node");
pub const UNUSED_VARIABLE: Code = warning("W252", "unused-variable");
pub const SOFT_LOCK: Code = warning("W253", "soft-lock");
pub const NO_RESOLUTION: Code = warning("W254", "no-resolution");
pub const LARGE_TREE: Code = warning("W255", "large-tree");

pub const TEST_UNKNOWN_OPTION: Code = error("E301", "test-unknown-option");
pub const TEST_UNKNOWN_NAME: Code = error("E302", "test-unknown-name");
pub const TEST_STEP_REJECTED: Code = error("E303", "test-step-rejected");
pub const TEST_FAILED: Code = error("E304", "test-failed");

// Translation files (`NAME.LOCALE.po` beside a tree): `E4xx` errors, `W4xx` warnings.
pub const TRANSLATION_SYNTAX: Code = error("E401", "translation-syntax");
pub const TRANSLATION_ENCODING: Code = error("E402", "translation-encoding");
pub const TRANSLATION_LOCALE: Code = error("E403", "translation-locale");
pub const TRANSLATION_UNKNOWN_ADDRESS: Code = error("E404", "translation-unknown-address");
pub const TRANSLATION_DUPLICATE: Code = error("E405", "translation-duplicate");
pub const TRANSLATION_PLACEHOLDER: Code = error("E406", "translation-placeholder");
pub const TRANSLATION_FINGERPRINT: Code = error("E407", "translation-fingerprint");
pub const TRANSLATION_MISSING: Code = warning("W451", "translation-missing");
pub const TRANSLATION_STALE: Code = warning("W452", "translation-stale");

/// Every code the engine can report, for documentation checks.
pub const ALL: &[Code] = &[
    DUPLICATE_NODE,
    DUPLICATE_VARIABLE,
    UNKNOWN_TARGET,
    MISSING_START,
    DEAD_END,
    TRAP,
    UNKNOWN_VARIABLE,
    TYPE_ERROR,
    READ_BEFORE_SET,
    DUPLICATE_OPTION,
    UNKNOWN_TREE,
    RECURSIVE_CALL,
    CONFLICTING_EXITS,
    ROUTING_WITHOUT_ELSE,
    ROUTING_WITH_CONTENT,
    CONFLICTING_TYPES,
    BAD_PATTERN,
    BAD_DEFAULT,
    UNKNOWN_FUNCTION,
    CUSTOMER_STUCK,
    CUSTOMER_NO_TEXT,
    DUPLICATE_TREE,
    NOT_ASKABLE,
    ROUTING_LOOP,
    LONG_ROUTING_CHAIN,
    BAD_USE,
    UNREACHABLE_NODE,
    UNUSED_VARIABLE,
    SOFT_LOCK,
    NO_RESOLUTION,
    LARGE_TREE,
    TEST_UNKNOWN_OPTION,
    TEST_UNKNOWN_NAME,
    TEST_STEP_REJECTED,
    TEST_FAILED,
    TRANSLATION_SYNTAX,
    TRANSLATION_ENCODING,
    TRANSLATION_LOCALE,
    TRANSLATION_UNKNOWN_ADDRESS,
    TRANSLATION_DUPLICATE,
    TRANSLATION_PLACEHOLDER,
    TRANSLATION_FINGERPRINT,
    TRANSLATION_MISSING,
    TRANSLATION_STALE,
];
