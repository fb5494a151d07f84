//! Files in P2P conversations between real `ringlet` processes on loopback, bootstrapped by
//! a real `ringlet node`: a 100 MB file whose receiver is killed midway resumes after the
//! restart from the chunks it had verified and ends identical to what was sent; small files
//! are fetched at once; a sender whose file no longer matches its offer is caught by the
//! chunk hashes and nothing is kept; a device that received a file serves it to a device of
//! the same account when the sender is away.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::p2p::{Pair, messages, node_info};
use crate::common::{Daemon, stdout_ok, wait_until};
use sha2::{Digest as _, Sha256};

const LIMIT: Duration = Duration::from_secs(60);

/// `len` bytes of a seeded xorshift stream (incompressible, reproducible).
fn write_random(path: &Path, len: usize, seed: u64) -> [u8; 32] {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    std::fs::write(path, &bytes).unwrap();
    Sha256::digest(&bytes).into()
}

fn sha256_of(path: &Path) -> [u8; 32] {
    Sha256::digest(std::fs::read(path).unwrap()).into()
}

fn files(daemon: &Daemon, account: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&stdout_ok(&daemon.ctl(&["files", account]))).unwrap()
}

fn file(daemon: &Daemon, account: &str, id: &str) -> Option<serde_json::Value> {
    files(daemon, account)
        .into_iter()
        .find(|transfer| transfer["id"] == id)
}

fn send(daemon: &Daemon, account: &str, peer: &str, path: &Path) -> String {
    let sent: serde_json::Value = serde_json::from_str(&stdout_ok(&daemon.ctl(&[
        "send-file",
        account,
        peer,
        path.to_str().unwrap(),
    ])))
    .unwrap();
    assert_eq!(sent["outgoing"], true, "{sent:#}");
    sent["id"].as_str().unwrap().to_owned()
}

/// Waits until the transfer is in `state`; returns it.
fn wait_state(
    daemon: &Daemon,
    account: &str,
    id: &str,
    state: &str,
    limit: Duration,
) -> serde_json::Value {
    let mut last = None;
    let reached = wait_until(limit, || {
        last = file(daemon, account, id);
        last.as_ref()
            .is_some_and(|transfer| transfer["state"] == state)
    });
    assert!(reached, "never {state}: {last:#?}\n{:#}", node_info(daemon));
    last.unwrap()
}

#[test]
fn a_hundred_megabyte_file_cut_off_midway_resumes_and_verifies() {
    const SIZE: usize = 100 * 1024 * 1024;
    let tmp = tempfile::tempdir().unwrap();
    let Pair {
        node,
        alice: (alice, alice_id),
        bob: (bob, bob_id),
        bob_dir,
    } = Pair::befriended(tmp.path(), None);

    let source = tmp.path().join("holiday.mkv");
    let digest = write_random(&source, SIZE, 0x5eed);
    let id = send(&alice, "alice", &bob_id, &source);
    // Above the automatic size (20 MiB by default): Bob is asked first.
    let offered = wait_state(&bob, "bob", &id, "offered", LIMIT);
    assert_eq!(offered["size"], SIZE as u64);
    assert_eq!(offered["name"], "holiday.mkv");
    let shown = messages(&bob, "bob", &alice_id);
    assert!(
        shown
            .iter()
            .any(|m| m["body"].as_str().unwrap_or("").contains("holiday.mkv")),
        "{shown:#?}"
    );
    stdout_ok(&bob.ctl(&["file", "accept", "bob", &id]));

    // Bob dies (SIGKILL) once a good part of the file is on his disk.
    let part: PathBuf = bob_dir.join("downloads").join(format!(".{id}.part"));
    let midway = wait_until(LIMIT, || {
        std::fs::metadata(&part).is_ok_and(|meta| meta.len() >= SIZE as u64 / 3)
    });
    assert!(
        midway,
        "the download did not get going: {:#?}",
        file(&bob, "bob", &id)
    );
    bob.kill();
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(
        kept < SIZE as u64,
        "the download finished before it was cut off"
    );

    // Back up: it resumes from what it had verified, not from the start, and completes.
    let bob = Daemon::start_with(&bob_dir, &["--bootstrap", &node.address]);
    let done = wait_state(&bob, "bob", &id, "done", Duration::from_secs(180));
    let resumed_from = done["resumed_from"].as_u64().unwrap();
    assert!(
        resumed_from >= SIZE as u64 / 4 && resumed_from <= kept,
        "resumed from {resumed_from} of {kept} bytes on disk"
    );
    assert_eq!(done["bytes_done"], SIZE as u64);
    let received = PathBuf::from(done["path"].as_str().unwrap());
    assert_eq!(received, bob_dir.join("downloads").join("holiday.mkv"));
    assert_eq!(sha256_of(&received), digest, "the file arrived intact");
    assert!(!part.exists(), "the partial file is gone");
    // The sending side saw every chunk go out.
    let sent = wait_state(&alice, "alice", &id, "done", LIMIT);
    assert_eq!(sent["bytes_done"], SIZE as u64);
}

