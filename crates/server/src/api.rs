//! The API for agents' desktops and tools (`/api/v1/…`): JSON in and out, every request with
//! an agent's token (`Authorization: Bearer TOKEN`, made by `calltree agents add`). A refusal
//! is JSON too, `{"error": SENTENCE, "status": N}`, and the sentence says what to do.
//!
//! Who is refused how: no token or an unknown one is 401 (the request did not say who it is),
//! a revoked one 403 (we know who it is, and they may no longer), so an agent's desktop can
//! tell "typo in the settings" from "ask for a new token".

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use calltree_calls::{
    CallsError, HandoffRequest, LiveTrees, PublishRequest, SessionEvents, TakenOver, TreeFile,
    TreeSource, Upload, Uploaded, now, project_of, take_over,
};
use calltree_engine::{Event, Project, Session};
use calltree_store::{AgentCheck, StoreError};
use calltree_syntax::{LineIndex, Severity};

use crate::error::ServerError;
use crate::{AppState, blocking};

/// An API request body: a project's files to publish, or a batch of events. Larger than a
/// customer's form, with room for a big project; still bounded.
pub const API_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Events in one upload: a desktop sends a step or a backlog; a longer backlog goes in parts.
pub const UPLOAD_LIMIT: usize = 1_000;

/// The API's routes (merged into the server's router).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/whoami", get(whoami))
        .route("/api/v1/trees", get(trees).post(publish))
        .route("/api/v1/trees/{id}", get(tree))
        .route("/api/v1/versions/{version}", get(version))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/sessions/{id}/events", get(events).post(upload))
        .route("/api/v1/handoff", post(handoff))
        // Inside the server's own (smaller) limit, so it wins on these routes.
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
}

/// The name of the agent whose token the request carries.
pub(crate) fn agent(state: &AppState, headers: &HeaderMap) -> Result<String, ServerError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if given.is_empty() {
        return Err(ServerError::Unauthorized(
            "This API needs an agent token: send `Authorization: Bearer TOKEN` with a token \
             from `calltree agents add NAME`."
                .into(),
        ));
    }
    match state.store.check_agent(given)? {
        AgentCheck::Agent(name) => Ok(name),
        AgentCheck::Unknown => Err(ServerError::Unauthorized(
            "This agent token is not known to this server: check it was copied whole, or ask \
             an administrator for one (`calltree agents add NAME`)."
                .into(),
        )),
        AgentCheck::Revoked { name, .. } => Err(ServerError::Revoked(format!(
            "The token of agent `{name}` was revoked, so nothing was done: ask an \
             administrator for a new one."
        ))),
    }
}

/// An API answer: the value as JSON, or the refusal as JSON with its sentence.
pub(crate) fn answer<T: serde::Serialize>(result: Result<T, ServerError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => refusal(error),
    }
}

/// A refusal as the API gives it: the status, and a sentence that says what happened and
/// what to do (never internal detail; failures of our own are logged instead).
pub(crate) fn refusal(error: ServerError) -> Response {
    let (status, message, extra) = match error {
        ServerError::Unauthorized(message) => (StatusCode::UNAUTHORIZED, message, None),
        ServerError::Revoked(message) => (StatusCode::FORBIDDEN, message, None),
        ServerError::Conflict(message) => (StatusCode::CONFLICT, message, None),
        ServerError::Unprocessable {
            message,
            diagnostics,
        } => (StatusCode::UNPROCESSABLE_ENTITY, message, Some(diagnostics)),
        ServerError::Missing(message) | ServerError::Gone(message) => {
            (StatusCode::NOT_FOUND, message, None)
        }
        ServerError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, None),
        ServerError::NotFound => (
            StatusCode::NOT_FOUND,
            "There is nothing at this address of the API.".to_owned(),
            None,
        ),
        ServerError::Store(ref store) if store.is_unavailable() => {
            crate::log(&error.to_string());
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The session database cannot be reached right now, so nothing was stored: \
                 send the same request again in a moment."
                    .to_owned(),
                None,
            )
        }
        other => {
            crate::log(&other.to_string());
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The server could not finish this request, so nothing new was acknowledged: \
                 send the same request again in a moment."
                    .to_owned(),
                None,
            )
        }
    };
    let mut body = serde_json::json!({ "error": message, "status": status.as_u16() });
    if let Some(diagnostics) = extra {
        body["diagnostics"] = serde_json::Value::String(diagnostics);
    }
    (status, axum::Json(body)).into_response()
}

