//! SDP (RFC 8866): parsing and printing session descriptions, and RFC 3264 offer/answer
//! for audio with the codecs Ringlet speaks, direction attributes, SDES crypto lines
//! (RFC 4568), rtcp-mux and ptime.

pub mod codec;
pub mod negotiate;
pub mod session;

pub use codec::{Codec, KNOWN_CODECS};
pub use negotiate::{
    Answer, Direction, LocalMedia, NegotiateError, Negotiated, answer_offer, audio_direction,
    build_offer, read_answer,
};
pub use session::{Attribute, MediaDescription, SdpError, SessionDescription};
