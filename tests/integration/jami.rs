//! SIP interop with a real Jami daemon (Debian `jami-daemon` 13.7, `jamid`), driven over its
//! D-Bus API (`gdbus`) on a private session bus. jamid runs in a network namespace of the
//! test's with only loopback (and a /32 address on it for its media layer): on kernels from
//! 6.9 its bundled pjproject hangs reading netlink otherwise. Ringlet runs in the same
//! namespace. jamid's ALSA `default` device is ALSA's `pulse` plugin on a private
//! PulseAudio server (real-time paced): its microphone is a 440 Hz sine source, its speaker
//! a null sink whose monitor `parec` records. jamid answers by itself (`--auto-answer`)
//! with its default SIP account: SDES-SRTP.
//!
//! Jami's own tone does not reach Ringlet as a tone: with its audio processing (webrtc, voice
//! activity detection; a `dring.yml` written before its start to turn them off was not
//! honoured, and D-Bus has no setter for either) it takes
//! a steady sine for noise and sends a packet or two a second (Opus DTX). So the test checks
//! that its packets arrive and authenticate with the SDES keys, and that it hears Ringlet.
//!
//! Not tested: a call placed by jamid. Its outgoing SIP calls gather ICE host candidates
//! first, and that read of a netlink route socket never returns on this machine's kernel
//! (6.18), even in a namespace with only loopback: `placeCallWithMedia` never answers
//! (seen under gdb: `recv` on a NETLINK_ROUTE socket from the D-Bus dispatch thread).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::audio::tone_share;
use crate::common::netns::Namespaces;
use crate::common::pulse::Pulse;
use crate::common::{Daemon, EventLog, calls, history, stdout_ok, wait_until};

const LIMIT: Duration = Duration::from_secs(20);
const JAMI_TONE: f64 = 440.0;
const RINGLET_TONE: f64 = 1_000.0;
const JAMI_PORT: u16 = 5072;
/// jamid's start (it builds its audio and SIP layers before it answers on D-Bus) takes
/// seconds, more on a loaded machine.
const STARTUP: Duration = Duration::from_secs(60);
/// One jamid at a time: each is heavy to start, and a CI machine runs everything at once.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A jamid and its session bus in a namespace of their own; killed when dropped.
struct Jami {
    _turn: std::sync::MutexGuard<'static, ()>,
    namespaces: Namespaces,
    _pulse: Pulse,
    recorder: Child,
    bus: Child,
    jamid: Child,
    address: String,
    dir: PathBuf,
    account: String,
}

