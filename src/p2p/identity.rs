//! P2P identity: an Ed25519 account key whose hash is the account id, and per-device libp2p
//! keys certified by the account key.
//!
//! Randomness and time come in as arguments, so everything here is deterministic in tests.

use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use libp2p::PeerId;
use rand::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::model::AccountId;

/// Domain separation for account ids, so the hash can never collide with another use of it.
const ACCOUNT_ID_DOMAIN: &[u8] = b"ringlet-account-id-v1\0";
/// Domain separation for device certificate signatures.
const CERTIFICATE_DOMAIN: &[u8] = b"ringlet-device-certificate-v1\0";
/// Bytes of the account-key hash kept in the account id (160 bits, as Jami's ids).
const ACCOUNT_ID_BYTES: usize = 20;

/// Why a key or certificate is unusable.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// Key material has the wrong length or encoding.
    #[error("malformed {what}")]
    Malformed {
        /// Which key or field.
        what: &'static str,
    },
    /// The certificate's signature does not verify.
    #[error("device certificate signature does not verify")]
    BadSignature,
    /// The certificate was issued by a different account.
    #[error("device certificate belongs to account {found}, expected {expected}")]
    WrongAccount {
        /// The account the caller expected.
        expected: AccountId,
        /// The account that signed.
        found: AccountId,
    },
}

/// The account's signing key. Its public half, hashed, is the account id.
pub struct AccountKey {
    signing: SigningKey,
}

impl AccountKey {
    /// A fresh random account key.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> AccountKey {
        AccountKey {
            signing: SigningKey::generate(rng),
        }
    }

    /// The key from its 32 secret bytes.
    pub fn from_secret(secret: &[u8]) -> Result<AccountKey, IdentityError> {
        let bytes: [u8; 32] = secret.try_into().map_err(|_| IdentityError::Malformed {
            what: "account secret key",
        })?;
        Ok(AccountKey {
            signing: SigningKey::from_bytes(&bytes),
        })
    }

    /// The 32 secret bytes, wiped when dropped.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The account id: a hash of the public key.
    pub fn account_id(&self) -> AccountId {
        account_id_of(&self.public())
    }

    /// The X25519 secret matching the public key's Montgomery form (letters sealed to the
    /// account open with it).
    pub fn x25519_secret(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_scalar_bytes())
    }

    /// Signs `message` (already domain-separated by the caller).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// Certifies a device: the account key signs (device peer id, device name, time).
    pub fn certify(
        &self,
        device: &PeerId,
        device_name: &str,
        issued_at: SystemTime,
    ) -> DeviceCertificate {
        let issued_at = unix_seconds(issued_at);
        let account_public = self.public();
        let message = certificate_message(&account_public, device, device_name, issued_at);
        let signature = self.signing.sign(&message);
        DeviceCertificate {
            account_public: hex(&account_public),
            device_id: device.to_base58(),
            device_name: device_name.to_owned(),
            issued_at,
            signature: hex(&signature.to_bytes()),
        }
    }
}

/// Checks an account key's signature over `message`.
pub fn verify_account_signature(public: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    VerifyingKey::from_bytes(public).is_ok_and(|key| {
        key.verify(message, &Signature::from_bytes(&signature))
            .is_ok()
    })
}

/// The account id of a public key.
pub fn account_id_of(public: &[u8; 32]) -> AccountId {
    let digest = Sha256::new()
        .chain_update(ACCOUNT_ID_DOMAIN)
        .chain_update(public)
        .finalize();
    AccountId(hex(digest.get(..ACCOUNT_ID_BYTES).unwrap_or(&digest)))
}

/// A device's libp2p key pair; its peer id is the device id.
pub struct DeviceKey {
    keypair: libp2p::identity::Keypair,
}

impl DeviceKey {
    /// A fresh random device key.
    pub fn generate() -> DeviceKey {
        DeviceKey {
            keypair: libp2p::identity::Keypair::generate_ed25519(),
        }
    }

    /// The key from its protobuf encoding (as stored).
    pub fn from_encoded(bytes: &[u8]) -> Result<DeviceKey, IdentityError> {
        libp2p::identity::Keypair::from_protobuf_encoding(bytes)
            .map(|keypair| DeviceKey { keypair })
            .map_err(|_| IdentityError::Malformed { what: "device key" })
    }

    /// The protobuf encoding, wiped when dropped.
    pub fn encoded(&self) -> Zeroizing<Vec<u8>> {
        // Encoding an Ed25519 key pair cannot fail; an empty vector would fail to load and
        // be reported then.
        Zeroizing::new(self.keypair.to_protobuf_encoding().unwrap_or_default())
    }

    /// The device id.
    pub fn peer_id(&self) -> PeerId {
        self.keypair.public().to_peer_id()
    }

