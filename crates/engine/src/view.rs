//! What a screen shows now, and the call summary: plain data every host renders the same way.

use calltree_syntax::Audience;
use serde::Serialize;

use std::ops::Deref;

use crate::model::{Exit, NodeKind, OutcomeKind, Slot, VariableKind};
use crate::project::Project;
use crate::session::{
    AsOf, EndCause, Left, Millis, Session, State, display, input_text, render, render_into,
};
use crate::show::show_line;
use crate::value::Type;

/// Which kind of text a line is, so hosts can set agent guidance apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextRole {
    /// The line to say (agents) or to read (customers).
    Say,
    /// Guidance only agents see.
    Agent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownText {
    pub role: TextRole,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionView {
    /// The option's position in the node, for the `Chose` event.
    pub index: u16,
    pub label: String,
    pub enabled: bool,
    /// Why a disabled option cannot be chosen.
    pub reason: Option<String>,
    /// The number key (1 to 9) that chooses it, counted among the options shown.
    pub key: Option<u8>,
}

/// The kind of input a field needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InputKind {
    Text,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    YesNo,
    Date,
    Choice {
        values: Vec<ChoiceView>,
    },
    /// Any number of the values may be ticked: checkboxes. The field's `value` lists the
    /// ticked words separated by `, `, and an answer is given the same way.
    Checklist {
        values: Vec<ChoiceView>,
    },
    Rating {
        min: f64,
        max: f64,
    },
    Comment,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceView {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub input: InputKind,
    pub required: bool,
    /// The current value as text, ready to put back in an input box.
    pub value: Option<String>,
    /// What the field's pattern accepts, in the author's words: a hint to show by the box.
    pub hint: Option<String>,
    /// What a text field holds, when its pattern or its words say so: hosts pick the
    /// keyboard and the browser's autofill by it.
    pub purpose: Option<Purpose>,
    /// The longest answer the step accepts, in characters ([`crate::MAX_ANSWER_CHARS`]).
    pub max_chars: usize,
}

/// What a text field holds, as far as its pattern and its words tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Email,
    Phone,
    /// Digits only (an account number): the number pad suits it, though it is not a number.
    Digits,
}

