//! The trees the server runs, and every version of them it has run: a session is pinned to
//! the version it started on, so an author's edit never changes a customer's session
//! underneath them. The texts of each version are kept in the database (the host kit's
//! `Versions`), so a session can finish on its version even after a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use calltree_calls::Versions;
use calltree_engine::translation::TranslationInput;
use calltree_engine::{Project, SourceInput, TreeId};
use calltree_store::Store;

use crate::error::ServerError;

/// The trees served, the newest project loaded from them, and older versions on demand.
pub struct Trees {
    source: Source,
    current: RwLock<Loaded>,
    /// Projects by the session version (hash) of each of their trees.
    versions: Versions,
    /// When the folder was last looked at: at most once a second, not on every request.
    looked_at: Mutex<Instant>,
}

/// Where the trees come from.
enum Source {
    /// A folder, looked at for edits.
    Folder(PathBuf),
    /// The versions published to this server (`calltree publish`), kept in its database:
    /// what several instances on one PostgreSQL all serve alike.
    Published(Store),
}

struct Loaded {
    project: Arc<Project>,
    /// The files' modification times when loaded, to notice edits.
    stamps: Vec<(PathBuf, Option<SystemTime>)>,
    /// The live (tree, version) pairs loaded, when serving published versions.
    live: Vec<(String, String)>,
}

/// The live (tree, version) pairs.
type LivePairs = Vec<(String, String)>;
/// The published trees' files, their translations, and the live (tree, version) pairs.
type PublishedInputs = (Vec<SourceInput>, Vec<TranslationInput>, LivePairs);

/// The files of the live trees' versions, one copy of each file name: trees published
/// together share their files; where two live versions hold different texts under one name,
/// the one published later wins (the rule desktops follow too).
fn published_inputs(store: &Store) -> Result<PublishedInputs, ServerError> {
    let mut live = store.live_trees()?;
    let pairs = live
        .iter()
        .map(|tree| (tree.tree.clone(), tree.version.clone()))
        .collect();
    live.sort_by_key(|tree| tree.published_at);
    let mut inputs: Vec<SourceInput> = Vec::new();
    let mut translations: Vec<TranslationInput> = Vec::new();
    let mut read = std::collections::HashSet::new();
    for tree in &live {
        if !read.insert(tree.version.clone()) {
            continue;
        }
        let Some(files) = store.load_version(&tree.version)? else {
            crate::log(&format!(
                "the published version {} of {} is not in the database; left out",
                tree.version, tree.tree
            ));
            continue;
        };
        // A version keeps its translations beside its trees; a later publish's file of the
        // same name wins, for both.
        let (trees, translated) = calltree_calls::split_version_files(files);
        for input in trees {
            match inputs.iter_mut().find(|kept| kept.name == input.name) {
                Some(kept) => *kept = input,
                None => inputs.push(input),
            }
        }
        for input in translated {
            match translations.iter_mut().find(|kept| kept.name == input.name) {
                Some(kept) => *kept = input,
                None => translations.push(input),
            }
        }
    }
    Ok((inputs, translations, pairs))
}

fn stamps(files: &[PathBuf]) -> Vec<(PathBuf, Option<SystemTime>)> {
    files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(f).and_then(|m| m.modified()).ok(),
            )
        })
        .collect()
}

/// The folder's trees and every file they bring in with `use`, by the hosts' one rule
/// (`calltree_calls::load_trees`); files in the folder are named by their path inside it.
/// A file of the folder that cannot be read (not UTF-8, too large, unreadable) is logged and
/// left out, so one bad file never stops the rest being served; it is still watched, so
/// fixing it counts as a change. Returns the inputs and every file to watch.
/// A folder as read: the trees, their translation files, and every file to watch.
type Folder = (Vec<SourceInput>, Vec<TranslationInput>, Vec<PathBuf>);

fn read_folder(folder: &Path) -> Result<Folder, ServerError> {
    let loaded = calltree_calls::load_folder_leaving_out_unreadable(
        folder,
        calltree_files::DEFAULT_MAX_INPUT_SIZE,
    )
    .map_err(|e| ServerError::Trees(e.to_string()))?;
    let mut inputs = loaded.inputs;
    let mut translations = loaded.translations;
    for (input, path) in inputs.iter_mut().zip(&loaded.paths) {
        if let Ok(inside) = path.strip_prefix(folder) {
            let name = inside.display().to_string();
            for translation in translations
                .iter_mut()
                .filter(|t| t.tree_file == input.name)
            {
                translation.tree_file.clone_from(&name);
            }
            input.name = name;
        }
    }
    let mut watched = loaded.paths;
    // An edited translation is a change too: the pages show it at once.
    watched.extend(translations.iter().map(|t| PathBuf::from(&t.name)));
    for (file, error) in loaded.left_out {
        crate::log(&format!("left out `{}`: {error}", file.display()));
        watched.push(file);
    }
    // An unreadable translation file is watched too: fixed, it is served; meanwhile it is
    // not a new file every second.
    for (translation, error) in loaded.unreadable_translations {
        crate::log(&format!("left out `{}`: {error}", translation.name));
        watched.push(PathBuf::from(translation.name));
    }
    Ok((inputs, translations, watched))
}

