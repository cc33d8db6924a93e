//! How long agent mode takes to draw a frame, measured headless (egui's own work: input,
//! layout and the app's logic; not the GPU), in a release build:
//!
//! ```text
//! cargo run --release -p calltree-editor --example frame_time
//! ```
//!
//! - the script picker over 3,300 call logs on disk, 20 of them unfinished, and the worst case
//!   of all 3,300 unfinished (opening reads them once);
//! - a step of a 1,000-node tree, redrawn, and with a key typed into a field each frame.
//!
//! Figures are in docs/performance.md and docs/desktop.md.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a measuring tool that prints its figures"
)]

#[allow(dead_code, reason = "only the tree generator is used here")]
#[path = "../../crates/engine/benches/generate.rs"]
mod generate;

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calltree_calls::{AgentCalls as _, Call, LogFolder};
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings};
use calltree_engine::{Action, EndCause, Project, Step};
use calltree_syntax::Audience;
use egui_kittest::Harness;

const LOGS: usize = 3_300;
const NODES: usize = 1_000;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn p99(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() * 99 / 100]
}

fn frames(
    harness: &mut Harness<'_, DesktopApp>,
    count: usize,
    mut before: impl FnMut(&mut Harness<'_, DesktopApp>),
) -> Vec<Duration> {
    (0..count)
        .map(|_| {
            before(harness);
            let started = Instant::now();
            harness.step();
            started.elapsed()
        })
        .collect()
}

/// A calls folder of `LOGS` calls of the tree, `unfinished` of them still running.
fn calls_folder(project: &Arc<Project>, unfinished: usize) -> tempfile::TempDir {
    let id = project.tree_by_name("generated").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let calls = LogFolder::open(dir.path()).unwrap();
    for n in 0..LOGS {
        let at = i64::try_from(n).unwrap() * 60_000;
        let mut call =
            Call::start(Arc::clone(project), id, Audience::Agent, at, calls.store()).unwrap();
        for step in 0..4 {
            let choose = Action::Choose(step % 2);
            call.record(&Step::action(choose), at + 1_000).unwrap();
        }
        if n >= unfinished {
            let end = Action::End(EndCause::HungUp, String::new());
            call.record(&Step::action(end), at + 2_000).unwrap();
        }
    }
    dir
}

fn harness(tree: &str, calls: &LogFolder) -> Harness<'static, DesktopApp> {
    let settings = Settings {
        mode: Mode::Agent,
        ..Settings::default()
    };
    let app = DesktopApp::new(
        Box::new(MemoryFolder::new([("generated.tree", tree)])),
        Box::new(calls.clone()),
        Rc::new(|| 1_767_225_600_000),
        settings,
    )
    .unwrap();
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app)
}

fn main() {
    // The first step also asks a field, to measure typing into it.
    let tree = generate::tree_text(NODES, 8).replacen(
        "node n0 \"Step 0\"\n",
        "node n0 \"Step 0\"\n  ask f1\n",
        1,
    );
    let project = Arc::new(Project::single("generated.tree", tree.as_str()));
    for unfinished in [20, LOGS] {
        let dir = calls_folder(&project, unfinished);
        let calls = LogFolder::open(dir.path()).unwrap();
        let started = Instant::now();
        let mut harness = harness(&tree, &calls);
        let first = started.elapsed();
        let picker = frames(&mut harness, 200, |_| {});
        println!(
            "picker over {LOGS} call logs, {unfinished} unfinished: opening {first:.1?} ({} logs read), then a frame: median {:.2?}, p99 {:.2?}",
            calls.reads(),
            median(picker.clone()),
            p99(picker)
        );
        if unfinished != 20 {
            continue;
        }
        harness.key_press(egui::Key::Enter);
        harness.run();
        let redraw = frames(&mut harness, 200, |_| {});
        println!(
            "a step of a {NODES}-node tree: median {:.2?}, p99 {:.2?} per frame",
            median(redraw.clone()),
            p99(redraw)
        );
        let folds = calltree_engine::folds_on_this_thread();
        let typing = frames(&mut harness, 200, |harness| {
            harness.event(egui::Event::Text("7".into()));
        });
        println!(
            "typing into a field: median {:.2?}, p99 {:.2?} per keypress; folds meanwhile: {}",
            median(typing.clone()),
            p99(typing),
            calltree_engine::folds_on_this_thread() - folds
        );
    }
}
