//! The sending side of a P2P account's files: how many file streams each device has open
//! here (a few at a time, so one device cannot hold them all), which chunks of each file
//! went out (the sender's progress), and when that progress was last reported. One owner,
//! its fields private; time is passed in.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libp2p::PeerId;

use crate::p2p::commit::CommitId;

/// File streams served to one device at a time (each reads a few chunks ahead).
pub(super) const STREAMS_PER_DEVICE: usize = 4;

/// The account's file serving.
#[derive(Default)]
pub(super) struct Serving {
    /// File streams open, per device.
    streams: HashMap<PeerId, usize>,
    /// Streams refused: a device already had its share open, or the file is not here.
    refused: u64,
    /// Distinct chunks of each file served (to anyone).
    chunks: HashMap<CommitId, HashSet<u64>>,
    /// When each file's progress was last reported.
    reported: HashMap<CommitId, Instant>,
}

impl Serving {
    /// `peer` has its share of streams open: it asks again when one is done.
    pub(super) fn busy(&self, peer: &PeerId) -> bool {
        self.streams.get(peer).copied().unwrap_or(0) >= STREAMS_PER_DEVICE
    }

    /// A stream is served to `peer`.
    pub(super) fn opened(&mut self, peer: PeerId) {
        *self.streams.entry(peer).or_default() += 1;
    }

    /// A stream served to `peer` is over: room for another.
    pub(super) fn closed(&mut self, peer: &PeerId) {
        if let Some(count) = self.streams.get_mut(peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.streams.remove(peer);
            }
        }
    }

    /// A stream was not served.
    pub(super) fn refuse(&mut self) {
        self.refused += 1;
    }

    /// Streams refused so far.
    pub(super) fn refused(&self) -> u64 {
        self.refused
    }

    /// Chunk `index` of `file` went out: the chunks served so far, or `None` when this
    /// one had gone out before (nothing changed).
    pub(super) fn chunk_out(&mut self, file: CommitId, index: u64) -> Option<&HashSet<u64>> {
        let served = self.chunks.entry(file).or_default();
        served.insert(index).then_some(&*served)
    }

    /// Whether `file`'s progress is to be reported now: when it is complete, the first
    /// time, or `interval` after the last report. Reporting is remembered.
    pub(super) fn report_due(
        &mut self,
        file: CommitId,
        complete: bool,
        now: Instant,
        interval: Duration,
    ) -> bool {
        let due = complete
            || self
                .reported
                .get(&file)
                .is_none_or(|at| now.saturating_duration_since(*at) >= interval);
        if due {
            self.reported.insert(file, now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_gets_its_share_of_streams_and_more_once_one_closes() {
        let mut serving = Serving::default();
        let (peer, other) = (PeerId::random(), PeerId::random());
        for _ in 0..STREAMS_PER_DEVICE {
            assert!(!serving.busy(&peer));
            serving.opened(peer);
        }
        assert!(serving.busy(&peer));
        assert!(!serving.busy(&other), "another device has its own share");
        serving.closed(&peer);
        assert!(!serving.busy(&peer));
        // Closing more than was opened never underflows or frees a share twice.
        for _ in 0..STREAMS_PER_DEVICE + 2 {
            serving.closed(&peer);
        }
        assert!(!serving.busy(&peer));
        serving.refuse();
        serving.refuse();
        assert_eq!(serving.refused(), 2);
    }

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a starting instant; the test moves time itself"
    )]
    fn progress_counts_distinct_chunks_and_is_reported_at_most_each_interval() {
        let mut serving = Serving::default();
        let file = CommitId([7; 32]);
        assert_eq!(serving.chunk_out(file, 0).map(HashSet::len), Some(1));
        assert_eq!(serving.chunk_out(file, 0), None, "a chunk served again");
        assert_eq!(serving.chunk_out(file, 3).map(HashSet::len), Some(2));

        let start = Instant::now();
        let interval = Duration::from_millis(250);
        assert!(serving.report_due(file, false, start, interval), "first");
        let soon = start + Duration::from_millis(100);
        assert!(!serving.report_due(file, false, soon, interval));
        assert!(serving.report_due(file, true, soon, interval), "complete");
        let later = soon + interval;
        assert!(serving.report_due(file, false, later, interval));
        assert!(!serving.report_due(file, false, later, interval));
    }
}
