//! DTMF in the media: RFC 4733 telephone-event packets (sending a digit as a 100 ms event
//! with three end packets, receiving with duplicates and retransmitted ends folded into
//! one digit) and in-band tone pairs (ITU-T Q.23) for peers without telephone-event.

use std::collections::VecDeque;

use super::tone::ToneGenerator;

/// Frames (20 ms) a sent digit lasts.
const DIGIT_FRAMES: u16 = 5;
/// Silent frames between two digits.
const GAP_FRAMES: u16 = 3;
/// Times the final (E bit) packet is sent (RFC 4733 §2.5.1.4).
const END_REPEATS: u16 = 3;
/// Volume field: −10 dBm0, a usual level.
const VOLUME: u8 = 10;

/// Why a telephone-event payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Shorter than four bytes.
    #[error("telephone-event payload truncated")]
    Truncated,
}

/// The event code of a DTMF digit (RFC 4733 §3.2).
pub fn event_code(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit.to_ascii_uppercase() as u8 - b'A' + 12),
        _ => None,
    }
}

/// The digit of an event code; other events (flash, tones) are not digits.
pub fn event_digit(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code.
    pub event: u8,
    /// The event has ended.
    pub end: bool,
    /// Volume in −dBm0.
    pub volume: u8,
    /// Duration so far in RTP units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event of a payload.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let bytes: &[u8; 4] = payload
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(DtmfError::Truncated)?;
        Ok(TelephoneEvent {
            event: bytes[0],
            end: bytes[1] & 0x80 != 0,
            volume: bytes[1] & 0x3F,
            duration: u16::from_be_bytes([bytes[2], bytes[3]]),
        })
    }

    /// Appends the payload.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.event);
        out.push(if self.end { 0x80 } else { 0 } | (self.volume & 0x3F));
        out.extend_from_slice(&self.duration.to_be_bytes());
    }
}

/// What the sender wants in the next 20 ms slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfSlot {
    /// Send audio as usual.
    Audio,
    /// Send this event instead of audio, with the event's timestamp (RFC 4733 §2.5.1.2:
    /// every packet of one event carries its start time) and the marker on the first.
    Event {
        /// The payload.
        event: TelephoneEvent,
        /// Marker bit.
        marker: bool,
        /// RTP timestamp of the event's start.
        timestamp: u32,
    },
}

#[derive(Debug, Clone, Copy)]
struct Sending {
    code: u8,
    start: u32,
    frame: u16,
}

/// Turns queued digits into telephone-event packets, one slot per 20 ms.
#[derive(Debug, Clone, Default)]
pub struct DtmfSender {
    queue: VecDeque<u8>,
    current: Option<Sending>,
    gap: u16,
}

impl DtmfSender {
    /// Queues digits; returns the ones that are not DTMF.
    pub fn queue(&mut self, digits: &str) -> Vec<char> {
        let mut refused = Vec::new();
        for digit in digits.chars() {
            match event_code(digit) {
                Some(code) => self.queue.push_back(code),
                None => refused.push(digit),
            }
        }
        refused
    }

    /// True while digits are pending or being sent.
    pub fn busy(&self) -> bool {
        self.current.is_some() || !self.queue.is_empty() || self.gap > 0
    }

    /// The slot starting at RTP timestamp `now_ts`; `units` is the RTP units per frame in
    /// the telephone-event clock.
    pub fn next_slot(&mut self, now_ts: u32, units: u16) -> DtmfSlot {
        if self.current.is_none() {
            if self.gap > 0 {
                self.gap -= 1;
                return DtmfSlot::Audio;
            }
            let Some(code) = self.queue.pop_front() else {
                return DtmfSlot::Audio;
            };
            self.current = Some(Sending {
                code,
                start: now_ts,
                frame: 0,
            });
        }
        let Some(sending) = self.current.as_mut() else {
            return DtmfSlot::Audio;
        };
        sending.frame += 1;
        let end = sending.frame > DIGIT_FRAMES;
        let duration = units.saturating_mul(sending.frame.min(DIGIT_FRAMES));
        let slot = DtmfSlot::Event {
            event: TelephoneEvent {
                event: sending.code,
                end,
                volume: VOLUME,
                duration,
            },
            marker: sending.frame == 1,
            timestamp: sending.start,
        };
        if sending.frame >= DIGIT_FRAMES + END_REPEATS {
            self.current = None;
            self.gap = GAP_FRAMES;
        }
        slot
    }
}

/// Folds received telephone-event packets into digits, each once.
#[derive(Debug, Clone, Default)]
pub struct DtmfReceiver {
    /// Timestamp of the last event reported.
    last: Option<u32>,
}

