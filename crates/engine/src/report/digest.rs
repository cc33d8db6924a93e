//! What one session contributes to a report: its log folded once with its project (when the
//! host has it), and everything the figures need from it, worked out before it is added to
//! its version's and its tree's tallies.

use std::collections::{BTreeSet, HashMap};

use calltree_syntax::Audience;

use crate::error::SessionError;
use crate::model::{Exit, NodeId, OutcomeKind, TreeId, VariableKind};
use crate::project::Project;
use crate::session::{EndCause, Event, Millis, Session, State};
use crate::value::Value;

const DAY: Millis = 86_400_000;

/// What one session contributes, worked out once and added to its version and its tree.
pub(super) struct Digest<'e> {
    pub(super) customer: bool,
    pub(super) taken_over: bool,
    pub(super) escalation_reasons: Vec<&'e str>,
    pub(super) skip_reasons: Vec<&'e str>,
    pub(super) folded: Folded,
}

pub(super) enum Folded {
    UnknownVersion,
    Unreadable,
    Known(Box<Known>),
}

/// What only folding the session with its project tells.
pub(super) struct Known {
    pub(super) ending: Option<EndDigest>,
    pub(super) first_contact: bool,
    pub(super) contained: bool,
    pub(super) call_time: Option<u64>,
    pub(super) nodes: Vec<NodeDigest>,
    pub(super) path: String,
    pub(super) ratings: Vec<(String, f64)>,
    /// Field, text, time.
    pub(super) comments: Vec<(String, String, Millis)>,
    /// The day (UTC) the session started, for ratings over time.
    pub(super) day: i64,
}

pub(super) struct EndDigest {
    pub(super) kind: Option<OutcomeKind>,
    pub(super) to: Option<String>,
    /// The ending's author-named result, if it has one.
    pub(super) result: Option<String>,
    pub(super) by_host: bool,
    /// Why the host ended the call, when it did.
    pub(super) cause: Option<EndCause>,
}

impl EndDigest {
    /// The agent ended it as the wrong script: not an outcome of this tree at all.
    pub(super) fn wrong_script(&self) -> bool {
        self.cause == Some(EndCause::WrongScript)
    }
}

pub(super) struct NodeDigest {
    pub(super) key: String,
    pub(super) visits: u64,
    pub(super) drop_off: bool,
    pub(super) times: Vec<u64>,
}

impl<'e> Digest<'e> {
    pub(super) fn of(
        project: Option<&Project>,
        events: &'e [Event],
        audience: Audience,
    ) -> Digest<'e> {
        let mut digest = Digest {
            customer: audience == Audience::Customer,
            taken_over: false,
            escalation_reasons: Vec::new(),
            skip_reasons: Vec::new(),
            folded: Folded::UnknownVersion,
        };
        for event in events {
            match event {
                Event::Escalated { reason, .. } => digest.escalation_reasons.push(reason),
                Event::Skipped { reason, .. } => digest.skip_reasons.push(reason),
                Event::TakenOver { .. } => digest.taken_over = true,
                _ => {}
            }
        }
        if let Some(project) = project {
            digest.folded = match fold(project, events) {
                Ok((session, other_ending)) => Folded::Known(Box::new(known(
                    &session,
                    events,
                    other_ending,
                    digest.customer,
                    digest.taken_over,
                ))),
                Err(SessionError::UnknownTree(_) | SessionError::VersionMismatch { .. }) => {
                    Folded::UnknownVersion
                }
                Err(_) => Folded::Unreadable,
            };
        }
        digest
    }
}

/// Folds a log event by event, noting whether it ever reached an ending other than
/// `resolved` on the way (an ending later undone leaves no trace in the final state).
///
/// Each `Back` costs what the step it takes back did (see the session's `Undo`), so this is
/// linear in the log; when `Back` replayed what was in force, a 228 KB log of `Back`s took
/// a quarter of a second, and before that, when it replayed the whole log, 17 s at 114 KB.
fn fold<'p>(
    project: &'p Project,
    events: &[Event],
) -> Result<(Session<&'p Project>, bool), SessionError> {
    let (first, rest) = events.split_first().ok_or(SessionError::NotStarted)?;
    let mut session = Session::resume(project, vec![first.clone()])?;
    let mut other_ending = false;
    for event in rest {
        session.apply(event.clone())?;
        if let Some(ending) = &session.state().ending
            && ending.outcome.as_ref().map(|o| o.kind) != Some(OutcomeKind::Resolved)
        {
            other_ending = true;
        }
    }
    Ok((session, other_ending))
}

