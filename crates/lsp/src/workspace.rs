//! The documents the editor has open, and the projects they belong to.
//!
//! A document is checked as part of its project, loaded by the host kit's one rule with the
//! editor's texts in place of the disk's. A document that is not a file (an untitled buffer)
//! is a project of its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use calltree_engine::{ParseCache, Project, SourceInput, SymbolIndex};
use calltree_syntax::{LineCache, SourceFile};
use lsp_types::Url;

use crate::position::{Encoding, LineMap};

/// The largest file read from disk or checked, as in every other host.
pub const MAX_FILE: u64 = calltree_files::DEFAULT_MAX_INPUT_SIZE;

#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub version: i32,
    /// Where the document is on disk, when it is a file.
    pub path: Option<PathBuf>,
}

/// One file of a project as the features need it: text, syntax tree and line map.
pub struct File {
    pub uri: Url,
    pub text: String,
    pub syntax: SourceFile,
    pub lines: LineMap,
}

/// A document's project, parsed, with every name resolved. File 0 is the document.
pub struct Snapshot {
    pub files: Vec<File>,
    pub index: SymbolIndex,
}

#[derive(Default)]
pub struct Workspace {
    pub documents: HashMap<Url, Document>,
    /// Per folder checked, the parsed lines of its files: typing re-parses only what changed.
    checks: HashMap<PathBuf, ParseCache>,
    /// The parsed lines of every file read for navigation, by path.
    parses: HashMap<String, LineCache>,
}

/// One document's diagnostics after a check.
pub struct Checked {
    pub uri: Url,
    pub version: i32,
    pub text: String,
    pub diagnostics: Vec<calltree_syntax::Diagnostic>,
}

impl Workspace {
    pub fn open(&mut self, uri: Url, text: String, version: i32) {
        let path = uri.to_file_path().ok();
        self.documents.insert(
            uri,
            Document {
                text,
                version,
                path,
            },
        );
    }

    /// The editor's text of a path, if a document there is open.
    fn text_at(&self, path: &Path) -> Option<String> {
        let canonical = std::fs::canonicalize(path).ok();
        self.documents
            .values()
            .find(|doc| {
                doc.path.as_deref().is_some_and(|p| {
                    p == path
                        || canonical.as_deref() == Some(p)
                        || std::fs::canonicalize(p).ok() == canonical && canonical.is_some()
                })
            })
            .map(|doc| doc.text.clone())
    }

    /// Checks every open document, folder by folder, and returns their diagnostics.
    pub fn check_all(&mut self) -> Vec<Checked> {
        let mut folders: HashMap<PathBuf, Vec<(Url, PathBuf)>> = HashMap::new();
        let mut lone = Vec::new();
        for (uri, doc) in &self.documents {
            match &doc.path {
                Some(path) => folders
                    .entry(path.parent().map(Path::to_path_buf).unwrap_or_default())
                    .or_default()
                    .push((uri.clone(), path.clone())),
                None => lone.push(uri.clone()),
            }
        }
        self.checks.retain(|folder, _| folders.contains_key(folder));
        let mut out = Vec::new();
        for (folder, mut docs) in folders {
            docs.sort();
            let paths: Vec<PathBuf> = docs.iter().map(|(_, p)| p.clone()).collect();
            let loaded = calltree_calls::load_trees_editing(&paths, MAX_FILE, &|p| self.text_at(p));
            let (inputs, loaded_paths) = match loaded {
                Ok(loaded) => (loaded.inputs, loaded.paths),
                // Only the documents themselves, when their folder cannot be read at all.
                Err(_) => (
                    docs.iter()
                        .map(|(uri, path)| {
                            SourceInput::new(
                                path.display().to_string(),
                                self.documents[uri].text.clone(),
                            )
                        })
                        .collect(),
                    paths.clone(),
                ),
            };
            let cache = self.checks.entry(folder).or_default();
            let project = Project::load_cached(inputs, cache);
            for (id, _) in project.files() {
                let Some(path) = loaded_paths.get(id.index()) else {
                    continue;
                };
                let Some((uri, _)) = docs.iter().find(|(_, p)| p == path) else {
                    continue;
                };
                let doc = &self.documents[uri];
                out.push(Checked {
                    uri: uri.clone(),
                    version: doc.version,
                    text: doc.text.clone(),
                    diagnostics: project.diagnostics(id).to_vec(),
                });
            }
        }
        for uri in lone {
            let doc = &self.documents[&uri];
            let project = Project::single(uri.to_string(), doc.text.clone());
            let diagnostics = project
                .files()
                .next()
                .map(|(id, _)| project.diagnostics(id).to_vec())
                .unwrap_or_default();
            out.push(Checked {
                uri: uri.clone(),
                version: doc.version,
                text: doc.text.clone(),
                diagnostics,
            });
        }
        out
    }

    /// An open document alone, parsed: for what needs no other file (outline, colours,
    /// formatting), so those do not load the folder on every request.
    pub fn document(&mut self, uri: &Url, encoding: Encoding) -> Option<File> {
        let text = self.documents.get(uri)?.text.clone();
        let cache = self.parses.entry(uri.to_string()).or_default();
        let (syntax, _) = calltree_syntax::parse_cached(&text, cache);
        let lines = LineMap::new(&text, encoding);
        Some(File {
            uri: uri.clone(),
            text,
            syntax,
            lines,
        })
    }

    /// The project of an open document, parsed and indexed; `None` when it is not open.
    pub fn snapshot(&mut self, uri: &Url, encoding: Encoding) -> Option<Snapshot> {
        let doc = self.documents.get(uri)?;
        let mut sources: Vec<(Url, String)> = vec![(uri.clone(), doc.text.clone())];
        if let Some(path) = doc.path.clone() {
            let loaded =
                calltree_calls::load_trees_editing(&[path], MAX_FILE, &|p| self.text_at(p));
            if let Ok(loaded) = loaded {
                sources = loaded
                    .inputs
                    .into_iter()
                    .zip(loaded.paths)
                    .enumerate()
                    .map(|(index, (input, path))| {
                        // The document keeps the address the editor knows it by.
                        let address = if index == 0 {
                            Some(uri.clone())
                        } else {
                            absolute(&path).and_then(|p| Url::from_file_path(p).ok())
                        };
                        (address, input.text)
                    })
                    .filter_map(|(address, text)| Some((address?, text)))
                    .collect();
            }
        }
        self.parses
            .retain(|key, _| sources.iter().any(|(uri, _)| uri.as_str() == key));
        let files: Vec<File> = sources
            .into_iter()
            .map(|(uri, text)| {
                let cache = self.parses.entry(uri.to_string()).or_default();
                let (syntax, _) = calltree_syntax::parse_cached(&text, cache);
                let lines = LineMap::new(&text, encoding);
                File {
                    uri,
                    text,
                    syntax,
                    lines,
                }
            })
            .collect();
        let trees: Vec<&SourceFile> = files.iter().map(|f| &f.syntax).collect();
        let index = SymbolIndex::new(&trees);
        Some(Snapshot { files, index })
    }
}

fn absolute(path: &Path) -> Option<PathBuf> {
    if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        std::path::absolute(path).ok()
    }
}
