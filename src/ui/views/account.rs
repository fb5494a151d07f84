//! An account's page: id, devices or SIP settings, rename, enable, export, delete.

use crate::engine::{Command, RequestId, Secret};
use crate::i18n::I18n;
use crate::model::{AccountDetails, AccountId, SipAccountConfig};
use crate::ui::state::{AccountForm, AppState, PickPurpose};

use super::sidebar::registration_text;
use super::sip_form::{self, FormUse};

/// Draws the page of the selected account.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n, id: &AccountId) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(account) = state.accounts.get(id) else {
        return commands;
    };
    let info = account.info.clone();
    // Kiosk: the account is shown and can call, but nothing about it can be changed.
    let locked = state.ui.kiosk;
    // A peer to open a chat with, chosen by the Message button below.
    let mut open_chat: Option<String> = None;
    let picture = state.picture(id, None).cloned();
    let mut pick_picture = false;
    let form = &mut state.ui.account_form;
    if form.account.as_ref() != Some(id) {
        *form = AccountForm {
            account: Some(id.clone()),
            rename: info.name.clone(),
            ..AccountForm::default()
        };
    }
    ui.heading(&info.name);
    ui.weak(registration_text(&info.registration, tr));
    ui.add_space(8.0);
    egui::Grid::new("account-grid")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .show(ui, |ui| {
            ui.label(tr.tr("account-id"));
            ui.add(egui::Label::new(egui::RichText::new(&info.id.0).monospace()).selectable(true));
            ui.end_row();

            ui.label(tr.tr("account-name"));
            ui.horizontal(|ui| {
                if locked {
                    ui.disable();
                }
                ui.add(egui::TextEdit::singleline(&mut form.rename).desired_width(200.0))
                    .accessible_name(tr.tr("account-name"));
                let renamed = form.rename.trim();
                if ui
                    .add_enabled(
                        !renamed.is_empty() && renamed != info.name,
                        egui::Button::new(tr.tr("account-rename")),
                    )
                    .clicked()
                {
                    commands.push(Command::RenameAccount {
                        account: id.clone(),
                        name: renamed.to_owned(),
                    });
                }
            });
            ui.end_row();

            // The picture a P2P account's contacts see (Jami's profile photo).
            ui.label(tr.tr("account-picture"));
            ui.horizontal(|ui| {
                crate::ui::widgets::avatar_ui(ui, &info.name, picture.as_ref(), 48.0);
                if locked {
                    ui.disable();
                }
                // Named in full for screen readers: the page has other Remove buttons.
                pick_picture = ui
                    .button(tr.tr("account-picture-choose"))
                    .accessible_name(tr.tr("account-picture-choose-name"))
                    .clicked();
                if ui
                    .add_enabled(
                        picture.is_some(),
                        egui::Button::new(tr.tr("account-picture-remove")),
                    )
                    .accessible_name(tr.tr("account-picture-remove-name"))
                    .clicked()
                {
                    commands.push(Command::SetPicture {
                        request: RequestId::next(),
                        account: id.clone(),
                        path: None,
                    });
                }
            });
            ui.end_row();

            let label = tr.tr("account-enabled");
            if let Some(enabled) = switch_row(ui, &label, info.enabled, !locked) {
                commands.push(Command::SetAccountEnabled {
                    account: id.clone(),
                    enabled,
                });
            }
            // Kiosks and conference rooms take calls with nobody at the screen.
            let label = tr.tr("sip-auto-answer");
            if let Some(on) = switch_row(ui, &label, info.details.auto_answer(), !locked) {
                commands.push(Command::SetAutoAnswer {
                    account: id.clone(),
                    on,
                });
            }

            match &info.details {
                AccountDetails::Sip(config) => {
                    ui.label(tr.tr("account-sip-address"));
                    ui.label(&config.aor);
                    ui.end_row();
                    ui.label(tr.tr("dial-button"));
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut form.dial)
                                .hint_text(tr.tr("dial-hint"))
                                .desired_width(200.0),
                        )
                        .accessible_name(tr.tr("dial-hint"));
                        let ready = !form.dial.trim().is_empty() && info.enabled;
                        if ui
                            .add_enabled(ready, egui::Button::new(tr.tr("dial-button")))
                            .clicked()
                        {
                            commands.push(Command::PlaceCall {
                                request: RequestId::next(),
                                account: id.clone(),
                                uri: form.dial.trim().to_owned(),
                            });
                        }
                        if ui
                            .add_enabled(ready, egui::Button::new(tr.tr("dial-message")))
                            .clicked()
                        {
                            open_chat = Some(form.dial.trim().to_owned());
                        }
                    });
                    ui.end_row();
                }
                AccountDetails::P2p { devices, .. } => {
                    ui.label(tr.tr("account-devices"));
                    ui.vertical(|ui| {
                        if locked {
                            ui.disable();
                        }
                        for device in devices {
                            let suffix = if device.local {
                                format!(" ({})", tr.tr("account-this-device"))
                            } else {
                                String::new()
                            };
                            ui.horizontal(|ui| {
                                ui.label(format!("{}{suffix}", device.name));
                                if device.local {
                                    // This device can be renamed (others see the new name).
                                    ui.add(
                                        egui::TextEdit::singleline(&mut form.device_rename)
                                            .hint_text(tr.tr("account-device-rename-hint"))
                                            .desired_width(140.0),
                                    )
                                    .accessible_name(tr.tr("account-device-rename-hint"));
                                    let renamed = form.device_rename.trim();
                                    if ui
                                        .add_enabled(
                                            !renamed.is_empty() && renamed != device.name,
                                            egui::Button::new(tr.tr("account-device-rename")),
                                        )
                                        .clicked()
                                    {
                                        commands.push(Command::RenameDevice {
                                            account: id.clone(),
                                            name: renamed.to_owned(),
                                        });
                                        form.device_rename.clear();
                                    }
                                    return;
                                }
                                // Another device of this account can be retired from here
                                // (a lost or sold one): its commits are refused from then on.
                                let confirming =
                                    form.confirm_revoke.as_deref() == Some(&device.device_id);
                                if confirming {
                                    if ui.button(tr.tr("account-revoke-yes")).clicked() {
                                        commands.push(Command::RevokeDevice {
                                            account: id.clone(),
                                            device: device.device_id.clone(),
                                        });
                                        form.confirm_revoke = None;
                                    }
                                    if ui.button(tr.tr("wizard-cancel")).clicked() {
                                        form.confirm_revoke = None;
                                    }
                                } else if ui.button(tr.tr("account-revoke")).clicked() {
                                    form.confirm_revoke = Some(device.device_id.clone());
                                }
                            });
                            ui.weak(&device.device_id);
                        }
                    });
                    ui.end_row();
                    ui.label(tr.tr("account-link"));
                    ui.vertical(|ui| {
                        if locked {
                            ui.disable();
                        }
                        if let Some(pin) = &form.link_pin {
                            ui.label(egui::RichText::new(pin).monospace().size(24.0))
                                .on_hover_text(tr.tr("account-link-pin-hint"));
                            ui.weak(tr.tr("account-link-pin-hint"));
                        } else if ui
                            .add_enabled(
                                form.pending_link.is_none() && info.enabled,
                                egui::Button::new(tr.tr("account-link-button")),
                            )
                            .clicked()
                        {
                            let request = RequestId::next();
                            form.pending_link = Some(request);
                            commands.push(Command::OfferLink {
                                request,
                                account: id.clone(),
                            });
                        }
                    });
                    ui.end_row();
                    // A name others can find the account by (first come, in the DHT).
                    ui.label(tr.tr("account-register-name"));
                    ui.horizontal(|ui| {
                        if locked {
                            ui.disable();
                        }
                        ui.add(
                            egui::TextEdit::singleline(&mut form.register_name)
                                .hint_text(tr.tr("account-register-name-hint"))
                                .desired_width(180.0),
                        )
                        .accessible_name(tr.tr("account-register-name"));
                        let name = form.register_name.trim().to_lowercase();
                        let ready = !name.is_empty() && form.pending_name.is_none() && info.enabled;
                        if ui
                            .add_enabled(ready, egui::Button::new(tr.tr("account-register")))
                            .clicked()
                        {
                            let request = RequestId::next();
                            form.pending_name = Some(request);
                            commands.push(Command::Name {
                                request,
                                account: id.clone(),
                                name,
                                register: true,
                            });
                        }
                        if let Some(name) = &form.registered_name {
                            ui.colored_label(
                                crate::ui::theme::GREEN,
                                tr.tr_args("account-registered", &[("name", name.clone().into())]),
                            );
                        }
                    });
                    ui.end_row();
                    // STUN servers of its own, besides the bootstrap nodes'.
                    if let AccountDetails::P2p { stun, .. } = &info.details
                        && let Some(command) = stun_row_ui(ui, form, tr, id, stun, locked)
                    {
                        commands.push(command);
                    }
                    ui.label(tr.tr("account-share"));
                    ui.vertical(|ui| {
                        qr_code_ui(ui, &info.id.0);
                        ui.weak(tr.tr("account-share-hint"));
                    });
                    ui.end_row();
                }
            }
        });

    if let AccountDetails::Sip(config) = &info.details
        && !locked
    {
        commands.extend(sip_settings_ui(ui, form, tr, id, config));
    }
    if matches!(info.details, AccountDetails::P2p { .. }) && !locked {
        ui.add_space(12.0);
        ui.label(egui::RichText::new(tr.tr("account-export")).strong());
        egui::Grid::new("account-export")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label(tr.tr("account-export-path"));
                ui.add(egui::TextEdit::singleline(&mut form.export_path).desired_width(260.0))
                    .accessible_name(tr.tr("account-export-path"));
                ui.end_row();
                ui.label(tr.tr("account-export-passphrase"));
                ui.add(
                    egui::TextEdit::singleline(&mut form.export_passphrase)
                        .password(true)
                        .desired_width(260.0),
                )
                .accessible_name(tr.tr("account-export-passphrase"));
                ui.end_row();
            });
        let ready = !form.export_path.trim().is_empty() && !form.export_passphrase.is_empty();
        if ui
            .add_enabled(
                ready && form.pending_export.is_none(),
                egui::Button::new(tr.tr("account-export")),
            )
            .clicked()
        {
            let request = RequestId::next();
            form.pending_export = Some(request);
            commands.push(Command::ExportArchive {
                request,
                account: id.clone(),
                path: form.export_path.trim().into(),
                passphrase: Secret(form.export_passphrase.clone()),
            });
        }
    }
    if matches!(info.details, AccountDetails::P2p { .. }) && info.enabled {
        commands.extend(super::groups::section(ui, state, tr, id));
    }
    let form = &mut state.ui.account_form;

    ui.add_space(16.0);
    if locked {
        // No delete button in a kiosk.
    } else if form.confirm_delete {
        ui.label(tr.tr_args(
            "account-delete-confirm",
            &[("name", info.name.clone().into())],
        ));
        ui.horizontal(|ui| {
            if ui.button(tr.tr("account-delete-yes")).clicked() {
                commands.push(Command::DeleteAccount {
                    account: id.clone(),
                });
                form.confirm_delete = false;
            }
            if ui.button(tr.tr("wizard-cancel")).clicked() {
                form.confirm_delete = false;
            }
        });
    } else if ui.button(tr.tr("account-delete")).clicked() {
        form.confirm_delete = true;
    }
    if let Some(peer) = open_chat {
        super::sidebar::open_conversation_with(state, id, &peer);
    }
    if pick_picture {
        super::file_picker::open(state, PickPurpose::ProfilePicture(id.clone()));
    }
    commands
}

