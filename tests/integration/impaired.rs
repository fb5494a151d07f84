//! Audio through an impaired network: two real media streams (the ones the media thread
//! runs for every call) talk through a seeded UDP relay on loopback that drops 10 % of the
//! packets and delays each by 0–60 ms (so packets also reorder). Played out in real time
//! every 20 ms, the far side's tone must be present in at least 90 % of the 20 ms windows.

use std::collections::BinaryHeap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use ringlet::media::FRAME_SAMPLES;
use ringlet::media::stream::{RtpSockets, Stream, StreamParams};
use ringlet::media::tone::{ToneGenerator, tone_amplitude};
use ringlet::sdp::Codec;

const LOSS: f64 = 0.10;
const MAX_DELAY_MS: u64 = 60;
const SECONDS: usize = 10;

/// A small seeded generator (xorshift64*): the same impairment on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(PartialEq, Eq)]
struct Due(Instant, bool, Vec<u8>);

impl Ord for Due {
    fn cmp(&self, other: &Due) -> std::cmp::Ordering {
        other.0.cmp(&self.0)
    }
}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Forwards between `a_side` (facing A) and `b_side` (facing B), dropping and delaying.
#[expect(clippy::disallowed_methods, reason = "the relay runs in real time")]
fn relay(
    a_side: UdpSocket,
    b_side: UdpSocket,
    a: SocketAddr,
    b: SocketAddr,
    seed: u64,
    stop: Arc<AtomicBool>,
) {
    a_side.set_nonblocking(true).unwrap();
    b_side.set_nonblocking(true).unwrap();
    let mut random = Seeded(seed);
    let mut queue = BinaryHeap::new();
    let mut buffer = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        for (socket, towards_b) in [(&a_side, true), (&b_side, false)] {
            while let Ok(len) = socket.recv(&mut buffer) {
                if random.next() < LOSS {
                    continue;
                }
                let delay = Duration::from_millis((random.next() * MAX_DELAY_MS as f64) as u64);
                queue.push(Due(now + delay, towards_b, buffer[..len].to_vec()));
            }
        }
        while queue.peek().is_some_and(|due| due.0 <= now) {
            let Due(_, towards_b, bytes) = queue.pop().unwrap();
            if towards_b {
                b_side.send_to(&bytes, b).ok();
            } else {
                a_side.send_to(&bytes, a).ok();
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// The share of 20 ms windows (after the first second) in which B hears A's tone.
#[expect(clippy::disallowed_methods, reason = "real-time 20 ms ticks")]
fn tone_windows_heard(codec_id: &str, seed: u64) -> f64 {
    let codec = Codec::by_id(codec_id).unwrap();
    let loopback = std::net::IpAddr::V4(Ipv4Addr::LOCALHOST);
    let a_sockets = Arc::new(RtpSockets::bind(loopback, seed).unwrap());
    let b_sockets = Arc::new(RtpSockets::bind(loopback, seed + 4_001).unwrap());
    let a_side = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let b_side = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let a_address = a_sockets.rtp.local_addr().unwrap();
    let b_address = b_sockets.rtp.local_addr().unwrap();
    let now = Instant::now();
    let mut a = Stream::new(
        a_sockets,
        StreamParams::plain(codec, a_side.local_addr().unwrap()),
        seed,
        now,
    )
    .unwrap();
    let mut b = Stream::new(
        b_sockets,
        StreamParams::plain(codec, b_side.local_addr().unwrap()),
        seed * 3,
        now,
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let relay_stop = stop.clone();
    let relay =
        std::thread::spawn(move || relay(a_side, b_side, a_address, b_address, seed, relay_stop));

    let mut tone = ToneGenerator::new(48_000, 1_000.0, 8_000.0);
    let mut frame = vec![0i16; FRAME_SAMPLES];
    let mut silence = vec![0i16; FRAME_SAMPLES];
    let mut heard = Vec::new();
    let start = Instant::now();
    for tick in 0..SECONDS * 50 {
        let deadline = start + Duration::from_millis(20 * tick as u64);
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let now = Instant::now();
        tone.fill(&mut frame);
        a.send(&mut frame);
        b.send(&mut silence);
        a.receive(now, SystemTime::now(), &mut Vec::new());
        b.receive(now, SystemTime::now(), &mut Vec::new());
        a.playout(&mut silence);
        silence.fill(0);
        b.playout(&mut frame);
        heard.extend_from_slice(&frame);
        a.report(now, SystemTime::now());
        b.report(now, SystemTime::now());
    }
    stop.store(true, Ordering::Relaxed);
    relay.join().unwrap();
    let stats = b.stats(Instant::now());
    let windows: Vec<&[i16]> = heard[48_000..].chunks(FRAME_SAMPLES).collect();
    let detected = windows
        .iter()
        .filter(|window| tone_amplitude(window, 48_000, 1_000.0) > 2_000.0)
        .count();
    let share = detected as f64 / windows.len() as f64;
    eprintln!(
        "{codec_id}: tone in {:.1} % of windows; received {}, lost {}, concealed {}, jitter {:.1} ms, buffer {} ms",
        share * 100.0,
        stats.packets_received,
        stats.packets_lost,
        stats.concealed,
        stats.jitter_ms,
        stats.buffer_ms
    );
    share
}

/// One test, the codecs one after the other: two real-time loops at once would measure
/// the machine's scheduling as much as the media path.
#[test]
fn the_tone_survives_ten_percent_loss_and_sixty_ms_jitter() {
    for (codec, seed) in [("opus", 0x5EED_0001), ("pcmu", 0x5EED_0002)] {
        let share = tone_windows_heard(codec, seed);
        assert!(
            share >= 0.90,
            "{codec}: tone in only {:.1} % of windows",
            share * 100.0
        );
    }
}
