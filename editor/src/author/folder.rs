//! Where an author's trees live. The binary keeps them in a folder on disk; tests keep them in
//! memory and can play the part of another program editing a file, or of a crash.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use calltree_engine::translation::TranslationInput;

use crate::error::EditorError;

/// What a file looked like on disk when it was last read or written: when another program
/// changes the file, its stamp changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(pub String);

/// A folder of `.tree` files, named by their path inside the folder (`billing/refund.tree`).
///
/// Every write is atomic: a file is either its old text or its new text, never half of each.
/// Beside each file the folder can keep a recovery copy: the unsaved text of an edit in
/// progress, so that a crash between two saves loses nothing.
pub trait TreeFolder {
    /// The folder as shown to the author.
    fn label(&self) -> String;
    /// The `.tree` files in the folder, sorted.
    fn list(&self) -> Result<Vec<String>, EditorError>;
    fn read(&self, name: &str) -> Result<(String, Stamp), EditorError>;
    /// The file's stamp now; `None` when the file is gone.
    fn stamp(&self, name: &str) -> Option<Stamp>;
    /// Replaces (or creates) the file as one atomic step and returns its new stamp.
    fn write(&mut self, name: &str, text: &str) -> Result<Stamp, EditorError>;
    fn read_recovery(&self, name: &str) -> Option<String>;
    /// The translation files beside the trees (`NAME.LOCALE.po` beside `NAME.tree`), read:
    /// agents can run a call in their languages. A file that cannot be read is left out.
    fn translations(&self) -> Vec<TranslationInput> {
        Vec::new()
    }
    fn write_recovery(&mut self, name: &str, text: &str) -> Result<(), EditorError>;
    fn remove_recovery(&mut self, name: &str);
}

/// Files kept in memory, shared between clones: a test keeps one clone to look at the "disk"
/// and to change it behind the app's back.
#[derive(Debug, Clone, Default)]
pub struct MemoryFolder {
    inner: Rc<RefCell<MemoryFiles>>,
}

#[derive(Debug, Default)]
struct MemoryFiles {
    files: BTreeMap<String, (String, u64)>,
    recovery: BTreeMap<String, String>,
    translations: Vec<TranslationInput>,
    writes: u64,
    refuse_writes: bool,
}

impl MemoryFolder {
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let folder = MemoryFolder::default();
        for (name, text) in files {
            folder.put(name, text);
        }
        folder
    }

    /// Writes a file as another program would: the app only learns of it by looking.
    pub fn put(&self, name: &str, text: &str) {
        let mut inner = self.inner.borrow_mut();
        inner.writes += 1;
        let stamp = inner.writes;
        inner
            .files
            .insert(name.to_owned(), (text.to_owned(), stamp));
    }

    /// Writes a translation file of `tree_file` for `locale` (`a.tree` → `a.fr.po`).
    pub fn put_translation(&self, tree_file: &str, locale: &str, text: &str) {
        let stem = tree_file.strip_suffix(".tree").unwrap_or(tree_file);
        let name = format!("{stem}.{locale}.po");
        let mut inner = self.inner.borrow_mut();
        inner.translations.retain(|t| t.name != name);
        inner.translations.push(TranslationInput {
            name,
            locale: locale.to_owned(),
            tree_file: tree_file.to_owned(),
            bytes: text.as_bytes().to_vec(),
        });
    }

    /// Deletes a file as another program would.
    pub fn delete(&self, name: &str) {
        self.inner.borrow_mut().files.remove(name);
    }

    /// The text of a file as it is on "disk".
    pub fn text(&self, name: &str) -> Option<String> {
        self.inner
            .borrow()
            .files
            .get(name)
            .map(|(text, _)| text.clone())
    }

    pub fn recovery(&self, name: &str) -> Option<String> {
        self.inner.borrow().recovery.get(name).cloned()
    }

    /// Leaves a recovery copy as a crashed session would have.
    pub fn put_recovery(&self, name: &str, text: &str) {
        self.inner
            .borrow_mut()
            .recovery
            .insert(name.to_owned(), text.to_owned());
    }

    /// Makes every write fail, as a full disk would.
    pub fn refuse_writes(&self, refuse: bool) {
        self.inner.borrow_mut().refuse_writes = refuse;
    }
}

impl TreeFolder for MemoryFolder {
    fn label(&self) -> String {
        "(in memory)".to_owned()
    }

    fn translations(&self) -> Vec<TranslationInput> {
        self.inner.borrow().translations.clone()
    }

    fn list(&self) -> Result<Vec<String>, EditorError> {
        Ok(self.inner.borrow().files.keys().cloned().collect())
    }

    fn read(&self, name: &str) -> Result<(String, Stamp), EditorError> {
        self.inner
            .borrow()
            .files
            .get(name)
            .map(|(text, stamp)| (text.clone(), Stamp(stamp.to_string())))
            .ok_or_else(|| EditorError::FileRead {
                name: name.to_owned(),
                reason: "there is no such file".to_owned(),
            })
    }

    fn stamp(&self, name: &str) -> Option<Stamp> {
        self.inner
            .borrow()
            .files
            .get(name)
            .map(|(_, stamp)| Stamp(stamp.to_string()))
    }

    fn write(&mut self, name: &str, text: &str) -> Result<Stamp, EditorError> {
        if self.inner.borrow().refuse_writes {
            return Err(EditorError::FileWrite {
                name: name.to_owned(),
                reason: "no space left on device".to_owned(),
            });
        }
        self.put(name, text);
        self.stamp(name).ok_or_else(|| EditorError::FileWrite {
            name: name.to_owned(),
            reason: "the file vanished".to_owned(),
        })
    }

    fn read_recovery(&self, name: &str) -> Option<String> {
        self.recovery(name)
    }

    fn write_recovery(&mut self, name: &str, text: &str) -> Result<(), EditorError> {
        if self.inner.borrow().refuse_writes {
            return Err(EditorError::FileWrite {
                name: name.to_owned(),
                reason: "no space left on device".to_owned(),
            });
        }
        self.put_recovery(name, text);
        Ok(())
    }

    fn remove_recovery(&mut self, name: &str) {
        self.inner.borrow_mut().recovery.remove(name);
    }
}
