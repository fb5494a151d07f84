//! The sidebar: the accounts, one search box (contacts, conversations and message text),
//! and one list at a time (conversations by last activity, contacts with requests and the
//! add box, recent calls); at the bottom the way to the wizard, settings and about pages.

use egui::RichText;

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountId, AccountKind, ConversationId, RegistrationState};
use crate::ui::clock::{self, LocalTime};
use crate::ui::state::{AppState, Conversation, Page, Selection, SidebarTab, WizardState};
use crate::ui::theme;
use crate::ui::widgets::{self, ListRow};

/// Messages a sidebar search lists at most.
const FOUND_SHOWN: usize = 50;
/// Recent calls listed.
pub const RECENT_CALLS: usize = 100;

/// Draws the sidebar.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.ui.recent_stale && state.engine_running {
        state.ui.recent_stale = false;
        commands.push(Command::CallHistory {
            request: RequestId::next(),
            limit: RECENT_CALLS,
        });
    }
    egui::Panel::bottom("sidebar-footer").show(ui, |ui| {
        ui.add_space(theme::SPACE_S);
        if let Some(command) = ui.horizontal_wrapped(|ui| footer_ui(ui, state, tr)).inner {
            commands.push(command);
        }
    });
    ui.add_space(theme::SPACE_M);
    ui.heading(tr.tr("app-name"));
    ui.add_space(theme::SPACE_S);
    accounts_ui(ui, state, tr);
    ui.add_space(theme::SPACE_M);
    ui.add(
        egui::TextEdit::singleline(&mut state.ui.search)
            .hint_text(tr.tr("sidebar-search-hint"))
            .desired_width(f32::INFINITY),
    )
    .accessible_name(tr.tr("sidebar-search-hint"));
    ui.add_space(theme::SPACE_S);
    let query = state.ui.search.trim().to_owned();
    if query.is_empty() {
        state.ui.search_sent = None;
        state.ui.search_found = None;
        tabs_ui(ui, state, tr);
        ui.add_space(theme::SPACE_S);
        match state.ui.sidebar_tab {
            SidebarTab::Conversations => conversations_ui(ui, state, tr),
            SidebarTab::Contacts => commands.extend(super::contacts::show(ui, state, tr)),
            SidebarTab::Calls => commands.extend(super::recent::list_ui(ui, state, tr)),
        }
    } else {
        commands.extend(search_ui(ui, state, tr, &query));
    }
    commands
}

fn footer_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Option<Command> {
    // Do not disturb, one click away: nothing rings and no notification is shown.
    let mut command = None;
    let quiet = state.settings.do_not_disturb;
    if ui
        .add(egui::Button::new(tr.tr("settings-do-not-disturb")).selected(quiet))
        .clicked()
    {
        let mut settings = state.settings.clone();
        settings.do_not_disturb = !quiet;
        command = Some(Command::UpdateSettings(settings));
    }
    if !state.ui.kiosk && ui.button(tr.tr("sidebar-add-account")).clicked() {
        state.ui.wizard = WizardState::default();
        state.ui.open_page(Page::Wizard);
    }
    if !state.ui.kiosk && ui.button(tr.tr("sidebar-settings")).clicked() {
        state.ui.open_page(Page::Settings);
    }
    if ui.button(tr.tr("sidebar-about")).clicked() {
        state.ui.open_page(Page::About);
    }
    command
}

/// Each account: its avatar, name and state; a click opens its page.
fn accounts_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) {
    let mut accounts: Vec<_> = state.accounts.values().collect();
    accounts.sort_by_key(|account| account.position);
    if accounts.is_empty() {
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
            widgets::avatar_ui(ui, &info.name, state.picture(&info.id, None), 22.0);
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
        ui.horizontal(|ui| {
            ui.weak(format!("{kind} · {status}"));
            // Calls are answered by themselves here: say so where it cannot be missed.
            if info.details.auto_answer() && info.enabled {
                widgets::tag_ui(ui, &tr.tr("account-auto-answer"), theme::AMBER);
            }
        });
        // Calls our other devices are in, so that nobody picks up here by mistake.
        for call in &account.calls_elsewhere {
            let peer = super::contacts::peer_name(state, &info.id, &call.peer);
            let text = tr.tr_args(
                "account-call-elsewhere",
                &[
                    ("peer", peer.into()),
                    ("device", call.device.clone().into()),
                ],
            );
            widgets::tag_ui(ui, &format!("☎ {text}"), theme::GREEN);
        }
    }
    if let Some(id) = clicked {
        state.ui.go_to(Selection::Account(id));
    }
}

