//! The libp2p swarm and its driver task: one per P2P account on this device, and one for
//! `ringlet node`.
//!
//! The driver owns the swarm. It dials, listens, answers Kademlia, and checks every peer's
//! device certificate with a `Hello` exchange before anything else that peer sends reaches
//! the engine; what the messages mean (contacts, conversations) is decided by the engine.

mod api;
mod dht;
mod driver;
mod hello;
mod swarm;

pub use api::{Network, NetworkCommand, NetworkConfig, NetworkError, NetworkEvent, NodeInfo};
use driver::{Driver, Outbound, StreamKind, clock};
pub use hello::verify_peer;
use swarm::{Behaviour, BehaviourEvent, Emit, REQUEST_TIMEOUT};
pub use swarm::{KAD_PROTOCOL, start};
