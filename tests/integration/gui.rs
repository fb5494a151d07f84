//! The window's logic driven with egui_kittest against a real engine: clicks by label, then
//! what the user would see.

#![allow(
    clippy::disallowed_methods,
    reason = "tests drive real threads and bound their waits with the clock"
)]

use std::time::{Duration, Instant};

use crate::common::seed;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use ringlet::engine::{Engine, EngineConfig};
use ringlet::media::devices::AudioBackend;
use ringlet::model::{AccountDetails, SipTransport};
use ringlet::paths::Paths;
use ringlet::store::{SecretName, Store};
use ringlet::ui::RingletApp;

/// Frames a click needs to land: pointer move, press, release, and the re-layout a new grid asks for.
pub(super) const SETTLE_FRAMES: usize = 3;

pub(super) fn app(dir: &std::path::Path) -> RingletApp {
    app_with_bootstrap(dir, None)
}

/// The window's engine on `dir`, on loopback, bootstrapped by a node when given.
pub(super) fn app_with_bootstrap(dir: &std::path::Path, node: Option<&str>) -> RingletApp {
    let mut config = EngineConfig::new(Paths::in_dir(dir));
    config.p2p = ringlet::engine::P2pOptions::loopback();
    config.p2p.bootstrap = node
        .and_then(|address| address.parse().ok())
        .into_iter()
        .collect();
    config.use_keyring = false;
    config.audio = AudioBackend::Disabled;
    config.device_name = "test-device".into();
    let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {})).unwrap();
    RingletApp::new(engine, events, false)
}

pub(super) fn harness(app: RingletApp) -> Harness<'static, RingletApp> {
    Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .build_ui_state(|ui, app: &mut RingletApp| app.frame(ui), app)
}

/// Clicks the first widget labelled `label` and lets the frames run.
pub(super) fn click(harness: &mut Harness<'_, RingletApp>, label: &str) {
    harness
        .get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no widget labelled {label:?}"))
        .click();
    harness.run_steps(SETTLE_FRAMES);
}

/// Clicks the first button labelled `label` (a grid's row label may carry the same words).
pub(super) fn click_button(harness: &mut Harness<'_, RingletApp>, label: &str) {
    let is_button = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        matches!(node.role(), Role::Button | Role::CheckBox | Role::Switch)
            && node.label().as_deref() == Some(label)
    };
    // Scrolled into view first, as a person scrolls to a button below the fold.
    harness
        .get_all_by(is_button)
        .next()
        .unwrap_or_else(|| panic!("no button labelled {label:?}"))
        .scroll_to_me();
    harness.run_steps(SETTLE_FRAMES);
    harness.get_all_by(is_button).next().unwrap().click();
    harness.run_steps(SETTLE_FRAMES);
}

/// Clicks Hang up and waits until no call is left.
pub(super) fn hang_up(harness: &mut Harness<'_, RingletApp>) {
    click_button(harness, "Hang up");
    step_until(harness, "the calls to end", |h| {
        h.state().state.calls.is_empty()
    });
}

/// Types into the text or password field named `name`.
pub(super) fn type_into(harness: &mut Harness<'_, RingletApp>, name: &str, text: &str) {
    let is_field = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        matches!(
            node.role(),
            Role::TextInput | Role::MultilineTextInput | Role::PasswordInput
        ) && node.label().as_deref() == Some(name)
    };
    harness.get_by(is_field).focus();
    harness.step();
    harness.get_by(is_field).type_text(text);
    harness.run_steps(SETTLE_FRAMES);
}

/// Steps frames until `done` holds (the engine answers on its own threads).
pub(super) fn step_until(
    harness: &mut Harness<'_, RingletApp>,
    what: &str,
    done: impl Fn(&Harness<'_, RingletApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        harness.step();
        if done(harness) {
            harness.run_steps(SETTLE_FRAMES);
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

pub(super) fn started(harness: &mut Harness<'_, RingletApp>) {
    step_until(harness, "engine start", |h| h.state().state.engine_running);
}

/// Makes a P2P account named `name` through the wizard, as a new user does; returns it.
pub(super) fn wizard_creates_p2p_account(
    harness: &mut Harness<'_, RingletApp>,
    name: &str,
) -> ringlet::model::AccountInfo {
    click(harness, "Add account");
    click(harness, "Create a peer-to-peer account");
    type_into(harness, "Display name", name);
    click(harness, "Create account");
    step_until(harness, "the account", |h| {
        h.state().state.accounts.len() == 1
    });
    harness
        .state()
        .state
        .accounts
        .values()
        .next()
        .unwrap()
        .info
        .clone()
}

#[test]
fn wizard_creates_a_p2p_account_that_appears_in_the_sidebar() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    assert!(harness.query_by_label("No account yet.").is_some());

    let account = wizard_creates_p2p_account(&mut harness, "Alice");
    assert_eq!(account.name, "Alice");
    let AccountDetails::P2p { devices, .. } = &account.details else {
        panic!("not P2P")
    };
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "test-device");
    // In the sidebar (a selectable label), and the account page is open with its id.
    assert!(harness.query_all_by_label("Alice").count() >= 1);
    assert!(harness.query_by_label("No account yet.").is_none());
    assert!(harness.query_by_label(&account.id.0).is_some());
}

#[test]
fn wizard_adds_a_sip_account_with_its_password_sealed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    click(&mut harness, "Add account");
    click(&mut harness, "Add a SIP account");
    type_into(&mut harness, "Display name", "Office");
    type_into(&mut harness, "SIP address", "bob");
    type_into(&mut harness, "Registrar (optional)", "sip:pbx.example.org");
    type_into(&mut harness, "Password", "s3cret");
    click(&mut harness, "TCP");
    // Two widgets say "Add account": the sidebar's and the wizard's submit button (last).
    harness
        .get_all_by_label("Add account")
        .last()
        .unwrap()
        .click();
    harness.run_steps(SETTLE_FRAMES);
    // "bob" is not a SIP address: the wizard says so and sends nothing.
    assert!(
        harness
            .query_by_label("Enter an address such as sip:alice@example.org.")
            .is_some()
    );
    assert!(harness.state().state.accounts.is_empty());

    harness
        .get_by_role_and_label(Role::TextInput, "SIP address")
        .focus();
    harness.step();
    for _ in 0.."bob".len() {
        harness.key_press(egui::Key::Backspace);
        harness.step();
    }
    type_into(&mut harness, "SIP address", "sip:bob@pbx.example.org");
    harness
        .get_all_by_label("Add account")
        .last()
        .unwrap()
        .click();
    step_until(&mut harness, "the SIP account", |h| {
        h.state().state.accounts.len() == 1
    });

    let account = harness
        .state()
        .state
        .accounts
        .values()
        .next()
        .unwrap()
        .info
        .clone();
    let AccountDetails::Sip(config) = &account.details else {
        panic!("not SIP")
    };
    assert_eq!(config.aor, "sip:bob@pbx.example.org");
    assert_eq!(config.registrar.as_deref(), Some("sip:pbx.example.org"));
    assert_eq!(config.transport, SipTransport::Tcp);
    assert!(harness.query_all_by_label("Office").count() >= 1);

    let store = Store::open(tmp.path(), false).unwrap();
    let password = store
        .secret(&account.id.0, SecretName::SipPassword)
        .unwrap()
        .unwrap();
    assert_eq!(password.as_slice(), b"s3cret");
}

