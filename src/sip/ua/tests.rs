use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
const ANSWER: &str = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn ua(user: &str, port: u16, seed: u64) -> UserAgent {
    UserAgent::new(
        UaConfig {
            local_uri: format!("<sip:{user}@127.0.0.1:{port}>"),
            contact: format!("sip:{user}@127.0.0.1:{port}"),
            via_sent_by: format!("UDP 127.0.0.1:{port}"),
            user_agent: "Ringlet test".into(),
            credentials: None,
        },
        seed,
    )
}

/// Two UAs on a fake network with a fake clock.
struct Net {
    a: UserAgent,
    b: UserAgent,
    now: Instant,
    origin: Instant,
    a_events: Vec<UaEvent>,
    b_events: Vec<UaEvent>,
    /// Datagrams seen on the wire: (sender port, first line).
    wire: Vec<(u16, String)>,
    /// Drops datagrams whose first line starts with this, once per entry.
    drop_once: Vec<String>,
}

impl Net {
    #[expect(
        clippy::disallowed_methods,
        reason = "the fake clock needs one real starting point"
    )]
    fn new() -> Net {
        let now = Instant::now();
        Net {
            a: ua("alice", 5060, 1),
            b: ua("bob", 5070, 2),
            now,
            origin: now,
            a_events: Vec::new(),
            b_events: Vec::new(),
            wire: Vec::new(),
            drop_once: Vec::new(),
        }
    }

    /// Moves datagrams between the two until both are quiet (no time passes).
    fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(output) = self.a.poll_output() {
                moved = true;
                match output {
                    UaOutput::Event(event) => self.a_events.push(event),
                    UaOutput::Transmit { to, bytes } => self.deliver(5060, to, bytes),
                }
            }
            while let Some(output) = self.b.poll_output() {
                moved = true;
                match output {
                    UaOutput::Event(event) => self.b_events.push(event),
                    UaOutput::Transmit { to, bytes } => self.deliver(5070, to, bytes),
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the UAs never went quiet");
    }

    fn deliver(&mut self, from_port: u16, to: SocketAddr, bytes: Vec<u8>) {
        let first = String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        if let Some(at) = self
            .drop_once
            .iter()
            .position(|prefix| first.starts_with(prefix.as_str()))
        {
            self.drop_once.remove(at);
            return;
        }
        self.wire.push((from_port, first));
        match to.port() {
            5060 => self.a.handle_datagram(self.now, addr(from_port), &bytes),
            5070 => self.b.handle_datagram(self.now, addr(from_port), &bytes),
            other => panic!("datagram to unknown port {other}"),
        }
    }

    /// Advances the clock to each deadline up to `limit` from the start.
    fn run_timers(&mut self, limit: Duration) {
        self.settle();
        for _ in 0..10_000 {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(at) = next.filter(|at| *at - self.origin <= limit) else {
                return;
            };
            self.now = self.now.max(at);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            self.settle();
        }
    }

    fn count_on_wire(&self, prefix: &str) -> usize {
        self.wire
            .iter()
            .filter(|(_, line)| line.starts_with(prefix))
            .count()
    }

    fn incoming_call(&self) -> CallHandle {
        self.b_events
            .iter()
            .find_map(|event| match event {
                UaEvent::IncomingCall { call, .. } => Some(*call),
                _ => None,
            })
            .expect("an incoming call at B")
    }
}

#[test]
fn a_call_rings_connects_and_ends_with_bye() {
    let mut net = Net::new();
    let call = net
        .a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    assert!(
        matches!(&net.b_events[0], UaEvent::IncomingCall { offer: Some(offer), .. } if offer == OFFER)
    );
    assert!(net.a_events.contains(&UaEvent::Ringing {
        call,
        early_media: None
    }));
    assert_eq!(net.count_on_wire("SIP/2.0 100 Trying"), 1);

    assert!(net.b.answer(net.now, incoming, ANSWER));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Connected {
        call,
        answer: Some(ANSWER.into())
    }));
    assert_eq!(net.count_on_wire("ACK sip:bob@127.0.0.1:5070"), 1);
    // The ACK stopped B's 2xx retransmission: nothing more happens for a minute.
    net.run_timers(Duration::from_secs(60));
    assert_eq!(net.count_on_wire("SIP/2.0 200 OK"), 1);

    assert!(net.a.hangup(net.now, call));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::LocalHangup
    }));
    assert!(net.b_events.contains(&UaEvent::Ended {
        call: incoming,
        reason: EndReason::RemoteHangup
    }));
    assert_eq!(net.count_on_wire("BYE sip:bob@127.0.0.1:5070"), 1);
}

