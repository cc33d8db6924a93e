//! The session with one editor: the protocol's lifecycle, the open documents, and a reply to
//! every request, whatever it holds.
//!
//! Requests are answered in the order they arrive. A request the server does not know gets
//! `MethodNotFound`, one whose parameters do not fit gets `InvalidParams`, one about a
//! document that is not open or a position past its end gets `InvalidParams` too, and a
//! request that fails inside a feature (a bug) gets `InternalError`: the server goes on. Only
//! `exit` or the end of the input ends it.

use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{Initialize, Request as _, Shutdown};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, InitializeParams, InitializeResult, Location,
    NumberOrString, PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::position::{Encoding, LineMap};
use crate::transport::{self, Incoming};
use crate::workspace::{Checked, Workspace};
use crate::{Ending, LspError};
use crate::{edit, navigate};

/// Diagnostics sent per document: an editor's problem list is for reading, and a file with
/// more has one mistake repeated.
const MAX_DIAGNOSTICS: usize = 1000;

/// What a request handler answers with: a result, or an LSP error.
pub(crate) type Answer = Result<Value, (ErrorCode, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before `initialize`: only `initialize` and `exit` are answered.
    Starting,
    Running,
    /// After `shutdown`: everything but `exit` is refused.
    ShuttingDown,
}

pub struct Server<W: Write> {
    output: W,
    stage: Stage,
    pub(crate) encoding: Encoding,
    pub(crate) workspace: Workspace,
    /// Documents edited since they were last checked.
    dirty: bool,
    /// Documents whose diagnostics were published and that are no longer open: cleared.
    closed: Vec<Url>,
}

impl<W: Write> Server<W> {
    pub fn new(output: W) -> Self {
        Server {
            output,
            stage: Stage::Starting,
            encoding: Encoding::Utf16,
            workspace: Workspace::default(),
            dirty: false,
            closed: Vec::new(),
        }
    }

    pub fn run(mut self, mut input: impl BufRead + Send + 'static) -> Result<Ending, LspError> {
        // The reader runs ahead, so that edits typed during a check wait in the channel and
        // are applied together before the next one.
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::Builder::new()
            .name("calltree-lsp-reader".into())
            .spawn(move || {
                loop {
                    match transport::read(&mut input) {
                        Ok(Some(incoming)) => {
                            let exit = matches!(
                                &incoming,
                                Incoming::Message(Message::Notification(n)) if n.method == "exit"
                            );
                            if sender.send(incoming).is_err() || exit {
                                return;
                            }
                        }
                        Ok(None) | Err(_) => return,
                    }
                }
            })
            .map_err(LspError::Thread)?;
        let ending = self.serve(&receiver);
        drop(receiver);
        // The reader may be blocked on input that never comes; it ends with the process.
        drop(reader);
        ending
    }

    fn serve(&mut self, receiver: &mpsc::Receiver<Incoming>) -> Result<Ending, LspError> {
        loop {
            let Ok(incoming) = receiver.recv() else {
                return Ok(Ending::Abrupt);
            };
            if let Some(ending) = self.handle(incoming)? {
                return Ok(ending);
            }
            // Everything already waiting is handled before checking, so a burst of edits
            // costs one check.
            while let Ok(incoming) = receiver.try_recv() {
                if let Some(ending) = self.handle(incoming)? {
                    return Ok(ending);
                }
            }
            if self.dirty {
                self.dirty = false;
                self.publish_diagnostics()?;
            }
        }
    }

    fn handle(&mut self, incoming: Incoming) -> Result<Option<Ending>, LspError> {
        match incoming {
            Incoming::Malformed { id, code, message } => {
                transport::write_error(&mut self.output, &id, code, &message)?;
            }
            Incoming::Message(Message::Request(request)) => self.request(request)?,
            Incoming::Message(Message::Notification(notification)) => {
                if notification.method == "exit" {
                    return Ok(Some(if self.stage == Stage::ShuttingDown {
                        Ending::Clean
                    } else {
                        Ending::Abrupt
                    }));
                }
                self.notification(notification)?;
            }
            // The server sends no requests, so a response answers nothing.
            Incoming::Message(Message::Response(_)) => {}
        }
        Ok(None)
    }

    fn send(&mut self, message: Message) -> Result<(), LspError> {
        transport::write(&mut self.output, &message)?;
        Ok(())
    }

