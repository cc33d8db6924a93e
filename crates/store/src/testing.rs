//! For tests: a throw-away PostgreSQL to run the store's tests against, so the same tests
//! prove both backends.
//!
//! `postgres_database()` gives each caller a new, empty database. With `CALLTREE_TEST_POSTGRES`
//! set to an address (`postgres://user:password@host:port/any`) the databases are made on
//! that server; otherwise the first call starts a cluster of its own for this test process:
//! `initdb` and `postgres` from Debian's `postgresql` package (`/usr/lib/postgresql/*/bin`),
//! in a temporary folder, on a free port, as the `postgres` user when the tests run as root
//! (`initdb` refuses root). The server is started with a parent-death signal from a thread
//! that lives as long as the process, so it stops when the tests end, however they end; the
//! folders of clusters whose test process is gone are deleted by the next run.
//!
//! Without PostgreSQL the tests that need it pass with a note on standard error, so that
//! `cargo test` works on a fresh machine, unless PostgreSQL is required: `CI` is set (as in
//! `.ci/run`) or `CALLTREE_REQUIRE_POSTGRES=1`. Then a missing or broken PostgreSQL fails
//! the test, rather than the backend going untested.

#![allow(
    clippy::print_stderr,
    reason = "tests that cannot run say so where `cargo test` shows it"
)]

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment variable naming a PostgreSQL server to make test databases on.
pub const SERVER_VARIABLE: &str = "CALLTREE_TEST_POSTGRES";

/// How long a new cluster may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The cluster's superuser, which the tests connect as (trust authentication, local only).
const SUPERUSER: &str = "calltree";

/// Whether a test that needs PostgreSQL must fail without it, rather than be skipped.
pub fn postgres_required() -> bool {
    let set = |name: &str| {
        std::env::var(name)
            .ok()
            .is_some_and(|value| !value.is_empty() && value != "0" && value != "false")
    };
    set("CI") || set("CALLTREE_REQUIRE_POSTGRES")
}

/// The address of a new, empty database, or `None` (with a note) when PostgreSQL cannot be
/// had and is not required.
///
/// # Panics
///
/// When PostgreSQL is required (see the module docs) and cannot be started or reached: the
/// message says why.
#[allow(
    clippy::panic,
    reason = "a required test database that is missing fails the test"
)]
pub fn postgres_database() -> Option<String> {
    match try_database() {
        Ok(address) => Some(address),
        Err(why) if postgres_required() => panic!("PostgreSQL is required here: {why}"),
        Err(why) => {
            eprintln!("note: skipped the PostgreSQL half of this test: {why}");
            None
        }
    }
}

fn try_database() -> Result<String, String> {
    let server = match std::env::var(SERVER_VARIABLE) {
        Ok(address) if !address.is_empty() => address,
        _ => cluster()?.clone(),
    };
    let name = format!(
        "calltree_test_{}",
        crate::token::random_hex().map_err(|error| error.to_string())?
    );
    let mut client = postgres::Client::connect(&server, postgres::NoTls)
        .map_err(|error| format!("cannot connect to {server}: {error}"))?;
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(|error| format!("cannot create a database on {server}: {error}"))?;
    Ok(with_database(&server, &name))
}

/// `address` with its database (the path) replaced by `name`.
fn with_database(address: &str, name: &str) -> String {
    let (scheme, rest) = address.split_once("://").unwrap_or(("postgres", address));
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let query = tail.split_once('?').map(|(_, query)| query);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// The address of this process's own cluster (its `postgres` database), started once.
fn cluster() -> Result<&'static String, String> {
    static CLUSTER: OnceLock<Result<String, String>> = OnceLock::new();
    CLUSTER
        .get_or_init(start_cluster)
        .as_ref()
        .map_err(Clone::clone)
}

