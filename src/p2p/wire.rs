//! The device-to-device protocol: requests and responses in CBOR, each framed by a 4-byte
//! length, on libp2p request-response streams (`/ringlet/msg/1.0.0`).
//!
//! The first request on every connection is `Hello` with the device certificate; a peer
//! that has not proven it is a certified device of some account gets `Refused` for
//! everything else. [`decode_request`] and [`decode_response`] are the only decoders of
//! bytes from the network here, and each has a fuzz target.

use std::io;

use futures::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use libp2p::StreamProtocol;
use serde::{Deserialize, Serialize};

use super::commit::{CommitId, SignedCommit};
use super::identity::DeviceCertificate;

/// The request-response protocol name.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/msg/1.0.0");
/// Largest frame read or written.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// Most commits in one push or fetch answer.
pub const MAX_COMMITS_PER_MESSAGE: usize = 512;

/// What one device asks another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// "I am this certified device" (first, on every connection).
    Hello {
        /// The sender's certificate; its device id must be the connection's peer id.
        certificate: DeviceCertificate,
        /// The sending process, drawn at random when it started (0: not told, as by
        /// older builds): a new one means the device restarted, and its older connections
        /// lead nowhere.
        #[serde(default)]
        instance: u64,
    },
    /// A contact request: the new conversation's `Create` commit and the sender's name.
    ContactRequest {
        /// The sender's display name.
        name: String,
        /// The conversation's commits so far (its `Create` first).
        commits: Vec<SignedCommit>,
    },
    /// An invitation to a group: its commits so far (its `Create` first).
    Invite {
        /// The commits, parents first.
        commits: Vec<SignedCommit>,
    },
    /// New commits of a conversation.
    Push {
        /// The commits, parents first.
        commits: Vec<SignedCommit>,
    },
    /// "These are my heads of a conversation" (on connect, so the other side can fetch).
    Heads {
        /// The conversation.
        conversation: CommitId,
        /// The sender's heads.
        heads: Vec<CommitId>,
    },
    /// The sender account's device list, signed by the account key (it carries the
    /// revoked devices).
    DeviceList {
        /// The signed record, as published in the DHT.
        #[serde(with = "super::cbor_bytes")]
        record: Vec<u8>,
    },
    /// "Send me what I lack, given my heads."
    Fetch {
        /// The conversation.
        conversation: CommitId,
        /// The asker's heads.
        have: Vec<CommitId>,
    },
    /// "Send me the chunk list of the file this commit offers."
    FileManifest {
        /// The file's commit.
        file: CommitId,
    },
    /// "I have (or have shown) these messages of yours": delivered and read receipts, from a
    /// member's device to the author's devices. Not stored as commits.
    Receipt {
        /// The conversation.
        conversation: CommitId,
        /// The messages.
        commits: Vec<CommitId>,
        /// Shown to the user (else only stored).
        read: bool,
    },
    /// "I am typing in this conversation" (or stopped). Not stored.
    Typing {
        /// The conversation.
        conversation: CommitId,
        /// Typing now.
        typing: bool,
    },
    /// "Send me the profile picture of your account that has this hash" (the one its
    /// device list names).
    Picture {
        /// Hex SHA-256 of the picture.
        hash: String,
    },
    /// "I am in a call with this contact" (or no longer), from a device to the other
    /// devices of its own account, so that they can show it. Not stored.
    CallElsewhere {
        /// The other side: a contact's account id.
        peer: String,
        /// In the call now.
        active: bool,
    },
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The answer to `Hello`: the responder's certificate.
    Hello {
        /// The responder's certificate.
        certificate: DeviceCertificate,
        /// The responding process (see [`Request::Hello`]).
        #[serde(default)]
        instance: u64,
    },
    /// Received and stored (or already held).
    Ack,
    /// Commits the asker lacks, parents first; `more` when another fetch is needed.
    Commits {
        /// The commits.
        commits: Vec<SignedCommit>,
        /// More remain.
        more: bool,
    },
    /// A file's chunk list: each chunk's SHA-256, in order.
    Manifest {
        /// The hashes, concatenated.
        #[serde(with = "super::cbor_bytes")]
        hashes: Vec<u8>,
    },
    /// The profile picture asked for (PNG or JPEG).
    Picture {
        /// The picture's bytes.
        #[serde(with = "super::cbor_bytes")]
        bytes: Vec<u8>,
    },
    /// Not accepted, with the reason.
    Refused(String),
}

/// Why bytes are not a message.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Longer than [`MAX_FRAME_BYTES`].
    #[error("message of {0} bytes is too long")]
    TooLong(usize),
    /// Not valid CBOR for a message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// More commits than one message may carry.
    #[error("{0} commits in one message")]
    TooManyCommits(usize),
}

/// Decodes a request.
pub fn decode_request(bytes: &[u8]) -> Result<Request, WireError> {
    let request: Request = decode(bytes)?;
    let commits = match &request {
        Request::ContactRequest { commits, .. }
        | Request::Push { commits }
        | Request::Invite { commits } => commits.len(),
        Request::Heads { heads, .. } => heads.len(),
        Request::Fetch { have, .. } => have.len(),
        Request::Receipt { commits, .. } => commits.len(),
        Request::Hello { .. }
        | Request::DeviceList { .. }
        | Request::FileManifest { .. }
        | Request::Typing { .. }
        | Request::Picture { .. }
        | Request::CallElsewhere { .. } => 0,
    };
    if commits > MAX_COMMITS_PER_MESSAGE {
        return Err(WireError::TooManyCommits(commits));
    }
    Ok(request)
}

