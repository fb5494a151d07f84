//! One SIP account's driver: a socket (UDP, or a TCP listener with its connections), the
//! sans-IO [`UserAgent`], and a task that
//! waits on the socket, the engine's commands or the core's next deadline. It resolves
//! where requests go (outbound proxy, registrar, or the URI's host by DNS), builds SDP
//! offers and answers for calls, holds and resumes by re-INVITE, and carries out
//! transfers the peer asks for. RTP comes with the media engine: the SDP names the port
//! the media engine will use.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use super::sip_tcp::TcpTransport;
use crate::model::SipTransport;
use tokio::sync::mpsc;

use crate::media::stream::{RtpSockets, SrtpKeys, StreamParams};
use crate::model::DtmfMode;
use crate::model::{AccountId, CallId, RegistrationState, SrtpPolicy};
use crate::sdp::{self, Codec, Direction, LocalMedia, Negotiated, SessionDescription};
use crate::sip::SipUri;
use crate::sip::ua::{
    CallHandle, EndReason, SubscriptionHandle, UaConfig, UaCredentials, UaEvent, UaOutput,
    UserAgent, pidf_open, split_refer_target, voice_messages,
};

/// Seconds asked for each subscription.
const SUBSCRIBE_EXPIRES: u32 = 600;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// How often connections (TCP, TLS) and, behind a proxy, UDP flows are kept alive with
/// a double CRLF (RFC 5626 §4.4.1 suggests 95–120 s for TCP; NATs drop idle UDP sooner).
const KEEP_ALIVE: Duration = Duration::from_secs(25);
/// How long a stopping driver waits for its un-REGISTER and BYEs to be answered.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// What the engine asks of an account's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverCommand {
    /// Place a call.
    Invite {
        /// Engine call id.
        call: CallId,
        /// Request-URI.
        uri: String,
    },
    /// Answer a ringing call.
    Answer(CallId),
    /// Refuse a ringing call with a status code.
    Reject(CallId, u16),
    /// End or cancel a call.
    Hangup(CallId),
    /// Put a call on hold (`true`) or resume it.
    Hold(CallId, bool),
    /// Blind transfer: ask the peer to call `target`.
    Transfer {
        /// The call to transfer.
        call: CallId,
        /// Where to.
        target: String,
    },
    /// Attended transfer: ask the peer of `call` to replace `other`.
    AttendedTransfer {
        /// The call whose peer is transferred.
        call: CallId,
        /// The call it replaces.
        other: CallId,
    },
    /// Send DTMF digits by SIP INFO.
    Dtmf {
        /// The call.
        call: CallId,
        /// Digits.
        digits: String,
    },
    /// Send a MESSAGE.
    Message {
        /// Engine's id for the outcome.
        id: u64,
        /// Recipient.
        uri: String,
        /// Text.
        text: String,
    },
    /// Watch the presence of `uri` (SUBSCRIBE presence).
    Watch {
        /// The contact's URI.
        uri: String,
    },
    /// Publish our presence to our watchers.
    SetPresence {
        /// Available.
        open: bool,
        /// A note (“in a meeting”).
        note: String,
    },
    /// Stop the driver (un-REGISTER, hang up calls).
    Stop,
}

/// What a driver tells the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverEvent {
    /// Registration state changed.
    Registration(RegistrationState),
    /// A call arrived.
    Incoming {
        /// Engine call id.
        call: CallId,
        /// The caller's From value.
        from: String,
        /// The call it replaces (attended transfer), already being ended.
        replaces: Option<CallId>,
    },
    /// The driver placed a call by itself (a transfer the peer asked for).
    Outgoing {
        /// Engine call id.
        call: CallId,
        /// Who.
        peer: String,
        /// The call whose peer asked for it.
        transfer_of: CallId,
    },
    /// The far end rings.
    Ringing(CallId),
    /// The call is up.
    Connected(CallId),
    /// Offer/answer settled a call's audio (first time: start it; later: update it).
    Media {
        /// The call.
        call: CallId,
        /// Its sockets, bound when the first SDP was written.
        sockets: SharedSockets,
        /// What was agreed.
        params: StreamParams,
    },
    /// Hold state changed.
    Hold {
        /// The call.
        call: CallId,
        /// We hold it.
        local: bool,
        /// The peer holds it.
        remote: bool,
    },
    /// A DTMF digit arrived.
    Dtmf {
        /// The call.
        call: CallId,
        /// The digit.
        digit: char,
    },
    /// Progress of a transfer we asked for (202, then the transferee's status codes).
    Transfer {
        /// The call.
        call: CallId,
        /// Status code.
        code: u16,
    },
    /// The call ended.
    Ended(CallId, EndReason),
    /// A MESSAGE arrived.
    MessageReceived {
        /// The sender's URI.
        from: String,
        /// Text.
        text: String,
    },
    /// Outcome of a MESSAGE we sent.
    MessageSent {
        /// The engine's id.
        id: u64,
        /// Final status code.
        code: u16,
    },
    /// A watched contact's presence: `Some(true)` available, `Some(false)` not, `None`
    /// unknown (the subscription failed).
    Presence {
        /// The contact's URI.
        uri: String,
        /// Its state.
        open: Option<bool>,
    },
    /// Voice messages waiting (new, old), from message-summary NOTIFYs.
    Voicemail {
        /// New messages.
        new: u32,
        /// Old messages.
        old: u32,
    },
    /// The public address STUN reported.
    PublicAddress(SocketAddr),
    /// A command could not be carried out.
    Failed(String),
}

