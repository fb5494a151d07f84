//! Files in conversations, sans-IO.
//!
//! Sending a file posts a commit with its [`FileOffer`]: name, size, chunk size, the SHA-256
//! of the whole file and of its *manifest* (the list of each chunk's SHA-256). The bytes
//! stay on the sending device until a receiving device asks for them: first the manifest
//! (checked against the offer), then the chunks it misses over a stream of their own
//! (`p2p::transfer`), each checked against its manifest hash before it is written at its
//! place in a partial file. A chunk that does not match is refused and asked for again; a
//! transfer cut off (either side stopped, the link lost) resumes from the chunks already on
//! disk, which are checked again first, so nothing is trusted that was not verified. At the
//! end the whole file is hashed once more.
//!
//! [`Download`] is the receiver's state machine: what to ask for next and what each answer
//! means. Reading and writing files is the engine's (`engine/p2p/downloads.rs` and
//! `streams.rs`); the stream protocol is `p2p::transfer`.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Bytes in a chunk (the last one may be shorter).
pub const CHUNK_BYTES: u32 = 1 << 20;
/// Smallest and largest chunk size accepted in an offer.
pub const CHUNK_BYTES_RANGE: std::ops::RangeInclusive<u32> = (16 << 10)..=(2 << 20);
/// Most chunks in one file (the manifest must fit one wire message).
pub const MAX_CHUNKS: u64 = 100_000;
/// Longest file name, bytes.
pub const MAX_NAME_BYTES: usize = 255;
/// Chunks that fail their hash before a download is given up (the sender's file is not
/// what it offered, or something between keeps damaging it).
pub const MAX_BAD_CHUNKS: u64 = 8;

/// What a file commit says about the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOffer {
    /// The file's name (no directories).
    pub name: String,
    /// Its size, bytes.
    pub size: u64,
    /// Bytes per chunk.
    pub chunk_bytes: u32,
    /// SHA-256 of the whole file.
    #[serde(with = "super::cbor_bytes")]
    pub sha256: Vec<u8>,
    /// SHA-256 of the manifest (the chunks' SHA-256 hashes, concatenated in order).
    #[serde(with = "super::cbor_bytes")]
    pub manifest: Vec<u8>,
}

/// Why an offer, manifest or chunk is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The offer breaks a limit or is malformed.
    #[error("bad file offer: {0}")]
    BadOffer(String),
    /// The manifest does not hash to the offer's.
    #[error("the chunk list does not match the offer")]
    BadManifest,
    /// A chunk's bytes do not hash to its manifest entry (or have the wrong length).
    #[error("chunk {0} does not match its hash")]
    BadChunk(u64),
    /// A chunk index beyond the file.
    #[error("no chunk {0} in this file")]
    NoSuchChunk(u64),
}

impl FileOffer {
    /// Chunks in the file.
    pub fn chunks(&self) -> u64 {
        self.size.div_ceil(u64::from(self.chunk_bytes.max(1)))
    }

    /// Byte range `(offset, length)` of chunk `index`.
    pub fn chunk_range(&self, index: u64) -> Result<(u64, usize), FileError> {
        if index >= self.chunks() {
            return Err(FileError::NoSuchChunk(index));
        }
        let offset = index * u64::from(self.chunk_bytes);
        let length = (self.size - offset).min(u64::from(self.chunk_bytes)) as usize;
        Ok((offset, length))
    }

    /// Checks the limits (every offer from the network passes here).
    pub fn check(&self) -> Result<(), FileError> {
        let bad = |what: String| Err(FileError::BadOffer(what));
        if self.name.is_empty() || self.name.len() > MAX_NAME_BYTES {
            return bad(format!("name of {} bytes", self.name.len()));
        }
        if self.name.contains(['/', '\\', '\0']) || self.name == "." || self.name == ".." {
            return bad(format!("name {:?}", self.name));
        }
        if !CHUNK_BYTES_RANGE.contains(&self.chunk_bytes) {
            return bad(format!("chunks of {} bytes", self.chunk_bytes));
        }
        if self.chunks() > MAX_CHUNKS {
            return bad(format!("{} chunks", self.chunks()));
        }
        if self.sha256.len() != 32 || self.manifest.len() != 32 {
            return bad("hashes of the wrong length".into());
        }
        Ok(())
    }
}

