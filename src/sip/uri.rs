//! SIP and SIPS URIs (RFC 3261 §19.1): `sip:user:password@host:port;params?headers`,
//! with IPv6 references, escapes, and the case rules of §19.1.4.

use std::fmt;

use super::message::ParseError;

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// True for `sips:`.
    pub secure: bool,
    /// User part, still escaped as written (`%40` stays `%40`).
    pub user: Option<String>,
    /// Password, as written.
    pub password: Option<String>,
    /// Host: a name, an IPv4 address, or an IPv6 reference with its brackets.
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
    /// URI parameters in order; a flag parameter has no value.
    pub params: Vec<(String, Option<String>)>,
    /// Header fields after `?`, as written.
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// Parses a URI.
    pub fn parse(text: &str) -> Result<SipUri, ParseError> {
        let bad = |reason: &str| ParseError::BadUri(format!("{reason}: {text:?}"));
        let (scheme, rest) = text.split_once(':').ok_or_else(|| bad("no scheme"))?;
        let secure = if scheme.eq_ignore_ascii_case("sip") {
            false
        } else if scheme.eq_ignore_ascii_case("sips") {
            true
        } else {
            return Err(bad("not a sip or sips URI"));
        };
        // '@' is never unescaped in params or headers, so the first one ends the userinfo.
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (info, None),
                };
                if user.is_empty() {
                    return Err(bad("empty user"));
                }
                check_escapes(user).map_err(|()| bad("bad escape in user"))?;
                if !user.chars().all(is_user_char) {
                    return Err(bad("invalid character in user"));
                }
                (Some(user.to_owned()), password.map(str::to_owned))
            }
        };
        let (hostport, tail) = split_at_any(hostpart, &[';', '?']);
        let (host, port) = parse_hostport(hostport).map_err(&bad)?;
        let (param_text, header_text) = match tail.split_once('?') {
            Some((params, headers)) => (params, Some(headers)),
            None => (tail, None),
        };
        let mut params = Vec::new();
        for param in param_text.split(';').skip(1) {
            if param.is_empty() {
                return Err(bad("empty parameter"));
            }
            check_escapes(param).map_err(|()| bad("bad escape in parameter"))?;
            match param.split_once('=') {
                Some((name, value)) => params.push((name.to_owned(), Some(value.to_owned()))),
                None => params.push((param.to_owned(), None)),
            }
        }
        let mut headers = Vec::new();
        if let Some(header_text) = header_text {
            for header in header_text.split('&') {
                let (name, value) = header
                    .split_once('=')
                    .ok_or_else(|| bad("URI header without '='"))?;
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The value of parameter `name` (names are case-insensitive); `Some(None)` for a flag.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        super::header::find_param(&self.params, name)
    }

    /// The user part with `%HH` escapes decoded.
    pub fn user_decoded(&self) -> Option<String> {
        self.user.as_deref().map(unescape)
    }

    /// RFC 3261 §19.1.4 equivalence: scheme, user and password exactly (after unescaping),
    /// host case-insensitively, equal ports, and the `user`, `ttl`, `method`, `maddr` and
    /// `transport` parameters equal when either side has them.
    pub fn equivalent(&self, other: &SipUri) -> bool {
        if self.secure != other.secure
            || self.user.as_deref().map(unescape) != other.user.as_deref().map(unescape)
            || self.password.as_deref().map(unescape) != other.password.as_deref().map(unescape)
            || !self.host.eq_ignore_ascii_case(&other.host)
            || self.port != other.port
        {
            return false;
        }
        ["user", "ttl", "method", "maddr", "transport"]
            .iter()
            .all(|name| {
                let mine = self
                    .param(name)
                    .map(|value| value.map(str::to_ascii_lowercase));
                let theirs = other
                    .param(name)
                    .map(|value| value.map(str::to_ascii_lowercase));
                mine.is_none() && theirs.is_none() || mine == theirs
            })
    }
}

/// The address of record a SIP or SIPS URI names (RFC 3261 §10.2.1, §19.1.4):
/// `sip:user@host[:port]` with the host in lower case, the default port (5060, or 5061
/// for SIPS) left out, and no parameters or headers. Two spellings of one person's
/// address (`sip:Bob@Example.org:5060;transport=udp`, `sip:Bob@example.org`) give the
/// same text, which keys a conversation. Anything that is not a SIP URI (`tel:`, a bare
/// number) comes back trimmed, as it was.
pub fn address_of_record(text: &str) -> String {
    let text = text.trim();
    let Ok(uri) = SipUri::parse(text) else {
        return text.to_owned();
    };
    let (scheme, default_port) = if uri.secure {
        ("sips", 5061)
    } else {
        ("sip", 5060)
    };
    let user = uri.user.map(|user| format!("{user}@")).unwrap_or_default();
    let host = uri.host.to_ascii_lowercase();
    match uri.port.filter(|port| *port != default_port) {
        Some(port) => format!("{scheme}:{user}{host}:{port}"),
        None => format!("{scheme}:{user}{host}"),
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        for (index, (name, value)) in self.headers.iter().enumerate() {
            write!(f, "{}{name}={value}", if index == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// RFC 3261 `user`: unreserved, escaped, and the user-unreserved marks.
fn is_user_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "-_.!~*'()%&=+$,;?/".contains(ch)
}

/// Splits before the first of `stops` (the stop stays with the tail); an IPv6 reference's
/// brackets protect its colons but not these characters, which never occur inside one.
fn split_at_any<'a>(text: &'a str, stops: &[char]) -> (&'a str, &'a str) {
    match text.find(|ch| stops.contains(&ch)) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    }
}

/// `host [":" port]`, the host a name, an IPv4 address or a bracketed IPv6 reference.
pub(super) fn parse_hostport(text: &str) -> Result<(String, Option<u16>), &'static str> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or("unterminated IPv6 reference")?;
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("invalid IPv6 address");
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("junk after IPv6 reference")?),
        };
        (format!("[{address}]"), port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (text.to_owned(), None),
        }
    };
    if !host.starts_with('[') {
        let valid = !host.is_empty()
            && host
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.')
            && !host.starts_with(['-', '.'])
            && !host.contains("..");
        if !valid {
            return Err("invalid host");
        }
    }
    let port = match port {
        None => None,
        Some(digits)
            if !digits.is_empty()
                && digits.len() <= 5
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(digits.parse::<u16>().map_err(|_| "port out of range")?)
        }
        Some(_) => return Err("invalid port"),
    };
    Ok((host, port))
}

