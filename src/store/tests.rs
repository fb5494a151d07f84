use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use super::*;
use crate::model::{
    AccountDetails, AccountId, AccountInfo, ConversationId, RegistrationState, SipAccountConfig,
};

fn sip_account(id: &str) -> AccountInfo {
    AccountInfo {
        id: AccountId(id.into()),
        name: format!("Account {id}"),
        enabled: true,
        created_at: 1_700_000_000,
        registration: RegistrationState::Offline,
        details: AccountDetails::Sip(SipAccountConfig {
            aor: "sip:alice@example.org".into(),
            ..SipAccountConfig::default()
        }),
    }
}

fn message(conversation: &str, body: &str, sent_at: i64) -> MessageRecord {
    MessageRecord {
        conversation_id: conversation.into(),
        commit_id: None,
        author: "sip:bob@example.org".into(),
        body: body.into(),
        sent_at,
        outgoing: false,
        ..MessageRecord::default()
    }
}

#[test]
fn fresh_store_is_wal_and_fully_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        schema::MIGRATIONS.len() as i64
    );
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(matches!(store.key_location(), KeyLocation::File(_)));
    let key_mode = fs::metadata(tmp.path().join("secrets.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);
}

#[test]
fn accounts_and_secrets_survive_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        store
            .set_secret("a1", SecretName::SipPassword, b"hunter2-unique-marker")
            .unwrap();
        store
            .rename_account(&AccountId("a1".into()), "Work")
            .unwrap();
        store
            .set_account_enabled(&AccountId("a1".into()), false)
            .unwrap();
    }
    let store = Store::open(tmp.path(), false).unwrap();
    let accounts = store.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].name, "Work");
    assert!(!accounts[0].enabled);
    let secret = store
        .secret("a1", SecretName::SipPassword)
        .unwrap()
        .unwrap();
    assert_eq!(secret.as_slice(), b"hunter2-unique-marker");
    assert_eq!(store.secret("a1", SecretName::AccountKey).unwrap(), None);
}

#[test]
fn auto_answer_survives_reopening_for_both_kinds_and_old_p2p_rows_read_as_off() {
    let tmp = tempfile::tempdir().unwrap();
    let p2p = AccountInfo {
        id: AccountId("p1".into()),
        details: AccountDetails::P2p {
            devices: Vec::new(),
            auto_answer: false,
            stun: Vec::new(),
        },
        ..sip_account("p1")
    };
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        store.insert_account(&p2p).unwrap();
        // A P2P row as sessions before this one wrote it.
        store
            .conn
            .execute("UPDATE accounts SET config = '{}' WHERE id = 'p1'", [])
            .unwrap();
        assert!(!store.accounts().unwrap()[1].details.auto_answer());
        store.set_auto_answer(&p2p.id, true).unwrap();
        store
            .set_auto_answer(&AccountId("a1".into()), true)
            .unwrap();
    }
    let store = Store::open(tmp.path(), false).unwrap();
    let accounts = store.accounts().unwrap();
    assert!(accounts.iter().all(|account| account.details.auto_answer()));
    // The SIP account's other settings are untouched.
    let AccountDetails::Sip(config) = &accounts[0].details else {
        panic!("{accounts:?}")
    };
    assert_eq!(config.aor, "sip:alice@example.org");
    assert!(
        store
            .set_auto_answer(&AccountId("none".into()), true)
            .is_err()
    );
}

#[test]
fn secrets_are_not_stored_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    store
        .set_secret("a1", SecretName::SipPassword, b"hunter2-unique-marker")
        .unwrap();
    store
        .conn
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    for entry in fs::read_dir(tmp.path()).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(21).any(|w| w == b"hunter2-unique-marker"));
    }
}

#[test]
fn a_different_key_file_cannot_open_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        store
            .set_secret("a1", SecretName::SipPassword, b"pw")
            .unwrap();
    }
    fs::write(tmp.path().join("secrets.key"), [7u8; 32]).unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    let err = store.secret("a1", SecretName::SipPassword).unwrap_err();
    assert!(matches!(err, StoreError::Secret { .. }), "{err}");
}