#[derive(serde::Serialize)]
struct WhoAmI {
    agent: String,
}

/// Who the token belongs to: what a desktop calls to check its settings.
async fn whoami(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    answer(
        blocking(move || {
            Ok(WhoAmI {
                agent: agent(&state, &headers)?,
            })
        })
        .await,
    )
}

/// Reads a JSON body, refusing what does not read with serde's own account of where.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ServerError> {
    serde_json::from_slice(bytes).map_err(|error| {
        ServerError::BadRequest(format!(
            "The request's JSON could not be read ({error}), so nothing was done."
        ))
    })
}

async fn trees(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            Ok(LiveTrees {
                trees: state.store.live_trees()?,
            })
        })
        .await,
    )
}

/// The files of a version the database keeps.
fn files_of(state: &AppState, version: &str) -> Result<Vec<TreeFile>, ServerError> {
    let files = state.store.load_version(version)?.ok_or_else(|| {
        ServerError::Missing(format!("This server keeps no tree version `{version}`."))
    })?;
    Ok(files
        .into_iter()
        .map(|(name, text)| TreeFile { name, text })
        .collect())
}

async fn tree(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            let live = state
                .store
                .live_trees()?
                .into_iter()
                .find(|live| live.tree == id)
                .ok_or_else(|| {
                    ServerError::Missing(format!(
                        "No tree `{id}` is published here: `calltree publish` makes one live."
                    ))
                })?;
            Ok(TreeSource {
                files: files_of(&state, &live.version)?,
                tree: live.tree,
                version: live.version,
            })
        })
        .await,
    )
}

async fn version(
    State(state): State<Arc<AppState>>,
    UrlPath(version): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            Ok(TreeSource {
                tree: String::new(),
                files: files_of(&state, &version)?,
                version,
            })
        })
        .await,
    )
}

/// Every error of a project as text, one per line with its file, line and column, then its
/// hints: what `calltree check` says, in a form that fits an API answer.
fn error_text(project: &Project) -> String {
    let mut text = String::new();
    for (file, diagnostic) in project.all_diagnostics() {
        if diagnostic.severity != Severity::Error {
            continue;
        }
        let file = project.file(file);
        let index = LineIndex::new(&file.text);
        let at = index.line_col(diagnostic.span.start);
        text.push_str(&format!(
            "{}:{}:{}: error[{}]: {}\n",
            file.name, at.line, at.column, diagnostic.code, diagnostic.message
        ));
        for hint in &diagnostic.hints {
            text.push_str(&format!("  hint: {hint}\n"));
        }
    }
    text
}

