//! What a P2P account keeps about its calls, in one owner with private fields: calls
//! waiting for a contact's device to come online (each with its deadline), the legs of
//! group calls placed here, the calls our other devices say they are in, which connected
//! devices are reached only through a relay, what its calls refused, and the STUN servers
//! its calls ask. Time is passed in.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use libp2p::PeerId;
use tokio::time::Instant;

use crate::model::{AccountId, CallId};
use crate::p2p::commit::CommitId;
use crate::transport::p2p_call::{LinkCounters, StunServers};

/// A P2P account's calls.
#[derive(Default)]
pub(super) struct CallBook {
    /// Calls to contacts with no device online: the call, the contact, when it gives up.
    waiting: Vec<(CallId, AccountId, Instant)>,
    /// Each leg of a group call placed here: the group it calls.
    group_legs: HashMap<CallId, CommitId>,
    /// Calls our other devices said they are in: (device, the contact).
    elsewhere: HashSet<(PeerId, String)>,
    /// Connected devices reached only through a relay (true) or directly.
    relayed: HashMap<PeerId, bool>,
    /// Call streams refused: from accounts that may not call us.
    refused: u64,
    /// What its calls' driver refused (RTP streams, INVITE floods, ICE input).
    counters: Arc<LinkCounters>,
    /// The STUN servers its calls ask (bootstrap nodes' and its own, looked up).
    stun_servers: StunServers,
}

impl CallBook {
    /// The driver's counters, shared with it.
    pub(super) fn counters(&self) -> &Arc<LinkCounters> {
        &self.counters
    }

    /// The STUN servers, shared with the driver.
    pub(super) fn stun_servers(&self) -> &StunServers {
        &self.stun_servers
    }

    /// A call stream was refused.
    pub(super) fn refuse(&mut self) {
        self.refused += 1;
    }

    /// Call streams refused so far.
    pub(super) fn refused(&self) -> u64 {
        self.refused
    }

    /// `call` waits until `deadline` for a device of `contact`.
    pub(super) fn wait(&mut self, call: CallId, contact: AccountId, deadline: Instant) {
        self.waiting.push((call, contact, deadline));
    }

    /// A device of `contact` came online: the calls that waited for it, taken out.
    pub(super) fn take_waiting_for(&mut self, contact: &AccountId) -> Vec<CallId> {
        let mut due = Vec::new();
        self.waiting.retain(|(call, waits_for, _)| {
            let found = waits_for == contact;
            if found {
                due.push(*call);
            }
            !found
        });
        due
    }

