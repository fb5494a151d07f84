//! Audio files as 20 ms frames of 48 kHz mono (and, for stereo files, the side channel
//! that turns it back into left and right): FLAC, Vorbis, MP3 and WAV through
//! symphonia, decoded a packet at a time as frames are pulled (so a long file costs no
//! memory), with pause, seek and looping. Ringtones, `--audio-in file:` and "play a file
//! into the call" all use it.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions};
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::Time;

use super::resample::Resampler;
use super::{FRAME_SAMPLES, SAMPLE_RATE};

/// Decode errors in a row after which a file is given up (a corrupt stream).
const MAX_DECODE_ERRORS: u32 = 16;

/// Why a file cannot be played.
#[derive(Debug, thiserror::Error)]
pub enum PlayerError {
    /// Cannot be opened.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a format or codec symphonia reads here.
    #[error("{path}: unsupported or corrupt audio file ({reason})")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// symphonia's reason.
        reason: String,
    },
}

/// Plays one file.
pub struct FilePlayer {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    resampler: Resampler,
    /// Decoded, resampled samples not yet handed out: the mid ((L+R)/2, the mono mix).
    pending: VecDeque<i16>,
    /// The side ((L−R)/2) of a stereo file, in step with `pending`.
    pending_side: VecDeque<i16>,
    side_resampler: Resampler,
    /// The file has two or more channels (the first two make the side).
    stereo: bool,
    mono: Vec<i16>,
    side: Vec<i16>,
    resampled: Vec<i16>,
    looping: bool,
    paused: bool,
    ended: bool,
    errors: u32,
    /// Samples handed out since the start (48 kHz), for the position.
    played: u64,
}