#[test]
fn a_lost_ack_makes_the_answerer_retransmit_its_2xx() {
    let mut net = Net::new();
    net.a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    net.drop_once.push("ACK".into());
    net.b.answer(net.now, incoming, ANSWER);
    net.run_timers(Duration::from_secs(5));
    // B resent the 200 at T1; A acknowledged the retransmission; then silence.
    assert_eq!(net.count_on_wire("SIP/2.0 200 OK"), 2);
    assert_eq!(net.count_on_wire("ACK"), 1);
    assert!(
        !net.b_events
            .iter()
            .any(|event| matches!(event, UaEvent::Ended { .. }))
    );
}

#[test]
fn an_invite_retransmitted_after_the_answer_starts_no_second_call() {
    let mut net = Net::new();
    // Every response to the first INVITE is lost, so A retransmits it after B answered.
    net.drop_once
        .extend(["SIP/2.0 100".into(), "SIP/2.0 180".into()]);
    let call = net
        .a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    net.drop_once.push("SIP/2.0 200".into());
    net.b.answer(net.now, incoming, ANSWER);
    net.run_timers(Duration::from_secs(10));
    let incoming_calls = net
        .b_events
        .iter()
        .filter(|e| matches!(e, UaEvent::IncomingCall { .. }))
        .count();
    assert_eq!(incoming_calls, 1);
    assert!(net.a_events.contains(&UaEvent::Connected {
        call,
        answer: Some(ANSWER.into())
    }));
    assert!(net.count_on_wire("INVITE") >= 2, "A did retransmit");
}

#[test]
fn rejecting_sends_a_final_response_that_is_acked() {
    let mut net = Net::new();
    let call = net
        .a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    assert!(net.b.reject(net.now, incoming, 486, "Busy Here"));
    net.run_timers(Duration::from_secs(60));
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::Rejected(486)
    }));
    assert_eq!(net.count_on_wire("SIP/2.0 486 Busy Here"), 1);
    assert_eq!(
        net.count_on_wire("ACK"),
        1,
        "the transaction ACKs the 486 and timer G stops"
    );
}

#[test]
fn cancelling_a_ringing_call_ends_it_on_both_sides() {
    let mut net = Net::new();
    let call = net
        .a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    assert!(net.a.hangup(net.now, call));
    net.run_timers(Duration::from_secs(60));
    assert_eq!(net.count_on_wire("CANCEL"), 1);
    assert_eq!(net.count_on_wire("SIP/2.0 487 Request Terminated"), 1);
    assert!(net.b_events.contains(&UaEvent::Ended {
        call: incoming,
        reason: EndReason::Cancelled
    }));
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::Cancelled
    }));
}

#[test]
fn unanswered_invites_time_out() {
    let mut net = Net::new();
    let call = net.a.invite(
        net.now,
        addr(5999),
        "sip:nobody@127.0.0.1:5999",
        OFFER,
        None,
    );
    // Nothing listens at 5999: collect what A sends and drop it.
    let mut sent = 0;
    let mut now = net.now;
    for _ in 0..100 {
        while let Some(output) = net.a.poll_output() {
            match output {
                UaOutput::Transmit { .. } => sent += 1,
                UaOutput::Event(event) => net.a_events.push(event),
            }
        }
        let Some(at) = net.a.poll_timeout() else {
            break;
        };
        now = at;
        net.a.handle_timeout(now);
    }
    assert_eq!(sent, 7, "timer A doubling until timer B");
    assert_eq!((now - net.origin).as_secs(), 32);
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::Timeout
    }));
}

