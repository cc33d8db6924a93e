//! Running `test` blocks: each plays its steps against a real session and checks where the
//! call ends up. A step that cannot be played and an expectation that does not hold are both
//! diagnostics at the test's line.
//!
//! Continue is pressed for the test whenever it is the single way forward and the step at hand
//! cannot be played where the call is: the test lists answers and choices, not button presses.
//! At most 1,000 times per step, though: a call still moving after that is going round a loop,
//! and the step fails at its line with a hint saying so.

use calltree_syntax::{
    Audience, Diagnostic, Expectation, Offered, OutcomeKind as SyntaxOutcome, Span, StmtKind,
};

use crate::codes;
use crate::error::SessionError;
use crate::lower::literal_value;
use crate::model::{BranchId, Exit, FileId, NodeId, OptionId, TestCase, TreeId};
use crate::project::Project;
use crate::session::{Event, Given, Millis, Session, Visit, display, render};
use crate::walk::Coverage;

/// The result of one test.
#[derive(Debug, Clone)]
pub struct TestReport {
    pub tree: TreeId,
    pub name: String,
    pub file: FileId,
    pub span: Span,
    /// `None` when the test passed.
    pub failure: Option<Diagnostic>,
    /// Nodes the test's call reached, steps taken back with `back` included.
    pub nodes: Vec<NodeId>,
    /// Options the test chose.
    pub options: Vec<OptionId>,
    /// Routing branches the test's call took, steps taken back included.
    pub branches: Vec<BranchId>,
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// Adds what this test reached to a coverage of its tree.
    pub fn cover(&self, coverage: &mut Coverage) {
        coverage.add_nodes(self.nodes.iter().copied());
        coverage.add_options(self.options.iter().copied());
        coverage.add_branches(self.branches.iter().copied());
    }
}

impl Project {
    /// Runs every test of every tree.
    pub fn run_tests(&self) -> Vec<TestReport> {
        let mut reports = Vec::new();
        for (id, tree) in self.trees() {
            for test in &tree.tests {
                reports.push(run_test(self, id, test));
            }
        }
        reports
    }

    /// Every problem in every file: the load-time diagnostics and the failures of the trees'
    /// own tests, in source order. A test step the static checks already reported is not
    /// reported a second time when it fails to run.
    pub fn diagnostics_with_tests(&self) -> Vec<Vec<Diagnostic>> {
        let mut all: Vec<Vec<Diagnostic>> = self
            .files()
            .map(|(id, _)| self.diagnostics(id).to_vec())
            .collect();
        // Where the static diagnostics start, per file, sorted: a run failure is dropped when
        // one lies inside its step (the static check points at a name or a value in it).
        let starts: Vec<Vec<(u32, u32)>> = all
            .iter()
            .map(|list| {
                let mut spans: Vec<(u32, u32)> =
                    list.iter().map(|d| (d.span.start, d.span.end)).collect();
                spans.sort_unstable();
                spans
            })
            .collect();
        // A tree whose lines did not all parse or resolve would fail its tests at the broken
        // line: that line is reported already, and its tests run once it is fixed.
        let reports = self
            .trees()
            .filter(|(id, _)| !self.damage.holds_back_tests(self, *id))
            .flat_map(|(id, _)| self.run_tree_tests(id));
        let mut seen: Vec<(FileId, Span, String)> = Vec::new();
        for report in reports {
            if let Some(failure) = report.failure {
                // A failing `setup` fails every test of its file the same way: said once.
                let key = (report.file, failure.span, failure.message.clone());
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let spans = &starts[report.file.index()];
                let first = spans.partition_point(|(start, _)| *start < failure.span.start);
                let inside = spans[first..]
                    .iter()
                    .take_while(|(start, _)| *start <= failure.span.end)
                    .any(|(_, end)| *end <= failure.span.end);
                if !inside {
                    all[report.file.index()].push(failure);
                }
            }
        }
        for list in &mut all {
            list.sort_by_key(|d| (d.span.start, d.code.id));
        }
        all
    }

