//! Contacts of a P2P account: requests (signed, sent directly and left in the inbox),
//! acceptance by joining the one-to-one conversation, decline, block; and the contact state
//! every device derives from that conversation.

use std::collections::HashSet;
use std::time::SystemTime;

use super::{
    CONTACT_REQUESTS_PER_MINUTE, ContactAnswer, Outstanding, clock, find_conversation,
    parse_account_id, verify_all,
};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event, RequestId};
use crate::model::{AccountId, ContactId, ContactInfo, ContactState};
use crate::p2p::commit::{CommitBody, CommitId, ConversationKind, SignedCommit};
use crate::p2p::dag::Conversation;
use crate::p2p::identity::unix_seconds;
use crate::p2p::wire::{Request, Response};
use crate::store::p2p_conversation_id;

impl EngineCore {
    /// `contact add` on a P2P account: a new one-to-one conversation and a request.
    pub(in crate::engine) fn add_p2p_contact(
        &mut self,
        request: RequestId,
        id: &AccountId,
        peer: &str,
        name: &str,
    ) -> Result<(), crate::engine::failure::Failure> {
        let Ok(peer) = parse_account_id(peer) else {
            // Not an account id: a registered name, looked up first.
            return self.query_name(
                request,
                id,
                peer,
                super::NameQuery::AddContact(name.to_owned()),
            );
        };
        if &peer == id {
            return Err(crate::model::Problem::new("problem-own-id", &[]).into());
        }
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let one_to_one = |conversation: &&Conversation| {
            conversation.kind() == ConversationKind::OneToOne
                && conversation.members().contains(&peer)
        };
        let existing = account.conversations.values().any(|c| one_to_one(&c));
        // Both already joined (a contact removed here, added again): a contact at once,
        // with nothing to ask.
        let joined = account
            .conversations
            .values()
            .filter(one_to_one)
            .any(|conversation| conversation.has_joined(id) && conversation.has_joined(&peer));
        if joined {
            let contact =
                self.set_contact(id, &peer, Some(name.trim()), ContactState::Confirmed)?;
            self.events.emit(Event::ContactAdded {
                request: Some(request),
                contact,
            });
            return Ok(());
        }
        if !existing {
            let create = self.write_commit(
                id,
                None,
                CommitBody::Create {
                    kind: ConversationKind::OneToOne,
                    members: vec![id.clone(), peer.clone()],
                    title: String::new(),
                },
            )?;
            self.apply_commits(id, vec![create], None);
        }
        let contact = self.set_contact(id, &peer, Some(name.trim()), ContactState::Requested)?;
        self.events.emit(Event::ContactAdded {
            request: Some(request),
            contact,
        });
        self.offer_contact_request(id, &peer);
        if let Some(account) = self.p2p.get_mut(id) {
            // Also left in the peer's inbox, in case it is offline (a repeat is harmless).
            account.mailbox.hold_request(peer.clone());
        }
        self.reach_out(id, &peer, true);
        Ok(())
    }

    /// `contact accept|decline|block|remove` on a P2P account.
    pub(in crate::engine) fn answer_p2p_contact(
        &mut self,
        id: &AccountId,
        peer: &str,
        answer: ContactAnswer,
    ) -> Result<ContactInfo, crate::engine::failure::Failure> {
        let peer = parse_account_id(peer)?;
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let state = match answer {
            ContactAnswer::Accept => ContactState::Confirmed,
            ContactAnswer::Decline => ContactState::Declined,
            ContactAnswer::Block => ContactState::Blocked,
        };
        if answer == ContactAnswer::Accept {
            let to_join: Vec<CommitId> = account
                .conversations
                .values()
                .filter(|conversation| {
                    conversation.members().contains(&peer)
                        && conversation.members().contains(id)
                        && !conversation.has_joined(id)
                })
                .map(Conversation::id)
                .collect();
            if to_join.is_empty()
                && self
                    .store
                    .contact_state(id, &peer.0)
                    .map_err(|e| e.to_string())?
                    .is_none()
            {
                return Err(Failure::NoContactRequest {
                    peer: peer.to_string(),
                });
            }
            for conversation in to_join {
                let join = self.write_commit(id, Some(conversation), CommitBody::Join)?;
                self.apply_commits(id, vec![join.clone()], None);
                self.push(id, conversation, vec![join.signed]);
            }
        }
        let contact = self.set_contact(id, &peer, None, state)?;
        self.events.emit(Event::ContactAdded {
            request: None,
            contact: contact.clone(),
        });
        Ok(contact)
    }

    /// A one-to-one conversation says what the contact is: both joined, confirmed; we
    /// created it, requested; they did, incoming. Every device of the account holds the
    /// same DAG, so they all reach the same state. A local block or decline stays.
    pub(super) fn converge_contact(&mut self, id: &AccountId, root: CommitId, peer: &AccountId) {
        let Some(conversation) = self.p2p.get(id).and_then(|a| a.conversations.get(&root)) else {
            return;
        };
        let derived = if conversation.has_joined(id) && conversation.has_joined(peer) {
            ContactState::Confirmed
        } else if conversation.admin() == id {
            ContactState::Requested
        } else {
            return; // An incoming request is recorded by `on_contact_request`.
        };
        let Ok(current) = self.store.contact_state(id, &peer.0) else {
            // Unreadable: leave it (it may be a block) until the next commit says it again.
            return;
        };
        let change = match current {
            None => true,
            Some(ContactState::Requested | ContactState::Incoming) => {
                derived == ContactState::Confirmed
            }
            _ => false,
        };
        if !change {
            return;
        }
        match self.set_contact(id, peer, None, derived) {
            Ok(contact) => self.events.emit(Event::ContactAdded {
                request: None,
                contact,
            }),
            Err(error) => self.fail(None, error),
        }
    }

