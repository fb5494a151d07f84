//! Calls inside the core: what it keeps per call, and the engine's commands on calls.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::Rng as _;

use super::{Output, Routed, SessionCommand, SessionCore, SessionEvent};
use crate::model::CallId;
use crate::sdp::Direction;
use crate::sip::ua::{CallHandle, EndReason};

/// Attempts at a re-INVITE that meets glare (491) before the change is given up.
const GLARE_ATTEMPTS: u8 = 3;

/// What the core keeps per call.
#[derive(Debug, Default)]
pub(super) struct CallSlot {
    pub(super) handle: Option<CallHandle>,
    /// The Request-URI of a call we place (before its INVITE goes out).
    pub(super) uri: String,
    /// The Replaces value of a call placed for an attended transfer.
    pub(super) replaces_value: Option<String>,
    /// Where the INVITE goes, once routed.
    pub(super) destination: Option<SocketAddr>,
    /// Our RTP port, once bound.
    pub(super) port: Option<u16>,
    /// The user answered before the port was bound.
    pub(super) answer_wanted: bool,
    /// We placed the call, so we own its Call-ID (RFC 3261 §14.1's glare timers).
    pub(super) outgoing: bool,
    /// The peer's offer, until we answer.
    pub(super) offer: Option<String>,
    /// SDP `o=` version: each new offer or answer of ours counts up (RFC 3264 §8).
    pub(super) sdp_version: u64,
    pub(super) held_locally: bool,
    pub(super) held_remotely: bool,
    /// Hold state before the re-INVITE in flight, to go back to if it is refused.
    pub(super) hold_before: Option<bool>,
    /// A re-INVITE that met glare goes again at this time.
    pub(super) reoffer_retry_at: Option<Instant>,
    pub(super) glare_attempts: u8,
    /// Media started: later agreements are updates.
    pub(super) media_started: bool,
    /// A transfer the peer of this other call asked for: we report to it by NOTIFY.
    pub(super) transfer_of: Option<CallHandle>,
    /// The call this one replaces (attended transfer, incoming).
    pub(super) replaces: Option<CallHandle>,
    /// The SRTP key and direction of our last offer, to read its answer with.
    pub(super) offered: Option<(String, Direction)>,
    /// Why we end the call ourselves, when it is not the user's hang-up.
    pub(super) end_reason: Option<EndReason>,
    /// The user hung up: a 2xx that crosses our CANCEL gets a BYE at once.
    pub(super) hanging_up: bool,
    /// A call forked to several devices: one leg each (`handle` is the winner's).
    pub(super) legs: Vec<super::forks::Leg>,
    /// The offer every leg of a forked call carries.
    pub(super) leg_offer: Option<String>,
}

impl SessionCore {
    pub(super) fn handle_of(&self, call: CallId) -> Option<CallHandle> {
        self.calls.get(&call).and_then(|slot| slot.handle)
    }

    pub(super) fn call_of(&self, handle: CallHandle) -> Option<CallId> {
        self.by_handle.get(&handle).copied()
    }

