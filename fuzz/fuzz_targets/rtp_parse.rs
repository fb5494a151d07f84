//! The RTP parser and the sequence-number extender on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = ringlet::media::rtp::RtpPacket::parse(data) {
        let mut out = Vec::new();
        packet.write(&mut out);
        let mut extender = ringlet::media::rtp::SequenceExtender::default();
        for pair in data.chunks_exact(2) {
            extender.extend(u16::from_be_bytes([pair[0], pair[1]]));
        }
    }
});
