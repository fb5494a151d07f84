//! STUN Binding (RFC 5389), sans-IO: the request a client sends to learn its public
//! address, the parsing of the answer (XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from
//! RFC 3489 servers), and the server's side ([`binding_answer`], which `ringlet node`
//! uses to tell devices their public address). Transaction ids come in from the caller.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The port STUN servers listen on (RFC 5389 §18.4), `ringlet node`'s among them.
pub const STUN_PORT: u16 = 3478;
/// The magic cookie (RFC 5389 §6).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
const HEADER_LEN: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;
const MAPPED_ADDRESS: u16 = 0x0001;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;
const ERROR_CODE: u16 = 0x0009;

/// Why a datagram is not the Binding answer we wait for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunError {
    /// Not a STUN message at all (shorter than a header, wrong leading bits or cookie).
    #[error("not a STUN message")]
    NotStun,
    /// The length field disagrees with the datagram, or an attribute overruns it.
    #[error("STUN message length is wrong")]
    BadLength,
    /// A STUN message, but not an answer to our request.
    #[error("not the answer to our Binding request")]
    OtherTransaction,
    /// The server refused the request.
    #[error("STUN error {code}: {reason}")]
    ErrorResponse {
        /// Code (300–699).
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// A success without a usable address attribute.
    #[error("STUN answer carries no mapped address")]
    NoAddress,
}

/// A STUN server's address that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a STUN server address (HOST:PORT or HOST)")]
pub struct BadServer(pub String);

