//! Calling a group conversation: each other member who joined it is called (every online
//! device of theirs rings, as for a contact); who answers joins a conference hosted by the
//! caller, where each hears the others (mix-minus). The host can silence a participant
//! (`silence CALL on`) or hang up on it.

use super::*;
use crate::engine::failure::Failure;
use crate::model::CallId;

impl EngineCore {
    /// The group conversation `target` names (its id), if it is one of this account's.
    pub(super) fn group_of(&self, id: &AccountId, target: &str) -> Option<CommitId> {
        let root = CommitId::from_hex(target.trim())?;
        let conversation = self.p2p.get(id)?.conversations.get(&root)?;
        (conversation.kind() != ConversationKind::OneToOne).then_some(root)
    }

    /// Calls every other member of the group `root`; the first call carries `request`.
    pub(super) fn place_group_call(
        &mut self,
        request: RequestId,
        id: &AccountId,
        root: CommitId,
    ) -> Result<(), Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let conversation = account
            .conversations
            .get(&root)
            .ok_or_else(|| format!("no group {root}"))?;
        if !conversation.has_joined(id) {
            return Err(Failure::NotInGroup {
                group: root.to_string(),
            });
        }
        let members: Vec<AccountId> = conversation
            .members()
            .iter()
            .filter(|member| *member != id && conversation.has_joined(member))
            .cloned()
            .collect();
        if members.is_empty() {
            return Err(Failure::GroupEmpty {
                group: root.to_string(),
            });
        }
        let mut request = Some(request);
        for member in members {
            let call = self.call_contact(request.take(), id, &member)?;
            if let Some(account) = self.p2p.get_mut(id) {
                account.calls.add_leg(call, root);
            }
        }
        Ok(())
    }

    /// Whether `from` is, with us, a joined member of one of our groups (and so may call
    /// us, as a group call rings every member).
    pub(super) fn shares_group(&self, id: &AccountId, from: &AccountId) -> bool {
        self.p2p.get(id).is_some_and(|account| {
            account.conversations.values().any(|conversation| {
                conversation.kind() != ConversationKind::OneToOne
                    && conversation.has_joined(id)
                    && conversation.has_joined(from)
            })
        })
    }

    /// A leg of a group call has media: it joins the legs that have, in one conference.
    pub(in crate::engine) fn join_group_call(&mut self, call: CallId) {
        let legs: Vec<CallId> = self
            .p2p
            .values()
            .map(|account| account.calls.legs_with(call))
            .find(|legs| !legs.is_empty())
            .unwrap_or_default();
        let with_media: Vec<CallId> = legs
            .into_iter()
            .filter(|leg| self.calls.has_media(*leg))
            .collect();
        if with_media.len() >= 2 {
            self.conference(with_media, true);
        }
    }

    /// A call ended: it is no longer a leg of a group call.
    pub(in crate::engine) fn forget_group_leg(&mut self, id: &AccountId, call: CallId) {
        if let Some(account) = self.p2p.get_mut(id) {
            account.calls.forget_leg(call);
        }
    }
}