fn known(
    session: &Session<&Project>,
    events: &[Event],
    other_ending: bool,
    customer: bool,
    taken_over: bool,
) -> Known {
    let project = session.project();
    let state = session.state();
    let ending = state.ending.as_ref().map(|ending| EndDigest {
        kind: ending.outcome.as_ref().map(|o| o.kind),
        to: ending.outcome.as_ref().and_then(|o| o.to.clone()),
        result: ending.outcome.as_ref().and_then(|o| o.result.clone()),
        // The tree's own `end abandoned` gives no reason; the host's `Ended` always does.
        by_host: ending.reason.is_some()
            && ending.outcome.as_ref().map(|o| o.kind) == Some(OutcomeKind::Abandoned),
        cause: ending.cause,
    });
    let resolved = ending
        .as_ref()
        .is_some_and(|e| e.kind == Some(OutcomeKind::Resolved));
    let first_contact = resolved && !other_ending && !taken_over;
    let contained = customer && resolved && !taken_over;
    let timed = clock_holds(events);
    let call_time = match (&ending, events.first(), events.last()) {
        (Some(end), Some(first), Some(last)) if timed && !end.wrong_script() => {
            Some(span(first.at(), last.at()))
        }
        _ => None,
    };
    let dropped_at = match (&state.ending, &ending) {
        (None, _) => Some(state.node),
        (Some(end), Some(digest)) if digest.by_host && !digest.wrong_script() => Some(end.node),
        _ => None,
    };

    let mut nodes: Vec<NodeDigest> = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    let mut path = String::new();
    for (position, visit) in state.path.iter().enumerate() {
        let slot = *index.entry(visit.node).or_insert_with(|| {
            nodes.push(NodeDigest {
                key: node_key(project, state.tree, visit.node),
                visits: 0,
                drop_off: false,
                times: Vec::new(),
            });
            nodes.len() - 1
        });
        let digest = &mut nodes[slot];
        digest.visits += 1;
        let node = project.node(visit.node);
        if node.is_routing() || !visit.shown() {
            continue;
        }
        if !path.is_empty() {
            path.push_str(" > ");
        }
        path.push_str(&digest.key);
        if matches!(node.exit, Exit::End(_)) {
            continue;
        }
        let left_at = match state.path.get(position + 1) {
            Some(next) => Some(next.at),
            None => state.ending.as_ref().map(|e| e.at),
        };
        if let Some(left_at) = left_at
            && timed
        {
            digest.times.push(span(visit.at, left_at));
        }
    }
    if let Some(node) = dropped_at {
        match index.get(&node) {
            Some(&slot) => nodes[slot].drop_off = true,
            None => nodes.push(NodeDigest {
                key: node_key(project, state.tree, node),
                visits: 0,
                drop_off: true,
                times: Vec::new(),
            }),
        }
    }
    let (ratings, comments) = feedback(project, state, events);
    let day = state.started_at.div_euclid(DAY);
    Known {
        day,
        ending,
        first_contact,
        contained,
        call_time,
        nodes,
        path,
        ratings,
        comments,
    }
}

/// Whether a session's times can be measured: they never go back, and the first and the last
/// are close enough to subtract.
fn clock_holds(events: &[Event]) -> bool {
    let in_order = events.windows(2).all(|pair| pair[0].at() <= pair[1].at());
    let measurable = match (events.first(), events.last()) {
        (Some(first), Some(last)) => last.at().checked_sub(first.at()).is_some(),
        _ => true,
    };
    in_order && measurable
}

/// Milliseconds from `from` to `to`, 0 if the clock went back.
fn span(from: Millis, to: Millis) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

/// A node's name in the reports of the session's root tree.
fn node_key(project: &Project, root: TreeId, node: NodeId) -> String {
    let node = project.node(node);
    if node.tree == root {
        node.name.clone()
    } else {
        format!("{}.{}", project.tree(node.tree).name, node.name)
    }
}

type Feedback = (Vec<(String, f64)>, Vec<(String, String, Millis)>);