impl Purpose {
    /// Guesses from the pattern (as written) and its words. Wrong guesses cost little (a
    /// keyboard), so this stays simple: an `@` in the pattern or "email" in the words is an
    /// email address; "phone", "mobile" or "telephone" in the label or words a phone number;
    /// a pattern of digits only (`[0-9]{8}`, `\d+`) digits.
    fn of(pattern: &str, words: &str) -> Option<Purpose> {
        let words = words.to_lowercase();
        if pattern.contains('@') || words.contains("email") || words.contains("e-mail") {
            return Some(Purpose::Email);
        }
        if ["phone", "mobile", "telephone"]
            .iter()
            .any(|w| words.contains(w))
        {
            return Some(Purpose::Phone);
        }
        let digits_only = pattern
            .replace("[0-9]", "")
            .replace("\\d", "")
            .chars()
            .all(|c| matches!(c, '{' | '}' | ',' | '+' | '*' | '?' | '(' | ')' | '0'..='9'));
        let has_digit_class = pattern.contains("[0-9]") || pattern.contains("\\d");
        (has_digit_class && digits_only).then_some(Purpose::Digits)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actions {
    pub back: bool,
    /// A Continue button: the single way forward.
    #[serde(rename = "continue")]
    pub go_on: bool,
    /// Passing over the step for a reason: an agent's call, never a customer's.
    pub skip: bool,
    /// Handing the call on (for a customer: asking for a person).
    pub escalate: bool,
    /// Writing a note for the call summary: agents only, a customer has no call notes.
    pub note: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crumb {
    pub node: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndView {
    pub outcome: Option<OutcomeKind>,
    pub to: Option<String>,
    /// The ending's name in the author's words, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub code: Option<String>,
    pub reason: Option<String>,
    /// Why the host ended the call, when it did.
    pub cause: Option<EndCause>,
}

/// Everything one screen of a call shows, for one audience.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub tree: String,
    pub node: String,
    pub title: String,
    pub feedback: bool,
    pub texts: Vec<ShownText>,
    pub options: Vec<OptionView>,
    pub fields: Vec<FieldView>,
    pub actions: Actions,
    pub breadcrumb: Vec<Crumb>,
    pub ended: Option<EndView>,
    /// Set when the tree is broken at this step; hosts show it instead of a way forward.
    pub stuck: Option<String>,
    /// How far the call has come and about how far it has to go.
    pub progress: Progress,
    /// The steps passed over on arrival (entry skips) on the way here since the last step
    /// shown, each with its title and why: hosts announce them as the call moves on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<(String, String)>,
}

/// How far a call has come: the steps shown so far (this one included), and the fewest steps
/// from here to an ending (this one and the ending included), when one can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub left: Option<u32>,
}

/// What people typed, as a summary or a screen shows it: on one line, hidden characters
/// named (see [`show_line`]).
fn shown(text: &str) -> String {
    show_line(text).into_owned()
}

/// One step of the call summary: the step, the answers given there, and how the call moved
/// on ("Online? — Can the customer get online?: no — chose Book an engineer").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepLine {
    pub node: String,
    pub title: String,
    /// Label and value of each answer given at this step, the last for a field answered
    /// twice, in the order first given.
    pub answers: Vec<(String, String)>,
    /// The label of the option chosen here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chose: Option<String>,
    /// The reason given for skipping the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Why the step was passed over on arrival (an entry skip, in words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<String>,
}

impl StepLine {
    /// The step on one line: `Title — Label: value; … — chose Option`. Dashes, not arrows:
    /// every host's font has them.
    pub fn to_line(&self) -> String {
        use std::fmt::Write as _;
        let mut line = self.title.clone();
        if let Some(because) = &self.passed {
            let _ = write!(line, " — passed over because {because}");
            return line;
        }
        for (index, (label, value)) in self.answers.iter().enumerate() {
            line.push_str(if index == 0 { " — " } else { "; " });
            let _ = write!(line, "{label}: {value}");
        }
        if let Some(chose) = &self.chose {
            let _ = write!(line, " — chose {chose}");
        }
        if let Some(reason) = &self.skipped {
            let _ = write!(line, " — skipped: {reason}");
        }
        line
    }
}

/// The call summary: ready for the CRM, the handoff to a specialist, and the reports. Every
/// text in it that people typed (answers, notes, reasons) is on one line with hidden
/// characters named ([`show_line`]), so pasting it anywhere shows only what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub tree: String,
    pub title: String,
    pub audience: Audience,
    pub path: Vec<Crumb>,
    /// Each step the call stopped at or passed over, in order, with what was done there.
    pub steps: Vec<StepLine>,
    /// Label and value of every answered field, in the order they were first answered.
    pub answers: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub skipped: Vec<(String, String)>,
    /// Steps passed over on arrival by an entry skip, and why, in the order they were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<(String, String)>,
    pub outcome: Option<EndView>,
    pub started_at: i64,
    pub last_at: i64,
}

impl Summary {
    /// Plain text for pasting into a CRM.
    pub fn to_plain_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "Call summary: {}", self.title);
        match &self.outcome {
            Some(end) => {
                let mut line = end
                    .outcome
                    .map_or("finished".to_owned(), |o| o.name().to_owned());
                if let Some(to) = &end.to {
                    let _ = write!(line, " to {to}");
                }
                if let Some(code) = &end.code {
                    let _ = write!(line, " (code {code})");
                }
                let _ = writeln!(out, "Outcome: {line}");
                if let Some(result) = &end.result {
                    let _ = writeln!(out, "Result: {result}");
                }
                if let Some(reason) = &end.reason {
                    let _ = writeln!(out, "Reason: {reason}");
                }
            }
            None => {
                let _ = writeln!(out, "Outcome: still in progress");
            }
        }
        let length = u64::try_from(self.last_at.saturating_sub(self.started_at)).unwrap_or(0);
        let _ = writeln!(out, "Duration: {}", crate::show::show_duration(length));
        if !self.answers.is_empty() {
            let _ = writeln!(out, "\nDetails:");
            for (label, value) in &self.answers {
                let _ = writeln!(out, "- {label}: {value}");
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "\nSkipped:");
            for (step, reason) in &self.skipped {
                let _ = writeln!(out, "- {step}: {reason}");
            }
        }
        if !self.steps.is_empty() {
            let _ = writeln!(out, "\nSteps:");
            for step in &self.steps {
                let _ = writeln!(out, "- {}", step.to_line());
            }
        }
        let steps: Vec<&str> = self.path.iter().map(|c| c.title.as_str()).collect();
        let _ = writeln!(out, "\nPath: {}", steps.join(" > "));
        out
    }
}

