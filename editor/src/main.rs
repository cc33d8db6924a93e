//! The calltree desktop app: opens a folder of trees and lets an agent run calls, keeping
//! every event on disk as it happens.

#![allow(
    clippy::print_stderr,
    reason = "a desktop program reports start-up failures on stderr"
)]

mod files;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use calltree_editor::DesktopApp;

fn usage() -> &'static str {
    "usage: calltree-desktop [FOLDER]   (a folder of .tree files; default: ./trees)\n\
     Calls are saved as they happen under $XDG_DATA_HOME/calltree/calls (or ~/.local/share/calltree/calls);\n\
     set CALLTREE_CALLS to use another folder."
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        eprintln!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let folder = args
        .first()
        .map_or_else(|| PathBuf::from("trees"), PathBuf::from);
    let project = match files::load_folder(&folder) {
        Ok(project) => project,
        Err(message) => {
            eprintln!("error: {message}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let store = match files::FileStore::open(files::calls_folder()) {
        Ok(store) => store,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
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
    let clock = Box::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    });
    let mut app = DesktopApp::new(Arc::new(project), Box::new(store), clock);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("calltree")
            .with_inner_size([960.0, 720.0]),
        ..eframe::NativeOptions::default()
    };
    match eframe::run_ui_native("calltree", options, move |ui, _frame| app.ui(ui)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the window could not be opened: {error}");
            ExitCode::from(2)
        }
    }
}
