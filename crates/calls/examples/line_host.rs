//! A whole calltree host in about a hundred lines: how a new host (a chat bot, a phone menu,
//! a kiosk) is written on the host kit. It plays a tree from text lines and keeps the call in
//! a JSON-lines log, with every rule about steps and storage coming from the kit.
//!
//! ```text
//! cargo run -p calltree-calls --example line_host -- trees/password_reset.tree call.jsonl
//! ```
//!
//! Each input line is one step: `field=value` answers (several, separated by ` & `), then
//! optionally `> N` to choose option N, `> continue`, `> back`, `> note TEXT`,
//! `> escalate REASON`. A line with only `> N` chooses without answering.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use calltree_calls::{Call, CallStore, CallsError, LogFile};
use calltree_engine::{Action, Project, SourceInput, Step, View};
use calltree_syntax::Audience;

/// Turns one input line into a step: the host's only job besides drawing.
pub fn step_of(line: &str, view: &View) -> Step {
    let (answers, action) = line.split_once('>').unwrap_or((line, ""));
    let answers = answers
        .split(" & ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(field, value)| (field.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let action = action.trim();
    let (word, rest) = action.split_once(' ').unwrap_or((action, ""));
    let action = match word {
        "" => None,
        "continue" => Some(Action::Continue),
        "back" => Some(Action::Back),
        "note" => Some(Action::Note(rest.to_owned())),
        "escalate" => Some(Action::Escalate(rest.to_owned())),
        key => key.parse::<u8>().ok().map(|key| {
            // Options are chosen by the number shown; the step names the option's position.
            let index = view
                .options
                .iter()
                .find(|o| o.key == Some(key))
                .map(|o| o.index);
            Action::Choose(index.unwrap_or(u16::MAX))
        }),
    };
    Step { answers, action }
}

/// Draws a step as text.
pub fn draw(view: &View, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "== {}", view.title)?;
    for text in &view.texts {
        writeln!(out, "{}", text.text)?;
    }
    for field in &view.fields {
        let value = field.value.as_deref().unwrap_or("");
        writeln!(out, "  [{}] {} = {value}", field.name, field.label)?;
    }
    for option in view.options.iter().filter(|o| o.enabled) {
        writeln!(out, "  {}. {}", option.key.unwrap_or(0), option.label)?;
    }
    Ok(())
}

/// Plays a call to its end (or the end of the input), recording each step through the kit.
pub fn play<S: CallStore>(
    call: &mut Call<S>,
    input: impl BufRead,
    out: &mut impl Write,
    clock: &mut impl FnMut() -> i64,
) -> Result<(), Box<dyn std::error::Error>> {
    draw(&call.view(), out)?;
    for line in input.lines() {
        let step = step_of(&line?, &call.view());
        match call.record(&step, clock()) {
            Ok(_) => draw(&call.view(), out)?,
            // Refused: nothing was stored; say why, beside each field.
            Err(CallsError::Refused(refusal)) => writeln!(out, "! {refusal}")?,
            // Not stored: the call is as it was, so the person can try again.
            Err(error) => writeln!(out, "! not saved: {error}")?,
        }
        if call.session().is_finished() {
            write!(out, "{}", call.summary().to_plain_text())?;
            break;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tree, log] = args.as_slice() else {
        return Err("usage: line_host TREE_FILE LOG_FILE".into());
    };
    let text = std::fs::read_to_string(tree)?;
    let project = Arc::new(Project::load(vec![SourceInput::new(tree.clone(), text)]));
    let (id, _) = project.trees().next().ok_or("the file has no tree")?;
    let store = LogFile::create(Path::new(log), false)?;
    let mut clock = calltree_calls::now;
    let mut call = Call::start(project, id, Audience::Customer, clock(), store)?;
    play(
        &mut call,
        std::io::stdin().lock(),
        &mut std::io::stdout(),
        &mut clock,
    )
}
