//! The engine driven in-process, as the window drives it: commands in, events out, and the
//! waker called after events but never while idle.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::Receiver;
use ringlet::config::Theme;
use ringlet::engine::{Command, Engine, EngineConfig, EngineHandle, Event, RequestId};
use ringlet::media::devices::AudioBackend;
use ringlet::paths::Paths;

fn start(
    dir: &std::path::Path,
    audio: AudioBackend,
) -> (EngineHandle, Receiver<Event>, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    let mut config = EngineConfig::new(Paths::in_dir(dir));
    config.p2p = ringlet::engine::P2pOptions::loopback();
    config.use_keyring = false;
    config.audio = audio;
    let (engine, events) = Engine::start(
        config,
        Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    )
    .unwrap();
    (engine, events, wakes)
}

/// The next event matching `want`, skipping others, within 20 s.
fn next(events: &Receiver<Event>, want: impl Fn(&Event) -> bool) -> Event {
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(20))
            .expect("an event in time");
        if want(&event) {
            return event;
        }
    }
}

#[test]
fn engine_lists_audio_devices_found_by_cpal() {
    let tmp = tempfile::tempdir().unwrap();
    let (_engine, events, _) = start(tmp.path(), AudioBackend::System);
    let event = next(&events, |event| matches!(event, Event::AudioDevices { .. }));
    let Event::AudioDevices { inputs, outputs } = event else {
        unreachable!()
    };
    // Whatever this machine has (CI has no sound card), names are real and unique.
    for list in [&inputs, &outputs] {
        assert!(list.iter().all(|name| !name.is_empty()));
        let mut unique = list.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), list.len());
    }
}

#[test]
fn waker_runs_after_events_and_never_while_idle() {
    let tmp = tempfile::tempdir().unwrap();
    let (engine, events, wakes) = start(tmp.path(), AudioBackend::Disabled);
    // The audio thread and the command loop report independently: wait for both.
    let (mut started, mut devices) = (false, false);
    while !(started && devices) {
        match next(&events, |_| true) {
            Event::Started { .. } => started = true,
            Event::AudioDevices { .. } => devices = true,
            _ => {}
        }
    }
    // The waker runs just after each event is queued, so it may trail the receiver a
    // little: wait (bounded) for it to catch up.
    let caught_up = |count: usize| {
        (0..200).any(|_| {
            let done = wakes.load(Ordering::SeqCst) >= count;
            if !done {
                std::thread::sleep(Duration::from_millis(5));
            }
            done
        })
    };
    assert!(caught_up(2));
    let after_start = wakes.load(Ordering::SeqCst);
    // Idle: nothing happens, so nothing wakes the window.
    assert!(events.recv_timeout(Duration::from_millis(500)).is_err());
    assert_eq!(wakes.load(Ordering::SeqCst), after_start);

    let request = RequestId::next();
    engine.send(Command::CreateP2pAccount {
        request,
        name: "Idle test".into(),
        device_name: None,
    });
    next(
        &events,
        |event| matches!(event, Event::AccountAdded { request: Some(r), .. } if *r == request),
    );
    // The account's P2P network comes up and says so (trying, then online); after that,
    // nothing happens, so nothing wakes the window.
    next(&events, |event| {
        matches!(event, Event::AccountChanged { account }
            if account.registration == ringlet::model::RegistrationState::Registered)
    });
    let settled = wakes.load(Ordering::SeqCst);
    assert!(settled > after_start);
    assert!(events.recv_timeout(Duration::from_millis(500)).is_err());
    assert_eq!(wakes.load(Ordering::SeqCst), settled);
}

#[test]
fn settings_changes_are_saved_and_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let (engine, events, _) = start(tmp.path(), AudioBackend::Disabled);
        let Event::Started { mut settings, .. } =
            next(&events, |event| matches!(event, Event::Started { .. }))
        else {
            unreachable!()
        };
        settings.language = "de".into();
        settings.theme = Theme::Light;
        settings.audio_input = Some("USB Headset".into());
        settings.ringtone = Some("/usr/share/sounds/ring.flac".into());
        engine.send(Command::UpdateSettings(settings.clone()));
        let changed = next(&events, |event| {
            matches!(event, Event::SettingsChanged { .. })
        });
        assert_eq!(changed, Event::SettingsChanged { settings });
        engine.send(Command::Shutdown);
        next(&events, |event| *event == Event::Stopped);
    }
    let (_engine, events, _) = start(tmp.path(), AudioBackend::Disabled);
    let Event::Started { settings, .. } =
        next(&events, |event| matches!(event, Event::Started { .. }))
    else {
        unreachable!()
    };
    assert_eq!(settings.language, "de");
    assert_eq!(settings.theme, Theme::Light);
    assert_eq!(settings.audio_input.as_deref(), Some("USB Headset"));
}

#[test]
fn bad_commands_fail_with_a_reason_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (engine, events, _) = start(tmp.path(), AudioBackend::Disabled);
    next(&events, |event| matches!(event, Event::Started { .. }));
    for command in [
        Command::CreateP2pAccount {
            request: RequestId::next(),
            name: "   ".into(),
            device_name: None,
        },
        Command::AddSipAccount {
            request: RequestId::next(),
            name: "x".into(),
            config: ringlet::model::SipAccountConfig {
                aor: "mailto:bob@example.org".into(),
                ..Default::default()
            },
            password: None,
        },
    ] {
        engine.send(command);
        let Event::Failed { request, error, .. } =
            next(&events, |event| matches!(event, Event::Failed { .. }))
        else {
            unreachable!()
        };
        assert!(request.is_some());
        assert!(!error.is_empty());
    }
    engine.send(Command::RenameAccount {
        account: ringlet::model::AccountId("nope".into()),
        name: "x".into(),
    });
    let Event::Failed { error, problem, .. } =
        next(&events, |event| matches!(event, Event::Failed { .. }))
    else {
        unreachable!()
    };
    // No such account: a problem the window says in its language.
    assert_eq!(
        problem.map(|problem| problem.code),
        Some("problem-no-account".to_owned())
    );
    assert!(error.contains("nope"), "{error}");
}
