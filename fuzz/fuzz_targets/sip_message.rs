//! The SIP message parser (datagram and stream framing) and typed headers on arbitrary bytes;
//! the in-place header readings (first list item, address parts and tag) checked against the
//! copying ones.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ringlet::sip::SipMessage::parse(data) {
        let _ = message.check_mandatory();
        for via in message.headers.values("Via") {
            let _ = ringlet::sip::Via::parse(&via);
        }
        for name in ["From", "To", "Contact", "Via", "Route"] {
            let values = message.headers.values(name);
            // The in-place reading must agree with the one that copies.
            assert_eq!(
                message.headers.first_value(name),
                values.first().map(String::as_str)
            );
            for value in values {
                let owned = ringlet::sip::NameAddr::parse(&value);
                let parts = ringlet::sip::AddressParts::parse(&value);
                assert_eq!(owned.is_ok(), parts.is_ok(), "{value:?}");
                if let (Ok(owned), Ok(parts)) = (owned, parts) {
                    assert_eq!(owned.tag(), parts.tag(), "{value:?}");
                    assert_eq!(owned.uri, parts.uri, "{value:?}");
                }
            }
        }
    }
    let _ = ringlet::sip::SipMessage::parse_stream(data);
});
