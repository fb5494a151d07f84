//! What a P2P account asked of the network and waits for: each request or record lookup
//! under a tag, with what it was for, and the conversation fetches among them (so that one
//! gap is asked of a device once). One owner, its fields private.

use std::collections::{HashMap, HashSet};

use libp2p::PeerId;

use super::NameQuery;
use crate::engine::RequestId;
use crate::model::AccountId;
use crate::p2p::commit::{CommitId, SignedCommit};

/// What an outbound request was for.
pub(super) enum Outstanding {
    Fetch {
        conversation: CommitId,
    },
    Plain,
    Lookup(AccountId),
    Inbox,
    /// Commits pushed to a device of this account: left in its inbox if the push fails.
    Push(AccountId, Vec<SignedCommit>),
    /// A name lookup for a command.
    Name(RequestId, String, NameQuery),
    /// A file's chunk list (the file's commit).
    Manifest(CommitId),
    /// Our heads of a conversation: sent again if the request fails with the device still
    /// here (it may have gone over a stale connection of a device that restarted).
    Heads(CommitId),
    /// A contact's profile picture, by the hash its device list named.
    Picture {
        /// The contact.
        peer: AccountId,
        /// The picture's hash.
        hash: String,
    },
    /// Our device list, sent to a device: sent once more if it fails while the device
    /// stays connected.
    DeviceList {
        /// This is the second time.
        retried: bool,
    },
    /// Our account's picture, from another device of ours that set it at `set_ms`.
    OwnPicture {
        /// The picture's hash.
        hash: String,
        /// When it was set there (Unix ms).
        set_ms: i64,
    },
}

/// The account's requests in flight.
#[derive(Default)]
pub(super) struct InFlight {
    next_tag: u64,
    /// What each tag was for.
    asked: HashMap<u64, Outstanding>,
    /// Fetches in flight: (device, conversation).
    fetching: HashSet<(PeerId, CommitId)>,
}

impl InFlight {
    /// A new tag for a request made for `what`.
    pub(super) fn ask(&mut self, what: Outstanding) -> u64 {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.asked.insert(tag, what);
        tag
    }

    /// The request `tag` was answered or failed: what it was for, taken out.
    pub(super) fn answered(&mut self, tag: u64) -> Option<Outstanding> {
        self.asked.remove(&tag)
    }

    /// Some request in flight is `matching`.
    pub(super) fn any(&self, matching: impl Fn(&Outstanding) -> bool) -> bool {
        self.asked.values().any(matching)
    }

    /// How many requests in flight are `matching`.
    pub(super) fn count(&self, matching: impl Fn(&Outstanding) -> bool) -> usize {
        self.asked.values().filter(|what| matching(what)).count()
    }

    /// A fetch of `conversation` from `peer` starts; false when one is in flight already.
    pub(super) fn start_fetch(&mut self, peer: PeerId, conversation: CommitId) -> bool {
        self.fetching.insert((peer, conversation))
    }

    /// The fetch of `conversation` from `peer` is over.
    pub(super) fn fetch_done(&mut self, peer: PeerId, conversation: CommitId) {
        self.fetching.remove(&(peer, conversation));
    }

    /// `peer` went: its fetches are over (they are asked again when it is back).
    pub(super) fn device_gone(&mut self, peer: PeerId) {
        self.fetching.retain(|(device, _)| *device != peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_new_each_time_answers_come_once_and_a_fetch_is_asked_once() {
        let mut asked = InFlight::default();
        let first = asked.ask(Outstanding::Plain);
        let second = asked.ask(Outstanding::Inbox);
        assert_ne!(first, second);
        assert!(asked.any(|what| matches!(what, Outstanding::Inbox)));
        assert_eq!(asked.count(|what| matches!(what, Outstanding::Plain)), 1);
        assert!(matches!(asked.answered(second), Some(Outstanding::Inbox)));
        assert!(asked.answered(second).is_none(), "an answer counts once");
        assert!(!asked.any(|what| matches!(what, Outstanding::Inbox)));

        let (peer, other) = (PeerId::random(), PeerId::random());
        let conversation = CommitId([3; 32]);
        assert!(asked.start_fetch(peer, conversation));
        assert!(!asked.start_fetch(peer, conversation), "already in flight");
        assert!(asked.start_fetch(other, conversation), "another device");
        asked.fetch_done(peer, conversation);
        assert!(asked.start_fetch(peer, conversation));
        asked.device_gone(peer);
        assert!(asked.start_fetch(peer, conversation));
        assert!(
            !asked.start_fetch(other, conversation),
            "the other device's stays"
        );
    }
}
