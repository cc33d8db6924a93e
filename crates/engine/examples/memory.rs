//! Where the memory of a large load goes, phase by phase: resident memory after generating
//! the text, after parsing it, at the peak of a whole load and after it, sampled every
//! millisecond over the load, and the sizes of the types that are many. Run with
//! `cargo run --release -p calltree-engine --example memory -- 100000 1`.

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

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use calltree_engine::Project;

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resident bytes now, from `/proc/self/statm` (cheap enough to read every millisecond).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// A line of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`).
fn status_mib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn report(phase: &str) {
    println!(
        "{phase:<30} RSS {:>7.1} MiB  HWM {:>7.1} MiB",
        status_mib("VmRSS:"),
        status_mib("VmHWM:"),
    );
}

fn sizes() {
    use calltree_syntax as s;
    use std::mem::size_of;
    println!(
        "syntax: Item {} ItemKind {} Stmt {} StmtKind {} OptionStmt {} Expr {} ExprKind {} Text {} Segment {} Ident {} Number {} Literal {} Outcome {} Effect {} Span {}",
        size_of::<s::Item>(),
        size_of::<s::ItemKind>(),
        size_of::<s::Stmt>(),
        size_of::<s::StmtKind>(),
        size_of::<s::OptionStmt>(),
        size_of::<s::Expr>(),
        size_of::<s::ExprKind>(),
        size_of::<s::Text>(),
        size_of::<s::Segment>(),
        size_of::<s::Ident>(),
        size_of::<s::Number>(),
        size_of::<s::Literal>(),
        size_of::<s::Outcome>(),
        size_of::<s::Effect>(),
        size_of::<s::Span>(),
    );
    use calltree_engine as e;
    println!(
        "model: Node {} NodeOption {} Template {} Exit {} Assignment {} NoteTemplate {} Value {} Diagnostic {}",
        size_of::<e::Node>(),
        size_of::<e::NodeOption>(),
        size_of::<e::Template>(),
        size_of::<e::Exit>(),
        size_of::<e::Assignment>(),
        size_of::<e::NoteTemplate>(),
        size_of::<e::Value>(),
        size_of::<s::Diagnostic>(),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let fields: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    sizes();
    report("start");
    let text = generate::tree_text(nodes, fields);
    report("text generated");

    let started = Instant::now();
    let (syntax, diagnostics) = calltree_syntax::parse(&text);
    let parse_time = started.elapsed();
    report("parsed alone (tree alive)");
    println!("  parse {:.0} ms", parse_time.as_secs_f64() * 1000.0);
    let behaviour = calltree_syntax::format_behaviour(&syntax);
    report("behaviour text alive");
    drop(behaviour);
    drop((syntax, diagnostics));
    report("tree dropped");

    // The load itself, sampled every millisecond from a second thread.
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push((started.elapsed(), resident()));
                std::thread::sleep(Duration::from_millis(1));
            }
            samples
        })
    };
    let started = Instant::now();
    let project = Project::single("generated.tree", text.as_str());
    let load = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap();
    report("loaded (model alive)");
    println!(
        "  load {:.0} ms, {} errors",
        load.as_secs_f64() * 1000.0,
        project
            .all_diagnostics()
            .filter(|(_, d)| d.is_error())
            .count()
    );
    let twentieth = load / 20;
    let mut next = Duration::ZERO;
    let mut highest = (Duration::ZERO, 0);
    for &(at, live) in &samples {
        if live > highest.1 {
            highest = (at, live);
        }
        if at >= next {
            println!(
                "  at {:>6.0} ms RSS {:>7.1} MiB",
                at.as_secs_f64() * 1000.0,
                mib(live)
            );
            next += twentieth;
        }
    }
    println!(
        "  highest sample at {:.0} ms: {:.1} MiB",
        highest.0.as_secs_f64() * 1000.0,
        mib(highest.1)
    );
    drop(project);
    report("project dropped");
}
