//! Linking a device over the network with a one-time PIN (see `p2p::link`): the offering
//! side leaves the sealed archive in the DHT; the joining side runs a short-lived network
//! of its own (no account, no certificate: it only reads the DHT) until it finds the record.

use std::time::{Duration, Instant};

use rand::rngs::OsRng;

use super::clock;
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event, RequestId, Secret};
use crate::model::AccountId;
use crate::p2p::DeviceKey;
use crate::p2p::link::{self, LINK_TTL};
use crate::p2p::network::{Network, NetworkCommand, NetworkEvent};

/// How long a joining device looks for the record before it gives up.
const LINK_WAIT: Duration = Duration::from_secs(30);

/// How often it asks the DHT again while the record is not found.
const LINK_RETRY: Duration = Duration::from_secs(2);

/// A device looking for the account offered under a PIN.
pub(in crate::engine) struct LinkSession {
    network: Network,
    pin: String,
    key: Vec<u8>,
    device_name: Option<String>,
    request: RequestId,
    started: Instant,
    asked: Option<Instant>,
    /// Records found under the key that did not open (why, for the final error).
    refused: Option<String>,
}

impl EngineCore {
    /// `ctl account link-pin`: a PIN under which the account is offered for [`LINK_TTL`].
    pub(in crate::engine) fn offer_link(
        &mut self,
        account: &AccountId,
    ) -> Result<serde_json::Value, Failure> {
        if !self.p2p.contains_key(account) {
            return Err(Failure::Offline(account.clone()));
        }
        let payload = self.archive_payload(account)?;
        let pin = link::new_pin(&mut OsRng);
        let canonical = link::parse_pin(&pin).map_err(|err| err.to_string())?;
        let key = link::record_key(&canonical).map_err(|err| err.to_string())?;
        let value = link::seal(&canonical, &payload, &mut OsRng).map_err(|err| err.to_string())?;
        let Some(running) = self.p2p.get_mut(account) else {
            return Err(Failure::Offline(account.clone()));
        };
        running.network.send(NetworkCommand::PutExpiring {
            key: key.clone(),
            value,
            ttl: LINK_TTL,
        });
        running.link_offers.push(key);
        tracing::info!(%account, "account offered for linking");
        Ok(serde_json::json!({
            "account": account,
            "pin": pin,
            "expires_in_s": LINK_TTL.as_secs(),
        }))
    }

    /// `ctl account link PIN`: looks for the offered account; answered when found, or
    /// with an error after [`LINK_WAIT`].
    pub(in crate::engine) fn start_link(
        &mut self,
        request: RequestId,
        pin: &Secret,
        device_name: Option<String>,
    ) -> Result<(), Failure> {
        let pin = link::parse_pin(&pin.0).map_err(|err| err.to_string())?;
        let key = link::record_key(&pin).map_err(|err| err.to_string())?;
        let device = DeviceKey::generate();
        let id = AccountId(format!("link-{}", device.peer_id()));
        let network = self.start_network(&id, &device, None)?;
        self.links.insert(
            id.clone(),
            LinkSession {
                network,
                pin,
                key,
                device_name,
                request,
                started: clock(),
                asked: None,
                refused: None,
            },
        );
        self.ask_for_link(&id);
        Ok(())
    }

    fn ask_for_link(&mut self, id: &AccountId) {
        let Some(session) = self.links.get_mut(id) else {
            return;
        };
        session.asked = Some(clock());
        session.network.send(NetworkCommand::GetRecord {
            key: session.key.clone(),
            tag: 0,
        });
    }

    /// Something happened on a link session's network.
    pub(super) fn on_link_event(&mut self, id: &AccountId, event: NetworkEvent) {
        let NetworkEvent::Records { values, .. } = event else {
            return;
        };
        let Some(session) = self.links.get_mut(id) else {
            return;
        };
        // An empty record is the offer withdrawn: a device already joined with this PIN
        // (a copy of the offer some peer still holds does not count).
        if values.iter().any(Vec::is_empty) {
            let Some(session) = self.links.remove(id) else {
                return;
            };
            drop(session.network.stop());
            let error = "this PIN was already used to link a device: make a new one on a \
                         device of the account"
                .to_owned();
            return self.fail(Some(session.request), error);
        }
        let mut found = None;
        for value in &values {
            match link::open(&session.pin, value) {
                Ok(payload) => {
                    found = Some(payload);
                    break;
                }
                Err(err) => {
                    self.p2p_rejected += 1;
                    tracing::info!(%err, "link record refused");
                    session.refused = Some(err.to_string());
                }
            }
        }
        let Some(payload) = found else {
            return;
        };
        let Some(session) = self.links.remove(id) else {
            return;
        };
        drop(session.network.stop());
        let result = self.join_account(payload, "the linked account", session.device_name);
        if let Ok(account) = &result {
            tracing::info!(account = %account.id, "device linked by PIN");
        }
        self.answer_added(session.request, result);
    }

    /// Asks again for records not found yet; gives up after [`LINK_WAIT`].
    pub(super) fn link_tick(&mut self) {
        let ids: Vec<AccountId> = self.links.keys().cloned().collect();
        for id in ids {
            let Some(session) = self.links.get(&id) else {
                continue;
            };
            if session.started.elapsed() >= LINK_WAIT {
                let Some(session) = self.links.remove(&id) else {
                    continue;
                };
                drop(session.network.stop());
                let error = match session.refused {
                    Some(why) => why,
                    None => format!(
                        "no device offered an account under this PIN within {} s: check the PIN, \
                         and that the other device is online and its PIN less than {} minutes old",
                        LINK_WAIT.as_secs(),
                        LINK_TTL.as_secs() / 60
                    ),
                };
                self.fail(Some(session.request), error);
            } else if session
                .asked
                .is_none_or(|asked| asked.elapsed() >= LINK_RETRY)
            {
                self.ask_for_link(&id);
            }
        }
    }

    /// Stops the link sessions still looking (engine shutdown).
    pub(in crate::engine) fn stop_links(&mut self) {
        for (_, session) in self.links.drain() {
            drop(session.network.stop());
        }
    }

    /// A device we did not know joined the account: the PINs offered so far are withdrawn,
    /// so each links one device.
    pub(super) fn withdraw_link_offers(&mut self, id: &AccountId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        for key in account.link_offers.drain(..) {
            tracing::info!(account = %id, "a PIN offer is withdrawn: a device joined");
            account
                .network
                .send(NetworkCommand::Withdraw { key, ttl: LINK_TTL });
        }
    }

    /// Emits the answer to `OfferLink`.
    pub(in crate::engine) fn answer_offer_link(&mut self, request: RequestId, account: &AccountId) {
        match self.offer_link(account) {
            Ok(value) => self.events.emit(Event::Answer { request, value }),
            Err(error) => self.fail(Some(request), error),
        }
    }
}
