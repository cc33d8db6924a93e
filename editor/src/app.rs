//! The whole app as one view: what the binary shows in its window and tests drive headless.
//! A bar at the top switches between author mode and agent mode and holds the settings.

use std::sync::Arc;

use calltree_calls::{AgentCalls, Handoffs, Versions};
use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use crate::agent::{Agent, Clock, Screen};
use crate::author::{Author, TreeFolder};
use crate::error::EditorError;
use crate::insights::Insights;
use crate::published::Published;
use crate::settings::{Mode, Settings, TEXT_SCALES, TextSizeSync, Theme};

pub struct DesktopApp {
    pub author: Author,
    pub agent: Agent,
    /// Where this agent's calls are kept.
    pub calls: Box<dyn AgentCalls>,
    /// Customers' self-service sessions, when a session database is configured.
    pub handoffs: Option<Box<dyn Handoffs>>,
    /// Sends the calls on to the hub (`--server`), when there is one.
    pub relay: Option<calltree_calls::Relay>,
    /// The trees the hub published, fetched in the background: with a hub, agents run only
    /// these, and take a new version between calls.
    pub hub_trees: Option<calltree_calls::HubTrees>,
    /// Stored sessions for the Insights view. It is read on a worker thread, which holds it
    /// while reading.
    pub sessions: Option<crate::insights::Source>,
    /// The tree versions sessions ran on, beyond the trees in the folder (the session
    /// database's, when there is one).
    pub versions: Arc<Versions>,
    pub insights: Insights,
    pub settings: Settings,
    /// Set when a setting changed, for the binary to store them.
    pub settings_changed: bool,
    /// The palettes are put into egui's themes on the first frame.
    looks_applied: bool,
    /// Keeps egui's zoom and `settings.text_scale` in step.
    text_size: TextSizeSync,
    /// What agents run: the newest saved version of each file that checks clean.
    pub published: Published,
    /// When the saved files were last looked at for agents (milliseconds).
    published_at: i64,
    clock: Clock,
}

impl DesktopApp {
    pub fn new(
        folder: Box<dyn TreeFolder>,
        calls: Box<dyn AgentCalls>,
        clock: Clock,
        settings: Settings,
    ) -> Result<Self, EditorError> {
        let author = Author::new(folder, Clock::clone(&clock))?;
        // Author mode checks its texts on a worker; loading them here as well for agents
        // would hold the window shut for as long as a big tree takes to check.
        let published = if settings.mode == Mode::Author {
            Published::nothing_yet()
        } else {
            Published::new(
                author.documents.saved_inputs(),
                author.documents.translations(),
            )
        };
        let agent = Agent::new(Arc::clone(&published.project), Clock::clone(&clock));
        Ok(DesktopApp {
            author,
            agent,
            calls,
            handoffs: None,
            relay: None,
            hub_trees: None,
            sessions: None,
            versions: Arc::new(Versions::new()),
            insights: Insights::default(),
            settings,
            settings_changed: false,
            looks_applied: false,
            text_size: TextSizeSync::default(),
            published,
            published_at: 0,
            clock,
        })
    }

    /// Switches mode; agents get the newest saved trees when no call is on screen.
    pub fn set_mode(&mut self, mode: Mode) {
        if self.settings.mode != mode {
            self.settings.mode = mode;
            self.settings_changed = true;
        }
        if mode != Mode::Author {
            self.publish();
        }
    }

