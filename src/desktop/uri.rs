//! What `ringlet URI` opens: `sip:`/`sips:` addresses and `tel:` numbers are called from a
//! SIP account, `ringlet:ID` opens a P2P contact's conversation (or the form to add it).
//! Links come from browsers and other programs: anything else is refused with a reason.

/// Longest URI accepted (a SIP URI with parameters fits easily).
const MAX_LEN: usize = 2048;

/// What a URI asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenTarget {
    /// Call this SIP URI (`sip:` or `sips:`, as given).
    Sip(String),
    /// Call this telephone number (RFC 3966, visual separators removed): a SIP account
    /// calls it at its own domain.
    Tel(String),
    /// Open the conversation with this P2P account id or registered name.
    P2p(String),
}

/// Why a URI cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Too long to be a real address.
    #[error("the address is longer than {MAX_LEN} characters")]
    TooLong,
    /// Not one of the schemes Ringlet opens.
    #[error("{0:?} is not a sip:, sips:, tel: or ringlet: address")]
    Scheme(String),
    /// The scheme is known but nothing usable follows it.
    #[error("{0:?} names nobody to call")]
    Empty(String),
    /// Control characters or spaces inside.
    #[error("the address contains spaces or control characters")]
    Characters,
}

/// Parses a URI handed to `ringlet` on its command line or by another instance.
pub fn parse_open(uri: &str) -> Result<OpenTarget, UriError> {
    let uri = uri.trim();
    if uri.len() > MAX_LEN {
        return Err(UriError::TooLong);
    }
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UriError::Characters);
    }
    let (scheme, rest) = uri
        .split_once(':')
        .ok_or_else(|| UriError::Scheme(uri.to_owned()))?;
    let empty = || UriError::Empty(uri.to_owned());
    match scheme.to_ascii_lowercase().as_str() {
        "sip" | "sips" => {
            let host = rest.rsplit('@').next().unwrap_or_default();
            if rest.is_empty() || host.is_empty() || host.starts_with(';') {
                return Err(empty());
            }
            Ok(OpenTarget::Sip(format!(
                "{}:{rest}",
                scheme.to_ascii_lowercase()
            )))
        }
        "tel" => {
            // Parameters (";phone-context=…") are dropped; separators are visual only.
            let number: String = rest
                .split(';')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                .collect();
            let digits = number.strip_prefix('+').unwrap_or(&number);
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, '*' | '#'))
            {
                return Err(empty());
            }
            Ok(OpenTarget::Tel(number))
        }
        "ringlet" => {
            let id = rest.trim_start_matches('/').trim_end_matches('/');
            if id.is_empty() || id.contains(['/', '?', '#', '@', ':']) {
                return Err(empty());
            }
            Ok(OpenTarget::P2p(id.to_owned()))
        }
        _ => Err(UriError::Scheme(uri.to_owned())),
    }
}

/// The SIP URI that calls telephone `number` through an account whose address of record
/// is `aor` (its domain, with `user=phone` as RFC 3261 §19.1.6 says).
pub fn tel_to_sip(number: &str, aor: &str) -> Option<String> {
    let domain = aor.split_once('@')?.1;
    let domain = domain.split([';', '?', '>']).next()?;
    (!domain.is_empty()).then(|| format!("sip:{number}@{domain};user=phone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemes_the_desktop_file_claims_are_opened() {
        assert_eq!(
            parse_open("sip:bob@example.org"),
            Ok(OpenTarget::Sip("sip:bob@example.org".into()))
        );
        assert_eq!(
            parse_open(" SIPS:bob@example.org:5061;transport=tls "),
            Ok(OpenTarget::Sip(
                "sips:bob@example.org:5061;transport=tls".into()
            ))
        );
        assert_eq!(
            parse_open("tel:+1-201-555-0123;phone-context=example.com"),
            Ok(OpenTarget::Tel("+12015550123".into()))
        );
        assert_eq!(
            parse_open("ringlet:0123abcd"),
            Ok(OpenTarget::P2p("0123abcd".into()))
        );
        assert_eq!(
            parse_open("ringlet://0123abcd/"),
            Ok(OpenTarget::P2p("0123abcd".into()))
        );
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for (uri, error) in [
            (
                "http://example.org",
                UriError::Scheme("http://example.org".into()),
            ),
            ("bob", UriError::Scheme("bob".into())),
            ("sip:", UriError::Empty("sip:".into())),
            ("sip:bob@", UriError::Empty("sip:bob@".into())),
            ("tel:", UriError::Empty("tel:".into())),
            ("tel:abc-xyz", UriError::Empty("tel:abc-xyz".into())),
            ("ringlet:", UriError::Empty("ringlet:".into())),
            ("ringlet:a/b", UriError::Empty("ringlet:a/b".into())),
            ("sip:bob@example.org\r\nVia: x", UriError::Characters),
        ] {
            assert_eq!(parse_open(uri), Err(error), "{uri:?}");
        }
        assert_eq!(
            parse_open(&format!("sip:{}@x", "a".repeat(MAX_LEN))),
            Err(UriError::TooLong)
        );
    }

    #[test]
    fn a_number_is_called_at_the_accounts_domain() {
        assert_eq!(
            tel_to_sip("+12015550123", "sip:alice@voip.example.org"),
            Some("sip:+12015550123@voip.example.org;user=phone".into())
        );
        assert_eq!(tel_to_sip("123", "alice"), None);
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(uri in ".{0,300}") {
            let _ = parse_open(&uri);
        }
    }
}
