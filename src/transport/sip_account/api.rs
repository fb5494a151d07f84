//! What a SIP driver and the engine say to each other: the driver's handle, its account's
//! settings, and its reports.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{DriverCommand, SessionEvent};
use crate::media::stream::{RtpSockets, StreamParams};
use crate::model::{AccountId, CallId, DtmfMode, SipTransport, SrtpPolicy};
use crate::sdp::Codec;
use crate::sip::ua::UaCredentials;
use crate::transport::p2p_call::LinkInput;

/// What a driver tells the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverEvent {
    /// What the session core reports.
    Session(SessionEvent),
    /// A P2P call's media goes to this device (once per call).
    Device {
        /// The call.
        call: CallId,
        /// The device.
        device: libp2p::PeerId,
    },
    /// A P2P call's media moved to this UDP pair (local, remote), or back to its stream.
    Route {
        /// The call.
        call: CallId,
        /// The pair, while it carries the media.
        route: Option<(std::net::SocketAddr, std::net::SocketAddr)>,
    },
    /// Offer/answer settled a call's audio (first time: start it; later: update it).
    Media {
        /// The call.
        call: CallId,
        /// Its sockets, bound when the first SDP was written.
        sockets: SharedSockets,
        /// What was agreed.
        params: StreamParams,
    },
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

/// Where drivers send their reports: each turn of a driver's loop sends what it had to say
/// as one batch, so the engine wakes once for an INVITE's `Incoming` and `Media`, not twice.
pub type ReportSender = mpsc::UnboundedSender<Vec<DriverReport>>;

/// The engine's handle on a running driver.
#[derive(Debug)]
pub struct SipDriver {
    pub(super) commands: mpsc::UnboundedSender<DriverCommand>,
    /// A P2P account's: where the streams devices open go.
    pub(super) links: Option<mpsc::UnboundedSender<LinkInput>>,
    /// The address the socket is bound to.
    pub local: SocketAddr,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl SipDriver {
    /// Sends a command; false when the driver has stopped.
    pub fn send(&self, command: DriverCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Hands a P2P account's driver a stream a device opened; false when this is not one
    /// or it has stopped.
    pub fn hand_over(&self, input: LinkInput) -> bool {
        self.links
            .as_ref()
            .is_some_and(|links| links.send(input).is_ok())
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
    /// With an unspecified listen IP: the address named in Contact, Via and SDP at the
    /// start (the one the server is reached from), followed as the host moves.
    pub advertise: Option<std::net::IpAddr>,
    /// Answer calls as they come.
    pub auto_answer: bool,
}

/// A call's RTP sockets, shared between the driver (which binds them for the port the SDP
/// names) and the media thread (which reads and writes them). Equal when they are the
/// same sockets.
#[derive(Debug, Clone)]
pub struct SharedSockets(pub Arc<RtpSockets>);

impl PartialEq for SharedSockets {
    fn eq(&self, other: &SharedSockets) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedSockets {}

/// What a P2P account's call driver needs to know.
#[derive(Debug, Clone)]
pub struct P2pCallConfig {
    /// The account.
    pub account: AccountId,
    /// This device.
    pub device: libp2p::PeerId,
    /// Codecs in preference order.
    pub codecs: Vec<Codec>,
    /// How DTMF digits travel.
    pub dtmf: DtmfMode,
    /// STUN servers calls ask for their public address (the bootstrap nodes').
    pub stun_servers: crate::transport::p2p_call::StunServers,
    /// What the account's calls refused, read by `node-info`.
    pub counters: Arc<crate::transport::p2p_call::LinkCounters>,
    /// Answer calls as they come.
    pub auto_answer: bool,
}
