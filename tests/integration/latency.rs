//! Added latency from capture to play-out on loopback with no jitter: two real media
//! streams ticking every 20 ms in real time; a tone starts at a known sample on one side
//! and its onset is found in what the other side plays. Device buffers are not included;
//! between two processes the phase of their ticks adds 0–20 ms more.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ringlet::media::FRAME_SAMPLES;
use ringlet::media::stream::{RtpSockets, Stream, StreamParams};
use ringlet::media::tone::ToneGenerator;
use ringlet::sdp::Codec;

/// Ticks of silence before the tone starts.
const LEAD_TICKS: usize = 50;

#[expect(clippy::disallowed_methods, reason = "real-time 20 ms ticks")]
fn latency_ms(codec_id: &str) -> f64 {
    let codec = Codec::by_id(codec_id).unwrap();
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let a_sockets = Arc::new(RtpSockets::bind(loopback, 77).unwrap());
    let b_sockets = Arc::new(RtpSockets::bind(loopback, 7_077).unwrap());
    let params = |to: &RtpSockets| StreamParams::plain(codec, to.rtp.local_addr().unwrap());
    let (pa, pb) = (params(&b_sockets), params(&a_sockets));
    let start = Instant::now();
    let mut a = Stream::new(a_sockets, pa, 5 << 40, start).unwrap();
    let mut b = Stream::new(b_sockets, pb, 9 << 40, start).unwrap();
    let mut tone = ToneGenerator::new(48_000, 1_000.0, 10_000.0);
    let mut frame = vec![0i16; FRAME_SAMPLES];
    let mut heard = Vec::new();
    for tick in 0..LEAD_TICKS + 25 {
        let deadline = start + Duration::from_millis(20 * tick as u64);
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if tick < LEAD_TICKS {
            frame.fill(0);
        } else {
            tone.fill(&mut frame);
        }
        a.send(&mut frame);
        // The same tick reads what arrived: in the media thread, receive follows capture.
        std::thread::sleep(Duration::from_micros(200));
        b.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
        b.playout(&mut frame);
        heard.extend_from_slice(&frame);
    }
    let onset = heard
        .iter()
        .position(|sample| sample.unsigned_abs() > 2_000)
        .expect("the tone arrived");
    (onset as f64 - (LEAD_TICKS * FRAME_SAMPLES) as f64) / 48.0
}

#[test]
fn capture_to_playout_adds_at_most_40_ms_on_loopback() {
    for codec in ["opus", "pcmu", "g722"] {
        let latency = latency_ms(codec);
        eprintln!("{codec}: {latency:.1} ms from capture to play-out");
        assert!((0.0..=40.0).contains(&latency), "{codec}: {latency:.1} ms");
    }
}
