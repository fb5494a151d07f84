//! What surrounds P2P messages, between real `ringlet` processes on loopback through a real
//! `ringlet node`: delivered and read receipts, edits and deletions for everyone (only by
//! the author), and the typing indicator.

mod common;

use std::time::Duration;

use common::p2p::{Pair, messages};
use common::{EventLog, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn receipts_edits_deletions_and_typing_reach_the_other_side() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = Pair::befriended(tmp.path(), None);
    let ((alice, alice_id), (bob, bob_id)) = (&pair.alice, &pair.bob);
    let (alice_id, bob_id) = (alice_id.as_str(), bob_id.as_str());
    // Bob's engine events, for the typing indicator.
    let events = EventLog::start(&pair.bob_dir);

    for text in ["first", "second"] {
        stdout_ok(&alice.ctl(&["message", "alice", bob_id, text]));
    }
    assert!(wait_until(LIMIT, || messages(bob, "bob", alice_id).len() == 2));
    // Delivered: Bob's device stored them and told Alice's.
    let receipts = |want: &str| {
        wait_until(LIMIT, || {
            let ours = messages(alice, "alice", bob_id);
            ours.len() == 2 && ours.iter().all(|m| m["receipt"] == want)
        })
    };
    assert!(
        receipts("delivered"),
        "{:#?}",
        messages(alice, "alice", bob_id)
    );
    // Read: Bob marks the conversation read.
    let read: serde_json::Value =
        serde_json::from_str(&stdout_ok(&bob.ctl(&["read", "bob", alice_id]))).unwrap();
    assert_eq!(read["read"], 2);
    assert!(receipts("read"), "{:#?}", messages(alice, "alice", bob_id));
    assert!(
        messages(bob, "bob", alice_id)
            .iter()
            .all(|m| m["receipt"] == "read")
    );

    // Edit and delete for everyone, by the author only.
    let ours = messages(alice, "alice", bob_id);
    let first = ours[0]["commit_id"].as_str().unwrap().to_owned();
    let second = ours[1]["commit_id"].as_str().unwrap().to_owned();
    stdout_ok(&alice.ctl(&["message-edit", "alice", bob_id, &first, "first, edited"]));
    let edited = wait_until(LIMIT, || {
        let theirs = messages(bob, "bob", alice_id);
        theirs[0]["body"] == "first, edited" && theirs[0]["state"] == "edited"
    });
    assert!(edited, "{:#?}", messages(bob, "bob", alice_id));
    let refused = bob.ctl(&["message-edit", "bob", alice_id, &first, "not mine"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("only its author"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    stdout_ok(&alice.ctl(&["message-delete", "alice", bob_id, &second]));
    let deleted = wait_until(LIMIT, || {
        let theirs = messages(bob, "bob", alice_id);
        theirs[1]["state"] == "deleted" && theirs[1]["body"] == ""
    });
    assert!(deleted, "{:#?}", messages(bob, "bob", alice_id));
    // Searching no longer finds the deleted text.
    let found = stdout_ok(&bob.ctl(&["messages", "bob", alice_id, "--search", "second"]));
    assert_eq!(found, "[]");

    // Typing: on, then off.
    let seen = |typing: bool| {
        let needle = format!(r#""peer":"{alice_id}","typing":{typing}"#);
        events.wait_for("typing", &needle, LIMIT)
    };
    stdout_ok(&alice.ctl(&["typing", "alice", bob_id, "on"]));
    assert!(seen(true), "{:#?}", events.lines());
    stdout_ok(&alice.ctl(&["typing", "alice", bob_id, "off"]));
    assert!(seen(false), "{:#?}", events.lines());

    // Alice's only device goes away: Bob's contact list shows her offline.
    let alice_id = alice_id.to_owned();
    let Pair {
        alice: (alice, _),
        bob: _bob,
        node: _node,
        ..
    } = pair;
    alice.kill();
    let needle = format!(r#""uri":"{alice_id}","online":false"#);
    assert!(
        events.wait_for("contact-presence", &needle, LIMIT),
        "{:#?}",
        events.lines()
    );
}