#[test]
fn switching_the_language_to_traditional_chinese_translates_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    click(&mut harness, "Settings");
    harness
        .get_by_role_and_label(Role::ComboBox, "Language")
        .click();
    harness.run_steps(SETTLE_FRAMES);
    click(&mut harness, "繁體中文");
    step_until(&mut harness, "the language change", |h| {
        h.state().state.settings.language == "zh-TW"
    });
    assert_eq!(harness.state().i18n().language(), "zh-TW");
    // The sidebar button and the page heading now read 設定; English is gone.
    assert!(harness.query_all_by_label("設定").count() >= 1);
    assert!(harness.query_by_label("新增帳號").is_some());
    assert!(harness.query_by_label("Settings").is_none());
    // The CJK fallback font is loaded: egui has glyphs for what it shows.
    let font = egui::FontId::proportional(14.0);
    assert!(
        harness
            .ctx
            .fonts_mut(|fonts| fonts.has_glyphs(&font, "設定新增帳號聯絡人"))
    );
    // And it was saved for the next start.
    let saved = std::fs::read_to_string(tmp.path().join("config.toml")).unwrap();
    assert!(saved.contains("zh-TW"), "{saved}");
}

#[test]
fn theme_choice_is_saved_and_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
    click(&mut harness, "Settings");
    click(&mut harness, "Light");
    step_until(&mut harness, "the theme change", |h| {
        h.state().state.settings.theme == ringlet::config::Theme::Light
    });
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);
}

#[test]
fn kiosk_mode_hides_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(Paths::in_dir(tmp.path()));
    config.p2p = ringlet::engine::P2pOptions::loopback();
    config.use_keyring = false;
    config.audio = AudioBackend::Disabled;
    let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {})).unwrap();
    let mut harness = harness(RingletApp::new(engine, events, true));
    started(&mut harness);
    assert!(harness.query_by_label("Settings").is_none());
    assert!(harness.query_by_label("About").is_some());
    // Even a page request for settings shows the welcome page instead.
    harness.state_mut().state.ui.page = Some(ringlet::ui::state::Page::Settings);
    harness.run_steps(SETTLE_FRAMES);
    assert!(harness.query_by_label("Language").is_none());
}

#[test]
fn a_kiosk_call_fits_1024_by_600_with_touch_sized_controls_auto_answer_shown_and_nothing_editable()
{
    let tmp = tempfile::tempdir().unwrap();
    Store::open(tmp.path(), false)
        .unwrap()
        .insert_account(&sip_account("Desk", 16040, true))
        .unwrap();
    let mut config = EngineConfig::new(Paths::in_dir(tmp.path()));
    config.p2p = ringlet::engine::P2pOptions::loopback();
    config.use_keyring = false;
    config.audio = AudioBackend::Disabled;
    let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {})).unwrap();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1024.0, 600.0))
        .build_ui_state(
            |ui, app: &mut RingletApp| app.frame(ui),
            RingletApp::new(engine, events, true),
        );
    started(&mut harness);
    step_until(&mut harness, "the account listening", |h| {
        h.state()
            .state
            .account_ready(&ringlet::model::AccountId("sip-desk".into()))
    });
    // The room's account answers by itself, and says so.
    assert!(harness.query_by_label("Auto-answer").is_some());

    let caller = crate::common::Daemon::start(&tmp.path().join("caller"));
    caller.add_sip("Far", "sip:far@127.0.0.1:16041", "127.0.0.1:16041", &[]);
    crate::common::stdout_ok(&caller.ctl(&["call", "Far", "sip:desk@127.0.0.1:16040"]));
    step_until(&mut harness, "the call answered by itself", |h| {
        h.state()
            .state
            .calls
            .values()
            .any(|call| call.state == ringlet::model::CallState::Active)
    });
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1024.0, 600.0));
    assert_eq!(harness.ctx.pixels_per_point(), 1.0, "points are pixels");
    // Every button a finger may need is at least 48 pixels high, and the ones of the call
    // are on the screen.
    let mut buttons = 0;
    for node in harness.get_all_by(|node| node.role() == Role::Button) {
        let rect = node.rect();
        assert!(
            rect.height() >= 47.5,
            "{:?} is {} px high",
            node.accesskit_node().label(),
            rect.height()
        );
        buttons += 1;
    }
    assert!(buttons >= 5, "only {buttons} buttons");
    for label in ["Hang up", "Mute", "Hold", "Keypad"] {
        let node = harness.get_by_label(label);
        assert!(
            screen.contains_rect(node.rect()),
            "{label} at {:?}",
            node.rect()
        );
    }
    // Nothing about the setup can be changed here.
    for label in ["Settings", "Add account"] {
        assert!(harness.query_by_label(label).is_none(), "{label} shown");
    }
    click(&mut harness, "Desk");
    assert!(harness.query_by_label("SIP settings").is_none());
    assert!(harness.query_by_label("Delete account").is_none());
    assert!(
        harness
            .get_by_label("Rename")
            .accesskit_node()
            .is_disabled()
    );
    hang_up(&mut harness);
}

