//! The host's interface addresses, as calls use them, and one watcher of their changes
//! for the whole process.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;

/// How often addresses are compared when the kernel's notices cannot be had.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// Addresses of interfaces that are up (loopback included), IPv6 link-local ones left out
/// (they need a scope that SDP and ICE candidates do not carry).
pub fn up_addresses() -> std::io::Result<Vec<IpAddr>> {
    Ok(if_addrs::get_if_addrs()?
        .iter()
        .filter(|interface| interface.is_oper_up() || interface.is_loopback())
        .map(|interface| interface.ip())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .collect())
}

/// A count that goes up whenever an address of this host was added or removed: wait on
/// `changed()`, then look at [`up_addresses`]. One watcher serves every call of every
/// account: a thread of its own that listens to the kernel's address notices (netlink),
/// so a change is seen as it happens, and compares the addresses every 250 ms instead
/// when the notices cannot be had.
pub fn address_changes() -> watch::Receiver<u64> {
    static CHANGES: OnceLock<watch::Sender<u64>> = OnceLock::new();
    CHANGES
        .get_or_init(|| {
            let (changes, _) = watch::channel(0);
            let sender = changes.clone();
            let started = std::thread::Builder::new()
                .name("ringlet-ifwatch".into())
                .spawn(move || watch_addresses(&sender));
            if let Err(err) = started {
                tracing::warn!(%err, "no address watcher: calls will not follow address changes");
            }
            changes
        })
        .subscribe()
}

/// The watcher's thread: the kernel's notices while they come, else polling.
fn watch_addresses(changes: &watch::Sender<u64>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::warn!(%err, "the address watcher has no runtime: polling");
            return poll_addresses(changes);
        }
    };
    runtime.block_on(async {
        match if_watch::tokio::IfWatcher::new() {
            Ok(mut watcher) => {
                while let Some(event) = watcher.next().await {
                    match event {
                        Ok(event) => {
                            tracing::debug!(?event, "an address change");
                            changes.send_modify(|count| *count += 1);
                        }
                        Err(err) => {
                            tracing::info!(%err, "address notices failed: polling");
                            break;
                        }
                    }
                }
            }
            Err(err) => tracing::info!(%err, "no address notices: polling"),
        }
    });
    poll_addresses(changes);
}

/// Compares the addresses every [`POLL_EVERY`], for ever.
fn poll_addresses(changes: &watch::Sender<u64>) {
    let mut last = up_addresses().unwrap_or_default();
    loop {
        std::thread::sleep(POLL_EVERY);
        let now = up_addresses().unwrap_or_default();
        if now != last {
            last = now;
            changes.send_modify(|count| *count += 1);
        }
    }
}
