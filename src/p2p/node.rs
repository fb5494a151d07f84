//! `ringlet node`: a bootstrap and relay node with no account and no window.
//!
//! Its key lives in `DATA_DIR/node.key` (0600) so its peer id, and so the bootstrap
//! addresses users configure, survive restarts.

use std::io::Write as _;
use std::path::Path;

use libp2p::Multiaddr;
use tokio::sync::mpsc;

use super::identity::DeviceKey;
use super::network::{self, NetworkCommand, NetworkConfig, NetworkEvent};

/// Why the node could not run.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The key file is unusable.
    #[error("node key {path}: {reason}")]
    Key {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// The swarm could not start.
    #[error(transparent)]
    Network(#[from] network::NetworkError),
}

/// Loads the node's key from `dir/node.key`, creating it on first use.
pub fn node_key(dir: &Path) -> Result<DeviceKey, NodeError> {
    let path = dir.join("node.key");
    let fail = |reason: String| NodeError::Key {
        path: path.clone(),
        reason,
    };
    match std::fs::read(&path) {
        Ok(bytes) => DeviceKey::from_encoded(&bytes).map_err(|err| fail(err.to_string())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = DeviceKey::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options
                .open(&path)
                .and_then(|mut file| file.write_all(&key.encoded()))
                .map_err(|err| fail(err.to_string()))?;
            Ok(key)
        }
        Err(err) => Err(fail(err.to_string())),
    }
}

/// Answers STUN Binding requests on UDP `port` (IPv4 and IPv6, where they can be bound),
/// so that devices learn their public address for a call's direct path. Each answer is
/// one datagram to the request's source; anything else is dropped.
async fn serve_stun(port: u16) {
    let bind = |ip: std::net::IpAddr| async move {
        let socket = tokio::net::UdpSocket::bind((ip, port)).await;
        if let Err(err) = &socket {
            tracing::info!(%ip, port, %err, "no STUN service on this address");
        }
        socket.ok()
    };
    let sockets = [
        bind(std::net::Ipv4Addr::UNSPECIFIED.into()).await,
        bind(std::net::Ipv6Addr::UNSPECIFIED.into()).await,
    ];
    let serve = |socket: Option<tokio::net::UdpSocket>| async move {
        let Some(socket) = socket else {
            return std::future::pending().await;
        };
        let mut buffer = [0u8; 1500];
        loop {
            let Ok((length, from)) = socket.recv_from(&mut buffer).await else {
                continue;
            };
            let request = buffer.get(..length).unwrap_or_default();
            if let Ok(answer) = crate::stun::binding_answer(request, from) {
                socket.send_to(&answer, from).await.ok();
            }
        }
    };
    let [v4, v6] = sockets;
    futures::future::join(serve(v4), serve(v6)).await;
}

/// Runs the node until `stop` resolves. Prints `peer-id ID` and then one `listen ADDR`
/// line per address (with the `/p2p/ID` suffix, ready to paste as a bootstrap address).
/// With a `stun_port`, it answers STUN Binding requests there.
pub async fn run(
    key: DeviceKey,
    listen: Vec<Multiaddr>,
    bootstrap: Vec<Multiaddr>,
    stun_port: Option<u16>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), NodeError> {
    let stun = stun_port.map(|port| tokio::spawn(serve_stun(port)));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let config = NetworkConfig {
        certificate: None,
        listen,
        bootstrap,
        lan_discovery: false,
        relay_server: true,
    };
    let network = network::start(key.keypair().clone(), config, events_tx, |event| event)?;
    let peer_id = network.peer_id;
    println!("peer-id {peer_id}");
    std::io::stdout().flush().ok();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            event = events.recv() => match event {
                Some(NetworkEvent::Listening(address)) => {
                    println!("listen {address}/p2p/{peer_id}");
                    std::io::stdout().flush().ok();
                }
                Some(_) => {}
                None => break,
            },
        }
    }
    if let Some(stun) = stun {
        stun.abort();
    }
    network.send(NetworkCommand::Stop);
    network.stop().await.ok();
    Ok(())
}
