//! One conversation's DAG: which commits it holds, its heads, its members, and the rules a
//! new commit must pass.
//!
//! A commit is applied only after all its parents, so every replica applies commits in a
//! causal order; one that arrives early waits (bounded) until its parents come. Membership
//! is judged against the state at the moment a commit is applied here; with concurrent
//! membership changes two replicas may momentarily disagree, and both converge once each
//! has every commit (the rules only ever look at commits that are ancestors in practice,
//! since a removed member's devices stop receiving). Sans-IO: the caller stores and sends.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::commit::{CommitBody, CommitId, ConversationKind, VerifiedCommit};
use crate::model::AccountId;

/// Most commits waiting for their parents in one conversation.
pub const MAX_PENDING: usize = 50_000;

/// Why a commit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// It belongs to another conversation.
    #[error("commit of another conversation")]
    WrongConversation,
    /// The author is not a member (or not yet joined).
    #[error("author {0} is not a member")]
    NotMember(AccountId),
    /// Only the admin may do this.
    #[error("author {0} is not the admin")]
    NotAdmin(AccountId),
    /// The device was revoked by its account.
    #[error("device {0} is revoked")]
    RevokedDevice(String),
    /// The commit breaks a rule of its kind.
    #[error("{0}")]
    Invalid(String),
    /// Too many commits wait for parents.
    #[error("too many commits waiting for their parents")]
    PendingFull,
}

/// What became of an offered commit.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    /// Applied, with any waiting commits it unblocked, in causal order.
    Applied(Vec<VerifiedCommit>),
    /// Waits for parents it names.
    Pending(Vec<CommitId>),
    /// Already held (or already waiting).
    Duplicate,
    /// Refused.
    Rejected(Rejection),
}

#[derive(Debug, Clone)]
struct Node {
    parents: Vec<CommitId>,
    author: AccountId,
}

/// A conversation's state.
#[derive(Debug, Clone)]
pub struct Conversation {
    id: CommitId,
    kind: ConversationKind,
    title: String,
    admin: AccountId,
    invited: BTreeSet<AccountId>,
    joined: BTreeSet<AccountId>,
    nodes: HashMap<CommitId, Node>,
    /// Applied commits in the order they were applied (a topological order).
    order: Vec<CommitId>,
    heads: BTreeSet<CommitId>,
    pending: HashMap<CommitId, VerifiedCommit>,
    waiting_on: HashMap<CommitId, Vec<CommitId>>,
    deleted: HashSet<CommitId>,
}

impl Conversation {
    /// Starts from the `Create` commit.
    pub fn new(create: &VerifiedCommit) -> Result<Conversation, Rejection> {
        let CommitBody::Create {
            kind,
            members,
            title,
        } = &create.content.body
        else {
            return Err(Rejection::Invalid("not a Create commit".into()));
        };
        if members.first() != Some(&create.content.author) {
            return Err(Rejection::Invalid(
                "the creator must be the first member".into(),
            ));
        }
        let invited: BTreeSet<AccountId> = members.iter().cloned().collect();
        if *kind == ConversationKind::OneToOne && invited.len() != 2 {
            return Err(Rejection::Invalid(
                "a one-to-one conversation has two members".into(),
            ));
        }
        let mut conversation = Conversation {
            id: create.id,
            kind: *kind,
            title: title.clone(),
            admin: create.content.author.clone(),
            invited,
            joined: BTreeSet::from([create.content.author.clone()]),
            nodes: HashMap::new(),
            order: Vec::new(),
            heads: BTreeSet::new(),
            pending: HashMap::new(),
            waiting_on: HashMap::new(),
            deleted: HashSet::new(),
        };
        conversation.insert(create);
        Ok(conversation)
    }

    /// Its id (the `Create` commit's).
    pub fn id(&self) -> CommitId {
        self.id
    }

    /// One-to-one or group.
    pub fn kind(&self) -> ConversationKind {
        self.kind
    }

    /// Group title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The admin (creator).
    pub fn admin(&self) -> &AccountId {
        &self.admin
    }

    /// Invited accounts (joined or not).
    pub fn members(&self) -> &BTreeSet<AccountId> {
        &self.invited
    }

    /// Whether `account` has joined.
    pub fn has_joined(&self, account: &AccountId) -> bool {
        self.joined.contains(account)
    }

    /// The current heads, sorted.
    pub fn heads(&self) -> Vec<CommitId> {
        self.heads.iter().copied().collect()
    }

    /// Whether the commit is applied here.
    pub fn contains(&self, id: &CommitId) -> bool {
        self.nodes.contains_key(id)
    }

