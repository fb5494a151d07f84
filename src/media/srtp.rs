//! SRTP and SRTCP (RFC 3711) with keys from SDES (RFC 4568), sans-IO: AES-CM-128 with
//! HMAC-SHA1-80 or -32, key derivation rate 0, a 64-packet replay window, roll-over
//! counter estimation (RFC 3711 §3.3.1). The ciphers are RustCrypto's (`aes`, `ctr`,
//! `hmac`, `sha1`); this module only lays out the IVs, the authenticated bytes and the
//! indices. One [`SrtpSender`] per direction we send in (our key), one [`SrtpReceiver`]
//! for what the peer sends (its key).

use aes::Aes128;
use aes::cipher::{InnerIvInit as _, KeyInit as _, KeyIvInit as _, StreamCipher as _};
use hmac::{Hmac, Mac as _};
use sha1::Sha1;

type AesCtr = ctr::Ctr128BE<Aes128>;
type HmacSha1 = Hmac<Sha1>;

/// Master key length (AES-128).
const MASTER_KEY_LEN: usize = 16;
/// Master salt length (112 bits).
const MASTER_SALT_LEN: usize = 14;
/// SRTCP's authentication tag is 80 bits for both suites (RFC 4568 §6.2).
const SRTCP_TAG_LEN: usize = 10;
/// The replay window (RFC 3711 §3.3.2 asks for at least 64).
const REPLAY_WINDOW: u64 = 64;

/// Why a packet was not protected or unprotected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    /// The SDP key is not base64 of 30 bytes.
    #[error("SRTP key is not 30 bytes of base64")]
    BadKey,
    /// A suite Ringlet does not implement.
    #[error("unsupported SRTP suite")]
    UnknownSuite,
    /// Too short for its header and tag.
    #[error("SRTP packet truncated")]
    Truncated,
    /// The authentication tag does not match: wrong key or tampering.
    #[error("SRTP authentication failed")]
    AuthFailed,
    /// An index already seen or too old.
    #[error("SRTP replay")]
    Replay,
}

