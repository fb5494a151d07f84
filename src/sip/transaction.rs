//! SIP transactions (RFC 3261 §17), sans-IO: the four state machines with timers A–K.
//!
//! Each machine takes `handle_input(now, input)`, queues [`Output`]s for `poll_output`, and
//! names its next deadline in `poll_timeout`; expiry arrives as [`Input::Timeout`], and an
//! early or repeated timeout is a no-op. Matching messages to transactions (by branch and
//! method) is the caller's job.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::header::{AddressParts, CSeq};
use super::message::{Headers, Method, SipMessage, StartLine};

/// RTT estimate (RFC 3261 §17.1.1.1).
pub const T1: Duration = Duration::from_millis(500);
/// Longest retransmit interval for non-INVITE requests and INVITE responses (§17.1.2.2).
pub const T2: Duration = Duration::from_secs(4);
/// Longest time a message stays in the network (§17.1.2.2).
pub const T4: Duration = Duration::from_secs(5);

/// What happens to a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    /// A message for this transaction arrived (a response for a client transaction, a
    /// retransmitted request or ACK for a server transaction).
    Message(&'a SipMessage),
    /// The transaction user sends a response (server transactions only).
    Respond(SipMessage),
    /// `poll_timeout` passed.
    Timeout,
    /// The transport failed to send.
    TransportError,
}

/// What a transaction wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to the peer.
    Transmit(Vec<u8>),
    /// A response for the transaction user (client transactions).
    Response(SipMessage),
    /// No final response in time (timer B, F or H).
    Timeout,
    /// The transport failed.
    TransportError,
    /// The transaction is over; drop it.
    Terminated,
}

/// The transaction's state (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// INVITE client, request sent.
    Calling,
    /// Non-INVITE, request sent or received.
    Trying,
    /// A provisional response seen or sent.
    Proceeding,
    /// A final non-2xx response seen or sent; absorbing retransmissions.
    Completed,
    /// INVITE server: ACK received.
    Confirmed,
    /// Over.
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invite,
    NonInvite,
}

/// Shared machinery: outputs and the two timers every machine needs at most.
#[derive(Debug)]
struct Core {
    kind: Kind,
    reliable: bool,
    state: State,
    outputs: VecDeque<Output>,
    /// Retransmission (A, E or G): when, and the interval after it.
    retransmit: Option<(Instant, Duration)>,
    /// Timeout or linger (B, D, F, H, I, J, K).
    deadline: Option<Instant>,
}

