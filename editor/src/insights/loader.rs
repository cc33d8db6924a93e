//! Reading stored sessions for Insights on a worker thread. Thousands of call logs take about
//! a second to read and fold, which the window must not freeze for: the source moves to the
//! thread, the thread sends how far it has come, and hands the source back with the report.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use calltree_calls::{Progress, SessionSource, Versions};
use calltree_engine::{ReportData, ReportFilter};

/// Stored sessions that can be read on another thread.
pub type Source = Box<dyn SessionSource + Send>;

/// How often the window looks at the progress while reading: a repaint per session would
/// cost more than reading it.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_millis(50);

enum Message {
    Described(String),
    Done(Source, Result<ReportData, String>),
}

/// The worker's progress, written after every session and read by the window when it draws.
#[derive(Default)]
struct Shared {
    read: AtomicU64,
    /// The count plus one; 0 while it is not known.
    of: AtomicU64,
}

/// What a poll of the worker found.
pub(crate) enum Polled {
    Reading,
    Done(Source, Result<ReportData, String>),
}

/// One reading under way.
pub(crate) struct Loader {
    receiver: mpsc::Receiver<Message>,
    shared: Arc<Shared>,
    pub described: Option<String>,
}

impl Loader {
    /// Starts reading `source` with `filter`. If no thread can be started the reading happens
    /// here, before this returns: slower, but the figures still come.
    pub fn start(
        source: Source,
        filter: ReportFilter,
        versions: Arc<Versions>,
        ctx: egui::Context,
    ) -> Loader {
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        // The source waits here until the thread takes it, so a thread that never starts
        // does not lose it.
        let slot = Arc::new(Mutex::new(Some(source)));
        let work = {
            let slot = Arc::clone(&slot);
            let (filter, versions) = (filter.clone(), Arc::clone(&versions));
            let (sender, ctx, shared) = (sender.clone(), ctx.clone(), Arc::clone(&shared));
            move || {
                let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(source) = taken {
                    read(source, &filter, &versions, &sender, &ctx, &shared);
                }
            }
        };
        let spawned = std::thread::Builder::new()
            .name("insights".into())
            .spawn(work);
        if spawned.is_err() {
            let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(source) = taken {
                read(source, &filter, &versions, &sender, &ctx, &shared);
            }
        }
        Loader {
            receiver,
            shared,
            described: None,
        }
    }

    /// How far the worker has read.
    pub fn progress(&self) -> Progress {
        let of = self.shared.of.load(Ordering::Relaxed);
        Progress {
            read: self.shared.read.load(Ordering::Relaxed),
            of: of.checked_sub(1),
        }
    }

    /// Takes what the worker has sent since the last frame.
    pub fn poll(&mut self) -> Polled {
        loop {
            match self.receiver.try_recv() {
                Ok(Message::Described(text)) => self.described = Some(text),
                Ok(Message::Done(source, result)) => return Polled::Done(source, result),
                Err(mpsc::TryRecvError::Empty) => return Polled::Reading,
                Err(mpsc::TryRecvError::Disconnected) => {
                    // Only a panic on the worker ends it without an answer; the source went
                    // with it.
                    return Polled::Done(
                        Box::new(Nothing),
                        Err("reading the stored sessions failed unexpectedly".into()),
                    );
                }
            }
        }
    }
}

fn read(
    mut source: Source,
    filter: &ReportFilter,
    versions: &Versions,
    sender: &mpsc::Sender<Message>,
    ctx: &egui::Context,
    shared: &Shared,
) {
    let _ = sender.send(Message::Described(source.describe()));
    let result = calltree_calls::report_with_progress(
        filter.clone(),
        source.as_mut(),
        versions,
        &mut |progress| {
            shared.read.store(progress.read, Ordering::Relaxed);
            shared
                .of
                .store(progress.of.map_or(0, |of| of + 1), Ordering::Relaxed);
        },
    )
    .map_err(|error| error.to_string());
    let _ = sender.send(Message::Done(source, result));
    ctx.request_repaint();
}

/// Stands in for a source lost with a worker that panicked.
struct Nothing;

impl SessionSource for Nothing {
    fn describe(&self) -> String {
        "no stored sessions".into()
    }

    fn each_session(
        &mut self,
        _filter: &ReportFilter,
        _add: &mut calltree_calls::AddSession<'_>,
    ) -> Result<(), calltree_calls::CallsError> {
        Ok(())
    }
}
