//! What a P2P account's call driver does beyond a SIP account's: it starts with a
//! transport over libp2p streams and SRTP always, takes the streams devices open, and
//! names an incoming call's caller by the device its stream came from.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::mpsc;

use super::{
    Driver, DriverEvent, P2pCallConfig, ReportSender, SessionEvent, SipDriver, SipSocket, spawn,
};
use crate::model::SrtpPolicy;
use crate::sip::session::{Input, SessionConfig};
use crate::sip::ua::UaConfig;
use crate::transport::p2p_call::{self, LinkInput, P2pLink};
use crate::transport::sip_tcp::TcpTransport;

/// Starts a P2P account's call driver: SIP over libp2p streams to devices (opened with
/// `control`), SRTP always, each call's media bridged onto an RTP stream.
pub fn start_p2p(
    config: P2pCallConfig,
    control: libp2p_stream::Control,
    seed: [u8; 32],
    call_ids: Arc<AtomicU64>,
    events: ReportSender,
) -> SipDriver {
    let local = p2p_call::local_address();
    let uri = p2p_call::device_uri(&config.account, &config.device);
    let session = SessionConfig {
        ua: UaConfig {
            local_uri: format!("<{uri}>"),
            contact: format!("{uri};transport=tcp"),
            via_sent_by: format!("TCP {local}"),
            user_agent: format!("Ringlet/{}", env!("CARGO_PKG_VERSION")),
            credentials: None,
        },
        aor: uri,
        registrar: None,
        outbound_proxy: None,
        register_expires: 0,
        codecs: config.codecs,
        // Keys travel inside the Noise-encrypted SIP stream; nothing plain ever leaves.
        srtp: SrtpPolicy::Mandatory,
        dtmf: config.dtmf,
        mwi: false,
        watch: Vec::new(),
        stun: None,
        late_offer: false,
        auto_answer: config.auto_answer,
        local,
    };
    let (links, link_inputs) = mpsc::unbounded_channel();
    let link = P2pLink::new(
        config.device,
        control.clone(),
        links.clone(),
        config.stun_servers,
        config.counters,
    );
    let socket = SipSocket::Tcp(Box::new(TcpTransport::p2p(local, control)));
    let p2p = Some((link, link_inputs, links));
    spawn(
        socket,
        session,
        config.account,
        local.ip(),
        seed,
        call_ids,
        events,
        p2p,
        None,
    )
}

impl Driver {
    /// A stream a device opened reached a P2P driver.
    pub(super) async fn on_link_input(&mut self, input: LinkInput) {
        match input {
            LinkInput::MediaLost(call) => {
                self.feed(Input::MediaLost(call)).await;
                return;
            }
            LinkInput::Path { call, route } => {
                self.emit(DriverEvent::Route { call, route });
                return;
            }
            _ => {}
        }
        let (Some(link), SipSocket::Tcp(transport)) = (self.link.as_mut(), &mut self.socket) else {
            return;
        };
        match input {
            LinkInput::Sip {
                peer,
                account,
                stream,
            } => {
                let address = link.address_of(peer, &account);
                transport.set_device(address, peer);
                transport.adopt_stream(stream, address);
            }
            LinkInput::Media { peer, stream } => link.read_open(peer, stream),
            LinkInput::MediaLost(_) | LinkInput::Path { .. } => {}
            LinkInput::MediaOpened { peer, port, stream } => {
                let core = &self.core;
                link.media_opened(peer, port, stream, |call, address| {
                    core.call_reaches(call, address)
                });
            }
        }
    }

    /// On a P2P driver, an incoming call's caller is the device its stream came from (its
    /// certificate checked by the network), whatever its From header claims.
    pub(super) fn verified_caller(&self, event: SessionEvent) -> SessionEvent {
        let (
            Some(link),
            SessionEvent::Incoming {
                call,
                from,
                replaces,
            },
        ) = (&self.link, &event)
        else {
            return event;
        };
        match self
            .core
            .call_remote(*call)
            .and_then(|remote| link.device(remote))
        {
            Some((device, account)) => SessionEvent::Incoming {
                call: *call,
                from: p2p_call::device_uri(account, device),
                replaces: *replaces,
            },
            None => {
                tracing::warn!(%from, "P2P call from no known device");
                event
            }
        }
    }
}

pub(super) async fn next_input(
    inputs: &mut Option<mpsc::UnboundedReceiver<LinkInput>>,
) -> Option<LinkInput> {
    match inputs {
        Some(inputs) => inputs.recv().await,
        None => std::future::pending().await,
    }
}
