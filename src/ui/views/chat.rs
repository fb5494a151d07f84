//! A conversation: its messages, oldest first (the stored history, then what comes), a
//! search within it (the store's full-text index), and a box to write the next one; in a P2P
//! conversation also its files, each a card with its progress (Accept and Decline for one
//! offered to us), and a field to send one.

use super::timeline::{BubbleAction, bubble_ui};
use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountKind, ContactState, ConversationId};
use crate::ui::apply::HISTORY_PAGE;
use crate::ui::state::{AppState, PickPurpose};
use crate::ui::{theme, widgets};

/// Draws the conversation `id`: header, timeline, and the composer at the bottom.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: &ConversationId,
) -> Vec<Command> {
    let mut commands = Vec::new();
    // The stored history, read once when the conversation is first shown.
    if state.ui.history_asked.insert(id.clone()) {
        commands.push(Command::Messages {
            request: RequestId::next(),
            conversation: id.clone(),
            search: None,
            before: None,
            limit: HISTORY_PAGE,
        });
    }
    commands.extend(mark_read(state, id));
    egui::Panel::top("chat-header").show(ui, |ui| commands.extend(header_ui(ui, state, tr, id)));
    egui::Panel::bottom("chat-composer")
        .show(ui, |ui| commands.extend(composer_ui(ui, state, tr, id)));
    let search = state.ui.chat_search.trim().to_owned();
    // Each text is asked for once per conversation; the answer replaces the last one's.
    let asked = Some((id.clone(), search.clone()));
    if !search.is_empty() && state.ui.chat_search_sent != asked {
        state.ui.chat_search_sent = asked;
        commands.push(Command::Messages {
            request: RequestId::next(),
            conversation: id.clone(),
            search: Some(search.clone()),
            before: None,
            limit: HISTORY_PAGE,
        });
    }
    if !search.is_empty() {
        found_ui(ui, tr, state, id, &search);
        return commands;
    }
    let (rows, action) = super::timeline::show(ui, state, tr, id);
    commands.extend(rows);
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    let peer = conversation.peer.clone();
    let account = conversation.account.clone();
    let (Some((action, message)), Some(peer)) = (action, peer) else {
        return commands;
    };
    match (action, message.commit) {
        (BubbleAction::Retry, _) => {
            commands.push(send_message(state, id, &account, &peer, message.text));
        }
        // Edited in the composer, sent by its Save button.
        (BubbleAction::Edit, Some(commit)) => {
            state.ui.chat_editing = Some((id.clone(), commit));
            state.ui.chat_draft = message.text;
        }
        (BubbleAction::Delete, Some(commit)) => commands.push(Command::EditMessage {
            request: RequestId::next(),
            account,
            peer,
            message: commit,
            text: None,
        }),
        _ => {}
    }
    commands
}

/// Messages of others shown here are read: a P2P conversation tells their authors, a SIP
/// one remembers it (its unread count stays zero after a restart).
fn mark_read(state: &mut AppState, id: &ConversationId) -> Option<Command> {
    let conversation = state.conversations.get_mut(id)?;
    if conversation.unread == 0 {
        return None;
    }
    conversation.unread = 0;
    let (account, peer) = (conversation.account.clone(), conversation.peer.clone()?);
    Some(Command::MarkRead {
        request: RequestId::next(),
        account,
        peer,
    })
}

