//! The contact page, as a person uses it, against a real engine on the other side: opened
//! from the Contacts list, it shows the contact's presence and devices; the conversation's
//! header leads back to it; Block and Unblock, Remove (asked twice) and adding again.

#![allow(
    clippy::disallowed_methods,
    reason = "tests drive real threads and bound their waits with the clock"
)]

use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use ringlet::model::ContactState;
use ringlet::ui::RingletApp;
use ringlet::ui::state::Selection;

use super::gui::{
    app_with_bootstrap, click, click_button, harness, started, step_until, type_into,
};
use crate::common::p2p::{Node, add_p2p_account, contact_state};
use crate::common::{Daemon, stdout_ok, wait_until};

/// The window holds a contact `uri` in `state`.
fn has_contact(
    harness: &egui_kittest::Harness<'_, RingletApp>,
    uri: &str,
    state: ContactState,
) -> bool {
    harness
        .state()
        .state
        .contacts
        .values()
        .any(|contact| contact.uri == uri && contact.state == state)
}

/// A window whose user made P2P account Alice in the wizard, and Bob's daemon, contacts of
/// each other (Bob asked, Alice accepted in the Contacts tab). Returns the harness, the node
/// and Bob (to keep them running), and both account ids.
fn alice_with_bob_as_contact(
    dir: &std::path::Path,
) -> (
    egui_kittest::Harness<'static, RingletApp>,
    Node,
    Daemon,
    String,
    String,
) {
    let node = Node::start(&dir.join("node"));
    let bob = Daemon::start_with(&dir.join("bob"), &["--bootstrap", &node.address]);
    let bob_id = add_p2p_account(&bob, "Bob");
    let mut harness = harness(app_with_bootstrap(&dir.join("window"), Some(&node.address)));
    started(&mut harness);
    let alice_id = super::gui::wizard_creates_p2p_account(&mut harness, "Alice")
        .id
        .0;
    stdout_ok(&bob.ctl(&["contact", "add", "Bob", &alice_id, "--name", "Alice"]));
    click(&mut harness, "Contacts");
    step_until(&mut harness, "Bob's request", |h| {
        h.query_by_label("Accept").is_some()
    });
    click_button(&mut harness, "Accept");
    step_until(&mut harness, "Bob a contact", |h| {
        has_contact(h, &bob_id, ContactState::Confirmed)
    });
    let confirmed = wait_until(Duration::from_secs(20), || {
        harness.step();
        contact_state(&bob, "Bob", &alice_id).as_deref() == Some("confirmed")
    });
    assert!(confirmed, "Bob's side never confirmed");
    (harness, node, bob, alice_id, bob_id)
}

