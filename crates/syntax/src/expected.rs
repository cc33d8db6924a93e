//! Turns a pest error into a diagnostic in plain words.
//!
//! pest knows which rules it tried at the furthest position it reached; this module names
//! them the way an author thinks ("a target node", "text in double quotes") and says what it
//! found instead, with a "did you mean" hint when a misspelt keyword is the likely cause.

use pest::error::{Error, ErrorVariant, InputLocation};

use crate::diagnostic::Diagnostic;
use crate::grammar::Rule;
use crate::{Span, codes};

/// Which entry rule a line was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Top,
    Body,
}

/// The words that start a block at the beginning of a line.
pub const BLOCK_KEYWORDS: &[&str] = &[
    "tree", "node", "feedback", "field", "flag", "test", "tests", "use", "setup",
];

/// The words that start an indented statement (the tree's properties among them, which are
/// written with a colon: `start: welcome`).
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "tags",
    "audience",
    "start",
    "version",
    "description",
    "escalation",
    "contact",
    "say",
    "agent",
    "customer",
    "note",
    "ask",
    "set",
    "option",
    "if",
    "else",
    "end",
    "call",
    "return",
    "rating",
    "comment",
    "as",
    "answer",
    "choose",
    "back",
    "skip",
    "escalate",
    "expect",
    "wait",
    "given",
];

const OUTCOME_WORDS: &[&str] = &[
    "resolved",
    "escalated",
    "callback",
    "transferred",
    "referred",
    "abandoned",
];

pub(crate) fn starts_with_block_keyword(content: &str) -> bool {
    let word = first_word(content);
    BLOCK_KEYWORDS.contains(&word)
}

/// Used when a line parsed but the converter could not read the pairs: a bug, reported
/// instead of panicking.
pub(crate) fn internal(span: Span) -> Diagnostic {
    Diagnostic::new(
        codes::SYNTAX_ERROR,
        span,
        "calltree could not read this line (an internal error; please report it)",
    )
}

