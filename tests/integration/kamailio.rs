//! SIP interop with a real Kamailio (Debian `kamailio`) as registrar and proxy with digest
//! authentication, started by the test on loopback with `tests/fixtures/kamailio.cfg`.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{Daemon, calls, history, stdout_ok, wait_until};

/// A Kamailio process, stopped with SIGTERM (which also stops its children) when dropped.
pub(super) struct Kamailio {
    child: Child,
    log: PathBuf,
}

impl Kamailio {
    pub(super) fn start(dir: &Path, port: u16) -> Kamailio {
        Kamailio::start_with(dir, port, None)
    }

    /// Kamailio listening on `ip` instead of 127.0.0.1 (UDP and TCP).
    pub(super) fn start_at(dir: &Path, ip: &str, port: u16) -> Kamailio {
        Kamailio::start_on(dir, ip, port, None)
    }

    /// Kamailio with a TLS listener on `tls_port` whose certificate (for 127.0.0.1) a
    /// fresh test CA signed; returns it and the CA's PEM file.
    fn start_tls(dir: &Path, port: u16, tls_port: u16) -> (Kamailio, PathBuf) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Ringlet test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca, &ca_key)
            .unwrap();
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
        let tls_config = dir.join("tls.cfg");
        std::fs::write(
            &tls_config,
            format!(
                "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n\
                 private_key = {}\ncertificate = {}\n\n[client:default]\nverify_certificate = no\n\
                 require_certificate = no\n",
                dir.join("server.key").display(),
                dir.join("server.pem").display()
            ),
        )
        .unwrap();
        let kamailio = Kamailio::start_with(dir, port, Some((tls_port, &tls_config)));
        (kamailio, ca_file)
    }

    fn start_with(dir: &Path, port: u16, tls: Option<(u16, &Path)>) -> Kamailio {
        Kamailio::start_on(dir, "127.0.0.1", port, tls)
    }

    fn start_on(dir: &Path, ip: &str, port: u16, tls: Option<(u16, &Path)>) -> Kamailio {
        let mut config = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/kamailio.cfg"
        ))
        .unwrap()
        .replace("@PORT@", &port.to_string())
        .replace("listen=udp:127.0.0.1:", &format!("listen=udp:{ip}:"))
        .replace("listen=tcp:127.0.0.1:", &format!("listen=tcp:{ip}:"));
        if let Some((tls_port, tls_config)) = tls {
            config = format!("#!define WITH_TLS\n{config}")
                .replace("@TLSPORT@", &tls_port.to_string())
                .replace("@TLSCFG@", &tls_config.display().to_string());
            // `#!KAMAILIO` must stay the first line.
            config = config.replacen(
                "#!define WITH_TLS\n#!KAMAILIO\n",
                "#!KAMAILIO\n#!define WITH_TLS\n",
                1,
            );
        }
        std::fs::create_dir_all(dir).unwrap();
        let config_path = dir.join("kamailio.cfg");
        std::fs::write(&config_path, config).unwrap();
        let run_dir = dir.join("run");
        std::fs::create_dir_all(&run_dir).unwrap();
        let log = dir.join("kamailio.log");
        let child = Command::new("kamailio")
            // Its own process group, so that its workers go with it (see Drop).
            .process_group(0)
            .args(["-DD", "-E", "-f"])
            .arg(&config_path)
            .arg("-Y")
            .arg(&run_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("kamailio is installed (.ci/deps)");
        let kamailio = Kamailio { child, log };
        let listening = wait_until(Duration::from_secs(10), || {
            kamailio.log_text().contains("probe_max_receive_buffer")
        });
        assert!(
            listening,
            "kamailio did not start:\n{}",
            kamailio.log_text()
        );
        kamailio
    }

    pub(super) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Requests of `method` from `user` that Kamailio saw.
    pub(super) fn seen(&self, method: &str, user: &str) -> usize {
        let needle = format!("ringlet-test: {method} from {user} ");
        self.log_text().matches(&needle).count()
    }

    /// Requests of `method` from `user` that came over `protocol` (`udp`, `tcp`).
    fn seen_over(&self, method: &str, user: &str, protocol: &str) -> usize {
        let from = format!("ringlet-test: {method} from {user} ");
        let over = format!(" over {protocol} ");
        self.log_text()
            .lines()
            .filter(|line| line.contains(&from) && line.contains(&over))
            .count()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // SIGTERM lets the main process stop its workers; then the whole group goes, so
        // that no worker is left holding the test's ports.
        let group = format!("-{}", self.child.id());
        Command::new("kill")
            .args(["-TERM", "--", &group])
            .status()
            .ok();
        let stopped = wait_until(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !stopped {
            self.child.kill().ok();
        }
        Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status()
            .ok();
        self.child.wait().ok();
    }
}

