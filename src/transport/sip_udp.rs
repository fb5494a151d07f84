//! One SIP account's UDP driver: a socket, the sans-IO [`UserAgent`], and a task that
//! waits on the socket, the engine's commands or the core's next deadline.
//! Media is not here yet: answers carry SDP negotiated from the offer, RTP comes with the
//! media engine.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::model::{AccountId, CallId, SrtpPolicy};
use crate::sdp::{self, Codec, Direction, LocalMedia, SessionDescription};
use crate::sip::ua::{CallHandle, EndReason, UaConfig, UaEvent, UaOutput, UserAgent};

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;

/// What the engine asks of an account's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverCommand {
    /// Place a call.
    Invite {
        /// Engine call id.
        call: CallId,
        /// Request-URI.
        uri: String,
        /// Where to send it.
        to: SocketAddr,
    },
    /// Answer a ringing call.
    Answer(CallId),
    /// Refuse a ringing call with a status code.
    Reject(CallId, u16),
    /// End or cancel a call.
    Hangup(CallId),
    /// Stop the driver.
    Stop,
}

/// What a driver tells the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverEvent {
    /// A call arrived.
    Incoming {
        /// Engine call id.
        call: CallId,
        /// The caller's From value.
        from: String,
    },
    /// The far end rings.
    Ringing(CallId),
    /// The call is up.
    Connected(CallId),
    /// The call ended.
    Ended(CallId, EndReason),
}

/// The engine's handle on a running driver.
#[derive(Debug, Clone)]
pub struct SipDriver {
    commands: mpsc::UnboundedSender<DriverCommand>,
    /// The address the socket is bound to.
    pub local: SocketAddr,
}

impl SipDriver {
    /// Sends a command; false when the driver has stopped.
    pub fn send(&self, command: DriverCommand) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// What a driver needs to know about its account.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The account.
    pub account: AccountId,
    /// Address of record (`sip:user@host`).
    pub aor: String,
    /// Codecs in preference order.
    pub codecs: Vec<Codec>,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
}

/// Binds `listen` and starts the driver on the current tokio runtime.
pub fn start(
    listen: SocketAddr,
    config: DriverConfig,
    seed: u64,
    call_ids: Arc<AtomicU64>,
    events: mpsc::UnboundedSender<(AccountId, DriverEvent)>,
) -> std::io::Result<SipDriver> {
    let std_socket = std::net::UdpSocket::bind(listen)?;
    std_socket.set_nonblocking(true)?;
    let socket = UdpSocket::from_std(std_socket)?;
    let local = socket.local_addr()?;
    let user = config
        .aor
        .split_once(':')
        .and_then(|(_, rest)| rest.split('@').next())
        .unwrap_or("ringlet")
        .to_owned();
    let ua = UserAgent::new(
        UaConfig {
            local_uri: format!("<{}>", config.aor),
            contact: format!("sip:{user}@{local}"),
            via_sent_by: format!("UDP {local}"),
            user_agent: format!("Ringlet/{}", env!("CARGO_PKG_VERSION")),
        },
        seed,
    );
    let (commands, inbox) = mpsc::unbounded_channel();
    tokio::spawn(run(socket, local, ua, config, call_ids, inbox, events));
    Ok(SipDriver { commands, local })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the driver is where the SIP core's clock is read"
)]
fn now() -> Instant {
    Instant::now()
}

struct Calls {
    by_handle: HashMap<CallHandle, CallId>,
    by_call: HashMap<CallId, CallHandle>,
    offers: HashMap<CallHandle, String>,
}

