//! A soak test of the real `calltree serve` on loopback: normal customers, idle and slow
//! clients, one address flooding, a `kill -9` in the middle and a restart on the same
//! database.
//!
//! It asserts what the operator is promised:
//! - no event the server acknowledged (a 303 after a post) is lost by the kill;
//! - normal customers' p99 latency stays under `P99_BOUND` (stated generously: this runs a
//!   debug build, beside the test's own threads, on two shared cores);
//! - the server's memory is back near where it was before the load once the load is gone
//!   (within `MEMORY_SLACK_KB`: caches are bounded, not empty).
//!
//! Each client is its own address (`X-Forwarded-For` behind `--trusted-proxy`), as real
//! customers would be, so the flood's rate limit is its own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a test whose setup fails should fail loudly, and says its figures"
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calltree_store::Store;

const TREE: &str = r#"tree loop "Round and round"
  audience: customer
  start: ask

node ask "Ask"
  say "Shall we go round again?"
  option "Again" -> again
  option "Done" -> done

node again "Again"
  say "And again?"
  option "Again" -> ask
  option "Done" -> done

node done "Done"
  say "Thanks."
  end resolved
"#;

/// Normal customers' p99 latency must stay under this.
const P99_BOUND: Duration = Duration::from_secs(2);
/// How far above the baseline the server's memory may stay once the load is gone.
const MEMORY_SLACK_KB: u64 = 24 * 1024;
const CUSTOMERS: usize = 6;
const SLOW_CLIENTS: usize = 40;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path, addr: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args([
            "serve",
            "--trees",
            "trees",
            "--db",
            "sessions.db",
            "--addr",
            addr,
            "--trusted-proxy",
            "--max-connections",
            "64",
            "--header-timeout",
            "1",
            "--idle-timeout",
            "1",
            "--body-timeout",
            "1",
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
    // Keep reading its log so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = log.read_to_string(&mut sink);
    });
    Server { child, port }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// One request; `None` when the server is not there (killed, restarting).
fn exchange(port: u16, request: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    Some((status, raw))
}

fn find<'r>(raw: &'r str, name: &str) -> Option<&'r str> {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim())
}

#[derive(Default)]
struct Tally {
    /// (session id, events it has for sure): every post the server acknowledged.
    acknowledged: Vec<(String, usize)>,
    latencies: Vec<Duration>,
    failed: usize,
}