/// The ratings and comments a session ends with, from every tree it could run.
fn feedback(project: &Project, state: &State, events: &[Event]) -> Feedback {
    let mut ratings = Vec::new();
    let mut comments = Vec::new();
    let mut seen = BTreeSet::new();
    for tree in project.call_closure(state.tree) {
        for variable in &project.tree(tree).variables {
            // Trees that share a name share the slot: count its value once.
            if !matches!(variable.kind, VariableKind::Rating | VariableKind::Comment)
                || !seen.insert(variable.slot)
            {
                continue;
            }
            match &state.values[variable.slot.index()] {
                Value::Number(n) if variable.kind == VariableKind::Rating => {
                    ratings.push((variable.name.clone(), *n));
                }
                Value::Text(text) if variable.kind == VariableKind::Comment => {
                    let at = events
                        .iter()
                        .rev()
                        .find_map(|e| match e {
                            Event::Answered { field, at, .. } if *field == variable.name => {
                                Some(*at)
                            }
                            _ => None,
                        })
                        .unwrap_or(state.last_at);
                    comments.push((variable.name.clone(), text.clone(), at));
                }
                _ => {}
            }
        }
    }
    (ratings, comments)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use proptest::prelude::*;

    use super::*;
    use crate::project::SourceInput;

    fn project() -> &'static Project {
        static PROJECT: std::sync::OnceLock<Project> = std::sync::OnceLock::new();
        PROJECT.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
            let mut inputs: Vec<SourceInput> = std::fs::read_dir(dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|e| e == "tree"))
                .map(|path| {
                    SourceInput::new(
                        path.display().to_string(),
                        std::fs::read_to_string(&path).unwrap(),
                    )
                })
                .collect();
            inputs.sort_by(|a, b| a.name.cmp(&b.name));
            Project::load(inputs)
        })
    }

    /// The fold as it was defined first: after every event, the session rebuilt from
    /// scratch from the events still in force (`Back` resolved by dropping the step it
    /// takes back and the answers after it), so no `Back` is ever applied.
    fn replayed<'p>(
        project: &'p Project,
        events: &[Event],
    ) -> Result<(Session<&'p Project>, bool), SessionError> {
        let (first, rest) = events.split_first().ok_or(SessionError::NotStarted)?;
        let mut in_force = vec![first.clone()];
        let mut session = Session::resume(project, in_force.clone())?;
        let mut other_ending = false;
        for event in rest {
            match event {
                Event::Back { .. } => undo(&mut in_force)?,
                Event::TakenOver { .. } if session.state().ending.is_some() => {
                    undo(&mut in_force)?;
                    in_force.push(event.clone());
                }
                event => in_force.push(event.clone()),
            }
            session = Session::resume(project, in_force.clone())?;
            if let Some(ending) = &session.state().ending
                && ending.outcome.as_ref().map(|o| o.kind) != Some(OutcomeKind::Resolved)
            {
                other_ending = true;
            }
        }
        Ok((session, other_ending))
    }

    /// Removes the last step that moved the call, and the answers given after it; notes and
    /// take-overs stay. The same rule as the session's own `Back`.
    fn undo(in_force: &mut Vec<Event>) -> Result<(), SessionError> {
        let last = in_force
            .iter()
            .rposition(moves)
            .ok_or(SessionError::NothingToUndo)?;
        let after: Vec<Event> = in_force
            .drain(last..)
            .skip(1)
            .filter(|e| !matches!(e, Event::Answered { .. }))
            .collect();
        in_force.extend(after);
        Ok(())
    }

    /// Events that `Back` undoes: the ones that moved the call.
    fn moves(event: &Event) -> bool {
        matches!(
            event,
            Event::Chose { .. }
                | Event::Continued { .. }
                | Event::Skipped { .. }
                | Event::Escalated { .. }
                | Event::Ended { .. }
        )
    }

    /// A log played against a live session: mostly events it accepts, some it refuses.
    fn log(tree: usize, customer: bool, actions: &[(u8, u8, bool)]) -> Vec<Event> {
        let project = project();
        let names = [
            "password_reset",
            "internet_down",
            "billing_dispute",
            "csat_survey",
        ];
        let id = project.tree_by_name(names[tree % names.len()]).unwrap();
        let audience = if customer && project.tree(id).serves(Audience::Customer) {
            Audience::Customer
        } else {
            Audience::Agent
        };
        let mut session = Session::start(project, id, audience, 0).unwrap();
        let mut log = session.log().to_vec();
        for (step, &(kind, pick, keep_refused)) in actions.iter().enumerate() {
            let at = 1_000 * (i64::try_from(step).unwrap() + 1);
            let node = project.node(session.state().node);
            let event = match kind % 8 {
                0 | 1 => match &node.exit {
                    Exit::Options(options) if !options.is_empty() => {
                        let index = usize::from(pick) % options.len();
                        Event::Chose {
                            option: u16::try_from(index).unwrap(),
                            label: options[index].label.source.clone(),
                            at,
                        }
                    }
                    _ => Event::Continued { at },
                },
                2 => match node.asks.get(usize::from(pick) % node.asks.len().max(1)) {
                    Some((slot, _)) => Event::Answered {
                        field: project.slot_name(*slot).to_owned(),
                        value: ["yes", "no", "12345678", "3", "x"][usize::from(pick) % 5].into(),
                        at,
                    },
                    None => Event::Continued { at },
                },
                3 => Event::Back { at },
                4 => Event::TakenOver { at },
                5 => Event::Noted {
                    text: "note".into(),
                    at,
                },
                6 => Event::Escalated {
                    reason: "manager".into(),
                    at,
                },
                _ => Event::Continued { at },
            };
            if session.apply(event.clone()).is_ok() || keep_refused {
                log.push(event);
            }
        }
        log
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn stepping_back_matches_rebuilding_from_the_events_in_force(
            tree in 0usize..4,
            customer in any::<bool>(),
            actions in prop::collection::vec((any::<u8>(), any::<u8>(), prop::bool::weighted(0.05)), 0..120),
        ) {
            let project = project();
            let events = log(tree, customer, &actions);
            match (fold(project, &events), replayed(project, &events)) {
                (Ok((new, new_other)), Ok((old, old_other))) => {
                    prop_assert_eq!(new.state(), old.state());
                    prop_assert_eq!(new_other, old_other);
                }
                (Err(new), Err(old)) => prop_assert_eq!(new.to_string(), old.to_string()),
                (new, old) => prop_assert!(false, "{:?} vs {:?}", new.map(|s| s.1), old.map(|s| s.1)),
            }
        }
    }
}
