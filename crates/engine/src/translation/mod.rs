//! Translations of a tree's texts: their addresses, the checks on a translation file, and a
//! project whose texts speak another language.
//!
//! Every text of a tree has a stable address made of the node (or field, or tree) it belongs
//! to, the kind of text and its position among texts of that kind: `lights.say.1`,
//! `lights.option.2`, `plan.choice.gig`, `internet_down.heading`. A translation file keys
//! each translation by that address and keeps the source text it was made from (gettext PO:
//! `msgctxt` is the address, `msgid` the source, `msgstr` the translation), so a changed
//! source is found by comparing texts, never by guessing. Hosts read the files; this module
//! only reads bytes it is given.

mod po;

use std::collections::{BTreeSet, HashMap};

use calltree_syntax::{Diagnostic, Span};
use sha2::{Digest, Sha256};

use crate::codes;
use crate::model::{FileId, Template, TemplatePart};
use crate::project::Project;

pub use po::{PoEntry, PoFile, parse_po};

/// What a missing translation shows instead, in author and test views: the source text
/// with this in front, so nobody mistakes it for a finished translation.
pub const UNTRANSLATED_MARK: &str = "[untranslated] ";

/// One translatable text of a tree file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// `lights.say.1`: see the module docs.
    pub address: String,
    /// The text as the author wrote it, placeholders as `{name}`.
    pub text: String,
    /// Where in the tree file the text's statement is.
    pub span: Span,
}

/// A translation file given to a project: its name (usually its path), the locale it is
/// for, the tree file it translates, and its bytes, unread.
#[derive(Debug, Clone)]
pub struct TranslationInput {
    pub name: String,
    pub locale: String,
    /// The name of the `.tree` file it translates, as given to the project.
    pub tree_file: String,
    pub bytes: Vec<u8>,
}

