//! The trees the server runs, and every version of them it has run: a session is pinned to
//! the version it started on, so an author's edit never changes a customer's session
//! underneath them. The texts of each version are kept in the database (the host kit's
//! `Versions`), so a session can finish on its version even after a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use calltree_calls::Versions;
use calltree_engine::{Project, SourceInput, TreeId};
use calltree_store::Store;

use crate::error::ServerError;

/// The folder of trees, the newest project loaded from it, and older versions on demand.
pub struct Trees {
    folder: PathBuf,
    current: RwLock<Loaded>,
    /// Projects by the session version (hash) of each of their trees.
    versions: Versions,
    /// When the folder was last looked at: at most once a second, not on every request.
    looked_at: Mutex<Instant>,
}

struct Loaded {
    project: Arc<Project>,
    /// The files' modification times when loaded, to notice edits.
    stamps: Vec<(PathBuf, Option<SystemTime>)>,
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

fn read_folder(folder: &Path) -> Result<(Vec<SourceInput>, Vec<PathBuf>), ServerError> {
    let files =
        calltree_files::tree_files(folder).map_err(|e| ServerError::Trees(e.to_string()))?;
    if files.is_empty() {
        return Err(ServerError::Trees(format!(
            "no .tree files in `{}`",
            folder.display()
        )));
    }
    let mut inputs = Vec::with_capacity(files.len());
    for path in &files {
        let text =
            calltree_files::read_text(path).map_err(|e| ServerError::Trees(e.to_string()))?;
        let name = path
            .strip_prefix(folder)
            .unwrap_or(path)
            .display()
            .to_string();
        inputs.push(SourceInput::new(name, text));
    }
    Ok((inputs, files))
}

impl Trees {
    /// Loads the folder. Trees with errors are still loaded (the rest may be fine); they
    /// simply cannot start.
    pub fn open(folder: &Path, store: Store) -> Result<Trees, ServerError> {
        let (inputs, files) = read_folder(folder)?;
        let trees = Trees {
            folder: folder.to_path_buf(),
            current: RwLock::new(Loaded {
                project: Arc::new(Project::load(Vec::new())),
                stamps: Vec::new(),
            }),
            versions: Versions::with_store(store),
            looked_at: Mutex::new(Instant::now()),
        };
        trees.install(inputs, stamps(&files))?;
        Ok(trees)
    }

    fn install(
        &self,
        inputs: Vec<SourceInput>,
        stamps: Vec<(PathBuf, Option<SystemTime>)>,
    ) -> Result<(), ServerError> {
        let project = Arc::new(Project::load(inputs));
        self.versions.save(&project)?;
        if let Ok(mut current) = self.current.write() {
            *current = Loaded { project, stamps };
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
        let changed = due
            && self.current.read().map_or(true, |loaded| {
                let now = calltree_files::tree_files(&self.folder).unwrap_or_default();
                stamps(&now) != loaded.stamps
            });
        if changed
            && let Ok((inputs, files)) = read_folder(&self.folder)
            && let Err(error) = self.install(inputs, stamps(&files))
        {
            crate::log(&format!(
                "could not record a new version of the trees: {error}"
            ));
        }
        self.current
            .read()
            .map(|loaded| Arc::clone(&loaded.project))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner().project))
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
