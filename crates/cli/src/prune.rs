//! `calltree prune`: deletes old sessions from the self-service database, as `calltree serve
//! --retain` does every hour, for a server run without it or for a database copied away; and
//! `calltree migrate`, which copies that database from an SQLite file into PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

/// Deletes sessions whose last event is more than `days` days old (keeping those whose
/// handoff code still works, and every tree version), and says how many went.
pub fn run(db: &Path, days: u32) -> anyhow::Result<ExitCode> {
    let shown = calltree_store::shown_location(db);
    if calltree_store::postgres_address(db).is_none() && !db.is_file() {
        anyhow::bail!("there is no session database at `{shown}`");
    }
    let store =
        calltree_store::Store::open(db).with_context(|| format!("cannot open `{shown}`"))?;
    let now = calltree_calls::now();
    let before = now.saturating_sub(i64::from(days) * 24 * 60 * 60 * 1000);
    let pruned = store.prune(before, now)?;
    println!(
        "deleted {} sessions and {} events older than {days} days from `{shown}`",
        pruned.sessions, pruned.events,
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies the SQLite session database `from` into the PostgreSQL database `to` and says what
/// it copied (`calltree migrate`).
pub fn migrate(from: &Path, to: &Path) -> anyhow::Result<ExitCode> {
    let shown = calltree_store::shown_location(to);
    if calltree_store::postgres_address(to).is_none() {
        anyhow::bail!("--to must be a PostgreSQL address (postgres://…), not `{shown}`");
    }
    if !from.is_file() {
        anyhow::bail!("there is no session database at `{}`", from.display());
    }
    let migrated = calltree_store::migrate(from, to)
        .with_context(|| format!("cannot copy `{}` to `{shown}`", from.display()))?;
    println!(
        "copied {} sessions ({} events) and {} tree versions from `{}` to `{shown}`",
        migrated.sessions,
        migrated.events,
        migrated.versions,
        from.display()
    );
    if migrated.skipped > 0 {
        println!(
            "{} sessions were in `{shown}` already and were left as they were",
            migrated.skipped
        );
    }
    Ok(ExitCode::SUCCESS)
}
