//! Byte spans into a source text, and the line index that turns them into lines and columns.

use serde::Serialize;

/// A half-open byte range `start..end` into one source text.
///
/// Spans are byte offsets so that slicing the source is free; hosts that show positions to a
/// person convert them with a [`LineIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: saturate(start),
            end: saturate(end.max(start)),
        }
    }

    /// An empty span at one position, for "something is missing here" diagnostics.
    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The byte range, ready to index the source text with.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Moves a span that was measured from `base` so it is measured from the start of the file.
    pub(crate) fn shifted(self, base: usize) -> Span {
        let base = saturate(base);
        Span {
            start: self.start.saturating_add(base),
            end: self.end.saturating_add(base),
        }
    }

    /// Moves a span `by` bytes towards the start of the file: text before it got shorter.
    pub(crate) fn shifted_back(self, by: usize) -> Span {
        let by = saturate(by);
        Span {
            start: self.start.saturating_sub(by),
            end: self.end.saturating_sub(by),
        }
    }
}

/// Whether a byte continues a UTF-8 character rather than starting one.
fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Files over 4 GiB are refused long before they get here; saturating keeps the arithmetic total.
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A position a person reads: 1-based line, 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Maps byte offsets of one text to lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts; the first entry is always 0.
    line_starts: Vec<u32>,
    /// How many characters come before each block of `CHAR_BLOCK` bytes, so a column on a
    /// long line costs at most one block of counting, not the whole line.
    chars_before_block: Vec<u32>,
    text: String,
}

/// Bytes per entry of `LineIndex::chars_before_block`.
const CHAR_BLOCK: usize = 1024;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let mut chars_before_block = Vec::with_capacity(text.len() / CHAR_BLOCK + 1);
        let mut chars = 0usize;
        for (i, byte) in text.bytes().enumerate() {
            if i % CHAR_BLOCK == 0 {
                chars_before_block.push(saturate(chars));
            }
            if byte == b'\n' {
                line_starts.push(saturate(i + 1));
            }
            if !is_continuation(byte) {
                chars += 1;
            }
        }
        LineIndex {
            line_starts,
            chars_before_block,
            text: text.to_owned(),
        }
    }

    /// Characters in the text before byte `offset`, which is on a character boundary.
    fn chars_before(&self, offset: usize) -> usize {
        // The end of a text whose length is a multiple of the block has no block of its own.
        let block = (offset / CHAR_BLOCK).min(self.chars_before_block.len().saturating_sub(1));
        let counted = self
            .chars_before_block
            .get(block)
            .map_or(0, |&n| n as usize);
        let from = (block * CHAR_BLOCK).min(offset);
        counted
            + self.text.as_bytes()[from..offset]
                .iter()
                .filter(|b| !is_continuation(**b))
                .count()
    }

    /// The byte offset at which a 1-based line starts (the end of the text past the last).
    pub fn line_start(&self, line: u32) -> usize {
        let index = (line as usize).saturating_sub(1);
        self.line_starts
            .get(index)
            .map_or(self.text.len(), |&start| start as usize)
    }

    /// The line (0-based) that holds `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// 1-based line and character column of a byte offset; offsets past the end clamp to it.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(saturate(self.text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(end) - self.chars_before(start);
        LineCol {
            line: saturate(line + 1),
            column: saturate(column + 1),
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next as usize);
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let index = LineIndex::new("node café\n  say \"é\"\n");
        assert_eq!(index.line_col(0), LineCol { line: 1, column: 1 });
        // `é` is two bytes; the closing quote after it is still column 9 of line 2.
        let quote = "node café\n  say \"é".len() as u32;
        assert_eq!(index.line_col(quote), LineCol { line: 2, column: 9 });
        assert_eq!(index.line_text(2), "  say \"é\"");
        assert_eq!(index.line_text(9), "");
    }

    #[test]
    fn columns_on_long_lines_count_every_character() {
        let line = "aé\u{1F600}b".repeat(700);
        let text = format!("first\n{line}\nlast");
        let index = LineIndex::new(&text);
        let start = index.line_start(2);
        assert_eq!(start, "first\n".len());
        for (offset, _) in text.char_indices() {
            let naive = text[text[..offset].rfind('\n').map_or(0, |n| n + 1)..offset]
                .chars()
                .count();
            assert_eq!(index.line_col(offset as u32).column as usize, naive + 1);
        }
    }

    #[test]
    fn offsets_past_the_end_clamp() {
        let index = LineIndex::new("ab");
        assert_eq!(index.line_col(99), LineCol { line: 1, column: 3 });
        let whole_block = "x".repeat(CHAR_BLOCK);
        let index = LineIndex::new(&whole_block);
        assert_eq!(index.line_col(u32::MAX).column as usize, CHAR_BLOCK + 1);
        assert_eq!(
            LineIndex::new("").line_col(5),
            LineCol { line: 1, column: 1 }
        );
    }
}
