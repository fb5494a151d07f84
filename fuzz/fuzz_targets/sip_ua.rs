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
    // Datagrams separated by a NUL byte, each at a later instant.
    for (index, datagram) in data.split(|&byte| byte == 0).take(16).enumerate() {
        let now = start + Duration::from_millis(200 * index as u64);
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
