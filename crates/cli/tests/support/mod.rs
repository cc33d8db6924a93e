//! Helpers the end-to-end tests share: the real `calltree serve` on a free port, and a tiny
//! HTTP/1.1 client over a plain socket (what a browser sends, no more).

#![allow(dead_code, reason = "each test binary uses the helpers it needs")]
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that cannot do its job should fail the test loudly"
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A tree a customer can go round for as long as they like (its first option, `choose=0`),
/// typing a new note each time, so every step stores an answer that can be looked for
/// afterwards: the servers' and the hub's tests run on it.
pub const NOTES: &str = r#"tree notes "Leave notes"
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

/// The server, stopped when the test ends however it ends.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: BufReader<std::process::ChildStderr>,
}

impl Server {
    /// Stops the server and returns everything it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        let _ = self.log.read_to_string(&mut rest);
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(dir: &std::path::Path) -> Server {
    serve_with(dir, "sessions.db", &[])
}

/// `calltree serve` on the trees in `dir/trees`, keeping sessions in `db` (a file in `dir`
/// or a PostgreSQL address), with `extra` options.
pub fn serve_with(dir: &std::path::Path, db: &str, extra: &[&str]) -> Server {
    serve_from(dir, &["--trees", "trees"], db, extra)
}

/// `calltree serve` on the trees `what` says (`--trees DIR` or `--published`), keeping
/// sessions in `db`, with `extra` options.
pub fn serve_from(dir: &std::path::Path, what: &[&str], db: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .arg("serve")
        .args(what)
        .args(["--db", db, "--addr", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let port = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the server said: {line}"));
    Server { child, port, log }
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

pub fn http(port: u16, request: &str) -> Reply {
    try_http(port, request).unwrap()
}

/// One request, or why there was no answer (a server killed in the middle, say).
pub fn try_http(port: u16, request: &str) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no complete answer: {raw:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok(Reply {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    })
}

pub fn header<'r>(reply: &'r Reply, name: &str) -> &'r str {
    reply
        .headers
        .lines()
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {}", reply.headers))
}

pub fn post(port: u16, path: &str, cookie: &str, body: &str) -> Reply {
    try_post(port, path, cookie, body).unwrap()
}

pub fn try_post(port: u16, path: &str, cookie: &str, body: &str) -> Result<Reply, String> {
    try_http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

pub fn get(port: u16, path: &str, cookie: &str) -> Reply {
    try_get(port, path, cookie).unwrap()
}

pub fn try_get(port: u16, path: &str, cookie: &str) -> Result<Reply, String> {
    try_http(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    )
}

pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// A customer's session on the self-service pages: the address the start button led to and
/// the cookie that owns it.
pub struct Visit {
    pub port: u16,
    pub path: String,
    pub cookie: String,
}

/// Presses a topic's start button, as the home page does.
pub fn start(port: u16, tree: &str) -> Visit {
    let started = post(port, &format!("/start/{tree}"), "", "");
    assert_eq!(started.status, 303, "{}", started.body);
    Visit {
        port,
        path: header(&started, "location").to_owned(),
        cookie: header(&started, "set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    }
}

impl Visit {
    /// The session's page as it is now.
    pub fn page(&self) -> Reply {
        get(self.port, &self.path, &self.cookie)
    }

    /// Posts `fields` with the page's current token and step number, as its form would.
    pub fn submit(&self, fields: &str) -> Reply {
        let page = self.page();
        let (csrf, seq) = (hidden(&page.body, "csrf"), hidden(&page.body, "seq"));
        post(
            self.port,
            &self.path,
            &self.cookie,
            &format!("csrf={csrf}&seq={seq}&{fields}"),
        )
    }

    /// The handoff code the end page shows.
    pub fn handoff_code(&self) -> String {
        let end = self.page();
        let after = end
            .body
            .split("class=\"code\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no handoff code on {}", end.body));
        after
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .trim()
            .to_owned()
    }
}

/// An agent takes a customer's session over in the terminal (`calltree run --handoff`),
/// typing `answers`; the run must succeed. Returns what the terminal showed.
pub fn take_over_in_the_terminal(dir: &std::path::Path, code: &str, answers: &str) -> String {
    take_over_from(dir, "sessions.db", code, answers)
}

/// [`take_over_in_the_terminal`] from the database at `db` (a file in `dir`, or an address).
pub fn take_over_from(dir: &std::path::Path, db: &str, code: &str, answers: &str) -> String {
    std::fs::write(dir.join("answers.txt"), answers).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "run",
            "--handoff",
            code,
            "--db",
            db,
            "--answers",
            "answers.txt",
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{shown}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    shown
}
