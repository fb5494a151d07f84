//! RTCP sender and receiver reports (RFC 3550 §6.4), sans-IO: compound packets are walked
//! with every length checked; SR and RR report blocks are read and written, other packet
//! types (SDES, BYE, APP, feedback) are skipped by their length.

/// Packet types (RFC 3550 §12.1).
const SENDER_REPORT: u8 = 200;
const RECEIVER_REPORT: u8 = 201;

/// Why bytes are not RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Shorter than a header or than a length field says.
    #[error("RTCP packet truncated")]
    Truncated,
    /// Version bits other than 2.
    #[error("RTCP version {0} is not 2")]
    Version(u8),
    /// The first packet of a compound is neither SR nor RR (RFC 3550 §6.1).
    #[error("a compound RTCP packet must start with SR or RR")]
    NotReportFirst,
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received (LSR).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

/// The sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// NTP timestamp (64-bit fixed point).
    pub ntp: u64,
    /// RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packets: u32,
    /// Payload octets sent.
    pub octets: u32,
}

/// An SR or RR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The reporter.
    pub ssrc: u32,
    /// Present in SRs.
    pub sender: Option<SenderInfo>,
    /// Reception reports.
    pub blocks: Vec<ReportBlock>,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(word))
}

/// True when `bytes` is exactly a compound of RTCP packets with nothing after the last
/// (plain RTCP), which an SRTCP packet (index and tag after its packets) never is.
pub fn is_plain_compound(bytes: &[u8]) -> bool {
    let mut at = 0;
    for _ in 0..64 {
        let Some(header) = bytes.get(at..at + 4) else {
            return false;
        };
        let (Some(&first), Some(&high), Some(&low)) =
            (header.first(), header.get(2), header.get(3))
        else {
            return false;
        };
        if first >> 6 != 2 {
            return false;
        }
        at += 4 * (usize::from(u16::from_be_bytes([high, low])) + 1);
        if at == bytes.len() {
            return true;
        }
    }
    false
}

/// The SR and RR packets of a compound RTCP packet, in order.
pub fn parse_reports(bytes: &[u8]) -> Result<Vec<Report>, RtcpError> {
    let mut reports = Vec::new();
    let mut at = 0;
    let mut first = true;
    while at < bytes.len() {
        let header: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|header| header.try_into().ok())
            .ok_or(RtcpError::Truncated)?;
        let version = header[0] >> 6;
        if version != 2 {
            return Err(RtcpError::Version(version));
        }
        let count = usize::from(header[0] & 0x1F);
        let packet_type = header[1];
        let length = 4 * (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1);
        let packet = bytes.get(at..at + length).ok_or(RtcpError::Truncated)?;
        if first && !matches!(packet_type, SENDER_REPORT | RECEIVER_REPORT) {
            return Err(RtcpError::NotReportFirst);
        }
        first = false;
        if matches!(packet_type, SENDER_REPORT | RECEIVER_REPORT) {
            let ssrc = u32_at(packet, 4).ok_or(RtcpError::Truncated)?;
            let (sender, blocks_at) = if packet_type == SENDER_REPORT {
                let high = u32_at(packet, 8).ok_or(RtcpError::Truncated)?;
                let low = u32_at(packet, 12).ok_or(RtcpError::Truncated)?;
                let info = SenderInfo {
                    ntp: (u64::from(high) << 32) | u64::from(low),
                    rtp_timestamp: u32_at(packet, 16).ok_or(RtcpError::Truncated)?,
                    packets: u32_at(packet, 20).ok_or(RtcpError::Truncated)?,
                    octets: u32_at(packet, 24).ok_or(RtcpError::Truncated)?,
                };
                (Some(info), 28)
            } else {
                (None, 8)
            };
            let mut blocks = Vec::with_capacity(count);
            for index in 0..count {
                let base = blocks_at + 24 * index;
                let lost = u32_at(packet, base + 4).ok_or(RtcpError::Truncated)?;
                // 24-bit two's complement.
                let cumulative = ((lost & 0x00FF_FFFF) << 8) as i32 >> 8;
                blocks.push(ReportBlock {
                    ssrc: u32_at(packet, base).ok_or(RtcpError::Truncated)?,
                    fraction_lost: (lost >> 24) as u8,
                    cumulative_lost: cumulative,
                    highest_sequence: u32_at(packet, base + 8).ok_or(RtcpError::Truncated)?,
                    jitter: u32_at(packet, base + 12).ok_or(RtcpError::Truncated)?,
                    last_sr: u32_at(packet, base + 16).ok_or(RtcpError::Truncated)?,
                    delay_since_last_sr: u32_at(packet, base + 20).ok_or(RtcpError::Truncated)?,
                });
            }
            reports.push(Report {
                ssrc,
                sender,
                blocks,
            });
        }
        at += length;
    }
    Ok(reports)
}

