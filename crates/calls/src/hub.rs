//! Talking to `calltree serve` as a hub: the API's messages (shared with the server, so both
//! ends agree on them by construction) and a client for desktops and tools, with the agent's
//! token on every request.
//!
//! **Client.** hyper's own HTTP/1 client connection, on a small single-threaded tokio runtime
//! owned by the client. hyper and tokio are already in every build through the server (axum
//! runs on them), so the client adds no crate; a blocking API keeps the host kit's callers
//! (the CLI, a desktop's background thread) free of async. Each request opens a connection
//! and closes it: a desktop sends a step every few seconds at most.
//!
//! **Plain HTTP.** TLS ends at the proxy in front of the hub (docs/deployment.md); this
//! client speaks `http://` only, so desktops reach the hub on a private network or through a
//! local TLS tunnel. An `https://` address is refused with that sentence rather than sent in
//! the clear.
//!
//! **Failures.** A server that cannot be reached, answers too slowly or goes away in the
//! middle is [`CallsError::Unreachable`]: nothing is known to have been stored, and since an
//! upload is idempotent by (session, sequence) the same request can simply be sent again. A
//! refusal is [`CallsError::Server`] with the server's own sentence.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use calltree_engine::translation::TranslationInput;
use calltree_engine::{Event, Millis, Project, Session, SourceInput};
use calltree_store::{LiveTree, SessionInfo};
use serde::{Deserialize, Serialize};

use crate::call::Call;
use crate::database::Handoffs;
use crate::error::CallsError;
use crate::reports::{AddSession, SessionSource};
use crate::store::{CallId, CallStore};
use crate::versions::Versions;

/// How long one request may take, connecting included, before the server counts as gone.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The largest answer read: a project's files or a long list of sessions, with room.
const ANSWER_LIMIT: usize = 64 * 1024 * 1024;

/// One `.tree` file: its name (inside the published folder) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeFile {
    pub name: String,
    pub text: String,
}

/// `POST /api/v1/trees`: the files of a project to check and make live.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishRequest {
    pub files: Vec<TreeFile>,
}

/// What a publish made live, and `GET /api/v1/trees`: the live version of each tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveTrees {
    pub trees: Vec<LiveTree>,
}

/// `GET /api/v1/trees/ID` and `GET /api/v1/versions/VERSION`: the files a version was loaded
/// from, which load into the project it runs on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TreeSource {
    /// The tree asked for (empty when a version was asked for).
    pub tree: String,
    pub version: String,
    pub files: Vec<TreeFile>,
}

/// One event of an upload, with its number in the session (`Started` is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberedEvent {
    pub seq: usize,
    pub event: Event,
}

/// `POST /api/v1/sessions/ID/events`: consecutive events of one session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub events: Vec<NumberedEvent>,
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    /// Events stored by this request.
    pub stored: usize,
    /// Events that were stored already, exactly as sent (a replayed upload).
    pub already: usize,
    /// How many events the session has now.
    pub events: usize,
}

/// `POST /api/v1/handoff`: a customer's handoff code, as the agent typed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandoffRequest {
    pub code: String,
}

/// A session taken over: its events (the `TakenOver` last) and the files of its version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakenOver {
    pub id: String,
    pub events: Vec<Event>,
    pub files: Vec<TreeFile>,
}

/// A session's events, as `GET /api/v1/sessions/ID/events` gives them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionEvents {
    pub id: String,
    pub events: Vec<Event>,
}

/// The hub's address and an agent's token. Cheap to clone (clones share one runtime).
#[derive(Clone)]
pub struct HubClient {
    /// As given, for messages (it holds no secret).
    shown: String,
    host: String,
    port: u16,
    /// The path the API is under, without a trailing slash ("" at the root).
    prefix: String,
    token: String,
    timeout: Duration,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("server", &self.shown)
            .field("token", &"<secret>")
            .finish_non_exhaustive()
    }
}

