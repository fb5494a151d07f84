//! Light and dark looks, and the larger controls of kiosk mode.

use crate::config::Theme;

/// Zoom of kiosk mode: large, touch-friendly controls.
pub const KIOSK_ZOOM: f32 = 1.5;

/// Applies the theme to the context.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    let preference = match theme {
        Theme::Dark => egui::ThemePreference::Dark,
        Theme::Light => egui::ThemePreference::Light,
    };
    ctx.set_theme(preference);
}
