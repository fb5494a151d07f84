//! The two stream protocols of a P2P call, between certified devices.
//!
//! - [`SIP_PROTOCOL`] (`/ringlet/sip/1.0.0`): SIP messages framed as on TCP (RFC 3261
//!   §18.3, by Content-Length), driven by the same call-session core as a SIP account.
//!   One stream per pair of devices carries every dialog between them.
//! - [`RTP_PROTOCOL`] (`/ringlet/rtp/1.0.0`): one call's RTP and RTCP packets, already
//!   SRTP-protected by the media thread, each in a frame of a kind byte, a 2-byte
//!   big-endian length and the packet. The opener's first frame is [`Frame::Open`] with
//!   the RTP port the other side's SDP named, which is how that side finds the call.
//!   Each side sends [`Frame::Ping`] twice a second, so that silence means the device is gone.
//!   [`Frame::Ice`] lines carry the call's ICE signalling (credentials and candidates,
//!   `crate::ice`), so the direct UDP path is negotiated inside the same encrypted stream.
//!
//! [`FrameDecoder`] takes the bytes of a stream as they come and hands out whole frames.
//! A kind this version does not know comes out as [`Frame::Other`], for the reader to
//! skip: every frame says its length, so a later version may add kinds (as ICE lines were
//! added after the first calls) and an older peer passes over them instead of closing
//! the call's stream. A frame over [`MAX_PACKET`] bytes, or a known kind with a body that
//! does not fit it, is an error (the stream cannot be trusted and is closed). It is the decoder of bytes from the network here, with
//! a fuzz target (`fuzz/fuzz_targets/p2p_callstream.rs`).

use libp2p::StreamProtocol;

/// SIP between two devices.
pub const SIP_PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/sip/1.0.0");
/// A call's media between two devices.
pub const RTP_PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/rtp/1.0.0");
/// Largest packet in a frame (an RTP packet fits a 1500-byte MTU; room for video's).
pub const MAX_PACKET: usize = 4096;
/// Bytes before a frame's packet.
pub const FRAME_HEADER: usize = 3;

const KIND_RTP: u8 = 0;
const KIND_RTCP: u8 = 1;
const KIND_OPEN: u8 = 2;
const KIND_PING: u8 = 3;
const KIND_ICE: u8 = 4;

/// One frame of an RTP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The first frame of the opener: the RTP port of the call on the other side.
    Open {
        /// The port the other side's SDP named.
        port: u16,
    },
    /// An RTP packet (or RTCP muxed on RTP's port).
    Rtp(Vec<u8>),
    /// An RTCP packet from RTCP's own port.
    Rtcp(Vec<u8>),
    /// Nothing but "still here": sent twice a second, so that a call on hold (no RTP) is
    /// told from a device that vanished.
    Ping,
    /// One line of ICE signalling (UTF-8).
    Ice(String),
    /// A frame of a kind this version does not know (from a later version): skipped.
    Other {
        /// Its kind byte.
        kind: u8,
        /// Its body.
        body: Vec<u8>,
    },
}

/// Why a stream's bytes are not frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A packet longer than [`MAX_PACKET`].
    #[error("RTP stream frame of {0} bytes (at most {MAX_PACKET})")]
    TooLong(usize),
    /// An `Open` frame whose body is not a port.
    #[error("RTP stream open frame of {0} bytes (a port is 2)")]
    BadOpen(usize),
    /// A `Ping` frame with a body.
    #[error("RTP stream ping frame of {0} bytes (it has none)")]
    BadPing(usize),
    /// An `Ice` frame that is not UTF-8.
    #[error("RTP stream ICE frame is not text")]
    BadIce,
}

impl Frame {
    /// The frame as it goes on the stream.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, body): (u8, &[u8]) = match self {
            Frame::Open { port } => return encode_parts(KIND_OPEN, &port.to_be_bytes()),
            Frame::Ping => (KIND_PING, &[]),
            Frame::Rtp(packet) => (KIND_RTP, packet),
            Frame::Rtcp(packet) => (KIND_RTCP, packet),
            Frame::Ice(line) => (KIND_ICE, line.as_bytes()),
            Frame::Other { kind, body } => (*kind, body),
        };
        encode_parts(kind, body)
    }
}

