//! Conversations, messages (with full-text search) and call history.
//!
//! Search uses FTS5's trigram tokenizer, which finds substrings in any script (Chinese has no
//! spaces between words). Queries shorter than three characters scan the newest rows, then
//! ask the index's term list which trigrams start with them (`search_short`); within one
//! conversation they use `LIKE` over its rows.

use std::path::Path;

use rusqlite::{Row, params};

use super::{Store, StoreError};
use crate::model::{
    AccountId, ContactId, ContactInfo, ContactState, ConversationId, ConversationInfo,
};

pub use crate::model::{CallRecord, MessageRecord};

/// Shortest query the trigram index can answer.
const TRIGRAM_MIN_CHARS: usize = 3;

/// How many of the newest rows a short search scans before it asks the index.
#[cfg(not(test))]
const SHORT_SEARCH_RECENT_ROWS: i64 = 20_000;
#[cfg(test)]
const SHORT_SEARCH_RECENT_ROWS: i64 = 100;

/// Past this many trigrams starting with a short text, it is searched by a full scan.
const SHORT_SEARCH_MAX_TERMS: i64 = 512;

/// The columns [`message_row`] reads, from `messages m`.
const MESSAGE_COLUMNS: &str = "m.conversation_id, m.commit_id, m.author, m.body, m.sent_at, \
                               m.outgoing, m.state, m.receipt, m.id";

fn message_row(row: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        conversation_id: row.get(0)?,
        commit_id: row.get(1)?,
        author: row.get(2)?,
        body: row.get(3)?,
        sent_at: row.get(4)?,
        outgoing: row.get(5)?,
        state: row.get(6)?,
        receipt: row.get(7)?,
        id: row.get(8)?,
    })
}