    /// The calls whose deadline has come by `now`, taken out.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<CallId> {
        let mut expired = Vec::new();
        self.waiting.retain(|(call, _, deadline)| {
            let due = *deadline <= now;
            if due {
                expired.push(*call);
            }
            !due
        });
        expired
    }

    /// When the first waiting call is due.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.waiting.iter().map(|(_, _, at)| *at).min()
    }

    /// Takes `call` out of the waiting ones; whether it was there.
    pub(super) fn cancel(&mut self, call: CallId) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|(waiting, _, _)| *waiting != call);
        self.waiting.len() != before
    }

    /// `call` is a leg of the group call to `group`.
    pub(super) fn add_leg(&mut self, call: CallId, group: CommitId) {
        self.group_legs.insert(call, group);
    }

    /// The legs of the group call `call` is a leg of (itself included); empty when it is
    /// none.
    pub(super) fn legs_with(&self, call: CallId) -> Vec<CallId> {
        let Some(group) = self.group_legs.get(&call) else {
            return Vec::new();
        };
        let mut legs: Vec<CallId> = self
            .group_legs
            .iter()
            .filter(|(_, of)| *of == group)
            .map(|(leg, _)| *leg)
            .collect();
        legs.sort_by_key(|leg| leg.0);
        legs
    }

    /// A call ended: it is no longer a leg.
    pub(super) fn forget_leg(&mut self, call: CallId) {
        self.group_legs.remove(&call);
    }

    /// Our `device` is, or no longer is, in a call with `peer`; whether that changed.
    pub(super) fn set_elsewhere(&mut self, device: PeerId, peer: String, active: bool) -> bool {
        let key = (device, peer);
        if active {
            self.elsewhere.insert(key)
        } else {
            self.elsewhere.remove(&key)
        }
    }

    /// Our `device` went: the peers of the calls it was in, taken out.
    pub(super) fn forget_elsewhere(&mut self, device: PeerId) -> Vec<String> {
        let mut gone = Vec::new();
        self.elsewhere.retain(|(on, peer)| {
            let of_it = *on == device;
            if of_it {
                gone.push(peer.clone());
            }
            !of_it
        });
        gone
    }

    /// `peer` is now reached through a relay or not; whether that changed.
    pub(super) fn set_relayed(&mut self, peer: PeerId, relayed: bool) -> bool {
        self.relayed.insert(peer, relayed) != Some(relayed)
    }

    /// `peer` is reached only through a relay.
    pub(super) fn relayed(&self, peer: &PeerId) -> bool {
        self.relayed.get(peer).copied().unwrap_or(false)
    }

    /// `peer` went.
    pub(super) fn device_gone(&mut self, peer: &PeerId) {
        self.relayed.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn waiting_calls_ring_when_their_contact_comes_expire_at_their_deadline_or_cancel() {
        let mut book = CallBook::default();
        let (bob, carol) = (AccountId("bob".into()), AccountId("carol".into()));
        let start = Instant::now();
        let wait = Duration::from_secs(2);
        book.wait(CallId(1), bob.clone(), start + wait);
        book.wait(CallId(2), carol.clone(), start + wait * 2);
        book.wait(CallId(3), bob.clone(), start + wait * 3);
        assert_eq!(book.next_deadline(), Some(start + wait));
        assert_eq!(book.take_waiting_for(&bob), vec![CallId(1), CallId(3)]);
        assert!(book.take_waiting_for(&bob).is_empty());
        assert!(book.expire(start + wait).is_empty(), "carol's is not due");
        book.wait(CallId(4), bob, start + wait);
        assert_eq!(book.expire(start + wait * 2), vec![CallId(2), CallId(4)]);
        assert_eq!(book.next_deadline(), None);
        book.wait(CallId(5), carol, start + wait);
        assert!(book.cancel(CallId(5)));
        assert!(!book.cancel(CallId(5)));
        assert!(book.expire(start + wait * 9).is_empty());
    }

    #[test]
    fn group_legs_elsewhere_and_relayed_devices_are_kept_and_forgotten() {
        let mut book = CallBook::default();
        let (one, two) = (CommitId([1; 32]), CommitId([2; 32]));
        book.add_leg(CallId(7), one);
        book.add_leg(CallId(8), one);
        book.add_leg(CallId(9), two);
        assert_eq!(book.legs_with(CallId(8)), vec![CallId(7), CallId(8)]);
        assert_eq!(book.legs_with(CallId(9)), vec![CallId(9)]);
        assert!(book.legs_with(CallId(1)).is_empty());
        book.forget_leg(CallId(7));
        assert_eq!(book.legs_with(CallId(8)), vec![CallId(8)]);

        let (phone, laptop) = (PeerId::random(), PeerId::random());
        assert!(book.set_elsewhere(phone, "bob".into(), true));
        assert!(!book.set_elsewhere(phone, "bob".into(), true), "no change");
        assert!(book.set_elsewhere(phone, "carol".into(), true));
        assert!(book.set_elsewhere(laptop, "bob".into(), true));
        let mut gone = book.forget_elsewhere(phone);
        gone.sort();
        assert_eq!(gone, vec!["bob".to_owned(), "carol".to_owned()]);
        assert!(book.set_elsewhere(laptop, "bob".into(), false));

        assert!(!book.relayed(&phone));
        assert!(book.set_relayed(phone, true));
        assert!(!book.set_relayed(phone, true), "no change");
        assert!(book.relayed(&phone));
        book.device_gone(&phone);
        assert!(!book.relayed(&phone));
        book.refuse();
        assert_eq!(book.refused(), 1);
    }
}
