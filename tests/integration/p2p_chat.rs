//! What surrounds P2P messages, between real `ringlet` processes on loopback through a real
//! `ringlet node`: delivered and read receipts, edits and deletions for everyone (only by
//! the author), and the typing indicator.

use std::time::Duration;

use crate::common::p2p::{Pair, messages, texts};
use crate::common::{EventLog, stdout_ok, wait_until};

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
        bob: (bob, _),
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
    // `ctl contacts` says so too.
    let listed = crate::common::p2p::contacts(&bob, "bob");
    let alice_row = listed
        .iter()
        .find(|contact| contact["uri"] == alice_id.as_str());
    assert_eq!(
        alice_row.map(|contact| contact["online"].clone()),
        Some(serde_json::Value::Bool(false)),
        "{listed:?}"
    );
}

/// Alice's daemon is SIGKILLed while a client streams 10,000 messages into it over its
/// control socket and they flow to Bob; after her restart Bob has every message she
/// acknowledged (and whatever else she stored), once each, in order.
#[test]
fn a_sender_killed_during_ten_thousand_messages_loses_and_duplicates_nothing_it_acknowledged() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const COUNT: usize = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let alice_dir = tmp.path().join("alice");
    let Pair {
        node,
        alice: (alice, alice_id),
        bob: (bob, bob_id),
        ..
    } = Pair::befriended(tmp.path(), None);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let sender = {
        let socket = alice_dir.join("ringlet.sock");
        let acknowledged = acknowledged.clone();
        let bob_id = bob_id.clone();
        std::thread::spawn(move || {
            let Ok(mut stream) = std::os::unix::net::UnixStream::connect(&socket) else {
                return;
            };
            let Ok(reading) = stream.try_clone() else {
                return;
            };
            let mut replies = BufReader::new(reading);
            for n in 0..COUNT {
                let request = serde_json::json!({
                    "method": "message", "account": "alice", "uri": bob_id,
                    "text": format!("m{n:05}"),
                });
                if writeln!(stream, "{request}").is_err() {
                    return;
                }
                let mut reply = String::new();
                if replies.read_line(&mut reply).unwrap_or(0) == 0 || !reply.contains("\"ok\"") {
                    return;
                }
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let third = wait_until(Duration::from_secs(120), || {
        messages(&bob, "bob", &alice_id).len() >= COUNT / 3
    });
    assert!(third, "bob got {}", messages(&bob, "bob", &alice_id).len());
    alice.kill();
    sender.join().unwrap();
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let at_kill = messages(&bob, "bob", &alice_id).len();
    println!("alice killed with {acknowledged} acknowledged, bob holding {at_kill}");

    let alice = crate::common::Daemon::start_with(&alice_dir, &["--bootstrap", &node.address]);
    let stored = messages(&alice, "alice", &bob_id).len();
    assert!(
        stored >= acknowledged,
        "alice lost acknowledged messages: {stored} < {acknowledged}"
    );
    let caught_up = wait_until(Duration::from_secs(240), || {
        messages(&bob, "bob", &alice_id).len() >= stored
    });
    let got = texts(&messages(&bob, "bob", &alice_id));
    assert!(caught_up, "bob has {} of {stored}", got.len());
    let expected: Vec<String> = (0..stored).map(|n| format!("m{n:05}")).collect();
    assert_eq!(got, expected, "every stored message once, in order");
}

/// The name an account gives itself (its profile) reaches the accounts it meets, in its
/// signed device list; it follows a rename and is kept across a restart. A name the user
/// gave the contact stays what the contact is called.
#[test]
fn an_accounts_own_name_reaches_those_it_meets_and_follows_a_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = Pair::befriended(tmp.path(), None);
    let alice_id = pair.alice.1.clone();
    let bob_id = pair.bob.1.clone();
    let profile = |daemon: &crate::common::Daemon, account: &str, peer: &str| {
        crate::common::p2p::contacts(daemon, account)
            .into_iter()
            .find(|contact| contact["uri"] == peer)
            .map(|contact| (contact["display_name"].clone(), contact["profile"].clone()))
    };
    // Each learnt the other's name when they met.
    assert!(
        wait_until(LIMIT, || profile(&pair.bob.0, "bob", &alice_id)
            .is_some_and(|(_, name)| name == "alice")),
        "{:#?}",
        profile(&pair.bob.0, "bob", &alice_id)
    );
    assert!(wait_until(LIMIT, || profile(
        &pair.alice.0,
        "alice",
        &bob_id
    )
    .is_some_and(|(_, name)| name == "bob")));
    // Alice renames her account: Bob's device hears it; his name for her stays.
    stdout_ok(
        &pair
            .alice
            .0
            .ctl(&["account", "rename", "alice", "Alice Liddell"]),
    );
    let renamed = wait_until(LIMIT, || {
        profile(&pair.bob.0, "bob", &alice_id)
            .is_some_and(|(given, name)| name == "Alice Liddell" && given == "alice")
    });
    assert!(renamed, "{:#?}", profile(&pair.bob.0, "bob", &alice_id));
    // Kept: Bob's daemon starts again and still knows it.
    let Pair {
        node,
        alice: _alice,
        bob: (bob, _),
        bob_dir,
    } = pair;
    drop(bob);
    let bob = crate::common::Daemon::start_with(&bob_dir, &["--bootstrap", &node.address]);
    let kept = wait_until(LIMIT, || {
        profile(&bob, "bob", &alice_id).is_some_and(|(_, name)| name == "Alice Liddell")
    });
    assert!(kept, "{:#?}", profile(&bob, "bob", &alice_id));
}

/// A picture an account sets (from a PNG or JPEG of any size) reaches its contacts, scaled
/// to a small square and named by its hash in the signed device list; a new one replaces it,
/// a restart keeps it, removing it reaches them too. A file that is not a picture is refused
/// with a reason.
#[test]
fn an_accounts_picture_reaches_its_contacts_and_follows_a_change() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = Pair::befriended(tmp.path(), None);
    let alice_id = pair.alice.1.clone();
    let picture_at_bob = |bob: &crate::common::Daemon| {
        crate::common::p2p::contacts(bob, "bob")
            .into_iter()
            .find(|contact| contact["uri"] == alice_id.as_str())
            .map(|contact| contact["picture"].clone())
            .unwrap_or_default()
    };
    let set = |file: Option<&std::path::Path>| {
        let mut args = vec!["account".to_owned(), "picture".into(), "alice".into()];
        args.extend(file.map(|file| file.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pair.alice.0.ctl(&args)
    };
    // Not a picture: a clear error, and nothing changes.
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    let refused = set(Some(&text));
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("not a PNG or JPEG picture"), "{error}");
    // Too large to be read at all: refused before anything reads it.
    let huge = tmp.path().join("huge.png");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(21 << 20)
        .unwrap();
    let refused = set(Some(&huge));
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("too large for a picture"), "{error}");
    // A wide photo, as a JPEG.
    let photo = tmp.path().join("photo.jpg");
    image::RgbImage::from_fn(640, 360, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 90])
    })
    .save(&photo)
    .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&stdout_ok(&set(Some(&photo)))).unwrap();
    let first = answer["picture"].as_str().unwrap_or_default().to_owned();
    assert_eq!(first.len(), 64, "{answer}");
    let own = pair.alice.0.status()["accounts"][0]["picture"].clone();
    assert_eq!(own, first.as_str());
    assert!(
        wait_until(LIMIT, || picture_at_bob(&pair.bob.0) == first.as_str()),
        "{}",
        picture_at_bob(&pair.bob.0)
    );
    // Another picture (a PNG) replaces it.
    let logo = tmp.path().join("logo.png");
    image::RgbaImage::from_fn(64, 64, |x, _| image::Rgba([200, 30, 30, (x * 4) as u8]))
        .save(&logo)
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&stdout_ok(&set(Some(&logo)))).unwrap();
    let second = answer["picture"].as_str().unwrap_or_default().to_owned();
    assert!(second.len() == 64 && second != first, "{answer}");
    assert!(
        wait_until(LIMIT, || picture_at_bob(&pair.bob.0) == second.as_str()),
        "{}",
        picture_at_bob(&pair.bob.0)
    );
    // Kept: Bob's daemon starts again and still shows it.
    let Pair {
        node,
        alice,
        bob: (bob, _),
        bob_dir,
    } = pair;
    drop(bob);
    let bob = crate::common::Daemon::start_with(&bob_dir, &["--bootstrap", &node.address]);
    assert!(
        wait_until(LIMIT, || picture_at_bob(&bob) == second.as_str()),
        "{}",
        picture_at_bob(&bob)
    );
    // Removed: gone at Bob's too.
    let answer: serde_json::Value =
        serde_json::from_str(&stdout_ok(&alice.0.ctl(&["account", "picture", "alice"]))).unwrap();
    assert!(answer["picture"].is_null(), "{answer}");
    assert!(
        wait_until(LIMIT, || picture_at_bob(&bob).is_null()),
        "{}",
        picture_at_bob(&bob)
    );
}
