//! A direct UDP path for a call's media, handed to the media thread by whoever found it (a
//! P2P call's bridge, once ICE nominated a pair): the stream then sends its packets from
//! that socket to the pair's remote address and reads the socket itself, so a packet costs
//! one system call each way, as on a SIP call. What comes on the socket that is not media
//! from the remote address (STUN checks and their answers) goes back to the finder, which
//! keeps ICE and consent running.
//!
//! The path is shared, not sent: the stream looks at it every tick (one atomic load), so
//! whether it is set before or after the stream starts makes no difference.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// A datagram handed back: the socket's address, the sender, the bytes.
pub type Handed = (SocketAddr, SocketAddr, Vec<u8>);

/// Where a call's media goes directly.
#[derive(Debug, Clone)]
pub struct DirectRoute {
    /// The socket (non-blocking; while it is handed over, nothing else reads it and no
    /// poller watches it, so its packets wake only the media thread's reads).
    pub socket: Arc<UdpSocket>,
    /// Its address.
    pub local: SocketAddr,
    /// The other side's address: media goes there and is taken only from there.
    pub remote: SocketAddr,
    /// Where everything else read on the socket goes (never waited on: full drops it).
    pub others: mpsc::Sender<Handed>,
    /// When the route was set: [`DirectPath::last_media`] counts from it.
    pub since: Instant,
}

/// A call's direct path, if any, and what came on it.
#[derive(Debug, Default)]
pub struct DirectPath {
    /// Bumped on each change, so that the stream takes the lock only then.
    version: AtomicU64,
    route: Mutex<Option<DirectRoute>>,
    /// When the stream last took media from the remote address, in nanoseconds after the
    /// route's `since`, plus one (0: never): the finder's sign that the pair is alive (its
    /// own reader no longer sees the media).
    last_media: AtomicU64,
}

impl DirectPath {
    /// Media goes on `route` from now on (`None`: back on the call's own sockets).
    pub fn set(&self, route: Option<DirectRoute>) {
        // A poisoned lock only means a panic elsewhere mid-assignment: the value is whole.
        let mut slot = self
            .route
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = route;
        self.last_media.store(0, Ordering::Relaxed);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// The route, if it changed since `seen` (which is updated); `None` when it did not
    /// or the finder holds the lock right now (the next tick looks again).
    pub fn changed(&self, seen: &mut u64) -> Option<Option<DirectRoute>> {
        let version = self.version.load(Ordering::Acquire);
        if version == *seen {
            return None;
        }
        let slot = self.route.try_lock().ok()?;
        *seen = version;
        Some(slot.clone())
    }

    /// Media came on `route` from its remote address at `now`.
    pub fn media_at(&self, route: &DirectRoute, now: Instant) {
        let after = now.saturating_duration_since(route.since).as_nanos();
        let after = u64::try_from(after).unwrap_or(u64::MAX - 1);
        self.last_media.store(after + 1, Ordering::Relaxed);
    }

    /// When media last came on the route set at `since`, if it did.
    pub fn last_media(&self, since: Instant) -> Option<Instant> {
        match self.last_media.load(Ordering::Relaxed) {
            0 => None,
            after => Some(since + Duration::from_nanos(after - 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::disallowed_methods, reason = "a starting point for the times")]
    fn a_route_is_seen_once_per_change() {
        let path = DirectPath::default();
        let mut seen = 0;
        assert!(path.changed(&mut seen).is_none());
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let local = socket.local_addr().unwrap();
        let (others, _rx) = mpsc::channel(1);
        let remote: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let since = Instant::now();
        path.set(Some(DirectRoute {
            socket,
            local,
            remote,
            others,
            since,
        }));
        let route = path.changed(&mut seen).flatten().unwrap();
        assert_eq!((route.local, route.remote), (local, remote));
        assert!(path.changed(&mut seen).is_none());
        assert_eq!(path.last_media(since), None);
        let at = since + Duration::from_millis(1_234);
        path.media_at(&route, at);
        assert_eq!(path.last_media(since), Some(at));
        // A new route starts with no media heard.
        path.set(None);
        assert!(matches!(path.changed(&mut seen), Some(None)));
        assert_eq!(path.last_media(since), None);
    }
}
