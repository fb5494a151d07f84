//! Calls, as Jami's and Linphone's desktop clients show them: a ringing call asks in a
//! dialog (green Answer, red Decline); the call placed or answered here fills the main area
//! (avatar, name, state and timer, the path, its figures) over a control bar (mute, hold,
//! keypad, transfer, record, play a file, merge, statistics, hang up); every other call,
//! and that one once the user goes elsewhere, is a compact bar above what is shown, one
//! click from the front again. Audio controls and figures are in `call_media`, the keypad
//! and transfer panels in `call_tools`.

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::{CallId, CallState};
use crate::ui::clock;
use crate::ui::state::{AppState, Call, CallForm, PickPurpose};
use crate::ui::{theme, widgets};

/// Avatar of the call in front.
const AVATAR_PANE: f32 = 96.0;
/// The same in kiosk mode.
const AVATAR_PANE_KIOSK: f32 = 56.0;

/// Every call, each under the name its peer has in the contacts (a P2P contact's id says
/// nothing to a person), with the address it came from.
fn named_calls(state: &AppState) -> Vec<(CallId, Call, String)> {
    state
        .calls
        .iter()
        .map(|(call_id, call)| {
            let mut named = call.clone();
            named.peer = super::contacts::peer_name(state, &call.account, &call.peer);
            (*call_id, named, call.peer.clone())
        })
        .collect()
}

/// Drawn every frame over everything: the incoming-call dialogs. Forms of calls that ended
/// go with them.
pub fn overlay_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    state
        .ui
        .call_forms
        .retain(|call_id, _| state.calls.get(call_id).is_some());
    let mut commands = Vec::new();
    incoming_dialog_ui(ui, state, tr, &mut commands);
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
                    widgets::avatar_ui(
                        ui,
                        &name,
                        state.picture(&call.account, Some(&call.peer)),
                        theme::AVATAR_CALL,
                    );
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
                widgets::centred_row(ui, "answer", |ui| {
                    answer_buttons_ui(ui, tr, *call_id, commands)
                });
            });
    }
}

/// Answer and Decline for a ringing call, Answer on the left (also in a right-to-left
/// layout, where they are added the other way round).
fn answer_buttons_ui(ui: &mut egui::Ui, tr: &I18n, call_id: CallId, commands: &mut Vec<Command>) {
    let size = egui::vec2(120.0, 40.0);
    let mut buttons = [
        (
            tr.tr("call-answer"),
            theme::GREEN,
            Command::AnswerCall(call_id),
        ),
        (
            tr.tr("call-reject"),
            theme::RED,
            Command::RejectCall(call_id),
        ),
    ];
    if ui.layout().prefer_right_to_left() {
        buttons.reverse();
    }
    for (label, fill, command) in buttons {
        if ui
            .add(widgets::filled_button(label, fill).min_size(size))
            .clicked()
        {
            commands.push(command);
        }
    }
}

/// A red Hang up, `width` points wide at least.
fn hang_up_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    width: f32,
    commands: &mut Vec<Command>,
) {
    let height = ui.spacing().interact_size.y.max(32.0);
    let button = widgets::filled_button(tr.tr("call-hangup"), theme::RED)
        .min_size(egui::vec2(width, height));
    if ui.add(button).clicked() {
        commands.push(Command::HangUp(call_id));
    }
}

/// The state and, once answered, how long the call has been up ("In call · 1:05").
fn status_line(tr: &I18n, call: &Call, now_ms: i64) -> String {
    let key = match call.state {
        CallState::Incoming => "call-state-incoming",
        CallState::Outgoing => "call-state-outgoing",
        CallState::Active => "call-state-active",
        CallState::Held => "call-state-held",
    };
    let mut line = tr.tr(key);
    if let Some(at) = call
        .answered_at_ms
        .filter(|_| call.state != CallState::Incoming)
    {
        line = format!("{line} · {}", clock::duration_text(now_ms - at));
    }
    line
}

