//! Typed values of the headers the transaction and dialog layers read: CSeq, Via, and the
//! name-addr form of From, To, Contact, Route, Refer-To.

use std::fmt;

use super::message::{Method, ParseError, is_token_char};

/// `CSeq: 4711 INVITE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number (32-bit, RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parses a CSeq value.
    pub fn parse(value: &str) -> Result<CSeq, ParseError> {
        let bad = |reason: &str| ParseError::BadHeader {
            name: "CSeq".into(),
            reason: format!("{reason}: {value:?}"),
        };
        let mut parts = value.split_whitespace();
        let (Some(seq), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected number and method"));
        };
        if seq.len() > 10 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("bad sequence number"));
        }
        Ok(CSeq {
            seq: seq.parse().map_err(|_| bad("sequence number over 2^32"))?,
            method: Method::parse(method).map_err(|_| bad("bad method"))?,
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport, upper-cased (`UDP`, `TCP`, `TLS`, `WS`, …).
    pub transport: String,
    /// sent-by host (IPv6 with brackets).
    pub host: String,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters in order.
    pub params: Vec<(String, Option<String>)>,
}

impl Via {
    /// Parses one Via value (split lists with `Headers::values` first).
    pub fn parse(value: &str) -> Result<Via, ParseError> {
        let bad = |reason: &str| ParseError::BadHeader {
            name: "Via".into(),
            reason: format!("{reason}: {value:?}"),
        };
        // sent-protocol is three tokens joined by SLASH, which may have LWS around it
        // (§25.1; RFC 4475 §3.1.1.1): `SIP / 2.0 / UDP host`.
        let token_end = |text: &str| {
            text.find(|ch: char| !is_token_char(ch))
                .unwrap_or(text.len())
        };
        let mut rest = value.trim();
        let mut parts = Vec::with_capacity(3);
        for index in 0..3 {
            if index > 0 {
                rest = rest
                    .trim_start()
                    .strip_prefix('/')
                    .ok_or_else(|| bad("protocol is not SIP/2.0/TRANSPORT"))?
                    .trim_start();
            }
            let end = token_end(rest);
            parts.push(rest.get(..end).unwrap_or_default());
            rest = rest.get(end..).unwrap_or_default();
        }
        if !rest.starts_with([' ', '\t']) {
            return Err(bad("no sent-by"));
        }
        let [name, version, transport] = parts.as_slice() else {
            return Err(bad("protocol is not SIP/2.0/TRANSPORT"));
        };
        let (name, version, transport) = (*name, *version, *transport);
        if !name.eq_ignore_ascii_case("SIP")
            || version != "2.0"
            || transport.is_empty()
            || !transport.chars().all(is_token_char)
        {
            return Err(bad("protocol is not SIP/2.0/TRANSPORT"));
        }
        let mut pieces = rest.split(';');
        let sent_by = pieces.next().unwrap_or_default().trim();
        // sent-by is host [":" port], by the URI's host rules.
        let (host, port) = super::uri::parse_hostport(sent_by).map_err(|_| bad("bad sent-by"))?;
        let params = parse_params(pieces).map_err(bad)?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host,
            port,
            params,
        })
    }

    /// A parameter's value; `Some(None)` for a flag such as `rport` without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }

    /// The branch, which identifies the transaction (RFC 3261 §17.2.3).
    pub fn branch(&self) -> Option<&str> {
        self.param("branch").flatten()
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// `"Display Name" <sip:user@host>;tag=abc`, or the bare `sip:user@host;tag=abc` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name with quotes and escapes removed.
    pub display: Option<String>,
    /// The URI, as written.
    pub uri: String,
    /// Header parameters (after the URI), e.g. `tag`.
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    /// Parses a name-addr or addr-spec with header parameters.
    pub fn parse(value: &str) -> Result<NameAddr, ParseError> {
        let parts = AddressParts::parse(value)?;
        let display = match parts.display {
            None => None,
            Some(Display::Quoted(inner)) => Some(unquote(inner).unwrap_or_default()),
            Some(Display::Tokens(text)) => {
                Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
            }
        };
        let params = if parts.params.is_empty() {
            Vec::new()
        } else {
            parse_params(parts.params.split(';')).unwrap_or_default()
        };
        Ok(NameAddr {
            display,
            uri: parts.uri.to_owned(),
            params,
        })
    }

    /// The `tag` parameter (dialog identification).
    pub fn tag(&self) -> Option<&str> {
        find_param(&self.params, "tag").flatten()
    }
}

