//! P2P accounts in the engine: one network per enabled account; contacts, conversations
//! and their sync over it.
//!
//! Every request from the network reaches here only from a device whose certificate
//! checked out (see `p2p::network`). Commits are verified, judged by the conversation's DAG,
//! stored, and only then acknowledged, so whatever a peer saw acknowledged is on disk.
//! Sync: when two devices meet they send each other their heads of every conversation they
//! share; a side missing commits fetches them (paged, parents first). New commits are pushed
//! to the members' online devices; an offline one gets them at the next meeting.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc;

mod chat;
mod contacts;
mod devices;
mod downloads;
mod files;
mod groups;
pub use groups::GroupAction;
mod letters;
mod link;
pub(super) use link::LinkSession;
mod names;
pub use names::NameQuery;
mod streams;
mod sync;

use super::{EngineCore, Event, RequestId};
use crate::model::RegistrationState;
use crate::model::{AccountDetails, AccountId};
use crate::p2p::commit::{CommitBody, CommitId, ConversationKind};
use crate::p2p::commit::{SignedCommit, VerifiedCommit};
use crate::p2p::dag::Conversation;
use crate::p2p::network::{self, Network, NetworkCommand, NetworkConfig, NetworkEvent, NodeInfo};
use crate::p2p::records;
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request, Response};
use crate::p2p::{AccountKey, DeviceCertificate, DeviceKey};
use crate::store::{PeerDevice, SecretName};

/// Commits sent per fetch answer.
const FETCH_PAGE: usize = 256;
/// Contact requests accepted from one account per minute.
const CONTACT_REQUESTS_PER_MINUTE: usize = 5;
/// How often an unreachable contact is looked for again.
const REACH_OUT_INTERVAL: Duration = Duration::from_secs(5);
/// Unanswered pushes per device.
const PUSHES_IN_FLIGHT: usize = 4;
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

/// What an outbound request was for.
enum Outstanding {
    Fetch {
        conversation: CommitId,
    },
    Plain,
    Lookup(AccountId),
    Inbox,
    /// Commits pushed to a device of this account: left in its inbox if the push fails.
    Push(AccountId, Vec<SignedCommit>),
    /// A name lookup for a command.
    Name(RequestId, String, NameQuery),
    /// A file's chunk list (the file's commit).
    Manifest(CommitId),
}

/// A running P2P account.
pub(super) struct P2pAccount {
    network: Network,
    device: DeviceKey,
    account_key: AccountKey,
    certificate: DeviceCertificate,
    conversations: HashMap<CommitId, Conversation>,
    /// Verified devices connected now, with their account.
    online: HashMap<PeerId, AccountId>,
    /// Devices known per account, with addresses.
    devices: HashMap<AccountId, HashMap<PeerId, Vec<Multiaddr>>>,
    revoked: HashSet<String>,
    listening: Vec<Multiaddr>,
    next_tag: u64,
    outstanding: HashMap<u64, Outstanding>,
    /// Fetches in flight, so one gap is asked for once.
    fetching: HashSet<(PeerId, CommitId)>,
    last_reach_out: HashMap<AccountId, Instant>,
    contact_requests: HashMap<AccountId, VecDeque<Instant>>,
    published: Option<Instant>,
    publish_due: bool,
    /// Account public keys learnt from certificates and records (to seal letters).
    public_keys: HashMap<AccountId, [u8; 32]>,
    /// Commits accounts with no device online have not received yet.
    undelivered: HashMap<AccountId, Vec<SignedCommit>>,
    /// Contact requests to leave in inboxes.
    requests_to_deposit: HashSet<AccountId>,
    /// Receipts for authors with no device online, by author and (conversation, read).
    receipts_to_deposit: HashMap<AccountId, HashMap<(CommitId, bool), Vec<CommitId>>>,
    /// Letters left in inboxes so far.
    letters_deposited: u64,
    /// Hashes of inbox letters already handled.
    letters_opened: HashSet<[u8; 32]>,
    inbox_checked: Option<Instant>,
    /// Commits waiting to be pushed to each online device (with the account they are for).
    outbox: HashMap<PeerId, Vec<(AccountId, SignedCommit)>>,
    pushes_in_flight: HashMap<PeerId, usize>,
    /// Files being received.
    downloads: HashMap<CommitId, downloads::ActiveDownload>,
    /// Chunks of our files served (to anyone), for the sending side's progress.
    served: HashMap<CommitId, HashSet<u64>>,
    /// When each served file's progress was last reported.
    served_reported: HashMap<CommitId, Instant>,
    /// File manifests and chunks refused (bad hash, wrong answer).
    files_refused: u64,
    /// DHT keys of the PIN link offers made and not yet withdrawn.
    link_offers: Vec<Vec<u8>>,
}

