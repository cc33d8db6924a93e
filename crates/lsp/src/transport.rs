//! The wire: LSP messages framed by a `Content-Length` header, read forgivingly.
//!
//! lsp-server's own reader stops for good at the first malformed message, and its stdio
//! connection then ends the server. An editor that sends one bad message should get an error
//! back and keep its server, so this reader resynchronises instead: a header block without a
//! usable `Content-Length` is skipped, a body that is not JSON is answered with a parse error
//! (`id: null`), and JSON that is not a message with an invalid-request error. Only the end
//! of the input ends the reading.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message};
use serde_json::{Value, json};

/// The largest message read whole: a 64 MiB tree (the input limit) with room for JSON
/// escapes. A larger one is read past in pieces and refused, so it costs no memory.
pub const MAX_MESSAGE: usize = 192 * 1024 * 1024;

/// What arrived on the wire.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// Something that is not a message; the reply to send, with the id when one was found.
    Malformed {
        id: Value,
        code: ErrorCode,
        message: String,
    },
}

/// Reads the next thing from the wire; `None` at the end of the input.
pub fn read(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let Some(length) = read_headers(input)? else {
        return Ok(None);
    };
    let Some(length) = length else {
        return Ok(Some(malformed(
            Value::Null,
            ErrorCode::ParseError,
            "a message without a usable Content-Length header was skipped".into(),
        )));
    };
    if length > MAX_MESSAGE {
        let skipped = io::copy(&mut input.take(length as u64), &mut io::sink())?;
        if (skipped as usize) < length {
            return Ok(None);
        }
        return Ok(Some(malformed(
            Value::Null,
            ErrorCode::InvalidRequest,
            format!(
                "a message of {length} bytes is over the limit of {MAX_MESSAGE} and was skipped"
            ),
        )));
    }
    let mut body = vec![0; length];
    if let Err(error) = input.read_exact(&mut body) {
        return if error.kind() == io::ErrorKind::UnexpectedEof {
            Ok(None)
        } else {
            Err(error)
        };
    }
    Ok(Some(decode(&body)))
}

/// Reads one header block. `None` at the end of the input; `Some(None)` when the block had no
/// usable length. A line that is not a header is taken as the tail of a bad message before
/// it: a `Content-Length:` anywhere in it still counts, which is how a body whose length was
/// announced wrong is resynchronised with the next message.
fn read_headers(input: &mut impl BufRead) -> io::Result<Option<Option<usize>>> {
    let mut length = None;
    let mut any = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        // Headers are short; a line without an end is read in bounded pieces.
        let read = input.take(64 * 1024).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(if any { Some(length) } else { None });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if any {
                return Ok(Some(length));
            }
            // Blank lines between messages are tolerated.
            continue;
        }
        any = true;
        let lower = text.to_ascii_lowercase();
        if let Some(at) = lower.find("content-length:") {
            length = text[at + "content-length:".len()..].trim().parse().ok();
        }
    }
}

fn decode(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => {
            return malformed(
                Value::Null,
                ErrorCode::ParseError,
                format!("the message is not JSON: {error}"),
            );
        }
    };
    let id = match value.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(error) => malformed(
            id,
            ErrorCode::InvalidRequest,
            format!("the JSON is not a JSON-RPC request, response or notification: {error}"),
        ),
    }
}

fn malformed(id: Value, code: ErrorCode, message: String) -> Incoming {
    Incoming::Malformed { id, code, message }
}

/// Writes a message with its header.
pub fn write(output: &mut impl Write, message: &Message) -> io::Result<()> {
    message.write(output)
}

/// Writes an error reply to something that was not a valid message (its id may be null,
/// which lsp-server's types cannot say).
pub fn write_error(
    output: &mut impl Write,
    id: &Value,
    code: ErrorCode,
    message: &str,
) -> io::Result<()> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code as i32, "message": message },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn all(wire: &str) -> Vec<String> {
        let mut input = io::Cursor::new(wire.as_bytes().to_vec());
        let mut out = Vec::new();
        while let Some(incoming) = read(&mut input).unwrap() {
            out.push(match incoming {
                Incoming::Message(Message::Request(r)) => format!("request {}", r.method),
                Incoming::Message(Message::Notification(n)) => format!("notification {}", n.method),
                Incoming::Message(Message::Response(_)) => "response".into(),
                Incoming::Malformed { id, code, .. } => format!("error {} {id}", code as i32),
            });
        }
        out
    }

    #[test]
    fn bad_messages_are_answered_and_reading_goes_on() {
        let good = frame(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#);
        let wire = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            "Content-Type: x\r\n\r\n".to_owned(),
            "Content-Length: x\r\n\r\n".to_owned(),
            // Announces less than it sends: the rest is read as a header line.
            format!("Content-Length: 3\r\n\r\n{{\"a\":1}}{good}"),
            frame(r#"{"jsonrpc":"2.0","method":"n"}"#),
        ]
        .concat();
        assert_eq!(
            all(&wire),
            [
                "error -32700 null",
                "error -32600 7",
                "error -32700 null",
                "error -32700 null",
                "error -32700 null",
                "request a",
                "notification n"
            ]
        );
    }

    #[test]
    fn a_cut_message_is_the_end() {
        assert!(all("Content-Length: 50\r\n\r\n{\"a\"").is_empty());
        assert!(all("").is_empty());
        assert_eq!(all("\r\n\r\n"), Vec::<String>::new());
    }
}