    /// Applied commits.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Never: a conversation holds at least its `Create`.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Whether a message was deleted for everyone.
    pub fn is_deleted(&self, id: &CommitId) -> bool {
        self.deleted.contains(id)
    }

    /// The account that wrote a commit held here.
    pub fn author_of(&self, id: &CommitId) -> Option<&AccountId> {
        self.nodes.get(id).map(|node| &node.author)
    }

    /// Offers a verified commit. `revoked` says whether a device (peer id) is revoked.
    pub fn offer(&mut self, commit: VerifiedCommit, revoked: &dyn Fn(&str) -> bool) -> Offer {
        if self.nodes.contains_key(&commit.id) || self.pending.contains_key(&commit.id) {
            return Offer::Duplicate;
        }
        if commit.content.conversation != Some(self.id) {
            return Offer::Rejected(Rejection::WrongConversation);
        }
        if revoked(&commit.device) {
            return Offer::Rejected(Rejection::RevokedDevice(commit.device.clone()));
        }
        let missing: Vec<CommitId> = commit
            .content
            .parents
            .iter()
            .filter(|parent| !self.nodes.contains_key(parent))
            .copied()
            .collect();
        if !missing.is_empty() {
            if self.pending.len() >= MAX_PENDING {
                return Offer::Rejected(Rejection::PendingFull);
            }
            for parent in &missing {
                self.waiting_on.entry(*parent).or_default().push(commit.id);
            }
            self.pending.insert(commit.id, commit);
            return Offer::Pending(missing);
        }
        if let Err(rejection) = self.check(&commit) {
            return Offer::Rejected(rejection);
        }
        let mut applied = Vec::new();
        self.apply(commit, &mut applied);
        self.release_waiting(&mut applied, revoked);
        Offer::Applied(applied)
    }

    /// Re-applies a stored commit without judging it again (loading from the database, in
    /// stored order).
    pub fn restore(&mut self, commit: VerifiedCommit) {
        if self.nodes.contains_key(&commit.id) || commit.content.conversation != Some(self.id) {
            return;
        }
        let mut sink = Vec::new();
        self.apply(commit, &mut sink);
    }

    /// Applied commits the holder of `have` (its heads) lacks, in causal order, at most
    /// `limit`; and whether more remain.
    pub fn missing_for(&self, have: &[CommitId], limit: usize) -> (Vec<CommitId>, bool) {
        let mut known: HashSet<CommitId> = HashSet::new();
        let mut stack: Vec<CommitId> = have
            .iter()
            .filter(|id| self.nodes.contains_key(id))
            .copied()
            .collect();
        while let Some(id) = stack.pop() {
            if !known.insert(id) {
                continue;
            }
            if let Some(node) = self.nodes.get(&id) {
                stack.extend(node.parents.iter().copied());
            }
        }
        let mut out = Vec::new();
        for id in &self.order {
            if known.contains(id) {
                continue;
            }
            if out.len() == limit {
                return (out, true);
            }
            out.push(*id);
        }
        (out, false)
    }

    fn check(&self, commit: &VerifiedCommit) -> Result<(), Rejection> {
        let author = &commit.content.author;
        let group = self.kind == ConversationKind::Group;
        match &commit.content.body {
            CommitBody::Create { .. } => Err(Rejection::Invalid("a second Create".into())),
            CommitBody::Join => {
                if self.invited.contains(author) {
                    Ok(())
                } else {
                    Err(Rejection::NotMember(author.clone()))
                }
            }
            CommitBody::AddMember(_) if !group => Err(Rejection::Invalid(
                "nobody can be added to a one-to-one conversation".into(),
            )),
            CommitBody::AddMember(_) => {
                if author == &self.admin {
                    Ok(())
                } else {
                    Err(Rejection::NotAdmin(author.clone()))
                }
            }
            CommitBody::RemoveMember(whom) => {
                if author == &self.admin || (whom == author && self.joined.contains(author)) {
                    Ok(())
                } else {
                    Err(Rejection::NotAdmin(author.clone()))
                }
            }
            CommitBody::Text(_) | CommitBody::File(_) | CommitBody::Call(_) => {
                self.require_joined(author)
            }
            CommitBody::Edit { target, .. } | CommitBody::Delete(target) => {
                self.require_joined(author)?;
                match self.nodes.get(target) {
                    Some(node) if &node.author == author => Ok(()),
                    Some(_) => Err(Rejection::Invalid(
                        "only the author may edit or delete a message".into(),
                    )),
                    None => Err(Rejection::Invalid(
                        "edit or delete of an unknown message".into(),
                    )),
                }
            }
        }
    }

    fn require_joined(&self, author: &AccountId) -> Result<(), Rejection> {
        if self.joined.contains(author) {
            Ok(())
        } else {
            Err(Rejection::NotMember(author.clone()))
        }
    }

