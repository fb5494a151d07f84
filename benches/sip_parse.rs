//! SIP parsing and printing rates on a typical INVITE with an SDP body.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringlet::sip::{NameAddr, SipMessage, Via};

fn invite() -> Vec<u8> {
    let body = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 111 9 0 8 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n";
    format!(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n\
         Max-Forwards: 70\r\n\
         To: Bob <sip:bob@biloxi.example.com>\r\n\
         From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
         CSeq: 314159 INVITE\r\n\
         Contact: <sip:alice@192.0.2.10:5060>\r\n\
         Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, MESSAGE, OPTIONS, INFO\r\n\
         Supported: replaces, timer\r\n\
         User-Agent: Ringlet bench\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn sip_benches(c: &mut Criterion) {
    let bytes = invite();
    let mut group = c.benchmark_group("sip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_invite", |b| {
        b.iter(|| black_box(SipMessage::parse(black_box(&bytes)).unwrap()))
    });
    let message = SipMessage::parse(&bytes).unwrap();
    group.bench_function("print_invite", |b| b.iter(|| black_box(message.to_bytes())));
    group.bench_function("parse_invite_and_dialog_headers", |b| {
        b.iter(|| {
            let message = SipMessage::parse(black_box(&bytes)).unwrap();
            message.check_mandatory().unwrap();
            let via = Via::parse(message.headers.get("Via").unwrap()).unwrap();
            let from = NameAddr::parse(message.headers.get("From").unwrap()).unwrap();
            black_box((via, from))
        })
    });
    group.finish();
}

criterion_group!(benches, sip_benches);
criterion_main!(benches);