/// `text` as an FTS5 phrase: double-quoted, quotes doubled, so no operator applies.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl Store {
    /// Creates a conversation row if it does not exist yet; true when it did not.
    pub fn ensure_conversation(
        &self,
        conversation_id: &str,
        account: &AccountId,
        kind: &str,
        title: &str,
        peer: Option<&str>,
        created_at: i64,
    ) -> Result<bool, StoreError> {
        let inserted = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO conversations (id, account_id, kind, title, peer, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![conversation_id, account.0, kind, title, peer, created_at],
            )
            .map_err(|source| self.sql(source))?;
        Ok(inserted > 0)
    }

    /// Marks every message received in a SIP conversation read; returns how many were not.
    pub fn mark_sip_read(&self, conversation_id: &str) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE messages SET receipt = 'read'
                 WHERE conversation_id = ?1 AND outgoing = 0 AND receipt != 'read'",
                params![conversation_id],
            )
            .map_err(|source| self.sql(source))
    }

    /// Stores a message; a P2P commit already stored is ignored. Returns the row id, or
    /// `None` for a duplicate.
    pub fn insert_message(&self, message: &MessageRecord) -> Result<Option<i64>, StoreError> {
        let changed = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO messages (conversation_id, commit_id, author, body, sent_at, outgoing)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    message.conversation_id,
                    message.commit_id,
                    message.author,
                    message.body,
                    message.sent_at,
                    message.outgoing
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok((changed > 0).then(|| self.conn.last_insert_rowid()))
    }

    /// Messages containing `text` (case-insensitive substring), newest first.
    pub fn search_messages(
        &self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let columns = MESSAGE_COLUMNS;
        let limit = limit as i64;
        let mapped = message_row;
        if text.chars().count() >= TRIGRAM_MIN_CHARS {
            let phrase = fts_phrase(text);
            // Newest first by row id, which FTS5 hands out in order: the query stops after
            // `limit` hits instead of sorting every match (a common word in a million
            // messages has hundreds of thousands).
            let sql = format!(
                "SELECT {columns} FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid
                 WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2"
            );
            self.query_all(&sql, params![phrase, limit], mapped)
        } else {
            self.search_short(text, limit)
        }
    }

    /// A one- or two-character text, below the trigram length. A text that occurs often is
    /// found among the newest rows by a scan; otherwise the index's term list names the
    /// trigrams that start with it (every character starts one, see migration 6), none for
    /// an absent text, and those trigrams are looked up together.
    fn search_short(&self, text: &str, limit: i64) -> Result<Vec<MessageRecord>, StoreError> {
        let columns = MESSAGE_COLUMNS;
        let pattern = like_pattern(text);
        let recent = self.query_all(
            &format!(
                "SELECT {columns} FROM messages m
                 WHERE m.id > (SELECT coalesce(max(id), 0) FROM messages) - ?3
                   AND m.body LIKE ?1 ESCAPE '\\'
                 ORDER BY m.id DESC LIMIT ?2"
            ),
            params![pattern, limit, SHORT_SEARCH_RECENT_ROWS],
            message_row,
        )?;
        if recent.len() as i64 >= limit || text.is_empty() {
            return Ok(recent);
        }
        let terms = if text.chars().any(char::is_control) {
            None
        } else {
            let folded = text.to_lowercase();
            let terms: Vec<String> = self.query_all(
                "SELECT term FROM messages_fts_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3",
                params![
                    folded,
                    format!("{folded}\u{10FFFF}"),
                    SHORT_SEARCH_MAX_TERMS + 1
                ],
                |row| row.get(0),
            )?;
            (terms.len() as i64 <= SHORT_SEARCH_MAX_TERMS).then_some(terms)
        };
        match terms {
            Some(terms) if terms.is_empty() => Ok(recent),
            Some(terms) => {
                let any: Vec<String> = terms.iter().map(|term| fts_phrase(term)).collect();
                self.query_all(
                    &format!(
                        "SELECT {columns} FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid
                         WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2"
                    ),
                    params![any.join(" OR "), limit],
                    message_row,
                )
            }
            // Too many trigrams (a common text, seldom of late) or one the index cannot
            // name: a scan of every row, newest first, stopping at `limit`.
            None => self.query_all(
                &format!(
                    "SELECT {columns} FROM messages m WHERE m.body LIKE ?1 ESCAPE '\\'
                     ORDER BY m.id DESC LIMIT ?2"
                ),
                params![pattern, limit],
                message_row,
            ),
        }
    }

    /// Adds a contact (or renames it when the URI is already there); returns its row id.
    pub fn upsert_contact(
        &self,
        account: &AccountId,
        uri: &str,
        display_name: &str,
        added_at: i64,
    ) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO contacts (account_id, uri, display_name, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id, uri) DO UPDATE SET display_name = excluded.display_name
                 RETURNING id",
                params![account.0, uri, display_name, added_at],
                |row| row.get(0),
            )
            .map_err(|source| self.sql(source))
    }

    /// Every contact, by account then name.
    pub fn contacts(&self) -> Result<Vec<ContactInfo>, StoreError> {
        self.query_all(
            "SELECT id, account_id, uri, display_name, state FROM contacts ORDER BY account_id, display_name, uri",
            [],
            |row| {
                Ok(ContactInfo {
                    id: ContactId(row.get(0)?),
                    account: AccountId(row.get(1)?),
                    uri: row.get(2)?,
                    display_name: row.get(3)?,
                    // A state this build does not know keeps the contact out.
                    state: ContactState::parse(&row.get::<_, String>(4)?)
                        .unwrap_or(ContactState::Blocked),
                })
            },
        )
    }

    /// Every conversation with its newest message, most recent first. A conversation
    /// with no title of its own (one-to-one) is named after its peer: the contact's name,
    /// else its URI or account id.
    pub fn conversations(&self) -> Result<Vec<ConversationInfo>, StoreError> {
        self.query_all(
            "SELECT c.id, c.account_id,
                    coalesce(nullif(c.title, ''),
                             (SELECT nullif(k.display_name, '') FROM contacts k
                              WHERE k.account_id = c.account_id AND k.uri = c.peer),
                             c.peer, ''),
                    (SELECT body FROM messages m WHERE m.conversation_id = c.id ORDER BY sent_at DESC, id DESC LIMIT 1),
                    c.kind, c.peer,
                    coalesce((SELECT max(sent_at) FROM messages m WHERE m.conversation_id = c.id), c.created_at) AS activity,
                    (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.outgoing = 0
                       AND (m.commit_id IS NOT NULL OR c.kind = 'sip') AND m.receipt != 'read')
             FROM conversations c
             ORDER BY activity DESC",
            [],
            |row| {
                let id: String = row.get(0)?;
                let kind: String = row.get(4)?;
                let peer: Option<String> = row.get(5)?;
                // A group's messages go to the group: its id ends the local id.
                let peer = match kind.as_str() {
                    "group" => id.rsplit(':').next().map(str::to_owned),
                    _ => peer,
                };
                Ok(ConversationInfo {
                    id: ConversationId(id),
                    account: AccountId(row.get(1)?),
                    title: row.get(2)?,
                    last_message: row.get(3)?,
                    peer,
                    last_activity_ms: row.get(6)?,
                    unread: row.get(7)?,
                })
            },
        )
    }

    /// The name a conversation goes by when it has no title: the contact's name for
    /// `peer`, else `peer` itself.
    pub fn peer_title(&self, account: &AccountId, peer: &str) -> String {
        self.conn
            .query_row(
                "SELECT display_name FROM contacts WHERE account_id = ?1 AND uri = ?2",
                params![account.0, peer],
                |row| row.get::<_, String>(0),
            )
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| peer.to_owned())
    }

    /// Records a finished call.
    pub fn insert_call(&self, call: &CallRecord) -> Result<i64, StoreError> {
        // Cached: a busy account records a call every few milliseconds, and parsing the
        // statement each time showed in the profile of a sipp load.
        self.conn
            .prepare_cached(
                "INSERT INTO call_history (account_id, peer, outgoing, started_at, duration_ms, end_reason, recording)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    call.account_id.0,
                    call.peer,
                    call.outgoing,
                    call.started_at,
                    call.duration_ms,
                    call.end_reason,
                    call.recording
                ])
            })
            .map_err(|source| self.sql(source))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// One conversation's messages, oldest first (the newest `limit`, or the newest of those
    /// before the message whose row is `before`), optionally only those containing `search`
    /// (as `ctl messages --search` finds them).
    pub fn messages(
        &self,
        conversation_id: &str,
        search: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        query_messages(&self.conn, conversation_id, search, before, limit)
            .map_err(|source| self.sql(source))
    }

    /// Call history, newest first, optionally only calls whose peer contains `search`.
    pub fn calls(&self, search: Option<&str>, limit: usize) -> Result<Vec<CallRecord>, StoreError> {
        query_calls(&self.conn, search, limit).map_err(|source| self.sql(source))
    }

    pub(super) fn query_all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.conn.prepare(sql).map_err(|source| self.sql(source))?;
        let rows = statement
            .query_map(params, map)
            .map_err(|source| self.sql(source))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|source| self.sql(source))
    }
}

