//! The control socket's request parser on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ringlet::control::protocol::parse_request(data);
});