fn add_account_at(
    daemon: &Daemon,
    registrar: &str,
    user: &str,
    password: &str,
    port: u16,
    extra: &[&str],
) -> String {
    let aor = format!("sip:{user}@ringlet.test");
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "account",
        "add-sip",
        "--name",
        user,
        "--aor",
        &aor,
        "--registrar",
        registrar,
        "--password",
        password,
        "--listen",
        &listen,
    ];
    args.extend_from_slice(extra);
    stdout_ok(&daemon.ctl(&args))
}

fn account_state(daemon: &Daemon, name: &str) -> serde_json::Value {
    daemon.status()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["name"] == name)
        .map(|account| account["registration"].clone())
        .unwrap_or_default()
}

#[test]
fn accounts_register_refresh_call_and_message_each_other_through_kamailio() {
    let tmp = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::start(tmp.path(), 15960);
    let data = tmp.path().join("ringlet");
    let daemon = Daemon::start(&data);
    add_alice_and_bob(
        &daemon,
        &kamailio,
        "sip:127.0.0.1:15960",
        (15961, 15962),
        &["--expires", "4"],
    );

    // Kamailio grants the 4 s asked for; Ringlet refreshes half way, so over 7 s each
    // account sends at least three more challenged-and-answered REGISTER pairs.
    let first = kamailio.seen("REGISTER", "alice");
    let refreshed = wait_until(Duration::from_secs(7), || {
        kamailio.seen("REGISTER", "alice") >= first + 6
            && kamailio.seen("REGISTER", "bob") >= first + 6
    });
    assert!(refreshed, "too few refreshes:\n{}", kamailio.log_text());
    assert_eq!(account_state(&daemon, "alice")["state"], "registered");

    // A call from alice to bob by AOR: routed by Kamailio's location table, after the
    // first INVITE is challenged (407) and sent again with credentials.
    let call = stdout_ok(&daemon.ctl(&["call", "alice", "sip:bob@ringlet.test"]));
    let both_active = wait_until(Duration::from_secs(10), || {
        let rows = calls(&daemon);
        rows.len() == 2 && rows.iter().all(|row| row["state"] == "active")
    });
    assert!(
        both_active,
        "{:#?}\n{}",
        calls(&daemon),
        kamailio.log_text()
    );
    assert_eq!(
        kamailio.seen("INVITE", "alice"),
        2,
        "challenged once, then authorised"
    );
    std::thread::sleep(Duration::from_millis(300));
    stdout_ok(&daemon.ctl(&["hangup", &call]));
    let ended = wait_until(Duration::from_secs(10), || calls(&daemon).is_empty());
    assert!(ended, "{:#?}\n{}", calls(&daemon), kamailio.log_text());
    // The BYE went through Kamailio (it record-routed the dialog).
    assert_eq!(kamailio.seen("BYE", "alice"), 1);
    let rows = history(&daemon);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().any(|row| row["outgoing"] == true
        && row["end_reason"] == "hangup"
        && row["peer"] == "sip:bob@ringlet.test"
        && row["duration_ms"].as_i64().unwrap() >= 250));
    assert!(rows.iter().any(|row| {
        row["outgoing"] == false
            && row["end_reason"] == "remote-hangup"
            && row["peer"]
                .as_str()
                .unwrap()
                .starts_with("sip:alice@ringlet.test")
    }));

    // MESSAGE through the proxy, also challenged and answered.
    let reply = stdout_ok(&daemon.ctl(&[
        "message",
        "alice",
        "sip:bob@ringlet.test",
        "hello 你好 via kamailio",
    ]));
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["code"], 200);
    // Both sides keep it in the conversation with the other.
    let sent = stdout_ok(&daemon.ctl(&["messages", "alice", "sip:bob@ringlet.test"]));
    let sent: serde_json::Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(sent[0]["body"], "hello 你好 via kamailio");
    assert_eq!(sent[0]["outgoing"], true);
    let received = stdout_ok(&daemon.ctl(&[
        "messages",
        "bob",
        "sip:alice@ringlet.test",
        "--search",
        "你好",
    ]));
    let received: serde_json::Value = serde_json::from_str(&received).unwrap();
    assert_eq!(received.as_array().unwrap().len(), 1, "{received:#}");
    assert_eq!(received[0]["outgoing"], false);

    // Disabling bob removes his binding: a call to him is now refused by Kamailio.
    stdout_ok(&daemon.ctl(&["account", "disable", "bob"]));
    let offline = wait_until(Duration::from_secs(5), || {
        account_state(&daemon, "bob")["state"] == "offline"
    });
    assert!(offline, "{:#?}", account_state(&daemon, "bob"));
    // The un-REGISTER (Expires: 0) was challenged and answered like any other.
    let removals = kamailio
        .log_text()
        .lines()
        .filter(|line| line.contains("REGISTER from bob") && line.ends_with("expires=0"))
        .count();
    assert_eq!(removals, 2, "{}", kamailio.log_text());
    // Within the 4 s the binding would otherwise live, Kamailio no longer knows bob.
    stdout_ok(&daemon.ctl(&["call", "alice", "sip:bob@ringlet.test"]));
    let refused = wait_until(Duration::from_secs(2), || {
        history(&daemon)
            .iter()
            .any(|row| row["end_reason"] == "rejected-404")
    });
    assert!(refused, "{:#?}", history(&daemon));
}

