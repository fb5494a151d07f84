//! Packets from arbitrary bytes (sequence, timestamp, payload) into the jitter buffer with
//! play-outs in between, and each payload as a telephone-event.
#![no_main]
use std::time::{Duration, Instant};

use ringlet::media::dtmf::DtmfReceiver;
use ringlet::media::jitter::JitterBuffer;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods, reason = "a starting point for the fake clock")]
    let start = Instant::now();
    let mut buffer = JitterBuffer::new(8_000);
    let mut dtmf = DtmfReceiver::default();
    for (index, chunk) in data.chunks(8).enumerate() {
        let [a, b, c, d, e, f, g, h] = <[u8; 8]>::try_from(chunk).unwrap_or([0; 8]);
        let now = start + Duration::from_millis(u64::from(h) * 3 + index as u64 * 20);
        buffer.push(now, u16::from_be_bytes([a, b]), u32::from_be_bytes([c, d, e, f]), &chunk[..]);
        let _ = dtmf.on_packet(u32::from(g), chunk);
        if g & 1 == 0 {
            let _ = buffer.pop();
        }
    }
    for _ in 0..64 {
        let _ = buffer.pop();
    }
});