    pub(super) fn on_command(&mut self, now: Instant, command: SessionCommand) {
        match command {
            SessionCommand::Invite { call, uri } => self.place(now, call, uri, None, None),
            SessionCommand::Fork { call, uris } => self.place_forked(now, call, uris),
            SessionCommand::Answer(call) => {
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.answer_wanted = true;
                }
                self.answer(now, call);
            }
            SessionCommand::Reject(call, code) => {
                if let Some(handle) = self.handle_of(call) {
                    let reason = if code == 486 { "Busy Here" } else { "Decline" };
                    self.ua.reject(now, handle, code, reason);
                }
            }
            SessionCommand::Hangup(call) => match self.handle_of(call) {
                None if self.cancel_legs(now, call) => {}
                Some(handle) => {
                    if let Some(slot) = self.calls.get_mut(&call) {
                        slot.hanging_up = true;
                    }
                    self.ua.hangup(now, handle);
                }
                // Not sent yet (resolving its destination or binding its port).
                None => self.finish_call(call, EndReason::LocalHangup),
            },
            SessionCommand::Hold(call, hold) => self.hold(now, call, hold),
            SessionCommand::AutoAnswer(on) => self.config.auto_answer = on,
            SessionCommand::Transfer { call, target } => {
                let sent = self
                    .handle_of(call)
                    .is_some_and(|handle| self.ua.refer(now, handle, target.trim()));
                if !sent {
                    self.emit(SessionEvent::Failed(format!(
                        "call {}: cannot transfer",
                        call.0
                    )));
                }
            }
            SessionCommand::AttendedTransfer { call, other } => {
                let target = self
                    .handle_of(other)
                    .and_then(|other| self.ua.replaces_target(other));
                let sent = match (self.handle_of(call), target) {
                    (Some(handle), Some(target)) => self.ua.refer(now, handle, &target),
                    _ => false,
                };
                if !sent {
                    self.emit(SessionEvent::Failed(format!(
                        "call {}: cannot transfer to call {}",
                        call.0, other.0
                    )));
                }
            }
            SessionCommand::Dtmf { call, digits } => {
                let Some(handle) = self.handle_of(call) else {
                    return;
                };
                for digit in digits.chars() {
                    if !self.ua.send_dtmf_info(now, handle, digit) {
                        self.emit(SessionEvent::Failed(format!(
                            "{digit:?} is not a DTMF digit"
                        )));
                    }
                }
            }
            SessionCommand::Message { id, uri, text } => {
                self.route(now, Routed::Message { id, uri, text });
            }
            SessionCommand::Watch { uri } => {
                let watched = self.subscriptions.values().any(|known| *known == uri);
                if !watched {
                    self.watch(now, &uri, "presence");
                }
            }
            SessionCommand::Unwatch { uri } => {
                let ended: Vec<_> = self
                    .subscriptions
                    .iter()
                    .filter(|(_, known)| **known == uri)
                    .map(|(handle, _)| *handle)
                    .collect();
                for handle in ended {
                    self.subscriptions.remove(&handle);
                    self.ua.unsubscribe(now, handle);
                }
            }
            SessionCommand::SetPresence { open, note } => {
                self.ua.set_presence(now, open, &note);
                // Behind a proxy or registrar, the presence server is there too (RFC 3903).
                if !self.publishing
                    && let Some(proxy) = self.proxy
                {
                    self.publishing = true;
                    self.ua.publish_presence(now, proxy);
                }
            }
            SessionCommand::Stop => self.stop(now),
        }
    }

    /// Hangs up every call and removes the binding.
    fn stop(&mut self, now: Instant) {
        self.stopping = true;
        let handles: Vec<CallHandle> = self.by_handle.keys().copied().collect();
        for handle in handles {
            self.ua.hangup(now, handle);
        }
        let unsent: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, slot)| slot.handle.is_none())
            .map(|(call, _)| *call)
            .collect();
        for call in unsent {
            self.finish_call(call, EndReason::LocalHangup);
        }
        self.ua.unregister(now);
    }

    /// Places a call: its RTP port is bound and its destination resolved, then the INVITE
    /// goes out.
    pub(super) fn place(
        &mut self,
        now: Instant,
        call: CallId,
        uri: String,
        replaces: Option<String>,
        transfer_of: Option<CallHandle>,
    ) {
        let slot = self.calls.entry(call).or_default();
        slot.uri = uri;
        slot.replaces_value = replaces;
        slot.outgoing = true;
        slot.transfer_of = transfer_of;
        self.outputs.push_back(Output::BindMedia(call));
        self.route(now, Routed::Invite { call });
    }

    /// Sends a placed call's INVITE once both its port and its destination are known.
    pub(super) fn try_invite(&mut self, now: Instant, call: CallId) {
        let Some(slot) = self.calls.get(&call) else {
            return;
        };
        if !slot.legs.is_empty() {
            self.invite_legs(now, call);
            return;
        }
        let (Some(to), Some(_), None) = (slot.destination, slot.port, slot.handle) else {
            return;
        };
        let (uri, replaces) = (slot.uri.clone(), slot.replaces_value.clone());
        let offer = if self.config.late_offer {
            String::new()
        } else {
            self.offer(call)
        };
        let handle = self.ua.invite(now, to, &uri, &offer, replaces.as_deref());
        if let Some(slot) = self.calls.get_mut(&call) {
            slot.handle = Some(handle);
        }
        self.by_handle.insert(handle, call);
    }

    pub(super) fn on_media_bound(
        &mut self,
        now: Instant,
        call: CallId,
        result: Result<u16, super::BindError>,
    ) {
        let Some(slot) = self.calls.get_mut(&call) else {
            // The call ended while its port was being bound.
            self.outputs.push_back(Output::ReleaseMedia(call));
            return;
        };
        match result {
            Ok(port) => {
                slot.port = Some(port);
                if slot.outgoing {
                    self.try_invite(now, call);
                } else if slot.answer_wanted {
                    self.answer(now, call);
                }
            }
            Err(err) => {
                let error = format!("cannot bind RTP ports: {err}");
                match slot.handle {
                    Some(handle) if !slot.outgoing => {
                        tracing::info!(%error, "refusing call");
                        self.emit(SessionEvent::Failed(format!("call {}: {error}", call.0)));
                        self.ua.reject(now, handle, 500, "Server Internal Error");
                    }
                    _ => self.call_failed(now, call, &error),
                }
            }
        }
    }

    /// A call we place could not be sent: it ends, and a transfer that asked for it hears
    /// of the failure.
    pub(super) fn call_failed(&mut self, now: Instant, call: CallId, error: &str) {
        let Some(slot) = self.calls.get(&call) else {
            return;
        };
        let uri = slot.uri.clone();
        if let Some(transferor) = slot.transfer_of {
            tracing::info!(%error, %uri, "cannot follow REFER");
            self.ua
                .notify_transfer(now, transferor, 503, "Service Unavailable");
        } else {
            self.emit(SessionEvent::Failed(format!("cannot call {uri}: {error}")));
        }
        self.finish_call(call, EndReason::Unreachable);
    }

    /// Forgets a call and tells the engine it ended.
    pub(super) fn finish_call(&mut self, call: CallId, reason: EndReason) {
        if let Some(slot) = self.calls.remove(&call) {
            let legs = slot.legs.iter().filter_map(|leg| leg.handle);
            for handle in slot.handle.into_iter().chain(legs) {
                self.by_handle.remove(&handle);
            }
        }
        self.outputs.push_back(Output::ReleaseMedia(call));
        self.emit(SessionEvent::Ended(call, reason));
    }

    /// Answers a ringing call once its port is bound: our answer to its offer, or our
    /// offer in the 200 when the INVITE had none (RFC 3264 §4, late offer).
    pub(super) fn answer(&mut self, now: Instant, call: CallId) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        let (Some(handle), Some(_)) = (slot.handle, slot.port) else {
            return;
        };
        slot.answer_wanted = false;
        let offer = slot.offer.take();
        let sdp = match offer {
            None => Ok(self.offer(call)),
            Some(offer) => self.answer_sdp(call, &offer),
        };
        match sdp {
            Ok(sdp) => {
                self.ua.answer(now, handle, &sdp);
            }
            Err(err) => {
                tracing::info!(%err, "refusing call: offer not acceptable");
                self.emit(SessionEvent::Failed(format!("call {}: {err}", call.0)));
                self.ua.reject(now, handle, 488, "Not Acceptable Here");
            }
        }
    }

    /// Holds or resumes by re-INVITE; nothing changes if it cannot be sent now.
    fn hold(&mut self, now: Instant, call: CallId, hold: bool) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        if slot.handle.is_none() {
            return;
        }
        let was = slot.held_locally;
        slot.held_locally = hold;
        slot.glare_attempts = 0;
        slot.reoffer_retry_at = None;
        if self.reoffer(now, call) {
            if let Some(slot) = self.calls.get_mut(&call) {
                slot.hold_before.get_or_insert(was);
            }
        } else {
            if let Some(slot) = self.calls.get_mut(&call) {
                slot.held_locally = was;
            }
            self.emit(SessionEvent::Failed(format!(
                "call {}: cannot {} now",
                call.0,
                if hold { "hold" } else { "resume" }
            )));
        }
    }

    /// Sends a re-INVITE with a fresh offer in the call's hold state.
    pub(super) fn reoffer(&mut self, now: Instant, call: CallId) -> bool {
        let Some(handle) = self.handle_of(call) else {
            return false;
        };
        let offer = self.offer(call);
        self.ua.reinvite(now, handle, &offer)
    }

    /// The peer refused our re-INVITE. After glare (491) it goes again after a random
    /// wait, longer for the Call-ID's owner so that the other side's goes first (RFC 3261
    /// §14.1); otherwise the session stays as it was (the old media goes on).
    pub(super) fn reoffer_failed(&mut self, now: Instant, call: CallId, code: u16) {
        let wait_ms = {
            let Some(slot) = self.calls.get(&call) else {
                return;
            };
            if slot.outgoing {
                self.rng.gen_range(2_100..=4_000)
            } else {
                self.rng.gen_range(0..=2_000)
            }
        };
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        if code == 491 && slot.glare_attempts + 1 < GLARE_ATTEMPTS {
            slot.glare_attempts += 1;
            slot.reoffer_retry_at = Some(now + Duration::from_millis(wait_ms));
            return;
        }
        if let Some(before) = slot.hold_before.take() {
            slot.held_locally = before;
        }
        slot.glare_attempts = 0;
        self.emit(SessionEvent::Failed(format!(
            "call {}: the peer refused the change ({code})",
            call.0
        )));
    }

    /// Sends the re-INVITEs whose glare wait is over (again later if one is still busy).
    pub(super) fn retry_reoffers(&mut self, now: Instant) {
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, slot)| slot.reoffer_retry_at.is_some_and(|at| at <= now))
            .map(|(call, _)| *call)
            .collect();
        for call in due {
            if let Some(slot) = self.calls.get_mut(&call) {
                slot.reoffer_retry_at = None;
            }
            if !self.reoffer(now, call) {
                self.reoffer_failed(now, call, 491);
            }
        }
    }
}