pub(crate) fn describe(error: &Error<Rule>, line: &str, base: usize, kind: LineKind) -> Diagnostic {
    let position = match error.location {
        InputLocation::Pos(position) => position,
        InputLocation::Span((start, _)) => start,
    }
    .min(line.len());
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };

    if let Some(open) = unclosed_quote(line) {
        let end = line.trim_end().len();
        return Diagnostic::new(
            codes::UNCLOSED_TEXT,
            Span::new(base + open, base + end),
            "this text has no closing `\"`",
        )
        .with_hint("end the text with `\"` on the same line; write `\\\"` for a quote inside it");
    }

    if position == 0 {
        return first_word_problem(line, base, kind);
    }

    let found = token_at(line, position);
    let expected = expected_phrases(positives);
    let message = match (&found, expected.is_empty()) {
        (None, false) => match previous_token(line, position) {
            Some(previous) => format!("expected {} after `{previous}`", join_or(&expected)),
            None => format!("expected {}", join_or(&expected)),
        },
        (None, true) => "this line ends too early".to_owned(),
        (Some(found), false) => format!("expected {}, found `{found}`", join_or(&expected)),
        (Some(found), true) => format!("unexpected `{found}`"),
    };
    let span_end = position + found.as_ref().map_or(0, |f| f.len());
    let mut diagnostic = Diagnostic::new(
        codes::SYNTAX_ERROR,
        Span::new(base + position, base + span_end),
        message,
    );
    if let Some(found) = &found {
        if let Some(hint) = specific_hint(found, positives) {
            diagnostic = diagnostic.with_hint(hint);
        }
        let candidates: Vec<&str> = positives
            .iter()
            .flat_map(|r| keywords_of(*r).iter().copied().chain(keyword_rule(*r)))
            .collect();
        if let Some(suggestion) = nearest(found, &candidates) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{suggestion}`?"));
        } else if is_word(found)
            && positives
                .iter()
                .any(|r| matches!(r, Rule::template | Rule::plain | Rule::raw))
        {
            diagnostic =
                diagnostic.with_hint("text goes in double quotes, like \"Is the light on?\"");
        }
    }
    diagnostic
}

/// Hints for the mistakes authors make most, recognised by what was found where.
fn specific_hint(found: &str, positives: &[Rule]) -> Option<String> {
    let expects = |rule: Rule| positives.contains(&rule);
    if found == "=" && (expects(Rule::op_cmp) || expects(Rule::arrow)) {
        return Some("to compare two values write `==`".into());
    }
    if matches!(found, "<" | ">" | "!") && expects(Rule::arrow) {
        return Some(
            "comparisons do not chain; join two of them with `and`, like `a < b and b < c`".into(),
        );
    }
    if is_word(found) && expects(Rule::arrow) && !expects(Rule::op_cmp) {
        return Some(format!("to go to node `{found}`, write `-> {found}`"));
    }
    if expects(Rule::colon) {
        return Some(
            "a field is declared as `field name: type`, like `field account: text`".into(),
        );
    }
    None
}

/// The first word of the line is not something that can start this kind of line.
fn first_word_problem(line: &str, base: usize, kind: LineKind) -> Diagnostic {
    let word = first_word(line);
    let shown = if word.is_empty() {
        line.chars().next().map(String::from).unwrap_or_default()
    } else {
        word.to_owned()
    };
    let span = Span::new(base, base + shown.len());
    match kind {
        LineKind::Top if STATEMENT_KEYWORDS.contains(&word) || line.starts_with("->") => {
            let shown = if line.starts_with("->") { "->" } else { word };
            Diagnostic::new(
                codes::MISPLACED_STATEMENT,
                Span::new(base, base + shown.len()),
                format!("`{shown}` must be indented under the block it belongs to"),
            )
            .with_hint("indent it with two spaces under its `node`, `tree` or `test` line")
        }
        LineKind::Top => {
            let diagnostic = Diagnostic::new(
                codes::UNKNOWN_KEYWORD,
                span,
                format!("`{shown}` does not start a block"),
            );
            let diagnostic = match nearest(&shown, BLOCK_KEYWORDS) {
                Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
                None => diagnostic,
            };
            diagnostic.with_hint(
                "a block starts with `tree`, `node`, `feedback`, `field`, `flag`, `test`, `tests for` or `use`",
            )
        }
        LineKind::Body if BLOCK_KEYWORDS.contains(&word) => Diagnostic::new(
            codes::INDENTED_BLOCK,
            span,
            format!("`{word}` starts a new block, so it must not be indented"),
        )
        .with_hint(format!("remove the spaces before `{word}`")),
        LineKind::Body => {
            let diagnostic = Diagnostic::new(
                codes::UNKNOWN_KEYWORD,
                span,
                format!("`{shown}` does not start a statement"),
            );
            match nearest(&shown, STATEMENT_KEYWORDS) {
                Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_hint(
                    "a statement starts with a keyword such as `say`, `option`, `ask`, `set`, `->`, `if` or `end`",
                ),
            }
        }
    }
}

/// Where an unclosed quote opens, if the line has one (escapes and comments respected).
fn unclosed_quote(line: &str) -> Option<usize> {
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (open, escaped, c) {
            (Some(_), true, _) => escaped = false,
            (Some(_), false, '\\') => escaped = true,
            (Some(_), false, '"') => open = None,
            (None, _, '"') => open = Some(i),
            (None, _, '#') => return None,
            _ => {}
        }
    }
    open
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn is_word(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

fn first_word(line: &str) -> &str {
    let end = line
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(line.len(), |(i, _)| i);
    &line[..end]
}

/// The token that starts at `position`, or `None` at the end of the line or at a comment.
fn token_at(line: &str, position: usize) -> Option<String> {
    let rest = line.get(position..)?.trim_start_matches([' ', '\t']);
    let first = rest.chars().next()?;
    if first == '#' {
        return None;
    }
    let token: String = if first == '"' {
        let mut chars = rest.char_indices().skip(1);
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    chars.next();
                }
                Some((i, '"')) => break i + 1,
                Some(_) => {}
                None => break rest.len(),
            }
        };
        rest[..end].to_owned()
    } else if is_word_char(first) {
        rest.chars().take_while(|c| is_word_char(*c)).collect()
    } else {
        first.to_string()
    };
    Some(shorten(&token))
}

/// The token just before `position`, to say where something is missing.
fn previous_token(line: &str, position: usize) -> Option<String> {
    let before = line.get(..position)?.trim_end();
    let last = before.chars().last()?;
    let token: String = if last == '"' {
        // Walk back to the opening quote of this text.
        let bytes = before.as_bytes();
        let mut start = before.len() - 1;
        while start > 0 {
            start -= 1;
            if bytes[start] == b'"' && (start == 0 || bytes[start - 1] != b'\\') {
                break;
            }
        }
        before[start..].to_owned()
    } else if is_word_char(last) {
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !is_word_char(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        before[start..].to_owned()
    } else {
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace() || c.is_alphanumeric() || *c == '_' || *c == '"')
            .map_or(0, |(i, c)| i + c.len_utf8());
        before[start..].to_owned()
    };
    Some(shorten(&token))
}

/// Long texts are cut in messages; the span still points at the whole thing.
fn shorten(token: &str) -> String {
    const LIMIT: usize = 30;
    if token.chars().count() <= LIMIT {
        token.to_owned()
    } else {
        let mut short: String = token.chars().take(LIMIT).collect();
        short.push('…');
        short
    }
}

/// Plain-word names for the rules pest reports, in the order pest tried them, without repeats.
fn expected_phrases(positives: &[Rule]) -> Vec<String> {
    let mut phrases: Vec<String> = Vec::new();
    for rule in positives {
        let phrase = match phrase(*rule) {
            Some(phrase) => phrase.to_owned(),
            None => match keyword_rule(*rule) {
                Some(word) => format!("`{word}`"),
                None => continue,
            },
        };
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    // `(` is only ever the start of a function call here; it is noise next to anything else.
    if phrases.len() > 1 {
        phrases.retain(|p| p != "`(`");
    }
    // "the end of the line" reads best last.
    if let Some(index) = phrases.iter().position(|p| p == END_OF_LINE) {
        let end = phrases.remove(index);
        phrases.push(end);
    }
    phrases
}

const END_OF_LINE: &str = "the end of the line";

fn phrase(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => END_OF_LINE,
        Rule::tree_name => "a tree name",
        Rule::node_name => "a node name",
        Rule::var_name => "a field name",
        Rule::target => "a target node",
        Rule::func_name | Rule::ident => "a name",
        Rule::choice_value | Rule::choice_item => "a choice value",
        Rule::tag => "a tag",
        Rule::audience => "`agent` or `customer`",
        Rule::locale_tag => "a language tag like `fr` or `pt-BR`",
        Rule::template | Rule::plain => "text in double quotes",
        Rule::raw => "a pattern in double quotes",
        Rule::pattern_about => "what the pattern accepts, in double quotes",
        Rule::quote => "a closing `\"`",
        Rule::close_brace => "`}` to close the field name",
        Rule::number | Rule::signed_number => "a number",
        Rule::range_bounds => "a range like `1..5`",
        Rule::yes_no => "`yes` or `no`",
        Rule::literal => "a value",
        Rule::field_type
        | Rule::ty_text
        | Rule::ty_number
        | Rule::ty_yesno
        | Rule::ty_date
        | Rule::ty_choice
        | Rule::ty_choices => {
            "a field type (`text`, `number`, `yesno`, `date`, `choice(...)` or `choices(...)`)"
        }
        Rule::field_label => "a label in double quotes",
        Rule::default => "`= default`",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::compare
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::paren
        | Rule::call_expr
        | Rule::name_ref
        | Rule::op_neg
        | Rule::op_not => "a value or condition",
        Rule::op_or | Rule::op_and | Rule::op_cmp | Rule::op_add | Rule::op_mul => "an operator",
        Rule::outcome
        | Rule::resolved
        | Rule::escalated
        | Rule::callback
        | Rule::transferred
        | Rule::referred
        | Rule::abandoned => {
            "an outcome (`resolved`, `escalated \"team\"`, `callback`, `transferred \"queue\"`, `referred \"service\"` or `abandoned`)"
        }
        Rule::outcome_result => "`result \"...\"`",
        Rule::placeholder_expr => "a field name or an expression between `{` and `}`",
        Rule::outcome_code => "`code \"...\"`",
        Rule::time_unit => "`seconds`, `minutes` or `hours`",
        Rule::effects => "`set` and what choosing the option changes",
        Rule::effect => "a field or flag to set",
        Rule::expect_end
        | Rule::expect_node
        | Rule::expect_field
        | Rule::expect_text
        | Rule::expect_option
        | Rule::expect_no_option => {
            "`end`, `node`, `field`, `text contains`, `option` or `no option`"
        }
        Rule::arrow => "`->`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::dots => "`..`",
        Rule::open_paren => "`(`",
        Rule::close_paren => "`)`",
        Rule::comma => "`,`",
        _ => return None,
    })
}

