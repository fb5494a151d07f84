//! A private PulseAudio server (Debian `pulseaudio`) on its own socket in a test's
//! directory, with the modules a test asks for; killed when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait_until;

/// A running PulseAudio.
pub struct Pulse {
    child: Child,
    /// Its socket's path (`unix:` this is its server address).
    pub socket: String,
}

impl Pulse {
    /// Starts PulseAudio in `dir` (its home, runtime directory and log) with `modules`
    /// (each an argument of `-L`, such as `module-null-sink sink_name=headset`), and waits
    /// until it listens.
    pub fn start(dir: &Path, modules: &[&str]) -> Pulse {
        std::fs::create_dir_all(dir).unwrap();
        let socket = dir.join("native").display().to_string();
        let mut command = Command::new("pulseaudio");
        command
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disallow-module-loading",
                "-L",
                &format!("module-native-protocol-unix socket={socket} auth-anonymous=1"),
            ])
            .env("HOME", dir)
            .env("XDG_RUNTIME_DIR", dir)
            .env_remove("PULSE_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("pulse.log")).unwrap());
        for module in modules {
            command.args(["-L", module]);
        }
        let child = command.spawn().expect("pulseaudio is installed (.ci/deps)");
        let up = wait_until(Duration::from_secs(20), || Path::new(&socket).exists());
        assert!(up, "PulseAudio did not listen on {socket}");
        Pulse { child, socket }
    }

    /// Its server address, for `PULSE_SERVER`, `pactl --server` and ALSA's `pulse` plugin.
    pub fn server(&self) -> String {
        format!("unix:{}", self.socket)
    }

    /// Kills it (the devices it backs vanish).
    pub fn unplug(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        self.unplug();
    }
}
