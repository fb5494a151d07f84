//! Whole journeys through the window, as a person makes them, against real engines: the
//! window's own and a headless daemon on the other side, met through a `ringlet node`.
//! Each click is on a control found by its accessible name; each check is on what the other
//! side received or on what the window shows.

#![allow(
    clippy::disallowed_methods,
    reason = "tests drive real threads and bound their waits with the clock"
)]

use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use ringlet::model::{CallState, ContactState};

use super::gui::{
    WindowWithBob, app_with_bootstrap, bob_rings, click, click_button, hang_up, harness, started,
    step_until, type_into, window_with_bob,
};
use crate::common::p2p::{Node, add_p2p_account, contact_state, messages};
use crate::common::{Daemon, calls, seed, stdout_ok, wait_until};

/// Bob's message with this text, as his daemon lists it.
fn bob_message(bob: &Daemon, bob_account: &str, alice: &str, text: &str) -> serde_json::Value {
    messages(bob, bob_account, alice)
        .into_iter()
        .find(|message| message["body"] == text)
        .unwrap_or_default()
}

#[test]
fn a_new_user_adds_a_contact_by_id_and_they_chat_both_ways_with_read_receipts() {
    let tmp = tempfile::tempdir().unwrap();
    let node = Node::start(&tmp.path().join("node"));
    let bob = Daemon::start_with(&tmp.path().join("bob"), &["--bootstrap", &node.address]);
    let bob_id = add_p2p_account(&bob, "Bob");

    // A new user: the wizard makes a P2P account.
    let mut harness = harness(app_with_bootstrap(
        &tmp.path().join("window"),
        Some(&node.address),
    ));
    started(&mut harness);
    let alice_id = super::gui::wizard_creates_p2p_account(&mut harness, "Alice")
        .id
        .0;

    // Adds Bob by his id from the Contacts tab.
    click(&mut harness, "Contacts");
    click_button(&mut harness, "＋ Add contact");
    type_into(&mut harness, "Contact address", &bob_id);
    type_into(&mut harness, "Name (optional)", "Bob");
    click_button(&mut harness, "Add");
    step_until(&mut harness, "the request sent", |h| {
        h.state()
            .state
            .contacts
            .values()
            .any(|contact| contact.uri == bob_id && contact.state == ContactState::Requested)
    });
    assert!(
        harness.query_by_label("Contact address").is_none(),
        "the box closed"
    );
    let asked = wait_until(Duration::from_secs(20), || {
        harness.step();
        contact_state(&bob, "Bob", &alice_id).as_deref() == Some("incoming")
    });
    assert!(asked, "Bob's daemon got no request");

    // Bob accepts; the window shows him as a contact.
    stdout_ok(&bob.ctl(&["contact", "accept", "Bob", &alice_id]));
    step_until(&mut harness, "Bob confirmed", |h| {
        h.state()
            .state
            .contacts
            .values()
            .any(|contact| contact.uri == bob_id && contact.state == ContactState::Confirmed)
    });

    // Bob writes; the conversation shows one unread message until it is opened, and
    // opening it sends Bob a read receipt.
    stdout_ok(&bob.ctl(&["message", "Bob", &alice_id, "Hi Alice, welcome!"]));
    step_until(&mut harness, "Bob's message, unread", |h| {
        h.state()
            .state
            .conversations
            .values()
            .any(|conversation| conversation.unread == 1)
    });
    click(&mut harness, "Conversations");
    click(&mut harness, "Bob");
    let read = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_message(&bob, "Bob", &alice_id, "Hi Alice, welcome!")["receipt"] == "read"
    });
    assert!(read, "Bob's message was never marked read at Bob");
    assert!(
        harness
            .state()
            .state
            .conversations
            .values()
            .all(|conversation| conversation.unread == 0)
    );
    assert!(harness.query_by_label_contains("welcome").is_some());

    // Alice answers from the composer; Bob gets it, reads it, and her bubble says so.
    type_into(&mut harness, "Write a message", "Thanks Bob!");
    click_button(&mut harness, "Send");
    let arrived = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_message(&bob, "Bob", &alice_id, "Thanks Bob!") != serde_json::Value::Null
    });
    assert!(arrived, "Bob did not get Alice's reply");
    stdout_ok(&bob.ctl(&["read", "Bob", &alice_id]));
    step_until(&mut harness, "the read receipt on Alice's bubble", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation
                .messages
                .iter()
                .any(|message| message.text == "Thanks Bob!" && message.receipt == "read")
        })
    });
    assert!(harness.query_by_label_contains("· read").is_some());

    // Alice edits her message from its menu (right click): the composer takes its text,
    // Save sends the edit, and Bob's copy changes.
    harness.get_by_label("Thanks Bob!").click_secondary();
    harness.run_steps(super::gui::SETTLE_FRAMES);
    click_button(&mut harness, "Edit");
    assert_eq!(harness.state().state.ui.chat_draft, "Thanks Bob!");
    type_into(&mut harness, "Write a message", " (edited)");
    click_button(&mut harness, "Save");
    let edited = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_message(&bob, "Bob", &alice_id, "Thanks Bob! (edited)") != serde_json::Value::Null
    });
    assert!(
        edited,
        "Bob never saw the edit: {:#?}",
        messages(&bob, "Bob", &alice_id)
    );
    step_until(&mut harness, "the edit in Alice's bubble", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation
                .messages
                .iter()
                .any(|message| message.text == "Thanks Bob! (edited)")
        })
    });
    // Then deletes it for everyone: Bob's copy is gone, Alice's bubble says so.
    harness
        .get_by_label("Thanks Bob! (edited)")
        .click_secondary();
    harness.run_steps(super::gui::SETTLE_FRAMES);
    click_button(&mut harness, "Delete for everyone");
    let deleted = wait_until(Duration::from_secs(20), || {
        harness.step();
        messages(&bob, "Bob", &alice_id)
            .iter()
            .any(|message| message["state"] == "deleted" && message["body"] == "")
    });
    assert!(deleted, "{:#?}", messages(&bob, "Bob", &alice_id));
    step_until(&mut harness, "the deleted bubble", |h| {
        h.query_by_label("(deleted)").is_some()
    });

    // An emoji from the composer's picker: it goes into the draft, and to Bob.
    click_button(&mut harness, "Emoji");
    click_button(&mut harness, "👍");
    assert_eq!(harness.state().state.ui.chat_draft, "👍");
    assert!(!harness.state().state.ui.emoji_open, "the picker closed");
    type_into(&mut harness, "Write a message", " see you");
    click_button(&mut harness, "Send");
    let arrived = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_message(&bob, "Bob", &alice_id, "👍 see you") != serde_json::Value::Null
    });
    assert!(arrived, "{:#?}", messages(&bob, "Bob", &alice_id));

    // Alice registers a name on her account page; Bob's daemon finds her by it.
    click(&mut harness, "Alice");
    type_into(&mut harness, "Registered name", "alice.journey");
    click_button(&mut harness, "Register");
    step_until(&mut harness, "the name registered", |h| {
        h.state().state.ui.account_form.registered_name.as_deref() == Some("alice.journey")
    });
    let found = stdout_ok(&bob.ctl(&["name", "lookup", "Bob", "alice.journey"]));
    assert!(found.contains(&alice_id), "{found}");

    // And names a STUN server of her own: a wrong one is said at once and cannot be saved.
    type_into(&mut harness, "STUN servers", "bad:port");
    assert!(
        harness
            .query_by_label("bad:port is not a server address (HOST:PORT or HOST).")
            .is_some()
    );
    // (The field emptied, as select-all and delete would.)
    harness.state_mut().state.ui.account_form.stun = Some(String::new());
    type_into(&mut harness, "STUN servers", "127.0.0.1:3479");
    click_button(&mut harness, "Save");
    step_until(&mut harness, "the STUN server kept by the account", |h| {
        h.state().state.accounts.values().any(|account| {
            matches!(
                &account.info.details,
                ringlet::model::AccountDetails::P2p { stun, .. } if stun == &["127.0.0.1:3479"]
            )
        })
    });
}

