//! The main area when nothing is selected.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::ui::state::{AppState, Page, WizardState};

/// Draws the welcome page.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading(tr.tr("welcome-title"));
        ui.add_space(8.0);
        ui.label(tr.tr("welcome-body"));
        ui.add_space(16.0);
        if ui.button(tr.tr("sidebar-add-account")).clicked() {
            state.ui.wizard = WizardState::default();
            state.ui.page = Some(Page::Wizard);
        }
    });
    Vec::new()
}
