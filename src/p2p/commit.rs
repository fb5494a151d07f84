//! Conversation commits: signed, content-addressed entries of a conversation's DAG.
//!
//! A commit's content (conversation, parents, author account, time, body) is encoded once in
//! CBOR; the device that wrote it signs those exact bytes with its libp2p key and ships its
//! device certificate beside them, so any replica can check, with nothing else at hand, that
//! a certified device of the named account wrote it. The id is a hash of the signed bytes
//! and the device, so equal ids mean equal commits.
//!
//! Sans-IO: time comes in as an argument; nothing here touches the network or the store.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::identity::{DeviceCertificate, DeviceKey, IdentityError};
use crate::model::AccountId;

/// Domain separation for commit signatures.
const SIGNATURE_DOMAIN: &[u8] = b"ringlet-commit-v1\0";
/// Domain separation for commit ids.
const ID_DOMAIN: &[u8] = b"ringlet-commit-id-v1\0";
/// Most parents one commit may name (a merge of this many branches).
pub const MAX_PARENTS: usize = 32;
/// Longest text in one commit, bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Most members a conversation may list.
pub const MAX_MEMBERS: usize = 512;
/// Largest encoded content accepted.
pub const MAX_CONTENT_BYTES: usize = MAX_TEXT_BYTES + 8 * 1024;

/// A commit's id: SHA-256 of its signed bytes and its device.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitId(pub [u8; 32]);

impl CommitId {
    /// Lower-case hex, as stored and shown.
    pub fn to_hex(&self) -> String {
        super::identity::hex(&self.0)
    }

    /// Parses lower-case hex.
    pub fn from_hex(text: &str) -> Option<CommitId> {
        super::identity::unhex(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(CommitId)
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitId({})", self.to_hex().get(..12).unwrap_or(""))
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Kinds of conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationKind {
    /// Two accounts; nobody can be added.
    OneToOne,
    /// Several accounts; the creator is the admin who adds and removes members.
    Group,
}

impl ConversationKind {
    /// The name stored and printed for it (`one-to-one`, `group`); the wire format keeps
    /// its own spelling.
    pub fn name(self) -> &'static str {
        match self {
            ConversationKind::OneToOne => "one-to-one",
            ConversationKind::Group => "group",
        }
    }
}

/// What a commit says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitBody {
    /// Opens a conversation and invites `members` (the author included).
    Create {
        /// One-to-one or group.
        kind: ConversationKind,
        /// Invited accounts, the author first.
        members: Vec<AccountId>,
        /// Group title (empty for one-to-one).
        title: String,
    },
    /// An invited account accepts and joins.
    Join,
    /// An admin invites an account.
    AddMember(AccountId),
    /// An admin removes an account (or a member leaves: removes itself).
    RemoveMember(AccountId),
    /// A text message.
    Text(String),
    /// Replaces the text of an earlier message by the same author.
    Edit {
        /// The message.
        target: CommitId,
        /// Its new text.
        text: String,
    },
    /// Deletes an earlier message by the same author for everyone.
    Delete(CommitId),
    /// Offers a file: its bytes stay on the writing device until members fetch them.
    File(super::files::FileOffer),
    /// A call the author placed in this conversation, once it is over.
    Call(CallLog),
}

/// How a call went, written by the caller when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    /// Answered, missed or declined.
    pub outcome: CallOutcome,
    /// How long it was up (0 unless answered).
    pub duration_ms: u64,
}

/// How a call ended for its callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallOutcome {
    /// A device answered.
    Answered,
    /// Nobody answered (no device online, or the caller gave up).
    Missed,
    /// A device declined it.
    Declined,
}

impl CallLog {
    /// What the conversation shows for it.
    pub fn summary(&self) -> String {
        let summary = match self.outcome {
            CallOutcome::Answered => crate::model::CallSummary::Answered {
                seconds: self.duration_ms / 1000,
            },
            CallOutcome::Missed => crate::model::CallSummary::Missed,
            CallOutcome::Declined => crate::model::CallSummary::Declined,
        };
        summary.text()
    }
}

