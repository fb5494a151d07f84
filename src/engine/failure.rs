//! Why a command failed. [`Failure`] is the engine's error at its boundary: each kind a
//! person meets is a variant with its facts, said in every window's language through its
//! Fluent message (`problem-…`, [`Failure::problem`]) and in English for `ringlet ctl` and
//! logs (`Display`). A lower layer's error that has no kind of its own yet goes on as a
//! sentence ([`Failure::Said`]).

use crate::model::{AccountId, Problem};

/// A command's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// There is no such account.
    #[error("{}", self.english())]
    NoAccount(AccountId),
    /// The account is not running here (disabled, or still starting).
    #[error("{}", self.english())]
    Offline(AccountId),
    /// The command needs a SIP account.
    #[error("{}", self.english())]
    NotSip(AccountId),
    /// The command needs a peer-to-peer account.
    #[error("{}", self.english())]
    NotP2p(AccountId),
    /// The account is on this device already.
    #[error("{}", self.english())]
    AlreadyHere(AccountId),
    /// Not a (confirmed) contact of the account.
    #[error("{}", self.english())]
    NotAContact {
        /// The account.
        account: AccountId,
        /// Who was named.
        contact: String,
    },
    /// No contact request from `peer` to answer.
    #[error("{}", self.english())]
    NoContactRequest {
        /// Who was named.
        peer: String,
    },
    /// Not a P2P account id.
    #[error("{}", self.english())]
    NotAnAccountId(String),
    /// A passphrase shorter than `min` characters.
    #[error("{}", self.english())]
    PassphraseTooShort {
        /// The least.
        min: usize,
    },
    /// An account or device name that is empty or longer than `max` characters.
    #[error("{}", self.english())]
    BadName {
        /// The most.
        max: usize,
    },
    /// Not a SIP address.
    #[error("{}", self.english())]
    BadAor(String),
    /// A listen address that is not IP:PORT.
    #[error("{}", self.english())]
    BadListen(String),
    /// Not a STUN server's address.
    #[error("{}", self.english())]
    BadStunServer(String),
    /// A codec this build does not have.
    #[error("{}", self.english())]
    UnknownCodec(String),
    /// A file over the size limit in settings.
    #[error("{}", self.english())]
    FileTooLarge {
        /// The file.
        file: String,
        /// The limit, MiB.
        limit_mib: u64,
    },
    /// A text too long for one SIP MESSAGE.
    #[error("{}", self.english())]
    TextTooLong {
        /// Its bytes.
        bytes: usize,
        /// The most.
        max: usize,
    },
    /// An attended transfer between calls of two accounts.
    #[error("{}", self.english())]
    TransferAcrossAccounts,
    /// This device revoking itself.
    #[error("{}", self.english())]
    RevokeSelf,
    /// The account has no such device.
    #[error("{}", self.english())]
    NoDevice {
        /// The account.
        account: AccountId,
        /// The device named.
        device: String,
    },
    /// Not a member of the group.
    #[error("{}", self.english())]
    NotInGroup {
        /// The group.
        group: String,
    },
    /// Nobody else is in the group.
    #[error("{}", self.english())]
    GroupEmpty {
        /// The group.
        group: String,
    },
    /// More members than a new group may start with.
    #[error("{}", self.english())]
    TooManyMembers {
        /// The most.
        max: usize,
    },
    /// Only the group's admin may do that.
    #[error("{}", self.english())]
    AdminOnly,
    /// Only a message's author may edit or delete it.
    #[error("{}", self.english())]
    AuthorOnly,
    /// No such message in the conversation.
    #[error("{}", self.english())]
    NoMessage(String),
    /// The message was deleted.
    #[error("{}", self.english())]
    MessageDeleted,
    /// Nobody registered the name.
    #[error("{}", self.english())]
    NameUnknown(String),
    /// Someone else registered the name.
    #[error("{}", self.english())]
    NameTaken {
        /// The name.
        name: String,
        /// Its holder's account id.
        holder: String,
    },
    /// A problem made where it happened (pictures, devices).
    #[error("{}", .0.english())]
    Problem(Problem),
    /// A failure known only as an English sentence (a lower layer's error).
    #[error("{0}")]
    Said(String),
}

