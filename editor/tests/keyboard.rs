//! Agent mode with the keyboard alone, as an agent on a live call uses it: every bundled script
//! walked from the search box to its end without the mouse (the keystrokes counted for
//! docs/desktop.md), and each key of the call screen doing what its button says.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use calltree_calls::MemoryCalls;
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Screen, Settings, Theme};
use calltree_engine::{EndCause, Event, InputKind, View};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

/// Every bundled tree, as the app's folder.
fn bundled() -> MemoryFolder {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees");
    let folder = MemoryFolder::new(std::iter::empty::<(&str, &str)>());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tree") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            folder.put(&name, &std::fs::read_to_string(&path).unwrap());
        }
    }
    folder
}

fn clock() -> calltree_editor::Clock {
    let now = Rc::new(Cell::new(1_767_225_600_000i64));
    Rc::new(move || {
        now.set(now.get() + 1_000);
        now.get()
    })
}

/// The app in agent mode, driven only by key events, counting every keystroke.
struct Agent {
    harness: Harness<'static, DesktopApp>,
    keys: usize,
}

impl Agent {
    fn new(folder: MemoryFolder, calls: &MemoryCalls) -> Agent {
        Agent::with_clock(folder, calls, clock())
    }

    fn with_clock(
        folder: MemoryFolder,
        calls: &MemoryCalls,
        clock: calltree_editor::Clock,
    ) -> Agent {
        let settings = Settings {
            mode: Mode::Agent,
            theme: Theme::Light,
            ..Settings::default()
        };
        let app =
            DesktopApp::new(Box::new(folder), Box::new(calls.clone()), clock, settings).unwrap();
        let mut harness = Harness::builder()
            .with_max_steps(32)
            .with_size(egui::vec2(1280.0, 800.0))
            .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
        harness
            .ctx
            .all_styles_mut(|style| style.visuals.text_cursor.blink = false);
        harness.run();
        Agent { harness, keys: 0 }
    }

    fn press(&mut self, key: Key) {
        self.press_with(Modifiers::NONE, key);
    }

    fn press_with(&mut self, modifiers: Modifiers, key: Key) {
        self.harness.key_press_modifiers(modifiers, key);
        self.harness.run();
        self.keys += 1;
    }

    fn type_text(&mut self, text: &str) {
        self.harness.event(egui::Event::Text(text.to_owned()));
        self.harness.run();
        self.keys += text.chars().count();
    }

    fn digit(&mut self, number: usize) {
        let digits = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
            Key::Num8,
            Key::Num9,
        ];
        self.press(digits[number - 1]);
    }

    /// The step on screen, as the agent reads it.
    fn view(&self) -> Option<View> {
        match &self.harness.state().agent.screen {
            Screen::Call(call) => Some(call.call.view()),
            Screen::Picker(_) => None,
        }
    }

    fn events(calls: &MemoryCalls) -> Vec<Event> {
        calls.events(&calls.call_ids().pop().unwrap())
    }
}

/// A valid answer for a bundled field, as an agent would type it.
fn answer(name: &str, input: &InputKind) -> String {
    let by_name = match name {
        "account" => "12345678",
        "postcode" => "SW1A 1AA",
        "login_email" | "email" => "jo@example.com",
        "mobile" => "07123456789",
        "invoice_number" => "INV-1234567",
        "case_reference" => "CS-123456",
        "callback_phone" => "01234567890",
        "invoice_total" => "120",
        "disputed_amount" => "20",
        "arrangement_months" => "3",
        "nps" => "9",
        "speed_down" => "50",
        "asset_tag" => "PR-12345",
        "order_number" => "ORD-123456",
        "refund_amount" => "40",
        _ => "",
    };
    if !by_name.is_empty() {
        return by_name.to_owned();
    }
    match input {
        InputKind::Number { min, .. } => min.map_or("1".to_owned(), |m| m.max(1.0).to_string()),
        InputKind::Rating { max, .. } => max.to_string(),
        InputKind::Date => "2026-12-10".to_owned(),
        _ => "Jo Smith".to_owned(),
    }
}

