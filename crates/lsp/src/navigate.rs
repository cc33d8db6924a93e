//! Reading features: go to definition, find references, hover, the outline and colours.
//!
//! Names are resolved by the engine's `SymbolIndex` over the document's project, so the
//! answers follow the same rules as a check: across files, through `use`, and with fields
//! shared by the trees that calls join.

use calltree_engine::Symbol;
use calltree_syntax::{ItemKind, Span, StmtKind, TokenKind};
use lsp_server::ErrorCode;
use lsp_types::{
    DocumentSymbol, DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents, Location,
    MarkupContent, MarkupKind, Position, SemanticToken, SemanticTokenType, SemanticTokens,
    SemanticTokensLegend, SymbolKind, TextDocumentPositionParams, Url,
};

use crate::position::Encoding;
use crate::server::{Answer, to_value};
use crate::workspace::{File, Snapshot, Workspace};

/// The document's project and the byte offset of a position in the document.
pub fn locate(
    workspace: &mut Workspace,
    at: &TextDocumentPositionParams,
    encoding: Encoding,
) -> Result<(Snapshot, usize), (ErrorCode, String)> {
    let snapshot = snapshot(workspace, &at.text_document.uri, encoding)?;
    let document = &snapshot.files[0];
    let offset = document
        .lines
        .offset(&document.text, at.position)
        .map_err(|past| {
            (
                ErrorCode::InvalidParams,
                format!(
                    "line {} is past the end of the document, which has {} lines",
                    past.line, past.lines
                ),
            )
        })?;
    Ok((snapshot, offset))
}

/// An open document alone (see [`Workspace::document`]).
pub fn document(
    workspace: &mut Workspace,
    uri: &Url,
    encoding: Encoding,
) -> Result<File, (ErrorCode, String)> {
    workspace
        .document(uri, encoding)
        .ok_or_else(|| not_open(uri))
}

fn not_open(uri: &Url) -> (ErrorCode, String) {
    (
        ErrorCode::InvalidParams,
        format!("{uri} is not open; open it first (textDocument/didOpen)"),
    )
}

pub fn snapshot(
    workspace: &mut Workspace,
    uri: &Url,
    encoding: Encoding,
) -> Result<Snapshot, (ErrorCode, String)> {
    workspace
        .snapshot(uri, encoding)
        .ok_or_else(|| not_open(uri))
}

fn location(snapshot: &Snapshot, file: usize, span: Span) -> Option<Location> {
    let file = snapshot.files.get(file)?;
    Some(Location::new(
        file.uri.clone(),
        file.lines.range(&file.text, span),
    ))
}

pub fn definition(snapshot: &Snapshot, offset: usize) -> Answer {
    let Some(found) = snapshot.index.at(0, offset) else {
        return Ok(serde_json::Value::Null);
    };
    let locations: Vec<Location> = snapshot
        .index
        .declarations(&found.symbol)
        .into_iter()
        .filter_map(|(file, span)| location(snapshot, file, span))
        .collect();
    to_value(GotoDefinitionResponse::Array(locations))
}

pub fn references(snapshot: &Snapshot, offset: usize, declarations: bool) -> Answer {
    let Some(found) = snapshot.index.at(0, offset) else {
        return Ok(serde_json::Value::Null);
    };
    let declared = snapshot.index.declarations(&found.symbol);
    let locations: Vec<Location> = snapshot
        .index
        .references(&found.symbol)
        .into_iter()
        .filter(|place| declarations || !declared.contains(place))
        .filter_map(|(file, span)| location(snapshot, file, span))
        .collect();
    to_value(locations)
}

/// The item (block) of a file whose first line holds `span`.
fn item_at(file: &File, span: Span) -> Option<&calltree_syntax::Item> {
    file.syntax
        .items
        .iter()
        .find(|item| item.span.start <= span.start && span.end <= item.span.end)
}

fn line_of(file: &File, span: Span) -> &str {
    let start = file.text[..span.start as usize]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = file.text[span.start as usize..]
        .find('\n')
        .map_or(file.text.len(), |i| span.start as usize + i);
    file.text[start..end].trim_end_matches('\r').trim()
}

