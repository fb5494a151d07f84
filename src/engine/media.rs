//! The engine's side of the media thread: starting and updating each call's audio when
//! the signalling settles it, routing mute, DTMF, recording and file-playing commands,
//! and turning media reports into events.

use std::path::PathBuf;
use std::time::SystemTime;

use super::failure::Failure;
use super::{EngineCore, Event};
use crate::config::Settings;
use crate::media::devices::AudioRequest;
use crate::media::stream::StreamParams;
use crate::media::thread::{AudioInput, AudioOutput, MediaCommand, MediaEvent};
use crate::model::{AccountDetails, CallId, DtmfMode};
use crate::transport::sip_account::{DriverCommand, SharedSockets};

/// The ringtone shipped in the binary (a short marimba-like chime, FLAC).
const DEFAULT_RINGTONE: &[u8] = include_bytes!("../../assets/ringtone.flac");

/// Where the user's voice comes from, as configured (plain data, unlike the media
/// thread's input which may own a device ring).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum MediaInput {
    /// The capture device (silence when audio devices are disabled).
    #[default]
    Device,
    /// Silence.
    Null,
    /// A sine tone of this frequency.
    Tone(f64),
    /// A file, looped.
    File(PathBuf),
}

/// Where what the user hears goes, as configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum MediaOutput {
    /// The playback device (nowhere when audio devices are disabled).
    #[default]
    Device,
    /// Nowhere.
    Null,
    /// A WAV file.
    Wav(PathBuf),
}

/// A `--audio-in` or `--audio-out` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaArgError {
    /// `tone:` with no frequency in the audible range.
    #[error("{0:?} is not a frequency between 20 and 20000 Hz")]
    Frequency(String),
    /// Not an audio source.
    #[error("{0:?}: expected null, device, tone:HZ or file:PATH")]
    Source(String),
    /// Not an audio sink.
    #[error("{0:?}: expected null, device or file:PATH.wav")]
    Sink(String),
}

impl MediaInput {
    /// Parses `null`, `tone:HZ` or `file:PATH` (the `--audio-in` syntax).
    pub fn parse(text: &str) -> Result<MediaInput, MediaArgError> {
        match text.split_once(':') {
            None if text == "null" => Ok(MediaInput::Null),
            None if text == "device" => Ok(MediaInput::Device),
            Some(("tone", hz)) => hz
                .parse::<f64>()
                .ok()
                .filter(|hz| (20.0..=20_000.0).contains(hz))
                .map(MediaInput::Tone)
                .ok_or_else(|| MediaArgError::Frequency(hz.to_owned())),
            Some(("file", path)) if !path.is_empty() => Ok(MediaInput::File(PathBuf::from(path))),
            _ => Err(MediaArgError::Source(text.to_owned())),
        }
    }
}

impl MediaOutput {
    /// Parses `null` or `file:PATH.wav` (the `--audio-out` syntax).
    pub fn parse(text: &str) -> Result<MediaOutput, MediaArgError> {
        match text.split_once(':') {
            None if text == "null" => Ok(MediaOutput::Null),
            None if text == "device" => Ok(MediaOutput::Device),
            Some(("file", path)) if !path.is_empty() => Ok(MediaOutput::Wav(PathBuf::from(path))),
            _ => Err(MediaArgError::Sink(text.to_owned())),
        }
    }
}

impl EngineCore {
    /// Starts or updates a call's audio.
    pub(super) fn on_media_agreed(
        &mut self,
        call: CallId,
        sockets: SharedSockets,
        params: StreamParams,
    ) {
        if !self.calls.contains(call) {
            return;
        }
        if !self.calls.any_media() {
            self.open_call_audio();
        }
        let started = self.calls.media_started(call);
        let command = if started {
            MediaCommand::Start {
                call,
                sockets: sockets.0,
                params,
            }
        } else {
            MediaCommand::Update { call, params }
        };
        self.media.send(command);
        if started {
            self.join_group_call(call);
        }
    }

    /// A call ended: its audio stops, and the devices close after the last call.
    pub(super) fn stop_media(&mut self, call: CallId) {
        if self.calls.media_stopped(call) {
            self.media.send(MediaCommand::Stop(call));
            self.close_devices_if_idle();
        }
    }

    fn close_devices_if_idle(&mut self) {
        if !self.calls.any_media()
            && !self.calls.any_ringing()
            && self.audio_choice != (false, false)
        {
            self.audio.request(AudioRequest::CloseCallAudio);
        }
    }

