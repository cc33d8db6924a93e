//! Splits a file into lines and blocks, parses each line with the pest grammar, and recovers.
//!
//! The language is line-oriented, so recovery is exact: a line that does not parse becomes an
//! error line (kept verbatim) with one diagnostic, and parsing goes on with the next line. A
//! block whose first line is broken keeps its statements, so references to a node are not
//! reported as missing because its `node` line had a typo elsewhere on it.

use pest::Parser;
use pest::iterators::Pair;

use crate::ast::{
    Comment, ErrorLine, Item, ItemKind, NodeKind, SourceFile, Stmt, StmtKind, Trivia,
};
use crate::cache::{Cached, LineCache};
use crate::convert::Convert;
use crate::diagnostic::Diagnostic;
use crate::expected;
use crate::format::{item_behaviour, trailing_behaviour};
use crate::grammar::{Grammar, Rule};
use crate::shift::Shift;
use crate::{Span, codes};

/// Deeper nesting than this is refused before pest sees it, so no input can exhaust the stack.
const MAX_PAREN_DEPTH: usize = 32;
/// More operators than this on one line is refused for the same reason: a chain of them is a
/// tree as deep as it is long (`a and b and c` is `(a and b) and c`), and a run of `not` or of
/// unary `-` is as deep in pest's recursion.
const MAX_OPERATORS: usize = 200;

/// Parses a whole `.tree` file. Never fails and never panics: problems come back as diagnostics
/// and the tree holds everything that could be read.
pub fn parse(text: &str) -> (SourceFile, Vec<Diagnostic>) {
    // No cache here: a one-off parse would only pay for copying every line into it.
    parse_with(text, None)
}

/// Parses a whole `.tree` file like [`parse`], reusing what `cache` remembers of lines seen in
/// the previous parse with the same cache, so re-parsing after an edit costs only the changed
/// lines. The result is always exactly what [`parse`] returns for `text`, spans included.
pub fn parse_cached(text: &str, cache: &mut LineCache) -> (SourceFile, Vec<Diagnostic>) {
    let parsed = parse_with(text, Some(&mut *cache));
    cache.end_parse();
    parsed
}

fn parse_with(text: &str, cache: Option<&mut LineCache>) -> (SourceFile, Vec<Diagnostic>) {
    let mut builder = FileBuilder {
        cache,
        ..FileBuilder::default()
    };
    for line in split_lines(text, 0) {
        builder.push_line(line);
    }
    let (file, mut diagnostics, _) = builder.finish_lines();
    finish_diagnostics(&file, &mut diagnostics);
    (file, diagnostics)
}

/// A whole parse kept for [`reparse`]: the text, its tree, and where each block began.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastParse {
    pub(crate) text: String,
    pub(crate) file: SourceFile,
    /// The diagnostics of the lines in the order they were found, without the file-level
    /// ones and unsorted: what the builder held before [`finish_diagnostics`].
    line_diagnostics: Vec<Diagnostic>,
    starts: Vec<BlockStart>,
    /// Each item's part of the file's behaviour text (see [`item_behaviour`]), then the
    /// part after the last item.
    pub(crate) behaviour: Vec<String>,
    pub(crate) behaviour_end: String,
}

impl LastParse {
    /// The diagnostics [`parse`] returns for this text.
    pub(crate) fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics = self.line_diagnostics.clone();
        finish_diagnostics(&self.file, &mut diagnostics);
        diagnostics
    }
}

/// A line at column 0 with content, where the builder's state is simple: whatever comes
/// after it depends only on the text from here on and on the trivia just above it.
#[derive(Debug, Clone, Copy)]
struct BlockStart {
    /// Byte offset of the line.
    offset: usize,
    /// The index of the item the line starts.
    item: usize,
    /// How many line diagnostics were found before the line.
    diagnostics: usize,
}

