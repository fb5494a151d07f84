//! Engine events applied to the window state: one arm per event, no egui, no I/O.

use super::state::{
    Account, AppState, Call, CallState, ChatMessage, Contact, Conversation, Page, Selection,
};
use crate::engine::Event;
use crate::model::AccountInfo;

/// Points of call statistics kept for the plot (a minute at one per second).
const CALL_HISTORY_POINTS: usize = 60;

/// Applies one engine event.
pub fn apply(state: &mut AppState, event: Event) {
    match event {
        Event::Started {
            data_dir,
            settings,
            accounts,
            contacts,
            conversations,
        } => {
            state.accounts.clear();
            for info in accounts {
                upsert_account(state, info);
            }
            if std::mem::take(&mut state.ui.open_first_account)
                && let Some((first, _)) = state.accounts.iter().next()
            {
                state.ui.selection = Selection::Account(first.clone());
            }
            state.contacts.clear();
            for contact in contacts {
                state.contacts.insert(
                    contact.id,
                    Contact {
                        account: contact.account,
                        uri: contact.uri,
                        display_name: contact.display_name,
                        state: contact.state,
                        online: None,
                    },
                );
            }
            state.conversations.clear();
            // Listed most recent first.
            if std::mem::take(&mut state.ui.open_first_conversation)
                && let Some(newest) = conversations.first()
            {
                state.ui.selection = Selection::Conversation(newest.id.clone());
            }
            for conversation in conversations {
                state.conversations.insert(
                    conversation.id,
                    Conversation {
                        account: conversation.account,
                        title: conversation.title,
                        last_message: conversation.last_message,
                        peer: None,
                        messages: Vec::new(),
                        typing: Default::default(),
                    },
                );
            }
            state.ui.ringtone_path = path_text(settings.ringtone.as_deref());
            state.settings = settings;
            state.data_dir = Some(data_dir);
            state.engine_running = true;
        }
        Event::AccountAdded { request, account } => {
            let id = account.id.clone();
            upsert_account(state, account);
            if request.is_some() && request == state.ui.wizard.pending {
                state.ui.wizard = Default::default();
                state.ui.page = None;
                state.ui.selection = Selection::Account(id);
            }
        }
        Event::AccountChanged { account } => upsert_account(state, account),
        Event::AccountRemoved { account } => {
            state.accounts.remove(&account);
            if state.ui.selection == Selection::Account(account) {
                state.ui.selection = Selection::None;
            }
        }
        Event::SettingsChanged { settings } => {
            state.ui.ringtone_path = path_text(settings.ringtone.as_deref());
            state.settings = settings;
        }
        Event::AudioDevices { inputs, outputs } => {
            state.audio_inputs = inputs;
            state.audio_outputs = outputs;
        }
        Event::InputLevel { peak } => state.input_level = peak.clamp(0.0, 1.0),
        Event::ArchiveExported { request, path, .. } => {
            if state.ui.account_form.pending_export == Some(request) {
                state.ui.account_form.pending_export = None;
                state.ui.account_form.export_passphrase.clear();
            }
            state.ui.notices.push(path.display().to_string());
        }
        Event::Failed { request, error } => {
            if request.is_some() && request == state.ui.wizard.pending {
                state.ui.wizard.pending = None;
                state.ui.wizard.error = Some(error);
            } else {
                let form = &mut state.ui.account_form;
                if request.is_some() && request == form.pending_export {
                    form.pending_export = None;
                }
                if request.is_some() && request == form.pending_link {
                    form.pending_link = None;
                }
                if request.is_some() && request == form.pending_groups {
                    // Not asked again every frame: the page shows no groups.
                    form.pending_groups = None;
                    form.groups = Some(Vec::new());
                }
                state.ui.errors.push(error);
            }
        }
        Event::CallAdded {
            call,
            account,
            peer,
            state: call_state,
            ..
        } => state.calls.insert(
            call,
            Call {
                account,
                peer,
                state: call_state,
                outgoing: call_state == CallState::Outgoing,
                held_remotely: false,
                dtmf_received: String::new(),
                transfer_code: None,
                muted: false,
                conference: false,
                recording: None,
                playing: None,
                media: None,
                path: None,
                history: std::collections::VecDeque::new(),
            },
        ),
        Event::CallMedia { call, stats } => {
            if let Some(row) = state.calls.get_mut(&call) {
                if row.history.len() >= CALL_HISTORY_POINTS {
                    row.history.pop_front();
                }
                row.history.push_back((
                    stats.loss_percent,
                    stats.jitter_ms,
                    stats.rtt_ms.unwrap_or(0.0),
                ));
                row.muted = stats.muted;
                row.media = Some(stats);
            }
        }
        Event::CallPath { call, device, path } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.path = Some((device, path));
            }
        }
        Event::CallConference { call, joined } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.conference = joined;
            }
        }
        Event::MediaHealth { ticks, late } => state.media_ticks = (ticks, late),
        Event::CallMuted { call, muted } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.muted = muted;
            }
        }
        Event::CallRecording { call, path } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.recording = path;
            }
        }
        Event::CallPlaying { call, path } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.playing = path;
            }
        }
        Event::CallHold { call, remote, .. } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.held_remotely = remote;
            }
        }
        Event::Dtmf { call, digit } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.dtmf_received.push(digit);
            }
        }
        Event::TransferProgress { call, code } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.transfer_code = Some(code);
            }
        }
        Event::MessageAdded {
            conversation,
            peer,
            text,
            outgoing,
            sent_at_ms,
            commit,
        } => {
            let entry = state.conversations.get_mut(&conversation.id);
            let row = match entry {
                Some(row) => row,
                None => {
                    state.conversations.insert(
                        conversation.id.clone(),
                        Conversation {
                            account: conversation.account,
                            title: conversation.title,
                            last_message: None,
                            peer: Some(peer.clone()),
                            messages: Vec::new(),
                            typing: Default::default(),
                        },
                    );
                    let Some(row) = state.conversations.get_mut(&conversation.id) else {
                        return;
                    };
                    row
                }
            };
            row.peer = Some(peer);
            row.last_message = Some(text.clone());
            if !outgoing && state.settings.open_urls {
                state.ui.urls_to_open.extend(
                    crate::ui::links::find_urls(&text)
                        .into_iter()
                        .map(str::to_owned),
                );
            }
            row.messages.push(ChatMessage {
                text,
                outgoing,
                sent_at_ms,
                commit,
                receipt: String::new(),
            });
        }
        Event::Answer { request, value } => {
            let form = &mut state.ui.account_form;
            if form.pending_link == Some(request) {
                form.pending_link = None;
                form.link_pin = value["pin"].as_str().map(str::to_owned);
            }
            if form.pending_groups == Some(request) {
                form.pending_groups = None;
                form.groups = Some(crate::ui::views::groups::groups_of(&value));
            }
        }
        Event::MessageDelivery { .. } => {}
        Event::ContactAdded { contact, .. } => {
            let online = state.contacts.get(&contact.id).and_then(|row| row.online);
            state.contacts.insert(
                contact.id,
                Contact {
                    account: contact.account,
                    uri: contact.uri,
                    display_name: contact.display_name,
                    state: contact.state,
                    online,
                },
            );
        }
        Event::ContactPresence {
            account,
            uri,
            online,
        } => {
            let ids: Vec<_> = state
                .contacts
                .iter()
                .filter(|(_, row)| row.account == account && row.uri == uri)
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                if let Some(row) = state.contacts.get_mut(&id) {
                    row.online = online;
                }
            }
        }
        Event::PublicAddress { account, address } => {
            if let Some(row) = state.accounts.get_mut(&account) {
                row.public_address = Some(address);
            }
        }
        Event::Voicemail { account, new, old } => {
            if let Some(row) = state.accounts.get_mut(&account) {
                row.voicemail = Some((new, old));
            }
        }
        Event::CallChanged {
            call,
            state: call_state,
        } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.state = call_state;
            }
        }
        Event::CallEnded { call, .. } => {
            state.calls.remove(&call);
        }
        Event::Notice { text } => state.ui.notices.push(text),
        Event::Typing {
            conversation,
            peer,
            typing,
            ..
        } => {
            if let Some(row) = state.conversations.get_mut(&conversation) {
                if typing {
                    row.typing.insert(peer);
                } else {
                    row.typing.remove(&peer);
                }
            }
        }
        Event::Messages {
            conversation,
            search,
            messages,
            ..
        } => {
            let found: Vec<ChatMessage> = messages.into_iter().map(chat_message).collect();
            match search {
                Some(text) => state.ui.chat_found = Some((conversation, text, found)),
                None => {
                    if let Some(row) = state.conversations.get_mut(&conversation) {
                        // The stored history first, then what came since it was read.
                        let seen = std::mem::replace(&mut row.messages, found);
                        for message in seen {
                            if !row.messages.iter().any(|had| same_message(had, &message)) {
                                row.messages.push(message);
                            }
                        }
                    }
                }
            }
        }
        Event::Receipt {
            conversation,
            commits,
            receipt,
            ..
        } => {
            if let Some(row) = state.conversations.get_mut(&conversation) {
                for message in row.messages.iter_mut().filter(|message| {
                    message.outgoing
                        && message
                            .commit
                            .as_ref()
                            .is_some_and(|commit| commits.contains(commit))
                }) {
                    // Never back from read to delivered.
                    if message.receipt != "read" {
                        message.receipt = receipt.clone();
                    }
                }
            }
        }
        Event::TransferUpdated { transfer } => {
            state.transfers.insert(transfer.id.clone(), transfer);
        }
        Event::Stopped => state.engine_running = false,
    }
}