    /// Agents pick up the newest clean saves between calls, never during one.
    fn publish(&mut self) {
        self.published_at = (self.clock)();
        if !matches!(self.agent.screen, Screen::Picker(_)) {
            return;
        }
        // With a hub, agents run what it published (once fetched), not the folder.
        let (inputs, translations) = match &self.hub_trees {
            Some(hub) => match hub.inputs() {
                Some(inputs) => inputs,
                None => return,
            },
            None => (
                self.author.documents.saved_inputs(),
                self.author.documents.translations(),
            ),
        };
        if self.published.update(inputs, translations) {
            self.agent.project = Arc::clone(&self.published.project);
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if !self.looks_applied {
            crate::look::apply(ui.ctx());
            self.looks_applied = true;
        }
        self.settings.apply(ui.ctx());
        if ui.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::M)))
        {
            let other = match self.settings.mode {
                Mode::Author => Mode::Agent,
                Mode::Agent => Mode::Insights,
                Mode::Insights => Mode::Author,
            };
            self.set_mode(other);
        }
        // Ctrl+plus and Ctrl+minus change egui's zoom directly; remember what they chose, and
        // ask egui for the size the menu chose.
        let (ask, chosen) = self
            .text_size
            .step(&mut self.settings.text_scale, ui.ctx().zoom_factor());
        if let Some(zoom) = ask {
            ui.ctx().set_zoom_factor(zoom);
        }
        if chosen {
            self.settings_changed = true;
        }
        egui::Panel::top("app_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("calltree").strong());
                ui.separator();
                for (mode, label, hint) in [
                    (
                        Mode::Author,
                        "Author",
                        "write and test trees (Ctrl+M switches)",
                    ),
                    (Mode::Agent, "Agent", "take calls (Ctrl+M switches)"),
                    (
                        Mode::Insights,
                        "Insights",
                        "what happened on calls and self-service (Ctrl+M switches)",
                    ),
                ] {
                    if ui
                        .selectable_label(self.settings.mode == mode, label)
                        .on_hover_text(hint)
                        .clicked()
                    {
                        self.set_mode(mode);
                    }
                }
                ui.separator();
                ui.menu_button("View", |ui| {
                    ui.label("Theme");
                    for (theme, label) in [
                        (Theme::System, "Like the system"),
                        (Theme::Light, "Light"),
                        (Theme::Dark, "Dark"),
                    ] {
                        if ui.radio(self.settings.theme == theme, label).clicked() {
                            self.settings.theme = theme;
                            self.settings_changed = true;
                        }
                    }
                    ui.separator();
                    ui.label("Text size (Ctrl+plus, Ctrl+minus)");
                    let mut scale = self.settings.text_scale;
                    let slider = ui.add(
                        egui::Slider::new(&mut scale, TEXT_SCALES.0..=TEXT_SCALES.1)
                            .step_by(0.1)
                            .custom_formatter(|v, _| format!("{:.0}%", v * 100.0)),
                    );
                    if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
                        self.settings.text_scale = scale;
                        self.settings_changed = true;
                    }
                });
            });
        });
        if self.settings.mode != Mode::Author {
            // Edits left in author mode are still autosaved, and the disk still watched.
            self.author.tick();
            if self.author.documents.any_dirty() {
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(500));
            }
        }
        match self.settings.mode {
            Mode::Author => self.author.ui(ui),
            Mode::Insights => {
                let project = Arc::clone(&self.agent.project);
                // Sessions run on the trees agents have now are rebuilt on them; older
                // versions come from the session database, as for `calltree report --db`.
                self.versions.add(&project);
                let now = (self.clock)();
                egui::CentralPanel::default().show(ui, |ui| {
                    self.insights
                        .ui(ui, &project, &mut self.sessions, &self.versions, now);
                });
            }
            Mode::Agent => {
                if (self.clock)() - self.published_at >= 1_000 {
                    self.publish();
                }
                let banner = self.published.banner();
                if !banner.is_empty() {
                    egui::Panel::top("held_back").show(ui, |ui| {
                        for line in banner {
                            ui.colored_label(ui.visuals().warn_fg_color, line);
                        }
                    });
                }
                if let Some(relay) = &self.relay {
                    unsent_banner(ui, relay);
                }
                let handoffs = self
                    .handoffs
                    .as_mut()
                    .map(|h| -> &mut dyn Handoffs { h.as_mut() });
                self.agent.ui(ui, self.calls.as_mut(), handoffs);
            }
        }
    }
}

/// "n events not yet sent" while the hub has not acknowledged every event of this desktop's
/// calls (they are safe on this disk meanwhile), with why on hover. The relay counts on a
/// thread of its own, so the screen looks again every second.
/// A call the server refused for good (its copy under the call's id is not this call) is
/// named too: it is not sent again, and its log stays on this computer.
fn unsent_banner(ui: &mut egui::Ui, relay: &calltree_calls::Relay) {
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(1));
    let refused = relay.refused();
    if !refused.is_empty() {
        let text = if refused.len() == 1 {
            "The server refused 1 call; it is kept on this computer, not sent again".to_owned()
        } else {
            format!(
                "The server refused {} calls; they are kept on this computer, not sent again",
                refused.len()
            )
        };
        let why: Vec<String> = refused
            .iter()
            .map(|(call, message)| format!("{call}: {message}"))
            .collect();
        egui::Panel::top("refused").show(ui, |ui| {
            ui.colored_label(ui.visuals().warn_fg_color, text)
                .on_hover_text(why.join("\n"));
        });
    }
    let unsent = relay.unsent();
    if unsent == 0 {
        return;
    }
    let text = if unsent == 1 {
        "1 event not yet sent to the server (it is saved on this computer)".to_owned()
    } else {
        format!("{unsent} events not yet sent to the server (they are saved on this computer)")
    };
    egui::Panel::top("unsent").show(ui, |ui| {
        let label = ui.colored_label(ui.visuals().warn_fg_color, text);
        if let Some(problem) = relay.problem() {
            label.on_hover_text(problem);
        }
    });
}