/// Parses `text` as [`parse`] does, with the same result, reusing the blocks of `last` that
/// the edit from `last.text` to `text` did not touch: it parses again from the start of the
/// block the first changed byte is in, and once it reaches a block line inside the unchanged
/// end of the text, takes the old blocks from there on, their spans moved by the change in
/// length. Nothing is cloned: the old tree's items are moved into the new one.
pub(crate) fn reparse(text: &str, last: Option<LastParse>) -> LastParse {
    let fits = |t: &str| u32::try_from(t.len()).is_ok();
    let Some(last) = last.filter(|last| fits(&last.text) && fits(text)) else {
        return fresh_parse(text);
    };
    if last.text == text {
        return last;
    }
    let old = last.text.as_bytes();
    let new = text.as_bytes();
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    // Measured only past the prefix, so the two never overlap.
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (Ok(new_len), Ok(old_len)) = (isize::try_from(new.len()), isize::try_from(old.len()))
    else {
        return fresh_parse(text);
    };
    let delta = new_len - old_len;
    // The last block whose first line, line break included, is before the first changed
    // byte: that line must still start a block in the new text, or the block before it
    // would not end there.
    let mut at = last.starts.partition_point(|start| start.offset <= prefix);
    if let Some(start) = at.checked_sub(1).and_then(|i| last.starts.get(i))
        && !old[start.offset..prefix].contains(&b'\n')
    {
        at -= 1;
    }
    let Some(&restart) = at.checked_sub(1).and_then(|i| last.starts.get(i)) else {
        return fresh_parse(text);
    };
    let LastParse {
        text: _,
        file,
        mut line_diagnostics,
        mut starts,
        mut behaviour,
        behaviour_end: _,
    } = last;
    let SourceFile {
        mut items,
        trailing,
    } = file;
    if restart.item >= items.len()
        || restart.diagnostics > line_diagnostics.len()
        || behaviour.len() != items.len()
    {
        return fresh_parse(text);
    }
    let tail_behaviour = behaviour.split_off(restart.item);
    let mut tail = items.split_off(restart.item);
    // Before its first line the builder held the trivia above it; the block before it is
    // already closed (its trailing comments were all in the unchanged text).
    let leading = std::mem::take(&mut tail[0].leading);
    let tail_diagnostics = line_diagnostics.split_off(restart.diagnostics);
    let tail_starts = starts.split_off(at - 1);
    let mut builder = FileBuilder {
        items,
        pending: leading
            .into_iter()
            .map(|trivia| Pending {
                trivia,
                indented: false,
            })
            .collect(),
        diagnostics: line_diagnostics,
        starts,
        splice: Some(Splice {
            items: tail,
            first_item: restart.item,
            trailing,
            diagnostics: tail_diagnostics,
            first_diagnostic: restart.diagnostics,
            starts: tail_starts,
            delta,
            unchanged_from: new.len() - suffix,
        }),
        ..FileBuilder::default()
    };
    for line in split_lines(text, restart.offset) {
        if builder.push_line(line) == Flow::Spliced {
            break;
        }
    }
    let spliced = builder.spliced_at;
    let (file, line_diagnostics, starts) = builder.finish_lines();
    // The blocks parsed again are formatted again; the ones kept keep their text.
    let parsed_again = match spliced {
        Some((new_index, _)) => new_index,
        None => file.items.len(),
    };
    behaviour.extend(
        file.items
            .get(restart.item..parsed_again)
            .unwrap_or_default()
            .iter()
            .map(item_behaviour),
    );
    if let Some((_, old_index)) = spliced {
        let kept = old_index.saturating_sub(restart.item);
        behaviour.extend(tail_behaviour.into_iter().skip(kept));
    }
    if behaviour.len() != file.items.len() {
        behaviour = file.items.iter().map(item_behaviour).collect();
    }
    LastParse {
        text: text.to_owned(),
        behaviour_end: trailing_behaviour(&file),
        file,
        line_diagnostics,
        starts,
        behaviour,
    }
}

fn fresh_parse(text: &str) -> LastParse {
    let mut builder = FileBuilder::default();
    for line in split_lines(text, 0) {
        builder.push_line(line);
    }
    let (file, line_diagnostics, starts) = builder.finish_lines();
    let behaviour = file.items.iter().map(item_behaviour).collect();
    LastParse {
        text: text.to_owned(),
        behaviour_end: trailing_behaviour(&file),
        file,
        line_diagnostics,
        starts,
        behaviour,
    }
}

