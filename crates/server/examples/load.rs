//! A load harness for the self-service server: a real server on loopback, many customers'
//! sessions at once, each step a form post whose event is committed to SQLite before the
//! reply. Reports steps per second and the latency of a step (p50, p99). Run with
//! `cargo run --release -p calltree-server --example load -- [SESSIONS] [SECONDS]`.
//!
//! Other measurements: `-- long` (a page and a post at 100 and at 10,000 events), `-- flood
//! [SECONDS]` (one address starting sessions as fast as it can, with the default limits,
//! and the database's growth) and `-- edits [TREES] [N]` (the server's memory and database
//! over N edits of a copy of a trees folder), and `-- compare [SESSIONS] [SECONDS]` (steps per
//! second on SQLite, on PostgreSQL, and on two servers sharing PostgreSQL, in one run; it
//! starts a throw-away PostgreSQL cluster, or uses `CALLTREE_TEST_POSTGRES`).

#![allow(clippy::print_stdout, reason = "a measuring harness reports on stdout")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness that cannot set up should stop loudly"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calltree_server::{AppState, Settings, Trees, router, serve_on};
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

/// One customer after another on the server(s) at `addrs`: each step is posted to the next
/// address in turn, as a balancer sending requests round-robin would.
async fn customer(addrs: Vec<SocketAddr>, until: Instant) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let addr = addrs[0];
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
            let addr = addrs[seq % addrs.len()];
            let host = format!("Host: {addr}\r\nOrigin: http://{addr}");
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

/// A server on loopback over `trees`, with `settings`; its address and its state.
async fn start_server(
    trees: &std::path::Path,
    db: &std::path::Path,
    settings: Settings,
) -> (SocketAddr, Arc<AppState>) {
    // Opening blocks (PostgreSQL's client has a runtime of its own).
    let (store, opened) = tokio::task::block_in_place(|| {
        let store = Store::open(db).unwrap();
        let opened = Trees::open(trees, store.clone()).unwrap();
        (store, opened)
    });
    let state = Arc::new(AppState::new(opened, store, None, settings.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_on(listener, router(Arc::clone(&state)), settings));
    (addr, state)
}

/// The harness measures the server's own costs: no rate limits in its way.
fn unlimited() -> Settings {
    Settings {
        starts_per_minute: 0,
        posts_per_minute: 0,
        max_events: usize::MAX,
        max_connections: 4_096,
        ..Settings::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.first().map(String::as_str) {
        Some("long") => runtime.block_on(long_sessions()),
        Some("flood") => {
            let seconds = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
            runtime.block_on(flood(seconds));
        }
        Some("edits") => {
            let trees = args.get(1).map_or("trees", String::as_str);
            let edits = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(120);
            let (_dir, db) = runtime.block_on(edits_of(std::path::Path::new(trees), edits));
            // Stopping the server closes the database, which folds its write-ahead log in:
            // the file's size is then the database's own.
            drop(runtime);
            println!(
                "database after {edits} edits, closed: {} KB",
                std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) / 1024
            );
        }
        Some("compare") => {
            let sessions = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
            let seconds = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
            // Made before the runtime runs: the test cluster's client blocks.
            let postgres = calltree_store::testing::postgres_database()
                .expect("the comparison needs PostgreSQL (Debian's postgresql package)");
            runtime.block_on(compare(sessions, seconds, &postgres));
        }
        _ => {
            let sessions = args.first().and_then(|a| a.parse().ok()).unwrap_or(64);
            let seconds = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
            runtime.block_on(steps(sessions, seconds));
        }
    }
}

fn loop_folder() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).unwrap();
    std::fs::write(trees.join("loop.tree"), TREE).unwrap();
    let db = dir.path().join("load.db");
    (dir, trees, db)
}

/// Steps per second and their latency, SESSIONS customers at once for SECONDS.
async fn steps(sessions: usize, seconds: u64) {
    let (_dir, trees, db) = loop_folder();
    let (addr, state) = start_server(&trees, &db, unlimited()).await;
    let store = state.store.clone();
    let until = Instant::now() + Duration::from_secs(seconds);
    let began = Instant::now();
    let clients: Vec<_> = (0..sessions)
        .map(|_| tokio::spawn(customer(vec![addr], until)))
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = began.elapsed();
    latencies.sort_unstable();
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
        quantile(&latencies, 0.5).as_secs_f64() * 1000.0,
        quantile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
}

