//! What the media thread is told and what it tells: its inputs and outputs, commands and
//! events.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::media::ring::{CaptureRing, PlaybackRing};
use crate::media::stream::{MediaStats, RtpSockets, StreamParams};
use crate::model::CallId;

/// Where the user's voice comes from.
#[derive(Debug)]
pub enum AudioInput {
    /// Silence.
    Null,
    /// A sine tone of this frequency (tests, line checks).
    Tone(f64),
    /// A file, looped.
    File(PathBuf),
    /// The capture device through this ring buffer.
    Device(CaptureRing),
}

/// Where what the user hears goes.
#[derive(Debug)]
pub enum AudioOutput {
    /// Nowhere.
    Null,
    /// A WAV file (48 kHz mono).
    Wav(PathBuf),
    /// The playback device through this ring buffer.
    Device(PlaybackRing),
}

/// Orders for the media thread.
#[derive(Debug)]
pub enum MediaCommand {
    /// A call's media starts.
    Start {
        /// The call.
        call: CallId,
        /// Its sockets.
        sockets: Arc<RtpSockets>,
        /// What was agreed.
        params: StreamParams,
    },
    /// A new offer/answer outcome for a running call.
    Update {
        /// The call.
        call: CallId,
        /// What was agreed.
        params: StreamParams,
    },
    /// A call's media ends.
    Stop(CallId),
    /// Mute or unmute our side of a call.
    Mute {
        /// The call.
        call: CallId,
        /// Muted.
        muted: bool,
    },
    /// In a conference hosted here, stop (or restart) passing what a participant says to
    /// the others and to us.
    Silence {
        /// The call.
        call: CallId,
        /// Silenced.
        silenced: bool,
    },
    /// Send digits in the media (RFC 4733 or in-band).
    Dtmf {
        /// The call.
        call: CallId,
        /// Digits.
        digits: String,
    },
    /// Start recording a call to this WAV file, or stop (`None`).
    Record {
        /// The call.
        call: CallId,
        /// The file.
        path: Option<PathBuf>,
    },
    /// Play a file into a call (both sides hear it), or stop (`None`).
    Play {
        /// The call.
        call: CallId,
        /// The file.
        path: Option<PathBuf>,
    },
    /// Pause/resume or seek the file playing into a call.
    PlayControl {
        /// The call.
        call: CallId,
        /// Pause (true) or resume (false).
        paused: Option<bool>,
        /// Jump to this position.
        seek: Option<Duration>,
    },
    /// Put calls in one conference (each hears the others), or take them out.
    Conference {
        /// The calls.
        calls: Vec<CallId>,
        /// Join (true) or leave (false).
        join: bool,
    },
    /// The volume of what the user hears (1.0 as is, up to 2.0).
    SetVolume(f32),
    /// The microphone's processing (echo cancellation, noise suppression, gain control).
    SetDsp(crate::media::dsp::DspOptions),
    /// Play a ringtone (looped) to the user, or stop (`None`).
    Ring(Option<PathBuf>),
    /// Change the input.
    SetInput(AudioInput),
    /// Change the output.
    SetOutput(AudioOutput),
    /// End the thread.
    Shutdown,
}

/// What the media thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A digit arrived in the media.
    Dtmf {
        /// The call.
        call: CallId,
        /// The digit.
        digit: char,
    },
    /// A call's figures, once a second.
    Stats {
        /// The call.
        call: CallId,
        /// Figures.
        stats: MediaStats,
    },
    /// Recording started (with the file) or stopped.
    Recording {
        /// The call.
        call: CallId,
        /// The file, while recording.
        path: Option<PathBuf>,
    },
    /// A file played into a call started (with its path) or ended.
    Playing {
        /// The call.
        call: CallId,
        /// The file, while playing.
        path: Option<PathBuf>,
    },
    /// Something failed; the text says what.
    Failed {
        /// The call concerned, if one.
        call: Option<CallId>,
        /// What.
        reason: String,
    },
    /// Ticks that started late, since the thread began (a health figure).
    Health {
        /// Ticks run.
        ticks: u64,
        /// Late ones.
        late: u64,
    },
}
