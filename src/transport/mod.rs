//! Thin tokio drivers around the sans-IO protocol cores: sockets in, bytes and deadlines to
//! the core, its outputs back to sockets and to the engine.

pub mod interfaces;
pub mod p2p_call;
pub mod resolve;
pub mod sip_account;
pub mod sip_tcp;
