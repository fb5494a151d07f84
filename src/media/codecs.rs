//! The audio codecs behind one trait, and the registry SDP negotiation picks from. Every
//! codec takes and gives 48 kHz mono in 20 ms frames (960 samples); narrowband and
//! wideband codecs resample at their edge. Loss is concealed by the codec where it can
//! (Opus PLC and in-band FEC, Speex PLC), else by repeating the last frame, fading.

use super::native::{G722, Gsm, Speex};
use super::resample::Resampler;
use super::{FRAME_SAMPLES, g711};
use crate::sdp::Codec;

/// Why a codec cannot be made or a payload decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Not a codec Ringlet implements.
    #[error("codec {0} is not implemented")]
    Unknown(String),
    /// The library refused to create a state.
    #[error("cannot initialise {0}")]
    Init(&'static str),
    /// A payload the decoder rejects.
    #[error("bad payload: {0}")]
    BadPayload(&'static str),
}

/// One codec instance, both directions, for one call.
pub trait AudioCodec: Send {
    /// Encodes one 20 ms frame of 48 kHz mono; `Ok(false)` when discontinuous transmission
    /// (DTX) says the frame need not be sent.
    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<bool, CodecError>;
    /// Encodes one 20 ms stereo frame given as its mid (the mono mix, (L+R)/2) and side
    /// ((L−R)/2) channels, 48 kHz each. Codecs that only send mono send the mid.
    fn encode_stereo(
        &mut self,
        mid: &[i16],
        side: &[i16],
        out: &mut Vec<u8>,
    ) -> Result<bool, CodecError> {
        let _ = side;
        self.encode(mid, out)
    }
    /// Decodes one payload, appending 48 kHz mono.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError>;
    /// Appends one concealed 20 ms frame for a lost packet; `next` is the payload of the
    /// packet after the lost one, when it has arrived (Opus recovers from its FEC).
    fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>);
}

/// RTP timestamp units in one 20 ms frame of `codec`.
pub fn rtp_units_per_frame(codec: &Codec) -> u32 {
    codec.clock_rate / 50
}

/// Makes an instance of `codec`. With `dtx`, Opus and Speex stop sending in silence
/// (Speex's VAD also takes a steady tone for noise, so it is a per-account choice).
pub fn make(codec: &Codec, dtx: bool) -> Result<Box<dyn AudioCodec>, CodecError> {
    Ok(match codec.id {
        "opus" => Box::new(Opus::new(dtx)?),
        "pcmu" => Box::new(Narrow::new(NarrowKind::Ulaw, 8_000)),
        "pcma" => Box::new(Narrow::new(NarrowKind::Alaw, 8_000)),
        "g722" => Box::new(Narrow::new(NarrowKind::G722(G722::new()?), 16_000)),
        "gsm" => Box::new(Narrow::new(NarrowKind::Gsm(Gsm::new()?), 8_000)),
        "speex" | "speex-nb" | "speex-uwb" => Box::new(Narrow::new(
            NarrowKind::Speex(Speex::new(codec.clock_rate, dtx)?),
            codec.clock_rate,
        )),
        other => return Err(CodecError::Unknown(other.to_owned())),
    })
}

/// Repeats the last good frame at falling gain, then silence: concealment for codecs
/// without their own.
#[derive(Debug, Clone)]
struct Repeater {
    last: Vec<i16>,
    gain: f32,
}

impl Repeater {
    fn new() -> Repeater {
        Repeater {
            last: vec![0; FRAME_SAMPLES],
            gain: 1.0,
        }
    }

    fn remember(&mut self, decoded: &[i16]) {
        if let Some(tail) = decoded
            .len()
            .checked_sub(FRAME_SAMPLES)
            .and_then(|at| decoded.get(at..))
        {
            self.last.copy_from_slice(tail);
        }
        self.gain = 1.0;
    }

    fn conceal(&mut self, out: &mut Vec<i16>) {
        self.gain *= 0.6;
        let gain = if self.gain < 0.05 { 0.0 } else { self.gain };
        out.extend(self.last.iter().map(|&s| (f32::from(s) * gain) as i16));
    }
}

enum NarrowKind {
    Ulaw,
    Alaw,
    G722(G722),
    Gsm(Gsm),
    Speex(Speex),
}

/// A codec below 48 kHz with resamplers at its edge.
struct Narrow {
    kind: NarrowKind,
    down: Resampler,
    up: Resampler,
    native: Vec<i16>,
    repeater: Repeater,
}