/// The word a keyword rule matches.
fn keyword_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::k_tree => "tree",
        Rule::k_tests => "tests",
        Rule::k_for => "for",
        Rule::k_use => "use",
        Rule::k_field => "field",
        Rule::k_flag => "flag",
        Rule::k_node => "node",
        Rule::k_feedback => "feedback",
        Rule::k_test => "test",
        Rule::k_setup => "setup",
        Rule::k_no => "no",
        Rule::k_disabled => "disabled",
        Rule::k_wait => "wait",
        Rule::k_given => "given",
        Rule::k_tags => "tags",
        Rule::k_audience => "audience",
        Rule::k_locale => "locale",
        Rule::k_start => "start",
        Rule::k_version => "version",
        Rule::k_description => "description",
        Rule::k_escalation => "escalation",
        Rule::k_contact => "contact",
        Rule::k_say => "say",
        Rule::k_agent => "agent",
        Rule::k_customer => "customer",
        Rule::k_note => "note",
        Rule::k_ask => "ask",
        Rule::k_set => "set",
        Rule::k_option => "option",
        Rule::k_when => "when",
        Rule::k_if => "if",
        Rule::k_else => "else",
        Rule::k_end => "end",
        Rule::k_call => "call",
        Rule::k_return => "return",
        Rule::k_code => "code",
        Rule::k_rating => "rating",
        Rule::k_comment => "comment",
        Rule::k_as => "as",
        Rule::k_answer => "answer",
        Rule::k_choose => "choose",
        Rule::k_back => "back",
        Rule::k_skip => "skip",
        Rule::k_escalate => "escalate",
        Rule::k_expect => "expect",
        Rule::k_text => "text",
        Rule::k_contains => "contains",
        Rule::k_pattern => "pattern",
        Rule::k_range => "range",
        Rule::k_choice => "choice",
        Rule::k_choices => "choices",
        Rule::k_escalated => "escalated",
        Rule::k_transferred => "transferred",
        Rule::k_referred => "referred",
        Rule::k_result => "result",
        Rule::required => "required",
        Rule::given => "given",
        Rule::agent_only => "agent-only",
        Rule::customer_only => "customer-only",
        Rule::resolved => "resolved",
        Rule::callback => "callback",
        Rule::abandoned => "abandoned",
        Rule::ty_text => "text",
        Rule::ty_number => "number",
        Rule::ty_yesno => "yesno",
        Rule::ty_date => "date",
        _ => return None,
    })
}

