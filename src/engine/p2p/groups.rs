//! Group conversations: created with invited members, who join by accepting; the admin
//! (creator) adds and removes members; anyone may leave.

use std::collections::HashSet;

use super::{Outstanding, find_conversation, parse_account_id, verify_all};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event, RequestId};
use crate::model::AccountId;
use crate::p2p::commit::{CommitBody, CommitId, ConversationKind, SignedCommit};
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request, Response};
use crate::store::p2p_conversation_id;

/// Most members named when a group is created.
const MAX_INITIAL_MEMBERS: usize = 64;

/// What to do to a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAction {
    /// Create a group with a title and members (account ids).
    Create {
        /// Title.
        title: String,
        /// Invited accounts.
        members: Vec<String>,
    },
    /// Accept an invitation (join).
    Join(String),
    /// Invite an account (admin only).
    Add(String, String),
    /// Remove an account (admin), or leave (our own id).
    Remove(String, String),
}

impl EngineCore {
    /// `ctl group …`: answers with the conversation id.
    pub(in crate::engine) fn group(
        &mut self,
        request: RequestId,
        id: &AccountId,
        action: GroupAction,
    ) -> Result<String, Failure> {
        let (root, invite) = match action {
            GroupAction::Create { title, members } => {
                let mut invited = vec![id.clone()];
                for member in &members {
                    let member = parse_account_id(member)?;
                    if !invited.contains(&member) {
                        invited.push(member);
                    }
                }
                if invited.len() > MAX_INITIAL_MEMBERS + 1 {
                    return Err(Failure::TooManyMembers {
                        max: MAX_INITIAL_MEMBERS,
                    });
                }
                let create = self.write_commit(
                    id,
                    None,
                    CommitBody::Create {
                        kind: ConversationKind::Group,
                        members: invited.clone(),
                        title: title.trim().chars().take(200).collect(),
                    },
                )?;
                let root = create.id;
                self.apply_commits(id, vec![create], None);
                (root, invited.into_iter().filter(|m| m != id).collect())
            }
            GroupAction::Join(conversation) => {
                let root = self.group_root(id, &conversation)?;
                let join = self.write_commit(id, Some(root), CommitBody::Join)?;
                self.apply_commits(id, vec![join.clone()], None);
                self.push(id, root, vec![join.signed]);
                (root, Vec::new())
            }
            GroupAction::Add(conversation, member) => {
                let root = self.group_root(id, &conversation)?;
                let member = parse_account_id(&member)?;
                let add =
                    self.write_commit(id, Some(root), CommitBody::AddMember(member.clone()))?;
                self.apply_commits(id, vec![add.clone()], None);
                self.refuse_if_not_applied(id, root, add.id)?;
                self.push(id, root, vec![add.signed]);
                (root, vec![member])
            }
            GroupAction::Remove(conversation, member) => {
                let root = self.group_root(id, &conversation)?;
                let member = parse_account_id(&member)?;
                let remove = self.write_commit(id, Some(root), CommitBody::RemoveMember(member))?;
                self.apply_commits(id, vec![remove.clone()], None);
                self.refuse_if_not_applied(id, root, remove.id)?;
                self.push(id, root, vec![remove.signed]);
                (root, Vec::new())
            }
        };
        for member in invite {
            self.invite(id, root, &member);
        }
        let _ = request;
        Ok(root.to_hex())
    }

    fn group_root(&self, id: &AccountId, conversation: &str) -> Result<CommitId, Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        find_conversation(account, conversation)
            .filter(|root| {
                account
                    .conversations
                    .get(root)
                    .is_some_and(|c| c.kind() == ConversationKind::Group)
            })
            .ok_or_else(|| Failure::Said(format!("no group {conversation}")))
    }

    /// The DAG refused our own commit (not the admin, say): say why.
    fn refuse_if_not_applied(
        &self,
        id: &AccountId,
        root: CommitId,
        commit: CommitId,
    ) -> Result<(), Failure> {
        let applied = self
            .p2p
            .get(id)
            .and_then(|account| account.conversations.get(&root))
            .is_some_and(|c| c.contains(&commit));
        if applied {
            Ok(())
        } else {
            Err(Failure::AdminOnly)
        }
    }

    /// Sends the group's commits so far to an invited account: directly to its online
    /// devices, and into its inbox.
    fn invite(&mut self, id: &AccountId, root: CommitId, member: &AccountId) {
        let Some(account) = self.p2p.get(id) else {
            return;
        };
        let Some(conversation) = account.conversations.get(&root) else {
            return;
        };
        let (ids, _) = conversation.missing_for(&[], MAX_COMMITS_PER_MESSAGE);
        let local = p2p_conversation_id(id, &root.to_hex());
        let commits: Vec<SignedCommit> = ids
            .iter()
            .filter_map(|commit| {
                self.store
                    .commit_raw(&local, &commit.to_hex())
                    .ok()
                    .flatten()
            })
            .filter_map(|raw| SignedCommit::from_bytes(&raw).ok())
            .collect();
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let targets = account.online_devices_of(&HashSet::from([member.clone()]));
        for device in targets {
            account.send(
                device,
                Request::Invite {
                    commits: commits.clone(),
                },
                Outstanding::Plain,
            );
        }
        account.mailbox.hold(member.clone(), commits);
        self.reach_out(id, member, true);
    }

    /// An invitation to a group: kept (with its commits) until we join; from a blocked
    /// account or not naming us, dropped.
    pub(super) fn on_invite(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        commits: Vec<SignedCommit>,
    ) -> Response {
        let verified = verify_all(commits, &mut self.p2p_rejected);
        let Some(create) = verified.first() else {
            return Response::Refused("an empty invitation".into());
        };
        if !matches!(
            &create.content.body,
            CommitBody::Create {
                kind: ConversationKind::Group,
                ..
            }
        ) {
            self.p2p_rejected += 1;
            return Response::Refused("not a group".into());
        }
        let root = create.id;
        let known = self
            .p2p
            .get(id)
            .is_some_and(|account| account.conversations.contains_key(&root));
        self.apply_commits(id, verified, Some(from));
        let member = self
            .p2p
            .get(id)
            .and_then(|account| account.conversations.get(&root))
            .is_some_and(|c| c.members().contains(id));
        if !member {
            // Not (or no longer) invited: forget it.
            self.p2p_rejected += 1;
            return Response::Refused("this account is not invited".into());
        }
        if !known {
            let problem = crate::model::Problem::new(
                "problem-group-invite",
                &[("from", &from.0), ("group", &root.to_hex())],
            );
            self.events.emit(Event::Notice {
                text: problem.english(),
                problem,
            });
        }
        Response::Ack
    }

    /// Groups and one-to-one conversations of an account, for `ctl conversations`.
    pub(in crate::engine) fn conversations_json(
        &self,
        id: &AccountId,
    ) -> Result<serde_json::Value, Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let mut list: Vec<serde_json::Value> = account
            .conversations
            .values()
            .map(|c| {
                serde_json::json!({
                    "id": c.id().to_hex(),
                    "kind": c.kind().name(),
                    "title": c.title(),
                    "admin": c.admin(),
                    "members": c.members(),
                    "joined": c.members().iter().filter(|m| c.has_joined(m)).collect::<Vec<_>>(),
                    "commits": c.len(),
                    "heads": c.heads().iter().map(CommitId::to_hex).collect::<Vec<_>>(),
                })
            })
            .collect();
        list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        Ok(serde_json::Value::Array(list))
    }
}
