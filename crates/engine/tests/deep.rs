//! Deep structure a user controls must not be walked with recursion (issue 13): a chain or a
//! cycle of tens of thousands of nodes, and a chain of sub-tree calls as long as the project
//! has files. Each is loaded on a thread with a small stack (1 MiB, half of a server worker
//! thread's), where a walk that recursed once per node or per tree used to overflow.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use calltree_engine::{Project, SourceInput, WalkLimits, walk_all};
use calltree_syntax::Audience;

const NODES: usize = 20_000;

/// Runs `work` on a thread with a 1 MiB stack; a stack overflow aborts the whole test binary.
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(work)
        .unwrap()
        .join()
        .unwrap()
}

fn chain(nodes: usize, cycle: bool) -> String {
    let mut text = String::from("tree t \"T\"\n  start: n0\n");
    for i in 0..nodes {
        let next = if i + 1 < nodes {
            format!("  -> n{}", i + 1)
        } else if cycle {
            "  -> n0".to_owned()
        } else {
            "  end resolved".to_owned()
        };
        text.push_str(&format!("\nnode n{i}\n  say \"Step {i}\"\n{next}\n"));
    }
    text
}

fn codes(project: &Project) -> Vec<&'static str> {
    let mut codes: Vec<&str> = project.all_diagnostics().map(|(_, d)| d.code.id).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[test]
fn chains_or_cycles_of_many_nodes_overflow_the_graph_checks() {
    let (straight, round) = on_small_stack(|| {
        let straight = Project::single("chain.tree", chain(NODES, false));
        let tree = straight.tree_by_name("t").unwrap();
        let walks = walk_all(&straight, tree, Audience::Agent, WalkLimits::default());
        assert_eq!(walks.cut, 1, "one walk, cut at its length");
        let round = Project::single("cycle.tree", chain(NODES, true));
        (codes(&straight), codes(&round))
    });
    // Only the size warning for the chain; the cycle is a trap with no way to finish.
    assert_eq!(straight, ["W255"]);
    assert!(round.contains(&"E206"), "{round:?}");
}

#[test]
fn a_long_chain_of_sub_tree_calls_overflows_the_read_before_set_analysis() {
    const TREES: usize = 1_000;
    let project = on_small_stack(|| {
        let mut files = Vec::new();
        for i in 0..TREES {
            let exit = if i + 1 < TREES {
                format!("  call t{} -> done", i + 1)
            } else {
                "  -> done".to_owned()
            };
            files.push(SourceInput::new(
                format!("t{i}.tree"),
                format!(
                    "tree t{i} \"T{i}\"\n  start: a\n\nfield f{i}: yesno \"F{i}\" = yes\n\nnode a\n  say \"{{f{i}}}\"\n{exit}\n\nnode done\n  return\n"
                ),
            ));
        }
        codes(&Project::load(files))
    });
    assert!(!project.iter().any(|c| c.starts_with('E')), "{project:?}");
}

#[test]
fn the_deepest_condition_a_line_may_hold_loads_and_runs_on_a_worker_stack() {
    // Everything that walks an expression recurses, bounded by the parser's limits: 32
    // levels of parentheses and 200 operators. At those limits, parsing, formatting, loading
    // (type checks, read-before-set) and evaluating fit in the 2 MiB stack of a worker
    // thread (the server's, the desktop checker's) with room to spare: they need about
    // 1 MiB in a debug build, under 256 KiB in a release build.
    let nested = format!("{}x{}", "(".repeat(32), ")".repeat(32));
    let chained = format!("{}{}", "x", " and x".repeat(160));
    let text = format!(
        "tree t \"T\"\n  start: a\n\nfield x: yesno \"X\" = yes\n\nnode a\n  say \"Deep\"\n  -> r\n\nnode r\n  if {nested} and {chained} -> b\n  else -> b\n\nnode b\n  say \"Done\"\n  end resolved\n"
    );
    let worker = std::thread::Builder::new().stack_size(2 * 1024 * 1024);
    let finished = worker.spawn(move || {
        let (file, _) = calltree_syntax::parse(&text);
        let _ = calltree_syntax::format(&file);
        let project = Project::single("deep.tree", text.as_str());
        assert!(
            !project.has_errors(),
            "{:?}",
            project.all_diagnostics().collect::<Vec<_>>()
        );
        let tree = project.tree_by_name("t").unwrap();
        let mut session =
            calltree_engine::Session::start(&project, tree, Audience::Agent, 0).unwrap();
        session
            .apply(calltree_engine::Event::Continued { at: 1 })
            .unwrap();
        session.is_finished()
    });
    assert!(finished.unwrap().join().unwrap());
}