/// Conversations, Contacts, Recent calls: which list the sidebar shows.
fn tabs_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) {
    let unread: u32 = state.conversations.values().map(|row| row.unread).sum();
    let requests = state
        .contacts
        .values()
        .filter(|contact| contact.state == crate::model::ContactState::Incoming)
        .count() as u32;
    ui.horizontal(|ui| {
        for (tab, key, badge) in [
            (SidebarTab::Conversations, "sidebar-conversations", unread),
            (SidebarTab::Contacts, "sidebar-contacts", requests),
            (SidebarTab::Calls, "sidebar-calls", 0),
        ] {
            if ui
                .selectable_label(state.ui.sidebar_tab == tab, tr.tr(key))
                .clicked()
            {
                state.ui.sidebar_tab = tab;
            }
            widgets::badge_ui(ui, badge);
        }
    });
    ui.separator();
}

/// The picture of a one-to-one P2P conversation's contact, if it shows one.
fn conversation_picture<'a>(
    state: &'a AppState,
    id: &ConversationId,
) -> Option<&'a crate::ui::state::AvatarPicture> {
    let row = state.conversations.get(id)?;
    state.picture(&row.account, row.peer.as_deref())
}

/// The conversations, most recent first, each with its preview, time and unread count.
fn conversations_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) {
    let mut rows: Vec<(&ConversationId, &Conversation)> = state.conversations.iter().collect();
    if rows.is_empty() {
        ui.weak(tr.tr("sidebar-no-conversations"));
        return;
    }
    rows.sort_by_key(|(_, row)| std::cmp::Reverse(row.last_activity_ms));
    let now = LocalTime::local(state.ui.now_ms);
    let mut clicked = None;
    let row_height = theme::LIST_ROW_HEIGHT + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("conversations")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for (id, row) in rows.get(range).unwrap_or_default() {
                let title = conversation_title(row);
                let typing = (!row.typing.is_empty()).then(|| tr.tr("sidebar-typing"));
                let preview = typing.unwrap_or_else(|| {
                    let last = row.last_message.clone().unwrap_or_default();
                    match super::timeline::call_record_text(&last, tr) {
                        Some(record) => format!("☎ {record}"),
                        None => last,
                    }
                });
                let selected = state.ui.selection == Selection::Conversation((*id).clone());
                let item = ListRow {
                    avatar: &title,
                    picture: state.picture(&row.account, row.peer.as_deref()),
                    title: &title,
                    subtitle: &preview,
                    corner: &clock::row_time(row.last_activity_ms, now),
                    badge: row.unread,
                    ..ListRow::default()
                };
                if widgets::list_row_ui(ui, &item, selected).clicked() {
                    clicked = Some((*id).clone());
                }
            }
        });
    if let Some(id) = clicked {
        select_conversation(state, id);
    }
}

/// A conversation's name, never blank: its title, else its peer.
pub fn conversation_title(row: &Conversation) -> String {
    [Some(row.title.trim()), row.peer.as_deref()]
        .into_iter()
        .flatten()
        .find(|text| !text.is_empty())
        .unwrap_or("…")
        .to_owned()
}

/// Opens a conversation in the main area.
pub fn select_conversation(state: &mut AppState, id: ConversationId) {
    state.ui.go_to(Selection::Conversation(id));
}

