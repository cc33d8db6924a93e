//! Call logs damaged at any byte, cut at any point, or holding events a newer program wrote:
//! reading never panics, keeps only what was whole, and continuing a log never writes after
//! anything but a clean line. `PROPTEST_CASES=20000` runs a longer campaign.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::sync::Arc;

use calltree_calls::{Call, LogFile, read_log};
use calltree_engine::{Action, Project, Step};
use calltree_syntax::Audience;
use proptest::prelude::*;

const TREE: &str = r#"tree t "T"
  start: a

field f: text "F" required

node a "A"
  say "Hi"
  ask f
  option "Yes" -> b
  option "No" -> a

node b "B"
  say "Bye"
  end resolved
"#;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A whole call's log: answers, a loop, a note, Back, and the ending.
fn a_log() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.jsonl");
    let project = Arc::new(Project::single("t.tree", TREE));
    let tree = project.tree_by_name("t").unwrap();
    let mut call = Call::start(
        project,
        tree,
        Audience::Agent,
        1,
        LogFile::create(&path, false).unwrap(),
    )
    .unwrap();
    let steps = [
        Step {
            answers: vec![("f".into(), "one".into())],
            action: Some(Action::Choose(1)),
        },
        Step::action(Action::Note("a note".into())),
        Step::action(Action::Back),
        Step::action(Action::Choose(0)),
    ];
    for (at, step) in steps.iter().enumerate() {
        call.record(step, 2 + at as i64).unwrap();
    }
    std::fs::read(&path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn a_damaged_log_reads_what_is_whole_and_continues_only_from_a_clean_line(
        changes in prop::collection::vec((0usize..4096, any::<u8>()), 0..8),
        cut in 0.0..1.0f64,
        newer in any::<bool>(),
    ) {
        let mut bytes = a_log();
        for &(at, byte) in &changes {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        bytes.truncate(((bytes.len() as f64) * cut) as usize);
        if newer {
            bytes.extend_from_slice(b"{\"event\":\"from_the_future\",\"at\":9}\n");
        }
        let read = read_log(&bytes);
        prop_assert!(read.sound_len as usize <= bytes.len());
        prop_assert!(read.events.len() <= bytes.iter().filter(|b| **b == b'\n').count());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        match LogFile::resume(&path) {
            Ok((_, events, _)) => {
                // Continuing is allowed only from a log that now ends cleanly.
                let after = std::fs::read(&path).unwrap();
                prop_assert!(after.is_empty() || after.ends_with(b"\n"));
                prop_assert_eq!(events, read_log(&after).events);
            }
            Err(_) => {
                // Refused: the log is left exactly as it was.
                prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
            }
        }
    }
}
