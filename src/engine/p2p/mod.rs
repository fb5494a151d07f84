//! P2P accounts in the engine: one network per enabled account; contacts, conversations
//! and their sync over it.
//!
//! Every request from the network reaches here only from a device whose certificate
//! checked out (see `p2p::network`). Commits are verified, judged by the conversation's DAG,
//! stored, and only then acknowledged, so whatever a peer saw acknowledged is on disk.
//! Sync: when two devices meet they send each other their heads of every conversation they
//! share; a side missing commits fetches them (paged, parents first). New commits are pushed
//! to the members' online devices; an offline one gets them at the next meeting.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use libp2p::Multiaddr;
use tokio::sync::mpsc;

mod account;
mod call_book;
mod calls;
pub(super) use account::P2pAccount;
use in_flight::Outstanding;
mod chat;
mod contacts;
mod devices;
mod downloads;
mod elsewhere;
mod events;
mod files;
mod group_calls;
mod groups;
mod in_flight;
pub use groups::GroupAction;
mod letters;
mod link;
mod mailbox;
pub(super) use link::LinkSession;
mod names;
mod outbox;
mod pacing;
mod profiles;
mod publishing;
mod serving;
pub use names::NameQuery;
mod streams;
mod sync;

use super::{EngineCore, Event, RequestId};
use crate::engine::failure::Failure;
use crate::model::AccountId;
use crate::p2p::commit::{CommitBody, CommitId, ConversationKind};
use crate::p2p::commit::{SignedCommit, VerifiedCommit};
use crate::p2p::dag::Conversation;
use crate::p2p::network::{self, NetworkCommand, NetworkConfig, NetworkEvent, NodeInfo};
use crate::p2p::records;
use crate::p2p::{DeviceCertificate, DeviceKey};

/// Commits sent per fetch answer.
const FETCH_PAGE: usize = 256;
/// Contact requests accepted from one account per minute.
const CONTACT_REQUESTS_PER_MINUTE: usize = 5;
/// How often an unreachable contact is looked for again.
const REACH_OUT_INTERVAL: Duration = Duration::from_secs(5);
/// How often our DHT inbox is read.
const INBOX_INTERVAL: Duration = Duration::from_secs(5);
/// How often our device list is published again.
const PUBLISH_INTERVAL: Duration = Duration::from_secs(300);

/// Network options from the command line and settings.
#[derive(Debug, Clone)]
pub struct P2pOptions {
    /// Listen addresses for each account's swarm.
    pub listen: Vec<Multiaddr>,
    /// Bootstrap nodes.
    pub bootstrap: Vec<Multiaddr>,
    /// mDNS and UPnP.
    pub lan_discovery: bool,
}

impl Default for P2pOptions {
    fn default() -> P2pOptions {
        P2pOptions {
            listen: ["/ip4/0.0.0.0/udp/0/quic-v1", "/ip4/0.0.0.0/tcp/0"]
                .iter()
                .filter_map(|address| address.parse().ok())
                .collect(),
            bootstrap: Vec::new(),
            lan_discovery: true,
        }
    }
}

impl P2pOptions {
    /// Loopback only, no bootstrap, no multicast: for tests.
    pub fn loopback() -> P2pOptions {
        P2pOptions {
            listen: ["/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"]
                .iter()
                .filter_map(|address| address.parse().ok())
                .collect(),
            bootstrap: Vec::new(),
            lan_discovery: false,
        }
    }
}

