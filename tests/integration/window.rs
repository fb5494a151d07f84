//! The real window under a private Xvfb server with Mesa's software GL: it starts, draws,
//! and a screenshot of it is saved (wizard and settings, English and Chinese) for people to
//! look at, under `$CARGO_TARGET_TMPDIR/screenshots`.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{ringlet, wait_until};

/// An Xvfb server on a display it picked itself, killed when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x700x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (.ci/deps installs it)");
        let mut number = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut number)
            .expect("Xvfb prints its display number");
        Xvfb {
            child,
            display: format!(":{}", number.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Number of distinct colours in a PNG (ImageMagick), to tell a drawn window from a blank one.
fn colour_count(png: &Path) -> usize {
    let output = Command::new("convert")
        .arg(png)
        .args(["-format", "%k", "info:"])
        .output()
        .expect("ImageMagick convert");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Opens the window on `page` in `language`, waits for its first frame and saves a
/// screenshot; returns its path.
fn shoot(language: &str, page: &str) -> PathBuf {
    let tmp = tempfile::tempdir().unwrap();
    shoot_in(
        tmp.path(),
        language,
        &["--show", page],
        &format!("{page}-{language}"),
        || {},
    )
}

/// Starts the window on `dir` with `args`, runs `before_shot` once it drew, and takes a
/// screenshot named `name`.
fn shoot_in(
    dir: &Path,
    language: &str,
    args: &[&str],
    name: &str,
    before_shot: impl FnOnce(),
) -> PathBuf {
    shoot_in_with_env(dir, language, args, &[], name, |_| before_shot())
}

/// As [`shoot_in`], with more environment for the window (a private D-Bus session, …);
/// `before_shot` is given the X display.
fn shoot_in_with_env(
    dir: &Path,
    language: &str,
    args: &[&str],
    env: &[(&str, &str)],
    name: &str,
    before_shot: impl FnOnce(&str),
) -> PathBuf {
    std::fs::write(
        dir.join("config.toml"),
        format!("language = \"{language}\"\n"),
    )
    .unwrap();
    let xvfb = Xvfb::start();
    let mut app = ringlet(dir)
        .args(["--audio", "none"])
        .args(args)
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("RINGLET_REPORT_FIRST_FRAME", "1")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = app.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if line.starts_with("first-frame-unix-ns") {
                tx.send(()).ok();
            }
            line.clear();
        }
        // Drain anything left so the child never blocks on a full pipe.
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).ok();
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the window drew its first frame");
    before_shot(&xvfb.display);
    let png = screenshot_dir().join(format!("{name}.png"));
    // The first frame is reported before it is on screen: shoot until the window shows.
    let drawn = wait_until(Duration::from_secs(30), || {
        Command::new("import")
            .args(["-display", &xvfb.display, "-window", "root"])
            .arg(&png)
            .status()
            .is_ok_and(|status| status.success())
            && colour_count(&png) > 16
    });
    app.kill().ok();
    app.wait().ok();
    assert!(
        drawn,
        "the window never showed drawn content ({})",
        png.display()
    );
    png
}

#[test]
fn real_window_draws_wizard_and_settings_in_english_and_chinese() {
    for (language, page) in [
        ("en-US", "wizard"),
        ("en-US", "settings"),
        ("zh-TW", "wizard"),
        ("zh-TW", "settings"),
    ] {
        let png = shoot(language, page);
        println!("screenshot: {}", png.display());
    }
}

#[test]
fn real_window_shows_an_incoming_call_dialog() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = ringlet::store::Store::open(tmp.path(), false).unwrap();
        store
            .insert_account(&ringlet::model::AccountInfo {
                id: ringlet::model::AccountId("sip-desk".into()),
                name: "Desk".into(),
                enabled: true,
                created_at: 0,
                registration: ringlet::model::RegistrationState::Offline,
                details: ringlet::model::AccountDetails::Sip(ringlet::model::SipAccountConfig {
                    aor: "sip:desk@127.0.0.1".into(),
                    listen: Some("127.0.0.1:15890".into()),
                    ..Default::default()
                }),
            })
            .unwrap();
    }
    let mut caller = None;
    let trace = tmp.path().join("sipp-messages.log");
    let png = shoot_in(tmp.path(), "en-US", &[], "incoming-call-en-US", || {
        // sipp calls and waits (it never gets an answer here); the dialog rings meanwhile.
        caller = Some(
            Command::new("sipp")
                .args([
                    "-nostdin",
                    "-sn",
                    "uac",
                    "127.0.0.1:15890",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    "15891",
                ])
                .args(["-m", "1", "-timeout", "20s", "-trace_msg", "-message_file"])
                .arg(&trace)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("sipp is installed (.ci/deps)"),
        );
        // The window's account rings: its 180 reached sipp.
        let rang = wait_until(Duration::from_secs(15), || {
            std::fs::read_to_string(&trace).is_ok_and(|text| text.contains("SIP/2.0 180"))
        });
        assert!(rang, "no 180 Ringing from the window's account");
    });
    if let Some(mut caller) = caller {
        caller.kill().ok();
        caller.wait().ok();
    }
    println!("screenshot: {}", png.display());
}

