//! The `calltree` command line: the tool authors and CI run on `.tree` files.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool's job is to print"
)]

/// mimalloc instead of the C library's allocator: loading and checking a tree is allocation
/// heavy (a syntax tree, then the model, then dropping both), and glibc's malloc spent about
/// a third of a re-check in its own bookkeeping (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod agents;
mod check;
mod export;
mod files;
mod fmt;
mod output;
mod prune;
mod render;
mod report;
mod run;
mod stats;
mod testing;
mod translate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Interactive decision trees for phone calls and self-service: check and format `.tree` files.
#[derive(Parser)]
#[command(
    name = "calltree",
    version,
    about = "Interactive decision trees for phone calls: check, play, test and format .tree files",
    long_about = None
)]
#[command(
    after_help = "Examples:\n  calltree check trees/\n  calltree fmt --check trees/\n\nThe language is described in docs/language.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The most any one input may hold (a tree, a call log, an interchange document,
    /// standard input), in bytes or with K, M or G; also CALLTREE_MAX_INPUT_SIZE.
    #[arg(long, global = true, value_name = "SIZE", value_parser = files::parse_size)]
    max_input_size: Option<u64>,
}

/// The input size limit: `--max-input-size`, else `CALLTREE_MAX_INPUT_SIZE`, else 64 MiB.
fn max_input_size(given: Option<u64>) -> anyhow::Result<u64> {
    if let Some(bytes) = given {
        return Ok(bytes);
    }
    match std::env::var("CALLTREE_MAX_INPUT_SIZE") {
        Ok(text) => files::parse_size(&text)
            .map_err(|problem| anyhow::anyhow!("CALLTREE_MAX_INPUT_SIZE: {problem}")),
        Err(_) => Ok(calltree_files::DEFAULT_MAX_INPUT_SIZE),
    }
}

