//! Lexical colouring for editors: the text of a `.tree` file cut into coloured tokens.
//!
//! [`highlight`] never parses. It reads the bytes once, line by line, and decides each word's
//! colour from the words before it on the same line, so it works on files that are broken or
//! half typed, never fails and never panics. Tokens come back in order, do not overlap, and
//! start and end on character boundaries; whitespace between them is not covered.

use crate::Span;

/// One coloured piece of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
}

/// What a token is, for choosing its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A word of the language: `node`, `say`, `option`, `when`, `and`, `yes`, `required`...
    Keyword,
    /// The id of a tree, node or field where one is declared or named (`node welcome`,
    /// `ask account`, `call identity_check`), and a target after `->` or `start:`.
    Name,
    /// Quoted text, quotes and escapes included.
    Text,
    /// A `{field}` placeholder inside display text, braces included.
    Placeholder,
    Number,
    /// `->`, `==`, `<=`, `=`, `..`, `,`, `:`, `(`, `)`, `+`...
    Operator,
    /// `#` to the end of the line.
    Comment,
    /// A tree property at the start of a line, with its colon: `description:`, `tags:`.
    Property,
    /// `resolved`, `escalated`, `callback`, `transferred`, `abandoned`.
    Outcome,
    /// Anything else: field names in conditions, choice values, tags, stray characters.
    Plain,
}

/// Cuts `text` into coloured tokens. Works on any text; see the module documentation.
pub fn highlight(text: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        bytes: text.as_bytes(),
        tokens: Vec::with_capacity(text.len() / 5),
        line: Line::default(),
    };
    lexer.run();
    lexer.tokens
}

// ---------------------------------------------------------------- the words of the grammar

/// How a word is coloured, and what it says about the rest of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Keyword(Then),
    /// A tree property (`tags`, `start`...) when it is the first word of a line.
    Property(Then),
    Outcome(Then),
    /// `and`, `or`, `not` and the yes/no words: keywords inside conditions too.
    Expression,
}

/// What a keyword means for the words and quoted text after it on the same line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Nothing,
    /// The next word is a name being declared; quoted text after it is display text.
    Declare,
    /// The next word names a tree or node; quoted text after it is plain (`call`, `for`).
    Refer,
    /// The next word names a field, and a value follows (`set`, `answer`).
    Value,
    /// A comma-separated list of field names follows (`ask`).
    Names,
    /// Quoted text after it is display text, where `{field}` is a placeholder.
    Display,
    /// Quoted text after it is plain: a `{` there is just a brace.
    PlainText,
    /// The next quoted text is a regular expression, taken as written.
    Pattern,
    /// A condition follows.
    Condition,
    /// Tags follow; they may contain `-`.
    Tags,
}

/// Every word of `grammar.pest`, sorted by bytes for binary search. This is the one list the
/// highlighter knows; a test checks it against the grammar, so the two cannot drift apart.
const WORDS: &[(&str, Word)] = &[
    ("abandoned", Word::Outcome(Then::Nothing)),
    ("agent", Word::Keyword(Then::Display)),
    ("agent-only", Word::Keyword(Then::Nothing)),
    ("and", Word::Expression),
    ("answer", Word::Keyword(Then::Value)),
    ("as", Word::Keyword(Then::Nothing)),
    ("ask", Word::Keyword(Then::Names)),
    ("audience", Word::Property(Then::Nothing)),
    ("back", Word::Keyword(Then::Nothing)),
    ("call", Word::Keyword(Then::Refer)),
    ("callback", Word::Outcome(Then::Nothing)),
    ("choice", Word::Keyword(Then::Nothing)),
    ("choices", Word::Keyword(Then::Nothing)),
    ("choose", Word::Keyword(Then::Display)),
    ("code", Word::Keyword(Then::PlainText)),
    ("comment", Word::Keyword(Then::Declare)),
    ("contact", Word::Property(Then::PlainText)),
    ("contains", Word::Keyword(Then::PlainText)),
    ("customer", Word::Keyword(Then::Display)),
    ("customer-only", Word::Keyword(Then::Nothing)),
    ("date", Word::Keyword(Then::Nothing)),
    ("description", Word::Property(Then::Display)),
    ("disabled", Word::Keyword(Then::Nothing)),
    ("else", Word::Keyword(Then::Nothing)),
    ("end", Word::Keyword(Then::Nothing)),
    ("escalate", Word::Keyword(Then::PlainText)),
    ("escalated", Word::Outcome(Then::PlainText)),
    ("escalation", Word::Property(Then::PlainText)),
    ("expect", Word::Keyword(Then::Nothing)),
    ("false", Word::Expression),
    ("feedback", Word::Keyword(Then::Declare)),
    ("field", Word::Keyword(Then::Declare)),
    ("flag", Word::Keyword(Then::Declare)),
    ("for", Word::Keyword(Then::Refer)),
    ("given", Word::Keyword(Then::Nothing)),
    ("has", Word::Expression),
    ("hour", Word::Keyword(Then::Nothing)),
    ("hours", Word::Keyword(Then::Nothing)),
    ("if", Word::Keyword(Then::Condition)),
    ("locale", Word::Keyword(Then::Nothing)),
    ("minute", Word::Keyword(Then::Nothing)),
    ("minutes", Word::Keyword(Then::Nothing)),
    ("no", Word::Expression),
    ("node", Word::Keyword(Then::Declare)),
    ("not", Word::Expression),
    ("note", Word::Keyword(Then::Display)),
    ("number", Word::Keyword(Then::Nothing)),
    ("option", Word::Keyword(Then::Display)),
    ("or", Word::Expression),
    ("pattern", Word::Keyword(Then::Pattern)),
    ("range", Word::Keyword(Then::Nothing)),
    ("rating", Word::Keyword(Then::Declare)),
    ("referred", Word::Outcome(Then::PlainText)),
    ("required", Word::Keyword(Then::Nothing)),
    ("resolved", Word::Outcome(Then::Nothing)),
    ("result", Word::Keyword(Then::PlainText)),
    ("return", Word::Keyword(Then::Nothing)),
    ("say", Word::Keyword(Then::Display)),
    ("second", Word::Keyword(Then::Nothing)),
    ("seconds", Word::Keyword(Then::Nothing)),
    ("set", Word::Keyword(Then::Value)),
    ("setup", Word::Keyword(Then::Nothing)),
    ("skip", Word::Keyword(Then::PlainText)),
    ("start", Word::Property(Then::Refer)),
    ("tags", Word::Property(Then::Tags)),
    ("test", Word::Keyword(Then::PlainText)),
    ("tests", Word::Keyword(Then::Nothing)),
    ("text", Word::Keyword(Then::Nothing)),
    ("transferred", Word::Outcome(Then::PlainText)),
    ("tree", Word::Keyword(Then::Declare)),
    ("true", Word::Expression),
    ("use", Word::Keyword(Then::PlainText)),
    ("version", Word::Property(Then::PlainText)),
    ("wait", Word::Keyword(Then::Nothing)),
    ("when", Word::Keyword(Then::Condition)),
    ("yes", Word::Expression),
    ("yesno", Word::Keyword(Then::Nothing)),
];

