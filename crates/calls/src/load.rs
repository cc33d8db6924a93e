//! The one rule by which every host loads trees: the files it was given, the other `.tree`
//! files of their folders, and every file reached through `use` (resolved relative to the
//! file holding the `use`, and followed from every file loaded), each file once.
//!
//! It is here and not in the engine because it reads files; the engine only receives the
//! texts and, on each, what went wrong at its `use` lines (E226), which become the file's
//! diagnostics like any other. A cycle of `use`s is harmless: a file already loaded (by its
//! canonical path) is not loaded again, so nothing loops and nothing is reported.

use std::collections::{HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use calltree_engine::translation::TranslationInput;
use calltree_engine::{SourceInput, codes};
use calltree_files::FilesError;
use calltree_syntax::{Diagnostic, SourceFile};

/// The files of a project, in the order the engine receives them: the files named first (in
/// the order given, a folder as its `.tree` files in name order), then the context they need.
#[derive(Debug)]
pub struct LoadedTrees {
    pub inputs: Vec<SourceInput>,
    /// Where each input was read from, in the same order.
    pub paths: Vec<PathBuf>,
    /// How many of the first inputs were named: only their diagnostics are the user's
    /// concern; the rest are context (their errors still show at a call into them).
    pub named: usize,
    /// Files of a named folder that could not be read, with why, when the folder was
    /// loaded by [`load_folder_leaving_out_unreadable`]; empty otherwise.
    pub left_out: Vec<(PathBuf, FilesError)>,
    /// The translation files beside the trees loaded (`NAME.LOCALE.po` beside `NAME.tree`),
    /// unread by the engine: hand them to `Project::add_translations`. One that cannot be
    /// read is in `unreadable_translations` instead.
    pub translations: Vec<TranslationInput>,
    /// Translation files found beside the trees that could not be read, with why (their
    /// `bytes` are empty): the project reports each once (`add_unreadable_translation`).
    pub unreadable_translations: Vec<(TranslationInput, String)>,
    /// Each input's parse, made while its `use` lines were read, in the order of `inputs`:
    /// [`LoadedTrees::into_project`] hands it to the engine instead of parsing again.
    parses: Vec<Option<(SourceFile, Vec<Diagnostic>)>>,
}

impl LoadedTrees {
    /// The project of these files, checked, with their translations added.
    pub fn into_project(self) -> calltree_engine::Project {
        let parses = self
            .parses
            .into_iter()
            .chain(std::iter::repeat_with(|| None));
        let parsed = self
            .inputs
            .into_iter()
            .zip(parses)
            .map(|(input, parse)| {
                let (syntax, diagnostics) =
                    parse.unwrap_or_else(|| calltree_syntax::parse(&input.text));
                (input, syntax, diagnostics)
            })
            .collect();
        let mut project = calltree_engine::Project::load_parsed(parsed);
        project.add_translations(self.translations);
        for (input, reason) in self.unreadable_translations {
            project.add_unreadable_translation(input, &reason);
        }
        project
    }
}

/// The translation files of a tree file: `NAME.LOCALE.po` in its folder, by locale order.
pub fn translation_files(tree: &Path) -> Vec<(String, PathBuf)> {
    let Some(stem) = tree.file_stem().and_then(|s| s.to_str()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(folder_of(tree)) else {
        return Vec::new();
    };
    let prefix = format!("{stem}.");
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let locale = name.strip_prefix(&prefix)?.strip_suffix(".po")?;
            // Named beside the tree as the tree is named (`refund.fr.po`, not `./refund.fr.po`).
            (!locale.is_empty() && !locale.contains('.') && path.is_file())
                .then(|| (locale.to_owned(), tree.with_file_name(name)))
        })
        .collect();
    found.sort();
    found
}

/// Loads the files and folders in `paths` with everything they need, each file at most
/// `limit` bytes.
///
/// A named file that cannot be read, or a named folder with no `.tree` files, is an error.
/// A sibling that cannot be read is left out (it is only context); a `use` whose file cannot
/// be loaded is an E226 diagnostic at that `use` line.
pub fn load_trees(paths: &[PathBuf], limit: u64) -> Result<LoadedTrees, FilesError> {
    load(paths, limit, false, &|_| None)
}