#[test]
fn a_declined_call_shows_its_reason_is_listed_in_recent_calls_and_is_called_back() {
    let tmp = tempfile::tempdir().unwrap();
    let WindowWithBob {
        _node,
        bob,
        bob_id,
        mut harness,
    } = window_with_bob(tmp.path(), Some("Bob"));
    click_button(&mut harness, "Call");
    assert!(bob_rings(&mut harness, &bob), "Bob's device did not ring");
    let at_bob = calls(&bob)[0]["id"].to_string();
    stdout_ok(&bob.ctl(&["reject", &at_bob]));

    // The window says whose call ended and why, and lists it under Recent calls.
    step_until(&mut harness, "the end of the call", |h| {
        h.state().state.calls.is_empty() && !h.state().state.ui.ended_calls.is_empty()
    });
    assert!(
        harness.query_by_label("Call with Bob ended").is_some(),
        "{:?}",
        harness.state().state.ui.ended_calls
    );
    assert!(harness.query_by_label("Declined").is_some());
    click(&mut harness, "Calls");
    step_until(&mut harness, "the call in Recent calls", |h| {
        h.state()
            .state
            .recent_calls
            .first()
            .is_some_and(|record| record.peer == bob_id && record.end_reason == "declined")
    });
    assert!(harness.query_by_label("Bob").is_some());

    // Call back (the card's, then the list's button reads the same) rings Bob again, and this
    // time he answers.
    click(&mut harness, "Dismiss");
    click_button(&mut harness, "Call back");
    assert!(
        bob_rings(&mut harness, &bob),
        "calling back did not ring Bob"
    );
    let at_bob = calls(&bob)[0]["id"].to_string();
    stdout_ok(&bob.ctl(&["answer", &at_bob]));
    step_until(&mut harness, "the call back up", |h| {
        h.state()
            .state
            .calls
            .values()
            .any(|call| call.state == CallState::Active && call.peer == bob_id)
    });
    hang_up(&mut harness);
    step_until(&mut harness, "two calls in Recent calls", |h| {
        h.state().state.recent_calls.len() == 2
    });
}