impl HubClient {
    /// A client of the hub at `url` (`http://HOST[:PORT][/PATH]`), sending `token`.
    pub fn new(url: &str, token: &str) -> Result<HubClient, CallsError> {
        let bad = |why: &str| CallsError::BadServerAddress {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let url = url.trim();
        if url.starts_with("https://") {
            return Err(bad(
                "this calltree speaks plain http:// to the server; TLS ends at the proxy, so \
                 reach the server on a private network or through a TLS tunnel",
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("it must start with http://"))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                let port = port.parse().map_err(|_| bad("its port is not a number"))?;
                (host, port)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['@', '?', '#']) {
            return Err(bad("it has no plain host name"));
        }
        if token.trim().is_empty() || !token.trim().is_ascii() {
            return Err(CallsError::Server {
                status: 401,
                message: "no agent token was given (an administrator makes one with \
                          `calltree agents add NAME`)"
                    .into(),
                diagnostics: None,
            });
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| CallsError::Unreachable {
                server: url.to_owned(),
                message: format!("cannot start the client's runtime: {error}"),
            })?;
        Ok(HubClient {
            shown: url.to_owned(),
            host: host.to_owned(),
            port,
            prefix: path.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            timeout: REQUEST_TIMEOUT,
            runtime: Arc::new(runtime),
        })
    }

    /// The same client, giving up on a request after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> HubClient {
        self.timeout = timeout;
        self
    }

    /// The server's address as given.
    pub fn server(&self) -> &str {
        &self.shown
    }

    /// The name of the agent the token belongs to (a check of the settings).
    pub fn whoami(&self) -> Result<String, CallsError> {
        #[derive(Deserialize)]
        struct WhoAmI {
            agent: String,
        }
        Ok(self.get::<WhoAmI>("/api/v1/whoami")?.agent)
    }

    /// The live version of every published tree.
    pub fn trees(&self) -> Result<Vec<LiveTree>, CallsError> {
        Ok(self.get::<LiveTrees>("/api/v1/trees")?.trees)
    }

    /// The files of a tree's live version.
    pub fn tree(&self, id: &str) -> Result<TreeSource, CallsError> {
        self.get(&format!("/api/v1/trees/{}", path_part(id)))
    }

    /// The files of any version the server keeps.
    pub fn version(&self, version: &str) -> Result<TreeSource, CallsError> {
        self.get(&format!("/api/v1/versions/{}", path_part(version)))
    }

    /// Checks `files` on the server and makes every tree in them live. A project with errors
    /// is refused with status 422 and the diagnostics' text.
    pub fn publish(&self, files: Vec<TreeFile>) -> Result<Vec<LiveTree>, CallsError> {
        let answer: LiveTrees = self.send("POST", "/api/v1/trees", &PublishRequest { files })?;
        Ok(answer.trees)
    }

    /// Sends events of session `id`, numbered from `first_seq`. Sending the same events again
    /// stores nothing twice; different events under a number already taken are a 409.
    pub fn upload(
        &self,
        id: &str,
        first_seq: usize,
        events: &[Event],
    ) -> Result<Uploaded, CallsError> {
        let upload = Upload {
            events: events
                .iter()
                .enumerate()
                .map(|(offset, event)| NumberedEvent {
                    seq: first_seq + offset,
                    event: event.clone(),
                })
                .collect(),
        };
        self.send(
            "POST",
            &format!("/api/v1/sessions/{}/events", path_part(id)),
            &upload,
        )
    }

    /// Takes a customer's session over by its handoff code, on the server.
    pub fn take_over(&self, code: &str) -> Result<TakenOver, CallsError> {
        self.send(
            "POST",
            "/api/v1/handoff",
            &HandoffRequest {
                code: code.to_owned(),
            },
        )
    }

    /// Sessions newest first, of one tree or all, started at or after `since`.
    pub fn sessions(
        &self,
        tree: Option<&str>,
        since: Option<Millis>,
    ) -> Result<Vec<SessionInfo>, CallsError> {
        let mut query = Vec::new();
        if let Some(tree) = tree {
            query.push(format!("tree={}", path_part(tree)));
        }
        if let Some(since) = since {
            query.push(format!("since={since}"));
        }
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        self.get(&format!("/api/v1/sessions{query}"))
    }

    /// Every event of a session.
    pub fn events(&self, id: &str) -> Result<Vec<Event>, CallsError> {
        let answer: SessionEvents =
            self.get(&format!("/api/v1/sessions/{}/events", path_part(id)))?;
        Ok(answer.events)
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, CallsError> {
        self.exchange("GET", path, Vec::new())
    }

    fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, CallsError> {
        let body = serde_json::to_vec(body).map_err(|error| CallsError::BadAnswer {
            server: self.shown.clone(),
            message: format!("the request could not be written: {error}"),
        })?;
        self.exchange(method, path, body)
    }

    /// One request and its JSON answer, or the server's refusal in its own words.
    fn exchange<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, CallsError> {
        let (status, bytes) = self.request(method, path, body)?;
        if !(200..300).contains(&status) {
            #[derive(Deserialize)]
            struct Refusal {
                error: String,
                diagnostics: Option<String>,
            }
            return Err(match serde_json::from_slice::<Refusal>(&bytes) {
                Ok(refusal) => CallsError::Server {
                    status,
                    message: refusal.error,
                    diagnostics: refusal.diagnostics,
                },
                Err(_) => CallsError::Server {
                    status,
                    message: format!(
                        "the server at {} answered {status} without saying why (is it a \
                         calltree server?)",
                        self.shown
                    ),
                    diagnostics: None,
                },
            });
        }
        serde_json::from_slice(&bytes).map_err(|error| CallsError::BadAnswer {
            server: self.shown.clone(),
            message: error.to_string(),
        })
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), CallsError> {
        use http_body_util::BodyExt as _;

        let gone = |message: String| CallsError::Unreachable {
            server: self.shown.clone(),
            message,
        };
        let uri = format!("{}{path}", self.prefix);
        let host_header = if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let request = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::HOST, host_header)
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json")
            .body(http_body_util::Full::new(std::io::Cursor::new(body)))
            .map_err(|error| gone(format!("the request could not be made: {error}")))?;
        let exchange = async {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|error| gone(error.to_string()))?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|error| gone(error.to_string()))?;
            // The connection is driven beside the request; it ends with the answer.
            tokio::spawn(connection);
            let response = sender
                .send_request(request)
                .await
                .map_err(|error| gone(error.to_string()))?;
            let status = response.status().as_u16();
            let body = http_body_util::Limited::new(response.into_body(), ANSWER_LIMIT)
                .collect()
                .await
                .map_err(|error| gone(format!("the answer broke off: {error}")))?
                .to_bytes();
            Ok::<_, CallsError>((status, body.to_vec()))
        };
        self.runtime.block_on(async {
            tokio::time::timeout(self.timeout, exchange)
                .await
                .map_err(|_| {
                    gone(format!(
                        "no answer within {} seconds",
                        self.timeout.as_secs()
                    ))
                })?
        })
    }
}

