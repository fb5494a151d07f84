//! Device-list records found in the DHT.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let account = ringlet::model::AccountId("0123456789abcdef0123456789abcdef01234567".into());
    let _ = ringlet::p2p::records::open_device_list(&account, data);
});
