//! The HTML pages, rendered on the server with `maud`, which escapes every value it is
//! given: tree text and customers' answers can never become markup. Pages are plain forms
//! (no JavaScript), sized for phones, with labelled inputs and headings for screen readers.

use std::collections::HashMap;

use axum::response::Html;
use calltree_engine::{EndView, InputKind, OutcomeKind, TextRole, View};
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.5 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
a{color:#0b57d0}
.step{font-size:.9rem;color:#57606a;margin:0}
.say{font-size:1.15rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:0 0 1rem}
label,legend{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=date],textarea{width:100%;padding:.6rem;font:inherit;border:1px solid #8c959f;border-radius:.4rem}
fieldset{border:0;padding:0;margin:0}
fieldset label{font-weight:400;display:flex;gap:.5rem;align-items:center;margin:.3rem 0}
.error{color:#b42318;font-weight:600;margin:.25rem 0}
.notice{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;border-radius:.4rem}
button{font:inherit;cursor:pointer}
.option,.primary{display:block;width:100%;text-align:left;padding:.8rem 1rem;margin:.5rem 0;border-radius:.5rem;border:1px solid #0b57d0;background:#fff;color:#0b57d0;font-weight:600}
.primary{background:#0b57d0;color:#fff;text-align:center}
.option:disabled{border-color:#d0d7de;color:#8c959f;cursor:not-allowed}
.why{font-size:.85rem;color:#57606a;margin:-.25rem 0 .5rem}
.secondary{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
.secondary button{background:none;border:1px solid #8c959f;border-radius:.4rem;padding:.5rem .9rem;color:#1b1f24}
.code{font:700 1.8rem/1.2 ui-monospace,monospace;letter-spacing:.1em;background:#fff;border:2px dashed #0b57d0;padding:.75rem;text-align:center;border-radius:.5rem}
ul.trees{list-style:none;padding:0}
ul.trees li{margin:0 0 .75rem}
.tags{font-size:.85rem;color:#57606a}
";

fn page(title: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Help" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main { (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// A page that only says something: errors, refusals.
pub fn message_page(title: &str, message: &str) -> Html<String> {
    page(
        title,
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/" { "Back to the help topics" } }
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

pub fn home(topics: &[Topic], query: &str) -> Html<String> {
    page(
        "Help",
        html! {
            h1 { "How can we help?" }
            form method="get" action="/" role="search" {
                label for="q" { "Search the help topics" }
                input type="text" id="q" name="q" value=(query) maxlength="200";
                button type="submit" class="primary" { "Search" }
            }
            @if topics.is_empty() {
                p { "No help topic matches “" (query) "”." }
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
    pub errors: &'a HashMap<String, String>,
    pub message: Option<&'a str>,
}

fn field_input(field: &calltree_engine::FieldView, value: &str, error: Option<&String>) -> Markup {
    let id = format!("f_{}", field.name);
    let error_id = format!("e_{}", field.name);
    let described = error.map(|_| error_id.clone());
    let invalid = error.map(|_| "true");
    let radios = |choices: Vec<(String, String)>| {
        html! {
            fieldset aria-describedby=[described.clone()] {
                legend { (field.label) @if field.required { " (required)" } }
                @for (choice, label) in &choices {
                    label {
                        input type="radio" name=(field.name) value=(choice) checked[value == choice];
                        (label)
                    }
                }
            }
        }
    };
    let control = match &field.input {
        InputKind::Choice { values } => radios(
            values
                .iter()
                .map(|v| (v.value.clone(), v.label.clone()))
                .collect(),
        ),
        InputKind::YesNo => radios(vec![
            ("yes".to_owned(), "Yes".to_owned()),
            ("no".to_owned(), "No".to_owned()),
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
            label for=(id) { (field.label) @if field.required { " (required)" } }
            textarea id=(id) name=(field.name) rows="4" maxlength="2000"
                aria-describedby=[described.clone()] aria-invalid=[invalid] { (value) }
        },
        other => {
            let (kind, mode) = match other {
                InputKind::Date => ("date", None),
                InputKind::Number { .. } => ("text", Some("decimal")),
                _ => ("text", None),
            };
            html! {
                label for=(id) { (field.label) @if field.required { " (required)" } }
                input type=(kind) id=(id) name=(field.name) value=(value) maxlength="500"
                    inputmode=[mode] aria-describedby=[described.clone()] aria-invalid=[invalid];
            }
        }
    };
    html! {
        (control)
        @if let Some(error) = error {
            p class="error" id=(error_id) { (error) }
        }
    }
}

/// One step of a session, as a form.
pub fn step(view: &View, form: &StepForm<'_>) -> Html<String> {
    let step_number = view.breadcrumb.len().max(1);
    page(
        &view.title,
        html! {
            p class="step" { "Step " (step_number) " · " (form.tree_title) }
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
                p class="error" { "This step cannot go on: " (problem) }
            }
            form method="post" action={ "/s/" (form.session) } {
                input type="hidden" name="csrf" value=(form.csrf);
                input type="hidden" name="seq" value=(form.seq);
                @for field in &view.fields {
                    @let typed = form.typed.get(&field.name).cloned()
                        .or_else(|| field.value.clone()).unwrap_or_default();
                    (field_input(field, &typed, form.errors.get(&field.name)))
                }
                @if view.actions.go_on {
                    button type="submit" name="go" value="continue" class="primary" { "Continue" }
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
                        button type="submit" name="go" value="back" formnovalidate { "Back" }
                    }
                    button type="submit" name="go" value="person" formnovalidate { "Talk to a person" }
                }
            }
        },
    )
}

fn outcome_words(end: &EndView) -> String {
    match end.outcome {
        Some(OutcomeKind::Resolved) => "Solved. Glad we could help!".to_owned(),
        Some(OutcomeKind::Escalated) | Some(OutcomeKind::Transferred) => match &end.to {
            Some(team) => format!("We're passing this to our {team} team."),
            None => "We're passing this to a member of our team.".to_owned(),
        },
        Some(OutcomeKind::Callback) => "We'll call you back.".to_owned(),
        Some(OutcomeKind::Abandoned) | None => "This session has ended.".to_owned(),
    }
}

/// The last page: the outcome, and the handoff code when a person takes over.
pub fn end(view: &View, handoff: Option<&str>) -> Html<String> {
    let end = view.ended.clone().unwrap_or(EndView {
        outcome: None,
        to: None,
        code: None,
        reason: None,
        cause: None,
    });
    page(
        "Finished",
        html! {
            h1 { (outcome_words(&end)) }
            @for text in &view.texts {
                @if text.role == TextRole::Say {
                    p class="say" { (text.text) }
                }
            }
            @if let Some(code) = handoff {
                div class="card" {
                    p { "Your reference code is" }
                    p class="code" { (code) }
                    p { "Give this code to the agent who helps you: they will see everything you told us here, so you won't need to repeat yourself." }
                }
            }
            p { a href="/" { "Back to the help topics" } }
        },
    )
}
