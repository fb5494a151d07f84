//! A real linphonec (Debian `linphone-cli`) for interop tests: its own HOME (linphonec
//! opens its SIP port only when `~/.local/share/linphone` exists) and rc file, SIP on
//! loopback, WAV files instead of a sound card (`soundcard use files`: it plays one file
//! into calls and records what it hears into another), driven by commands on its standard
//! input; what it prints is kept for the test to wait on.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::wait_until;

/// A running linphonec, told to quit (then killed) when dropped.
pub struct Linphone {
    child: Child,
    stdin: ChildStdin,
    output: Arc<Mutex<String>>,
    /// Its SIP port on 127.0.0.1.
    pub sip_port: u16,
    /// What it hears in calls (a WAV file it writes).
    pub recording: PathBuf,
}

impl Linphone {
    /// Starts linphonec on 127.0.0.1:`sip_port` (RTP on the next even port), answering
    /// calls by itself, playing `play` (a WAV file) into calls.
    pub fn start(dir: &Path, sip_port: u16, play: &Path) -> Linphone {
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".local/share/linphone")).unwrap();
        let rc = dir.join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port={sip_port}\nsip_tcp_port=-1\nsip_tls_port=-1\n\
                 default_proxy=-1\nuse_ipv6=0\nbind_address=127.0.0.1\n\
                 contact=sip:lp@127.0.0.1:{sip_port}\n\
                 [rtp]\naudio_rtp_port={}\n\
                 [sound]\nechocancellation=0\n\
                 [video]\nautomatically_initiate=0\nautomatically_accept=0\n",
                sip_port + 2
            ),
        )
        .unwrap();
        let mut child = Command::new("linphonec")
            .arg("-c")
            .arg(&rc)
            .arg("-a")
            .env("HOME", &home)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("linphonec is installed (.ci/deps: linphone-cli)");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|out| Box::new(out) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|err| Box::new(err) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut text = output.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        let stdin = child.stdin.take().unwrap();
        let recording = dir.join("heard.wav");
        let mut linphone = Linphone {
            child,
            stdin,
            output,
            sip_port,
            recording,
        };
        linphone.command("soundcard use files");
        assert!(
            linphone.wait_for("Using wav files", Duration::from_secs(10)),
            "{}",
            linphone.output()
        );
        linphone.command(&format!("play {}", play.display()));
        let recording = linphone.recording.display().to_string();
        linphone.command(&format!("record {recording}"));
        linphone
    }

    /// Sends one command line.
    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits until its output contains `needle`.
    pub fn wait_for(&self, needle: &str, limit: Duration) -> bool {
        wait_until(limit, || self.output().contains(needle))
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        writeln!(self.stdin, "quit").ok();
        self.stdin.flush().ok();
        let quit = wait_until(Duration::from_secs(3), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !quit {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
