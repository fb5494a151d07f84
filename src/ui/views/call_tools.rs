//! The panels the call view's control bar opens under the call: the DTMF keypad (the digits
//! sent echoed above it), transfer (blind to an address, or to the peer of another call)
//! and playing a file into the call.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::{CallId, CallState};
use crate::ui::state::{Call, CallForm};
use crate::ui::widgets;

/// DTMF keys in keypad order.
const KEYPAD: [[char; 3]; 4] = [
    ['1', '2', '3'],
    ['4', '5', '6'],
    ['7', '8', '9'],
    ['*', '0', '#'],
];

/// The panels open for the call `call_id`, each centred.
pub fn panels_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    calls: &[(CallId, Call)],
    form: &mut CallForm,
    commands: &mut Vec<Command>,
) {
    if !matches!(call.state, CallState::Active | CallState::Held) {
        return;
    }
    if form.keypad {
        keypad_ui(ui, call_id, form, commands);
    }
    if form.transfer {
        transfer_ui(ui, tr, call_id, call, calls, form, commands);
    }
    if form.play {
        play_ui(ui, tr, call_id, call, form, commands);
    }
}

fn keypad_ui(ui: &mut egui::Ui, call_id: CallId, form: &mut CallForm, commands: &mut Vec<Command>) {
    let side = ui.spacing().interact_size.y.max(40.0);
    widgets::centred_row(ui, ("keypad", call_id.0), |ui| {
        egui::Grid::new(("keypad", call_id.0)).show(ui, |ui| {
            for row in KEYPAD {
                for key in row {
                    let button = egui::Button::new(egui::RichText::new(key.to_string()).size(18.0))
                        .min_size(egui::vec2(side + 8.0, side));
                    if ui.add(button).clicked() {
                        form.digits_sent.push(key);
                        commands.push(Command::SendDtmf {
                            call: call_id,
                            digits: key.to_string(),
                        });
                    }
                }
                ui.end_row();
            }
        });
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
    widgets::centred_row(ui, ("transfer", call_id.0), |ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.transfer_target)
                .hint_text(tr.tr("call-transfer-hint"))
                .desired_width(240.0),
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
    let candidates = calls.iter().filter(|(other_id, other)| {
        *other_id != call_id
            && other.account == call.account
            && matches!(other.state, CallState::Active | CallState::Held)
    });
    for (other_id, other) in candidates {
        let label = tr.tr_args(
            "call-transfer-to-call",
            &[("peer", other.peer.clone().into())],
        );
        if widgets::centred_row(ui, ("attended", other_id.0), |ui| {
            ui.button(label).clicked()
        }) {
            commands.push(Command::AttendedTransfer {
                call: call_id,
                other: *other_id,
            });
            form.transfer = false;
        }
    }
}

/// A file to play into the call: typed, or chosen with the picker.
fn play_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    form: &mut CallForm,
    commands: &mut Vec<Command>,
) {
    widgets::centred_row(ui, ("play", call_id.0), |ui| {
        let hint = tr.tr("call-play-path");
        ui.add(
            egui::TextEdit::singleline(&mut form.play_path)
                .hint_text(&hint)
                .desired_width(260.0),
        )
        .accessible_name(hint);
        if ui.button(tr.tr("picker-choose")).clicked() {
            form.pick = true;
        }
        let path = form.play_path.trim();
        if ui
            .add_enabled(!path.is_empty(), egui::Button::new(tr.tr("call-play")))
            .clicked()
        {
            commands.push(Command::PlayIntoCall {
                call: call_id,
                path: Some(path.into()),
            });
        }
        if call.playing.is_some() && ui.button(tr.tr("call-play-stop")).clicked() {
            commands.push(Command::PlayIntoCall {
                call: call_id,
                path: None,
            });
        }
    });
}
