//! Two (or three) cores wired back to back on a fake network with a fake clock: every
//! datagram, name lookup and port binding is carried by the harness, so the SIP timers'
//! seconds pass in microseconds and nothing touches a socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use super::*;
use crate::media::stream::StreamParams;
use crate::sdp::KNOWN_CODECS;
use crate::sip::ua::EndReason;

mod answer;
mod forks;
mod roam;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn core(user: &str, port: u16, seed: u8) -> SessionCore {
    SessionCore::new(
        SessionConfig {
            ua: UaConfig {
                local_uri: format!("<sip:{user}@127.0.0.1:{port}>"),
                contact: format!("sip:{user}@127.0.0.1:{port}"),
                via_sent_by: format!("UDP 127.0.0.1:{port}"),
                user_agent: "Ringlet test".into(),
                credentials: None,
            },
            aor: format!("sip:{user}@127.0.0.1:{port}"),
            registrar: None,
            outbound_proxy: None,
            register_expires: 600,
            codecs: KNOWN_CODECS.to_vec(),
            srtp: SrtpPolicy::Optional,
            dtmf: DtmfMode::Rfc4733,
            mwi: false,
            watch: Vec::new(),
            stun: None,
            late_offer: false,
            auto_answer: false,
            local: addr(port),
        },
        [seed; 32],
        Arc::new(AtomicU64::new(u64::from(seed) * 1000)),
    )
}

struct Side {
    core: SessionCore,
    port: u16,
    events: Vec<SessionEvent>,
    media: Vec<(CallId, StreamParams)>,
    released: Vec<CallId>,
    next_rtp: u16,
}

/// Cores on ports 5060 (alice), 5070 (bob) and 5080 (carol).
struct Net {
    sides: Vec<Side>,
    now: Instant,
    /// Datagrams seen: (sender port, first line).
    wire: Vec<(u16, String)>,
    /// Where each datagram was sent: (destination port, first line).
    sent_to: Vec<(u16, String)>,
    /// Drops datagrams whose first line starts with this, once per entry.
    drop_once: Vec<String>,
    /// Holds datagrams whose first line starts with this until [`Net::release_held`].
    hold_prefix: Option<String>,
    held: Vec<(u16, SocketAddr, Vec<u8>)>,
}

const RELAY: u16 = 5090;
const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;

