//! Audio interop with a real baresip 1.0: for Opus, G.722, PCMU, PCMA and GSM, a call in
//! each direction carries each side's tone (baresip's `ausine` at 440 Hz, Ringlet's
//! `tone:1000`), received at the right frequency (±2 %) and level (within 6 dB of what was
//! sent), checked on what each side recorded (baresip's `sndfile` dumps, Ringlet's
//! `--audio-out`); muting Ringlet silences it; SRTP mandatory on both sides still carries
//! audio.

use std::path::Path;
use std::time::Duration;

use crate::common::audio::{hear, is_silent, is_tone, ringlet_with_tone, try_tail};
use crate::common::baresip::Baresip;
use crate::common::{Daemon, calls, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(10);
const RINGLET_TONE: f64 = 1_000.0;
const RINGLET_AMPLITUDE: f64 = 8_000.0;
const BARESIP_TONE: f64 = 440.0;

/// Waits until the last half second of channel 0 of the newest file `files()` names passes.
fn wait_file(
    files: impl Fn() -> Option<std::path::PathBuf>,
    check: impl Fn(&[i16], u32) -> Result<(), String>,
) -> Result<(), String> {
    let mut last = "no file yet".to_owned();
    let ok = wait_until(LIMIT, || {
        let Some(path) = files() else { return false };
        match try_tail(&path, 0, 0.5).and_then(|(samples, rate)| {
            if samples.len() < rate as usize / 4 {
                return Err(format!("{} samples so far", samples.len()));
            }
            check(&samples, rate)
        }) {
            Ok(()) => true,
            Err(err) => {
                last = err;
                false
            }
        }
    });
    if ok { Ok(()) } else { Err(last) }
}

/// The amplitude of baresip's own tone as it sent it (its `enc` dump).
fn baresip_sent_amplitude(baresip: &Baresip) -> f64 {
    let mut amplitude = 0.0;
    let seen = wait_until(LIMIT, || {
        let Some(path) = baresip.dumps("enc").pop() else {
            return false;
        };
        let Ok((samples, rate)) = try_tail(&path, 0, 0.5) else {
            return false;
        };
        amplitude = hear(&samples, rate, BARESIP_TONE).amplitude;
        amplitude > 100.0
    });
    assert!(
        seen,
        "baresip recorded no tone of its own:\n{}",
        baresip.log_text()
    );
    amplitude
}

fn only_call(daemon: &Daemon) -> serde_json::Value {
    let rows = calls(daemon);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows[0].clone()
}

fn hang_up(daemon: &Daemon, baresip: &Baresip, closed_before: usize) {
    let call = only_call(daemon)["id"].as_u64().unwrap().to_string();
    stdout_ok(&daemon.ctl(&["hangup", &call]));
    assert!(wait_until(LIMIT, || calls(daemon).is_empty()));
    assert!(wait_until(LIMIT, || baresip.count("CALL_CLOSED") > closed_before));
}

/// Checks both directions of the call whose dump file is baresip's `dumps`-th.
fn check_both_ways(daemon: &Daemon, dir: &Path, baresip: &Baresip, dumps: usize, what: &str) {
    let heard_file = dir.join("heard.wav");
    let sent = baresip_sent_amplitude(baresip);
    let this_call = || baresip.dumps("dec").get(dumps).cloned();
    wait_file(this_call, |s, r| {
        eprintln!("{what}: baresip heard {:?}", hear(s, r, RINGLET_TONE));
        is_tone(s, r, RINGLET_TONE, RINGLET_AMPLITUDE)
    })
    .unwrap_or_else(|err| {
        panic!(
            "{what}: baresip does not hear Ringlet: {err}\n{}",
            baresip.log_text()
        )
    });
    wait_file(
        || Some(heard_file.clone()),
        |s, r| {
            eprintln!(
                "{what}: Ringlet heard {:?} (baresip sent {sent:.0})",
                hear(s, r, BARESIP_TONE)
            );
            is_tone(s, r, BARESIP_TONE, sent)
        },
    )
    .unwrap_or_else(|err| panic!("{what}: Ringlet does not hear baresip: {err}"));
    let _ = daemon;
}

#[test]
fn each_codec_carries_tones_both_ways_with_baresip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ringlet");
    let daemon = ringlet_with_tone(&dir, RINGLET_TONE);
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16300,
        "sip:desk@127.0.0.1:16310",
        ";answermode=auto",
    );
    for (index, codec) in ["opus", "g722", "pcmu", "pcma", "gsm"]
        .into_iter()
        .enumerate()
    {
        let port = 16_310 + index as u16;
        let name = format!("desk-{codec}");
        let aor = format!("sip:{name}@127.0.0.1:{port}");
        daemon.add_sip(
            &name,
            &aor,
            &format!("127.0.0.1:{port}"),
            &["--auto-answer", "--codecs", codec],
        );

        // Ringlet calls baresip (which answers by itself).
        let closed = baresip.count("CALL_CLOSED");
        baresip.set_dumps_aside();
        let dumps = 0;
        stdout_ok(&daemon.ctl(&["call", &name, "sip:bb@127.0.0.1:16300"]));
        assert!(wait_until(LIMIT, || calls(&daemon)
            .first()
            .is_some_and(|c| c["state"] == "active")));
        check_both_ways(
            &daemon,
            &dir,
            &baresip,
            dumps,
            &format!("{codec}, Ringlet calling"),
        );
        let reported = wait_until(LIMIT, || only_call(&daemon)["media"]["codec"] == codec);
        assert!(reported, "{codec}: {:#}", only_call(&daemon));
        if codec == "opus" {
            // Muted, baresip hears silence.
            let call = only_call(&daemon)["id"].as_u64().unwrap().to_string();
            stdout_ok(&daemon.ctl(&["mute", &call, "on"]));
            wait_file(
                || baresip.dumps("dec").get(dumps).cloned(),
                |s, _| is_silent(s),
            )
            .expect("muted");
            // baresip mutes (its `m` key): Ringlet hears silence, then the tone again.
            let heard_file = dir.join("heard.wav");
            // baresip's level as it sends, before the mute (after it, the dump's tail
            // would still hold the muted stretch).
            let sent = baresip_sent_amplitude(&baresip);
            baresip.key('m');
            wait_file(|| Some(heard_file.clone()), |s, _| is_silent(s))
                .unwrap_or_else(|err| panic!("baresip muted: {err}\n{}", baresip.log_text()));
            baresip.key('m');
            wait_file(
                || Some(heard_file.clone()),
                |s, r| is_tone(s, r, BARESIP_TONE, sent),
            )
            .expect("baresip unmuted");
        }
        hang_up(&daemon, &baresip, closed);

        // baresip calls Ringlet, which answers with its one codec.
        let closed = baresip.count("CALL_CLOSED");
        baresip.set_dumps_aside();
        let dumps = 0;
        let dialed = baresip.command("dial", &aor);
        assert_eq!(dialed["ok"], true, "{dialed:#}");
        assert!(wait_until(LIMIT, || calls(&daemon)
            .first()
            .is_some_and(|c| c["state"] == "active")));
        check_both_ways(
            &daemon,
            &dir,
            &baresip,
            dumps,
            &format!("{codec}, baresip calling"),
        );
        let reported = wait_until(LIMIT, || only_call(&daemon)["media"]["codec"] == codec);
        assert!(reported, "{codec}: {:#}", only_call(&daemon));
        hang_up(&daemon, &baresip, closed);
    }
}

