//! A `--release` loop over parsing alone (no lowering, no checks), for the parser's own
//! figures: `cargo run --release -p calltree-engine --example parse -- 10000 30` parses the
//! generated tree of 10,000 nodes 30 times and prints the minimum and median. After the first
//! round the allocator reuses its memory, so page faults do not drown the parser's work.

#![allow(clippy::print_stdout, reason = "a measuring harness reports on stdout")]

#[path = "../benches/generate.rs"]
#[allow(
    dead_code,
    reason = "shared with the criterion benchmarks, which use all of it"
)]
mod generate;

use std::time::{Duration, Instant};

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let text = generate::tree_text(nodes, 10);
    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let parsed = calltree_syntax::parse(&text);
        times.push(started.elapsed());
        std::hint::black_box(parsed);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "parse of {nodes} nodes ({:.1} MiB), {} rounds: min {:.2} ms, median {:.2} ms",
        text.len() as f64 / 1_048_576.0,
        times.len(),
        ms(times[0]),
        ms(times[times.len() / 2])
    );
}
