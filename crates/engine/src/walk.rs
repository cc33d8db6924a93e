//! Walks: playing a tree without a script, every way (bounded) or at random (seeded), to find
//! where a call can get stuck and which nodes and options nothing ever reaches.
//!
//! A walk answers questions with invented values that the fields accept: every value of a
//! choice, yes and no, the ends of a number's range, text that fits the field's pattern.
//! Optional fields are left blank. Loops are cut after a node has been reached a set number of
//! times, so an exhaustive walk of a tree with loops still ends.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::rc::Rc;

use calltree_syntax::Audience;

use crate::model::{BranchId, Exit, NodeId, OptionId, TreeId, Variable, VariableKind};
use crate::project::Project;
use crate::session::{Event, Given, Millis, Session, Visit, parse_answer};
use crate::value::{Type, format_number};

/// Limits that keep walks finite.
#[derive(Debug, Clone, Copy)]
pub struct WalkLimits {
    /// Stop exploring a branch once any node has been reached this many times in it.
    pub visits_per_node: u32,
    /// Stop a walk after this many steps.
    pub steps_per_walk: usize,
    /// Stop an exhaustive walk after this many complete walks.
    pub walks: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            visits_per_node: 3,
            steps_per_walk: 500,
            walks: 20_000,
        }
    }
}

/// A walk that could not go on although the call had not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckWalk {
    /// The nodes the walk went through, the stuck one last.
    pub path: Vec<NodeId>,
    pub reason: String,
}

/// Which nodes, options and routing branches were reached, out of all a tree (and its
/// sub-trees) has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub nodes: BTreeSet<NodeId>,
    pub reached_nodes: BTreeSet<NodeId>,
    pub options: BTreeSet<OptionId>,
    pub chosen_options: BTreeSet<OptionId>,
    /// Every `if` and `else` line of every routing node: a node reached is not a condition
    /// tried, and a branch whose condition never holds is dead code that node coverage hides.
    pub branches: BTreeSet<BranchId>,
    pub taken_branches: BTreeSet<BranchId>,
}