/// The lines a step shows its audience: customers their own wording where the step has it;
/// agents the `say` lines, or the customer wording where a step has only that (a step of a
/// customer's tree that an agent took over).
fn spoken(node: &crate::model::Node, audience: Audience) -> &[crate::model::Template] {
    let customer_first = audience == Audience::Customer || node.say.is_empty();
    if customer_first && !node.customer.is_empty() {
        &node.customer
    } else {
        &node.say
    }
}

/// A state of a call on its project: what the views are drawn from, for a session or for a
/// preview of typed answers.
pub(crate) struct Scene<'a> {
    pub project: &'a Project,
    pub state: &'a State,
    pub can_go_back: bool,
    /// The moment the step is shown, for conditions on time; the latest event's when `None`.
    pub now: Option<Millis>,
}

impl<P: Deref<Target = Project>> Session<P> {
    fn scene(&self) -> Scene<'_> {
        Scene {
            project: self.project(),
            state: self.state(),
            can_go_back: self.can_go_back(),
            now: None,
        }
    }

    /// Appends the current step's text for the session's audience to `out`, paragraphs
    /// separated by line breaks. Allocation-free when `out` has room: for hosts that redraw
    /// often, and for measuring.
    pub fn render_text(&self, out: &mut String) {
        self.scene().render_text(out);
    }

    /// Positions of the options that can be chosen now by the session's audience.
    pub fn enabled_options(&self) -> impl Iterator<Item = u16> + '_ {
        let state = self.state();
        let options = match &self.project().node(state.node).exit {
            Exit::Options(options) if state.ending.is_none() => options.as_slice(),
            _ => &[],
        };
        options
            .iter()
            .enumerate()
            .filter_map(move |(index, option)| {
                let enabled = option.visible_to(state.audience)
                    && option.guard.as_ref().is_none_or(|g| g.holds(state));
                enabled.then(|| u16::try_from(index).unwrap_or(u16::MAX))
            })
    }

    /// Positions of the options that can be chosen at `now` (conditions on time counted up
    /// to it), by the session's audience: what a walk may choose after time has passed.
    pub(crate) fn enabled_options_at(&self, now: Millis) -> Vec<u16> {
        let state = self.state();
        let at = AsOf { state, now };
        let options = match &self.project().node(state.node).exit {
            Exit::Options(options) if state.ending.is_none() => options.as_slice(),
            _ => &[],
        };
        options
            .iter()
            .enumerate()
            .filter(|(_, option)| {
                option.visible_to(state.audience)
                    && option.guard.as_ref().is_none_or(|g| g.holds(&at))
            })
            .map(|(index, _)| u16::try_from(index).unwrap_or(u16::MAX))
            .collect()
    }

    /// What the screen shows, as of the latest event.
    pub fn view(&self) -> View {
        self.scene().view()
    }

    /// What the screen shows at `now` (the host's clock): the same as [`Session::view`]
    /// except that conditions on time (`minutes_in_call()`) count up to `now`, so an option
    /// that opens after half an hour is offered once half an hour has passed, although
    /// nothing has happened in the call since.
    pub fn view_at(&self, now: Millis) -> View {
        Scene {
            now: Some(now),
            ..self.scene()
        }
        .view()
    }

    /// The call summary as it stands.
    pub fn summary(&self) -> Summary {
        self.scene().summary()
    }
}

