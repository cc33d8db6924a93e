//! The code editor: a `.tree` file with syntax colours, line numbers, and the spans of
//! problems underlined. Colouring is lexical (it works on half-typed lines) and is cached by
//! text, so a frame without an edit costs a hash, not a re-colouring.
//!
//! egui's text edit lays out, walks and paints its whole text whenever it changes, so it is
//! given only a window of the file: the lines in view and `MARGIN_LINES` either side, placed
//! at their height in a scroll area as tall as the whole file. Whatever it edits is put back
//! into the file; the cursor, the selection, jumps and undo are kept here in the file's bytes.
//! A keystroke in a file of 40,000 lines so lays out and colours about two hundred of them.

use std::hash::{Hash as _, Hasher as _};

use calltree_syntax::{Severity, TokenKind, highlight};
use egui::text::{CCursor, CCursorRange, LayoutJob, TextFormat};
use egui::{Color32, FontId, Stroke};

/// A span to underline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub error: bool,
}

impl Mark {
    pub fn new(start: usize, end: usize, severity: Severity) -> Self {
        Mark {
            start,
            end,
            error: matches!(severity, Severity::Error),
        }
    }
}

/// What happened in the editor this frame.
pub struct CodeOutput {
    pub changed: bool,
    /// Where the text cursor is, as a byte offset.
    pub cursor: Option<usize>,
    /// The selected text, as byte offsets; empty when nothing is selected.
    pub selection: Option<std::ops::Range<usize>>,
    /// What part of the text is on screen.
    pub view: EditorView,
}

/// What part of the text the editor shows: how far it is scrolled and which lines are drawn.
/// Kept so that a jump can be seen to have landed (tests, and the author's next F8).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EditorView {
    /// How far down the text is scrolled, in points.
    pub scroll: f32,
    /// The first and last line (1-based) drawn inside the editor's visible area.
    pub first_line: usize,
    pub last_line: usize,
}

/// Lines held by the text edit beyond those on screen, above and below: scrolling within
/// them moves no window, and paging moves the cursor inside it.
const MARGIN_LINES: usize = 80;

/// The editor's state between frames.
#[derive(Default)]
pub struct CodeView {
    /// The colouring of the window last shown, by a hash of its text and marks.
    cache: Option<(u64, LayoutJob)>,
    /// The text edit of the file shown: another one starts afresh.
    file: Option<egui::Id>,
    /// The file's text as this view last left it: a different one was changed elsewhere.
    seen: String,
    /// Where each line of `seen` starts.
    starts: Vec<usize>,
    /// The lines (0-based, end excluded) the text edit holds, and their bytes in the file.
    window: std::ops::Range<usize>,
    window_bytes: std::ops::Range<usize>,
    /// The cursor and the other end of the selection, as bytes of the file.
    cursor: Option<(usize, usize)>,
    /// The cursor last put into or read from the text edit, in its characters: a different
    /// one was moved by the author.
    stored: Option<CCursorRange>,
    /// The distance between lines, as the text edit lays them out, once measured.
    pitch: Option<f32>,
    /// The space above the text edit's first line, inside its frame.
    inset: f32,
    history: History,
    /// A jump's selection, waiting for the text edit to have the keyboard: egui collapses the
    /// selection of a text edit without focus, and a jump is asked for from elsewhere (a
    /// problem row, a graph node) that has the focus in that frame. Dropped when it is stale.
    pending: Option<PendingSelection>,
}

#[derive(Debug, Clone, Copy)]
struct PendingSelection {
    /// Bytes of the file: the cursor, then the other end.
    range: (usize, usize),
    /// Frames left to wait for focus before the selection is forgotten.
    frames: u8,
}

struct Palette {
    plain: Color32,
    keyword: Color32,
    name: Color32,
    text: Color32,
    placeholder: Color32,
    number: Color32,
    operator: Color32,
    comment: Color32,
    property: Color32,
    outcome: Color32,
    error: Color32,
    warning: Color32,
}

