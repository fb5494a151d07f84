//! Downloads of files offered in P2P conversations: the partial file in
//! `DATA_DIR/downloads/.ID.part`, what to ask the sending device for next (the chunk list by
//! request-response, then the missing chunks over a file stream, `streams.rs`), each chunk
//! recorded once its task checked and wrote it, resumption from the chunks already on disk
//! (hashed again first), and the whole file's check (off the engine thread) and move into
//! place at the end (`p2p::files` decides what each answer means).

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use libp2p::PeerId;
use sha2::{Digest as _, Sha256};

use super::files::{HASH_READ_BYTES, REPORT_INTERVAL, decode_offer, read_chunk};
use super::{Outstanding, clock};
use crate::engine::EngineCore;
use crate::model::{AccountId, TransferState};
use crate::p2p::commit::CommitId;
use crate::p2p::files::{Ask, Download, matches_whole};
use crate::p2p::transfer::{ChunkRequest, Progress, StreamEnd};
use crate::p2p::wire::{Request, Response};
use crate::store::TransferRow;

/// A P2P account's files being received, by their commit, and the file manifests and
/// chunks refused on the way (a bad hash, a wrong answer). One owner, its fields private.
#[derive(Default)]
pub(super) struct Downloads {
    active: HashMap<CommitId, ActiveDownload>,
    refused: u64,
}

impl Downloads {
    pub(super) fn contains_key(&self, file: &CommitId) -> bool {
        self.active.contains_key(file)
    }

    pub(super) fn get(&self, file: &CommitId) -> Option<&ActiveDownload> {
        self.active.get(file)
    }

    pub(super) fn get_mut(&mut self, file: &CommitId) -> Option<&mut ActiveDownload> {
        self.active.get_mut(file)
    }

    fn insert(&mut self, file: CommitId, active: ActiveDownload) {
        self.active.insert(file, active);
    }

    pub(super) fn remove(&mut self, file: &CommitId) -> Option<ActiveDownload> {
        self.active.remove(file)
    }

    fn iter(&self) -> impl Iterator<Item = (&CommitId, &ActiveDownload)> {
        self.active.iter()
    }

    /// Downloads in progress.
    pub(super) fn len(&self) -> usize {
        self.active.len()
    }

    /// A manifest or chunk was refused.
    fn count_refused(&mut self) {
        self.refused += 1;
    }

    /// Manifests and chunks refused so far.
    pub(super) fn refused(&self) -> u64 {
        self.refused
    }

    /// The device went: whatever was asked of it is asked again when it is back.
    pub(super) fn forget_requests_to(&mut self, peer: PeerId) {
        for active in self.active.values_mut() {
            active.forget_requests_to(peer);
        }
    }
}

/// A download in progress.
pub(super) struct ActiveDownload {
    download: Download,
    row: TransferRow,
    part: Arc<File>,
    /// The device that offered the file.
    device: PeerId,
    /// The conversation it was offered in.
    conversation: Option<CommitId>,
    /// The device asked now: the offering one while it is online, else another device of
    /// a member (or of ours) that has the whole file.
    source: PeerId,
    /// Devices that said they do not have the file.
    lacking: HashSet<PeerId>,
    reported: Option<Instant>,
    /// The stream task fetching chunks, while one runs.
    stream: Option<tokio::task::AbortHandle>,
    /// Every chunk is in; the whole file is being hashed.
    checking: bool,
}

impl ActiveDownload {
    /// Bytes verified and written so far.
    pub(super) fn bytes_done(&self) -> u64 {
        self.download.bytes_done()
    }

    /// `peer` went away: a chunk-list request to it is asked again when it is back (a
    /// stream to it ends by itself, with an error).
    fn forget_requests_to(&mut self, peer: PeerId) {
        if self.source == peer && self.stream.is_none() {
            self.download.ask_done();
        }
    }

