//! File bytes over raw libp2p streams (`/ringlet/file/1.0.0`), one stream per download run.
//!
//! Protocol messages (a file's chunk list among them) go over request-response; the bytes
//! of a file go over a stream of their own, so a 100 MB file is one stream and not a hundred
//! request-response exchanges, and the sender writes as fast as flow control lets it:
//!
//! 1. The receiver opens the stream and writes one frame: a [`ChunkRequest`], the file's
//!    commit and the chunks it misses as sorted, disjoint ranges.
//! 2. The sender answers with one [`Answer`] frame: [`Answer::Sending`] or why not.
//! 3. Then, for each chunk asked for, in order: its index (8 bytes), its length (4 bytes),
//!    its bytes. The sender closes the stream after the last one.
//!
//! A frame is a 4-byte big-endian length and CBOR. The receiver checks every chunk against
//! the chunk list (`p2p::files`) before it is written; nothing here trusts the bytes.
//! [`decode_request`], [`decode_answer`] and [`parse_chunk_header`] are the decoders of
//! bytes from the network, each with a fuzz target (`fuzz/fuzz_targets/p2p_transfer.rs`).

use std::io;

use futures::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use libp2p::StreamProtocol;
use serde::{Deserialize, Serialize};

use super::commit::CommitId;
use super::files::CHUNK_BYTES_RANGE;

/// The stream protocol name.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/ringlet/file/1.0.0");
/// Most ranges in one request (a receiver with more gaps asks for the first ones).
pub const MAX_RANGES: usize = 1024;
/// Largest request or answer frame.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Bytes before each chunk: its index and its length.
pub const CHUNK_HEADER_BYTES: usize = 12;

/// What a receiver asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRequest {
    /// The commit that offered the file.
    pub file: CommitId,
    /// Chunks wanted, as half-open ranges `start..end`, sorted and disjoint.
    pub ranges: Vec<(u64, u64)>,
}

/// The sender's first word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// The chunks follow.
    Sending,
    /// Nothing follows, and why.
    Refused(String),
    /// Nothing follows now: too many streams to this asker are open; ask again later.
    Busy,
}

/// What the engine's file stream tasks report to it.
#[derive(Debug)]
pub enum Progress {
    /// A chunk arrived on a download stream and was checked: written when it matched.
    Received {
        /// The file's commit.
        file: CommitId,
        /// The chunk.
        index: u64,
        /// It matched its hash (and is on disk).
        matched: bool,
    },
    /// A download stream is over.
    Ended {
        /// The file's commit.
        file: CommitId,
        /// How.
        end: StreamEnd,
    },
    /// A chunk of one of our files went out.
    Served {
        /// The file's commit.
        file: CommitId,
        /// The chunk.
        index: u64,
    },
    /// A stream we served a file on is over (all sent, or the link went).
    ServingEnded {
        /// The device it went to.
        peer: libp2p::PeerId,
    },
    /// A file we are about to offer was hashed off the engine's loop.
    Hashed {
        /// The engine's request that asked for it.
        request: u64,
        /// The conversation it goes to.
        conversation: CommitId,
        /// The file.
        path: std::path::PathBuf,
        /// Its offer and chunk list, or why it could not be read.
        offer: Result<(super::files::FileOffer, Vec<u8>), String>,
    },
    /// A finished download's whole-file check: `None` when it matched, else why not.
    Checked {
        /// The file's commit.
        file: CommitId,
        /// Why it failed.
        error: Option<String>,
    },
}

/// How a download stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// Everything asked for came.
    Done,
    /// The link went or the stream broke: asked again later.
    Lost(String),
    /// The sender said no (the download is given up).
    Refused(String),
    /// This device could not write the file (given up).
    WriteFailed(String),
}

