//! Two streams facing each other on loopback: codecs, SRTP, DTMF, hold, RTCP, DTX, bad input.

#![expect(
    clippy::disallowed_methods,
    reason = "tests start a fake clock at the real now"
)]

use std::net::{IpAddr, UdpSocket};

use super::*;
use crate::media::tone::{ToneGenerator, peak_frequency, rms_dbfs, tone_amplitude};
use crate::sdp::KNOWN_CODECS;

const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn params(codec: &Codec, to: &RtpSockets, srtp: Option<SrtpKeys>) -> StreamParams {
    let rtp = to.rtp.local_addr().unwrap();
    StreamParams {
        remote_rtp: rtp,
        remote_rtcp: to.rtcp.local_addr().unwrap(),
        rtcp_mux: false,
        codec: *codec,
        payload_type: codec.offered_payload_type(),
        dtmf_payload_type: Some(101),
        send: true,
        receive: true,
        srtp,
        dtmf: DtmfMode::Rfc4733,
        dtx: false,
        stereo: false,
    }
}

/// Two streams facing each other on loopback.
fn pair(codec: &Codec, keys: Option<(&str, &str)>) -> (Stream, Stream) {
    let a = Arc::new(RtpSockets::bind(LOOPBACK, 11).unwrap());
    let b = Arc::new(RtpSockets::bind(LOOPBACK, 977).unwrap());
    let srtp = |local: &str, remote: &str| SrtpKeys {
        suite: "AES_CM_128_HMAC_SHA1_80".into(),
        remote_key: remote.into(),
        local_key: local.into(),
    };
    let (ka, kb) = match keys {
        Some((one, two)) => (Some(srtp(one, two)), Some(srtp(two, one))),
        None => (None, None),
    };
    let now = Instant::now();
    let pa = params(codec, &b, ka);
    let pb = params(codec, &a, kb);
    (
        Stream::new(a, pa, 1 << 40, now).unwrap(),
        Stream::new(b, pb, 7 << 40, now).unwrap(),
    )
}

/// Runs `frames` ticks of A sending a 1 kHz tone to B; returns what B played.
fn carry(a: &mut Stream, b: &mut Stream, frames: usize, events: &mut Vec<StreamEvent>) -> Vec<i16> {
    let start = Instant::now();
    let mut tone = ToneGenerator::new(48_000, 1_000.0, 8_000.0);
    let mut heard = Vec::new();
    let mut frame = vec![0i16; FRAME_SAMPLES];
    for tick in 0..frames {
        let now = start + Duration::from_millis(20 * tick as u64);
        tone.fill(&mut frame);
        a.send(&mut frame);
        // Loopback delivery is immediate, but give the kernel a moment.
        std::thread::sleep(Duration::from_micros(300));
        b.receive(now, SystemTime::now(), events);
        b.playout(&mut frame);
        heard.extend_from_slice(&frame);
    }
    heard
}

#[test]
fn each_codec_carries_a_tone_between_two_streams() {
    for codec in KNOWN_CODECS {
        let (mut a, mut b) = pair(codec, None);
        let heard = carry(&mut a, &mut b, 50, &mut Vec::new());
        let tail = &heard[24_000..];
        let peak = peak_frequency(tail, 48_000, 200.0, 3_000.0);
        assert!((peak - 1_000.0).abs() < 20.0, "{}: {peak}", codec.id);
        assert!(
            tone_amplitude(tail, 48_000, 1_000.0) > 4_000.0,
            "{}",
            codec.id
        );
        assert_eq!(b.stats(Instant::now()).packets_received, 50, "{}", codec.id);
    }
}