#[test]
fn a_contact_page_shows_presence_and_devices_blocks_removes_and_the_contact_comes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut harness, _node, _bob, _alice_id, bob_id) = alice_with_bob_as_contact(tmp.path());
    let is_bob = |contact: &ringlet::ui::state::Contact| contact.uri == bob_id;

    // A click on his row opens his page: name, presence, his device (online), the address.
    // (As a screen reader activates it: a pointer at the row's centre would land on its
    // Call button, which sits over the row's right half.)
    harness
        .get_all_by_role_and_label(egui::accesskit::Role::Button, "Bob")
        .next()
        .expect("Bob's row")
        .click_accesskit();
    harness.run_steps(super::gui::SETTLE_FRAMES);
    assert!(matches!(
        harness.state().state.ui.selection,
        Selection::Contact(_)
    ));
    step_until(&mut harness, "Bob's devices", |h| {
        h.state()
            .state
            .ui
            .contact_page
            .devices
            .as_ref()
            .is_some_and(|devices| devices.len() == 1 && devices[0].online)
    });
    step_until(&mut harness, "Bob online", |h| {
        h.query_by_label("Online").is_some()
    });
    assert!(harness.query_by_label("Devices").is_some());
    assert!(
        harness.query_by_label(&bob_id).is_some(),
        "the whole address"
    );
    let device = harness
        .state()
        .state
        .ui
        .contact_page
        .devices
        .clone()
        .unwrap()[0]
        .clone();
    assert!(
        !device.name.is_empty() && device.id.starts_with("12D3"),
        "{device:?}"
    );

    // Message opens the conversation; its header's Contact details leads back.
    click_button(&mut harness, "Message");
    assert!(matches!(
        harness.state().state.ui.selection,
        Selection::Conversation(_)
    ));
    click_button(&mut harness, "Contact details");
    assert!(matches!(
        harness.state().state.ui.selection,
        Selection::Contact(_)
    ));

    // Block, then Unblock, on the page.
    click_button(&mut harness, "Block");
    step_until(&mut harness, "Bob blocked", |h| {
        has_contact(h, &bob_id, ContactState::Blocked)
    });
    click_button(&mut harness, "Unblock");
    step_until(&mut harness, "Bob unblocked", |h| {
        has_contact(h, &bob_id, ContactState::Confirmed)
    });

    // Remove asks first; then Bob is no contact, and the conversation stays.
    click_button(&mut harness, "Remove contact");
    assert!(
        harness
            .query_by_label_contains("Remove Bob from your contacts?")
            .is_some()
    );
    click_button(&mut harness, "Remove contact");
    step_until(&mut harness, "Bob removed", |h| {
        !h.state().state.contacts.values().any(is_bob)
    });
    assert_eq!(harness.state().state.ui.selection, Selection::None);
    assert!(harness.query_by_label("No contacts yet.").is_some());
    assert!(
        harness
            .state()
            .state
            .conversations
            .values()
            .any(|conversation| conversation.peer.as_deref() == Some(bob_id.as_str())),
        "the conversation stays"
    );

    // Added again by his id: both had joined the conversation, so he is a contact at once.
    click_button(&mut harness, "＋ Add contact");
    type_into(&mut harness, "Contact address", &bob_id);
    click_button(&mut harness, "Add");
    step_until(&mut harness, "Bob a contact again", |h| {
        has_contact(h, &bob_id, ContactState::Confirmed)
    });
}

#[test]
fn a_long_conversation_is_read_back_to_its_first_message_by_scrolling_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut harness, _node, bob, alice_id, _bob_id) = alice_with_bob_as_contact(tmp.path());
    // 260 messages: more than the newest page of 200 the conversation opens with.
    const SENT: usize = 260;
    for n in 1..=SENT {
        stdout_ok(&bob.ctl(&["message", "Bob", &alice_id, &format!("message {n:03}")]));
    }
    click(&mut harness, "Conversations");
    step_until(&mut harness, "Bob's last message listed", |h| {
        h.state().state.conversations.values().any(|conversation| {
            conversation.last_message.as_deref() == Some(&format!("message {SENT:03}"))
        })
    });
    click(&mut harness, "Bob");
    let held = |h: &egui_kittest::Harness<'_, RingletApp>| {
        h.state()
            .state
            .conversations
            .values()
            .find(|conversation| conversation.title == "Bob")
            .map(|conversation| conversation.messages.clone())
            .unwrap_or_default()
    };
    step_until(&mut harness, "the newest message, at the bottom", |h| {
        h.query_by_label("message 260").is_some()
    });
    assert!(held(&harness).len() < SENT, "not all read at once");
    // Only the rows in view are laid out (a screen of ten or so, and a screen around).
    let laid_out = harness.query_all_by_label_contains("message ").count();
    assert!(laid_out < 60, "{laid_out} rows laid out");
    // The user scrolls up (the wheel over the timeline) until the first message shows.
    let over_timeline = egui::pos2(600.0, 300.0);
    let mut reached = false;
    for _ in 0..300 {
        harness.hover_at(over_timeline);
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, 400.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::default(),
        });
        harness.run_steps(2);
        if harness.query_by_label("message 001").is_some() {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "the first message never showed; held {}",
        held(&harness).len()
    );
    let texts: Vec<String> = held(&harness)
        .into_iter()
        .map(|message| message.text)
        .collect();
    let bob_wrote: Vec<&String> = texts
        .iter()
        .filter(|text| text.starts_with("message "))
        .collect();
    assert_eq!(bob_wrote.len(), SENT, "each message once");
    assert!(
        bob_wrote.windows(2).all(|pair| pair[0] < pair[1]),
        "in order"
    );
}

