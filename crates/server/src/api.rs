//! The API for agents' desktops and tools (`/api/v1/…`): JSON in and out, every request with
//! an agent's token (`Authorization: Bearer TOKEN`, made by `calltree agents add`). A refusal
//! is JSON too, `{"error": SENTENCE, "status": N}`, and the sentence says what to do.
//!
//! Who is refused how: no token or an unknown one is 401 (the request did not say who it is),
//! a revoked one 403 (we know who it is, and they may no longer), so an agent's desktop can
//! tell "typo in the settings" from "ask for a new token".

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use calltree_store::AgentCheck;

use crate::error::ServerError;
use crate::{AppState, blocking};

/// The API's routes (merged into the server's router).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/whoami", get(whoami))
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
