//! Agent mode: find a script fast, then step through it on a live call.
//!
//! A call on screen is a host kit `Call`: its session lives as long as the call is on screen,
//! so drawing a frame folds nothing. Each action becomes a `Step` that the call records (worked
//! out, stored durably, only then applied); what the screen shows has always been saved first.
//!
//! - `picker.rs`: the script search, unfinished calls and the handoff code;
//! - `call_screen.rs`: a call on screen and how input becomes steps;
//! - `keys.rs`: every key of agent mode, in one place;
//! - `header.rs`, `step.rs`, `captured.rs`, `actions.rs`, `dialog.rs`, `finished.rs`: the
//!   panels of the call screen, each drawing one part of it;
//! - `rtl.rs`: the customer's words of a right-to-left call laid out right to left.

mod actions;
mod call_screen;
mod captured;
mod dialog;
mod finished;
mod header;
mod keys;
mod picker;
mod rtl;
mod step;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use calltree_calls::{AgentCalls, Call, CallStore, CallsError, Handoffs};
use calltree_engine::{Event, Given, Project, TreeId};
use calltree_syntax::Audience;

pub(crate) use call_screen::{CallOutcome, call_ui};
pub use call_screen::{CallScreen, Dialog};
pub use picker::Picker;

/// What the agent is doing: choosing a script, or on a call.
pub enum Screen {
    Picker(Picker),
    Call(Box<CallScreen>),
}

/// Milliseconds since the Unix epoch; the host's clock, passed into every event.
pub type Clock = Rc<dyn Fn() -> i64>;

pub struct Agent {
    pub project: Arc<Project>,
    pub screen: Screen,
    /// Ids of the scripts used lately, most recent first.
    pub recent: Vec<String>,
    /// Why the last call could not be started or resumed.
    pub notice: Option<String>,
    /// Answers from a call ended as the wrong script, for the next call started.
    pub carried: HashMap<String, String>,
    /// Values handed in from outside (a phone system's screen-pop on the command line) for
    /// the `given` fields of the next call started.
    pub handed_in: Vec<Given>,
    /// Why calls cannot be kept on this machine (the calls folder cannot be written, or
    /// another app has it): no call starts while it is set.
    pub calls_problem: Option<String>,
    /// The time zone times are shown in: the machine's, or a fixed one in tests.
    pub time_zone: jiff::tz::TimeZone,
    /// The language the next call starts in (the picker's "Call in"), `None` for the
    /// script's own. What the customer hears and sees is in it; the agent's guidance is not.
    pub call_locale: Option<String>,
    clock: Clock,
}

impl Agent {
    pub fn new(project: Arc<Project>, clock: Clock) -> Self {
        Agent {
            project,
            screen: Screen::Picker(Picker::default()),
            recent: Vec::new(),
            notice: None,
            carried: HashMap::new(),
            handed_in: Vec::new(),
            calls_problem: None,
            time_zone: jiff::tz::TimeZone::system(),
            call_locale: None,
            clock,
        }
    }