/// A driver event with its account and the time it happened: call durations are taken
/// from these, not from when a busy engine gets to them.
#[derive(Debug, Clone)]
pub struct DriverReport {
    /// The account.
    pub account: AccountId,
    /// What happened.
    pub event: DriverEvent,
    /// When.
    pub at: std::time::SystemTime,
}

/// The engine's handle on a running driver.
#[derive(Debug)]
pub struct SipDriver {
    commands: mpsc::UnboundedSender<DriverCommand>,
    /// The address the socket is bound to.
    pub local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SipDriver {
    /// Sends a command; false when the driver has stopped.
    pub fn send(&self, command: DriverCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Asks the driver to stop; the handle finishes when it has.
    pub fn stop(self) -> tokio::task::JoinHandle<()> {
        self.commands.send(DriverCommand::Stop).ok();
        self.task
    }
}

/// What a driver needs to know about its account.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The account.
    pub account: AccountId,
    /// Address of record (`sip:user@host`).
    pub aor: String,
    /// Registrar URI, when the account registers.
    pub registrar: Option<String>,
    /// Outbound proxy URI: every request outside a dialog goes there.
    pub outbound_proxy: Option<String>,
    /// Digest credentials.
    pub credentials: Option<UaCredentials>,
    /// Seconds of registration to ask for.
    pub register_expires: u32,
    /// Codecs in preference order.
    pub codecs: Vec<Codec>,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Subscribe to our own message summary (voicemail waiting, RFC 3842).
    pub mwi: bool,
    /// Contacts whose presence to watch from the start.
    pub watch: Vec<String>,
    /// UDP, TCP or TLS.
    pub transport: SipTransport,
    /// STUN server (`host[:port]`) to learn the public address from (UDP only).
    pub stun: Option<String>,
    /// Extra CA certificates (PEM) for TLS.
    pub tls_ca: Option<std::path::PathBuf>,
    /// How DTMF digits travel.
    pub dtmf: DtmfMode,
}

/// A call's RTP sockets, shared between the driver (which names the port in SDP) and the
/// media thread (which reads and writes them). Equal when they are the same sockets.
#[derive(Debug, Clone)]
pub struct SharedSockets(pub Arc<RtpSockets>);

impl PartialEq for SharedSockets {
    fn eq(&self, other: &SharedSockets) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedSockets {}

/// The account's socket.
#[derive(Debug)]
enum SipSocket {
    Udp(UdpSocket),
    Tcp(TcpTransport),
}

impl SipSocket {
    /// The next message and who sent it; `None` for a receive error worth only a log line
    /// (on Linux, ICMP port-unreachable surfaces on the UDP socket). Cancel-safe.
    async fn recv(&mut self, buffer: &mut [u8]) -> Option<(SocketAddr, Vec<u8>)> {
        match self {
            SipSocket::Udp(socket) => match socket.recv_from(buffer).await {
                Ok((len, from)) => Some((from, buffer.get(..len).unwrap_or_default().to_vec())),
                Err(err) => {
                    tracing::debug!(%err, "SIP socket receive error");
                    None
                }
            },
            SipSocket::Tcp(transport) => Some(transport.recv().await),
        }
    }

    async fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            SipSocket::Udp(socket) => socket.send_to(bytes, to).await.map(|_| ()),
            SipSocket::Tcp(transport) => transport.send(to, bytes).await,
        }
    }
}