/// Loads as [`load_trees`] does, with the texts of files open in an editor in place of what
/// is on disk: `open` gives the editor's text of a path, or `None` to read the disk. An open
/// file is loaded even when it is no longer (or not yet) on disk, and a `use` of an open
/// file brings in the editor's text. For a language server, which checks what the author
/// sees, not what was last saved.
pub fn load_trees_editing(
    paths: &[PathBuf],
    limit: u64,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Result<LoadedTrees, FilesError> {
    load(paths, limit, false, open)
}

/// Loads a folder as [`load_trees`] does, except that a file of it that cannot be read (not
/// UTF-8, too large, unreadable) is left out and listed in `left_out` rather than failing
/// the load: for a server, which must keep serving the rest. A folder with no readable
/// `.tree` file is still an error.
pub fn load_folder_leaving_out_unreadable(
    folder: &Path,
    limit: u64,
) -> Result<LoadedTrees, FilesError> {
    let loaded = load(&[folder.to_path_buf()], limit, true, &|_| None)?;
    if loaded.named == 0 {
        return Err(FilesError::NoTrees {
            path: folder.to_path_buf(),
        });
    }
    Ok(loaded)
}

fn load(
    paths: &[PathBuf],
    limit: u64,
    leave_out_unreadable: bool,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Result<LoadedTrees, FilesError> {
    let mut loader = Loader {
        limit,
        open,
        seen: HashSet::new(),
        loaded: LoadedTrees {
            inputs: Vec::new(),
            paths: Vec::new(),
            named: 0,
            left_out: Vec::new(),
            translations: Vec::new(),
            unreadable_translations: Vec::new(),
            parses: Vec::new(),
        },
        folders: Vec::new(),
    };
    for path in paths {
        if let Some(text) = open(path) {
            loader.add(path, text);
            loader.folders.push(folder_of(path).to_path_buf());
            continue;
        }
        let metadata = std::fs::metadata(path).map_err(|source| FilesError::Read {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let found = calltree_files::tree_files(path)?;
            if found.is_empty() {
                return Err(FilesError::NoTrees { path: path.clone() });
            }
            for file in found {
                match loader.add_named(&file) {
                    Err(error) if leave_out_unreadable => {
                        loader.loaded.left_out.push((file, error))
                    }
                    added => added?,
                }
            }
            loader.folders.push(path.clone());
        } else {
            loader.add_named(path)?;
            loader.folders.push(folder_of(path).to_path_buf());
        }
    }
    loader.loaded.named = loader.loaded.inputs.len();
    // The folders of the named files: their other trees are context.
    let folders = std::mem::take(&mut loader.folders);
    let mut listed = HashSet::new();
    for folder in folders {
        if !listed.insert(identity(&folder)) {
            continue;
        }
        for file in calltree_files::tree_files(&folder).unwrap_or_default() {
            if let Ok(text) = loader.read(&file) {
                loader.add(&file, text);
            }
        }
    }
    loader.follow_uses();
    loader.find_translations();
    Ok(loader.loaded)
}

struct Loader<'o> {
    limit: u64,
    /// The editor's text of a path, when it has one (see [`load_trees_editing`]).
    open: &'o dyn Fn(&Path) -> Option<String>,
    /// The canonical paths of the files loaded.
    seen: HashSet<PathBuf>,
    loaded: LoadedTrees,
    folders: Vec<PathBuf>,
}

impl Loader<'_> {
    fn read(&self, path: &Path) -> Result<String, FilesError> {
        match (self.open)(path) {
            Some(text) => Ok(text),
            None => calltree_files::read_text_within(path, self.limit),
        }
    }

    fn add_named(&mut self, path: &Path) -> Result<(), FilesError> {
        if self.seen.contains(&identity(path)) {
            return Ok(());
        }
        let text = self.read(path)?;
        self.add(path, text);
        Ok(())
    }

    /// Adds a file unless it is loaded already.
    fn add(&mut self, path: &Path, text: String) {
        self.add_as(path, path, text);
    }

    fn add_as(&mut self, path: &Path, name: &Path, text: String) {
        if self.seen.insert(identity(path)) {
            self.loaded
                .inputs
                .push(SourceInput::new(name.display().to_string(), text));
            self.loaded.paths.push(path.to_path_buf());
            self.loaded.parses.push(None);
        }
    }

    /// Follows the `use` lines of every file loaded, including the ones this adds: a queue,
    /// not recursion, so a long chain of `use`s costs no stack.
    fn follow_uses(&mut self) {
        let mut pending: VecDeque<usize> = (0..self.loaded.inputs.len()).collect();
        while let Some(index) = pending.pop_front() {
            let (syntax, diagnostics) = calltree_syntax::parse(&self.loaded.inputs[index].text);
            let from = folder_of(&self.loaded.paths[index]).to_path_buf();
            for (decl, _) in syntax.uses() {
                let written = decl.path.to_plain();
                // Read by the path as written (a link in it may lead elsewhere than `..`
                // suggests); only the name is tidied.
                let target = from.join(&written);
                match self.read_use(&target, &written) {
                    Ok(Some(text)) => {
                        let before = self.loaded.inputs.len();
                        self.add_as(&target, &tidy(&target), text);
                        if self.loaded.inputs.len() > before {
                            pending.push_back(before);
                        }
                    }
                    Ok(None) => {}
                    Err(problem) => {
                        let diagnostic = Diagnostic::new(codes::BAD_USE, decl.path.span, problem.0)
                            .with_hint(problem.1);
                        self.loaded.inputs[index].found.push(diagnostic);
                    }
                }
            }
            if let Some(parse) = self.loaded.parses.get_mut(index) {
                *parse = Some((syntax, diagnostics));
            }
        }
    }

    /// The translation files beside every tree file loaded.
    fn find_translations(&mut self) {
        for (input, path) in self.loaded.inputs.iter().zip(&self.loaded.paths) {
            for (locale, file) in translation_files(path) {
                let mut found = TranslationInput {
                    name: file.display().to_string(),
                    locale,
                    tree_file: input.name.clone(),
                    bytes: Vec::new(),
                };
                match calltree_files::read_bytes_within(&file, self.limit) {
                    Ok(bytes) => {
                        found.bytes = bytes;
                        self.loaded.translations.push(found);
                    }
                    Err(error) => {
                        // Said once by the project, instead of a "missing" per text.
                        self.loaded
                            .unreadable_translations
                            .push((found, error.to_string()));
                    }
                }
            }
        }
    }

    /// The text of a `use`d file; `None` when it is loaded already.
    fn read_use(&self, target: &Path, written: &str) -> Result<Option<String>, (String, String)> {
        if let Some(text) = (self.open)(target) {
            let open = !self.seen.contains(&identity(target));
            return Ok(open.then_some(text));
        }
        let metadata = std::fs::metadata(target).map_err(|error| {
            (
                format!("cannot bring in `{written}`: {}", plain_io(&error)),
                format!(
                    "the path is read from this file's folder: here it means `{}`",
                    tidy(target).display()
                ),
            )
        })?;
        if metadata.is_dir() {
            return Err((
                format!("`{written}` is a folder, not a .tree file"),
                "`use` brings in one file; the trees of this file's own folder are loaded already"
                    .to_owned(),
            ));
        }
        if target.extension().is_none_or(|ext| ext != "tree") {
            return Err((
                format!("`{written}` is not a .tree file"),
                "`use` brings in the trees of another `.tree` file".to_owned(),
            ));
        }
        if self.seen.contains(&identity(target)) {
            return Ok(None);
        }
        self.read(target).map(Some).map_err(|error| {
            (
                format!("cannot bring in `{written}`: {}", reason(&error)),
                "fix the file, or remove this `use`".to_owned(),
            )
        })
    }
}

/// A read error in words, without the path (the diagnostic quotes the path as written).
fn reason(error: &FilesError) -> String {
    match error {
        FilesError::Read { source, .. } => plain_io(source),
        other => other.to_string(),
    }
}

fn plain_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission to read it is denied".to_owned(),
        _ => error.to_string(),
    }
}