impl EngineCore {
    /// `ctl node-info`: each running account's network.
    pub(in crate::engine) fn node_info(&mut self) -> serde_json::Value {
        let mut nodes = Vec::new();
        for (id, account) in &self.p2p {
            let (tx, rx) = tokio::sync::oneshot::channel();
            account.network.send(NetworkCommand::Info(tx));
            // Inside `block_in_place`: waiting here is allowed and short.
            let info: Option<NodeInfo> = tokio::runtime::Handle::current()
                .block_on(tokio::time::timeout(Duration::from_secs(2), rx))
                .ok()
                .and_then(Result::ok);
            if let Some(info) = info {
                let mail = account.mailbox.figures();
                nodes.push(serde_json::json!({
                    "account": id,
                    "node": info,
                    "letters_deposited": mail.deposited,
                    "letters_opened": mail.opened,
                    "undelivered": mail.undelivered,
                    "requests_to_deposit": mail.requests,
                    "pushes_in_flight": account
                        .asked
                        .count(|what| matches!(what, Outstanding::Push(..))),
                    "rejected": self.p2p_rejected,
                    "calls_refused": account.calls.refused(),
                    "call_streams_refused": account.calls.counters().streams_refused.load(Relaxed),
                    "invites_flooded": account.calls.counters().invites_flooded.load(Relaxed),
                    "ice_refused": account.calls.counters().ice_refused.load(Relaxed),
                    "blocked_dropped": self.p2p_blocked,
                    "revoked_refused": self.p2p_revoked_refused,
                    "file_chunks_refused": account.downloads.refused(),
                    "file_streams_refused": account.serving.refused(),
                    "downloads": account.downloads.len(),
                }));
            }
        }
        serde_json::Value::Array(nodes)
    }

    /// A running account and its conversation with `peer` (a contact's account id or a
    /// conversation id), or why there is none.
    fn online_conversation(
        &mut self,
        id: &AccountId,
        peer: &str,
    ) -> Result<(&mut P2pAccount, CommitId), Failure> {
        let account = self
            .p2p
            .get_mut(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let conversation = find_conversation(account, peer)
            .ok_or_else(|| format!("no conversation with {peer}; add the contact first"))?;
        Ok((account, conversation))
    }

    /// `message ACCOUNT ID TEXT` on a P2P account.
    pub(super) fn send_p2p_message(
        &mut self,
        request: RequestId,
        id: &AccountId,
        peer: &str,
        text: &str,
    ) -> Result<(), Failure> {
        let (_, conversation) = self.online_conversation(id, peer)?;
        let commit =
            self.write_commit(id, Some(conversation), CommitBody::Text(text.to_owned()))?;
        self.apply_commits(id, vec![commit.clone()], None);
        self.push(id, conversation, vec![commit.signed]);
        // Stored and on its way: delivery to each device follows as they come online.
        self.events
            .emit(Event::MessageDelivery { request, code: 202 });
        Ok(())
    }

    /// Tries to reach an account's devices: dial the known ones, else look its device
    /// list up in the DHT. `now` skips the rate limit.
    fn reach_out(&mut self, id: &AccountId, target: &AccountId, now: bool) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !account
            .pacing
            .reach_out(target, clock(), REACH_OUT_INTERVAL, now)
        {
            return;
        }
        if let Some(devices) = account.devices.get(target) {
            for (peer, addresses) in devices.clone() {
                if !account.online.contains_key(&peer) {
                    account
                        .network
                        .send(NetworkCommand::Connect { peer, addresses });
                }
            }
        }
        let tag = account.asked.ask(Outstanding::Lookup(target.clone()));
        account.network.send(NetworkCommand::GetRecord {
            key: records::device_list_key(target),
            tag,
        });
    }

    /// Starts a network for `device` whose events come tagged with `id`: an account's, or
    /// a link session's (no certificate, and no listener: it only dials, so it never takes
    /// the port an account's network may have been given).
    pub(super) fn start_network(
        &self,
        id: &AccountId,
        device: &DeviceKey,
        certificate: Option<DeviceCertificate>,
    ) -> Result<network::Network, Failure> {
        let tag = id.clone();
        let listen = if certificate.is_some() {
            self.p2p_options.listen.clone()
        } else {
            Vec::new()
        };
        network::start(
            device.keypair().clone(),
            NetworkConfig {
                certificate,
                listen,
                bootstrap: self.p2p_options.bootstrap.clone(),
                lan_discovery: self.p2p_options.lan_discovery,
                relay_server: None,
            },
            self.p2p_events.clone(),
            move |event| (tag.clone(), event),
        )
        .map_err(|err| Failure::Said(err.to_string()))
    }

