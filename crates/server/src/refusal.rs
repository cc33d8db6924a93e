//! What every response carries, and what every refusal says.
//!
//! One middleware runs around every route. It makes sure that a refusal is always this
//! site's own page with a sentence a person can act on — also the ones the framework makes
//! by itself (a method a route does not take, a path that does not decode, a query it cannot
//! read) — or a JSON error on the API. And it puts the security headers on every response:
//! a content security policy that allows no script at all and no framing, `nosniff`, no
//! referrer to other sites, and no caching of pages that may hold a customer's answers.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use crate::language::{self, Language, UI_LOCALES};
use crate::pages;

/// A page's title and the sentence it says, for a refusal with this status.
pub(crate) fn words(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Request not understood",
            "Your browser sent something this site could not read, so nothing was changed. Go back, reload the page and try again.",
        ),
        403 => (
            "Form refused",
            "That form did not come from this site, so nothing was changed. Reload the page and try again.",
        ),
        404 => (
            "Page not found",
            "There is nothing here. The link may be mistyped, or the session may belong to another browser.",
        ),
        405 => (
            "That does not work here",
            "This address cannot be used that way, so nothing was changed. Go back and use the page's own links and buttons.",
        ),
        408 => (
            "That took too long",
            "Your request took too long to arrive, so nothing was changed. Check your connection and try again.",
        ),
        413 => (
            "Too much to send",
            "What you sent is longer than this site accepts, so nothing was saved. Shorten your answers and try again.",
        ),
        415 => (
            "Form not understood",
            "This page only takes its own forms, so nothing was changed. Reload the page and use its buttons.",
        ),
        422 => (
            "Some answers need another look",
            "Some answers could not be accepted, so nothing was saved. Go back, check them and try again.",
        ),
        429 => (
            "Too many requests",
            "There were a lot of requests from your connection in a short time, so we are pausing for a moment. Your answers so far are saved: wait a minute and try again.",
        ),
        431 => (
            "Request too large",
            "Your browser sent more than this site accepts with a request. Try again after clearing this site's cookies.",
        ),
        503 => (
            "Help is busy right now",
            "So many people are using help right now that we could not take your request. Your answers so far are saved: please try again in a minute.",
        ),
        _ if status.is_server_error() => (
            "Something went wrong on our side",
            "Your answers so far are saved. Please try again in a moment.",
        ),
        _ => (
            "Request refused",
            "This site could not do what was asked, so nothing was changed. Go back and try again.",
        ),
    }
}

/// The words of a refusal page the server made (`ServerError`), kept on the response so
/// that [`guard`], which has the request, can show them in the visitor's language.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub title: &'static str,
    pub message: String,
}

/// The refusal for `status`: the site's page, or JSON for the API (with the sentence
/// `api_sentence` gives for a request without a method to name).
pub(crate) fn refusal(status: StatusCode, api: bool) -> Response {
    if api {
        api_refusal(status, &api_sentence(status, None))
    } else {
        refusal_page(status, &Language::source())
    }
}

/// The site's page for a refusal with `status`, in `lang`.
fn refusal_page(status: StatusCode, lang: &Language) -> Response {
    let (title, sentence) = words(status);
    (
        status,
        pages::message_page_in(lang, lang.t(title), lang.t(sentence)),
    )
        .into_response()
}

fn api_refusal(status: StatusCode, sentence: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": sentence, "status": status.as_u16() })),
    )
        .into_response()
}

/// What a refusal the framework made says on the API. Its reader is whoever writes or runs
/// a program against the API (a desktop's log, `calltree publish`, an operator with curl), so
/// it names the request and the limit, where the pages' sentences speak to a customer about
/// links and buttons. `method` is the request's, when known. (The `Allow` header of a 405 is
/// added by the router outside this middleware, so the sentence points to it.)
pub(crate) fn api_sentence(status: StatusCode, method: Option<&Method>) -> String {
    let asked = method.map_or_else(|| "that method".to_owned(), |method| method.to_string());
    match status.as_u16() {
        400 => "The server could not read the request (its address, query or headers are malformed), so nothing was done.".to_owned(),
        404 => "There is no such API address, so nothing was done. The API's addresses start with /api/v1/; check the path against docs/deployment.md.".to_owned(),
        405 => format!(
            "This API address does not take {asked} requests, so nothing was done. The methods it takes are in this answer's Allow header."
        ),
        408 => "The request's body took too long to arrive, so nothing was done. Check the connection and send it again.".to_owned(),
        413 => format!(
            "The request's body is larger than the API takes ({} MB at most), so nothing was stored. Send a backlog in parts of at most {} events, or publish a smaller project.",
            crate::api::API_BODY_LIMIT / (1024 * 1024),
            crate::api::UPLOAD_LIMIT
        ),
        415 => "The API takes JSON bodies, so nothing was done. Send the body as application/json.".to_owned(),
        429 => "Too many requests came from this address in a short time, so nothing was done. Wait for the time in Retry-After and send the request again.".to_owned(),
        431 => "The request's headers are larger than the server takes, so nothing was done.".to_owned(),
        503 => "The server cannot take requests right now, so nothing was done. Send the request again in a minute.".to_owned(),
        _ if status.is_server_error() => "The server failed to answer the request, so nothing was done; its log says why. Send the request again in a moment.".to_owned(),
        code => format!("The server refused the request (HTTP {code}), so nothing was done."),
    }
}

