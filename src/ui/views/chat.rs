//! A conversation: its messages, oldest first (the stored history, then what comes), a
//! search within it (the store's full-text index), and a box to write the next one; in a P2P
//! conversation also its files, each a card with its progress (Accept and Decline for one
//! offered to us), and a field to send one.

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountKind, ContactState, ConversationId, TransferInfo, TransferState};
use crate::ui::clock::LocalTime;
use crate::ui::state::{AppState, ChatMessage, PickPurpose};
use crate::ui::{theme, widgets};

/// Stored messages shown when a conversation opens, and found by a search at most.
const HISTORY_SHOWN: usize = 200;

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
            limit: HISTORY_SHOWN,
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
            limit: HISTORY_SHOWN,
        });
    }
    if !search.is_empty() {
        found_ui(ui, tr, state, id, &search);
        return commands;
    }
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    // Each file sits in the timeline where its message is; one whose message is older than
    // the history shown stays above it.
    let files: std::collections::BTreeMap<&str, &TransferInfo> = state
        .transfers
        .values()
        .filter(|transfer| {
            crate::model::p2p_conversation_id(&transfer.account, &transfer.conversation) == id.0
        })
        .map(|transfer| (transfer.id.as_str(), transfer))
        .collect();
    let shown: std::collections::BTreeSet<&str> = conversation
        .messages
        .iter()
        .filter_map(|message| message.commit.as_deref())
        .collect();
    for (_, transfer) in files.iter().filter(|(file, _)| !shown.contains(*file)) {
        commands.extend(file_card_ui(ui, tr, transfer, None));
    }
    if conversation.messages.is_empty() {
        ui.add_space(theme::SPACE_L);
        ui.vertical_centered(|ui| ui.weak(tr.tr("chat-empty")));
    }
    let today = LocalTime::local(state.ui.now_ms).day;
    let mut action = None;
    egui::ScrollArea::vertical()
        .id_salt(("chat", &id.0))
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show(ui, |ui| {
            let mut last_day = None;
            for message in &conversation.messages {
                let at = LocalTime::local(message.sent_at_ms);
                if last_day != Some(at.day) {
                    last_day = Some(at.day);
                    day_separator_ui(ui, tr, at, today);
                }
                let file = message
                    .commit
                    .as_deref()
                    .and_then(|commit| files.get(commit));
                if let Some(transfer) = file {
                    let layout = if message.outgoing {
                        egui::Layout::right_to_left(egui::Align::Min)
                    } else {
                        egui::Layout::left_to_right(egui::Align::Min)
                    };
                    ui.with_layout(layout, |ui| {
                        commands.extend(file_card_ui(ui, tr, transfer, Some(at)));
                    });
                    continue;
                }
                if let Some(chosen) = message_ui(ui, tr, message, at) {
                    action = Some((chosen, message.clone()));
                }
            }
        });
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

/// What the user chose on a bubble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BubbleAction {
    /// Send again a message that failed.
    Retry,
    /// Edit one of our P2P messages.
    Edit,
    /// Delete one of our P2P messages for everyone.
    Delete,
}

