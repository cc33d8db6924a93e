//! Stored sessions for reports: agents' call logs and the session database, folded by the
//! engine's `Report` on the version each session ran on. `calltree report` and the desktop's
//! Insights both come through here, so one set of sessions gives one set of figures.

use std::path::PathBuf;

use calltree_engine::{Event, Report, ReportData, ReportFilter};
use calltree_store::Store;

use crate::error::CallsError;
use crate::log;
use crate::versions::Versions;

/// What a source hands each stored session to: its id and its events.
pub type AddSession<'a> = dyn FnMut(&str, &[Event]) -> Result<(), CallsError> + 'a;

/// How far reading the stored sessions has come: `read` sessions so far, of `of` when the
/// source can say how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub read: u64,
    pub of: Option<u64>,
}

/// Where stored sessions come from.
pub trait SessionSource {
    /// What is read, as a team lead reads it ("12 call logs and sessions.db").
    fn describe(&self) -> String;
    /// How many sessions `each_session` will hand over for `filter`, if the source can say
    /// so cheaply; hosts show it as progress. `None` when it cannot.
    fn count(&mut self, filter: &ReportFilter) -> Result<Option<u64>, CallsError> {
        let _ = filter;
        Ok(None)
    }
    /// Hands every stored session that may pass `filter` to `add`, one at a time, with its
    /// id. Sessions the filter leaves out may be passed too; the report drops them.
    fn each_session(
        &mut self,
        filter: &ReportFilter,
        add: &mut AddSession<'_>,
    ) -> Result<(), CallsError>;
}

/// Call logs in folders (every `.jsonl` file below them, hidden ones skipped) and, if given,
/// a session database.
#[derive(Debug, Clone)]
pub struct StoredSessions {
    logs: Vec<PathBuf>,
    database: Option<Store>,
    /// The largest call log read, in bytes.
    read_limit: u64,
}

impl Default for StoredSessions {
    fn default() -> Self {
        StoredSessions {
            logs: Vec::new(),
            database: None,
            read_limit: calltree_files::DEFAULT_MAX_INPUT_SIZE,
        }
    }
}

impl StoredSessions {
    pub fn new() -> Self {
        StoredSessions::default()
    }

    /// Refuses call logs larger than `bytes` (the default is calltree's input limit).
    pub fn with_read_limit(mut self, bytes: u64) -> Self {
        self.read_limit = bytes;
        self
    }

    /// Adds the call logs in a folder and its sub-folders.
    pub fn with_logs(mut self, folder: PathBuf) -> Self {
        self.logs.push(folder);
        self
    }

    /// Adds every session of a session database.
    pub fn with_database(mut self, store: Store) -> Self {
        self.database = Some(store);
        self
    }

    fn log_files(&self) -> Vec<PathBuf> {
        self.logs
            .iter()
            .filter(|folder| folder.is_dir())
            .flat_map(|folder| {
                calltree_files::files_with_extension(folder, "jsonl").unwrap_or_default()
            })
            .collect()
    }
}

impl SessionSource for StoredSessions {
    fn count(&mut self, filter: &ReportFilter) -> Result<Option<u64>, CallsError> {
        let mut count = self.log_files().len() as u64;
        if let Some(store) = &self.database {
            count += store
                .sessions(filter.tree.as_deref(), filter.since, usize::MAX)?
                .len() as u64;
        }
        Ok(Some(count))
    }

    fn describe(&self) -> String {
        let logs = self.log_files().len();
        let folders: Vec<String> = self.logs.iter().map(|f| f.display().to_string()).collect();
        match &self.database {
            Some(store) if logs > 0 => {
                format!("{logs} call logs and {}", store.path().display())
            }
            Some(store) => store.path().display().to_string(),
            None => format!("{logs} call logs in {}", folders.join(", ")),
        }
    }

    fn each_session(
        &mut self,
        filter: &ReportFilter,
        add: &mut AddSession<'_>,
    ) -> Result<(), CallsError> {
        for path in self.log_files() {
            let bytes = calltree_files::read_bytes_within(&path, self.read_limit)?;
            // A log cut short by a crash still counts with its complete events; a file that
            // is not a call log at all counts as unreadable, and the rest still report.
            let contents = log::read_log(&bytes);
            let id = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            add(&id, &contents.events)?;
        }
        if let Some(store) = &self.database {
            for session in store.sessions(filter.tree.as_deref(), filter.since, usize::MAX)? {
                let events = store.events(&session.id)?;
                add(&session.id, &events)?;
            }
        }
        Ok(())
    }
}

/// Folds every session of `source` into a report, each on the version it ran on when that
/// version is known to `versions` (sessions of unknown versions count as far as their events
/// allow).
pub fn report(
    filter: ReportFilter,
    source: &mut dyn SessionSource,
    versions: &Versions,
) -> Result<ReportData, CallsError> {
    report_with_progress(filter, source, versions, &mut |_| {})
}

/// [`report`], telling `progress` how far it has read: once before the first session (with
/// the count, when the source knows it) and after every session. A host that reads on a
/// worker thread shows it ("Reading 1,200 of 3,300 calls").
pub fn report_with_progress(
    filter: ReportFilter,
    source: &mut dyn SessionSource,
    versions: &Versions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ReportData, CallsError> {
    let mut report = Report::new(filter.clone());
    let mut done = Progress {
        read: 0,
        of: source.count(&filter)?,
    };
    progress(done);
    source.each_session(&filter, &mut |id, events| {
        let project = match events.first() {
            Some(Event::Started { version, .. }) => versions.project(version)?,
            _ => None,
        };
        report.add_session_with_id(id, project.as_deref(), events);
        done.read += 1;
        // A source may hand over more than it counted (a log written meanwhile).
        done.of = done.of.map(|of| of.max(done.read));
        progress(done);
        Ok(())
    })?;
    Ok(report.finish())
}