/// Why a stream's bytes are refused.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Reading or writing the stream failed (the link went, or a timeout).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A frame longer than [`MAX_FRAME_BYTES`].
    #[error("a frame of {0} bytes is too long")]
    TooLong(usize),
    /// Not the CBOR expected.
    #[error("malformed: {0}")]
    Malformed(String),
    /// More than [`MAX_RANGES`] ranges.
    #[error("{0} ranges asked for (at most {MAX_RANGES})")]
    TooManyRanges(usize),
    /// A range that is empty, reversed, or not after the one before.
    #[error("bad range {0}..{1}")]
    BadRange(u64, u64),
    /// A chunk longer than any offer allows.
    #[error("a chunk of {0} bytes is too long")]
    ChunkTooLong(u32),
    /// The sender would not send.
    #[error("the sender refused: {0}")]
    Refused(String),
    /// The sender has enough streams to us open; ask again later.
    #[error("the sender is busy with other files for us")]
    Busy,
}

/// Ranges covering `indexes` (ascending), consecutive ones merged, at most [`MAX_RANGES`].
pub fn ranges_of(indexes: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for index in indexes {
        let full = ranges.len() == MAX_RANGES;
        match ranges.last_mut() {
            Some((_, end)) if *end == index => *end += 1,
            Some((_, end)) if *end > index => {}
            _ if full => break,
            _ => ranges.push((index, index + 1)),
        }
    }
    ranges
}

/// The chunk indexes of `ranges` that exist in a file of `chunks` chunks, in order.
pub fn indexes_of(ranges: &[(u64, u64)], chunks: u64) -> impl Iterator<Item = u64> + '_ {
    ranges
        .iter()
        .flat_map(move |&(start, end)| start.min(chunks)..end.min(chunks))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, TransferError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(TransferError::TooLong(bytes.len()));
    }
    cbor4ii::serde::from_slice(bytes).map_err(|err| TransferError::Malformed(err.to_string()))
}

fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, TransferError> {
    let bytes = cbor4ii::serde::to_vec(Vec::new(), message)
        .map_err(|err| TransferError::Malformed(err.to_string()))?;
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(TransferError::TooLong(bytes.len()));
    }
    Ok(bytes)
}

/// A frame: the length, then the bytes.
fn framed(bytes: Vec<u8>) -> Result<Vec<u8>, TransferError> {
    let length = u32::try_from(bytes.len()).map_err(|_| TransferError::TooLong(bytes.len()))?;
    Ok(length.to_be_bytes().into_iter().chain(bytes).collect())
}

/// A request as the receiver writes it (framed).
pub fn encode_request(request: &ChunkRequest) -> Result<Vec<u8>, TransferError> {
    framed(encode(request)?)
}

/// An answer as the sender writes it (framed).
pub fn encode_answer(answer: &Answer) -> Result<Vec<u8>, TransferError> {
    framed(encode(answer)?)
}

/// Decodes and checks a request.
pub fn decode_request(bytes: &[u8]) -> Result<ChunkRequest, TransferError> {
    let request: ChunkRequest = decode(bytes)?;
    if request.ranges.len() > MAX_RANGES {
        return Err(TransferError::TooManyRanges(request.ranges.len()));
    }
    let mut after = 0;
    for &(start, end) in &request.ranges {
        if start >= end || start < after {
            return Err(TransferError::BadRange(start, end));
        }
        after = end;
    }
    Ok(request)
}

/// Decodes an answer.
pub fn decode_answer(bytes: &[u8]) -> Result<Answer, TransferError> {
    decode(bytes)
}

/// A chunk's header.
pub fn chunk_header(index: u64, length: u32) -> [u8; CHUNK_HEADER_BYTES] {
    let mut header = [0u8; CHUNK_HEADER_BYTES];
    header[..8].copy_from_slice(&index.to_be_bytes());
    header[8..].copy_from_slice(&length.to_be_bytes());
    header
}

/// Reads a chunk's header: its index and length.
pub fn parse_chunk_header(header: &[u8; CHUNK_HEADER_BYTES]) -> Result<(u64, u32), TransferError> {
    let (index, length) = header.split_at(8);
    let index = u64::from_be_bytes(index.try_into().unwrap_or_default());
    let length = u32::from_be_bytes(length.try_into().unwrap_or_default());
    if length > *CHUNK_BYTES_RANGE.end() {
        return Err(TransferError::ChunkTooLong(length));
    }
    Ok((index, length))
}