#[test]
fn a_wrong_password_gives_a_clear_registration_error() {
    let tmp = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::start(tmp.path(), 15970);
    let data = tmp.path().join("ringlet");
    let daemon = Daemon::start(&data);
    stdout_ok(&daemon.ctl(&[
        "account",
        "add-sip",
        "--name",
        "carol",
        "--aor",
        "sip:carol@ringlet.test",
        "--registrar",
        "sip:127.0.0.1:15970",
        "--password",
        "not-her-password",
        "--listen",
        "127.0.0.1:15971",
    ]));
    let failed = wait_until(Duration::from_secs(10), || {
        account_state(&daemon, "carol")["state"] == "failed"
    });
    let state = account_state(&daemon, "carol");
    assert!(failed, "{state:#?}\n{}", kamailio.log_text());
    let detail = state["detail"].as_str().unwrap();
    assert!(
        detail.contains("401") && detail.contains("password"),
        "{detail}"
    );
    // One challenged REGISTER and one refused answer: no retry storm. A MESSAGE sent
    // after the failure through the same socket marks the point Kamailio must have
    // logged any retry by (its answer does not matter).
    let _ = daemon.ctl(&["message", "carol", "sip:nobody@ringlet.test", "barrier"]);
    let marked = wait_until(Duration::from_secs(10), || {
        kamailio.seen("MESSAGE", "carol") >= 1
    });
    assert!(marked, "{}", kamailio.log_text());
    assert_eq!(
        kamailio.seen("REGISTER", "carol"),
        2,
        "{}",
        kamailio.log_text()
    );
}