impl Narrow {
    fn new(kind: NarrowKind, rate_hz: u32) -> Narrow {
        Narrow {
            kind,
            down: Resampler::new(48_000, rate_hz),
            up: Resampler::new(rate_hz, 48_000),
            native: Vec::with_capacity(FRAME_SAMPLES),
            repeater: Repeater::new(),
        }
    }

    fn upsample(&mut self, out: &mut Vec<i16>) {
        let start = out.len();
        self.up.process(&self.native, out);
        if let Some(decoded) = out.get(start..) {
            self.repeater.remember(decoded);
        }
    }
}

impl AudioCodec for Narrow {
    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<bool, CodecError> {
        self.native.clear();
        self.down.process(frame, &mut self.native);
        Ok(match &mut self.kind {
            NarrowKind::Ulaw => {
                out.extend(self.native.iter().map(|&s| g711::ulaw_encode(s)));
                true
            }
            NarrowKind::Alaw => {
                out.extend(self.native.iter().map(|&s| g711::alaw_encode(s)));
                true
            }
            NarrowKind::G722(codec) => {
                codec.encode(&self.native, out);
                true
            }
            NarrowKind::Gsm(codec) => {
                codec.encode(&self.native, out);
                true
            }
            NarrowKind::Speex(codec) => codec.encode(&self.native, out),
        })
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() {
            return Err(CodecError::BadPayload("empty payload"));
        }
        self.native.clear();
        match &mut self.kind {
            NarrowKind::Ulaw => self
                .native
                .extend(payload.iter().map(|&b| g711::ulaw_decode(b))),
            NarrowKind::Alaw => self
                .native
                .extend(payload.iter().map(|&b| g711::alaw_decode(b))),
            NarrowKind::G722(codec) => codec.decode(payload, &mut self.native),
            NarrowKind::Gsm(codec) => codec.decode(payload, &mut self.native)?,
            NarrowKind::Speex(codec) => codec.decode(Some(payload), &mut self.native)?,
        }
        self.upsample(out);
        Ok(())
    }

    fn conceal(&mut self, _next: Option<&[u8]>, out: &mut Vec<i16>) {
        if let NarrowKind::Speex(codec) = &mut self.kind {
            self.native.clear();
            if codec.decode(None, &mut self.native).is_ok() {
                self.up.process(&self.native, out);
                return;
            }
        }
        self.repeater.conceal(out);
    }
}

/// Opus at 48 kHz with in-band FEC, and DTX when asked (RFC 7587): mono, or stereo when
/// there is stereo to send (a second encoder, made when first needed; a decoder takes
/// either kind of packet). What arrives is decoded to mono, which is what we play.
struct Opus {
    encoder: opus::Encoder,
    stereo: Option<opus::Encoder>,
    dtx: bool,
    decoder: opus::Decoder,
    scratch: Vec<i16>,
    interleaved: Vec<i16>,
}

/// Largest Opus packet we write (RFC 6716 allows 1275 bytes per frame).
const OPUS_MAX_BYTES: usize = 1_275;

impl Opus {
    fn new(dtx: bool) -> Result<Opus, CodecError> {
        let encoder = Opus::encoder(opus::Channels::Mono, dtx)?;
        let decoder = opus::Decoder::new(48_000, opus::Channels::Mono)
            .map_err(|_| CodecError::Init("Opus decoder"))?;
        Ok(Opus {
            encoder,
            stereo: None,
            dtx,
            decoder,
            scratch: vec![0; FRAME_SAMPLES * 6],
            interleaved: Vec::with_capacity(FRAME_SAMPLES * 2),
        })
    }

    fn encoder(channels: opus::Channels, dtx: bool) -> Result<opus::Encoder, CodecError> {
        let mut encoder = opus::Encoder::new(48_000, channels, opus::Application::Voip)
            .map_err(|_| CodecError::Init("Opus encoder"))?;
        // FEC protects against the loss a phone call meets; DTX saves bandwidth in pauses.
        encoder.set_inband_fec(true).ok();
        encoder.set_packet_loss_perc(10).ok();
        encoder.set_dtx(dtx).ok();
        // Complexity 5 of 10 halves the encoder's cost for a small loss in speech quality,
        // so one machine carries many more calls (BENCHMARKS.md).
        encoder.set_complexity(5).ok();
        Ok(encoder)
    }