    /// Runs the tests of one tree.
    pub fn run_tree_tests(&self, tree: TreeId) -> Vec<TestReport> {
        self.tree(tree)
            .tests
            .iter()
            .map(|t| run_test(self, tree, t))
            .collect()
    }
}

/// Steps are a second apart on the test's clock, so durations in reports stay readable.
const STEP: Millis = 1_000;

/// How often Continue is pressed for one step before the runner gives up on it. A call that
/// can still move after this many presses is going round (a loop whose way out depends on a
/// value nothing changes), and pressing on would only grow its path until memory ran out.
const MAX_CONTINUES_PER_STEP: usize = 1_000;

/// What a step's failure says when Continue was pressed as often as allowed.
fn gave_up(mut diagnostic: Diagnostic) -> Box<Diagnostic> {
    diagnostic = diagnostic.with_hint(format!(
        "Continue was pressed {MAX_CONTINUES_PER_STEP} times for this step and the call kept moving without stopping where the step fits; look for a loop whose way out depends on a value nothing on it changes (a missing `set`?)"
    ));
    Box::new(diagnostic)
}

struct Runner<'p> {
    session: Session<&'p Project>,
    clock: Millis,
    /// Length of the path at the previous step, for `expect text contains`.
    path_mark: usize,
    options: Vec<OptionId>,
    /// Every visit the call made, noted before each step, so that coverage counts what a
    /// test played and not only what `back` left of its path at the end.
    reached: Vec<Visit>,
    /// How much of the path is in `reached` already.
    noted: usize,
}

fn run_test(project: &Project, tree: TreeId, test: &TestCase) -> TestReport {
    let setup = test
        .setup
        .and_then(|index| project.tree(tree).setups.get(index));
    let locale = test
        .steps
        .iter()
        .chain(setup.map_or(&[][..], |s| s.steps.as_slice()))
        .find_map(|s| match &s.kind {
            StmtKind::As(_, Some(locale)) => Some(locale.text.as_str()),
            _ => None,
        });
    match locale {
        // The test sees what a person in that language sees, a missing translation marked,
        // so an `expect text` in French fails on an untranslated text instead of passing
        // on the source one.
        Some(locale) => run_test_on(&project.in_locale(locale, true), tree, test),
        None => run_test_on(project, tree, test),
    }
}

fn run_test_on(project: &Project, tree: TreeId, test: &TestCase) -> TestReport {
    let mut report = TestReport {
        tree,
        name: test.name.clone(),
        file: test.file,
        span: test.span,
        failure: None,
        nodes: Vec::new(),
        options: Vec::new(),
        branches: Vec::new(),
    };
    let setup = test
        .setup
        .and_then(|index| project.tree(tree).setups.get(index));
    let setup_steps = setup.map_or(&[][..], |setup| setup.steps.as_slice());
    let audience = test
        .steps
        .iter()
        .chain(setup_steps)
        .find_map(|s| match &s.kind {
            StmtKind::As(a, _) => a.audience,
            _ => None,
        })
        .unwrap_or(if project.tree(tree).serves(Audience::Agent) {
            Audience::Agent
        } else {
            Audience::Customer
        });
    // `given` steps, wherever they stand, are what the call is started with.
    let given: Vec<Given> = setup_steps
        .iter()
        .chain(&test.steps)
        .filter_map(|s| match &s.kind {
            StmtKind::Given { var, value } => Some(Given {
                field: var.as_str().to_owned(),
                value: literal_text(value),
            }),
            _ => None,
        })
        .collect();
    let session = match Session::start_with(project, tree, audience, 0, given) {
        Ok(session) => session,
        Err(error) => {
            report.failure = Some(Diagnostic::new(
                codes::TEST_STEP_REJECTED,
                test.span,
                format!("this test cannot start: {error}"),
            ));
            return report;
        }
    };
    let mut runner = Runner {
        session,
        clock: 0,
        path_mark: 0,
        options: Vec::new(),
        reached: Vec::new(),
        noted: 0,
    };
    for step in setup_steps {
        if let Err(diagnostic) = runner.step(project, &step.kind, step.span) {
            let message = format!("in the setup: {}", diagnostic.message);
            report.failure = Some(Diagnostic {
                message,
                ..*diagnostic
            });
            break;
        }
    }
    if report.failure.is_none() {
        for step in &test.steps {
            if let Err(diagnostic) = runner.step(project, &step.kind, step.span) {
                report.failure = Some(*diagnostic);
                break;
            }
        }
    }
    runner.note_path();
    let played = || runner.reached.iter();
    let mut nodes: Vec<NodeId> = played().map(|v| v.node).collect();
    nodes.sort_unstable();
    nodes.dedup();
    report.nodes = nodes;
    let mut branches: Vec<BranchId> = played()
        .filter_map(|v| {
            v.branch.map(|index| BranchId {
                node: v.node,
                index,
            })
        })
        .collect();
    branches.sort_unstable();
    branches.dedup();
    report.branches = branches;
    report.options = runner.options;
    report
}