#[test]
fn the_sidebar_search_finds_a_message_by_a_word_in_it_and_opens_its_conversation() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = ringlet::store::Store::open(tmp.path(), false).unwrap();
        let account = seed::sip_account(&store, "sip-test", "Office", "sip:me@example.org", true);
        seed::sip_conversation(
            &store,
            &account,
            ("c1", "Carol", "sip:carol@example.org"),
            &[
                ("the blue kettle is on the shelf", false),
                ("thanks", true),
                ("see you at nine", false),
            ],
        );
        seed::sip_conversation(
            &store,
            &account,
            ("c2", "Dave", "sip:dave@example.org"),
            &[("lunch?", false)],
        );
    }
    let mut harness = harness(super::gui::app(tmp.path()));
    started(&mut harness);
    type_into(&mut harness, "Search contacts and messages", "kettle");
    step_until(&mut harness, "the message found", |h| {
        h.state()
            .state
            .ui
            .search_found
            .as_ref()
            .is_some_and(|(text, found)| {
                text == "kettle"
                    && found.len() == 1
                    && found[0].body == "the blue kettle is on the shelf"
            })
    });
    // Listed under Messages by its conversation; Dave's is not listed at all.
    assert!(harness.query_by_label("Messages").is_some());
    assert!(harness.query_by_label("Dave").is_none());
    click(&mut harness, "Carol");
    assert_eq!(
        harness.state().state.ui.selection,
        ringlet::ui::state::Selection::Conversation(ringlet::model::ConversationId("c1".into()))
    );
}

#[test]
fn a_reply_to_a_sip_message_reaches_the_peer_and_a_failed_one_is_marked_on_its_bubble() {
    use crate::common::baresip::Baresip;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("window");
    std::fs::create_dir_all(&dir).unwrap();
    ringlet::store::Store::open(&dir, false)
        .unwrap()
        .insert_account(&super::gui::sip_account("Desk", 16480, false))
        .unwrap();
    let mut baresip = Baresip::start(
        &tmp.path().join("baresip"),
        "bb",
        16490,
        "sip:desk@127.0.0.1:16480",
        "",
    );
    let mut harness = harness(super::gui::app(&dir));
    started(&mut harness);
    step_until(&mut harness, "the account listening", |h| {
        h.state().state.accounts.values().all(|account| {
            account.info.registration == ringlet::model::RegistrationState::Registered
        })
    });

    // baresip writes; its conversation appears, unread, and is opened.
    let sent = baresip.command("message", "hello desk");
    assert_eq!(sent["ok"], true, "{sent:#}");
    step_until(&mut harness, "baresip's message", |h| {
        h.state()
            .state
            .conversations
            .values()
            .any(|conversation| conversation.unread == 1)
    });
    // Unread in the store too, so that a restart still shows it.
    let stored_unread = || {
        ringlet::store::Store::open(&dir, false)
            .unwrap()
            .conversations()
            .unwrap()
            .iter()
            .map(|conversation| conversation.unread)
            .sum::<u32>()
    };
    assert_eq!(stored_unread(), 1);
    let title = harness
        .state()
        .state
        .conversations
        .values()
        .next()
        .unwrap()
        .title
        .clone();
    click(&mut harness, &title);
    type_into(&mut harness, "Write a message", "hello bb, from the window");
    click_button(&mut harness, "Send");
    let heard = wait_until(Duration::from_secs(20), || {
        harness.step();
        baresip.console().contains("hello bb, from the window")
    });
    assert!(heard, "{}", baresip.log_text());
    step_until(&mut harness, "the reply marked delivered", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation.messages.iter().any(|message| {
                message.text == "hello bb, from the window" && message.receipt == "delivered"
            })
        })
    });
    // Read in the window, read in the store.
    assert_eq!(stored_unread(), 0);

    // A message to a host that does not exist fails on its bubble, with Retry, and no banner.
    click(&mut harness, "Desk");
    type_into(&mut harness, "sip:name@host", "sip:nobody@unknown.invalid");
    click_button(&mut harness, "Message");
    type_into(&mut harness, "Write a message", "anyone there?");
    click_button(&mut harness, "Send");
    step_until(&mut harness, "the failure on the bubble", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation
                .messages
                .iter()
                .any(|message| message.text == "anyone there?" && message.receipt == "failed")
        })
    });
    assert!(harness.query_by_label("Retry").is_some());
    assert!(
        harness
            .state()
            .state
            .ui
            .errors
            .iter()
            .map(|error| error.say(&ringlet::i18n::I18n::new("en-US")))
            .all(|error| !error.contains("not delivered") && !error.contains("unknown.invalid")),
        "{:?}",
        harness.state().state.ui.errors
    );
}

