//! What an account's network reports: listening, peers verified and gone, requests,
//! answers and failures, file streams, DHT records.

use libp2p::{Multiaddr, PeerId};

use super::*;
use crate::model::AccountId;
use crate::model::RegistrationState;
use crate::p2p::DeviceCertificate;
use crate::p2p::network::{NetworkCommand, NetworkEvent};
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request, Response};
use crate::store::PeerDevice;

impl EngineCore {
    /// Something happened on an account's network.
    pub(in crate::engine) fn on_network_event(&mut self, id: AccountId, event: NetworkEvent) {
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
                    account.publishing.listening_on(address);
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
                    account.calls.device_gone(&peer);
                    let waiting = account.outbox.device_gone(peer);
                    if let Some(member) = member
                        && !waiting.is_empty()
                    {
                        account.mailbox.hold(member, waiting);
                    }
                    account.asked.device_gone(peer);
                    account.forget_downloads_from(peer);
                }
                self.forget_calls_elsewhere(&id, peer);
            }
            NetworkEvent::ChunkRequest {
                peer,
                account: from,
                request,
                stream,
            } => self.on_chunk_request(&id, peer, &from, request, stream),
            NetworkEvent::PeerPath { peer, relayed } => self.on_peer_path(&id, peer, relayed),
            NetworkEvent::CallStream {
                peer,
                account: from,
                media,
                stream,
            } => self.on_call_stream(&id, peer, from, media, stream),
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
                let what = self.p2p.get_mut(&id).and_then(|a| a.asked.answered(tag));
                if let Some(Outstanding::Push(..)) = what
                    && let Some(account) = self.p2p.get_mut(&id)
                {
                    account.push_done(peer);
                }
                if let Some(Outstanding::Manifest(file)) = what {
                    self.on_manifest(&id, file, response);
                    return;
                }
                if let Some(Outstanding::Picture { peer, hash }) = what {
                    self.on_picture(&id, &peer, hash, response);
                    return;
                }
                if let Some(Outstanding::OwnPicture { hash, set_ms }) = what {
                    self.on_own_picture(&id, &hash, set_ms, response);
                    return;
                }
                if let (
                    Some(Outstanding::Fetch { conversation }),
                    Response::Commits { commits, more },
                ) = (what, response)
                {
                    if let Some(account) = self.p2p.get_mut(&id) {
                        account.asked.fetch_done(peer, conversation);
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
                    match account.asked.answered(tag) {
                        Some(Outstanding::Fetch { conversation }) => {
                            account.asked.fetch_done(peer, conversation);
                            account.resync_later(peer, conversation);
                        }
                        Some(Outstanding::Heads(conversation)) => {
                            account.resync_later(peer, conversation);
                        }
                        Some(Outstanding::DeviceList { retried: false })
                            if account.online.contains_key(&peer) =>
                        {
                            // Most likely a stale connection of a device that restarted:
                            // once more, over the connection it has now.
                            self.send_device_list(&id, peer, true);
                        }
                        Some(Outstanding::Manifest(file)) => {
                            self.on_manifest_failed(&id, file);
                        }
                        Some(Outstanding::Push(member, commits)) => {
                            // The device is gone (its connection had not yet timed out): the
                            // account gets these through its inbox unless another of its
                            // devices is still here.
                            let was_online = account.online.remove(&peer).is_some();
                            if was_online && member != id && account.offline(&member) {
                                self.events.emit(Event::ContactPresence {
                                    account: id.clone(),
                                    uri: member.0.clone(),
                                    online: Some(false),
                                });
                            }
                            let mut lost = commits;
                            lost.extend(account.outbox.device_gone(peer));
                            if account.offline(&member) {
                                account.mailbox.hold(member, lost);
                            }
                        }
                        _ => {}
                    }
                }
            }
            NetworkEvent::Records { tag, values } => {
                let what = self.p2p.get_mut(&id).and_then(|a| a.asked.answered(tag));
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

    pub(super) fn on_peer_verified(
        &mut self,
        id: &AccountId,
        peer: PeerId,
        peer_account: AccountId,
        certificate: DeviceCertificate,
        address: Option<Multiaddr>,
    ) {
        let blocked = &peer_account != id
            && super::contacts::shut_out(&self.store.contact_state(id, &peer_account.0));
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if blocked {
            return;
        }
        if account.revoked.contains(&certificate.device_id) {
            self.p2p_revoked_refused += 1;
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
        if let Some(commits) = account.mailbox.take_held(&peer_account) {
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
        for conversation in account.shared_with(&peer_account) {
            account.send_heads(peer, conversation);
        }
        // Our list tells revocations, our name and picture (our profile), and to our own
        // devices which picture is the newest.
        self.send_device_list(id, peer, false);
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
            // Another device of this account: listed with ours (and in our device list),
            // and told of the calls this one is in.
            self.adopt_own_device(id, &certificate);
            self.tell_device_of_calls(id, peer);
        }
        self.ring_waiting_calls(id, &peer_account);
        if self.store.contact_state(id, &peer_account.0).ok().flatten()
            == Some(crate::model::ContactState::Requested)
        {
            self.offer_contact_request(id, &peer_account);
        }
        self.pump_downloads(id, Some(peer));
    }
}
