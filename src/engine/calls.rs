//! Calls and SIP messages in the engine: starting each SIP account's driver, turning
//! driver events into engine events, call-history rows and stored messages, and the call
//! commands.

use std::time::SystemTime;

use super::failure::Failure;
use super::{EngineCore, Event, RequestId};
use crate::model::{
    AccountDetails, AccountId, CallId, CallState, ConversationId, ConversationInfo,
    RegistrationState,
};
use crate::sip::ua::EndReason;
use crate::store::{CallRecord, MessageRecord, SecretName};
use crate::transport::sip_account::{self, DriverCommand, DriverEvent, DriverReport, SessionEvent};

/// A call the engine knows.
#[derive(Debug, Clone)]
pub(super) struct CallRow {
    pub(super) account: AccountId,
    peer: String,
    outgoing: bool,
    started_at_ms: i64,
    connected_at_ms: Option<i64>,
    /// The last recording of the call.
    pub(super) recording: Option<String>,
    /// A P2P call's device, once its media is set up.
    pub(super) device: Option<libp2p::PeerId>,
    /// A P2P call's UDP pair (local, remote) while its media runs there.
    pub(super) route: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
}

pub(super) fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

impl EngineCore {
    /// Starts the driver of every enabled SIP account.
    pub(super) fn start_sip_accounts(&mut self) {
        let ids: Vec<AccountId> = self.accounts.keys().cloned().collect();
        for id in ids {
            self.start_sip_account(&id);
        }
    }

    /// Starts (or restarts) one account's driver if it is an enabled SIP account that has
    /// a listen address or a server, and reports the outcome as its registration state.
    pub(super) fn start_sip_account(&mut self, id: &AccountId) {
        // A P2P account's call driver runs with its network.
        if self.is_p2p(id) {
            return;
        }
        self.drivers.stop_and_wait(id);
        let Some(info) = self.accounts.get(id) else {
            return;
        };
        let AccountDetails::Sip(config) = &info.details else {
            return;
        };
        if !info.enabled {
            if info.registration != RegistrationState::Offline {
                self.set_registration(id, RegistrationState::Offline);
            }
            return;
        }
        let config = config.clone();
        let password = match self.store.secret(&id.0, SecretName::SipPassword) {
            Ok(password) => password.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
            Err(err) => {
                self.fail(None, format!("cannot read the password of {id}: {err}"));
                None
            }
        };
        let watch = self.contact_uris(id);
        let state = self.drivers.start_sip(id, &config, password, watch);
        self.set_registration(id, state);
    }

    pub(super) fn set_registration(&mut self, id: &AccountId, state: RegistrationState) {
        if let Some(info) = self.accounts.get_mut(id) {
            info.registration = state;
            let account = info.clone();
            self.events.emit(Event::AccountChanged { account });
        }
    }

    pub(super) fn driver(&self, account: &AccountId) -> Result<&sip_account::SipDriver, Failure> {
        self.drivers
            .get(account)
            // Every running account has a call driver (a P2P one runs SIP over its streams).
            .ok_or_else(|| match self.accounts.contains_key(account) {
                false => Failure::NoAccount(account.clone()),
                true => Failure::Offline(account.clone()),
            })
    }

    pub(super) fn place_call(
        &mut self,
        request: RequestId,
        account: &AccountId,
        uri: &str,
    ) -> Result<(), Failure> {
        let uri = uri.trim();
        if self.is_p2p(account) {
            return self.place_p2p_call(request, account, uri);
        }
        crate::sip::SipUri::parse(uri).map_err(|err| format!("{uri}: {err}"))?;
        let call = self.new_call_id();
        let driver = self.driver(account)?;
        driver.send(DriverCommand::Invite {
            call,
            uri: uri.to_owned(),
        });
        self.add_call(Some(request), call, account, uri.to_owned(), true);
        Ok(())
    }

    /// Who a call is with, from its peer's URI: the URI itself on a SIP account; on a P2P
    /// account the device's URI (`sip:ACCOUNT@PEER`) names the contact, its account.
    fn call_peer(&self, account: &AccountId, uri: String) -> String {
        if !self.is_p2p(account) {
            return uri;
        }
        crate::sip::SipUri::parse(&uri)
            .ok()
            .and_then(|parsed| parsed.user)
            .unwrap_or(uri)
    }

