//! Header names: the canonical spelling of each known one and its compact form.

use std::borrow::Cow;

/// The header names [`canonical_name`] knows, with their compact forms.
#[cfg(test)]
pub(crate) const KNOWN_NAMES: &[(&str, Option<&str>)] = &[
    ("Accept", None),
    ("Accept-Contact", Some("a")),
    ("Allow", None),
    ("Allow-Events", Some("u")),
    ("Authorization", None),
    ("Call-ID", Some("i")),
    ("Contact", Some("m")),
    ("Content-Encoding", Some("e")),
    ("Content-Length", Some("l")),
    ("Content-Type", Some("c")),
    ("CSeq", None),
    ("Event", Some("o")),
    ("Expires", None),
    ("From", Some("f")),
    ("Max-Forwards", None),
    ("Min-Expires", None),
    ("Proxy-Authenticate", None),
    ("Proxy-Authorization", None),
    ("Record-Route", None),
    ("Refer-To", Some("r")),
    ("Referred-By", Some("b")),
    ("Reject-Contact", Some("j")),
    ("Replaces", None),
    ("Require", None),
    ("Route", None),
    ("Session-Expires", Some("x")),
    ("Subject", Some("s")),
    ("Subscription-State", None),
    ("Supported", Some("k")),
    ("To", Some("t")),
    ("Unsupported", None),
    ("User-Agent", None),
    ("Via", Some("v")),
    ("WWW-Authenticate", None),
];

/// The canonical spelling of a header name, with compact forms expanded (RFC 3261 §7.3.3
/// and the extensions that define one). Known names cost no allocation. Every header
/// lookup comes here (some 200 times a call), so the candidates are found by length and
/// first letter, not by comparing all of them (a tenth of the instructions answering sipp's
/// calls went to that scan).
pub fn canonical_name(name: &str) -> Cow<'static, str> {
    let Some(first) = name.as_bytes().first().map(u8::to_ascii_lowercase) else {
        return Cow::Borrowed("");
    };
    if name.len() == 1 {
        let expanded = match first {
            b'a' => "Accept-Contact",
            b'b' => "Referred-By",
            b'c' => "Content-Type",
            b'e' => "Content-Encoding",
            b'f' => "From",
            b'i' => "Call-ID",
            b'j' => "Reject-Contact",
            b'k' => "Supported",
            b'l' => "Content-Length",
            b'm' => "Contact",
            b'o' => "Event",
            b'r' => "Refer-To",
            b's' => "Subject",
            b't' => "To",
            b'u' => "Allow-Events",
            b'v' => "Via",
            b'x' => "Session-Expires",
            _ => return Cow::Owned(name.to_owned()),
        };
        return Cow::Borrowed(expanded);
    }
    let candidates: &[&'static str] = match (name.len(), first) {
        (2, b't') => &["To"],
        (3, b'v') => &["Via"],
        (4, b'c') => &["CSeq"],
        (4, b'f') => &["From"],
        (5, b'a') => &["Allow"],
        (5, b'e') => &["Event"],
        (5, b'r') => &["Route"],
        (6, b'a') => &["Accept"],
        (7, b'c') => &["Call-ID", "Contact"],
        (7, b'e') => &["Expires"],
        (7, b'r') => &["Require"],
        (7, b's') => &["Subject"],
        (8, b'r') => &["Refer-To", "Replaces"],
        (9, b's') => &["Supported"],
        (10, b'u') => &["User-Agent"],
        (11, b'm') => &["Min-Expires"],
        (11, b'r') => &["Referred-By"],
        (11, b'u') => &["Unsupported"],
        (12, b'a') => &["Allow-Events"],
        (12, b'c') => &["Content-Type"],
        (12, b'm') => &["Max-Forwards"],
        (12, b'r') => &["Record-Route"],
        (13, b'a') => &["Authorization"],
        (14, b'a') => &["Accept-Contact"],
        (14, b'c') => &["Content-Length"],
        (14, b'r') => &["Reject-Contact"],
        (15, b's') => &["Session-Expires"],
        (16, b'c') => &["Content-Encoding"],
        (16, b'w') => &["WWW-Authenticate"],
        (18, b'p') => &["Proxy-Authenticate"],
        (18, b's') => &["Subscription-State"],
        (19, b'p') => &["Proxy-Authorization"],
        _ => &[],
    };
    // Names nearly always come spelt as the canonical one: a byte comparison settles them
    // before the case-blind one.
    match candidates
        .iter()
        .find(|canonical| **canonical == name || canonical.eq_ignore_ascii_case(name))
    {
        Some(canonical) => Cow::Borrowed(canonical),
        None => Cow::Owned(name.to_owned()),
    }
}
