//! `calltree prune`: deletes old sessions from the self-service database, as `calltree serve
//! --retain` does every hour, for a server run without it or for a database copied away.

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
