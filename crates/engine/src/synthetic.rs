//! Synthetic call logs: realistic-looking sessions of a tree, for trying reports and
//! measuring them without real calls.
//!
//! Each session is played against a real `Session`, so every log replays. What people do is
//! drawn from a seeded `Rng` (the same seed gives the same logs): the audience among those the
//! tree serves (agents somewhat more often), answers invented as walks invent them, options
//! weighted toward the first ones (scripts list the common case first), think times that are
//! usually seconds and sometimes minutes (log-normal), and now and then a note, a skip, a
//! `Back`, an escalation, a caller hanging up, or a session still in progress. A customer who
//! asks for a person is escalated, and is often taken over by an agent who carries on.
//!
//! Think times use `f64::exp`, whose last bit may differ between platforms' maths libraries:
//! the logs are the same for a seed on one platform, and almost always across them.

use std::collections::HashMap;

use calltree_syntax::Audience;

use crate::model::{Exit, Slot, TreeId};
use crate::project::Project;
use crate::session::{EndCause, Event, Millis, Session};
use crate::value::Type;
use crate::walk::{Rng, invented_answers};

/// Steps after which a session that is still going hangs up (trees with loops).
const MAX_STEPS: usize = 200;

/// Chances per step, in thousandths.
const HANG_UP: usize = 12;
const STILL_IN_PROGRESS: usize = 3;
const AGENT_ESCALATES: usize = 15;
const CUSTOMER_ASKS_FOR_PERSON: usize = 25;
const GOES_BACK: usize = 25;
const AGENT_NOTES: usize = 60;
const SKIPS: usize = 30;
/// Chance, in thousandths, that an optional field is answered.
const ANSWERS_OPTIONAL: usize = 700;
/// Chance, in thousandths, that an agent takes over a customer who asked for a person.
const TAKEN_OVER: usize = 600;
/// Chance, in thousandths, that a session of a tree serving both audiences is an agent's.
const AGENT_SHARE: usize = 550;

const ESCALATION_REASONS: &[&str] = &[
    "caller asked for a supervisor",
    "issue not covered by the script",
    "caller is upset and wants to complain",
    "suspected fraud on the account",
    "system outage affecting the account",
];
const PERSON_PLEASE: &str = "customer asked for a person";
const SKIP_REASONS: &[&str] = &[
    "caller did not know",
    "already checked earlier in the call",
    "caller refused to answer",
    "not relevant to this call",
];
const NOTES: &[&str] = &[
    "Caller sounded frustrated.",
    "Customer confirmed their details.",
    "Asked to be called back on their mobile.",
    "Long pause while the caller checked.",
    "Caller was driving; kept it short.",
];

/// `count` synthetic sessions of `tree`, each a complete log that replays on `project`.
/// Sessions start a few seconds apart from `start_at` and overlap, as calls do. None are
/// produced if the tree cannot start (no start node, or it serves no audience).
pub fn synthetic_sessions(
    project: &Project,
    tree: TreeId,
    count: usize,
    seed: u64,
    start_at: Millis,
) -> impl Iterator<Item = Vec<Event>> {
    let mut rng = Rng::new(seed);
    let mut clock = start_at;
    let mut answers = AnswerCache::default();
    (0..count).map_while(move |_| {
        clock += millis(&mut rng, 0, 40_000);
        // Each session has its own generator, so one session's length does not shift the
        // choices of the next.
        let mut own = Rng::new(rng.next_u64());
        Caller::new(project, &mut own, &mut answers).play(tree, clock)
    })
}

/// Invented answers per field, worked out once: patterns are compiled to invent them.
#[derive(Default)]
struct AnswerCache(HashMap<(TreeId, Slot), Vec<String>>);

struct Caller<'a, 'p> {
    project: &'p Project,
    rng: &'a mut Rng,
    answers: &'a mut AnswerCache,
}

impl<'a, 'p> Caller<'a, 'p> {
    fn new(project: &'p Project, rng: &'a mut Rng, answers: &'a mut AnswerCache) -> Self {
        Caller {
            project,
            rng,
            answers,
        }
    }