    fn apply(&mut self, commit: VerifiedCommit, applied: &mut Vec<VerifiedCommit>) {
        self.insert(&commit);
        applied.push(commit);
    }

    fn insert(&mut self, commit: &VerifiedCommit) {
        let author = commit.content.author.clone();
        match &commit.content.body {
            CommitBody::Join => {
                self.joined.insert(author.clone());
            }
            CommitBody::AddMember(whom) => {
                self.invited.insert(whom.clone());
            }
            CommitBody::RemoveMember(whom) => {
                self.invited.remove(whom);
                self.joined.remove(whom);
            }
            CommitBody::Delete(target) => {
                self.deleted.insert(*target);
            }
            _ => {}
        }
        for parent in &commit.content.parents {
            self.heads.remove(parent);
        }
        self.heads.insert(commit.id);
        self.nodes.insert(
            commit.id,
            Node {
                parents: commit.content.parents.clone(),
                author,
            },
        );
        self.order.push(commit.id);
    }

    /// Applies waiting commits whose parents are now all here.
    fn release_waiting(
        &mut self,
        applied: &mut Vec<VerifiedCommit>,
        revoked: &dyn Fn(&str) -> bool,
    ) {
        let mut cursor = 0;
        while cursor < applied.len() {
            let id = applied.get(cursor).map(|commit| commit.id);
            cursor += 1;
            let Some(children) = id.and_then(|id| self.waiting_on.remove(&id)) else {
                continue;
            };
            for child in children {
                let ready = self.pending.get(&child).is_some_and(|commit| {
                    commit
                        .content
                        .parents
                        .iter()
                        .all(|parent| self.nodes.contains_key(parent))
                });
                if !ready {
                    continue;
                }
                let Some(commit) = self.pending.remove(&child) else {
                    continue;
                };
                if revoked(&commit.device) || self.check(&commit).is_err() {
                    // Refused now that its parents are known; it stays out.
                    continue;
                }
                self.apply(commit, applied);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::tests::TestDevice;

    fn never(_: &str) -> bool {
        false
    }

    fn one_to_one(alice: &TestDevice, bob: &TestDevice) -> (Conversation, VerifiedCommit) {
        let create = alice.commit(
            None,
            vec![],
            1,
            CommitBody::Create {
                kind: ConversationKind::OneToOne,
                members: vec![alice.id(), bob.id()],
                title: String::new(),
            },
        );
        (Conversation::new(&create).unwrap(), create)
    }

    fn applied(offer: Offer) -> Vec<CommitId> {
        match offer {
            Offer::Applied(commits) => commits.iter().map(|commit| commit.id).collect(),
            other => panic!("not applied: {other:?}"),
        }
    }

    #[test]
    fn commits_wait_for_their_parents_and_apply_in_causal_order() {
        let (alice, bob) = (TestDevice::new(1), TestDevice::new(2));
        let (mut conv, create) = one_to_one(&alice, &bob);
        let root = create.id;
        let join = bob.commit(Some(root), vec![root], 2, CommitBody::Join);
        let first = alice.commit(Some(root), vec![join.id], 3, CommitBody::Text("1".into()));
        let second = bob.commit(Some(root), vec![first.id], 4, CommitBody::Text("2".into()));

        assert_eq!(
            conv.offer(second.clone(), &never),
            Offer::Pending(vec![first.id])
        );
        assert_eq!(
            conv.offer(first.clone(), &never),
            Offer::Pending(vec![join.id])
        );
        assert_eq!(conv.offer(second.clone(), &never), Offer::Duplicate);
        assert_eq!(
            applied(conv.offer(join.clone(), &never)),
            vec![join.id, first.id, second.id]
        );
        assert_eq!(conv.heads(), vec![second.id]);
        assert_eq!(conv.offer(first, &never), Offer::Duplicate);
        assert_eq!(conv.len(), 4);
    }

    #[test]
    fn concurrent_branches_make_two_heads_and_a_merge_joins_them() {
        let (alice, bob) = (TestDevice::new(3), TestDevice::new(4));
        let (mut conv, create) = one_to_one(&alice, &bob);
        let root = create.id;
        let join = bob.commit(Some(root), vec![root], 2, CommitBody::Join);
        applied(conv.offer(join.clone(), &never));
        let a = alice.commit(Some(root), vec![join.id], 3, CommitBody::Text("a".into()));
        let b = bob.commit(Some(root), vec![join.id], 3, CommitBody::Text("b".into()));
        applied(conv.offer(a.clone(), &never));
        applied(conv.offer(b.clone(), &never));
        let mut both = vec![a.id, b.id];
        both.sort();
        assert_eq!(conv.heads(), both);
        let merge = alice.commit(Some(root), both.clone(), 4, CommitBody::Text("m".into()));
        applied(conv.offer(merge.clone(), &never));
        assert_eq!(conv.heads(), vec![merge.id]);

        // A replica that has the root and join lacks a, b and the merge, in that order.
        let (missing, more) = conv.missing_for(&[join.id], 10);
        assert!(!more);
        assert_eq!(missing, vec![a.id, b.id, merge.id]);
        let (page, more) = conv.missing_for(&[join.id], 2);
        assert!(more);
        assert_eq!(page.len(), 2);
        assert_eq!(conv.missing_for(&[merge.id], 10), (vec![], false));
        // Unknown heads count as nothing known.
        assert_eq!(conv.missing_for(&[CommitId([9; 32])], 100).0.len(), 5);
    }

    #[test]
    fn membership_rules_hold() {
        let (alice, bob, eve) = (TestDevice::new(5), TestDevice::new(6), TestDevice::new(7));
        let (mut conv, create) = one_to_one(&alice, &bob);
        let root = create.id;
        // Bob has not joined yet: he cannot write.
        let early = bob.commit(Some(root), vec![root], 2, CommitBody::Text("x".into()));
        assert_eq!(
            conv.offer(early, &never),
            Offer::Rejected(Rejection::NotMember(bob.id()))
        );
        // Eve was never invited.
        let intruder = eve.commit(Some(root), vec![root], 2, CommitBody::Join);
        assert_eq!(
            conv.offer(intruder, &never),
            Offer::Rejected(Rejection::NotMember(eve.id()))
        );
        let add = alice.commit(Some(root), vec![root], 2, CommitBody::AddMember(eve.id()));
        assert!(matches!(
            conv.offer(add, &never),
            Offer::Rejected(Rejection::Invalid(_))
        ));
        let join = bob.commit(Some(root), vec![root], 3, CommitBody::Join);
        applied(conv.offer(join.clone(), &never));
        let text = alice.commit(Some(root), vec![join.id], 4, CommitBody::Text("t".into()));
        applied(conv.offer(text.clone(), &never));
        // Bob may not delete Alice's message; Alice may.
        let theft = bob.commit(Some(root), vec![text.id], 5, CommitBody::Delete(text.id));
        assert!(matches!(
            conv.offer(theft, &never),
            Offer::Rejected(Rejection::Invalid(_))
        ));
        let delete = alice.commit(Some(root), vec![text.id], 5, CommitBody::Delete(text.id));
        applied(conv.offer(delete, &never));
        assert!(conv.is_deleted(&text.id));
        // A revoked device is refused.
        let revoked_device = bob.certificate.device_id.clone();
        let late = bob.commit(Some(root), vec![text.id], 6, CommitBody::Text("r".into()));
        assert_eq!(
            conv.offer(late, &|device| device == revoked_device),
            Offer::Rejected(Rejection::RevokedDevice(bob.certificate.device_id.clone()))
        );
    }

    #[test]
    fn group_admin_adds_and_removes_and_members_may_leave() {
        let (alice, bob, carol) = (TestDevice::new(8), TestDevice::new(9), TestDevice::new(10));
        let create = alice.commit(
            None,
            vec![],
            1,
            CommitBody::Create {
                kind: ConversationKind::Group,
                members: vec![alice.id(), bob.id()],
                title: "team".into(),
            },
        );
        let mut conv = Conversation::new(&create).unwrap();
        let root = create.id;
        let join = bob.commit(Some(root), vec![root], 2, CommitBody::Join);
        applied(conv.offer(join.clone(), &never));
        let by_bob = bob.commit(
            Some(root),
            vec![join.id],
            3,
            CommitBody::AddMember(carol.id()),
        );
        assert_eq!(
            conv.offer(by_bob, &never),
            Offer::Rejected(Rejection::NotAdmin(bob.id()))
        );
        let add = alice.commit(
            Some(root),
            vec![join.id],
            3,
            CommitBody::AddMember(carol.id()),
        );
        applied(conv.offer(add.clone(), &never));
        assert!(conv.members().contains(&carol.id()));
        let leave = bob.commit(
            Some(root),
            vec![add.id],
            4,
            CommitBody::RemoveMember(bob.id()),
        );
        applied(conv.offer(leave.clone(), &never));
        assert!(!conv.members().contains(&bob.id()));
        let after = bob.commit(Some(root), vec![leave.id], 5, CommitBody::Text("x".into()));
        assert_eq!(
            conv.offer(after, &never),
            Offer::Rejected(Rejection::NotMember(bob.id()))
        );
        assert_eq!(conv.title(), "team");
    }
}