/// The SIP settings, editable: Save stores them and restarts the account (a new REGISTER).
fn sip_settings_ui(
    ui: &mut egui::Ui,
    form: &mut AccountForm,
    tr: &I18n,
    id: &AccountId,
    config: &SipAccountConfig,
) -> Option<Command> {
    ui.add_space(12.0);
    ui.label(egui::RichText::new(tr.tr("sip-settings")).strong());
    let sip = form.sip.get_or_insert_with(|| sip_form::form_of(config));
    let busy = form.pending_sip.is_some();
    let changed = ui
        .add_enabled_ui(!busy, |ui| sip_form::fields_ui(ui, sip, tr, FormUse::Edit))
        .inner;
    if changed {
        form.sip_saved = false;
        form.sip_error = None;
    }
    let (save, revert) = ui
        .horizontal(|ui| {
            let save = ui
                .add_enabled(!busy, egui::Button::new(tr.tr("sip-save")))
                .clicked();
            let revert = ui
                .add_enabled(!busy, egui::Button::new(tr.tr("sip-revert")))
                .clicked();
            if busy {
                ui.spinner();
            } else if form.sip_saved {
                ui.colored_label(crate::ui::theme::GREEN, tr.tr("sip-saved"));
            }
            (save, revert)
        })
        .inner;
    let mut command = None;
    if save {
        match sip_form::config_of(sip, tr) {
            Err(error) => form.sip_error = Some(error),
            Ok(new_config) => {
                let request = RequestId::next();
                form.pending_sip = Some(request);
                form.sip_error = None;
                let password = std::mem::take(&mut sip.password);
                command = Some(Command::UpdateSipAccount {
                    request,
                    account: id.clone(),
                    config: new_config,
                    password: (!password.is_empty()).then_some(Secret(password)),
                });
            }
        }
    } else if revert {
        form.sip = Some(sip_form::form_of(config));
        form.sip_error = None;
        form.sip_saved = false;
    }
    if let Some(error) = &form.sip_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    command
}