pub fn hover(snapshot: &Snapshot, offset: usize) -> Answer {
    let Some(found) = snapshot.index.at(0, offset) else {
        return Ok(serde_json::Value::Null);
    };
    let document = &snapshot.files[0];
    let range = document.lines.range(&document.text, found.span);
    let mut text = String::new();
    let declarations = snapshot.index.declarations(&found.symbol);
    for (index, span) in declarations.iter().take(3) {
        let Some(file) = snapshot.files.get(*index) else {
            continue;
        };
        let item = item_at(file, *span);
        match (&found.symbol, item.map(|i| &i.kind)) {
            (Symbol::Node { tree, .. }, Some(ItemKind::Node(head))) => {
                let title = head.title.as_ref().map(|t| t.to_plain());
                text.push_str(&format!(
                    "**node** `{}`{} in tree `{tree}`\n",
                    head.name.as_str(),
                    title.map(|t| format!(" — {t}")).unwrap_or_default()
                ));
                for stmt in item.map(|i| i.body.as_slice()).unwrap_or_default() {
                    let (who, said) = match &stmt.kind {
                        StmtKind::Say(t) => ("says", t),
                        StmtKind::Agent(t) => ("agent sees", t),
                        StmtKind::Customer(t) => ("customer reads", t),
                        _ => continue,
                    };
                    text.push_str(&format!("\n{who}: {}\n", said.to_plain()));
                }
            }
            (Symbol::Variable { .. }, Some(ItemKind::Field(decl))) => {
                text.push_str(&format!(
                    "**field** `{}`: {}\n\n```calltree\n{}\n```\n",
                    decl.name.as_str(),
                    type_name(&decl.ty.kind),
                    line_of(file, *span)
                ));
            }
            (Symbol::Variable { .. }, Some(ItemKind::Flag(decl))) => {
                text.push_str(&format!(
                    "**flag** `{}`: yes or no{}\n",
                    decl.name.as_str(),
                    decl.label
                        .as_ref()
                        .map(|l| format!(" — {}", l.to_plain()))
                        .unwrap_or_default()
                ));
            }
            (Symbol::Tree(_), Some(ItemKind::Tree(head))) => {
                text.push_str(&format!(
                    "**tree** `{}`{}\n",
                    head.name.as_str(),
                    head.title
                        .as_ref()
                        .map(|t| format!(" — {}", t.to_plain()))
                        .unwrap_or_default()
                ));
                for stmt in item.map(|i| i.body.as_slice()).unwrap_or_default() {
                    if let StmtKind::Description(d) = &stmt.kind {
                        text.push_str(&format!("\n{}\n", d.to_plain()));
                    }
                }
            }
            // A feedback question declares its field inside a node.
            (Symbol::Variable { .. }, _) => {
                text.push_str(&format!("```calltree\n{}\n```\n", line_of(file, *span)));
            }
            _ => {}
        }
    }
    if text.is_empty() {
        text = match &found.symbol {
            Symbol::Tree(name) => format!("no tree called `{name}` in this project"),
            Symbol::Node { tree, name } => format!("tree `{tree}` has no node called `{name}`"),
            Symbol::Variable { name, .. } => format!("no field or flag called `{name}` here"),
        };
    }
    to_value(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text.trim_end().to_owned(),
        }),
        range: Some(range),
    })
}