impl P2pAccount {
    /// No device of `owner` is connected.
    fn offline(&self, owner: &AccountId) -> bool {
        !self.online.values().any(|account| account == owner)
    }

    fn send(&mut self, peer: PeerId, request: Request, what: Outstanding) {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.outstanding.insert(tag, what);
        self.network
            .send(NetworkCommand::Send { peer, request, tag });
    }

    /// Sends what waits for a device, as few pushes as possible (up to 512 commits each),
    /// with at most [`PUSHES_IN_FLIGHT`] unanswered at a time: a burst of messages becomes
    /// a handful of requests instead of one stream each.
    fn flush_outbox(&mut self, peer: PeerId) {
        while self.pushes_in_flight.get(&peer).copied().unwrap_or(0) < PUSHES_IN_FLIGHT {
            let Some(queue) = self.outbox.get_mut(&peer).filter(|queue| !queue.is_empty()) else {
                self.outbox.remove(&peer);
                return;
            };
            let take = queue.len().min(MAX_COMMITS_PER_MESSAGE);
            let batch: Vec<(AccountId, SignedCommit)> = queue.drain(..take).collect();
            let Some(member) = batch.first().map(|(member, _)| member.clone()) else {
                return;
            };
            let commits: Vec<SignedCommit> = batch.into_iter().map(|(_, commit)| commit).collect();
            *self.pushes_in_flight.entry(peer).or_default() += 1;
            self.send(
                peer,
                Request::Push {
                    commits: commits.clone(),
                },
                Outstanding::Push(member, commits),
            );
        }
    }

    /// A push to `peer` was answered or failed: room for the next.
    fn push_done(&mut self, peer: PeerId) {
        if let Some(count) = self.pushes_in_flight.get_mut(&peer) {
            *count = count.saturating_sub(1);
        }
        self.flush_outbox(peer);
    }

    /// The device went: whatever was asked of it is asked again when it is back.
    fn forget_downloads_from(&mut self, peer: PeerId) {
        for active in self.downloads.values_mut() {
            active.forget_requests_to(peer);
        }
    }

    /// Online devices of these accounts, except this one.
    fn online_devices_of(&self, accounts: &HashSet<AccountId>) -> Vec<PeerId> {
        self.online
            .iter()
            .filter(|(_, account)| accounts.contains(account))
            .map(|(peer, _)| *peer)
            .collect()
    }

    fn own_account(&self) -> AccountId {
        self.account_key.account_id()
    }

    /// Conversations an account shares with us (all of them for our own other devices).
    fn shared_with(&self, account: &AccountId) -> Vec<CommitId> {
        let own = &self.own_account() == account;
        self.conversations
            .values()
            .filter(|conversation| own || conversation.members().contains(account))
            .map(Conversation::id)
            .collect()
    }
}

impl EngineCore {
    /// Starts the networks of all enabled P2P accounts.
    pub(super) fn start_p2p_accounts(&mut self) {
        let ids: Vec<AccountId> = self.accounts.keys().cloned().collect();
        for id in ids {
            self.start_p2p_account(&id);
        }
    }

    /// Starts (or stops, when disabled) one P2P account's network.
    pub(super) fn start_p2p_account(&mut self, id: &AccountId) {
        let Some(info) = self.accounts.get(id) else {
            return;
        };
        if !matches!(info.details, AccountDetails::P2p { .. }) {
            return;
        }
        let enabled = info.enabled;
        if let Some(running) = self.p2p.remove(id) {
            drop(running.network.stop());
        }
        if !enabled {
            self.set_registration(id, RegistrationState::Offline);
            return;
        }
        match self.open_p2p_account(id) {
            Ok(account) => {
                self.p2p.insert(id.clone(), account);
                self.set_registration(id, RegistrationState::Trying);
                self.resume_downloads(id);
            }
            Err(error) => self.set_registration(id, RegistrationState::Failed(error)),
        }
    }

