//! A profile picture a contact sent, as a device checks it before keeping it: PNG or JPEG
//! bytes of any shape. It is refused with an error or decoded within the limits; never a
//! panic, never a picture larger than the limits.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use ringlet::p2p::picture::{MAX_SIDE, check};
    if let Ok(image) = check(data) {
        assert!(image.width() <= MAX_SIDE && image.height() <= MAX_SIDE);
    }
});
