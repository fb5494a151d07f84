//! A call's audio in the call view: mute, record, play a file into the call, merge calls
//! into a conference, the codec and SRTP state, level meters, live statistics (loss,
//! jitter, RTT, bitrate) and their plot; under the control bar, the volume and the devices,
//! switchable during a call.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::{CallId, CallState};
use crate::ui::state::{AppState, Call, CallForm};

/// Asks the engine for the audio devices the first time a view shows them.
pub fn ask_for_devices(state: &mut AppState, commands: &mut Vec<Command>) {
    if !state.ui.devices_asked {
        state.ui.devices_asked = true;
        commands.push(Command::RefreshAudioDevices);
    }
}

/// Volume, microphone and speaker for all calls (in kiosk mode the volume only).
pub fn devices_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let mut volume = state.ui.volume.unwrap_or(1.0) * 100.0;
        let label = tr.tr("call-volume");
        ui.label(&label);
        let slider = ui.add(egui::Slider::new(&mut volume, 0.0..=200.0).suffix(" %"));
        if slider.changed() {
            state.ui.volume = Some(volume / 100.0);
            commands.push(Command::SetVolume {
                volume: volume / 100.0,
            });
        }
        // A kiosk's devices are part of its set-up, locked like its settings.
        if state.ui.kiosk {
            return;
        }
        ask_for_devices(state, commands);
        let mut settings = state.settings.clone();
        device_combo_ui(
            ui,
            &tr.tr("settings-audio-input"),
            &state.audio_inputs,
            &mut settings.audio_input,
            tr,
        );
        device_combo_ui(
            ui,
            &tr.tr("settings-audio-output"),
            &state.audio_outputs,
            &mut settings.audio_output,
            tr,
        );
        if settings != state.settings {
            commands.push(Command::UpdateSettings(settings));
        }
    });
}

fn device_combo_ui(
    ui: &mut egui::Ui,
    label: &str,
    devices: &[String],
    chosen: &mut Option<String>,
    tr: &I18n,
) {
    let default = tr.tr("settings-audio-default");
    // The label before its box, as a sentence reads.
    ui.label(label);
    egui::ComboBox::from_id_salt(label)
        .selected_text(chosen.clone().unwrap_or_else(|| default.clone()))
        .show_ui(ui, |ui| {
            ui.selectable_value(chosen, None, default);
            for device in devices {
                ui.selectable_value(chosen, Some(device.clone()), device);
            }
        });
}

/// Mute, or Unmute.
pub fn mute_button_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    commands: &mut Vec<Command>,
) {
    if let Some(muted) = flip_button(ui, tr, call.muted, ("call-unmute", "call-mute")) {
        commands.push(Command::MuteCall {
            call: call_id,
            muted,
        });
    }
}

/// The control bar's audio buttons for a call that is up: record, play a file, merge the
/// calls into a conference (the host silences a participant there), statistics.
pub fn controls_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    call_id: CallId,
    call: &Call,
    calls: &[(CallId, Call)],
    form: &mut CallForm,
    commands: &mut Vec<Command>,
) {
    let recording = call.recording.is_some();
    let keys = ("call-record-stop", "call-record");
    if let Some(on) = flip_button(ui, tr, recording, keys) {
        commands.push(Command::RecordCall { call: call_id, on });
    }
    super::calls::toggle_button_ui(ui, &mut form.play, tr.tr("call-play-file"));
    let others: Vec<CallId> = calls
        .iter()
        .filter(|(other, row)| *other != call_id && row.state == CallState::Active)
        .map(|(other, _)| *other)
        .collect();
    if !call.conference && !others.is_empty() && ui.button(tr.tr("call-merge")).clicked() {
        let mut members = vec![call_id];
        members.extend(others);
        commands.push(Command::Conference {
            calls: members,
            join: true,
        });
    }
    if call.conference {
        // Nobody hears a silenced participant until it is let speak.
        let silenced = call.media.as_ref().is_some_and(|media| media.silenced);
        let keys = ("call-unsilence", "call-silence");
        if let Some(silenced) = flip_button(ui, tr, silenced, keys) {
            commands.push(Command::SilenceCall {
                call: call_id,
                silenced,
            });
        }
    }
    super::calls::toggle_button_ui(ui, &mut form.stats, tr.tr("call-statistics"));
}

/// The call's figures, centred: codec and SRTP, loss, jitter, RTT and bit rates, the level
/// meters, and the plot while Statistics is on.
pub fn figures_ui(ui: &mut egui::Ui, tr: &I18n, call_id: CallId, call: &Call, form: &CallForm) {
    let Some(stats) = &call.media else {
        return;
    };
    ui.vertical_centered(|ui| {
        let security = if stats.srtp {
            tr.tr("call-srtp-on")
        } else {
            tr.tr("call-srtp-off")
        };
        ui.weak(format!("{} · {security}", stats.codec));
        ui.weak(
            tr.tr_args(
                "call-figures",
                &[
                    ("loss", format!("{:.1}", stats.loss_percent).into()),
                    ("jitter", format!("{:.0}", stats.jitter_ms).into()),
                    (
                        "rtt",
                        stats
                            .rtt_ms
                            .map_or_else(|| "–".to_owned(), |rtt| format!("{rtt:.0}"))
                            .into(),
                    ),
                    ("up", format!("{:.0}", stats.send_kbps).into()),
                    ("down", format!("{:.0}", stats.receive_kbps).into()),
                ],
            ),
        );
    });
    crate::ui::widgets::centred_row(ui, ("levels", call_id.0), |ui| {
        level_ui(ui, &tr.tr("call-level-sent"), stats.sent_level);
        level_ui(ui, &tr.tr("call-level-heard"), stats.heard_level);
    });
    if form.stats && !call.history.is_empty() {
        statistics_plot_ui(ui, tr, call_id, call);
    }
}

fn level_ui(ui: &mut egui::Ui, label: &str, level: f32) {
    ui.label(label);
    meter_ui(ui, label, level, 100.0);
}

/// A level meter: an empty track at silence, filled in proportion to the level (0..1).
pub fn meter_ui(ui: &mut egui::Ui, name: &str, level: f32, width: f32) {
    let level = level.clamp(0.0, 1.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 8.0), egui::Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Meter,
            true,
            format!("{name} {:.0} %", level * 100.0),
        )
    });
    let painter = ui.painter();
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    if level > 0.0 {
        let mut filled = rect;
        filled.set_width(rect.width() * level);
        painter.rect_filled(filled, 4.0, crate::ui::theme::GREEN);
    }
}

fn statistics_plot_ui(ui: &mut egui::Ui, tr: &I18n, call_id: CallId, call: &Call) {
    let series = |pick: fn(&(f32, f32, f32)) -> f32| -> PlotPoints<'static> {
        call.history
            .iter()
            .enumerate()
            .map(|(second, point)| [second as f64, f64::from(pick(point))])
            .collect()
    };
    Plot::new(("call-stats", call_id.0))
        .height(90.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new(tr.tr("call-plot-loss"), series(|p| p.0)));
            plot.line(Line::new(tr.tr("call-plot-jitter"), series(|p| p.1)));
            plot.line(Line::new(tr.tr("call-plot-rtt"), series(|p| p.2)));
        });
}

/// A button that flips a state: labelled `keys.0` while on, `keys.1` while off. The new
/// state when it was clicked.
fn flip_button(ui: &mut egui::Ui, tr: &I18n, on: bool, keys: (&str, &str)) -> Option<bool> {
    let key = if on { keys.0 } else { keys.1 };
    ui.button(tr.tr(key)).clicked().then_some(!on)
}
