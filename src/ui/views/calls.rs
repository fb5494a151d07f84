//! Calls in progress, above the main area: who, what state, and the buttons that fit it.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::CallState;
use crate::ui::state::AppState;

/// Draws the call list (nothing when there are no calls).
pub fn show(ui: &mut egui::Ui, state: &AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.calls.is_empty() {
        return commands;
    }
    ui.label(egui::RichText::new(tr.tr("calls-title")).strong());
    for (call_id, call) in state.calls.iter() {
        ui.horizontal(|ui| {
            let status = match call.state {
                CallState::Incoming => "call-state-incoming",
                CallState::Outgoing => "call-state-outgoing",
                CallState::Active => "call-state-active",
                CallState::Held => "call-state-held",
            };
            ui.label(&call.peer);
            ui.weak(tr.tr(status));
            if call.state == CallState::Incoming {
                if ui.button(tr.tr("call-answer")).clicked() {
                    commands.push(Command::AnswerCall(*call_id));
                }
                if ui.button(tr.tr("call-reject")).clicked() {
                    commands.push(Command::RejectCall(*call_id));
                }
            } else if ui.button(tr.tr("call-hangup")).clicked() {
                commands.push(Command::HangUp(*call_id));
            }
        });
    }
    ui.separator();
    commands
}
