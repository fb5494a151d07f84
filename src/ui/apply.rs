//! Engine events applied to the window state: one arm per event, no egui, no I/O.

use super::state::{
    Account, AppState, Call, CallElsewhere, CallState, ChatMessage, Contact, Conversation,
    EndedCall, OpenRequest, Page, Selection,
};
use crate::engine::Event;
use crate::model::{AccountId, AccountInfo, ConversationId, ConversationInfo};

/// Messages a conversation keeps in the window, newest last, however long the window runs:
/// the memory it holds stays bounded (the store keeps them all, and a scroll up reads them
/// again). A frame lays out only the rows in view (`virtual_list`), so it is not the bound
/// of a frame's cost. See BENCHMARKS.md, "window frame".
pub const MESSAGES_KEPT: usize = 100_000;

/// Messages read from the store at a time: the newest when a conversation is first shown,
/// then each older page a scroll to the top asks for.
pub const HISTORY_PAGE: usize = 200;

/// Drops the oldest messages beyond [`MESSAGES_KEPT`].
fn keep_recent(messages: &mut Vec<ChatMessage>) {
    if messages.len() > MESSAGES_KEPT {
        messages.drain(..messages.len() - MESSAGES_KEPT);
    }
}

/// Ended calls kept on screen at most.
const ENDED_CALLS_SHOWN: usize = 3;

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
                let (id, row) = conversation_row(conversation);
                state.conversations.insert(id, row);
            }
            state.ui.recent_stale = true;
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
        Event::AccountChanged { account } => {
            let form = &mut state.ui.account_form;
            if form.pending_sip.is_some() && form.account.as_ref() == Some(&account.id) {
                // Saved: the form shows the settings as stored now.
                form.pending_sip = None;
                form.sip = None;
                form.sip_saved = true;
            }
            upsert_account(state, account);
        }
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
        Event::Volume { volume } => state.ui.volume = Some(volume.clamp(0.0, 2.0)),
        Event::ArchiveExported { request, path, .. } => {
            if state.ui.account_form.pending_export == Some(request) {
                state.ui.account_form.pending_export = None;
                state.ui.account_form.export_passphrase.clear();
            }
            state
                .ui
                .notices
                .push(super::state::Notice::Said(path.display().to_string()));
        }
        Event::Failed {
            request,
            error,
            problem,
        } => {
            // Said in the window's language when the engine knows the kind of failure.
            let said = match problem {
                Some(mut problem) => {
                    // An account by its name, not its id.
                    for (name, value) in &mut problem.args {
                        if let Some(account) = state.accounts.get(&AccountId(value.clone()))
                            && name == "account"
                        {
                            *value = account.info.name.clone();
                        }
                    }
                    super::state::Notice::Problem(problem)
                }
                None => super::state::Notice::Said(error.clone()),
            };
            if request.is_some() && request == state.ui.wizard.pending {
                state.ui.wizard.pending = None;
                state.ui.wizard.error = Some(error);
            } else {
                // A message that did not go says so on its bubble, with Retry.
                if let Some(request) = request
                    && mark_sent(state, request, "failed")
                {
                    return;
                }
                if request.is_some() && request == state.ui.account_form.pending_name {
                    state.ui.account_form.pending_name = None;
                }
                if request.is_some() && request == state.ui.add_contact.pending {
                    state.ui.add_contact.pending = None;
                    state.ui.add_contact.error = Some(said);
                    return;
                }
                let form = &mut state.ui.account_form;
                if request.is_some() && request == form.pending_export {
                    form.pending_export = None;
                }
                if request.is_some() && request == form.pending_sip {
                    // The form keeps what was typed; the reason shows under it.
                    form.pending_sip = None;
                    form.sip_error = Some(error);
                    return;
                }
                if request.is_some() && request == form.pending_link {
                    form.pending_link = None;
                }
                if request.is_some() && request == form.pending_groups {
                    // Not asked again every frame: the page shows no groups.
                    form.pending_groups = None;
                    form.groups = Some(Vec::new());
                }
                // The same error twice is shown once.
                if !state.ui.errors.contains(&said) {
                    state.ui.errors.push(said);
                }
            }
        }
        Event::CallAdded {
            call,
            account,
            peer,
            state: call_state,
            ..
        } => {
            // A call placed here (or answered by itself) is what the user wants to see; a
            // ringing one asks first, in its dialog.
            if call_state != CallState::Incoming {
                state.ui.call_in_front = Some(call);
            }
            state.calls.insert(
                call,
                Call {
                    account,
                    peer,
                    state: call_state,
                    outgoing: call_state == CallState::Outgoing,
                    answered_at_ms: matches!(call_state, CallState::Active | CallState::Held)
                        .then_some(state.ui.now_ms),
                    held_remotely: false,
                    dtmf_received: String::new(),
                    transfer_code: None,
                    muted: false,
                    conference: false,
                    recording: None,
                    playing: None,
                    media: None,
                    path: None,
                    ice_pair: None,
                    history: std::collections::VecDeque::new(),
                },
            );
        }
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
        Event::CallPath {
            call,
            device,
            path,
            pair,
        } => {
            if let Some(row) = state.calls.get_mut(&call) {
                row.path = Some((device, path));
                row.ice_pair = pair;
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
        Event::MessageEdited {
            conversation,
            commit,
            text,
        } => {
            if let Some(row) = state.conversations.get_mut(&conversation)
                && let Some(message) = row
                    .messages
                    .iter_mut()
                    .find(|message| message.commit.as_deref() == Some(commit.as_str()))
            {
                // A deleted message keeps its place, empty ("deleted" is drawn).
                message.text = text.unwrap_or_default();
                message.edits += 1;
            }
        }
        Event::CallElsewhere {
            account,
            device,
            peer,
            active,
        } => {
            if let Some(row) = state.accounts.get_mut(&account) {
                let call = CallElsewhere { device, peer };
                row.calls_elsewhere.retain(|known| known != &call);
                if active {
                    row.calls_elsewhere.push(call);
                }
            }
        }
        Event::ConversationAdded { conversation } => {
            if state.conversations.get(&conversation.id).is_none() {
                let (id, row) = conversation_row(conversation);
                state.conversations.insert(id, row);
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
            if state.conversations.get(&conversation.id).is_none() {
                let (id, mut row) = conversation_row(conversation.clone());
                (row.last_message, row.peer, row.unread) = (None, None, 0);
                row.last_activity_ms = sent_at_ms;
                state.conversations.insert(id, row);
            }
            let Some(row) = state.conversations.get_mut(&conversation.id) else {
                return;
            };
            // Replies go where the engine says (a group, not its last author).
            row.peer = conversation.peer.or(Some(peer));
            row.last_message = Some(text.clone());
            row.last_activity_ms = row.last_activity_ms.max(sent_at_ms);
            if !outgoing {
                row.unread += 1;
            }
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
                row: 0,
                edits: 0,
            });
            keep_recent(&mut row.messages);
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
            let page = &mut state.ui.contact_page;
            if page.pending == Some(request) {
                page.pending = None;
                page.devices =
                    Some(serde_json::from_value(value["devices"].clone()).unwrap_or_default());
            }
            if form.pending_name == Some(request) {
                form.pending_name = None;
                form.registered_name = value["name"].as_str().map(str::to_owned);
                form.register_name.clear();
            }
        }
        Event::MessageDelivery { request, code } => {
            if (200..300).contains(&code) {
                mark_sent(state, request, "delivered");
            }
        }
        Event::PeerProfile {
            account,
            peer,
            name,
        } => {
            // A one-to-one conversation still named by the peer's id takes its name.
            name_unnamed_conversations(state, &account, &peer, &name);
            state.profiles.insert((account, peer), name);
        }
        Event::Picture {
            account,
            peer,
            picture,
        } => match picture {
            Some(picture) => {
                state.pictures.insert(
                    (account, peer),
                    crate::ui::state::AvatarPicture {
                        hash: picture.hash,
                        bytes: picture.bytes.into(),
                    },
                );
            }
            None => {
                state.pictures.remove(&(account, peer));
            }
        },
        Event::ContactRemoved { account, uri, .. } => {
            let gone: Vec<crate::model::ContactId> = state
                .contacts
                .iter()
                .filter(|(_, row)| row.account == account && row.uri == uri)
                .map(|(id, _)| *id)
                .collect();
            for id in gone {
                state.contacts.remove(&id);
                if state.ui.selection == Selection::Contact(id) {
                    state.ui.selection = Selection::None;
                }
            }
        }
        Event::ContactAdded { contact, request } => {
            if request.is_some() && request == state.ui.add_contact.pending {
                state.ui.add_contact = Default::default();
            }
            let online = state
                .ui
                .presence
                .get(&(contact.account.clone(), contact.uri.clone()))
                .copied()
                .flatten();
            // A conversation listed before the contact had its name (the engine creates
            // it first) goes by that name now.
            let name = contact.display_name.trim();
            if !name.is_empty() {
                name_unnamed_conversations(state, &contact.account, &contact.uri, name);
            }
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
            // Kept for a contact added later (a peer's device may be online before it is a
            // contact of ours).
            state
                .ui
                .presence
                .insert((account.clone(), uri.clone()), online);
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
                // Answered here: the call comes to the front.
                if row.state == CallState::Incoming && call_state == CallState::Active {
                    state.ui.call_in_front = Some(call);
                }
                row.state = call_state;
                if matches!(call_state, CallState::Active | CallState::Held) {
                    row.answered_at_ms.get_or_insert(state.ui.now_ms);
                }
            }
        }
        Event::CallEnded { call, reason } => call_ended(state, call, reason),
        Event::CallHistory { calls, .. } => state.recent_calls = calls,
        Event::Found { text, messages, .. } => {
            // Only the answer to what the box still says.
            if state.ui.search_sent.as_deref() == Some(text.as_str()) {
                state.ui.search_found = Some((text, messages));
            }
        }
        Event::Open { uri } => {
            // A few at most: a headless engine's state never takes them.
            if state.ui.open_requests.len() >= 16 {
                state.ui.open_requests.remove(0);
            }
            state.ui.open_requests.push(OpenRequest {
                uri,
                since_ms: state.ui.now_ms,
                raised: false,
            });
        }
        Event::Notice { problem, .. } => {
            // One per cause: the same problem again is not shown twice.
            let notice = super::state::Notice::Problem(problem);
            if !state.ui.notices.contains(&notice) {
                state.ui.notices.push(notice);
            }
        }
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
            before,
            messages,
            ..
        } => {
            let complete = messages.len() < HISTORY_PAGE;
            let found: Vec<ChatMessage> = messages.into_iter().map(chat_message).collect();
            match (search, before) {
                (Some(text), _) => state.ui.chat_found = Some((conversation, text, found)),
                // A page of older ones goes before what is held.
                (None, Some(_)) => {
                    if let Some(row) = state.conversations.get_mut(&conversation) {
                        let held = std::mem::replace(&mut row.messages, found);
                        row.messages
                            .retain(|old| !held.iter().any(|had| same_message(had, old)));
                        row.messages.extend(held);
                        row.history.older_pending = false;
                        row.history.complete = complete;
                    }
                }
                (None, None) => {
                    if let Some(row) = state.conversations.get_mut(&conversation) {
                        // The stored history first, then what came since it was read. What
                        // came before the page's first message is older than the page: a
                        // scroll up reads it again, in its place.
                        let first = found.first().map(|message| message.sent_at_ms);
                        let seen = std::mem::replace(&mut row.messages, found);
                        for message in seen {
                            let older = first.is_some_and(|first| message.sent_at_ms < first);
                            if !older && !row.messages.iter().any(|had| same_message(had, &message))
                            {
                                row.messages.push(message);
                            }
                        }
                        keep_recent(&mut row.messages);
                        row.history.loaded = true;
                        row.history.complete = complete;
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

/// Sets the receipt of the SIP message `request` sent (its newest bubble with that text and
/// no receipt yet); true when there was one.
fn mark_sent(state: &mut AppState, request: crate::engine::RequestId, receipt: &str) -> bool {
    let Some((conversation, text)) = state.ui.sending.remove(&request) else {
        return false;
    };
    if let Some(row) = state.conversations.get_mut(&conversation)
        && let Some(message) = row.messages.iter_mut().rev().find(|message| {
            message.outgoing
                && message.commit.is_none()
                && message.text == text
                && message.receipt.is_empty()
        })
    {
        message.receipt = receipt.to_owned();
    }
    true
}

/// `account`'s conversations with `peer` that have no title, or its address as their title,
/// take `name` (a contact's, or the peer's own).
fn name_unnamed_conversations(state: &mut AppState, account: &AccountId, peer: &str, name: &str) {
    for row in state.conversations.values_mut() {
        let unnamed = row.title.trim().is_empty() || row.title == peer;
        if &row.account == account && row.peer.as_deref() == Some(peer) && unnamed {
            row.title = name.to_owned();
        }
    }
}

/// Keeps an ended call on screen with its reason, and marks Recent calls for a re-read.
fn call_ended(state: &mut AppState, call: crate::model::CallId, reason: String) {
    state.ui.recent_stale = true;
    let Some(row) = state.calls.remove(&call) else {
        return;
    };
    // The front goes to a call still going on (one ringing asks in its dialog), else back
    // to what was shown before.
    if state.ui.call_in_front == Some(call) {
        state.ui.call_in_front = state
            .calls
            .iter()
            .find(|(_, other)| other.state != CallState::Incoming)
            .map(|(id, _)| *id);
    }
    let peer_name = super::views::contacts::peer_name(state, &row.account, &row.peer);
    // Newest first; a handful is plenty.
    state.ui.ended_calls.insert(
        0,
        EndedCall {
            account: row.account,
            peer: row.peer,
            peer_name,
            outgoing: row.outgoing,
            answered: row.answered_at_ms.is_some(),
            reason,
        },
    );
    state.ui.ended_calls.truncate(ENDED_CALLS_SHOWN);
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
    let (voicemail, public_address, calls_elsewhere) = state
        .accounts
        .get(&info.id)
        .map(|existing| {
            let public = existing.public_address.clone();
            (existing.voicemail, public, existing.calls_elsewhere.clone())
        })
        .unwrap_or_default();
    state.accounts.insert(
        info.id.clone(),
        Account {
            info,
            position,
            voicemail,
            public_address,
            calls_elsewhere,
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
        row: record.id,
        edits: 0,
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
mod tests;

/// A conversation's row in the window, from what the engine says of it.
fn conversation_row(conversation: ConversationInfo) -> (ConversationId, Conversation) {
    let row = Conversation {
        account: conversation.account,
        title: conversation.title,
        last_message: conversation.last_message,
        peer: conversation.peer,
        last_activity_ms: conversation.last_activity_ms,
        unread: conversation.unread,
        messages: Vec::new(),
        typing: Default::default(),
        history: Default::default(),
    };
    (conversation.id, row)
}
