//! Linking a new device to an account over the network with a one-time PIN, and renaming
//! it, between real `ringlet` processes on loopback through a real `ringlet node`.

use std::time::Duration;

use crate::common::p2p::{Pair, contact_state, messages, texts};
use crate::common::{Daemon, stdout_ok, wait_until};

fn device_names(daemon: &Daemon) -> Vec<String> {
    daemon.status()["accounts"][0]["details"]["devices"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|device| device["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "the test reports how long linking took"
)]
fn a_new_device_joins_by_pin_and_catches_up_while_a_wrong_or_used_pin_finds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = Pair::befriended(tmp.path(), None);
    let ((laptop, alice_id), (bob, bob_id)) = (&pair.alice, &pair.bob);
    stdout_ok(&laptop.ctl(&["message", "alice", bob_id, "before the phone"]));
    assert!(wait_until(Duration::from_secs(20), || {
        texts(&messages(bob, "bob", alice_id)) == ["before the phone"]
    }));

    // Someone with a PIN nobody offered looks at the same time, on a device of its own.
    let stranger_dir = tmp.path().join("stranger");
    let stranger = Daemon::start_with(&stranger_dir, &["--bootstrap", &pair.node.address]);
    let guess = {
        let dir = stranger_dir.clone();
        std::thread::spawn(move || {
            crate::common::ctl(&dir, &["account", "link", "23456-78923"], None)
        })
    };

    // A malformed PIN is refused at once, naming what is wrong.
    let phone_dir = tmp.path().join("phone");
    let phone = Daemon::start_with(&phone_dir, &["--bootstrap", &pair.node.address]);
    let malformed = phone.ctl(&["account", "link", "ABCD"]);
    assert!(!malformed.status.success());
    let said = String::from_utf8_lossy(&malformed.stderr);
    assert!(said.contains("10 letters and digits"), "{said}");

    let offer: serde_json::Value =
        serde_json::from_str(&stdout_ok(&laptop.ctl(&["account", "link-pin", "alice"]))).unwrap();
    let pin = offer["pin"].as_str().unwrap().to_owned();
    assert_eq!(pin.len(), 11, "{offer}");
    assert_eq!(offer["expires_in_s"], 600);

    // Typed in lower case: still the same PIN.
    let start = std::time::Instant::now();
    let joined = phone.ctl(&[
        "account",
        "link",
        &pin.to_lowercase(),
        "--device-name",
        "phone",
    ]);
    println!("linked in {:?}", start.elapsed());
    assert_eq!(&stdout_ok(&joined), alice_id);

    // The phone catches up with history and contacts, and the laptop lists it.
    let caught_up = wait_until(Duration::from_secs(30), || {
        texts(&messages(&phone, "alice", bob_id)) == ["before the phone"]
            && contact_state(&phone, "alice", bob_id).as_deref() == Some("confirmed")
    });
    assert!(caught_up, "{:?}", texts(&messages(&phone, "alice", bob_id)));
    assert!(wait_until(Duration::from_secs(20), || {
        device_names(laptop).iter().any(|name| name == "phone")
    }));
    stdout_ok(&phone.ctl(&["message", "alice", bob_id, "from the phone"]));
    assert!(wait_until(Duration::from_secs(20), || {
        texts(&messages(bob, "bob", alice_id)).contains(&"from the phone".to_owned())
            && texts(&messages(laptop, "alice", bob_id)).contains(&"from the phone".to_owned())
    }));

    // The phone renames itself; the laptop, connected to it, lists the new name.
    stdout_ok(&phone.ctl(&["account", "rename-device", "alice", "Zoe's phone"]));
    assert!(device_names(&phone).contains(&"Zoe's phone".to_owned()));
    let renamed = wait_until(Duration::from_secs(20), || {
        let names = device_names(laptop);
        names.contains(&"Zoe's phone".to_owned()) && !names.contains(&"phone".to_owned())
    });
    assert!(renamed, "{:?}", device_names(laptop));

    // A picture set on either device becomes the account's on both, and Bob sees the newest.
    let own_picture = |daemon: &Daemon| daemon.status()["accounts"][0]["picture"].clone();
    let picture_at_bob = || {
        crate::common::p2p::contacts(bob, "bob")
            .into_iter()
            .find(|contact| contact["uri"] == alice_id.as_str())
            .map(|contact| contact["picture"].clone())
            .unwrap_or_default()
    };
    for (daemon, shade) in [(laptop, 40u8), (&phone, 220u8)] {
        let file = tmp.path().join(format!("picture-{shade}.png"));
        image::RgbImage::from_fn(96, 96, |x, _| image::Rgb([shade, x as u8, 100]))
            .save(&file)
            .unwrap();
        let set: serde_json::Value = serde_json::from_str(&stdout_ok(&daemon.ctl(&[
            "account",
            "picture",
            "alice",
            &file.display().to_string(),
        ])))
        .unwrap();
        let hash = set["picture"].clone();
        let everywhere = wait_until(Duration::from_secs(20), || {
            own_picture(laptop) == hash && own_picture(&phone) == hash && picture_at_bob() == hash
        });
        assert!(
            everywhere,
            "{hash}: laptop {}, phone {}, Bob {}",
            own_picture(laptop),
            own_picture(&phone),
            picture_at_bob()
        );
    }

    // The PIN linked one device: the laptop withdrew its offer when the phone joined, so
    // the stranger, now holding the real PIN, is told so at once and gets no account.
    let start = std::time::Instant::now();
    let reused = stranger.ctl(&["account", "link", &pin]);
    assert!(
        !reused.status.success(),
        "a used PIN linked a second device"
    );
    let said = String::from_utf8_lossy(&reused.stderr);
    assert!(said.contains("already used"), "{said}");
    println!("a used PIN refused in {:?}", start.elapsed());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );

    let guessed = guess.join().unwrap();
    assert!(!guessed.status.success());
    let said = String::from_utf8_lossy(&guessed.stderr);
    assert!(
        said.contains("no device offered an account under this PIN"),
        "{said}"
    );
    assert!(
        stranger.status()["accounts"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "a wrong PIN adds no account"
    );
}
