//! Audio between two real Ringlet daemons on loopback, checked by analysing what each one
//! played out (`--audio-out file:…`): a tone each way, silence on hold and back on resume,
//! mute, RFC 4733 digits, a recording holding both parties, and a FLAC file played into
//! the call heard by the far side.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::audio::{is_silent, is_tone, tail, try_tail};
use crate::common::{Daemon, calls, history, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(20);
/// Ringlet's `tone:` input has a peak of 8000.
const TONE_AMPLITUDE: f64 = 8_000.0;

fn daemon(dir: &Path, tone: u32) -> Daemon {
    let out = dir.join("heard.wav");
    Daemon::start_with(
        &dir.join("data"),
        &[
            "--audio-in",
            &format!("tone:{tone}"),
            "--audio-out",
            &format!("file:{}", out.display()),
        ],
    )
}

fn only_call(daemon: &Daemon) -> serde_json::Value {
    let rows = calls(daemon);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows[0].clone()
}

/// Waits until the last half second `daemon` played satisfies `check`.
fn wait_heard(dir: &Path, check: impl Fn(&[i16], u32) -> Result<(), String>) -> Result<(), String> {
    let path = dir.join("heard.wav");
    let mut last = String::new();
    let ok = wait_until(LIMIT, || {
        match try_tail(&path, 0, 0.5).and_then(|(samples, rate)| check(&samples, rate)) {
            Ok(()) => true,
            Err(err) => {
                last = err;
                false
            }
        }
    });
    if ok { Ok(()) } else { Err(last) }
}

#[test]
fn two_ringlets_hear_each_other_hold_mute_dtmf_record_and_play_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let alice = daemon(&dir_a, 440);
    let bob = daemon(&dir_b, 1_000);
    alice.add_sip(
        "alice",
        "sip:alice@127.0.0.1:16210",
        "127.0.0.1:16210",
        &["--codecs", "opus,pcmu"],
    );
    bob.add_sip(
        "bob",
        "sip:bob@127.0.0.1:16220",
        "127.0.0.1:16220",
        &["--auto-answer", "--codecs", "opus,pcmu"],
    );
    stdout_ok(&alice.ctl(&["call", "alice", "sip:bob@127.0.0.1:16220"]));
    assert!(wait_until(LIMIT, || calls(&alice)
        .first()
        .is_some_and(|c| c["state"] == "active")));
    let call = only_call(&alice)["id"].as_u64().unwrap().to_string();
    let bob_call = only_call(&bob)["id"].as_u64().unwrap().to_string();

    // A tone each way, at the right frequency and level.
    wait_heard(&dir_b, |s, r| is_tone(s, r, 440.0, TONE_AMPLITUDE)).expect("bob hears alice");
    wait_heard(&dir_a, |s, r| is_tone(s, r, 1_000.0, TONE_AMPLITUDE)).expect("alice hears bob");
    let media = wait_until(LIMIT, || only_call(&alice)["media"]["codec"] == "opus");
    assert!(media, "{:#}", only_call(&alice));

    // Hold silences both directions; resume restores them.
    stdout_ok(&alice.ctl(&["hold", &call]));
    wait_heard(&dir_b, |s, _| is_silent(s)).expect("bob hears nothing while held");
    wait_heard(&dir_a, |s, _| is_silent(s)).expect("alice hears nothing while holding");
    stdout_ok(&alice.ctl(&["resume", &call]));
    wait_heard(&dir_b, |s, r| is_tone(s, r, 440.0, TONE_AMPLITUDE)).expect("bob hears alice again");
    wait_heard(&dir_a, |s, r| is_tone(s, r, 1_000.0, TONE_AMPLITUDE))
        .expect("alice hears bob again");

    // Mute: bob hears silence from alice, alice still hears bob.
    stdout_ok(&alice.ctl(&["mute", &call, "on"]));
    wait_heard(&dir_b, |s, _| is_silent(s)).expect("muted");
    wait_heard(&dir_a, |s, r| is_tone(s, r, 1_000.0, TONE_AMPLITUDE))
        .expect("alice still hears bob");
    stdout_ok(&alice.ctl(&["mute", &call, "off"]));
    wait_heard(&dir_b, |s, r| is_tone(s, r, 440.0, TONE_AMPLITUDE)).expect("unmuted");

    // Volume: a quarter (−12 dB) of bob's tone, then all of it again.
    stdout_ok(&alice.ctl(&["volume", "25"]));
    wait_heard(&dir_a, |s, r| {
        is_tone(s, r, 1_000.0, TONE_AMPLITUDE / 4.0)?;
        match is_tone(s, r, 1_000.0, TONE_AMPLITUDE) {
            Ok(()) => Err("still at full volume".into()),
            Err(_) => Ok(()),
        }
    })
    .expect("alice hears bob at a quarter");
    let refused = alice.ctl(&["volume", "201"]);
    assert!(!refused.status.success());
    stdout_ok(&alice.ctl(&["volume", "100"]));
    wait_heard(&dir_a, |s, r| is_tone(s, r, 1_000.0, TONE_AMPLITUDE))
        .expect("alice hears bob at full volume again");

    // RFC 4733 digits arrive exactly, once each.
    stdout_ok(&alice.ctl(&["dtmf", &call, "0123456789*#"]));
    let digits = wait_until(LIMIT, || only_call(&bob)["dtmf_received"] == "0123456789*#");
    assert!(digits, "{:#}", only_call(&bob));

    // Recording: left is alice's side (440 Hz), right is bob's (1000 Hz).
    stdout_ok(&alice.ctl(&["record", &call, "on"]));
    assert!(wait_until(LIMIT, || only_call(&alice)["recording"].is_string()));
    std::thread::sleep(Duration::from_millis(1_500));
    stdout_ok(&alice.ctl(&["record", &call, "off"]));
    assert!(wait_until(LIMIT, || only_call(&alice)["recording"].is_null()));

    // A FLAC file played into the call: bob hears it (600 Hz over alice's 440 Hz).
    let flac = tmp.path().join("tune.flac");
    let made = Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "2"])
        .arg(&flac)
        .args(["synth", "6", "sine", "600", "vol", "0.3"])
        .status()
        .expect("sox is installed (.ci/deps)");
    assert!(made.success());
    stdout_ok(&alice.ctl(&["play", &call, flac.to_str().unwrap()]));
    wait_heard(&dir_b, |s, r| {
        let amplitude = ringlet::media::tone::tone_amplitude(s, r, 600.0);
        if amplitude > 5_000.0 {
            Ok(())
        } else {
            Err(format!("600 Hz at {amplitude}"))
        }
    })
    .expect("bob hears the file");
    stdout_ok(&alice.ctl(&["play", &call, "off"]));

    stdout_ok(&bob.ctl(&["hangup", &bob_call]));
    assert!(wait_until(LIMIT, || calls(&alice).is_empty()));
    let rows = history(&alice);
    let recording = rows[0]["recording"]
        .as_str()
        .expect("the recording is in the history")
        .to_owned();
    let (left, rate) = tail(Path::new(&recording), 0, 1.0);
    let (right, _) = tail(Path::new(&recording), 1, 1.0);
    is_tone(&left, rate, 440.0, TONE_AMPLITUDE).expect("alice's side recorded");
    is_tone(&right, rate, 1_000.0, TONE_AMPLITUDE).expect("bob's side recorded");
}

