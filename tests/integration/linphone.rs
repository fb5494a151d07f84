//! SIP interop with a real linphonec 5.1 (Debian `linphone-cli`) on loopback, playing and
//! recording WAV files: a call each way carries each side's tone (linphone plays 440 Hz,
//! Ringlet sends `tone:1000`), checked per 20 ms window on what each side recorded; and
//! MESSAGE both ways.

use std::path::Path;
use std::time::Duration;

use crate::common::audio::{ringlet_with_tone, wait_tone, wait_tone_before_end};
use crate::common::linphone::Linphone;
use crate::common::{Daemon, calls, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(15);
const RINGLET_TONE: f64 = 1_000.0;
const LINPHONE_TONE: f64 = 440.0;

/// A 440 Hz tone for linphone to play, 16-bit mono at 16 kHz, `seconds` long.
fn tone_file(path: &Path, seconds: u32) {
    let rate = 16_000u32;
    let samples: Vec<i16> = (0..rate * seconds)
        .map(|n| {
            let t = f64::from(n) / f64::from(rate);
            (8_000.0 * (2.0 * std::f64::consts::PI * LINPHONE_TONE * t).sin()) as i16
        })
        .collect();
    let mut writer = ringlet::media::wav::WavWriter::create(path, rate, 1).unwrap();
    writer.write(&samples).unwrap();
    writer.finish().unwrap();
}

fn add_account(daemon: &Daemon, port: u16, extra: &[&str]) {
    daemon.add_sip(
        "desk",
        &format!("sip:desk@127.0.0.1:{port}"),
        &format!("127.0.0.1:{port}"),
        extra,
    );
    let up = wait_until(LIMIT, || {
        daemon.status()["accounts"][0]["registration"]["state"] == "registered"
    });
    assert!(up, "{:#}", daemon.status());
}

fn only_call_id(daemon: &Daemon) -> String {
    let rows = calls(daemon);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows[0]["id"].as_u64().unwrap().to_string()
}

/// Linphone on `linphone_port` and a Ringlet with a `desk` account on `ringlet_port`, each
/// sending its tone; `place` makes the call and `end` hangs it up. Each side's tone must
/// reach the other.
fn call_carries_tones_both_ways(
    linphone_port: u16,
    ringlet_port: u16,
    account_options: &[&str],
    place: impl FnOnce(&Daemon, &mut Linphone),
    end: impl FnOnce(&Daemon, &mut Linphone),
) {
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("tone.wav");
    tone_file(&play, 30);
    let mut linphone = Linphone::start(&tmp.path().join("linphone"), linphone_port, &play);
    let dir = tmp.path().join("ringlet");
    let daemon = ringlet_with_tone(&dir, RINGLET_TONE);
    add_account(&daemon, ringlet_port, account_options);
    place(&daemon, &mut linphone);
    assert!(
        linphone.wait_for("connected", LIMIT),
        "{}",
        linphone.output()
    );
    let active = wait_until(LIMIT, || {
        calls(&daemon)
            .first()
            .is_some_and(|call| call["state"] == "active")
    });
    assert!(active, "{:#?}", calls(&daemon));
    wait_tone(
        &dir.join("heard.wav"),
        LINPHONE_TONE,
        "Ringlet hears linphone",
        LIMIT,
    );
    // linphone writes its recording's header when the call ends, so it is read after;
    // the call goes on 2 s more to give it that much of Ringlet's tone.
    std::thread::sleep(Duration::from_secs(2));
    end(&daemon, &mut linphone);
    assert!(
        wait_until(LIMIT, || calls(&daemon).is_empty()),
        "{:#?}",
        calls(&daemon)
    );
    assert!(linphone.wait_for("ended", LIMIT), "{}", linphone.output());
    wait_tone_before_end(
        &linphone.recording,
        RINGLET_TONE,
        "linphone hears Ringlet",
        0.3,
        LIMIT,
    );
}

#[test]
fn a_call_to_linphone_carries_tones_both_ways() {
    call_carries_tones_both_ways(
        16600,
        16610,
        &["--codecs", "pcmu"],
        |daemon, _| {
            stdout_ok(&daemon.ctl(&["call", "desk", "sip:lp@127.0.0.1:16600"]));
        },
        |daemon, _| {
            stdout_ok(&daemon.ctl(&["hangup", &only_call_id(daemon)]));
        },
    );
}

#[test]
fn a_call_from_linphone_carries_tones_both_ways() {
    call_carries_tones_both_ways(
        16620,
        16630,
        &["--codecs", "pcmu,pcma", "--auto-answer"],
        |_, linphone| linphone.command("call sip:desk@127.0.0.1:16630"),
        |_, linphone| linphone.command("terminate"),
    );
}

#[test]
fn messages_go_both_ways_with_linphone() {
    let tmp = tempfile::tempdir().unwrap();
    let play = tmp.path().join("tone.wav");
    tone_file(&play, 1);
    let mut linphone = Linphone::start(&tmp.path().join("linphone"), 16640, &play);
    let daemon = Daemon::start(&tmp.path().join("ringlet"));
    // linphone writes from its own identity (its user at an address of its choosing), so
    // its message is looked for among the events rather than under one peer.
    let events = crate::common::EventLog::start(&tmp.path().join("ringlet"));
    // linphone keys a chat by the peer's address without its port, so it writes to 5060:
    // Ringlet listens there, on a loopback address of its own.
    daemon.add_sip("desk", "sip:desk@127.0.0.2", "127.0.0.2:5060", &[]);
    let up = wait_until(LIMIT, || {
        daemon.status()["accounts"][0]["registration"]["state"] == "registered"
    });
    assert!(up, "{:#}", daemon.status());
    stdout_ok(&daemon.ctl(&[
        "message",
        "desk",
        "sip:lp@127.0.0.1:16640",
        "hello linphone, 你好",
    ]));
    assert!(
        linphone.wait_for("hello linphone, 你好", LIMIT),
        "{}",
        linphone.output()
    );
    linphone.command("chat sip:desk@127.0.0.2 hello ringlet");
    let received = events.wait_for("message-added", "hello ringlet", LIMIT);
    assert!(received, "{:#?}\n{}", events.lines(), linphone.output());
}