/// Text put in a path or query: everything but letters, digits and `-._~` percent-encoded.
fn path_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The project of a version's files, as the hub sent them.
/// Its translation files are among them as the database keeps them (see
/// [`crate::versions::version_files`]).
pub fn project_of(files: &[TreeFile]) -> Project {
    crate::versions::project_of_version(
        files
            .iter()
            .map(|file| (file.name.clone(), file.text.clone())),
    )
}

/// A call whose events are kept by the hub: each step is one upload, acknowledged once the
/// server has committed it. For a session taken over through the API.
#[derive(Debug, Clone)]
pub struct HubCalls {
    client: HubClient,
}

impl HubCalls {
    pub fn new(client: HubClient) -> HubCalls {
        HubCalls { client }
    }
}

impl CallStore for HubCalls {
    fn begin(&mut self, first: &Event) -> Result<CallId, CallsError> {
        let id = random_id()?;
        self.client.upload(&id, 0, std::slice::from_ref(first))?;
        Ok(id)
    }

    fn append(&mut self, call: &str, seq: usize, events: &[Event]) -> Result<(), CallsError> {
        self.client.upload(call, seq, events)?;
        Ok(())
    }

    /// The hub works the ending out from the events themselves.
    fn finish(
        &mut self,
        _call: &str,
        _outcome: Option<calltree_engine::OutcomeKind>,
    ) -> Result<(), CallsError> {
        Ok(())
    }
}

/// 128 random bits as 32 hex digits: a session id no other desktop will make.
pub(crate) fn random_id() -> Result<String, CallsError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| CallsError::Unreachable {
        server: String::new(),
        message: format!("the operating system's random number generator failed: {error}"),
    })?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Customers' sessions taken over through the hub: the code goes to the server, which
/// records the take-over. Made with [`HubHandoffs::keeping`], the session becomes a call in
/// the desktop's calls folder and the agent's next steps are fsynced there and relayed, as
/// every call of the desktop is; made with [`HubHandoffs::new`], they go straight to the
/// server and a step fails while it is away.
#[derive(Debug, Clone)]
pub struct HubHandoffs {
    client: HubClient,
    keep: Option<(crate::LogFolder, crate::RelayHandle)>,
}

impl HubHandoffs {
    pub fn new(client: HubClient) -> HubHandoffs {
        HubHandoffs { client, keep: None }
    }

    /// Sessions taken over are kept in `folder` (the calls folder `relay` sends from).
    pub fn keeping(
        client: HubClient,
        folder: crate::LogFolder,
        relay: crate::RelayHandle,
    ) -> HubHandoffs {
        HubHandoffs {
            client,
            keep: Some((folder, relay)),
        }
    }
}