/// Builds an offer by reading a file's bytes in order: feed it everything, then `finish`.
pub struct OfferBuilder {
    name: String,
    chunk_bytes: u32,
    whole: Sha256,
    chunk: Sha256,
    in_chunk: u64,
    size: u64,
    hashes: Vec<u8>,
}

impl OfferBuilder {
    /// An offer for a file called `name`, chunked at [`CHUNK_BYTES`].
    pub fn new(name: &str) -> OfferBuilder {
        OfferBuilder {
            name: name.to_owned(),
            chunk_bytes: CHUNK_BYTES,
            whole: Sha256::new(),
            chunk: Sha256::new(),
            in_chunk: 0,
            size: 0,
            hashes: Vec::new(),
        }
    }

    /// The next bytes of the file.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.whole.update(bytes);
        self.size += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = (u64::from(self.chunk_bytes) - self.in_chunk) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.chunk.update(now);
            self.in_chunk += now.len() as u64;
            bytes = rest;
            if self.in_chunk == u64::from(self.chunk_bytes) {
                let done = std::mem::replace(&mut self.chunk, Sha256::new());
                self.hashes.extend_from_slice(&done.finalize());
                self.in_chunk = 0;
            }
        }
    }

    /// The offer and its manifest.
    pub fn finish(mut self) -> Result<(FileOffer, Vec<u8>), FileError> {
        if self.in_chunk > 0 {
            self.hashes.extend_from_slice(&self.chunk.finalize());
        }
        let offer = FileOffer {
            name: self.name,
            size: self.size,
            chunk_bytes: self.chunk_bytes,
            sha256: self.whole.finalize().to_vec(),
            manifest: Sha256::digest(&self.hashes).to_vec(),
        };
        offer.check()?;
        Ok((offer, self.hashes))
    }
}

/// Checks a manifest received for `offer`.
pub fn check_manifest(offer: &FileOffer, manifest: &[u8]) -> Result<(), FileError> {
    if manifest.len() as u64 != offer.chunks() * 32
        || Sha256::digest(manifest)[..] != offer.manifest[..]
    {
        return Err(FileError::BadManifest);
    }
    Ok(())
}

/// Checks chunk `index`'s bytes against the manifest of `offer`.
pub fn verify_chunk(
    offer: &FileOffer,
    manifest: &[u8],
    index: u64,
    bytes: &[u8],
) -> Result<(), FileError> {
    let (_, length) = offer.chunk_range(index)?;
    let start = (index * 32) as usize;
    let expected = manifest
        .get(start..start + 32)
        .ok_or(FileError::NoSuchChunk(index))?;
    if bytes.len() != length || Sha256::digest(bytes)[..] != expected[..] {
        return Err(FileError::BadChunk(index));
    }
    Ok(())
}

/// The receiver's progress through one file.
#[derive(Debug, Clone)]
pub struct Download {
    offer: FileOffer,
    manifest: Option<Vec<u8>>,
    /// Chunks verified and written.
    have: Vec<bool>,
    /// The manifest or a run of chunks is being asked for.
    asking: bool,
    /// Chunks refused for a bad hash, so far.
    bad_chunks: u64,
    /// Every chunk before this one is written.
    first_missing: usize,
}

/// What to ask the sender for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// The manifest.
    Manifest,
    /// The chunks missing, as ranges (`p2p::transfer::ranges_of`).
    Chunks(Vec<(u64, u64)>),
}

impl Download {
    /// A download of `offer` with nothing yet.
    pub fn new(offer: FileOffer) -> Download {
        let chunks = offer.chunks() as usize;
        Download {
            offer,
            manifest: None,
            have: vec![false; chunks],
            asking: false,
            bad_chunks: 0,
            first_missing: 0,
        }
    }

    /// The offer.
    pub fn offer(&self) -> &FileOffer {
        &self.offer
    }

    /// The manifest, once received.
    pub fn manifest(&self) -> Option<&[u8]> {
        self.manifest.as_deref()
    }