/// The folder with `initdb` and `postgres`: the newest of `/usr/lib/postgresql/*/bin`, or
/// wherever `pg_config` says.
fn postgres_bin() -> Result<PathBuf, String> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Ok(bin);
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    if let Ok(output) = output
        && output.status.success()
    {
        let bin = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if bin.join("initdb").is_file() {
            return Ok(bin);
        }
    }
    Err(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; on Debian: \
         apt-get install postgresql)"
            .into(),
    )
}

/// Whether this process runs as root, which `initdb` and `postgres` refuse.
fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|meta| std::os::unix::fs::MetadataExt::uid(&meta) == 0)
        .unwrap_or(false)
}

/// The user and group ids the cluster runs as when the tests run as root.
fn unprivileged_ids() -> Result<(u32, u32), String> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(|error| error.to_string())?;
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3
                && fields[0] == wanted
                && let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse())
            {
                return Ok((uid, gid));
            }
        }
    }
    Err("running as root and there is no `postgres` user to run PostgreSQL as".into())
}

/// A command for a PostgreSQL program, run as `ids` when given, with a parent-death signal:
/// `setpriv` sets it after changing user, where the kernel keeps it for the program.
fn command(program: &Path, ids: Option<(u32, u32)>) -> Command {
    let mut command = Command::new("setpriv");
    if let Some((uid, gid)) = ids {
        command.args([
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".to_owned(),
        ]);
    }
    command.args(["--pdeathsig", "TERM", "--"]).arg(program);
    command
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("no free port: {error}"))
}

/// Deletes the folders of earlier test processes' clusters that are gone.
fn sweep(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix("calltree-pg-"))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn start_cluster() -> Result<String, String> {
    let bin = postgres_bin()?;
    let ids = if is_root() {
        Some(unprivileged_ids()?)
    } else {
        None
    };
    let parent = std::env::temp_dir();
    sweep(&parent);
    let suffix = crate::token::random_hex().map_err(|error| error.to_string())?;
    let folder = parent.join(format!(
        "calltree-pg-{}-{}",
        std::process::id(),
        &suffix[..8]
    ));
    fs::create_dir_all(&folder).map_err(|error| format!("{}: {error}", folder.display()))?;
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(&folder, Some(uid), Some(gid))
            .map_err(|error| format!("cannot give {} to PostgreSQL: {error}", folder.display()))?;
    }
    let data = folder.join("data");
    let log = folder.join("log");

    let initdb = command(&bin.join("initdb"), ids)
        .arg("--pgdata")
        .arg(&data)
        .args([
            "--auth=trust",
            "--username",
            SUPERUSER,
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run initdb: {error}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr).trim()
        ));
    }

    let port = free_port()?;
    let log_file = fs::File::create(&log).map_err(|error| error.to_string())?;
    let mut server = command(&bin.join("postgres"), ids);
    server
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&folder)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=32MB",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);

    // The server is the child of a thread that never ends, because the parent-death signal
    // follows the thread that started it, and a test's own thread ends with the test.
    let (started, outcome) = mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("calltree-test-postgres".into())
        .spawn(move || {
            let child: Result<Child, _> = server.spawn();
            let _child = match child {
                Ok(child) => {
                    let _ = started.send(Ok(()));
                    child
                }
                Err(error) => {
                    let _ = started.send(Err(format!("cannot start postgres: {error}")));
                    return;
                }
            };
            loop {
                std::thread::park();
            }
        })
        .map_err(|error| error.to_string())?;
    outcome
        .recv()
        .map_err(|_| "the PostgreSQL thread stopped".to_owned())??;

    let address = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match postgres::Client::connect(&address, postgres::NoTls) {
            Ok(_) => return Ok(address),
            Err(error) if Instant::now() > deadline => {
                let log = fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "PostgreSQL did not start in {} s ({error}); its log:\n{log}",
                    START_TIMEOUT.as_secs()
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_test_database_keeps_the_servers_address_and_options() {
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "t2"), "postgresql://h/t2");
    }
}
