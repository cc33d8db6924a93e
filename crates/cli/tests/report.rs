//! `calltree report` and `calltree simulate` with the real binary: figures from hand-written
//! logs checked exactly, the same figures from the self-service database, filters, formats,
//! and the errors a team lead can run into.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::path::Path;
use std::process::{Command, Output};

use calltree_engine::{Event, Project};
use calltree_store::Store;
use calltree_syntax::Audience;

const TREE: &str = r#"tree wifi "Wi-Fi"
  audience: agent, customer
  escalation: "Broadband desk"
  start: lights

node lights "Router lights"
  say "Are the lights on your router green or red?"
  option "Green" -> fixed
  option "Red" -> engineer

node fixed "Fixed"
  say "Great, it works again."
  end resolved

node engineer "Engineer"
  say "An engineer will visit."
  end escalated "Field engineers"
"#;

fn calltree(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn started(version: &str, audience: Audience, at: i64) -> Event {
    Event::Started {
        tree: "wifi".into(),
        version: version.into(),
        audience,
        at,
        given: Vec::new(),
        locale: None,
    }
}

fn chose(option: u16, label: &str, at: i64) -> Event {
    Event::Chose {
        option,
        label: label.into(),
        at,
    }
}

/// Four sessions: two resolved (one a customer's), one escalated by the tree, one a
/// customer who asked for a person on the first step.
fn sessions(version: &str) -> Vec<Vec<Event>> {
    vec![
        vec![
            started(version, Audience::Agent, 1_000),
            chose(0, "Green", 31_000),
        ],
        vec![
            started(version, Audience::Customer, 2_000),
            chose(0, "Green", 12_000),
        ],
        vec![
            started(version, Audience::Agent, 3_000),
            chose(1, "Red", 63_000),
        ],
        vec![
            started(version, Audience::Customer, 4_000),
            Event::Escalated {
                reason: "customer asked for a person".into(),
                at: 9_000,
            },
        ],
    ]
}

fn folder() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/wifi.tree"), TREE).unwrap();
    let project = Project::single("wifi.tree", TREE);
    let version = project.session_hash(project.tree_by_name("wifi").unwrap());
    (dir, version)
}

#[test]
fn a_report_from_call_logs_has_the_figures_worked_out_by_hand() {
    let (dir, version) = folder();
    std::fs::create_dir_all(dir.path().join("logs/done")).unwrap();
    for (number, events) in sessions(&version).into_iter().enumerate() {
        let text: String = events
            .iter()
            .map(|e| format!("{}\n", e.to_json_line()))
            .collect();
        std::fs::write(
            dir.path().join(format!("logs/done/call-{number}.jsonl")),
            text,
        )
        .unwrap();
    }
    let output = calltree(dir.path(), &["report", "--logs", "logs"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    // 4 finished: 2 resolved, 2 escalated (one by the tree, one from a step).
    assert!(
        text.contains("sessions: 4 started, 4 finished, 0 unfinished"),
        "{text}"
    );
    assert!(
        text.contains("resolved 2 (50.0%), escalated 2 (50.0%)"),
        "{text}"
    );
    assert!(text.contains("escalated to Field engineers: 1"), "{text}");
    assert!(text.contains("escalated to Broadband desk: 1"), "{text}");
    assert!(
        text.contains("first-contact resolution: 50.0% (2 of 4)"),
        "{text}"
    );
    // Customers: one resolved on their own, one handed over.
    assert!(
        text.contains("self-service containment: 50.0% (1 of 2 customer sessions)"),
        "{text}"
    );
    // Call times 30 s, 10 s, 60 s, 5 s: nearest-rank median is the 2nd of 4, 10 s.
    assert!(
        text.contains("time per call: median 10.0s, p90 1m00s"),
        "{text}"
    );
    assert!(text.contains("1  customer asked for a person"), "{text}");

    let csv = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--format", "csv"],
    ));
    assert!(csv.starts_with("tree,version,measure,item,value\n"));
    assert!(csv.contains("wifi,all,outcome,resolved,2\n"), "{csv}");
    let json = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--format", "json"],
    ));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["trees"]["wifi"]["total"]["outcomes"]["resolved"], 2);

    let later = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--since", "2030-01-01"],
    ));
    assert_eq!(later, "no sessions matched\n");
    let earlier = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--until", "1969-12-31"],
    ));
    assert_eq!(earlier, "no sessions matched\n");
    let chart = stdout(&calltree(
        dir.path(),
        &[
            "report", "--logs", "logs", "--tree", "wifi", "--chart", "outcomes",
        ],
    ));
    assert!(
        chart.starts_with("outcome,sessions,share of finished\r\nresolved,2,0.5000\r\n"),
        "{chart}"
    );
    let unknown = calltree(
        dir.path(),
        &[
            "report", "--logs", "logs", "--tree", "wifi", "--chart", "pies",
        ],
    );
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("the charts of `wifi` are: outcomes,"),
        "{unknown:?}"
    );
    let no_tree = calltree(
        dir.path(),
        &["report", "--logs", "logs", "--chart", "outcomes"],
    );
    assert!(String::from_utf8_lossy(&no_tree.stderr).contains("--chart needs --tree"));
    let through = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--until", "2099-12-31"],
    ));
    assert!(through.contains("resolved 2"), "{through}");
}

