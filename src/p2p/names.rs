//! Human-readable names: optional, signed, first come first served, and **not
//! authoritative**.
//!
//! A name record under `ringlet-name-v1/NAME` says "NAME is the account with this public
//! key", signed by that account's key. Nodes that store it keep the first valid record for a
//! name and refuse another account's; a reader takes the earliest valid registration it
//! finds. Nothing stops someone from registering a name first on a part of the network that
//! has not seen the other registration, so a name is a convenience for finding someone, not
//! proof of who they are: the account id is.

use serde::{Deserialize, Serialize};

use super::cbor_bytes;
use super::identity::{self, AccountKey, account_id_of};
use crate::model::AccountId;

/// Prefix of name record keys.
const KEY_PREFIX: &[u8] = b"ringlet-name-v1/";
/// Domain separation for name signatures.
const SIGNATURE_DOMAIN: &[u8] = b"ringlet-name-record-v1\0";
/// Shortest and longest names.
const NAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// Why a name or a name record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Not 3 to 32 of a–z, 0–9, `.`, `_`, `-`.
    #[error("a name has 3 to 32 characters among a-z, 0-9, '.', '_' and '-'")]
    Invalid,
    /// The record does not decode, or does not match its key.
    #[error("malformed name record")]
    Malformed,
    /// The signature does not verify.
    #[error("name record signature does not verify")]
    BadSignature,
}

#[derive(Serialize, Deserialize)]
struct NameRecord {
    name: String,
    account_public: String,
    registered_ms: u64,
    #[serde(with = "cbor_bytes")]
    signature: Vec<u8>,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The name.
    pub name: String,
    /// Its account.
    pub account: AccountId,
    /// When it was registered (the registrant's clock).
    pub registered_ms: u64,
}

/// The name in canonical form (lower case), if it is a valid name.
pub fn normalize(name: &str) -> Result<String, NameError> {
    let name = name.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if NAME_CHARS.contains(&name.chars().count()) && name.chars().all(allowed) {
        Ok(name)
    } else {
        Err(NameError::Invalid)
    }
}

/// The DHT key of a (normalized) name.
pub fn name_key(name: &str) -> Vec<u8> {
    let mut key = KEY_PREFIX.to_vec();
    key.extend_from_slice(name.as_bytes());
    key
}

/// Whether a DHT key is a name key, and for which name.
pub fn name_of_key(key: &[u8]) -> Option<&str> {
    std::str::from_utf8(key.strip_prefix(KEY_PREFIX)?).ok()
}

/// Signs a registration of `name` for the account.
pub fn register(key: &AccountKey, name: &str, registered_ms: u64) -> Result<Vec<u8>, NameError> {
    let name = normalize(name)?;
    let account_public = identity::hex(&key.public());
    let signature = key
        .sign(&signed_message(&name, &account_public, registered_ms))
        .to_vec();
    cbor4ii::serde::to_vec(
        Vec::new(),
        &NameRecord {
            name,
            account_public,
            registered_ms,
            signature,
        },
    )
    .map_err(|_| NameError::Malformed)
}

/// Checks a record found under the key of `name`.
pub fn open(name: &str, value: &[u8]) -> Result<Registration, NameError> {
    if value.len() > 4096 {
        return Err(NameError::Malformed);
    }
    let record: NameRecord = cbor4ii::serde::from_slice(value).map_err(|_| NameError::Malformed)?;
    if record.name != name {
        return Err(NameError::Malformed);
    }
    let public =
        identity::public_key_from_hex(&record.account_public).ok_or(NameError::Malformed)?;
    let message = signed_message(&record.name, &record.account_public, record.registered_ms);
    if !identity::verify_account_signature(&public, &message, &record.signature) {
        return Err(NameError::BadSignature);
    }
    Ok(Registration {
        name: record.name,
        account: account_id_of(&public),
        registered_ms: record.registered_ms,
    })
}

/// Whether a node should store `value` for `name` in place of `existing`: it must verify,
/// and a name already held by another account stays with it.
pub fn should_store(name: &str, value: &[u8], existing: Option<&[u8]>) -> bool {
    let Ok(new) = open(name, value) else {
        return false;
    };
    existing
        .and_then(|old| open(name, old).ok())
        .is_none_or(|old| old.account == new.account)
}

/// The registration a reader believes among those found: the account most of the storing
/// nodes hold (they keep the first they saw), then the earliest claimed time.
pub fn resolve(name: &str, values: &[Vec<u8>]) -> Option<Registration> {
    let found: Vec<Registration> = values
        .iter()
        .filter_map(|value| open(name, value).ok())
        .collect();
    let held_by = |account: &AccountId| found.iter().filter(|r| &r.account == account).count();
    found
        .iter()
        .max_by(|a, b| {
            held_by(&a.account)
                .cmp(&held_by(&b.account))
                .then(b.registered_ms.cmp(&a.registered_ms))
        })
        .cloned()
}

fn signed_message(name: &str, account_public: &str, registered_ms: u64) -> Vec<u8> {
    let mut message = SIGNATURE_DOMAIN.to_vec();
    message.extend_from_slice(name.as_bytes());
    message.push(0);
    message.extend_from_slice(account_public.as_bytes());
    message.extend_from_slice(&registered_ms.to_be_bytes());
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::tests::TestDevice;

    #[test]
    fn names_are_checked_and_normalized() {
        assert_eq!(normalize(" Alice.B ").unwrap(), "alice.b");
        for bad in ["ab", "with space", "émile", &"x".repeat(33), "semi;colon"] {
            assert_eq!(normalize(bad), Err(NameError::Invalid), "{bad}");
        }
        assert_eq!(name_of_key(&name_key("alice")), Some("alice"));
        assert_eq!(name_of_key(b"other/alice"), None);
    }

    #[test]
    fn the_first_registration_keeps_the_name() {
        let (alice, carol) = (TestDevice::new(1), TestDevice::new(2));
        let first = register(&alice.account, "Alice", 10).unwrap();
        let registration = open("alice", &first).unwrap();
        assert_eq!(registration.account, alice.id());
        let squatter = register(&carol.account, "alice", 5).unwrap();
        assert!(should_store("alice", &first, None));
        assert!(
            !should_store("alice", &squatter, Some(&first)),
            "first come"
        );
        let refresh = register(&alice.account, "alice", 20).unwrap();
        assert!(should_store("alice", &refresh, Some(&first)));
        // A reader believes what most storing nodes hold, then the earliest claim.
        assert_eq!(
            resolve("alice", &[first.clone(), first.clone(), squatter.clone()])
                .unwrap()
                .account,
            alice.id()
        );
        assert_eq!(
            resolve("alice", &[first.clone(), squatter.clone()])
                .unwrap()
                .account,
            carol.id()
        );
        assert!(
            !should_store("bob", &first, None),
            "a record under another name"
        );
        assert!(open("alice", b"junk").is_err());
    }
}
