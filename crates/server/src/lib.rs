//! The customers' self-service web pages: the same trees the agents use, played in customer
//! wording, one server-rendered page per step, with every event stored in SQLite before the
//! page moves on. No JavaScript: every action is a plain form post followed by a redirect,
//! so reloading, the browser's back button and a server restart all land on the session as
//! it is stored.
//!
//! Who may do what: a session's URL holds an unguessable id, and a cookie scoped to that URL
//! holds its owner token (only a hash is stored), so a leaked link alone reads nothing.
//! Every form carries the session's CSRF token and is refused when posted from another
//! site. Agents take a session over by its handoff code, with the database or through the
//! hub API for desktops (`api.rs`, agent tokens), never through the customer's pages.

mod api;
mod error;
mod folded;
mod form;
mod language;
mod limits;
mod listener;
mod pages;
mod refusal;
mod translated;
mod trees;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use calltree_calls::{Call, CallsError, DatabaseCalls, now, open_session};
use calltree_engine::{Action, OutcomeKind, Session, SessionError, Step};
use calltree_store::{Store, same_secret};
use calltree_syntax::Audience;

use crate::language::Language;

pub use error::ServerError;
pub use trees::Trees;

/// Forms are small: a step has a few fields of at most a few hundred characters.
pub const BODY_LIMIT: usize = 32 * 1024;
/// The longest answer kept (the engine's rule); longer ones are refused with a message.
pub const ANSWER_LIMIT: usize = calltree_engine::MAX_ANSWER_CHARS;
/// What a customer's "Talk to a person" records as the escalation's reason.
pub const PERSON_REASON: &str = "customer asked for a person";

/// What every request shares.
pub struct AppState {
    pub trees: Trees,
    pub store: Store,
    /// The bearer token the JSON API wants; without one the API is off.
    pub api_token: Option<String>,
    pub settings: Settings,
    starts: limits::RateLimit,
    posts: limits::RateLimit,
    folded: folded::Folded,
    /// The trees in each visitor language, made once per project (see `translated.rs`).
    translated: translated::Translated,
}

impl AppState {
    /// Sessions kept folded in memory, and their events in all (see `folded.rs`).
    pub fn folded_sessions(&self) -> (usize, usize) {
        self.folded.size()
    }

    pub fn new(
        trees: Trees,
        store: Store,
        api_token: Option<String>,
        settings: Settings,
    ) -> AppState {
        AppState {
            starts: limits::RateLimit::new(settings.starts_per_minute),
            posts: limits::RateLimit::new(settings.posts_per_minute),
            folded: folded::Folded::default(),
            translated: translated::Translated::default(),
            trees,
            store,
            api_token,
            settings,
        }
    }
}

/// How the server treats its customers and their connections: `calltree serve`'s options.
/// The defaults suit one server on the open internet behind nothing but TLS.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a handoff code works, from the moment the customer asked for a person.
    pub handoff_lifetime: Duration,
    /// Whether a reverse proxy in front sets `X-Forwarded-For`, `-Host` and `-Proto`. Without
    /// one, anybody could send those headers, so they are ignored.
    pub trusted_proxy: bool,
    /// How long a request's body may take to arrive once its headers are in.
    pub body_timeout: Duration,
    /// How long a connection may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a connection may do nothing (no request being answered) before it is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; one more gets a 503 page at once and is closed. Each is a
    /// file descriptor: keep the process's limit (`ulimit -n`) above this plus about 100.
    pub max_connections: usize,
    /// Sessions one client may start in a minute (as a burst, then evenly); 0 for no limit.
    pub starts_per_minute: u32,
    /// Forms one client may post in a minute; 0 for no limit.
    pub posts_per_minute: u32,
    /// Events one session may have; a session at the limit cannot go on.
    pub max_events: usize,
    /// How long after its start a session can still be continued.
    pub max_session_age: Duration,
    /// Sessions whose last event is older than this are deleted, once an hour.
    pub retain: Option<Duration>,
    /// How a customer given a handoff code reaches a person (`calltree serve --contact`).
    pub contact: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            handoff_lifetime: Duration::from_millis(
                calltree_store::HANDOFF_LIFETIME.unsigned_abs(),
            ),
            trusted_proxy: false,
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            starts_per_minute: 20,
            posts_per_minute: 120,
            max_events: 2_000,
            max_session_age: Duration::from_secs(24 * 3600),
            retain: None,
            contact: None,
        }
    }
}

