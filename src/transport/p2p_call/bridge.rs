//! A call's media bridge task: carries the call's packets between the media thread's
//! loopback sockets and the other device, on the RTP stream it is given or on the UDP pair
//! ICE nominated (whose socket it hands to the media thread), runs ICE and its signalling,
//! pings the stream, and says when the device went silent or the path changed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::udp::{ADDRESS_BACKSTOP, ADDRESS_RETRY, IceSocket, bind_ice, ice_addresses, read_udp};
use super::upnp;
use super::{LOST_AFTER, LinkCounters, NO_STREAM_AFTER, Opener, PING_INTERVAL, ToBridge};
use crate::ice::{IceSession, Received};
use crate::media::direct::DirectRoute;
use crate::media::stream::RtpSockets;
use crate::p2p::callstream::{Frame, FrameDecoder};

/// How long the side that opens a call's RTP stream waits for its first one before it
/// opens another (an opening takes up to `OPEN_TIMEOUT`; the other side takes the newest).
const FIRST_OPEN_RETRY: Duration = Duration::from_secs(1);

/// Where a bridge reports: the call's media lost, its path changed, input refused.
pub(super) struct Reports<L, M> {
    pub(super) lost: L,
    pub(super) moved: M,
    pub(super) counters: Arc<LinkCounters>,
}

/// A bridge's sockets: the loopback one the media thread talks to, and the ICE ones.
pub(super) struct Ends {
    pub(super) media_socket: UdpSocket,
    /// The media thread's RTP and RTCP sockets.
    pub(super) media: (SocketAddr, SocketAddr),
    pub(super) udp: Vec<IceSocket>,
    /// The media thread's sockets, where the nominated pair is handed over.
    pub(super) sockets: Arc<RtpSockets>,
}

/// RTCP (RFC 5761 §4: packet types 192–223) rather than RTP, on a muxed path.
fn is_rtcp(packet: &[u8]) -> bool {
    packet.get(1).is_some_and(|kind| (192..=223).contains(kind))
}

