//! Name resolution for SIP: a URI or `host[:port]` to a socket address, run by drivers on
//! a task of its own so that their loops never wait on a resolver.

use std::net::SocketAddr;

use crate::sip::SipUri;

/// Resolves a SIP URI or `host[:port]` to an address: IP literals directly, names by the
/// system resolver (A/AAAA; SRV and NAPTR are not looked up). Port 5060 by default.
pub async fn resolve(target: &str) -> Result<SocketAddr, String> {
    resolve_with_default(target, 5060).await
}

/// The host part of a SIP URI or `host[:port]`.
pub fn uri_host(target: &str) -> Option<String> {
    let target = target.trim();
    let text = if target.starts_with("sip:") || target.starts_with("sips:") {
        target.to_owned()
    } else {
        format!("sip:{target}")
    };
    SipUri::parse(&text).ok().map(|uri| uri.host)
}

/// [`resolve`] with another default port.
pub async fn resolve_with_default(target: &str, default_port: u16) -> Result<SocketAddr, String> {
    let target = target.trim();
    let (host, port) = if target.starts_with("sip:") || target.starts_with("sips:") {
        let uri = SipUri::parse(target).map_err(|err| err.to_string())?;
        (uri.host, uri.port)
    } else {
        let uri = SipUri::parse(&format!("sip:{target}")).map_err(|err| err.to_string())?;
        (uri.host, uri.port)
    };
    let port = port.unwrap_or(default_port);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut found = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|err| format!("cannot resolve {bare}: {err}"))?;
    found.next().ok_or_else(|| format!("{bare} has no address"))
}