/// The blocks of the previous parse after the block a reparse started at, waiting to be
/// taken over once the new parse reaches the unchanged end of the text.
#[derive(Debug)]
struct Splice {
    /// The old items from `first_item` on.
    items: Vec<Item>,
    first_item: usize,
    trailing: Vec<Trivia>,
    /// The old line diagnostics from `first_diagnostic` on.
    diagnostics: Vec<Diagnostic>,
    first_diagnostic: usize,
    /// The old block starts from the one the reparse started at on.
    starts: Vec<BlockStart>,
    /// New offset minus old offset of any byte in the unchanged end.
    delta: isize,
    /// Where the unchanged end of the text starts, in the new text.
    unchanged_from: usize,
}

/// Whether the builder wants more lines.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    More,
    /// The rest of the file was taken over from the previous parse.
    Spliced,
}

/// File-level diagnostics added to the lines' own, in the order [`parse`] returns them.
fn finish_diagnostics(file: &SourceFile, diagnostics: &mut Vec<Diagnostic>) {
    check_file_shape(file, diagnostics);
    // File-level checks run last; authors read diagnostics top to bottom.
    diagnostics.sort_by_key(|d| d.span.start);
}

/// One line of the source, without its line break.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// Byte offset of the line's first character in the file.
    start: usize,
    /// Bytes of leading spaces and tabs.
    indent: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    fn content(&self) -> &'a str {
        &self.text[self.indent..]
    }

    fn content_start(&self) -> usize {
        self.start + self.indent
    }
}

/// The lines of `text` from byte `from` on, which is 0 or the start of a line.
fn split_lines(text: &str, from: usize) -> impl Iterator<Item = Line<'_>> {
    // A byte-order mark is an editor artefact, not content. One that turns up at the start of a
    // later line (files pasted together) is invisible too, so it counts as indentation.
    let body = match from {
        0 => text.trim_start_matches('\u{feff}'),
        _ => text.get(from..).unwrap_or_default(),
    };
    let mut offset = text.len() - body.len();
    body.split('\n').map(move |raw| {
        let start = offset;
        offset += raw.len() + 1;
        // Every carriage return before the line feed belongs to the line break: a file whose
        // breaks were converted twice (`\r\r\n`) reads as the author sees it, and a statement
        // kept as written cannot turn into a block once formatting drops the stray `\r`.
        let text = raw.trim_end_matches('\r');
        let indent = text.len() - text.trim_start_matches([' ', '\t', '\u{feff}']).len();
        Line {
            start,
            indent,
            text,
        }
    })
}

/// Trivia seen since the last statement, not yet given to a statement or a block.
#[derive(Debug)]
struct Pending {
    trivia: Trivia,
    /// Indented comments after a block's last statement still belong to that block.
    indented: bool,
}

#[derive(Default)]
struct FileBuilder<'c> {
    /// Lines parsed before, for `parse_cached`; `None` parses every line afresh.
    cache: Option<&'c mut LineCache>,
    items: Vec<Item>,
    current: Option<Item>,
    pending: Vec<Pending>,
    diagnostics: Vec<Diagnostic>,
    /// Every line at column 0 with content so far, for the next [`reparse`].
    starts: Vec<BlockStart>,
    /// For [`reparse`]: the previous parse's blocks past the edit.
    splice: Option<Splice>,
    /// The file's trailing trivia, once taken over from the previous parse.
    spliced_trailing: Option<Vec<Trivia>>,
    /// Where the blocks taken over from the previous parse begin: their first index in the
    /// new tree and in the old one.
    spliced_at: Option<(usize, usize)>,
}

