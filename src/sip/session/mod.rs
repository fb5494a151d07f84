//! The call-session core of a SIP account, sans-IO: the [`UserAgent`] plus everything a
//! call needs beyond SIP messages. It decides SDP offers and answers (codecs, SRTP keys,
//! hold directions), follows transfers and Replaces, retries a re-INVITE after glare
//! (491), ends a call whose media cannot be used, and routes requests through the outbound
//! proxy or the registrar. It never touches a socket or a clock: a driver feeds it
//! [`Input`]s with the time, carries out its [`Output`]s (send, resolve a name, bind RTP
//! ports) and wakes it at [`SessionCore::poll_timeout`]. Any transport that frames SIP
//! messages can drive it: UDP, TCP and TLS today, a libp2p stream for P2P calls.

mod api;
mod calls;
mod events;
mod forks;
mod media;
mod roam;
mod stun;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rand::SeedableRng as _;
use rand::rngs::StdRng;

pub use api::{BindError, Input, Output, ResolveError, ResolveId, SessionCommand, SessionEvent};

use crate::model::{CallId, DtmfMode, RegistrationState, SrtpPolicy};
use crate::sdp::Codec;
use crate::sip::ua::{EndReason, SubscriptionHandle, UaConfig, UaOutput, UserAgent};
use crate::sip::uri::address_of_record;
use calls::CallSlot;

/// Seconds asked for each subscription.
const SUBSCRIBE_EXPIRES: u32 = 600;
/// Peers whose reply address is remembered at most.
const MAX_REPLY_ADDRESSES: usize = 1024;

/// What the core needs to know about its account.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The UA's identity, Contact and Via.
    pub ua: UaConfig,
    /// Address of record (`sip:user@host`).
    pub aor: String,
    /// Registrar URI, when the account registers.
    pub registrar: Option<String>,
    /// Outbound proxy URI: every request outside a dialog goes there.
    pub outbound_proxy: Option<String>,
    /// Seconds of registration to ask for.
    pub register_expires: u32,
    /// Codecs in preference order.
    pub codecs: Vec<Codec>,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// How DTMF digits travel.
    pub dtmf: DtmfMode,
    /// Subscribe to our own message summary (voicemail waiting, RFC 3842).
    pub mwi: bool,
    /// Contacts whose presence to watch from the start.
    pub watch: Vec<String>,
    /// STUN server (`host[:port]`) to learn the public address from before registering
    /// (UDP only: on a stream transport the driver leaves it out).
    pub stun: Option<String>,
    /// Send INVITEs without SDP: the peer offers in its 2xx and we answer in the ACK
    /// (RFC 3264 §4), as some PBXs and gateways want.
    pub late_offer: bool,
    /// Answer calls as they come, here rather than after a round trip through the
    /// engine (which still hears of each call).
    pub auto_answer: bool,
    /// The transport's local address: its IP goes into SDP (unless STUN found a public
    /// one) and its port into the SDP session id.
    pub local: SocketAddr,
}

/// A request that needs a destination: the proxy's, or its URI's host resolved.
#[derive(Debug, Clone)]
enum Routed {
    Invite {
        call: CallId,
    },
    /// One leg of a forked call (its index among the call's legs).
    Leg {
        call: CallId,
        index: usize,
    },
    Message {
        id: u64,
        uri: String,
        text: String,
    },
    Watch {
        uri: String,
        event: &'static str,
    },
}

/// What a pending name resolution is for.
#[derive(Debug, Clone)]
enum Resolving {
    Stun,
    OutboundProxy(String),
    Registrar(String),
    Route(Routed),
}

/// One SIP account's call sessions, registration, subscriptions and messages.
#[derive(Debug)]
pub struct SessionCore {
    ua: UserAgent,
    config: SessionConfig,
    call_ids: Arc<AtomicU64>,
    rng: StdRng,
    calls: HashMap<CallId, CallSlot>,
    by_handle: HashMap<crate::sip::ua::CallHandle, CallId>,
    /// Where out-of-dialog requests go when the account has a proxy or registrar.
    proxy: Option<SocketAddr>,
    /// The proxy and registrar are being resolved: routed requests wait.
    starting: bool,
    waiting: Vec<Routed>,
    resolving: HashMap<ResolveId, Resolving>,
    next_resolve: u64,
    /// MESSAGEs in flight: the UA's id to the engine's.
    messages: HashMap<u64, u64>,
    /// Where each peer's last MESSAGE came from, by its URI: a reply goes there when there
    /// is no proxy (a peer's From names its address of record, often without its port).
    reply_to: HashMap<String, SocketAddr>,
    /// Our subscriptions: what each watches (the URI; our AOR for message-summary).
    subscriptions: HashMap<SubscriptionHandle, String>,
    /// The address STUN reported, used in SDP.
    public: Option<SocketAddr>,
    /// The last failure to send, for the user when a registration times out.
    last_send_error: Option<String>,
    /// Our presence is published to the proxy.
    publishing: bool,
    stopping: bool,
    /// The STUN Binding exchange before registering.
    stun: Option<stun::StunProbe>,
    /// After a move, until the registrar and the calls' peers are told: our old Contact.
    moved_from: Option<String>,
    outputs: VecDeque<Output>,
}

