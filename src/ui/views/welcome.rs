//! The main area when nothing is selected: the way to a first account, or, once there is
//! one, the way to a first contact, with the ids others need to add us.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::AccountKind;
use crate::ui::state::{AppState, Page, SidebarTab, WizardState};
use crate::ui::theme;

/// Draws the welcome page.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading(tr.tr("welcome-title"));
        ui.add_space(theme::SPACE_M);
        if state.accounts.is_empty() {
            ui.label(tr.tr("welcome-body"));
            ui.add_space(theme::SPACE_L);
            if ui.button(tr.tr("sidebar-add-account")).clicked() {
                state.ui.wizard = WizardState::default();
                state.ui.open_page(Page::Wizard);
            }
            return;
        }
        ui.label(tr.tr("welcome-ready"));
        ui.add_space(theme::SPACE_L);
        if ui.button(format!("＋ {}", tr.tr("contact-add"))).clicked() {
            state.ui.sidebar_tab = SidebarTab::Contacts;
            state.ui.add_contact.open = true;
        }
        ui.add_space(theme::SPACE_L);
        // What others type to add us.
        for account in state.accounts.values() {
            if account.info.kind() != AccountKind::P2p {
                continue;
            }
            let id = &account.info.id.0;
            ui.weak(tr.tr_args(
                "welcome-your-id",
                &[("account", account.info.name.clone().into())],
            ));
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - 420.0).max(0.0) / 2.0);
                ui.monospace(id);
                if ui.small_button(tr.tr("welcome-copy")).clicked() {
                    ui.ctx().copy_text(id.clone());
                }
            });
        }
    });
    Vec::new()
}