impl Palette {
    fn for_visuals(visuals: &egui::Visuals) -> Self {
        if visuals.dark_mode {
            Palette {
                plain: visuals.text_color(),
                keyword: Color32::from_rgb(0x7a, 0xa2, 0xf7),
                name: Color32::from_rgb(0x7d, 0xcf, 0xff),
                text: Color32::from_rgb(0x9e, 0xce, 0x6a),
                placeholder: Color32::from_rgb(0xbb, 0x9a, 0xf7),
                number: Color32::from_rgb(0xff, 0x9e, 0x64),
                operator: Color32::from_rgb(0xa9, 0xb1, 0xd6),
                comment: Color32::from_rgb(0x8a, 0x8f, 0xa8),
                property: Color32::from_rgb(0xe0, 0xaf, 0x68),
                outcome: Color32::from_rgb(0xf7, 0x76, 0x8e),
                error: Color32::from_rgb(0xff, 0x5f, 0x5f),
                warning: Color32::from_rgb(0xe0, 0xaf, 0x68),
            }
        } else {
            Palette {
                plain: visuals.text_color(),
                keyword: Color32::from_rgb(0x0b, 0x57, 0xd0),
                name: Color32::from_rgb(0x00, 0x6d, 0x75),
                text: Color32::from_rgb(0x1a, 0x7f, 0x37),
                placeholder: Color32::from_rgb(0x82, 0x50, 0xdf),
                number: Color32::from_rgb(0xb0, 0x58, 0x00),
                operator: Color32::from_rgb(0x57, 0x60, 0x6a),
                comment: Color32::from_rgb(0x6e, 0x77, 0x81),
                property: Color32::from_rgb(0x95, 0x38, 0x00),
                outcome: Color32::from_rgb(0xcf, 0x22, 0x2e),
                error: Color32::from_rgb(0xd0, 0x00, 0x00),
                warning: Color32::from_rgb(0xb0, 0x70, 0x00),
            }
        }
    }

    fn colour(&self, kind: Option<TokenKind>) -> Color32 {
        match kind {
            Some(TokenKind::Keyword) => self.keyword,
            Some(TokenKind::Name) => self.name,
            Some(TokenKind::Text) => self.text,
            Some(TokenKind::Placeholder) => self.placeholder,
            Some(TokenKind::Number) => self.number,
            Some(TokenKind::Operator) => self.operator,
            Some(TokenKind::Comment) => self.comment,
            Some(TokenKind::Property) => self.property,
            Some(TokenKind::Outcome) => self.outcome,
            Some(TokenKind::Plain) | None => self.plain,
        }
    }
}

/// Snaps a byte offset down to a character boundary.
fn floor_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Marks made safe for this text: inside it, on character boundaries, and at least one
/// character wide so that a problem at a point (a missing word at the end of a line) shows.
fn fit_marks(text: &str, marks: &[Mark]) -> Vec<Mark> {
    let mut fitted: Vec<Mark> = marks
        .iter()
        .filter_map(|mark| {
            let mut start = floor_boundary(text, mark.start);
            let mut end = floor_boundary(text, mark.end.max(start));
            if start == end {
                match text[start..].chars().next() {
                    Some(c) if c != '\n' && c != '\r' => end = start + c.len_utf8(),
                    _ => {
                        let before = text[..start].chars().next_back()?;
                        if before == '\n' {
                            return None;
                        }
                        start -= before.len_utf8();
                    }
                }
            }
            Some(Mark {
                start,
                end,
                error: mark.error,
            })
        })
        .collect();
    fitted.sort_by_key(|m| (m.start, m.end));
    fitted
}

/// The byte range of lines `lines` (0-based, end excluded) of a text: from the start of the
/// first to the end of the last, its line break included.
fn line_bytes(text: &str, lines: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let mut starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1));
    let start = starts.nth(lines.start).unwrap_or(text.len());
    let end = if lines.end > lines.start {
        starts
            .nth(lines.end - lines.start - 1)
            .unwrap_or(text.len())
    } else {
        start
    };
    start..end.max(start)
}

/// Builds the layout of a text with only lines `lines` (0-based, end excluded) coloured and
/// underlined; the text before and after them is plain.
pub fn layout_job_lines(
    text: &str,
    marks: &[Mark],
    visuals: &egui::Visuals,
    font: &FontId,
    lines: std::ops::Range<usize>,
) -> LayoutJob {
    let palette = Palette::for_visuals(visuals);
    let window = line_bytes(text, &lines);
    // Lexing is line by line, so a slice that starts at a line's start colours as the whole.
    let tokens: Vec<calltree_syntax::Token> = highlight(&text[window.clone()])
        .into_iter()
        .map(|mut token| {
            token.span.start += window.start as u32;
            token.span.end += window.start as u32;
            token
        })
        .collect();
    let marks: Vec<Mark> = fit_marks(text, marks)
        .into_iter()
        .filter(|m| m.end > window.start && m.start < window.end)
        .collect();
    let mut cuts: Vec<usize> = Vec::with_capacity(tokens.len() * 2 + marks.len() * 2 + 4);
    cuts.extend([0, window.start, window.end, text.len()]);
    for token in &tokens {
        cuts.push(token.span.start as usize);
        cuts.push(token.span.end as usize);
    }
    for mark in &marks {
        cuts.push(mark.start.max(window.start));
        cuts.push(mark.end.min(window.end));
    }
    cuts.retain(|&c| c <= text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();

    let mut job = LayoutJob {
        text: text.to_owned(),
        ..LayoutJob::default()
    };
    job.wrap.max_width = f32::INFINITY;
    let mut token_index = 0;
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        if start == end {
            continue;
        }
        while token_index < tokens.len() && (tokens[token_index].span.end as usize) <= start {
            token_index += 1;
        }
        let kind = tokens
            .get(token_index)
            .filter(|t| (t.span.start as usize) <= start)
            .map(|t| t.kind);
        // Marks are few; a linear look is cheaper than keeping an interval structure.
        let covering = marks.iter().filter(|m| m.start <= start && end <= m.end);
        let underline = match covering.map(|m| m.error).max() {
            Some(true) => Stroke::new(2.0, palette.error),
            Some(false) => Stroke::new(2.0, palette.warning),
            None => Stroke::NONE,
        };
        let mut format = TextFormat::simple(font.clone(), palette.colour(kind));
        format.italics = kind == Some(TokenKind::Comment);
        format.underline = underline;
        job.sections.push(egui::text::LayoutSection {
            leading_space: 0.0,
            byte_range: egui::text::ByteIndex(start)..egui::text::ByteIndex(end),
            format,
        });
    }
    job
}

