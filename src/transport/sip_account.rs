//! One SIP account's driver: a socket (UDP, or a TCP/TLS transport with its connections),
//! the sans-IO [`SessionCore`], and a task that waits on the socket, the engine's commands,
//! name lookups it spawned, or the core's next deadline. It carries out what the core asks
//! (send, resolve a name, bind a call's RTP sockets) and nothing else: every decision about
//! calls, SDP, registration and routing is the core's.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::p2p_call::{LinkInput, P2pLink};
use super::resolve::{resolve, uri_host};
use super::sip_tcp::{Inbound, TcpTransport};
use crate::media::stream::RtpSockets;
use crate::model::{AccountId, CallId, SipTransport};
use crate::sip::SipUri;
use crate::sip::session::{
    BindError, Input, Output, ResolveError, ResolveId, SessionConfig, SessionCore,
};
use crate::sip::ua::UaConfig;

mod api;
mod p2p;
mod roam;
mod socket;
mod turn;
pub use crate::sip::session::{SessionCommand as DriverCommand, SessionEvent};
pub use api::{
    DriverConfig, DriverEvent, DriverReport, P2pCallConfig, ReportSender, SharedSockets, SipDriver,
};
use p2p::next_input;
pub use p2p::start_p2p;
pub use roam::{interface_ip, route_ip};
use socket::{SipSocket, first_line};

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// How often connections (TCP, TLS) and, behind a proxy, UDP flows are kept alive with
/// a double CRLF (RFC 5626 §4.4.1 suggests 95–120 s for TCP; NATs drop idle UDP sooner).
const KEEP_ALIVE: Duration = Duration::from_secs(25);
/// How long a stopping driver waits for its un-REGISTER and BYEs to be answered.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// Datagrams read in one turn of the loop after the one it woke for, before timers,
/// commands and the rest get their turn.
const DRAIN_AT_ONCE: usize = 32;

/// Binds `listen` and starts the driver on the current tokio runtime. With an unspecified
/// IP the account roams: it binds every address and names `config.advertise`, followed as
/// the host moves.
pub fn start(
    listen: SocketAddr,
    config: DriverConfig,
    seed: [u8; 32],
    call_ids: Arc<AtomicU64>,
    events: ReportSender,
) -> std::io::Result<SipDriver> {
    let (socket, local, transport) = match config.transport {
        SipTransport::Tcp => {
            let transport = TcpTransport::bind(listen)?;
            let local = transport.local_addr()?;
            (SipSocket::Tcp(Box::new(transport)), local, "TCP")
        }
        SipTransport::Tls => {
            let tls = super::sip_tcp::tls_client_config(config.tls_ca.as_deref())
                .map_err(std::io::Error::other)?;
            let transport = TcpTransport::tls_client(listen, tls);
            (SipSocket::Tcp(Box::new(transport)), listen, "TLS")
        }
        SipTransport::Udp => {
            let std_socket = std::net::UdpSocket::bind(listen)?;
            std_socket.set_nonblocking(true)?;
            let socket = UdpSocket::from_std(std_socket)?;
            let local = socket.local_addr()?;
            (SipSocket::udp(socket), local, "UDP")
        }
    };
    let roaming = listen.ip().is_unspecified();
    let local = match config.advertise {
        Some(ip) if roaming => SocketAddr::new(ip, local.port()),
        _ => local,
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
    let session = SessionConfig {
        ua: UaConfig {
            local_uri: format!("<{}>", config.aor),
            contact: format!("sip:{user}@{local}{contact_params}"),
            via_sent_by: format!("{transport} {local}"),
            user_agent: format!("Ringlet/{}", env!("CARGO_PKG_VERSION")),
            credentials: config.credentials.clone(),
        },
        aor: config.aor.clone(),
        registrar: config.registrar.clone(),
        outbound_proxy: config.outbound_proxy.clone(),
        register_expires: config.register_expires,
        codecs: config.codecs.clone(),
        srtp: config.srtp,
        dtmf: config.dtmf,
        mwi: config.mwi,
        watch: config.watch.clone(),
        stun: match (&config.stun, config.transport) {
            (Some(server), SipTransport::Udp) => Some(server.clone()),
            (Some(server), _) => {
                tracing::info!(%server, "STUN is used on UDP accounts only");
                None
            }
            (None, _) => None,
        },
        late_offer: false,
        auto_answer: config.auto_answer,
        local,
    };
    // A roaming account's RTP sockets take every address, so that they outlive a move.
    let media_ip = if roaming { listen.ip() } else { local.ip() };
    Ok(spawn(
        socket,
        session,
        config.account,
        media_ip,
        seed,
        call_ids,
        events,
        None,
        roaming.then_some(local),
    ))
}

/// A P2P driver's link, the streams handed to it, and the handle's end of that channel.
type P2pParts = (
    P2pLink,
    mpsc::UnboundedReceiver<LinkInput>,
    mpsc::UnboundedSender<LinkInput>,
);

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per kind of account"
)]
fn spawn(
    socket: SipSocket,
    session: SessionConfig,
    account: AccountId,
    media_ip: std::net::IpAddr,
    seed: [u8; 32],
    call_ids: Arc<AtomicU64>,
    events: ReportSender,
    p2p: Option<P2pParts>,
    roaming: Option<SocketAddr>,
) -> SipDriver {
    let local = session.local;
    let (commands, inbox) = mpsc::unbounded_channel();
    let (resolved_tx, resolved) = mpsc::unbounded_channel();
    let (link, link_inputs, links) = match p2p {
        Some((link, inputs, links)) => (Some(link), Some(inputs), Some(links)),
        None => (None, None, None),
    };
    let driver = Driver {
        socket,
        core: SessionCore::new(session, seed, call_ids),
        account,
        media_ip,
        media_seed: u64::from_le_bytes(seed[..8].try_into().unwrap_or_default()),
        events,
        pending: Vec::new(),
        sockets: HashMap::new(),
        resolved_tx,
        link,
        roaming,
    };
    let task = tokio::spawn(driver.run(inbox, resolved, link_inputs));
    SipDriver {
        commands,
        links,
        local,
        task,
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the driver is where the SIP core's clock is read"
)]
fn now() -> Instant {
    Instant::now()
}

