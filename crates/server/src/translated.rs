//! The trees in a visitor's language, worked out once per project and locale: a page in
//! French reuses the French copy of the project it was made from instead of translating
//! every tree again on each request (`Project::in_locale` copies the whole project).
//!
//! A copy is keyed by the project it was made from, held weakly: when a tree or a `.po`
//! file changes, `trees.rs` loads a new project, so the next request makes a new copy, and
//! the old one is dropped once nothing uses its project. At most [`KEPT`] copies are kept,
//! the least recently used going first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use calltree_engine::Project;

/// Copies kept: a handful of languages for the current project and the versions sessions
/// still run on. A project is about a megabyte in memory.
pub(crate) const KEPT: usize = 32;

struct Entry {
    source: Weak<Project>,
    locale: String,
    project: Arc<Project>,
}

#[derive(Default)]
pub(crate) struct Translated {
    /// Least recently used first.
    entries: Mutex<VecDeque<Entry>>,
}

impl Translated {
    /// `source` in `locale` as customers see it (missing translations in the trees' own
    /// words, unmarked).
    pub(crate) fn get(&self, source: &Arc<Project>, locale: &str) -> Arc<Project> {
        let same = |entry: &Entry| {
            entry.locale == locale
                && entry.source.strong_count() > 0
                && std::ptr::eq(entry.source.as_ptr(), Arc::as_ptr(source))
        };
        {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            entries.retain(|entry| entry.source.strong_count() > 0);
            if let Some(at) = entries.iter().position(same)
                && let Some(entry) = entries.remove(at)
            {
                let project = Arc::clone(&entry.project);
                entries.push_back(entry);
                return project;
            }
        }
        // Translated outside the lock: other languages and projects are not held up.
        let project = Arc::new(source.in_locale(locale, false));
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.iter().find(|e| same(e)) {
            // Another request made it meanwhile: one copy is kept.
            return Arc::clone(&entry.project);
        }
        entries.push_back(Entry {
            source: Arc::downgrade(source),
            locale: locale.to_owned(),
            project: Arc::clone(&project),
        });
        while entries.len() > KEPT {
            entries.pop_front();
        }
        project
    }

    /// How many copies are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Arc<Project> {
        Arc::new(Project::single(
            "a.tree",
            "tree a \"A\"\n  start: s\n\nnode s \"S\"\n  say \"Hi\"\n  end resolved\n",
        ))
    }

    #[test]
    fn a_copy_is_made_once_per_project_and_locale_and_dropped_with_its_project() {
        let translated = Translated::default();
        let first = project();
        let fr = translated.get(&first, "fr");
        assert!(Arc::ptr_eq(&fr, &translated.get(&first, "fr")));
        let de = translated.get(&first, "de");
        assert!(!Arc::ptr_eq(&fr, &de));
        // A new project (a file changed) gets its own copy.
        let second = project();
        assert!(!Arc::ptr_eq(&fr, &translated.get(&second, "fr")));
        assert_eq!(translated.len(), 3);
        drop(first);
        let _ = translated.get(&second, "fr");
        assert_eq!(translated.len(), 1, "the dropped project's copies go");
    }

    #[test]
    fn no_more_than_kept_copies_are_held() {
        let translated = Translated::default();
        let source = project();
        for n in 0..KEPT + 5 {
            let _ = translated.get(&source, &format!("x-{n}"));
        }
        assert_eq!(translated.len(), KEPT);
    }
}