impl Core {
    fn new(kind: Kind, reliable: bool, state: State) -> Core {
        Core {
            kind,
            reliable,
            state,
            outputs: VecDeque::new(),
            retransmit: None,
            deadline: None,
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        if self.state == State::Terminated {
            return None;
        }
        match (self.retransmit.map(|(at, _)| at), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Enters Completed/Confirmed with a linger of `wait` on unreliable transports, or
    /// terminates at once on reliable ones.
    fn linger(&mut self, now: Instant, state: State, wait: Duration) {
        self.retransmit = None;
        if self.reliable {
            self.terminate();
        } else {
            self.state = state;
            self.deadline = Some(now + wait);
        }
    }

    fn transport_error(&mut self) {
        if self.state != State::Terminated {
            self.outputs.push_back(Output::TransportError);
            self.terminate();
        }
    }

    fn terminate(&mut self) {
        if self.state != State::Terminated {
            self.state = State::Terminated;
            self.retransmit = None;
            self.deadline = None;
            self.outputs.push_back(Output::Terminated);
        }
    }
}

/// A client transaction: sends a request and waits for its final response.
#[derive(Debug)]
pub struct ClientTransaction {
    core: Core,
    request: SipMessage,
    request_bytes: Vec<u8>,
    ack: Option<Vec<u8>>,
}

impl ClientTransaction {
    /// Starts the transaction; the request goes out at once (first `Transmit`).
    pub fn new(now: Instant, request: SipMessage, reliable: bool) -> ClientTransaction {
        let invite = matches!(
            &request.start,
            StartLine::Request {
                method: Method::Invite,
                ..
            }
        );
        let kind = if invite {
            Kind::Invite
        } else {
            Kind::NonInvite
        };
        let mut core = Core::new(
            kind,
            reliable,
            if invite {
                State::Calling
            } else {
                State::Trying
            },
        );
        let request_bytes = request.to_bytes();
        core.outputs
            .push_back(Output::Transmit(request_bytes.clone()));
        // Timer A / E: retransmit on unreliable transports. Timer B / F: give up at 64*T1.
        if !reliable {
            core.retransmit = Some((now + T1, T1));
        }
        core.deadline = Some(now + 64 * T1);
        ClientTransaction {
            core,
            request,
            request_bytes,
            ack: None,
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.core.outputs.pop_front()
    }

    /// When to call back with `Input::Timeout`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.next_timeout()
    }

    /// Feeds an input.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        match input {
            Input::Message(message) => self.on_response(now, message),
            Input::Timeout => self.on_timeout(now),
            Input::TransportError => self.core.transport_error(),
            // A client transaction does not send responses.
            Input::Respond(_) => {}
        }
    }

    fn on_response(&mut self, now: Instant, response: &SipMessage) {
        let StartLine::Response { code, .. } = response.start else {
            return;
        };
        let core = &mut self.core;
        match (core.kind, core.state, code) {
            (_, State::Calling | State::Trying | State::Proceeding, 100..=199) => {
                if core.kind == Kind::Invite {
                    // §17.1.1.2: a provisional response stops retransmission of INVITE.
                    core.retransmit = None;
                } else if !core.reliable {
                    // §17.1.2.2: in Proceeding, retransmit every T2.
                    core.retransmit = Some((now + T2, T2));
                }
                core.state = State::Proceeding;
                core.outputs.push_back(Output::Response(response.clone()));
            }
            (Kind::Invite, State::Calling | State::Proceeding, 200..=299) => {
                // The 2xx goes up; its ACK belongs to the dialog (§13.2.2.4).
                core.outputs.push_back(Output::Response(response.clone()));
                core.terminate();
            }
            (Kind::Invite, State::Calling | State::Proceeding, 300..=699) => {
                let ack = build_ack(&self.request, response).to_bytes();
                core.outputs.push_back(Output::Transmit(ack.clone()));
                core.outputs.push_back(Output::Response(response.clone()));
                self.ack = Some(ack);
                // Timer D: at least 32 s on unreliable transports.
                core.deadline = None;
                core.linger(now, State::Completed, Duration::from_secs(32));
            }
            (Kind::Invite, State::Completed, 300..=699) => {
                // A retransmitted final response: resend the ACK, do not tell the user again.
                if let Some(ack) = &self.ack {
                    core.outputs.push_back(Output::Transmit(ack.clone()));
                }
            }
            (Kind::NonInvite, State::Trying | State::Proceeding, 200..=699) => {
                core.outputs.push_back(Output::Response(response.clone()));
                core.deadline = None;
                // Timer K.
                core.linger(now, State::Completed, T4);
            }
            _ => {}
        }
    }

    fn on_timeout(&mut self, now: Instant) {
        let core = &mut self.core;
        if core.deadline.is_some_and(|at| now >= at) {
            match core.state {
                State::Calling | State::Trying | State::Proceeding => {
                    core.outputs.push_back(Output::Timeout);
                    core.terminate();
                }
                _ => core.terminate(),
            }
            return;
        }
        if let Some((at, interval)) = core.retransmit
            && now >= at
        {
            core.outputs
                .push_back(Output::Transmit(self.request_bytes.clone()));
            let next = match core.kind {
                Kind::Invite => interval * 2,
                Kind::NonInvite if core.state == State::Proceeding => T2,
                Kind::NonInvite => (interval * 2).min(T2),
            };
            core.retransmit = Some((now + next, next));
        }
    }
}

/// A server transaction: absorbs retransmitted requests and retransmits its responses.
#[derive(Debug)]
pub struct ServerTransaction {
    core: Core,
    last_response: Option<Vec<u8>>,
}

impl ServerTransaction {
    /// Starts the transaction for a received request. An INVITE is answered with
    /// `100 Trying` at once (§17.2.1), so the caller stops retransmitting.
    pub fn new(_now: Instant, request: &SipMessage, reliable: bool) -> ServerTransaction {
        let invite = matches!(
            &request.start,
            StartLine::Request {
                method: Method::Invite,
                ..
            }
        );
        let mut transaction = ServerTransaction {
            core: Core::new(
                if invite {
                    Kind::Invite
                } else {
                    Kind::NonInvite
                },
                reliable,
                if invite {
                    State::Proceeding
                } else {
                    State::Trying
                },
            ),
            last_response: None,
        };
        if invite {
            let trying = response_to(request, 100, "Trying").to_bytes();
            transaction
                .core
                .outputs
                .push_back(Output::Transmit(trying.clone()));
            transaction.last_response = Some(trying);
        }
        transaction
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.core.outputs.pop_front()
    }

    /// When to call back with `Input::Timeout`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.next_timeout()
    }

