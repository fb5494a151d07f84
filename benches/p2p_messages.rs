//! P2P messaging between two engines in this process, bootstrapped by a real `ringlet node`
//! on loopback: message latency (send command to the peer's `MessageAdded`, p50/p99 of
//! 1,000 one at a time), sustained messages per second (10,000 sent back to back), and the
//! sync time of that 10,000-message history to a newly linked device of the sender.
//!
//! `cargo bench --bench p2p_messages` (prints the figures; BENCHMARKS.md has them).

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use ringlet::engine::{
    Command, ContactAnswer, Engine, EngineConfig, EngineHandle, Event, P2pOptions, RequestId,
    Secret,
};
use ringlet::media::devices::AudioBackend;
use ringlet::paths::Paths;

/// Counts under `cargo bench`; `cargo test` (no `--bench` argument) runs a small smoke pass.
const LATENCY_ROUNDS: usize = 1_000;
const BURST: usize = 10_000;
const SMOKE_ROUNDS: usize = 20;
const SMOKE_BURST: usize = 200;

struct Node(Child, String);

impl Drop for Node {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn node(dir: &Path) -> Node {
    let mut child = Process::new(env!("CARGO_BIN_EXE_ringlet"))
        .arg("--data-dir")
        .arg(dir)
        .args(["node", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .env("RINGLET_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let address = std::io::BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("listen ").map(str::to_owned))
        .unwrap();
    Node(child, address)
}

fn engine(dir: &Path, bootstrap: &str) -> (EngineHandle, Receiver<Event>) {
    let mut config = EngineConfig::new(Paths::in_dir(dir));
    config.use_keyring = false;
    config.audio = AudioBackend::Disabled;
    config.p2p = P2pOptions::loopback();
    config.p2p.bootstrap = vec![bootstrap.parse().unwrap()];
    Engine::start(config, Arc::new(|| {})).unwrap()
}

fn wait_for<T>(events: &Receiver<Event>, mut want: impl FnMut(&Event) -> Option<T>) -> T {
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(120))
            .expect("an event in time");
        if let Some(found) = want(&event) {
            return found;
        }
    }
}

fn create_account(handle: &EngineHandle, events: &Receiver<Event>, name: &str) -> String {
    let request = RequestId::next();
    handle.send(Command::CreateP2pAccount {
        request,
        name: name.into(),
        device_name: Some(name.into()),
    });
    wait_for(events, |event| match event {
        Event::AccountAdded {
            request: Some(r),
            account,
        } if *r == request => Some(account.id.0.clone()),
        _ => None,
    })
}

fn send(handle: &EngineHandle, account: &str, peer: &str, text: String) {
    handle.send(Command::SendMessage {
        request: RequestId::next(),
        account: ringlet::model::AccountId(account.into()),
        uri: peer.into(),
        text,
    });
}

fn received(event: &Event) -> Option<String> {
    match event {
        Event::MessageAdded {
            text,
            outgoing: false,
            ..
        } => Some(text.clone()),
        _ => None,
    }
}

#[expect(clippy::disallowed_methods, reason = "a benchmark reads the clock")]
fn main() {
    let benching = std::env::args().any(|arg| arg == "--bench");
    let (rounds, burst) = if benching {
        (LATENCY_ROUNDS, BURST)
    } else {
        (SMOKE_ROUNDS, SMOKE_BURST)
    };
    let tmp = tempfile::tempdir().unwrap();
    let node = node(&tmp.path().join("node"));
    let (alice, alice_events) = engine(&tmp.path().join("alice"), &node.1);
    let (bob, bob_events) = engine(&tmp.path().join("bob"), &node.1);
    let alice_id = create_account(&alice, &alice_events, "alice");
    let bob_id = create_account(&bob, &bob_events, "bob");

    let asked = Instant::now();
    alice.send(Command::AddContact {
        request: RequestId::next(),
        account: ringlet::model::AccountId(alice_id.clone()),
        uri: bob_id.clone(),
        name: "bob".into(),
    });
    wait_for(&bob_events, |event| match event {
        Event::ContactAdded { contact, .. }
            if contact.state == ringlet::model::ContactState::Incoming =>
        {
            Some(())
        }
        _ => None,
    });
    println!(
        "contact request found its way (DHT lookup, dial, hello) in {:.0} ms",
        asked.elapsed().as_secs_f64() * 1e3
    );
    bob.send(Command::AnswerContact {
        request: RequestId::next(),
        account: ringlet::model::AccountId(bob_id.clone()),
        peer: alice_id.clone(),
        answer: ContactAnswer::Accept,
    });
    wait_for(&alice_events, |event| match event {
        Event::ContactAdded { contact, .. }
            if contact.state == ringlet::model::ContactState::Confirmed =>
        {
            Some(())
        }
        _ => None,
    });

    let mut latencies = Vec::with_capacity(rounds);
    for n in 0..rounds {
        let text = format!("ping {n}");
        let start = Instant::now();
        send(&alice, &alice_id, &bob_id, text.clone());
        wait_for(&bob_events, |event| {
            (received(event).as_deref() == Some(text.as_str())).then_some(())
        });
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "latency over {rounds} messages: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(latencies[rounds / 2]),
        ms(latencies[rounds * 99 / 100]),
        ms(latencies[rounds - 1])
    );

    let start = Instant::now();
    for n in 0..burst {
        send(&alice, &alice_id, &bob_id, format!("burst {n}"));
    }
    let mut got = 0;
    while got < burst {
        wait_for(&bob_events, |event| {
            received(event)
                .filter(|t| t.starts_with("burst "))
                .map(|_| ())
        });
        got += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "sustained: {burst} messages in {seconds:.2} s = {:.0} messages/s (each signed, verified, stored on both sides)",
        burst as f64 / seconds
    );

    // A new device of alice's account syncs the whole history (11,000 messages + join).
    let archive = tmp.path().join("alice.ringlet");
    let request = RequestId::next();
    alice.send(Command::ExportArchive {
        request,
        account: ringlet::model::AccountId(alice_id.clone()),
        path: archive.clone(),
        passphrase: Secret("bench passphrase".into()),
    });
    wait_for(&alice_events, |event| {
        matches!(event, Event::ArchiveExported { request: r, .. } if *r == request).then_some(())
    });
    let (phone, phone_events) = engine(&tmp.path().join("phone"), &node.1);
    let start = Instant::now();
    phone.send(Command::ImportArchive {
        request: RequestId::next(),
        path: archive,
        passphrase: Secret("bench passphrase".into()),
        device_name: Some("phone".into()),
    });
    let total = rounds + burst;
    let mut synced = 0;
    while synced < total {
        wait_for(&phone_events, |event| match event {
            Event::MessageAdded { .. } => Some(()),
            _ => None,
        });
        synced += 1;
    }
    println!(
        "new device synced {total} messages in {:.2} s (import, find the other device, fetch in pages of 256)",
        start.elapsed().as_secs_f64()
    );
    for handle in [&alice, &bob, &phone] {
        handle.send(Command::Shutdown);
    }
}
