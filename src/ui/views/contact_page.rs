//! A contact's page, opened from the Contacts list or a conversation's header: avatar,
//! name, presence, the account it belongs to, its address (copyable), a P2P contact's
//! devices (online first), and Message, Call, Block or Unblock, and Remove (asked twice).

use crate::engine::{Command, ContactAnswer, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountKind, ContactId, ContactState};
use crate::ui::state::{AppState, ContactDevice};
use crate::ui::{theme, widgets};

/// Avatar of the page.
const AVATAR_PAGE: f32 = 96.0;

/// Draws the page of contact `id`.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n, id: ContactId) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(contact) = state.contacts.get(&id).cloned() else {
        return commands;
    };
    let account = state.accounts.get(&contact.account);
    let p2p = account.is_some_and(|row| row.info.kind() == AccountKind::P2p);
    let account_name = account.map(|row| row.info.name.clone()).unwrap_or_default();
    let ready = state.account_ready(&contact.account);
    // A P2P contact's devices are asked for when its page opens.
    let page = &mut state.ui.contact_page;
    if page.contact != Some(id) {
        *page = Default::default();
        page.contact = Some(id);
        if p2p {
            let request = RequestId::next();
            page.pending = Some(request);
            commands.push(Command::ContactDevices {
                request,
                account: contact.account.clone(),
                uri: contact.uri.clone(),
            });
        }
    }
    let name = super::contacts::peer_name(state, &contact.account, &contact.uri);
    let (presence, colour) = super::contacts::state_text(&contact, tr);
    ui.vertical_centered(|ui| {
        ui.add_space(theme::SPACE_L * 2.0);
        widgets::avatar_ui(
            ui,
            &name,
            state.picture(&contact.account, Some(&contact.uri)),
            AVATAR_PAGE,
        );
        ui.add_space(theme::SPACE_M);
        ui.label(egui::RichText::new(&name).size(24.0).strong());
        let colour = colour.unwrap_or_else(|| ui.visuals().weak_text_color());
        ui.colored_label(colour, presence);
        ui.weak(tr.tr_args(
            "contact-page-account",
            &[("account", account_name.clone().into())],
        ));
        ui.add_space(theme::SPACE_L);
    });
    commands.extend(actions_ui(ui, state, tr, id, p2p, ready));
    ui.add_space(theme::SPACE_L);
    ui.separator();
    egui::Grid::new("contact-details")
        .num_columns(2)
        .spacing(egui::vec2(theme::SPACE_L, theme::SPACE_M))
        .show(ui, |ui| {
            ui.label(tr.tr("contact-page-address"));
            ui.horizontal_wrapped(|ui| {
                ui.monospace(&contact.uri);
                if ui.small_button(tr.tr("welcome-copy")).clicked() {
                    ui.ctx().copy_text(contact.uri.clone());
                }
            });
            ui.end_row();
            if p2p {
                ui.label(tr.tr("contact-page-devices"));
                ui.vertical(|ui| devices_ui(ui, tr, &state.ui.contact_page.devices));
                ui.end_row();
            }
        });
    commands
}

/// Message, Call, Block or Unblock (P2P), Remove; Remove asks once more.
fn actions_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: ContactId,
    p2p: bool,
    ready: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(contact) = state.contacts.get(&id).cloned() else {
        return commands;
    };
    let confirmed = contact.state == ContactState::Confirmed;
    let blocked = contact.state == ContactState::Blocked;
    let mut message = false;
    widgets::centred_row(ui, "contact-actions", |ui| {
        message = ui.button(tr.tr("contact-message")).clicked();
        let call = widgets::filled_button(tr.tr("contact-call"), theme::GREEN);
        if ui.add_enabled(ready && confirmed, call).clicked() {
            commands.push(Command::PlaceCall {
                request: RequestId::next(),
                account: contact.account.clone(),
                uri: contact.uri.clone(),
            });
        }
        if p2p {
            let (label, answer) = if blocked {
                ("contact-unblock", ContactAnswer::Accept)
            } else {
                ("request-block", ContactAnswer::Block)
            };
            if ui
                .add_enabled(ready, egui::Button::new(tr.tr(label)))
                .clicked()
            {
                commands.push(Command::AnswerContact {
                    request: RequestId::next(),
                    account: contact.account.clone(),
                    peer: contact.uri.clone(),
                    answer,
                });
            }
        }
        let page = &mut state.ui.contact_page;
        if !page.confirm_remove && ui.button(tr.tr("contact-remove")).clicked() {
            page.confirm_remove = true;
        }
    });
    if message && !super::sidebar::open_conversation_with(state, &contact.account, &contact.uri) {
        state.ui.notices.push(crate::ui::state::Notice::Said(
            tr.tr("contact-no-conversation"),
        ));
    }
    if state.ui.contact_page.confirm_remove {
        let name = super::contacts::peer_name(state, &contact.account, &contact.uri);
        ui.add_space(theme::SPACE_M);
        ui.vertical_centered(|ui| {
            ui.label(tr.tr_args("contact-remove-ask", &[("name", name.into())]));
        });
        widgets::centred_row(ui, "contact-remove", |ui| {
            let remove = widgets::filled_button(tr.tr("contact-remove"), theme::RED);
            if ui.add(remove).clicked() {
                commands.push(Command::RemoveContact {
                    request: RequestId::next(),
                    account: contact.account.clone(),
                    uri: contact.uri.clone(),
                });
                state.ui.contact_page.confirm_remove = false;
            }
            if ui.button(tr.tr("contact-add-cancel")).clicked() {
                state.ui.contact_page.confirm_remove = false;
            }
        });
    }
    commands
}

/// Each device: a dot (green online), its name and its peer id, shortened.
fn devices_ui(ui: &mut egui::Ui, tr: &I18n, devices: &Option<Vec<ContactDevice>>) {
    let Some(devices) = devices else {
        ui.spinner();
        return;
    };
    if devices.is_empty() {
        ui.weak(tr.tr("contact-page-no-devices"));
    }
    for device in devices {
        ui.horizontal(|ui| {
            let (dot, presence) = if device.online {
                (theme::GREEN, tr.tr("presence-online"))
            } else {
                (ui.visuals().weak_text_color(), tr.tr("presence-offline"))
            };
            ui.colored_label(dot, "●").on_hover_text(&presence);
            let name = match device.name.trim() {
                "" => "?",
                name => name,
            };
            ui.label(name);
            let short = device.id.get(..16).unwrap_or(&device.id);
            ui.weak(format!("{short}…")).on_hover_text(&device.id);
        });
    }
}