/// Avatar, title, presence, the Call button and the search within.
fn header_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: &ConversationId,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    let title = super::sidebar::conversation_title(conversation);
    let found = conversation.peer.as_ref().and_then(|peer| {
        state
            .contacts
            .iter()
            .find(|(_, contact)| contact.account == conversation.account && &contact.uri == peer)
    });
    let contact_id = found.map(|(id, _)| *id);
    let contact = found.map(|(_, contact)| contact);
    let callable = state.account_ready(&conversation.account)
        && contact.is_none_or(|contact| contact.state == ContactState::Confirmed)
        && !title.is_empty()
        && conversation.peer.is_some();
    let mut details = None;
    let picture = state
        .picture(&conversation.account, conversation.peer.as_deref())
        .cloned();
    ui.add_space(theme::SPACE_S);
    ui.horizontal(|ui| {
        widgets::avatar_ui(ui, &title, picture.as_ref(), theme::AVATAR_HEADER);
        ui.vertical(|ui| {
            ui.heading(&title);
            let line = match contact.map(|contact| contact.online) {
                Some(Some(true)) => tr.tr("presence-online"),
                Some(Some(false)) => tr.tr("presence-offline"),
                _ => conversation.peer.clone().unwrap_or_default(),
            };
            // A long id is cut (the search box and Call keep their room); whole on hover.
            ui.weak(super::contacts::short_address(&line))
                .on_hover_text(&line);
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // A group's Call rings every member; who answers joins a conference here.
            if callable
                && let Some(peer) = &conversation.peer
                && ui
                    .add(widgets::filled_button(tr.tr("contact-call"), theme::GREEN))
                    .on_hover_text(peer)
                    .clicked()
            {
                commands.push(Command::PlaceCall {
                    request: RequestId::next(),
                    account: conversation.account.clone(),
                    uri: peer.clone(),
                });
            }
            // The contact's page: devices, block, remove.
            if let Some(contact_id) = contact_id
                && ui.button(tr.tr("contact-details")).clicked()
            {
                details = Some(contact_id);
            }
            ui.add(
                egui::TextEdit::singleline(&mut state.ui.chat_search)
                    .hint_text(tr.tr("chat-search-hint"))
                    .desired_width(200.0),
            )
            .accessible_name(tr.tr("chat-search-hint"));
        });
    });
    if let Some(contact_id) = details {
        state
            .ui
            .go_to(crate::ui::state::Selection::Contact(contact_id));
    }
    ui.add_space(theme::SPACE_S);
    commands
}

/// Who is typing, the attach button and dropped files (P2P), and the message box with Send.
fn composer_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: &ConversationId,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    let (account, peer) = (conversation.account.clone(), conversation.peer.clone());
    let p2p = state.account_kind(&account) == Some(AccountKind::P2p);
    ui.add_space(theme::SPACE_S);
    if !conversation.typing.is_empty() {
        let who: Vec<String> = conversation
            .typing
            .iter()
            .map(|member| super::contacts::peer_name(state, &account, member))
            .collect();
        ui.weak(tr.tr_args("chat-typing", &[("who", who.join(", ").into())]));
    }
    // One of our messages being edited: said above the box, with Cancel.
    let editing = state
        .ui
        .chat_editing
        .as_ref()
        .filter(|(conversation, _)| conversation == id)
        .map(|(_, commit)| commit.clone());
    if editing.is_some() {
        ui.horizontal(|ui| {
            ui.colored_label(theme::ACCENT, tr.tr("chat-editing"));
            if ui.small_button(tr.tr("chat-edit-cancel")).clicked() {
                state.ui.chat_editing = None;
                state.ui.chat_draft.clear();
            }
        });
    }
    // Files go to a P2P conversation: by the attach button's picker, or dropped on the window.
    let send_file = match (&peer, p2p) {
        (Some(peer), true) => Some(PickPurpose::SendFile {
            account: account.clone(),
            peer: peer.clone(),
        }),
        _ => None,
    };
    if let Some(purpose) = &send_file {
        commands.extend(super::file_picker::dropped(ui, purpose));
        if ui.input(|input| !input.raw.hovered_files.is_empty()) {
            ui.colored_label(theme::ACCENT, tr.tr("file-drop-here"));
        }
    }
    if state.ui.emoji_open {
        emoji_picker_ui(ui, state, tr);
    }
    ui.horizontal(|ui| {
        if ui
            .button(widgets::icon_or(ui, "🙂", &tr.tr("chat-emoji")))
            .on_hover_text(tr.tr("chat-emoji"))
            .accessible_name(tr.tr("chat-emoji"))
            .clicked()
        {
            state.ui.emoji_open = !state.ui.emoji_open;
        }
        if let Some(purpose) = &send_file
            && ui
                .button(widgets::icon_or(ui, "📎", &tr.tr("file-attach")))
                .on_hover_text(tr.tr("file-attach"))
                .accessible_name(tr.tr("file-attach"))
                .clicked()
        {
            super::file_picker::open(state, purpose.clone());
        }
        let edit = ui
            .add(
                egui::TextEdit::multiline(&mut state.ui.chat_draft)
                    .hint_text(tr.tr("chat-hint"))
                    .desired_rows(2)
                    .desired_width(ui.available_width() - 80.0)
                    .return_key(Some(egui::KeyboardShortcut::new(
                        egui::Modifiers::SHIFT,
                        egui::Key::Enter,
                    ))),
            )
            .accessible_name(tr.tr("chat-hint"));
        // Enter sends; Shift+Enter breaks the line.
        let entered = edit.has_focus()
            && ui.input(|input| input.key_pressed(egui::Key::Enter) && input.modifiers.is_none());
        // A P2P conversation hears when we start and stop typing.
        let typing = !state.ui.chat_draft.trim().is_empty() && !entered;
        if p2p
            && typing != state.ui.typing_sent
            && let Some(peer) = &peer
        {
            state.ui.typing_sent = typing;
            commands.push(Command::SetTyping {
                account: account.clone(),
                peer: peer.clone(),
                typing,
            });
        }
        let ready = !state.ui.chat_draft.trim().is_empty() && peer.is_some();
        let label = if editing.is_some() {
            "chat-save"
        } else {
            "chat-send"
        };
        let clicked = ui
            .add_enabled(
                ready,
                widgets::filled_button(tr.tr(label), theme::ACCENT)
                    .min_size(egui::vec2(64.0, 36.0)),
            )
            .clicked();
        if ready
            && (clicked || entered)
            && let Some(peer) = &peer
        {
            let text = state.ui.chat_draft.trim().to_owned();
            let command = match &editing {
                Some(commit) => Command::EditMessage {
                    request: RequestId::next(),
                    account: account.clone(),
                    peer: peer.clone(),
                    message: commit.clone(),
                    text: Some(text),
                },
                None => send_message(state, id, &account, peer, text),
            };
            commands.push(command);
            state.ui.chat_draft.clear();
            state.ui.chat_editing = None;
        }
    });
    ui.add_space(theme::SPACE_S);
    commands
}

