//! What a P2P account's call driver adds to a SIP account's (`sip_account`): devices as
//! transport addresses, the call streams the engine hands over, and each call's media
//! carried between its loopback RTP sockets and an RTP stream to the device.
//!
//! Each device the calls talk to gets a stand-in address in the discard prefix `100::/64`
//! (RFC 6666: no packet is ever sent there), so that the call-session core, which knows
//! peers by socket address, runs unchanged; the SIP transport maps the address back to the
//! device when it opens a stream. A call's media thread sends and receives on loopback
//! sockets as for any call; a bridge task frames what it sends onto the call's RTP stream
//! (`p2p::callstream`) and sends what comes from the stream to those sockets. The packets
//! are SRTP already, so the bridge sees only ciphertext.
//!
//! In parallel each bridge runs ICE (`crate::ice`) on UDP sockets of its own, one per
//! local address, its signalling carried as [`Frame::Ice`] lines on the same RTP stream.
//! Once a pair is nominated the bridge hands its socket to the media thread
//! (`media::direct`), which sends the call's packets there instead of to the bridge (same
//! SRTP context, same sequence numbers) and reads the socket itself, handing STUN back;
//! media from the stream is still taken. If consent on the pair is lost the bridge takes
//! the socket back and the media goes on the stream again.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p::PeerId;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::ice::IceSession;
use crate::media::stream::{RtpSockets, StreamParams};
use crate::model::{AccountId, CallId};
use crate::p2p::callstream::{FRAME_HEADER, Frame, FrameDecoder, RTP_PROTOCOL};

mod bridge;
mod udp;
mod upnp;
use bridge::{Ends, Reports, bridge};
use udp::ice_sockets;

/// How long opening an RTP stream, or reading its first frame, may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a bridge sends [`Frame::Ping`].
const PING_INTERVAL: Duration = Duration::from_millis(500);
/// A call whose RTP stream brought nothing (not even a ping) for this long has lost its
/// device.
const LOST_AFTER: Duration = Duration::from_millis(2_500);
/// A call whose RTP stream never came (each opening failed, or the device never opened
/// it) and whose device was not heard otherwise has lost it after this long.
const NO_STREAM_AFTER: Duration = Duration::from_secs(10);
/// The port every stand-in address carries.
const STAND_IN_PORT: u16 = 5060;
/// INVITEs (new calls and re-INVITEs) taken from one device at once; beyond that one
/// more each [`INVITE_REFILL`], and the rest dropped and counted, so that a device cannot
/// flood us with ringing calls (a token bucket: bursts of 20, two a second sustained).
const INVITE_BURST: u32 = 20;
const INVITE_REFILL: Duration = Duration::from_millis(500);

/// What reaches a P2P call driver besides the engine's commands.
#[derive(Debug)]
pub enum LinkInput {
    /// A device of a permitted account opened a SIP stream.
    Sip {
        /// The device.
        peer: PeerId,
        /// Its account.
        account: AccountId,
        /// The stream.
        stream: libp2p::Stream,
    },
    /// A device of a permitted account opened an RTP stream (its first frame unread).
    Media {
        /// The device.
        peer: PeerId,
        /// The stream.
        stream: libp2p::Stream,
    },
    /// A call's RTP stream went silent (no ping for [`LOST_AFTER`]): its device is gone.
    MediaLost(CallId),
    /// A call's media moved: to this UDP pair (local socket, remote address), or back to
    /// its stream (`None`).
    Path {
        /// The call.
        call: CallId,
        /// The nominated pair while it carries the media.
        route: Option<(SocketAddr, SocketAddr)>,
    },
    /// An RTP stream's first frame was read: it is for the call whose port is `port`.
    MediaOpened {
        /// The device.
        peer: PeerId,
        /// The RTP port it names.
        port: u16,
        /// The stream, past its first frame.
        stream: libp2p::Stream,
    },
}

/// The STUN servers a P2P account's calls ask for their public address, as last looked up
/// (shared with the engine, which updates them when the account's list changes; each call
/// takes them as they are when it starts).
pub type StunServers = Arc<std::sync::RwLock<Vec<SocketAddr>>>;

