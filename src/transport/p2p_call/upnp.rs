//! UPnP port mappings for a call's ICE sockets (issue 15 item 6, as Jami and pjnath do):
//! behind a home router that speaks UPnP IGD, each private IPv4 ICE socket asks it to
//! forward a UDP port of its public address to the socket. The mapped address becomes a
//! server-reflexive candidate, trickled like the others, so a call finds a direct path even
//! where hole punching cannot (a NAT that gives each destination another port).
//!
//! One task per socket: it looks for a gateway on that socket's interface (SSDP, at most
//! [`SEARCH_TIMEOUT`]), maps the socket's own port (else any port the gateway chooses),
//! reports the public address, renews the lease while the call lasts and removes the
//! mapping when the call ends (the bridge drops its end of the channel). With no gateway,
//! nothing happens; the call never waits for any of this.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use igd_next::PortMappingProtocol;
use igd_next::aio::tokio::search_gateway;
use tokio::sync::{mpsc, oneshot};

/// How long a gateway is looked for.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(2);
/// A mapping's lease; renewed at half of it while the call lasts.
const LEASE: Duration = Duration::from_secs(3_600);
/// How mappings are named on the gateway (its users see it in the router's page).
const DESCRIPTION: &str = "Ringlet call";

/// Whether a socket on `ip` may need a mapping: a private IPv4 address.
pub(super) fn wanted(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || (v4.octets()[0] == 100 && v4.octets()[1] & 0xc0 == 64),
        IpAddr::V6(_) => false,
    }
}

/// Maps `local` on the gateway of its network while the call lasts: the public address is
/// sent on `mapped`; the mapping is removed when `stop` fires or is dropped.
pub(super) async fn keep_mapped(
    local: SocketAddr,
    mapped: mpsc::UnboundedSender<(SocketAddr, SocketAddr)>,
    mut stop: oneshot::Receiver<()>,
) {
    let options = igd_next::SearchOptions {
        bind_addr: SocketAddr::new(local.ip(), 0),
        timeout: Some(SEARCH_TIMEOUT),
        single_search_timeout: Some(SEARCH_TIMEOUT),
        ..Default::default()
    };
    let gateway = tokio::select! {
        found = search_gateway(options) => match found {
            Ok(gateway) => gateway,
            Err(err) => {
                tracing::debug!(%local, %err, "no UPnP gateway");
                return;
            }
        },
        _ = &mut stop => return,
    };
    let external_ip = match gateway.get_external_ip().await {
        Ok(ip) => ip,
        Err(err) => {
            tracing::info!(%local, %err, "the UPnP gateway has no public address");
            return;
        }
    };
    let lease = LEASE.as_secs() as u32;
    let protocol = PortMappingProtocol::UDP;
    // The socket's own port if it is free there, as most routers keep it; else theirs.
    let port = match gateway
        .add_port(protocol, local.port(), local, lease, DESCRIPTION)
        .await
    {
        Ok(()) => local.port(),
        Err(err) => {
            tracing::debug!(%local, %err, "the same port not mapped; asking for any");
            match gateway
                .add_any_port(protocol, local, lease, DESCRIPTION)
                .await
            {
                Ok(port) => port,
                Err(err) => {
                    tracing::info!(%local, %err, "the UPnP gateway mapped no port");
                    return;
                }
            }
        }
    };
    let external = SocketAddr::new(external_ip, port);
    tracing::info!(%local, %external, "a UPnP mapping for a call's ICE socket");
    if mapped.send((local, external)).is_ok() {
        loop {
            tokio::select! {
                () = tokio::time::sleep(LEASE / 2) => {
                    if let Err(err) =
                        gateway.add_port(protocol, port, local, lease, DESCRIPTION).await
                    {
                        tracing::info!(%local, %err, "a UPnP mapping not renewed");
                    }
                }
                _ = &mut stop => break,
            }
        }
    }
    if let Err(err) = gateway.remove_port(protocol, port).await {
        tracing::info!(%external, %err, "a UPnP mapping not removed (it lapses with its lease)");
    }
}

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn only_private_ipv4_sockets_ask_for_a_mapping() {
        for (ip, want) in [
            ("192.168.1.20", true),
            ("10.82.2.2", true),
            ("172.20.0.5", true),
            ("100.64.3.4", true),
            ("100.128.0.1", false),
            ("11.80.2.2", false),
            ("127.0.0.1", false),
            ("fd00::1", false),
        ] {
            assert_eq!(wanted(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
