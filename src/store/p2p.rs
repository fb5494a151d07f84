//! P2P replicas: conversation commits in applied order, contact states, and the devices of
//! other accounts met on the network.

use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};
use crate::model::{AccountId, ContactState, Picture};

/// A stored commit: its conversation row, id (hex) and signed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCommit {
    /// Local conversation id.
    pub conversation_id: String,
    /// Commit id, hex.
    pub id: String,
    /// The signed commit's CBOR.
    pub raw: Vec<u8>,
}

/// The profile another account gives itself, as kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerProfile {
    /// Their account id.
    pub peer: String,
    /// Their name (empty when they gave none).
    pub name: String,
    /// Their picture, once fetched.
    pub picture: Option<Picture>,
}

/// What a newer profile changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileChange {
    /// The name is another.
    pub name: bool,
    /// The picture is another (or gone): the one held is dropped.
    pub picture: bool,
    /// A picture is named that is not held yet: ask for it.
    pub picture_wanted: bool,
}

/// A device of another account (or another device of our own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerDevice {
    /// Its account.
    pub peer_account: AccountId,
    /// Its peer id, base58.
    pub device_id: String,
    /// Its certificate, JSON.
    pub certificate: String,
    /// Addresses it was reached at, JSON list of multiaddrs.
    pub addresses: String,
}