    /// A device other than the offering one does not have the file: the next is tried.
    /// False when it was the offering device (a refusal that counts).
    fn lacks(&mut self, refused_by: PeerId) -> bool {
        if refused_by == self.device {
            return false;
        }
        self.lacking.insert(refused_by);
        self.download.ask_done();
        true
    }
}

/// Where to ask for a file now: the offering device while it is online, else the first
/// online device of a member (or of ours) not known to lack it.
fn pick_source(account: &super::P2pAccount, active: &ActiveDownload) -> Option<PeerId> {
    if account.online.contains_key(&active.device) {
        return Some(active.device);
    }
    let own = account.own_account();
    let members = active
        .conversation
        .and_then(|conversation| account.conversations.get(&conversation))
        .map(|conversation| conversation.members());
    let mut candidates: Vec<PeerId> = account
        .online
        .iter()
        .filter(|(peer, owner)| {
            !active.lacking.contains(peer)
                && (**owner == own || members.is_some_and(|members| members.contains(*owner)))
        })
        .map(|(peer, _)| *peer)
        .collect();
    candidates.sort();
    candidates.first().copied()
}

impl Drop for ActiveDownload {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            stream.abort();
        }
    }
}

/// SHA-256 of a whole file.
fn hash_file(file: &File) -> std::io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_READ_BYTES];
    let mut offset = 0u64;
    loop {
        let read = file.read_at(&mut buffer, offset)?;
        if read == 0 {
            break;
        }
        hasher.update(buffer.get(..read).unwrap_or_default());
        offset += read as u64;
    }
    Ok(hasher.finalize().into())
}

/// A name in `dir` like `name` that no file has yet: `song.flac`, `song (1).flac`, ….
fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (1..)
        .map(|n| dir.join(format!("{stem} ({n}){extension}")))
        .find(|path| !path.exists())
        .unwrap_or(candidate)
}