/// The signed part of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitContent {
    /// The conversation (the id of its `Create` commit); `None` in that commit itself.
    pub conversation: Option<CommitId>,
    /// The heads this commit follows (empty only for `Create`).
    pub parents: Vec<CommitId>,
    /// The author's account.
    pub author: AccountId,
    /// Unix milliseconds at the author's device.
    pub time_ms: u64,
    /// What it says.
    pub body: CommitBody,
}

/// A commit as it travels and rests: content bytes, signature and the device's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCommit {
    /// CBOR of [`CommitContent`], exactly as signed.
    #[serde(with = "super::cbor_bytes")]
    pub content: Vec<u8>,
    /// The writing device's certificate from its account.
    pub certificate: DeviceCertificate,
    /// The device's public key (libp2p protobuf encoding).
    #[serde(with = "super::cbor_bytes")]
    pub device_public: Vec<u8>,
    /// The device's signature over the domain and `content`.
    #[serde(with = "super::cbor_bytes")]
    pub signature: Vec<u8>,
}

/// Why a commit is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// The content does not decode or breaks a size limit.
    #[error("malformed commit: {0}")]
    Malformed(String),
    /// The device certificate is invalid.
    #[error("commit certificate: {0}")]
    Certificate(#[from] IdentityError),
    /// The certificate's account is not the named author.
    #[error("commit signed by a device of {signer}, claims author {author}")]
    WrongAuthor {
        /// The certificate's account.
        signer: AccountId,
        /// The content's author.
        author: AccountId,
    },
    /// The public key does not belong to the certified device.
    #[error("commit key does not match its device certificate")]
    WrongDevice,
    /// The signature does not verify.
    #[error("commit signature does not verify")]
    BadSignature,
}

/// A commit whose signature and certificate were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCommit {
    /// Its id.
    pub id: CommitId,
    /// Decoded content.
    pub content: CommitContent,
    /// The writing device (peer id, base58).
    pub device: String,
    /// The commit as received, for storing and forwarding.
    pub signed: SignedCommit,
}

impl VerifiedCommit {
    /// The conversation this commit belongs to (its own id for a `Create`).
    pub fn conversation(&self) -> CommitId {
        self.content.conversation.unwrap_or(self.id)
    }
}

/// Writes and signs a commit with this device's key and certificate.
pub fn sign(
    device: &DeviceKey,
    certificate: &DeviceCertificate,
    content: CommitContent,
) -> Result<VerifiedCommit, CommitError> {
    let bytes = encode_content(&content)?;
    let signature = device
        .keypair()
        .sign(&signed_message(&bytes))
        .map_err(|err| CommitError::Malformed(format!("cannot sign: {err}")))?;
    let signed = SignedCommit {
        content: bytes,
        certificate: certificate.clone(),
        device_public: device.keypair().public().encode_protobuf(),
        signature,
    };
    let id = commit_id(&signed);
    Ok(VerifiedCommit {
        id,
        content,
        device: certificate.device_id.clone(),
        signed,
    })
}

impl SignedCommit {
    /// Checks the certificate, the key, the signature and the limits, and decodes.
    pub fn verify(self) -> Result<VerifiedCommit, CommitError> {
        if self.content.len() > MAX_CONTENT_BYTES {
            return Err(CommitError::Malformed(format!(
                "content of {} bytes (at most {MAX_CONTENT_BYTES})",
                self.content.len()
            )));
        }
        let signer = self.certificate.verify()?;
        let public = libp2p::identity::PublicKey::try_decode_protobuf(&self.device_public)
            .map_err(|_| CommitError::WrongDevice)?;
        if public.to_peer_id().to_base58() != self.certificate.device_id {
            return Err(CommitError::WrongDevice);
        }
        if !public.verify(&signed_message(&self.content), &self.signature) {
            return Err(CommitError::BadSignature);
        }
        let content: CommitContent = cbor4ii::serde::from_slice(&self.content)
            .map_err(|err| CommitError::Malformed(err.to_string()))?;
        check_limits(&content)?;
        if content.author != signer {
            return Err(CommitError::WrongAuthor {
                signer,
                author: content.author,
            });
        }
        Ok(VerifiedCommit {
            id: commit_id(&self),
            device: self.certificate.device_id.clone(),
            content,
            signed: self,
        })
    }

