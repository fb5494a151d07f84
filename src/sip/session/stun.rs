//! Learning the account's public address by STUN before it registers (UDP only): a
//! Binding request to the account's STUN server on the SIP socket, sent again at 500 ms,
//! 1 s and 2 s (RFC 5389 §7.2.1). Without an answer the account goes on with its local
//! address. Answers are told from SIP on the same socket by their first bytes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::RngCore as _;

use super::{Output, Resolving, SessionCore, SessionEvent};

/// Default STUN port (RFC 5389 §9).
pub(super) const STUN_PORT: u16 = 3478;
/// First retransmission interval (RFC 5389 §7.2.1's RTO).
const RTO: Duration = Duration::from_millis(500);
/// Requests sent before giving up.
const ATTEMPTS: u8 = 3;

/// A Binding exchange in progress.
#[derive(Debug)]
pub(super) struct StunProbe {
    server: String,
    to: Option<SocketAddr>,
    transaction: [u8; 12],
    sent: u8,
    wait: Duration,
    pub(super) next_at: Option<Instant>,
}

impl SessionCore {
    /// Starts the probe; false when the account names no STUN server.
    pub(super) fn start_stun(&mut self) -> bool {
        let Some(server) = self.config.stun.clone() else {
            return false;
        };
        let mut transaction = [0u8; 12];
        self.rng.fill_bytes(&mut transaction);
        self.stun = Some(StunProbe {
            server: server.clone(),
            to: None,
            transaction,
            sent: 0,
            wait: RTO,
            next_at: None,
        });
        self.resolve_with_port(&server, STUN_PORT, Resolving::Stun);
        true
    }

    pub(super) fn on_stun_resolved(
        &mut self,
        now: Instant,
        result: Result<SocketAddr, super::ResolveError>,
    ) {
        match result {
            Ok(to) => {
                if let Some(probe) = self.stun.as_mut() {
                    probe.to = Some(to);
                }
                self.send_stun(now);
            }
            Err(err) => {
                let server = self
                    .stun
                    .take()
                    .map(|probe| probe.server)
                    .unwrap_or_default();
                self.emit(SessionEvent::Failed(format!("STUN server {server}: {err}")));
                self.after_stun(now);
            }
        }
    }

    fn send_stun(&mut self, now: Instant) {
        let Some(probe) = self.stun.as_mut() else {
            return;
        };
        let Some(to) = probe.to else {
            return;
        };
        if probe.sent >= ATTEMPTS {
            let server = probe.server.clone();
            self.stun = None;
            self.emit(SessionEvent::Failed(format!(
                "no answer from the STUN server {server}; using the local address"
            )));
            self.after_stun(now);
            return;
        }
        probe.sent += 1;
        probe.next_at = Some(now + probe.wait);
        probe.wait *= 2;
        let bytes = crate::stun::binding_request(&probe.transaction);
        self.outputs.push_back(Output::Transmit { to, bytes });
    }

    /// The probe's retransmission timer.
    pub(super) fn stun_timeout(&mut self, now: Instant) {
        if self
            .stun
            .as_ref()
            .and_then(|probe| probe.next_at)
            .is_some_and(|at| at <= now)
        {
            self.send_stun(now);
        }
    }

    /// A STUN message on the SIP socket: the answer we wait for, or ignored.
    pub(super) fn on_stun(&mut self, now: Instant, bytes: &[u8]) {
        let Some(probe) = self.stun.as_ref() else {
            tracing::trace!("STUN message ignored: no probe");
            return;
        };
        match crate::stun::parse_binding_response(bytes, &probe.transaction) {
            Ok(mapped) => {
                tracing::info!(%mapped, server = %probe.server, "public address learnt by STUN");
                self.stun = None;
                self.set_public_address(mapped);
                self.after_stun(now);
            }
            Err(err) => tracing::debug!(%err, "STUN answer ignored"),
        }
    }
}
