//! `calltree serve` as the hub for agents' desktops, end to end: the real `calltree` binary
//! serving real HTTP, agents added with `calltree agents`, and every API route called as a
//! desktop calls it. Each test runs on an SQLite file and, where PostgreSQL can be had (or
//! `CALLTREE_REQUIRE_POSTGRES` demands it), once more on a throw-away PostgreSQL database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{NOTES, Reply, serve_from, serve_with, try_http};

/// A folder with `trees/notes.tree`, where a server keeps `sessions.db`.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/notes.tree"), NOTES).unwrap();
    dir
}

/// The database of a test: the SQLite file in the site, or a new PostgreSQL database.
fn databases() -> Vec<String> {
    let mut all = vec!["sessions.db".to_owned()];
    if let Some(address) = calltree_store::testing::postgres_database() {
        all.push(address);
    }
    all
}

fn calltree(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A new agent's token, from `calltree agents add`.
fn add_agent(dir: &Path, db: &str, name: &str) -> String {
    let output = calltree(dir, &["agents", "add", name, "--db", db]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).trim().to_owned()
}

/// One API request, as a desktop sends it.
fn api(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    try_http(
        port,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .unwrap()
}

fn json(reply: &Reply) -> serde_json::Value {
    // The helper reads the raw answer; a chunked body has its sizes around it.
    let body = reply.body.trim();
    let start = body.find(['{', '[']).unwrap_or(0);
    let end = body.rfind(['}', ']']).map_or(body.len(), |end| end + 1);
    serde_json::from_str(&body[start..end])
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", reply.body))
}

#[test]
fn agent_tokens_open_the_api_and_wrong_or_revoked_ones_are_refused_in_words() {
    for db in databases() {
        let dir = site();
        let server = serve_with(dir.path(), &db, &[]);
        let token = add_agent(dir.path(), &db, "ana");
        assert!(token.starts_with("ct_"), "{token}");

        let reply = api(server.port, "GET", "/api/v1/whoami", Some(&token), "");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(json(&reply)["agent"], "ana");

        let none = api(server.port, "GET", "/api/v1/whoami", None, "");
        assert_eq!(none.status, 401);
        assert!(
            json(&none)["error"]
                .as_str()
                .unwrap()
                .contains("needs an agent token")
        );
        let wrong = api(server.port, "GET", "/api/v1/whoami", Some("ct_0123"), "");
        assert_eq!(wrong.status, 401);
        assert!(
            json(&wrong)["error"]
                .as_str()
                .unwrap()
                .contains("not known")
        );

        let listed = calltree(dir.path(), &["agents", "list", "--db", &db]);
        assert!(
            text(&listed.stdout).starts_with("ana  added "),
            "{}",
            text(&listed.stdout)
        );
        let again = calltree(dir.path(), &["agents", "add", "ana", "--db", &db]);
        assert_eq!(again.status.code(), Some(2));
        assert!(text(&again.stderr).contains("already an agent called `ana`"));

        let revoked = calltree(dir.path(), &["agents", "revoke", "ana", "--db", &db]);
        assert!(revoked.status.success(), "{}", text(&revoked.stderr));
        let reply = api(server.port, "GET", "/api/v1/whoami", Some(&token), "");
        assert_eq!(reply.status, 403);
        let sentence = json(&reply)["error"].as_str().unwrap().to_owned();
        assert!(sentence.contains("`ana` was revoked"), "{sentence}");
        assert!(
            text(&calltree(dir.path(), &["agents", "list", "--db", &db]).stdout)
                .contains("revoked")
        );

        let log = server.stop();
        assert!(!log.contains(&token[3..]), "a token was logged: {log}");
        assert!(!log.contains("panicked"), "{log}");
    }
}

/// A desktop's call on the notes tree, played with the host kit as the desktop plays it:
/// `notes` typed one after another, then "Done". Returns its events.
fn desktop_call(notes: &[&str], at: i64) -> Vec<calltree_engine::Event> {
    use calltree_engine::{Action, Project, Step};
    let project = std::sync::Arc::new(Project::single("notes.tree", NOTES));
    let tree = project.tree_by_name("notes").unwrap();
    let mut call = calltree_calls::Call::start(
        std::sync::Arc::clone(&project),
        tree,
        calltree_syntax::Audience::Agent,
        at,
        calltree_calls::MemoryCalls::default(),
    )
    .unwrap();
    for (n, note) in notes.iter().enumerate() {
        let last = n + 1 == notes.len();
        let step = Step {
            answers: vec![("note".into(), (*note).into())],
            action: Some(Action::Choose(u16::from(last))),
        };
        call.record(&step, at + 1_000 * (n as i64 + 1)).unwrap();
    }
    call.session().log().to_vec()
}

/// An upload's JSON: `events` numbered from `first`.
fn upload_body(events: &[calltree_engine::Event], first: usize) -> String {
    let numbered: Vec<serde_json::Value> = events
        .iter()
        .enumerate()
        .map(|(n, event)| serde_json::json!({ "seq": first + n, "event": event }))
        .collect();
    serde_json::json!({ "events": numbered }).to_string()
}

#[test]
fn publish_makes_clean_trees_live_by_hash_and_refuses_trees_with_errors() {
    for db in databases() {
        let dir = site();
        let server = serve_with(dir.path(), &db, &[]);
        let token = add_agent(dir.path(), &db, "lead");
        let url = format!("http://127.0.0.1:{}", server.port);
        let empty = api(server.port, "GET", "/api/v1/trees", Some(&token), "");
        assert_eq!(json(&empty)["trees"], serde_json::json!([]));

        std::fs::create_dir(dir.path().join("release")).unwrap();
        std::fs::write(dir.path().join("release/notes.tree"), NOTES).unwrap();
        let published = calltree(
            dir.path(),
            &["publish", "release", "--to", &url, "--token", &token],
        );
        assert!(published.status.success(), "{}", text(&published.stderr));
        assert!(text(&published.stdout).starts_with("published notes version "));

        let listed = json(&api(server.port, "GET", "/api/v1/trees", Some(&token), ""));
        let live = &listed["trees"][0];
        assert_eq!(live["tree"], "notes");
        assert_eq!(live["published_by"], "lead");
        let project = calltree_engine::Project::single("notes.tree", NOTES);
        let hash = project.session_hash(project.tree_by_name("notes").unwrap());
        assert_eq!(live["version"], hash.as_str());
        let source = json(&api(
            server.port,
            "GET",
            "/api/v1/trees/notes",
            Some(&token),
            "",
        ));
        assert_eq!(source["version"], hash.as_str());
        assert_eq!(source["files"][0]["name"], "notes.tree");
        assert_eq!(source["files"][0]["text"], NOTES);

        // A broken tree: refused whole, with the diagnostics, and the live version stays.
        let broken = NOTES
            .replace("-> done", "-> nowhere")
            .replace("Leave notes", "Changed");
        std::fs::write(dir.path().join("release/notes.tree"), broken).unwrap();
        let refused = calltree(
            dir.path(),
            &["publish", "release", "--to", &url, "--token", &token],
        );
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
        let said = text(&refused.stderr);
        assert!(said.contains("notes.tree:"), "{said}");
        assert!(said.contains("error[E"), "{said}");
        assert!(said.contains("nowhere"), "{said}");
        assert!(said.contains("nothing was published"), "{said}");
        let raw = api(
            server.port,
            "POST",
            "/api/v1/trees",
            Some(&token),
            &serde_json::json!({"files": [{"name": "notes.tree", "text": NOTES.replace("-> done", "-> nowhere")}]}).to_string(),
        );
        assert_eq!(raw.status, 422);
        assert!(
            json(&raw)["diagnostics"]
                .as_str()
                .unwrap()
                .contains("nowhere")
        );
        let after = json(&api(server.port, "GET", "/api/v1/trees", Some(&token), ""));
        assert_eq!(after["trees"][0]["version"], hash.as_str());

        // Bad input answers in words, never with a panic.
        let junk = api(
            server.port,
            "POST",
            "/api/v1/trees",
            Some(&token),
            "{not json",
        );
        assert_eq!(junk.status, 400);
        assert!(
            json(&junk)["error"]
                .as_str()
                .unwrap()
                .contains("could not be read")
        );
        let missing = api(server.port, "GET", "/api/v1/trees/none", Some(&token), "");
        assert_eq!(missing.status, 404);
        assert!(
            json(&missing)["error"]
                .as_str()
                .unwrap()
                .contains("No tree `none`")
        );
        let no_token = calltree(dir.path(), &["publish", "release", "--to", &url]);
        assert_eq!(no_token.status.code(), Some(2));
        assert!(text(&no_token.stderr).contains("CALLTREE_TOKEN"));

        let log = server.stop();
        assert!(!log.contains("panicked"), "{log}");
    }
}

#[test]
fn uploaded_events_are_stored_once_and_a_conflicting_replay_is_refused() {
    for db in databases() {
        let dir = site();
        let server = serve_with(dir.path(), &db, &[]);
        let token = add_agent(dir.path(), &db, "ana");
        let events = desktop_call(&["first", "second"], 1_800_000_000_000);
        let path = "/api/v1/sessions/desk-ana-1/events";

        let first = api(
            server.port,
            "POST",
            path,
            Some(&token),
            &upload_body(&events[..2], 0),
        );
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(json(&first)["stored"], 2);
        // The whole call, its first two events again: only the rest is new.
        let whole = api(
            server.port,
            "POST",
            path,
            Some(&token),
            &upload_body(&events, 0),
        );
        assert_eq!(json(&whole)["stored"], events.len() - 2);
        assert_eq!(json(&whole)["already"], 2);
        // Replayed as it was: nothing new, nothing twice.
        let replay = api(
            server.port,
            "POST",
            path,
            Some(&token),
            &upload_body(&events, 0),
        );
        assert_eq!(replay.status, 200);
        assert_eq!(json(&replay)["stored"], 0);
        assert_eq!(json(&replay)["events"], events.len());

        let stored = json(&api(server.port, "GET", path, Some(&token), ""));
        let stored: Vec<calltree_engine::Event> =
            serde_json::from_value(stored["events"].clone()).unwrap();
        assert_eq!(stored, events);

        // Another event under a number already taken: 409, and nothing changes.
        let other = desktop_call(&["different"], 1_800_000_000_000);
        let conflict = api(
            server.port,
            "POST",
            path,
            Some(&token),
            &upload_body(&other[1..2], 1),
        );
        assert_eq!(conflict.status, 409);
        assert!(
            json(&conflict)["error"]
                .as_str()
                .unwrap()
                .contains("different event number 1")
        );
        // A gap: 409 saying where to start.
        let gap = api(
            server.port,
            "POST",
            "/api/v1/sessions/desk-ana-2/events",
            Some(&token),
            &upload_body(&events[1..], 1),
        );
        assert_eq!(gap.status, 409);
        assert!(
            json(&gap)["error"]
                .as_str()
                .unwrap()
                .contains("send the events from 0 first")
        );
        let revoked = calltree(dir.path(), &["agents", "revoke", "ana", "--db", &db]);
        assert!(revoked.status.success());
        let refused = api(
            server.port,
            "POST",
            path,
            Some(&token),
            &upload_body(&events, 0),
        );
        assert_eq!(refused.status, 403);

        // The desktop's call is among the server's sessions, finished with its outcome.
        let sessions = calltree_store::Store::open(if db.starts_with("postgres") {
            std::path::PathBuf::from(&db)
        } else {
            dir.path().join(&db)
        })
        .unwrap()
        .session("desk-ana-1")
        .unwrap()
        .unwrap();
        assert_eq!(sessions.events, events.len());
        assert!(sessions.finished);
        assert_eq!(sessions.outcome.as_deref(), Some("resolved"));
        let log = server.stop();
        assert!(!log.contains("panicked"), "{log}");
    }
}

#[test]
fn an_agent_takes_a_customer_session_over_through_the_api_and_reports_see_both_kinds_of_call() {
    use calltree_calls::Handoffs as _;
    for db in databases() {
        let dir = site();
        let server = serve_with(dir.path(), &db, &[]);
        let token = add_agent(dir.path(), &db, "ana");
        let url = format!("http://127.0.0.1:{}", server.port);

        // A customer asks for a person on the web pages.
        let customer = support::start(server.port, "notes");
        let asked = customer.submit("note=my+modem&go=person");
        assert_eq!(asked.status, 303, "{}", asked.body);
        let code = customer.handoff_code();

        // The agent's desktop takes it over through the API, and goes on from there.
        let client = calltree_calls::HubClient::new(&url, &token).unwrap();
        let mut handoffs = calltree_calls::HubHandoffs::new(client.clone());
        let mut call = handoffs.take_over(&code.to_lowercase(), 0).unwrap();
        assert_eq!(
            call.session().state().audience,
            calltree_syntax::Audience::Agent
        );
        let step = calltree_engine::Step {
            answers: vec![("note".into(), "agent here".into())],
            action: Some(calltree_engine::Action::Choose(1)),
        };
        call.record(&step, calltree_calls::now()).unwrap();
        let stored = client.events(call.id()).unwrap();
        assert_eq!(stored, call.session().log());
        assert!(
            stored
                .iter()
                .any(|e| matches!(e, calltree_engine::Event::TakenOver { .. }))
        );

        // A code works once, through the API as everywhere.
        let again = api(
            server.port,
            "POST",
            "/api/v1/handoff",
            Some(&token),
            &serde_json::json!({ "code": code }).to_string(),
        );
        assert_eq!(again.status, 409);
        assert!(
            json(&again)["error"]
                .as_str()
                .unwrap()
                .contains("has been used")
        );
        let unknown = api(
            server.port,
            "POST",
            "/api/v1/handoff",
            Some(&token),
            r#"{"code":"0000-0000"}"#,
        );
        assert_eq!(unknown.status, 404);
        assert!(
            json(&unknown)["error"]
                .as_str()
                .unwrap()
                .contains("No session has the handoff code `0000-0000`")
        );

        // A desktop's own call, uploaded; then the report from the API counts both.
        let events = desktop_call(&["desk"], calltree_calls::now());
        client.upload("desk-call-1", 0, &events).unwrap();
        let report = calltree(
            dir.path(),
            &[
                "report", "--server", &url, "--token", &token, "--format", "json",
            ],
        );
        assert!(report.status.success(), "{}", text(&report.stderr));
        let figures: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        let shown = figures.to_string();
        assert!(shown.contains("\"notes\""), "{shown}");
        let total = &figures["trees"]["notes"]["total"];
        assert_eq!(total["sessions"]["started"], 2, "{shown}");
        assert_eq!(total["sessions"]["finished"], 2, "{shown}");
        assert_eq!(total["sessions"]["unknown_version"], 0, "{shown}");
        assert_eq!(total["taken_over"], 1, "{shown}");
        // Per version: both ran on the one version of the tree the server has.
        assert_eq!(
            figures["trees"]["notes"]["versions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let log = server.stop();
        assert!(!log.contains("panicked"), "{log}");
    }
}

/// A session taken over through the hub on a desktop that keeps its calls is that desktop's
/// call: the customer's events and the take-over are in the local log, a step taken while the
/// server is away is kept and reaches the server once it is back, and the relay makes no
/// second session of it.
#[test]
fn a_session_taken_over_through_the_hub_is_kept_locally_and_relayed_like_any_call() {
    use calltree_calls::Handoffs as _;
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let port = server.port;
    let token = add_agent(dir.path(), "sessions.db", "ana");
    let client = calltree_calls::HubClient::new(&format!("http://127.0.0.1:{port}"), &token)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(3));
    let customer = support::start(port, "notes");
    let asked = customer.submit("note=my+modem&go=person");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let code = customer.handoff_code();

    let calls_dir = dir.path().join("calls");
    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    let folder = calltree_calls::LogFolder::open(&calls_dir).unwrap();
    let mut handoffs = calltree_calls::HubHandoffs::keeping(client.clone(), folder, relay.handle());
    let mut call = handoffs.take_over(&code, 0).unwrap();
    assert_eq!(local_events(&calls_dir, call.id()), call.session().log());
    assert!(
        local_events(&calls_dir, call.id())
            .iter()
            .any(|e| matches!(e, calltree_engine::Event::TakenOver { .. }))
    );
    assert_eq!(relay.flush(std::time::Duration::from_secs(10)), 0);
    let outbox: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(calls_dir.join(calltree_calls::OUTBOX_FILE)).unwrap(),
    )
    .unwrap();
    let remote = outbox[call.id()]["remote"].as_str().unwrap().to_owned();

    // The server goes away: the agent's step is still kept, and waits.
    drop(server);
    let before = call.session().log().len();
    let step = calltree_engine::Step {
        answers: vec![("note".into(), "agent here".into())],
        action: Some(calltree_engine::Action::Choose(1)),
    };
    call.record(&step, calltree_calls::now()).unwrap();
    let new_events = call.session().log().len() - before;
    assert!(new_events > 0);
    assert_eq!(local_events(&calls_dir, call.id()), call.session().log());
    assert_eq!(
        relay.flush(std::time::Duration::from_millis(500)),
        new_events
    );

    // Back: the server's session is the call, whole, and there is still one session.
    let server = serve_on_port(dir.path(), port);
    assert_eq!(
        relay.flush(std::time::Duration::from_secs(20)),
        0,
        "{:?}",
        relay.problem()
    );
    assert_eq!(client.events(&remote).unwrap(), call.session().log());
    assert_eq!(client.sessions(Some("notes"), None).unwrap().len(), 1);
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// The events of a call's log in a calls folder, running or finished.
fn local_events(calls_dir: &Path, id: &str) -> Vec<calltree_engine::Event> {
    let name = format!("{id}.jsonl");
    let path = [calls_dir.join(&name), calls_dir.join("done").join(&name)]
        .into_iter()
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("no log of call {id} in {}", calls_dir.display()));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| calltree_engine::Event::from_json_line(line).unwrap())
        .collect()
}

#[test]
fn a_server_that_is_gone_is_an_error_in_words_not_a_panic() {
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "ana");
    let url = format!("http://127.0.0.1:{}", server.port);
    drop(server);
    let client = calltree_calls::HubClient::new(&url, &token).unwrap();
    let events = desktop_call(&["lost"], 1_800_000_000_000);
    let error = client.upload("desk-gone", 0, &events).unwrap_err();
    assert!(
        matches!(error, calltree_calls::CallsError::Unreachable { .. }),
        "{error}"
    );
    std::fs::create_dir(dir.path().join("release")).unwrap();
    std::fs::write(dir.path().join("release/notes.tree"), NOTES).unwrap();
    let published = calltree(
        dir.path(),
        &["publish", "release", "--to", &url, "--token", &token],
    );
    assert_eq!(published.status.code(), Some(2));
    assert!(
        text(&published.stderr).contains("cannot be reached"),
        "{}",
        text(&published.stderr)
    );
    let report = calltree(dir.path(), &["report", "--server", &url, "--token", &token]);
    assert_eq!(report.status.code(), Some(2));
}

