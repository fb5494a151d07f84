//! Media: audio devices, RTP packets, RTCP reports and the G.711 codecs so far; the codec registry,
//! SRTP, jitter buffer, DSP, mixer, player and recorder arrive with the rest of the media
//! engine.

pub mod devices;
pub mod g711;
pub mod rtcp;
pub mod rtp;
