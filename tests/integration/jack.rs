//! The real device path, paced by a real audio server: a private JACK server with its
//! dummy driver (started and stopped here), a Ringlet using it (`--audio jack`) in a call
//! with a headless Ringlet that sends a 1000 Hz tone. The test wires the first Ringlet's
//! speaker port to its microphone port, so what it plays through its device comes back
//! through its device and is sent back: the far side hears its own tone again. The
//! capture chain is off for this (echo cancellation would rightly remove it).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::audio::try_tail;
use crate::common::{Daemon, calls, ringlet, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(15);

/// JACK keeps a registry of servers in /dev/shm with a few slots; a server killed without
/// its SIGTERM (an interrupted test run) leaves its slot taken and, after a handful, no new
/// server can start. With no jackd running at all, everything JACK left there is stale.
fn clear_stale_jack_state() {
    let running = Command::new("pgrep")
        .args(["-x", "jackd"])
        .status()
        .is_ok_and(|status| status.success());
    if running {
        return;
    }
    let Ok(entries) = std::fs::read_dir("/dev/shm") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("jack-") || name.starts_with("jack_") {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

struct Jack {
    child: Child,
    name: String,
}

impl Jack {
    fn start() -> Jack {
        clear_stale_jack_state();
        let name = format!("ringlet-test-{}", std::process::id());
        let child = Command::new("jackd")
            .args(["-n", &name, "-d", "dummy", "-r", "48000", "-p", "480"])
            .env("JACK_NO_AUDIO_RESERVATION", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jackd is installed (.ci/deps: jackd2)");
        let jack = Jack { child, name };
        assert!(
            wait_until(LIMIT, || !jack.ports("").is_empty()),
            "jackd did not come up"
        );
        jack
    }

    /// Port names (with `-p`, their properties on the next line) matching `filter`.
    fn ports(&self, flags: &str) -> Vec<String> {
        let mut command = Command::new("jack_lsp");
        command
            .env("JACK_DEFAULT_SERVER", &self.name)
            .env("JACK_NO_START_SERVER", "1");
        if !flags.is_empty() {
            command.arg(flags);
        }
        let output = command.output().expect("jack_lsp");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Ringlet's ports (not the server's own `system:` ones) by direction.
    fn ringlet_ports(&self) -> (Vec<String>, Vec<String>) {
        let lines = self.ports("-p");
        let (mut outputs, mut inputs) = (Vec::new(), Vec::new());
        for pair in lines.windows(2) {
            let (name, properties) = (&pair[0], &pair[1]);
            if name.starts_with(char::is_whitespace) || name.starts_with("system:") {
                continue;
            }
            if properties.contains("output") {
                outputs.push(name.clone());
            } else if properties.contains("input") {
                inputs.push(name.clone());
            }
        }
        (outputs, inputs)
    }

    fn connect(&self, from: &str, to: &str) {
        let status = Command::new("jack_connect")
            .env("JACK_DEFAULT_SERVER", &self.name)
            .args([from, to])
            .status()
            .expect("jack_connect");
        assert!(status.success(), "jack_connect {from} {to}");
    }
}

impl Drop for Jack {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: jackd then frees its shared-memory registry entry, which
        // has room for only a few servers.
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .ok();
        let stopped = wait_until(Duration::from_secs(5), || {
            self.child.try_wait().is_ok_and(|status| status.is_some())
        });
        if !stopped {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

#[test]
fn audio_through_a_real_jack_server_goes_both_ways() {
    let jack = Jack::start();
    let tmp = tempfile::tempdir().unwrap();
    let desk_dir = tmp.path().join("desk");
    std::fs::create_dir_all(&desk_dir).unwrap();
    std::fs::write(
        desk_dir.join("config.toml"),
        "echo_cancellation = false\nnoise_suppression = false\ngain_control = false\n",
    )
    .unwrap();
    let child = ringlet(&desk_dir)
        .args(["--headless", "--audio", "jack"])
        .env("JACK_DEFAULT_SERVER", &jack.name)
        .env("JACK_NO_START_SERVER", "1")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let desk = Daemon::adopt(child, &desk_dir);
    let far_dir = tmp.path().join("far");
    let heard = far_dir.join("heard.wav");
    let far = Daemon::start_with(
        &far_dir.join("data"),
        &[
            "--audio-in",
            "tone:1000",
            "--audio-out",
            &format!("file:{}", heard.display()),
        ],
    );
    desk.add_sip(
        "desk",
        "sip:desk@127.0.0.1:16410",
        "127.0.0.1:16410",
        &["--codecs", "pcmu"],
    );
    far.add_sip(
        "far",
        "sip:far@127.0.0.1:16411",
        "127.0.0.1:16411",
        &["--auto-answer", "--codecs", "pcmu"],
    );
    stdout_ok(&desk.ctl(&["call", "desk", "sip:far@127.0.0.1:16411"]));
    assert!(wait_until(LIMIT, || calls(&desk)
        .first()
        .is_some_and(|c| c["state"] == "active")));

    // Ringlet opened a capture and a playback port on the server.
    let mut ports = (Vec::new(), Vec::new());
    let opened = wait_until(LIMIT, || {
        ports = jack.ringlet_ports();
        !ports.0.is_empty() && !ports.1.is_empty()
    });
    assert!(opened, "Ringlet's JACK ports: {:?}", jack.ports("-p"));
    for output in &ports.0 {
        for input in &ports.1 {
            jack.connect(output, input);
        }
    }
    // The far side hears its own tone, gone through the desk's speaker and microphone.
    let mut last = String::new();
    let back = wait_until(LIMIT, || match try_tail(&heard, 0, 0.5) {
        Ok((samples, rate)) => {
            let amplitude = ringlet::media::tone::tone_amplitude(&samples, rate, 1_000.0);
            let peak = ringlet::media::tone::peak_frequency(&samples, rate, 100.0, 3_000.0);
            last = format!("peak {peak} Hz, amplitude {amplitude:.0}");
            (peak - 1_000.0).abs() <= 20.0 && amplitude > 2_000.0
        }
        Err(err) => {
            last = err;
            false
        }
    });
    assert!(
        back,
        "the tone did not come back through the devices: {last}"
    );
    // The level meter saw it too (figures come once a second).
    let metered = wait_until(LIMIT, || {
        calls(&desk)[0]["media"]["sent_level"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.05
    });
    assert!(metered, "{:#}", calls(&desk)[0]);
}