impl Net {
    #[expect(
        clippy::disallowed_methods,
        reason = "the fake clock needs one real starting point"
    )]
    fn new() -> Net {
        let names = [("alice", 5060), ("bob", 5070), ("carol", 5080)];
        let sides = names
            .iter()
            .enumerate()
            .map(|(index, (user, port))| Side {
                core: core(user, *port, index as u8 + 1),
                port: *port,
                events: Vec::new(),
                media: Vec::new(),
                released: Vec::new(),
                next_rtp: 20_000 + index as u16 * 1000,
            })
            .collect();
        let mut net = Net {
            sides,
            now: Instant::now(),
            wire: Vec::new(),
            sent_to: Vec::new(),
            drop_once: Vec::new(),
            hold_prefix: None,
            held: Vec::new(),
        };
        for side in 0..3 {
            net.input(side, Input::Start);
        }
        net
    }

    fn input(&mut self, side: usize, input: Input<'_>) {
        let now = self.now;
        self.sides[side].core.handle_input(now, input);
        self.settle();
    }

    fn command(&mut self, side: usize, command: SessionCommand) {
        self.input(side, Input::Command(command));
    }

    /// Carries every output until all cores are quiet (no time passes).
    fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            for index in 0..self.sides.len() {
                while let Some(output) = self.sides[index].core.poll_output() {
                    moved = true;
                    self.carry(index, output);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the cores never went quiet");
    }

    fn carry(&mut self, index: usize, output: Output) {
        let now = self.now;
        let side = &mut self.sides[index];
        match output {
            Output::Transmit { to, bytes } => {
                let from = side.port;
                self.deliver(from, to, bytes);
            }
            Output::Resolve {
                request, target, ..
            } => {
                let port = crate::sip::SipUri::parse(&target)
                    .ok()
                    .and_then(|uri| uri.port)
                    .unwrap_or(5060);
                let result = if target.contains("unknown.invalid") {
                    Err(super::ResolveError::Lookup {
                        host: "unknown.invalid".into(),
                        reason: "no such host".into(),
                    })
                } else {
                    Ok(addr(port))
                };
                side.core
                    .handle_input(now, Input::Resolved { request, result });
            }
            Output::BindMedia(call) => {
                side.next_rtp += 2;
                let result = Ok(side.next_rtp);
                side.core
                    .handle_input(now, Input::MediaBound { call, result });
            }
            Output::ReleaseMedia(call) => side.released.push(call),
            Output::Media { call, params } => side.media.push((call, params)),
            Output::Event(event) => side.events.push(event),
        }
    }

    fn deliver(&mut self, from: u16, to: SocketAddr, bytes: Vec<u8>) {
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
        if self
            .hold_prefix
            .as_deref()
            .is_some_and(|prefix| first.starts_with(prefix))
        {
            self.held.push((from, to, bytes));
            return;
        }
        self.sent_to.push((to.port(), first.clone()));
        self.wire.push((from, first));
        // Port 5090 is a relay in front of bob that does not Record-Route.
        let port = if to.port() == RELAY { 5070 } else { to.port() };
        let Some(target) = self.sides.iter().position(|side| side.port == port) else {
            panic!("datagram to unknown port {to}");
        };
        let now = self.now;
        self.sides[target].core.handle_input(
            now,
            Input::Datagram {
                from: addr(from),
                bytes: &bytes,
            },
        );
    }

    fn release_held(&mut self) {
        self.hold_prefix = None;
        for (from, to, bytes) in std::mem::take(&mut self.held) {
            self.deliver(from, to, bytes);
        }
        self.settle();
    }

    /// Advances the clock to each deadline up to `limit` from now.
    fn run_for(&mut self, limit: Duration) {
        self.settle();
        let end = self.now + limit;
        for _ in 0..10_000 {
            let next = self
                .sides
                .iter()
                .filter_map(|side| side.core.poll_timeout())
                .min();
            let Some(at) = next.filter(|at| *at <= end) else {
                self.now = end;
                return;
            };
            self.now = self.now.max(at);
            for index in 0..self.sides.len() {
                let due = self.sides[index]
                    .core
                    .poll_timeout()
                    .is_some_and(|at| at <= self.now);
                if due {
                    self.input(index, Input::Timeout);
                }
            }
        }
    }

    fn count_on_wire(&self, prefix: &str) -> usize {
        self.wire
            .iter()
            .filter(|(_, line)| line.starts_with(prefix))
            .count()
    }

    /// The newest call to arrive at `side`.
    fn incoming(&self, side: usize) -> CallId {
        self.sides[side]
            .events
            .iter()
            .rev()
            .find_map(|event| match event {
                SessionEvent::Incoming { call, .. } => Some(*call),
                _ => None,
            })
            .expect("an incoming call")
    }

    fn has(&self, side: usize, wanted: &SessionEvent) -> bool {
        self.sides[side].events.contains(wanted)
    }

    fn ended(&self, side: usize, call: CallId) -> Option<EndReason> {
        self.sides[side]
            .events
            .iter()
            .find_map(|event| match event {
                SessionEvent::Ended(ended, reason) if *ended == call => Some(reason.clone()),
                _ => None,
            })
    }

    fn last_media(&self, side: usize, call: CallId) -> Option<StreamParams> {
        self.sides[side]
            .media
            .iter()
            .rev()
            .find(|(id, _)| *id == call)
            .map(|(_, params)| params.clone())
    }

    fn last_hold(&self, side: usize, call: CallId) -> Option<(bool, bool)> {
        self.sides[side]
            .events
            .iter()
            .rev()
            .find_map(|event| match event {
                SessionEvent::Hold {
                    call: held,
                    local,
                    remote,
                } if *held == call => Some((*local, *remote)),
                _ => None,
            })
    }

    /// Alice calls `to` (bob or carol), who answers; the two call ids.
    /// Alice calls Bob as `call`; Bob's id for it, once it has reached him.
    fn call_bob(&mut self, call: CallId) -> CallId {
        let uri = "sip:bob@127.0.0.1:5070".to_owned();
        self.command(ALICE, SessionCommand::Invite { call, uri });
        self.incoming(BOB)
    }

    fn connect(&mut self, to: usize) -> (CallId, CallId) {
        let call = CallId(90 + to as u64);
        let uri = format!("sip:x@127.0.0.1:{}", self.sides[to].port);
        self.command(ALICE, SessionCommand::Invite { call, uri });
        let theirs = self.incoming(to);
        self.command(to, SessionCommand::Answer(theirs));
        assert!(self.has(ALICE, &SessionEvent::Connected(call)));
        assert!(self.last_media(ALICE, call).is_some());
        assert!(self.last_media(to, theirs).is_some());
        (call, theirs)
    }
}

