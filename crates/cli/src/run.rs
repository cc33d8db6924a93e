//! `calltree run`: play a tree in the terminal, as an agent on a call or as a customer.
//!
//! Every event is written to the log file and flushed to disk before the next prompt, so a
//! crash or a closed terminal loses nothing; `--resume` continues from the log. Input comes
//! from the keyboard, from piped standard input, or from an answers file, which is how the
//! command is tested end to end.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use calltree_engine::{Event, InputKind, Project, Session, SourceInput, TextRole, View, parse_log};
use calltree_store::Store;
use calltree_syntax::Audience;

use crate::files;
use crate::render::Style;

pub struct Options {
    /// The tree file; `None` when taking over a handed-off session, whose tree version
    /// comes from the database.
    pub file: Option<PathBuf>,
    pub audience: Audience,
    pub tree: Option<String>,
    pub log: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub answers: Option<PathBuf>,
    /// A customer's handoff code and the self-service database it is in.
    pub handoff: Option<(String, PathBuf)>,
}

const FIELD_HELP: &str =
    "type the answer, or :back, :skip REASON, :escalate REASON, :note TEXT, :quit";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The file's tree and every tree beside it, so that sub-tree calls resolve. The file itself
/// is the project's first file, under the name it was given.
fn load_project(file: &Path) -> Result<Project> {
    let own =
        std::fs::canonicalize(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let mut inputs = vec![SourceInput::new(
        file.display().to_string(),
        files::read_text(file)?,
    )];
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for path in files::collect(&[dir.to_path_buf()]).unwrap_or_default() {
        if std::fs::canonicalize(&path).ok().as_ref() != Some(&own) {
            inputs.push(SourceInput::new(
                path.display().to_string(),
                files::read_text(&path)?,
            ));
        }
    }
    Ok(Project::load(inputs))
}

/// Where answers come from, and whether to echo them (so transcripts of piped runs read well).
struct Input {
    lines: Box<dyn BufRead>,
    echo: bool,
}

impl Input {
    fn line(&mut self, prompt: &str) -> Result<Option<String>> {
        print!("{prompt}");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if self.lines.read_line(&mut line)? == 0 {
            println!();
            return Ok(None);
        }
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        if self.echo {
            println!("{line}");
        }
        Ok(Some(line))
    }
}

/// Where events go as they happen: a log file (each event flushed to disk before the call
/// goes on), or a self-service session's database (each event committed first).
struct Log {
    file: Option<File>,
    session: Option<StoredSession>,
}

/// A handed-off session in the self-service database, and how many events it has.
struct StoredSession {
    store: Store,
    id: String,
    seq: usize,
}

impl Log {
    fn append(&mut self, event: &Event) -> Result<()> {
        if let Some(file) = &mut self.file {
            writeln!(file, "{}", event.to_json_line()).context("cannot write to the call log")?;
            file.sync_data()
                .context("cannot flush the call log to disk")?;
        }
        if let Some(stored) = &mut self.session {
            stored
                .store
                .append(&stored.id, stored.seq, event)
                .context("cannot store the event in the session database")?;
            stored.seq += 1;
        }
        Ok(())
    }
}

/// Takes over a customer's session by its handoff code: the session continues as an
/// agent's, from where the customer left it, on the version of the tree it started on.
fn take_over(code: &str, db: &Path) -> Result<(Project, Vec<Event>, StoredSession)> {
    if !db.exists() {
        bail!("there is no session database at `{}`", db.display());
    }
    let store = Store::open(db)
        .with_context(|| format!("cannot open the session database `{}`", db.display()))?;
    let (id, events, project) = store.handed_off(code)?.with_context(|| {
        format!("no session has the handoff code `{code}`; check the code with the customer")
    })?;
    let seq = events.len();
    Ok((project, events, StoredSession { store, id, seq }))
}

pub fn run(options: &Options) -> Result<ExitCode> {
    if let Some((code, db)) = &options.handoff {
        let (project, events, stored) = take_over(code, db)?;
        let mut session = Session::resume(&project, events)?;
        let mut log = Log {
            file: None,
            session: Some(stored),
        };
        let taken = Event::TakenOver { at: now() };
        session.apply(taken.clone())?;
        log.append(&taken)?;
        println!("Taking over the customer's session: every answer they gave is below.");
        println!("{}", session.summary().to_plain_text());
        let code = play_with_input(&mut session, &mut log, options)?;
        record_outcome(&session, &log)?;
        return Ok(code);
    }
    let Some(file) = &options.file else {
        bail!("give the tree file to play, or --handoff CODE --db FILE");
    };
    let project = load_project(file)?;
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

    let (mut session, mut log) = match &options.resume {
        Some(path) => resume(&project, path, options.log.as_deref())?,
        None => {
            let tree = match &options.tree {
                Some(name) => project
                    .tree_by_name(name)
                    .with_context(|| format!("there is no tree called `{name}` here"))?,
                None => project
                    .trees()
                    .find(|(_, t)| t.file == own)
                    .map(|(id, _)| id)
                    .with_context(|| format!("`{}` has no tree", file.display()))?,
            };
            let session = Session::start(&project, tree, options.audience, now())?;
            let mut log = Log {
                file: match &options.log {
                    Some(path) => Some(
                        OpenOptions::new()
                            .create(true)
                            .truncate(true)
                            .write(true)
                            .open(path)
                            .with_context(|| {
                                format!("cannot create the call log `{}`", path.display())
                            })?,
                    ),
                    None => None,
                },
                session: None,
            };
            log.append(&session.log()[0])?;
            (session, log)
        }
    };
    play_with_input(&mut session, &mut log, options)
}

/// Records how a handed-off session ended, for the self-service reports.
fn record_outcome(session: &Session<'_>, log: &Log) -> Result<()> {
    if let (true, Some(stored)) = (session.is_finished(), &log.session) {
        let outcome = session
            .view()
            .ended
            .and_then(|end| end.outcome)
            .map(|o| o.name());
        stored.store.finish(&stored.id, outcome)?;
    }
    Ok(())
}

fn play_with_input(
    session: &mut Session<'_>,
    log: &mut Log,
    options: &Options,
) -> Result<ExitCode> {
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
    play(session, log, &mut input, style, options)
}

/// Reads a stored log and continues it. A log cut short by a crash keeps its complete events;
/// the broken tail is removed from the file before anything new is appended.
fn resume<'p>(
    project: &'p Project,
    path: &Path,
    log_to: Option<&Path>,
) -> Result<(Session<'p>, Log)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the call log `{}`", path.display()))?;
    let (events, problem) = parse_log(&text);
    if let Some(problem) = &problem {
        // Only a damaged last line is what a crash leaves; anything after a bad line in the
        // middle would be lost by continuing, so the log is left untouched for a person.
        let later = text
            .lines()
            .skip(problem.line)
            .any(|l| !l.trim().is_empty());
        if later {
            bail!(
                "`{}` is damaged in the middle ({problem}); the events after it cannot be trusted or dropped, so the log was left as it is — repair or remove that line and resume again",
                path.display()
            );
        }
        eprintln!(
            "warning: `{}` {problem}; continuing from the {} complete events before it",
            path.display(),
            events.len()
        );
    }
    let session = Session::resume(project, events)
        .with_context(|| format!("cannot resume `{}`", path.display()))?;
    let target = log_to.unwrap_or(path);
    let contents: String = session
        .log()
        .iter()
        .map(|e| e.to_json_line() + "\n")
        .collect();
    if problem.is_some() || target != path {
        files::write_atomically(target, &contents)?;
    }
    let file = OpenOptions::new()
        .append(true)
        .open(target)
        .with_context(|| format!("cannot open the call log `{}`", target.display()))?;
    println!("Resuming the call from {} events.", session.log().len());
    Ok((
        session,
        Log {
            file: Some(file),
            session: None,
        },
    ))
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

fn show(view: &View, style: Style) {
    println!();
    println!(
        "{}",
        style.paint("1", &format!("── {} ({})", view.title, view.tree))
    );
    for text in &view.texts {
        match text.role {
            TextRole::Say => println!("{}", text.text),
            TextRole::Agent => println!("  {} {}", style.paint("36", "agent:"), text.text),
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
            None => println!("  {key} {}", option.label),
            Some(reason) => println!(
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
    keys.push("n note");
    if view.actions.skip {
        keys.push("s skip");
    }
    keys.extend(["e escalate", "q quit"]);
    format!("  {}", keys.join(" · "))
}

fn field_prompt(field: &calltree_engine::FieldView) -> String {
    let kind = match &field.input {
        InputKind::Text => "text".to_owned(),
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
            .map(|(i, v)| format!("{} {}", i + 1, v.label))
            .collect::<Vec<_>>()
            .join(" / "),
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
    session: &mut Session<'_>,
    log: &mut Log,
    input: &mut Input,
    style: Style,
    options: &Options,
) -> Result<ExitCode> {
    // A step is shown once per arrival: the node and the length of the path so far, so that
    // reaching a node again, or going back to it, shows it again.
    let mut answered_here: Vec<String> = Vec::new();
    let mut arrival: Option<(String, usize)> = None;
    loop {
        let view = session.view();
        if view.ended.is_some() {
            if !view.texts.is_empty() {
                show(&view, style);
            }
            println!();
            print!("{}", session.summary().to_plain_text());
            return Ok(ExitCode::SUCCESS);
        }
        let here = (view.node.clone(), session.state().path.len());
        if arrival.as_ref() != Some(&here) {
            arrival = Some(here);
            answered_here.clear();
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
                println!("  {FIELD_HELP}");
                continue;
            }
            if let Some(command) = parse_command(&line, true) {
                if act(session, log, input, command)? {
                    return Ok(paused(options, false));
                }
                continue;
            }
            if line.trim().is_empty() && field.value.is_some() {
                // Enter keeps an answer given before (after going back, or in a resumed call).
                answered_here.push(field.name.clone());
                continue;
            }
            // A choice can be answered by its number in the prompt.
            let value = match (&field.input, line.trim().parse::<usize>()) {
                (InputKind::Choice { values }, Ok(n)) if (1..=values.len()).contains(&n) => {
                    values[n - 1].value.clone()
                }
                _ => line,
            };
            let event = Event::Answered {
                field: field.name.clone(),
                value,
                at: now(),
            };
            match apply(session, log, event) {
                Ok(()) => answered_here.push(field.name.clone()),
                Err(message) => println!("  {} {message}", style.paint("31", "!")),
            }
            continue;
        }

        show_options(&view, style);
        println!("{}", style.paint("2", &help(&view)));
        let Some(line) = input.line("> ")? else {
            return Ok(paused(options, true));
        };
        let command = parse_command(&line, false).unwrap_or(Command::Unknown(line));
        if act(session, log, input, command)? {
            return Ok(paused(options, false));
        }
    }
}

fn paused(options: &Options, input_ended: bool) -> ExitCode {
    let log = options.log.as_ref().or(options.resume.as_ref());
    match (&options.handoff, &options.file, log) {
        (Some((code, db)), _, _) => println!(
            "The call is paused and saved. Continue it with: calltree run --handoff {code} --db {}",
            db.display()
        ),
        (None, Some(file), Some(path)) => println!(
            "The call is paused. Continue it with: calltree run {} --resume {}",
            file.display(),
            path.display()
        ),
        _ => println!("The call is paused (run with --log FILE to be able to resume it)."),
    }
    if input_ended && !std::io::stdin().is_terminal() {
        // A script that ran out of answers before the call ended is a failure to report.
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn apply(
    session: &mut Session<'_>,
    log: &mut Log,
    event: Event,
) -> std::result::Result<(), String> {
    session.apply(event.clone()).map_err(|e| e.to_string())?;
    log.append(&event).map_err(|e| format!("{e:#}"))
}

/// Carries out a command. Returns `true` when the person asked to stop.
fn act(
    session: &mut Session<'_>,
    log: &mut Log,
    input: &mut Input,
    command: Command,
) -> Result<bool> {
    let reason = |input: &mut Input, given: Option<String>, what: &str| -> Result<Option<String>> {
        match given {
            Some(text) => Ok(Some(text)),
            None => input.line(&format!("{what}: ")),
        }
    };
    let event = match command {
        Command::Choose(number) => {
            let view = session.view();
            let Some(option) = view
                .options
                .iter()
                .find(|o| o.key.map(usize::from) == Some(number))
            else {
                println!("  ! there is no option {number} here");
                return Ok(false);
            };
            let Some(event) = session.choice(option.index, now()) else {
                return Ok(false);
            };
            event
        }
        Command::Continue => Event::Continued { at: now() },
        Command::Back => Event::Back { at: now() },
        Command::Note(text) => match reason(input, text, "Note")? {
            Some(text) if !text.trim().is_empty() => Event::Noted { text, at: now() },
            _ => return Ok(false),
        },
        Command::Skip(text) => match reason(input, text, "Why skip this step")? {
            Some(reason) if !reason.trim().is_empty() => Event::Skipped { reason, at: now() },
            _ => {
                println!("  ! a skipped step needs a reason");
                return Ok(false);
            }
        },
        Command::Escalate(text) => match reason(input, text, "Why escalate")? {
            Some(reason) if !reason.trim().is_empty() => Event::Escalated { reason, at: now() },
            _ => {
                println!("  ! an escalation needs a reason");
                return Ok(false);
            }
        },
        Command::Quit => return Ok(true),
        Command::Unknown(text) => {
            println!("  ! `{text}` is not a choice here");
            return Ok(false);
        }
    };
    if let Err(message) = apply(session, log, event) {
        println!("  ! {message}");
    }
    Ok(false)
}
