//! Sample-rate conversion by a rational factor L/M: a polyphase windowed-sinc filter,
//! streaming (state carries across calls), used at codec edges (48 kHz ↔ 8/16/32 kHz) and
//! device edges (44.1 kHz ↔ 48 kHz). Allocation happens in `new` only when callers reuse
//! their output buffers.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex, OnceLock};

/// Filter taps per polyphase branch for every ratio: the prototype filter is this times
/// `max(L, M)` long, so its transition band scales with the narrower of the two rates.
const TAPS_PER_BRANCH: usize = 24;
/// Cutoff as a fraction of the narrower Nyquist frequency: room for the transition band.
const CUTOFF: f64 = 0.90;

/// Converts a mono stream of i16 samples from one rate to another.
#[derive(Debug, Clone)]
pub struct Resampler {
    up: usize,
    down: usize,
    /// Taps of one polyphase branch.
    branch_len: usize,
    /// `coefficients[phase * branch_len + tap]`, shared by every converter of a ratio.
    coefficients: Arc<[f32]>,
    /// The last `branch_len - 1` input samples, then the current input.
    history: Vec<f32>,
    /// Position of the next output in the upsampled domain, relative to the first
    /// sample of the current input.
    position: usize,
}

impl Resampler {
    /// A converter from `from_hz` to `to_hz` (both non-zero).
    pub fn new(from_hz: u32, to_hz: u32) -> Resampler {
        let from = from_hz.max(1) as usize;
        let to = to_hz.max(1) as usize;
        let divisor = gcd(from, to);
        let up = to / divisor;
        let down = from / divisor;
        let branch_len = if up == down {
            1
        } else {
            TAPS_PER_BRANCH * down.div_ceil(up).max(1)
        };
        let coefficients = coefficients(up, down, branch_len);
        Resampler {
            up,
            down,
            branch_len,
            coefficients,
            history: vec![0.0; branch_len.saturating_sub(1)],
            position: 0,
        }
    }

    /// True when input and output rates are equal (the converter copies).
    pub fn is_identity(&self) -> bool {
        self.up == self.down
    }

    /// How many outputs `input_len` more inputs produce (±1 across calls).
    pub fn output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Converts `input`, appending to `output`.
    pub fn process(&mut self, input: &[i16], output: &mut Vec<i16>) {
        if self.is_identity() {
            output.extend_from_slice(input);
            return;
        }
        let keep = self.branch_len - 1;
        // Silence in after silence: every output is zero and the history stays zeros, so
        // skip the filter (a muted or held call, or one with no microphone, sends this).
        if input.iter().all(|&sample| sample == 0) && self.history.iter().all(|&x| x == 0.0) {
            let limit = input.len() * self.up;
            let count = limit.saturating_sub(self.position).div_ceil(self.down);
            output.resize(output.len() + count, 0);
            self.position = self.position + count * self.down - limit;
            return;
        }
        self.history.truncate(keep);
        self.history
            .extend(input.iter().map(|&sample| f32::from(sample)));
        let limit = input.len() * self.up;
        while self.position < limit {
            let index = self.position / self.up;
            let phase = self.position % self.up;
            // x[index - t] sits at history[keep + index - t].
            let newest = keep + index;
            let branch = self
                .coefficients
                .get(phase * self.branch_len..(phase + 1) * self.branch_len)
                .unwrap_or_default();
            let window = self
                .history
                .get(newest + 1 - self.branch_len..=newest)
                .unwrap_or_default();
            output.push(saturate(dot(branch, window)));
            self.position += self.down;
        }
        self.position -= limit;
        let drop = self.history.len() - keep;
        self.history.drain(..drop);
    }
}

/// Σ a·b with eight independent partial sums, a shape the compiler turns into SIMD.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut partial = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..8 {
            partial[lane] += x[lane] * y[lane];
        }
    }
    partial.iter().sum::<f32>() + tail
}

