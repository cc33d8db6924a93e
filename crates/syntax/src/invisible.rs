//! Characters a reader cannot see: they render as nothing, look like an ordinary space, or
//! reorder the text around them. In a reviewed script they can hide or disguise what an agent
//! will read (a "Trojan Source" change), so the formatter writes them as `\u{...}` escapes
//! and the parser warns about raw ones in text.

/// Whether `c` is invisible or misleading when shown: a control character other than a new
/// line or tab, a bidirectional control, a zero-width or joining character, a space other
/// than the plain one, a soft hyphen, a byte-order mark, or a tag character.
pub fn is_invisible(c: char) -> bool {
    if c.is_control() {
        return !matches!(c, '\n' | '\t');
    }
    matches!(
        c,
        '\u{00A0}' // no-break space
            | '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{061C}' // Arabic letter mark
            | '\u{115F}'..='\u{1160}' // Hangul fillers
            | '\u{17B4}'..='\u{17B5}' // Khmer inherent vowels
            | '\u{180E}' // Mongolian vowel separator
            | '\u{2000}'..='\u{200F}' // spaces of other widths, zero-width characters, marks
            | '\u{2028}'..='\u{202F}' // line and paragraph separators, embeddings, overrides
            | '\u{205F}'..='\u{206F}' // medium space, invisible operators, isolates
            | '\u{3000}' // ideographic space
            | '\u{3164}' // Hangul filler
            | '\u{FEFF}' // byte-order mark
            | '\u{FFA0}' // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// A name for the invisible characters authors meet most, for messages.
pub fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "no-break space",
        '\u{00AD}' => "soft hyphen",
        '\u{200B}' => "zero-width space",
        '\u{200C}' => "zero-width non-joiner",
        '\u{200D}' => "zero-width joiner",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2066}'..='\u{2069}' => "bidirectional isolate",
        '\u{FEFF}' => "byte-order mark",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test whose setup fails should fail loudly"
    )]

    use super::is_invisible;

    /// Issue 14: `fmt` turned `\u{200B}`, `\u{202E}` and `\u{00A0}` escapes into the raw
    /// characters, which a reviewer of the formatted diff cannot see.
    #[test]
    fn the_formatter_keeps_hidden_characters_as_escapes() {
        let source = "tree t \"T\"\n  start: a\n\nnode a\n  \
                      say \"x\\u{200B}y \\u{202E}z\\u{a0}w \u{2066}raw\"\n  end resolved\n";
        let (file, diagnostics) = crate::parse(source);
        let formatted = crate::format(&file);
        assert!(
            formatted.contains(r#"say "x\u{200b}y \u{202e}z\u{a0}w \u{2066}raw""#),
            "{formatted}"
        );
        // Only the raw one is warned about; the escapes say what they are.
        let hidden: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.code == crate::codes::HIDDEN_CHARACTER)
            .collect();
        assert_eq!(hidden.len(), 1, "{diagnostics:?}");
    }

    #[test]
    fn hidden_characters_are_told_apart_from_visible_ones() {
        for c in [
            '\u{200B}', '\u{202E}', '\u{00A0}', '\u{2066}', '\u{FEFF}', '\u{1B}',
        ] {
            assert!(is_invisible(c), "{:?}", c);
        }
        for c in ['a', ' ', '\n', '\t', 'é', '日', '😀', '\u{0627}'] {
            assert!(!is_invisible(c), "{:?}", c);
        }
    }
}
