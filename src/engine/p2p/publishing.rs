//! Publishing a P2P account's device list with this device's addresses: where the device
//! listens, and when the list goes to the DHT again. One owner, its fields private; time
//! is passed in.

use std::time::{Duration, Instant};

use libp2p::Multiaddr;

/// This device's addresses and the device list's publishing state.
#[derive(Debug)]
pub(super) struct Publishing {
    /// The addresses the network listens on (named in the device list).
    listening: Vec<Multiaddr>,
    /// When the list was last published.
    published: Option<Instant>,
    /// Something in the list changed since.
    due: bool,
}

impl Default for Publishing {
    fn default() -> Publishing {
        Publishing {
            listening: Vec::new(),
            published: None,
            due: true,
        }
    }
}

impl Publishing {
    /// The network listens on `address` too: the list changed.
    pub(super) fn listening_on(&mut self, address: Multiaddr) {
        self.listening.push(address);
        self.due = true;
    }

    /// Where this device listens.
    pub(super) fn addresses(&self) -> &[Multiaddr] {
        &self.listening
    }

    /// Something in the list changed: it goes out at the next chance.
    pub(super) fn changed(&mut self) {
        self.due = true;
    }

    /// True, and counted as published at `now`, when the list should go out: `force`, a
    /// change, or `interval` since the last time; never before the device listens
    /// anywhere (a list without its addresses would hide it).
    pub(super) fn take_due(&mut self, now: Instant, interval: Duration, force: bool) -> bool {
        let stale = self
            .published
            .is_none_or(|last| now.saturating_duration_since(last) >= interval);
        if !(force || self.due || stale) || self.listening.is_empty() {
            return false;
        }
        self.due = false;
        self.published = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a starting point for the fake clock"
    )]
    fn the_list_goes_out_when_changed_forced_or_stale_and_only_with_an_address() {
        let (mut publishing, start) = (Publishing::default(), Instant::now());
        let every = Duration::from_secs(300);
        assert!(!publishing.take_due(start, every, true), "no address yet");
        publishing.listening_on("/ip4/127.0.0.1/tcp/4001".parse().unwrap());
        assert_eq!(publishing.addresses().len(), 1);
        assert!(publishing.take_due(start, every, false), "new address");
        assert!(!publishing.take_due(start + every / 2, every, false));
        assert!(
            publishing.take_due(start + every / 2, every, true),
            "forced"
        );
        publishing.changed();
        assert!(
            publishing.take_due(start + every / 2, every, false),
            "changed"
        );
        assert!(!publishing.take_due(start + every, every, false));
        assert!(
            publishing.take_due(start + every * 3 / 2, every, false),
            "stale"
        );
    }
}