/// A packet's frame; a packet over [`MAX_PACKET`] bytes is cut there (the media thread
/// never sends one; the receiver would refuse it).
fn encode_parts(kind: u8, body: &[u8]) -> Vec<u8> {
    let body = body.get(..MAX_PACKET).unwrap_or(body);
    let mut frame = Vec::with_capacity(FRAME_HEADER + body.len());
    frame.push(kind);
    frame.extend_from_slice(&(body.len() as u16).to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

/// Reassembles frames from a stream's bytes.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    /// Where the unread bytes start.
    start: usize,
}

impl FrameDecoder {
    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buffer.len() / 2 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, `None` until one is complete, or why the bytes are not
    /// frames (after which the stream must be closed).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let unread = self.buffer.get(self.start..).unwrap_or_default();
        let Some(&[kind, high, low]) = unread.get(..FRAME_HEADER) else {
            return Ok(None);
        };
        let length = usize::from(u16::from_be_bytes([high, low]));
        if length > MAX_PACKET {
            return Err(FrameError::TooLong(length));
        }
        if kind == KIND_OPEN && length != 2 {
            return Err(FrameError::BadOpen(length));
        }
        if kind == KIND_PING && length != 0 {
            return Err(FrameError::BadPing(length));
        }
        let Some(body) = unread.get(FRAME_HEADER..FRAME_HEADER + length) else {
            return Ok(None);
        };
        let frame = match (kind, body) {
            (KIND_OPEN, &[high, low]) => Frame::Open {
                port: u16::from_be_bytes([high, low]),
            },
            (KIND_RTCP, body) => Frame::Rtcp(body.to_vec()),
            (KIND_PING, _) => Frame::Ping,
            (KIND_ICE, body) => Frame::Ice(
                std::str::from_utf8(body)
                    .map_err(|_| FrameError::BadIce)?
                    .to_owned(),
            ),
            (KIND_RTP, body) => Frame::Rtp(body.to_vec()),
            (kind, body) => Frame::Other {
                kind,
                body: body.to_vec(),
            },
        };
        self.start += FRAME_HEADER + length;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_whole_however_the_bytes_are_cut() {
        let frames = vec![
            Frame::Open { port: 40_002 },
            Frame::Rtp(vec![0x80; 172]),
            Frame::Rtcp(vec![0x81, 200, 0, 6]),
            Frame::Rtp(Vec::new()),
            Frame::Ping,
            Frame::Ice("ice-creds abcd 0123456789abcdef01234567".into()),
        ];
        let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        for cut in [1, 2, 3, 7, 100, bytes.len()] {
            let mut decoder = FrameDecoder::default();
            let mut out = Vec::new();
            for piece in bytes.chunks(cut) {
                decoder.push(piece);
                while let Some(frame) = decoder.next_frame().unwrap() {
                    out.push(frame);
                }
            }
            assert_eq!(out, frames, "cut into pieces of {cut}");
        }
    }

    #[test]
    fn bad_frames_are_errors_not_guesses() {
        let mut decoder = FrameDecoder::default();
        decoder.push(&[KIND_RTP, 0xff, 0xff]);
        assert_eq!(decoder.next_frame(), Err(FrameError::TooLong(65_535)));
        let mut decoder = FrameDecoder::default();
        decoder.push(&[KIND_OPEN, 0, 3, 1, 2, 3]);
        assert_eq!(decoder.next_frame(), Err(FrameError::BadOpen(3)));
        let mut decoder = FrameDecoder::default();
        decoder.push(&[KIND_ICE, 0, 2, 0xff, 0xfe]);
        assert_eq!(decoder.next_frame(), Err(FrameError::BadIce));
    }

    #[test]
    fn a_kind_from_a_later_version_is_passed_over_and_the_stream_goes_on() {
        let mut bytes = vec![9, 0, 3, 1, 2, 3];
        bytes.extend(Frame::Ping.encode());
        bytes.extend([200, 0, 0]);
        bytes.extend(Frame::Rtp(vec![0x80; 12]).encode());
        let mut decoder = FrameDecoder::default();
        decoder.push(&bytes);
        let mut out = Vec::new();
        while let Some(frame) = decoder.next_frame().unwrap() {
            out.push(frame);
        }
        let expected = vec![
            Frame::Other {
                kind: 9,
                body: vec![1, 2, 3],
            },
            Frame::Ping,
            Frame::Other {
                kind: 200,
                body: Vec::new(),
            },
            Frame::Rtp(vec![0x80; 12]),
        ];
        assert_eq!(out, expected);
        let again: Vec<u8> = expected.iter().flat_map(Frame::encode).collect();
        assert_eq!(again, bytes);
    }

    #[test]
    fn an_oversized_packet_is_cut_to_the_limit() {
        let frame = Frame::Rtp(vec![1; MAX_PACKET + 10]).encode();
        assert_eq!(frame.len(), FRAME_HEADER + MAX_PACKET);
    }
}
