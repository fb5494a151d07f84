//! A SIP user agent core, sans-IO: transactions, dialogs, calls, registration and the
//! requests around calls (MESSAGE, INFO, REFER/NOTIFY) behind datagram input and output.
//! Tags, branches and Call-IDs come from a seeded counter the caller provides, so runs are
//! reproducible; the driver passes addresses and time in.
//!
//! Calls live in [`calls`], registration in [`register`], and the other requests in
//! [`requests`]; this file holds the types, the dispatch of what arrives, client
//! transactions with their digest-authentication retry, and timers.

mod api;
mod calls;
mod checks;
mod publish;
mod register;
mod requests;
mod servers;
mod streams;
mod subscribe;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::auth::{Challenge, Credentials};
use super::dialog::Dialog;
use super::header::CSeq;
use super::message::{Headers, Method, SipMessage, StartLine};
use super::transaction::{
    ClientTransaction, Input, Output, ServerTransaction, T2, response_to, transaction_key,
};
pub use api::{CallHandle, EndReason, UaConfig, UaCredentials, UaEvent, UaOutput};
pub use calls::split_refer_target;
use checks::{cancel_for, error_response_for, inspect};
use register::Registration;
pub use requests::MAX_MESSAGE_BODY;
pub use subscribe::{SubscriptionHandle, pidf, pidf_open, voice_messages};

/// Methods this UA answers, for Allow headers and 405 responses.
pub const ALLOWED: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    IncomingRinging,
    OutgoingTrying,
    Connected,
}

/// A 2xx resent until its ACK comes (§13.3.1.4).
#[derive(Debug, Clone)]
struct Retransmit {
    bytes: Vec<u8>,
    at: Instant,
    interval: Duration,
    give_up: Instant,
}

#[derive(Debug)]
struct Call {
    state: CallState,
    remote: SocketAddr,
    /// The INVITE (received or sent; for sent ones, the last one after auth retries).
    invite: SipMessage,
    /// Its transaction key, taken once: answering, a CANCEL and a retransmitted INVITE
    /// look the call up by it.
    invite_key: Option<Key>,
    /// Our tag (UAS) once chosen.
    local_tag: String,
    dialog: Option<Dialog>,
    /// Our 2xx (to the INVITE or a re-INVITE) waiting for its ACK.
    ok_retransmit: Option<Retransmit>,
    /// The peer's re-INVITE waiting for our answer: its transaction key and the request.
    pending_reoffer: Option<((String, Method), SipMessage)>,
    /// Our own re-INVITE is in flight.
    reinviting: bool,
    /// The ACK of our INVITE that had no offer: it carries our answer (RFC 3264 §4), and
    /// goes again for each retransmitted 2xx. `None` until the answer is given.
    late_ack: Option<Vec<u8>>,
}

/// What a client transaction was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Invite(CallHandle),
    ReInvite(CallHandle),
    /// BYE, CANCEL, INFO, NOTIFY: nothing to do with the outcome.
    Fire,
    Register,
    Message(u64),
    Refer(CallHandle),
    Subscribe(SubscriptionHandle),
    Publish,
}

#[derive(Debug)]
struct Pending {
    transaction: ClientTransaction,
    to: SocketAddr,
    purpose: Purpose,
    request: SipMessage,
    auth_tries: u8,
    /// When the request was first sent, and how often it went again after its stream
    /// closed.
    sent_at: Instant,
    resends: u8,
    /// An INVITE ringing at the other end whose stream closed: when (see `streams`).
    kept_at: Option<Instant>,
}

type Key = (String, Method);