#[test]
fn sidebar_lists_stored_contacts_and_conversations_and_search_filters_them() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        let account = seed::sip_account(&store, "sip-test", "Office", "sip:me@example.org", true);
        store
            .upsert_contact(&account, "sip:carol@example.org", "Carol", 1)
            .unwrap();
        store
            .upsert_contact(&account, "sip:dave@example.org", "Dave", 2)
            .unwrap();
        seed::sip_conversation(
            &store,
            &account,
            ("c1", "Carol", "sip:carol@example.org"),
            &[("see you at nine", false)],
        );
    }
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    assert_eq!(harness.state().state.contacts.len(), 2);
    let conversation = harness
        .state()
        .state
        .conversations
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        conversation.last_message.as_deref(),
        Some("see you at nine")
    );
    // The conversation is listed first, by its contact's name; the contacts on their tab.
    assert!(harness.query_by_label("Carol").is_some());
    click(&mut harness, "Contacts");
    assert!(harness.query_by_label("Carol").is_some());
    assert!(harness.query_by_label("Dave").is_some());

    type_into(&mut harness, "Search contacts and messages", "car");
    assert!(harness.query_all_by_label("Carol").next().is_some());
    assert!(harness.query_by_label("Dave").is_none());
    assert!(
        harness.query_by_label("Office").is_some(),
        "the accounts stay while searching"
    );
}

#[test]
fn a_conversation_shows_its_stored_history_and_searches_within_it() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        let account = seed::sip_account(&store, "sip-test", "Office", "sip:me@example.org", true);
        seed::sip_conversation(
            &store,
            &account,
            ("c1", "Carol", "sip:carol@example.org"),
            &[
                ("see you at nine", false),
                ("lunch tomorrow?", true),
                ("nine is fine", true),
            ],
        );
        // Another conversation with the same word: a search within c1 does not find it.
        seed::sip_conversation(
            &store,
            &account,
            ("c2", "Dave", "sip:dave@example.org"),
            &[("nine o'clock at the station", false)],
        );
    }
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    let c1 = ringlet::model::ConversationId("c1".into());
    harness.state_mut().state.ui.selection =
        ringlet::ui::state::Selection::Conversation(c1.clone());
    // Opening it reads its history from the store: every message, oldest first.
    step_until(&mut harness, "the stored history", |h| {
        h.state()
            .state
            .conversations
            .get(&c1)
            .is_some_and(|conversation| conversation.messages.len() == 3)
    });
    let shown: Vec<(String, bool)> = harness
        .state()
        .state
        .conversations
        .get(&c1)
        .unwrap()
        .messages
        .iter()
        .map(|message| (message.text.clone(), message.outgoing))
        .collect();
    assert_eq!(
        shown,
        [
            ("see you at nine".to_owned(), false),
            ("lunch tomorrow?".to_owned(), true),
            ("nine is fine".to_owned(), true),
        ]
    );
    assert!(harness.query_by_label("lunch tomorrow?").is_some());

    // A search within it finds its two messages with the word, not Dave's.
    type_into(&mut harness, "Search this conversation", "nine");
    step_until(&mut harness, "the search's answer", |h| {
        h.query_by_label("2 messages found").is_some()
    });
    assert!(harness.query_by_label("see you at nine").is_some());
    assert!(harness.query_by_label("nine is fine").is_some());
    assert!(harness.query_by_label("lunch tomorrow?").is_none());
    assert!(
        harness
            .query_by_label("nine o'clock at the station")
            .is_none()
    );

    type_into(&mut harness, "Search this conversation", "zzz");
    step_until(&mut harness, "an empty answer", |h| {
        h.query_by_label("Nothing found.").is_some()
    });
}