fn type_name(kind: &calltree_syntax::FieldTypeKind) -> String {
    use calltree_syntax::FieldTypeKind;
    match kind {
        FieldTypeKind::Text => "text".into(),
        FieldTypeKind::Number => "number".into(),
        FieldTypeKind::YesNo => "yes or no".into(),
        FieldTypeKind::Date => "date".into(),
        FieldTypeKind::Choice(items) => format!(
            "one of {}",
            items
                .iter()
                .map(|c| format!("`{}`", c.value.text))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FieldTypeKind::Choices(items) => format!(
            "any of {}",
            items
                .iter()
                .map(|c| format!("`{}`", c.value.text))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The outline: the tree with its nodes, fields, flags and tests, in source order.
pub fn document_symbols(file: &File) -> Answer {
    let range = |span: Span| file.lines.range(&file.text, span);
    let mut top = Vec::new();
    let mut children = Vec::new();
    let mut tree: Option<DocumentSymbol> = None;
    for item in &file.syntax.items {
        let whole = item
            .body
            .last()
            .map_or(item.span, |last| item.span.cover(last.span));
        let (name, detail, kind, selection) = match &item.kind {
            ItemKind::Tree(head) => (
                head.name.as_str().to_owned(),
                head.title.as_ref().map(|t| t.to_plain()),
                SymbolKind::MODULE,
                head.name.span(),
            ),
            ItemKind::TestsFor(name) => (
                format!("tests for {}", name.as_str()),
                None,
                SymbolKind::MODULE,
                name.span(),
            ),
            ItemKind::Node(head) => (
                head.name.as_str().to_owned(),
                head.title.as_ref().map(|t| t.to_plain()),
                SymbolKind::FUNCTION,
                head.name.span(),
            ),
            ItemKind::Field(decl) => (
                decl.name.as_str().to_owned(),
                Some(type_name(&decl.ty.kind)),
                SymbolKind::FIELD,
                decl.name.span(),
            ),
            ItemKind::Flag(decl) => (
                decl.name.as_str().to_owned(),
                Some("flag".into()),
                SymbolKind::BOOLEAN,
                decl.name.span(),
            ),
            ItemKind::Test(head) => (
                format!("test \"{}\"", head.name.to_plain()),
                None,
                SymbolKind::METHOD,
                head.name.span,
            ),
            ItemKind::Setup => ("setup".to_owned(), None, SymbolKind::METHOD, item.span),
            ItemKind::Use(_) | ItemKind::Error(_) => continue,
        };
        #[allow(
            deprecated,
            reason = "the field must be written; lsp-types deprecates it"
        )]
        let symbol = DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: range(whole),
            selection_range: range(selection),
            children: None,
        };
        if matches!(item.kind, ItemKind::Tree(_)) && tree.is_none() {
            tree = Some(symbol);
        } else {
            children.push(symbol);
        }
    }
    match tree {
        Some(mut tree) => {
            tree.children = Some(children);
            top.push(tree);
        }
        None => top = children,
    }
    to_value(DocumentSymbolResponse::Nested(top))
}

/// The token types, in the order of the legend: the highlighter's kinds mapped onto the
/// protocol's standard types, so every theme colours them.
const TOKEN_TYPES: [SemanticTokenType; 9] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::STRING,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::COMMENT,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::ENUM_MEMBER,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TOKEN_TYPES.to_vec(),
        token_modifiers: Vec::new(),
    }
}

fn token_type(kind: TokenKind) -> Option<u32> {
    Some(match kind {
        TokenKind::Keyword => 0,
        TokenKind::Name => 1,
        TokenKind::Text => 2,
        TokenKind::Placeholder => 3,
        TokenKind::Number => 4,
        TokenKind::Operator => 5,
        TokenKind::Comment => 6,
        TokenKind::Property => 7,
        TokenKind::Outcome => 8,
        TokenKind::Plain => return None,
    })
}

/// Colours from the same highlighter as the desktop editor, as relative positions.
pub fn semantic_tokens(file: &File) -> Answer {
    let mut data = Vec::new();
    let mut previous = Position::new(0, 0);
    for token in calltree_syntax::highlight(&file.text) {
        let Some(kind) = token_type(token.kind) else {
            continue;
        };
        let start = file.lines.position(&file.text, token.span.start as usize);
        let end = file.lines.position(&file.text, token.span.end as usize);
        // Tokens never cross a line; one that did would be cut at its line's end.
        let length = if end.line == start.line {
            end.character - start.character
        } else {
            continue;
        };
        let delta_line = start.line - previous.line;
        let delta_start = if delta_line == 0 {
            start.character - previous.character
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: kind,
            token_modifiers_bitset: 0,
        });
        previous = start;
    }
    to_value(SemanticTokens {
        result_id: None,
        data,
    })
}
