//! The libp2p swarm and its driver task: one per P2P account on this device, and one for
//! `ringlet node`.
//!
//! The driver owns the swarm. It dials, listens, answers Kademlia, and checks every peer's
//! device certificate with a `Hello` exchange before anything else that peer sends reaches
//! the engine; what the messages mean (contacts, conversations) is decided by the engine.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use libp2p::futures::StreamExt as _;
use libp2p::kad::{self, store::MemoryStore};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, autonat, dcutr, identify, mdns, noise};
use libp2p::{ping, relay, tcp, upnp, yamux};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::identity::DeviceCertificate;
use super::transfer::{self, ChunkRequest};
use super::wire::{self, Request, Response};
use super::{inbox, names, records};
use crate::model::AccountId;

/// The Kademlia protocol name (a private DHT, apart from IPFS's).
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/kad/1.0.0");
/// The identify protocol version.
const IDENTIFY_VERSION: &str = "/ringlet/1.0.0";
/// How long an idle connection stays open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a request may wait for its answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest Kademlia message (an inbox record with its letters).
const MAX_DHT_PACKET_BYTES: usize = inbox::MAX_INBOX_BYTES + 64 * 1024;
/// Largest record other than an inbox.
const MAX_PLAIN_RECORD_BYTES: usize = 64 * 1024;
/// Requests held per peer until its Hello is verified.
const MAX_EARLY_REQUESTS: usize = 64;
/// Times a failed Hello is sent again on the same connection.
const MAX_HELLO_RETRIES: u32 = 3;
/// How often the driver checks whether its records should be put again.
const REPUBLISH_CHECK: Duration = Duration::from_secs(1);
/// Kademlia records live this long unless republished.
const RECORD_TTL: Duration = Duration::from_secs(48 * 3600);

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
    /// Serve as a relay for others (nodes).
    pub relay_server: bool,
}

/// The composed behaviour: one field per concern.
#[derive(NetworkBehaviour)]
struct Behaviour {
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    kad: kad::Behaviour<MemoryStore>,
    mdns: Toggle<mdns::tokio::Behaviour>,
    autonat: autonat::Behaviour,
    relay_client: Toggle<relay::client::Behaviour>,
    relay_server: Toggle<relay::Behaviour>,
    dcutr: Toggle<dcutr::Behaviour>,
    upnp: Toggle<upnp::tokio::Behaviour>,
    messages: request_response::Behaviour<wire::Codec>,
    streams: libp2p_stream::Behaviour,
}

/// How the driver and its helper tasks hand events to the engine.
type Emit = Arc<dyn Fn(NetworkEvent) + Send + Sync>;

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
    commands: mpsc::UnboundedSender<NetworkCommand>,
    /// This device's peer id.
    pub peer_id: PeerId,
    streams: libp2p_stream::Control,
    task: tokio::task::JoinHandle<()>,
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