    /// The trees an agent can run, matching the search in title, id, tags or description.
    pub fn matches(&self, query: &str) -> Vec<TreeId> {
        let query = query.trim().to_lowercase();
        self.project
            .trees()
            .filter(|(_, tree)| tree.serves(Audience::Agent) && tree.start.is_some())
            // Agents also know scripts by their ids; customers never see those.
            .filter(|(_, tree)| {
                tree.described_by(&query) || tree.name.to_lowercase().contains(&query)
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// Starts a call on a tree: the `Started` event is stored before the call is shown.
    /// Answers carried over from a wrong script fill the boxes of fields with the same name.
    pub fn start(&mut self, tree: TreeId, store: Box<dyn CallStore>) -> Result<(), CallsError> {
        self.start_with(tree, Vec::new(), store)
    }

    /// Starts a call with values for the tree's `given` fields, checked as answers are; on a
    /// refusal nothing is stored and the picker stays.
    pub fn start_with(
        &mut self,
        tree: TreeId,
        given: Vec<Given>,
        store: Box<dyn CallStore>,
    ) -> Result<(), CallsError> {
        // A script without a translation into the chosen language runs in its own words,
        // and the agent is told so before saying a word.
        let locale = self.call_locale.clone().filter(|wanted| {
            calltree_engine::translation::best_locale(&self.project.tree_locales(tree), wanted)
                .is_some()
        });
        let untranslated = self.call_locale.is_some() && locale.is_none();
        let project = match &locale {
            Some(locale) => Arc::new(self.project.in_locale_for_agent(locale)),
            None => Arc::clone(&self.project),
        };
        let call = Call::start_in_locale(
            project,
            tree,
            Audience::Agent,
            (self.clock)(),
            given,
            locale,
            store,
        )?;
        self.handed_in.clear();
        let message = untranslated.then(|| {
            format!(
                "This script has no {} translation: the call is in its own words.",
                self.call_locale.as_deref().unwrap_or_default()
            )
        });
        let name = self.project.tree(tree).name.clone();
        self.recent.retain(|r| *r != name);
        self.recent.insert(0, name);
        let mut screen = CallScreen::new(call);
        screen.carried = std::mem::take(&mut self.carried);
        screen.message = message;
        self.screen = Screen::Call(Box::new(screen));
        Ok(())
    }

    /// Starts a call on the tree named `name` with the values handed in (the desktop's
    /// `--call TREE --set NAME=VALUE`, for a phone system's screen-pop): at once when they
    /// fit, else the start dialog opens with them and says what is wrong.
    pub fn call_on(&mut self, name: &str, store: Box<dyn CallStore>) {
        let Some(tree) = self.project.tree_by_name(name) else {
            self.notice = Some(format!(
                "There is no script called `{name}` in this folder."
            ));
            return;
        };
        let given = self.handed_in.clone();
        if let Err(error) = self.start_with(tree, given, store) {
            let mut starting = picker::Starting::new(&self.project, tree, &self.handed_in);
            starting.problem = Some(error.to_string());
            self.screen = Screen::Picker(Picker::starting(starting));
        }
    }

    /// Continues a stored call, refusing it clearly if the tree changed since it started.
    pub fn resume(&mut self, id: &str, calls: &mut dyn AgentCalls) -> Result<(), CallsError> {
        let events: Vec<Event> = calls.reopen(id)?;
        // A call started in another language goes on in it.
        let project = match events.first() {
            Some(Event::Started {
                locale: Some(locale),
                ..
            }) => Arc::new(self.project.in_locale_for_agent(locale)),
            _ => Arc::clone(&self.project),
        };
        let call = Call::resume(id.to_owned(), project, events, calls.store())?;
        self.screen = Screen::Call(Box::new(CallScreen::new(call)));
        Ok(())
    }

    /// Takes over a customer's session: from here it is this agent's call, where the
    /// customer left it, with their answers.
    pub fn take_over(&mut self, code: &str, handoffs: &mut dyn Handoffs) -> Result<(), CallsError> {
        let call = handoffs.take_over(code.trim(), (self.clock)())?;
        self.screen = Screen::Call(Box::new(CallScreen::new(call)));
        Ok(())
    }

    /// Draws agent mode and handles its input.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        calls: &mut dyn AgentCalls,
        handoffs: Option<&mut dyn Handoffs>,
    ) {
        match &mut self.screen {
            Screen::Picker(_) => {
                egui::CentralPanel::default().show(ui, |ui| self.picker_ui(ui, calls, handoffs));
            }
            Screen::Call(call) => match call_ui(ui, call, &self.clock) {
                CallOutcome::Stay => {}
                CallOutcome::Close => self.screen = Screen::Picker(Picker::default()),
                CallOutcome::WrongScript(carried) => {
                    self.notice = Some(format!(
                        "Wrong script: pick the right one. The {} answer(s) given so far are filled in where the new script asks the same.",
                        carried.len()
                    ));
                    self.carried = carried;
                    self.screen = Screen::Picker(Picker::default());
                }
            },
        }
    }
}
