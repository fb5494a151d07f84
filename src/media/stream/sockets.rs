//! A call's RTP and RTCP sockets: an even port and the one above, bound together, and
//! the direct path (a P2P call's nominated ICE pair) that may stand in for them.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use crate::media::direct::DirectPath;

/// The range RTP ports are picked from (even numbers, RTCP one above).
const PORT_RANGE: std::ops::Range<u16> = 16_384..32_768;

/// A call's two sockets, bound together so that RTCP is RTP's port plus one.
#[derive(Debug)]
pub struct RtpSockets {
    /// RTP (and muxed RTCP).
    pub rtp: UdpSocket,
    /// RTCP when not muxed.
    pub rtcp: UdpSocket,
    /// A direct path that replaces both while it is set (a P2P call's nominated ICE pair).
    pub direct: DirectPath,
    /// The RTP port, kept rather than asked of the socket.
    port: u16,
}

impl RtpSockets {
    /// Binds an even port and the one above on `ip`, non-blocking.
    pub fn bind(ip: IpAddr, seed: u64) -> std::io::Result<RtpSockets> {
        let span = u64::from(PORT_RANGE.end - PORT_RANGE.start) / 2;
        let mut last_error = None;
        for attempt in 0..64u64 {
            let slot = (seed.wrapping_add(attempt.wrapping_mul(7_919))) % span;
            let port = PORT_RANGE.start + (slot * 2) as u16;
            let rtp = match bind_nonblocking(SocketAddr::new(ip, port)) {
                Ok(socket) => socket,
                Err(err) => {
                    last_error = Some(err);
                    continue;
                }
            };
            let Ok(rtcp) = bind_nonblocking(SocketAddr::new(ip, port + 1)) else {
                continue;
            };
            return Ok(RtpSockets {
                rtp,
                rtcp,
                direct: DirectPath::default(),
                port,
            });
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no free RTP port pair")))
    }

    /// The RTP port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// A non-blocking UDP socket bound to `address`. On Linux it is made non-blocking as it is
/// created: two system calls, not three, and a call binds two of these.
#[cfg(target_os = "linux")]
fn bind_nonblocking(address: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM.nonblocking(),
        None,
    )?;
    socket.bind(&address.into())?;
    Ok(socket.into())
}

/// A non-blocking UDP socket bound to `address`.
#[cfg(not(target_os = "linux"))]
fn bind_nonblocking(address: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind(address)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}
