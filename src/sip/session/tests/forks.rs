//! Forked calls: one INVITE to several devices, the first answer wins.

use super::*;

/// Alice forks call 1 to `uris`.
fn fork(net: &mut Net, uris: [&str; 2]) -> CallId {
    let call = CallId(1);
    let uris = uris.iter().map(|uri| (*uri).to_owned()).collect();
    net.command(ALICE, SessionCommand::Fork { call, uris });
    net.run_for(Duration::from_millis(10));
    call
}

/// Alice forks one call to Bob and Carol (two devices of one callee).
fn forked_call(net: &mut Net) -> (CallId, CallId, CallId) {
    let call = fork(net, ["sip:bob@127.0.0.1:5070", "sip:carol@127.0.0.1:5080"]);
    (call, net.incoming(BOB), net.incoming(CAROL))
}

#[test]
fn a_forked_call_rings_every_device_and_the_first_answer_cancels_the_others() {
    let mut net = Net::new();
    let (call, at_bob, at_carol) = forked_call(&mut net);
    assert_eq!(net.count_on_wire("INVITE"), 2);
    net.command(CAROL, SessionCommand::Answer(at_carol));
    net.run_for(Duration::from_secs(1));
    assert!(net.has(ALICE, &SessionEvent::Connected(call)));
    assert!(net.has(CAROL, &SessionEvent::Connected(at_carol)));
    // Bob's device stops ringing and knows why; Alice's call goes on with Carol.
    assert_eq!(net.ended(BOB, at_bob), Some(EndReason::AnsweredElsewhere));
    assert_eq!(net.ended(ALICE, call), None);
    assert!(net.last_media(ALICE, call).is_some());
    // The call is Carol's dialog now: hanging up ends it there.
    net.command(ALICE, SessionCommand::Hangup(call));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(CAROL, at_carol), Some(EndReason::RemoteHangup));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::LocalHangup));
    let ends = net.sides[ALICE]
        .events
        .iter()
        .filter(|event| matches!(event, SessionEvent::Ended(..)))
        .count();
    assert_eq!(ends, 1, "one end per call: {:?}", net.sides[ALICE].events);
}

#[test]
fn a_decline_on_one_device_ends_the_forked_call_everywhere() {
    let mut net = Net::new();
    let (call, at_bob, at_carol) = forked_call(&mut net);
    net.command(BOB, SessionCommand::Reject(at_bob, 603));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Rejected(603)));
    assert_eq!(net.ended(CAROL, at_carol), Some(EndReason::Cancelled));
}

#[test]
fn a_forked_call_ends_only_when_its_last_device_fails() {
    let mut net = Net::new();
    let call = fork(
        &mut net,
        ["sip:gone@unknown.invalid", "sip:carol@127.0.0.1:5080"],
    );
    assert_eq!(net.ended(ALICE, call), None, "one device is still there");
    let at_carol = net.incoming(CAROL);
    net.command(CAROL, SessionCommand::Reject(at_carol, 480));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Rejected(480)));
}

#[test]
fn hanging_up_a_forked_call_before_an_answer_cancels_every_device() {
    let mut net = Net::new();
    let (call, at_bob, at_carol) = forked_call(&mut net);
    net.command(ALICE, SessionCommand::Hangup(call));
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.ended(BOB, at_bob), Some(EndReason::Cancelled));
    assert_eq!(net.ended(CAROL, at_carol), Some(EndReason::Cancelled));
    assert_eq!(net.ended(ALICE, call), Some(EndReason::Cancelled));
}
