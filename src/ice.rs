//! A P2P call's direct UDP path, sans-IO: ICE (RFC 8445) by the `is` agent (str0m's), plus
//! what that agent leaves to its user:
//! - server-reflexive candidates, learnt by STUN Binding requests to the STUN servers
//!   (`ringlet node` answers them) from each local socket, retransmitted like any STUN
//!   request (RFC 5389 §7.2.1, here 250 ms doubling, 5 tries);
//! - the signalling: our credentials and candidates as [`Signal`] lines for the caller to
//!   carry to the other device (the bridge puts them on the call's Noise-encrypted RTP
//!   stream), each as soon as it is known (trickle ICE), and theirs taken the same way;
//! - which datagrams are media: only those from an address a check proved (the agent's
//!   `DiscoveredRecv`); everything else that is not STUN is dropped.
//!
//! The controlling side nominates; the agent keeps checking the nominated pair (consent
//! freshness, RFC 7675). [`IceSession::route`] is `None` while consent is lost, and also
//! while nothing at all came on the pair for [`SILENT_AFTER`] (the agent alone takes about
//! 16 s to give a pair up), so the caller sends on its other path until the pair works
//! again.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use is::{Candidate, IceAgent, IceAgentEvent, IceCreds, Protocol};

/// First retransmission of a STUN request to a STUN server; it doubles each time.
const GATHER_RTO: Duration = Duration::from_millis(250);
/// Tries of a STUN request to a STUN server.
const GATHER_TRIES: u32 = 5;
/// Longest signal line taken (a candidate line is under 200 bytes).
pub const MAX_SIGNAL: usize = 512;
/// Candidates taken from the other side (beyond, they are ignored).
const MAX_REMOTE_CANDIDATES: usize = 32;
/// A route that brought nothing (no media, no check: each side checks the nominated pair
/// at least every 1.5 s) for this long is not used until something comes again.
const SILENT_AFTER: Duration = Duration::from_millis(2_500);
/// A nominated pair whose remote end has been quiet this long, while another proven
/// address was heard since, gives way to that one (an address of the other side changed:
/// its checks and media come from the new one before the agent renominates, which on the
/// controlled side may take as long as the old pair takes to fail).
const SWITCH_AFTER: Duration = Duration::from_millis(300);

/// A datagram to send: from which local socket, to where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The local socket's address (a host candidate's).
    pub from: SocketAddr,
    /// Where it goes.
    pub to: SocketAddr,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What a received datagram was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// STUN, taken by the session (a check, an answer, or a STUN server's answer).
    Stun,
    /// Media from an address a check proved: pass it on.
    Media,
    /// Neither: dropped.
    Dropped,
}

/// One line of signalling between the two devices' sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// `ice-creds UFRAG PWD`: the sender's credentials (first, and again after a restart).
    Creds(IceCreds),
    /// `candidate:…` (SDP `a=candidate` syntax without the `a=`): one of its candidates.
    Candidate(Candidate),
}

/// Why a signal line is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// Longer than [`MAX_SIGNAL`].
    #[error("ICE signal of {0} bytes (at most {MAX_SIGNAL})")]
    TooLong(usize),
    /// Neither credentials nor a candidate.
    #[error("not an ICE signal: {0}")]
    Unknown(String),
    /// A candidate line the agent cannot read.
    #[error("bad ICE candidate: {0}")]
    BadCandidate(String),
}

impl Signal {
    /// The signal as a line.
    pub fn encode(&self) -> String {
        match self {
            Signal::Creds(creds) => format!("ice-creds {} {}", creds.ufrag, creds.pass),
            Signal::Candidate(candidate) => candidate.to_sdp_string(),
        }
    }

