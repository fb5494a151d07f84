//! Helpers shared by the integration tests: running the real `ringlet` binary, waiting with
//! deadlines (never fixed sleeps), reading its JSON.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod audio;
pub mod baresip;
pub mod capture;
pub mod linphone;
pub mod netns;
pub mod p2p;
pub mod pulse;
pub mod seed;
pub mod x11;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn ringlet_bin() -> &'static str {
    env!("CARGO_BIN_EXE_ringlet")
}

/// `ringlet` with test-safe defaults: no keyring, no audio devices, quiet logs.
pub fn ringlet(data_dir: &Path) -> Command {
    let mut command = Command::new(ringlet_bin());
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("RINGLET_NO_KEYRING", "1")
        .env(
            "RINGLET_LOG",
            std::env::var("RINGLET_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        // P2P accounts stay on loopback and never multicast (tests in a namespace they
        // made themselves may override both).
        .env("RINGLET_NO_MDNS", "1")
        .env(
            "RINGLET_P2P_LISTEN",
            "/ip4/127.0.0.1/udp/0/quic-v1,/ip4/127.0.0.1/tcp/0",
        );
    command
}

/// Polls `done` until it is true or `limit` passes.
#[expect(
    clippy::disallowed_methods,
    reason = "a test driver bounds its waits with the clock"
)]
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A `ringlet --headless` process, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub data_dir: PathBuf,
}

impl Daemon {
    /// Starts the daemon and waits until its control socket answers.
    pub fn start(data_dir: &Path) -> Daemon {
        Daemon::start_with(data_dir, &[])
    }

    /// Starts the daemon with extra options (`--audio-in tone:440`, …).
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Daemon {
        let child = ringlet(data_dir)
            .args(["--headless", "--audio", "none"])
            .args(extra)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawning ringlet --headless");
        let daemon = Daemon {
            child,
            data_dir: data_dir.to_path_buf(),
        };
        let ready = wait_until(Duration::from_secs(30), || {
            daemon.ctl(&["status"]).status.success()
        });
        assert!(
            ready,
            "ringlet --headless did not answer on its control socket"
        );
        daemon
    }

    /// Takes over a daemon started some other way (in a network namespace, say) and waits
    /// until its control socket answers.
    pub fn adopt(child: Child, data_dir: &Path) -> Daemon {
        let daemon = Daemon {
            child,
            data_dir: data_dir.to_path_buf(),
        };
        let ready = wait_until(Duration::from_secs(30), || {
            daemon.ctl(&["status"]).status.success()
        });
        assert!(ready, "the daemon did not answer on its control socket");
        daemon
    }

    /// Runs `ringlet ctl ARGS` against this daemon.
    pub fn ctl(&self, args: &[&str]) -> Output {
        ctl(&self.data_dir, args, None)
    }

    /// `ctl account add-sip` with a name, AOR and listen address plus `extra` options;
    /// returns the new account's id.
    pub fn add_sip(&self, name: &str, aor: &str, listen: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "account", "add-sip", "--name", name, "--aor", aor, "--listen", listen,
        ];
        args.extend_from_slice(extra);
        stdout_ok(&self.ctl(&args))
    }

    /// `ctl status` as JSON.
    pub fn status(&self) -> serde_json::Value {
        let output = self.ctl(&["status"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("status is JSON")
    }

    /// SIGKILL, as a crash or power cut would.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaping");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Already gone after kill(); errors here only mean that.
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Runs `ringlet ctl ARGS`, feeding `stdin` if given.
pub fn ctl(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = ringlet(data_dir);
    command.arg("ctl").args(args);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning ringlet ctl");
    {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("writing stdin");
        }
    }
    child.wait_with_output().expect("ringlet ctl output")
}

/// Stdout of a successful command, trimmed.
pub fn stdout_ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `ctl history` of a daemon, newest first.
pub fn history(daemon: &Daemon) -> Vec<serde_json::Value> {
    let output = stdout_ok(&daemon.ctl(&["history"]));
    serde_json::from_str::<serde_json::Value>(&output)
        .expect("history is JSON")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The calls in a daemon's `status`.
pub fn calls(daemon: &Daemon) -> Vec<serde_json::Value> {
    daemon.status()["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `ringlet ctl events` of a daemon, read on a thread into lines; killed when dropped.
pub struct EventLog {
    child: Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl EventLog {
    /// Starts following the events of the daemon whose data directory is `data_dir`.
    pub fn start(data_dir: &Path) -> EventLog {
        use std::io::BufRead as _;
        let mut child = ringlet(data_dir)
            .args(["ctl", "events"])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("spawning ringlet ctl events");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                sink.lock().expect("event lines").push(line);
            }
        });
        EventLog { child, lines }
    }

    /// Waits until an event of kind `event` (`notice`, `typing`, …) contains `needle`.
    pub fn wait_for(&self, event: &str, needle: &str, limit: Duration) -> bool {
        let kind = format!(r#""event":"{event}""#);
        wait_until(limit, || {
            self.lines
                .lock()
                .expect("event lines")
                .iter()
                .any(|line| line.contains(&kind) && line.contains(needle))
        })
    }

    /// Every line so far (for failure messages).
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("event lines").clone()
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