impl Runner<'_> {
    /// Adds the visits made since the last look to `reached`. Only `back` shortens the path,
    /// and it is a step of its own, so looking before every step misses nothing; each visit is
    /// noted once, however many times the test goes back.
    fn note_path(&mut self) {
        let path = &self.session.state().path;
        self.noted = self.noted.min(path.len());
        self.reached.extend_from_slice(&path[self.noted..]);
        self.noted = path.len();
    }

    fn tick(&mut self) -> Millis {
        self.clock = self.clock.saturating_add(STEP);
        self.clock
    }

    fn where_now(&self, project: &Project) -> String {
        let state = self.session.state();
        let node = project.node(state.node);
        match &state.ending {
            Some(_) => format!("past the end of the call (it ended at `{}`)", node.name),
            None => format!("at `{}`", node.name),
        }
    }

    /// Presses Continue if that is the only way forward. Returns whether it moved.
    fn press_continue(&mut self, project: &Project) -> bool {
        let state = self.session.state();
        if state.ending.is_some() || state.stuck.is_some() {
            return false;
        }
        let node = project.node(state.node);
        if !matches!(
            node.exit,
            Exit::Continue(_) | Exit::Call { .. } | Exit::Return
        ) {
            return false;
        }
        let at = self.tick();
        self.session.apply(Event::Continued { at }).is_ok()
    }

    fn rejected(
        &self,
        project: &Project,
        span: Span,
        what: &str,
        error: &SessionError,
    ) -> Box<Diagnostic> {
        rejected_at(span, what, error, &self.where_now(project))
    }

    fn failed(&self, span: Span, message: String) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(codes::TEST_FAILED, span, message))
    }

    /// Tries `attempt` where the call is; while it fails and Continue is the only way on,
    /// presses Continue and tries again, at most `MAX_CONTINUES_PER_STEP` times. On failure,
    /// returns the first error and where it happened (a later one, after pressing Continue to
    /// the end of the call, say, would hide the cause), and whether the presses ran out.
    fn with_continue<T>(
        &mut self,
        project: &Project,
        mut attempt: impl FnMut(&mut Self) -> Result<T, SessionError>,
    ) -> Result<T, Refused> {
        let mut first: Option<(SessionError, String)> = None;
        let mut presses = 0;
        loop {
            match attempt(self) {
                Ok(value) => return Ok(value),
                Err(error) => {
                    let first = first.get_or_insert_with(|| (error, self.where_now(project)));
                    if presses == MAX_CONTINUES_PER_STEP {
                        let (error, at) = first.clone();
                        return Err(Refused {
                            error,
                            at,
                            gave_up: true,
                        });
                    }
                    if !self.press_continue(project) {
                        let (error, at) = first.clone();
                        return Err(Refused {
                            error,
                            at,
                            gave_up: false,
                        });
                    }
                    presses += 1;
                }
            }
        }
    }

    fn step(
        &mut self,
        project: &Project,
        kind: &StmtKind,
        span: Span,
    ) -> Result<(), Box<Diagnostic>> {
        self.note_path();
        let mark = self.session.state().path.len();
        let result = match kind {
            StmtKind::As(..) => Ok(()),
            StmtKind::Answer { var, .. } => {
                let value = match kind {
                    StmtKind::Answer { value, .. } => literal_text(value),
                    _ => String::new(),
                };
                let field = var.as_str().to_owned();
                self.with_continue(project, |runner| {
                    let at = runner.tick();
                    runner.session.apply(Event::Answered {
                        field: field.clone(),
                        value: value.clone(),
                        at,
                    })
                })
                .map_err(|refused| refused.at_step(span, &format!("`answer {field}`")))
            }
            StmtKind::Choose(label) => {
                let label = label.to_plain();
                self.with_continue(project, |runner| runner.choose(project, &label))
                    .map_err(|refused| refused.at_step(span, &format!("`choose \"{label}\"`")))
            }
            StmtKind::Back => {
                let at = self.tick();
                self.session
                    .apply(Event::Back { at })
                    .map_err(|e| self.rejected(project, span, "`back`", &e))
            }
            StmtKind::Note(text) => {
                let at = self.tick();
                self.session
                    .apply(Event::Noted {
                        text: text.to_plain(),
                        at,
                    })
                    .map_err(|e| self.rejected(project, span, "`note`", &e))
            }
            StmtKind::Skip(reason) => {
                if let Some(refusal) = self.session.state().skip_refusal(project) {
                    return Err(self.rejected(project, span, "`skip`", &refusal));
                }
                let at = self.tick();
                self.session
                    .apply(Event::Skipped {
                        reason: reason.to_plain(),
                        at,
                    })
                    .map_err(|e| self.rejected(project, span, "`skip`", &e))
            }
            StmtKind::Escalate(reason) => {
                let at = self.tick();
                self.session
                    .apply(Event::Escalated {
                        reason: reason.to_plain(),
                        at,
                    })
                    .map_err(|e| self.rejected(project, span, "`escalate`", &e))
            }
            StmtKind::Expect(expectation) => return self.expect(project, expectation, span),
            // Handed in when the call started (see `run_test`).
            StmtKind::Given { .. } => return Ok(()),
            StmtKind::Wait { amount, unit } => {
                // Time passes without anything happening: the next event is stamped later,
                // and only then do conditions on time see it. `as` saturates a huge wait.
                let millis = (amount.value * unit.millis() as f64) as Millis;
                self.clock = self.clock.saturating_add(millis);
                return Ok(());
            }
            _ => Ok(()),
        };
        result?;
        if !matches!(kind, StmtKind::Expect(_)) {
            self.path_mark = mark;
        }
        Ok(())
    }

    fn choose(&mut self, project: &Project, label: &str) -> Result<(), SessionError> {
        let state = self.session.state();
        let node = state.node;
        let Exit::Options(options) = &project.node(node).exit else {
            return Err(SessionError::WrongStep("has no options to choose from"));
        };
        let index = options
            .iter()
            .position(|o| o.label.source == label)
            .ok_or_else(|| SessionError::NoSuchOption(format!("\"{label}\"")))?;
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        let at = self.tick();
        self.session.apply(Event::Chose {
            option: index,
            label: label.to_owned(),
            at,
        })?;
        self.options.push(OptionId { node, index });
        Ok(())
    }

    /// Checks an expectation where the call is, pressing Continue while it does not hold yet
    /// and Continue is the only way on, at most `MAX_CONTINUES_PER_STEP` times.
    fn expect(
        &mut self,
        project: &Project,
        expectation: &Expectation,
        span: Span,
    ) -> Result<(), Box<Diagnostic>> {
        for _ in 0..MAX_CONTINUES_PER_STEP {
            let problem = match self.check(project, expectation) {
                Ok(()) => return Ok(()),
                Err(problem) => problem,
            };
            if !self.press_continue(project) {
                return Err(self.failed(span, problem));
            }
        }
        match self.check(project, expectation) {
            Ok(()) => Ok(()),
            Err(problem) => Err(gave_up(*self.failed(span, problem))),
        }
    }

    fn check(&self, project: &Project, expectation: &Expectation) -> Result<(), String> {
        let state = self.session.state();
        let here = self.where_now(project);
        match expectation {
            Expectation::Node(name) => {
                let node = project.node(state.node);
                if node.name == name.as_str() && state.ending.is_none() {
                    Ok(())
                } else {
                    Err(format!(
                        "expected the call to wait at `{}`, but it is {here}",
                        name.as_str()
                    ))
                }
            }
            Expectation::Field { var, value } => {
                let slot = project
                    .slot_by_name(var.as_str())
                    .ok_or_else(|| format!("there is no field `{}`", var.as_str()))?;
                let declaration = project
                    .declaration(state.current_tree(), slot)
                    .or_else(|| project.declaration(state.tree, slot))
                    .ok_or_else(|| format!("no tree of this call declares `{}`", var.as_str()))?;
                let expected = literal_value(declaration, &value.kind)?;
                let actual = &state.values[slot.index()];
                if *actual == expected {
                    Ok(())
                } else {
                    Err(format!(
                        "expected `{}` to be {}, but it is {} ({here})",
                        var.as_str(),
                        display(Some(declaration), &expected),
                        display(Some(declaration), actual)
                    ))
                }
            }
            Expectation::Option { label, offered } => {
                self.check_option(project, &label.to_plain(), *offered, &here)
            }
            Expectation::TextContains(text) => {
                let wanted = text.to_plain();
                let shown = self.texts_since_mark(project);
                if shown.iter().any(|t| t.contains(&wanted)) {
                    Ok(())
                } else {
                    Err(format!(
                        "no text shown since the previous step contains \"{wanted}\" ({here})"
                    ))
                }
            }
            Expectation::End(outcome) => {
                let Some(ending) = &state.ending else {
                    return Err(format!(
                        "expected the call to end {}, but it is still waiting {here}",
                        outcome.kind.keyword()
                    ));
                };
                let Some(actual) = &ending.outcome else {
                    return Err(format!(
                        "expected the call to end {}, but the sub-tree returned to its caller",
                        outcome.kind.keyword()
                    ));
                };
                let (kind, to) = match &outcome.kind {
                    SyntaxOutcome::Resolved => ("resolved", None),
                    SyntaxOutcome::Escalated(team) => ("escalated", Some(team.to_plain())),
                    SyntaxOutcome::Callback => ("callback", None),
                    SyntaxOutcome::Transferred(queue) => ("transferred", Some(queue.to_plain())),
                    SyntaxOutcome::Referred(service) => ("referred", Some(service.to_plain())),
                    SyntaxOutcome::Abandoned => ("abandoned", None),
                };
                let code = outcome.code.as_ref().map(calltree_syntax::Text::to_plain);
                let result = outcome.result.as_ref().map(calltree_syntax::Text::to_plain);
                let describe = |kind: &str, to: Option<&str>, code: Option<&str>| {
                    let mut text = kind.to_owned();
                    if let Some(to) = to {
                        text.push_str(&format!(" \"{to}\""));
                    }
                    if let Some(code) = code {
                        text.push_str(&format!(" code \"{code}\""));
                    }
                    text
                };
                let matches = actual.kind.name() == kind
                    && (to.is_none() || to == actual.to)
                    && (result.is_none() || result == actual.result)
                    && (code.is_none() || code == actual.code);
                if matches {
                    Ok(())
                } else {
                    Err(format!(
                        "expected the call to end {}, but it ended {} at `{}`",
                        describe(kind, to.as_deref(), code.as_deref()),
                        describe(
                            actual.kind.name(),
                            actual.to.as_deref(),
                            actual.code.as_deref()
                        ),
                        project.node(ending.node).name
                    ))
                }
            }
        }
    }

    /// Whether the step the call waits at shows the option labelled `wanted` as expected. A
    /// step without options never matches, so that the runner presses Continue on to the
    /// next step that has some, as it does for `choose`.
    fn check_option(
        &self,
        project: &Project,
        wanted: &str,
        offered: Offered,
        here: &str,
    ) -> Result<(), String> {
        let state = self.session.state();
        let Exit::Options(options) = &project.node(state.node).exit else {
            return Err(format!(
                "expected a step with options, but the call is {here}, which has none"
            ));
        };
        if state.ending.is_some() {
            return Err(format!(
                "expected a step with options, but the call is {here}"
            ));
        }
        let view = self.session.view();
        let shown = view.options.iter().find(|o| {
            options
                .get(usize::from(o.index))
                .is_some_and(|option| option.label.source == wanted)
        });
        let audience = state.audience.name();
        match (offered, shown) {
            (Offered::Absent, None) => Ok(()),
            (Offered::Enabled, Some(o)) if o.enabled => Ok(()),
            (Offered::Disabled, Some(o)) if !o.enabled => Ok(()),
            (Offered::Absent, Some(o)) => Err(format!(
                "expected no option \"{wanted}\" {here}, but {}s are shown it{}",
                audience,
                if o.enabled { "" } else { " (disabled)" }
            )),
            (Offered::Enabled, Some(o)) => Err(format!(
                "expected option \"{wanted}\" to be offered {here}, but it is disabled: {}",
                o.reason.as_deref().unwrap_or("its condition does not hold")
            )),
            (Offered::Disabled, Some(_)) => Err(format!(
                "expected option \"{wanted}\" to be disabled {here}, but it can be chosen"
            )),
            (Offered::Enabled | Offered::Disabled, None) => {
                let exists = options.iter().any(|o| o.label.source == wanted);
                let why = if !exists {
                    "this step has no such option"
                } else if state.audience == Audience::Customer {
                    "customers are not shown options that are not for them or that they cannot choose"
                } else {
                    "it is for customers only"
                };
                Err(format!(
                    "expected option \"{wanted}\" {here}, but it is not shown: {why}"
                ))
            }
        }
    }

    /// Every text of every node reached since the previous step, as the audience sees it.
    fn texts_since_mark(&self, project: &Project) -> Vec<String> {
        let state = self.session.state();
        let mut texts = Vec::new();
        for visit in &state.path[self.path_mark.min(state.path.len())..] {
            if !visit.shown() {
                continue;
            }
            let node = project.node(visit.node);
            let say = if state.audience == Audience::Customer && !node.customer.is_empty() {
                &node.customer
            } else {
                &node.say
            };
            let agent = if state.audience == Audience::Agent {
                &node.agent[..]
            } else {
                &[]
            };
            for template in say.iter().chain(agent).chain(&node.title) {
                texts.push(render(project, state, template));
            }
        }
        texts
    }
}

/// Why a step could not be played: the first error, where the call was then, and whether
/// Continue was pressed as often as allowed looking for a place to play it.
struct Refused {
    error: SessionError,
    at: String,
    gave_up: bool,
}

impl Refused {
    fn at_step(self, span: Span, what: &str) -> Box<Diagnostic> {
        let diagnostic = rejected_at(span, what, &self.error, &self.at);
        if self.gave_up {
            gave_up(*diagnostic)
        } else {
            diagnostic
        }
    }
}

fn rejected_at(span: Span, what: &str, error: &SessionError, at: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(
        codes::TEST_STEP_REJECTED,
        span,
        format!("{what} cannot be played {at}: {error}"),
    ))
}

/// The text a person would type for a literal answer.
fn literal_text(literal: &calltree_syntax::Literal) -> String {
    match &literal.kind {
        calltree_syntax::LiteralKind::Number(n) => n.text.clone(),
        calltree_syntax::LiteralKind::Text(t) => t.to_plain(),
        calltree_syntax::LiteralKind::Bool(word) => word.as_str().to_owned(),
        calltree_syntax::LiteralKind::Choice(ident) => ident.text.clone(),
    }
}
