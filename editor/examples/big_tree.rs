//! How author mode copes with a big tree, measured headless in a release build: each frame is
//! what eframe asks of egui (`Context::run_ui` with the app's logic, then tessellation into
//! triangles), without the GPU's part and without AccessKit, which eframe turns on only when a
//! screen reader asks for it (with `-- NODES kittest` the frames run under `egui_kittest`,
//! which always builds the AccessKit tree):
//!
//! ```text
//! cargo run --release -p calltree-editor --example big_tree [-- NODES]
//! ```
//!
//! - opening: building the app over a folder with one generated tree of NODES nodes (5,000
//!   unless given), then every frame until the check came back and the graph is drawn; the
//!   longest frame is what the author feels as a freeze;
//! - check results: the frame in which a check's result is drawn, after a keystroke in a
//!   node's spoken text (which the graph does not show) and in its title (which it does);
//! - typing: a character typed into the middle of the text each frame;
//! - the graph: dragging it across, then zooming in and out around the pointer.
//!
//! Figures are in docs/performance.md.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a measuring tool that prints its figures"
)]

#[allow(dead_code, reason = "only the tree generator is used here")]
#[path = "../../crates/engine/benches/generate.rs"]
mod generate;

use std::rc::Rc;
use std::time::{Duration, Instant};

use calltree_editor::author::SideTab;
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings};

/// The allocator calltree-desktop uses, so the figures are the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn p99(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() * 99 / 100]
}

fn worst(times: &[Duration]) -> Duration {
    times.iter().copied().max().unwrap_or_default()
}

/// The app under a plain egui context, or under kittest (AccessKit on).
enum Harness {
    Plain {
        ctx: egui::Context,
        app: Box<DesktopApp>,
        events: Vec<egui::Event>,
        time: f64,
    },
    Kittest(Box<egui_kittest::Harness<'static, DesktopApp>>),
}

impl Harness {
    fn new(app: DesktopApp, kittest: bool) -> Self {
        if kittest {
            return Harness::Kittest(Box::new(
                egui_kittest::Harness::builder()
                    .with_size(egui::vec2(1280.0, 800.0))
                    .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app),
            ));
        }
        Harness::Plain {
            ctx: egui::Context::default(),
            app: Box::new(app),
            events: Vec::new(),
            time: 0.0,
        }
    }

    fn state(&self) -> &DesktopApp {
        match self {
            Harness::Plain { app, .. } => app,
            Harness::Kittest(harness) => harness.state(),
        }
    }

    fn state_mut(&mut self) -> &mut DesktopApp {
        match self {
            Harness::Plain { app, .. } => app,
            Harness::Kittest(harness) => harness.state_mut(),
        }
    }

    fn event(&mut self, event: egui::Event) {
        match self {
            Harness::Plain { events, .. } => events.push(event),
            Harness::Kittest(harness) => harness.event(event),
        }
    }

    fn step(&mut self) {
        match self {
            Harness::Plain {
                ctx,
                app,
                events,
                time,
            } => {
                *time += 1.0 / 60.0;
                let input = egui::RawInput {
                    screen_rect: Some(egui::Rect::from_min_size(
                        egui::Pos2::ZERO,
                        egui::vec2(1280.0, 800.0),
                    )),
                    time: Some(*time),
                    events: std::mem::take(events),
                    ..Default::default()
                };
                let output = ctx.run_ui(input, |ui| app.ui(ui));
                std::hint::black_box(ctx.tessellate(output.shapes, output.pixels_per_point));
            }
            Harness::Kittest(harness) => harness.step(),
        }
    }
}

fn timed_step(harness: &mut Harness) -> Duration {
    let started = Instant::now();
    harness.step();
    started.elapsed()
}

fn summary(what: &str, times: &[Duration]) {
    println!(
        "{what}: median {:.2?}, p99 {:.2?}, worst {:.2?} ({} frames)",
        median(times.to_vec()),
        p99(times.to_vec()),
        worst(times),
        times.len()
    );
}