impl SessionCore {
    /// A core whose tags, branches and SRTP keys derive from `seed` (give it 32 bytes from
    /// the OS's generator; tests give a fixed one). Engine call ids for incoming calls come
    /// from `call_ids`, shared with the engine.
    pub fn new(config: SessionConfig, seed: [u8; 32], call_ids: Arc<AtomicU64>) -> SessionCore {
        let mut rng = StdRng::from_seed(seed);
        let mut ua = UserAgent::new(config.ua.clone(), rand::RngCore::next_u64(&mut rng));
        ua.set_outbound_proxy(config.outbound_proxy.is_some());
        SessionCore {
            ua,
            config,
            call_ids,
            rng,
            calls: HashMap::new(),
            by_handle: HashMap::new(),
            proxy: None,
            starting: false,
            waiting: Vec::new(),
            resolving: HashMap::new(),
            next_resolve: 1,
            messages: HashMap::new(),
            reply_to: HashMap::new(),
            subscriptions: HashMap::new(),
            public: None,
            last_send_error: None,
            publishing: false,
            stopping: false,
            stun: None,
            moved_from: None,
            outputs: VecDeque::new(),
        }
    }

    /// Takes one input; then drain [`SessionCore::poll_output`].
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        match input {
            Input::Start => self.start(now),
            // RFC 7983 §7: a first byte below 4 is STUN; SIP starts with a letter.
            Input::Datagram { bytes, .. } if crate::stun::is_stun(bytes) => {
                self.on_stun(now, bytes);
            }
            Input::Datagram { from, bytes } => self.ua.handle_datagram(now, from, bytes),
            Input::Command(command) => self.on_command(now, command),
            Input::Resolved { request, result } => self.on_resolved(now, request, result),
            Input::MediaBound { call, result } => self.on_media_bound(now, call, result),
            Input::SendFailed { to, error, stream } => {
                self.last_send_error = Some(format!("{to}: {error}"));
                if stream {
                    self.ua.transport_failed(now, to);
                }
            }
            Input::StreamClosed { to } => {
                self.last_send_error = Some(format!("{to}: the stream closed"));
                self.ua.stream_closed(now, to);
            }
            Input::MediaLost(call) => {
                let ringing_here = self
                    .calls
                    .get_mut(&call)
                    .map(|slot| {
                        slot.end_reason = Some(EndReason::ConnectionLost);
                        !slot.outgoing && !slot.media_started
                    })
                    .unwrap_or(false);
                match self.handle_of(call) {
                    // Not a decline (603): the callee could not be reached.
                    Some(handle) if ringing_here => {
                        self.ua.reject(now, handle, 480, "Temporarily Unavailable");
                    }
                    Some(handle) => {
                        self.ua.hangup(now, handle);
                    }
                    None => self.finish_call(call, EndReason::ConnectionLost),
                }
            }
            Input::Moved(local) => self.on_moved(now, local),
            Input::Timeout => {
                self.stun_timeout(now);
                self.ua.handle_timeout(now);
                self.retry_reoffers(now);
            }
        }
        self.pump(now);
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When to feed [`Input::Timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        let retries = self.calls.values().filter_map(|slot| slot.reoffer_retry_at);
        let stun = self.stun.as_ref().and_then(|probe| probe.next_at);
        self.ua
            .poll_timeout()
            .into_iter()
            .chain(retries)
            .chain(stun)
            .min()
    }

    /// Where out-of-dialog requests go, once known (the driver keeps that flow alive).
    pub fn proxy(&self) -> Option<SocketAddr> {
        self.proxy
    }

    /// The transport address a call's dialog runs over (where its INVITE came from or
    /// went), once it has one: a driver that multiplexes peers maps it back to the peer.
    pub fn call_remote(&self, call: CallId) -> Option<SocketAddr> {
        let handle = self.calls.get(&call)?.handle?;
        self.ua.call_remote(handle)
    }

    /// Whether `call` runs over `remote`, or (a forked call not answered yet) one of its
    /// legs went there: a media stream from that device may be its.
    pub fn call_reaches(&self, call: CallId, remote: SocketAddr) -> bool {
        self.call_remote(call) == Some(remote)
            || self
                .calls
                .get(&call)
                .is_some_and(|slot| slot.legs.iter().any(|leg| leg.destination == Some(remote)))
    }

    /// After [`SessionCommand::Stop`]: true once the binding is gone and every call ended.
    pub fn stopped(&self) -> bool {
        self.stopping && !self.ua.registering() && self.calls.is_empty()
    }

    /// Moves the UA's outputs out, handling its events (which may queue more).
    fn pump(&mut self, now: Instant) {
        for _ in 0..10_000 {
            let Some(output) = self.ua.poll_output() else {
                return;
            };
            match output {
                UaOutput::Transmit { to, bytes } => {
                    self.outputs.push_back(Output::Transmit { to, bytes });
                }
                UaOutput::Event(event) => self.on_ua_event(now, event),
            }
        }
    }

    fn emit(&mut self, event: SessionEvent) {
        self.outputs.push_back(Output::Event(event));
    }

    fn new_call_id(&self) -> CallId {
        CallId(self.call_ids.fetch_add(1, Ordering::Relaxed))
    }

    fn resolve(&mut self, target: &str, purpose: Resolving) {
        self.resolve_with_port(target, 5060, purpose);
    }

    fn resolve_with_port(&mut self, target: &str, default_port: u16, purpose: Resolving) {
        let request = ResolveId(self.next_resolve);
        self.next_resolve += 1;
        self.resolving.insert(request, purpose);
        self.outputs.push_back(Output::Resolve {
            request,
            target: target.to_owned(),
            default_port,
        });
    }

    /// Uses `address` (learnt by STUN) in Contact, Via and SDP.
    fn set_public_address(&mut self, address: SocketAddr) {
        self.ua.set_address(address);
        self.public = Some(address);
        self.emit(SessionEvent::PublicAddress(address));
    }

    /// Learns the public address by STUN, then resolves the outbound proxy, then the
    /// registrar; requests to route wait until all are known, as they go to the proxy
    /// when there is one.
    fn start(&mut self, now: Instant) {
        self.starting = true;
        if !self.start_stun() {
            self.after_stun(now);
        }
    }

    fn after_stun(&mut self, now: Instant) {
        if !self.starting {
            // A probe after a move.
            self.after_move(now);
            return;
        }
        if let Some(proxy) = self.config.outbound_proxy.clone() {
            self.resolve(&proxy, Resolving::OutboundProxy(proxy.clone()));
        } else {
            self.start_registration(now);
        }
    }

    fn start_registration(&mut self, now: Instant) {
        match self.config.registrar.clone() {
            Some(registrar) => self.resolve(&registrar, Resolving::Registrar(registrar.clone())),
            None => {
                self.emit(SessionEvent::Registration(RegistrationState::Registered));
                self.finish_start(now);
            }
        }
    }

    fn finish_start(&mut self, now: Instant) {
        self.starting = false;
        if self.config.mwi {
            let aor = self.config.aor.clone();
            self.watch(now, &aor, "message-summary");
        }
        for uri in self.config.watch.clone() {
            self.watch(now, &uri, "presence");
        }
        for routed in std::mem::take(&mut self.waiting) {
            self.route(now, routed);
        }
    }

    fn on_resolved(
        &mut self,
        now: Instant,
        request: ResolveId,
        result: Result<SocketAddr, ResolveError>,
    ) {
        let Some(purpose) = self.resolving.remove(&request) else {
            return;
        };
        match purpose {
            Resolving::Stun => self.on_stun_resolved(now, result),
            Resolving::OutboundProxy(uri) => {
                match result {
                    Ok(address) => self.proxy = Some(address),
                    Err(err) => {
                        self.emit(SessionEvent::Failed(format!("outbound proxy {uri}: {err}")))
                    }
                }
                self.start_registration(now);
            }
            Resolving::Registrar(registrar) => {
                match result {
                    Ok(address) => {
                        let to = *self.proxy.get_or_insert(address);
                        self.emit(SessionEvent::Registration(RegistrationState::Trying));
                        let uri = if registrar.starts_with("sip:") || registrar.starts_with("sips:")
                        {
                            registrar
                        } else {
                            format!("sip:{registrar}")
                        };
                        self.ua
                            .register(now, to, &uri, self.config.register_expires);
                    }
                    Err(err) => self.emit(SessionEvent::Registration(RegistrationState::Failed(
                        format!("registrar {registrar}: {err}"),
                    ))),
                }
                self.finish_start(now);
            }
            Resolving::Route(routed) => match result {
                Ok(to) => self.dispatch(now, routed, to),
                Err(err) => self.route_failed(now, routed, &err.to_string()),
            },
        }
    }

    /// Sends `routed` to the proxy when there is one, else to its URI's host.
    fn route(&mut self, now: Instant, routed: Routed) {
        if self.starting {
            self.waiting.push(routed);
            return;
        }
        if let Some(proxy) = self.proxy {
            self.dispatch(now, routed, proxy);
            return;
        }
        let target = match &routed {
            Routed::Invite { call } => match self.calls.get(call) {
                Some(slot) => slot.uri.clone(),
                None => return,
            },
            Routed::Leg { call, index } => {
                match self.calls.get(call).and_then(|slot| slot.legs.get(*index)) {
                    Some(leg) => leg.uri.clone(),
                    None => return,
                }
            }
            Routed::Message { uri, .. } => {
                if let Some(&source) = self.reply_to.get(&address_of_record(uri)) {
                    self.dispatch(now, routed, source);
                    return;
                }
                uri.clone()
            }
            Routed::Watch { uri, .. } => uri.clone(),
        };
        self.resolve(&target, Resolving::Route(routed));
    }

    /// Sends a routed request now that its destination is known.
    fn dispatch(&mut self, now: Instant, routed: Routed, to: SocketAddr) {
        match routed {
            Routed::Invite { call } => {
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.destination = Some(to);
                }
                self.try_invite(now, call);
            }
            Routed::Leg { call, index } => {
                if let Some(leg) = self
                    .calls
                    .get_mut(&call)
                    .and_then(|slot| slot.legs.get_mut(index))
                {
                    leg.destination = Some(to);
                }
                self.try_invite(now, call);
            }
            Routed::Message { id, uri, text } => {
                match self
                    .ua
                    .message(now, to, &uri, "text/plain;charset=UTF-8", &text)
                {
                    Some(ua_id) => {
                        self.messages.insert(ua_id, id);
                    }
                    None => {
                        self.message_failed(id, &uri, "the text is too long for one SIP MESSAGE")
                    }
                }
            }
            Routed::Watch { uri, event } => {
                let handle = self.ua.subscribe(now, to, &uri, event, SUBSCRIBE_EXPIRES);
                self.subscriptions.insert(handle, uri);
            }
        }
    }

    /// A request's destination could not be resolved.
    fn route_failed(&mut self, now: Instant, routed: Routed, error: &str) {
        match routed {
            Routed::Invite { call } => {
                // The error says what failed ("cannot resolve HOST: …", "HOST has no
                // address", a bad URI).
                self.call_failed(now, call, error)
            }
            Routed::Leg { call, index } => {
                tracing::info!(call = call.0, index, %error, "a fork of a call cannot be sent");
                self.leg_done(now, call, index, EndReason::Unreachable);
            }
            Routed::Message { id, uri, .. } => self.message_failed(id, &uri, error),
            Routed::Watch { uri, .. } => {
                self.emit(SessionEvent::Failed(format!("cannot watch {uri}: {error}")));
            }
        }
    }

    /// Remembers where `from`'s MESSAGE came from, for the reply (bounded: a flood of
    /// senders forgets the oldest table, not the memory).
    pub(super) fn learn_reply_address(&mut self, from: &str, source: SocketAddr) {
        let from = address_of_record(from);
        if self.reply_to.len() >= MAX_REPLY_ADDRESSES && !self.reply_to.contains_key(&from) {
            self.reply_to.clear();
        }
        self.reply_to.insert(from, source);
    }

    fn message_failed(&mut self, id: u64, uri: &str, error: &str) {
        // Said once, to whoever sent it (the window marks its bubble; ctl prints it).
        self.emit(SessionEvent::MessageSent {
            id,
            code: 400,
            error: Some(format!("message to {uri}: {error}")),
        });
    }

    fn watch(&mut self, now: Instant, uri: &str, event: &'static str) {
        self.route(
            now,
            Routed::Watch {
                uri: uri.to_owned(),
                event,
            },
        );
    }
}