/// The crypto suites of RFC 4568 Ringlet speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpSuite {
    /// AES_CM_128_HMAC_SHA1_80.
    AesCm128HmacSha1_80,
    /// AES_CM_128_HMAC_SHA1_32 (32-bit tag on RTP only).
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// The suite named in `a=crypto`.
    pub fn from_name(name: &str) -> Result<SrtpSuite, SrtpError> {
        match name {
            "AES_CM_128_HMAC_SHA1_80" => Ok(SrtpSuite::AesCm128HmacSha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Ok(SrtpSuite::AesCm128HmacSha1_32),
            _ => Err(SrtpError::UnknownSuite),
        }
    }

    fn rtp_tag_len(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => 10,
            SrtpSuite::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// Session keys for one of RTP or RTCP.
#[derive(Clone)]
struct SessionKeys {
    cipher: Aes128,
    salt: [u8; MASTER_SALT_LEN],
    auth: HmacSha1,
}

/// Master key and salt from an SDES `inline:` value.
fn parse_inline(inline: &str) -> Result<([u8; MASTER_KEY_LEN], [u8; MASTER_SALT_LEN]), SrtpError> {
    let bytes = data_encoding::BASE64
        .decode(inline.as_bytes())
        .or_else(|_| data_encoding::BASE64_NOPAD.decode(inline.trim_end_matches('=').as_bytes()))
        .map_err(|_| SrtpError::BadKey)?;
    let key = bytes.get(..MASTER_KEY_LEN).and_then(|k| k.try_into().ok());
    let salt = bytes
        .get(MASTER_KEY_LEN..MASTER_KEY_LEN + MASTER_SALT_LEN)
        .and_then(|s| s.try_into().ok());
    match (key, salt, bytes.len()) {
        (Some(key), Some(salt), 30) => Ok((key, salt)),
        _ => Err(SrtpError::BadKey),
    }
}

/// The AES-CM PRF (RFC 3711 §4.3.1 with kdr 0): `len` bytes for `label`.
fn derive(
    master_key: &[u8; MASTER_KEY_LEN],
    master_salt: &[u8; MASTER_SALT_LEN],
    label: u8,
    out: &mut [u8],
) {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(master_salt);
    // key_id = label || r (48 bits, 0 here) sits in the low 56 bits of the 112-bit salt.
    iv[7] ^= label;
    out.fill(0);
    let mut prf = AesCtr::new(master_key.into(), &iv.into());
    prf.apply_keystream(out);
}

impl SessionKeys {
    fn new(
        master_key: &[u8; MASTER_KEY_LEN],
        master_salt: &[u8; MASTER_SALT_LEN],
        labels: (u8, u8, u8),
    ) -> SessionKeys {
        let mut key = [0u8; 16];
        let mut auth = [0u8; 20];
        let mut salt = [0u8; MASTER_SALT_LEN];
        derive(master_key, master_salt, labels.0, &mut key);
        derive(master_key, master_salt, labels.1, &mut auth);
        derive(master_key, master_salt, labels.2, &mut salt);
        SessionKeys {
            cipher: Aes128::new(&key.into()),
            salt,
            // HMAC takes keys of any length: this cannot fail.
            auth: <HmacSha1 as hmac::Mac>::new_from_slice(&auth)
                .unwrap_or_else(|_| unreachable!("HMAC accepts any key length")),
        }
    }

    /// XORs the keystream for (ssrc, index) over `data` (RFC 3711 §4.1.1).
    fn crypt(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..MASTER_SALT_LEN].copy_from_slice(&self.salt);
        for (slot, byte) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *slot ^= byte;
        }
        for (slot, byte) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *slot ^= byte;
        }
        let core = ctr::CtrCore::<Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(
            self.cipher.clone(),
            &iv.into(),
        );
        let mut stream = AesCtr::from_core(core);
        stream.apply_keystream(data);
    }

    fn tag(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut mac = self.auth.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// Length of an RTP header with its CSRCs and extension.
fn rtp_header_len(packet: &[u8]) -> Result<usize, SrtpError> {
    let first = *packet.first().ok_or(SrtpError::Truncated)?;
    let mut len = 12 + 4 * usize::from(first & 0x0F);
    if first & 0x10 != 0 {
        let words = packet.get(len + 2..len + 4).ok_or(SrtpError::Truncated)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    if packet.len() < len {
        return Err(SrtpError::Truncated);
    }
    Ok(len)
}

fn be_u32(bytes: &[u8], at: usize) -> Result<u32, SrtpError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(SrtpError::Truncated)
}

/// Protects what we send.
#[derive(Clone)]
pub struct SrtpSender {
    suite: SrtpSuite,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    roc: u32,
    last_sequence: Option<u16>,
    srtcp_index: u32,
}

impl SrtpSender {
    /// From our `inline:` key.
    pub fn new(suite: SrtpSuite, inline: &str) -> Result<SrtpSender, SrtpError> {
        let (key, salt) = parse_inline(inline)?;
        Ok(SrtpSender {
            suite,
            rtp: SessionKeys::new(&key, &salt, (0, 1, 2)),
            rtcp: SessionKeys::new(&key, &salt, (3, 4, 5)),
            roc: 0,
            last_sequence: None,
            srtcp_index: 0,
        })
    }

    /// Encrypts an RTP packet in place and appends its tag.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let header = rtp_header_len(packet)?;
        let sequence = packet
            .get(2..4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(SrtpError::Truncated)?;
        let ssrc = be_u32(packet, 8)?;
        if let Some(last) = self.last_sequence
            && sequence < last
            && last - sequence > 0x8000
        {
            self.roc = self.roc.wrapping_add(1);
        }
        self.last_sequence = Some(sequence);
        let index = (u64::from(self.roc) << 16) | u64::from(sequence);
        if let Some(payload) = packet.get_mut(header..) {
            self.rtp.crypt(ssrc, index, payload);
        }
        let tag = self.rtp.tag(&[packet, &self.roc.to_be_bytes()]);
        packet.extend_from_slice(tag.get(..self.suite.rtp_tag_len()).unwrap_or_default());
        Ok(())
    }

    /// Encrypts an RTCP compound packet in place, appending E|index and the tag.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let ssrc = be_u32(packet, 4)?;
        let index = self.srtcp_index & 0x7FFF_FFFF;
        self.srtcp_index = self.srtcp_index.wrapping_add(1);
        if let Some(body) = packet.get_mut(8..) {
            self.rtcp.crypt(ssrc, u64::from(index), body);
        }
        packet.extend_from_slice(&(index | 0x8000_0000).to_be_bytes());
        let tag = self.rtcp.tag(&[packet]);
        packet.extend_from_slice(tag.get(..SRTCP_TAG_LEN).unwrap_or_default());
        Ok(())
    }
}

