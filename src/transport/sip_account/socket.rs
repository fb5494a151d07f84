//! The account's socket: UDP, or a TCP/TLS transport with its connections.

use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::transport::sip_tcp::{Inbound, TcpTransport};

/// The account's socket.
#[derive(Debug)]
pub(super) enum SipSocket {
    /// A UDP socket, and the datagrams of this turn waiting for [`SipSocket::flush`].
    Udp(UdpSocket, Vec<(SocketAddr, Vec<u8>)>),
    Tcp(Box<TcpTransport>),
}

impl SipSocket {
    /// A UDP socket with nothing queued.
    pub(super) fn udp(socket: UdpSocket) -> SipSocket {
        SipSocket::Udp(socket, Vec::new())
    }

    /// The next message and who sent it; `None` for a receive error worth only a log line
    /// (on Linux, ICMP port-unreachable surfaces on the UDP socket). Cancel-safe.
    pub(super) async fn recv(&mut self, buffer: &mut [u8]) -> Option<Inbound> {
        match self {
            SipSocket::Udp(socket, _) => match socket.recv_from(buffer).await {
                Ok((len, from)) => Some(Inbound::Message(
                    from,
                    buffer.get(..len).unwrap_or_default().to_vec(),
                )),
                Err(err) => {
                    tracing::debug!(%err, "SIP socket receive error");
                    None
                }
            },
            SipSocket::Tcp(transport) => Some(transport.recv().await),
        }
    }

    /// A datagram already waiting, without waiting for one (UDP only: a stream transport
    /// reads on its own tasks).
    pub(super) fn try_recv(&mut self, buffer: &mut [u8]) -> Option<Inbound> {
        match self {
            SipSocket::Udp(socket, _) => match socket.try_recv_from(buffer) {
                Ok((len, from)) => Some(Inbound::Message(
                    from,
                    buffer.get(..len).unwrap_or_default().to_vec(),
                )),
                Err(err) => {
                    if err.kind() != std::io::ErrorKind::WouldBlock {
                        tracing::debug!(%err, "SIP socket receive error");
                    }
                    None
                }
            },
            SipSocket::Tcp(_) => None,
        }
    }

    /// Sends `bytes` to `to`: on a stream transport now, on UDP at the turn's
    /// [`SipSocket::flush`] (a turn's datagrams, such as an INVITE's 100, 180 and 200, go
    /// out in one system call and wake the peer once).
    pub(super) async fn send(&mut self, to: SocketAddr, bytes: Vec<u8>) -> std::io::Result<()> {
        match self {
            SipSocket::Udp(_, queued) => {
                queued.push((to, bytes));
                Ok(())
            }
            SipSocket::Tcp(transport) => transport.send(to, &bytes).await,
        }
    }

    /// Sends the datagrams queued this turn, in order; returns those that failed, with why.
    pub(super) async fn flush(&mut self) -> Vec<(SocketAddr, std::io::Error)> {
        let SipSocket::Udp(socket, queued) = self else {
            return Vec::new();
        };
        let datagrams = std::mem::take(queued);
        let mut failed = Vec::new();
        let mut rest = datagrams.as_slice();
        while let Some((to, _)) = rest.first() {
            match send_some(socket, rest).await {
                Ok(sent) => rest = rest.get(sent.max(1)..).unwrap_or_default(),
                Err(err) => {
                    failed.push((*to, err));
                    rest = rest.get(1..).unwrap_or_default();
                }
            }
        }
        failed
    }

    /// Pings the connections (TCP, TLS) or, on UDP, `proxy` (the one we register
    /// through), keeping NAT bindings open.
    pub(super) async fn keep_alive(&mut self, proxy: Option<SocketAddr>) {
        match self {
            SipSocket::Tcp(transport) => transport.keep_alive().await,
            SipSocket::Udp(socket, _) => {
                if let Some(proxy) = proxy
                    && let Err(err) = socket.send_to(b"\r\n\r\n", proxy).await
                {
                    tracing::debug!(%err, "keep-alive failed");
                }
            }
        }
    }
}

/// Sends the first of `datagrams` and as many after it as one system call takes, waiting
/// for room if there is none: how many went, or the first one's error.
#[cfg(target_os = "linux")]
async fn send_some(
    socket: &UdpSocket,
    datagrams: &[(SocketAddr, Vec<u8>)],
) -> std::io::Result<usize> {
    use std::os::fd::AsFd as _;
    loop {
        let sent = socket.try_io(tokio::io::Interest::WRITABLE, || {
            crate::media::batch::send_batch(socket.as_fd(), datagrams)
        });
        match sent {
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => socket.writable().await?,
            sent => return sent,
        }
    }
}

/// Sends the first of `datagrams`: one.
#[cfg(not(target_os = "linux"))]
async fn send_some(
    socket: &UdpSocket,
    datagrams: &[(SocketAddr, Vec<u8>)],
) -> std::io::Result<usize> {
    match datagrams.first() {
        Some((to, bytes)) => socket.send_to(bytes, *to).await.map(|_| 1),
        None => Ok(0),
    }
}

/// The start line of a datagram, for logs.
pub(super) fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == b'\r' || byte == b'\n')
        .unwrap_or(bytes.len())
        .min(200);
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}
