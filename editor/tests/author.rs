//! Author mode driven through real interactions, headless: typing a mistake and seeing it
//! listed, jumping from problems and graph nodes to the text, the preview replaying after an
//! edit, tests and coverage, a new tree, renaming, and files that survive crashes and
//! changes made by other programs.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::cell::Cell;
use std::rc::Rc;

use calltree_editor::author::SideTab;
use calltree_editor::{Clock, DesktopApp, MemoryFolder, Mode, Settings, Theme, TreeFolder as _};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const WARRANTY: &str = r#"tree warranty "Warranty check"
  audience: agent, customer
  start: ask_age

field age: number "Age in months" required range 0..120

node ask_age "Device age"
  say "How old is the device?"
  ask age
  option "Under warranty" -> covered when age < 12
  option "Out of warranty" -> paid

node covered "Covered"
  say "Good news: the repair is covered."
  end resolved code "W-OK"

node paid "Paid repair"
  say "The repair will be charged."
  -> quote

node quote "Quote"
  say "Shall I send a quote?"
  option "Yes, send a quote" -> sent
  option "No thanks" -> declined

node sent "Quote sent"
  say "The quote is on its way."
  end resolved code "W-QUOTE"

node declined "Declined"
  say "No problem."
  end abandoned

test "an old device gets a quote"
  answer age 30
  choose "Out of warranty"
  choose "Yes, send a quote"
  expect end resolved
"#;

/// A clock the test moves by hand, so autosave and the disk check happen when it says.
struct TestClock(Rc<Cell<i64>>);

impl TestClock {
    fn new() -> Self {
        TestClock(Rc::new(Cell::new(1_000_000)))
    }

    fn clock(&self) -> Clock {
        let now = Rc::clone(&self.0);
        Rc::new(move || now.get())
    }

    fn advance(&self, millis: i64) {
        self.0.set(self.0.get() + millis);
    }
}

fn app(folder: &MemoryFolder, clock: &TestClock) -> Harness<'static, DesktopApp> {
    let settings = Settings {
        mode: Mode::Author,
        theme: Theme::Light,
        ..Settings::default()
    };
    let app = DesktopApp::new(
        Box::new(folder.clone()),
        Box::new(calltree_calls::MemoryCalls::new()),
        clock.clock(),
        settings,
    )
    .unwrap();
    let mut harness = Harness::builder()
        // New widgets and the checker's results each ask for another frame; a busy machine
        // can take a few more than kittest's default of 4 to settle.
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    // A blinking cursor would make snapshots depend on how many frames a test took.
    harness
        .ctx
        .all_styles_mut(|style| style.visuals.text_cursor.blink = false);
    settle(&mut harness);
    harness
}

/// Lets the checker catch up with the text, then draws what it found.
fn settle(harness: &mut Harness<'static, DesktopApp>) {
    harness.run();
    harness.state_mut().author.settle();
    harness.run();
}

fn warranty() -> MemoryFolder {
    MemoryFolder::new([("warranty.tree", WARRANTY)])
}

/// Puts the editor's cursor before `needle`, as clicking in the text would.
fn cursor_before(harness: &mut Harness<'static, DesktopApp>, needle: &str) {
    let text = harness.state().author.documents.docs[0].text.clone();
    let offset = text.find(needle).unwrap();
    harness
        .state_mut()
        .author
        .jump_to("warranty.tree", offset..offset);
    harness.run();
}

/// Types into whatever has the keyboard, as a person at the keyboard would.
fn type_keys(harness: &mut Harness<'static, DesktopApp>, text: &str) {
    harness.event(egui::Event::Text(text.to_owned()));
    harness.run();
}

fn text(harness: &Harness<'static, DesktopApp>) -> String {
    harness.state().author.documents.docs[0].text.clone()
}