#[test]
fn an_incoming_sip_call_rings_in_the_window_and_is_answered_by_a_click() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), false).unwrap();
        store
            .insert_account(&ringlet::model::AccountInfo {
                id: ringlet::model::AccountId("sip-desk".into()),
                name: "Desk".into(),
                enabled: true,
                created_at: 0,
                registration: ringlet::model::RegistrationState::Offline,
                details: AccountDetails::Sip(ringlet::model::SipAccountConfig {
                    aor: "sip:desk@127.0.0.1".into(),
                    listen: Some("127.0.0.1:15290".into()),
                    ..Default::default()
                }),
            })
            .unwrap();
    }
    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    step_until(&mut harness, "the account to listen", |h| {
        h.state().state.accounts.values().any(|account| {
            account.info.registration == ringlet::model::RegistrationState::Registered
        })
    });
    // sipp's built-in caller: one call, hung up by sipp 100 ms after the answer.
    let mut caller = std::process::Command::new("sipp")
        .args([
            "-nostdin",
            "-sn",
            "uac",
            "127.0.0.1:15290",
            "-i",
            "127.0.0.1",
            "-p",
            "15291",
        ])
        .args(["-m", "1", "-d", "100", "-timeout", "30s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sipp is installed (.ci/deps)");
    step_until(&mut harness, "the incoming call", |h| {
        !h.state().state.calls.is_empty()
    });
    // The incoming-call dialog names the caller.
    let dialog_text = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        node.label()
            .or_else(|| node.value())
            .is_some_and(|text| text.contains("sip:sipp@127.0.0.1") && text.ends_with("is calling"))
    };
    assert!(harness.get_all_by(dialog_text).next().is_some());
    click(&mut harness, "Answer");
    step_until(&mut harness, "the call to end", |h| {
        h.state().state.calls.is_empty()
    });
    assert!(caller.wait().unwrap().success(), "sipp saw the call fail");
}

pub(super) fn sip_account(name: &str, port: u16, auto_answer: bool) -> ringlet::model::AccountInfo {
    ringlet::model::AccountInfo {
        id: ringlet::model::AccountId(format!("sip-{}", name.to_lowercase())),
        name: name.into(),
        enabled: true,
        created_at: 0,
        registration: ringlet::model::RegistrationState::Offline,
        details: AccountDetails::Sip(ringlet::model::SipAccountConfig {
            aor: format!("sip:{}@127.0.0.1:{port}", name.to_lowercase()),
            listen: Some(format!("127.0.0.1:{port}")),
            auto_answer,
            ..Default::default()
        }),
    }
}

/// A store in `dir` with Alice (calling) and Bob (answering by himself) as SIP accounts on
/// `port` and `port + 1`.
fn alice_and_bob(dir: &std::path::Path, port: u16) -> Store {
    let store = Store::open(dir, false).unwrap();
    store
        .insert_account(&sip_account("Alice", port, false))
        .unwrap();
    store
        .insert_account(&sip_account("Bob", port + 1, true))
        .unwrap();
    store
}

/// The window on `dir`, once both of its SIP accounts listen.
fn listening(dir: &std::path::Path) -> Harness<'static, RingletApp> {
    let mut harness = harness(app(dir));
    started(&mut harness);
    step_until(&mut harness, "both accounts to listen", |h| {
        h.state().state.accounts.values().all(|account| {
            account.info.registration == ringlet::model::RegistrationState::Registered
        })
    });
    harness
}

#[test]
fn a_contact_is_called_with_its_call_button_in_the_sidebar() {
    let tmp = tempfile::tempdir().unwrap();
    {
        alice_and_bob(tmp.path(), 15298)
            .upsert_contact(
                &ringlet::model::AccountId("sip-alice".into()),
                "sip:bob@127.0.0.1:15299",
                "Bob Builder",
                0,
            )
            .unwrap();
    }
    let mut harness = listening(tmp.path());
    // The contact's row offers Call; one click rings Bob, who answers by himself.
    click(&mut harness, "Contacts");
    step_until(&mut harness, "the contact's Call button", |h| {
        h.query_by_label("Call").is_some()
    });
    assert!(harness.query_by_label_contains("Bob Builder").is_some());
    click_button(&mut harness, "Call");
    step_until(&mut harness, "both legs up", |h| {
        let calls = &h.state().state.calls;
        calls.len() == 2
            && calls
                .values()
                .all(|call| call.state == ringlet::model::CallState::Active)
    });
    let placed = harness
        .state()
        .state
        .calls
        .values()
        .find(|call| call.outgoing)
        .cloned()
        .unwrap();
    assert_eq!(placed.peer, "sip:bob@127.0.0.1:15299");
    assert_eq!(placed.account.0, "sip-alice");
    hang_up(&mut harness);
}

