//! The account wizard: create a P2P account, import an archive, join by PIN, or add a SIP
//! account.

use super::sip_form::{self, FormUse};
use crate::engine::{Command, RequestId, Secret};
use crate::i18n::I18n;
use crate::ui::state::{AppState, WizardStep};

/// Draws the wizard.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    let wizard = &mut state.ui.wizard;
    ui.heading(tr.tr("wizard-title"));
    ui.add_space(8.0);
    let busy = wizard.pending.is_some();
    match wizard.step {
        WizardStep::Choose => {
            ui.label(tr.tr("wizard-choose"));
            ui.add_space(8.0);
            for (step, title, help) in [
                (
                    WizardStep::CreateP2p,
                    "wizard-create-p2p",
                    "wizard-create-p2p-help",
                ),
                (WizardStep::Import, "wizard-import", "wizard-import-help"),
                (WizardStep::LinkPin, "wizard-link", "wizard-link-help"),
                (WizardStep::Sip, "wizard-add-sip", "wizard-add-sip-help"),
            ] {
                if ui.button(tr.tr(title)).clicked() {
                    wizard.step = step;
                    wizard.error = None;
                }
                ui.weak(tr.tr(help));
                ui.add_space(6.0);
            }
        }
        WizardStep::CreateP2p => {
            ui.add_enabled_ui(!busy, |ui| {
                egui::Grid::new("wizard-p2p").num_columns(2).show(ui, |ui| {
                    field_ui(ui, &tr.tr("wizard-display-name"), &mut wizard.name, false);
                    field_ui(
                        ui,
                        &tr.tr("wizard-device-name"),
                        &mut wizard.device_name,
                        false,
                    );
                });
            });
            if submit_row_ui(ui, tr, "wizard-create", busy, &mut wizard.step) {
                if wizard.name.trim().is_empty() {
                    wizard.error = Some(tr.tr("wizard-name-required"));
                } else {
                    let request = RequestId::next();
                    wizard.pending = Some(request);
                    wizard.error = None;
                    commands.push(Command::CreateP2pAccount {
                        request,
                        name: wizard.name.trim().to_owned(),
                        device_name: sip_form::optional(&wizard.device_name),
                    });
                }
            }
        }
        WizardStep::Import => {
            ui.add_enabled_ui(!busy, |ui| {
                egui::Grid::new("wizard-import")
                    .num_columns(2)
                    .show(ui, |ui| {
                        field_ui(
                            ui,
                            &tr.tr("wizard-archive-file"),
                            &mut wizard.archive_path,
                            false,
                        );
                        field_ui(
                            ui,
                            &tr.tr("wizard-passphrase"),
                            &mut wizard.passphrase,
                            true,
                        );
                        field_ui(
                            ui,
                            &tr.tr("wizard-device-name"),
                            &mut wizard.device_name,
                            false,
                        );
                    });
            });
            if submit_row_ui(ui, tr, "wizard-import-button", busy, &mut wizard.step) {
                if wizard.archive_path.trim().is_empty() {
                    wizard.error = Some(tr.tr("wizard-path-required"));
                } else {
                    let request = RequestId::next();
                    wizard.pending = Some(request);
                    wizard.error = None;
                    commands.push(Command::ImportArchive {
                        request,
                        path: wizard.archive_path.trim().into(),
                        passphrase: Secret(std::mem::take(&mut wizard.passphrase)),
                        device_name: sip_form::optional(&wizard.device_name),
                    });
                }
            }
        }
        WizardStep::LinkPin => {
            ui.add_enabled_ui(!busy, |ui| {
                egui::Grid::new("wizard-link")
                    .num_columns(2)
                    .show(ui, |ui| {
                        field_ui(ui, &tr.tr("wizard-pin"), &mut wizard.pin, false);
                        field_ui(
                            ui,
                            &tr.tr("wizard-device-name"),
                            &mut wizard.device_name,
                            false,
                        );
                    });
            });
            if busy {
                ui.weak(tr.tr("wizard-link-looking"));
            }
            if submit_row_ui(ui, tr, "wizard-link-button", busy, &mut wizard.step) {
                if wizard.pin.trim().is_empty() {
                    wizard.error = Some(tr.tr("wizard-pin-required"));
                } else {
                    let request = RequestId::next();
                    wizard.pending = Some(request);
                    wizard.error = None;
                    commands.push(Command::LinkDevice {
                        request,
                        pin: Secret(wizard.pin.trim().to_owned()),
                        device_name: sip_form::optional(&wizard.device_name),
                    });
                }
            }
        }
        WizardStep::Sip => {
            if wizard.sip.codecs.is_empty() {
                wizard.sip = sip_form::new_form();
            }
            ui.add_enabled_ui(!busy, |ui| {
                egui::Grid::new("wizard-sip").num_columns(2).show(ui, |ui| {
                    field_ui(ui, &tr.tr("wizard-display-name"), &mut wizard.name, false);
                });
                sip_form::fields_ui(ui, &mut wizard.sip, tr, FormUse::Wizard);
            });
            if submit_row_ui(ui, tr, "wizard-add", busy, &mut wizard.step) {
                if wizard.name.trim().is_empty() {
                    wizard.error = Some(tr.tr("wizard-name-required"));
                } else {
                    match sip_form::config_of(&wizard.sip, tr) {
                        Err(error) => wizard.error = Some(error),
                        Ok(config) => {
                            let request = RequestId::next();
                            wizard.pending = Some(request);
                            wizard.error = None;
                            commands.push(Command::AddSipAccount {
                                request,
                                name: wizard.name.trim().to_owned(),
                                config,
                                password: Some(Secret(std::mem::take(&mut wizard.sip.password))),
                            });
                        }
                    }
                }
            }
        }
    }
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(tr.tr("wizard-busy"));
        });
    }
    if let Some(error) = &wizard.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    ui.add_space(12.0);
    if ui.button(tr.tr("wizard-cancel")).clicked() {
        state.ui.wizard = Default::default();
        state.ui.page = None;
    }
    commands
}

/// A labelled text field in a two-column grid.
fn field_ui(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) {
    sip_form::text_row_ui(ui, label, value, "", password);
}

/// Back and submit buttons; true when submit was clicked.
fn submit_row_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    submit_key: &str,
    busy: bool,
    step: &mut WizardStep,
) -> bool {
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new(tr.tr("wizard-back")))
            .clicked()
        {
            *step = WizardStep::Choose;
        }
        ui.add_enabled(!busy, egui::Button::new(tr.tr(submit_key)))
            .clicked()
    })
    .inner
}
