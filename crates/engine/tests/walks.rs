//! Walks over the bundled trees and over trees built to get stuck.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use calltree_engine::{Project, WalkLimits, walk_all, walk_random};
use calltree_syntax::Audience;

#[test]
fn no_walk_through_a_bundled_tree_gets_stuck() {
    let project = support::bundled(&[]);
    for (id, tree) in project.trees() {
        for audience in [Audience::Agent, Audience::Customer] {
            if !tree.serves(audience) {
                continue;
            }
            let limits = WalkLimits {
                walks: 5_000,
                ..WalkLimits::default()
            };
            let report = walk_all(&project, id, audience, limits);
            let stuck: Vec<String> = report
                .stuck
                .iter()
                .map(|s| {
                    let path: Vec<&str> = s
                        .path
                        .iter()
                        .map(|n| project.node(*n).name.as_str())
                        .collect();
                    format!("{}: {} (after {})", tree.name, s.reason, path.join(" > "))
                })
                .collect();
            assert!(
                stuck.is_empty(),
                "{:?} walks of {} got stuck:\n{}",
                audience,
                tree.name,
                stuck.join("\n")
            );
            assert!(
                report.finished > 0,
                "no {audience:?} walk of {} finished",
                tree.name
            );
            let (nodes, _) = report.coverage.percentages();
            eprintln!(
                "{:<26} {:<8} walks {:>6} finished {:>6} cut {:>5} nodes {:>5.1}%{}",
                tree.name,
                audience.name(),
                report.walks,
                report.finished,
                report.cut,
                nodes,
                if report.incomplete {
                    " (limit reached)"
                } else {
                    ""
                }
            );
        }
    }
}

const SOFT_LOCK: &str = r#"
tree locked "Locked"
  start: ask_age

field age: number "Age" required range 0..120

node ask_age
  say "How old is the device?"
  ask age
  option "Under warranty" -> covered when age < 12
  option "Out of warranty" -> paid when age > 24

node covered
  say "Covered."
  end resolved

node paid
  say "Paid repair."
  end resolved
"#;

#[test]
fn a_gap_between_guards_is_found_by_walking() {
    let project = Project::single("locked.tree", SOFT_LOCK);
    let report = walk_all(
        &project,
        project.tree_by_name("locked").unwrap(),
        Audience::Agent,
        WalkLimits::default(),
    );
    // Walks answer with the numbers on both sides of each guard's constant, so an age of 13
    // (between 12 and 24, where neither guard holds) is tried and the call gets stuck.
    assert_eq!(report.stuck.len(), 1, "{:?}", report.stuck);
    let stuck = &report.stuck[0];
    assert_eq!(
        stuck.reason,
        "every option of `ask_age` is disabled or hidden here"
    );
    assert_eq!(project.node(*stuck.path.last().unwrap()).name, "ask_age");
    // The static check warns about the same node before anyone walks it.
    assert!(project.all_diagnostics().any(|(_, d)| d.code.id == "W253"));
}

#[test]
fn random_walks_are_repeatable_for_a_seed() {
    let project = support::bundled(&[]);
    let tree = project.tree_by_name("internet_down").unwrap();
    let one = walk_random(
        &project,
        tree,
        Audience::Agent,
        50,
        7,
        WalkLimits::default(),
    );
    let two = walk_random(
        &project,
        tree,
        Audience::Agent,
        50,
        7,
        WalkLimits::default(),
    );
    assert_eq!(one.coverage, two.coverage);
    assert_eq!((one.finished, one.cut), (two.finished, two.cut));
    assert_eq!(one.walks, 50);
    assert!(one.stuck.is_empty());
}

#[test]
fn the_generator_is_splitmix64() {
    // Reference values of SplitMix64 seeded with 0, so walks replay the same on every machine.
    let mut rng = calltree_engine::Rng::new(0);
    assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
}

/// A tree of `count` diamonds one after another: a question with two options that meet again
/// at the next question. Walks through it are `3 × count` steps deep.
fn diamonds(count: usize) -> String {
    let mut text = String::from("tree diamonds \"Diamonds\"\n  start: d0\n");
    for i in 0..count {
        let next = if i + 1 < count {
            format!("d{}", i + 1)
        } else {
            "done".to_owned()
        };
        text.push_str(&format!(
            "\nnode d{i} \"Question {i}\"\n  say \"Left or right?\"\n  option \"Left\" -> l{i}\n  option \"Right\" -> r{i}\n\nnode l{i} \"Left {i}\"\n  say \"Left.\"\n  -> {next}\n\nnode r{i} \"Right {i}\"\n  say \"Right.\"\n  -> {next}\n"
        ));
    }
    text.push_str("\nnode done \"Done\"\n  say \"Done.\"\n  end resolved\n");
    text
}

#[test]
fn exhaustive_walks_replay_each_walk_from_its_start() {
    // Each walk continued used to replay its whole log, so the work grew with the square of
    // the depth: 200 diamonds took 80 s in `calltree test`. A walk now continues from the
    // session kept at the step before it, applying one event.
    let project = Project::single("diamonds.tree", diamonds(60));
    let tree = project.tree_by_name("diamonds").unwrap();
    let limits = WalkLimits {
        walks: 1_000,
        ..WalkLimits::default()
    };
    let report = walk_all(&project, tree, Audience::Agent, limits);
    assert_eq!(report.walks, 1_000);
    assert!(report.stuck.is_empty());
    let steps = report.walks * diamonds_depth(60);
    assert!(
        report.events_applied <= steps,
        "{} events applied for {} walks of {} steps",
        report.events_applied,
        report.walks,
        diamonds_depth(60)
    );
}

/// The steps of one walk through `count` diamonds: a question and a side each, and the end.
fn diamonds_depth(count: usize) -> usize {
    2 * count + 1
}

/// A tree with one required text field of this pattern, asked at the start.
fn patterned(pattern: &str) -> Project {
    Project::single(
        "code.tree",
        format!(
            "tree code \"Code\"\n  start: ask\n\nfield code: text \"Code\" required pattern \"{pattern}\"\n\nnode ask \"Code\"\n  say \"Your code, please.\"\n  ask code\n  -> done\n\nnode done \"Done\"\n  say \"Thanks, {{code}}.\"\n  end resolved\n"
        ),
    )
}

#[test]
fn the_walker_invents_at_most_64_characters() {
    for pattern in [
        "a{65}",
        "[0-9]{200}",
        "(ab|cd){100}x",
        "[a-z]{10}-[0-9]{4000}",
    ] {
        let project = patterned(pattern);
        let tree = project.tree_by_name("code").unwrap();
        let report = walk_all(&project, tree, Audience::Agent, WalkLimits::default());
        assert!(
            report.stuck.is_empty(),
            "{pattern}: {:?}",
            report.stuck.iter().map(|s| &s.reason).collect::<Vec<_>>()
        );
        assert_eq!(report.finished, 1, "{pattern}");
    }

    // Beyond what a walk types, the reason says so.
    let project = patterned("a{70000}");
    let tree = project.tree_by_name("code").unwrap();
    let report = walk_all(&project, tree, Audience::Agent, WalkLimits::default());
    assert_eq!(report.stuck.len(), 1);
    assert_eq!(
        report.stuck[0].reason,
        "no answer could be invented for \"Code\": its pattern needs an answer longer than 65536 characters"
    );
}