    /// Encodes `input` (mono, or interleaved stereo) with `encoder` into `out`.
    fn encode_with(
        encoder: &mut opus::Encoder,
        input: &[i16],
        out: &mut Vec<u8>,
    ) -> Result<bool, CodecError> {
        let start = out.len();
        out.resize(start + OPUS_MAX_BYTES, 0);
        let written = encoder
            .encode(input, out.get_mut(start..).unwrap_or_default())
            .map_err(|_| CodecError::BadPayload("Opus encoder refused the frame"))?;
        out.truncate(start + written);
        // In DTX the encoder emits 1–2 byte packets: no need to send those (RFC 7587 §3.1.3).
        if written <= 2 {
            out.truncate(start);
            return Ok(false);
        }
        Ok(true)
    }
}

impl AudioCodec for Opus {
    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<bool, CodecError> {
        Opus::encode_with(&mut self.encoder, frame, out)
    }

    fn encode_stereo(
        &mut self,
        mid: &[i16],
        side: &[i16],
        out: &mut Vec<u8>,
    ) -> Result<bool, CodecError> {
        let encoder = match self.stereo.as_mut() {
            Some(encoder) => encoder,
            None => self
                .stereo
                .insert(Opus::encoder(opus::Channels::Stereo, self.dtx)?),
        };
        self.interleaved.clear();
        for (&mid, &side) in mid.iter().zip(side) {
            let (mid, side) = (i32::from(mid), i32::from(side));
            self.interleaved
                .push((mid + side).clamp(-32_768, 32_767) as i16);
            self.interleaved
                .push((mid - side).clamp(-32_768, 32_767) as i16);
        }
        Opus::encode_with(encoder, &self.interleaved, out)
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() {
            return Err(CodecError::BadPayload("empty payload"));
        }
        let samples = self
            .decoder
            .decode(payload, &mut self.scratch, false)
            .map_err(|_| CodecError::BadPayload("corrupt Opus packet"))?;
        out.extend_from_slice(self.scratch.get(..samples).unwrap_or_default());
        Ok(())
    }

    fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) {
        let frame = self.scratch.get_mut(..FRAME_SAMPLES).unwrap_or_default();
        // With the next packet at hand, its FEC data rebuilds the lost frame; else PLC.
        let recovered = match next {
            Some(next) if !next.is_empty() => self.decoder.decode(next, frame, true).ok(),
            _ => None,
        };
        let samples = recovered.or_else(|| self.decoder.decode(&[], frame, false).ok());
        match samples {
            Some(samples) => out.extend_from_slice(frame.get(..samples).unwrap_or_default()),
            None => out.extend(std::iter::repeat_n(0, FRAME_SAMPLES)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::tone::{ToneGenerator, peak_frequency, tone_amplitude};
    use crate::sdp::KNOWN_CODECS;

    /// Encodes a second of tone and decodes it again.
    fn round_trip(codec: &Codec, hz: f64) -> Vec<i16> {
        let mut instance = make(codec, false).unwrap();
        let mut tone = ToneGenerator::new(48_000, hz, 8_000.0);
        let mut frame = vec![0i16; FRAME_SAMPLES];
        let mut out = Vec::new();
        let mut payload = Vec::new();
        let mut suppressed = 0;
        for _ in 0..50 {
            tone.fill(&mut frame);
            payload.clear();
            if instance.encode(&frame, &mut payload).unwrap() {
                instance.decode(&payload, &mut out).unwrap();
            } else {
                // VAD may call the filters' start-up silence; never the tone itself.
                suppressed += 1;
                instance.conceal(None, &mut out);
            }
        }
        assert!(
            suppressed <= 2,
            "{} suppressed {suppressed} frames of a tone",
            codec.id
        );
        out
    }

    #[test]
    fn every_offered_codec_carries_a_tone() {
        for codec in KNOWN_CODECS {
            let out = round_trip(codec, 700.0);
            assert!(
                (out.len() as i64 - 48_000).abs() <= 2,
                "{}: {} samples",
                codec.id,
                out.len()
            );
            let tail = &out[24_000..];
            let peak = peak_frequency(tail, 48_000, 100.0, 3_000.0);
            assert!((peak - 700.0).abs() < 14.0, "{}: peak at {peak}", codec.id);
            let level = tone_amplitude(tail, 48_000, 700.0);
            // Within 3 dB of what went in.
            assert!(
                (5_600.0..11_300.0).contains(&level),
                "{}: amplitude {level}",
                codec.id
            );
        }
    }

    #[test]
    fn concealment_fills_a_frame_and_fades() {
        for codec in KNOWN_CODECS {
            let mut instance = make(codec, false).unwrap();
            let mut out = Vec::new();
            for _ in 0..8 {
                instance.conceal(None, &mut out);
            }
            assert_eq!(out.len(), 8 * FRAME_SAMPLES, "{}", codec.id);
        }
    }

    #[test]
    fn garbage_payloads_are_errors_not_panics() {
        for codec in KNOWN_CODECS {
            let mut instance = make(codec, false).unwrap();
            let mut out = Vec::new();
            assert!(instance.decode(&[], &mut out).is_err(), "{}", codec.id);
            for len in [1usize, 7, 33, 160, 400, 2000] {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
                // Either decoded to something or refused: never a panic.
                let _ = instance.decode(&bytes, &mut out);
            }
        }
    }

    #[test]
    fn dtx_stops_sending_in_silence() {
        for id in ["opus", "speex", "speex-nb", "speex-uwb"] {
            let mut instance = make(Codec::by_id(id).unwrap(), true).unwrap();
            let frame = vec![0i16; FRAME_SAMPLES];
            let mut payload = Vec::new();
            let sent = (0..50)
                .filter(|_| {
                    payload.clear();
                    instance.encode(&frame, &mut payload).unwrap()
                })
                .count();
            assert!(sent < 25, "{id} sent {sent} of 50 silent frames");
        }
    }

    #[test]
    fn opus_sends_stereo_with_each_channel_its_own_tone() {
        let mut instance = make(Codec::by_id("opus").unwrap(), false).unwrap();
        let mut left = ToneGenerator::new(48_000, 440.0, 8_000.0);
        let mut right = ToneGenerator::new(48_000, 1_000.0, 8_000.0);
        let (mut l, mut r) = (vec![0i16; FRAME_SAMPLES], vec![0i16; FRAME_SAMPLES]);
        let mut decoder = opus::Decoder::new(48_000, opus::Channels::Stereo).unwrap();
        let mut decoded = vec![0i16; FRAME_SAMPLES * 2];
        let (mut out_left, mut out_right) = (Vec::new(), Vec::new());
        let mut payload = Vec::new();
        let half = |a: i16, b: i16| ((i32::from(a) + i32::from(b)) / 2) as i16;
        for _ in 0..50 {
            left.fill(&mut l);
            right.fill(&mut r);
            let mid: Vec<i16> = l.iter().zip(&r).map(|(&a, &b)| half(a, b)).collect();
            let side: Vec<i16> = l.iter().zip(&r).map(|(&a, &b)| half(a, -b)).collect();
            payload.clear();
            assert!(instance.encode_stereo(&mid, &side, &mut payload).unwrap());
            let channels = opus::packet::get_nb_channels(&payload).unwrap();
            assert_eq!(channels, opus::Channels::Stereo);
            let samples = decoder.decode(&payload, &mut decoded, false).unwrap();
            for pair in decoded[..samples * 2].chunks_exact(2) {
                out_left.push(pair[0]);
                out_right.push(pair[1]);
            }
        }
        let (left, right) = (&out_left[24_000..], &out_right[24_000..]);
        assert!((peak_frequency(left, 48_000, 100.0, 3_000.0) - 440.0).abs() < 10.0);
        assert!((peak_frequency(right, 48_000, 100.0, 3_000.0) - 1_000.0).abs() < 10.0);
        // Each channel carries little of the other's tone.
        let bleed = tone_amplitude(left, 48_000, 1_000.0);
        assert!(
            bleed < tone_amplitude(left, 48_000, 440.0) / 10.0,
            "{bleed}"
        );
        // Mono packets still follow, from the mono encoder, after stereo ones.
        payload.clear();
        assert!(instance.encode(&l, &mut payload).unwrap());
        let channels = opus::packet::get_nb_channels(&payload).unwrap();
        assert_eq!(channels, opus::Channels::Mono);
    }

    #[test]
    fn mono_codecs_send_the_mid_of_a_stereo_frame() {
        let mut instance = make(Codec::by_id("pcmu").unwrap(), false).unwrap();
        let mid = vec![1_000i16; FRAME_SAMPLES];
        let side = vec![500i16; FRAME_SAMPLES];
        let (mut stereo, mut mono) = (Vec::new(), Vec::new());
        instance.encode_stereo(&mid, &side, &mut stereo).unwrap();
        let mut again = make(Codec::by_id("pcmu").unwrap(), false).unwrap();
        again.encode(&mid, &mut mono).unwrap();
        assert_eq!(stereo, mono);
    }

    #[test]
    fn unknown_codecs_are_refused() {
        let mut codec = KNOWN_CODECS[0];
        codec.id = "amr";
        assert!(matches!(make(&codec, false), Err(CodecError::Unknown(_))));
    }
}
