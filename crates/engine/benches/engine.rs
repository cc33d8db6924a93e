//! Engine benchmarks on generated trees: loading (parse + every check), re-checking after an
//! edit (afresh, and with the editor's parse cache), colouring the text for the editor,
//! stepping a call, rebuilding a call from its log, and reporting on a million events of
//! synthetic calls on the bundled trees; and the floor (the same tree from its interchange
//! JSON with serde_json and petgraph) and walks (start + 16 steps) at three sizes. Run with
//! `cargo bench -p calltree-engine`; the method and figures are in docs/performance.md.
//! With `CALLTREE_BENCH_QUICK=1` only the smallest size and a small report run, so that CI can
//! run every benchmark once (`cargo test --benches`) in seconds.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that cannot set up should stop loudly"
)]

mod floor;
mod generate;

/// The allocator the calltree binaries use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;

use calltree_engine::{
    Event, ParseCache, Project, Report, ReportFilter, Session, SourceInput, synthetic_sessions,
};
use calltree_syntax::Audience;
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// Whether CI asked for the quick run: the smallest tree only.
fn quick() -> bool {
    std::env::var_os("CALLTREE_BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The tree sizes the size-dependent benchmarks run at.
fn sizes() -> &'static [usize] {
    if quick() {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    }
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_and_validate");
    group.sample_size(10);
    for &nodes in sizes() {
        let text = generate::tree_text(nodes, 10);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{nodes}_nodes"), |b| {
            b.iter(|| black_box(Project::single("generated.tree", text.as_str())))
        });
    }
    group.finish();
}

/// The floor on the same trees as `load`, under the same names, so the two groups divide.
fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group.sample_size(10);
    for &nodes in sizes() {
        let json = floor::json(&generate::tree_text(nodes, 10));
        let found = floor::load(&json).unwrap();
        assert_eq!((found.nodes, found.unresolved), (nodes + 1, 0));
        assert_eq!(found.reachable, nodes + 1);
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_function(format!("{nodes}_nodes"), |b| {
            b.iter(|| black_box(floor::load(json.as_str())))
        });
    }
    group.finish();
}

/// What `calltree test` and simulations do over and over: start a call and take 16 steps.
/// The throughput is in steps, so walks per second are criterion's figure divided by 16.
fn walks(c: &mut Criterion) {
    const STEPS: u64 = 16;
    let mut group = c.benchmark_group("walks");
    group.throughput(Throughput::Elements(STEPS));
    for &nodes in sizes() {
        let project = Project::single("generated.tree", generate::tree_text(nodes, 10));
        let tree = project.tree_by_name("generated").unwrap();
        let mut text = String::with_capacity(256);
        group.bench_function(format!("{nodes}_nodes_16_steps"), |b| {
            b.iter(|| {
                let mut session = Session::start(&project, tree, Audience::Agent, 0).unwrap();
                for i in 0..STEPS {
                    generate::step(&mut session, i, &mut text);
                }
                black_box(session.state().node)
            })
        });
    }
    group.finish();
}

fn recheck(c: &mut Criterion) {
    let text = generate::tree_text(1_000, 10);
    let edited = generate::edited(&text);
    c.bench_function("recheck_1000_nodes_after_one_line_edit", |b| {
        b.iter(|| black_box(Project::single("generated.tree", edited.as_str())))
    });

    // What the editor does: keep a parse cache across edits. The iterations alternate between
    // two versions that differ from each other (and from the original the cache was warmed
    // on) in one line, so every load finds exactly one line it has not seen and re-parses it;
    // everything after parsing (lowering, every check, fingerprints) runs in full each time.
    let variants = [
        edited.clone(),
        edited.replacen("now reading", "then reading", 1),
    ];
    assert_ne!(variants[0], variants[1]);
    let mut cache = ParseCache::default();
    black_box(Project::load_cached(
        vec![SourceInput::new("generated.tree", text.as_str())],
        &mut cache,
    ));
    let mut turn = 0usize;
    c.bench_function("recheck_1000_nodes_after_one_line_edit_cached", |b| {
        b.iter(|| {
            turn += 1;
            let text = variants[turn % 2].as_str();
            black_box(Project::load_cached(
                vec![SourceInput::new("generated.tree", text)],
                &mut cache,
            ))
        })
    });
}