/// Messages of others shown here are read: a P2P conversation tells their authors.
fn mark_read(state: &mut AppState, id: &ConversationId) -> Option<Command> {
    let conversation = state.conversations.get_mut(id)?;
    if conversation.unread == 0 {
        return None;
    }
    conversation.unread = 0;
    let (account, peer) = (conversation.account.clone(), conversation.peer.clone());
    let peer = peer.filter(|_| state.account_kind(&account) == Some(AccountKind::P2p))?;
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
    ui.add_space(theme::SPACE_S);
    ui.horizontal(|ui| {
        widgets::avatar_ui(ui, &title, theme::AVATAR_HEADER);
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
            .map(|member| display_name(state, member))
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

/// A call record in the window's language ("Call, 1:05", "Missed call"), if `text` is one.
pub fn call_record_text(text: &str, tr: &I18n) -> Option<String> {
    Some(match crate::model::CallSummary::parse(text)? {
        crate::model::CallSummary::Answered { seconds } => tr.tr_args(
            "call-record-answered",
            &[(
                "duration",
                crate::ui::clock::duration_text(seconds as i64 * 1000).into(),
            )],
        ),
        crate::model::CallSummary::Missed => tr.tr("call-record-missed"),
        crate::model::CallSummary::Declined => tr.tr("call-record-declined"),
    })
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

/// "Today", "Yesterday" or the date, centred between two days' messages.
fn day_separator_ui(ui: &mut egui::Ui, tr: &I18n, at: LocalTime, today: i64) {
    let text = match today - at.day {
        0 => tr.tr("chat-today"),
        1 => tr.tr("chat-yesterday"),
        _ => at.date(),
    };
    ui.add_space(theme::SPACE_S);
    ui.vertical_centered(|ui| ui.weak(egui::RichText::new(text).small()));
}

/// A member's name as a contact, else the start of its account id.
pub fn display_name(state: &AppState, member: &str) -> String {
    state
        .contacts
        .iter()
        .map(|(_, contact)| contact)
        .find(|contact| contact.uri == member && !contact.display_name.is_empty())
        .map(|contact| contact.display_name.clone())
        .unwrap_or_else(|| member.chars().take(8).collect())
}

/// One file: name, size, state and a progress bar; Accept and Decline while offered to us.
fn file_card_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    transfer: &TransferInfo,
    at: Option<LocalTime>,
) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 4))
        .show(ui, |ui| {
            // A card of its own width, its rows stacked, on either side of the timeline.
            ui.set_max_width(FILE_CARD_WIDTH);
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                ui.horizontal(|ui| {
                    ui.strong(&transfer.name);
                    ui.weak(crate::model::human_size(transfer.size));
                    ui.label(tr.tr(&format!("file-state-{}", transfer.state.as_str())));
                });
                let fraction = if transfer.size == 0 {
                    1.0
                } else {
                    transfer.bytes_done as f32 / transfer.size as f32
                };
                let mut text = format!("{:.0} %", fraction * 100.0);
                if transfer.resumed_from > 0 && transfer.size > 0 {
                    let percent = (transfer.resumed_from * 100 / transfer.size) as i64;
                    text.push_str(&format!(
                        " · {}",
                        tr.tr_args("file-resumed", &[("percent", percent.into())])
                    ));
                }
                // A whole file needs no bar.
                if transfer.state != TransferState::Done {
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(text)
                            .desired_width(FILE_CARD_WIDTH),
                    );
                }
                if let Some(error) = &transfer.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                // A whole file opens in its application, or shows in its folder; a picture
                // shows a thumbnail.
                if transfer.state == TransferState::Done && !transfer.path.is_empty() {
                    let path = std::path::Path::new(&transfer.path);
                    if is_picture(path) {
                        let alt =
                            tr.tr_args("file-picture", &[("name", transfer.name.clone().into())]);
                        ui.add(
                            egui::Image::new(file_url(path))
                                .max_width(THUMBNAIL.x)
                                .max_height(THUMBNAIL.y)
                                .corner_radius(4.0)
                                .alt_text(alt),
                        )
                        .on_hover_text(&transfer.name);
                    }
                    ui.horizontal(|ui| {
                        // Named with the file, so that a screen reader tells the cards apart.
                        let open = format!("{} {}", tr.tr("file-open"), transfer.name);
                        if ui
                            .button(tr.tr("file-open"))
                            .accessible_name(open)
                            .clicked()
                        {
                            ui.ctx().open_url(egui::OpenUrl::new_tab(file_url(path)));
                        }
                        let show = format!("{} {}", tr.tr("file-show-folder"), transfer.name);
                        if let Some(folder) = path.parent()
                            && ui
                                .button(tr.tr("file-show-folder"))
                                .accessible_name(show)
                                .clicked()
                        {
                            ui.ctx().open_url(egui::OpenUrl::new_tab(file_url(folder)));
                        }
                    });
                }
                if !transfer.outgoing && transfer.state == TransferState::Offered {
                    ui.horizontal(|ui| {
                        for (label, accept) in [("file-accept", true), ("file-decline", false)] {
                            if ui.button(tr.tr(label)).clicked() {
                                commands.push(Command::AnswerFile {
                                    request: RequestId::next(),
                                    account: transfer.account.clone(),
                                    file: transfer.id.clone(),
                                    accept,
                                });
                            }
                        }
                    });
                }
                if let Some(at) = at {
                    ui.small(at.clock());
                }
            });
        });
    commands
}

/// Width of a file card.
const FILE_CARD_WIDTH: f32 = 340.0;

/// The largest a picture's thumbnail is drawn in its file card.
const THUMBNAIL: egui::Vec2 = egui::vec2(240.0, 180.0);

/// Whether a file is a picture the window can show (by its extension).
fn is_picture(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["png", "jpg", "jpeg"].contains(&extension.to_ascii_lowercase().as_str())
        })
}

