//! How often a P2P account reaches out to another account's devices, and how many contact
//! requests it takes from one account a minute. One owner, its fields private; time is
//! passed in.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::model::AccountId;

/// The window contact requests are counted over.
const CONTACT_REQUEST_WINDOW: Duration = Duration::from_secs(60);

/// A P2P account's per-account limits.
#[derive(Debug, Default)]
pub(super) struct Pacing {
    /// When each account was last reached out to.
    reached: HashMap<AccountId, Instant>,
    /// When each account's contact requests of the last minute came.
    requests: HashMap<AccountId, VecDeque<Instant>>,
}

impl Pacing {
    /// True, and noted, when `target` may be reached out to at `now`: `force`, or the last
    /// time was `interval` ago or more (or never).
    pub(super) fn reach_out(
        &mut self,
        target: &AccountId,
        now: Instant,
        interval: Duration,
        force: bool,
    ) -> bool {
        let due = self
            .reached
            .get(target)
            .is_none_or(|last| now.saturating_duration_since(*last) >= interval);
        if force || due {
            self.reached.insert(target.clone(), now);
        }
        force || due
    }

    /// True, and counted, when one more contact request from `from` at `now` stays within
    /// `per_minute`; false (not counted) when it would go over.
    pub(super) fn contact_request(
        &mut self,
        from: &AccountId,
        now: Instant,
        per_minute: usize,
    ) -> bool {
        let window = self.requests.entry(from.clone()).or_default();
        window.retain(|at| now.saturating_duration_since(*at) < CONTACT_REQUEST_WINDOW);
        if window.len() >= per_minute {
            return false;
        }
        window.push_back(now);
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
    fn reaching_out_waits_its_interval_unless_forced() {
        let (mut pacing, start) = (Pacing::default(), Instant::now());
        let (bob, carol) = (AccountId("bob".into()), AccountId("carol".into()));
        let every = Duration::from_secs(5);
        assert!(pacing.reach_out(&bob, start, every, false));
        assert!(!pacing.reach_out(&bob, start + every / 2, every, false));
        assert!(
            pacing.reach_out(&carol, start + every / 2, every, false),
            "per account"
        );
        assert!(
            pacing.reach_out(&bob, start + every / 2, every, true),
            "forced"
        );
        // Forcing counts as reaching out: the interval runs from then.
        assert!(!pacing.reach_out(&bob, start + every, every, false));
        assert!(pacing.reach_out(&bob, start + every * 3 / 2, every, false));
    }

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a starting point for the fake clock"
    )]
    fn contact_requests_are_counted_over_a_sliding_minute() {
        let (mut pacing, start) = (Pacing::default(), Instant::now());
        let (bob, carol) = (AccountId("bob".into()), AccountId("carol".into()));
        let second = Duration::from_secs(1);
        for at in 0..5 {
            assert!(pacing.contact_request(&bob, start + second * at, 5));
        }
        assert!(!pacing.contact_request(&bob, start + second * 10, 5));
        assert!(
            pacing.contact_request(&carol, start + second * 10, 5),
            "per account"
        );
        // A refused request is not counted: the first one leaves the window at 60 s.
        assert!(!pacing.contact_request(&bob, start + second * 59, 5));
        assert!(pacing.contact_request(&bob, start + second * 60, 5));
        assert!(!pacing.contact_request(&bob, start + second * 60, 5));
    }
}
