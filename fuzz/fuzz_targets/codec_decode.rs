//! Every codec's decoder (libopus, spandsp G.722 and GSM, libspeex, G.711) on arbitrary
//! payloads, with concealment in between.
#![no_main]
use ringlet::media::codecs;
use ringlet::sdp::KNOWN_CODECS;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else { return };
    let Some(codec) = KNOWN_CODECS.get(usize::from(selector) % KNOWN_CODECS.len()) else { return };
    let Ok(mut instance) = codecs::make(codec, selector & 0x80 != 0) else { return };
    let mut out = Vec::new();
    for piece in payload.split(|&byte| byte == 0xFF) {
        let _ = instance.decode(piece, &mut out);
        instance.conceal(Some(piece), &mut out);
        out.clear();
    }
});
