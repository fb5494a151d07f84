//! Presence (SUBSCRIBE/NOTIFY with PIDF) between two Ringlet accounts with no server, and
//! voicemail waiting (message-summary) from a sipp scenario playing a voicemail server.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Daemon, stdout_ok, wait_until};

/// sipp playing `tests/fixtures/sipp/NAME.xml` once on 127.0.0.1:`port`.
fn sipp_server(name: &str, port: u16) -> std::process::Child {
    Command::new("sipp")
        .args(["-nostdin", "-sf"])
        .arg(format!(
            "{}/tests/fixtures/sipp/{name}.xml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-m",
            "1",
            "-timeout",
            "20s",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("sipp is installed (.ci/deps)")
}

fn contact_state(daemon: &Daemon, uri: &str) -> serde_json::Value {
    daemon.status()["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|contact| contact["uri"] == uri)
        .map(|contact| contact["online"].clone())
        .unwrap_or_default()
}

#[test]
fn a_contact_s_presence_is_watched_and_follows_its_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    for (name, port) in [("alice", 15590), ("bob", 15591)] {
        let aor = format!("sip:{name}@127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        daemon.add_sip(name, &aor, &listen, &[]);
    }
    let bob = "sip:bob@127.0.0.1:15591";
    let added = stdout_ok(&daemon.ctl(&["contact", "add", "alice", bob, "--name", "Bob"]));
    assert!(added.contains("\"Bob\""), "{added}");
    let online = wait_until(Duration::from_secs(10), || {
        contact_state(&daemon, bob) == true
    });
    assert!(online, "{:#?}", daemon.status()["contacts"]);

    stdout_ok(&daemon.ctl(&["presence", "bob", "closed", "--note", "in a meeting"]));
    let away = wait_until(Duration::from_secs(10), || {
        contact_state(&daemon, bob) == false
    });
    assert!(away, "{:#?}", daemon.status()["contacts"]);
    stdout_ok(&daemon.ctl(&["presence", "bob", "open"]));
    assert!(wait_until(Duration::from_secs(10), || contact_state(
        &daemon, bob
    ) == true));

    let contacts = stdout_ok(&daemon.ctl(&["contacts", "alice"]));
    let contacts: serde_json::Value = serde_json::from_str(&contacts).unwrap();
    assert_eq!(contacts.as_array().unwrap().len(), 1);
    assert_eq!(contacts[0]["display_name"], "Bob");

    // Removed: forgotten, and no longer watched (SUBSCRIBE with Expires: 0), so Bob's next
    // change comes to nobody; added again, it is watched again.
    let removed = stdout_ok(&daemon.ctl(&["contact", "remove", "alice", bob]));
    let removed: serde_json::Value = serde_json::from_str(&removed).unwrap();
    assert_eq!(removed["removed"], true, "{removed}");
    let listed = stdout_ok(&daemon.ctl(&["contacts", "alice"]));
    assert_eq!(listed.trim(), "[]");
    let after_removal = crate::common::EventLog::start(tmp.path());
    stdout_ok(&daemon.ctl(&["presence", "bob", "closed"]));
    assert!(
        !after_removal.wait_for("contact-presence", bob, Duration::from_secs(3)),
        "a removed contact is still watched: {:#?}",
        after_removal.lines()
    );
    stdout_ok(&daemon.ctl(&["contact", "add", "alice", bob, "--name", "Bob"]));
    assert!(
        wait_until(Duration::from_secs(10), || contact_state(&daemon, bob)
            == false),
        "{:#?}",
        daemon.status()["contacts"]
    );
    // Removing what is no contact fails, and says so.
    let unknown = daemon.ctl(&["contact", "remove", "alice", "sip:nobody@127.0.0.1:1"]);
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("is not a contact"), "{said}");

    // A contact that does not answer is shown as unknown, not as online, once its
    // SUBSCRIBE has gone unanswered (timer F, 32 s on UDP).
    let events = crate::common::EventLog::start(tmp.path());
    stdout_ok(&daemon.ctl(&["contact", "add", "alice", "sip:nobody@127.0.0.1:15599"]));
    let gave_up = events.wait_for(
        "contact-presence",
        "sip:nobody@127.0.0.1:15599",
        Duration::from_secs(45),
    );
    assert!(gave_up, "{:#?}", events.lines());
    assert_eq!(
        contact_state(&daemon, "sip:nobody@127.0.0.1:15599"),
        serde_json::Value::Null
    );
}

#[test]
fn voicemail_waiting_is_shown_from_a_message_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let mut server = sipp_server("mwi", 15690);
    // The mailbox is the AOR, reached through the outbound proxy (here: the sipp server).
    daemon.add_sip(
        "desk",
        "sip:desk@127.0.0.1",
        "127.0.0.1:15691",
        &["--outbound-proxy", "sip:127.0.0.1:15690", "--mwi"],
    );
    let shown = wait_until(Duration::from_secs(10), || {
        daemon.status()["accounts"][0]["voicemail"] == serde_json::json!([3, 5])
    });
    assert!(shown, "{:#?}", daemon.status()["accounts"]);
    assert!(
        server.wait().unwrap().success(),
        "the voicemail scenario failed"
    );
}

#[test]
fn presence_is_published_to_the_presence_server_behind_the_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let mut server = sipp_server("publish", 15790);
    daemon.add_sip(
        "desk",
        "sip:desk@127.0.0.1",
        "127.0.0.1:15791",
        &["--outbound-proxy", "sip:127.0.0.1:15790"],
    );
    let started = wait_until(Duration::from_secs(10), || {
        daemon.status()["accounts"][0]["registration"]["state"] == "registered"
    });
    assert!(started);
    stdout_ok(&daemon.ctl(&["presence", "desk", "closed", "--note", "out to lunch"]));
    let done = wait_until(Duration::from_secs(10), || {
        matches!(server.try_wait(), Ok(Some(_)))
    });
    assert!(done, "the presence server saw no PUBLISH");
    assert!(
        server.wait().unwrap().success(),
        "the PUBLISH was not what RFC 3903 asks"
    );
}