#[derive(Subcommand)]
enum TranslateCommand {
    /// Write or update NAME.LOCALE.po beside each tree: new texts are added untranslated,
    /// texts the tree no longer has are dropped, and translations whose source text changed
    /// are kept and marked fuzzy, with the old source as `#| msgid`. See docs/translation.md.
    #[command(
        after_help = "Examples:\n  calltree translate extract --locale fr trees/internet_down.tree\n  calltree translate extract --locale pt-BR trees/"
    )]
    Extract {
        /// The language to translate into, as a BCP 47 tag (`fr`, `pt-BR`).
        #[arg(long, value_name = "TAG")]
        locale: String,
        /// Files or folders; folders are searched for `.tree` files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Report every problem in trees, with the line, a caret under it, and a hint.
    ///
    /// Exit status: 0 when no errors were found, 1 when there were errors (or warnings with
    /// --deny-warnings), 2 when a file could not be read or the command line was wrong.
    #[command(
        after_help = "Examples:\n  calltree check trees/\n  calltree check trees/internet_down.tree --format json\n  calltree check --deny-warnings trees/   # for CI"
    )]
    Check {
        /// Files or folders; folders are searched for `.tree` files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Treat warnings as errors (exit 1 when there are any).
        #[arg(long)]
        deny_warnings: bool,
        /// Show every problem; without it a human report shows the first 200 and counts
        /// the rest (JSON always has every one).
        #[arg(long)]
        all: bool,
    },
    /// Run every tree's tests and walk every tree, looking for calls that get stuck.
    ///
    /// Each `test` block is played against a real session; a failing step is shown like any
    /// other problem. Then every tree is walked every way (bounded by loop and walk limits),
    /// or at random with --random, as each audience it serves. Exit status: 0 when every test
    /// passed and no walk got stuck, 1 otherwise, 2 when a file could not be read.
    #[command(
        after_help = "Examples:\n  calltree test trees/\n  calltree test --coverage trees/internet_down.tree trees/identity_check.tree\n  calltree test --random 500 --seed 42 trees/"
    )]
    Test {
        /// Files or folders; folders are searched for `.tree` files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Walk at random this many times per tree and audience, instead of every way.
        #[arg(long, value_name = "N")]
        random: Option<usize>,
        /// The seed for --random; the same seed replays the same walks.
        #[arg(long, default_value_t = 1, value_name = "S")]
        seed: u64,
        /// List the nodes and options that no test and no walk reached.
        #[arg(long)]
        coverage: bool,
        /// Stop walking a tree every way after this many complete walks.
        #[arg(long, default_value_t = 5_000, value_name = "N")]
        walk_limit: usize,
    },
    /// Play a tree in the terminal, as an agent on a call or as a customer.
    ///
    /// Each step shows its text, asks its fields (with validation messages), and offers its
    /// options by number. At the prompt: 1-9 choose, Enter continue, b back, n note,
    /// s skip (with a reason), e escalate (with a reason), q quit. At a field prompt, type the
    /// answer, or :back, :skip REASON, :escalate REASON, :note TEXT, :quit. The call summary is
    /// printed at the end. Trees in the same folder are loaded too, so sub-tree calls work.
    #[command(
        after_help = "Examples:\n  calltree run trees/internet_down.tree\n  calltree run trees/password_reset.tree --as customer\n  calltree run trees/billing_dispute.tree --log call.jsonl\n  calltree run trees/billing_dispute.tree --resume call.jsonl\n  calltree run trees/internet_down.tree --answers answers.txt   # one input per line\n  calltree run trees/inbound_call.tree --set account=12345678   # a `given` field"
    )]
    Run {
        /// The `.tree` file to play.
        #[arg(value_name = "FILE", required_unless_present = "handoff")]
        file: Option<PathBuf>,
        /// Who is using the tree.
        #[arg(long = "as", value_enum, default_value_t = Who::Agent)]
        audience: Who,
        /// Play another tree of the folder by its id.
        #[arg(long, value_name = "ID")]
        tree: Option<String>,
        /// Write every event to this file (JSON lines), flushed to disk as it happens. An
        /// existing log is never overwritten unless --force is given.
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Replace the --log file if it exists.
        #[arg(long, requires = "log")]
        force: bool,
        /// Continue the call recorded in this log (and keep logging to it).
        #[arg(long, value_name = "FILE", conflicts_with = "tree")]
        resume: Option<PathBuf>,
        /// Read the inputs from this file instead of the keyboard: one line per prompt, as it
        /// would be typed (an empty line is Enter: it continues a step that has one way on,
        /// or leaves an optional field blank).
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
        /// Take over a customer's self-service session by the code they were given; the call
        /// continues where they left it, with their answers (needs --db).
        #[arg(long, value_name = "CODE", requires = "db", conflicts_with_all = ["resume", "tree", "log"])]
        handoff: Option<String>,
        /// The self-service session database (see `calltree serve`): a file, or a
        /// PostgreSQL address (postgres://…).
        #[arg(long, value_name = "FILE|URL", requires = "handoff")]
        db: Option<PathBuf>,
        /// Hand in a value for a field the tree marks `given` (an account number from the
        /// phone system), checked like an answer; repeat for more fields.
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = given_value, conflicts_with_all = ["resume", "handoff"])]
        set: Vec<calltree_engine::Given>,
        /// Show the call in this language (a BCP 47 tag such as `fr`), from the translation
        /// files beside the trees (NAME.LOCALE.po); a text without a translation is shown in
        /// its own language, marked [untranslated].
        #[arg(long, value_name = "TAG", conflicts_with = "handoff")]
        locale: Option<String>,
    },
    /// Serve the trees that customers use as self-service web pages.
    ///
    /// Each customer tree gets a page per step in customer wording, with a search on the home
    /// page. Sessions and every event are stored in an SQLite database (created on first
    /// start), so a reload, the back button or a restart continue where the customer was.
    /// "Talk to a person" and escalations give the customer a handoff code for
    /// `calltree run --handoff CODE --db FILE` or the desktop app. A start link's query
    /// (`/start/TREE?account=12345678`) fills in `given` fields the tree also asks. Set
    /// CALLTREE_API_TOKEN to enable the JSON API (/api/sessions) for reporting.
    #[command(
        after_help = "Examples:\n  calltree serve\n  calltree serve --trees trees/ --db sessions.db --addr 0.0.0.0:8080\n  calltree serve --db postgres://calltree@db.internal/calltree"
    )]
    Serve {
        /// The folder of trees.
        #[arg(
            long,
            value_name = "DIR",
            default_value = "trees",
            conflicts_with = "published"
        )]
        trees: PathBuf,
        /// Serve the versions published to the database (`calltree publish DIR --to URL`)
        /// instead of a folder: every instance on one PostgreSQL serves the same versions,
        /// and a new publish is served within a second.
        #[arg(long)]
        published: bool,
        /// Where sessions are kept: an SQLite file (created if missing), or a PostgreSQL
        /// database, `postgres://USER:PASSWORD@HOST:PORT/DATABASE`, which several instances
        /// of `calltree serve` may share (see docs/deployment.md).
        #[arg(long, value_name = "FILE|URL", default_value = "calltree-sessions.db")]
        db: PathBuf,
        /// The address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        settings: ServeSettings,
    },
    /// Delete old sessions from the self-service database.
    ///
    /// Deletes every session (with its events) whose last event is more than DAYS days old,
    /// finished or not, except one whose handoff code still works. The versions of the trees
    /// are kept (reports and the remaining sessions need them). `calltree serve --retain DAYS`
    /// does the same every hour. The file does not shrink; SQLite reuses the space.
    #[command(after_help = "Examples:\n  calltree prune --db calltree-sessions.db --retain 90")]
    Prune(PruneArgs),
    /// Copy a self-service SQLite database into PostgreSQL.
    ///
    /// Copies every session (its events, handoff code and the hashes of its tokens, so
    /// customers' links and agents' codes keep working) and every tree version into the
    /// PostgreSQL database, whose schema is made or brought up to date first. A session already
    /// there is left as it is, so a copy cut short is finished by running it again. Stop
    /// `calltree serve` on the file first; then start it with `--db` set to the address.
    #[command(
        after_help = "Examples:\n  calltree migrate --from calltree-sessions.db --to postgres://calltree@db.internal/calltree"
    )]
    Migrate(MigrateArgs),
    /// Agents who may use the server's API from their desktops: add, list, revoke.
    ///
    /// `add` prints a new agent's token once (the database keeps only its SHA-256); the
    /// agent's desktop sends it with every request (`Authorization: Bearer TOKEN`). A revoked
    /// token is refused with 403 from then on. See docs/deployment.md.
    #[command(
        after_help = "Examples:\n  calltree agents add ana --db calltree-sessions.db\n  calltree agents list --db postgres://calltree@db.internal/calltree\n  calltree agents revoke ana --db calltree-sessions.db"
    )]
    Agents(AgentsArgs),
    /// Check trees on a `calltree serve` hub and make them the live version for desktops.
    ///
    /// Sends the `.tree` files of DIR (and the files they bring in with `use`) to the
    /// server, which checks them as `calltree check` does: with any error nothing is
    /// published and the errors are printed; else every tree in them becomes live, pinned
    /// by its content hash, and desktops pick it up between calls.
    #[command(
        after_help = "Examples:\n  calltree publish trees/ --to http://hub.internal:8080 --token ct_…\n  CALLTREE_TOKEN=ct_… calltree publish trees/ --to http://hub.internal:8080"
    )]
    Publish(PublishArgs),
    /// Report what happened on calls and self-service sessions: outcomes, first-contact
    /// resolution, containment, where sessions stop, time per step, paths, reasons, ratings.
    ///
    /// Reads call logs (one JSON-lines file per session, as `calltree run --log` and the
    /// desktop app write them) or the self-service database, one session at a time. Every
    /// figure is per tree and per tree version, so the effect of an edit can be compared.
    /// Logs are matched to the trees in --trees by version; sessions of other versions are
    /// counted as far as their raw events allow.
    #[command(
        after_help = "Examples:\n  calltree report --logs ~/.local/share/calltree/calls\n  calltree report --db calltree-sessions.db --tree password_reset --since 2026-11-01\n  calltree report --logs logs/ --format csv > figures.csv"
    )]
    Report {
        /// A folder of call logs (`.jsonl`, searched recursively).
        #[arg(
            long,
            value_name = "DIR",
            required_unless_present_any = ["db", "server"],
            conflicts_with_all = ["db", "server"]
        )]
        logs: Option<PathBuf>,
        /// The self-service session database (see `calltree serve`): a file, or a
        /// PostgreSQL address (postgres://…).
        #[arg(long, value_name = "FILE|URL", conflicts_with = "server")]
        db: Option<PathBuf>,
        /// A `calltree serve` hub to read sessions from through its API (desktop calls and
        /// self-service together), with --token or CALLTREE_TOKEN.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// An agent token for --server (see `calltree agents`); else CALLTREE_TOKEN.
        #[arg(long, value_name = "TOKEN", requires = "server")]
        token: Option<String>,
        /// The trees the logs were made with (for outcomes and per-step figures).
        #[arg(long, value_name = "DIR", default_value = "trees")]
        trees: PathBuf,
        /// Only this tree.
        #[arg(long, value_name = "ID")]
        tree: Option<String>,
        /// Only sessions started on or after this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only sessions started on or before this day (YYYY-MM-DD, UTC; the whole day).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Only one chart's data, as CSV (as the desktop's CSV button saves it): outcomes,
        /// slowest_steps, drop_off, escalation_reasons, skip_reasons, paths, comments,
        /// ratings_FIELD, ratings_by_day_FIELD. Needs --tree.
        #[arg(long, value_name = "NAME")]
        chart: Option<String>,
        /// Only sessions shown in this language (a BCP 47 tag such as `fr`, which takes
        /// `fr-CA` too), or `source` for those in the trees' own words: one report per
        /// language.
        #[arg(long, value_name = "TAG")]
        locale: Option<String>,
        /// How to print the figures.
        #[arg(long, value_enum, default_value_t = report::ReportFormat::Text)]
        format: report::ReportFormat,
    },
    /// Write realistic synthetic call logs for trees, to try reports before real calls.
    ///
    /// Sessions are made by the engine's generator: agents and customers as the tree serves
    /// them, invented answers, earlier options likelier, some Back, notes, skips, escalations,
    /// hang-ups and take-overs, and realistic time between steps. The same seed writes the
    /// same logs.
    #[command(
        after_help = "Examples:\n  calltree simulate --sessions 500 --out logs/\n  calltree report --logs logs/"
    )]
    Simulate {
        /// The folder of trees.
        #[arg(long, value_name = "DIR", default_value = "trees")]
        trees: PathBuf,
        /// Only this tree.
        #[arg(long, value_name = "ID")]
        tree: Option<String>,
        /// Sessions per tree.
        #[arg(long, value_name = "N", default_value_t = 200)]
        sessions: usize,
        /// The seed; the same seed writes the same logs.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Where to write the logs (one `.jsonl` file per session).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Count what a tree is made of: nodes, options, endings, fields, path lengths, branching.
    ///
    /// Path lengths count every step a call passes through, each node by its shortest way
    /// from the start: "longest" is the farthest resolved ending by that measure.
    #[command(
        after_help = "Examples:\n  calltree stats trees/\n  calltree stats trees/internet_down.tree --format json"
    )]
    Stats {
        /// Files or folders; folders are searched for `.tree` files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// How to print the figures.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Keep translation files of trees up to date.
    #[command(subcommand)]
    Translate(TranslateCommand),
    /// Draw a tree (Graphviz DOT, Mermaid) or write it as data (JSON, YAML).
    ///
    /// JSON and YAML follow the versioned interchange form described in docs/interchange.md:
    /// everything the tree says, without comments; `calltree import` turns it back into a
    /// `.tree` file.
    #[command(
        after_help = "Examples:\n  calltree export trees/internet_down.tree --format dot | dot -Tsvg > internet_down.svg\n  calltree export trees/internet_down.tree --format mermaid > internet_down.mmd\n  calltree export trees/internet_down.tree --format dot --focus symptom --depth 2 | dot -Tpng > symptom.png\n  calltree export trees/internet_down.tree --format yaml > internet_down.yaml"
    )]
    Export {
        /// The `.tree` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Which tree to draw, when the file is not a single tree.
        #[arg(long, value_name = "ID")]
        tree: Option<String>,
        /// Draw only the part of the tree around this node (DOT and Mermaid): the nodes
        /// within `--depth` steps of it, forwards or backwards. Nodes just beyond are drawn
        /// dashed, so every way out is still shown.
        #[arg(long, value_name = "NODE")]
        focus: Option<String>,
        /// How many steps around `--focus` to draw.
        #[arg(long, value_name = "N", default_value_t = 2, requires = "focus")]
        depth: u32,
    },
    /// Turn an interchange document (YAML or JSON, from `calltree export`) into a formatted
    /// `.tree` file.
    #[command(
        after_help = "Examples:\n  calltree import internet_down.yaml > internet_down.tree\n  calltree import internet_down.yaml --output trees/internet_down.tree"
    )]
    Import {
        /// The YAML or JSON document.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write the tree to this file (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script for calltree.
    #[command(
        after_help = "Examples:\n  calltree completions bash > ~/.local/share/bash-completion/completions/calltree\n  calltree completions zsh > ~/.zfunc/_calltree\n  calltree completions fish > ~/.config/fish/completions/calltree.fish"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print calltree's manual page (roff), generated from the same definitions as --help.
    #[command(after_help = "Examples:\n  calltree man > calltree.1 && man ./calltree.1")]
    Man,
    /// Rewrite trees in the one canonical layout.
    ///
    /// Files are replaced atomically (written beside the original, then renamed over it), so
    /// an interrupted run never leaves half a file. Files with syntax errors are left alone.
    #[command(
        after_help = "Examples:\n  calltree fmt trees/\n  calltree fmt --check trees/      # list files that differ; exit 1 if any\n  calltree fmt - < in.tree > out.tree"
    )]
    Fmt {
        /// Files or folders, or `-` to read standard input and write standard output.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Change nothing: list the files whose layout differs and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Speak the Language Server Protocol on standard input and output, for editors.
    ///
    /// Started by an editor, not by hand: see docs/editors.md for VS Code, Neovim and Helix.
    /// Diagnostics as you type, go to definition, references, rename, completion, hover,
    /// formatting, outline and colours. Exit status: 0 after the editor's `shutdown` and
    /// `exit`, 1 when it exits without `shutdown` or goes away.
    #[command(
        after_help = "Examples:\n  calltree lsp    # run by the editor, talks JSON-RPC on stdio"
    )]
    Lsp,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Who {
    Agent,
    Customer,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Plain text for people (`check` shows each problem under its source line).
    Human,
    /// One JSON document, for tools and editors.
    Json,
}

