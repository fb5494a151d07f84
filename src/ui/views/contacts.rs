//! The sidebar's Contacts list: a box to add one (a P2P account id, a registered name or a
//! SIP URI), the requests that came in (Accept, Decline, Block), and each contact with its
//! presence and Call and Message buttons.

use egui::RichText;

use crate::engine::{Command, ContactAnswer, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountId, AccountKind, ContactId, ContactState};
use crate::ui::state::{AppState, Contact, Selection};
use crate::ui::theme;
use crate::ui::widgets::{self, ListRow};

/// Width kept on a contact row for its two buttons.
const ROW_BUTTONS_WIDTH: f32 = 150.0;

/// Draws the Contacts tab.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = add_box_ui(ui, state, tr);
    commands.extend(requests_ui(ui, state, tr));
    // Requests are listed above; a declined request or a removed P2P contact is no contact.
    let mut contacts: Vec<(String, ContactId, Contact)> = state
        .contacts
        .iter()
        .filter(|(_, contact)| {
            !matches!(
                contact.state,
                ContactState::Incoming | ContactState::Declined
            )
        })
        .map(|(id, contact)| {
            let name = peer_name(state, &contact.account, &contact.uri);
            (name, *id, contact.clone())
        })
        .collect();
    if contacts.is_empty() {
        ui.weak(tr.tr("sidebar-no-contacts"));
        return commands;
    }
    contacts.sort_by_key(|(name, ..)| name.to_lowercase());
    let row_height = theme::LIST_ROW_HEIGHT + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("contacts")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, contacts.len(), |ui, range| {
            for (name, id, contact) in contacts.get(range).unwrap_or_default() {
                commands.extend(contact_row_ui(ui, state, tr, name, *id, contact));
            }
        });
    commands
}

/// Contacts whose name or address contains the search, for the sidebar's search results.
pub fn matching_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    matches: &dyn Fn(&str) -> bool,
    nothing: &mut bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let found: Vec<(String, ContactId, Contact)> = state
        .contacts
        .iter()
        .filter(|(_, contact)| contact.state != ContactState::Declined)
        .filter(|(_, contact)| {
            let name = peer_name(state, &contact.account, &contact.uri);
            matches(&name) || matches(&contact.uri)
        })
        .map(|(id, contact)| {
            let name = peer_name(state, &contact.account, &contact.uri);
            (name, *id, contact.clone())
        })
        .collect();
    if found.is_empty() {
        return commands;
    }
    *nothing = false;
    ui.label(RichText::new(tr.tr("sidebar-contacts")).strong());
    for (name, id, contact) in &found {
        commands.extend(contact_row_ui(ui, state, tr, name, *id, contact));
    }
    commands
}

/// The name `peer` has among `account`'s contacts, else the name it gives itself (a P2P
/// account's profile), else its address (shortened for a P2P id).
pub fn peer_name(state: &AppState, account: &AccountId, peer: &str) -> String {
    state
        .contacts
        .values()
        .find(|contact| {
            &contact.account == account
                && contact.uri == peer
                && !contact.display_name.trim().is_empty()
        })
        .map(|contact| contact.display_name.trim().to_owned())
        .or_else(|| {
            state
                .profiles
                .get(&(account.clone(), peer.to_owned()))
                .cloned()
        })
        .unwrap_or_else(|| short_address(peer))
}

/// Where a contact stands, for people: presence, else its state (blocked in red, online in
/// green), else its address.
pub fn state_text(contact: &Contact, tr: &I18n) -> (String, Option<egui::Color32>) {
    match (contact.state, contact.online) {
        (ContactState::Requested, _) => (tr.tr("contact-requested"), None),
        (ContactState::Blocked, _) => (tr.tr("contact-blocked"), Some(theme::RED)),
        (ContactState::Declined, _) => (tr.tr("contact-declined"), None),
        (_, Some(true)) => (tr.tr("presence-online"), Some(theme::GREEN)),
        (_, Some(false)) => (tr.tr("presence-offline"), None),
        (_, None) => (short_address(&contact.uri), None),
    }
}

/// One contact: avatar, name, presence or state; Call and Message when it can take them.
/// A click on the row opens its page.
fn contact_row_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    name: &str,
    id: ContactId,
    contact: &Contact,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let (state_text, colour) = state_text(contact, tr);
    let reachable =
        contact.state == ContactState::Confirmed && state.account_ready(&contact.account);
    let row = ListRow {
        avatar: name,
        picture: state.picture(&contact.account, Some(&contact.uri)),
        title: name,
        subtitle: &state_text,
        subtitle_colour: colour,
        reserved_right: if reachable { ROW_BUTTONS_WIDTH } else { 0.0 },
        ..ListRow::default()
    };
    let selected = state.ui.selection == Selection::Contact(id) && state.ui.page.is_none();
    let response = widgets::list_row_ui(ui, &row, selected).on_hover_text(&contact.uri);
    // Checked before the buttons over the row are added, so a click on one of them is not
    // also the row's.
    if response.clicked() {
        state.ui.go_to(Selection::Contact(id));
    }
    if !reachable {
        return commands;
    }
    // The buttons sit over the row's right end.
    let rect = response.rect;
    let call_rect = egui::Rect::from_min_size(
        egui::pos2(rect.right() - ROW_BUTTONS_WIDTH, rect.center().y - 12.0),
        egui::vec2(ROW_BUTTONS_WIDTH / 2.0 - theme::SPACE_S, 24.0),
    );
    let message_rect = call_rect.translate(egui::vec2(ROW_BUTTONS_WIDTH / 2.0, 0.0));
    if ui
        .put(
            call_rect,
            widgets::filled_button(tr.tr("contact-call"), theme::GREEN),
        )
        .on_hover_text(&contact.uri)
        .clicked()
    {
        commands.push(Command::PlaceCall {
            request: RequestId::next(),
            account: contact.account.clone(),
            uri: contact.uri.clone(),
        });
    }
    if ui
        .put(message_rect, egui::Button::new(tr.tr("contact-message")))
        .clicked()
        && !super::sidebar::open_conversation_with(state, &contact.account, &contact.uri)
    {
        state.ui.notices.push(crate::ui::state::Notice::Said(
            tr.tr("contact-no-conversation"),
        ));
    }
    commands
}