/// Walks a call to its end with the keyboard: each field answered (a choice by its number),
/// then the first option not taken before (so loops are left), or Continue.
fn walk(agent: &mut Agent) -> bool {
    let mut chosen: HashSet<(String, u16)> = HashSet::new();
    for _ in 0..80 {
        let Some(view) = agent.view() else {
            return false;
        };
        if view.ended.is_some() {
            return true;
        }
        for field in &view.fields {
            match &field.input {
                InputKind::Choice { .. } | InputKind::YesNo => {
                    if field.value.is_none() {
                        agent.digit(1);
                    }
                }
                input => {
                    if field.value.is_none() {
                        agent.type_text(&answer(&field.name, input));
                    }
                }
            }
            if view.fields.last() != Some(field) || !view.options.is_empty() {
                agent.press(Key::Enter);
            }
        }
        if view.options.is_empty() {
            if view.fields.is_empty() {
                agent.press(Key::Enter);
            } else {
                // Enter on the last field continued.
                agent.press(Key::Enter);
            }
            continue;
        }
        let enabled: Vec<_> = agent
            .view()
            .unwrap()
            .options
            .into_iter()
            .filter(|o| o.enabled)
            .collect();
        let option = enabled
            .iter()
            .find(|o| !chosen.contains(&(view.node.clone(), o.index)))
            .or(enabled.last())
            .unwrap()
            .clone();
        chosen.insert((view.node.clone(), option.index));
        agent.digit(usize::from(option.key.unwrap()));
    }
    false
}

/// Keystrokes for each bundled script walked to its end (search, start, every answer and
/// choice); docs/desktop.md lists them.
const WALKS: [(&str, &str, usize); 8] = [
    ("internet", "internet_down", 31),
    ("printer", "printer_troubleshooting", 54),
    ("billing", "billing_dispute", 20),
    ("password", "password_reset", 33),
    ("appointment", "appointment_outbound", 24),
    ("returns", "returns_refund", 54),
    ("inbound", "inbound_call", 40),
    ("survey", "csat_survey", 34),
];

#[test]
fn every_bundled_script_can_be_walked_to_its_end_with_the_keyboard_alone() {
    let mut counted = Vec::new();
    for (search, tree, expected) in WALKS {
        let calls = MemoryCalls::new();
        let mut agent = Agent::new(bundled(), &calls);
        agent.type_text(search);
        agent.press(Key::Enter);
        assert!(agent.view().is_some(), "{tree}: Enter starts the script");
        assert!(walk(&mut agent), "{tree}: the walk reached an ending");
        let events = Agent::events(&calls);
        assert!(
            matches!(&events[0], Event::Started { tree: t, .. } if t == tree),
            "{tree}"
        );
        counted.push((tree, agent.keys, expected));
    }
    // The counts are documented: a change here is a change for agents, to write down.
    for (tree, keys, expected) in counted {
        assert_eq!(
            keys, expected,
            "{tree}: keystrokes (update docs/desktop.md)"
        );
    }
}

const QUOTE: &str = r#"tree quote "Repair quote"
  escalation: "Repairs desk"
  start: device

field account: text "Account number" required pattern "[0-9]{8}"
field model: text "Device model" required
field size: choice(small "Small", large "Large") "Size" required

node device "Device"
  say "Which device is it?"
  agent "Never ask for the account password."
  ask account, model, size
  -> offer

node offer "Offer"
  say "Shall I send a quote?"
  option "Send a quote" -> sent
  option "No thanks" -> declined

node sent "Sent"
  say "The quote is on its way."
  end resolved

node declined "Declined"
  say "No problem."
  end abandoned
"#;

const LOAN: &str = r#"tree loan "Loan device"
  start: details

field account: text "Account number" required pattern "[0-9]{8}"

node details "Details"
  say "Let me check the account for a loan device."
  ask account
  -> done

