//! The lock-free single-producer single-consumer rings (rtrb) between the media thread and
//! the cpal callbacks. The rings carry mono i16 at the device's rate; the callback side
//! only pops or pushes samples and counts trouble in atomics; the media thread side reads
//! or writes whole 20 ms frames at 48 kHz, resampling on its own thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Capacity of each ring: 200 ms at 48 kHz, room for device callbacks of any usual size.
pub const RING_SAMPLES: usize = 9_600;

use super::resample::Resampler;
use super::{FRAME_SAMPLES, SAMPLE_RATE};

/// Trouble counters shared by both ends.
#[derive(Debug, Default)]
pub struct RingCounters {
    /// Samples the consumer wanted and did not find.
    pub starved: AtomicU64,
    /// Samples the producer could not place.
    pub overflowed: AtomicU64,
    /// Device callbacks so far: a stream whose count stops has stalled.
    pub callbacks: AtomicU64,
}

/// The media thread's end of the capture ring (the callback pushes).
#[derive(Debug)]
pub struct CaptureRing {
    consumer: rtrb::Consumer<i16>,
    counters: Arc<RingCounters>,
    /// Device samples per 20 ms.
    device_frame: usize,
    resampler: Resampler,
    device: Vec<i16>,
    pending: std::collections::VecDeque<i16>,
    converted: Vec<i16>,
}

/// The media thread's end of the playback ring (the callback pops).
#[derive(Debug)]
pub struct PlaybackRing {
    producer: rtrb::Producer<i16>,
    counters: Arc<RingCounters>,
    resampler: Resampler,
    converted: Vec<i16>,
}

/// A capture ring for a device at `device_hz`: the callback's producer and the media
/// thread's end.
pub fn capture_ring(device_hz: u32) -> (rtrb::Producer<i16>, CaptureRing, Arc<RingCounters>) {
    let (producer, consumer) = rtrb::RingBuffer::new(RING_SAMPLES);
    let counters = Arc::new(RingCounters::default());
    let device_frame = (device_hz / 50).max(1) as usize;
    (
        producer,
        CaptureRing {
            consumer,
            counters: counters.clone(),
            device_frame,
            resampler: Resampler::new(device_hz, SAMPLE_RATE),
            device: Vec::with_capacity(device_frame),
            pending: std::collections::VecDeque::with_capacity(FRAME_SAMPLES * 3),
            converted: Vec::with_capacity(FRAME_SAMPLES * 2),
        },
        counters,
    )
}

/// A playback ring for a device at `device_hz`: the media thread's end and the
/// callback's consumer.
pub fn playback_ring(device_hz: u32) -> (PlaybackRing, rtrb::Consumer<i16>, Arc<RingCounters>) {
    let (producer, consumer) = rtrb::RingBuffer::new(RING_SAMPLES);
    let counters = Arc::new(RingCounters::default());
    (
        PlaybackRing {
            producer,
            counters: counters.clone(),
            resampler: Resampler::new(SAMPLE_RATE, device_hz),
            converted: Vec::with_capacity(FRAME_SAMPLES * 2),
        },
        consumer,
        counters,
    )
}

impl CaptureRing {
    /// Fills `frame` (48 kHz) from the ring (zeros for what is missing). When the device
    /// delivers faster than we read (clock drift), the surplus above three frames is
    /// dropped so the delay cannot grow.
    pub fn read_frame(&mut self, frame: &mut [i16]) {
        let surplus = self.consumer.slots().saturating_sub(self.device_frame * 3);
        if surplus > 0
            && let Ok(chunk) = self.consumer.read_chunk(surplus)
        {
            chunk.commit_all();
            self.counters
                .overflowed
                .fetch_add(surplus as u64, Ordering::Relaxed);
        }
        while self.pending.len() < frame.len() {
            self.device.clear();
            let mut missing = 0u64;
            for _ in 0..self.device_frame {
                self.device.push(self.consumer.pop().unwrap_or_else(|_| {
                    missing += 1;
                    0
                }));
            }
            if missing > 0 {
                self.counters.starved.fetch_add(missing, Ordering::Relaxed);
            }
            self.converted.clear();
            self.resampler.process(&self.device, &mut self.converted);
            self.pending.extend(self.converted.iter().copied());
        }
        for sample in frame.iter_mut() {
            *sample = self.pending.pop_front().unwrap_or(0);
        }
    }
}

impl PlaybackRing {
    /// Queues a 48 kHz frame for the device; what does not fit is dropped and counted.
    pub fn write_frame(&mut self, frame: &[i16]) {
        self.converted.clear();
        self.resampler.process(frame, &mut self.converted);
        let mut dropped = 0u64;
        for &sample in &self.converted {
            if self.producer.push(sample).is_err() {
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.counters
                .overflowed
                .fetch_add(dropped, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pass_through_and_trouble_is_counted() {
        let (mut producer, mut capture, counters) = capture_ring(48_000);
        for i in 0..500i16 {
            producer.push(i).unwrap();
        }
        let mut frame = [0i16; 960];
        capture.read_frame(&mut frame);
        assert_eq!(&frame[..500], (0..500).collect::<Vec<i16>>().as_slice());
        assert_eq!(counters.starved.load(Ordering::Relaxed), 460);

        let (mut playback, mut consumer, counters) = playback_ring(48_000);
        for _ in 0..11 {
            playback.write_frame(&[7; 960]);
        }
        assert_eq!(
            counters.overflowed.load(Ordering::Relaxed),
            11 * 960 - RING_SAMPLES as u64
        );
        assert_eq!(consumer.pop(), Ok(7));
    }

    #[test]
    fn a_44_1_khz_device_meets_48_khz_frames() {
        use crate::media::tone::{ToneGenerator, tone_amplitude};
        let (mut producer, mut capture, counters) = capture_ring(44_100);
        let (mut playback, mut consumer, _) = playback_ring(44_100);
        let mut tone = ToneGenerator::new(44_100, 500.0, 9_000.0);
        let mut block = vec![0i16; 441];
        let mut heard = Vec::new();
        let mut played = Vec::new();
        let mut frame = [0i16; 960];
        for _ in 0..50 {
            // The device delivers 20 ms in two 10 ms callbacks.
            for _ in 0..2 {
                tone.fill(&mut block);
                for &sample in &block {
                    producer.push(sample).unwrap();
                }
            }
            capture.read_frame(&mut frame);
            heard.extend_from_slice(&frame);
            playback.write_frame(&frame);
            while let Ok(sample) = consumer.pop() {
                played.push(sample);
            }
        }
        assert!(tone_amplitude(&heard[24_000..], 48_000, 500.0) > 8_500.0);
        assert!(
            (played.len() as i64 - 44_100).abs() < 50,
            "{}",
            played.len()
        );
        assert!(tone_amplitude(&played[22_050..], 44_100, 500.0) > 8_500.0);
        assert!(counters.starved.load(Ordering::Relaxed) < 1_000);
    }
}
