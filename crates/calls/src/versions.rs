//! Which project a tree version runs on. A session is pinned to the version (fingerprint) it
//! started on; every host and every report finds that version's project here: among the
//! projects the host has loaded, else rebuilt from the texts the session database keeps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use calltree_engine::translation::TranslationInput;
use calltree_engine::{Event, Project, SourceInput};
use calltree_store::Store;

use crate::error::CallsError;

/// Old versions rebuilt from the database and kept in memory, the most recently used ones.
/// A project is about a megabyte in memory; a server whose trees were edited all day would
/// otherwise keep every version it ever loaded. Rebuilding one costs a load (milliseconds).
pub const REBUILT_KEPT: usize = 16;

/// How a translation file is named among a version's files: this, its locale, `:`, and the
/// name of the tree file it translates. No tree file is named so (a BCP 47 tag has no `:`).
const TRANSLATION_PREFIX: &str = "translation:";

/// The name a translation of `tree_file` into `locale` has among a version's files (and among
/// the files `calltree publish` sends).
pub fn translation_file_name(locale: &str, tree_file: &str) -> String {
    format!("{TRANSLATION_PREFIX}{locale}:{tree_file}")
}

/// The files a version is kept as: every tree file, then every translation file of the
/// project (named as [`TRANSLATION_PREFIX`] says), so a version rebuilt from the database
/// speaks the languages it spoke when it was saved.
pub fn version_files(project: &Project) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = project
        .files()
        .map(|(_, file)| (file.name.clone(), file.text.clone()))
        .collect();
    for translation in project.translation_files() {
        if let Some(tree_file) = translation.file {
            files.push((
                translation_file_name(&translation.locale, &project.file(tree_file).name),
                translation.text.clone(),
            ));
        }
    }
    files
}

/// The project of a version's kept files (see [`version_files`]): its trees, with their
/// translations added. Versions kept before translations were kept have none.
pub fn project_of_version(files: impl IntoIterator<Item = (String, String)>) -> Project {
    let (trees, translations) = split_version_files(files);
    let mut project = Project::load(trees);
    project.add_translations(translations);
    project
}

/// A version's kept files (see [`version_files`]) as a project's inputs: the tree files,
/// and the translation files to add to it.
pub fn split_version_files(
    files: impl IntoIterator<Item = (String, String)>,
) -> (Vec<SourceInput>, Vec<TranslationInput>) {
    let mut trees = Vec::new();
    let mut translations = Vec::new();
    for (name, text) in files {
        let translation = name
            .strip_prefix(TRANSLATION_PREFIX)
            .and_then(|rest| rest.split_once(':'));
        match translation {
            Some((locale, tree_file)) => translations.push(TranslationInput {
                name: po_name(tree_file, locale),
                locale: locale.to_owned(),
                tree_file: tree_file.to_owned(),
                bytes: text.into_bytes(),
            }),
            None => trees.push(SourceInput::new(name, text)),
        }
    }
    (trees, translations)
}

/// `trees/a.tree` and `fr` → `trees/a.fr.po`: the name the file had beside its tree.
fn po_name(tree_file: &str, locale: &str) -> String {
    let stem = tree_file.strip_suffix(".tree").unwrap_or(tree_file);
    format!("{stem}.{locale}.po")
}

/// Projects by the session version of each of their trees.
///
/// Without a database every project added is kept: nothing else could rebuild it. With one,
/// only the newest project added (or saved) is kept for good; the versions it replaces are
/// dropped from memory, and an old version asked for is rebuilt from the texts the database
/// keeps and held among the `REBUILT_KEPT` most recently used.
///
/// Cheap to clone; clones share their projects (a report's source can add the versions it
/// fetches to the `Versions` the report reads).
#[derive(Debug, Default, Clone)]
pub struct Versions {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    known: RwLock<HashMap<String, Arc<Project>>>,
    /// Versions rebuilt from the database, least recently used first.
    rebuilt: Mutex<VecDeque<(String, Arc<Project>)>>,
    /// Where versions no longer loaded are rebuilt from.
    saved: Option<Store>,
}

impl Versions {
    /// Only the projects added with [`Versions::add`].
    pub fn new() -> Versions {
        Versions::default()
    }

    /// The projects added, and every version the database keeps.
    pub fn with_store(store: Store) -> Versions {
        Versions {
            shared: Arc::new(Shared {
                known: RwLock::default(),
                rebuilt: Mutex::default(),
                saved: Some(store),
            }),
        }
    }

    /// Makes every tree version of `project` known. With a database, it replaces the project
    /// added before, whose versions can be rebuilt from there when asked for.
    pub fn add(&self, project: &Arc<Project>) {
        let mut known = self
            .shared
            .known
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if self.shared.saved.is_some() {
            known.clear();
        }
        for (id, _) in project.trees() {
            known.insert(project.session_hash(id), Arc::clone(project));
        }
    }

    /// Keeps the files of every tree version of `project` in the database (when there is
    /// one), so sessions pinned to them can be continued and reported after the files change,
    /// and makes them known.
    pub fn save(&self, project: &Arc<Project>) -> Result<(), CallsError> {
        if let Some(store) = &self.shared.saved {
            let texts = version_files(project);
            for (id, _) in project.trees() {
                store.save_version(&project.session_hash(id), &texts)?;
            }
        }
        self.add(project);
        Ok(())
    }

    /// The project of a version, or `None` when it is neither loaded nor kept.
    pub fn project(&self, version: &str) -> Result<Option<Arc<Project>>, CallsError> {
        if let Some(project) = self
            .shared
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(version)
        {
            return Ok(Some(Arc::clone(project)));
        }
        let Some(store) = &self.shared.saved else {
            return Ok(None);
        };
        {
            let mut rebuilt = self
                .shared
                .rebuilt
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = rebuilt.iter().position(|(v, _)| v == version)
                && let Some(entry) = rebuilt.remove(at)
            {
                let project = Arc::clone(&entry.1);
                rebuilt.push_back(entry);
                return Ok(Some(project));
            }
        }
        let Some(files) = store.load_version(version)? else {
            return Ok(None);
        };
        let project = Arc::new(project_of_version(files));
        // Keep only the version asked for: the rebuilt project may hold other trees whose
        // versions differ from what the folder has now.
        let mut rebuilt = self
            .shared
            .rebuilt
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rebuilt.push_back((version.to_owned(), Arc::clone(&project)));
        while rebuilt.len() > REBUILT_KEPT {
            rebuilt.pop_front();
        }
        Ok(Some(project))
    }

    /// The project a stored session runs on, found from its `Started` event.
    pub fn for_session(&self, id: &str, events: &[Event]) -> Result<Arc<Project>, CallsError> {
        let Some(Event::Started { tree, version, .. }) = events.first() else {
            return Err(CallsError::NotStarted(id.to_owned()));
        };
        self.project(version)?
            .ok_or_else(|| CallsError::VersionMissing {
                tree: tree.clone(),
                version: version.chars().take(12).collect(),
            })
    }
}
