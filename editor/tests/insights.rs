//! The Insights view driven headless: KPIs and charts from stored sessions, the graph
//! heat-coloured by traffic, and a step's own figures on a click.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::rc::Rc;

use calltree_calls::{AddSession, CallsError, MemoryCalls, SessionSource};
use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings, Theme};
use calltree_engine::{Event, Project, ReportFilter, synthetic_sessions};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// Seeded synthetic sessions, as if they had been stored by real calls.
struct Stored(Vec<Vec<Event>>);

impl SessionSource for Stored {
    fn describe(&self) -> String {
        format!("{} test sessions", self.0.len())
    }

    fn each_session(
        &mut self,
        _filter: &ReportFilter,
        add: &mut AddSession<'_>,
    ) -> Result<(), CallsError> {
        for (number, events) in self.0.iter().enumerate() {
            add(&format!("s{number}"), events)?;
        }
        Ok(())
    }
}

/// Lets the worker thread finish reading, then settles the frames.
fn read_all(harness: &mut Harness<'_, DesktopApp>) {
    harness.step();
    let waited = std::time::Instant::now();
    while harness.state().insights.is_loading() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "the sessions were never read"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
    harness.run();
}

#[test]
fn insights_show_kpis_charts_and_a_steps_figures() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let project = Project::single("password_reset.tree", text.as_str());
    let tree = project.tree_by_name("password_reset").unwrap();
    let sessions: Vec<Vec<Event>> =
        synthetic_sessions(&project, tree, 300, 11, 1_767_225_600_000).collect();
    let folder = MemoryFolder::new([("password_reset.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        // New widgets and the checker's results each ask for another frame; a busy machine
        // can take a few more than kittest's default of 4 to settle.
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    assert!(harness.query_by_label("from 300 test sessions").is_some());
    assert!(harness.query_by_label("300").is_some(), "the sessions KPI");
    assert!(harness.query_by_label("first-contact resolution").is_some());
    let data = harness.state().insights.data.clone().unwrap();
    let figures = &data.trees["password_reset"].total;
    assert_eq!(figures.sessions.started, 300);

    harness.get_by_label_contains("(welcome)").click();
    harness.run();
    let welcome = &figures.nodes["welcome"];
    let expected = format!(
        "{} visits, {} stopped here",
        welcome.visits, welcome.drop_offs
    );
    assert!(
        harness.query_by_label_contains(&expected).is_some(),
        "the step's figures: {expected}"
    );
    harness.snapshot("insights");

    harness.get_by_label("where sessions stop").click();
    harness.run();
    assert!(harness.state().insights.by_drop_off);
    harness.snapshot("insights_drop_off");
}

#[test]
fn insights_split_the_outcomes_by_language() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let project = Project::single("password_reset.tree", text.as_str());
    let tree = project.tree_by_name("password_reset").unwrap();
    let mut sessions: Vec<Vec<Event>> =
        synthetic_sessions(&project, tree, 40, 11, 1_767_225_600_000).collect();
    // Every fourth session was shown in French.
    for events in sessions.iter_mut().step_by(4) {
        if let Some(Event::Started { locale, .. }) = events.first_mut() {
            *locale = Some(Box::new("fr".to_owned()));
        }
    }
    let folder = MemoryFolder::new([("password_reset.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    assert!(harness.query_by_label("By language").is_some());
    assert!(harness.query_by_label("tree's own words").is_some());
    assert!(harness.query_by_label("fr").is_some());
    let data = harness.state().insights.data.clone().unwrap();
    let languages = &data.trees["password_reset"].languages;
    assert_eq!(languages.len(), 2);
    assert_eq!(languages[0].sessions.started, 30);
    assert_eq!(languages[1].locale.as_deref(), Some("fr"));
    assert_eq!(languages[1].sessions.started, 10);
}

/// Sessions that are handed over only as the test lets them: the reading stops part way, as
/// a slow disk makes it, so the screen can be seen meanwhile.
struct Gated {
    sessions: Vec<Vec<Event>>,
    gate: std::sync::mpsc::Receiver<()>,
}

impl SessionSource for Gated {
    fn describe(&self) -> String {
        format!("{} test sessions", self.sessions.len())
    }

    fn count(&mut self, _filter: &ReportFilter) -> Result<Option<u64>, CallsError> {
        Ok(Some(self.sessions.len() as u64))
    }

    fn each_session(
        &mut self,
        _filter: &ReportFilter,
        add: &mut AddSession<'_>,
    ) -> Result<(), CallsError> {
        for (number, events) in self.sessions.iter().enumerate() {
            if number == 120 {
                // The test drops its sender to let the rest through.
                let _ = self.gate.recv();
            }
            add(&format!("s{number}"), events)?;
        }
        Ok(())
    }
}

/// Issue 19: reading happens on a worker thread; the window keeps drawing frames and says how
/// far the reading has come, and the figures appear when it ends.
#[test]
fn sessions_are_read_on_a_worker_while_the_view_shows_progress() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let project = Project::single("password_reset.tree", text.as_str());
    let tree = project.tree_by_name("password_reset").unwrap();
    let sessions: Vec<Vec<Event>> =
        synthetic_sessions(&project, tree, 300, 11, 1_767_225_600_000).collect();
    let (open, gate) = std::sync::mpsc::channel::<()>();
    let folder = MemoryFolder::new([("password_reset.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(Gated { sessions, gate }));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    let waited = std::time::Instant::now();
    while harness
        .query_by_label_contains("Reading 120 of 300 stored sessions")
        .is_none()
    {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "no progress was shown"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
    assert!(harness.state().insights.is_loading());
    assert!(harness.state().insights.data.is_none());
    harness.snapshot("insights_loading");
    drop(open);
    read_all(&mut harness);
    assert!(!harness.state().insights.is_loading());
    assert_eq!(
        harness.state().insights.data.as_ref().unwrap().trees["password_reset"]
            .total
            .sessions
            .started,
        300
    );
    assert!(harness.state().sessions.is_some(), "the source came back");
}

/// Issue 19: a date range filters every figure. 300 sessions on 2026-01-01 and 100 on
/// 2026-02-10; on 2026-02-12 the last 7 days hold only the second batch.
#[test]
fn a_date_range_filters_every_figure() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let project = Project::single("password_reset.tree", text.as_str());
    let tree = project.tree_by_name("password_reset").unwrap();
    let day = 86_400_000;
    let january = 1_767_225_600_000;
    let mut sessions: Vec<Vec<Event>> =
        synthetic_sessions(&project, tree, 300, 11, january).collect();
    sessions.extend(synthetic_sessions(
        &project,
        tree,
        100,
        12,
        january + 40 * day,
    ));
    let folder = MemoryFolder::new([("password_reset.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(move || january + 42 * day + 3_600_000),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    let started = |harness: &Harness<'_, DesktopApp>| {
        harness.state().insights.data.as_ref().unwrap().trees["password_reset"]
            .total
            .sessions
            .started
    };
    assert_eq!(started(&harness), 400);

    harness.get_by_label("Last 7 days").click();
    read_all(&mut harness);
    assert_eq!(started(&harness), 100);
    assert!(harness.query_by_label("100").is_some(), "the sessions KPI");
    assert!(
        harness
            .query_by_label_contains("Sessions started 2026-02-06 to 2026-02-12")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("300 other sessions")
            .is_some()
    );
    harness.snapshot("insights_last_7_days");

    harness.state_mut().insights.from_text = "2026-01-01".into();
    harness.state_mut().insights.to_text = "2026-01-01".into();
    harness.get_by_label("Show these days").click();
    read_all(&mut harness);
    assert_eq!(started(&harness), 300);

    harness.state_mut().insights.from_text = "2026-13-01".into();
    harness.get_by_label("Show these days").click();
    harness.run();
    assert!(harness.query_by_label_contains("is not a day").is_some());
    assert_eq!(started(&harness), 300, "a bad day changes nothing");

    harness.state_mut().insights.from_text = "2025-06-01".into();
    harness.state_mut().insights.to_text = "2025-06-30".into();
    harness.get_by_label("Show these days").click();
    read_all(&mut harness);
    assert!(
        harness
            .query_by_label_contains("No session of this tree started on these days")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("400 other sessions")
            .is_some()
    );
    assert_eq!(
        harness.state().insights.tree.as_deref(),
        Some("password_reset"),
        "the tree stays chosen"
    );
    harness.snapshot("insights_no_sessions_on_these_days");
    harness.get_by_label("All").click();
    read_all(&mut harness);
    assert_eq!(started(&harness), 400);
}

/// Issue 19: before and after an edit of a tree. Version 1.0's sessions and 1.1's (the
/// recovery step reworded, the version line moved on) side by side: outcomes of each and
/// the drop-off at the changed step, by its title.
#[test]
fn two_versions_side_by_side() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let edited = text
        .replace("version: \"1.0\"", "version: \"1.1\"")
        .replace(
            "Can you get to one of those right now?",
            "Do you have your phone or that mailbox with you?",
        );
    assert_ne!(edited, text);
    let old = std::sync::Arc::new(Project::single("password_reset.tree", text.as_str()));
    let new = Project::single("password_reset.tree", edited.as_str());
    let january = 1_767_225_600_000;
    let old_tree = old.tree_by_name("password_reset").unwrap();
    let new_tree = new.tree_by_name("password_reset").unwrap();
    let mut sessions: Vec<Vec<Event>> =
        synthetic_sessions(&old, old_tree, 200, 11, january).collect();
    sessions.extend(synthetic_sessions(
        &new,
        new_tree,
        150,
        12,
        january + 9 * 86_400_000,
    ));
    let folder = MemoryFolder::new([("password_reset.tree", edited.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    // The old version's trees, as the session database would rebuild them.
    app.versions.add(&old);
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    harness.get_by_label("Compare versions (2)").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Drop-off at the changed steps")
            .is_some()
    );
    assert!(
        harness.query_by_label("Recovery details").is_some(),
        "by title"
    );
    assert!(harness.query_by_label("edited").is_some());
    assert!(
        harness
            .query_by_label_contains("Before: 200 sessions")
            .is_some()
    );
    assert_eq!(
        harness
            .query_all_by_label("first-contact resolution")
            .count(),
        2,
        "the card and the comparison's row"
    );
    harness.snapshot("insights_compare");
}

/// Issue 19: any chart's data saves as CSV: the chart's button, a path, Save. The file is the
/// engine's table, steps by title.
#[test]
fn a_charts_data_saves_as_csv() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../trees/password_reset.tree"),
    )
    .unwrap();
    let project = Project::single("password_reset.tree", text.as_str());
    let tree = project.tree_by_name("password_reset").unwrap();
    let sessions: Vec<Vec<Event>> =
        synthetic_sessions(&project, tree, 300, 11, 1_767_225_600_000).collect();
    let folder = MemoryFolder::new([("password_reset.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    // A fixed folder for the picture; the file is then saved to a temporary one.
    app.insights.export_folder = "/home/lead".into();
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    // The second chart button is the slowest steps'.
    harness.get_all_by_label("CSV").nth(1).unwrap().click();
    harness.run();
    harness.snapshot("insights_export");
    harness.get_by_label("Close").click();
    harness.run();
    harness.state_mut().insights.export_folder = out.path().to_path_buf();
    harness.get_all_by_label("CSV").nth(1).unwrap().click();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    let path = out.path().join("password_reset-slowest_steps.csv");
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(
        csv.starts_with("step,id,times measured,median (ms),p90 (ms)\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\r\nPossible account takeover,compromise_check,"),
        "{csv}"
    );
    assert!(harness.query_by_label_contains("Saved ").is_some());

    harness
        .state_mut()
        .insights
        .export_folder
        .clone_from(&out.path().join("missing"));
    harness.get_by_label("Close").click();
    harness.run();
    harness.get_all_by_label("CSV").next().unwrap().click();
    harness.run();
    harness.get_by_label("Save").click();
    harness.run();
    assert!(harness.query_by_label_contains("Not saved").is_some());
}

/// Every chart of a tree with feedback, in a window tall enough to see them all: ratings per
/// value, the average rating per day (sessions on four days), the latest comments.
#[test]
fn every_chart_of_a_tree_with_feedback() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../trees/printer_troubleshooting.tree"),
    )
    .unwrap();
    let project = Project::single("printer_troubleshooting.tree", text.as_str());
    let tree = project.tree_by_name("printer_troubleshooting").unwrap();
    let january = 1_767_225_600_000;
    let sessions: Vec<Vec<Event>> = (0..4)
        .flat_map(|day| {
            synthetic_sessions(
                &project,
                tree,
                120,
                20 + day,
                january + day as i64 * 86_400_000,
            )
        })
        .collect();
    let folder = MemoryFolder::new([("printer_troubleshooting.tree", text.as_str())]);
    let settings = Settings {
        mode: Mode::Insights,
        theme: Theme::Light,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(folder),
        Box::new(MemoryCalls::new()),
        Rc::new(|| 1_000),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(Stored(sessions)));
    let mut harness = Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 1800.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    read_all(&mut harness);
    for heading in [
        "Outcomes (sessions)",
        "Most common paths (sessions)",
        "Latest comments",
        "Ratings: score (answers per rating)",
    ] {
        assert!(harness.query_by_label(heading).is_some(), "{heading}");
    }
    assert!(
        harness
            .query_by_label_contains("Average score by day")
            .is_some()
    );
    harness.snapshot("insights_feedback");
}
