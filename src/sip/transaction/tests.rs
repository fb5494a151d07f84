use std::time::{Duration, Instant};

use super::*;

#[expect(
    clippy::disallowed_methods,
    reason = "the fake clock needs one real starting point"
)]
fn start() -> Instant {
    Instant::now()
}

fn request(method: &str) -> SipMessage {
    let text = format!(
        "{method} sip:bob@biloxi.example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
         Max-Forwards: 70\r\n\
         To: Bob <sip:bob@biloxi.example.com>\r\n\
         From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
         CSeq: 314159 {method}\r\n\
         Route: <sip:proxy.example.com;lr>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    SipMessage::parse(text.as_bytes()).unwrap()
}

fn response(to: &SipMessage, code: u16) -> SipMessage {
    let mut response = response_to(to, code, "Whatever");
    if code > 100 {
        response
            .headers
            .set("To", "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf");
    }
    response
}

/// What a machine emitted, with the time since start.
type Log = Vec<(Duration, Output)>;

/// Anything with the sans-IO shape.
trait Machine {
    fn poll_output(&mut self) -> Option<Output>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_input(&mut self, now: Instant, input: Input<'_>);
}

impl Machine for ClientTransaction {
    fn poll_output(&mut self) -> Option<Output> {
        ClientTransaction::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ClientTransaction::poll_timeout(self)
    }
    fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        ClientTransaction::handle_input(self, now, input);
    }
}

impl Machine for ServerTransaction {
    fn poll_output(&mut self) -> Option<Output> {
        ServerTransaction::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ServerTransaction::poll_timeout(self)
    }
    fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        ServerTransaction::handle_input(self, now, input);
    }
}

fn drain(machine: &mut impl Machine, origin: Instant, now: Instant, log: &mut Log) {
    while let Some(output) = machine.poll_output() {
        log.push((now - origin, output));
    }
}

/// Jumps the clock from deadline to deadline until the machine has none or `until` passes.
fn run_timers(
    machine: &mut impl Machine,
    origin: Instant,
    now: &mut Instant,
    until: Duration,
    log: &mut Log,
) {
    drain(machine, origin, *now, log);
    while let Some(at) = machine.poll_timeout() {
        if at - origin > until {
            break;
        }
        *now = at;
        machine.handle_input(*now, Input::Timeout);
        drain(machine, origin, *now, log);
    }
}

fn transmit_times(log: &Log) -> Vec<f64> {
    log.iter()
        .filter(|(_, output)| matches!(output, Output::Transmit(_)))
        .map(|(at, _)| at.as_secs_f64())
        .collect()
}

#[test]
fn invite_retransmits_until_timer_b() {
    let origin = start();
    let mut now = origin;
    let mut client = ClientTransaction::new(now, request("INVITE"), false);
    let mut log = Log::new();
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    // Timer A doubles from T1: 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; timer B fires at 32 s.
    assert_eq!(
        transmit_times(&log),
        vec![0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    );
    let tail: Vec<_> = log
        .iter()
        .rev()
        .take(2)
        .map(|(at, output)| (at.as_secs(), output.clone()))
        .collect();
    assert_eq!(tail, vec![(32, Output::Terminated), (32, Output::Timeout)]);
    assert_eq!(client.state(), State::Terminated);
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn reliable_invite_sends_once_and_still_times_out() {
    let origin = start();
    let mut now = origin;
    let mut client = ClientTransaction::new(now, request("INVITE"), true);
    let mut log = Log::new();
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    assert_eq!(transmit_times(&log), vec![0.0]);
    assert!(
        log.iter()
            .any(|(at, output)| *output == Output::Timeout && at.as_secs() == 32)
    );
}

#[test]
fn provisional_stops_invite_retransmission_and_failure_is_acked() {
    let origin = start();
    let mut now = origin;
    let invite = request("INVITE");
    let mut client = ClientTransaction::new(now, invite.clone(), false);
    let mut log = Log::new();
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_millis(600),
        &mut log,
    );
    client.handle_input(now, Input::Message(&response(&invite, 180)));
    assert_eq!(client.state(), State::Proceeding);
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(20),
        &mut log,
    );
    assert_eq!(
        transmit_times(&log),
        vec![0.0, 0.5],
        "no retransmission after 180"
    );

    now = origin + Duration::from_secs(20);
    let busy = response(&invite, 486);
    client.handle_input(now, Input::Message(&busy));
    drain(&mut client, origin, now, &mut log);
    assert_eq!(client.state(), State::Completed);
    let Some((_, Output::Transmit(ack))) = log
        .iter()
        .rev()
        .find(|(_, o)| matches!(o, Output::Transmit(_)))
    else {
        panic!("no ACK")
    };
    let ack = SipMessage::parse(ack).unwrap();
    assert!(
        matches!(&ack.start, StartLine::Request { method: Method::Ack, uri } if uri == "sip:bob@biloxi.example.com")
    );
    assert_eq!(ack.headers.get("CSeq"), Some("314159 ACK"));
    assert_eq!(to_tag(&ack), Some("a6c85cf"), "To comes from the response");
    assert_eq!(ack.headers.get("Route"), Some("<sip:proxy.example.com;lr>"));
    assert_eq!(
        transaction_key(&ack),
        transaction_key(&invite),
        "ACK matches the INVITE"
    );
    assert_eq!(
        log.iter()
            .filter(|(_, o)| matches!(o, Output::Response(_)))
            .count(),
        2
    );

    // The 486 again: ACK again, the user is not told twice. Timer D ends it 32 s later.
    let responses_before = log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Response(_)))
        .count();
    client.handle_input(now, Input::Message(&busy));
    drain(&mut client, origin, now, &mut log);
    assert_eq!(transmit_times(&log).len(), 4);
    assert_eq!(
        log.iter()
            .filter(|(_, o)| matches!(o, Output::Response(_)))
            .count(),
        responses_before
    );
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    assert_eq!(
        log.last().map(|(at, o)| (at.as_secs(), o.clone())),
        Some((52, Output::Terminated))
    );
}