impl Jami {
    /// jamid in a namespace named after `tag`, unique per test.
    fn start(dir: &Path, tag: &str) -> Jami {
        // A test that failed while holding the turn poisons it; the next may still run.
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let namespaces = Namespaces::create(&[&format!("rlj{tag}")]);
        let ns = namespaces.name(0).to_owned();
        namespaces.exec(&ns, &["ip", "addr", "add", "10.98.0.1/32", "dev", "lo"]);
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let sine = format!("module-sine-source source_name=mic rate=48000 frequency={JAMI_TONE}");
        let pulse = Pulse::start(
            &dir.join("pulse"),
            &[
                "module-null-sink sink_name=speaker rate=48000 channels=1",
                &sine,
            ],
        );
        let server = pulse.server();
        for (what, device) in [
            ("set-default-source", "mic"),
            ("set-default-sink", "speaker"),
        ] {
            let done = wait_until(LIMIT, || {
                Command::new("pactl")
                    .args(["--server", &server, what, device])
                    .status()
                    .is_ok_and(|status| status.success())
            });
            assert!(done, "pactl {what} {device}");
        }
        // What jamid plays, in real time.
        let recorder = Command::new("parec")
            .args(["--server", &server, "-d", "speaker.monitor", "--raw"])
            .args(["--format=s16le", "--rate=48000", "--channels=1"])
            .stdout(std::fs::File::create(dir.join("heard.raw")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("parec is installed (.ci/deps)");
        std::fs::write(
            home.join(".asoundrc"),
            format!(
                "pcm.!default {{\n  type pulse\n  server \"{server}\"\n}}\n\
                 ctl.!default {{\n  type pulse\n  server \"{server}\"\n}}\n"
            ),
        )
        .unwrap();
        let bus_path = dir.join("bus");
        let address = format!("unix:path={}", bus_path.display());
        let in_namespace = |program: &str| {
            let mut command = Command::new("ip");
            command
                .args(["netns", "exec", &ns, program])
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .env("XDG_DATA_HOME", home.join(".local/share"))
                .env("XDG_CACHE_HOME", home.join(".cache"))
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .stdin(Stdio::null());
            command
        };
        // A bus with no service directories: nothing is started by activation (a call that
        // came before jamid owned its name would start a second jamid, outside our control).
        let bus_config = dir.join("bus.conf");
        std::fs::write(
            &bus_config,
            format!(
                "<busconfig><type>session</type><listen>{address}</listen>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>"
            ),
        )
        .unwrap();
        let bus = in_namespace("dbus-daemon")
            .arg("--nofork")
            .arg(format!("--config-file={}", bus_config.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (.ci/deps)");
        assert!(wait_until(LIMIT, || bus_path.exists()), "no session bus");
        let log = std::fs::File::create(dir.join("jamid.log")).unwrap();
        let jamid = in_namespace("/usr/libexec/jamid")
            .args(["-c", "-d", "-p", "--auto-answer"])
            .env("PULSE_SERVER", &server)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("jami-daemon is installed (.ci/deps)");
        let mut jami = Jami {
            _turn: turn,
            namespaces,
            _pulse: pulse,
            recorder,
            bus,
            jamid,
            address,
            dir: dir.to_owned(),
            account: String::new(),
        };
        let up = wait_until(STARTUP, || {
            jami.call("ConfigurationManager", "getAccountList", &[])
                .is_some()
        });
        assert!(up, "jamid never answered on D-Bus");
        // A SIP account with no server (direct IP calls), its defaults otherwise (SRTP).
        let details = format!(
            "{{'Account.type': 'SIP', 'Account.alias': 'jami', 'Account.username': 'jami', \
             'Account.hostname': '', 'Account.localPort': '{JAMI_PORT}', \
             'Account.localInterface': 'lo', 'Account.upnpEnabled': 'false', \
             'STUN.enable': 'false', 'TURN.enable': 'false', 'Account.videoEnabled': 'false'}}"
        );
        let added = jami
            .call("ConfigurationManager", "addAccount", &[&details])
            .expect("addAccount answered");
        jami.account = added.split('\'').nth(1).unwrap_or_default().to_owned();
        assert!(!jami.account.is_empty(), "{added}");
        let account = format!("'{}'", jami.account);
        let ready = wait_until(LIMIT, || {
            jami.call(
                "ConfigurationManager",
                "getVolatileAccountDetails",
                &[&account],
            )
            .is_some_and(|details| details.contains("'Account.registrationStatus': 'READY'"))
        });
        assert!(ready, "jamid's SIP account never got ready");
        let listening = wait_until(LIMIT, || {
            let sockets = jami.namespaces.output(jami.namespace(), &["ss", "-lun"]);
            sockets.contains(&format!("127.0.0.1:{JAMI_PORT}"))
        });
        assert!(listening, "jamid's SIP account never listened");
        jami
    }

    /// jamid's log lines matching any of `words` (`|`-separated, any case), for failures.
    fn log_about(&self, words: &str) -> String {
        let log = std::fs::read(self.dir.join("jamid.log")).unwrap_or_default();
        let words: Vec<String> = words.split('|').map(str::to_lowercase).collect();
        String::from_utf8_lossy(&log)
            .lines()
            .filter(|line| words.iter().any(|word| line.to_lowercase().contains(word)))
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn namespace(&self) -> &str {
        self.namespaces.name(0)
    }

    /// Calls `method` of jamid's `interface` with GVariant-text arguments; its answer.
    fn call(&self, interface: &str, method: &str, args: &[&str]) -> Option<String> {
        let output = Command::new("gdbus")
            .args(["call", "--timeout", "5", "--address", &self.address])
            .args(["--dest", "cx.ring.Ring", "--object-path"])
            .arg(format!("/cx/ring/Ring/{interface}"))
            .arg("--method")
            .arg(format!("cx.ring.Ring.{interface}.{method}"))
            .args(args)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// jamid's calls now.
    fn calls(&self) -> String {
        self.call(
            "CallManager",
            "getCallList",
            &[&format!("'{}'", self.account)],
        )
        .unwrap_or_default()
    }

    /// The share of 20 ms windows of the last second jamid played that carry `hz`.
    fn heard(&self, hz: f64) -> f64 {
        let Ok(bytes) = std::fs::read(self.dir.join("heard.raw")) else {
            return 0.0;
        };
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let last = samples
            .get(samples.len().saturating_sub(48_000)..)
            .unwrap_or_default();
        if last.len() < 48_000 {
            return 0.0;
        }
        tone_share(last, 48_000, hz, 1_000.0)
    }

    /// A Ringlet daemon in jamid's namespace, with its tone, hearing into `dir/heard.wav`.
    fn ringlet(&self, dir: &Path) -> Daemon {
        let tone = format!("tone:{RINGLET_TONE}");
        let heard = format!("file:{}", dir.join("heard.wav").display());
        let child = self
            .namespaces
            .ringlet(self.namespace(), &dir.join("data"))
            .args([
                "--headless",
                "--no-mdns",
                "--audio-in",
                &tone,
                "--audio-out",
                &heard,
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Daemon::adopt(child, &dir.join("data"))
    }
}

impl Drop for Jami {
    fn drop(&mut self) {
        self.jamid.kill().ok();
        self.jamid.wait().ok();
        self.bus.kill().ok();
        self.bus.wait().ok();
        self.recorder.kill().ok();
        self.recorder.wait().ok();
    }
}

/// A direct-IP SIP account NAME on 127.0.0.1:PORT with SRTP `srtp`.
fn add_account(ringlet: &Daemon, name: &str, port: u16, srtp: &str) {
    let aor = format!("sip:{name}@127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    stdout_ok(&ringlet.ctl(&[
        "account", "add-sip", "--name", name, "--aor", &aor, "--listen", &listen, "--srtp", srtp,
    ]));
}

fn jami_uri() -> String {
    format!("sip:jami@127.0.0.1:{JAMI_PORT}")
}

#[test]
fn ringlet_calls_jami_over_sdes_srtp_jami_hears_its_tone_and_messages_go_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let jami = Jami::start(&tmp.path().join("jami"), "a");
    let dir = tmp.path().join("ringlet");
    let ringlet = jami.ringlet(&dir);
    add_account(&ringlet, "desk", 5082, "mandatory");
    let call = stdout_ok(&ringlet.ctl(&["call", "desk", &jami_uri()]));
    let active = wait_until(LIMIT, || {
        calls(&ringlet)
            .first()
            .is_some_and(|row| row["state"] == "active" && row["media"]["srtp"] == true)
    });
    assert!(
        active,
        "{:#?} {:#?}\n{}",
        calls(&ringlet),
        history(&ringlet),
        jami.log_about("incoming|answer|alsa|pulse|error|audiolayer")
    );
    // jamid's packets authenticate with the SDES keys and arrive. (Its tone does not:
    // its audio processing takes a steady sine for noise and, with Opus DTX, sends a
    // packet or two a second; see the closing note of session 13.)
    let from_jami = wait_until(LIMIT, || {
        calls(&ringlet)
            .first()
            .is_some_and(|row| row["media"]["packets_received"].as_u64().unwrap_or(0) >= 20)
    });
    assert!(from_jami, "{:#?}", calls(&ringlet));
    // Ringlet's tone fills the last second of jamid's speaker.
    let heard = wait_until(LIMIT, || jami.heard(RINGLET_TONE) >= 0.9);
    let share = jami.heard(RINGLET_TONE);
    eprintln!(
        "Jami hears Ringlet: {RINGLET_TONE} Hz in {:.1} % of 20 ms windows",
        share * 100.0
    );
    let recorded = std::fs::metadata(jami.dir.join("heard.raw")).map_or(0, |meta| meta.len());
    assert!(
        heard,
        "jamid heard Ringlet's tone in {share} of its last second; parec recorded {:.1} s \
         of its speaker; Ringlet's call: {:#?}",
        recorded as f64 / 96_000.0,
        calls(&ringlet)
    );
    stdout_ok(&ringlet.ctl(&["hangup", &call]));
    assert!(wait_until(LIMIT, || calls(&ringlet).is_empty()));
    assert!(
        wait_until(LIMIT, || !jami.calls().contains('\'')),
        "jamid still has {}",
        jami.calls()
    );

    // MESSAGE both ways, non-ASCII text included.
    let events = EventLog::start(&dir.join("data"));
    let mut monitor = Command::new("gdbus")
        .args([
            "monitor",
            "--address",
            &jami.address,
            "--dest",
            "cx.ring.Ring",
        ])
        .stdout(std::fs::File::create(tmp.path().join("monitor.log")).unwrap())
        .spawn()
        .unwrap();
    // The monitor is subscribed once it printed its first line.
    let watching = wait_until(LIMIT, || {
        std::fs::read_to_string(tmp.path().join("monitor.log")).is_ok_and(|text| !text.is_empty())
    });
    assert!(watching, "gdbus monitor printed nothing");
    let sent = stdout_ok(&ringlet.ctl(&["message", "desk", &jami_uri(), "hi Jami, 你好"]));
    assert!(sent.contains("200"), "{sent}");
    let arrived = wait_until(LIMIT, || {
        std::fs::read_to_string(tmp.path().join("monitor.log")).is_ok_and(|text| {
            text.contains("incomingAccountMessage") && text.contains("hi Jami, 你好")
        })
    });
    monitor.kill().ok();
    monitor.wait().ok();
    assert!(arrived, "jamid did not get Ringlet's MESSAGE");
    let payload = "{'text/plain': 'hello Ringlet, 你好'}";
    let id = jami.call(
        "ConfigurationManager",
        "sendTextMessage",
        &[
            &format!("'{}'", jami.account),
            "'sip:desk@127.0.0.1:5082'",
            payload,
        ],
    );
    assert!(
        id.is_some_and(|id| !id.contains("uint64 0,")),
        "jamid did not send"
    );
    assert!(
        events.wait_for("message-added", "hello Ringlet, 你好", LIMIT),
        "{:#?}",
        events.lines()
    );
}

#[test]
fn a_plain_rtp_offer_to_jami_is_refused_and_the_call_ends_at_once_with_a_bye() {
    let tmp = tempfile::tempdir().unwrap();
    let jami = Jami::start(&tmp.path().join("jami"), "b");
    let dir = tmp.path().join("ringlet");
    let ringlet = jami.ringlet(&dir);
    // No SRTP offered: jamid's SRTP account answers with every stream refused (port 0).
    add_account(&ringlet, "plain", 5084, "off");
    stdout_ok(&ringlet.ctl(&["call", "plain", &jami_uri()]));
    let ended = wait_until(Duration::from_secs(5), || {
        calls(&ringlet).is_empty()
            && history(&ringlet)
                .first()
                .is_some_and(|row| row["end_reason"] == "no-media")
    });
    assert!(ended, "{:#?} {:#?}", calls(&ringlet), history(&ringlet));
    // jamid got the BYE: its call is gone.
    assert!(
        wait_until(LIMIT, || !jami.calls().contains('\'')),
        "jamid still has {}",
        jami.calls()
    );
}
