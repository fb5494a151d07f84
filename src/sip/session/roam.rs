//! Moving to a new local address mid-session (a laptop that changes networks, a DHCP
//! lease that changes), as baresip's netroam does and pjsip leaves to its application:
//! Contact, Via and SDP take the new address; the registration is renewed with the new
//! Contact and the old one removed in the same REGISTER; every connected call gets a
//! re-INVITE with the new Contact and SDP in its own dialog, so the peer sends its media
//! to the new address and the call goes on. With a STUN server the public address is
//! learnt again first.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::SessionCore;

/// A call whose re-INVITE cannot go now (another is in flight) tries again this soon.
const BUSY_RETRY: Duration = Duration::from_millis(200);

impl SessionCore {
    /// The transport's address is now `local`.
    pub(super) fn on_moved(&mut self, now: Instant, local: SocketAddr) {
        if local == self.config.local && self.public.is_none() {
            return;
        }
        tracing::info!(from = %self.config.local, to = %local, "the account moved to a new address");
        let old_contact = self.ua.contact().to_owned();
        self.ua.set_address(local);
        self.config.local = local;
        self.public = None;
        if self.starting {
            // Still starting: the first REGISTER goes out with the new address.
            return;
        }
        self.moved_from.get_or_insert(old_contact);
        if self.stun.is_some() {
            // A probe after an earlier move is out: its end brings `after_move`.
            return;
        }
        if !self.start_stun() {
            self.after_move(now);
        }
    }

    /// The new address is known (after STUN, if any): the registrar and the peers of our
    /// calls learn it.
    pub(super) fn after_move(&mut self, now: Instant) {
        let Some(old_contact) = self.moved_from.take() else {
            return;
        };
        if old_contact != self.ua.contact() {
            self.ua.reregister(now, old_contact);
        }
        let connected: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, slot)| slot.handle.is_some() && slot.media_started)
            .map(|(call, _)| *call)
            .collect();
        for call in connected {
            if let Some(slot) = self.calls.get_mut(&call) {
                slot.glare_attempts = 0;
            }
            if !self.reoffer(now, call)
                && let Some(slot) = self.calls.get_mut(&call)
            {
                slot.reoffer_retry_at = Some(now + BUSY_RETRY);
            }
        }
    }
}
