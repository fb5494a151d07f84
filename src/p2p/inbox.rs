//! Offline delivery: letters sealed to an account and left in its DHT inbox.
//!
//! A letter carries one wire request (a contact request, or commits to push), the sending
//! device's certificate and key, and the device's signature over the recipient and the
//! request, so the recipient knows who wrote it and that it was meant for it. The letter is
//! then sealed to the recipient's account key (converted to X25519): an ephemeral X25519
//! key agreement, HKDF-SHA256, XChaCha20-Poly1305. Whoever stores the inbox sees only
//! sealed bytes. The inbox record is a list of sealed letters that storing nodes merge.
//!
//! Sans-IO: randomness comes in as an argument.

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::cbor_bytes;
use super::identity::{AccountKey, DeviceCertificate, DeviceKey, account_id_of};
use super::wire::{self, Request};
use crate::model::AccountId;

/// Prefix of inbox record keys (storing nodes merge these records instead of replacing).
pub const INBOX_KEY_PREFIX: &[u8] = b"ringlet-inbox-v1/";
/// Domain separation for letter signatures.
const LETTER_DOMAIN: &[u8] = b"ringlet-letter-v1\0";
/// HKDF info for the sealing key.
const SEAL_INFO: &[u8] = b"ringlet-seal-v1";
/// Largest sealed letter.
pub const MAX_LETTER_BYTES: usize = 1024 * 1024;
/// Most letters one inbox record holds (the oldest are dropped past it).
pub const MAX_LETTERS: usize = 256;
/// Largest inbox record.
pub const MAX_INBOX_BYTES: usize = 4 * 1024 * 1024;

/// Why a letter cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    /// Not a letter, or too large.
    #[error("malformed letter: {0}")]
    Malformed(String),
    /// Sealed for someone else, or altered.
    #[error("the letter does not open with this account's key")]
    NotForUs,
    /// The sender's certificate, key or signature does not check out.
    #[error("the letter's sender does not verify")]
    BadSender,
}

#[derive(Serialize, Deserialize)]
struct Letter {
    #[serde(with = "super::cbor_bytes")]
    request: Vec<u8>,
    certificate: DeviceCertificate,
    #[serde(with = "super::cbor_bytes")]
    device_public: Vec<u8>,
    #[serde(with = "super::cbor_bytes")]
    signature: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(with = "super::cbor_bytes")]
    ephemeral: Vec<u8>,
    #[serde(with = "super::cbor_bytes")]
    nonce: Vec<u8>,
    #[serde(with = "super::cbor_bytes")]
    ciphertext: Vec<u8>,
}

/// The DHT key of an account's inbox.
pub fn inbox_key(account: &AccountId) -> Vec<u8> {
    let mut key = INBOX_KEY_PREFIX.to_vec();
    key.extend_from_slice(
        &Sha256::new()
            .chain_update(b"inbox\0")
            .chain_update(account.0.as_bytes())
            .finalize(),
    );
    key
}

/// Writes a letter carrying `request` from this device to `recipient` (whose account
/// public key is `recipient_public`) and seals it.
pub fn write_letter(
    device: &DeviceKey,
    certificate: &DeviceCertificate,
    recipient_public: &[u8; 32],
    request: &Request,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<u8>, LetterError> {
    let recipient = account_id_of(recipient_public);
    let request = wire::encode(request).map_err(|err| LetterError::Malformed(err.to_string()))?;
    let signature = device
        .keypair()
        .sign(&letter_message(&recipient, &request))
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    let letter = Letter {
        request,
        certificate: certificate.clone(),
        device_public: device.keypair().public().encode_protobuf(),
        signature,
    };
    let plaintext = cbor4ii::serde::to_vec(Vec::new(), &letter)
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    let recipient_x = ed25519_to_x25519_public(recipient_public)?;
    let mut ephemeral_secret = [0u8; 32];
    rng.fill_bytes(&mut ephemeral_secret);
    let ephemeral = x25519_dalek::x25519(ephemeral_secret, x25519_dalek::X25519_BASEPOINT_BYTES);
    let shared = x25519_dalek::x25519(ephemeral_secret, recipient_x);
    let cipher = cipher(&shared, &ephemeral, &recipient_x)?;
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: &ephemeral,
            },
        )
        .map_err(|_| LetterError::Malformed("cannot encrypt".into()))?;
    let sealed = Sealed {
        ephemeral: ephemeral.to_vec(),
        nonce: nonce.to_vec(),
        ciphertext,
    };
    let bytes = cbor4ii::serde::to_vec(Vec::new(), &sealed)
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    if bytes.len() > MAX_LETTER_BYTES {
        return Err(LetterError::Malformed(format!("{} bytes", bytes.len())));
    }
    Ok(bytes)
}