impl Failure {
    /// What every window says, in its own language; `None` for a plain sentence.
    pub fn problem(&self) -> Option<Problem> {
        let account = |id: &AccountId| id.0.clone();
        let (code, args): (&str, Vec<(&str, String)>) = match self {
            Failure::NoAccount(id) => ("problem-no-account", vec![("account", account(id))]),
            Failure::Offline(id) => ("problem-account-offline", vec![("account", account(id))]),
            Failure::NotSip(id) => ("problem-not-sip", vec![("account", account(id))]),
            Failure::NotP2p(id) => ("problem-not-p2p", vec![("account", account(id))]),
            Failure::AlreadyHere(id) => ("problem-already-here", vec![("account", account(id))]),
            Failure::NotAContact {
                account: id,
                contact,
            } => (
                "problem-not-a-contact",
                vec![("account", account(id)), ("contact", contact.clone())],
            ),
            Failure::NoContactRequest { peer } => {
                ("problem-no-contact-request", vec![("peer", peer.clone())])
            }
            Failure::NotAnAccountId(text) => {
                ("problem-not-an-account-id", vec![("text", text.clone())])
            }
            Failure::PassphraseTooShort { min } => {
                ("problem-passphrase-short", vec![("min", min.to_string())])
            }
            Failure::BadName { max } => ("problem-bad-name", vec![("max", max.to_string())]),
            Failure::BadAor(aor) => ("problem-bad-aor", vec![("aor", aor.clone())]),
            Failure::BadListen(listen) => ("problem-bad-listen", vec![("listen", listen.clone())]),
            Failure::BadStunServer(server) => {
                ("problem-bad-stun", vec![("server", server.clone())])
            }
            Failure::UnknownCodec(codec) => {
                ("problem-unknown-codec", vec![("codec", codec.clone())])
            }
            Failure::FileTooLarge { file, limit_mib } => (
                "problem-file-too-large",
                vec![("file", file.clone()), ("limit", limit_mib.to_string())],
            ),
            Failure::TextTooLong { bytes, max } => (
                "problem-text-too-long",
                vec![("bytes", bytes.to_string()), ("max", max.to_string())],
            ),
            Failure::TransferAcrossAccounts => ("problem-transfer-accounts", vec![]),
            Failure::RevokeSelf => ("problem-revoke-self", vec![]),
            Failure::NoDevice {
                account: id,
                device,
            } => (
                "problem-no-device-of",
                vec![("account", account(id)), ("device", device.clone())],
            ),
            Failure::NotInGroup { group } => {
                ("problem-not-in-group", vec![("group", group.clone())])
            }
            Failure::GroupEmpty { group } => {
                ("problem-group-empty", vec![("group", group.clone())])
            }
            Failure::TooManyMembers { max } => {
                ("problem-too-many-members", vec![("max", max.to_string())])
            }
            Failure::AdminOnly => ("problem-admin-only", vec![]),
            Failure::AuthorOnly => ("problem-author-only", vec![]),
            Failure::NoMessage(id) => ("problem-no-message", vec![("message", id.clone())]),
            Failure::MessageDeleted => ("problem-message-deleted", vec![]),
            Failure::NameUnknown(name) => ("problem-name-unknown", vec![("name", name.clone())]),
            Failure::NameTaken { name, holder } => (
                "problem-name-taken",
                vec![("name", name.clone()), ("holder", holder.clone())],
            ),
            Failure::Problem(problem) => return Some(problem.clone()),
            Failure::Said(_) => return None,
        };
        let args: Vec<(&str, &str)> = args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        Some(Problem::new(code, &args))
    }

    /// Said in English (a kind's Fluent message in en-US).
    fn english(&self) -> String {
        self.problem()
            .map(|problem| problem.english())
            .unwrap_or_default()
    }
}

