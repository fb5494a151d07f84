//! The lock-free single-producer single-consumer rings (rtrb) between the media thread and
//! the cpal callbacks. The callback side only pops or pushes samples and counts trouble in
//! atomics; the media thread side reads or writes whole 20 ms frames.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Capacity of each ring: 200 ms at 48 kHz, room for device callbacks of any usual size.
pub const RING_SAMPLES: usize = 9_600;

/// Trouble counters shared by both ends.
#[derive(Debug, Default)]
pub struct RingCounters {
    /// Samples the consumer wanted and did not find.
    pub starved: AtomicU64,
    /// Samples the producer could not place.
    pub overflowed: AtomicU64,
}

/// The media thread's end of the capture ring (the callback pushes).
#[derive(Debug)]
pub struct CaptureRing {
    consumer: rtrb::Consumer<i16>,
    counters: Arc<RingCounters>,
}

/// The media thread's end of the playback ring (the callback pops).
#[derive(Debug)]
pub struct PlaybackRing {
    producer: rtrb::Producer<i16>,
    counters: Arc<RingCounters>,
}

/// A capture ring: the callback's producer and the media thread's end.
pub fn capture_ring() -> (rtrb::Producer<i16>, CaptureRing, Arc<RingCounters>) {
    let (producer, consumer) = rtrb::RingBuffer::new(RING_SAMPLES);
    let counters = Arc::new(RingCounters::default());
    (
        producer,
        CaptureRing {
            consumer,
            counters: counters.clone(),
        },
        counters,
    )
}

/// A playback ring: the media thread's end and the callback's consumer.
pub fn playback_ring() -> (PlaybackRing, rtrb::Consumer<i16>, Arc<RingCounters>) {
    let (producer, consumer) = rtrb::RingBuffer::new(RING_SAMPLES);
    let counters = Arc::new(RingCounters::default());
    (
        PlaybackRing {
            producer,
            counters: counters.clone(),
        },
        consumer,
        counters,
    )
}

impl CaptureRing {
    /// Fills `frame` from the ring (zeros for what is missing). When the device delivers
    /// faster than we read (clock drift), the surplus above two frames is dropped so the
    /// delay cannot grow.
    pub fn read_frame(&mut self, frame: &mut [i16]) {
        let surplus = self.consumer.slots().saturating_sub(frame.len() * 3);
        if surplus > 0
            && let Ok(chunk) = self.consumer.read_chunk(surplus)
        {
            chunk.commit_all();
            self.counters
                .overflowed
                .fetch_add(surplus as u64, Ordering::Relaxed);
        }
        let mut missing = 0u64;
        for sample in frame.iter_mut() {
            *sample = self.consumer.pop().unwrap_or_else(|_| {
                missing += 1;
                0
            });
        }
        if missing > 0 {
            self.counters.starved.fetch_add(missing, Ordering::Relaxed);
        }
    }
}

impl PlaybackRing {
    /// Queues a frame for the device; what does not fit is dropped and counted.
    pub fn write_frame(&mut self, frame: &[i16]) {
        let mut dropped = 0u64;
        for &sample in frame {
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
        let (mut producer, mut capture, counters) = capture_ring();
        for i in 0..500i16 {
            producer.push(i).unwrap();
        }
        let mut frame = [0i16; 960];
        capture.read_frame(&mut frame);
        assert_eq!(&frame[..500], (0..500).collect::<Vec<i16>>().as_slice());
        assert_eq!(counters.starved.load(Ordering::Relaxed), 460);

        let (mut playback, mut consumer, counters) = playback_ring();
        for _ in 0..11 {
            playback.write_frame(&[7; 960]);
        }
        assert_eq!(
            counters.overflowed.load(Ordering::Relaxed),
            11 * 960 - RING_SAMPLES as u64
        );
        assert_eq!(consumer.pop(), Ok(7));
    }
}