#[test]
fn srtp_mandatory_on_both_sides_carries_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ringlet");
    let daemon = ringlet_with_tone(&dir, RINGLET_TONE);
    let baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16320,
        "sip:desk@127.0.0.1:16330",
        ";answermode=auto;mediaenc=srtp-mand",
    );
    daemon.add_sip(
        "desk",
        "sip:desk@127.0.0.1:16330",
        "127.0.0.1:16330",
        &["--srtp", "mandatory", "--codecs", "pcmu"],
    );
    stdout_ok(&daemon.ctl(&["call", "desk", "sip:bb@127.0.0.1:16320"]));
    assert!(
        wait_until(LIMIT, || calls(&daemon)
            .first()
            .is_some_and(|c| c["state"] == "active")),
        "{}",
        baresip.log_text()
    );
    check_both_ways(&daemon, &dir, &baresip, 0, "SRTP");
    let secured = wait_until(LIMIT, || only_call(&daemon)["media"]["srtp"] == true);
    assert!(secured, "{:#}", only_call(&daemon));
}

/// Forwards SIP datagrams between Ringlet (whoever sends to `listen`) and baresip at
/// `server`, flipping the first character of every SDES key (`inline:`) on the way: each
/// side gets a key the other does not use. The length stays the same, so Content-Length
/// still holds.
fn key_tampering_relay(listen: u16, server: u16) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::net::UdpSocket;
    let outside = UdpSocket::bind(("127.0.0.1", listen)).unwrap();
    let inside = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    outside
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    inside
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        let server: std::net::SocketAddr = ([127, 0, 0, 1], server).into();
        let mut client = None;
        let mut buffer = [0u8; 65_536];
        let tamper = |bytes: &mut [u8]| {
            let mut at = 0;
            while let Some(found) = bytes[at..]
                .windows(7)
                .position(|window| window == b"inline:")
            {
                let index = at + found + 7;
                if let Some(byte) = bytes.get_mut(index) {
                    *byte = if *byte == b'A' { b'B' } else { b'A' };
                }
                at = index;
            }
        };
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok((len, from)) = outside.recv_from(&mut buffer) {
                client = Some(from);
                tamper(&mut buffer[..len]);
                inside.send_to(&buffer[..len], server).ok();
            }
            if let (Ok(len), Some(client)) = (inside.recv(&mut buffer), client) {
                tamper(&mut buffer[..len]);
                outside.send_to(&buffer[..len], client).ok();
            }
        }
    });
    stop
}

