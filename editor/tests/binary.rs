//! The desktop binary itself: what it says when it cannot open a window or read its folder.

#![allow(
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::process::Command;

fn desktop(args: &[&str], display: bool) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_calltree-desktop"));
    command
        .args(args)
        .env(
            "CALLTREE_CALLS",
            std::env::temp_dir().join("calltree-desktop-test-calls"),
        )
        .env(
            "CALLTREE_SETTINGS",
            std::env::temp_dir().join("calltree-desktop-test-settings.json"),
        );
    if !display {
        command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    }
    command.output().expect("the binary runs")
}

#[test]
fn without_a_display_it_explains_instead_of_panicking() {
    let trees = concat!(env!("CARGO_MANIFEST_DIR"), "/../trees");
    let output = desktop(&[trees], false);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("there is no display to open a window on"),
        "{message}"
    );
    assert!(message.contains("calltree run FILE"), "{message}");
}

#[test]
fn a_folder_that_does_not_exist_is_a_clear_error() {
    let empty = tempfile::tempdir().expect("a temporary folder");
    let missing = empty.path().join("no-such-folder");
    let output = desktop(&[missing.to_str().expect("a UTF-8 path")], true);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("is not a folder"), "{message}");
    assert!(message.contains("usage: calltree-desktop"), "{message}");
}