#[test]
fn real_window_shows_a_call_with_its_audio_controls_and_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let window_dir = tmp.path().join("window");
    std::fs::create_dir_all(&window_dir).unwrap();
    {
        let store = ringlet::store::Store::open(&window_dir, false).unwrap();
        store
            .insert_account(&ringlet::model::AccountInfo {
                id: ringlet::model::AccountId("sip-desk".into()),
                name: "Desk".into(),
                enabled: true,
                created_at: 0,
                registration: ringlet::model::RegistrationState::Offline,
                details: ringlet::model::AccountDetails::Sip(ringlet::model::SipAccountConfig {
                    aor: "sip:desk@127.0.0.1".into(),
                    listen: Some("127.0.0.1:15892".into()),
                    auto_answer: true,
                    ..Default::default()
                }),
            })
            .unwrap();
    }
    let caller =
        crate::common::Daemon::start_with(&tmp.path().join("caller"), &["--audio-in", "tone:1000"]);
    caller.add_sip(
        "caller",
        "sip:caller@127.0.0.1:15893",
        "127.0.0.1:15893",
        &["--codecs", "opus"],
    );
    let png = shoot_in(
        &window_dir,
        "en-US",
        &["--audio-in", "tone:440"],
        "call-audio-en-US",
        || {
            crate::common::stdout_ok(&caller.ctl(&["call", "caller", "sip:desk@127.0.0.1:15892"]));
            // Let a few seconds of figures arrive.
            let up = wait_until(Duration::from_secs(10), || {
                crate::common::calls(&caller).first().is_some_and(|call| {
                    call["media"]["packets_received"].as_u64().unwrap_or(0) > 100
                })
            });
            assert!(up, "{:#?}", crate::common::calls(&caller));
            std::thread::sleep(Duration::from_secs(2));
        },
    );
    println!("screenshot: {}", png.display());
}

#[test]
fn real_window_shows_a_p2p_account_page_with_its_qr_code_and_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("window");
    // A P2P account made by a headless daemon on the same data directory, then stopped.
    {
        let daemon = crate::common::Daemon::start(&dir);
        crate::common::stdout_ok(&daemon.ctl(&[
            "account",
            "add-p2p",
            "--name",
            "Zoe",
            "--device-name",
            "desk",
        ]));
        crate::common::stdout_ok(&daemon.ctl(&["shutdown"]));
    }
    let png = shoot_in(
        &dir,
        "zh-CN",
        &["--show", "account"],
        "p2p-account-zh-CN",
        || std::thread::sleep(Duration::from_secs(2)),
    );
    println!("screenshot: {}", png.display());
}