#[test]
fn options_unknown_methods_and_strays_get_proper_answers() {
    let mut ua = ua("bob", 5070, 3);
    let now = Net::new().now;
    let request = |method: &str, branch: &str| {
        format!(
            "{method} sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{branch}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c-{branch}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let mut answers = |bytes: &[u8]| -> Vec<String> {
        ua.handle_datagram(now, addr(5060), bytes);
        std::iter::from_fn(|| ua.poll_output())
            .filter_map(|output| match output {
                UaOutput::Transmit { bytes, .. } => {
                    Some(String::from_utf8_lossy(&bytes).into_owned())
                }
                UaOutput::Event(_) => None,
            })
            .collect()
    };
    let options = answers(request("OPTIONS", "o1").as_bytes());
    assert!(
        options[0].starts_with("SIP/2.0 200 OK")
            && options[0].contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS")
    );
    assert!(answers(request("PUBLISH", "p1").as_bytes())[0].starts_with("SIP/2.0 405"));
    assert!(answers(request("BYE", "b1").as_bytes())[0].starts_with("SIP/2.0 481"));
    let cancel = answers(request("CANCEL", "c1").as_bytes());
    assert!(cancel[0].starts_with("SIP/2.0 481"));
    // Malformed but routable: 400 with a reason; unroutable garbage and broken responses: silence.
    let bad_length = request("OPTIONS", "x1").replace("Content-Length: 0", "Content-Length: -5");
    let reply = answers(bad_length.as_bytes());
    assert!(reply[0].starts_with("SIP/2.0 400 Bad Request"), "{reply:?}");
    assert!(answers(b"\x00\x01garbage").is_empty());
    assert!(answers(b"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n").is_empty());
    let no_call_id = request("OPTIONS", "x2").replace("Call-ID: c-x2\r\n", "");
    assert!(answers(no_call_id.as_bytes())[0].starts_with("SIP/2.0 400"));
    // Raw NUL octets in the Call-ID: refused, and not echoed back.
    let nul_call_id = request("OPTIONS", "x3").replace("Call-ID: c-x3", "Call-ID: c-\0x\0");
    let reply = answers(nul_call_id.as_bytes());
    assert!(reply[0].starts_with("SIP/2.0 400"), "{reply:?}");
    assert!(!reply[0].contains('\0'), "{reply:?}");
}

/// A connected call from A to B: (A's handle, B's handle).
fn connected(net: &mut Net) -> (CallHandle, CallHandle) {
    let call = net
        .a
        .invite(net.now, addr(5070), "sip:bob@127.0.0.1:5070", OFFER, None);
    net.settle();
    let incoming = net.incoming_call();
    assert!(net.b.answer(net.now, incoming, ANSWER));
    net.settle();
    (call, incoming)
}

#[test]
fn hold_and_resume_by_reinvite_in_both_directions() {
    let mut net = Net::new();
    let (call, incoming) = connected(&mut net);
    let hold = OFFER.replace(
        "m=audio 4000 RTP/AVP 0\r\n",
        "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
    );
    assert!(net.a.reinvite(net.now, call, &hold));
    // A second re-INVITE while one is in flight is refused locally.
    assert!(!net.a.reinvite(net.now, call, OFFER));
    net.settle();
    let offered = net.b_events.iter().find_map(|event| match event {
        UaEvent::Reoffer { call, offer } if *call == incoming => offer.clone(),
        _ => None,
    });
    assert_eq!(offered.as_deref(), Some(hold.as_str()));
    let recvonly = ANSWER.replace(
        "m=audio 5000 RTP/AVP 0\r\n",
        "m=audio 5000 RTP/AVP 0\r\na=recvonly\r\n",
    );
    assert!(net.b.accept_reoffer(net.now, incoming, &recvonly));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Reanswered {
        call,
        answer: Some(recvonly.clone())
    }));
    // Two INVITEs, two 200s, two ACKs; the ACK stopped the re-INVITE's 2xx retransmission.
    net.run_timers(Duration::from_secs(40));
    assert_eq!(net.count_on_wire("INVITE sip:"), 2);
    assert_eq!(net.count_on_wire("SIP/2.0 200 OK"), 2);
    assert_eq!(net.count_on_wire("ACK sip:"), 2);

    // B resumes the other way round: B re-INVITEs A.
    assert!(net.b.reinvite(net.now, incoming, ANSWER));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Reoffer {
        call,
        offer: Some(ANSWER.into())
    }));
    assert!(net.a.accept_reoffer(net.now, call, OFFER));
    net.settle();
    assert!(net.b_events.contains(&UaEvent::Reanswered {
        call: incoming,
        answer: Some(OFFER.into())
    }));
    // The call still ends cleanly with the CSeq numbers both sides moved on to.
    assert!(net.b.hangup(net.now, incoming));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::RemoteHangup
    }));
}

/// A re-INVITE whose transport failed (the peer's stream closed under it) ends the call
/// with BYE, as RFC 3261 §12.2.1.2 says for a 408, and the end says the peer could not be
/// reached rather than that we hung up.
#[test]
fn a_reinvite_the_transport_failed_ends_the_call_as_connection_lost() {
    let mut net = Net::new();
    let (call, _) = connected(&mut net);
    assert!(net.a.reinvite(net.now, call, OFFER));
    net.a.transport_failed(net.now, addr(5070));
    net.settle();
    assert!(
        net.a_events
            .contains(&UaEvent::ReofferFailed { call, code: 408 })
    );
    assert!(net.a_events.contains(&UaEvent::Ended {
        call,
        reason: EndReason::ConnectionLost
    }));
}

