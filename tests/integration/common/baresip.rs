//! A real baresip 1.0 (Debian `baresip`) for interop tests: its own config directory,
//! bound to loopback, driven through `ctrl_tcp` (netstring JSON commands and events) and
//! `cons` (single-key commands such as hold `x` and resume `X`, which have no long name).

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::wait_until;

/// A running baresip, killed when dropped.
pub struct Baresip {
    child: Child,
    control: TcpStream,
    keys: SocketAddrPair,
    events: Arc<Mutex<Vec<serde_json::Value>>>,
    console_text: Arc<Mutex<String>>,
    log: PathBuf,
    /// Its SIP address.
    pub sip_port: u16,
    next_token: u64,
}

struct SocketAddrPair {
    socket: UdpSocket,
    to: std::net::SocketAddr,
}

impl Baresip {
    /// Starts baresip with account `user` on 127.0.0.1:`sip_port` (TLS takes the next
    /// port), ctrl_tcp on `sip_port + 2`, cons on `sip_port + 3`. `contact` is the URI its
    /// `message` command writes to; `account_params` go after the account's AOR.
    pub fn start(
        dir: &Path,
        user: &str,
        sip_port: u16,
        contact: &str,
        account_params: &str,
    ) -> Baresip {
        let account = format!("<sip:{user}@127.0.0.1:{sip_port}>;regint=0{account_params}");
        Baresip::start_at(dir, "127.0.0.1", sip_port, contact, &account)
    }

    /// As [`Baresip::start`], with SIP and media on `ip` and the whole line of its one
    /// account (`<sip:…>;params`); ctrl_tcp and cons stay on 127.0.0.1.
    pub fn start_at(dir: &Path, ip: &str, sip_port: u16, contact: &str, account: &str) -> Baresip {
        let control_port = sip_port + 2;
        let console_port = sip_port + 3;
        std::fs::create_dir_all(dir).unwrap();
        // The sndfile filter writes what baresip sends (enc) and hears (dec) per call.
        let snd_path = dir.join("audio");
        std::fs::create_dir_all(&snd_path).unwrap();
        let snd_path = snd_path.display();
        let config = format!(
            "poll_method\tepoll\n\
             sip_listen\t{ip}:{sip_port}\n\
             net_interface\t{ip}\n\
             audio_player\taubridge,nil\n\
             audio_source\tausine,440\n\
             ausrc_srate\t48000\n\
             auplay_srate\t48000\n\
             ausrc_channels\t2\n\
             auplay_channels\t2\n\
             audio_alert\taubridge,nil\n\
             module_path\t/usr/lib/baresip/modules\n\
             module\tg711.so\n\
             module\tg722.so\n\
             module\tgsm.so\n\
             module\topus.so\n\
             module\tsrtp.so\n\
             module\tsndfile.so\n\
             snd_path\t{snd_path}\n\
             module\tausine.so\n\
             module\taubridge.so\n\
             module\tcons.so\n\
             module\tctrl_tcp.so\n\
             module_app\taccount.so\n\
             module_app\tcontact.so\n\
             module_app\tmenu.so\n\
             ctrl_tcp_listen\t127.0.0.1:{control_port}\n\
             cons_listen\t127.0.0.1:{console_port}\n"
        );
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(dir.join("accounts"), format!("{account}\n")).unwrap();
        std::fs::write(dir.join("contacts"), format!("\"Peer\" <{contact}>\n")).unwrap();
        let log = dir.join("baresip.log");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("baresip is installed (.ci/deps)");
        let mut control = None;
        let up = wait_until(Duration::from_secs(10), || {
            control = TcpStream::connect(("127.0.0.1", control_port)).ok();
            control.is_some()
        });
        assert!(up, "baresip's ctrl_tcp never listened");
        let control = control.unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let reader = control.try_clone().unwrap();
        let sink = events.clone();
        std::thread::spawn(move || read_netstrings(reader, &sink));
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        // cons writes the UI's output (received messages among it) to the last address it
        // heard from: announce ours with a harmless key (help) and collect what comes back.
        let console_to: std::net::SocketAddr = ([127, 0, 0, 1], console_port).into();
        socket.send_to(b"h", console_to).unwrap();
        let console_text = Arc::new(Mutex::new(String::new()));
        let console_reader = socket.try_clone().unwrap();
        let console_sink = console_text.clone();
        std::thread::spawn(move || {
            let mut datagram = [0u8; 65_536];
            while let Ok(read) = console_reader.recv(&mut datagram) {
                let text = String::from_utf8_lossy(&datagram[..read]);
                console_sink.lock().unwrap().push_str(&text);
            }
        });
        Baresip {
            child,
            control,
            keys: SocketAddrPair {
                socket,
                to: console_to,
            },
            console_text,
            events,
            log,
            sip_port,
            next_token: 1,
        }
    }

