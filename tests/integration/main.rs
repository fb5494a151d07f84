//! Every integration test in one binary: real engines and peers started by the tests
//! (see each module's own note). One binary links the crate once, where one per file
//! linked it 25 times; `cargo test --test integration MODULE::` runs one file's tests.

mod common;

mod bad_input;
mod baresip;
mod baresip_media;
mod desktop;
mod engine;
mod gui;
mod gui_contacts;
mod gui_journeys;
mod headless;
mod hotplug;
mod impaired;
mod input_meter;
mod jack;
mod jami;
mod kamailio;
mod keyring;
mod latency;
mod linphone;
mod media;
mod p2p;
mod p2p_calls;
mod p2p_chat;
mod p2p_files;
mod p2p_link;
mod p2p_nat;
mod presence;
mod rfc4475;
mod sip_roaming;
mod sipp;
mod stun;
mod window;