#[test]
fn each_codec_carries_tones_both_ways_between_ringlets() {
    for (index, codec) in [
        "g722",
        "pcmu",
        "pcma",
        "gsm",
        "speex",
        "speex-nb",
        "speex-uwb",
    ]
    .into_iter()
    .enumerate()
    {
        let tmp = tempfile::tempdir().unwrap();
        let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
        let alice = daemon(&dir_a, 440);
        let bob = daemon(&dir_b, 1_000);
        let port_a = 16_230 + 2 * index as u16;
        let port_b = port_a + 1;
        alice.add_sip(
            "alice",
            &format!("sip:alice@127.0.0.1:{port_a}"),
            &format!("127.0.0.1:{port_a}"),
            &["--codecs", codec],
        );
        bob.add_sip(
            "bob",
            &format!("sip:bob@127.0.0.1:{port_b}"),
            &format!("127.0.0.1:{port_b}"),
            &["--auto-answer", "--codecs", codec],
        );
        stdout_ok(&alice.ctl(&["call", "alice", &format!("sip:bob@127.0.0.1:{port_b}")]));
        wait_heard(&dir_b, |s, r| is_tone(s, r, 440.0, TONE_AMPLITUDE))
            .unwrap_or_else(|err| panic!("{codec}: {err}"));
        wait_heard(&dir_a, |s, r| is_tone(s, r, 1_000.0, TONE_AMPLITUDE))
            .unwrap_or_else(|err| panic!("{codec}: {err}"));
        let reported = wait_until(LIMIT, || only_call(&alice)["media"]["codec"] == codec);
        assert!(reported, "{codec}: {:#}", only_call(&alice));
    }
}