/// The calls not in front, each a compact bar: who, the state and timer, "Show call" and
/// Hang up (Answer and Decline while it rings).
pub fn bars_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let front = state.ui.call_in_front;
    let mut commands = Vec::new();
    for (call_id, call, address) in named_calls(state) {
        if Some(call_id) == front {
            continue;
        }
        let picture = state.picture(&call.account, Some(&address)).cloned();
        let fill = ui.visuals().faint_bg_color;
        egui::Frame::new()
            .fill(fill)
            .corner_radius(theme::CORNER)
            .inner_margin(theme::SPACE_M)
            .show(ui, |ui| {
                // Who on the left, the buttons on the right (laid out from the right).
                egui::Sides::new().show(
                    ui,
                    |ui| {
                        widgets::avatar_ui(ui, &call.peer, picture.as_ref(), theme::AVATAR_ROW);
                        ui.vertical(|ui| {
                            ui.strong(&call.peer);
                            ui.weak(status_line(tr, &call, state.ui.now_ms));
                        });
                    },
                    |ui| {
                        if call.state == CallState::Incoming {
                            answer_buttons_ui(ui, tr, call_id, &mut commands);
                            return;
                        }
                        hang_up_ui(ui, tr, call_id, 96.0, &mut commands);
                        if ui.button(tr.tr("call-show")).clicked() {
                            state.ui.call_in_front = Some(call_id);
                        }
                    },
                );
            });
        ui.add_space(theme::SPACE_S);
    }
    commands
}

/// The call `call_id` over the whole main area: the other calls as bars on top, the
/// control bar and devices at the bottom, the call itself in between.
pub fn pane_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    call_id: CallId,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let calls = named_calls(state);
    let Some((_, call, address)) = calls.iter().find(|(id, ..)| *id == call_id).cloned() else {
        return commands;
    };
    if calls.len() > 1 {
        egui::Panel::top("call-others").show(ui, |ui| commands.extend(bars_ui(ui, state, tr)));
    }
    let pair: Vec<(CallId, Call)> = calls
        .iter()
        .map(|(id, call, _)| (*id, call.clone()))
        .collect();
    egui::Panel::bottom("call-controls").show(ui, |ui| {
        ui.add_space(theme::SPACE_M);
        let kiosk = state.ui.kiosk;
        let form = state.ui.call_forms.entry(call_id).or_default();
        let chat = control_bar_ui(ui, tr, (call_id, &call), &pair, form, kiosk, &mut commands);
        if std::mem::take(&mut form.pick) {
            super::file_picker::open(state, PickPurpose::PlayIntoCall(call_id));
        }
        if chat && !super::sidebar::open_conversation_with(state, &call.account, &address) {
            state.ui.notices.push(crate::ui::state::Notice::Said(
                tr.tr("contact-no-conversation"),
            ));
        }
        super::call_media::devices_ui(ui, state, tr, &mut commands);
        ui.add_space(theme::SPACE_S);
    });
    let now_ms = state.ui.now_ms;
    // A kiosk's screen is short (1024x600) and its type large: a smaller head keeps the
    // level meters above the control bar.
    let (head_space, avatar) = if state.ui.kiosk {
        (theme::SPACE_M, AVATAR_PANE_KIOSK)
    } else {
        (theme::SPACE_L * 2.0, AVATAR_PANE)
    };
    let picture = state.picture(&call.account, Some(&address)).cloned();
    let form = state.ui.call_forms.entry(call_id).or_default();
    egui::ScrollArea::vertical()
        .id_salt(("call-pane", call_id.0))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(head_space);
                widgets::avatar_ui(ui, &call.peer, picture.as_ref(), avatar);
                ui.add_space(theme::SPACE_M);
                ui.label(egui::RichText::new(&call.peer).size(24.0).strong());
                if address != call.peer {
                    ui.weak(&address);
                }
                ui.label(egui::RichText::new(status_line(tr, &call, now_ms)).size(16.0));
                ui.add_space(theme::SPACE_S);
                tags_ui(ui, tr, &call);
                details_ui(ui, tr, &call, form);
                ui.add_space(theme::SPACE_M);
            });
            super::call_tools::panels_ui(ui, tr, call_id, &call, &pair, form, &mut commands);
            super::call_media::figures_ui(ui, tr, call_id, &call, form);
        });
    commands
}

