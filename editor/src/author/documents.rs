//! The open folder's files as the author edits them, and the rules that keep every edit safe:
//! a recovery copy shortly after each change, an atomic save shortly after typing stops, and a
//! look at the disk every second so a change made by another program is never overwritten
//! unseen.

use calltree_engine::SourceInput;
use calltree_engine::translation::TranslationInput;

use super::folder::{Stamp, TreeFolder};
use crate::error::EditorError;

/// How long typing must pause before the text is saved.
pub const AUTOSAVE_AFTER_MS: i64 = 1_500;
/// How long typing must pause before the recovery copy is refreshed.
pub const RECOVERY_AFTER_MS: i64 = 300;
/// How often the disk is looked at for changes made elsewhere.
pub const POLL_EVERY_MS: i64 = 1_000;
/// How long to wait before trying a failed recovery copy again.
pub const RECOVERY_RETRY_MS: i64 = 5_000;

/// Why a file is not being saved automatically until the author decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Unsaved text from a session that ended without saving was restored.
    Recovered,
    /// Another program changed the file while it had unsaved edits here; this is its text.
    ChangedOnDisk(String),
    /// Another program deleted the file while it was open.
    Deleted,
}

/// One `.tree` file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The path inside the folder.
    pub name: String,
    pub text: String,
    /// The text as last read from or written to disk.
    saved: String,
    stamp: Option<Stamp>,
    /// When the text last changed without being saved (milliseconds).
    edited_at: i64,
    /// The text in the recovery copy, if one was written since the last save.
    recovery: Option<String>,
    /// When writing the recovery copy last failed; retried on its own timer, so a failing
    /// recovery copy never holds up saving the file itself.
    recovery_failed_at: Option<i64>,
    pub hold: Option<Hold>,
}

impl Document {
    pub fn is_dirty(&self) -> bool {
        self.text != self.saved
    }

    /// The text as it is on disk.
    pub fn saved_text(&self) -> &str {
        &self.saved
    }
}

/// The files of one folder.
pub struct Documents {
    folder: Box<dyn TreeFolder>,
    pub docs: Vec<Document>,
    /// Bumped whenever any text changes, so views know to re-check.
    pub revision: u64,
    last_poll: i64,
    /// What happened that the author should hear about (a reload, a failed save...).
    pub messages: Vec<String>,
}

impl Documents {
    /// Reads every file of the folder, restoring unsaved text a crash left behind.
    pub fn open(folder: Box<dyn TreeFolder>, now: i64) -> Result<Self, EditorError> {
        let mut documents = Documents {
            folder,
            docs: Vec::new(),
            revision: 1,
            last_poll: now,
            messages: Vec::new(),
        };
        for name in documents.folder.list()? {
            // One unreadable file (not UTF-8, say) must not keep the others from opening.
            if let Err(error) = documents.add(&name, now) {
                documents
                    .messages
                    .push(format!("{error}; it was not opened"));
            }
        }
        Ok(documents)
    }

    /// The folder's translation files, as saved: agents run calls in their languages.
    pub fn translations(&self) -> Vec<TranslationInput> {
        self.folder.translations()
    }

    pub fn folder_label(&self) -> String {
        self.folder.label()
    }

    fn add(&mut self, name: &str, now: i64) -> Result<usize, EditorError> {
        let (text, stamp) = self.folder.read(name)?;
        let mut doc = Document {
            name: name.to_owned(),
            text: text.clone(),
            saved: text,
            stamp: Some(stamp),
            edited_at: now,
            recovery: None,
            recovery_failed_at: None,
            hold: None,
        };
        if let Some(recovered) = self.folder.read_recovery(name) {
            if recovered == doc.saved {
                self.folder.remove_recovery(name);
            } else {
                doc.text = recovered.clone();
                doc.recovery = Some(recovered);
                doc.hold = Some(Hold::Recovered);
            }
        }
        self.docs.push(doc);
        self.revision += 1;
        Ok(self.docs.len() - 1)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.docs.iter().position(|d| d.name == name)
    }

    /// Records that the author changed a file's text (the text itself is already in place).
    pub fn edited(&mut self, index: usize, now: i64) {
        if let Some(doc) = self.docs.get_mut(index) {
            doc.edited_at = now;
            self.revision += 1;
        }
    }

