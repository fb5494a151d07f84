//! Packets seen on a test network's wire: `tcpdump` in a namespace writes a pcap file, read
//! back here into the UDP datagrams it holds, and a check that RTP payloads do not decode to
//! a tone (what an eavesdropper on the wire could hear).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `tcpdump` capturing UDP on one device of a namespace; stopped when dropped.
pub struct Capture(Child);

impl Capture {
    /// Captures UDP (but mDNS) on `device` in `namespace` into `file`, and waits until
    /// tcpdump is listening (bounded).
    pub fn start(namespace: &str, device: &str, file: &Path) -> Capture {
        let mut child = Command::new("ip")
            .args([
                "netns", "exec", namespace, "tcpdump", "-i", device, "-U", "-n", "-w",
            ])
            .arg(file)
            .args(["udp and not port 5353"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump (apt-get install tcpdump)");
        // tcpdump says "listening on DEV" on stderr once it captures.
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on") {
                    tx.send(()).ok();
                }
            }
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("tcpdump did not start listening");
        Capture(child)
    }

    /// Stops capturing (SIGINT, so the last packets are written) and waits for tcpdump.
    pub fn stop(mut self) {
        Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status()
            .ok();
        self.0.wait().ok();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// A UDP datagram on the wire.
#[derive(Debug, Clone)]
pub struct Datagram {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub payload: Vec<u8>,
}

/// The IPv4 UDP datagrams of an Ethernet pcap file (what `Capture` writes).
pub fn udp_datagrams(file: &Path) -> Vec<Datagram> {
    let bytes = std::fs::read(file).expect("a capture file");
    let u16_be = |b: &[u8], at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    let u32_le = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    assert_eq!(u32_le(&bytes, 0), 0xa1b2_c3d4, "a little-endian pcap file");
    assert_eq!(u32_le(&bytes, 20), 1, "Ethernet frames");
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let length = u32_le(&bytes, at + 8) as usize;
        let Some(frame) = bytes.get(at + 16..at + 16 + length) else {
            break;
        };
        at += 16 + length;
        // Ethernet, IPv4, UDP.
        if frame.len() < 14 + 20 + 8 || u16_be(frame, 12) != 0x0800 || frame[14 + 9] != 17 {
            continue;
        }
        let ip = &frame[14..];
        let header = usize::from(ip[0] & 0x0f) * 4;
        let address = |at: usize| Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3]);
        let Some(udp) = ip.get(header..) else {
            continue;
        };
        let port = |at: usize| u16_be(udp, at);
        out.push(Datagram {
            from: SocketAddr::V4(SocketAddrV4::new(address(12), port(0))),
            to: SocketAddr::V4(SocketAddrV4::new(address(16), port(2))),
            payload: udp.get(8..).unwrap_or_default().to_vec(),
        });
    }
    out
}

/// Whether a datagram is RTP or RTCP (version 2; STUN's first two bits are 0).
pub fn is_rtp(payload: &[u8]) -> bool {
    payload.len() >= 12 && payload[0] >> 6 == 2
}

/// The payload of an RTP packet (after its header and CSRCs), without its last
/// `trailer` bytes (an SRTP authentication tag).
fn rtp_payload(packet: &[u8], trailer: usize) -> &[u8] {
    let start = 12 + usize::from(packet[0] & 0x0f) * 4;
    packet
        .get(start..packet.len().saturating_sub(trailer))
        .unwrap_or_default()
}

/// The share of 20 ms windows in which `hz` is the tone heard when the RTP packets'
/// payloads are decoded as Opus (48 kHz) and as G.711 μ-law (8 kHz), the larger of the two.
pub fn tone_share_in_payloads(packets: &[&[u8]], hz: f64, trailer: usize) -> f64 {
    let mut opus = opus::Decoder::new(48_000, opus::Channels::Mono).expect("an Opus decoder");
    let mut as_opus = Vec::new();
    let mut as_ulaw = Vec::new();
    let mut frame = vec![0i16; 5_760];
    for packet in packets {
        let payload = rtp_payload(packet, trailer);
        if let Ok(samples) = opus.decode(payload, &mut frame, false) {
            as_opus.extend_from_slice(&frame[..samples]);
        }
        as_ulaw.extend(
            payload
                .iter()
                .map(|&b| ringlet::media::g711::ulaw_decode(b)),
        );
    }
    dominant_share(&as_opus, 48_000, hz).max(dominant_share(&as_ulaw, 8_000, hz))
}

/// The share of 20 ms windows whose strongest frequency (100–4,000 Hz) is within 3 % of
/// `hz`, at an audible level: a tone a listener would hear, not broadband noise (which has
/// some of every frequency).
fn dominant_share(samples: &[i16], rate: u32, hz: f64) -> f64 {
    use ringlet::media::tone::{peak_frequency, tone_amplitude};
    let windows: Vec<&[i16]> = samples.chunks_exact((rate / 50) as usize).collect();
    if windows.is_empty() {
        return 0.0;
    }
    let tonal = windows
        .iter()
        .filter(|window| {
            let peak = peak_frequency(window, rate, 100.0, 4_000.0);
            (peak - hz).abs() <= hz * 0.03 && tone_amplitude(window, rate, hz) >= 1_000.0
        })
        .count();
    tonal as f64 / windows.len() as f64
}
