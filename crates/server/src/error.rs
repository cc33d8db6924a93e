//! The server's one error type, and how each error is shown: a plain page with a status
//! that says whose problem it is (4xx for the request, 5xx only for the server's own),
//! never a panic and never internal detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error;

use crate::pages;

/// The title and sentence every refusal with this status has.
fn refusal(status: StatusCode) -> (StatusCode, &'static str, String) {
    let (title, sentence) = crate::refusal::words(status);
    (status, title, sentence.to_owned())
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("the trees could not be loaded: {0}")]
    Trees(String),
    #[error("the database failed: {0}")]
    Store(#[from] calltree_store::StoreError),
    /// Storing or continuing a session failed.
    #[error("the session could not be kept: {0}")]
    Calls(#[from] calltree_calls::CallsError),
    #[error("the address could not be used: {0}")]
    Bind(std::io::Error),
    /// A page or session that does not exist (or that this browser may not see: the two
    /// look the same, so nobody can probe for other people's sessions).
    #[error("not found")]
    NotFound,
    /// A form that did not come from our own page, or whose token is wrong.
    #[error("this form did not come from this site")]
    Forbidden,
    /// A form posted from a page that was out of date (another tab moved the session on).
    #[error("the page was out of date")]
    Stale(String),
    #[error("{0}")]
    BadRequest(String),
    /// The session cannot go on (its tree version is gone, say); the message says why.
    #[error("{0}")]
    Gone(String),
    #[error("the request body is over the limit")]
    TooLarge,
    #[error("the request body is not a form")]
    NotAForm,
    #[error("the request body did not arrive in time")]
    TooSlow,
    /// A form whose answers are not text (bytes that are not UTF-8).
    #[error("the form is not text")]
    NotText,
    /// An API request without a token the server knows (401).
    #[error("{0}")]
    Unauthorized(String),
    /// An API request with a revoked token (403).
    #[error("{0}")]
    Revoked(String),
    /// An API request that contradicts what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// Something the API cannot take as it is, with the problems found (422).
    #[error("{message}")]
    Unprocessable {
        message: String,
        diagnostics: String,
    },
    /// Something the API was asked for that is not there (404), in words.
    #[error("{0}")]
    Missing(String),
    /// A client over its rate limit; try again in this many seconds.
    #[error("too many requests")]
    TooMany(u64),
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            ServerError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing here. The link may be mistyped, or the session may belong to another browser.".to_owned(),
            ),
            ServerError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "That form did not come from this site, so nothing was changed. Reload the page and try again.".to_owned(),
            ),
            ServerError::Stale(session) => {
                // Another tab moved on: show where the session is now.
                return axum::response::Redirect::to(&format!("/s/{session}?stale=1"))
                    .into_response();
            }
            ServerError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "Request refused", message.clone())
            }
            ServerError::Gone(message) => (StatusCode::GONE, "This session cannot go on", message.clone()),
            ServerError::TooLarge => refusal(StatusCode::PAYLOAD_TOO_LARGE),
            ServerError::NotAForm => refusal(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ServerError::TooSlow => refusal(StatusCode::REQUEST_TIMEOUT),
            ServerError::TooMany(seconds) => {
                let (status, title, message) = refusal(StatusCode::TOO_MANY_REQUESTS);
                let mut response = (status, pages::message_page(title, &message)).into_response();
                response
                    .extensions_mut()
                    .insert(crate::refusal::Refused { title, message });
                if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
                }
                return response;
            }
            ServerError::NotText => (
                StatusCode::BAD_REQUEST,
                "Some of what you typed could not be read",
                "Part of what was sent is not text this site can read, so nothing was saved. Go back, type your answers again and send them.".to_owned(),
            ),
            // The API's own refusals are answered by `api::refusal`; these are for a page
            // that somehow meets one.
            ServerError::Unauthorized(message) => (StatusCode::UNAUTHORIZED, "Not signed in", message.clone()),
            ServerError::Revoked(message) => (StatusCode::FORBIDDEN, "Access revoked", message.clone()),
            ServerError::Conflict(message) => (StatusCode::CONFLICT, "Request refused", message.clone()),
            ServerError::Unprocessable { message, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Request refused", message.clone())
            }
            ServerError::Missing(message) => (StatusCode::NOT_FOUND, "Page not found", message.clone()),
            ServerError::Trees(_)
            | ServerError::Store(_)
            | ServerError::Calls(_)
            | ServerError::Bind(_) => {
                crate::log(&self.to_string());
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Something went wrong on our side",
                    "Your answers so far are saved. Please try again in a moment.".to_owned(),
                )
            }
        };
        let mut response = (status, pages::message_page(title, &message)).into_response();
        // The words, for the guard to show in the visitor's language (it has the request).
        response
            .extensions_mut()
            .insert(crate::refusal::Refused { title, message });
        response
    }
}
