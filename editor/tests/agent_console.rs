//! The agent's console as it holds up on a real call: what it shows (measured contrast in both
//! themes, the picker and the resume list), and what it does when things go wrong (a script
//! saved with errors, a failing disk, no calls folder, a log whose tree is gone, a very long
//! call).

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]
#![allow(
    clippy::print_stdout,
    reason = "the measured contrast ratios are printed for docs/desktop.md"
)]

use std::rc::Rc;

use calltree_calls::{AgentCalls as _, Call, CallStore as _, MemoryCalls};
use calltree_editor::look::contrast;
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Screen, Settings, Theme};
use calltree_engine::{Event, Project};
use calltree_syntax::Audience;
use egui::{Color32, Key};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const QUOTE: &str = r#"tree quote "Repair quote"
  description: "Quote a repair for a device out of warranty"
  tags: repairs, quotes
  start: device

field caller_name: text "Caller's name" required
field model: text "Device model" required

node device "Device"
  say "Which device is it, and who am I speaking to?"
  agent "Never ask for the account password or full card details."
  ask caller_name, model
  -> offer

node offer "Offer"
  say "Shall I send a quote?"
  option "Send a quote" -> sent
  option "Goodwill repair" -> sent when model == "VIP"
  option "No thanks" -> declined

node sent "Sent"
  say "The quote is on its way."
  end resolved

node declined "Declined"
  say "No problem."
  end abandoned
"#;

const GREETING: &str = r#"tree hello "Call opening"
  start: hi

node hi "Hi"
  say "Thanks for calling."
  return
"#;

fn app(folder: MemoryFolder, calls: &MemoryCalls, theme: Theme) -> Harness<'static, DesktopApp> {
    let settings = Settings {
        mode: Mode::Agent,
        theme,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(calls.clone()),
        Rc::new(|| 1_767_225_600_000),
        settings,
    )
    .unwrap();
    app.agent.time_zone = jiff::tz::TimeZone::UTC;
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    harness
        .ctx
        .all_styles_mut(|style| style.visuals.text_cursor.blink = false);
    harness.run();
    harness
}

fn folder() -> MemoryFolder {
    MemoryFolder::new([("quote.tree", QUOTE), ("hello.tree", GREETING)])
}

/// Starts the quote script and fills the first step, leaving the option step on screen.
fn to_offer(harness: &mut Harness<'static, DesktopApp>) {
    harness.get_by_label("Search").type_text("quote");
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    harness.event(egui::Event::Text("Jo Smith".into()));
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    harness.event(egui::Event::Text("X100".into()));
    harness.run();
}

#[test]
fn the_picker_lists_scripts_with_what_they_are_for_and_never_a_sub_tree() {
    let calls = MemoryCalls::new();
    let harness = app(folder(), &calls, Theme::Light);
    assert!(harness.query_by_label("Repair quote").is_some());
    assert!(
        harness
            .query_by_label_contains("Quote a repair for a device out of warranty")
            .is_some()
    );
    assert!(
        harness.query_by_label("Call opening").is_none(),
        "a sub-tree is not a script"
    );
}

#[test]
fn an_unfinished_call_shows_when_it_started_where_it_stopped_and_who_called_and_enter_resumes_it() {
    let calls = MemoryCalls::new();
    {
        let mut harness = app(folder(), &calls, Theme::Light);
        to_offer(&mut harness);
        harness.key_press(Key::Enter);
        harness.run();
        // The app goes away here: a crash.
    }
    let mut harness = app(folder(), &calls, Theme::Light);
    assert!(
        harness
            .query_by_label_contains("Resume: Repair quote — at “Offer”")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("started 00:00 (0s ago), 0s long · Caller's name: Jo Smith")
            .is_some()
    );
    harness.snapshot("agent_resume");
    harness.key_press(Key::Enter);
    harness.run();
    assert!(matches!(harness.state().agent.screen, Screen::Call(_)));
    assert!(harness.query_by_label("Shall I send a quote?").is_some());
}