/// Writes `report` as one SR (with sender info) or RR into `out` (appended), at most 31
/// blocks (the count field's limit).
pub fn write_report(report: &Report, out: &mut Vec<u8>) {
    let blocks = report
        .blocks
        .get(..report.blocks.len().min(31))
        .unwrap_or_default();
    let packet_type = if report.sender.is_some() {
        SENDER_REPORT
    } else {
        RECEIVER_REPORT
    };
    let words = 1 + if report.sender.is_some() { 5 } else { 0 } + 6 * blocks.len();
    out.push(0x80 | blocks.len() as u8);
    out.push(packet_type);
    out.extend_from_slice(&(words as u16).to_be_bytes());
    out.extend_from_slice(&report.ssrc.to_be_bytes());
    if let Some(sender) = report.sender {
        out.extend_from_slice(&sender.ntp.to_be_bytes());
        out.extend_from_slice(&sender.rtp_timestamp.to_be_bytes());
        out.extend_from_slice(&sender.packets.to_be_bytes());
        out.extend_from_slice(&sender.octets.to_be_bytes());
    }
    for block in blocks {
        out.extend_from_slice(&block.ssrc.to_be_bytes());
        let lost = (u32::from(block.fraction_lost) << 24)
            | ((block.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32) & 0x00FF_FFFF);
        out.extend_from_slice(&lost.to_be_bytes());
        out.extend_from_slice(&block.highest_sequence.to_be_bytes());
        out.extend_from_slice(&block.jitter.to_be_bytes());
        out.extend_from_slice(&block.last_sr.to_be_bytes());
        out.extend_from_slice(&block.delay_since_last_sr.to_be_bytes());
    }
}

/// Round-trip time from a report block (RFC 3550 §6.4.1): `now` is the middle 32 bits of
/// the NTP time the block arrived; `None` when the peer has not seen our SR yet.
pub fn round_trip(block: &ReportBlock, now: u32) -> Option<std::time::Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let units = now
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    Some(std::time::Duration::from_micros(
        u64::from(units) * 1_000_000 / 65_536,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lost: i32) -> ReportBlock {
        ReportBlock {
            ssrc: 0xAABB_CCDD,
            fraction_lost: 25,
            cumulative_lost: lost,
            highest_sequence: 0x0001_0005,
            jitter: 42,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65_536,
        }
    }

    #[test]
    fn a_compound_of_sr_rr_and_sdes_reads_back() {
        let sr = Report {
            ssrc: 1,
            sender: Some(SenderInfo {
                ntp: 0xE000_0000_8000_0000,
                rtp_timestamp: 160,
                packets: 50,
                octets: 8000,
            }),
            blocks: vec![block(-3)],
        };
        let rr = Report {
            ssrc: 2,
            sender: None,
            blocks: vec![block(70_000), block(0)],
        };
        let mut out = Vec::new();
        write_report(&sr, &mut out);
        // An SDES with one CNAME chunk, skipped by length.
        out.extend_from_slice(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, b'a', b'b']);
        write_report(&rr, &mut out);
        assert_eq!(parse_reports(&out), Ok(vec![sr, rr]));
    }

    #[test]
    fn round_trip_time_comes_from_lsr_and_dlsr() {
        // Arrived 1.5 s after the SR, of which the peer held it 1 s: 0.5 s round trip.
        let block = block(0);
        let now = block.last_sr + 65_536 + 32_768;
        assert_eq!(
            round_trip(&block, now),
            Some(std::time::Duration::from_millis(500))
        );
        let unseen = ReportBlock {
            last_sr: 0,
            ..block
        };
        assert_eq!(round_trip(&unseen, now), None);
    }

    #[test]
    fn malformed_compounds_are_refused_with_a_reason() {
        assert_eq!(parse_reports(&[0x80, 200]), Err(RtcpError::Truncated));
        assert_eq!(
            parse_reports(&[0x40, 200, 0, 0]),
            Err(RtcpError::Version(1))
        );
        assert_eq!(
            parse_reports(&[0x81, 202, 0, 0]),
            Err(RtcpError::NotReportFirst)
        );
        // An RR announcing one block but too short to hold it.
        assert_eq!(
            parse_reports(&[0x81, 201, 0, 1, 0, 0, 0, 2]),
            Err(RtcpError::Truncated)
        );
        // A length running past the end.
        assert_eq!(
            parse_reports(&[0x80, 201, 0, 9, 0, 0, 0, 2]),
            Err(RtcpError::Truncated)
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_reports(&bytes);
        }
    }
}