impl FileBuilder<'_> {
    fn push_line(&mut self, line: Line<'_>) -> Flow {
        let content = line.content();
        // Any whitespace at all, a stray carriage return included, makes a blank line.
        if content.trim().is_empty() {
            if !matches!(
                self.pending.last(),
                Some(Pending {
                    trivia: Trivia::Blank,
                    ..
                })
            ) {
                self.pending.push(Pending {
                    trivia: Trivia::Blank,
                    indented: true,
                });
            }
            return Flow::More;
        }
        if let Some(text) = content.strip_prefix('#') {
            let comment = Comment {
                text: text.trim_end().to_owned(),
                span: Span::new(line.content_start(), line.start + line.text.len()),
            };
            self.pending.push(Pending {
                trivia: Trivia::Comment(comment),
                indented: line.indent > 0,
            });
            return Flow::More;
        }
        if line.indent == 0 {
            if self.try_splice(line.start) {
                return Flow::Spliced;
            }
            self.starts.push(BlockStart {
                offset: line.start,
                item: self.items.len() + usize::from(self.current.is_some()),
                diagnostics: self.diagnostics.len(),
            });
            self.start_item(line);
        } else {
            self.push_statement(line);
        }
        Flow::More
    }

    /// At a block line inside the unchanged end of the text that also started a block in the
    /// previous parse, takes that parse's blocks from there to the end, moved by the change in
    /// length: from this line on the builder would do what it did then, except for the trivia
    /// above the line, which is the only part taken from this parse.
    fn try_splice(&mut self, offset: usize) -> bool {
        let Some(splice) = &self.splice else {
            return false;
        };
        if offset < splice.unchanged_from {
            return false;
        }
        let Some(old_offset) = offset.checked_add_signed(-splice.delta) else {
            return false;
        };
        // The block the reparse started at (index 0) is being parsed again, never taken over.
        let found = match splice
            .starts
            .binary_search_by_key(&old_offset, |s| s.offset)
        {
            Ok(found) if found > 0 => found,
            _ => return false,
        };
        let Some(mut splice) = self.splice.take() else {
            return false;
        };
        let old = splice.starts[found];
        let (Some(item), Some(diagnostic)) = (
            old.item.checked_sub(splice.first_item),
            old.diagnostics.checked_sub(splice.first_diagnostic),
        ) else {
            return false;
        };
        if item >= splice.items.len() || diagnostic > splice.diagnostics.len() {
            return false;
        }
        let delta = splice.delta;
        let leading = self.close_item();
        let new_item = self.items.len();
        let new_diagnostic = self.diagnostics.len();
        let mut items = splice.items.split_off(item);
        let mut diagnostics = splice.diagnostics.split_off(diagnostic);
        if delta != 0 {
            items.shift(delta);
            diagnostics.shift(delta);
            splice.trailing.shift(delta);
        }
        items[0].leading = leading;
        for start in &splice.starts[found..] {
            self.starts.push(BlockStart {
                offset: start.offset.saturating_add_signed(delta),
                item: start.item - old.item + new_item,
                diagnostics: start.diagnostics - old.diagnostics + new_diagnostic,
            });
        }
        self.items.extend(items);
        self.diagnostics.extend(diagnostics);
        self.spliced_trailing = Some(splice.trailing);
        self.spliced_at = Some((new_item, old.item));
        true
    }

    /// Ends the open block: indented comments that follow it stay with it (with the blank
    /// lines between them); everything from the first column-0 comment or the last blank line
    /// on goes to whatever comes next.
    fn close_item(&mut self) -> Vec<Trivia> {
        let is_comment = |p: &Pending, indented: bool| {
            matches!(p.trivia, Trivia::Comment(_)) && p.indented == indented
        };
        let first_top_comment = self
            .pending
            .iter()
            .position(|p| is_comment(p, false))
            .unwrap_or(self.pending.len());
        let split = self.pending[..first_top_comment]
            .iter()
            .rposition(|p| is_comment(p, true))
            .map_or(0, |last| last + 1);
        let mut rest: Vec<Trivia> = self.pending.drain(..).map(|p| p.trivia).collect();
        let leading = rest.split_off(split);
        if let Some(mut item) = self.current.take() {
            item.trailing = rest;
            item.body = crate::ast::exact(std::mem::take(&mut item.body));
            self.items.push(item);
            leading
        } else {
            rest.extend(leading);
            rest
        }
    }

    fn start_item(&mut self, line: Line<'_>) {
        let parsed = self.parse_line(line);
        self.start_parsed_item(parsed);
    }

    fn start_parsed_item(&mut self, parsed: ParsedLine<ItemKind>) {
        let leading = self.close_item();
        let ParsedLine {
            value: kind,
            span,
            comment,
            diagnostics,
            accepted: _,
        } = parsed;
        self.diagnostics.extend(diagnostics);
        self.current = Some(Item {
            leading,
            kind,
            comment,
            body: Vec::new(),
            trailing: Vec::new(),
            span,
        });
    }

    /// Parses one line's content with the entry rule for `T`, from the cache when there is one.
    fn parse_line<T: Cached>(&mut self, line: Line<'_>) -> ParsedLine<T> {
        let content = line.content();
        let base = line.content_start();
        match self.cache.as_deref_mut() {
            Some(cache) => {
                let mut parsed = cache.lookup::<T>(content);
                parsed.shift(isize::try_from(base).unwrap_or(isize::MAX));
                parsed
            }
            None => parse_line(content, base),
        }
    }

    fn push_statement(&mut self, line: Line<'_>) {
        let content = line.content();
        let base = line.content_start();
        let line_span = Span::new(base, base + content.len());

        // A block keyword that is indented by mistake (a pasted block, say) still starts a
        // block: that keeps the statements under it where the author meant them. The line is
        // parsed as a block's first line once, and that parse becomes the block if it reads.
        if expected::starts_with_block_keyword(content) {
            let parsed = self.parse_line::<ItemKind>(line);
            if parsed.accepted {
                let word = content.split_whitespace().next().unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::new(
                        codes::INDENTED_BLOCK,
                        Span::new(base, base + word.len()),
                        format!("`{word}` starts a new block, so it must not be indented"),
                    )
                    .with_hint(format!("remove the spaces before `{word}`")),
                );
                self.start_parsed_item(parsed);
                return;
            }
        }

        let leading: Vec<Trivia> = self.pending.drain(..).map(|p| p.trivia).collect();
        // Under a one-line declaration the line's own grammar is beside the point: the report
        // is that it should not be there at all (see `misplaced`).
        let under_one_liner = self
            .current
            .as_ref()
            .is_some_and(|item| item.kind.is_one_line());
        let parsed = self.parse_line::<StmtKind>(line);
        if !under_one_liner {
            self.diagnostics.extend(parsed.diagnostics);
        }
        let stmt = Stmt {
            leading,
            kind: parsed.value,
            comment: parsed.comment.map(Box::new),
            span: parsed.span,
        };

        let Some(item) = self.current.as_mut() else {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::ORPHAN_LINE,
                    line_span,
                    "this indented line is not under any block",
                )
                .with_hint("put it under the `node`, `tree` or `test` line it belongs to"),
            );
            // Keep the text as a block of its own so formatting loses nothing.
            self.current = Some(Item {
                leading: stmt.leading,
                kind: ItemKind::Error(ErrorLine {
                    raw: content.trim_end().to_owned(),
                }),
                comment: None,
                body: Vec::new(),
                trailing: Vec::new(),
                span: line_span,
            });
            return;
        };
        if let Some(diagnostic) = misplaced(&item.kind, &stmt) {
            self.diagnostics.push(diagnostic);
        }
        item.body.push(stmt);
    }

    /// The file, the diagnostics of its lines as found, and where its blocks start.
    fn finish_lines(mut self) -> (SourceFile, Vec<Diagnostic>, Vec<BlockStart>) {
        let trailing = match self.spliced_trailing.take() {
            Some(trailing) => trailing,
            None => self.close_item(),
        };
        let file = SourceFile {
            items: self.items,
            trailing,
        };
        (file, self.diagnostics, self.starts)
    }
}

