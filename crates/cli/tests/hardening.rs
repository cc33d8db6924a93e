//! Hostile input through the real binary (issue 13, "nothing crashes, nothing hangs"): each
//! test is named after the bug it guards against, and fails on the code before its fix.
//! Nothing here measures time; a command that could hang runs with a deadline far above
//! what the fixed build needs, and a cost is checked by counting (output size, sessions).

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use calltree_engine::{Event, Project};
use calltree_syntax::Audience;

fn bundled_trees() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees")
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_calltree"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CALLTREE_MAX_INPUT_SIZE");
    command
}

fn calltree(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

/// Runs a command that the bug made hang; `None` if it was still running at the deadline
/// (it is killed then).
fn within(seconds: u64, mut command: Command) -> Option<Output> {
    let mut child: Child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
        bytes
    });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Some(Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

// ---------------------------------------------------------------- closed pipes

/// Runs a command whose standard output is a pipe nobody reads: every write fails with
/// "broken pipe" from the first byte.
fn with_closed_stdout(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = command(dir, args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut input, stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn closed_stdout_panics_in_every_command_but_run() {
    let trees = bundled_trees();
    let trees = trees.to_str().unwrap();
    let dir = folder(&[(
        "messy.tree",
        "tree   clean \"Clean\"\n\tstart:done\n\nnode done\n     say  \"Bye\"\n  end   resolved\n",
    )]);
    let internet = format!("{trees}/internet_down.tree");
    let exported = calltree(dir.path(), &["export", &internet, "--format", "yaml"]);
    std::fs::write(dir.path().join("internet.yaml"), &exported.stdout).unwrap();
    let out = dir.path().join("logs");
    let out = out.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", trees],
        vec!["check", "--format", "json", trees],
        vec!["stats", trees],
        vec!["stats", "--format", "json", trees],
        vec!["test", trees, "--walk-limit", "50"],
        vec!["export", &internet, "--format", "dot"],
        vec!["export", &internet, "--format", "mermaid"],
        vec!["export", &internet, "--format", "json"],
        vec!["export", &internet, "--format", "yaml"],
        vec!["import", "internet.yaml"],
        vec!["fmt", "--check", "messy.tree"],
        vec!["fmt", "-"],
        vec!["man"],
        vec!["completions", "bash"],
        vec![
            "simulate",
            "--trees",
            trees,
            "--sessions",
            "2",
            "--out",
            out,
        ],
        vec!["report", "--logs", out, "--trees", trees],
    ];
    for args in cases {
        let output = with_closed_stdout(dir.path(), &args, b"tree t\n");
        let stderr = text(&output.stderr);
        assert_ne!(output.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("Broken pipe") && !stderr.contains("broken pipe"),
            "{args:?} should end quietly: {stderr}"
        );
    }
}

// ---------------------------------------------------------------- input size and kinds

#[test]
fn no_input_size_cap_and_non_files_block_or_exhaust_memory() {
    let dir = folder(&[(
        "big.tree",
        "tree big \"Big\"\n  start: done\n\nnode done\n  say \"Bye\"\n  end resolved\n",
    )]);
    let size = std::fs::metadata(dir.path().join("big.tree"))
        .unwrap()
        .len();
    let limit = (size - 1).to_string();

    let refused = calltree(
        dir.path(),
        &["check", "--max-input-size", &limit, "big.tree"],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains(&format!(
            "`big.tree` is larger than the input limit of {limit} bytes"
        )) && message.contains("--max-input-size"),
        "{message}"
    );
    let by_env = command(dir.path(), &["stats", "big.tree"])
        .env("CALLTREE_MAX_INPUT_SIZE", &limit)
        .output()
        .unwrap();
    assert_eq!(by_env.status.code(), Some(2), "{}", text(&by_env.stderr));
    let allowed = calltree(dir.path(), &["check", "--max-input-size", "1K", "big.tree"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    let bad = calltree(
        dir.path(),
        &["check", "--max-input-size", "lots", "big.tree"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("is not a size"));

    let stdin = command(dir.path(), &["fmt", "-", "--max-input-size", "10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = {
        let mut stdin = stdin;
        let mut input = stdin.stdin.take().unwrap();
        let _ = std::io::Write::write_all(&mut input, &[b'x'; 100]);
        drop(input);
        stdin.wait_with_output().unwrap()
    };
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("standard input is larger than the input limit"));

    // A device never ends: it is refused before a byte is read.
    let device = within(60, command(dir.path(), &["check", "/dev/zero"]))
        .expect("`check /dev/zero` must not read forever");
    assert_eq!(device.status.code(), Some(2));
    assert!(
        text(&device.stderr).contains("`/dev/zero` is a device, not a regular file"),
        "{}",
        text(&device.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_named_pipe_given_or_found_blocks_the_command() {
    let dir = folder(&[(
        "real.tree",
        "tree real \"Real\"\n  start: done\n\nnode done\n  say \"Bye\"\n  end resolved\n",
    )]);
    mkfifo(&dir.path().join("waiting.tree"));
    let named = within(60, command(dir.path(), &["check", "waiting.tree"]))
        .expect("opening a named pipe must not wait for a writer");
    assert_eq!(named.status.code(), Some(2));
    assert!(
        text(&named.stderr).contains("`waiting.tree` is a named pipe, not a regular file"),
        "{}",
        text(&named.stderr)
    );
    let folder = within(60, command(dir.path(), &["check", "."]))
        .expect("a named pipe in the folder must be left out");
    assert_eq!(folder.status.code(), Some(0), "{}", text(&folder.stdout));
    assert!(text(&folder.stdout).contains("checked 1 file"));
}

// ---------------------------------------------------------------- report's folder walk

/// One finished session of `greeting`, as a log file's text.
fn greeting_log() -> String {
    let text = std::fs::read_to_string(bundled_trees().join("greeting.tree")).unwrap();
    let project = Project::single("greeting.tree", text);
    let tree = project.tree_by_name("greeting").unwrap();
    let events = [Event::Started {
        tree: "greeting".into(),
        version: project.session_hash(tree),
        audience: Audience::Agent,
        at: 1_767_225_600_000,
        given: Vec::new(),
        locale: None,
    }];
    events
        .iter()
        .map(|e| format!("{}\n", e.to_json_line()))
        .collect()
}

#[cfg(unix)]
#[test]
fn report_follows_a_symlink_loop_and_blocks_on_a_fifo() {
    let dir = folder(&[("logs/one.jsonl", &greeting_log())]);
    std::os::unix::fs::symlink(".", dir.path().join("logs/again")).unwrap();
    mkfifo(&dir.path().join("logs/waiting.jsonl"));
    let trees = bundled_trees();
    let output = within(
        60,
        command(
            dir.path(),
            &[
                "report",
                "--logs",
                "logs",
                "--trees",
                trees.to_str().unwrap(),
                "--format",
                "json",
            ],
        ),
    )
    .expect("a named pipe among the logs must be left out, not opened");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["trees"]["greeting"]["total"]["sessions"]["started"], 1,
        "the log is counted once, however many links lead to its folder"
    );
}

// ---------------------------------------------------------------- long lines in reports

/// A tree whose one `say` line holds `count` unknown placeholders.
fn placeholders(count: usize) -> String {
    format!(
        "tree t \"T\"\n  start: a\n\nnode a\n  say \"{}\"\n  end resolved\n",
        "{u}".repeat(count)
    )
}

#[test]
fn human_diagnostics_reprint_whole_long_lines_for_every_diagnostic() {
    const COUNT: usize = 2_000;
    let dir = folder(&[("t.tree", &placeholders(COUNT))]);
    let output = calltree(dir.path(), &["check", "t.tree"]);
    assert_eq!(output.status.code(), Some(1));
    let shown = text(&output.stdout);
    // 2,000 copies of a 6 KB line were 24 MB; now at most 200 windows of 120 characters.
    assert!(shown.len() < 200_000, "{} bytes of output", shown.len());
    assert_eq!(shown.matches("error[E207]").count(), 200);
    assert!(shown.contains(&format!(
        "… and {} more (--all shows every one)",
        COUNT - 200
    )));
    assert!(shown.ends_with(&format!("checked 1 file: {COUNT} errors, 0 warnings\n")));

    // The window: the line from its start, cut after 120 characters, the caret under the span.
    let first: Vec<&str> = shown.lines().take(5).collect();
    assert_eq!(first[1], " --> t.tree:5:9");
    assert_eq!(
        first[3],
        format!("5 |   say \"{}…", &"{u}".repeat(40)[..113])
    );
    assert_eq!(first[4], format!("  | {}^", " ".repeat(8)));
    // Further along the line, the window starts 40 characters before the span.
    let far = shown
        .split("\n\n")
        .find(|d| d.contains("t.tree:5:309\n"))
        .unwrap();
    assert!(
        far.contains(&format!("5 | …{}…\n", "{u}".repeat(40))),
        "{far}"
    );
    assert!(far.contains(&format!("  | {}^\n", " ".repeat(41))), "{far}");

    let every = calltree(dir.path(), &["check", "--all", "t.tree"]);
    assert_eq!(text(&every.stdout).matches("error[E207]").count(), COUNT);
    let json = calltree(dir.path(), &["check", "--format", "json", "t.tree"]);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        document["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        COUNT
    );
}

// ---------------------------------------------------------------- nesting

#[test]
fn tab_separated_operators_abort_check_stats_fmt_and_export() {
    let deep = format!(
        "tree deep \"Deep\"\n  start: a\n\nfield x: yesno \"X\" = yes\n\nnode a\n  if x{} -> b\n  else -> b\n\nnode b\n  end resolved\n",
        "\tand\tx".repeat(20_000)
    );
    let dir = folder(&[("deep.tree", &deep)]);
    for args in [
        vec!["check", "deep.tree"],
        vec!["stats", "deep.tree"],
        vec!["fmt", "--check", "deep.tree"],
        vec!["export", "deep.tree", "--format", "json"],
    ] {
        let output = calltree(dir.path(), &args);
        // An abort is a signal, with no exit code.
        assert!(
            matches!(output.status.code(), Some(0..=2)),
            "{args:?}: {:?} {}",
            output.status,
            text(&output.stderr)
        );
    }
    let check = calltree(dir.path(), &["check", "deep.tree"]);
    assert!(
        text(&check.stdout).contains("error[E101]: this line is too deeply nested"),
        "{}",
        text(&check.stdout)
    );

    // A long list of names is not nesting.
    let names: Vec<String> = (0..400).map(|i| format!("f{i}")).collect();
    let mut wide = String::from("tree wide \"Wide\"\n  start: a\n\n");
    for name in &names {
        wide.push_str(&format!("field {name}: yesno \"{name}\"\n"));
    }
    wide.push_str(&format!(
        "\nnode a\n  say \"Questions\"\n  ask {}\n  -> b\n\nnode b\n  say \"Done\"\n  end resolved\n",
        names.join(", ")
    ));
    let dir = folder(&[("wide.tree", &wide)]);
    let check = calltree(dir.path(), &["check", "wide.tree"]);
    assert!(
        !text(&check.stdout).contains("E101"),
        "{}",
        text(&check.stdout)
    );
}

// ---------------------------------------------------------------- deep graphs

/// `count` nodes, each continuing to the next; the last one ends the call, or goes back to
/// the first.
fn chain(count: usize, cycle: bool) -> String {
    let mut text = String::from("tree t \"T\"\n  start: n0\n");
    for i in 0..count {
        let next = if i + 1 < count {
            format!("-> n{}", i + 1)
        } else if cycle {
            "-> n0".to_owned()
        } else {
            "end resolved".to_owned()
        };
        text.push_str(&format!("\nnode n{i}\n  say \"Step {i}\"\n  {next}\n"));
    }
    text
}

/// Runs the binary with its main thread's stack limited to 512 KiB (a sixteenth of the usual), so
/// a walk that recursed once per node overflows at a size a test can afford.
#[cfg(unix)]
fn on_small_stack(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -s 512 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    command.output().unwrap()
}

#[cfg(unix)]
#[test]
fn chains_or_cycles_of_many_nodes_abort_check_stats_and_test() {
    let dir = folder(&[
        ("chain/t.tree", &chain(10_000, false)),
        ("cycle/t.tree", &chain(10_000, true)),
    ]);
    for (args, code) in [
        (vec!["check", "chain/t.tree"], 0),
        (vec!["stats", "chain/t.tree"], 0),
        (vec!["test", "chain/t.tree"], 0),
        (vec!["check", "cycle/t.tree"], 1),
    ] {
        let output = on_small_stack(dir.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {:?} {}",
            output.status,
            text(&output.stderr)
        );
    }
}

// ---------------------------------------------------------------- routing chains

#[test]
fn a_routing_chain_over_the_hop_limit_passes_check() {
    let mut tree = String::from(
        "tree t \"T\"\n  start: welcome\n\nfield x: yesno \"X\" = yes\n\nnode welcome\n  say \"Hello\"\n  -> h0\n",
    );
    for i in 0..10_000 {
        tree.push_str(&format!(
            "\nnode h{i}\n  if x -> h{n}\n  else -> h{n}\n",
            n = i + 1
        ));
    }
    tree.push_str("\nnode h10000\n  say \"Here\"\n  end resolved\n");
    let dir = folder(&[("t.tree", &tree)]);
    let output = calltree(dir.path(), &["check", "t.tree"]);
    let shown = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("error[E225]: `h0` starts a chain of 10000 routing nodes"),
        "{shown}"
    );
    assert!(shown.contains(" --> t.tree:10:1"), "{shown}");
}

// ---------------------------------------------------------------- the test runner

#[test]
fn the_test_runner_presses_continue_round_a_loop_for_ever() {
    // Without the second attempt's `set`, a failed retry goes back to the retry for ever; the
    // test that expects the second failure to end the call waits at `retry`, and Continue
    // goes round and round.
    let original = std::fs::read_to_string(bundled_trees().join("identity_check.tree")).unwrap();
    let retry = original.find("node retry \"Second attempt\"").unwrap();
    let set = retry + original[retry..].find("  set id_attempts").unwrap();
    let end = set + original[set..].find('\n').unwrap() + 1;
    let broken = format!("{}{}", &original[..set], &original[end..]);
    let dir = folder(&[("identity_check.tree", &broken)]);
    let expect_line = broken[..broken
        .find("  expect end escalated \"Fraud & security\" code \"ID-FAIL\"")
        .unwrap()]
        .lines()
        .count()
        + 1;

    for command_name in ["check", "test"] {
        let output = within(
            60,
            command(dir.path(), &[command_name, "identity_check.tree"]),
        )
        .unwrap_or_else(|| panic!("`{command_name}` must stop pressing Continue"));
        let shown = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{shown}");
        assert!(
            shown.contains(&format!("identity_check.tree:{expect_line}:")),
            "the failure is at the test's line {expect_line}: {shown}"
        );
        assert!(
            shown.contains("Continue was pressed 1000 times for this step"),
            "{shown}"
        );
    }
}

// ---------------------------------------------------------------- invented answers

#[test]
fn the_walker_invents_at_most_64_characters() {
    let tree = "tree code \"Code\"\n  start: ask\n\nfield code: text \"Code\" required pattern \"a{65}\"\n\nnode ask \"Code\"\n  say \"Your code, please.\"\n  ask code\n  -> done\n\nnode done \"Done\"\n  say \"Thanks.\"\n  end resolved\n";
    let dir = folder(&[("code.tree", tree)]);
    let output = calltree(dir.path(), &["test", "code.tree"]);
    let shown = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("0 stuck walks"), "{shown}");
}

// ---------------------------------------------------------------- report

const LOOP: &str = "tree loop \"Loop\"\n  start: a\n\nnode a \"A\"\n  say \"Again?\"\n  option \"Again\" -> a\n  option \"Done\" -> b\n\nnode b \"B\"\n  say \"Bye\"\n  end resolved\n";

#[test]
fn report_is_cubic_in_back_events() {
    // 163 KB: 1,000 times two choices and a Back, so what is in force grows as Backs come.
    // The previous fold took over 50 s on it in a debug build; this one about half a second.
    let project = Project::single("loop.tree", LOOP);
    let tree = project.tree_by_name("loop").unwrap();
    let mut at = 1_767_225_600_000;
    let mut log = Event::Started {
        tree: "loop".into(),
        version: project.session_hash(tree),
        audience: Audience::Agent,
        at,
        given: Vec::new(),
        locale: None,
    }
    .to_json_line();
    log.push('\n');
    for _ in 0..1_000 {
        for event in ["chose", "chose", "back"] {
            at += 1_000;
            let event = if event == "back" {
                Event::Back { at }
            } else {
                Event::Chose {
                    option: 0,
                    label: "Again".into(),
                    at,
                }
            };
            log.push_str(&event.to_json_line());
            log.push('\n');
        }
    }
    assert!(log.len() > 160_000);
    let dir = folder(&[("trees/loop.tree", LOOP), ("logs/call.jsonl", &log)]);
    let output = within(
        20,
        command(
            dir.path(),
            &[
                "report", "--logs", "logs", "--trees", "trees", "--format", "json",
            ],
        ),
    )
    .expect("one 163 KB log is reported in about a second");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let figures = &report["trees"]["loop"]["total"];
    assert_eq!(figures["sessions"]["unfinished"], 1);
    assert_eq!(
        figures["nodes"]["a"]["visits"], 1_001,
        "the start and 1,000 choices in force"
    );
}

#[test]
fn report_shows_absurd_durations_when_timestamps_go_backwards() {
    let project = Project::single("loop.tree", LOOP);
    let tree = project.tree_by_name("loop").unwrap();
    let version = project.session_hash(tree);
    let session = |times: [i64; 3]| {
        let events = [
            Event::Started {
                tree: "loop".into(),
                version: version.clone(),
                audience: Audience::Agent,
                at: times[0],
                given: Vec::new(),
                locale: None,
            },
            Event::Chose {
                option: 0,
                label: "Again".into(),
                at: times[1],
            },
            Event::Chose {
                option: 1,
                label: "Done".into(),
                at: times[2],
            },
        ];
        events
            .iter()
            .map(|e| format!("{}\n", e.to_json_line()))
            .collect::<String>()
    };
    let now = 1_767_225_600_000;
    let dir = folder(&[
        ("trees/loop.tree", LOOP),
        // The clock jumps back to 1970 and forward again.
        ("logs/back.jsonl", &session([now, 5, now])),
        // The first event is as early as a timestamp can be.
        ("logs/early.jsonl", &session([i64::MIN, 0, now])),
    ]);
    let text_report = calltree(
        dir.path(),
        &["report", "--logs", "logs", "--trees", "trees"],
    );
    let shown = text(&text_report.stdout);
    assert_eq!(text_report.status.code(), Some(0), "{shown}");
    assert!(shown.contains("2 finished"), "{shown}");
    assert!(!shown.contains("time per call"), "{shown}");
    assert!(!shown.contains("slowest steps"), "{shown}");

    let json = calltree(
        dir.path(),
        &[
            "report", "--logs", "logs", "--trees", "trees", "--format", "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let figures = &report["trees"]["loop"]["total"];
    assert!(figures["call_time"].is_null(), "{}", figures["call_time"]);
    assert!(figures["nodes"]["a"]["time"].is_null());
    assert_eq!(figures["nodes"]["a"]["visits"], 4, "visits still count");
}

// ---------------------------------------------------------------- import

const INJECTED: &str = r#"format: calltree.tree
version: 1
tree:
  id: t
  start: a
  nodes:
  - id: a
    steps:
    - {do: say, text: Hello}
    - {do: option, label: Go, to: b, when: "yes\n\nnode evil\n  say \"injected\"\n  end resolved"}
    - {do: option, label: Stop, to: b}
  - id: b
    steps:
    - {do: say, text: Bye}
    - {do: end, outcome: resolved}
"#;

const DEAD_END: &str = r#"format: calltree.tree
version: 1
tree:
  id: t
  start: a
  nodes:
  - id: a
    steps:
    - {do: say, text: Hello}
    - {do: option, label: Go, to: nowhere}
    - {do: option, label: Stop, to: b}
  - id: b
    steps:
    - {do: say, text: Bye}
    - {do: end, outcome: resolved}
"#;

/// Imports `NAME.yaml` to `NAME.tree`, expects the exit `code` and no tree written, and
/// returns what was said on standard error.
fn refused_import(dir: &Path, name: &str, code: i32) -> String {
    let output = format!("{name}.tree");
    let run = calltree(
        dir,
        &["import", &format!("{name}.yaml"), "--output", &output],
    );
    let message = text(&run.stderr);
    assert_eq!(
        run.status.code(),
        Some(code),
        "{}\n{message}",
        text(&run.stdout)
    );
    assert!(!dir.join(&output).exists(), "{output} was written");
    message
}

#[test]
fn import_lets_a_condition_inject_lines_and_skips_the_checks() {
    let dir = folder(&[("injected.yaml", INJECTED), ("dead_end.yaml", DEAD_END)]);

    let message = refused_import(dir.path(), "injected", 2);
    assert!(
        message.contains("`when` of step 2 of node `a` holds a line break"),
        "{message}"
    );

    let message = refused_import(dir.path(), "dead_end", 1);
    assert!(
        message.contains("describes a tree with errors"),
        "{message}"
    );
    assert!(
        message.contains("error[E203]: there is no node called `nowhere`"),
        "{message}"
    );
    let to_stdout = calltree(dir.path(), &["import", "dead_end.yaml"]);
    assert_eq!(to_stdout.status.code(), Some(1));
    assert!(to_stdout.stdout.is_empty());
}

#[test]
fn import_checks_with_the_trees_beside_its_output() {
    let caller = r#"format: calltree.tree
version: 1
tree:
  id: caller
  start: a
  nodes:
  - id: a
    steps:
    - {do: say, text: Hello}
    - {do: call, tree: helper, then: b}
  - id: b
    steps:
    - {do: say, text: Bye}
    - {do: end, outcome: resolved}
"#;
    let helper = "tree helper \"Helper\"\n  start: h\n\nnode h\n  say \"Helping\"\n  return\n";
    let dir = folder(&[("caller.yaml", caller), ("trees/helper.tree", helper)]);
    let beside = calltree(
        dir.path(),
        &["import", "caller.yaml", "--output", "trees/caller.tree"],
    );
    assert_eq!(beside.status.code(), Some(0), "{}", text(&beside.stderr));
    assert!(!text(&beside.stderr).contains("note:"));
    // Written elsewhere, the sub-tree is not there to check against: said, not failed.
    let alone = calltree(dir.path(), &["import", "caller.yaml"]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone.stderr));
    assert!(
        text(&alone.stderr).contains("the tree calls helper which is not beside it"),
        "{}",
        text(&alone.stderr)
    );
}

#[test]
fn import_is_quadratic_in_nesting_depth() {
    // 160 KB of nested flow maps took the YAML reader 16 s (release) before failing.
    let nested = "{a: ".repeat(40_000);
    let dir = folder(&[("nested.yaml", &nested)]);
    let output = within(60, command(dir.path(), &["import", "nested.yaml"]))
        .expect("a deeply nested document is refused before it is read");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("nests lists and maps 40000 deep"),
        "{}",
        text(&output.stderr)
    );
}
