//! Calls in progress, above the main area: who, what state, and the controls that fit it
//! (answer and decline in an incoming-call dialog; hang up, hold and resume, a DTMF
//! keypad and transfer, blind or to another call, for calls that are up; their audio
//! controls and figures are in `call_media`).

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::{CallId, CallState};
use crate::ui::clock;
use crate::ui::state::{AppState, Call, CallForm};
use crate::ui::{theme, widgets};

/// DTMF keys in keypad order.
const KEYPAD: [[char; 3]; 4] = [
    ['1', '2', '3'],
    ['4', '5', '6'],
    ['7', '8', '9'],
    ['*', '0', '#'],
];

/// Draws the call list and, for ringing calls, the incoming-call dialog.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    // Forms of calls that ended go with them.
    state
        .ui
        .call_forms
        .retain(|call_id, _| state.calls.get(call_id).is_some());
    if state.calls.is_empty() {
        return commands;
    }
    incoming_dialog_ui(ui, state, tr, &mut commands);
    ui.label(egui::RichText::new(tr.tr("calls-title")).strong());
    super::call_media::devices_ui(ui, state, tr, &mut commands);
    // Each call under the name its peer has in the contacts (a P2P contact's id says
    // nothing to a person).
    let calls: Vec<(CallId, Call)> = state
        .calls
        .iter()
        .map(|(call_id, call)| {
            let mut call = call.clone();
            call.peer = super::contacts::peer_name(state, &call.account, &call.peer);
            (*call_id, call)
        })
        .collect();
    for (call_id, call) in &calls {
        let form = state.ui.call_forms.entry(*call_id).or_default();
        call_row_ui(
            ui,
            tr,
            *call_id,
            call,
            &calls,
            form,
            &mut commands,
            state.ui.now_ms,
        );
        if std::mem::take(&mut form.pick) {
            super::file_picker::open(state, crate::ui::state::PickPurpose::PlayIntoCall(*call_id));
        }
    }
    ui.separator();
    commands
}

/// A window in the middle of the screen for each call ringing here: who calls, on which
/// account, and a green Answer beside a red Decline.
fn incoming_dialog_ui(ui: &mut egui::Ui, state: &AppState, tr: &I18n, commands: &mut Vec<Command>) {
    for (call_id, call) in state.calls.iter() {
        if call.state != CallState::Incoming {
            continue;
        }
        let name = super::contacts::peer_name(state, &call.account, &call.peer);
        let account = state
            .accounts
            .get(&call.account)
            .map(|row| row.info.name.clone())
            .unwrap_or_default();
        egui::Window::new(tr.tr("incoming-call-title"))
            .id(egui::Id::unique(("incoming-call", call_id.0)))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ui.ctx(), |ui| {
                ui.vertical_centered(|ui| {
                    ui.add_space(theme::SPACE_M);
                    widgets::avatar_ui(ui, &name, theme::AVATAR_CALL);
                    ui.add_space(theme::SPACE_M);
                    ui.label(
                        egui::RichText::new(
                            tr.tr_args("incoming-call-from", &[("peer", name.clone().into())]),
                        )
                        .size(20.0)
                        .strong(),
                    );
                    if name != call.peer {
                        ui.weak(&call.peer);
                    }
                    ui.weak(tr.tr_args("incoming-call-to", &[("account", account.into())]));
                    ui.add_space(theme::SPACE_L);
                });
                ui.horizontal(|ui| {
                    // Centred under the name: two 120-point buttons and the gap between.
                    let buttons = 240.0 + ui.spacing().item_spacing.x;
                    ui.add_space(((ui.available_width() - buttons) / 2.0).max(0.0));
                    answer_buttons_ui(ui, tr, *call_id, commands)
                });
            });
    }
}

/// Answer and Decline for a ringing call.
fn answer_buttons_ui(ui: &mut egui::Ui, tr: &I18n, call_id: CallId, commands: &mut Vec<Command>) {
    let size = egui::vec2(120.0, 40.0);
    let answer = widgets::filled_button(tr.tr("call-answer"), theme::GREEN).min_size(size);
    if ui.add(answer).clicked() {
        commands.push(Command::AnswerCall(call_id));
    }
    let decline = widgets::filled_button(tr.tr("call-reject"), theme::RED).min_size(size);
    if ui.add(decline).clicked() {
        commands.push(Command::RejectCall(call_id));
    }
}

