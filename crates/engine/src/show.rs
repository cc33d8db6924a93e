//! How figures and people's words read, the same in every host: a share as a percentage, a
//! duration in minutes and seconds (reports, Insights and the call summary), and text people
//! typed made safe to print ([`show_line`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// How a call's end reads to the customer whose session it was: the outcome in their words,
/// never the agent's summary or notes (the self-service end page and `calltree run --as
/// customer` alike).
pub fn customer_outcome(end: &crate::EndView) -> String {
    use crate::OutcomeKind;
    match end.outcome {
        Some(OutcomeKind::Resolved) => "Solved. Glad we could help!".to_owned(),
        Some(OutcomeKind::Escalated | OutcomeKind::Transferred) => match &end.to {
            Some(team) => format!("We're passing this to our {team} team."),
            None => "We're passing this to a member of our team.".to_owned(),
        },
        Some(OutcomeKind::Callback) => "We'll call you back.".to_owned(),
        Some(OutcomeKind::Referred) => match &end.to {
            Some(service) => format!("The right place for this is {service}."),
            None => "The right place for this is another service.".to_owned(),
        },
        Some(OutcomeKind::Abandoned) | None => "This session has ended.".to_owned(),
    }
}

/// A duration: `41.0s` under a minute, `1m43s` from a minute on.
pub fn show_duration(millis: u64) -> String {
    if millis >= 60_000 {
        format!("{}m{:02}s", millis / 60_000, (millis / 1000) % 60)
    } else {
        format!("{:.1}s", millis as f64 / 1000.0)
    }
}

/// `count` out of `of` as a percentage with `decimals` decimals ("42.5%"), or "—" when there
/// is nothing to count: the CLI shows one decimal, the desktop's KPI cards none.
pub fn show_percent(count: u64, of: u64, decimals: usize) -> String {
    if of == 0 {
        return "—".to_owned();
    }
    format!("{:.decimals$}%", count as f64 * 100.0 / of as f64)
}

/// A count with its thousands grouped ("3,300"), as progress and report lines read it.
pub fn show_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Whether a character must not be part of what a person types: C0 and C1 control
/// characters (which a terminal acts on: ESC starts an escape sequence, BEL rings), line and
/// paragraph separators (which start a new line where a reader expects none), and the
/// invisible marks that reorder text (bidirectional overrides, embeddings, isolates and
/// marks). Each of them lets an answer look like something else when it is printed.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Whether a character breaks a line.
fn breaks_line(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What separates the lines of a text shown on one line.
pub const LINE_SEPARATOR: &str = " / ";

/// Text that people typed, made safe to show on one line in any host: each run of line
/// breaks becomes " / ", a tab a space, and every other hidden control character its code in
/// brackets ("[U+202E]"), so it can neither act on a terminal, nor start a line of its own
/// (a forged "Notes:" in a call summary), nor reorder what is around it. Text without such
/// characters comes back as it is, without a copy.
///
/// Answers given today cannot hold these characters (the step refuses them); this is for
/// what older logs hold, which still load and are shown through this.
pub fn show_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_break = false;
    for c in text.chars() {
        if breaks_line(c) {
            if !in_break {
                out.push_str(LINE_SEPARATOR);
                in_break = true;
            }
            continue;
        }
        in_break = false;
        if c == '\t' {
            out.push(' ');
        } else if is_hidden_control(c) {
            let _ = write!(out, "[U+{:04X}]", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::{show_count, show_line, show_percent};

    #[test]
    fn counts_read_with_their_thousands_grouped() {
        assert_eq!(show_count(0), "0");
        assert_eq!(show_count(999), "999");
        assert_eq!(show_count(1_200), "1,200");
        assert_eq!(show_count(3_300_000), "3,300,000");
    }

    #[test]
    fn shares_read_as_percentages_and_nothing_as_a_dash() {
        assert_eq!(show_percent(1, 3, 1), "33.3%");
        assert_eq!(show_percent(2, 3, 0), "67%");
        assert_eq!(show_percent(0, 0, 1), "—");
    }

    #[test]
    fn typed_text_shows_on_one_line_with_hidden_characters_named() {
        assert!(matches!(
            show_line("Jo Smith"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            show_line("jo@example.com\r\n\nNotes:\n- verified"),
            "jo@example.com / Notes: / - verified"
        );
        assert_eq!(
            show_line("a\u{1b}]0;owned\u{7}b"),
            "a[U+001B]]0;owned[U+0007]b"
        );
        assert_eq!(show_line("abc\u{202E}fed"), "abc[U+202E]fed");
        assert_eq!(show_line("x\u{2028}y\ty"), "x / y y");
        assert_eq!(show_line("caf\u{e9} \u{a0}ok"), "caf\u{e9} \u{a0}ok");
    }
}
