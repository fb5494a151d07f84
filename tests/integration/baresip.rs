//! SIP interop with a real baresip 1.0 (Debian `baresip`), started by each test with its
//! own config directory on loopback: calls both ways, hold and resume from each side,
//! blind transfer both ways, and MESSAGE both ways.

use std::time::Duration;

use crate::common::baresip::Baresip;
use crate::common::{Daemon, calls, history, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(10);

fn add_account(daemon: &Daemon, name: &str, port: u16, auto_answer: bool) {
    let aor = format!("sip:{name}@127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let extra: &[&str] = if auto_answer { &["--auto-answer"] } else { &[] };
    daemon.add_sip(name, &aor, &listen, extra);
    let up = wait_until(LIMIT, || {
        daemon.status()["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|account| {
                account["name"] == name && account["registration"]["state"] == "registered"
            })
    });
    assert!(up, "account {name} did not start");
}

fn only_call(daemon: &Daemon) -> serde_json::Value {
    let rows = calls(daemon);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows[0].clone()
}

#[test]
fn baresip_calls_ringlet_both_hold_and_resume_and_ringlet_hangs_up() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16070, true);
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16060,
        "sip:desk@127.0.0.1:16070",
        "",
    );

    let dialed = baresip.command("dial", "sip:desk@127.0.0.1:16070");
    assert_eq!(dialed["ok"], true, "{dialed:#}");
    assert!(
        baresip.wait_for("CALL_ESTABLISHED", LIMIT),
        "{}",
        baresip.log_text()
    );
    let active = wait_until(LIMIT, || only_call(&daemon)["state"] == "active");
    assert!(active);
    let call = only_call(&daemon)["id"].as_u64().unwrap().to_string();

    // Ringlet holds: its re-INVITE (a=sendonly) is accepted by baresip.
    stdout_ok(&daemon.ctl(&["hold", &call]));
    assert!(
        wait_until(LIMIT, || only_call(&daemon)["state"] == "held"),
        "{}",
        baresip.log_text()
    );
    stdout_ok(&daemon.ctl(&["resume", &call]));
    assert!(wait_until(LIMIT, || only_call(&daemon)["state"] == "active"));

    // baresip holds and resumes: Ringlet shows the peer's hold.
    baresip.key('x');
    let held = wait_until(LIMIT, || only_call(&daemon)["held_remotely"] == true);
    assert!(held, "{:#?}\n{}", calls(&daemon), baresip.log_text());
    baresip.key('X');
    let resumed = wait_until(LIMIT, || only_call(&daemon)["held_remotely"] == false);
    assert!(resumed, "{}", baresip.log_text());
    assert_eq!(only_call(&daemon)["state"], "active");

    stdout_ok(&daemon.ctl(&["hangup", &call]));
    assert!(
        baresip.wait_for("CALL_CLOSED", LIMIT),
        "{}",
        baresip.log_text()
    );
    assert!(wait_until(LIMIT, || calls(&daemon).is_empty()));
    let rows = history(&daemon);
    assert_eq!(rows[0]["outgoing"], false);
    assert_eq!(rows[0]["end_reason"], "hangup");
}

#[test]
fn ringlet_calls_baresip_which_hangs_up() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16170, false);
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16160,
        "sip:desk@127.0.0.1:16170",
        ";answermode=auto",
    );
    let call = stdout_ok(&daemon.ctl(&["call", "desk", "sip:bb@127.0.0.1:16160"]));
    assert!(
        baresip.wait_for("CALL_ESTABLISHED", LIMIT),
        "{}",
        baresip.log_text()
    );
    assert!(wait_until(LIMIT, || only_call(&daemon)["state"] == "active"));
    std::thread::sleep(Duration::from_millis(200));
    let hung = baresip.command("hangup", "");
    assert_eq!(hung["ok"], true, "{hung:#}");
    assert!(
        wait_until(LIMIT, || calls(&daemon).is_empty()),
        "call {call} stayed"
    );
    let rows = history(&daemon);
    assert_eq!(rows[0]["outgoing"], true);
    assert_eq!(rows[0]["end_reason"], "remote-hangup");
    assert!(rows[0]["duration_ms"].as_i64().unwrap() >= 150);
}

#[test]
fn ringlet_transfers_baresip_to_another_account_blind() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16270, false);
    add_account(&daemon, "carol", 16271, true);
    let baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16260,
        "sip:desk@127.0.0.1:16270",
        ";answermode=auto",
    );
    let call = stdout_ok(&daemon.ctl(&["call", "desk", "sip:bb@127.0.0.1:16260"]));
    assert!(wait_until(LIMIT, || only_call(&daemon)["state"] == "active"));
    stdout_ok(&daemon.ctl(&["transfer", &call, "sip:carol@127.0.0.1:16271"]));
    // baresip calls carol; Ringlet's first call ends once the transfer succeeded.
    let transferred = wait_until(LIMIT, || {
        let rows = calls(&daemon);
        rows.len() == 1
            && rows[0]["peer"].as_str().unwrap().contains("sip:bb@")
            && rows[0]["state"] == "active"
            && rows[0]["id"].as_u64().unwrap().to_string() != call
    });
    assert!(transferred, "{:#?}\n{}", calls(&daemon), baresip.log_text());
    let rows = history(&daemon);
    assert_eq!(rows[0]["peer"], "sip:bb@127.0.0.1:16260");
    assert_eq!(rows[0]["end_reason"], "hangup", "{rows:#?}");
}

