//! What the engine and a network say to each other, and the engine's handle on it.

use std::collections::HashMap;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::model::AccountId;
use crate::p2p::identity::DeviceCertificate;
use crate::p2p::transfer::{self, ChunkRequest};
use crate::p2p::wire::{Request, Response};

/// How to start a swarm.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// This device's certificate; `None` for a bootstrap/relay node (no account).
    pub certificate: Option<DeviceCertificate>,
    /// Addresses to listen on (`/ip4/0.0.0.0/udp/0/quic-v1`, …).
    pub listen: Vec<Multiaddr>,
    /// Bootstrap nodes (each with its `/p2p/PEER` suffix).
    pub bootstrap: Vec<Multiaddr>,
    /// Find LAN peers by mDNS and map ports by UPnP (both multicast on every interface).
    pub lan_discovery: bool,
    /// Serve as a relay for others (nodes), each circuit for at most this long.
    pub relay_server: Option<std::time::Duration>,
}

/// What the engine asks of its network.
#[derive(Debug)]
pub enum NetworkCommand {
    /// Send a request to a verified peer; the answer comes back with `tag`.
    Send {
        /// The peer.
        peer: PeerId,
        /// What to send.
        request: Request,
        /// Echoed in the answer.
        tag: u64,
    },
    /// Answer an inbound request.
    Respond {
        /// The `inbound` number of the request.
        inbound: u64,
        /// The answer.
        response: Response,
    },
    /// Connect to a device: by the addresses given, else by a DHT lookup of its peer id.
    Connect {
        /// The device.
        peer: PeerId,
        /// Addresses known for it.
        addresses: Vec<Multiaddr>,
    },
    /// Publish a record in the DHT.
    PutRecord {
        /// Key.
        key: Vec<u8>,
        /// Value.
        value: Vec<u8>,
    },
    /// Publish a record that expires everywhere after `ttl` (a device-linking offer).
    PutExpiring {
        /// Key.
        key: Vec<u8>,
        /// Value.
        value: Vec<u8>,
        /// How long it lives.
        ttl: Duration,
    },
    /// Withdraw a record put with `PutExpiring`: no longer put again, and overwritten with an
    /// empty value (a tombstone) here and at the closest peers until `ttl` has passed.
    Withdraw {
        /// Key.
        key: Vec<u8>,
        /// How long the tombstone lives.
        ttl: Duration,
    },
    /// Add a sealed letter to an inbox record in the DHT (merged with what is there).
    AppendToInbox {
        /// The inbox key.
        key: Vec<u8>,
        /// One sealed letter.
        letter: Vec<u8>,
    },
    /// Look a record up in the DHT; all values found come back with `tag`.
    GetRecord {
        /// Key.
        key: Vec<u8>,
        /// Echoed in the answer.
        tag: u64,
    },
    /// Report the node's state.
    Info(oneshot::Sender<NodeInfo>),
    /// This device's certificate changed (it was renamed).
    SetCertificate(Box<DeviceCertificate>),
    /// Close every connection to a device (one that was revoked) and forget it was
    /// verified.
    Disconnect(PeerId),
    /// Stop.
    Stop,
}

/// What the network tells the engine.
#[derive(Debug)]
pub enum NetworkEvent {
    /// Listening on a new address.
    Listening(Multiaddr),
    /// A certified device answered our `Hello`: requests may flow both ways.
    PeerVerified {
        /// The device.
        peer: PeerId,
        /// Its account.
        account: AccountId,
        /// Its certificate.
        certificate: DeviceCertificate,
        /// An address it was reached at.
        address: Option<Multiaddr>,
    },
    /// The last connection to a peer closed.
    PeerGone(PeerId),
    /// A verified peer's connections changed (or it was just verified): `relayed` when
    /// every one goes through a relay.
    PeerPath {
        /// The peer.
        peer: PeerId,
        /// Only relayed connections are left.
        relayed: bool,
    },
    /// A verified device asks something; answer with `Respond { inbound, .. }`.
    Request {
        /// The device.
        peer: PeerId,
        /// Its account.
        account: AccountId,
        /// Number to answer with.
        inbound: u64,
        /// The request.
        request: Request,
    },
    /// The answer to a `Send`.
    Response {
        /// The `Send`'s tag.
        tag: u64,
        /// The device.
        peer: PeerId,
        /// Its answer.
        response: Response,
    },
    /// A `Send` failed (peer gone, timeout, refused stream).
    SendFailed {
        /// The `Send`'s tag.
        tag: u64,
        /// The device.
        peer: PeerId,
        /// Why.
        error: String,
    },
    /// A verified device opened a file stream and asked for chunks; answer on `stream`
    /// (`p2p::transfer`).
    ChunkRequest {
        /// The device.
        peer: PeerId,
        /// Its account.
        account: AccountId,
        /// What it asks for.
        request: ChunkRequest,
        /// The stream to answer on.
        stream: libp2p::Stream,
    },
    /// A verified device opened a call stream (SIP or a call's media); the engine decides
    /// whether its account may call us.
    CallStream {
        /// The device.
        peer: PeerId,
        /// Its account.
        account: AccountId,
        /// SIP (`false`) or a call's media (`true`).
        media: bool,
        /// The stream.
        stream: libp2p::Stream,
    },
    /// Something a file stream task of the engine reports (sent by the engine's own tasks
    /// on the same channel, so that one loop sees it in order with the rest).
    Transfer(transfer::Progress),
    /// The answer to a `GetRecord` (empty when none was found).
    Records {
        /// The `GetRecord`'s tag.
        tag: u64,
        /// Every value found.
        values: Vec<Vec<u8>>,
    },
}

/// What `ctl node-info` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// This device's (or node's) peer id.
    pub peer_id: String,
    /// Addresses it listens on.
    pub listen_addresses: Vec<String>,
    /// Peers connected now.
    pub connected_peers: Vec<String>,
    /// Peers whose device certificate checked out.
    pub verified_peers: Vec<String>,
    /// Peers in the Kademlia routing table.
    pub routing_table: usize,
    /// Inbound requests refused (unverified peer, bad certificate), by reason.
    pub refused: HashMap<String, u64>,
    /// Inbox records stored by at least one other peer.
    pub inbox_puts_stored: u64,
    /// Puts of our records (device lists, names; inbox records when republished) stored by
    /// at least one other peer.
    pub records_stored: u64,
    /// Peers with a direct connection (not through a relay).
    pub direct_peers: Vec<String>,
    /// Peers reached only through a relay.
    pub relayed_peers: Vec<String>,
    /// Direct connections made from relayed ones by DCUtR hole punching: (made, failed).
    pub hole_punches: (u64, u64),
}

/// The engine's handle on a running network.
pub struct Network {
    pub(super) commands: mpsc::UnboundedSender<NetworkCommand>,
    /// This device's peer id.
    pub peer_id: PeerId,
    pub(super) streams: libp2p_stream::Control,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("peer_id", &self.peer_id)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// A handle to open raw streams to peers with (one per concurrent opener).
    pub fn streams(&self) -> libp2p_stream::Control {
        self.streams.clone()
    }

    /// Sends a command; false when the network has stopped.
    pub fn send(&self, command: NetworkCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Asks the network to stop; the handle finishes when it has.
    pub fn stop(self) -> tokio::task::JoinHandle<()> {
        self.commands.send(NetworkCommand::Stop).ok();
        self.task
    }
}

/// Why a swarm could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// Building a transport or behaviour failed.
    #[error("cannot build the P2P swarm: {0}")]
    Build(String),
    /// A listen address was refused.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: Multiaddr,
        /// Why.
        reason: String,
    },
}