#[test]
fn a_report_from_the_self_service_database_counts_the_same() {
    let (dir, version) = folder();
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    store
        .save_version(&version, &[("wifi.tree".to_owned(), TREE.to_owned())])
        .unwrap();
    for events in sessions(&version) {
        let created = store.create_session(&events[0]).unwrap();
        for (seq, event) in events.iter().enumerate().skip(1) {
            store.append(&created.id, seq, event).unwrap();
        }
    }
    drop(store);
    // The trees on disk are not needed: the database keeps each version's text.
    std::fs::remove_dir_all(dir.path().join("trees")).unwrap();
    let output = calltree(
        dir.path(),
        &["report", "--db", "sessions.db", "--tree", "wifi"],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(
        text.contains("resolved 2 (50.0%), escalated 2 (50.0%)"),
        "{text}"
    );
    assert!(
        text.contains("self-service containment: 50.0% (1 of 2 customer sessions)"),
        "{text}"
    );
}

#[test]
fn wrong_sources_and_dates_are_clear_errors() {
    let (dir, _) = folder();
    let neither = calltree(dir.path(), &["report"]);
    assert_eq!(neither.status.code(), Some(2));
    let missing = calltree(dir.path(), &["report", "--db", "none.db"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no session database"));
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let bad = calltree(
        dir.path(),
        &["report", "--logs", "logs", "--since", "23/11/2026"],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("write it as YYYY-MM-DD"));
    let bad_until = calltree(
        dir.path(),
        &["report", "--logs", "logs", "--until", "2026-02-30"],
    );
    assert!(String::from_utf8_lossy(&bad_until.stderr).contains("write it as YYYY-MM-DD"));
}

#[test]
fn simulate_writes_the_same_logs_for_the_same_seed_and_they_report() {
    let (dir, _) = folder();
    for out in ["a", "b"] {
        let output = calltree(
            dir.path(),
            &["simulate", "--sessions", "30", "--seed", "7", "--out", out],
        );
        assert!(output.status.success(), "{output:?}");
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("a/wifi-000029.jsonl"), read("b/wifi-000029.jsonl"));
    let text = stdout(&calltree(dir.path(), &["report", "--logs", "a"]));
    assert!(text.contains("sessions: 30 started"), "{text}");
}

/// A call that went round a loop a thousand times showed its path as one line of a
/// thousand step names; the text report shows its ends and counts the middle.
#[test]
fn a_long_path_is_shown_by_its_ends_and_its_length() {
    const LOOP: &str = "tree again \"Again\"\n  start: ask\n\nnode ask \"Ask\"\n  \
                        say \"Once more?\"\n  option \"Again\" -> ask\n  option \"Done\" -> done\n\n\
                        node done \"Done\"\n  say \"Bye\"\n  end resolved\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("trees")).unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("trees/again.tree"), LOOP).unwrap();
    let project = Project::single("again.tree", LOOP);
    let mut events = vec![Event::Started {
        tree: "again".into(),
        version: project.session_hash(project.tree_by_name("again").unwrap()),
        audience: Audience::Agent,
        at: 0,
        given: Vec::new(),
        locale: None,
    }];
    events.extend((1..=1_000).map(|at| chose(0, "Again", at * 1_000)));
    events.push(chose(1, "Done", 1_001_000));
    let text: String = events
        .iter()
        .map(|e| format!("{}\n", e.to_json_line()))
        .collect();
    std::fs::write(dir.path().join("logs/call.jsonl"), text).unwrap();

    let output = calltree(dir.path(), &["report", "--logs", "logs"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|line| line.contains("(1002 steps)"))
        .unwrap_or_else(|| panic!("no shortened path in:\n{text}"));
    assert!(
        line.ends_with("ask > ask > ask > ask > ask > done (1002 steps)"),
        "{line}"
    );
    assert!(line.contains("… 990 more …"), "{line}");
    assert!(line.len() < 200, "{line}");

    let json = calltree(
        dir.path(),
        &["report", "--logs", "logs", "--format", "json"],
    );
    assert!(
        stdout(&json).contains(&format!("{}done", "ask > ".repeat(1_001))),
        "the JSON form keeps the whole path"
    );
}

#[test]
fn a_report_splits_the_outcomes_by_the_language_sessions_were_shown_in() {
    let (dir, version) = folder();
    std::fs::create_dir_all(dir.path().join("logs/done")).unwrap();
    for (number, mut events) in sessions(&version).into_iter().enumerate() {
        // The customers' sessions (the 2nd and 4th) were in French.
        if let Some(Event::Started {
            audience: Audience::Customer,
            locale,
            ..
        }) = events.first_mut()
        {
            *locale = Some(Box::new("fr".to_owned()));
        }
        let text: String = events
            .iter()
            .map(|e| format!("{}\n", e.to_json_line()))
            .collect();
        std::fs::write(
            dir.path().join(format!("logs/done/call-{number}.jsonl")),
            text,
        )
        .unwrap();
    }
    let text = stdout(&calltree(dir.path(), &["report", "--logs", "logs"]));
    assert!(text.contains("  by language:\n"), "{text}");
    assert!(
        text.contains("    tree's own words: 2 sessions, resolved 50.0%, escalated 50.0%, abandoned 0.0%, first-contact resolution 50.0%, containment —\n"),
        "{text}"
    );
    assert!(
        text.contains("    fr: 2 sessions, resolved 50.0%, escalated 50.0%, abandoned 0.0%, first-contact resolution 50.0%, containment 50.0%\n"),
        "{text}"
    );
    let csv = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--format", "csv"],
    ));
    assert!(csv.contains("wifi,all,language,fr sessions,2\n"), "{csv}");
    assert!(
        csv.contains("wifi,all,language,source resolved,1\n"),
        "{csv}"
    );
    let json = stdout(&calltree(
        dir.path(),
        &["report", "--logs", "logs", "--format", "json"],
    ));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["trees"]["wifi"]["languages"][1]["locale"], "fr");
    assert_eq!(
        parsed["trees"]["wifi"]["languages"][1]["outcomes"]["escalated"],
        1
    );
}
