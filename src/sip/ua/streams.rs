//! What a closed stream (TCP, TLS, a P2P device's stream) means for the client
//! transactions that used it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Key, UaOutput, UserAgent};
use crate::sip::message::Method;
use crate::sip::transaction::{Input, State};

/// A request first sent this recently that has no answer yet when its stream closes goes
/// again on a new one (see [`UserAgent::stream_closed`]), at most [`MAX_RESENDS`] times.
const RESEND_WITHIN: Duration = Duration::from_secs(3);
/// A connection on its way out (a relay circuit that ran out) may still take a new stream
/// and then close it: a request goes this many times more, not once.
const MAX_RESENDS: u8 = 3;
/// A ringing INVITE whose stream closed again this soon after the last close, more than
/// [`MAX_RESENDS`] times (the new stream could not be had: longer than a stream takes to
/// open, 5 s), has lost its peer.
const KEPT_WITHIN: Duration = Duration::from_secs(8);
/// A keep-alive (RFC 5626 §4.4.1) that any SIP stream skips: sent to open a new stream.
const PING: &[u8] = b"\r\n\r\n";

impl UserAgent {
    /// Tells the UA that the stream to `to` closed. A request first sent in the last
    /// [`RESEND_WITHIN`] that has no answer yet may have been lost with it (a relay circuit
    /// that ran out takes what was in flight): it goes again, which opens a new stream, up
    /// to [`MAX_RESENDS`] times (the new stream may land on the dying connection too); the
    /// peer absorbs a duplicate as a retransmission. An INVITE the peer answered with a
    /// provisional response rings on there: a keep-alive opens a new stream for its final
    /// response (§18.2.2), and it fails only if no stream can be had (closed again within
    /// [`KEPT_WITHIN`] of the last close, more than [`MAX_RESENDS`] times in a row). Every
    /// other transaction there fails at once, as on a failed send.
    pub fn stream_closed(&mut self, now: Instant, to: SocketAddr) {
        let mut failed = Vec::new();
        let mut ping = false;
        for (key, pending) in &mut self.clients {
            if pending.to != to {
                continue;
            }
            let state = pending.transaction.state();
            let ringing = key.1 == Method::Invite && state == State::Proceeding;
            let unanswered = matches!(state, State::Calling | State::Trying);
            // A ringing INVITE's stream that closes again soon after the last close counts
            // towards MAX_RESENDS (the new stream may land on the dying connection too).
            let closed_again = pending
                .kept_at
                .is_some_and(|at| now.saturating_duration_since(at) <= KEPT_WITHIN);
            if ringing && (!closed_again || pending.resends < MAX_RESENDS) {
                pending.resends = if closed_again { pending.resends + 1 } else { 0 };
                pending.kept_at = Some(now);
                ping = true;
            } else if unanswered
                && pending.resends < MAX_RESENDS
                && now.saturating_duration_since(pending.sent_at) <= RESEND_WITHIN
            {
                pending.resends += 1;
                tracing::debug!(%to, resends = pending.resends, "stream closed: request sent again");
                self.outputs.push_back(UaOutput::Transmit {
                    to,
                    bytes: pending.request.to_bytes(),
                });
            } else {
                tracing::info!(%to, resends = pending.resends, "stream closed: request failed");
                failed.push(key.clone());
            }
        }
        if ping {
            self.outputs.push_back(UaOutput::Transmit {
                to,
                bytes: PING.to_vec(),
            });
        }
        self.fail_transactions(now, failed);
    }

    /// Tells the UA that sending to `to` failed (a refused connection, a TLS handshake
    /// that did not verify): its client transactions there fail at once (§8.1.3.1)
    /// instead of waiting for timer B or F.
    pub fn transport_failed(&mut self, now: Instant, to: SocketAddr) {
        let keys: Vec<Key> = self
            .clients
            .iter()
            .filter(|(_, pending)| pending.to == to)
            .map(|(key, _)| key.clone())
            .collect();
        self.fail_transactions(now, keys);
    }

    /// The client transactions `keys` fail with a transport error.
    pub(super) fn fail_transactions(&mut self, now: Instant, keys: Vec<Key>) {
        for key in keys {
            if let Some(pending) = self.clients.get_mut(&key) {
                pending.transaction.handle_input(now, Input::TransportError);
            }
            self.drain_client(now, &key);
        }
    }
}