/// `calltree migrate`'s options (a struct of their own, as `PruneArgs` and for its reason).
#[derive(clap::Args, Debug)]
struct MigrateArgs {
    /// The SQLite session database to copy (it is not changed, beyond bringing its schema up
    /// to date).
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The PostgreSQL database to copy into: postgres://USER:PASSWORD@HOST:PORT/DATABASE.
    #[arg(long, value_name = "URL")]
    to: PathBuf,
}

/// `calltree prune`'s options: a struct of their own, so that clap builds them in a function
/// of their own (in a debug build, every option built in `Command`'s one function adds to
/// a stack frame that the hardening tests run under 512 KiB).
#[derive(clap::Args, Debug)]
struct PruneArgs {
    /// The self-service session database: a file, or a PostgreSQL address (postgres://…).
    #[arg(long, value_name = "FILE|URL", default_value = "calltree-sessions.db")]
    db: PathBuf,
    /// Keep sessions whose last event is at most this many days old.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    retain: u32,
}

#[derive(clap::Args, Debug)]
struct PublishArgs {
    /// The folder of trees to publish.
    dir: PathBuf,
    /// The server's address, `http://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    to: String,
    /// An agent token (see `calltree agents`); else CALLTREE_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
}

/// The server with its token: `--token`, else CALLTREE_TOKEN (kept out of process lists).
fn with_token(
    server: Option<String>,
    token: Option<String>,
) -> anyhow::Result<Option<(String, String)>> {
    let Some(server) = server else {
        return Ok(None);
    };
    let token = token
        .or_else(|| std::env::var("CALLTREE_TOKEN").ok())
        .filter(|token| !token.trim().is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "give an agent token with --token or CALLTREE_TOKEN (an administrator makes                  one with `calltree agents add NAME`)"
            )
        })?;
    Ok(Some((server, token)))
}

