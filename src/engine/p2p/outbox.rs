//! Commits on their way to online devices: queued per device and pushed in batches (up to
//! [`MAX_COMMITS_PER_MESSAGE`] each), with at most [`PUSHES_IN_FLIGHT`] unanswered per
//! device, so a burst of messages becomes a handful of requests instead of one each. One
//! owner, its fields private; the account sends what [`Outbox::next_batch`] hands out.

use std::collections::HashMap;

use libp2p::PeerId;

use crate::model::AccountId;
use crate::p2p::commit::SignedCommit;
use crate::p2p::wire::MAX_COMMITS_PER_MESSAGE;

/// Unanswered pushes per device.
pub(super) const PUSHES_IN_FLIGHT: usize = 4;

/// The account's pushes waiting and in flight, per device.
#[derive(Default)]
pub(super) struct Outbox {
    /// Commits waiting for each device, with the account the device belongs to.
    waiting: HashMap<PeerId, Vec<(AccountId, SignedCommit)>>,
    /// Pushes sent to each device and not yet answered.
    in_flight: HashMap<PeerId, usize>,
}

impl Outbox {
    /// Queues `commits` for `peer`, a device of `member`.
    pub(super) fn queue(
        &mut self,
        peer: PeerId,
        member: &AccountId,
        commits: impl IntoIterator<Item = SignedCommit>,
    ) {
        self.waiting
            .entry(peer)
            .or_default()
            .extend(commits.into_iter().map(|commit| (member.clone(), commit)));
    }

    /// The next push for `peer`, counted as in flight: `None` when nothing waits or
    /// [`PUSHES_IN_FLIGHT`] are unanswered.
    pub(super) fn next_batch(&mut self, peer: PeerId) -> Option<(AccountId, Vec<SignedCommit>)> {
        if self.in_flight.get(&peer).copied().unwrap_or(0) >= PUSHES_IN_FLIGHT {
            return None;
        }
        let Some(queue) = self
            .waiting
            .get_mut(&peer)
            .filter(|queue| !queue.is_empty())
        else {
            self.waiting.remove(&peer);
            return None;
        };
        let take = queue.len().min(MAX_COMMITS_PER_MESSAGE);
        let batch: Vec<(AccountId, SignedCommit)> = queue.drain(..take).collect();
        let member = batch.first().map(|(member, _)| member.clone())?;
        *self.in_flight.entry(peer).or_default() += 1;
        Some((
            member,
            batch.into_iter().map(|(_, commit)| commit).collect(),
        ))
    }

    /// A push to `peer` was answered or failed: room for the next.
    pub(super) fn push_done(&mut self, peer: PeerId) {
        if let Some(count) = self.in_flight.get_mut(&peer) {
            *count = count.saturating_sub(1);
        }
    }

    /// `peer` went: what waited for it, taken out (pushes in flight are forgotten; their
    /// failures bring their own commits back).
    pub(super) fn device_gone(&mut self, peer: PeerId) -> Vec<SignedCommit> {
        self.in_flight.remove(&peer);
        self.waiting
            .remove(&peer)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, commit)| commit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::tests::TestDevice;
    use crate::p2p::commit::{CommitBody, CommitId};

    #[test]
    fn pushes_go_in_batches_with_a_few_in_flight_and_what_waits_comes_back_when_it_goes() {
        let alice = TestDevice::new(1);
        let bob = TestDevice::new(2).id();
        let peer = PeerId::random();
        let conversation = CommitId([1; 32]);
        let commits: Vec<SignedCommit> = (0..MAX_COMMITS_PER_MESSAGE * PUSHES_IN_FLIGHT + 3)
            .map(|time| {
                let body = CommitBody::Text("hi".into());
                let parents = vec![conversation];
                alice
                    .commit(Some(conversation), parents, time as u64, body)
                    .signed
            })
            .collect();
        let mut outbox = Outbox::default();
        outbox.queue(peer, &bob, commits.clone());
        let mut sent = Vec::new();
        while let Some((member, batch)) = outbox.next_batch(peer) {
            assert_eq!(member, bob);
            assert!(batch.len() <= MAX_COMMITS_PER_MESSAGE);
            sent.extend(batch);
        }
        assert_eq!(sent.len(), MAX_COMMITS_PER_MESSAGE * PUSHES_IN_FLIGHT);
        // An answer makes room for the rest, in order.
        outbox.push_done(peer);
        let (_, rest) = outbox.next_batch(peer).expect("room for one more push");
        sent.extend(rest);
        assert_eq!(sent, commits);
        assert!(outbox.next_batch(peer).is_none());

        // A device that goes hands back what still waited for it, and its count restarts.
        outbox.queue(peer, &bob, commits[..2].to_vec());
        assert_eq!(outbox.device_gone(peer), commits[..2].to_vec());
        assert!(outbox.device_gone(peer).is_empty());
        outbox.queue(peer, &bob, commits[..1].to_vec());
        assert!(
            outbox.next_batch(peer).is_some(),
            "in-flight count forgotten"
        );
    }
}
