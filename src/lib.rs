//! Ringlet: a free, decentralized SIP softphone and peer-to-peer messenger.
//!
//! The crate is one engine driven by plain [`engine::Command`]s and observed through plain
//! [`engine::Event`]s. The window (`ui`), the headless daemon and its control socket
//! (`control`), and the tests all drive it the same way. See `ARCHITECTURE.md` for the map.

#![warn(missing_docs)]

pub mod config;
pub mod control;
pub mod crypto;
pub mod desktop;
pub mod engine;
pub mod headless;
pub mod i18n;
pub mod ice;
pub mod media;
pub mod model;
pub mod p2p;
pub mod paths;
pub mod sdp;
pub mod sip;
pub mod store;
pub mod stun;
pub mod transport;
pub mod ui;
