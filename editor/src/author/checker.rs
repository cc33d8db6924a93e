//! Checking off the UI thread: each edit sends the folder's texts to a worker, which loads and
//! checks them (and runs the tests when asked) while the editor keeps taking keystrokes. Only
//! the newest request matters: requests that queued up while a check ran are skipped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use calltree_engine::{ParseCache, Project, SourceInput, TestReport};

use super::graph::{self, Drawing};
use super::layout::Placement;

/// What to check.
pub struct CheckRequest {
    /// The documents' revision the texts belong to.
    pub revision: u64,
    pub inputs: Vec<SourceInput>,
    pub run_tests: bool,
}

/// A finished check.
pub struct Checked {
    pub revision: u64,
    pub project: Arc<Project>,
    /// The tests' results, when they were asked for.
    pub tests: Option<Vec<TestReport>>,
    /// How long loading and checking took (without the tests).
    pub check_time: Duration,
    /// The problems arranged for drawing, done here too: on a big file with problems that
    /// took the UI thread 5 to 18 ms.
    pub(super) findings: Option<super::Findings>,
}

/// What the checker keeps between checks besides the parsed lines: each tree's last drawing
/// and placement by name, so that a check that changes nothing drawn reuses the drawing and
/// one that changes only texts reuses the placement.
#[derive(Default)]
pub struct Caches {
    parse: ParseCache,
    drawings: HashMap<String, Arc<Drawing>>,
    placements: HashMap<String, (u64, Placement)>,
}

/// A request with its place in the order requests were sent.
struct Ticketed {
    ticket: u64,
    request: CheckRequest,
}

/// A result with the ticket of the newest request it answers.
type Answer = (u64, Checked);

/// The worker and the two ends of its queue.
pub struct Checker {
    /// `None` when no thread could be started: then each check runs where it is asked for.
    requests: Option<Sender<(Ticketed, Option<egui::Context>)>>,
    results_tx: Sender<Answer>,
    results: Receiver<Answer>,
    /// How many requests were sent, and how many of them have been answered. Counted per
    /// request, not by revision: asking for the tests re-sends the revision already checked,
    /// and its answer (with the tests) is still to come when the plain check of that revision
    /// is back.
    sent: u64,
    received: u64,
    /// The caches of checks run here, when there is no worker.
    inline_cache: Caches,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    pub fn new() -> Self {
        let (request_tx, request_rx) = mpsc::channel::<(Ticketed, Option<egui::Context>)>();
        let (results_tx, results) = mpsc::channel();
        let worker_results = results_tx.clone();
        let spawned = thread::Builder::new()
            .name("calltree-check".into())
            .spawn(move || work(&request_rx, &worker_results));
        Checker {
            requests: spawned.ok().map(|_| request_tx),
            results_tx,
            results,
            sent: 0,
            received: 0,
            inline_cache: Caches::default(),
        }
    }

    /// Queues a check; `repaint` is woken when the result is ready.
    pub fn request(&mut self, request: CheckRequest, repaint: Option<egui::Context>) {
        self.sent += 1;
        let request = Ticketed {
            ticket: self.sent,
            request,
        };
        let request = match &self.requests {
            Some(queue) => match queue.send((request, repaint)) {
                Ok(()) => return,
                // The worker is gone (it panicked): check here from now on.
                Err(mpsc::SendError((request, _))) => request,
            },
            None => request,
        };
        self.requests = None;
        // The receiver lives in `self`, so this send cannot fail.
        let _ = self
            .results_tx
            .send(check_ticketed(request, &mut self.inline_cache));
    }

    /// The newest result that has arrived, if any arrived since the last call.
    pub fn poll(&mut self) -> Option<Checked> {
        let mut newest = None;
        while let Ok((ticket, result)) = self.results.try_recv() {
            self.received = self.received.max(ticket);
            newest = Some(result);
        }
        newest
    }

    /// Waits (up to `limit`) for the result of the newest request; for tests and for closing.
    pub fn wait(&mut self, limit: Duration) -> Option<Checked> {
        let deadline = Instant::now() + limit;
        let mut newest = self.poll();
        while self.is_busy() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.results.recv_timeout(left) {
                Ok((ticket, result)) => {
                    self.received = self.received.max(ticket);
                    newest = Some(result);
                }
                Err(_) => break,
            }
        }
        newest
    }

    /// Whether a request is still being worked on.
    pub fn is_busy(&self) -> bool {
        self.received < self.sent
    }
}