/// Reads the call history of the database at `path` through a read-only connection, for
/// readers beside the engine (WAL lets them see every committed row while it writes).
pub fn read_call_history(
    path: &Path,
    search: Option<&str>,
    limit: usize,
) -> Result<Vec<CallRecord>, StoreError> {
    read_only(path, |conn| query_calls(conn, search, limit))
}

/// Runs `query` on a read-only connection to the database at `path`.
fn read_only<T>(
    path: &Path,
    query: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    rusqlite::Connection::open_with_flags(path, flags)
        .and_then(|conn| query(&conn))
        .map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })
}

/// Reads one conversation's messages (oldest first, the newest `limit`), optionally only
/// those containing `search`, through a read-only connection (see [`read_call_history`]).
pub fn read_messages(
    path: &Path,
    conversation_id: &str,
    search: Option<&str>,
    limit: usize,
) -> Result<Vec<MessageRecord>, StoreError> {
    read_only(path, |conn| {
        query_messages(conn, conversation_id, search, None, limit)
    })
}

/// Reads a P2P account's conversation with `peer` (an account id for the one-to-one
/// conversation, or a conversation id) like [`read_messages`]; `None` when there is none.
pub fn read_p2p_messages(
    path: &Path,
    account: &AccountId,
    peer: &str,
    search: Option<&str>,
    limit: usize,
) -> Result<Option<Vec<MessageRecord>>, StoreError> {
    read_only(path, |conn| {
        match super::p2p::find_conversation(conn, account, peer)? {
            Some(conversation) => {
                query_messages(conn, &conversation, search, None, limit).map(Some)
            }
            None => Ok(None),
        }
    })
}

