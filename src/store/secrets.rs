//! Secrets at rest: SIP passwords and private keys are sealed with XChaCha20-Poly1305 under a
//! key stretched by Argon2id from a random master key. The master key lives in the OS
//! keyring where one answers, else in `secrets.key` (mode 0600) in the data directory.
//! Secret values are never logged.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use rand::RngCore as _;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension as _, params};
use zeroize::Zeroizing;

use super::{Store, StoreError, meta_get};
use crate::crypto::{SealingKey, StretchCost};

const KEY_FILE: &str = "secrets.key";
const KEYRING_MARKER: &str = "secrets.keyring";
const KEYRING_SERVICE: &str = "ringlet";
const MASTER_KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;

/// Which secret of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// A SIP account's password.
    SipPassword,
    /// A P2P account's Ed25519 secret key.
    AccountKey,
    /// This device's libp2p key pair.
    DeviceKey,
}

impl SecretName {
    fn as_str(self) -> &'static str {
        match self {
            SecretName::SipPassword => "sip-password",
            SecretName::AccountKey => "account-key",
            SecretName::DeviceKey => "device-key",
        }
    }
}

/// Where the master key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// In the OS keyring (Secret Service) under this entry.
    Keyring(String),
    /// In this 0600 file.
    File(std::path::PathBuf),
}

impl fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLocation::Keyring(entry) => write!(f, "OS keyring entry {entry:?}"),
            KeyLocation::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Loads (or on first use creates) the master key and derives the sealing key from it.
pub(super) fn open_sealing_key(
    conn: &Connection,
    db_path: &Path,
    data_dir: &Path,
    use_keyring: bool,
) -> Result<(SealingKey, KeyLocation), StoreError> {
    let (master, location) = master_key(data_dir, use_keyring)?;
    let sql = |source| StoreError::Sqlite {
        path: db_path.to_path_buf(),
        source,
    };
    let salt = match meta_get(conn, "secret_salt").map_err(sql)? {
        Some(salt) => salt,
        None => {
            let mut salt = vec![0u8; SALT_LEN];
            OsRng.fill_bytes(&mut salt);
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('secret_salt', ?1)",
                [&salt],
            )
            .map_err(sql)?;
            salt
        }
    };
    let key =
        SealingKey::derive(master.as_slice(), &salt, StretchCost::INTERACTIVE).map_err(|err| {
            StoreError::SecretKey {
                location: location.to_string(),
                detail: err.to_string(),
            }
        })?;
    Ok((key, location))
}

fn master_key(
    data_dir: &Path,
    use_keyring: bool,
) -> Result<(Zeroizing<Vec<u8>>, KeyLocation), StoreError> {
    let key_file = data_dir.join(KEY_FILE);
    let marker = data_dir.join(KEYRING_MARKER);
    let key_err = |location: String, detail: String| StoreError::SecretKey { location, detail };
    if key_file.exists() {
        let key = Zeroizing::new(fs::read(&key_file).map_err(|source| StoreError::Io {
            path: key_file.clone(),
            source,
        })?);
        if key.len() != MASTER_KEY_LEN {
            return Err(key_err(
                key_file.display().to_string(),
                format!("expected {MASTER_KEY_LEN} bytes, found {}", key.len()),
            ));
        }
        if let Ok(meta) = fs::metadata(&key_file)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %key_file.display(), "secret key file is readable by others; run chmod 600");
        }
        return Ok((key, KeyLocation::File(key_file)));
    }
    if marker.exists() {
        let entry_name = fs::read_to_string(&marker)
            .map_err(|source| StoreError::Io {
                path: marker.clone(),
                source,
            })?
            .trim()
            .to_owned();
        let key = keyring_get(&entry_name)
            .map_err(|detail| key_err(format!("OS keyring entry {entry_name:?}"), detail))?;
        return Ok((key, KeyLocation::Keyring(entry_name)));
    }
    let mut key = Zeroizing::new(vec![0u8; MASTER_KEY_LEN]);
    OsRng.fill_bytes(&mut key);
    if use_keyring {
        let mut id = [0u8; 8];
        OsRng.fill_bytes(&mut id);
        let entry_name = format!("master-key-{}", crate::crypto::hex(&id));
        match keyring_set(&entry_name, &key).and_then(|()| keyring_get(&entry_name)) {
            Ok(read_back) if read_back == key => {
                write_new_file(&marker, entry_name.as_bytes())?;
                return Ok((key, KeyLocation::Keyring(entry_name)));
            }
            Ok(_) => tracing::warn!("OS keyring returned a different key; using a key file"),
            Err(detail) => tracing::info!(%detail, "no usable OS keyring; using a key file"),
        }
    }
    write_new_file(&key_file, &key)?;
    Ok((key, KeyLocation::File(key_file)))
}

/// Creates `path` with mode 0600; fails if it exists, so a key is never overwritten.
fn write_new_file(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)
}

fn keyring_set(entry: &str, key: &[u8]) -> Result<(), String> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, entry).map_err(|err| err.to_string())?;
    let encoded = Zeroizing::new(crate::crypto::hex(key));
    entry.set_password(&encoded).map_err(|err| err.to_string())
}

fn keyring_get(entry: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, entry).map_err(|err| err.to_string())?;
    let encoded = Zeroizing::new(entry.get_password().map_err(|err| err.to_string())?);
    let key = crate::crypto::unhex(&encoded).ok_or("the stored key is not hex")?;
    if key.len() == MASTER_KEY_LEN {
        Ok(Zeroizing::new(key))
    } else {
        Err("the stored key has the wrong length".into())
    }
}

/// Binds a sealed value to its row, so a value moved to another row does not open.
fn aad(account: &str, name: SecretName) -> Vec<u8> {
    [account.as_bytes(), b"\0", name.as_str().as_bytes()].concat()
}

impl Store {
    /// Seals and stores a secret of an account, replacing any previous value.
    pub fn set_secret(
        &self,
        account: &str,
        name: SecretName,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = self.sealing.seal(&mut OsRng, &aad(account, name), value);
        self.conn
            .execute(
                "INSERT INTO secrets (account_id, name, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account_id, name) DO UPDATE SET sealed = excluded.sealed",
                params![account, name.as_str(), sealed],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Reads and unseals a secret; `None` when the account has none by that name.
    pub fn secret(
        &self,
        account: &str,
        name: SecretName,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT sealed FROM secrets WHERE account_id = ?1 AND name = ?2",
                params![account, name.as_str()],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.sql(source))?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        self.sealing
            .open(&aad(account, name), &sealed)
            .map(Some)
            .map_err(|err| StoreError::Secret {
                account: account.to_owned(),
                name: name.as_str().to_owned(),
                detail: err.to_string(),
            })
    }

    /// Removes a secret, if present.
    pub fn delete_secret(&self, account: &str, name: SecretName) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM secrets WHERE account_id = ?1 AND name = ?2",
                params![account, name.as_str()],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }
}
