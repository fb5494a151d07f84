//! File streams, the engine's half (`p2p::transfer` has the protocol): the task that fetches
//! a download's missing chunks, checking each against the chunk list and writing it at its
//! place, and the task that serves our file's chunks to a member who asked. Both run on the
//! tokio runtime, hashing and file I/O on its blocking threads, and report to the engine
//! loop through its P2P event channel.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::time::Duration;

use futures::AsyncWriteExt as _;
use libp2p::PeerId;

use super::files::read_chunk;
use crate::engine::EngineCore;
use crate::model::AccountId;
use crate::p2p::files::{FileOffer, verify_chunk};
use crate::p2p::network::NetworkEvent;
use crate::p2p::transfer::{self, Answer, ChunkRequest, Progress, StreamEnd, TransferError};

/// Chunks being checked and written (or read, on the sending side) while the stream goes
/// on with the next: the network, hashing and the disk overlap.
const PIPELINE: usize = 3;

/// How long a stream may stay silent (opening, the answer, the next chunk, room to write)
/// before it counts as lost.
const STALL: Duration = Duration::from_secs(30);

/// Where a download's chunks go and what they must match.
pub(super) struct Target {
    /// The partial file.
    pub part: Arc<File>,
    /// The offer.
    pub offer: FileOffer,
    /// Its chunk list.
    pub manifest: Vec<u8>,
}

impl EngineCore {
    /// How a file task of account `id` reports to the engine loop: on its P2P event
    /// channel, so that the loop sees it in order with the network's events.
    pub(super) fn transfer_reporter(
        &self,
        id: &AccountId,
    ) -> impl Fn(Progress) + Send + Sync + 'static {
        let tag = id.clone();
        let events = self.p2p_events.clone();
        move |progress| {
            events
                .send((tag.clone(), NetworkEvent::Transfer(progress)))
                .ok();
        }
    }
}

/// Fetches the chunks `request` asks for from `peer`, reporting each and then the end.
pub(super) async fn fetch(
    control: libp2p_stream::Control,
    peer: PeerId,
    request: ChunkRequest,
    target: Target,
    report: impl Fn(Progress) + Send + 'static,
) {
    let file = request.file;
    let end = fetch_chunks(control, peer, &request, Arc::new(target), &report).await;
    report(Progress::Ended { file, end });
}

async fn within<T, E: std::fmt::Display>(
    what: &str,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(STALL, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no {what} within {} s", STALL.as_secs())),
    }
}

async fn fetch_chunks(
    mut control: libp2p_stream::Control,
    peer: PeerId,
    request: &ChunkRequest,
    target: Arc<Target>,
    report: &impl Fn(Progress),
) -> StreamEnd {
    let opened = within("stream", control.open_stream(peer, transfer::PROTOCOL)).await;
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(error) => return StreamEnd::Lost(error),
    };
    match tokio::time::timeout(STALL, transfer::ask(&mut stream, request)).await {
        Ok(Ok(())) => {}
        Ok(Err(TransferError::Refused(reason))) => return StreamEnd::Refused(reason),
        Ok(Err(err)) => return StreamEnd::Lost(err.to_string()),
        Err(_) => return StreamEnd::Lost("no answer to a file stream".into()),
    }
    let mut expected = transfer::indexes_of(&request.ranges, target.offer.chunks());
    let mut checking: VecDeque<(u64, Checking)> = VecDeque::new();
    let end = loop {
        let next = match within("chunk", transfer::read_chunk(&mut stream)).await {
            Ok(next) => next,
            Err(error) => break StreamEnd::Lost(error),
        };
        let Some((index, bytes)) = next else {
            break match expected.next() {
                None => StreamEnd::Done,
                Some(index) => StreamEnd::Lost(format!("the sender stopped before chunk {index}")),
            };
        };
        if expected.next() != Some(index) {
            break StreamEnd::Lost(format!("chunk {index} came out of order"));
        }
        let target = Arc::clone(&target);
        let check = tokio::task::spawn_blocking(move || {
            if verify_chunk(&target.offer, &target.manifest, index, &bytes).is_err() {
                return Ok(false);
            }
            let (offset, _) = target.offer.chunk_range(index).map_err(io::Error::other)?;
            target.part.write_all_at(&bytes, offset).map(|()| true)
        });
        checking.push_back((index, check));
        if checking.len() > PIPELINE
            && let Err(failed) = report_oldest(&mut checking, request.file, report).await
        {
            return failed;
        }
    };
    // What arrived before the end is still recorded.
    while !checking.is_empty() {
        if let Err(failed) = report_oldest(&mut checking, request.file, report).await {
            return failed;
        }
    }
    end
}

/// A chunk's check and write on a blocking thread: whether it matched its hash.
type Checking = tokio::task::JoinHandle<io::Result<bool>>;

/// Waits for the oldest chunk's check and write and reports it; the end of the stream
/// when it could not be written.
async fn report_oldest(
    checking: &mut VecDeque<(u64, Checking)>,
    file: crate::p2p::commit::CommitId,
    report: &impl Fn(Progress),
) -> Result<(), StreamEnd> {
    let Some((index, check)) = checking.pop_front() else {
        return Ok(());
    };
    let matched = match check.await {
        Ok(Ok(matched)) => matched,
        Ok(Err(err)) => return Err(StreamEnd::WriteFailed(err.to_string())),
        Err(err) => return Err(StreamEnd::WriteFailed(err.to_string())),
    };
    report(Progress::Received {
        file,
        index,
        matched,
    });
    Ok(())
}

/// Sends the chunks of `source` that `request` asks for on `stream`, reporting each.
pub(super) async fn serve(
    peer: PeerId,
    mut stream: libp2p::Stream,
    source: Arc<File>,
    offer: FileOffer,
    request: ChunkRequest,
    report: impl Fn(Progress) + Send + 'static,
) {
    let served = serve_chunks(&mut stream, source, &offer, &request, &report).await;
    if let Err(error) = served {
        tracing::info!(%error, "a file stream to a member ended early");
    }
    report(Progress::ServingEnded { peer });
}

async fn serve_chunks(
    stream: &mut libp2p::Stream,
    source: Arc<File>,
    offer: &FileOffer,
    request: &ChunkRequest,
    report: &impl Fn(Progress),
) -> Result<(), String> {
    within("room to answer", transfer::answer(stream, &Answer::Sending)).await?;
    let mut indexes = transfer::indexes_of(&request.ranges, offer.chunks());
    let mut reading = VecDeque::new();
    loop {
        // The next chunks are read from disk while this one goes out.
        while reading.len() < PIPELINE {
            let Some(index) = indexes.next() else {
                break;
            };
            let (offset, length) = offer.chunk_range(index).map_err(|err| err.to_string())?;
            let source = Arc::clone(&source);
            let read = tokio::task::spawn_blocking(move || read_chunk(&source, offset, length));
            reading.push_back((index, read));
        }
        let Some((index, read)) = reading.pop_front() else {
            break;
        };
        let bytes = read
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| err.to_string())?;
        within(
            "room to write",
            transfer::write_chunk(stream, index, &bytes),
        )
        .await?;
        report(Progress::Served {
            file: request.file,
            index,
        });
    }
    within("close", stream.close()).await
}

/// Tells the asker why it gets nothing (`Refused`), or nothing now (`Busy`).
pub(super) async fn refuse(mut stream: libp2p::Stream, answer: Answer) {
    let answered = within("room to answer", transfer::answer(&mut stream, &answer)).await;
    if let Err(error) = answered {
        tracing::debug!(%error, "a file stream refusal was not delivered");
    }
}
