//! The host moves to a new address mid-call.

use super::*;

#[test]
fn a_move_re_invites_each_connected_call_so_the_peer_sends_to_the_new_address() {
    let mut net = Net::new();
    let (a, b) = net.connect(BOB);
    assert_eq!(
        net.last_media(BOB, b).unwrap().remote_rtp.ip(),
        addr(0).ip()
    );
    let invites = net.count_on_wire("INVITE");
    let moved = SocketAddr::from(([127, 0, 0, 2], 5060));
    net.input(ALICE, Input::Moved(moved));
    assert_eq!(net.count_on_wire("INVITE"), invites + 1, "{:?}", net.wire);
    // Bob's media now goes to the new address; the call is still up at both ends.
    let params = net.last_media(BOB, b).unwrap();
    assert_eq!(params.remote_rtp.ip(), moved.ip());
    assert_eq!(flows(&params), (true, true));
    assert_eq!(net.ended(ALICE, a), None);
    assert_eq!(net.ended(BOB, b), None);
    // Bob's next request in the dialog names Alice's new Contact as its target.
    net.command(BOB, SessionCommand::Hold(b, true));
    assert_eq!(net.last_hold(ALICE, a), Some((false, true)));
    // The same address again is no move: nothing is sent.
    let before = net.wire.len();
    net.input(ALICE, Input::Moved(moved));
    assert_eq!(net.wire.len(), before);
}

#[test]
fn a_move_while_a_re_invite_is_in_flight_re_invites_once_it_is_done() {
    let mut net = Net::new();
    let (a, b) = net.connect(BOB);
    net.hold_prefix = Some("SIP/2.0 200".into());
    net.command(ALICE, SessionCommand::Hold(a, true));
    let moved = SocketAddr::from(([127, 0, 0, 2], 5060));
    net.input(ALICE, Input::Moved(moved));
    net.release_held();
    net.run_for(Duration::from_secs(1));
    let params = net.last_media(BOB, b).unwrap();
    assert_eq!(params.remote_rtp.ip(), moved.ip());
    // Still held: the move's offer keeps the hold.
    assert_eq!(net.last_hold(BOB, b), Some((false, true)));
    assert_eq!(net.ended(ALICE, a), None);
}
