//! A `--release` harness for the figures criterion cannot give: peak memory of loading a
//! large tree, and a quick look at every timing. Run with
//! `cargo run --release -p calltree-engine --example perf -- 100000 256`.

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

use std::time::Instant;

use calltree_engine::{Project, Session};

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use calltree_syntax::Audience;

/// Peak resident memory of this process so far, from the kernel's own count.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let fields: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let text = generate::tree_text(nodes, fields);
    let before = peak_rss_mib().unwrap_or(0.0);

    let started = Instant::now();
    let project = Project::single("generated.tree", text.as_str());
    let load = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let errors = project
        .all_diagnostics()
        .filter(|(_, d)| d.is_error())
        .count();
    println!(
        "{nodes} nodes, {fields} fields, {:.1} MiB of text: parse+validate {:.1} ms, {errors} errors, peak RSS {:.0} MiB ({:.0} MiB before loading)",
        text.len() as f64 / 1_048_576.0,
        load.as_secs_f64() * 1000.0,
        peak,
        before
    );

    let tree = project.tree_by_name("generated").unwrap();
    let mut session = Session::start(&project, tree, Audience::Agent, 0).unwrap();
    let steps: usize = std::env::var("STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let mut text_buffer = String::new();
    let started = Instant::now();
    for step in 0..steps {
        if !generate::step(&mut session, step as u64, &mut text_buffer) {
            break;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "stepping: {:.2} M steps/s",
        steps as f64 / elapsed.as_secs_f64() / 1e6
    );
}
