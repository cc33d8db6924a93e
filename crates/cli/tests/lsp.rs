//! Issue 19: `calltree lsp`, driven end to end. The real binary in a temporary folder, spoken
//! to with JSON-RPC messages framed by `Content-Length`, as an editor does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test helper that cannot talk to the server should fail the test loudly"
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one answer may take (a debug build checking a 10 MB document included).
const PATIENCE: Duration = Duration::from_secs(120);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: mpsc::Receiver<Value>,
    /// Notifications received while waiting for something else.
    notifications: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_calltree"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            messages,
            notifications: Vec::new(),
            next_id: 1,
        }
    }

    /// Starts a server and initializes it, offering `encodings` (none: the UTF-16 default).
    fn initialized(dir: &Path, encodings: &[&str]) -> (Client, Value) {
        let mut client = Client::start(dir);
        let mut capabilities = json!({});
        if !encodings.is_empty() {
            capabilities = json!({ "general": { "positionEncodings": encodings } });
        }
        let root = url(dir);
        let answer = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": capabilities }),
        );
        client.notify("initialized", json!({}));
        (client, answer)
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_bytes(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&json!(id))
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(PATIENCE)
            .expect("the server answered in time")
    }

    fn response(&mut self, id: &Value) -> Value {
        loop {
            let message = self.next();
            if message.get("method").is_some() {
                self.notifications.push(message);
            } else if &message["id"] == id {
                return message;
            } else {
                panic!("a response to something else: {message}");
            }
        }
    }

    /// The next diagnostics published for `uri` (received already or yet to come).
    fn diagnostics(&mut self, uri: &str) -> Value {
        let is_ours = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(at) = self.notifications.iter().position(is_ours) {
            return self.notifications.remove(at)["params"].clone();
        }
        loop {
            let message = self.next();
            if is_ours(&message) {
                return message["params"].clone();
            }
            if message.get("method").is_some() {
                self.notifications.push(message);
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = url(path);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "calltree", "version": 1, "text": text } }),
        );
        uri
    }

    /// Ends the session politely and returns the exit code.
    fn shutdown(mut self) -> i32 {
        assert_eq!(self.result("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        self.wait()
    }

    fn wait(mut self) -> i32 {
        drop(self.stdin.take());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(started.elapsed() < PATIENCE, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn url(path: &Path) -> String {
    // Temporary folders have plain names; only what a path holds here is escaped.
    let path = path.display().to_string().replace(' ', "%20");
    format!("file://{path}")
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().canonicalize().unwrap().join(name)
}

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

const SUPPORT: &str = "\
tree support \"Support\"
  start: welcome
field account: text \"Account number\" required
flag vip
node welcome \"Welcome\"
  say \"Héllo 😀, welcome\"
  ask account
  option \"Go on\" -> check when not vip
  option \"VIP\" -> check
node check \"Check\"
  if visited(welcome) and account == \"1\" -> done
  else -> goodbye
node done
  call closing -> goodbye
node goodbye
  say \"Thanks {account}\"
  end resolved
";

const CLOSING: &str = "\
tree closing \"Closing\"
  start: bye
node bye \"Bye\"
  say \"Goodbye {account}\"
  return
field account: text
";

// ---------------------------------------------------------------- lifecycle and diagnostics

#[test]
fn diagnostics_as_you_type_then_a_clean_exit() {
    let dir = folder(&[("closing.tree", CLOSING)]);
    let (mut client, answer) = Client::initialized(dir.path(), &[]);
    let capabilities = &answer["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 2);
    assert_eq!(answer["result"]["serverInfo"]["name"], "calltree");

    // A typo after non-ASCII text on the line before: `sya` for `say`.
    let broken = SUPPORT.replace("  ask account\n", "  ask account\n  sya \"é😀\"\n");
    let file = path(&dir, "support.tree");
    let uri = client.open(&file, &broken);
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], 1);
    assert_eq!(codes(&published), ["E102"], "{published}");
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["source"], "calltree");
    assert_eq!(
        diagnostic["range"],
        json!({ "start": { "line": 7, "character": 2 }, "end": { "line": 7, "character": 5 } }),
        "{diagnostic}"
    );

    // The author fixes the typo: an incremental edit of those three characters.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 7, "character": 2 }, "end": { "line": 7, "character": 5 } },
                "text": "say"
            }]
        }),
    );
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], 2);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published}");

    // Closing a document clears its problems.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(client.diagnostics(&uri)["diagnostics"], json!([]));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn a_problem_in_the_project_is_reported_at_its_line_in_utf8_when_offered() {
    // An unknown target after text with wide characters on the same line.
    let text = SUPPORT.replace(
        "  option \"VIP\" -> check\n",
        "  option \"VIP\" -> check\n  option \"😀 go\" -> nowhere\n",
    );
    let dir = folder(&[("closing.tree", CLOSING)]);
    let (mut client, answer) = Client::initialized(dir.path(), &["utf-8", "utf-16"]);
    assert_eq!(
        answer["result"]["capabilities"]["positionEncoding"],
        "utf-8"
    );
    let uri = client.open(&path(&dir, "support.tree"), &text);
    let published = client.diagnostics(&uri);
    assert_eq!(codes(&published), ["E203"], "{published}");
    // `  option "😀 go" -> ` is 22 bytes (and 20 UTF-16 units).
    assert_eq!(
        published["diagnostics"][0]["range"],
        json!({ "start": { "line": 9, "character": 22 }, "end": { "line": 9, "character": 29 } })
    );
    assert_eq!(client.shutdown(), 0);
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_gets_errors_and_the_server_goes_on() {
    let dir = folder(&[("closing.tree", CLOSING)]);
    let mut client = Client::start(dir.path());
    // Before `initialize`.
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");

    let (mut client, _) = {
        drop(client);
        Client::initialized(dir.path(), &[])
    };
    // Not JSON, then JSON that is no message, then a header without a length.
    client.send_bytes(b"Content-Length: 9\r\n\r\n{not json");
    let reply = client.next();
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    assert_eq!(reply["id"], Value::Null);
    client.send(&json!({ "jsonrpc": "2.0", "id": 77, "method": 5 }));
    let reply = client.next();
    assert_eq!(
        (reply["id"].clone(), reply["error"]["code"].clone()),
        (json!(77), json!(-32600))
    );
    client.send_bytes(b"Content-Type: nothing\r\n\r\n");
    assert_eq!(client.next()["error"]["code"], -32700);

    // An unknown method, parameters that do not fit, a second `initialize`.
    let reply = client.request("calltree/nothing", json!({}));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    let reply = client.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    // Unknown notifications are ignored, as the protocol says.
    client.notify("$/somethingElse", json!({}));
    client.notify("textDocument/didChange", json!({ "bad": 1 }));
    let reply = client.request("textDocument/definition", json!({ "nonsense": true }));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");

    // Edits out of range are clamped to the document, which still checks.
    let uri = client.open(&path(&dir, "support.tree"), SUPPORT);
    assert_eq!(codes(&client.diagnostics(&uri)), Vec::<String>::new());
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 900, "character": 0 }, "end": { "line": 901, "character": 9 } },
                "text": "node extra\n  -> nowhere\n"
            }, {
                "range": { "start": { "line": 0, "character": 400 }, "end": { "line": 0, "character": 2 } },
                "text": ""
            }]
        }),
    );
    let published = client.diagnostics(&uri);
    assert!(
        codes(&published).contains(&"E203".to_owned()),
        "{published}"
    );

    // A buffer that is not a file is a project of its own.
    let untitled = "untitled:Untitled-1";
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": untitled, "languageId": "calltree", "version": 1, "text": "tree u\n  start: a\nnode a\n  -> b\n" } }),
    );
    assert!(codes(&client.diagnostics(untitled)).contains(&"E203".to_owned()));
    let found = client.result("textDocument/definition", at(untitled, 1, 9));
    assert_eq!(
        found[0]["range"]["start"],
        json!({ "line": 2, "character": 5 })
    );

    // The server still answers, and `exit` without `shutdown` ends it with status 1.
    let reply = client.request("calltree/nothing", json!({}));
    assert_eq!(reply["error"]["code"], -32601);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), 1);
}

