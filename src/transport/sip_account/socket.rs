//! The account's socket: UDP, or a TCP/TLS transport with its connections.

use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::transport::sip_tcp::{Inbound, TcpTransport};

/// The account's socket.
#[derive(Debug)]
pub(super) enum SipSocket {
    Udp(UdpSocket),
    Tcp(Box<TcpTransport>),
}

impl SipSocket {
    /// The next message and who sent it; `None` for a receive error worth only a log line
    /// (on Linux, ICMP port-unreachable surfaces on the UDP socket). Cancel-safe.
    pub(super) async fn recv(&mut self, buffer: &mut [u8]) -> Option<Inbound> {
        match self {
            SipSocket::Udp(socket) => match socket.recv_from(buffer).await {
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
            SipSocket::Udp(socket) => match socket.try_recv_from(buffer) {
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

    pub(super) async fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            SipSocket::Udp(socket) => socket.send_to(bytes, to).await.map(|_| ()),
            SipSocket::Tcp(transport) => transport.send(to, bytes).await,
        }
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
