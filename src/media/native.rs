//! The C codec libraries Ringlet links: spandsp (G.722, GSM 06.10) and libspeex. Each
//! wrapper owns one C state, checks every length before the call and frees the state on
//! drop. This is the only `unsafe` in the media code.

use std::ffi::{c_char, c_int, c_void};

use super::codecs::CodecError;

#[repr(C)]
struct SpeexBits {
    chars: *mut c_char,
    nb_bits: c_int,
    char_ptr: c_int,
    bit_ptr: c_int,
    owner: c_int,
    overflow: c_int,
    buf_size: c_int,
    reserved1: c_int,
    reserved2: *mut c_void,
}

#[link(name = "spandsp")]
unsafe extern "C" {
    fn g722_encode_init(state: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
    fn g722_encode_free(state: *mut c_void) -> c_int;
    fn g722_encode(state: *mut c_void, out: *mut u8, amp: *const i16, len: c_int) -> c_int;
    fn g722_decode_init(state: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
    fn g722_decode_free(state: *mut c_void) -> c_int;
    fn g722_decode(state: *mut c_void, amp: *mut i16, data: *const u8, len: c_int) -> c_int;
    fn gsm0610_init(state: *mut c_void, packing: c_int) -> *mut c_void;
    fn gsm0610_free(state: *mut c_void) -> c_int;
    fn gsm0610_encode(state: *mut c_void, code: *mut u8, amp: *const i16, len: c_int) -> c_int;
    fn gsm0610_decode(state: *mut c_void, amp: *mut i16, code: *const u8, len: c_int) -> c_int;
}

#[link(name = "speex")]
unsafe extern "C" {
    fn speex_lib_get_mode(mode: c_int) -> *const c_void;
    fn speex_encoder_init(mode: *const c_void) -> *mut c_void;
    fn speex_encoder_destroy(state: *mut c_void);
    fn speex_encoder_ctl(state: *mut c_void, request: c_int, value: *mut c_void) -> c_int;
    fn speex_encode_int(state: *mut c_void, input: *mut i16, bits: *mut SpeexBits) -> c_int;
    fn speex_decoder_init(mode: *const c_void) -> *mut c_void;
    fn speex_decoder_destroy(state: *mut c_void);
    fn speex_decoder_ctl(state: *mut c_void, request: c_int, value: *mut c_void) -> c_int;
    fn speex_decode_int(state: *mut c_void, bits: *mut SpeexBits, out: *mut i16) -> c_int;
    fn speex_bits_init(bits: *mut SpeexBits);
    fn speex_bits_destroy(bits: *mut SpeexBits);
    fn speex_bits_reset(bits: *mut SpeexBits);
    fn speex_bits_read_from(bits: *mut SpeexBits, bytes: *const c_char, len: c_int);
    fn speex_bits_write(bits: *mut SpeexBits, bytes: *mut c_char, max_len: c_int) -> c_int;
}

/// G.722 at 64 kbit/s, 16 kHz samples (spandsp).
pub struct G722 {
    encoder: *mut c_void,
    decoder: *mut c_void,
}

// SAFETY: the states are plain heap memory owned by this value alone; spandsp keeps no
// thread-local or global state for them.
unsafe impl Send for G722 {}

impl G722 {
    /// A fresh encoder and decoder.
    pub fn new() -> Result<G722, CodecError> {
        // SAFETY: a null state asks spandsp to allocate one; 64000 is a valid rate.
        let (encoder, decoder) = unsafe {
            (
                g722_encode_init(std::ptr::null_mut(), 64_000, 0),
                g722_decode_init(std::ptr::null_mut(), 64_000, 0),
            )
        };
        let codec = G722 { encoder, decoder };
        if encoder.is_null() || decoder.is_null() {
            return Err(CodecError::Init("G.722"));
        }
        Ok(codec)
    }

    /// Encodes 16 kHz samples: one byte per two samples.
    pub fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + samples.len().div_ceil(2), 0);
        let len = c_int::try_from(samples.len()).unwrap_or(0);
        // SAFETY: `out` has room for len/2 (rounded up) bytes past `start`, the size the
        // encoder writes for `len` samples; both pointers are valid for the call.
        let written = unsafe {
            g722_encode(
                self.encoder,
                out.as_mut_ptr().add(start),
                samples.as_ptr(),
                len,
            )
        };
        out.truncate(start + usize::try_from(written).unwrap_or(0));
    }

    /// Decodes to 16 kHz samples: two per byte.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        let start = out.len();
        out.resize(start + payload.len() * 2, 0);
        let len = c_int::try_from(payload.len()).unwrap_or(0);
        // SAFETY: `out` has room for two samples per input byte past `start`.
        let written = unsafe {
            g722_decode(
                self.decoder,
                out.as_mut_ptr().add(start),
                payload.as_ptr(),
                len,
            )
        };
        out.truncate(start + usize::try_from(written).unwrap_or(0));
    }
}