#[derive(clap::Args, Debug)]
struct AgentsArgs {
    #[command(subcommand)]
    action: AgentsAction,
    /// The session database `calltree serve` uses: a file, or a PostgreSQL address.
    #[arg(
        long,
        value_name = "FILE|URL",
        default_value = "calltree-sessions.db",
        global = true
    )]
    db: PathBuf,
}

#[derive(Subcommand, Debug)]
enum AgentsAction {
    /// Add an agent and print its token (shown only this once).
    Add {
        /// The agent's name: letters, digits, `.`, `_`, `-`, `@`.
        name: String,
    },
    /// List the agents, with when each was added and revoked.
    List,
    /// Stop an agent's token working.
    Revoke { name: String },
}

/// How `calltree serve` treats customers and connections (docs/self-service.md, "Operating
/// the server", says how to choose each).
#[derive(clap::Args, Debug)]
struct ServeSettings {
    /// How customers given a handoff code reach a person, shown on that page (for example
    /// "Call 0800 123 456, 8am to 6pm on weekdays").
    #[arg(long, value_name = "TEXT")]
    contact: Option<String>,
    /// How long a handoff code works, in hours from when the customer asked for a person.
    #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=24 * 365))]
    handoff_hours: u64,
    /// A reverse proxy (TLS, a load balancer) is in front and sets X-Forwarded-For, -Host and
    /// -Proto; without this flag those headers are ignored, since anybody can send them.
    #[arg(long)]
    trusted_proxy: bool,
    /// Seconds a request's body may take to arrive (408 beyond).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout: u64,
    /// Seconds a connection may take to send a request's headers.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Seconds a connection may stay open doing nothing between requests.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
    /// Connections served at once; beyond them a connection gets a 503 page at once. Each is
    /// a file descriptor: keep `ulimit -n` above this plus about 100.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Sessions one client (address) may start in a minute; 0 for no limit.
    #[arg(long, value_name = "N", default_value_t = 20)]
    starts_per_minute: u32,
    /// Forms one client may post in a minute; 0 for no limit.
    #[arg(long, value_name = "N", default_value_t = 120)]
    posts_per_minute: u32,
    /// Events one session may have; a longer one cannot go on.
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    max_events: u64,
    /// Hours after its start that a session can still be continued.
    #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=24 * 365))]
    session_hours: u64,
    /// Delete sessions whose last event is older than this many days, every hour (as
    /// `calltree prune` does); without it sessions are kept.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u64).range(1..=36_500))]
    retain: Option<u64>,
}

