//! The calltree desktop app's views, testable without a window (`egui_kittest`): agent mode
//! (find a script, step through a call, summary). The binary owns the window, the files and
//! the persistence; this library owns what is drawn and how input becomes call events.

pub mod agent;
pub mod app;
pub mod store;

pub use agent::{Agent, Call, Clock, Dialog, Picker, Screen};
pub use app::DesktopApp;
pub use store::{CallId, CallStore, MemoryStore, StoreError};
