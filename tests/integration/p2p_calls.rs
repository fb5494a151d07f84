//! Calls between P2P contacts, with no SIP server: two daemons on loopback meet through a
//! `ringlet node`, become contacts, and call with `ctl call ACCOUNT CONTACT`. The call runs
//! SIP over a libp2p stream and its SRTP over an RTP stream; each side sends its own tone
//! and what each side heard is analysed per 20 ms window. Strangers' and blocked
//! contacts' calls never ring, and a call to a contact with no device online fails fast.
//! A contact with two devices (linked by PIN) has both rung: the first answer wins and the
//! other device stops ringing; a decline on one ends the call for the caller.
#![expect(
    clippy::disallowed_methods,
    reason = "the calls run in real time and their setup is timed"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::audio::{
    ringlet_with_tone_and, samples_in, tone_share, tone_windows_after, try_tail, wait_tone,
};
use crate::common::capture::{Capture, is_rtp, tone_share_in_payloads, udp_datagrams};
use crate::common::netns::Lan;
use crate::common::p2p::{
    Node, add_p2p_account, befriend, contact_state, messages, node_info, texts,
};
use crate::common::{Daemon, calls, history, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(20);
const ALICE_TONE: f64 = 440.0;
const BOB_TONE: f64 = 880.0;
const CAROL_TONE: f64 = 1_700.0;

/// A node and two befriended daemons, each sending its tone into calls.
struct Callers {
    node: Node,
    dir: tempfile::TempDir,
    alice: (Daemon, String),
    bob: (Daemon, String),
    alice_heard: std::path::PathBuf,
    bob_heard: std::path::PathBuf,
}

fn callers() -> Callers {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("node"));
    let bootstrap = ["--bootstrap", node.address.as_str()];
    let alice_dir = dir.path().join("alice");
    let bob_dir = dir.path().join("bob");
    let alice = ringlet_with_tone_and(&alice_dir, ALICE_TONE, &bootstrap);
    let bob = ringlet_with_tone_and(&bob_dir, BOB_TONE, &bootstrap);
    let alice_id = add_p2p_account(&alice, "alice");
    let bob_id = add_p2p_account(&bob, "bob");
    befriend((&alice, "alice", &alice_id), (&bob, "bob", &bob_id));
    Callers {
        node,
        dir,
        alice: (alice, alice_id),
        bob: (bob, bob_id),
        alice_heard: alice_dir.join("heard.wav"),
        bob_heard: bob_dir.join("heard.wav"),
    }
}

/// Carol: a third daemon through the callers' node, with her tone and a P2P account (her
/// daemon, account id and directory; she hears into `heard.wav` there).
fn carol(c: &Callers) -> (Daemon, String, std::path::PathBuf) {
    let dir = c.dir.path().join("carol");
    let carol = ringlet_with_tone_and(&dir, CAROL_TONE, &["--bootstrap", c.node.address.as_str()]);
    let id = add_p2p_account(&carol, "carol");
    (carol, id, dir)
}

/// The share of 20 ms windows of the last `seconds` of `path` that carry `hz`.
fn share_of_last(path: &std::path::Path, hz: f64, seconds: f64) -> f64 {
    let (samples, rate) = try_tail(path, 0, seconds).unwrap_or_default();
    tone_share(&samples, rate, hz, 1_000.0)
}

fn the_call(daemon: &Daemon) -> Option<serde_json::Value> {
    calls(daemon).into_iter().next()
}

