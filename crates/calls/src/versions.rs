//! Which project a tree version runs on. A session is pinned to the version (fingerprint) it
//! started on; every host and every report finds that version's project here: among the
//! projects the host has loaded, else rebuilt from the texts the session database keeps.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use calltree_engine::{Event, Project, SourceInput};
use calltree_store::Store;

use crate::error::CallsError;

/// Projects by the session version of each of their trees.
#[derive(Debug, Default)]
pub struct Versions {
    known: RwLock<HashMap<String, Arc<Project>>>,
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
            known: RwLock::default(),
            saved: Some(store),
        }
    }

    /// Makes every tree version of `project` known.
    pub fn add(&self, project: &Arc<Project>) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        for (id, _) in project.trees() {
            known.insert(project.session_hash(id), Arc::clone(project));
        }
    }

    /// Keeps the files of every tree version of `project` in the database (when there is
    /// one), so sessions pinned to them can be continued and reported after the files change,
    /// and makes them known.
    pub fn save(&self, project: &Arc<Project>) -> Result<(), CallsError> {
        if let Some(store) = &self.saved {
            let texts: Vec<(String, String)> = project
                .files()
                .map(|(_, file)| (file.name.clone(), file.text.clone()))
                .collect();
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
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(version)
        {
            return Ok(Some(Arc::clone(project)));
        }
        let Some(store) = &self.saved else {
            return Ok(None);
        };
        let Some(files) = store.load_version(version)? else {
            return Ok(None);
        };
        let project = Arc::new(Project::load(
            files
                .into_iter()
                .map(|(name, text)| SourceInput::new(name, text))
                .collect(),
        ));
        // Cache only the version asked for: the rebuilt project may hold other trees whose
        // versions differ from what the folder has now.
        self.known
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version.to_owned(), Arc::clone(&project));
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