node done "Done"
  say "A loan device is on its way."
  end resolved
"#;

fn quote_app(calls: &MemoryCalls) -> Agent {
    quote_app_at(calls, clock())
}

/// The quote script started, on a given clock.
fn quote_app_at(calls: &MemoryCalls, clock: calltree_editor::Clock) -> Agent {
    let mut agent = Agent::with_clock(
        MemoryFolder::new([("quote.tree", QUOTE), ("loan.tree", LOAN)]),
        calls,
        clock,
    );
    agent.type_text("quote");
    agent.press(Key::Enter);
    agent
}

fn screen(agent: &Agent) -> &calltree_editor::CallScreen {
    match &agent.harness.state().agent.screen {
        Screen::Call(call) => call,
        Screen::Picker(_) => panic!("not on a call"),
    }
}

#[test]
fn a_step_opens_with_its_first_field_ready_for_typing() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.type_text("12345678");
    assert_eq!(screen(&agent).inputs["account"], "12345678");
    agent.press(Key::Enter);
    agent.type_text("X100");
    assert_eq!(screen(&agent).inputs["model"], "X100");
    // A choice field takes its number.
    agent.press(Key::Enter);
    agent.digit(2);
    assert_eq!(screen(&agent).inputs["size"], "large");
}

#[test]
fn a_refused_continue_says_why_beside_the_field_and_gives_it_the_keyboard() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.type_text("12345678");
    agent.press(Key::Enter);
    // The model is left empty; the size is chosen; Enter on the last field continues.
    agent.press(Key::Enter);
    agent.digit(1);
    agent.press(Key::Enter);
    let call = screen(&agent);
    assert_eq!(call.errors["model"], "an answer is needed before moving on");
    assert_eq!(agent.view().unwrap().node, "device");
    assert!(
        agent
            .harness
            .query_by_label_contains("an answer is needed")
            .is_some()
    );
    // The keyboard is on the refused field: typing fills it.
    agent.type_text("X100");
    assert_eq!(screen(&agent).inputs["model"], "X100");
    agent.press(Key::Enter);
    agent.press(Key::Enter);
    assert_eq!(agent.view().unwrap().node, "offer");
    agent.digit(1);
    assert!(agent.view().unwrap().ended.is_some());
}

#[test]
fn dialogs_confirm_with_enter_take_new_lines_with_shift_enter_and_close_with_escape() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.press_with(Modifiers::COMMAND, Key::N);
    agent.type_text("Caller is in a noisy place.");
    agent.press_with(Modifiers::SHIFT, Key::Enter);
    agent.type_text("Speak up.");
    agent.press(Key::Enter);
    let events = Agent::events(&calls);
    assert!(
        matches!(events.last(), Some(Event::Noted { text, .. }) if text == "Caller is in a noisy place.\nSpeak up."),
        "{events:?}"
    );
    agent.press_with(Modifiers::COMMAND, Key::E);
    agent.type_text("changed my mind");
    agent.press(Key::Escape);
    assert!(screen(&agent).dialog.is_none());
    assert_eq!(Agent::events(&calls).len(), events.len(), "nothing stored");
    // The keyboard went back to the step: typing fills the first field.
    agent.type_text("12345678");
    assert_eq!(screen(&agent).inputs["account"], "12345678");
}

#[test]
fn tab_never_lands_on_the_action_bar_so_enter_never_goes_back() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.type_text("12345678");
    for _ in 0..3 {
        agent.press(Key::Enter);
    }
    agent.press(Key::Tab);
    for _ in 0..12 {
        agent.press(Key::Tab);
        for label in [
            "Back Alt+Left",
            "Note Ctrl+N",
            "Escalate Ctrl+E",
            "End call Esc",
        ] {
            if let Some(button) = agent.harness.query_by_label(label) {
                assert!(
                    !button.accesskit_node().is_focused(),
                    "{label} has the keyboard"
                );
            }
        }
    }
}