/// Decodes a response.
pub fn decode_response(bytes: &[u8]) -> Result<Response, WireError> {
    let response: Response = decode(bytes)?;
    if let Response::Commits { commits, .. } = &response
        && commits.len() > MAX_COMMITS_PER_MESSAGE
    {
        return Err(WireError::TooManyCommits(commits.len()));
    }
    Ok(response)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(WireError::TooLong(bytes.len()));
    }
    cbor4ii::serde::from_slice(bytes).map_err(|err| WireError::Malformed(err.to_string()))
}

/// Encodes a message.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, WireError> {
    let bytes = cbor4ii::serde::to_vec(Vec::new(), message)
        .map_err(|err| WireError::Malformed(err.to_string()))?;
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(WireError::TooLong(bytes.len()));
    }
    Ok(bytes)
}

/// Length-prefixed CBOR for libp2p request-response.
#[derive(Debug, Clone, Default)]
pub struct Codec;

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Vec<u8>> {
    let mut length = [0u8; 4];
    io.read_exact(&mut length).await?;
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            WireError::TooLong(length),
        ));
    }
    let mut bytes = vec![0u8; length];
    io.read_exact(&mut bytes).await?;
    Ok(bytes)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: &[u8]) -> io::Result<()> {
    let length = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    io.write_all(&length.to_be_bytes()).await?;
    io.write_all(bytes).await?;
    io.close().await
}

fn invalid(err: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for Codec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        decode_request(&read_frame(io).await?).map_err(invalid)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        decode_response(&read_frame(io).await?).map_err(invalid)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &encode(&request).map_err(invalid)?).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &encode(&response).map_err(invalid)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::commit::CommitBody;
    use crate::p2p::commit::tests::TestDevice;

    #[test]
    fn a_hello_from_an_older_build_without_its_instance_reads_as_instance_zero() {
        // The shape older builds sent: the certificate alone.
        #[derive(Serialize)]
        enum Older {
            Hello { certificate: DeviceCertificate },
        }
        let alice = TestDevice::new(1);
        let bytes = encode(&Older::Hello {
            certificate: alice.certificate.clone(),
        })
        .unwrap();
        assert_eq!(
            decode_request(&bytes).unwrap(),
            Request::Hello {
                certificate: alice.certificate,
                instance: 0
            }
        );
    }

    #[test]
    fn messages_round_trip() {
        let alice = TestDevice::new(1);
        let root = CommitId([3; 32]);
        let text = alice.commit(Some(root), vec![root], 1, CommitBody::Text("hello".into()));
        let requests = [
            Request::Hello {
                certificate: alice.certificate.clone(),
                instance: 7,
            },
            Request::Push {
                commits: vec![text.signed.clone()],
            },
            Request::Fetch {
                conversation: root,
                have: vec![text.id],
            },
        ];
        for request in requests {
            let bytes = encode(&request).unwrap();
            assert_eq!(decode_request(&bytes).unwrap(), request);
        }
        let response = Response::Commits {
            commits: vec![text.signed],
            more: true,
        };
        assert_eq!(
            decode_response(&encode(&response).unwrap()).unwrap(),
            response
        );
    }

    #[test]
    fn file_receipt_and_typing_messages_round_trip() {
        let file = CommitId([7; 32]);
        for request in [
            Request::FileManifest { file },
            Request::Receipt {
                conversation: file,
                commits: vec![CommitId([1; 32]), CommitId([2; 32])],
                read: true,
            },
            Request::Typing {
                conversation: file,
                typing: false,
            },
            Request::CallElsewhere {
                peer: "ab12".into(),
                active: true,
            },
        ] {
            let bytes = encode(&request).unwrap();
            assert_eq!(decode_request(&bytes).unwrap(), request);
        }
        // Byte strings, not arrays of numbers: a chunk list of 100,000 hashes fits a frame.
        let response = Response::Manifest {
            hashes: vec![3; 32 * 100_000],
        };
        let bytes = encode(&response).unwrap();
        assert!(bytes.len() < 32 * 100_000 + 64);
        assert_eq!(decode_response(&bytes).unwrap(), response);
        let many = Request::Receipt {
            conversation: file,
            commits: vec![CommitId([1; 32]); MAX_COMMITS_PER_MESSAGE + 1],
            read: false,
        };
        assert!(matches!(
            decode_request(&encode(&many).unwrap()),
            Err(WireError::TooManyCommits(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_to_a_message_or_an_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
        ) {
            // Never a panic.
            let _ = decode_request(&bytes);
            let _ = decode_response(&bytes);
        }
    }

    #[test]
    fn garbage_and_oversized_input_is_an_error() {
        assert!(decode_request(&[]).is_err());
        assert!(decode_request(&[0xa1, 0x00]).is_err());
        assert!(decode_response(&[0xff; 64]).is_err());
        assert!(matches!(
            decode_request(&vec![0; MAX_FRAME_BYTES + 1]),
            Err(WireError::TooLong(_))
        ));
        let many = Request::Heads {
            conversation: CommitId([0; 32]),
            heads: vec![CommitId([1; 32]); MAX_COMMITS_PER_MESSAGE + 1],
        };
        assert!(matches!(
            decode_request(&encode(&many).unwrap()),
            Err(WireError::TooManyCommits(_))
        ));
    }
}