    /// Reads a line from the other device.
    pub fn parse(line: &str) -> Result<Signal, SignalError> {
        if line.len() > MAX_SIGNAL {
            return Err(SignalError::TooLong(line.len()));
        }
        let line = line.trim();
        if let Some(creds) = line.strip_prefix("ice-creds ") {
            let mut words = creds.split_ascii_whitespace();
            let ok = |word: &str| {
                (1..=256).contains(&word.len())
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
            };
            return match (words.next(), words.next(), words.next()) {
                (Some(ufrag), Some(pass), None) if ok(ufrag) && ok(pass) => {
                    Ok(Signal::Creds(IceCreds {
                        ufrag: ufrag.to_owned(),
                        pass: pass.to_owned(),
                    }))
                }
                _ => Err(SignalError::Unknown(line.to_owned())),
            };
        }
        if line.starts_with("candidate:") {
            return Candidate::from_sdp_string(line)
                .map(Signal::Candidate)
                .map_err(|err| SignalError::BadCandidate(err.to_string()));
        }
        Err(SignalError::Unknown(line.chars().take(40).collect()))
    }
}

/// A STUN request to a STUN server for one local socket's public address.
#[derive(Debug)]
struct Gather {
    server: SocketAddr,
    base: SocketAddr,
    transaction: [u8; 12],
    tries: u32,
    next: Instant,
}

/// One call's ICE session.
pub struct IceSession {
    agent: IceAgent,
    gathers: Vec<Gather>,
    transmits: VecDeque<Datagram>,
    /// Every signal line ours so far (sent again whole on a new signalling stream).
    sent: Vec<String>,
    /// Lines not yet handed out.
    signals: VecDeque<String>,
    /// Addresses a check proved: media from them is taken.
    proven: HashSet<SocketAddr>,
    nominated: Option<(SocketAddr, SocketAddr)>,
    connected: bool,
    /// A pair was nominated once: media may go where checks proved it can.
    succeeded: bool,
    /// The latest time given in an input: the route's own deadlines are only asked for
    /// while still ahead of it (else a quiet pair would have the caller wake at once,
    /// again and again).
    now: Instant,
    /// Each proven address of the other device: when it was last heard, on which socket.
    heard_from: std::collections::HashMap<SocketAddr, (Instant, SocketAddr)>,
    remote_candidates: usize,
}

impl std::fmt::Debug for IceSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceSession")
            .field("nominated", &self.nominated)
            .field("connected", &self.connected)
            .field("state", &self.agent.state())
            .finish_non_exhaustive()
    }
}

impl IceSession {
    /// A session on the local sockets `locals` (host candidates, each a bound UDP socket's
    /// address), asking each of `stun_servers` for the public address of each IPv4 socket.
    /// `seed` makes the STUN transaction ids.
    pub fn new(
        locals: &[SocketAddr],
        stun_servers: &[SocketAddr],
        seed: u64,
        now: Instant,
    ) -> Self {
        let mut agent = IceAgent::new(IceCreds::new());
        // Nominated pairs are checked every 1.5 s at most and given up after 5 unanswered
        // tries, so consent loss is found within about 5 s (the agent then goes
        // Disconnected) rather than the 30 s of RFC 7675: the stream is there to fall
        // back on.
        agent.set_max_stun_rto(Duration::from_millis(1_500));
        agent.set_max_stun_retransmits(5);
        let mut session = IceSession {
            agent,
            gathers: Vec::new(),
            transmits: VecDeque::new(),
            sent: Vec::new(),
            signals: VecDeque::new(),
            proven: HashSet::new(),
            nominated: None,
            connected: false,
            heard_from: std::collections::HashMap::new(),
            succeeded: false,
            now,
            remote_candidates: 0,
        };
        let creds = session.agent.local_credentials().clone();
        session.signal(Signal::Creds(creds));
        for &local in locals {
            session.add_host(local);
        }
        let mut counter = seed;
        for &base in locals {
            for &server in stun_servers {
                if server.is_ipv4() != base.is_ipv4() {
                    continue;
                }
                counter = counter
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                let mut transaction = [0u8; 12];
                transaction[..8].copy_from_slice(&counter.to_be_bytes());
                transaction[8..].copy_from_slice(&(session.gathers.len() as u32).to_be_bytes());
                session.gathers.push(Gather {
                    server,
                    base,
                    transaction,
                    tries: 0,
                    next: now,
                });
            }
        }
        session
    }