/// Opens the account's conversation with `peer` (a contact's account id or a SIP URI),
/// adding an empty SIP one to the window when none exists yet (the engine stores it with the
/// first message). False when a P2P contact has no conversation yet.
pub fn open_conversation_with(state: &mut AppState, account: &AccountId, peer: &str) -> bool {
    let existing = state
        .conversations
        .iter()
        .find(|(_, row)| &row.account == account && row.peer.as_deref() == Some(peer))
        .map(|(id, _)| id.clone());
    if let Some(id) = existing {
        select_conversation(state, id);
        return true;
    }
    if state.account_kind(account) == Some(AccountKind::P2p) {
        return false;
    }
    // Any spelling of the peer's address finds its conversation.
    let id = ConversationId::sip(account, peer);
    if state.conversations.get(&id).is_some() {
        select_conversation(state, id);
        return true;
    }
    let peer = &crate::model::address_of_record(peer);
    state.conversations.insert(
        id.clone(),
        Conversation {
            account: account.clone(),
            title: peer.to_owned(),
            last_message: None,
            peer: Some(peer.to_owned()),
            last_activity_ms: state.ui.now_ms,
            unread: 0,
            messages: Vec::new(),
            typing: Default::default(),
            history: Default::default(),
        },
    );
    select_conversation(state, id);
    true
}

/// What the search box finds: contacts and conversations by name, messages by their text
/// (the store's full-text index, asked once per text).
fn search_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n, query: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.ui.search_sent.as_deref() != Some(query) {
        state.ui.search_sent = Some(query.to_owned());
        commands.push(Command::SearchMessages {
            request: RequestId::next(),
            text: query.to_owned(),
            limit: FOUND_SHOWN,
        });
    }
    let needle = query.to_lowercase();
    let matches = |text: &str| text.to_lowercase().contains(&needle);
    let now = LocalTime::local(state.ui.now_ms);
    let mut open = None;
    let mut nothing = true;
    egui::ScrollArea::vertical()
        .id_salt("search")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            commands.extend(super::contacts::matching_ui(
                ui,
                state,
                tr,
                &matches,
                &mut nothing,
            ));
            let conversations: Vec<(ConversationId, String, String)> = state
                .conversations
                .iter()
                .filter(|(_, row)| {
                    matches(&conversation_title(row))
                        || row.last_message.as_deref().is_some_and(&matches)
                })
                .map(|(id, row)| {
                    let preview = row.last_message.clone().unwrap_or_default();
                    (id.clone(), conversation_title(row), preview)
                })
                .collect();
            if !conversations.is_empty() {
                nothing = false;
                ui.label(RichText::new(tr.tr("sidebar-conversations")).strong());
                for (id, title, preview) in conversations {
                    let item = ListRow {
                        avatar: &title,
                        picture: conversation_picture(state, &id),
                        title: &title,
                        subtitle: &preview,
                        ..ListRow::default()
                    };
                    if widgets::list_row_ui(ui, &item, false).clicked() {
                        open = Some(id);
                    }
                }
            }
            let found = match &state.ui.search_found {
                Some((text, found)) if text == query => found.as_slice(),
                _ => &[],
            };
            if !found.is_empty() {
                nothing = false;
                ui.label(RichText::new(tr.tr("sidebar-found-messages")).strong());
            }
            for message in found {
                let id = ConversationId(message.conversation_id.clone());
                let title = state
                    .conversations
                    .get(&id)
                    .map(conversation_title)
                    .unwrap_or_else(|| message.author.clone());
                let item = ListRow {
                    avatar: &title,
                    picture: conversation_picture(state, &id),
                    title: &title,
                    subtitle: &message.body,
                    corner: &clock::row_time(message.sent_at, now),
                    ..ListRow::default()
                };
                if widgets::list_row_ui(ui, &item, false).clicked() {
                    open = Some(id);
                }
            }
        });
    if nothing {
        ui.weak(tr.tr_args("sidebar-no-match", &[("query", query.to_owned().into())]));
    }
    if let Some(id) = open
        && state.conversations.get(&id).is_some()
    {
        select_conversation(state, id);
    }
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
        (true, RegistrationState::Registered) => theme::GREEN,
        (true, RegistrationState::Trying) => theme::AMBER,
        (true, RegistrationState::Failed(_)) => theme::RED,
        (true, RegistrationState::Offline) => egui::Color32::from_gray(140),
    }
}
