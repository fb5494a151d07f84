//! The SDP text format: `type=value` lines, session part then media sections.

use std::fmt;

/// Largest SDP body accepted.
pub const MAX_SDP_LEN: usize = 16 * 1024;
/// Most media sections accepted.
pub const MAX_MEDIA: usize = 16;

/// Why a body is not valid SDP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// Over the size limits.
    #[error("SDP too large")]
    TooLarge,
    /// A line is malformed.
    #[error("SDP line {line}: {reason}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A required line is missing.
    #[error("SDP lacks {0}")]
    Missing(&'static str),
}

/// `a=name:value` or `a=flag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value, if any.
    pub value: Option<String>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, …
    pub media: String,
    /// Transport port; 0 rejects the stream.
    pub port: u16,
    /// `RTP/AVP`, `RTP/SAVP`, …
    pub proto: String,
    /// Payload types (or other formats), as written.
    pub formats: Vec<String>,
    /// `c=` of this section, if any: the address.
    pub connection: Option<String>,
    /// Other lines of the section (`b=`, `i=`, …) kept as written, in order.
    pub other_lines: Vec<String>,
    /// Attributes in order.
    pub attributes: Vec<Attribute>,
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` username.
    pub origin_user: String,
    /// `o=` session id.
    pub session_id: String,
    /// `o=` version (incremented on each new offer in a dialog).
    pub session_version: u64,
    /// `o=` address.
    pub origin_address: String,
    /// `s=`.
    pub name: String,
    /// Session-level `c=` address, if any.
    pub connection: Option<String>,
    /// Session-level lines kept as written (`t=`, `b=`, …).
    pub other_lines: Vec<String>,
    /// Session-level attributes.
    pub attributes: Vec<Attribute>,
    /// Media sections.
    pub media: Vec<MediaDescription>,
}

impl MediaDescription {
    /// The value of the first attribute `name`; `Some(None)` for a flag.
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_deref())
    }

    /// Every value of attribute `name`.
    pub fn attributes_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// `a=rtpmap` for a payload type: (encoding, clock rate, channels).
    pub fn rtpmap(&self, payload_type: &str) -> Option<(String, u32, u8)> {
        self.attributes_named("rtpmap").find_map(|value| {
            let (pt, mapping) = value.split_once(' ')?;
            if pt != payload_type {
                return None;
            }
            let mut parts = mapping.trim().split('/');
            let name = parts.next()?.to_owned();
            let clock = parts.next()?.parse().ok()?;
            let channels = parts.next().map_or(Some(1), |c| c.parse().ok())?;
            Some((name, clock, channels))
        })
    }

    /// `a=fmtp` parameters for a payload type.
    pub fn fmtp(&self, payload_type: &str) -> Option<&str> {
        self.attributes_named("fmtp").find_map(|value| {
            let (pt, params) = value.split_once(' ')?;
            (pt == payload_type).then_some(params.trim())
        })
    }
}

impl SessionDescription {
    /// Parses an SDP body.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        if text.len() > MAX_SDP_LEN {
            return Err(SdpError::TooLarge);
        }
        let mut session = SessionDescription {
            origin_user: String::new(),
            session_id: String::new(),
            session_version: 0,
            origin_address: String::new(),
            name: String::new(),
            connection: None,
            other_lines: Vec::new(),
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let (mut seen_version, mut seen_origin) = (false, false);
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let bad = |reason: &str| SdpError::BadLine {
                line: number,
                reason: reason.to_owned(),
            };
            let (kind, value) = line.split_once('=').ok_or_else(|| bad("no '='"))?;
            if kind.len() != 1 {
                return Err(bad("type is not one letter"));
            }
            match kind {
                "v" => {
                    if value != "0" {
                        return Err(bad("version is not 0"));
                    }
                    seen_version = true;
                }
                "o" => {
                    let parts: Vec<&str> = value.split(' ').collect();
                    let [user, id, version, "IN", _, address] = parts.as_slice() else {
                        return Err(bad("o= needs six fields with IN"));
                    };
                    session.origin_user = (*user).to_owned();
                    session.session_id = (*id).to_owned();
                    session.session_version =
                        version.parse().map_err(|_| bad("bad session version"))?;
                    session.origin_address = (*address).to_owned();
                    seen_origin = true;
                }
                "s" => session.name = value.to_owned(),
                "c" => {
                    let address = parse_connection(value)
                        .ok_or_else(|| bad("c= is not IN IP4|IP6 address"))?;
                    match session.media.last_mut() {
                        Some(media) => media.connection = Some(address),
                        None => session.connection = Some(address),
                    }
                }
                "m" => {
                    if session.media.len() >= MAX_MEDIA {
                        return Err(SdpError::TooLarge);
                    }
                    let mut parts = value.split(' ');
                    let media = parts
                        .next()
                        .filter(|m| !m.is_empty())
                        .ok_or_else(|| bad("no media"))?;
                    let port_text = parts.next().ok_or_else(|| bad("no port"))?;
                    // A port count (`49170/2`) is allowed; only the base port matters here.
                    let port = port_text
                        .split('/')
                        .next()
                        .and_then(|port| port.parse().ok())
                        .ok_or_else(|| bad("bad port"))?;
                    let proto = parts
                        .next()
                        .filter(|p| !p.is_empty())
                        .ok_or_else(|| bad("no protocol"))?;
                    let formats: Vec<String> =
                        parts.filter(|f| !f.is_empty()).map(str::to_owned).collect();
                    if formats.is_empty() {
                        return Err(bad("no formats"));
                    }
                    session.media.push(MediaDescription {
                        media: media.to_owned(),
                        port,
                        proto: proto.to_owned(),
                        formats,
                        connection: None,
                        other_lines: Vec::new(),
                        attributes: Vec::new(),
                    });
                }
                "a" => {
                    let attribute = match value.split_once(':') {
                        Some((name, value)) => Attribute {
                            name: name.to_owned(),
                            value: Some(value.to_owned()),
                        },
                        None => Attribute {
                            name: value.to_owned(),
                            value: None,
                        },
                    };
                    if attribute.name.is_empty() {
                        return Err(bad("empty attribute name"));
                    }
                    match session.media.last_mut() {
                        Some(media) => media.attributes.push(attribute),
                        None => session.attributes.push(attribute),
                    }
                }
                _ => match session.media.last_mut() {
                    Some(media) => media.other_lines.push(line.to_owned()),
                    None => session.other_lines.push(line.to_owned()),
                },
            }
        }
        if !seen_version {
            return Err(SdpError::Missing("v="));
        }
        if !seen_origin {
            return Err(SdpError::Missing("o="));
        }
        Ok(session)
    }

    /// The address media for `index` goes to: its own `c=`, else the session's.
    pub fn media_address(&self, index: usize) -> Option<&str> {
        let media = self.media.get(index)?;
        media.connection.as_deref().or(self.connection.as_deref())
    }
}

fn parse_connection(value: &str) -> Option<String> {
    let mut parts = value.split(' ');
    let (Some("IN"), Some("IP4" | "IP6"), Some(address)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // Multicast TTL suffixes (`/127`) are dropped: Ringlet does unicast.
    let address = address.split('/').next()?;
    (!address.is_empty()).then(|| address.to_owned())
}

fn address_type(address: &str) -> &'static str {
    if address.contains(':') { "IP6" } else { "IP4" }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\n")?;
        write!(
            f,
            "o={} {} {} IN {} {}\r\n",
            self.origin_user,
            self.session_id,
            self.session_version,
            address_type(&self.origin_address),
            self.origin_address
        )?;
        write!(
            f,
            "s={}\r\n",
            if self.name.is_empty() {
                "-"
            } else {
                &self.name
            }
        )?;
        if let Some(address) = &self.connection {
            write!(f, "c=IN {} {address}\r\n", address_type(address))?;
        }
        let has_time = self.other_lines.iter().any(|line| line.starts_with("t="));
        if !has_time {
            write!(f, "t=0 0\r\n")?;
        }
        for line in &self.other_lines {
            write!(f, "{line}\r\n")?;
        }
        for attribute in &self.attributes {
            write_attribute(f, attribute)?;
        }
        for media in &self.media {
            write!(
                f,
                "m={} {} {} {}\r\n",
                media.media,
                media.port,
                media.proto,
                media.formats.join(" ")
            )?;
            if let Some(address) = &media.connection {
                write!(f, "c=IN {} {address}\r\n", address_type(address))?;
            }
            for line in &media.other_lines {
                write!(f, "{line}\r\n")?;
            }
            for attribute in &media.attributes {
                write_attribute(f, attribute)?;
            }
        }
        Ok(())
    }
}

fn write_attribute(f: &mut fmt::Formatter<'_>, attribute: &Attribute) -> fmt::Result {
    match &attribute.value {
        Some(value) => write!(f, "a={}:{value}\r\n", attribute.name),
        None => write!(f, "a={}\r\n", attribute.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\ns=call\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 111 9 0 101\r\nb=AS:64\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

    #[test]
    fn parses_sessions_media_and_attributes() {
        let sdp = SessionDescription::parse(OFFER).unwrap();
        assert_eq!(sdp.session_version, 2890844527);
        assert_eq!(sdp.connection.as_deref(), Some("192.0.2.10"));
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!((audio.port, audio.proto.as_str()), (49170, "RTP/AVP"));
        assert_eq!(audio.formats, vec!["111", "9", "0", "101"]);
        assert_eq!(audio.rtpmap("111"), Some(("opus".into(), 48000, 2)));
        assert_eq!(audio.rtpmap("9"), None, "static types need no rtpmap");
        assert_eq!(audio.fmtp("101"), Some("0-16"));
        assert_eq!(audio.attribute("sendrecv"), Some(None));
        assert_eq!(audio.other_lines, vec!["b=AS:64"]);
        assert_eq!(sdp.media_address(0), Some("192.0.2.10"));
    }

    #[test]
    fn printing_round_trips() {
        let sdp = SessionDescription::parse(OFFER).unwrap();
        let printed = sdp.to_string();
        assert_eq!(SessionDescription::parse(&printed).unwrap(), sdp);
        assert!(printed.starts_with("v=0\r\no=alice"));
    }

    #[test]
    fn malformed_bodies_name_the_line() {
        for (text, line) in [
            ("v=0\r\no=a 1 1 IN IP4 h\r\nbogus\r\n", 3),
            ("v=1\r\n", 1),
            ("v=0\r\no=a 1 x IN IP4 h\r\n", 2),
            ("v=0\r\no=a 1 1 IN IP4 h\r\nm=audio\r\n", 3),
            ("v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 99999 RTP/AVP 0\r\n", 3),
            ("v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 5000 RTP/AVP\r\n", 3),
            ("v=0\r\no=a 1 1 IN IP4 h\r\nc=IN IPX h\r\n", 3),
            ("v=0\r\no=a 1 1 IN IP4 h\r\na=\r\n", 3),
        ] {
            match SessionDescription::parse(text) {
                Err(SdpError::BadLine { line: found, .. }) => assert_eq!(found, line, "{text:?}"),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert_eq!(
            SessionDescription::parse("s=x\r\n"),
            Err(SdpError::Missing("v="))
        );
        assert_eq!(
            SessionDescription::parse(&"a=x\r\n".repeat(5000)),
            Err(SdpError::TooLarge)
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "[a-z=0-9 :/.\r\n-]{0,300}") {
            let _ = SessionDescription::parse(&text);
        }
    }
}
