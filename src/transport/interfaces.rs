//! The host's interface addresses, as calls use them.

use std::net::IpAddr;

/// Addresses of interfaces that are up (loopback included), IPv6 link-local ones left out
/// (they need a scope that SDP and ICE candidates do not carry).
pub fn up_addresses() -> std::io::Result<Vec<IpAddr>> {
    Ok(if_addrs::get_if_addrs()?
        .iter()
        .filter(|interface| interface.is_oper_up() || interface.is_loopback())
        .map(|interface| interface.ip())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .collect())
}