/// The user agent core.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    counter: u64,
    next_call: u64,
    next_message: u64,
    servers: servers::Servers,
    clients: HashMap<Key, Pending>,
    calls: HashMap<CallHandle, Call>,
    registration: Option<Registration>,
    /// Subscriptions we hold.
    watching: HashMap<SubscriptionHandle, subscribe::Watching>,
    /// Watchers of our presence.
    watchers: HashMap<SubscriptionHandle, subscribe::Watcher>,
    /// Our presence: open or closed, and a note.
    presence: (bool, String),
    /// Our presence at a presence server, when we publish it.
    publication: Option<publish::Publication>,
    /// Uses of each server nonce, for `nc` (RFC 7616 §3.4).
    nonce_counts: HashMap<String, u32>,
    /// In-dialog requests go through the first hop too (see `set_outbound_proxy`).
    outbound_proxy: bool,
    outputs: VecDeque<UaOutput>,
}

impl UserAgent {
    /// A UA whose tags and branches derive from `seed`.
    pub fn new(config: UaConfig, seed: u64) -> UserAgent {
        UserAgent {
            config,
            counter: seed,
            next_call: 1,
            next_message: 1,
            servers: servers::Servers::default(),
            clients: HashMap::new(),
            calls: HashMap::new(),
            registration: None,
            watching: HashMap::new(),
            watchers: HashMap::new(),
            presence: (true, String::new()),
            publication: None,
            nonce_counts: HashMap::new(),
            outbound_proxy: false,
            outputs: VecDeque::new(),
        }
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.outputs.pop_front()
    }

