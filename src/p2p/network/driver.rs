//! The driver task: the loop over engine commands, inbound streams and swarm events, and
//! the connection bookkeeping (relays, hole punches, who is connected how).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use libp2p::futures::StreamExt as _;
use libp2p::kad;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, dcutr, identify, mdns};
use tokio::sync::mpsc;

use super::*;
use crate::model::AccountId;
use crate::p2p::identity::DeviceCertificate;
use crate::p2p::transfer::{self, ChunkRequest};
use crate::p2p::wire::{Request, Response};

/// How often the driver checks whether its records should be put again.
const REPUBLISH_CHECK: Duration = Duration::from_secs(1);

/// A file stream's request as its reading task found it: the peer, its account, and the
/// request with the stream to answer on, or why there is none.
pub(super) type StreamRead = (
    PeerId,
    AccountId,
    Result<(ChunkRequest, libp2p::Stream), &'static str>,
);

/// What an inbound stream is for, by its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamKind {
    /// A file's chunks (`p2p::transfer`).
    File,
    /// SIP between devices (`p2p::callstream`).
    Sip,
    /// A call's media.
    Rtp,
}

/// Inbound streams of every protocol a device accepts.
pub(super) type Incoming = futures::stream::SelectAll<
    futures::stream::BoxStream<'static, (PeerId, libp2p::Stream, StreamKind)>,
>;

/// An outbound request in flight.
pub(super) enum Outbound {
    /// Our `Hello` to a peer.
    Hello,
    /// The engine's `Send` with this tag.
    Engine(u64),
}

pub(super) struct Driver {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) certificate: Option<DeviceCertificate>,
    /// Peers whose certificate checked out, with their account.
    pub(super) verified: HashMap<PeerId, AccountId>,
    /// This process, as our Hello names it (random, never 0).
    pub(super) instance: u64,
    /// The process each peer's last Hello named.
    pub(super) instances: HashMap<PeerId, u64>,
    /// Peers we said `Hello` to on their current connections.
    pub(super) hello_sent: HashSet<PeerId>,
    /// The remote address of each connected peer's first connection.
    pub(super) addresses: HashMap<PeerId, Multiaddr>,
    /// Times our Hello to a connected peer was sent again after failing.
    pub(super) hello_retries: HashMap<PeerId, u32>,
    /// Requests that came before the sender's Hello, held until it is verified.
    pub(super) early: HashMap<PeerId, Vec<(Request, ResponseChannel<Response>)>>,
    pub(super) outbound: HashMap<OutboundRequestId, Outbound>,
    pub(super) inbound: HashMap<u64, ResponseChannel<Response>>,
    pub(super) next_inbound: u64,
    pub(super) record_queries: HashMap<kad::QueryId, (u64, Vec<Vec<u8>>)>,
    /// DHT lookups of a device's addresses, to dial it when they finish.
    pub(super) peer_lookups: HashMap<kad::QueryId, PeerId>,
    pub(super) refused: HashMap<String, u64>,
    pub(super) bootstrapped: bool,
    /// Records we publish, to put again when new peers appear.
    pub(super) published: HashMap<Vec<u8>, Vec<u8>>,
    /// The same for records that expire (kept until then).
    pub(super) expiring: HashMap<Vec<u8>, (Vec<u8>, std::time::Instant)>,
    pub(super) republish_due: bool,
    /// Inbox puts in flight, and how many reached at least one peer.
    pub(super) inbox_puts: HashSet<kad::QueryId>,
    pub(super) inbox_stored: u64,
    /// The same for our other records.
    pub(super) record_puts: HashSet<kad::QueryId>,
    pub(super) records_stored: u64,
    /// Open connections: the peer and whether it goes through a relay.
    pub(super) connections: HashMap<libp2p::swarm::ConnectionId, (PeerId, bool)>,
    /// DCUtR upgrades (made, failed).
    pub(super) hole_punches: (u64, u64),
    /// Bootstrap nodes, to ask for a relay reservation when connected to each.
    pub(super) relays: HashMap<PeerId, Multiaddr>,
    /// Circuit listeners open at relays.
    pub(super) relay_listeners: HashMap<libp2p::core::transport::ListenerId, PeerId>,
}