#[test]
fn a_call_between_contacts_carries_both_tones_end_to_end_encrypted() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());

    // Alice calls Bob by the name he registered in the DHT.
    stdout_ok(&bob.ctl(&["name", "register", "bob", "bob.builder"]));
    let placed = stdout_ok(&alice.ctl(&["call", alice_id, "bob.builder"]));
    assert!(placed.parse::<u64>().is_ok(), "call id: {placed}");
    let rung = wait_until(LIMIT, || {
        the_call(bob).is_some_and(|call| call["state"] == "incoming")
    });
    assert!(rung, "Bob's device did not ring: {:#?}", calls(bob));
    let incoming = the_call(bob).unwrap();
    assert_eq!(incoming["peer"], alice_id, "the caller is Alice's account");
    let answered_at = Instant::now();
    stdout_ok(&bob.ctl(&["answer", &incoming["id"].to_string()]));
    let active = wait_until(LIMIT, || {
        [alice, bob]
            .iter()
            .all(|daemon| the_call(daemon).is_some_and(|call| call["state"] == "active"))
    });
    assert!(active, "{:#?} {:#?}", calls(alice), calls(bob));

    wait_tone(&c.alice_heard, BOB_TONE, "Alice hears Bob", LIMIT);
    wait_tone(&c.bob_heard, ALICE_TONE, "Bob hears Alice", LIMIT);
    eprintln!(
        "both tones heard {:?} after the answer",
        answered_at.elapsed()
    );
    // Three more seconds of call, then every window of them is checked on both sides.
    let start = Instant::now();
    let lasted = wait_until(LIMIT, || {
        start.elapsed() >= Duration::from_secs(3)
            && [alice, bob].iter().all(|daemon| {
                the_call(daemon).is_some_and(|call| {
                    call["media"]["packets_received"].as_u64().unwrap_or(0) >= 200
                })
            })
    });
    assert!(lasted, "{:#?} {:#?}", calls(alice), calls(bob));
    let alice_share = share_of_last(&c.alice_heard, BOB_TONE, 3.0);
    let bob_share = share_of_last(&c.bob_heard, ALICE_TONE, 3.0);
    eprintln!(
        "over 3 s: Alice heard Bob in {:.1} %, Bob heard Alice in {:.1} % of windows",
        alice_share * 100.0,
        bob_share * 100.0
    );
    assert!(alice_share >= 0.9, "Alice heard Bob in {alice_share}");
    assert!(bob_share >= 0.9, "Bob heard Alice in {bob_share}");
    // Each side's status names the other's device and how the media travels: on the UDP
    // pair ICE found (both daemons are on this machine).
    let devices = [
        node_info(bob)[0]["node"]["peer_id"].clone(),
        node_info(alice)[0]["node"]["peer_id"].clone(),
    ];
    for (daemon, device) in [alice, bob].into_iter().zip(devices) {
        let call = the_call(daemon).unwrap();
        assert_eq!(call["media"]["srtp"], true, "{call:#}");
        assert_eq!(call["device"], device, "{call:#}");
        assert_eq!(call["path"], "udp-direct", "{call:#}");
        assert!(call["ice_pair"].as_str().is_some(), "{call:#}");
    }

    // A stranger on the network sends a STUN check (no credentials of this call) and a
    // packet that looks like RTP to Alice's ICE socket: both are refused and counted, and
    // the call goes on.
    let pair = the_call(alice).unwrap()["ice_pair"]
        .as_str()
        .unwrap()
        .to_owned();
    let local: std::net::SocketAddr = pair.split(' ').next().unwrap().parse().unwrap();
    let before = node_info(alice)[0]["ice_refused"].as_u64().unwrap();
    let any = if local.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let stranger = std::net::UdpSocket::bind(any).unwrap();
    let forged = ringlet::stun::binding_request(&[7; 12]);
    stranger.send_to(&forged, local).unwrap();
    stranger
        .send_to(&[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], local)
        .unwrap();
    let counted = wait_until(LIMIT, || {
        node_info(alice)[0]["ice_refused"].as_u64().unwrap() >= before + 2
    });
    assert!(counted, "{:#}", node_info(alice)[0]);
    assert_eq!(the_call(alice).unwrap()["path"], "udp-direct");

    // RFC 4733 digits reach Bob inside the encrypted media.
    let call = the_call(alice).unwrap()["id"].to_string();
    stdout_ok(&alice.ctl(&["dtmf", &call, "5#"]));
    let digits = wait_until(LIMIT, || {
        the_call(bob).is_some_and(|call| call["dtmf_received"] == "5#")
    });
    assert!(digits, "{:#?}", the_call(bob));

    stdout_ok(&alice.ctl(&["hangup", &call]));
    let ended = wait_until(LIMIT, || calls(alice).is_empty() && calls(bob).is_empty());
    assert!(ended, "{:#?} {:#?}", calls(alice), calls(bob));
    let bob_history = history(bob);
    assert_eq!(
        bob_history[0]["end_reason"], "remote-hangup",
        "{bob_history:#?}"
    );
    assert_eq!(bob_history[0]["peer"], alice_id, "{bob_history:#?}");
    // The call is in the conversation on both sides, with its duration.
    let logged = |daemon: &Daemon, account: &str, peer: &str| {
        texts(&messages(daemon, account, peer))
            .iter()
            .any(|text| text.starts_with("☎ Call, 0:0"))
    };
    let both = wait_until(LIMIT, || {
        logged(alice, "alice", bob_id) && logged(bob, "bob", alice_id)
    });
    assert!(both, "{:?}", texts(&messages(bob, "bob", alice_id)));
}

#[test]
fn a_blocked_contact_is_never_rung() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());

    // Bob blocks Alice: her call ends without his device ringing, and the refusal is
    // counted.
    stdout_ok(&bob.ctl(&["contact", "block", "bob", alice_id]));
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let refused = wait_until(LIMIT, || {
        node_info(bob)[0]["calls_refused"].as_u64().unwrap_or(0) >= 1
    });
    assert!(refused, "{:#}", node_info(bob));
    let ended = wait_until(LIMIT, || calls(alice).is_empty());
    assert!(ended, "{:#?}", calls(alice));
    assert!(calls(bob).is_empty(), "{:#?}", calls(bob));
    assert!(
        history(bob).is_empty(),
        "a blocked caller left a trace: {:#?}",
        history(bob)
    );
}

const TABLET_TONE: f64 = 660.0;

/// The id of the one call a daemon has, waiting until it has one in `state`.
fn call_in_state(daemon: &Daemon, state: &str, who: &str) -> String {
    let found = wait_until(LIMIT, || {
        the_call(daemon).is_some_and(|call| call["state"] == state)
    });
    assert!(
        found,
        "{who}: {:#?}, history {:#?}",
        calls(daemon),
        history(daemon).first()
    );
    the_call(daemon).unwrap()["id"].to_string()
}