/// Rounds (half away from zero) and clamps to i16. Not `f32::round`: without SSE4.1 that
/// is a call into libm for every sample (a ninth of a call's media time at 100 calls); a
/// float-to-int cast truncates toward zero and saturates (NaN gives 0) in one instruction.
pub fn saturate(value: f32) -> i16 {
    (value + 0.5f32.copysign(value)) as i16
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The polyphase filter of ratio `up`/`down`, built once per ratio and shared: building
/// one (a windowed sinc, thousands of sines and cosines) was a visible share of the media
/// thread's cost of setting up a call.
fn coefficients(up: usize, down: usize, branch_len: usize) -> Arc<[f32]> {
    type Cache = Mutex<HashMap<(usize, usize), Arc<[f32]>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(found) = cache
        .lock()
        .ok()
        .and_then(|map| map.get(&(up, down)).cloned())
    {
        return found;
    }
    let built: Arc<[f32]> = build_coefficients(up, down, branch_len).into();
    if let Ok(mut map) = cache.lock() {
        map.insert((up, down), built.clone());
    }
    built
}

fn build_coefficients(up: usize, down: usize, branch_len: usize) -> Vec<f32> {
    let total = branch_len * up;
    // Cutoff in cycles per upsampled sample.
    let cutoff = CUTOFF * 0.5 / up.max(down) as f64;
    let center = (total as f64 - 1.0) / 2.0;
    let mut prototype = vec![0.0f64; total];
    if up == down {
        prototype[0] = 1.0;
    } else {
        for (index, tap) in prototype.iter_mut().enumerate() {
            let x = index as f64 - center;
            let sinc = if x.abs() < 1e-9 {
                1.0
            } else {
                (2.0 * PI * cutoff * x).sin() / (PI * x * 2.0 * cutoff)
            };
            // Blackman window.
            let phase = 2.0 * PI * index as f64 / (total as f64 - 1.0);
            let window = 0.42 - 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos();
            *tap = 2.0 * cutoff * sinc * window * up as f64;
        }
    }
    // Branch p holds taps p, p+L, p+2L, …: output at upsampled index k = i·L + p
    // is Σ_t h[p + t·L] · x[i - t]. Each branch is stored reversed, so that the dot
    // product runs forward over both the taps and the input window (vectorizable).
    let mut coefficients = vec![0.0f32; total];
    for phase in 0..up {
        for tap in 0..branch_len {
            if let (Some(slot), Some(value)) = (
                coefficients.get_mut(phase * branch_len + (branch_len - 1 - tap)),
                prototype.get(phase + tap * up),
            ) {
                *slot = *value as f32;
            }
        }
    }
    coefficients
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturate_rounds_half_away_from_zero_and_clamps() {
        for (value, expected) in [
            (0.4, 0),
            (0.5, 1),
            (-0.5, -1),
            (-1.6, -2),
            (32_766.6, 32_767),
            (1e9, i16::MAX),
            (-1e9, i16::MIN),
            (f32::NAN, 0),
        ] {
            assert_eq!(saturate(value), expected, "{value}");
        }
    }
    use crate::media::tone::{ToneGenerator, tone_amplitude};

    fn convert(from: u32, to: u32, hz: f64, seconds: f64) -> Vec<i16> {
        let mut tone = ToneGenerator::new(from, hz, 10_000.0);
        let mut resampler = Resampler::new(from, to);
        let mut out = Vec::new();
        let block = (from / 50) as usize;
        let mut input = vec![0i16; block];
        for _ in 0..(seconds * 50.0) as usize {
            tone.fill(&mut input);
            resampler.process(&input, &mut out);
        }
        out
    }

    #[test]
    fn rates_keep_tones_and_lengths() {
        for (from, to) in [
            (48_000, 8_000),
            (8_000, 48_000),
            (48_000, 16_000),
            (16_000, 48_000),
            (48_000, 32_000),
            (32_000, 48_000),
            (44_100, 48_000),
            (48_000, 44_100),
        ] {
            let out = convert(from, to, 1_000.0, 1.0);
            assert!(
                (out.len() as i64 - i64::from(to)).abs() <= 1,
                "{from}->{to}: {}",
                out.len()
            );
            // Skip the filter's start-up; the tone keeps its level within 0.5 dB.
            let tail = &out[out.len() / 2..];
            let amplitude = tone_amplitude(tail, to, 1_000.0);
            assert!(
                (amplitude - 10_000.0).abs() < 600.0,
                "{from}->{to}: {amplitude}"
            );
        }
    }

    #[test]
    fn downsampling_removes_what_the_lower_rate_cannot_carry() {
        // 6 kHz is above 8 kHz's Nyquist: it must not alias down to 2 kHz.
        let out = convert(48_000, 8_000, 6_000.0, 1.0);
        let tail = &out[out.len() / 2..];
        assert!(tone_amplitude(tail, 8_000, 2_000.0) < 100.0);
    }

    #[test]
    fn identity_copies() {
        let mut resampler = Resampler::new(48_000, 48_000);
        let mut out = Vec::new();
        resampler.process(&[1, 2, 3], &mut out);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn silence_skips_the_filter_and_changes_nothing_heard() {
        // 20 ms frames: silence, a tone, silence again (its tail rings through the
        // filter, so the fast path must wait for the history to be zeros).
        for (from, to) in [
            (48_000, 8_000),
            (8_000, 48_000),
            (44_100, 48_000),
            (16_000, 48_000),
        ] {
            let frame = from as usize / 50;
            let mut signal = vec![0i16; frame * 3];
            signal.extend((0..frame).map(|n| {
                let t = n as f64 / f64::from(from);
                (8_000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
            }));
            signal.extend(vec![0i16; frame * 5]);
            let mut whole = Vec::new();
            // The reference: one resampler that never takes the fast path (a 1 keeps its
            // history non-zero until the end, where it is dropped from the comparison).
            let mut reference = Resampler::new(from, to);
            let mut probe = signal.clone();
            probe.push(1);
            reference.process(&probe, &mut whole);
            let mut chunked = Vec::new();
            let mut resampler = Resampler::new(from, to);
            for chunk in signal.chunks(frame) {
                resampler.process(chunk, &mut chunked);
            }
            assert!(chunked.len() <= whole.len(), "{from} -> {to}");
            assert_eq!(chunked[..], whole[..chunked.len()], "{from} -> {to}");
            assert!(
                chunked.iter().any(|&sample| sample != 0),
                "the tone came through"
            );
        }
    }
}