/// A translation file as the project keeps it, with its problems.
#[derive(Debug, Clone)]
pub struct TranslationFile {
    pub name: String,
    pub locale: String,
    /// The tree file it translates, when the project has it.
    pub file: Option<FileId>,
    /// The file's text, bad bytes replaced: the spans of `diagnostics` point into it.
    pub text: String,
    pub po: PoFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// The short fingerprint of a source text: the first 8 hex digits of its SHA-256.
pub fn fingerprint(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// Whether `tag` is a well-formed BCP 47 language tag (`fr`, `pt-BR`, `zh-Hant-TW`,
/// `sr-Latn`): a 2-3 or 5-8 letter language, then subtags of 1 to 8 letters and digits
/// joined by hyphens. It checks the shape, not the registry.
pub fn is_bcp47(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let Some(language) = subtags.next() else {
        return false;
    };
    let language_ok = matches!(language.len(), 2 | 3 | 5..=8)
        && language.bytes().all(|b| b.is_ascii_alphabetic());
    let mut rest: Vec<&str> = subtags.collect();
    let rest_ok = rest
        .iter()
        .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    // A singleton (extension or private use) must have something after it.
    let dangling = rest.pop().is_some_and(|last| last.len() == 1);
    language_ok && rest_ok && !dangling
}

/// The placeholders of a text (`{account}`, `{restarts + 1}`), trimmed, in order; or where
/// a brace does not close or open one.
pub fn placeholders(text: &str) -> Result<Vec<String>, (usize, &'static str)> {
    let mut found = Vec::new();
    let mut open: Option<usize> = None;
    for (at, c) in text.char_indices() {
        match c {
            '{' if open.is_some() => return Err((at, "a `{` inside a placeholder")),
            '{' => open = Some(at),
            '}' => match open.take() {
                Some(start) => {
                    let inner = text[start + 1..at].trim();
                    if inner.is_empty() {
                        return Err((start, "an empty placeholder `{}`"));
                    }
                    found.push(inner.to_owned());
                }
                None => return Err((at, "a `}` that closes no placeholder")),
            },
            _ => {}
        }
    }
    match open {
        Some(start) => Err((start, "a `{` that is never closed")),
        None => Ok(found),
    }
}

/// Every translatable text of a tree file, in the order the file has them.
pub fn source_texts(project: &Project, file: FileId) -> Vec<SourceText> {
    let mut out = Vec::new();
    for (_, tree) in project.trees().filter(|(_, t)| t.file == file) {
        let mut push = |address: String, text: &str, span: Span| {
            if !text.is_empty() {
                out.push(SourceText {
                    address,
                    text: text.to_owned(),
                    span,
                });
            }
        };
        // A tree without a title shows its name, which is no text to translate.
        if tree.title != tree.name {
            push(format!("{}.heading", tree.name), &tree.title, tree.span);
        }
        if let Some(description) = &tree.description {
            push(format!("{}.description", tree.name), description, tree.span);
        }
        if let Some(contact) = &tree.contact {
            push(format!("{}.contact", tree.name), contact, tree.span);
        }
        for variable in &tree.variables {
            if let Some(label) = &variable.label {
                push(format!("{}.label", variable.name), label, variable.span);
            }
            if let Some(hint) = &variable.pattern_description {
                push(format!("{}.hint", variable.name), hint, variable.span);
            }
            for choice in &variable.choices {
                if let Some(label) = &choice.label {
                    push(
                        format!("{}.choice.{}", variable.name, choice.value),
                        label,
                        variable.span,
                    );
                }
            }
        }
        for &id in &tree.nodes {
            let node = project.node(id);
            let name = &node.name;
            if let Some(title) = &node.title {
                push(format!("{name}.title"), &title.source, title.span);
            }
            for (kind, list) in [("say", &node.say), ("agent", &node.agent)] {
                for (index, text) in list.iter().enumerate() {
                    push(
                        format!("{name}.{kind}.{}", index + 1),
                        &text.source,
                        text.span,
                    );
                }
            }
            for (index, text) in node.customer.iter().enumerate() {
                push(
                    format!("{name}.customer.{}", index + 1),
                    &text.source,
                    text.span,
                );
            }
            for (index, note) in node.notes.iter().enumerate() {
                push(
                    format!("{name}.note.{}", index + 1),
                    &note.text.source,
                    note.text.span,
                );
            }
            if let crate::model::Exit::Options(options) = &node.exit {
                for (index, option) in options.iter().enumerate() {
                    push(
                        format!("{name}.option.{}", index + 1),
                        &option.label.source,
                        option.label.span,
                    );
                }
            }
        }
    }
    out
}

/// Reads a translation file for a project and checks it against its tree file: every
/// problem is a diagnostic in the translation file, at its line.
pub(crate) fn read(project: &Project, input: TranslationInput) -> TranslationFile {
    let (text, po, mut diagnostics) = parse_po(&input.bytes);
    let file = project
        .files()
        .find(|(_, f)| f.name == input.tree_file)
        .map(|(id, _)| id);
    let header_span = po.language.as_ref().map_or(Span::at(0), |(_, span)| *span);
    if !is_bcp47(&input.locale) {
        let mut d = Diagnostic::new(
            codes::TRANSLATION_LOCALE,
            header_span,
            format!("`{}` is not a BCP 47 language tag", input.locale),
        );
        if input.locale.contains('_') {
            d = d.with_hint(format!(
                "BCP 47 joins subtags with hyphens: `{}`",
                input.locale.replace('_', "-")
            ));
        } else {
            d = d.with_hint("name the file for a tag like `fr`, `pt-BR` or `zh-Hant`");
        }
        diagnostics.push(d);
    }
    if let Some((language, span)) = &po.language
        && !language.eq_ignore_ascii_case(&input.locale)
    {
        diagnostics.push(
            Diagnostic::new(
                codes::TRANSLATION_LOCALE,
                *span,
                format!(
                    "the header says `Language: {language}` but the file is named for `{}`",
                    input.locale
                ),
            )
            .with_hint("make the file name and the header name the same language"),
        );
    }
    let unreadable = po.entries.is_empty() && po.language.is_none() && !diagnostics.is_empty();
    if unreadable {
        // Nothing in it reads as PO (another encoding, another format, a binary): one
        // diagnostic says so, instead of one per bad line and a "missing" per text that
        // would bury the cause.
        diagnostics = vec![unreadable_file(&diagnostics)];
    }
    if let Some(file) = file
        && !unreadable
    {
        check_entries(project, file, &input.locale, &po, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.code.id));
    TranslationFile {
        name: input.name,
        locale: input.locale,
        file,
        text,
        po,
        diagnostics,
    }
}

/// A translation file the host could not read at all: one diagnostic, no entries.
pub(crate) fn unreadable(
    project: &Project,
    input: TranslationInput,
    reason: &str,
) -> TranslationFile {
    let file = project
        .files()
        .find(|(_, f)| f.name == input.tree_file)
        .map(|(id, _)| id);
    let diagnostic = Diagnostic::new(
        codes::TRANSLATION_SYNTAX,
        Span::at(0),
        format!("this translation file could not be read: {reason}"),
    )
    .with_hint(
        "until it reads, every text of the tree shows in its own words in this language; the texts are not listed as missing one by one",
    );
    TranslationFile {
        name: input.name,
        locale: input.locale,
        file,
        text: String::new(),
        po: PoFile::default(),
        diagnostics: vec![diagnostic],
    }
}

/// The one diagnostic for a translation file of which nothing could be read: at its first
/// bad line, saying how many there are and that its texts show in the tree's own words.
fn unreadable_file(problems: &[Diagnostic]) -> Diagnostic {
    let encoding = problems
        .iter()
        .find(|d| d.code.id == codes::TRANSLATION_ENCODING.id);
    let first = encoding.or(problems.first());
    let (code, span, what) = match first {
        Some(d) if d.code.id == codes::TRANSLATION_ENCODING.id => (
            codes::TRANSLATION_ENCODING,
            d.span,
            "it is not UTF-8 text".to_owned(),
        ),
        Some(d) => (codes::TRANSLATION_SYNTAX, d.span, d.message.clone()),
        None => (codes::TRANSLATION_SYNTAX, Span::at(0), String::new()),
    };
    let mut diagnostic = Diagnostic::new(
        code,
        span,
        format!(
            "nothing in this file reads as a translation: {what} ({} bad line(s))",
            problems.len()
        ),
    );
    if code.id == codes::TRANSLATION_ENCODING.id {
        diagnostic = diagnostic.with_hint("save the translation file as UTF-8 (not UTF-16)");
    }
    diagnostic.with_hint(
        "until it reads, every text of the tree shows in its own words; the texts are not listed as missing one by one",
    )
}

fn check_entries(
    project: &Project,
    file: FileId,
    locale: &str,
    po: &PoFile,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let sources = source_texts(project, file);
    let by_address: HashMap<&str, &SourceText> =
        sources.iter().map(|s| (s.address.as_str(), s)).collect();
    // Where a text is in the tree file, for hints: a diagnostic's span is in the
    // translation file, and the author often needs the other side too.
    let tree = project.file(file);
    let lines = calltree_syntax::LineIndex::new(&tree.text);
    let at = |source: &SourceText| {
        format!(
            "the source text is at {}:{}",
            tree.name,
            lines.line_col(source.span.start).line
        )
    };
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let extract =
        format!("run `calltree translate extract --locale {locale}` to bring the file up to date");
    for entry in &po.entries {
        if let Some(first) = seen.get(entry.address.as_str()) {
            diagnostics.push(
                Diagnostic::new(
                    codes::TRANSLATION_DUPLICATE,
                    entry.address_span,
                    format!("`{}` is translated twice", entry.address),
                )
                .with_related(*first, "first translated here")
                .with_hint("keep one entry per address"),
            );
            continue;
        }
        seen.insert(&entry.address, entry.address_span);
        let Some(source) = by_address.get(entry.address.as_str()) else {
            diagnostics.push(
                Diagnostic::new(
                    codes::TRANSLATION_UNKNOWN_ADDRESS,
                    entry.address_span,
                    format!("the tree has no text at `{}`", entry.address),
                )
                .with_hint(extract.clone()),
            );
            continue;
        };
        if let Some(written) = &entry.fingerprint
            && *written != fingerprint(&entry.source)
        {
            diagnostics.push(
                Diagnostic::new(
                    codes::TRANSLATION_FINGERPRINT,
                    entry.span,
                    format!(
                        "the fingerprint {written} is not that of this entry's msgid ({}): the msgid was changed by hand",
                        fingerprint(&entry.source)
                    ),
                )
                .with_hint(extract.clone()),
            );
        }
        if entry.translation.is_empty() {
            diagnostics.push(missing(source, entry.translation_span).with_hint(at(source)));
            continue;
        }
        if entry.source != source.text {
            diagnostics.push(
                Diagnostic::new(
                    codes::TRANSLATION_STALE,
                    entry.translation_span,
                    format!(
                        "the source text of `{}` changed since this was translated: it was \"{}\" and is now \"{}\"",
                        entry.address, entry.source, source.text
                    ),
                )
                .with_hint(extract.clone())
                .with_hint(at(source)),
            );
        } else if entry.fuzzy {
            let was = entry
                .previous
                .as_deref()
                .map_or(String::new(), |p| format!(" (it was \"{p}\")"));
            diagnostics.push(
                Diagnostic::new(
                    codes::TRANSLATION_STALE,
                    entry.translation_span,
                    format!(
                        "the translation of `{}` is marked fuzzy: its source text changed{was}",
                        entry.address
                    ),
                )
                .with_hint(
                    "check the translation against the new source, then remove the `fuzzy` flag",
                ),
            );
        }
        let before = diagnostics.len();
        check_placeholders(entry, source, diagnostics);
        for diagnostic in &mut diagnostics[before..] {
            diagnostic.hints.push(at(source));
        }
    }
    for source in &sources {
        if !seen.contains_key(source.address.as_str()) {
            let span = po.language.as_ref().map_or(Span::at(0), |(_, s)| *s);
            diagnostics.push(
                missing(source, span)
                    .with_hint(extract.clone())
                    .with_hint(at(source)),
            );
        }
    }
}

fn missing(source: &SourceText, span: Span) -> Diagnostic {
    Diagnostic::new(
        codes::TRANSLATION_MISSING,
        span,
        format!(
            "`{}` is not translated: \"{}\"",
            source.address, source.text
        ),
    )
    .with_hint("until it is, people see the source text")
}

fn check_placeholders(entry: &PoEntry, source: &SourceText, diagnostics: &mut Vec<Diagnostic>) {
    let wanted: BTreeSet<String> = placeholders(&source.text)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let span = entry.translation_span;
    match placeholders(&entry.translation) {
        Err((_, problem)) => diagnostics.push(
            Diagnostic::new(
                codes::TRANSLATION_PLACEHOLDER,
                span,
                format!("the translation of `{}` has {problem}", entry.address),
            )
            .with_hint("a placeholder is a name between braces, like `{account}`"),
        ),
        Ok(found) => {
            let found: BTreeSet<String> = found.into_iter().collect();
            for name in found.difference(&wanted) {
                diagnostics.push(
                    Diagnostic::new(
                        codes::TRANSLATION_PLACEHOLDER,
                        span,
                        format!(
                            "the translation of `{}` has `{{{name}}}`, which its source text does not",
                            entry.address
                        ),
                    )
                    .with_hint(if wanted.is_empty() {
                        "the source text has no placeholders".to_owned()
                    } else {
                        format!(
                            "the source's placeholders are {}",
                            wanted
                                .iter()
                                .map(|w| format!("`{{{w}}}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }),
                );
            }
            for name in wanted.difference(&found) {
                diagnostics.push(
                    Diagnostic::new(
                        codes::TRANSLATION_PLACEHOLDER,
                        span,
                        format!(
                            "the translation of `{}` leaves out `{{{name}}}`",
                            entry.address
                        ),
                    )
                    .with_hint(
                        "every placeholder of the source text must appear in the translation",
                    ),
                );
            }
        }
    }
}

/// The translation file for `file` written out from the project's texts, keeping what
/// `existing` already translates: new texts are added untranslated, texts the tree no
/// longer has are dropped, and a translation whose source changed is kept, marked `fuzzy`
/// with the source it was made from as `#| msgid`.
pub fn extract(project: &Project, file: FileId, locale: &str, existing: Option<&PoFile>) -> String {
    use std::fmt::Write as _;
    let mut old: HashMap<&str, &PoEntry> = HashMap::new();
    for entry in existing.map_or(&[][..], |e| e.entries.as_slice()) {
        old.entry(entry.address.as_str()).or_insert(entry);
    }
    let tree_file = &project.file(file).name;
    let tree_name = std::path::Path::new(tree_file)
        .file_name()
        .map_or(tree_file.as_str(), |n| n.to_str().unwrap_or(tree_file));
    let mut out = String::new();
    let _ = writeln!(out, "# Translation of {tree_name} into {locale}.");
    let _ = writeln!(
        out,
        "# Keyed by text address (msgctxt); see docs/translation.md."
    );
    out.push_str("msgid \"\"\nmsgstr \"\"\n");
    let _ = writeln!(out, "\"Language: {locale}\\n\"");
    out.push_str("\"Content-Type: text/plain; charset=UTF-8\\n\"\n");
    for source in source_texts(project, file) {
        let (translation, fuzzy, previous) = match old.get(source.address.as_str()) {
            Some(entry) if entry.source == source.text => (
                entry.translation.as_str(),
                entry.fuzzy,
                entry.previous.clone().filter(|_| entry.fuzzy),
            ),
            Some(entry) if !entry.translation.is_empty() => (
                entry.translation.as_str(),
                true,
                // The text it was really translated from: an earlier extract may have
                // marked it already.
                Some(
                    entry
                        .previous
                        .clone()
                        .filter(|_| entry.fuzzy)
                        .unwrap_or_else(|| entry.source.clone()),
                ),
            ),
            _ => ("", false, None),
        };
        out.push('\n');
        let _ = writeln!(out, "#. fingerprint: {}", fingerprint(&source.text));
        if fuzzy {
            out.push_str("#, fuzzy\n");
        }
        if let Some(previous) = previous {
            let _ = writeln!(out, "#| msgid {}", po::quote(&previous));
        }
        let _ = writeln!(out, "msgctxt {}", po::quote(&source.address));
        let _ = writeln!(out, "msgid {}", po::quote(&source.text));
        let _ = writeln!(out, "msgstr {}", po::quote(translation));
    }
    out
}

/// The translations of one tree file that can be shown: address to translated text. Stale,
/// fuzzy and empty ones, and ones whose placeholders do not match, are left out, so their
/// texts fall back to the source.
pub(crate) fn usable(project: &Project, file: &TranslationFile) -> HashMap<String, String> {
    let Some(tree_file) = file.file else {
        return HashMap::new();
    };
    let sources: HashMap<String, String> = source_texts(project, tree_file)
        .into_iter()
        .map(|s| (s.address, s.text))
        .collect();
    let mut out = HashMap::new();
    for entry in &file.po.entries {
        let Some(source) = sources.get(&entry.address) else {
            continue;
        };
        if entry.fuzzy || entry.translation.is_empty() || entry.source != *source {
            continue;
        }
        let same = |text: &str| -> Option<BTreeSet<String>> {
            placeholders(text).ok().map(|p| p.into_iter().collect())
        };
        if same(source).is_none() || same(source) != same(&entry.translation) {
            continue;
        }
        out.entry(entry.address.clone())
            .or_insert_with(|| entry.translation.clone());
    }
    out
}

/// A template showing `text` instead of its own words, with the same placeholders filled
/// the same way; `None` if its placeholders cannot be matched to the template's.
pub(crate) fn retemplate(template: &Template, text: &str) -> Option<Template> {
    let written = placeholders(&template.source).ok()?;
    let compiled: Vec<&TemplatePart> = template
        .parts
        .iter()
        .filter(|p| !matches!(p, TemplatePart::Text(_)))
        .collect();
    if written.len() != compiled.len() {
        return None;
    }
    let by_name: HashMap<&str, &TemplatePart> = written
        .iter()
        .map(String::as_str)
        .zip(compiled.iter().copied())
        .collect();
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}')? + open;
        if open > 0 {
            parts.push(TemplatePart::Text(rest[..open].into()));
        }
        let name = rest[open + 1..close].trim();
        parts.push((*by_name.get(name)?).clone());
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Text(rest.into()));
    }
    Some(Template {
        parts: parts.into(),
        source: template.source.clone(),
        shown: Some(text.to_owned()),
        span: template.span,
    })
}

/// A template marked as not translated: the source text behind [`UNTRANSLATED_MARK`].
pub(crate) fn mark_untranslated(template: &Template) -> Template {
    let mut parts = Vec::with_capacity(template.parts.len() + 1);
    parts.push(TemplatePart::Text(UNTRANSLATED_MARK.into()));
    parts.extend(template.parts.iter().cloned());
    Template {
        parts: parts.into(),
        source: template.source.clone(),
        shown: Some(format!("{UNTRANSLATED_MARK}{}", template.source)),
        span: template.span,
    }
}

/// Puts translated texts into a copy of a project: `tables` holds, per tree file, the usable
/// translations by address. A text without one keeps its source words, behind
/// [`UNTRANSLATED_MARK`] when `mark_missing` (author and test views). With `keep_guidance`,
/// the texts only an agent reads (`agent` lines and notes) keep the tree's own words.
pub(crate) fn apply(
    project: &mut Project,
    tables: &HashMap<FileId, HashMap<String, String>>,
    mark_missing: bool,
    keep_guidance: bool,
) {
    let empty = HashMap::new();
    let plain = |table: &HashMap<String, String>, address: String, text: &mut String| match table
        .get(&address)
    {
        Some(translated) => *text = translated.clone(),
        None if mark_missing => *text = format!("{UNTRANSLATED_MARK}{text}"),
        None => {}
    };
    let template = |table: &HashMap<String, String>, address: String, text: &mut Template| {
        let translated = table
            .get(&address)
            .and_then(|words| retemplate(text, words));
        match translated {
            Some(translated) => *text = translated,
            None if mark_missing => *text = mark_untranslated(text),
            None => {}
        }
    };
    for tree in &mut project.trees {
        let table = tables.get(&tree.file).unwrap_or(&empty);
        plain(table, format!("{}.heading", tree.name), &mut tree.title);
        if let Some(description) = tree.description.as_mut() {
            plain(table, format!("{}.description", tree.name), description);
        }
        if let Some(contact) = tree.contact.as_mut() {
            plain(table, format!("{}.contact", tree.name), contact);
        }
        for variable in &mut tree.variables {
            let name = variable.name.clone();
            if let Some(label) = variable.label.as_mut() {
                plain(table, format!("{name}.label"), label);
            }
            if let Some(hint) = variable.pattern_description.as_mut() {
                plain(table, format!("{name}.hint"), hint);
            }
            for choice in &mut variable.choices {
                if let Some(label) = choice.label.as_mut() {
                    plain(table, format!("{name}.choice.{}", choice.value), label);
                }
            }
        }
    }
    for node in &mut project.nodes {
        let table = tables.get(&node.file).unwrap_or(&empty);
        let name = node.name.clone();
        if let Some(title) = node.title.as_mut() {
            template(table, format!("{name}.title"), title);
        }
        for (kind, list) in [
            ("say", &mut node.say),
            ("agent", &mut node.agent),
            ("customer", &mut node.customer),
        ] {
            if keep_guidance && kind == "agent" {
                continue;
            }
            for (index, text) in list.iter_mut().enumerate() {
                template(table, format!("{name}.{kind}.{}", index + 1), text);
            }
        }
        if !keep_guidance {
            for (index, note) in node.notes.iter_mut().enumerate() {
                template(table, format!("{name}.note.{}", index + 1), &mut note.text);
            }
        }
        if let crate::model::Exit::Options(options) = &mut node.exit {
            for (index, option) in options.iter_mut().enumerate() {
                template(
                    table,
                    format!("{name}.option.{}", index + 1),
                    &mut option.label,
                );
            }
        }
    }
}

/// Of the locales a project has, the one to use for `wanted` (`fr-CA` falls back to `fr`,
/// `fr` to `fr-FR` when that is all there is), compared without regard to case.
pub fn best_locale<'a>(available: &[&'a str], wanted: &str) -> Option<&'a str> {
    let wanted_language = wanted.split('-').next().unwrap_or(wanted);
    available
        .iter()
        .find(|a| a.eq_ignore_ascii_case(wanted))
        .or_else(|| {
            available
                .iter()
                .find(|a| a.eq_ignore_ascii_case(wanted_language))
        })
        .or_else(|| {
            available.iter().find(|a| {
                a.split('-')
                    .next()
                    .is_some_and(|l| l.eq_ignore_ascii_case(wanted_language))
            })
        })
        .copied()
}

/// Languages written right to left, by their primary subtag: what a page's `dir` follows.
pub fn is_right_to_left(locale: &str) -> bool {
    let language = locale
        .split('-')
        .next()
        .unwrap_or(locale)
        .to_ascii_lowercase();
    matches!(
        language.as_str(),
        "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb"
    ) || locale.to_ascii_lowercase().contains("-arab")
        || locale.to_ascii_lowercase().contains("-hebr")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcp47_shapes() {
        for good in [
            "fr",
            "pt-BR",
            "zh-Hant-TW",
            "sr-Latn",
            "es-419",
            "en-US-x-twain",
        ] {
            assert!(is_bcp47(good), "{good}");
        }
        for bad in [
            "",
            "f",
            "fr_FR",
            "français",
            "fr-",
            "-fr",
            "en-toolongsubtag",
            "fr-x",
        ] {
            assert!(!is_bcp47(bad), "{bad}");
        }
    }

    #[test]
    fn placeholders_are_found_and_broken_ones_refused() {
        assert_eq!(
            placeholders("Hi {name}, {n + 1} left"),
            Ok(vec!["name".to_owned(), "n + 1".to_owned()])
        );
        assert!(placeholders("oops {name").is_err());
        assert!(placeholders("oops name}").is_err());
        assert!(placeholders("oops {}").is_err());
        assert!(placeholders("{a{b}}").is_err());
    }

    const TREE: &str = "tree hello \"Hello\"\n  start: hi\n\nfield name: text \"Your name\" required\n\nnode hi \"Welcome\"\n  say \"Hi! Who is calling?\"\n  ask name\n  option \"Go on\" -> greet\n\nnode greet\n  say \"Hello {name}, how can I help?\"\n  end resolved\n";

    fn project_with(po: &str) -> Project {
        let mut project = Project::single("hello.tree", TREE);
        assert!(
            !project.has_errors(),
            "{:?}",
            project.all_diagnostics().collect::<Vec<_>>()
        );
        project.add_translations(vec![TranslationInput {
            name: "hello.fr.po".into(),
            locale: "fr".into(),
            tree_file: "hello.tree".into(),
            bytes: po.as_bytes().to_vec(),
        }]);
        project
    }

    fn translated_file() -> String {
        let project = project_with("");
        let file = FileId::first();
        let mut text = extract(&project, file, "fr", None);
        for (from, to) in [
            (
                "msgid \"Hello\"\nmsgstr \"\"",
                "msgid \"Hello\"\nmsgstr \"Bonjour\"",
            ),
            (
                "msgid \"Your name\"\nmsgstr \"\"",
                "msgid \"Your name\"\nmsgstr \"Votre nom\"",
            ),
            (
                "msgid \"Welcome\"\nmsgstr \"\"",
                "msgid \"Welcome\"\nmsgstr \"Bienvenue\"",
            ),
            (
                "msgid \"Hi! Who is calling?\"\nmsgstr \"\"",
                "msgid \"Hi! Who is calling?\"\nmsgstr \"Bonjour ! Qui est à l'appareil ?\"",
            ),
            (
                "msgid \"Go on\"\nmsgstr \"\"",
                "msgid \"Go on\"\nmsgstr \"Continuer\"",
            ),
            (
                "msgid \"Hello {name}, how can I help?\"\nmsgstr \"\"",
                "msgid \"Hello {name}, how can I help?\"\nmsgstr \"{name}, que puis-je faire pour vous ?\"",
            ),
        ] {
            assert!(text.contains(from), "{from} not in\n{text}");
            text = text.replace(from, to);
        }
        text
    }

    #[test]
    fn a_complete_translation_checks_clean_and_is_shown() {
        let project = project_with(&translated_file());
        let file = &project.translation_files()[0];
        assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
        let french = project.in_locale("fr-CA", true);
        assert_eq!(
            french.hash(),
            project.hash(),
            "the logic is the same in every language"
        );
        let tree = french.tree_by_name("hello").unwrap();
        let mut session =
            crate::Session::start(&french, tree, calltree_syntax::Audience::Agent, 0).unwrap();
        let view = session.view();
        assert_eq!(view.title, "Bienvenue");
        assert_eq!(view.texts[0].text, "Bonjour ! Qui est à l'appareil ?");
        assert_eq!(view.options[0].label, "Continuer");
        assert_eq!(view.fields[0].label, "Votre nom");
        let step = crate::Step {
            answers: vec![("name".into(), "Ana".into())],
            action: Some(crate::Action::Choose(0)),
        };
        let submission = session.submit(&step, 1).unwrap();
        // Events name the option by its source words, so a log replays in any language.
        assert!(
            submission
                .events()
                .iter()
                .any(|e| matches!(e, crate::Event::Chose { label, .. } if label == "Go on"))
        );
        session.commit(submission).unwrap();
        assert_eq!(
            session.view().texts[0].text,
            "Ana, que puis-je faire pour vous ?"
        );
    }

    #[test]
    fn a_missing_translation_falls_back_marked_for_authors_and_plain_for_customers() {
        let text = translated_file().replace("msgstr \"Continuer\"", "msgstr \"\"");
        let project = project_with(&text);
        let codes: Vec<&str> = project.translation_files()[0]
            .diagnostics
            .iter()
            .map(|d| d.code.id)
            .collect();
        assert_eq!(codes, [codes::TRANSLATION_MISSING.id]);
        let tree = project.tree_by_name("hello").unwrap();
        for (marked, label) in [(true, "[untranslated] Go on"), (false, "Go on")] {
            let french = project.in_locale("fr", marked);
            let session =
                crate::Session::start(&french, tree, calltree_syntax::Audience::Agent, 0).unwrap();
            assert_eq!(session.view().options[0].label, label);
        }
    }

    #[test]
    fn an_agent_serving_in_a_locale_keeps_the_guidance_in_the_trees_own_words() {
        let tree = "tree hi \"Hi\"\n  start: s\n\nnode s \"Start\"\n  say \"Good morning\"\n  agent \"Check the account first\"\n  end resolved\n";
        let mut project = Project::single("hi.tree", tree);
        let mut po = extract(&project, FileId::first(), "fr", None);
        for (from, to) in [
            ("Hi", "Salut"),
            ("Start", "Début"),
            ("Good morning", "Bonjour"),
            ("Check the account first", "Vérifiez d'abord le compte"),
        ] {
            po = po.replace(
                &format!("msgid \"{from}\"\nmsgstr \"\""),
                &format!("msgid \"{from}\"\nmsgstr \"{to}\""),
            );
        }
        project.add_translations(vec![TranslationInput {
            name: "hi.fr.po".into(),
            locale: "fr".into(),
            tree_file: "hi.tree".into(),
            bytes: po.into_bytes(),
        }]);
        assert!(project.translation_files()[0].diagnostics.is_empty());
        let id = project.tree_by_name("hi").unwrap();
        let shown = |p: &Project| {
            let session =
                crate::Session::start(p, id, calltree_syntax::Audience::Agent, 0).unwrap();
            let view = session.view();
            view.texts
                .iter()
                .map(|t| t.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(&project.in_locale("fr", true)),
            ["Bonjour", "Vérifiez d'abord le compte"]
        );
        assert_eq!(
            shown(&project.in_locale_for_agent("fr")),
            ["Bonjour", "Check the account first"]
        );
    }

    #[test]
    fn a_file_that_reads_as_nothing_is_one_diagnostic_not_a_flood_of_missing() {
        // The PO file saved as UTF-16, as some Windows editors do.
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(translated_file().encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let mut project = Project::single("hello.tree", TREE);
        project.add_translations(vec![TranslationInput {
            name: "hello.fr.po".into(),
            locale: "fr".into(),
            tree_file: "hello.tree".into(),
            bytes: utf16,
        }]);
        let diagnostics = &project.translation_files()[0].diagnostics;
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code.id, codes::TRANSLATION_ENCODING.id);
        assert!(
            diagnostics[0]
                .message
                .starts_with("nothing in this file reads")
        );
        // The tree still shows, in its own words.
        let french = project.in_locale("fr", false);
        let tree = french.tree_by_name("hello").unwrap();
        let session =
            crate::Session::start(&french, tree, calltree_syntax::Audience::Agent, 0).unwrap();
        assert_eq!(session.view().title, "Welcome");
    }

    #[test]
    fn extract_marks_changed_sources_fuzzy_and_drops_removed_ones() {
        let project = project_with(&translated_file());
        let old = project.translation_files()[0].po.clone();
        let changed = TREE
            .replace("Hi! Who is calling?", "Hi! Who am I speaking to?")
            .replace("  option \"Go on\" -> greet\n", "  -> greet\n");
        let mut edited = Project::single("hello.tree", changed);
        let text = extract(&edited, FileId::first(), "fr", Some(&old));
        assert!(text.contains("#, fuzzy\n#| msgid \"Hi! Who is calling?\"\nmsgctxt \"hi.say.1\"\nmsgid \"Hi! Who am I speaking to?\"\nmsgstr \"Bonjour ! Qui est à l'appareil ?\""), "{text}");
        assert!(!text.contains("hi.option.1"), "{text}");
        edited.add_translations(vec![TranslationInput {
            name: "hello.fr.po".into(),
            locale: "fr".into(),
            tree_file: "hello.tree".into(),
            bytes: text.into_bytes(),
        }]);
        let codes: Vec<&str> = edited.translation_files()[0]
            .diagnostics
            .iter()
            .map(|d| d.code.id)
            .collect();
        assert_eq!(codes, [codes::TRANSLATION_STALE.id]);
    }

    #[test]
    fn a_test_in_a_locale_sees_the_translation_and_fails_on_a_missing_one() {
        let with_test = format!(
            "{TREE}\ntest \"in French\"\n  as agent locale fr\n  answer name \"Ana\"\n  choose \"Go on\"\n  expect text contains \"Ana, que puis-je faire pour vous ?\"\n  expect end resolved\n"
        );
        let run = |po: &str| {
            let mut project = Project::single("hello.tree", with_test.clone());
            project.add_translations(vec![TranslationInput {
                name: "hello.fr.po".into(),
                locale: "fr".into(),
                tree_file: "hello.tree".into(),
                bytes: po.as_bytes().to_vec(),
            }]);
            project.run_tests()
        };
        let mut project = Project::single("hello.tree", with_test.clone());
        assert!(
            !project.has_errors(),
            "{:?}",
            project.all_diagnostics().collect::<Vec<_>>()
        );
        project.add_translations(Vec::new());
        let reports = run(&translated_file());
        assert!(reports[0].passed(), "{:?}", reports[0].failure);
        let missing = translated_file().replace(
            "msgstr \"{name}, que puis-je faire pour vous ?\"",
            "msgstr \"\"",
        );
        let reports = run(&missing);
        let failure = reports[0].failure.as_ref().map(|d| d.message.clone());
        assert!(
            failure
                .as_deref()
                .is_some_and(|m| m.contains("Ana, que puis-je")),
            "{failure:?}"
        );
    }

    #[test]
    fn locale_fallback() {
        let available = ["fr", "de-CH"];
        assert_eq!(best_locale(&available, "fr-CA"), Some("fr"));
        assert_eq!(best_locale(&available, "FR"), Some("fr"));
        assert_eq!(best_locale(&available, "de"), Some("de-CH"));
        assert_eq!(best_locale(&available, "it"), None);
    }
}
