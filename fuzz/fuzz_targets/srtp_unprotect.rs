//! SRTP and SRTCP unprotect on arbitrary bytes (with a fixed key), then a protect/unprotect
//! round trip of the bytes as an RTP payload.
#![no_main]
use ringlet::media::srtp::{SrtpReceiver, SrtpSender, SrtpSuite};

const KEY: &str = "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for suite in [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32] {
        let Ok(mut receiver) = SrtpReceiver::new(suite, KEY) else { return };
        let mut packet = data.to_vec();
        let _ = receiver.unprotect_rtp(&mut packet);
        let mut packet = data.to_vec();
        let _ = receiver.unprotect_rtcp(&mut packet);
        let Ok(mut sender) = SrtpSender::new(suite, KEY) else { return };
        let mut plain = vec![0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
        plain.extend_from_slice(data);
        let mut protected = plain.clone();
        if sender.protect_rtp(&mut protected).is_ok() {
            let mut fresh = SrtpReceiver::new(suite, KEY).ok();
            if let Some(receiver) = fresh.as_mut() {
                assert!(receiver.unprotect_rtp(&mut protected).is_ok());
                assert_eq!(protected, plain);
            }
        }
    }
});
