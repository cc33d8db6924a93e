//! End-to-end tests: the real `calltree` binary, run in a temporary folder, compared with
//! golden output files in `tests/golden`. After a deliberate change to the output, refresh
//! them with `CALLTREE_BLESS=1 cargo test -p calltree-cli` and review the diff.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that cannot run its command should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write as _;

const BROKEN: &str = "tree broken \"Broken\"\n  start: welcome\n\nnod welcome\n  say \"hello\n  option \"Yes\" ->\n  option \"No\" -> done when restarts =\n";
const CLEAN: &str =
    "tree clean \"Clean\"\n  start: done\n\nnode done\n  say \"Bye\"\n  end resolved\n";
const MESSY: &str =
    "tree   clean \"Clean\"\n\tstart:done\n\n\n\nnode done\n     say  \"Bye\"\n  end   resolved\n";

fn calltree(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn golden(name: &str, actual: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
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

fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

#[test]
fn check_points_at_each_problem_and_exits_1() {
    let dir = folder(&[("broken.tree", BROKEN.as_bytes())]);
    let output = calltree(dir.path(), &["check", "broken.tree"]);
    assert_eq!(output.status.code(), Some(1));
    golden("check_broken.txt", &text(&output.stdout));
}

#[test]
fn check_of_a_clean_folder_exits_0() {
    let dir = folder(&[
        ("a/clean.tree", CLEAN.as_bytes()),
        ("b/notes.txt", b"not a tree"),
    ]);
    let output = calltree(dir.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert_eq!(text(&output.stdout), "checked 1 file: no problems\n");
}

#[test]
fn check_json_is_one_document_with_positions() {
    let dir = folder(&[("broken.tree", BROKEN.as_bytes())]);
    let output = calltree(dir.path(), &["check", "--format", "json", "broken.tree"]);
    assert_eq!(output.status.code(), Some(1));
    golden("check_broken.json", &text(&output.stdout));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["errors"], 4);
    assert_eq!(document["files"][0]["diagnostics"][0]["start"]["line"], 4);
}

#[test]
fn missing_files_and_bad_bytes_are_usage_errors_with_exit_2() {
    let dir = folder(&[
        (
            "binary.tree",
            &[0x74, 0x72, 0x65, 0x65, 0x0a, 0xff, 0xfe, 0x00],
        ),
        ("empty/.keep", b""),
    ]);

    let missing = calltree(dir.path(), &["check", "nowhere.tree"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).starts_with("error: cannot read `nowhere.tree`"),
        "{}",
        text(&missing.stderr)
    );

    let binary = calltree(dir.path(), &["check", "binary.tree"]);
    assert_eq!(binary.status.code(), Some(2));
    assert!(
        text(&binary.stderr).contains("`binary.tree` is not UTF-8 text (first bad byte on line 2)"),
        "{}",
        text(&binary.stderr)
    );

    let empty = calltree(dir.path(), &["check", "empty"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty.stderr).contains("no .tree files in the folder `empty`"));

    let unknown_flag = calltree(dir.path(), &["check", "--frobnicate", "x.tree"]);
    assert_eq!(unknown_flag.status.code(), Some(2));
    assert!(text(&unknown_flag.stderr).contains("unexpected argument '--frobnicate'"));
}

#[test]
fn fmt_check_lists_files_that_differ_then_fmt_fixes_them_in_place() {
    let dir = folder(&[
        ("messy.tree", MESSY.as_bytes()),
        ("clean.tree", CLEAN.as_bytes()),
    ]);

    let check = calltree(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(text(&check.stdout), "./messy.tree\n");

    let fix = calltree(dir.path(), &["fmt", "."]);
    assert_eq!(fix.status.code(), Some(0), "{}", text(&fix.stderr));
    let fixed = std::fs::read_to_string(dir.path().join("messy.tree")).unwrap();
    assert_eq!(fixed, CLEAN);

    let again = calltree(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(again.status.code(), Some(0));
    // No temporary files are left behind by the atomic write.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn fmt_leaves_files_with_syntax_errors_unchanged() {
    let dir = folder(&[("broken.tree", BROKEN.as_bytes())]);
    let output = calltree(dir.path(), &["fmt", "broken.tree"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("broken.tree: has syntax errors, left unchanged"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.tree")).unwrap(),
        BROKEN
    );
}

#[test]
fn fmt_dash_formats_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let output = with_stdin(dir.path(), &["fmt", "-"], MESSY.as_bytes());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), CLEAN);
}

#[test]
fn help_teaches_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "check",
        "fmt",
        "test",
        "run",
        "stats",
        "export",
        "import",
        "completions",
        "man",
    ] {
        let output = calltree(dir.path(), &[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        let help = text(&output.stdout);
        assert!(
            help.contains("Examples:"),
            "{command} --help has no examples:\n{help}"
        );
        assert!(help.contains(&format!("calltree {command}")), "{help}");
    }
}

#[test]
fn every_bundled_tree_checks_clean() {
    let trees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let output = calltree(&trees, &["check", "--deny-warnings", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
}

const TESTED: &str = r#"tree warranty "Warranty check"
  start: ask_age

field age: number "Age in months" required range 0..120

node ask_age
  say "How old is the device?"
  ask age
  option "Under warranty" -> covered when age < 12
  option "Out of warranty" -> paid when age > 24

node covered
  say "It's covered."
  end resolved code "W-OK"

node paid
  say "It's a paid repair."
  end callback

test "a new device is covered"
  answer age 3
  choose "Under warranty"
  expect end resolved code "W-OK"

test "an old device is a paid repair"
  answer age 30
  choose "Out of warranty"
  expect end resolved
"#;

#[test]
fn test_reports_each_test_the_walks_and_coverage_and_exits_1_on_failure() {
    let dir = folder(&[("warranty.tree", TESTED.as_bytes())]);
    let output = calltree(dir.path(), &["test", "--coverage", "warranty.tree"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    golden("test_warranty.txt", &text(&output.stdout));
}

/// Issue 14: a routing branch whose condition never holds showed as 100 % coverage, because
/// its node was reached.
#[test]
fn test_coverage_names_a_routing_branch_nothing_takes() {
    let tree = "tree gate \"Gate\"\n  start: ask\n\nfield age: number \"Age\" required range 0..10\n\n\
                node ask\n  say \"How old?\"\n  ask age\n  -> route\n\n\
                node route\n  if age > 20 -> old\n  else -> young\n\n\
                node old\n  say \"Old\"\n  end callback\n\n\
                node young\n  say \"Young\"\n  end resolved\n";
    let dir = folder(&[("gate.tree", tree.as_bytes())]);
    let output = calltree(dir.path(), &["test", "--coverage", "gate.tree"]);
    let out = text(&output.stdout);
    assert!(out.contains("routing branches 1/2 (50.0%)"), "{out}");
    assert!(
        out.contains("never taken: `if age > 20` at `route` (gate.tree:"),
        "{out}"
    );
}

/// Issue 14: a never-taken `else` was reported at its node's first line, not its own.
#[test]
fn test_coverage_points_at_the_else_line_nothing_takes() {
    let tree = "tree gate \"Gate\"\n  start: ask\n\nfield age: number \"Age\" required range 0..10\n\n\
                node ask\n  say \"How old?\"\n  ask age\n  -> route\n\n\
                node route\n  if age < 20 -> young\n  else -> old\n\n\
                node old\n  say \"Old\"\n  end callback\n\n\
                node young\n  say \"Young\"\n  end resolved\n";
    let dir = folder(&[("gate.tree", tree.as_bytes())]);
    let output = calltree(dir.path(), &["test", "--coverage", "gate.tree"]);
    let out = text(&output.stdout);
    assert!(
        out.contains("never taken: `else` at `route` (gate.tree:13)"),
        "{out}"
    );
}

/// Issue 14: a broken line was left out and the tests of the rest passed, so `test` exited
/// 0 and CI that runs only `test` stayed green on a tree that `check` refuses.
#[test]
fn test_fails_on_a_tree_with_errors_and_shows_them() {
    let tree = "tree hello \"Hello\"\n  start: greet\n\nnode greet\n  say \"Hi\"\n  \
                option \"Bye\" -> done\n  option \"Oops\" -> done when nonsense ==\n\n\
                node done\n  say \"Bye\"\n  end resolved\n\n\
                test \"bye ends it\"\n  choose \"Bye\"\n  expect end resolved\n";
    let dir = folder(&[("hello.tree", tree.as_bytes())]);
    let output = calltree(dir.path(), &["test", "hello.tree"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("hello.tree:7:"),
        "the error points at its line: {out}"
    );
    assert!(
        out.contains("PASS bye ends it"),
        "the tests still ran: {out}"
    );
    assert!(
        out.ends_with("1 tree: 1 test (1 passed, 0 failed); 0 stuck walks; 1 error\n"),
        "{out}"
    );
}

#[test]
fn test_of_the_bundled_trees_passes_with_no_stuck_walks() {
    let trees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let output = calltree(&trees, &["test", "--walk-limit", "1000", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(
        text(&output.stdout).ends_with("11 trees: 82 tests (82 passed, 0 failed); 0 stuck walks\n")
    );
}

/// Issue 14: `run --as customer` offered notes and skipping, and printed the agent's call
/// summary, internal notes included, to the customer.
const POPPED: &str = "tree popped \"Screen-pop\"\n  start: greet\n\n\
    field account: text \"Account number\" required given pattern \"[0-9]{8}\"\n\
    field campaign: text \"Campaign\" given\n\n\
    node greet \"Greet\"\n  say \"Hello, account {account}.\"\n  -> done\n\n\
    node done \"Done\"\n  say \"Bye\"\n  end resolved\n";

/// Issue 14, item 10: a phone system hands the account number in; it is checked like an
/// answer, shown, summarised and logged in the `Started` event.
#[test]
fn run_takes_given_values_with_set_and_checks_them() {
    let dir = folder(&[("popped.tree", POPPED.as_bytes()), ("answers.txt", b"\n")]);
    let output = calltree(
        dir.path(),
        &[
            "run",
            "popped.tree",
            "--set",
            "account=12345678",
            "--set",
            "campaign=spring",
            "--answers",
            "answers.txt",
            "--log",
            "call.jsonl",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = text(&output.stdout);
    assert!(out.contains("Hello, account 12345678."), "{out}");
    assert!(out.contains("- Campaign: spring"), "{out}");
    let log = std::fs::read_to_string(dir.path().join("call.jsonl")).unwrap();
    let first = log.lines().next().unwrap();
    assert!(
        first.contains(r#""given":[{"field":"account","value":"12345678"},{"field":"campaign","value":"spring"}]"#),
        "{first}"
    );

    let refused = calltree(
        dir.path(),
        &[
            "run",
            "popped.tree",
            "--set",
            "account=12",
            "--answers",
            "answers.txt",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("Account number:"),
        "{}",
        text(&refused.stderr)
    );
    let missing = calltree(
        dir.path(),
        &["run", "popped.tree", "--answers", "answers.txt"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("must be handed in when the call starts"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn run_as_a_customer_offers_what_a_customer_can_do_and_ends_in_their_words() {
    let tree = "tree pay \"Payments\"\n  audience: agent, customer\n  start: ask\n\n\
                node ask \"Paid?\"\n  say \"Have you paid?\"\n  \
                note \"Internal: check the ledger before refunds.\"\n  \
                option \"Yes\" -> done\n\n\
                node done \"Done\"\n  say \"Thanks.\"\n  end resolved\n";
    let dir = folder(&[("pay.tree", tree.as_bytes()), ("answers.txt", b"n\n1\n")]);
    let output = calltree(
        dir.path(),
        &[
            "run",
            "pay.tree",
            "--as",
            "customer",
            "--answers",
            "answers.txt",
        ],
    );
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("1-9 choose · e ask for a person · q quit"),
        "{out}"
    );
    assert!(
        out.contains("only an agent can write notes for the call"),
        "{out}"
    );
    assert!(out.contains("Solved. Glad we could help!"), "{out}");
    assert!(
        !out.contains("Internal"),
        "internal notes stay internal: {out}"
    );
    assert!(!out.contains("Call summary"), "{out}");
}

/// Issue 14: a choice whose labels start with a number read "Age (1 1 to 28 days / 2 29
/// days or more)" at the prompt.
#[test]
fn run_numbers_choices_so_that_labels_starting_with_numbers_stay_readable() {
    let tree = "tree age \"Age\"\n  start: ask\n\n\
                field age: choice(young \"1 to 28 days\", older \"29 days or more\") \"Age\" required\n\n\
                node ask\n  say \"How old is the baby?\"\n  ask age\n  -> done\n\n\
                node done\n  say \"Thanks.\"\n  end resolved\n";
    let dir = folder(&[("age.tree", tree.as_bytes()), ("answers.txt", b"2\n\n")]);
    let output = calltree(dir.path(), &["run", "age.tree", "--answers", "answers.txt"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("Age (1. 1 to 28 days / 2. 29 days or more): "),
        "{out}"
    );
    assert!(out.contains("- Age: 29 days or more"), "{out}");
}

/// Issue 14 item 6: a checklist is answered at the prompt by numbers separated by commas or
/// spaces; a blank line on a required one asks again; the summary shows the labels.
#[test]
fn run_ticks_a_checklist_by_its_numbers() {
    let tree = "tree triage \"Triage\"\n  start: ask\n\n\
                field resources: choices(labs \"Lab tests\", ecg \"ECG\", xray \"X-rays\") \"Resources\" required\n\n\
                node ask\n  ask resources\n  -> done\n\n\
                node done\n  say \"{count(resources)} kinds: {resources}\"\n  end resolved\n";
    let dir = folder(&[
        ("triage.tree", tree.as_bytes()),
        ("answers.txt", b"\n3, 1\n\n"),
    ]);
    let output = calltree(
        dir.path(),
        &["run", "triage.tree", "--answers", "answers.txt"],
    );
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains(
            "Resources (1. Lab tests / 2. ECG / 3. X-rays; numbers separated by commas or spaces): "
        ),
        "{out}"
    );
    assert!(out.contains("an answer is required"), "{out}");
    assert!(out.contains("2 kinds: Lab tests, X-rays"), "{out}");
    assert!(out.contains("- Resources: Lab tests, X-rays"), "{out}");
}

/// Issue 14: a step passed over by an entry skip was only in the summary at the end; the
/// agent hears it as the call moves on, and a customer does not.
#[test]
fn run_announces_a_step_passed_over_as_the_call_moves_on() {
    let tree = "tree reset \"Reset\"\n  start: ask\n  audience: agent, customer\n\n\
                field done_before: yesno \"Restarted already\"\n\n\
                node ask\n  ask done_before\n  -> restart\n\n\
                node restart \"Restart the router\"\n  if done_before -> replace\n  say \"Restart it.\"\n  -> replace\n\n\
                node replace \"Replace the router\"\n  say \"We'll send a new one.\"\n  end resolved\n";
    let dir = folder(&[("reset.tree", tree.as_bytes()), ("answers.txt", b"yes\n\n")]);
    let agent = calltree(
        dir.path(),
        &["run", "reset.tree", "--answers", "answers.txt"],
    );
    let out = text(&agent.stdout);
    assert_eq!(agent.status.code(), Some(0), "{out}");
    let announced = out
        .find("passed over Restart the router: Restarted already")
        .unwrap_or_else(|| panic!("no announcement in {out}"));
    let shown = out.find("── Replace the router").unwrap_or(0);
    assert!(announced < shown, "announced after the next step: {out}");

    let customer = calltree(
        dir.path(),
        &[
            "run",
            "reset.tree",
            "--as",
            "customer",
            "--answers",
            "answers.txt",
        ],
    );
    let out = text(&customer.stdout);
    assert_eq!(customer.status.code(), Some(0), "{out}");
    assert!(!out.contains("passed over"), "{out}");
}

/// Issue 14: walks into a sub-tree that does not exist were counted as "cut at loop
/// limits", which sent authors looking for a loop.
#[test]
fn test_reports_a_call_to_a_missing_sub_tree_as_stuck_not_cut() {
    let tree = "tree caller \"Caller\"\n  start: ask\n\n\
                node ask\n  say \"Let me check who you are.\"\n  call nowhere -> done\n\n\
                node done\n  say \"Thanks.\"\n  end resolved\n";
    let dir = folder(&[("caller.tree", tree.as_bytes())]);
    let output = calltree(dir.path(), &["test", "caller.tree"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("calls a tree that does not exist"), "{out}");
    assert!(out.contains("0 cut at loop limits"), "{out}");
}

fn events(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn run_plays_a_tree_to_its_summary_and_logs_every_event() {
    let dir = folder(&[
        ("warranty.tree", TESTED.as_bytes()),
        (
            "answers.txt",
            b"abc\n3\n\nn\nCustomer has the receipt.\n1\n",
        ),
    ]);
    let output = calltree(
        dir.path(),
        &[
            "run",
            "warranty.tree",
            "--answers",
            "answers.txt",
            "--log",
            "call.jsonl",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // The call's length depends on how fast this machine ran it.
    let shown: String = text(&output.stdout)
        .lines()
        .map(|line| {
            if line.starts_with("Duration: ") {
                "Duration: (as long as the run took)\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    golden("run_warranty.txt", &shown);
    assert_eq!(
        events(&dir.path().join("call.jsonl")),
        ["started", "answered", "noted", "chose"]
    );
}

/// A folder with the warranty tree and a call paused after its first answer (30 months):
/// `second.txt` holds the inputs that finish it.
fn paused_call() -> (tempfile::TempDir, PathBuf) {
    let dir = folder(&[
        ("warranty.tree", TESTED.as_bytes()),
        ("first.txt", b"30\n"),
        ("second.txt", b"\n2\n"),
    ]);
    let first = calltree(
        dir.path(),
        &[
            "run",
            "warranty.tree",
            "--answers",
            "first.txt",
            "--log",
            "call.jsonl",
        ],
    );
    assert_eq!(
        first.status.code(),
        Some(1),
        "input ran out before the call ended"
    );
    assert!(text(&first.stdout).contains(
        "The call is paused. Continue it with: calltree run warranty.tree --resume call.jsonl"
    ));
    let log = dir.path().join("call.jsonl");
    (dir, log)
}

/// Resumes the paused call with `second.txt`'s inputs.
fn resume(dir: &tempfile::TempDir) -> Output {
    calltree(
        dir.path(),
        &[
            "run",
            "warranty.tree",
            "--resume",
            "call.jsonl",
            "--answers",
            "second.txt",
        ],
    )
}

#[test]
fn run_resumes_a_paused_call_and_refuses_a_changed_tree() {
    let (dir, log) = paused_call();
    let second = resume(&dir);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(
        text(&second.stdout).contains("Outcome: callback"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(events(&log), ["started", "answered", "chose"]);

    std::fs::write(
        dir.path().join("warranty.tree"),
        TESTED.replace("It's covered.", "It is covered."),
    )
    .unwrap();
    let changed = resume(&dir);
    assert_eq!(changed.status.code(), Some(2));
    assert!(
        text(&changed.stderr).contains("this call was started on another version of `warranty`"),
        "{}",
        text(&changed.stderr)
    );
}

#[test]
fn run_keeps_the_complete_events_of_a_log_cut_short() {
    let (dir, log) = paused_call();
    let mut broken = std::fs::read_to_string(&log).unwrap();
    broken.push_str("{\"event\":\"chose\",\"opt");
    std::fs::write(&log, broken).unwrap();

    let resumed = resume(&dir);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stderr).contains("line 3 is cut short"),
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(
        events(&log),
        ["started", "answered", "chose"],
        "the broken tail was replaced, not kept"
    );
}

#[test]
fn stats_counts_what_a_tree_is_made_of() {
    let dir = folder(&[("warranty.tree", TESTED.as_bytes())]);
    let output = calltree(dir.path(), &["stats", "warranty.tree"]);
    assert_eq!(output.status.code(), Some(0));
    golden("stats_warranty.txt", &text(&output.stdout));
    let json = calltree(dir.path(), &["stats", "--format", "json", "warranty.tree"]);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document[0]["nodes"], 3);
    assert_eq!(document[0]["shortest_resolution"], 1);
}

#[test]
fn completions_and_the_manual_page_come_from_the_same_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let output = calltree(dir.path(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0));
        let script = text(&output.stdout);
        assert!(
            script.contains("calltree") && script.contains("deny-warnings"),
            "{shell}: {script}"
        );
    }
    let man = calltree(dir.path(), &["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = text(&man.stdout);
    assert!(page.contains(".TH calltree 1"));
    assert!(page.contains("Interactive decision trees for phone calls"));
}

#[test]
fn every_bundled_tree_survives_export_to_yaml_and_import_unchanged() {
    let trees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(&trees).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tree") {
            continue;
        }
        let original = path.to_string_lossy().into_owned();
        let yaml = calltree(dir.path(), &["export", &original, "--format", "yaml"]);
        assert_eq!(yaml.status.code(), Some(0), "{}", text(&yaml.stderr));
        std::fs::write(dir.path().join("tree.yaml"), &yaml.stdout).unwrap();
        let imported = calltree(
            dir.path(),
            &["import", "tree.yaml", "--output", "back.tree"],
        );
        assert_eq!(
            imported.status.code(),
            Some(0),
            "{original}: {}",
            text(&imported.stderr)
        );

        // The same model: the interchange form of both is identical, tests included.
        let before = calltree(dir.path(), &["export", &original, "--format", "json"]);
        let after = calltree(dir.path(), &["export", "back.tree", "--format", "json"]);
        assert_eq!(
            text(&before.stdout),
            text(&after.stdout),
            "{original} changed on the way through YAML"
        );
        checked += 1;
    }
    assert!(checked >= 11);
}

/// The path of a bundled tree, as an argument for the binary.
fn bundled_tree(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../trees")
        .join(format!("{name}.tree"))
        .to_string_lossy()
        .into_owned()
}

/// Graphviz's SVG of a DOT export, with its exit status and complaints.
fn graphviz_svg(dot: &[u8]) -> Output {
    let mut graphviz = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("Graphviz `dot` is needed for this test (CI installs it): {error}")
        });
    graphviz.stdin.take().unwrap().write_all(dot).unwrap();
    graphviz.wait_with_output().unwrap()
}

#[test]
fn the_dot_export_renders_with_graphviz_and_mermaid_names_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let file = bundled_tree("internet_down");
    let dot = calltree(dir.path(), &["export", &file, "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0));
    let svg = graphviz_svg(&dot.stdout);
    assert!(
        svg.status.success(),
        "dot refused the export: {}",
        text(&svg.stderr)
    );
    assert!(text(&svg.stdout).contains("Modem lights"));

    // A sub-tree call once produced `classDef call`, a Mermaid keyword that broke the chart.
    let billing = bundled_tree("billing_dispute");
    let calls = text(&calltree(dir.path(), &["export", &billing, "--format", "mermaid"]).stdout);
    assert!(calls.contains("classDef is_call") && !calls.contains("classDef call "));

    let mermaid = calltree(dir.path(), &["export", &file, "--format", "mermaid"]);
    let chart = text(&mermaid.stdout);
    assert!(chart.starts_with("flowchart TD\n"));
    assert_eq!(
        chart
            .lines()
            .filter(|l| l.starts_with("    n") && !l.contains("-->"))
            .count(),
        // internet_down's nodes (two gate nodes became entry skips in issue 14).
        50,
        "one line per node"
    );
}

const CALLER: &str = "use \"check.tree\"\n\ntree caller \"Caller\"\n  start: hello\n\nnode hello \"Hello\"\n  say \"Hi\"\n  call check -> done\n\nnode done \"Done\"\n  say \"Bye\"\n  end resolved\n";
const CHECK: &str = "tree check \"Check the caller\"\n  start: hello\n\nnode hello \"Ask\"\n  say \"Who is it?\"\n  option \"Known\" -> back\n  option \"Unknown\" -> back\n\nnode back \"Back\"\n  return\n";

#[test]
fn a_drawing_puts_the_tree_and_each_sub_tree_it_calls_in_its_own_cluster() {
    let dir = folder(&[
        ("caller.tree", CALLER.as_bytes()),
        ("check.tree", CHECK.as_bytes()),
    ]);
    let dot = calltree(dir.path(), &["export", "caller.tree", "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0), "{}", text(&dot.stderr));
    // Both trees have a node called `hello`: the sub-tree's is named with its tree.
    golden("export_caller.dot", &text(&dot.stdout));
    let mermaid = calltree(
        dir.path(),
        &["export", "caller.tree", "--format", "mermaid"],
    );
    assert_eq!(mermaid.status.code(), Some(0), "{}", text(&mermaid.stderr));
    golden("export_caller.mmd", &text(&mermaid.stdout));
    let svg = graphviz_svg(&dot.stdout);
    assert!(svg.status.success(), "{}", text(&svg.stderr));
    // Graphviz draws a cluster as a group of class "cluster".
    assert_eq!(text(&svg.stdout).matches("class=\"cluster\"").count(), 2);
}

#[test]
fn a_focused_drawing_shows_the_steps_around_one_node_and_dashes_the_ways_beyond() {
    let dir = tempfile::tempdir().unwrap();
    let file = bundled_tree("internet_down");
    let focused = |extra: &[&str]| {
        let mut args = vec!["export", file.as_str(), "--format"];
        args.extend_from_slice(extra);
        calltree(dir.path(), &args)
    };
    let whole = text(&focused(&["dot"]).stdout);
    let part = focused(&["dot", "--focus", "symptom", "--depth", "1"]);
    assert_eq!(part.status.code(), Some(0), "{}", text(&part.stderr));
    let part = text(&part.stdout);
    let edges = |dot: &str| dot.lines().filter(|l| l.contains(" -> ")).count();
    assert!(edges(&part) * 3 < edges(&whole), "{part}");
    // The node, what leads to it and where it leads are drawn; one step further is dashed.
    assert!(part.contains("\"symptom\" [label=\"What's wrong?\""));
    assert!(part.contains("\"outage_check\" [label="));
    assert!(part.contains("\"lights\" [label=\"Modem lights\""));
    assert!(part.contains("\"restart_modem\" [label=\"restart_modem\", style=\"rounded,dashed\""));
    assert!(!part.contains("\"escalate"), "{part}");

    // A depth past the tree's size draws the whole tree at once. It once went on counting
    // steps over nothing and took minutes; a bound on the wait makes that a failure.
    let mut huge = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["export", &file, "--format", "dot", "--focus", "symptom"])
        .args(["--depth", &u32::MAX.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while huge.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = huge.kill();
            panic!("export --depth {} did not finish in 30 s", u32::MAX);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let all = text(&huge.wait_with_output().unwrap().stdout);
    assert_eq!(edges(&all), edges(&whole));

    let chart = text(&focused(&["mermaid", "--focus", "symptom"]).stdout);
    assert!(chart.contains("class ") && chart.contains(" is_beyond"));

    let json = focused(&["json", "--focus", "symptom"]);
    assert_eq!(json.status.code(), Some(2));
    assert!(text(&json.stderr).contains("JSON and YAML always hold the whole tree"));
    let unknown = focused(&["dot", "--focus", "symptm"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no node called `symptm`"));
}

#[test]
fn import_refuses_documents_that_are_not_trees() {
    let dir = folder(&[
        ("other.yaml", b"format: something.else\nversion: 1\ntree:\n  id: x\n  nodes: []\n"),
        ("future.yaml", b"format: calltree.tree\nversion: 99\ntree:\n  id: x\n  nodes: []\n"),
        ("garbage.yaml", b"- just\n- a list\n"),
        ("broken.yaml", b"format: calltree.tree\nversion: 1\ntree:\n  id: x\n  nodes:\n  - id: a\n    steps:\n    - do: continue\n      to: \"b c\"\n"),
    ]);
    let other = calltree(dir.path(), &["import", "other.yaml"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(
        text(&other.stderr).contains("says its format is `something.else`, not `calltree.tree`")
    );
    let future = calltree(dir.path(), &["import", "future.yaml"]);
    assert!(
        text(&future.stderr)
            .contains("is version 99 of the interchange form; this calltree reads version 1")
    );
    let garbage = calltree(dir.path(), &["import", "garbage.yaml"]);
    assert_eq!(garbage.status.code(), Some(2));
    assert!(text(&garbage.stderr).contains("is not a calltree interchange document"));
    let broken = calltree(dir.path(), &["import", "broken.yaml"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken.stderr).contains("does not describe a valid tree"),
        "{}",
        text(&broken.stderr)
    );
}

#[test]
fn run_refuses_a_log_damaged_in_the_middle_and_leaves_it_untouched() {
    let (dir, log) = paused_call();
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let damaged = format!("{}\nnot json at all\n{}\n", lines[0], lines[1]);
    std::fs::write(&log, &damaged).unwrap();

    let resumed = resume(&dir);
    assert_eq!(resumed.status.code(), Some(2));
    assert!(
        text(&resumed.stderr).contains("is damaged at line 2 (not a call event"),
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        damaged,
        "nothing was lost"
    );
}

/// Issue 14: `:skip` got past a required field, and the next step read "Hi —, welcome
/// back". The skip is refused with the field named; answering it moves on.
#[test]
fn run_refuses_to_skip_a_step_whose_required_field_is_unanswered() {
    let tree = "tree hi \"Hi\"\n  start: ask\n\nfield name: text \"Name\" required\n\n\
                node ask \"Ask\"\n  say \"Who is it?\"\n  ask name\n  -> greet\n\n\
                node greet \"Greet\"\n  say \"Hi {name}, welcome back\"\n  end resolved\n";
    let dir = folder(&[
        ("hi.tree", tree.as_bytes()),
        ("answers.txt", b":skip busy\nJo\n\n"),
    ]);
    let output = calltree(dir.path(), &["run", "hi.tree", "--answers", "answers.txt"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("this step cannot be skipped: Name must be answered first"),
        "{out}"
    );
    assert!(out.contains("Hi Jo, welcome back"), "{out}");
    assert!(!out.contains("Hi —"), "{out}");
}