/// What a P2P account's calls refused, counted for `node-info` (shared by the link, its
/// bridges and the engine).
#[derive(Debug, Default)]
pub struct LinkCounters {
    /// RTP streams refused (bad first frame, no such call, wrong device).
    pub streams_refused: AtomicU64,
    /// INVITEs dropped as a flood.
    pub invites_flooded: AtomicU64,
    /// ICE input refused: signal lines that do not parse, STUN checks that fail their
    /// credentials or integrity, media from an address no check proved.
    pub ice_refused: AtomicU64,
}

/// A P2P account's devices and call media.
pub struct P2pLink {
    own: PeerId,
    control: libp2p_stream::Control,
    devices: HashMap<SocketAddr, (PeerId, AccountId)>,
    addresses: HashMap<PeerId, SocketAddr>,
    bridges: HashMap<CallId, Bridge>,
    /// Where header-reading tasks report.
    inputs: mpsc::UnboundedSender<LinkInput>,
    /// STUN servers asked for our public address (`ringlet node`s and the account's own).
    stun_servers: StunServers,
    /// What was refused.
    counters: Arc<LinkCounters>,
    /// Each device's INVITE allowance: tokens left, and when the last was counted.
    invites: HashMap<SocketAddr, (u32, Instant)>,
}

impl std::fmt::Debug for P2pLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pLink")
            .field("own", &self.own)
            .field("devices", &self.devices)
            .field("calls", &self.bridges.len())
            .finish_non_exhaustive()
    }
}

/// What a bridge task is handed.
enum ToBridge {
    /// A stream to carry the media over, and whether this side controls ICE (it opened
    /// the stream).
    Stream(libp2p::Stream, bool),
    /// This side opens the call's RTP stream: how to open it again if it closes (the
    /// connection under it ended, a relay's circuit ran out) while the call goes on.
    Opener(Opener),
    /// Offer/answer settled the call's media and the device opens the stream: it is
    /// awaited from now on.
    Awaited,
}

/// How to open a call's RTP stream to its device.
#[derive(Clone)]
struct Opener {
    control: libp2p_stream::Control,
    peer: PeerId,
    /// The call's RTP port on the device's side, named in the first frame.
    port: u16,
    streams: mpsc::UnboundedSender<ToBridge>,
}

impl Opener {
    /// Opens the stream on a task of its own (dialing the device again if no connection
    /// is left) and hands it to the bridge.
    fn open(&self) {
        let Opener {
            mut control,
            peer,
            port,
            streams,
        } = self.clone();
        tokio::spawn(async move {
            let opened = tokio::time::timeout(OPEN_TIMEOUT, async {
                let mut stream = control
                    .open_stream(peer, RTP_PROTOCOL)
                    .await
                    .map_err(|err| err.to_string())?;
                let open = Frame::Open { port }.encode();
                stream
                    .write_all(&open)
                    .await
                    .map_err(|err| err.to_string())?;
                stream.flush().await.map_err(|err| err.to_string())?;
                Ok::<_, String>(stream)
            })
            .await;
            match opened {
                Ok(Ok(stream)) => {
                    streams.send(ToBridge::Stream(stream, true)).ok();
                }
                Ok(Err(error)) => tracing::info!(%peer, %error, "cannot open a call's RTP stream"),
                Err(_) => tracing::info!(%peer, "no RTP stream within {OPEN_TIMEOUT:?}"),
            }
        });
    }
}

