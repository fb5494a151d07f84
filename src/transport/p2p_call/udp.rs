//! A call's UDP sockets for ICE: one per address of an interface that is up, and a
//! reader task per socket while the bridge reads it.
//!
//! The sockets are plain (non-blocking) std sockets: sending never waits, and only a
//! reader task registers one with the runtime's poller, through a descriptor of its own
//! that goes with the task. A socket handed to the media thread (`media::direct`) is thus
//! in no poller, so its packets wake nothing but the media thread's own reads.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// A call's bridge looks at the interfaces' addresses when the process's watcher tells of
/// a change (an address that came gets a socket and a candidate, one that went takes its
/// own with it), and at least this often, for a link that came up under an address the
/// kernel already had.
pub(super) const ADDRESS_BACKSTOP: Duration = Duration::from_secs(2);
/// How soon a look is repeated when a new address could not be bound (an IPv6 address
/// still checked for duplicates is seen before it can be used).
pub(super) const ADDRESS_RETRY: Duration = Duration::from_millis(250);

/// An ICE socket: its address and the socket.
pub(super) type IceSocket = (SocketAddr, Arc<std::net::UdpSocket>);

/// A call's UDP sockets for ICE: one per address of an interface that is up (see
/// [`ice_addresses`]), each on a port of the system's choosing.
pub(super) fn ice_sockets() -> Vec<IceSocket> {
    ice_addresses().into_iter().filter_map(bind_ice).collect()
}

/// A UDP socket for ICE on `ip`.
pub(super) fn bind_ice(ip: IpAddr) -> Option<IceSocket> {
    let socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).ok()?;
    socket.set_nonblocking(true).ok()?;
    Some((socket.local_addr().ok()?, Arc::new(socket)))
}

/// The addresses ICE uses: those of interfaces that are up, IPv6 link-local ones left
/// out, loopback only when there is no other.
pub(super) fn ice_addresses() -> Vec<IpAddr> {
    let addresses = match crate::transport::interfaces::up_addresses() {
        Ok(addresses) => addresses,
        Err(err) => {
            tracing::info!(%err, "no interface addresses: no direct UDP path");
            Vec::new()
        }
    };
    let outside: Vec<IpAddr> = addresses
        .iter()
        .copied()
        .filter(|ip| !ip.is_loopback())
        .collect();
    if outside.is_empty() {
        addresses
    } else {
        outside
    }
}

/// A datagram on one of the ICE sockets: the socket's address, the sender, the bytes.
pub(super) type UdpDatagram = (SocketAddr, SocketAddr, Vec<u8>);

/// Reads an ICE socket into `out` until the bridge goes or the task is aborted (its own
/// descriptor of the socket, and its registration with the poller, go with it).
pub(super) async fn read_udp(
    local: SocketAddr,
    socket: Arc<std::net::UdpSocket>,
    out: mpsc::Sender<UdpDatagram>,
) {
    let socket = match socket.try_clone().and_then(UdpSocket::from_std) {
        Ok(socket) => socket,
        Err(err) => {
            tracing::info!(%local, %err, "cannot read an ICE socket");
            return;
        }
    };
    let mut buffer = vec![0u8; 2048];
    loop {
        let Ok((length, from)) = socket.recv_from(&mut buffer).await else {
            // An address that went away can make every read fail: do not spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let bytes = buffer.get(..length).unwrap_or_default().to_vec();
        if out.send((local, from, bytes)).await.is_err() {
            return;
        }
    }
}