impl ServeSettings {
    fn settings(&self) -> calltree_server::Settings {
        calltree_server::Settings {
            handoff_lifetime: std::time::Duration::from_secs(self.handoff_hours * 3600),
            trusted_proxy: self.trusted_proxy,
            body_timeout: std::time::Duration::from_secs(self.body_timeout),
            header_timeout: std::time::Duration::from_secs(self.header_timeout),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            starts_per_minute: self.starts_per_minute,
            posts_per_minute: self.posts_per_minute,
            max_events: usize::try_from(self.max_events).unwrap_or(usize::MAX),
            max_session_age: std::time::Duration::from_secs(self.session_hours * 3600),
            retain: self
                .retain
                .map(|days| std::time::Duration::from_secs(days * 24 * 3600)),
            contact: self.contact.clone(),
        }
    }
}

/// Runs the self-service server until it is stopped (Ctrl+C) or fails to start.
fn serve(
    trees: Option<&std::path::Path>,
    db: &std::path::Path,
    addr: std::net::SocketAddr,
    settings: calltree_server::Settings,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(async {
        tokio::select! {
            served = calltree_server::serve(addr, trees, db, settings) => served.map_err(anyhow::Error::from),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Parses the command line on a thread of its own. clap's derived parser builds every option
/// of every command in a few large functions, whose frames in a debug build take over 600 KiB
/// of stack; the work itself must run in much less (the hardening tests give the main thread
/// 512 KiB, to prove no walk recurses per node). `--help` and errors exit from that thread.
fn parse() -> Cli {
    std::thread::Builder::new()
        .name("calltree-args".into())
        .stack_size(8 * 1024 * 1024)
        .spawn(Cli::parse)
        .ok()
        .and_then(|parsing| parsing.join().ok())
        // Without a thread (out of memory) the main thread parses, as it always did.
        .unwrap_or_else(Cli::parse)
}

fn main() -> ExitCode {
    let cli = parse();
    match max_input_size(cli.max_input_size) {
        Ok(bytes) => files::set_max_input_size(bytes),
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    }
    let outcome = match cli.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            all,
        } => check::run(&paths, format, deny_warnings, all),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Lsp => match calltree_lsp::run_stdio() {
            Ok(calltree_lsp::Ending::Clean) => Ok(ExitCode::SUCCESS),
            Ok(calltree_lsp::Ending::Abrupt) => Ok(ExitCode::from(1)),
            Err(error) => Err(error.into()),
        },
        Command::Stats { paths, format } => stats::run(&paths, format),
        Command::Export {
            file,
            format,
            tree,
            focus,
            depth,
        } => export::export(
            &file,
            format,
            tree.as_deref(),
            focus.as_deref().map(|node| (node, depth)),
        ),
        Command::Import { file, output } => export::import(&file, output.as_ref()),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            // Generated into memory first: clap_complete panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "calltree", &mut script);
            output::emit_bytes(&script).map(|()| ExitCode::SUCCESS)
        }
        Command::Man => {
            use clap::CommandFactory as _;
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => output::emit_bytes(&page).map(|()| ExitCode::SUCCESS),
                Err(error) => Err(anyhow::anyhow!("cannot write the manual page: {error}")),
            }
        }
        Command::Run {
            file,
            audience,
            tree,
            log,
            force,
            resume,
            answers,
            handoff,
            db,
            set,
            locale,
        } => run::run(&run::Options {
            file,
            audience: match audience {
                Who::Agent => calltree_syntax::Audience::Agent,
                Who::Customer => calltree_syntax::Audience::Customer,
            },
            tree,
            log,
            force,
            resume,
            answers,
            handoff: handoff.zip(db),
            given: set,
            locale,
        }),
        Command::Serve {
            trees,
            published,
            db,
            addr,
            settings,
        } => serve(
            (!published).then_some(trees.as_path()),
            &db,
            addr,
            settings.settings(),
        ),
        Command::Translate(TranslateCommand::Extract { locale, paths }) => {
            translate::extract(&locale, &paths)
        }
        Command::Prune(PruneArgs { db, retain }) => prune::run(&db, retain),
        Command::Migrate(MigrateArgs { from, to }) => prune::migrate(&from, &to),
        Command::Agents(AgentsArgs { action, db }) => match action {
            AgentsAction::Add { name } => agents::add(&db, &name),
            AgentsAction::List => agents::list(&db),
            AgentsAction::Revoke { name } => agents::revoke(&db, &name),
        },
        Command::Report {
            logs,
            db,
            server,
            token,
            trees,
            tree,
            since,
            until,
            chart,
            locale,
            format,
        } => with_token(server, token).and_then(|server| {
            report::run(&report::Options {
                logs,
                db,
                server,
                trees,
                tree,
                since,
                until,
                chart,
                locale,
                format,
            })
        }),
        Command::Publish(PublishArgs { dir, to, token }) => {
            with_token(Some(to), token).and_then(|server| {
                let (url, token) = server.unwrap_or_default();
                agents::publish(&dir, &url, &token)
            })
        }
        Command::Simulate {
            trees,
            tree,
            sessions,
            seed,
            out,
        } => report::simulate(&trees, tree.as_deref(), sessions, seed, &out),
        Command::Test {
            paths,
            random,
            seed,
            coverage,
            walk_limit,
        } => testing::run(
            &paths,
            &testing::Options {
                random,
                seed,
                coverage,
                walk_limit,
            },
        ),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `--set NAME=VALUE`, read by the host kit's one rule.
fn given_value(text: &str) -> Result<calltree_engine::Given, String> {
    calltree_calls::given_value(text).ok_or_else(|| format!("expected NAME=VALUE, found `{text}`"))
}