/// Checks a project's files and makes every tree in it live, each at its content hash;
/// a project with any error is refused whole (422, with the errors).
async fn publish(State(state): State<Arc<AppState>>, headers: HeaderMap, bytes: Bytes) -> Response {
    answer(
        blocking(move || {
            let by = agent(&state, &headers)?;
            let request: PublishRequest = body(&bytes)?;
            if request.files.is_empty() {
                return Err(ServerError::BadRequest(
                    "There were no .tree files in the request, so nothing was published.".into(),
                ));
            }
            let project = Arc::new(project_of(&request.files));
            if project.has_errors() {
                return Err(ServerError::Unprocessable {
                    message: "The trees have errors, so nothing was published: fix them \
                              (`calltree check`) and publish again."
                        .into(),
                    diagnostics: error_text(&project),
                });
            }
            let live: Vec<(String, String)> = project
                .trees()
                .map(|(id, tree)| (tree.name.clone(), project.session_hash(id)))
                .collect();
            if live.is_empty() {
                return Err(ServerError::Unprocessable {
                    message: "The files hold no tree, so nothing was published.".into(),
                    diagnostics: String::new(),
                });
            }
            // The files first: a live version must always be one whose files can be read.
            state.trees.versions().save(&project)?;
            state.store.publish(&live, now(), &by)?;
            crate::log(&format!(
                "agent `{by}` published {}",
                live.iter()
                    .map(|(tree, version)| format!("{tree} ({})", short(version)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let published: Vec<_> = state
                .store
                .live_trees()?
                .into_iter()
                .filter(|tree| live.iter().any(|(name, _)| *name == tree.tree))
                .collect();
            Ok(LiveTrees { trees: published })
        })
        .await,
    )
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

#[derive(serde::Deserialize)]
struct SessionsQuery {
    tree: Option<String>,
    since: Option<i64>,
    limit: Option<usize>,
}

async fn sessions(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SessionsQuery>,
    headers: HeaderMap,
) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            Ok(state.store.sessions(
                query.tree.as_deref(),
                query.since,
                query.limit.unwrap_or(100_000).min(100_000),
            )?)
        })
        .await,
    )
}

/// A session id a desktop may choose: what the store and the pages' addresses take.
fn check_id(id: &str) -> Result<(), ServerError> {
    if (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        Ok(())
    } else {
        Err(ServerError::BadRequest(
            "A session id is 1 to 64 letters, digits, `-` or `_`.".into(),
        ))
    }
}

async fn events(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            check_id(&id)?;
            let events = match state.store.events(&id) {
                Err(StoreError::NotFound(_)) => {
                    return Err(ServerError::Missing(format!("There is no session `{id}`.")));
                }
                other => other?,
            };
            Ok(SessionEvents { id, events })
        })
        .await,
    )
}

/// Stores a batch of a session's events, idempotently by (session, seq): events already
/// stored exactly as sent are counted and skipped, a different event under a taken number is
/// a 409, and the new ones are appended with the store's expected-seq rule, so two uploads
/// racing store each event once.
async fn upload(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    answer(
        blocking(move || {
            agent(&state, &headers)?;
            check_id(&id)?;
            let upload: Upload = body(&bytes)?;
            store_upload(&state, &id, upload)
        })
        .await,
    )
}