#[test]
fn a_refused_reinvite_keeps_the_call() {
    let mut net = Net::new();
    let (call, incoming) = connected(&mut net);
    assert!(net.a.reinvite(net.now, call, OFFER));
    net.settle();
    net.b
        .refuse_reoffer(net.now, incoming, 488, "Not Acceptable Here");
    net.settle();
    assert!(
        net.a_events
            .contains(&UaEvent::ReofferFailed { call, code: 488 })
    );
    // The failed re-INVITE left the dialog usable: a new one goes through.
    assert!(net.a.reinvite(net.now, call, OFFER));
    net.settle();
    assert!(net.b.accept_reoffer(net.now, incoming, ANSWER));
    net.settle();
    assert!(net.a_events.contains(&UaEvent::Reanswered {
        call,
        answer: Some(ANSWER.into())
    }));
}

#[test]
fn messages_go_both_ways_and_unsupported_types_are_refused() {
    let mut net = Net::new();
    let id = net
        .a
        .message(
            net.now,
            addr(5070),
            "sip:bob@127.0.0.1:5070",
            "text/plain;charset=UTF-8",
            "héllo 你好",
        )
        .unwrap();
    net.settle();
    assert!(net.b_events.iter().any(|event| matches!(
        event,
        UaEvent::MessageReceived { body, from, .. } if body == "héllo 你好" && from.contains("sip:alice@")
    )));
    assert!(
        net.a_events
            .contains(&UaEvent::MessageSent { id, code: 200 })
    );

    let html = net
        .b
        .message(
            net.now,
            addr(5060),
            "sip:alice@127.0.0.1:5060",
            "text/html",
            "<b>x</b>",
        )
        .unwrap();
    net.settle();
    assert!(net.b_events.contains(&UaEvent::MessageSent {
        id: html,
        code: 415
    }));
    assert!(
        !net.a_events
            .iter()
            .any(|event| matches!(event, UaEvent::MessageReceived { .. }))
    );
    let long = "x".repeat(MAX_MESSAGE_BODY + 1);
    assert_eq!(
        net.a.message(
            net.now,
            addr(5070),
            "sip:bob@127.0.0.1:5070",
            "text/plain",
            &long
        ),
        None
    );
}

#[test]
fn dtmf_by_info_arrives_as_digits() {
    let mut net = Net::new();
    let (call, incoming) = connected(&mut net);
    for digit in "1*#9".chars() {
        assert!(net.a.send_dtmf_info(net.now, call, digit));
    }
    assert!(!net.a.send_dtmf_info(net.now, call, 'x'));
    net.settle();
    let digits: String = net
        .b_events
        .iter()
        .filter_map(|event| match event {
            UaEvent::Dtmf { call, digit } if *call == incoming => Some(*digit),
            _ => None,
        })
        .collect();
    assert_eq!(digits, "1*#9");
    assert_eq!(net.count_on_wire("INFO sip:"), 4);
}

#[test]
fn refer_is_accepted_and_progress_comes_back_by_notify() {
    let mut net = Net::new();
    let (call, incoming) = connected(&mut net);
    assert!(net.a.refer(net.now, call, "sip:carol@127.0.0.1:5080"));
    net.settle();
    assert!(net.b_events.contains(&UaEvent::TransferRequested {
        call: incoming,
        target: "sip:carol@127.0.0.1:5080".into()
    }));
    // 202 for the REFER, then the first NOTIFY's 100 Trying.
    let progress = |net: &Net| -> Vec<u16> {
        net.a_events
            .iter()
            .filter_map(|event| match event {
                UaEvent::TransferProgress { code, .. } => Some(*code),
                _ => None,
            })
            .collect()
    };
    assert_eq!(progress(&net), [202, 100]);
    assert!(net.b.notify_transfer(net.now, incoming, 200, "OK"));
    net.settle();
    assert_eq!(progress(&net), [202, 100, 200]);
    assert_eq!(net.count_on_wire("NOTIFY sip:"), 2);
}

#[test]
fn attended_transfer_targets_carry_replaces_and_match_the_dialog() {
    let mut net = Net::new();
    let (call, incoming) = connected(&mut net);
    let target = net.a.replaces_target(call).unwrap();
    assert!(
        target.starts_with("<sip:bob@127.0.0.1:5070?Replaces="),
        "{target}"
    );
    let (uri, replaces) = split_refer_target(&target);
    assert_eq!(uri, "sip:bob@127.0.0.1:5070");
    let replaces = replaces.unwrap();
    // A third party (here: A itself on a fresh call) sends an INVITE with Replaces to B;
    // B recognises its own dialog in it.
    net.a
        .invite(net.now, addr(5070), &uri, OFFER, Some(&replaces));
    net.settle();
    assert!(net.b_events.iter().any(|event| matches!(
        event,
        UaEvent::IncomingCall { replaces: Some(old), .. } if *old == incoming
    )));
    // A Replaces naming no dialog is refused with 481 (RFC 3891 §3).
    net.a.invite(
        net.now,
        addr(5070),
        &uri,
        OFFER,
        Some("nosuchcall;to-tag=1;from-tag=2"),
    );
    net.settle();
    assert_eq!(net.count_on_wire("SIP/2.0 481"), 1);
}

