//! Secret sealing shared by the secret store and the account archive: a key stretched with
//! Argon2id, then XChaCha20-Poly1305 with a random 192-bit nonce and associated data that
//! binds each ciphertext to its place.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Length of the XChaCha20 nonce prefixed to each sealed value.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// Argon2id cost parameters (memory in KiB, passes, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StretchCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub passes: u32,
    /// Degree of parallelism.
    pub lanes: u32,
}

impl StretchCost {
    /// OWASP's recommended minimum for Argon2id (19 MiB, 2 passes, 1 lane).
    pub const INTERACTIVE: StretchCost = StretchCost {
        memory_kib: 19 * 1024,
        passes: 2,
        lanes: 1,
    };
    /// Upper bounds accepted from files, so a crafted archive cannot demand gigabytes.
    pub const MAX: StretchCost = StretchCost {
        memory_kib: 256 * 1024,
        passes: 16,
        lanes: 16,
    };

    /// True when every parameter is within [`StretchCost::MAX`].
    pub fn is_bounded(&self) -> bool {
        self.memory_kib <= Self::MAX.memory_kib
            && self.passes <= Self::MAX.passes
            && self.lanes <= Self::MAX.lanes
    }
}

/// Sealing failed (wrong key, damaged data) or the parameters were unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The Argon2 parameters were rejected.
    #[error("invalid key-stretching parameters")]
    BadParameters,
    /// Authentication failed: wrong key or altered data.
    #[error("wrong key or damaged data")]
    Unauthentic,
    /// The sealed value is shorter than a nonce and a tag.
    #[error("sealed value is truncated")]
    Truncated,
}

/// Stretches `secret` with Argon2id and `salt` (at least 8 bytes) into 32 bytes.
pub fn stretch(
    secret: &[u8],
    salt: &[u8],
    cost: StretchCost,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let params = Params::new(cost.memory_kib, cost.passes, cost.lanes, Some(32))
        .map_err(|_| CryptoError::BadParameters)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, key.as_mut_slice())
        .map_err(|_| CryptoError::BadParameters)?;
    Ok(key)
}

/// An XChaCha20-Poly1305 key, wiped on drop by the cipher's own zeroizing.
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
}

impl SealingKey {
    /// Stretches `secret` with Argon2id and `salt` into a sealing key.
    pub fn derive(
        secret: &[u8],
        salt: &[u8],
        cost: StretchCost,
    ) -> Result<SealingKey, CryptoError> {
        let key = stretch(secret, salt, cost)?;
        Ok(SealingKey {
            cipher: XChaCha20Poly1305::new(key.as_slice().into()),
        })
    }

    /// Encrypts `plaintext` bound to `aad`; the result is `nonce || ciphertext || tag`.
    pub fn seal(
        &self,
        rng: &mut (impl RngCore + CryptoRng),
        aad: &[u8],
        plaintext: &[u8],
    ) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed = nonce.to_vec();
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        // XChaCha20-Poly1305 encryption fails only for messages over 256 GiB, which never
        // reach this function (secrets and archives are small).
        if let Ok(ciphertext) = self.cipher.encrypt(XNonce::from_slice(&nonce), payload) {
            sealed.extend_from_slice(&ciphertext);
        }
        sealed
    }

    /// Decrypts a value made by [`SealingKey::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Truncated);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Unauthentic)
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Decodes lower-case hex; `None` on anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER.decode(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    const CHEAP: StretchCost = StretchCost {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };

    #[test]
    fn seal_open_round_trip_is_bound_to_key_and_aad() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let key = SealingKey::derive(b"secret", b"saltsaltsaltsalt", CHEAP).unwrap();
        let sealed = key.seal(&mut rng, b"row-1", b"password");
        assert_eq!(key.open(b"row-1", &sealed).unwrap().as_slice(), b"password");
        assert_eq!(
            key.open(b"row-2", &sealed).unwrap_err(),
            CryptoError::Unauthentic
        );
        let other = SealingKey::derive(b"other", b"saltsaltsaltsalt", CHEAP).unwrap();
        assert_eq!(
            other.open(b"row-1", &sealed).unwrap_err(),
            CryptoError::Unauthentic
        );
        assert_eq!(
            key.open(b"row-1", &sealed[..10]).unwrap_err(),
            CryptoError::Truncated
        );
    }
}
