//! The HTML pages, rendered on the server with `maud`, which escapes every value it is
//! given: tree text and customers' answers can never become markup. Pages are plain forms
//! (no JavaScript), sized for phones, with labelled inputs and headings for screen readers.
//!
//! They follow what people trust in good public-service forms: targets at least 44 px high
//! for a finger, every problem of a step at once in a summary at the top that links to each
//! field, the field itself marked (a red bar, `aria-invalid`, the message read with it), and
//! messages in sentences. Titles name the step and the tree.

use std::collections::HashMap;

use axum::response::Html;
use calltree_engine::{
    ANSWER_NEEDED, EndView, FieldView, InputKind, OutcomeKind, Purpose, StepLine, TextRole, View,
};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::language::{self, Language};

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.5 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
a{color:#0b57d0}
:focus-visible{outline:3px solid #f5b400;outline-offset:2px}
.step{font-size:.9rem;color:#57606a;margin:0}
.say{font-size:1.15rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:0 0 1rem}
.field{margin:0 0 1.5rem}
.field.invalid{border-inline-start:5px solid #b42318;padding-inline-start:.9rem}
label,legend{display:block;font-weight:600;margin:.75rem 0 .25rem}
.hint{color:#57606a;margin:0 0 .4rem}
input[type=text],input[type=email],input[type=tel],input[type=date],textarea{width:100%;min-height:2.75rem;padding:.6rem;font:inherit;border:2px solid #6e7781;border-radius:.4rem;background:#fff}
input.invalid,textarea.invalid{border-color:#b42318}
fieldset{border:0;padding:0;margin:0}
fieldset label{font-weight:400;display:flex;gap:.75rem;align-items:center;min-height:2.75rem;margin:.4rem 0;padding:.5rem .75rem;background:#fff;border:1px solid #d0d7de;border-radius:.5rem;cursor:pointer}
input[type=radio]{width:1.5rem;height:1.5rem;margin:0;flex:none;accent-color:#0b57d0}
.error-message{color:#b42318;font-weight:700;margin:.25rem 0 .4rem}
.error-summary{border:4px solid #b42318;background:#fff;padding:1rem 1.25rem;margin:0 0 1.5rem}
.error-summary h2{margin:0 0 .5rem}
.error-summary ul{margin:0;padding-inline-start:1.25rem}
.error-summary li{margin:.25rem 0}
.error-summary a{color:#b42318;font-weight:700}
.notice{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;border-radius:.4rem}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
button{font:inherit;cursor:pointer}
.option,.primary{display:block;width:100%;min-height:3rem;text-align:start;padding:.8rem 1rem;margin:.5rem 0;border-radius:.5rem;border:2px solid #0b57d0;background:#fff;color:#0b57d0;font-weight:600}
.primary{background:#0b57d0;color:#fff;text-align:center}
.option:disabled{border-color:#d0d7de;color:#6e7781;cursor:not-allowed}
.why{font-size:.85rem;color:#57606a;margin:-.25rem 0 .5rem}
.secondary{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
.secondary button{min-height:2.75rem;background:#fff;border:2px solid #6e7781;border-radius:.4rem;padding:.5rem 1rem;color:#1b1f24}
.code{font:700 1.8rem/1.2 ui-monospace,monospace;letter-spacing:.1em;background:#fff;border:2px dashed #0b57d0;padding:.75rem;text-align:center;border-radius:.5rem}
ul.trees{list-style:none;padding:0}
ul.trees li{margin:0 0 .75rem}
.tags{font-size:.85rem;color:#57606a}
nav.languages{font-size:.9rem;margin:0 0 1rem}
nav.languages a{margin-inline-end:.75rem}
.untranslated{font-size:.85rem;color:#57606a}
";

/// The style is written with logical properties only (`inline-start`, `text-align:start`),
/// so a right-to-left page mirrors: a field's error bar and the list indents go to the right.
/// A whole page in `lang`: `lang` and `dir` on the root, so screen readers pronounce it in
/// that language and right-to-left scripts are laid out as they are read.
fn page(lang: &Language, title: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.tag) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main { (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// "the tree's words" as a sentence: a capital first, a full stop last.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A page that only says something: errors, refusals.
pub fn message_page(title: &str, message: &str) -> Html<String> {
    message_page_in(&Language::source(), title, message)
}

/// A page that only says something, in `lang` (`title` and `message` already in it).
pub fn message_page_in(lang: &Language, title: &str, message: &str) -> Html<String> {
    page(
        lang,
        title,
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/" { (lang.t("Back to the help topics")) } }
        },
    )
}

/// A tree on the home page.
pub struct Topic {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

/// The home page in `lang`, with a switcher to each of the `offered` languages.
pub fn home(lang: &Language, offered: &[String], topics: &[Topic], query: &str) -> Html<String> {
    page(
        lang,
        lang.t("How can we help?"),
        html! {
            @if offered.len() > 1 {
                nav class="languages" aria-label=(lang.t("Language")) {
                    @for tag in offered {
                        @if tag.eq_ignore_ascii_case(&lang.tag) {
                            strong lang=(tag) aria-current="true" { (language::name(tag)) }
                            " "
                        } @else {
                            a href={ "/?lang=" (tag) } lang=(tag) hreflang=(tag) { (language::name(tag)) }
                        }
                    }
                }
            }
            h1 { (lang.t("How can we help?")) }
            form method="get" action="/" role="search" {
                label for="q" { (lang.t("Search the help topics")) }
                input type="text" id="q" name="q" value=(query) maxlength="200";
                button type="submit" class="primary" { (lang.t("Search")) }
            }
            @if topics.is_empty() {
                p { (lang.t("No help topic matches")) " “" (query) "”." }
            }
            ul class="trees" {
                @for topic in topics {
                    li class="card" {
                        form method="post" action={ "/start/" (topic.name) } {
                            button type="submit" class="option" { (topic.title) }
                        }
                        @if let Some(description) = &topic.description {
                            p { (description) }
                        }
                        @if !topic.tags.is_empty() {
                            p class="tags" { (topic.tags.join(", ")) }
                        }
                    }
                }
            }
        },
    )
}

/// What the step page needs besides the view.
pub struct StepForm<'a> {
    pub session: &'a str,
    pub tree_title: &'a str,
    pub csrf: &'a str,
    /// How many events the session had when the page was drawn.
    pub seq: usize,
    pub typed: &'a HashMap<String, String>,
    /// Refused answers by field name.
    pub errors: &'a HashMap<String, String>,
    /// Something to know that is not a problem (the page was out of date).
    pub message: Option<&'a str>,
    /// Why the step as a whole was refused, when it was not an answer's fault.
    pub problem: Option<&'a str>,
}

/// The id of a field's input: what the error summary links to. A group of radio buttons is
/// linked to by its first button.
fn input_id(field: &FieldView) -> String {
    format!("f_{}", field.name)
}

/// How a text field is typed: the input's type, its `inputmode` and its `autocomplete`.
fn text_input(field: &FieldView) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match (&field.input, field.purpose) {
        (InputKind::Date, _) => ("date", None, None),
        (InputKind::Number { .. }, _) => ("text", Some("decimal"), None),
        (_, Some(Purpose::Email)) => ("email", None, Some("email")),
        (_, Some(Purpose::Phone)) => ("tel", None, Some("tel")),
        (_, Some(Purpose::Digits)) => ("text", Some("numeric"), None),
        _ => ("text", None, None),
    }
}

/// A refused answer in the page's words: a missing answer says what to do with this kind of
/// input, the rest as the tree and the engine put it.
fn problem(lang: &Language, field: &FieldView, message: &str) -> String {
    if message != ANSWER_NEEDED {
        return message.to_owned();
    }
    match field.input {
        InputKind::Choice { .. } | InputKind::YesNo | InputKind::Rating { .. } => {
            lang.t("choose one of the answers").to_owned()
        }
        InputKind::Checklist { .. } => lang.t("tick at least one of the answers").to_owned(),
        _ => lang.t("please fill this in").to_owned(),
    }
}

fn field_input(lang: &Language, field: &FieldView, value: &str, error: Option<&String>) -> Markup {
    let error = error.map(|message| problem(lang, field, message));
    let error = error.as_ref();
    let id = input_id(field);
    let hint_id = format!("h_{}", field.name);
    let error_id = format!("e_{}", field.name);
    let hint = field
        .hint
        .as_ref()
        .map(|words| sentence(&format!("{}{words}", lang.t("enter "))));
    // What a screen reader reads with the input: the hint, then the problem.
    let described: Vec<&str> = [
        hint.as_ref().map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = error.map(|_| "true");
    let class = error.map(|_| "invalid");
    let required = html! { @if field.required { (lang.t(" (required)")) } };
    let notes = html! {
        @if let Some(hint) = &hint {
            p class="hint" id=(hint_id) { (hint) }
        }
        @if let Some(error) = error {
            p class="error-message" id=(error_id) {
                span class="vh" { (lang.t("Error: ")) } (sentence(error))
            }
        }
    };
    let radios = |choices: Vec<(String, String)>| {
        html! {
            fieldset aria-describedby=[described.clone()] {
                legend { (field.label) (required) }
                (notes)
                @for (index, (choice, label)) in choices.iter().enumerate() {
                    @let radio_id = if index == 0 { id.clone() } else { format!("{id}_{index}") };
                    label for=(radio_id) {
                        input type="radio" name=(field.name) value=(choice) id=(radio_id)
                            checked[value == choice] aria-invalid=[invalid];
                        (label)
                    }
                }
            }
        }
    };
    let control = match &field.input {
        // Checkboxes share the field's name; the hidden empty one comes first so a form with
        // nothing ticked still answers the field (and can untick a previous answer).
        InputKind::Checklist { values } => {
            let ticked: Vec<&str> = value.split(',').map(str::trim).collect();
            html! {
                fieldset aria-describedby=[described.clone()] {
                    legend { (field.label) (required) }
                    (notes)
                    input type="hidden" name=(field.name) value="";
                    @for (index, choice) in values.iter().enumerate() {
                        @let box_id = if index == 0 { id.clone() } else { format!("{id}_{index}") };
                        label for=(box_id) {
                            input type="checkbox" name=(field.name) value=(choice.value) id=(box_id)
                                checked[ticked.contains(&choice.value.as_str())]
                                aria-invalid=[invalid];
                            (choice.label)
                        }
                    }
                }
            }
        }
        InputKind::Choice { values } => radios(
            values
                .iter()
                .map(|v| (v.value.clone(), v.label.clone()))
                .collect(),
        ),
        InputKind::YesNo => radios(vec![
            ("yes".to_owned(), lang.t("Yes").to_owned()),
            ("no".to_owned(), lang.t("No").to_owned()),
        ]),
        InputKind::Rating { min, max } => {
            let low = *min as i64;
            let high = *max as i64;
            radios(
                (low..=high.min(low + 20))
                    .map(|n| (n.to_string(), n.to_string()))
                    .collect(),
            )
        }
        InputKind::Comment => html! {
            label for=(id) { (field.label) (required) }
            (notes)
            textarea id=(id) name=(field.name) rows="4" maxlength=(field.max_chars)
                class=[class] aria-describedby=[described.clone()] aria-invalid=[invalid] { (value) }
        },
        _ => {
            let (kind, mode, autocomplete) = text_input(field);
            html! {
                label for=(id) { (field.label) (required) }
                (notes)
                input type=(kind) id=(id) name=(field.name) value=(value)
                    maxlength=(field.max_chars) inputmode=[mode] autocomplete=[autocomplete]
                    spellcheck=[autocomplete.map(|_| "false")]
                    class=[class] aria-describedby=[described.clone()] aria-invalid=[invalid];
            }
        }
    };
    html! {
        div class={ "field" @if error.is_some() { " invalid" } } { (control) }
    }
}

/// Every problem of the step, at the top, each linked to its field.
fn error_summary(lang: &Language, view: &View, form: &StepForm<'_>) -> Markup {
    let fields: Vec<(&FieldView, &String)> = view
        .fields
        .iter()
        .filter_map(|field| form.errors.get(&field.name).map(|error| (field, error)))
        .collect();
    if fields.is_empty() && form.problem.is_none() {
        return html! {};
    }
    html! {
        div class="error-summary" role="alert" aria-labelledby="error-summary-title"
            tabindex="-1" autofocus {
            h2 id="error-summary-title" { (lang.t("There is a problem")) }
            ul {
                @if let Some(problem) = form.problem {
                    li { (sentence(problem)) }
                }
                @for (field, error) in &fields {
                    li { a href={ "#" (input_id(field)) } { (field.label) ": " (problem(lang, field, error)) } }
                }
            }
        }
    }
}

/// One step of a session, as a form.
pub fn step(lang: &Language, view: &View, form: &StepForm<'_>) -> Html<String> {
    let step_number = view.breadcrumb.len().max(1);
    let failed = !form.errors.is_empty() || form.problem.is_some();
    // A step named like its tree (often the first) is named once.
    let place = if view.title == form.tree_title {
        view.title.clone()
    } else {
        format!("{} · {}", view.title, form.tree_title)
    };
    let title = format!("{}{place}", if failed { lang.t("Error: ") } else { "" });
    page(
        lang,
        &title,
        html! {
            (error_summary(lang, view, form))
            p class="step" { (lang.t("Step")) " " (step_number) " · " (form.tree_title) }
            h1 { (view.title) }
            @if let Some(message) = form.message {
                p class="notice" role="status" { (message) }
            }
            @for text in &view.texts {
                @if text.role == TextRole::Say {
                    p class="say" { (text.text) }
                }
            }
            @if let Some(problem) = &view.stuck {
                p class="error-message" { (lang.t("This step cannot go on: ")) (problem) }
            }
            // The server checks every answer and says what is wrong, all at once: the
            // browser's own checks would stop at the first, in words of its own.
            form method="post" action={ "/s/" (form.session) } novalidate {
                input type="hidden" name="csrf" value=(form.csrf);
                input type="hidden" name="seq" value=(form.seq);
                @for field in &view.fields {
                    @let typed = form.typed.get(&field.name).cloned()
                        .or_else(|| field.value.clone()).unwrap_or_default();
                    (field_input(lang, field, &typed, form.errors.get(&field.name)))
                }
                @if view.actions.go_on {
                    button type="submit" name="go" value="continue" class="primary" { (lang.t("Continue")) }
                }
                @for option in &view.options {
                    button type="submit" name="choose" value=(option.index) class="option"
                        disabled[!option.enabled] { (option.label) }
                    @if let Some(reason) = &option.reason {
                        p class="why" { (reason) }
                    }
                }
                div class="secondary" {
                    @if view.actions.back {
                        button type="submit" name="go" value="back" { (lang.t("Back")) }
                    }
                    button type="submit" name="go" value="person" { (lang.t("Talk to a person")) }
                }
            }
        },
    )
}

/// What the end page needs besides the view.
pub struct EndPage<'a> {
    pub tree_title: &'a str,
    /// The handoff code, when a person takes over.
    pub handoff: Option<&'a str>,
    /// How to reach a person, in the words of whoever runs the server.
    pub contact: Option<&'a str>,
    /// The steps of the session with what the customer answered and chose at each.
    pub steps: &'a [StepLine],
}

/// The last page: the outcome, and when a person takes over, the code, what happens next
/// and how to reach them.
pub fn end(lang: &Language, view: &View, end_page: &EndPage<'_>) -> Html<String> {
    let end = view.ended.clone().unwrap_or(EndView {
        outcome: None,
        to: None,
        result: None,
        code: None,
        reason: None,
        cause: None,
    });
    let headline = headline(lang, &end);
    let callback = end.outcome == Some(OutcomeKind::Callback);
    page(
        lang,
        &format!("{headline} · {}", end_page.tree_title),
        html! {
            p class="step" { (end_page.tree_title) }
            h1 { (headline) }
            // The ending's own words; a step left early shows none of its own (the engine's
            // view leaves them out), so its instruction is never repeated here.
            @for text in &view.texts {
                @if text.role == TextRole::Say {
                    p class="say" { (text.text) }
                }
            }
            @if let Some(code) = end_page.handoff {
                div class="card" {
                    p { (lang.t("Your reference code is")) }
                    p class="code" { (code) }
                }
                h2 { (lang.t("What happens next")) }
                @if callback {
                    p { (lang.t("One of our team will call you back. They will have everything you told us here, so you won't need to repeat yourself. If you contact us first, give them this code.")) }
                } @else {
                    p { (lang.t("Contact us and give this code to the person who helps you. They will see everything you told us here, so you won't need to repeat yourself.")) }
                }
                p { (lang.t("Write the code down or keep this page open: you will need it.")) }
                h2 { (lang.t("How to reach a person")) }
                @match end_page.contact {
                    Some(contact) => p { (contact) },
                    None => p { (lang.t("Call or message us the way you usually do, and give the code above.")) },
                }
            }
            // What the customer answered and chose, step by step; steps where they did
            // neither (the ending itself, steps passed over) are left out.
            @let told: Vec<&StepLine> = end_page
                .steps
                .iter()
                .filter(|s| !s.answers.is_empty() || s.chose.is_some())
                .collect();
            @if !told.is_empty() {
                h2 { (lang.t("What you told us")) }
                ul {
                    @for step in told {
                        li { (step.to_line()) }
                    }
                }
            }
            p { a href="/" { (lang.t("Back to the help topics")) } }
        },
    )
}

/// What the end page says happened, in `lang`: the engine's sentence in English, and the
/// same in French with the team or service named.
fn headline(lang: &Language, end: &EndView) -> String {
    let english = calltree_engine::customer_outcome(end);
    if lang.ui == language::Ui::English {
        return english;
    }
    match (end.outcome, &end.to) {
        (Some(OutcomeKind::Escalated | OutcomeKind::Transferred), Some(team)) => {
            format!("Nous transmettons votre demande à notre équipe {team}.")
        }
        (Some(OutcomeKind::Referred), Some(service)) => {
            format!("Le bon interlocuteur pour cela est {service}.")
        }
        _ => language::translated(lang, &english),
    }
}

#[cfg(test)]
mod tests {
    use super::{STYLE, sentence};

    /// A physical side (`left`, `right`) in the style would not mirror on a right-to-left
    /// page; `inline-start` and `start` do.
    #[test]
    fn the_style_names_no_physical_side_so_right_to_left_pages_mirror() {
        for physical in ["left", "right"] {
            assert!(
                !STYLE.contains(physical),
                "the page style says `{physical}`; use the logical property"
            );
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("please keep this on one line"),
            "Please keep this on one line."
        );
        assert_eq!(sentence("Done!"), "Done!");
        assert_eq!(sentence(""), "");
    }
}