    fn open_p2p_account(&mut self, id: &AccountId) -> Result<P2pAccount, String> {
        let secret = |name| {
            self.store
                .secret(&id.0, name)
                .map_err(|err| err.to_string())?
                .ok_or_else(|| format!("account {id} has no {name:?} on this device"))
        };
        let account_key =
            AccountKey::from_secret(&secret(SecretName::AccountKey)?).map_err(|e| e.to_string())?;
        let device =
            DeviceKey::from_encoded(&secret(SecretName::DeviceKey)?).map_err(|e| e.to_string())?;
        let rows = self.store.devices(id).map_err(|err| err.to_string())?;
        let certificate = rows
            .iter()
            .find(|row| row.local)
            .map(|row| row.certificate.clone())
            .ok_or_else(|| format!("account {id} has no certificate for this device"))?;
        let revoked: HashSet<String> = rows
            .iter()
            .filter(|row| row.revoked)
            .map(|row| row.certificate.device_id.clone())
            .collect();
        let mut revoked = revoked;
        revoked.extend(
            self.store
                .revoked_peer_devices(id)
                .map_err(|err| err.to_string())?,
        );
        let mut devices: HashMap<AccountId, HashMap<PeerId, Vec<Multiaddr>>> = HashMap::new();
        for row in rows.iter().filter(|row| !row.local && !row.revoked) {
            if let Ok(peer) = row.certificate.device_id.parse::<PeerId>() {
                devices
                    .entry(id.clone())
                    .or_default()
                    .insert(peer, Vec::new());
            }
        }
        for known in self.store.peer_devices(id).map_err(|err| err.to_string())? {
            let Ok(peer) = known.device_id.parse::<PeerId>() else {
                continue;
            };
            let addresses: Vec<String> = serde_json::from_str(&known.addresses).unwrap_or_default();
            devices.entry(known.peer_account).or_default().insert(
                peer,
                addresses.iter().filter_map(|a| a.parse().ok()).collect(),
            );
        }
        let mut public_keys = HashMap::from([(id.clone(), account_key.public())]);
        for known in self.store.peer_devices(id).map_err(|err| err.to_string())? {
            if let Some(public) = serde_json::from_str::<DeviceCertificate>(&known.certificate)
                .ok()
                .and_then(|certificate| public_key_of(&certificate))
            {
                public_keys.insert(known.peer_account, public);
            }
        }
        let conversations = self.load_conversations(id)?;
        let network = self.start_network(id, &device, Some(certificate.clone()))?;
        Ok(P2pAccount {
            network,
            device,
            account_key,
            certificate,
            conversations,
            online: HashMap::new(),
            devices,
            revoked,
            listening: Vec::new(),
            next_tag: 0,
            outstanding: HashMap::new(),
            fetching: HashSet::new(),
            last_reach_out: HashMap::new(),
            contact_requests: HashMap::new(),
            published: None,
            publish_due: true,
            public_keys,
            undelivered: HashMap::new(),
            requests_to_deposit: HashSet::new(),
            receipts_to_deposit: HashMap::new(),
            letters_deposited: 0,
            letters_opened: HashSet::new(),
            inbox_checked: None,
            outbox: HashMap::new(),
            pushes_in_flight: HashMap::new(),
            downloads: HashMap::new(),
            served: HashMap::new(),
            served_reported: HashMap::new(),
            files_refused: 0,
            link_offers: Vec::new(),
        })
    }