    /// Decodes a stored commit without checking its signature again (it was checked before
    /// it was stored; the database is sealed by the OS user's permissions).
    pub fn trusted(self) -> Result<VerifiedCommit, CommitError> {
        let content: CommitContent = cbor4ii::serde::from_slice(&self.content)
            .map_err(|err| CommitError::Malformed(err.to_string()))?;
        Ok(VerifiedCommit {
            id: commit_id(&self),
            device: self.certificate.device_id.clone(),
            content,
            signed: self,
        })
    }

    /// CBOR bytes, as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Encoding plain structs into a vector cannot fail.
        cbor4ii::serde::to_vec(Vec::new(), self).unwrap_or_default()
    }

    /// From stored CBOR bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedCommit, CommitError> {
        cbor4ii::serde::from_slice(bytes).map_err(|err| CommitError::Malformed(err.to_string()))
    }
}

fn encode_content(content: &CommitContent) -> Result<Vec<u8>, CommitError> {
    check_limits(content)?;
    cbor4ii::serde::to_vec(Vec::new(), content)
        .map_err(|err| CommitError::Malformed(err.to_string()))
}

fn check_limits(content: &CommitContent) -> Result<(), CommitError> {
    let bad = |what: String| Err(CommitError::Malformed(what));
    if content.parents.len() > MAX_PARENTS {
        return bad(format!("{} parents", content.parents.len()));
    }
    match (&content.body, content.conversation.is_some()) {
        (CommitBody::Create { .. }, true) => return bad("a Create inside a conversation".into()),
        (CommitBody::Create { .. }, false) => {}
        (_, false) => return bad("a commit outside any conversation".into()),
        _ => {}
    }
    if content.conversation.is_some() && content.parents.is_empty() {
        return bad("a commit without parents".into());
    }
    match &content.body {
        CommitBody::Create { members, title, .. } => {
            if members.len() > MAX_MEMBERS || members.is_empty() {
                return bad(format!("{} members", members.len()));
            }
            if title.len() > MAX_TEXT_BYTES {
                return bad("title too long".into());
            }
        }
        CommitBody::Text(text) | CommitBody::Edit { text, .. } if text.len() > MAX_TEXT_BYTES => {
            return bad(format!("text of {} bytes", text.len()));
        }
        CommitBody::File(offer) => {
            if let Err(err) = offer.check() {
                return bad(err.to_string());
            }
        }
        _ => {}
    }
    Ok(())
}

fn signed_message(content: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNATURE_DOMAIN.len() + content.len());
    message.extend_from_slice(SIGNATURE_DOMAIN);
    message.extend_from_slice(content);
    message
}

