//! Contacts of every kind: added (SIP: its presence watched; P2P: a contact request),
//! answered (P2P requests: accept, decline, block) and removed.

use super::failure::Failure;
use super::{Command, EngineCore, Event, RequestId};
use crate::model::{AccountId, ContactId, ContactInfo, ContactState};
use crate::transport::sip_account::DriverCommand;

impl EngineCore {
    /// `AddContact`, `AnswerContact`, `RemoveContact` and `ContactDevices`; other commands
    /// are not handled here.
    pub(super) fn contact_command(&mut self, command: Command) {
        let (request, result) = match command {
            Command::AddContact {
                request,
                account,
                uri,
                name,
            } => (request, self.add_contact(request, &account, &uri, &name)),
            Command::AnswerContact {
                request,
                account,
                peer,
                answer,
            } => match self.answer_p2p_contact(&account, &peer, answer) {
                Ok(contact) => {
                    self.events.emit(Event::ContactAdded {
                        request: Some(request),
                        contact,
                    });
                    (request, Ok(()))
                }
                Err(error) => (request, Err(error)),
            },
            Command::RemoveContact {
                request,
                account,
                uri,
            } => (request, self.remove_contact(request, &account, &uri)),
            Command::ContactDevices {
                request,
                account,
                uri,
            } => match self.contact_devices(&account, &uri) {
                Ok(devices) => {
                    let value = serde_json::json!({ "uri": uri, "devices": devices });
                    self.events.emit(Event::Answer { request, value });
                    (request, Ok(()))
                }
                Err(error) => (request, Err(error)),
            },
            _ => return,
        };
        if let Err(error) = result {
            self.fail(Some(request), error);
        }
    }

    fn add_contact(
        &mut self,
        request: RequestId,
        account: &AccountId,
        uri: &str,
        name: &str,
    ) -> Result<(), Failure> {
        let uri = uri.trim();
        if !self.accounts.contains_key(account) {
            return Err(crate::engine::failure::no_account(account));
        }
        if self.is_p2p(account) {
            return self.add_p2p_contact(request, account, uri, name);
        }
        crate::sip::SipUri::parse(uri).map_err(|err| format!("{uri}: {err}"))?;
        let id = self
            .store
            .upsert_contact(account, uri, name.trim(), super::calls::unix_ms() / 1000)
            .map_err(|err| err.to_string())?;
        self.events.emit(Event::ContactAdded {
            request: Some(request),
            contact: ContactInfo {
                id: ContactId(id),
                account: account.clone(),
                uri: uri.to_owned(),
                display_name: name.trim().to_owned(),
                state: ContactState::Confirmed,
            },
        });
        self.drivers.send(
            account,
            DriverCommand::Watch {
                uri: uri.to_owned(),
            },
        );
        Ok(())
    }

    /// The devices of a P2P contact this account has met (certified, not revoked): peer
    /// id, the name it was certified under, online now. Sorted: online first, then by name.
    fn contact_devices(
        &self,
        account: &AccountId,
        uri: &str,
    ) -> Result<Vec<serde_json::Value>, Failure> {
        let peer = super::parse_account_id(uri)?;
        let p2p = self
            .p2p
            .get(account)
            .ok_or_else(|| crate::engine::failure::offline(account))?;
        let mut devices: Vec<(bool, String, String)> = self
            .store
            .peer_devices(account)
            .map_err(|err| err.to_string())?
            .into_iter()
            .filter(|device| device.peer_account == peer)
            .map(|device| {
                let name =
                    serde_json::from_str::<crate::model::DeviceCertificate>(&device.certificate)
                        .map(|certificate| certificate.device_name)
                        .unwrap_or_default();
                let online = device
                    .device_id
                    .parse::<libp2p::PeerId>()
                    .is_ok_and(|id| p2p.online.get(&id) == Some(&peer));
                (online, name, device.device_id)
            })
            .collect();
        devices.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(devices
            .into_iter()
            .map(|(online, name, id)| serde_json::json!({ "id": id, "name": name, "online": online }))
            .collect())
    }

    /// No longer a contact. SIP: forgotten, and its presence no longer watched. P2P: kept
    /// as declined, so that the conversation's commits (which stay, with their history) do
    /// not make it a contact again and it may not call; adding it again, or a new request
    /// from it, does.
    fn remove_contact(
        &mut self,
        request: RequestId,
        account: &AccountId,
        uri: &str,
    ) -> Result<(), Failure> {
        if !self.accounts.contains_key(account) {
            return Err(crate::engine::failure::no_account(account));
        }
        let known = self
            .store
            .contacts()
            .map_err(|err| err.to_string())?
            .into_iter()
            .any(|contact| contact.account == *account && contact.uri == uri);
        if !known {
            return Err(Failure::NotAContact {
                account: account.clone(),
                contact: uri.to_string(),
            });
        }
        if self.is_p2p(account) {
            let peer = super::parse_account_id(uri)?;
            self.set_contact(account, &peer, None, ContactState::Declined)?;
        } else {
            self.store
                .remove_contact(account, uri)
                .map_err(|err| err.to_string())?;
            self.drivers.send(
                account,
                DriverCommand::Unwatch {
                    uri: uri.to_owned(),
                },
            );
        }
        self.events.emit(Event::ContactRemoved {
            request: Some(request),
            account: account.clone(),
            uri: uri.to_owned(),
        });
        Ok(())
    }
}
