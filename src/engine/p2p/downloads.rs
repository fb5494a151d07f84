//! Downloads of files offered in P2P conversations: the partial file in
//! `DATA_DIR/downloads/.ID.part`, what to ask the sending device for next, each answer
//! checked and written, resumption from the chunks already on disk (hashed again first), and
//! the whole file's check and move into place at the end (`p2p::files` decides what each
//! answer means).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use libp2p::PeerId;
use sha2::{Digest as _, Sha256};

use super::files::{HASH_READ_BYTES, REPORT_INTERVAL, decode_offer, read_chunk};
use super::{Outstanding, clock};
use crate::engine::EngineCore;
use crate::model::AccountId;
use crate::p2p::commit::CommitId;
use crate::p2p::files::{Ask, Download, matches_whole};
use crate::p2p::wire::{Request, Response};
use crate::store::TransferRow;

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
    /// Bytes verified and written so far.
    pub(super) fn bytes_done(&self) -> u64 {
        self.download.bytes_done()
    }

    /// Forgets the requests in flight to `peer` (it went away).
    pub(super) fn forget_requests_to(&mut self, peer: PeerId) {
        if self.device == peer {
            self.download.reset_requests();
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
            .filter(|row| !row.outgoing && row.state == "accepted")
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
            Ok(part) => part,
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
                    let row = active.row.clone();
                    account.downloads.remove(&file);
                    return self.fail_transfer(row, err.to_string());
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
                        let row = active.row.clone();
                        let bad = active.download.bad_chunks();
                        account.downloads.remove(&file);
                        let error = format!("{bad} chunks did not match their hashes");
                        return self.fail_transfer(row, error);
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
                        let row = active.row.clone();
                        account.downloads.remove(&file);
                        return self.fail_transfer(row, format!("cannot write the file: {error}"));
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
                let row = active.row.clone();
                account.downloads.remove(&file);
                return self.fail_transfer(row, format!("the sender refused: {reason}"));
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
            row.bytes_done = 0;
            return self.fail_transfer(row, error);
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
        let asks = download.next_asks();
        assert_eq!(asks, vec![Ask::Chunk(1), Ask::Chunk(3), Ask::Chunk(4)]);
    }
}