impl Settings {
    fn handoff_lifetime_ms(&self) -> i64 {
        i64::try_from(self.handoff_lifetime.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Operational messages go to standard error; they never include answers or tokens.
pub fn log(message: &str) {
    use std::io::Write as _;
    // A closed or full standard error must not take a request down with it.
    let _ = writeln!(std::io::stderr(), "calltree serve: {message}");
}

/// Every route of the server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/start/{tree}", axum::routing::post(start))
        .route("/s/{id}", get(show).post(act))
        .route("/api/sessions", get(api_sessions))
        .route("/api/sessions/{id}/events", get(api_events))
        .merge(api::routes())
        .fallback(|| async { ServerError::NotFound })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            rate_limit,
        ))
        .layer(axum::middleware::from_fn(refusal::guard))
        .with_state(state)
}

/// Opens the database and the trees and serves until the process is stopped.
///
/// `trees` is the folder of trees to serve, or `None` to serve the versions published to the
/// database (`calltree serve --published`).
pub async fn serve(
    addr: SocketAddr,
    trees: Option<&Path>,
    db: &Path,
    settings: Settings,
) -> Result<(), ServerError> {
    // Opening a store blocks (PostgreSQL's client runs its own small runtime, which cannot
    // be entered from this one), so it happens where blocking is allowed.
    let (db, folder) = (db.to_path_buf(), trees.map(Path::to_path_buf));
    let (store, trees) = tokio::task::spawn_blocking(move || {
        let store = Store::open(&db)?;
        let trees = match &folder {
            Some(folder) => Trees::open(folder, store.clone())?,
            None => Trees::published(store.clone())?,
        };
        Ok::<_, ServerError>((store, trees))
    })
    .await
    .map_err(|error| ServerError::Trees(format!("the start-up task failed: {error}")))??;
    let api_token = std::env::var("CALLTREE_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let state = Arc::new(AppState::new(trees, store, api_token, settings.clone()));
    if let Some(retain) = settings.retain {
        tokio::spawn(prune_every_hour(state.store.clone(), retain));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(ServerError::Bind)?;
    let bound = listener.local_addr().map_err(ServerError::Bind)?;
    log(&format!("serving on http://{bound}"));
    listener::run(listener, router(state), settings).await;
    Ok(())
}

/// Serves `app` on a listener already bound, with the connection limits of `settings`:
/// for tests and harnesses that build their own state.
pub async fn serve_on(listener: tokio::net::TcpListener, app: Router, settings: Settings) {
    listener::run(listener, app, settings).await;
}

/// Deletes sessions older than `retain` now and every hour (`calltree serve --retain`).
async fn prune_every_hour(store: Store, retain: Duration) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let store = store.clone();
        let pruned = tokio::task::spawn_blocking(move || {
            let now = now();
            let age = i64::try_from(retain.as_millis()).unwrap_or(i64::MAX);
            store.prune(now.saturating_sub(age), now)
        })
        .await;
        match pruned {
            Ok(Ok(count)) if count.sessions > 0 => log(&format!(
                "deleted {} sessions ({} events) older than the --retain period",
                count.sessions, count.events
            )),
            Ok(Ok(_)) => {}
            Ok(Err(error)) => log(&format!("could not delete old sessions: {error}")),
            Err(error) => log(&format!("could not delete old sessions: {error}")),
        }
    }
}

/// Per-client limits on starting sessions and posting forms (429 with `Retry-After`).
async fn rate_limit(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == axum::http::Method::POST {
        let path = request.uri().path();
        let limit = if path.starts_with("/start/") {
            Some(&state.starts)
        } else if path.starts_with("/s/") {
            Some(&state.posts)
        } else {
            None
        };
        if let Some(limit) = limit {
            let peer = request
                .extensions()
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|info| info.0);
            let client = limits::client(peer, request.headers(), state.settings.trusted_proxy);
            if let Err(wait) = limit.take(client, std::time::Instant::now()) {
                return ServerError::TooMany(wait.as_secs().max(1)).into_response();
            }
        }
    }
    next.run(request).await
}

