//! `calltree run`: play a tree in the terminal, as an agent on a call or as a customer.
//!
//! The terminal is a host like the others: it shows the engine's `View`, turns what is typed
//! into a `Step`, and records it through the host kit, which stores every event (in the log
//! file, synced to disk, or in the session database) before the next prompt. So a crash or a
//! closed terminal loses nothing, and `--resume` continues from the log. Input comes from the
//! keyboard, from piped standard input, or from an answers file, which is how the command is
//! tested end to end.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use calltree_calls::{Call, CallStore, CallsError, LogFile, MemoryCalls, Versions, now, take_over};
use calltree_engine::{Action, InputKind, Project, Step, TextRole, TreeId, View, show_line};
use calltree_store::Store;
use calltree_syntax::Audience;

use crate::files;
use crate::output::{closed, say, sayln};
use crate::render::Style;

pub struct Options {
    /// The tree file; `None` when taking over a handed-off session, whose tree version
    /// comes from the database.
    pub file: Option<PathBuf>,
    pub audience: Audience,
    pub tree: Option<String>,
    pub log: Option<PathBuf>,
    /// Replace an existing `log` file.
    pub force: bool,
    pub resume: Option<PathBuf>,
    pub answers: Option<PathBuf>,
    /// A customer's handoff code and the self-service database it is in.
    pub handoff: Option<(String, PathBuf)>,
    /// Values handed in for the tree's `given` fields (`--set`).
    pub given: Vec<calltree_engine::Given>,
    /// The language to show the call in (`--locale`), a BCP 47 tag.
    pub locale: Option<String>,
}

/// What can be typed at a field prompt besides the answer, for who is using the tree.
fn field_help(view: &View) -> String {
    let mut commands = vec![":back"];
    if view.actions.skip {
        commands.push(":skip REASON");
    }
    if view.actions.escalate {
        commands.push(":escalate REASON");
    }
    if view.actions.note {
        commands.push(":note TEXT");
    }
    commands.push(":quit");
    format!("type the answer, or {}", commands.join(", "))
}

/// The file's tree with its project, by the hosts' one rule: the trees beside it and
/// everything reached through `use`. The file itself is the project's first file, under the
/// name it was given.
fn load_project(file: &Path) -> Result<Project> {
    Ok(files::load_project(&[file.to_path_buf()])?.project)
}

/// Where answers come from, and whether to echo them (so transcripts of piped runs read well).
struct Input {
    lines: Box<dyn BufRead>,
    echo: bool,
}

impl Input {
    fn line(&mut self, prompt: &str) -> Result<Option<String>> {
        say!("{prompt}");
        let mut line = String::new();
        if self.lines.read_line(&mut line)? == 0 {
            sayln!();
            return Ok(None);
        }
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        if self.echo {
            // What was typed goes back to a terminal: shown safe, as every answer is.
            sayln!("{}", show_line(&line));
        }
        Ok(Some(line))
    }
}

/// A call as the terminal plays it: stored in a log file, the session database, or (without
/// `--log`) only in memory.
type TerminalCall = Call<Box<dyn CallStore>>;

/// Takes over a customer's session by its handoff code: the session continues as an
/// agent's, from where the customer left it, on the version of the tree it started on.
fn take_over_by_code(code: &str, db: &Path) -> Result<TerminalCall> {
    let shown = calltree_store::shown_location(db);
    if !calltree_store::location_exists(db) {
        bail!("there is no session database at `{shown}`");
    }
    let store =
        Store::open(db).with_context(|| format!("cannot open the session database `{shown}`"))?;
    let versions = Versions::with_store(store.clone());
    let call = take_over(&store, &versions, code, now())?;
    let (id, session, store) = call.into_parts();
    Ok(Call::open(id, session, Box::new(store)))
}

