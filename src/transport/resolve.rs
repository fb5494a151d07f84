//! Name resolution for SIP: a URI or `host[:port]` to a socket address, run by drivers on
//! a task of its own so that their loops never wait on a resolver.

use std::net::SocketAddr;

use crate::sip::SipUri;
use crate::sip::session::ResolveError;

/// A SIP URI, or `host[:port]` read as one.
fn target_uri(target: &str) -> Result<SipUri, ResolveError> {
    let target = target.trim();
    let parsed = if target.starts_with("sip:") || target.starts_with("sips:") {
        SipUri::parse(target)
    } else {
        SipUri::parse(&format!("sip:{target}"))
    };
    parsed.map_err(|err| ResolveError::BadTarget {
        target: target.to_owned(),
        reason: err.to_string(),
    })
}

/// The host part of a SIP URI or `host[:port]`.
pub fn uri_host(target: &str) -> Option<String> {
    target_uri(target).ok().map(|uri| uri.host)
}

/// Resolves a SIP URI or `host[:port]` to an address: IP literals directly, names by the
/// system resolver (A/AAAA; SRV and NAPTR are not looked up); `default_port` when the
/// target names none (5060 for SIP, 3478 for STUN).
pub async fn resolve(target: &str, default_port: u16) -> Result<SocketAddr, ResolveError> {
    let uri = target_uri(target)?;
    let port = uri.port.unwrap_or(default_port);
    let bare = uri.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut found =
        tokio::net::lookup_host((bare, port))
            .await
            .map_err(|err| ResolveError::Lookup {
                host: bare.to_owned(),
                reason: err.to_string(),
            })?;
    found.next().ok_or_else(|| ResolveError::NoAddress {
        host: bare.to_owned(),
    })
}
