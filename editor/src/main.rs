//! The calltree desktop app: opens a folder of trees for authors to edit and agents to run
//! calls on, keeping every edit and every call event safe on disk.

#![allow(
    clippy::print_stderr,
    reason = "a desktop program reports start-up failures on stderr"
)]

/// mimalloc instead of the C library's allocator: loading and checking a tree is allocation
/// heavy (a syntax tree, then the model, then dropping both), and glibc's malloc spent about
/// a third of a re-check in its own bookkeeping (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod files;

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

use calltree_editor::settings::{MIN_WINDOW_SIZE, window_size_from_points};
use calltree_editor::{DesktopApp, Settings};

fn usage() -> &'static str {
    "usage: calltree-desktop [FOLDER] [--call TREE [--set NAME=VALUE]...] [--server URL --token T]\n\
     Opens a folder of .tree files (default: the folder used last time, else ./trees).\n\
     --call TREE starts a call on that script in agent mode at once, with --set handing in\n\
     values for its `given` fields (a phone system's screen-pop); a value that does not fit\n\
     opens the start dialog, which says what is wrong.\n\
     Author mode edits, checks, previews and tests the trees; agent mode (Ctrl+M) runs calls.\n\
     Calls are saved as they happen under $XDG_DATA_HOME/calltree/calls (or\n\
     ~/.local/share/calltree/calls); set CALLTREE_CALLS to use another folder.\n\
     Settings live in $XDG_CONFIG_HOME/calltree/desktop.json (CALLTREE_SETTINGS overrides).\n\
     --server URL (with --token, both remembered; --server off forgets them) sends every\n\
     call event to a `calltree serve` hub after it is saved here, keeping a backlog while\n\
     the server is away, and takes customers' sessions over by handoff code through it.\n\
     Without a server, handoffs use the database of `calltree serve`: CALLTREE_DB (a file\n\
     or a postgres:// address), else ./calltree-sessions.db."
}

/// The window: the app, plus remembering settings and saving files when it closes.
struct Window {
    app: DesktopApp,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.ui(ui);
        // Remembered in logical pixels, the unit the window is opened with: egui's points
        // shrink as the text grows, so storing them shrank the window at every start. The
        // viewport rect, not the viewport's inner rect: in the frame the text size changes,
        // egui corrects only the former to the new size of a point.
        let size = ui.ctx().input(|i| {
            window_size_from_points(
                i.viewport_rect().size(),
                i.pixels_per_point(),
                i.viewport().native_pixels_per_point?,
            )
        });
        if size.is_some() {
            // Resizing is not worth a disk write per frame; it is stored on close.
            self.app.settings.window_size = size;
        }
        if self.app.settings_changed {
            self.app.settings_changed = false;
            if let Err(error) = files::save_settings(&self.app.settings) {
                eprintln!("warning: settings not saved: {error}");
            }
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        for failure in self.app.author.save_all() {
            eprintln!("error: {failure}");
        }
        if let Err(error) = files::save_settings(&self.app.settings) {
            eprintln!("warning: settings not saved: {error}");
        }
    }
}

/// The hub the settings name, with its token; `None` without a server.
fn hub_client(settings: &Settings) -> Result<Option<calltree_calls::HubClient>, String> {
    let Some(url) = &settings.server else {
        return Ok(None);
    };
    let token = settings
        .server_token
        .clone()
        .or_else(|| std::env::var("CALLTREE_TOKEN").ok())
        .ok_or_else(|| {
            format!("--server {url} needs this agent's token: --token (from `calltree agents add`)")
        })?;
    calltree_calls::HubClient::new(url, &token)
        .map(Some)
        .map_err(|error| error.to_string())
}

/// What the command line asks for: a folder, and a call to start at once.
#[derive(Debug, Default)]
struct Launch {
    folder: Option<PathBuf>,
    call: Option<String>,
    given: Vec<calltree_engine::Given>,
    /// `--server URL` (`Some("")` for `--server off`).
    server: Option<String>,
    token: Option<String>,
}