pub fn run(options: &Options) -> Result<ExitCode> {
    if let Some((code, db)) = &options.handoff {
        let mut call = take_over_by_code(code, db)?;
        sayln!("Taking over the customer's session: every answer they gave is below.");
        // The agent works in the trees' own words; the customer may not have.
        if let Some(locale) = call.session().locale() {
            sayln!("The customer used the pages in `{locale}`: speak to them in that language.");
        }
        sayln!("{}", call.summary().to_plain_text());
        return play_with_input(&mut call, options);
    }
    let Some(file) = &options.file else {
        bail!("give the tree file to play, or --handoff CODE --db FILE");
    };
    let project = Arc::new(load_project(file)?);
    let own = calltree_engine::FileId::first();
    let errors: Vec<String> = project
        .diagnostics(own)
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    if !errors.is_empty() {
        bail!(
            "`{}` has {} error(s); run `calltree check {}` first (the first: {})",
            file.display(),
            errors.len(),
            file.display(),
            errors[0]
        );
    }

    let mut call = match &options.resume {
        Some(path) => resume(project, path, options)?,
        None if options.locale.is_some() => {
            let locale = options.locale.clone().unwrap_or_default();
            let project = in_locale(&project, &locale)?;
            let tree = chosen_tree(&project, options, file)?;
            Call::start_in_locale(
                project,
                tree,
                options.audience,
                now(),
                options.given.clone(),
                Some(locale),
                new_store(options)?,
            )?
        }
        None => {
            let tree = chosen_tree(&project, options, file)?;
            Call::start_with(
                project,
                tree,
                options.audience,
                now(),
                options.given.clone(),
                new_store(options)?,
            )?
        }
    };
    play_with_input(&mut call, options)
}

/// The tree `--tree` names, else the file's own.
fn chosen_tree(project: &Project, options: &Options, file: &Path) -> Result<TreeId> {
    let own = calltree_engine::FileId::first();
    match &options.tree {
        Some(name) => project
            .tree_by_name(name)
            .with_context(|| format!("there is no tree called `{name}` here")),
        None => project
            .trees()
            .find(|(_, t)| t.file == own)
            .map(|(id, _)| id)
            .with_context(|| format!("`{}` has no tree", file.display())),
    }
}

fn new_store(options: &Options) -> Result<Box<dyn CallStore>> {
    Ok(match &options.log {
        Some(path) => Box::new(LogFile::create(path, options.force)?),
        None => Box::new(MemoryCalls::new()),
    })
}

/// The project in `locale`, texts without a translation marked: the terminal is an
/// author's and an agent's view, where a fallback must show. Says so when the trees have
/// no translation into that language at all.
fn in_locale(project: &Project, locale: &str) -> Result<Arc<Project>> {
    if !calltree_engine::translation::is_bcp47(locale) {
        bail!("`{locale}` is not a BCP 47 language tag: use a tag like `fr`, `pt-BR` or `zh-Hant`");
    }
    let available = project.locales();
    if calltree_engine::translation::best_locale(&available, locale).is_none() {
        eprintln!(
            "warning: these trees have no `{locale}` translation (run `calltree translate extract --locale {locale}`); texts are shown in their own language, marked [untranslated]"
        );
    }
    Ok(Arc::new(project.in_locale(locale, true)))
}

fn play_with_input(call: &mut TerminalCall, options: &Options) -> Result<ExitCode> {
    let mut input = match &options.answers {
        Some(path) => Input {
            lines: Box::new(BufReader::new(File::open(path).with_context(|| {
                format!("cannot read the answers file `{}`", path.display())
            })?)),
            echo: true,
        },
        None => Input {
            echo: !std::io::stdin().is_terminal(),
            lines: Box::new(BufReader::new(std::io::stdin())),
        },
    };
    let style = Style::for_stdout();
    play(call, &mut input, style, options)
}