/// A call's media bridge: its loopback sockets' far end.
struct Bridge {
    sockets: Arc<RtpSockets>,
    /// The bridge socket's address: the media thread sends RTP and RTCP there.
    address: SocketAddr,
    /// Streams for the task to carry the media over (the last one wins).
    streams: mpsc::UnboundedSender<ToBridge>,
    /// Offer/answer settled the media once: the RTP stream was opened (or is being
    /// opened) from this side, or is awaited from the device.
    settled: bool,
    /// The call's device was reported.
    device_known: bool,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The address SIP uses for a device of ours or a peer's, to stand in for it.
fn stand_in(index: u32) -> SocketAddr {
    let [a, b, c, d] = index.to_be_bytes();
    let ip = Ipv6Addr::new(
        0x100,
        0,
        0,
        0,
        0,
        0,
        u16::from_be_bytes([a, b]),
        u16::from_be_bytes([c, d]),
    );
    SocketAddr::new(IpAddr::V6(ip), STAND_IN_PORT)
}

/// The local address of a P2P account's SIP: its media is on loopback.
pub fn local_address() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), STAND_IN_PORT)
}

/// A device's SIP URI: its account and its peer id.
pub fn device_uri(account: &AccountId, device: &PeerId) -> String {
    format!("sip:{account}@{device}")
}

impl P2pLink {
    /// A link for the device `own`, opening streams with `control`; header-reading tasks
    /// report on `inputs`; calls ask `stun_servers` for their public address; what is
    /// refused is counted in `counters`.
    pub fn new(
        own: PeerId,
        control: libp2p_stream::Control,
        inputs: mpsc::UnboundedSender<LinkInput>,
        stun_servers: StunServers,
        counters: Arc<LinkCounters>,
    ) -> P2pLink {
        P2pLink {
            own,
            control,
            stun_servers,
            devices: HashMap::new(),
            addresses: HashMap::new(),
            bridges: HashMap::new(),
            inputs,
            counters,
            invites: HashMap::new(),
        }
    }

    /// Whether a message from the device at `from` is taken: an INVITE is when the
    /// device has an allowance left ([`INVITE_BURST`], refilled each [`INVITE_REFILL`]).
    pub fn admit(&mut self, from: SocketAddr, message: &[u8], now: Instant) -> bool {
        if !message.starts_with(b"INVITE ") {
            return true;
        }
        let (tokens, counted) = self.invites.entry(from).or_insert((INVITE_BURST, now));
        let refills = now.duration_since(*counted).as_millis() / INVITE_REFILL.as_millis();
        if refills > 0 {
            let refills = u32::try_from(refills).unwrap_or(u32::MAX);
            *tokens = tokens.saturating_add(refills).min(INVITE_BURST);
            *counted += INVITE_REFILL * refills.min(INVITE_BURST);
            if *tokens == INVITE_BURST {
                *counted = now;
            }
        }
        if *tokens == 0 {
            self.counters
                .invites_flooded
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(%from, "INVITE flood: dropped");
            return false;
        }
        *tokens -= 1;
        true
    }

    /// The stand-in address of a device (given one the first time), noting its account
    /// (the newest word on it: the network's, when the device opened a stream).
    pub fn address_of(&mut self, peer: PeerId, account: &AccountId) -> SocketAddr {
        let next = stand_in(self.addresses.len() as u32 + 1);
        let address = *self.addresses.entry(peer).or_insert(next);
        self.devices.insert(address, (peer, account.clone()));
        address
    }

    /// The device and account behind a stand-in address.
    pub fn device(&self, address: SocketAddr) -> Option<&(PeerId, AccountId)> {
        self.devices.get(&address)
    }

    /// Where a device's URI (`sip:ACCOUNT@PEER`) goes: the device and its stand-in.
    pub fn resolve(
        &mut self,
        target: &str,
    ) -> Result<(PeerId, SocketAddr), crate::sip::session::ResolveError> {
        use crate::sip::session::ResolveError;
        let uri = crate::sip::SipUri::parse(target).map_err(|err| ResolveError::BadTarget {
            target: target.to_owned(),
            reason: err.to_string(),
        })?;
        let peer: PeerId = uri.host.parse().map_err(|_| ResolveError::NotADevice {
            target: target.to_owned(),
            host: uri.host.clone(),
        })?;
        let account = AccountId(uri.user.unwrap_or_default());
        Ok((peer, self.address_of(peer, &account)))
    }

