//! Desktop notifications over D-Bus (the freedesktop Notifications specification).
//!
//! Two halves. [`Reconciler`] is plain: each frame the window says which notifications it
//! wants now (an incoming call, a missed call, unread messages, voicemail), each under a
//! stable key, and the reconciler returns what to show, replace or close, so that a
//! notification closes when its cause goes away. [`Notifier`] is the thin driver: a thread
//! that calls `Notify` and `CloseNotification` and a thread that reads `ActionInvoked`,
//! reporting actions back by key. With no notification server the driver reports
//! `Unavailable` once and the window goes on without it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

const DESTINATION: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";
/// No D-Bus call may hold the notifier thread longer than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Requests waiting for the notifier thread; more are dropped (a frozen server).
const QUEUE: usize = 64;

/// How urgent a notification is (the specification's `urgency` hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Messages, voicemail.
    Normal,
    /// An incoming call: stays until answered or gone.
    Critical,
}

/// One notification the window wants shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Stable key of its cause ("call:7", "chat:…"): actions come back under it.
    pub key: String,
    /// Title line.
    pub summary: String,
    /// Text under it.
    pub body: String,
    /// Buttons: (action key, label). The click on the notification itself is "default".
    pub actions: Vec<(String, String)>,
    /// Urgency.
    pub urgency: Urgency,
    /// The specification's category ("call.incoming", "im.received", …).
    pub category: &'static str,
}

/// What to do on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Show this notification, or replace the one shown under its key.
    Show(Wanted),
    /// Close the notification shown under this key.
    Close(String),
}

/// What the driver reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The user chose `action` on the notification of `key` ("default": its body).
    Action {
        /// The notification's key.
        key: String,
        /// The action's key.
        action: String,
    },
    /// No notification server: nothing will be shown (said once).
    Unavailable(String),
}

/// The notifications shown, against those wanted now.
#[derive(Debug, Default)]
pub struct Reconciler {
    shown: BTreeMap<String, Wanted>,
}

impl Reconciler {
    /// The requests that make the shown notifications the `wanted` ones: new or changed
    /// ones are shown (a change replaces in place), those no longer wanted are closed.
    pub fn update(&mut self, wanted: Vec<Wanted>) -> Vec<Request> {
        let mut requests = Vec::new();
        let mut next = BTreeMap::new();
        for item in wanted {
            if self.shown.get(&item.key) != Some(&item) {
                requests.push(Request::Show(item.clone()));
            }
            next.insert(item.key.clone(), item);
        }
        for key in self.shown.keys() {
            if !next.contains_key(key) {
                requests.push(Request::Close(key.clone()));
            }
        }
        self.shown = next;
        requests
    }

    /// True when a notification is shown under `key`.
    pub fn is_shown(&self, key: &str) -> bool {
        self.shown.contains_key(key)
    }
}

/// Where the notification server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The user's session bus.
    Session,
    /// A bus at this D-Bus address (tests run a private one).
    Address(String),
}

/// The driver: requests go to its thread, reports come back on `reports`.
pub struct Notifier {
    requests: Sender<Request>,
    /// Actions chosen by the user, and the one "unavailable" report.
    pub reports: Receiver<Report>,
}