/// Continues the call in a log. A log cut short by a crash keeps its complete events (the
/// torn line is cut off the file first); a damaged log is refused and left as it is. With
/// `--log` the call continues in that file instead, holding the whole call.
fn resume(project: Arc<Project>, path: &Path, options: &Options) -> Result<TerminalCall> {
    // The kit's errors name the log and say what to do.
    let (log, events, torn) = LogFile::resume(path)?;
    if let Some(torn) = torn {
        eprintln!(
            "warning: `{}`: {}; continuing from the {} complete events before it",
            path.display(),
            torn.describe(),
            events.len()
        );
    }
    let store: Box<dyn CallStore> = match &options.log {
        Some(target) if target != path => {
            Box::new(LogFile::create_with(target, &events, options.force)?)
        }
        _ => Box::new(log),
    };
    let count = events.len();
    // The call goes on in the language it started in, unless --locale says otherwise.
    let started_in = match events.first() {
        Some(calltree_engine::Event::Started { locale, .. }) => locale.as_deref().cloned(),
        _ => None,
    };
    let project = match options.locale.clone().or(started_in) {
        Some(locale) => in_locale(&project, &locale)?,
        None => project,
    };
    let call = Call::resume(path.display().to_string(), project, events, store)
        .with_context(|| format!("cannot resume `{}`", path.display()))?;
    sayln!("Resuming the call from {count} events.");
    Ok(call)
}

/// What the person asked for at a prompt.
enum Command {
    Choose(usize),
    Continue,
    Back,
    Note(Option<String>),
    Skip(Option<String>),
    Escalate(Option<String>),
    Quit,
    Unknown(String),
}

fn parse_command(line: &str, long_only: bool) -> Option<Command> {
    let line = line.trim();
    let (word, rest) = line
        .split_once(' ')
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    let rest = (!rest.is_empty()).then(|| rest.to_owned());
    let command = match word {
        ":back" => Command::Back,
        ":note" => Command::Note(rest),
        ":skip" => Command::Skip(rest),
        ":escalate" => Command::Escalate(rest),
        ":quit" => Command::Quit,
        _ if long_only => return None,
        "" => Command::Continue,
        "b" => Command::Back,
        "n" => Command::Note(rest),
        "s" => Command::Skip(rest),
        "e" => Command::Escalate(rest),
        "q" => Command::Quit,
        number => match number.parse::<usize>() {
            Ok(n) => Command::Choose(n),
            Err(_) => Command::Unknown(line.to_owned()),
        },
    };
    Some(command)
}

/// The agent hears why the call skipped steps on its way here; a customer only sees where it
/// went.
fn announce_passed_over(call: &TerminalCall, view: &View, style: Style) {
    if call.session().state().audience != Audience::Agent {
        return;
    }
    for (title, because) in &view.passed_over {
        let line = format!("   passed over {title}: {because}");
        sayln!("{}", style.paint("2", &line));
    }
}

fn show(view: &View, style: Style) {
    sayln!();
    sayln!(
        "{}",
        style.paint("1", &format!("── {} ({})", view.title, view.tree))
    );
    for text in &view.texts {
        match text.role {
            TextRole::Say => sayln!("{}", text.text),
            TextRole::Agent => sayln!("  {} {}", style.paint("36", "agent:"), text.text),
        }
    }
}

/// The options, listed just before the choice prompt so that their availability reflects the
/// answers just given.
fn show_options(view: &View, style: Style) {
    if view.options.is_empty() {
        return;
    }
    for option in &view.options {
        let key = option
            .key
            .map_or_else(|| "  ".to_owned(), |k| format!("{k}."));
        match &option.reason {
            None => sayln!("  {key} {}", option.label),
            Some(reason) => sayln!(
                "  {} {}",
                style.paint("2", &format!("{key} {}", option.label)),
                style.paint("2", &format!("(not available: {reason})"))
            ),
        }
    }
}

/// The keys that do something at this step.
fn help(view: &View) -> String {
    let mut keys = Vec::new();
    if !view.options.is_empty() {
        keys.push("1-9 choose");
    }
    if view.actions.go_on {
        keys.push("Enter continue");
    }
    if view.actions.back {
        keys.push("b back");
    }
    if view.actions.note {
        keys.push("n note");
    }
    if view.actions.skip {
        keys.push("s skip");
    }
    if view.actions.escalate {
        // A customer asks for a person; an agent hands the call on.
        keys.push(if view.actions.note {
            "e escalate"
        } else {
            "e ask for a person"
        });
    }
    keys.push("q quit");
    format!("  {}", keys.join(" · "))
}