fn query_messages(
    conn: &rusqlite::Connection,
    conversation_id: &str,
    search: Option<&str>,
    before: Option<i64>,
    limit: usize,
) -> rusqlite::Result<Vec<MessageRecord>> {
    let columns = MESSAGE_COLUMNS;
    // P2P messages are listed in the order they were applied here, which is causal; a SIP
    // conversation by time. A page of older ones ends before the row `before`, in that order.
    let (order, older) = if conversation_id.starts_with("p2p:") {
        ("m.id DESC", "(?4 IS NULL OR m.id < ?4)")
    } else {
        (
            "m.sent_at DESC, m.id DESC",
            "(?4 IS NULL OR (m.sent_at, m.id) < (SELECT sent_at, id FROM messages WHERE id = ?4))",
        )
    };
    let search = search.unwrap_or("");
    let (sql, pattern) = if search.chars().count() >= TRIGRAM_MIN_CHARS {
        // Driven by the index, newest hit first, stopping at `limit` (see `search_messages`).
        (
            format!(
                "SELECT {columns} FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid
                 WHERE messages_fts MATCH ?2 AND m.conversation_id = ?1 AND {older}
                 ORDER BY f.rowid DESC LIMIT ?3"
            ),
            fts_phrase(search),
        )
    } else if !search.is_empty() {
        (
            format!(
                "SELECT {columns} FROM messages m
                 WHERE m.conversation_id = ?1 AND m.body LIKE ?2 ESCAPE '\\' AND {older}
                 ORDER BY m.id DESC LIMIT ?3"
            ),
            like_pattern(search),
        )
    } else {
        (
            format!(
                "SELECT {columns} FROM messages m
                 WHERE m.conversation_id = ?1 AND m.body LIKE ?2 ESCAPE '\\' AND {older}
                 ORDER BY {order} LIMIT ?3"
            ),
            like_pattern(search),
        )
    };
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map(
        params![conversation_id, pattern, limit as i64, before],
        message_row,
    )?;
    let mut messages = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    messages.reverse();
    Ok(messages)
}

fn query_calls(
    conn: &rusqlite::Connection,
    search: Option<&str>,
    limit: usize,
) -> rusqlite::Result<Vec<CallRecord>> {
    let mut statement = conn.prepare(
        "SELECT account_id, peer, outgoing, started_at, duration_ms, end_reason, recording
         FROM call_history WHERE peer LIKE ?1 ESCAPE '\\' ORDER BY started_at DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(
        params![like_pattern(search.unwrap_or("")), limit as i64],
        |row| {
            Ok(CallRecord {
                account_id: AccountId(row.get(0)?),
                peer: row.get(1)?,
                outgoing: row.get(2)?,
                started_at: row.get(3)?,
                duration_ms: row.get(4)?,
                end_reason: row.get(5)?,
                recording: row.get(6)?,
            })
        },
    )?;
    rows.collect()
}

/// `%text%` with LIKE's wildcards escaped.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}