    /// Replaces a file's text on the author's behalf (a rename, a format).
    pub fn replace(&mut self, index: usize, text: String, now: i64) {
        if let Some(doc) = self.docs.get_mut(index)
            && doc.text != text
        {
            doc.text = text;
            self.edited(index, now);
        }
    }

    /// Creates a new file and returns its index; refuses to overwrite one.
    pub fn create(&mut self, name: &str, text: &str, now: i64) -> Result<usize, EditorError> {
        if self.index_of(name).is_some() || self.folder.stamp(name).is_some() {
            return Err(EditorError::FileWrite {
                name: name.to_owned(),
                reason: "a file of that name already exists".to_owned(),
            });
        }
        self.folder.write(name, text)?;
        let index = self.add(name, now)?;
        self.docs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(self.index_of(name).unwrap_or(index))
    }

    /// Saves one file now, whatever holds it.
    pub fn save(&mut self, index: usize) -> Result<(), EditorError> {
        let Some(doc) = self.docs.get_mut(index) else {
            return Ok(());
        };
        let stamp = self.folder.write(&doc.name, &doc.text)?;
        doc.saved = doc.text.clone();
        doc.stamp = Some(stamp);
        doc.hold = None;
        if doc.recovery.take().is_some() {
            self.folder.remove_recovery(&doc.name);
        }
        Ok(())
    }

    /// Saves every file with unsaved edits that nothing holds; used for Ctrl+S and before
    /// the app closes. A file changed elsewhere since it was read is not overwritten: it is
    /// held for the author to decide, and reported (its recovery copy keeps the edits).
    pub fn save_all(&mut self) -> Vec<EditorError> {
        let mut failures = Vec::new();
        for index in 0..self.docs.len() {
            if !self.docs[index].is_dirty() {
                self.drop_recovery_if_clean(index);
                continue;
            }
            self.check_disk(index);
            let doc = &self.docs[index];
            if doc.hold.is_some() {
                if doc.is_dirty() {
                    failures.push(EditorError::FileWrite {
                        name: doc.name.clone(),
                        reason: "it was changed elsewhere, or is waiting for your decision; your edits are in its recovery copy".to_owned(),
                    });
                }
                continue;
            }
            if let Err(error) = self.save(index) {
                failures.push(error);
            }
        }
        failures
    }

    /// Removes a file's recovery copy once its text is the saved text again (typing undone,
    /// the same text written by another program): a recovery copy is only ever of edits not
    /// on disk, so a stale one never brings deleted text back at the next start.
    fn drop_recovery_if_clean(&mut self, index: usize) {
        let Some(doc) = self.docs.get_mut(index) else {
            return;
        };
        if doc.is_dirty() {
            return;
        }
        if doc.hold == Some(Hold::Recovered) {
            // The restored edits were undone by hand: there is nothing left to decide.
            doc.hold = None;
        }
        if doc.recovery.take().is_some() {
            self.folder.remove_recovery(&doc.name);
        }
    }

    /// Gives up the unsaved edits of a file for its text on disk, as it is now.
    pub fn revert(&mut self, index: usize) {
        let Some(doc) = self.docs.get_mut(index) else {
            return;
        };
        if let Ok((text, stamp)) = self.folder.read(&doc.name) {
            doc.saved = text;
            doc.stamp = Some(stamp);
        }
        doc.text = doc.saved.clone();
        doc.hold = None;
        if doc.recovery.take().is_some() {
            self.folder.remove_recovery(&doc.name);
        }
        self.revision += 1;
    }

    /// Closes a file that is gone from disk, with its recovery copy.
    pub fn close(&mut self, index: usize) {
        if index < self.docs.len() {
            let doc = self.docs.remove(index);
            self.folder.remove_recovery(&doc.name);
            self.revision += 1;
        }
    }

    /// Keeps the text on screen: it is saved over whatever is on disk.
    pub fn keep(&mut self, index: usize) -> Result<(), EditorError> {
        self.save(index)
    }

