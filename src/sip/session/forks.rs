//! A call placed to several devices at once (a P2P contact's phone, laptop and tablet):
//! one INVITE leg per device, all with the same offer and RTP port. The first leg to be
//! answered wins and becomes the call's dialog; the others are cancelled with
//! `Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326), so those devices
//! stop ringing and know why. A decline on any device ends the call for all; a leg that
//! fails otherwise (unreachable, timed out) only drops out, and the call ends when the
//! last one has.

use std::net::SocketAddr;
use std::time::Instant;

use super::{Output, Routed, SessionCore};
use crate::model::CallId;
use crate::sip::ua::{CallHandle, EndReason};

/// One device's leg of a forked call.
#[derive(Debug, Clone)]
pub(in crate::sip::session) struct Leg {
    /// Its Request-URI.
    pub(super) uri: String,
    /// Where its INVITE goes, once routed.
    pub(super) destination: Option<SocketAddr>,
    /// Its INVITE's call, once sent.
    pub(super) handle: Option<CallHandle>,
    /// It failed, was declined or was cancelled.
    pub(super) done: bool,
}

/// Whether a status code refusing a leg speaks for the callee, not just one device: a
/// decline (603) or busy (486, 600) ends the call everywhere.
fn declined(reason: &EndReason) -> bool {
    matches!(reason, EndReason::Rejected(486 | 600 | 603))
}

impl SessionCore {
    /// Places `call` to every URI in `uris` at once.
    pub(super) fn place_forked(&mut self, now: Instant, call: CallId, uris: Vec<String>) {
        if uris.is_empty() {
            self.finish_call(call, EndReason::Unreachable);
            return;
        }
        let slot = self.calls.entry(call).or_default();
        slot.uri = uris.first().cloned().unwrap_or_default();
        slot.outgoing = true;
        slot.legs = uris
            .into_iter()
            .map(|uri| Leg {
                uri,
                destination: None,
                handle: None,
                done: false,
            })
            .collect();
        let count = slot.legs.len();
        self.outputs.push_back(Output::BindMedia(call));
        for index in 0..count {
            self.route(now, Routed::Leg { call, index });
        }
    }

    /// Sends the INVITE of every leg whose destination is known, once the port is bound.
    pub(super) fn invite_legs(&mut self, now: Instant, call: CallId) {
        let Some(slot) = self.calls.get(&call) else {
            return;
        };
        if slot.port.is_none() || slot.handle.is_some() || slot.hanging_up {
            return;
        }
        let ready: Vec<(usize, SocketAddr, String)> = slot
            .legs
            .iter()
            .enumerate()
            .filter(|(_, leg)| leg.handle.is_none() && !leg.done)
            .filter_map(|(index, leg)| Some((index, leg.destination?, leg.uri.clone())))
            .collect();
        if ready.is_empty() {
            return;
        }
        let offer = match slot.leg_offer.clone() {
            Some(offer) => offer,
            None if self.config.late_offer => String::new(),
            None => {
                let offer = self.offer(call);
                if let Some(slot) = self.calls.get_mut(&call) {
                    slot.leg_offer = Some(offer.clone());
                }
                offer
            }
        };
        for (index, to, uri) in ready {
            let handle = self.ua.invite(now, to, &uri, &offer, None);
            self.by_handle.insert(handle, call);
            if let Some(leg) = self
                .calls
                .get_mut(&call)
                .and_then(|slot| slot.legs.get_mut(index))
            {
                leg.handle = Some(handle);
            }
        }
    }

    /// A leg of an unanswered forked call was answered: it wins, the others are
    /// cancelled. False when `handle` is not a leg of a call still waiting for its winner.
    pub(super) fn leg_answered(&mut self, now: Instant, call: CallId, handle: CallHandle) -> bool {
        let Some(slot) = self.calls.get_mut(&call) else {
            return false;
        };
        if slot.legs.is_empty() || slot.handle.is_some() {
            return false;
        }
        slot.handle = Some(handle);
        let losers: Vec<CallHandle> = slot
            .legs
            .iter_mut()
            .filter(|leg| leg.handle != Some(handle) && !leg.done)
            .filter_map(|leg| {
                leg.done = true;
                leg.handle
            })
            .collect();
        for loser in losers {
            self.ua.cancel_answered_elsewhere(now, loser);
        }
        true
    }

    /// A leg that lost (a 2xx that crossed our CANCEL): it is ended with a BYE. False when
    /// `handle` is the call's own dialog.
    pub(super) fn leg_lost(&mut self, now: Instant, call: CallId, handle: CallHandle) -> bool {
        let lost = self.calls.get(&call).is_some_and(|slot| {
            !slot.legs.is_empty() && slot.handle.is_some_and(|winner| winner != handle)
        });
        if lost {
            self.ua.hangup(now, handle);
        }
        lost
    }

    /// A leg's INVITE ended (refused, cancelled, timed out): true when it was a leg and
    /// not the call's own dialog, in which case the call ends only if that was a decline
    /// or the last leg.
    pub(super) fn leg_ended(
        &mut self,
        now: Instant,
        call: CallId,
        handle: CallHandle,
        reason: EndReason,
    ) -> bool {
        let Some(slot) = self.calls.get(&call) else {
            return false;
        };
        if slot.legs.is_empty() || slot.handle == Some(handle) {
            return false;
        }
        let index = slot.legs.iter().position(|leg| leg.handle == Some(handle));
        if slot.handle.is_none()
            && let Some(index) = index
        {
            self.leg_done(now, call, index, reason);
        }
        true
    }

    /// A leg is over for `reason`: a decline ends the call (the other legs are
    /// cancelled), and so does the end of the last leg.
    pub(super) fn leg_done(&mut self, now: Instant, call: CallId, index: usize, reason: EndReason) {
        let Some(slot) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some(leg) = slot.legs.get_mut(index) {
            leg.done = true;
        }
        let everywhere = declined(&reason);
        let open: Vec<CallHandle> = slot
            .legs
            .iter_mut()
            .filter(|leg| !leg.done)
            .filter_map(|leg| {
                if everywhere {
                    leg.done = true;
                }
                leg.handle
            })
            .collect();
        let unsent = slot
            .legs
            .iter()
            .any(|leg| !leg.done && leg.handle.is_none());
        if everywhere {
            for handle in open {
                self.ua.hangup(now, handle);
            }
        } else if !open.is_empty() || unsent {
            return;
        }
        self.finish_call(call, reason);
    }

    /// The user hung up a forked call not yet answered: every leg sent is cancelled (the
    /// call ends when the last has). False when the call is not such a call or no leg
    /// went out yet.
    pub(super) fn cancel_legs(&mut self, now: Instant, call: CallId) -> bool {
        let Some(slot) = self.calls.get_mut(&call) else {
            return false;
        };
        if slot.legs.is_empty() || slot.handle.is_some() {
            return false;
        }
        let sent: Vec<CallHandle> = slot
            .legs
            .iter()
            .filter(|leg| !leg.done)
            .filter_map(|leg| leg.handle)
            .collect();
        if sent.is_empty() {
            return false;
        }
        slot.hanging_up = true;
        // Legs not routed yet never go out.
        for leg in slot.legs.iter_mut().filter(|leg| leg.handle.is_none()) {
            leg.done = true;
        }
        for handle in sent {
            self.ua.hangup(now, handle);
        }
        true
    }
}
