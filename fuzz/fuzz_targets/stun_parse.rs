//! The STUN Binding answer parser on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let transaction = data.get(8..20).and_then(|id| <[u8; 12]>::try_from(id).ok()).unwrap_or([0; 12]);
    let _ = ringlet::stun::is_stun(data);
    let _ = ringlet::stun::parse_binding_response(data, &transaction);
});