    /// A call rings here: play the ringtone (the one in settings, else the default).
    pub(super) fn start_ringing(&mut self, call: CallId) {
        let first = self.calls.ring(call);
        // Do not disturb: the call is shown, silently.
        if !first || self.settings.do_not_disturb {
            return;
        }
        let path = match self.settings.ringtone.clone() {
            Some(path) => path,
            None => {
                let path = self.paths.data_dir.join("ringtone-default.flac");
                if !path.exists()
                    && let Err(err) = std::fs::write(&path, DEFAULT_RINGTONE)
                {
                    self.fail(None, format!("cannot write {}: {err}", path.display()));
                    return;
                }
                path
            }
        };
        if !self.calls.any_media() {
            self.open_devices(false);
        }
        self.media.send(MediaCommand::Ring(Some(path)));
    }

    /// A call stopped ringing (answered, refused, gone).
    pub(super) fn stop_ringing(&mut self, call: CallId) {
        if self.calls.stop_ringing(call) {
            self.media.send(MediaCommand::Ring(None));
            self.close_devices_if_idle();
        }
    }

    /// Opens the microphone and speaker chosen in settings for calls, when calls use them.
    pub(super) fn open_call_audio(&mut self) {
        self.open_devices(true);
    }

    /// Opens the speaker, and the microphone when `with_microphone` (not just to ring).
    fn open_devices(&mut self, with_microphone: bool) {
        let (capture, playback) = self.audio_choice;
        let capture = capture && with_microphone;
        if !capture && !playback {
            return;
        }
        self.audio.request(AudioRequest::OpenCallAudio {
            capture,
            playback,
            input: self.settings.audio_input.clone(),
            output: self.settings.audio_output.clone(),
            media: self.media.sender(),
        });
    }

    /// Digits go by SIP INFO when the account says so or the call has no audio yet, else
    /// in the media (RFC 4733, or in-band when the peer has no telephone-event).
    pub(super) fn send_dtmf(&mut self, call: CallId, digits: String) {
        let by_info = self.calls.get(call).is_some_and(|row| {
            matches!(
                self.accounts.get(&row.account).map(|info| &info.details),
                Some(AccountDetails::Sip(config)) if config.dtmf == DtmfMode::SipInfo
            )
        });
        if by_info || !self.calls.has_media(call) {
            self.call_or_fail(call, DriverCommand::Dtmf { call, digits });
        } else {
            self.media.send(MediaCommand::Dtmf { call, digits });
        }
    }

    pub(super) fn conference(&mut self, calls: Vec<CallId>, join: bool) {
        if let Some(call) = calls.iter().find(|call| !self.calls.has_media(**call)) {
            self.fail(None, format!("call {} has no audio to conference", call.0));
            return;
        }
        for &call in &calls {
            self.events
                .emit(Event::CallConference { call, joined: join });
        }
        self.media.send(MediaCommand::Conference { calls, join });
    }

    pub(super) fn mute(&mut self, call: CallId, muted: bool) {
        if !self.calls.has_media(call) {
            self.fail(None, format!("call {} has no audio", call.0));
            return;
        }
        self.media.send(MediaCommand::Mute { call, muted });
        self.events.emit(Event::CallMuted { call, muted });
    }

    pub(super) fn silence(&mut self, call: CallId, silenced: bool) {
        if !self.calls.has_media(call) {
            self.fail(None, format!("call {} has no audio", call.0));
            return;
        }
        self.media.send(MediaCommand::Silence { call, silenced });
    }

    /// Starts recording into the data directory's `recordings/`, or stops.
    pub(super) fn record(&mut self, call: CallId, on: bool) {
        if !self.calls.has_media(call) {
            self.fail(None, format!("call {} has no audio to record", call.0));
            return;
        }
        if !on {
            self.media.send(MediaCommand::Record { call, path: None });
            return;
        }
        let directory = self.paths.data_dir.join("recordings");
        if let Err(err) = std::fs::create_dir_all(&directory) {
            self.fail(
                None,
                format!("cannot create {}: {err}", directory.display()),
            );
            return;
        }
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let path = directory.join(format!("call-{stamp}-{}.wav", call.0));
        self.media.send(MediaCommand::Record {
            call,
            path: Some(path),
        });
    }