/// A sliding replay window over 48-bit (SRTP) or 31-bit (SRTCP) indices.
#[derive(Debug, Clone, Default)]
struct ReplayWindow {
    highest: Option<u64>,
    /// Bit i set: index `highest - i` was seen.
    seen: u64,
}

impl ReplayWindow {
    fn check(&self, index: u64) -> Result<(), SrtpError> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        let age = highest - index;
        if age >= REPLAY_WINDOW || self.seen & (1 << age) != 0 {
            return Err(SrtpError::Replay);
        }
        Ok(())
    }

    fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index <= highest => self.seen |= 1 << (highest - index),
            Some(highest) => {
                let shift = index - highest;
                self.seen = if shift >= REPLAY_WINDOW {
                    0
                } else {
                    self.seen << shift
                };
                self.seen |= 1;
                self.highest = Some(index);
            }
            None => {
                self.seen = 1;
                self.highest = Some(index);
            }
        }
    }
}

/// Checks and decrypts what the peer sends.
#[derive(Clone)]
pub struct SrtpReceiver {
    suite: SrtpSuite,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    /// The source we follow; a new SSRC starts its index afresh.
    ssrc: Option<u32>,
    roc: u32,
    highest_sequence: u16,
    rtp_window: ReplayWindow,
    rtcp_window: ReplayWindow,
}

impl SrtpReceiver {
    /// From the peer's `inline:` key.
    pub fn new(suite: SrtpSuite, inline: &str) -> Result<SrtpReceiver, SrtpError> {
        let (key, salt) = parse_inline(inline)?;
        Ok(SrtpReceiver {
            suite,
            rtp: SessionKeys::new(&key, &salt, (0, 1, 2)),
            rtcp: SessionKeys::new(&key, &salt, (3, 4, 5)),
            ssrc: None,
            roc: 0,
            highest_sequence: 0,
            rtp_window: ReplayWindow::default(),
            rtcp_window: ReplayWindow::default(),
        })
    }

    /// The roll-over counter this sequence number most likely belongs to (§3.3.1).
    fn estimate_roc(&self, sequence: u16) -> u32 {
        let s_l = self.highest_sequence;
        if s_l < 0x8000 {
            if sequence > s_l && sequence - s_l > 0x8000 {
                self.roc.wrapping_sub(1)
            } else {
                self.roc
            }
        } else if s_l - 0x8000 > sequence {
            self.roc.wrapping_add(1)
        } else {
            self.roc
        }
    }

