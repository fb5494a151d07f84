//! Signed DHT records: an account's device list.
//!
//! The record sits under a key derived from the account id. Its value names the account's
//! public key, its certified devices with the addresses they listen on, the revoked device
//! ids and a time, all signed by the account key. A reader checks that the key hashes to the
//! account id it looked up, the signature, and every certificate; it keeps the newest valid
//! record it sees and ignores forged or stale ones.

use serde::{Deserialize, Serialize};

use super::identity::{self, AccountKey, DeviceCertificate, account_id_of};
use crate::model::AccountId;

/// Domain separation for record keys.
const KEY_DOMAIN: &[u8] = b"ringlet-devices-v1/";
/// Domain separation for record signatures.
const SIGNATURE_DOMAIN: &[u8] = b"ringlet-device-record-v1\0";
/// Most devices one record lists.
pub const MAX_DEVICES: usize = 64;
/// Largest record value accepted.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// One device in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// Its certificate.
    pub certificate: DeviceCertificate,
    /// Multiaddrs it listens on.
    pub addresses: Vec<String>,
}

/// The signed part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    /// The account's public key, hex.
    pub account_public: String,
    /// Current devices.
    pub devices: Vec<DeviceEntry>,
    /// Revoked device ids.
    pub revoked: Vec<String>,
    /// Unix milliseconds of publication (newer wins).
    pub published_ms: u64,
    /// The account's display name, as its owner shows itself to others (its profile;
    /// empty in lists from before profiles).
    #[serde(default)]
    pub name: String,
    /// Hex SHA-256 of the account's profile picture (`p2p::picture`), empty for none; a
    /// contact asks a device of the account for the picture itself (`wire::Request::Picture`).
    #[serde(default)]
    pub picture: String,
    /// When the picture was set or removed (Unix ms; 0 never): the account's devices take
    /// the newest from each other.
    #[serde(default)]
    pub picture_ms: u64,
}

/// The record as stored in the DHT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SignedDeviceList {
    list: Vec<u8>,
    signature: Vec<u8>,
}

/// Why a record was ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not decodable or too large.
    #[error("malformed device record: {0}")]
    Malformed(String),
    /// The key is not the looked-up account's.
    #[error("device record of another account")]
    WrongAccount,
    /// The signature does not verify.
    #[error("device record signature does not verify")]
    BadSignature,
    /// A listed certificate is invalid or of another account.
    #[error("device record lists an invalid certificate")]
    BadCertificate,
}

/// The DHT key of an account's device list: a prefix and the account id in clear, so a
/// node asked to store it can check the signature before it does.
pub fn device_list_key(account: &AccountId) -> Vec<u8> {
    let mut key = KEY_DOMAIN.to_vec();
    key.extend_from_slice(account.0.as_bytes());
    key
}

/// The account whose device list a DHT key names, if it is such a key.
pub fn device_list_account(key: &[u8]) -> Option<AccountId> {
    let id = key.strip_prefix(KEY_DOMAIN)?;
    let id = std::str::from_utf8(id).ok()?;
    (id.len() == 40
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| AccountId(id.to_owned()))
}

/// Whether a node should store `value` under a device-list key in place of `existing`:
/// it must verify, and not be older than what is held.
pub fn should_store_device_list(
    account: &AccountId,
    value: &[u8],
    existing: Option<&[u8]>,
) -> bool {
    let Ok(new) = open_device_list(account, value) else {
        return false;
    };
    // Newer wins, but never one that takes a revocation back: a revoked device cannot
    // publish its old view over its account's.
    existing
        .and_then(|old| open_device_list(account, old).ok())
        .is_none_or(|old| {
            new.published_ms >= old.published_ms
                && old
                    .revoked
                    .iter()
                    .all(|device| new.revoked.contains(device))
        })
}

/// Signs and encodes a device list.
pub fn sign_device_list(key: &AccountKey, list: &DeviceList) -> Vec<u8> {
    // Encoding plain structs into a vector cannot fail.
    let bytes = cbor4ii::serde::to_vec(Vec::new(), list).unwrap_or_default();
    let signature = key.sign(&signed_message(&bytes)).to_vec();
    cbor4ii::serde::to_vec(
        Vec::new(),
        &SignedDeviceList {
            list: bytes,
            signature,
        },
    )
    .unwrap_or_default()
}