impl Store {
    /// Appends a commit to a conversation replica; a commit already there is ignored.
    /// Returns whether it was new.
    pub fn insert_commit(&self, commit: &StoredCommit) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO commits (conversation_id, id, raw) VALUES (?1, ?2, ?3)",
                params![commit.conversation_id, commit.id, commit.raw],
            )
            .map_err(|source| self.sql(source))?;
        Ok(changed > 0)
    }

    /// Every commit of an account's conversations, in applied order.
    pub fn commits_of_account(&self, account: &AccountId) -> Result<Vec<StoredCommit>, StoreError> {
        self.query_all(
            "SELECT k.conversation_id, k.id, k.raw FROM commits k
             JOIN conversations c ON c.id = k.conversation_id
             WHERE c.account_id = ?1 ORDER BY k.seq",
            params![account.0],
            |row| {
                Ok(StoredCommit {
                    conversation_id: row.get(0)?,
                    id: row.get(1)?,
                    raw: row.get(2)?,
                })
            },
        )
    }

    /// The signed bytes of one commit of a conversation.
    pub fn commit_raw(
        &self,
        conversation_id: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row(
                "SELECT raw FROM commits WHERE conversation_id = ?1 AND id = ?2",
                params![conversation_id, id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.sql(source))
    }

    /// Sets a contact's state (`requested`, `incoming`, `confirmed`, `declined`, `blocked`),
    /// adding the contact when it is new; returns its row id and display name.
    pub fn set_contact_state(
        &self,
        account: &AccountId,
        uri: &str,
        display_name: Option<&str>,
        state: ContactState,
        added_at: i64,
    ) -> Result<(i64, String), StoreError> {
        self.conn
            .query_row(
                "INSERT INTO contacts (account_id, uri, display_name, state, added_at)
                 VALUES (?1, ?2, coalesce(?3, ''), ?4, ?5)
                 ON CONFLICT (account_id, uri) DO UPDATE SET state = excluded.state,
                    display_name = coalesce(?3, display_name)
                 RETURNING id, display_name",
                params![account.0, uri, display_name, state.as_str(), added_at],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|source| self.sql(source))
    }

    /// A contact's state, if it is a contact. A state this build does not know is an
    /// error, not a guess (callers keep such a peer out).
    pub fn contact_state(
        &self,
        account: &AccountId,
        uri: &str,
    ) -> Result<Option<ContactState>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM contacts WHERE account_id = ?1 AND uri = ?2",
                params![account.0, uri],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.sql(source))?;
        text.map(|text| {
            ContactState::parse(&text)
                .ok_or_else(|| self.decode_err("contact state", format!("{text:?}")))
        })
        .transpose()
    }

    /// Deletes a contact (its conversation stays).
    pub fn remove_contact(&self, account: &AccountId, uri: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM contacts WHERE account_id = ?1 AND uri = ?2",
                params![account.0, uri],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Replaces a message's text (an edit) or marks it deleted (`text` `None`).
    pub fn update_message(
        &self,
        conversation_id: &str,
        commit_id: &str,
        text: Option<&str>,
    ) -> Result<(), StoreError> {
        let (body, state) = match text {
            Some(text) => (text, "edited"),
            None => ("", "deleted"),
        };
        self.conn
            .execute(
                "UPDATE messages SET body = ?3, state = ?4 WHERE conversation_id = ?1 AND commit_id = ?2",
                params![conversation_id, commit_id, body, state],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Raises the receipt of messages in a conversation (ours when `outgoing`) to
    /// `delivered` or `read` (never back down); returns how many changed.
    pub fn set_receipts(
        &self,
        conversation_id: &str,
        commits: &[String],
        receipt: &str,
        outgoing: bool,
    ) -> Result<usize, StoreError> {
        let lower = if receipt == "read" {
            "('', 'delivered')"
        } else {
            "('')"
        };
        let mut statement = self
            .conn
            .prepare(&format!(
                "UPDATE messages SET receipt = ?3 WHERE conversation_id = ?1 AND commit_id = ?2
                 AND outgoing = ?4 AND receipt IN {lower}"
            ))
            .map_err(|source| self.sql(source))?;
        let mut changed = 0;
        for commit in commits {
            changed += statement
                .execute(params![conversation_id, commit, receipt, outgoing])
                .map_err(|source| self.sql(source))?;
        }
        Ok(changed)
    }

    /// Messages of others in a conversation not yet marked read: (commit id, author).
    pub fn unread(&self, conversation_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.query_all(
            "SELECT commit_id, author FROM messages WHERE conversation_id = ?1 AND outgoing = 0
             AND commit_id IS NOT NULL AND receipt != 'read' ORDER BY id",
            params![conversation_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    }

    /// Remembers a device of another account (or another of our own).
    pub fn upsert_peer_device(
        &self,
        account: &AccountId,
        device: &PeerDevice,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO peer_devices (account_id, peer_account, device_id, certificate, addresses)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, device_id) DO UPDATE SET
                    peer_account = excluded.peer_account, certificate = excluded.certificate,
                    addresses = excluded.addresses",
                params![
                    account.0,
                    device.peer_account.0,
                    device.device_id,
                    device.certificate,
                    device.addresses
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Devices of other accounts an account has met.
    pub fn peer_devices(&self, account: &AccountId) -> Result<Vec<PeerDevice>, StoreError> {
        self.query_all(
            "SELECT peer_account, device_id, certificate, addresses FROM peer_devices WHERE account_id = ?1 AND revoked = 0",
            params![account.0],
            |row| {
                Ok(PeerDevice {
                    peer_account: AccountId(row.get(0)?),
                    device_id: row.get(1)?,
                    certificate: row.get(2)?,
                    addresses: row.get(3)?,
                })
            },
        )
    }
}

impl Store {
    /// Keeps the profile `peer` gives itself (its name, empty for none, and its picture's
    /// hash, empty for none) if it was published after the one held, and says what changed.
    pub fn set_peer_profile(
        &self,
        account: &AccountId,
        peer: &AccountId,
        name: &str,
        picture_hash: &str,
        published_ms: i64,
    ) -> Result<ProfileChange, StoreError> {
        let held: Option<(String, String, bool, i64)> = self
            .conn
            .query_row(
                "SELECT name, picture_hash, picture IS NOT NULL, published_ms FROM peer_profiles
                  WHERE account_id = ?1 AND peer_account = ?2",
                params![account.0, peer.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(|source| self.sql(source))?;
        let (old_name, old_hash, fetched, old_ms) =
            held.unwrap_or((String::new(), String::new(), false, i64::MIN));
        if published_ms <= old_ms {
            return Ok(ProfileChange {
                name: false,
                picture: false,
                picture_wanted: !old_hash.is_empty() && !fetched,
            });
        }
        // A list without a name (from before profiles) keeps the one held.
        let name = if name.is_empty() { &old_name } else { name };
        let picture_changed = picture_hash != old_hash;
        self.conn
            .execute(
                "INSERT INTO peer_profiles
                    (account_id, peer_account, name, published_ms, picture_hash, picture)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL)
                 ON CONFLICT (account_id, peer_account) DO UPDATE SET
                    name = excluded.name, published_ms = excluded.published_ms,
                    picture_hash = excluded.picture_hash,
                    picture = CASE WHEN ?6 THEN NULL ELSE peer_profiles.picture END",
                params![
                    account.0,
                    peer.0,
                    name,
                    published_ms,
                    picture_hash,
                    picture_changed
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok(ProfileChange {
            name: *name != old_name,
            picture: picture_changed,
            picture_wanted: !picture_hash.is_empty() && (picture_changed || !fetched),
        })
    }

    /// Keeps a peer's picture if it is the one its profile names. True when kept.
    pub fn set_peer_picture(
        &self,
        account: &AccountId,
        peer: &AccountId,
        hash: &str,
        picture: &[u8],
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE peer_profiles SET picture = ?4
                  WHERE account_id = ?1 AND peer_account = ?2 AND picture_hash = ?3
                    AND picture IS NULL",
                params![account.0, peer.0, hash, picture],
            )
            .map_err(|source| self.sql(source))?;
        Ok(changed > 0)
    }

    /// The profiles other accounts gave themselves.
    pub fn peer_profiles(&self, account: &AccountId) -> Result<Vec<PeerProfile>, StoreError> {
        self.query_all(
            "SELECT peer_account, name, picture_hash, picture FROM peer_profiles
              WHERE account_id = ?1",
            params![account.0],
            |row| {
                let hash: String = row.get(2)?;
                let picture: Option<Vec<u8>> = row.get(3)?;
                Ok(PeerProfile {
                    peer: row.get(0)?,
                    name: row.get(1)?,
                    picture: picture.map(|bytes| Picture { hash, bytes }),
                })
            },
        )
    }

    /// Marks one of the account's own devices revoked.
    pub fn revoke_device(&self, account: &AccountId, device_id: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE devices SET revoked = 1 WHERE account_id = ?1 AND device_id = ?2",
                params![account.0, device_id],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Remembers that a device of another account was revoked by its account.
    pub fn revoke_peer_device(
        &self,
        account: &AccountId,
        peer_account: &AccountId,
        device_id: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO peer_devices (account_id, peer_account, device_id, certificate, revoked)
                 VALUES (?1, ?2, ?3, '{}', 1)
                 ON CONFLICT (account_id, device_id) DO UPDATE SET revoked = 1",
                params![account.0, peer_account.0, device_id],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// Devices of other accounts known to be revoked.
    pub fn revoked_peer_devices(&self, account: &AccountId) -> Result<Vec<String>, StoreError> {
        self.query_all(
            "SELECT device_id FROM peer_devices WHERE account_id = ?1 AND revoked = 1",
            params![account.0],
            |row| row.get(0),
        )
    }
}

pub use crate::model::p2p_conversation_id;

/// Finds an account's conversation with `peer` (a one-to-one with that account id, or a
/// conversation id given as is) through a read-only connection. Of two one-to-one
/// conversations (both asked at once) the one with the lower root id, as the engine picks.
pub fn find_conversation(
    conn: &rusqlite::Connection,
    account: &AccountId,
    peer: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT id FROM conversations WHERE account_id = ?1
            AND (id = ?2 OR id = ?3 OR (peer = ?2 AND kind = 'one-to-one'))
         ORDER BY id LIMIT 1",
        params![account.0, peer, p2p_conversation_id(account, peer)],
        |row| row.get(0),
    )
    .optional()
}