fn flows(params: &StreamParams) -> (bool, bool) {
    (params.send, params.receive)
}

#[test]
fn hold_and_resume_work_from_each_side() {
    let mut net = Net::new();
    let (a, b) = net.connect(BOB);
    for (holder, call, other, other_call) in [(ALICE, a, BOB, b), (BOB, b, ALICE, a)] {
        net.command(holder, SessionCommand::Hold(call, true));
        assert_eq!(net.last_hold(holder, call), Some((true, false)));
        assert_eq!(net.last_hold(other, other_call), Some((false, true)));
        // The holder neither sends nor plays; the held side only listens (recvonly).
        assert_eq!(
            flows(&net.last_media(holder, call).unwrap()),
            (false, false)
        );
        assert_eq!(
            flows(&net.last_media(other, other_call).unwrap()),
            (false, true)
        );
        net.command(holder, SessionCommand::Hold(call, false));
        assert_eq!(net.last_hold(holder, call), Some((false, false)));
        assert_eq!(net.last_hold(other, other_call), Some((false, false)));
        assert_eq!(flows(&net.last_media(holder, call).unwrap()), (true, true));
        assert_eq!(
            flows(&net.last_media(other, other_call).unwrap()),
            (true, true)
        );
    }
    // Every offer and answer counted its SDP version up: the media went on through it all.
    assert_eq!(net.count_on_wire("INVITE"), 5);
}

#[test]
fn reinvite_glare_gets_491_and_both_changes_go_through_after_the_retry() {
    let mut net = Net::new();
    let (a, b) = net.connect(BOB);
    // Both hold before either re-INVITE arrives.
    net.hold_prefix = Some("INVITE".into());
    net.command(ALICE, SessionCommand::Hold(a, true));
    net.command(BOB, SessionCommand::Hold(b, true));
    net.release_held();
    assert_eq!(net.count_on_wire("SIP/2.0 491"), 2);
    let failed = |side: &Side| {
        side.events
            .iter()
            .any(|event| matches!(event, SessionEvent::Failed(_)))
    };
    assert!(!failed(&net.sides[ALICE]) && !failed(&net.sides[BOB]));
    // RFC 3261 §14.1: bob (not the Call-ID's owner) goes again within 2 s, alice after 2.1 s.
    net.run_for(Duration::from_millis(2_050));
    assert_eq!(net.last_hold(BOB, b), Some((true, false)));
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.last_hold(ALICE, a), Some((true, true)));
    assert_eq!(net.last_hold(BOB, b), Some((true, true)));
    assert_eq!(flows(&net.last_media(ALICE, a).unwrap()), (false, false));
    assert_eq!(flows(&net.last_media(BOB, b).unwrap()), (false, false));
    assert!(!failed(&net.sides[ALICE]) && !failed(&net.sides[BOB]));
}