#[test]
fn every_device_of_the_contact_rings_the_first_answer_wins_and_a_decline_ends_it() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    // Bob links a tablet to his account; it sends its own tone.
    let tablet_dir = c.dir.path().join("tablet");
    let tablet_heard = tablet_dir.join("heard.wav");
    let tablet = ringlet_with_tone_and(
        &tablet_dir,
        TABLET_TONE,
        &["--bootstrap", c.node.address.as_str()],
    );
    let offer: serde_json::Value =
        serde_json::from_str(&stdout_ok(&bob.ctl(&["account", "link-pin", "bob"]))).unwrap();
    let pin = offer["pin"].as_str().unwrap();
    let linked = tablet.ctl(&["account", "link", pin, "--device-name", "tablet"]);
    assert_eq!(stdout_ok(&linked), bob_id);
    // Alice's device meets both of Bob's, and the tablet has learnt from Bob's other
    // device that Alice is a contact (a device takes calls only from those it knows).
    let met = wait_until(Duration::from_secs(30), || {
        node_info(alice)[0]["node"]["verified_peers"]
            .as_array()
            .is_some_and(|peers| peers.len() >= 2)
            && contact_state(&tablet, "bob", alice_id).as_deref() == Some("confirmed")
    });
    assert!(met, "{:#}", node_info(alice));

    // Both ring; the tablet answers; Bob's other device stops ringing at once.
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let at_bob = call_in_state(bob, "incoming", "Bob's first device");
    let at_tablet = call_in_state(&tablet, "incoming", "Bob's tablet");
    stdout_ok(&tablet.ctl(&["answer", &at_tablet]));
    let answered_at = Instant::now();
    let stopped = wait_until(LIMIT, || calls(bob).is_empty());
    let stopped_after = answered_at.elapsed();
    assert!(stopped, "{:#?}", calls(bob));
    eprintln!("the other device stopped ringing {stopped_after:?} after the answer");
    assert!(stopped_after < Duration::from_secs(1), "{stopped_after:?}");
    let bob_history = history(bob);
    assert_eq!(
        bob_history[0]["end_reason"], "answered-elsewhere",
        "{bob_history:#?}"
    );
    // Alice talks with the tablet, both ways.
    wait_tone(
        &c.alice_heard,
        TABLET_TONE,
        "Alice hears Bob's tablet",
        LIMIT,
    );
    wait_tone(&tablet_heard, ALICE_TONE, "Bob's tablet hears Alice", LIMIT);
    let _ = at_bob;
    // Bob's first device shows that his tablet is in a call with Alice.
    let elsewhere = |daemon: &Daemon| {
        daemon.status()["accounts"][0]["calls_elsewhere"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let shown = wait_until(LIMIT, || {
        elsewhere(bob)
            .iter()
            .any(|call| call["device"] == "tablet" && call["peer"] == alice_id)
    });
    assert!(shown, "{:#}", bob.status()["accounts"]);
    assert!(
        elsewhere(&tablet).is_empty(),
        "the tablet's own call is not 'elsewhere'"
    );
    stdout_ok(&alice.ctl(&["hangup", &call_in_state(alice, "active", "Alice")]));
    assert!(wait_until(LIMIT, || calls(alice).is_empty()
        && calls(&tablet).is_empty()));
    // And no longer once it ended.
    assert!(
        wait_until(LIMIT, || elsewhere(bob).is_empty()),
        "{:#}",
        bob.status()["accounts"]
    );

    // Again: this time Bob declines on his first device; the call ends for Alice as
    // declined and the tablet stops ringing.
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let at_bob = call_in_state(bob, "incoming", "Bob's first device");
    call_in_state(&tablet, "incoming", "Bob's tablet");
    stdout_ok(&bob.ctl(&["reject", &at_bob]));
    let over = wait_until(LIMIT, || {
        calls(alice).is_empty() && calls(bob).is_empty() && calls(&tablet).is_empty()
    });
    assert!(
        over,
        "{:#?} {:#?} {:#?}",
        calls(alice),
        calls(bob),
        calls(&tablet)
    );
    let alice_history = history(alice);
    assert_eq!(
        alice_history[0]["end_reason"], "declined",
        "{alice_history:#?}"
    );
}

#[test]
fn a_call_whose_callee_is_killed_ends_within_five_seconds_with_a_reason() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let bob_id = c.bob.1.clone();
    stdout_ok(&alice.ctl(&["call", alice_id, &bob_id]));
    let at_bob = call_in_state(&c.bob.0, "incoming", "Bob");
    stdout_ok(&c.bob.0.ctl(&["answer", &at_bob]));
    wait_tone(&c.alice_heard, BOB_TONE, "Alice hears Bob", LIMIT);
    // Held calls carry no RTP, yet they are not taken for dead.
    let call = call_in_state(alice, "active", "Alice");
    stdout_ok(&alice.ctl(&["hold", &call]));
    let quiet_from = Instant::now();
    wait_until(LIMIT, || quiet_from.elapsed() >= Duration::from_secs(4));
    assert_eq!(
        calls(alice).len(),
        1,
        "a held call ended: {:#?}",
        history(alice)
    );
    stdout_ok(&alice.ctl(&["resume", &call]));

    c.bob.0.kill();
    let killed_at = Instant::now();
    let ended = wait_until(LIMIT, || calls(alice).is_empty());
    let took = killed_at.elapsed();
    assert!(ended, "{:#?}", calls(alice));
    assert!(
        took < Duration::from_secs(5),
        "the call ended only after {took:?}"
    );
    let row = history(alice).into_iter().next().unwrap();
    eprintln!(
        "the call ended {took:?} after the callee was killed: {}",
        row["end_reason"]
    );
    assert_eq!(row["end_reason"], "connection-lost", "{row:#}");
}

