//! Settings: language, theme, audio devices with a live input level meter, ringtone.
//! Every change is sent to the engine at once, which saves it and echoes it back.

use crate::config::Theme;
use crate::engine::Command;
use crate::i18n::{I18n, LOCALES, best_locale};
use crate::ui::state::AppState;

/// Draws the settings page.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    super::call_media::ask_for_devices(state, &mut commands);
    let mut settings = state.settings.clone();
    ui.heading(tr.tr("settings-title"));
    ui.add_space(8.0);
    egui::Grid::new("settings-grid")
        .num_columns(2)
        .spacing([16.0, 10.0])
        .show(ui, |ui| {
            ui.label(tr.tr("settings-language"));
            let current = best_locale(&settings.language);
            egui::ComboBox::from_id_salt("settings-language")
                .selected_text(current.native_name)
                .show_ui(ui, |ui| {
                    for locale in LOCALES {
                        ui.selectable_value(
                            &mut settings.language,
                            locale.tag.to_owned(),
                            locale.native_name,
                        );
                    }
                })
                .response
                .accessible_name(tr.tr("settings-language"));
            ui.end_row();

            ui.label(tr.tr("settings-theme"));
            ui.horizontal(|ui| {
                ui.radio_value(
                    &mut settings.theme,
                    Theme::Dark,
                    tr.tr("settings-theme-dark"),
                );
                ui.radio_value(
                    &mut settings.theme,
                    Theme::Light,
                    tr.tr("settings-theme-light"),
                );
            });
            ui.end_row();
        });

    ui.add_space(12.0);
    ui.label(egui::RichText::new(tr.tr("settings-audio")).strong());
    egui::Grid::new("settings-audio")
        .num_columns(2)
        .spacing([16.0, 10.0])
        .show(ui, |ui| {
            ui.label(tr.tr("settings-audio-input"));
            let name = tr.tr("settings-audio-input");
            device_combo_ui(
                ui,
                &name,
                &mut settings.audio_input,
                &state.audio_inputs,
                tr,
            );
            ui.end_row();
            ui.label(tr.tr("settings-audio-output"));
            let name = tr.tr("settings-audio-output");
            device_combo_ui(
                ui,
                &name,
                &mut settings.audio_output,
                &state.audio_outputs,
                tr,
            );
            ui.end_row();
            ui.label(tr.tr("settings-input-level"));
            super::call_media::meter_ui(
                ui,
                &tr.tr("settings-input-level"),
                level_fraction(state.input_level),
                200.0,
            );
            ui.end_row();
        });
    if state.audio_inputs.is_empty() && state.audio_outputs.is_empty() {
        ui.weak(tr.tr("settings-no-devices"));
    }
    if ui.button(tr.tr("settings-refresh-devices")).clicked() {
        commands.push(Command::RefreshAudioDevices);
    }
    ui.checkbox(
        &mut settings.echo_cancellation,
        tr.tr("settings-echo-cancellation"),
    );
    ui.checkbox(
        &mut settings.noise_suppression,
        tr.tr("settings-noise-suppression"),
    );
    ui.checkbox(&mut settings.gain_control, tr.tr("settings-gain-control"));
    ui.checkbox(&mut settings.open_urls, tr.tr("settings-open-urls"));
    ui.checkbox(
        &mut settings.do_not_disturb,
        tr.tr("settings-do-not-disturb"),
    );

    ui.add_space(12.0);
    ui.label(egui::RichText::new(tr.tr("settings-ringtone")).strong());
    ui.horizontal(|ui| {
        let name = tr.tr("settings-ringtone-path");
        ui.label(&name);
        ui.add(egui::TextEdit::singleline(&mut state.ui.ringtone_path).desired_width(260.0))
            .accessible_name(name);
        if ui.button(tr.tr("settings-apply")).clicked() {
            let path = state.ui.ringtone_path.trim();
            settings.ringtone = (!path.is_empty()).then(|| path.into());
        }
        if ui.button(tr.tr("settings-ringtone-default")).clicked() {
            settings.ringtone = None;
            state.ui.ringtone_path.clear();
        }
    });

    ui.add_space(16.0);
    if ui.button(tr.tr("settings-close")).clicked() {
        state.ui.page = None;
    }
    if settings != state.settings {
        commands.push(Command::UpdateSettings(settings));
    }
    commands
}

fn device_combo_ui(
    ui: &mut egui::Ui,
    name: &str,
    choice: &mut Option<String>,
    devices: &[String],
    tr: &I18n,
) {
    let default = tr.tr("settings-audio-default");
    egui::ComboBox::from_id_salt(name)
        .width(260.0)
        .selected_text(choice.clone().unwrap_or_else(|| default.clone()))
        .show_ui(ui, |ui| {
            ui.selectable_value(choice, None, default);
            for device in devices {
                ui.selectable_value(choice, Some(device.clone()), device);
            }
        })
        .response
        .accessible_name(name);
}

/// Maps a peak sample level to a bar on a dB scale: −60 dBFS empty, 0 dBFS full.
pub fn level_fraction(peak: f32) -> f32 {
    if peak <= 0.0 {
        return 0.0;
    }
    ((20.0 * peak.log10() + 60.0) / 60.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_bar_uses_a_decibel_scale() {
        assert_eq!(level_fraction(0.0), 0.0);
        assert_eq!(level_fraction(1.0), 1.0);
        assert!((level_fraction(0.001) - 0.0).abs() < 1e-6);
        assert!((level_fraction(0.0316) - 0.5).abs() < 0.01);
    }

    /// The engine lists no devices at a window's start: the page asks, once.
    #[test]
    fn the_page_asks_for_the_audio_devices_once_when_first_shown() {
        let ctx = egui::Context::default();
        let tr = I18n::new("en-US");
        let mut state = AppState::default();
        let mut asked = 0;
        for _ in 0..3 {
            let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
                asked += show(ui, &mut state, &tr)
                    .iter()
                    .filter(|command| **command == Command::RefreshAudioDevices)
                    .count();
            });
            // Nothing is painted here.
            output.textures_delta.clear();
        }
        assert_eq!(asked, 1);
    }
}