/// Whether a file loaded changed or went, or a new tree appeared in the folder.
fn changed(folder: &Path, loaded: &[(PathBuf, Option<SystemTime>)]) -> bool {
    let paths: Vec<PathBuf> = loaded.iter().map(|(path, _)| path.clone()).collect();
    if stamps(&paths) != loaded {
        return true;
    }
    let trees = calltree_files::tree_files(folder).unwrap_or_default();
    trees.iter().any(|file| !paths.contains(file)) || new_translation(&trees, &paths)
}

/// Whether a tree of the folder has a translation file that is not among `paths`: a
/// language added while the server runs is served without a restart. Each folder of trees
/// is listed once, however many trees it holds.
fn new_translation(trees: &[PathBuf], paths: &[PathBuf]) -> bool {
    let mut folders: Vec<&Path> = trees.iter().filter_map(|t| t.parent()).collect();
    folders.sort_unstable();
    folders.dedup();
    folders.into_iter().any(|folder| {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return false;
        };
        entries.filter_map(Result::ok).any(|entry| {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                return false;
            };
            // `NAME.LOCALE.po` beside `NAME.tree`, as the kit's loader finds them.
            let Some((stem, locale)) = name
                .strip_suffix(".po")
                .and_then(|rest| rest.rsplit_once('.'))
            else {
                return false;
            };
            !locale.is_empty()
                && trees.contains(&path.with_file_name(format!("{stem}.tree")))
                && !paths.contains(&path)
        })
    })
}

impl Trees {
    /// Loads the folder. Trees with errors are still loaded (the rest may be fine); they
    /// simply cannot start.
    pub fn open(folder: &Path, store: Store) -> Result<Trees, ServerError> {
        let (inputs, translations, files) = read_folder(folder)?;
        let trees = Trees::empty(Source::Folder(folder.to_path_buf()), store);
        trees.install(inputs, translations, stamps(&files), Vec::new())?;
        Ok(trees)
    }

    /// Serves the versions published to this server's database (`calltree publish`) rather
    /// than a folder: a new publish is served within a second, by every instance on the
    /// database. Before anything is published there are no trees.
    pub fn published(store: Store) -> Result<Trees, ServerError> {
        let (inputs, translations, live) = published_inputs(&store)?;
        let trees = Trees::empty(Source::Published(store.clone()), store);
        trees.install(inputs, translations, Vec::new(), live)?;
        Ok(trees)
    }

    fn empty(source: Source, store: Store) -> Trees {
        Trees {
            source,
            current: RwLock::new(Loaded {
                project: Arc::new(Project::load(Vec::new())),
                stamps: Vec::new(),
                live: Vec::new(),
            }),
            versions: Versions::with_store(store),
            looked_at: Mutex::new(Instant::now()),
        }
    }

    fn install(
        &self,
        inputs: Vec<SourceInput>,
        translations: Vec<TranslationInput>,
        stamps: Vec<(PathBuf, Option<SystemTime>)>,
        live: Vec<(String, String)>,
    ) -> Result<(), ServerError> {
        let mut project = Project::load(inputs);
        project.add_translations(translations);
        let project = Arc::new(project);
        self.versions.save(&project)?;
        if let Ok(mut current) = self.current.write() {
            *current = Loaded {
                project,
                stamps,
                live,
            };
        }
        Ok(())
    }

    /// The newest project, reloading the folder first if a file changed, appeared or went.
    pub fn current(&self) -> Arc<Project> {
        let due = self.looked_at.lock().is_ok_and(|mut looked_at| {
            let due = looked_at.elapsed() >= Duration::from_secs(1);
            if due {
                *looked_at = Instant::now();
            }
            due
        });
        if due {
            self.look_again();
        }
        self.current
            .read()
            .map(|loaded| Arc::clone(&loaded.project))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner().project))
    }

    /// Reloads the trees if the folder changed or a new version was published.
    fn look_again(&self) {
        let installed = match &self.source {
            Source::Folder(folder) => {
                let changed = self
                    .current
                    .read()
                    .map_or(true, |loaded| changed(folder, &loaded.stamps));
                if !changed {
                    return;
                }
                let Ok((inputs, translations, files)) = read_folder(folder) else {
                    return;
                };
                self.install(inputs, translations, stamps(&files), Vec::new())
            }
            Source::Published(store) => {
                // One small read a second; the versions' files only when the list changed.
                let live: Vec<(String, String)> = match store.live_trees() {
                    Ok(live) => live.into_iter().map(|t| (t.tree, t.version)).collect(),
                    Err(error) => {
                        crate::log(&format!(
                            "could not look for newly published trees: {error}"
                        ));
                        return;
                    }
                };
                if self.current.read().is_ok_and(|loaded| loaded.live == live) {
                    return;
                }
                published_inputs(store).and_then(|(inputs, translations, live)| {
                    self.install(inputs, translations, Vec::new(), live)
                })
            }
        };
        if let Err(error) = installed {
            crate::log(&format!(
                "could not record a new version of the trees: {error}"
            ));
        }
    }

    /// The versions of the trees: the ones loaded, and every one kept in the database.
    pub fn versions(&self) -> &Versions {
        &self.versions
    }
}