/// The `p`-quantile of sorted durations.
pub(super) fn quantile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// Setup times over `RINGLET_CALL_SETUPS` calls (10 by default) from Alice (daemon,
/// account, what she hears; her tone is 440 Hz) to Bob (daemon, account id, what he hears;
/// 880 Hz): `ctl call` until the callee rings, and its answer until both sides have the
/// call up, both returned sorted; and, printed only, `ctl call` until each side hears the
/// other's tone. Printed with their p50 and p99 under `what`.
pub(super) fn setup_rounds(
    (alice, alice_account, alice_heard): (&Daemon, &str, &Path),
    (bob, bob_id, bob_heard): (&Daemon, &str, &Path),
    what: &str,
) -> (Vec<Duration>, Vec<Duration>) {
    let rounds: usize = std::env::var("RINGLET_CALL_SETUPS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10);
    let (mut ring, mut up, mut both_ways) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Audio both ways: each side heard the other's tone in three 20 ms windows
        // written after the call was placed (the files are flushed every 100 ms, so this
        // is late by up to that much).
        let before = (samples_in(alice_heard), samples_in(bob_heard));
        let hearing = || {
            tone_windows_after(alice_heard, before.0, BOB_TONE) >= 3
                && tone_windows_after(bob_heard, before.1, ALICE_TONE) >= 3
        };
        let placed_at = Instant::now();
        stdout_ok(&alice.ctl(&["call", alice_account, bob_id]));
        let at_bob = wait_until(LIMIT, || {
            the_call(bob).is_some_and(|call| call["state"] == "incoming")
        });
        assert!(
            at_bob,
            "Bob does not ring; Alice: {:#?} {:#?}",
            calls(alice),
            history(alice).first()
        );
        let at_bob = the_call(bob).unwrap()["id"].to_string();
        ring.push(placed_at.elapsed());
        let answered_at = Instant::now();
        stdout_ok(&bob.ctl(&["answer", &at_bob]));
        let id = call_in_state(alice, "active", "Alice");
        call_in_state(bob, "active", "Bob");
        up.push(answered_at.elapsed());
        let flowing = wait_until(LIMIT, hearing);
        assert!(
            flowing,
            "no audio both ways: {:#?} {:#?}",
            calls(alice),
            calls(bob)
        );
        both_ways.push(placed_at.elapsed());
        stdout_ok(&alice.ctl(&["hangup", &id]));
        let ended = wait_until(LIMIT, || calls(alice).is_empty() && calls(bob).is_empty());
        assert!(
            ended,
            "not ended {:?} after the hang-up: Alice {:#?} Bob {:#?}",
            placed_at.elapsed(),
            calls(alice),
            calls(bob)
        );
        // Two calls a second at most: faster is taken for an INVITE flood past 20.
        wait_until(LIMIT, || placed_at.elapsed() >= Duration::from_millis(500));
    }
    ring.sort();
    up.sort();
    both_ways.sort();
    eprintln!(
        "{rounds} calls {what}: ctl call -> ringing p50 {:?} p99 {:?}; answer -> up on both sides p50 {:?} p99 {:?}; ctl call -> audio both ways (answered as soon as it rang) p50 {:?} p99 {:?}",
        quantile(&ring, 0.5),
        quantile(&ring, 0.99),
        quantile(&up, 0.5),
        quantile(&up, 0.99),
        quantile(&both_ways, 0.5),
        quantile(&both_ways, 0.99)
    );
    (ring, up)
}

#[test]
fn on_a_lan_with_no_node_contacts_found_by_mdns_call_each_other_in_milliseconds() {
    let lan = Lan::create("call");
    let tmp = tempfile::tempdir().unwrap();
    let LanCallers {
        alice: (alice, alice_id, alice_heard),
        bob: (bob, bob_id, bob_heard),
    } = lan_callers(&lan, tmp.path());
    // What crosses the wire between them: every UDP datagram on Alice's side of the veth.
    let wire = tmp.path().join("wire.pcap");
    let capture = Capture::start(lan.0.name(0), "rlcall0", &wire);

    stdout_ok(&alice.ctl(&["call", &alice_id, &bob_id]));
    let at_bob = call_in_state(&bob, "incoming", "Bob");
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    wait_tone(
        &alice_heard,
        BOB_TONE,
        "Alice hears Bob over the LAN",
        LIMIT,
    );
    wait_tone(
        &bob_heard,
        ALICE_TONE,
        "Bob hears Alice over the LAN",
        LIMIT,
    );
    // Media runs on the UDP pair between the two LAN addresses.
    let on_udp = wait_until(Duration::from_secs(5), || {
        the_call(&alice).is_some_and(|call| call["path"] == "udp-direct")
            && the_call(&bob).is_some_and(|call| call["path"] == "udp-direct")
    });
    let call = the_call(&alice).unwrap();
    assert!(on_udp, "{call:#} {:#?}", the_call(&bob));
    let pair = call["ice_pair"].as_str().unwrap_or_default();
    assert!(
        pair.starts_with("10.77.0.1:") && pair.contains(" 10.77.0.2:"),
        "{call:#}"
    );
    // Both tones go on there: every window of the next two seconds is checked.
    let switched = Instant::now();
    assert!(wait_until(LIMIT, || switched.elapsed() >= Duration::from_secs(2)));
    for (heard, hz) in [(&alice_heard, BOB_TONE), (&bob_heard, ALICE_TONE)] {
        let share = share_of_last(heard, hz, 2.0);
        assert!(
            share >= 0.9,
            "{hz} Hz in {share} of the windows on the UDP path"
        );
    }
    // On the wire: RTP both ways, every packet SRTP, so no payload decodes to a tone.
    capture.stop();
    let datagrams = udp_datagrams(&wire);
    for (from, to, hz) in [
        ("10.77.0.1", "10.77.0.2", ALICE_TONE),
        ("10.77.0.2", "10.77.0.1", BOB_TONE),
    ] {
        let rtp: Vec<&[u8]> = datagrams
            .iter()
            .filter(|d| d.from.ip().to_string() == from && d.to.ip().to_string() == to)
            .map(|d| d.payload.as_slice())
            .filter(|payload| is_rtp(payload))
            .collect();
        assert!(rtp.len() >= 50, "{} RTP packets {from} -> {to}", rtp.len());
        let share = tone_share_in_payloads(&rtp, hz, 10);
        eprintln!(
            "{} RTP packets {from} -> {to} on the wire; {hz} Hz in {:.1} % of decoded windows",
            rtp.len(),
            share * 100.0
        );
        // Ciphertext decoded as audio is noise, whose strongest frequency lands near any
        // given one in a few % of windows (5.3 % seen once in CI at 65bfa98); the same
        // decoding of the tone in plain RTP gives ≥ 90 % (checked below).
        assert!(
            share < 0.2,
            "{hz} Hz audible on the wire {from} -> {to}: {share}"
        );
    }
    // The same check hears a tone in plain RTP: its silence above means something.
    assert!(
        tone_share_in_payloads(
            &plain_opus_rtp(ALICE_TONE)
                .iter()
                .map(Vec::as_slice)
                .collect::<Vec<_>>(),
            ALICE_TONE,
            0
        ) >= 0.9
    );
    stdout_ok(&alice.ctl(&["hangup", &call["id"].to_string()]));
    assert!(wait_until(LIMIT, || calls(&alice).is_empty() && calls(&bob).is_empty()));

    let (ring, _) = setup_rounds(
        (&alice, &alice_id, &alice_heard),
        (&bob, &bob_id, &bob_heard),
        "on the LAN",
    );
    // A sanity bound that holds on a loaded CI machine; the figures are what matters.
    assert!(quantile(&ring, 0.5) < Duration::from_secs(3), "{ring:?}");
}