#[test]
fn a_log_whose_tree_is_gone_is_explained_and_can_be_set_aside() {
    let calls = MemoryCalls::new();
    let other = Project::single(
        "gone.tree",
        "tree gone \"Gone\"\n  start: a\n\nnode a \"A\"\n  say \"x\"\n  end resolved\n",
    );
    let id = other.tree_by_name("gone").unwrap();
    let started = calltree_engine::Session::start(&other, id, Audience::Agent, 1).unwrap();
    let mut store = calls.clone();
    store.begin(&started.log()[0]).unwrap();
    let mut harness = app(folder(), &calls, Theme::Light);
    assert!(
        harness
            .query_by_label_contains("there is no tree called `gone`")
            .is_some()
    );
    harness.get_by_label("Set aside: gone").click();
    harness.run();
    assert!(calls.clone().unfinished().unwrap().is_empty());
}

#[test]
fn a_failing_disk_is_a_warning_that_stays_while_the_call_goes_on_and_nothing_is_lost() {
    let calls = MemoryCalls::new();
    let mut harness = app(folder(), &calls, Theme::Light);
    to_offer(&mut harness);
    calls.fail_writes(true);
    harness.key_press(Key::Enter);
    harness.run();
    assert!(
        harness.query_by_label("Shall I send a quote?").is_some(),
        "the call goes on"
    );
    assert!(
        harness
            .query_by_label_contains("not saved to disk yet")
            .is_some()
    );
    harness.snapshot("agent_disk_failing");
    let id = calls.call_ids().pop().unwrap();
    assert_eq!(calls.events(&id).len(), 1);
    calls.fail_writes(false);
    // The app retries on its own; a moment later everything is on disk.
    for _ in 0..3 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let Screen::Call(call) = &mut harness.state_mut().agent.screen else {
        panic!("on a call");
    };
    call.call.flush().unwrap();
    let stored = calls.events(&id);
    assert_eq!(stored, call.call.session().log());
    assert_eq!(stored.len(), 4);
}

#[test]
fn with_no_calls_folder_agent_mode_says_why_and_starts_no_call() {
    let calls = MemoryCalls::new();
    let mut harness = app(folder(), &calls, Theme::Light);
    harness.state_mut().agent.calls_problem = Some("permission denied".into());
    harness.run();
    assert!(
        harness
            .query_by_label("Calls cannot be kept on this computer: permission denied")
            .is_some()
    );
    harness.key_press(Key::Enter);
    harness.run();
    assert!(matches!(harness.state().agent.screen, Screen::Picker(_)));
    assert!(calls.call_ids().is_empty());
}

#[test]
fn a_script_saved_with_errors_is_not_run_and_the_clean_version_keeps_serving() {
    let calls = MemoryCalls::new();
    let folder = folder();
    let mut harness = app(folder.clone(), &calls, Theme::Light);
    // An author's autosave lands with a half-typed line.
    folder.put(
        "quote.tree",
        &QUOTE.replace("say \"No problem.\"", "say \"No problem."),
    );
    // The app looks at the disk every second; here, at once.
    harness
        .state_mut()
        .author
        .documents
        .look_at_disk(1_767_225_700_000);
    harness.state_mut().set_mode(Mode::Agent);
    harness.run();
    assert!(
        harness
            .query_by_label_contains("quote.tree has an error on line 26")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("agents keep the version saved before it")
            .is_some()
    );
    to_offer(&mut harness);
    harness.key_press(Key::Enter);
    harness.run();
    harness.get_by_label("3  No thanks").click();
    harness.run();
    assert!(
        harness.query_by_label("No problem.").is_some(),
        "the clean version ran"
    );
}

#[test]
fn a_fifty_thousand_event_call_resumes() {
    let calls = MemoryCalls::new();
    let project = std::sync::Arc::new(Project::single("quote.tree", QUOTE));
    let tree = project.tree_by_name("quote").unwrap();
    let mut call = Call::start(project, tree, Audience::Agent, 1, calls.clone()).unwrap();
    let notes: Vec<Event> = (0..50_000)
        .map(|n| Event::Noted {
            text: format!("note {n}"),
            at: 2 + n,
        })
        .collect();
    let id = call.id().to_owned();
    call.store_mut().append(&id, 1, &notes).unwrap();
    drop(call);
    let mut harness = app(folder(), &calls, Theme::Light);
    harness
        .get_by_label_contains("Resume: Repair quote")
        .click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Which device is it")
            .is_some()
    );
}

