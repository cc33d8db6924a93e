//! The customer's words of a right-to-left call (Hebrew, Arabic) as right-to-left paragraphs.
//!
//! egui shapes a run of Hebrew or Arabic right to left but lays a line out left to right in
//! logical order, with no bidirectional algorithm: a sentence's final `?` lands on its right
//! and the line hugs the left edge. Here the Unicode bidirectional algorithm (`unicode-bidi`)
//! resolves each line with a right-to-left base direction and the line is handed to egui as
//! pieces in visual order, each piece small enough that egui's shaping cannot misplace it,
//! right-aligned. What screen readers (AccessKit) get stays the logical text.

use std::ops::Range;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Response, Role, Sense, WidgetInfo};
use unicode_bidi::{BidiClass, ParagraphBidiInfo, RTL_LEVEL, bidi_class};

/// Whether a text holds a right-to-left letter: one that does not (an untranslated line, a
/// code) keeps the ordinary left-to-right label.
pub(super) fn has_right_to_left(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(bidi_class(c), BidiClass::R | BidiClass::AL))
}

/// Letters that stay together in one piece of a right-to-left run: egui shapes such a piece
/// right to left itself (Arabic letters join inside it). Marks and joiners stay with them.
fn joins(c: char) -> bool {
    matches!(
        bidi_class(c),
        BidiClass::R | BidiClass::AL | BidiClass::NSM | BidiClass::BN
    )
}

/// A paired punctuation mark drawn in a right-to-left run shows its mirror image.
fn mirrored(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '«' => '»',
        '»' => '«',
        '‹' => '›',
        '›' => '‹',
        other => other,
    }
}

/// The pieces of one line of a paragraph (`line`, a byte range of `text` without a line
/// break), from left to right as they are seen, the paragraph's base direction being right
/// to left. A left-to-right run (a number, a Latin word) is one piece in its own order; a
/// right-to-left run is cut into its words and each of its other characters, put in reverse
/// order, each word still in logical order (the shaper draws it right to left).
pub(super) fn visual_pieces(text: &str, line: Range<usize>) -> Vec<String> {
    let info = ParagraphBidiInfo::new(text, Some(RTL_LEVEL));
    let (levels, runs) = info.visual_runs(line);
    let mut pieces = Vec::new();
    for run in runs {
        let Some(run_text) = text.get(run.clone()) else {
            continue;
        };
        let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
        if !rtl {
            pieces.push(run_text.to_owned());
            continue;
        }
        let mut backwards: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in run_text.chars() {
            if joins(c) {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                backwards.push(std::mem::take(&mut word));
            }
            backwards.push(mirrored(c).to_string());
        }
        if !word.is_empty() {
            backwards.push(word);
        }
        pieces.extend(backwards.into_iter().rev());
    }
    pieces
}

/// A right-to-left paragraph: wrapped to the width available in logical order (as egui
/// breaks lines), each line put in visual order, right-aligned. Its accessible label is the
/// logical text, so screen readers read it and tests find it as written.
pub(super) fn paragraph(ui: &mut egui::Ui, text: &str, font: FontId, color: Color32) -> Response {
    let width = ui.available_width();
    let job = visual_job(ui, text, font, color, width);
    let galley = ui.fonts_mut(|f| f.layout_job(job));
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width, galley.size().y), Sense::hover());
    ui.painter().galley(rect.right_top(), galley, color);
    let enabled = ui.is_enabled();
    response.widget_info(|| WidgetInfo::labeled(Role::Label, enabled, text));
    response
}

/// One line (a header's title, a button's text) in visual order, laid out from the left as
/// egui widgets expect; the caller gives the widget the logical text as its label.
pub(super) fn visual_line(ui: &egui::Ui, text: &str, font: FontId, color: Color32) -> LayoutJob {
    let mut job = visual_job(ui, text, font, color, f32::INFINITY);
    job.halign = egui::Align::LEFT;
    job
}