/// On a LAN call on direct UDP, Bob's address is replaced (the new one added, the old one
/// removed, as when a laptop moves to another network): the call goes on, media moves to
/// the new address without any signalling (Alice learns it from Bob's checks), and each
/// side's audio gap is measured in what it heard.
#[test]
fn on_a_lan_a_call_survives_an_address_change_with_a_gap_under_a_second() {
    let lan = Lan::create("move");
    let tmp = tempfile::tempdir().unwrap();
    let LanCallers {
        alice: (alice, alice_id, alice_heard),
        bob: (bob, bob_id, bob_heard),
    } = lan_callers(&lan, tmp.path());
    stdout_ok(&alice.ctl(&["call", &alice_id, &bob_id]));
    let at_bob = call_in_state(&bob, "incoming", "Bob");
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let on_udp = wait_until(LIMIT, || {
        [&alice, &bob]
            .iter()
            .all(|daemon| the_call(daemon).is_some_and(|call| call["path"] == "udp-direct"))
    });
    assert!(on_udp, "{:#?} {:#?}", the_call(&alice), the_call(&bob));
    wait_tone(&alice_heard, BOB_TONE, "Alice hears Bob", LIMIT);
    wait_tone(&bob_heard, ALICE_TONE, "Bob hears Alice", LIMIT);

    let bob_ns = lan.0.name(1);
    // The new address stays when the old (primary) one goes, as on a host that moves.
    let promote = "net.ipv4.conf.rlmove1.promote_secondaries=1";
    lan.0.exec(bob_ns, &["sysctl", "-q", "-w", promote]);
    lan.0.exec(
        bob_ns,
        &["ip", "addr", "add", "10.77.0.12/24", "dev", "rlmove1"],
    );
    lan.0.exec(
        bob_ns,
        &["ip", "addr", "del", "10.77.0.2/24", "dev", "rlmove1"],
    );
    let changed = Instant::now();
    let moved = wait_until(LIMIT, || {
        the_call(&alice).is_some_and(|call| {
            call["ice_pair"]
                .as_str()
                .is_some_and(|pair| pair.contains(" 10.77.0.12:"))
        })
    });
    assert!(
        moved,
        "Alice never sends to Bob's new address: {:#?}",
        the_call(&alice)
    );
    eprintln!(
        "Alice sends to Bob's new address {:?} after the change",
        changed.elapsed()
    );
    // Two more seconds of call, then the gaps around the change are measured.
    assert!(wait_until(LIMIT, || changed.elapsed() >= Duration::from_secs(4)));
    let span = changed.elapsed().as_secs_f64() + 0.5;
    for (heard, hz, who) in [
        (&alice_heard, BOB_TONE, "Alice"),
        (&bob_heard, ALICE_TONE, "Bob"),
    ] {
        let gap = crate::common::audio::longest_gap(heard, hz, span);
        eprintln!("{who}'s longest audio gap across the address change: {gap:?}");
        assert!(gap < Duration::from_secs(1), "{who}: a gap of {gap:?}");
    }
    for daemon in [&alice, &bob] {
        let call = the_call(daemon);
        assert!(
            call.as_ref().is_some_and(|call| call["state"] == "active"),
            "{call:#?}"
        );
    }
}

#[test]
fn a_contact_set_to_auto_answer_takes_the_call_with_nobody_at_it() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    // A conference-room device: calls from contacts are answered at once.
    stdout_ok(&bob.ctl(&["account", "auto-answer", "bob", "on"]));
    let shown = bob.status()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|account| account["id"] == bob_id && account["details"]["auto_answer"] == true);
    assert!(shown, "{:#}", bob.status()["accounts"]);

    let placed = Instant::now();
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let active = wait_until(LIMIT, || {
        [alice, bob]
            .iter()
            .all(|daemon| the_call(daemon).is_some_and(|call| call["state"] == "active"))
    });
    assert!(active, "{:#?} {:#?}", calls(alice), calls(bob));
    eprintln!(
        "auto-answered: both sides active {:?} after ctl call",
        placed.elapsed()
    );
    wait_tone(&c.alice_heard, BOB_TONE, "Alice hears Bob", LIMIT);
    wait_tone(&c.bob_heard, ALICE_TONE, "Bob hears Alice", LIMIT);
    stdout_ok(&alice.ctl(&["hangup", &the_call(alice).unwrap()["id"].to_string()]));
    assert!(wait_until(LIMIT, || calls(bob).is_empty()));

    // Off again: the next call rings and waits for Bob.
    stdout_ok(&bob.ctl(&["account", "auto-answer", "bob", "off"]));
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    call_in_state(bob, "incoming", "Bob");
    let still_ringing = wait_until(Duration::from_secs(2), || {
        the_call(bob).is_some_and(|call| call["state"] != "incoming")
    });
    assert!(
        !still_ringing,
        "answered with auto-answer off: {:#?}",
        calls(bob)
    );
}

/// Alice (10.77.0.1, her tone) and Bob (10.77.0.2, his) on a LAN, contacts of each other:
/// each daemon with its account id and the file of what it hears.
struct LanCallers {
    alice: (Daemon, String, std::path::PathBuf),
    bob: (Daemon, String, std::path::PathBuf),
}