/// Emoji offered by the composer's picker, in rows; those the fonts lack are left out.
const EMOJI: [&str; 40] = [
    "😀", "😂", "🙂", "😉", "😊", "😍", "😘", "😎", "🤔", "😅", //
    "😢", "😭", "😡", "😴", "😮", "👍", "👎", "👏", "🙏", "👋", //
    "💪", "🤝", "👀", "❤", "💔", "🔥", "🎉", "✨", "⭐", "💯", //
    "✅", "❌", "☎", "📞", "☕", "🍕", "🎂", "🌞", "🚀", "🌍",
];

/// The emoji picker above the composer: a click adds the emoji to the draft and closes it.
fn emoji_picker_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let shown: Vec<&str> = EMOJI
        .iter()
        .copied()
        .filter(|emoji| ui.fonts_mut(|fonts| fonts.has_glyphs(&font, emoji)))
        .collect();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for emoji in shown {
                let button = egui::Button::new(egui::RichText::new(emoji).size(20.0)).frame(false);
                if ui.add(button).on_hover_text(emoji).clicked() {
                    state.ui.chat_draft.push_str(emoji);
                    state.ui.emoji_open = false;
                }
            }
            if ui.small_button(tr.tr("chat-edit-cancel")).clicked() {
                state.ui.emoji_open = false;
            }
        });
    });
}

/// A SendMessage whose outcome a SIP conversation's bubble will show.
fn send_message(
    state: &mut AppState,
    id: &ConversationId,
    account: &crate::model::AccountId,
    peer: &str,
    text: String,
) -> Command {
    let request = RequestId::next();
    if state.account_kind(account) == Some(AccountKind::Sip) {
        state.ui.sending.insert(request, (id.clone(), text.clone()));
    }
    Command::SendMessage {
        request,
        account: account.clone(),
        uri: peer.to_owned(),
        text,
    }
}

/// What a search within the conversation found, newest last, or that nothing was.
fn found_ui(ui: &mut egui::Ui, tr: &I18n, state: &AppState, id: &ConversationId, search: &str) {
    let Some((_, _, found)) = state
        .ui
        .chat_found
        .as_ref()
        .filter(|(conversation, text, _)| conversation == id && text == search)
    else {
        ui.weak(tr.tr("chat-searching"));
        return;
    };
    if found.is_empty() {
        ui.weak(tr.tr("chat-search-none"));
        return;
    }
    ui.weak(tr.tr_args(
        "chat-search-found",
        &[("count", (found.len() as i64).into())],
    ));
    egui::ScrollArea::vertical()
        .id_salt(("chat-found", &id.0))
        .max_height(360.0)
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for message in found {
                bubble_ui(ui, tr, message, None);
            }
        });
}