/// Durable steps per second at SESSIONS customers for SECONDS each, side by side: SQLite
/// with one server, PostgreSQL with one, and PostgreSQL with two servers sharing the database
/// (each with its own store: writer, group commit and connections), steps round-robin.
async fn compare(sessions: usize, seconds: u64, postgres: &str) {
    let (_dir, trees, db) = loop_folder();
    let (sqlite, _) = start_server(&trees, &db, unlimited()).await;
    measure("SQLite, 1 instance", vec![sqlite], sessions, seconds).await;
    let postgres = std::path::Path::new(postgres);
    let (first, _) = start_server(&trees, postgres, unlimited()).await;
    measure("PostgreSQL, 1 instance", vec![first], sessions, seconds).await;
    let (second, _) = start_server(&trees, postgres, unlimited()).await;
    measure(
        "PostgreSQL, 2 instances",
        vec![first, second],
        sessions,
        seconds,
    )
    .await;
}

async fn measure(name: &str, addrs: Vec<SocketAddr>, sessions: usize, seconds: u64) {
    let until = Instant::now() + Duration::from_secs(seconds);
    let began = Instant::now();
    let clients: Vec<_> = (0..sessions)
        .map(|_| tokio::spawn(customer(addrs.clone(), until)))
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = began.elapsed();
    latencies.sort_unstable();
    println!(
        "{name}: {sessions} concurrent sessions for {:.1} s: {} steps, {:.0} steps/s, p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        quantile(&latencies, 0.5).as_secs_f64() * 1000.0,
        quantile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or_default()
}

/// A stored session of `events` events (the loop tree, round and round), made through the
/// kit in memory and stored in one transaction; its path and owner cookie.
fn long_session(store: &Store, trees: &std::path::Path, events: usize) -> (String, String) {
    let project = Arc::new(calltree_engine::Project::single(
        "loop.tree",
        std::fs::read_to_string(trees.join("loop.tree")).unwrap(),
    ));
    let tree = project.tree_by_name("loop").unwrap();
    // A millisecond a step, ending now: a session younger than the age limit.
    let mut at = calltree_calls::now() - events as i64;
    let mut call = calltree_calls::Call::start(
        project,
        tree,
        calltree_syntax::Audience::Customer,
        at,
        calltree_calls::MemoryCalls::new(),
    )
    .unwrap();
    while call.session().log().len() < events {
        at += 1;
        call.record(
            &calltree_engine::Step::action(calltree_engine::Action::Choose(0)),
            at,
        )
        .unwrap();
    }
    let log = call.session().log().to_vec();
    let created = store.create_session(&log[0]).unwrap();
    store.append_all(&created.id, 1, &log[1..]).unwrap();
    (
        format!("/s/{}", created.id),
        format!("calltree_{}={}", created.id, created.owner_token),
    )
}

/// What a page and a post cost at 100 and at 10,000 events.
async fn long_sessions() {
    let (_dir, trees, db) = loop_folder();
    let (addr, state) = start_server(&trees, &db, unlimited()).await;
    let host = format!("Host: {addr}\r\nOrigin: http://{addr}");
    for events in [100, 10_000] {
        let (path, cookie) = long_session(&state.store, &trees, events);
        let get = format!(
            "GET {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        );
        let first = Instant::now();
        let page = request(addr, get.clone()).await;
        let first = first.elapsed();
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let mut gets = Vec::new();
        let mut posts = Vec::new();
        for round in 0..200 {
            let sent = Instant::now();
            let page = request(addr, get.clone()).await;
            gets.push(sent.elapsed());
            assert!(page.starts_with("HTTP/1.1 200"));
            let seq = events + round;
            let body = format!("csrf={csrf}&seq={seq}&choose=0");
            let post = format!(
                "POST {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let sent = Instant::now();
            let reply = request(addr, post).await;
            posts.push(sent.elapsed());
            assert!(reply.starts_with("HTTP/1.1 303"), "{reply}");
        }
        gets.sort_unstable();
        posts.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{events} events: GET p50 {:.2} ms p99 {:.2} ms; POST p50 {:.2} ms p99 {:.2} ms; first GET (folding) {:.2} ms",
            ms(quantile(&gets, 0.5)),
            ms(quantile(&gets, 0.99)),
            ms(quantile(&posts, 0.5)),
            ms(quantile(&posts, 0.99)),
            ms(first),
        );
    }
}

/// One client starting sessions as fast as it can for SECONDS, with the default limits: how
/// many got through and how much the database grew.
async fn flood(seconds: u64) {
    let (_dir, trees, db) = loop_folder();
    let (addr, state) = start_server(&trees, &db, Settings::default()).await;
    let size = |db: &std::path::Path| -> u64 {
        ["", "-wal"]
            .iter()
            .map(|suffix| {
                std::fs::metadata(format!("{}{suffix}", db.display()))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum()
    };
    let before = size(&db);
    let until = Instant::now() + Duration::from_secs(seconds);
    let host = format!("Host: {addr}\r\nOrigin: http://{addr}");
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let host = host.clone();
            tokio::spawn(async move {
                let (mut started, mut refused) = (0u64, 0u64);
                while Instant::now() < until {
                    let reply = request(
                        addr,
                        format!("POST /start/loop HTTP/1.1\r\n{host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                    )
                    .await;
                    if reply.starts_with("HTTP/1.1 303") {
                        started += 1;
                    } else if reply.starts_with("HTTP/1.1 429") {
                        refused += 1;
                    }
                }
                (started, refused)
            })
        })
        .collect();
    let (mut started, mut refused) = (0, 0);
    for worker in workers {
        let (s, r) = worker.await.unwrap();
        started += s;
        refused += r;
    }
    let stored = state.store.sessions(None, None, usize::MAX).unwrap().len();
    println!(
        "flood for {seconds} s from one address: {started} sessions started, {refused} refused (429), {stored} stored; database {} KB before, {} KB after",
        before / 1024,
        size(&db) / 1024
    );
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The server's memory and database over EDITS edits of a copy of a trees folder, each
/// followed by a customer's session on the new version.
async fn edits_of(
    source: &std::path::Path,
    edits: usize,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let trees = dir.path().join("trees");
    std::fs::create_dir(&trees).unwrap();
    let mut edited = None;
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tree") {
            let target = trees.join(path.file_name().unwrap());
            std::fs::copy(&path, &target).unwrap();
            if std::fs::read_to_string(&target)
                .unwrap()
                .contains("audience: agent, customer")
            {
                edited.get_or_insert(target);
            }
        }
    }
    let edited = edited.expect("a tree that serves customers");
    let original = std::fs::read_to_string(&edited).unwrap();
    let db = dir.path().join("edits.db");
    let (addr, state) = start_server(&trees, &db, unlimited()).await;
    let host = format!("Host: {addr}\r\nOrigin: http://{addr}");
    let home = format!("GET / HTTP/1.1\r\n{host}\r\nConnection: close\r\n\r\n");
    let tree = original
        .lines()
        .find_map(|l| l.strip_prefix("tree "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    request(addr, home.clone()).await;
    let rss_before = rss_kb();
    for edit in 0..edits {
        let text = original.replacen("say \"", &format!("say \"(edit {edit}) "), 1);
        std::fs::write(&edited, text).unwrap();
        // The folder is looked at at most once a second.
        tokio::time::sleep(Duration::from_millis(1_050)).await;
        request(addr, home.clone()).await;
        let started = request(
            addr,
            format!("POST /start/{tree} HTTP/1.1\r\n{host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(started.starts_with("HTTP/1.1 303"), "{started}");
    }
    drop(state);
    println!(
        "{edits} edits of {}: RSS {} MB before, {} MB after ({:.2} MB per edit)",
        edited.file_name().unwrap().to_string_lossy(),
        rss_before / 1024,
        rss_kb() / 1024,
        (rss_kb() as f64 - rss_before as f64) / 1024.0 / edits.max(1) as f64,
    );
    (dir, db)
}