/// Makes a SIP account named `name` through the wizard with these fields typed (by their
/// labels); returns it once the engine stored it.
fn wizard_adds_sip_account(
    harness: &mut egui_kittest::Harness<'_, ringlet::ui::RingletApp>,
    name: &str,
    fields: &[(&str, &str)],
) -> ringlet::model::AccountInfo {
    use egui::accesskit::Role;
    click(harness, "Add account");
    click(harness, "Add a SIP account");
    type_into(harness, "Display name", name);
    for (label, text) in fields {
        type_into(harness, label, text);
    }
    // The wizard's own submit button, not the sidebar's "Add account" above it.
    harness
        .get_all_by(|node| {
            node.role() == Role::Button && node.label().as_deref() == Some("Add account")
        })
        .last()
        .unwrap()
        .click();
    step_until(harness, "the SIP account", |h| {
        h.state()
            .state
            .accounts
            .values()
            .any(|account| account.info.name == name)
    });
    let state = &harness.state().state;
    let account = state
        .accounts
        .values()
        .find(|account| account.info.name == name);
    account.unwrap().info.clone()
}

#[test]
fn a_direct_ip_sip_account_made_in_the_wizard_receives_a_call_from_a_headless_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = harness(super::gui::app(&tmp.path().join("window")));
    started(&mut harness);
    // No registrar: the listen address is what makes the account reachable.
    wizard_adds_sip_account(
        &mut harness,
        "Dora",
        &[
            ("SIP address", "sip:dora@127.0.0.1:16010"),
            ("Listen address", "127.0.0.1:16010"),
        ],
    );
    step_until(&mut harness, "the account listening", |h| {
        h.state().state.accounts.values().all(|account| {
            account.info.registration == ringlet::model::RegistrationState::Registered
        })
    });

    // A headless engine playing 440 Hz calls her.
    let caller = crate::common::audio::ringlet_with_tone(&tmp.path().join("caller"), 440.0);
    caller.add_sip("Eve", "sip:eve@127.0.0.1:16011", "127.0.0.1:16011", &[]);
    stdout_ok(&caller.ctl(&["call", "Eve", "sip:dora@127.0.0.1:16010"]));
    step_until(&mut harness, "the incoming call", |h| {
        h.query_by_label("Incoming call").is_some()
    });
    assert!(
        harness
            .query_all_by_label_contains("eve@127.0.0.1")
            .next()
            .is_some(),
        "the caller is named"
    );
    click_button(&mut harness, "Answer");
    step_until(&mut harness, "the call up", |h| {
        h.state()
            .state
            .calls
            .values()
            .any(|call| call.state == CallState::Active)
    });
    assert!(wait_until(Duration::from_secs(10), || {
        calls(&caller)
            .first()
            .is_some_and(|call| call["state"] == "active")
    }));

    // What the window heard, recorded from the call view: the caller's tone.
    click_button(&mut harness, "Record");
    let call = |h: &egui_kittest::Harness<'_, ringlet::ui::RingletApp>| {
        h.state().state.calls.values().next().cloned().unwrap()
    };
    step_until(&mut harness, "recording", |h| call(h).recording.is_some());
    let recording = call(&harness).recording.unwrap();
    let mut share = 0.0;
    let heard = wait_until(Duration::from_secs(10), || {
        harness.step();
        match crate::common::audio::try_tail(&recording, 1, 1.0) {
            Ok((samples, rate)) if samples.len() >= rate as usize => {
                share = crate::common::audio::tone_share(&samples, rate, 440.0, 1_000.0);
                share >= 0.9
            }
            _ => false,
        }
    });
    assert!(
        heard,
        "440 Hz in {:.0} % of the window's 20 ms windows",
        share * 100.0
    );
    hang_up(&mut harness);
    assert!(wait_until(Duration::from_secs(10), || calls(&caller).is_empty()));
}

