//! SIP interop with sipp (Debian `sip-tester`), started by the tests on loopback: its
//! built-in `uac` scenario calls a Ringlet auto-answer account, and Ringlet calls its `uas`.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Daemon, history, stdout_ok, wait_until};

fn sipp() -> Command {
    let mut command = Command::new("sipp");
    command
        .arg("-nostdin")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

#[test]
fn sipp_uac_places_200_calls_into_an_auto_answer_account_and_all_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let id = daemon.add_sip(
        "Desk",
        "sip:desk@127.0.0.1",
        "127.0.0.1:15090",
        &["--auto-answer"],
    );
    assert!(id.starts_with("sip-"), "{id}");
    let ready = wait_until(Duration::from_secs(10), || {
        daemon.status()["accounts"][0]["registration"]["state"] == "registered"
    });
    assert!(ready, "the account never listened");

    let status = sipp()
        .args([
            "-sn",
            "uac",
            "127.0.0.1:15090",
            "-i",
            "127.0.0.1",
            "-p",
            "15091",
        ])
        .args([
            "-m",
            "200",
            "-r",
            "50",
            "-l",
            "20",
            "-d",
            "100",
            "-timeout",
            "60s",
            "-max_recv_loops",
            "1000",
        ])
        .status()
        .expect("sipp is installed (.ci/deps)");
    assert!(status.success(), "sipp reported failed calls: {status}");

    let calls = history(&daemon);
    assert_eq!(calls.len(), 200);
    assert!(
        calls
            .iter()
            .all(|call| call["end_reason"] == "remote-hangup" && call["outgoing"] == false)
    );
    assert!(
        calls
            .iter()
            .all(|call| call["duration_ms"].as_i64().unwrap() >= 90),
        "each call was up ~100 ms"
    );
    assert!(daemon.status()["calls"].as_array().unwrap().is_empty());
}

#[test]
fn ringlet_calls_into_sipp_uas_and_hangs_up() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    daemon.add_sip("Desk", "sip:desk@127.0.0.1", "127.0.0.1:15190", &[]);
    let mut uas = sipp()
        .args([
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-p",
            "15191",
            "-m",
            "5",
            "-timeout",
            "60s",
        ])
        .spawn()
        .expect("sipp is installed (.ci/deps)");
    for _ in 0..5 {
        let output = daemon.ctl(&["call", "Desk", "sip:service@127.0.0.1:15191"]);
        let call = stdout_ok(&output);
        let active = wait_until(Duration::from_secs(10), || {
            daemon.status()["calls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|row| row["id"].as_u64() == call.parse().ok() && row["state"] == "active")
        });
        assert!(active, "call {call} never became active");
        stdout_ok(&daemon.ctl(&["hangup", &call]));
        let gone = wait_until(Duration::from_secs(10), || {
            daemon.status()["calls"].as_array().unwrap().is_empty()
        });
        assert!(gone, "call {call} did not end");
    }
    let exited = wait_until(Duration::from_secs(20), || {
        matches!(uas.try_wait(), Ok(Some(_)))
    });
    assert!(exited, "sipp uas did not finish its 5 calls");
    assert!(uas.wait().unwrap().success(), "sipp uas saw failures");
    let calls = history(&daemon);
    assert_eq!(calls.len(), 5);
    assert!(
        calls
            .iter()
            .all(|call| call["end_reason"] == "hangup" && call["outgoing"] == true)
    );
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn sipp_sends_dtmf_by_info_and_ringlet_reports_the_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    daemon.add_sip(
        "Desk",
        "sip:desk@127.0.0.1",
        "127.0.0.1:15390",
        &["--auto-answer"],
    );
    let mut uac = sipp()
        .args(["-sf", &fixture("info.xml"), "127.0.0.1:15390"])
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            "15391",
            "-m",
            "1",
            "-timeout",
            "20s",
        ])
        .spawn()
        .expect("sipp is installed (.ci/deps)");
    // The scenario pauses 2 s after its INFOs, with the call still up.
    let digits = wait_until(Duration::from_secs(10), || {
        daemon.status()["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|call| call["dtmf_received"] == "5#")
    });
    assert!(digits, "{:#?}", daemon.status()["calls"]);
    assert!(uac.wait().unwrap().success(), "sipp's INFO scenario failed");
    assert_eq!(history(&daemon)[0]["end_reason"], "remote-hangup");
}

#[test]
fn sipp_sends_refer_and_ringlet_calls_the_target_reporting_by_notify() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    for (name, port) in [("Desk", "15490"), ("Carol", "15492")] {
        let aor = format!("sip:{}@127.0.0.1", name.to_lowercase());
        let listen = format!("127.0.0.1:{port}");
        daemon.add_sip(name, &aor, &listen, &["--auto-answer"]);
    }
    let status = sipp()
        .args(["-sf", &fixture("refer.xml"), "127.0.0.1:15490"])
        .args(["-key", "refer_target", "sip:carol@127.0.0.1:15492"])
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            "15491",
            "-m",
            "1",
            "-timeout",
            "20s",
        ])
        .status()
        .expect("sipp is installed (.ci/deps)");
    assert!(status.success(), "sipp's REFER scenario failed: {status}");
    // Desk now talks to Carol (both here): two legs of one call, both up.
    let rows = daemon.status()["calls"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().all(|row| row["state"] == "active"));
    assert!(
        rows.iter()
            .any(|row| row["peer"] == "sip:carol@127.0.0.1:15492")
    );
    // The call with sipp ended by Ringlet's BYE after the transfer succeeded.
    let ended = history(&daemon);
    assert_eq!(ended.len(), 1, "{ended:#?}");
    assert_eq!(ended[0]["end_reason"], "hangup");
}

#[test]
fn a_late_offer_gets_its_answer_from_the_ack_and_the_call_has_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    daemon.add_sip(
        "Desk",
        "sip:desk@127.0.0.1",
        "127.0.0.1:15396",
        &["--auto-answer"],
    );
    let mut uac = sipp()
        .args(["-sf", &fixture("late_offer.xml"), "127.0.0.1:15396"])
        .args(["-i", "127.0.0.1", "-p", "15397", "-mp", "15398"])
        .args(["-m", "1", "-timeout", "20s"])
        .spawn()
        .expect("sipp is installed (.ci/deps)");
    // The answer in the ACK starts the media: PCMU, and packets sent to sipp's media port.
    let audio = wait_until(Duration::from_secs(10), || {
        daemon.status()["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|call| {
                call["media"]["codec"] == "pcmu"
                    && call["media"]["packets_sent"].as_u64().unwrap_or(0) > 10
            })
    });
    assert!(audio, "{:#?}", daemon.status()["calls"]);
    assert!(
        uac.wait().unwrap().success(),
        "sipp's late-offer scenario failed"
    );
}