#[test]
fn a_typed_mistake_is_listed_at_once_and_fixing_it_clears_it() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    assert!(harness.query_by_label("No problems.").is_some());
    harness.snapshot("author_clean");

    cursor_before(&mut harness, "node covered");
    harness
        .get_by_label("Editing warranty.tree")
        .type_text("nod broken\n");
    settle(&mut harness);
    let line = WARRANTY[..WARRANTY.find("node covered").unwrap()]
        .lines()
        .count()
        + 1;
    let listed = format!("warranty.tree:{line}:1  E102");
    assert!(
        harness.query_by_label_contains(&listed).is_some(),
        "the problems list shows {listed}"
    );
    // The graph and preview keep the last text that parsed.
    assert!(
        harness
            .query_by_label_contains("Showing the last version that parsed")
            .is_some()
    );
    harness.snapshot("author_problem");

    for _ in 0.."nod broken\n".len() {
        harness.key_press(Key::Backspace);
    }
    settle(&mut harness);
    assert_eq!(text(&harness), WARRANTY);
    assert!(harness.query_by_label("No problems.").is_some());
}

#[test]
fn clicking_a_problem_puts_the_cursor_on_its_line() {
    let clock = TestClock::new();
    let broken = WARRANTY.replace("-> quote", "-> qoute");
    let folder = MemoryFolder::new([("warranty.tree", broken.as_str())]);
    let mut harness = app(&folder, &clock);
    harness.get_by_label_contains("E2").click();
    harness.run();
    let offset = broken.find("qoute").unwrap();
    assert_eq!(harness.state().author.cursor(), Some(offset));
    // The whole unknown name is selected, so typing replaces it.
    assert_eq!(
        harness.state().author.selection(),
        Some(offset..offset + "qoute".len())
    );
}

#[test]
fn the_preview_plays_the_tree_and_replays_it_after_an_edit() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.get_by_label("Age in months *").focus();
    harness.run();
    harness.get_by_label("Age in months *").type_text("30");
    harness.run();
    harness.get_by_label("2  Out of warranty").click();
    harness.run();
    assert!(
        harness
            .query_by_label("The repair will be charged.")
            .is_some()
    );

    // The author rewords the step the preview is on; the preview stays on it.
    cursor_before(&mut harness, "The repair will be charged.");
    harness
        .get_by_label("Editing warranty.tree")
        .type_text("Sorry: ");
    settle(&mut harness);
    assert!(
        harness
            .query_by_label("Sorry: The repair will be charged.")
            .is_some()
    );
    harness.snapshot("author_preview");
}

#[test]
fn a_graph_node_click_jumps_to_its_text() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.get_by_label("Graph").click();
    harness.run();
    assert_eq!(harness.state().author.side, SideTab::Graph);
    harness.snapshot("author_graph");
    harness.get_by_label("Quote (quote)").click();
    harness.run();
    let offset = WARRANTY.find("node quote").unwrap();
    assert_eq!(harness.state().author.cursor(), Some(offset));
    // The click gave the editor the keyboard, as a click on a problem does.
    assert!(harness.get_by_label("Editing warranty.tree").is_focused());

    // "Show its text" in the node's menu goes there the same way.
    harness
        .get_by_label("Declined (declined)")
        .click_secondary();
    harness.run();
    harness.get_by_label("Show its text").click();
    harness.run();
    let offset = WARRANTY.find("node declined").unwrap();
    assert_eq!(harness.state().author.cursor(), Some(offset));
    assert!(harness.get_by_label("Editing warranty.tree").is_focused());
}

#[test]
fn ctrl_g_finds_a_node_in_the_graph_by_its_name_or_title() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::G);
    harness.run();
    assert_eq!(harness.state().author.side, SideTab::Graph);
    // The search box has the keyboard: the title is typed there, not into the tree.
    type_keys(&mut harness, "declin");
    harness.key_press(Key::Enter);
    harness.run();
    let project = harness.state().author.project().unwrap();
    let tree = project.tree_by_name("warranty").unwrap();
    let declined = project.node_by_name(tree, "declined").unwrap();
    assert_eq!(harness.state().author.graph.found, Some(declined));
    assert_eq!(text(&harness), WARRANTY);
    harness.snapshot("author_graph_go_to_node");
}

/// The names of the nodes the graph draws now.
fn drawn(harness: &Harness<'static, DesktopApp>) -> Vec<String> {
    let graph = &harness.state().author.graph;
    graph
        .drawing
        .as_ref()
        .map(|d| d.nodes.iter().map(|n| n.name.clone()).collect())
        .unwrap_or_default()
}

