//! Following the host to a new address (the core's side is `sip::session::roam`). An
//! account that names no listen IP binds every address and names, in Contact, Via and
//! SDP, the one its server is reached from; its RTP sockets are bound to every address
//! too, so they survive the change. When the process's address watcher tells of a change,
//! and every [`CHECK_EVERY`] besides (a route can change with no address), the driver asks
//! the kernel again which address that is, and tells the core when it changed.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use super::{Driver, SipSocket};
use crate::sip::session::Input;

/// How often the route is looked at: a move is seen within this.
pub(super) const CHECK_EVERY: Duration = Duration::from_millis(250);

/// The local address a packet to `target` leaves from. Connecting a UDP socket sends
/// nothing; it only asks the kernel for the route. `None` when there is none (an
/// interface going down mid-change).
pub fn route_ip(target: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if target.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let probe = UdpSocket::bind(any).ok()?;
    probe.connect(target).ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// With no server to route to: `current` while an interface still has it, else the
/// first address of its family off loopback (loopback when there is no other).
pub fn interface_ip(current: Option<IpAddr>, ipv4: bool) -> Option<IpAddr> {
    let ips: Vec<IpAddr> = crate::transport::interfaces::up_addresses()
        .ok()?
        .into_iter()
        .filter(|ip| ip.is_ipv4() == ipv4)
        .collect();
    if let Some(current) = current
        && ips.contains(&current)
    {
        return Some(current);
    }
    ips.iter()
        .find(|ip| !ip.is_loopback())
        .or_else(|| ips.first())
        .copied()
}

/// The address to name now, given the one named so far: the route to the server when
/// it is known, else an interface's.
pub(super) fn current_ip(server: Option<SocketAddr>, named: IpAddr) -> Option<IpAddr> {
    match server {
        Some(server) => route_ip(server),
        None => interface_ip(Some(named), named.is_ipv4()),
    }
}

impl Driver {
    /// A roaming account: when the address its server is reached from changed, the
    /// connections from the old one close and the core moves to the new one.
    pub(super) async fn check_address(&mut self) {
        let Some(named) = self.roaming else {
            return;
        };
        let Some(ip) = current_ip(self.core.proxy(), named.ip()) else {
            return;
        };
        if ip == named.ip() {
            return;
        }
        let moved = SocketAddr::new(ip, named.port());
        tracing::info!(from = %named, to = %moved, "the host moved");
        self.roaming = Some(moved);
        if let SipSocket::Tcp(transport) = &mut self.socket {
            transport.close_connections();
        }
        self.feed(Input::Moved(moved)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_to_loopback_leaves_from_loopback() {
        let target = SocketAddr::from(([127, 0, 0, 1], 5060));
        assert_eq!(route_ip(target), Some(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(
            current_ip(Some(target), IpAddr::from([10, 0, 0, 9])),
            Some(IpAddr::from([127, 0, 0, 1]))
        );
    }

    #[test]
    fn an_address_still_held_is_kept_and_a_vanished_one_replaced() {
        let loopback = IpAddr::from([127, 0, 0, 1]);
        // Loopback is always there: kept.
        assert_eq!(interface_ip(Some(loopback), true), Some(loopback));
        // An address no interface has (TEST-NET-3) gives way to one that exists.
        let gone = IpAddr::from([203, 0, 113, 77]);
        let replaced = interface_ip(Some(gone), true);
        assert!(
            replaced.is_some_and(|ip| ip != gone && ip.is_ipv4()),
            "{replaced:?}"
        );
    }
}
