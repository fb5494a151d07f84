//! Conversation sync: writing commits, judging and storing what arrives, pushing to the
//! members' devices, and the heads/fetch exchange that fills gaps.

use std::collections::{HashMap, HashSet};

use libp2p::PeerId;

use super::{FETCH_PAGE, Outstanding, is_unknown_group, unix_ms_now, verify_all};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event};
use crate::model::{AccountId, ConversationId, ConversationInfo};
use crate::p2p::commit::{
    self, CommitBody, CommitContent, CommitId, ConversationKind, SignedCommit, VerifiedCommit,
};
use crate::p2p::dag::{Conversation, Offer};
use crate::p2p::files::FileOffer;
use crate::p2p::records;
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request, Response};
use crate::store::{MessageRecord, StoredCommit, p2p_conversation_id};

impl EngineCore {
    /// Signs a commit following the conversation's current heads.
    pub(super) fn write_commit(
        &self,
        id: &AccountId,
        conversation: Option<CommitId>,
        body: CommitBody,
    ) -> Result<VerifiedCommit, Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let parents = match conversation {
            Some(root) => account
                .conversations
                .get(&root)
                .map(Conversation::heads)
                .ok_or("no such conversation")?,
            None => Vec::new(),
        };
        let content = CommitContent {
            conversation,
            parents,
            author: id.clone(),
            time_ms: unix_ms_now(),
            body,
        };
        commit::sign(&account.device, &account.certificate, content)
            .map_err(|err| Failure::Said(err.to_string()))
    }

    /// Sends commits to the online devices of the conversation's members and our own.
    pub(super) fn push(
        &mut self,
        id: &AccountId,
        conversation: CommitId,
        commits: Vec<SignedCommit>,
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(members) = account
            .conversations
            .get(&conversation)
            .map(|conversation| conversation.members().clone())
        else {
            return;
        };
        let mut accounts: HashSet<AccountId> = members.into_iter().collect();
        accounts.insert(id.clone());
        let online: Vec<(PeerId, AccountId)> = account
            .online
            .iter()
            .filter(|(_, member)| accounts.contains(member))
            .map(|(peer, member)| (*peer, member.clone()))
            .collect();
        for (peer, member) in online {
            account.outbox.queue(peer, &member, commits.iter().cloned());
            account.flush_outbox(peer);
        }
        let has_other_devices = account.devices.get(id).is_some_and(|d| !d.is_empty());
        let offline: Vec<AccountId> = accounts
            .into_iter()
            .filter(|member| {
                (member != id || has_other_devices)
                    && !account.online.values().any(|online| online == member)
            })
            .collect();
        for member in offline {
            // Left in its DHT inbox at the next tick, and looked for meanwhile.
            account
                .mailbox
                .hold(member.clone(), commits.iter().cloned());
        }
        for member in account.mailbox.held_for() {
            self.reach_out(id, &member, false);
        }
    }

    /// Judges, stores and reports commits (verified by the caller). Returns the
    /// conversations that still miss parents.
    pub(super) fn apply_commits(
        &mut self,
        id: &AccountId,
        commits: Vec<VerifiedCommit>,
        from: Option<&AccountId>,
    ) -> Vec<CommitId> {
        let mut gaps = Vec::new();
        for commit in commits {
            let root = commit.conversation();
            let Some(account) = self.p2p.get_mut(id) else {
                return gaps;
            };
            let applied = if let Some(conversation) = account.conversations.get_mut(&root) {
                let revoked = |device: &str| account.revoked.contains(device);
                match conversation.offer(commit, &revoked) {
                    Offer::Applied(applied) => applied,
                    Offer::Pending(_) => {
                        gaps.push(root);
                        continue;
                    }
                    Offer::Duplicate => continue,
                    Offer::Rejected(reason) => {
                        tracing::info!(%reason, "commit rejected");
                        self.p2p_rejected += 1;
                        continue;
                    }
                }
            } else {
                match Conversation::new(&commit) {
                    Ok(conversation) => {
                        account.conversations.insert(root, conversation);
                        vec![commit]
                    }
                    Err(reason) => {
                        tracing::info!(%reason, "conversation rejected");
                        self.p2p_rejected += 1;
                        continue;
                    }
                }
            };
            if let Err(error) = self.store_applied(id, root, &applied, from) {
                self.fail(None, error);
            }
        }
        gaps.sort();
        gaps.dedup();
        gaps
    }

    /// Writes applied commits (and their messages) in one transaction, then reports them.
    pub(super) fn store_applied(
        &mut self,
        id: &AccountId,
        root: CommitId,
        applied: &[VerifiedCommit],
        from: Option<&AccountId>,
    ) -> Result<(), Failure> {
        let Some(conversation) = self.p2p.get(id).and_then(|a| a.conversations.get(&root)) else {
            return Ok(());
        };
        let local_id = p2p_conversation_id(id, &root.to_hex());
        let peer = conversation
            .members()
            .iter()
            .find(|member| *member != id)
            .cloned()
            .unwrap_or_else(|| id.clone());
        let kind = conversation.kind();
        let title = conversation.title().to_owned();
        // What the window calls it: a one-to-one conversation goes by its peer's name.
        let shown_title = match title.as_str() {
            "" if kind == ConversationKind::OneToOne => self.store.peer_title(id, &peer.0),
            _ => title.clone(),
        };
        let mut messages = Vec::new();
        // Edits and deletions applied here: (message, new text), told to the window.
        let mut edits: Vec<(String, Option<String>)> = Vec::new();
        let mut offers: Vec<(&VerifiedCommit, &FileOffer)> = Vec::new();
        // Messages that came from another account's device: their authors hear they arrived.
        let mut delivered: HashMap<AccountId, Vec<CommitId>> = HashMap::new();
        let from_network = from.is_some_and(|from| from != id);
        let now_ms = unix_ms_now() as i64;
        let mut created = false;
        self.store
            .atomically(|store| {
                created = store.ensure_conversation(
                    &local_id,
                    id,
                    kind.name(),
                    &title,
                    (kind == ConversationKind::OneToOne).then_some(peer.0.as_str()),
                    now_ms,
                )?;
                for commit in applied {
                    store.insert_commit(&StoredCommit {
                        conversation_id: local_id.clone(),
                        id: commit.id.to_hex(),
                        raw: commit.signed.to_bytes(),
                    })?;
                    let author = &commit.content.author;
                    // What the conversation shows for this commit, saying `body`.
                    let message_of = |body: String| MessageRecord {
                        conversation_id: local_id.clone(),
                        commit_id: Some(commit.id.to_hex()),
                        author: author.0.clone(),
                        body,
                        sent_at: commit.content.time_ms as i64,
                        outgoing: author == id,
                        ..MessageRecord::default()
                    };
                    match &commit.content.body {
                        CommitBody::Text(text) => {
                            let record = message_of(text.clone());
                            if store.insert_message(&record)?.is_some() {
                                messages.push(record);
                                if from_network && author != id {
                                    delivered.entry(author.clone()).or_default().push(commit.id);
                                }
                            }
                        }
                        CommitBody::Call(log) => {
                            let record = message_of(log.summary());
                            if store.insert_message(&record)?.is_some() {
                                messages.push(record);
                            }
                        }
                        CommitBody::Edit { target, text } => {
                            store.update_message(&local_id, &target.to_hex(), Some(text))?;
                            edits.push((target.to_hex(), Some(text.clone())));
                        }
                        CommitBody::Delete(target) => {
                            store.update_message(&local_id, &target.to_hex(), None)?;
                            edits.push((target.to_hex(), None));
                        }
                        CommitBody::File(offer) => {
                            let record = message_of(super::files::file_message(offer));
                            if store.insert_message(&record)?.is_some() {
                                messages.push(record);
                                offers.push((commit, offer));
                                if from_network && author != id {
                                    delivered.entry(author.clone()).or_default().push(commit.id);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Ok(())
            })
            .map_err(|err| err.to_string())?;
        self.send_receipts(id, root, delivered, false);
        if kind == ConversationKind::OneToOne {
            self.converge_contact(id, root, &peer);
        }
        for (commit, offer) in offers {
            self.on_file_offered(id, root, commit, offer);
        }
        // Where the window sends replies: the contact, or the group.
        let send_to = match kind {
            ConversationKind::OneToOne => peer.0.clone(),
            _ => root.to_hex(),
        };
        // A new conversation is listed at once (a contact just asked or added, a group
        // just made), not only when its first message comes.
        if created {
            self.events.emit(Event::ConversationAdded {
                conversation: ConversationInfo {
                    id: ConversationId(local_id.clone()),
                    account: id.clone(),
                    title: shown_title.clone(),
                    last_message: None,
                    peer: Some(send_to.clone()),
                    last_activity_ms: now_ms,
                    unread: 0,
                },
            });
        }
        for (commit, text) in edits {
            self.events.emit(Event::MessageEdited {
                conversation: ConversationId(local_id.clone()),
                commit,
                text,
            });
        }
        for message in messages {
            self.events.emit(Event::MessageAdded {
                conversation: ConversationInfo {
                    id: ConversationId(local_id.clone()),
                    account: id.clone(),
                    title: shown_title.clone(),
                    last_message: Some(message.body.clone()),
                    peer: Some(send_to.clone()),
                    last_activity_ms: message.sent_at,
                    unread: 0,
                },
                peer: if message.outgoing {
                    peer.0.clone()
                } else {
                    message.author.clone()
                },
                text: message.body,
                outgoing: message.outgoing,
                sent_at_ms: message.sent_at,
                commit: message.commit_id,
            });
        }
        Ok(())
    }

    pub(super) fn fetch(&mut self, id: &AccountId, peer: PeerId, conversation: CommitId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !account.asked.start_fetch(peer, conversation) {
            return;
        }
        // An unknown conversation (from another device of ours) is fetched whole.
        let have = account
            .conversations
            .get(&conversation)
            .map(Conversation::heads)
            .unwrap_or_default();
        account.send(
            peer,
            Request::Fetch { conversation, have },
            Outstanding::Fetch { conversation },
        );
    }

    pub(super) fn on_request(
        &mut self,
        id: &AccountId,
        peer: PeerId,
        from: &AccountId,
        request: Request,
    ) -> Response {
        let own = from == id;
        if !own && super::contacts::shut_out(&self.store.contact_state(id, &from.0)) {
            // Dropped silently: the sender cannot tell a block from an offline device.
            self.p2p_blocked += 1;
            return Response::Ack;
        }
        match request {
            Request::Hello { .. } => Response::Refused("hello twice".into()),
            Request::Picture { hash } => self.serve_picture(id, &hash),
            Request::DeviceList { record } => match records::open_device_list(from, &record) {
                Ok(list) => {
                    self.learn_revocations(id, from, &list.revoked);
                    if !own {
                        self.learn_profile(id, peer, from, &list);
                    }
                    if own {
                        for entry in &list.devices {
                            self.adopt_own_device(id, &entry.certificate);
                        }
                        self.learn_own_picture(id, peer, &list);
                    }
                    Response::Ack
                }
                Err(err) => {
                    self.p2p_rejected += 1;
                    Response::Refused(err.to_string())
                }
            },
            Request::ContactRequest { name, commits } => {
                self.on_contact_request(id, from, &name, commits)
            }
            Request::Invite { commits } => self.on_invite(id, from, commits),
            Request::Push { commits } if is_unknown_group(self.p2p.get(id), &commits) => {
                // An invitation that came as a letter.
                self.on_invite(id, from, commits)
            }
            Request::Push { commits } => {
                let verified = verify_all(commits, &mut self.p2p_rejected);
                let allowed: Vec<VerifiedCommit> = verified
                    .into_iter()
                    .filter(|commit| self.may_share(id, from, commit.conversation()))
                    .collect();
                let gaps = self.apply_commits(id, allowed, Some(from));
                for conversation in gaps {
                    self.fetch(id, peer, conversation);
                }
                Response::Ack
            }
            Request::Heads {
                conversation,
                heads,
            } => {
                let known = self
                    .p2p
                    .get(id)
                    .is_some_and(|account| account.conversations.contains_key(&conversation));
                if own && !known {
                    // Another device of ours has a conversation this one lacks: all of it.
                    self.fetch(id, peer, conversation);
                    return Response::Ack;
                }
                if !self.may_share(id, from, conversation) {
                    return Response::Refused("not a member".into());
                }
                let Some(account) = self.p2p.get_mut(id) else {
                    return Response::Ack;
                };
                let Some(ours) = account.conversations.get(&conversation) else {
                    return Response::Ack;
                };
                let missing = heads.iter().any(|head| !ours.contains(head));
                let ahead = ours.heads() != heads;
                if missing {
                    self.fetch(id, peer, conversation);
                } else if ahead {
                    // We hold everything they have and more: tell them our heads so they
                    // fetch (a peer that restarted may not have heard them yet).
                    account.send_heads(peer, conversation);
                }
                Response::Ack
            }
            Request::Fetch { conversation, have } => {
                if !own && !self.may_share(id, from, conversation) {
                    return Response::Refused("not a member".into());
                }
                self.answer_fetch(id, conversation, &have)
            }
            Request::Receipt {
                conversation,
                commits,
                read,
            } => self.on_receipt(id, from, conversation, &commits, read),
            Request::Typing {
                conversation,
                typing,
            } => self.on_typing(id, from, conversation, typing),
            Request::FileManifest { file } => self.serve_manifest(id, from, file),
            Request::CallElsewhere { .. } if !own => {
                Response::Refused("only the account's own devices say this".into())
            }
            Request::CallElsewhere {
                peer: other,
                active,
            } => {
                self.on_call_elsewhere(id, peer, other, active);
                Response::Ack
            }
        }
    }

    /// Whether `from` may read and write `conversation` here.
    pub(super) fn may_share(
        &self,
        id: &AccountId,
        from: &AccountId,
        conversation: CommitId,
    ) -> bool {
        self.p2p
            .get(id)
            .and_then(|account| account.conversations.get(&conversation))
            .is_some_and(|c| from == id || c.members().contains(from))
    }

    pub(super) fn answer_fetch(
        &self,
        id: &AccountId,
        conversation: CommitId,
        have: &[CommitId],
    ) -> Response {
        let Some(state) = self
            .p2p
            .get(id)
            .and_then(|a| a.conversations.get(&conversation))
        else {
            return Response::Refused("unknown conversation".into());
        };
        let (ids, more) = state.missing_for(have, FETCH_PAGE.min(MAX_COMMITS_PER_MESSAGE));
        let local_id = p2p_conversation_id(id, &conversation.to_hex());
        let mut commits = Vec::with_capacity(ids.len());
        for commit in ids {
            match self.store.commit_raw(&local_id, &commit.to_hex()) {
                Ok(Some(raw)) => match SignedCommit::from_bytes(&raw) {
                    Ok(signed) => commits.push(signed),
                    Err(_) => return Response::Refused("a stored commit is unreadable".into()),
                },
                _ => return Response::Refused("a commit is missing from the store".into()),
            }
        }
        Response::Commits { commits, more }
    }
}
