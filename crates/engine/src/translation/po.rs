//! Reading and writing the gettext PO subset calltree's translation files use.
//!
//! A hand-written reader rather than a crate: the PO crates on crates.io either do I/O
//! themselves, stop at the first error, or keep no positions, and a translation file's
//! problems must each be a diagnostic at its line. The subset is small: `msgctxt` (the text's
//! address), `msgid` (the source text it was translated from), `msgstr` (the translation),
//! `#,` flags (`fuzzy`), `#|` previous texts, `#.` comments (the fingerprint), `#:`
//! references, strings continued on following lines, and the usual escapes. Obsolete `#~`
//! entries are skipped; plural forms are refused, since a tree has none.

use calltree_syntax::{Diagnostic, Span};

use crate::codes;

/// One translated text of a translation file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoEntry {
    /// `msgctxt`: the text's address in the tree (`lights.say.1`).
    pub address: String,
    /// `msgid`: the source text the translation was made from.
    pub source: String,
    /// `msgstr`: the translation; empty means not translated yet.
    pub translation: String,
    /// `#, fuzzy`: the source text changed since; a person must review the translation.
    pub fuzzy: bool,
    /// `#| msgid`: the source text before it changed, kept by `translate extract`.
    pub previous: Option<String>,
    /// `#. fingerprint: …`: the short hash of `source` written when the entry was extracted.
    pub fingerprint: Option<String>,
    /// The entry's first line.
    pub span: Span,
    /// The `msgctxt` line, where problems with the address are reported.
    pub address_span: Span,
    /// The `msgstr` text, where problems with the translation are reported.
    pub translation_span: Span,
}

/// A translation file as read: the header's language and the entries in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoFile {
    /// `Language:` from the header entry, with where it is written.
    pub language: Option<(String, Span)>,
    pub entries: Vec<PoEntry>,
}

/// What one line of the file is.
enum Line<'a> {
    Blank,
    Comment(char, &'a str),
    Keyword(&'a str, &'a str),
    Continuation(&'a str),
    Other,
}

fn classify(line: &str) -> Line<'_> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Line::Blank;
    }
    if let Some(rest) = trimmed.strip_prefix('#') {
        let mut chars = rest.chars();
        return match chars.next() {
            Some(kind @ ('.' | ':' | ',' | '|' | '~')) => {
                Line::Comment(kind, chars.as_str().trim())
            }
            _ => Line::Comment(' ', rest.trim()),
        };
    }
    if trimmed.starts_with('"') {
        return Line::Continuation(trimmed);
    }
    match trimmed.split_once(char::is_whitespace) {
        Some((word, rest)) if word.starts_with("msg") => Line::Keyword(word, rest.trim()),
        _ => Line::Other,
    }
}

/// Decodes one quoted PO string (`"…"`), or says what is wrong with it.
fn unquote(text: &str) -> Result<String, String> {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|_| text.len() >= 2)
        .ok_or_else(|| "a PO string is written between double quotes".to_owned())?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(other) => return Err(format!("unknown escape `\\{other}`")),
                None => return Err("the string ends with a lone backslash".to_owned()),
            },
            '"' => return Err("a double quote inside a string must be written `\\\"`".to_owned()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Writes a PO string: quoted and escaped, on one line.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Which keyword a string continuation line adds to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Context,
    Id,
    Str,
    Previous,
}

#[derive(Default)]
struct Building {
    start: Option<usize>,
    context: Option<(String, Span)>,
    id: Option<String>,
    string: Option<(String, Span)>,
    fuzzy: bool,
    previous: Option<String>,
    fingerprint: Option<String>,
    /// A line of the entry was refused: the entry is dropped, its problem already reported.
    broken: bool,
    plural: bool,
}

