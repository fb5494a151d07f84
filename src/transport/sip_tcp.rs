//! SIP over TCP and TLS (RFC 3261 §18, §26.2): for TCP a listener for peers that connect
//! to us; one connection per peer address reused for everything sent there (TLS accounts
//! only connect out, with the server's certificate verified against Mozilla's roots and
//! an optional extra CA); and a reader task per connection that frames messages with
//! `SipMessage::parse_stream` (Content-Length) and hands them over whole. A framing error
//! closes the connection (the stream cannot be resynchronised).
//!
//! A P2P account's calls use the same transport over libp2p streams
//! (`/ringlet/sip/1.0.0`): each device is known by a stand-in address, streams the device
//! opened are adopted under it, and sending to it opens a stream when there is none.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type Writer = Box<dyn AsyncWrite + Send + Unpin>;
type Reader = Box<dyn AsyncRead + Send + Unpin>;

use tokio_util::compat::FuturesAsyncReadCompatExt as _;

use crate::p2p::callstream::SIP_PROTOCOL;
use crate::sip::SipMessage;

/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Tries at opening a stream to a device, and the pause between them.
const OPEN_TRIES: u32 = 4;
const OPEN_RETRY: Duration = Duration::from_millis(250);
/// Connections kept at most; the oldest is closed past it.
const MAX_CONNECTIONS: usize = 256;

/// What a reader task reports: a whole message, or that the connection closed.
pub enum Inbound {
    /// A whole message and where it came from.
    Message(SocketAddr, Vec<u8>),
    /// The connection (or stream) to that address closed.
    Closed(SocketAddr),
}

/// A TCP listener (or, for TLS, none) and the connections of one account.
pub struct TcpTransport {
    listener: Option<TcpListener>,
    local: SocketAddr,
    tls: Option<TlsClient>,
    p2p: Option<P2pDialer>,
    writers: HashMap<SocketAddr, Writer>,
    order: Vec<SocketAddr>,
    /// What reader tasks report, with the serial of their connection.
    inbound_tx: mpsc::UnboundedSender<(Inbound, u64)>,
    inbound_rx: mpsc::UnboundedReceiver<(Inbound, u64)>,
    /// The serial of each address's current connection: a connection replaced by a newer
    /// one (a device that reconnected) closing later says nothing about the new one.
    serials: HashMap<SocketAddr, u64>,
    next_serial: u64,
}

impl std::fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpTransport")
            .field("local", &self.local)
            .field("tls", &self.tls.is_some())
            .field("p2p", &self.p2p.is_some())
            .field("connections", &self.order)
            .finish()
    }
}

/// How TLS connections are opened.
struct TlsClient {
    connector: tokio_rustls::TlsConnector,
    /// The name each server's certificate must carry (its IP address when not known).
    names: HashMap<SocketAddr, ServerName<'static>>,
}

/// How streams to devices are opened: on a task, so that a device that does not answer
/// holds nothing up; what is sent meanwhile waits for the stream.
struct P2pDialer {
    control: libp2p_stream::Control,
    /// The device behind each stand-in address.
    devices: HashMap<SocketAddr, libp2p::PeerId>,
    /// Messages waiting for a stream being opened.
    pending: HashMap<SocketAddr, Vec<Vec<u8>>>,
    opened_tx: mpsc::UnboundedSender<(SocketAddr, Result<libp2p::Stream, OpenError>)>,
    opened_rx: mpsc::UnboundedReceiver<(SocketAddr, Result<libp2p::Stream, OpenError>)>,
}

