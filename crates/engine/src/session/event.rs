//! The events a call is made of, and their one-line JSON form: the durable record every host
//! keeps (call logs, the session database) and every report reads.

use calltree_syntax::Audience;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as the host's clock said when the event happened.
pub type Millis = i64;

/// One thing that happened during a call. Serialised as one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The call began on this tree, at this version, for this audience, with the values the
    /// host handed in for its `given` fields (none in logs written before there were any).
    Started {
        tree: String,
        version: String,
        audience: Audience,
        at: Millis,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        given: Vec<Given>,
        /// The language the call is shown in (a BCP 47 tag), when it is not the tree's own:
        /// the call keeps it, and whoever takes the call over sees which language the
        /// customer used. Absent in logs written before there were translations.
        /// Behind one thin pointer: every event is as large as `Started`, and walks keep
        /// many events.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locale: Option<Box<String>>,
    },
    /// A field asked at the current step was filled in (an empty value clears it).
    Answered {
        field: String,
        value: String,
        at: Millis,
    },
    /// An option of the current step was chosen: its position and its label.
    Chose {
        option: u16,
        label: String,
        at: Millis,
    },
    /// The single way forward was taken (Continue, entering a sub-tree, returning from one).
    Continued { at: Millis },
    /// The agent wrote a note.
    Noted { text: String, at: Millis },
    /// The current step was passed over without its answers, for a reason.
    Skipped { reason: String, at: Millis },
    /// The call was escalated from the current step, for a reason.
    Escalated { reason: String, at: Millis },
    /// The last step was undone.
    Back { at: Millis },
    /// The host ended the call before the tree did (the caller hung up, the line dropped,
    /// the page closed, the script was the wrong one).
    Ended {
        reason: String,
        /// Logs written before causes were kept have none: `Other`.
        #[serde(default, skip_serializing_if = "EndCause::is_other")]
        cause: EndCause,
        at: Millis,
    },
    /// An agent took over a customer's session (by its handoff code). From here the session
    /// is played as an agent. If it had finished (an escalation, the customer asking for a
    /// person, an ending of the tree), its last step is undone first, so the agent picks up
    /// where the customer last was, with every answer already there.
    TakenOver { at: Millis },
}

/// A value handed in when a call started, for a field the tree marks `given`: as typed, and
/// checked as an answer would be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Given {
    pub field: String,
    pub value: String,
}

/// Why a host ended a call before the tree did, for reports to count each apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
    /// A reason in words (and every ending logged before causes were kept).
    #[default]
    Other,
    /// The caller hung up.
    HungUp,
    /// The line dropped.
    Dropped,
    /// The script did not fit the call; the agent goes on with another one. Not an outcome
    /// of this tree: reports count it apart, never as an abandoned call.
    WrongScript,
}

impl EndCause {
    pub fn is_other(&self) -> bool {
        *self == EndCause::Other
    }

    /// The cause in words, as the reason of an ending that has no other.
    pub fn describe(self) -> &'static str {
        match self {
            EndCause::Other => "ended early",
            EndCause::HungUp => "the caller hung up",
            EndCause::Dropped => "the call dropped",
            EndCause::WrongScript => "wrong script",
        }
    }

    /// The cause as reports and JSON name it.
    pub fn name(self) -> &'static str {
        match self {
            EndCause::Other => "other",
            EndCause::HungUp => "hung_up",
            EndCause::Dropped => "dropped",
            EndCause::WrongScript => "wrong_script",
        }
    }
}

/// The names events are written under (`"event": "chose"`), every one of them: a reader
/// that meets another name knows the line was written by a newer calltree, not damaged.
pub const EVENT_NAMES: [&str; 10] = [
    "started",
    "answered",
    "chose",
    "continued",
    "noted",
    "skipped",
    "escalated",
    "back",
    "ended",
    "taken_over",
];

impl Event {
    pub fn at(&self) -> Millis {
        match self {
            Event::Started { at, .. }
            | Event::Answered { at, .. }
            | Event::Chose { at, .. }
            | Event::Continued { at }
            | Event::Noted { at, .. }
            | Event::Skipped { at, .. }
            | Event::Escalated { at, .. }
            | Event::Back { at }
            | Event::Ended { at, .. }
            | Event::TakenOver { at } => *at,
        }
    }

    /// The name the event is written under, one of [`EVENT_NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Event::Started { .. } => "started",
            Event::Answered { .. } => "answered",
            Event::Chose { .. } => "chose",
            Event::Continued { .. } => "continued",
            Event::Noted { .. } => "noted",
            Event::Skipped { .. } => "skipped",
            Event::Escalated { .. } => "escalated",
            Event::Back { .. } => "back",
            Event::Ended { .. } => "ended",
            Event::TakenOver { .. } => "taken_over",
        }
    }

    /// Steps that `Back` undoes: the ones that moved the call.
    pub(crate) fn moves(&self) -> bool {
        matches!(
            self,
            Event::Chose { .. }
                | Event::Continued { .. }
                | Event::Skipped { .. }
                | Event::Escalated { .. }
                | Event::Ended { .. }
        )
    }

    /// Whether storing this event may undo an ending (a summary marked finished is stale
    /// after it).
    pub fn reopens(&self) -> bool {
        matches!(self, Event::Back { .. } | Event::TakenOver { .. })
    }

    /// The event as one line of a JSON-lines log, without the line break.
    pub fn to_json_line(&self) -> String {
        // Serialising this enum cannot fail: it has no maps with non-string keys.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads one event written by [`Event::to_json_line`].
    pub fn from_json_line(line: &str) -> Result<Event, serde_json::Error> {
        serde_json::from_str(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_is_listed_and_is_what_json_says() {
        let events = [
            Event::Started {
                tree: "t".into(),
                version: "v".into(),
                audience: Audience::Agent,
                at: 1,
                given: Vec::new(),
                locale: None,
            },
            Event::Answered {
                field: "f".into(),
                value: "x".into(),
                at: 1,
            },
            Event::Chose {
                option: 0,
                label: "l".into(),
                at: 1,
            },
            Event::Continued { at: 1 },
            Event::Noted {
                text: "n".into(),
                at: 1,
            },
            Event::Skipped {
                reason: "r".into(),
                at: 1,
            },
            Event::Escalated {
                reason: "r".into(),
                at: 1,
            },
            Event::Back { at: 1 },
            Event::Ended {
                reason: "r".into(),
                cause: EndCause::HungUp,
                at: 1,
            },
            Event::TakenOver { at: 1 },
        ];
        assert_eq!(events.len(), EVENT_NAMES.len());
        for (event, name) in events.iter().zip(EVENT_NAMES) {
            assert_eq!(event.name(), name);
            let json: serde_json::Value = serde_json::from_str(&event.to_json_line()).unwrap();
            assert_eq!(json["event"], name);
            assert_eq!(
                Event::from_json_line(&event.to_json_line()).unwrap(),
                *event
            );
        }
    }
}
