//! SIP messages (RFC 3261 §7, §20): parsing from datagrams and streams, printing.
//!
//! The parser is strict where RFC 3261 says a message is invalid (bad start line, header
//! without a colon, bad or duplicate Content-Length) and lenient where it asks to be
//! (header-name case, compact forms, line folding, bare LF line ends, whitespace around the
//! colon). Sizes are bounded so hostile input cannot make it allocate without limit.

use std::borrow::Cow;
use std::fmt;

mod names;
#[cfg(test)]
use names::KNOWN_NAMES;
pub use names::canonical_name;

/// Largest message accepted (UDP allows 65,507 bytes of payload).
pub const MAX_MESSAGE_LEN: usize = 64 * 1024;
/// Most header fields accepted in one message.
pub const MAX_HEADERS: usize = 256;

/// Why bytes are not a SIP message. `reason()` is the phrase for a 400 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// More bytes are needed (stream framing only).
    #[error("incomplete message")]
    Incomplete,
    /// Over [`MAX_MESSAGE_LEN`] or [`MAX_HEADERS`].
    #[error("message too large")]
    TooLarge,
    /// The first line is neither a Request-Line nor a Status-Line.
    #[error("bad start line: {0}")]
    BadStartLine(String),
    /// A SIP version other than 2.0 (answered with 505).
    #[error("unsupported SIP version {0:?}")]
    UnsupportedVersion(String),
    /// A header line is malformed.
    #[error("bad header {name:?}: {reason}")]
    BadHeader {
        /// The header's name, or the line when there is no name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A URI is malformed.
    #[error("bad URI: {0}")]
    BadUri(String),
    /// The body is shorter than Content-Length says.
    #[error("body truncated: Content-Length {declared}, {present} bytes present")]
    BodyTruncated {
        /// Content-Length.
        declared: usize,
        /// Bytes after the headers.
        present: usize,
    },
    /// A header required by RFC 3261 §8.1.1 is missing or duplicated.
    #[error("{0}")]
    MissingHeader(String),
}

impl ParseError {
    /// The reason phrase for the 400 (or 505, 413) response.
    pub fn reason(&self) -> String {
        match self {
            ParseError::Incomplete => "Incomplete Message".into(),
            ParseError::TooLarge => "Message Too Large".into(),
            ParseError::UnsupportedVersion(_) => "Version Not Supported".into(),
            other => {
                // A reason phrase is one line of printable text.
                let text: String = other
                    .to_string()
                    .chars()
                    .filter(|ch| !ch.is_control())
                    .take(120)
                    .collect();
                format!("Bad Request ({text})")
            }
        }
    }

    /// The response code RFC 3261 asks for.
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::UnsupportedVersion(_) => 505,
            ParseError::TooLarge => 513,
            _ => 400,
        }
    }
}

/// A SIP method. Extension methods are kept by name (RFC 3261 §7.1: case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// REGISTER.
    Register,
    /// OPTIONS.
    Options,
    /// INFO (RFC 6086).
    Info,
    /// UPDATE (RFC 3311).
    Update,
    /// PRACK (RFC 3262).
    Prack,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// NOTIFY (RFC 6665).
    Notify,
    /// REFER (RFC 3515).
    Refer,
    /// MESSAGE (RFC 3428).
    Message,
    /// PUBLISH (RFC 3903).
    Publish,
    /// Any other token.
    Other(String),
}

impl Method {
    /// Parses a method token.
    pub fn parse(token: &str) -> Result<Method, ParseError> {
        if token.is_empty() || !token.chars().all(is_token_char) {
            return Err(ParseError::BadStartLine(format!(
                "invalid method {token:?}"
            )));
        }
        Ok(match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_owned()),
        })
    }

    /// The method's name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Request-Line or Status-Line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// A request.
    Request {
        /// Method.
        method: Method,
        /// Request-URI as written (any scheme; `sip:`/`sips:` ones parse with `SipUri`).
        uri: String,
    },
    /// A response.
    Response {
        /// Status code, 100 to 699.
        code: u16,
        /// Reason phrase (may be empty).
        reason: String,
    },
}

/// One header field: its canonical name and its value with folding undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Canonical name (`Call-ID` for `i`, `call-id`, `CALL-ID`); known names are not
    /// allocated.
    pub name: Cow<'static, str>,
    /// Value, trimmed.
    pub value: String,
}

/// Header fields in message order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(pub Vec<Header>);