#[test]
fn unreadable_and_deleted_files_and_a_10_mb_document() {
    let dir = folder(&[("closing.tree", CLOSING)]);
    // A sibling that is not UTF-8 is left out of the project, not fatal.
    std::fs::write(
        dir.path().join("latin1.tree"),
        b"tree caf\xe9\n  start: a\n",
    )
    .unwrap();
    let (mut client, _) = Client::initialized(dir.path(), &[]);
    let file = path(&dir, "support.tree");
    std::fs::write(&file, SUPPORT).unwrap();
    let uri = client.open(&file, SUPPORT);
    assert_eq!(codes(&client.diagnostics(&uri)), Vec::<String>::new());

    // Deleted on disk while open: the editor's text is still the document.
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_file(dir.path().join("closing.tree")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [] }));
    let published = client.diagnostics(&uri);
    // `call closing` now names a tree that is gone.
    assert_eq!(
        published["diagnostics"].as_array().unwrap().len(),
        1,
        "{published}"
    );
    assert!(
        published["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("closing")
    );

    // A `use` of it is a problem at that line, in words.
    let user = client.open(
        &path(&dir, "user.tree"),
        "use \"latin1.tree\"\ntree user\n  start: a\nnode a\n  end resolved\n",
    );
    let published = client.diagnostics(&user);
    assert_eq!(codes(&published), ["E226"], "{published}");
    assert_eq!(published["diagnostics"][0]["range"]["start"]["line"], 0);
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": user } }),
    );

    // A 10 MB document: 2,000 nodes with 5 KB of text each.
    let mut big = String::from("tree big \"Big\"\n  start: n0\n");
    let words = "Ünïcode words to read aloud 😀 ".repeat(160);
    for i in 0..2000 {
        big.push_str(&format!(
            "node n{i} \"Step {i}\"\n  say \"{words}\"\n  -> n{}\n",
            i + 1
        ));
    }
    big.push_str("node n2000\n  end resolved\n");
    assert!(big.len() > 10_000_000, "{}", big.len());
    let big_uri = client.open(&path(&dir, "big.tree"), &big);
    let started = Instant::now();
    let published = client.diagnostics(&big_uri);
    eprintln!(
        "10 MB document: first diagnostics after {:?}",
        started.elapsed()
    );
    // Only the warning that it is too big for agents.
    assert_eq!(codes(&published), ["W255"]);
    // One keystroke in it.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": big_uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 5, "character": 2 }, "end": { "line": 5, "character": 3 } },
                "text": "S"
            }]
        }),
    );
    let started = Instant::now();
    let published = client.diagnostics(&big_uri);
    eprintln!(
        "10 MB document: diagnostics after one edit in {:?}",
        started.elapsed()
    );
    assert!(
        codes(&published).contains(&"E102".to_owned()),
        "{published}"
    );
    assert_eq!(client.shutdown(), 0);
}

