//! A running P2P account: its state (network, keys, conversations, who is online, what
//! is in flight), and starting and stopping it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};

use super::*;
use crate::engine::failure::Failure;
use crate::model::RegistrationState;
use crate::model::{AccountDetails, AccountId};
use crate::p2p::commit::CommitId;
use crate::p2p::commit::SignedCommit;
use crate::p2p::dag::Conversation;
use crate::p2p::network::{Network, NetworkCommand};
use crate::p2p::wire::Request;
use crate::p2p::{AccountKey, DeviceCertificate, DeviceKey};
use crate::store::SecretName;

/// A running P2P account.
pub(in crate::engine) struct P2pAccount {
    pub(super) network: Network,
    pub(super) device: DeviceKey,
    pub(super) account_key: AccountKey,
    pub(super) certificate: DeviceCertificate,
    pub(super) conversations: HashMap<CommitId, Conversation>,
    /// Verified devices connected now, with their account.
    pub(in crate::engine) online: HashMap<PeerId, AccountId>,
    /// Devices known per account, with addresses.
    pub(super) devices: HashMap<AccountId, HashMap<PeerId, Vec<Multiaddr>>>,
    pub(super) revoked: HashSet<String>,
    /// Where this device listens, and when the device list goes out again.
    pub(super) publishing: super::publishing::Publishing,
    /// Requests and record lookups in flight, by tag, and the fetches among them.
    pub(super) asked: super::in_flight::InFlight,
    /// When accounts were last reached out to, and the contact requests each sent.
    pub(super) pacing: super::pacing::Pacing,
    /// Account public keys learnt from certificates and records (to seal letters).
    pub(super) public_keys: HashMap<AccountId, [u8; 32]>,
    /// What waits for accounts away (for their DHT inboxes), and our own inbox's state.
    pub(super) mailbox: super::mailbox::Mailbox,
    /// Commits waiting to be pushed to each online device, and the pushes in flight.
    pub(super) outbox: super::outbox::Outbox,
    /// Files being received, and the manifests and chunks refused on the way.
    pub(super) downloads: downloads::Downloads,
    /// Our files' streams open to devices, and the chunks served (the sender's progress).
    pub(super) serving: super::serving::Serving,
    /// Conversations to exchange heads of again with a device, at the next tick: a heads
    /// exchange or fetch with it failed while it stayed connected.
    pub(super) resync: HashSet<(PeerId, CommitId)>,
    /// DHT keys of the PIN link offers made and not yet withdrawn.
    pub(super) link_offers: Vec<Vec<u8>>,
    /// Its calls: waiting for a device, group legs, elsewhere, relayed devices, counters.
    pub(super) calls: super::call_book::CallBook,
}

impl P2pAccount {
    /// No device of `owner` is connected.
    pub(super) fn offline(&self, owner: &AccountId) -> bool {
        !self.online.values().any(|account| account == owner)
    }

    pub(super) fn send(&mut self, peer: PeerId, request: Request, what: Outstanding) {
        let tag = self.asked.ask(what);
        self.network
            .send(NetworkCommand::Send { peer, request, tag });
    }

    /// Sends what waits for a device, as the outbox batches it.
    pub(super) fn flush_outbox(&mut self, peer: PeerId) {
        while let Some((member, commits)) = self.outbox.next_batch(peer) {
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
    pub(super) fn push_done(&mut self, peer: PeerId) {
        self.outbox.push_done(peer);
        self.flush_outbox(peer);
    }

    /// The device went: whatever was asked of it is asked again when it is back.
    pub(super) fn forget_downloads_from(&mut self, peer: PeerId) {
        self.downloads.forget_requests_to(peer);
    }

    /// Online devices of these accounts, except this one.
    pub(super) fn online_devices_of(&self, accounts: &HashSet<AccountId>) -> Vec<PeerId> {
        self.online
            .iter()
            .filter(|(_, account)| accounts.contains(account))
            .map(|(peer, _)| *peer)
            .collect()
    }

    /// Sends our heads of `conversation` to `peer`: it fetches what it lacks, and answers
    /// with its heads when it holds more.
    pub(super) fn send_heads(&mut self, peer: PeerId, conversation: CommitId) {
        let Some(heads) = self
            .conversations
            .get(&conversation)
            .map(Conversation::heads)
        else {
            return;
        };
        self.send(
            peer,
            Request::Heads {
                conversation,
                heads,
            },
            Outstanding::Heads(conversation),
        );
    }

    /// A heads exchange or fetch with `peer` failed: tried again at the next tick while it
    /// stays connected.
    pub(super) fn resync_later(&mut self, peer: PeerId, conversation: CommitId) {
        if self.online.contains_key(&peer) {
            self.resync.insert((peer, conversation));
        }
    }

    pub(super) fn own_account(&self) -> AccountId {
        self.account_key.account_id()
    }

    /// Conversations an account shares with us (all of them for our own other devices).
    pub(super) fn shared_with(&self, account: &AccountId) -> Vec<CommitId> {
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
    pub(in crate::engine) fn start_p2p_accounts(&mut self) {
        let ids: Vec<AccountId> = self.accounts.keys().cloned().collect();
        for id in ids {
            self.start_p2p_account(&id);
        }
    }

    /// Starts (or stops, when disabled) one P2P account's network.
    pub(in crate::engine) fn start_p2p_account(&mut self, id: &AccountId) {
        let Some(info) = self.accounts.get(id) else {
            return;
        };
        if !matches!(info.details, AccountDetails::P2p { .. }) {
            return;
        }
        let enabled = info.enabled;
        if let Some(running) = self.p2p.remove(id) {
            drop(self.drivers.stop(id));
            drop(running.network.stop());
        }
        if !enabled {
            self.set_registration(id, RegistrationState::Offline);
            return;
        }
        match self.open_p2p_account(id) {
            Ok(account) => {
                self.p2p.insert(id.clone(), account);
                self.start_p2p_calls(id);
                self.set_registration(id, RegistrationState::Trying);
                self.resume_downloads(id);
                self.tell_known_profiles(id);
            }
            Err(error) => self.set_registration(id, RegistrationState::Failed(error.to_string())),
        }
    }

    pub(super) fn open_p2p_account(&mut self, id: &AccountId) -> Result<P2pAccount, Failure> {
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
            publishing: Default::default(),
            asked: Default::default(),
            pacing: Default::default(),
            public_keys,
            mailbox: super::mailbox::Mailbox::default(),
            outbox: Default::default(),
            downloads: Default::default(),
            resync: HashSet::new(),
            serving: Default::default(),
            link_offers: Vec::new(),
            calls: Default::default(),
        })
    }

    pub(super) fn load_conversations(
        &self,
        id: &AccountId,
    ) -> Result<HashMap<CommitId, Conversation>, Failure> {
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
    pub(in crate::engine) async fn stop_all_p2p_accounts(&mut self) {
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
    pub(in crate::engine) fn stop_p2p_account(&mut self, id: &AccountId) {
        if let Some(account) = self.p2p.remove(id) {
            drop(self.drivers.stop(id));
            drop(account.network.stop());
        }
    }
}
