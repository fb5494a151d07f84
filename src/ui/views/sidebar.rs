//! The sidebar: accounts, contacts, conversations, a search box, and the way to the wizard,
//! settings and about pages.

use egui::RichText;

use crate::engine::{Command, ContactAnswer, RequestId};
use crate::i18n::I18n;
use crate::model::ConversationId;
use crate::model::{AccountId, AccountKind, ContactState, RegistrationState};
use crate::ui::state::{AppState, Page, Selection, WizardState};

/// Height of one list row, for `ScrollArea::show_rows`.
const ROW_HEIGHT: f32 = 20.0;

/// Draws the sidebar.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    ui.add_space(6.0);
    ui.heading(tr.tr("app-name"));
    ui.add_space(4.0);
    ui.add(
        egui::TextEdit::singleline(&mut state.ui.search)
            .hint_text(tr.tr("sidebar-search-hint"))
            .desired_width(f32::INFINITY),
    )
    .accessible_name(tr.tr("sidebar-search-hint"));
    let query = state.ui.search.trim().to_lowercase();
    let matches = |text: &str| query.is_empty() || text.to_lowercase().contains(&query);

    ui.add_space(8.0);
    ui.label(RichText::new(tr.tr("sidebar-accounts")).strong());
    let mut accounts: Vec<_> = state
        .accounts
        .values()
        .filter(|account| matches(&account.info.name) || matches(&account.info.id.0))
        .collect();
    accounts.sort_by_key(|account| account.position);
    if state.accounts.is_empty() {
        ui.weak(tr.tr("sidebar-no-accounts"));
    }
    let mut clicked = None;
    for account in accounts {
        let info = &account.info;
        let selected = state.ui.selection == Selection::Account(info.id.clone());
        let kind = match info.kind() {
            AccountKind::Sip => tr.tr("account-kind-sip"),
            AccountKind::P2p => tr.tr("account-kind-p2p"),
        };
        let status = if info.enabled {
            registration_text(&info.registration, tr)
        } else {
            tr.tr("account-disabled")
        };
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("●").color(registration_color(&info.registration, info.enabled)),
            );
            if ui.selectable_label(selected, &info.name).clicked() {
                clicked = Some(info.id.clone());
            }
            if let Some((new, old)) = account.voicemail
                && new + old > 0
            {
                let text = tr.tr_args(
                    "voicemail-count",
                    &[
                        ("new", new.to_string().into()),
                        ("old", old.to_string().into()),
                    ],
                );
                ui.label(format!("✉ {new}")).on_hover_text(text);
            }
        });
        ui.weak(format!("    {kind} · {status}"));
    }
    if let Some(id) = clicked {
        state.ui.selection = Selection::Account(id);
        state.ui.page = None;
    }

    ui.add_space(8.0);
    ui.label(RichText::new(tr.tr("sidebar-contacts")).strong());
    // Each row: its text, and what a Call click places (account, URI or contact id) for
    // a confirmed contact of a running account.
    let contacts: Vec<(String, Option<(AccountId, String)>)> = state
        .contacts
        .values()
        .filter(|contact| matches(&contact.display_name) || matches(&contact.uri))
        .map(|contact| {
            let callable = contact.state == ContactState::Confirmed
                && state.accounts.get(&contact.account).is_some_and(|account| {
                    account.info.enabled
                        && account.info.registration == RegistrationState::Registered
                });
            let call = callable.then(|| (contact.account.clone(), contact.uri.clone()));
            let name = if contact.display_name.is_empty() {
                &contact.uri
            } else {
                &contact.display_name
            };
            // Presence: filled when available, hollow when not, dotted when unknown.
            let dot = match contact.online {
                Some(true) => "●",
                Some(false) => "○",
                None => "◌",
            };
            let text = match contact.state {
                ContactState::Requested => {
                    format!("{dot} {name} · {}", tr.tr("contact-requested"))
                }
                ContactState::Blocked => format!("{dot} {name} · {}", tr.tr("contact-blocked")),
                _ => format!("{dot} {name}"),
            };
            (text, call)
        })
        .collect();
    let mut commands = contacts_ui(ui, tr, &contacts);
    commands.extend(requests_ui(ui, state, tr));

    ui.add_space(8.0);
    ui.label(RichText::new(tr.tr("sidebar-conversations")).strong());
    let conversations: Vec<(ConversationId, String)> = state
        .conversations
        .iter()
        .filter(|(_, conversation)| {
            matches(&conversation.title)
                || conversation.last_message.as_deref().is_some_and(&matches)
        })
        .map(|(id, conversation)| (id.clone(), conversation.title.clone()))
        .collect();
    if conversations.is_empty() {
        ui.weak(tr.tr("sidebar-no-conversations"));
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::vertical()
        .id_salt("conversations")
        .max_height(200.0)
        .show_rows(ui, row_height, conversations.len(), |ui, rows| {
            for (id, title) in conversations.get(rows).unwrap_or_default() {
                let selected = state.ui.selection == Selection::Conversation(id.clone());
                if ui.selectable_label(selected, title).clicked() {
                    state.ui.selection = Selection::Conversation(id.clone());
                    state.ui.page = None;
                }
            }
        });

    if !query.is_empty()
        && state
            .accounts
            .values()
            .all(|account| !matches(&account.info.name))
        && contacts.is_empty()
    {
        ui.weak(tr.tr_args(
            "sidebar-no-match",
            &[("query", state.ui.search.trim().to_owned().into())],
        ));
    }

    ui.add_space(12.0);
    ui.separator();
    if ui.button(tr.tr("sidebar-add-account")).clicked() {
        state.ui.wizard = WizardState::default();
        state.ui.page = Some(Page::Wizard);
    }
    if !state.ui.kiosk && ui.button(tr.tr("sidebar-settings")).clicked() {
        state.ui.page = Some(Page::Settings);
    }
    if ui.button(tr.tr("sidebar-about")).clicked() {
        state.ui.page = Some(Page::About);
    }
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
    ui.add_space(8.0);
    ui.label(RichText::new(tr.tr("sidebar-requests")).strong());
    for contact in requests {
        let name = if contact.display_name.is_empty() {
            contact.uri.get(..12).unwrap_or(&contact.uri).to_owned()
        } else {
            contact.display_name.clone()
        };
        ui.label(&name).on_hover_text(&contact.uri);
        ui.horizontal(|ui| {
            for (label, answer) in [
                ("request-accept", ContactAnswer::Accept),
                ("request-decline", ContactAnswer::Decline),
                ("request-block", ContactAnswer::Block),
            ] {
                if ui.button(tr.tr(label)).clicked() {
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
    commands
}

/// A list that costs the same per frame for 100,000 rows as for 100.
/// The contacts, each with a Call button when it can be called; a click places the call.
fn contacts_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    rows: &[(String, Option<(AccountId, String)>)],
) -> Vec<Command> {
    let mut commands = Vec::new();
    if rows.is_empty() {
        ui.weak(tr.tr("sidebar-no-contacts"));
        return commands;
    }
    egui::ScrollArea::vertical()
        .id_salt("contacts")
        .max_height(ROW_HEIGHT * 8.0)
        .auto_shrink([false, true])
        .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            for (text, call) in rows.get(range).unwrap_or_default() {
                ui.horizontal(|ui| {
                    ui.label(text);
                    if let Some((account, uri)) = call
                        && ui
                            .small_button(tr.tr("contact-call"))
                            .on_hover_text(uri)
                            .clicked()
                    {
                        commands.push(Command::PlaceCall {
                            request: RequestId::next(),
                            account: account.clone(),
                            uri: uri.clone(),
                        });
                    }
                });
            }
        });
    commands
}

/// The user's words for a registration state.
pub fn registration_text(registration: &RegistrationState, tr: &I18n) -> String {
    match registration {
        RegistrationState::Offline => tr.tr("registration-offline"),
        RegistrationState::Trying => tr.tr("registration-trying"),
        RegistrationState::Registered => tr.tr("registration-registered"),
        RegistrationState::Failed(reason) => {
            tr.tr_args("registration-failed", &[("reason", reason.clone().into())])
        }
    }
}

fn registration_color(registration: &RegistrationState, enabled: bool) -> egui::Color32 {
    match (enabled, registration) {
        (false, _) => egui::Color32::GRAY,
        (true, RegistrationState::Registered) => egui::Color32::from_rgb(0x3c, 0xb3, 0x71),
        (true, RegistrationState::Trying) => egui::Color32::from_rgb(0xe0, 0xa0, 0x30),
        (true, RegistrationState::Failed(_)) => egui::Color32::from_rgb(0xd0, 0x40, 0x40),
        (true, RegistrationState::Offline) => egui::Color32::from_gray(140),
    }
}