/// Why no SIP stream to a device could be had.
#[derive(Debug, thiserror::Error)]
enum OpenError {
    /// The network could not open one (no connection, the protocol refused).
    #[error(transparent)]
    Open(#[from] libp2p_stream::OpenStreamError),
    /// Opening took too long.
    #[error("no stream within {0:?}")]
    TimedOut(Duration),
}

/// Why no TLS client configuration could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsConfigError {
    /// The extra CA file cannot be read, or holds no certificate.
    #[error("{}: {reason}", path.display())]
    Certificates {
        /// The PEM file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused its own defaults.
    #[error("{0}")]
    Rustls(String),
}

/// A TLS client configuration trusting Mozilla's roots and, when given, the CA
/// certificates in the PEM file `extra_ca`.
pub fn tls_client_config(extra_ca: Option<&Path>) -> Result<rustls::ClientConfig, TlsConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let unreadable = |err: &dyn std::fmt::Display| TlsConfigError::Certificates {
            path: path.to_owned(),
            reason: err.to_string(),
        };
        let certificates = CertificateDer::pem_file_iter(path).map_err(|err| unreadable(&err))?;
        let mut added = 0;
        for certificate in certificates {
            let certificate = certificate.map_err(|err| unreadable(&err))?;
            roots.add(certificate).map_err(|err| unreadable(&err))?;
            added += 1;
        }
        if added == 0 {
            return Err(unreadable(&"no certificate in it"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsConfigError::Rustls(err.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inbound::Message(from, bytes) => write!(f, "Message({from}, {} bytes)", bytes.len()),
            Inbound::Closed(from) => write!(f, "Closed({from})"),
        }
    }
}

impl TcpTransport {
    /// A transport with no connection yet: the one way each kind is built.
    fn new(
        local: SocketAddr,
        listener: Option<TcpListener>,
        tls: Option<TlsClient>,
        p2p: Option<P2pDialer>,
    ) -> TcpTransport {
        let (inbound_tx, inbound_rx) = mpsc::unbounded_channel();
        TcpTransport {
            listener,
            local,
            tls,
            p2p,
            writers: HashMap::new(),
            order: Vec::new(),
            inbound_tx,
            inbound_rx,
            serials: HashMap::new(),
            next_serial: 0,
        }
    }

    /// Listens on `address` (a std listener made non-blocking, so this needs no runtime).
    pub fn bind(address: SocketAddr) -> std::io::Result<TcpTransport> {
        let listener = std::net::TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let local = listener.local_addr()?;
        Ok(TcpTransport::new(local, Some(listener), None, None))
    }

    /// A TLS transport that only connects out (a softphone has no server certificate);
    /// `local` is the address it names in Contact and Via.
    pub fn tls_client(local: SocketAddr, config: rustls::ClientConfig) -> TcpTransport {
        let tls = TlsClient {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            names: HashMap::new(),
        };
        TcpTransport::new(local, None, Some(tls), None)
    }

    /// A transport over libp2p streams to devices (no listener: the network hands over
    /// the streams devices open); `local` is the address named in Contact and Via.
    pub fn p2p(local: SocketAddr, control: libp2p_stream::Control) -> TcpTransport {
        let (opened_tx, opened_rx) = mpsc::unbounded_channel();
        let dialer = P2pDialer {
            control,
            devices: HashMap::new(),
            pending: HashMap::new(),
            opened_tx,
            opened_rx,
        };
        TcpTransport::new(local, None, None, Some(dialer))
    }

    /// The device that messages to `address` go to (P2P only).
    pub fn set_device(&mut self, address: SocketAddr, device: libp2p::PeerId) {
        if let Some(p2p) = self.p2p.as_mut() {
            p2p.devices.insert(address, device);
        }
    }

    /// Takes a SIP stream a device opened, under its stand-in address.
    pub fn adopt_stream(&mut self, stream: libp2p::Stream, address: SocketAddr) {
        self.adopt(stream.compat(), address);
    }

    /// The name the certificate of the server at `address` must carry (a host name or
    /// an IP address).
    pub fn set_server_name(&mut self, address: SocketAddr, name: &str) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if let Ok(name) = ServerName::try_from(name.to_owned()) {
            tls.names.insert(address, name);
        }
    }

    /// The listening address (for TLS, the address named in Contact).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Closes every connection's write half, after a move: they run from an address that
    /// is gone, so the next message opens a new one from the current address (a reader
    /// ends when its peer closes).
    pub fn close_connections(&mut self) {
        self.writers.clear();
        self.order.clear();
        self.serials.clear();
    }

    /// The next whole message from any connection, or, on P2P, a stream that closed
    /// (a device that went or refused us). Cancel-safe, except while the messages that
    /// waited for a just-opened P2P stream are written to it (one buffered write each).
    pub async fn recv(&mut self) -> Inbound {
        loop {
            let accept = async {
                match &self.listener {
                    Some(listener) => listener.accept().await,
                    None => std::future::pending().await,
                }
            };
            let opened = async {
                match self.p2p.as_mut() {
                    Some(p2p) => p2p.opened_rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some((to, opened)) = opened => {
                    if let Some(closed) = self.on_opened(to, opened).await {
                        return closed;
                    }
                }
                accepted = accept => match accepted {
                    Ok((stream, peer)) => {
                        stream.set_nodelay(true).ok();
                        self.adopt(stream, peer);
                    }
                    Err(err) => tracing::debug!(%err, "SIP TCP accept failed"),
                },
                Some((inbound, serial)) = self.inbound_rx.recv() => match inbound {
                    Inbound::Message(from, bytes) => return Inbound::Message(from, bytes),
                    Inbound::Closed(from) if self.serials.get(&from) == Some(&serial) => {
                        self.serials.remove(&from);
                        self.writers.remove(&from);
                        self.order.retain(|known| *known != from);
                        if self.p2p.is_some() {
                            return Inbound::Closed(from);
                        }
                    }
                    Inbound::Closed(from) => {
                        tracing::debug!(%from, "an older connection closed");
                    }
                },
            }
        }
    }

    /// Sends over the connection to `to`, opening one if there is none.
    pub async fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> std::io::Result<()> {
        if !self.writers.contains_key(&to)
            && let Some(p2p) = self.p2p.as_mut()
        {
            if let Some(waiting) = p2p.pending.get_mut(&to) {
                waiting.push(bytes.to_vec());
                return Ok(());
            }
            let device = p2p
                .devices
                .get(&to)
                .copied()
                .ok_or(std::io::ErrorKind::AddrNotAvailable)?;
            p2p.pending.insert(to, vec![bytes.to_vec()]);
            let mut control = p2p.control.clone();
            let opened = p2p.opened_tx.clone();
            tokio::spawn(async move {
                // A connection on its way out (a relay circuit that ran out) refuses the
                // stream: a few more tries find the one that replaces it.
                let open = async {
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        match control.open_stream(device, SIP_PROTOCOL).await {
                            Ok(stream) => return Ok(stream),
                            Err(err) if tries >= OPEN_TRIES => return Err(OpenError::from(err)),
                            Err(err) => {
                                tracing::debug!(%to, %err, "no SIP stream yet: trying again");
                                tokio::time::sleep(OPEN_RETRY).await;
                            }
                        }
                    }
                };
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, open)
                    .await
                    .map_err(|_| OpenError::TimedOut(CONNECT_TIMEOUT))
                    .and_then(|stream| stream);
                opened.send((to, stream)).ok();
            });
            return Ok(());
        }
        if !self.writers.contains_key(&to) {
            let timed_out =
                || std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
            let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(to))
                .await
                .map_err(|_| timed_out())??;
            stream.set_nodelay(true).ok();
            match &self.tls {
                None => self.adopt(stream, to),
                Some(tls) => {
                    let name = tls
                        .names
                        .get(&to)
                        .cloned()
                        .unwrap_or_else(|| ServerName::IpAddress(to.ip().into()));
                    // The handshake verifies the server's certificate for `name`.
                    let stream =
                        tokio::time::timeout(CONNECT_TIMEOUT, tls.connector.connect(name, stream))
                            .await
                            .map_err(|_| timed_out())??;
                    self.adopt(stream, to);
                }
            }
        }
        let Some(writer) = self.writers.get_mut(&to) else {
            return Err(std::io::ErrorKind::NotConnected.into());
        };
        let mut written = writer.write_all(bytes).await;
        if written.is_ok() {
            // A libp2p stream sends what it buffered on flush; TCP and TLS at once.
            written = writer.flush().await;
        }
        if written.is_err() {
            self.writers.remove(&to);
            self.order.retain(|known| *known != to);
        }
        written
    }

    /// A stream to a device was opened (what waited for it goes out) or could not be
    /// (reported as closed, so that what waits for an answer fails at once).
    async fn on_opened(
        &mut self,
        to: SocketAddr,
        opened: Result<libp2p::Stream, OpenError>,
    ) -> Option<Inbound> {
        let waiting = self
            .p2p
            .as_mut()
            .and_then(|p2p| p2p.pending.remove(&to))
            .unwrap_or_default();
        match opened {
            Ok(stream) => {
                self.adopt_stream(stream, to);
                for message in waiting {
                    if self.send(to, &message).await.is_err() {
                        return Some(Inbound::Closed(to));
                    }
                }
                None
            }
            Err(error) => {
                tracing::info!(%to, %error, "no SIP stream to the device");
                Some(Inbound::Closed(to))
            }
        }
    }

    /// Sends the double-CRLF ping (RFC 5626 §4.4.1) on every connection, keeping NAT and
    /// firewall bindings open and finding dead connections early.
    pub async fn keep_alive(&mut self) {
        let peers = self.order.clone();
        for peer in peers {
            if let Some(writer) = self.writers.get_mut(&peer)
                && writer.write_all(b"\r\n\r\n").await.is_err()
            {
                self.writers.remove(&peer);
                self.order.retain(|known| *known != peer);
            }
        }
    }

    fn adopt<S>(&mut self, stream: S, peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let (reader, writer) = tokio::io::split(stream);
        let (reader, writer): (Reader, Writer) = (Box::new(reader), Box::new(writer));
        if self.order.len() >= MAX_CONNECTIONS {
            let oldest = self.order.remove(0);
            self.writers.remove(&oldest);
        }
        self.writers.insert(peer, writer);
        self.order.retain(|known| *known != peer);
        self.order.push(peer);
        self.next_serial += 1;
        let serial = self.next_serial;
        self.serials.insert(peer, serial);
        tokio::spawn(read_messages(reader, peer, serial, self.inbound_tx.clone()));
    }
}