/// Colouring a 1,000-node file, which the desktop editor does on every edit.
fn highlight(c: &mut Criterion) {
    let text = generate::tree_text(1_000, 10);
    c.bench_function("highlight_1000_nodes", |b| {
        b.iter(|| black_box(calltree_syntax::highlight(text.as_str())))
    });
}

fn stepping(c: &mut Criterion) {
    const STEPS: u64 = 1_000;
    let mut group = c.benchmark_group("steps");
    group.throughput(Throughput::Elements(STEPS));
    for fields in [10, 100, 256] {
        let project = Project::single("generated.tree", generate::tree_text(1_000, fields));
        let tree = project.tree_by_name("generated").unwrap();
        group.bench_function(format!("1000_nodes_{fields}_fields"), |b| {
            b.iter_batched_ref(
                || Session::start(&project, tree, Audience::Agent, 0).unwrap(),
                |session| {
                    let mut text = String::with_capacity(256);
                    for i in 0..STEPS {
                        generate::step(session, i, &mut text);
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn replay(c: &mut Criterion) {
    let project = Project::single("generated.tree", generate::tree_text(1_000, 10));
    let tree = project.tree_by_name("generated").unwrap();
    let mut session = Session::start(&project, tree, Audience::Agent, 0).unwrap();
    let mut text = String::new();
    for i in 0..999 {
        generate::step(&mut session, i, &mut text);
    }
    let log = session.log().to_vec();
    assert_eq!(log.len(), 1_000);
    c.bench_function("replay_1000_events", |b| {
        b.iter_batched(
            || log.clone(),
            |log| black_box(Session::resume(&project, log).unwrap()),
            BatchSize::SmallInput,
        )
    });
}

/// The bundled trees in `trees/`, as one project.
fn bundled() -> Project {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "tree"))
        .collect();
    paths.sort();
    let inputs = paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            SourceInput::new(path.display().to_string(), text)
        })
        .collect();
    let project = Project::load(inputs);
    assert!(!project.has_errors());
    project
}

/// Synthetic sessions of every bundled tree in turn, 1,000 per tree and seed, until there
/// are at least `events` events.
fn synthetic_logs(project: &Project, events: usize) -> Vec<Vec<Event>> {
    let trees: Vec<_> = project.trees().map(|(id, _)| id).collect();
    let mut logs = Vec::new();
    let mut total = 0;
    for seed in 0.. {
        let tree = trees[seed as usize % trees.len()];
        for log in synthetic_sessions(project, tree, 1_000, seed, 1_700_000_000_000) {
            total += log.len();
            logs.push(log);
        }
        if total >= events {
            break;
        }
    }
    logs
}

/// A report (every figure, per tree and version) over about a million events, the logs
/// generated once beforehand; and, apart, what generating them costs.
fn report(c: &mut Criterion) {
    let events_wanted = if quick() { 10_000 } else { 1_000_000 };
    let project = bundled();
    let logs = synthetic_logs(&project, events_wanted);
    let events: usize = logs.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("report");
    // Ten runs of about a second each: enough for a figure, quick enough to run often.
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(std::time::Duration::from_secs(12));
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("report_1m_events", |b| {
        b.iter(|| {
            let mut report = Report::new(ReportFilter::default());
            for log in &logs {
                report.add_session(Some(&project), log);
            }
            black_box(report.finish())
        })
    });
    group.bench_function("synthetic_1m_events", |b| {
        b.iter(|| black_box(synthetic_logs(&project, events_wanted).len()))
    });
    group.finish();
}

criterion_group!(
    benches, load, floor, walks, recheck, highlight, stepping, replay, report
);
criterion_main!(benches);
