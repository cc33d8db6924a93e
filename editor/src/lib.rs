//! The calltree desktop app's views, testable without a window (`egui_kittest`): author mode
//! (edit, check, draw, preview and test trees) and agent mode (find a script, step through a
//! call, summary). The binary owns the window, the files and
//! the persistence; this library owns what is drawn and how input becomes call events.

pub mod agent;
pub mod app;
pub mod author;
mod error;
pub mod insights;
pub mod settings;
pub mod store;

pub use agent::{Agent, Call, Clock, Dialog, HandedOff, Handoffs, Picker, Screen};
pub use app::DesktopApp;
pub use author::{Author, MemoryFolder, TreeFolder};
pub use error::EditorError;
pub use insights::{Insights, SessionSource};
pub use settings::{Mode, Settings, Theme};
pub use store::{CallId, CallStore, MemoryStore};
