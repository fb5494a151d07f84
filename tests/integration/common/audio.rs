//! Reading what arrived: the tail of a growing WAV file, and whether it holds a tone.

use std::path::Path;
use std::time::Duration;

use ringlet::media::tone::{peak_frequency, rms_dbfs, tone_amplitude};
use ringlet::media::wav;

/// The last `seconds` of channel `channel` of a WAV file (it may still be growing).
pub fn tail(path: &Path, channel: usize, seconds: f64) -> (Vec<i16>, u32) {
    try_tail(path, channel, seconds).unwrap_or_else(|err| panic!("{err}"))
}

/// As [`tail`], or why the file cannot be read (yet).
pub fn try_tail(path: &Path, channel: usize, seconds: f64) -> Result<(Vec<i16>, u32), String> {
    let wav = wav::read(path).map_err(|err| err.to_string())?;
    let samples = wav.channel(channel);
    let keep = (seconds * f64::from(wav.rate_hz)) as usize;
    let start = samples.len().saturating_sub(keep);
    Ok((samples[start..].to_vec(), wav.rate_hz))
}

/// What a stretch of audio holds.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    /// The strongest frequency, Hz.
    pub peak_hz: f64,
    /// Amplitude at the expected frequency.
    pub amplitude: f64,
    /// RMS level, dBFS.
    pub level_dbfs: f64,
}

/// Analyses `samples` for a tone near `hz`.
pub fn hear(samples: &[i16], rate: u32, hz: f64) -> Heard {
    Heard {
        peak_hz: peak_frequency(samples, rate, 100.0, 3_500.0),
        amplitude: tone_amplitude(samples, rate, hz),
        level_dbfs: rms_dbfs(samples),
    }
}

/// True when `samples` carry `hz` within 2 % as the strongest component, at a level within
/// 6 dB of `expected_amplitude`.
pub fn is_tone(samples: &[i16], rate: u32, hz: f64, expected_amplitude: f64) -> Result<(), String> {
    let heard = hear(samples, rate, hz);
    let frequency_ok = (heard.peak_hz - hz).abs() <= hz * 0.02;
    let ratio_db = 20.0 * (heard.amplitude.max(1e-9) / expected_amplitude).log10();
    if frequency_ok && ratio_db.abs() <= 6.0 {
        Ok(())
    } else {
        Err(format!(
            "expected {hz} Hz at amplitude {expected_amplitude}: heard {heard:?} ({ratio_db:.1} dB)"
        ))
    }
}

/// True when `samples` are silent (below −50 dBFS).
pub fn is_silent(samples: &[i16]) -> Result<(), String> {
    let level = rms_dbfs(samples);
    if level < -50.0 {
        Ok(())
    } else {
        Err(format!("not silent: {level:.1} dBFS"))
    }
}

/// The share of 20 ms windows of `samples` in which `hz` is present with at least
/// `min_amplitude`.
pub fn tone_share(samples: &[i16], rate: u32, hz: f64, min_amplitude: f64) -> f64 {
    let window = (rate / 50) as usize;
    let windows: Vec<&[i16]> = samples.chunks_exact(window.max(1)).collect();
    if windows.is_empty() {
        return 0.0;
    }
    let present = windows
        .iter()
        .filter(|window| tone_amplitude(window, rate, hz) >= min_amplitude)
        .count();
    present as f64 / windows.len() as f64
}

/// Samples of channel 0 that `path` holds so far (0 while it cannot be read).
pub fn samples_in(path: &Path) -> usize {
    try_tail(path, 0, 1e6).map_or(0, |(samples, _)| samples.len())
}

/// How many 20 ms windows carry `hz` after the first `from` samples of `path`.
pub fn tone_windows_after(path: &Path, from: usize, hz: f64) -> usize {
    let Ok((samples, rate)) = try_tail(path, 0, 1e6) else {
        return 0;
    };
    let window = (rate / 50).max(1) as usize;
    samples
        .get(from..)
        .unwrap_or_default()
        .chunks_exact(window)
        .filter(|chunk| tone_amplitude(chunk, rate, hz) >= 1_000.0)
        .count()
}