    /// Binds a call's loopback RTP sockets and starts its bridge.
    pub fn bind_media(&mut self, call: CallId, seed: u64) -> std::io::Result<Arc<RtpSockets>> {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let sockets = Arc::new(RtpSockets::bind(loopback, seed)?);
        let socket = std::net::UdpSocket::bind(SocketAddr::new(loopback, 0))?;
        socket.set_nonblocking(true)?;
        let socket = UdpSocket::from_std(socket)?;
        let address = socket.local_addr()?;
        let media = (sockets.rtp.local_addr()?, sockets.rtcp.local_addr()?);
        let (streams, streams_rx) = mpsc::unbounded_channel();
        let lost = self.inputs.clone();
        let report_lost = move || {
            lost.send(LinkInput::MediaLost(call)).ok();
        };
        let moved = self.inputs.clone();
        let report_path = move |route| {
            moved.send(LinkInput::Path { call, route }).ok();
        };
        let udp = ice_sockets();
        let locals: Vec<SocketAddr> = udp.iter().map(|(local, _)| *local).collect();
        let now = tokio::time::Instant::now().into_std();
        let stun_servers = self
            .stun_servers
            .read()
            .map(|servers| servers.clone())
            .unwrap_or_default();
        let ice = IceSession::new(&locals, &stun_servers, seed, now);
        let ends = Ends {
            media_socket: socket,
            media,
            udp,
            sockets: Arc::clone(&sockets),
        };
        let counters = Arc::clone(&self.counters);
        let reports = Reports {
            lost: report_lost,
            moved: report_path,
            counters,
        };
        let task = tokio::spawn(bridge(ends, ice, streams_rx, reports));
        self.bridges.insert(
            call,
            Bridge {
                sockets: Arc::clone(&sockets),
                address,
                streams,
                settled: false,
                device_known: false,
                task,
            },
        );
        Ok(sockets)
    }

    /// The call is over: its bridge stops.
    pub fn release(&mut self, call: CallId) {
        self.bridges.remove(&call);
    }

    /// Offer/answer settled a call's media with the device at `remote`: the media thread
    /// is pointed at the bridge, and, when this side opens (the lower peer id does, so
    /// that one stream is opened per call), the RTP stream is opened.
    /// Returns the device the first time it is known for the call.
    pub fn media(
        &mut self,
        call: CallId,
        remote: Option<SocketAddr>,
        params: &mut StreamParams,
    ) -> Option<PeerId> {
        let bridge = self.bridges.get_mut(&call)?;
        let their_port = params.remote_rtp.port();
        params.remote_rtp = bridge.address;
        params.remote_rtcp = bridge.address;
        let Some(&(peer, _)) = remote.and_then(|remote| self.devices.get(&remote)) else {
            tracing::warn!(call = call.0, "P2P call media with no known device");
            return None;
        };
        let first = !bridge.device_known;
        bridge.device_known = true;
        let first = first.then_some(peer);
        if bridge.settled {
            return first;
        }
        bridge.settled = true;
        if self.own >= peer {
            bridge.streams.send(ToBridge::Awaited).ok();
            return first;
        }
        let opener = Opener {
            control: self.control.clone(),
            peer,
            port: their_port,
            streams: bridge.streams.clone(),
        };
        opener.open();
        bridge.streams.send(ToBridge::Opener(opener)).ok();
        first
    }