    /// The earliest deadline of any transaction, 2xx retransmission or registration refresh.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let servers = self.servers.next_deadline();
        let clients = self
            .clients
            .values()
            .filter_map(|pending| pending.transaction.poll_timeout());
        let oks = self.calls.values().filter_map(|call| {
            call.ok_retransmit
                .as_ref()
                .map(|retransmit| retransmit.at.min(retransmit.give_up))
        });
        let refresh = self.registration.as_ref().and_then(|r| r.refresh_at);
        let subscriptions = self.subscription_deadlines();
        let publication = self.publication.as_ref().and_then(|p| p.refresh_at);
        servers
            .into_iter()
            .chain(publication)
            .chain(clients)
            .chain(oks)
            .chain(refresh)
            .chain(subscriptions)
            .min()
    }

    /// Where a call's dialog runs: the address its INVITE came from or went to.
    pub fn call_remote(&self, call: CallHandle) -> Option<SocketAddr> {
        self.calls.get(&call).map(|entry| entry.remote)
    }

    /// Uses `address` in Contact and Via from now on: the public address STUN learnt (so
    /// that peers behind the NAT's other side can reach us), or the new local address
    /// after a move.
    pub fn set_address(&mut self, address: SocketAddr) {
        let mut parts = self.config.via_sent_by.splitn(2, ' ');
        let (Some(transport), Some(old)) = (parts.next(), parts.next()) else {
            return;
        };
        let new = address.to_string();
        self.config.contact = self.config.contact.replace(old, &new);
        self.config.via_sent_by = format!("{transport} {new}");
    }

    /// Our Contact URI.
    pub fn contact(&self) -> &str {
        &self.config.contact
    }

    /// True on a stream transport (the Via names it): no retransmission by the
    /// transactions (§17.1.1.2), shorter waits in Completed.
    fn reliable(&self) -> bool {
        let transport = self
            .config
            .via_sent_by
            .split_whitespace()
            .next()
            .unwrap_or("UDP");
        !transport.eq_ignore_ascii_case("UDP")
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

    /// A request outside any dialog, from us to `uri` (§8.1.1), with a fresh Call-ID and tag.
    fn new_request(&mut self, method: Method, uri: &str, to: &str) -> SipMessage {
        let tag = self.unique("");
        let call_id = self.unique("");
        self.request_in(method, uri, to, &tag, &call_id, 1)
    }

    /// A request with the given identity (registration keeps its Call-ID and tag).
    fn request_in(
        &mut self,
        method: Method,
        uri: &str,
        to: &str,
        tag: &str,
        call_id: &str,
        seq: u32,
    ) -> SipMessage {
        let branch = self.unique("z9hG4bK");
        let mut headers = Headers::default();
        headers.push(
            "Via",
            format!("SIP/2.0/{};branch={branch};rport", self.config.via_sent_by),
        );
        headers.push("Max-Forwards", "70");
        headers.push("From", format!("{};tag={tag}", self.config.local_uri));
        headers.push("To", to);
        headers.push("Call-ID", call_id);
        headers.push("CSeq", format!("{seq} {method}"));
        headers.push("User-Agent", self.config.user_agent.clone());
        SipMessage {
            start: StartLine::Request {
                method,
                uri: uri.to_owned(),
            },
            headers,
            body: Vec::new(),
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

    /// Builds a request in `call`'s dialog (`None` when the call has no dialog).
    fn call_request(
        &mut self,
        call: CallHandle,
        method: Method,
    ) -> Option<(SipMessage, SocketAddr)> {
        let entry = self.calls.get(&call)?;
        let first_hop = entry.remote;
        let mut dialog = entry.dialog.clone()?;
        let request = self.in_dialog(&mut dialog, method, None);
        let to = self.dialog_hop(&dialog, first_hop);
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.dialog = Some(dialog);
        }
        Some((request, to))
    }

    /// Where a request inside `dialog` goes: on UDP, the first route of its route set, or
    /// else its remote target (RFC 3261 §12.2.1.1 and §8.1.2), when that names an IP
    /// address; otherwise (a name to resolve, a stream transport that keeps its
    /// connection, an outbound proxy that every request goes through) `first_hop`, where
    /// the dialog's first request went or came from.
    fn dialog_hop(&self, dialog: &Dialog, first_hop: SocketAddr) -> SocketAddr {
        if self.reliable() || self.outbound_proxy {
            return first_hop;
        }
        // A target of another address family, or off loopback when the dialog runs on it,
        // cannot be reached from the socket the dialog uses (linphone, for one, puts an
        // IPv6 address of another interface in its Contact).
        dialog
            .next_hop()
            .filter(|hop| {
                hop.is_ipv4() == first_hop.is_ipv4()
                    && hop.ip().is_loopback() == first_hop.ip().is_loopback()
            })
            .unwrap_or(first_hop)
    }

    /// Every request, in dialogs too, goes through the first hop (an outbound proxy,
    /// RFC 3261 §8.1.2) rather than to the dialog's remote target.
    pub fn set_outbound_proxy(&mut self, through_proxy: bool) {
        self.outbound_proxy = through_proxy;
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
        if method == Method::Invite && self.resend_answered_ok(from, &key) {
            return;
        }
        let transaction = ServerTransaction::new(now, &request, self.reliable());
        self.servers.insert(key.clone(), transaction, from);
        self.drain_server(&key, from);
        if let Some(refusal) = inspect(&request, &method) {
            self.respond(now, &key, refusal);
            return;
        }
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
            Method::Message => self.on_message(now, from, &key, &request),
            Method::Info => self.on_info(now, &key, &request),
            Method::Refer => self.on_refer(now, &key, &request),
            Method::Notify => {
                if !self.on_subscription_notify(now, &key, &request) {
                    self.on_notify(now, &key, &request);
                }
            }
            Method::Subscribe => self.on_subscribe(now, from, &key, &request),
            _ => {
                let mut response = response_to(&request, 405, "Method Not Allowed");
                response.headers.push("Allow", ALLOWED);
                self.respond(now, &key, response);
            }
        }
    }

    fn on_response(&mut self, now: Instant, response: SipMessage) {
        let Some(key) = transaction_key(&response) else {
            return;
        };
        let Some(pending) = self.clients.get_mut(&key) else {
            // A 2xx retransmission after the INVITE transaction ended: ACK it again.
            self.reack(&response);
            return;
        };
        pending
            .transaction
            .handle_input(now, Input::Message(&response));
        self.drain_client(now, &key);
    }

    /// Starts a client transaction for `request`.
    fn send_request(
        &mut self,
        now: Instant,
        to: SocketAddr,
        request: SipMessage,
        purpose: Purpose,
        auth_tries: u8,
    ) {
        let Some(key) = transaction_key(&request) else {
            return;
        };
        let transaction = ClientTransaction::new(now, request.clone(), self.reliable());
        self.clients.insert(
            key.clone(),
            Pending {
                transaction,
                to,
                purpose,
                request,
                auth_tries,
                sent_at: now,
                resends: 0,
                kept_at: None,
            },
        );
        self.drain_client(now, &key);
    }

    /// Drives timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        for key in self.servers.take_due(now) {
            if let Some((transaction, to)) = self.servers.get_mut(&key)
                && transaction.poll_timeout().is_some_and(|at| at <= now)
            {
                let to = *to;
                transaction.handle_input(now, Input::Timeout);
                self.drain_server(&key, to);
            }
        }
        let client_keys: Vec<_> = self
            .clients
            .iter()
            .filter(|(_, pending)| {
                pending
                    .transaction
                    .poll_timeout()
                    .is_some_and(|at| at <= now)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in client_keys {
            if let Some(pending) = self.clients.get_mut(&key)
                && pending
                    .transaction
                    .poll_timeout()
                    .is_some_and(|at| at <= now)
            {
                pending.transaction.handle_input(now, Input::Timeout);
                self.drain_client(now, &key);
            }
        }
        self.retransmit_oks(now);
        if self
            .registration
            .as_ref()
            .and_then(|r| r.refresh_at)
            .is_some_and(|at| at <= now)
        {
            self.refresh_registration(now);
        }
        if self.subscription_deadlines().is_some_and(|at| at <= now) {
            self.refresh_subscriptions(now);
        }
        if self
            .publication
            .as_ref()
            .and_then(|p| p.refresh_at)
            .is_some_and(|at| at <= now)
        {
            self.send_publish(now, false);
        }
    }

    fn respond(&mut self, now: Instant, key: &Key, mut response: SipMessage) {
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

    fn drain_server(&mut self, key: &Key, to: SocketAddr) {
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
        } else {
            self.servers.rearm(key);
        }
    }

    fn drain_client(&mut self, now: Instant, key: &Key) {
        let mut responses = Vec::new();
        let mut done = false;
        let mut timed_out = false;
        let Some(pending) = self.clients.get_mut(key) else {
            return;
        };
        let to = pending.to;
        while let Some(output) = pending.transaction.poll_output() {
            match output {
                Output::Transmit(bytes) => self.outputs.push_back(UaOutput::Transmit { to, bytes }),
                Output::Response(response) => responses.push(response),
                Output::Timeout | Output::TransportError => timed_out = true,
                Output::Terminated => done = true,
            }
        }
        let (purpose, request, auth_tries) =
            (pending.purpose, pending.request.clone(), pending.auth_tries);
        if done {
            self.clients.remove(key);
        }
        for response in responses {
            let StartLine::Response { code, .. } = response.start else {
                continue;
            };
            if matches!(code, 401 | 407)
                && self.retry_with_auth(now, to, purpose, &request, &response, auth_tries)
            {
                continue;
            }
            self.on_client_response(now, purpose, code, Some(&response));
        }
        if timed_out {
            self.on_client_response(now, purpose, 408, None);
        }
    }

    /// Routes the outcome of a client transaction to what started it. `response` is `None`
    /// for a timeout (reported as 408).
    fn on_client_response(
        &mut self,
        now: Instant,
        purpose: Purpose,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        match purpose {
            Purpose::Invite(call) => self.on_invite_response(call, code, response),
            Purpose::ReInvite(call) => self.on_reinvite_response(now, call, code, response),
            Purpose::Register => self.on_register_response(now, code, response),
            Purpose::Message(id) if code >= 200 => {
                self.event(UaEvent::MessageSent { id, code });
            }
            Purpose::Refer(call) if code >= 200 => {
                self.event(UaEvent::TransferProgress { call, code });
            }
            Purpose::Subscribe(handle) => {
                self.on_subscribe_response(now, handle, code, response);
            }
            Purpose::Publish => self.on_publish_response(now, code, response),
            Purpose::Message(_) | Purpose::Refer(_) | Purpose::Fire => {}
        }
    }

    /// Answers a 401/407 with credentials (RFC 3261 §22.2): the same request with the next
    /// CSeq, a new branch and an Authorization or Proxy-Authorization header. False when
    /// there is nothing to answer with, or the same credentials were already refused.
    fn retry_with_auth(
        &mut self,
        now: Instant,
        to: SocketAddr,
        purpose: Purpose,
        request: &SipMessage,
        response: &SipMessage,
        auth_tries: u8,
    ) -> bool {
        let Some(credentials) = self.config.credentials.clone() else {
            return false;
        };
        let StartLine::Response { code, .. } = response.start else {
            return false;
        };
        let (challenge_name, answer_name) = if code == 401 {
            ("WWW-Authenticate", "Authorization")
        } else {
            ("Proxy-Authenticate", "Proxy-Authorization")
        };
        let Some(challenge) = response
            .headers
            .get_all(challenge_name)
            .find_map(|value| Challenge::parse(value).ok())
        else {
            return false;
        };
        // A second challenge after an answer means the password is wrong, unless the
        // server says only the nonce went stale (§22.2); three tries bound the loop.
        if (auth_tries >= 1 && !challenge.stale) || auth_tries >= 3 {
            return false;
        }
        let StartLine::Request { method, uri } = &request.start else {
            return false;
        };
        let Some(cseq) = request
            .headers
            .get("CSeq")
            .and_then(|v| CSeq::parse(v).ok())
        else {
            return false;
        };
        let seq = cseq.seq.wrapping_add(1);
        let count = self
            .nonce_counts
            .entry(challenge.nonce.clone())
            .or_insert(0);
        *count += 1;
        let count = *count;
        let cnonce = self.unique("");
        let answer = challenge.answer(
            &Credentials {
                username: &credentials.username,
                password: &credentials.password,
            },
            method.as_str(),
            uri,
            count,
            &cnonce,
        );
        let branch = self.unique("z9hG4bK");
        let mut retry = request.clone();
        retry.headers.set(
            "Via",
            format!("SIP/2.0/{};branch={branch};rport", self.config.via_sent_by),
        );
        retry.headers.set("CSeq", format!("{seq} {method}"));
        retry.headers.set(answer_name, answer);
        match purpose {
            Purpose::Invite(call) => {
                if let Some(entry) = self.calls.get_mut(&call) {
                    entry.invite_key = transaction_key(&retry);
                    entry.invite = retry.clone();
                }
            }
            Purpose::Register => {
                if let Some(registration) = self.registration.as_mut() {
                    registration.seq = seq;
                }
            }
            Purpose::ReInvite(call) | Purpose::Refer(call) => {
                if let Some(dialog) = self.calls.get_mut(&call).and_then(|c| c.dialog.as_mut()) {
                    dialog.local_seq = dialog.local_seq.max(seq);
                }
            }
            Purpose::Subscribe(handle) => {
                if let Some(watching) = self.watching.get_mut(&handle) {
                    watching.retried(&retry, seq);
                }
            }
            Purpose::Message(_) | Purpose::Publish | Purpose::Fire => {}
        }
        self.send_request(now, to, retry, purpose, auth_tries + 1);
        true
    }
}

/// When to refresh what a 2xx granted (its Expires header, else what we asked for): at
/// three quarters of the time, at least a second on.
fn refresh_delay(response: &SipMessage, asked: u32) -> Duration {
    let granted = response
        .headers
        .get("Expires")
        .and_then(|value| value.trim().parse::<u32>().ok())
        .unwrap_or(asked);
    Duration::from_secs(u64::from(granted.max(2)) * 3 / 4)
}

/// Resends a 2xx that has waited `interval` without its ACK; doubles the wait up to T2.
fn next_retransmit(retransmit: &mut Retransmit, now: Instant) {
    retransmit.interval = (retransmit.interval * 2).min(T2);
    retransmit.at = now + retransmit.interval;
}

#[cfg(test)]
mod tests;
