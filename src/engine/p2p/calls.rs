//! Calls between P2P contacts, the engine's half: each running account has a call driver
//! (`transport::sip_account::start_p2p`, SIP over libp2p streams) kept beside the SIP
//! accounts' drivers, so that every call command and event is handled as for SIP. Here:
//! starting it with the network, deciding who may open a call stream to us, and placing a
//! call to a contact's device.

use std::collections::HashSet;
use std::sync::Arc;

use libp2p::PeerId;

use super::*;
use crate::engine::failure::Failure;
use crate::model::{AccountDetails, CallId, ContactState, DtmfMode, MediaPath};
use crate::p2p::commit::{CallLog, CallOutcome};
use crate::transport::p2p_call::{LinkInput, device_uri};
use crate::transport::sip_account::{self, P2pCallConfig};

/// The STUN servers of the bootstrap nodes (`ringlet node` answers STUN on its addresses,
/// port 3478): one per distinct IP address given.
fn stun_servers(bootstrap: &[libp2p::Multiaddr]) -> Vec<std::net::SocketAddr> {
    let mut servers: Vec<std::net::SocketAddr> = bootstrap
        .iter()
        .filter_map(|address| {
            address.iter().find_map(|part| match part {
                libp2p::multiaddr::Protocol::Ip4(ip) => Some(std::net::IpAddr::V4(ip)),
                libp2p::multiaddr::Protocol::Ip6(ip) => Some(std::net::IpAddr::V6(ip)),
                _ => None,
            })
        })
        .map(|ip| std::net::SocketAddr::new(ip, crate::stun::STUN_PORT))
        .collect();
    servers.sort();
    servers.dedup();
    servers
}

