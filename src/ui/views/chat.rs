//! A conversation: its messages, oldest first, and a box to write the next one.

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::ConversationId;
use crate::ui::state::AppState;

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
    ui.separator();
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
                let layout = if message.outgoing {
                    egui::Layout::right_to_left(egui::Align::Center)
                } else {
                    egui::Layout::left_to_right(egui::Align::Center)
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
                        .show(ui, |ui| ui.label(&message.text));
                });
            }
        });
    let (account, peer) = (conversation.account.clone(), conversation.peer.clone());
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
    commands
}