#[test]
fn invite_success_goes_up_and_ends_the_transaction() {
    let origin = start();
    let invite = request("INVITE");
    let mut client = ClientTransaction::new(origin, invite.clone(), false);
    client.handle_input(origin, Input::Message(&response(&invite, 200)));
    let outputs: Vec<_> = std::iter::from_fn(|| client.poll_output()).collect();
    assert!(matches!(
        outputs.as_slice(),
        [Output::Transmit(_), Output::Response(_), Output::Terminated]
    ));
}

#[test]
fn non_invite_retransmits_up_to_t2_then_every_t2_after_a_provisional() {
    let origin = start();
    let mut now = origin;
    let mut client = ClientTransaction::new(now, request("OPTIONS"), false);
    let mut log = Log::new();
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    // Timer E: 0.5, 1, 2, 4, 4, … capped at T2; timer F at 32 s.
    assert_eq!(
        transmit_times(&log),
        vec![0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert!(
        log.iter()
            .any(|(at, o)| *o == Output::Timeout && at.as_secs() == 32)
    );

    let options = request("OPTIONS");
    let mut now = origin;
    let mut client = ClientTransaction::new(now, options.clone(), false);
    let mut log = Log::new();
    client.handle_input(now, Input::Message(&response(&options, 100)));
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(9),
        &mut log,
    );
    assert_eq!(transmit_times(&log), vec![0.0, 4.0, 8.0]);
    client.handle_input(now, Input::Message(&response(&options, 200)));
    run_timers(
        &mut client,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    assert_eq!(
        log.iter()
            .rev()
            .take(1)
            .map(|(at, o)| (at.as_secs(), o.clone()))
            .collect::<Vec<_>>(),
        vec![(13, Output::Terminated)],
        "timer K is T4 after the final response"
    );
}

#[test]
fn early_and_duplicate_timeouts_do_nothing() {
    let origin = start();
    let mut client = ClientTransaction::new(origin, request("INVITE"), false);
    while client.poll_output().is_some() {}
    for _ in 0..3 {
        client.handle_input(origin + Duration::from_millis(100), Input::Timeout);
    }
    assert_eq!(client.poll_output(), None);
    assert_eq!(client.state(), State::Calling);
}

#[test]
fn invite_server_answers_trying_retransmits_failure_until_ack() {
    let origin = start();
    let mut now = origin;
    let invite = request("INVITE");
    let mut server = ServerTransaction::new(now, &invite, false);
    let mut log = Log::new();
    drain(&mut server, origin, now, &mut log);
    let Some((_, Output::Transmit(trying))) = log.first() else {
        panic!("no 100")
    };
    assert!(String::from_utf8_lossy(trying).starts_with("SIP/2.0 100 Trying"));

    // A retransmitted INVITE gets the latest response again.
    server.handle_input(now, Input::Message(&invite));
    drain(&mut server, origin, now, &mut log);
    assert_eq!(transmit_times(&log).len(), 2);

    server.handle_input(now, Input::Respond(response(&invite, 486)));
    assert_eq!(server.state(), State::Completed);
    run_timers(
        &mut server,
        origin,
        &mut now,
        Duration::from_secs(4),
        &mut log,
    );
    // Timer G: 0.5, 1.5, 3.5 after the 486 at 0.
    assert_eq!(transmit_times(&log), vec![0.0, 0.0, 0.0, 0.5, 1.5, 3.5]);
    let ack = build_ack(&invite, &response(&invite, 486));
    server.handle_input(now, Input::Message(&ack));
    assert_eq!(server.state(), State::Confirmed);
    run_timers(
        &mut server,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    assert_eq!(server.state(), State::Terminated);
    assert!(!log.iter().any(|(_, o)| *o == Output::Timeout));
}

#[test]
fn invite_server_times_out_without_ack() {
    let origin = start();
    let mut now = origin;
    let invite = request("INVITE");
    let mut server = ServerTransaction::new(now, &invite, false);
    server.handle_input(now, Input::Respond(response(&invite, 603)));
    let mut log = Log::new();
    run_timers(
        &mut server,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    // Timer H = 64*T1.
    assert!(
        log.iter()
            .any(|(at, o)| *o == Output::Timeout && at.as_secs() == 32)
    );
    // G retransmissions capped at T2: 0.5, 1.5, 3.5, 7.5, 11.5, …, 31.5.
    assert_eq!(
        transmit_times(&log).iter().filter(|&&t| t > 0.0).count(),
        10
    );
}

#[test]
fn non_invite_server_absorbs_retransmissions_then_lingers_for_timer_j() {
    let origin = start();
    let mut now = origin;
    let options = request("OPTIONS");
    let mut server = ServerTransaction::new(now, &options, false);
    let mut log = Log::new();
    server.handle_input(now, Input::Message(&options));
    drain(&mut server, origin, now, &mut log);
    assert!(
        log.is_empty(),
        "Trying: a retransmission before any response is absorbed"
    );
    server.handle_input(now, Input::Respond(response(&options, 200)));
    server.handle_input(now, Input::Message(&options));
    run_timers(
        &mut server,
        origin,
        &mut now,
        Duration::from_secs(3600),
        &mut log,
    );
    assert_eq!(transmit_times(&log), vec![0.0, 0.0]);
    assert_eq!(
        log.last().map(|(at, o)| (at.as_secs(), o.clone())),
        Some((32, Output::Terminated))
    );

    let mut reliable = ServerTransaction::new(origin, &options, true);
    reliable.handle_input(origin, Input::Respond(response(&options, 200)));
    assert_eq!(
        reliable.state(),
        State::Terminated,
        "timer J is zero on reliable transports"
    );
}

#[test]
fn transport_errors_end_transactions() {
    let origin = start();
    let mut client = ClientTransaction::new(origin, request("REGISTER"), true);
    client.handle_input(origin, Input::TransportError);
    let outputs: Vec<_> = std::iter::from_fn(|| client.poll_output()).collect();
    assert!(outputs.ends_with(&[Output::TransportError, Output::Terminated]));
}

#[test]
fn keys_use_the_rfc_3261_branch_and_the_old_rules_without_it() {
    let invite = request("INVITE");
    assert_eq!(
        transaction_key(&invite),
        Some(("z9hG4bK776asdhds".to_owned(), Method::Invite))
    );
    // RFC 2543 peers (no magic cookie): Call-ID, From tag, CSeq and top Via decide, so a
    // retransmission matches and a new CSeq does not.
    let mut old = invite.clone();
    old.headers.set("Via", "SIP/2.0/UDP host;branch=1234");
    let key = transaction_key(&old).unwrap();
    assert!(key.0.starts_with("rfc2543:"), "{key:?}");
    assert_eq!(transaction_key(&old.clone()), Some(key.clone()));
    let mut next = old.clone();
    next.headers.set("CSeq", "314160 INVITE");
    assert_ne!(transaction_key(&next), Some(key));
    // Responses to our own requests always carry our cookie; others have no key.
    let mut response = response_to(&old, 200, "OK");
    response.headers.set("Via", "SIP/2.0/UDP host;branch=1234");
    assert_eq!(transaction_key(&response), None);
}