#[test]
fn a_hosted_conference_lets_each_participant_hear_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_h, dir_b, dir_c) = (
        tmp.path().join("h"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let host = daemon(&dir_h, 440);
    let bob = daemon(&dir_b, 1_000);
    let carol = daemon(&dir_c, 1_700);
    host.add_sip(
        "host",
        "sip:host@127.0.0.1:16250",
        "127.0.0.1:16250",
        &["--codecs", "pcmu"],
    );
    bob.add_sip(
        "bob",
        "sip:bob@127.0.0.1:16251",
        "127.0.0.1:16251",
        &["--auto-answer", "--codecs", "pcmu"],
    );
    carol.add_sip(
        "carol",
        "sip:carol@127.0.0.1:16252",
        "127.0.0.1:16252",
        &["--auto-answer", "--codecs", "pcmu"],
    );
    stdout_ok(&host.ctl(&["call", "host", "sip:bob@127.0.0.1:16251"]));
    stdout_ok(&host.ctl(&["call", "host", "sip:carol@127.0.0.1:16252"]));
    let both = wait_until(LIMIT, || {
        let rows = calls(&host);
        rows.len() == 2
            && rows
                .iter()
                .all(|row| row["state"] == "active" && row["media"].is_object())
    });
    assert!(both, "{:#?}", calls(&host));
    let ids: Vec<String> = calls(&host)
        .iter()
        .map(|row| row["id"].to_string())
        .collect();
    // Before the conference, bob does not hear carol.
    wait_heard(&dir_b, |s, r| {
        let carol = ringlet::media::tone::tone_amplitude(s, r, 1_700.0);
        if carol < 500.0 {
            Ok(())
        } else {
            Err(format!("carol at {carol}"))
        }
    })
    .expect("no conference yet");
    stdout_ok(&host.ctl(&["conference", &ids[0], &ids[1]]));
    for (dir, other, name) in [
        (&dir_b, 1_700.0, "bob hears carol"),
        (&dir_c, 1_000.0, "carol hears bob"),
    ] {
        wait_heard(dir, |s, r| {
            let host_level = ringlet::media::tone::tone_amplitude(s, r, 440.0);
            let other_level = ringlet::media::tone::tone_amplitude(s, r, other);
            if host_level > 4_000.0 && other_level > 4_000.0 {
                Ok(())
            } else {
                Err(format!("host {host_level:.0}, other {other_level:.0}"))
            }
        })
        .expect(name);
    }
    // Nobody hears themselves back.
    let (bob_heard, rate) = tail(&dir_b.join("heard.wav"), 0, 0.5);
    assert!(ringlet::media::tone::tone_amplitude(&bob_heard, rate, 1_000.0) < 500.0);
    let (host_heard, rate) = tail(&dir_h.join("heard.wav"), 0, 0.5);
    assert!(ringlet::media::tone::tone_amplitude(&host_heard, rate, 1_700.0) > 4_000.0);
    assert!(ringlet::media::tone::tone_amplitude(&host_heard, rate, 1_000.0) > 4_000.0);
    assert!(calls(&host).iter().all(|row| row["conference"] == true));
}

#[test]
fn an_incoming_call_rings_with_the_default_ringtone_until_answered() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let alice = daemon(&dir_a, 440);
    let bob = Daemon::start_with(
        &dir_b.join("data"),
        &[
            "--audio-in",
            "null",
            "--audio-out",
            &format!("file:{}", dir_b.join("heard.wav").display()),
        ],
    );
    alice.add_sip(
        "alice",
        "sip:alice@127.0.0.1:16292",
        "127.0.0.1:16292",
        &["--codecs", "pcmu"],
    );
    bob.add_sip(
        "bob",
        "sip:bob@127.0.0.1:16293",
        "127.0.0.1:16293",
        &["--codecs", "pcmu"],
    );
    wait_heard(&dir_b, |s, _| is_silent(s)).expect("quiet before the call");
    stdout_ok(&alice.ctl(&["call", "alice", "sip:bob@127.0.0.1:16293"]));
    // The chime's notes (E5, G5, C6, E6) sound while it rings.
    let chime = |s: &[i16], r: u32| {
        let level: f64 = [659.25, 783.99, 1_046.5, 1_318.5]
            .iter()
            .map(|hz| ringlet::media::tone::tone_amplitude(s, r, *hz))
            .sum();
        if level > 1_000.0 {
            Ok(())
        } else {
            Err(format!("chime level {level:.0}"))
        }
    };
    let path = dir_b.join("heard.wav");
    let rang = wait_until(LIMIT, || {
        try_tail(&path, 0, 1.0).is_ok_and(|(samples, rate)| chime(&samples, rate).is_ok())
    });
    assert!(rang, "no ringtone heard");
    let call = only_call(&bob)["id"].as_u64().unwrap().to_string();
    stdout_ok(&bob.ctl(&["answer", &call]));
    // Answered: the ringtone stops and alice's tone is what bob hears.
    wait_heard(&dir_b, |s, r| is_tone(s, r, 440.0, TONE_AMPLITUDE)).expect("alice after answering");
    wait_heard(&dir_b, |s, r| match chime(s, r) {
        Ok(()) => Err("the ringtone still plays".into()),
        Err(_) => Ok(()),
    })
    .expect("the ringtone stopped");
}