#[test]
fn a_call_is_held_resumed_and_keyed_and_a_chat_is_sent_from_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    alice_and_bob(tmp.path(), 15294);
    let mut harness = listening(tmp.path());
    click(&mut harness, "Alice");
    type_into(&mut harness, "sip:name@host", "sip:bob@127.0.0.1:15295");
    click_button(&mut harness, "Call");
    harness.run_steps(5);
    step_until(&mut harness, "both legs up", |h| {
        let calls = &h.state().state.calls;
        calls.len() == 2
            && calls
                .values()
                .all(|call| call.state == ringlet::model::CallState::Active)
    });
    // The leg answered here (Bob's) came to the front, over the whole main area; Alice's
    // leg is a bar above it.
    let (near, far) = {
        let state = &harness.state().state;
        let near = state.ui.call_in_front.expect("a call in front");
        let far = state
            .calls
            .iter()
            .map(|(id, _)| *id)
            .find(|id| *id != near)
            .unwrap();
        (near, far)
    };
    let call = |h: &Harness<'_, RingletApp>, id| h.state().state.calls.get(&id).cloned().unwrap();
    assert!(!call(&harness, near).outgoing && call(&harness, far).outgoing);
    assert!(harness.query_by_label("Show call").is_some());

    // Hold from the call in front: the other leg shows the peer's hold once brought to the
    // front by its bar; back again, Resume.
    click_button(&mut harness, "Hold");
    step_until(&mut harness, "the hold", |h| {
        call(h, near).state == ringlet::model::CallState::Held && call(h, far).held_remotely
    });
    click_button(&mut harness, "Show call");
    assert_eq!(harness.state().state.ui.call_in_front, Some(far));
    assert!(
        harness
            .query_by_label("On hold by the other side")
            .is_some()
    );
    click_button(&mut harness, "Show call");
    assert_eq!(harness.state().state.ui.call_in_front, Some(near));
    click_button(&mut harness, "Resume");
    step_until(&mut harness, "the resume", |h| {
        call(h, near).state == ringlet::model::CallState::Active && !call(h, far).held_remotely
    });

    // The keypad sends DTMF (RFC 4733 in the call's audio between the two accounts),
    // echoed where it was keyed and shown where it arrived.
    click_button(&mut harness, "Keypad");
    click_button(&mut harness, "5");
    click_button(&mut harness, "#");
    step_until(&mut harness, "the digits", |h| {
        call(h, far).dtmf_received == "5#"
    });
    assert!(harness.query_by_label("Digits sent: 5#").is_some());
    click_button(&mut harness, "Show call");
    assert!(harness.query_by_label("Digits received: 5#").is_some());

    // Audio controls of Alice's leg, now in front: mute, record (with its indicator), the
    // figures and their plot.
    let first = move |h: &Harness<'_, RingletApp>| call(h, far);
    step_until(&mut harness, "audio figures", |h| first(h).media.is_some());
    click_button(&mut harness, "Mute");
    step_until(&mut harness, "mute", |h| first(h).muted);
    assert!(harness.query_by_label("Unmute").is_some());
    click_button(&mut harness, "Unmute");
    step_until(&mut harness, "unmute", |h| !first(h).muted);
    click_button(&mut harness, "Record");
    step_until(&mut harness, "recording", |h| first(h).recording.is_some());
    assert!(harness.query_by_label("● Recording").is_some());
    click_button(&mut harness, "Stop recording");
    step_until(&mut harness, "recording stopped", |h| {
        first(h).recording.is_none()
    });
    click_button(&mut harness, "Statistics");
    step_until(&mut harness, "two points of statistics", |h| {
        first(h).history.len() >= 2
    });
    assert!(
        harness
            .query_all_by_label_contains("unencrypted")
            .next()
            .is_some(),
        "the codec and SRTP state are shown"
    );

    // Message in the call view opens the conversation with the peer (the call steps back
    // to its bar), and a chat from there reaches Bob's conversation.
    click_button(&mut harness, "Message");
    assert_eq!(harness.state().state.ui.call_in_front, None);
    type_into(&mut harness, "Write a message", "hello from the window");
    click_button(&mut harness, "Send");
    step_until(&mut harness, "the message at Bob", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation.account.0 == "sip-bob"
                && conversation
                    .messages
                    .iter()
                    .any(|message| !message.outgoing && message.text == "hello from the window")
        })
    });
    hang_up(&mut harness);
}

#[test]
fn an_incoming_p2p_contact_request_is_answered_from_the_sidebar() {
    use ringlet::engine::{Command, Event, RequestId};
    let tmp = tempfile::tempdir().unwrap();
    // A P2P account made by an engine, and a request from Zoe waiting in its store.
    let account = {
        let mut config = EngineConfig::new(Paths::in_dir(tmp.path()));
        config.p2p = ringlet::engine::P2pOptions::loopback();
        config.use_keyring = false;
        config.audio = AudioBackend::Disabled;
        let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {})).unwrap();
        let request = RequestId::next();
        engine.send(Command::CreateP2pAccount {
            request,
            name: "Me".into(),
            device_name: None,
        });
        let id = loop {
            if let Event::AccountAdded {
                request: Some(r),
                account,
            } = events.recv_timeout(Duration::from_secs(20)).unwrap()
                && r == request
            {
                break account.id;
            }
        };
        engine.send(Command::Shutdown);
        while events.recv_timeout(Duration::from_secs(20)).unwrap() != Event::Stopped {}
        id
    };
    let zoe = "0123456789abcdef0123456789abcdef01234567";
    Store::open(tmp.path(), false)
        .unwrap()
        .set_contact_state(
            &account,
            zoe,
            Some("Zoe"),
            ringlet::model::ContactState::Incoming,
            1,
        )
        .unwrap();

    let mut harness = harness(app(tmp.path()));
    started(&mut harness);
    click(&mut harness, "Contacts");
    step_until(&mut harness, "the request in the sidebar", |h| {
        h.query_by_label("Contact requests").is_some() && h.query_by_label("Zoe").is_some()
    });
    click_button(&mut harness, "Block");
    step_until(&mut harness, "the engine's answer", |h| {
        h.state()
            .state
            .contacts
            .values()
            .any(|contact| contact.uri == zoe && contact.state == "blocked")
    });
    assert!(harness.query_by_label("Contact requests").is_none());
}

/// A window state holding one P2P account, "Me", with these devices.
fn p2p_account_state(
    account: &ringlet::model::AccountId,
    devices: Vec<ringlet::model::DeviceInfo>,
) -> ringlet::ui::AppState {
    let mut state = ringlet::ui::AppState::default();
    ringlet::ui::apply(
        &mut state,
        ringlet::engine::Event::AccountAdded {
            request: None,
            account: ringlet::model::AccountInfo {
                id: account.clone(),
                name: "Me".into(),
                enabled: true,
                created_at: 0,
                registration: ringlet::model::RegistrationState::Registered,
                details: AccountDetails::P2p {
                    devices,
                    auto_answer: false,
                    stun: Vec::new(),
                },
            },
        },
    );
    state
}

