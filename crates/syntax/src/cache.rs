//! Remembering what lines parsed to, so that re-parsing a file after an edit only hands the
//! changed lines to pest.
//!
//! A line's parse depends on nothing but its kind (a block's first line or an indented one)
//! and its content: where it sits only offsets the spans. So the cache keeps each line's
//! result measured from the line's own start and shifts a copy to wherever the line is now.
//! That is why a cached parse always equals a fresh one, spans included.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::ast::{ItemKind, SourceFile, StmtKind};
use crate::diagnostic::Diagnostic;
use crate::parser::{LastParse, LineValue, ParsedLine, parse_line, reparse};

/// What the lines of the last parse with this cache parsed to, for [`parse_cached`].
///
/// It holds only the distinct lines of the last text parsed with it: each parse keeps the
/// entries it used and lets go of the rest, so memory follows the size of the file, not the
/// length of the editing session. Use one cache per file; sharing one between files works
/// but each parse then forgets the other file's lines.
///
/// [`LineCache::reparse`] is the other way to use it: it keeps the last parse whole instead
/// of its lines, and re-parses only the blocks an edit touched. The two do not share what
/// they keep; a cache is meant to be used one way.
///
/// [`parse_cached`]: crate::parse_cached
#[derive(Debug, Clone, Default)]
pub struct LineCache {
    top: Table<ItemKind>,
    body: Table<StmtKind>,
    /// Counts parses; an entry stamped with the current count was used by the parse under way.
    generation: u64,
    /// The last [`LineCache::reparse`]: its text, tree and block starts.
    last: Option<Box<LastParse>>,
}

/// Parsed lines by content, every span measured from the line's first character.
pub(crate) type Table<T> = HashMap<String, Entry<T>, BuildHasherDefault<LineHasher>>;

#[derive(Debug, Clone)]
pub(crate) struct Entry<T> {
    parsed: ParsedLine<T>,
    /// The parse that last used this line.
    used: u64,
}

/// A kind of line with its own table in the cache.
pub(crate) trait Cached: LineValue {
    fn table(cache: &mut LineCache) -> &mut Table<Self>;
}

impl Cached for ItemKind {
    fn table(cache: &mut LineCache) -> &mut Table<Self> {
        &mut cache.top
    }
}

impl Cached for StmtKind {
    fn table(cache: &mut LineCache) -> &mut Table<Self> {
        &mut cache.body
    }
}

impl LineCache {
    /// How many distinct lines the cache remembers.
    pub fn len(&self) -> usize {
        self.top.len() + self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parses `text` with the same result as [`parse`], keeping the tree in the cache
    /// ([`LineCache::parsed`]) instead of handing it out, so that the next call can reuse it
    /// whole: only the blocks an edit touched since the last call are parsed again and the
    /// rest are moved, not copied, into the new tree. For a host that reads the tree and
    /// then re-parses after the next edit (the engine's `Project::load_cached`). Returns the
    /// diagnostics.
    ///
    /// [`parse`]: crate::parse
    pub fn reparse(&mut self, text: &str) -> Vec<Diagnostic> {
        // This way of parsing does not use the line tables: their room is given back.
        self.top = Table::default();
        self.body = Table::default();
        let parsed = reparse(text, self.last.take().map(|last| *last));
        let diagnostics = parsed.diagnostics();
        self.last = Some(Box::new(parsed));
        diagnostics
    }

    /// The text [`format_behaviour`] gives for the tree of the last [`LineCache::reparse`],
    /// in pieces (one per block) to be read in order: a re-parse formats only the blocks it
    /// parsed again. Empty when there was no such parse.
    ///
    /// [`format_behaviour`]: crate::format_behaviour
    pub fn behaviour(&self) -> impl Iterator<Item = &str> {
        self.last.as_deref().into_iter().flat_map(|last| {
            let end = std::iter::once(last.behaviour_end.as_str());
            last.behaviour.iter().map(String::as_str).chain(end)
        })
    }

    /// The tree of the last [`LineCache::reparse`], if there was one.
    pub fn parsed(&self) -> Option<&SourceFile> {
        self.last.as_deref().map(|last| &last.file)
    }

    /// What `content` parses to as a line of kind `T`, with spans measured from its start.
    pub(crate) fn lookup<T: Cached>(&mut self, content: &str) -> ParsedLine<T> {
        let used = self.generation;
        let table = T::table(self);
        if let Some(entry) = table.get_mut(content) {
            entry.used = used;
            return entry.parsed.clone();
        }
        let parsed = parse_line(content, 0);
        table.insert(
            content.to_owned(),
            Entry {
                parsed: parsed.clone(),
                used,
            },
        );
        parsed
    }

    /// Ends a parse: what it used is kept for the next one, everything else is dropped.
    pub(crate) fn end_parse(&mut self) {
        let used = self.generation;
        forget_unused(&mut self.top, used);
        forget_unused(&mut self.body, used);
        self.generation = self.generation.wrapping_add(1);
    }
}

fn forget_unused<T>(table: &mut Table<T>, used: u64) {
    table.retain(|_, entry| entry.used == used);
    // A file that shrank a lot does not keep the room its old lines took.
    if table.capacity() > 4 * table.len() + 64 {
        table.shrink_to(table.len());
    }
}

/// FxHash (as in rustc): lines are hashed once per parse each, and SipHash's resistance to
/// chosen collisions buys nothing for a cache of the author's own lines.
#[derive(Default, Clone, Copy)]
pub(crate) struct LineHasher {
    hash: u64,
}

impl LineHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for LineHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word));
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