/// The largest contrast between any pixel of a widget and the colour most of it is: for a
/// label, its glyphs against its background, as drawn.
fn drawn_contrast(image: &image::RgbaImage, rect: egui::Rect) -> (f64, Color32, Color32) {
    let mut counts = std::collections::HashMap::new();
    let mut pixels = Vec::new();
    for y in rect.min.y.ceil() as u32..rect.max.y.floor() as u32 {
        for x in rect.min.x.ceil() as u32..rect.max.x.floor() as u32 {
            let p = image.get_pixel(x, y).0;
            let color = Color32::from_rgb(p[0], p[1], p[2]);
            *counts.entry(color).or_insert(0usize) += 1;
            pixels.push(color);
        }
    }
    let background = counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0;
    let (ratio, ink) = pixels
        .into_iter()
        .map(|p| (contrast(p, background), p))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    (ratio, ink, background)
}

/// The contrast of a text box's border with the panel just outside it.
fn border_contrast(image: &image::RgbaImage, rect: egui::Rect) -> f64 {
    let y = rect.center().y as u32;
    let outside = image.get_pixel(rect.min.x as u32 - 4, y).0;
    let outside = Color32::from_rgb(outside[0], outside[1], outside[2]);
    (0..3)
        .map(|dx| {
            let p = image.get_pixel(rect.min.x as u32 + dx, y).0;
            contrast(Color32::from_rgb(p[0], p[1], p[2]), outside)
        })
        .fold(1.0, f64::max)
}

/// Measures, in the rendered call screen of one theme, the contrast of each kind of text and
/// of a text box's border; prints a table row for each (docs/desktop.md lists them).
fn measure(theme: Theme, name: &str) {
    let mut table = Vec::new();
    let calls = MemoryCalls::new();
    let mut harness = app(folder(), &calls, theme);
    to_offer(&mut harness);
    // Empty the model box so the refusal shows beside it.
    harness.get_by_label("Device model *").focus();
    harness.run();
    for _ in 0..4 {
        harness.key_press(Key::Backspace);
    }
    harness.run();
    harness.get_by_label("Continue Enter").click();
    harness.run();
    harness.snapshot(format!("agent_call_{name}"));
    let image = harness.render().unwrap();
    let texts = [
        (
            "line to say",
            "Which device is it, and who am I speaking to?",
        ),
        (
            "agent guidance",
            "Never ask for the account password or full card details.",
        ),
        ("field label", "Caller's name *"),
        (
            "refusal beside a field",
            "an answer is needed before moving on",
        ),
        ("weak text (side panel)", "Nothing yet"),
        ("button", "Note Ctrl+N"),
    ];
    for (what, label) in texts {
        let node = harness.get_by_label_contains(label);
        let (ratio, ink, background) = drawn_contrast(&image, node.rect());
        assert!(
            ratio >= 4.5,
            "{name}: {what} {ratio:.2}:1 ({ink:?} on {background:?})"
        );
        table.push(format!("| {name} | {what} | {ratio:.1}:1 |"));
    }
    let input = harness.get_by_label("Caller's name *");
    let ratio = border_contrast(&image, input.rect());
    assert!(ratio >= 3.0, "{name}: text box border {ratio:.2}:1");
    table.push(format!("| {name} | text box border | {ratio:.1}:1 |"));
    println!("{}", table.join("\n"));
}

#[test]
fn every_text_and_input_border_passes_wcag_aa_as_drawn_in_the_light_theme() {
    measure(Theme::Light, "light");
}

#[test]
fn every_text_and_input_border_passes_wcag_aa_as_drawn_in_the_dark_theme() {
    measure(Theme::Dark, "dark");
}
