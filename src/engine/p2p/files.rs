//! Files in P2P conversations, the engine's half: hashing a file to offer it, recording and
//! answering offers, serving the chunk list, and taking a member's file stream (checked,
//! limited per device, then served by a task in `streams.rs`). The receiving side's
//! downloads are in `downloads.rs`; what each message means is decided by `p2p::files`.

use std::fs::{self, File};
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use libp2p::PeerId;

use super::{clock, unix_ms_now};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event, RequestId};
use crate::model::{AccountId, ConversationId, TransferInfo, TransferState};
use crate::p2p::commit::{CommitBody, CommitId, VerifiedCommit};
use crate::p2p::files::{FileOffer, OfferBuilder, human_size};
use crate::p2p::transfer::{Answer, ChunkRequest, Progress};
use crate::p2p::wire::Response;
use crate::store::TransferRow;

/// Progress is reported (and stored) at most this often per transfer.
pub(super) const REPORT_INTERVAL: Duration = Duration::from_millis(250);
/// Bytes read at a time while hashing.
pub(super) const HASH_READ_BYTES: usize = 1 << 20;

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
        state: row.state,
        path: row.path.clone(),
        resumed_from: row.resumed_from,
        error: row.error.clone(),
    }
}

pub(super) fn decode_offer(bytes: &[u8]) -> Option<FileOffer> {
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
pub(super) fn offer_file(path: &Path) -> Result<(FileOffer, Vec<u8>), String> {
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

/// Reads exactly `length` bytes at `offset`, or fewer at the end of the file.
pub(super) fn read_chunk(file: &File, offset: u64, length: usize) -> std::io::Result<Vec<u8>> {
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

impl EngineCore {
    pub(super) fn downloads_dir(&self) -> PathBuf {
        self.paths.data_dir.join("downloads")
    }

    pub(super) fn part_path(&self, id: &str) -> PathBuf {
        self.downloads_dir().join(format!(".{id}.part"))
    }

    fn report_transfer(&self, row: &TransferRow) {
        self.events.emit(Event::TransferUpdated {
            transfer: info(row),
        });
    }

    pub(super) fn save_transfer(&self, row: &TransferRow) {
        if let Err(err) = self.store.update_transfer(row) {
            tracing::warn!(%err, "cannot save a file transfer");
        }
        self.report_transfer(row);
    }

    /// Records a transfer as given up, with why.
    pub(super) fn fail_transfer(&self, mut row: TransferRow, error: String) {
        row.state = TransferState::Failed;
        row.error = Some(error);
        self.save_transfer(&row);
    }

    /// Answers a file command with the transfer, or its failure.
    pub(in crate::engine) fn answer_transfer(
        &self,
        request: RequestId,
        transfer: Result<TransferInfo, Failure>,
    ) {
        match transfer.and_then(|transfer| {
            serde_json::to_value(transfer).map_err(|err| Failure::Said(err.to_string()))
        }) {
            Ok(value) => self.events.emit(Event::Answer { request, value }),
            Err(error) => self.fail(Some(request), error),
        }
    }

    /// `send-file ACCOUNT ID PATH`: checks the conversation and the size limit at once,
    /// then hashes the file on a blocking thread (a large one takes seconds, and the
    /// engine's loop goes on meanwhile); [`EngineCore::post_file`] finishes the offer.
    pub(in crate::engine) fn send_file(
        &mut self,
        request: RequestId,
        id: &AccountId,
        peer: &str,
        path: &Path,
    ) -> Result<(), Failure> {
        let (_, conversation) = self.online_conversation(id, peer)?;
        let path = fs::canonicalize(path).map_err(|err| format!("{}: {err}", path.display()))?;
        let size = fs::metadata(&path)
            .map_err(|err| format!("{}: {err}", path.display()))?
            .len();
        let limit = self.settings.max_file_mb.saturating_mul(1 << 20);
        if size > limit {
            return Err(Failure::FileTooLarge {
                file: path.display().to_string(),
                limit_mib: self.settings.max_file_mb,
            });
        }
        let report = self.transfer_reporter(id);
        tokio::task::spawn_blocking(move || {
            let offer = offer_file(&path);
            report(Progress::Hashed {
                request: request.0,
                conversation,
                path,
                offer,
            });
        });
        Ok(())
    }

    /// A file to send was hashed: its offer goes into the conversation, and the request
    /// that asked for it is answered.
    pub(super) fn post_file(
        &mut self,
        id: &AccountId,
        conversation: CommitId,
        path: &Path,
        hashed: Result<(FileOffer, Vec<u8>), String>,
    ) -> Result<TransferInfo, Failure> {
        let (offer, manifest) = hashed?;
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
            state: TransferState::Offered,
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
            TransferState::Declined
        } else if megabytes <= self.settings.auto_accept_files_mb {
            TransferState::Accepted
        } else {
            TransferState::Offered
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
            state,
            bytes_done: 0,
            resumed_from: 0,
            error: (state == TransferState::Declined).then(|| {
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
        if state == TransferState::Accepted {
            self.start_download(id, row);
        }
    }

    /// `file accept|decline ACCOUNT FILE`.
    pub(in crate::engine) fn answer_file(
        &mut self,
        id: &AccountId,
        file: &str,
        accept: bool,
    ) -> Result<TransferInfo, Failure> {
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
            row.state = TransferState::Declined;
            self.save_transfer(&row);
            return Ok(info(&row));
        }
        match row.state {
            TransferState::Done => return Ok(info(&row)),
            TransferState::Offered | TransferState::Declined | TransferState::Failed => {
                row.state = TransferState::Accepted;
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
    ) -> Result<serde_json::Value, Failure> {
        let rows = self.store.transfers(id)?;
        let list: Vec<TransferInfo> = rows.iter().map(|row| self.shown(row)).collect();
        serde_json::to_value(list).map_err(|err| Failure::Said(err.to_string()))
    }

    /// A transfer as reported: a running download's figure is fresher than the stored one.
    fn shown(&self, row: &TransferRow) -> TransferInfo {
        let mut shown = info(row);
        if let Some(active) = self
            .p2p
            .get(&row.account)
            .zip(CommitId::from_hex(&row.id))
            .and_then(|(account, commit)| account.downloads.get(&commit))
        {
            shown.bytes_done = active.bytes_done();
        }
        shown
    }

    /// Reports the files of a P2P conversation the window opens, so that their cards show
    /// after a restart as they did when they came.
    pub(in crate::engine) fn report_conversation_files(&self, conversation: &ConversationId) {
        let Some((account, root)) = conversation.p2p_parts() else {
            return;
        };
        match self.store.conversation_transfers(&account, root) {
            Ok(rows) => {
                for row in &rows {
                    self.events.emit(Event::TransferUpdated {
                        transfer: self.shown(row),
                    });
                }
            }
            Err(err) => tracing::warn!(%err, "cannot read a conversation's files"),
        }
    }

    /// The file `from` may fetch from us: one we offered, or one we received whole, in a
    /// conversation it shares (every chunk is checked against the offer by whoever fetches
    /// it, so any device that has the bytes may serve them).
    fn servable(
        &self,
        id: &AccountId,
        from: &AccountId,
        file: CommitId,
    ) -> Result<(TransferRow, FileOffer, Vec<u8>), String> {
        let no_such = || "no such file here".to_owned();
        let row = self
            .store
            .transfer(id, &file.to_hex())
            .ok()
            .flatten()
            .ok_or_else(no_such)?;
        let conversation = CommitId::from_hex(&row.conversation).ok_or_else(no_such)?;
        let have = row.outgoing || (row.state == TransferState::Done && !row.path.is_empty());
        if !have || !self.may_share(id, from, conversation) {
            return Err(no_such());
        }
        let (Some(offer), Some(manifest)) = (decode_offer(&row.offer), row.manifest.clone()) else {
            return Err("the stored offer is unreadable".into());
        };
        Ok((row, offer, manifest))
    }

    /// A member asks for the chunk list of a file we offered.
    pub(super) fn serve_manifest(
        &mut self,
        id: &AccountId,
        from: &AccountId,
        file: CommitId,
    ) -> Response {
        match self.servable(id, from, file) {
            Ok((_, _, hashes)) => Response::Manifest { hashes },
            Err(reason) => Response::Refused(reason),
        }
    }

    /// A member opened a file stream for chunks of a file we offered: they are sent by a
    /// task, or it is told why not.
    pub(super) fn on_chunk_request(
        &mut self,
        id: &AccountId,
        peer: PeerId,
        from: &AccountId,
        request: ChunkRequest,
        stream: libp2p::Stream,
    ) {
        let busy = self
            .p2p
            .get(id)
            .is_some_and(|account| account.serving.busy(&peer));
        // Busy is not a refusal: the device asks again when one of its streams is done.
        let opened = if busy {
            Err(Answer::Busy)
        } else {
            self.servable(id, from, request.file)
                .and_then(|(row, offer, _)| {
                    let source = File::open(&row.path).map_err(|err| err.to_string())?;
                    let size = source.metadata().map_err(|err| err.to_string())?.len();
                    if size != offer.size {
                        return Err("the file changed since it was offered".to_owned());
                    }
                    Ok((source, offer))
                })
                .map_err(Answer::Refused)
        };
        let (source, offer) = match opened {
            Ok(opened) => opened,
            Err(answer) => {
                tracing::info!(%peer, ?answer, "file stream not served");
                if let Some(account) = self.p2p.get_mut(id) {
                    account.serving.refuse();
                }
                tokio::spawn(super::streams::refuse(stream, answer));
                return;
            }
        };
        if let Some(account) = self.p2p.get_mut(id) {
            account.serving.opened(peer);
        }
        let report = self.transfer_reporter(id);
        let source = std::sync::Arc::new(source);
        tokio::spawn(super::streams::serve(
            peer, stream, source, offer, request, report,
        ));
    }

    /// A stream we served `peer` is over: room for another.
    pub(super) fn on_serving_ended(&mut self, id: &AccountId, peer: PeerId) {
        if let Some(account) = self.p2p.get_mut(id) {
            account.serving.closed(&peer);
        }
    }

    /// A chunk of our file went out: the sending side's progress is the distinct chunks
    /// served so far.
    pub(super) fn on_served(&mut self, id: &AccountId, file: CommitId, index: u64) {
        let Ok(Some(mut row)) = self.store.transfer(id, &file.to_hex()) else {
            return;
        };
        // A file we received and pass on has its own, finished, progress.
        let Some(offer) = decode_offer(&row.offer).filter(|_| row.outgoing) else {
            return;
        };
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let Some(served) = account.serving.chunk_out(file, index) else {
            return;
        };
        row.bytes_done = served
            .iter()
            .filter_map(|index| offer.chunk_range(*index).ok())
            .map(|(_, length)| length as u64)
            .sum();
        let complete = served.len() as u64 == offer.chunks();
        if complete {
            row.state = TransferState::Done;
        }
        if account
            .serving
            .report_due(file, complete, clock(), REPORT_INTERVAL)
        {
            self.save_transfer(&row);
        }
    }
}
