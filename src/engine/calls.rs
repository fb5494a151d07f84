//! Calls in the engine: starting each listening SIP account's driver, turning driver events
//! into engine events and call-history rows, and the call commands.

use std::net::SocketAddr;
use std::time::SystemTime;

use super::{EngineCore, Event, RequestId};
use crate::model::{AccountDetails, AccountId, CallId, CallState, RegistrationState};
use crate::sdp::Codec;
use crate::sip::SipUri;
use crate::sip::ua::EndReason;
use crate::store::CallRecord;
use crate::transport::sip_udp::{self, DriverCommand, DriverConfig, DriverEvent};

/// A call the engine knows.
#[derive(Debug, Clone)]
pub(super) struct CallRow {
    account: AccountId,
    peer: String,
    outgoing: bool,
    started_at_ms: i64,
    connected_at_ms: Option<i64>,
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

impl EngineCore {
    /// Starts the driver of every enabled SIP account that has a listen address.
    pub(super) fn start_sip_accounts(&mut self) {
        let ids: Vec<AccountId> = self.accounts.keys().cloned().collect();
        for id in ids {
            self.start_sip_account(&id);
        }
    }

    /// Starts (or restarts) one account's driver if it is an enabled SIP account with a
    /// listen address, and reports the result as its registration state.
    pub(super) fn start_sip_account(&mut self, id: &AccountId) {
        self.stop_sip_account(id);
        let Some(info) = self.accounts.get(id) else {
            return;
        };
        let AccountDetails::Sip(config) = &info.details else {
            return;
        };
        let Some(listen) = config.listen.clone().filter(|_| info.enabled) else {
            return;
        };
        let codecs: Vec<Codec> = if config.codecs.is_empty() {
            crate::sdp::KNOWN_CODECS.to_vec()
        } else {
            config
                .codecs
                .iter()
                .filter_map(|id| Codec::by_id(id).copied())
                .collect()
        };
        let driver_config = DriverConfig {
            account: id.clone(),
            aor: config.aor.clone(),
            codecs,
            srtp: config.srtp,
        };
        let seed = rand::RngCore::next_u64(&mut rand::rngs::OsRng);
        let state = match listen.parse::<SocketAddr>() {
            Err(_) => {
                RegistrationState::Failed(format!("listen address {listen:?} is not IP:PORT"))
            }
            Ok(address) => match sip_udp::start(
                address,
                driver_config,
                seed,
                self.call_ids.clone(),
                self.driver_events.clone(),
            ) {
                Ok(driver) => {
                    tracing::info!(account = %id, local = %driver.local, "SIP account listening");
                    self.sip.insert(id.clone(), driver);
                    RegistrationState::Registered
                }
                Err(err) => RegistrationState::Failed(format!("cannot listen on {listen}: {err}")),
            },
        };
        if let Some(info) = self.accounts.get_mut(id) {
            info.registration = state;
            let account = info.clone();
            self.events.emit(Event::AccountChanged { account });
        }
    }

    /// Stops an account's driver, if running.
    pub(super) fn stop_sip_account(&mut self, id: &AccountId) {
        if let Some(driver) = self.sip.remove(id) {
            driver.send(DriverCommand::Stop);
        }
    }

    pub(super) fn place_call(
        &mut self,
        request: RequestId,
        account: &AccountId,
        uri: &str,
    ) -> Result<(), String> {
        let driver = self
            .sip
            .get(account)
            .ok_or_else(|| format!("account {account} is not a listening SIP account"))?;
        let parsed = SipUri::parse(uri.trim()).map_err(|err| err.to_string())?;
        // Without DNS yet, the host must be an IP literal.
        let host = parsed.host.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = host
            .parse()
            .map_err(|_| format!("{uri}: only IP addresses can be called directly for now"))?;
        let to = SocketAddr::new(ip, parsed.port.unwrap_or(5060));
        let call = CallId(
            self.call_ids
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        driver.send(DriverCommand::Invite {
            call,
            uri: uri.trim().to_owned(),
            to,
        });
        self.calls.insert(
            call,
            CallRow {
                account: account.clone(),
                peer: uri.trim().to_owned(),
                outgoing: true,
                started_at_ms: unix_ms(),
                connected_at_ms: None,
            },
        );
        self.events.emit(Event::CallAdded {
            request: Some(request),
            call,
            account: account.clone(),
            peer: uri.trim().to_owned(),
            state: CallState::Outgoing,
        });
        Ok(())
    }

    pub(super) fn call_command(
        &mut self,
        call: CallId,
        command: DriverCommand,
    ) -> Result<(), String> {
        let row = self
            .calls
            .get(&call)
            .ok_or_else(|| format!("no call {}", call.0))?;
        let driver = self
            .sip
            .get(&row.account)
            .ok_or_else(|| format!("the account of call {} stopped", call.0))?;
        driver.send(command);
        Ok(())
    }

    pub(super) fn on_driver_event(&mut self, account: AccountId, event: DriverEvent) {
        match event {
            DriverEvent::Incoming { call, from } => {
                // The caller's URI; the raw header when it does not parse.
                let peer = crate::sip::NameAddr::parse(&from)
                    .map(|address| address.uri)
                    .unwrap_or(from);
                self.calls.insert(
                    call,
                    CallRow {
                        account: account.clone(),
                        peer: peer.clone(),
                        outgoing: false,
                        started_at_ms: unix_ms(),
                        connected_at_ms: None,
                    },
                );
                self.events.emit(Event::CallAdded {
                    request: None,
                    call,
                    account: account.clone(),
                    peer,
                    state: CallState::Incoming,
                });
                let auto_answer = self
                    .accounts
                    .get(&account)
                    .is_some_and(|info| matches!(&info.details, AccountDetails::Sip(config) if config.auto_answer));
                if auto_answer && let Some(driver) = self.sip.get(&account) {
                    driver.send(DriverCommand::Answer(call));
                }
            }
            DriverEvent::Ringing(_) => {}
            DriverEvent::Connected(call) => {
                if let Some(row) = self.calls.get_mut(&call) {
                    row.connected_at_ms = Some(unix_ms());
                    self.events.emit(Event::CallChanged {
                        call,
                        state: CallState::Active,
                    });
                }
            }
            DriverEvent::Ended(call, reason) => {
                let Some(row) = self.calls.remove(&call) else {
                    return;
                };
                let reason = match reason {
                    EndReason::LocalHangup => "hangup".to_owned(),
                    EndReason::RemoteHangup => "remote-hangup".to_owned(),
                    EndReason::Cancelled => "cancelled".to_owned(),
                    EndReason::Rejected(code) => format!("rejected-{code}"),
                    EndReason::Timeout => "timeout".to_owned(),
                };
                let now = unix_ms();
                let record = CallRecord {
                    account_id: row.account,
                    peer: row.peer,
                    outgoing: row.outgoing,
                    started_at: row.started_at_ms,
                    duration_ms: row.connected_at_ms.map_or(0, |at| now - at),
                    end_reason: reason.clone(),
                    recording: None,
                };
                if let Err(err) = self.store.insert_call(&record) {
                    self.fail(None, err.to_string());
                }
                self.events.emit(Event::CallEnded { call, reason });
            }
        }
    }
}