/// Checks that every `%` starts a two-hex-digit escape.
fn check_escapes(text: &str) -> Result<(), ()> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'%'))
    {
        let start = at + offset;
        match bytes.get(start + 1..start + 3) {
            Some(pair) if pair.iter().all(u8::is_ascii_hexdigit) => at = start + 3,
            _ => return Err(()),
        }
    }
    Ok(())
}

/// Decodes `%HH` escapes; invalid escapes and non-UTF-8 results are kept as written.
pub fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let decoded = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match decoded {
            Some(value) => {
                out.push(value);
                index += 3;
            }
            None => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_address_of_record_gives_the_same_key() {
        for spelling in [
            "sip:Bob@Example.org",
            " sip:Bob@example.org:5060 ",
            "SIP:Bob@EXAMPLE.ORG;transport=udp",
            "sip:Bob@example.org?subject=hi",
        ] {
            assert_eq!(
                address_of_record(spelling),
                "sip:Bob@example.org",
                "{spelling}"
            );
        }
        // The user part is case-sensitive; a port other than the default is kept.
        assert_eq!(
            address_of_record("sip:bob@example.org"),
            "sip:bob@example.org"
        );
        assert_eq!(
            address_of_record("sip:bob@127.0.0.1:5070;transport=tcp"),
            "sip:bob@127.0.0.1:5070"
        );
        assert_eq!(address_of_record("sips:bob@h:5061"), "sips:bob@h");
        assert_eq!(address_of_record("sips:bob@h:5060"), "sips:bob@h:5060");
        assert_eq!(address_of_record("sip:[::1]:5062"), "sip:[::1]:5062");
        // Not a SIP URI: as given.
        assert_eq!(address_of_record(" tel:+123 "), "tel:+123");
        assert_eq!(address_of_record("sip:"), "sip:");
    }

    #[test]
    fn full_uri_round_trips() {
        let text = "sips:alice:secret@Atlanta.example.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent";
        let uri = SipUri::parse(text).unwrap();
        assert!(uri.secure);
        assert_eq!(uri.user.as_deref(), Some("alice"));
        assert_eq!(uri.password.as_deref(), Some("secret"));
        assert_eq!(uri.host, "Atlanta.example.com");
        assert_eq!(uri.port, Some(5061));
        assert_eq!(uri.param("TRANSPORT"), Some(Some("tcp")));
        assert_eq!(uri.param("lr"), Some(None));
        assert_eq!(uri.headers.len(), 2);
        assert_eq!(uri.to_string(), text);
    }

    #[test]
    fn ipv6_references_keep_their_brackets() {
        let uri = SipUri::parse("sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]").unwrap();
        assert_eq!(uri.host, "[2001:db8::10]");
        assert_eq!(uri.port, Some(5070));
        assert_eq!(uri.param("maddr"), Some(Some("[2001:db8::1]")));
        assert!(SipUri::parse("sip:[2001:db8::zz]").is_err());
        assert!(SipUri::parse("sip:[2001:db8::1").is_err());
    }

    #[test]
    fn escaped_users_decode_and_compare_equal() {
        let a = SipUri::parse("sip:%61lice@EXAMPLE.com;transport=TCP").unwrap();
        let b = SipUri::parse("sip:alice@example.com;transport=tcp;foo=bar").unwrap();
        assert_eq!(a.user_decoded().as_deref(), Some("alice"));
        assert!(a.equivalent(&b));
        let c = SipUri::parse("sip:alice@example.com:5060").unwrap();
        assert!(!b.equivalent(&c), "an explicit port differs from none");
        let d = SipUri::parse("sip:ALICE@example.com").unwrap();
        assert!(!d.equivalent(&b), "users compare case-sensitively");
    }

    #[test]
    fn malformed_uris_are_refused() {
        for text in [
            "mailto:alice@example.com",
            "sip:",
            "sip:@example.com",
            "sip:alice@exa mple.com",
            "sip:alice@example.com:99999",
            "sip:alice@example.com:port",
            "sip:al%zzice@example.com",
            "sip:alice@example.com;;lr",
            "sip:alice@example.com?noequals",
            "sip:alice@-example.com",
        ] {
            assert!(SipUri::parse(text).is_err(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,80}") {
            let _ = SipUri::parse(&text);
        }

        #[test]
        fn printed_uris_parse_back(
            user in "[a-z0-9._-]{1,12}",
            host in "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){0,2}",
            port in proptest::option::of(1u16..),
            secure in proptest::prelude::any::<bool>(),
        ) {
            let uri = SipUri {
                secure,
                user: Some(user),
                password: None,
                host,
                port,
                params: vec![("transport".into(), Some("udp".into())), ("lr".into(), None)],
                headers: vec![],
            };
            proptest::prop_assert_eq!(SipUri::parse(&uri.to_string()).unwrap(), uri);
        }
    }
}