/// A checklist answered by the numbers in its prompt (`1, 3` or `1 3`) becomes the ticked
/// values' words; anything else (words, labels) goes to the engine as typed, to be read or
/// refused there.
fn checklist_answer(values: &[calltree_engine::ChoiceView], line: &str) -> String {
    let numbers: Option<Vec<&str>> = line
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let n = piece.parse::<usize>().ok()?;
            values.get(n.checked_sub(1)?).map(|v| v.value.as_str())
        })
        .collect();
    match numbers {
        Some(words) if !words.is_empty() => words.join(", "),
        _ => line.to_owned(),
    }
}

fn field_prompt(field: &calltree_engine::FieldView) -> String {
    let kind = match &field.input {
        // The pattern's words say what the text must be.
        InputKind::Text => field.hint.clone().unwrap_or_else(|| "text".to_owned()),
        InputKind::Number {
            min: Some(a),
            max: Some(b),
        } => format!("a number from {a} to {b}"),
        InputKind::Number { .. } => "a number".to_owned(),
        InputKind::YesNo => "yes or no".to_owned(),
        InputKind::Date => "a date like 2026-11-23".to_owned(),
        InputKind::Choice { values } => values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{}. {}", i + 1, v.label))
            .collect::<Vec<_>>()
            .join(" / "),
        InputKind::Checklist { values } => format!(
            "{}; numbers separated by commas or spaces",
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{}. {}", i + 1, v.label))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        InputKind::Rating { min, max } => format!("{min} to {max}"),
        InputKind::Comment => "a comment".to_owned(),
    };
    let optional = if let Some(value) = &field.value {
        format!(", Enter to keep \"{value}\"")
    } else if field.required {
        String::new()
    } else {
        ", Enter to leave blank".to_owned()
    };
    format!("{} ({kind}{optional}): ", field.label)
}

fn play(
    call: &mut TerminalCall,
    input: &mut Input,
    style: Style,
    options: &Options,
) -> Result<ExitCode> {
    // A step is shown once per arrival: the node and the length of the path so far, so that
    // reaching a node again, or going back to it, shows it again.
    let mut answered_here: Vec<String> = Vec::new();
    let mut arrival: Option<(String, usize)> = None;
    loop {
        if closed() {
            // Nobody reads the screen any more (a closed pipe): stop, the call is kept.
            return Ok(ExitCode::SUCCESS);
        }
        let view = call.view_at(now());
        if view.ended.is_some() {
            if !view.texts.is_empty() {
                announce_passed_over(call, &view, style);
                show(&view, style);
            }
            sayln!();
            if call.session().state().audience == Audience::Customer {
                // The summary is the agent's record, notes included: a customer sees how
                // their session ended, as on the self-service page.
                if let Some(end) = &view.ended {
                    sayln!("{}", calltree_engine::customer_outcome(end));
                }
            } else {
                say!("{}", call.summary().to_plain_text());
            }
            return Ok(ExitCode::SUCCESS);
        }
        let here = (view.node.clone(), call.session().state().path.len());
        if arrival.as_ref() != Some(&here) {
            arrival = Some(here);
            answered_here.clear();
            announce_passed_over(call, &view, style);
            show(&view, style);
        }
        if let Some(problem) = &view.stuck {
            eprintln!("error: the tree is broken at this step: {problem}");
            return Ok(ExitCode::from(1));
        }

        // Questions first, one prompt each, until every field of the step has had its turn.
        if let Some(field) = view
            .fields
            .iter()
            .find(|f| !answered_here.contains(&f.name))
        {
            let Some(line) = input.line(&field_prompt(field))? else {
                return Ok(paused(options, true));
            };
            if line.trim() == "?" {
                sayln!("  {}", field_help(&view));
                continue;
            }
            if let Some(command) = parse_command(&line, true) {
                if act(call, input, command, style)? {
                    return Ok(paused(options, false));
                }
                continue;
            }
            if line.trim().is_empty() && field.value.is_none() && field.required {
                // The terminal asks one field at a time, so it asks again at once rather
                // than when the step is left.
                sayln!(
                    "  {} {}: an answer is required",
                    style.paint("31", "!"),
                    field.label
                );
                continue;
            }
            // A choice can be answered by its number in the prompt; Enter keeps an answer
            // given before (after going back, or in a resumed call).
            let value = match (&field.input, line.trim().parse::<usize>()) {
                (InputKind::Choice { values }, Ok(n)) if (1..=values.len()).contains(&n) => {
                    values[n - 1].value.clone()
                }
                _ if line.trim().is_empty() => field.value.clone().unwrap_or_default(),
                (InputKind::Checklist { values }, _) => checklist_answer(values, &line),
                _ => line,
            };
            if record(call, &Step::answer(field.name.clone(), value), style) {
                answered_here.push(field.name.clone());
            }
            continue;
        }

        show_options(&view, style);
        sayln!("{}", style.paint("2", &help(&view)));
        let Some(line) = input.line("> ")? else {
            return Ok(paused(options, true));
        };
        let command = parse_command(&line, false).unwrap_or(Command::Unknown(line));
        if act(call, input, command, style)? {
            return Ok(paused(options, false));
        }
    }
}

fn paused(options: &Options, input_ended: bool) -> ExitCode {
    let log = options.log.as_ref().or(options.resume.as_ref());
    match (&options.handoff, &options.file, log) {
        (Some((code, db)), _, _) => sayln!(
            "The call is paused and saved. Continue it with: calltree run --handoff {code} --db {}",
            calltree_store::shown_location(db)
        ),
        (None, Some(file), Some(path)) => sayln!(
            "The call is paused. Continue it with: calltree run {} --resume {}",
            file.display(),
            path.display()
        ),
        _ => sayln!("The call is paused (run with --log FILE to be able to resume it)."),
    }
    if input_ended && !std::io::stdin().is_terminal() {
        // A script that ran out of answers before the call ended is a failure to report.
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Records a step through the host kit and says what went wrong, if anything. Returns
/// whether it was recorded.
fn record(call: &mut TerminalCall, step: &Step, style: Style) -> bool {
    let mark = style.paint("31", "!");
    match call.record(step, now()) {
        Ok(recorded) => {
            if let Some(warning) = recorded.warning {
                sayln!("  {mark} the call ended, but could not be marked finished: {warning}");
            }
            true
        }
        Err(CallsError::Refused(refusal)) => {
            sayln!("  {mark} {refusal}");
            false
        }
        Err(error) => {
            sayln!(
                "  {mark} not saved, so this step did not happen: {error}. Try again, or quit (q) and resume the call from its log."
            );
            false
        }
    }
}

/// Carries out a command. Returns `true` when the person asked to stop.
fn act(call: &mut TerminalCall, input: &mut Input, command: Command, style: Style) -> Result<bool> {
    let words = |input: &mut Input, given: Option<String>, what: &str| -> Result<String> {
        match given {
            Some(text) => Ok(text),
            None => Ok(input.line(&format!("{what}: "))?.unwrap_or_default()),
        }
    };
    let customer = call.session().state().audience == Audience::Customer;
    let action = match command {
        Command::Choose(number) => {
            let view = call.view_at(now());
            let Some(option) = view
                .options
                .iter()
                .find(|o| o.key.map(usize::from) == Some(number))
            else {
                sayln!("  ! there is no option {number} here");
                return Ok(false);
            };
            Action::Choose(option.index)
        }
        Command::Continue => Action::Continue,
        Command::Back => Action::Back,
        // Not for customers: the engine's refusal says why, without asking for words first.
        Command::Note(text) if customer => Action::Note(text.unwrap_or_default()),
        Command::Note(text) => Action::Note(words(input, text, "Note")?),
        Command::Skip(text) if customer => Action::Skip(text.unwrap_or_default()),
        Command::Skip(text) => Action::Skip(words(input, text, "Why skip this step")?),
        Command::Escalate(text) => Action::Escalate(words(input, text, "Why escalate")?),
        Command::Quit => return Ok(true),
        Command::Unknown(text) => {
            sayln!("  ! `{}` is not a choice here", show_line(&text));
            return Ok(false);
        }
    };
    record(call, &Step::action(action), style);
    Ok(false)
}