/// Opens a sealed letter with the recipient's account key; returns the sender's
/// certificate (checked: it signed this letter for this account) and the request.
pub fn open_letter(
    key: &AccountKey,
    sealed: &[u8],
) -> Result<(DeviceCertificate, Request), LetterError> {
    if sealed.len() > MAX_LETTER_BYTES {
        return Err(LetterError::Malformed(format!("{} bytes", sealed.len())));
    }
    let sealed: Sealed = cbor4ii::serde::from_slice(sealed)
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    let ephemeral: [u8; 32] = sealed
        .ephemeral
        .as_slice()
        .try_into()
        .map_err(|_| LetterError::Malformed("ephemeral key".into()))?;
    let nonce: [u8; 24] = sealed
        .nonce
        .as_slice()
        .try_into()
        .map_err(|_| LetterError::Malformed("nonce".into()))?;
    let own_x = ed25519_to_x25519_public(&key.public())?;
    let shared = x25519_dalek::x25519(*key.x25519_secret(), ephemeral);
    let cipher = cipher(&shared, &ephemeral, &own_x)?;
    let plaintext = cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &ephemeral,
            },
        )
        .map_err(|_| LetterError::NotForUs)?;
    let letter: Letter = cbor4ii::serde::from_slice(&plaintext)
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    let public = libp2p::identity::PublicKey::try_decode_protobuf(&letter.device_public)
        .map_err(|_| LetterError::BadSender)?;
    if public.to_peer_id().to_base58() != letter.certificate.device_id
        || letter.certificate.verify().is_err()
        || !public.verify(
            &letter_message(&key.account_id(), &letter.request),
            &letter.signature,
        )
    {
        return Err(LetterError::BadSender);
    }
    let request = wire::decode_request(&letter.request)
        .map_err(|err| LetterError::Malformed(err.to_string()))?;
    Ok((letter.certificate, request))
}

/// Decodes an inbox record: a list of sealed letters.
pub fn decode_inbox(value: &[u8]) -> Result<Vec<Vec<u8>>, LetterError> {
    if value.len() > MAX_INBOX_BYTES {
        return Err(LetterError::Malformed(format!(
            "inbox of {} bytes",
            value.len()
        )));
    }
    let letters: Vec<cbor_bytes::Bytes> =
        cbor4ii::serde::from_slice(value).map_err(|err| LetterError::Malformed(err.to_string()))?;
    Ok(letters.into_iter().map(|bytes| bytes.0).collect())
}

/// Merges letters into an inbox record: union, oldest dropped past [`MAX_LETTERS`] or
/// [`MAX_INBOX_BYTES`].
pub fn merge_inbox(existing: &[u8], new: &[u8]) -> Vec<u8> {
    let mut letters = decode_inbox(existing).unwrap_or_default();
    for letter in decode_inbox(new).unwrap_or_default() {
        if letter.len() <= MAX_LETTER_BYTES && !letters.contains(&letter) {
            letters.push(letter);
        }
    }
    let mut total: usize = letters.iter().map(Vec::len).sum();
    while letters.len() > MAX_LETTERS || total > MAX_INBOX_BYTES - 64 * 1024 {
        if letters.is_empty() {
            break;
        }
        total -= letters.remove(0).len();
    }
    encode_inbox(letters)
}

/// Encodes a list of sealed letters as an inbox record.
pub fn encode_inbox(letters: Vec<Vec<u8>>) -> Vec<u8> {
    let letters: Vec<cbor_bytes::Bytes> = letters.into_iter().map(cbor_bytes::Bytes).collect();
    // Encoding byte strings into a vector cannot fail.
    cbor4ii::serde::to_vec(Vec::new(), &letters).unwrap_or_default()
}

fn letter_message(recipient: &AccountId, request: &[u8]) -> Vec<u8> {
    let mut message = LETTER_DOMAIN.to_vec();
    message.extend_from_slice(recipient.0.as_bytes());
    message.push(0);
    message.extend_from_slice(request);
    message
}

fn ed25519_to_x25519_public(public: &[u8; 32]) -> Result<[u8; 32], LetterError> {
    ed25519_dalek::VerifyingKey::from_bytes(public)
        .map(|key| key.to_montgomery().to_bytes())
        .map_err(|_| LetterError::Malformed("account key".into()))
}

