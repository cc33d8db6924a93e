//! Reading a posted form ourselves: the body only after the session's owner is known, within
//! the size limit and the body timeout, as `application/x-www-form-urlencoded` only, and as
//! text only. The framework's form reader replaces bytes that are not UTF-8 with U+FFFD, so
//! a customer's answer would be stored changed without a word; here it is refused instead.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, header};
use percent_encoding::percent_decode;

use crate::error::ServerError;

/// The form's fields in order, or the refusal that fits.
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Vec<(String, String)>, ServerError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(ServerError::NotAForm);
    }
    let bytes = match tokio::time::timeout(timeout, to_bytes(body, limit)).await {
        Err(_) => return Err(ServerError::TooSlow),
        Ok(Err(_)) => return Err(ServerError::TooLarge),
        Ok(Ok(bytes)) => bytes,
    };
    parse(&bytes).ok_or(ServerError::NotText)
}

/// `key=value&...` with `+` for spaces and `%XX` escapes; `None` when a key or value is not
/// UTF-8 once decoded.
pub(crate) fn parse(body: &[u8]) -> Option<Vec<(String, String)>> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            Some((decode(key)?, decode(value)?))
        })
        .collect()
}

fn decode(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_decodes_like_a_browser_sends_it() {
        assert_eq!(
            parse(b"a=1&b=two+words&c=%C3%A9t%C3%A9&d&e=%2B%26").unwrap(),
            [
                ("a".into(), "1".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "été".into()),
                ("d".into(), String::new()),
                ("e".into(), "+&".into()),
            ]
        );
        assert_eq!(parse(b"").unwrap(), []);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_not_replaced() {
        assert_eq!(parse(b"name=%FF%FE"), None);
        assert_eq!(parse(b"%C3=x"), None);
        assert_eq!(parse(b"name=\xff"), None);
    }
}