#[test]
fn baresip_transfers_ringlet_blind_and_ringlet_follows_the_refer() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16370, true);
    add_account(&daemon, "carol", 16371, true);
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16360,
        "sip:desk@127.0.0.1:16370",
        "",
    );
    baresip.command("dial", "sip:desk@127.0.0.1:16370");
    assert!(
        baresip.wait_for("CALL_ESTABLISHED", LIMIT),
        "{}",
        baresip.log_text()
    );
    let transfer = baresip.command("transfer", "sip:carol@127.0.0.1:16371");
    assert_eq!(transfer["ok"], true, "{transfer:#}");
    // desk calls carol (both in this daemon); baresip's call to desk ends.
    let moved = wait_until(LIMIT, || {
        let rows = calls(&daemon);
        rows.len() == 2
            && rows.iter().all(|row| row["state"] == "active")
            && rows
                .iter()
                .any(|row| row["peer"] == "sip:carol@127.0.0.1:16371")
    });
    assert!(moved, "{:#?}\n{}", calls(&daemon), baresip.log_text());
    assert!(
        baresip.wait_for("CALL_CLOSED", LIMIT),
        "{}",
        baresip.log_text()
    );
}

#[test]
fn messages_go_both_ways_between_ringlet_and_baresip() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16470, false);
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16460,
        "sip:desk@127.0.0.1:16470",
        "",
    );

    let reply = stdout_ok(&daemon.ctl(&[
        "message",
        "desk",
        "sip:bb@127.0.0.1:16460",
        "hello baresip 你好",
    ]));
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["code"], 200);
    let shown = wait_until(LIMIT, || baresip.console().contains("hello baresip 你好"));
    assert!(shown, "{}", baresip.log_text());

    let sent = baresip.command("message", "hello ringlet");
    assert_eq!(sent["ok"], true, "{sent:#}");
    let stored = wait_until(LIMIT, || {
        let text = stdout_ok(&daemon.ctl(&["messages", "desk", "sip:bb@127.0.0.1:16460"]));
        text.contains("hello ringlet")
    });
    assert!(stored, "{}", baresip.log_text());
    let text = stdout_ok(&daemon.ctl(&["messages", "desk", "sip:bb@127.0.0.1:16460"]));
    let messages: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(messages[0]["outgoing"], true);
    assert_eq!(messages[1]["outgoing"], false);
    assert_eq!(messages[1]["body"], "hello ringlet");
}

#[test]
fn attended_transfer_connects_the_two_peers_and_replaces_their_calls() {
    // Three Ringlet accounts: desk talks to bob and to carol, then connects them.
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    add_account(&daemon, "desk", 16570, false);
    add_account(&daemon, "bob", 16571, true);
    add_account(&daemon, "carol", 16572, true);
    let to_bob = stdout_ok(&daemon.ctl(&["call", "desk", "sip:bob@127.0.0.1:16571"]));
    let to_carol = stdout_ok(&daemon.ctl(&["call", "desk", "sip:carol@127.0.0.1:16572"]));
    let up = wait_until(LIMIT, || {
        let rows = calls(&daemon);
        rows.len() == 4 && rows.iter().all(|row| row["state"] == "active")
    });
    assert!(up, "{:#?}", calls(&daemon));
    stdout_ok(&daemon.ctl(&["transfer", &to_bob, "--to-call", &to_carol]));
    // Bob calls carol with Replaces; carol's leg with desk is replaced; desk leaves both.
    let done = wait_until(LIMIT, || {
        let rows = calls(&daemon);
        rows.len() == 2
            && rows.iter().all(|row| row["state"] == "active")
            && rows
                .iter()
                .any(|row| row["peer"] == "sip:carol@127.0.0.1:16572")
            && rows
                .iter()
                .all(|row| row["peer"] != "sip:desk@127.0.0.1:16570")
    });
    assert!(done, "{:#?}", calls(&daemon));
    let rows = history(&daemon);
    let ended_for = |peer: &str| rows.iter().filter(|row| row["peer"] == peer).count();
    assert_eq!(ended_for("sip:bob@127.0.0.1:16571"), 1, "{rows:#?}");
    assert_eq!(ended_for("sip:carol@127.0.0.1:16572"), 1, "{rows:#?}");
}