fn lookup(word: &[u8]) -> Option<Word> {
    WORDS
        .binary_search_by(|(w, _)| w.as_bytes().cmp(word))
        .ok()
        .map(|index| WORDS[index].1)
}

/// Letters, digits, `_`, and every byte of a non-ASCII character: names may use any alphabet.
/// Tokens therefore only ever start or end next to an ASCII byte, which keeps them on
/// character boundaries.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

fn is_word_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

const BOM: &[u8] = "\u{feff}".as_bytes();

// ---------------------------------------------------------------- the lexer

/// The three kinds of quoted text (see the grammar): only display text has placeholders, and
/// only patterns keep their backslashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Flavour {
    #[default]
    Display,
    Plain,
    Raw,
}

/// What the words so far on the current line say about the next ones.
#[derive(Debug, Default)]
struct Line {
    /// A token has been seen on this line.
    started: bool,
    /// The line is a `field` declaration: `= value` there is a default, not a condition.
    field: bool,
    /// The next word is a name.
    name_next: bool,
    /// After the name, a comma brings another name (`ask a, b`).
    name_list: bool,
    /// After the name comes a value (`set x = ...`, `answer x ...`).
    value_after_name: bool,
    /// Inside a condition or value: only `and`, `or`, `not` and yes/no words are keywords.
    expression: bool,
    /// Words may contain `-` (`tags: self-service`).
    tags: bool,
    /// The line is an option: `set` after its condition starts its effects.
    option: bool,
    flavour: Flavour,
    /// The flavour of the next quoted text only (`pattern "..."`, `= "default"`).
    next_flavour: Option<Flavour>,
}

struct Lexer<'a> {
    bytes: &'a [u8],
    tokens: Vec<Token>,
    line: Line,
}