/// Builds the swarm and spawns its driver on the current tokio runtime. Events go to
/// `events`, each wrapped by `wrap` (so several networks can share one channel).
pub fn start<E: Send + 'static>(
    keypair: libp2p::identity::Keypair,
    config: NetworkConfig,
    events: mpsc::UnboundedSender<E>,
    wrap: impl Fn(NetworkEvent) -> E + Send + Sync + 'static,
) -> Result<Network, NetworkError> {
    let mut swarm = build_swarm(keypair, &config)?;
    for address in &config.listen {
        swarm
            .listen_on(address.clone())
            .map_err(|err| NetworkError::Listen {
                address: address.clone(),
                reason: err.to_string(),
            })?;
    }
    let peer_id = *swarm.local_peer_id();
    for address in &config.bootstrap {
        let Some(libp2p::multiaddr::Protocol::P2p(peer)) = address.iter().last() else {
            tracing::warn!(%address, "bootstrap address without /p2p/PEER suffix ignored");
            continue;
        };
        if peer == peer_id {
            continue;
        }
        swarm
            .behaviour_mut()
            .kad
            .add_address(&peer, address.clone());
        if let Err(err) = swarm.dial(address.clone()) {
            tracing::warn!(%address, %err, "cannot dial bootstrap node");
        }
    }
    // Devices ask each bootstrap node for a relay reservation once connected to it.
    let relays: HashMap<PeerId, Multiaddr> = if config.certificate.is_some() {
        config
            .bootstrap
            .iter()
            .filter_map(|address| match address.iter().last() {
                Some(libp2p::multiaddr::Protocol::P2p(peer)) => Some((peer, address.clone())),
                _ => None,
            })
            .collect()
    } else {
        HashMap::new()
    };
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let mut streams = swarm.behaviour().streams.new_control();
    // Devices take file streams from verified peers; a node takes none.
    let incoming = match config.certificate {
        Some(_) => Some(
            streams
                .accept(transfer::PROTOCOL)
                .map_err(|err| NetworkError::Build(format!("{err:?}")))?,
        ),
        None => None,
    };
    let emit: Emit = Arc::new(move |event| {
        events.send(wrap(event)).ok();
    });
    let driver = Driver {
        swarm,
        certificate: config.certificate,
        verified: HashMap::new(),
        hello_sent: HashSet::new(),
        addresses: HashMap::new(),
        hello_retries: HashMap::new(),
        early: HashMap::new(),
        outbound: HashMap::new(),
        inbound: HashMap::new(),
        next_inbound: 0,
        record_queries: HashMap::new(),
        peer_lookups: HashMap::new(),
        refused: HashMap::new(),
        bootstrapped: false,
        published: HashMap::new(),
        expiring: HashMap::new(),
        republish_due: false,
        inbox_puts: HashSet::new(),
        inbox_stored: 0,
        record_puts: HashSet::new(),
        records_stored: 0,
        connections: HashMap::new(),
        hole_punches: (0, 0),
        relays,
        relay_listeners: HashMap::new(),
    };
    let task = tokio::spawn(driver.run(command_rx, incoming, emit));
    Ok(Network {
        commands: command_tx,
        peer_id,
        streams,
        task,
    })
}