/// Where the graph's drawing lives in memory: it moves whenever the drawing is made again.
fn drawing_address(harness: &Harness<'static, DesktopApp>) -> *const () {
    let drawing = harness.state().author.graph.drawing.as_ref().unwrap();
    drawing.nodes.as_ptr().cast()
}

/// Issue 19: a check result used to lay the graph out again whatever it changed (8 to 10 ms a
/// keystroke on a 5,000-node tree). Now the drawing is made again only when something it
/// shows changes: a title does, a line the node says does not. And it is laid out on the
/// checker thread, not in a frame (20 to 45 ms of one for 5,000 nodes).
#[test]
fn the_graph_is_drawn_again_only_when_an_edit_changes_what_it_shows() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.get_by_label("Graph").click();
    harness.run();
    let before = drawing_address(&harness);
    // The whole tree came laid out from the checker thread, not from a frame.
    assert_eq!(harness.state().author.graph.laid_out_here, 0);
    let project = std::sync::Arc::clone(harness.state().author.good_project().unwrap());

    cursor_before(&mut harness, "the repair is covered");
    type_keys(&mut harness, "so ");
    settle(&mut harness);
    assert!(harness.state().author.is_checked());
    let rechecked = harness.state().author.good_project().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&project, rechecked), "a new check");
    assert_eq!(drawing_address(&harness), before, "nothing drawn changed");

    cursor_before(&mut harness, "Covered\"");
    type_keys(&mut harness, "All ");
    settle(&mut harness);
    assert_ne!(drawing_address(&harness), before, "a title changed");
    assert!(harness.query_by_label("All Covered (covered)").is_some());
    assert_eq!(harness.state().author.graph.laid_out_here, 0);
}

#[test]
fn a_branch_folds_away_and_focus_shows_only_the_steps_around_a_node() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.get_by_label("Graph").click();
    harness.run();
    assert_eq!(drawn(&harness).len(), 6);

    // From the node's menu: the quote and both its endings fold under "Paid repair"; the
    // covered ending stays, since the start reaches it another way.
    harness.get_by_label("Paid repair (paid)").click_secondary();
    harness.run();
    harness.get_by_label("Fold its branch away (-)").click();
    harness.run();
    assert_eq!(drawn(&harness), ["ask_age", "covered", "paid"]);
    // A fold is laid out here, in the frame: the checker draws only whole trees.
    assert_eq!(harness.state().author.graph.laid_out_here, 1);
    harness.snapshot("author_graph_folded");

    // With the keyboard: + on the folded node brings its branch back, - folds it again.
    harness
        .get_by_label("Paid repair (paid), 3 folded away")
        .focus();
    harness.run();
    harness.key_press(Key::Plus);
    harness.run();
    assert_eq!(drawn(&harness).len(), 6);
    harness.get_by_label("Paid repair (paid)").focus();
    harness.run();
    harness.key_press(Key::Minus);
    harness.run();
    assert_eq!(drawn(&harness).len(), 3);
    harness.get_by_label("Unfold all (1)").click();
    harness.run();
    assert_eq!(drawn(&harness).len(), 6);

    // F on a node shows only the steps within two of it.
    harness.get_by_label("Declined (declined)").focus();
    harness.run();
    harness.key_press(Key::F);
    harness.run();
    assert_eq!(drawn(&harness), ["paid", "quote", "sent", "declined"]);
    assert_eq!(harness.state().author.graph.focus, Some(2));
    harness.snapshot("author_graph_focus");

    // "Go to node" finds a node outside the focus: the whole tree comes back to show it.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::G);
    harness.run();
    type_keys(&mut harness, "covered");
    harness.key_press(Key::Enter);
    harness.run();
    assert_eq!(drawn(&harness).len(), 6);
    let project = harness.state().author.project().unwrap();
    let tree = project.tree_by_name("warranty").unwrap();
    let covered = project.node_by_name(tree, "covered").unwrap();
    assert_eq!(harness.state().author.graph.found, Some(covered));
    assert_eq!(text(&harness), WARRANTY);
}

