//! Calls: INVITE in and out, answers, CANCEL, BYE, re-INVITE for hold and resume, and
//! `Replaces` (RFC 3891) for attended transfer.

use std::net::SocketAddr;
use std::time::Instant;

use super::{
    ALLOWED, Call, CallHandle, CallState, EndReason, Key, Purpose, Retransmit, UaEvent, UserAgent,
    cancel_for, next_retransmit,
};
use crate::sip::dialog::Dialog;
use crate::sip::header::CSeq;
use crate::sip::message::{Method, SipMessage};
use crate::sip::transaction::{self, T1, response_to, transaction_key};
use crate::sip::uri::unescape;

/// `Replaces` value parts (RFC 3891 §6.1): Call-ID, to-tag, from-tag.
fn parse_replaces(value: &str) -> Option<(String, String, String)> {
    let mut parts = value.split(';');
    let call_id = parts.next()?.trim().to_owned();
    let (mut to_tag, mut from_tag) = (None, None);
    for part in parts {
        match part.trim().split_once('=') {
            Some((name, tag)) if name.trim().eq_ignore_ascii_case("to-tag") => {
                to_tag = Some(tag.trim().to_owned());
            }
            Some((name, tag)) if name.trim().eq_ignore_ascii_case("from-tag") => {
                from_tag = Some(tag.trim().to_owned());
            }
            _ => {}
        }
    }
    Some((call_id, to_tag?, from_tag?))
}

/// Escapes a header value for a URI's `?name=value` part (RFC 3261 §19.1.1 hnv-unreserved).
fn escape_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()[]/?:+$".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Splits `sip:c@host?Replaces=…` into the URI and the unescaped Replaces value.
pub fn split_refer_target(target: &str) -> (String, Option<String>) {
    let target = target.trim().trim_start_matches('<').trim_end_matches('>');
    let Some((uri, headers)) = target.split_once('?') else {
        return (target.to_owned(), None);
    };
    let replaces = headers.split('&').find_map(|header| {
        let (name, value) = header.split_once('=')?;
        name.eq_ignore_ascii_case("Replaces")
            .then(|| unescape(value))
    });
    (uri.to_owned(), replaces)
}