fn text_hash(text: &str, marks: &[Mark], dark: bool, size: f32) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    marks.hash(&mut hasher);
    dark.hash(&mut hasher);
    size.to_bits().hash(&mut hasher);
    hasher.finish()
}

/// Where each line of a text starts (bytes); a text ending in a line break has an empty last
/// line, as the text edit shows it.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .collect()
}

/// The bytes of lines `lines` of a text whose lines start at `starts`: from the first line's
/// start to the last line's end, without its line break (so the window's last row is a line
/// of the file, not an empty row standing over the next one).
fn window_bytes(
    starts: &[usize],
    len: usize,
    lines: &std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let start = starts.get(lines.start).copied().unwrap_or(len);
    let end = match starts.get(lines.end) {
        Some(next) => next.saturating_sub(1),
        None => len,
    };
    start..end.max(start)
}

/// One change to the text: `removed` at byte `at` was replaced by `inserted`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    at: usize,
    removed: String,
    inserted: String,
}

impl Edit {
    /// What changed between two texts: the part between their common start and end.
    fn between(before: &str, after: &str) -> Edit {
        let mut prefix = before
            .bytes()
            .zip(after.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let most = before.len().min(after.len()) - prefix;
        let mut suffix = before
            .bytes()
            .rev()
            .zip(after.bytes().rev())
            .take(most)
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(before.len() - suffix)
            || !after.is_char_boundary(after.len() - suffix)
        {
            suffix -= 1;
        }
        Edit {
            at: prefix,
            removed: before[prefix..before.len() - suffix].to_owned(),
            inserted: after[prefix..after.len() - suffix].to_owned(),
        }
    }

    /// Whether `next` carries on from this edit, as typing or deleting on does: edits
    /// elsewhere in the file are undone on their own.
    fn runs_into(&self, next: &Edit) -> bool {
        next.at == self.at + self.inserted.len()
            || next.at + next.removed.len() == self.at
            || next.at == self.at
    }

    fn shifted(mut self, by: usize) -> Edit {
        self.at += by;
        self
    }

    /// Applies the edit, or takes it back; `false` when the text is not the one it was made
    /// on (then nothing is changed).
    fn apply(&self, text: &mut String, forward: bool) -> bool {
        let (old, new) = if forward {
            (&self.removed, &self.inserted)
        } else {
            (&self.inserted, &self.removed)
        };
        let end = self.at + old.len();
        if text.get(self.at..end) != Some(old.as_str()) {
            return false;
        }
        text.replace_range(self.at..end, new);
        true
    }
}

/// Edits undone or redone together, with the cursor before and after them.
#[derive(Debug, Clone)]
struct UndoStep {
    edits: Vec<Edit>,
    before: (usize, usize),
    after: (usize, usize),
    /// When its last edit was made (egui's input time, seconds).
    last: f64,
}

/// Edits less than this far apart (seconds), each carrying on from the last, are undone
/// together, as a run of typing.
const UNDO_GROUP_SECONDS: f64 = 1.0;
/// Steps kept for undo.
const UNDO_STEPS: usize = 200;

/// The whole file's history, kept here rather than in the text edit: the text edit only ever
/// holds the lines in view, so its own history would be of a window that moves.
#[derive(Default)]
struct History {
    undo: Vec<UndoStep>,
    redo: Vec<UndoStep>,
}

impl History {
    fn record(&mut self, edit: Edit, before: (usize, usize), after: (usize, usize), now: f64) {
        self.redo.clear();
        if let Some(step) = self.undo.last_mut()
            && now - step.last < UNDO_GROUP_SECONDS
            && step.edits.last().is_some_and(|last| last.runs_into(&edit))
        {
            step.edits.push(edit);
            step.after = after;
            step.last = now;
            return;
        }
        if self.undo.len() == UNDO_STEPS {
            self.undo.remove(0);
        }
        self.undo.push(UndoStep {
            edits: vec![edit],
            before,
            after,
            last: now,
        });
    }