    /// Takes the manifest the sender gave.
    pub fn set_manifest(&mut self, manifest: Vec<u8>) -> Result<(), FileError> {
        check_manifest(&self.offer, &manifest)?;
        self.manifest = Some(manifest);
        Ok(())
    }

    /// Checks chunk `index`'s bytes against the manifest (a chunk already on disk when a
    /// download resumes, or one just received). Does not record it.
    pub fn verify(&self, index: u64, bytes: &[u8]) -> Result<(), FileError> {
        let manifest = self.manifest.as_deref().ok_or(FileError::BadManifest)?;
        verify_chunk(&self.offer, manifest, index, bytes)
    }

    /// Records chunk `index` as verified and written.
    pub fn mark_written(&mut self, index: u64) {
        if let Some(slot) = self.have.get_mut(index as usize) {
            *slot = true;
        }
        while self.have.get(self.first_missing).copied() == Some(true) {
            self.first_missing += 1;
        }
    }

    /// A chunk failed its hash (it stays missing and is asked for again).
    pub fn mark_bad(&mut self) {
        self.bad_chunks += 1;
    }

    /// The last ask is over, answered or not (the link went, the stream ended): what is
    /// still missing is asked for again by the next [`Download::next_ask`].
    pub fn ask_done(&mut self) {
        self.asking = false;
    }

    /// What to ask for now: nothing while an ask is in flight or when complete, else the
    /// manifest first, then every missing chunk (up to `transfer::MAX_RANGES` gaps).
    pub fn next_ask(&mut self) -> Option<Ask> {
        if self.asking || (self.manifest.is_some() && self.complete()) {
            return None;
        }
        self.asking = true;
        if self.manifest.is_none() {
            return Some(Ask::Manifest);
        }
        let missing = self
            .have
            .iter()
            .enumerate()
            .skip(self.first_missing)
            .filter(|(_, have)| !**have)
            .map(|(index, _)| index as u64);
        Some(Ask::Chunks(super::transfer::ranges_of(missing)))
    }

    /// Bytes verified and written.
    pub fn bytes_done(&self) -> u64 {
        self.have
            .iter()
            .enumerate()
            .filter(|(_, have)| **have)
            .filter_map(|(index, _)| self.offer.chunk_range(index as u64).ok())
            .map(|(_, length)| length as u64)
            .sum()
    }

    /// Every chunk is verified and written.
    pub fn complete(&self) -> bool {
        self.first_missing >= self.have.len()
    }

    /// Chunks refused for a bad hash so far.
    pub fn bad_chunks(&self) -> u64 {
        self.bad_chunks
    }

    /// Too many chunks failed their hash: the download should be given up.
    pub fn hopeless(&self) -> bool {
        self.bad_chunks >= MAX_BAD_CHUNKS
    }

    /// An ask is in flight.
    pub fn in_flight(&self) -> bool {
        self.asking
    }
}

pub use crate::model::human_size;