impl Drop for G722 {
    fn drop(&mut self) {
        // SAFETY: each state came from its init function and is freed once.
        unsafe {
            if !self.encoder.is_null() {
                g722_encode_free(self.encoder);
            }
            if !self.decoder.is_null() {
                g722_decode_free(self.decoder);
            }
        }
    }
}

/// spandsp's RTP packing for GSM 06.10 (RFC 3551 §4.5.8): 33 bytes per 160 samples.
const GSM0610_PACKING_VOIP: c_int = 2;
/// Bytes of one GSM frame.
pub const GSM_FRAME_BYTES: usize = 33;
/// Samples (8 kHz) of one GSM frame.
pub const GSM_FRAME_SAMPLES: usize = 160;

/// GSM 06.10 full rate (spandsp), 8 kHz.
pub struct Gsm {
    encoder: *mut c_void,
    decoder: *mut c_void,
}

// SAFETY: as for G722.
unsafe impl Send for Gsm {}

impl Gsm {
    /// A fresh encoder and decoder.
    pub fn new() -> Result<Gsm, CodecError> {
        // SAFETY: null states are allocated by spandsp; the packing value is valid.
        let (encoder, decoder) = unsafe {
            (
                gsm0610_init(std::ptr::null_mut(), GSM0610_PACKING_VOIP),
                gsm0610_init(std::ptr::null_mut(), GSM0610_PACKING_VOIP),
            )
        };
        let codec = Gsm { encoder, decoder };
        if encoder.is_null() || decoder.is_null() {
            return Err(CodecError::Init("GSM"));
        }
        Ok(codec)
    }

    /// Encodes whole 160-sample frames (a partial tail is ignored).
    pub fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) {
        let frames = samples.len() / GSM_FRAME_SAMPLES;
        let start = out.len();
        out.resize(start + frames * GSM_FRAME_BYTES, 0);
        let len = c_int::try_from(frames * GSM_FRAME_SAMPLES).unwrap_or(0);
        // SAFETY: room for 33 bytes per 160 whole samples past `start`.
        let written = unsafe {
            gsm0610_encode(
                self.encoder,
                out.as_mut_ptr().add(start),
                samples.as_ptr(),
                len,
            )
        };
        out.truncate(start + usize::try_from(written).unwrap_or(0));
    }

    /// Decodes whole 33-byte frames; a payload of another length is an error.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() || !payload.len().is_multiple_of(GSM_FRAME_BYTES) {
            return Err(CodecError::BadPayload("GSM frames are 33 bytes"));
        }
        let frames = payload.len() / GSM_FRAME_BYTES;
        let start = out.len();
        out.resize(start + frames * GSM_FRAME_SAMPLES, 0);
        let len = c_int::try_from(payload.len()).unwrap_or(0);
        // SAFETY: room for 160 samples per whole 33-byte frame past `start`.
        let written = unsafe {
            gsm0610_decode(
                self.decoder,
                out.as_mut_ptr().add(start),
                payload.as_ptr(),
                len,
            )
        };
        out.truncate(start + usize::try_from(written).unwrap_or(0));
        Ok(())
    }
}

impl Drop for Gsm {
    fn drop(&mut self) {
        // SAFETY: each state came from gsm0610_init and is freed once.
        unsafe {
            if !self.encoder.is_null() {
                gsm0610_free(self.encoder);
            }
            if !self.decoder.is_null() {
                gsm0610_free(self.decoder);
            }
        }
    }
}

const SPEEX_SET_ENH: c_int = 0;
const SPEEX_GET_FRAME_SIZE: c_int = 3;
const SPEEX_SET_QUALITY: c_int = 4;
const SPEEX_SET_VAD: c_int = 30;
const SPEEX_SET_DTX: c_int = 34;
/// Largest Speex frame we write (ultra-wideband at the highest quality is ~106 bytes).
const SPEEX_MAX_BYTES: usize = 256;

/// Speex narrowband (8 kHz), wideband (16 kHz) or ultra-wideband (32 kHz), libspeex.
pub struct Speex {
    encoder: *mut c_void,
    decoder: *mut c_void,
    encode_bits: Box<SpeexBits>,
    decode_bits: Box<SpeexBits>,
    frame_samples: usize,
    input: Vec<i16>,
}

// SAFETY: as for G722; the bit buffers are owned by this value.
unsafe impl Send for Speex {}