impl EngineCore {
    /// Accepted downloads of an account that was just started: they go on.
    pub(super) fn resume_downloads(&mut self, id: &AccountId) {
        let rows = match self.store.transfers(id) {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(%err, "cannot read file transfers");
                return;
            }
        };
        for row in rows
            .into_iter()
            .filter(|row| !row.outgoing && row.state == TransferState::Accepted)
        {
            self.start_download(id, row);
        }
    }

    /// Opens the partial file and asks the sending device for what is missing.
    pub(super) fn start_download(&mut self, id: &AccountId, mut row: TransferRow) {
        let Some(commit) = CommitId::from_hex(&row.id) else {
            return;
        };
        if self
            .p2p
            .get(id)
            .is_none_or(|account| account.downloads.contains_key(&commit))
        {
            return;
        }
        let Some(offer) = decode_offer(&row.offer) else {
            return self.fail_transfer(row, "the stored offer is unreadable".into());
        };
        let Ok(device) = row.device.parse::<PeerId>() else {
            return self.fail_transfer(row, "the sending device is unknown".into());
        };
        if let Err(err) = fs::create_dir_all(self.downloads_dir()) {
            let error = format!("{}: {err}", self.downloads_dir().display());
            return self.fail_transfer(row, error);
        }
        let part_path = self.part_path(&row.id);
        let part = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part_path)
        {
            Ok(part) => Arc::new(part),
            Err(err) => return self.fail_transfer(row, format!("{}: {err}", part_path.display())),
        };
        let mut download = Download::new(offer);
        if let Some(manifest) = row.manifest.clone()
            && download.set_manifest(manifest).is_ok()
        {
            row.resumed_from = recheck(&mut download, &part);
            row.bytes_done = row.resumed_from;
        }
        self.save_transfer(&row);
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let conversation = CommitId::from_hex(&row.conversation);
        account.downloads.insert(
            commit,
            ActiveDownload {
                download,
                row,
                part,
                device,
                conversation,
                source: device,
                lacking: HashSet::new(),
                reported: None,
                stream: None,
                checking: false,
            },
        );
        self.pump_download(id, commit);
    }

    /// Asks for what is missing from a device that has the file (see [`pick_source`]);
    /// looks for the offering device when none is online.
    pub(super) fn pump_download(&mut self, id: &AccountId, file: CommitId) {
        let report = self.transfer_reporter(id);
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(active) = account.downloads.get(&file) else {
            return;
        };
        // A chunk-list request to a device that went is over.
        let lost = active.stream.is_none() && !account.online.contains_key(&active.source);
        let idle = lost || !active.download.in_flight();
        let picked = idle.then(|| pick_source(account, active));
        let device = active.device;
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        if lost {
            active.download.ask_done();
        }
        match picked {
            Some(Some(source)) => active.source = source,
            Some(None) => {
                let author = account
                    .devices
                    .iter()
                    .find(|(_, devices)| devices.contains_key(&device))
                    .map(|(author, _)| author.clone());
                if let Some(author) = author {
                    self.reach_out(id, &author, false);
                }
                return;
            }
            None => {}
        }
        let source = active.source;
        match active.download.next_ask() {
            Some(Ask::Manifest) => {
                account.send(
                    source,
                    Request::FileManifest { file },
                    Outstanding::Manifest(file),
                );
            }
            Some(Ask::Chunks(ranges)) => {
                let Some(manifest) = active.download.manifest().map(<[u8]>::to_vec) else {
                    return;
                };
                let offer = active.download.offer().clone();
                let request = ChunkRequest { file, ranges };
                let target = super::streams::Target {
                    part: Arc::clone(&active.part),
                    offer,
                    manifest,
                };
                let streams = account.network.streams();
                let fetch = super::streams::fetch(streams, source, request, target, report);
                active.stream = Some(tokio::spawn(fetch).abort_handle());
            }
            None => {}
        }
        if active_complete(account, file) {
            self.finish_download(id, file);
        }
    }

    /// Every idle download `peer` (it just came online) may serve: those it offered, and
    /// those whose offering device is away; or every idle one.
    pub(super) fn pump_downloads(&mut self, id: &AccountId, peer: Option<PeerId>) {
        let waiting: Vec<CommitId> = self
            .p2p
            .get(id)
            .map(|account| {
                account
                    .downloads
                    .iter()
                    .filter(|(_, active)| {
                        peer.is_none_or(|peer| {
                            peer == active.device || !account.online.contains_key(&active.device)
                        }) && !active.download.in_flight()
                    })
                    .map(|(file, _)| *file)
                    .collect()
            })
            .unwrap_or_default();
        for file in waiting {
            self.pump_download(id, file);
        }
    }

    /// The answer to a chunk-list request.
    pub(super) fn on_manifest(&mut self, id: &AccountId, file: CommitId, response: Response) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        active.download.ask_done();
        match response {
            Response::Manifest { hashes } => {
                if let Err(err) = active.download.set_manifest(hashes.clone()) {
                    tracing::info!(%err, "file manifest refused");
                    account.downloads.count_refused();
                    return self.give_up_download(id, file, err.to_string());
                }
                active.row.manifest = Some(hashes);
                active.row.resumed_from = recheck(&mut active.download, &active.part);
                active.row.bytes_done = active.row.resumed_from;
                let row = active.row.clone();
                self.save_transfer(&row);
            }
            Response::Refused(reason) => {
                let source = active.source;
                if !active.lacks(source) {
                    let error = format!("the sender refused: {reason}");
                    return self.give_up_download(id, file, error);
                }
                tracing::info!(%source, %reason, "a device does not have the file");
            }
            _ => account.downloads.count_refused(),
        }
        self.pump_download(id, file);
    }

    /// A chunk-list request was not answered (the link went): asked again when the device
    /// is back.
    pub(super) fn on_manifest_failed(&mut self, id: &AccountId, file: CommitId) {
        if let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.get_mut(&file))
        {
            active.download.ask_done();
        }
    }

    /// What a file task reports: a download's stream and check, or a stream we serve.
    pub(super) fn on_transfer_progress(&mut self, id: &AccountId, progress: Progress) {
        match progress {
            Progress::Received {
                file,
                index,
                matched,
            } => self.on_chunk_received(id, file, index, matched),
            Progress::Ended { file, end } => self.on_stream_ended(id, file, end),
            Progress::Checked { file, error } => self.on_download_checked(id, file, error),
            Progress::Served { file, index } => self.on_served(id, file, index),
            Progress::ServingEnded { peer } => self.on_serving_ended(id, peer),
            Progress::Hashed {
                request,
                conversation,
                path,
                offer,
            } => {
                let posted = self.post_file(id, conversation, &path, offer);
                self.answer_transfer(crate::engine::RequestId(request), posted);
            }
        }
    }

    /// A chunk came: recorded when it matched (its task wrote it), counted when not.
    fn on_chunk_received(&mut self, id: &AccountId, file: CommitId, index: u64, matched: bool) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if !matched && account.downloads.contains_key(&file) {
            account.downloads.count_refused();
        }
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        if !matched {
            // Asked again by the next stream, unless it keeps happening.
            tracing::info!(index, "file chunk refused: it does not match its hash");
            active.download.mark_bad();
            if active.download.hopeless() {
                let bad = active.download.bad_chunks();
                let error = format!("{bad} chunks did not match their hashes");
                return self.give_up_download(id, file, error);
            }
            return;
        }
        active.download.mark_written(index);
        active.row.bytes_done = active.download.bytes_done();
        let due = active
            .reported
            .is_none_or(|at| at.elapsed() >= REPORT_INTERVAL);
        let row = due.then(|| {
            active.reported = Some(clock());
            active.row.clone()
        });
        let complete = active_complete(account, file);
        if let Some(row) = row {
            self.save_transfer(&row);
        }
        if complete {
            self.finish_download(id, file);
        }
    }

    /// A download's stream is over: what is missing is asked for again (now when the
    /// stream ended early with the device still here, else when it is back), unless the
    /// sender refused or the file cannot be written.
    fn on_stream_ended(&mut self, id: &AccountId, file: CommitId, end: StreamEnd) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        active.stream = None;
        active.download.ask_done();
        let error = match end {
            StreamEnd::Done => return self.pump_download(id, file),
            StreamEnd::Lost(error) => {
                // The next tick asks again, so a device that keeps failing is not hammered.
                tracing::info!(%error, "file stream lost");
                return;
            }
            StreamEnd::Refused(reason) => {
                let source = active.source;
                if active.lacks(source) {
                    tracing::info!(%source, %reason, "a device does not have the file");
                    return self.pump_download(id, file);
                }
                format!("the sender refused: {reason}")
            }
            StreamEnd::WriteFailed(error) => format!("cannot write the file: {error}"),
        };
        self.give_up_download(id, file, error);
    }

    /// A running download is given up: it stops (its stream too) and its row says why.
    fn give_up_download(&mut self, id: &AccountId, file: CommitId, error: String) {
        if let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.remove(&file))
        {
            self.fail_transfer(active.row.clone(), error);
        }
    }

    /// Every chunk is on disk: the whole file is synced and hashed on a blocking thread;
    /// [`EngineCore::on_download_checked`] takes it from there.
    fn finish_download(&mut self, id: &AccountId, file: CommitId) {
        let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.get_mut(&file))
            .filter(|active| !active.checking)
        else {
            return;
        };
        active.checking = true;
        if let Some(stream) = active.stream.take() {
            stream.abort();
        }
        let part = Arc::clone(&active.part);
        let offer = active.download.offer().clone();
        let report = self.transfer_reporter(id);
        tokio::task::spawn_blocking(move || {
            let checked = part
                .sync_all()
                .and_then(|()| hash_file(&part))
                .map_err(|err| err.to_string())
                .and_then(|whole| {
                    if matches_whole(&offer, &whole) {
                        Ok(())
                    } else {
                        Err("the received file does not match its hash".to_owned())
                    }
                });
            report(Progress::Checked {
                file,
                error: checked.err(),
            });
        });
    }

    /// The whole-file check is done: the file moves to its name, or starts over.
    fn on_download_checked(&mut self, id: &AccountId, file: CommitId, error: Option<String>) {
        let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.remove(&file))
        else {
            return;
        };
        let offer = active.download.offer().clone();
        let mut row = active.row.clone();
        drop(active);
        let part_path = self.part_path(&row.id);
        if let Some(error) = error {
            // Every chunk matched yet the whole does not: start over from nothing.
            fs::remove_file(&part_path).ok();
            row.bytes_done = 0;
            return self.fail_transfer(row, error);
        }
        let target = unique_path(&self.downloads_dir(), &offer.name);
        match fs::rename(&part_path, &target) {
            Ok(()) => {
                row.state = TransferState::Done;
                row.path = target.display().to_string();
                row.bytes_done = offer.size;
                row.error = None;
            }
            Err(err) => {
                row.state = TransferState::Failed;
                row.error = Some(format!("{}: {err}", target.display()));
            }
        }
        self.save_transfer(&row);
    }
}