#[test]
fn a_refused_reinvite_keeps_the_old_media_and_hold_state() {
    let mut net = Net::new();
    let (a, b) = net.connect(BOB);
    let media = (net.sides[ALICE].media.len(), net.sides[BOB].media.len());
    // Alice's next offer has no SRTP key and bob now insists on one: bob answers 488.
    net.sides[ALICE].core.config.srtp = SrtpPolicy::Off;
    net.sides[BOB].core.config.srtp = SrtpPolicy::Mandatory;
    net.command(ALICE, SessionCommand::Hold(a, true));
    assert_eq!(net.count_on_wire("SIP/2.0 488"), 1, "{:?}", net.wire);
    // RFC 3261 §14.1: the session goes on as it was, on both sides.
    let alice = &net.sides[ALICE];
    assert_eq!((alice.media.len(), net.sides[BOB].media.len()), media);
    assert_eq!(
        alice.core.calls.get(&a).map(|slot| slot.held_locally),
        Some(false)
    );
    assert_eq!(net.last_hold(ALICE, a), None);
    assert!(
        alice
            .events
            .iter()
            .any(|event| matches!(event, SessionEvent::Failed(text) if text.contains("488")))
    );
    assert!(net.ended(ALICE, a).is_none() && net.ended(BOB, b).is_none());
    // A later change goes through as usual.
    net.sides[ALICE].core.config.srtp = SrtpPolicy::Mandatory;
    net.command(ALICE, SessionCommand::Hold(a, true));
    assert_eq!(net.last_hold(ALICE, a), Some((true, false)));
}

#[test]
fn a_late_offer_is_answered_in_the_ack_and_both_sides_get_media() {
    let mut net = Net::new();
    net.sides[ALICE].core.config.late_offer = true;
    let call = CallId(7);
    let b = net.call_bob(call);
    assert!(net.last_media(BOB, b).is_none());
    net.command(BOB, SessionCommand::Answer(b));
    assert!(net.has(ALICE, &SessionEvent::Connected(call)));
    let alice = net
        .last_media(ALICE, call)
        .expect("alice's media from bob's offer");
    let bob = net
        .last_media(BOB, b)
        .expect("bob's media from the answer in the ACK");
    assert_eq!(alice.remote_rtp.port(), 21_002, "bob's port");
    assert_eq!(bob.remote_rtp.port(), 20_002, "alice's port");
    assert_eq!((flows(&alice), flows(&bob)), ((true, true), (true, true)));
    // Both SRTP keys went across: each side sends with its own and reads the other's.
    let (alice_srtp, bob_srtp) = (alice.srtp.unwrap(), bob.srtp.unwrap());
    assert_eq!(alice_srtp.local_key, bob_srtp.remote_key);
    assert_eq!(alice_srtp.remote_key, bob_srtp.local_key);
    // A retransmitted 2xx gets the same ACK, answer included.
    assert_eq!(net.count_on_wire("ACK"), 1);
}

#[test]
fn early_media_in_a_183_starts_before_the_answer() {
    let mut net = Net::new();
    // Bob's 180 goes out as a 183 with an answer to alice's offer (an announcement).
    net.hold_prefix = Some("SIP/2.0 180".into());
    let call = CallId(8);
    let b = net.call_bob(call);
    let (from, to, ringing) = net.held.pop().expect("bob's 180");
    net.hold_prefix = None;
    let offer = net.sides[BOB]
        .core
        .calls
        .get(&b)
        .and_then(|slot| slot.offer.clone())
        .unwrap();
    let offer = crate::sdp::SessionDescription::parse(&offer).unwrap();
    let codecs = KNOWN_CODECS.to_vec();
    let local = crate::sdp::LocalMedia {
        address: "127.0.0.1",
        port: 30_000,
        codecs: &codecs,
        direction: crate::sdp::Direction::SendOnly,
        srtp: SrtpPolicy::Off,
        srtp_key: "",
        session: (1, 1),
    };
    let answer = crate::sdp::answer_offer(&offer, &local).unwrap();
    let mut progress = crate::sip::SipMessage::parse(&ringing).unwrap();
    progress.start = crate::sip::StartLine::Response {
        code: 183,
        reason: "Session Progress".into(),
    };
    progress.headers.set("Content-Type", "application/sdp");
    progress.body = answer.sdp.to_string().into_bytes();
    net.deliver(from, to, progress.to_bytes());
    net.settle();
    assert!(net.has(ALICE, &SessionEvent::Ringing(call)));
    assert!(!net.has(ALICE, &SessionEvent::Connected(call)));
    let early = net.last_media(ALICE, call).expect("early media");
    assert_eq!(early.remote_rtp.port(), 30_000);
    // Alice only listens to the announcement.
    assert_eq!(flows(&early), (false, true));
    // Bob answers for real: the media moves to the answer's port, both ways.
    net.command(BOB, SessionCommand::Answer(b));
    let answered = net.last_media(ALICE, call).unwrap();
    assert_eq!(answered.remote_rtp.port(), 21_002);
    assert_eq!(flows(&answered), (true, true));
}

