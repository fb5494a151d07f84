//! The settings page's live input level meter against a real ALSA capture stream.
//!
//! ALSA reads `~/.asoundrc` once per process, so the test re-runs itself as a child process
//! with `HOME` pointing at a directory whose `.asoundrc` redefines the `default` device as
//! ALSA's `file` plugin reading a file of samples. The engine finds that device through
//! cpal by name, opens it, and reports its level.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ringlet::config::Settings;
use ringlet::engine::{Command as EngineCommand, Engine, EngineConfig, Event};
use ringlet::media::devices::AudioBackend;
use ringlet::paths::Paths;

const CHILD_MARKER: &str = "RINGLET_METER_CHILD";
/// cpal lists ALSA's built-in names and sound cards only, so the test redefines `default`.
const DEVICE: &str = "default";

/// 10 s of a 1 kHz tone at half scale, 48 kHz, signed 16-bit little-endian.
fn write_tone(path: &Path) {
    let samples: Vec<u8> = (0..48_000 * 10)
        .flat_map(|n| {
            let phase = 2.0 * std::f64::consts::PI * 1000.0 * f64::from(n) / 48_000.0;
            ((phase.sin() * 16_384.0) as i16).to_le_bytes()
        })
        .collect();
    std::fs::write(path, samples).unwrap();
}

fn write_asoundrc(home: &Path, samples: &Path) {
    let config = format!(
        r#"pcm.!{DEVICE} {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{}"
    format "raw"
}}
"#,
        samples.display()
    );
    std::fs::write(home.join(".asoundrc"), config).unwrap();
}

/// The first `reports` peak levels reported after turning the meter on.
fn meter_peaks(data_dir: &Path, reports: usize) -> Vec<f32> {
    let mut config = EngineConfig::new(Paths::in_dir(data_dir));
    config.p2p = ringlet::engine::P2pOptions::loopback();
    config.use_keyring = false;
    config.audio = AudioBackend::System;
    let (engine, events) = Engine::start(config, Arc::new(|| {})).unwrap();
    let mut inputs = Vec::new();
    while let Ok(event) = events.recv_timeout(Duration::from_secs(20)) {
        if let Event::AudioDevices { inputs: found, .. } = event {
            inputs = found;
            break;
        }
    }
    assert!(
        inputs.iter().any(|name| name == DEVICE),
        "cpal lists {inputs:?}"
    );
    engine.send(EngineCommand::UpdateSettings(Settings {
        audio_input: Some(DEVICE.into()),
        ..Settings::default()
    }));
    engine.send(EngineCommand::SetInputMeter { on: true });
    // Bounded in count and time: at most `reports` levels, at most 60 waits of 100 ms.
    let mut peaks = Vec::new();
    for _ in 0..60 {
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::InputLevel { peak }) => peaks.push(peak),
            Ok(Event::Notice { text, .. }) => panic!("meter failed: {text}"),
            _ => {}
        }
        if peaks.len() >= reports {
            break;
        }
    }
    engine.send(EngineCommand::SetInputMeter { on: false });
    peaks
}

#[test]
fn input_meter_reports_the_level_of_the_chosen_microphone() {
    if let Some(kind) = std::env::var_os(CHILD_MARKER) {
        let data = tempfile::tempdir().unwrap();
        let peaks = meter_peaks(data.path(), 20);
        assert!(peaks.len() >= 20, "too few level reports: {peaks:?}");
        let loudest = peaks.iter().copied().fold(0.0f32, f32::max);
        if kind == "tone" {
            assert!(loudest > 0.1, "a half-scale tone reads as {loudest}");
        } else {
            assert!(loudest < 0.001, "silence reads as {loudest}");
        }
        return;
    }
    for kind in ["tone", "silence"] {
        let home = tempfile::tempdir().unwrap();
        let samples = home.path().join("capture.raw");
        if kind == "tone" {
            write_tone(&samples);
        } else {
            std::fs::write(&samples, vec![0u8; 48_000 * 2 * 10]).unwrap();
        }
        write_asoundrc(home.path(), &samples);
        let status = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "input_meter_reports_the_level_of_the_chosen_microphone",
                "--nocapture",
            ])
            .env(CHILD_MARKER, kind)
            .env("HOME", home.path())
            .status()
            .unwrap();
        assert!(status.success(), "the {kind} run failed");
    }
}