fn store_upload(state: &AppState, id: &str, upload: Upload) -> Result<Uploaded, ServerError> {
    let Some(first) = upload.events.first().map(|event| event.seq) else {
        return Err(ServerError::BadRequest("The upload has no events.".into()));
    };
    if upload.events.len() > UPLOAD_LIMIT {
        return Err(ServerError::BadRequest(format!(
            "An upload takes at most {UPLOAD_LIMIT} events; send the rest in another."
        )));
    }
    for (offset, event) in upload.events.iter().enumerate() {
        if event.seq != first + offset {
            return Err(ServerError::BadRequest(
                "The events of an upload must be numbered one after another.".into(),
            ));
        }
        let started = matches!(event.event, Event::Started { .. });
        if started != (event.seq == 0) {
            return Err(ServerError::BadRequest(
                "Event 0 of a session, and only it, is its `started` event.".into(),
            ));
        }
    }
    if first + upload.events.len() > state.settings.max_events {
        return Err(ServerError::BadRequest(format!(
            "A session keeps at most {} events.",
            state.settings.max_events
        )));
    }
    // Another upload of the same session may land between reading and writing: then the
    // store says `Conflict` and this one looks again (its events are now "already").
    for _ in 0..3 {
        let count = state.store.event_count(id)?;
        let stored_count = count.unwrap_or(0);
        let mut already = 0;
        if first < stored_count {
            let stored = state.store.events(id)?;
            for event in &upload.events {
                let Some(kept) = stored.get(event.seq) else {
                    break;
                };
                if kept.to_json_line() != event.event.to_json_line() {
                    return Err(ServerError::Conflict(format!(
                        "Session `{id}` already has a different event number {}: nothing of \
                         this upload was stored. Another device may be writing this session.",
                        event.seq
                    )));
                }
                already += 1;
            }
        }
        let new: Vec<Event> = upload
            .events
            .iter()
            .skip(already)
            .map(|event| event.event.clone())
            .collect();
        if new.is_empty() {
            return Ok(Uploaded {
                stored: 0,
                already,
                events: stored_count,
            });
        }
        let next = first + already;
        if next > stored_count {
            return Err(ServerError::Conflict(format!(
                "Session `{id}` has {stored_count} events, so event {next} cannot follow yet: \
                 send the events from {stored_count} first. Nothing was stored."
            )));
        }
        let result = match (count, &new[0]) {
            (None, first @ Event::Started { .. }) => state
                .store
                .create_session_with_id(id, first)
                .and_then(|()| state.store.append_all(id, 1, &new[1..])),
            _ => state.store.append_all(id, next, &new),
        };
        match result {
            Ok(()) => {
                let events = next + new.len();
                mark_finished(state, id);
                return Ok(Uploaded {
                    stored: new.len(),
                    already,
                    events,
                });
            }
            Err(StoreError::Conflict { .. } | StoreError::SessionExists(_)) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ServerError::Conflict(format!(
        "Session `{id}` kept changing while this upload was stored; send it again."
    )))
}

/// Marks an uploaded session finished when its events end it, on the version it runs on if
/// the server knows that version (the summary for lists; reports read the events anyway).
fn mark_finished(state: &AppState, id: &str) {
    let finish = || -> Result<(), ServerError> {
        let events = state.store.events(id)?;
        let Some(Event::Started { version, .. }) = events.first() else {
            return Ok(());
        };
        let Some(project) = state.trees.versions().project(version)? else {
            return Ok(());
        };
        let session = Session::resume(project, events).map_err(CallsError::from)?;
        if session.is_finished() {
            let outcome = session
                .state()
                .ending
                .as_ref()
                .and_then(|ending| ending.outcome.as_ref())
                .map(|outcome| outcome.kind.name());
            state.store.finish(id, outcome)?;
        }
        Ok(())
    };
    // The events are stored; a summary that could not be worked out is only logged.
    if let Err(error) = finish() {
        crate::log(&format!("could not mark session {id} finished: {error}"));
    }
}

/// Takes a customer's session over by its handoff code, as the desktop did through the
/// database: the `TakenOver` is stored here, and the agent's desktop gets the events and the
/// files of the version to carry on with.
async fn handoff(State(state): State<Arc<AppState>>, headers: HeaderMap, bytes: Bytes) -> Response {
    answer(
        blocking(move || {
            let by = agent(&state, &headers)?;
            let request: HandoffRequest = body(&bytes)?;
            let call = match take_over(&state.store, state.trees.versions(), &request.code, now()) {
                Ok(call) => call,
                Err(error @ CallsError::NoHandoff(_)) => {
                    return Err(ServerError::Missing(sentence(&error)));
                }
                Err(
                    error @ (CallsError::HandoffUsed { .. }
                    | CallsError::HandoffExpired { .. }
                    | CallsError::Conflict { .. }),
                ) => return Err(ServerError::Conflict(sentence(&error))),
                Err(CallsError::VersionMissing { tree, .. }) => {
                    return Err(ServerError::Missing(format!(
                        "The version of `{tree}` this session ran on is no longer kept, so it \
                         cannot be continued."
                    )));
                }
                Err(error) => return Err(error.into()),
            };
            let (id, session, _) = call.into_parts();
            crate::log(&format!("agent `{by}` took session {id} over"));
            let events = session.log().to_vec();
            let version = match events.first() {
                Some(Event::Started { version, .. }) => version.clone(),
                _ => String::new(),
            };
            Ok(TakenOver {
                files: files_of(&state, &version)?,
                id,
                events,
            })
        })
        .await,
    )
}

/// An error's message as a sentence: capitalised, with a full stop.
fn sentence(error: &CallsError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