fn build_swarm(
    keypair: libp2p::identity::Keypair,
    config: &NetworkConfig,
) -> Result<Swarm<Behaviour>, NetworkError> {
    let build = |err: &dyn std::fmt::Display| NetworkError::Build(err.to_string());
    let lan = config.lan_discovery;
    let is_node = config.certificate.is_none();
    let relay_server = config.relay_server;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|err| build(&err))?
        .with_quic()
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|err| build(&err))?
        .with_behaviour(|key, relay_client| {
            let peer_id = key.public().to_peer_id();
            let mut kad_config = kad::Config::new(KAD_PROTOCOL);
            kad_config
                .set_record_ttl(Some(RECORD_TTL))
                .set_query_timeout(Duration::from_secs(20))
                .set_periodic_bootstrap_interval(Some(Duration::from_secs(60)));
            // Records are checked before they are stored: inbox records are merged, not
            // replaced (see `store_record`).
            kad_config
                .set_record_filtering(kad::StoreInserts::FilterBoth)
                .set_max_packet_size(MAX_DHT_PACKET_BYTES);
            let store = MemoryStore::with_config(
                peer_id,
                kad::store::MemoryStoreConfig {
                    max_records: 16 * 1024,
                    max_value_bytes: inbox::MAX_INBOX_BYTES,
                    ..Default::default()
                },
            );
            let mut kad = kad::Behaviour::with_config(peer_id, store, kad_config);
            // Every Ringlet answers DHT queries: on loopback and LANs all are reachable, and
            // a private DHT has no crowd of strangers to protect.
            kad.set_mode(Some(kad::Mode::Server));
            let mdns = if lan {
                Some(mdns::tokio::Behaviour::new(
                    mdns::Config::default(),
                    peer_id,
                )?)
            } else {
                None
            };
            Ok(Behaviour {
                identify: identify::Behaviour::new(identify::Config::new(
                    IDENTIFY_VERSION.into(),
                    key.public(),
                )),
                ping: ping::Behaviour::default(),
                kad,
                mdns: mdns.into(),
                autonat: autonat::Behaviour::new(peer_id, autonat::Config::default()),
                relay_client: (!is_node).then_some(relay_client).into(),
                relay_server: relay_server
                    .then(|| relay::Behaviour::new(peer_id, relay_limits()))
                    .into(),
                dcutr: (!is_node).then(|| dcutr::Behaviour::new(peer_id)).into(),
                upnp: lan.then(upnp::tokio::Behaviour::default).into(),
                messages: request_response::Behaviour::with_codec(
                    wire::Codec,
                    [(wire::PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT),
                ),
                streams: libp2p_stream::Behaviour::new(),
            })
        })
        .map_err(|err| build(&err))?
        .with_swarm_config(|swarm| swarm.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();
    Ok(swarm)
}

/// What a node relays: enough for devices behind NATs to exchange their first messages and
/// punch a direct path (DCUtR), or to keep talking through it when no direct path can be
/// made (libp2p's defaults of 2 minutes and 128 KiB per circuit are too short for that).
fn relay_limits() -> relay::Config {
    relay::Config {
        max_circuit_duration: Duration::from_secs(30 * 60),
        max_circuit_bytes: 64 << 20,
        ..relay::Config::default()
    }
}

/// An outbound request in flight.
enum Outbound {
    /// Our `Hello` to a peer.
    Hello,
    /// The engine's `Send` with this tag.
    Engine(u64),
}

struct Driver {
    swarm: Swarm<Behaviour>,
    certificate: Option<DeviceCertificate>,
    /// Peers whose certificate checked out, with their account.
    verified: HashMap<PeerId, AccountId>,
    /// Peers we said `Hello` to on their current connections.
    hello_sent: HashSet<PeerId>,
    /// The remote address of each connected peer's first connection.
    addresses: HashMap<PeerId, Multiaddr>,
    /// Times our Hello to a connected peer was sent again after failing.
    hello_retries: HashMap<PeerId, u32>,
    /// Requests that came before the sender's Hello, held until it is verified.
    early: HashMap<PeerId, Vec<(Request, ResponseChannel<Response>)>>,
    outbound: HashMap<OutboundRequestId, Outbound>,
    inbound: HashMap<u64, ResponseChannel<Response>>,
    next_inbound: u64,
    record_queries: HashMap<kad::QueryId, (u64, Vec<Vec<u8>>)>,
    /// DHT lookups of a device's addresses, to dial it when they finish.
    peer_lookups: HashMap<kad::QueryId, PeerId>,
    refused: HashMap<String, u64>,
    bootstrapped: bool,
    /// Records we publish, to put again when new peers appear.
    published: HashMap<Vec<u8>, Vec<u8>>,
    /// The same for records that expire (kept until then).
    expiring: HashMap<Vec<u8>, (Vec<u8>, std::time::Instant)>,
    republish_due: bool,
    /// Inbox puts in flight, and how many reached at least one peer.
    inbox_puts: HashSet<kad::QueryId>,
    inbox_stored: u64,
    /// The same for our other records.
    record_puts: HashSet<kad::QueryId>,
    records_stored: u64,
    /// Open connections: the peer and whether it goes through a relay.
    connections: HashMap<libp2p::swarm::ConnectionId, (PeerId, bool)>,
    /// DCUtR upgrades (made, failed).
    hole_punches: (u64, u64),
    /// Bootstrap nodes, to ask for a relay reservation when connected to each.
    relays: HashMap<PeerId, Multiaddr>,
    /// Circuit listeners open at relays.
    relay_listeners: HashMap<libp2p::core::transport::ListenerId, PeerId>,
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<NetworkCommand>,
        mut incoming: Option<libp2p_stream::IncomingStreams>,
        emit: Emit,
    ) {
        let mut republish = tokio::time::interval(REPUBLISH_CHECK);
        loop {
            let next_stream = async {
                match incoming.as_mut() {
                    Some(incoming) => incoming.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = republish.tick() => self.republish_if_due(),
                command = commands.recv() => {
                    match command {
                        None | Some(NetworkCommand::Stop) => break,
                        Some(command) => self.on_command(command, &*emit),
                    }
                }
                Some((peer, stream)) = next_stream => self.on_stream(peer, stream, &emit),
                event = self.swarm.select_next_some() => self.on_swarm_event(event, &*emit),
            }
        }
    }

    /// A peer opened a file stream: a verified device's request is read (off this loop)
    /// and handed to the engine; anyone else's stream is dropped unread.
    fn on_stream(&mut self, peer: PeerId, mut stream: libp2p::Stream, emit: &Emit) {
        let Some(account) = self.verified.get(&peer).cloned() else {
            self.refuse("file stream from an unverified peer");
            return;
        };
        let emit = Arc::clone(emit);
        tokio::spawn(async move {
            let read = tokio::time::timeout(REQUEST_TIMEOUT, transfer::read_request(&mut stream));
            match read.await {
                Ok(Ok(request)) => emit(NetworkEvent::ChunkRequest {
                    peer,
                    account,
                    request,
                    stream,
                }),
                Ok(Err(err)) => tracing::info!(%peer, %err, "file stream request refused"),
                Err(_) => tracing::info!(%peer, "file stream request never came"),
            }
        });
    }

    fn on_command(&mut self, command: NetworkCommand, emit: &dyn Fn(NetworkEvent)) {
        match command {
            NetworkCommand::Send { peer, request, tag } => {
                if !self.verified.contains_key(&peer) {
                    emit(NetworkEvent::SendFailed {
                        tag,
                        peer,
                        error: "peer not connected".into(),
                    });
                    return;
                }
                let id = self
                    .swarm
                    .behaviour_mut()
                    .messages
                    .send_request(&peer, request);
                self.outbound.insert(id, Outbound::Engine(tag));
            }
            NetworkCommand::Respond { inbound, response } => {
                if let Some(channel) = self.inbound.remove(&inbound) {
                    // The peer may have gone meanwhile; it will sync again on reconnect.
                    self.swarm
                        .behaviour_mut()
                        .messages
                        .send_response(channel, response)
                        .ok();
                }
            }
            NetworkCommand::Connect { peer, addresses } => {
                if self.swarm.is_connected(&peer) {
                    return;
                }
                for address in &addresses {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer, address.clone());
                }
                let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                    .addresses(addresses)
                    .extend_addresses_through_behaviour()
                    .build();
                if self.swarm.dial(opts).is_err() {
                    // No address at all: ask the DHT where it is.
                    let query = self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                    self.peer_lookups.insert(query, peer);
                }
            }
            NetworkCommand::PutRecord { key, value } => {
                self.published.insert(key.clone(), value.clone());
                self.put(kad::Record::new(key, value));
            }
            NetworkCommand::PutExpiring { key, value, ttl } => {
                let expires = clock() + ttl;
                self.expiring.insert(key.clone(), (value.clone(), expires));
                let mut record = kad::Record::new(key, value);
                record.expires = Some(expires);
                self.put(record);
            }
            NetworkCommand::Withdraw { key, ttl } => {
                self.expiring.remove(&key);
                self.published.remove(&key);
                let mut tombstone = kad::Record::new(key, Vec::new());
                tombstone.expires = Some(clock() + ttl);
                self.put(tombstone);
            }
            NetworkCommand::AppendToInbox { key, letter } => {
                let merged = {
                    let kad = &mut self.swarm.behaviour_mut().kad;
                    let existing =
                        kad::store::RecordStore::get(kad.store_mut(), &kad::RecordKey::new(&key))
                            .map(|record| record.value.clone())
                            .unwrap_or_default();
                    inbox::merge_inbox(&existing, &inbox::encode_inbox(vec![letter]))
                };
                tracing::debug!(bytes = merged.len(), "putting an inbox record");
                // Kept here too, and republished with the others when peers appear.
                self.published.insert(key.clone(), merged.clone());
                let record = kad::Record::new(key, merged);
                // Straight to the peers connected now (a bootstrap node, say), which does not
                // wait for a lookup that may stall on peers that just went away; and to the
                // closest peers found by the lookup.
                let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
                let kad = &mut self.swarm.behaviour_mut().kad;
                if !connected.is_empty() {
                    let query =
                        kad.put_record_to(record.clone(), connected.into_iter(), kad::Quorum::One);
                    self.inbox_puts.insert(query);
                }
                match kad.put_record(record, kad::Quorum::One) {
                    Ok(query) => {
                        self.inbox_puts.insert(query);
                    }
                    Err(err) => tracing::warn!(%err, "cannot store an inbox record"),
                }
            }
            NetworkCommand::GetRecord { key, tag } => {
                let query = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .get_record(kad::RecordKey::new(&key));
                self.record_queries.insert(query, (tag, Vec::new()));
            }
            NetworkCommand::Info(reply) => {
                let direct_peers = self.peers_by_path(false);
                let swarm = &mut self.swarm;
                let routing_table = swarm
                    .behaviour_mut()
                    .kad
                    .kbuckets()
                    .map(|bucket| bucket.num_entries())
                    .sum();
                reply
                    .send(NodeInfo {
                        peer_id: swarm.local_peer_id().to_base58(),
                        listen_addresses: swarm.listeners().map(ToString::to_string).collect(),
                        connected_peers: swarm
                            .connected_peers()
                            .map(|peer| peer.to_base58())
                            .collect(),
                        verified_peers: self.verified.keys().map(|peer| peer.to_base58()).collect(),
                        routing_table,
                        refused: self.refused.clone(),
                        inbox_puts_stored: self.inbox_stored,
                        records_stored: self.records_stored,
                        relayed_peers: self
                            .peers_by_path(true)
                            .into_iter()
                            .filter(|peer| !direct_peers.contains(peer))
                            .collect(),
                        direct_peers,
                        hole_punches: self.hole_punches,
                    })
                    .ok();
            }
            NetworkCommand::SetCertificate(certificate) => {
                // Peers met from now on get it in our Hello (a renamed device).
                self.certificate = Some(*certificate);
            }
            NetworkCommand::Stop => {}
        }
    }

    /// Puts our records again after the routing table gained peers: a record put while
    /// we knew nobody (at start) is only stored locally.
    fn republish_if_due(&mut self) {
        if !self.republish_due {
            return;
        }
        self.republish_due = false;
        let now = clock();
        self.expiring.retain(|_, (_, expires)| *expires > now);
        let mut records: Vec<kad::Record> = self
            .published
            .iter()
            .map(|(key, value)| kad::Record::new(key.clone(), value.clone()))
            .collect();
        records.extend(self.expiring.iter().map(|(key, (value, expires))| {
            let mut record = kad::Record::new(key.clone(), value.clone());
            record.expires = Some(*expires);
            record
        }));
        for record in records {
            self.put(record);
        }
    }

    /// Stores a record here and at the closest peers.
    fn put(&mut self, record: kad::Record) {
        match self
            .swarm
            .behaviour_mut()
            .kad
            .put_record(record, kad::Quorum::One)
        {
            Ok(query) => {
                self.record_puts.insert(query);
            }
            Err(err) => tracing::warn!(%err, "cannot store a DHT record"),
        }
    }

    /// Asks a bootstrap node we are connected to for a relay reservation (once): a peer
    /// that cannot reach us directly (we are behind a NAT) comes through it, and DCUtR
    /// then punches a direct path. A node that does not relay refuses the reservation.
    fn reserve_at(&mut self, relay: PeerId) {
        let Some(address) = self.relays.get(&relay) else {
            return;
        };
        if self
            .relay_listeners
            .values()
            .any(|listening| *listening == relay)
        {
            return;
        }
        let circuit = address
            .clone()
            .with(libp2p::multiaddr::Protocol::P2pCircuit);
        match self.swarm.listen_on(circuit) {
            Ok(listener) => {
                self.relay_listeners.insert(listener, relay);
            }
            Err(err) => tracing::debug!(%address, %err, "no relay reservation"),
        }
    }

    /// Connected peers reached directly (`relayed` false) or through a relay.
    fn peers_by_path(&self, relayed: bool) -> Vec<String> {
        let mut peers: Vec<String> = self
            .connections
            .values()
            .filter(|(_, through_relay)| *through_relay == relayed)
            .map(|(peer, _)| peer.to_base58())
            .collect();
        peers.sort();
        peers.dedup();
        peers
    }

    fn refuse(&mut self, reason: &str) {
        tracing::debug!(reason, "P2P request refused");
        *self.refused.entry(reason.to_owned()).or_default() += 1;
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>, emit: &dyn Fn(NetworkEvent)) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "P2P listening");
                if self.certificate.is_none() {
                    // A node is meant to be reachable where it listens: those are the
                    // addresses a relay reservation hands out (none, no circuit address).
                    self.swarm.add_external_address(address.clone());
                }
                emit(NetworkEvent::Listening(address));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                connection_id,
                num_established,
                ..
            } => {
                self.connections
                    .insert(connection_id, (peer_id, endpoint.is_relayed()));
                self.reserve_at(peer_id);
                if !self.bootstrapped {
                    self.bootstrapped = self.swarm.behaviour_mut().kad.bootstrap().is_ok();
                }
                // Hello on the first connection, and again on each further one: the peer may
                // have restarted (its old connection not yet seen closed here) and know
                // nothing of us.
                if self.certificate.is_some()
                    && (self.hello_sent.insert(peer_id) || num_established.get() > 1)
                {
                    self.send_hello(peer_id);
                }
                let address = endpoint.get_remote_address().clone();
                self.addresses.insert(peer_id, address);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                self.connections.remove(&connection_id);
                if num_established == 0 {
                    self.hello_sent.remove(&peer_id);
                    self.hello_retries.remove(&peer_id);
                    self.addresses.remove(&peer_id);
                    self.early.remove(&peer_id);
                    if self.verified.remove(&peer_id).is_some() {
                        emit(NetworkEvent::PeerGone(peer_id));
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(dcutr::Event {
                remote_peer_id,
                result,
            })) => match result {
                Ok(_) => {
                    tracing::info!(peer = %remote_peer_id, "direct connection by hole punching");
                    self.hole_punches.0 += 1;
                }
                Err(err) => {
                    tracing::info!(peer = %remote_peer_id, %err, "hole punching failed");
                    self.hole_punches.1 += 1;
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(event)) => {
                tracing::debug!(?event, "relay");
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                addresses,
                reason,
            } => {
                tracing::debug!(?addresses, ?reason, "P2P listener closed");
                // A reservation lost (its connection closed): asked again when connected.
                if let Some(relay) = self.relay_listeners.remove(&listener_id)
                    && self.swarm.is_connected(&relay)
                {
                    self.reserve_at(relay);
                }
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::debug!(%error, "P2P listener failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Messages(event)) => self.on_message(event, emit),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(event)) => self.on_kad(event, emit),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, address) in found {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer, address.clone());
                    if !self.swarm.is_connected(&peer) {
                        self.swarm.dial(address).ok();
                    }
                }
            }
            // Only a peer speaking our DHT protocol goes into the routing table.
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) if info.protocols.contains(&KAD_PROTOCOL) => {
                for address in info.listen_addrs {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer_id, address);
                }
            }
            _ => {}
        }
    }

    fn on_message(
        &mut self,
        event: request_response::Event<Request, Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_request(peer, request, channel, emit),
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => match self.outbound.remove(&request_id) {
                Some(Outbound::Hello) => self.on_hello_answer(peer, response, emit),
                Some(Outbound::Engine(tag)) => emit(NetworkEvent::Response {
                    tag,
                    peer,
                    response,
                }),
                None => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                match self.outbound.remove(&request_id) {
                    Some(Outbound::Engine(tag)) => emit(NetworkEvent::SendFailed {
                        tag,
                        peer,
                        error: error.to_string(),
                    }),
                    // The stream of our Hello failed (a duplicate connection closed, say):
                    // say it again while the peer is still connected.
                    Some(Outbound::Hello) if self.swarm.is_connected(&peer) => {
                        let retries = self.hello_retries.entry(peer).or_default();
                        *retries += 1;
                        if *retries <= MAX_HELLO_RETRIES {
                            self.send_hello(peer);
                        }
                    }
                    _ => {}
                }
            }
            request_response::Event::InboundFailure { error, .. } => {
                self.refuse(&format!("inbound failure: {error}"));
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_request(
        &mut self,
        peer: PeerId,
        request: Request,
        channel: ResponseChannel<Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        if let Request::Hello { certificate } = request {
            match verify_peer(&peer, &certificate) {
                Ok(account) => {
                    match &self.certificate {
                        Some(own) => {
                            let own = own.clone();
                            self.answer(channel, Response::Hello { certificate: own });
                        }
                        None => {
                            self.answer(channel, Response::Refused("a node has no account".into()))
                        }
                    }
                    self.mark_verified(peer, account, certificate, emit);
                }
                Err(reason) => {
                    self.refuse("bad certificate");
                    self.answer(channel, Response::Refused(reason));
                }
            }
            return;
        }
        let Some(account) = self.verified.get(&peer).cloned() else {
            // Its Hello may still be on its way on another stream: hold a few requests
            // until it is verified (they are dropped if it never is).
            let early = self.early.entry(peer).or_default();
            if early.len() < MAX_EARLY_REQUESTS {
                early.push((request, channel));
            } else {
                self.refuse("request before hello");
                self.answer(channel, Response::Refused("say hello first".into()));
            }
            return;
        };
        self.deliver(peer, account, request, channel, emit);
    }

    fn deliver(
        &mut self,
        peer: PeerId,
        account: AccountId,
        request: Request,
        channel: ResponseChannel<Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        let inbound = self.next_inbound;
        self.next_inbound += 1;
        self.inbound.insert(inbound, channel);
        emit(NetworkEvent::Request {
            peer,
            account,
            inbound,
            request,
        });
    }

    /// A peer proved its certificate (by its Hello or its answer to ours): tell the engine
    /// once per connection, then hand over what it asked meanwhile.
    fn mark_verified(
        &mut self,
        peer: PeerId,
        account: AccountId,
        certificate: DeviceCertificate,
        emit: &dyn Fn(NetworkEvent),
    ) {
        // Also for a peer verified before: a Hello comes with a new connection, perhaps
        // from a restarted process, which the engine greets again (heads, waiting pushes).
        self.verified.insert(peer, account.clone());
        let address = self.addresses.get(&peer).cloned();
        emit(NetworkEvent::PeerVerified {
            peer,
            account: account.clone(),
            certificate,
            address,
        });
        for (request, channel) in self.early.remove(&peer).unwrap_or_default() {
            self.deliver(peer, account.clone(), request, channel, emit);
        }
    }

    fn send_hello(&mut self, peer: PeerId) {
        let Some(certificate) = self.certificate.clone() else {
            return;
        };
        let id = self
            .swarm
            .behaviour_mut()
            .messages
            .send_request(&peer, Request::Hello { certificate });
        self.outbound.insert(id, Outbound::Hello);
    }

    fn answer(&mut self, channel: ResponseChannel<Response>, response: Response) {
        // A peer that went away meanwhile gets nothing; it syncs again when it returns.
        self.swarm
            .behaviour_mut()
            .messages
            .send_response(channel, response)
            .ok();
    }

    fn on_hello_answer(&mut self, peer: PeerId, response: Response, emit: &dyn Fn(NetworkEvent)) {
        let Response::Hello { certificate } = response else {
            // A node, or a peer that refused us: nothing more to say to it.
            return;
        };
        match verify_peer(&peer, &certificate) {
            Ok(account) => self.mark_verified(peer, account, certificate, emit),
            Err(_) => self.refuse("bad certificate in hello answer"),
        }
    }

    /// A peer asks us to store a record: inbox records are merged with what we hold,
    /// others replace it if they are of a sane size.
    fn store_record(&mut self, mut record: kad::Record) {
        let kad = &mut self.swarm.behaviour_mut().kad;
        if record.key.as_ref().starts_with(inbox::INBOX_KEY_PREFIX) {
            if inbox::decode_inbox(&record.value).is_err() {
                self.refuse("malformed inbox record");
                return;
            }
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone())
                .unwrap_or_default();
            record.value = inbox::merge_inbox(&existing, &record.value);
        } else if let Some(account) = records::device_list_account(record.key.as_ref()) {
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone());
            if !records::should_store_device_list(&account, &record.value, existing.as_deref()) {
                self.refuse("forged or stale device list");
                return;
            }
        } else if let Some(name) = names::name_of_key(record.key.as_ref()) {
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone());
            if !names::should_store(name, &record.value, existing.as_deref()) {
                self.refuse("name held by another account, or forged");
                return;
            }
        } else if record.value.len() > MAX_PLAIN_RECORD_BYTES {
            self.refuse("oversized record");
            return;
        }
        let bytes = record.value.len();
        match kad::store::RecordStore::put(kad.store_mut(), record) {
            Ok(()) => tracing::debug!(bytes, "record stored for a peer"),
            Err(err) => tracing::debug!(%err, "record not stored"),
        }
    }

    fn on_kad(&mut self, event: kad::Event, emit: &dyn Fn(NetworkEvent)) {
        if let kad::Event::InboundRequest {
            request:
                kad::InboundRequest::PutRecord {
                    record: Some(record),
                    ..
                },
        } = event
        {
            self.store_record(record);
            return;
        }
        if let kad::Event::RoutingUpdated {
            is_new_peer: true, ..
        } = event
        {
            self.republish_due = !self.published.is_empty() || !self.expiring.is_empty();
            return;
        }
        let kad::Event::OutboundQueryProgressed {
            id, result, step, ..
        } = event
        else {
            return;
        };
        match result {
            kad::QueryResult::PutRecord(result) => {
                tracing::debug!(ok = result.is_ok(), "DHT put finished");
                if self.inbox_puts.remove(&id) && result.is_ok() {
                    self.inbox_stored += 1;
                }
                if self.record_puts.remove(&id) && result.is_ok() {
                    self.records_stored += 1;
                }
            }
            kad::QueryResult::GetRecord(Ok(kad::GetRecordOk::FoundRecord(found))) => {
                if let Some((_, values)) = self.record_queries.get_mut(&id) {
                    values.push(found.record.value);
                }
            }
            kad::QueryResult::GetClosestPeers(Ok(ok)) => {
                if let Some(peer) = self.peer_lookups.remove(&id)
                    && let Some(info) = ok.peers.into_iter().find(|info| info.peer_id == peer)
                {
                    let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                        .addresses(info.addrs)
                        .build();
                    self.swarm.dial(opts).ok();
                }
            }
            _ => {}
        }
        if step.last {
            self.peer_lookups.remove(&id);
            if let Some((tag, values)) = self.record_queries.remove(&id) {
                emit(NetworkEvent::Records { tag, values });
            }
        }
    }
}

/// Checks that a certificate is valid and names the connection's peer.
pub fn verify_peer(peer: &PeerId, certificate: &DeviceCertificate) -> Result<AccountId, String> {
    let account = certificate.verify().map_err(|err| err.to_string())?;
    if certificate.device_id != peer.to_base58() {
        return Err("the certificate is for another device".into());
    }
    Ok(account)
}

/// The swarm's driver reads the clock here only (records that expire).
#[expect(clippy::disallowed_methods, reason = "the driver's one clock read")]
fn clock() -> std::time::Instant {
    std::time::Instant::now()
}