/// The longest run of 20 ms windows of the last `seconds` of `path` without `hz`, as a
/// duration: the audio gap a listener heard.
pub fn longest_gap(path: &Path, hz: f64, seconds: f64) -> std::time::Duration {
    let (samples, rate) = try_tail(path, 0, seconds).unwrap_or_default();
    let window = (rate / 50).max(1) as usize;
    let (mut run, mut longest) = (0u64, 0u64);
    for chunk in samples.chunks_exact(window) {
        if tone_amplitude(chunk, rate, hz) >= 1_000.0 {
            run = 0;
        } else {
            run += 1;
            longest = longest.max(run);
        }
    }
    std::time::Duration::from_millis(longest * 20)
}

/// The silences in a tone: how many runs of at least `min_gap` without it, the longest,
/// and the share of the other 20 ms windows that carry it.
#[derive(Debug, Clone, Copy)]
pub struct Gaps {
    /// Runs without the tone of at least `min_gap`.
    pub count: usize,
    /// The longest run without the tone, however short.
    pub longest: std::time::Duration,
    /// Of the windows outside those runs, the share with the tone.
    pub share_between: f64,
}

/// The [`Gaps`] of `hz` in the last `seconds` of `path`.
pub fn gaps(path: &Path, hz: f64, seconds: f64, min_gap: std::time::Duration) -> Gaps {
    let (samples, rate) = try_tail(path, 0, seconds).unwrap_or_default();
    let window = (rate / 50).max(1) as usize;
    let heard: Vec<bool> = samples
        .chunks_exact(window)
        .map(|chunk| tone_amplitude(chunk, rate, hz) >= 1_000.0)
        .collect();
    let min_run = (min_gap.as_millis() / 20).max(1) as usize;
    let (mut count, mut longest, mut in_gaps) = (0, 0, 0);
    for run in heard.split(|tone| *tone).map(<[bool]>::len) {
        longest = longest.max(run);
        if run >= min_run {
            count += 1;
            in_gaps += run;
        }
    }
    let between = heard.len() - in_gaps;
    let with_tone = heard.iter().filter(|tone| **tone).count();
    Gaps {
        count,
        longest: std::time::Duration::from_millis(longest as u64 * 20),
        share_between: if between == 0 {
            0.0
        } else {
            with_tone as f64 / between as f64
        },
    }
}

/// A headless Ringlet whose calls hear a `hz` tone from it and whose own hearing goes to
/// `dir/heard.wav`; its data directory is `dir/data`.
pub fn ringlet_with_tone(dir: &Path, hz: f64) -> super::Daemon {
    ringlet_with_tone_and(dir, hz, &[])
}

/// As [`ringlet_with_tone`], with more options (`--bootstrap ADDRESS`, …).
pub fn ringlet_with_tone_and(dir: &Path, hz: f64, extra: &[&str]) -> super::Daemon {
    let tone = format!("tone:{hz}");
    let heard = format!("file:{}", dir.join("heard.wav").display());
    let mut args = vec!["--audio-in", &tone, "--audio-out", &heard];
    args.extend_from_slice(extra);
    super::Daemon::start_with(&dir.join("data"), &args)
}

/// Waits until the last second of `path` has `hz` in at least 90 % of its 20 ms windows.
pub fn wait_tone(path: &Path, hz: f64, who: &str, limit: Duration) {
    wait_tone_before_end(path, hz, who, 0.0, limit);
}

/// As [`wait_tone`], leaving out the last `end_seconds` of the file (a recording closed at
/// hang-up ends with the moments the call was being torn down).
pub fn wait_tone_before_end(path: &Path, hz: f64, who: &str, end_seconds: f64, limit: Duration) {
    let mut last = String::from("nothing recorded yet");
    let heard = super::wait_until(limit, || match try_tail(path, 0, 1.0 + end_seconds) {
        Ok((samples, rate)) if samples.len() >= rate as usize => {
            let end = samples.len() - (end_seconds * f64::from(rate)) as usize;
            let share = tone_share(&samples[..end], rate, hz, 1_000.0);
            last = format!("{hz} Hz in {:.1} % of 20 ms windows", share * 100.0);
            share >= 0.9
        }
        Ok((samples, _)) => {
            last = format!("{} samples so far", samples.len());
            false
        }
        Err(err) => {
            last = err;
            false
        }
    });
    assert!(heard, "{who}: {last}");
    eprintln!("{who}: {last}");
}
