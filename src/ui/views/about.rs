//! The about page.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::ui::state::AppState;

/// Draws the about page.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    ui.heading(tr.tr("about-title"));
    ui.add_space(8.0);
    ui.label(tr.tr("app-tagline"));
    ui.label(tr.tr_args(
        "about-version",
        &[("version", env!("CARGO_PKG_VERSION").into())],
    ));
    ui.label(tr.tr("about-license"));
    if let Some(dir) = &state.data_dir {
        ui.label(tr.tr_args(
            "about-data-dir",
            &[("path", dir.display().to_string().into())],
        ));
    }
    ui.add_space(12.0);
    if ui.button(tr.tr("about-close")).clicked() {
        state.ui.page = None;
    }
    Vec::new()
}