/// What one line's content parses to, with the diagnostics it raised.
#[derive(Debug, Clone)]
pub(crate) struct ParsedLine<T> {
    pub(crate) value: T,
    /// The statement without its comment.
    pub(crate) span: Span,
    pub(crate) comment: Option<Comment>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The grammar matched the line (it was neither refused for depth nor rejected by pest),
    /// even if the converter then could not read it.
    pub(crate) accepted: bool,
}

impl<T: Shift> Shift for ParsedLine<T> {
    fn shift(&mut self, by: isize) {
        let ParsedLine {
            value,
            span,
            comment,
            diagnostics,
            accepted: _,
        } = self;
        value.shift(by);
        span.shift(by);
        comment.shift(by);
        diagnostics.shift(by);
    }
}

/// The two kinds of line: a block's first line (`ItemKind`) and an indented one (`StmtKind`).
pub(crate) trait LineValue: Clone + Shift + Sized {
    const KIND: expected::LineKind;

    fn convert(
        convert: &mut Convert<'_>,
        pair: Pair<'_, Rule>,
    ) -> Option<(Self, Span, Option<Comment>)>;

    /// The value of a line that could not be read.
    fn unreadable(line: ErrorLine) -> Self;
}

impl LineValue for ItemKind {
    const KIND: expected::LineKind = expected::LineKind::Top;