impl Launch {
    fn read(args: &[String]) -> Result<Launch, String> {
        let mut launch = Launch::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--call" => {
                    let tree = args.next().ok_or("--call needs the id of a script")?;
                    launch.call = Some(tree.clone());
                }
                "--set" => {
                    let pair = args.next().ok_or("--set needs NAME=VALUE")?;
                    let given = calltree_calls::given_value(pair)
                        .ok_or_else(|| format!("--set needs NAME=VALUE, not `{pair}`"))?;
                    launch.given.push(given);
                }
                "--server" => {
                    let url = args.next().ok_or("--server needs the hub's address")?;
                    launch.server = Some(if url == "off" {
                        String::new()
                    } else {
                        url.clone()
                    });
                }
                "--token" => {
                    let token = args.next().ok_or("--token needs an agent token")?;
                    launch.token = Some(token.clone());
                }
                other if other.starts_with("--") => {
                    return Err(format!("unknown option `{other}`"));
                }
                folder if launch.folder.is_none() => launch.folder = Some(PathBuf::from(folder)),
                extra => return Err(format!("one folder only, not also `{extra}`")),
            }
        }
        if launch.call.is_none() && !launch.given.is_empty() {
            return Err("--set hands values to a call: give the script with --call".to_owned());
        }
        Ok(launch)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        eprintln!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let launch = match Launch::read(&args) {
        Ok(launch) => launch,
        Err(message) => {
            eprintln!("error: {message}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let mut settings: Settings = files::load_settings();
    match launch.server.as_deref() {
        Some("") => {
            settings.server = None;
            settings.server_token = None;
        }
        Some(url) => settings.server = Some(url.to_owned()),
        None => {}
    }
    if let Some(token) = &launch.token {
        settings.server_token = Some(token.clone());
    }
    let hub = match hub_client(&settings) {
        Ok(hub) => hub,
        Err(message) => {
            eprintln!("error: {message}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let folder = launch
        .folder
        .clone()
        .or_else(|| {
            settings
                .last_folder
                .as_ref()
                .map(PathBuf::from)
                .filter(|f| f.is_dir())
        })
        .unwrap_or_else(|| PathBuf::from("trees"));
    let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
    let tree_folder = match files::DiskFolder::open(folder.clone()) {
        Ok(tree_folder) => tree_folder,
        Err(message) => {
            eprintln!("error: {message}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    // Without a calls folder the app still opens (authors can work), but agent mode says why
    // and starts no call: a call that cannot be kept must not look as if it were.
    let mut relay = None;
    // The relayed calls folder, where sessions taken over through the hub are kept too.
    let mut kept_handoffs = None;
    let (calls, calls_problem): (Box<dyn calltree_calls::AgentCalls>, Option<String>) =
        match calltree_calls::LogFolder::open(&files::calls_folder()) {
            Ok(calls) => match &hub {
                // Each event is saved in the calls folder first, then relayed to the hub.
                Some(client) => match calltree_calls::Relay::start(&calls.dir(), client.clone()) {
                    Ok(started) => {
                        let handle = started.handle();
                        kept_handoffs = Some((calls.clone(), handle.clone()));
                        relay = Some(started);
                        (
                            Box::new(calltree_calls::RelayedCalls::new(calls, handle)),
                            None,
                        )
                    }
                    Err(error) => {
                        eprintln!("warning: calls will not be sent to the server: {error}");
                        (Box::new(calls), None)
                    }
                },
                None => (Box::new(calls), None),
            },
            Err(error) => {
                eprintln!("warning: {error}");
                (
                    Box::new(calltree_calls::MemoryCalls::new()),
                    Some(error.to_string()),
                )
            }
        };
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        eprintln!(
            "error: there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n\
             Run calltree-desktop in a desktop session, or use `calltree run FILE` in a terminal."
        );
        return ExitCode::from(2);
    }
    settings.last_folder = Some(folder.display().to_string());
    let clock = Rc::new(calltree_calls::now);
    let size = settings.window_size_to_open();
    let app = match DesktopApp::new(Box::new(tree_folder), calls, clock, settings) {
        Ok(mut app) => {
            app.settings_changed = true;
            app.agent.calls_problem = calls_problem;
            app.relay = relay;
            if let Some(client) = &hub {
                // Agents run the hub's published versions, looked for every 30 seconds and
                // kept beside the calls, so a restart with the hub away runs the last ones.
                match calltree_calls::HubTrees::start_keeping(
                    client.clone(),
                    std::time::Duration::from_secs(30),
                    Some(files::calls_folder().join(calltree_calls::HUB_TREES_FILE)),
                ) {
                    Ok(trees) => app.hub_trees = Some(trees),
                    Err(error) => eprintln!("warning: published trees are not fetched: {error}"),
                }
            }
            let database = files::session_database_path();
            app.handoffs = Some(match &hub {
                Some(client) => Box::new(match kept_handoffs.take() {
                    Some((folder, handle)) => {
                        calltree_calls::HubHandoffs::keeping(client.clone(), folder, handle)
                    }
                    None => calltree_calls::HubHandoffs::new(client.clone()),
                }),
                None => Box::new(calltree_calls::SessionDatabase::new(database.clone())),
            });
            app.sessions = Some(match &hub {
                // With a hub, Insights read its sessions (every desktop's calls it has, and
                // self-service), each on the version the hub keeps, like `report --server`.
                // They are read on Insights' worker thread; the timeout keeps an absent
                // server from leaving the figures waiting long.
                Some(client) => Box::new(calltree_calls::HubSessions::new(
                    client
                        .clone()
                        .with_timeout(std::time::Duration::from_secs(5)),
                    (*app.versions).clone(),
                )),
                None => {
                    let mut sessions =
                        calltree_calls::StoredSessions::new().with_logs(files::calls_folder());
                    // Reports rebuild sessions on the versions the database keeps, like
                    // `calltree report --db`; without one, on the trees of the folder.
                    if calltree_store::location_exists(&database) {
                        match calltree_store::Store::open(&database) {
                            Ok(store) => {
                                app.versions =
                                    Arc::new(calltree_calls::Versions::with_store(store.clone()));
                                sessions = sessions.with_database(store);
                            }
                            Err(error) => {
                                eprintln!("warning: the session database is not read: {error}");
                            }
                        }
                    }
                    Box::new(sessions)
                }
            });
            // Charts' CSV files go to the home folder unless the lead types another path.
            if let Some(home) = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))
            {
                app.insights.export_folder = PathBuf::from(home);
            }
            if let Some(tree) = &launch.call {
                app.set_mode(calltree_editor::settings::Mode::Agent);
                app.agent.handed_in = launch.given.clone();
                let store = app.calls.store();
                app.agent.call_on(tree, store);
            }
            app
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("calltree: {}", folder.display()))
            .with_inner_size(size)
            .with_min_inner_size(MIN_WINDOW_SIZE),
        ..eframe::NativeOptions::default()
    };
    match eframe::run_native(
        "calltree",
        options,
        Box::new(move |creation| {
            // Arabic, Hebrew and CJK come from the machine's fonts, read when first needed.
            calltree_editor::fonts::SystemFonts::in_folder(calltree_editor::fonts::DEBIAN_FONTS)
                .install(&creation.egui_ctx);
            Ok(Box::new(Window { app }))
        }),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the window could not be opened: {error}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Launch;

    fn read(args: &[&str]) -> Result<Launch, String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        Launch::read(&args)
    }

    #[test]
    fn a_screen_pop_names_the_script_and_its_values() {
        let launch = read(&["trees", "--call", "popped", "--set", "account=12345678"]);
        let launch = launch.unwrap_or_default();
        assert_eq!(launch.folder, Some(std::path::PathBuf::from("trees")));
        assert_eq!(launch.call.as_deref(), Some("popped"));
        assert_eq!(launch.given.len(), 1);
        assert_eq!(launch.given[0].field, "account");
        assert_eq!(launch.given[0].value, "12345678");
    }

    #[test]
    fn a_command_line_that_cannot_be_followed_says_why() {
        assert!(read(&["--set", "account=1"]).is_err_and(|e| e.contains("--call")));
        assert!(read(&["--call"]).is_err());
        assert!(
            read(&["--call", "t", "--set", "account"]).is_err_and(|e| e.contains("NAME=VALUE"))
        );
        assert!(read(&["a", "b"]).is_err());
        assert!(read(&["--calls"]).is_err());
        assert!(read(&["--server"]).is_err());
    }

    #[test]
    fn a_server_is_read_and_off_forgets_it() {
        let launch = read(&["--server", "http://hub:8080", "--token", "ct_x"]).unwrap_or_default();
        assert_eq!(launch.server.as_deref(), Some("http://hub:8080"));
        assert_eq!(launch.token.as_deref(), Some("ct_x"));
        let off = read(&["--server", "off"]).unwrap_or_default();
        assert_eq!(off.server.as_deref(), Some(""));
    }
}