fn lan_callers(lan: &Lan, tmp: &std::path::Path) -> LanCallers {
    let start = |index: usize, name: &str, address: &str, hz: f64| {
        let dir = tmp.join(name);
        let tone = format!("tone:{hz}");
        let heard = format!("file:{}", dir.join("heard.wav").display());
        let extra = ["--audio-in", tone.as_str(), "--audio-out", heard.as_str()];
        let daemon = lan.daemon_with(index, &dir.join("data"), address, &extra);
        let id = add_p2p_account(&daemon, name);
        (daemon, id, dir.join("heard.wav"))
    };
    let alice = start(0, "alice", "10.77.0.1", ALICE_TONE);
    let bob = start(1, "bob", "10.77.0.2", BOB_TONE);
    befriend((&alice.0, "alice", &alice.1), (&bob.0, "bob", &bob.1));
    LanCallers { alice, bob }
}

/// Two seconds of `hz` as plain (unencrypted) Opus RTP packets, 20 ms each.
fn plain_opus_rtp(hz: f64) -> Vec<Vec<u8>> {
    let mut encoder =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    (0..100u16)
        .map(|index| {
            let samples: Vec<i16> = (0..960)
                .map(|n| {
                    let t = f64::from(u32::from(index) * 960 + n) / 48_000.0;
                    (8_000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
                })
                .collect();
            let mut packet = vec![0x80, 111];
            packet.extend_from_slice(&index.to_be_bytes());
            packet.extend_from_slice(&[0; 8]);
            packet.extend(encoder.encode_vec(&samples, 1_500).unwrap());
            packet
        })
        .collect()
}

/// Whether the last half second of `path` carries each of `present` and none of `absent`.
fn hears(path: &std::path::Path, present: &[f64], absent: &[f64]) -> Result<(), String> {
    let (samples, rate) = try_tail(path, 0, 0.5)?;
    let level = |hz: f64| ringlet::media::tone::tone_amplitude(&samples, rate, hz);
    let missing: Vec<String> = present
        .iter()
        .filter(|hz| level(**hz) < 2_000.0)
        .map(|hz| format!("{hz} Hz at {:.0}", level(*hz)))
        .collect();
    let extra: Vec<String> = absent
        .iter()
        .filter(|hz| level(**hz) >= 500.0)
        .map(|hz| format!("{hz} Hz at {:.0}", level(*hz)))
        .collect();
    if missing.is_empty() && extra.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {missing:?}, not wanted {extra:?}"))
    }
}

#[test]
fn a_conference_hosted_here_joins_a_p2p_contact_and_a_sip_phone() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    // Carol is a SIP phone (another Ringlet) that answers by itself; Alice also has a SIP
    // account to call her with.
    let carol_dir = c.dir.path().join("carol");
    let carol = crate::common::audio::ringlet_with_tone(&carol_dir, CAROL_TONE);
    carol.add_sip(
        "carol",
        "sip:carol@127.0.0.1:16361",
        "127.0.0.1:16361",
        &["--auto-answer"],
    );
    alice.add_sip("desk", "sip:desk@127.0.0.1:16360", "127.0.0.1:16360", &[]);
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let at_bob = call_in_state(bob, "incoming", "Bob");
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    stdout_ok(&alice.ctl(&["call", "desk", "sip:carol@127.0.0.1:16361"]));
    let both = wait_until(LIMIT, || {
        let rows = calls(alice);
        rows.len() == 2 && rows.iter().all(|row| row["state"] == "active")
    });
    assert!(both, "{:#?}", calls(alice));
    let ids: Vec<String> = calls(alice)
        .iter()
        .map(|row| row["id"].to_string())
        .collect();
    stdout_ok(&alice.ctl(&["conference", &ids[0], &ids[1]]));
    // Each hears the two others and not itself.
    let carol_heard = carol_dir.join("heard.wav");
    for (path, present, absent, who) in [
        (
            &c.bob_heard,
            [ALICE_TONE, CAROL_TONE],
            BOB_TONE,
            "Bob (P2P)",
        ),
        (
            &carol_heard,
            [ALICE_TONE, BOB_TONE],
            CAROL_TONE,
            "Carol (SIP)",
        ),
        (
            &c.alice_heard,
            [BOB_TONE, CAROL_TONE],
            ALICE_TONE,
            "Alice (host)",
        ),
    ] {
        let mut last = String::new();
        let heard = wait_until(LIMIT, || match hears(path, &present, &[absent]) {
            Ok(()) => true,
            Err(err) => {
                last = err;
                false
            }
        });
        assert!(heard, "{who}: {last}");
    }
    assert!(calls(alice).iter().all(|row| row["conference"] == true));
}

/// The account's conversations, as `ctl conversations` lists them.
fn conversations(daemon: &Daemon, account: &str) -> Vec<serde_json::Value> {
    let output = daemon.ctl(&["conversations", account]);
    serde_json::from_slice(&output.stdout).unwrap_or_default()
}