    fn convert(
        convert: &mut Convert<'_>,
        pair: Pair<'_, Rule>,
    ) -> Option<(Self, Span, Option<Comment>)> {
        convert.top_line(pair)
    }

    fn unreadable(line: ErrorLine) -> Self {
        ItemKind::Error(line)
    }
}

impl LineValue for StmtKind {
    const KIND: expected::LineKind = expected::LineKind::Body;

    fn convert(
        convert: &mut Convert<'_>,
        pair: Pair<'_, Rule>,
    ) -> Option<(Self, Span, Option<Comment>)> {
        convert.body_line(pair)
    }

    fn unreadable(line: ErrorLine) -> Self {
        StmtKind::Error(line)
    }
}

/// Parses one line's content, which starts at byte `base` of the file, with the entry rule for
/// its kind. A line that does not parse, or that is refused for nesting too deeply, comes back
/// as an error line holding the text verbatim.
///
/// `base` only offsets spans: parsing at 0 and shifting by `base` gives exactly the same
/// result, which is what lets the cache reuse a line wherever it moves.
pub(crate) fn parse_line<T: LineValue>(content: &str, base: usize) -> ParsedLine<T> {
    let unreadable = |diagnostics, accepted| unreadable_line(content, base, diagnostics, accepted);
    if let Some(diagnostic) = refuse_deep_line(content, base) {
        return unreadable(vec![diagnostic], false);
    }
    if let Some(parsed) = parse_line_fast(content, base) {
        return parsed;
    }
    parse_line_reference(content, base)
}

/// A line that does not read, kept verbatim as an error line with what was found on it.
fn unreadable_line<T: LineValue>(
    content: &str,
    base: usize,
    diagnostics: Vec<Diagnostic>,
    accepted: bool,
) -> ParsedLine<T> {
    ParsedLine {
        value: T::unreadable(ErrorLine {
            raw: content.trim_end().to_owned(),
        }),
        span: Span::new(base, base + content.len()),
        comment: None,
        diagnostics,
        accepted,
    }
}

/// Reads a line with the grammar's fast rules (`fast_top_line`, `fast_body_line`), or `None`
/// when they or the converter cannot read it: then only the reference rules know what to say.
fn parse_line_fast<T: LineValue>(content: &str, base: usize) -> Option<ParsedLine<T>> {
    let rule = match T::KIND {
        expected::LineKind::Top => Rule::fast_top_line,
        expected::LineKind::Body => Rule::fast_body_line,
    };
    let pair = Grammar::parse(rule, content).ok()?.next()?;
    let mut diagnostics = Vec::new();
    let mut converter = Convert::new(base, &mut diagnostics);
    let (value, span, comment) = T::convert(&mut converter, pair)?;
    if converter.refused {
        return None;
    }
    Some(ParsedLine {
        value,
        span,
        comment,
        diagnostics,
        accepted: true,
    })
}

/// [`parse_line`] with the reference rules only, for lines already found not too deep: what
/// decides every diagnostic of a line that does not read.
pub(crate) fn parse_line_reference<T: LineValue>(content: &str, base: usize) -> ParsedLine<T> {
    let unreadable = |diagnostics, accepted| unreadable_line(content, base, diagnostics, accepted);
    let rule = match T::KIND {
        expected::LineKind::Top => Rule::top_line,
        expected::LineKind::Body => Rule::body_line,
    };
    match Grammar::parse(rule, content) {
        Ok(mut pairs) => {
            let mut diagnostics = Vec::new();
            let mut converter = Convert::new(base, &mut diagnostics);
            match pairs
                .next()
                .and_then(|pair| T::convert(&mut converter, pair))
            {
                Some((value, span, comment)) => ParsedLine {
                    value,
                    span,
                    comment,
                    diagnostics,
                    accepted: true,
                },
                None => {
                    diagnostics.push(expected::internal(Span::new(base, base + content.len())));
                    unreadable(diagnostics, true)
                }
            }
        }
        Err(failure) => unreadable(
            vec![expected::describe(&failure, content, base, T::KIND)],
            false,
        ),
    }
}

