//! The secret key in a real OS keyring: a private D-Bus session with gnome-keyring's Secret
//! Service, started by the test (`.ci/deps` installs both).
//!
//! The test re-runs itself inside `dbus-run-session`, so the keyring daemon and its bus die
//! with it and never touch the user's own session.

use std::path::Path;
use std::process::{Command, Stdio};

use ringlet::store::{KeyLocation, SecretName, Store, StoreError};

const CHILD_MARKER: &str = "RINGLET_KEYRING_CHILD";

fn sip_account(store: &Store) {
    let account = ringlet::model::AccountInfo {
        id: ringlet::model::AccountId("sip-k".into()),
        name: "Keyring".into(),
        enabled: true,
        created_at: 0,
        registration: ringlet::model::RegistrationState::Offline,
        details: ringlet::model::AccountDetails::Sip(ringlet::model::SipAccountConfig {
            aor: "sip:k@example.org".into(),
            ..Default::default()
        }),
    };
    store.insert_account(&account).unwrap();
    store
        .set_secret("sip-k", SecretName::SipPassword, b"in the keyring")
        .unwrap();
}

fn inside_the_session(data: &Path) {
    // An unlocked login keyring with the secrets component, on this session's bus.
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon is installed (.ci/deps)");
    {
        use std::io::Write as _;
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(b"test-login-password").unwrap();
    }
    daemon.wait().unwrap();

    let store = Store::open(data, true).unwrap();
    assert!(
        matches!(store.key_location(), KeyLocation::Keyring(_)),
        "{}",
        store.key_location()
    );
    assert!(
        !data.join("secrets.key").exists(),
        "no key file when the keyring answers"
    );
    sip_account(&store);
    drop(store);
    let again = Store::open(data, true).unwrap();
    let secret = again
        .secret("sip-k", SecretName::SipPassword)
        .unwrap()
        .unwrap();
    assert_eq!(secret.as_slice(), b"in the keyring");
}

#[test]
fn secret_key_lives_in_the_os_keyring_when_one_answers() {
    if let Some(data) = std::env::var_os(CHILD_MARKER) {
        inside_the_session(Path::new(&data));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let runtime = tmp.path().join("run");
    let data = tmp.path().join("data");
    for dir in [&home, &runtime] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let status = Command::new("dbus-run-session")
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keyring::secret_key_lives_in_the_os_keyring_when_one_answers",
            "--nocapture",
        ])
        .env(CHILD_MARKER, &data)
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .status()
        .expect("dbus-run-session is installed (.ci/deps)");
    assert!(status.success(), "the run inside the D-Bus session failed");

    // Outside that session the keyring is gone: the store says where the key should be and
    // leaves the database alone.
    let db = std::fs::read(data.join("ringlet.db")).unwrap();
    let err = match Store::open(&data, true) {
        Err(err) => err,
        Ok(_) => panic!("opened without the keyring that holds the key"),
    };
    assert!(matches!(err, StoreError::SecretKey { .. }), "{err}");
    assert!(err.to_string().contains("OS keyring"), "{err}");
    assert_eq!(std::fs::read(data.join("ringlet.db")).unwrap(), db);
}