#[test]
fn a_file_offered_in_a_p2p_chat_shows_its_progress_and_is_accepted_by_a_click() {
    use egui_kittest::kittest::NodeT as _;
    use ringlet::engine::{Command, Event};
    use ringlet::i18n::I18n;
    use ringlet::model::{AccountId, ConversationId, ConversationInfo, TransferInfo};
    use ringlet::ui::{AppState, apply};

    let account = AccountId("me".into());
    let zoe = "0123456789abcdef0123456789abcdef01234567";
    let root = "ab".repeat(32);
    let conversation = ConversationId(ringlet::store::p2p_conversation_id(&account, &root));
    let mut state = p2p_account_state(&account, vec![]);
    // Zoe's messages: a file's (its commit is the file's id), then a text.
    let from_zoe = |text: &str, at: i64, commit: &str| Event::MessageAdded {
        conversation: ConversationInfo {
            id: conversation.clone(),
            account: account.clone(),
            title: "Zoe".into(),
            last_message: None,
            peer: Some(zoe.into()),
            last_activity_ms: at,
            unread: 0,
        },
        peer: zoe.into(),
        text: text.into(),
        outgoing: false,
        sent_at_ms: at,
        commit: Some(commit.into()),
    };
    apply(&mut state, from_zoe("holiday.mkv (100.0 MiB)", 1, "f1"));
    apply(&mut state, from_zoe("it's the long one", 2, "m2"));
    let transfer = |id: &str, name: &str, state: &str, done: u64| TransferInfo {
        id: id.into(),
        account: account.clone(),
        conversation: root.clone(),
        outgoing: false,
        name: name.into(),
        size: 100 << 20,
        bytes_done: done,
        state: ringlet::model::TransferState::parse(state).expect("a transfer state"),
        path: String::new(),
        resumed_from: if done > 0 { 30 << 20 } else { 0 },
        error: None,
    };
    for row in [
        transfer("f1", "holiday.mkv", "offered", 0),
        transfer("f2", "slides.pdf", "accepted", 40 << 20),
    ] {
        apply(&mut state, Event::TransferUpdated { transfer: row });
    }
    let tr = I18n::new("en-US");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(700.0, 600.0))
        .build_ui_state(
            |ui, (state, commands): &mut (AppState, Vec<Command>)| {
                commands.extend(ringlet::ui::views::chat::show(
                    ui,
                    state,
                    &tr,
                    &conversation,
                ));
            },
            (state, Vec::new()),
        );
    harness.run();
    assert!(harness.query_by_label("slides.pdf").is_some());
    assert!(harness.query_by_label("Offered").is_some());
    // The offered file's card stands in the timeline in place of its message, before the
    // next message; the other file, whose message is not among those shown, above it.
    let top = |label: &str| harness.get_by_label(label).rect().top();
    assert!(top("slides.pdf") < top("holiday.mkv"));
    assert!(top("holiday.mkv") < top("it's the long one"));
    assert!(harness.query_by_label("holiday.mkv (100.0 MiB)").is_none());
    assert!(harness.query_by_label("Receiving").is_some());
    // The second file's bar: 40 %, resumed at 30 %.
    let progress = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        let text = format!("{:?} {:?}", node.label(), node.value());
        text.contains("40 %") && text.contains("resumed at 30 %")
    };
    assert!(
        harness.query_all_by(progress).next().is_some(),
        "the progress of slides.pdf is shown: {:#?}",
        harness
            .query_all_by(|_| true)
            .map(|node| format!(
                "{:?} {:?}",
                node.accesskit_node().label(),
                node.accesskit_node().value()
            ))
            .collect::<Vec<_>>()
    );
    // Only the offered file has Accept / Decline.
    assert_eq!(harness.get_all_by_label("Accept").count(), 1);
    harness.get_by_label("Accept").click();
    harness.run();
    let (_, commands) = harness.state();
    assert!(
        commands.iter().any(|command| matches!(
            command,
            Command::AnswerFile { file, accept: true, .. } if file == "f1"
        )),
        "{commands:?}"
    );
    // The attach button opens the picker for this contact (the window draws it).
    harness.get_by_label("Attach a file").click();
    harness.run();
    let (state, _) = harness.state();
    assert_eq!(
        state
            .ui
            .file_picker
            .as_ref()
            .map(|picker| picker.purpose.clone()),
        Some(ringlet::ui::state::PickPurpose::SendFile {
            account: account.clone(),
            peer: zoe.into()
        })
    );
}