impl From<String> for Failure {
    fn from(text: String) -> Failure {
        Failure::Said(text)
    }
}

impl From<&str> for Failure {
    fn from(text: &str) -> Failure {
        Failure::Said(text.to_owned())
    }
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Failure {
        Failure::Problem(problem)
    }
}

impl From<crate::stun::BadServer> for Failure {
    fn from(error: crate::stun::BadServer) -> Failure {
        Failure::BadStunServer(error.0)
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(error: crate::store::StoreError) -> Failure {
        Failure::Said(error.to_string())
    }
}

/// Where a failure goes on as a sentence (a caller that only reports text).
impl From<Failure> for String {
    fn from(failure: Failure) -> String {
        failure.to_string()
    }
}

/// The account is not running here (disabled, or still starting).
pub fn offline(account: &AccountId) -> Failure {
    Failure::Offline(account.clone())
}

/// There is no such account.
pub fn no_account(account: &AccountId) -> Failure {
    Failure::NoAccount(account.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each kind.
    fn every_kind() -> Vec<Failure> {
        let id = AccountId("a1".into());
        vec![
            Failure::NoAccount(id.clone()),
            Failure::Offline(id.clone()),
            Failure::NotSip(id.clone()),
            Failure::NotP2p(id.clone()),
            Failure::AlreadyHere(id.clone()),
            Failure::NotAContact {
                account: id.clone(),
                contact: "bob".into(),
            },
            Failure::NoContactRequest { peer: "bob".into() },
            Failure::NotAnAccountId("xyz".into()),
            Failure::PassphraseTooShort { min: 4 },
            Failure::BadName { max: 64 },
            Failure::BadAor("bob".into()),
            Failure::BadListen("here".into()),
            Failure::BadStunServer("stun:x".into()),
            Failure::UnknownCodec("amr".into()),
            Failure::FileTooLarge {
                file: "/tmp/big.iso".into(),
                limit_mib: 100,
            },
            Failure::TextTooLong {
                bytes: 70_000,
                max: 65_536,
            },
            Failure::TransferAcrossAccounts,
            Failure::RevokeSelf,
            Failure::NoDevice {
                account: id.clone(),
                device: "12D3".into(),
            },
            Failure::NotInGroup { group: "g1".into() },
            Failure::GroupEmpty { group: "g1".into() },
            Failure::TooManyMembers { max: 32 },
            Failure::AdminOnly,
            Failure::AuthorOnly,
            Failure::NoMessage("m1".into()),
            Failure::MessageDeleted,
            Failure::NameUnknown("zoe".into()),
            Failure::NameTaken {
                name: "zoe".into(),
                holder: "b2".into(),
            },
        ]
    }

    #[test]
    fn every_kind_is_said_in_every_language_with_its_facts() {
        for failure in every_kind() {
            let problem = failure.problem().expect("a kind has a problem");
            let english = failure.to_string();
            // The message exists (an unknown id comes back as the id itself).
            assert_ne!(english, problem.code, "{failure:?}");
            // The engine reports a failure's English from its problem.
            assert_eq!(english, problem.english(), "{failure:?}");
            for (_, value) in &problem.args {
                assert!(
                    english.contains(value.as_str()),
                    "{english:?} lacks {value:?}"
                );
            }
            for language in ["de", "es", "fr", "zh-CN", "zh-TW"] {
                let said = problem.say(&crate::i18n::I18n::new(language));
                assert_ne!(said, problem.code, "{language} lacks {}", problem.code);
                assert_ne!(said, english, "{language} says {} in English", problem.code);
                for (_, value) in &problem.args {
                    assert!(
                        said.contains(value.as_str()),
                        "{language}: {said:?} lacks {value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_sentence_stays_a_sentence() {
        let failure = Failure::from("the disk is full");
        assert_eq!(failure.problem(), None);
        assert_eq!(failure.to_string(), "the disk is full");
    }
}
