//! Schema migrations, in code. Each entry moves `PRAGMA user_version` up by one; they run in
//! one transaction at open, so a database is never left half-migrated.

/// `PRAGMA application_id` of a Ringlet database ("RNGL"), to tell it from other SQLite files.
pub const APPLICATION_ID: i32 = 0x524E_474C;

/// The migrations, oldest first. Never edit a released entry; append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation tables.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE accounts (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('sip', 'p2p')),
        name       TEXT NOT NULL,
        enabled    INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        position   INTEGER NOT NULL,
        config     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE secrets (
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        sealed     BLOB NOT NULL,
        PRIMARY KEY (account_id, name)
    );
    CREATE TABLE devices (
        account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        device_id   TEXT NOT NULL,
        name        TEXT NOT NULL,
        local       INTEGER NOT NULL DEFAULT 0,
        revoked     INTEGER NOT NULL DEFAULT 0,
        certificate TEXT NOT NULL,
        PRIMARY KEY (account_id, device_id)
    );
    CREATE TABLE contacts (
        id           INTEGER PRIMARY KEY,
        account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        uri          TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        state        TEXT NOT NULL DEFAULT 'confirmed',
        added_at     INTEGER NOT NULL,
        UNIQUE (account_id, uri)
    );
    CREATE TABLE conversations (
        id         TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('one-to-one', 'group', 'sip')),
        title      TEXT NOT NULL DEFAULT '',
        peer       TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE messages (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        commit_id       TEXT UNIQUE,
        author          TEXT NOT NULL,
        body            TEXT NOT NULL,
        sent_at         INTEGER NOT NULL,
        outgoing        INTEGER NOT NULL,
        state           TEXT NOT NULL DEFAULT 'sent'
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at);
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', tokenize = 'trigram'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TABLE call_history (
        id          INTEGER PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer        TEXT NOT NULL,
        outgoing    INTEGER NOT NULL,
        started_at  INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        end_reason  TEXT NOT NULL,
        recording   TEXT
    );
    CREATE INDEX call_history_by_time ON call_history (started_at);
    "#,
    // 2: P2P conversations. Commits of each conversation replica in applied order; devices of
    // other accounts met on the network; message commit ids unique per conversation (two
    // local accounts may each hold a copy of one commit).
    r#"
    CREATE TABLE commits (
        seq             INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        id              TEXT NOT NULL,
        raw             BLOB NOT NULL,
        UNIQUE (conversation_id, id)
    );
    CREATE TABLE peer_devices (
        account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer_account TEXT NOT NULL,
        device_id    TEXT NOT NULL,
        certificate  TEXT NOT NULL,
        addresses    TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (account_id, device_id)
    );
    CREATE TABLE messages_v2 (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        commit_id       TEXT,
        author          TEXT NOT NULL,
        body            TEXT NOT NULL,
        sent_at         INTEGER NOT NULL,
        outgoing        INTEGER NOT NULL,
        state           TEXT NOT NULL DEFAULT 'sent',
        UNIQUE (conversation_id, commit_id)
    );
    INSERT INTO messages_v2 SELECT id, conversation_id, commit_id, author, body, sent_at, outgoing, state FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v2 RENAME TO messages;
    CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at);
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    "#,
    // 3: revocations of other accounts' devices.
    r#"
    ALTER TABLE peer_devices ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
    "#,
    // 4: files sent and received in P2P conversations. `offer` is the file commit's offer
    // (CBOR); `manifest` the chunk hashes (kept by the sender, learnt by the receiver);
    // `device` the sending device (peer id) that holds the bytes.
    r#"
    CREATE TABLE transfers (
        id           TEXT NOT NULL,
        account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        conversation TEXT NOT NULL,
        outgoing     INTEGER NOT NULL,
        device       TEXT NOT NULL,
        offer        BLOB NOT NULL,
        manifest     BLOB,
        path         TEXT NOT NULL DEFAULT '',
        state        TEXT NOT NULL,
        bytes_done   INTEGER NOT NULL DEFAULT 0,
        resumed_from INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
    );
    "#,
    // 5: receipts of P2P messages (delivered, read), apart from their edit state.
    r#"
    ALTER TABLE messages ADD COLUMN receipt TEXT NOT NULL DEFAULT '';
    "#,
    // 6: the search index sees each body with two U+001F after it, so every character of
    // a message starts a trigram; its term list (`messages_fts_terms`) then tells which
    // one- and two-character texts occur, and in which trigrams (see `search_messages`).
    r#"
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    DROP TRIGGER messages_fts_update;
    DROP TABLE messages_fts;
    CREATE VIEW messages_fts_source AS SELECT id, body || char(31, 31) AS body FROM messages;
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages_fts_source', content_rowid = 'id', tokenize = 'trigram'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body || char(31, 31));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body)
            VALUES ('delete', old.id, old.body || char(31, 31));
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body)
            VALUES ('delete', old.id, old.body || char(31, 31));
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body || char(31, 31));
    END;
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    CREATE VIRTUAL TABLE messages_fts_terms USING fts5vocab (messages_fts, 'row');
    "#,
    // 7: the names other accounts give themselves (their profiles), from their signed
    // device lists, newest first.
    r#"
    CREATE TABLE peer_profiles (
        account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer_account TEXT NOT NULL,
        name         TEXT NOT NULL,
        published_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, peer_account)
    );
    "#,
    // 8: SIP conversations keyed by the peer's address of record, whatever spelling of its
    // URI came first; conversations that were one peer under two spellings merge. The work
    // needs a URI parser, so it is done in Rust (`rekey_sip_conversations`). SIP messages
    // now have a read state too (unread ones counted in the conversation list across
    // restarts): those received before are taken as read.
    r#"
    UPDATE messages SET receipt = 'read'
     WHERE outgoing = 0 AND receipt != 'read'
       AND conversation_id IN (SELECT id FROM conversations WHERE kind = 'sip');
    "#,
    // 9: profile pictures. An account's own (PNG or JPEG, `p2p::picture`) with when it was
    // set or removed (so the account's devices agree on the newest), and per peer the hash
    // its device list names with the picture once fetched (NULL until then).
    r#"
    ALTER TABLE accounts ADD COLUMN picture BLOB;
    ALTER TABLE accounts ADD COLUMN picture_ms INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE peer_profiles ADD COLUMN picture_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE peer_profiles ADD COLUMN picture BLOB;
    "#,
];

/// The migration after which SIP conversations are re-keyed (its index in [`MIGRATIONS`]).
pub const REKEY_SIP: usize = 7;
