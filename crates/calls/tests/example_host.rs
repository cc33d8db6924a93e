//! The example host in `examples/line_host.rs` works: it plays a bundled tree from text lines
//! to its end, refusals and all, and its log reads back as the call it showed.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

#[allow(dead_code, reason = "the example's `main` is not run by this test")]
#[path = "../examples/line_host.rs"]
mod line_host;

use std::sync::Arc;

use calltree_calls::{Call, LogFile, read_log};
use calltree_engine::{Project, SourceInput};
use calltree_syntax::Audience;

#[test]
fn the_example_host_plays_a_bundled_tree_to_its_end_and_logs_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../trees/password_reset.tree"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let project = Arc::new(Project::load(vec![SourceInput::new(
        "password_reset.tree",
        text,
    )]));
    let tree = project.tree_by_name("password_reset").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("call.jsonl");
    let mut now = 1_000;
    let mut clock = || {
        now += 1_000;
        now
    };
    let mut call = Call::start(
        project,
        tree,
        Audience::Customer,
        0,
        LogFile::create(&log, false).unwrap(),
    )
    .unwrap();

    // A refused step first, then the way to a person.
    let input = "> continue\nlogin_email=not an email > 1\n> escalate still locked out\n";
    let mut out = Vec::new();
    line_host::play(&mut call, input.as_bytes(), &mut out, &mut clock).unwrap();
    let shown = String::from_utf8(out).unwrap();
    assert!(shown.starts_with("== "), "{shown}");
    assert!(shown.contains("! "), "a refusal is shown: {shown}");
    assert!(shown.contains("Outcome: escalated"), "{shown}");

    let read = read_log(&std::fs::read(&log).unwrap());
    assert_eq!(read.problem, None);
    assert_eq!(read.events, call.session().log());
    assert_eq!(read.events.last().unwrap().name(), "escalated");
}
