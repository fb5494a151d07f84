//! Files sent and received in P2P conversations: one row per file commit and account, with
//! where the bytes are, how far a download got and how it ended.

use rusqlite::{OptionalExtension as _, Row, params};

use super::{Store, StoreError};
use crate::model::{AccountId, TransferState};

/// A file transfer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    /// The file commit's id, hex.
    pub id: String,
    /// The account.
    pub account: AccountId,
    /// The conversation (its root commit, hex).
    pub conversation: String,
    /// We send it.
    pub outgoing: bool,
    /// The sending device (peer id).
    pub device: String,
    /// The offer, CBOR.
    pub offer: Vec<u8>,
    /// The chunk hashes, once known.
    pub manifest: Option<Vec<u8>>,
    /// The file sent, or where the received one is written.
    pub path: String,
    /// Where the transfer stands.
    pub state: TransferState,
    /// Bytes verified and written (incoming) or served (outgoing).
    pub bytes_done: u64,
    /// Where the last resumed download started, bytes.
    pub resumed_from: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
}

const COLUMNS: &str = "id, account_id, conversation, outgoing, device, offer, manifest, path, \
                       state, bytes_done, resumed_from, error, created_at";

fn row(row: &Row<'_>) -> rusqlite::Result<TransferRow> {
    Ok(TransferRow {
        id: row.get(0)?,
        account: AccountId(row.get(1)?),
        conversation: row.get(2)?,
        outgoing: row.get(3)?,
        device: row.get(4)?,
        offer: row.get(5)?,
        manifest: row.get(6)?,
        path: row.get(7)?,
        // A state this build does not know is taken as failed (it is tried no further).
        state: TransferState::parse(&row.get::<_, String>(8)?).unwrap_or(TransferState::Failed),
        bytes_done: row.get::<_, i64>(9)?.max(0) as u64,
        resumed_from: row.get::<_, i64>(10)?.max(0) as u64,
        error: row.get(11)?,
        created_at: row.get(12)?,
    })
}

impl Store {
    /// Records a transfer; one already there is left as it is. Returns whether it was new.
    pub fn insert_transfer(&self, transfer: &TransferRow) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                &format!("INSERT OR IGNORE INTO transfers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
                params![
                    transfer.id,
                    transfer.account.0,
                    transfer.conversation,
                    transfer.outgoing,
                    transfer.device,
                    transfer.offer,
                    transfer.manifest,
                    transfer.path,
                    transfer.state.as_str(),
                    transfer.bytes_done as i64,
                    transfer.resumed_from as i64,
                    transfer.error,
                    transfer.created_at,
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok(changed > 0)
    }

    /// An account's transfers, newest first.
    pub fn transfers(&self, account: &AccountId) -> Result<Vec<TransferRow>, StoreError> {
        self.query_all(
            &format!(
                "SELECT {COLUMNS} FROM transfers WHERE account_id = ?1 ORDER BY created_at DESC, id"
            ),
            params![account.0],
            row,
        )
    }

    /// The transfers of one of an account's conversations (its root commit, hex), oldest
    /// first.
    pub fn conversation_transfers(
        &self,
        account: &AccountId,
        conversation: &str,
    ) -> Result<Vec<TransferRow>, StoreError> {
        self.query_all(
            &format!(
                "SELECT {COLUMNS} FROM transfers WHERE account_id = ?1 AND conversation = ?2 \
                 ORDER BY created_at, id"
            ),
            params![account.0, conversation],
            row,
        )
    }

    /// One transfer.
    pub fn transfer(
        &self,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<TransferRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM transfers WHERE account_id = ?1 AND id = ?2"),
                params![account.0, id],
                row,
            )
            .optional()
            .map_err(|source| self.sql(source))
    }

    /// Writes a transfer's changing fields (state, progress, path, manifest, error).
    pub fn update_transfer(&self, transfer: &TransferRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE transfers SET state = ?3, bytes_done = ?4, resumed_from = ?5, path = ?6,
                    manifest = ?7, error = ?8 WHERE account_id = ?1 AND id = ?2",
                params![
                    transfer.account.0,
                    transfer.id,
                    transfer.state.as_str(),
                    transfer.bytes_done as i64,
                    transfer.resumed_from as i64,
                    transfer.path,
                    transfer.manifest,
                    transfer.error,
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }
}