async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, TransferError> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length).await?;
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(TransferError::TooLong(length));
    }
    let mut bytes = vec![0u8; length];
    stream.read_exact(&mut bytes).await?;
    Ok(bytes)
}

async fn write_frame<S: AsyncWrite + Unpin>(
    stream: &mut S,
    framed: &[u8],
) -> Result<(), TransferError> {
    stream.write_all(framed).await?;
    stream.flush().await?;
    Ok(())
}

/// The receiver's opening: writes the request, reads the answer (an error when refused).
pub async fn ask<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &ChunkRequest,
) -> Result<(), TransferError> {
    write_frame(stream, &encode_request(request)?).await?;
    match read_answer(stream).await? {
        Answer::Sending => Ok(()),
        Answer::Refused(reason) => Err(TransferError::Refused(reason)),
        Answer::Busy => Err(TransferError::Busy),
    }
}

/// The receiver's side: reads the sender's first word.
pub async fn read_answer<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Answer, TransferError> {
    decode_answer(&read_frame(stream).await?)
}

/// The sender's side: reads what is asked.
pub async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<ChunkRequest, TransferError> {
    decode_request(&read_frame(stream).await?)
}

/// The sender's side: says whether chunks follow (and closes the stream if not).
pub async fn answer<S: AsyncWrite + Unpin>(
    stream: &mut S,
    answer: &Answer,
) -> Result<(), TransferError> {
    write_frame(stream, &encode_answer(answer)?).await?;
    if !matches!(answer, Answer::Sending) {
        stream.close().await?;
    }
    Ok(())
}

/// The sender's side: one chunk.
pub async fn write_chunk<S: AsyncWrite + Unpin>(
    stream: &mut S,
    index: u64,
    bytes: &[u8],
) -> Result<(), TransferError> {
    let length = u32::try_from(bytes.len())
        .ok()
        .filter(|length| *length <= *CHUNK_BYTES_RANGE.end())
        .ok_or(TransferError::TooLong(bytes.len()))?;
    stream.write_all(&chunk_header(index, length)).await?;
    stream.write_all(bytes).await?;
    Ok(())
}