/// Decodes and checks a device list found under `account`'s key.
pub fn open_device_list(account: &AccountId, value: &[u8]) -> Result<DeviceList, RecordError> {
    if value.len() > MAX_RECORD_BYTES {
        return Err(RecordError::Malformed(format!("{} bytes", value.len())));
    }
    let signed: SignedDeviceList =
        cbor4ii::serde::from_slice(value).map_err(|err| RecordError::Malformed(err.to_string()))?;
    let list: DeviceList = cbor4ii::serde::from_slice(&signed.list)
        .map_err(|err| RecordError::Malformed(err.to_string()))?;
    let public = identity::public_key_from_hex(&list.account_public)
        .ok_or_else(|| RecordError::Malformed("account key".into()))?;
    if &account_id_of(&public) != account {
        return Err(RecordError::WrongAccount);
    }
    if !identity::verify_account_signature(
        &public,
        &signed_message(&signed.list),
        &signed.signature,
    ) {
        return Err(RecordError::BadSignature);
    }
    if list.devices.len() > MAX_DEVICES {
        return Err(RecordError::Malformed(format!(
            "{} devices",
            list.devices.len()
        )));
    }
    if list
        .devices
        .iter()
        .any(|entry| entry.certificate.verify_for(account).is_err())
    {
        return Err(RecordError::BadCertificate);
    }
    Ok(list)
}

fn signed_message(list: &[u8]) -> Vec<u8> {
    let mut message = SIGNATURE_DOMAIN.to_vec();
    message.extend_from_slice(list);
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::tests::TestDevice;

    fn list(device: &TestDevice, published_ms: u64) -> DeviceList {
        DeviceList {
            account_public: identity::hex(&device.account.public()),
            devices: vec![DeviceEntry {
                certificate: device.certificate.clone(),
                addresses: vec!["/ip4/127.0.0.1/tcp/1".into()],
            }],
            revoked: vec![],
            published_ms,
            name: "Alice".into(),
            picture: String::new(),
            picture_ms: 0,
        }
    }

    #[test]
    fn a_signed_list_opens_for_its_account_only() {
        let alice = TestDevice::new(1);
        let bob = TestDevice::new(2);
        let value = sign_device_list(&alice.account, &list(&alice, 5));
        assert_eq!(
            open_device_list(&alice.id(), &value).unwrap(),
            list(&alice, 5)
        );
        assert_eq!(
            open_device_list(&bob.id(), &value),
            Err(RecordError::WrongAccount)
        );
        assert_ne!(device_list_key(&alice.id()), device_list_key(&bob.id()));
        assert_eq!(
            device_list_account(&device_list_key(&alice.id())),
            Some(alice.id())
        );
        assert_eq!(device_list_account(b"ringlet-devices-v1/zz"), None);
        // A node keeps the newest valid list.
        let older = sign_device_list(&alice.account, &list(&alice, 4));
        assert!(should_store_device_list(&alice.id(), &value, Some(&older)));
        assert!(!should_store_device_list(&alice.id(), &older, Some(&value)));
        assert!(!should_store_device_list(&bob.id(), &value, None));
        // A newer list that forgets a revocation is refused.
        let mut revoking = list(&alice, 6);
        revoking.revoked.push("12D3KooWlost".into());
        let revoking = sign_device_list(&alice.account, &revoking);
        let forgetful = sign_device_list(&alice.account, &list(&alice, 7));
        assert!(should_store_device_list(
            &alice.id(),
            &revoking,
            Some(&value)
        ));
        assert!(!should_store_device_list(
            &alice.id(),
            &forgetful,
            Some(&revoking)
        ));
    }

    #[test]
    fn forged_lists_are_refused() {
        let alice = TestDevice::new(3);
        let mallory = TestDevice::new(4);
        // Mallory signs a list claiming alice's key.
        let forged = sign_device_list(&mallory.account, &list(&alice, 9));
        assert_eq!(
            open_device_list(&alice.id(), &forged),
            Err(RecordError::BadSignature)
        );
        // Alice's key listing mallory's device certificate.
        let mut smuggled = list(&alice, 9);
        smuggled.devices.push(DeviceEntry {
            certificate: mallory.certificate.clone(),
            addresses: vec![],
        });
        let value = sign_device_list(&alice.account, &smuggled);
        assert_eq!(
            open_device_list(&alice.id(), &value),
            Err(RecordError::BadCertificate)
        );
        assert!(open_device_list(&alice.id(), b"\xff\x00junk").is_err());
    }
}