/// The folder a file is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The path with `.` left out and `dir/..` taken away where it can be, so that names read
/// well (`trees/../shared/x.tree` is `shared/x.tree`). Only for names; files are told apart
/// by their canonical path.
fn tidy(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// What makes two paths the same file: the canonical path (links and `..` resolved).
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn an_editors_texts_stand_in_for_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "main.tree",
            "tree main\n  start: a\nnode a\n  end resolved\n",
        );
        write(
            "sibling.tree",
            "tree sibling\n  start: a\nnode a\n  end resolved\n",
        );
        std::fs::create_dir(dir.path().join("shared")).unwrap();
        let main = dir.path().join("main.tree");
        let unsaved = dir.path().join("unsaved.tree");
        let used = dir.path().join("shared/used.tree");
        // The editor has a `use` the disk does not, of a file open but never saved, and a
        // file that is open but no longer on disk.
        let edited = "use \"shared/used.tree\"\ntree main\n  start: a\nnode a\n  end resolved\n";
        let open = |path: &Path| {
            if path == main {
                Some(edited.to_owned())
            } else if path == unsaved || path == used {
                Some(format!(
                    "tree t{}\n  start: a\nnode a\n  return\n",
                    path.as_os_str().len()
                ))
            } else {
                None
            }
        };
        let loaded = load_trees_editing(&[main.clone(), unsaved.clone()], 1 << 20, &open).unwrap();
        assert_eq!(loaded.named, 2);
        assert_eq!(loaded.inputs[0].text, edited);
        assert_eq!(loaded.paths[..2], [main.clone(), unsaved.clone()]);
        assert_eq!(loaded.inputs.len(), 4, "{:?}", loaded.paths);
        assert!(loaded.paths.contains(&dir.path().join("sibling.tree")));
        assert!(loaded.paths.iter().any(|p| p.ends_with("shared/used.tree")));
        assert!(loaded.inputs.iter().all(|i| i.found.is_empty()));
        // Without the editor, the same call reads the disk.
        let disk = load_trees_editing(&[main], 1 << 20, &|_| None).unwrap();
        assert_eq!(disk.inputs.len(), 2);
    }

    #[test]
    fn the_project_built_from_the_loaders_parses_is_the_one_a_fresh_load_gives() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "main.tree",
            "use \"shared.tree\"\nuse \"gone.tree\"\ntree main\n  start: a\nnode a\n  say \"Hi\n  call helper\n  -> b\n",
        );
        write("shared.tree", "tree helper\n  start: h\nnode h\n  return\n");
        write(
            "beside.tree",
            "tree beside\n  start: x\nnode x\n  end resolvd\n",
        );
        let loaded = load_trees(&[dir.path().join("main.tree")], 1 << 20).unwrap();
        assert_eq!(loaded.parses.len(), loaded.inputs.len());
        assert!(
            loaded.parses.iter().all(Option::is_some),
            "every file's parse is kept"
        );
        let fresh = calltree_engine::Project::load(loaded.inputs.clone());
        let reused = loaded.into_project();
        let diagnostics = |p: &calltree_engine::Project| {
            p.all_diagnostics()
                .map(|(file, d)| (file, d.clone()))
                .collect::<Vec<_>>()
        };
        assert!(diagnostics(&fresh).len() >= 3, "{:?}", diagnostics(&fresh));
        assert_eq!(diagnostics(&reused), diagnostics(&fresh));
        assert_eq!(reused.hash(), fresh.hash());
    }

    #[test]
    fn tidy_names_read_well() {
        assert_eq!(
            tidy(Path::new("trees/../shared/x.tree")),
            Path::new("shared/x.tree")
        );
        assert_eq!(tidy(Path::new("./x.tree")), Path::new("x.tree"));
        assert_eq!(tidy(Path::new("../x.tree")), Path::new("../x.tree"));
    }
}