/// Header names whose values contain commas that do not separate values (RFC 3261 §7.3.1).
const UNSPLITTABLE: &[&str] = &[
    "WWW-Authenticate",
    "Authorization",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Date",
    "Subject",
    "User-Agent",
    "Server",
    "Organization",
];

/// Whether `name`'s values are comma-separated lists (not one of [`UNSPLITTABLE`]).
fn splittable(name: &str) -> bool {
    !UNSPLITTABLE
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
}

impl Headers {
    /// The first value of `name` (any spelling or compact form).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every field named `name`, each as written.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.0
            .iter()
            .filter(move |header| header.name == name || header.name.eq_ignore_ascii_case(&name))
            .map(|header| header.value.as_str())
    }

    /// Every value of `name`, with comma-separated lists split (outside quotes and `<…>`).
    pub fn values(&self, name: &str) -> Vec<String> {
        let name = canonical_name(name);
        let splittable = splittable(&name);
        let mut values = Vec::new();
        for value in self.get_all(&name) {
            if splittable {
                values.extend(split_list(value).into_iter().map(str::to_owned));
            } else {
                values.push(value.to_owned());
            }
        }
        values
    }

    /// The first value of `name` with comma-separated lists split, as [`Headers::values`]
    /// would give it first, without copying the others (the top Via, say).
    pub fn first_value(&self, name: &str) -> Option<&str> {
        let name = canonical_name(name);
        let splittable = splittable(&name);
        self.get_all(&name).find_map(|value| {
            if splittable {
                list_items(value).next()
            } else {
                Some(value)
            }
        })
    }

    /// Appends a field.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(Header {
            name: canonical_name(name),
            value: value.into(),
        });
    }

    /// Replaces every field named `name` by one with `value`, at the first one's place.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let at = self
            .0
            .iter()
            .position(|header| header.name.eq_ignore_ascii_case(&name));
        self.remove(&name);
        let header = Header {
            name,
            value: value.into(),
        };
        match at {
            Some(at) => self.0.insert(at.min(self.0.len()), header),
            None => self.0.push(header),
        }
    }

    /// Removes every field named `name`.
    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.0
            .retain(|header| !header.name.eq_ignore_ascii_case(&name));
    }
}

/// A parsed SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    /// Request-Line or Status-Line.
    pub start: StartLine,
    /// Header fields.
    pub headers: Headers,
    /// Body bytes (exactly Content-Length of them).
    pub body: Vec<u8>,
}

