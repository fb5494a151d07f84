//! The desktop around the window, against real services in a private D-Bus session:
//! python3-dbusmock's notification daemon receives the window's notifications, and its
//! signals play the user's clicks on them.

#![allow(
    clippy::disallowed_methods,
    reason = "tests drive real processes and bound their waits with the clock"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ringlet::desktop::notify::Bus;
use ringlet::store::Store;

use super::gui::{app, harness, sip_account, started, step_until};
use crate::common::wait_until;

/// A private D-Bus session bus and the dbusmock services on it; all stop when dropped.
pub(super) struct PrivateBus {
    bus: Child,
    mocks: Vec<Child>,
    /// Its address, for DBUS_SESSION_BUS_ADDRESS.
    pub(super) address: String,
}

impl PrivateBus {
    pub(super) fn start(dir: &Path) -> PrivateBus {
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (.ci/deps)");
        assert!(
            wait_until(Duration::from_secs(10), || socket.exists()),
            "the private bus did not start"
        );
        PrivateBus {
            bus,
            mocks: Vec::new(),
            address,
        }
    }

    /// Starts `python3 -m dbusmock ARGS -l LOG` on the bus and waits until it owns `name`.
    pub(super) fn mock(&mut self, args: &[&str], log: &Path, name: &str) {
        let mock = Command::new("/usr/bin/python3")
            .args(["-m", "dbusmock"])
            .args(args)
            .arg("-l")
            .arg(log)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("python3-dbusmock is installed (.ci/deps)");
        self.mocks.push(mock);
        let owned = wait_until(Duration::from_secs(20), || {
            self.gdbus(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &[name],
            )
            .contains("true")
        });
        assert!(owned, "the mock did not take {name}");
    }

    /// `gdbus call` on the bus; its output.
    pub(super) fn gdbus(
        &self,
        destination: &str,
        path: &str,
        method: &str,
        args: &[&str],
    ) -> String {
        let output = Command::new("gdbus")
            .args(["call", "--address", &self.address, "--dest", destination])
            .args(["--object-path", path, "--method", method])
            .args(args)
            .output()
            .expect("gdbus is installed (.ci/deps)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        for child in self.mocks.iter_mut().chain([&mut self.bus]) {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// The lines of a dbusmock log: one per method call.
pub(super) fn logged(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A private session bus with a mock notification server on it.
struct NotificationServer {
    bus: PrivateBus,
    log: PathBuf,
}

impl NotificationServer {
    fn start(dir: &Path) -> NotificationServer {
        let mut bus = PrivateBus::start(dir);
        let log = dir.join("notifications.log");
        bus.mock(
            &[
                "--template",
                "notification_daemon",
                "-p",
                r#"{"capabilities": "body actions"}"#,
            ],
            &log,
            "org.freedesktop.Notifications",
        );
        NotificationServer { bus, log }
    }

    /// The method calls the server logged, one per line.
    fn calls(&self) -> Vec<String> {
        logged(&self.log)
    }

    /// The user clicks `action` on notification `id`.
    fn invoke(&self, id: u32, action: &str) {
        self.bus.gdbus(
            "org.freedesktop.Notifications",
            "/org/freedesktop/Notifications",
            "org.freedesktop.DBus.Mock.EmitSignal",
            &[
                "org.freedesktop.Notifications",
                "ActionInvoked",
                "us",
                &format!("[<uint32 {id}>, <'{action}'>]"),
            ],
        );
    }
}

#[test]
fn an_incoming_sipp_call_is_notified_with_answer_and_decline_and_answered_from_the_notification() {
    let tmp = tempfile::tempdir().unwrap();
    let server = NotificationServer::start(tmp.path());
    let window = tmp.path().join("window");
    std::fs::create_dir_all(&window).unwrap();
    Store::open(&window, false)
        .unwrap()
        .insert_account(&sip_account("Desk", 16020, false))
        .unwrap();
    let app = app(&window).with_notifications(
        Bus::Address(server.bus.address.clone()),
        std::sync::Arc::new(|| {}),
    );
    let mut harness = harness(app);
    started(&mut harness);
    step_until(&mut harness, "the account listening", |h| {
        h.state().state.accounts.values().all(|account| {
            account.info.registration == ringlet::model::RegistrationState::Registered
        })
    });

    // sipp calls, waits for the answer, stays 1 s and hangs up.
    let mut sipp = Command::new("sipp")
        .args(["-nostdin", "-sn", "uac", "127.0.0.1:16020"])
        .args(["-i", "127.0.0.1", "-p", "16021", "-m", "1", "-d", "1000"])
        .args(["-timeout", "30s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("sipp is installed (.ci/deps)");

    let mut notified = None;
    let shown = wait_until(Duration::from_secs(20), || {
        harness.step();
        notified = server
            .calls()
            .into_iter()
            .find(|line| line.contains(" Notify ") && line.contains("is calling"));
        notified.is_some()
    });
    assert!(shown, "no Notify for the call: {:#?}", server.calls());
    let notified = notified.unwrap();
    for expected in [
        r#"["answer", "Answer", "decline", "Decline"]"#,
        r#""on Desk""#,
        r#""urgency": 2"#,
    ] {
        assert!(
            notified.contains(expected),
            "{expected} missing: {notified}"
        );
    }
    // The call rings in the window meanwhile, unanswered.
    let ringing = harness
        .state()
        .state
        .calls
        .values()
        .next()
        .cloned()
        .unwrap();
    assert_eq!(ringing.state, ringlet::model::CallState::Incoming);

    // The user clicks Answer on the notification (the server's first: id 1).
    server.invoke(1, "answer");
    step_until(&mut harness, "the call answered", |h| {
        h.state()
            .state
            .calls
            .values()
            .any(|call| call.answered_at_ms.is_some())
    });
    // Its notification goes once the call no longer rings.
    let closed = wait_until(Duration::from_secs(10), || {
        harness.step();
        server
            .calls()
            .iter()
            .any(|line| line.contains("CloseNotification"))
    });
    assert!(closed, "{:#?}", server.calls());
    // sipp saw its call answered and ended it normally.
    let done = wait_until(Duration::from_secs(20), || {
        harness.step();
        matches!(sipp.try_wait(), Ok(Some(_)))
    });
    assert!(done, "sipp did not finish");
    assert!(sipp.wait().unwrap().success(), "sipp's call failed");
}