#[test]
fn a_200_that_crosses_the_cancel_is_acked_and_ended_with_bye() {
    let mut net = Net::new();
    let call = CallId(9);
    let b = net.call_bob(call);
    // Bob answers; his 200 is still on the way when alice hangs up.
    net.hold_prefix = Some("SIP/2.0 200".into());
    net.command(BOB, SessionCommand::Answer(b));
    net.hold_prefix = None;
    let held = std::mem::take(&mut net.held);
    net.command(ALICE, SessionCommand::Hangup(call));
    assert_eq!(net.count_on_wire("CANCEL"), 1);
    // Bob is no longer ringing: the CANCEL gets 481 (RFC 3261 §9.2), not a 487.
    assert_eq!(net.count_on_wire("SIP/2.0 481"), 1);
    for (from, to, bytes) in held {
        net.deliver(from, to, bytes);
    }
    net.settle();
    assert_eq!(net.count_on_wire("ACK"), 1);
    assert_eq!(net.count_on_wire("BYE"), 1);
    assert!(!net.has(ALICE, &SessionEvent::Connected(call)));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::LocalHangup));
    assert_eq!(net.ended(BOB, b), Some(EndReason::RemoteHangup));
    net.run_for(Duration::from_secs(40));
    assert!(net.sides.iter().all(|side| side.core.calls.is_empty()));
    assert_eq!(net.sides[ALICE].released, vec![call]);
}

#[test]
fn attended_transfer_replaces_the_call_at_the_target() {
    let mut net = Net::new();
    // Alice talks to bob, puts him on hold and calls carol; then she joins them.
    let (to_bob, bob_call) = net.connect(BOB);
    net.command(ALICE, SessionCommand::Hold(to_bob, true));
    let (to_carol, carol_call) = net.connect(CAROL);
    net.command(
        ALICE,
        SessionCommand::AttendedTransfer {
            call: to_bob,
            other: to_carol,
        },
    );
    // Bob's core places the call to carol by itself, with Replaces.
    let bob_new = net.sides[BOB]
        .events
        .iter()
        .find_map(|event| match event {
            SessionEvent::Outgoing {
                call, transfer_of, ..
            } if *transfer_of == bob_call => Some(*call),
            _ => None,
        })
        .expect("bob follows the REFER");
    let carol_new = net.incoming(CAROL);
    assert!(net.sides[CAROL].events.iter().any(|event| matches!(
        event,
        SessionEvent::Incoming { call, replaces: Some(old), .. }
            if *call == carol_new && *old == carol_call
    )));
    // Carol's new call answered itself (RFC 3891 §3) and the old one ended.
    assert!(net.has(BOB, &SessionEvent::Connected(bob_new)));
    assert_eq!(flows(&net.last_media(BOB, bob_new).unwrap()), (true, true));
    assert_eq!(
        flows(&net.last_media(CAROL, carol_new).unwrap()),
        (true, true)
    );
    assert!(net.ended(CAROL, carol_call).is_some());
    assert!(net.ended(ALICE, to_carol).is_some());
    // Bob reported success by NOTIFY; alice left the call with bob.
    assert!(net.has(
        ALICE,
        &SessionEvent::Transfer {
            call: to_bob,
            code: 200
        }
    ));
    assert!(net.ended(ALICE, to_bob).is_some());
    assert!(net.ended(BOB, bob_call).is_some());
    assert!(net.ended(BOB, bob_new).is_none() && net.ended(CAROL, carol_new).is_none());
}