impl SipMessage {
    /// Parses one message from a datagram: the body is the rest of the datagram, cut to
    /// Content-Length when that is given (RFC 3261 §18.3).
    pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(ParseError::TooLarge);
        }
        let Some((head_len, body_start)) = find_head_end(bytes) else {
            return Err(ParseError::BadStartLine(
                "no empty line ends the headers".into(),
            ));
        };
        let (start, headers) = parse_head(bytes.get(..head_len).unwrap_or_default())?;
        let rest = bytes.get(body_start..).unwrap_or_default();
        let body = match content_length(&headers)? {
            Some(declared) if declared > rest.len() => {
                return Err(ParseError::BodyTruncated {
                    declared,
                    present: rest.len(),
                });
            }
            Some(declared) => rest.get(..declared).unwrap_or_default().to_vec(),
            None => rest.to_vec(),
        };
        Ok(SipMessage {
            start,
            headers,
            body,
        })
    }

    /// Parses one message from the front of a stream buffer (TCP, TLS): `Ok(None)` until it
    /// is all there, then the message and the bytes it used. Content-Length is required.
    pub fn parse_stream(buffer: &[u8]) -> Result<Option<(SipMessage, usize)>, ParseError> {
        // RFC 3261 §7.5: CRLFs before a message are keep-alives; skip them.
        let skipped = buffer
            .iter()
            .take_while(|&&byte| byte == b'\r' || byte == b'\n')
            .count();
        let buffer = buffer.get(skipped..).unwrap_or_default();
        let Some((head_len, body_start)) = find_head_end(buffer) else {
            return if buffer.len() > MAX_MESSAGE_LEN {
                Err(ParseError::TooLarge)
            } else {
                Ok(None)
            };
        };
        let (start, headers) = parse_head(buffer.get(..head_len).unwrap_or_default())?;
        let declared = content_length(&headers)?.ok_or_else(|| ParseError::BadHeader {
            name: "Content-Length".into(),
            reason: "required on stream transports".into(),
        })?;
        if body_start + declared > MAX_MESSAGE_LEN {
            return Err(ParseError::TooLarge);
        }
        let Some(body) = buffer.get(body_start..body_start + declared) else {
            return Ok(None);
        };
        let message = SipMessage {
            start,
            headers,
            body: body.to_vec(),
        };
        Ok(Some((message, skipped + body_start + declared)))
    }

    /// Checks the headers every request must carry once (RFC 3261 §8.1.1): To, From,
    /// Call-ID, CSeq (with the request's method), Via; and one Via on a response.
    pub fn check_mandatory(&self) -> Result<(), ParseError> {
        let once = |name: &str| match self.headers.get_all(name).count() {
            1 => Ok(()),
            0 => Err(ParseError::MissingHeader(format!("missing {name}"))),
            _ => Err(ParseError::MissingHeader(format!("more than one {name}"))),
        };
        for name in ["To", "From", "Call-ID", "CSeq"] {
            once(name)?;
        }
        if self.headers.get("Via").is_none() {
            return Err(ParseError::MissingHeader("missing Via".into()));
        }
        for name in ["To", "From"] {
            super::header::AddressParts::parse(self.headers.get(name).unwrap_or_default())?;
        }
        for field in self.headers.get_all("Contact") {
            for contact in list_items(field) {
                if contact != "*" {
                    super::header::AddressParts::parse(contact)?;
                }
            }
        }
        let cseq = super::header::CSeq::parse(self.headers.get("CSeq").unwrap_or_default())?;
        if let StartLine::Request { method, .. } = &self.start
            && cseq.method != *method
        {
            return Err(ParseError::MissingHeader(format!(
                "CSeq method {} does not match {}",
                cseq.method, method
            )));
        }
        Ok(())
    }

    /// The message as bytes, with Content-Length set to the body's length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        match &self.start {
            StartLine::Request { method, uri } => {
                out.extend_from_slice(format!("{method} {uri} SIP/2.0\r\n").as_bytes())
            }
            StartLine::Response { code, reason } => {
                out.extend_from_slice(format!("SIP/2.0 {code} {reason}\r\n").as_bytes())
            }
        }
        for header in self
            .headers
            .0
            .iter()
            .filter(|header| header.name != "Content-Length")
        {
            out.extend_from_slice(header.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(header.value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// Finds the empty line: returns (end of the header block, start of the body).
fn find_head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let limit = bytes.len().min(MAX_MESSAGE_LEN);
    let window = bytes.get(..limit)?;
    let crlf = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, at + 4));
    let lf = window
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| (at, at + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (found, None) | (None, found) => found,
    }
}

fn parse_head(head: &[u8]) -> Result<(StartLine, Headers), ParseError> {
    let text = std::str::from_utf8(head)
        .map_err(|_| ParseError::BadStartLine("headers are not UTF-8".into()))?;
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let first = lines.next().unwrap_or_default();
    let start = parse_start_line(first)?;
    let mut headers = Headers::default();
    // The field being read: its name and value, borrowed unless folded lines were joined.
    let mut current: Option<(&str, Cow<'_, str>)> = None;
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // Folding (RFC 3261 §7.3.1): a continuation line joins the previous value.
            let Some((_, value)) = current.as_mut() else {
                return Err(ParseError::BadHeader {
                    name: line.trim().chars().take(40).collect(),
                    reason: "continuation line without a header".into(),
                });
            };
            let value = value.to_mut();
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        if let Some((name, value)) = current.take() {
            push_header(&mut headers, name, value)?;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ParseError::BadHeader {
                name: line.chars().take(40).collect(),
                reason: "no colon".into(),
            });
        };
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.chars().all(is_token_char) {
            return Err(ParseError::BadHeader {
                name: name.chars().take(40).collect(),
                reason: "invalid header name".into(),
            });
        }
        current = Some((name, Cow::Borrowed(value.trim())));
    }
    if let Some((name, value)) = current.take() {
        push_header(&mut headers, name, value)?;
    }
    Ok((start, headers))
}

fn push_header(headers: &mut Headers, name: &str, value: Cow<'_, str>) -> Result<(), ParseError> {
    if headers.0.len() >= MAX_HEADERS {
        return Err(ParseError::TooLarge);
    }
    if has_stray_control(&value) {
        return Err(ParseError::BadHeader {
            name: name.chars().take(40).collect(),
            reason: "control character in the value".into(),
        });
    }
    headers.push(name, value.into_owned());
    Ok(())
}

