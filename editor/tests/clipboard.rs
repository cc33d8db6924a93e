//! The system clipboard, for real: the desktop binary in a real window on a virtual X
//! display (Xvfb), driven with the keyboard by xdotool. An account number copied in "the
//! CRM" (xclip) is pasted into a field with Ctrl+V, and the call summary copied with Ctrl+C
//! is read back from the CLIPBOARD selection by another program. CI installs xvfb, xdotool
//! and xclip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::process::Command;

const TREE: &str = r#"tree copytest "Copy test"
  start: ask

field account: text "Account number" required pattern "[0-9]{8}"

node ask "Account"
  say "What is your account number?"
  ask account
  -> done

node done "Done"
  say "Thanks, that is all."
  end resolved
"#;

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_summary_copied_in_the_app_reaches_the_system_clipboard_and_a_paste_fills_a_field() {
    for program in ["xvfb-run", "xdotool", "xclip"] {
        assert!(
            have(program),
            "`{program}` is needed for this test (CI installs xvfb, xdotool and xclip)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).unwrap();
    std::fs::write(trees.join("copy.tree"), TREE).unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"mode":"agent","theme":"light"}"#,
    )
    .unwrap();
    let script = format!(
        r#"set -e
"{bin}" "{trees}" > app.log 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
window=$(timeout 60 xdotool search --sync --name calltree | head -1)
sleep 2
xdotool windowfocus --sync "$window"
printf 12345678 | xclip -selection clipboard
xdotool type --delay 60 copy
xdotool key Return
sleep 1
xdotool key ctrl+v
sleep 0.5
xdotool key Return
sleep 1
xdotool key ctrl+c
sleep 1
xclip -o -selection clipboard > clipboard.txt
"#,
        bin = env!("CARGO_BIN_EXE_calltree-desktop"),
        trees = trees.display(),
    );
    let output = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "bash", "-c", &script])
        .current_dir(dir.path())
        .env("CALLTREE_CALLS", dir.path().join("calls"))
        .env("CALLTREE_SETTINGS", dir.path().join("settings.json"))
        .env("CALLTREE_DB", dir.path().join("none.db"))
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("xvfb-run runs");
    let log = std::fs::read_to_string(dir.path().join("app.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "{}\n{}\napp: {log}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let copied = std::fs::read_to_string(dir.path().join("clipboard.txt")).unwrap();
    assert!(
        copied.starts_with("Call summary: Copy test"),
        "{copied}\napp: {log}"
    );
    assert!(copied.contains("- Account number: 12345678"), "{copied}");
    // The pasted number was stored as the answer, in the call's log.
    let done = dir.path().join("calls").join("done");
    let log = std::fs::read_dir(&done)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let events = std::fs::read_to_string(log).unwrap();
    assert!(events.contains(r#""value":"12345678""#), "{events}");
}