/// What marks the call: held by the peer, recording, in the conference.
fn tags_ui(ui: &mut egui::Ui, tr: &I18n, call: &Call) {
    let mut tags = Vec::new();
    if call.held_remotely {
        tags.push((tr.tr("call-held-remotely"), theme::AMBER));
    }
    if call.recording.is_some() {
        tags.push((format!("● {}", tr.tr("call-recording")), theme::RED));
    }
    if call.conference {
        tags.push((tr.tr("call-in-conference"), theme::ACCENT));
    }
    if tags.is_empty() {
        return;
    }
    widgets::centred_row(ui, "call-tags", |ui| {
        for (text, fill) in &tags {
            widgets::tag_ui(ui, text, *fill);
        }
    });
}

/// The path (P2P), digits received and sent, a transfer's progress.
fn details_ui(ui: &mut egui::Ui, tr: &I18n, call: &Call, form: &CallForm) {
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
    if !form.digits_sent.is_empty() {
        ui.weak(tr.tr_args(
            "call-dtmf-sent",
            &[("digits", form.digits_sent.clone().into())],
        ));
    }
    if let Some(code) = call.transfer_code {
        ui.weak(tr.tr_args(
            "call-transfer-progress",
            &[("code", code.to_string().into())],
        ));
    }
}

/// The controls under the call, centred and wrapped on a narrow screen (in two rows in
/// kiosk mode, whose controls are large), with a wide red Hang up on a row of its own
/// (Answer and Decline while it rings). True when Message was clicked (the conversation
/// with the peer is opened).
fn control_bar_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    (call_id, call): (CallId, &Call),
    calls: &[(CallId, Call)],
    form: &mut CallForm,
    kiosk: bool,
    commands: &mut Vec<Command>,
) -> bool {
    if call.state == CallState::Incoming {
        widgets::centred_row(ui, "call-answer", |ui| {
            answer_buttons_ui(ui, tr, call_id, commands)
        });
        return false;
    }
    if matches!(call.state, CallState::Active | CallState::Held) {
        widgets::centred_row(ui, "call-controls", |ui| {
            let held = call.state == CallState::Held;
            let hold_label = if held { "call-resume" } else { "call-hold" };
            super::call_media::mute_button_ui(ui, tr, call_id, call, commands);
            if ui.button(tr.tr(hold_label)).clicked() {
                commands.push(Command::HoldCall {
                    call: call_id,
                    hold: !held,
                });
            }
            toggle_button_ui(ui, &mut form.keypad, tr.tr("call-keypad"));
            toggle_button_ui(ui, &mut form.transfer, tr.tr("call-transfer"));
            if !kiosk {
                super::call_media::controls_ui(ui, tr, call_id, call, calls, form, commands);
            }
        });
        if kiosk {
            widgets::centred_row(ui, "call-controls-more", |ui| {
                super::call_media::controls_ui(ui, tr, call_id, call, calls, form, commands);
            });
        }
    }
    widgets::centred_row(ui, "call-hang-up", |ui| {
        let chat = ui.button(tr.tr("contact-message")).clicked();
        hang_up_ui(ui, tr, call_id, 180.0, commands);
        chat
    })
}

/// A button that stays pressed while its panel is open.
pub fn toggle_button_ui(ui: &mut egui::Ui, open: &mut bool, text: String) {
    if ui.add(egui::Button::new(text).selected(*open)).clicked() {
        *open = !*open;
    }
}