/// Runs blocking work (SQLite, the engine) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServerError::BadRequest(format!("the request could not be finished: {e}")))?
}

fn cookie_name(session: &str) -> String {
    format!("calltree_{session}")
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A form must come from this site: a browser sends `Origin` on posts, and it must name the
/// host the request was sent to.
fn same_origin(headers: &HeaderMap, trusted_proxy: bool) -> Result<(), ServerError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Old browsers and non-browser clients send none; the CSRF token still protects.
        return Ok(());
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    // Behind a reverse proxy the browser's host arrives as X-Forwarded-Host, and Host is the
    // proxy's upstream address. Without a proxy anybody can send that header.
    let hosts: &[&str] = if trusted_proxy {
        &[header::HOST.as_str(), "x-forwarded-host"]
    } else {
        &[header::HOST.as_str()]
    };
    let matches = hosts.iter().any(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|host| host.split(',').any(|h| h.trim() == origin_host))
    });
    if matches {
        Ok(())
    } else {
        Err(ServerError::Forbidden)
    }
}

/// The session, if this browser owns it. Other people's sessions look like missing ones.
fn owned(state: &AppState, id: &str, headers: &HeaderMap) -> Result<(), ServerError> {
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ServerError::NotFound);
    }
    let token = cookie(headers, &cookie_name(id)).ok_or(ServerError::NotFound)?;
    if state.store.check_owner(id, token)? {
        Ok(())
    } else {
        Err(ServerError::NotFound)
    }
}

/// As [`owned`], for a post: the session's CSRF token and event count come with the owner
/// check, in one read of the store rather than three.
fn owned_for_post(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<calltree_store::Owned, ServerError> {
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ServerError::NotFound);
    }
    let token = cookie(headers, &cookie_name(id)).ok_or(ServerError::NotFound)?;
    state
        .store
        .owned_session(id, token)?
        .ok_or(ServerError::NotFound)
}

/// A call being worked on by one request; its session goes back to the cache of folded
/// sessions when the request is done with it, whatever happened.
struct Kept<'a> {
    call: Option<Call<DatabaseCalls>>,
    folded: &'a folded::Folded,
}

impl std::ops::Deref for Kept<'_> {
    type Target = Call<DatabaseCalls>;
    fn deref(&self) -> &Self::Target {
        // Only `drop` takes the call out.
        self.call.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Kept<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.call.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Kept<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            let (id, session, _) = call.into_parts();
            self.folded.put(&id, session);
        }
    }
}

/// The stored session as a call, on the version of the tree it started on: the one folded
/// by an earlier request if nothing was added since, else folded from the stored events.
fn load<'a>(state: &'a AppState, id: &str) -> Result<Kept<'a>, ServerError> {
    let events = state.store.event_count(id)?.ok_or(ServerError::NotFound)?;
    load_counted(state, id, events)
}

/// As [`load`], with the number of events already read. A count that is out of date by the
/// time the step is stored makes that append a conflict, never a lost event.
fn load_counted<'a>(state: &'a AppState, id: &str, events: usize) -> Result<Kept<'a>, ServerError> {
    let call = match state.folded.take(id, events) {
        Some(session) => Call::open(
            id.to_owned(),
            session,
            DatabaseCalls::new(state.store.clone()),
        ),
        None => fold(state, id)?,
    };
    Ok(Kept {
        call: Some(call),
        folded: &state.folded,
    })
}

/// The stored session folded from its events.
fn fold(state: &AppState, id: &str) -> Result<Call<DatabaseCalls>, ServerError> {
    let call = open_session(&state.store, state.trees.versions(), id).map_err(|error| match error {
        CallsError::NotStarted(_) | CallsError::Store(calltree_store::StoreError::NotFound(_)) => {
            ServerError::NotFound
        }
        CallsError::VersionMissing { tree, .. } => ServerError::Gone(format!(
            "The help topic “{tree}” has changed since this session started, and the version it started on is no longer available. Please start again from the help topics."
        )),
        CallsError::Session(error) => ServerError::Gone(error.to_string()),
        other => ServerError::Calls(other),
    })?;
    // A session in another language is shown on its version of the trees in that language
    // (a version rebuilt from the database brings the translations it was saved with).
    let Some(locale) = call.session().locale().map(str::to_owned) else {
        return Ok(call);
    };
    let (id, session, store) = call.into_parts();
    let project = state.translated.get(session.shared_project(), &locale);
    Session::resume(project, session.log().to_vec())
        .map(|session| Call::open(id, session, store))
        .map_err(|error| ServerError::Gone(error.to_string()))
}