/// A customer: starts a session, reads its page, and goes round, posting one step at a time,
/// until told to stop; starts again after the end or after losing the server.
fn customer(port: Arc<Mutex<u16>>, who: usize, stop: Arc<AtomicBool>, tally: Arc<Mutex<Tally>>) {
    let address = format!("10.0.{}.{}", who / 200, who % 200 + 1);
    while !stop.load(Ordering::Relaxed) {
        let port_now = *port.lock().unwrap();
        let host = format!(
            "Host: 127.0.0.1:{port_now}\r\nOrigin: http://127.0.0.1:{port_now}\r\nX-Forwarded-For: {address}"
        );
        let timed = |request: String| {
            let sent = Instant::now();
            let reply = exchange(port_now, &request);
            let mut tally = tally.lock().unwrap();
            match &reply {
                Some(_) => tally.latencies.push(sent.elapsed()),
                None => tally.failed += 1,
            }
            reply
        };
        let Some((303, started)) = timed(format!(
            "POST /start/loop HTTP/1.1\r\n{host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let (Some(path), Some(cookie)) = (find(&started, "location"), find(&started, "set-cookie"))
        else {
            continue;
        };
        let (path, cookie) = (
            path.to_owned(),
            cookie.split(';').next().unwrap_or("").to_owned(),
        );
        let id = path.trim_start_matches("/s/").to_owned();
        let Some((200, page)) = timed(format!(
            "GET {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )) else {
            continue;
        };
        let Some(csrf) = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
        else {
            continue;
        };
        for seq in 1..40 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let body = format!("csrf={csrf}&seq={seq}&choose=0");
            let reply = timed(format!(
                "POST {path} HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            ));
            match reply {
                Some((303, raw)) if !raw.contains("stale=1") => {
                    tally
                        .lock()
                        .unwrap()
                        .acknowledged
                        .push((id.clone(), seq + 1));
                }
                // Lost the server, or a refusal: start a new session.
                _ => break,
            }
        }
    }
}

/// Connections that hold a place and do nothing, or send their headers a byte at a time.
fn slow_client(port: u16, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let _ = stream.write_all(b"GET / HTTP/1.1\r\nHo");
        for _ in 0..30 {
            if stop.load(Ordering::Relaxed) || stream.write_all(b"s").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One address starting sessions as fast as it can.
fn flood(port: u16, stop: Arc<AtomicBool>) -> (usize, usize) {
    let (mut started, mut refused) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        match exchange(
            port,
            &format!(
                "POST /start/loop HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-For: 10.9.9.9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
        ) {
            Some((303, _)) => started += 1,
            Some((429 | 503, _)) => refused += 1,
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    (started, refused)
}

/// Runs the whole mixed load against `port` for `seconds`, calling `midway` halfway.
fn mixed_load(
    port: Arc<Mutex<u16>>,
    seconds: u64,
    tally: &Arc<Mutex<Tally>>,
    midway: impl FnOnce(),
) -> (usize, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let port_now = *port.lock().unwrap();
    let mut threads = Vec::new();
    for who in 0..CUSTOMERS {
        let (port, stop, tally) = (Arc::clone(&port), Arc::clone(&stop), Arc::clone(tally));
        threads.push(std::thread::spawn(move || customer(port, who, stop, tally)));
    }
    for _ in 0..SLOW_CLIENTS {
        let stop = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || slow_client(port_now, stop)));
    }
    let flooding = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || flood(port_now, stop))
    };
    std::thread::sleep(Duration::from_secs(seconds / 2));
    midway();
    std::thread::sleep(Duration::from_secs(seconds - seconds / 2));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    flooding.join().unwrap()
}

#[test]
fn customers_are_served_and_nothing_acknowledged_is_lost_through_floods_and_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("trees")).unwrap();
    std::fs::write(dir.path().join("trees/loop.tree"), TREE).unwrap();
    let began = Instant::now();

    let server = Arc::new(Mutex::new(Some(serve(dir.path(), "127.0.0.1:0"))));
    let first_port = server.lock().unwrap().as_ref().unwrap().port;
    let port = Arc::new(Mutex::new(first_port));
    let tally = Arc::new(Mutex::new(Tally::default()));

    // Round one: the mixed load, and `kill -9` halfway, then a restart on the same database
    // and port while the clients keep trying.
    let (server_for_kill, dir_path) = (Arc::clone(&server), dir.path().to_path_buf());
    let (flood_one, refused_one) = mixed_load(Arc::clone(&port), 6, &tally, move || {
        let mut running = server_for_kill.lock().unwrap();
        if let Some(mut killed) = running.take() {
            killed.child.kill().unwrap(); // SIGKILL: no chance to flush anything
            killed.child.wait().unwrap();
        }
        let mut restarted = None;
        for _ in 0..50 {
            // The port may take a moment to be free again.
            let attempt =
                std::panic::catch_unwind(|| serve(&dir_path, &format!("127.0.0.1:{first_port}")));
            if let Ok(server) = attempt {
                restarted = Some(server);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        *running = Some(restarted.expect("the server restarts on its port"));
    });

    // Every acknowledged event survived the kill.
    let store = Store::open(dir.path().join("sessions.db")).unwrap();
    let acknowledged = tally.lock().unwrap().acknowledged.clone();
    assert!(
        acknowledged.len() > 50,
        "the load did little: {}",
        acknowledged.len()
    );
    let mut lost = 0;
    for (id, events) in &acknowledged {
        let stored = store.event_count(id).unwrap().unwrap_or(0);
        if stored < *events {
            lost += 1;
        }
    }
    assert_eq!(lost, 0, "acknowledged events lost across kill -9");

    // Round two, on the restarted server: memory before, under and after the load.
    let pid = server.lock().unwrap().as_ref().unwrap().child.id();
    std::thread::sleep(Duration::from_millis(1_500));
    let baseline = rss_kb(pid);
    let round_two = Arc::new(Mutex::new(Tally::default()));
    let mut peak = 0;
    let (flood_two, refused_two) = mixed_load(Arc::clone(&port), 6, &round_two, || {
        peak = rss_kb(pid);
    });
    // Idle and slow connections time out after a second.
    std::thread::sleep(Duration::from_millis(2_500));
    let after = rss_kb(pid);

    let mut latencies = round_two.lock().unwrap().latencies.clone();
    latencies.extend(tally.lock().unwrap().latencies.iter().copied());
    latencies.sort_unstable();
    let p99 = latencies[(latencies.len() - 1) * 99 / 100];
    let p50 = latencies[(latencies.len() - 1) / 2];
    eprintln!(
        "soak: {:.1} s; {} customer requests, p50 {:.1} ms, p99 {:.1} ms; {} acknowledged \
         posts before and through the kill, 0 lost; flood {} started / {} refused, then {} / {}; \
         memory {} MB before round two, {} MB under it, {} MB after",
        began.elapsed().as_secs_f64(),
        latencies.len(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        acknowledged.len(),
        flood_one,
        refused_one,
        flood_two,
        refused_two,
        baseline / 1024,
        peak / 1024,
        after / 1024,
    );
    assert!(p99 < P99_BOUND, "customers' p99 {p99:?} over {P99_BOUND:?}");
    assert!(
        after <= baseline + MEMORY_SLACK_KB,
        "memory did not come back: {after} KB after, {baseline} KB before"
    );
    assert!(
        refused_one + refused_two > 0,
        "the flood was never refused: the limits did nothing"
    );
    assert_eq!(
        round_two.lock().unwrap().failed,
        0,
        "customers lost requests with no kill"
    );
}
