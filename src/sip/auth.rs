//! Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 8760): reading a 401/407
//! challenge and answering it with MD5 or SHA-256, with or without `qop=auth`.
//! The client nonce comes in as an argument, so answers are deterministic in tests.

use std::fmt::Write as _;

use md5::Md5;
use sha2::{Digest as _, Sha256};

use super::message::ParseError;

/// Hash algorithm of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (RFC 2617), the default when none is named.
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 8760).
    Sha256,
    /// SHA-256-sess.
    Sha256Sess,
}

impl Algorithm {
    fn parse(name: &str) -> Option<Algorithm> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "MD5-SESS" => Some(Algorithm::Md5Sess),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-256-SESS" => Some(Algorithm::Sha256Sess),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn hash(self, text: &str) -> String {
        let digest: Vec<u8> = match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Md5::digest(text.as_bytes()).to_vec(),
            Algorithm::Sha256 | Algorithm::Sha256Sess => Sha256::digest(text.as_bytes()).to_vec(),
        };
        digest
            .iter()
            .fold(String::with_capacity(digest.len() * 2), |mut out, byte| {
                // Writing to a String cannot fail.
                let _ = write!(out, "{byte:02x}");
                out
            })
    }

    fn is_session(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }
}

/// A parsed `WWW-Authenticate` or `Proxy-Authenticate` Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Protection space.
    pub realm: String,
    /// Server nonce.
    pub nonce: String,
    /// Opaque value to echo.
    pub opaque: Option<String>,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// True when the server offered `qop=auth`.
    pub qop_auth: bool,
    /// The previous answer was right but the nonce expired: retry without asking the user.
    pub stale: bool,
}

/// What the client knows to answer a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// User name.
    pub username: &'a str,
    /// Password.
    pub password: &'a str,
}

impl Challenge {
    /// Parses a challenge header value. Unknown algorithms and non-Digest schemes are
    /// errors (the caller tries the next challenge).
    pub fn parse(value: &str) -> Result<Challenge, ParseError> {
        let bad = |reason: &str| ParseError::BadHeader {
            name: "WWW-Authenticate".into(),
            reason: reason.into(),
        };
        let value = value.trim();
        let (scheme, rest) = value
            .split_once([' ', '\t'])
            .ok_or_else(|| bad("no parameters"))?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(bad("not a Digest challenge"));
        }
        let params = parse_params(rest).ok_or_else(|| bad("malformed parameters"))?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.clone())
        };
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(name) => Algorithm::parse(&name).ok_or_else(|| bad("unsupported algorithm"))?,
        };
        let qop = get("qop");
        let qop_auth = qop.as_deref().is_some_and(|qop| {
            qop.split(',')
                .any(|option| option.trim().eq_ignore_ascii_case("auth"))
        });
        if qop.is_some() && !qop_auth {
            return Err(bad("only qop=auth is supported"));
        }
        Ok(Challenge {
            realm: get("realm").ok_or_else(|| bad("no realm"))?,
            nonce: get("nonce").ok_or_else(|| bad("no nonce"))?,
            opaque: get("opaque"),
            algorithm,
            qop_auth,
            stale: get("stale").is_some_and(|stale| stale.eq_ignore_ascii_case("true")),
        })
    }

    /// The `Authorization`/`Proxy-Authorization` value answering this challenge for
    /// `method` on `uri`. `nonce_count` counts uses of this nonce (from 1); `cnonce` is the
    /// client's random nonce (ignored without qop).
    pub fn answer(
        &self,
        credentials: &Credentials<'_>,
        method: &str,
        uri: &str,
        nonce_count: u32,
        cnonce: &str,
    ) -> String {
        let algorithm = self.algorithm;
        let mut ha1 = algorithm.hash(&format!(
            "{}:{}:{}",
            credentials.username, self.realm, credentials.password
        ));
        if algorithm.is_session() {
            ha1 = algorithm.hash(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = algorithm.hash(&format!("{method}:{uri}"));
        let nc = format!("{nonce_count:08x}");
        let response = if self.qop_auth {
            algorithm.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            algorithm.hash(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let mut value = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{response}\", algorithm={}",
            quote_escape(credentials.username),
            quote_escape(&self.realm),
            quote_escape(&self.nonce),
            algorithm.name()
        );
        if self.qop_auth {
            let _ = write!(
                value,
                ", qop=auth, nc={nc}, cnonce=\"{}\"",
                quote_escape(cnonce)
            );
        }
        if let Some(opaque) = &self.opaque {
            let _ = write!(value, ", opaque=\"{}\"", quote_escape(opaque));
        }
        value
    }
}

/// `name=value` or `name="quoted value"` pairs separated by commas.
fn parse_params(text: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || name.contains([' ', ',', '"']) {
            return None;
        }
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((at, ch)) = chars.next() {
                match ch {
                    '\\' => value.push(chars.next()?.1),
                    '"' => {
                        end = Some(at + 1);
                        break;
                    }
                    other => value.push(other),
                }
            }
            (value, quoted.get(end?..)?)
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after.get(..end)?.trim().to_owned(), after.get(end..)?)
        };
        params.push((name.to_owned(), value));
        let remaining = remaining.trim_start();
        rest = match remaining.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if remaining.is_empty() => "",
            None => return None,
        };
    }
    Some(params)
}

fn quote_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of RFC 2617 §3.5 (HTTP, but the computation is the same).
    #[test]
    fn rfc_2617_example_gives_its_published_response() {
        let challenge = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert!(challenge.qop_auth);
        let answer = challenge.answer(
            &Credentials {
                username: "Mufasa",
                password: "Circle Of Life",
            },
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(
            answer.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{answer}"
        );
        assert!(answer.contains("nc=00000001"));
        assert!(answer.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    }

    #[test]
    fn sha_256_and_no_qop_follow_rfc_8760_and_2069_forms() {
        let challenge =
            Challenge::parse("Digest realm=\"sip.example.org\", nonce=\"abc\", algorithm=SHA-256")
                .unwrap();
        assert_eq!(challenge.algorithm, Algorithm::Sha256);
        assert!(!challenge.qop_auth);
        let creds = Credentials {
            username: "bob",
            password: "zanzibar",
        };
        let answer = challenge.answer(&creds, "REGISTER", "sip:sip.example.org", 1, "ignored");
        let ha1 = Algorithm::Sha256.hash("bob:sip.example.org:zanzibar");
        let ha2 = Algorithm::Sha256.hash("REGISTER:sip:sip.example.org");
        let expected = Algorithm::Sha256.hash(&format!("{ha1}:abc:{ha2}"));
        assert_eq!(expected.len(), 64);
        assert!(answer.contains(&format!("response=\"{expected}\"")));
        assert!(!answer.contains("qop"));
        assert!(answer.contains("algorithm=SHA-256"));
    }

    #[test]
    fn challenges_with_escapes_stale_and_bad_forms() {
        let challenge =
            Challenge::parse("digest  realm=\"a \\\"quoted\\\" realm\",nonce=n1, stale=TRUE")
                .unwrap();
        assert_eq!(challenge.realm, "a \"quoted\" realm");
        assert!(challenge.stale);
        for bad in [
            "Basic realm=\"x\"",
            "Digest nonce=\"n\"",
            "Digest realm=\"r\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
            "Digest realm=\"unterminated, nonce=\"n\"",
            "Digest realm=\"r\" nonce=\"n\"",
        ] {
            assert!(Challenge::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn challenge_parser_never_panics(text in "\\PC{0,160}") {
            let _ = Challenge::parse(&text);
        }
    }
}