#[test]
fn small_files_come_at_once_and_a_file_that_changed_is_refused_by_its_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    // Bob fetches files up to 4 MiB without asking.
    let Pair {
        node: _node,
        alice: (alice, _),
        bob: (bob, bob_id),
        bob_dir,
    } = Pair::befriended(tmp.path(), Some("auto_accept_files_mb = 4\n"));

    // Within the automatic size: fetched without asking, and identical.
    let small = tmp.path().join("notes.txt");
    let digest = write_random(&small, 3 * 1024 * 1024 + 17, 7);
    let id = send(&alice, "alice", &bob_id, &small);
    let done = wait_state(&bob, "bob", &id, "done", LIMIT);
    assert_eq!(done["resumed_from"], 0);
    assert_eq!(sha256_of(Path::new(done["path"].as_str().unwrap())), digest);

    // Offered, then changed on Alice's disk (same size) before Bob accepts: every chunk
    // Bob gets from the changed part fails its hash, and after a few the download is given
    // up, with no file left behind.
    let changing = tmp.path().join("draft.bin");
    write_random(&changing, 5 * 1024 * 1024, 11);
    let id = send(&alice, "alice", &bob_id, &changing);
    wait_state(&bob, "bob", &id, "offered", LIMIT);
    let mut bytes = std::fs::read(&changing).unwrap();
    for byte in &mut bytes[1024 * 1024..] {
        *byte ^= 0x5a;
    }
    std::fs::write(&changing, &bytes).unwrap();
    stdout_ok(&bob.ctl(&["file", "accept", "bob", &id]));
    let failed = wait_state(&bob, "bob", &id, "failed", LIMIT);
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("did not match their hashes"), "{error}");
    let refused = node_info(&bob)[0]["file_chunks_refused"].as_u64().unwrap();
    assert!(refused >= 8, "{refused} chunks refused");
    assert!(!bob_dir.join("downloads").join("draft.bin").exists());

    // A file Bob declines is never fetched.
    let declined = tmp.path().join("big.iso");
    write_random(&declined, 21 * 1024 * 1024, 13);
    let id = send(&alice, "alice", &bob_id, &declined);
    wait_state(&bob, "bob", &id, "offered", LIMIT);
    let answer = stdout_ok(&bob.ctl(&["file", "decline", "bob", &id]));
    assert!(answer.contains("declined"), "{answer}");
    assert_eq!(file(&alice, "alice", &id).unwrap()["bytes_done"], 0);
}

#[test]
fn a_device_that_received_a_file_serves_it_when_the_sender_is_away() {
    let tmp = tempfile::tempdir().unwrap();
    let Pair {
        node,
        alice: (alice, _),
        bob: (bob, bob_id),
        bob_dir: _,
    } = Pair::befriended(tmp.path(), Some("auto_accept_files_mb = 4\n"));

    // Bob links a tablet by PIN, which then goes away.
    let offer: serde_json::Value =
        serde_json::from_str(&stdout_ok(&bob.ctl(&["account", "link-pin", "bob"]))).unwrap();
    let pin = offer["pin"].as_str().unwrap();
    let tablet_dir = tmp.path().join("tablet");
    let tablet = Daemon::start_with(&tablet_dir, &["--bootstrap", &node.address]);
    let joined = tablet.ctl(&["account", "link", pin, "--device-name", "tablet"]);
    assert_eq!(stdout_ok(&joined), bob_id);
    tablet.kill();

    // Alice sends a file, Bob's first device fetches it, and Alice goes away.
    let notes = tmp.path().join("notes.bin");
    let digest = write_random(&notes, 3 * 1024 * 1024 + 5, 17);
    let id = send(&alice, "alice", &bob_id, &notes);
    wait_state(&bob, "bob", &id, "done", LIMIT);
    alice.kill();

    // The tablet comes back, learns of the file from Bob's first device, and fetches it
    // from there: the bytes are checked against Alice's offer, whoever serves them.
    let tablet = Daemon::start_with(&tablet_dir, &["--bootstrap", &node.address]);
    let done = wait_state(&tablet, "bob", &id, "done", LIMIT);
    assert_eq!(done["outgoing"], false);
    assert_eq!(sha256_of(Path::new(done["path"].as_str().unwrap())), digest);
    // Serving it changed nothing in Bob's own record of the file.
    let kept = file(&bob, "bob", &id).unwrap();
    assert_eq!(kept["state"], "done");
    assert_eq!(kept["outgoing"], false);
    assert_eq!(sha256_of(Path::new(kept["path"].as_str().unwrap())), digest);
}

#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "the test times the daemon's answers with the clock"
)]
fn a_file_over_the_limit_is_refused_at_once_and_hashing_never_stalls_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = crate::common::p2p::Pair::befriended(tmp.path(), Some("max_file_mb = 1024\n"));
    let (bob, _) = &pair.bob;
    let alice_id = pair.alice.1.clone();
    // 4 GiB (sparse): refused by its size, before a byte of it is hashed.
    let big = tmp.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let refused = bob.ctl(&["send-file", "bob", &alice_id, big.to_str().unwrap()]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("larger than"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(2), "refused after {took:?}");
    // 900 MiB under the limit: hashed off the engine's loop, which answers meanwhile.
    let large = tmp.path().join("large.bin");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(900 << 20)
        .unwrap();
    let sender = {
        let dir = pair.bob_dir.clone();
        let (alice_id, large) = (alice_id.clone(), large.clone());
        std::thread::spawn(move || {
            crate::common::ctl(
                &dir,
                &["send-file", "bob", &alice_id, large.to_str().unwrap()],
                None,
            )
        })
    };
    let mut answered_while_hashing = 0;
    let mut slowest = Duration::ZERO;
    while !sender.is_finished() {
        let asked = std::time::Instant::now();
        assert!(node_info(bob).is_array());
        slowest = slowest.max(asked.elapsed());
        if !sender.is_finished() {
            answered_while_hashing += 1;
        }
    }
    let sent = sender.join().unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    eprintln!(
        "{answered_while_hashing} engine commands answered while hashing; slowest {slowest:?}"
    );
    assert!(answered_while_hashing >= 1);
    assert!(
        slowest < Duration::from_secs(1),
        "an engine command took {slowest:?}"
    );
}
