//! Tones: a sine generator (the `tone:HZ` input, ringback, in-band DTMF) and their analysis
//! (Goertzel power at one frequency, peak search, RMS level), used by the DTMF detector and
//! by tests that check what arrived.

use std::f64::consts::PI;

/// A continuous sine wave; the phase carries across `fill` calls.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl ToneGenerator {
    /// A tone of `hz` at `rate_hz` with peak `amplitude` (in i16 units).
    pub fn new(rate_hz: u32, hz: f64, amplitude: f64) -> ToneGenerator {
        ToneGenerator {
            phase: 0.0,
            step: 2.0 * PI * hz / f64::from(rate_hz.max(1)),
            amplitude,
        }
    }

    /// Overwrites `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for sample in out {
            *sample = (self.phase.sin() * self.amplitude).round() as i16;
            self.phase = (self.phase + self.step) % (2.0 * PI);
        }
    }

    /// Adds the next samples to `out` (saturating).
    pub fn add(&mut self, out: &mut [i16]) {
        for sample in out {
            let value = (self.phase.sin() * self.amplitude).round() as i32;
            *sample = (i32::from(*sample) + value).clamp(-32768, 32767) as i16;
            self.phase = (self.phase + self.step) % (2.0 * PI);
        }
    }
}

/// The amplitude of the `hz` component of `samples` (a pure tone of peak A gives ≈ A),
/// by the Goertzel algorithm.
pub fn tone_amplitude(samples: &[i16], rate_hz: u32, hz: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let omega = 2.0 * PI * hz / f64::from(rate_hz.max(1));
    let coefficient = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &sample in samples {
        let s0 = f64::from(sample) + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

/// The strongest frequency between `low_hz` and `high_hz`: a 10 Hz scan refined to 0.5 Hz.
pub fn peak_frequency(samples: &[i16], rate_hz: u32, low_hz: f64, high_hz: f64) -> f64 {
    let best = |from: f64, to: f64, step: f64| {
        let mut best = (from, 0.0);
        let mut hz = from;
        while hz <= to {
            let amplitude = tone_amplitude(samples, rate_hz, hz);
            if amplitude > best.1 {
                best = (hz, amplitude);
            }
            hz += step;
        }
        best.0
    };
    let coarse = best(low_hz, high_hz, 10.0);
    best(coarse - 10.0, coarse + 10.0, 0.5)
}

/// Root-mean-square level in dB relative to full scale (a full-scale sine is −3 dBFS);
/// −120 for digital silence.
pub fn rms_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return -120.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (sum / samples.len() as f64).sqrt();
    if rms < 1e-3 {
        -120.0
    } else {
        20.0 * (rms / 32768.0).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_measures_a_generated_tone() {
        let mut samples = vec![0i16; 48_00];
        ToneGenerator::new(48_000, 440.0, 8_000.0).fill(&mut samples);
        let amplitude = tone_amplitude(&samples, 48_000, 440.0);
        assert!((amplitude - 8_000.0).abs() < 50.0, "{amplitude}");
        assert!(tone_amplitude(&samples, 48_000, 1_000.0) < 200.0);
        let peak = peak_frequency(&samples, 48_000, 100.0, 4_000.0);
        assert!((peak - 440.0).abs() < 2.0, "{peak}");
        let level = rms_dbfs(&samples);
        let expected = 20.0 * (8_000.0 / 32_768.0 / 2f64.sqrt()).log10();
        assert!((level - expected).abs() < 0.1);
        assert_eq!(rms_dbfs(&[0; 10]), -120.0);
    }
}
