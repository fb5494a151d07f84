//! The SIP URI parser on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = ringlet::sip::SipUri::parse(text);
});
