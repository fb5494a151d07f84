//! Media: audio devices, RTP/RTCP/SRTP packets, codecs, the jitter buffer, tones, WAV
//! files, resampling, and the media thread that runs calls' audio every 20 ms.

pub mod batch;
pub mod codecs;
pub mod devices;
pub mod direct;
pub mod dsp;
pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod mixer;
mod native;
pub mod player;
pub mod priority;
pub mod resample;
pub mod ring;
pub mod rtcp;
pub mod rtp;
pub mod srtp;
pub mod stream;
pub mod thread;
pub mod tone;
pub mod wav;

/// The internal sample rate.
pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms frame at the internal rate.
pub const FRAME_SAMPLES: usize = 960;