#[derive(serde::Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
    /// A language chosen on the switcher.
    #[serde(default)]
    lang: Option<String>,
}

/// The language of a visitor's pages: the switcher's choice (`lang` in the query, else its
/// cookie), else the browser's `Accept-Language`, among `locales` (those the trees have).
pub(crate) fn visitor_language(
    locales: &[&str],
    chosen: Option<&str>,
    headers: &HeaderMap,
) -> Language {
    let chosen = chosen.or_else(|| cookie(headers, language::COOKIE));
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    language::choose(chosen, accept, locales)
}

async fn home(
    State(state): State<Arc<AppState>>,
    Query(search): Query<Search>,
    headers: HeaderMap,
) -> Response {
    let query: String = search.q.chars().take(200).collect();
    let result = blocking(move || {
        let current = state.trees.current();
        let lang = visitor_language(&current.locales(), search.lang.as_deref(), &headers);
        let offered = language::offered(&current.locales());
        // The home page lists the topics in the visitor's language.
        let project = if lang.is_source() {
            current
        } else {
            state.translated.get(&current, &lang.tag)
        };
        let words = query.trim().to_lowercase();
        let topics: Vec<pages::Topic> = trees::customer_trees(&project)
            .into_iter()
            .map(|id| project.tree(id))
            .filter(|tree| tree.described_by(&words))
            // A tree that cannot start without a value handed in is reached by a link that
            // hands it in; from the search its button would only lead to a refusal.
            .filter(|tree| !tree.variables.iter().any(|v| v.given && v.required))
            .map(|tree| pages::Topic {
                name: tree.name.clone(),
                title: tree.title.clone(),
                description: tree.description.clone(),
                tags: tree.tags.clone(),
            })
            .collect();
        let mut response = pages::home(&lang, &offered, &topics, query.trim()).into_response();
        // A choice on the switcher is remembered for the pages that follow.
        if search.lang.is_some()
            && let Ok(value) = HeaderValue::from_str(&format!(
                "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                language::COOKIE,
                lang.tag
            ))
        {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        Ok::<_, ServerError>(response)
    })
    .await;
    result.into_response()
}

/// The most values a start link may hand in; a tree has a handful of `given` fields.
const MOST_GIVEN: usize = 32;

/// The values a start link's query hands in (`/start/TREE?account=12345678`). A visitor can
/// write anything into a link, so the page takes only `given` fields that the tree also asks
/// (`ask`): what they could have typed on the way anyway. Anything else is refused, so a link
/// that is wrong says so instead of being half obeyed.
fn handed_in(
    project: &calltree_engine::Project,
    tree: calltree_engine::TreeId,
    query: Vec<(String, String)>,
) -> Result<Vec<calltree_engine::Given>, ServerError> {
    if query.len() > MOST_GIVEN {
        return Err(ServerError::BadRequest(format!(
            "this link hands in more than {MOST_GIVEN} values"
        )));
    }
    let asked = |slot| {
        project
            .tree(tree)
            .nodes
            .iter()
            .any(|&node| project.node(node).asks.iter().any(|(s, _)| *s == slot))
    };
    query
        .into_iter()
        .map(|(field, value)| {
            let taken = project
                .tree(tree)
                .variable_named(&field)
                .is_some_and(|v| v.given && asked(v.slot));
            if !taken {
                return Err(ServerError::BadRequest(format!(
                    "this link fills in `{}`, which this page does not take from a link",
                    calltree_engine::show_line(&field)
                )));
            }
            Ok(calltree_engine::Given { field, value })
        })
        .collect()
}

async fn start(
    State(state): State<Arc<AppState>>,
    UrlPath(tree): UrlPath<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let result = blocking(move || {
        same_origin(&headers, state.settings.trusted_proxy)?;
        let project = state.trees.current();
        let id = project
            .tree_by_name(&tree)
            .filter(|id| trees::customer_trees(&project).contains(id))
            .ok_or(ServerError::NotFound)?;
        let given = handed_in(&project, id, query)?;
        // The session is in the visitor's language from its first page to its last, and its
        // Started event says which, for whoever takes it over.
        // Only a language this tree is translated into: a page of French buttons around
        // English words helps nobody, so an untranslated tree runs in its own words.
        let lang = visitor_language(&project.tree_locales(id), None, &headers);
        let (project, locale) = if lang.is_source() {
            (project, None)
        } else {
            (state.translated.get(&project, &lang.tag), Some(lang.tag))
        };
        let session =
            Session::start_in_locale(project, id, Audience::Customer, now(), given, locale)
                .map_err(|e| match e {
                    // A value the link hands in that does not fit, or one the tree needs that it
                    // leaves out: the link is wrong, not the server.
                    SessionError::InvalidAnswer { .. }
                    | SessionError::NotGiven { .. }
                    | SessionError::GivenMissing { .. } => ServerError::BadRequest(e.to_string()),
                    other => ServerError::Gone(other.to_string()),
                })?;
        let first = session.log()[0].clone();
        let created = state.store.create_session(&first)?;
        // Behind a TLS proxy the cookie must not travel over plain HTTP.
        let secure = state.settings.trusted_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        let cookie = format!(
            "{}={}; Path=/s/{}; HttpOnly; SameSite=Lax; Max-Age=2592000{}",
            cookie_name(&created.id),
            created.owner_token,
            created.id,
            if secure { "; Secure" } else { "" }
        );
        let mut response = Redirect::to(&format!("/s/{}", created.id)).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        Ok(response)
    })
    .await;
    result.into_response()
}

#[derive(serde::Deserialize)]
struct ShowQuery {
    #[serde(default)]
    stale: Option<u8>,
}

async fn show(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<ShowQuery>,
    headers: HeaderMap,
) -> Response {
    let result = blocking(move || {
        owned(&state, &id, &headers)?;
        let message = query.stale.map(|_| {
            "That page was out of date (the session moved on in another tab), so nothing was changed. This is where it is now."
        });
        // Shown in the session's language by `render`.
        render(&state, &id, &HashMap::new(), &HashMap::new(), message, true)
    })
    .await;
    no_store(result.into_response())
}

/// Pages hold a customer's answers: browsers and proxies must not keep copies.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn render(
    state: &AppState,
    id: &str,
    typed: &HashMap<String, String>,
    errors: &HashMap<String, String>,
    message: Option<&str>,
    notice_only: bool,
) -> Result<Response, ServerError> {
    let call = load(state, id)?;
    let session = call.session();
    let seq = session.log().len();
    // The language the session started in, whatever the visitor's browser says now.
    let lang = session.locale().map_or_else(Language::source, Language::of);
    let message = message.map(|m| language::field_message(&lang, m));
    let message = message.as_deref();
    // The engine's reasons, in the session's language.
    let errors: HashMap<String, String> = errors
        .iter()
        .map(|(field, reason)| (field.clone(), language::field_message(&lang, reason)))
        .collect();
    let errors = &errors;
    if session.state().audience != Audience::Customer {
        return Ok(pages::message_page_in(
            &lang,
            lang.t("An agent has your case"),
            lang.t("An agent took this session over with your reference code and is handling it now, with everything you told us. There is nothing more to do here."),
        )
        .into_response());
    }
    // As of now: an option that opens after some minutes in the call is offered once they
    // have passed, not only after the next step.
    let view = session.view_at(now());
    let tree = call.project().tree(session.state().tree);
    let tree_title = tree.title.clone();
    // The tree's own words for reaching a person come first, then the server's.
    let contact = tree
        .contact
        .clone()
        .or_else(|| state.settings.contact.clone());
    if session.is_finished() {
        // The code was given by the post that ended the session: a page read writes nothing.
        // Only a session whose code was never written (the server stopped between the ending
        // and the code) gets it here, once.
        let handoff = if hands_over(view.ended.as_ref().and_then(|end| end.outcome)) {
            match state.store.session(id)?.and_then(|info| info.handoff) {
                Some(code) => Some(code),
                None => Some(
                    state
                        .store
                        .handoff_lasting(id, state.settings.handoff_lifetime_ms())?,
                ),
            }
        } else {
            None
        };
        let steps = session.summary().steps;
        let end = pages::EndPage {
            tree_title: &tree_title,
            handoff: handoff.as_deref(),
            contact: contact.as_deref(),
            steps: &steps,
        };
        return Ok(pages::end(&lang, &view, &end).into_response());
    }
    let csrf = state.store.csrf(id)?.ok_or(ServerError::NotFound)?;
    // A refused answer is a refused request; a notice on an ordinary view is not.
    let status = if errors.is_empty() && (message.is_none() || notice_only) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = pages::step(
        &lang,
        &view,
        &pages::StepForm {
            session: id,
            tree_title: &tree_title,
            csrf: &csrf,
            seq,
            typed,
            errors,
            message: message.filter(|_| notice_only),
            problem: message.filter(|_| !notice_only),
        },
    );
    Ok((status, page).into_response())
}

