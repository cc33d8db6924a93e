//! Byte offsets (what spans are) to LSP positions and back, in the encoding agreed with the
//! client: UTF-16 code units by default, bytes when the client offers `utf-8`.
//!
//! A position past the end of its line means the end of the line (as the protocol says); a
//! line past the end of the text is refused, since the client and the server disagree about
//! the document.

use calltree_syntax::Span;
use lsp_types::{Position, Range};

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The start of every line of one text.
#[derive(Debug, Clone)]
pub struct LineMap {
    starts: Vec<usize>,
    encoding: Encoding,
}

/// A position whose line is not in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastTheEnd {
    pub line: u32,
    pub lines: usize,
}

impl LineMap {
    pub fn new(text: &str, encoding: Encoding) -> LineMap {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { starts, encoding }
    }

    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The position of byte `offset` (moved back to a character boundary, and to the end of
    /// the text when past it).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let before = &text[self.starts[line]..offset];
        let column = match self.encoding {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.chars().map(char::len_utf16).sum(),
        };
        Position::new(saturate(line), saturate(column))
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start as usize),
            self.position(text, span.end as usize),
        )
    }

    /// The byte offset of a position. A column past the line's end is the line's end; a
    /// column inside a character (half a surrogate pair, a byte inside UTF-8) is its start.
    pub fn offset(&self, text: &str, position: Position) -> Result<usize, PastTheEnd> {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return Err(PastTheEnd {
                line: position.line,
                lines: self.lines(),
            });
        };
        let end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&next| next - 1);
        let content = text.get(start..end).unwrap_or("");
        let content = content.strip_suffix('\r').unwrap_or(content);
        let wanted = position.character as usize;
        let mut units = 0;
        for (index, c) in content.char_indices() {
            let width = match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units + width > wanted {
                return Ok(start + index);
            }
            units += width;
        }
        Ok(start + content.len())
    }

    /// Like [`LineMap::offset`], with a line past the end meaning the end of the text: for
    /// edits, where the protocol lets a range end there.
    pub fn offset_clamped(&self, text: &str, position: Position) -> usize {
        self.offset(text, position).unwrap_or(text.len())
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    const TEXT: &str = "node café\r\n  say \"😀 x\"\nlast";

    #[test]
    fn columns_in_each_encoding() {
        let utf16 = LineMap::new(TEXT, Encoding::Utf16);
        let utf8 = LineMap::new(TEXT, Encoding::Utf8);
        let x = TEXT.find(" x").unwrap() + 1;
        assert_eq!(utf16.position(TEXT, x), Position::new(1, 10));
        assert_eq!(utf8.position(TEXT, x), Position::new(1, 12));
        assert_eq!(utf16.offset(TEXT, Position::new(1, 10)), Ok(x));
        assert_eq!(utf8.offset(TEXT, Position::new(1, 12)), Ok(x));
        // Half of the emoji's surrogate pair is the emoji.
        let emoji = TEXT.find('😀').unwrap();
        assert_eq!(utf16.offset(TEXT, Position::new(1, 8)), Ok(emoji));
        // `é` is one unit in UTF-16 and two bytes.
        assert_eq!(utf16.position(TEXT, 10), Position::new(0, 9));
        assert_eq!(utf8.position(TEXT, 10), Position::new(0, 10));
    }

    #[test]
    fn out_of_range() {
        let map = LineMap::new(TEXT, Encoding::Utf16);
        // Past the end of a line is its end, before the `\r`.
        assert_eq!(
            map.offset(TEXT, Position::new(0, 99)),
            Ok(TEXT.find('\r').unwrap())
        );
        assert_eq!(map.offset(TEXT, Position::new(2, 99)), Ok(TEXT.len()));
        assert_eq!(
            map.offset(TEXT, Position::new(3, 0)),
            Err(PastTheEnd { line: 3, lines: 3 })
        );
        assert_eq!(map.offset_clamped(TEXT, Position::new(9, 9)), TEXT.len());
        assert_eq!(map.position(TEXT, 9999), Position::new(2, 4));
        // Inside `é`: back to its start.
        assert_eq!(map.position(TEXT, 9), Position::new(0, 8));
    }
}