/// The trees customers may start: they serve customers, have a start and no errors.
pub fn customer_trees(project: &Project) -> Vec<TreeId> {
    let broken: Vec<_> = project
        .all_diagnostics()
        .filter(|(_, d)| d.is_error())
        .map(|(file, _)| file)
        .collect();
    project
        .trees()
        .filter(|(_, tree)| {
            tree.serves(calltree_syntax::Audience::Customer)
                && tree.start.is_some()
                && !broken.contains(&tree.file)
        })
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    /// Issue 14: the server read only the folder, so a customer tree calling a sub-tree
    /// brought in with `use` from another folder had an error and could not start.
    #[test]
    fn a_tree_calling_a_used_sub_tree_elsewhere_can_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::write(
            dir.path().join("site/help.tree"),
            "use \"../shared/hello.tree\"\n\ntree help \"Help\"\n  audience: customer\n  \
             start: greet\n\nnode greet \"Greet\"\n  say \"Hi\"\n  call hello -> done\n\n\
             node done \"Done\"\n  say \"Bye\"\n  end resolved\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("shared/hello.tree"),
            "tree hello \"Hello\"\n  audience: customer\n  start: ask\n\n\
             node ask \"Ask\"\n  say \"Ready?\"\n  option \"Yes\" -> back\n\n\
             node back \"Back\"\n  say \"Good.\"\n  return\n",
        )
        .unwrap();
        let store = Store::open(dir.path().join("sessions.db")).unwrap();
        let trees = Trees::open(&dir.path().join("site"), store).unwrap();
        let project = trees.current();
        let errors: Vec<String> = project
            .all_diagnostics()
            .map(|(_, d)| d.message.clone())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let help = project.tree_by_name("help").unwrap();
        assert!(customer_trees(&project).contains(&help));
        assert!(
            !changed(
                &dir.path().join("site"),
                &trees.current.read().unwrap().stamps
            ),
            "a used file outside the folder is not a change every second"
        );
    }

    /// Issue 20: a translation file added while the server ran was only served after a
    /// restart, because only the files loaded were watched.
    #[test]
    fn a_translation_file_added_later_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(
            site.join("help.tree"),
            "tree help \"Help\"\n  audience: customer\n  start: greet\n\n\
             node greet \"Greet\"\n  say \"Hi\"\n  end resolved\n",
        )
        .unwrap();
        // A PO file of no tree is not one.
        std::fs::write(site.join("other.fr.po"), "").unwrap();
        let store = Store::open(dir.path().join("sessions.db")).unwrap();
        let trees = Trees::open(&site, store).unwrap();
        assert!(!changed(&site, &trees.current.read().unwrap().stamps));
        std::fs::write(
            site.join("help.fr.po"),
            "msgctxt \"greet.say.1\"\nmsgid \"Hi\"\nmsgstr \"Salut\"\n",
        )
        .unwrap();
        assert!(changed(&site, &trees.current.read().unwrap().stamps));
        // Once loaded, it is watched like the rest.
        let (inputs, translations, files) = read_folder(&site).unwrap();
        trees
            .install(inputs, translations, stamps(&files), Vec::new())
            .unwrap();
        assert!(!changed(&site, &trees.current.read().unwrap().stamps));
        assert_eq!(trees.current().locales(), ["fr"]);
    }

    /// Issue 13: a file of the folder that could not be read (here not UTF-8) stopped the
    /// server from starting, and on a reload kept every other edit from being served.
    #[test]
    fn an_unreadable_file_is_left_out_and_the_rest_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(
            site.join("help.tree"),
            "tree help \"Help\"\n  audience: customer\n  start: greet\n\n\
             node greet \"Greet\"\n  say \"Hi\"\n  end resolved\n",
        )
        .unwrap();
        std::fs::write(site.join("broken.tree"), b"tree broken \xff\xfe\n").unwrap();
        let store = Store::open(dir.path().join("sessions.db")).unwrap();
        let trees = Trees::open(&site, store).unwrap();
        let project = trees.current();
        assert!(project.tree_by_name("help").is_some());
        assert!(
            !changed(&site, &trees.current.read().unwrap().stamps),
            "the left-out file is watched, not a change every second"
        );
    }
}