/// The account id as a QR code, drawn as squares (another device or a friend's phone
/// scans it to add the contact).
fn qr_code_ui(ui: &mut egui::Ui, text: &str) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return;
    };
    let width = code.width();
    let colors = code.to_colors();
    // Four modules of quiet zone around the code, as scanners expect.
    let quiet = 4;
    let module = 4.0;
    let side = (width + 2 * quiet) as f32 * module;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, format!("QR code: {text}"))
    });
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = (index % width + quiet, index / width + quiet);
        let min = rect.min + egui::vec2(x as f32 * module, y as f32 * module);
        painter.rect_filled(
            egui::Rect::from_min_size(min, egui::vec2(module, module)),
            0.0,
            egui::Color32::BLACK,
        );
    }
}

/// A grid row: `label` and a checkbox showing `value` (greyed unless `enabled`); the new
/// value when the user flipped it.
fn switch_row(ui: &mut egui::Ui, label: &str, value: bool, enabled: bool) -> Option<bool> {
    ui.label(label);
    let mut value = value;
    let changed = ui
        .add_enabled(enabled, egui::Checkbox::without_text(&mut value))
        .accessible_name(label)
        .changed();
    ui.end_row();
    changed.then_some(value)
}

/// The STUN servers row of a P2P account (one grid row): a comma-separated list and Save,
/// which is offered once the list changed and every entry reads as an address.
fn stun_row_ui(
    ui: &mut egui::Ui,
    form: &mut AccountForm,
    tr: &I18n,
    id: &AccountId,
    current: &[String],
    locked: bool,
) -> Option<Command> {
    let mut command = None;
    let joined = current.join(", ");
    let text = form.stun.get_or_insert_with(|| joined.clone());
    let servers: Vec<String> = text
        .split([',', ' '])
        .map(str::trim)
        .filter(|server| !server.is_empty())
        .map(str::to_owned)
        .collect();
    let wrong = servers
        .iter()
        .find(|server| crate::stun::check_server(server).is_err())
        .map(|server| tr.tr_args("account-stun-wrong", &[("server", server.clone().into())]));
    ui.label(tr.tr("account-stun"));
    ui.vertical(|ui| {
        if locked {
            ui.disable();
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(tr.tr("account-stun-hint"))
                    .desired_width(240.0),
            )
            .accessible_name(tr.tr("account-stun"));
            let changed = servers.as_slice() != current;
            if ui
                .add_enabled(
                    changed && wrong.is_none(),
                    egui::Button::new(tr.tr("sip-save")),
                )
                .clicked()
            {
                command = Some(Command::SetP2pStun {
                    account: id.clone(),
                    servers: servers.clone(),
                });
            }
        });
        match wrong {
            Some(error) => {
                ui.colored_label(crate::ui::theme::RED, error);
            }
            None => {
                ui.weak(tr.tr("account-stun-help"));
            }
        }
    });
    ui.end_row();
    command
}