async fn act(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let result = async {
        // Whose session it is comes first: a stranger learns nothing from how their body is
        // refused, and nothing of theirs is read.
        let (checking, checked) = (Arc::clone(&state), id.clone());
        let (headers, keys) = blocking(move || {
            let keys = owned_for_post(&checking, &checked, &headers)?;
            same_origin(&headers, checking.settings.trusted_proxy)?;
            Ok((headers, keys))
        })
        .await?;
        let form = match form::read(&headers, body, BODY_LIMIT, state.settings.body_timeout).await {
            Err(ServerError::NotText) => {
                return blocking(move || not_text(&state, &id)).await;
            }
            other => other?,
        };
        blocking(move || step(&state, &id, form, &keys)).await
    }
    .await;
    no_store(result.into_response())
}

/// A form with bytes that are not text: the step again, with nothing stored and a sentence
/// that says what to do.
fn not_text(state: &AppState, id: &str) -> Result<Response, ServerError> {
    let message = "Part of what you sent could not be read as text, so nothing was saved. Please type your answers again.";
    let mut page = render(
        state,
        id,
        &HashMap::new(),
        &HashMap::new(),
        Some(message),
        false,
    )?;
    *page.status_mut() = StatusCode::BAD_REQUEST;
    Ok(page)
}