    /// A fresh engine call id (the drivers number incoming calls from the same counter).
    pub(super) fn new_call_id(&self) -> CallId {
        self.calls.next_id()
    }

    pub(super) fn add_call(
        &mut self,
        request: Option<RequestId>,
        call: CallId,
        account: &AccountId,
        peer: String,
        outgoing: bool,
    ) {
        self.calls.insert(
            call,
            CallRow {
                account: account.clone(),
                peer: peer.clone(),
                outgoing,
                started_at_ms: unix_ms(),
                connected_at_ms: None,
                recording: None,
                device: None,
                route: None,
            },
        );
        self.events.emit(Event::CallAdded {
            request,
            call,
            account: account.clone(),
            peer,
            state: if outgoing {
                CallState::Outgoing
            } else {
                CallState::Incoming
            },
        });
    }

    pub(super) fn call_command(
        &mut self,
        call: CallId,
        command: DriverCommand,
    ) -> Result<(), Failure> {
        let row = self
            .calls
            .get(call)
            .ok_or_else(|| format!("no call {}", call.0))?;
        if let DriverCommand::AttendedTransfer { other, .. } = &command {
            let other_row = self
                .calls
                .get(*other)
                .ok_or_else(|| format!("no call {}", other.0))?;
            if other_row.account != row.account {
                return Err(Failure::TransferAcrossAccounts);
            }
        }
        self.driver(&row.account)?.send(command);
        Ok(())
    }

    pub(super) fn send_message(
        &mut self,
        request: RequestId,
        account: &AccountId,
        uri: &str,
        text: &str,
    ) -> Result<(), Failure> {
        if self.is_p2p(account) {
            return self.send_p2p_message(request, account, uri, text);
        }
        let uri = uri.trim();
        crate::sip::SipUri::parse(uri).map_err(|err| format!("{uri}: {err}"))?;
        if text.len() > crate::sip::ua::MAX_MESSAGE_BODY {
            return Err(Failure::TextTooLong {
                bytes: text.len(),
                max: crate::sip::ua::MAX_MESSAGE_BODY,
            });
        }
        self.driver(account)?.send(DriverCommand::Message {
            id: request.0,
            uri: uri.to_owned(),
            text: text.to_owned(),
        });
        self.store_message(account, uri, text, true);
        Ok(())
    }

    /// The messages of `peer` in the account's conversation are read: a P2P conversation
    /// tells their authors; a SIP one only remembers it.
    pub(super) fn mark_read(&mut self, account: &AccountId, peer: &str) -> Result<usize, Failure> {
        if self.p2p.contains_key(account) {
            return self.mark_p2p_read(account, peer);
        }
        if !self.accounts.contains_key(account) {
            return Err(Failure::NoAccount(account.clone()));
        }
        let conversation = ConversationId::sip(account, peer);
        Ok(self.store.mark_sip_read(&conversation.0)?)
    }

    /// Stores a message in the account's conversation with `peer` (by its address of
    /// record, however it was spelt) and reports it.
    fn store_message(&mut self, account: &AccountId, peer: &str, text: &str, outgoing: bool) {
        let peer = &crate::sip::uri::address_of_record(peer);
        let conversation = ConversationId::sip(account, peer);
        let sent_at = unix_ms();
        let author = if outgoing {
            self.accounts
                .get(account)
                .and_then(|info| match &info.details {
                    AccountDetails::Sip(config) => Some(config.aor.clone()),
                    AccountDetails::P2p { .. } => None,
                })
                .unwrap_or_default()
        } else {
            peer.to_owned()
        };
        let stored = self.store.atomically(|store| {
            store.ensure_conversation(
                &conversation.0,
                account,
                "sip",
                peer,
                Some(peer),
                sent_at,
            )?;
            store.insert_message(&MessageRecord {
                conversation_id: conversation.0.clone(),
                commit_id: None,
                author,
                body: text.to_owned(),
                sent_at,
                outgoing,
                ..MessageRecord::default()
            })
        });
        if let Err(err) = stored {
            self.fail(None, err.to_string());
            return;
        }
        self.events.emit(Event::MessageAdded {
            conversation: ConversationInfo {
                id: conversation,
                account: account.clone(),
                title: peer.to_owned(),
                last_message: Some(text.to_owned()),
                peer: Some(peer.to_owned()),
                last_activity_ms: sent_at,
                unread: 0,
            },
            peer: peer.to_owned(),
            text: text.to_owned(),
            outgoing,
            sent_at_ms: sent_at,
            commit: None,
        });
    }