/// Reads a translation file's bytes. Never fails: the file's text (bad bytes replaced, so
/// spans point into it) comes back with every entry that could be read and a diagnostic at
/// the line of each problem.
pub fn parse_po(bytes: &[u8]) -> (String, PoFile, Vec<Diagnostic>) {
    let mut text = String::with_capacity(bytes.len());
    let mut diagnostics = Vec::new();
    let mut file = PoFile::default();
    let mut building = Building::default();
    let mut last: Option<Field> = None;
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    while let Some(raw) = lines.next() {
        let start = text.len();
        let line = match std::str::from_utf8(raw) {
            Ok(line) => {
                text.push_str(line);
                line.to_owned()
            }
            Err(_) => {
                let lossy = String::from_utf8_lossy(raw).into_owned();
                text.push_str(&lossy);
                diagnostics.push(
                    Diagnostic::new(
                        codes::TRANSLATION_ENCODING,
                        Span::new(start, text.len()),
                        "this line is not valid UTF-8",
                    )
                    .with_hint("save the translation file as UTF-8"),
                );
                building.broken = true;
                if lines.peek().is_some() {
                    text.push('\n');
                }
                continue;
            }
        };
        if lines.peek().is_some() {
            text.push('\n');
        }
        let line_span = Span::new(start, start + line.trim_end().len());
        match classify(&line) {
            Line::Blank => {
                finish(&mut building, &mut file, &mut diagnostics);
                last = None;
            }
            Line::Comment(kind, rest) => {
                if building.id.is_some() || building.string.is_some() {
                    finish(&mut building, &mut file, &mut diagnostics);
                }
                building.start.get_or_insert(start);
                last = None;
                match kind {
                    ',' if rest.split(',').any(|flag| flag.trim() == "fuzzy") => {
                        building.fuzzy = true;
                    }
                    '.' if rest.starts_with("fingerprint:") => {
                        let hash = rest.trim_start_matches("fingerprint:").trim();
                        building.fingerprint = Some(hash.to_owned());
                    }
                    '|' if rest.starts_with("msgid") => {
                        match unquote(rest.trim_start_matches("msgid").trim()) {
                            Ok(old) => {
                                building.previous = Some(old);
                                last = Some(Field::Previous);
                            }
                            Err(problem) => syntax(&mut diagnostics, line_span, &problem),
                        }
                    }
                    '|' if rest.starts_with('"') => {
                        if let (Some(previous), Ok(more)) =
                            (building.previous.as_mut(), unquote(rest))
                        {
                            previous.push_str(&more);
                            last = Some(Field::Previous);
                        }
                    }
                    _ => {}
                }
            }
            Line::Keyword(word, rest) => {
                let field = match word {
                    "msgctxt" => Field::Context,
                    "msgid" => Field::Id,
                    "msgstr" => Field::Str,
                    "msgid_plural" | "msgstr[0]" | "msgstr[1]" => {
                        building.plural = true;
                        building.broken = true;
                        building.start.get_or_insert(start);
                        syntax(
                            &mut diagnostics,
                            line_span,
                            "plural forms are not used in tree translations",
                        );
                        last = None;
                        continue;
                    }
                    _ if word.starts_with("msgstr[") => {
                        building.broken = true;
                        last = None;
                        continue;
                    }
                    other => {
                        syntax(
                            &mut diagnostics,
                            line_span,
                            &format!("unknown keyword `{other}`"),
                        );
                        building.broken = true;
                        last = None;
                        continue;
                    }
                };
                // A keyword already given starts the next entry only for `msgctxt`/`msgid`
                // after a complete entry; anything else repeated is a mistake in this one.
                let repeated = match field {
                    Field::Context => building.context.is_some() || building.id.is_some(),
                    Field::Id => building.id.is_some(),
                    Field::Str => building.string.is_some(),
                    Field::Previous => false,
                };
                if repeated {
                    if building.string.is_some() && field != Field::Str {
                        finish(&mut building, &mut file, &mut diagnostics);
                    } else {
                        syntax(
                            &mut diagnostics,
                            line_span,
                            &format!("`{word}` is given twice in one entry"),
                        );
                        building.broken = true;
                    }
                }
                building.start.get_or_insert(start);
                // `rest` lies inside `line`: its offset there is where the value starts.
                let offset = (rest.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
                let value_span = Span::new(start + offset, start + offset + rest.len());
                match unquote(rest) {
                    Ok(value) => {
                        match field {
                            Field::Context => building.context = Some((value, line_span)),
                            Field::Id => building.id = Some(value),
                            Field::Str => building.string = Some((value, value_span)),
                            Field::Previous => {}
                        }
                        last = Some(field);
                    }
                    Err(problem) => {
                        syntax(&mut diagnostics, line_span, &problem);
                        building.broken = true;
                        last = None;
                    }
                }
            }
            Line::Continuation(rest) => match (last, unquote(rest)) {
                (Some(field), Ok(more)) => match field {
                    Field::Context => {
                        if let Some((context, span)) = building.context.as_mut() {
                            context.push_str(&more);
                            *span = span.cover(line_span);
                        }
                    }
                    Field::Id => {
                        if let Some(id) = building.id.as_mut() {
                            id.push_str(&more);
                        }
                    }
                    Field::Str => {
                        if let Some((string, span)) = building.string.as_mut() {
                            string.push_str(&more);
                            *span = span.cover(line_span);
                        }
                    }
                    Field::Previous => {}
                },
                (None, _) => {
                    syntax(
                        &mut diagnostics,
                        line_span,
                        "a string on its own line continues the keyword above it, and there is none",
                    );
                    building.broken = true;
                }
                (Some(_), Err(problem)) => {
                    syntax(&mut diagnostics, line_span, &problem);
                    building.broken = true;
                }
            },
            Line::Other => {
                syntax(
                    &mut diagnostics,
                    line_span,
                    "expected `msgctxt`, `msgid`, `msgstr`, a comment or a quoted string",
                );
                building.broken = true;
            }
        }
    }
    finish(&mut building, &mut file, &mut diagnostics);
    (text, file, diagnostics)
}

fn syntax(diagnostics: &mut Vec<Diagnostic>, span: Span, problem: &str) {
    diagnostics.push(
        Diagnostic::new(codes::TRANSLATION_SYNTAX, span, problem.to_owned())
            .with_hint("see docs/translation.md for the file format"),
    );
}

/// Ends the entry being read: the header sets the language, a complete entry is kept.
fn finish(building: &mut Building, file: &mut PoFile, diagnostics: &mut Vec<Diagnostic>) {
    let done = std::mem::take(building);
    let Some(start) = done.start else {
        return;
    };
    if done.broken {
        return;
    }
    let (Some(id), Some((string, string_span))) = (done.id.clone(), done.string.clone()) else {
        // Comments alone are no entry; a keyword without the others is half of one.
        if done.context.is_some() || done.id.is_some() || done.string.is_some() {
            let span = done.context.as_ref().map_or(Span::at(start), |(_, s)| *s);
            syntax(
                diagnostics,
                span,
                "this entry needs a `msgid` and a `msgstr` line",
            );
        }
        return;
    };
    let Some((address, address_span)) = done.context else {
        if id.is_empty() {
            // The header: `Language: fr` among its lines.
            for line in string.split('\n') {
                if let Some(language) = line.strip_prefix("Language:") {
                    file.language = Some((language.trim().to_owned(), string_span));
                }
            }
        } else {
            syntax(
                diagnostics,
                Span::at(start),
                "this entry has no `msgctxt`: calltree keys each translation by its text's address",
            );
        }
        return;
    };
    file.entries.push(PoEntry {
        address,
        source: id,
        translation: string,
        fuzzy: done.fuzzy,
        previous: done.previous,
        fingerprint: done.fingerprint,
        span: Span::at(start),
        address_span,
        translation_span: string_span,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_with_continuations_and_flags() {
        let text = "msgid \"\"\nmsgstr \"\"\n\"Language: fr\\n\"\n\n#. fingerprint: abcd\n#, fuzzy\n#| msgid \"Old\"\nmsgctxt \"a.say.1\"\nmsgid \"Hello \"\n\"there\"\nmsgstr \"Bonjour\"\n";
        let (_, file, diagnostics) = parse_po(text.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(file.language.as_ref().map(|l| l.0.as_str()), Some("fr"));
        let entry = &file.entries[0];
        assert_eq!(entry.address, "a.say.1");
        assert_eq!(entry.source, "Hello there");
        assert_eq!(entry.translation, "Bonjour");
        assert!(entry.fuzzy);
        assert_eq!(entry.previous.as_deref(), Some("Old"));
        assert_eq!(entry.fingerprint.as_deref(), Some("abcd"));
    }

    #[test]
    fn bad_lines_are_diagnostics_not_panics() {
        let mut bytes = b"msgctxt \"a.say.1\"\nmsgid \"x\"\nmsgstr \"\xff\"\n\nmsgctxt \"b\nnonsense\n\"stray\"\n".to_vec();
        bytes.extend_from_slice("msgctxt \"é\\q\"\n".as_bytes());
        let (text, file, diagnostics) = parse_po(&bytes);
        assert!(file.entries.is_empty());
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
        assert!(codes.contains(&codes::TRANSLATION_ENCODING.id), "{codes:?}");
        assert!(codes.contains(&codes::TRANSLATION_SYNTAX.id), "{codes:?}");
        for d in &diagnostics {
            assert!(text.get(d.span.range()).is_some());
        }
    }

    #[test]
    fn half_an_entry_is_reported_not_dropped() {
        for text in [
            "msgid \"x\"\n",
            "msgstr \"y\"\n",
            "msgctxt \"a\"\nmsgid \"x\"\n\n",
        ] {
            let (_, file, diagnostics) = parse_po(text.as_bytes());
            assert!(file.entries.is_empty());
            assert_eq!(diagnostics.len(), 1, "{text:?}: {diagnostics:?}");
            assert_eq!(diagnostics[0].code, codes::TRANSLATION_SYNTAX);
        }
        let (_, _, diagnostics) = parse_po(b"# only a comment\n\n# and another\n");
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn quoting_round_trips() {
        for sample in ["plain", "with \"quotes\"", "back\\slash\nnew line\ttab"] {
            assert_eq!(unquote(&quote(sample)).as_deref(), Ok(sample));
        }
    }
}