#[test]
fn an_answer_that_refuses_every_stream_ends_the_call_with_bye_and_says_why() {
    let mut net = Net::new();
    let call = CallId(10);
    let b = net.call_bob(call);
    // Bob's 200 refuses the audio stream (port 0), as jami-daemon does to a plain offer
    // on an SRTP-only account.
    net.hold_prefix = Some("SIP/2.0 200".into());
    net.command(BOB, SessionCommand::Answer(b));
    let (from, to, ok) = net.held.pop().expect("bob's 200");
    net.hold_prefix = None;
    let text = String::from_utf8(ok).unwrap();
    let body_at = text.find("\r\n\r\n").unwrap() + 4;
    let body = text[body_at..].to_owned();
    let refused = body
        .lines()
        .map(|line| match line.strip_prefix("m=audio ") {
            Some(rest) => {
                let (_, formats) = rest.split_once(' ').unwrap();
                format!("m=audio 0 {formats}")
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n";
    let head = text[..body_at].replace(
        &format!("Content-Length: {}", body.len()),
        &format!("Content-Length: {}", refused.len()),
    );
    net.deliver(from, to, format!("{head}{refused}").into_bytes());
    net.settle();
    assert_eq!(net.count_on_wire("ACK"), 1);
    assert_eq!(net.count_on_wire("BYE"), 1);
    assert!(net.last_media(ALICE, call).is_none());
    match net.ended(ALICE, call) {
        Some(EndReason::NoMedia(why)) => assert!(why.contains("refused the audio"), "{why}"),
        other => panic!("ended {other:?}"),
    }
    assert!(net.sides[ALICE].events.iter().any(
        |event| matches!(event, SessionEvent::Failed(text) if text.contains("refused the audio"))
    ));
}

#[test]
fn an_unresolvable_destination_ends_the_call_as_unreachable_not_404() {
    let mut net = Net::new();
    let call = CallId(11);
    let uri = "sip:bob@unknown.invalid".to_owned();
    net.command(ALICE, SessionCommand::Invite { call, uri });
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Unreachable));
    assert!(
        net.sides[ALICE]
            .events
            .iter()
            .any(|event| matches!(event, SessionEvent::Failed(text)
                if text.contains("cannot resolve unknown.invalid: no such host")
                    && !text.contains("cannot resolve: ")))
    );
    assert_eq!(net.count_on_wire("INVITE"), 0);
    assert_eq!(net.sides[ALICE].released, vec![call]);
}

#[test]
fn in_dialog_requests_go_to_the_remote_target_not_the_first_hop() {
    let mut net = Net::new();
    // Alice reaches bob through a relay that does not Record-Route: bob's Contact is
    // where the dialog's requests go (RFC 3261 §12.2.1.1).
    let call = CallId(12);
    let uri = format!("sip:bob@127.0.0.1:{RELAY}");
    net.command(ALICE, SessionCommand::Invite { call, uri });
    let b = net.incoming(BOB);
    net.command(BOB, SessionCommand::Answer(b));
    net.command(ALICE, SessionCommand::Hangup(call));
    let to = |method: &str| {
        net.sent_to
            .iter()
            .filter(|(_, line)| line.starts_with(method))
            .map(|(port, _)| *port)
            .collect::<Vec<_>>()
    };
    assert_eq!(to("INVITE"), vec![RELAY]);
    assert_eq!(to("ACK"), vec![5070]);
    assert_eq!(to("BYE"), vec![5070]);
    assert_eq!(net.ended(BOB, b), Some(EndReason::RemoteHangup));
}

#[test]
fn a_lost_media_path_ends_the_call_with_its_reason_and_never_as_a_decline() {
    let mut net = Net::new();
    let ring = |net: &mut Net, call: CallId| {
        let uri = "sip:bob@127.0.0.1:5070".into();
        net.command(ALICE, SessionCommand::Invite { call, uri });
        net.run_for(Duration::from_millis(10));
        net.incoming(BOB)
    };
    let call = CallId(1);
    let at_bob = ring(&mut net, call);
    // While it rings: the caller hears "unavailable", not "declined".
    net.input(BOB, Input::MediaLost(at_bob));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(BOB, at_bob), Some(EndReason::ConnectionLost));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Rejected(480)));

    // Once up: BYE, and the side that lost the path says so.
    let call = CallId(2);
    let at_bob = ring(&mut net, call);
    net.command(BOB, SessionCommand::Answer(at_bob));
    net.run_for(Duration::from_millis(10));
    net.input(ALICE, Input::MediaLost(call));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::ConnectionLost));
    assert_eq!(net.ended(BOB, at_bob), Some(EndReason::RemoteHangup));
}

