//! `calltree agents`: who may use the server's API from their desktops. An administrator
//! adds an agent on the machine that reaches the session database and hands the printed
//! token to that agent's desktop; only its hash is kept, so it is printed once.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use calltree_store::Store;

fn open(db: &Path) -> anyhow::Result<Store> {
    let shown = calltree_store::shown_location(db);
    if !calltree_store::location_exists(db) {
        anyhow::bail!(
            "there is no session database at `{shown}` (give the one `calltree serve` uses \
             with --db)"
        );
    }
    Store::open(db).with_context(|| format!("cannot open `{shown}`"))
}

/// Adds an agent and prints its token: alone on standard output, so a script can take it,
/// with what to do with it on standard error.
pub fn add(db: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let store = open(db)?;
    let token = store.add_agent(name, calltree_calls::now())?;
    crate::output::emit(&format!("{token}\n"))?;
    eprintln!(
        "This is the token of agent `{name}`. It is shown only this once (the server keeps \
         only its hash): put it in that agent's desktop settings now, and keep it secret. \
         `calltree agents revoke {name}` stops it working."
    );
    Ok(ExitCode::SUCCESS)
}

pub fn list(db: &Path) -> anyhow::Result<ExitCode> {
    let store = open(db)?;
    let agents = store.agents()?;
    let mut text = String::new();
    if agents.is_empty() {
        text.push_str("no agents yet: add one with `calltree agents add NAME`\n");
    }
    for agent in agents {
        text.push_str(&match agent.revoked_at {
            Some(at) => format!(
                "{}  added {}  revoked {}\n",
                agent.name,
                day(agent.created_at),
                day(at)
            ),
            None => format!("{}  added {}\n", agent.name, day(agent.created_at)),
        });
    }
    crate::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn revoke(db: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let store = open(db)?;
    store.revoke_agent(name, calltree_calls::now())?;
    crate::output::emit(&format!("agent `{name}`'s token no longer works\n"))?;
    Ok(ExitCode::SUCCESS)
}

/// `calltree publish`: the files of `dir` to the hub, which checks them and makes their trees
/// live. Exit status 1 when the server refused them for errors (printed as it gave them).
pub fn publish(dir: &Path, url: &str, token: &str) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        anyhow::bail!("`{}` is not a folder of trees", dir.display());
    }
    let loaded = calltree_calls::load_trees(&[dir.to_path_buf()], crate::files::max_input_size())
        .with_context(|| format!("cannot read the trees in `{}`", dir.display()))?;
    if let Some((file, why)) = loaded.unreadable_translations.first() {
        anyhow::bail!("cannot read the translation file `{}`: {why}", file.name);
    }
    let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // Each tree file under its name inside the folder, as the hub keeps it.
    let names: Vec<(String, String)> = loaded
        .inputs
        .iter()
        .zip(&loaded.paths)
        .map(|(input, path)| {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            let name = canonical.strip_prefix(&base).map_or_else(
                |_| input.name.clone(),
                |inside| inside.display().to_string(),
            );
            (input.name.clone(), name)
        })
        .collect();
    let mut files: Vec<calltree_calls::TreeFile> = loaded
        .inputs
        .into_iter()
        .zip(&names)
        .map(|(input, (_, name))| calltree_calls::TreeFile {
            name: name.clone(),
            text: input.text,
        })
        .collect();
    if files.is_empty() {
        anyhow::bail!("there are no .tree files in `{}`", dir.display());
    }
    // The translations go with their trees, so the hub's pages and desktops speak them too.
    for translation in loaded.translations {
        let Some((_, tree_file)) = names
            .iter()
            .find(|(input, _)| *input == translation.tree_file)
        else {
            continue;
        };
        let text = String::from_utf8(translation.bytes).map_err(|_| {
            anyhow::anyhow!(
                "the translation file `{}` is not UTF-8; `calltree check {}` says where",
                translation.name,
                dir.display()
            )
        })?;
        files.push(calltree_calls::TreeFile {
            name: calltree_calls::translation_file_name(&translation.locale, tree_file),
            text,
        });
    }
    let client = calltree_calls::HubClient::new(url, token)?;
    match client.publish(files) {
        Ok(live) => {
            let mut text = String::new();
            for tree in live {
                text.push_str(&format!(
                    "published {} version {}\n",
                    tree.tree,
                    tree.version.get(..12).unwrap_or(&tree.version)
                ));
            }
            // A reader that went away (`| head`) is no reason to fail: it is published.
            crate::output::emit(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(calltree_calls::CallsError::Server {
            status: 422,
            message,
            diagnostics,
        }) => {
            eprint!("{}", diagnostics.unwrap_or_default());
            eprintln!("error: {message}");
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error.into()),
    }
}

/// A time as its UTC day, `YYYY-MM-DD` (the civil-from-days rule, proleptic Gregorian).
fn day(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(super::day(0), "1970-01-01");
        assert_eq!(super::day(951_782_400_000), "2000-02-29");
        assert_eq!(super::day(1_796_256_000_000), "2026-12-03");
    }
}
