//! Translations end to end: `calltree check` on a deliberately stale translation (golden
//! output), `translate extract` keeping and marking work, `run --locale`, and translation
//! files no tool wrote.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that cannot run its command should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn calltree(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/translation")
        .join(name)
}

/// The stale fixture copied into a fresh folder, so paths in the output are short.
fn stale_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["refund.tree", "refund.fr.po"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("CALLTREE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with CALLTREE_BLESS=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

#[test]
fn check_reports_the_stale_translation_of_the_fixture() {
    let dir = stale_folder();
    let output = calltree(dir.path(), &["check", "refund.tree"]);
    // A stale translation is a warning: the tree still works, in its own words there.
    assert_eq!(output.status.code(), Some(0));
    golden("check_stale_translation.txt", &text(&output.stdout));
    let output = calltree(dir.path(), &["check", "--deny-warnings", "refund.tree"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn extract_keeps_translations_and_marks_the_changed_one_fuzzy() {
    let dir = stale_folder();
    let output = calltree(
        dir.path(),
        &["translate", "extract", "--locale", "fr", "refund.tree"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "wrote refund.fr.po: 13 texts, 1 to translate or review\n"
    );
    let po = std::fs::read_to_string(dir.path().join("refund.fr.po")).unwrap();
    assert!(po.contains(
        "#, fuzzy\n#| msgid \"You can return order {order_number} within 14 days of delivery for a full refund.\"\nmsgctxt \"window.customer.1\"\nmsgid \"You can return order {order_number} within 30 days of delivery for a full refund.\"\nmsgstr \"Vous pouvez retourner la commande {order_number} dans les 14 jours"
    ), "{po}");
    assert!(po.contains("msgstr \"Je la garde\""));
    let output = calltree(dir.path(), &["check", "refund.tree"]);
    let shown = text(&output.stdout);
    assert!(
        shown.contains("warning[W452]: the translation of `window.customer.1` is marked fuzzy"),
        "{shown}"
    );
    // Nothing changed since: a second extract leaves the file alone.
    let output = calltree(
        dir.path(),
        &["translate", "extract", "--locale", "fr", "refund.tree"],
    );
    assert!(text(&output.stdout).starts_with("unchanged refund.fr.po"));
}

#[test]
fn extract_refuses_a_locale_that_is_not_bcp_47() {
    let dir = stale_folder();
    let output = calltree(
        dir.path(),
        &["translate", "extract", "--locale", "fr_FR", "refund.tree"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("`fr_FR` is not a BCP 47 language tag"));
    assert!(!dir.path().join("refund.fr_FR.po").exists());
}

#[test]
fn run_in_french_shows_the_translation_falls_back_marked_and_keeps_the_locale() {
    let dir = stale_folder();
    std::fs::write(dir.path().join("answers.txt"), "123456\n\n1\n").unwrap();
    let output = calltree(
        dir.path(),
        &[
            "run",
            "--as",
            "customer",
            "--locale",
            "fr",
            "--answers",
            "answers.txt",
            "--log",
            "call.jsonl",
            "refund.tree",
        ],
    );
    let shown = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{shown}{}",
        text(&output.stderr)
    );
    assert!(
        shown.contains("Pour quelle commande souhaitez-vous un remboursement ?"),
        "{shown}"
    );
    // The stale translation is not shown: the source text is, marked.
    assert!(
        shown.contains("[untranslated] You can return order 123456 within 30 days"),
        "{shown}"
    );
    assert!(
        shown.contains("Le retour de la commande 123456 est commencé."),
        "{shown}"
    );
    let log = std::fs::read_to_string(dir.path().join("call.jsonl")).unwrap();
    let first = log.lines().next().unwrap();
    assert!(first.contains("\"locale\":\"fr\""), "{first}");
    // The option is recorded by its source words, whatever the language shown.
    assert!(log.contains("\"label\":\"Start my return\""), "{log}");
}

#[test]
fn translation_files_no_tool_wrote_are_diagnostics_never_a_crash() {
    let samples: [&[u8]; 6] = [
        b"\xff\xfe\x00garbage\n\n\"",
        b"msgctxt \"order.title\"\nmsgctxt \"order.title\"\nmsgid \"Your order\"\nmsgstr \"x\"\n",
        b"msgctxt \"order.title\"\nmsgid \"Your order\"\nmsgstr \"{oops\"\n",
        b"msgctxt \"nowhere.say.9\"\nmsgid \"x\"\nmsgstr \"y\"\n",
        b"msgid_plural \"x\"\nmsgstr[0] \"\"\n\"\\",
        b"\n\n\n#,\n#|\n#.\nmsgstr\nmsgid\n\"\"\n",
    ];
    for (index, sample) in samples.iter().enumerate() {
        let dir = stale_folder();
        std::fs::write(dir.path().join("refund.fr.po"), sample).unwrap();
        let output = calltree(dir.path(), &["check", "refund.tree"]);
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "sample {index}: {stderr}");
        assert_eq!(
            output.status.code(),
            Some(1),
            "sample {index}: {}",
            text(&output.stdout)
        );
    }
}

#[test]
fn a_translation_file_that_reads_as_nothing_is_reported_once_without_missing_warnings() {
    // The fixture is the stale fixture's French file saved as UTF-16.
    let dir = stale_folder();
    std::fs::copy(
        fixture("unreadable/refund.fr.po"),
        dir.path().join("refund.fr.po"),
    )
    .unwrap();
    let output = calltree(dir.path(), &["check", "refund.tree"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("E402").count(), 1, "{stdout}");
    assert!(!stdout.contains("W451"), "{stdout}");
    assert!(stdout.contains("nothing in this file reads"), "{stdout}");
}

#[test]
fn a_translation_file_that_cannot_be_read_is_reported_once_without_missing_warnings() {
    let dir = stale_folder();
    // Too large to be read under the limit given (root reads any file, so a size it is).
    let mut po = std::fs::read_to_string(dir.path().join("refund.fr.po")).unwrap();
    po.push_str(&format!("# {}\n", "x".repeat(16_000)));
    std::fs::write(dir.path().join("refund.fr.po"), po).unwrap();
    let output = calltree(
        dir.path(),
        &["--max-input-size", "8K", "check", "refund.tree"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert_eq!(stdout.matches("E401").count(), 1, "{stdout}");
    assert!(
        stdout.contains("this translation file could not be read"),
        "{stdout}"
    );
    assert!(!stdout.contains("W451"), "{stdout}");
}