impl Lexer<'_> {
    fn push(&mut self, start: usize, end: usize, kind: TokenKind) {
        if end > start {
            self.tokens.push(Token {
                span: Span::new(start, end),
                kind,
            });
            self.line.started = true;
        }
    }

    fn at(&self, index: usize) -> u8 {
        self.bytes.get(index).copied().unwrap_or(b'\n')
    }

    fn run(&mut self) {
        let mut i = 0;
        while i < self.bytes.len() {
            let byte = self.bytes[i];
            i = match byte {
                b'\n' => {
                    self.line = Line::default();
                    i + 1
                }
                b' ' | b'\t' | b'\r' => i + 1,
                _ if self.bytes[i..].starts_with(BOM) => i + BOM.len(),
                b'#' => self.comment(i),
                b'"' => self.quoted(i),
                _ if self.line.tags && (is_word_byte(byte) || byte == b'-') => self.tag(i),
                b'0'..=b'9' => self.number(i),
                _ if is_word_start(byte) => self.word(i),
                _ => self.operator(i),
            };
        }
    }

    /// The end of the current line: the next `\n`, or the end of the text.
    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |offset| from + offset)
    }

    /// Drops the `\r` of a CRLF line ending from the end of a token.
    fn before_cr(&self, start: usize, end: usize) -> usize {
        if end > start && self.bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    fn comment(&mut self, start: usize) -> usize {
        let end = self.line_end(start);
        self.push(start, self.before_cr(start, end), TokenKind::Comment);
        end
    }

    fn quoted(&mut self, start: usize) -> usize {
        let flavour = self.line.next_flavour.take().unwrap_or(self.line.flavour);
        self.line.name_next = false;
        let mut segment = start;
        let mut i = start + 1;
        loop {
            match self.at(i) {
                b'\n' => {
                    // Unterminated: the text runs to the end of the line.
                    let end = self.before_cr(segment, i.min(self.bytes.len()));
                    self.push(segment, end, TokenKind::Text);
                    return i;
                }
                b'"' => {
                    self.push(segment, i + 1, TokenKind::Text);
                    return i + 1;
                }
                b'\\' if flavour == Flavour::Raw => {
                    i += if self.at(i + 1) == b'"' { 2 } else { 1 };
                }
                b'\\' => {
                    i += 1;
                    if self.at(i) == b'u' && self.at(i + 1) == b'{' {
                        i += 2;
                        while self.at(i).is_ascii_hexdigit() {
                            i += 1;
                        }
                        if self.at(i) == b'}' {
                            i += 1;
                        }
                    } else if self.at(i) != b'\n' {
                        // The escaped byte; the rest of a multi-byte character is plain text.
                        i += 1;
                    }
                }
                b'{' if flavour == Flavour::Display => match self.placeholder(i) {
                    Some(end) => {
                        self.push(segment, i, TokenKind::Text);
                        self.push(i, end, TokenKind::Placeholder);
                        segment = end;
                        i = end;
                    }
                    None => i += 1,
                },
                _ => i += 1,
            }
        }
    }

    /// `{ name }` at `start`: returns the end of the placeholder, after its `}`.
    fn placeholder(&self, start: usize) -> Option<usize> {
        let mut i = start + 1;
        while self.at(i) == b' ' {
            i += 1;
        }
        if !is_word_start(self.at(i)) {
            return None;
        }
        while is_word_byte(self.at(i)) {
            i += 1;
        }
        while self.at(i) == b' ' {
            i += 1;
        }
        (self.at(i) == b'}').then_some(i + 1)
    }

    fn tag(&mut self, start: usize) -> usize {
        let mut end = start;
        while is_word_byte(self.at(end)) || self.at(end) == b'-' {
            end += 1;
        }
        self.push(start, end, TokenKind::Plain);
        end
    }

    fn number(&mut self, start: usize) -> usize {
        let mut end = start;
        while self.at(end).is_ascii_digit() {
            end += 1;
        }
        if self.at(end) == b'.' && self.at(end + 1).is_ascii_digit() {
            end += 1;
            while self.at(end).is_ascii_digit() {
                end += 1;
            }
        }
        if is_word_byte(self.at(end)) {
            // `2nd`, `1abc`: not a number, and not a name either.
            while is_word_byte(self.at(end)) {
                end += 1;
            }
            self.line.name_next = false;
            self.push(start, end, TokenKind::Plain);
            return end;
        }
        self.line.name_next = false;
        self.push(start, end, TokenKind::Number);
        end
    }

    fn word(&mut self, start: usize) -> usize {
        let mut end = start;
        while is_word_byte(self.at(end)) {
            end += 1;
        }
        let word = &self.bytes[start..end];
        if matches!(word, b"agent" | b"customer")
            && self.bytes[end..].starts_with(b"-only")
            && !is_word_byte(self.at(end + 5))
        {
            end += 5;
        }
        let word = &self.bytes[start..end];

        if self.line.name_next {
            self.line.name_next = false;
            if self.line.value_after_name {
                self.line.value_after_name = false;
                self.line.expression = true;
            }
            self.push(start, end, TokenKind::Name);
            return end;
        }
        let first = !self.line.started;
        if first && word == b"option" {
            self.line.option = true;
        }
        if self.line.option && self.line.expression && word == b"set" {
            self.line.expression = false;
            self.apply(Then::Value);
            self.push(start, end, TokenKind::Keyword);
            return end;
        }
        let kind = match lookup(word) {
            None => TokenKind::Plain,
            Some(Word::Expression) => TokenKind::Keyword,
            // In a condition a field may be called `code` or `date`; only the words of
            // expressions are keywords there.
            Some(_) if self.line.expression => TokenKind::Plain,
            Some(Word::Property(then)) if first => {
                self.apply(then);
                if self.at(end) == b':' {
                    end += 1;
                }
                TokenKind::Property
            }
            Some(Word::Property(_)) => TokenKind::Plain,
            Some(Word::Keyword(then)) => {
                if first && word == b"field" {
                    self.line.field = true;
                }
                self.apply(then);
                TokenKind::Keyword
            }
            Some(Word::Outcome(then)) => {
                self.apply(then);
                TokenKind::Outcome
            }
        };
        self.push(start, end, kind);
        end
    }

    fn apply(&mut self, then: Then) {
        let line = &mut self.line;
        match then {
            Then::Nothing => {}
            Then::Declare => {
                line.name_next = true;
                line.flavour = Flavour::Display;
            }
            Then::Refer => {
                line.name_next = true;
                line.flavour = Flavour::Plain;
            }
            Then::Value => {
                line.name_next = true;
                line.value_after_name = true;
                line.flavour = Flavour::Plain;
            }
            Then::Names => {
                line.name_next = true;
                line.name_list = true;
            }
            Then::Display => line.flavour = Flavour::Display,
            Then::PlainText => line.flavour = Flavour::Plain,
            Then::Pattern => line.next_flavour = Some(Flavour::Raw),
            Then::Condition => {
                line.expression = true;
                line.flavour = Flavour::Plain;
            }
            Then::Tags => line.tags = true,
        }
    }

    fn operator(&mut self, start: usize) -> usize {
        let byte = self.bytes[start];
        let next = self.at(start + 1);
        let (len, kind) = match (byte, next) {
            (b'-', b'>') | (b'=' | b'!' | b'<' | b'>', b'=') | (b'.', b'.') => {
                (2, TokenKind::Operator)
            }
            (b'-' | b'=' | b'<' | b'>' | b',' | b'(' | b')' | b':' | b'+' | b'*' | b'/', _) => {
                (1, TokenKind::Operator)
            }
            // Only ASCII gets here (other bytes are word bytes), so one byte is one character.
            _ => (1, TokenKind::Plain),
        };
        let line = &mut self.line;
        match (byte, len) {
            (b'-', 2) => {
                line.name_next = true;
                line.name_list = false;
                line.expression = false;
            }
            (b'=', 1) if line.field => {
                line.name_next = false;
                line.next_flavour = Some(Flavour::Plain);
            }
            (b'=', 1) => {
                line.name_next = false;
                line.expression = true;
                line.flavour = Flavour::Plain;
            }
            (b',', _) => line.name_next = line.name_list,
            // `start :` and `field name :` keep what they expect.
            (b':', _) => {}
            _ => line.name_next = false,
        }
        self.push(start, start + len, kind);
        start + len
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::*;
    use crate::{Expectation, ItemKind, Segment, SourceFile, StmtKind, Text, parse};

    use TokenKind::*;

    fn kinds(text: &str) -> Vec<(&str, TokenKind)> {
        highlight(text)
            .into_iter()
            .map(|t| (&text[t.span.range()], t.kind))
            .collect()
    }

    /// Tokens are non-empty, in order, inside the text, on character boundaries and do not
    /// overlap; every character that is not whitespace is inside one.
    fn check_invariants(text: &str) {
        let tokens = highlight(text);
        let mut previous_end = 0;
        for token in &tokens {
            let range = token.span.range();
            assert!(range.start < range.end, "empty token {token:?} in {text:?}");
            assert!(
                range.start >= previous_end,
                "overlap at {token:?} in {text:?}"
            );
            assert!(
                range.end <= text.len(),
                "{token:?} past the end of {text:?}"
            );
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            previous_end = range.end;
        }
        let mut tokens = tokens.iter().peekable();
        for (offset, c) in text.char_indices() {
            while tokens.next_if(|t| t.span.end as usize <= offset).is_some() {}
            let covered = tokens
                .peek()
                .is_some_and(|t| t.span.start as usize <= offset);
            let blank = matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{feff}');
            assert!(
                covered || blank,
                "{c:?} at {offset} is not covered in {text:?}"
            );
        }
    }

    fn bundled_trees() -> Vec<(PathBuf, String)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut trees: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "tree"))
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                (path, text)
            })
            .collect();
        trees.sort();
        assert!(
            trees.len() >= 5,
            "bundled trees not found in {}",
            dir.display()
        );
        trees
    }

    // ------------------------------------------------------------ one line of each kind

    #[test]
    fn tree_header_and_properties() {
        assert_eq!(
            kinds("tree internet_down \"Internet is not working\""),
            [
                ("tree", Keyword),
                ("internet_down", Name),
                ("\"Internet is not working\"", Text)
            ]
        );
        assert_eq!(
            kinds("  tags: internet, tier-1, self-service"),
            [
                ("tags:", Property),
                ("internet", Plain),
                (",", Operator),
                ("tier-1", Plain),
                (",", Operator),
                ("self-service", Plain)
            ]
        );
        assert_eq!(
            kinds("  start: welcome"),
            [("start:", Property), ("welcome", Name)]
        );
        assert_eq!(
            kinds("  start : welcome"),
            [("start", Property), (":", Operator), ("welcome", Name)]
        );
        assert_eq!(
            kinds("  description: \"For {team}\""),
            [
                ("description:", Property),
                ("\"For ", Text),
                ("{team}", Placeholder),
                ("\"", Text)
            ]
        );
        assert_eq!(
            kinds("  escalation: \"Team {x}\""),
            [("escalation:", Property), ("\"Team {x}\"", Text)]
        );
        assert_eq!(
            kinds("  audience: agent, customer"),
            [
                ("audience:", Property),
                ("agent", Keyword),
                (",", Operator),
                ("customer", Keyword)
            ]
        );
        assert_eq!(
            kinds("tests for internet_down"),
            [
                ("tests", Keyword),
                ("for", Keyword),
                ("internet_down", Name)
            ]
        );
        assert_eq!(
            kinds("use \"../shared/{a}.tree\""),
            [("use", Keyword), ("\"../shared/{a}.tree\"", Text)]
        );
    }

    #[test]
    fn field_declarations() {
        assert_eq!(
            kinds("field account: text \"Account number\" required pattern \"[0-9]{8}\\d\""),
            [
                ("field", Keyword),
                ("account", Name),
                (":", Operator),
                ("text", Keyword),
                ("\"Account number\"", Text),
                ("required", Keyword),
                ("pattern", Keyword),
                ("\"[0-9]{8}\\d\"", Text)
            ]
        );
        // Issue 14: a checklist's type and `has` are keywords like `choice` and `and`.
        let checklist = kinds("field r: choices(labs, ecg)");
        assert!(checklist.contains(&("choices", Keyword)), "{checklist:?}");
        let has = kinds("node a\n  if r has ecg -> a");
        assert!(has.contains(&("has", Keyword)), "{has:?}");
        assert_eq!(
            kinds("field plan: choice(basic \"Basic {x}\", pro) = basic"),
            [
                ("field", Keyword),
                ("plan", Name),
                (":", Operator),
                ("choice", Keyword),
                ("(", Operator),
                ("basic", Plain),
                ("\"Basic ", Text),
                ("{x}", Placeholder),
                ("\"", Text),
                (",", Operator),
                ("pro", Plain),
                (")", Operator),
                ("=", Operator),
                ("basic", Plain)
            ]
        );
        assert_eq!(
            kinds("field age: number range 0..240 = 1.5 required"),
            [
                ("field", Keyword),
                ("age", Name),
                (":", Operator),
                ("number", Keyword),
                ("range", Keyword),
                ("0", Number),
                ("..", Operator),
                ("240", Number),
                ("=", Operator),
                ("1.5", Number),
                ("required", Keyword)
            ]
        );
        assert_eq!(
            kinds("flag reset_done \"Reset\""),
            [("flag", Keyword), ("reset_done", Name), ("\"Reset\"", Text)]
        );
    }

    #[test]
    fn node_statements() {
        assert_eq!(
            kinds("node lights \"Modem lights\"  # most common"),
            [
                ("node", Keyword),
                ("lights", Name),
                ("\"Modem lights\"", Text),
                ("# most common", Comment)
            ]
        );
        assert_eq!(
            kinds("  say \"Hi {caller_name}, \\\"reset\\\" \\{x\\} \\u{1F600}.\""),
            [
                ("say", Keyword),
                ("\"Hi ", Text),
                ("{caller_name}", Placeholder),
                (", \\\"reset\\\" \\{x\\} \\u{1F600}.\"", Text)
            ]
        );
        assert_eq!(
            kinds("  ask account, plan"),
            [
                ("ask", Keyword),
                ("account", Name),
                (",", Operator),
                ("plan", Name)
            ]
        );
        assert_eq!(
            kinds("  set restarts = restarts + 1"),
            [
                ("set", Keyword),
                ("restarts", Name),
                ("=", Operator),
                ("restarts", Plain),
                ("+", Operator),
                ("1", Number)
            ]
        );
        assert_eq!(
            kinds("  option \"Orange\" -> restart agent-only when restarts < 2 and not visited(x)"),
            [
                ("option", Keyword),
                ("\"Orange\"", Text),
                ("->", Operator),
                ("restart", Name),
                ("agent-only", Keyword),
                ("when", Keyword),
                ("restarts", Plain),
                ("<", Operator),
                ("2", Number),
                ("and", Keyword),
                ("not", Keyword),
                ("visited", Plain),
                ("(", Operator),
                ("x", Plain),
                (")", Operator)
            ]
        );
        // Issue 14: `set` after an option's condition starts its effects.
        assert_eq!(
            kinds("  option \"Done\" -> a when n < 2 set done, n = n + 1"),
            [
                ("option", Keyword),
                ("\"Done\"", Text),
                ("->", Operator),
                ("a", Name),
                ("when", Keyword),
                ("n", Plain),
                ("<", Operator),
                ("2", Number),
                ("set", Keyword),
                ("done", Name),
                (",", Operator),
                ("n", Plain),
                ("=", Operator),
                ("n", Plain),
                ("+", Operator),
                ("1", Number)
            ]
        );
        assert_eq!(
            kinds("  if code == \"{x}\" or still == yes -> end"),
            [
                ("if", Keyword),
                ("code", Plain),
                ("==", Operator),
                ("\"{x}\"", Text),
                ("or", Keyword),
                ("still", Plain),
                ("==", Operator),
                ("yes", Keyword),
                ("->", Operator),
                ("end", Name)
            ]
        );
        assert_eq!(
            kinds("  else -> lights"),
            [("else", Keyword), ("->", Operator), ("lights", Name)]
        );
        assert_eq!(kinds("  -> lights"), [("->", Operator), ("lights", Name)]);
        assert_eq!(
            kinds("  call identity_check -> details"),
            [
                ("call", Keyword),
                ("identity_check", Name),
                ("->", Operator),
                ("details", Name)
            ]
        );
        assert_eq!(kinds("  return"), [("return", Keyword)]);
        assert_eq!(
            kinds("  rating score \"Rate {x}\" 1..5"),
            [
                ("rating", Keyword),
                ("score", Name),
                ("\"Rate ", Text),
                ("{x}", Placeholder),
                ("\"", Text),
                ("1", Number),
                ("..", Operator),
                ("5", Number)
            ]
        );
    }

    #[test]
    fn outcomes() {
        assert_eq!(
            kinds("  end escalated \"L2 {x}\" code \"NET-ESC\""),
            [
                ("end", Keyword),
                ("escalated", Outcome),
                ("\"L2 {x}\"", Text),
                ("code", Keyword),
                ("\"NET-ESC\"", Text)
            ]
        );
        for outcome in [
            "resolved",
            "escalated",
            "callback",
            "transferred",
            "referred",
            "abandoned",
        ] {
            assert_eq!(
                kinds(&format!("  end {outcome}")),
                [("end", Keyword), (outcome, Outcome)]
            );
        }
    }

    #[test]
    fn test_steps() {
        assert_eq!(
            kinds("test \"a {restart}\""),
            [("test", Keyword), ("\"a {restart}\"", Text)]
        );
        assert_eq!(
            kinds("  answer account \"1234{5}\""),
            [
                ("answer", Keyword),
                ("account", Name),
                ("\"1234{5}\"", Text)
            ]
        );
        assert_eq!(
            kinds("  answer plan pro"),
            [("answer", Keyword), ("plan", Name), ("pro", Plain)]
        );
        assert_eq!(
            kinds("  expect node lights"),
            [("expect", Keyword), ("node", Keyword), ("lights", Name)]
        );
        assert_eq!(
            kinds("  expect field restarts = 2"),
            [
                ("expect", Keyword),
                ("field", Keyword),
                ("restarts", Name),
                ("=", Operator),
                ("2", Number)
            ]
        );
        assert_eq!(
            kinds("  expect text contains \"{x}\""),
            [
                ("expect", Keyword),
                ("text", Keyword),
                ("contains", Keyword),
                ("\"{x}\"", Text)
            ]
        );
        assert_eq!(
            kinds("  expect end resolved code \"X\""),
            [
                ("expect", Keyword),
                ("end", Keyword),
                ("resolved", Outcome),
                ("code", Keyword),
                ("\"X\"", Text)
            ]
        );
        assert_eq!(
            kinds("  choose \"Blinking {x}\""),
            [
                ("choose", Keyword),
                ("\"Blinking ", Text),
                ("{x}", Placeholder),
                ("\"", Text)
            ]
        );
        assert_eq!(
            kinds("  as customer"),
            [("as", Keyword), ("customer", Keyword)]
        );
    }

    #[test]
    fn comments_and_broken_text() {
        assert_eq!(kinds("# a \"comment\""), [("# a \"comment\"", Comment)]);
        assert_eq!(kinds("  # indented\r\n"), [("# indented", Comment)]);
        assert_eq!(
            kinds("  say \"# not a comment\" # a comment"),
            [
                ("say", Keyword),
                ("\"# not a comment\"", Text),
                ("# a comment", Comment)
            ]
        );
        // Unterminated text stops at the end of its line, before a CRLF's `\r`.
        assert_eq!(
            kinds("  say \"open {x\r\n  -> next"),
            [
                ("say", Keyword),
                ("\"open {x", Text),
                ("->", Operator),
                ("next", Name)
            ]
        );
        assert_eq!(
            kinds("  say \"ends \\"),
            [("say", Keyword), ("\"ends \\", Text)]
        );
        // Half-typed lines still colour what is there.
        assert_eq!(kinds("nod welcome"), [("nod", Plain), ("welcome", Plain)]);
        assert_eq!(
            kinds("  option \"x\" ->"),
            [("option", Keyword), ("\"x\"", Text), ("->", Operator)]
        );
        assert_eq!(
            kinds("  2nd ! ; @"),
            [("2nd", Plain), ("!", Plain), (";", Plain), ("@", Plain)]
        );
        // A byte-order mark and tabs are whitespace; names may be in any alphabet.
        assert_eq!(
            kinds("\u{feff}node\tcafé_日本 \"é\""),
            [("node", Keyword), ("café_日本", Name), ("\"é\"", Text)]
        );
    }

    #[test]
    fn spans_are_byte_offsets() {
        let tokens = highlight("node a\r\n  -> b");
        assert_eq!(
            tokens.iter().map(|t| t.span).collect::<Vec<_>>(),
            [
                Span::new(0, 4),
                Span::new(5, 6),
                Span::new(10, 12),
                Span::new(13, 14)
            ]
        );
    }

    // ------------------------------------------------------------ the word list

    #[test]
    fn word_list_is_sorted() {
        for pair in WORDS.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{} comes before {}",
                pair[1].0,
                pair[0].0
            );
        }
        for (word, _) in WORDS {
            assert_eq!(lookup(word.as_bytes()).map(|_| *word), Some(*word));
        }
        assert_eq!(lookup(b"nod"), None);
    }

    /// The word list is exactly the set of words in `grammar.pest`.
    #[test]
    fn word_list_matches_the_grammar() {
        let grammar = include_str!("grammar.pest");
        let mut from_grammar = BTreeSet::new();
        for line in grammar.lines() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // The string literals of the line, minding `\"` escapes.
            let mut literal: Option<String> = None;
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                match (&mut literal, c) {
                    (None, '"') => literal = Some(String::new()),
                    (Some(_), '"') => {
                        let word = literal.take().unwrap();
                        if word.bytes().any(|b| b.is_ascii_lowercase())
                            && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                        {
                            from_grammar.insert(word);
                        }
                    }
                    (Some(word), '\\') => {
                        word.push(c);
                        word.extend(chars.next());
                    }
                    (Some(word), c) => word.push(c),
                    (None, _) => {}
                }
            }
        }
        let from_grammar: BTreeSet<&str> = from_grammar.iter().map(String::as_str).collect();
        assert!(from_grammar.contains("agent-only") && from_grammar.contains("yesno"));
        let ours: BTreeSet<&str> = WORDS.iter().map(|(w, _)| *w).collect();
        assert_eq!(ours, from_grammar);
        for keyword in crate::expected::BLOCK_KEYWORDS {
            assert!(ours.contains(keyword));
        }
    }

    // ------------------------------------------------------------ bundled trees

    /// Every node name the parser finds is a `Name` token with the same span, every comment a
    /// `Comment` token, and every placeholder sits in a `Placeholder` token.
    #[test]
    fn bundled_trees_agree_with_the_parser() {
        for (path, text) in bundled_trees() {
            check_invariants(&text);
            let tokens = highlight(&text);
            let (file, diagnostics) = parse(&text);
            assert!(diagnostics.is_empty(), "{}", path.display());
            let expected = parser_spans(&file);
            assert!(expected.names.len() > 10, "{}", path.display());
            let find = |span: Span| {
                tokens
                    .iter()
                    .find(|t| t.span.start <= span.start && span.end <= t.span.end)
            };
            for span in expected.names {
                let token = find(span);
                assert_eq!(
                    token.map(|t| (t.span, t.kind)),
                    Some((span, Name)),
                    "{} at {}",
                    path.display(),
                    &text[span.range()]
                );
            }
            for span in expected.comments {
                assert_eq!(find(span).map(|t| (t.span, t.kind)), Some((span, Comment)));
            }
            for span in expected.placeholders {
                assert_eq!(find(span).map(|t| t.kind), Some(Placeholder));
            }
            for span in expected.texts {
                let inside: Vec<&Token> = tokens
                    .iter()
                    .filter(|t| span.start <= t.span.start && t.span.end <= span.end)
                    .collect();
                assert_eq!(inside.first().map(|t| t.span.start), Some(span.start));
                assert_eq!(inside.last().map(|t| t.span.end), Some(span.end));
                assert!(inside.windows(2).all(|w| w[0].span.end == w[1].span.start));
                assert!(inside.iter().all(|t| matches!(t.kind, Text | Placeholder)));
            }
        }
    }

    #[derive(Default)]
    struct ParserSpans {
        names: Vec<Span>,
        comments: Vec<Span>,
        placeholders: Vec<Span>,
        texts: Vec<Span>,
    }

    fn parser_spans(file: &SourceFile) -> ParserSpans {
        let mut out = ParserSpans::default();
        let text = |out: &mut ParserSpans, text: &Text| {
            out.texts.push(text.span);
            for segment in &text.segments {
                if let Segment::Field(name) = segment {
                    out.placeholders.push(name.span());
                }
            }
        };
        for item in &file.items {
            out.comments.extend(item.comment.iter().map(|c| c.span));
            match &item.kind {
                ItemKind::Tree(head) => {
                    out.names.push(head.name.span());
                    head.title.iter().for_each(|t| text(&mut out, t));
                }
                ItemKind::Node(head) => {
                    out.names.push(head.name.span());
                    head.title.iter().for_each(|t| text(&mut out, t));
                }
                ItemKind::Field(decl) => {
                    out.names.push(decl.name.span());
                    decl.label.iter().for_each(|t| text(&mut out, t));
                }
                ItemKind::Flag(decl) => out.names.push(decl.name.span()),
                ItemKind::TestsFor(name) => out.names.push(name.span()),
                ItemKind::Test(head) => text(&mut out, &head.name),
                _ => {}
            }
            for stmt in &item.body {
                out.comments.extend(stmt.comment.iter().map(|c| c.span));
                match &stmt.kind {
                    StmtKind::Start(name) | StmtKind::Goto(name) | StmtKind::Else(name) => {
                        out.names.push(name.span());
                    }
                    StmtKind::Option(option) => {
                        out.names.push(option.target.span());
                        text(&mut out, &option.label);
                    }
                    StmtKind::If { target, .. } => out.names.push(target.span()),
                    StmtKind::Call { tree, then } => {
                        out.names.push(tree.span());
                        out.names.push(then.span());
                    }
                    StmtKind::Ask(names) => out.names.extend(names.iter().map(|n| n.span())),
                    StmtKind::Set { var, .. } | StmtKind::Answer { var, .. } => {
                        out.names.push(var.span());
                    }
                    StmtKind::Rating { var, question, .. }
                    | StmtKind::FeedbackComment { var, question } => {
                        out.names.push(var.span());
                        text(&mut out, question);
                    }
                    StmtKind::Expect(Expectation::Node(name)) => out.names.push(name.span()),
                    StmtKind::Expect(Expectation::Field { var, .. }) => out.names.push(var.span()),
                    StmtKind::Say(t)
                    | StmtKind::Agent(t)
                    | StmtKind::Customer(t)
                    | StmtKind::Note(t)
                    | StmtKind::Choose(t)
                    | StmtKind::Description(t)
                    | StmtKind::Version(t)
                    | StmtKind::Escalation(t)
                    | StmtKind::Contact(t)
                    | StmtKind::Skip(t)
                    | StmtKind::Escalate(t) => text(&mut out, t),
                    StmtKind::NoteWhen { text: t, .. } => text(&mut out, t),
                    _ => {}
                }
            }
        }
        for trivia in &file.trailing {
            if let crate::Trivia::Comment(comment) = trivia {
                out.comments.push(comment.span);
            }
        }
        out
    }

    // ------------------------------------------------------------ any input

    #[test]
    fn awkward_inputs_keep_the_invariants() {
        for text in [
            "",
            "\"",
            "\\",
            "{",
            "\u{feff}",
            "\u{feff}\u{feff}node x",
            "a\u{feff}b",
            "\r",
            "\r\n\r\n",
            "  say \"\\u{",
            "  say \"\\u{12",
            "  say \"{ \u{e9}",
            "  say \"{\u{1F600}}\"",
            "  option \"x\" -> \u{1F600} agent-only-x customer-only",
            "agent-",
            "  -",
            "1.",
            "1..",
            "\t\t# tab",
            "é\"é\\é{é}é#é",
            "\u{0}\u{7f}\u{85}\u{2028}",
        ] {
            check_invariants(text);
        }
    }

    fn mutated_tree() -> impl Strategy<Value = String> {
        let trees: Vec<String> = bundled_trees().into_iter().map(|(_, t)| t).collect();
        (
            prop::sample::select(trees),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            "\\PC{0,8}",
        )
            .prop_map(|(tree, at, len, insert)| {
                let chars: Vec<char> = tree.chars().collect();
                let start = at.index(chars.len());
                let end = (start + len.index(40)).min(chars.len());
                let mut out: String = chars[..start].iter().collect();
                out.push_str(&insert);
                out.extend(&chars[end..]);
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_text_keeps_the_invariants(text in "\\PC*") {
            check_invariants(&text);
        }

        #[test]
        fn tricky_characters_keep_the_invariants(
            text in "[a-z0-9 \t\r\n\"\\\\{}#>=<!.,:()_é日\u{feff}-]{0,80}"
        ) {
            check_invariants(&text);
        }

        #[test]
        fn mutated_trees_keep_the_invariants(text in mutated_tree()) {
            check_invariants(&text);
        }
    }

    // ------------------------------------------------------------ speed

    /// A 1,000-node file of about 6,000 lines.
    fn large_file() -> String {
        let mut text = String::from(
            "tree big \"Big\"\n  tags: a, b-c\n  start: n0\n\nfield x: number \"X\" = 0\n",
        );
        for i in 0..1000 {
            text.push_str(&format!(
                "\n# step {i}\nnode n{i} \"Step {i}\"\n  say \"Say {{x}} at step {i}, \\\"quoted\\\".\"\n  \
                 set x = x + 1\n  option \"Next\" -> n{} when x < {i} and not visited(n{i})\n  \
                 option \"Done\" -> n{i}  # loop\n",
                i + 1
            ));
        }
        text
    }

    #[test]
    fn a_thousand_node_file_is_coloured_whole() {
        // Its speed is measured in the engine's benchmarks (`highlight` in benches/engine.rs).
        let text = large_file();
        assert!(text.lines().count() > 6000);
        check_invariants(&text);
        assert!(highlight(&text).len() > 30_000);
    }
}
