//! Files in P2P conversations, the driver's half: hashing a file to offer it, serving its
//! chunk list and chunks to members who ask, and downloads that write verified chunks into a
//! partial file and pick up where they stopped after a restart or a lost link. What each
//! answer means is decided by `p2p::files`; this module does the reading and writing.
//!
//! A download lives in `DATA_DIR/downloads/.ID.part` until every chunk is verified and the
//! whole file hashes to the offer; then it is renamed to its own name there (made unique).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use sha2::{Digest as _, Sha256};

use super::{Outstanding, clock, unix_ms_now};
use crate::engine::{EngineCore, Event, RequestId};
use crate::model::{AccountId, TransferInfo};
use crate::p2p::commit::{CommitBody, CommitId, VerifiedCommit};
use crate::p2p::files::{Ask, Download, FileOffer, OfferBuilder, human_size, matches_whole};
use crate::p2p::wire::{Request, Response};
use crate::store::TransferRow;

/// Progress is reported (and stored) at most this often per transfer.
const REPORT_INTERVAL: Duration = Duration::from_millis(250);
/// Bytes read at a time while hashing.
const HASH_READ_BYTES: usize = 1 << 20;

/// A download in progress.
pub(super) struct ActiveDownload {
    download: Download,
    row: TransferRow,
    part: File,
    /// The device that has the bytes.
    device: PeerId,
    reported: Option<Instant>,
}

impl ActiveDownload {
    /// Forgets the requests in flight to `peer` (it went away).
    pub(super) fn forget_requests_to(&mut self, peer: PeerId) {
        if self.device == peer {
            self.download.reset_requests();
        }
    }
}

/// What a transfer row says, for the window and `ctl files`.
fn info(row: &TransferRow) -> TransferInfo {
    let offer = decode_offer(&row.offer);
    TransferInfo {
        id: row.id.clone(),
        account: row.account.clone(),
        conversation: row.conversation.clone(),
        outgoing: row.outgoing,
        name: offer.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        size: offer.as_ref().map_or(0, |o| o.size),
        bytes_done: row.bytes_done,
        state: row.state.clone(),
        path: row.path.clone(),
        resumed_from: row.resumed_from,
        error: row.error.clone(),
    }
}

fn decode_offer(bytes: &[u8]) -> Option<FileOffer> {
    cbor4ii::serde::from_slice(bytes).ok()
}

fn encode_offer(offer: &FileOffer) -> Vec<u8> {
    // Plain struct into a vector: cannot fail.
    cbor4ii::serde::to_vec(Vec::new(), offer).unwrap_or_default()
}

/// How a file reads in chat and history.
pub(super) fn file_message(offer: &FileOffer) -> String {
    format!("{} ({})", offer.name, human_size(offer.size))
}

/// Hashes a file into an offer (its name is the path's last part).
fn offer_file(path: &Path) -> Result<(FileOffer, Vec<u8>), String> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| format!("{} has no usable file name", path.display()))?;
    let mut file = File::open(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut builder = OfferBuilder::new(name);
    let mut buffer = vec![0u8; HASH_READ_BYTES];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        if read == 0 {
            break;
        }
        builder.update(buffer.get(..read).unwrap_or_default());
    }
    builder.finish().map_err(|err| err.to_string())
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