    pub(super) fn on_driver_event(&mut self, report: DriverReport) {
        let DriverReport { account, event, at } = report;
        let at_ms = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        match event {
            DriverEvent::Media {
                call,
                sockets,
                params,
            } => self.on_media_agreed(call, sockets, params),
            DriverEvent::Device { call, device } => self.on_call_device(call, device),
            DriverEvent::Route { call, route } => self.on_call_route(call, route),
            DriverEvent::Session(event) => self.on_session_event(account, event, at_ms),
        }
    }

    fn on_session_event(&mut self, account: AccountId, event: SessionEvent, at_ms: i64) {
        match event {
            // A P2P account is online with its network, not with its call driver.
            SessionEvent::Registration(_) if self.is_p2p(&account) => {}
            SessionEvent::Registration(state) => self.set_registration(&account, state),
            SessionEvent::Incoming {
                call,
                from,
                replaces,
            } => {
                // The caller's URI; the raw header when it does not parse. On a P2P
                // account, the caller's account (its driver vouches for the device).
                let peer = match crate::sip::NameAddr::parse(&from) {
                    Ok(address) => self.call_peer(&account, address.uri),
                    Err(_) => from,
                };
                self.add_call(None, call, &account, peer, false);
                if let Some(row) = self.calls.get_mut(call) {
                    row.started_at_ms = at_ms;
                }
                let auto_answer = self
                    .accounts
                    .get(&account)
                    .is_some_and(|info| info.details.auto_answer());
                // The driver answers by itself a call that replaces another, and every
                // call on an auto-answer account.
                if !auto_answer && replaces.is_none() {
                    self.start_ringing(call);
                }
            }
            SessionEvent::Outgoing {
                call,
                peer,
                transfer_of,
            } => {
                tracing::info!(call = call.0, from = transfer_of.0, %peer, "transferred by the peer");
                let peer = self.call_peer(&account, peer);
                self.add_call(None, call, &account, peer, true);
            }
            SessionEvent::Ringing(_) => {}
            SessionEvent::Connected(call) => {
                self.stop_ringing(call);
                if let Some(row) = self.calls.get_mut(call) {
                    let first = row.connected_at_ms.is_none();
                    row.connected_at_ms = Some(at_ms);
                    let peer = row.peer.clone();
                    self.events.emit(Event::CallChanged {
                        call,
                        state: CallState::Active,
                    });
                    // Our other devices show that this one is in the call.
                    if first && self.is_p2p(&account) {
                        self.tell_own_devices_of_call(&account, &peer, true);
                    }
                }
            }
            SessionEvent::Hold {
                call,
                local,
                remote,
            } => {
                if self.calls.contains(call) {
                    self.events.emit(Event::CallChanged {
                        call,
                        state: if local {
                            CallState::Held
                        } else {
                            CallState::Active
                        },
                    });
                    self.events.emit(Event::CallHold {
                        call,
                        local,
                        remote,
                    });
                }
            }
            SessionEvent::Dtmf { call, digit } => self.events.emit(Event::Dtmf { call, digit }),
            SessionEvent::Transfer { call, code } => {
                self.events.emit(Event::TransferProgress { call, code });
            }
            SessionEvent::Ended(call, reason) => self.end_call(call, reason, at_ms),
            SessionEvent::MessageReceived { from, text } => {
                self.store_message(&account, &from, &text, false);
            }
            SessionEvent::MessageSent { id, code, error } => {
                let request = RequestId(id);
                if (200..300).contains(&code) {
                    self.events.emit(Event::MessageDelivery { request, code });
                } else {
                    let error =
                        error.unwrap_or_else(|| format!("the message was not delivered ({code})"));
                    self.fail(Some(request), error);
                }
            }
            SessionEvent::Presence { uri, open } => self.events.emit(Event::ContactPresence {
                account,
                uri,
                online: open,
            }),
            SessionEvent::Voicemail { new, old } => {
                self.events.emit(Event::Voicemail { account, new, old });
            }
            SessionEvent::PublicAddress(address) => {
                self.events.emit(Event::PublicAddress {
                    account,
                    address: address.to_string(),
                });
            }
            SessionEvent::Failed(error) => self.fail(None, error),
        }
    }