    fn load_conversations(
        &self,
        id: &AccountId,
    ) -> Result<HashMap<CommitId, Conversation>, String> {
        let mut conversations: HashMap<CommitId, Conversation> = HashMap::new();
        for stored in self
            .store
            .commits_of_account(id)
            .map_err(|err| err.to_string())?
        {
            let Ok(commit) = SignedCommit::from_bytes(&stored.raw).and_then(SignedCommit::trusted)
            else {
                tracing::warn!(commit = stored.id, "unreadable stored commit skipped");
                continue;
            };
            let root = commit.conversation();
            match conversations.get_mut(&root) {
                Some(conversation) => conversation.restore(commit),
                None => match Conversation::new(&commit) {
                    Ok(conversation) => {
                        conversations.insert(root, conversation);
                    }
                    Err(err) => tracing::warn!(%err, "stored conversation unreadable"),
                },
            }
        }
        Ok(conversations)
    }

    /// Stops every P2P network.
    pub(super) async fn stop_all_p2p_accounts(&mut self) {
        self.stop_links();
        let tasks: Vec<_> = self
            .p2p
            .drain()
            .map(|(_, account)| account.network.stop())
            .collect();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .ok();
        }
    }

    /// Stops one account's network (account deleted).
    pub(super) fn stop_p2p_account(&mut self, id: &AccountId) {
        if let Some(account) = self.p2p.remove(id) {
            drop(account.network.stop());
        }
    }

    /// `ctl node-info`: each running account's network.
    pub(super) fn node_info(&mut self, request: RequestId) {
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
                nodes.push(serde_json::json!({
                    "account": id,
                    "node": info,
                    "letters_deposited": account.letters_deposited,
                    "letters_opened": account.letters_opened.len(),
                    "undelivered": account.undelivered.values().map(Vec::len).sum::<usize>(),
                    "requests_to_deposit": account.requests_to_deposit.len(),
                    "pushes_in_flight": account
                        .outstanding
                        .values()
                        .filter(|what| matches!(what, Outstanding::Push(..)))
                        .count(),
                    "rejected": self.p2p_rejected,
                    "file_chunks_refused": account.files_refused,
                    "downloads": account.downloads.len(),
                }));
            }
        }
        self.events.emit(Event::Answer {
            request,
            value: serde_json::Value::Array(nodes),
        });
    }

    /// A running account and its conversation with `peer` (a contact's account id or a
    /// conversation id), or why there is none.
    fn online_conversation(
        &mut self,
        id: &AccountId,
        peer: &str,
    ) -> Result<(&mut P2pAccount, CommitId), String> {
        let account = self
            .p2p
            .get_mut(id)
            .ok_or_else(|| format!("account {id} is not online"))?;
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
    ) -> Result<(), String> {
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
        let due = account
            .last_reach_out
            .get(target)
            .is_none_or(|last| last.elapsed() >= REACH_OUT_INTERVAL);
        if !now && !due {
            return;
        }
        account.last_reach_out.insert(target.clone(), clock());
        if let Some(devices) = account.devices.get(target) {
            for (peer, addresses) in devices.clone() {
                if !account.online.contains_key(&peer) {
                    account
                        .network
                        .send(NetworkCommand::Connect { peer, addresses });
                }
            }
        }
        let tag = account.next_tag;
        account.next_tag += 1;
        account
            .outstanding
            .insert(tag, Outstanding::Lookup(target.clone()));
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
    ) -> Result<network::Network, String> {
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
                relay_server: false,
            },
            self.p2p_events.clone(),
            move |event| (tag.clone(), event),
        )
        .map_err(|err| err.to_string())
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
                            && matches!(contact.state.as_str(), "requested" | "confirmed")
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
        }
    }

    /// Something happened on an account's network.
    pub(super) fn on_network_event(&mut self, id: AccountId, event: NetworkEvent) {
        if self.links.contains_key(&id) {
            self.on_link_event(&id, event);
            return;
        }
        if !self.p2p.contains_key(&id) {
            return;
        }
        match event {
            NetworkEvent::Listening(address) => {
                if let Some(account) = self.p2p.get_mut(&id) {
                    if is_unspecified(&address) {
                        return;
                    }
                    account.listening.push(address);
                    account.publish_due = true;
                }
                let online = self
                    .accounts
                    .get(&id)
                    .is_some_and(|info| info.registration == RegistrationState::Registered);
                if !online {
                    self.set_registration(&id, RegistrationState::Registered);
                }
                self.publish_devices(&id, true);
            }
            NetworkEvent::PeerVerified {
                peer,
                account: peer_account,
                certificate,
                address,
            } => self.on_peer_verified(&id, peer, peer_account, certificate, address),
            NetworkEvent::PeerGone(peer) => {
                if let Some(account) = self.p2p.get_mut(&id) {
                    let member = account.online.remove(&peer);
                    if let Some(member) = &member
                        && member != &id
                        && account.offline(member)
                    {
                        self.events.emit(Event::ContactPresence {
                            account: id.clone(),
                            uri: member.0.clone(),
                            online: Some(false),
                        });
                    }
                    account.pushes_in_flight.remove(&peer);
                    if let (Some(member), Some(waiting)) = (member, account.outbox.remove(&peer)) {
                        account
                            .undelivered
                            .entry(member)
                            .or_default()
                            .extend(waiting.into_iter().map(|(_, commit)| commit));
                    }
                    account.fetching.retain(|(device, _)| device != &peer);
                    account.forget_downloads_from(peer);
                }
            }
            NetworkEvent::ChunkRequest {
                peer,
                account: from,
                request,
                stream,
            } => self.on_chunk_request(&id, peer, &from, request, stream),
            NetworkEvent::Transfer(progress) => self.on_transfer_progress(&id, progress),
            NetworkEvent::Request {
                peer,
                account: from,
                inbound,
                request,
            } => {
                let response = self.on_request(&id, peer, &from, request);
                if let Some(account) = self.p2p.get(&id) {
                    account
                        .network
                        .send(NetworkCommand::Respond { inbound, response });
                }
            }
            NetworkEvent::Response {
                tag,
                peer,
                response,
            } => {
                let what = self
                    .p2p
                    .get_mut(&id)
                    .and_then(|a| a.outstanding.remove(&tag));
                if let Some(Outstanding::Push(..)) = what
                    && let Some(account) = self.p2p.get_mut(&id)
                {
                    account.push_done(peer);
                }
                if let Some(Outstanding::Manifest(file)) = what {
                    self.on_manifest(&id, file, response);
                    return;
                }
                if let (
                    Some(Outstanding::Fetch { conversation }),
                    Response::Commits { commits, more },
                ) = (what, response)
                {
                    if let Some(account) = self.p2p.get_mut(&id) {
                        account.fetching.remove(&(peer, conversation));
                    }
                    let from = self.p2p.get(&id).and_then(|a| a.online.get(&peer).cloned());
                    let verified = verify_all(commits, &mut self.p2p_rejected);
                    let gaps = self.apply_commits(&id, verified, from.as_ref());
                    if more || gaps.contains(&conversation) {
                        self.fetch(&id, peer, conversation);
                    }
                }
            }
            NetworkEvent::SendFailed { tag, peer, error } => {
                tracing::debug!(%peer, %error, "P2P request failed");
                if let Some(account) = self.p2p.get_mut(&id) {
                    match account.outstanding.remove(&tag) {
                        Some(Outstanding::Fetch { conversation }) => {
                            account.fetching.remove(&(peer, conversation));
                        }
                        Some(Outstanding::Manifest(file)) => {
                            self.on_manifest_failed(&id, file);
                        }
                        Some(Outstanding::Push(member, commits)) => {
                            // The device is gone (its connection had not yet timed out): the
                            // account gets these through its inbox unless another of its
                            // devices is still here.
                            let was_online = account.online.remove(&peer).is_some();
                            account.pushes_in_flight.remove(&peer);
                            if was_online && member != id && account.offline(&member) {
                                self.events.emit(Event::ContactPresence {
                                    account: id.clone(),
                                    uri: member.0.clone(),
                                    online: Some(false),
                                });
                            }
                            let mut lost = commits;
                            lost.extend(
                                account
                                    .outbox
                                    .remove(&peer)
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|(_, commit)| commit),
                            );
                            if account.offline(&member) {
                                account.undelivered.entry(member).or_default().extend(lost);
                            }
                        }
                        _ => {}
                    }
                }
            }
            NetworkEvent::Records { tag, values } => {
                let what = self
                    .p2p
                    .get_mut(&id)
                    .and_then(|a| a.outstanding.remove(&tag));
                match what {
                    Some(Outstanding::Lookup(target)) => self.on_device_list(&id, &target, &values),
                    Some(Outstanding::Inbox) => self.on_inbox(&id, &values),
                    Some(Outstanding::Name(request, name, query)) => {
                        self.on_name_records(&id, request, &name, query, &values);
                    }
                    _ => {}
                }
            }
        }
    }

    fn on_peer_verified(
        &mut self,
        id: &AccountId,
        peer: PeerId,
        peer_account: AccountId,
        certificate: DeviceCertificate,
        address: Option<Multiaddr>,
    ) {
        let blocked = self
            .store
            .contact_state(id, &peer_account.0)
            .ok()
            .flatten()
            .as_deref()
            == Some("blocked");
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if blocked {
            return;
        }
        if account.revoked.contains(&certificate.device_id) {
            // A revoked device of ours comes back: tell it, and nothing else.
            if &peer_account == id
                && let Some(record) = self.device_list_value(id)
                && let Some(account) = self.p2p.get_mut(id)
            {
                account.send(peer, Request::DeviceList { record }, Outstanding::Plain);
            }
            return;
        }
        let own_device = &peer_account == id;
        if !own_device && account.offline(&peer_account) {
            self.events.emit(Event::ContactPresence {
                account: id.clone(),
                uri: peer_account.0.clone(),
                online: Some(true),
            });
        }
        account.online.insert(peer, peer_account.clone());
        if let Some(public) = public_key_of(&certificate) {
            account.public_keys.insert(peer_account.clone(), public);
        }
        // What waited for this account's inbox goes directly now.
        if let Some(commits) = account.undelivered.remove(&peer_account) {
            for chunk in commits.chunks(MAX_COMMITS_PER_MESSAGE) {
                account.send(
                    peer,
                    Request::Push {
                        commits: chunk.to_vec(),
                    },
                    Outstanding::Plain,
                );
            }
        }
        let addresses: Vec<Multiaddr> = address.into_iter().collect();
        account
            .devices
            .entry(peer_account.clone())
            .or_default()
            .insert(peer, addresses.clone());
        let shared = account.shared_with(&peer_account);
        let heads: Vec<(CommitId, Vec<CommitId>)> = shared
            .iter()
            .filter_map(|root| account.conversations.get(root).map(|c| (*root, c.heads())))
            .collect();
        for (conversation, heads) in heads {
            account.send(
                peer,
                Request::Heads {
                    conversation,
                    heads,
                },
                Outstanding::Plain,
            );
        }
        let has_revocations = !account.revoked.is_empty();
        if has_revocations
            && let Some(record) = self.device_list_value(id)
            && let Some(account) = self.p2p.get_mut(id)
        {
            account.send(peer, Request::DeviceList { record }, Outstanding::Plain);
        }
        let remembered = PeerDevice {
            peer_account: peer_account.clone(),
            device_id: peer.to_base58(),
            certificate: serde_json::to_string(&certificate).unwrap_or_default(),
            addresses: serde_json::to_string(
                &addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default(),
        };
        if let Err(err) = self.store.upsert_peer_device(id, &remembered) {
            tracing::warn!(%err, "cannot remember a peer device");
        }
        if own_device {
            // Another device of this account: listed with ours (and in our device list).
            self.adopt_own_device(id, &certificate);
        }
        if self
            .store
            .contact_state(id, &peer_account.0)
            .ok()
            .flatten()
            .as_deref()
            == Some("requested")
        {
            self.offer_contact_request(id, &peer_account);
        }
        self.pump_downloads(id, Some(peer));
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
pub fn parse_account_id(text: &str) -> Result<AccountId, String> {
    let text = text.trim().to_ascii_lowercase();
    if text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(AccountId(text))
    } else {
        Err(format!("{text:?} is not a P2P account id (40 hex digits)"))
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

fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// Events from every account's network, tagged with the account.
pub(super) type P2pEvents = mpsc::UnboundedSender<(AccountId, NetworkEvent)>;
