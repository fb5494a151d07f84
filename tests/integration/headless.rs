//! The headless daemon and `ringlet ctl`, as a script or kiosk would use them.

use std::io::BufRead as _;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Daemon, ctl, ringlet, stdout_ok, wait_until};
use ringlet::model::AccountId;
use ringlet::store::Store;

fn account_ids(status: &serde_json::Value) -> Vec<String> {
    status["accounts"]
        .as_array()
        .expect("accounts array")
        .iter()
        .map(|account| account["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn account_created_by_ctl_survives_sigkill_and_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let id = stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", "Alice"]));
    assert_eq!(id.len(), 40, "account id is 40 hex digits: {id:?}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));

    let status = daemon.status();
    assert_eq!(account_ids(&status), vec![id.clone()]);
    assert_eq!(status["accounts"][0]["name"], "Alice");
    assert_eq!(status["accounts"][0]["details"]["kind"], "p2p");
    assert!(status["calls"].as_array().unwrap().is_empty());

    daemon.kill();
    let daemon = Daemon::start(tmp.path());
    let status = daemon.status();
    assert_eq!(account_ids(&status), vec![id]);
    assert_eq!(status["accounts"][0]["name"], "Alice");
}

#[test]
fn a_second_engine_on_the_same_data_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let _daemon = Daemon::start(tmp.path());
    let output = ringlet(tmp.path())
        .args(["--headless", "--audio", "none"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another Ringlet"), "{stderr}");
}

#[test]
fn rename_disable_and_delete_through_ctl() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let id = stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", "Work"]));
    stdout_ok(&daemon.ctl(&["account", "rename", "Work", "Home"]));
    stdout_ok(&daemon.ctl(&["account", "disable", &id]));
    let status = daemon.status();
    assert_eq!(status["accounts"][0]["name"], "Home");
    assert_eq!(status["accounts"][0]["enabled"], false);
    let missing = daemon.ctl(&["account", "rename", "Nobody", "X"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account \"Nobody\""));
    stdout_ok(&daemon.ctl(&["account", "delete", "Home"]));
    assert!(account_ids(&daemon.status()).is_empty());
}

/// Requests the engine answers itself (`engine/control.rs`) resolve names and refuse an
/// unknown account or call with the control server's words, through `ctl`'s exit status.
#[test]
fn requests_the_engine_answers_resolve_names_and_refuse_unknowns() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let id = stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", "Work"]));
    let by_name: serde_json::Value =
        serde_json::from_str(&stdout_ok(&daemon.ctl(&["files", "Work"]))).unwrap();
    let by_id: serde_json::Value =
        serde_json::from_str(&stdout_ok(&daemon.ctl(&["files", &id]))).unwrap();
    assert_eq!(by_name, serde_json::json!([]));
    assert_eq!(by_id, by_name);
    let nodes: serde_json::Value =
        serde_json::from_str(&stdout_ok(&daemon.ctl(&["node-info"]))).unwrap();
    assert!(nodes.is_array(), "{nodes}");
    for (args, says) in [
        (&["files", "Nobody"][..], "no account \"Nobody\""),
        (&["presence", "Nobody", "open"], "no account \"Nobody\""),
        (&["play", "42", "--pause"], "no call 42"),
    ] {
        let refused = daemon.ctl(args);
        assert!(!refused.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn events_stream_as_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    let mut events = ringlet(tmp.path())
        .args(["ctl", "events"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = events.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    // The subscription is live once a change made after it shows up; retry the change
    // until it does (the stream may attach after the first one).
    // A P2P account also reports its network state (account-changed) right after it is
    // added: look for the account-added line itself.
    let mut seen = None;
    'attempts: for attempt in 0..50 {
        stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", &format!("Bob{attempt}")]));
        while let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(200)) {
            if line.contains("\"account-added\"") {
                seen = Some(line);
                break 'attempts;
            }
        }
    }
    let line = seen.expect("an event line");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["event"], "account-added");
    assert!(
        event["account"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Bob")
    );
    events.kill().ok();
    events.wait().ok();
}

#[test]
fn ctl_without_a_daemon_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let output = ctl(tmp.path(), &["status"], None);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no Ringlet is running"));
}