fn main() {
    let nodes: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let kittest = std::env::args().nth(2).as_deref() == Some("kittest");
    let tree = generate::tree_text(nodes, 8);
    println!(
        "a generated tree of {nodes} nodes: {} lines, {} KB",
        tree.lines().count(),
        tree.len() / 1024
    );
    let folder = MemoryFolder::new([("generated.tree", tree.as_str())]);
    let settings = Settings {
        mode: Mode::Author,
        ..Settings::default()
    };

    // Opening: everything the UI thread does until the graph of the checked tree is drawn.
    let started = Instant::now();
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(calltree_calls::MemoryCalls::new()),
        Rc::new(|| 1_767_225_600_000),
        settings,
    )
    .unwrap();
    app.author.side = SideTab::Graph;
    let built = started.elapsed();
    // Under kittest, building the harness runs the first frames.
    let mut harness = Harness::new(app, kittest);
    let mut open_frames = vec![timed_step(&mut harness)];
    while harness.state().author.graph.drawing.is_none() {
        open_frames.push(timed_step(&mut harness));
        if started.elapsed() > Duration::from_secs(120) {
            println!("the graph was not drawn within two minutes");
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // A couple more frames: what the first frames with the graph cost.
    for _ in 0..3 {
        open_frames.push(timed_step(&mut harness));
    }
    println!(
        "opening: building the app {built:.1?}; graph on screen after {:.2?}; longest frame {:.1?}, first frame {:.1?}, longest after it {:.1?}, {} frames",
        started.elapsed(),
        worst(&open_frames),
        open_frames[0],
        worst(&open_frames[1..]),
        open_frames.len()
    );

    // Check results: the frame a check's result is drawn in, after a keystroke in a node's
    // spoken text (nothing the graph shows) and after one in its title (the drawing is made
    // again, as it was for every check result before it was keyed on what it shows).
    for (what, needle) in [
        ("spoken text", format!("say \"Step {}:", nodes / 3)),
        ("title", format!("node n{} \"Step", nodes / 3)),
    ] {
        let at = harness.state().author.documents.docs[0]
            .text
            .find(&needle)
            .unwrap()
            + needle.len();
        harness.state_mut().author.jump_to("generated.tree", at..at);
        for _ in 0..5 {
            harness.step();
        }
        let mut results = Vec::new();
        for _ in 0..20 {
            harness.event(egui::Event::Text("x".into()));
            harness.step();
            harness.state_mut().author.settle();
            results.push(timed_step(&mut harness));
        }
        summary(
            &format!("a check result after typing in a {what}"),
            &results,
        );
    }

    // Typing in the middle of the text.
    let text = harness.state().author.documents.docs[0].text.clone();
    let middle = text.find(&format!("node n{} ", nodes / 2)).unwrap();
    harness
        .state_mut()
        .author
        .jump_to("generated.tree", middle..middle);
    for _ in 0..5 {
        harness.step();
    }
    let mut typing = Vec::new();
    for _ in 0..100 {
        harness.event(egui::Event::Text("x".into()));
        typing.push(timed_step(&mut harness));
    }
    let typed = harness.state().author.documents.docs[0].text.len() - text.len();
    summary(&format!("typing ({typed} characters landed)"), &typing);
    // Let the last check come back so the graph frames below are not racing it.
    harness.state_mut().author.settle();
    harness.step();

    // The graph: drag across, then zoom around the pointer.
    let at = egui::pos2(1000.0, 450.0);
    harness.event(egui::Event::PointerMoved(at));
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    let mut panning = Vec::new();
    for i in 0..100 {
        let offset = if (i / 25) % 2 == 0 { -6.0 } else { 6.0 };
        let pos = at + egui::vec2(offset * (i % 25) as f32, offset * (i % 25) as f32 / 2.0);
        harness.event(egui::Event::PointerMoved(pos));
        panning.push(timed_step(&mut harness));
    }
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    summary("graph, panning", &panning);
    let mut zooming = Vec::new();
    for i in 0..100 {
        // Out to a twentieth and back: the whole range an author scrolls through.
        let factor = if i < 50 { 0.94 } else { 1.0 / 0.94 };
        harness.event(egui::Event::Zoom(factor));
        zooming.push(timed_step(&mut harness));
    }
    summary("graph, zooming", &zooming);
    println!(
        "zoom after the sweep: {:.0}%",
        harness.state().author.graph.zoom * 100.0
    );
}