/// True when `whole` is the offer's file.
pub fn matches_whole(offer: &FileOffer, whole: &[u8; 32]) -> bool {
    offer.sha256[..] == whole[..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn offer_of(data: &[u8], pieces: usize) -> (FileOffer, Vec<u8>) {
        let mut builder = OfferBuilder::new("song.flac");
        for piece in data.chunks(pieces.max(1)) {
            builder.update(piece);
        }
        builder.finish().unwrap()
    }

    #[test]
    fn a_download_verifies_each_chunk_and_completes() {
        let data = bytes(CHUNK_BYTES as usize * 3 + 12_345);
        let (offer, manifest) = offer_of(&data, 65_536);
        assert_eq!(offer.chunks(), 4);
        assert_eq!(offer.size, data.len() as u64);
        let mut download = Download::new(offer.clone());
        assert_eq!(download.next_ask(), Some(Ask::Manifest));
        assert_eq!(download.next_ask(), None, "the manifest is in flight");
        download.ask_done();
        let mut wrong = manifest.clone();
        wrong[0] ^= 1;
        assert_eq!(download.set_manifest(wrong), Err(FileError::BadManifest));
        download.set_manifest(manifest).unwrap();
        assert_eq!(download.next_ask(), Some(Ask::Chunks(vec![(0, 4)])));
        assert_eq!(download.next_ask(), None, "all four are in flight");
        for index in 0..4 {
            let (offset, length) = offer.chunk_range(index).unwrap();
            let chunk = &data[offset as usize..offset as usize + length];
            let mut tampered = chunk.to_vec();
            tampered[10] ^= 0x40;
            assert_eq!(
                download.verify(index, &tampered),
                Err(FileError::BadChunk(index))
            );
            download.mark_bad();
            if index % 2 == 0 {
                download.verify(index, chunk).unwrap();
                download.mark_written(index);
            }
        }
        // The stream ended; the chunks that failed are asked for again.
        download.ask_done();
        assert_eq!(download.next_ask(), Some(Ask::Chunks(vec![(1, 2), (3, 4)])));
        download.ask_done();
        for index in [1, 3] {
            let (offset, length) = offer.chunk_range(index).unwrap();
            download
                .verify(index, &data[offset as usize..offset as usize + length])
                .unwrap();
            download.mark_written(index);
        }
        assert_eq!(download.next_ask(), None, "nothing left to ask");
        assert_eq!(download.bad_chunks(), 4);
        assert!(download.complete());
        assert_eq!(download.bytes_done(), data.len() as u64);
        let whole: [u8; 32] = Sha256::digest(&data).into();
        assert!(matches_whole(&offer, &whole));
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(3 * 1_048_576 / 2), "1.5 MiB");
        assert_eq!(human_size(2 << 30), "2.00 GiB");
    }

    #[test]
    fn a_lost_ask_is_asked_again() {
        let data = bytes(100_000);
        let (offer, manifest) = offer_of(&data, 4_096);
        let mut download = Download::new(offer);
        download.set_manifest(manifest).unwrap();
        assert_eq!(download.next_ask(), Some(Ask::Chunks(vec![(0, 1)])));
        assert!(download.in_flight());
        download.ask_done();
        assert!(!download.in_flight());
        assert_eq!(download.next_ask(), Some(Ask::Chunks(vec![(0, 1)])));
    }

    #[test]
    fn offers_outside_the_limits_are_refused() {
        let (good, _) = offer_of(&bytes(10), 10);
        for bad in [
            FileOffer {
                name: "../etc/passwd".into(),
                ..good.clone()
            },
            FileOffer {
                name: String::new(),
                ..good.clone()
            },
            FileOffer {
                name: "x".repeat(300),
                ..good.clone()
            },
            FileOffer {
                chunk_bytes: 1,
                ..good.clone()
            },
            FileOffer {
                size: u64::MAX,
                ..good.clone()
            },
            FileOffer {
                sha256: vec![0; 5],
                ..good.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert_eq!(good.check(), Ok(()));
        assert_eq!(good.chunk_range(1), Err(FileError::NoSuchChunk(1)));
    }

    #[test]
    fn an_empty_file_has_no_chunks_and_is_complete() {
        let (offer, manifest) = offer_of(&[], 1);
        assert_eq!(offer.chunks(), 0);
        let mut download = Download::new(offer);
        download.set_manifest(manifest).unwrap();
        assert_eq!(download.next_ask(), None);
        assert!(download.complete());
    }

    proptest! {
        #[test]
        fn the_offer_does_not_depend_on_how_the_bytes_were_fed(
            len in 0usize..300_000,
            piece in 1usize..70_000,
        ) {
            let data = bytes(len);
            let (whole, manifest) = offer_of(&data, data.len().max(1));
            let (pieces, manifest_pieces) = offer_of(&data, piece);
            prop_assert_eq!(whole, pieces);
            prop_assert_eq!(manifest, manifest_pieces);
        }

        #[test]
        fn any_bytes_as_a_chunk_are_refused_or_right(
            index in 0u64..8,
            junk in proptest::collection::vec(any::<u8>(), 0..2_000),
        ) {
            let data = bytes(70_000);
            let mut builder = OfferBuilder::new("f");
            builder.chunk_bytes = 16 << 10;
            builder.update(&data);
            let (offer, manifest) = builder.finish().unwrap();
            let mut download = Download::new(offer);
            download.set_manifest(manifest).unwrap();
            // Never a panic; junk never passes.
            prop_assert!(download.verify(index, &junk).is_err());
        }
    }
}