#[test]
fn editing_a_sip_accounts_password_in_the_window_registers_it_at_kamailio() {
    let tmp = tempfile::tempdir().unwrap();
    let kamailio = super::kamailio::Kamailio::start(tmp.path(), 16012);
    let mut harness = harness(super::gui::app(&tmp.path().join("window")));
    started(&mut harness);
    // A mistyped password: Kamailio refuses the registration, and the window says so.
    wizard_adds_sip_account(
        &mut harness,
        "carol",
        &[
            ("SIP address", "sip:carol@ringlet.test"),
            ("Registrar (optional)", "sip:127.0.0.1:16012"),
            ("Password", "not-her-password"),
            ("Listen address", "127.0.0.1:16013"),
        ],
    );
    let registration = |h: &egui_kittest::Harness<'_, ringlet::ui::RingletApp>| {
        let account = h.state().state.accounts.values().next().cloned().unwrap();
        account.info.registration
    };
    step_until(&mut harness, "the refused registration", |h| {
        matches!(
            registration(h),
            ringlet::model::RegistrationState::Failed(_)
        )
    });
    let refused = kamailio.seen("REGISTER", "carol");
    assert!(refused >= 1, "{}", kamailio.log_text());

    // On the account's page (open after the wizard), the right password, saved.
    click(&mut harness, "carol");
    type_into(&mut harness, "New password", "carol-secret");
    click_button(&mut harness, "Save");
    step_until(&mut harness, "the registration", |h| {
        registration(h) == ringlet::model::RegistrationState::Registered
    });
    assert!(
        kamailio.seen("REGISTER", "carol") > refused,
        "{}",
        kamailio.log_text()
    );
    assert!(
        harness
            .query_by_label("Saved; the account registers again.")
            .is_some()
    );
    // Saving the password kept the other settings as they were.
    let stored = harness
        .state()
        .state
        .accounts
        .values()
        .next()
        .cloned()
        .unwrap();
    let ringlet::model::AccountDetails::Sip(config) = stored.info.details else {
        panic!("not SIP")
    };
    assert_eq!(config.registrar.as_deref(), Some("sip:127.0.0.1:16012"));
    assert_eq!(config.listen.as_deref(), Some("127.0.0.1:16013"));
}

/// A file dropped on the window, as the desktop hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|err| err.to_string())
    }
}

/// Bob's copy of the file named `name` once it is whole; its bytes.
fn bob_received(bob: &Daemon, name: &str) -> Option<Vec<u8>> {
    let files: Vec<serde_json::Value> =
        serde_json::from_str(&stdout_ok(&bob.ctl(&["files", "Bob"]))).unwrap_or_default();
    let file = files
        .into_iter()
        .find(|file| file["name"] == name && file["state"] == "done")?;
    std::fs::read(file["path"].as_str()?).ok()
}

