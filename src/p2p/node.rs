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

/// Answers STUN Binding requests on UDP `port` (one socket for IPv6 and, mapped, IPv4;
/// IPv4 alone where there is no IPv6), so that devices learn their public address for a
/// call's direct path. Each answer is one datagram to the request's source; anything else
/// is dropped.
async fn serve_stun(port: u16) {
    let socket = match tokio::net::UdpSocket::bind((std::net::Ipv6Addr::UNSPECIFIED, port)).await {
        Ok(socket) => socket,
        Err(_) => {
            match tokio::net::UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, port)).await {
                Ok(socket) => socket,
                Err(err) => {
                    tracing::warn!(port, %err, "no STUN service");
                    return;
                }
            }
        }
    };
    let mut buffer = [0u8; 1500];
    loop {
        let Ok((length, from)) = socket.recv_from(&mut buffer).await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let request = buffer.get(..length).unwrap_or_default();
        // An IPv4 client on the IPv6 socket is told its IPv4 address.
        let seen = std::net::SocketAddr::new(from.ip().to_canonical(), from.port());
        if let Ok(answer) = crate::stun::binding_answer(request, seen) {
            socket.send_to(&answer, from).await.ok();
        }
    }
}

/// What a node serves.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Other nodes to join.
    pub bootstrap: Vec<Multiaddr>,
    /// The UDP port to answer STUN Binding requests on, if any.
    pub stun_port: Option<u16>,
    /// The longest a relayed circuit lasts.
    pub longest_circuit: std::time::Duration,
}

/// Runs the node until `stop` resolves. Prints `peer-id ID` and then one `listen ADDR`
/// line per address (with the `/p2p/ID` suffix, ready to paste as a bootstrap address).
pub async fn run(
    key: DeviceKey,
    options: NodeOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), NodeError> {
    let stun = options.stun_port.map(|port| tokio::spawn(serve_stun(port)));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let config = NetworkConfig {
        certificate: None,
        listen: options.listen,
        bootstrap: options.bootstrap,
        lan_discovery: false,
        relay_server: Some(options.longest_circuit),
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
