//! Issue 14: every command loads a file the same way — with the trees of its folder and
//! everything it brings in with `use` — and reports a `use` it cannot follow at that line.
//! The real binary, in a temporary folder.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that cannot run its command should fail the test loudly"
)]

use std::path::Path;
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

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

const MAIN: &str = "use \"../shared/ident.tree\"\n\ntree main \"Main\"\n  start: hello\n\n\
                    node hello \"Hello\"\n  say \"Hi\"\n  call ident -> done\n\n\
                    node done \"Done\"\n  say \"Bye\"\n  end resolved\n";
const IDENT: &str = "tree ident \"Identity\"\n  start: ask\n\n\
                     node ask \"Ask\"\n  say \"Who is calling?\"\n  option \"Verified\" -> back\n\n\
                     node back \"Back\"\n  say \"Thanks.\"\n  return\n";
const DONE: &str =
    "tree DONE_ID \"Done\"\n  start: done\n\nnode done \"Done\"\n  say \"Bye\"\n  end resolved\n";

#[test]
fn checking_one_bundled_file_loads_the_trees_beside_it() {
    let trees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let output = calltree(&trees, &["check", "billing_dispute.tree"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("checked 1 file: no problems"), "{out}");
}

#[test]
fn a_use_of_a_file_in_another_folder_works_for_check_test_and_run() {
    let dir = folder(&[
        ("a/main.tree", MAIN),
        ("shared/ident.tree", IDENT),
        ("answers.txt", "\n1\n\n"),
    ]);
    let check = calltree(dir.path(), &["check", "a/main.tree"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let test = calltree(dir.path(), &["test", "a/main.tree"]);
    assert_eq!(test.status.code(), Some(0), "{}", text(&test.stdout));
    let run = calltree(
        dir.path(),
        &["run", "a/main.tree", "--answers", "answers.txt"],
    );
    let out = text(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{out}{}", text(&run.stderr));
    assert!(out.contains("Path: Hello > Ask > Back > Done"), "{out}");
}

#[test]
fn a_use_that_cannot_be_followed_is_reported_at_its_line() {
    let bad = "use \"../shared/missing.tree\"\nuse \"../shared\"\nuse \"../notes.txt\"\n\n"
        .to_owned()
        + &DONE.replace("DONE_ID", "bad");
    let dir = folder(&[
        ("a/bad.tree", &bad),
        ("shared/ident.tree", IDENT),
        ("notes.txt", "not a tree"),
    ]);
    let output = calltree(dir.path(), &["check", "a/bad.tree"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    for (line, message) in [
        (
            1,
            "cannot bring in `../shared/missing.tree`: there is no such file",
        ),
        (2, "`../shared` is a folder, not a .tree file"),
        (3, "`../notes.txt` is not a .tree file"),
    ] {
        assert!(out.contains(&format!("error[E226]: {message}")), "{out}");
        assert!(out.contains(&format!("a/bad.tree:{line}:5")), "{out}");
    }
}

#[test]
fn a_cycle_of_uses_loads_each_file_once() {
    let one = "use \"two.tree\"\nuse \"one.tree\"\n\n".to_owned() + &DONE.replace("DONE_ID", "one");
    let two = "use \"../a/one.tree\"\n\n".to_owned() + &DONE.replace("DONE_ID", "two");
    let dir = folder(&[("a/one.tree", &one), ("b/two.tree", &two)]);
    let two_in_b = one.replace("two.tree", "../b/two.tree");
    std::fs::write(dir.path().join("a/one.tree"), two_in_b).unwrap();
    let output = calltree(dir.path(), &["check", "a/one.tree", "--deny-warnings"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
}

#[test]
fn the_trees_beside_a_file_are_context_not_its_problems() {
    let broken = "tree broken \"Broken\"\n  start: nowhere\n";
    let dir = folder(&[
        ("a/main.tree", MAIN),
        ("a/broken.tree", broken),
        ("shared/ident.tree", IDENT),
    ]);
    let output = calltree(dir.path(), &["check", "a/main.tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let test = calltree(dir.path(), &["test", "a/main.tree"]);
    assert_eq!(test.status.code(), Some(0), "{}", text(&test.stdout));
    let folder_check = calltree(dir.path(), &["check", "a"]);
    assert_eq!(folder_check.status.code(), Some(1), "the folder names it");
}