    /// Takes back the last step; returns where the cursor goes.
    fn undo(&mut self, text: &mut String) -> Option<(usize, usize)> {
        let step = self.undo.pop()?;
        for edit in step.edits.iter().rev() {
            if !edit.apply(text, false) {
                // The text is not what the history knows: forget the history, not the text.
                *self = History::default();
                return None;
            }
        }
        let cursor = step.before;
        self.redo.push(step);
        Some(cursor)
    }

    fn redo(&mut self, text: &mut String) -> Option<(usize, usize)> {
        let step = self.redo.pop()?;
        for edit in &step.edits {
            if !edit.apply(text, true) {
                *self = History::default();
                return None;
            }
        }
        let cursor = step.after;
        // Redone steps are never joined with the typing that follows.
        self.undo.push(UndoStep {
            last: f64::NEG_INFINITY,
            ..step
        });
        Some(cursor)
    }
}

/// Converts between the file's byte offsets and the text edit's characters, for a window
/// whose text starts at byte `start` of the file.
struct WindowMap<'a> {
    text: &'a str,
    start: usize,
}

impl WindowMap<'_> {
    /// The window's character at a byte of the file, clamped to the window.
    fn char_at(&self, byte: usize) -> usize {
        let local = byte.saturating_sub(self.start).min(self.text.len());
        let local = floor_boundary(self.text, local);
        self.text[..local].chars().count()
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.start
            + self
                .text
                .char_indices()
                .nth(chars)
                .map_or(self.text.len(), |(byte, _)| byte)
    }

    fn range(&self, (primary, secondary): (usize, usize)) -> CCursorRange {
        CCursorRange {
            primary: CCursor::new(self.char_at(primary)),
            secondary: CCursor::new(self.char_at(secondary)),
            h_pos: None,
        }
    }

    fn bytes(&self, range: &CCursorRange) -> (usize, usize) {
        (
            self.byte_at(range.primary.index.0),
            self.byte_at(range.secondary.index.0),
        )
    }
}

/// Whether this frame's input would change the text of a text edit with the keyboard.
fn edits_text(input: &egui::InputState) -> bool {
    input.events.iter().any(|event| match event {
        egui::Event::Text(_) | egui::Event::Paste(_) | egui::Event::Cut => true,
        egui::Event::Key {
            key, pressed: true, ..
        } => matches!(
            key,
            egui::Key::Backspace | egui::Key::Delete | egui::Key::Enter | egui::Key::Tab
        ),
        _ => false,
    })
}