/// The lines of `text` as they fit in `width`, each in visual order, right-aligned and not
/// wrapped again.
pub(super) fn visual_job(
    ui: &egui::Ui,
    text: &str,
    font: FontId,
    color: Color32,
    width: f32,
) -> LayoutJob {
    let format = TextFormat::simple(font.clone(), color);
    // Already broken into lines: egui must not wrap the visual order again.
    let mut job = LayoutJob {
        halign: egui::Align::RIGHT,
        wrap: egui::text::TextWrapping::no_max_width(),
        ..Default::default()
    };
    for (number, paragraph) in text.split('\n').enumerate() {
        if number > 0 {
            job.append("\n", 0.0, format.clone());
        }
        let logical = ui.fonts_mut(|f| f.layout(paragraph.to_owned(), font.clone(), color, width));
        let offsets: Vec<usize> = paragraph
            .char_indices()
            .map(|(at, _)| at)
            .chain([paragraph.len()])
            .collect();
        let mut first = 0;
        for (index, row) in logical.rows.iter().enumerate() {
            let last = (first + row.char_count_excluding_newline().0).min(offsets.len() - 1);
            let (Some(&start), Some(&end)) = (offsets.get(first), offsets.get(last)) else {
                break;
            };
            if index > 0 {
                job.append("\n", 0.0, format.clone());
            }
            for piece in visual_pieces(paragraph, start..end) {
                job.append(&piece, 0.0, format.clone());
            }
            first = last;
        }
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(text: &str) -> Vec<String> {
        visual_pieces(text, 0..text.len())
    }

    #[test]
    fn a_question_ends_at_the_left_and_its_words_run_right_to_left() {
        assert_eq!(
            seen("בן כמה המכשיר?"),
            ["?", "המכשיר", " ", "כמה", " ", "בן"]
        );
        // The Arabic question mark is a right-to-left letter: it stays with its word, which
        // the shaper draws right to left, so it ends up at the left too.
        assert_eq!(seen("كم عمر الجهاز؟"), ["الجهاز؟", " ", "عمر", " ", "كم"]);
    }

    #[test]
    fn a_number_keeps_its_digits_left_to_right() {
        assert_eq!(
            seen("גיל 125 חודשים."),
            [".", "חודשים", " ", "125", " ", "גיל"]
        );
        // The key that chooses an option, first in logical order, is seen at the right.
        assert_eq!(seen("1  באחריות"), ["באחריות", " ", " ", "1"]);
    }

    #[test]
    fn a_latin_word_stays_in_its_order_and_brackets_mirror() {
        assert_eq!(
            seen("הפעל (Wi-Fi Router) מחדש"),
            ["מחדש", " ", "(", "Wi-Fi Router", ")", " ", "הפעל"]
        );
    }

    #[test]
    fn each_line_of_a_wrapped_paragraph_is_ordered_alone() {
        let text = "שורה אחת שתיים";
        let split = "שורה ".len();
        assert_eq!(visual_pieces(text, 0..split), [" ", "שורה"]);
        assert_eq!(
            visual_pieces(text, split..text.len()),
            ["שתיים", " ", "אחת"]
        );
    }

    #[test]
    fn only_texts_with_right_to_left_letters_take_the_bidirectional_layout() {
        assert!(has_right_to_left("בן כמה"));
        assert!(has_right_to_left("عمر"));
        assert!(!has_right_to_left("How old is the device?"));
        assert!(!has_right_to_left("12"));
    }
}

#[cfg(test)]
mod wrapping {
    use super::*;

    /// A paragraph too long for its width comes out as several lines, each ordered alone:
    /// the first line holds the first words (as the reader starts at the top right), and no
    /// character is lost or repeated where egui broke the line.
    #[test]
    fn a_long_paragraph_is_broken_in_logical_order_then_each_line_ordered() {
        let text = "אחת שתיים שלוש ארבע חמש שש שבע שמונה תשע עשר";
        let mut job = None;
        let mut output = egui::Context::default().run_ui(egui::RawInput::default(), |ui| {
            job = Some(visual_job(
                ui,
                text,
                FontId::proportional(20.0),
                Color32::BLACK,
                120.0,
            ));
        });
        // Nothing draws the frame: its font textures are dropped on purpose.
        output.textures_delta.clear();
        let job = job.expect("the frame ran");
        let lines: Vec<&str> = job.text.split('\n').collect();
        assert!(lines.len() > 1, "{lines:?}");
        let mut seen: Vec<char> = job.text.chars().filter(|c| *c != '\n').collect();
        let mut written: Vec<char> = text.chars().collect();
        seen.sort_unstable();
        written.sort_unstable();
        assert_eq!(seen, written);
        // The first line ends (at its right) with the paragraph's first word.
        let first = lines[0].trim_end();
        assert!(first.ends_with("אחת"), "{first:?}");
        assert!(!lines[0].contains("עשר"), "{lines:?}");
    }
}