    /// Runs a long command (`dial`, `accept`, `hangup`, `transfer`, `message`) and waits
    /// for its response.
    pub fn command(&mut self, name: &str, params: &str) -> serde_json::Value {
        let token = self.next_token.to_string();
        self.next_token += 1;
        let body =
            serde_json::json!({ "command": name, "params": params, "token": token }).to_string();
        let frame = format!("{}:{body},", body.len());
        self.control.write_all(frame.as_bytes()).unwrap();
        let mut response = None;
        let answered = wait_until(Duration::from_secs(5), || {
            response = self
                .events
                .lock()
                .unwrap()
                .iter()
                .find(|value| value["response"] == true && value["token"] == token.as_str())
                .cloned();
            response.is_some()
        });
        assert!(
            answered,
            "baresip did not answer {name}: {}",
            self.log_text()
        );
        response.unwrap_or_default()
    }

    /// The WAV files the sndfile filter wrote for `direction` (`enc` sent, `dec` heard),
    /// newest last.
    pub fn dumps(&self, direction: &str) -> Vec<PathBuf> {
        let dir = self.log.with_file_name("audio");
        let suffix = format!("-{direction}.wav");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.to_string_lossy().ends_with(&suffix))
                    .filter(|path| {
                        path.file_name()
                            .is_some_and(|name| name.to_string_lossy().starts_with("dump-"))
                    })
                    .filter_map(|path| Some((path.metadata().ok()?.created().ok()?, path)))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, path)| path).collect()
    }

    /// Moves the dump files of earlier calls aside, so that [`Baresip::dumps`] lists only
    /// the next call's (sndfile names files by the second, so calls can share a name).
    pub fn set_dumps_aside(&self) {
        let dir = self.log.with_file_name("audio");
        for (index, entry) in std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .enumerate()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("dump-") {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                std::fs::rename(
                    entry.path(),
                    dir.join(format!("done-{stamp}-{index}-{name}")),
                )
                .unwrap();
            }
        }
    }

    /// Presses a key on baresip's console (`x` hold, `X` resume).
    pub fn key(&self, key: char) {
        self.keys
            .socket
            .send_to(key.to_string().as_bytes(), self.keys.to)
            .unwrap();
    }

    /// True once baresip reported an event of `kind` (`CALL_ESTABLISHED`, `CALL_CLOSED`, …).
    pub fn saw(&self, kind: &str) -> bool {
        self.count(kind) > 0
    }

    /// How many events of `kind` baresip reported.
    pub fn count(&self, kind: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|value| value["event"] == true && value["type"] == kind)
            .count()
    }

    /// Waits for an event of `kind`.
    pub fn wait_for(&self, kind: &str, limit: Duration) -> bool {
        wait_until(limit, || self.saw(kind))
    }

    /// What baresip's UI wrote to the console (received messages among it).
    pub fn console(&self) -> String {
        self.console_text.lock().unwrap().clone()
    }

    /// Everything baresip printed, its events and its console output.
    pub fn log_text(&self) -> String {
        let events = format!("{:#?}", self.events.lock().unwrap());
        format!(
            "{}\n{events}\nconsole:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default(),
            self.console()
        )
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Reads `len:json,` frames until the connection closes.
fn read_netstrings(mut stream: TcpStream, sink: &Mutex<Vec<serde_json::Value>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(read) = stream.read(&mut chunk) else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        while let Some(colon) = buffer.iter().position(|&byte| byte == b':') {
            let Some(len) = std::str::from_utf8(&buffer[..colon])
                .ok()
                .and_then(|text| text.trim().parse::<usize>().ok())
            else {
                return;
            };
            let end = colon + 1 + len;
            if buffer.len() < end + 1 {
                break;
            }
            if let Ok(value) = serde_json::from_slice(&buffer[colon + 1..end]) {
                sink.lock().unwrap().push(value);
            }
            buffer.drain(..=end);
        }
    }
}
