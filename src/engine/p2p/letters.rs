//! Offline delivery: what an account with no device online did not receive is sealed into
//! its DHT inbox; our own inbox is read every few seconds.

use libp2p::PeerId;
use sha2::Digest as _;

use super::{INBOX_INTERVAL, Outstanding, clock, find_conversation, public_key_of};
use crate::engine::EngineCore;
use crate::model::AccountId;
use crate::p2p::commit::SignedCommit;
use crate::p2p::inbox;
use crate::p2p::network::NetworkCommand;
use crate::p2p::wire::{MAX_COMMITS_PER_MESSAGE, Request};
use crate::store::p2p_conversation_id;

impl EngineCore {
    /// Seals what offline accounts have not received into their DHT inboxes.
    pub(super) fn deposit_letters(&mut self, id: &AccountId) {
        let name = self
            .accounts
            .get(id)
            .map(|info| info.name.clone())
            .unwrap_or_default();
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let mut letters: Vec<(AccountId, Request)> = Vec::new();
        for member in account.mailbox.held_for() {
            if !account.public_keys.contains_key(&member) {
                continue;
            }
            let Some(commits) = account.mailbox.take_held(&member) else {
                continue;
            };
            for chunk in commits.chunks(MAX_COMMITS_PER_MESSAGE) {
                letters.push((
                    member.clone(),
                    Request::Push {
                        commits: chunk.to_vec(),
                    },
                ));
            }
        }
        for peer in account.mailbox.requests() {
            if !account.public_keys.contains_key(&peer) {
                continue;
            }
            account.mailbox.request_sent(&peer);
            let Some(root) = find_conversation(account, &peer.0) else {
                continue;
            };
            let Ok(Some(raw)) = self
                .store
                .commit_raw(&p2p_conversation_id(id, &root.to_hex()), &root.to_hex())
            else {
                continue;
            };
            let Ok(create) = SignedCommit::from_bytes(&raw) else {
                continue;
            };
            letters.push((
                peer,
                Request::ContactRequest {
                    name: name.clone(),
                    commits: vec![create],
                },
            ));
        }
        // Receipts for authors who were away, one letter per conversation and kind.
        for author in account.mailbox.receipt_authors() {
            if !account.public_keys.contains_key(&author) {
                continue;
            }
            for ((conversation, read), commits) in account.mailbox.take_receipts(&author) {
                for chunk in commits.chunks(MAX_COMMITS_PER_MESSAGE) {
                    letters.push((
                        author.clone(),
                        Request::Receipt {
                            conversation,
                            commits: chunk.to_vec(),
                            read,
                        },
                    ));
                }
            }
        }
        for (recipient, request) in letters {
            let Some(public) = account.public_keys.get(&recipient).copied() else {
                continue;
            };
            match inbox::write_letter(
                &account.device,
                &account.certificate,
                &public,
                &request,
                &mut rand::rngs::OsRng,
            ) {
                Ok(letter) => {
                    tracing::debug!(bytes = letter.len(), to = %recipient, "letter sealed");
                    account.mailbox.deposited();
                    account.network.send(NetworkCommand::AppendToInbox {
                        key: inbox::inbox_key(&recipient),
                        letter,
                    });
                }
                Err(err) => tracing::warn!(%err, "cannot seal a letter"),
            }
        }
    }

    /// Reads our DHT inbox (the answer comes as `Records`).
    pub(super) fn check_inbox(&mut self, id: &AccountId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !account.mailbox.inbox_due(clock(), INBOX_INTERVAL) {
            return;
        }
        let tag = account.asked.ask(Outstanding::Inbox);
        account.network.send(NetworkCommand::GetRecord {
            key: inbox::inbox_key(id),
            tag,
        });
    }

    /// Letters found in our inbox: each opened, checked and handled like the request it
    /// carries, once.
    pub(super) fn on_inbox(&mut self, id: &AccountId, values: &[Vec<u8>]) {
        let mut requests = Vec::new();
        {
            let Some(account) = self.p2p.get_mut(id) else {
                return;
            };
            for value in values {
                let Ok(letters) = inbox::decode_inbox(value) else {
                    self.p2p_rejected += 1;
                    continue;
                };
                for letter in letters {
                    let digest: [u8; 32] = sha2::Sha256::digest(&letter).into();
                    if !account.mailbox.first_opening(digest) {
                        continue;
                    }
                    match inbox::open_letter(&account.account_key, &letter) {
                        Ok((certificate, request)) => {
                            let (Ok(from), Ok(peer)) = (
                                certificate.verify(),
                                certificate.device_id.parse::<PeerId>(),
                            ) else {
                                continue;
                            };
                            account.public_keys.insert(
                                from.clone(),
                                public_key_of(&certificate).unwrap_or([0; 32]),
                            );
                            requests.push((peer, from, request));
                        }
                        Err(err) => {
                            tracing::info!(%err, "letter refused");
                            self.p2p_rejected += 1;
                        }
                    }
                }
            }
        }
        tracing::debug!(
            records = values.len(),
            letters = requests.len(),
            "inbox read"
        );
        for (peer, from, request) in requests {
            self.on_request(id, peer, &from, request);
        }
    }
}