#[test]
fn the_account_page_shows_a_qr_code_and_revokes_another_device_after_a_confirming_click() {
    use ringlet::engine::Command;
    use ringlet::i18n::I18n;
    use ringlet::model::{AccountId, DeviceInfo};
    use ringlet::ui::AppState;

    let account = AccountId("0123456789abcdef0123456789abcdef01234567".into());
    let device = |id: &str, name: &str, local: bool| DeviceInfo {
        device_id: id.into(),
        name: name.into(),
        local,
        certified_at: 0,
    };
    let state = p2p_account_state(
        &account,
        vec![
            device("12D3KooWlaptop", "laptop", true),
            device("12D3KooWphone", "old phone", false),
        ],
    );
    let tr = I18n::new("en-US");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 900.0))
        .build_ui_state(
            |ui, (state, commands): &mut (AppState, Vec<Command>)| {
                commands.extend(ringlet::ui::views::account::show(ui, state, &tr, &account));
            },
            (state, Vec::new()),
        );
    harness.run();
    let qr = format!("QR code: {}", account.0);
    assert!(
        harness.query_by_label(&qr).is_some(),
        "the account id as a QR code"
    );
    // Only the other device can be revoked, and only after confirming.
    assert_eq!(harness.get_all_by_label("Revoke").count(), 1);
    harness.get_by_label("Revoke").click();
    harness.run();
    assert!(
        !harness
            .state()
            .1
            .iter()
            .any(|command| matches!(command, Command::RevokeDevice { .. })),
        "nothing revoked before the confirmation"
    );
    harness.get_by_label("Revoke for good").click();
    harness.run();
    assert!(
        harness.state().1.iter().any(|command| matches!(
            command,
            Command::RevokeDevice { device, .. } if device == "12D3KooWphone"
        )),
        "{:?}",
        harness.state().1
    );

    // This device is renamed from its row.
    harness.get_by_label("New name of this device").focus();
    harness.step();
    harness
        .get_by_label("New name of this device")
        .type_text("work laptop");
    harness.run();
    harness.get_by_label("Rename device").click();
    harness.run();
    assert!(
        harness.state().1.iter().any(|command| matches!(
            command,
            Command::RenameDevice { name, .. } if name == "work laptop"
        )),
        "{:?}",
        harness.state().1
    );

    // A new device is linked with a PIN: asked for, then shown large.
    harness.get_by_label("Link a new device with a PIN").click();
    harness.run();
    let request = harness
        .state()
        .1
        .iter()
        .find_map(|command| match command {
            Command::OfferLink { request, .. } => Some(*request),
            _ => None,
        })
        .expect("a PIN asked for");
    ringlet::ui::apply(
        &mut harness.state_mut().0,
        ringlet::engine::Event::Answer {
            request,
            value: serde_json::json!({"pin": "K7QX2-MPA9R", "expires_in_s": 600}),
        },
    );
    harness.run();
    assert!(harness.query_by_label("K7QX2-MPA9R").is_some());
    assert!(
        harness
            .query_by_label("Link a new device with a PIN")
            .is_none()
    );
}

#[test]
fn the_wizard_joins_an_account_by_pin() {
    use ringlet::engine::Command;
    use ringlet::i18n::I18n;
    use ringlet::ui::AppState;

    let tr = I18n::new("en-US");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(700.0, 600.0))
        .build_ui_state(
            |ui, (state, commands): &mut (AppState, Vec<Command>)| {
                commands.extend(ringlet::ui::views::wizard::show(ui, state, &tr));
            },
            (AppState::default(), Vec::new()),
        );
    harness.run();
    harness.get_by_label("Join with a PIN").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "PIN")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "PIN")
        .type_text("k7qx2-mpa9r");
    harness.run();
    harness.get_by_label("Join").click();
    // A spinner turns while the wizard waits: a few frames, not `run`.
    harness.run_steps(4);
    let (state, commands) = harness.state();
    assert!(
        commands.iter().any(|command| matches!(
            command,
            Command::LinkDevice { pin, .. } if pin.0 == "k7qx2-mpa9r"
        )),
        "{commands:?}"
    );
    assert!(
        state.ui.wizard.pending.is_some(),
        "the wizard waits for the answer"
    );
    assert!(
        harness
            .query_by_label("Looking for the account offered under this PIN…")
            .is_some()
    );
}