/// Alice chooses a profile picture on her account page with the window's picker: Bob's
/// device receives it. Bob sets one: Alice's window shows it as his avatar (decoded by the
/// window's image loader). Alice removes hers with a click: gone at Bob's too.
#[test]
fn a_picture_chosen_on_the_account_page_reaches_the_contact_and_theirs_shows_as_an_avatar() {
    use egui_kittest::kittest::NodeT as _;
    let tmp = tempfile::tempdir().unwrap();
    let super::gui::WindowWithBob {
        _node,
        bob,
        bob_id,
        mut harness,
    } = super::gui::window_with_bob(tmp.path(), None);
    let alice_id = harness
        .state()
        .state
        .accounts
        .values()
        .next()
        .map(|account| account.info.id.clone())
        .unwrap();
    let at_bob = |bob: &Daemon| {
        crate::common::p2p::contacts(bob, "Bob")
            .into_iter()
            .find(|contact| contact["uri"] == alice_id.0.as_str())
            .map(|contact| contact["picture"].clone())
            .unwrap_or_default()
    };
    let pictures = tmp.path().join("pictures");
    std::fs::create_dir_all(&pictures).unwrap();
    image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x / 2) as u8, (y / 2) as u8, 200])
    })
    .save(pictures.join("face.png"))
    .unwrap();

    // The account page: Choose…, the file, Use this picture.
    click(&mut harness, "Alice");
    harness.state_mut().state.ui.last_pick_folder = Some(pictures);
    click_button(&mut harness, "Choose a profile picture");
    let face = harness
        .get_all_by(|node| {
            node.label()
                .is_some_and(|label| label.starts_with("face.png"))
        })
        .next()
        .unwrap()
        .accesskit_node()
        .label()
        .unwrap();
    click_button(&mut harness, &face);
    click_button(&mut harness, "Use this picture");
    step_until(&mut harness, "Alice's own picture", |h| {
        h.state().state.picture(&alice_id, None).is_some()
    });
    let hash = harness
        .state()
        .state
        .picture(&alice_id, None)
        .map(|picture| picture.hash.clone())
        .unwrap();
    let reached = wait_until(Duration::from_secs(20), || {
        harness.step();
        at_bob(&bob) == hash.as_str()
    });
    assert!(reached, "Bob's device has {}", at_bob(&bob));

    // Bob's picture shows as his avatar in Alice's window.
    let bobs = tmp.path().join("bob.jpg");
    image::RgbImage::from_fn(200, 200, |_, _| image::Rgb([20, 160, 60]))
        .save(&bobs)
        .unwrap();
    stdout_ok(&bob.ctl(&["account", "picture", "Bob", &bobs.display().to_string()]));
    step_until(&mut harness, "Bob's picture in the window", |h| {
        h.state().state.picture(&alice_id, Some(&bob_id)).is_some()
    });
    click(&mut harness, "Contacts");
    let uri = harness
        .state()
        .state
        .picture(&alice_id, Some(&bob_id))
        .map(|picture| picture.uri())
        .unwrap();
    step_until(&mut harness, "Bob's avatar decoded", |h| {
        matches!(
            h.ctx.try_load_texture(
                &uri,
                egui::TextureOptions::default(),
                egui::SizeHint::default()
            ),
            Ok(egui::load::TexturePoll::Ready { .. })
        )
    });

    // Removed with a click on the account page: gone at Bob's too.
    click(&mut harness, "Alice");
    click_button(&mut harness, "Remove the profile picture");
    let removed = wait_until(Duration::from_secs(20), || {
        harness.step();
        at_bob(&bob).is_null()
    });
    assert!(
        removed,
        "Bob's device still has {}; Alice's window still has hers: {}",
        at_bob(&bob),
        harness.state().state.picture(&alice_id, None).is_some()
    );
    // Bob may learn of it before the window's next frame drains the engine's event.
    step_until(&mut harness, "Alice's picture gone from her window", |h| {
        h.state().state.picture(&alice_id, None).is_none()
    });
    assert!(harness.state().state.picture(&alice_id, None).is_none());
}