    pub(in crate::engine) fn set_contact(
        &mut self,
        id: &AccountId,
        peer: &AccountId,
        name: Option<&str>,
        state: ContactState,
    ) -> Result<ContactInfo, Failure> {
        let (row, display_name) = self
            .store
            .set_contact_state(
                id,
                &peer.0,
                name,
                state,
                unix_seconds(SystemTime::now()) as i64,
            )
            .map_err(|err| err.to_string())?;
        Ok(ContactInfo {
            id: ContactId(row),
            account: id.clone(),
            uri: peer.0.clone(),
            display_name,
            state,
        })
    }

    /// Sends our pending contact request to the peer's online devices.
    pub(super) fn offer_contact_request(&mut self, id: &AccountId, peer: &AccountId) {
        let name = self
            .accounts
            .get(id)
            .map(|info| info.name.clone())
            .unwrap_or_default();
        let Some(account) = self.p2p.get(id) else {
            return;
        };
        let Some(conversation) = find_conversation(account, &peer.0) else {
            return;
        };
        let Ok(Some(raw)) = self.store.commit_raw(
            &p2p_conversation_id(id, &conversation.to_hex()),
            &conversation.to_hex(),
        ) else {
            return;
        };
        let Ok(create) = SignedCommit::from_bytes(&raw) else {
            return;
        };
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let targets = account.online_devices_of(&HashSet::from([peer.clone()]));
        for device in targets {
            account.send(
                device,
                Request::ContactRequest {
                    name: name.clone(),
                    commits: vec![create.clone()],
                },
                Outstanding::Plain,
            );
        }
    }

    pub(super) fn on_contact_request(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        name: &str,
        commits: Vec<SignedCommit>,
    ) -> Response {
        let Some(account) = self.p2p.get_mut(id) else {
            return Response::Refused("account offline".into());
        };
        // Only new requests count toward the limit: the same one comes again on every
        // meeting (and from the inbox) until it is answered.
        let repeat = commits
            .first()
            .and_then(|first| first.clone().trusted().ok())
            .is_some_and(|create| account.conversations.contains_key(&create.id));
        if !repeat
            && !account
                .pacing
                .contact_request(from, clock(), CONTACT_REQUESTS_PER_MINUTE)
        {
            self.p2p_rejected += 1;
            return Response::Refused("too many contact requests".into());
        }
        let Some(account) = self.p2p.get(id) else {
            return Response::Refused("account offline".into());
        };
        let verified = verify_all(commits, &mut self.p2p_rejected);
        let Some(create) = verified.first().cloned() else {
            return Response::Refused("no conversation in the request".into());
        };
        let valid = matches!(
            &create.content.body,
            CommitBody::Create { kind: ConversationKind::OneToOne, members, .. }
                if members.contains(id) && &create.content.author == from
        );
        if !valid {
            self.p2p_rejected += 1;
            return Response::Refused("not a contact request for this account".into());
        }
        let known = account.conversations.contains_key(&create.id);
        if !known {
            self.apply_commits(id, verified, Some(from));
        }
        let state = match self.store.contact_state(id, &from.0) {
            Ok(state) => state,
            Err(err) => {
                // Fail closed: an unreadable state could be a block.
                tracing::warn!(%err, "contact request ignored: cannot read the contact's state");
                return Response::Ack;
            }
        };
        if state.is_none() || state == Some(ContactState::Declined) && !known {
            let name = name.chars().take(128).collect::<String>();
            match self.set_contact(id, from, Some(name.trim()), ContactState::Incoming) {
                Ok(contact) => self.events.emit(Event::ContactAdded {
                    request: None,
                    contact,
                }),
                Err(error) => self.fail(None, error),
            }
        } else if matches!(
            state,
            Some(ContactState::Confirmed | ContactState::Requested)
        ) {
            // Already accepted (a repeat after our Join was lost), or we asked them too at
            // the same time: join their conversation as well.
            let root = create.id;
            let joined = self
                .p2p
                .get(id)
                .and_then(|a| a.conversations.get(&root))
                .is_some_and(|c| c.has_joined(id));
            if !joined && let Ok(join) = self.write_commit(id, Some(root), CommitBody::Join) {
                self.apply_commits(id, vec![join.clone()], None);
                self.push(id, root, vec![join.signed]);
            }
        }
        Response::Ack
    }
}

/// True when a peer must be kept out: blocked, or its state unreadable. A read that fails
/// must never let a blocked account through, so it counts as a block (and is logged).
pub(super) fn shut_out(state: &Result<Option<ContactState>, crate::store::StoreError>) -> bool {
    match state {
        Ok(state) => *state == Some(ContactState::Blocked),
        Err(err) => {
            tracing::warn!(%err, "peer kept out: cannot read its contact state");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shut_out;
    use crate::model::ContactState;

    #[test]
    fn a_failed_contact_state_read_keeps_the_peer_out() {
        assert!(shut_out(&Ok(Some(ContactState::Blocked))));
        assert!(!shut_out(&Ok(Some(ContactState::Confirmed))));
        assert!(!shut_out(&Ok(None)));
        let failed = Err(crate::store::StoreError::Sqlite {
            path: "ringlet.db".into(),
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                None,
            ),
        });
        assert!(shut_out(&failed));
    }
}
