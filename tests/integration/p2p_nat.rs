//! Two devices behind separate NATs reach each other through a relay node and then talk
//! directly, by DCUtR hole punching. The network is built from network namespaces that the
//! test creates (and removes): an "internet" holding a `ringlet node`, two NAT routers
//! (iptables MASQUERADE) and a host behind each. Neither host can reach the other's private
//! address; the only way in is through the relay, until the NATs are punched.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::netns::Namespaces;
use crate::common::p2p::{contact_state, messages, node_info};
use crate::common::{Daemon, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(60);

/// inet — natA — hostA and inet — natB — hostB, removed when dropped; the NATs' public
/// addresses are in `{prefix}.1.0/24` and `{prefix}.2.0/24`.
struct Nats(Namespaces, &'static str);

/// The namespaces' order in `Nats`.
const INET: usize = 0;
const NAT: [usize; 2] = [1, 2];
const HOST: [usize; 2] = [3, 4];

impl Nats {
    fn create(tag: &str) -> Nats {
        Nats::create_with(tag, "10.80")
    }

    /// As [`Nats::create`], the NATs' public addresses under `prefix` (a UPnP gateway
    /// refuses to map on a private one).
    fn create_with(tag: &str, prefix: &'static str) -> Nats {
        let names = ["inet", "nata", "natb", "hosta", "hostb"].map(|name| format!("r{tag}{name}"));
        let spaces = Namespaces::create(&names.each_ref().map(String::as_str));
        let inet = spaces.name(INET);
        for (side, lan_net) in ["10.81.1", "10.82.2"].into_iter().enumerate() {
            let wan_net = format!("{prefix}.{}", side + 1);
            let (nat, host) = (spaces.name(NAT[side]), spaces.name(HOST[side]));
            let uplink = format!("to{side}");
            spaces.veth(nat, "wan", inet, &uplink);
            spaces.veth(nat, "lan", host, "eth0");
            spaces.address(inet, &uplink, &format!("{wan_net}.1/24"));
            spaces.address(nat, "wan", &format!("{wan_net}.2/24"));
            spaces.address(nat, "lan", &format!("{lan_net}.1/24"));
            spaces.exec(
                nat,
                &[
                    "ip",
                    "route",
                    "add",
                    "default",
                    "via",
                    &format!("{wan_net}.1"),
                ],
            );
            spaces.masquerade(nat, "wan");
            // Like a home router's firewall: nothing unsolicited reaches the router itself.
            // (A packet let in would also leave a connection-tracking entry that makes the
            // NAT move the host's next mapping to another port.)
            spaces.exec(nat, &["iptables", "-A", "INPUT", "-i", "wan", "-j", "DROP"]);
            spaces.address(host, "eth0", &format!("{lan_net}.2/24"));
            spaces.exec(
                host,
                &[
                    "ip",
                    "route",
                    "add",
                    "default",
                    "via",
                    &format!("{lan_net}.1"),
                ],
            );
        }
        spaces.exec(inet, &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        Nats(spaces, prefix)
    }

    /// Both NATs give each destination a port of its own (symmetric NATs): the address a
    /// STUN server sees is no use to anyone else, so no hole can be punched.
    fn make_symmetric(&self) {
        for nat in NAT {
            let nat = self.0.name(nat);
            self.0
                .exec(nat, &["iptables", "-t", "nat", "-F", "POSTROUTING"]);
            let rule = [
                "iptables",
                "-t",
                "nat",
                "-A",
                "POSTROUTING",
                "-o",
                "wan",
                "-j",
                "MASQUERADE",
                "--random-fully",
            ];
            self.0.exec(nat, &rule);
        }
    }

    /// A `ringlet node` in the internet namespace; returns it and its peer id.
    /// The "internet" forwards no UDP between the two NATs (the node, on the internet
    /// itself, is still reached): no hole can be punched, only the relay carries traffic.
    fn block_udp_between_nats(&self) {
        let inet = self.0.name(INET);
        for (from, to) in [
            ("10.80.1.0/24", "10.80.2.0/24"),
            ("10.80.2.0/24", "10.80.1.0/24"),
        ] {
            let rule = [
                "iptables", "-A", "FORWARD", "-p", "udp", "-s", from, "-d", to, "-j", "DROP",
            ];
            self.0.exec(inet, &rule);
        }
    }

    fn relay(&self, dir: &Path) -> (Killed, String) {
        self.relay_with(dir, &[])
    }

    /// As [`Nats::relay`], with other node options.
    fn relay_with(&self, dir: &Path, extra: &[&str]) -> (Killed, String) {
        let mut child = self
            .0
            .ringlet(self.0.name(INET), dir)
            .args(["node", "--listen", "/ip4/0.0.0.0/udp/4001/quic-v1"])
            .args(extra)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        let peer = first
            .strip_prefix("peer-id ")
            .expect("peer-id line")
            .to_owned();
        // Keep reading so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (Killed(child), peer)
    }

    /// A daemon on host `side`, bootstrapped (and relayed) by the node at `relay`.
    fn daemon(&self, side: usize, dir: &Path, relay: &str) -> Daemon {
        self.daemon_with(side, dir, relay, &["--audio", "none"])
    }

    /// As [`Nats::daemon`], with other options (audio devices).
    fn daemon_with(&self, side: usize, dir: &Path, relay: &str, extra: &[&str]) -> Daemon {
        let address = ["10.81.1.2", "10.82.2.2"][side];
        let child = self
            .0
            .ringlet(self.0.name(HOST[side]), dir)
            .args(["--headless", "--bootstrap", relay])
            .args(extra)
            .args(["--p2p-listen", &format!("/ip4/{address}/udp/0/quic-v1")])
            .env("RINGLET_NO_MDNS", "1")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Daemon::adopt(child, dir)
    }
}

/// Alice (440 Hz) behind one NAT and Bob (880 Hz) behind the other, each a contact of
/// the other, both holding a reservation at the node `relay_id`.
struct Callers {
    alice: Daemon,
    alice_heard: std::path::PathBuf,
    bob: Daemon,
    bob_heard: std::path::PathBuf,
    bob_id: String,
}

impl Nats {
    fn callers(&self, tmp: &Path, relay_id: &str) -> Callers {
        let prefix = self.1;
        let bootstrap = |side: usize| {
            format!(
                "/ip4/{prefix}.{}.1/udp/4001/quic-v1/p2p/{relay_id}",
                side + 1
            )
        };
        let start = |side: usize, name: &str, hz: f64| {
            let dir = tmp.join(name);
            let tone = format!("tone:{hz}");
            let heard = format!("file:{}", dir.join("heard.wav").display());
            let extra = ["--audio-in", tone.as_str(), "--audio-out", heard.as_str()];
            let daemon = self.daemon_with(side, &dir.join("data"), &bootstrap(side), &extra);
            (daemon, dir.join("heard.wav"))
        };
        let (alice, alice_heard) = start(0, "alice", 440.0);
        let (bob, bob_heard) = start(1, "bob", 880.0);
        let alice_id = account(&alice, "alice");
        let bob_id = account(&bob, "bob");
        for daemon in [&alice, &bob] {
            wait_reserved(daemon);
        }
        crate::common::p2p::befriend((&bob, "bob", &bob_id), (&alice, "alice", &alice_id));
        Callers {
            alice,
            alice_heard,
            bob,
            bob_heard,
            bob_id,
        }
    }
}

/// A child process killed when dropped (also when the test fails).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Nothing is forwarded between the NATs but through the relay: a call still carries each
/// side's tone, over the relayed connection, and outlives the relay's circuits (5 s here):
/// when one runs out, the call's streams are opened again on a new one.
#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "the test reports how long ringing took"
)]
fn with_udp_blocked_between_the_nats_a_call_goes_through_the_relay() {
    let nats = Nats::create("u");
    nats.block_udp_between_nats();
    let tmp = tempfile::tempdir().unwrap();
    let circuit = ["--circuit-seconds", "5"];
    let (_relay, relay_id) = nats.relay_with(&tmp.path().join("node"), &circuit);
    let Callers {
        alice,
        alice_heard,
        bob,
        bob_heard,
        bob_id,
        ..
    } = nats.callers(tmp.path(), &relay_id);

    let placed_at = std::time::Instant::now();
    stdout_ok(&alice.ctl(&["call", "alice", &bob_id]));
    let rung = wait_until(LIMIT, || {
        crate::common::calls(&bob)
            .first()
            .is_some_and(|call| call["state"] == "incoming")
    });
    assert!(rung, "{:#?}", crate::common::calls(&alice));
    eprintln!("rang through the relay after {:?}", placed_at.elapsed());
    let at_bob = crate::common::calls(&bob)[0]["id"].to_string();
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let limit = Duration::from_secs(20);
    crate::common::audio::wait_tone(&alice_heard, 880.0, "Alice hears Bob via the relay", limit);
    crate::common::audio::wait_tone(&bob_heard, 440.0, "Bob hears Alice via the relay", limit);
    let call = crate::common::calls(&alice)[0].clone();
    assert_eq!(call["path"], "stream-relayed", "{call:#}");
    assert_eq!(call["media"]["srtp"], true, "{call:#}");
    // Alice's only direct connection is to the node: none to Bob could be made.
    let bob_peer = peer_id(&bob);
    let direct = node_info(&alice)[0]["node"]["direct_peers"].clone();
    let to_bob = direct
        .as_array()
        .is_some_and(|peers| peers.iter().any(|peer| peer == bob_peer.as_str()));
    assert!(!to_bob, "a direct path where none can be: {direct}");

    // Past the end of the circuit the call started on (at most 5 s), and then some: still
    // up, and the tones carry on.
    let answered = std::time::Instant::now();
    assert!(wait_until(LIMIT, || answered.elapsed() >= Duration::from_secs(8)));
    for daemon in [&alice, &bob] {
        let calls = crate::common::calls(daemon);
        assert!(
            calls.first().is_some_and(|call| call["state"] == "active"),
            "the call did not outlive its circuit: {calls:#?} {:#?}",
            crate::common::history(daemon).first()
        );
    }
    // The tone carries on but while a circuit is renewed: over 8 s, at most two gaps (5 s
    // circuits), each under 1.5 s, and the tone in ≥ 90 % of the windows between them. (A
    // fixed stretch of 2 s holds a renewal gap by chance one time in five or so: the
    // circuits are renewed from start-up, not from the call.)
    for (heard, hz, who) in [(&alice_heard, 880.0, "Alice"), (&bob_heard, 440.0, "Bob")] {
        let gaps = crate::common::audio::gaps(heard, hz, 8.0, Duration::from_millis(100));
        eprintln!(
            "{who}: over 8 s of relayed call, {} gaps of ≥ 100 ms, the longest {:?}; tone in \
             {:.1} % of the windows between them",
            gaps.count,
            gaps.longest,
            gaps.share_between * 100.0
        );
        assert!(gaps.count <= 2, "{who}: {gaps:?}");
        assert!(
            gaps.longest < Duration::from_millis(1500),
            "{who}: {gaps:?}"
        );
        assert!(gaps.share_between >= 0.9, "{who}: {gaps:?}");
    }

    // Setup times through the relay, calls placed back to back while the 5 s circuits are
    // renewed under them: a call placed while Bob's device is between circuits waits for
    // it (up to 2 s) instead of failing as "offline".
    let id = crate::common::calls(&alice)[0]["id"].to_string();
    stdout_ok(&alice.ctl(&["hangup", &id]));
    let ended = wait_until(LIMIT, || {
        crate::common::calls(&alice).is_empty() && crate::common::calls(&bob).is_empty()
    });
    assert!(ended);
    let (ring, up) = crate::p2p_calls::setup_rounds(
        (&alice, "alice", &alice_heard),
        (&bob, &bob_id, &bob_heard),
        "through the relay",
    );
    let p50 = crate::p2p_calls::quantile(&ring, 0.5) + crate::p2p_calls::quantile(&up, 0.5);
    // A sanity bound for a loaded CI machine; the goal (< 1.5 s) is judged on the figures.
    assert!(p50 < Duration::from_secs(5), "{ring:?} {up:?}");
}

/// Seconds of audio `path` holds so far.
fn seconds_in(path: &Path) -> f64 {
    let (samples, rate) = crate::common::audio::try_tail(path, 0, 1e6).unwrap_or_default();
    samples.len() as f64 / f64::from(rate.max(1))
}

/// The share of 20 ms windows of the last `seconds` of `path` that carry `hz`.
fn share_of_last(path: &Path, hz: f64, seconds: f64) -> f64 {
    let (samples, rate) = crate::common::audio::try_tail(path, 0, seconds).unwrap_or_default();
    crate::common::audio::tone_share(&samples, rate, hz, 1_000.0)
}

/// Two NATs that forward UDP between them: a call's media starts on the libp2p stream
/// (relayed, or direct once DCUtR punched the connection) and within 5 s of the answer it
/// runs on a UDP pair ICE found through both NATs (server-reflexive candidates from the
/// node's STUN service); the NAT in between counts that flow, and each side's tone
/// carries on across the switch.
#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "the test reports how long the switch took"
)]
fn behind_two_nats_a_call_moves_its_media_to_direct_udp_within_five_seconds() {
    let nats = Nats::create("d");
    let tmp = tempfile::tempdir().unwrap();
    let (_relay, relay_id) = nats.relay(&tmp.path().join("node"));
    let Callers {
        alice,
        alice_heard,
        bob,
        bob_heard,
        bob_id,
        ..
    } = nats.callers(tmp.path(), &relay_id);

    let at_bob = ring(&alice, &bob, &bob_id);
    let heard_before = (seconds_in(&alice_heard), seconds_in(&bob_heard));
    let answered_at = std::time::Instant::now();
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let direct = both_on_udp(&alice, &bob, Duration::from_secs(5));
    let switched_after = answered_at.elapsed();
    let call = crate::common::calls(&alice)[0].clone();
    assert!(
        direct,
        "no UDP path 5 s after the answer: alice {call:#}\nbob {:#}",
        crate::common::calls(&bob)[0]
    );
    eprintln!("media on direct UDP {switched_after:?} after the answer");
    assert_eq!(call["media"]["srtp"], true, "{call:#}");

    // The pair's remote end is Bob's NAT's public address: the internet between the NATs
    // counts the packets sent there.
    let pair = call["ice_pair"].as_str().unwrap_or_default().to_owned();
    let remote = pair.split(' ').nth(1).unwrap_or_default().to_owned();
    let (ip, port) = remote.rsplit_once(':').expect("a remote address");
    assert_eq!(ip, "10.80.2.2", "not Bob's NAT: {pair}");
    let inet = nats.0.name(INET);
    let rule = [
        "iptables",
        "-I",
        "FORWARD",
        "-p",
        "udp",
        "-s",
        "10.80.1.2",
        "-d",
        ip,
        "--dport",
        port,
    ];
    nats.0.exec(inet, &rule);
    let counted = || {
        let listing = nats
            .0
            .output(inet, &["iptables", "-L", "FORWARD", "-v", "-x", "-n"]);
        listing
            .lines()
            .find(|line| line.contains(&format!("dpt:{port}")))
            .and_then(|line| line.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(
        wait_until(LIMIT, || counted() >= 50),
        "the NATs carry no UDP on the pair {pair}: {} packets",
        counted()
    );

    // Tones on both sides from the answer until 2 s after the switch: every 20 ms window
    // of that span, the setup's first moments and the switch included, is checked.
    let switched_at = (seconds_in(&alice_heard), seconds_in(&bob_heard));
    assert!(wait_until(LIMIT, || {
        seconds_in(&alice_heard) >= switched_at.0 + 2.0
            && seconds_in(&bob_heard) >= switched_at.1 + 2.0
    }));
    for (heard, before, hz, who) in [
        (&alice_heard, heard_before.0, 880.0, "Alice hears Bob"),
        (&bob_heard, heard_before.1, 440.0, "Bob hears Alice"),
    ] {
        let span = seconds_in(heard) - before;
        let share = share_of_last(heard, hz, span);
        eprintln!(
            "{who}: tone in {:.1} % of windows over the last {span:.1} s",
            share * 100.0
        );
        assert!(share >= 0.9, "{who}: {share}");
    }
}

/// Alice calls Bob (the contact `bob_id`) and waits until it rings at Bob; returns Bob's
/// id of the call.
fn ring(alice: &Daemon, bob: &Daemon, bob_id: &str) -> String {
    stdout_ok(&alice.ctl(&["call", "alice", bob_id]));
    let rung = wait_until(LIMIT, || {
        crate::common::calls(bob)
            .first()
            .is_some_and(|call| call["state"] == "incoming")
    });
    assert!(rung, "{:#?}", crate::common::calls(alice));
    crate::common::calls(bob)[0]["id"].to_string()
}

/// Waits up to `limit` until both sides' call runs on direct UDP.
fn both_on_udp(alice: &Daemon, bob: &Daemon, limit: Duration) -> bool {
    let path = |daemon: &Daemon| {
        crate::common::calls(daemon)
            .first()
            .map(|call| call["path"].clone())
    };
    wait_until(limit, || {
        path(alice) == Some("udp-direct".into()) && path(bob) == Some("udp-direct".into())
    })
}

/// Waits until `daemon` holds a reservation at the relay (a circuit address it listens on).
fn wait_reserved(daemon: &Daemon) {
    let reserved = wait_until(LIMIT, || {
        node_info(daemon)[0]["node"]["listen_addresses"]
            .as_array()
            .is_some_and(|all| {
                all.iter()
                    .any(|a| a.as_str().unwrap_or("").contains("p2p-circuit"))
            })
    });
    assert!(reserved, "no relay reservation: {:#}", node_info(daemon));
}

fn account(daemon: &Daemon, name: &str) -> String {
    let out = stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", name]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    json["id"].as_str().unwrap_or(&out).to_owned()
}

fn peer_id(daemon: &Daemon) -> String {
    node_info(daemon)[0]["node"]["peer_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn devices_behind_two_nats_meet_through_a_relay_and_punch_a_direct_path() {
    let nats = Nats::create("l");
    let tmp = tempfile::tempdir().unwrap();
    let (_relay, relay_id) = nats.relay(&tmp.path().join("node"));
    let bootstrap =
        |side: usize| format!("/ip4/10.80.{}.1/udp/4001/quic-v1/p2p/{relay_id}", side + 1);
    let alice = nats.daemon(0, &tmp.path().join("alice"), &bootstrap(0));
    let bob = nats.daemon(1, &tmp.path().join("bob"), &bootstrap(1));
    let alice_id = account(&alice, "alice");
    let bob_id = account(&bob, "bob");
    // Each holds a reservation at the relay (a circuit address it listens on).
    for daemon in [&alice, &bob] {
        wait_reserved(daemon);
    }

    // Bob finds Alice's device list in the DHT; only its circuit address is reachable.
    stdout_ok(&bob.ctl(&["contact", "add", "bob", &alice_id]));
    let asked = wait_until(LIMIT, || {
        contact_state(&alice, "alice", &bob_id).as_deref() == Some("incoming")
    });
    assert!(
        asked,
        "alice: {:#}\nbob: {:#}",
        node_info(&alice),
        node_info(&bob)
    );
    stdout_ok(&alice.ctl(&["contact", "accept", "alice", &bob_id]));
    assert!(wait_until(LIMIT, || {
        contact_state(&bob, "bob", &alice_id).as_deref() == Some("confirmed")
    }));

    // DCUtR turns the relayed connection into a direct one through both NATs.
    let (alice_peer, bob_peer) = (peer_id(&alice), peer_id(&bob));
    let direct = wait_until(LIMIT, || {
        let direct_peers = |daemon: &Daemon| node_info(daemon)[0]["node"]["direct_peers"].clone();
        direct_peers(&bob)
            .as_array()
            .is_some_and(|peers| peers.iter().any(|p| p == alice_peer.as_str()))
            && direct_peers(&alice)
                .as_array()
                .is_some_and(|peers| peers.iter().any(|p| p == bob_peer.as_str()))
    });
    let punches = |daemon: &Daemon| node_info(daemon)[0]["node"]["hole_punches"].clone();
    assert!(
        direct,
        "no direct path: alice {:#}\nbob {:#}",
        node_info(&alice),
        node_info(&bob)
    );
    let made = punches(&alice)[0].as_u64().unwrap() + punches(&bob)[0].as_u64().unwrap();
    assert!(made >= 1, "alice {} bob {}", punches(&alice), punches(&bob));

    // Messages flow both ways.
    stdout_ok(&alice.ctl(&["message", "alice", &bob_id, "through the NATs"]));
    stdout_ok(&bob.ctl(&["message", "bob", &alice_id, "and back"]));
    assert!(wait_until(LIMIT, || {
        messages(&alice, "alice", &bob_id).len() == 2 && messages(&bob, "bob", &alice_id).len() == 2
    }));
}

/// Both NATs symmetric (a port per destination: no hole can be punched), but Bob's speaks
/// UPnP IGD (miniupnpd): Bob's call maps its ICE socket there, Alice reaches that public
/// address, and the call's media runs on direct UDP rather than through the relay. The
/// mapping is gone once the call ends.
#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "the test reports how long the switch took"
)]
fn behind_symmetric_nats_a_upnp_mapping_gives_a_call_a_direct_path() {
    // miniupnpd maps nothing on a private public address: the NATs' are 11.80.x.
    let nats = Nats::create_with("p", "11.80");
    nats.make_symmetric();
    let tmp = tempfile::tempdir().unwrap();
    let gateway = nats.0.name(NAT[1]).to_owned();
    let _miniupnpd = start_miniupnpd(&nats, &gateway, tmp.path());
    let (_relay, relay_id) = nats.relay(&tmp.path().join("node"));
    let Callers {
        alice,
        alice_heard,
        bob,
        bob_heard,
        bob_id,
        ..
    } = nats.callers(tmp.path(), &relay_id);

    let at_bob = ring(&alice, &bob, &bob_id);
    let answered_at = std::time::Instant::now();
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    let direct = both_on_udp(&alice, &bob, Duration::from_secs(10));
    let switched_after = answered_at.elapsed();
    let call = crate::common::calls(&alice)[0].clone();
    assert!(
        direct,
        "no UDP path 10 s after the answer: alice {call:#}\nbob {:#}\ngateway {}",
        crate::common::calls(&bob)[0],
        nats.0.output(&gateway, &["nft", "list", "ruleset"])
    );

    eprintln!("media on direct UDP through the mapping {switched_after:?} after the answer");
    // Alice's end of the pair is the port the gateway forwards to Bob's socket.
    let mapped = upnp_mapped_ports(&nats, &gateway);
    let pair = call["ice_pair"].as_str().unwrap_or_default().to_owned();
    let remote = pair.split(' ').nth(1).unwrap_or_default().to_owned();
    let via_mapping = mapped
        .iter()
        .any(|port| remote == format!("11.80.2.2:{port}"));
    assert!(via_mapping, "pair {pair}, mapped ports {mapped:?}");

    // Both tones carry on over the mapped path.
    let at = (seconds_in(&alice_heard), seconds_in(&bob_heard));
    assert!(wait_until(LIMIT, || {
        seconds_in(&alice_heard) >= at.0 + 2.0 && seconds_in(&bob_heard) >= at.1 + 2.0
    }));
    for (heard, hz, who) in [
        (&alice_heard, 880.0, "Alice hears Bob"),
        (&bob_heard, 440.0, "Bob hears Alice"),
    ] {
        let share = share_of_last(heard, hz, 2.0);
        eprintln!("{who}: tone in {:.1} % of the last 2 s", share * 100.0);
        assert!(share >= 0.9, "{who}: {share}");
    }

    // Hanging up removes the mapping from the gateway.
    let id = crate::common::calls(&alice)[0]["id"].to_string();
    stdout_ok(&alice.ctl(&["hangup", &id]));
    let removed = wait_until(LIMIT, || upnp_mapped_ports(&nats, &gateway).is_empty());
    assert!(removed, "{:?}", upnp_mapped_ports(&nats, &gateway));
}

/// miniupnpd as the gateway in namespace `nat` (public side `wan`, home side `lan`), with
/// the nftables chains it fills; killed when dropped.
fn start_miniupnpd(nats: &Nats, nat: &str, tmp: &Path) -> Killed {
    let rules = tmp.join("upnp.nft");
    std::fs::write(
        &rules,
        "table inet filter {\n\
         chain miniupnpd {}\n\
         chain prerouting_miniupnpd {}\n\
         chain postrouting_miniupnpd {}\n\
         chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }\n\
         chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }\n\
         chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }\n\
         }\n",
    )
    .unwrap();
    nats.0
        .exec(nat, &["nft", "-f", &rules.display().to_string()]);
    let config = tmp.join("miniupnpd.conf");
    std::fs::write(
        &config,
        "ext_ifname=wan\nlistening_ip=lan\nenable_upnp=yes\nenable_natpmp=yes\n\
         secure_mode=yes\nsystem_uptime=yes\nuuid=3e6a1d55-5b5a-4c3f-9a8e-52a1c0ffee15\n\
         allow 1024-65535 10.82.2.0/24 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n",
    )
    .unwrap();
    let log = std::fs::File::create(tmp.join("miniupnpd.log")).unwrap();
    let child = std::process::Command::new("ip")
        .args(["netns", "exec", nat, "miniupnpd", "-d", "-f"])
        .arg(&config)
        .arg("-P")
        .arg(tmp.join("miniupnpd.pid"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Killed(child)
}

/// The public UDP ports the gateway in `nat` forwards to Bob's host (its DNAT rules).
fn upnp_mapped_ports(nats: &Nats, nat: &str) -> Vec<u16> {
    let ruleset = nats.0.output(
        nat,
        &[
            "nft",
            "list",
            "chain",
            "inet",
            "filter",
            "prerouting_miniupnpd",
        ],
    );
    ruleset
        .lines()
        .filter(|line| line.contains("dnat ip to 10.82.2.2:"))
        .filter_map(|line| {
            let after = line.split("dport ").nth(1)?;
            after.split_whitespace().next()?.parse().ok()
        })
        .collect()
}