#[test]
fn real_window_shows_a_conversation_with_its_stored_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("window");
    std::fs::create_dir_all(&dir).unwrap();
    {
        let store = ringlet::store::Store::open(&dir, false).unwrap();
        let account = crate::common::seed::sip_account(
            &store,
            "sip-desk",
            "Desk",
            "sip:me@example.org",
            false,
        );
        crate::common::seed::sip_conversation(
            &store,
            &account,
            ("c1", "Carol", "sip:carol@example.org"),
            &[
                ("明天早上九点见？", false),
                ("好的，九点在车站 https://example.org/map", true),
                ("see you at nine", false),
            ],
        );
    }
    // Read from the store when the window opens the conversation (a restart shows it all).
    let png = shoot_in(
        &dir,
        "zh-CN",
        &["--show", "conversation"],
        "conversation-zh-CN",
        || std::thread::sleep(Duration::from_secs(2)),
    );
    println!("screenshot: {}", png.display());
}

#[test]
fn a_second_ringlet_with_a_sip_uri_hands_it_to_the_running_window_which_calls_and_serves_ctl() {
    let tmp = tempfile::tempdir().unwrap();
    let window_dir = tmp.path().join("window");
    std::fs::create_dir_all(&window_dir).unwrap();
    ringlet::store::Store::open(&window_dir, false)
        .unwrap()
        .insert_account(&super::gui::sip_account("Desk", 16030, false))
        .unwrap();
    // Bob, a headless engine, is who the link names.
    let bob = crate::common::Daemon::start(&tmp.path().join("bob"));
    bob.add_sip("Bob", "sip:bob@127.0.0.1:16031", "127.0.0.1:16031", &[]);
    let png = shoot_in(&window_dir, "en-US", &[], "opened-uri-en-US", || {
        // A link clicked in a browser: a second `ringlet URI` on the same data directory.
        let second = ringlet(&window_dir)
            .arg("sip:bob@127.0.0.1:16031")
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            second.status.success(),
            "{}",
            String::from_utf8_lossy(&second.stderr)
        );
        // The running window placed the call: it rings at Bob's.
        let rang = wait_until(Duration::from_secs(20), || {
            crate::common::calls(&bob)
                .first()
                .is_some_and(|call| call["state"] == "incoming")
        });
        assert!(rang, "the window did not call Bob");
        // The window serves the control socket as --headless does: a script sees the call.
        let status = crate::common::ctl(&window_dir, &["status"], None);
        let status: serde_json::Value =
            serde_json::from_str(&crate::common::stdout_ok(&status)).unwrap();
        let calls = status["calls"].as_array().cloned().unwrap_or_default();
        assert!(
            calls.iter().any(|call| call["peer"]
                .as_str()
                .unwrap_or("")
                .contains("bob@127.0.0.1")),
            "{status:#}"
        );
        // A link Ringlet does not open is refused by the second process itself.
        let refused = ringlet(&window_dir)
            .arg("http://example.org")
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("is not a sip:"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    });
    println!("screenshot: {}", png.display());
}