#[test]
fn corrupt_database_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ringlet.db");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    fs::write(&path, &garbage).unwrap();
    let err = Store::open(tmp.path(), false).err().unwrap();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("ringlet.db"));
    assert_eq!(fs::read(&path).unwrap(), garbage);
}

#[test]
fn damaged_sqlite_file_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    {
        Store::open(tmp.path(), false).unwrap();
    }
    let path = tmp.path().join("ringlet.db");
    let mut bytes = fs::read(&path).unwrap();
    for byte in bytes.iter_mut().skip(16).take(100) {
        *byte = 0xFF;
    }
    fs::write(&path, &bytes).unwrap();
    assert!(Store::open(tmp.path(), false).is_err());
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn foreign_database_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ringlet.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, file TEXT); INSERT INTO photos VALUES (1, 'a.jpg');")
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let err = Store::open(tmp.path(), false).err().unwrap();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(!tmp.path().join("ringlet.db-wal").exists());
}

#[test]
fn newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let err = Store::open(tmp.path(), false).err().unwrap();
    assert!(
        matches!(err, StoreError::TooNew { found: 999, .. }),
        "{err}"
    );
}

/// The bodies of the messages a search finds (at most 10), newest first.
fn bodies_found(store: &Store, text: &str) -> Vec<String> {
    store
        .search_messages(text, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

#[test]
fn message_search_finds_substrings_in_any_script() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    store
        .ensure_conversation(
            "c1",
            &AccountId("a1".into()),
            "sip",
            "Bob",
            Some("sip:bob@example.org"),
            0,
        )
        .unwrap();
    store
        .insert_message(&message("c1", "Meeting moved to Thursday", 1))
        .unwrap();
    store
        .insert_message(&message("c1", "我們明天見面吧", 2))
        .unwrap();
    store
        .insert_message(&message("c1", "100% sure", 3))
        .unwrap();
    let found = |q: &str| bodies_found(&store, q);
    assert_eq!(found("thurs"), vec!["Meeting moved to Thursday"]);
    assert_eq!(found("明天見"), vec!["我們明天見面吧"]);
    assert_eq!(found("見面"), vec!["我們明天見面吧"]);
    assert_eq!(found("0%"), vec!["100% sure"]);
    assert!(found("\"quoted AND OR").is_empty());
}

#[test]
fn short_texts_are_found_past_the_newest_rows_through_the_term_list() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    store
        .ensure_conversation("c1", &AccountId("a1".into()), "one-to-one", "", None, 0)
        .unwrap();
    for (n, body) in ["x", "見", "ab end", "明天", "Zebra"].iter().enumerate() {
        let mut old = message("c1", body, n as i64);
        old.commit_id = Some(format!("old{n}"));
        store.insert_message(&old).unwrap();
    }
    // Past the rows a short search scans first (100 under test).
    store
        .atomically(|store| {
            for n in 0..150 {
                store.insert_message(&message("c1", &format!("filler {n}"), 10 + n))?;
            }
            Ok(())
        })
        .unwrap();
    let found = |q: &str| {
        let mut bodies = bodies_found(&store, q);
        bodies.sort();
        bodies
    };
    assert_eq!(found("明天"), ["明天"]);
    assert_eq!(found("見"), ["見"]);
    assert_eq!(found("x"), ["x"]);
    assert_eq!(found("d"), ["ab end"], "a character at the end of a body");
    assert_eq!(found("ze"), ["Zebra"], "case-insensitive");
    assert!(found("再見").is_empty());
    assert!(found("Q").is_empty());
    assert!(
        found("\u{1f}").is_empty(),
        "the index's end marker is not text"
    );
    assert_eq!(found("il").len(), 10, "a common text: the newest rows");
    // Edits and deletions keep the index right.
    store.update_message("c1", "old3", Some("後天")).unwrap();
    assert!(found("明天").is_empty());
    assert_eq!(found("後天"), ["後天"]);
    store.update_message("c1", "old1", None).unwrap();
    assert!(found("見").is_empty());
    store
        .conn
        .execute(
            "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
}

#[test]
fn duplicate_commits_are_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    store
        .ensure_conversation("c1", &AccountId("a1".into()), "one-to-one", "", None, 0)
        .unwrap();
    let mut commit = message("c1", "hello", 1);
    commit.commit_id = Some("abc".into());
    assert!(store.insert_message(&commit).unwrap().is_some());
    assert!(store.insert_message(&commit).unwrap().is_none());
}

