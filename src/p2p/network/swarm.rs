//! Building the swarm (transports and behaviours) and starting its driver.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use libp2p::kad::{self, store::MemoryStore};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, autonat, dcutr, identify, mdns, noise};
use libp2p::{ping, relay, tcp, upnp, yamux};
use tokio::sync::mpsc;

use super::*;
use crate::p2p::callstream;
use crate::p2p::inbox;
use crate::p2p::transfer;
use crate::p2p::wire::{self};

/// The Kademlia protocol name (a private DHT, apart from IPFS's).
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/kad/1.0.0");
/// The identify protocol version.
pub(super) const IDENTIFY_VERSION: &str = "/ringlet/1.0.0";
/// How long an idle connection stays open.
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a request may wait for its answer.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest Kademlia message (an inbox record with its letters).
pub(super) const MAX_DHT_PACKET_BYTES: usize = inbox::MAX_INBOX_BYTES + 64 * 1024;
/// Kademlia records live this long unless republished.
pub(super) const RECORD_TTL: Duration = Duration::from_secs(48 * 3600);

/// The composed behaviour: one field per concern.
#[derive(NetworkBehaviour)]
pub(super) struct Behaviour {
    pub(super) identify: identify::Behaviour,
    pub(super) ping: ping::Behaviour,
    pub(super) kad: kad::Behaviour<MemoryStore>,
    pub(super) mdns: Toggle<mdns::tokio::Behaviour>,
    pub(super) autonat: autonat::Behaviour,
    pub(super) relay_client: Toggle<relay::client::Behaviour>,
    pub(super) relay_server: Toggle<relay::Behaviour>,
    pub(super) dcutr: Toggle<dcutr::Behaviour>,
    pub(super) upnp: Toggle<upnp::tokio::Behaviour>,
    pub(super) messages: request_response::Behaviour<wire::Codec>,
    pub(super) streams: libp2p_stream::Behaviour,
}

/// How the driver and its helper tasks hand events to the engine.
pub(super) type Emit = Arc<dyn Fn(NetworkEvent) + Send + Sync>;

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
        Some(_) => {
            let mut accept = |protocol, kind| {
                streams
                    .accept(protocol)
                    .map(|incoming| {
                        incoming
                            .map(move |(peer, stream)| (peer, stream, kind))
                            .boxed()
                    })
                    .map_err(|err| NetworkError::Build(format!("{err:?}")))
            };
            Some(futures::stream::select_all([
                accept(transfer::PROTOCOL, StreamKind::File)?,
                accept(callstream::SIP_PROTOCOL, StreamKind::Sip)?,
                accept(callstream::RTP_PROTOCOL, StreamKind::Rtp)?,
            ]))
        }
        None => None,
    };
    let emit: Emit = Arc::new(move |event| {
        events.send(wrap(event)).ok();
    });
    let driver = Driver {
        swarm,
        certificate: config.certificate,
        verified: HashMap::new(),
        instance: rand::random::<u64>() | 1,
        instances: HashMap::new(),
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
                    .map(|longest| relay::Behaviour::new(peer_id, relay_limits(longest)))
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
/// made (libp2p's defaults of 2 minutes and 128 KiB per circuit are too short for that):
/// circuits of at most `longest` (30 minutes by default) and 64 MiB. A call outlives its
/// circuit: its device opens the call's streams again on a new one.
fn relay_limits(longest: Duration) -> relay::Config {
    relay::Config {
        max_circuit_duration: longest,
        max_circuit_bytes: 64 << 20,
        ..relay::Config::default()
    }
}