    /// The libp2p key pair, for the swarm.
    pub fn keypair(&self) -> &libp2p::identity::Keypair {
        &self.keypair
    }
}

pub use crate::crypto::{hex, unhex};
pub use crate::model::DeviceCertificate;

impl DeviceCertificate {
    /// Checks the signature; on success returns the account the device belongs to.
    pub fn verify(&self) -> Result<AccountId, IdentityError> {
        let public = public_key_from_hex(&self.account_public).ok_or(IdentityError::Malformed {
            what: "certificate account key",
        })?;
        let signature: [u8; 64] = unhex(&self.signature)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(IdentityError::Malformed {
                what: "certificate signature",
            })?;
        let device: PeerId = self
            .device_id
            .parse()
            .map_err(|_| IdentityError::Malformed {
                what: "certificate device id",
            })?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| IdentityError::Malformed {
            what: "certificate account key",
        })?;
        let message = certificate_message(&public, &device, &self.device_name, self.issued_at);
        key.verify(&message, &Signature::from_bytes(&signature))
            .map_err(|_| IdentityError::BadSignature)?;
        Ok(account_id_of(&public))
    }

    /// Checks the signature and that the device belongs to `account`.
    pub fn verify_for(&self, account: &AccountId) -> Result<(), IdentityError> {
        let found = self.verify()?;
        if &found == account {
            Ok(())
        } else {
            Err(IdentityError::WrongAccount {
                expected: account.clone(),
                found,
            })
        }
    }
}

/// The signed bytes: domain, account key, then length-prefixed fields, so no two different
/// certificates can sign the same bytes.
fn certificate_message(
    account_public: &[u8; 32],
    device: &PeerId,
    device_name: &str,
    issued_at: u64,
) -> Vec<u8> {
    let device = device.to_bytes();
    let mut message = Vec::with_capacity(
        CERTIFICATE_DOMAIN.len() + 32 + 8 + device.len() + device_name.len() + 8,
    );
    message.extend_from_slice(CERTIFICATE_DOMAIN);
    message.extend_from_slice(account_public);
    for field in [device.as_slice(), device_name.as_bytes()] {
        message.extend_from_slice(&(field.len() as u32).to_be_bytes());
        message.extend_from_slice(field);
    }
    message.extend_from_slice(&issued_at.to_be_bytes());
    message
}

/// Seconds since the Unix epoch; times before it count as zero.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// An account public key written in hex (certificates, device lists, name records).
pub fn public_key_from_hex(text: &str) -> Option<[u8; 32]> {
    unhex(text).and_then(|bytes| bytes.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    fn key(seed: u64) -> AccountKey {
        AccountKey::generate(&mut rand::rngs::StdRng::seed_from_u64(seed))
    }

    #[test]
    fn account_id_is_a_stable_hash_of_the_public_key() {
        let account = key(1);
        let again = AccountKey::from_secret(account.secret_bytes().as_slice()).unwrap();
        assert_eq!(account.account_id(), again.account_id());
        assert_eq!(account.account_id().0.len(), 40);
        assert_ne!(account.account_id(), key(2).account_id());
    }

    #[test]
    fn certificate_verifies_and_names_its_account() {
        let account = key(3);
        let device = DeviceKey::generate();
        let cert = account.certify(
            &device.peer_id(),
            "laptop",
            UNIX_EPOCH + std::time::Duration::from_secs(1000),
        );
        assert_eq!(cert.verify().unwrap(), account.account_id());
        cert.verify_for(&account.account_id()).unwrap();
        assert!(matches!(
            cert.verify_for(&key(4).account_id()),
            Err(IdentityError::WrongAccount { .. })
        ));
    }

    #[test]
    fn tampered_certificates_are_rejected() {
        let account = key(5);
        let device = DeviceKey::generate();
        let cert = account.certify(&device.peer_id(), "phone", SystemTime::now());
        let mut renamed = cert.clone();
        renamed.device_name = "evil".into();
        assert_eq!(renamed.verify(), Err(IdentityError::BadSignature));
        let mut moved = cert.clone();
        moved.device_id = DeviceKey::generate().peer_id().to_base58();
        assert_eq!(moved.verify(), Err(IdentityError::BadSignature));
        let mut garbled = cert;
        garbled.signature = "zz".into();
        assert!(matches!(
            garbled.verify(),
            Err(IdentityError::Malformed { .. })
        ));
    }

    #[test]
    fn device_key_round_trips_through_its_encoding() {
        let device = DeviceKey::generate();
        let again = DeviceKey::from_encoded(&device.encoded()).unwrap();
        assert_eq!(device.peer_id(), again.peer_id());
        assert!(DeviceKey::from_encoded(b"garbage").is_err());
    }
}
