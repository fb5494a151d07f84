//! What surrounds messages in P2P conversations: edits and deletions for everyone (commits,
//! which the DAG lets only the author write), delivered and read receipts, and the typing
//! indicator (both device-to-device notes, never stored as commits).
//!
//! Receipts are best effort: a device that stores a message from the network tells the
//! author's online devices it has it (`delivered`); marking a conversation read tells them
//! it was shown (`read`). An author with no device online then does not hear of it.

use std::collections::HashMap;

use super::Outstanding;
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event};
use crate::model::{AccountId, ConversationId};
use crate::p2p::commit::{CommitBody, CommitId};
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request, Response};
use crate::store::p2p_conversation_id;

impl EngineCore {
    /// `message-edit` / `message-delete`: a new text for one of our messages, or its
    /// deletion for everyone (`text` `None`).
    pub(in crate::engine) fn edit_p2p_message(
        &mut self,
        id: &AccountId,
        peer: &str,
        message: &str,
        text: Option<&str>,
    ) -> Result<(), Failure> {
        let (account, root) = self.online_conversation(id, peer)?;
        let target = CommitId::from_hex(message.trim())
            .ok_or_else(|| format!("{message:?} is not a message id"))?;
        let conversation = account
            .conversations
            .get(&root)
            .ok_or("no such conversation")?;
        match conversation.author_of(&target) {
            Some(author) if author == id => {}
            Some(_) => return Err(Failure::AuthorOnly),
            None => return Err(Failure::NoMessage(message.to_string())),
        }
        if conversation.is_deleted(&target) {
            return Err(Failure::MessageDeleted);
        }
        let body = match text {
            Some(text) => CommitBody::Edit {
                target,
                text: text.to_owned(),
            },
            None => CommitBody::Delete(target),
        };
        let commit = self.write_commit(id, Some(root), body)?;
        self.apply_commits(id, vec![commit.clone()], None);
        self.push(id, root, vec![commit.signed]);
        Ok(())
    }

    /// `read ACCOUNT ID`: marks the conversation's messages read here and tells their
    /// authors' online devices. Returns how many were marked.
    pub(in crate::engine) fn mark_p2p_read(
        &mut self,
        id: &AccountId,
        peer: &str,
    ) -> Result<usize, Failure> {
        let (_, root) = self.online_conversation(id, peer)?;
        let local = p2p_conversation_id(id, &root.to_hex());
        let unread = self.store.unread(&local).map_err(|err| err.to_string())?;
        let commits: Vec<String> = unread.iter().map(|(commit, _)| commit.clone()).collect();
        self.store
            .set_receipts(&local, &commits, "read", false)
            .map_err(|err| err.to_string())?;
        let mut by_author: HashMap<AccountId, Vec<CommitId>> = HashMap::new();
        for (commit, author) in unread {
            if let Some(commit) = CommitId::from_hex(&commit) {
                by_author.entry(AccountId(author)).or_default().push(commit);
            }
        }
        self.send_receipts(id, root, by_author, true);
        Ok(commits.len())
    }

    /// Tells each author's online devices that their messages are here (or were read).
    pub(super) fn send_receipts(
        &mut self,
        id: &AccountId,
        conversation: CommitId,
        by_author: HashMap<AccountId, Vec<CommitId>>,
        read: bool,
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        for (author, commits) in by_author {
            if &author == id {
                continue;
            }
            let devices: Vec<libp2p::PeerId> = account
                .online
                .iter()
                .filter(|(_, online)| **online == author)
                .map(|(peer, _)| *peer)
                .collect();
            if devices.is_empty() {
                // The author hears of them from its inbox when it returns.
                account
                    .mailbox
                    .hold_receipts(author, (conversation, read), commits);
                continue;
            }
            for device in devices {
                for chunk in commits.chunks(MAX_COMMITS_PER_MESSAGE) {
                    account.send(
                        device,
                        Request::Receipt {
                            conversation,
                            commits: chunk.to_vec(),
                            read,
                        },
                        Outstanding::Plain,
                    );
                }
            }
        }
    }

    /// A member's device says it has (or has shown) some of our messages.
    pub(super) fn on_receipt(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        conversation: CommitId,
        commits: &[CommitId],
        read: bool,
    ) -> Response {
        if !self.may_share(id, from, conversation) {
            return Response::Refused("not a member".into());
        }
        let local = p2p_conversation_id(id, &conversation.to_hex());
        let hex: Vec<String> = commits.iter().map(CommitId::to_hex).collect();
        let receipt = if read { "read" } else { "delivered" };
        match self.store.set_receipts(&local, &hex, receipt, true) {
            Ok(0) => {}
            Ok(_) => self.events.emit(Event::Receipt {
                account: id.clone(),
                conversation: ConversationId(local),
                commits: hex,
                receipt: receipt.into(),
            }),
            Err(err) => tracing::warn!(%err, "cannot record a receipt"),
        }
        Response::Ack
    }

    /// `typing ACCOUNT ID on|off`: tells the other members' online devices.
    pub(in crate::engine) fn set_p2p_typing(
        &mut self,
        id: &AccountId,
        peer: &str,
        typing: bool,
    ) -> Result<(), Failure> {
        let (account, root) = self.online_conversation(id, peer)?;
        let members = account
            .conversations
            .get(&root)
            .map(|conversation| conversation.members().clone())
            .unwrap_or_default();
        let devices: Vec<libp2p::PeerId> = account
            .online
            .iter()
            .filter(|(_, member)| *member != id && members.contains(*member))
            .map(|(peer, _)| *peer)
            .collect();
        for device in devices {
            account.send(
                device,
                Request::Typing {
                    conversation: root,
                    typing,
                },
                Outstanding::Plain,
            );
        }
        Ok(())
    }

    /// A member is typing (or stopped) in a conversation.
    pub(super) fn on_typing(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        conversation: CommitId,
        typing: bool,
    ) -> Response {
        if !self.may_share(id, from, conversation) {
            return Response::Refused("not a member".into());
        }
        self.events.emit(Event::Typing {
            account: id.clone(),
            conversation: ConversationId(p2p_conversation_id(id, &conversation.to_hex())),
            peer: from.0.clone(),
            typing,
        });
        Response::Ack
    }
}