impl Speex {
    /// Codec for `rate_hz` (8000, 16000 or 32000) with VAD and DTX on when `dtx`.
    pub fn new(rate_hz: u32, dtx: bool) -> Result<Speex, CodecError> {
        let mode_id = match rate_hz {
            8_000 => 0,
            16_000 => 1,
            32_000 => 2,
            _ => return Err(CodecError::Init("Speex (rate)")),
        };
        let empty = || {
            Box::new(SpeexBits {
                chars: std::ptr::null_mut(),
                nb_bits: 0,
                char_ptr: 0,
                bit_ptr: 0,
                owner: 0,
                overflow: 0,
                buf_size: 0,
                reserved1: 0,
                reserved2: std::ptr::null_mut(),
            })
        };
        let mut encode_bits = empty();
        let mut decode_bits = empty();
        // SAFETY: the mode pointer is static library data; states are checked below; the
        // ctl values point at live c_ints of the types these requests take.
        let (encoder, decoder, frame) = unsafe {
            let mode = speex_lib_get_mode(mode_id);
            if mode.is_null() {
                return Err(CodecError::Init("Speex (mode)"));
            }
            let encoder = speex_encoder_init(mode);
            let decoder = speex_decoder_init(mode);
            speex_bits_init(&mut *encode_bits);
            speex_bits_init(&mut *decode_bits);
            let mut frame: c_int = 0;
            if !encoder.is_null() && !decoder.is_null() {
                let mut quality: c_int = 8;
                let mut on: c_int = c_int::from(dtx);
                let mut enhance: c_int = 1;
                speex_encoder_ctl(encoder, SPEEX_SET_QUALITY, (&raw mut quality).cast());
                speex_encoder_ctl(encoder, SPEEX_SET_VAD, (&raw mut on).cast());
                speex_encoder_ctl(encoder, SPEEX_SET_DTX, (&raw mut on).cast());
                speex_decoder_ctl(decoder, SPEEX_SET_ENH, (&raw mut enhance).cast());
                speex_encoder_ctl(encoder, SPEEX_GET_FRAME_SIZE, (&raw mut frame).cast());
            }
            (encoder, decoder, frame)
        };
        let codec = Speex {
            encoder,
            decoder,
            encode_bits,
            decode_bits,
            frame_samples: usize::try_from(frame).unwrap_or(0),
            input: Vec::new(),
        };
        if encoder.is_null() || decoder.is_null() || codec.frame_samples == 0 {
            return Err(CodecError::Init("Speex"));
        }
        Ok(codec)
    }

    /// Encodes one 20 ms frame; returns false (and writes nothing) when DTX says the frame
    /// need not be sent.
    pub fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> bool {
        self.input.clear();
        self.input.extend_from_slice(samples);
        self.input.resize(self.frame_samples, 0);
        let start = out.len();
        out.resize(start + SPEEX_MAX_BYTES, 0);
        // SAFETY: the input holds exactly one frame; `out` has SPEEX_MAX_BYTES of room
        // past `start`, the limit passed to speex_bits_write.
        let (send, written) = unsafe {
            speex_bits_reset(&mut *self.encode_bits);
            let send = speex_encode_int(
                self.encoder,
                self.input.as_mut_ptr(),
                &mut *self.encode_bits,
            );
            let written = speex_bits_write(
                &mut *self.encode_bits,
                out.as_mut_ptr().add(start).cast(),
                SPEEX_MAX_BYTES as c_int,
            );
            (send, written)
        };
        if send == 0 {
            out.truncate(start);
            return false;
        }
        out.truncate(start + usize::try_from(written).unwrap_or(0));
        true
    }

    /// Decodes every frame in `payload` (or conceals one frame when `None`).
    pub fn decode(&mut self, payload: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError> {
        let bits: *mut SpeexBits = match payload {
            Some(payload) => {
                let len = c_int::try_from(payload.len())
                    .map_err(|_| CodecError::BadPayload("Speex payload too long"))?;
                // SAFETY: libspeex copies `len` bytes from the payload into its buffer.
                unsafe {
                    speex_bits_read_from(&mut *self.decode_bits, payload.as_ptr().cast(), len)
                };
                &mut *self.decode_bits
            }
            None => std::ptr::null_mut(),
        };
        // A payload may carry several frames; a handful at most in 20–60 ms packets.
        for decoded in 0..6 {
            let start = out.len();
            out.resize(start + self.frame_samples, 0);
            // SAFETY: `out` has one frame of room past `start`; `bits` is either null
            // (packet loss concealment) or our live bit buffer.
            let status =
                unsafe { speex_decode_int(self.decoder, bits, out.as_mut_ptr().add(start)) };
            if status != 0 {
                out.truncate(start);
                if decoded == 0 {
                    return Err(CodecError::BadPayload("corrupt Speex frame"));
                }
                break;
            }
            if payload.is_none()
                || self.decode_bits.overflow != 0
                || remaining_bits(&self.decode_bits) < 5
            {
                break;
            }
        }
        Ok(())
    }
}

fn remaining_bits(bits: &SpeexBits) -> c_int {
    bits.nb_bits - (bits.char_ptr * 8 + bits.bit_ptr)
}

impl Drop for Speex {
    fn drop(&mut self) {
        // SAFETY: states from their init functions, bits from speex_bits_init; once each.
        unsafe {
            if !self.encoder.is_null() {
                speex_encoder_destroy(self.encoder);
            }
            if !self.decoder.is_null() {
                speex_decoder_destroy(self.decoder);
            }
            speex_bits_destroy(&mut *self.encode_bits);
            speex_bits_destroy(&mut *self.decode_bits);
        }
    }
}