#[test]
fn srtp_with_keys_altered_in_transit_carries_no_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ringlet");
    let daemon = ringlet_with_tone(&dir, RINGLET_TONE);
    let baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16340,
        "sip:desk@127.0.0.1:16350",
        ";answermode=auto;mediaenc=srtp-mand",
    );
    let stop = key_tampering_relay(16355, 16340);
    daemon.add_sip(
        "desk",
        "sip:desk@127.0.0.1:16350",
        "127.0.0.1:16350",
        &["--srtp", "mandatory", "--codecs", "pcmu"],
    );
    stdout_ok(&daemon.ctl(&["call", "desk", "sip:bb@127.0.0.1:16355"]));
    assert!(
        wait_until(LIMIT, || calls(&daemon)
            .first()
            .is_some_and(|c| c["state"] == "active")),
        "{}",
        baresip.log_text()
    );
    // Both sides send; neither accepts the other's packets.
    let rejected = wait_until(LIMIT, || {
        let call = only_call(&daemon);
        call["media"]["dropped"].as_u64().unwrap_or(0) > 50
            && call["media"]["packets_received"] == 0
            && call["media"]["last_drop"] == "SRTP authentication failed"
    });
    assert!(rejected, "{:#}", only_call(&daemon));
    let (heard, _) = try_tail(&dir.join("heard.wav"), 0, 1.0).unwrap();
    is_silent(&heard).expect("Ringlet hears nothing");
    let dumps = baresip.dumps("dec");
    if let Some(path) = dumps.last()
        && let Ok((samples, rate)) = try_tail(path, 0, 1.0)
    {
        let tone = hear(&samples, rate, RINGLET_TONE);
        assert!(tone.amplitude < 500.0, "baresip heard Ringlet: {tone:?}");
    }
    assert!(
        wait_until(LIMIT, || baresip
            .log_text()
            .contains("failed to decrypt RTP packet")),
        "baresip did not reject Ringlet's packets:\n{}",
        baresip.log_text()
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The tail of both channels of baresip's newest `dec` dump: (left, right, rate).
fn dump_channels(baresip: &Baresip) -> Result<(Vec<i16>, Vec<i16>, u32), String> {
    let path = baresip
        .dumps("dec")
        .pop()
        .ok_or_else(|| "no dump yet".to_owned())?;
    let (left, rate) = try_tail(&path, 0, 0.5)?;
    let (right, _) = try_tail(&path, 1, 0.5)?;
    if left.len() < rate as usize / 4 {
        return Err(format!("{} samples so far", left.len()));
    }
    Ok((left, right, rate))
}

#[test]
fn a_stereo_file_played_into_an_opus_call_reaches_baresip_in_stereo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ringlet");
    // No microphone: what baresip hears is the file alone.
    let daemon = Daemon::start_with(
        &dir.join("data"),
        &["--audio-in", "null", "--audio-out", "null"],
    );
    // baresip's opus module asks for stereo (stereo=1) by default.
    let baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16395,
        "sip:desk@127.0.0.1:16396",
        ";answermode=auto",
    );
    daemon.add_sip(
        "desk",
        "sip:desk@127.0.0.1:16396",
        "127.0.0.1:16396",
        &["--codecs", "opus"],
    );
    // 440 Hz on the left, 1000 Hz on the right, each at a quarter of full scale.
    let flac = tmp.path().join("stereo.flac");
    let made = std::process::Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "2"])
        .arg(&flac)
        .args(["synth", "30", "sine", "440", "sine", "1000", "vol", "0.25"])
        .status()
        .expect("sox is installed (.ci/deps)");
    assert!(made.success());
    stdout_ok(&daemon.ctl(&["call", "desk", "sip:bb@127.0.0.1:16395"]));
    assert!(wait_until(LIMIT, || calls(&daemon)
        .first()
        .is_some_and(|c| c["state"] == "active")));
    let call = only_call(&daemon)["id"].as_u64().unwrap().to_string();
    stdout_ok(&daemon.ctl(&["play", &call, flac.to_str().unwrap()]));
    let amplitude = 32_768.0 * 0.25;
    let mut last = String::new();
    let stereo = wait_until(LIMIT, || {
        match dump_channels(&baresip).and_then(|(left, right, rate)| {
            is_tone(&left, rate, 440.0, amplitude)?;
            is_tone(&right, rate, 1_000.0, amplitude)?;
            // Each side carries little of the other's tone (a mono mix would hold both
            // at half the level on each side).
            let bleed_left = hear(&left, rate, 1_000.0).amplitude;
            let bleed_right = hear(&right, rate, 440.0).amplitude;
            if bleed_left > amplitude / 10.0 || bleed_right > amplitude / 10.0 {
                return Err(format!(
                    "channels mixed: {bleed_left:.0} / {bleed_right:.0}"
                ));
            }
            Ok(())
        }) {
            Ok(()) => true,
            Err(err) => {
                last = err;
                false
            }
        }
    });
    assert!(
        stereo,
        "baresip did not hear stereo: {last}\n{}",
        baresip.log_text()
    );
    // Stopping the file goes back to the (silent) mono microphone.
    stdout_ok(&daemon.ctl(&["play", &call, "off"]));
    wait_file(|| baresip.dumps("dec").pop(), |s, _| is_silent(s)).expect("silence after the file");
}