    /// Which side nominates (the controlling one); set once both sides are known.
    pub fn set_controlling(&mut self, controlling: bool) {
        self.agent.set_controlling(controlling);
    }

    fn signal(&mut self, signal: Signal) {
        let line = signal.encode();
        self.sent.push(line.clone());
        self.signals.push_back(line);
    }

    fn add_local(&mut self, candidate: Candidate) {
        if let Some(added) = self.agent.add_local_candidate(candidate) {
            let added = added.clone();
            self.signal(Signal::Candidate(added));
        }
    }

    /// A new local socket (an address came up): its host candidate is checked against the
    /// other side's at once, and signalled. The other side also learns it from the checks
    /// themselves (a peer-reflexive candidate), so this works with no signalling left.
    pub fn add_host(&mut self, local: SocketAddr) {
        match Candidate::host(local, "udp") {
            Ok(candidate) => self.add_local(candidate),
            Err(err) => tracing::debug!(%local, %err, "no host candidate"),
        }
    }

    /// A public address a router forwards to the local socket `base` (a UPnP mapping): a
    /// server-reflexive candidate, signalled and checked like one found by STUN.
    pub fn add_mapped(&mut self, external: SocketAddr, base: SocketAddr) {
        match Candidate::server_reflexive(external, base, "udp") {
            Ok(candidate) => self.add_local(candidate),
            Err(err) => tracing::debug!(%external, %err, "no candidate for a mapping"),
        }
    }

    /// A local socket is gone (its address went away): its candidates and their pairs
    /// are dropped, so the agent nominates another pair.
    pub fn remove_host(&mut self, local: SocketAddr) {
        let gone: Vec<Candidate> = self
            .agent
            .local_candidates()
            .filter(|candidate| candidate.local() == local || candidate.addr() == local)
            .collect();
        for candidate in &gone {
            self.agent.invalidate_candidate(candidate);
        }
        self.gathers.retain(|gather| gather.base != local);
        self.heard_from.retain(|_, (_, on)| *on != local);
    }

    /// The next signal line for the other device.
    pub fn poll_signal(&mut self) -> Option<String> {
        self.signals.pop_front()
    }

    /// A new signalling stream: every line ours so far goes again.
    pub fn resend_signals(&mut self) {
        self.signals = self.sent.iter().cloned().collect();
    }

    /// A signal line from the other device.
    pub fn on_signal(&mut self, line: &str, now: Instant) -> Result<(), SignalError> {
        match Signal::parse(line)? {
            Signal::Creds(creds) => {
                if self.agent.remote_credentials() != Some(&creds) {
                    self.agent.set_remote_credentials(creds);
                }
            }
            Signal::Candidate(candidate) => {
                if self.remote_candidates >= MAX_REMOTE_CANDIDATES {
                    return Ok(());
                }
                self.remote_candidates += 1;
                self.agent.add_remote_candidate(candidate);
            }
        }
        self.on_timeout(now);
        Ok(())
    }

