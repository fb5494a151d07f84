//! Media costs per 20 ms frame: the raw codec (encode + decode) next to a whole call's
//! media on loopback (encode, RTP, send, receive, jitter buffer, decode, play-out), SRTP,
//! the resampler, and mix-minus for a 32-party conference.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use ringlet::media::FRAME_SAMPLES;
use ringlet::media::codecs;
use ringlet::media::mixer::mix_minus;
use ringlet::media::resample::Resampler;
use ringlet::media::srtp::{SrtpReceiver, SrtpSender, SrtpSuite};
use ringlet::media::stream::{RtpSockets, Stream, StreamParams};
use ringlet::media::tone::ToneGenerator;
use ringlet::sdp::Codec;

fn tone_frame() -> Vec<i16> {
    let mut frame = vec![0i16; FRAME_SAMPLES];
    ToneGenerator::new(48_000, 440.0, 8_000.0).fill(&mut frame);
    frame
}

fn codec_benches(c: &mut Criterion) {
    let frame = tone_frame();
    for id in ["opus", "pcmu"] {
        let codec = Codec::by_id(id).unwrap();
        let mut instance = codecs::make(codec, false).unwrap();
        let mut payload = Vec::new();
        let mut decoded = Vec::new();
        c.bench_function(&format!("raw codec {id}: encode + decode 20 ms"), |b| {
            b.iter(|| {
                payload.clear();
                decoded.clear();
                instance.encode(black_box(&frame), &mut payload).unwrap();
                instance.decode(&payload, &mut decoded).unwrap();
            })
        });
    }
}

#[expect(clippy::disallowed_methods, reason = "a benchmark reads the clock")]
fn call_benches(c: &mut Criterion) {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    // A call usually agrees on telephone-event; without it the receiver also listens for
    // in-band digits (eight Goertzel filters on the played-out audio).
    for (id, telephone_event) in [("opus", true), ("pcmu", true), ("pcmu", false)] {
        let codec = Codec::by_id(id).unwrap();
        let a = Arc::new(RtpSockets::bind(loopback, 101).unwrap());
        let b = Arc::new(RtpSockets::bind(loopback, 9_001).unwrap());
        let params = |to: &RtpSockets| StreamParams {
            dtmf_payload_type: telephone_event.then_some(101),
            ..StreamParams::plain(codec, to.rtp.local_addr().unwrap())
        };
        let now = Instant::now();
        let (pa, pb) = (params(&b), params(&a));
        let mut sender = Stream::new(a, pa, 1 << 40, now).unwrap();
        let mut receiver = Stream::new(b, pb, 3 << 40, now).unwrap();
        let mut frame = tone_frame();
        let mut heard = vec![0i16; FRAME_SAMPLES];
        let mut events = Vec::new();
        let digits = if telephone_event {
            "telephone-event"
        } else {
            "in-band DTMF detection"
        };
        c.bench_function(
            &format!("call media {id}: one direction's 20 ms, loopback, {digits}"),
            |bench| {
                bench.iter(|| {
                    sender.send(black_box(&mut frame));
                    receiver.receive(Instant::now(), SystemTime::now(), &mut events);
                    receiver.playout(&mut heard);
                })
            },
        );
    }
}

fn srtp_benches(c: &mut Criterion) {
    let key = "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/";
    let mut sender = SrtpSender::new(SrtpSuite::AesCm128HmacSha1_80, key).unwrap();
    let mut receiver = SrtpReceiver::new(SrtpSuite::AesCm128HmacSha1_80, key).unwrap();
    let mut sequence = 0u16;
    let mut packet = Vec::with_capacity(256);
    c.bench_function("SRTP protect + unprotect, 160-byte payload", |b| {
        b.iter(|| {
            packet.clear();
            packet.extend_from_slice(&[0x80, 0]);
            packet.extend_from_slice(&sequence.to_be_bytes());
            packet.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
            packet.resize(12 + 160, 0x55);
            sequence = sequence.wrapping_add(1);
            sender.protect_rtp(&mut packet).unwrap();
            receiver.unprotect_rtp(&mut packet).unwrap();
        })
    });
}

fn dsp_benches(c: &mut Criterion) {
    let frame = tone_frame();
    let mut down = Resampler::new(48_000, 8_000);
    let mut out = Vec::new();
    c.bench_function("resample 20 ms 48 kHz -> 8 kHz", |b| {
        b.iter(|| {
            out.clear();
            down.process(black_box(&frame), &mut out);
        })
    });
    let inputs: Vec<Vec<i16>> = (0..32).map(|_| tone_frame()).collect();
    let refs: Vec<&[i16]> = inputs.iter().map(Vec::as_slice).collect();
    let mut outputs: Vec<Vec<i16>> = (0..32).map(|_| Vec::with_capacity(FRAME_SAMPLES)).collect();
    let mut total = Vec::new();
    c.bench_function("mix-minus 32 participants, 20 ms", |b| {
        b.iter(|| mix_minus(black_box(&refs), &mut outputs, &mut total))
    });
}

criterion_group!(
    benches,
    codec_benches,
    call_benches,
    srtp_benches,
    dsp_benches
);
criterion_main!(benches);
