//! A real pointer click in a real window: the desktop binary on a virtual X display (Xvfb),
//! driven by xdotool. Clicking a problem far below the fold must scroll the editor to it and
//! give the editor the keyboard, so the next keys typed replace the span the problem is about. (The kittests
//! click too, but only a real window proves the click and the keys reach egui as a person's
//! would.) CI installs xvfb and xdotool.
//!
//! Where to click is measured, not guessed: the same app with the same file is laid out
//! headless at the window's size, and the problem row's centre there is where xdotool clicks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::process::Command;
use std::rc::Rc;

use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings, Theme};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// A tree whose one problem (an arrow to a node that does not exist) is on its last lines,
/// three hundred lines below the top.
fn tree() -> String {
    let filler: String = (0..300).map(|i| format!("# filler line {i}\n")).collect();
    format!(
        r#"tree far "Far problem"
  start: ask

node ask "Ask"
  say "Is it plugged in?"
  option "Yes" -> done
  option "No" -> later

{filler}
node done "Done"
  say "Thanks."
  end resolved

node later "Later"
  say "Plug it in."
  -> nowhere
"#
    )
}

/// The window's inner size, in points (Xvfb's scale is pinned to 1 below).
const WINDOW: [f32; 2] = [1280.0, 800.0];

/// Where the problem row's centre is inside the window, measured on the same app headless.
fn problem_row_centre(text: &str) -> (i32, i32) {
    let folder = MemoryFolder::new([("far.tree", text)]);
    let settings = Settings {
        mode: Mode::Author,
        theme: Theme::Light,
        ..Settings::default()
    };
    let app = DesktopApp::new(
        Box::new(folder),
        Box::new(calltree_calls::MemoryCalls::new()),
        Rc::new(|| 1_000_000),
        settings,
    )
    .unwrap();
    // kittest draws the app inside an 8-point margin: a harness 16 points larger gives the
    // app exactly the window's size, 8 points in from the corner.
    let margin = 8.0;
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(
            WINDOW[0] + 2.0 * margin,
            WINDOW[1] + 2.0 * margin,
        ))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    harness.run();
    harness.state_mut().author.settle();
    harness.run();
    let centre = harness.get_by_label_contains("E2").rect().center();
    (
        (centre.x - margin).round() as i32,
        (centre.y - margin).round() as i32,
    )
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_real_click_on_a_problem_gives_the_editor_the_keyboard_at_that_line() {
    for program in ["xvfb-run", "xdotool"] {
        assert!(
            have(program),
            "`{program}` is needed for this test (CI installs xvfb and xdotool)"
        );
    }
    let text = tree();
    let (x, y) = problem_row_centre(&text);
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).unwrap();
    std::fs::write(trees.join("far.tree"), &text).unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        format!(
            r#"{{"mode":"author","theme":"light","window_size":[{},{}]}}"#,
            WINDOW[0], WINDOW[1]
        ),
    )
    .unwrap();
    // Click the problem, type, save with Ctrl+S and read the file the app wrote.
    let script = format!(
        r#"set -e
"{bin}" "{trees}" > app.log 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
window=$(timeout 60 xdotool search --sync --name calltree | head -1)
sleep 3
xdotool windowfocus --sync "$window"
xdotool getwindowgeometry "$window" > geometry.txt
xdotool mousemove --window "$window" {x} {y}
sleep 0.5
xdotool click 1
sleep 1
xdotool type --delay 60 typed
sleep 0.5
xdotool key ctrl+s
sleep 1
"#,
        bin = env!("CARGO_BIN_EXE_calltree-desktop"),
        trees = trees.display(),
    );
    let output = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x1000x24", "bash", "-c", &script])
        .current_dir(dir.path())
        .env("CALLTREE_CALLS", dir.path().join("calls"))
        .env("CALLTREE_SETTINGS", dir.path().join("settings.json"))
        .env("CALLTREE_DB", dir.path().join("none.db"))
        .env("WINIT_X11_SCALE_FACTOR", "1")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("xvfb-run runs");
    let log = std::fs::read_to_string(dir.path().join("app.log")).unwrap_or_default();
    let geometry = std::fs::read_to_string(dir.path().join("geometry.txt")).unwrap_or_default();
    assert!(
        output.status.success(),
        "{}\n{}\napp: {log}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let saved = std::fs::read_to_string(trees.join("far.tree")).unwrap();
    assert!(
        // The click selected the unknown name, so the typed word replaced it.
        saved.contains("  -> typed\n") && !saved.contains("nowhere"),
        "clicked at {x},{y} in {geometry}; the file is now:\n{}\napp: {log}",
        &saved[saved.len().saturating_sub(200)..]
    );
}
