//! The SDP parser and offer/answer on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(offer) = ringlet::sdp::SessionDescription::parse(text) {
        let codecs = ringlet::sdp::KNOWN_CODECS.to_vec();
        let local = ringlet::sdp::LocalMedia {
            address: "127.0.0.1",
            port: 40000,
            codecs: &codecs,
            direction: ringlet::sdp::Direction::SendRecv,
            srtp: ringlet::model::SrtpPolicy::Optional,
            srtp_key: "key",
            session: (1, 1),
        };
        let _ = ringlet::sdp::answer_offer(&offer, &local);
    }
});