/// Checks one set of texts. The cache remembers the lines of the previous check, so after a
/// one-line edit only that line goes through the grammar again.
pub fn check(request: CheckRequest, cache: &mut Caches) -> Checked {
    let started = Instant::now();
    let project = Project::load_cached(request.inputs, &mut cache.parse);
    let check_time = started.elapsed();
    let tests = request.run_tests.then(|| project.run_tests());
    let mut checked = Checked {
        revision: request.revision,
        project: Arc::new(project),
        tests,
        check_time,
        findings: None,
    };
    let mut findings = super::findings::arrange(&checked);
    findings.ready = draw_all(&checked.project, &findings, cache);
    checked.findings = Some(findings);
    checked
}

/// Every tree of a project that parsed, drawn whole, reusing the last drawing of a tree whose
/// fingerprint did not change. A project with syntax errors is not drawn: the graph keeps
/// showing the last one that parsed.
fn draw_all(
    project: &Project,
    findings: &super::Findings,
    cache: &mut Caches,
) -> HashMap<calltree_engine::TreeId, Arc<Drawing>> {
    if findings
        .problems
        .iter()
        .any(|p| super::findings::is_syntax(p.code))
    {
        return HashMap::new();
    }
    let mut ready = HashMap::new();
    for (tree, data) in project.trees() {
        let Some(&version) = findings.drawings.get(&tree) else {
            continue;
        };
        let kept = cache
            .drawings
            .get(&data.name)
            .filter(|d| d.is_of(version, tree))
            .cloned();
        let drawing = kept.unwrap_or_else(|| {
            let mut placement = cache.placements.remove(&data.name);
            let drawing = Arc::new(graph::draw_whole(
                project,
                tree,
                version,
                &findings.node_problems,
                &mut placement,
            ));
            if let Some(placement) = placement {
                cache.placements.insert(data.name.clone(), placement);
            }
            drawing
        });
        cache
            .drawings
            .insert(data.name.clone(), Arc::clone(&drawing));
        ready.insert(tree, drawing);
    }
    // Trees deleted or renamed are forgotten.
    cache
        .drawings
        .retain(|name, _| project.trees().any(|(_, t)| &t.name == name));
    cache
        .placements
        .retain(|name, _| project.trees().any(|(_, t)| &t.name == name));
    ready
}

/// Checks a request and answers with its ticket.
fn check_ticketed(ticketed: Ticketed, cache: &mut Caches) -> Answer {
    (ticketed.ticket, check(ticketed.request, cache))
}

fn work(requests: &Receiver<(Ticketed, Option<egui::Context>)>, results: &Sender<Answer>) {
    let mut cache = Caches::default();
    while let Ok(mut next) = requests.recv() {
        // Keystrokes that arrived during the last check: only the newest text matters, but
        // tests asked for are still run, on that newest text.
        let mut run_tests = next.0.request.run_tests;
        while let Ok(newer) = requests.try_recv() {
            run_tests |= newer.0.request.run_tests;
            next = newer;
        }
        next.0.request.run_tests = run_tests;
        let (request, repaint) = next;
        if results.send(check_ticketed(request, &mut cache)).is_err() {
            return;
        }
        if let Some(ctx) = repaint {
            ctx.request_repaint();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_of_the_newest_request_comes_back_whatever_queued_before_it() {
        let mut checker = Checker::new();
        for revision in 1..=5 {
            let text =
                format!("tree t \"T\"\n  start: a\n\nnode a \"A\"\n  end resolved\n# {revision}\n");
            checker.request(
                CheckRequest {
                    revision,
                    inputs: vec![SourceInput::new("t.tree", text)],
                    run_tests: revision == 2,
                },
                None,
            );
        }
        let result = checker
            .wait(Duration::from_secs(30))
            .expect("a result arrives");
        assert_eq!(result.revision, 5);
        assert!(!checker.is_busy());
        assert!(!result.project.has_errors());
    }

    /// Asking for the tests re-sends the revision just checked: the checker is busy until
    /// that answer, tests and all, is back. It once counted by revision, found the plain
    /// check's answer and said it was done, and a test that waited for the tests' results
    /// failed whenever the machine was slow (author.rs `tests_run_and_report_...`).
    #[test]
    fn tests_asked_for_on_the_revision_already_checked_are_waited_for() {
        let mut checker = Checker::new();
        let text = "tree t \"T\"\n  start: a\n\nnode a \"A\"\n  end resolved\n";
        let request = |run_tests| CheckRequest {
            revision: 7,
            inputs: vec![SourceInput::new("t.tree", text)],
            run_tests,
        };
        checker.request(request(false), None);
        let plain = checker.wait(Duration::from_secs(30)).expect("a result");
        assert!(plain.tests.is_none());
        assert!(!checker.is_busy());
        checker.request(request(true), None);
        assert!(checker.is_busy(), "the tests' answer is still to come");
        let with_tests = checker.wait(Duration::from_secs(30)).expect("a result");
        assert_eq!(with_tests.revision, 7);
        assert!(with_tests.tests.is_some());
        assert!(!checker.is_busy());
    }
}