/// Whether an ending hands the customer on to a person, who needs the handoff code.
fn hands_over(outcome: Option<OutcomeKind>) -> bool {
    matches!(
        outcome,
        Some(OutcomeKind::Escalated | OutcomeKind::Transferred | OutcomeKind::Callback)
    )
}

/// The form's fields that are not answers.
const FORM_CONTROLS: [&str; 4] = ["csrf", "seq", "go", "choose"];

/// Plays one posted form through the host kit: its answers and its button are one step,
/// stored together or not at all before the redirect.
/// The form's answers, one per field. A checklist's ticked boxes come as one pair each, all
/// with the field's name, after an empty hidden one that makes "nothing ticked" an answer too;
/// they are joined into the engine's `labs, ecg`.
fn merged_answers(form: &[(String, String)]) -> Vec<(String, String)> {
    let mut answers: Vec<(String, String)> = Vec::new();
    for (key, value) in form {
        if FORM_CONTROLS.contains(&key.as_str()) {
            continue;
        }
        match answers.iter_mut().find(|(name, _)| name == key) {
            Some((_, joined)) if value.is_empty() => {}
            Some((_, joined)) if joined.is_empty() => value.clone_into(joined),
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => answers.push((key.clone(), value.clone())),
        }
    }
    answers
}

