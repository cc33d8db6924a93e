//! The self-service pages in a real headless Chromium: `walk.mjs` (Playwright) walks the
//! bundled password-reset tree to a resolution and to two handoffs, with the page's Back,
//! the browser's back, a second tab and a server restart in the middle, and checks labels,
//! headings and phone sizes on the way. This test runs the real `calltree serve`, restarts
//! it when the walk asks, and then checks the database.
//!
//! It needs Node.js, npm and Chromium (`apt-get install chromium`; Node.js and npm from your
//! distribution or nodejs.org); `.ci/run` installs Chromium. `CALLTREE_SKIP_BROWSER=1` skips it on purpose, and says so.
//! `CALLTREE_SHOT_DIR=docs/images` also saves the phone screenshots used in the docs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a test whose setup fails should fail loudly, and say why"
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use calltree_engine::Event;
use calltree_store::Store;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The server under test, killed however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["serve", "--trees", "trees", "--db", "sessions.db"])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    assert!(line.contains("serving on"), "the server said: {line}");
    // Keep reading its log so that it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    Server(child)
}

fn copy_trees(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tree") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

fn install_playwright() {
    if browser_dir().join("node_modules/playwright-core").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(browser_dir())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "npm ci failed in {}",
        browser_dir().display()
    );
}

#[test]
fn a_customer_walks_the_pages_in_a_real_browser() {
    if std::env::var_os("CALLTREE_SKIP_BROWSER").is_some() {
        eprintln!("skipped: CALLTREE_SKIP_BROWSER is set");
        return;
    }
    let missing: Vec<&str> = [("node", found("node")), ("npm", found("npm"))]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .chain((!Path::new(CHROMIUM).exists()).then_some(CHROMIUM))
        .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {missing:?}: install Chromium with `apt-get install chromium`, and Node.js with npm, \
         or set CALLTREE_SKIP_BROWSER=1 to skip it"
    );
    install_playwright();

    let dir = tempfile::tempdir().unwrap();
    copy_trees(&dir.path().join("trees"));
    // A free port, kept across the restart so that open pages still reach the server.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Some(serve(dir.path(), port));

    let mut walk = Command::new("node");
    walk.arg("walk.mjs")
        .arg(format!("http://127.0.0.1:{port}"))
        .current_dir(browser_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(shots) = std::env::var_os("CALLTREE_SHOT_DIR") {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(shots);
        walk.env("CALLTREE_SHOT_DIR", shots);
    }
    let mut walk = walk.spawn().unwrap();
    let mut answer: ChildStdin = walk.stdin.take().unwrap();
    let mut progress = walk.stderr.take().unwrap();
    let progress = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = progress.read_to_string(&mut text);
        text
    });
    let mut result = None;
    for line in BufReader::new(walk.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "RESTART" {
            drop(server.take());
            server = Some(serve(dir.path(), port));
            writeln!(answer, "restarted").unwrap();
        } else if let Some(json) = line.strip_prefix("RESULT ") {
            result = Some(serde_json::from_str::<serde_json::Value>(json).unwrap());
        }
    }
    let status = walk.wait().unwrap();
    let progress = progress.join().unwrap();
    assert!(status.success(), "the walk failed:\n{progress}");
    let result = result.expect("the walk reports its sessions");
    drop(server);

    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let resolved = store
        .session(result["resolved"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert!(resolved.finished);
    assert_eq!(resolved.outcome.as_deref(), Some("resolved"));
    assert_eq!(resolved.handoff, None);
    for walked in ["handoff", "person"] {
        let id = result[walked]["id"].as_str().unwrap();
        let code = result[walked]["code"].as_str().unwrap();
        assert_eq!(store.find_handoff(code).unwrap().as_deref(), Some(id));
        assert_eq!(
            store.session(id).unwrap().unwrap().outcome.as_deref(),
            Some("escalated")
        );
    }
    let person = store
        .events(result["person"]["id"].as_str().unwrap())
        .unwrap();
    assert!(
        person
            .iter()
            .any(|e| matches!(e, Event::Answered { field, .. } if field == "issue")),
        "the answer on the page when the customer asked for a person is kept"
    );
}
