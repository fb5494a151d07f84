//! The WAV reader on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(wav) = ringlet::media::wav::parse(data) {
        let _ = wav.channel(1);
    }
});