/// The start of a P2P account or group id (40 or 64 hex digits say nothing to a person),
/// whole URIs otherwise.
pub fn short_address(uri: &str) -> String {
    if uri.len() >= 40 && uri.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        format!("{}…", uri.get(..12).unwrap_or(uri))
    } else {
        uri.to_owned()
    }
}

/// The add box: closed, a button; open, the account, the address, a name and Add.
fn add_box_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    let form = &mut state.ui.add_contact;
    if !form.open {
        if ui.button(format!("＋ {}", tr.tr("contact-add"))).clicked() {
            form.open = true;
        }
        return commands;
    }
    let mut accounts: Vec<(AccountId, String, AccountKind)> = state
        .accounts
        .values()
        .map(|row| (row.info.id.clone(), row.info.name.clone(), row.info.kind()))
        .collect();
    accounts.sort_by(|a, b| a.1.cmp(&b.1));
    let chosen = form
        .account
        .clone()
        .filter(|id| accounts.iter().any(|(account, ..)| account == id))
        .or_else(|| accounts.first().map(|(id, ..)| id.clone()));
    let Some(chosen) = chosen else {
        ui.weak(tr.tr("sidebar-no-accounts"));
        return commands;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong(tr.tr("contact-add"));
        if accounts.len() > 1 {
            let shown = accounts
                .iter()
                .find(|(id, ..)| *id == chosen)
                .map(|(_, name, _)| name.clone())
                .unwrap_or_default();
            egui::ComboBox::from_id_salt("add-contact-account")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for (id, name, _) in &accounts {
                        if ui.selectable_label(*id == chosen, name).clicked() {
                            form.account = Some(id.clone());
                        }
                    }
                });
        }
        let p2p = accounts
            .iter()
            .any(|(id, _, kind)| *id == chosen && *kind == AccountKind::P2p);
        let hint = if p2p {
            tr.tr("contact-add-p2p-hint")
        } else {
            tr.tr("contact-add-sip-hint")
        };
        ui.add(
            egui::TextEdit::singleline(&mut form.target)
                .hint_text(&hint)
                .desired_width(f32::INFINITY),
        )
        .accessible_name(tr.tr("contact-add-address"));
        ui.add(
            egui::TextEdit::singleline(&mut form.name)
                .hint_text(tr.tr("contact-add-name"))
                .desired_width(f32::INFINITY),
        )
        .accessible_name(tr.tr("contact-add-name"));
        if let Some(error) = &form.error {
            ui.colored_label(theme::RED, error.say(tr));
        }
        ui.horizontal(|ui| {
            let ready = !form.target.trim().is_empty() && form.pending.is_none();
            if ui
                .add_enabled(
                    ready,
                    widgets::filled_button(tr.tr("contact-add-do"), theme::ACCENT),
                )
                .clicked()
            {
                let request = RequestId::next();
                form.pending = Some(request);
                form.error = None;
                commands.push(Command::AddContact {
                    request,
                    account: chosen.clone(),
                    uri: form.target.trim().to_owned(),
                    name: form.name.trim().to_owned(),
                });
            }
            if ui.button(tr.tr("contact-add-cancel")).clicked() {
                *form = Default::default();
            }
            if form.pending.is_some() {
                ui.spinner();
            }
        });
    });
    ui.add_space(theme::SPACE_S);
    commands
}

/// Contact requests that came in (P2P): who asks, and Accept, Decline, Block.
fn requests_ui(ui: &mut egui::Ui, state: &AppState, tr: &I18n) -> Vec<Command> {
    let mut requests: Vec<_> = state
        .contacts
        .values()
        .filter(|contact| contact.state == ContactState::Incoming)
        .collect();
    if requests.is_empty() {
        return Vec::new();
    }
    requests.sort_by(|a, b| a.uri.cmp(&b.uri));
    let mut commands = Vec::new();
    ui.label(RichText::new(tr.tr("sidebar-requests")).strong());
    for contact in requests {
        let name = peer_name(state, &contact.account, &contact.uri);
        ui.horizontal(|ui| {
            widgets::avatar_ui(
                ui,
                &name,
                state.picture(&contact.account, Some(&contact.uri)),
                theme::AVATAR_ROW,
            );
            ui.label(&name).on_hover_text(&contact.uri);
        });
        ui.horizontal(|ui| {
            for (label, answer, fill) in [
                ("request-accept", ContactAnswer::Accept, Some(theme::GREEN)),
                ("request-decline", ContactAnswer::Decline, None),
                ("request-block", ContactAnswer::Block, Some(theme::RED)),
            ] {
                let button = match fill {
                    Some(fill) => widgets::filled_button(tr.tr(label), fill),
                    None => egui::Button::new(tr.tr(label)),
                };
                if ui.add(button).clicked() {
                    commands.push(Command::AnswerContact {
                        request: RequestId::next(),
                        account: contact.account.clone(),
                        peer: contact.uri.clone(),
                        answer,
                    });
                }
            }
        });
    }
    ui.separator();
    commands
}
