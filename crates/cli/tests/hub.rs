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

use support::{Reply, serve_with, try_http};

const NOTES: &str = r#"tree notes "Leave notes"
  audience: agent, customer
  escalation: "Notes desk"
  start: ask

field note: text "Note" required

node ask "A note"
  say "Type a note."
  ask note
  option "Another" -> ask
  option "Done" -> done

node done "Done"
  say "Thanks."
  end resolved
"#;

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
