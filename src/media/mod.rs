//! Media: audio devices now; RTP, codecs, jitter buffer, DSP, mixer, player and recorder
//! arrive with the media engine.

pub mod devices;
