//! What agents run: the newest saved version of each file that checks clean. A file saved
//! with errors (an author's half-finished edit, autosaved) is never offered to agents; they
//! keep its last clean version, pinned by its content, and a banner names the file and the
//! problem. This is the one-machine form of publishing.

use std::sync::Arc;

use calltree_engine::translation::TranslationInput;
use calltree_engine::{Project, SourceInput};

/// A file whose newest save agents do not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub file: String,
    /// 1-based line of the first error.
    pub line: u32,
    pub message: String,
    /// Whether agents keep an earlier clean version of it (else its trees are not offered).
    pub earlier_kept: bool,
}

/// The project agents run, and the files held back from it.
pub struct Published {
    pub project: Arc<Project>,
    /// The texts `project` was loaded from.
    running: Vec<SourceInput>,
    /// The saved texts last looked at, to notice a change.
    seen: Vec<(String, String)>,
    /// The translation files last looked at (name, bytes): a new or changed one is taken
    /// between calls as a tree is.
    seen_translations: Vec<(String, Vec<u8>)>,
    /// The translation files `project` has.
    translations: Vec<TranslationInput>,
    pub held: Vec<Held>,
}

fn error_files(project: &Project) -> Vec<(String, u32, String)> {
    let mut files: Vec<(String, u32, String)> = Vec::new();
    for (file, diagnostic) in project.all_diagnostics().filter(|(_, d)| d.is_error()) {
        let name = &project.file(file).name;
        if files.iter().any(|(f, _, _)| f == name) {
            continue;
        }
        let text = &project.file(file).text;
        let line = calltree_syntax::LineIndex::new(text)
            .line_col(diagnostic.span.start)
            .line;
        files.push((name.clone(), line, diagnostic.message.clone()));
    }
    files
}

impl Published {
    /// What agents run when the app opens.
    pub fn new(saved: Vec<SourceInput>, translations: Vec<TranslationInput>) -> Published {
        let mut published = Published::nothing_yet();
        published.update(saved, translations);
        published
    }

    /// Nothing published yet: the app opened in another mode, and the saved files are loaded
    /// when agents first need them (the first `update`), not while the author waits for the
    /// window. A big folder takes a second to load and check.
    pub fn nothing_yet() -> Published {
        Published {
            project: Arc::new(Project::load(Vec::new())),
            running: Vec::new(),
            seen: Vec::new(),
            seen_translations: Vec::new(),
            translations: Vec::new(),
            held: Vec::new(),
        }
    }

    /// Takes the newest saved texts and translation files; returns whether what agents run
    /// changed.
    pub fn update(&mut self, saved: Vec<SourceInput>, translations: Vec<TranslationInput>) -> bool {
        let seen: Vec<(String, String)> = saved
            .iter()
            .map(|input| (input.name.clone(), input.text.clone()))
            .collect();
        let seen_translations: Vec<(String, Vec<u8>)> = translations
            .iter()
            .map(|t| (t.name.clone(), t.bytes.clone()))
            .collect();
        if seen == self.seen && seen_translations == self.seen_translations {
            return false;
        }
        self.seen = seen;
        self.seen_translations = seen_translations;
        self.translations = translations;
        let mut candidate = Project::load(saved.clone());
        // A translation file's problems never hold a tree back: a text without a usable
        // translation shows in the tree's own words, marked for the agent.
        candidate.add_translations(self.translations.clone());
        let broken = error_files(&candidate);
        if broken.is_empty() {
            self.held.clear();
            return self.publish(candidate, saved);
        }
        // Each broken file falls back to the text agents ran before, if they ran one.
        let mixed: Vec<SourceInput> = saved
            .into_iter()
            .filter_map(|input| {
                if !broken.iter().any(|(file, _, _)| *file == input.name) {
                    return Some(input);
                }
                self.running.iter().find(|r| r.name == input.name).cloned()
            })
            .collect();
        self.held = broken
            .into_iter()
            .map(|(file, line, message)| Held {
                earlier_kept: self.running.iter().any(|r| r.name == file),
                file,
                line,
                message,
            })
            .collect();
        let mut fallback = Project::load(mixed.clone());
        fallback.add_translations(self.translations.clone());
        if error_files(&fallback).is_empty() {
            self.publish(fallback, mixed)
        } else {
            // The clean files lean on a broken one: everything stays as agents had it.
            false
        }
    }

    fn publish(&mut self, project: Project, texts: Vec<SourceInput>) -> bool {
        let changed = project.hash() != self.project.hash()
            || project.translation_files().len() != self.project.translation_files().len()
            || project
                .translation_files()
                .iter()
                .zip(self.project.translation_files())
                .any(|(new, old)| new.name != old.name || new.text != old.text);
        self.project = Arc::new(project);
        self.running = texts;
        changed
    }

    /// The banner for agents, one line per held file.
    pub fn banner(&self) -> Vec<String> {
        self.held
            .iter()
            .map(|held| {
                let keeps = if held.earlier_kept {
                    "agents keep the version saved before it"
                } else {
                    "its scripts are not offered until it is fixed"
                };
                format!(
                    "{} has an error on line {} ({}): {keeps}.",
                    held.file, held.line, held.message
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "tree a \"A\"\n  start: s\n\nnode s \"S\"\n  say \"Hi\"\n  end resolved\n";
    const OTHER: &str = "tree b \"B\"\n  start: s\n\nnode s \"S\"\n  say \"Yo\"\n  end resolved\n";

    fn inputs(files: &[(&str, &str)]) -> Vec<SourceInput> {
        files
            .iter()
            .map(|(n, t)| SourceInput::new(*n, *t))
            .collect()
    }

    #[test]
    fn a_broken_save_keeps_the_last_clean_version_and_says_so() {
        let mut published =
            Published::new(inputs(&[("a.tree", GOOD), ("b.tree", OTHER)]), Vec::new());
        let before = published.project.hash().to_owned();
        let broken = GOOD.replace("say \"Hi\"", "say \"Hi");
        let edited = OTHER.replace("Yo", "Hello");
        assert!(published.update(
            inputs(&[("a.tree", &broken), ("b.tree", &edited)]),
            Vec::new()
        ));
        // b's clean edit is taken; a stays as it was.
        assert_ne!(published.project.hash(), before);
        let a = published.project.tree_by_name("a").unwrap();
        let start = published.project.tree(a).start.unwrap();
        assert_eq!(published.project.node(start).say[0].source, "Hi");
        assert_eq!(published.held.len(), 1);
        assert!(published.banner()[0].starts_with("a.tree has an error on line 5"));
        assert!(published.banner()[0].contains("keep the version saved before"));

        // Fixed: held no more.
        assert!(
            published.update(inputs(&[("a.tree", GOOD), ("b.tree", &edited)]), Vec::new())
                || published.held.is_empty()
        );
        assert!(published.held.is_empty());
    }

    #[test]
    fn a_new_file_with_errors_is_not_offered() {
        let mut published = Published::new(inputs(&[("a.tree", GOOD)]), Vec::new());
        published.update(
            inputs(&[("a.tree", GOOD), ("b.tree", "tree b \"B\n")]),
            Vec::new(),
        );
        assert!(published.project.tree_by_name("b").is_none());
        assert!(!published.held[0].earlier_kept);
    }
}