    /// A datagram came to the local socket `to` from `from`.
    pub fn on_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> Received {
        if !crate::stun::is_stun(bytes) {
            return if self.proven.contains(&from) {
                self.heard_from.insert(from, (now, to));
                Received::Media
            } else {
                Received::Dropped
            };
        }
        if let Some(index) = self.gathers.iter().position(|gather| {
            gather.server == from && bytes.get(8..20) == Some(&gather.transaction[..])
        }) {
            let gather = self.gathers.swap_remove(index);
            match crate::stun::parse_binding_response(bytes, &gather.transaction) {
                Ok(mapped) => match Candidate::server_reflexive(mapped, gather.base, "udp") {
                    Ok(candidate) => self.add_local(candidate),
                    Err(err) => tracing::debug!(%mapped, %err, "no server-reflexive candidate"),
                },
                Err(err) => {
                    tracing::info!(server = %gather.server, %err, "STUN server gave no address")
                }
            }
            return Received::Stun;
        }
        let Ok(message) = is::stun::StunMessage::parse(bytes) else {
            return Received::Dropped;
        };
        let packet = is::stun::StunPacket {
            proto: Protocol::Udp,
            source: from,
            destination: to,
            message,
        };
        if !self.agent.handle_packet(now, packet) {
            return Received::Dropped;
        }
        self.drain_events();
        if self.proven.contains(&from) {
            self.heard_from.insert(from, (now, to));
        }
        Received::Stun
    }

    /// Media came on the pair (`local`, `from`) without passing [`IceSession::on_datagram`]
    /// (the media thread read it): the address is heard as if it had.
    pub fn on_media(&mut self, now: Instant, from: SocketAddr, local: SocketAddr) {
        if self.proven.contains(&from) {
            self.heard_from.insert(from, (now, local));
        }
    }

