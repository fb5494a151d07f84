//! The adaptive jitter buffer, sans-IO: packets go in as they arrive (with the arrival
//! time passed in), and every 20 ms the player asks what to play: a packet, a concealed
//! frame for a lost one, or silence. It reorders, drops duplicates and late packets,
//! spaces discontinuous transmission out, grows its depth with the measured jitter
//! (bounded) and sheds a frame when it runs persistently deeper than needed, which is also
//! how a sender's faster clock is absorbed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::rtp::SequenceExtender;

/// The deepest the buffer goes: 12 frames (240 ms).
pub const MAX_DEPTH_FRAMES: usize = 12;
/// Packets held at most (a second of 20 ms packets); older ones go first.
const MAX_PACKETS: usize = 50;
/// A jump this far ahead of the play-out point is a restarted source, not loss.
const RESYNC_GAP: u64 = 500;
/// Late packets in a row that mean the source restarted with lower sequence numbers.
const LATE_RUN_RESYNC: u32 = 10;
/// Pops in a row deeper than the target before one frame is shed.
const SHED_AFTER_POPS: u32 = 50;

/// What to play for the next frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Decode this payload.
    Packet(Vec<u8>),
    /// A packet is lost: conceal it; `next` is the following packet's payload if it has
    /// arrived (Opus rebuilds the lost frame from its FEC).
    Conceal {
        /// The next payload, if present.
        next: Option<Vec<u8>>,
    },
    /// The sender is silent (DTX) or nothing has come yet: play comfort silence.
    Silence,
}

/// Counters for the call's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets accepted.
    pub received: u64,
    /// Frames concealed for lost packets.
    pub concealed: u64,
    /// Duplicate packets dropped.
    pub duplicates: u64,
    /// Packets that came after their turn.
    pub late: u64,
    /// Frames shed to shrink the buffer or absorb clock drift.
    pub shed: u64,
    /// Times the buffer ran dry while playing.
    pub underruns: u64,
    /// Times a large sequence jump restarted the buffer.
    pub resyncs: u64,
}

#[derive(Debug, Clone)]
struct Held {
    timestamp: u32,
    payload: Vec<u8>,
}