#[test]
fn call_history_is_searchable_and_deleted_with_its_account() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    for (peer, at) in [("sip:bob@example.org", 10), ("sip:carol@example.org", 20)] {
        store
            .insert_call(&CallRecord {
                account_id: AccountId("a1".into()),
                peer: peer.into(),
                outgoing: true,
                started_at: at,
                duration_ms: 5000,
                end_reason: "hangup".into(),
                recording: None,
            })
            .unwrap();
    }
    assert_eq!(store.calls(None, 10).unwrap().len(), 2);
    let carol = store.calls(Some("carol"), 10).unwrap();
    assert_eq!(carol.len(), 1);
    assert_eq!(carol[0].started_at, 20);
    store.delete_account(&AccountId("a1".into())).unwrap();
    assert!(store.calls(None, 10).unwrap().is_empty());
    assert!(matches!(
        store.delete_account(&AccountId("a1".into())),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn atomically_rolls_back_every_write_on_error() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    let result: Result<(), StoreError> = store.atomically(|store| {
        store.insert_account(&sip_account("a1"))?;
        store.set_secret("a1", SecretName::SipPassword, b"pw")?;
        // A second account with the same id fails: nothing of the first may remain.
        store.insert_account(&sip_account("a1"))
    });
    assert!(result.is_err());
    assert!(store.accounts().unwrap().is_empty());
    assert_eq!(store.secret("a1", SecretName::SipPassword).unwrap(), None);
}

#[test]
fn a_transfer_is_recorded_once_and_its_progress_survives_a_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let row = TransferRow {
        id: "ab".repeat(32),
        account: AccountId("a1".into()),
        conversation: "cd".repeat(32),
        outgoing: false,
        device: "12D3KooWdevice".into(),
        offer: vec![1, 2, 3],
        manifest: None,
        path: String::new(),
        state: crate::model::TransferState::Offered,
        bytes_done: 0,
        resumed_from: 0,
        error: None,
        created_at: 5,
    };
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        assert!(store.insert_transfer(&row).unwrap());
        // The same file commit again (a second sync) changes nothing.
        assert!(
            !store
                .insert_transfer(&TransferRow {
                    state: crate::model::TransferState::Done,
                    ..row.clone()
                })
                .unwrap()
        );
        store
            .update_transfer(&TransferRow {
                state: crate::model::TransferState::Accepted,
                bytes_done: 3 << 20,
                resumed_from: 1 << 20,
                manifest: Some(vec![9; 64]),
                ..row.clone()
            })
            .unwrap();
    }
    let store = Store::open(tmp.path(), false).unwrap();
    let stored = store.transfer(&row.account, &row.id).unwrap().unwrap();
    assert_eq!(stored.state, "accepted");
    assert_eq!((stored.bytes_done, stored.resumed_from), (3 << 20, 1 << 20));
    assert_eq!(stored.manifest, Some(vec![9; 64]));
    assert_eq!(store.transfers(&row.account).unwrap(), vec![stored]);
    assert!(store.transfer(&row.account, "missing").unwrap().is_none());
}