impl Handoffs for HubHandoffs {
    fn take_over(&mut self, code: &str, _at: Millis) -> Result<Call, CallsError> {
        let taken = self.client.take_over(code)?;
        let versions = Versions::new();
        versions.add(&Arc::new(project_of(&taken.files)));
        let project = versions.for_session(&taken.id, &taken.events)?;
        let session =
            crate::database::in_customers_language(Session::resume(project, taken.events)?)?;
        if let (Some((folder, relay)), Some((first, rest))) =
            (&self.keep, session.log().split_first())
        {
            let mut local = folder.clone();
            // Could the session not be kept here, the call still goes on as before:
            // straight to the server, with nothing written twice.
            if let Ok(id) = relay.adopt(&mut local, &taken.id, first, rest) {
                return Ok(Call::open(
                    id,
                    session,
                    Box::new(crate::Relayed::new(local, relay.clone())),
                ));
            }
        }
        Ok(Call::open(
            taken.id,
            session,
            Box::new(HubCalls::new(self.client.clone())),
        ))
    }
}

/// The hub's sessions for a report: self-service and desktop calls together, each on the
/// version it ran on (fetched from the hub once per version).
pub struct HubSessions {
    client: HubClient,
    versions: Versions,
}

impl HubSessions {
    /// Sessions from `client`; the versions they ran on are added to `versions` (a clone
    /// shares its projects) as they are met, so pass the same `versions` to
    /// [`crate::report`].
    pub fn new(client: HubClient, versions: Versions) -> HubSessions {
        HubSessions { client, versions }
    }
}

impl SessionSource for HubSessions {
    fn describe(&self) -> String {
        format!("the sessions of {}", self.client.server())
    }

    fn each_session(
        &mut self,
        filter: &calltree_engine::ReportFilter,
        add: &mut AddSession<'_>,
    ) -> Result<(), CallsError> {
        let mut fetched = std::collections::HashSet::new();
        for session in self.client.sessions(filter.tree.as_deref(), filter.since)? {
            if self.versions.project(&session.version)?.is_none()
                && fetched.insert(session.version.clone())
            {
                match self.client.version(&session.version) {
                    Ok(source) => self.versions.add(&Arc::new(project_of(&source.files))),
                    // A version the hub does not keep: the session counts as far as its
                    // events allow, as with call logs.
                    Err(CallsError::Server { status: 404, .. }) => {}
                    Err(error) => return Err(error),
                }
            }
            let events = self.client.events(&session.id)?;
            add(&session.id, &events)?;
        }
        Ok(())
    }
}

/// The trees a hub has made live, fetched on a thread of its own every so often, for a
/// desktop that runs only published versions: it takes [`HubTrees::inputs`] between calls,
/// never during one.
pub struct HubTrees {
    shared: Arc<(std::sync::Mutex<LiveState>, std::sync::Condvar)>,
}

#[derive(Default)]
struct LiveState {
    /// The files of every live tree's version, once fetched.
    files: Option<Vec<TreeFile>>,
    /// The live (tree, version) pairs those files are of.
    live: Vec<(String, String)>,
    problem: Option<String>,
    stopping: bool,
}

impl Drop for HubTrees {
    fn drop(&mut self) {
        let (state, wake) = &*self.shared;
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .stopping = true;
        wake.notify_all();
    }
}

/// The file, in a desktop's calls folder, that keeps the hub's live trees last fetched.
pub const HUB_TREES_FILE: &str = "hub-trees.json";

/// What a desktop keeps on disk of the hub's live trees (`HubTrees::start_keeping`).
#[derive(Serialize, Deserialize)]
struct KeptTrees {
    live: Vec<(String, String)>,
    files: Vec<TreeFile>,
}

impl HubTrees {
    /// Starts asking `client`'s hub for its live trees now and every `every`.
    pub fn start(client: HubClient, every: Duration) -> Result<HubTrees, CallsError> {
        HubTrees::start_keeping(client, every, None)
    }

    /// As [`HubTrees::start`], keeping the last trees fetched in the file `copy` (written
    /// atomically after each fetch that changed them) and starting from that file's trees:
    /// a desktop restarted while the hub is away still runs the last published versions,
    /// not whatever its local folder holds. A copy that cannot be read is ignored (the hub
    /// is asked anyway); one that cannot be written is named in [`HubTrees::problem`].
    pub fn start_keeping(
        client: HubClient,
        every: Duration,
        copy: Option<PathBuf>,
    ) -> Result<HubTrees, CallsError> {
        let mut state = LiveState::default();
        if let Some(kept) = copy
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| serde_json::from_str::<KeptTrees>(&text).ok())
        {
            state.live = kept.live;
            state.files = Some(kept.files);
        }
        let shared = Arc::new((std::sync::Mutex::new(state), std::sync::Condvar::new()));
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("calltree-hub-trees".into())
            .spawn(move || poll_live(&worker, &client, every, copy.as_deref()))
            .map_err(|error| CallsError::Unreachable {
                server: String::new(),
                message: format!("cannot start the thread that fetches trees: {error}"),
            })?;
        Ok(HubTrees { shared })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LiveState> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The files of the live trees as inputs for a project, once they have been fetched:
    /// the tree files, and the translation files to add to the project.
    pub fn inputs(&self) -> Option<(Vec<SourceInput>, Vec<TranslationInput>)> {
        self.state().files.as_ref().map(|files| {
            crate::versions::split_version_files(
                files
                    .iter()
                    .map(|file| (file.name.clone(), file.text.clone())),
            )
        })
    }

