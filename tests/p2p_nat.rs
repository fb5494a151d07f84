//! Two devices behind separate NATs reach each other through a relay node and then talk
//! directly, by DCUtR hole punching. The network is built from network namespaces that the
//! test creates (and removes): an "internet" holding a `ringlet node`, two NAT routers
//! (iptables MASQUERADE) and a host behind each. Neither host can reach the other's private
//! address; the only way in is through the relay, until the NATs are punched.

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::p2p::{contact_state, messages, node_info};
use common::{Daemon, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(60);

fn run(args: &[&str]) {
    let status = Command::new(args[0]).args(&args[1..]).status().unwrap();
    assert!(status.success(), "{args:?} failed");
}

/// inet — natA — hostA and inet — natB — hostB, removed when dropped.
struct Nats {
    inet: String,
    nat: [String; 2],
    host: [String; 2],
}

impl Nats {
    fn create() -> Nats {
        let id = std::process::id();
        let nats = Nats {
            inet: format!("rlinet{id}"),
            nat: [format!("rlnata{id}"), format!("rlnatb{id}")],
            host: [format!("rlhosta{id}"), format!("rlhostb{id}")],
        };
        for name in nats.all() {
            run(&["ip", "netns", "add", name]);
            nats.exec(name, &["ip", "link", "set", "lo", "up"]);
        }
        for (side, (wan_net, lan_net)) in [("10.80.1", "10.81.1"), ("10.80.2", "10.82.2")]
            .into_iter()
            .enumerate()
        {
            let (nat, host) = (&nats.nat[side], &nats.host[side]);
            let uplink = format!("to{side}");
            run(&[
                "ip", "link", "add", "wan", "netns", nat, "type", "veth", "peer", "name", &uplink,
                "netns", &nats.inet,
            ]);
            run(&[
                "ip", "link", "add", "lan", "netns", nat, "type", "veth", "peer", "name", "eth0",
                "netns", host,
            ]);
            let inet = nats.inet.as_str();
            nats.exec(
                inet,
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("{wan_net}.1/24"),
                    "dev",
                    &uplink,
                ],
            );
            nats.exec(inet, &["ip", "link", "set", &uplink, "up"]);
            nats.exec(
                nat,
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("{wan_net}.2/24"),
                    "dev",
                    "wan",
                ],
            );
            nats.exec(
                nat,
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("{lan_net}.1/24"),
                    "dev",
                    "lan",
                ],
            );
            nats.exec(nat, &["ip", "link", "set", "wan", "up"]);
            nats.exec(nat, &["ip", "link", "set", "lan", "up"]);
            nats.exec(
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
            nats.exec(nat, &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
            nats.exec(
                nat,
                &[
                    "iptables",
                    "-t",
                    "nat",
                    "-A",
                    "POSTROUTING",
                    "-o",
                    "wan",
                    "-j",
                    "MASQUERADE",
                ],
            );
            // Like a home router's firewall: nothing unsolicited reaches the router itself.
            // (A packet let in would also leave a connection-tracking entry that makes the
            // NAT move the host's next mapping to another port.)
            nats.exec(nat, &["iptables", "-A", "INPUT", "-i", "wan", "-j", "DROP"]);
            nats.exec(
                host,
                &[
                    "ip",
                    "addr",
                    "add",
                    &format!("{lan_net}.2/24"),
                    "dev",
                    "eth0",
                ],
            );
            nats.exec(host, &["ip", "link", "set", "eth0", "up"]);
            nats.exec(
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
        nats.exec(&nats.inet, &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        nats
    }

    fn all(&self) -> Vec<&String> {
        let mut all = vec![&self.inet];
        all.extend(&self.nat);
        all.extend(&self.host);
        all
    }

    fn exec(&self, namespace: &str, args: &[&str]) {
        let mut full = vec!["ip", "netns", "exec", namespace];
        full.extend_from_slice(args);
        run(&full);
    }

    /// A `ringlet node` in the internet namespace; returns it and its peer id.
    fn relay(&self, dir: &Path) -> (Killed, String) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.inet, common::ringlet_bin()])
            .arg("--data-dir")
            .arg(dir)
            .args(["node", "--listen", "/ip4/0.0.0.0/udp/4001/quic-v1"])
            .env("RINGLET_NO_KEYRING", "1")
            .env(
                "RINGLET_LOG",
                std::env::var("RINGLET_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
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
        let address = ["10.81.1.2", "10.82.2.2"][side];
        let child = Command::new("ip")
            .args(["netns", "exec", &self.host[side], common::ringlet_bin()])
            .arg("--data-dir")
            .arg(dir)
            .args(["--headless", "--audio", "none", "--bootstrap", relay])
            .args(["--p2p-listen", &format!("/ip4/{address}/udp/0/quic-v1")])
            .env("RINGLET_NO_KEYRING", "1")
            .env(
                "RINGLET_LOG",
                std::env::var("RINGLET_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("RINGLET_NO_MDNS", "1")
            .env_remove("RINGLET_P2P_LISTEN")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Daemon::adopt(child, dir)
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

impl Drop for Nats {
    fn drop(&mut self) {
        for name in self.all() {
            Command::new("ip")
                .args(["netns", "del", name])
                .status()
                .ok();
        }
    }
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
    let nats = Nats::create();
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
