//! What the core does with the UA's events: new calls, answers, re-offers, transfers,
//! messages, registration and subscriptions.

use std::time::Instant;

use super::{Output, SessionCore, SessionEvent};
use crate::model::{CallId, RegistrationState};
use crate::sdp::{self, Direction, SessionDescription};
use crate::sip::ua::{EndReason, UaEvent, pidf_open, split_refer_target, voice_messages};

impl SessionCore {
    pub(super) fn on_ua_event(&mut self, now: Instant, event: UaEvent) {
        match event {
            UaEvent::IncomingCall {
                call: handle,
                from,
                offer,
                replaces,
            } => {
                let call = self.new_call_id();
                self.by_handle.insert(handle, call);
                let replaced = replaces.and_then(|old| self.call_of(old));
                let remote = offer
                    .as_deref()
                    .and_then(|offer| SessionDescription::parse(offer).ok())
                    .and_then(|sdp| sdp::audio_direction(&sdp));
                let slot = self.calls.entry(call).or_default();
                slot.held_remotely =
                    matches!(remote, Some(Direction::SendOnly | Direction::Inactive));
                slot.handle = Some(handle);
                slot.offer = offer;
                slot.replaces = replaces;
                // RFC 3891 §3: a call that replaces another takes its place at once.
                slot.answer_wanted = replaces.is_some() || self.config.auto_answer;
                self.outputs.push_back(Output::BindMedia(call));
                self.emit(SessionEvent::Incoming {
                    call,
                    from,
                    replaces: replaced,
                });
            }
            UaEvent::Ringing {
                call: handle,
                early_media,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                self.emit(SessionEvent::Ringing(call));
                // 183 with SDP: play the early media (announcements, ringback).
                if let Some(sdp) = early_media
                    && let Err(err) = self.read_answer(call, &sdp)
                {
                    tracing::debug!(%err, "early media ignored");
                }
                self.report_transfer(now, call, 180, "Ringing");
            }
            UaEvent::Connected {
                call: handle,
                answer,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                if self.leg_lost(now, call, handle) {
                    return;
                }
                if self.calls.get(&call).is_some_and(|slot| slot.hanging_up) {
                    // The 2xx crossed our CANCEL (RFC 3261 §9.1): the call is up at the
                    // peer, so it is ended with a BYE.
                    self.ua.hangup(now, handle);
                    return;
                }
                self.leg_answered(now, call, handle);
                self.emit(SessionEvent::Connected(call));
                if let Some(answer) = answer {
                    self.settle_or_end(now, call, &answer);
                }
                self.report_transfer(now, call, 200, "OK");
                if let Some(old) = self
                    .calls
                    .get_mut(&call)
                    .and_then(|slot| slot.replaces.take())
                {
                    self.ua.hangup(now, old);
                }
            }
            UaEvent::Ended {
                call: handle,
                reason,
            } => {
                let Some(call) = self.by_handle.remove(&handle) else {
                    return;
                };
                if self.leg_ended(now, call, handle, reason.clone()) {
                    return;
                }
                if self
                    .calls
                    .get(&call)
                    .is_some_and(|slot| slot.transfer_of.is_some())
                {
                    let (code, text) = match &reason {
                        EndReason::Rejected(code) => (*code, "Failed"),
                        EndReason::Timeout => (408, "Request Timeout"),
                        _ => (487, "Request Terminated"),
                    };
                    self.report_transfer(now, call, code, text);
                }
                let reason = self
                    .calls
                    .get_mut(&call)
                    .and_then(|slot| slot.end_reason.take())
                    .unwrap_or(reason);
                self.finish_call(call, reason);
            }
            UaEvent::Reoffer {
                call: handle,
                offer,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.on_reoffer(now, call, handle, offer);
                }
            }
            UaEvent::Reanswered {
                call: handle,
                answer,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.hold_before = None;
                    slot.glare_attempts = 0;
                }
                if let Some(answer) = answer
                    && let Err(err) = self.read_answer(call, &answer)
                {
                    self.emit(SessionEvent::Failed(format!(
                        "call {}: unusable SDP answer: {err}",
                        call.0
                    )));
                }
                let local = self.calls.get(&call).is_some_and(|slot| slot.held_locally);
                self.set_hold(call, Some(local), None);
            }
            UaEvent::LateOffer {
                call: handle,
                offer,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                match self.answer_sdp(call, &offer) {
                    Ok(answer) => {
                        self.ua.ack_with_answer(handle, &answer);
                    }
                    Err(err) => {
                        // The dialog exists: ACK it, then end it with the reason.
                        self.ua.ack_with_answer(handle, "");
                        self.end_for_media(now, call, err);
                    }
                }
            }
            UaEvent::LateAnswer {
                call: handle,
                answer,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.settle_or_end(now, call, &answer);
                }
            }
            UaEvent::ReofferFailed { call: handle, code } => {
                if let Some(call) = self.call_of(handle) {
                    self.reoffer_failed(now, call, code);
                }
            }
            UaEvent::Dtmf {
                call: handle,
                digit,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.emit(SessionEvent::Dtmf { call, digit });
                }
            }
            UaEvent::TransferRequested {
                call: handle,
                target,
            } => {
                let Some(old) = self.call_of(handle) else {
                    return;
                };
                let (uri, replaces) = split_refer_target(&target);
                let call = self.new_call_id();
                self.emit(SessionEvent::Outgoing {
                    call,
                    peer: uri.clone(),
                    transfer_of: old,
                });
                self.place(now, call, uri, replaces, Some(handle));
            }
            UaEvent::TransferProgress { call: handle, code } => {
                if let Some(call) = self.call_of(handle) {
                    self.emit(SessionEvent::Transfer { call, code });
                    if (200..300).contains(&code) && code != 202 {
                        // RFC 5589 §6: the transferee reached the target; we leave.
                        self.ua.hangup(now, handle);
                    }
                }
            }
            UaEvent::MessageReceived {
                from, source, body, ..
            } => {
                let from = crate::sip::NameAddr::parse(&from)
                    .map(|address| address.uri)
                    .unwrap_or(from);
                self.learn_reply_address(&from, source);
                self.emit(SessionEvent::MessageReceived { from, text: body });
            }
            UaEvent::MessageSent { id, code } => {
                if let Some(id) = self.messages.remove(&id) {
                    self.emit(SessionEvent::MessageSent {
                        id,
                        code,
                        error: None,
                    });
                }
            }
            UaEvent::Registered { expires } => {
                tracing::debug!(expires, "registered");
                self.emit(SessionEvent::Registration(RegistrationState::Registered));
            }
            UaEvent::RegistrationFailed { reason, code } => {
                // A timeout on a stream transport is usually a failed connection or TLS
                // handshake: say which.
                let reason = match (code, self.last_send_error.take()) {
                    (408, Some(error)) => format!("{reason} ({error})"),
                    _ => reason,
                };
                self.emit(SessionEvent::Registration(RegistrationState::Failed(
                    reason,
                )));
            }
            UaEvent::Unregistered => {
                self.emit(SessionEvent::Registration(RegistrationState::Offline));
            }
            UaEvent::Published { code } => {
                if code >= 300 {
                    self.emit(SessionEvent::Failed(format!(
                        "the presence server refused our presence ({code})"
                    )));
                }
            }
            UaEvent::Notified {
                subscription,
                event,
                body,
            } => {
                let Some(uri) = self.subscriptions.get(&subscription).cloned() else {
                    return;
                };
                if event == "message-summary" {
                    if let Some((new, old)) = voice_messages(&body) {
                        self.emit(SessionEvent::Voicemail { new, old });
                    }
                } else if let Some(open) = pidf_open(&body) {
                    self.emit(SessionEvent::Presence {
                        uri,
                        open: Some(open),
                    });
                }
            }
            UaEvent::SubscriptionFailed {
                subscription,
                event,
                code,
            } => {
                let Some(uri) = self.subscriptions.get(&subscription).cloned() else {
                    return;
                };
                tracing::debug!(%uri, %event, code, "subscription refused");
                if event == "presence" {
                    self.emit(SessionEvent::Presence { uri, open: None });
                }
            }
        }
    }

    /// The answer that sets up a call's media. A call whose answer leaves it no usable
    /// audio ends at once with a BYE and the reason, rather than staying up silent.
    fn settle_or_end(&mut self, now: Instant, call: CallId, answer: &str) {
        if let Err(err) = self.read_answer(call, answer) {
            self.end_for_media(now, call, err);
        }
    }

    /// Ends a call that has no usable audio, saying why.
    fn end_for_media(&mut self, now: Instant, call: CallId, err: super::media::MediaError) {
        let err = err.to_string();
        self.emit(SessionEvent::Failed(format!("call {}: {err}", call.0)));
        if let Some(slot) = self.calls.get_mut(&call) {
            slot.end_reason = Some(EndReason::NoMedia(err));
        }
        if let Some(handle) = self.handle_of(call) {
            self.ua.hangup(now, handle);
        }
    }

    /// The peer's re-INVITE: answer its offer (or offer, when it has none) in our hold
    /// state, or refuse it with 488 and keep the session as it was.
    fn on_reoffer(
        &mut self,
        now: Instant,
        call: CallId,
        handle: crate::sip::ua::CallHandle,
        offer: Option<String>,
    ) {
        let sdp = match &offer {
            None => Ok(self.offer(call)),
            Some(offer) => self.answer_sdp(call, offer),
        };
        match sdp {
            Ok(sdp) => {
                self.ua.accept_reoffer(now, handle, &sdp);
                let held = offer
                    .as_deref()
                    .and_then(|offer| SessionDescription::parse(offer).ok())
                    .map(|offer| {
                        matches!(
                            sdp::audio_direction(&offer),
                            Some(Direction::SendOnly | Direction::Inactive)
                        )
                    });
                if held.is_some() {
                    self.set_hold(call, None, held);
                }
            }
            Err(err) => {
                tracing::debug!(%err, "refusing re-INVITE");
                self.ua
                    .refuse_reoffer(now, handle, 488, "Not Acceptable Here");
            }
        }
    }

    /// Tells the peer who asked for a transfer how the call to the target goes.
    fn report_transfer(&mut self, now: Instant, call: CallId, code: u16, reason: &str) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(transferor) = slot.transfer_of else {
            return;
        };
        if code >= 200 {
            slot.transfer_of = None;
        }
        self.ua.notify_transfer(now, transferor, code, reason);
        if (200..300).contains(&code) {
            // We are on the target now; the transferor's call ends.
            self.ua.hangup(now, transferor);
        }
    }

    fn set_hold(&mut self, call: CallId, local: Option<bool>, remote: Option<bool>) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        let before = (slot.held_locally, slot.held_remotely);
        if let Some(local) = local {
            slot.held_locally = local;
        }
        if let Some(remote) = remote {
            slot.held_remotely = remote;
        }
        let after = (slot.held_locally, slot.held_remotely);
        if before != after || local.is_some() {
            self.emit(SessionEvent::Hold {
                call,
                local: after.0,
                remote: after.1,
            });
        }
    }
}