/// `calltree serve` on a given port (to come back where the desktops look for it).
fn serve_on_port(dir: &Path, port: u16) -> support::Server {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["serve", "--trees", "trees", "--db", "sessions.db", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut log = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    assert!(line.contains(&format!(":{port}")), "{line}");
    support::Server { child, port, log }
}

/// A desktop's calls folder relayed to the hub: steps recorded while the server is there
/// and while it is away all reach it, each event once, and the count of unsent events says
/// what is waiting.
#[test]
fn a_desktop_relays_its_calls_and_sends_the_backlog_once_when_the_server_is_back() {
    use calltree_calls::AgentCalls as _;
    use calltree_engine::{Action, Project, Step};
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let port = server.port;
    let token = add_agent(dir.path(), "sessions.db", "ana");
    let url = format!("http://127.0.0.1:{port}");
    let client = calltree_calls::HubClient::new(&url, &token)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(3));
    let calls_dir = dir.path().join("calls");
    let project = std::sync::Arc::new(Project::single("notes.tree", NOTES));
    let tree = project.tree_by_name("notes").unwrap();
    let note = |text: &str, choice: u16| Step {
        answers: vec![("note".into(), text.into())],
        action: Some(Action::Choose(choice)),
    };

    let (first_id, second_id) = {
        let relay = calltree_calls::Relay::start(&calls_dir, client.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let folder = calltree_calls::LogFolder::open(&calls_dir).unwrap();
        let calls = calltree_calls::RelayedCalls::new(folder, relay.handle());
        let now = calltree_calls::now();
        let mut call = calltree_calls::Call::start(
            std::sync::Arc::clone(&project),
            tree,
            calltree_syntax::Audience::Agent,
            now,
            calls.store(),
        )
        .unwrap();
        call.record(&note("online", 0), now + 1).unwrap();
        assert_eq!(relay.flush(std::time::Duration::from_secs(10)), 0);
        assert_eq!(relay.problem(), None);

        // The server goes away mid-call: the call goes on, and the events wait.
        drop(server);
        call.record(&note("offline", 1), now + 2).unwrap();
        let mut second = calltree_calls::Call::start(
            std::sync::Arc::clone(&project),
            tree,
            calltree_syntax::Audience::Agent,
            now + 3,
            calls.store(),
        )
        .unwrap();
        second.record(&note("also offline", 1), now + 4).unwrap();
        let waiting = relay.flush(std::time::Duration::from_millis(500));
        assert_eq!(
            waiting,
            2 + second.session().log().len(),
            "events not yet sent"
        );
        assert!(
            relay.problem().unwrap().contains("cannot be reached"),
            "{:?}",
            relay.problem()
        );
        (call.id().to_owned(), second.id().to_owned())
        // The desktop is closed with its backlog.
    };

    // The server is back; the desktop starts again and sends the backlog.
    let server = serve_on_port(dir.path(), port);
    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    assert_eq!(
        relay.flush(std::time::Duration::from_secs(20)),
        0,
        "{:?}",
        relay.problem()
    );
    drop(relay);

    // As if the desktop had died after the server stored the events but before it noted
    // that: everything is sent again, and the server stores nothing twice.
    let outbox_path = calls_dir.join(calltree_calls::OUTBOX_FILE);
    let mut outbox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outbox_path).unwrap()).unwrap();
    for entry in outbox.as_object_mut().unwrap().values_mut() {
        entry["sent"] = serde_json::json!(0);
    }
    std::fs::write(&outbox_path, outbox.to_string()).unwrap();
    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    assert_eq!(
        relay.flush(std::time::Duration::from_secs(20)),
        0,
        "{:?}",
        relay.problem()
    );

    // Each local call is one session on the server with exactly its local events.
    let outbox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outbox_path).unwrap()).unwrap();
    for id in [&first_id, &second_id] {
        let remote = outbox[id.as_str()]["remote"].as_str().unwrap();
        let local =
            std::fs::read_to_string(calls_dir.join("done").join(format!("{id}.jsonl"))).unwrap();
        let local: Vec<calltree_engine::Event> = local
            .lines()
            .map(|line| calltree_engine::Event::from_json_line(line).unwrap())
            .collect();
        assert_eq!(client.events(remote).unwrap(), local, "call {id}");
    }
    assert_eq!(client.sessions(Some("notes"), None).unwrap().len(), 2);
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// `calltree serve --published` serves the customers' pages from the versions published to
/// its database, not a folder: nothing before the first publish, the published tree after it,
/// a new publish within seconds, and the same on a second instance sharing the database.
#[test]
fn self_service_pages_serve_the_published_versions() {
    for db in databases() {
        let dir = site();
        let one = serve_from(dir.path(), &["--published"], &db, &[]);
        let token = add_agent(dir.path(), &db, "author");
        let home = |port: u16| {
            support::http(
                port,
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )
            .body
        };
        assert!(
            !home(one.port).contains("Leave notes"),
            "the trees folder is not served: {}",
            home(one.port)
        );
        let publish = |title: &str| {
            let files = serde_json::json!({"files": [{"name": "notes.tree", "text": NOTES.replace("Leave notes", title)}]});
            let reply = api(
                one.port,
                "POST",
                "/api/v1/trees",
                Some(&token),
                &files.to_string(),
            );
            assert_eq!(reply.status, 200, "{}", reply.body);
        };
        publish("Leave published notes");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !home(one.port).contains("Leave published notes") {
            assert!(
                std::time::Instant::now() < until,
                "{db}: {}",
                home(one.port)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        // A customer starts a session on it.
        let started = support::http(
            one.port,
            "POST /start/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(started.status, 303, "{}", started.body);

        publish("Leave newer notes");
        let two = serve_from(dir.path(), &["--published"], &db, &[]);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !(home(one.port).contains("Leave newer notes")
            && home(two.port).contains("Leave newer notes"))
        {
            assert!(
                std::time::Instant::now() < until,
                "{db}: {}",
                home(one.port)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        for server in [one, two] {
            let log = server.stop();
            assert!(!log.contains("panicked"), "{log}");
        }
    }
}

/// `calltree publish` sends a tree's translations with it, and `serve --published` serves
/// them: a French customer's page of the published tree is in French. (Before, only the
/// `.tree` files went, and a published version spoke its source language only.)
#[test]
fn published_translations_reach_the_customers_pages() {
    let dir = site();
    let server = serve_from(dir.path(), &["--published"], "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "author");
    let url = format!("http://127.0.0.1:{}", server.port);
    std::fs::create_dir(dir.path().join("release")).unwrap();
    std::fs::write(dir.path().join("release/notes.tree"), NOTES).unwrap();
    let extracted = calltree(
        dir.path(),
        &[
            "translate",
            "extract",
            "--locale",
            "fr",
            "release/notes.tree",
        ],
    );
    assert!(extracted.status.success(), "{}", text(&extracted.stderr));
    let po_path = dir.path().join("release/notes.fr.po");
    let po = std::fs::read_to_string(&po_path).unwrap();
    let translated = po.replace(
        "msgid \"Leave notes\"\nmsgstr \"\"",
        "msgid \"Leave notes\"\nmsgstr \"Laisser des notes\"",
    );
    assert_ne!(po, translated, "{po}");
    std::fs::write(&po_path, translated).unwrap();

    let published = calltree(
        dir.path(),
        &["publish", "release", "--to", &url, "--token", &token],
    );
    assert!(published.status.success(), "{}", text(&published.stderr));
    let french_home = || {
        support::http(
            server.port,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: fr\r\nConnection: close\r\n\r\n",
        )
        .body
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !french_home().contains("Laisser des notes") {
        assert!(std::time::Instant::now() < until, "{}", french_home());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// A call the server refuses (409) no longer waits for a restart. If the server has only the
/// start of the call (it lost events: a restore from a backup), the relay goes on from what
/// it has at once. If its copy under the call's id is another call, the call is marked refused
/// for good in the outbox: named for the agent, not counted as unsent, not sent again after a
/// restart, and its local log is kept.
#[test]
fn a_call_the_server_refuses_resumes_or_is_set_aside_for_good() {
    use calltree_calls::AgentCalls as _;
    use calltree_engine::{Action, Project, Step};
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "ana");
    let url = format!("http://127.0.0.1:{}", server.port);
    let client = calltree_calls::HubClient::new(&url, &token)
        .unwrap()
        .with_timeout(std::time::Duration::from_secs(3));
    let calls_dir = dir.path().join("calls");
    let project = std::sync::Arc::new(Project::single("notes.tree", NOTES));
    let tree = project.tree_by_name("notes").unwrap();
    let note = |text: &str| Step {
        answers: vec![("note".into(), text.into())],
        action: Some(Action::Choose(0)),
    };
    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    let folder = calltree_calls::LogFolder::open(&calls_dir).unwrap();
    let calls = calltree_calls::RelayedCalls::new(folder, relay.handle());
    let now = calltree_calls::now();
    let start = |at| {
        calltree_calls::Call::start(
            std::sync::Arc::clone(&project),
            tree,
            calltree_syntax::Audience::Agent,
            at,
            calls.store(),
        )
        .unwrap()
    };
    let (mut lost, mut taken) = (start(now), start(now + 1));
    lost.record(&note("one"), now + 2).unwrap();
    taken.record(&note("uno"), now + 3).unwrap();
    assert_eq!(relay.flush(std::time::Duration::from_secs(10)), 0);
    drop(relay);

    // `lost`: the server now has only its first event under a new id, though the outbox
    // says more were sent. `taken`: its id on the server holds another call's events.
    let outbox_path = calls_dir.join(calltree_calls::OUTBOX_FILE);
    let mut outbox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outbox_path).unwrap()).unwrap();
    let lost_log = lost.session().log().to_vec();
    client.upload("restoredcall", 0, &lost_log[..1]).unwrap();
    outbox[lost.id()]["remote"] = serde_json::json!("restoredcall");
    // Longer than what was sent of `taken`, so the next upload meets numbers taken.
    let other = desktop_call(&["someone", "else's", "call"], now);
    client.upload("takencall", 0, &other).unwrap();
    outbox[taken.id()]["remote"] = serde_json::json!("takencall");
    std::fs::write(&outbox_path, outbox.to_string()).unwrap();
    lost.record(&note("two"), now + 4).unwrap();
    taken.record(&note("dos"), now + 5).unwrap();
    let taken_log = taken.session().log().to_vec();

    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    assert_eq!(
        relay.flush(std::time::Duration::from_secs(20)),
        0,
        "nothing waits for a restart: {:?}",
        relay.problem()
    );
    assert_eq!(
        client.events("restoredcall").unwrap(),
        lost.session().log().to_vec(),
        "the lost events were sent again from where the server's copy ends"
    );
    let refused = relay.refused();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, taken.id());
    assert!(!refused[0].1.is_empty());
    assert!(
        relay
            .problem()
            .is_some_and(|p| p.contains("kept on this computer")),
        "{:?}",
        relay.problem()
    );
    assert_eq!(
        client.events("takencall").unwrap(),
        other,
        "the other call is untouched"
    );
    drop(relay);

    // After a restart the refusal stands: nothing is sent again, nothing counted as unsent,
    // and the call's own log is still whole on this computer.
    let relay = calltree_calls::Relay::start(&calls_dir, client.clone()).unwrap();
    assert_eq!(relay.flush(std::time::Duration::from_secs(5)), 0);
    assert_eq!(relay.refused().len(), 1);
    assert_eq!(client.events("takencall").unwrap(), other);
    let kept = std::fs::read_to_string(calls_dir.join(format!("{}.jsonl", taken.id()))).unwrap();
    let kept: Vec<calltree_engine::Event> = kept
        .lines()
        .map(|line| calltree_engine::Event::from_json_line(line).unwrap())
        .collect();
    assert_eq!(kept, taken_log);
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// A desktop pointed at a hub runs what was published: the live trees are fetched in the
/// background, and a new publish is picked up on the next look. They are kept on disk, so a
/// desktop restarted while the hub is away runs the last published version (before, it ran
/// its local folder until the hub came back).
#[test]
fn a_desktop_fetches_the_published_trees_and_a_new_publish() {
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "lead");
    let url = format!("http://127.0.0.1:{}", server.port);
    let client = calltree_calls::HubClient::new(&url, &token).unwrap();
    let copy = dir.path().join(calltree_calls::HUB_TREES_FILE);
    let trees = calltree_calls::HubTrees::start_keeping(
        client.clone(),
        std::time::Duration::from_millis(100),
        Some(copy.clone()),
    )
    .unwrap();
    type Live = [(String, String)];
    let wait_for = |check: &dyn Fn(&Live) -> bool| {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !check(&trees.live()) {
            assert!(std::time::Instant::now() < until, "{:?}", trees.problem());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    // Nothing published yet: no trees, not the folder's.
    wait_for(&|_| trees.inputs().is_some());
    assert_eq!(trees.inputs().unwrap().0.len(), 0);

    let first = client
        .publish(vec![calltree_calls::TreeFile {
            name: "notes.tree".into(),
            text: NOTES.into(),
        }])
        .unwrap();
    wait_for(&|live| live.len() == 1);
    assert_eq!(trees.live()[0].1, first[0].version);
    assert_eq!(trees.inputs().unwrap().0[0].text, NOTES);

    let edited = NOTES.replace("Type a note.", "Type a short note.");
    let second = client
        .publish(vec![calltree_calls::TreeFile {
            name: "notes.tree".into(),
            text: edited.clone(),
        }])
        .unwrap();
    assert_ne!(first[0].version, second[0].version);
    wait_for(&|live| live.first().is_some_and(|(_, v)| *v == second[0].version));
    assert_eq!(trees.inputs().unwrap().0[0].text, edited);
    drop(server);
    // The server gone: the last fetched trees stay, with the problem named.
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(trees.inputs().unwrap().0[0].text, edited);
    assert!(
        trees
            .problem()
            .is_some_and(|p| p.contains("cannot be reached"))
    );
    // A restart with the hub still away: the kept copy is there at once.
    drop(trees);
    let restarted = calltree_calls::HubTrees::start_keeping(
        client,
        std::time::Duration::from_secs(60),
        Some(copy),
    )
    .unwrap();
    assert_eq!(restarted.inputs().unwrap().0[0].text, edited);
    assert_eq!(restarted.live()[0].1, second[0].version);
}

/// `calltree publish … | head -1` and `agents list | head -1`: a reader that goes away early
/// is no panic (a regression: both printed with `println!`).
#[test]
fn a_closed_standard_output_is_no_panic_for_publish_and_agents() {
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "ana");
    add_agent(dir.path(), "sessions.db", "bo");
    let url = format!("http://127.0.0.1:{}", server.port);
    std::fs::create_dir(dir.path().join("release")).unwrap();
    for n in 0..40 {
        let text = NOTES.replace("tree notes", &format!("tree notes{n}"));
        std::fs::write(dir.path().join(format!("release/notes{n}.tree")), text).unwrap();
    }
    for args in [
        vec!["publish", "release", "--to", &url, "--token", &token],
        vec!["agents", "list", "--db", "sessions.db"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the command prints (it reads files and a database or
        // the network first): every line it writes meets a closed pipe.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let said = text(&output.stderr);
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {said}");
    }
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// Two instances on one PostgreSQL: a customer asks for a person on one, an agent's desktop
/// takes the session over through the other's API, and uploads to either land in one log.
#[test]
fn a_handoff_code_given_by_one_instance_is_taken_over_through_the_others_api() {
    use calltree_calls::Handoffs as _;
    let Some(db) = calltree_store::testing::postgres_database() else {
        return;
    };
    let dir = site();
    let a = serve_with(dir.path(), &db, &[]);
    let b = serve_with(dir.path(), &db, &[]);
    let token = add_agent(dir.path(), &db, "ana");
    let customer = support::start(a.port, "notes");
    assert_eq!(customer.submit("note=on+a&go=person").status, 303);
    let code = customer.handoff_code();

    let through_b =
        calltree_calls::HubClient::new(&format!("http://127.0.0.1:{}", b.port), &token).unwrap();
    let mut call = calltree_calls::HubHandoffs::new(through_b.clone())
        .take_over(&code, 0)
        .unwrap();
    let step = calltree_engine::Step {
        answers: vec![("note".into(), "agent on b".into())],
        action: Some(calltree_engine::Action::Choose(0)),
    };
    call.record(&step, calltree_calls::now()).unwrap();
    // The same log read through the first instance.
    let through_a =
        calltree_calls::HubClient::new(&format!("http://127.0.0.1:{}", a.port), &token).unwrap();
    assert_eq!(through_a.events(call.id()).unwrap(), call.session().log());
    // A replay of the agent's last step through the other instance stores nothing twice.
    let log = call.session().log().to_vec();
    let last = log.len() - 1;
    let replayed = through_a.upload(call.id(), last, &log[last..]).unwrap();
    assert_eq!((replayed.stored, replayed.already), (0, 1));
    for server in [a, b] {
        let said = server.stop();
        assert!(!said.contains("panicked"), "{said}");
    }
}

/// The desktop's Insights pointed at a hub read its sessions: a customer's self-service
/// session and a desktop's uploaded call, both on the version the hub keeps, although the
/// desktop's own folder holds an edited tree (another version).
#[test]
fn the_desktops_insights_read_the_hubs_sessions() {
    use calltree_editor::{DesktopApp, MemoryFolder, Mode, Settings};
    use egui_kittest::kittest::Queryable as _;
    let dir = site();
    let server = serve_with(dir.path(), "sessions.db", &[]);
    let token = add_agent(dir.path(), "sessions.db", "lead");
    let url = format!("http://127.0.0.1:{}", server.port);
    let customer = support::start(server.port, "notes");
    assert_eq!(customer.submit("note=self+service&choose=1").status, 303);
    let client = calltree_calls::HubClient::new(&url, &token).unwrap();
    client
        .upload("desk-1", 0, &desktop_call(&["desk"], calltree_calls::now()))
        .unwrap();

    let edited = NOTES.replace("Type a note.", "Type a note, please.");
    let settings = Settings {
        mode: Mode::Insights,
        ..Settings::default()
    };
    let mut app = DesktopApp::new(
        Box::new(MemoryFolder::new([("notes.tree", edited.as_str())])),
        Box::new(calltree_calls::MemoryCalls::new()),
        std::rc::Rc::new(calltree_calls::now),
        settings,
    )
    .unwrap();
    app.sessions = Some(Box::new(calltree_calls::HubSessions::new(
        client,
        (*app.versions).clone(),
    )));
    let mut harness = egui_kittest::Harness::builder()
        .with_max_steps(32)
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut DesktopApp| app.ui(ui), app);
    // Insights read on a worker thread: wait for it, as the view's own tests do.
    harness.step();
    let waited = std::time::Instant::now();
    while harness.state().insights.is_loading() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "never read"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
    harness.run();
    assert!(
        harness
            .query_by_label(&format!("from the sessions of {url}"))
            .is_some()
    );
    let data = harness.state().insights.data.clone().unwrap();
    let figures = &data.trees["notes"].total;
    assert_eq!(figures.sessions.started, 2);
    assert_eq!(figures.sessions.finished, 2);
    assert_eq!(figures.sessions.unknown_version, 0);
    drop(harness);
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}