impl Coverage {
    /// Everything a tree and the sub-trees it calls could reach; nothing reached yet.
    pub fn of(project: &Project, tree: TreeId) -> Coverage {
        let mut coverage = Coverage::default();
        for t in project.call_closure(tree) {
            for &node in &project.tree(t).nodes {
                coverage.nodes.insert(node);
                let index = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
                match &project.node(node).exit {
                    Exit::Options(options) => {
                        for i in 0..options.len() {
                            coverage.options.insert(OptionId {
                                node,
                                index: index(i),
                            });
                        }
                    }
                    Exit::Route {
                        routes, otherwise, ..
                    } => {
                        let lines = routes.len() + usize::from(otherwise.is_some());
                        for i in 0..lines {
                            coverage.branches.insert(BranchId {
                                node,
                                index: index(i),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        coverage
    }

    pub fn add_nodes(&mut self, nodes: impl IntoIterator<Item = NodeId>) {
        for node in nodes {
            if self.nodes.contains(&node) {
                self.reached_nodes.insert(node);
            }
        }
    }

    pub fn add_options(&mut self, options: impl IntoIterator<Item = OptionId>) {
        for option in options {
            if self.options.contains(&option) {
                self.chosen_options.insert(option);
            }
        }
    }

    pub fn add_branches(&mut self, branches: impl IntoIterator<Item = BranchId>) {
        for branch in branches {
            if self.branches.contains(&branch) {
                self.taken_branches.insert(branch);
            }
        }
    }

    /// Adds the nodes a call went through and the routing branches it took.
    pub fn add_path(&mut self, path: &[Visit]) {
        self.add_nodes(path.iter().map(|v| v.node));
        self.add_branches(path.iter().filter_map(|v| {
            v.branch.map(|index| BranchId {
                node: v.node,
                index,
            })
        }));
    }

    /// Adds what another coverage reached (of the same tree).
    pub fn merge(&mut self, other: &Coverage) {
        self.add_nodes(other.reached_nodes.iter().copied());
        self.add_options(other.chosen_options.iter().copied());
        self.add_branches(other.taken_branches.iter().copied());
    }

    pub fn unreached_nodes(&self) -> Vec<NodeId> {
        self.nodes
            .difference(&self.reached_nodes)
            .copied()
            .collect()
    }

    pub fn unchosen_options(&self) -> Vec<OptionId> {
        self.options
            .difference(&self.chosen_options)
            .copied()
            .collect()
    }

    pub fn untaken_branches(&self) -> Vec<BranchId> {
        self.branches
            .difference(&self.taken_branches)
            .copied()
            .collect()
    }

    /// The percentage of routing branches taken (100 when there are none).
    pub fn branch_percentage(&self) -> f64 {
        if self.branches.is_empty() {
            100.0
        } else {
            100.0 * self.taken_branches.len() as f64 / self.branches.len() as f64
        }
    }

    /// Percentages of nodes and options covered (100 when there are none).
    pub fn percentages(&self) -> (f64, f64) {
        let percent = |part: usize, whole: usize| {
            if whole == 0 {
                100.0
            } else {
                100.0 * part as f64 / whole as f64
            }
        };
        (
            percent(self.reached_nodes.len(), self.nodes.len()),
            percent(self.chosen_options.len(), self.options.len()),
        )
    }
}

#[derive(Debug, Clone)]
pub struct WalkReport {
    pub walks: usize,
    /// Walks that reached an ending.
    pub finished: usize,
    /// Walks cut short by a limit (loops, length); not a problem in the tree.
    pub cut: usize,
    pub stuck: Vec<StuckWalk>,
    /// Whether the exhaustive walk stopped at `WalkLimits::walks` before trying everything.
    pub incomplete: bool,
    pub coverage: Coverage,
    /// Events applied to sessions to explore: a measure of the work, one per step continued
    /// from a checkpoint, a whole log for a walk replayed from its start.
    pub events_applied: usize,
}

impl WalkReport {
    /// No walks yet, and nothing of the tree covered.
    fn empty(project: &Project, tree: TreeId) -> WalkReport {
        WalkReport {
            walks: 0,
            finished: 0,
            cut: 0,
            stuck: Vec::new(),
            incomplete: false,
            coverage: Coverage::of(project, tree),
            events_applied: 0,
        }
    }
}

/// What can be done next in a session, as events; or why nothing can.
/// How far a walk moves time on to try what opens later, for a tree whose conditions read
/// the call's time: a minute past the largest number they compare it with (an hour if they
/// compare it with none). `None` when nothing in the tree or its sub-trees reads the time.
fn late_step(project: &Project, tree: TreeId) -> Option<Millis> {
    let mut minutes = Vec::new();
    let mut reads = false;
    for t in project.call_closure(tree) {
        for &id in &project.tree(t).nodes {
            match &project.node(id).exit {
                Exit::Route { routes, .. } => {
                    for route in routes {
                        reads |= route.condition.compared_minutes(&mut minutes);
                    }
                }
                Exit::Options(options) => {
                    for guard in options.iter().filter_map(|o| o.guard.as_ref()) {
                        reads |= guard.compared_minutes(&mut minutes);
                    }
                }
                _ => {}
            }
        }
    }
    if !reads {
        return None;
    }
    let largest = minutes
        .into_iter()
        .filter(|m| m.is_finite())
        .fold(59.0_f64, f64::max);
    // A minute past the largest, in whole milliseconds; `as` saturates a huge constant.
    Some(((largest.max(0.0) + 1.0) * 60_000.0) as Millis)
}

impl Project {
    /// Whether the conditions of a tree (or of the sub-trees it calls) read the call's time:
    /// a host showing such a tree redraws its step as time passes.
    pub fn reads_time(&self, tree: TreeId) -> bool {
        late_step(self, tree).is_some()
    }
}

fn moves(
    project: &Project,
    session: &Session<&Project>,
    at: Millis,
    late: Option<Millis>,
) -> Result<Vec<Event>, String> {
    let state = session.state();
    if let Some(reason) = &state.stuck {
        return Err(reason.clone());
    }
    let node = project.node(state.node);
    let tree = project.tree(node.tree);
    for (slot, _) in &node.asks {
        if state.values[slot.index()].is_set() {
            continue;
        }
        let Some(variable) = tree.variable(*slot) else {
            continue;
        };
        let answers = invented_answers(project, node.tree, variable);
        if answers.is_empty() {
            if variable.required {
                let why = match (variable.kind, variable.ty) {
                    (VariableKind::Flag, _) => String::new(),
                    (_, Type::Text) => invented_text(variable)
                        .err()
                        .map_or_else(String::new, |why| format!(": {why}")),
                    _ => String::new(),
                };
                return Err(format!(
                    "no answer could be invented for \"{}\"{why}",
                    variable.shown_label()
                ));
            }
            continue;
        }
        return Ok(answers
            .into_iter()
            .map(|value| Event::Answered {
                field: variable.name.clone(),
                value,
                at,
            })
            .collect());
    }
    match &node.exit {
        Exit::Options(options) => {
            // Not `view()`: it renders every text and works out whether Back is possible, which
            // costs the length of the log on every step of every walk.
            let chose = |index: u16, at: Millis| Event::Chose {
                option: index,
                label: options[usize::from(index)].label.source.clone(),
                at,
            };
            let mut events: Vec<Event> = session.enabled_options().map(|i| chose(i, at)).collect();
            // In a tree that reads the time, each option is also tried later, which is how
            // an option that opens after half an hour is ever chosen.
            if let Some(late) = late {
                let later = at.saturating_add(late);
                events.extend(
                    session
                        .enabled_options_at(later)
                        .into_iter()
                        .map(|i| chose(i, later)),
                );
            }
            if events.is_empty() {
                Err(format!(
                    "every option of `{}` is disabled or hidden here",
                    node.name
                ))
            } else {
                Ok(events)
            }
        }
        // A way forward to nowhere is the tree's fault, not a walk cut short: the session
        // would refuse the Continue, and the walk would be counted as cut at its limits.
        Exit::Continue(None) => Err(format!(
            "`{}` leads to a node that does not exist",
            node.name
        )),
        Exit::Call { tree: None, .. } => {
            Err(format!("`{}` calls a tree that does not exist", node.name))
        }
        Exit::Continue(_) | Exit::Call { .. } | Exit::Return => {
            let mut events = vec![Event::Continued { at }];
            if let Some(late) = late {
                events.push(Event::Continued {
                    at: at.saturating_add(late),
                });
            }
            Ok(events)
        }
        Exit::Route { .. } | Exit::End(_) | Exit::None => {
            Err(format!("`{}` has no way forward", node.name))
        }
    }
}

/// Numbers on both sides of every constant the tree compares the field with, and the ends of
/// its range: enough to send a call down each branch that depends on the number.
fn boundary_numbers(project: &Project, tree: TreeId, variable: &Variable) -> Vec<f64> {
    const MOST: usize = 8;
    let mut constants = Vec::new();
    for &id in &project.tree(tree).nodes {
        for skip in &project.node(id).entry {
            skip.condition
                .compared_numbers(variable.slot, &mut constants);
        }
        match &project.node(id).exit {
            Exit::Route { routes, .. } => {
                for route in routes {
                    route
                        .condition
                        .compared_numbers(variable.slot, &mut constants);
                }
            }
            Exit::Options(options) => {
                for guard in options.iter().filter_map(|o| o.guard.as_ref()) {
                    guard.compared_numbers(variable.slot, &mut constants);
                }
            }
            _ => {}
        }
    }
    let (min, max) = variable.range.unwrap_or((0.0, 1000.0));
    let mut numbers = vec![min, max];
    for c in constants {
        numbers.extend([c - 1.0, c, c + 1.0]);
    }
    numbers.retain(|n| (min..=max).contains(n));
    numbers.sort_by(f64::total_cmp);
    numbers.dedup();
    numbers.truncate(MOST);
    numbers
}

/// The longest answer a walk invents for a text field. A pattern that needs more is reported
/// as the reason a walk stops there, instead of being typed out.
const MAX_INVENTED_CHARS: usize = 65_536;
/// Pieces of a pattern looked at while inventing one answer (repetitions count each time).
const MAX_INVENTION_WORK: usize = 1_000_000;

/// Text a walk types into a text field: anything for a free field, and for a field with a
/// pattern, a simple string the pattern matches; or why there is none.
fn invented_text(variable: &Variable) -> Result<String, String> {
    let Some(pattern) = &variable.pattern else {
        return Ok("Sample answer".to_owned());
    };
    let hir = regex_syntax::Parser::new()
        .parse(pattern.as_str())
        .map_err(|_| "calltree cannot read its pattern".to_owned())?;
    // The simplest reading first; then other members of classes and other branches, for
    // patterns whose parts constrain each other (a look-around, a class that excludes a
    // letter another part needs).
    let mut too_long = false;
    for (class, branch) in [
        (Pick::Readable, Pick::First),
        (Pick::First, Pick::First),
        (Pick::Readable, Pick::Last),
        (Pick::Last, Pick::Last),
    ] {
        match invent(&hir, class, branch) {
            Some(text) if pattern.is_match(&text) => return Ok(text),
            Some(_) => {}
            None => too_long = true,
        }
    }
    Err(if too_long {
        format!("its pattern needs an answer longer than {MAX_INVENTED_CHARS} characters")
    } else {
        "none of the answers tried fits its pattern".to_owned()
    })
}

/// Which member of a character class, or which branch of an alternation, to take.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// A digit or letter if there is one (classes only).
    Readable,
    First,
    Last,
}

/// A member of a character class: for `Readable`, one that reads well in a form (a digit or
/// letter if the class has one: a space or a `+` first would make a poor phone number).
fn member(ranges: &[(char, char)], pick: Pick) -> Option<char> {
    match pick {
        Pick::First => ranges.first().map(|(start, _)| *start),
        Pick::Last => ranges.last().map(|(_, end)| *end),
        Pick::Readable => ['1', 'a', 'A', '0']
            .into_iter()
            .find(|c| {
                ranges
                    .iter()
                    .any(|(start, end)| (*start..=*end).contains(c))
            })
            .or_else(|| {
                ranges
                    .iter()
                    .flat_map(|(start, end)| (*start..=*end).take(128))
                    .find(|c| !c.is_whitespace())
            })
            .or_else(|| ranges.first().map(|(start, _)| *start)),
    }
}

/// A string for `hir`: one member of each class, one branch of each alternation, each
/// repetition its minimum number of times. `None` when that is more than
/// `MAX_INVENTED_CHARS` characters or `MAX_INVENTION_WORK` pieces. Iterative, so the depth of
/// a pattern costs no stack.
fn invent(hir: &regex_syntax::hir::Hir, class: Pick, branch: Pick) -> Option<String> {
    use regex_syntax::hir::{Class, HirKind};
    let mut out = String::new();
    let mut chars = 0usize;
    let mut work = 0usize;
    let mut pending = vec![hir];
    while let Some(hir) = pending.pop() {
        work += 1;
        if work > MAX_INVENTION_WORK || chars > MAX_INVENTED_CHARS {
            return None;
        }
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => {
                let text = String::from_utf8_lossy(&literal.0);
                chars += text.chars().count();
                out.push_str(&text);
            }
            HirKind::Class(Class::Unicode(set)) => {
                let ranges: Vec<(char, char)> =
                    set.ranges().iter().map(|r| (r.start(), r.end())).collect();
                if let Some(c) = member(&ranges, class) {
                    chars += 1;
                    out.push(c);
                }
            }
            HirKind::Class(Class::Bytes(set)) => {
                let ranges: Vec<(char, char)> = set
                    .ranges()
                    .iter()
                    .map(|r| (char::from(r.start()), char::from(r.end())))
                    .collect();
                if let Some(c) = member(&ranges, class) {
                    chars += 1;
                    out.push(c);
                }
            }
            HirKind::Repetition(repetition) => {
                let times = usize::try_from(repetition.min).unwrap_or(usize::MAX);
                if times > MAX_INVENTION_WORK - work {
                    return None;
                }
                pending.extend(std::iter::repeat_n(&*repetition.sub, times));
            }
            HirKind::Capture(capture) => pending.push(&capture.sub),
            HirKind::Concat(parts) => pending.extend(parts.iter().rev()),
            HirKind::Alternation(branches) => {
                let chosen = match branch {
                    Pick::Last => branches.last(),
                    Pick::First | Pick::Readable => branches.first(),
                };
                pending.extend(chosen);
            }
        }
    }
    (chars <= MAX_INVENTED_CHARS).then_some(out)
}

/// Values a walk tries for a field: a branch for each value that can change the way a call
/// goes, one plausible value for the rest. The synthetic log generator draws from the same
/// values, so its answers are ones the field accepts.
pub(crate) fn invented_answers(
    project: &Project,
    tree: TreeId,
    variable: &Variable,
) -> Vec<String> {
    let candidates: Vec<String> = match (variable.kind, variable.ty) {
        (VariableKind::Flag, _) => Vec::new(),
        (_, Type::Choice(_)) => variable.choices.iter().map(|c| c.value.clone()).collect(),
        // Each value ticked alone, so every `has` can go either way, then all of them.
        (_, Type::Choices(_)) => {
            let mut each: Vec<String> = variable.choices.iter().map(|c| c.value.clone()).collect();
            each.push(each.join(", "));
            each
        }
        (_, Type::Bool) => vec!["yes".into(), "no".into()],
        (_, Type::Number) => boundary_numbers(project, tree, variable)
            .into_iter()
            .map(format_number)
            .collect(),
        (_, Type::Date) => vec!["2026-01-15".into()],
        (_, Type::Text) => invented_text(variable).into_iter().collect(),
    };
    candidates
        .into_iter()
        .filter(|raw| parse_answer(variable, raw).is_ok())
        .collect()
}

/// Values for the required `given` fields a call cannot start without (the tree's and its
/// sub-trees'): the first value a walk would answer with. Optional ones are left out, as
/// walks leave optional answers blank.
pub(crate) fn invented_given(project: &Project, tree: TreeId) -> Vec<Given> {
    project
        .required_given(tree)
        .filter_map(|(owner, v)| {
            let value = invented_answers(project, owner, v).into_iter().next()?;
            Some(Given {
                field: v.name.clone(),
                value,
            })
        })
        .collect()
}

fn exceeded(session: &Session<&Project>, limits: &WalkLimits) -> bool {
    let state = session.state();
    state.visits.get(state.node) > limits.visits_per_node
        || state.path.len() > limits.steps_per_walk
}

fn record(coverage: &mut Coverage, session: &Session<&Project>) {
    coverage.add_path(&session.state().path);
}

/// Memory the sessions kept for waiting walks may take, roughly, before walks are continued
/// by replaying their logs instead (see `walk_all`).
const CHECKPOINT_BUDGET: usize = 128 * 1024 * 1024;

/// Walks every way through a tree, within the limits.
pub fn walk_all(
    project: &Project,
    tree: TreeId,
    audience: Audience,
    limits: WalkLimits,
) -> WalkReport {
    explore(project, tree, audience, limits, CHECKPOINT_BUDGET)
}

/// `walk_all` with a given budget for checkpoints, in bytes.
fn explore(
    project: &Project,
    tree: TreeId,
    audience: Audience,
    limits: WalkLimits,
    budget: usize,
) -> WalkReport {
    let mut report = WalkReport::empty(project, tree);
    let late = late_step(project, tree);
    let started = Session::start_with(project, tree, audience, 0, invented_given(project, tree));
    let Ok(session) = started.map(Session::without_back) else {
        return report;
    };
    // Best-first rather than depth-first: the next walk continued is the one whose next node
    // has been expanded least often (the newest on ties). A walk stopped by its limit has then
    // spread over the whole tree instead of exhausting the first branch's combinations.
    //
    // Every event played is stored once, with a link to the event before it; a waiting walk
    // is its last event. The session a step's walks continue from is kept (a checkpoint) until
    // its last waiting walk takes it over, so continuing a walk applies one event instead of
    // replaying the walk from its start, which made deep trees quadratic. Sessions are not
    // small (each counts visits for every node of the project; thousands waiting on a large
    // tree took gigabytes), so checkpoints stop at a memory budget; a walk whose step has no
    // checkpoint rebuilds its session from its log, as all did before.
    let mut steps: Vec<WalkStep> = vec![WalkStep {
        before: None,
        event: session.log()[0].clone(),
        chosen: None,
    }];
    let mut checkpoints = Checkpoints {
        sessions: vec![None],
        waiting: vec![0],
        held: 0,
        budget,
    };
    let mut start = Some(session);
    let mut expansions = vec![0u32; project.node_count()];
    let mut queue = BinaryHeap::from([(Reverse(0u32), 0usize)]);
    while let Some((_, last)) = queue.pop() {
        if report.walks >= limits.walks {
            report.incomplete = true;
            break;
        }
        let continued = match start.take() {
            Some(session) => Some(session),
            None => checkpoints.continue_walk(project, &steps, last, &mut report),
        };
        let Some(session) = continued else {
            // An invented step the session refused: the walk ends without blaming the tree.
            report.walks += 1;
            report.cut += 1;
            continue;
        };
        let at = session.state().last_at + 1_000;
        let ended = session.state().ending.is_some();
        if ended || exceeded(&session, &limits) {
            report.walks += 1;
            if ended {
                report.finished += 1;
            } else {
                report.cut += 1;
            }
            record(&mut report.coverage, &session);
            report.coverage.add_options(chosen_on_the_way(&steps, last));
            continue;
        }
        let node = session.state().node;
        expansions[node.index()] += 1;
        match moves(project, &session, at, late) {
            Err(reason) => {
                report.walks += 1;
                record(&mut report.coverage, &session);
                report.coverage.add_options(chosen_on_the_way(&steps, last));
                push_stuck(&mut report.stuck, &session, reason);
            }
            Ok(events) => {
                for event in events.into_iter().rev() {
                    let chosen = match &event {
                        Event::Chose { option, .. } => Some(OptionId {
                            node,
                            index: *option,
                        }),
                        _ => None,
                    };
                    let priority = expansions[leads_to(project, &session, &event).index()];
                    queue.push((Reverse(priority), steps.len()));
                    steps.push(WalkStep {
                        before: Some(last),
                        event,
                        chosen,
                    });
                    checkpoints.sessions.push(None);
                    checkpoints.waiting.push(0);
                    checkpoints.waiting[last] += 1;
                }
                checkpoints.keep(last, session);
            }
        }
    }
    report
}

/// One event of an exhaustive walk, linked to the one before it; walks that share a
/// beginning share its steps.
struct WalkStep {
    before: Option<usize>,
    event: Event,
    chosen: Option<OptionId>,
}

/// The sessions waiting walks continue from, by step.
struct Checkpoints<'p> {
    /// The session after each step, while walks from it wait and the budget allows.
    sessions: Vec<Option<Rc<Session<&'p Project>>>>,
    /// How many walks wait to continue from each step.
    waiting: Vec<u32>,
    /// Roughly how much memory the kept sessions take, and may take.
    held: usize,
    budget: usize,
}

impl<'p> Checkpoints<'p> {
    /// Keeps the session after `step` for the walks waiting to continue from it, if the
    /// budget allows; past it, the walks waiting on this step will replay their way to it from
    /// the nearest step before that still has its session.
    fn keep(&mut self, step: usize, session: Session<&'p Project>) {
        let size = footprint(&session);
        if self.held + size <= self.budget {
            self.held += size;
            self.sessions[step] = Some(Rc::new(session));
        }
    }

    /// The session of a waiting walk: its step's event applied to the session before it
    /// (taken over by the last walk waiting on it, cloned for the others), or, without a
    /// checkpoint, its log replayed from the start. `None` when the session refuses the event.
    fn continue_walk(
        &mut self,
        project: &'p Project,
        steps: &[WalkStep],
        step: usize,
        report: &mut WalkReport,
    ) -> Option<Session<&'p Project>> {
        let before = steps[step].before?;
        self.waiting[before] = self.waiting[before].saturating_sub(1);
        let base = if self.waiting[before] == 0 {
            self.sessions[before].take().map(|kept| {
                self.held = self.held.saturating_sub(footprint(&kept));
                Rc::unwrap_or_clone(kept)
            })
        } else {
            self.sessions[before].as_deref().cloned()
        };
        match base {
            Some(mut session) => {
                report.events_applied += 1;
                session.apply(steps[step].event.clone()).ok()?;
                Some(session)
            }
            None => {
                // The nearest step on the way back that still has its session, else the start.
                let mut events = vec![steps[step].event.clone()];
                let mut current = Some(before);
                while let Some(index) = current {
                    if let Some(kept) = self.sessions[index].as_deref() {
                        let mut session = kept.clone();
                        report.events_applied += events.len();
                        for event in events.into_iter().rev() {
                            session.apply(event).ok()?;
                        }
                        return Some(session);
                    }
                    events.push(steps[index].event.clone());
                    current = steps[index].before;
                }
                events.reverse();
                report.events_applied += events.len();
                Session::resume(project, events)
                    .map(Session::without_back)
                    .ok()
            }
        }
    }
}

/// Roughly the memory a session holds: its counters, values, log, path and what `Back`
/// keeps.
fn footprint(session: &Session<&Project>) -> usize {
    let state = session.state();
    state.visits.footprint()
        + size_of_val(state.values.as_slice())
        + size_of_val(session.log())
        + size_of_val(state.path.as_slice())
        + state.undo.footprint()
}

/// The options chosen on the way to a step.
fn chosen_on_the_way(steps: &[WalkStep], last: usize) -> Vec<OptionId> {
    let mut chosen = Vec::new();
    let mut current = Some(last);
    while let Some(index) = current {
        chosen.extend(steps[index].chosen);
        current = steps[index].before;
    }
    chosen
}

/// Where an event would take the call next, without playing it: the option's or continue's
/// target, a sub-tree's start, or the same node for an answer. Good enough to prioritise.
fn leads_to(project: &Project, session: &Session<&Project>, event: &Event) -> NodeId {
    let node = session.state().node;
    match (&project.node(node).exit, event) {
        (Exit::Options(options), Event::Chose { option, .. }) => options
            .get(usize::from(*option))
            .and_then(|o| o.target)
            .unwrap_or(node),
        (Exit::Continue(Some(target)), Event::Continued { .. }) => *target,
        (
            Exit::Call {
                tree: Some(callee), ..
            },
            Event::Continued { .. },
        ) => project.tree(*callee).start.unwrap_or(node),
        _ => node,
    }
}

fn push_stuck(stuck: &mut Vec<StuckWalk>, session: &Session<&Project>, reason: String) {
    let path: Vec<NodeId> = session.state().path.iter().map(|v| v.node).collect();
    // One report per place and reason is enough; the shortest path to it is the clearest.
    if let Some(existing) = stuck
        .iter_mut()
        .find(|s| s.reason == reason && s.path.last() == path.last())
    {
        if path.len() < existing.path.len() {
            existing.path = path;
        }
        return;
    }
    stuck.push(StuckWalk { path, reason });
}

/// A small, seedable generator (SplitMix64): the same seed gives the same walks everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must not be 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

/// `count` random walks from a seed.
pub fn walk_random(
    project: &Project,
    tree: TreeId,
    audience: Audience,
    count: usize,
    seed: u64,
    limits: WalkLimits,
) -> WalkReport {
    let mut report = WalkReport::empty(project, tree);
    let late = late_step(project, tree);
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let started =
            Session::start_with(project, tree, audience, 0, invented_given(project, tree));
        let Ok(mut session) = started.map(Session::without_back) else {
            return report;
        };
        let mut chosen = Vec::new();
        report.walks += 1;
        loop {
            if session.state().ending.is_some() {
                report.finished += 1;
                break;
            }
            if exceeded(&session, &limits) {
                report.cut += 1;
                break;
            }
            let at = session.state().last_at + 1_000;
            match moves(project, &session, at, late) {
                Err(reason) => {
                    push_stuck(&mut report.stuck, &session, reason);
                    break;
                }
                Ok(mut events) => {
                    let event = events.swap_remove(rng.below(events.len()));
                    let node = session.state().node;
                    if let Event::Chose { option, .. } = &event {
                        chosen.push(OptionId {
                            node,
                            index: *option,
                        });
                    }
                    if session.apply(event).is_err() {
                        // An invented move the session refused (a required field elsewhere):
                        // the walk ends here without blaming the tree.
                        report.cut += 1;
                        break;
                    }
                }
            }
        }
        record(&mut report.coverage, &session);
        report.coverage.add_options(chosen);
    }
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    /// Everything a walk report says about the tree (not what it cost).
    fn findings(report: &WalkReport) -> (usize, usize, usize, Vec<StuckWalk>, bool, Coverage) {
        (
            report.walks,
            report.finished,
            report.cut,
            report.stuck.clone(),
            report.incomplete,
            report.coverage.clone(),
        )
    }

    #[test]
    fn checkpoints_find_what_replaying_finds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut inputs: Vec<crate::SourceInput> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "tree"))
            .map(|path| {
                crate::SourceInput::new(
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                )
            })
            .collect();
        inputs.sort_by(|a, b| a.name.cmp(&b.name));
        let project = Project::load(inputs);
        let limits = WalkLimits {
            walks: 300,
            ..WalkLimits::default()
        };
        for (tree, data) in project.trees() {
            for audience in [Audience::Agent, Audience::Customer] {
                if !data.serves(audience) {
                    continue;
                }
                let kept = explore(&project, tree, audience, limits, CHECKPOINT_BUDGET);
                let replayed = explore(&project, tree, audience, limits, 0);
                assert_eq!(findings(&kept), findings(&replayed), "{}", data.name);
                assert!(kept.events_applied <= replayed.events_applied);
            }
        }
    }
}
