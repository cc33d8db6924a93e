//! The accept loop: how many connections the server holds, and for how long.
//!
//! axum's own `serve` accepts every connection and keeps it as long as the client likes: with
//! the usual limit of 1,024 file descriptors, about a thousand idle sockets were enough to
//! stop every customer. Here each connection needs a permit (`max_connections`); a connection
//! beyond them gets a short 503 page at once and is closed, so a flood is refused instead of
//! queued. A connection must send its request headers within `header_timeout` (hyper's own
//! timer), and one that neither sends nor receives anything for `idle_timeout` while no
//! request of it is being answered is closed, so slow and idle clients give their permits
//! back. Errors from `accept` (out of file descriptors, say) are logged, at most once a
//! second, and the loop pauses briefly instead of spinning.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service as _;

use crate::Settings;

/// Connections being told "busy" at once, beyond `max_connections`. Telling takes a
/// moment each; past this many the connection is simply closed.
const SHED_AT_ONCE: usize = 64;
/// How long telling a connection "busy" may take.
const SHED_TIME: Duration = Duration::from_secs(1);

/// Accepts connections until the listener fails for good (it does not: errors are logged).
pub(crate) async fn run(listener: TcpListener, app: Router, settings: Settings) {
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let shedding = Arc::new(Semaphore::new(SHED_AT_ONCE));
    let busy_page: Arc<[u8]> = busy_response().into();
    let mut errors = ErrorLog::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                errors.note(&error);
                // Out of descriptors or memory: accepting again at once would spin.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => {
                let app = app.clone();
                let settings = settings.clone();
                tokio::spawn(async move {
                    connection(stream, peer, app, &settings).await;
                    drop(permit);
                });
            }
            Err(_) => {
                let Ok(telling) = Arc::clone(&shedding).try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let page = Arc::clone(&busy_page);
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(SHED_TIME, shed(stream, &page)).await;
                    drop(telling);
                });
            }
        }
    }
}

/// The whole answer to a connection over the limit: 503, the site's page, and goodbye.
fn busy_response() -> Vec<u8> {
    let (title, sentence) = crate::refusal::words(StatusCode::SERVICE_UNAVAILABLE);
    let page = crate::pages::message_page(title, sentence).0;
    let policy = crate::refusal::policy(&crate::refusal::style_hashes(&page));
    let mut response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html; charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 5\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\nx-frame-options: DENY\r\n\
         referrer-policy: same-origin\r\ncontent-security-policy: {policy}\r\n\
         connection: close\r\n\r\n",
        page.len()
    )
    .into_bytes();
    response.extend_from_slice(page.as_bytes());
    response
}

async fn shed(mut stream: TcpStream, page: &[u8]) -> io::Result<()> {
    stream.write_all(page).await?;
    stream.shutdown().await?;
    // Read what the client sent before closing, so the close is not a reset that could
    // destroy the page before the client read it.
    let mut sink = [0u8; 4096];
    while stream.read(&mut sink).await? > 0 {}
    Ok(())
}

/// When a connection last did anything, and how many of its requests are being answered.
#[derive(Default)]
struct Activity {
    /// Milliseconds since `start` of the last read or write.
    last: AtomicU64,
    busy: AtomicUsize,
}

/// Serves one connection until it closes, times out or goes idle.
async fn connection(stream: TcpStream, peer: SocketAddr, app: Router, settings: &Settings) {
    let _ = stream.set_nodelay(true);
    let start = Instant::now();
    let activity = Arc::new(Activity::default());
    let io = Watched {
        inner: stream,
        activity: Arc::clone(&activity),
        start,
    };
    let requests = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        let guard = Busy::new(Arc::clone(&requests));
        async move {
            let response = app.call(request.map(axum::body::Body::new)).await;
            drop(guard);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_headers(64)
        .max_buf_size(64 * 1024);
    let served = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(served);
    let check = (settings.idle_timeout / 4).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = &mut served => return,
            () = tokio::time::sleep(check) => {
                let idle = start.elapsed().saturating_sub(Duration::from_millis(
                    activity.last.load(Ordering::Relaxed),
                ));
                if activity.busy.load(Ordering::Relaxed) == 0 && idle >= settings.idle_timeout {
                    // Dropping the connection closes the socket and frees its permit.
                    return;
                }
            }
        }
    }
}

/// Counts a request as being answered for as long as it lives.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that notes the time of every read and write that moved bytes.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    start: Instant,
}

impl Watched {
    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.last.store(now, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accept errors, logged one line at a time and at most once a second, with a count of the
/// ones in between: a flood must not turn into a flood of log lines.
#[derive(Default)]
struct ErrorLog {
    last: Option<Instant>,
    quiet: u64,
}

impl ErrorLog {
    fn note(&mut self, error: &io::Error) {
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            self.quiet += 1;
            return;
        }
        let more = match self.quiet {
            0 => String::new(),
            n => format!(" ({n} more since the last message)"),
        };
        crate::log(&format!(
            "could not accept a connection: {error}{more}; if this says \"too many open files\", \
             raise the file-descriptor limit (ulimit -n) or lower --max-connections"
        ));
        self.last = Some(Instant::now());
        self.quiet = 0;
    }
}
