//! Linking a new device over the network with a one-time PIN.
//!
//! A device of the account makes a PIN and leaves the account archive, sealed under that
//! PIN, in the DHT for [`LINK_TTL`]; the new device, given the PIN, finds the record and
//! opens it, then joins the account as if it had imported the archive file.
//!
//! Both the record's key and the archive's sealing key are Argon2id stretches of the PIN,
//! so whoever sees the record in the DHT (a storing node) must still guess a 50-bit PIN at
//! two stretches a guess. The PIN is shown once and the record expires; the alphabet
//! leaves out 0/O and 1/I so it reads back without mistakes.

use std::path::Path;
use std::time::Duration;

use rand::{CryptoRng, RngCore};
use sha2::Digest as _;

use super::archive::{self, ArchiveError, ArchivePayload};
use super::identity::hex;
use crate::crypto::{CryptoError, StretchCost};

/// How long a link record stays in the DHT.
pub const LINK_TTL: Duration = Duration::from_secs(10 * 60);

/// The PIN's symbols: 32, so each carries 5 bits.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Symbols in a PIN (50 bits).
const PIN_SYMBOLS: usize = 10;

/// Salt of the stretch that makes the record key (the archive has its own random salt).
const KEY_SALT: &[u8] = b"ringlet link record key";

/// Prefix of link record keys in the DHT.
const KEY_PREFIX: &[u8] = b"/ringlet/link/";

/// Why a PIN or a link record was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// The PIN has the wrong number of symbols.
    #[error("a linking PIN has {PIN_SYMBOLS} letters and digits (found {0})")]
    Length(usize),
    /// A symbol outside the alphabet.
    #[error("'{0}' cannot be in a linking PIN (it uses 2-9 and A-Z without I and O)")]
    Symbol(char),
    /// The record does not open with this PIN.
    #[error("the record found for this PIN does not open: {0}")]
    Record(String),
    /// Key stretching failed.
    #[error("{0}")]
    Crypto(#[from] CryptoError),
}

/// A fresh PIN, as shown to the user: `XXXXX-XXXXX`.
pub fn new_pin(rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut pin = String::with_capacity(PIN_SYMBOLS + 1);
    for n in 0..PIN_SYMBOLS {
        if n == PIN_SYMBOLS / 2 {
            pin.push('-');
        }
        // 32 divides 2^32: no bias.
        pin.push(char::from(ALPHABET[(rng.next_u32() % 32) as usize]));
    }
    pin
}

/// The PIN as typed (any case, with or without dashes and spaces) in its canonical form.
pub fn parse_pin(text: &str) -> Result<String, LinkError> {
    let mut pin = String::with_capacity(PIN_SYMBOLS);
    for ch in text.chars().filter(|ch| !matches!(ch, '-' | ' ')) {
        let upper = ch.to_ascii_uppercase();
        if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
            return Err(LinkError::Symbol(ch));
        }
        pin.push(upper);
    }
    if pin.len() != PIN_SYMBOLS {
        return Err(LinkError::Length(pin.len()));
    }
    Ok(pin)
}

/// The DHT key of the link record for a canonical PIN (one stretch: slow on purpose).
pub fn record_key(pin: &str) -> Result<Vec<u8>, LinkError> {
    let stretched = crate::crypto::stretch(pin.as_bytes(), KEY_SALT, StretchCost::INTERACTIVE)?;
    let digest = sha2::Sha256::digest(stretched.as_slice());
    let mut key = KEY_PREFIX.to_vec();
    key.extend_from_slice(hex(&digest).as_bytes());
    Ok(key)
}

/// The record's value: the account archive sealed under the PIN.
pub fn seal(
    pin: &str,
    payload: &ArchivePayload,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, LinkError> {
    Ok(archive::seal(pin, payload, StretchCost::INTERACTIVE, rng)?)
}

/// Opens a record found under the PIN's key.
pub fn open(pin: &str, value: &[u8]) -> Result<ArchivePayload, LinkError> {
    archive::decode(Path::new("link record"), value, pin).map_err(|err| match err {
        ArchiveError::WrongPassphrase { .. } => {
            LinkError::Record("it was sealed under another PIN".into())
        }
        other => LinkError::Record(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> ArchivePayload {
        ArchivePayload {
            account_secret: "11".repeat(32),
            name: "alice".into(),
            devices: Vec::new(),
        }
    }

    #[test]
    fn pins_are_ten_symbols_of_the_alphabet_and_read_back_in_any_case() {
        let mut rng = rand::rngs::OsRng;
        let pin = new_pin(&mut rng);
        assert_eq!(pin.len(), 11);
        assert_eq!(pin.as_bytes()[5], b'-');
        let canonical = parse_pin(&pin).unwrap();
        assert_eq!(canonical, pin.replace('-', ""));
        assert_eq!(
            parse_pin(&format!(" {} ", pin.to_lowercase())).unwrap(),
            canonical
        );
        assert_ne!(new_pin(&mut rng), pin);
    }

    #[test]
    fn malformed_pins_are_refused_with_the_reason() {
        assert_eq!(parse_pin("ABCD"), Err(LinkError::Length(4)));
        assert_eq!(parse_pin("ABCDE-FGHJ0"), Err(LinkError::Symbol('0')));
        assert_eq!(parse_pin("ABCDE-FGHJI"), Err(LinkError::Symbol('I')));
        assert_eq!(parse_pin("ABCDE-FGHJ明"), Err(LinkError::Symbol('明')));
        assert_eq!(parse_pin(""), Err(LinkError::Length(0)));
    }

    #[test]
    fn a_record_opens_with_its_pin_only_and_keys_differ_per_pin() {
        let mut rng = rand::rngs::OsRng;
        let pin = parse_pin("ABCDE-FGHJK").unwrap();
        let other = parse_pin("ABCDE-FGHJL").unwrap();
        let key = record_key(&pin).unwrap();
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(key, record_key(&pin).unwrap());
        assert_ne!(key, record_key(&other).unwrap());
        let value = seal(&pin, &payload(), &mut rng).unwrap();
        assert_eq!(open(&pin, &value).unwrap(), payload());
        assert!(matches!(open(&other, &value), Err(LinkError::Record(_))));
        assert!(matches!(
            open(&pin, &value[..value.len() / 2]),
            Err(LinkError::Record(_))
        ));
        assert!(matches!(open(&pin, b"junk"), Err(LinkError::Record(_))));
    }
}
