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
}

impl RtpSockets {
    /// Binds an even port and the one above on `ip`, non-blocking.
    pub fn bind(ip: IpAddr, seed: u64) -> std::io::Result<RtpSockets> {
        let span = u64::from(PORT_RANGE.end - PORT_RANGE.start) / 2;
        let mut last_error = None;
        for attempt in 0..64u64 {
            let slot = (seed.wrapping_add(attempt.wrapping_mul(7_919))) % span;
            let port = PORT_RANGE.start + (slot * 2) as u16;
            let rtp = match UdpSocket::bind(SocketAddr::new(ip, port)) {
                Ok(socket) => socket,
                Err(err) => {
                    last_error = Some(err);
                    continue;
                }
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)) else {
                continue;
            };
            rtp.set_nonblocking(true)?;
            rtcp.set_nonblocking(true)?;
            return Ok(RtpSockets {
                rtp,
                rtcp,
                direct: DirectPath::default(),
            });
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no free RTP port pair")))
    }

    /// The RTP port.
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().map_or(0, |address| address.port())
    }
}
