//! A call's RTP stream as a device reads it: bytes cut anywhere, decoded into frames until
//! the first error (after which the stream is closed).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use ringlet::p2p::callstream::{Frame, FrameDecoder};
    // The first byte says where the bytes are cut, as reads from a stream would cut them.
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let mut decoder = FrameDecoder::default();
    for piece in rest.chunks(usize::from(cut).max(1)) {
        decoder.push(piece);
        // At most one frame per 3 bytes: every frame has a 3-byte header.
        for _ in 0..=rest.len() / 3 {
            match decoder.next_frame() {
                Ok(Some(frame)) => {
                    // What decodes encodes back to the same frame.
                    let mut again = FrameDecoder::default();
                    again.push(&frame.encode());
                    assert_eq!(again.next_frame(), Ok(Some(frame.clone())));
                    let _: Frame = frame;
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
