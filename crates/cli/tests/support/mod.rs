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

/// The server, stopped when the test ends however it ends.
pub struct Server {
    pub child: Child,
    pub port: u16,
    log: BufReader<std::process::ChildStderr>,
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "serve",
            "--trees",
            "trees",
            "--db",
            "sessions.db",
            "--addr",
            "127.0.0.1:0",
        ])
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
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    }
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
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

pub fn get(port: u16, path: &str, cookie: &str) -> Reply {
    http(
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