#[test]
fn tests_run_and_report_pass_fail_and_coverage() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.get_by_label("Run tests").click();
    settle(&mut harness);
    harness.snapshot("author_tests");
    assert!(harness.query_by_label("1 of 1 tests pass").is_some());
    // The test walks ask_age, paid, quote and sent: 4 of 6 steps, 2 of 4 options.
    assert!(
        harness
            .query_by_label("Coverage of warranty: 67% of steps, 50% of options")
            .is_some()
    );
    harness.get_by_label("covered").click();
    harness.run();
    let offset = WARRANTY.find("node covered").unwrap();
    assert_eq!(harness.state().author.cursor(), Some(offset));
    assert!(harness.get_by_label("Editing warranty.tree").is_focused());
}

#[test]
fn a_new_tree_comes_from_the_template_using_the_keyboard_alone() {
    let clock = TestClock::new();
    let folder = warranty();
    let mut harness = app(&folder, &clock);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.run();
    harness.snapshot("author_new_tree");
    // The id box has the keyboard as soon as the dialog opens; Tab moves to the title and
    // Enter creates the tree.
    type_keys(&mut harness, "wifi_help");
    harness.key_press(Key::Tab);
    harness.run();
    type_keys(&mut harness, "Wi-Fi help");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    let created = folder.text("wifi_help.tree").unwrap();
    assert!(created.contains("tree wifi_help \"Wi-Fi help\""));
    assert_eq!(
        harness.state().author.current.as_deref(),
        Some("wifi_help.tree")
    );
    assert!(harness.query_by_label("No problems.").is_some());
}

#[test]
fn renaming_a_node_changes_every_reference() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    cursor_before(&mut harness, "quote\n\nnode quote");
    harness.key_press(Key::F2);
    harness.run();
    // The old name is selected in the box: typing replaces it.
    type_keys(&mut harness, "estimate");
    harness.get_by_label("Rename").click();
    settle(&mut harness);
    let renamed = text(&harness);
    assert!(renamed.contains("-> estimate\n"), "{renamed}");
    assert!(renamed.contains("node estimate \"Quote\""), "{renamed}");
    assert!(!renamed.contains("quote\n"));
    assert!(harness.query_by_label("No problems.").is_some());
}

#[test]
fn edits_are_saved_after_a_pause_and_a_crash_leaves_a_recovery_copy() {
    let clock = TestClock::new();
    let folder = warranty();
    {
        let mut harness = app(&folder, &clock);
        cursor_before(&mut harness, "node covered");
        harness
            .get_by_label("Editing warranty.tree")
            .type_text("# checked by legal\n");
        harness.run();
        clock.advance(400);
        harness.run();
        assert_eq!(folder.text("warranty.tree").unwrap(), WARRANTY);
        assert!(
            folder
                .recovery("warranty.tree")
                .unwrap()
                .contains("# checked by legal")
        );
        // The app goes away without saving: a crash.
    }
    let mut harness = app(&folder, &clock);
    assert!(
        harness
            .query_by_label_contains("had unsaved changes when calltree last closed")
            .is_some()
    );
    assert!(text(&harness).contains("# checked by legal"));
    harness.get_by_label("Keep restored text").click();
    harness.run();
    assert!(
        folder
            .text("warranty.tree")
            .unwrap()
            .contains("# checked by legal")
    );
    assert!(folder.recovery("warranty.tree").is_none());

    // A plain edit is saved on its own once typing pauses.
    cursor_before(&mut harness, "node paid");
    harness
        .get_by_label("Editing warranty.tree")
        .type_text("# paid repairs\n");
    harness.run();
    clock.advance(2_000);
    harness.run();
    assert!(
        folder
            .text("warranty.tree")
            .unwrap()
            .contains("# paid repairs")
    );
    assert!(harness.query_by_label("All changes saved").is_some());
}