/// A display name as written: inside quotes (escapes still in), or bare tokens.
#[derive(Debug, Clone, Copy)]
enum Display<'a> {
    Quoted(&'a str),
    Tokens(&'a str),
}

/// A name-addr or addr-spec checked and cut into its parts in place, without copying:
/// [`NameAddr::parse`] builds on it, and matching dialogs and transactions (the tags of
/// From and To in every message) reads it directly.
#[derive(Debug, Clone, Copy)]
pub struct AddressParts<'a> {
    display: Option<Display<'a>>,
    /// The URI, as written.
    pub uri: &'a str,
    /// The header parameters after the URI, without the first `;` (empty without any).
    params: &'a str,
}

impl<'a> AddressParts<'a> {
    /// Checks `value` as [`NameAddr::parse`] does, failing on the same values.
    pub fn parse(value: &'a str) -> Result<AddressParts<'a>, ParseError> {
        let bad = |reason: &str| ParseError::BadHeader {
            name: "address".into(),
            reason: format!("{reason}: {value:?}"),
        };
        let value = value.trim();
        let (display, uri, rest) = if let Some(open) = find_unquoted(value, '<') {
            let display_text = value.get(..open).unwrap_or_default().trim();
            let after = value.get(open + 1..).unwrap_or_default();
            let close = after.find('>').ok_or_else(|| bad("'<' without '>'"))?;
            let display = if display_text.is_empty() {
                None
            } else if let Some(quoted) = display_text.strip_prefix('"') {
                let inner = quoted
                    .strip_suffix('"')
                    .ok_or_else(|| bad("unterminated quoted display name"))?;
                if !escapes_are_whole(inner) {
                    return Err(bad("bad escape in display name"));
                }
                Some(Display::Quoted(inner))
            } else {
                // Unquoted display names are tokens separated by whitespace.
                if !display_text
                    .split_whitespace()
                    .all(|word| word.chars().all(is_token_char))
                {
                    return Err(bad("display name needs quotes"));
                }
                Some(Display::Tokens(display_text))
            };
            // LAQUOT and RAQUOT take no whitespace inside (§25.1; RFC 4475 §3.1.2.14).
            let inside = after.get(..close).unwrap_or_default();
            if inside.trim() != inside {
                return Err(bad("whitespace inside <…>"));
            }
            (display, inside, after.get(close + 1..).unwrap_or_default())
        } else {
            // addr-spec: the URI ends at the first ';' — parameters after it are the header's
            // (RFC 3261 §20.10), which is why URIs with parameters need the <…> form.
            let end = value.find(';').unwrap_or(value.len());
            let uri = value.get(..end).unwrap_or_default().trim();
            // §20.10: a URI with headers or commas must be enclosed (RFC 4475 §3.1.2.13).
            if uri.contains(['?', ',']) {
                return Err(bad("a URI with '?' or ',' needs <…>"));
            }
            (None, uri, value.get(end..).unwrap_or_default())
        };
        if uri.is_empty() || !uri.contains(':') || uri.contains(|ch: char| ch.is_whitespace()) {
            return Err(bad("no URI"));
        }
        let rest = rest.trim();
        let params = if rest.is_empty() {
            ""
        } else {
            let params = rest
                .strip_prefix(';')
                .ok_or_else(|| bad("junk after the address"))?;
            if params.split(';').any(|piece| piece.trim().is_empty()) {
                return Err(bad("empty parameter"));
            }
            params
        };
        Ok(AddressParts {
            display,
            uri,
            params,
        })
    }

    /// The `tag` parameter, as [`NameAddr::tag`] gives it.
    pub fn tag(&self) -> Option<&'a str> {
        if self.params.is_empty() {
            return None;
        }
        let first = self.params.split(';').find_map(|piece| {
            let piece = piece.trim();
            let (name, value) = match piece.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (piece, None),
            };
            name.eq_ignore_ascii_case("tag").then_some(value)
        });
        first.flatten()
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(display) = &self.display {
            f.write_str("\"")?;
            for ch in display.chars() {
                if ch == '"' || ch == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{ch}")?;
            }
            f.write_str("\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// A `name=value` or flag parameter.
pub type Param = (String, Option<String>);

/// Parses `;`-separated parameter pieces (already split), trimming whitespace around them.
fn parse_params<'a>(pieces: impl Iterator<Item = &'a str>) -> Result<Vec<Param>, &'static str> {
    pieces
        .map(|piece| {
            let piece = piece.trim();
            match piece.split_once('=') {
                _ if piece.is_empty() => Err("empty parameter"),
                Some((name, value)) => Ok((name.trim().to_owned(), Some(value.trim().to_owned()))),
                None => Ok((piece.to_owned(), None)),
            }
        })
        .collect()
}

/// The value of parameter `name` (case-insensitive); `Some(None)` for a flag.
pub fn find_param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(found, _)| found.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_deref())
}