    /// The live (tree, version) pairs the inputs are of.
    pub fn live(&self) -> Vec<(String, String)> {
        self.state().live.clone()
    }

    /// Why the trees could not be fetched last time, if they could not.
    pub fn problem(&self) -> Option<String> {
        self.state().problem.clone()
    }
}

/// The files of every live tree, one copy of each file name: trees published together
/// share their files; where two live versions hold different texts under one name, the one
/// published later wins.
fn live_files(client: &HubClient, live: &[LiveTree]) -> Result<Vec<TreeFile>, CallsError> {
    let mut order: Vec<&LiveTree> = live.iter().collect();
    order.sort_by_key(|tree| tree.published_at);
    let mut files: Vec<TreeFile> = Vec::new();
    let mut fetched = std::collections::HashSet::new();
    for tree in order {
        if !fetched.insert(tree.version.clone()) {
            continue;
        }
        for file in client.version(&tree.version)?.files {
            match files.iter_mut().find(|kept| kept.name == file.name) {
                Some(kept) => *kept = file,
                None => files.push(file),
            }
        }
    }
    Ok(files)
}

fn poll_live(
    shared: &(std::sync::Mutex<LiveState>, std::sync::Condvar),
    client: &HubClient,
    every: Duration,
    copy: Option<&Path>,
) {
    let (state, wake) = shared;
    let lock = || {
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    loop {
        let fetched = client.trees().and_then(|live| {
            let pairs: Vec<(String, String)> = live
                .iter()
                .map(|tree| (tree.tree.clone(), tree.version.clone()))
                .collect();
            let unchanged = {
                let current = lock();
                current.live == pairs && current.files.is_some()
            };
            if unchanged {
                return Ok(None);
            }
            Ok(Some((pairs, live_files(client, &live)?)))
        });
        let mut current = lock();
        match fetched {
            Ok(Some((pairs, files))) => {
                let kept = KeptTrees { live: pairs, files };
                current.problem = copy.and_then(|path| {
                    let text = serde_json::to_string(&kept).unwrap_or_default();
                    calltree_files::write_atomically(path, &text)
                        .err()
                        .map(|error| format!("the trees fetched could not be kept: {error}"))
                });
                current.live = kept.live;
                current.files = Some(kept.files);
            }
            Ok(None) => current.problem = None,
            Err(error) => current.problem = Some(error.to_string()),
        }
        if current.stopping {
            return;
        }
        let (next, _) = wake
            .wait_timeout(current, every)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if next.stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_or_refused_in_words() {
        let client = HubClient::new("http://hub.internal:8080/calltree/", "ct_x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((client.host.as_str(), client.port), ("hub.internal", 8080));
        assert_eq!(client.prefix, "/calltree");
        let client = HubClient::new("http://10.0.0.5", "ct_x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (client.host.as_str(), client.port, client.prefix.as_str()),
            ("10.0.0.5", 80, "")
        );
        for bad in ["https://hub", "hub:80", "http://:80", "http://hub:eighty"] {
            assert!(
                matches!(
                    HubClient::new(bad, "ct_x"),
                    Err(CallsError::BadServerAddress { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            HubClient::new("http://hub", " "),
            Err(CallsError::Server { status: 401, .. })
        ));
    }

    #[test]
    fn path_parts_are_escaped() {
        assert_eq!(path_part("a b/c"), "a%20b%2Fc");
        assert_eq!(path_part("tree_1-x.y"), "tree_1-x.y");
    }

    #[test]
    fn a_server_that_is_not_there_is_unreachable_not_a_panic() {
        // Port 9 (discard) on the loopback is closed on any test machine.
        let client = HubClient::new("http://127.0.0.1:9", "ct_x")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timeout(Duration::from_secs(2));
        assert!(matches!(
            client.trees(),
            Err(CallsError::Unreachable { .. })
        ));
    }
}