/// Which statements each kind of block takes. Returns a diagnostic for a statement that does
/// not belong; the statement is kept so that formatting loses nothing.
fn misplaced(kind: &ItemKind, stmt: &Stmt) -> Option<Diagnostic> {
    if matches!(stmt.kind, StmtKind::Error(_)) && !kind.is_one_line() {
        return None;
    }
    let allowed = match kind {
        ItemKind::Error(_) => return None,
        ItemKind::Tree(_) => stmt.kind.is_tree_property(),
        ItemKind::Node(head) => {
            stmt.kind.is_node_statement()
                || (head.kind == NodeKind::Feedback && stmt.kind.is_feedback_question())
        }
        ItemKind::Test(_) | ItemKind::Setup => stmt.kind.is_test_step(),
        ItemKind::TestsFor(_) | ItemKind::Use(_) | ItemKind::Field(_) | ItemKind::Flag(_) => {
            let keyword = kind.keyword();
            return Some(
                Diagnostic::new(
                    codes::ORPHAN_LINE,
                    stmt.span,
                    format!("a `{keyword}` line takes no indented lines under it"),
                )
                .with_hint(format!(
                    "everything about a `{keyword}` goes on its one line; \
                     if this line belongs to a node, move it under that node"
                )),
            );
        }
    };
    if allowed {
        return None;
    }
    if let (StmtKind::NoteWhen { .. }, ItemKind::Test(_)) = (&stmt.kind, kind) {
        return Some(
            Diagnostic::new(
                codes::MISPLACED_STATEMENT,
                stmt.span,
                "a note taken in a test has no `when`",
            )
            .with_hint(
                "`note \"...\" when ...` is for nodes; in a test, write the note the agent takes",
            ),
        );
    }
    let home = if stmt.kind.is_tree_property() {
        "it belongs under the `tree` line"
    } else if stmt.kind.is_test_step() {
        "it is a test step and belongs in a `test` block"
    } else if stmt.kind.is_feedback_question() {
        "it collects feedback and belongs in a `feedback` block"
    } else {
        "it belongs in a `node` block"
    };
    Some(
        Diagnostic::new(
            codes::MISPLACED_STATEMENT,
            stmt.span,
            format!(
                "`{}` is not allowed in a `{}` block",
                stmt.kind.keyword(),
                kind.keyword()
            ),
        )
        .with_hint(home),
    )
}

/// File-level rules: one tree per file, and nothing tree-like without a `tree` line.
fn check_file_shape(file: &SourceFile, diagnostics: &mut Vec<Diagnostic>) {
    let mut header: Option<&Item> = None;
    let mut setup: Option<&Item> = None;
    for item in &file.items {
        match &item.kind {
            ItemKind::Tree(_) | ItemKind::TestsFor(_) => {
                if let Some(first) = header {
                    diagnostics.push(
                        Diagnostic::new(
                            codes::SECOND_TREE,
                            item.span,
                            format!(
                                "a file holds one tree, but this is a second `{}` line",
                                item.kind.keyword()
                            ),
                        )
                        .with_hint("move this tree and its nodes into a file of their own")
                        .with_related(first.span, "the file's tree starts here"),
                    );
                } else {
                    header = Some(item);
                }
            }
            ItemKind::Setup if setup.is_some() => {
                if let Some(first) = setup {
                    diagnostics.push(
                        Diagnostic::new(
                            codes::DUPLICATE_PROPERTY,
                            item.span,
                            "a file has one `setup` block, but this is a second one",
                        )
                        .with_hint("move its steps into the first `setup` block")
                        .with_related(first.span, "the file's setup starts here"),
                    );
                }
            }
            ItemKind::Node(_)
            | ItemKind::Field(_)
            | ItemKind::Flag(_)
            | ItemKind::Test(_)
            | ItemKind::Setup
                if header.is_none() =>
            {
                diagnostics.push(
                    Diagnostic::new(
                        codes::MISSING_TREE_HEADER,
                        item.span,
                        format!(
                            "this `{}` comes before any `tree` line",
                            item.kind.keyword()
                        ),
                    )
                    .with_hint("start the file with `tree <id> \"<title>\"` (or `tests for <id>` for a file of tests)"),
                );
                // One report is enough: every later block has the same cause.
                header = Some(item);
            }
            _ => {}
        }
        if matches!(item.kind, ItemKind::Setup) && setup.is_none() {
            setup = Some(item);
        }
        if let ItemKind::Tree(_) = item.kind {
            check_duplicate_properties(item, diagnostics);
        }
    }
}