/// Position of `target` outside any quoted string.
fn find_unquoted(text: &str, target: char) -> Option<usize> {
    let (mut quoted, mut escaped) = (false, false);
    for (at, ch) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && ch == '\\' {
            escaped = true;
        } else if ch == '"' {
            quoted = !quoted;
        } else if ch == target && !quoted {
            return Some(at);
        }
    }
    None
}

/// True when [`unquote`] accepts `inner`: no dangling backslash, no unescaped quote.
fn escapes_are_whole(inner: &str) -> bool {
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        // A backslash takes the next character whatever it is (the guard consumes it).
        match ch {
            '\\' if chars.next().is_none() => return false,
            '"' => return false,
            _ => {}
        }
    }
    true
}

/// Removes quoted-pair escapes; `None` on a dangling backslash or an unescaped quote.
fn unquote(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_parses_and_prints() {
        let cseq = CSeq::parse("  4711   INVITE ").unwrap();
        assert_eq!(
            cseq,
            CSeq {
                seq: 4711,
                method: Method::Invite
            }
        );
        assert_eq!(cseq.to_string(), "4711 INVITE");
        for bad in [
            "",
            "INVITE",
            "1 2 3",
            "-1 INVITE",
            "4294967296 INVITE",
            "12 IN VITE",
        ] {
            assert!(CSeq::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn via_reads_branch_rport_and_ipv6_sent_by() {
        let via = Via::parse(
            "SIP/2.0/udp [2001:db8::9]:5070 ; branch=z9hG4bK74bf9;rport;received=192.0.2.1",
        )
        .unwrap();
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.host, "[2001:db8::9]");
        assert_eq!(via.port, Some(5070));
        assert_eq!(via.branch(), Some("z9hG4bK74bf9"));
        assert_eq!(via.param("rport"), Some(None));
        assert_eq!(via.param("received"), Some(Some("192.0.2.1")));
        let reparsed = Via::parse(&via.to_string()).unwrap();
        assert_eq!(reparsed, via);
        for bad in [
            "SIP/2.0/UDP",
            "SIP/3.0/UDP host",
            "SIP/2.0 host",
            "SIP/2.0/UDP host;;branch=x",
            "SIP/2.0/UDP ho st",
            // sent-by takes no userinfo (it was read as a URI's before session 21).
            "SIP/2.0/UDP user@host",
            "SIP/2.0/UDP host?x=y",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn name_addr_forms() {
        let quoted = NameAddr::parse(
            r#""Bob \"the\" Builder" <sip:bob@biloxi.example.com;transport=tcp>;tag=a6c85cf"#,
        )
        .unwrap();
        assert_eq!(quoted.display.as_deref(), Some(r#"Bob "the" Builder"#));
        assert_eq!(quoted.uri, "sip:bob@biloxi.example.com;transport=tcp");
        assert_eq!(quoted.tag(), Some("a6c85cf"));
        assert_eq!(NameAddr::parse(&quoted.to_string()).unwrap(), quoted);

        let token = NameAddr::parse("Anonymous   Caller <sip:c8oqz84zk7z@privacy.org>").unwrap();
        assert_eq!(token.display.as_deref(), Some("Anonymous Caller"));

        let bare = NameAddr::parse("sip:alice@atlanta.example.com;tag=1928301774").unwrap();
        assert_eq!(bare.uri, "sip:alice@atlanta.example.com");
        assert_eq!(bare.tag(), Some("1928301774"));

        let comma_in_quotes = NameAddr::parse(r#""Doe, Jane <boss>" <tel:+1-555-0100>"#).unwrap();
        assert_eq!(comma_in_quotes.display.as_deref(), Some("Doe, Jane <boss>"));
        assert_eq!(comma_in_quotes.uri, "tel:+1-555-0100");

        for bad in [
            "",
            "<sip:a@b",
            "\"open <sip:a@b>",
            "Jane: Doe <sip:a@b>",
            "<sip:a@b> junk",
            "no-uri-here",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
    }

    /// `NameAddr::parse` as it was before it was built on `AddressParts` (session 21), kept
    /// to check that the two accept, refuse and read the same values.
    fn reference_parse(value: &str) -> Result<NameAddr, ParseError> {
        let bad = |reason: &str| ParseError::BadHeader {
            name: "address".into(),
            reason: format!("{reason}: {value:?}"),
        };
        let value = value.trim();
        let (display, uri, rest) = if let Some(open) = find_unquoted(value, '<') {
            let display_text = value.get(..open).unwrap_or_default().trim();
            let after = value.get(open + 1..).unwrap_or_default();
            let close = after.find('>').ok_or_else(|| bad("'<' without '>'"))?;
            let display = if display_text.is_empty() {
                None
            } else if let Some(quoted) = display_text.strip_prefix('"') {
                let inner = quoted
                    .strip_suffix('"')
                    .ok_or_else(|| bad("unterminated quoted display name"))?;
                Some(unquote(inner).ok_or_else(|| bad("bad escape in display name"))?)
            } else {
                // Unquoted display names are tokens separated by whitespace.
                if !display_text
                    .split_whitespace()
                    .all(|word| word.chars().all(is_token_char))
                {
                    return Err(bad("display name needs quotes"));
                }
                Some(
                    display_text
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            };
            // LAQUOT and RAQUOT take no whitespace inside (§25.1; RFC 4475 §3.1.2.14).
            let inside = after.get(..close).unwrap_or_default();
            if inside.trim() != inside {
                return Err(bad("whitespace inside <…>"));
            }
            (display, inside, after.get(close + 1..).unwrap_or_default())
        } else {
            // addr-spec: the URI ends at the first ';' — parameters after it are the header's
            // (RFC 3261 §20.10), which is why URIs with parameters need the <…> form.
            let end = value.find(';').unwrap_or(value.len());
            let uri = value.get(..end).unwrap_or_default().trim();
            // §20.10: a URI with headers or commas must be enclosed (RFC 4475 §3.1.2.13).
            if uri.contains(['?', ',']) {
                return Err(bad("a URI with '?' or ',' needs <…>"));
            }
            (None, uri, value.get(end..).unwrap_or_default())
        };
        if uri.is_empty() || !uri.contains(':') || uri.contains(|ch: char| ch.is_whitespace()) {
            return Err(bad("no URI"));
        }
        let rest = rest.trim();
        let params = if rest.is_empty() {
            Vec::new()
        } else {
            let rest = rest
                .strip_prefix(';')
                .ok_or_else(|| bad("junk after the address"))?;
            parse_params(rest.split(';')).map_err(bad)?
        };
        Ok(NameAddr {
            display,
            uri: uri.to_owned(),
            params,
        })
    }

    proptest::proptest! {
        #[test]
        fn address_parts_read_what_the_old_parser_read(
            text in "( ?(\"[a-z\\\\\" ]{0,4}\"|[a-z é]{0,4}) ?<(sip:[a-z@;=?,]{0,5}|[a-z:@ ]{0,4})>|(sip:[a-z@]{0,4}|[a-z:@?, ]{0,6}))( ?;( ?(tag|TAG|x)|[a-z ]{0,2})(=[a-z ]{0,3})?){0,3} ?"
        ) {
            let old = reference_parse(&text);
            let new = NameAddr::parse(&text);
            proptest::prop_assert_eq!(old.is_ok(), new.is_ok(), "{:?}", text);
            if let (Ok(old), Ok(new)) = (&old, &new) {
                proptest::prop_assert_eq!(old, new);
                let parts = AddressParts::parse(&text).unwrap();
                proptest::prop_assert_eq!(parts.tag(), new.tag());
                proptest::prop_assert_eq!(parts.uri, new.uri.as_str());
            }
            proptest::prop_assert_eq!(AddressParts::parse(&text).is_ok(), new.is_ok());
        }
    }

    proptest::proptest! {
        #[test]
        fn header_parsers_never_panic(text in "\\PC{0,120}") {
            let _ = CSeq::parse(&text);
            let _ = Via::parse(&text);
            let _ = NameAddr::parse(&text);
        }
    }
}