/// Reads exactly `length` bytes at `offset`, or fewer at the end of the file.
fn read_chunk(file: &File, offset: u64, length: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; length];
    let mut filled = 0;
    while filled < length {
        let Some(rest) = bytes.get_mut(filled..) else {
            break;
        };
        let read = file.read_at(rest, offset + filled as u64)?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    bytes.truncate(filled);
    Ok(bytes)
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
    fn downloads_dir(&self) -> PathBuf {
        self.paths.data_dir.join("downloads")
    }

    fn part_path(&self, id: &str) -> PathBuf {
        self.downloads_dir().join(format!(".{id}.part"))
    }

    fn report_transfer(&self, row: &TransferRow) {
        self.events.emit(Event::TransferUpdated {
            transfer: info(row),
        });
    }

    fn save_transfer(&self, row: &TransferRow) {
        if let Err(err) = self.store.update_transfer(row) {
            tracing::warn!(%err, "cannot save a file transfer");
        }
        self.report_transfer(row);
    }

    /// Answers a file command with the transfer, or its failure.
    pub(in crate::engine) fn answer_transfer(
        &self,
        request: RequestId,
        transfer: Result<TransferInfo, String>,
    ) {
        match transfer
            .and_then(|transfer| serde_json::to_value(transfer).map_err(|err| err.to_string()))
        {
            Ok(value) => self.events.emit(Event::Answer { request, value }),
            Err(error) => self.events.emit(Event::Failed {
                request: Some(request),
                error,
            }),
        }
    }

    /// `send-file ACCOUNT ID PATH`: hashes the file, posts its offer in the conversation,
    /// and serves it to the members who ask.
    pub(in crate::engine) fn send_file(
        &mut self,
        id: &AccountId,
        peer: &str,
        path: &Path,
    ) -> Result<TransferInfo, String> {
        let (_, conversation) = self.online_conversation(id, peer)?;
        let path = fs::canonicalize(path).map_err(|err| format!("{}: {err}", path.display()))?;
        let (offer, manifest) = offer_file(&path)?;
        let limit = self.settings.max_file_mb.saturating_mul(1 << 20);
        if offer.size > limit {
            return Err(format!(
                "{} is larger than the {} MiB limit in settings",
                path.display(),
                self.settings.max_file_mb
            ));
        }
        let commit = self.write_commit(id, Some(conversation), CommitBody::File(offer.clone()))?;
        let row = TransferRow {
            id: commit.id.to_hex(),
            account: id.clone(),
            conversation: conversation.to_hex(),
            outgoing: true,
            device: commit.device.clone(),
            offer: encode_offer(&offer),
            manifest: Some(manifest),
            path: path.display().to_string(),
            state: "offered".into(),
            bytes_done: 0,
            resumed_from: 0,
            error: None,
            created_at: unix_ms_now() as i64,
        };
        self.store
            .insert_transfer(&row)
            .map_err(|err| err.to_string())?;
        self.apply_commits(id, vec![commit.clone()], None);
        self.push(id, conversation, vec![commit.signed]);
        self.report_transfer(&row);
        Ok(info(&row))
    }

    /// A file commit was stored: another account offers a file. Recorded, and accepted at
    /// once when it is within the automatic size in settings (refused above the limit).
    pub(super) fn on_file_offered(
        &mut self,
        id: &AccountId,
        conversation: CommitId,
        commit: &VerifiedCommit,
        offer: &FileOffer,
    ) {
        if &commit.content.author == id {
            // Sent by another device of ours: it serves it; nothing to fetch here.
            return;
        }
        let megabytes = offer.size.div_ceil(1 << 20);
        let state = if megabytes > self.settings.max_file_mb {
            "declined"
        } else if megabytes <= self.settings.auto_accept_files_mb {
            "accepted"
        } else {
            "offered"
        };
        let row = TransferRow {
            id: commit.id.to_hex(),
            account: id.clone(),
            conversation: conversation.to_hex(),
            outgoing: false,
            device: commit.device.clone(),
            offer: encode_offer(offer),
            manifest: None,
            path: String::new(),
            state: state.into(),
            bytes_done: 0,
            resumed_from: 0,
            error: (state == "declined").then(|| {
                format!(
                    "larger than the {} MiB limit in settings",
                    self.settings.max_file_mb
                )
            }),
            created_at: unix_ms_now() as i64,
        };
        match self.store.insert_transfer(&row) {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(%err, "cannot record a file offer");
                return;
            }
        }
        self.report_transfer(&row);
        if state == "accepted" {
            self.start_download(id, row);
        }
    }

    /// `file accept|decline ACCOUNT FILE`.
    pub(in crate::engine) fn answer_file(
        &mut self,
        id: &AccountId,
        file: &str,
        accept: bool,
    ) -> Result<TransferInfo, String> {
        let mut row = self
            .store
            .transfer(id, file.trim())
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("no file {file:?} in account {id}"))?;
        if row.outgoing {
            return Err("that file is one we send".into());
        }
        if !accept {
            if let Some(account) = self.p2p.get_mut(id)
                && let Some(commit) = CommitId::from_hex(&row.id)
                && let Some(active) = account.downloads.remove(&commit)
            {
                drop(active);
            }
            fs::remove_file(self.part_path(&row.id)).ok();
            row.state = "declined".into();
            self.save_transfer(&row);
            return Ok(info(&row));
        }
        match row.state.as_str() {
            "done" => return Ok(info(&row)),
            "offered" | "declined" | "failed" => {
                row.state = "accepted".into();
                row.error = None;
                self.save_transfer(&row);
            }
            _ => {}
        }
        self.start_download(id, row.clone());
        Ok(info(&row))
    }

    /// `files ACCOUNT`: every transfer, newest first.
    pub(in crate::engine) fn transfers_json(
        &self,
        id: &AccountId,
    ) -> Result<serde_json::Value, String> {
        let rows = self.store.transfers(id).map_err(|err| err.to_string())?;
        let live = self.p2p.get(id);
        let list: Vec<TransferInfo> = rows
            .iter()
            .map(|row| {
                let mut shown = info(row);
                // A running download's figure is fresher than the stored one.
                if let Some(active) = live
                    .and_then(|account| CommitId::from_hex(&row.id).map(|c| (account, c)))
                    .and_then(|(account, commit)| account.downloads.get(&commit))
                {
                    shown.bytes_done = active.download.bytes_done();
                }
                shown
            })
            .collect();
        serde_json::to_value(list).map_err(|err| err.to_string())
    }

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
            .filter(|row| !row.outgoing && row.state == "accepted")
        {
            self.start_download(id, row);
        }
    }

    /// Opens the partial file and asks the sending device for what is missing.
    fn start_download(&mut self, id: &AccountId, mut row: TransferRow) {
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
        let fail = |core: &mut EngineCore, mut row: TransferRow, error: String| {
            row.state = "failed".into();
            row.error = Some(error);
            core.save_transfer(&row);
        };
        let Some(offer) = decode_offer(&row.offer) else {
            return fail(self, row, "the stored offer is unreadable".into());
        };
        let Ok(device) = row.device.parse::<PeerId>() else {
            return fail(self, row, "the sending device is unknown".into());
        };
        if let Err(err) = fs::create_dir_all(self.downloads_dir()) {
            return fail(
                self,
                row,
                format!("{}: {err}", self.downloads_dir().display()),
            );
        }
        let part_path = self.part_path(&row.id);
        let part = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part_path)
        {
            Ok(part) => part,
            Err(err) => return fail(self, row, format!("{}: {err}", part_path.display())),
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
        account.downloads.insert(
            commit,
            ActiveDownload {
                download,
                row,
                part,
                device,
                reported: None,
            },
        );
        self.pump_download(id, commit);
    }

    /// Asks for the next chunks while the sending device is online; looks for it otherwise.
    pub(super) fn pump_download(&mut self, id: &AccountId, file: CommitId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        let device = active.device;
        if !account.online.contains_key(&device) {
            active.download.reset_requests();
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
        let asks = active.download.next_asks();
        for ask in asks {
            let request = match ask {
                Ask::Manifest => Request::FileManifest { file },
                Ask::Chunk(index) => Request::FileChunk { file, index },
            };
            account.send(device, request, Outstanding::File { file, ask });
        }
        if active_complete(account, file) {
            self.finish_download(id, file);
        }
    }

    /// Every download waiting for `peer` (it just came online), or every stalled one.
    pub(super) fn pump_downloads(&mut self, id: &AccountId, peer: Option<PeerId>) {
        let waiting: Vec<CommitId> = self
            .p2p
            .get(id)
            .map(|account| {
                account
                    .downloads
                    .iter()
                    .filter(|(_, active)| {
                        peer.is_none_or(|peer| peer == active.device)
                            && active.download.in_flight() == 0
                    })
                    .map(|(file, _)| *file)
                    .collect()
            })
            .unwrap_or_default();
        for file in waiting {
            self.pump_download(id, file);
        }
    }

    /// The answer to a manifest or chunk request.
    pub(super) fn on_file_response(
        &mut self,
        id: &AccountId,
        file: CommitId,
        ask: Ask,
        response: Response,
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(active) = account.downloads.get_mut(&file) else {
            return;
        };
        match (ask, response) {
            (Ask::Manifest, Response::Manifest { hashes }) => {
                if let Err(err) = active.download.set_manifest(hashes.clone()) {
                    tracing::info!(%err, "file manifest refused");
                    account.files_refused += 1;
                    let mut row = active.row.clone();
                    account.downloads.remove(&file);
                    row.state = "failed".into();
                    row.error = Some(err.to_string());
                    self.save_transfer(&row);
                    return;
                }
                active.row.manifest = Some(hashes);
                active.row.resumed_from = recheck(&mut active.download, &active.part);
                active.row.bytes_done = active.row.resumed_from;
                let row = active.row.clone();
                self.save_transfer(&row);
            }
            (Ask::Chunk(index), Response::Chunk { data }) => {
                if let Err(err) = active.download.on_chunk(index, &data) {
                    // Asked again at the next pump, unless it keeps happening.
                    tracing::info!(%err, "file chunk refused");
                    account.files_refused += 1;
                    if active.download.hopeless() {
                        let mut row = active.row.clone();
                        let bad = active.download.bad_chunks();
                        account.downloads.remove(&file);
                        row.state = "failed".into();
                        row.error = Some(format!("{bad} chunks did not match their hashes"));
                        self.save_transfer(&row);
                        return;
                    }
                } else {
                    let written = active
                        .download
                        .offer()
                        .chunk_range(index)
                        .map_err(|err| err.to_string())
                        .and_then(|(offset, _)| {
                            active
                                .part
                                .write_all_at(&data, offset)
                                .map_err(|err| err.to_string())
                        });
                    if let Err(error) = written {
                        let mut row = active.row.clone();
                        account.downloads.remove(&file);
                        row.state = "failed".into();
                        row.error = Some(format!("cannot write the file: {error}"));
                        self.save_transfer(&row);
                        return;
                    }
                    active.download.mark_written(index);
                    active.row.bytes_done = active.download.bytes_done();
                    let due = active
                        .reported
                        .is_none_or(|at| at.elapsed() >= REPORT_INTERVAL);
                    if due {
                        active.reported = Some(clock());
                        let row = active.row.clone();
                        self.save_transfer(&row);
                    }
                }
            }
            (_, Response::Refused(reason)) => {
                let mut row = active.row.clone();
                account.downloads.remove(&file);
                row.state = "failed".into();
                row.error = Some(format!("the sender refused: {reason}"));
                self.save_transfer(&row);
                return;
            }
            _ => {
                account.files_refused += 1;
                active.download.on_failed(ask);
            }
        }
        self.pump_download(id, file);
    }

    /// A manifest or chunk request was not answered (the link went): asked again when the
    /// device is back.
    pub(super) fn on_file_request_failed(&mut self, id: &AccountId, file: CommitId, ask: Ask) {
        if let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.get_mut(&file))
        {
            active.download.on_failed(ask);
        }
    }

    /// Every chunk is on disk: the whole file is checked, then moved to its name.
    fn finish_download(&mut self, id: &AccountId, file: CommitId) {
        let Some(active) = self
            .p2p
            .get_mut(id)
            .and_then(|account| account.downloads.remove(&file))
        else {
            return;
        };
        let mut row = active.row;
        let part_path = self.part_path(&row.id);
        let checked = active
            .part
            .sync_all()
            .and_then(|()| hash_file(&active.part))
            .map_err(|err| err.to_string())
            .and_then(|whole| {
                if matches_whole(active.download.offer(), &whole) {
                    Ok(())
                } else {
                    Err("the received file does not match its hash".to_owned())
                }
            });
        drop(active.part);
        if let Err(error) = checked {
            // Every chunk matched yet the whole does not: start over from nothing.
            fs::remove_file(&part_path).ok();
            row.state = "failed".into();
            row.error = Some(error);
            row.bytes_done = 0;
            self.save_transfer(&row);
            return;
        }
        let target = unique_path(&self.downloads_dir(), &active.download.offer().name);
        match fs::rename(&part_path, &target) {
            Ok(()) => {
                row.state = "done".into();
                row.path = target.display().to_string();
                row.bytes_done = active.download.offer().size;
                row.error = None;
            }
            Err(err) => {
                row.state = "failed".into();
                row.error = Some(format!("{}: {err}", target.display()));
            }
        }
        self.save_transfer(&row);
    }

    /// A member asks for a file we offered: its manifest or a chunk.
    pub(super) fn serve_file(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        file: CommitId,
        ask: Ask,
    ) -> Response {
        let Ok(Some(mut row)) = self.store.transfer(id, &file.to_hex()) else {
            return Response::Refused("no such file here".into());
        };
        let Some(conversation) = CommitId::from_hex(&row.conversation) else {
            return Response::Refused("no such file here".into());
        };
        if !row.outgoing || !self.may_share(id, from, conversation) {
            return Response::Refused("no such file here".into());
        }
        let (Some(offer), Some(manifest)) = (decode_offer(&row.offer), row.manifest.clone()) else {
            return Response::Refused("the stored offer is unreadable".into());
        };
        let index = match ask {
            Ask::Manifest => return Response::Manifest { hashes: manifest },
            Ask::Chunk(index) => index,
        };
        let Ok((offset, length)) = offer.chunk_range(index) else {
            return Response::Refused(format!("no chunk {index}"));
        };
        let data = File::open(&row.path).and_then(|file| {
            let size = file.metadata()?.len();
            if size != offer.size {
                return Err(std::io::Error::other(
                    "the file changed since it was offered",
                ));
            }
            read_chunk(&file, offset, length)
        });
        let data = match data {
            Ok(data) => data,
            Err(err) => return Response::Refused(err.to_string()),
        };
        // Progress on the sending side: the distinct chunks served so far.
        if let Some(account) = self.p2p.get_mut(id) {
            let served = account.served.entry(file).or_default();
            if served.insert(index) {
                row.bytes_done = served
                    .iter()
                    .filter_map(|index| offer.chunk_range(*index).ok())
                    .map(|(_, length)| length as u64)
                    .sum();
                let complete = served.len() as u64 == offer.chunks();
                if complete {
                    row.state = "done".into();
                }
                let reported = account.served_reported.get(&file).copied();
                if complete || reported.is_none_or(|at| at.elapsed() >= REPORT_INTERVAL) {
                    account.served_reported.insert(file, clock());
                    self.save_transfer(&row);
                }
            }
        }
        Response::Chunk { data }
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
        let asks = download.next_asks();
        assert_eq!(asks, vec![Ask::Chunk(1), Ask::Chunk(3), Ask::Chunk(4)]);
    }
}