/// Checks a STUN server's address as a person writes it: `HOST`, `HOST:PORT`, an IPv6
/// address, or `[IPV6]:PORT` (no port: 3478).
pub fn check_server(text: &str) -> Result<(), BadServer> {
    let text = text.trim();
    let bad = || BadServer(text.to_owned());
    if text.parse::<Ipv6Addr>().is_ok() {
        return Ok(());
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']').ok_or_else(bad)?;
            v6.parse::<Ipv6Addr>().map_err(|_| bad())?;
            match after {
                "" => return Ok(()),
                _ => ("v6", Some(after.strip_prefix(':').ok_or_else(bad)?)),
            }
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-');
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A Binding request with `transaction` as its id.
pub fn binding_request(transaction: &[u8; 12]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
    out.extend_from_slice(transaction);
    out
}

/// True when `bytes` look like a STUN message (RFC 5389 §6: leading zero bits and the
/// cookie), to tell it from SIP or RTP on a shared socket.
pub fn is_stun(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN
        && bytes.first().is_some_and(|first| first & 0xC0 == 0)
        && bytes.get(4..8) == Some(&MAGIC_COOKIE.to_be_bytes()[..])
}

/// The server's answer to a Binding request that came from `from`: a success carrying
/// `from` as XOR-MAPPED-ADDRESS (RFC 5389 §15.2). Anything but a well-formed Binding
/// request is refused (a server stays silent on those).
pub fn binding_answer(request: &[u8], from: SocketAddr) -> Result<Vec<u8>, StunError> {
    check_header(request)?;
    if u16_at(request, 0) != Some(BINDING_REQUEST) {
        return Err(StunError::OtherTransaction);
    }
    let transaction: [u8; 12] = request
        .get(8..20)
        .and_then(|id| id.try_into().ok())
        .ok_or(StunError::NotStun)?;
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = from.port() ^ (MAGIC_COOKIE >> 16) as u16;
    let (family, mut ip): (u8, Vec<u8>) = match from.ip() {
        IpAddr::V4(ip) => (0x01, ip.octets().to_vec()),
        IpAddr::V6(ip) => (0x02, ip.octets().to_vec()),
    };
    xor_address(&mut ip, &transaction);
    let value_len = 4 + ip.len();
    let mut out = Vec::with_capacity(HEADER_LEN + 4 + value_len);
    out.extend_from_slice(&BINDING_SUCCESS.to_be_bytes());
    out.extend_from_slice(&((4 + value_len) as u16).to_be_bytes());
    out.extend_from_slice(&cookie);
    out.extend_from_slice(&transaction);
    out.extend_from_slice(&XOR_MAPPED_ADDRESS.to_be_bytes());
    out.extend_from_slice(&(value_len as u16).to_be_bytes());
    out.extend_from_slice(&[0, family]);
    out.extend_from_slice(&port.to_be_bytes());
    out.extend_from_slice(&ip);
    Ok(out)
}

/// A STUN header (leading bits, cookie) whose length field agrees with the datagram
/// (a multiple of 4 bytes, RFC 5389 §6), else why not.
fn check_header(bytes: &[u8]) -> Result<(), StunError> {
    if !is_stun(bytes) {
        return Err(StunError::NotStun);
    }
    let length = usize::from(u16_at(bytes, 2).ok_or(StunError::NotStun)?);
    if length % 4 != 0 || HEADER_LEN + length != bytes.len() {
        return Err(StunError::BadLength);
    }
    Ok(())
}

/// XORs an address's octets with the cookie (IPv4) or the cookie and `transaction` (IPv6),
/// as XOR-MAPPED-ADDRESS carries them (RFC 5389 §15.2); its own inverse.
fn xor_address(octets: &mut [u8], transaction: &[u8; 12]) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    for (octet, mask) in octets.iter_mut().zip(cookie.iter().chain(transaction)) {
        *octet ^= mask;
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// The address a Binding success for `transaction` reports.
pub fn parse_binding_response(
    bytes: &[u8],
    transaction: &[u8; 12],
) -> Result<SocketAddr, StunError> {
    check_header(bytes)?;
    let kind = u16_at(bytes, 0).ok_or(StunError::NotStun)?;
    if bytes.get(8..20) != Some(&transaction[..]) {
        return Err(StunError::OtherTransaction);
    }
    let mut mapped = None;
    let mut xor_mapped = None;
    let mut error = None;
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let attribute = u16_at(bytes, at).ok_or(StunError::BadLength)?;
        let len = usize::from(u16_at(bytes, at + 2).ok_or(StunError::BadLength)?);
        let value = bytes
            .get(at + 4..at + 4 + len)
            .ok_or(StunError::BadLength)?;
        match attribute {
            MAPPED_ADDRESS => mapped = address(value, None),
            XOR_MAPPED_ADDRESS => xor_mapped = address(value, Some(transaction)),
            ERROR_CODE if value.len() >= 4 => {
                let class = u16::from(value.get(2).copied().unwrap_or(0) & 0x07);
                let number = u16::from(value.get(3).copied().unwrap_or(0));
                let reason =
                    String::from_utf8_lossy(value.get(4..).unwrap_or_default()).into_owned();
                error = Some((class * 100 + number, reason));
            }
            _ => {}
        }
        // Values are padded to a multiple of 4 bytes.
        at += 4 + len.div_ceil(4) * 4;
    }
    match kind {
        BINDING_SUCCESS => xor_mapped.or(mapped).ok_or(StunError::NoAddress),
        BINDING_ERROR => {
            let (code, reason) = error.unwrap_or((0, String::new()));
            Err(StunError::ErrorResponse { code, reason })
        }
        _ => Err(StunError::OtherTransaction),
    }
}

/// A (XOR-)MAPPED-ADDRESS value; `xor` carries the transaction id for XOR decoding.
fn address(value: &[u8], xor: Option<&[u8; 12]>) -> Option<SocketAddr> {
    let family = *value.get(1)?;
    let mut port = u16_at(value, 2)?;
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match family {
        0x01 => {
            let mut octets: [u8; 4] = value.get(4..8)?.try_into().ok()?;
            if let Some(transaction) = xor {
                xor_address(&mut octets, transaction);
            }
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        0x02 => {
            let mut octets: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            if let Some(transaction) = xor {
                xor_address(&mut octets, transaction);
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stun_server_addresses_are_checked_as_people_write_them() {
        for good in [
            "stun.example.org",
            "stun.example.org:3478",
            "192.0.2.1:19302",
            "::1",
            "[2001:db8::1]",
            "[2001:db8::1]:3478",
            " stun-1.example.org ",
        ] {
            assert_eq!(check_server(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "two words",
            "sip:stun.example.org",
            "host:",
            "host:0",
            "host:99999",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "[nope]:3478",
            ".example.org",
        ] {
            assert!(check_server(bad).is_err(), "{bad}");
        }
    }

    /// RFC 5769 §2.2's transaction id.
    const TRANSACTION: [u8; 12] = [
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ];

    /// The layout of RFC 5769 §2.2 (SOFTWARE "test vector", XOR-MAPPED-ADDRESS, a
    /// MESSAGE-INTEGRITY and a FINGERPRINT); the integrity and fingerprint values are
    /// placeholders, as this client does not check them.
    fn sample_response() -> Vec<u8> {
        let mut out = vec![0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42];
        out.extend_from_slice(&TRANSACTION);
        out.extend_from_slice(&[0x80, 0x22, 0x00, 0x0b]);
        out.extend_from_slice(b"test vector\x20");
        out.extend_from_slice(&[
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        ]);
        out.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
        out.extend_from_slice(&[0x55; 20]);
        out.extend_from_slice(&[0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96]);
        out
    }

    #[test]
    fn the_rfc_5769_ipv4_sample_gives_192_0_2_1_port_32853() {
        let response = sample_response();
        assert_eq!(response.len(), 20 + 0x3c);
        assert_eq!(
            parse_binding_response(&response, &TRANSACTION),
            Ok("192.0.2.1:32853".parse().unwrap())
        );
    }

    #[test]
    fn requests_are_headers_with_the_cookie_and_id() {
        let request = binding_request(&TRANSACTION);
        assert_eq!(request.len(), 20);
        assert!(is_stun(&request));
        assert_eq!(&request[..4], &[0, 1, 0, 0]);
        assert!(!is_stun(b"INVITE sip:x SIP/2.0\r\n\r\n"));
    }

    #[test]
    fn bad_answers_are_refused_with_a_reason() {
        let good = sample_response();
        assert_eq!(
            parse_binding_response(&good, &[0; 12]),
            Err(StunError::OtherTransaction)
        );
        assert_eq!(
            parse_binding_response(&good[..40], &TRANSACTION),
            Err(StunError::BadLength)
        );
        assert_eq!(
            parse_binding_response(b"hello", &TRANSACTION),
            Err(StunError::NotStun)
        );
        let mut overrun = good.clone();
        overrun[22] = 0x00;
        overrun[23] = 0xff;
        assert_eq!(
            parse_binding_response(&overrun, &TRANSACTION),
            Err(StunError::BadLength)
        );
        // An error response with ERROR-CODE 420 "Unknown Attribute".
        let mut error = vec![0x01, 0x11, 0x00, 0x1c, 0x21, 0x12, 0xa4, 0x42];
        error.extend_from_slice(&TRANSACTION);
        error.extend_from_slice(&[0x00, 0x09, 0x00, 0x15, 0, 0, 4, 20]);
        error.extend_from_slice(b"Unknown Attribute");
        error.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            parse_binding_response(&error, &TRANSACTION),
            Err(StunError::ErrorResponse {
                code: 420,
                reason: "Unknown Attribute".into()
            })
        );
    }

    #[test]
    fn the_server_answers_a_request_with_its_source_address_for_both_families() {
        let request = binding_request(&TRANSACTION);
        for from in ["198.51.100.7:40000", "[2001:db8::5]:3478"] {
            let from: SocketAddr = from.parse().unwrap();
            let answer = binding_answer(&request, from).unwrap();
            assert_eq!(parse_binding_response(&answer, &TRANSACTION), Ok(from));
        }
        assert_eq!(
            binding_answer(&sample_response(), "192.0.2.1:1".parse().unwrap()),
            Err(StunError::OtherTransaction)
        );
        assert_eq!(
            binding_answer(b"hello", "192.0.2.1:1".parse().unwrap()),
            Err(StunError::NotStun)
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_binding_response(&bytes, &TRANSACTION);
            let _ = binding_answer(&bytes, "192.0.2.1:1".parse().unwrap());
        }
    }
}