#[test]
fn the_search_index_of_an_older_database_is_rebuilt_with_its_messages() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        store
            .ensure_conversation("c1", &AccountId("a1".into()), "sip", "", None, 0)
            .unwrap();
        for (n, body) in ["明天見", "see you", "x"].iter().enumerate() {
            store
                .insert_message(&message("c1", body, n as i64))
                .unwrap();
        }
        // Back to schema 5: the index as it was, over the bodies alone.
        store
            .conn
            .execute_batch(
                "DROP VIEW messages_fts_source;
                 DROP TABLE peer_profiles;
                 ALTER TABLE accounts DROP COLUMN picture;
                 ALTER TABLE accounts DROP COLUMN picture_ms;
                 DROP TABLE messages_fts_terms;
                 DROP TRIGGER messages_fts_insert;
                 DROP TRIGGER messages_fts_delete;
                 DROP TRIGGER messages_fts_update;
                 DROP TABLE messages_fts;
                 CREATE VIRTUAL TABLE messages_fts USING fts5 (
                     body, content = 'messages', content_rowid = 'id', tokenize = 'trigram');
                 CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                     INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
                 END;
                 CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                     INSERT INTO messages_fts (messages_fts, rowid, body)
                         VALUES ('delete', old.id, old.body);
                 END;
                 CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
                     INSERT INTO messages_fts (messages_fts, rowid, body)
                         VALUES ('delete', old.id, old.body);
                     INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
                 END;
                 INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
                 PRAGMA user_version = 5;",
            )
            .unwrap();
    }
    let store = Store::open(tmp.path(), false).unwrap();
    let found = |q: &str| bodies_found(&store, q);
    assert_eq!(found("見"), ["明天見"]);
    assert_eq!(found("x"), ["x"]);
    assert_eq!(found("you"), ["see you"]);
    assert!(found("再").is_empty());
    store
        .conn
        .execute(
            "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
}

#[test]
fn older_pages_end_before_a_row_in_the_conversations_order_and_reach_the_first_message() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    for (id, kind) in [("sip:a:bob", "sip"), ("p2p:me:ab", "one-to-one")] {
        store
            .ensure_conversation(id, &AccountId("a1".into()), kind, "Bob", None, 0)
            .unwrap();
    }
    // A SIP conversation is in time order: a late-stored message sent earlier goes first.
    for (body, sent_at) in [("b", 20), ("c", 30), ("d", 40), ("a", 10)] {
        store
            .insert_message(&message("sip:a:bob", body, sent_at))
            .unwrap();
    }
    let bodies = |records: &[MessageRecord]| -> Vec<String> {
        records.iter().map(|record| record.body.clone()).collect()
    };
    let newest = store.messages("sip:a:bob", None, None, 2).unwrap();
    assert_eq!(bodies(&newest), ["c", "d"]);
    assert!(newest.iter().all(|record| record.id > 0), "rows are told");
    let older = store
        .messages("sip:a:bob", None, Some(newest[0].id), 2)
        .unwrap();
    assert_eq!(bodies(&older), ["a", "b"]);
    let none = store
        .messages("sip:a:bob", None, Some(older[0].id), 2)
        .unwrap();
    assert!(none.is_empty());
    // A P2P conversation is in the order its messages were applied.
    for (body, sent_at) in [("x", 50), ("y", 5), ("z", 60)] {
        store
            .insert_message(&message("p2p:me:ab", body, sent_at))
            .unwrap();
    }
    let newest = store.messages("p2p:me:ab", None, None, 1).unwrap();
    assert_eq!(bodies(&newest), ["z"]);
    let older = store
        .messages("p2p:me:ab", None, Some(newest[0].id), 5)
        .unwrap();
    assert_eq!(bodies(&older), ["x", "y"]);
}