async fn read_messages(
    mut reader: Reader,
    peer: SocketAddr,
    serial: u64,
    inbound: mpsc::UnboundedSender<(Inbound, u64)>,
) {
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // CRLF keep-alives between messages (RFC 5626 §4.4.1) are dropped as they come,
        // so a peer sending only those cannot grow the buffer.
        let blank = buffer
            .iter()
            .take_while(|&&byte| byte == b'\r' || byte == b'\n')
            .count();
        buffer.drain(..blank);
        match SipMessage::parse_stream(&buffer) {
            Ok(Some((_, used))) => {
                let message = buffer.drain(..used).collect::<Vec<u8>>();
                if inbound
                    .send((Inbound::Message(peer, message), serial))
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(err) => {
                tracing::info!(%peer, %err, "closing SIP TCP connection: bad framing");
                break;
            }
        }
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => buffer.extend_from_slice(chunk.get(..read).unwrap_or_default()),
        }
    }
    inbound.send((Inbound::Closed(peer), serial)).ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK1\r\n\
                           From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c\r\n\
                           CSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello";

    #[tokio::test]
    async fn messages_are_framed_across_writes_and_keep_alives_dropped() {
        let mut transport = TcpTransport::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = transport.local_addr().unwrap();
        let mut peer = TcpStream::connect(address).await.unwrap();
        // Keep-alives, then two messages: the first split mid-body, the second whole.
        let both = format!("\r\n\r\n{OPTIONS}{OPTIONS}");
        let (first, second) = both.as_bytes().split_at(60);
        peer.write_all(first).await.unwrap();
        peer.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        peer.write_all(second).await.unwrap();
        for _ in 0..2 {
            let Inbound::Message(from, bytes) = transport.recv().await else {
                panic!("the connection closed");
            };
            assert_eq!(from, peer.local_addr().unwrap());
            assert_eq!(bytes, OPTIONS.as_bytes());
        }
        // Replies go back over the same connection.
        transport
            .send(from_addr(&peer), b"SIP/2.0 200 OK\r\n\r\n")
            .await
            .unwrap();
        let mut reply = [0u8; 18];
        peer.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"SIP/2.0 200 OK\r\n\r\n");
        // Keep-alive pings go out on every connection.
        transport.keep_alive().await;
        let mut ping = [0u8; 4];
        peer.read_exact(&mut ping).await.unwrap();
        assert_eq!(&ping, b"\r\n\r\n");
    }

    fn from_addr(stream: &TcpStream) -> SocketAddr {
        stream.local_addr().unwrap()
    }

    #[tokio::test]
    async fn a_message_without_content_length_closes_the_connection() {
        let mut transport = TcpTransport::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = transport.local_addr().unwrap();
        let mut peer = TcpStream::connect(address).await.unwrap();
        let broken = OPTIONS.replace("Content-Length: 5\r\n", "");
        peer.write_all(broken.as_bytes()).await.unwrap();
        // Nothing is delivered; the connection is closed from our side.
        let delivered = tokio::time::timeout(Duration::from_millis(300), transport.recv()).await;
        assert!(delivered.is_err(), "{delivered:?}");
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(2), peer.read_to_end(&mut rest)).await;
        assert!(matches!(read, Ok(Ok(0))), "{read:?}");
    }
}