impl Notifier {
    /// Starts the driver's threads; `wake` is called after each report (the window's
    /// repaint request).
    pub fn start(bus: Bus, wake: Arc<dyn Fn() + Send + Sync>) -> Notifier {
        let (requests, requests_rx) = crossbeam_channel::bounded(QUEUE);
        let (reports_tx, reports) = crossbeam_channel::unbounded();
        let spawned = thread::Builder::new()
            .name("notifications".into())
            .spawn(move || {
                if let Err(error) = run(&bus, &requests_rx, &reports_tx, &wake) {
                    tracing::info!(%error, "no desktop notifications");
                    let _ = reports_tx.send(Report::Unavailable(error.to_string()));
                    wake();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the notification thread");
        }
        Notifier { requests, reports }
    }

    /// Queues a request; never blocks (a full queue drops it, logged).
    pub fn send(&self, request: Request) {
        if self.requests.try_send(request).is_err() {
            tracing::debug!("notification request dropped: the server does not keep up");
        }
    }
}

/// Which notification id the server gave each key, both ways.
#[derive(Default)]
struct Ids {
    by_key: HashMap<String, u32>,
    by_id: HashMap<u32, String>,
}

fn connect(bus: &Bus) -> zbus::Result<zbus::blocking::Connection> {
    let builder = match bus {
        Bus::Session => zbus::blocking::connection::Builder::session()?,
        Bus::Address(address) => zbus::blocking::connection::Builder::address(address.as_str())?,
    };
    builder.method_timeout(CALL_TIMEOUT).build()
}

fn run(
    bus: &Bus,
    requests: &Receiver<Request>,
    reports: &Sender<Report>,
    wake: &Arc<dyn Fn() + Send + Sync>,
) -> zbus::Result<()> {
    let connection = connect(bus)?;
    let ids = Arc::new(Mutex::new(Ids::default()));
    // Signals first, so that an action on the first notification is not missed.
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(INTERFACE)?
        .path(PATH)?
        .build();
    let signals = zbus::blocking::MessageIterator::for_match_rule(rule, &connection, Some(QUEUE))?;
    {
        let ids = Arc::clone(&ids);
        let reports = reports.clone();
        let wake = Arc::clone(wake);
        thread::Builder::new()
            .name("notification-signals".into())
            .spawn(move || read_signals(signals, &ids, &reports, &wake))
            .map_err(|err| zbus::Error::Failure(err.to_string()))?;
    }
    for request in requests {
        let result = match request {
            Request::Show(wanted) => show(&connection, &ids, &wanted),
            Request::Close(key) => close(&connection, &ids, &key),
        };
        if let Err(error) = result {
            // One failed call is not the end: the server may be back for the next one.
            tracing::debug!(%error, "notification call failed");
        }
    }
    Ok(())
}

fn show(
    connection: &zbus::blocking::Connection,
    ids: &Mutex<Ids>,
    wanted: &Wanted,
) -> zbus::Result<()> {
    let replaces = lock(ids).by_key.get(&wanted.key).copied().unwrap_or(0);
    let actions: Vec<&str> = wanted
        .actions
        .iter()
        .flat_map(|(key, label)| [key.as_str(), label.as_str()])
        .collect();
    let mut hints: HashMap<&str, zbus::zvariant::Value<'_>> = HashMap::new();
    hints.insert(
        "urgency",
        zbus::zvariant::Value::U8(match wanted.urgency {
            Urgency::Normal => 1,
            Urgency::Critical => 2,
        }),
    );
    hints.insert("category", zbus::zvariant::Value::from(wanted.category));
    hints.insert(
        "desktop-entry",
        zbus::zvariant::Value::from("net.ringlet.Ringlet"),
    );
    // A call's notification stays until the call is answered or gone; others time out
    // as the server likes.
    let timeout: i32 = match wanted.urgency {
        Urgency::Critical => 0,
        Urgency::Normal => -1,
    };
    let reply = connection.call_method(
        Some(DESTINATION),
        PATH,
        Some(INTERFACE),
        "Notify",
        &(
            "Ringlet",
            replaces,
            "net.ringlet.Ringlet",
            wanted.summary.as_str(),
            wanted.body.as_str(),
            actions,
            hints,
            timeout,
        ),
    )?;
    let id: u32 = reply.body().deserialize()?;
    let mut ids = lock(ids);
    if let Some(old) = ids.by_key.insert(wanted.key.clone(), id) {
        ids.by_id.remove(&old);
    }
    ids.by_id.insert(id, wanted.key.clone());
    Ok(())
}

fn close(connection: &zbus::blocking::Connection, ids: &Mutex<Ids>, key: &str) -> zbus::Result<()> {
    let id = {
        let mut ids = lock(ids);
        let Some(id) = ids.by_key.remove(key) else {
            return Ok(());
        };
        ids.by_id.remove(&id);
        id
    };
    connection.call_method(
        Some(DESTINATION),
        PATH,
        Some(INTERFACE),
        "CloseNotification",
        &(id,),
    )?;
    Ok(())
}

fn read_signals(
    signals: zbus::blocking::MessageIterator,
    ids: &Mutex<Ids>,
    reports: &Sender<Report>,
    wake: &Arc<dyn Fn() + Send + Sync>,
) {
    for message in signals {
        let Ok(message) = message else {
            continue;
        };
        let header = message.header();
        match header.member().map(|member| member.as_str()) {
            Some("ActionInvoked") => {
                let Ok((id, action)) = message.body().deserialize::<(u32, String)>() else {
                    continue;
                };
                let key = lock(ids).by_id.get(&id).cloned();
                if let Some(key) = key {
                    if reports.send(Report::Action { key, action }).is_err() {
                        return;
                    }
                    wake();
                }
            }
            Some("NotificationClosed") => {
                if let Ok((id, _reason)) = message.body().deserialize::<(u32, u32)>() {
                    let mut ids = lock(ids);
                    if let Some(key) = ids.by_id.remove(&id) {
                        ids.by_key.remove(&key);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The id table; a thread that panicked while holding it left plain maps, still usable.
fn lock(ids: &Mutex<Ids>) -> std::sync::MutexGuard<'_, Ids> {
    ids.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(key: &str, body: &str) -> Wanted {
        Wanted {
            key: key.into(),
            summary: "Incoming call".into(),
            body: body.into(),
            actions: vec![("answer".into(), "Answer".into())],
            urgency: Urgency::Critical,
            category: "call.incoming",
        }
    }

    #[test]
    fn a_notification_is_shown_once_replaced_when_it_changes_and_closed_when_its_cause_goes() {
        let mut reconciler = Reconciler::default();
        let first = call("call:1", "Bob is calling");
        assert_eq!(
            reconciler.update(vec![first.clone()]),
            vec![Request::Show(first.clone())]
        );
        // The same wish the next frame: nothing to do.
        assert!(reconciler.update(vec![first.clone()]).is_empty());
        assert!(reconciler.is_shown("call:1"));
        // Its text changed: shown again (the driver replaces it in place).
        let changed = call("call:1", "Bob is calling (2)");
        assert_eq!(
            reconciler.update(vec![changed.clone()]),
            vec![Request::Show(changed)]
        );
        // A second cause arrives while the first goes.
        let second = call("call:2", "Carol is calling");
        assert_eq!(
            reconciler.update(vec![second.clone()]),
            vec![Request::Show(second), Request::Close("call:1".into())]
        );
        assert_eq!(
            reconciler.update(Vec::new()),
            vec![Request::Close("call:2".into())]
        );
        assert!(!reconciler.is_shown("call:2"));
    }

    #[test]
    fn with_no_server_the_notifier_says_so_once_and_takes_requests_without_blocking() {
        let notifier = Notifier::start(
            Bus::Address("unix:path=/nonexistent/ringlet-test-bus".into()),
            Arc::new(|| {}),
        );
        let report = notifier.reports.recv_timeout(Duration::from_secs(10));
        assert!(matches!(report, Ok(Report::Unavailable(_))), "{report:?}");
        for index in 0..(QUEUE * 2) {
            notifier.send(Request::Close(format!("call:{index}")));
        }
    }
}
