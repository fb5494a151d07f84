//! The SIP user agent fed arbitrary datagrams: a call it answers, then whatever comes
//! (requests in and out of its dialog, responses, garbage). It must never panic, and its
//! state must stay bounded.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ringlet::sip::ua::{UaConfig, UaEvent, UaOutput, UserAgent};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods, reason = "the fuzz target's one real instant")]
    let start = Instant::now();
    let mut ua = UserAgent::new(
        UaConfig {
            local_uri: "<sip:fuzz@127.0.0.1:5060>".into(),
            contact: "sip:fuzz@127.0.0.1:5060".into(),
            via_sent_by: "UDP 127.0.0.1:5060".into(),
            user_agent: "fuzz".into(),
            credentials: None,
        },
        1,
    );
    let from: SocketAddr = "127.0.0.1:5070".parse().unwrap();
    // Datagrams framed by a two-byte big-endian length (so that they may hold any byte,
    // NUL included), each at a later instant.
    let mut rest = data;
    for index in 0..16u64 {
        let [high, low, tail @ ..] = rest else {
            break;
        };
        let len = usize::from(u16::from_be_bytes([*high, *low])).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        rest = after;
        let now = start + Duration::from_millis(200 * index);
        ua.handle_datagram(now, from, datagram);
        let mut calls = Vec::new();
        while let Some(output) = ua.poll_output() {
            if let UaOutput::Event(UaEvent::IncomingCall { call, .. }) = output {
                calls.push(call);
            }
        }
        for call in calls {
            ua.answer(now, call, "v=0\r\n");
        }
        ua.handle_timeout(now + Duration::from_secs(40));
        while ua.poll_output().is_some() {}
    }
});