// ---------------------------------------------------------------- navigation and editing

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

/// The byte offset of a UTF-16 position.
fn offset(text: &str, line: u64, character: u64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize)
        .map(str::len)
        .sum();
    let mut units = 0;
    for (index, c) in text[start..].char_indices() {
        if units >= character as usize || c == '\n' {
            return start + index;
        }
        units += c.len_utf16();
    }
    text.len()
}

fn apply(text: &str, edits: &Value) -> String {
    let mut text = text.to_owned();
    let mut edits = edits.as_array().unwrap().clone();
    // From the end, so that earlier ranges stay where they were.
    edits.sort_by_key(|e| {
        let s = &e["range"]["start"];
        std::cmp::Reverse((
            s["line"].as_u64().unwrap(),
            s["character"].as_u64().unwrap(),
        ))
    });
    for edit in edits {
        let range = &edit["range"];
        let point = |p: &Value| {
            offset(
                &text,
                p["line"].as_u64().unwrap(),
                p["character"].as_u64().unwrap(),
            )
        };
        let (start, end) = (point(&range["start"]), point(&range["end"]));
        text.replace_range(start..end, edit["newText"].as_str().unwrap());
    }
    text
}

fn places(locations: &Value) -> Vec<(String, u64, u64, u64)> {
    let mut out: Vec<_> = locations
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap();
            let name = uri.rsplit('/').next().unwrap().to_owned();
            let r = &l["range"];
            (
                name,
                r["start"]["line"].as_u64().unwrap(),
                r["start"]["character"].as_u64().unwrap(),
                r["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn definition_references_hover_outline_and_colours() {
    let dir = folder(&[("closing.tree", CLOSING)]);
    let (mut client, _) = Client::initialized(dir.path(), &[]);
    let uri = client.open(&path(&dir, "support.tree"), SUPPORT);
    assert_eq!(codes(&client.diagnostics(&uri)), Vec::<String>::new());

    // A node target, and a tree in another file.
    let found = client.result("textDocument/definition", at(&uri, 7, 21));
    assert_eq!(places(&found), [("support.tree".into(), 9, 5, 10)]);
    let found = client.result("textDocument/definition", at(&uri, 13, 8));
    assert_eq!(places(&found), [("closing.tree".into(), 0, 5, 12)]);

    // A field, used in both trees the call joins (declarations included, then not).
    let mut params = at(&uri, 6, 7);
    params["context"] = json!({ "includeDeclaration": true });
    let found = client.result("textDocument/references", params.clone());
    assert_eq!(
        places(&found),
        [
            ("closing.tree".into(), 3, 16, 23),
            ("closing.tree".into(), 5, 6, 13),
            ("support.tree".into(), 2, 6, 13),
            ("support.tree".into(), 6, 6, 13),
            ("support.tree".into(), 10, 26, 33),
            ("support.tree".into(), 15, 15, 22),
        ]
    );
    params["context"] = json!({ "includeDeclaration": false });
    assert_eq!(
        places(&client.result("textDocument/references", params)).len(),
        4
    );

    // Hover: a field's type, a node's text (non-ASCII intact).
    let hover = client.result("textDocument/hover", at(&uri, 6, 8));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("**field** `account`: text"), "{shown}");
    assert!(shown.contains("required"), "{shown}");
    let hover = client.result("textDocument/hover", at(&uri, 10, 15));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("**node** `welcome` — Welcome"), "{shown}");
    assert!(shown.contains("says: Héllo 😀, welcome"), "{shown}");
    // Nothing to say on a keyword.
    assert_eq!(
        client.result("textDocument/hover", at(&uri, 6, 1)),
        Value::Null
    );

    // The outline: the tree with its declarations in order.
    let outline = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(outline.as_array().unwrap().len(), 1);
    assert_eq!(outline[0]["name"], "support");
    let children: Vec<&str> = outline[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        ["account", "vip", "welcome", "check", "done", "goodbye"]
    );

    // Colours: `tree` is a keyword at 0:0; the text with an emoji is measured in UTF-16.
    let tokens = client.result(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": uri } }),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(data[..5], [0, 0, 4, 0, 0]);
    let mut line = 0;
    let mut column = 0;
    let mut texts = Vec::new();
    for token in data.chunks(5) {
        if token[0] > 0 {
            column = 0;
        }
        line += token[0];
        column += token[1];
        if token[3] == 2 {
            texts.push((line, column, token[2]));
        }
    }
    let literal = "\"Héllo 😀, welcome\"";
    assert!(
        texts.contains(&(5, 6, literal.encode_utf16().count() as u64)),
        "{texts:?}"
    );

    // Positions past the end, and documents that are not open.
    let reply = client.request("textDocument/definition", at(&uri, 500, 0));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    // Past a line's end is its end, here just after `vip`.
    let past_line_end = client.result("textDocument/definition", at(&uri, 7, 9999));
    assert_eq!(places(&past_line_end), [("support.tree".into(), 3, 5, 8)]);
    let reply = client.request("textDocument/hover", at("file:///nowhere/x.tree", 0, 0));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn rename_completion_and_formatting() {
    let dir = folder(&[("closing.tree", CLOSING)]);
    let (mut client, _) = Client::initialized(dir.path(), &[]);
    let uri = client.open(&path(&dir, "support.tree"), SUPPORT);
    let closing_uri = url(&path(&dir, "closing.tree"));

    // A node: every target, in this file only.
    let mut params = at(&uri, 7, 21);
    params["newName"] = json!("verify");
    let edit = client.result("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        apply(SUPPORT, &changes[&uri]),
        SUPPORT.replace("check", "verify")
    );

    // A field: both trees the call joins, placeholders included.
    let mut params = at(&uri, 15, 17);
    params["newName"] = json!("customer");
    let edit = client.result("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(
        apply(SUPPORT, &changes[&uri]),
        SUPPORT
            .replace("account", "customer")
            .replace("\"customer number\"", "\"Account number\"")
    );
    assert_eq!(
        apply(CLOSING, &changes[&closing_uri]),
        CLOSING.replace("account", "customer")
    );

    // Refusals come back as errors in words.
    let mut params = at(&uri, 7, 21);
    params["newName"] = json!("done");
    let reply = client.request("textDocument/rename", params);
    assert_eq!(reply["error"]["code"], -32803, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already has a node called `done`")
    );
    let mut params = at(&uri, 7, 21);
    params["newName"] = json!("not a name");
    assert_eq!(
        client.request("textDocument/rename", params)["error"]["code"],
        -32803
    );

    // Completion: nodes after `->`, fields in a placeholder, keywords at a line's start.
    let labels = |list: &Value| -> Vec<String> {
        let mut out: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    let nodes = client.result("textDocument/completion", at(&uri, 7, 20));
    assert_eq!(labels(&nodes), ["check", "done", "goodbye", "welcome"]);
    let fields = client.result("textDocument/completion", at(&uri, 15, 16));
    assert_eq!(labels(&fields), ["account", "vip"]);
    let keywords = client.result("textDocument/completion", at(&uri, 6, 2));
    assert!(labels(&keywords).contains(&"option".to_owned()));

    // Formatting: the same result as `calltree fmt`, as one edit.
    let messy = "tree   tidy \"Tidy\"\n  start:    a\n\n\n\nnode a   \"A\"\n    say   \"x\"\n    end resolved\n";
    let messy_uri = client.open(&path(&dir, "messy.tree"), messy);
    let edits = client.result("textDocument/formatting", json!({ "textDocument": { "uri": messy_uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let mut fmt = Command::new(env!("CARGO_BIN_EXE_calltree"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    fmt.stdin
        .take()
        .unwrap()
        .write_all(messy.as_bytes())
        .unwrap();
    let formatted = String::from_utf8(fmt.wait_with_output().unwrap().stdout).unwrap();
    assert_ne!(formatted, messy);
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(apply(messy, &edits), formatted);
    // A file with syntax errors is left alone, with a reason.
    let broken_uri = client.open(&path(&dir, "broken.tree"), "tree b\n  sya \"x\"\n");
    let reply = client.request("textDocument/formatting", json!({ "textDocument": { "uri": broken_uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(reply["error"]["code"], -32803, "{reply}");
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn a_thousand_node_file_is_checked_as_you_type() {
    let mut text = String::from("tree big \"Big\"\n  start: n0\nfield x: number \"X\" = 0\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "node n{i} \"Step {i}\"\n  say \"Say {{x}} at step {i}\"\n  set x = x + 1\n  \
             option \"Next\" -> n{} when x < {i} and not visited(n{i})\n  option \"Done\" -> end_{i}\n\
             node end_{i}\n  end resolved\n",
            i + 1
        ));
    }
    text.push_str("node n1000\n  end resolved\n");
    let dir = folder(&[]);
    let (mut client, _) = Client::initialized(dir.path(), &[]);
    let started = Instant::now();
    let uri = client.open(&path(&dir, "big.tree"), &text);
    let first = client.diagnostics(&uri);
    let opened = started.elapsed();
    assert!(!codes(&first).contains(&"E102".to_owned()));
    let mut latencies = Vec::new();
    for version in 2..7 {
        // Type one character into a `say` halfway down, as an author does.
        let line = 3 + 7 * 500 + 1;
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": { "start": { "line": line, "character": 7 }, "end": { "line": line, "character": 7 } },
                    "text": "a"
                }]
            }),
        );
        let started = Instant::now();
        let published = client.diagnostics(&uri);
        latencies.push(started.elapsed());
        assert_eq!(published["version"], version);
    }
    eprintln!("1,000 nodes: first diagnostics {opened:?}, after each keystroke {latencies:?}");
    // Generous, for a debug build on a busy machine; the figures are in the output.
    assert!(latencies.iter().all(|l| l.as_secs() < 20));
    assert_eq!(client.shutdown(), 0);
}
