//! `calltree translate extract`: writes or brings up to date each named tree's translation
//! file for a locale (`NAME.LOCALE.po` beside `NAME.tree`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};

use calltree_engine::translation::{self, PoFile};

use crate::files;
use crate::output::Output;

pub fn extract(locale: &str, paths: &[PathBuf]) -> Result<ExitCode> {
    if !translation::is_bcp47(locale) {
        bail!(
            "`{locale}` is not a BCP 47 language tag: use a tag like `fr`, `pt-BR` or `zh-Hant`{}",
            if locale.contains('_') {
                format!(" (here `{}`)", locale.replace('_', "-"))
            } else {
                String::new()
            }
        );
    }
    let loaded = files::load_project(paths)?;
    let project = &loaded.project;
    let mut out = Output::stdout();
    for (id, file) in project.files().take(loaded.named) {
        let tree = Path::new(&file.name);
        let target = translation_path(tree, locale);
        let existing: Option<PoFile> = if target.exists() {
            let bytes = calltree_files::read_bytes_within(&target, files::max_input_size())?;
            let (_, po, problems) = translation::parse_po(&bytes);
            if !problems.is_empty() {
                // Writing over a file that did not read whole would drop what it could not
                // read: the translator's work. `check` shows where it is broken.
                bail!(
                    "{} has {} problem(s) that would lose translations if it were rewritten: run `calltree check {}` and fix them first",
                    target.display(),
                    problems.len(),
                    tree.display()
                );
            }
            Some(po)
        } else {
            None
        };
        let text = translation::extract(project, id, locale, existing.as_ref());
        let sources = translation::source_texts(project, id);
        let (_, written, _) = translation::parse_po(text.as_bytes());
        let to_do = written
            .entries
            .iter()
            .filter(|e| e.translation.is_empty() || e.fuzzy)
            .count();
        let unchanged = existing
            .as_ref()
            .is_some_and(|old| old.entries == written.entries && old.language == written.language);
        if !unchanged {
            files::write_atomically(&target, &text)?;
        }
        out.line(&format!(
            "{} {}: {} texts, {} to translate or review",
            if unchanged { "unchanged" } else { "wrote" },
            target.display(),
            sources.len(),
            to_do
        ))?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// `NAME.LOCALE.po` beside `NAME.tree`.
fn translation_path(tree: &Path, locale: &str) -> PathBuf {
    let stem = tree
        .file_stem()
        .map_or_else(|| "tree".into(), |s| s.to_string_lossy());
    tree.with_file_name(format!("{stem}.{locale}.po"))
}
