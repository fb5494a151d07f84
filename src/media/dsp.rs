//! The capture chain: echo cancellation (the far end is what the user hears), noise
//! suppression, automatic gain control and a high-pass filter, by the WebRTC audio
//! processing module. It works on 10 ms frames of float samples; a 20 ms frame is two.

use webrtc_audio_processing::{
    Config, EchoCancellation, EchoCancellationSuppressionLevel, GainControl, GainControlMode,
    InitializationConfig, NUM_SAMPLES_PER_FRAME, NoiseSuppression, NoiseSuppressionLevel,
    Processor,
};

/// Which stages run; each can be turned off in settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DspOptions {
    /// Echo cancellation.
    pub echo_cancellation: bool,
    /// Noise suppression.
    pub noise_suppression: bool,
    /// Automatic gain control.
    pub gain_control: bool,
}

impl DspOptions {
    /// All stages on.
    pub const ALL: DspOptions = DspOptions {
        echo_cancellation: true,
        noise_suppression: true,
        gain_control: true,
    };

    /// True when any stage runs.
    pub fn any(self) -> bool {
        self.echo_cancellation || self.noise_suppression || self.gain_control
    }
}

/// The WebRTC processor for one microphone (48 kHz mono).
pub struct CaptureChain {
    processor: Processor,
    half: Vec<f32>,
}

/// Why the echo canceller and its kin cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audio processing: {0}")]
pub struct DspError(String);

impl CaptureChain {
    /// A chain with `options`; `delay_ms` is the expected time from playing a sample to
    /// hearing it back in the microphone (device buffers), a starting point that the
    /// canceller refines by itself.
    pub fn new(options: DspOptions, delay_ms: i32) -> Result<CaptureChain, DspError> {
        let init = InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..InitializationConfig::default()
        };
        let mut processor = Processor::new(&init).map_err(|err| DspError(format!("{err:?}")))?;
        processor.set_config(Config {
            echo_cancellation: options.echo_cancellation.then_some(EchoCancellation {
                suppression_level: EchoCancellationSuppressionLevel::High,
                stream_delay_ms: Some(delay_ms),
                enable_delay_agnostic: true,
                enable_extended_filter: true,
            }),
            noise_suppression: options.noise_suppression.then_some(NoiseSuppression {
                suppression_level: NoiseSuppressionLevel::High,
            }),
            gain_control: options.gain_control.then_some(GainControl {
                mode: GainControlMode::AdaptiveDigital,
                target_level_dbfs: 3,
                compression_gain_db: 9,
                enable_limiter: true,
            }),
            enable_high_pass_filter: true,
            ..Config::default()
        });
        Ok(CaptureChain {
            processor,
            half: vec![0.0; NUM_SAMPLES_PER_FRAME as usize],
        })
    }

    /// Tells the canceller what is being played (the far end), one 20 ms frame.
    pub fn render(&mut self, frame: &[i16]) {
        for chunk in frame.chunks_exact(self.half.len()) {
            for (slot, &sample) in self.half.iter_mut().zip(chunk) {
                *slot = f32::from(sample) / 32_768.0;
            }
            // An error leaves the canceller without this reference; audio goes on.
            self.processor.process_render_frame(&mut self.half).ok();
        }
    }

    /// Processes one 20 ms microphone frame in place.
    pub fn capture(&mut self, frame: &mut [i16]) {
        let len = self.half.len();
        for chunk in frame.chunks_exact_mut(len) {
            for (slot, &sample) in self.half.iter_mut().zip(chunk.iter()) {
                *slot = f32::from(sample) / 32_768.0;
            }
            if self.processor.process_capture_frame(&mut self.half).is_ok() {
                for (sample, &value) in chunk.iter_mut().zip(self.half.iter()) {
                    *sample = (value * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::FRAME_SAMPLES;
    use crate::media::tone::rms_dbfs;

    /// Speech-like far-end signal: noise bursts shaped by a slow envelope.
    fn far_end(frame_index: usize, seed: &mut u64, out: &mut [i16]) {
        let envelope = 0.5 + 0.5 * ((frame_index as f64) * 0.37).sin().abs();
        for sample in out.iter_mut() {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let white = (*seed % 20_001) as f64 - 10_000.0;
            *sample = (white * envelope * 0.6) as i16;
        }
    }

    #[test]
    fn echo_of_what_is_played_is_attenuated_by_at_least_20_db() {
        let options = DspOptions {
            echo_cancellation: true,
            noise_suppression: false,
            gain_control: false,
        };
        let mut chain = CaptureChain::new(options, 40).unwrap();
        let delay_frames = 2;
        let mut played: Vec<Vec<i16>> = Vec::new();
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        let (mut echo_in, mut echo_out) = (Vec::new(), Vec::new());
        for index in 0..500 {
            let mut frame = vec![0i16; FRAME_SAMPLES];
            far_end(index, &mut seed, &mut frame);
            chain.render(&frame);
            played.push(frame);
            // The room: the microphone hears what was played 40 ms ago, at half level.
            let mut microphone: Vec<i16> = match index.checked_sub(delay_frames) {
                Some(earlier) => played[earlier].iter().map(|&s| s / 2).collect(),
                None => vec![0; FRAME_SAMPLES],
            };
            let before = microphone.clone();
            chain.capture(&mut microphone);
            // Judge the last four seconds, once the canceller has converged.
            if index >= 300 {
                echo_in.extend_from_slice(&before);
                echo_out.extend_from_slice(&microphone);
            }
        }
        let attenuation = rms_dbfs(&echo_in) - rms_dbfs(&echo_out);
        eprintln!("echo attenuated by {attenuation:.1} dB");
        assert!(
            attenuation >= 20.0,
            "echo attenuated by only {attenuation:.1} dB"
        );
    }

    #[test]
    fn gain_control_lifts_a_quiet_voice() {
        let options = DspOptions {
            echo_cancellation: false,
            noise_suppression: false,
            gain_control: true,
        };
        let mut chain = CaptureChain::new(options, 0).unwrap();
        let mut seed = 7u64;
        let (mut quiet_in, mut quiet_out) = (Vec::new(), Vec::new());
        for index in 0..300 {
            let mut frame = vec![0i16; FRAME_SAMPLES];
            far_end(index, &mut seed, &mut frame);
            for sample in frame.iter_mut() {
                *sample /= 30;
            }
            let before = frame.clone();
            chain.capture(&mut frame);
            if index >= 200 {
                quiet_in.extend_from_slice(&before);
                quiet_out.extend_from_slice(&frame);
            }
        }
        assert!(rms_dbfs(&quiet_out) > rms_dbfs(&quiet_in) + 3.0);
    }
}
