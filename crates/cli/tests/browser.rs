//! The self-service pages in a real headless Chromium: `walk.mjs` (Playwright) walks the
//! bundled password-reset tree to a resolution and to two handoffs, with the page's Back,
//! the browser's back, a second tab and a server restart in the middle, and checks labels,
//! headings, phone sizes and 44 px targets on the way, with axe-core on every page (no
//! violation allowed), and the error summary of a refused step. This test runs the real `calltree serve`, restarts
//! it (killed, like a crash) when the walk asks, and then checks the database for what the
//! pages claimed. `rtl.mjs` walks a Hebrew page to a refused step and checks that it mirrors.
//!
//! It needs Node.js, npm and Chromium (`apt-get install chromium`; Node.js with npm from the
//! distribution or NodeSource); `.ci/run` installs Chromium, and the machines it runs on
//! come with Node.js. Without them the test fails, so a machine that lacks them cannot pass by
//! accident; `CALLTREE_SKIP_BROWSER=1` skips it on purpose, and says so.
//! `CALLTREE_SHOT_DIR=docs/images` (relative to the workspace) also keeps the screenshots
//! used in the docs, at 375 px (a phone) and 1366 px (a laptop) wide.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a test whose setup fails should fail loudly, and say why"
)]

use std::io::{BufRead as _, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calltree_engine::Event;
use calltree_store::Store;

/// Where the walk finds Chromium; `walk.mjs` names the same path.
const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "`apt-get install chromium`, and Node.js with npm (Debian's or NodeSource's)";
const SHOTS: [&str; 5] = [
    "self_service_step.png",
    "self_service_errors_375.png",
    "self_service_handoff.png",
    "self_service_errors_1366.png",
    "self_service_handoff_1366.png",
];

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// What this machine lacks to run the walk.
fn missing_tools() -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !runs("node") {
        missing.push("node");
    }
    if !runs("npm") {
        missing.push("npm");
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM);
    }
    missing
}

/// Everything a pipe says, kept for a failure message; reading it also keeps a chatty
/// process from blocking on a full pipe.
fn collect(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
    text
}

/// The server, killed (like a crash) when dropped, however the test ends.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `calltree serve` in `dir` on `addr`; its first line says the port it got.
fn try_serve(dir: &Path, addr: &str) -> Result<Server, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["serve", "--trees", "trees", "--db", "sessions.db"])
        .args(["--addr", addr])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    let _ = stderr.read_line(&mut first);
    let first = first.trim_end().to_owned();
    let Some(port) = first
        .strip_prefix("calltree serve: serving on http://")
        .and_then(|bound| bound.rsplit(':').next())
        .and_then(|port| port.parse().ok())
    else {
        let _ = child.kill();
        let _ = child.wait();
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        return Err(format!("{first}\n{rest}"));
    };
    let log = collect(stderr);
    Ok(Server { child, port, log })
}

/// The server on `addr`. Port 0 lets the system choose, so no other test can hold the port;
/// the restart then asks for that same port, so the pages already open still reach it.
fn serve(dir: &Path, addr: &str) -> Server {
    // Binding the port a killed process had can be refused for a moment on some systems:
    // a few tries rather than one, not a wait for any fixed time.
    let mut failures = Vec::new();
    for _ in 0..20 {
        match try_serve(dir, addr) {
            Ok(server) => return server,
            Err(said) => failures.push(said),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "`calltree serve --addr {addr}` did not start:\n{}",
        failures.join("\n---\n")
    );
}

/// `npm ci` from the committed lock file when the walk's packages (Playwright, axe-core)
/// are not installed yet.
fn install_playwright(dir: &Path) {
    let installed = ["playwright-core", "axe-core"].iter().all(|name| {
        dir.join(format!("node_modules/{name}/package.json"))
            .exists()
    });
    if installed {
        return;
    }
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`npm ci` in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn copy_trees(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("trees")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tree") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

fn send(stdin: &mut ChildStdin, line: &str) {
    stdin.write_all(line.as_bytes()).unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
}

/// Runs the walk against a server, restarting the server when the walk asks; returns the
/// walk's RESULT.
fn walk(dir: &Path, shots: &Path) -> serde_json::Value {
    let mut server = Some(serve(dir, "127.0.0.1:0"));
    let port = server.as_ref().unwrap().port;
    let mut node = Command::new("node")
        .arg("walk.mjs")
        .arg(format!("http://127.0.0.1:{port}"))
        .current_dir(browser_dir())
        .env("CALLTREE_SHOT_DIR", shots)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = node.stdin.take().unwrap();
    let progress = collect(node.stderr.take().unwrap());
    let mut result = None;
    let mut restarts = 0;
    let mut server_logs = Vec::new();
    for line in BufReader::new(node.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if line == "RESTART" {
            // Killed, not asked to stop: whatever the pages showed must already be stored.
            let old = server.take().unwrap();
            server_logs.push(old.log.lock().unwrap().clone());
            drop(old);
            let new = serve(dir, &format!("127.0.0.1:{port}"));
            assert_eq!(new.port, port);
            server = Some(new);
            restarts += 1;
            send(&mut stdin, "restarted");
        } else if let Some(json) = line.strip_prefix("RESULT ") {
            result = Some(serde_json::from_str::<serde_json::Value>(json).unwrap());
        }
    }
    drop(stdin);
    let status = node.wait().unwrap();
    if let Some(server) = server.take() {
        server_logs.push(server.log.lock().unwrap().clone());
    }
    // The reader thread may still be taking the last lines; what it has is enough to read.
    let said = progress.lock().unwrap().clone();
    assert!(
        status.success(),
        "the browser walk failed ({status}):\n{said}\nthe server said:\n{}",
        server_logs.join("--- restarted ---\n")
    );
    assert_eq!(restarts, 1, "the walk restarts the server once:\n{said}");
    result.unwrap_or_else(|| panic!("the walk printed no RESULT:\n{said}"))
}

fn string(value: &serde_json::Value, path: &str) -> String {
    value
        .pointer(path)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("the walk's RESULT has no {path}: {value}"))
        .to_owned()
}

fn answered(events: &[Event], name: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Answered { field, value, .. } if field == name => Some(value.clone()),
            _ => None,
        })
        .collect()
}