/// Per-stream adaptive jitter buffer.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    packets: BTreeMap<u64, Held>,
    extender: SequenceExtender,
    /// The next sequence number to play, once playing.
    next: Option<u64>,
    /// RTP timestamp the next frame should carry.
    expected_timestamp: Option<u32>,
    /// RTP units per 20 ms frame.
    units_per_frame: u32,
    /// RTP clock rate.
    clock_rate: u32,
    /// Interarrival jitter in RTP units (RFC 3550 §6.4.1, A.8).
    jitter: f64,
    /// Arrival minus timestamp of the last packet, in RTP units.
    last_transit: Option<i64>,
    first_arrival: Option<Instant>,
    target: usize,
    deep_pops: u32,
    underrun_frames: u32,
    /// Late packets in a row.
    late_run: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer for a payload clocked at `clock_rate`.
    pub fn new(clock_rate: u32) -> JitterBuffer {
        JitterBuffer {
            packets: BTreeMap::new(),
            extender: SequenceExtender::default(),
            next: None,
            expected_timestamp: None,
            units_per_frame: (clock_rate / 50).max(1),
            clock_rate: clock_rate.max(1),
            jitter: 0.0,
            last_transit: None,
            first_arrival: None,
            target: 2,
            deep_pops: 0,
            underrun_frames: 0,
            late_run: 0,
            stats: JitterStats::default(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Interarrival jitter (RFC 3550) in RTP units, for RTCP reports.
    pub fn jitter_units(&self) -> u32 {
        self.jitter as u32
    }

    /// The depth it aims for, in frames.
    pub fn target_frames(&self) -> usize {
        self.target
    }

    /// Frames held now.
    pub fn depth_frames(&self) -> usize {
        self.packets.len()
    }

    /// Takes one packet.
    pub fn push(&mut self, now: Instant, sequence: u16, timestamp: u32, payload: &[u8]) {
        let extended = self.extender.extend(sequence);
        if let Some(next) = self.next {
            if extended < next {
                self.stats.late += 1;
                self.late_run += 1;
                // A run of "late" packets is a source that restarted behind us.
                if self.late_run < LATE_RUN_RESYNC {
                    return;
                }
                self.extender = SequenceExtender::default();
                self.resync();
                self.push(now, sequence, timestamp, payload);
                return;
            }
            self.late_run = 0;
            if extended - next > RESYNC_GAP {
                self.resync();
            }
        }
        if self.packets.contains_key(&extended) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.received += 1;
        self.update_jitter(now, timestamp);
        self.packets.insert(
            extended,
            Held {
                timestamp,
                payload: payload.to_vec(),
            },
        );
        while self.packets.len() > MAX_PACKETS {
            self.packets.pop_first();
            self.stats.shed += 1;
        }
    }

    fn resync(&mut self) {
        self.stats.resyncs += 1;
        self.late_run = 0;
        self.packets.clear();
        self.next = None;
        self.expected_timestamp = None;
    }

    fn update_jitter(&mut self, now: Instant, timestamp: u32) {
        let first = *self.first_arrival.get_or_insert(now);
        let arrival = (now.duration_since(first).as_secs_f64() * f64::from(self.clock_rate)) as i64;
        let transit = arrival - i64::from(timestamp);
        if let Some(last) = self.last_transit {
            let difference = (transit - last).unsigned_abs() as f64;
            // A jump of a second or more is a restart or a timestamp wrap, not jitter.
            if difference < f64::from(self.clock_rate) {
                self.jitter += (difference - self.jitter) / 16.0;
            }
        }
        self.last_transit = Some(transit);
        let jitter_frames = self.jitter / f64::from(self.units_per_frame);
        // Three times the jitter covers nearly all arrivals; one frame of margin.
        self.target = ((jitter_frames * 3.0).ceil() as usize + 1).clamp(1, MAX_DEPTH_FRAMES);
    }

    /// What to play for the next 20 ms.
    pub fn pop(&mut self) -> Playout {
        let Some(next) = self.next else {
            // Buffering: start when the target depth is reached (or the first packet is a
            // whole target old in frames, so a lone packet still plays).
            if self.packets.len() >= self.target.max(1)
                && let Some((&first, held)) = self.packets.first_key_value()
            {
                self.next = Some(first);
                self.expected_timestamp = Some(held.timestamp);
                return self.pop();
            }
            return Playout::Silence;
        };
        let expected = self.expected_timestamp;
        match self.packets.get(&next) {
            Some(held) => {
                // DTX: the sender skipped frames; play silence until its timestamp.
                if let Some(expected) = expected {
                    let ahead = held.timestamp.wrapping_sub(expected);
                    if ahead >= self.units_per_frame / 2 && ahead < 0x8000_0000 {
                        self.expected_timestamp = Some(expected.wrapping_add(self.units_per_frame));
                        return Playout::Silence;
                    }
                }
                let Some(held) = self.packets.remove(&next) else {
                    return Playout::Silence;
                };
                self.underrun_frames = 0;
                self.next = Some(next + 1);
                // The packet's length in time is where the next one starts, when known.
                let duration = self
                    .packets
                    .get(&(next + 1))
                    .map(|after| after.timestamp.wrapping_sub(held.timestamp))
                    .filter(|units| *units > 0 && *units < 8 * self.units_per_frame)
                    .unwrap_or(self.units_per_frame);
                self.expected_timestamp = Some(held.timestamp.wrapping_add(duration));
                self.shed_if_deep();
                Playout::Packet(held.payload)
            }
            None if !self.packets.is_empty() => {
                // Lost: something later is here.
                self.stats.concealed += 1;
                self.next = Some(next + 1);
                self.expected_timestamp = expected.map(|ts| ts.wrapping_add(self.units_per_frame));
                Playout::Conceal {
                    next: self
                        .packets
                        .get(&(next + 1))
                        .map(|held| held.payload.clone()),
                }
            }
            None => {
                // Ran dry: conceal a few frames, then wait for the target depth again.
                self.underrun_frames += 1;
                if self.underrun_frames == 1 {
                    self.stats.underruns += 1;
                }
                if self.underrun_frames > 3 {
                    self.next = None;
                    return Playout::Silence;
                }
                self.stats.concealed += 1;
                self.next = Some(next + 1);
                self.expected_timestamp = expected.map(|ts| ts.wrapping_add(self.units_per_frame));
                Playout::Conceal { next: None }
            }
        }
    }

    /// Drops one frame when the buffer has stayed deeper than its target for a second.
    fn shed_if_deep(&mut self) {
        if self.packets.len() > self.target + 2 {
            self.deep_pops += 1;
        } else {
            self.deep_pops = 0;
        }
        if self.deep_pops >= SHED_AFTER_POPS {
            self.deep_pops = 0;
            if let Some((sequence, held)) = self.packets.pop_first() {
                self.stats.shed += 1;
                self.next = Some(sequence + 1);
                self.expected_timestamp = Some(held.timestamp.wrapping_add(self.units_per_frame));
            }
        }
    }

    /// How long the buffered audio lasts.
    pub fn buffered(&self) -> Duration {
        Duration::from_millis(20 * self.packets.len() as u64)
    }
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "tests start a fake clock at the real now"
)]
mod tests {
    use super::*;

    fn payload(sequence: u16) -> Vec<u8> {
        sequence.to_be_bytes().to_vec()
    }

    /// Plays `pops` frames, pushing packets whose arrival frame has come.
    fn run(arrivals: &[(u16, u32, usize)], pops: usize) -> (Vec<Playout>, JitterStats) {
        let start = Instant::now();
        let mut buffer = JitterBuffer::new(8_000);
        let mut played = Vec::new();
        for frame in 0..pops {
            let now = start + Duration::from_millis(20 * frame as u64);
            for (sequence, timestamp, _) in arrivals.iter().filter(|a| a.2 == frame) {
                buffer.push(now, *sequence, *timestamp, &payload(*sequence));
            }
            played.push(buffer.pop());
        }
        (played, buffer.stats())
    }

    fn sequences(played: &[Playout]) -> Vec<Option<u16>> {
        played
            .iter()
            .filter_map(|playout| match playout {
                Playout::Packet(bytes) => Some(Some(u16::from_be_bytes([bytes[0], bytes[1]]))),
                Playout::Conceal { .. } => Some(None),
                Playout::Silence => None,
            })
            .collect()
    }

    #[test]
    fn reorders_and_drops_duplicates() {
        let arrivals = [
            (1, 160, 0),
            (3, 480, 1),
            (2, 320, 1),
            (2, 320, 1),
            (4, 640, 3),
            (5, 800, 4),
        ];
        let (played, stats) = run(&arrivals, 10);
        assert_eq!(
            sequences(&played),
            [
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
                None,
                None
            ]
        );
        assert_eq!(stats.duplicates, 1);
    }

    #[test]
    fn a_lost_packet_is_concealed_with_the_next_one_at_hand() {
        let arrivals = [
            (10, 0, 0),
            (11, 160, 0),
            (13, 480, 1),
            (14, 640, 2),
            (15, 800, 3),
        ];
        let (played, stats) = run(&arrivals, 9);
        let conceal = played
            .iter()
            .find(|p| matches!(p, Playout::Conceal { .. }))
            .unwrap();
        assert_eq!(
            conceal,
            &Playout::Conceal {
                next: Some(payload(13))
            }
        );
        assert_eq!(
            sequences(&played)[..5],
            [Some(10), Some(11), None, Some(13), Some(14)]
        );
        assert_eq!(
            stats.concealed,
            1 + 3,
            "the loss, then three frames once the stream ends"
        );
    }

    #[test]
    fn dtx_gaps_play_silence_not_concealment() {
        // Packets 1, 2, then the sender skips 5 frames of timestamps (DTX).
        let arrivals = [
            (1, 0, 0),
            (2, 160, 1),
            (3, 1_120, 7),
            (4, 1_280, 8),
            (5, 1_440, 9),
        ];
        let (played, _) = run(&arrivals, 12);
        let after_two = played
            .iter()
            .skip_while(|p| !matches!(p, Playout::Packet(b) if b == &payload(2)))
            .skip(1);
        let kinds: Vec<_> = after_two.take(4).collect();
        assert!(
            kinds
                .iter()
                .all(|p| !matches!(p, Playout::Packet(b) if b == &payload(4)))
        );
        assert!(played.contains(&Playout::Packet(payload(3))));
        assert!(played.contains(&Playout::Packet(payload(5))));
    }

    #[test]
    fn late_packets_are_dropped_and_jumps_resync() {
        let arrivals = [
            (1, 0, 0),
            (2, 160, 1),
            (3, 320, 2),
            (4, 480, 3),
            (1, 0, 4),
            (20_000, 9_000, 5),
            (20_001, 9_160, 6),
            (20_002, 9_320, 7),
        ];
        let (played, stats) = run(&arrivals, 12);
        assert_eq!(stats.late, 1);
        assert_eq!(stats.resyncs, 1);
        assert!(played.contains(&Playout::Packet(payload(20_001))));
    }

    #[test]
    fn a_source_restarting_behind_is_followed_after_a_run_of_late_packets() {
        let mut arrivals: Vec<(u16, u32, usize)> = (0..5)
            .map(|i| (40_000 + i, u32::from(i) * 160, usize::from(i)))
            .collect();
        arrivals
            .extend((0..30).map(|i| (100 + i, 50_000 + u32::from(i) * 160, 5 + usize::from(i))));
        let (played, stats) = run(&arrivals, 40);
        assert_eq!(stats.resyncs, 1);
        assert!(played.contains(&Playout::Packet(payload(120))));
    }

    #[test]
    fn jitter_grows_the_target_within_bounds() {
        let start = Instant::now();
        let mut buffer = JitterBuffer::new(8_000);
        for sequence in 0..200u16 {
            // Every other packet 60 ms late.
            let late = if sequence % 2 == 0 { 60 } else { 0 };
            let now = start + Duration::from_millis(20 * u64::from(sequence) + late);
            buffer.push(now, sequence, u32::from(sequence) * 160, &[0]);
            buffer.pop();
        }
        assert!(buffer.target_frames() >= 4, "{}", buffer.target_frames());
        assert!(buffer.target_frames() <= MAX_DEPTH_FRAMES);
        assert!(buffer.jitter_units() > 100);
    }

    #[test]
    fn a_faster_sender_is_absorbed_by_shedding() {
        let start = Instant::now();
        let mut buffer = JitterBuffer::new(8_000);
        let mut sent = 0u16;
        for frame in 0..500u64 {
            let now = start + Duration::from_millis(20 * frame);
            // 2 % more packets than frames played.
            let due = (frame as f64 * 1.02) as u16;
            while sent <= due {
                buffer.push(now, sent, u32::from(sent) * 160, &[0]);
                sent += 1;
            }
            buffer.pop();
        }
        assert!(
            buffer.depth_frames() <= buffer.target_frames() + 4,
            "{}",
            buffer.depth_frames()
        );
        assert!(buffer.stats().shed > 0);
    }
}