fn check_duplicate_properties(item: &Item, diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(&'static str, Span)> = Vec::new();
    for stmt in &item.body {
        let keyword = stmt.kind.keyword();
        if !keyword.ends_with(':') {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == keyword) {
            diagnostics.push(
                Diagnostic::new(
                    codes::DUPLICATE_PROPERTY,
                    stmt.span,
                    format!("`{keyword}` is given twice"),
                )
                .with_hint("keep one; a tree has one value for each property")
                .with_related(*first, "first given here"),
            );
        } else {
            seen.push((keyword, stmt.span));
        }
    }
}

/// Lines that would nest too deeply are refused with a diagnostic instead of being parsed.
///
/// What deepens pest's recursion (and the expression trees built from a line) is counted the
/// way the grammar reads the line, token by token: opening parentheses by depth, and every
/// operator, word operators (`and`, `or`, `not`) included, however they are separated (spaces,
/// tabs, quotes, parentheses or nothing at all, as in `1and 2`). Everything else is free: a
/// flat list of names (`ask a, b, c, ...`) is not nesting, whatever its length.
pub(crate) fn refuse_deep_line(content: &str, base: usize) -> Option<Diagnostic> {
    // Every operator counted below and every level of parentheses takes a byte of its own, so
    // a line of at most `MAX_OPERATORS` bytes with at most `MAX_PAREN_DEPTH` opening
    // parentheses cannot be refused: the common case, settled without reading the line twice.
    if content.len() <= MAX_OPERATORS
        && content.bytes().filter(|&b| b == b'(').count() <= MAX_PAREN_DEPTH
    {
        return None;
    }
    let bytes = content.trim_end().as_bytes();
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut operators = 0usize;
    let mut in_text = false;
    // Inside a text's `{...}`: an expression, counted like one outside a text.
    let mut in_placeholder = false;
    let mut escaped = false;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if in_text && !in_placeholder {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_text = false,
                (false, b'{') => in_placeholder = true,
                _ => {}
            }
            at += 1;
            continue;
        }
        if in_placeholder && byte == b'}' {
            in_placeholder = false;
            at += 1;
            continue;
        }
        match byte {
            b'"' => in_text = true,
            b'#' => break,
            b'(' => {
                depth += 1;
                max_depth = max_depth.max(depth);
                operators += 1;
            }
            b')' => depth = depth.saturating_sub(1),
            // A two-character operator (`==`, `!=`, `<=`, `>=`, `->`) counts once.
            b'=' if at > 0 && matches!(bytes[at - 1], b'=' | b'!' | b'<' | b'>') => {}
            b'>' if at > 0 && bytes[at - 1] == b'-' => {}
            b'+' | b'-' | b'*' | b'/' | b'<' | b'>' | b'=' | b'!' => operators += 1,
            b'0'..=b'9' => {
                // A number ends where its digits do: `1and` is `1` and `and`.
                while at < bytes.len() && matches!(bytes[at], b'0'..=b'9' | b'.') {
                    at += 1;
                }
                continue;
            }
            _ if is_word_byte(byte) => {
                let start = at;
                while at < bytes.len() && (is_word_byte(bytes[at]) || bytes[at].is_ascii_digit()) {
                    at += 1;
                }
                if matches!(&bytes[start..at], b"and" | b"or" | b"not") {
                    operators += 1;
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    if max_depth > MAX_PAREN_DEPTH || operators > MAX_OPERATORS {
        let span = Span::new(base, base + content.len());
        return Some(
            Diagnostic::new(
                codes::SYNTAX_ERROR,
                span,
                format!(
                    "this line is too deeply nested or too long to read (at most {MAX_PAREN_DEPTH} levels of parentheses and {MAX_OPERATORS} operators)"
                ),
            )
            .with_hint("split the condition over several nodes or `set` statements"),
        );
    }
    None
}

/// Bytes that can be part of a name or keyword: ASCII letters, `_`, and every byte of a
/// non-ASCII character (so a Unicode name is one word, as the grammar reads it).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || !byte.is_ascii()
}
