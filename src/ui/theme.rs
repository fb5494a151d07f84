//! The window's look as named tokens (after rerun's `re_ui`): spacing, sizes and colours
//! that every view takes from here instead of writing numbers of its own; light and dark
//! looks; the larger controls of kiosk mode.

use egui::Color32;

use crate::config::Theme;

/// Smallest height of a control in kiosk mode, in points (pixels at no zoom): a fingertip.
pub const KIOSK_TOUCH: f32 = 48.0;
/// Body and button text in kiosk mode.
pub const KIOSK_TEXT: f32 = 18.0;
/// Width of the sidebar in kiosk mode (a 1024-pixel screen keeps most for the call).
pub const KIOSK_SIDEBAR: f32 = 260.0;

/// Small gap: between an icon and its text.
pub const SPACE_S: f32 = 4.0;
/// Gap between rows and groups of controls.
pub const SPACE_M: f32 = 8.0;
/// Gap between sections.
pub const SPACE_L: f32 = 16.0;

/// Avatar in list rows.
pub const AVATAR_ROW: f32 = 32.0;
/// Avatar in headers.
pub const AVATAR_HEADER: f32 = 36.0;
/// Avatar of the call views.
pub const AVATAR_CALL: f32 = 72.0;
/// Height of a conversation, contact or call row in the sidebar.
pub const LIST_ROW_HEIGHT: f32 = 44.0;
/// Corner radius of bubbles, cards and buttons.
pub const CORNER: u8 = 8;
/// Widest a message bubble grows, as a share of the timeline's width.
pub const BUBBLE_MAX_SHARE: f32 = 0.7;

/// Answer, call, online.
pub const GREEN: Color32 = Color32::from_rgb(0x2e, 0x9e, 0x5b);
/// Decline, hang up, failed, missed.
pub const RED: Color32 = Color32::from_rgb(0xd0, 0x3c, 0x3c);
/// Trying, waiting.
pub const AMBER: Color32 = Color32::from_rgb(0xe0, 0xa0, 0x30);
/// Unread badges, our bubbles, selection.
pub const ACCENT: Color32 = Color32::from_rgb(0x1f, 0x6f, 0xb8);
/// Text on coloured fills.
pub const ON_COLOUR: Color32 = Color32::WHITE;

/// Avatar fills, picked by a hash of the name so a person keeps a colour.
const AVATAR_FILLS: [Color32; 8] = [
    Color32::from_rgb(0x5c, 0x6b, 0xc0),
    Color32::from_rgb(0x26, 0x8b, 0x7e),
    Color32::from_rgb(0xc0, 0x5c, 0x8a),
    Color32::from_rgb(0x8e, 0x6c, 0x3a),
    Color32::from_rgb(0x3f, 0x88, 0xc5),
    Color32::from_rgb(0x7b, 0x5c, 0xc0),
    Color32::from_rgb(0xb8, 0x5a, 0x3c),
    Color32::from_rgb(0x4e, 0x8a, 0x3a),
];

/// The avatar fill for `seed` (a name or id): the same seed, the same colour.
pub fn avatar_fill(seed: &str) -> Color32 {
    // FNV-1a: stable across runs and builds, unlike the std hasher.
    let hash = seed.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    AVATAR_FILLS[hash as usize % AVATAR_FILLS.len()]
}

/// Applies the theme to the context; `kiosk`: touch-sized controls and larger text.
pub fn apply(ctx: &egui::Context, theme: Theme, kiosk: bool) {
    let preference = match theme {
        Theme::Dark => egui::ThemePreference::Dark,
        Theme::Light => egui::ThemePreference::Light,
    };
    ctx.set_theme(preference);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(SPACE_M, SPACE_S + 2.0);
        style.spacing.button_padding = egui::vec2(SPACE_M + 2.0, SPACE_S);
        style.visuals.selection.bg_fill = ACCENT;
        if kiosk {
            style.spacing.interact_size.y = KIOSK_TOUCH;
            style.spacing.button_padding = egui::vec2(SPACE_L, SPACE_M);
            style.spacing.icon_width = 28.0;
            style.spacing.icon_width_inner = 16.0;
            for (text_style, font) in style.text_styles.iter_mut() {
                font.size = match text_style {
                    egui::TextStyle::Heading => KIOSK_TEXT + 8.0,
                    egui::TextStyle::Small => KIOSK_TEXT - 4.0,
                    _ => KIOSK_TEXT,
                };
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_keeps_its_avatar_colour_and_names_spread_over_the_colours() {
        assert_eq!(avatar_fill("Bob"), avatar_fill("Bob"));
        let used: std::collections::BTreeSet<_> = ["Alice", "Bob", "Carol", "Dave", "Erin", "Zoe"]
            .iter()
            .map(|name| avatar_fill(name).to_array())
            .collect();
        assert!(used.len() >= 3, "{used:?}");
    }
}