#[test]
fn srtp_carries_audio_and_wrong_keys_carry_none() {
    let codec = Codec::by_id("pcmu").unwrap();
    let key_a = "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/";
    let key_b = "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj";
    let (mut a, mut b) = pair(codec, Some((key_a, key_b)));
    let heard = carry(&mut a, &mut b, 30, &mut Vec::new());
    assert!(tone_amplitude(&heard[9_600..], 48_000, 1_000.0) > 4_000.0);
    assert!(b.stats(Instant::now()).srtp);

    // B expects another key from A: every packet fails authentication.
    let (mut a, mut b) = pair(codec, Some((key_a, key_b)));
    b.update(StreamParams {
        srtp: Some(SrtpKeys {
            suite: "AES_CM_128_HMAC_SHA1_80".into(),
            remote_key: key_b.into(),
            local_key: key_b.into(),
        }),
        ..b.params.clone()
    })
    .unwrap();
    let heard = carry(&mut a, &mut b, 30, &mut Vec::new());
    assert_eq!(rms_dbfs(&heard), -120.0, "no audio passes");
    let stats = b.stats(Instant::now());
    assert_eq!(stats.packets_received, 0);
    assert_eq!(stats.dropped, 30);
    assert_eq!(
        stats.last_drop.as_deref(),
        Some("SRTP authentication failed")
    );
}

#[test]
fn rfc4733_digits_arrive_exactly_and_mute_sends_silence() {
    let codec = Codec::by_id("opus").unwrap();
    let (mut a, mut b) = pair(codec, None);
    assert!(a.queue_dtmf("0123456789*#").is_empty());
    let mut events = Vec::new();
    carry(&mut a, &mut b, 12 * 11 + 5, &mut events);
    let digits: String = events
        .iter()
        .map(|StreamEvent::Dtmf(digit)| *digit)
        .collect();
    assert_eq!(digits, "0123456789*#");

    a.set_muted(true);
    let heard = carry(&mut a, &mut b, 25, &mut Vec::new());
    assert!(rms_dbfs(&heard[24_000..]) < -60.0);
}

#[test]
fn in_band_digits_are_sent_and_detected_without_telephone_event() {
    let codec = Codec::by_id("pcmu").unwrap();
    let (mut a, mut b) = pair(codec, None);
    for stream in [&mut a, &mut b] {
        let params = StreamParams {
            dtmf_payload_type: None,
            ..stream.params.clone()
        };
        stream.update(params).unwrap();
    }
    assert!(a.queue_dtmf("19#").is_empty());
    let start = Instant::now();
    let mut silence = vec![0i16; FRAME_SAMPLES];
    let mut heard = vec![0i16; FRAME_SAMPLES];
    let mut events = Vec::new();
    for tick in 0..40u64 {
        silence.fill(0);
        a.send(&mut silence);
        std::thread::sleep(Duration::from_micros(300));
        b.receive(
            start + Duration::from_millis(20 * tick),
            SystemTime::now(),
            &mut events,
        );
        b.playout(&mut heard);
        b.take_detected(&mut events);
    }
    let digits: String = events
        .iter()
        .map(|StreamEvent::Dtmf(digit)| *digit)
        .collect();
    assert_eq!(digits, "19#");
}

#[test]
fn dtx_pauses_play_comfort_noise_not_dead_air() {
    let codec = Codec::by_id("opus").unwrap();
    let (mut a, mut b) = pair(codec, None);
    let params = StreamParams {
        dtx: true,
        ..a.params.clone()
    };
    a.update(params).unwrap();
    carry(&mut a, &mut b, 10, &mut Vec::new());
    let sent_before = a.stats(Instant::now()).packets_sent;
    let start = Instant::now();
    let mut heard = Vec::new();
    let mut frame = vec![0i16; FRAME_SAMPLES];
    for tick in 0..50u64 {
        frame.fill(0);
        a.send(&mut frame);
        std::thread::sleep(Duration::from_micros(300));
        b.receive(
            start + Duration::from_millis(20 * tick),
            SystemTime::now(),
            &mut Vec::new(),
        );
        b.playout(&mut frame);
        heard.extend_from_slice(&frame);
    }
    let sent = a.stats(Instant::now()).packets_sent - sent_before;
    assert!(sent < 25, "DTX sent {sent} packets of silence");
    let level = rms_dbfs(&heard[24_000..]);
    assert!(
        (-85.0..-60.0).contains(&level),
        "comfort noise at {level:.1} dBFS"
    );
}