/// True when the settings page is open, so the engine should run the input meter.
pub fn wants_input_meter(state: &AppState) -> bool {
    state.ui.page == Some(Page::Settings)
}

fn upsert_account(state: &mut AppState, info: AccountInfo) {
    let position = match state.accounts.get(&info.id) {
        Some(existing) => existing.position,
        None => state
            .accounts
            .values()
            .map(|account| account.position + 1)
            .max()
            .unwrap_or(0),
    };
    let (voicemail, public_address) = state
        .accounts
        .get(&info.id)
        .map(|existing| (existing.voicemail, existing.public_address.clone()))
        .unwrap_or_default();
    state.accounts.insert(
        info.id.clone(),
        Account {
            info,
            position,
            voicemail,
            public_address,
        },
    );
}

fn path_text(path: Option<&std::path::Path>) -> String {
    path.map(|path| path.display().to_string())
        .unwrap_or_default()
}

/// A stored message as the conversation view shows it (a deleted one has no text).
fn chat_message(record: crate::model::MessageRecord) -> ChatMessage {
    ChatMessage {
        text: record.body,
        outgoing: record.outgoing,
        sent_at_ms: record.sent_at,
        commit: record.commit_id,
        // Receipts are shown on our messages only.
        receipt: if record.outgoing {
            record.receipt
        } else {
            String::new()
        },
    }
}

