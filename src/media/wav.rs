//! WAV files (16-bit PCM): a streaming writer for `--audio-out file:` and call recordings,
//! whose header is kept valid as it grows (a killed process leaves a playable file), and a
//! reader with every chunk length checked.

use std::fs::File;
use std::io::{BufWriter, Seek as _, SeekFrom, Write as _};
use std::path::Path;

/// Why bytes are not a WAV file Ringlet reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// Not RIFF/WAVE.
    #[error("not a RIFF WAVE file")]
    NotWave,
    /// A chunk runs past the end.
    #[error("WAV chunk truncated")]
    Truncated,
    /// Not 16-bit PCM.
    #[error("unsupported WAV format {format} with {bits} bits per sample")]
    Unsupported {
        /// The format tag.
        format: u16,
        /// Bits per sample.
        bits: u16,
    },
    /// No `fmt ` or `data` chunk.
    #[error("WAV file has no {0} chunk")]
    Missing(&'static str),
}

/// Decoded 16-bit PCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Sample rate.
    pub rate_hz: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// Interleaved samples.
    pub samples: Vec<i16>,
}

impl Wav {
    /// One channel, de-interleaved.
    pub fn channel(&self, index: usize) -> Vec<i16> {
        let channels = usize::from(self.channels.max(1));
        self.samples
            .iter()
            .skip(index)
            .step_by(channels)
            .copied()
            .collect()
    }
}

/// Parses a WAV file's bytes. `data` chunks whose size field says 0 or too much (a writer
/// that died before fixing its header) are read to the end of the file.
pub fn parse(bytes: &[u8]) -> Result<Wav, WavError> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(WavError::NotWave);
    }
    let mut offset = 12usize;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while let Some(header) = bytes.get(offset..offset + 8) {
        let id = header.get(..4).unwrap_or_default();
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body_start = offset + 8;
        if id == b"data" {
            let (rate_hz, channels, bits, tag) = match format {
                Some((tag, channels, rate, bits)) => (rate, channels, bits, tag),
                None => return Err(WavError::Missing("fmt")),
            };
            if tag != 1 || bits != 16 || channels == 0 {
                return Err(WavError::Unsupported { format: tag, bits });
            }
            let available = bytes.len().saturating_sub(body_start);
            let len = if size == 0 || size > available {
                available
            } else {
                size
            };
            let body = bytes
                .get(body_start..body_start + len)
                .ok_or(WavError::Truncated)?;
            let samples = body
                .chunks_exact(2)
                .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            return Ok(Wav {
                rate_hz,
                channels,
                samples,
            });
        }
        let body = bytes
            .get(body_start..body_start.checked_add(size).ok_or(WavError::Truncated)?)
            .ok_or(WavError::Truncated)?;
        if id == b"fmt " {
            let field = |at: usize| {
                body.get(at..at + 2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .ok_or(WavError::Truncated)
            };
            let tag = field(0)?;
            let channels = field(2)?;
            let rate = body
                .get(4..8)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or(WavError::Truncated)?;
            let bits = field(14)?;
            // WAVE_FORMAT_EXTENSIBLE carries the real tag in its sub-format GUID.
            let tag = if tag == 0xFFFE { field(24)? } else { tag };
            format = Some((tag, channels, rate, bits));
        }
        // Chunks are padded to even lengths.
        offset = body_start + size + (size & 1);
    }
    Err(WavError::Missing("data"))
}

/// Why a WAV file cannot be read, with its path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The bytes are not a WAV file Ringlet reads.
    #[error("{}: {source}", path.display())]
    Format {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        source: WavError,
    },
}

/// Reads and parses a WAV file.
pub fn read(path: &Path) -> Result<Wav, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&bytes).map_err(|source| ReadError::Format {
        path: path.to_owned(),
        source,
    })
}

/// Writes 16-bit PCM as it comes; the header's sizes are fixed every 100 ms of audio and
/// on `finish`/drop.
pub struct WavWriter {
    file: BufWriter<File>,
    channels: u16,
    data_len: u32,
    unfixed: u32,
}