/// The receiver's side: the next chunk, or `None` when the sender closed the stream after
/// a whole chunk.
pub async fn read_chunk<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<Option<(u64, Vec<u8>)>, TransferError> {
    let mut header = [0u8; CHUNK_HEADER_BYTES];
    // The first byte tells a clean end from a cut-off chunk.
    if stream.read(&mut header[..1]).await? == 0 {
        return Ok(None);
    }
    stream.read_exact(&mut header[1..]).await?;
    let (index, length) = parse_chunk_header(&header)?;
    let mut bytes = vec![0u8; length as usize];
    stream.read_exact(&mut bytes).await?;
    Ok(Some((index, bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn ranges_merge_consecutive_chunks_and_skip_repeats() {
        assert_eq!(ranges_of([0, 1, 2, 5, 6, 9]), vec![(0, 3), (5, 7), (9, 10)]);
        assert_eq!(ranges_of([3, 3, 4]), vec![(3, 5)]);
        assert!(ranges_of([]).is_empty());
        let gaps = ranges_of((0..10_000).step_by(2));
        assert_eq!(gaps.len(), MAX_RANGES, "a long gap list is cut");
        let indexes: Vec<u64> = indexes_of(&[(0, 2), (4, 9)], 6).collect();
        assert_eq!(indexes, vec![0, 1, 4, 5], "capped at the file's chunks");
    }

    #[test]
    fn bad_requests_are_refused_with_their_reason() {
        let file = CommitId([7; 32]);
        let good = ChunkRequest {
            file,
            ranges: vec![(0, 2), (4, 9)],
        };
        assert_eq!(decode_request(&encode(&good).unwrap()).unwrap(), good);
        for ranges in [vec![(2, 2)], vec![(3, 1)], vec![(0, 4), (2, 6)]] {
            let bytes = encode(&ChunkRequest { file, ranges }).unwrap();
            assert!(matches!(
                decode_request(&bytes),
                Err(TransferError::BadRange(..))
            ));
        }
        let many = ChunkRequest {
            file,
            ranges: (0..=MAX_RANGES as u64)
                .map(|i| (2 * i, 2 * i + 1))
                .collect(),
        };
        assert!(matches!(
            decode_request(&encode(&many).unwrap()),
            Err(TransferError::TooManyRanges(_))
        ));
        assert!(matches!(
            decode_request(b"\xff\x00"),
            Err(TransferError::Malformed(_))
        ));
        assert!(matches!(
            parse_chunk_header(&chunk_header(1, (2 << 20) + 1)),
            Err(TransferError::ChunkTooLong(_))
        ));
    }

    #[test]
    fn a_stream_carries_request_answer_and_chunks_and_tells_a_clean_end_from_a_cut() {
        let request = ChunkRequest {
            file: CommitId([1; 32]),
            ranges: vec![(3, 5)],
        };
        // The receiver's bytes, read back by the sender.
        let mut at_sender = Cursor::new(encode_request(&request).unwrap());
        assert_eq!(block_on(read_request(&mut at_sender)).unwrap(), request);
        // The sender's bytes, read back by the receiver.
        let mut reply = Cursor::new(Vec::new());
        block_on(answer(&mut reply, &Answer::Sending)).unwrap();
        block_on(write_chunk(&mut reply, 3, b"abc")).unwrap();
        block_on(write_chunk(&mut reply, 4, b"")).unwrap();
        let whole = reply.into_inner();
        let mut at_receiver = Cursor::new(whole.clone());
        let opening = block_on(read_answer(&mut at_receiver)).unwrap();
        assert_eq!(opening, Answer::Sending);
        let first = block_on(read_chunk(&mut at_receiver)).unwrap();
        assert_eq!(first, Some((3, b"abc".to_vec())));
        let second = block_on(read_chunk(&mut at_receiver)).unwrap();
        assert_eq!(second, Some((4, Vec::new())));
        assert!(block_on(read_chunk(&mut at_receiver)).unwrap().is_none());
        // The same bytes cut inside the first chunk: an error, not an end.
        let mut cut = Cursor::new(whole[..whole.len() - CHUNK_HEADER_BYTES - 1].to_vec());
        block_on(read_frame(&mut cut)).unwrap();
        assert!(matches!(
            block_on(read_chunk(&mut cut)),
            Err(TransferError::Io(_))
        ));
        // A refusal reaches the receiver as its reason.
        let mut refused = Cursor::new(Vec::new());
        block_on(answer(
            &mut refused,
            &Answer::Refused("no such file".into()),
        ))
        .unwrap();
        let mut both = Cursor::new(Vec::new());
        let mut duplex = Duplex {
            read: Cursor::new(refused.into_inner()),
            write: &mut both,
        };
        match block_on(ask(&mut duplex, &request)) {
            Err(TransferError::Refused(reason)) => assert_eq!(reason, "no such file"),
            other => panic!("{other:?}"),
        }
        // So does "busy", apart from a refusal (the receiver asks again later).
        let mut busy = Cursor::new(Vec::new());
        block_on(answer(&mut busy, &Answer::Busy)).unwrap();
        let mut duplex = Duplex {
            read: Cursor::new(busy.into_inner()),
            write: &mut both,
        };
        assert!(matches!(
            block_on(ask(&mut duplex, &request)),
            Err(TransferError::Busy)
        ));
        // The receiver wrote its request both times, each one frame.
        let sent = both.into_inner();
        let mut at_sender = Cursor::new(sent);
        for _ in 0..2 {
            assert_eq!(block_on(read_request(&mut at_sender)).unwrap(), request);
        }
    }

    /// Reads from one buffer, writes to another.
    struct Duplex<'a> {
        read: Cursor<Vec<u8>>,
        write: &'a mut Cursor<Vec<u8>>,
    }

    impl AsyncRead for Duplex<'_> {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::pin::Pin::new(&mut self.read).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Duplex<'_> {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::pin::Pin::new(&mut *self.write).poll_write(cx, buf)
        }

        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::pin::Pin::new(&mut *self.write).poll_flush(cx)
        }

        fn poll_close(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::pin::Pin::new(&mut *self.write).poll_close(cx)
        }
    }
}
