//! The settings file parser on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = ringlet::config::Settings::parse(text, std::path::Path::new("fuzz.toml"));
});
