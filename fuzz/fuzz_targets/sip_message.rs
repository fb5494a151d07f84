//! The SIP message parser (datagram and stream framing) and typed headers on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ringlet::sip::SipMessage::parse(data) {
        let _ = message.check_mandatory();
        for via in message.headers.values("Via") {
            let _ = ringlet::sip::Via::parse(&via);
        }
        for name in ["From", "To", "Contact"] {
            for value in message.headers.values(name) {
                let _ = ringlet::sip::NameAddr::parse(&value);
            }
        }
    }
    let _ = ringlet::sip::SipMessage::parse_stream(data);
});