impl DtmfReceiver {
    /// The digit this packet starts, if it starts one.
    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> Result<Option<char>, DtmfError> {
        let event = TelephoneEvent::parse(payload)?;
        if self.last == Some(timestamp) {
            return Ok(None);
        }
        self.last = Some(timestamp);
        Ok(event_digit(event.event))
    }
}

/// The two frequencies of an in-band DTMF digit (ITU-T Q.23).
pub fn tone_pair(digit: char) -> Option<(f64, f64)> {
    let code = event_code(digit)?;
    let (row, column) = match code {
        1..=9 => ((code - 1) / 3, (code - 1) % 3),
        0 => (3, 1),
        10 => (3, 0),
        11 => (3, 2),
        _ => (code - 12, 3),
    };
    let rows = [697.0, 770.0, 852.0, 941.0];
    let columns = [1209.0, 1336.0, 1477.0, 1633.0];
    Some((
        *rows.get(usize::from(row))?,
        *columns.get(usize::from(column))?,
    ))
}

/// Mixes queued digits into outgoing audio as tone pairs, 100 ms each with 60 ms gaps.
#[derive(Debug, Clone, Default)]
pub struct InBandSender {
    queue: VecDeque<char>,
    current: Option<(ToneGenerator, ToneGenerator, u16)>,
    gap: u16,
}

impl InBandSender {
    /// Queues digits; returns the ones that are not DTMF.
    pub fn queue(&mut self, digits: &str) -> Vec<char> {
        let mut refused = Vec::new();
        for digit in digits.chars() {
            if tone_pair(digit).is_some() {
                self.queue.push_back(digit);
            } else {
                refused.push(digit);
            }
        }
        refused
    }

    /// Adds this frame's share of tone to `frame` (48 kHz).
    pub fn mix(&mut self, frame: &mut [i16]) {
        if self.current.is_none() {
            if self.gap > 0 {
                self.gap -= 1;
                return;
            }
            let Some((low, high)) = self.queue.pop_front().and_then(tone_pair) else {
                return;
            };
            // −10 dBm0 per tone is about 7 000 peak in 16-bit audio.
            self.current = Some((
                ToneGenerator::new(super::SAMPLE_RATE, low, 7_000.0),
                ToneGenerator::new(super::SAMPLE_RATE, high, 7_000.0),
                0,
            ));
        }
        if let Some((low, high, frames)) = self.current.as_mut() {
            low.add(frame);
            high.add(frame);
            *frames += 1;
            if *frames >= DIGIT_FRAMES {
                self.current = None;
                self.gap = GAP_FRAMES;
            }
        }
    }
}

/// Finds in-band DTMF digits in received audio (48 kHz, 20 ms frames): the strongest row
/// and column tones must carry most of the frame's energy, within 8 dB of each other, for
/// two frames in a row; each key press is reported once.
#[derive(Debug, Clone, Default)]
pub struct InBandDetector {
    candidate: Option<char>,
    frames: u8,
    reported: bool,
}

/// Row and column frequencies (ITU-T Q.23).
const ROWS_HZ: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLUMNS_HZ: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

impl InBandDetector {
    /// Looks at one frame; returns a digit when a key press is confirmed.
    pub fn frame(&mut self, frame: &[i16]) -> Option<char> {
        let digit = detect(frame);
        match digit {
            Some(digit) if self.candidate == Some(digit) => {
                self.frames = self.frames.saturating_add(1);
            }
            Some(digit) => {
                self.candidate = Some(digit);
                self.frames = 1;
                self.reported = false;
            }
            None => {
                self.candidate = None;
                self.frames = 0;
                self.reported = false;
            }
        }
        if self.frames >= 2 && !self.reported {
            self.reported = true;
            return self.candidate;
        }
        None
    }
}

/// Detection looks at every sixth sample (8 kHz): DTMF lies below 1.7 kHz, and a sixth of
/// the work matters with hundreds of calls.
const DETECT_STRIDE: usize = 6;

