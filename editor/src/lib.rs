//! The calltree desktop app's views, testable without a window (`egui_kittest`): author mode
//! (edit, check, draw, preview and test trees), agent mode (find a script, step through a
//! call, summary) and Insights. The binary owns the window, the files and the persistence;
//! this library owns what is drawn and which step the agent's input is. How a step becomes
//! stored events is the host kit's (`calltree-calls`), the same for every host.

pub mod agent;
pub mod app;
pub mod author;
mod error;
pub mod fonts;
pub mod insights;
pub mod look;
pub mod published;
pub mod settings;

pub use agent::{Agent, CallScreen, Clock, Dialog, Picker, Screen};
pub use app::DesktopApp;
pub use author::{Author, MemoryFolder, TreeFolder};
pub use error::EditorError;
pub use insights::Insights;
pub use settings::{Mode, Settings, Theme};