#[test]
fn a_group_call_rings_every_member_and_who_answers_hears_the_others() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    // Carol is in the group but a contact of nobody's.
    let (carol, carol_id, carol_dir) = carol(&c);
    let created: serde_json::Value = serde_json::from_str(&stdout_ok(&alice.ctl(&[
        "group", "create", alice_id, "--title", "team", bob_id, &carol_id,
    ])))
    .unwrap();
    let group = created["conversation"].as_str().unwrap().to_owned();
    for (daemon, id) in [(bob, bob_id), (&carol, carol_id.as_str())] {
        let invited = wait_until(LIMIT, || {
            conversations(daemon, id)
                .iter()
                .any(|conversation| conversation["id"] == group.as_str())
        });
        assert!(invited, "{id} got no invitation");
        stdout_ok(&daemon.ctl(&["group", "join", id, &group]));
    }
    let all_joined = wait_until(LIMIT, || {
        conversations(alice, alice_id).iter().any(|conversation| {
            conversation["id"] == group.as_str()
                && conversation["joined"]
                    .as_array()
                    .is_some_and(|j| j.len() == 3)
        })
    });
    assert!(all_joined, "{:#?}", conversations(alice, alice_id));

    // Alice calls the group: each member's device rings; both answer.
    stdout_ok(&alice.ctl(&["call", alice_id, &group]));
    let at_bob = call_in_state(bob, "incoming", "Bob");
    let at_carol = call_in_state(&carol, "incoming", "Carol");
    assert_eq!(the_call(&carol).unwrap()["peer"], alice_id);
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    stdout_ok(&carol.ctl(&["answer", &at_carol]));
    let conference = wait_until(LIMIT, || {
        let rows = calls(alice);
        rows.len() == 2
            && rows
                .iter()
                .all(|row| row["state"] == "active" && row["conference"] == true)
    });
    assert!(conference, "{:#?}", calls(alice));
    // Each hears the two others and not itself.
    let carol_heard = carol_dir.join("heard.wav");
    let hear_all = |checks: &[(&std::path::Path, &[f64], &[f64], &str)]| {
        for (path, present, absent, who) in checks {
            let mut last = String::new();
            let heard = wait_until(LIMIT, || match hears(path, present, absent) {
                Ok(()) => true,
                Err(err) => {
                    last = err;
                    false
                }
            });
            assert!(heard, "{who}: {last}");
        }
    };
    hear_all(&[
        (&c.bob_heard, &[ALICE_TONE, CAROL_TONE], &[BOB_TONE], "Bob"),
        (
            &carol_heard,
            &[ALICE_TONE, BOB_TONE],
            &[CAROL_TONE],
            "Carol",
        ),
        (
            &c.alice_heard,
            &[BOB_TONE, CAROL_TONE],
            &[ALICE_TONE],
            "Alice (host)",
        ),
    ]);

    // The host silences Carol: nobody hears her, she still hears everyone.
    let leg_to = |peer: &str| {
        calls(alice)
            .into_iter()
            .find(|row| row["peer"] == peer)
            .map(|row| row["id"].to_string())
            .unwrap()
    };
    stdout_ok(&alice.ctl(&["silence", &leg_to(&carol_id), "on"]));
    hear_all(&[
        (
            &c.bob_heard,
            &[ALICE_TONE],
            &[BOB_TONE, CAROL_TONE],
            "Bob, Carol silenced",
        ),
        (
            &c.alice_heard,
            &[BOB_TONE],
            &[ALICE_TONE, CAROL_TONE],
            "Alice, Carol silenced",
        ),
        (
            &carol_heard,
            &[ALICE_TONE, BOB_TONE],
            &[CAROL_TONE],
            "Carol, silenced",
        ),
    ]);
    // And removes Bob: his call ends, Carol's goes on.
    stdout_ok(&alice.ctl(&["hangup", &leg_to(bob_id)]));
    assert!(
        wait_until(LIMIT, || calls(bob).is_empty()),
        "{:#?}",
        calls(bob)
    );
    assert_eq!(calls(alice).len(), 1);
    assert_eq!(the_call(&carol).unwrap()["state"], "active");
}

#[test]
fn a_call_to_an_offline_contact_fails_at_once_and_shows_as_missed_when_it_returns() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let bob_id = c.bob.1.clone();
    let bob_id = bob_id.as_str();
    // Bob's daemon goes away: a call to him fails at once as "offline".
    c.bob.0.kill();
    let gone = wait_until(LIMIT, || {
        node_info(alice)[0]["node"]["verified_peers"]
            .as_array()
            .is_some_and(Vec::is_empty)
    });
    assert!(gone, "{:#}", node_info(alice));
    let placed_at = Instant::now();
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let failed = wait_until(Duration::from_secs(3), || {
        history(alice)
            .first()
            .is_some_and(|row| row["end_reason"] == "offline")
    });
    assert!(failed, "{:#?} {:#?}", calls(alice), history(alice));
    eprintln!("offline reported after {:?}", placed_at.elapsed());
    // Hung up while it waits for a device of Bob's: it ends at once, as cancelled.
    let waiting = stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    stdout_ok(&alice.ctl(&["hangup", &waiting]));
    let cancelled = wait_until(Duration::from_secs(1), || {
        calls(alice).is_empty()
            && history(alice)
                .first()
                .is_some_and(|row| row["end_reason"] == "cancelled")
    });
    assert!(cancelled, "{:#?} {:#?}", calls(alice), history(alice));
    // Bob comes back: the missed call is in his conversation with Alice, as in hers.
    let bob = ringlet_with_tone_and(
        &c.dir.path().join("bob"),
        BOB_TONE,
        &["--bootstrap", c.node.address.as_str()],
    );
    let missed = |daemon: &Daemon, account: &str, peer: &str| {
        texts(&messages(daemon, account, peer)).contains(&"☎ Missed call".to_owned())
    };
    assert!(
        missed(alice, "alice", bob_id),
        "{:?}",
        texts(&messages(alice, "alice", bob_id))
    );
    let told = wait_until(Duration::from_secs(30), || missed(&bob, "bob", alice_id));
    assert!(told, "{:?}", texts(&messages(&bob, "bob", alice_id)));
}

/// A daemon that listens on QUIC only (so that its contacts reach it over QUIC).
fn quic_only(dir: &Path, node: &Node) -> Daemon {
    let child = crate::common::ringlet(dir)
        .env("RINGLET_P2P_LISTEN", "/ip4/127.0.0.1/udp/0/quic-v1")
        .args([
            "--headless",
            "--audio",
            "none",
            "--bootstrap",
            &node.address,
        ])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Daemon::adopt(child, dir)
}