/// A red Hang up.
fn hang_up_ui(ui: &mut egui::Ui, tr: &I18n, call_id: CallId, commands: &mut Vec<Command>) {
    let button =
        widgets::filled_button(tr.tr("call-hangup"), theme::RED).min_size(egui::vec2(96.0, 32.0));
    if ui.add(button).clicked() {
        commands.push(Command::HangUp(call_id));
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call's row borrows the state in parts: its form mutably, the rest shared"
)]
fn call_row_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    calls: &[(CallId, Call)],
    form: &mut CallForm,
    commands: &mut Vec<Command>,
    now_ms: i64,
) {
    // Wrapped: on a narrow or kiosk screen the controls go to a second line, not off it.
    ui.horizontal_wrapped(|ui| {
        let status = match call.state {
            CallState::Incoming => "call-state-incoming",
            CallState::Outgoing => "call-state-outgoing",
            CallState::Active => "call-state-active",
            CallState::Held => "call-state-held",
        };
        widgets::avatar_ui(ui, &call.peer, theme::AVATAR_HEADER);
        ui.vertical(|ui| {
            ui.strong(&call.peer);
            let mut line = tr.tr(status);
            if let Some(at) = call
                .answered_at_ms
                .filter(|_| call.state != CallState::Incoming)
            {
                line = format!("{line} · {}", clock::duration_text(now_ms - at));
            }
            ui.weak(line);
        });
        if call.held_remotely {
            ui.weak(tr.tr("call-held-remotely"));
        }
        match call.state {
            CallState::Incoming => answer_buttons_ui(ui, tr, call_id, commands),
            CallState::Outgoing => hang_up_ui(ui, tr, call_id, commands),
            CallState::Active | CallState::Held => {
                hang_up_ui(ui, tr, call_id, commands);
                let held = call.state == CallState::Held;
                let hold_label = if held { "call-resume" } else { "call-hold" };
                if ui.button(tr.tr(hold_label)).clicked() {
                    commands.push(Command::HoldCall {
                        call: call_id,
                        hold: !held,
                    });
                }
                toggle_button_ui(ui, &mut form.keypad, tr.tr("call-keypad"));
                toggle_button_ui(ui, &mut form.transfer, tr.tr("call-transfer"));
            }
        }
    });
    if let Some((device, path)) = &call.path {
        let pair = call.ice_pair.as_deref().unwrap_or_default();
        ui.weak(tr.tr_args("call-path", &[("path", path.as_str().into())]))
            .on_hover_text(format!("{device}\n{pair}").trim_end());
    }
    if !call.dtmf_received.is_empty() {
        ui.weak(tr.tr_args(
            "call-dtmf-received",
            &[("digits", call.dtmf_received.clone().into())],
        ));
    }
    if let Some(code) = call.transfer_code {
        ui.weak(tr.tr_args(
            "call-transfer-progress",
            &[("code", code.to_string().into())],
        ));
    }
    let up = matches!(call.state, CallState::Active | CallState::Held);
    if up {
        super::call_media::call_media_ui(ui, tr, call_id, call, calls, form, commands);
    }
    if up && form.keypad {
        keypad_ui(ui, call_id, commands);
    }
    if up && form.transfer {
        transfer_ui(ui, tr, call_id, call, calls, form, commands);
    }
}

/// A button that stays pressed while its panel is open.
pub fn toggle_button_ui(ui: &mut egui::Ui, open: &mut bool, text: String) {
    if ui.add(egui::Button::new(text).selected(*open)).clicked() {
        *open = !*open;
    }
}

fn keypad_ui(ui: &mut egui::Ui, call_id: CallId, commands: &mut Vec<Command>) {
    egui::Grid::new(("keypad", call_id.0)).show(ui, |ui| {
        for row in KEYPAD {
            for key in row {
                let side = ui.spacing().interact_size.y;
                let button =
                    egui::Button::new(key.to_string()).min_size(egui::vec2(side.max(36.0), side));
                if ui.add(button).clicked() {
                    commands.push(Command::SendDtmf {
                        call: call_id,
                        digits: key.to_string(),
                    });
                }
            }
            ui.end_row();
        }
    });
}

fn transfer_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    calls: &[(CallId, Call)],
    form: &mut CallForm,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.transfer_target)
                .hint_text(tr.tr("call-transfer-hint"))
                .desired_width(220.0),
        )
        .accessible_name(tr.tr("call-transfer-hint"));
        let ready = !form.transfer_target.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(tr.tr("call-transfer")))
            .clicked()
        {
            commands.push(Command::TransferCall {
                call: call_id,
                target: form.transfer_target.trim().to_owned(),
            });
            form.transfer = false;
        }
    });
    // Attended transfer: the other calls of the same account that are up.
    for (other_id, other) in calls {
        let candidate = *other_id != call_id
            && other.account == call.account
            && matches!(other.state, CallState::Active | CallState::Held);
        if candidate
            && ui
                .button(tr.tr_args(
                    "call-transfer-to-call",
                    &[("peer", other.peer.clone().into())],
                ))
                .clicked()
        {
            commands.push(Command::AttendedTransfer {
                call: call_id,
                other: *other_id,
            });
            form.transfer = false;
        }
    }
}