    /// Sets the volume calls are played at, and tells whoever shows it (a window's slider
    /// follows `ctl volume`).
    pub(super) fn set_volume(&mut self, volume: f32) {
        let volume = volume.clamp(0.0, 2.0);
        self.media.send(MediaCommand::SetVolume(volume));
        self.events.emit(Event::Volume { volume });
    }

    pub(super) fn play_into_call(
        &mut self,
        call: CallId,
        path: Option<PathBuf>,
    ) -> Result<(), Failure> {
        if !self.calls.has_media(call) {
            return Err(Failure::Said(format!(
                "call {} has no audio to play into",
                call.0
            )));
        }
        self.media.send(MediaCommand::Play { call, path });
        Ok(())
    }

    pub(super) fn on_media_event(&mut self, event: MediaEvent) {
        match event {
            MediaEvent::Dtmf { call, digit } => self.events.emit(Event::Dtmf { call, digit }),
            MediaEvent::Stats { call, stats } => {
                if self.calls.contains(call) {
                    self.events.emit(Event::CallMedia { call, stats });
                }
            }
            MediaEvent::Recording { call, path } => {
                if let Some(row) = self.calls.get_mut(call)
                    && let Some(path) = &path
                {
                    row.recording = Some(path.display().to_string());
                }
                self.events.emit(Event::CallRecording { call, path });
            }
            MediaEvent::Playing { call, path } => {
                self.events.emit(Event::CallPlaying { call, path })
            }
            MediaEvent::Failed { reason, .. } => self.fail(None, reason),
            MediaEvent::Health { ticks, late } => {
                if late > self.media_late {
                    tracing::debug!(ticks, late, "media ticks ran late");
                }
                self.media_late = late;
                // Only while calls run: an idle window must not repaint every second.
                if self.calls.any_media() {
                    self.events.emit(Event::MediaHealth { ticks, late });
                }
            }
        }
    }
}

impl EngineCore {
    pub(super) fn update_settings(&mut self, settings: Settings) {
        if let Err(error) = settings.save(&self.paths.config_file) {
            self.fail(None, error.to_string());
            return;
        }
        // A running meter follows the microphone the user just picked.
        if self.meter_on && settings.audio_input != self.settings.audio_input {
            self.audio
                .request(AudioRequest::StartMeter(settings.audio_input.clone()));
        }
        if settings.dsp() != self.settings.dsp() {
            self.media.send(MediaCommand::SetDsp(settings.dsp()));
        }
        let devices_changed = settings.audio_input != self.settings.audio_input
            || settings.audio_output != self.settings.audio_output;
        self.settings = settings.clone();
        if devices_changed && self.calls.any_media() {
            // Switching devices during a call: reopen on the new ones.
            self.open_call_audio();
        }
        self.events.emit(Event::SettingsChanged { settings });
    }
}

/// The media thread's input for the configured one; devices come later, through the
/// audio service's rings.
pub(super) fn media_input(input: &MediaInput) -> AudioInput {
    match input {
        MediaInput::Null => AudioInput::Null,
        MediaInput::Tone(hz) => AudioInput::Tone(*hz),
        MediaInput::File(path) => AudioInput::File(path.clone()),
        // The device is opened when a call's audio starts (see `engine::media`).
        MediaInput::Device => AudioInput::Null,
    }
}

/// The media thread's output for the configured one.
pub(super) fn media_output(output: &MediaOutput) -> AudioOutput {
    match output {
        MediaOutput::Null | MediaOutput::Device => AudioOutput::Null,
        MediaOutput::Wav(path) => AudioOutput::Wav(path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_audio_options_parse() {
        assert_eq!(MediaInput::parse("tone:440"), Ok(MediaInput::Tone(440.0)));
        assert_eq!(MediaInput::parse("null"), Ok(MediaInput::Null));
        assert_eq!(
            MediaInput::parse("file:/a b.flac"),
            Ok(MediaInput::File("/a b.flac".into()))
        );
        assert!(MediaInput::parse("tone:x").is_err());
        assert!(MediaInput::parse("tone:5").is_err());
        assert!(MediaInput::parse("mic").is_err());
        assert_eq!(
            MediaOutput::parse("file:/tmp/o.wav"),
            Ok(MediaOutput::Wav("/tmp/o.wav".into()))
        );
        assert!(MediaOutput::parse("file:").is_err());
    }
}
