//! How figures read, the same in every host: a share as a percentage, a duration in minutes
//! and seconds (reports, Insights and the call summary).

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

#[cfg(test)]
mod tests {
    use super::show_percent;

    #[test]
    fn shares_read_as_percentages_and_nothing_as_a_dash() {
        assert_eq!(show_percent(1, 3, 1), "33.3%");
        assert_eq!(show_percent(2, 3, 0), "67%");
        assert_eq!(show_percent(0, 0, 1), "—");
    }
}
