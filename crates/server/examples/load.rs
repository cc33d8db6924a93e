//! A load harness for the self-service server: a real server on loopback, many customers'
//! sessions at once, each step a form post whose event is committed to SQLite before the
//! reply. Reports steps per second and the latency of a step (p50, p99). Run with
//! `cargo run --release -p calltree-server --example load -- [SESSIONS] [SECONDS]`.

#![allow(clippy::print_stdout, reason = "a measuring harness reports on stdout")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness that cannot set up should stop loudly"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calltree_server::{AppState, Trees, router};
use calltree_store::Store;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const TREE: &str = r#"tree loop "Load test"
  audience: customer
  start: ask

node ask "Ask"
  say "Shall we go round again?"
  option "Again" -> ask_again
  option "Done" -> done

node ask_again "Ask again"
  say "And again?"
  option "Again" -> ask
  option "Done" -> done

node done "Done"
  end resolved
"#;

/// Steps per session before it is finished and a new one started.
const STEPS_PER_SESSION: usize = 40;

async fn request(addr: SocketAddr, text: String) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

fn header(reply: &str, name: &str) -> String {
    reply
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {name} in {reply}"))
}

async fn customer(addr: SocketAddr, until: Instant) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let host = format!("Host: {addr}\r\nOrigin: http://{addr}");
    while Instant::now() < until {
        let started = request(
            addr,
            format!("POST /start/loop HTTP/1.1\r\n{host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let path = header(&started, "location");
        let cookie = header(&started, "set-cookie");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let page = request(
            addr,
            format!(
                "GET {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        for seq in 1..=STEPS_PER_SESSION {
            if Instant::now() >= until {
                break;
            }
            let choice = if seq == STEPS_PER_SESSION { 1 } else { 0 };
            let body = format!("csrf={csrf}&seq={seq}&choose={choice}");
            let text = format!(
                "POST {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let sent = Instant::now();
            let reply = request(addr, text).await;
            latencies.push(sent.elapsed());
            assert!(reply.starts_with("HTTP/1.1 303"), "{reply}");
        }
    }
    latencies
}

fn main() {
    let mut args = std::env::args().skip(1);
    let sessions: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).unwrap();
    std::fs::write(trees.join("loop.tree"), TREE).unwrap();
    let db = dir.path().join("load.db");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(&db).unwrap();
        let state = Arc::new(AppState {
            trees: Trees::open(&trees, store.clone()).unwrap(),
            store: store.clone(),
            api_token: None,
            contact: None,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });

        let until = Instant::now() + Duration::from_secs(seconds);
        let began = Instant::now();
        let clients: Vec<_> = (0..sessions)
            .map(|_| tokio::spawn(customer(addr, until)))
            .collect();
        let mut latencies = Vec::new();
        for client in clients {
            latencies.extend(client.await.unwrap());
        }
        let elapsed = began.elapsed();
        latencies.sort_unstable();
        let pick = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        let stored: usize = store
            .sessions(Some("loop"), None, usize::MAX)
            .unwrap()
            .iter()
            .map(|s| s.events)
            .sum();
        println!(
            "{sessions} concurrent sessions for {:.1} s: {} steps, {:.0} steps/s, p50 {:.1} ms, p99 {:.1} ms; {stored} events stored",
            elapsed.as_secs_f64(),
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pick(0.5).as_secs_f64() * 1000.0,
            pick(0.99).as_secs_f64() * 1000.0,
        );
    });
}
