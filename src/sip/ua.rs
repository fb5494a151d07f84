//! A SIP user agent core, sans-IO: transactions, dialogs and calls behind datagram input and
//! output, for a UA that places, answers, rejects, cancels and ends calls and answers OPTIONS.
//! Tags, branches and Call-IDs come from a seeded counter the caller provides, so runs are
//! reproducible; the driver passes addresses and time in.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::dialog::Dialog;
use super::header::CSeq;
use super::message::{Headers, Method, SipMessage, StartLine};
use super::transaction::{
    self, ClientTransaction, Input, Output, ServerTransaction, T1, T2, response_to, transaction_key,
};

/// Methods this UA answers, for Allow headers and 405 responses.
pub const ALLOWED: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS";

/// A call's handle inside the UA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up.
    LocalHangup,
    /// They hung up (BYE).
    RemoteHangup,
    /// The caller cancelled before an answer.
    Cancelled,
    /// Refused with this status code (ours or theirs).
    Rejected(u16),
    /// No answer or no ACK in time.
    Timeout,
}

/// What the UA tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaEvent {
    /// A new incoming call, ringing.
    IncomingCall {
        /// Handle.
        call: CallHandle,
        /// The caller (From header).
        from: String,
        /// The offer, if the INVITE carried one.
        offer: Option<String>,
    },
    /// The far end is ringing.
    Ringing {
        /// Handle.
        call: CallHandle,
    },
    /// The call is up; `answer` is the far end's SDP (for calls we placed).
    Connected {
        /// Handle.
        call: CallHandle,
        /// SDP from the 2xx, for outgoing calls.
        answer: Option<String>,
    },
    /// The call is over.
    Ended {
        /// Handle.
        call: CallHandle,
        /// Why.
        reason: EndReason,
    },
}

/// What the UA wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaOutput {
    /// Send a datagram.
    Transmit {
        /// Destination.
        to: SocketAddr,
        /// Bytes.
        bytes: Vec<u8>,
    },
    /// Tell the user.
    Event(UaEvent),
}

/// Where the UA is and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaConfig {
    /// Our address of record, as a From value (`<sip:alice@example.org>`).
    pub local_uri: String,
    /// Our Contact URI (`sip:alice@192.0.2.1:5060`).
    pub contact: String,
    /// Via sent-by with transport (`UDP 192.0.2.1:5060`).
    pub via_sent_by: String,
    /// User-Agent header value.
    pub user_agent: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    IncomingRinging,
    OutgoingTrying,
    Connected,
}

#[derive(Debug)]
struct Call {
    state: CallState,
    remote: SocketAddr,
    /// The INVITE (received or sent).
    invite: SipMessage,
    /// Our tag (UAS) once chosen.
    local_tag: String,
    dialog: Option<Dialog>,
    /// 2xx retransmission until ACK (§13.3.1.4): bytes, next send, interval, give-up time.
    ok_retransmit: Option<(Vec<u8>, Instant, Duration, Instant)>,
}

/// The user agent core.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    counter: u64,
    next_call: u64,
    servers: HashMap<(String, Method), (ServerTransaction, SocketAddr)>,
    clients: HashMap<(String, Method), (ClientTransaction, SocketAddr, Option<CallHandle>)>,
    calls: HashMap<CallHandle, Call>,
    outputs: VecDeque<UaOutput>,
}

impl UserAgent {
    /// A UA whose tags and branches derive from `seed`.
    pub fn new(config: UaConfig, seed: u64) -> UserAgent {
        UserAgent {
            config,
            counter: seed,
            next_call: 1,
            servers: HashMap::new(),
            clients: HashMap::new(),
            calls: HashMap::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.outputs.pop_front()
    }

    /// The earliest deadline of any transaction or 2xx retransmission.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let servers = self.servers.values().filter_map(|(t, _)| t.poll_timeout());
        let clients = self
            .clients
            .values()
            .filter_map(|(t, _, _)| t.poll_timeout());
        let oks = self.calls.values().filter_map(|call| {
            call.ok_retransmit
                .as_ref()
                .map(|(_, at, _, give_up)| (*at).min(*give_up))
        });
        servers.chain(clients).chain(oks).min()
    }

