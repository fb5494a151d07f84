//! The account archive reader on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ringlet::p2p::archive::decode(std::path::Path::new("fuzz.ringlet"), data, "passphrase");
});