async fn run(
    socket: UdpSocket,
    local: SocketAddr,
    mut ua: UserAgent,
    config: DriverConfig,
    call_ids: Arc<AtomicU64>,
    mut inbox: mpsc::UnboundedReceiver<DriverCommand>,
    events: mpsc::UnboundedSender<(AccountId, DriverEvent)>,
) {
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let address = local.ip().to_string();
    let mut calls = Calls {
        by_handle: HashMap::new(),
        by_call: HashMap::new(),
        offers: HashMap::new(),
    };
    loop {
        let deadline = ua.poll_timeout();
        tokio::select! {
            received = socket.recv_from(&mut buffer) => match received {
                Ok((len, from)) => ua.handle_datagram(now(), from, buffer.get(..len).unwrap_or_default()),
                // ICMP port-unreachable and the like surface here on Linux; keep serving.
                Err(err) => tracing::debug!(%err, "SIP socket receive error"),
            },
            command = inbox.recv() => match command {
                None | Some(DriverCommand::Stop) => break,
                Some(command) => on_command(&mut ua, &mut calls, &config, local, &address, command),
            },
            () = sleep_until(deadline), if deadline.is_some() => ua.handle_timeout(now()),
        }
        while let Some(output) = ua.poll_output() {
            match output {
                UaOutput::Transmit { to, bytes } => {
                    if let Err(err) = socket.send_to(&bytes, to).await {
                        tracing::debug!(%err, %to, "SIP send failed");
                    }
                }
                UaOutput::Event(event) => {
                    if let Some(event) = map_event(&mut calls, &call_ids, event) {
                        // The engine going away ends the driver at the next command.
                        events.send((config.account.clone(), event)).ok();
                    }
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn on_command(
    ua: &mut UserAgent,
    calls: &mut Calls,
    config: &DriverConfig,
    local: SocketAddr,
    address: &str,
    command: DriverCommand,
) {
    let now = now();
    // A fresh SRTP master key and salt per offer or answer (RFC 4568: 30 bytes for AES_CM).
    let mut key_bytes = [0u8; 30];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key_bytes);
    let key = data_encoding::BASE64.encode(&key_bytes);
    match command {
        DriverCommand::Invite { call, uri, to } => {
            let offer = sdp::build_offer(&local_media(config, local, address, &key));
            let handle = ua.invite(now, to, &uri, &offer.to_string());
            calls.by_handle.insert(handle, call);
            calls.by_call.insert(call, handle);
        }
        DriverCommand::Answer(call) => {
            let Some(&handle) = calls.by_call.get(&call) else {
                return;
            };
            let offer = calls
                .offers
                .get(&handle)
                .and_then(|text| SessionDescription::parse(text).ok());
            let answer = offer
                .map(|offer| sdp::answer_offer(&offer, &local_media(config, local, address, &key)));
            match answer {
                Some(Ok(answer)) => {
                    ua.answer(now, handle, &answer.sdp.to_string());
                }
                // No offer in the INVITE: offer in the 2xx (RFC 3264 §4, late offer).
                None => {
                    let offer = sdp::build_offer(&local_media(config, local, address, &key));
                    ua.answer(now, handle, &offer.to_string());
                }
                Some(Err(err)) => {
                    tracing::info!(%err, "refusing call: offer not acceptable");
                    ua.reject(now, handle, 488, "Not Acceptable Here");
                }
            }
        }
        DriverCommand::Reject(call, code) => {
            if let Some(&handle) = calls.by_call.get(&call) {
                let reason = if code == 486 { "Busy Here" } else { "Decline" };
                ua.reject(now, handle, code, reason);
            }
        }
        DriverCommand::Hangup(call) => {
            if let Some(&handle) = calls.by_call.get(&call) {
                ua.hangup(now, handle);
            }
        }
        DriverCommand::Stop => {}
    }
}

/// Local media description. RTP is not bound yet (the media engine brings it); the port
/// named is the one the media engine will use, two above the SIP port.
fn local_media<'a>(
    config: &'a DriverConfig,
    local: SocketAddr,
    address: &'a str,
    srtp_key: &'a str,
) -> LocalMedia<'a> {
    LocalMedia {
        address,
        port: local.port().wrapping_add(2),
        codecs: &config.codecs,
        direction: Direction::SendRecv,
        srtp: config.srtp,
        srtp_key,
        session: (u64::from(local.port()), 1),
    }
}

fn map_event(calls: &mut Calls, call_ids: &AtomicU64, event: UaEvent) -> Option<DriverEvent> {
    Some(match event {
        UaEvent::IncomingCall {
            call: handle,
            from,
            offer,
        } => {
            let call = CallId(call_ids.fetch_add(1, Ordering::Relaxed));
            calls.by_handle.insert(handle, call);
            calls.by_call.insert(call, handle);
            if let Some(offer) = offer {
                calls.offers.insert(handle, offer);
            }
            DriverEvent::Incoming { call, from }
        }
        UaEvent::Ringing { call } => DriverEvent::Ringing(*calls.by_handle.get(&call)?),
        UaEvent::Connected { call, .. } => DriverEvent::Connected(*calls.by_handle.get(&call)?),
        UaEvent::Ended {
            call: handle,
            reason,
        } => {
            let call = calls.by_handle.remove(&handle)?;
            calls.by_call.remove(&call);
            calls.offers.remove(&handle);
            DriverEvent::Ended(call, reason)
        }
    })
}