#[test]
fn presence_is_watched_notified_changed_and_refreshed() {
    let mut net = Net::new();
    let sub = net.a.subscribe(
        net.now,
        addr(5070),
        "sip:bob@127.0.0.1:5070",
        "presence",
        60,
    );
    net.settle();
    let presence = |net: &Net| -> Vec<Option<bool>> {
        net.a_events
            .iter()
            .filter_map(|event| match event {
                UaEvent::Notified {
                    subscription,
                    event,
                    body,
                } if *subscription == sub && event == "presence" => Some(pidf_open(body)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(presence(&net), [Some(true)]);
    net.b.set_presence(net.now, false, "in a meeting");
    net.settle();
    assert_eq!(presence(&net), [Some(true), Some(false)]);
    // The subscription is refreshed inside its dialog before its 60 s run out, and B
    // answers the refresh with another NOTIFY.
    net.run_timers(Duration::from_secs(50));
    assert_eq!(net.count_on_wire("SUBSCRIBE sip:"), 2);
    assert_eq!(presence(&net).len(), 3);
    // Other packages are refused with 489.
    let mwi = net.a.subscribe(
        net.now,
        addr(5070),
        "sip:bob@127.0.0.1:5070",
        "message-summary",
        60,
    );
    net.settle();
    assert!(net.a_events.contains(&UaEvent::SubscriptionFailed {
        subscription: mwi,
        event: "message-summary".into(),
        code: 489
    }));
}

#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "a starting point for the fake clock"
)]
fn a_request_lost_with_a_closing_stream_goes_once_more_and_an_older_one_fails() {
    let mut ua = UserAgent::new(
        UaConfig {
            local_uri: "<sip:alice@127.0.0.1:5060>".into(),
            contact: "sip:alice@127.0.0.1:5060;transport=tcp".into(),
            via_sent_by: "TCP 127.0.0.1:5060".into(),
            user_agent: "Ringlet test".into(),
            credentials: None,
        },
        1,
    );
    let start = Instant::now();
    let drain = |ua: &mut UserAgent| {
        let (mut sent, mut events) = (Vec::new(), Vec::new());
        while let Some(output) = ua.poll_output() {
            match output {
                UaOutput::Transmit { to, bytes } => sent.push((to, bytes)),
                UaOutput::Event(event) => events.push(event),
            }
        }
        (sent, events)
    };
    let send = |ua: &mut UserAgent, at: Instant| {
        ua.message(at, addr(5070), "sip:bob@127.0.0.1:5070", "text/plain", "hi")
            .unwrap()
    };
    let id = send(&mut ua, start);
    let (first, _) = drain(&mut ua);
    assert_eq!(first.len(), 1);
    // The stream closes a moment later: the same request goes again, nothing fails. The
    // new stream may be on the same dying connection and close too: up to three times.
    for closes in 1..=3 {
        ua.stream_closed(start + Duration::from_millis(500 * closes), addr(5070));
        let (again, events) = drain(&mut ua);
        assert_eq!(again, first, "close {closes}");
        assert!(events.is_empty(), "{events:?}");
    }
    // The fourth new stream closes too: now it fails.
    ua.stream_closed(start + Duration::from_secs(2), addr(5070));
    let (none, events) = drain(&mut ua);
    assert!(none.is_empty());
    assert!(
        events
            .iter()
            .any(|event| matches!(event, UaEvent::MessageSent { id: failed, code } if *failed == id && *code >= 400)),
        "{events:?}"
    );
    // A request sent longer ago than RESEND_WITHIN is not sent again.
    let old = send(&mut ua, start + Duration::from_secs(3));
    drain(&mut ua);
    ua.stream_closed(start + Duration::from_secs(7), addr(5070));
    let (none, events) = drain(&mut ua);
    assert!(none.is_empty());
    assert!(
        events.iter().any(
            |event| matches!(event, UaEvent::MessageSent { id, code } if *id == old && *code >= 400)
        ),
        "{events:?}"
    );
}