#[test]
fn the_tray_icon_asks_for_attention_on_a_call_sets_do_not_disturb_and_keeps_the_window_when_closed()
{
    use super::desktop::{PrivateBus, logged};
    let tmp = tempfile::tempdir().unwrap();
    let mut bus = PrivateBus::start(tmp.path());
    // A fake StatusNotifierWatcher with a tray host, as a desktop panel has.
    let watcher_log = tmp.path().join("watcher.log");
    bus.mock(
        &[
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            "org.kde.StatusNotifierWatcher",
        ],
        &watcher_log,
        "org.kde.StatusNotifierWatcher",
    );
    let mock = |method: &str, args: &[&str]| {
        bus.gdbus(
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            &format!("org.freedesktop.DBus.Mock.{method}"),
            args,
        )
    };
    for name in ["RegisterStatusNotifierItem", "RegisterStatusNotifierHost"] {
        mock("AddMethod", &["", name, "s", "", ""]);
    }
    let interface = "org.kde.StatusNotifierWatcher";
    mock(
        "AddProperty",
        &[interface, "IsStatusNotifierHostRegistered", "<true>"],
    );
    mock("AddProperty", &[interface, "ProtocolVersion", "<int32 0>"]);
    mock(
        "AddProperty",
        &[interface, "RegisteredStatusNotifierItems", "<@as []>"],
    );

    let window_dir = tmp.path().join("window");
    std::fs::create_dir_all(&window_dir).unwrap();
    ringlet::store::Store::open(&window_dir, false)
        .unwrap()
        .insert_account(&super::gui::sip_account("Desk", 16080, false))
        .unwrap();
    let trace = tmp.path().join("sipp-messages.log");
    let mut caller = None;
    let address = bus.address.clone();
    let png = shoot_in_with_env(
        &window_dir,
        "en-US",
        &[],
        &[("DBUS_SESSION_BUS_ADDRESS", address.as_str())],
        "tray-attention-en-US",
        |display| {
            // The item registers under its own bus name.
            let mut item = None;
            let registered = wait_until(Duration::from_secs(20), || {
                item = logged(&watcher_log)
                    .iter()
                    .find(|line| line.contains("RegisterStatusNotifierItem"))
                    .and_then(|line| line.split('"').nth(1).map(str::to_owned));
                item.is_some()
            });
            assert!(registered, "{:#?}", logged(&watcher_log));
            let item = item.unwrap();
            let property = |name: &str| {
                bus.gdbus(
                    &item,
                    "/StatusNotifierItem",
                    "org.freedesktop.DBus.Properties.Get",
                    &["org.kde.StatusNotifierItem", name],
                )
            };
            assert!(
                property("Status").contains("'Active'"),
                "{}",
                property("Status")
            );
            assert!(property("Id").contains("net.ringlet.Ringlet"));

            // A call rings: the item asks for attention.
            caller = Some(
                Command::new("sipp")
                    .args(["-nostdin", "-sn", "uac", "127.0.0.1:16080"])
                    .args([
                        "-i",
                        "127.0.0.1",
                        "-p",
                        "16081",
                        "-m",
                        "1",
                        "-timeout",
                        "30s",
                    ])
                    .args(["-trace_msg", "-message_file"])
                    .arg(&trace)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("sipp is installed (.ci/deps)"),
            );
            let attention = wait_until(Duration::from_secs(20), || {
                property("Status").contains("'NeedsAttention'")
            });
            assert!(attention, "{}", property("Status"));

            // Do not disturb, from the tray's menu (its second item): saved, and the ringing
            // call no longer asks for attention.
            bus.gdbus(
                &item,
                "/MenuBar",
                "com.canonical.dbusmenu.Event",
                &["2", "clicked", "<int32 0>", "0"],
            );
            let quiet = wait_until(Duration::from_secs(10), || {
                std::fs::read_to_string(window_dir.join("config.toml"))
                    .is_ok_and(|text| text.contains("do_not_disturb = true"))
            });
            assert!(quiet, "do-not-disturb was not saved");
            let calm = wait_until(Duration::from_secs(10), || {
                property("Status").contains("'Active'")
            });
            assert!(calm, "{}", property("Status"));

            // Closing the window (a window manager's close button) hides it in the tray;
            // the engine goes on (the call still rings); Show brings the window back.
            let x = crate::common::x11::Display::open(display);
            let window = x.window("Ringlet").expect("the window on the display");
            assert!(x.is_shown(window));
            x.request_close(window);
            let hidden = wait_until(Duration::from_secs(10), || !x.is_shown(window));
            assert!(hidden, "the window did not hide on close");
            assert!(
                property("Status").contains("'Active'"),
                "the tray item is still there"
            );
            bus.gdbus(
                &item,
                "/MenuBar",
                "com.canonical.dbusmenu.Event",
                &["1", "clicked", "<int32 0>", "0"],
            );
            let shown = wait_until(Duration::from_secs(10), || x.is_shown(window));
            assert!(shown, "Show did not bring the window back");
        },
    );
    if let Some(mut caller) = caller {
        caller.kill().ok();
        caller.wait().ok();
    }
    println!("screenshot: {}", png.display());
}
