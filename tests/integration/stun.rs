//! STUN with a real STUN server (coturn from Debian, `--stun-only`): on loopback (the round
//! trip, and an unreachable server that leaves the account working), and behind a real
//! NAT made of network namespaces, veth pairs and iptables masquerading that the test
//! creates and removes, where the learnt address is the NAT's, not the account's own.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::netns::Namespaces;
use crate::common::{Daemon, stdout_ok, wait_until};

struct Coturn(Child);

impl Drop for Coturn {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn coturn(port: u16) -> Coturn {
    coturn_on(None, "127.0.0.1", port)
}

/// coturn listening on `ip:port`, inside the namespace `netns` when given.
fn coturn_on(netns: Option<&str>, ip: &str, port: u16) -> Coturn {
    let mut command = match netns {
        Some(name) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", name, "turnserver"]);
            command
        }
        None => Command::new("turnserver"),
    };
    let child = command
        .args([
            "-n",
            "--no-cli",
            "--stun-only",
            "--no-tls",
            "--no-dtls",
            "--simple-log",
        ])
        .args([
            format!("--listening-ip={ip}"),
            format!("--listening-port={port}"),
        ])
        .args(["--log-file=stdout"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("coturn is installed (.ci/deps)");
    let coturn = Coturn(child);
    if netns.is_some() {
        // Its readiness shows in the account's result; a probe from here cannot reach it.
        return coturn;
    }
    // Ready when its UDP port answers a Binding request.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let transaction = [7u8; 12];
    let up = wait_until(Duration::from_secs(10), || {
        probe
            .send_to(&ringlet::stun::binding_request(&transaction), (ip, port))
            .ok();
        let mut buffer = [0u8; 512];
        probe
            .recv(&mut buffer)
            .ok()
            .and_then(|len| {
                ringlet::stun::parse_binding_response(&buffer[..len], &transaction).ok()
            })
            .is_some()
    });
    assert!(up, "coturn did not answer STUN");
    coturn
}

fn account(daemon: &Daemon, name: &str) -> serde_json::Value {
    daemon.status()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["name"] == name)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn an_account_learns_its_address_from_a_stun_server_and_still_takes_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let _server = coturn(15780);
    let daemon = Daemon::start(tmp.path());
    for (name, port, stun) in [
        ("desk", 15781, "127.0.0.1:15780"),
        ("lost", 15782, "127.0.0.1:15789"),
    ] {
        let aor = format!("sip:{name}@127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        daemon.add_sip(name, &aor, &listen, &["--stun", stun, "--auto-answer"]);
    }
    let learnt = wait_until(Duration::from_secs(10), || {
        account(&daemon, "desk")["public_address"] == "127.0.0.1:15781"
    });
    assert!(learnt, "{:#?}", account(&daemon, "desk"));
    // With no STUN answer (nothing listens on 15789) the account goes on with its own
    // address after the retransmissions, and a call between the two connects.
    let ready = wait_until(Duration::from_secs(10), || {
        account(&daemon, "lost")["registration"]["state"] == "registered"
    });
    assert!(ready, "{:#?}", account(&daemon, "lost"));
    assert_eq!(
        account(&daemon, "lost")["public_address"],
        serde_json::Value::Null
    );
    stdout_ok(&daemon.ctl(&["call", "lost", "sip:desk@127.0.0.1:15781"]));
    let up = wait_until(Duration::from_secs(10), || {
        let calls = daemon.status()["calls"].as_array().unwrap().clone();
        calls.len() == 2 && calls.iter().all(|call| call["state"] == "active")
    });
    assert!(up, "{:#?}", daemon.status()["calls"]);
}

/// Three namespaces: `pub` (the STUN server, 10.99.0.1), `nat` (a router that masquerades
/// 10.98.0.0/24 behind 10.99.0.2) and `priv` (the account, 10.98.0.2). Removed on drop.
fn nat() -> Namespaces {
    let spaces = Namespaces::create(&["rlpub", "rlnat", "rlpriv"]);
    let (public, router, private) = (spaces.name(0), spaces.name(1), spaces.name(2));
    spaces.veth(public, "rlv0", router, "rlv1");
    spaces.veth(router, "rlv2", private, "rlv3");
    spaces.address(public, "rlv0", "10.99.0.1/24");
    spaces.address(router, "rlv1", "10.99.0.2/24");
    spaces.address(router, "rlv2", "10.98.0.1/24");
    spaces.masquerade(router, "rlv1");
    spaces.address(private, "rlv3", "10.98.0.2/24");
    spaces.exec(
        private,
        &["ip", "route", "add", "default", "via", "10.98.0.1"],
    );
    spaces
}

#[test]
fn behind_a_nat_the_account_learns_the_nat_s_address() {
    let nat = nat();
    let (public, private) = (nat.name(0), nat.name(2));
    let _server = coturn_on(Some(public), "10.99.0.1", 3478);
    std::thread::sleep(Duration::from_millis(500));
    let tmp = tempfile::tempdir().unwrap();
    // The daemon runs in the private namespace; ctl reaches it through its Unix socket.
    let child = nat
        .ringlet(private, tmp.path())
        .args(["--headless", "--audio", "none"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon::adopt(child, tmp.path());
    daemon.add_sip(
        "desk",
        "sip:desk@10.98.0.2",
        "10.98.0.2:5060",
        &["--stun", "10.99.0.1:3478"],
    );
    let learnt = wait_until(Duration::from_secs(10), || {
        account(&daemon, "desk")["public_address"]
            .as_str()
            .is_some_and(|address| address.starts_with("10.99.0.2:"))
    });
    assert!(learnt, "{:#?}", account(&daemon, "desk"));
}