impl FilePlayer {
    /// Opens `path`; with `looping`, it starts over at the end.
    pub fn open(path: &Path, looping: bool) -> Result<FilePlayer, PlayerError> {
        let file = File::open(path).map_err(|source| PlayerError::Open {
            path: path.to_owned(),
            source,
        })?;
        let unsupported = |reason: String| PlayerError::Unsupported {
            path: path.to_owned(),
            reason,
        };
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        let probed = symphonia::default::get_probe()
            .format(
                &hint,
                stream,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
            .map_err(|err| unsupported(err.to_string()))?;
        let format = probed.format;
        let track = format
            .default_track()
            .ok_or_else(|| unsupported("no audio track".into()))?;
        let rate = track
            .codec_params
            .sample_rate
            .ok_or_else(|| unsupported("no sample rate".into()))?;
        let decoder = symphonia::default::get_codecs()
            .make(&track.codec_params, &DecoderOptions::default())
            .map_err(|err| unsupported(err.to_string()))?;
        let track_id = track.id;
        Ok(FilePlayer {
            path: path.to_owned(),
            format,
            decoder,
            track_id,
            resampler: Resampler::new(rate, SAMPLE_RATE),
            pending: VecDeque::with_capacity(FRAME_SAMPLES * 4),
            pending_side: VecDeque::new(),
            side_resampler: Resampler::new(rate, SAMPLE_RATE),
            stereo: false,
            mono: Vec::new(),
            side: Vec::new(),
            resampled: Vec::new(),
            looping,
            paused: false,
            ended: false,
            errors: 0,
            played: 0,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Pauses or resumes.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// True once a non-looping file has played out (or failed for good).
    pub fn ended(&self) -> bool {
        self.ended && self.pending.is_empty()
    }

    /// How far it has played.
    pub fn position(&self) -> Duration {
        Duration::from_secs_f64(self.played as f64 / f64::from(SAMPLE_RATE))
    }

    /// Jumps to `position` from the start.
    pub fn seek(&mut self, position: Duration) -> Result<(), PlayerError> {
        let time = Time::from(position.as_secs_f64());
        self.format
            .seek(
                SeekMode::Coarse,
                SeekTo::Time {
                    time,
                    track_id: Some(self.track_id),
                },
            )
            .map_err(|err| PlayerError::Unsupported {
                path: self.path.clone(),
                reason: err.to_string(),
            })?;
        self.decoder.reset();
        self.pending.clear();
        self.pending_side.clear();
        self.ended = false;
        self.played = (position.as_secs_f64() * f64::from(SAMPLE_RATE)) as u64;
        Ok(())
    }

    /// Adds the next frame to `frame` (scaled by `gain`); silence while paused or ended.
    pub fn mix_into(&mut self, frame: &mut [i16], gain: f32) {
        self.mix_into_stereo(frame, None, gain);
    }

    /// True when the file has more than one channel (what was decoded so far says so).
    pub fn is_stereo(&self) -> bool {
        self.stereo
    }

    /// Adds the next frame's mid to `mid` and, when given, its side to `side` (zero for a
    /// mono file), both scaled by `gain`: left = mid + side, right = mid − side.
    pub fn mix_into_stereo(&mut self, mid: &mut [i16], mut side: Option<&mut [i16]>, gain: f32) {
        if self.paused {
            return;
        }
        while self.pending.len() < mid.len() && !self.ended {
            self.decode_packet();
        }
        for (index, sample) in mid.iter_mut().enumerate() {
            let Some(next) = self.pending.pop_front() else {
                break;
            };
            self.played += 1;
            let mixed = f32::from(*sample) + f32::from(next) * gain;
            *sample = super::resample::saturate(mixed);
            let next_side = self.pending_side.pop_front();
            if let (Some(next_side), Some(side)) = (
                next_side,
                side.as_deref_mut().and_then(|side| side.get_mut(index)),
            ) {
                *side = super::resample::saturate(f32::from(*side) + f32::from(next_side) * gain);
            }
        }
    }

    fn decode_packet(&mut self) {
        let packet = match self.format.next_packet() {
            Ok(packet) => packet,
            Err(symphonia::core::errors::Error::ResetRequired) => {
                self.decoder.reset();
                return;
            }
            Err(_) => {
                // End of stream (symphonia reports it as an I/O error) or a broken file.
                if self.looping && self.played > 0 && self.seek(Duration::ZERO).is_ok() {
                    return;
                }
                self.ended = true;
                return;
            }
        };
        if packet.track_id() != self.track_id {
            return;
        }
        let decoded = match self.decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(err) => {
                self.errors += 1;
                tracing::debug!(path = %self.path.display(), %err, "skipping a bad audio packet");
                if self.errors >= MAX_DECODE_ERRORS {
                    self.ended = true;
                }
                return;
            }
        };
        self.errors = 0;
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        let mut buffer = SampleBuffer::<i16>::new(decoded.capacity() as u64, spec);
        buffer.copy_interleaved_ref(decoded);
        self.mono.clear();
        self.mono
            .extend(buffer.samples().chunks(channels).map(|frame| {
                let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
                (sum / channels as i32) as i16
            }));
        self.resampled.clear();
        self.resampler.process(&self.mono, &mut self.resampled);
        self.pending.extend(self.resampled.iter().copied());
        if channels >= 2 {
            if !self.stereo {
                // Side samples start here; before, the file had sounded mono.
                self.stereo = true;
                self.pending_side.clear();
                let before = self.pending.len() - self.resampled.len();
                self.pending_side.extend(std::iter::repeat_n(0, before));
            }
            self.side.clear();
            self.side
                .extend(buffer.samples().chunks_exact(channels).map(|frame| {
                    let (left, right) = (frame.first().copied(), frame.get(1).copied());
                    let (left, right) = (left.map_or(0, i32::from), right.map_or(0, i32::from));
                    ((left - right) / 2) as i16
                }));
            self.resampled.clear();
            self.side_resampler.process(&self.side, &mut self.resampled);
            self.pending_side.extend(self.resampled.iter().copied());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::tone::{ToneGenerator, peak_frequency};
    use crate::media::wav::WavWriter;

    fn tone_file(dir: &Path, rate: u32, seconds: u32) -> PathBuf {
        let path = dir.join("tone.wav");
        let mut writer = WavWriter::create(&path, rate, 2).unwrap();
        let mut mono = vec![0i16; rate as usize * seconds as usize];
        ToneGenerator::new(rate, 600.0, 9_000.0).fill(&mut mono);
        let stereo: Vec<i16> = mono.iter().flat_map(|&s| [s, s]).collect();
        writer.write(&stereo).unwrap();
        writer.finish().unwrap();
        path
    }

    #[test]
    fn plays_a_file_at_48k_mono_and_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = tone_file(dir.path(), 44_100, 1);
        let mut player = FilePlayer::open(&path, false).unwrap();
        let mut out = Vec::new();
        for _ in 0..60 {
            let mut frame = vec![0i16; FRAME_SAMPLES];
            player.mix_into(&mut frame, 1.0);
            out.extend_from_slice(&frame);
        }
        assert!(player.ended());
        let peak = peak_frequency(&out[4_800..40_000], 48_000, 100.0, 2_000.0);
        assert!((peak - 600.0).abs() < 3.0, "{peak}");
        assert!(
            out[48_100..].iter().all(|&s| s == 0),
            "silence after the end"
        );
    }

    #[test]
    fn a_stereo_file_gives_mid_and_side_that_rebuild_left_and_right() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stereo.wav");
        let mut writer = WavWriter::create(&path, 44_100, 2).unwrap();
        let (mut left, mut right) = (vec![0i16; 44_100], vec![0i16; 44_100]);
        ToneGenerator::new(44_100, 440.0, 8_000.0).fill(&mut left);
        ToneGenerator::new(44_100, 1_000.0, 8_000.0).fill(&mut right);
        let interleaved: Vec<i16> = left
            .iter()
            .zip(&right)
            .flat_map(|(&l, &r)| [l, r])
            .collect();
        writer.write(&interleaved).unwrap();
        writer.finish().unwrap();
        let mut player = FilePlayer::open(&path, false).unwrap();
        let (mut out_left, mut out_right) = (Vec::new(), Vec::new());
        for _ in 0..40 {
            let (mut mid, mut side) = (vec![0i16; FRAME_SAMPLES], vec![0i16; FRAME_SAMPLES]);
            player.mix_into_stereo(&mut mid, Some(&mut side), 1.0);
            out_left.extend(mid.iter().zip(&side).map(|(&m, &s)| m + s));
            out_right.extend(mid.iter().zip(&side).map(|(&m, &s)| m - s));
        }
        assert!(player.is_stereo());
        let left_peak = peak_frequency(&out_left[4_800..], 48_000, 100.0, 2_000.0);
        let right_peak = peak_frequency(&out_right[4_800..], 48_000, 100.0, 2_000.0);
        assert!((left_peak - 440.0).abs() < 3.0, "{left_peak}");
        assert!((right_peak - 1_000.0).abs() < 3.0, "{right_peak}");
        // A file whose two channels are the same has no side.
        let mono = tone_file(dir.path(), 48_000, 1);
        let mut player = FilePlayer::open(&mono, false).unwrap();
        let (mut mid, mut side) = (vec![0i16; FRAME_SAMPLES], vec![0i16; FRAME_SAMPLES]);
        player.mix_into_stereo(&mut mid, Some(&mut side), 1.0);
        assert!(mid.iter().any(|&s| s != 0));
        assert!(side.iter().all(|&s| s == 0));
    }

    #[test]
    fn loops_seeks_and_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let path = tone_file(dir.path(), 48_000, 1);
        let mut player = FilePlayer::open(&path, true).unwrap();
        let mut frame = vec![0i16; FRAME_SAMPLES];
        for _ in 0..120 {
            frame.fill(0);
            player.mix_into(&mut frame, 1.0);
        }
        assert!(!player.ended());
        assert!(frame.iter().any(|&s| s != 0), "still playing after a loop");
        player.seek(Duration::from_millis(500)).unwrap();
        assert_eq!(player.position(), Duration::from_millis(500));
        player.set_paused(true);
        frame.fill(0);
        player.mix_into(&mut frame, 1.0);
        assert!(frame.iter().all(|&s| s == 0));
    }

    #[test]
    fn bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("noise.flac");
        std::fs::write(&path, b"fLaC this is not really flac").unwrap();
        assert!(matches!(
            FilePlayer::open(&path, false),
            Err(PlayerError::Unsupported { .. })
        ));
        assert!(matches!(
            FilePlayer::open(&dir.path().join("missing.ogg"), false),
            Err(PlayerError::Open { .. })
        ));
    }
}