impl CodeView {
    /// Shows the editor. `jump` selects a byte range (the cursor at its start) and scrolls to
    /// it: a jump to a problem shows exactly the text the problem is about.
    ///
    /// The text edit holds only the lines in view and `MARGIN_LINES` either side of them,
    /// placed where they fall in a scroll area as tall as the whole file; what it changes is
    /// put back into `text`. Cursor, selection, jumps and undo are kept in the file's bytes
    /// here and handed to the text edit in its own characters whenever the window moves.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        id: egui::Id,
        label: egui::Id,
        text: &mut String,
        marks: &[Mark],
        jump: Option<std::ops::Range<usize>>,
    ) -> CodeOutput {
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let mut changed = false;
        // Another file, or this one changed elsewhere (reloaded, renamed into): start afresh.
        let mut stale = false;
        if self.file != Some(id) {
            self.file = Some(id);
            self.cursor = None;
            self.history = History::default();
            self.pending = None;
            stale = true;
        }
        if stale || *text != self.seen {
            self.seen.clone_from(text);
            self.starts = line_starts(text);
            self.cache = None;
            if !stale {
                self.history = History::default();
            }
            self.window = 0..0;
            if let Some((a, b)) = self.cursor {
                let clamp = |at: usize| floor_boundary(text, at);
                self.cursor = Some((clamp(a), clamp(b)));
            }
        }
        let focused = ui.memory(|m| m.has_focus(id));
        // The line to bring into view and scroll to this frame, if any.
        let mut reveal: Option<usize> = None;
        if focused {
            let undo = ui.input_mut(|i| {
                let redo = i.consume_key(
                    egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                    egui::Key::Z,
                ) || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y);
                let undo = !redo && i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z);
                (undo, redo)
            });
            let moved = match undo {
                (true, _) => self.history.undo(text),
                (_, true) => self.history.redo(text),
                _ => None,
            };
            if let Some((a, b)) = moved {
                changed = true;
                self.seen.clone_from(text);
                self.starts = line_starts(text);
                self.window = 0..0;
                self.cursor = Some((a.min(text.len()), b.min(text.len())));
                reveal = Some(a);
            }
            let to = ui.input_mut(|i| {
                if i.consume_key(egui::Modifiers::COMMAND, egui::Key::Home) {
                    Some(0)
                } else if i.consume_key(egui::Modifiers::COMMAND, egui::Key::End) {
                    Some(text.len())
                } else {
                    None
                }
            });
            if let Some(at) = to {
                self.cursor = Some((at, at));
                self.window = 0..0;
                reveal = Some(at);
            }
            // Select all is the file's, not the window's: the window shows the part of the
            // selection it holds, and grows to hold all of it for a frame that edits or
            // copies it.
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::A)) {
                self.cursor = Some((text.len(), 0));
                self.window = 0..0;
            }
        }
        if let Some(range) = jump.clone() {
            let start = floor_boundary(text, range.start);
            let end = floor_boundary(text, range.end.max(start));
            // The cursor stays at the start, so F8 moves on from there to the next problem.
            self.cursor = Some((start, start));
            self.pending = Some(PendingSelection {
                range: (start, end),
                frames: 3,
            });
            reveal = Some(start);
        }
        let typing = focused && ui.input(edits_text);
        let copying = focused
            && ui.input(|i| {
                i.events
                    .iter()
                    .any(|e| matches!(e, egui::Event::Copy | egui::Event::Cut))
            });

        let total = self.starts.len();
        let shown_lines = if text.ends_with('\n') {
            total - 1
        } else {
            total
        };
        let gutter_digits = shown_lines.max(1).to_string().len().max(3);
        let gutter = ui.fonts_mut(|f| f.glyph_width(&font, '0')) * gutter_digits as f32 + 12.0;
        let pitch = self.pitch.unwrap_or_else(|| {
            let ppp = ui.ctx().pixels_per_point();
            (ui.fonts_mut(|f| f.row_height(&font)) * ppp).round() / ppp
        });
        let inset = self.inset;
        let visuals = ui.visuals().clone();
        let scrolled = egui::ScrollArea::both()
            .id_salt(id.with("scroll"))
            .auto_shrink([false, false])
            .show_viewport(ui, |ui, viewport| {
                let in_view = ((viewport.min.y - inset) / pitch).floor().max(0.0) as usize
                    ..(((viewport.max.y - inset) / pitch).ceil().max(0.0) as usize).min(total);
                self.follow(ui.ctx(), id, text, &in_view, reveal);
                // A selection reaching past the window, edited or copied: the text edit holds
                // all of it for this frame (slow on a long file, but whole).
                if (typing || copying)
                    && let Some((a, b)) = self.cursor
                    && (!self.holds(a) || !self.holds(b))
                {
                    let line = |byte: usize| {
                        self.starts.partition_point(|&s| s <= byte.min(text.len())) - 1
                    };
                    let first = line(a.min(b)).min(in_view.start);
                    let last = (line(a.max(b)) + 1).max(in_view.end).min(total);
                    self.set_window(ui.ctx(), id, text, first..last);
                }
                // Typing with the cursor out of the window (scrolled away from it): the keys
                // go to the cursor, which comes back into view, as in any editor.
                if reveal.is_none()
                    && typing
                    && let Some((primary, _)) = self.cursor
                    && !self.holds(primary)
                {
                    reveal = Some(primary);
                    self.follow(ui.ctx(), id, text, &in_view, reveal);
                }
                let window = self.window.clone();
                let bytes = self.window_bytes.clone();
                let before = text[bytes.clone()].to_owned();
                let mut shown = before.clone();
                if let Some(pending) = self.pending.take() {
                    if focused {
                        let map = WindowMap {
                            text: &shown,
                            start: bytes.start,
                        };
                        self.store_cursor(ui.ctx(), id, map.range(pending.range));
                        self.cursor = Some(pending.range);
                    } else if pending.frames > 0 {
                        self.pending = Some(PendingSelection {
                            frames: pending.frames - 1,
                            ..pending
                        });
                    }
                }
                if reveal.is_some()
                    && let Some(cursor) = self.cursor
                {
                    let map = WindowMap {
                        text: &shown,
                        start: bytes.start,
                    };
                    self.store_cursor(ui.ctx(), id, map.range(cursor));
                }
                // Whether the text edit's cursor is the file's, exactly: then whatever the text
                // edit reports is the truth. A cursor outside the window was clamped into it, and
                // counts only once the author moves it.
                let exact = self
                    .cursor
                    .is_none_or(|(a, b)| self.holds(a) && self.holds(b));

                let window_marks: Vec<Mark> = marks
                    .iter()
                    .filter(|m| m.end >= bytes.start && m.start <= bytes.end)
                    .map(|m| Mark {
                        start: m.start.max(bytes.start) - bytes.start,
                        end: m.end.clamp(bytes.start, bytes.end) - bytes.start,
                        error: m.error,
                    })
                    .collect();
                let cache = &mut self.cache;
                let mut layouter = |ui: &egui::Ui, buffer: &dyn egui::TextBuffer, _wrap: f32| {
                    let source = buffer.as_str();
                    let key = text_hash(source, &window_marks, visuals.dark_mode, font.size);
                    let job = match cache {
                        Some((cached, job)) if *cached == key => job.clone(),
                        _ => {
                            let job = layout_job_lines(
                                source,
                                &window_marks,
                                &visuals,
                                &font,
                                0..usize::MAX,
                            );
                            *cache = Some((key, job.clone()));
                            job
                        }
                    };
                    ui.fonts_mut(|f| f.layout_job(job))
                };
                let top = ui.max_rect().top();
                ui.set_min_height(inset * 2.0 + pitch * total as f32);
                let offset = pitch * window.start as f32;
                let place = egui::Rect::from_min_max(
                    egui::pos2(ui.max_rect().left(), top + offset),
                    egui::pos2(
                        ui.max_rect().right(),
                        top + offset + pitch * (window.len().max(30) + 2) as f32 + inset * 2.0,
                    ),
                );
                let (output, lines) = ui
                    .scope_builder(egui::UiBuilder::new().max_rect(place), |ui| {
                        ui.horizontal_top(|ui| {
                            ui.add_space(gutter);
                            let output = egui::TextEdit::multiline(&mut shown)
                                .id(id)
                                .code_editor()
                                .desired_width(f32::INFINITY)
                                .desired_rows(30)
                                .lock_focus(true)
                                .layouter(&mut layouter)
                                .show(ui);
                            // Named by the heading above it, for screen readers and tests.
                            let _ = output.response.response.clone().labelled_by(label);
                            let lines =
                                paint_line_numbers(ui, &output, gutter, &font, window.start);
                            (output, lines)
                        })
                        .inner
                    })
                    .inner;
                let rows = &output.galley.rows;
                if rows.len() >= 2 {
                    let measured =
                        (rows[rows.len() - 1].pos.y - rows[0].pos.y) / (rows.len() - 1) as f32;
                    self.pitch = Some(measured);
                }
                self.inset = output.galley_pos.y - (top + offset);
                let map = WindowMap {
                    text: &shown,
                    start: bytes.start,
                };
                // Scrolled from the galley, not from the text edit's cursor: the text edit only
                // reports a cursor while it has the keyboard, which a click on a problem has
                // just taken away from it.
                if let (Some(_), Some((primary, _))) = (reveal, self.cursor) {
                    let at = output
                        .galley
                        .pos_from_cursor(CCursor::new(map.char_at(primary)));
                    let rect = at.translate(output.galley_pos.to_vec2()).expand(40.0);
                    ui.scroll_to_rect_animation(
                        rect,
                        Some(egui::Align::Center),
                        egui::style::ScrollAnimation::none(),
                    );
                }
                let edited = output.response.response.changed() && shown != before;
                let reported = output.state.cursor.char_range();
                if (edited || exact || reported != self.stored)
                    && let Some(range) = reported
                {
                    let cursor_before = self.cursor.unwrap_or((bytes.start, bytes.start));
                    self.cursor = Some(map.bytes(&range));
                    if edited {
                        let edit = Edit::between(&before, &shown).shifted(bytes.start);
                        let now = ui.input(|i| i.time);
                        self.history.record(
                            edit,
                            cursor_before,
                            self.cursor.unwrap_or_default(),
                            now,
                        );
                    }
                }
                self.stored = reported;
                if edited {
                    text.replace_range(bytes.clone(), &shown);
                    let added = shown.matches('\n').count();
                    let gone = before.matches('\n').count();
                    self.seen.clone_from(text);
                    self.starts = line_starts(text);
                    self.window = window.start..(window.end + added).saturating_sub(gone);
                    self.window_bytes = bytes.start..bytes.start + shown.len();
                    changed = true;
                }
                (output, lines, reveal)
            });
        let (_output, (first_line, last_line), reveal) = scrolled.inner;
        if jump.is_some() {
            // Asked for after the text edit has been shown, so it holds into the next frame.
            // Asked for before, it would be lost at once: a pointer click anywhere else (the
            // problem row that asked for the jump) makes egui take the keyboard away from a
            // widget that has it while that widget is shown.
            ui.memory_mut(|m| m.request_focus(id));
            ui.ctx().request_repaint();
        }
        if reveal.is_some() {
            ui.ctx().request_repaint();
        }
        let cursor = self.cursor.map(|(primary, _)| primary.min(text.len()));
        let selection = self.cursor.map(|(a, b)| {
            let (a, b) = (a.min(text.len()), b.min(text.len()));
            a.min(b)..a.max(b)
        });
        CodeOutput {
            changed,
            cursor,
            selection,
            view: EditorView {
                scroll: scrolled.state.clamped_offset().y,
                first_line,
                last_line,
            },
        }
    }

    /// Whether a byte of the file is in the text edit's window (its end included).
    fn holds(&self, byte: usize) -> bool {
        self.window_bytes.contains(&byte) || byte == self.window_bytes.end
    }

    /// Keeps the window on the lines in view (or, to reveal a byte, on the lines around it),
    /// moving it only once they come within a quarter margin of its edge.
    fn follow(
        &mut self,
        ctx: &egui::Context,
        id: egui::Id,
        text: &str,
        in_view: &std::ops::Range<usize>,
        reveal: Option<usize>,
    ) {
        let total = self.starts.len();
        let wanted = match reveal {
            Some(byte) => {
                let line = self.starts.partition_point(|&s| s <= byte.min(text.len())) - 1;
                let half = in_view.len() / 2 + 1;
                line.saturating_sub(half)..(line + half).min(total)
            }
            None => in_view.clone(),
        };
        let slack = MARGIN_LINES / 4;
        let fits = (self.window.start == 0 || wanted.start >= self.window.start + slack)
            && (self.window.end >= total || wanted.end + slack <= self.window.end)
            // Grown for a selection: back to the view's size once that is done.
            && self.window.len() <= wanted.len() + 4 * MARGIN_LINES;
        if self.window.is_empty() || self.window.end > total || !fits {
            let window =
                wanted.start.saturating_sub(MARGIN_LINES)..(wanted.end + MARGIN_LINES).min(total);
            self.set_window(ctx, id, text, window);
        }
    }

    /// Moves the text edit's window to lines `window` and gives it the file's cursor there.
    fn set_window(
        &mut self,
        ctx: &egui::Context,
        id: egui::Id,
        text: &str,
        window: std::ops::Range<usize>,
    ) {
        self.window_bytes = window_bytes(&self.starts, text.len(), &window);
        self.window = window;
        self.cache = None;
        let bytes = self.window_bytes.clone();
        let map = WindowMap {
            text: &text[bytes.clone()],
            start: bytes.start,
        };
        match self.cursor {
            Some(cursor) => self.store_cursor(ctx, id, map.range(cursor)),
            None => self.stored = None,
        }
    }

    /// Puts a cursor (in the window's characters) into the text edit's state.
    fn store_cursor(&mut self, ctx: &egui::Context, id: egui::Id, range: CCursorRange) {
        let mut state = egui::text_edit::TextEditState::load(ctx, id).unwrap_or_default();
        state.cursor.set_char_range(Some(range));
        state.store(ctx, id);
        self.stored = Some(range);
    }
}