    fn chance(&mut self, per_mille: usize) -> bool {
        self.rng.below(1_000) < per_mille
    }

    fn pick<'s>(&mut self, list: &[&'s str]) -> &'s str {
        list[self.rng.below(list.len())]
    }

    fn play(mut self, tree: TreeId, at: Millis) -> Option<Vec<Event>> {
        let root = self.project.tree(tree);
        let audience = match (
            root.serves(Audience::Agent),
            root.serves(Audience::Customer),
        ) {
            (true, true) if self.chance(AGENT_SHARE) => Audience::Agent,
            (true, true) | (false, true) => Audience::Customer,
            (true, false) => Audience::Agent,
            (false, false) => return None,
        };
        let given = crate::walk::invented_given(self.project, tree);
        let mut session = Session::start_with(self.project, tree, audience, at, given).ok()?;
        let mut now = at;
        let mut waiting_for_agent = false;
        for _ in 0..MAX_STEPS {
            if session.is_finished() {
                if !waiting_for_agent {
                    return Some(session.log().to_vec());
                }
                waiting_for_agent = false;
                now += think(self.rng, 90_000.0, 0.7);
                if session.apply(Event::TakenOver { at: now }).is_err() {
                    return Some(session.log().to_vec());
                }
                continue;
            }
            if self.chance(STILL_IN_PROGRESS) {
                return Some(session.log().to_vec());
            }
            let agent = session.state().audience == Audience::Agent;
            if self.chance(HANG_UP) {
                now += think(self.rng, 20_000.0, 1.0);
                let (cause, reason) = if agent {
                    (EndCause::HungUp, "caller hung up")
                } else {
                    (EndCause::Other, "customer left the page")
                };
                end(&mut session, cause, reason, now);
                continue;
            }
            if session.state().stuck.is_some() {
                now += think(self.rng, 15_000.0, 0.5);
                escalate(&mut session, "the script has no way forward here", now);
                continue;
            }
            if !agent && self.chance(CUSTOMER_ASKS_FOR_PERSON) {
                now += think(self.rng, 12_000.0, 0.8);
                escalate(&mut session, PERSON_PLEASE, now);
                waiting_for_agent = self.project.tree(tree).serves(Audience::Agent)
                    && session.is_finished()
                    && self.chance(TAKEN_OVER);
                continue;
            }
            if agent && self.chance(AGENT_ESCALATES) {
                now += think(self.rng, 25_000.0, 0.8);
                let reason = self.pick(ESCALATION_REASONS);
                escalate(&mut session, reason, now);
                continue;
            }
            if self.chance(GOES_BACK) && session.can_go_back() {
                now += think(self.rng, 4_000.0, 0.5);
                // Back cannot fail where `can_go_back` holds; if it did, the call goes on.
                let _ = session.apply(Event::Back { at: now });
                continue;
            }
            if agent && self.chance(AGENT_NOTES) {
                now += think(self.rng, 8_000.0, 0.6);
                let text = self.pick(NOTES).to_owned();
                let _ = session.apply(Event::Noted { text, at: now });
            }
            self.answer(&mut session, &mut now);
            self.go_on(&mut session, &mut now, agent);
        }
        now += think(self.rng, 20_000.0, 1.0);
        end(&mut session, EndCause::HungUp, "caller hung up", now);
        Some(session.log().to_vec())
    }

    /// Answers the fields asked here that have no value yet: every required one, most
    /// optional ones.
    fn answer(&mut self, session: &mut Session<&'p Project>, now: &mut Millis) {
        let project = self.project;
        let node = project.node(session.state().node);
        let tree = project.tree(node.tree);
        for (slot, _) in &node.asks {
            if session.state().values[slot.index()].is_set() {
                continue;
            }
            let Some(variable) = tree.variable(*slot) else {
                continue;
            };
            if !variable.required && !self.chance(ANSWERS_OPTIONAL) {
                continue;
            }
            let values = self
                .answers
                .0
                .entry((node.tree, *slot))
                .or_insert_with(|| invented_answers(project, node.tree, variable));
            if values.is_empty() {
                continue;
            }
            // Choices are listed the common case first, like options; other invented values
            // (the numbers either side of a threshold) are equally likely.
            let pick = if matches!(variable.ty, Type::Choice(_)) {
                earlier_likelier(self.rng, values.len())
            } else {
                self.rng.below(values.len())
            };
            let value = values[pick].clone();
            *now += think(self.rng, 6_000.0, 0.6);
            // An answer the session refuses is simply not given; the step then escalates.
            let _ = session.apply(Event::Answered {
                field: variable.name.clone(),
                value,
                at: *now,
            });
        }
    }

    /// Takes a way out of the current step: an option (the first ones likelier), Continue, or
    /// now and then a skip. A step that cannot be left is escalated.
    fn go_on(&mut self, session: &mut Session<&'p Project>, now: &mut Millis, agent: bool) {
        let (median, sigma) = if agent {
            (12_000.0, 0.9)
        } else {
            (15_000.0, 1.0)
        };
        *now += think(self.rng, median, sigma);
        let at = *now;
        let event = match &self.project.node(session.state().node).exit {
            Exit::Options(_) => {
                let enabled: Vec<u16> = session.enabled_options().collect();
                let pick = earlier_likelier(self.rng, enabled.len());
                enabled
                    .get(pick)
                    .and_then(|index| session.choice(*index, at))
            }
            Exit::Continue(_) | Exit::Call { .. } | Exit::Return => {
                if self.chance(SKIPS) {
                    let reason = self.pick(SKIP_REASONS).to_owned();
                    Some(Event::Skipped { reason, at })
                } else {
                    Some(Event::Continued { at })
                }
            }
            Exit::Route { .. } | Exit::End(_) | Exit::None => None,
        };
        let moved = event.is_some_and(|event| session.apply(event).is_ok());
        if !moved {
            escalate(session, "issue not covered by the script", at);
        }
    }
}