/// How long a call to a contact with no device online waits for one before it ends as
/// "offline" (the issue asks for "offline" within 3 s).
const DEVICE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl EngineCore {
    /// Starts the call driver of a P2P account whose network just started.
    pub(super) fn start_p2p_calls(&mut self, id: &AccountId) {
        let Some(account) = self.p2p.get(id) else {
            drop(self.drivers.stop(id));
            return;
        };
        let config = P2pCallConfig {
            account: id.clone(),
            device: account.network.peer_id,
            codecs: crate::sdp::KNOWN_CODECS.to_vec(),
            dtmf: DtmfMode::Rfc4733,
            stun_servers: Arc::clone(account.calls.stun_servers()),
            counters: Arc::clone(account.calls.counters()),
            auto_answer: self
                .accounts
                .get(id)
                .is_some_and(|info| info.details.auto_answer()),
        };
        let streams = account.network.streams();
        self.refresh_stun_servers(id);
        self.drivers.start_p2p(config, streams);
    }

    /// Sets the STUN servers a P2P account's calls ask: the bootstrap nodes' at once, then
    /// with the account's own once a task has looked them up (the loop never waits on a
    /// resolver; a name that does not resolve is left out and said in the log).
    pub(in crate::engine) fn refresh_stun_servers(&self, id: &AccountId) {
        let Some(account) = self.p2p.get(id) else {
            return;
        };
        let shared = Arc::clone(account.calls.stun_servers());
        let bootstrap = stun_servers(&self.p2p_options.bootstrap);
        let named = match self.accounts.get(id).map(|info| &info.details) {
            Some(AccountDetails::P2p { stun, .. }) => stun.clone(),
            _ => Vec::new(),
        };
        if let Ok(mut servers) = shared.write() {
            servers.clone_from(&bootstrap);
        }
        if named.is_empty() {
            return;
        }
        tokio::spawn(async move {
            let mut all = bootstrap;
            for server in named {
                match crate::transport::resolve::resolve(&server, crate::stun::STUN_PORT).await {
                    Ok(address) => all.push(address),
                    Err(error) => tracing::info!(%server, %error, "STUN server left out"),
                }
            }
            all.sort();
            all.dedup();
            if let Ok(mut servers) = shared.write() {
                *servers = all;
            }
        });
    }

    /// May `from` call us (or we call it)? Our own other devices and confirmed contacts
    /// may; a blocked account, a stranger, or one whose state cannot be read may not.
    fn may_call(&self, id: &AccountId, from: &AccountId) -> bool {
        if from == id {
            return true;
        }
        let state = self.store.contact_state(id, &from.0);
        !contacts::shut_out(&state)
            && (matches!(state, Ok(Some(ContactState::Confirmed))) || self.shares_group(id, from))
    }

    /// A verified device opened a call stream: handed to the call driver if its account
    /// may call us, else dropped and counted.
    pub(super) fn on_call_stream(
        &mut self,
        id: &AccountId,
        peer: PeerId,
        from: AccountId,
        media: bool,
        stream: libp2p::Stream,
    ) {
        if !self.may_call(id, &from) {
            tracing::info!(%peer, account = %from, "call stream from an account that may not call refused");
            if let Some(account) = self.p2p.get_mut(id) {
                account.calls.refuse();
            }
            return;
        }
        let input = if media {
            LinkInput::Media { peer, stream }
        } else {
            LinkInput::Sip {
                peer,
                account: from,
                stream,
            }
        };
        if !self.drivers.hand_over(id, input) {
            tracing::info!(%peer, "call stream for an account with no call driver dropped");
        }
    }

    /// `call ACCOUNT CONTACT` on a P2P account: the call forks to every online device of
    /// the contact (the first to answer wins; the others stop ringing, "answered
    /// elsewhere"); with none online it fails at once as "offline", and the contact's
    /// devices are looked for so that a later call finds them.
    pub(in crate::engine) fn place_p2p_call(
        &mut self,
        request: RequestId,
        id: &AccountId,
        contact: &str,
    ) -> Result<(), Failure> {
        // A group's id: each of its members is called.
        if let Some(root) = self.group_of(id, contact) {
            return self.place_group_call(request, id, root);
        }
        let Ok(contact) = parse_account_id(contact.trim()) else {
            // Not an account id: a registered name, looked up first.
            return self.query_name(request, id, contact, NameQuery::Call);
        };
        if !self.may_call(id, &contact) {
            return Err(Failure::NotAContact {
                account: id.clone(),
                contact: contact.0,
            });
        }
        self.call_contact(Some(request), id, &contact).map(drop)
    }

    /// Rings every online device of `contact` (the first answer wins). With none online
    /// the contact is dialled and the call waits up to [`DEVICE_WAIT`] for one (a relay
    /// circuit being renewed, a connection closed while idle); then it ends as "offline".
    /// The new call's id.
    pub(super) fn call_contact(
        &mut self,
        request: Option<RequestId>,
        id: &AccountId,
        contact: &AccountId,
    ) -> Result<CallId, Failure> {
        if !self.drivers.runs(id) {
            return Err(Failure::Offline(id.clone()));
        }
        let call = self.new_call_id();
        let account = self
            .p2p
            .get_mut(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let waiting = account
            .online_devices_of(&HashSet::from([contact.clone()]))
            .is_empty();
        if waiting {
            let deadline = tokio::time::Instant::now() + DEVICE_WAIT;
            account.calls.wait(call, contact.clone(), deadline);
        }
        self.add_call(request, call, id, contact.0.clone(), true);
        if waiting {
            tracing::info!(%contact, "no device of the contact online: dialling it");
            self.reach_out(id, contact, true);
        } else {
            self.ring_devices(id, call, contact);
        }
        Ok(call)
    }

    /// Sends `call`'s INVITE to every online device of `contact`.
    fn ring_devices(&mut self, id: &AccountId, call: CallId, contact: &AccountId) {
        let Some(account) = self.p2p.get(id) else {
            return;
        };
        let mut devices = account.online_devices_of(&HashSet::from([contact.clone()]));
        devices.sort();
        let uris = devices
            .iter()
            .map(|device| device_uri(contact, device))
            .collect();
        self.drivers
            .send(id, sip_account::DriverCommand::Fork { call, uris });
    }

    /// A device of `contact` came online: the calls waiting for one ring now.
    pub(super) fn ring_waiting_calls(&mut self, id: &AccountId, contact: &AccountId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        for call in account.calls.take_waiting_for(contact) {
            self.ring_devices(id, call, contact);
        }
    }

    /// Calls that waited [`DEVICE_WAIT`] for a device end as "offline".
    pub(in crate::engine) fn expire_waiting_calls(&mut self, now: tokio::time::Instant) {
        let expired: Vec<CallId> = self
            .p2p
            .values_mut()
            .flat_map(|account| account.calls.expire(now))
            .collect();
        for call in expired {
            self.end_call_now(call, "offline");
        }
    }

    /// When the first waiting call is due.
    pub(in crate::engine) fn next_call_deadline(&self) -> Option<tokio::time::Instant> {
        self.p2p
            .values()
            .filter_map(|account| account.calls.next_deadline())
            .min()
    }

    /// A call hung up while it waited for a device: it ends, nobody having rung.
    pub(in crate::engine) fn cancel_waiting_call(&mut self, call: CallId) -> bool {
        let mut found = false;
        for account in self.p2p.values_mut() {
            found |= account.calls.cancel(call);
        }
        if found {
            self.end_call_now(call, "cancelled");
        }
        found
    }

    /// A P2P call's media goes to `device`: its path is reported.
    pub(in crate::engine) fn on_call_device(&mut self, call: CallId, device: PeerId) {
        if let Some(row) = self.calls.get_mut(call) {
            row.device = Some(device);
        }
        self.report_call_path(call);
    }

    /// A P2P call's media moved to a UDP pair, or back to its stream: its path is reported.
    pub(in crate::engine) fn on_call_route(
        &mut self,
        call: CallId,
        route: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    ) {
        if let Some(row) = self.calls.get_mut(call) {
            row.route = route;
        }
        self.report_call_path(call);
    }

    /// A device's connections changed: the paths of its calls are reported again.
    pub(super) fn on_peer_path(&mut self, id: &AccountId, peer: PeerId, relayed: bool) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !account.calls.set_relayed(peer, relayed) {
            return;
        }
        let calls: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, row)| row.account == *id && row.device == Some(peer))
            .map(|(call, _)| call)
            .collect();
        for call in calls {
            self.report_call_path(call);
        }
    }

    fn report_call_path(&mut self, call: CallId) {
        let Some((account, device, route)) = self
            .calls
            .get(call)
            .and_then(|row| Some((row.account.clone(), row.device?, row.route)))
        else {
            return;
        };
        let relayed = self
            .p2p
            .get(&account)
            .is_some_and(|account| account.calls.relayed(&device));
        let path = match (route, relayed) {
            (Some(_), _) => MediaPath::UdpDirect,
            (None, true) => MediaPath::StreamRelayed,
            (None, false) => MediaPath::StreamDirect,
        };
        self.events.emit(Event::CallPath {
            call,
            device: device.to_base58(),
            path,
            pair: route.map(|(local, remote)| format!("{local} {remote}")),
        });
    }

    /// A call we placed to a contact is over: it goes into our conversation with the
    /// contact as a commit, so that every device of both accounts shows it (a device that
    /// was away sees its missed call when it comes back).
    pub(in crate::engine) fn log_p2p_call(
        &mut self,
        id: &AccountId,
        contact: &str,
        answered_for_ms: Option<i64>,
        reason: &str,
    ) {
        let outcome = match (answered_for_ms, reason) {
            (Some(_), _) => CallOutcome::Answered,
            (None, "declined") => CallOutcome::Declined,
            (None, _) => CallOutcome::Missed,
        };
        let log = CallLog {
            outcome,
            duration_ms: answered_for_ms.map_or(0, |ms| u64::try_from(ms).unwrap_or(0)),
        };
        let logged = self
            .online_conversation(id, contact)
            .map(|(_, conversation)| conversation)
            .and_then(|conversation| {
                let commit = self.write_commit(id, Some(conversation), CommitBody::Call(log))?;
                self.apply_commits(id, vec![commit.clone()], None);
                self.push(id, conversation, vec![commit.signed]);
                Ok(())
            });
        if let Err(error) = logged {
            tracing::info!(%error, "the call was not written into the conversation");
        }
    }

    /// Where a blind transfer of `call` sends its peer: on a P2P call a contact's id
    /// becomes the URI of one of its online devices; anything else goes as given.
    pub(in crate::engine) fn transfer_target(
        &self,
        call: CallId,
        target: String,
    ) -> Result<String, Failure> {
        let Some(account) = self
            .calls
            .get(call)
            .map(|row| row.account.clone())
            .filter(|account| self.is_p2p(account))
        else {
            return Ok(target);
        };
        if target.contains('@') {
            return Ok(target);
        }
        let contact = AccountId(target.trim().to_owned());
        self.p2p
            .get(&account)
            .and_then(|running| {
                running
                    .online_devices_of(&HashSet::from([contact.clone()]))
                    .into_iter()
                    .min()
            })
            .map(|device| device_uri(&contact, &device))
            .ok_or_else(|| Failure::Said(format!("{contact} has no device online to transfer to")))
    }
}