    /// Feeds an input.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        match input {
            Input::Message(message) => self.on_request(now, message),
            Input::Respond(response) => self.on_respond(now, &response),
            Input::Timeout => self.on_timeout(now),
            Input::TransportError => self.core.transport_error(),
        }
    }

    fn on_request(&mut self, now: Instant, request: &SipMessage) {
        let StartLine::Request { method, .. } = &request.start else {
            return;
        };
        let core = &mut self.core;
        if *method == Method::Ack {
            if core.kind == Kind::Invite && core.state == State::Completed {
                // Timer I.
                core.deadline = None;
                core.linger(now, State::Confirmed, T4);
            }
            return;
        }
        // A retransmitted request: resend the latest response (§17.2.1, §17.2.2).
        if matches!(core.state, State::Proceeding | State::Completed)
            && let Some(last) = &self.last_response
        {
            core.outputs.push_back(Output::Transmit(last.clone()));
        }
    }

    fn on_respond(&mut self, now: Instant, response: &SipMessage) {
        let StartLine::Response { code, .. } = response.start else {
            return;
        };
        let core = &mut self.core;
        if !matches!(core.state, State::Trying | State::Proceeding) {
            return;
        }
        let bytes = response.to_bytes();
        core.outputs.push_back(Output::Transmit(bytes.clone()));
        self.last_response = Some(bytes);
        match (core.kind, code) {
            (_, 100..=199) => core.state = State::Proceeding,
            (Kind::Invite, 200..=299) => core.terminate(),
            (Kind::Invite, _) => {
                core.state = State::Completed;
                // Timer G retransmits the final response; timer H waits for the ACK.
                if !core.reliable {
                    core.retransmit = Some((now + T1, T1));
                }
                core.deadline = Some(now + 64 * T1);
            }
            (Kind::NonInvite, _) => core.linger(now, State::Completed, 64 * T1), // timer J
        }
    }

    fn on_timeout(&mut self, now: Instant) {
        let core = &mut self.core;
        if core.deadline.is_some_and(|at| now >= at) {
            if core.kind == Kind::Invite && core.state == State::Completed {
                // Timer H: the ACK never came.
                core.outputs.push_back(Output::Timeout);
            }
            core.terminate();
            return;
        }
        if let Some((at, interval)) = core.retransmit
            && now >= at
            && let Some(last) = &self.last_response
        {
            core.outputs.push_back(Output::Transmit(last.clone()));
            let next = (interval * 2).min(T2);
            core.retransmit = Some((now + next, next));
        }
    }
}

/// A response to `request` (§8.2.6): Via, From, To, Call-ID and CSeq copied.
pub fn response_to(request: &SipMessage, code: u16, reason: &str) -> SipMessage {
    let mut headers = Headers::default();
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for value in request.headers.get_all(name) {
            headers.push(name, value);
        }
    }
    SipMessage {
        start: StartLine::Response {
            code,
            reason: reason.to_owned(),
        },
        headers,
        body: Vec::new(),
    }
}

/// The ACK for a non-2xx final response (§17.1.1.3): the request's URI, top Via, From,
/// Call-ID, Route and CSeq number, and the response's To (with its tag).
pub fn build_ack(request: &SipMessage, response: &SipMessage) -> SipMessage {
    let uri = match &request.start {
        StartLine::Request { uri, .. } => uri.clone(),
        StartLine::Response { .. } => String::new(),
    };
    let mut headers = Headers::default();
    if let Some(via) = request.headers.first_value("Via") {
        headers.push("Via", via);
    }
    for name in ["From", "Call-ID"] {
        if let Some(value) = request.headers.get(name) {
            headers.push(name, value);
        }
    }
    if let Some(to) = response.headers.get("To") {
        headers.push("To", to);
    }
    let seq = request
        .headers
        .get("CSeq")
        .and_then(|value| CSeq::parse(value).ok())
        .map_or(1, |cseq| cseq.seq);
    headers.push("CSeq", format!("{seq} ACK"));
    for route in request.headers.get_all("Route") {
        headers.push("Route", route);
    }
    headers.push("Max-Forwards", "70");
    SipMessage {
        start: StartLine::Request {
            method: Method::Ack,
            uri,
        },
        headers,
        body: Vec::new(),
    }
}

/// The key matching a message to its transaction (§17.1.3, §17.2.3): the top Via branch
/// and the CSeq method, with ACK matching the INVITE it acknowledges. `None` for messages
/// without an RFC 3261 branch (the `z9hG4bK` magic cookie), which need the old rules.
pub fn transaction_key(message: &SipMessage) -> Option<(String, Method)> {
    let via_text = message.headers.first_value("Via")?;
    let via = super::header::Via::parse(via_text).ok()?;
    let cseq = CSeq::parse(message.headers.get("CSeq")?).ok()?;
    let branch = match via.branch().filter(|branch| branch.starts_with("z9hG4bK")) {
        Some(branch) => branch.to_owned(),
        // An RFC 2543 peer (§17.2.3): match on Call-ID, From tag, CSeq number and the top
        // Via instead. The To tag is left out so that the ACK of our non-2xx (which
        // carries our tag) still finds the INVITE's transaction.
        None if matches!(message.start, StartLine::Request { .. }) => {
            let from_tag = message
                .headers
                .get("From")
                .and_then(|from| AddressParts::parse(from).ok()?.tag())
                .unwrap_or_default();
            format!(
                "rfc2543:{}:{from_tag}:{}:{}",
                message.headers.get("Call-ID").unwrap_or_default(),
                cseq.seq,
                via_text.trim()
            )
        }
        None => return None,
    };
    let method = cseq.method;
    let method = if method == Method::Ack {
        Method::Invite
    } else {
        method
    };
    Some((branch, method))
}

/// The tag of the To header, if any (dialog matching).
pub fn to_tag(message: &SipMessage) -> Option<&str> {
    AddressParts::parse(message.headers.get("To")?).ok()?.tag()
}

#[cfg(test)]
mod tests;