fn cipher(
    shared: &[u8; 32],
    ephemeral: &[u8; 32],
    recipient: &[u8; 32],
) -> Result<XChaCha20Poly1305, LetterError> {
    if shared.iter().all(|byte| *byte == 0) {
        // A low-order point: no secret was agreed.
        return Err(LetterError::NotForUs);
    }
    let mut info = SEAL_INFO.to_vec();
    info.extend_from_slice(ephemeral);
    info.extend_from_slice(recipient);
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<Sha256>::new(None, shared)
        .expand(&info, key.as_mut_slice())
        .map_err(|_| LetterError::Malformed("key derivation".into()))?;
    Ok(XChaCha20Poly1305::new(key.as_slice().into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::CommitId;
    use crate::p2p::commit::tests::TestDevice;
    use rand::SeedableRng as _;

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    fn request() -> Request {
        Request::Heads {
            conversation: CommitId([1; 32]),
            heads: vec![CommitId([2; 32])],
        }
    }

    #[test]
    fn a_letter_opens_for_its_recipient_only() {
        let (alice, bob, eve) = (TestDevice::new(1), TestDevice::new(2), TestDevice::new(3));
        let sealed = write_letter(
            &alice.device,
            &alice.certificate,
            &bob.account.public(),
            &request(),
            &mut rng(),
        )
        .unwrap();
        let (from, got) = open_letter(&bob.account, &sealed).unwrap();
        assert_eq!(from, alice.certificate);
        assert_eq!(got, request());
        assert_eq!(
            open_letter(&eve.account, &sealed),
            Err(LetterError::NotForUs)
        );
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(open_letter(&bob.account, &altered).is_err());
        assert!(open_letter(&bob.account, b"junk").is_err());
    }

    #[test]
    fn a_letter_signed_for_someone_else_is_refused() {
        // Mallory re-seals to bob a letter alice signed for eve: the signature names eve.
        let (alice, bob, eve) = (TestDevice::new(4), TestDevice::new(5), TestDevice::new(6));
        let for_eve = write_letter(
            &alice.device,
            &alice.certificate,
            &eve.account.public(),
            &request(),
            &mut rng(),
        )
        .unwrap();
        let (_, opened) = open_letter(&eve.account, &for_eve).unwrap();
        assert_eq!(opened, request());
        // Build a letter for bob with alice's signature for eve.
        let signature = alice
            .device
            .keypair()
            .sign(&letter_message(
                &eve.id(),
                &wire::encode(&request()).unwrap(),
            ))
            .unwrap();
        let letter = Letter {
            request: wire::encode(&request()).unwrap(),
            certificate: alice.certificate.clone(),
            device_public: alice.device.keypair().public().encode_protobuf(),
            signature,
        };
        let plaintext = cbor4ii::serde::to_vec(Vec::new(), &letter).unwrap();
        let recipient_x = ed25519_to_x25519_public(&bob.account.public()).unwrap();
        let secret = [9u8; 32];
        let ephemeral = x25519_dalek::x25519(secret, x25519_dalek::X25519_BASEPOINT_BYTES);
        let shared = x25519_dalek::x25519(secret, recipient_x);
        let ciphertext = cipher(&shared, &ephemeral, &recipient_x)
            .unwrap()
            .encrypt(
                XNonce::from_slice(&[0; 24]),
                Payload {
                    msg: &plaintext,
                    aad: &ephemeral,
                },
            )
            .unwrap();
        let resealed = cbor4ii::serde::to_vec(
            Vec::new(),
            &Sealed {
                ephemeral: ephemeral.to_vec(),
                nonce: vec![0; 24],
                ciphertext,
            },
        )
        .unwrap();
        assert_eq!(
            open_letter(&bob.account, &resealed),
            Err(LetterError::BadSender)
        );
    }

    #[test]
    fn inboxes_merge_without_duplicates_and_stay_bounded() {
        let one = encode_inbox(vec![vec![1], vec![2]]);
        let two = encode_inbox(vec![vec![2], vec![3]]);
        let merged = merge_inbox(&one, &two);
        assert_eq!(
            decode_inbox(&merged).unwrap(),
            vec![vec![1], vec![2], vec![3]]
        );
        let many = encode_inbox(
            (0..MAX_LETTERS as u32 + 10)
                .map(|n| n.to_be_bytes().to_vec())
                .collect(),
        );
        let bounded = decode_inbox(&merge_inbox(&[], &many)).unwrap();
        assert_eq!(bounded.len(), MAX_LETTERS);
        assert_eq!(
            bounded[0],
            10u32.to_be_bytes().to_vec(),
            "the oldest go first"
        );
        assert!(decode_inbox(b"\xff").is_err());
        assert_ne!(
            inbox_key(&AccountId("a".into())),
            inbox_key(&AccountId("b".into()))
        );
    }
}

/// Seeds for the P2P fuzz targets: `RINGLET_FUZZ_SEEDS=fuzz/corpus cargo test --lib
/// write_p2p_fuzz_seeds -- --ignored` writes one valid input per target.
#[cfg(test)]
mod fuzz_seeds {
    use super::*;
    use crate::p2p::commit::tests::TestDevice;
    use crate::p2p::commit::{CommitBody, ConversationKind};
    use crate::p2p::records::{DeviceEntry, DeviceList, sign_device_list};
    use rand::SeedableRng as _;

    #[test]
    #[ignore = "writes files; run by hand to refresh the fuzz corpus"]
    fn write_p2p_fuzz_seeds() {
        let Ok(dir) = std::env::var("RINGLET_FUZZ_SEEDS") else {
            return;
        };
        let dir = std::path::Path::new(&dir);
        let alice = TestDevice::of(AccountKey::from_secret(&[7u8; 32]).unwrap());
        let bob = TestDevice::new(2);
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
        let text = alice.commit(
            Some(create.id),
            vec![create.id],
            2,
            CommitBody::Text("hi".into()),
        );
        let push = Request::Push {
            commits: vec![create.signed.clone(), text.signed.clone()],
        };
        let list = DeviceList {
            account_public: crate::p2p::identity::hex(&alice.account.public()),
            devices: vec![DeviceEntry {
                certificate: alice.certificate.clone(),
                addresses: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            }],
            revoked: vec![],
            published_ms: 1,
            name: String::new(),
            picture: String::new(),
            picture_ms: 0,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let letter = write_letter(
            &bob.device,
            &bob.certificate,
            &alice.account.public(),
            &push,
            &mut rng,
        )
        .unwrap();
        let file = alice.commit(
            Some(create.id),
            vec![text.id],
            3,
            CommitBody::File(crate::p2p::files::FileOffer {
                name: "song.flac".into(),
                size: 3 << 20,
                chunk_bytes: 1 << 20,
                sha256: vec![1; 32],
                manifest: vec![2; 32],
            }),
        );
        let seeds = [
            ("p2p_wire", "push", wire::encode(&push).unwrap()),
            (
                "p2p_wire",
                "push-file",
                wire::encode(&Request::Push {
                    commits: vec![file.signed.clone()],
                })
                .unwrap(),
            ),
            (
                "p2p_wire",
                "receipt",
                wire::encode(&Request::Receipt {
                    conversation: create.id,
                    commits: vec![text.id],
                    read: true,
                })
                .unwrap(),
            ),
            (
                "p2p_wire",
                "typing",
                wire::encode(&Request::Typing {
                    conversation: create.id,
                    typing: true,
                })
                .unwrap(),
            ),
            (
                "p2p_wire",
                "call-elsewhere",
                wire::encode(&Request::CallElsewhere {
                    peer: "ab12".into(),
                    active: true,
                })
                .unwrap(),
            ),
            (
                "p2p_wire",
                "manifest",
                wire::encode(&Request::FileManifest { file: file.id }).unwrap(),
            ),
            (
                "p2p_transfer",
                "request",
                crate::p2p::transfer::encode_request(&crate::p2p::transfer::ChunkRequest {
                    file: file.id,
                    ranges: vec![(0, 2), (5, 9)],
                })
                .unwrap(),
            ),
            (
                "p2p_transfer",
                "chunk",
                crate::p2p::transfer::encode_answer(&crate::p2p::transfer::Answer::Sending)
                    .unwrap()
                    .into_iter()
                    .chain(crate::p2p::transfer::chunk_header(1, 3))
                    .chain(*b"abc")
                    .collect(),
            ),
            ("p2p_commit", "create", create.signed.to_bytes()),
            ("p2p_commit", "file", file.signed.to_bytes()),
            (
                "p2p_record",
                "list",
                sign_device_list(&alice.account, &list),
            ),
            ("p2p_inbox", "letter", encode_inbox(vec![letter])),
            // An archive (also a PIN link record) under the target's passphrase, at the
            // cheapest stretch so the fuzzer gets past it quickly.
            (
                "archive_decode",
                "archive",
                crate::p2p::archive::seal(
                    "passphrase",
                    &crate::p2p::ArchivePayload {
                        account_secret: "07".repeat(32),
                        name: "alice".into(),
                        devices: vec![alice.certificate.clone()],
                    },
                    crate::crypto::StretchCost {
                        memory_kib: 8,
                        passes: 1,
                        lanes: 1,
                    },
                    &mut rng,
                )
                .unwrap(),
            ),
        ];
        for (target, name, bytes) in seeds {
            let target_dir = dir.join(target);
            std::fs::create_dir_all(&target_dir).unwrap();
            std::fs::write(target_dir.join(name), bytes).unwrap();
        }
    }
}