#[test]
fn files_go_by_the_picker_and_by_a_drop_and_a_received_one_opens() {
    use egui_kittest::kittest::NodeT as _;
    let tmp = tempfile::tempdir().unwrap();
    let WindowWithBob {
        _node,
        bob,
        bob_id: _,
        mut harness,
    } = window_with_bob(tmp.path(), None);
    let outbox = tmp.path().join("files").join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("report.txt"), b"quarterly numbers").unwrap();
    std::fs::write(outbox.join("photo.jpg"), vec![7u8; 3000]).unwrap();
    click_button(&mut harness, "Message");

    // By the picker: from the folder above, into outbox, the report, Send.
    harness.state_mut().state.ui.last_pick_folder = Some(tmp.path().join("files"));
    click_button(&mut harness, "Attach a file");
    click_button(&mut harness, "📁 outbox");
    let report = harness
        .get_all_by(|node| {
            node.label()
                .is_some_and(|label| label.starts_with("report.txt"))
        })
        .next()
        .unwrap()
        .accesskit_node()
        .label()
        .unwrap();
    assert_eq!(report, "report.txt  ·  17 B");
    click_button(&mut harness, &report);
    click_button(&mut harness, "Send file");
    assert!(harness.state().state.ui.file_picker.is_none());
    let arrived = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_received(&bob, "report.txt").is_some()
    });
    assert!(arrived, "the picked file never reached Bob");
    assert_eq!(
        bob_received(&bob, "report.txt").unwrap(),
        b"quarterly numbers"
    );

    // By a drop on the window.
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(outbox.join("photo.jpg"))));
    harness.run_steps(3);
    let arrived = wait_until(Duration::from_secs(20), || {
        harness.step();
        bob_received(&bob, "photo.jpg").is_some()
    });
    assert!(arrived, "the dropped file never reached Bob");
    assert_eq!(bob_received(&bob, "photo.jpg").unwrap(), vec![7u8; 3000]);

    // Bob sends one back; once whole it opens from its card.
    let alice_id = harness
        .state()
        .state
        .accounts
        .values()
        .next()
        .unwrap()
        .info
        .id
        .0
        .clone();
    let notes = tmp.path().join("notes from bob.txt");
    std::fs::write(&notes, b"see you at 10").unwrap();
    stdout_ok(&bob.ctl(&["send-file", "Bob", &alice_id, notes.to_str().unwrap()]));
    step_until(&mut harness, "the file whole at Alice", |h| {
        h.state().state.transfers.values().any(|transfer| {
            !transfer.outgoing
                && transfer.name == "notes from bob.txt"
                && transfer.state == ringlet::model::TransferState::Done
        })
    });
    let received = harness
        .state()
        .state
        .transfers
        .values()
        .find(|transfer| !transfer.outgoing)
        .unwrap()
        .path
        .clone();
    assert_eq!(std::fs::read(&received).unwrap(), b"see you at 10");
    let is_open = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        node.role() == egui::accesskit::Role::Button
            && node.label().as_deref() == Some("Open notes from bob.txt")
    };
    harness.get_by(is_open).scroll_to_me();
    harness.run_steps(3);
    // Clicked here, not through click_button: the URL is in this one frame's output.
    harness.get_by(is_open).click();
    harness.step();
    let opened: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            egui::OutputCommand::OpenUrl(url) => Some(url.url.clone()),
            _ => None,
        })
        .collect();
    assert!(
        opened
            .iter()
            .any(|url| url.starts_with("file://") && url.ends_with("notes%20from%20bob.txt")),
        "{opened:?} (the file is {received})"
    );

    // A picture shows a thumbnail in its card, decoded from the received file.
    let photo = tmp.path().join("photo.png");
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 80, 30]))
        .save(&photo)
        .unwrap();
    stdout_ok(&bob.ctl(&["send-file", "Bob", &alice_id, photo.to_str().unwrap()]));
    let uri = |h: &egui_kittest::Harness<'_, ringlet::ui::RingletApp>| {
        h.state().state.transfers.values().find_map(|transfer| {
            (!transfer.outgoing
                && transfer.name == "photo.png"
                && transfer.state == ringlet::model::TransferState::Done)
                .then(|| transfer.path.clone())
        })
    };
    step_until(&mut harness, "the picture whole at Alice", |h| {
        uri(h).is_some()
    });
    step_until(&mut harness, "its thumbnail", |h| {
        h.query_by_label("Picture photo.png").is_some()
    });
    // What the card shows is the file decoded: 64 by 48 pixels (the file loader reads on
    // a thread of its own, so it is polled).
    let path = uri(&harness).unwrap();
    step_until(&mut harness, "the picture decoded", |h| {
        let loaded = h
            .ctx
            .try_load_image(&format!("file://{path}"), egui::SizeHint::default());
        matches!(loaded, Ok(egui::load::ImagePoll::Ready { image }) if image.size == [64, 48])
    });

    // A window started again knows no transfers until it opens the conversation: opening
    // it reads the files back, so the cards (here the picture's) show as before.
    {
        let app = harness.state_mut();
        app.state.transfers.clear();
        app.state.ui.history_asked.clear();
    }
    step_until(&mut harness, "the files read back with the history", |h| {
        h.query_by_label("Picture photo.png").is_some() && h.state().state.transfers.len() == 4
    });
}
