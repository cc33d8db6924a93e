//! Calls in the session database: customers' self-service sessions, and the agent taking one
//! over by its handoff code.

use calltree_engine::{Action, Event, Millis, OutcomeKind, Session, Step};
use calltree_store::{Store, StoreError};
use calltree_syntax::Audience;

use crate::call::Call;
use crate::error::CallsError;
use crate::store::{CallId, CallStore};
use crate::versions::Versions;

/// A [`CallStore`] over the session database: each step is one transaction, committed and
/// synced before it is acknowledged, numbered so two writers cannot both add the same event.
#[derive(Debug, Clone)]
pub struct DatabaseCalls {
    store: Store,
}

impl DatabaseCalls {
    pub fn new(store: Store) -> Self {
        DatabaseCalls { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn conflict(error: StoreError) -> CallsError {
    match error {
        StoreError::Conflict {
            session,
            expected,
            actual,
        } => CallsError::Conflict {
            call: session,
            expected,
            actual,
        },
        other => CallsError::Store(other),
    }
}

impl CallStore for DatabaseCalls {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        Ok(self.store.create_session(first)?.id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        self.store.append_all(call, seq, events).map_err(conflict)
    }

    fn finish(&mut self, call: &str, outcome: Option<OutcomeKind>) -> Result<(), CallsError> {
        Ok(self.store.finish(call, outcome.map(OutcomeKind::name))?)
    }
}

/// A stored session, continued as a call on the version it started on.
pub fn open_session(
    store: &Store,
    versions: &Versions,
    id: &str,
) -> Result<Call<DatabaseCalls>, CallsError> {
    let events = store.events(id)?;
    let project = versions.for_session(id, &events)?;
    let session = Session::resume(project, events)?;
    Ok(Call::open(
        id.to_owned(),
        session,
        DatabaseCalls::new(store.clone()),
    ))
}

/// Takes a customer's session over by its handoff code: from here it is the agent's call,
/// where the customer left it, with every answer they gave. The `TakenOver` event is stored
/// before the call is returned.
///
/// A code works once and until it expires. Once a session is an agent's, its code is spent:
/// taking it over again would undo the agent's ending (a `TakenOver` reopens a session), so a
/// case already resolved would be back to unfinished with no outcome. Two agents entering one
/// code at the same moment cannot both take it: the store takes one `TakenOver` per number.
pub fn take_over(
    store: &Store,
    versions: &Versions,
    code: &str,
    at: Millis,
) -> Result<Call<DatabaseCalls>, CallsError> {
    let code = code.trim();
    let unknown = || CallsError::NoHandoff(code.to_owned());
    let id = store.find_handoff(code)?.ok_or_else(unknown)?;
    let info = store.session(&id)?.ok_or_else(unknown)?;
    let shown = info.handoff.clone().unwrap_or_else(|| code.to_owned());
    let mut call = open_session(store, versions, &id)?;
    let log = call.session().log();
    if let Some(taken) = log.iter().find_map(|event| match event {
        Event::TakenOver { at } => Some(*at),
        _ => None,
    }) {
        return Err(CallsError::HandoffUsed {
            code: shown,
            ago: ago(taken, at),
        });
    }
    if call.session().state().audience != Audience::Customer {
        return Err(CallsError::HandoffUsed {
            code: shown,
            ago: ago(info.updated_at, at),
        });
    }
    if let Some(expires) = info.handoff_expires
        && at >= expires
    {
        return Err(CallsError::HandoffExpired {
            code: shown,
            ago: ago(expires, at),
        });
    }
    call.record(&Step::action(Action::TakeOver), at)?;
    Ok(call)
}

/// How long before `now` something happened, in words an agent reads at a glance.
fn ago(then: Millis, now: Millis) -> String {
    let minutes = (now - then).max(0) / 60_000;
    match minutes {
        0 => "less than a minute ago".to_owned(),
        1 => "a minute ago".to_owned(),
        2..=119 => format!("{minutes} minutes ago"),
        _ if minutes < 48 * 60 => format!("{} hours ago", minutes / 60),
        _ => format!("{} days ago", minutes / (24 * 60)),
    }
}

/// Customers' sessions an agent can take over by their handoff codes.
pub trait Handoffs {
    /// Takes the session with this code over, as [`take_over`] does, and returns it as the
    /// agent's call.
    fn take_over(&mut self, code: &str, at: Millis) -> Result<Call, CallsError>;
}

/// The session database of `calltree serve`, opened when an agent first enters a code.
#[derive(Debug)]
pub struct SessionDatabase {
    path: std::path::PathBuf,
    opened: Option<(Store, Versions)>,
}

impl SessionDatabase {
    pub fn new(path: std::path::PathBuf) -> Self {
        SessionDatabase { path, opened: None }
    }

    fn open(&mut self) -> Result<&(Store, Versions), CallsError> {
        if self.opened.is_none() {
            if !calltree_store::location_exists(&self.path) {
                return Err(CallsError::NoDatabase(self.path.clone()));
            }
            let store = Store::open(&self.path)?;
            let versions = Versions::with_store(store.clone());
            self.opened = Some((store, versions));
        }
        self.opened
            .as_ref()
            .ok_or_else(|| CallsError::NoDatabase(self.path.clone()))
    }
}

impl Handoffs for SessionDatabase {
    fn take_over(&mut self, code: &str, at: Millis) -> Result<Call, CallsError> {
        let (store, versions) = self.open()?;
        let (id, session, store) = take_over(store, versions, code, at)?.into_parts();
        Ok(Call::open(
            id,
            in_customers_language(session)?,
            Box::new(store),
        ))
    }
}

/// A session taken over, shown to the agent in the language the customer used (kept in its
/// `Started` event), with the agent's guidance left in the tree's own words
/// (`Project::in_locale_for_agent`). A session in the tree's own language is as it was.
pub fn in_customers_language(session: Session) -> Result<Session, CallsError> {
    let Some(locale) = session.locale() else {
        return Ok(session);
    };
    let project = std::sync::Arc::new(session.project().in_locale_for_agent(locale));
    Ok(Session::resume(project, session.log().to_vec())?)
}