fn step(
    state: &AppState,
    id: &str,
    form: Vec<(String, String)>,
    keys: &calltree_store::Owned,
) -> Result<Response, ServerError> {
    let value = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if !same_secret(value("csrf").unwrap_or_default(), &keys.csrf) {
        return Err(ServerError::Forbidden);
    }
    let mut call = load_counted(state, id, keys.events)?;
    let seq: usize = value("seq")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ServerError::BadRequest("the form is missing its step number".into()))?;
    let session = call.session();
    if seq != session.log().len() {
        return Err(ServerError::Stale(id.to_owned()));
    }
    if seq >= state.settings.max_events {
        return Err(ServerError::Gone(
            "This session has become too long to continue here. Please start again from the help topics, or call us and we will take it from there.".into(),
        ));
    }
    let age = now().saturating_sub(session.log().first().map_or(0, calltree_engine::Event::at));
    if u128::try_from(age).unwrap_or(0) > state.settings.max_session_age.as_millis() {
        return Err(ServerError::Gone(
            "This session was started too long ago to continue. Please start again from the help topics.".into(),
        ));
    }
    // Once an agent has taken the session over, it is theirs: the customer's page says so.
    if session.is_finished() || session.state().audience != Audience::Customer {
        return Err(ServerError::Stale(id.to_owned()));
    }
    let action = match (value("go"), value("choose")) {
        (Some("back"), _) => Action::Back,
        (Some("person"), _) => Action::Escalate(PERSON_REASON.to_owned()),
        (_, Some(index)) => Action::Choose(
            index
                .parse()
                .map_err(|_| ServerError::BadRequest("that is not one of the choices".into()))?,
        ),
        (Some("continue"), None) => Action::Continue,
        _ => return Err(ServerError::BadRequest("choose one of the buttons".into())),
    };
    let answers = merged_answers(&form);
    let step = Step {
        answers,
        action: Some(action),
    };
    match call.record(&step, now()) {
        Ok(recorded) => {
            if let Some(warning) = recorded.warning {
                log(&format!(
                    "a finished session was not marked finished: {warning}"
                ));
            }
        }
        Err(CallsError::Refused(refusal))
            if matches!(refusal.step, Some(SessionError::NoSuchOption(_))) =>
        {
            // Our pages only offer options that exist: this form was made up.
            return Err(ServerError::BadRequest(
                "that is not one of the choices".into(),
            ));
        }
        Err(CallsError::Refused(refusal)) => {
            // The page below loads the session again: give it back to the cache first.
            drop(call);
            let typed: HashMap<String, String> = step.answers.into_iter().collect();
            let errors: HashMap<String, String> = refusal
                .fields
                .iter()
                .map(|problem| (problem.field.clone(), problem.message.clone()))
                .collect();
            let message = refusal.step.as_ref().map(ToString::to_string);
            return render(state, id, &typed, &errors, message.as_deref(), false);
        }
        Err(CallsError::Conflict { .. }) => return Err(ServerError::Stale(id.to_owned())),
        Err(error) => return Err(error.into()),
    }
    let session = call.session();
    if session.is_finished() && hands_over(session.view().ended.and_then(|end| end.outcome)) {
        state
            .store
            .handoff_lasting(id, state.settings.handoff_lifetime_ms())?;
    }
    Ok(Redirect::to(&format!("/s/{id}")).into_response())
}

fn bearer(state: &AppState, headers: &HeaderMap) -> Result<(), ServerError> {
    let Some(expected) = &state.api_token else {
        return Err(ServerError::NotFound);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given, expected) {
        Ok(())
    } else {
        Err(ServerError::Forbidden)
    }
}

#[derive(serde::Deserialize)]
struct SessionsQuery {
    tree: Option<String>,
    since: Option<i64>,
    limit: Option<usize>,
}

async fn api_sessions(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SessionsQuery>,
    headers: HeaderMap,
) -> Response {
    let result = blocking(move || {
        bearer(&state, &headers)?;
        let sessions = state.store.sessions(
            query.tree.as_deref(),
            query.since,
            query.limit.unwrap_or(1_000).min(10_000),
        )?;
        Ok(axum::Json(sessions))
    })
    .await;
    result.into_response()
}

async fn api_events(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let result = blocking(move || {
        bearer(&state, &headers)?;
        if state.store.session(&id)?.is_none() {
            return Err(ServerError::NotFound);
        }
        Ok(axum::Json(state.store.events(&id)?))
    })
    .await;
    result.into_response()
}