#[test]
fn a_ringing_call_outlives_the_stream_its_invite_went_on() {
    // A P2P device's stream (a relay circuit that ran out) closes after the callee rang:
    // the INVITE waits for its final response, which comes on a new stream.
    let mut net = Net::new();
    let call = CallId(1);
    let uri = "sip:bob@127.0.0.1:5070".into();
    net.command(ALICE, SessionCommand::Invite { call, uri });
    net.run_for(Duration::from_millis(10));
    let at_bob = net.incoming(BOB);
    assert_eq!(net.count_on_wire("SIP/2.0 180"), 1);
    let bob = "127.0.0.1:5070".parse().unwrap();
    net.input(ALICE, Input::StreamClosed { to: bob });
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(ALICE, call), None);
    // A keep-alive went to Bob (it opens the new stream); nothing else did.
    let pings = net.wire.iter().filter(|(_, line)| line.is_empty()).count();
    assert_eq!(pings, 1, "{:?}", net.wire);
    net.command(BOB, SessionCommand::Answer(at_bob));
    net.run_for(Duration::from_millis(10));
    assert!(net.has(ALICE, &SessionEvent::Connected(call)));
    assert!(net.has(BOB, &SessionEvent::Connected(at_bob)));
    assert_eq!(net.ended(ALICE, call), None);

    // When the new stream cannot be had either (closed again soon, three more times: the
    // device is gone, not a dying relay connection that took one more stream), the call
    // ends.
    let call = CallId(2);
    let uri = "sip:bob@127.0.0.1:5070".into();
    net.command(ALICE, SessionCommand::Invite { call, uri });
    net.run_for(Duration::from_millis(10));
    net.input(ALICE, Input::StreamClosed { to: bob });
    net.run_for(Duration::from_secs(5));
    assert_eq!(net.ended(ALICE, call), None);
    for _ in 0..3 {
        net.input(ALICE, Input::StreamClosed { to: bob });
        net.run_for(Duration::from_millis(10));
        assert_eq!(net.ended(ALICE, call), None);
    }
    net.input(ALICE, Input::StreamClosed { to: bob });
    net.run_for(Duration::from_millis(10));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Timeout));
}

#[test]
fn a_reply_to_a_message_goes_where_it_came_from_not_to_the_port_its_from_implies() {
    let mut net = Net::new();
    // Bob writes from port 5070, but his From names no port (as baresip's and many phones'
    // do): by the URI alone, a reply would go to 5060. It carries a parameter, which the
    // reply's spelling of his address does not: the address of record is the same.
    let message = "MESSAGE sip:alice@127.0.0.1:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-reply-1\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:bob@127.0.0.1;transport=udp>;tag=b1\r\n\
        To: <sip:alice@127.0.0.1:5060>\r\n\
        Call-ID: reply-test-1\r\n\
        CSeq: 1 MESSAGE\r\n\
        Content-Type: text/plain\r\n\
        Content-Length: 5\r\n\r\nhello";
    net.input(
        ALICE,
        Input::Datagram {
            from: addr(5070),
            bytes: message.as_bytes(),
        },
    );
    assert!(net.has(
        ALICE,
        &SessionEvent::MessageReceived {
            from: "sip:bob@127.0.0.1;transport=udp".into(),
            text: "hello".into()
        }
    ));
    net.command(
        ALICE,
        SessionCommand::Message {
            id: 7,
            uri: "sip:bob@127.0.0.1:5060".into(),
            text: "hi back".into(),
        },
    );
    assert!(
        net.sent_to.iter().any(
            |(port, line)| *port == 5070 && line.starts_with("MESSAGE sip:bob@127.0.0.1:5060 ")
        )
    );
    assert!(net.sides[BOB].events.iter().any(|event| matches!(
        event,
        SessionEvent::MessageReceived { text, .. } if text == "hi back"
    )));
    assert!(net.has(
        ALICE,
        &SessionEvent::MessageSent {
            id: 7,
            code: 200,
            error: None
        }
    ));
}