/// RFC 3261 §25.1: a value is TEXT-UTF8 and linear white space; a control character other
/// than HTAB may only come escaped as a quoted-pair (`\` then the character, as RFC 4475
/// §3.1.1.2 does in a display name). A raw NUL in a Call-ID is refused.
fn has_stray_control(value: &str) -> bool {
    // Nearly every value is printable ASCII, which one pass without early exit (so the
    // compiler may vectorize it) tells.
    let unusual = value
        .bytes()
        .fold(false, |unusual, b| unusual | !(0x20..0x7f).contains(&b));
    if !unusual {
        return false;
    }
    let mut previous = ' ';
    value.chars().any(|c| {
        let stray = c.is_control() && c != '\t' && previous != '\\';
        previous = c;
        stray
    })
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    let bad = |reason: &str| {
        ParseError::BadStartLine(format!(
            "{reason}: {:?}",
            line.chars().take(80).collect::<String>()
        ))
    };
    if let Some(rest) = line.strip_prefix_ignore_case("SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = rest.split_once(' ').ok_or_else(|| bad("no status code"))?;
        if version != "2.0" {
            return Err(ParseError::UnsupportedVersion(format!("SIP/{version}")));
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("status code is not three digits"));
        }
        let code: u16 = code.parse().map_err(|_| bad("bad status code"))?;
        if !(100..=699).contains(&code) {
            return Err(bad("status code out of range"));
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.to_owned(),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version, single spaces.
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not METHOD URI VERSION"));
    };
    let method = Method::parse(method)?;
    let Some(version) = version.strip_prefix_ignore_case("SIP/") else {
        return Err(bad("no SIP version"));
    };
    if version != "2.0" {
        return Err(ParseError::UnsupportedVersion(format!("SIP/{version}")));
    }
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && !rest.is_empty()
            && scheme
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch))
    });
    if !scheme_ok || uri.contains(|ch: char| ch.is_control()) {
        return Err(ParseError::BadUri(uri.chars().take(80).collect()));
    }
    if uri
        .get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sip:"))
        || uri
            .get(..5)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sips:"))
    {
        super::uri::SipUri::parse(uri)?;
    }
    Ok(StartLine::Request {
        method,
        uri: uri.to_owned(),
    })
}

fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut values = headers.get_all("Content-Length");
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ParseError::BadHeader {
            name: "Content-Length".into(),
            reason: "more than one".into(),
        });
    }
    if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadHeader {
            name: "Content-Length".into(),
            reason: format!("not a length: {value:?}"),
        });
    }
    value.parse().map(Some).map_err(|_| ParseError::BadHeader {
        name: "Content-Length".into(),
        reason: "not a length".into(),
    })
}

/// RFC 3261 `token` characters.
pub fn is_token_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(ch)
}

/// Splits a header value at commas outside quoted strings and `<…>`.
pub fn split_list(value: &str) -> Vec<&str> {
    list_items(value).collect()
}

/// The items of a comma-separated list, trimmed, empty ones left out (see [`split_list`]).
fn list_items(value: &str) -> impl Iterator<Item = &str> {
    let (mut quoted, mut escaped, mut angle) = (false, false, false);
    let mut start = 0;
    let mut chars = value.char_indices();
    std::iter::from_fn(move || {
        loop {
            let Some((at, ch)) = chars.next() else {
                // The last item, once.
                let last = value.get(start..)?.trim();
                start = value.len() + 1;
                return Some(last);
            };
            if escaped {
                escaped = false;
                continue;
            }
            match ch {
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '<' if !quoted => angle = true,
                '>' if !quoted => angle = false,
                ',' if !quoted && !angle => {
                    let item = value.get(start..at).unwrap_or_default().trim();
                    start = at + 1;
                    return Some(item);
                }
                _ => {}
            }
        }
    })
    .filter(|item| !item.is_empty())
}

trait StripPrefixIgnoreCase {
    fn strip_prefix_ignore_case(&self, prefix: &str) -> Option<&str>;
}

impl StripPrefixIgnoreCase for str {
    fn strip_prefix_ignore_case(&self, prefix: &str) -> Option<&str> {
        let head = self.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix)
            .then(|| self.get(prefix.len()..))
            .flatten()
    }
}

#[cfg(test)]
mod tests;