    /// Does what time asks for: recovery copies, autosaves and a look at the disk.
    pub fn tick(&mut self, now: i64) {
        for index in 0..self.docs.len() {
            if !self.docs[index].is_dirty() {
                self.drop_recovery_if_clean(index);
                continue;
            }
            let doc = &mut self.docs[index];
            let quiet = now - doc.edited_at;
            let retry_due = doc
                .recovery_failed_at
                .is_none_or(|failed| now - failed >= RECOVERY_RETRY_MS);
            if quiet >= RECOVERY_AFTER_MS && retry_due && doc.recovery.as_ref() != Some(&doc.text) {
                match self.folder.write_recovery(&doc.name, &doc.text) {
                    Ok(()) => {
                        doc.recovery = Some(doc.text.clone());
                        doc.recovery_failed_at = None;
                    }
                    Err(error) => {
                        if doc.recovery_failed_at.is_none() {
                            self.messages.push(error.to_string());
                        }
                        doc.recovery_failed_at = Some(now);
                    }
                }
            }
            if quiet >= AUTOSAVE_AFTER_MS {
                // Never save over a change made elsewhere since the file was read.
                self.check_disk(index);
                if self.docs[index].hold.is_none()
                    && self.docs[index].is_dirty()
                    && let Err(error) = self.save(index)
                {
                    let message = format!(
                        "{error}; your edits are kept on screen and will be saved again shortly"
                    );
                    if self.messages.last() != Some(&message) {
                        self.messages.push(message);
                    }
                    self.docs[index].edited_at = now;
                }
            }
        }
        if now - self.last_poll >= POLL_EVERY_MS {
            self.last_poll = now;
            self.look_at_disk(now);
        }
    }

    /// Notices whether another program changed or deleted one file: reloads it when it has
    /// no unsaved edits here, and holds it for the author's decision when it has.
    fn check_disk(&mut self, index: usize) {
        let stamp = self.folder.stamp(&self.docs[index].name);
        let doc = &self.docs[index];
        if stamp == doc.stamp {
            return;
        }
        let name = doc.name.clone();
        if stamp.is_none() {
            if doc.hold != Some(Hold::Deleted) {
                self.messages.push(format!(
                    "{name} was deleted by another program; its text is still open here"
                ));
                self.docs[index].hold = Some(Hold::Deleted);
            }
            return;
        }
        let Ok((disk, stamp)) = self.folder.read(&name) else {
            return;
        };
        let doc = &mut self.docs[index];
        if disk == doc.text {
            doc.saved = disk;
            doc.stamp = Some(stamp);
            doc.hold = None;
        } else if !doc.is_dirty() {
            doc.text = disk.clone();
            doc.saved = disk;
            doc.stamp = Some(stamp);
            doc.hold = None;
            self.revision += 1;
            self.messages.push(format!(
                "{name} was changed by another program and reloaded"
            ));
        } else if doc.hold != Some(Hold::ChangedOnDisk(disk.clone())) {
            doc.hold = Some(Hold::ChangedOnDisk(disk));
            doc.stamp = Some(stamp);
        }
    }