#[test]
fn alt_left_and_backspace_go_back_and_skip_says_why_it_is_not_offered() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.type_text("12345678");
    agent.press(Key::Enter);
    agent.type_text("X100");
    agent.press(Key::Enter);
    agent.digit(1);
    agent.press(Key::Enter);
    assert_eq!(agent.view().unwrap().node, "offer");
    agent.press_with(Modifiers::COMMAND, Key::K);
    assert!(
        screen(&agent)
            .message
            .as_deref()
            .is_some_and(|m| m.contains("cannot be skipped")),
        "Skip on a step with options says why"
    );
    agent.press(Key::Backspace);
    assert_eq!(agent.view().unwrap().node, "device");
    agent.press(Key::Enter);
    agent.press(Key::Enter);
    agent.press(Key::Enter);
    assert_eq!(agent.view().unwrap().node, "offer");
    agent.press_with(Modifiers::ALT, Key::ArrowLeft);
    assert_eq!(agent.view().unwrap().node, "device");
}

#[test]
fn escape_ends_a_call_with_its_cause_and_the_finished_call_offers_no_way_back() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.press(Key::Escape);
    assert!(agent.harness.query_by_label("1  Caller hung up").is_some());
    agent.digit(1);
    let events = Agent::events(&calls);
    assert!(
        matches!(
            events.last(),
            Some(Event::Ended {
                cause: EndCause::HungUp,
                ..
            })
        ),
        "{events:?}"
    );
    assert!(
        agent
            .harness
            .query_by_label("Outcome: ended early: the caller hung up")
            .is_some()
    );
    assert!(agent.harness.query_by_label("Back Alt+Left").is_none());
    assert!(calls.is_finished(&calls.call_ids().pop().unwrap()));
}

#[test]
fn the_summary_is_copied_with_a_confirmation_and_a_note_after_the_call_is_kept() {
    let calls = MemoryCalls::new();
    // A clock that stands still: the confirmation shows for a few seconds of real time.
    let mut agent = quote_app_at(&calls, Rc::new(|| 1_767_225_600_000));
    agent.type_text("12345678");
    agent.press(Key::Enter);
    agent.type_text("X100");
    agent.press(Key::Enter);
    agent.digit(1);
    agent.press(Key::Enter);
    agent.digit(1);
    // What reaches the system clipboard is tested with the real window (tests/clipboard.rs).
    agent.press_with(Modifiers::COMMAND, Key::C);
    assert!(
        agent
            .harness
            .query_by_label("Copied: paste it into the CRM")
            .is_some()
    );
    agent.harness.snapshot("agent_finished");

    agent.press_with(Modifiers::COMMAND, Key::N);
    agent.type_text("Customer will call back with the serial.");
    agent.press(Key::Enter);
    let events = Agent::events(&calls);
    assert!(
        matches!(events.last(), Some(Event::Noted { .. })),
        "{events:?}"
    );
    agent.press(Key::Enter);
    assert!(
        agent.view().is_none(),
        "Enter starts a new call from the scripts"
    );
}

#[test]
fn a_wrong_script_hands_its_answers_to_the_next_one() {
    let calls = MemoryCalls::new();
    let mut agent = quote_app(&calls);
    agent.type_text("12345678");
    agent.press(Key::Enter);
    agent.press(Key::Escape);
    agent.digit(2);
    assert!(agent.view().is_none(), "back to the scripts");
    assert!(
        agent
            .harness
            .query_by_label_contains("Wrong script: pick the right one")
            .is_some()
    );
    agent.type_text("loan");
    agent.press(Key::Enter);
    assert_eq!(screen(&agent).inputs["account"], "12345678");
    assert!(
        agent
            .harness
            .query_by_label_contains("Carried over")
            .is_some()
    );
    agent.press(Key::Enter);
    assert!(agent.view().unwrap().ended.is_some());
    let events = Agent::events(&calls);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Answered { value, .. } if value == "12345678"))
    );
}
