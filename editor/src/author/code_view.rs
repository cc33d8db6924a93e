//! The code editor: a `.tree` file with syntax colours, line numbers, and the spans of
//! problems underlined. Colouring is lexical (it works on half-typed lines) and is cached by
//! text, so a frame without an edit costs a hash, not a re-colouring.
//!
//! Only the lines on screen (and a margin around them) are coloured: the rest of the text is
//! one plain section, which egui lays out once per line and keeps. A keystroke in a file of
//! 40,000 lines so colours about two hundred of them, and egui lays out the one that changed.
//! Scrolled past the margin, the newly shown lines are coloured in the next frame.

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

/// Lines coloured beyond those on screen, above and below, so that scrolling a little shows
/// coloured text at once.
const MARGIN_LINES: usize = 80;

/// The cached colouring of the text last shown.
#[derive(Default)]
pub struct CodeView {
    cache: Option<(u64, LayoutJob)>,
    /// The lines (0-based, end excluded) that are coloured; the rest is plain.
    window: std::ops::Range<usize>,
    /// A jump's selection, waiting for the text edit to have the keyboard: egui collapses the
    /// selection of a text edit without focus, and a jump is asked for from elsewhere (a
    /// problem row, a graph node) that has the focus in that frame. Dropped when it is stale.
    pending: Option<PendingSelection>,
}

#[derive(Debug, Clone, Copy)]
struct PendingSelection {
    range: CCursorRange,
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

fn text_hash(
    text: &str,
    marks: &[Mark],
    dark: bool,
    size: f32,
    window: &std::ops::Range<usize>,
) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    marks.hash(&mut hasher);
    dark.hash(&mut hasher);
    size.to_bits().hash(&mut hasher);
    window.hash(&mut hasher);
    hasher.finish()
}

impl CodeView {
    /// Shows the editor. `jump` selects a byte range (the cursor at its start) and scrolls to
    /// it: a jump to a problem shows exactly the text the problem is about.
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
        // The cursor a jump asks for, in characters, as the text edit counts.
        let jump_chars = jump.map(|range| {
            let start = floor_boundary(text, range.start);
            let end = floor_boundary(text, range.end.max(start));
            let chars = text[..start].chars().count();
            let end_chars = chars + text[start..end].chars().count();
            let mut state = egui::text_edit::TextEditState::load(ui.ctx(), id).unwrap_or_default();
            state
                .cursor
                .set_char_range(Some(CCursorRange::one(CCursor::new(chars))));
            state.store(ui.ctx(), id);
            // The cursor stays at the start, so F8 moves on from there to the next problem.
            self.pending = Some(PendingSelection {
                range: CCursorRange {
                    primary: CCursor::new(chars),
                    secondary: CCursor::new(end_chars),
                    h_pos: None,
                },
                frames: 3,
            });
            chars
        });
        if let Some(pending) = self.pending.take() {
            if ui.memory(|m| m.has_focus(id)) {
                let mut state =
                    egui::text_edit::TextEditState::load(ui.ctx(), id).unwrap_or_default();
                state.cursor.set_char_range(Some(pending.range));
                state.store(ui.ctx(), id);
            } else if pending.frames > 0 {
                self.pending = Some(PendingSelection {
                    frames: pending.frames - 1,
                    ..pending
                });
            }
        }
        let gutter_digits = text.lines().count().max(1).to_string().len().max(3);
        let gutter = ui.fonts_mut(|f| f.glyph_width(&font, '0')) * gutter_digits as f32 + 12.0;
        if self.window.is_empty() {
            self.window = 0..2 * MARGIN_LINES;
        }
        let cache = &mut self.cache;
        let window = self.window.clone();
        let visuals = ui.visuals().clone();
        let mut layouter = |ui: &egui::Ui, buffer: &dyn egui::TextBuffer, _wrap: f32| {
            let source = buffer.as_str();
            let key = text_hash(source, marks, visuals.dark_mode, font.size, &window);
            let job = match cache {
                Some((cached, job)) if *cached == key => job.clone(),
                _ => {
                    let job = layout_job_lines(source, marks, &visuals, &font, window.clone());
                    *cache = Some((key, job.clone()));
                    job
                }
            };
            ui.fonts_mut(|f| f.layout_job(job))
        };
        let scrolled = egui::ScrollArea::both()
            .id_salt(id.with("scroll"))
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    ui.add_space(gutter);
                    let output = egui::TextEdit::multiline(text)
                        .id(id)
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .desired_rows(30)
                        .lock_focus(true)
                        .layouter(&mut layouter)
                        .show(ui);
                    // Named by the heading above it, for screen readers and tests.
                    let _ = output.response.response.clone().labelled_by(label);
                    let lines = paint_line_numbers(ui, &output, gutter, &font);
                    // Scrolled from the galley, not from the text edit's cursor: the text
                    // edit only reports a cursor while it has the keyboard, which a click on
                    // a problem has just taken away from it.
                    if let Some(chars) = jump_chars {
                        let at = output.galley.pos_from_cursor(CCursor::new(chars));
                        let rect = at.translate(output.galley_pos.to_vec2()).expand(40.0);
                        ui.scroll_to_rect_animation(
                            rect,
                            Some(egui::Align::Center),
                            egui::style::ScrollAnimation::none(),
                        );
                    }
                    (output, lines)
                })
                .inner
            });
        let (output, (first_line, last_line)) = scrolled.inner;
        // Lines now on screen that are not coloured: colour around them next frame.
        let shown = first_line.saturating_sub(1)..last_line;
        if first_line > 0 && (shown.start < self.window.start || shown.end > self.window.end) {
            self.window = shown.start.saturating_sub(MARGIN_LINES)..shown.end + MARGIN_LINES;
            ui.ctx().request_repaint();
        }
        if jump_chars.is_some() {
            // Asked for after the text edit has been shown, so it holds into the next frame.
            // Asked for before, it would be lost at once: a pointer click anywhere else (the
            // problem row that asked for the jump) makes egui take the keyboard away from a
            // widget that has it while that widget is shown.
            ui.memory_mut(|m| m.request_focus(id));
            ui.ctx().request_repaint();
        }
        // The stored cursor outlives focus: after a click elsewhere it is still where it was.
        let byte_at = |chars: usize| {
            text.char_indices()
                .nth(chars)
                .map_or(text.len(), |(byte, _)| byte)
        };
        let range = output.state.cursor.char_range();
        let cursor = range.map(|range| byte_at(range.primary.index.0));
        let selection = range.map(|range| {
            let [a, b] = [range.primary.index.0, range.secondary.index.0].map(byte_at);
            a.min(b)..a.max(b)
        });
        CodeOutput {
            changed: output.response.response.changed(),
            cursor,
            selection,
            view: EditorView {
                scroll: scrolled.state.clamped_offset().y,
                first_line,
                last_line,
            },
        }
    }
}

/// Numbers the lines in the gutter; returns the first and last line drawn.
fn paint_line_numbers(
    ui: &egui::Ui,
    output: &egui::text_edit::TextEditOutput,
    gutter: f32,
    font: &FontId,
) -> (usize, usize) {
    let mut shown = (0, 0);
    let painter = ui.painter();
    let clip = ui.clip_rect();
    let colour = ui.visuals().weak_text_color();
    let right = output.galley_pos.x - 8.0;
    let mut line = 1;
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
}