#[test]
fn sip_conversations_of_one_peer_under_two_spellings_merge_by_address_of_record() {
    let tmp = tempfile::tempdir().unwrap();
    let account = AccountId("a1".into());
    let spellings = [
        "sip:Bob@Example.org:5060;transport=udp",
        "sip:Bob@example.org",
    ];
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store.insert_account(&sip_account("a1")).unwrap();
        // Keyed as before schema 8: by the URI as it came.
        for (n, peer) in spellings.iter().enumerate() {
            let old_key = format!("sip:a1:{peer}");
            store
                .ensure_conversation(&old_key, &account, "sip", peer, Some(peer), n as i64)
                .unwrap();
            store
                .insert_message(&message(&old_key, &format!("hello {n}"), n as i64))
                .unwrap();
        }
        // A third peer already keyed by its address of record, with a name: untouched.
        let carol = ConversationId::sip(&account, "sip:carol@example.org");
        store
            .ensure_conversation(
                &carol.0,
                &account,
                "sip",
                "Carol",
                Some("sip:carol@example.org"),
                5,
            )
            .unwrap();
        store
            .conn
            .execute_batch(
                "ALTER TABLE accounts DROP COLUMN picture;
                 ALTER TABLE accounts DROP COLUMN picture_ms;
                 ALTER TABLE peer_profiles DROP COLUMN picture_hash;
                 ALTER TABLE peer_profiles DROP COLUMN picture;
                 PRAGMA user_version = 7;",
            )
            .unwrap();
    }
    let store = Store::open(tmp.path(), false).unwrap();
    let conversations = store.conversations().unwrap();
    let titles: Vec<(&str, &str)> = conversations
        .iter()
        .map(|c| (c.id.0.as_str(), c.title.as_str()))
        .collect();
    let bob = ConversationId::sip(&account, spellings[0]);
    assert_eq!(bob, ConversationId::sip(&account, spellings[1]));
    assert_eq!(bob.0, "sip:a1:sip:Bob@example.org");
    assert_eq!(conversations.len(), 2, "{titles:?}");
    assert!(
        titles.contains(&(bob.0.as_str(), "sip:Bob@example.org")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&("sip:a1:sip:carol@example.org", "Carol")),
        "{titles:?}"
    );
    let bodies: Vec<String> = store
        .messages(&bob.0, None, None, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["hello 0", "hello 1"]);
    // Received before SIP messages had a read state: taken as read.
    let unread = |store: &Store| {
        store
            .conversations()
            .unwrap()
            .into_iter()
            .find(|c| c.id == bob)
            .map(|c| c.unread)
    };
    assert_eq!(unread(&store), Some(0));
    // A new one is unread, across a restart, until the conversation is read.
    store.insert_message(&message(&bob.0, "new", 10)).unwrap();
    drop(store);
    let store = Store::open(tmp.path(), false).unwrap();
    assert_eq!(unread(&store), Some(1));
    assert_eq!(store.mark_sip_read(&bob.0).unwrap(), 1);
    assert_eq!(unread(&store), Some(0));
    assert_eq!(store.mark_sip_read(&bob.0).unwrap(), 0);
}

#[test]
fn a_peers_picture_is_kept_only_when_it_is_the_one_its_newest_profile_names() {
    let store = Store::open(tempfile::tempdir().unwrap().path(), false).unwrap();
    store.insert_account(&sip_account("a1")).unwrap();
    let (us, peer) = (AccountId("a1".into()), AccountId("p".into()));
    let change = |name: &str, hash: &str, ms: i64| {
        store.set_peer_profile(&us, &peer, name, hash, ms).unwrap()
    };
    let held = || store.peer_profiles(&us).unwrap();
    // A name and a picture named: the picture is wanted.
    let first = change("Pat", "h1", 10);
    assert!(first.name && first.picture && first.picture_wanted);
    // Only the picture named is kept.
    assert!(!store.set_peer_picture(&us, &peer, "h0", b"other").unwrap());
    assert!(store.set_peer_picture(&us, &peer, "h1", b"one").unwrap());
    let profiles = held();
    assert_eq!(profiles[0].name, "Pat");
    assert_eq!(
        profiles[0]
            .picture
            .as_ref()
            .map(|p| (p.hash.as_str(), p.bytes.as_slice())),
        Some(("h1", b"one".as_slice()))
    );
    // An older or same list changes nothing and wants nothing: the picture is held.
    let same = change("Old", "h0", 10);
    assert!(!same.name && !same.picture && !same.picture_wanted);
    // A newer list without a name keeps the name; a new hash drops the old picture.
    let newer = change("", "h2", 20);
    assert!(!newer.name && newer.picture && newer.picture_wanted);
    assert_eq!(held()[0].name, "Pat");
    assert!(held()[0].picture.is_none());
    // Not fetched yet: still wanted at the next meeting, even from an older list.
    assert!(change("Pat", "h2", 15).picture_wanted);
    // Removed.
    let removed = change("Pat", "", 30);
    assert!(removed.picture && !removed.picture_wanted);
    assert!(held()[0].picture.is_none());
}