/// The same message, read from the store and seen as an event: by its commit (P2P), else
/// by time, direction and text (SIP).
fn same_message(a: &ChatMessage, b: &ChatMessage) -> bool {
    match (&a.commit, &b.commit) {
        (Some(a), Some(b)) => a == b,
        _ => a.sent_at_ms == b.sent_at_ms && a.outgoing == b.outgoing && a.text == b.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::engine::RequestId;
    use crate::model::{AccountDetails, AccountId, RegistrationState};

    fn p2p(id: &str, name: &str) -> AccountInfo {
        AccountInfo {
            id: AccountId(id.into()),
            name: name.into(),
            enabled: true,
            created_at: 0,
            registration: RegistrationState::Offline,
            details: AccountDetails::P2p { devices: vec![] },
        }
    }

    fn message(text: &str, outgoing: bool) -> Event {
        Event::MessageAdded {
            conversation: crate::model::ConversationInfo {
                id: crate::model::ConversationId("p2p:me:ab".into()),
                account: AccountId("me".into()),
                title: "Zoe".into(),
                last_message: None,
            },
            peer: "zoe".into(),
            text: text.into(),
            outgoing,
            sent_at_ms: 1,
            commit: Some(format!("c-{text}")),
        }
    }

    #[test]
    fn links_received_are_opened_only_when_the_user_asked_for_it() {
        let mut state = AppState::default();
        apply(&mut state, message("look https://example.org/x", false));
        assert!(state.ui.urls_to_open.is_empty(), "off by default");
        state.settings.open_urls = true;
        apply(&mut state, message("look https://example.org/x", false));
        apply(&mut state, message("mine https://example.org/y", true));
        assert_eq!(state.ui.urls_to_open, vec!["https://example.org/x"]);
    }

    #[test]
    fn receipts_mark_our_messages_delivered_then_read_and_never_back() {
        let mut state = AppState::default();
        apply(&mut state, message("hi", true));
        apply(&mut state, message("theirs", false));
        let receipt = |kind: &str, commit: &str| Event::Receipt {
            account: AccountId("me".into()),
            conversation: crate::model::ConversationId("p2p:me:ab".into()),
            commits: vec![commit.into()],
            receipt: kind.into(),
        };
        let receipts = |state: &AppState| -> Vec<String> {
            let id = crate::model::ConversationId("p2p:me:ab".into());
            let row = state.conversations.get(&id).cloned().unwrap();
            row.messages.iter().map(|m| m.receipt.clone()).collect()
        };
        apply(&mut state, receipt("delivered", "c-hi"));
        assert_eq!(receipts(&state), vec!["delivered", ""]);
        apply(&mut state, receipt("read", "c-hi"));
        apply(&mut state, receipt("delivered", "c-hi"));
        // A receipt naming someone else's message changes nothing.
        apply(&mut state, receipt("read", "c-theirs"));
        assert_eq!(receipts(&state), vec!["read", ""]);
    }

    #[test]
    fn stored_history_goes_before_what_was_seen_and_each_message_is_shown_once() {
        let mut state = AppState::default();
        apply(&mut state, message("new one", false));
        apply(&mut state, message("hi", true));
        let id = crate::model::ConversationId("p2p:me:ab".into());
        let stored = |body: &str, outgoing: bool, receipt: &str| crate::model::MessageRecord {
            conversation_id: id.0.clone(),
            commit_id: Some(format!("c-{body}")),
            body: body.into(),
            outgoing,
            receipt: receipt.into(),
            ..crate::model::MessageRecord::default()
        };
        // The history read from the store holds "hi" too (it was stored as it was sent).
        apply(
            &mut state,
            Event::Messages {
                request: RequestId(1),
                conversation: id.clone(),
                search: None,
                messages: vec![
                    stored("old", false, "read"),
                    stored("", true, "delivered"),
                    stored("hi", true, "read"),
                ],
            },
        );
        let row = state.conversations.get(&id).cloned().unwrap();
        let shown: Vec<(&str, &str)> = row
            .messages
            .iter()
            .map(|m| (m.text.as_str(), m.receipt.as_str()))
            .collect();
        // Receipts only on ours; a deleted one has no text; "hi" once; "new one" after.
        assert_eq!(
            shown,
            [
                ("old", ""),
                ("", "delivered"),
                ("hi", "read"),
                ("new one", "")
            ]
        );
        // A search's answer is kept apart and leaves the conversation as it was.
        apply(
            &mut state,
            Event::Messages {
                request: RequestId(2),
                conversation: id.clone(),
                search: Some("ol".into()),
                messages: vec![stored("old", false, "")],
            },
        );
        let (found_in, text, found) = state.ui.chat_found.clone().unwrap();
        assert_eq!(
            (found_in, text.as_str(), found.len()),
            (id.clone(), "ol", 1)
        );
        assert_eq!(state.conversations.get(&id).unwrap().messages.len(), 4);
    }

    #[test]
    fn typing_members_come_and_go() {
        let mut state = AppState::default();
        apply(&mut state, message("hi", false));
        let typing = |on: bool| Event::Typing {
            account: AccountId("me".into()),
            conversation: crate::model::ConversationId("p2p:me:ab".into()),
            peer: "zoe".into(),
            typing: on,
        };
        apply(&mut state, typing(true));
        let row = |state: &AppState| {
            state
                .conversations
                .get(&crate::model::ConversationId("p2p:me:ab".into()))
                .cloned()
                .unwrap()
        };
        assert!(row(&state).typing.contains("zoe"));
        apply(&mut state, typing(false));
        assert!(row(&state).typing.is_empty());
    }

    #[test]
    fn started_replaces_accounts_and_settings() {
        let mut state = AppState::default();
        apply(
            &mut state,
            Event::AccountAdded {
                request: None,
                account: p2p("old", "Old"),
            },
        );
        let settings = Settings {
            language: "de".into(),
            ..Settings::default()
        };
        apply(
            &mut state,
            Event::Started {
                data_dir: "/d".into(),
                settings: settings.clone(),
                accounts: vec![p2p("b", "B"), p2p("a", "A")],
                contacts: vec![crate::model::ContactInfo {
                    id: crate::model::ContactId(7),
                    account: AccountId("a".into()),
                    uri: "sip:carol@example.org".into(),
                    display_name: "Carol".into(),
                    state: crate::model::ContactState::Confirmed,
                }],
                conversations: vec![],
            },
        );
        assert_eq!(state.accounts.len(), 2);
        assert!(state.accounts.get(&AccountId("old".into())).is_none());
        assert_eq!(
            state.accounts.get(&AccountId("b".into())).unwrap().position,
            0
        );
        assert_eq!(
            state.accounts.get(&AccountId("a".into())).unwrap().position,
            1
        );
        assert_eq!(state.settings, settings);
        assert!(state.engine_running);
        let carol = state.contacts.get(&crate::model::ContactId(7)).unwrap();
        assert_eq!((carol.display_name.as_str(), carol.online), ("Carol", None));
    }

    #[test]
    fn answer_to_the_wizard_closes_it_and_selects_the_account() {
        let mut state = AppState::default();
        let request = RequestId(42);
        state.ui.page = Some(Page::Wizard);
        state.ui.wizard.pending = Some(request);
        state.ui.wizard.name = "Alice".into();
        apply(
            &mut state,
            Event::AccountAdded {
                request: Some(request),
                account: p2p("a", "Alice"),
            },
        );
        assert_eq!(state.ui.page, None);
        assert_eq!(
            state.ui.selection,
            Selection::Account(AccountId("a".into()))
        );
        assert!(state.ui.wizard.name.is_empty());
    }

    #[test]
    fn failure_of_the_wizard_request_stays_in_the_wizard() {
        let mut state = AppState::default();
        state.ui.page = Some(Page::Wizard);
        state.ui.wizard.pending = Some(RequestId(7));
        apply(
            &mut state,
            Event::Failed {
                request: Some(RequestId(7)),
                error: "wrong passphrase".into(),
            },
        );
        assert_eq!(state.ui.page, Some(Page::Wizard));
        assert_eq!(state.ui.wizard.error.as_deref(), Some("wrong passphrase"));
        assert_eq!(state.ui.wizard.pending, None);
        apply(
            &mut state,
            Event::Failed {
                request: None,
                error: "disk full".into(),
            },
        );
        assert_eq!(state.ui.errors, vec!["disk full".to_owned()]);
    }

    #[test]
    fn changes_keep_position_and_removal_clears_selection() {
        let mut state = AppState::default();
        apply(
            &mut state,
            Event::AccountAdded {
                request: None,
                account: p2p("a", "A"),
            },
        );
        apply(
            &mut state,
            Event::AccountAdded {
                request: None,
                account: p2p("b", "B"),
            },
        );
        let mut renamed = p2p("a", "Renamed");
        renamed.enabled = false;
        apply(&mut state, Event::AccountChanged { account: renamed });
        let a = state.accounts.get(&AccountId("a".into())).unwrap();
        assert_eq!(
            (a.info.name.as_str(), a.info.enabled, a.position),
            ("Renamed", false, 0)
        );
        state.ui.selection = Selection::Account(AccountId("b".into()));
        apply(
            &mut state,
            Event::AccountRemoved {
                account: AccountId("b".into()),
            },
        );
        assert_eq!(state.ui.selection, Selection::None);
        assert_eq!(state.accounts.len(), 1);
    }

    #[test]
    fn devices_levels_and_stop_are_recorded() {
        let mut state = AppState::default();
        apply(
            &mut state,
            Event::AudioDevices {
                inputs: vec!["Mic".into()],
                outputs: vec!["Speakers".into()],
            },
        );
        apply(&mut state, Event::InputLevel { peak: 1.7 });
        apply(&mut state, Event::Stopped);
        assert_eq!(state.audio_inputs, vec!["Mic".to_owned()]);
        assert_eq!(state.input_level, 1.0);
        assert!(!state.engine_running);
    }
}