/// Header sizes are rewritten every 100 ms at 48 kHz, so readers of a growing file (tests,
/// a crash) see nearly all of it.
const FIX_EVERY_SAMPLES: u32 = 4_800;

impl WavWriter {
    /// Creates `path` (truncating it).
    pub fn create(path: &Path, rate_hz: u32, channels: u16) -> std::io::Result<WavWriter> {
        let mut file = BufWriter::new(File::create(path)?);
        let block_align = channels * 2;
        let mut header = Vec::with_capacity(44);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&36u32.to_le_bytes());
        header.extend_from_slice(b"WAVEfmt ");
        header.extend_from_slice(&16u32.to_le_bytes());
        header.extend_from_slice(&1u16.to_le_bytes());
        header.extend_from_slice(&channels.to_le_bytes());
        header.extend_from_slice(&rate_hz.to_le_bytes());
        header.extend_from_slice(&(rate_hz * u32::from(block_align)).to_le_bytes());
        header.extend_from_slice(&block_align.to_le_bytes());
        header.extend_from_slice(&16u16.to_le_bytes());
        header.extend_from_slice(b"data");
        header.extend_from_slice(&0u32.to_le_bytes());
        file.write_all(&header)?;
        // A reader sees a valid (empty) file at once, even before any audio.
        file.flush()?;
        Ok(WavWriter {
            file,
            channels,
            data_len: 0,
            unfixed: 0,
        })
    }

    /// Appends interleaved samples.
    pub fn write(&mut self, samples: &[i16]) -> std::io::Result<()> {
        for sample in samples {
            self.file.write_all(&sample.to_le_bytes())?;
        }
        let bytes = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
        self.data_len = self.data_len.saturating_add(bytes);
        self.unfixed = self
            .unfixed
            .saturating_add(bytes / 2 / u32::from(self.channels.max(1)));
        if self.unfixed >= FIX_EVERY_SAMPLES {
            self.fix_header()?;
        }
        Ok(())
    }

    fn fix_header(&mut self) -> std::io::Result<()> {
        self.unfixed = 0;
        self.file.flush()?;
        let file = self.file.get_mut();
        let end = file.stream_position()?;
        file.seek(SeekFrom::Start(4))?;
        file.write_all(&(36u32.saturating_add(self.data_len)).to_le_bytes())?;
        file.seek(SeekFrom::Start(40))?;
        file.write_all(&self.data_len.to_le_bytes())?;
        file.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    /// Fixes the header and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.fix_header()
    }
}

impl Drop for WavWriter {
    fn drop(&mut self) {
        // Best effort: `finish` reports errors to callers who want them.
        self.fix_header().ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let mut writer = WavWriter::create(&path, 16_000, 2).unwrap();
        writer.write(&[1, -1, 2, -2, i16::MAX, i16::MIN]).unwrap();
        writer.finish().unwrap();
        let wav = read(&path).unwrap();
        assert_eq!((wav.rate_hz, wav.channels), (16_000, 2));
        assert_eq!(wav.channel(0), [1, 2, i16::MAX]);
        assert_eq!(wav.channel(1), [-1, -2, i16::MIN]);
    }

    #[test]
    fn bad_files_are_errors() {
        assert_eq!(parse(b"RIFF"), Err(WavError::NotWave));
        let mut bytes = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        assert_eq!(parse(&bytes), Err(WavError::Truncated));
        bytes.extend_from_slice(&[3, 0, 1, 0, 0x80, 0xBB, 0, 0, 0, 0, 0, 0, 4, 0, 32, 0]);
        bytes.extend_from_slice(b"data\x04\0\0\0\0\0\0\0");
        assert_eq!(
            parse(&bytes),
            Err(WavError::Unsupported {
                format: 3,
                bits: 32
            })
        );
        assert_eq!(
            parse(b"RIFF\0\0\0\0WAVEdata\0\0\0\0"),
            Err(WavError::Missing("fmt"))
        );
        assert_eq!(parse(b"RIFF\0\0\0\0WAVE"), Err(WavError::Missing("data")));
    }
}