fn chosen(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Chose { label, .. } => Some(label.clone()),
            _ => None,
        })
        .collect()
}

/// A handed-over session: the code the page showed finds it, and it is its code.
fn handed_over(store: &Store, result: &serde_json::Value, walk: &str) -> Vec<Event> {
    let id = string(result, &format!("/{walk}/id"));
    let code = string(result, &format!("/{walk}/code"));
    assert_eq!(store.find_handoff(&code).unwrap().as_deref(), Some(&*id));
    let info = store.session(&id).unwrap().unwrap();
    assert_eq!(info.outcome.as_deref(), Some("escalated"), "{walk}");
    assert_eq!(info.handoff.as_deref(), Some(&*code), "{walk}");
    store.events(&id).unwrap()
}

/// Whether to run a browser test: not when `CALLTREE_SKIP_BROWSER=1` says so; otherwise the
/// tools must be there (a failure names what to install) and the walk's packages are
/// installed.
fn browser_wanted() -> bool {
    if std::env::var("CALLTREE_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("skipped: CALLTREE_SKIP_BROWSER=1");
        return false;
    }
    let missing = missing_tools();
    assert!(
        missing.is_empty(),
        "the browser test needs {}: install {INSTALL}, or set \
         CALLTREE_SKIP_BROWSER=1 to skip it",
        missing.join(", ")
    );
    install_playwright(&browser_dir());
    true
}

/// A Hebrew page in a real browser (issue 20): `rtl.mjs` walks the right-to-left fixture
/// tree to a refused step and checks that the page is marked right to left and that the
/// layout mirrors (text from the right, the refused field's bar and the summary's indent on
/// the right).
#[test]
fn a_right_to_left_page_mirrors_in_a_real_browser() {
    if !browser_wanted() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir_all(&trees).unwrap();
    let fixture = workspace_root().join("tests/fixtures/translation/rtl");
    for name in ["parcel.tree", "parcel.he.po"] {
        std::fs::copy(fixture.join(name), trees.join(name)).unwrap();
    }
    let server = serve(dir.path(), "127.0.0.1:0");
    let output = Command::new("node")
        .arg("rtl.mjs")
        .arg(format!("http://127.0.0.1:{}", server.port))
        .current_dir(browser_dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the right-to-left walk failed ({}):\n{}\n{}\nthe server said:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log.lock().unwrap()
    );
}

#[test]
fn a_customer_walks_the_pages_in_a_real_browser() {
    if !browser_wanted() {
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    copy_trees(&dir.path().join("trees"));
    // Screenshots are always taken, so the phone pages are always rendered whole; they are
    // kept only when asked.
    let shots = dir.path().join("screenshots");
    let result = walk(dir.path(), &shots);

    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let sessions = store.sessions(None, None, 100).unwrap();
    assert_eq!(
        sessions.len(),
        3,
        "one session per walk, none from refused forms: {sessions:?}"
    );
    for session in &sessions {
        assert_eq!(session.tree, "password_reset");
        assert_eq!(session.audience, calltree_syntax::Audience::Customer);
        assert!(session.finished, "{session:?}");
    }

    // Solved: the refused address was never stored, the page's Back was, and the second
    // tab's out-of-date post changed nothing (one "Code received", not two).
    let id = string(&result, "/resolved");
    let info = store.session(&id).unwrap().unwrap();
    assert_eq!(info.outcome.as_deref(), Some("resolved"));
    assert_eq!(info.handoff, None);
    let events = store.events(&id).unwrap();
    assert_eq!(answered(&events, "login_email"), ["jo.bloggs@example.com"]);
    let backs = events
        .iter()
        .filter(|e| matches!(e, Event::Back { .. }))
        .count();
    assert_eq!(backs, 1, "{events:?}");
    assert_eq!(
        chosen(&events),
        ["Code received", "The code worked", "Password changed"]
    );

    // Handed over by the tree.
    let events = handed_over(&store, &result, "handoff");
    assert_eq!(answered(&events, "issue"), ["twofa_lost"]);
    assert_eq!(chosen(&events), ["No backup codes"]);

    // "Talk to a person": the answer on the page when it was asked is kept for the agent.
    let events = handed_over(&store, &result, "person");
    assert_eq!(answered(&events, "account_type"), ["business"]);
    assert_eq!(answered(&events, "issue"), ["locked"]);
    assert!(
        matches!(events.last(), Some(Event::Escalated { reason, .. })
            if reason == calltree_server::PERSON_REASON),
        "{events:?}"
    );

    // axe-core ran on every page the walk checked, and found nothing.
    let axe = result["axe"].as_array().unwrap();
    assert!(axe.len() >= 20, "axe-core checked {} pages", axe.len());
    for page in axe {
        assert_eq!(page["violations"], 0, "{page}");
    }
    eprintln!("axe-core: {} pages, 0 violations", axe.len());

    let keep = std::env::var_os("CALLTREE_SHOT_DIR").map(|to| workspace_root().join(to));
    for name in SHOTS {
        let shot = shots.join(name);
        let bytes = std::fs::read(&shot).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
        if let Some(keep) = &keep {
            std::fs::create_dir_all(keep).unwrap();
            std::fs::copy(&shot, keep.join(name)).unwrap();
            eprintln!("kept {name} in {}", keep.display());
        }
    }
}