/// Headers worth keeping when a framework's refusal is replaced by ours.
const KEPT: [header::HeaderName; 2] = [header::ALLOW, header::RETRY_AFTER];

/// Runs around every route: own refusals and security headers.
pub(crate) async fn guard(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let method = request.method().clone();
    // A refusal has no tree words: it speaks the visitor's language if the server's own
    // words exist in it, else English.
    let lang = crate::visitor_language(UI_LOCALES, None, request.headers());
    let response = next.run(request).await;
    let status = response.status();
    let refused = status.is_client_error() || status.is_server_error();
    // Our own pages are HTML and our API answers JSON; anything else was made by the
    // framework (plain text, or nothing at all) and is replaced.
    let ours = if api {
        is_json(response.headers())
    } else {
        is_html(response.headers())
    };
    let response = if refused && !ours {
        let ours = if api {
            api_refusal(status, &api_sentence(status, Some(&method)))
        } else {
            refusal_page(status, &lang)
        };
        keeping_headers(ours, &response)
    } else if let Some(refused) = response.extensions().get::<Refused>().filter(|_| !api)
        && !lang.is_source()
    {
        let page = pages::message_page_in(
            &lang,
            lang.t(refused.title),
            &language::translated(&lang, &refused.message),
        );
        keeping_headers((status, page).into_response(), &response)
    } else {
        response
    };
    secure(response).await
}

/// `ours`, with the headers of `theirs` a client still needs (`Allow`, `Retry-After`).
fn keeping_headers(mut ours: Response, theirs: &Response) -> Response {
    for name in KEPT {
        if let Some(value) = theirs.headers().get(&name) {
            ours.headers_mut().insert(name, value.clone());
        }
    }
    ours
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The policy for a page whose `<style>` blocks hash to `styles`. No script may run at all,
/// nothing may frame the page, and forms may only post back here. Styles are allowed by
/// their hashes rather than with `'unsafe-inline'`, so an injected style block would not
/// apply either.
pub(crate) fn policy(styles: &[String]) -> String {
    let mut style_src = String::new();
    for hash in styles {
        style_src.push_str(&format!(" 'sha256-{hash}'"));
    }
    if style_src.is_empty() {
        style_src.push_str(" 'none'");
    }
    format!(
        "default-src 'none'; style-src{style_src}; img-src 'self'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The base64 of the SHA-256 of every `<style>` block's text, as CSP wants them.
pub(crate) fn style_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<style>") {
        let after = &rest[open + "<style>".len()..];
        let Some(close) = after.find("</style>") else {
            break;
        };
        hashes.push(base64(&Sha256::digest(&after.as_bytes()[..close])));
        rest = &after[close..];
    }
    hashes
}

/// Standard base64 with padding (RFC 4648), for the few bytes of a hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The headers every response gets.
async fn secure(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let mut body = body;
    let styles = if is_html(&parts.headers) {
        // Our pages are built in memory, a few kilobytes each: reading one back is cheap.
        match to_bytes(body, usize::MAX).await {
            Ok(bytes) => {
                let hashes = style_hashes(&String::from_utf8_lossy(&bytes));
                body = Body::from(bytes);
                hashes
            }
            Err(_) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, false),
        }
    } else {
        Vec::new()
    };
    let headers = &mut parts.headers;
    if let Ok(value) = HeaderValue::from_str(&policy(&styles)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // For browsers older than `frame-ancestors`.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Session addresses hold the session id: they must not leave in a Referer to another
    // site. `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends
    // `Origin: null` with a form post, which the same-origin check must refuse, and every
    // customer's first button failed with 403.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, encoded) in cases {
            assert_eq!(base64(text.as_bytes()), encoded, "{text:?}");
        }
    }

    #[test]
    fn every_style_block_is_hashed() {
        let page = "<style>a{}</style><p>x</p><style>b{}</style>";
        let hashes = style_hashes(page);
        assert_eq!(hashes.len(), 2);
        assert_eq!(hashes[0], base64(&Sha256::digest(b"a{}")));
        assert_eq!(style_hashes("<style>unclosed"), Vec::<String>::new());
    }
}