/// Binds `listen` and starts the driver on the current tokio runtime.
pub fn start(
    listen: SocketAddr,
    config: DriverConfig,
    seed: u64,
    call_ids: Arc<AtomicU64>,
    events: mpsc::UnboundedSender<DriverReport>,
) -> std::io::Result<SipDriver> {
    let (socket, local, transport) = match config.transport {
        SipTransport::Tcp => {
            let transport = TcpTransport::bind(listen)?;
            let local = transport.local_addr()?;
            (SipSocket::Tcp(transport), local, "TCP")
        }
        SipTransport::Tls => {
            let tls = super::sip_tcp::tls_client_config(config.tls_ca.as_deref())
                .map_err(std::io::Error::other)?;
            let transport = TcpTransport::tls_client(listen, tls);
            (SipSocket::Tcp(transport), listen, "TLS")
        }
        SipTransport::Udp => {
            let std_socket = std::net::UdpSocket::bind(listen)?;
            std_socket.set_nonblocking(true)?;
            let socket = UdpSocket::from_std(std_socket)?;
            let local = socket.local_addr()?;
            (SipSocket::Udp(socket), local, "UDP")
        }
    };
    let contact_params = if transport == "TCP" {
        ";transport=tcp"
    } else {
        ""
    };
    let user = SipUri::parse(&config.aor)
        .ok()
        .and_then(|uri| uri.user)
        .unwrap_or_else(|| "ringlet".to_owned());
    let ua = UserAgent::new(
        UaConfig {
            local_uri: format!("<{}>", config.aor),
            contact: format!("sip:{user}@{local}{contact_params}"),
            via_sent_by: format!("{transport} {local}"),
            user_agent: format!("Ringlet/{}", env!("CARGO_PKG_VERSION")),
            credentials: config.credentials.clone(),
        },
        seed,
    );
    let (commands, inbox) = mpsc::unbounded_channel();
    let driver = Driver {
        socket,
        local,
        ua,
        config,
        call_ids,
        events,
        calls: HashMap::new(),
        by_handle: HashMap::new(),
        proxy: None,
        messages: HashMap::new(),
        subscriptions: HashMap::new(),
        public: None,
        last_send_error: None,
        publishing: false,
    };
    let task = tokio::spawn(driver.run(inbox));
    Ok(SipDriver {
        commands,
        local,
        task,
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the driver is where the SIP core's clock is read"
)]
fn now() -> Instant {
    Instant::now()
}

/// What the driver keeps per call.
#[derive(Debug, Default)]
struct CallSlot {
    handle: Option<CallHandle>,
    /// The peer's offer, until we answer.
    offer: Option<String>,
    /// SDP `o=` version: each new offer or answer of ours counts up (RFC 3264 §8).
    sdp_version: u64,
    held_locally: bool,
    held_remotely: bool,
    /// A transfer the peer of this other call asked for: we report to it by NOTIFY.
    transfer_of: Option<CallHandle>,
    /// The call this one replaces (attended transfer, incoming).
    replaces: Option<CallHandle>,
    /// RTP and RTCP sockets, bound with the first SDP.
    rtp: Option<Arc<RtpSockets>>,
    /// The SRTP key and direction of our last offer, to read its answer with.
    offered: Option<(String, Direction)>,
}

struct Driver {
    socket: SipSocket,
    local: SocketAddr,
    ua: UserAgent,
    config: DriverConfig,
    call_ids: Arc<AtomicU64>,
    events: mpsc::UnboundedSender<DriverReport>,
    calls: HashMap<CallId, CallSlot>,
    by_handle: HashMap<CallHandle, CallId>,
    /// Where out-of-dialog requests go when the account has a proxy or registrar.
    proxy: Option<SocketAddr>,
    /// MESSAGEs in flight: the UA's id to the engine's.
    messages: HashMap<u64, u64>,
    /// Our subscriptions: what each watches (the URI; our AOR for message-summary).
    subscriptions: HashMap<SubscriptionHandle, String>,
    /// The address STUN reported, used in SDP.
    public: Option<SocketAddr>,
    /// The last failure to send, for the user when a registration times out.
    last_send_error: Option<String>,
    /// Our presence is published to the proxy.
    publishing: bool,
}

impl Driver {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<DriverCommand>) {
        self.learn_public_address().await;
        self.start_registration().await;
        self.start_subscriptions().await;
        self.flush().await;
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        let mut stopping: Option<Instant> = None;
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        keep_alive.reset();
        loop {
            let deadline = match (self.ua.poll_timeout(), stopping) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tokio::select! {
                received = self.socket.recv(&mut buffer) => {
                    if let Some((from, bytes)) = received {
                        tracing::debug!(%from, "SIP in: {}", first_line(&bytes));
                        self.ua.handle_datagram(now(), from, &bytes);
                    }
                }
                command = inbox.recv(), if stopping.is_none() => match command {
                    None | Some(DriverCommand::Stop) => stopping = Some(self.begin_stop()),
                    Some(command) => self.on_command(command).await,
                },
                () = sleep_until(deadline), if deadline.is_some() => self.ua.handle_timeout(now()),
                _ = keep_alive.tick() => self.keep_alive().await,
            }
            self.flush().await;
            if let Some(at) = stopping
                && (now() >= at || (!self.ua.registering() && self.calls.is_empty()))
            {
                break;
            }
        }
        self.flush().await;
    }

    /// Pings the connections (TCP, TLS) or, on UDP, the proxy we register through.
    async fn keep_alive(&mut self) {
        match &mut self.socket {
            SipSocket::Tcp(transport) => transport.keep_alive().await,
            SipSocket::Udp(socket) => {
                if let Some(proxy) = self.proxy
                    && let Err(err) = socket.send_to(b"\r\n\r\n", proxy).await
                {
                    tracing::debug!(%err, "keep-alive failed");
                }
            }
        }
    }

    /// Hangs up every call and removes the binding; returns when to give up waiting.
    fn begin_stop(&mut self) -> Instant {
        let now = now();
        let handles: Vec<CallHandle> = self.by_handle.keys().copied().collect();
        for handle in handles {
            self.ua.hangup(now, handle);
        }
        self.ua.unregister(now);
        now + STOP_GRACE
    }

    /// Sends what the UA queued and handles its events (which may queue more).
    async fn flush(&mut self) {
        while let Some(output) = self.ua.poll_output() {
            match output {
                UaOutput::Transmit { to, bytes } => {
                    tracing::debug!(%to, "SIP out: {}", first_line(&bytes));
                    if let Err(err) = self.socket.send(to, &bytes).await {
                        tracing::debug!(%err, %to, "SIP send failed");
                        self.last_send_error = Some(format!("{to}: {err}"));
                        if matches!(self.socket, SipSocket::Tcp(_)) {
                            self.ua.transport_failed(now(), to);
                        }
                    }
                }
                UaOutput::Event(event) => self.on_ua_event(event).await,
            }
        }
    }

    fn emit(&self, event: DriverEvent) {
        // The engine going away ends the driver at the next command.
        self.events
            .send(DriverReport {
                account: self.config.account.clone(),
                event,
                at: std::time::SystemTime::now(),
            })
            .ok();
    }

    async fn start_registration(&mut self) {
        if let Some(proxy) = self.config.outbound_proxy.clone() {
            match self.resolve_server(&proxy).await {
                Ok(address) => self.proxy = Some(address),
                Err(err) => self.emit(DriverEvent::Failed(format!("outbound proxy: {err}"))),
            }
        }
        let Some(registrar) = self.config.registrar.clone() else {
            self.emit(DriverEvent::Registration(RegistrationState::Registered));
            return;
        };
        match self.resolve_server(&registrar).await {
            Ok(address) => {
                let to = *self.proxy.get_or_insert(address);
                self.emit(DriverEvent::Registration(RegistrationState::Trying));
                let uri = if registrar.starts_with("sip:") || registrar.starts_with("sips:") {
                    registrar
                } else {
                    format!("sip:{registrar}")
                };
                self.ua
                    .register(now(), to, &uri, self.config.register_expires);
            }
            Err(err) => self.emit(DriverEvent::Registration(RegistrationState::Failed(
                format!("registrar {registrar}: {err}"),
            ))),
        }
    }

    /// Asks the STUN server for our public address (RFC 5389 §7.2.1: retransmissions at
    /// 500 ms, 1 s, 2 s) and uses it in Contact, Via and SDP. Without an answer the
    /// account goes on with its local address.
    async fn learn_public_address(&mut self) {
        let Some(server) = self.config.stun.clone() else {
            return;
        };
        if !matches!(self.socket, SipSocket::Udp(_)) {
            tracing::info!(%server, "STUN is used on UDP accounts only");
            return;
        }
        let to = match resolve_with_default(&server, 3478).await {
            Ok(to) => to,
            Err(err) => {
                self.emit(DriverEvent::Failed(format!("STUN server {server}: {err}")));
                return;
            }
        };
        let mut transaction = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut transaction);
        let request = crate::stun::binding_request(&transaction);
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        let mut wait = Duration::from_millis(500);
        for _ in 0..3 {
            if let Err(err) = self.socket.send(to, &request).await {
                tracing::debug!(%err, "STUN send failed");
            }
            let deadline = now() + wait;
            while let Ok(received) =
                tokio::time::timeout_at(deadline.into(), self.socket.recv(&mut buffer)).await
            {
                let Some((from, bytes)) = received else {
                    continue;
                };
                if !crate::stun::is_stun(&bytes) {
                    // SIP that came early (a call): the UA takes it as usual.
                    self.ua.handle_datagram(now(), from, &bytes);
                    continue;
                }
                match crate::stun::parse_binding_response(&bytes, &transaction) {
                    Ok(mapped) => {
                        tracing::info!(%mapped, %server, "public address learnt by STUN");
                        self.ua.set_public_address(mapped);
                        self.public = Some(mapped);
                        self.emit(DriverEvent::PublicAddress(mapped));
                        return;
                    }
                    Err(err) => tracing::debug!(%err, "STUN answer ignored"),
                }
            }
            wait *= 2;
        }
        self.emit(DriverEvent::Failed(format!(
            "no answer from the STUN server {server}; using the local address"
        )));
    }

    async fn start_subscriptions(&mut self) {
        if self.config.mwi {
            let aor = self.config.aor.clone();
            self.watch(&aor, "message-summary").await;
        }
        for uri in self.config.watch.clone() {
            self.watch(&uri, "presence").await;
        }
    }

    async fn watch(&mut self, uri: &str, event: &str) {
        match self.route(uri).await {
            Ok(to) => {
                let handle = self.ua.subscribe(now(), to, uri, event, SUBSCRIBE_EXPIRES);
                self.subscriptions.insert(handle, uri.to_owned());
            }
            Err(err) => self.emit(DriverEvent::Failed(format!("cannot watch {uri}: {err}"))),
        }
    }

    /// Where a request to `uri` goes: the proxy when there is one, else the URI's host.
    async fn route(&mut self, uri: &str) -> Result<SocketAddr, String> {
        match self.proxy {
            Some(proxy) => Ok(proxy),
            None => self.resolve_server(uri).await,
        }
    }

    /// Resolves a server and, on TLS, remembers the name its certificate must carry.
    async fn resolve_server(&mut self, uri: &str) -> Result<SocketAddr, String> {
        let address = resolve(uri).await?;
        if let SipSocket::Tcp(transport) = &mut self.socket
            && let Some(host) = uri_host(uri)
        {
            transport.set_server_name(address, &host);
        }
        Ok(address)
    }

    fn local_media<'a>(
        &'a self,
        key: &'a str,
        direction: Direction,
        version: u64,
        port: u16,
    ) -> LocalMedia<'a> {
        LocalMedia {
            address: "",
            port,
            codecs: &self.config.codecs,
            direction,
            srtp: self.config.srtp,
            srtp_key: key,
            session: (u64::from(self.local.port()), version),
        }
    }

    /// An offer or answer for `call` in its current hold state. An answer settles the
    /// media at once and is reported; an offer is remembered until its answer comes.
    fn sdp_for(
        &mut self,
        call: CallId,
        offer: Option<&SessionDescription>,
    ) -> Result<String, String> {
        // A fresh SRTP master key and salt per offer or answer (RFC 4568: 30 bytes for AES_CM).
        let mut key_bytes = [0u8; 30];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key_bytes);
        let key = data_encoding::BASE64.encode(&key_bytes);
        let bind_ip = self.local.ip();
        let seed = rand::RngCore::next_u64(&mut rand::rngs::OsRng);
        let slot = self.calls.entry(call).or_default();
        let sockets = match &slot.rtp {
            Some(sockets) => sockets.clone(),
            None => {
                let sockets = Arc::new(
                    RtpSockets::bind(bind_ip, seed)
                        .map_err(|err| format!("cannot bind RTP ports: {err}"))?,
                );
                slot.rtp = Some(sockets.clone());
                sockets
            }
        };
        slot.sdp_version += 1;
        let version = slot.sdp_version;
        let direction = if slot.held_locally {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let address = self.public.unwrap_or(self.local).ip().to_string();
        let mut local = self.local_media(&key, direction, version, sockets.port());
        local.address = &address;
        match offer {
            None => {
                let sdp = sdp::build_offer(&local).to_string();
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.offered = Some((key.clone(), direction));
                }
                Ok(sdp)
            }
            Some(offer) => {
                let answer = sdp::answer_offer(offer, &local).map_err(|err| err.to_string())?;
                let sdp = answer.sdp.to_string();
                self.start_media(call, &answer.media);
                Ok(sdp)
            }
        }
    }

    /// Reads the peer's answer to our last offer and reports the media it settles.
    fn on_answer(&mut self, call: CallId, answer: &str) {
        let Some((key, direction)) = self.calls.get(&call).and_then(|slot| slot.offered.clone())
        else {
            return;
        };
        let local = self.local_media(&key, direction, 0, 0);
        let result = SessionDescription::parse(answer)
            .map_err(|err| err.to_string())
            .and_then(|sdp| sdp::read_answer(&sdp, &local).map_err(|err| err.to_string()));
        match result {
            Ok(media) => self.start_media(call, &media),
            Err(err) => self.emit(DriverEvent::Failed(format!(
                "call {}: unusable SDP answer: {err}",
                call.0
            ))),
        }
    }

    /// Reports agreed media to the engine, which hands it to the media thread.
    fn start_media(&mut self, call: CallId, media: &Negotiated) {
        let Some(sockets) = self.calls.get(&call).and_then(|slot| slot.rtp.clone()) else {
            return;
        };
        // Our hold offers sendonly (RFC 3264 §8.4, room for music on hold), but the user's
        // microphone goes silent and the peer is not heard while the call is held.
        let held = self.calls.get(&call).is_some_and(|slot| slot.held_locally);
        match stream_params(media, self.config.dtmf) {
            Ok(mut params) => {
                if held {
                    params.send = false;
                    params.receive = false;
                }
                self.emit(DriverEvent::Media {
                    call,
                    sockets: SharedSockets(sockets),
                    params,
                });
            }
            Err(err) => self.emit(DriverEvent::Failed(format!("call {}: {err}", call.0))),
        }
    }

    fn handle_of(&self, call: CallId) -> Option<CallHandle> {
        self.calls.get(&call).and_then(|slot| slot.handle)
    }

    async fn place(
        &mut self,
        call: CallId,
        uri: &str,
        replaces: Option<&str>,
    ) -> Result<CallHandle, String> {
        let to = self.route(uri).await?;
        let offer = self.sdp_for(call, None)?;
        let handle = self.ua.invite(now(), to, uri, &offer, replaces);
        self.calls.entry(call).or_default().handle = Some(handle);
        self.by_handle.insert(handle, call);
        Ok(handle)
    }

    async fn on_command(&mut self, command: DriverCommand) {
        let now = now();
        match command {
            DriverCommand::Invite { call, uri } => {
                if let Err(err) = self.place(call, &uri, None).await {
                    self.calls.remove(&call);
                    self.emit(DriverEvent::Failed(format!("cannot call {uri}: {err}")));
                    self.emit(DriverEvent::Ended(call, EndReason::Rejected(404)));
                }
            }
            DriverCommand::Answer(call) => self.answer(call),
            DriverCommand::Reject(call, code) => {
                if let Some(handle) = self.handle_of(call) {
                    let reason = if code == 486 { "Busy Here" } else { "Decline" };
                    self.ua.reject(now, handle, code, reason);
                }
            }
            DriverCommand::Hangup(call) => {
                if let Some(handle) = self.handle_of(call) {
                    self.ua.hangup(now, handle);
                }
            }
            DriverCommand::Hold(call, hold) => {
                let Some(handle) = self.handle_of(call) else {
                    return;
                };
                let was = self.calls.get(&call).is_some_and(|slot| slot.held_locally);
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.held_locally = hold;
                }
                let sent = self
                    .sdp_for(call, None)
                    .is_ok_and(|offer| self.ua.reinvite(now, handle, &offer));
                if !sent {
                    if let Some(slot) = self.calls.get_mut(&call) {
                        slot.held_locally = was;
                    }
                    self.emit(DriverEvent::Failed(format!(
                        "call {}: cannot {} now",
                        call.0,
                        if hold { "hold" } else { "resume" }
                    )));
                }
            }
            DriverCommand::Transfer { call, target } => {
                let sent = self
                    .handle_of(call)
                    .is_some_and(|handle| self.ua.refer(now, handle, target.trim()));
                if !sent {
                    self.emit(DriverEvent::Failed(format!(
                        "call {}: cannot transfer",
                        call.0
                    )));
                }
            }
            DriverCommand::AttendedTransfer { call, other } => {
                let target = self
                    .handle_of(other)
                    .and_then(|other| self.ua.replaces_target(other));
                let sent = match (self.handle_of(call), target) {
                    (Some(handle), Some(target)) => self.ua.refer(now, handle, &target),
                    _ => false,
                };
                if !sent {
                    self.emit(DriverEvent::Failed(format!(
                        "call {}: cannot transfer to call {}",
                        call.0, other.0
                    )));
                }
            }
            DriverCommand::Dtmf { call, digits } => {
                let Some(handle) = self.handle_of(call) else {
                    return;
                };
                for digit in digits.chars() {
                    if !self.ua.send_dtmf_info(now, handle, digit) {
                        self.emit(DriverEvent::Failed(format!(
                            "{digit:?} is not a DTMF digit"
                        )));
                    }
                }
            }
            DriverCommand::Message { id, uri, text } => {
                let sent = match self.route(&uri).await {
                    Ok(to) => self
                        .ua
                        .message(now, to, &uri, "text/plain;charset=UTF-8", &text)
                        .ok_or_else(|| "the text is too long for one SIP MESSAGE".to_owned()),
                    Err(err) => Err(err),
                };
                match sent {
                    Ok(ua_id) => {
                        self.messages.insert(ua_id, id);
                    }
                    Err(err) => {
                        self.emit(DriverEvent::Failed(format!("message to {uri}: {err}")));
                        self.emit(DriverEvent::MessageSent { id, code: 400 });
                    }
                }
            }
            DriverCommand::Watch { uri } => {
                let watched = self.subscriptions.values().any(|known| *known == uri);
                if !watched {
                    self.watch(&uri, "presence").await;
                }
            }
            DriverCommand::SetPresence { open, note } => {
                self.ua.set_presence(now, open, &note);
                // Behind a proxy or registrar, the presence server is there too (RFC 3903).
                if !self.publishing
                    && let Some(proxy) = self.proxy
                {
                    self.publishing = true;
                    self.ua.publish_presence(now, proxy);
                }
            }
            DriverCommand::Stop => {}
        }
    }

    fn answer(&mut self, call: CallId) {
        let Some(handle) = self.handle_of(call) else {
            return;
        };
        let offer = self.calls.get_mut(&call).and_then(|slot| slot.offer.take());
        let parsed = offer.as_deref().map(SessionDescription::parse);
        let sdp = match parsed {
            // No offer in the INVITE: offer in the 2xx (RFC 3264 §4, late offer).
            None => self.sdp_for(call, None),
            Some(Ok(offer)) => self.sdp_for(call, Some(&offer)),
            Some(Err(err)) => Err(err.to_string()),
        };
        match sdp {
            Ok(sdp) => {
                self.ua.answer(now(), handle, &sdp);
            }
            Err(err) => {
                tracing::info!(%err, "refusing call: offer not acceptable");
                self.ua.reject(now(), handle, 488, "Not Acceptable Here");
            }
        }
    }

    fn call_of(&self, handle: CallHandle) -> Option<CallId> {
        self.by_handle.get(&handle).copied()
    }

    async fn on_ua_event(&mut self, event: UaEvent) {
        let now = now();
        match event {
            UaEvent::IncomingCall {
                call: handle,
                from,
                offer,
                replaces,
            } => {
                let call = CallId(self.call_ids.fetch_add(1, Ordering::Relaxed));
                self.by_handle.insert(handle, call);
                let replaced = replaces.and_then(|old| self.call_of(old));
                if let Some(offer) = &offer {
                    let remote = SessionDescription::parse(offer)
                        .ok()
                        .and_then(|sdp| sdp::audio_direction(&sdp));
                    let slot = self.calls.entry(call).or_default();
                    slot.held_remotely =
                        matches!(remote, Some(Direction::SendOnly | Direction::Inactive));
                }
                let slot = self.calls.entry(call).or_default();
                slot.handle = Some(handle);
                slot.offer = offer;
                slot.replaces = replaces;
                self.emit(DriverEvent::Incoming {
                    call,
                    from,
                    replaces: replaced,
                });
                if replaces.is_some() {
                    // RFC 3891 §3: the new call takes the old one's place at once.
                    self.answer(call);
                }
            }
            UaEvent::Ringing {
                call: handle,
                early_media,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.emit(DriverEvent::Ringing(call));
                    // 183 with SDP: play the early media (announcements, ringback).
                    if let Some(sdp) = early_media {
                        self.on_answer(call, &sdp);
                    }
                    self.report_transfer(call, 180, "Ringing");
                }
            }
            UaEvent::Connected {
                call: handle,
                answer,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                self.emit(DriverEvent::Connected(call));
                if let Some(answer) = answer {
                    self.on_answer(call, &answer);
                }
                self.report_transfer(call, 200, "OK");
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
                    self.report_transfer(call, code, text);
                }
                self.calls.remove(&call);
                self.emit(DriverEvent::Ended(call, reason));
            }
            UaEvent::Reoffer {
                call: handle,
                offer,
            } => {
                let Some(call) = self.call_of(handle) else {
                    return;
                };
                let parsed = offer.as_deref().map(SessionDescription::parse);
                let sdp = match &parsed {
                    None => self.sdp_for(call, None),
                    Some(Ok(offer)) => self.sdp_for(call, Some(offer)),
                    Some(Err(err)) => Err(err.to_string()),
                };
                match sdp {
                    Ok(sdp) => {
                        self.ua.accept_reoffer(now, handle, &sdp);
                        if let Some(Ok(offer)) = &parsed {
                            let held = matches!(
                                sdp::audio_direction(offer),
                                Some(Direction::SendOnly | Direction::Inactive)
                            );
                            self.set_hold(call, None, Some(held));
                        }
                    }
                    Err(err) => {
                        tracing::info!(%err, "refusing re-INVITE");
                        self.ua
                            .refuse_reoffer(now, handle, 488, "Not Acceptable Here");
                    }
                }
            }
            UaEvent::Reanswered {
                call: handle,
                answer,
            } => {
                if let Some(call) = self.call_of(handle) {
                    if let Some(answer) = answer {
                        self.on_answer(call, &answer);
                    }
                    let local = self.calls.get(&call).is_some_and(|slot| slot.held_locally);
                    self.set_hold(call, Some(local), None);
                }
            }
            UaEvent::LateAnswer {
                call: handle,
                answer,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.on_answer(call, &answer);
                }
            }
            UaEvent::ReofferFailed { call: handle, code } => {
                if let Some(call) = self.call_of(handle) {
                    if let Some(slot) = self.calls.get_mut(&call) {
                        slot.held_locally = !slot.held_locally;
                    }
                    self.emit(DriverEvent::Failed(format!(
                        "call {}: the peer refused the change ({code})",
                        call.0
                    )));
                }
            }
            UaEvent::Dtmf {
                call: handle,
                digit,
            } => {
                if let Some(call) = self.call_of(handle) {
                    self.emit(DriverEvent::Dtmf { call, digit });
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
                let call = CallId(self.call_ids.fetch_add(1, Ordering::Relaxed));
                self.calls.entry(call).or_default().transfer_of = Some(handle);
                match self.place(call, &uri, replaces.as_deref()).await {
                    Ok(_) => self.emit(DriverEvent::Outgoing {
                        call,
                        peer: uri,
                        transfer_of: old,
                    }),
                    Err(err) => {
                        self.calls.remove(&call);
                        tracing::info!(%err, %uri, "cannot follow REFER");
                        self.ua
                            .notify_transfer(now, handle, 503, "Service Unavailable");
                    }
                }
            }
            UaEvent::TransferProgress { call: handle, code } => {
                if let Some(call) = self.call_of(handle) {
                    self.emit(DriverEvent::Transfer { call, code });
                    if (200..300).contains(&code) && code != 202 {
                        // RFC 5589 §6: the transferee reached the target; we leave.
                        self.ua.hangup(now, handle);
                    }
                }
            }
            UaEvent::MessageReceived { from, body, .. } => {
                let from = crate::sip::NameAddr::parse(&from)
                    .map(|address| address.uri)
                    .unwrap_or(from);
                self.emit(DriverEvent::MessageReceived { from, text: body });
            }
            UaEvent::MessageSent { id, code } => {
                if let Some(id) = self.messages.remove(&id) {
                    self.emit(DriverEvent::MessageSent { id, code });
                }
            }
            UaEvent::Registered { expires } => {
                tracing::info!(account = %self.config.account, expires, "registered");
                self.emit(DriverEvent::Registration(RegistrationState::Registered));
            }
            UaEvent::RegistrationFailed { reason, code } => {
                // A timeout on a stream transport is usually a failed connection or TLS
                // handshake: say which.
                let reason = match (code, self.last_send_error.take()) {
                    (408, Some(error)) => format!("{reason} ({error})"),
                    _ => reason,
                };
                self.emit(DriverEvent::Registration(RegistrationState::Failed(reason)));
            }
            UaEvent::Unregistered => {
                self.emit(DriverEvent::Registration(RegistrationState::Offline));
            }
            UaEvent::Published { code } => {
                if code >= 300 {
                    self.emit(DriverEvent::Failed(format!(
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
                        self.emit(DriverEvent::Voicemail { new, old });
                    }
                } else if let Some(open) = pidf_open(&body) {
                    self.emit(DriverEvent::Presence {
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
                tracing::info!(%uri, %event, code, "subscription refused");
                if event == "presence" {
                    self.emit(DriverEvent::Presence { uri, open: None });
                }
            }
        }
    }

    /// Tells the peer who asked for a transfer how the call to the target goes.
    fn report_transfer(&mut self, call: CallId, code: u16, reason: &str) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        let Some(transferor) = slot.transfer_of else {
            return;
        };
        if code >= 200 {
            slot.transfer_of = None;
        }
        self.ua.notify_transfer(now(), transferor, code, reason);
        if (200..300).contains(&code) {
            // We are on the target now; the transferor's call ends.
            self.ua.hangup(now(), transferor);
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
            self.emit(DriverEvent::Hold {
                call,
                local: after.0,
                remote: after.1,
            });
        }
    }
}

/// The media thread's parameters for an agreement.
fn stream_params(media: &Negotiated, dtmf: DtmfMode) -> Result<StreamParams, String> {
    let ip: std::net::IpAddr = media.remote_address.parse().map_err(|_| {
        format!(
            "the peer's media address {} is not an IP address",
            media.remote_address
        )
    })?;
    let remote_rtp = SocketAddr::new(ip, media.remote_port);
    let remote_rtcp = if media.rtcp_mux {
        remote_rtp
    } else {
        SocketAddr::new(ip, media.remote_port.saturating_add(1))
    };
    let (send, receive) = match media.direction {
        Direction::SendRecv => (true, true),
        Direction::SendOnly => (true, false),
        Direction::RecvOnly => (false, true),
        Direction::Inactive => (false, false),
    };
    Ok(StreamParams {
        remote_rtp,
        remote_rtcp,
        rtcp_mux: media.rtcp_mux,
        codec: media.codec,
        payload_type: media.payload_type,
        dtmf_payload_type: media.dtmf_payload_type,
        send,
        receive,
        srtp: media
            .srtp
            .as_ref()
            .map(|(suite, remote_key, local_key)| SrtpKeys {
                suite: suite.clone(),
                remote_key: remote_key.clone(),
                local_key: local_key.clone(),
            }),
        dtmf,
        dtx: false,
        stereo: media.stereo,
    })
}

/// Resolves a SIP URI or `host[:port]` to an address: IP literals directly, names by the
/// system resolver (A/AAAA; SRV and NAPTR are not looked up). Port 5060 by default.
pub async fn resolve(target: &str) -> Result<SocketAddr, String> {
    resolve_with_default(target, 5060).await
}

/// The host part of a SIP URI or `host[:port]`.
fn uri_host(target: &str) -> Option<String> {
    let target = target.trim();
    let text = if target.starts_with("sip:") || target.starts_with("sips:") {
        target.to_owned()
    } else {
        format!("sip:{target}")
    };
    SipUri::parse(&text).ok().map(|uri| uri.host)
}

/// [`resolve`] with another default port.
pub async fn resolve_with_default(target: &str, default_port: u16) -> Result<SocketAddr, String> {
    let target = target.trim();
    let (host, port) = if target.starts_with("sip:") || target.starts_with("sips:") {
        let uri = SipUri::parse(target).map_err(|err| err.to_string())?;
        (uri.host, uri.port)
    } else {
        let uri = SipUri::parse(&format!("sip:{target}")).map_err(|err| err.to_string())?;
        (uri.host, uri.port)
    };
    let port = port.unwrap_or(default_port);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut found = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|err| format!("cannot resolve {bare}: {err}"))?;
    found.next().ok_or_else(|| format!("{bare} has no address"))
}

/// The start line of a datagram, for logs.
fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == b'\r' || byte == b'\n')
        .unwrap_or(bytes.len())
        .min(200);
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