/// Carries a call's packets between the media thread's sockets and the other device: on
/// the RTP stream it is given (the newest one), or on the UDP pair ICE nominated while it
/// holds. Pings the other side on the stream twice a second, and calls `lost` once if,
/// with a stream, nothing came for [`LOST_AFTER`], or if the stream awaited since the
/// media was settled never came and nothing was heard for [`NO_STREAM_AFTER`]; `moved`
/// hears each change of path.
pub(super) async fn bridge(
    ends: Ends,
    mut ice: IceSession,
    mut streams: mpsc::UnboundedReceiver<ToBridge>,
    reports: Reports<impl FnOnce(), impl Fn(Option<(SocketAddr, SocketAddr)>)>,
) {
    let Ends {
        media_socket,
        media,
        mut udp,
        sockets,
    } = ends;
    let Reports {
        lost,
        moved,
        counters,
    } = reports;
    let socket = Arc::new(media_socket);
    let (udp_tx, mut udp_rx) = mpsc::channel(256);
    let read = |(local, udp): &IceSocket| {
        (
            *local,
            tokio::spawn(read_udp(*local, Arc::clone(udp), udp_tx.clone())),
        )
    };
    let mut readers: HashMap<SocketAddr, tokio::task::JoinHandle<()>> =
        udp.iter().map(read).collect();
    // UPnP mappings of private IPv4 sockets: public addresses come on `mapped`; dropping a
    // socket's stop removes its mapping.
    let (mapped_tx, mut mapped) = mpsc::unbounded_channel();
    let map = |local: SocketAddr| {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(upnp::keep_mapped(local, mapped_tx.clone(), stopped));
        (local, stop)
    };
    let mut mappings: HashMap<SocketAddr, tokio::sync::oneshot::Sender<()>> = udp
        .iter()
        .map(|(local, _)| *local)
        .filter(|local| upnp::wanted(local.ip()))
        .map(map)
        .collect();
    let mut address_changes = crate::transport::interfaces::address_changes();
    let mut look_at_addresses = tokio::time::Instant::now() + ADDRESS_BACKSTOP;
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<String>();
    let mut writer: Option<futures::io::WriteHalf<libp2p::Stream>> = None;
    let mut reader: Option<tokio::task::JoinHandle<()>> = None;
    // When a frame last came, in milliseconds since `start` (written by the reader).
    let start = tokio::time::Instant::now();
    let heard = Arc::new(AtomicU64::new(0));
    let mut lost = Some(lost);
    let mut ping = tokio::time::interval(PING_INTERVAL);
    let mut buffer = vec![0u8; 65_535];
    let mut route = None;
    let mut opener: Option<Opener> = None;
    let mut reopened: Option<tokio::time::Instant> = None;
    // Since when a stream is awaited (the media was settled), until one comes.
    let mut awaited: Option<tokio::time::Instant> = None;
    // The local socket the media thread reads (the route's), since when, and when media
    // last came on it as seen so far.
    let mut handed: Option<(SocketAddr, Instant)> = None;
    let mut media_seen = None;
    loop {
        // With nothing due, an hour from now (never a time gone by, which would spin).
        let wake = ice.poll_timeout().map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3_600),
            tokio::time::Instant::from_std,
        );
        let mut frame = tokio::select! {
            received = socket.recv_from(&mut buffer) => {
                let Ok((length, from)) = received else {
                    continue;
                };
                let packet = buffer.get(..length).unwrap_or_default().to_vec();
                if from != media.0 && from != media.1 {
                    continue;
                }
                match route.and_then(|(local, remote)| Some((socket_for(&udp, local)?, remote))) {
                    Some((udp, remote)) => {
                        if let Err(err) = udp.send_to(&packet, remote) {
                            tracing::debug!(%err, %remote, "RTP on the direct path failed");
                        }
                        None
                    }
                    None if from == media.0 => Some(Frame::Rtp(packet)),
                    None => Some(Frame::Rtcp(packet)),
                }
            }
            Some((local, from, bytes)) = udp_rx.recv() => {
                let now = tokio::time::Instant::now().into_std();
                let received = ice.on_datagram(now, from, local, &bytes);
                if received == Received::Dropped {
                    counters.ice_refused.fetch_add(1, Ordering::Relaxed);
                } else {
                    // The device is there, whatever became of the stream.
                    heard.store(elapsed_ms(start), Ordering::Relaxed);
                }
                if received == Received::Media {
                    let to = if is_rtcp(&bytes) { media.1 } else { media.0 };
                    socket.send_to(&bytes, to).await.ok();
                }
                None
            }
            Ok(()) = address_changes.changed() => {
                look_at_addresses = tokio::time::Instant::now();
                None
            }
            () = tokio::time::sleep_until(look_at_addresses) => {
                let now_up = ice_addresses();
                let mut unbound = false;
                let (kept, gone): (Vec<_>, Vec<_>) =
                    udp.drain(..).partition(|(local, _)| now_up.contains(&local.ip()));
                udp = kept;
                for (local, _) in gone {
                    tracing::info!(%local, "an address went: its ICE candidates go");
                    ice.remove_host(local);
                    if let Some(reader) = readers.remove(&local) {
                        reader.abort();
                    }
                    mappings.remove(&local);
                }
                for ip in now_up {
                    if udp.iter().any(|(local, _)| local.ip() == ip) {
                        continue;
                    }
                    if let Some(bound) = bind_ice(ip) {
                        tracing::info!(local = %bound.0, "a new address: a new ICE candidate");
                        ice.add_host(bound.0);
                        let (local, reader) = read(&bound);
                        readers.insert(local, reader);
                        if upnp::wanted(local.ip()) {
                            let (local, stop) = map(local);
                            mappings.insert(local, stop);
                        }
                        udp.push(bound);
                    } else {
                        unbound = true;
                    }
                }
                let again = if unbound { ADDRESS_RETRY } else { ADDRESS_BACKSTOP };
                look_at_addresses = tokio::time::Instant::now() + again;
                ice.on_timeout(tokio::time::Instant::now().into_std());
                None
            }
            Some((local, external)) = mapped.recv() => {
                if udp.iter().any(|(socket, _)| *socket == local) {
                    ice.add_mapped(external, local);
                    ice.on_timeout(tokio::time::Instant::now().into_std());
                }
                None
            }
            Some(line) = lines.recv() => {
                let now = tokio::time::Instant::now().into_std();
                if let Err(err) = ice.on_signal(&line, now) {
                    counters.ice_refused.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(%err, "ICE signal refused");
                }
                None
            }
            () = tokio::time::sleep_until(wake) => {
                ice.on_timeout(tokio::time::Instant::now().into_std());
                None
            }
            _ = ping.tick() => {
                // Our stream closed while the call goes on: open another (a try each
                // tick); the other side takes the newest. The first one never came (its
                // opening failed: a relay connection on its way out refuses new streams):
                // ask again each FIRST_OPEN_RETRY, or the call stays up with no media.
                let closed = writer.is_none() || reader.as_ref().is_some_and(|r| r.is_finished());
                if closed && let Some(opener) = &opener {
                    let now = tokio::time::Instant::now();
                    let wait = if reader.is_some() { PING_INTERVAL / 2 } else { FIRST_OPEN_RETRY };
                    if reopened.is_none_or(|at| now - at >= wait) {
                        reopened = Some(now);
                        let first = reader.is_none();
                        tracing::info!(peer = %opener.peer, first, "no RTP stream for the call: opening another");
                        opener.open();
                    }
                }
                let silent = since(start, &heard);
                let gone = match (&reader, awaited) {
                    (Some(_), _) => silent >= LOST_AFTER,
                    (None, Some(since)) => {
                        since.elapsed() >= NO_STREAM_AFTER && silent >= NO_STREAM_AFTER
                    }
                    (None, None) => false,
                };
                if gone && let Some(lost) = lost.take() {
                    let stream = reader.is_some();
                    tracing::info!(?silent, stream, "a call's device is gone (its RTP stream went silent or never came)");
                    lost();
                }
                Some(Frame::Ping)
            }
            given = streams.recv() => {
                let (stream, controlling) = match given {
                    None => break,
                    Some(ToBridge::Opener(given)) => {
                        // It was handed over right after its first opening started.
                        reopened = Some(tokio::time::Instant::now());
                        awaited = reopened;
                        opener = Some(given);
                        continue;
                    }
                    Some(ToBridge::Awaited) => {
                        awaited = Some(tokio::time::Instant::now());
                        continue;
                    }
                    Some(ToBridge::Stream(stream, controlling)) => (stream, controlling),
                };
                let (read_half, write_half) = stream.split();
                writer = Some(write_half);
                // A stream is no sign of life: only what comes on it is (a stream we open
                // to a device that has hung up is taken and closed again at once; counted
                // as news, its reopening every half second kept a dead call up for ever).
                ice.set_controlling(controlling);
                ice.resend_signals();
                let to_media = Forward {
                    socket: Arc::clone(&socket),
                    media,
                    lines: lines_tx.clone(),
                    start,
                    heard: Arc::clone(&heard),
                };
                if let Some(old) = reader.replace(tokio::spawn(forward(read_half, to_media))) {
                    old.abort();
                }
                None
            }
        };
        while let Some(datagram) = ice.poll_transmit() {
            if let Some(udp) = socket_for(&udp, datagram.from) {
                // Non-blocking: a full buffer drops the check, as the network may.
                udp.send_to(&datagram.bytes, datagram.to).ok();
            }
        }
        let now = tokio::time::Instant::now().into_std();
        // Media the media thread took on the pair keeps the pair heard.
        // (Only news counts: a route taken back has no media time, and that is no sign of
        // life.)
        let last_media = handed.and_then(|(_, since)| sockets.direct.last_media(since));
        if let Some(at) = last_media
            && last_media != media_seen
        {
            media_seen = last_media;
            let after = at.saturating_duration_since(start.into_std()).as_millis();
            heard.fetch_max(u64::try_from(after).unwrap_or(u64::MAX), Ordering::Relaxed);
            if let Some((local, remote)) = route {
                ice.on_media(at, remote, local);
            }
        }
        if ice.route(now) != route {
            route = ice.route(now);
            tracing::info!(?route, "a call's media path changed");
            // The socket goes back to a reader of ours unless the media thread keeps it.
            if let Some((old, _)) = handed.take()
                && route.is_none_or(|(local, _)| local != old)
                && let Some(socket) = socket_for(&udp, old)
            {
                let (local, reader) = read(&(old, Arc::clone(socket)));
                readers.insert(local, reader);
            }
            let direct = route.and_then(|(local, remote)| {
                let socket = socket_for(&udp, local)?;
                Some(DirectRoute {
                    socket: Arc::clone(socket),
                    local,
                    remote,
                    others: udp_tx.clone(),
                    since: now,
                })
            });
            if let Some(direct) = &direct {
                if let Some(reader) = readers.remove(&direct.local) {
                    reader.abort();
                }
                handed = Some((direct.local, direct.since));
            }
            sockets.direct.set(direct);
            moved(route);
        }
        let mut signals =
            std::iter::from_fn(|| ice.poll_signal().map(Frame::Ice)).collect::<Vec<_>>();
        signals.extend(frame.take());
        let Some(stream) = writer.as_mut() else {
            continue;
        };
        for frame in signals {
            let sent = async {
                stream.write_all(&frame.encode()).await?;
                stream.flush().await
            };
            if let Err(err) = sent.await {
                tracing::info!(%err, "a call's RTP stream closed");
                writer = None;
                break;
            }
        }
    }
    sockets.direct.set(None);
    if let Some(reader) = reader {
        reader.abort();
    }
    for reader in readers.into_values() {
        reader.abort();
    }
}