fn commit_id(signed: &SignedCommit) -> CommitId {
    let digest = Sha256::new()
        .chain_update(ID_DOMAIN)
        .chain_update((signed.content.len() as u64).to_be_bytes())
        .chain_update(&signed.content)
        .chain_update(signed.certificate.device_id.as_bytes())
        .finalize();
    CommitId(digest.into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::p2p::AccountKey;
    use rand::SeedableRng as _;

    #[test]
    fn a_call_log_reads_as_its_outcome_and_duration() {
        let log = |outcome, duration_ms| CallLog {
            outcome,
            duration_ms,
        };
        assert_eq!(log(CallOutcome::Answered, 83_400).summary(), "☎ Call, 1:23");
        assert_eq!(log(CallOutcome::Missed, 0).summary(), "☎ Missed call");
        assert_eq!(log(CallOutcome::Declined, 0).summary(), "☎ Declined call");
    }

    /// An account with one certified device, for tests.
    pub struct TestDevice {
        pub account: AccountKey,
        pub device: DeviceKey,
        pub certificate: DeviceCertificate,
    }

    impl TestDevice {
        pub fn new(seed: u64) -> TestDevice {
            let account = AccountKey::generate(&mut rand::rngs::StdRng::seed_from_u64(seed));
            TestDevice::of(account)
        }

        pub fn of(account: AccountKey) -> TestDevice {
            let device = DeviceKey::generate();
            let certificate = account.certify(
                &device.peer_id(),
                "test",
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000),
            );
            TestDevice {
                account,
                device,
                certificate,
            }
        }

        pub fn id(&self) -> AccountId {
            self.account.account_id()
        }

        pub fn commit(
            &self,
            conversation: Option<CommitId>,
            parents: Vec<CommitId>,
            time_ms: u64,
            body: CommitBody,
        ) -> VerifiedCommit {
            sign(
                &self.device,
                &self.certificate,
                CommitContent {
                    conversation,
                    parents,
                    author: self.id(),
                    time_ms,
                    body,
                },
            )
            .unwrap()
        }
    }

    #[test]
    fn a_signed_commit_verifies_and_keeps_its_id() {
        let alice = TestDevice::new(1);
        let create = alice.commit(
            None,
            vec![],
            5,
            CommitBody::Create {
                kind: ConversationKind::OneToOne,
                members: vec![alice.id(), TestDevice::new(2).id()],
                title: String::new(),
            },
        );
        let bytes = create.signed.to_bytes();
        let again = SignedCommit::from_bytes(&bytes).unwrap().verify().unwrap();
        assert_eq!(again, create);
        assert_eq!(CommitId::from_hex(&create.id.to_hex()), Some(create.id));
    }

    #[test]
    fn tampering_is_detected() {
        let alice = TestDevice::new(3);
        let mallory = TestDevice::new(4);
        let root = CommitId([7; 32]);
        let text = alice.commit(Some(root), vec![root], 9, CommitBody::Text("hi".into()));

        let mut changed = text.signed.clone();
        let content = CommitContent {
            body: CommitBody::Text("bye".into()),
            ..text.content.clone()
        };
        changed.content = cbor4ii::serde::to_vec(Vec::new(), &content).unwrap();
        assert_eq!(changed.verify(), Err(CommitError::BadSignature));

        // Mallory's device signs content naming alice as author.
        let forged = sign(
            &mallory.device,
            &mallory.certificate,
            CommitContent {
                author: alice.id(),
                ..text.content.clone()
            },
        )
        .unwrap();
        assert!(matches!(
            forged.signed.verify(),
            Err(CommitError::WrongAuthor { .. })
        ));

        // Alice's certificate on mallory's key.
        let mut stolen = mallory
            .commit(Some(root), vec![root], 1, CommitBody::Text("x".into()))
            .signed;
        stolen.certificate = alice.certificate.clone();
        assert_eq!(stolen.verify(), Err(CommitError::WrongDevice));

        let mut garbage = text.signed;
        garbage.device_public = vec![1, 2, 3];
        assert_eq!(garbage.verify(), Err(CommitError::WrongDevice));
        assert!(SignedCommit::from_bytes(&[0xff, 0x00]).is_err());
    }

    #[test]
    fn limits_are_enforced_when_signing_and_verifying() {
        let alice = TestDevice::new(5);
        let root = CommitId([1; 32]);
        let content = CommitContent {
            conversation: Some(root),
            parents: vec![root],
            author: alice.id(),
            time_ms: 0,
            body: CommitBody::Text("x".repeat(MAX_TEXT_BYTES + 1)),
        };
        assert!(matches!(
            sign(&alice.device, &alice.certificate, content),
            Err(CommitError::Malformed(_))
        ));
        let orphan = CommitContent {
            conversation: Some(root),
            parents: vec![],
            author: alice.id(),
            time_ms: 0,
            body: CommitBody::Text("x".into()),
        };
        assert!(sign(&alice.device, &alice.certificate, orphan).is_err());
    }
}
