//! A `--release` loop over the editor's re-check (one changed line, parse cache warm), to
//! profile with `perf` without the other benchmarks' set-up in the samples. Run with
//! `cargo run --release -p calltree-engine --example recheck -- 1000 2000`.

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

use calltree_engine::{ParseCache, Project, SourceInput};

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let text = generate::tree_text(nodes, 10);
    let edited = generate::edited(&text);
    // As the criterion benchmark: two versions one line apart, alternating, so each load
    // re-parses exactly one line and redoes everything after parsing.
    let variants = [
        edited.clone(),
        edited.replacen("now reading", "then reading", 1),
    ];
    let mut cache = ParseCache::default();
    black_box(Project::load_cached(
        vec![SourceInput::new("generated.tree", text.as_str())],
        &mut cache,
    ));
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        black_box(Project::load_cached(
            vec![SourceInput::new(
                "generated.tree",
                variants[round % 2].as_str(),
            )],
            &mut cache,
        ));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "re-check of {nodes} nodes after a one-line edit, {rounds} rounds: min {:.2} ms, median {:.2} ms, p90 {:.2} ms",
        at(0.0),
        at(0.5),
        at(0.9)
    );
}