    fn new_handle(&mut self) -> CallHandle {
        let handle = CallHandle(self.next_call);
        self.next_call += 1;
        handle
    }

    fn unique(&mut self, prefix: &str) -> String {
        // A 64-bit mix of the counter: unique per UA, unguessable enough for tags given a
        // random seed (RFC 3261 §19.3 asks for 32 bits of randomness).
        self.counter = self.counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = self.counter;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{prefix}{:016x}", x ^ (x >> 31))
    }

    /// Takes in a datagram.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let message = match SipMessage::parse(bytes) {
            Ok(message) => message,
            Err(err) => {
                // §18.3/§21.4.1: answer a request we can route an answer for; drop the rest.
                if let Some(response) = error_response_for(bytes, err.status_code(), &err.reason())
                {
                    self.transmit(from, response.to_bytes());
                }
                return;
            }
        };
        match &message.start {
            StartLine::Request { .. } => self.on_request(now, from, message),
            StartLine::Response { .. } => self.on_response(now, message),
        }
    }

    /// A request inside `dialog` with a fresh branch and our Via and Contact.
    fn in_dialog(
        &mut self,
        dialog: &mut Dialog,
        method: Method,
        ack_seq: Option<u32>,
    ) -> SipMessage {
        let branch = self.unique("z9hG4bK");
        dialog.request(
            method,
            &branch,
            &self.config.via_sent_by,
            &self.config.contact,
            ack_seq,
        )
    }

    fn transmit(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        self.outputs.push_back(UaOutput::Transmit { to, bytes });
    }

    fn event(&mut self, event: UaEvent) {
        self.outputs.push_back(UaOutput::Event(event));
    }

    fn on_request(&mut self, now: Instant, from: SocketAddr, request: SipMessage) {
        if let Err(err) = request.check_mandatory() {
            let mut response = response_to(&request, 400, &err.reason());
            self.stamp(&mut response);
            self.transmit(from, response.to_bytes());
            return;
        }
        let StartLine::Request { method, .. } = request.start.clone() else {
            return;
        };
        if method == Method::Ack {
            self.on_ack(now, &request);
            return;
        }
        let Some(key) = transaction_key(&request) else {
            let mut response = response_to(&request, 400, "Bad Request (no RFC 3261 branch)");
            self.stamp(&mut response);
            self.transmit(from, response.to_bytes());
            return;
        };
        if let Some((transaction, to)) = self.servers.get_mut(&key) {
            // A retransmission: the transaction resends what it last sent.
            let to = *to;
            transaction.handle_input(now, Input::Message(&request));
            self.drain_server(&key, to);
            return;
        }
        if method == Method::Invite {
            // An INVITE retransmitted after our 2xx ended its transaction (RFC 6026 §7.1):
            // it belongs to the call already answered; resend the 2xx, start no new call.
            let answered = self
                .calls
                .values()
                .find(|call| transaction_key(&call.invite).as_ref() == Some(&key))
                .map(|call| call.ok_retransmit.as_ref().map(|(bytes, ..)| bytes.clone()));
            if let Some(ok) = answered {
                if let Some(bytes) = ok {
                    self.transmit(from, bytes);
                }
                return;
            }
        }
        let transaction = ServerTransaction::new(now, &request, false);
        self.servers.insert(key.clone(), (transaction, from));
        self.drain_server(&key, from);
        match method {
            Method::Invite => self.on_invite(now, from, key, request),
            Method::Options => {
                let mut response = response_to(&request, 200, "OK");
                response.headers.push("Allow", ALLOWED);
                response.headers.push("Accept", "application/sdp");
                self.respond(now, &key, response);
            }
            Method::Bye => self.on_bye(now, &key, &request),
            Method::Cancel => self.on_cancel(now, &key, &request),
            _ => {
                let mut response = response_to(&request, 405, "Method Not Allowed");
                response.headers.push("Allow", ALLOWED);
                self.respond(now, &key, response);
            }
        }
    }

    fn on_invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: (String, Method),
        invite: SipMessage,
    ) {
        let existing = self.calls.iter().find_map(|(handle, call)| {
            call.dialog
                .as_ref()
                .filter(|dialog| dialog.matches(&invite, true))
                .map(|_| *handle)
        });
        if existing.is_some() {
            // Re-INVITE (hold/resume) belongs to the next step; refuse cleanly for now.
            let response = response_to(&invite, 488, "Not Acceptable Here");
            self.respond(now, &key, response);
            return;
        }
        let handle = self.new_handle();
        let local_tag = self.unique("");
        let mut ringing = response_to(&invite, 180, "Ringing");
        self.tag_response(&mut ringing, &local_tag);
        let from_header = invite.headers.get("From").unwrap_or_default().to_owned();
        let offer =
            (!invite.body.is_empty()).then(|| String::from_utf8_lossy(&invite.body).into_owned());
        self.calls.insert(
            handle,
            Call {
                state: CallState::IncomingRinging,
                remote: from,
                invite,
                local_tag,
                dialog: None,
                ok_retransmit: None,
            },
        );
        self.respond(now, &key, ringing);
        self.event(UaEvent::IncomingCall {
            call: handle,
            from: from_header,
            offer,
        });
    }

    /// Answers an incoming call with `sdp`.
    pub fn answer(&mut self, now: Instant, call: CallHandle, sdp: &str) -> bool {
        let Some(entry) = self.calls.get(&call) else {
            return false;
        };
        if entry.state != CallState::IncomingRinging {
            return false;
        }
        let (invite, local_tag) = (entry.invite.clone(), entry.local_tag.clone());
        let Ok(dialog) = Dialog::from_uas(&invite, &local_tag, 1, true) else {
            return false;
        };
        let mut ok = response_to(&invite, 200, "OK");
        self.tag_response(&mut ok, &local_tag);
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = sdp.as_bytes().to_vec();
        let bytes = ok.to_bytes();
        if let Some(key) = transaction_key(&invite) {
            self.respond(now, &key, ok);
        }
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.state = CallState::Connected;
            entry.dialog = Some(dialog);
            entry.ok_retransmit = Some((bytes, now + T1, T1, now + 64 * T1));
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
        let (invite, local_tag) = (entry.invite.clone(), entry.local_tag.clone());
        let mut response = response_to(&invite, code, reason);
        self.tag_response(&mut response, &local_tag);
        if let Some(key) = transaction_key(&invite) {
            self.respond(now, &key, response);
        }
        self.calls.remove(&call);
        self.event(UaEvent::Ended {
            call,
            reason: EndReason::Rejected(code),
        });
        true
    }

    /// Places a call to `uri` at `to` with the offer `sdp`.
    pub fn invite(&mut self, now: Instant, to: SocketAddr, uri: &str, sdp: &str) -> CallHandle {
        let handle = self.new_handle();
        let tag = self.unique("");
        let branch = self.unique("z9hG4bK");
        let call_id = self.unique("");
        let mut headers = Headers::default();
        headers.push(
            "Via",
            format!("SIP/2.0/{};branch={branch};rport", self.config.via_sent_by),
        );
        headers.push("Max-Forwards", "70");
        headers.push("From", format!("{};tag={tag}", self.config.local_uri));
        headers.push("To", format!("<{uri}>"));
        headers.push("Call-ID", call_id);
        headers.push("CSeq", "1 INVITE");
        headers.push("Contact", format!("<{}>", self.config.contact));
        headers.push("Allow", ALLOWED);
        headers.push("User-Agent", self.config.user_agent.clone());
        headers.push("Content-Type", "application/sdp");
        let invite = SipMessage {
            start: StartLine::Request {
                method: Method::Invite,
                uri: uri.to_owned(),
            },
            headers,
            body: sdp.as_bytes().to_vec(),
        };
        let transaction = ClientTransaction::new(now, invite.clone(), false);
        self.clients.insert(
            (branch.clone(), Method::Invite),
            (transaction, to, Some(handle)),
        );
        self.calls.insert(
            handle,
            Call {
                state: CallState::OutgoingTrying,
                remote: to,
                invite,
                local_tag: tag,
                dialog: None,
                ok_retransmit: None,
            },
        );
        self.drain_client(now, &(branch, Method::Invite));
        handle
    }

    /// Ends a connected call with BYE, or cancels one still ringing out.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> bool {
        let Some(entry) = self.calls.get_mut(&call) else {
            return false;
        };
        let remote = entry.remote;
        match (entry.state, entry.dialog.as_mut()) {
            (CallState::Connected, Some(dialog)) => {
                let mut dialog = dialog.clone();
                let bye = self.in_dialog(&mut dialog, Method::Bye, None);
                if let Some(entry) = self.calls.get_mut(&call) {
                    entry.dialog = Some(dialog);
                    entry.ok_retransmit = None;
                }
                // The dialog always writes an RFC 3261 branch, so the key exists.
                let key = transaction_key(&bye).unwrap_or((String::new(), Method::Bye));
                let transaction = ClientTransaction::new(now, bye, false);
                self.clients
                    .insert(key.clone(), (transaction, remote, None));
                self.drain_client(now, &key);
                self.calls.remove(&call);
                self.event(UaEvent::Ended {
                    call,
                    reason: EndReason::LocalHangup,
                });
                true
            }
            (CallState::OutgoingTrying, _) => {
                let cancel = cancel_for(&entry.invite);
                let branch = transaction_key(&entry.invite)
                    .map(|(branch, _)| branch)
                    .unwrap_or_default();
                let transaction = ClientTransaction::new(now, cancel, false);
                self.clients.insert(
                    (branch.clone(), Method::Cancel),
                    (transaction, remote, None),
                );
                self.drain_client(now, &(branch, Method::Cancel));
                true
            }
            (CallState::IncomingRinging, _) => self.reject(now, call, 603, "Decline"),
            _ => false,
        }
    }

    fn on_ack(&mut self, now: Instant, ack: &SipMessage) {
        if let Some(key) = transaction_key(ack)
            && let Some((transaction, to)) = self.servers.get_mut(&key)
        {
            let to = *to;
            transaction.handle_input(now, Input::Message(ack));
            self.drain_server(&key, to);
        }
        // The ACK of a 2xx ends its retransmission (§13.3.1.4).
        for call in self.calls.values_mut() {
            if call
                .dialog
                .as_ref()
                .is_some_and(|dialog| dialog.matches(ack, true))
            {
                call.ok_retransmit = None;
            }
        }
    }

    fn on_bye(&mut self, now: Instant, key: &(String, Method), bye: &SipMessage) {
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

    fn on_cancel(&mut self, now: Instant, key: &(String, Method), cancel: &SipMessage) {
        let invite_key = (key.0.clone(), Method::Invite);
        let ringing = self.calls.iter().find_map(|(handle, call)| {
            (call.state == CallState::IncomingRinging
                && transaction_key(&call.invite).as_ref() == Some(&invite_key))
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
            self.tag_response(&mut terminated, &call.local_tag);
            self.respond(now, &invite_key, terminated);
        }
        self.event(UaEvent::Ended {
            call: handle,
            reason: EndReason::Cancelled,
        });
    }

    fn on_response(&mut self, now: Instant, response: SipMessage) {
        let Some(key) = transaction_key(&response) else {
            return;
        };
        let Some((transaction, _, _)) = self.clients.get_mut(&key) else {
            // A 2xx retransmission after the INVITE transaction ended: ACK it again.
            self.reack(&response);
            return;
        };
        transaction.handle_input(now, Input::Message(&response));
        self.drain_client(now, &key);
    }

    fn reack(&mut self, response: &SipMessage) {
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
                .then(|| (dialog.clone(), call.remote))
        });
        if let Some((mut dialog, remote)) = found {
            let ack = self.in_dialog(&mut dialog, Method::Ack, Some(cseq.seq));
            self.transmit(remote, ack.to_bytes());
        }
    }

    /// Drives timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let server_keys: Vec<_> = self.servers.keys().cloned().collect();
        for key in server_keys {
            if let Some((transaction, to)) = self.servers.get_mut(&key)
                && transaction.poll_timeout().is_some_and(|at| at <= now)
            {
                let to = *to;
                transaction.handle_input(now, Input::Timeout);
                self.drain_server(&key, to);
            }
        }
        let client_keys: Vec<_> = self.clients.keys().cloned().collect();
        for key in client_keys {
            if let Some((transaction, _, _)) = self.clients.get_mut(&key)
                && transaction.poll_timeout().is_some_and(|at| at <= now)
            {
                transaction.handle_input(now, Input::Timeout);
                self.drain_client(now, &key);
            }
        }
        let mut resend = Vec::new();
        let mut gave_up = Vec::new();
        for (handle, call) in &mut self.calls {
            if let Some((bytes, at, interval, give_up)) = call.ok_retransmit.as_mut() {
                if now >= *give_up {
                    gave_up.push(*handle);
                } else if now >= *at {
                    resend.push((call.remote, bytes.clone()));
                    *interval = (*interval * 2).min(T2);
                    *at = now + *interval;
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
            if let Some(UaOutput::Event(UaEvent::Ended { reason, .. })) = self.outputs.back_mut() {
                *reason = EndReason::Timeout;
            }
        }
    }

    fn respond(&mut self, now: Instant, key: &(String, Method), mut response: SipMessage) {
        self.stamp(&mut response);
        if let Some((transaction, to)) = self.servers.get_mut(key) {
            let to = *to;
            transaction.handle_input(now, Input::Respond(response));
            self.drain_server(key, to);
        }
    }

    fn stamp(&self, response: &mut SipMessage) {
        response
            .headers
            .push("Server", self.config.user_agent.clone());
    }

    fn tag_response(&self, response: &mut SipMessage, tag: &str) {
        if let Some(to) = response.headers.get("To").map(str::to_owned)
            && transaction::to_tag(response).is_none()
        {
            response.headers.set("To", format!("{to};tag={tag}"));
        }
        response
            .headers
            .push("Contact", format!("<{}>", self.config.contact));
    }

    fn drain_server(&mut self, key: &(String, Method), to: SocketAddr) {
        let mut done = false;
        if let Some((transaction, _)) = self.servers.get_mut(key) {
            while let Some(output) = transaction.poll_output() {
                match output {
                    Output::Transmit(bytes) => {
                        self.outputs.push_back(UaOutput::Transmit { to, bytes })
                    }
                    Output::Terminated => done = true,
                    Output::Timeout => {
                        // Timer H: our failure response was never acknowledged; nothing to undo.
                    }
                    Output::Response(_) | Output::TransportError => {}
                }
            }
        }
        if done {
            self.servers.remove(key);
        }
    }

    fn drain_client(&mut self, now: Instant, key: &(String, Method)) {
        let mut responses = Vec::new();
        let mut done = false;
        let mut timed_out = false;
        let Some((transaction, to, call)) = self.clients.get_mut(key) else {
            return;
        };
        let (to, call) = (*to, *call);
        while let Some(output) = transaction.poll_output() {
            match output {
                Output::Transmit(bytes) => self.outputs.push_back(UaOutput::Transmit { to, bytes }),
                Output::Response(response) => responses.push(response),
                Output::Timeout | Output::TransportError => timed_out = true,
                Output::Terminated => done = true,
            }
        }
        if done {
            self.clients.remove(key);
        }
        let Some(handle) = call else { return };
        for response in responses {
            self.on_call_response(now, handle, &response);
        }
        if timed_out && self.calls.remove(&handle).is_some() {
            self.event(UaEvent::Ended {
                call: handle,
                reason: EndReason::Timeout,
            });
        }
    }

    fn on_call_response(&mut self, _now: Instant, handle: CallHandle, response: &SipMessage) {
        let StartLine::Response { code, .. } = response.start else {
            return;
        };
        let Some(call) = self.calls.get_mut(&handle) else {
            return;
        };
        match code {
            180 | 183 => self.event(UaEvent::Ringing { call: handle }),
            200..=299 => {
                let Ok(mut dialog) = Dialog::from_uac(&call.invite, response) else {
                    return;
                };
                let remote = call.remote;
                let seq = CSeq::parse(response.headers.get("CSeq").unwrap_or_default())
                    .map_or(1, |c| c.seq);
                let ack = self.in_dialog(&mut dialog, Method::Ack, Some(seq));
                if let Some(call) = self.calls.get_mut(&handle) {
                    call.dialog = Some(dialog);
                    call.state = CallState::Connected;
                }
                self.transmit(remote, ack.to_bytes());
                let answer = (!response.body.is_empty())
                    .then(|| String::from_utf8_lossy(&response.body).into_owned());
                self.event(UaEvent::Connected {
                    call: handle,
                    answer,
                });
            }
            300..=699 => {
                self.calls.remove(&handle);
                let reason = if code == 487 {
                    EndReason::Cancelled
                } else {
                    EndReason::Rejected(code)
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

/// CANCEL for an INVITE (§9.1): same Request-URI, Call-ID, From, To, top Via and CSeq number.
fn cancel_for(invite: &SipMessage) -> SipMessage {
    let mut headers = Headers::default();
    if let Some(via) = invite.headers.values("Via").first() {
        headers.push("Via", via.clone());
    }
    for name in ["Max-Forwards", "From", "To", "Call-ID", "Route"] {
        for value in invite.headers.get_all(name) {
            headers.push(name, value);
        }
    }
    let seq = invite
        .headers
        .get("CSeq")
        .and_then(|v| CSeq::parse(v).ok())
        .map_or(1, |c| c.seq);
    headers.push("CSeq", format!("{seq} CANCEL"));
    let uri = match &invite.start {
        StartLine::Request { uri, .. } => uri.clone(),
        StartLine::Response { .. } => String::new(),
    };
    SipMessage {
        start: StartLine::Request {
            method: Method::Cancel,
            uri,
        },
        headers,
        body: Vec::new(),
    }
}

/// A response to bytes that failed to parse, when enough of them can be read to route one
/// (the request line and Via/From/To/Call-ID/CSeq lines); `None` for responses and garbage.
fn error_response_for(bytes: &[u8], code: u16, reason: &str) -> Option<SipMessage> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    let first = lines.next()?;
    if first.starts_with("SIP/") {
        // Responses are never answered; a broken one is dropped (§18.1.2).
        return None;
    }
    let mut headers = Headers::default();
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = super::message::canonical_name(name.trim());
        if ["Via", "From", "To", "Call-ID", "CSeq"].contains(&name.as_str()) {
            headers.push(&name, value.trim());
        }
    }
    let complete = ["Via", "From", "To", "Call-ID", "CSeq"]
        .iter()
        .all(|name| headers.get(name).is_some());
    complete.then(|| SipMessage {
        start: StartLine::Response {
            code,
            reason: reason.to_owned(),
        },
        headers,
        body: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
