//! The account's devices on the network: the signed device list we publish, what we learn
//! from others' lists, and revocation.

use libp2p::{Multiaddr, PeerId};

use super::{Outstanding, PUBLISH_INTERVAL, clock, unix_ms_now};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event};
use crate::model::{AccountId, RegistrationState};
use crate::p2p::DeviceCertificate;
use crate::p2p::identity::hex;
use crate::p2p::network::NetworkCommand;
use crate::p2p::records::{self, DeviceEntry, DeviceList};
use crate::p2p::wire::Request;

/// The longest device name, in characters.
const MAX_DEVICE_NAME_CHARS: usize = 64;

impl EngineCore {
    pub(super) fn publish_devices(&mut self, id: &AccountId, force: bool) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !account
            .publishing
            .take_due(clock(), PUBLISH_INTERVAL, force)
        {
            return;
        }
        let Some(value) = self.device_list_value(id) else {
            return;
        };
        if let Some(account) = self.p2p.get(id) {
            account.network.send(NetworkCommand::PutRecord {
                key: records::device_list_key(id),
                value,
            });
        }
    }

    /// Our device list (devices, this one's addresses, revocations), signed by the account.
    pub(super) fn device_list_value(&self, id: &AccountId) -> Option<Vec<u8>> {
        let rows = self.store.devices(id).ok()?;
        let account = self.p2p.get(id)?;
        let own = account.certificate.device_id.clone();
        let addresses: Vec<String> = account
            .publishing
            .addresses()
            .iter()
            .map(ToString::to_string)
            .collect();
        let (picture, picture_ms) = self.own_picture_listed(id);
        let list = DeviceList {
            account_public: hex(&account.account_key.public()),
            devices: rows
                .iter()
                .filter(|row| !row.revoked)
                .map(|row| DeviceEntry {
                    addresses: if row.certificate.device_id == own {
                        addresses.clone()
                    } else {
                        Vec::new()
                    },
                    certificate: row.certificate.clone(),
                })
                .collect(),
            revoked: rows
                .iter()
                .filter(|row| row.revoked)
                .map(|row| row.certificate.device_id.clone())
                .collect(),
            published_ms: unix_ms_now(),
            name: self
                .accounts
                .get(id)
                .map(|info| info.name.clone())
                .unwrap_or_default(),
            picture,
            picture_ms,
        };
        Some(records::sign_device_list(&account.account_key, &list))
    }

    /// `ctl account revoke`: retires another device of this account. Its commits from now
    /// on are refused here and, once they hear of it, by every other device and contact.
    pub(in crate::engine) fn revoke_device(
        &mut self,
        id: &AccountId,
        device: &str,
    ) -> Result<(), Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        if account.certificate.device_id == device {
            return Err(Failure::RevokeSelf);
        }
        let rows = self.store.devices(id).map_err(|err| err.to_string())?;
        if !rows.iter().any(|row| row.certificate.device_id == device) {
            return Err(Failure::NoDevice {
                account: id.clone(),
                device: device.to_string(),
            });
        }
        self.store
            .revoke_device(id, device)
            .map_err(|err| err.to_string())?;
        self.learn_revocations(id, id, &[device.to_owned()]);
        self.tell_device_list(id);
        if let Ok(info) = self.reload(id) {
            self.accounts.insert(id.clone(), info.clone());
            self.events.emit(Event::AccountChanged { account: info });
        }
        Ok(())
    }

    /// Sends our device list to one device (`retried`: a second time, after a failure).
    pub(super) fn send_device_list(&mut self, id: &AccountId, peer: PeerId, retried: bool) {
        if let Some(record) = self.device_list_value(id)
            && let Some(account) = self.p2p.get_mut(id)
        {
            account.send(
                peer,
                Request::DeviceList { record },
                Outstanding::DeviceList { retried },
            );
        }
    }

    /// Sends our device list to every device connected now and publishes it; others hear
    /// of it from the DHT or at the next meeting.
    pub(in crate::engine) fn tell_device_list(&mut self, id: &AccountId) {
        if let Some(value) = self.device_list_value(id)
            && let Some(account) = self.p2p.get_mut(id)
        {
            account.publishing.changed();
            let peers: Vec<PeerId> = account.online.keys().copied().collect();
            for peer in peers {
                account.send(
                    peer,
                    Request::DeviceList {
                        record: value.clone(),
                    },
                    Outstanding::DeviceList { retried: false },
                );
            }
        }
        self.publish_devices(id, true);
    }

    /// Renames this device: a new certificate from the account key, used in our Hello from
    /// now on and published in the device list; the other devices take it as the newer one.
    pub(in crate::engine) fn rename_device(
        &mut self,
        id: &AccountId,
        name: &str,
    ) -> Result<crate::model::AccountInfo, Failure> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_DEVICE_NAME_CHARS {
            return Err(Failure::BadName {
                max: MAX_DEVICE_NAME_CHARS,
            });
        }
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let peer: PeerId = account
            .certificate
            .device_id
            .parse()
            .map_err(|_| format!("account {id} has a malformed device id"))?;
        let certificate = account
            .account_key
            .certify(&peer, name, std::time::SystemTime::now());
        self.store
            .insert_device(id, &certificate, true)
            .map_err(|err| err.to_string())?;
        if let Some(account) = self.p2p.get_mut(id) {
            account.certificate = certificate.clone();
            account
                .network
                .send(NetworkCommand::SetCertificate(Box::new(certificate)));
        }
        self.tell_device_list(id);
        let info = self.reload(id)?;
        self.accounts.insert(id.clone(), info.clone());
        Ok(info)
    }

    /// Another device of this account, met or listed: recorded when it is new to us or
    /// was renamed since (a newer certificate for the same device, signed by the account).
    pub(super) fn adopt_own_device(&mut self, id: &AccountId, certificate: &DeviceCertificate) {
        let Some(account) = self.p2p.get(id) else {
            return;
        };
        if certificate.device_id == account.certificate.device_id
            || account.revoked.contains(&certificate.device_id)
            || certificate.verify_for(id).is_err()
        {
            return;
        }
        let Ok(rows) = self.store.devices(id) else {
            return;
        };
        let existing = rows
            .iter()
            .find(|row| row.certificate.device_id == certificate.device_id);
        let known = existing.is_some_and(|row| {
            row.certificate.issued_at > certificate.issued_at
                || row.certificate.device_name == certificate.device_name
        });
        if known {
            return;
        }
        if existing.is_none() {
            self.withdraw_link_offers(id);
        }
        if let Err(err) = self.store.insert_device(id, certificate, false) {
            tracing::warn!(%err, "cannot record another device of this account");
        }
        if let Some(account) = self.p2p.get_mut(id) {
            account.publishing.changed();
        }
        if let Ok(info) = self.reload(id) {
            self.accounts.insert(id.clone(), info.clone());
            self.events.emit(Event::AccountChanged { account: info });
        }
    }

    /// The profiles other accounts gave themselves (names and pictures), as known when the
    /// account starts.
    pub(super) fn tell_known_profiles(&mut self, id: &AccountId) {
        match self.store.peer_profiles(id) {
            Ok(profiles) => {
                for profile in profiles {
                    if !profile.name.is_empty() {
                        self.events.emit(Event::PeerProfile {
                            account: id.clone(),
                            peer: profile.peer.clone(),
                            name: profile.name,
                        });
                    }
                    if profile.picture.is_some() {
                        self.events.emit(Event::Picture {
                            account: id.clone(),
                            peer: Some(profile.peer),
                            picture: profile.picture,
                        });
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "peers' profiles not read"),
        }
    }

    /// Revoked devices of `owner` (our own account or a contact's): remembered, refused.
    pub(super) fn learn_revocations(
        &mut self,
        id: &AccountId,
        owner: &AccountId,
        revoked: &[String],
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let own_device = account.certificate.device_id.clone();
        let mut new = Vec::new();
        for device in revoked {
            if account.revoked.insert(device.clone()) {
                new.push(device.clone());
            }
        }
        if new.is_empty() {
            return;
        }
        let mut gone = Vec::new();
        for device in &new {
            if let Ok(peer) = device.parse::<PeerId>() {
                account.online.remove(&peer);
                if let Some(devices) = account.devices.get_mut(owner) {
                    devices.remove(&peer);
                }
                gone.push(peer);
            }
            let stored = if owner == id {
                self.store.revoke_device(id, device)
            } else {
                self.store.revoke_peer_device(id, owner, device)
            };
            if let Err(err) = stored {
                tracing::warn!(%err, "cannot store a revocation");
            }
        }
        if owner == id && new.contains(&own_device) {
            // Another device of the account retired this one: stop speaking for it.
            tracing::warn!(account = %id, "this device was revoked");
            self.stop_p2p_account(id);
            self.set_registration(
                id,
                RegistrationState::Failed(
                    "this device was revoked by another device of the account".into(),
                ),
            );
        }
        // A revoked device keeps no connection to us: it would otherwise stay up (and
        // counted as a peer) until it timed out by itself.
        if let Some(account) = self.p2p.get(id) {
            for peer in gone {
                account.network.send(NetworkCommand::Disconnect(peer));
            }
        }
    }

    pub(super) fn on_device_list(
        &mut self,
        id: &AccountId,
        target: &AccountId,
        values: &[Vec<u8>],
    ) {
        let lists: Vec<DeviceList> = values
            .iter()
            .filter_map(|value| records::open_device_list(target, value).ok())
            .collect();
        // Revocations are for good: every list found counts, not only the newest (a revoked
        // device may still publish its old view).
        let revoked: Vec<String> = lists.iter().flat_map(|list| list.revoked.clone()).collect();
        self.learn_revocations(id, target, &revoked);
        let Some(list) = lists.into_iter().max_by_key(|list| list.published_ms) else {
            return;
        };
        if target == id {
            for entry in &list.devices {
                self.adopt_own_device(id, &entry.certificate);
            }
        }
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if let Some(public) = crate::p2p::identity::public_key_from_hex(&list.account_public) {
            account.public_keys.insert(target.clone(), public);
        }
        let own = account.certificate.device_id.clone();
        for entry in list.devices {
            if entry.certificate.device_id == own
                || list.revoked.contains(&entry.certificate.device_id)
            {
                continue;
            }
            let Ok(peer) = entry.certificate.device_id.parse::<PeerId>() else {
                continue;
            };
            let addresses: Vec<Multiaddr> = entry
                .addresses
                .iter()
                .filter_map(|a| a.parse().ok())
                .collect();
            account
                .devices
                .entry(target.clone())
                .or_default()
                .insert(peer, addresses.clone());
            if !account.online.contains_key(&peer) {
                account
                    .network
                    .send(NetworkCommand::Connect { peer, addresses });
            }
        }
    }
}
