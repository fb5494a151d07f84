//! Fonts: egui's defaults have no CJK glyphs and few emoji, so a CJK-capable system font and
//! an outline emoji font (Symbola: egui draws outlines, not colour bitmaps), both found
//! through fontconfig, are added as fallbacks. The file is memory-mapped, so only the pages of the
//! glyphs drawn become resident (a Noto CJK collection is about 20 MB).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Name of the fallback font in egui's font table.
const CJK_FONT: &str = "ringlet-cjk";
/// Name of the emoji fallback in egui's font table.
const EMOJI_FONT: &str = "ringlet-emoji";
/// Emoji a fallback must have (waving hand, camera): egui's own emoji font lacks them.
const EMOJI_PROBE: &str = ":charset=1f44b 1f4f7:color=false";

/// A CJK font face on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFace {
    /// The file (TTF, OTF or TTC).
    pub path: PathBuf,
    /// Face index inside a collection.
    pub index: u32,
}

/// The fontconfig language for a UI language: traditional glyph shapes for zh-TW, simplified
/// ones otherwise (names in chat can be Chinese whatever the UI language).
fn fontconfig_language(language: &str) -> &'static str {
    if language == "zh-TW" {
        "zh-tw"
    } else {
        "zh-cn"
    }
}

/// Asks fontconfig for the best sans-serif face covering `language`'s Chinese.
pub fn find_cjk_font(language: &str) -> Option<FontFace> {
    let lang = fontconfig_language(language);
    let output = Command::new("fc-match")
        .args([
            "-f",
            "%{file}\n%{index}\n%{lang}\n",
            &format!("sans-serif:lang={lang}"),
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    parse_fc_match(&String::from_utf8_lossy(&output.stdout), lang)
}

/// Asks fontconfig for an outline font with the emoji egui's defaults lack.
pub fn find_emoji_font() -> Option<FontFace> {
    let output = Command::new("fc-list")
        .args(["-f", "%{file}\n%{index}\n", EMOJI_PROBE])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    parse_fc_list(&String::from_utf8_lossy(&output.stdout))
}

/// The first face of `fc-list -f '%{file}\n%{index}\n'` whose file exists.
fn parse_fc_list(output: &str) -> Option<FontFace> {
    let lines: Vec<&str> = output.lines().collect();
    lines.chunks(2).find_map(|pair| {
        let [path, index] = pair else { return None };
        let path = PathBuf::from(path.trim());
        let index = index.trim().parse().ok()?;
        path.is_file().then_some(FontFace { path, index })
    })
}

/// Parses `fc-match -f '%{file}\n%{index}\n%{lang}\n'`; `None` unless the face covers `lang`
/// (fontconfig answers with some font even when no CJK font is installed).
fn parse_fc_match(output: &str, lang: &str) -> Option<FontFace> {
    let mut lines = output.lines();
    let path = PathBuf::from(lines.next()?.trim());
    let index = lines.next()?.trim().parse().ok()?;
    let covers = lines.next()?.split('|').any(|covered| covered == lang);
    (covers && path.is_file()).then_some(FontFace { path, index })
}

/// Installs egui's default fonts plus a CJK fallback, remembering mapped files.
#[derive(Default)]
pub struct FontSetup {
    installed_for: Option<&'static str>,
    mapped: HashMap<PathBuf, Arc<memmap2::Mmap>>,
}

impl FontSetup {
    /// Sets the fonts for `language` if they differ from what is installed.
    pub fn ensure(&mut self, ctx: &egui::Context, language: &'static str) {
        let lang = fontconfig_language(language);
        if self.installed_for == Some(lang) {
            return;
        }
        self.installed_for = Some(lang);
        let mut fonts = egui::FontDefinitions::default();
        match find_cjk_font(language) {
            Some(face) => self.add_fallback(&mut fonts, CJK_FONT, &face),
            None => tracing::warn!(
                "no CJK font found through fontconfig; install fonts-noto-cjk to see Chinese"
            ),
        }
        match find_emoji_font() {
            Some(face) => self.add_fallback(&mut fonts, EMOJI_FONT, &face),
            None => tracing::info!(
                "no outline emoji font found through fontconfig; install fonts-symbola to see emoji"
            ),
        }
        ctx.set_fonts(fonts);
    }

    /// Adds `face` after egui's own fonts in both families, under `name`.
    fn add_fallback(&mut self, fonts: &mut egui::FontDefinitions, name: &str, face: &FontFace) {
        let Some(bytes) = self.map(&face.path) else {
            return;
        };
        tracing::debug!(path = %face.path.display(), index = face.index, name, "fallback font");
        let blob: egui::epaint::text::Blob = bytes;
        fonts.font_data.insert(
            name.to_owned(),
            Arc::new(egui::FontData::from_blob(blob, face.index)),
        );
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            fonts
                .families
                .entry(family)
                .or_default()
                .push(name.to_owned());
        }
    }

    fn map(&mut self, path: &Path) -> Option<Arc<memmap2::Mmap>> {
        if let Some(mapped) = self.mapped.get(path) {
            return Some(Arc::clone(mapped));
        }
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: the mapping is read-only, of a system font file owned by root. Package
        // managers replace such files by unlink and rename, which leaves this mapping's inode
        // intact, so its bytes do not change under us.
        let mapped = Arc::new(unsafe { memmap2::Mmap::map(&file) }.ok()?);
        self.mapped.insert(path.to_path_buf(), Arc::clone(&mapped));
        Some(mapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fc_match_output_must_cover_the_language() {
        let file = std::env::current_exe().unwrap();
        let good = format!("{}\n3\nen|zh-cn|zh-tw\n", file.display());
        assert_eq!(
            parse_fc_match(&good, "zh-tw"),
            Some(FontFace {
                path: file.clone(),
                index: 3
            })
        );
        let latin_only = format!("{}\n0\nen|fr\n", file.display());
        assert_eq!(parse_fc_match(&latin_only, "zh-tw"), None);
        assert_eq!(parse_fc_match("garbage", "zh-tw"), None);
    }

    #[test]
    fn fc_list_output_gives_the_first_face_that_exists() {
        let file = std::env::current_exe().unwrap();
        let listed = format!("/nonexistent.ttf\n0\n{}\n2\n", file.display());
        assert_eq!(
            parse_fc_list(&listed),
            Some(FontFace {
                path: file.clone(),
                index: 2
            })
        );
        assert_eq!(parse_fc_list(""), None);
        assert_eq!(parse_fc_list("odd\n"), None);
    }

    #[test]
    fn traditional_chinese_asks_for_traditional_glyphs() {
        assert_eq!(fontconfig_language("zh-TW"), "zh-tw");
        assert_eq!(fontconfig_language("zh-CN"), "zh-cn");
        assert_eq!(fontconfig_language("fr"), "zh-cn");
    }
}