#[test]
fn hold_stops_sending_and_playing() {
    let codec = Codec::by_id("pcma").unwrap();
    let (mut a, mut b) = pair(codec, None);
    let update = |stream: &mut Stream, on: bool| {
        let params = StreamParams {
            send: on,
            receive: on,
            ..stream.params.clone()
        };
        stream.update(params).unwrap();
    };
    update(&mut a, false);
    let heard = carry(&mut a, &mut b, 20, &mut Vec::new());
    assert_eq!(rms_dbfs(&heard), -120.0);
    assert_eq!(a.stats(Instant::now()).packets_sent, 0);
    update(&mut a, true);
    let heard = carry(&mut a, &mut b, 30, &mut Vec::new());
    assert!(tone_amplitude(&heard[24_000..], 48_000, 1_000.0) > 4_000.0);
}

#[test]
fn rtcp_reports_give_round_trip_and_loss() {
    let codec = Codec::by_id("pcmu").unwrap();
    let (mut a, mut b) = pair(codec, None);
    carry(&mut a, &mut b, 10, &mut Vec::new());
    let start = Instant::now();
    let wall = SystemTime::now();
    // A's SR, then B's RR answering it, then A reads the RR.
    a.report(start + Duration::from_secs(3), wall);
    std::thread::sleep(Duration::from_millis(2));
    // The separate RTCP socket is looked at every RTCP_POLL_TICKS ticks.
    for _ in 0..RTCP_POLL_TICKS {
        b.receive(start, wall, &mut Vec::new());
    }
    b.report(
        start + Duration::from_secs(3),
        wall + Duration::from_millis(5),
    );
    std::thread::sleep(Duration::from_millis(2));
    for _ in 0..RTCP_POLL_TICKS {
        a.receive(start, wall + Duration::from_millis(10), &mut Vec::new());
    }
    let stats = a.stats(Instant::now());
    assert_eq!(stats.remote_loss_percent, Some(0.0));
    assert!(stats.rtt_ms.is_some(), "{stats:?}");
}

#[test]
fn garbage_datagrams_are_counted_not_fatal() {
    let codec = Codec::by_id("pcmu").unwrap();
    let (_, mut b) = pair(codec, None);
    let sender = UdpSocket::bind((LOOPBACK, 0)).unwrap();
    let to = b.sockets.rtp.local_addr().unwrap();
    for bytes in [
        &b""[..],
        b"\x80",
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        b"\x80\xc8\x00\x09abc",
        &[0x80, 55, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 9],
    ] {
        sender.send_to(bytes, to).unwrap();
    }
    std::thread::sleep(Duration::from_millis(5));
    b.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    let mut frame = vec![0; FRAME_SAMPLES];
    b.playout(&mut frame);
    assert!(b.stats(Instant::now()).dropped >= 4);
}

#[test]
fn stun_keep_alives_on_both_media_ports_are_not_counted_as_broken_packets() {
    let codec = Codec::by_id("pcmu").unwrap();
    let (_, mut b) = pair(codec, None);
    let sender = UdpSocket::bind((LOOPBACK, 0)).unwrap();
    // A Binding request, as linphone sends to keep its NAT bindings open (RFC 7983).
    let binding = crate::stun::binding_request(&[7; 12]);
    sender
        .send_to(&binding, b.sockets.rtp.local_addr().unwrap())
        .unwrap();
    sender
        .send_to(&binding, b.sockets.rtcp.local_addr().unwrap())
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    for _ in 0..RTCP_POLL_TICKS {
        b.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    }
    let stats = b.stats(Instant::now());
    assert_eq!((stats.stun_received, stats.dropped), (2, 0), "{stats:?}");
}

