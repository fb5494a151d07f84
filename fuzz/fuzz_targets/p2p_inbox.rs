//! Inbox records from the DHT: the list decoder, merging (as storing nodes do), and
//! opening every letter with an account key.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use ringlet::p2p::{AccountKey, inbox};
    let Ok(key) = AccountKey::from_secret(&[7u8; 32]) else {
        return;
    };
    let merged = inbox::merge_inbox(data, data);
    if let Ok(letters) = inbox::decode_inbox(&merged) {
        for letter in letters {
            let _ = inbox::open_letter(&key, &letter);
        }
    }
    let _ = inbox::open_letter(&key, data);
});
