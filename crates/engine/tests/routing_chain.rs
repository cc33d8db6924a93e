//! A chain of routing nodes longer than a session follows in one go (issue 13): it passed
//! `check` and `test`, and `run` stopped at the 10,000th node. Validation now reports it, at
//! exactly the length where a session stops.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use calltree_engine::{Project, Session};
use calltree_syntax::Audience;

/// A tree whose start routes through `hops` routing nodes before it reaches a step.
fn routing_chain(hops: usize) -> String {
    let mut text = String::from("tree t \"T\"\n  start: h0\n\nfield x: yesno \"X\" = yes\n");
    for i in 0..hops {
        let next = if i + 1 < hops {
            format!("h{}", i + 1)
        } else {
            "done".to_owned()
        };
        text.push_str(&format!(
            "\nnode h{i}\n  if x -> {next}\n  else -> {next}\n"
        ));
    }
    text.push_str("\nnode done \"Done\"\n  say \"Here at last.\"\n  end resolved\n");
    text
}

fn codes(project: &Project) -> Vec<(&'static str, String)> {
    project
        .all_diagnostics()
        .map(|(_, d)| (d.code.id, d.message.clone()))
        .filter(|(code, _)| *code != "W255")
        .collect()
}

#[test]
fn a_routing_chain_over_the_hop_limit_passes_check_and_stops_run() {
    let longest_followed = Project::single("t.tree", routing_chain(9_999));
    assert_eq!(codes(&longest_followed), []);
    let tree = longest_followed.tree_by_name("t").unwrap();
    let session = Session::start(&longest_followed, tree, Audience::Agent, 0).unwrap();
    assert!(
        session.is_finished(),
        "9,999 routing nodes are followed to the end"
    );

    let too_long = Project::single("t.tree", routing_chain(10_000));
    let tree = too_long.tree_by_name("t").unwrap();
    let session = Session::start(&too_long, tree, Audience::Agent, 0).unwrap();
    assert!(session.state().stuck.is_some(), "a session stops part way");
    let reported = codes(&too_long);
    assert_eq!(reported.len(), 1, "{reported:?}");
    let (code, message) = &reported[0];
    assert_eq!(*code, "E225");
    assert!(
        message.starts_with("`h0` starts a chain of 10000 routing nodes"),
        "{message}"
    );
    assert!(
        !message.contains("loop"),
        "a chain is not a loop: {message}"
    );
}