/// A name lookup's answer, from its task back to the loop.
type Resolved = (ResolveId, String, Result<SocketAddr, ResolveError>);

struct Driver {
    socket: SipSocket,
    core: SessionCore,
    account: AccountId,
    /// Where calls' RTP sockets are bound.
    media_ip: std::net::IpAddr,
    /// Spreads the ports calls try first.
    media_seed: u64,
    events: ReportSender,
    /// Reports of this turn of the loop, sent together at its end.
    pending: Vec<DriverReport>,
    /// Each call's RTP sockets, bound when the core asks.
    sockets: HashMap<CallId, Arc<RtpSockets>>,
    resolved_tx: mpsc::UnboundedSender<Resolved>,
    /// A P2P account's devices and call media.
    link: Option<P2pLink>,
    /// A roaming account's address in Contact, Via and SDP (see [`roam`]).
    roaming: Option<SocketAddr>,
}

impl Driver {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<DriverCommand>,
        mut resolved: mpsc::UnboundedReceiver<Resolved>,
        mut link_inputs: Option<mpsc::UnboundedReceiver<LinkInput>>,
    ) {
        self.feed(Input::Start).await;
        let mut buffer = vec![0u8; MAX_DATAGRAM];
        let mut stopping: Option<Instant> = None;
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        keep_alive.reset();
        let mut roam_check = tokio::time::interval(roam::CHECK_EVERY);
        roam_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut address_changes = crate::transport::interfaces::address_changes();
        // One timer, moved when the deadline moves, rather than a new one each turn.
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        let mut armed = None;
        loop {
            // Whatever the last turn (or the start) had to send or say goes before the loop
            // waits.
            self.end_turn().await;
            let deadline = match (self.core.poll_timeout(), stopping) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = deadline
                && armed != deadline
            {
                timer.as_mut().reset(at.into());
            }
            armed = deadline;
            tokio::select! {
                received = self.socket.recv(&mut buffer) => {
                    if let Some(inbound) = received {
                        self.on_inbound(inbound).await;
                    }
                    // Whatever else has arrived is read before the loop turns again.
                    for _ in 0..DRAIN_AT_ONCE {
                        let Some(inbound) = self.socket.try_recv(&mut buffer) else {
                            break;
                        };
                        self.on_inbound(inbound).await;
                    }
                }
                command = inbox.recv(), if stopping.is_none() => {
                    let command = command.unwrap_or(DriverCommand::Stop);
                    if command == DriverCommand::Stop {
                        stopping = Some(now() + STOP_GRACE);
                    }
                    self.feed(Input::Command(command)).await;
                }
                Some((request, target, result)) = resolved.recv() => {
                    self.on_resolved(request, &target, result).await;
                }
                () = &mut timer, if deadline.is_some() => {
                    armed = None;
                    self.feed(Input::Timeout).await;
                }
                _ = keep_alive.tick() => self.socket.keep_alive(self.core.proxy()).await,
                _ = roam_check.tick(), if self.roaming.is_some() => self.check_address().await,
                Ok(()) = address_changes.changed(), if self.roaming.is_some() => {
                    self.check_address().await;
                }
                Some(input) = next_input(&mut link_inputs) => self.on_link_input(input).await,
            }
            if let Some(at) = stopping
                && (now() >= at || self.core.stopped())
            {
                break;
            }
        }
        self.end_turn().await;
    }

    /// A datagram or stream message, or a device's stream closing.
    async fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Message(from, bytes) => {
                tracing::debug!(%from, "SIP in: {}", first_line(&bytes));
                if self
                    .link
                    .as_mut()
                    .is_some_and(|link| !link.admit(from, &bytes, now()))
                {
                    return;
                }
                self.feed(Input::Datagram {
                    from,
                    bytes: &bytes,
                })
                .await;
            }
            // A device's SIP stream closed: a request just sent on it goes again on a new
            // one, what else waits for an answer fails now. Its calls go on while their
            // media does (a relay's circuit ran out, an address changed): the next request
            // opens a new stream, and a device that is really gone is found by its media's
            // silence.
            Inbound::Closed(to) => self.feed(Input::StreamClosed { to }).await,
        }
    }

    /// Feeds the core one input and carries out everything it asks for.
    async fn feed(&mut self, input: Input<'_>) {
        self.core.handle_input(now(), input);
        self.carry_out().await;
    }

    /// Carries out everything the core asks for.
    async fn carry_out(&mut self) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Transmit { to, bytes } => {
                    tracing::debug!(%to, "SIP out: {}", first_line(&bytes));
                    if let Err(err) = self.socket.send(to, bytes).await {
                        self.send_failed(to, &err);
                    }
                }
                Output::Resolve {
                    request,
                    target,
                    default_port,
                } => match self.link.as_mut() {
                    Some(link) => {
                        let result = link.resolve(&target).map(|(device, address)| {
                            if let SipSocket::Tcp(transport) = &mut self.socket {
                                transport.set_device(address, device);
                            }
                            address
                        });
                        self.core
                            .handle_input(now(), Input::Resolved { request, result });
                    }
                    None => self.spawn_resolve(request, target, default_port),
                },
                Output::BindMedia(call) => {
                    let seed = self.media_seed ^ call.0;
                    let bound = match self.link.as_mut() {
                        Some(link) => link.bind_media(call, seed),
                        None => RtpSockets::bind(self.media_ip, seed).map(Arc::new),
                    };
                    let result = bound
                        .map(|sockets| {
                            let port = sockets.port();
                            self.sockets.insert(call, sockets);
                            port
                        })
                        .map_err(|err| BindError(err.to_string()));
                    self.core
                        .handle_input(now(), Input::MediaBound { call, result });
                }
                Output::ReleaseMedia(call) => {
                    self.sockets.remove(&call);
                    if let Some(link) = self.link.as_mut() {
                        link.release(call);
                    }
                }
                Output::Media { call, mut params } => {
                    let remote = self.core.call_remote(call);
                    let device = self
                        .link
                        .as_mut()
                        .and_then(|link| link.media(call, remote, &mut params));
                    if let Some(device) = device {
                        self.emit(DriverEvent::Device { call, device });
                    }
                    if let Some(sockets) = self.sockets.get(&call) {
                        let sockets = SharedSockets(sockets.clone());
                        self.emit(DriverEvent::Media {
                            call,
                            sockets,
                            params,
                        });
                    }
                }
                Output::Event(event) => {
                    let event = self.verified_caller(event);
                    self.emit(DriverEvent::Session(event));
                }
            }
        }
    }

    /// Looks a name up on a task of its own, so that a slow resolver never holds the
    /// loop (its timers and reads) back.
    fn spawn_resolve(&mut self, request: ResolveId, target: String, default_port: u16) {
        let answer = self.resolved_tx.clone();
        tokio::spawn(async move {
            let result = resolve(&target, default_port).await;
            answer.send((request, target, result)).ok();
        });
    }

    /// A lookup came back: on TLS the name the server's certificate must carry is
    /// remembered for that address, then the core hears of it.
    async fn on_resolved(
        &mut self,
        request: ResolveId,
        target: &str,
        result: Result<SocketAddr, ResolveError>,
    ) {
        if let (SipSocket::Tcp(transport), Ok(address), Some(host)) =
            (&mut self.socket, &result, uri_host(target))
        {
            transport.set_server_name(*address, &host);
        }
        self.feed(Input::Resolved { request, result }).await;
    }
}
