//! SQLite storage (WAL, FTS5) under the data directory, with schema migrations in code and
//! secrets sealed at rest.
//!
//! Opening never destroys data: a file that is not a Ringlet database (corrupt, foreign, or
//! from a newer Ringlet) is reported by name and left exactly as it was.

mod accounts;
mod history;
mod p2p;
mod schema;
mod secrets;
mod transfers;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};

pub use history::{CallRecord, MessageRecord, read_call_history, read_messages, read_p2p_messages};
pub use p2p::{PeerDevice, PeerProfile, ProfileChange, StoredCommit, p2p_conversation_id};
pub use secrets::{KeyLocation, SecretName};
pub use transfers::TransferRow;

use crate::crypto::SealingKey;

/// SQLite files start with these 16 bytes.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file is not SQLite at all.
    #[error("{path} is not a SQLite database (left untouched; move it away to start afresh)")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is SQLite but belongs to another program.
    #[error("{path} is a SQLite database of another program (left untouched)")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// The database was written by a newer Ringlet.
    #[error(
        "{path} has schema version {found}, newer than this Ringlet's {supported} (left untouched)"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// SQLite reported an error.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Reading or writing a file beside the database failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The key that unseals secrets is missing or unusable.
    #[error("secret key {location}: {detail}")]
    SecretKey {
        /// Where the key was looked for.
        location: String,
        /// What went wrong.
        detail: String,
    },
    /// A sealed secret did not open (wrong key or tampering).
    #[error("secret {name:?} of account {account} cannot be decrypted: {detail}")]
    Secret {
        /// Account id.
        account: String,
        /// Secret name.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// No such row.
    #[error("no {what} {id:?}")]
    NotFound {
        /// Kind of row.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A stored value could not be decoded.
    #[error("database {path}: invalid stored {what}: {detail}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Which value.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// The open database and the key that seals secrets.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    sealing: SealingKey,
    key_location: KeyLocation,
}

impl Store {
    /// Opens (or creates) `ringlet.db` in `data_dir`, migrates it and loads the secret key
    /// (from the OS keyring when `use_keyring` and one is reachable, else a 0600 key file).
    pub fn open(data_dir: &Path, use_keyring: bool) -> Result<Store, StoreError> {
        let path = data_dir.join("ringlet.db");
        check_magic(&path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sql)?;
        check_ownership(&conn, &path)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        migrate(&mut conn, &path)?;
        let (sealing, key_location) =
            secrets::open_sealing_key(&conn, &path, data_dir, use_keyring)?;
        Ok(Store {
            conn,
            path,
            sealing,
            key_location,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the secret key lives.
    pub fn key_location(&self) -> &KeyLocation {
        &self.key_location
    }

    /// Runs `work` in one transaction: all of its writes land, or none do.
    pub fn atomically<T>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|source| self.sql(source))?;
        let value = work(self)?;
        tx.commit().map_err(|source| self.sql(source))?;
        Ok(value)
    }

    /// The schema version after migration.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|source| self.sql(source))
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

/// Refuses a non-empty file that does not begin with SQLite's magic, before SQLite touches it.
fn check_magic(path: &Path) -> Result<(), StoreError> {
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    file.by_ref()
        .take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if head.is_empty() || head == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Refuses a SQLite database that has content but is not marked as Ringlet's, and one from
/// a newer schema. Only reads: nothing is written before this passes.
fn check_ownership(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|source| match source {
            rusqlite::Error::SqliteFailure(ref err, _)
                if err.code == rusqlite::ErrorCode::NotADatabase =>
            {
                StoreError::NotADatabase {
                    path: path.to_path_buf(),
                }
            }
            other => sql(other),
        })?;
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(sql)?;
    if objects > 0 && application_id != schema::APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
        });
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql)?;
    let supported = schema::MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported,
        });
    }
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let current: (i64, i32) = (
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sql)?,
        conn.pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(sql)?,
    );
    if current == (schema::MIGRATIONS.len() as i64, schema::APPLICATION_ID) {
        // Up to date: opening writes nothing.
        return Ok(());
    }
    let tx = conn.transaction().map_err(sql)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sql)?;
    for (index, migration) in schema::MIGRATIONS
        .iter()
        .enumerate()
        .skip(version.max(0) as usize)
    {
        tx.execute_batch(migration).map_err(sql)?;
        if index == schema::REKEY_SIP {
            rekey_sip_conversations(&tx).map_err(sql)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(sql)?;
    }
    tx.pragma_update(None, "application_id", schema::APPLICATION_ID)
        .map_err(sql)?;
    tx.commit().map_err(sql)
}

/// Keys every SIP conversation by its peer's address of record (`ConversationId::sip`),
/// moving the messages of two spellings of one peer into one conversation.
fn rekey_sip_conversations(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows = tx
        .prepare(
            "SELECT id, account_id, title, COALESCE(peer, ''), created_at FROM conversations
             WHERE kind = 'sip' ORDER BY created_at",
        )?
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, account, title, peer, created_at) in rows {
        let aor = crate::model::address_of_record(&peer);
        let key =
            crate::model::ConversationId::sip(&crate::model::AccountId(account.clone()), &peer).0;
        if key == id && aor == peer {
            continue;
        }
        // A title that was the URI becomes the address of record; a name given stays.
        let title = if title == peer { aor.clone() } else { title };
        if key != id {
            tx.execute(
                "INSERT OR IGNORE INTO conversations (id, account_id, kind, title, peer, created_at)
                 VALUES (?1, ?2, 'sip', ?3, ?4, ?5)",
                params![key, account, title, aor, created_at],
            )?;
            tx.execute(
                "UPDATE messages SET conversation_id = ?1 WHERE conversation_id = ?2",
                params![key, id],
            )?;
            tx.execute("DELETE FROM conversations WHERE id = ?1", params![id])?;
        } else {
            tx.execute(
                "UPDATE conversations SET peer = ?1, title = ?2 WHERE id = ?3",
                params![aor, title, id],
            )?;
        }
    }
    Ok(())
}

/// Reads one optional `meta` value.
fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
}

#[cfg(test)]
mod tests;