/// Adds alice and bob (bob answers by himself) registering at `registrar` from the two
/// loopback ports, with `extra` options, and waits until both are registered.
fn add_alice_and_bob(
    daemon: &Daemon,
    kamailio: &Kamailio,
    registrar: &str,
    ports: (u16, u16),
    extra: &[&str],
) {
    add_account_at(daemon, registrar, "alice", "alice-secret", ports.0, extra);
    let mut bob_extra = extra.to_vec();
    bob_extra.push("--auto-answer");
    add_account_at(daemon, registrar, "bob", "bob-secret", ports.1, &bob_extra);
    // Generous: under a loaded CI machine Kamailio's workers answer late, and a REGISTER
    // lost to a slow start is only retransmitted after 0.5, 1, 2, 4 s.
    let registered = wait_until(Duration::from_secs(25), || {
        account_state(daemon, "alice")["state"] == "registered"
            && account_state(daemon, "bob")["state"] == "registered"
    });
    assert!(
        registered,
        "{:#?}\n{}",
        daemon.status(),
        kamailio.log_text()
    );
}

/// alice calls bob by AOR through Kamailio over `protocol` and hangs up: the INVITE is
/// challenged once, and the BYE follows the record-route.
fn call_and_hang_up_through(daemon: &Daemon, kamailio: &Kamailio, protocol: &str) {
    let call = stdout_ok(&daemon.ctl(&["call", "alice", "sip:bob@ringlet.test"]));
    let both_active = wait_until(Duration::from_secs(10), || {
        let rows = calls(daemon);
        rows.len() == 2 && rows.iter().all(|row| row["state"] == "active")
    });
    assert!(both_active, "{:#?}\n{}", calls(daemon), kamailio.log_text());
    stdout_ok(&daemon.ctl(&["hangup", &call]));
    let ended = wait_until(Duration::from_secs(10), || calls(daemon).is_empty());
    assert!(ended, "{:#?}\n{}", calls(daemon), kamailio.log_text());
    assert_eq!(kamailio.seen_over("INVITE", "alice", protocol), 2);
    assert_eq!(kamailio.seen_over("BYE", "alice", protocol), 1);
}

#[test]
fn accounts_register_and_call_each_other_over_tcp() {
    let tmp = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::start(tmp.path(), 15980);
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    let registrar = "sip:127.0.0.1:15980;transport=tcp";
    add_alice_and_bob(
        &daemon,
        &kamailio,
        registrar,
        (15981, 15982),
        &["--transport", "tcp"],
    );
    assert_eq!(kamailio.seen_over("REGISTER", "alice", "udp"), 0);
    assert!(kamailio.seen_over("REGISTER", "alice", "tcp") >= 2);

    call_and_hang_up_through(&daemon, &kamailio, "tcp");
    assert_eq!(kamailio.seen_over("INVITE", "alice", "udp"), 0);
}

#[test]
fn accounts_register_and_call_each_other_over_tls_with_the_certificate_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (kamailio, ca) = Kamailio::start_tls(tmp.path(), 16960, 16961);
    let ca = ca.display().to_string();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    let registrar = "sip:127.0.0.1:16961;transport=tls";
    add_alice_and_bob(
        &daemon,
        &kamailio,
        registrar,
        (16962, 16963),
        &["--transport", "tls", "--tls-ca", &ca],
    );
    assert!(kamailio.seen_over("REGISTER", "alice", "tls") >= 2);

    call_and_hang_up_through(&daemon, &kamailio, "tls");

    // Without the test CA, the server's certificate is not trusted: no registration, and
    // the reason says why.
    add_account_at(
        &daemon,
        registrar,
        "carol",
        "carol-secret",
        16964,
        &["--transport", "tls"],
    );
    let refused = wait_until(Duration::from_secs(40), || {
        account_state(&daemon, "carol")["state"] == "failed"
    });
    let state = account_state(&daemon, "carol");
    assert!(refused, "{state:#?}");
    let detail = state["detail"].as_str().unwrap().to_lowercase();
    assert!(
        detail.contains("certificate") || detail.contains("issuer"),
        "{detail}"
    );
    assert_eq!(kamailio.seen("REGISTER", "carol"), 0);
}