fn detect(frame: &[i16]) -> Option<char> {
    use super::tone::tone_amplitude;
    let mut narrow = [0i16; super::FRAME_SAMPLES / DETECT_STRIDE];
    for (slot, sample) in narrow.iter_mut().zip(frame.iter().step_by(DETECT_STRIDE)) {
        *slot = *sample;
    }
    let frame = &narrow[..];
    let rate = super::SAMPLE_RATE / DETECT_STRIDE as u32;
    let energy: f64 = frame
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / frame.len().max(1) as f64;
    // Below about −45 dBFS nothing is a key press.
    if energy < 60_000.0 {
        return None;
    }
    let strongest = |frequencies: &[f64; 4]| {
        frequencies
            .iter()
            .enumerate()
            .map(|(index, hz)| (index, tone_amplitude(frame, rate, *hz)))
            .fold(
                (0, 0.0),
                |best, next| if next.1 > best.1 { next } else { best },
            )
    };
    let (row, row_amplitude) = strongest(&ROWS_HZ);
    let (column, column_amplitude) = strongest(&COLUMNS_HZ);
    // A sine of amplitude A has power A²/2: the pair must hold most of the energy.
    let pair_power = (row_amplitude * row_amplitude + column_amplitude * column_amplitude) / 2.0;
    let twist_db = 20.0 * (row_amplitude.max(1.0) / column_amplitude.max(1.0)).log10();
    if pair_power < 0.7 * energy || twist_db.abs() > 8.0 {
        return None;
    }
    KEYS.get(row).and_then(|keys| keys.get(column)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digit_is_five_growing_packets_then_three_ends() {
        let mut sender = DtmfSender::default();
        assert!(sender.queue("5x").contains(&'x'));
        let slots: Vec<DtmfSlot> = (0..10)
            .map(|i| sender.next_slot(1_000 + i * 160, 160))
            .collect();
        let events: Vec<TelephoneEvent> = slots
            .iter()
            .filter_map(|slot| match slot {
                DtmfSlot::Event {
                    event, timestamp, ..
                } => {
                    assert_eq!(*timestamp, 1_000);
                    Some(*event)
                }
                DtmfSlot::Audio => None,
            })
            .collect();
        assert_eq!(events.len(), 8);
        assert_eq!(
            events.iter().map(|e| e.duration).collect::<Vec<_>>(),
            [160, 320, 480, 640, 800, 800, 800, 800]
        );
        assert_eq!(events.iter().filter(|e| e.end).count(), 3);
        assert!(matches!(slots[0], DtmfSlot::Event { marker: true, .. }));
        assert!(matches!(slots[1], DtmfSlot::Event { marker: false, .. }));
        assert!(!sender.busy() || matches!(slots[9], DtmfSlot::Audio));
    }

    #[test]
    fn received_events_become_each_digit_once() {
        let mut sender = DtmfSender::default();
        sender.queue("0123456789*#");
        let mut receiver = DtmfReceiver::default();
        let mut digits = String::new();
        let mut payload = Vec::new();
        for frame in 0..200u32 {
            if let DtmfSlot::Event {
                event, timestamp, ..
            } = sender.next_slot(frame * 160, 160)
            {
                payload.clear();
                event.write(&mut payload);
                // Every packet twice, as a lossy path might.
                for _ in 0..2 {
                    if let Some(digit) = receiver.on_packet(timestamp, &payload).unwrap() {
                        digits.push(digit);
                    }
                }
            }
        }
        assert_eq!(digits, "0123456789*#");
        assert_eq!(receiver.on_packet(1, &[1, 2]), Err(DtmfError::Truncated));
    }

    #[test]
    fn in_band_digits_are_detected_once_each_and_speech_like_noise_is_not() {
        let mut sender = InBandSender::default();
        sender.queue("0123456789*#ABCD");
        let mut detector = InBandDetector::default();
        let mut digits = String::new();
        let mut seed = 99u64;
        for _ in 0..16 * 8 + 10 {
            let mut frame = vec![0i16; 960];
            // A little noise under the tones.
            for sample in frame.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *sample = (seed % 401) as i16 - 200;
            }
            sender.mix(&mut frame);
            if let Some(digit) = detector.frame(&frame) {
                digits.push(digit);
            }
        }
        assert_eq!(digits, "0123456789*#ABCD");
        // A single tone (a dial tone, a voice's pitch) is not a digit.
        let mut frame = vec![0i16; 960];
        crate::media::tone::ToneGenerator::new(48_000, 770.0, 9_000.0).fill(&mut frame);
        assert_eq!(detector.frame(&frame), None);
        assert_eq!(detector.frame(&frame), None);
    }

    #[test]
    fn in_band_digits_carry_their_tone_pair() {
        use crate::media::tone::tone_amplitude;
        let mut sender = InBandSender::default();
        sender.queue("9");
        let mut frame = vec![0i16; 960];
        sender.mix(&mut frame);
        assert!(tone_amplitude(&frame, 48_000, 852.0) > 5_000.0);
        assert!(tone_amplitude(&frame, 48_000, 1_477.0) > 5_000.0);
        assert!(tone_amplitude(&frame, 48_000, 697.0) < 1_000.0);
        assert_eq!(tone_pair('0'), Some((941.0, 1336.0)));
        assert_eq!(tone_pair('D'), Some((941.0, 1633.0)));
    }
}