    /// The URIs of an account's contacts, to watch their presence.
    fn contact_uris(&self, account: &AccountId) -> Vec<String> {
        match self.store.contacts() {
            Ok(contacts) => contacts
                .into_iter()
                .filter(|contact| contact.account == *account)
                .map(|contact| contact.uri)
                .collect(),
            Err(err) => {
                self.fail(None, err.to_string());
                Vec::new()
            }
        }
    }

    fn end_call(&mut self, call: CallId, reason: EndReason, now: i64) {
        let p2p = self
            .calls
            .get(call)
            .is_some_and(|row| self.is_p2p(&row.account));
        let reason = match reason {
            // No stream to any device of the contact could be opened.
            EndReason::Unreachable if p2p => "offline".to_owned(),
            // A device of the contact declined: the call was refused everywhere.
            EndReason::Rejected(603) if p2p => "declined".to_owned(),
            EndReason::LocalHangup => "hangup".to_owned(),
            EndReason::RemoteHangup => "remote-hangup".to_owned(),
            EndReason::Cancelled => "cancelled".to_owned(),
            EndReason::AnsweredElsewhere => "answered-elsewhere".to_owned(),
            EndReason::Rejected(code) => format!("rejected-{code}"),
            EndReason::Timeout => "timeout".to_owned(),
            EndReason::Replaced => "replaced".to_owned(),
            EndReason::Unreachable => "unreachable".to_owned(),
            EndReason::NoMedia(_) => "no-media".to_owned(),
            EndReason::ConnectionLost => "connection-lost".to_owned(),
        };
        self.finish_call(call, reason, now);
    }

    /// A call that never reached a driver ends at once (a P2P contact with no device
    /// online: `reason` "offline").
    pub(super) fn end_call_now(&mut self, call: CallId, reason: &str) {
        self.finish_call(call, reason.to_owned(), unix_ms());
    }

    /// The other side of each of the account's calls that is up.
    pub(super) fn peers_in_calls(&self, account: &AccountId) -> Vec<String> {
        self.calls
            .rows()
            .filter(|row| &row.account == account && row.connected_at_ms.is_some())
            .map(|row| row.peer.clone())
            .collect()
    }

    /// Records and reports a call's end.
    fn finish_call(&mut self, call: CallId, reason: String, now: i64) {
        self.stop_ringing(call);
        self.stop_media(call);
        let Some(row) = self.calls.remove(call) else {
            return;
        };
        if row.outgoing && self.is_p2p(&row.account) {
            let answered_for = row.connected_at_ms.map(|at| now - at);
            self.log_p2p_call(&row.account, &row.peer, answered_for, &reason);
        }
        self.forget_group_leg(&row.account, call);
        if row.connected_at_ms.is_some() && self.is_p2p(&row.account) {
            self.tell_own_devices_of_call(&row.account, &row.peer, false);
        }
        let record = CallRecord {
            account_id: row.account,
            peer: row.peer,
            outgoing: row.outgoing,
            started_at: row.started_at_ms,
            duration_ms: row.connected_at_ms.map_or(0, |at| now - at),
            end_reason: reason.clone(),
            recording: row.recording,
        };
        if let Err(err) = self.store.insert_call(&record) {
            self.fail(None, err.to_string());
        }
        self.events.emit(Event::CallEnded { call, reason });
    }
}