/// The ICE socket bound to `local`.
fn socket_for(udp: &[IceSocket], local: SocketAddr) -> Option<&Arc<std::net::UdpSocket>> {
    udp.iter()
        .find(|(address, _)| *address == local)
        .map(|(_, socket)| socket)
}

fn elapsed_ms(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// How long since the reader last heard a frame.
fn since(start: tokio::time::Instant, heard: &AtomicU64) -> Duration {
    Duration::from_millis(elapsed_ms(start).saturating_sub(heard.load(Ordering::Relaxed)))
}

/// Where a stream's frames go: packets to the media thread's sockets, ICE lines to the
/// bridge, and when each frame came into `heard`.
struct Forward {
    socket: Arc<UdpSocket>,
    media: (SocketAddr, SocketAddr),
    lines: mpsc::UnboundedSender<String>,
    start: tokio::time::Instant,
    heard: Arc<AtomicU64>,
}

/// Sends the frames of an RTP stream on (see [`Forward`]) until the stream ends or sends
/// something that is not frames.
async fn forward(mut stream: futures::io::ReadHalf<libp2p::Stream>, to: Forward) {
    let mut decoder = FrameDecoder::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            let (packet, address) = match decoder.next_frame() {
                Ok(Some(Frame::Rtp(packet))) => (packet, to.media.0),
                Ok(Some(Frame::Rtcp(packet))) => (packet, to.media.1),
                Ok(Some(Frame::Ice(line))) => {
                    to.heard.store(elapsed_ms(to.start), Ordering::Relaxed);
                    to.lines.send(line).ok();
                    continue;
                }
                Ok(Some(Frame::Other { kind, .. })) => {
                    // From a later version: passed over (see `callstream`).
                    tracing::debug!(kind, "a call stream frame of an unknown kind skipped");
                    to.heard.store(elapsed_ms(to.start), Ordering::Relaxed);
                    continue;
                }
                Ok(Some(Frame::Open { .. } | Frame::Ping)) => {
                    to.heard.store(elapsed_ms(to.start), Ordering::Relaxed);
                    continue;
                }
                Ok(None) => break,
                Err(err) => {
                    tracing::info!(%err, "closing a call's RTP stream");
                    return;
                }
            };
            to.heard.store(elapsed_ms(to.start), Ordering::Relaxed);
            if let Err(err) = to.socket.send_to(&packet, address).await {
                tracing::debug!(%err, "RTP to the media thread failed");
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => decoder.push(chunk.get(..read).unwrap_or_default()),
        }
    }
}