fn escalate(session: &mut Session<&Project>, reason: &str, at: Millis) {
    // Escalating is refused only once a call has ended, and then there is nothing to do.
    let _ = session.apply(Event::Escalated {
        reason: reason.to_owned(),
        at,
    });
}

fn end(session: &mut Session<&Project>, cause: EndCause, reason: &str, at: Millis) {
    let _ = session.apply(Event::Ended {
        cause,
        reason: reason.to_owned(),
        at,
    });
}

/// A position below `len`, each about 0.6 times as likely as the one before it (0 when
/// `len` is 0): the first of two is chosen about 60% of the time, of four about 45%.
fn earlier_likelier(rng: &mut Rng, len: usize) -> usize {
    const WEIGHTS: [u64; 10] = [100, 60, 36, 22, 13, 8, 5, 3, 2, 1];
    let weight = |i: usize| WEIGHTS.get(i).copied().unwrap_or(1);
    let total: u64 = (0..len).map(weight).sum();
    let mut roll = rng.next_u64() % total.max(1);
    for i in 0..len {
        if roll < weight(i) {
            return i;
        }
        roll -= weight(i);
    }
    0
}

/// A number in `low..high`.
fn millis(rng: &mut Rng, low: Millis, high: Millis) -> Millis {
    let width = usize::try_from(high - low).unwrap_or(1);
    low + Millis::try_from(rng.below(width)).unwrap_or(0)
}

/// A think time in milliseconds, log-normal around `median`, kept between half a second and
/// twenty minutes. The normal draw is the sum of four uniform ones, scaled to variance 1.
fn think(rng: &mut Rng, median: f64, sigma: f64) -> Millis {
    let uniform = |rng: &mut Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let sum: f64 = (0..4).map(|_| uniform(rng)).sum();
    let normal = (sum - 2.0) * 3f64.sqrt();
    let ms = median * (sigma * normal).exp();
    ms.clamp(500.0, 1_200_000.0) as Millis
}
