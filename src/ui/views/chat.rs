//! A conversation: its messages, oldest first (the stored history, then what comes), a
//! search within it (the store's full-text index), and a box to write the next one; in a P2P
//! conversation also its files, each a card with its progress (Accept and Decline for one
//! offered to us), and a field to send one.

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{ConversationId, TransferInfo, TransferState};
use crate::ui::state::{AppState, ChatMessage};

/// Stored messages shown when a conversation opens, and found by a search at most.
const HISTORY_SHOWN: usize = 200;

/// Draws the conversation `id`.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: &ConversationId,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    ui.heading(&conversation.title);
    // The stored history, read once when the conversation is first shown.
    if state.ui.history_asked.insert(id.clone()) {
        commands.push(Command::Messages {
            request: RequestId::next(),
            conversation: id.clone(),
            search: None,
            limit: HISTORY_SHOWN,
        });
    }
    ui.add(
        egui::TextEdit::singleline(&mut state.ui.chat_search)
            .hint_text(tr.tr("chat-search-hint"))
            .desired_width(320.0),
    )
    .accessible_name(tr.tr("chat-search-hint"));
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
    ui.separator();
    let Some(conversation) = state.conversations.get(id) else {
        return commands;
    };
    if !search.is_empty() {
        found_ui(ui, tr, state, id, &search);
    } else {
        if conversation.messages.is_empty() {
            ui.weak(tr.tr("chat-empty"));
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        egui::ScrollArea::vertical()
            .id_salt(("chat", &id.0))
            .max_height(360.0)
            .stick_to_bottom(true)
            .show_rows(ui, row_height, conversation.messages.len(), |ui, rows| {
                for message in conversation.messages.get(rows).unwrap_or_default() {
                    bubble_ui(ui, tr, message);
                }
            });
    }
    let (account, peer) = (conversation.account.clone(), conversation.peer.clone());
    let files: Vec<&TransferInfo> = state
        .transfers
        .iter()
        .map(|(_, transfer)| transfer)
        .filter(|transfer| {
            crate::model::p2p_conversation_id(&transfer.account, &transfer.conversation) == id.0
        })
        .collect();
    if !files.is_empty() {
        ui.separator();
        ui.strong(tr.tr("file-files"));
        for transfer in files {
            commands.extend(file_card_ui(ui, tr, transfer));
        }
    }
    let p2p = state
        .accounts
        .get(&account)
        .is_some_and(|row| matches!(row.info.details, crate::model::AccountDetails::P2p { .. }));
    if !conversation.typing.is_empty() {
        let who: Vec<String> = conversation
            .typing
            .iter()
            .map(|member| display_name(state, member))
            .collect();
        ui.weak(tr.tr_args("chat-typing", &[("who", who.join(", ").into())]));
    }
    ui.separator();
    ui.horizontal(|ui| {
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut state.ui.chat_draft)
                    .hint_text(tr.tr("chat-hint"))
                    .desired_width(320.0),
            )
            .accessible_name(tr.tr("chat-hint"));
        let entered = edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
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
        let clicked = ui
            .add_enabled(ready, egui::Button::new(tr.tr("chat-send")))
            .clicked();
        if ready
            && (clicked || entered)
            && let Some(peer) = &peer
        {
            commands.push(Command::SendMessage {
                request: RequestId::next(),
                account: account.clone(),
                uri: peer.clone(),
                text: state.ui.chat_draft.trim().to_owned(),
            });
            state.ui.chat_draft.clear();
        }
    });
    if p2p && let Some(peer) = &peer {
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut state.ui.file_draft)
                    .hint_text(tr.tr("file-path-hint"))
                    .desired_width(320.0),
            )
            .accessible_name(tr.tr("file-path-hint"));
            let ready = !state.ui.file_draft.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(tr.tr("file-send")))
                .clicked()
            {
                commands.push(Command::SendFile {
                    request: RequestId::next(),
                    account: account.clone(),
                    peer: peer.clone(),
                    path: state.ui.file_draft.trim().into(),
                });
                state.ui.file_draft.clear();
            }
        });
    }
    commands
}

/// A member's name as a contact, else the start of its account id.
fn display_name(state: &AppState, member: &str) -> String {
    state
        .contacts
        .iter()
        .map(|(_, contact)| contact)
        .find(|contact| contact.uri == member && !contact.display_name.is_empty())
        .map(|contact| contact.display_name.clone())
        .unwrap_or_else(|| member.chars().take(8).collect())
}

/// One file: name, size, state and a progress bar; Accept and Decline while offered to us.
fn file_card_ui(ui: &mut egui::Ui, tr: &I18n, transfer: &TransferInfo) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 4))
        .show(ui, |ui| {
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
            ui.add(
                egui::ProgressBar::new(fraction)
                    .text(text)
                    .desired_width(320.0),
            );
            if let Some(error) = &transfer.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
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
        });
    commands
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
                bubble_ui(ui, tr, message);
            }
        });
}

/// One message: a bubble on our side or theirs, links clickable, its receipt under it.
fn bubble_ui(ui: &mut egui::Ui, tr: &I18n, message: &ChatMessage) {
    let layout = if message.outgoing {
        egui::Layout::right_to_left(egui::Align::Min)
    } else {
        egui::Layout::left_to_right(egui::Align::Min)
    };
    ui.with_layout(layout, |ui| {
        let fill = if message.outgoing {
            ui.visuals().selection.bg_fill
        } else {
            ui.visuals().faint_bg_color
        };
        egui::Frame::new()
            .fill(fill)
            .corner_radius(6.0)
            .inner_margin(egui::Margin::symmetric(8, 2))
            .show(ui, |ui| {
                if message.text.is_empty() {
                    // Deleted for everyone.
                    ui.weak(tr.tr("chat-deleted"));
                } else {
                    crate::ui::links::text_with_links_ui(ui, &message.text);
                }
            });
        if !message.receipt.is_empty() {
            ui.weak(tr.tr(&format!("chat-receipt-{}", message.receipt)));
        }
    });
}
