//! Fonts for scripts egui's own fonts lack (Arabic, Hebrew, CJK; Greek and Cyrillic are in
//! egui's default font already), found among the machine's fonts when a text first needs one.
//!
//! The app bundles none: a CJK font alone is 15 to 20 MB. Instead, when a character no
//! loaded font has is laid out, egui asks [`SystemFonts`], which looks in the places Debian
//! and Ubuntu packages put fonts (`fonts-noto-core`, `fonts-noto-cjk`, `fonts-dejavu-core`,
//! `fonts-wqy-microhei`, `fonts-droid-fallback`) for a file with that character, reads it
//! once and hands it over. Nothing is read for a call that stays in Latin script, so start-up
//! and memory are as before. docs/translation.md says which packages to install and what
//! renders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use egui::epaint::text::{FallbackRequest, FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};
use skrifa::MetadataProvider as _;

/// Where the fonts are on Debian and Ubuntu.
pub const DEBIAN_FONTS: &str = "/usr/share/fonts";

/// Candidate files for a script, best first, relative to the fonts folder, each with the face
/// to use in a collection (`.ttc`) and the package that installs it.
struct Candidate {
    path: &'static str,
    face: u32,
}

const ARABIC: &[Candidate] = &[
    Candidate {
        path: "truetype/noto/NotoSansArabic-Regular.ttf",
        face: 0,
    },
    Candidate {
        path: "truetype/noto/NotoNaskhArabic-Regular.ttf",
        face: 0,
    },
];

const HEBREW: &[Candidate] = &[Candidate {
    path: "truetype/noto/NotoSansHebrew-Regular.ttf",
    face: 0,
}];

const CJK: &[Candidate] = &[
    Candidate {
        path: "opentype/noto/NotoSansCJK-Regular.ttc",
        face: 0,
    },
    Candidate {
        path: "truetype/wqy/wqy-microhei.ttc",
        face: 0,
    },
    Candidate {
        path: "truetype/droid/DroidSansFallbackFull.ttf",
        face: 0,
    },
];

/// Tried for any character after its script's own: wide coverage of European scripts,
/// Arabic and Hebrew.
const GENERAL: &[Candidate] = &[
    Candidate {
        path: "truetype/noto/NotoSans-Regular.ttf",
        face: 0,
    },
    Candidate {
        path: "truetype/dejavu/DejaVuSans.ttf",
        face: 0,
    },
];

/// The script's own candidates for a character, before [`GENERAL`].
fn script_candidates(c: char) -> &'static [Candidate] {
    match u32::from(c) {
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            ARABIC
        }
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => HEBREW,
        0x1100..=0x11FF
        | 0x2E80..=0x2FDF
        | 0x3000..=0x30FF
        | 0x3100..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF
        | 0x20000..=0x2FA1F => CJK,
        _ => &[],
    }
}

/// A font file as read, shared by every face asked of it.
type Bytes = Arc<Vec<u8>>;

/// egui's font provider for the machine's fonts: see the module docs.
pub struct SystemFonts {
    root: PathBuf,
    /// Files read so far, by path; `None` for one that could not be read.
    read: Mutex<HashMap<PathBuf, Option<Bytes>>>,
}

impl SystemFonts {
    /// Fonts under `root` (normally [`DEBIAN_FONTS`]).
    pub fn in_folder(root: impl Into<PathBuf>) -> SystemFonts {
        SystemFonts {
            root: root.into(),
            read: Mutex::new(HashMap::new()),
        }
    }

    fn bytes(&self, path: &Path) -> Option<Bytes> {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.entry(path.to_path_buf())
            .or_insert_with(|| std::fs::read(path).ok().map(Arc::new))
            .clone()
    }

    /// The first candidate file that has a glyph for `c`: its path relative to the folder,
    /// its face and its bytes.
    pub fn find(&self, c: char) -> Option<(&'static str, u32, Bytes)> {
        script_candidates(c)
            .iter()
            .chain(GENERAL)
            .find_map(|candidate| {
                let bytes = self.bytes(&self.root.join(candidate.path))?;
                let font = skrifa::FontRef::from_index(&bytes, candidate.face).ok()?;
                font.charmap().map(c)?;
                Some((candidate.path, candidate.face, Arc::clone(&bytes)))
            })
    }

    /// Installs the provider in `ctx`: from the next frame on, a character no font has is
    /// looked for here.
    pub fn install(self, ctx: &egui::Context) {
        ctx.add_font_provider(Arc::new(move |request: &FallbackRequest<'_>| {
            self.font_for(request)
        }));
    }

    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let (path, face, bytes) = self.find(c)?;
        Some(FontInsert {
            name: format!("system:{path}#{face}"),
            data: FontData::from_blob(bytes, face),
            families: [FontFamily::Proportional, FontFamily::Monospace]
                .into_iter()
                .map(|family| InsertFontFamily {
                    family,
                    priority: FontPriority::Lowest,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_is_found_in_its_scripts_font_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fonts = SystemFonts::in_folder(dir.path());
        // An empty folder has nothing, and says so instead of failing.
        assert!(fonts.find('א').is_none());
        // A file that is not a font is passed over.
        let bad = dir.path().join("truetype/dejavu");
        std::fs::create_dir_all(&bad).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(bad.join("DejaVuSans.ttf"), b"not a font").unwrap_or_else(|e| panic!("{e}"));
        assert!(SystemFonts::in_folder(dir.path()).find('א').is_none());
    }

    /// DejaVu Sans (`fonts-dejavu-core`, which CI installs) has Hebrew, Arabic, Greek and
    /// Cyrillic.
    #[test]
    fn the_machines_dejavu_covers_hebrew_arabic_greek_and_cyrillic() {
        let fonts = SystemFonts::in_folder(DEBIAN_FONTS);
        for c in ['א', 'ب', 'λ', 'Ж'] {
            let found = fonts.find(c);
            assert!(found.is_some(), "no font under {DEBIAN_FONTS} has {c:?}");
        }
        assert_eq!(script_candidates('中').len(), CJK.len());
        assert_eq!(script_candidates('ب').len(), ARABIC.len());
        assert!(script_candidates('a').is_empty());
    }
}