    /// Checks the tag and replay window, decrypts in place and strips the tag.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let tag_len = self.suite.rtp_tag_len();
        let header = rtp_header_len(packet)?;
        let body_end = packet
            .len()
            .checked_sub(tag_len)
            .filter(|&end| end >= header)
            .ok_or(SrtpError::Truncated)?;
        let sequence = packet
            .get(2..4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(SrtpError::Truncated)?;
        let ssrc = be_u32(packet, 8)?;
        let fresh = self.ssrc != Some(ssrc);
        let roc = if fresh {
            0
        } else {
            self.estimate_roc(sequence)
        };
        let index = (u64::from(roc) << 16) | u64::from(sequence);
        if !fresh {
            self.rtp_window.check(index)?;
        }
        let (authenticated, tag) = packet.split_at(body_end);
        let expected = self.rtp.tag(&[authenticated, &roc.to_be_bytes()]);
        if !constant_time_eq(expected.get(..tag_len).unwrap_or_default(), tag) {
            return Err(SrtpError::AuthFailed);
        }
        if fresh {
            // A new source (first packet, or the peer restarted): follow it.
            self.ssrc = Some(ssrc);
            self.rtp_window = ReplayWindow::default();
            self.roc = 0;
            self.highest_sequence = sequence;
        }
        self.rtp_window.accept(index);
        if index >= (u64::from(self.roc) << 16) | u64::from(self.highest_sequence) {
            self.roc = roc;
            self.highest_sequence = sequence;
        }
        packet.truncate(body_end);
        if let Some(payload) = packet.get_mut(header..) {
            self.rtp.crypt(ssrc, index, payload);
        }
        Ok(())
    }

    /// Checks and decrypts an SRTCP packet in place, leaving the plain compound.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let body_end = packet
            .len()
            .checked_sub(SRTCP_TAG_LEN + 4)
            .filter(|&end| end >= 8)
            .ok_or(SrtpError::Truncated)?;
        let (authenticated, tag) = packet.split_at(body_end + 4);
        let expected = self.rtcp.tag(&[authenticated]);
        if !constant_time_eq(expected.get(..SRTCP_TAG_LEN).unwrap_or_default(), tag) {
            return Err(SrtpError::AuthFailed);
        }
        let e_index = be_u32(packet, body_end)?;
        let index = u64::from(e_index & 0x7FFF_FFFF);
        self.rtcp_window.check(index)?;
        self.rtcp_window.accept(index);
        let ssrc = be_u32(packet, 4)?;
        packet.truncate(body_end);
        if e_index & 0x8000_0000 != 0
            && let Some(body) = packet.get_mut(8..)
        {
            self.rtcp.crypt(ssrc, index, body);
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        data_encoding::HEXUPPER.decode(text.as_bytes()).unwrap()
    }

    /// RFC 3711 Appendix B.2: the AES-CM keystream.
    #[test]
    fn rfc3711_b2_keystream() {
        let key: [u8; 16] = hex("2B7E151628AED2A6ABF7158809CF4F3C").try_into().unwrap();
        let keys = SessionKeys {
            cipher: Aes128::new(&key.into()),
            salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap(),
            auth: <HmacSha1 as hmac::Mac>::new_from_slice(&[0; 20]).unwrap(),
        };
        let mut stream = [0u8; 48];
        keys.crypt(0, 0, &mut stream);
        assert_eq!(
            stream.to_vec(),
            hex(
                "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0"
            )
        );
    }