/// Numbers the lines in the gutter; returns the first and last line drawn (1-based, in the
/// whole file). The galley holds the lines from `first` (0-based) on.
fn paint_line_numbers(
    ui: &egui::Ui,
    output: &egui::text_edit::TextEditOutput,
    gutter: f32,
    font: &FontId,
    first: usize,
) -> (usize, usize) {
    let mut shown = (0, 0);
    let painter = ui.painter();
    let clip = ui.clip_rect();
    let colour = ui.visuals().weak_text_color();
    let right = output.galley_pos.x - 8.0;
    let mut line = first + 1;
    let mut starts_line = true;
    for row in &output.galley.rows {
        let top = output.galley_pos.y + row.pos.y;
        let rect = egui::Rect::from_min_size(
            egui::pos2(right - gutter, top),
            egui::vec2(gutter, row.rect().height()),
        );
        if starts_line && rect.intersects(clip) {
            if shown.0 == 0 {
                shown.0 = line;
            }
            shown.1 = line;
            painter.text(
                egui::pos2(right, top),
                egui::Align2::RIGHT_TOP,
                line.to_string(),
                font.clone(),
                colour,
            );
        }
        if row.ends_with_newline {
            line += 1;
            starts_line = true;
        } else {
            starts_line = false;
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "tree t \"T\"\n  start: a\n\nnode a \"A\"\n  say \"Hi {name}\" # greet\n  end resolved\n";

    /// The colour and underline of every byte in `range`.
    fn colours(job: &LayoutJob, range: std::ops::Range<usize>) -> Vec<(Color32, Stroke)> {
        range
            .filter_map(|byte| {
                job.sections
                    .iter()
                    .find(|s| s.byte_range.start.0 <= byte && byte < s.byte_range.end.0)
                    .map(|s| (s.format.color, s.format.underline))
            })
            .collect()
    }

    #[test]
    fn the_lines_coloured_look_as_in_the_whole_text_and_the_rest_is_plain() {
        let visuals = egui::Visuals::light();
        let font = FontId::monospace(12.0);
        let marks = [Mark {
            start: 40,
            end: 44,
            error: true,
        }];
        let whole = layout_job_lines(TEXT, &marks, &visuals, &font, 0..usize::MAX);
        let part = layout_job_lines(TEXT, &marks, &visuals, &font, 3..5);
        let lines = line_bytes(TEXT, &(3..5));
        assert_eq!(
            &TEXT[lines.clone()],
            "node a \"A\"\n  say \"Hi {name}\" # greet\n"
        );
        assert_eq!(
            colours(&part, lines.clone()),
            colours(&whole, lines.clone())
        );
        assert!(
            colours(&whole, lines.clone())
                .iter()
                .any(|c| c.1 != Stroke::NONE)
        );
        // Before and after the window: one plain section each, no underline.
        let plain = Palette::for_visuals(&visuals).plain;
        let sections: Vec<(usize, usize)> = part
            .sections
            .iter()
            .map(|s| (s.byte_range.start.0, s.byte_range.end.0))
            .collect();
        assert_eq!(sections.first(), Some(&(0, lines.start)));
        assert_eq!(sections.last(), Some(&(lines.end, TEXT.len())));
        assert!(
            colours(&part, 0..lines.start)
                .iter()
                .chain(&colours(&part, lines.end..TEXT.len()))
                .all(|c| *c == (plain, Stroke::NONE))
        );
        // A window past the end colours nothing and does not panic.
        let beyond = layout_job_lines(TEXT, &marks, &visuals, &font, 50..90);
        assert_eq!(beyond.sections.len(), 1);
    }

    #[test]
    fn a_window_is_whole_lines_without_the_last_line_break() {
        let text = "ab\ncd\n\nef";
        let starts = line_starts(text);
        assert_eq!(starts, [0, 3, 6, 7]);
        assert_eq!(&text[window_bytes(&starts, text.len(), &(1..3))], "cd\n");
        assert_eq!(&text[window_bytes(&starts, text.len(), &(0..1))], "ab");
        assert_eq!(&text[window_bytes(&starts, text.len(), &(2..4))], "\nef");
        assert_eq!(window_bytes(&starts, text.len(), &(9..12)), 9..9);
        // A text ending in a line break ends in an empty line, as the text edit shows it.
        assert_eq!(line_starts("a\n"), [0, 2]);
    }

    #[test]
    fn an_edit_is_what_lies_between_the_common_start_and_end() {
        let edit = Edit::between("node a\nnode b\n", "node a\nnode xb\n");
        assert_eq!(
            (edit.at, edit.removed.as_str(), edit.inserted.as_str()),
            (12, "", "x")
        );
        // Repeated letters: the common end must not overlap the common start.
        let edit = Edit::between("aaa", "aaaa");
        assert_eq!(
            (edit.at, edit.removed.as_str(), edit.inserted.as_str()),
            (3, "", "a")
        );
        let edit = Edit::between("é", "è");
        assert_eq!((edit.removed.as_str(), edit.inserted.as_str()), ("é", "è"));
        let mut text = String::from("xx é yy");
        let edit = Edit::between("é", "è").shifted(3);
        assert!(edit.apply(&mut text, true));
        assert_eq!(text, "xx è yy");
        assert!(edit.apply(&mut text, false));
        assert_eq!(text, "xx é yy");
        // Taken back from a text it was not made on: refused, nothing changed.
        assert!(!edit.apply(&mut text, false));
        assert_eq!(text, "xx é yy");
    }

    #[test]
    fn typing_is_undone_as_one_step_and_pauses_split_it() {
        let mut history = History::default();
        let mut text = String::from("node a\n");
        for (i, c) in "bc".chars().enumerate() {
            let before = text.clone();
            text.insert(6 + i, c);
            history.record(
                Edit::between(&before, &text),
                (6 + i, 6 + i),
                (7 + i, 7 + i),
                i as f64 * 0.2,
            );
        }
        let before = text.clone();
        text.insert(8, 'd');
        history.record(Edit::between(&before, &text), (8, 8), (9, 9), 5.0);
        assert_eq!(text, "node abcd\n");
        assert_eq!(history.undo(&mut text), Some((8, 8)));
        assert_eq!(text, "node abc\n");
        assert_eq!(history.undo(&mut text), Some((6, 6)));
        assert_eq!(text, "node a\n");
        assert_eq!(history.undo(&mut text), None);
        assert_eq!(history.redo(&mut text), Some((8, 8)));
        assert_eq!(text, "node abc\n");
        // A text changed behind the history's back is left alone, and the history dropped.
        text.clear();
        assert_eq!(history.undo(&mut text), None);
        assert_eq!(history.redo(&mut text), None);
        assert_eq!(text, "");
    }

    #[test]
    fn window_characters_map_to_file_bytes_and_back() {
        let map = WindowMap {
            text: "dé\nf",
            start: 10,
        };
        assert_eq!(map.char_at(10), 0);
        assert_eq!(map.char_at(11), 1);
        assert_eq!(map.char_at(13), 2);
        assert_eq!(map.byte_at(2), 13);
        assert_eq!(map.byte_at(9), 15);
        // Bytes outside the window are clamped to its ends.
        assert_eq!(map.char_at(2), 0);
        assert_eq!(map.char_at(99), 4);
    }
}
