//! The whole app as one view: what the binary shows in its window and tests drive headless.

use std::sync::Arc;

use calltree_engine::Project;

use crate::agent::{Agent, Clock};
use crate::store::CallStore;

pub struct DesktopApp {
    pub agent: Agent,
    pub store: Box<dyn CallStore>,
    /// Problems loading the trees, shown once at the top.
    pub load_problems: usize,
}

impl DesktopApp {
    pub fn new(project: Arc<Project>, store: Box<dyn CallStore>, clock: Clock) -> Self {
        let load_problems = project
            .all_diagnostics()
            .filter(|(_, d)| d.is_error())
            .count();
        DesktopApp {
            agent: Agent::new(project, clock),
            store,
            load_problems,
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.load_problems > 0 {
            let problems = self.load_problems;
            egui::Panel::top("load_problems").show(ui, |ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{problems} problem(s) in the trees: run `calltree check` on the folder; scripts with errors may not run"
                    ),
                );
            });
        }
        self.agent.ui(ui, self.store.as_mut());
    }
}