    /// RFC 3711 Appendix B.3: key derivation.
    #[test]
    fn rfc3711_b3_key_derivation() {
        let key: [u8; 16] = hex("E1F97A0D3E018BE0D64FA32C06DE4139").try_into().unwrap();
        let salt: [u8; 14] = hex("0EC675AD498AFEEBB6960B3AABE6").try_into().unwrap();
        let mut cipher = [0u8; 16];
        derive(&key, &salt, 0, &mut cipher);
        assert_eq!(cipher.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        let mut session_salt = [0u8; 14];
        derive(&key, &salt, 2, &mut session_salt);
        assert_eq!(session_salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        let mut auth = [0u8; 20];
        derive(&key, &salt, 1, &mut auth);
        assert_eq!(auth[..16].to_vec(), hex("CEBE321F6FF7716B6FD4AB49AF256A15"));
    }

    const KEY: &str = "WnD7c1ksDGs+dIefCEMWqFzdQHvhTFFJrzzHBwd/";

    fn rtp(sequence: u16, payload: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x80, 0, 0, 0, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78];
        packet[2..4].copy_from_slice(&sequence.to_be_bytes());
        packet.extend_from_slice(payload);
        packet
    }

    #[test]
    fn rtp_round_trips_and_rejects_tampering_replays_and_wrong_keys() {
        for suite in [
            SrtpSuite::AesCm128HmacSha1_80,
            SrtpSuite::AesCm128HmacSha1_32,
        ] {
            let mut sender = SrtpSender::new(suite, KEY).unwrap();
            let mut receiver = SrtpReceiver::new(suite, KEY).unwrap();
            let plain = rtp(7, b"hello audio");
            let mut packet = plain.clone();
            sender.protect_rtp(&mut packet).unwrap();
            assert_eq!(packet.len(), plain.len() + suite.rtp_tag_len());
            assert_ne!(&packet[12..23], b"hello audio");
            let replayed = packet.clone();
            let mut tampered = packet.clone();
            tampered[14] ^= 1;
            assert_eq!(
                receiver.unprotect_rtp(&mut tampered),
                Err(SrtpError::AuthFailed)
            );
            receiver.unprotect_rtp(&mut packet).unwrap();
            assert_eq!(packet, plain);
            assert_eq!(
                receiver.unprotect_rtp(&mut replayed.clone()),
                Err(SrtpError::Replay)
            );

            let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
            let mut stranger = SrtpReceiver::new(suite, other).unwrap();
            assert_eq!(
                stranger.unprotect_rtp(&mut replayed.clone()),
                Err(SrtpError::AuthFailed)
            );
        }
    }

    #[test]
    fn the_roll_over_counter_follows_sequence_wraps_and_late_packets() {
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let mut sender = SrtpSender::new(suite, KEY).unwrap();
        let mut receiver = SrtpReceiver::new(suite, KEY).unwrap();
        let mut protected = Vec::new();
        for sequence in (65_530..=65_535).chain(0..6) {
            let mut packet = rtp(sequence, &[sequence as u8; 20]);
            sender.protect_rtp(&mut packet).unwrap();
            protected.push((sequence, packet));
        }
        // Deliver with one late packet across the wrap.
        let late = protected.remove(5);
        for (sequence, mut packet) in protected.into_iter().chain(std::iter::once(late)) {
            receiver.unprotect_rtp(&mut packet).unwrap();
            assert_eq!(packet, rtp(sequence, &[sequence as u8; 20]), "{sequence}");
        }
        assert_eq!(receiver.roc, 1);
    }

    #[test]
    fn rtcp_round_trips_with_its_index() {
        let suite = SrtpSuite::AesCm128HmacSha1_32;
        let mut sender = SrtpSender::new(suite, KEY).unwrap();
        let mut receiver = SrtpReceiver::new(suite, KEY).unwrap();
        let plain = vec![0x80, 201, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD];
        for _ in 0..3 {
            let mut packet = plain.clone();
            sender.protect_rtcp(&mut packet).unwrap();
            assert_eq!(packet.len(), plain.len() + 4 + SRTCP_TAG_LEN);
            let copy = packet.clone();
            receiver.unprotect_rtcp(&mut packet).unwrap();
            assert_eq!(packet, plain);
            assert_eq!(
                receiver.unprotect_rtcp(&mut copy.clone()),
                Err(SrtpError::Replay)
            );
        }
    }

    #[test]
    fn bad_keys_and_short_packets_are_errors() {
        assert!(SrtpSender::new(SrtpSuite::AesCm128HmacSha1_80, "short").is_err());
        assert_eq!(
            SrtpSuite::from_name("F8_128_HMAC_SHA1_80"),
            Err(SrtpError::UnknownSuite)
        );
        let mut receiver = SrtpReceiver::new(SrtpSuite::AesCm128HmacSha1_80, KEY).unwrap();
        for len in 0..24 {
            let mut packet = vec![0x80; len];
            assert!(receiver.unprotect_rtp(&mut packet).is_err());
            assert!(receiver.unprotect_rtcp(&mut packet).is_err());
        }
    }
}
