//! STUN with a real STUN server (coturn from Debian, `--stun-only`) on loopback: the
//! account learns its mapped address before registering, and uses it in its Contact.
//! On loopback there is no NAT, so the mapped address is the socket's own; what this
//! shows is the round trip with a real server, and that an account with an unreachable
//! STUN server still works.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Daemon, stdout_ok, wait_until};

struct Coturn(Child);

impl Drop for Coturn {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn coturn(port: u16) -> Coturn {
    let child = Command::new("turnserver")
        .args([
            "-n",
            "--no-cli",
            "--stun-only",
            "--no-tls",
            "--no-dtls",
            "--simple-log",
        ])
        .args([
            "--listening-ip=127.0.0.1",
            &format!("--listening-port={port}"),
        ])
        .args(["--log-file=stdout"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("coturn is installed (.ci/deps)");
    // Ready when its UDP port answers a Binding request.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let transaction = [7u8; 12];
    let up = wait_until(Duration::from_secs(10), || {
        probe
            .send_to(
                &ringlet::stun::binding_request(&transaction),
                ("127.0.0.1", port),
            )
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
    Coturn(child)
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
        stdout_ok(&daemon.ctl(&[
            "account",
            "add-sip",
            "--name",
            name,
            "--aor",
            &aor,
            "--listen",
            &listen,
            "--stun",
            stun,
            "--auto-answer",
        ]));
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
