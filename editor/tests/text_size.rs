//! The text size chosen last time is the text size at the next start, and it stays put:
//! egui applies a new zoom one frame after it is asked for, and the app must not mistake
//! its own request, not yet applied, for the author pressing Ctrl+minus.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::rc::Rc;

use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings, Theme};
use egui_kittest::Harness;

fn app(text_scale: f32) -> Harness<'static, DesktopApp> {
    let settings = Settings {
        mode: Mode::Author,
        theme: Theme::Light,
        text_scale,
        ..Settings::default()
    };
    let app = DesktopApp::new(
        Box::new(MemoryFolder::new([(
            "t.tree",
            "tree t \"T\"\n  start: a\n\nnode a \"A\"\n  say \"Hello.\"\n  end resolved\n",
        )])),
        Box::new(calltree_calls::MemoryCalls::new()),
        Rc::new(|| 1_000_000),
        settings,
    )
    .unwrap();
    Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app)
}

#[test]
fn the_remembered_text_size_is_applied_at_start_and_kept() {
    let mut harness = app(1.3);
    for _ in 0..6 {
        harness.step();
    }
    assert_eq!(harness.state().settings.text_scale, 1.3);
    assert!((harness.ctx.zoom_factor() - 1.3).abs() < 0.001);
    // Settled: no frame asks for another just to change the zoom back and forth.
    harness.run();
    assert_eq!(harness.state().settings.text_scale, 1.3);
}

#[test]
fn ctrl_plus_changes_the_remembered_text_size() {
    let mut harness = app(1.0);
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Plus);
    harness.run();
    let zoom = harness.ctx.zoom_factor();
    assert!(zoom > 1.05, "{zoom}");
    assert!((harness.state().settings.text_scale - zoom).abs() < 0.001);
    // To be stored by the binary.
    assert!(harness.state().settings_changed);
}
