//! A core that answers calls by itself (an auto-answer account).

use super::*;

#[test]
fn an_auto_answer_core_answers_by_itself_until_told_not_to() {
    let mut net = Net::new();
    net.command(BOB, SessionCommand::AutoAnswer(true));
    let call = CallId(7);
    let b = net.call_bob(call);
    // No Answer command: the core answered as soon as the call's port was bound.
    assert!(net.has(ALICE, &SessionEvent::Connected(call)));
    assert!(net.has(BOB, &SessionEvent::Connected(b)));
    assert!(net.last_media(BOB, b).is_some());
    net.command(BOB, SessionCommand::AutoAnswer(false));
    let second = CallId(8);
    let rings = net.call_bob(second);
    assert_ne!(rings, b);
    assert!(!net.has(ALICE, &SessionEvent::Connected(second)));
    assert!(!net.has(BOB, &SessionEvent::Connected(rings)));
}