impl Scene<'_> {
    fn render_text(&self, out: &mut String) {
        let project = self.project;
        let state = self.state;
        let node = project.node(state.node);
        let texts = spoken(node, state.audience);
        for (index, template) in texts.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            render_into(project, state, template, out);
        }
    }

    pub(crate) fn view(&self) -> View {
        let project = self.project;
        let state = self.state;
        let node = project.node(state.node);
        let audience = state.audience;
        let finished = state.ending.is_some();

        let mut texts = Vec::new();
        let say = spoken(node, audience);
        // A call escalated or ended from a step shows no more of that step: its line was
        // for going on, and would read as the ending's.
        let left_early = state.ending.as_ref().is_some_and(|e| !e.by_the_tree());
        let say: &[_] = if left_early { &[] } else { say };
        let agent: &[_] = if left_early { &[] } else { &node.agent };
        for template in say {
            texts.push(ShownText {
                role: TextRole::Say,
                text: render(project, state, template),
            });
        }
        if audience == Audience::Agent {
            for template in agent {
                texts.push(ShownText {
                    role: TextRole::Agent,
                    text: render(project, state, template),
                });
            }
        }

        let mut options = Vec::new();
        if let Exit::Options(list) = &node.exit
            && !finished
        {
            let mut key = 0u8;
            for (index, option) in list.iter().enumerate() {
                if !option.visible_to(audience) {
                    continue;
                }
                let at = AsOf {
                    state,
                    now: self.now.unwrap_or(state.last_at),
                };
                let enabled = option.guard.as_ref().is_none_or(|g| g.holds(&at));
                // Customers are not shown what they cannot choose; agents see why.
                if !enabled && audience == Audience::Customer {
                    continue;
                }
                key += 1;
                options.push(OptionView {
                    index: u16::try_from(index).unwrap_or(u16::MAX),
                    label: render(project, state, &option.label),
                    enabled,
                    reason: (!enabled).then(|| {
                        format!(
                            "needs {}",
                            option.guard_words.as_deref().unwrap_or("a condition")
                        )
                    }),
                    key: (key <= 9).then_some(key),
                });
            }
        }

        let agent = audience == Audience::Agent;
        let fields = if finished {
            Vec::new()
        } else {
            node.asks
                .iter()
                .filter_map(|(slot, _)| self.field_view(*slot))
                .collect()
        };

        let single_way = matches!(
            node.exit,
            Exit::Continue(_) | Exit::Call { .. } | Exit::Return
        );
        View {
            tree: project.tree(state.current_tree()).name.clone(),
            node: node.name.clone(),
            title: node
                .title
                .as_ref()
                .map_or_else(|| node.name.clone(), |t| render(project, state, t)),
            feedback: node.kind == NodeKind::Feedback,
            texts,
            options,
            fields,
            actions: Actions {
                back: self.can_go_back,
                go_on: !finished && single_way && state.stuck.is_none(),
                skip: agent && !finished && single_way && state.stuck.is_none(),
                escalate: !finished,
                note: agent,
            },
            progress: self.progress(finished),
            breadcrumb: self.breadcrumb(),
            ended: self.ended(),
            stuck: state.stuck.clone(),
            passed_over: self.passed_over(),
        }
    }

    /// The passed-over visits just before the current one, oldest first.
    fn passed_over(&self) -> Vec<(String, String)> {
        let project = self.project;
        let path = &self.state.path;
        let before = path.len().saturating_sub(1);
        let mut passed = Vec::new();
        // Routing steps show nothing, so they do not end the run of passed-over steps.
        for visit in path[..before].iter().rev() {
            let node = project.node(visit.node);
            match visit.passed {
                Some(skip) => {
                    if let Some(skip) = node.entry.get(usize::from(skip)) {
                        passed.push((node.shown_title().to_owned(), skip.because.clone()));
                    }
                }
                None if visit.branch.is_some() => {}
                None => break,
            }
        }
        passed.reverse();
        passed
    }

    fn field_view(&self, slot: Slot) -> Option<FieldView> {
        let project = self.project;
        let state = self.state;
        let tree = project.node(state.node).tree;
        let variable = project.tree(tree).variable(slot)?;
        let input = match (variable.kind, variable.ty) {
            (VariableKind::Rating, _) => {
                let (min, max) = variable.range.unwrap_or((1.0, 5.0));
                InputKind::Rating { min, max }
            }
            (VariableKind::Comment, _) => InputKind::Comment,
            (_, Type::Text) => InputKind::Text,
            (_, Type::Number) => InputKind::Number {
                min: variable.range.map(|r| r.0),
                max: variable.range.map(|r| r.1),
            },
            (_, Type::Bool) => InputKind::YesNo,
            (_, Type::Date) => InputKind::Date,
            (_, Type::Choice(_) | Type::Choices(_)) => {
                let values = variable
                    .choices
                    .iter()
                    .map(|c| ChoiceView {
                        value: c.value.clone(),
                        label: c.shown().to_owned(),
                    })
                    .collect();
                if matches!(variable.ty, Type::Choices(_)) {
                    InputKind::Checklist { values }
                } else {
                    InputKind::Choice { values }
                }
            }
        };
        let shown = input_text(variable, &state.values[slot.index()])
            .map(|text| show_line(&text).into_owned());
        let purpose = match input {
            InputKind::Text => Purpose::of(
                // As written: lowering wrapped it to match whole answers.
                variable.pattern.as_ref().map_or("", |p| {
                    let compiled = p.as_str();
                    compiled
                        .strip_prefix("^(?:")
                        .and_then(|rest| rest.strip_suffix(")$"))
                        .unwrap_or(compiled)
                }),
                &format!(
                    "{} {}",
                    variable.shown_label(),
                    variable.pattern_description.as_deref().unwrap_or_default()
                ),
            ),
            _ => None,
        };
        Some(FieldView {
            name: variable.name.clone(),
            label: variable.shown_label().to_owned(),
            input,
            required: variable.required,
            value: shown,
            hint: variable.pattern_description.clone(),
            purpose,
            max_chars: crate::session::MAX_ANSWER_CHARS,
        })
    }

    fn breadcrumb(&self) -> Vec<Crumb> {
        let project = self.project;
        self.state
            .path
            .iter()
            .filter(|visit| visit.shown() && !project.node(visit.node).is_routing())
            .map(|visit| {
                let node = project.node(visit.node);
                Crumb {
                    node: node.name.clone(),
                    title: node.shown_title().to_owned(),
                }
            })
            .collect()
    }

    fn progress(&self, finished: bool) -> Progress {
        let done = self
            .state
            .path
            .iter()
            .filter(|visit| visit.shown() && !self.project.node(visit.node).is_routing())
            .count();
        if finished {
            return Progress {
                done,
                left: Some(0),
            };
        }
        // Inside a sub-tree, the way back through each caller counts too.
        let mut left = self.project.steps_to_finish(self.state.node);
        for frame in &self.state.frames {
            if let Some(then) = frame.then {
                left = left
                    .zip(self.project.steps_to_finish(then))
                    .map(|(a, b)| a.saturating_add(b));
            }
        }
        Progress { done, left }
    }

    fn ended(&self) -> Option<EndView> {
        self.state.ending.as_ref().map(|ending| EndView {
            outcome: ending.outcome.as_ref().map(|o| o.kind),
            to: ending.outcome.as_ref().and_then(|o| o.to.clone()),
            result: ending.outcome.as_ref().and_then(|o| o.result.clone()),
            code: ending.outcome.as_ref().and_then(|o| o.code.clone()),
            reason: ending.reason.as_deref().map(shown),
            cause: ending.cause,
        })
    }

    /// The steps the call stopped at or passed over (routing nodes, which show nothing, left
    /// out), each with what was done there.
    fn steps(&self) -> Vec<StepLine> {
        let project = self.project;
        let state = self.state;
        let mut steps = Vec::new();
        for (position, visit) in state.path.iter().enumerate() {
            let node = project.node(visit.node);
            if node.is_routing() {
                continue;
            }
            let mut line = StepLine {
                node: node.name.clone(),
                title: node.shown_title().to_owned(),
                answers: Vec::new(),
                chose: None,
                skipped: None,
                passed: None,
            };
            if let Some(skip) = visit.passed {
                line.passed = node.entry.get(usize::from(skip)).map(|s| s.because.clone());
                steps.push(line);
                continue;
            }
            let mut slots: Vec<Slot> = Vec::new();
            for given in state.answers.iter().filter(|g| g.visit == position) {
                if !slots.contains(&given.slot) {
                    slots.push(given.slot);
                }
            }
            for slot in slots {
                let Some(given) = state
                    .answers
                    .iter()
                    .rev()
                    .find(|g| g.visit == position && g.slot == slot)
                else {
                    continue;
                };
                if !given.value.is_set() {
                    continue;
                }
                let variable = state
                    .declaration(project, slot)
                    .or_else(|| project.declaration(node.tree, slot));
                line.answers.push((
                    variable.map_or_else(
                        || project.slot_name(slot).to_owned(),
                        |v| v.shown_label().to_owned(),
                    ),
                    shown(&display(variable, &given.value)),
                ));
            }
            match &visit.left {
                Some(Left::Chose { option }) => {
                    if let Exit::Options(options) = &node.exit
                        && let Some(option) = options.get(usize::from(*option))
                    {
                        line.chose = Some(shown(&render(project, state, &option.label)));
                    }
                }
                Some(Left::Skipped { reason }) => line.skipped = Some(shown(reason)),
                Some(Left::Continued) | None => {}
            }
            steps.push(line);
        }
        steps
    }

    fn summary(&self) -> Summary {
        let project = self.project;
        let state = self.state;
        let root = project.tree(state.tree);
        let answers = state
            .answered
            .iter()
            .filter_map(|slot| {
                let variable = project.declaration(state.tree, *slot)?;
                let value = &state.values[slot.index()];
                value.is_set().then(|| {
                    (
                        variable.shown_label().to_owned(),
                        shown(&display(Some(variable), value)),
                    )
                })
            })
            .collect();
        Summary {
            tree: root.name.clone(),
            title: root.title.clone(),
            audience: state.audience,
            path: self.breadcrumb(),
            steps: self.steps(),
            answers,
            notes: state.notes.iter().map(|n| shown(&n.text)).collect(),
            skipped: state
                .skips
                .iter()
                .map(|s| {
                    (
                        project.node(s.node).shown_title().to_owned(),
                        shown(&s.reason),
                    )
                })
                .collect(),
            passed: state
                .path
                .iter()
                .filter_map(|visit| {
                    let node = project.node(visit.node);
                    let skip = node.entry.get(usize::from(visit.passed?))?;
                    Some((node.shown_title().to_owned(), skip.because.clone()))
                })
                .collect(),
            outcome: self.ended(),
            started_at: state.started_at,
            last_at: state.last_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Purpose;

    #[test]
    fn a_fields_purpose_comes_from_its_pattern_and_words() {
        let email = Purpose::of("[^@ ]+@[^@ ]+\\.[^@ ]+", "Email address");
        assert_eq!(email, Some(Purpose::Email));
        let mobile = Purpose::of("07[0-9]{9}", "New mobile number");
        assert_eq!(mobile, Some(Purpose::Phone));
        assert_eq!(
            Purpose::of("[0-9]{8}", "Account number"),
            Some(Purpose::Digits)
        );
        assert_eq!(Purpose::of("\\d{4,6}", "PIN"), Some(Purpose::Digits));
        assert_eq!(Purpose::of("INV-[0-9]{7}", "Invoice number"), None);
        assert_eq!(Purpose::of("", "Your name"), None);
    }
}