#[test]
fn groups_are_listed_joined_managed_and_made_from_the_account_page() {
    use ringlet::engine::{Command, Event, GroupAction};
    use ringlet::i18n::I18n;
    use ringlet::model::{AccountId, ContactId, ContactInfo};
    use ringlet::ui::{AppState, apply};

    let me = AccountId("0123456789abcdef0123456789abcdef01234567".into());
    let zoe = "1111111111111111111111111111111111111111";
    let yann = "2222222222222222222222222222222222222222";
    let mut state = p2p_account_state(&me, Vec::new());
    for (n, (uri, name)) in [(zoe, "Zoe"), (yann, "Yann")].into_iter().enumerate() {
        apply(
            &mut state,
            Event::ContactAdded {
                request: None,
                contact: ContactInfo {
                    id: ContactId(n as i64 + 1),
                    account: me.clone(),
                    uri: uri.into(),
                    display_name: name.into(),
                    state: ringlet::model::ContactState::Confirmed,
                },
            },
        );
    }
    let tr = I18n::new("en-US");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 1400.0))
        .build_ui_state(
            |ui, (state, commands): &mut (AppState, Vec<Command>)| {
                commands.extend(ringlet::ui::views::account::show(ui, state, &tr, &me));
            },
            (state, Vec::new()),
        );
    harness.run();
    // The page asks for the account's conversations once, and lists the groups answered.
    let asked: Vec<_> = harness
        .state()
        .1
        .iter()
        .filter_map(|command| match command {
            Command::Conversations { request, .. } => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{:?}", harness.state().1);
    let answer = serde_json::json!([
        {"id": "aa", "kind": "group", "title": "Team", "admin": me.0,
         "members": [me.0, zoe], "joined": [me.0]},
        {"id": "bb", "kind": "group", "title": "Book club", "admin": zoe,
         "members": [zoe, me.0], "joined": [zoe]},
        {"id": "cc", "kind": "one-to-one", "title": "", "admin": me.0,
         "members": [me.0, yann], "joined": [me.0, yann]},
    ]);
    apply(
        &mut harness.state_mut().0,
        Event::Answer {
            request: asked[0],
            value: answer,
        },
    );
    harness.state_mut().1.clear();
    harness.run();
    assert!(harness.query_by_label("Team").is_some());
    assert!(harness.query_by_label("Book club").is_some());
    assert!(harness.query_by_label("Zoe · not joined yet").is_some());
    assert!(harness.query_by_label("Zoe · admin").is_some());
    // Only the group we administer offers to remove its other member.
    assert_eq!(harness.get_all_by_label("Remove").count(), 1);
    harness.get_by_label("Remove").click();
    harness.run();
    harness.get_by_label("Join").click();
    harness.run();
    // A new group with Yann.
    harness
        .get_by_role_and_label(Role::TextInput, "Title of a new group")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Title of a new group")
        .type_text("Trip");
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, "Yann")
        .click();
    harness.run();
    harness.get_by_label("Create group").click();
    harness.run();
    let actions: Vec<GroupAction> = harness
        .state()
        .1
        .iter()
        .filter_map(|command| match command {
            Command::Group { action, .. } => Some(action.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        [
            GroupAction::Remove("aa".into(), zoe.into()),
            GroupAction::Join("bb".into()),
            GroupAction::Create {
                title: "Trip".into(),
                members: vec![yann.into()],
            },
        ]
    );
    // Each change is followed by a fresh list.
    assert!(
        harness
            .state()
            .1
            .iter()
            .any(|command| matches!(command, Command::Conversations { .. }))
    );
}

/// A window whose P2P account (Alice, made by a daemon on its directory) has Bob as a
/// confirmed contact, named `contact_name` if given; Bob is a daemon playing an 880 Hz tone.
/// Returns with Bob's Call button shown in the Contacts tab.
pub(super) struct WindowWithBob {
    pub(super) _node: crate::common::p2p::Node,
    pub(super) bob: crate::common::Daemon,
    pub(super) bob_id: String,
    pub(super) harness: Harness<'static, RingletApp>,
}

pub(super) fn window_with_bob(dir: &std::path::Path, contact_name: Option<&str>) -> WindowWithBob {
    use crate::common::p2p::{Node, add_p2p_account, befriend_named};
    let node = Node::start(&dir.join("node"));
    let bootstrap = ["--bootstrap", node.address.as_str()];
    let window_dir = dir.join("window");
    let bob = crate::common::audio::ringlet_with_tone_and(&dir.join("bob"), 880.0, &bootstrap);
    let bob_id = add_p2p_account(&bob, "Bob");
    {
        let alice = crate::common::Daemon::start_with(&window_dir, &bootstrap);
        let alice_id = add_p2p_account(&alice, "Alice");
        befriend_named(
            (&alice, "Alice", &alice_id),
            (&bob, "Bob", &bob_id),
            contact_name,
        );
        crate::common::stdout_ok(&alice.ctl(&["shutdown"]));
    }
    let mut harness = harness(app_with_bootstrap(&window_dir, Some(&node.address)));
    started(&mut harness);
    click(&mut harness, "Contacts");
    step_until(&mut harness, "Bob's Call button", |h| {
        h.query_by_label("Call").is_some()
    });
    WindowWithBob {
        _node: node,
        bob,
        bob_id,
        harness,
    }
}

/// Steps the window until `bob`'s daemon has a call ringing; true if it does within 20 s.
pub(super) fn bob_rings(
    harness: &mut Harness<'_, RingletApp>,
    bob: &crate::common::Daemon,
) -> bool {
    crate::common::wait_until(Duration::from_secs(20), || {
        harness.step();
        crate::common::calls(bob)
            .first()
            .is_some_and(|call| call["state"] == "incoming")
    })
}

#[test]
fn a_p2p_contact_is_called_from_the_window_and_the_call_says_it_is_end_to_end_encrypted() {
    let tmp = tempfile::tempdir().unwrap();
    // Alice's account is made, and Bob befriended, by a daemon on the window's directory.
    let WindowWithBob {
        _node,
        bob,
        bob_id,
        mut harness,
    } = window_with_bob(tmp.path(), None);
    click_button(&mut harness, "Call");
    assert!(bob_rings(&mut harness, &bob), "Bob's device did not ring");
    let at_bob = crate::common::calls(&bob)[0]["id"].to_string();
    crate::common::stdout_ok(&bob.ctl(&["answer", &at_bob]));
    step_until(&mut harness, "the call up on its direct UDP path", |h| {
        h.state().state.calls.values().any(|call| {
            call.state == ringlet::model::CallState::Active
                && call
                    .path
                    .as_ref()
                    .is_some_and(|(_, path)| *path == ringlet::model::MediaPath::UdpDirect)
        })
    });
    assert!(
        harness
            .query_by_label("End-to-end encrypted · udp-direct")
            .is_some(),
        "the call view says how the call travels"
    );
    // Named as the contact is, else as Bob's account names itself (its profile, which came
    // with its device list), else by the start of its account id.
    let state = &harness.state().state;
    let profile = state
        .profiles
        .iter()
        .find(|((_, peer), _)| *peer == bob_id)
        .map(|(_, name)| name.clone());
    let name = state
        .contacts
        .values()
        .find(|contact| contact.uri == bob_id)
        .map(|contact| contact.display_name.clone())
        .filter(|name| !name.is_empty())
        .or(profile)
        .unwrap_or_else(|| format!("{}…", &bob_id[..12]));
    assert!(
        harness.query_all_by_label(&name).next().is_some(),
        "nothing named {name:?}"
    );
    hang_up(&mut harness);
    assert!(crate::common::wait_until(Duration::from_secs(10), || {
        crate::common::calls(&bob).is_empty()
    }));
}
