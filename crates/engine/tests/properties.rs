//! Property tests: whatever events arrive, a session applies them or refuses them, never
//! panics, never half-applies one, and its stored log always replays to the same state.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

mod support;

use calltree_engine::{Event, Exit, Project, Session};
use calltree_syntax::Audience;
use proptest::prelude::*;

/// The number of cases: `PROPTEST_CASES` when set (for a longer campaign), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Loaded once: the property is about sessions, not loading.
fn project() -> &'static Project {
    static PROJECT: std::sync::OnceLock<Project> = std::sync::OnceLock::new();
    PROJECT.get_or_init(|| {
        support::bundled(&[
            "internet_down",
            "billing_dispute",
            "identity_check",
            "closing",
        ])
    })
}

/// An event in the abstract: turned into a concrete event against the session's current step,
/// so that a fair share of them are valid.
#[derive(Debug, Clone)]
enum Action {
    Answer { field: usize, value: usize },
    Choose { option: u16, real_label: bool },
    Continue,
    Note,
    Skip,
    Escalate,
    Back,
    End,
    Restart,
}

const VALUES: &[&str] = &[
    "",
    "12345678",
    "SW1A 1AA",
    "yes",
    "no",
    "3",
    "-1",
    "9999",
    "gig",
    "basic",
    "2026-02-30",
    "2026-11-23",
    "\u{0}",
    "   ",
    "x",
];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0usize..64, 0usize..VALUES.len()).prop_map(|(field, value)| Action::Answer { field, value }),
        8 => (0u16..8, prop::bool::weighted(0.9)).prop_map(|(option, real_label)| Action::Choose { option, real_label }),
        4 => Just(Action::Continue),
        1 => Just(Action::Note),
        1 => Just(Action::Skip),
        1 => Just(Action::Escalate),
        3 => Just(Action::Back),
        1 => Just(Action::End),
        1 => Just(Action::Restart),
    ]
}

fn concrete(session: &Session<&Project>, action: &Action, at: i64) -> Event {
    let project = session.project();
    let node = project.node(session.state().node);
    match action {
        Action::Answer { field, value } => {
            let asked: Vec<String> = node
                .asks
                .iter()
                .map(|(s, _)| project.slot_name(*s).to_owned())
                .collect();
            let field = if asked.is_empty() || *field >= 48 {
                // Sometimes a field that is not asked here, or does not exist.
                if *field % 2 == 0 {
                    "no_such_field".to_owned()
                } else {
                    "account".to_owned()
                }
            } else {
                asked[field % asked.len()].clone()
            };
            Event::Answered {
                field,
                value: VALUES[*value].to_owned(),
                at,
            }
        }
        Action::Choose { option, real_label } => {
            let label = match (&node.exit, real_label) {
                (Exit::Options(options), true) => options
                    .get(usize::from(*option) % options.len().max(1))
                    .map(|o| o.label.source.clone())
                    .unwrap_or_default(),
                _ => "Not an option".to_owned(),
            };
            let option = match &node.exit {
                Exit::Options(options) if *real_label => {
                    option % u16::try_from(options.len().max(1)).unwrap()
                }
                _ => *option,
            };
            Event::Chose { option, label, at }
        }
        Action::Continue => Event::Continued { at },
        Action::Note => Event::Noted {
            text: "note".into(),
            at,
        },
        Action::Skip => Event::Skipped {
            reason: "not needed".into(),
            at,
        },
        Action::Escalate => Event::Escalated {
            reason: "asked for a manager".into(),
            at,
        },
        Action::Back => Event::Back { at },
        Action::End => Event::Ended {
            reason: "line dropped".into(),
            cause: calltree_engine::EndCause::Dropped,
            at,
        },
        Action::Restart => Event::Started {
            tree: "internet_down".into(),
            version: "x".into(),
            audience: Audience::Agent,
            at,
            given: Vec::new(),
            locale: None,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn any_events_apply_or_are_refused_and_replay_matches(
        customer in any::<bool>(),
        tree in 0usize..3,
        actions in prop::collection::vec(action(), 0..80),
    ) {
        let project = project();
        let name = ["internet_down", "billing_dispute", "identity_check"][tree];
        let id = project.tree_by_name(name).unwrap();
        let audience = if customer && project.tree(id).serves(Audience::Customer) { Audience::Customer } else { Audience::Agent };
        let mut session = Session::start(project, id, audience, 0).unwrap();
        for (step, action) in actions.iter().enumerate() {
            let at = 1_000 * (step as i64 + 1);
            let event = concrete(&session, action, at);
            let before = session.state().clone();
            let log_length = session.log().len();
            if session.apply(event).is_err() {
                prop_assert_eq!(session.state(), &before, "a refused event changed the state");
                prop_assert_eq!(session.log().len(), log_length);
            }
            // Every screen can be drawn and summarised at every moment.
            let _ = session.view();
            let _ = session.summary().to_plain_text();
        }
        let stored: String = session.log().iter().map(|e| e.to_json_line() + "\n").collect();
        let events: Vec<Event> = stored
            .lines()
            .map(|line| Event::from_json_line(line).unwrap())
            .collect();
        let replayed = Session::resume(project, events).unwrap();
        prop_assert_eq!(replayed.state(), session.state());
    }
}