    /// Notices files another program changed, deleted or added.
    pub fn look_at_disk(&mut self, now: i64) {
        for index in 0..self.docs.len() {
            self.check_disk(index);
        }
        if let Ok(names) = self.folder.list() {
            for name in names {
                if self.index_of(&name).is_none() && self.add(&name, now).is_ok() {
                    self.messages
                        .push(format!("{name} appeared in the folder and was opened"));
                }
            }
            self.docs.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// The texts to check, as the engine takes them.
    pub fn inputs(&self) -> Vec<SourceInput> {
        self.docs
            .iter()
            .map(|doc| SourceInput::new(doc.name.clone(), doc.text.clone()))
            .collect()
    }

    /// The texts as saved on disk, for agents, who never run half-edited scripts.
    pub fn saved_inputs(&self) -> Vec<SourceInput> {
        self.docs
            .iter()
            .map(|doc| SourceInput::new(doc.name.clone(), doc.saved.clone()))
            .collect()
    }

    pub fn any_dirty(&self) -> bool {
        self.docs.iter().any(Document::is_dirty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::author::MemoryFolder;

    const TEXT: &str = "tree t \"T\"\n  start: a\n\nnode a \"A\"\n  end resolved\n";

    #[test]
    fn an_autosave_never_overwrites_a_change_made_elsewhere_since_the_last_look() {
        let folder = MemoryFolder::new([("t.tree", TEXT)]);
        let mut documents = Documents::open(Box::new(folder.clone()), 0).unwrap();
        documents.tick(1_100);
        documents.docs[0].text.push_str("# mine\n");
        documents.edited(0, 1_150);
        // Another program writes between two looks at the disk...
        folder.put("t.tree", &format!("{TEXT}# theirs\n"));
        // ...and typing has paused long enough for an autosave.
        documents.tick(2_700);
        assert!(folder.text("t.tree").unwrap().ends_with("# theirs\n"));
        assert!(matches!(
            documents.docs[0].hold,
            Some(Hold::ChangedOnDisk(_))
        ));
        // Closing the app does not overwrite it either; the edits stay in the recovery copy.
        assert_eq!(documents.save_all().len(), 1);
        assert!(folder.text("t.tree").unwrap().ends_with("# theirs\n"));
        assert!(folder.recovery("t.tree").unwrap().ends_with("# mine\n"));
        // Loading theirs takes the text as it is on disk now.
        folder.put("t.tree", &format!("{TEXT}# theirs, again\n"));
        documents.revert(0);
        assert!(documents.docs[0].text.ends_with("# theirs, again\n"));
        assert!(documents.docs[0].hold.is_none());
    }

    #[test]
    fn typing_undone_before_a_clean_close_leaves_no_recovery_copy_to_bring_it_back() {
        let folder = MemoryFolder::new([("t.tree", TEXT)]);
        let mut documents = Documents::open(Box::new(folder.clone()), 0).unwrap();
        documents.docs[0].text.push_str("# deleted again\n");
        documents.edited(0, 100);
        documents.tick(100 + RECOVERY_AFTER_MS);
        assert!(folder.recovery("t.tree").is_some());
        // The author deletes what they typed before it is saved, and closes at once.
        documents.docs[0].text = TEXT.to_owned();
        documents.edited(0, 500);
        assert!(documents.save_all().is_empty());
        assert_eq!(folder.recovery("t.tree"), None);
        let reopened = Documents::open(Box::new(folder.clone()), 1_000).unwrap();
        assert_eq!(reopened.docs[0].hold, None);
        assert_eq!(reopened.docs[0].text, TEXT);

        // The same without closing: the next tick notices the text is the saved text.
        let mut documents = reopened;
        documents.docs[0].text.push_str("# typed\n");
        documents.edited(0, 2_000);
        documents.tick(2_000 + RECOVERY_AFTER_MS);
        assert!(folder.recovery("t.tree").is_some());
        documents.docs[0].text = TEXT.to_owned();
        documents.edited(0, 2_500);
        documents.tick(2_600);
        assert_eq!(folder.recovery("t.tree"), None);
    }

    #[test]
    fn a_recovery_copy_equal_to_the_saved_file_is_never_offered() {
        let folder = MemoryFolder::new([("t.tree", TEXT)]);
        folder.put_recovery("t.tree", TEXT);
        let documents = Documents::open(Box::new(folder.clone()), 0).unwrap();
        assert_eq!(documents.docs[0].hold, None);
        assert_eq!(folder.recovery("t.tree"), None);
    }

    #[test]
    fn restored_edits_undone_by_hand_need_no_decision() {
        let folder = MemoryFolder::new([("t.tree", TEXT)]);
        folder.put_recovery("t.tree", &format!("{TEXT}# lost\n"));
        let mut documents = Documents::open(Box::new(folder.clone()), 0).unwrap();
        assert_eq!(documents.docs[0].hold, Some(Hold::Recovered));
        documents.docs[0].text = TEXT.to_owned();
        documents.edited(0, 100);
        documents.tick(200);
        assert_eq!(documents.docs[0].hold, None);
        assert_eq!(folder.recovery("t.tree"), None);
    }

    #[test]
    fn a_file_deleted_elsewhere_is_reported_once_and_can_be_closed() {
        let folder = MemoryFolder::new([("t.tree", TEXT), ("u.tree", TEXT)]);
        let mut documents = Documents::open(Box::new(folder.clone()), 0).unwrap();
        folder.delete("t.tree");
        documents.tick(1_100);
        documents.tick(2_200);
        assert_eq!(documents.messages.len(), 1, "{:?}", documents.messages);
        assert_eq!(documents.docs[0].hold, Some(Hold::Deleted));
        documents.close(0);
        documents.tick(3_300);
        assert_eq!(documents.docs.len(), 1);
        assert_eq!(documents.docs[0].name, "u.tree");
        assert_eq!(documents.messages.len(), 1);
    }
}
