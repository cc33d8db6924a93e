//! Sessions already folded, so that a step does not replay the whole session.
//!
//! Folding a session's events costs time in proportion to how many there are: at 10,000
//! events a post took 31 ms and a page 38 ms, against about 1 ms at 100. The server keeps
//! the sessions it folded last, each with the number of events it was folded from. A request
//! asks the store how many events the session has now (one lookup in the primary key) and
//! uses the kept session only if that number is the same; otherwise (another server, or an
//! agent's program, added to it) it folds the stored events again. The store stays the truth
//! and a restart loses nothing but time.
//!
//! A request takes the session out while it works on it and puts it back after, so two
//! requests never share one: the second simply folds its own. The cache is bounded by a
//! number of events in all (a session costs roughly in proportion to its events), and the
//! sessions put back longest ago are dropped first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use calltree_engine::Session;

/// Events kept folded in all: a few hundred megabytes at most, and tens of thousands of
/// ordinary sessions.
pub(crate) const MAX_EVENTS: usize = 500_000;
/// Sessions kept at most, whatever their size.
pub(crate) const MAX_SESSIONS: usize = 20_000;

#[derive(Default)]
pub(crate) struct Folded {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, (Session, u64)>,
    /// Ids in the order they were put back, with the tick of that put; an entry whose tick
    /// is not the session's current one is stale and skipped.
    order: VecDeque<(String, u64)>,
    events: usize,
    tick: u64,
}

impl Folded {
    /// The session folded from exactly `events` events, taken out of the cache.
    pub(crate) fn take(&self, id: &str, events: usize) -> Option<Session> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (session, _) = inner.sessions.remove(id)?;
        inner.events -= session.log().len();
        (session.log().len() == events).then_some(session)
    }

    /// Keeps `session` for the next request on it.
    pub(crate) fn put(&self, id: &str, session: Session) {
        let size = session.log().len();
        if size > MAX_EVENTS {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((old, _)) = inner.sessions.insert(id.to_owned(), (session, tick)) {
            inner.events -= old.log().len();
        }
        inner.events += size;
        inner.order.push_back((id.to_owned(), tick));
        while inner.events > MAX_EVENTS || inner.sessions.len() > MAX_SESSIONS {
            let Some((oldest, at)) = inner.order.pop_front() else {
                break;
            };
            if inner.sessions.get(&oldest).is_some_and(|(_, t)| *t == at)
                && let Some((dropped, _)) = inner.sessions.remove(&oldest)
            {
                inner.events -= dropped.log().len();
            }
        }
        // Stale entries pile up in `order` when the same sessions are put back again and
        // again; compact once they outnumber the live ones.
        if inner.order.len() > 2 * inner.sessions.len() + 64 {
            let Inner {
                sessions, order, ..
            } = &mut *inner;
            order.retain(|(id, at)| sessions.get(id).is_some_and(|(_, t)| t == at));
        }
    }

    /// Sessions and events kept, for tests and measurements.
    pub(crate) fn size(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        (inner.sessions.len(), inner.events)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use calltree_engine::{Project, Session};
    use calltree_syntax::Audience;

    use super::*;

    const TREE: &str =
        "tree t \"T\"\n  audience: customer\n  start: a\n\nnode a\n  say \"A\"\n  end resolved\n";

    fn session() -> Session {
        thread_local! {
            static PROJECT: Arc<Project> = Arc::new(Project::single("t.tree", TREE));
        }
        let project = PROJECT.with(Arc::clone);
        let id = project.tree_by_name("t").unwrap_or_else(|| unreachable!());
        Session::start(project, id, Audience::Customer, 0).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_session_is_used_again_only_at_the_same_number_of_events() {
        let folded = Folded::default();
        folded.put("a", session());
        assert!(folded.take("a", 2).is_none(), "another program added to it");
        assert_eq!(folded.size(), (0, 0), "and the stale one is gone");
        folded.put("a", session());
        assert!(folded.take("a", 1).is_some());
        assert!(folded.take("a", 1).is_none(), "taken out while in use");
    }

    #[test]
    fn the_cache_keeps_at_most_its_number_of_sessions_newest_first() {
        let folded = Folded::default();
        for n in 0..MAX_SESSIONS + 10 {
            folded.put(&n.to_string(), session());
        }
        assert_eq!(folded.size(), (MAX_SESSIONS, MAX_SESSIONS));
        assert!(folded.take("0", 1).is_none(), "the oldest went first");
        assert!(folded.take(&(MAX_SESSIONS + 9).to_string(), 1).is_some());
        // Putting one session back again and again does not grow the bookkeeping.
        for _ in 0..10_000 {
            folded.put("again", session());
        }
        let inner = folded.inner.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(inner.order.len() <= 2 * inner.sessions.len() + 65);
    }
}
