//! Hot-unplug: a call's microphone and speaker vanish in the middle of the call, and
//! Ringlet goes on with the default devices, with a notice.
//!
//! The devices that vanish are ALSA's `pulse` device, backed by a private PulseAudio
//! server (Debian `pulseaudio`, started and killed here, on its own socket, with one null
//! sink). Ringlet's speaker plays into that sink and its microphone records the sink's
//! monitor, so before the unplug the far side hears its own tone come back through both
//! devices. ALSA's `default` device is redefined in a private `~/.asoundrc` as the `file`
//! plugin reading a 700 Hz tone: after the server is killed, the far side hears 700 Hz,
//! which only the default device can have sent. The call stays up throughout.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::audio::try_tail;
use crate::common::pulse::Pulse;
use crate::common::{Daemon, EventLog, calls, ringlet, stdout_ok, wait_until};
use ringlet::media::tone::{peak_frequency, tone_amplitude};

const LIMIT: Duration = Duration::from_secs(20);
const FAR_TONE: f64 = 1_000.0;
const DEFAULT_DEVICE_TONE: f64 = 700.0;

/// 30 s of a 700 Hz tone at half scale, 48 kHz mono, signed 16-bit little-endian.
fn write_tone(path: &Path) {
    let samples: Vec<u8> = (0..48_000 * 30)
        .flat_map(|n| {
            let phase = 2.0 * std::f64::consts::PI * DEFAULT_DEVICE_TONE * f64::from(n) / 48_000.0;
            ((phase.sin() * 16_384.0) as i16).to_le_bytes()
        })
        .collect();
    std::fs::write(path, samples).unwrap();
}

/// The strongest frequency and the amplitude at `hz` of the last half second heard.
fn heard(path: &Path, hz: f64) -> Result<(f64, f64), String> {
    let (samples, rate) = try_tail(path, 0, 0.5)?;
    if samples.len() < rate as usize / 4 {
        return Err(format!("{} samples so far", samples.len()));
    }
    Ok((
        peak_frequency(&samples, rate, 100.0, 3_000.0),
        tone_amplitude(&samples, rate, hz),
    ))
}

fn wait_for_tone(path: &Path, hz: f64, what: &str) {
    let mut last = String::new();
    let found = wait_until(LIMIT, || match heard(path, hz) {
        Ok((peak, amplitude)) => {
            last = format!("peak {peak:.0} Hz, amplitude at {hz} Hz {amplitude:.0}");
            (peak - hz).abs() <= hz * 0.02 && amplitude > 1_000.0
        }
        Err(err) => {
            last = err;
            false
        }
    });
    assert!(found, "{what}: {last}");
}

#[test]
fn a_call_goes_on_with_the_default_devices_when_its_devices_vanish() {
    let tmp = tempfile::tempdir().unwrap();
    let pulse_dir = tmp.path().join("pulse");
    std::fs::create_dir_all(&pulse_dir).unwrap();
    let mut pulse = Pulse::start(&pulse_dir, &["module-null-sink sink_name=headset"]);

    // The desk: ALSA's `pulse` device for both directions; `default` is the tone file.
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let tone = home.join("default-device.raw");
    write_tone(&tone);
    // The `pulse` device names the private server itself. Debian's ALSA hook makes `pulse`
    // the default device whenever the default PulseAudio server answers; the desk's default
    // server is pointed at nothing, so its default stays the tone file.
    std::fs::write(
        home.join(".asoundrc"),
        format!(
            "pcm.tonefile {{\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  \
             infile \"{}\"\n  format \"raw\"\n}}\n\
             pcm.!default {{\n  type plug\n  slave {{\n    pcm \"tonefile\"\n    \
             format S16_LE\n    rate 48000\n    channels 1\n  }}\n}}\n\
             pcm.!pulse {{\n  type pulse\n  server \"unix:{socket}\"\n}}\n\
             ctl.!pulse {{\n  type pulse\n  server \"unix:{socket}\"\n}}\n",
            tone.display(),
            socket = pulse.socket,
        ),
    )
    .unwrap();
    let desk_dir = tmp.path().join("desk");
    std::fs::create_dir_all(&desk_dir).unwrap();
    std::fs::write(
        desk_dir.join("config.toml"),
        "audio_input = \"pulse\"\naudio_output = \"pulse\"\n\
         echo_cancellation = false\nnoise_suppression = false\ngain_control = false\n",
    )
    .unwrap();
    let child = ringlet(&desk_dir)
        .args(["--headless", "--audio", "system"])
        .env("HOME", &home)
        .env(
            "PULSE_SERVER",
            format!("unix:{}", home.join("no-server").display()),
        )
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let desk = Daemon::adopt(child, &desk_dir);
    // Everything the desk's engine reports, to find its notices.
    let events = EventLog::start(&desk_dir);

    let far_dir = tmp.path().join("far");
    let far_heard = far_dir.join("heard.wav");
    let far = Daemon::start_with(
        &far_dir.join("data"),
        &[
            "--audio-in",
            &format!("tone:{FAR_TONE}"),
            "--audio-out",
            &format!("file:{}", far_heard.display()),
        ],
    );
    desk.add_sip(
        "desk",
        "sip:desk@127.0.0.1:16420",
        "127.0.0.1:16420",
        &["--codecs", "pcmu"],
    );
    far.add_sip(
        "far",
        "sip:far@127.0.0.1:16421",
        "127.0.0.1:16421",
        &["--auto-answer", "--codecs", "pcmu"],
    );
    stdout_ok(&desk.ctl(&["call", "desk", "sip:far@127.0.0.1:16421"]));
    assert!(wait_until(LIMIT, || calls(&desk)
        .first()
        .is_some_and(|c| c["state"] == "active")));

    // Through the headset: the far side's tone goes out of the desk's speaker into the
    // null sink, comes back from its monitor into the desk's microphone, and is sent back.
    wait_for_tone(
        &far_heard,
        FAR_TONE,
        "before the unplug, through PulseAudio",
    );

    pulse.unplug();

    // The desk says so and goes on with the default devices: the far side now hears the
    // default microphone's 700 Hz.
    let both = ["microphone", "speaker"].iter().all(|device| {
        // The notice as a problem every window says in its own language.
        let needle = format!(
            r#""problem":{{"code":"problem-device-failed","args":[["device","{device}"],["name","pulse"]]}}"#
        );
        events.wait_for("notice", &needle, LIMIT)
    });
    assert!(both, "notices: {:#?}", events.lines());
    wait_for_tone(
        &far_heard,
        DEFAULT_DEVICE_TONE,
        "after the unplug, from the default device",
    );
    let call = calls(&desk);
    assert_eq!(call.len(), 1, "{call:#?}");
    assert_eq!(call[0]["state"], "active");
}