#[test]
fn plain_rtcp_on_an_srtp_call_is_named_as_such_and_not_used() {
    let codec = Codec::by_id("pcmu").unwrap();
    let keys = (
        "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/",
        "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj",
    );
    let (_, mut b) = pair(codec, Some(keys));
    let sender = UdpSocket::bind((LOOPBACK, 0)).unwrap();
    // A bare sender report, as jami-daemon sends on its SRTP calls: no index, no tag.
    let mut report = vec![0x80, 200, 0, 6];
    report.extend_from_slice(&[0x4d, 0xb2, 0x29, 0xaf]);
    report.extend_from_slice(&[0; 20]);
    sender
        .send_to(&report, b.sockets.rtcp.local_addr().unwrap())
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    for _ in 0..RTCP_POLL_TICKS {
        b.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    }
    let stats = b.stats(Instant::now());
    assert_eq!(stats.dropped, 1, "{stats:?}");
    assert!(
        stats
            .last_drop
            .as_deref()
            .is_some_and(|why| why.contains("plain RTCP")),
        "{stats:?}"
    );
    assert_eq!(stats.rtt_ms, None);
}

#[test]
fn a_direct_path_carries_the_media_both_ways_and_hands_everything_else_back() {
    let codec = Codec::by_id("opus").unwrap();
    let keys = (
        "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/",
        "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj",
    );
    let (mut a, mut b) = pair(codec, Some(keys));
    // A's media moves to a socket of its own, facing B's RTP socket; B answers where
    // the packets come from (it latches), as the other side of a nominated pair does.
    let direct = Arc::new(UdpSocket::bind((LOOPBACK, 0)).unwrap());
    direct.set_nonblocking(true).unwrap();
    let local = direct.local_addr().unwrap();
    let (others, mut handed) = tokio::sync::mpsc::channel(8);
    a.sockets.direct.set(Some(DirectRoute {
        socket: Arc::clone(&direct),
        local,
        remote: b.sockets.rtp.local_addr().unwrap(),
        others,
        since: Instant::now(),
    }));
    // The first tick takes the route.
    a.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    let heard_at_b = carry(&mut a, &mut b, 50, &mut Vec::new());
    let peak = peak_frequency(&heard_at_b[24_000..], 48_000, 200.0, 3_000.0);
    assert!((peak - 1_000.0).abs() < 20.0, "B heard {peak} Hz");
    let heard_at_a = carry(&mut b, &mut a, 50, &mut Vec::new());
    let peak = peak_frequency(&heard_at_a[24_000..], 48_000, 200.0, 3_000.0);
    assert!((peak - 1_000.0).abs() < 20.0, "A heard {peak} Hz");
    let since = Instant::now() - Duration::from_secs(60);
    assert!(a.sockets.direct.last_media(since).is_some());
    assert_eq!(a.stats(Instant::now()).dropped, 0);
    // STUN from the remote address and anything from a stranger go back, untouched.
    let binding = crate::stun::binding_request(&[7; 12]);
    b.sockets.rtp.send_to(&binding, local).unwrap();
    let stranger = UdpSocket::bind((LOOPBACK, 0)).unwrap();
    stranger.send_to(b"\x80\x00hello", local).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    a.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    let first = handed.try_recv().unwrap();
    assert_eq!(
        first,
        (local, b.sockets.rtp.local_addr().unwrap(), binding.clone())
    );
    let second = handed.try_recv().unwrap();
    assert_eq!(
        second,
        (
            local,
            stranger.local_addr().unwrap(),
            b"\x80\x00hello".to_vec()
        )
    );
    // Taken back: A sends to its peer address again (B's RTP socket) from its own socket.
    a.sockets.direct.set(None);
    a.receive(Instant::now(), SystemTime::now(), &mut Vec::new());
    let mut frame = vec![0i16; FRAME_SAMPLES];
    a.send(&mut frame);
    std::thread::sleep(Duration::from_millis(5));
    let mut buffer = [0u8; 2048];
    assert!(
        direct.recv_from(&mut buffer).is_err(),
        "nothing more on the direct socket"
    );
    let (_, from) = b.sockets.rtp.recv_from(&mut buffer).unwrap();
    assert_eq!(from, a.sockets.rtp.local_addr().unwrap());
}