impl Driver {
    pub(super) async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<NetworkCommand>,
        mut incoming: Option<Incoming>,
        emit: Emit,
    ) {
        let mut republish = tokio::time::interval(REPUBLISH_CHECK);
        // File stream requests, read by tasks of their own.
        let (read_tx, mut read_rx) = mpsc::unbounded_channel();
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
                Some((peer, stream, kind)) = next_stream => match kind {
                    StreamKind::File => self.on_stream(peer, stream, &read_tx),
                    StreamKind::Sip | StreamKind::Rtp => {
                        self.on_call_stream(peer, stream, kind == StreamKind::Rtp, &*emit);
                    }
                },
                Some((peer, account, read)) = read_rx.recv() => {
                    self.on_stream_request(peer, account, read, &*emit);
                }
                event = self.swarm.select_next_some() => self.on_swarm_event(event, &*emit),
            }
        }
    }

    /// A peer opened a file stream: a verified device's request is read by a task (off
    /// this loop); anyone else's stream is dropped unread.
    pub(super) fn on_stream(
        &mut self,
        peer: PeerId,
        mut stream: libp2p::Stream,
        read: &mpsc::UnboundedSender<StreamRead>,
    ) {
        let Some(account) = self.verified.get(&peer).cloned() else {
            self.refuse("file stream from an unverified peer");
            return;
        };
        let read = read.clone();
        tokio::spawn(async move {
            let request =
                tokio::time::timeout(REQUEST_TIMEOUT, transfer::read_request(&mut stream));
            let outcome = match request.await {
                Ok(Ok(request)) => Ok((request, stream)),
                Ok(Err(err)) => {
                    tracing::info!(%peer, %err, "file stream request refused");
                    Err("malformed file stream request")
                }
                Err(_) => Err("file stream request never came"),
            };
            read.send((peer, account, outcome)).ok();
        });
    }

    /// A peer opened a call stream: a verified device's goes to the engine, anyone
    /// else's is dropped and counted.
    fn on_call_stream(
        &mut self,
        peer: PeerId,
        stream: libp2p::Stream,
        media: bool,
        emit: &dyn Fn(NetworkEvent),
    ) {
        let Some(account) = self.verified.get(&peer).cloned() else {
            self.refuse("call stream from an unverified peer");
            return;
        };
        emit(NetworkEvent::CallStream {
            peer,
            account,
            media,
            stream,
        });
    }

    /// A file stream's request was read: handed to the engine, or counted as refused.
    fn on_stream_request(
        &mut self,
        peer: PeerId,
        account: AccountId,
        read: Result<(ChunkRequest, libp2p::Stream), &'static str>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        match read {
            Ok((request, stream)) => emit(NetworkEvent::ChunkRequest {
                peer,
                account,
                request,
                stream,
            }),
            Err(reason) => self.refuse(reason),
        }
    }

    pub(super) fn on_command(&mut self, command: NetworkCommand, emit: &dyn Fn(NetworkEvent)) {
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
            NetworkCommand::Disconnect(peer) => {
                self.verified.remove(&peer);
                if self.swarm.disconnect_peer_id(peer).is_err() {
                    tracing::debug!(%peer, "no connection to close");
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
            command @ (NetworkCommand::PutRecord { .. }
            | NetworkCommand::PutExpiring { .. }
            | NetworkCommand::Withdraw { .. }
            | NetworkCommand::AppendToInbox { .. }
            | NetworkCommand::GetRecord { .. }) => self.on_dht_command(command),
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

    /// Asks a bootstrap node we are connected to for a relay reservation (once): a peer
    /// that cannot reach us directly (we are behind a NAT) comes through it, and DCUtR
    /// then punches a direct path. A node that does not relay refuses the reservation.
    pub(super) fn reserve_at(&mut self, relay: PeerId) {
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
    pub(super) fn peers_by_path(&self, relayed: bool) -> Vec<String> {
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

    /// Tells the engine whether a verified peer (a device) is reached directly or only
    /// through a relay; nodes and DHT peers are no call's concern.
    pub(super) fn report_path(&self, peer: PeerId, emit: &dyn Fn(NetworkEvent)) {
        if !self.verified.contains_key(&peer) {
            return;
        }
        let relayed = self
            .connections
            .values()
            .filter(|(known, _)| *known == peer)
            .all(|(_, relayed)| *relayed);
        emit(NetworkEvent::PeerPath { peer, relayed });
    }

    pub(super) fn refuse(&mut self, reason: &str) {
        tracing::debug!(reason, "P2P request refused");
        *self.refused.entry(reason.to_owned()).or_default() += 1;
    }

    pub(super) fn on_swarm_event(
        &mut self,
        event: SwarmEvent<BehaviourEvent>,
        emit: &dyn Fn(NetworkEvent),
    ) {
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
                self.report_path(peer_id, emit);
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
                if num_established > 0 {
                    self.report_path(peer_id, emit);
                }
                if num_established == 0 {
                    self.instances.remove(&peer_id);
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
}

/// The swarm's driver reads the clock here only (records that expire).
#[expect(clippy::disallowed_methods, reason = "the driver's one clock read")]
pub(super) fn clock() -> std::time::Instant {
    std::time::Instant::now()
}