#[test]
fn a_change_made_by_another_program_is_reloaded_or_never_overwritten() {
    let clock = TestClock::new();
    let folder = warranty();
    let mut harness = app(&folder, &clock);
    let theirs = WARRANTY.replace("No problem.", "No problem at all.");
    folder.put("warranty.tree", &theirs);
    clock.advance(1_100);
    settle(&mut harness);
    assert_eq!(
        text(&harness),
        theirs,
        "no edits here: their text is loaded"
    );
    assert!(
        harness
            .query_by_label_contains("was changed by another program and reloaded")
            .is_some()
    );

    // Now with an edit here that is not saved yet.
    cursor_before(&mut harness, "node sent");
    harness
        .get_by_label("Editing warranty.tree")
        .type_text("# mine\n");
    harness.run();
    let newer = theirs.replace("On its way", "on its way");
    folder.put("warranty.tree", &format!("{newer}\n# theirs\n"));
    clock.advance(1_100);
    harness.run();
    assert!(
        harness
            .query_by_label_contains("was changed by another program while you were editing")
            .is_some()
    );
    clock.advance(5_000);
    harness.run();
    assert!(
        folder.text("warranty.tree").unwrap().contains("# theirs"),
        "saving pauses until the author decides"
    );
    harness.get_by_label("Keep my version").click();
    harness.run();
    let saved = folder.text("warranty.tree").unwrap();
    assert!(saved.contains("# mine") && !saved.contains("# theirs"));
}

#[test]
fn ctrl_m_switches_to_agent_mode_with_the_saved_trees() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::M);
    harness.run();
    assert_eq!(harness.state().settings.mode, Mode::Agent);
    assert!(harness.query_by_label("Start a call").is_some());
    assert!(harness.query_by_label("Warranty check").is_some());
}

#[test]
fn the_dark_theme_applies_everywhere() {
    let clock = TestClock::new();
    let mut harness = app(&warranty(), &clock);
    harness.state_mut().settings.theme = Theme::Dark;
    harness.run();
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
    harness.snapshot("author_dark");
}

#[test]
fn memory_folder_reports_what_it_holds() {
    let folder = warranty();
    assert_eq!(folder.list().unwrap(), ["warranty.tree"]);
}

/// The warranty tree with `lines` comment lines before its last node, so a problem in that
/// node is far below the fold.
fn long_warranty_with_a_typo(lines: usize) -> String {
    let filler: String = (0..lines).map(|i| format!("# filler line {i}\n")).collect();
    WARRANTY
        .replace("node declined", &format!("{filler}node declined"))
        .replace("end abandoned", "-> nowhere")
}

#[test]
fn a_pointer_click_on_a_problem_scrolls_to_it_and_gives_the_editor_the_keyboard() {
    let clock = TestClock::new();
    let broken = long_warranty_with_a_typo(300);
    let folder = MemoryFolder::new([("warranty.tree", broken.as_str())]);
    let mut harness = app(&folder, &clock);
    let before = harness.state().author.editor_view();
    let offset = broken.find("nowhere").unwrap();
    let line = broken[..offset].lines().count();
    assert!(
        !(before.first_line..=before.last_line).contains(&line),
        "line {line} starts out of sight: {before:?}"
    );

    // A real pointer click (press and release at the row), not an accessibility action.
    harness.get_by_label_contains("E2").click();
    harness.run();
    assert_eq!(harness.state().author.cursor(), Some(offset));
    let after = harness.state().author.editor_view();
    assert!(after.scroll > before.scroll, "{before:?} then {after:?}");
    assert!(
        (after.first_line..=after.last_line).contains(&line),
        "line {line} is on screen: {after:?}"
    );
    assert!(harness.get_by_label("Editing warranty.tree").is_focused());
    harness.snapshot("author_jump");

    // The unknown name is selected, so what the author types next replaces it.
    type_keys(&mut harness, "typed");
    assert!(
        text(&harness).contains("-> typed\n") && !text(&harness).contains("nowhere"),
        "{}",
        text(&harness)
    );
}

#[test]
fn restored_text_that_does_not_parse_says_so_instead_of_checking_forever() {
    let clock = TestClock::new();
    let folder = warranty();
    folder.put_recovery("warranty.tree", &format!("{WARRANTY}nod half typed\n"));
    let mut harness = app(&folder, &clock);
    assert!(
        harness
            .query_by_label_contains("had unsaved changes when calltree last closed")
            .is_some()
    );
    assert!(harness.query_by_label("Checking…").is_none());
    assert!(
        harness
            .query_by_label_contains("fix the syntax errors under Problems")
            .is_some()
    );
    // Discarding the restored text brings the preview back.
    harness.get_by_label("Discard them").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Age in months *").is_some());
    assert_eq!(folder.recovery("warranty.tree"), None);
}

