//! Links in chat messages: found in the text, drawn clickable, and opened by themselves
//! when the user turned that on (`open_urls` in settings).

/// The `http://` and `https://` links in a text, in order (trailing punctuation left out).
pub fn find_urls(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter_map(|word| {
            let start = word.find("https://").or_else(|| word.find("http://"))?;
            let url = word.get(start..)?;
            let url = url.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"']);
            // A scheme with nothing after it is no link.
            (url.len() > url.find("://")? + 3).then_some(url)
        })
        .collect()
}

/// Draws `text` with its links clickable.
pub fn text_with_links_ui(ui: &mut egui::Ui, text: &str) {
    let urls = find_urls(text);
    if urls.is_empty() {
        ui.label(text);
        return;
    }
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    let mut rest = text;
    for url in urls {
        let Some(at) = rest.find(url) else { continue };
        let before = rest.get(..at).unwrap_or_default();
        if !before.trim().is_empty() {
            pieces.push((before.trim_end(), false));
        }
        pieces.push((url, true));
        rest = rest.get(at + url.len()..).unwrap_or_default();
    }
    if !rest.trim().is_empty() {
        pieces.push((rest.trim(), false));
    }
    // Inside a right-aligned bubble (ours) widgets are placed right to left: handed over
    // last first, the words still read in order.
    if ui.layout().prefer_right_to_left() {
        pieces.reverse();
    }
    ui.horizontal_wrapped(|ui| {
        for (piece, is_url) in pieces {
            if is_url {
                ui.hyperlink(piece);
            } else {
                ui.label(piece);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_without_their_trailing_punctuation() {
        assert_eq!(
            find_urls("see https://example.org/a?b=1, and (http://x.test/y). done"),
            vec!["https://example.org/a?b=1", "http://x.test/y"]
        );
        assert!(find_urls("no link, ftp://x or https:// alone").is_empty());
        assert_eq!(
            find_urls("链接https://例子.测试/路径。"),
            vec!["https://例子.测试/路径。"]
        );
    }
}