    fn reply(&mut self, id: RequestId, answer: Answer) -> Result<(), LspError> {
        let response = match answer {
            Ok(value) => Response {
                id,
                response_result: Ok(value),
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(Message::Response(response))
    }

    fn request(&mut self, request: Request) -> Result<(), LspError> {
        let Request { id, method, params } = request;
        let answer = match (self.stage, method.as_str()) {
            (Stage::Starting, Initialize::METHOD) => self.initialize(params),
            (Stage::Starting, _) => Err((
                ErrorCode::ServerNotInitialized,
                "the server is not initialized yet".into(),
            )),
            (Stage::ShuttingDown, _) => Err((
                ErrorCode::InvalidRequest,
                "the server is shutting down".into(),
            )),
            (Stage::Running, Initialize::METHOD) => Err((
                ErrorCode::InvalidRequest,
                "the server is initialized already".into(),
            )),
            (Stage::Running, Shutdown::METHOD) => {
                self.stage = Stage::ShuttingDown;
                Ok(Value::Null)
            }
            (Stage::Running, _) => {
                // A bug in a feature answers this request with an error, not the session.
                match catch_unwind(AssertUnwindSafe(|| self.feature(&method, params))) {
                    Ok(answer) => answer,
                    Err(_) => Err((
                        ErrorCode::InternalError,
                        format!("calltree failed on `{method}`; this is a bug"),
                    )),
                }
            }
        };
        self.reply(id, answer)
    }

    fn feature(&mut self, method: &str, params: Value) -> Answer {
        use lsp_types::request::{
            Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
            References, Rename, SemanticTokensFullRequest,
        };
        let encoding = self.encoding;
        let workspace = &mut self.workspace;
        match method {
            GotoDefinition::METHOD => {
                let params: lsp_types::GotoDefinitionParams = parse_params(params)?;
                let (snapshot, offset) =
                    navigate::locate(workspace, &params.text_document_position_params, encoding)?;
                navigate::definition(&snapshot, offset)
            }
            References::METHOD => {
                let params: lsp_types::ReferenceParams = parse_params(params)?;
                let (snapshot, offset) =
                    navigate::locate(workspace, &params.text_document_position, encoding)?;
                navigate::references(&snapshot, offset, params.context.include_declaration)
            }
            HoverRequest::METHOD => {
                let params: lsp_types::HoverParams = parse_params(params)?;
                let (snapshot, offset) =
                    navigate::locate(workspace, &params.text_document_position_params, encoding)?;
                navigate::hover(&snapshot, offset)
            }
            DocumentSymbolRequest::METHOD => {
                let params: lsp_types::DocumentSymbolParams = parse_params(params)?;
                let file = navigate::document(workspace, &params.text_document.uri, encoding)?;
                navigate::document_symbols(&file)
            }
            SemanticTokensFullRequest::METHOD => {
                let params: lsp_types::SemanticTokensParams = parse_params(params)?;
                let file = navigate::document(workspace, &params.text_document.uri, encoding)?;
                navigate::semantic_tokens(&file)
            }
            Rename::METHOD => {
                let params: lsp_types::RenameParams = parse_params(params)?;
                let (snapshot, offset) =
                    navigate::locate(workspace, &params.text_document_position, encoding)?;
                edit::rename(&snapshot, offset, &params.new_name)
            }
            Formatting::METHOD => {
                let params: lsp_types::DocumentFormattingParams = parse_params(params)?;
                let file = navigate::document(workspace, &params.text_document.uri, encoding)?;
                edit::formatting(&file)
            }
            Completion::METHOD => {
                let params: lsp_types::CompletionParams = parse_params(params)?;
                let (snapshot, offset) =
                    navigate::locate(workspace, &params.text_document_position, encoding)?;
                edit::completion(&snapshot, offset)
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("calltree does not answer `{method}`"),
            )),
        }
    }

    fn initialize(&mut self, params: Value) -> Answer {
        let params: InitializeParams = parse_params(params)?;
        let offered = params
            .capabilities
            .general
            .and_then(|general| general.position_encodings)
            .unwrap_or_default();
        let encoding = if offered.contains(&PositionEncodingKind::UTF8) {
            self.encoding = Encoding::Utf8;
            PositionEncodingKind::UTF8
        } else {
            self.encoding = Encoding::Utf16;
            PositionEncodingKind::UTF16
        };
        self.stage = Stage::Running;
        let capabilities = ServerCapabilities {
            position_encoding: Some(encoding),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            ..ServerCapabilities::default()
        };
        let result = InitializeResult {
            capabilities: self.more_capabilities(capabilities),
            server_info: Some(ServerInfo {
                name: "calltree".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        to_value(result)
    }

    fn more_capabilities(&self, capabilities: ServerCapabilities) -> ServerCapabilities {
        use lsp_types::{
            CompletionOptions, OneOf, SemanticTokensFullOptions, SemanticTokensOptions,
            SemanticTokensServerCapabilities,
        };
        ServerCapabilities {
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![">".into(), "{".into(), "(".into()]),
                ..CompletionOptions::default()
            }),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: navigate::legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    ..SemanticTokensOptions::default()
                }),
            ),
            ..capabilities
        }
    }

    fn notification(&mut self, notification: Notification) -> Result<(), LspError> {
        if self.stage == Stage::Starting {
            // Before `initialize`, notifications other than `exit` are dropped.
            return Ok(());
        }
        let Notification { method, params } = notification;
        match method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = parse_params::<lsp_types::DidOpenTextDocumentParams>(params) {
                    let doc = params.text_document;
                    self.workspace.open(doc.uri, doc.text, doc.version);
                    self.dirty = true;
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = parse_params::<lsp_types::DidChangeTextDocumentParams>(params) {
                    self.change(params);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = parse_params::<lsp_types::DidCloseTextDocumentParams>(params) {
                    let uri = params.text_document.uri;
                    if self.workspace.documents.remove(&uri).is_some() {
                        self.closed.push(uri);
                        self.dirty = true;
                    }
                }
            }
            // A save may change what the other open documents' projects read from disk.
            DidSaveTextDocument::METHOD => self.dirty = true,
            "workspace/didChangeWatchedFiles" => self.dirty = true,
            // Others (`initialized`, `$/cancelRequest`, `$/setTrace`...) need nothing.
            _ => {}
        }
        Ok(())
    }

    fn change(&mut self, params: lsp_types::DidChangeTextDocumentParams) {
        let encoding = self.encoding;
        let Some(doc) = self.workspace.documents.get_mut(&params.text_document.uri) else {
            return;
        };
        for change in params.content_changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    // Each change is measured against the text the ones before it left.
                    let lines = LineMap::new(&doc.text, encoding);
                    let start = lines.offset_clamped(&doc.text, range.start);
                    let end = lines.offset_clamped(&doc.text, range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = params.text_document.version;
        self.dirty = true;
    }

    fn publish_diagnostics(&mut self) -> Result<(), LspError> {
        let checked = self.workspace.check_all();
        for uri in std::mem::take(&mut self.closed) {
            let params = PublishDiagnosticsParams::new(uri, Vec::new(), None);
            self.send(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.into(),
                params,
            )))?;
        }
        for checked in checked {
            let params = self.diagnostics_of(checked);
            self.send(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.into(),
                params,
            )))?;
        }
        Ok(())
    }

    fn diagnostics_of(&self, checked: Checked) -> PublishDiagnosticsParams {
        let Checked {
            uri,
            version,
            text,
            diagnostics,
        } = checked;
        let lines = LineMap::new(&text, self.encoding);
        let list = diagnostics
            .iter()
            .take(MAX_DIAGNOSTICS)
            .map(|d| {
                let mut message = d.message.clone();
                for hint in &d.hints {
                    message.push_str("\nhint: ");
                    message.push_str(hint);
                }
                let related: Vec<DiagnosticRelatedInformation> = d
                    .related
                    .iter()
                    .map(|r| DiagnosticRelatedInformation {
                        location: Location::new(uri.clone(), lines.range(&text, r.span)),
                        message: r.message.clone(),
                    })
                    .collect();
                lsp_types::Diagnostic {
                    range: lines.range(&text, d.span),
                    severity: Some(match d.severity {
                        calltree_syntax::Severity::Error => DiagnosticSeverity::ERROR,
                        calltree_syntax::Severity::Warning => DiagnosticSeverity::WARNING,
                    }),
                    code: Some(NumberOrString::String(d.code.id.into())),
                    source: Some("calltree".into()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..lsp_types::Diagnostic::default()
                }
            })
            .collect();
        PublishDiagnosticsParams::new(uri, list, Some(version))
    }
}

pub(crate) fn parse_params<P: DeserializeOwned>(params: Value) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|error| {
        (
            ErrorCode::InvalidParams,
            format!("the parameters do not fit the request: {error}"),
        )
    })
}

pub(crate) fn to_value(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|error| (ErrorCode::InternalError, error.to_string()))
}
