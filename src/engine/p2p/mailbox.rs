//! What a P2P account keeps for accounts with no device online, to leave in their DHT
//! inboxes (see [`letters`](super::letters)), and what it knows of its own inbox: one
//! owner, its fields private, read and changed through the methods below.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::model::AccountId;
use crate::p2p::commit::{CommitId, SignedCommit};

/// Receipts held for one author: by (conversation, read), the commits they are for.
pub(super) type HeldReceipts = HashMap<(CommitId, bool), Vec<CommitId>>;

/// The account's offline-delivery state.
#[derive(Default)]
pub(super) struct Mailbox {
    /// Commits accounts with no device online have not received yet.
    undelivered: HashMap<AccountId, Vec<SignedCommit>>,
    /// Contact requests to leave in inboxes.
    requests: HashSet<AccountId>,
    /// Receipts for authors with no device online.
    receipts: HashMap<AccountId, HeldReceipts>,
    /// Letters left in inboxes so far.
    deposited: u64,
    /// Hashes of inbox letters already handled.
    opened: HashSet<[u8; 32]>,
    /// When our own inbox was last read.
    checked: Option<Instant>,
}

impl Mailbox {
    /// Holds commits for `member` until one of its devices is online or they go to its
    /// inbox.
    pub(super) fn hold(
        &mut self,
        member: AccountId,
        commits: impl IntoIterator<Item = SignedCommit>,
    ) {
        self.undelivered.entry(member).or_default().extend(commits);
    }

    /// The commits held for `member`, taken out.
    pub(super) fn take_held(&mut self, member: &AccountId) -> Option<Vec<SignedCommit>> {
        self.undelivered.remove(member)
    }

    /// The accounts commits are held for.
    pub(super) fn held_for(&self) -> Vec<AccountId> {
        self.undelivered.keys().cloned().collect()
    }

    /// A contact request to `peer` goes to its inbox too.
    pub(super) fn hold_request(&mut self, peer: AccountId) {
        self.requests.insert(peer);
    }

    /// The accounts a contact request is held for.
    pub(super) fn requests(&self) -> Vec<AccountId> {
        self.requests.iter().cloned().collect()
    }

    /// The request for `peer` is on its way.
    pub(super) fn request_sent(&mut self, peer: &AccountId) {
        self.requests.remove(peer);
    }

    /// Holds receipts for an author with no device online.
    pub(super) fn hold_receipts(
        &mut self,
        author: AccountId,
        (conversation, read): (CommitId, bool),
        commits: impl IntoIterator<Item = CommitId>,
    ) {
        self.receipts
            .entry(author)
            .or_default()
            .entry((conversation, read))
            .or_default()
            .extend(commits);
    }

    /// The authors receipts are held for.
    pub(super) fn receipt_authors(&self) -> Vec<AccountId> {
        self.receipts.keys().cloned().collect()
    }

    /// The receipts held for `author`, taken out.
    pub(super) fn take_receipts(&mut self, author: &AccountId) -> HeldReceipts {
        self.receipts.remove(author).unwrap_or_default()
    }

    /// A letter was left in an inbox.
    pub(super) fn deposited(&mut self) {
        self.deposited += 1;
    }

    /// A letter found in our inbox, by its hash: true the first time (to be handled).
    pub(super) fn first_opening(&mut self, digest: [u8; 32]) -> bool {
        self.opened.insert(digest)
    }

    /// Whether our inbox is due to be read (at most every `interval`); if so, it is
    /// counted as read now.
    pub(super) fn inbox_due(&mut self, now: Instant, interval: Duration) -> bool {
        let due = self
            .checked
            .is_none_or(|last| now.saturating_duration_since(last) >= interval);
        if due {
            self.checked = Some(now);
        }
        due
    }

    /// For `node-info`.
    pub(super) fn figures(&self) -> MailFigures {
        MailFigures {
            deposited: self.deposited,
            opened: self.opened.len(),
            undelivered: self.undelivered.values().map(Vec::len).sum(),
            requests: self.requests.len(),
        }
    }
}

/// What `node-info` says of a mailbox.
pub(super) struct MailFigures {
    /// Letters left in inboxes.
    pub(super) deposited: u64,
    /// Letters of ours handled.
    pub(super) opened: usize,
    /// Commits held for accounts away.
    pub(super) undelivered: usize,
    /// Contact requests held.
    pub(super) requests: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a starting instant; the test moves time itself"
    )]
    fn the_inbox_is_read_at_most_once_an_interval_and_each_letter_handled_once() {
        let mut mailbox = Mailbox::default();
        let start = Instant::now();
        let interval = Duration::from_secs(6);
        assert!(mailbox.inbox_due(start, interval));
        assert!(!mailbox.inbox_due(start + Duration::from_secs(5), interval));
        assert!(mailbox.inbox_due(start + interval, interval));
        assert!(mailbox.first_opening([1; 32]));
        assert!(!mailbox.first_opening([1; 32]));
        assert_eq!(mailbox.figures().opened, 1);
    }

    #[test]
    fn held_requests_and_receipts_are_taken_once() {
        let mut mailbox = Mailbox::default();
        let bob = AccountId("b0".into());
        mailbox.hold_request(bob.clone());
        mailbox.hold_receipts(bob.clone(), (CommitId([1; 32]), true), [CommitId([2; 32])]);
        mailbox.hold_receipts(bob.clone(), (CommitId([1; 32]), true), [CommitId([3; 32])]);
        assert_eq!(mailbox.requests(), vec![bob.clone()]);
        mailbox.request_sent(&bob);
        assert!(mailbox.requests().is_empty());
        assert_eq!(mailbox.receipt_authors(), vec![bob.clone()]);
        let receipts = mailbox.take_receipts(&bob);
        assert_eq!(receipts[&(CommitId([1; 32]), true)].len(), 2);
        assert!(mailbox.take_receipts(&bob).is_empty());
        assert!(mailbox.take_held(&bob).is_none());
        assert_eq!(mailbox.figures().requests, 0);
    }
}
