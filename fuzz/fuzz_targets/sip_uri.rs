//! The SIP URI parser on arbitrary text, and what reads people's addresses through it or
//! beside it: a conversation's address of record, a STUN server's address.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = ringlet::sip::SipUri::parse(text);
    let aor = ringlet::sip::uri::address_of_record(text);
    // Normalising twice changes nothing more.
    assert_eq!(ringlet::sip::uri::address_of_record(&aor), aor);
    let _ = ringlet::stun::check_server(text);
});