    /// Reads an inbound RTP stream's first frame on a task of its own.
    pub fn read_open(&self, peer: PeerId, mut stream: libp2p::Stream) {
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            let mut first = [0u8; FRAME_HEADER + 2];
            let read = tokio::time::timeout(OPEN_TIMEOUT, stream.read_exact(&mut first)).await;
            if !matches!(read, Ok(Ok(()))) {
                tracing::info!(%peer, "an RTP stream sent no first frame");
                return;
            }
            let mut decoder = FrameDecoder::default();
            decoder.push(&first);
            match decoder.next_frame() {
                Ok(Some(Frame::Open { port })) => {
                    inputs
                        .send(LinkInput::MediaOpened { peer, port, stream })
                        .ok();
                }
                other => tracing::info!(%peer, ?other, "an RTP stream did not open with its port"),
            }
        });
    }

    /// An RTP stream for the call on `port` came from `peer`: it carries that call's media
    /// if the call is with that device (`reaches`: the call runs over that stand-in
    /// address, or a leg of it went there — the stream may come before the answer does).
    pub fn media_opened(
        &mut self,
        peer: PeerId,
        port: u16,
        stream: libp2p::Stream,
        reaches: impl Fn(CallId, SocketAddr) -> bool,
    ) {
        let address = self.addresses.get(&peer).copied();
        let found = self.bridges.iter().find(|(call, bridge)| {
            bridge.sockets.port() == port && address.is_some_and(|address| reaches(**call, address))
        });
        match found {
            Some((_, bridge)) => {
                bridge.streams.send(ToBridge::Stream(stream, false)).ok();
            }
            None => {
                self.counters
                    .streams_refused
                    .fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, port, "RTP stream for no call of that device refused");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a starting point for the fake clock"
    )]
    async fn an_invite_flood_from_one_device_is_cut_and_counted() {
        let (inputs, _) = mpsc::unbounded_channel();
        let swarm_streams = libp2p_stream::Behaviour::new();
        let mut link = P2pLink::new(
            PeerId::random(),
            swarm_streams.new_control(),
            inputs,
            StunServers::default(),
            Arc::default(),
        );
        let (flooder, other) = (stand_in(1), stand_in(2));
        let start = Instant::now();
        let invite = b"INVITE sip:x@y SIP/2.0\r\n";
        let taken = (0..50)
            .filter(|_| link.admit(flooder, invite, start))
            .count();
        assert_eq!(taken, INVITE_BURST as usize);
        assert_eq!(link.counters.invites_flooded.load(Ordering::Relaxed), 30);
        // Other messages and other devices are not held back.
        assert!(link.admit(flooder, b"BYE sip:x@y SIP/2.0\r\n", start));
        assert!(link.admit(other, invite, start));
        // Two a second come back: over the next 10 s, 20 more, not 40.
        let later = (1..=40u32)
            .filter(|step| link.admit(flooder, invite, start + INVITE_REFILL / 2 * *step))
            .count();
        assert_eq!(later, 20);
    }

    /// A call whose RTP stream never comes (every opening hangs: the swarm under the
    /// control is never run) ends as lost [`NO_STREAM_AFTER`] after offer/answer settled
    /// it, on the side that opens the stream and on the side that waits for it; before
    /// this, such a call stayed up with no media until someone hung up.
    #[tokio::test(start_paused = true)]
    async fn a_call_whose_rtp_stream_never_comes_is_lost_on_both_sides() {
        for opens in [true, false] {
            let (inputs, mut reports) = mpsc::unbounded_channel();
            let own = PeerId::random();
            let peer = std::iter::repeat_with(PeerId::random)
                .find(|peer| (own < *peer) == opens)
                .unwrap();
            let swarm_streams = libp2p_stream::Behaviour::new();
            let mut link = P2pLink::new(
                own,
                swarm_streams.new_control(),
                inputs,
                StunServers::default(),
                Arc::default(),
            );
            let remote = link.address_of(peer, &AccountId("bob".into()));
            let call = CallId(7);
            link.bind_media(call, 1).unwrap();
            let codec = crate::sdp::Codec::by_id("pcmu").unwrap();
            let mut params = StreamParams::plain(codec, remote);
            assert_eq!(link.media(call, Some(remote), &mut params), Some(peer));
            let settled = tokio::time::Instant::now();
            let lost = tokio::time::timeout(Duration::from_secs(60), async {
                loop {
                    match reports.recv().await {
                        Some(LinkInput::MediaLost(lost)) => break Some(lost),
                        Some(_) => {}
                        None => break None,
                    }
                }
            })
            .await;
            assert_eq!(lost, Ok(Some(call)), "opens={opens}");
            let after = settled.elapsed();
            assert!(
                after >= NO_STREAM_AFTER && after <= NO_STREAM_AFTER + PING_INTERVAL * 2,
                "opens={opens}: lost after {after:?}"
            );
        }
    }
}
