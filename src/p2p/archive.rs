//! The encrypted account archive: an account's key and known devices, sealed with a
//! passphrase, to add the account to another device.
//!
//! Layout (all integers big-endian):
//! `magic "RNGLARC1" | memory_kib u32 | passes u32 | lanes u32 | salt [16] | length u32 |
//! sealed (nonce, ciphertext, tag) [length]`. The header is the associated data, so any
//! change to it fails authentication; the length field tells truncation from a wrong passphrase.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::identity::DeviceCertificate;
use crate::crypto::{CryptoError, SealingKey, StretchCost};

const MAGIC: &[u8; 8] = b"RNGLARC1";
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 3 * 4 + SALT_LEN + 4;
/// Archives are small (a key and some certificates); anything larger is not ours.
const MAX_SEALED_LEN: usize = 4 * 1024 * 1024;

/// What an archive carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivePayload {
    /// The account's 32 secret key bytes, hex.
    pub account_secret: String,
    /// The account's display name.
    pub name: String,
    /// Certificates of the account's devices known to the exporting device.
    pub devices: Vec<DeviceCertificate>,
}

/// Why an archive could not be written or read. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading or writing the file failed.
    #[error("cannot access archive {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file does not start like a Ringlet archive.
    #[error("{path} is not a Ringlet account archive")]
    NotAnArchive {
        /// The file.
        path: PathBuf,
    },
    /// The file ends before its declared length.
    #[error("archive {path} is truncated ({found} of {expected} bytes)")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes present.
        found: usize,
        /// Bytes the header announces.
        expected: usize,
    },
    /// The header asks for parameters outside the accepted bounds.
    #[error("archive {path} uses unsupported parameters")]
    Unsupported {
        /// The file.
        path: PathBuf,
    },
    /// Authentication failed.
    #[error("wrong passphrase for archive {path} (or the archive was altered)")]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The decrypted content is not a valid payload.
    #[error("archive {path} decrypted but its content is invalid: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
}

/// Seals `payload` under `passphrase` into `path` (written atomically).
pub fn export(
    path: &Path,
    passphrase: &str,
    payload: &ArchivePayload,
    cost: StretchCost,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(), ArchiveError> {
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = seal(passphrase, payload, cost, rng).map_err(|_| ArchiveError::Unsupported {
        path: path.to_path_buf(),
    })?;
    let tmp = path.with_extension("partial");
    let mut file = fs::File::create(&tmp).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

/// The archive's bytes: `payload` sealed under `passphrase`.
pub fn seal(
    passphrase: &str,
    payload: &ArchivePayload,
    cost: StretchCost,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, CryptoError> {
    // Serializing plain strings into JSON cannot fail.
    let plaintext = Zeroizing::new(serde_json::to_vec(payload).unwrap_or_default());
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let key = SealingKey::derive(passphrase.as_bytes(), &salt, cost)?;
    // The sealed length is known before sealing: nonce + plaintext + tag.
    let sealed_len = crate::crypto::NONCE_LEN + plaintext.len() + crate::crypto::TAG_LEN;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    for value in [cost.memory_kib, cost.passes, cost.lanes] {
        header.extend_from_slice(&value.to_be_bytes());
    }
    header.extend_from_slice(&salt);
    header.extend_from_slice(&(sealed_len as u32).to_be_bytes());
    let sealed = key.seal(rng, &header, &plaintext);
    header.extend_from_slice(&sealed);
    Ok(header)
}

/// Opens the archive at `path` with `passphrase`.
pub fn import(path: &Path, passphrase: &str) -> Result<ArchivePayload, ArchiveError> {
    let bytes = fs::read(path).map_err(|source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(path, &bytes, passphrase)
}

/// Decodes archive bytes; `path` only names the source in errors.
pub fn decode(path: &Path, bytes: &[u8], passphrase: &str) -> Result<ArchivePayload, ArchiveError> {
    let path_buf = || path.to_path_buf();
    if bytes.len() < MAGIC.len() || bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(ArchiveError::NotAnArchive { path: path_buf() });
    }
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(ArchiveError::Truncated {
            path: path_buf(),
            found: bytes.len(),
            expected: HEADER_LEN,
        });
    };
    let field = |at: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&header[at..at + 4]);
        u32::from_be_bytes(word)
    };
    let cost = StretchCost {
        memory_kib: field(8),
        passes: field(12),
        lanes: field(16),
    };
    let salt = &header[20..20 + SALT_LEN];
    let sealed_len = field(20 + SALT_LEN) as usize;
    if !cost.is_bounded() || sealed_len > MAX_SEALED_LEN {
        return Err(ArchiveError::Unsupported { path: path_buf() });
    }
    let sealed = &bytes[HEADER_LEN..];
    if sealed.len() < sealed_len {
        return Err(ArchiveError::Truncated {
            path: path_buf(),
            found: bytes.len(),
            expected: HEADER_LEN + sealed_len,
        });
    }
    let key = SealingKey::derive(passphrase.as_bytes(), salt, cost)
        .map_err(|_| ArchiveError::Unsupported { path: path_buf() })?;
    let plaintext = key
        .open(header, &sealed[..sealed_len])
        .map_err(|err| match err {
            CryptoError::Truncated => ArchiveError::Truncated {
                path: path_buf(),
                found: bytes.len(),
                expected: HEADER_LEN + sealed_len,
            },
            CryptoError::Unauthentic | CryptoError::BadParameters => {
                ArchiveError::WrongPassphrase { path: path_buf() }
            }
        })?;
    serde_json::from_slice(&plaintext).map_err(|err| ArchiveError::Corrupt {
        path: path_buf(),
        detail: err.to_string(),
    })
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

    fn payload() -> ArchivePayload {
        ArchivePayload {
            account_secret: "00".repeat(32),
            name: "Alice".into(),
            devices: Vec::new(),
        }
    }

    fn exported(dir: &Path) -> PathBuf {
        let path = dir.join("alice.ringlet");
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        export(&path, "correct horse", &payload(), CHEAP, &mut rng).unwrap();
        path
    }

    #[test]
    fn export_then_import_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let path = exported(tmp.path());
        assert_eq!(import(&path, "correct horse").unwrap(), payload());
    }

    #[test]
    fn wrong_passphrase_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let path = exported(tmp.path());
        let err = import(&path, "battery staple").unwrap_err();
        assert!(matches!(err, ArchiveError::WrongPassphrase { .. }), "{err}");
        assert!(err.to_string().contains("alice.ringlet"));
    }

    #[test]
    fn truncation_anywhere_is_reported_as_truncation() {
        let tmp = tempfile::tempdir().unwrap();
        let path = exported(tmp.path());
        let bytes = fs::read(&path).unwrap();
        for cut in [9, HEADER_LEN - 1, HEADER_LEN + 3, bytes.len() - 1] {
            let err = decode(&path, &bytes[..cut], "correct horse").unwrap_err();
            assert!(
                matches!(err, ArchiveError::Truncated { .. }),
                "cut {cut}: {err}"
            );
        }
    }

    #[test]
    fn foreign_files_and_absurd_parameters_are_refused() {
        let path = Path::new("x.ringlet");
        assert!(matches!(
            decode(path, b"PK\x03\x04zip", "p"),
            Err(ArchiveError::NotAnArchive { .. })
        ));
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        bytes.extend_from_slice(&[0; 8 + SALT_LEN + 4]);
        assert!(matches!(
            decode(path, &bytes, "p"),
            Err(ArchiveError::Unsupported { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = decode(Path::new("fuzz"), &bytes, "p");
        }
    }
}