impl UserAgent {
    pub(super) fn on_invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: Key,
        invite: SipMessage,
    ) {
        let existing = self.calls.iter().find_map(|(handle, call)| {
            call.dialog
                .as_ref()
                .filter(|dialog| dialog.matches(&invite, true))
                .map(|_| *handle)
        });
        if let Some(handle) = existing {
            self.on_reinvite(now, handle, key, invite);
            return;
        }
        if transaction::to_tag(&invite).is_some() {
            // A re-INVITE for a dialog we do not have (§12.2.2).
            let response = response_to(&invite, 481, "Call/Transaction Does Not Exist");
            self.respond(now, &key, response);
            return;
        }
        let mut replaces = None;
        if let Some(value) = invite.headers.get("Replaces") {
            let found = parse_replaces(value).and_then(|(call_id, to_tag, from_tag)| {
                self.calls.iter().find_map(|(handle, call)| {
                    let dialog = call.dialog.as_ref()?;
                    (dialog.call_id == call_id
                        && dialog.local_tag == to_tag
                        && dialog.remote_tag == from_tag)
                        .then_some(*handle)
                })
            });
            match found {
                Some(handle) => replaces = Some(handle),
                None => {
                    // RFC 3891 §3: no matching dialog.
                    let response = response_to(&invite, 481, "Call/Transaction Does Not Exist");
                    self.respond(now, &key, response);
                    return;
                }
            }
        }
        let handle = self.new_handle();
        let local_tag = self.unique("");
        let mut ringing = response_to(&invite, 180, "Ringing");
        self.tag_response(&invite, &mut ringing, &local_tag);
        let from_header = invite.headers.get("From").unwrap_or_default().to_owned();
        let offer =
            (!invite.body.is_empty()).then(|| String::from_utf8_lossy(&invite.body).into_owned());
        self.calls.insert(
            handle,
            Call {
                state: CallState::IncomingRinging,
                remote: from,
                invite,
                invite_key: Some(key.clone()),
                local_tag,
                dialog: None,
                ok_retransmit: None,
                pending_reoffer: None,
                reinviting: false,
                late_ack: None,
            },
        );
        self.respond(now, &key, ringing);
        self.event(UaEvent::IncomingCall {
            call: handle,
            from: from_header,
            offer,
            replaces,
        });
    }

    fn on_reinvite(&mut self, now: Instant, handle: CallHandle, key: Key, invite: SipMessage) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        let order = call
            .dialog
            .as_mut()
            .map(|dialog| dialog.on_request(&invite));
        let response = if matches!(order, Some(Err(_))) {
            Some(response_to(
                &invite,
                500,
                "Server Internal Error (CSeq out of order)",
            ))
        } else if call.reinviting {
            // Glare (§14.2): both sides re-INVITE at once.
            Some(response_to(&invite, 491, "Request Pending"))
        } else if call.pending_reoffer.is_some() || call.state != CallState::Connected {
            let mut busy = response_to(&invite, 500, "Server Internal Error (re-INVITE pending)");
            busy.headers.push("Retry-After", "1");
            Some(busy)
        } else {
            None
        };
        if let Some(response) = response {
            self.respond(now, &key, response);
            return;
        }
        let offer =
            (!invite.body.is_empty()).then(|| String::from_utf8_lossy(&invite.body).into_owned());
        call.pending_reoffer = Some((key, invite));
        self.event(UaEvent::Reoffer {
            call: handle,
            offer,
        });
    }

    /// Answers the peer's re-INVITE with `sdp` (our answer, or our offer when theirs had none).
    pub fn accept_reoffer(&mut self, now: Instant, call: CallHandle, sdp: &str) -> bool {
        let Some((key, invite)) = self
            .calls
            .get_mut(&call)
            .and_then(|entry| entry.pending_reoffer.take())
        else {
            return false;
        };
        let mut ok = response_to(&invite, 200, "OK");
        ok.headers
            .push("Contact", format!("<{}>", self.config.contact));
        ok.headers.push("Allow", ALLOWED);
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = sdp.as_bytes().to_vec();
        self.stamp(&mut ok);
        let bytes = ok.to_bytes();
        self.respond(now, &key, ok);
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.ok_retransmit = Some(Retransmit {
                bytes,
                at: now + T1,
                interval: T1,
                give_up: now + 64 * T1,
            });
        }
        true
    }

    /// Refuses the peer's re-INVITE (488 when its offer is not acceptable); the call stays.
    pub fn refuse_reoffer(&mut self, now: Instant, call: CallHandle, code: u16, reason: &str) {
        if let Some((key, invite)) = self
            .calls
            .get_mut(&call)
            .and_then(|entry| entry.pending_reoffer.take())
        {
            self.respond(now, &key, response_to(&invite, code, reason));
        }
    }

    /// Sends a re-INVITE with a new offer (hold: `a=sendonly`; resume: `a=sendrecv`).
    /// False when the call is not connected or another re-INVITE is in progress.
    pub fn reinvite(&mut self, now: Instant, call: CallHandle, sdp: &str) -> bool {
        let Some(entry) = self.calls.get(&call) else {
            return false;
        };
        if entry.state != CallState::Connected
            || entry.reinviting
            || entry.pending_reoffer.is_some()
        {
            return false;
        }
        let Some((mut request, remote)) = self.call_request(call, Method::Invite) else {
            return false;
        };
        request.headers.push("Allow", ALLOWED);
        request
            .headers
            .push("User-Agent", self.config.user_agent.clone());
        request.headers.push("Content-Type", "application/sdp");
        request.body = sdp.as_bytes().to_vec();
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.reinviting = true;
        }
        self.send_request(now, remote, request, Purpose::ReInvite(call), 0);
        true
    }

    pub(super) fn on_reinvite_response(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        if code < 200 {
            return;
        }
        let Some(entry) = self.calls.get_mut(&call) else {
            return;
        };
        entry.reinviting = false;
        let remote = entry.remote;
        match (code, response, entry.dialog.clone()) {
            (200..=299, Some(response), Some(mut dialog)) => {
                dialog.on_response(response);
                let seq = CSeq::parse(response.headers.get("CSeq").unwrap_or_default())
                    .map_or(dialog.local_seq, |c| c.seq);
                let ack = self.in_dialog(&mut dialog, Method::Ack, Some(seq));
                let to = self.dialog_hop(&dialog, remote);
                if let Some(entry) = self.calls.get_mut(&call) {
                    entry.dialog = Some(dialog);
                }
                self.transmit(to, ack.to_bytes());
                let answer = (!response.body.is_empty())
                    .then(|| String::from_utf8_lossy(&response.body).into_owned());
                self.event(UaEvent::Reanswered { call, answer });
            }
            _ => {
                // §14.1: a failed re-INVITE leaves the session as it was; 481 and 408 end
                // the dialog (§12.2.1.2). A 408 nobody sent (a timeout, a transport that
                // failed) means the peer could not be reached: the call's end says so.
                self.event(UaEvent::ReofferFailed { call, code });
                match (code, response) {
                    (408, None) => {
                        self.bye(now, call, EndReason::ConnectionLost);
                    }
                    (408 | 481, _) => {
                        self.bye(now, call, EndReason::LocalHangup);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Answers an incoming call with `sdp`.
    pub fn answer(&mut self, now: Instant, call: CallHandle, sdp: &str) -> bool {
        let Some(entry) = self.calls.get(&call) else {
            return false;
        };
        if entry.state != CallState::IncomingRinging {
            return false;
        }
        let Ok(dialog) = Dialog::from_uas(&entry.invite, &entry.local_tag, 1, true) else {
            return false;
        };
        let mut ok = response_to(&entry.invite, 200, "OK");
        self.tag_response(&entry.invite, &mut ok, &entry.local_tag);
        let key = entry.invite_key.clone();
        ok.headers.push("Allow", ALLOWED);
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = sdp.as_bytes().to_vec();
        let mut stamped = ok.clone();
        self.stamp(&mut stamped);
        let bytes = stamped.to_bytes();
        if let Some(key) = key {
            self.respond(now, &key, ok);
        }
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.state = CallState::Connected;
            entry.dialog = Some(dialog);
            entry.ok_retransmit = Some(Retransmit {
                bytes,
                at: now + T1,
                interval: T1,
                give_up: now + 64 * T1,
            });
        }
        self.event(UaEvent::Connected { call, answer: None });
        true
    }

    /// Refuses an incoming call with `code` (486 busy, 603 decline, …).
    pub fn reject(&mut self, now: Instant, call: CallHandle, code: u16, reason: &str) -> bool {
        let Some(entry) = self.calls.get(&call) else {
            return false;
        };
        if entry.state != CallState::IncomingRinging {
            return false;
        }
        let mut response = response_to(&entry.invite, code, reason);
        self.tag_response(&entry.invite, &mut response, &entry.local_tag);
        if let Some(key) = entry.invite_key.clone() {
            self.respond(now, &key, response);
        }
        self.calls.remove(&call);
        self.event(UaEvent::Ended {
            call,
            reason: EndReason::Rejected(code),
        });
        true
    }

    /// Places a call to `uri` via `to` with the offer `sdp`; `replaces` is a `Replaces`
    /// header value when this call takes another's place (attended transfer).
    pub fn invite(
        &mut self,
        now: Instant,
        to: SocketAddr,
        uri: &str,
        sdp: &str,
        replaces: Option<&str>,
    ) -> CallHandle {
        let handle = self.new_handle();
        let mut invite = self.new_request(Method::Invite, uri, &format!("<{uri}>"));
        invite
            .headers
            .push("Contact", format!("<{}>", self.config.contact));
        invite.headers.push("Allow", ALLOWED);
        if let Some(replaces) = replaces {
            invite.headers.push("Replaces", replaces);
            invite.headers.push("Require", "replaces");
        }
        if !sdp.is_empty() {
            invite.headers.push("Content-Type", "application/sdp");
            invite.body = sdp.as_bytes().to_vec();
        }
        let local_tag = crate::sip::NameAddr::parse(invite.headers.get("From").unwrap_or_default())
            .ok()
            .and_then(|from| from.tag().map(str::to_owned))
            .unwrap_or_default();
        self.calls.insert(
            handle,
            Call {
                state: CallState::OutgoingTrying,
                remote: to,
                invite_key: transaction_key(&invite),
                invite: invite.clone(),
                local_tag,
                dialog: None,
                ok_retransmit: None,
                pending_reoffer: None,
                reinviting: false,
                late_ack: None,
            },
        );
        self.send_request(now, to, invite, Purpose::Invite(handle), 0);
        handle
    }

    /// Ends a connected call with BYE, or cancels one still ringing out.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> bool {
        self.hangup_with_reason(now, call, None)
    }

    /// Cancels a call ringing out because another fork of it was answered: its CANCEL
    /// says so (`Reason: SIP;cause=200;text="Call completed elsewhere"`, RFC 3326), so
    /// the device stops ringing without counting a missed call. A connected call gets BYE.
    pub fn cancel_answered_elsewhere(&mut self, now: Instant, call: CallHandle) -> bool {
        let reason = "SIP;cause=200;text=\"Call completed elsewhere\"";
        self.hangup_with_reason(now, call, Some(reason))
    }

    /// Ends a connected call with BYE; the call's end is reported with `reason`.
    fn bye(&mut self, now: Instant, call: CallHandle, reason: EndReason) -> bool {
        let Some((bye, to)) = self.call_request(call, Method::Bye) else {
            return false;
        };
        self.calls.remove(&call);
        self.send_request(now, to, bye, Purpose::Fire, 0);
        self.event(UaEvent::Ended { call, reason });
        true
    }

    fn hangup_with_reason(&mut self, now: Instant, call: CallHandle, reason: Option<&str>) -> bool {
        let Some(entry) = self.calls.get(&call) else {
            return false;
        };
        let remote = entry.remote;
        match entry.state {
            CallState::Connected => self.bye(now, call, EndReason::LocalHangup),
            CallState::OutgoingTrying => {
                let mut cancel = cancel_for(&entry.invite);
                if let Some(reason) = reason {
                    cancel.headers.push("Reason", reason.to_owned());
                }
                self.send_request(now, remote, cancel, Purpose::Fire, 0);
                true
            }
            CallState::IncomingRinging => self.reject(now, call, 603, "Decline"),
        }
    }

    /// The `Replaces` value that lets another UA take `call`'s place (RFC 3891), with the
    /// peer's URI, as a Refer-To target: `<sip:c@host?Replaces=…>`.
    pub fn replaces_target(&self, call: CallHandle) -> Option<String> {
        let dialog = self.calls.get(&call)?.dialog.as_ref()?;
        let peer = crate::sip::NameAddr::parse(&dialog.remote_uri).ok()?.uri;
        // From the peer's side, its own tag is the to-tag.
        let replaces = format!(
            "{};to-tag={};from-tag={}",
            dialog.call_id, dialog.remote_tag, dialog.local_tag
        );
        Some(format!(
            "<{peer}?Replaces={}>",
            escape_header_value(&replaces)
        ))
    }

    pub(super) fn on_ack(&mut self, now: Instant, ack: &SipMessage) {
        if let Some(key) = transaction_key(ack)
            && let Some((transaction, to)) = self.servers.get_mut(&key)
        {
            let to = *to;
            transaction.handle_input(now, transaction::Input::Message(ack));
            self.drain_server(&key, to);
        }
        // The ACK of a 2xx ends its retransmission (§13.3.1.4); after a late offer, it
        // carries the answer.
        let mut answered = Vec::new();
        for (handle, call) in self.calls.iter_mut() {
            if call
                .dialog
                .as_ref()
                .is_some_and(|dialog| dialog.matches(ack, true))
            {
                let first = call.ok_retransmit.take().is_some();
                if first && !ack.body.is_empty() {
                    answered.push(*handle);
                }
            }
        }
        for call in answered {
            let answer = String::from_utf8_lossy(&ack.body).into_owned();
            self.event(UaEvent::LateAnswer { call, answer });
        }
    }

    /// An INVITE retransmitted after our 2xx ended its transaction (RFC 6026 §7.1) belongs
    /// to the call already answered: resend the 2xx and start nothing. True when handled.
    pub(super) fn resend_answered_ok(&mut self, from: SocketAddr, key: &Key) -> bool {
        let answered = self
            .calls
            .values()
            .find(|call| call.invite_key.as_ref() == Some(key))
            .map(|call| call.ok_retransmit.as_ref().map(|r| r.bytes.clone()));
        match answered {
            Some(ok) => {
                if let Some(bytes) = ok {
                    self.transmit(from, bytes);
                }
                true
            }
            None => false,
        }
    }

    pub(super) fn retransmit_oks(&mut self, now: Instant) {
        let mut resend = Vec::new();
        let mut gave_up = Vec::new();
        for (handle, call) in &mut self.calls {
            if let Some(retransmit) = call.ok_retransmit.as_mut() {
                if now >= retransmit.give_up {
                    gave_up.push(*handle);
                } else if now >= retransmit.at {
                    resend.push((call.remote, retransmit.bytes.clone()));
                    next_retransmit(retransmit, now);
                }
            }
        }
        for (to, bytes) in resend {
            self.transmit(to, bytes);
        }
        for handle in gave_up {
            // §13.3.1.4: no ACK for 64*T1 — end the call with BYE.
            if let Some(call) = self.calls.get_mut(&handle) {
                call.ok_retransmit = None;
            }
            self.hangup(now, handle);
            if let Some(super::UaOutput::Event(UaEvent::Ended { reason, .. })) =
                self.outputs.back_mut()
            {
                *reason = EndReason::Timeout;
            }
        }
    }

    pub(super) fn on_bye(&mut self, now: Instant, key: &Key, bye: &SipMessage) {
        let found = self.calls.iter_mut().find_map(|(handle, call)| {
            let dialog = call.dialog.as_mut()?;
            dialog
                .matches(bye, true)
                .then(|| (*handle, dialog.on_request(bye)))
        });
        match found {
            Some((handle, Ok(()))) => {
                self.respond(now, key, response_to(bye, 200, "OK"));
                self.calls.remove(&handle);
                self.event(UaEvent::Ended {
                    call: handle,
                    reason: EndReason::RemoteHangup,
                });
            }
            Some((_, Err(_))) => self.respond(
                now,
                key,
                response_to(bye, 500, "Server Internal Error (CSeq out of order)"),
            ),
            None => self.respond(
                now,
                key,
                response_to(bye, 481, "Call/Transaction Does Not Exist"),
            ),
        }
    }

    pub(super) fn on_cancel(&mut self, now: Instant, key: &Key, cancel: &SipMessage) {
        let invite_key = (key.0.clone(), Method::Invite);
        let ringing = self.calls.iter().find_map(|(handle, call)| {
            (call.state == CallState::IncomingRinging
                && call.invite_key.as_ref() == Some(&invite_key))
            .then_some(*handle)
        });
        let Some(handle) = ringing else {
            self.respond(
                now,
                key,
                response_to(cancel, 481, "Call/Transaction Does Not Exist"),
            );
            return;
        };
        self.respond(now, key, response_to(cancel, 200, "OK"));
        if let Some(call) = self.calls.remove(&handle) {
            let mut terminated = response_to(&call.invite, 487, "Request Terminated");
            self.tag_response(&call.invite, &mut terminated, &call.local_tag);
            self.respond(now, &invite_key, terminated);
        }
        // RFC 3326: a CANCEL whose Reason is a 200 says the call was answered elsewhere.
        let elsewhere = cancel.headers.get_all("Reason").any(|reason| {
            let reason = reason.to_ascii_lowercase();
            reason.starts_with("sip") && reason.contains("cause=200")
        });
        self.event(UaEvent::Ended {
            call: handle,
            reason: if elsewhere {
                EndReason::AnsweredElsewhere
            } else {
                EndReason::Cancelled
            },
        });
    }

    /// Sends the ACK of a call whose 2xx carried the offer (see [`UaEvent::LateOffer`]),
    /// with our answer; an empty `sdp` sends a bare ACK (to hang up right after).
    pub fn ack_with_answer(&mut self, call: CallHandle, sdp: &str) -> bool {
        let Some(entry) = self.calls.get_mut(&call) else {
            return false;
        };
        let (Some(mut dialog), None) = (entry.dialog.clone(), entry.late_ack.as_ref()) else {
            return false;
        };
        let remote = entry.remote;
        let seq =
            CSeq::parse(entry.invite.headers.get("CSeq").unwrap_or_default()).map_or(1, |c| c.seq);
        let mut ack = self.in_dialog(&mut dialog, Method::Ack, Some(seq));
        if !sdp.is_empty() {
            ack.headers.push("Content-Type", "application/sdp");
            ack.body = sdp.as_bytes().to_vec();
        }
        let bytes = ack.to_bytes();
        let to = self.dialog_hop(&dialog, remote);
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.late_ack = Some(bytes.clone());
        }
        self.transmit(to, bytes);
        true
    }

    pub(super) fn reack(&mut self, response: &SipMessage) {
        let Some(cseq) = response
            .headers
            .get("CSeq")
            .and_then(|v| CSeq::parse(v).ok())
        else {
            return;
        };
        if cseq.method != Method::Invite {
            return;
        }
        let found = self.calls.values_mut().find_map(|call| {
            let dialog = call.dialog.as_mut()?;
            dialog
                .matches(response, false)
                .then(|| (dialog.clone(), call.remote, call.late_ack.clone()))
        });
        if let Some((dialog, remote, Some(late_ack))) = &found {
            // The same ACK again, answer and all.
            let to = self.dialog_hop(dialog, *remote);
            self.transmit(to, late_ack.clone());
        } else if let Some((mut dialog, remote, None)) = found {
            let ack = self.in_dialog(&mut dialog, Method::Ack, Some(cseq.seq));
            let to = self.dialog_hop(&dialog, remote);
            self.transmit(to, ack.to_bytes());
        }
    }

    /// Makes `response` to `request` one that forms a dialog: our tag in To, the
    /// request's Record-Route copied (§12.1.1), our Contact.
    pub(super) fn tag_response(&self, request: &SipMessage, response: &mut SipMessage, tag: &str) {
        if let Some(to) = response.headers.get("To").map(str::to_owned)
            && transaction::to_tag(response).is_none()
        {
            response.headers.set("To", format!("{to};tag={tag}"));
        }
        for route in request.headers.get_all("Record-Route") {
            response.headers.push("Record-Route", route);
        }
        response
            .headers
            .push("Contact", format!("<{}>", self.config.contact));
    }

    pub(super) fn on_invite_response(
        &mut self,
        handle: CallHandle,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        match (code, response) {
            (180..=199, Some(response)) => {
                let early_media = (code == 183 && !response.body.is_empty())
                    .then(|| String::from_utf8_lossy(&response.body).into_owned());
                self.event(UaEvent::Ringing {
                    call: handle,
                    early_media,
                });
            }
            (200..=299, Some(response)) => {
                if call.state == CallState::Connected {
                    // A second 2xx from a forked INVITE: this UA keeps one dialog.
                    return;
                }
                let Ok(mut dialog) = Dialog::from_uac(&call.invite, response) else {
                    return;
                };
                let remote = call.remote;
                let seq = CSeq::parse(response.headers.get("CSeq").unwrap_or_default())
                    .map_or(1, |c| c.seq);
                let late_offer = call.invite.body.is_empty() && !response.body.is_empty();
                let ack = self.in_dialog(&mut dialog, Method::Ack, Some(seq));
                if let Some(call) = self.calls.get_mut(&handle) {
                    call.dialog = Some(dialog);
                    call.state = CallState::Connected;
                }
                let body = (!response.body.is_empty())
                    .then(|| String::from_utf8_lossy(&response.body).into_owned());
                let to = self
                    .calls
                    .get(&handle)
                    .and_then(|call| call.dialog.as_ref())
                    .map_or(remote, |dialog| self.dialog_hop(dialog, remote));
                if late_offer {
                    // Our answer goes in the ACK, once the user of the UA has it.
                    self.event(UaEvent::Connected {
                        call: handle,
                        answer: None,
                    });
                    self.event(UaEvent::LateOffer {
                        call: handle,
                        offer: body.unwrap_or_default(),
                    });
                    return;
                }
                self.transmit(to, ack.to_bytes());
                self.event(UaEvent::Connected {
                    call: handle,
                    answer: body,
                });
            }
            (300..=699, _) => {
                if call.state == CallState::Connected {
                    return;
                }
                self.calls.remove(&handle);
                let reason = match code {
                    487 => EndReason::Cancelled,
                    408 if response.is_none() => EndReason::Timeout,
                    _ => EndReason::Rejected(code),
                };
                self.event(UaEvent::Ended {
                    call: handle,
                    reason,
                });
            }
            _ => {}
        }
    }
}
