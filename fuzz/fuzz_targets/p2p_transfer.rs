//! The file stream decoders: everything a receiver may write (its request) and everything a
//! sender may write (its answer, then chunks), read as the other side reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use futures::executor::block_on;
    use futures::io::Cursor;
    use ringlet::p2p::transfer::{decode_request, read_answer, read_chunk, read_request};
    let _ = decode_request(data);
    let _ = block_on(read_request(&mut Cursor::new(data)));
    let mut from_sender = Cursor::new(data);
    if block_on(read_answer(&mut from_sender)).is_ok() {
        // At most as many chunks as there are bytes: every chunk has a 12-byte header.
        for _ in 0..=data.len() / 12 {
            match block_on(read_chunk(&mut from_sender)) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
});