/// Keywords a rule stands for, as candidates for "did you mean".
fn keywords_of(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::outcome
        | Rule::resolved
        | Rule::escalated
        | Rule::callback
        | Rule::transferred
        | Rule::referred
        | Rule::abandoned => OUTCOME_WORDS,
        Rule::field_type | Rule::ty_text | Rule::ty_number | Rule::ty_yesno | Rule::ty_date => {
            &["text", "number", "yesno", "date", "choice", "choices"]
        }
        Rule::audience => &["agent", "customer"],
        Rule::yes_no => &["yes", "no"],
        Rule::expect_end
        | Rule::expect_node
        | Rule::expect_field
        | Rule::expect_text
        | Rule::expect_option
        | Rule::expect_no_option => &["end", "node", "field", "text", "option", "no"],
        _ => &[],
    }
}

fn join_or(phrases: &[String]) -> String {
    match phrases {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The closest candidate within a small edit distance, for "did you mean" hints. Every stage
/// that suggests a name uses this one, so suggestions behave the same everywhere.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = match word.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    let length = word.chars().count();
    candidates
        .iter()
        // Lengths further apart than the limit cannot be within it: skip the full comparison,
        // which matters when a big tree offers thousands of names.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .map(|candidate| (edit_distance(&word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= limit && *candidate != word)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters, with adjacent swaps counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for (i, row) in table.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("say", "sya"), 1);
        assert_eq!(edit_distance("node", "nod"), 1);
        assert_eq!(edit_distance("option", "opton"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn nearest_ignores_far_words() {
        assert_eq!(nearest("nod", BLOCK_KEYWORDS), Some("node"));
        assert_eq!(nearest("banana", BLOCK_KEYWORDS), None);
    }

    #[test]
    fn unclosed_quote_respects_escapes_and_comments() {
        assert_eq!(unclosed_quote(r#"say "a \" b"#), Some(4));
        assert_eq!(unclosed_quote(r#"say "a \" b""#), None);
        assert_eq!(unclosed_quote(r#"say "x" # it's "fine"#), None);
    }
}