/// The warranty tree with 3,000 comment lines before its last node: far more than the editor
/// holds at once.
fn big_warranty() -> String {
    let filler: String = (0..3_000).map(|i| format!("# filler line {i}\n")).collect();
    WARRANTY.replace("node declined", &format!("{filler}node declined"))
}

#[test]
fn a_big_file_is_edited_through_a_window_and_undo_takes_each_edit_back() {
    let clock = TestClock::new();
    let big = big_warranty();
    let folder = MemoryFolder::new([("warranty.tree", big.as_str())]);
    let mut harness = app(&folder, &clock);
    // The text edit holds the lines in view and a margin, not the file.
    let held = harness
        .get_by_label("Editing warranty.tree")
        .value()
        .unwrap_or_default();
    assert!(
        !held.is_empty() && held.len() < big.len() / 4,
        "{} of {} bytes",
        held.len(),
        big.len()
    );

    // Far down, then back at the top: each edit lands at its place in the whole file.
    cursor_before(&mut harness, "node declined");
    type_keys(&mut harness, "# far\n");
    let line = big[..big.find("node declined").unwrap()].lines().count() + 1;
    let view = harness.state().author.editor_view();
    assert!(
        (view.first_line..=view.last_line).contains(&line),
        "line {line} is on screen: {view:?}"
    );
    cursor_before(&mut harness, "node covered");
    type_keys(&mut harness, "# near\n");
    let edited = text(&harness);
    assert_eq!(
        edited,
        big.replace("node declined", "# far\nnode declined")
            .replace("node covered", "# near\nnode covered")
    );
    assert_eq!(
        harness.state().author.cursor(),
        Some(edited.find("node covered").unwrap())
    );

    // Undo takes back the edit near the top, then the one far below, whichever lines are
    // in view; redo puts the last one back.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(
        text(&harness),
        big.replace("node declined", "# far\nnode declined")
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(text(&harness), big);
    let view = harness.state().author.editor_view();
    assert!(
        (view.first_line..=view.last_line).contains(&line),
        "undo shows what it took back: line {line}, {view:?}"
    );
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run();
    assert_eq!(
        text(&harness),
        big.replace("node declined", "# far\nnode declined")
    );
}

#[test]
fn typing_after_scrolling_away_goes_to_the_cursor_and_brings_it_back_into_view() {
    let clock = TestClock::new();
    let big = big_warranty();
    let folder = MemoryFolder::new([("warranty.tree", big.as_str())]);
    let mut harness = app(&folder, &clock);
    cursor_before(&mut harness, "node covered");
    let line = big[..big.find("node covered").unwrap()].lines().count() + 1;
    // The wheel, over the text: far below the cursor and the lines the text edit held.
    // The text edit is as tall as the lines it holds, most of them out of sight: the pointer
    // goes to the middle of the window's height, over the text.
    let over_text = egui::pos2(
        harness
            .get_by_label("Editing warranty.tree")
            .rect()
            .center()
            .x,
        400.0,
    );
    harness.event(egui::Event::PointerMoved(over_text));
    for _ in 0..10 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -4_000.0),
            modifiers: Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        harness.run();
    }
    let away = harness.state().author.editor_view();
    assert!(away.first_line > line + 500, "scrolled away: {away:?}");
    type_keys(&mut harness, "# here\n");
    assert_eq!(
        text(&harness),
        big.replace("node covered", "# here\nnode covered")
    );
    let back = harness.state().author.editor_view();
    assert!(
        (back.first_line..=back.last_line).contains(&(line + 1)),
        "line {} is on screen again: {back:?}",
        line + 1
    );
}

#[test]
fn select_all_in_a_big_file_selects_the_whole_file() {
    let clock = TestClock::new();
    let big = big_warranty();
    let folder = MemoryFolder::new([("warranty.tree", big.as_str())]);
    let mut harness = app(&folder, &clock);
    cursor_before(&mut harness, "node paid");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run();
    assert_eq!(harness.state().author.selection(), Some(0..big.len()));
    // Typed over, the whole file goes, not only the lines the editor held; undo brings it back.
    type_keys(&mut harness, "# gone\n");
    assert_eq!(text(&harness), "# gone\n");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run();
    assert_eq!(text(&harness), big);
}