#[test]
fn exported_archive_imports_as_a_second_certified_device_of_the_same_account() {
    let tmp = tempfile::tempdir().unwrap();
    let first_dir = tmp.path().join("laptop");
    let second_dir = tmp.path().join("phone");
    let archive = tmp.path().join("alice.ringlet");
    let archive_arg = archive.to_str().unwrap();

    let first = Daemon::start(&first_dir);
    let id = stdout_ok(&first.ctl(&[
        "account",
        "add-p2p",
        "--name",
        "Alice",
        "--device-name",
        "laptop",
    ]));
    let output = ctl(
        &first_dir,
        &["account", "export", "Alice", archive_arg],
        Some("open sesame\n"),
    );
    stdout_ok(&output);
    drop(first);

    let second = Daemon::start(&second_dir);
    let wrong = ctl(
        &second_dir,
        &["account", "import", archive_arg],
        Some("open says me\n"),
    );
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("wrong passphrase") && stderr.contains("alice.ringlet"),
        "{stderr}"
    );

    let truncated = tmp.path().join("truncated.ringlet");
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let cut = ctl(
        &second_dir,
        &["account", "import", truncated.to_str().unwrap()],
        Some("open sesame\n"),
    );
    assert!(!cut.status.success());
    assert!(String::from_utf8_lossy(&cut.stderr).contains("truncated"));

    let imported = ctl(
        &second_dir,
        &["account", "import", archive_arg, "--device-name", "phone"],
        Some("open sesame\n"),
    );
    assert_eq!(
        stdout_ok(&imported),
        id,
        "same account id on the new device"
    );
    let status = second.status();
    let devices = status["accounts"][0]["details"]["devices"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(devices.len(), 2);
    drop(second);

    // Both devices are certified by the account key and distinct; this install's is "phone".
    let store = Store::open(&second_dir, false).unwrap();
    let rows = store.devices(&AccountId(id.clone())).unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].certificate.device_id, rows[1].certificate.device_id);
    for row in &rows {
        row.certificate.verify_for(&AccountId(id.clone())).unwrap();
    }
    let local: Vec<_> = rows.iter().filter(|row| row.local).collect();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].certificate.device_name, "phone");
    let first_store = Store::open(&first_dir, false).unwrap();
    let first_rows = first_store.devices(&AccountId(id.clone())).unwrap();
    assert_eq!(first_rows.len(), 1);
    assert_ne!(
        first_rows[0].certificate.device_id,
        local[0].certificate.device_id
    );
}

#[test]
fn help_documents_headless_ctl_and_data_dir() {
    let output = std::process::Command::new(crate::common::ringlet_bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout_ok(&output);
    for needle in [
        "--headless",
        "--kiosk",
        "--data-dir",
        "ringlet.portable",
        "ctl",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let ctl_help = stdout_ok(
        &std::process::Command::new(crate::common::ringlet_bin())
            .args(["ctl", "--help"])
            .output()
            .unwrap(),
    );
    for needle in ["status", "events", "account"] {
        assert!(ctl_help.contains(needle), "ctl --help lacks {needle}");
    }
}

#[test]
fn ctl_into_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path());
    // `ringlet ctl status | head -c 1`: the reader leaves after one byte, as `head` does.
    let mut ctl = std::process::Command::new(crate::common::ringlet_bin())
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["ctl", "status"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(ctl.stdout.take());
    let output = ctl.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(daemon);
}

#[test]
fn stopping_by_ctl_shutdown_exits_cleanly_and_removes_the_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::start(tmp.path());
    stdout_ok(&daemon.ctl(&["shutdown"]));
    let exited = wait_until(Duration::from_secs(20), || {
        matches!(daemon.child.try_wait(), Ok(Some(_)))
    });
    assert!(exited, "daemon did not stop");
    assert!(daemon.child.wait().unwrap().success());
    assert!(!tmp.path().join("ringlet.sock").exists());
}

/// Starts `binary --headless` with `envs`, runs `ctl account add-p2p` through it, stops it.
fn add_account_without_data_dir(binary: &std::path::Path, envs: &[(&str, &std::path::Path)]) {
    let command = |args: &[&str]| {
        let mut command = std::process::Command::new(binary);
        command
            .args(args)
            .env("RINGLET_NO_KEYRING", "1")
            .env("RINGLET_LOG", "warn")
            .env("RINGLET_NO_MDNS", "1")
            .env("RINGLET_P2P_LISTEN", "/ip4/127.0.0.1/tcp/0")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME");
        for (name, value) in envs {
            command.env(name, value);
        }
        command
    };
    let mut daemon = command(&["--headless", "--audio", "none"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let ready = wait_until(Duration::from_secs(30), || {
        command(&["ctl", "status"])
            .output()
            .is_ok_and(|output| output.status.success())
    });
    assert!(ready, "daemon without --data-dir did not come up");
    stdout_ok(
        &command(&["ctl", "account", "add-p2p", "--name", "Roamer"])
            .output()
            .unwrap(),
    );
    stdout_ok(&command(&["ctl", "shutdown"]).output().unwrap());
    daemon.wait().unwrap();
}

#[test]
fn default_data_dir_follows_xdg() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("xdg-data");
    let config = tmp.path().join("xdg-config");
    add_account_without_data_dir(
        std::path::Path::new(crate::common::ringlet_bin()),
        &[
            ("HOME", &home),
            ("XDG_DATA_HOME", &data),
            ("XDG_CONFIG_HOME", &config),
        ],
    );
    assert!(data.join("ringlet/ringlet.db").is_file());
    assert!(!home.join(".local/share/ringlet").exists());
}

#[test]
fn portable_marker_keeps_data_beside_the_executable() {
    let tmp = tempfile::tempdir().unwrap();
    let bin_dir = tmp.path().join("usb-stick");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let binary = bin_dir.join("ringlet");
    // A hard link is instant; a copy works across file systems.
    if std::fs::hard_link(crate::common::ringlet_bin(), &binary).is_err() {
        std::fs::copy(crate::common::ringlet_bin(), &binary).unwrap();
    }
    std::fs::write(bin_dir.join("ringlet.portable"), "").unwrap();
    let home = tmp.path().join("home");
    add_account_without_data_dir(&binary, &[("HOME", &home)]);
    assert!(bin_dir.join("ringlet-data/ringlet.db").is_file());
    assert!(!home.join(".config/ringlet").exists());
    assert!(!home.join(".local/share/ringlet").exists());
    // Portable mode never uses the OS keyring: the key travels with the data.
    assert!(bin_dir.join("ringlet-data/secrets.key").is_file());
}
