//! `calltree run --log` under faults, through the real binary: a kill at any byte, a log
//! written by a newer program, an existing file, a disk that stops taking writes. Each test
//! pins a bug found by killing and starving the release binary (issue 13).

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that cannot run its command should fail the test loudly"
)]

use std::path::Path;
use std::process::{Command, Output};

const QUOTE: &str = r#"tree quote "Repair quote"
  start: device

field model: text "Device model" required
field age: number "Age in months" required range 0..120

node device "Device"
  say "Which device is it?"
  ask model
  -> age

node age "Age"
  say "How old is it?"
  ask age
  option "Send a quote" -> sent
  option "No thanks" -> declined

node sent "Sent"
  say "The quote is on its way."
  end resolved

node declined "Declined"
  say "No problem."
  end abandoned
"#;

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

/// A folder with the quote tree and these answer files.
fn folder(answers: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("quote.tree"), QUOTE).unwrap();
    for (name, lines) in answers {
        std::fs::write(dir.path().join(name), lines).unwrap();
    }
    dir
}

fn run(dir: &Path, answers: &str, log: &[&str]) -> Output {
    let mut args = vec!["run", "quote.tree", "--answers", answers];
    args.extend_from_slice(log);
    calltree(dir, &args)
}

/// The event names of a log, which must read cleanly from start to end.
fn events(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.ends_with('\n'), "the log ends mid-line: {text:?}");
    text.lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| {
                panic!("a damaged line in the log: {line:?} ({e})");
            })["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_log_cut_between_an_event_and_its_line_break_resumes_twice_cleanly() {
    let dir = folder(&[("first.txt", "X100\n"), ("second.txt", "\n\n30\n1\n")]);
    let paused = run(dir.path(), "first.txt", &["--log", "call.jsonl"]);
    assert_eq!(paused.status.code(), Some(1), "{}", text(&paused.stderr));
    let log = dir.path().join("call.jsonl");
    // The kill came after an event's JSON was written and before its line break.
    let mut cut = std::fs::read_to_string(&log).unwrap();
    cut.push_str(r#"{"event":"answered","field":"age","value":"30","at":1}"#);
    std::fs::write(&log, cut).unwrap();

    let resumed = run(dir.path(), "second.txt", &["--resume", "call.jsonl"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert!(text(&resumed.stderr).contains("is cut short"));
    assert_eq!(
        events(&log),
        ["started", "answered", "continued", "answered", "chose"]
    );
    // Resuming the finished call again reads the whole log: nothing was appended mid-line.
    let again = run(dir.path(), "second.txt", &["--resume", "call.jsonl"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("Outcome: resolved"));
}

#[test]
fn a_log_with_an_event_from_a_newer_calltree_is_refused_untouched() {
    let dir = folder(&[("first.txt", "X100\n"), ("second.txt", "\n\n30\n1\n")]);
    run(dir.path(), "first.txt", &["--log", "call.jsonl"]);
    let log = dir.path().join("call.jsonl");
    let mut newer = std::fs::read_to_string(&log).unwrap();
    newer.push_str("{\"event\":\"sent_sms\",\"to\":\"+44\",\"at\":9}\n");
    std::fs::write(&log, &newer).unwrap();

    let resumed = run(dir.path(), "second.txt", &["--resume", "call.jsonl"]);
    assert_eq!(resumed.status.code(), Some(2));
    assert!(
        text(&resumed.stderr).contains("holds a `sent_sms` event, which a newer calltree wrote"),
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), newer);
}

#[test]
fn log_refuses_to_overwrite_an_existing_file_unless_forced() {
    let dir = folder(&[("all.txt", "X100\n\n30\n1\n")]);
    std::fs::write(dir.path().join("call.jsonl"), "an earlier call\n").unwrap();
    let refused = run(dir.path(), "all.txt", &["--log", "call.jsonl"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("already exists"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("call.jsonl")).unwrap(),
        "an earlier call\n"
    );
    let forced = run(dir.path(), "all.txt", &["--log", "call.jsonl", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(events(&dir.path().join("call.jsonl")).len(), 5);
}

/// The log may grow to 1 KiB only (`ulimit -f 1`), with SIGXFSZ ignored so that a write past
/// it fails the way a full disk fails, instead of killing the program.
#[test]
fn a_log_that_cannot_be_written_stops_the_step_and_loses_nothing_acknowledged() {
    // The first three events fit in 1 KiB; the age's answer does not.
    let long_model = "M".repeat(750);
    let dir = folder(&[("all.txt", &format!("{long_model}\n\n30\n1\nq\n"))]);
    let bin = env!("CARGO_BIN_EXE_calltree");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 1 && trap '' XFSZ && exec '{bin}' run quote.tree --answers all.txt --log call.jsonl"
        ))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("not saved, so this step did not happen"),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    // The call did not move on past what was stored: the summary never came.
    assert!(!stdout.contains("Call summary"), "{stdout}");
    let log = dir.path().join("call.jsonl");
    let stored = events(&log);
    assert_eq!(stored, ["started", "answered", "continued"]);

    // With room again, the call resumes exactly where the log says.
    let resumed = calltree(
        dir.path(),
        &[
            "run",
            "quote.tree",
            "--resume",
            "call.jsonl",
            "--answers",
            "all.txt",
        ],
    );
    assert!(
        text(&resumed.stdout).contains(&format!("Resuming the call from {} events", stored.len())),
        "{}",
        text(&resumed.stdout)
    );
}

/// Issue 13, bug 5: `calltree run … | head` panicked ("Broken pipe", exit 101) once the reader
/// went away. The call stops quietly, and what was stored stays.
#[test]
fn run_stops_quietly_when_its_reader_goes_away() {
    let dir = folder(&[("all.txt", "X100\n\n30\n1\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "run",
            "quote.tree",
            "--answers",
            "all.txt",
            "--log",
            "call.jsonl",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(events(&dir.path().join("call.jsonl"))[0], "started");
}