    /// Time passed: checks and STUN requests go out as due.
    pub fn on_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.agent.handle_timeout(now);
        let mut given_up = Vec::new();
        for (index, gather) in self.gathers.iter_mut().enumerate() {
            if gather.next > now {
                continue;
            }
            if gather.tries >= GATHER_TRIES {
                given_up.push(index);
                continue;
            }
            self.transmits.push_back(Datagram {
                from: gather.base,
                to: gather.server,
                bytes: crate::stun::binding_request(&gather.transaction),
            });
            gather.next = now + GATHER_RTO * 2u32.pow(gather.tries);
            gather.tries += 1;
        }
        for index in given_up.into_iter().rev() {
            let gather = self.gathers.swap_remove(index);
            tracing::info!(server = %gather.server, "STUN server did not answer");
        }
        self.drain_events();
    }

    fn drain_events(&mut self) {
        while let Some(transmit) = self.agent.poll_transmit() {
            self.transmits.push_back(Datagram {
                from: transmit.source,
                to: transmit.destination,
                bytes: transmit.contents.into(),
            });
        }
        while let Some(event) = self.agent.poll_event() {
            match event {
                IceAgentEvent::DiscoveredRecv { source, .. } => {
                    self.proven.insert(source);
                }
                IceAgentEvent::NominatedSend {
                    source,
                    destination,
                    ..
                } => {
                    self.nominated = Some((source, destination));
                    self.succeeded = true;
                }
                IceAgentEvent::IceConnectionStateChange(state) => {
                    self.connected = state.is_connected();
                }
                IceAgentEvent::IceRestart(_) => {}
            }
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Datagram> {
        self.transmits.pop_front()
    }

    /// When [`IceSession::on_timeout`] is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let ahead = |at: &Instant| *at > self.now;
        // The last proven address going silent is seen when it is due.
        let silence = self
            .heard_from
            .values()
            .map(|(at, _)| *at)
            .max()
            .filter(|_| self.nominated.is_some())
            .map(|heard| heard + SILENT_AFTER)
            .filter(ahead);
        // The nominated remote going quiet is seen when it is due.
        let quiet = self
            .nominated
            .and_then(|(_, remote)| self.heard_from.get(&remote))
            .map(|(at, _)| *at + SWITCH_AFTER)
            .filter(ahead);
        [
            self.agent.poll_timeout(),
            self.gathers.iter().map(|gather| gather.next).min(),
            silence,
            quiet,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Where media goes at `now`: the nominated pair (local socket, remote address) while
    /// consent holds and the pair is not silent, else `None`.
    ///
    /// The pair is taken from what was heard: the nominated remote address, answered from
    /// the socket it was last heard on; if it has been quiet for [`SWITCH_AFTER`] while
    /// another proven address was heard since, that address (from its socket).
    pub fn route(&self, now: Instant) -> Option<(SocketAddr, SocketAddr)> {
        if !self.succeeded {
            return None;
        }
        let since = |at: Instant| now.saturating_duration_since(at);
        let nominated = self
            .nominated
            .filter(|_| self.connected)
            .and_then(|(_, remote)| Some((remote, *self.heard_from.get(&remote)?)));
        let latest = self
            .heard_from
            .iter()
            .max_by_key(|(_, (at, _))| *at)
            .map(|(remote, (at, local))| (*remote, (*at, *local)));
        let chosen = match (nominated, latest) {
            (Some(nominated), _) if since(nominated.1.0) < SWITCH_AFTER => Some(nominated),
            (nominated, Some(latest)) if nominated.is_none_or(|n| latest.1.0 > n.1.0) => {
                Some(latest)
            }
            (nominated, _) => nominated,
        };
        chosen
            .filter(|(_, (at, _))| since(*at) < SILENT_AFTER)
            .map(|(remote, (_, local))| (local, remote))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sessions and the network between them, on a fake clock.
    struct Pair {
        sides: [IceSession; 2],
        now: Instant,
        /// Signal lines are carried (the stream is up).
        signalling: bool,
    }

    impl Pair {
        fn new(a: &[&str], b: &[&str]) -> Pair {
            let addrs = |list: &[&str]| {
                list.iter()
                    .map(|a| a.parse().unwrap())
                    .collect::<Vec<SocketAddr>>()
            };
            #[expect(
                clippy::disallowed_methods,
                reason = "a starting point for the fake clock"
            )]
            let now = Instant::now();
            let mut sides = [
                IceSession::new(&addrs(a), &[], 1, now),
                IceSession::new(&addrs(b), &[], 2, now),
            ];
            sides[0].set_controlling(true);
            sides[1].set_controlling(false);
            Pair {
                sides,
                now,
                signalling: true,
            }
        }

        /// Carries signals and datagrams for `millis` of fake time in 5 ms steps;
        /// `deliver` says whether a datagram from side i arrives.
        fn run(&mut self, millis: u64, deliver: impl Fn(usize, &Datagram) -> bool) {
            for _ in 0..millis / 5 {
                self.now += Duration::from_millis(5);
                for side in 0..2 {
                    let now = self.now;
                    self.sides[side].on_timeout(now);
                    while let Some(line) = self.sides[side].poll_signal() {
                        if self.signalling {
                            self.sides[1 - side].on_signal(&line, now).unwrap();
                        }
                    }
                    while let Some(datagram) = self.sides[side].poll_transmit() {
                        if deliver(side, &datagram) {
                            let to = &mut self.sides[1 - side];
                            to.on_datagram(now, datagram.from, datagram.to, &datagram.bytes);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn two_hosts_find_their_pair_and_only_proven_sources_carry_media() {
        let mut pair = Pair::new(&["10.0.0.1:5000"], &["10.0.0.2:6000"]);
        pair.run(500, |_, _| true);
        assert_eq!(
            pair.sides[0].route(pair.now),
            Some((
                "10.0.0.1:5000".parse().unwrap(),
                "10.0.0.2:6000".parse().unwrap()
            ))
        );
        assert_eq!(
            pair.sides[1].route(pair.now),
            Some((
                "10.0.0.2:6000".parse().unwrap(),
                "10.0.0.1:5000".parse().unwrap()
            ))
        );
        let now = pair.now;
        let rtp = [0x80u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        let at = "10.0.0.2:6000".parse().unwrap();
        assert_eq!(
            pair.sides[1].on_datagram(now, "10.0.0.1:5000".parse().unwrap(), at, &rtp),
            Received::Media
        );
        assert_eq!(
            pair.sides[1].on_datagram(now, "10.0.0.9:5000".parse().unwrap(), at, &rtp),
            Received::Dropped
        );
    }

    #[test]
    fn consent_lost_takes_the_route_away_and_it_comes_back_with_the_path() {
        let mut pair = Pair::new(&["10.0.0.1:5000"], &["10.0.0.2:6000"]);
        pair.run(500, |_, _| true);
        assert!(pair.sides[0].route(pair.now).is_some());
        // Nothing gets through: within 3 s neither side sends there any longer.
        let mut lost_after = None;
        for step in 1..=100 {
            pair.run(100, |_, _| false);
            if pair.sides[0].route(pair.now).is_none() && pair.sides[1].route(pair.now).is_none() {
                lost_after = Some(step * 100);
                break;
            }
        }
        let lost_after = lost_after.expect("consent never lost");
        assert!(lost_after <= 3_000, "{lost_after} ms");
        // The path works again: within 2 s both send there again.
        pair.run(2_000, |_, _| true);
        assert!(pair.sides[0].route(pair.now).is_some() && pair.sides[1].route(pair.now).is_some());
    }

    /// One side's address is replaced (the old socket gone, a new one bound) while the
    /// signalling stream is dead too: checks from the new address teach the other side a
    /// peer-reflexive candidate, and both move to the new pair within a second.
    #[test]
    fn an_address_replaced_on_either_side_moves_the_pair_within_a_second() {
        for moving in 0..2 {
            let old = ["10.0.0.1:5000", "10.0.0.2:6000"][moving];
            let new: SocketAddr = ["10.0.1.1:5001", "10.0.1.2:6001"][moving].parse().unwrap();
            let mut pair = Pair::new(&["10.0.0.1:5000"], &["10.0.0.2:6000"]);
            pair.run(500, |_, _| true);
            assert!(pair.sides[0].route(pair.now).is_some());
            pair.signalling = false;
            let old: SocketAddr = old.parse().unwrap();
            pair.sides[moving].remove_host(old);
            pair.sides[moving].add_host(new);
            // Nothing reaches or leaves the old address any more.
            let alive = |_: usize, datagram: &Datagram| datagram.from != old && datagram.to != old;
            let mut moved_after = None;
            for step in 1..=100 {
                pair.run(20, alive);
                let uses_new = |side: usize| {
                    pair.sides[side]
                        .route(pair.now)
                        .is_some_and(|(local, remote)| local == new || remote == new)
                };
                if uses_new(0) && uses_new(1) {
                    moved_after = Some(step * 20);
                    break;
                }
            }
            let moved_after = moved_after.unwrap_or_else(|| {
                panic!(
                    "side {moving}: the pair never moved: {:?} / {:?}",
                    pair.sides[0], pair.sides[1]
                )
            });
            assert!(
                moved_after <= 1_000,
                "side {moving} moved: {moved_after} ms"
            );
        }
    }

    /// A quiet pair (on hold: checks only) never has the caller wake again and again.
    #[test]
    fn a_quiet_pair_asks_for_no_wake_up_in_the_past() {
        let mut pair = Pair::new(&["10.0.0.1:5000"], &["10.0.0.2:6000"]);
        pair.run(500, |_, _| true);
        pair.run(1_000, |_, _| false);
        let now = pair.now;
        for side in &mut pair.sides {
            side.on_timeout(now);
            let next = side.poll_timeout().expect("a timer");
            assert!(next > now, "{:?} behind", now - next);
        }
    }

    #[test]
    fn a_stun_server_answer_becomes_a_server_reflexive_candidate_for_the_other_side() {
        #[expect(
            clippy::disallowed_methods,
            reason = "a starting point for the fake clock"
        )]
        let now = Instant::now();
        let local: SocketAddr = "192.168.1.2:5000".parse().unwrap();
        let server: SocketAddr = "198.51.100.1:3478".parse().unwrap();
        let mut session = IceSession::new(&[local], &[server], 7, now);
        session.on_timeout(now);
        let request = session.poll_transmit().unwrap();
        assert_eq!((request.from, request.to), (local, server));
        // Unanswered, it is sent again after 250 ms.
        session.on_timeout(now + Duration::from_millis(260));
        let again = session.poll_transmit().unwrap();
        assert_eq!(again.bytes, request.bytes);
        let public: SocketAddr = "203.0.113.9:41000".parse().unwrap();
        let answer = crate::stun::binding_answer(&request.bytes, public).unwrap();
        assert_eq!(
            session.on_datagram(now, server, local, &answer),
            Received::Stun
        );
        let lines: Vec<String> = std::iter::from_fn(|| session.poll_signal()).collect();
        assert!(lines[0].starts_with("ice-creds "), "{lines:?}");
        let srflx = lines
            .iter()
            .filter_map(|line| match Signal::parse(line) {
                Ok(Signal::Candidate(candidate)) => Some(candidate),
                _ => None,
            })
            .find(|candidate| candidate.kind() == is::CandidateKind::ServerReflexive)
            .expect("a server-reflexive candidate");
        assert_eq!(srflx.addr(), public);
        // A new stream hears all of it again.
        session.resend_signals();
        assert_eq!(
            std::iter::from_fn(|| session.poll_signal()).count(),
            lines.len()
        );
    }

    /// A check made for another session (its USERNAME and MESSAGE-INTEGRITY are not
    /// ours) is dropped, so that the bridge counts it, and teaches the agent nothing.
    #[test]
    fn a_check_with_another_sessions_credentials_is_dropped() {
        let check = std::cell::RefCell::new(None);
        let mut pair = Pair::new(&["10.0.0.1:5000"], &["10.0.0.2:6000"]);
        pair.run(100, |side, datagram| {
            if side == 0 && crate::stun::is_stun(&datagram.bytes) {
                check.borrow_mut().get_or_insert(datagram.clone());
            }
            true
        });
        let check = check.into_inner().expect("a check was sent");
        let mut stranger = IceSession::new(&[check.to], &[], 3, pair.now);
        stranger.set_controlling(false);
        let received = stranger.on_datagram(pair.now, check.from, check.to, &check.bytes);
        assert_eq!(received, Received::Dropped);
        assert_eq!(stranger.route(pair.now), None);
        // The session it was made for takes it.
        let received = pair.sides[1].on_datagram(pair.now, check.from, check.to, &check.bytes);
        assert_eq!(received, Received::Stun);
    }

    #[test]
    fn bad_signals_are_refused_with_a_reason() {
        assert!(matches!(
            Signal::parse("hello"),
            Err(SignalError::Unknown(_))
        ));
        assert!(matches!(
            Signal::parse("ice-creds a"),
            Err(SignalError::Unknown(_))
        ));
        assert!(matches!(
            Signal::parse("ice-creds a b\u{0}"),
            Err(SignalError::Unknown(_))
        ));
        assert!(matches!(
            Signal::parse("candidate:1 1 udp nope"),
            Err(SignalError::BadCandidate(_))
        ));
        assert!(matches!(
            Signal::parse(&"x".repeat(600)),
            Err(SignalError::TooLong(600))
        ));
        let creds = Signal::parse("ice-creds abcd efgh1234").unwrap();
        assert_eq!(Signal::parse(&creds.encode()).unwrap(), creds);
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(line in ".{0,300}", bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            #[expect(clippy::disallowed_methods, reason = "a starting point for the fake clock")]
            let now = Instant::now();
            let local: SocketAddr = "10.0.0.1:5000".parse().unwrap();
            let mut session = IceSession::new(&[local], &[], 1, now);
            let _ = session.on_signal(&line, now);
            let _ = session.on_datagram(now, "10.0.0.2:1".parse().unwrap(), local, &bytes);
            let _ = session.route(now);
        }
    }
}