#[test]
fn a_contact_whose_process_restarted_a_moment_ago_is_rung_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("node"));
    let alice = quic_only(&dir.path().join("alice"), &node);
    let bob = quic_only(&dir.path().join("bob"), &node);
    let alice_id = add_p2p_account(&alice, "alice");
    let bob_id = add_p2p_account(&bob, "bob");
    befriend((&alice, "alice", &alice_id), (&bob, "bob", &bob_id));
    // A first call leaves a SIP stream between them.
    stdout_ok(&alice.ctl(&["call", &alice_id, &bob_id]));
    let at_bob = call_in_state(&bob, "incoming", "Bob");
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let at_alice = call_in_state(&alice, "active", "Alice");
    stdout_ok(&alice.ctl(&["hangup", &at_alice]));
    let ended = wait_until(LIMIT, || calls(&alice).is_empty() && calls(&bob).is_empty());
    assert!(ended, "{:#?} {:#?}", calls(&alice), calls(&bob));
    // Bob's process dies without a word (QUIC tells Alice nothing: her connection to it
    // looks alive until its idle timeout) and starts again at once.
    bob.kill();
    let bob = quic_only(&dir.path().join("bob"), &node);
    let alice_online_at_bob = wait_until(LIMIT, || {
        crate::common::p2p::contacts(&bob, "bob")
            .iter()
            .any(|contact| contact["uri"] == alice_id.as_str() && contact["online"] == true)
    });
    assert!(
        alice_online_at_bob,
        "{:#?}",
        crate::common::p2p::contacts(&bob, "bob")
    );
    // Alice calls now: Bob's new process rings (the old one's connection was closed when
    // the new one said hello; the INVITE went into it before, and was lost).
    let placed_at = Instant::now();
    stdout_ok(&alice.ctl(&["call", &alice_id, &bob_id]));
    let rang = wait_until(Duration::from_secs(10), || {
        the_call(&bob).is_some_and(|call| call["state"] == "incoming")
    });
    if rang {
        eprintln!("the restarted contact rang after {:?}", placed_at.elapsed());
    }
    assert!(
        rang,
        "Bob: {:#?}; Alice: {:#?} {:#?}",
        calls(&bob),
        calls(&alice),
        history(&alice).first()
    );
}

#[test]
fn a_p2p_call_is_transferred_blind_to_another_contact() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    let (carol, carol_id, carol_dir) = carol(&c);
    befriend((alice, "alice", alice_id), (&carol, "carol", &carol_id));
    befriend((bob, "bob", bob_id), (&carol, "carol", &carol_id));

    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let at_bob = call_in_state(bob, "incoming", "Bob");
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let call = call_in_state(alice, "active", "Alice");
    // Alice sends Bob on to Carol, named by her contact id.
    stdout_ok(&alice.ctl(&["transfer", &call, &carol_id]));
    let at_carol = call_in_state(&carol, "incoming", "Carol");
    assert_eq!(the_call(&carol).unwrap()["peer"], bob_id);
    stdout_ok(&carol.ctl(&["answer", &at_carol]));
    let alice_left = wait_until(LIMIT, || calls(alice).is_empty());
    assert!(alice_left, "{:#?}", calls(alice));
    wait_tone(&c.bob_heard, CAROL_TONE, "Bob hears Carol", LIMIT);
    wait_tone(
        &carol_dir.join("heard.wav"),
        BOB_TONE,
        "Carol hears Bob",
        LIMIT,
    );
    let bob_calls = calls(bob);
    assert_eq!(bob_calls.len(), 1, "{bob_calls:#?}");
    assert_eq!(bob_calls[0]["peer"], carol_id.as_str());
}

#[test]
fn a_stun_server_the_account_names_is_asked_for_the_public_address_of_a_call() {
    let c = callers();
    let (alice, alice_id) = (&c.alice.0, c.alice.1.as_str());
    let (bob, bob_id) = (&c.bob.0, c.bob.1.as_str());
    // A STUN server of the test's own, which answers as `ringlet node` does.
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let address = server.local_addr().unwrap().to_string();

    // Something that is no address is refused with a reason; the account keeps nothing.
    let refused = alice.ctl(&["account", "stun", "alice", "stun.example.org", "two words"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not a STUN server address"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    stdout_ok(&alice.ctl(&["account", "stun", "alice", &address]));
    let accounts: serde_json::Value =
        serde_json::from_str(&stdout_ok(&alice.ctl(&["status"]))).unwrap();
    assert!(
        accounts.to_string().contains(&address),
        "the account lists its STUN server: {accounts:#}"
    );

    // Alice calls: her call's ICE asks the server from each IPv4 socket.
    stdout_ok(&alice.ctl(&["call", alice_id, bob_id]));
    let deadline = Instant::now() + LIMIT;
    let mut asked_by = None;
    let mut buffer = [0u8; 1500];
    while asked_by.is_none() && Instant::now() < deadline {
        if let Ok((length, from)) = server.recv_from(&mut buffer) {
            let request = &buffer[..length];
            if let Ok(answer) = ringlet::stun::binding_answer(request, from) {
                server.send_to(&answer, from).unwrap();
                asked_by = Some(from);
            }
        }
    }
    let asked_by = asked_by.expect("no Binding request reached the account's STUN server");
    // From one of the call's IPv4 ICE sockets (the server is IPv4), not from the daemon's
    // SIP or network ports.
    assert!(asked_by.is_ipv4(), "{asked_by}");
    // The call itself is unharmed.
    let id = call_in_state(bob, "incoming", "bob");
    stdout_ok(&bob.ctl(&["answer", &id]));
    call_in_state(alice, "active", "alice");

    // Taken away again: none left.
    stdout_ok(&alice.ctl(&["account", "stun", "alice"]));
    let accounts: serde_json::Value =
        serde_json::from_str(&stdout_ok(&alice.ctl(&["status"]))).unwrap();
    assert!(!accounts.to_string().contains(&address), "{accounts:#}");
}
