//! A `--release` loop over walks, to profile a step without criterion around it: starts a
//! call on the generated tree and takes 16 steps (a walk, as `walks/N_nodes_16_steps`), over
//! and over, then 1,000-step walks (as `steps/1000_nodes_*`), and prints walks/s and steps/s.
//! Run with `cargo run --release -p calltree-engine --example walks -- 100000 200000`
//! (nodes, walks, steps of the long walks or 0 for none, steps of the short walks: 16 unless
//! given); `perf record -g` it with `CARGO_PROFILE_RELEASE_DEBUG=1`.

#![allow(clippy::print_stdout, reason = "a measuring harness reports on stdout")]
#![allow(
    clippy::unwrap_used,
    reason = "a harness that cannot set up should stop loudly"
)]

#[path = "../benches/generate.rs"]
#[allow(
    dead_code,
    reason = "shared with the criterion benchmarks, which use all of it"
)]
mod generate;

use std::hint::black_box;
use std::time::Instant;

use calltree_engine::{Project, Session};
use calltree_syntax::Audience;

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time this thread has used, in seconds (user and system, at the kernel's tick of
/// 1/100 s): on a machine shared with other builds, wall time also counts the waits for a
/// core, so both are printed.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line; 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `rounds` walks of `steps` steps each, returning (wall, CPU) seconds.
fn time_walks(project: &Project, rounds: u64, steps: u64) -> (f64, f64) {
    let tree = project.tree_by_name("generated").unwrap();
    let mut text = String::with_capacity(256);
    let cpu = cpu_seconds();
    let started = Instant::now();
    for _ in 0..rounds {
        let mut session = Session::start(project, tree, Audience::Agent, 0).unwrap();
        for i in 0..steps {
            generate::step(&mut session, i, &mut text);
        }
        black_box(session.state().node);
    }
    (started.elapsed().as_secs_f64(), cpu_seconds() - cpu)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let walks: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let long_steps: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let short_steps: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let project = Project::single("generated.tree", generate::tree_text(nodes, 10));

    let (wall, cpu) = time_walks(&project, walks, short_steps);
    println!(
        "{nodes} nodes, start + {short_steps} steps: {:.2} µs a walk, {:.0} walks/s, \
         {:.2} M steps/s (by CPU time: {:.2} µs, {:.2} M steps/s)",
        wall * 1e6 / walks as f64,
        walks as f64 / wall,
        (walks * short_steps) as f64 / wall / 1e6,
        cpu * 1e6 / walks as f64,
        (walks * short_steps) as f64 / cpu / 1e6
    );

    if long_steps == 0 {
        return;
    }
    // As many steps as the short walks took, so both figures are read over the same work.
    let rounds = (walks * short_steps / long_steps.max(1)).max(1);
    let (wall, cpu) = time_walks(&project, rounds, long_steps);
    println!(
        "{nodes} nodes, start + {long_steps} steps: {:.2} M steps/s (by CPU time: {:.2} M)",
        (rounds * long_steps) as f64 / wall / 1e6,
        (rounds * long_steps) as f64 / cpu / 1e6
    );
}