fn active_complete(account: &super::P2pAccount, file: CommitId) -> bool {
    account
        .downloads
        .get(&file)
        .is_some_and(|active| active.download.complete() && active.download.manifest().is_some())
}

/// Checks the chunks already in the partial file against the manifest and records those
/// that match; returns the bytes kept.
fn recheck(download: &mut Download, part: &File) -> u64 {
    let chunks = download.offer().chunks();
    let present: HashSet<u64> = (0..chunks)
        .filter(|&index| {
            download
                .offer()
                .chunk_range(index)
                .ok()
                .and_then(|(offset, length)| read_chunk(part, offset, length).ok())
                .is_some_and(|bytes| download.verify(index, &bytes).is_ok())
        })
        .collect();
    for index in present {
        download.mark_written(index);
    }
    download.bytes_done()
}

#[cfg(test)]
mod tests {
    use super::super::files::offer_file;
    use super::*;

    #[test]
    fn names_are_made_unique_in_the_downloads_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(unique_path(dir.path(), "a.txt"), dir.path().join("a.txt"));
        fs::write(dir.path().join("a.txt"), b"1").unwrap();
        assert_eq!(
            unique_path(dir.path(), "a.txt"),
            dir.path().join("a (1).txt")
        );
        fs::write(dir.path().join("a (1).txt"), b"2").unwrap();
        assert_eq!(
            unique_path(dir.path(), "a.txt"),
            dir.path().join("a (2).txt")
        );
        fs::write(dir.path().join("README"), b"3").unwrap();
        assert_eq!(
            unique_path(dir.path(), "README"),
            dir.path().join("README (1)")
        );
    }

    #[test]
    fn a_partial_file_keeps_exactly_its_good_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let source = dir.path().join("source.bin");
        fs::write(&source, &data).unwrap();
        let (mut offer, _) = offer_file(&source).unwrap();
        // Small chunks, so the file has several.
        offer.chunk_bytes = 16 << 10;
        let hashes: Vec<u8> = data
            .chunks(16 << 10)
            .flat_map(|chunk| Sha256::digest(chunk).to_vec())
            .collect();
        offer.manifest = Sha256::digest(&hashes).to_vec();
        // The part file holds chunks 0 and 2 right, chunk 1 damaged, nothing after.
        let part_path = dir.path().join("x.part");
        let mut part = data[..3 * (16 << 10)].to_vec();
        part[(16 << 10) + 5] ^= 1;
        fs::write(&part_path, &part).unwrap();
        let part = File::open(&part_path).unwrap();
        let mut download = Download::new(offer);
        download.set_manifest(hashes).unwrap();
        assert_eq!(recheck(&mut download, &part), 2 * (16 << 10));
        let ask = download.next_ask();
        assert_eq!(ask, Some(Ask::Chunks(vec![(1, 2), (3, 5)])));
    }
}