    /// Every couple of seconds: look for contacts with no device online, republish our
    /// device list when due.
    pub(super) fn p2p_tick(&mut self) {
        self.link_tick();
        let ids: Vec<AccountId> = self.p2p.keys().cloned().collect();
        for id in ids {
            let targets: Vec<AccountId> = match self.store.contacts() {
                Ok(contacts) => contacts
                    .into_iter()
                    .filter(|contact| {
                        contact.account == id
                            && matches!(
                                contact.state,
                                crate::model::ContactState::Requested
                                    | crate::model::ContactState::Confirmed
                            )
                    })
                    .filter_map(|contact| parse_account_id(&contact.uri).ok())
                    .chain(std::iter::once(id.clone()))
                    .collect(),
                Err(_) => continue,
            };
            for target in targets {
                let online = self
                    .p2p
                    .get(&id)
                    .is_some_and(|account| account.online.values().any(|a| a == &target));
                if !online {
                    self.reach_out(&id, &target, false);
                }
            }
            self.publish_devices(&id, false);
            self.deposit_letters(&id);
            self.check_inbox(&id);
            // Downloads with nothing in flight: their device may be back, or looked for.
            self.pump_downloads(&id, None);
            if let Some(account) = self.p2p.get_mut(&id) {
                let again: Vec<_> = account.resync.drain().collect();
                for (peer, conversation) in again {
                    if account.online.contains_key(&peer) {
                        account.send_heads(peer, conversation);
                    }
                }
            }
        }
    }
}

/// Answers to a contact request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactAnswer {
    /// Join the conversation; the contact is confirmed.
    Accept,
    /// Do not join; the request stays declined.
    Decline,
    /// Drop everything from this account from now on.
    Block,
}

/// The one-to-one conversation with `peer` (an account id), or the conversation whose id
/// is `peer`.
fn find_conversation(account: &P2pAccount, peer: &str) -> Option<CommitId> {
    if let Some(root) = CommitId::from_hex(peer)
        && account.conversations.contains_key(&root)
    {
        return Some(root);
    }
    let peer = AccountId(peer.trim().to_owned());
    account
        .conversations
        .values()
        .filter(|c| c.kind() == ConversationKind::OneToOne && c.members().contains(&peer))
        .map(Conversation::id)
        .min()
}

fn verify_all(commits: Vec<SignedCommit>, rejected: &mut u64) -> Vec<VerifiedCommit> {
    commits
        .into_iter()
        .filter_map(|signed| match signed.verify() {
            Ok(commit) => Some(commit),
            Err(err) => {
                tracing::info!(%err, "commit refused");
                *rejected += 1;
                None
            }
        })
        .collect()
}

/// Whether commits open with the `Create` of a group this account does not hold yet.
fn is_unknown_group(account: Option<&P2pAccount>, commits: &[SignedCommit]) -> bool {
    let Some(first) = commits.first() else {
        return false;
    };
    let Ok(create) = first.clone().trusted() else {
        return false;
    };
    matches!(
        create.content.body,
        CommitBody::Create {
            kind: ConversationKind::Group,
            ..
        }
    ) && account.is_some_and(|account| !account.conversations.contains_key(&create.id))
}

/// The account public key a certificate names.
fn public_key_of(certificate: &DeviceCertificate) -> Option<[u8; 32]> {
    crate::p2p::identity::public_key_from_hex(&certificate.account_public)
}

/// A P2P account id: 40 lower-case hex digits.
pub fn parse_account_id(text: &str) -> Result<AccountId, Failure> {
    let text = text.trim().to_ascii_lowercase();
    if text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(AccountId(text))
    } else {
        Err(Failure::NotAnAccountId(text))
    }
}

fn is_unspecified(address: &Multiaddr) -> bool {
    address.iter().any(
        |protocol| matches!(protocol, libp2p::multiaddr::Protocol::Ip4(ip) if ip.is_unspecified()),
    )
}

/// The engine is the P2P accounts' driver: it reads the clock for its rate limits and
/// retry timers, here only.
#[expect(clippy::disallowed_methods, reason = "the driver's one clock read")]
fn clock() -> Instant {
    Instant::now()
}

pub(super) fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// Events from every account's network, tagged with the account.
pub(super) type P2pEvents = mpsc::UnboundedSender<(AccountId, NetworkEvent)>;
