//! RTP packets (RFC 3550 §5.1), sans-IO: parsing with every length checked, and writing
//! into a buffer the caller lends. Header extensions and CSRCs are skipped over on input
//! and not produced on output; padding is removed.

/// The RTP version this code speaks.
const VERSION: u8 = 2;
/// Fixed header length.
const HEADER_LEN: usize = 12;

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the fixed header, or than what the header announces.
    #[error("RTP packet truncated")]
    Truncated,
    /// Version bits other than 2.
    #[error("RTP version {0} is not 2")]
    Version(u8),
    /// Padding longer than the payload.
    #[error("RTP padding larger than the packet")]
    BadPadding,
    /// A payload type in the RTCP range (72–76 with the marker bit folded in): RTCP muxed
    /// on the same port (RFC 5761 §4), for the RTCP parser.
    #[error("an RTCP packet, not RTP")]
    Rtcp,
}

/// A parsed RTP packet borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Marker bit (start of a talkspurt for audio).
    pub marker: bool,
    /// Payload type (0–127).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp, in the payload's clock rate.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        // A fixed-size array: the indexing below is checked at compile time.
        let header: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|header| header.try_into().ok())
            .ok_or(RtpError::Truncated)?;
        let first = header[0];
        let version = first >> 6;
        if version != VERSION {
            return Err(RtpError::Version(version));
        }
        let padding = first & 0x20 != 0;
        let extension = first & 0x10 != 0;
        let csrc_count = usize::from(first & 0x0F);
        let second = header[1];
        let payload_type = second & 0x7F;
        // RFC 5761 §4: RTCP packet types 200–204 show as payload types 72–76.
        if (72..=76).contains(&payload_type) {
            return Err(RtpError::Rtcp);
        }
        let mut offset = HEADER_LEN + 4 * csrc_count;
        if extension {
            let words: [u8; 2] = bytes
                .get(offset + 2..offset + 4)
                .and_then(|words| words.try_into().ok())
                .ok_or(RtpError::Truncated)?;
            offset += 4 + 4 * usize::from(u16::from_be_bytes(words));
        }
        let mut end = bytes.len();
        if offset > end {
            return Err(RtpError::Truncated);
        }
        if padding {
            let count = usize::from(*bytes.last().ok_or(RtpError::Truncated)?);
            if count == 0 || count > end - offset {
                return Err(RtpError::BadPadding);
            }
            end -= count;
        }
        Ok(RtpPacket {
            marker: second & 0x80 != 0,
            payload_type,
            sequence: u16::from_be_bytes([header[2], header[3]]),
            timestamp: u32::from_be_bytes([header[4], header[5], header[6], header[7]]),
            ssrc: u32::from_be_bytes([header[8], header[9], header[10], header[11]]),
            payload: bytes.get(offset..end).ok_or(RtpError::Truncated)?,
        })
    }

    /// Writes the packet into `out` (cleared first) and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> usize {
        out.clear();
        out.push(VERSION << 6);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7F));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(self.payload);
        out.len()
    }
}

/// Extends 16-bit sequence numbers to a 64-bit counter across wrap-arounds (RFC 3550
/// appendix A.1): a number far behind the highest seen is late, not a new cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceExtender {
    highest: Option<u64>,
}

impl SequenceExtender {
    /// The extended number of `sequence`, relative to what came before.
    pub fn extend(&mut self, sequence: u16) -> u64 {
        let Some(highest) = self.highest else {
            let extended = u64::from(sequence) + (1 << 16);
            self.highest = Some(extended);
            return extended;
        };
        let cycle = highest & !0xFFFF;
        let candidates = [cycle.wrapping_sub(1 << 16), cycle, cycle + (1 << 16)]
            .map(|base| base | u64::from(sequence));
        let extended = candidates
            .into_iter()
            .min_by_key(|candidate| candidate.abs_diff(highest))
            .unwrap_or(highest);
        if extended > highest {
            self.highest = Some(extended);
        }
        extended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_round_trip() {
        let payload = [1u8, 2, 3, 4, 5];
        let packet = RtpPacket {
            marker: true,
            payload_type: 0,
            sequence: 65_535,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x1234_5678,
            payload: &payload,
        };
        let mut out = Vec::new();
        assert_eq!(packet.write(&mut out), 17);
        assert_eq!(&out[..2], &[0x80, 0x80]);
        assert_eq!(RtpPacket::parse(&out), Ok(packet));
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        // V=2, P=1, X=1, CC=1; PT 8; then one CSRC, a one-word extension, payload "ab",
        // and two bytes of padding.
        let mut bytes = vec![0xB1, 0x08, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
        bytes.extend_from_slice(&[0, 0, 0, 9]);
        bytes.extend_from_slice(&[0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0]);
        bytes.extend_from_slice(b"ab");
        bytes.extend_from_slice(&[0, 2]);
        let packet = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(packet.payload, b"ab");
        assert_eq!(packet.payload_type, 8);
        assert_eq!(packet.timestamp, 160);
        assert_eq!(packet.ssrc, 7);
    }

    #[test]
    fn malformed_packets_are_refused_with_a_reason() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        // CSRC count 15 with no CSRCs present.
        let mut short = vec![0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(RtpPacket::parse(&short), Err(RtpError::Truncated));
        // Padding count larger than the payload.
        short = vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        assert_eq!(RtpPacket::parse(&short), Err(RtpError::BadPadding));
        // An RTCP sender report on a muxed port.
        let rtcp = [0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(RtpPacket::parse(&rtcp), Err(RtpError::Rtcp));
    }

    #[test]
    fn sequence_numbers_extend_across_wraps_and_late_packets_stay_behind() {
        let mut extender = SequenceExtender::default();
        let first = extender.extend(65_534);
        assert_eq!(extender.extend(65_535), first + 1);
        assert_eq!(extender.extend(0), first + 2);
        assert_eq!(extender.extend(1), first + 3);
        // A late packet from before the wrap.
        assert_eq!(extender.extend(65_533), first - 1);
        assert_eq!(extender.extend(2), first + 4);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            let _ = RtpPacket::parse(&bytes);
        }
    }
}