/// A `file://` URL for a local path, its bytes percent-encoded where URLs need it.
fn file_url(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut url = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
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

/// One message: a call record centred, else a bubble on our side or theirs with its time
/// and receipt; what the user chose on it (Retry, or Edit and Delete from its menu).
fn message_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    message: &ChatMessage,
    at: LocalTime,
) -> Option<BubbleAction> {
    if let Some(record) = call_record_text(&message.text, tr) {
        let text = format!("☎ {record} · {}", at.clock());
        let width = text_width(ui, &text, egui::TextStyle::Body, ui.available_width());
        ui.vertical_centered(|ui| {
            egui::Frame::new()
                .fill(ui.visuals().faint_bg_color)
                .corner_radius(theme::CORNER)
                .inner_margin(egui::Margin::symmetric(10, 4))
                .show(ui, |ui| {
                    ui.set_width(width);
                    ui.label(text);
                });
        });
        return None;
    }
    bubble_ui(ui, tr, message, Some(at))
}

/// A bubble on our side or theirs, links clickable, its time and receipt under the text;
/// a message that could not be sent says so in red, with Retry. One of our P2P messages
/// has a menu (right click): Edit, Delete.
fn bubble_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    message: &ChatMessage,
    at: Option<LocalTime>,
) -> Option<BubbleAction> {
    let failed = message.receipt == "failed";
    let mut chosen = None;
    let layout = if message.outgoing {
        egui::Layout::right_to_left(egui::Align::Min)
    } else {
        egui::Layout::left_to_right(egui::Align::Min)
    };
    let max_width = ui.available_width() * theme::BUBBLE_MAX_SHARE;
    let mut footer = at.map(|at| at.clock()).unwrap_or_default();
    if !message.receipt.is_empty() {
        let receipt = tr.tr(&format!("chat-receipt-{}", message.receipt));
        footer = format!("{footer} · {receipt}");
    }
    // The bubble is as wide as its longest line, no wider.
    let body = match message.text.as_str() {
        "" => tr.tr("chat-deleted"),
        text => text.to_owned(),
    };
    let width = text_width(ui, &body, egui::TextStyle::Body, max_width).max(text_width(
        ui,
        &footer,
        egui::TextStyle::Small,
        max_width,
    ));
    ui.with_layout(layout, |ui| {
        let (fill, text_colour) = if failed {
            (theme::RED, Some(theme::ON_COLOUR))
        } else if message.outgoing {
            (theme::ACCENT, Some(theme::ON_COLOUR))
        } else {
            (ui.visuals().faint_bg_color, None)
        };
        let bubble = egui::Frame::new()
            .fill(fill)
            .corner_radius(theme::CORNER)
            .inner_margin(egui::Margin::symmetric(10, 5))
            .show(ui, |ui| {
                ui.set_width(width);
                ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                    if let Some(colour) = text_colour {
                        ui.visuals_mut().override_text_color = Some(colour);
                    }
                    if message.text.is_empty() {
                        // Deleted for everyone.
                        ui.weak(tr.tr("chat-deleted"));
                    } else {
                        crate::ui::links::text_with_links_ui(ui, &message.text);
                    }
                    if failed {
                        ui.horizontal(|ui| {
                            ui.visuals_mut().override_text_color = None;
                            ui.label(
                                egui::RichText::new(&footer)
                                    .small()
                                    .color(theme::ON_COLOUR)
                                    .strong(),
                            );
                            if ui.small_button(tr.tr("chat-retry")).clicked() {
                                chosen = Some(BubbleAction::Retry);
                            }
                        });
                    } else if !footer.is_empty() {
                        ui.label(egui::RichText::new(footer).small().weak());
                    }
                });
            });
        let ours = message.outgoing && message.commit.is_some() && !message.text.is_empty();
        if ours {
            bubble
                .response
                .interact(egui::Sense::click())
                .on_hover_text(tr.tr("chat-menu-hint"))
                .context_menu(|ui| {
                    for (key, action) in [
                        ("chat-edit", BubbleAction::Edit),
                        ("chat-delete", BubbleAction::Delete),
                    ] {
                        if ui.button(tr.tr(key)).clicked() {
                            chosen = Some(action);
                            ui.close();
                        }
                    }
                });
        }
    });
    chosen
}

/// Width `text` takes in `style`, wrapped at `max_width`.
fn text_width(ui: &egui::Ui, text: &str, style: egui::TextStyle, max_width: f32) -> f32 {
    let font = style.resolve(ui.style());
    let galley = ui
        .painter()
        .layout(text.to_owned(), font, egui::Color32::WHITE, max_width);
    galley.size().x.ceil() + 1.0
}
