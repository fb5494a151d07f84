//! Events applied to a window state, checked field by field.

use super::*;
use crate::config::Settings;
use crate::engine::RequestId;
use crate::model::{AccountDetails, AccountId, CallId, RegistrationState};

fn p2p(id: &str, name: &str) -> AccountInfo {
    AccountInfo {
        id: AccountId(id.into()),
        name: name.into(),
        enabled: true,
        created_at: 0,
        registration: RegistrationState::Offline,
        details: AccountDetails::P2p {
            devices: vec![],
            auto_answer: false,
            stun: Vec::new(),
        },
    }
}

fn message(text: &str, outgoing: bool) -> Event {
    Event::MessageAdded {
        conversation: crate::model::ConversationInfo {
            id: crate::model::ConversationId("p2p:me:ab".into()),
            account: AccountId("me".into()),
            title: "Zoe".into(),
            last_message: None,
            peer: Some("zoe".into()),
            last_activity_ms: 1,
            unread: 0,
        },
        peer: "zoe".into(),
        text: text.into(),
        outgoing,
        sent_at_ms: 1,
        commit: Some(format!("c-{text}")),
    }
}

#[test]
fn links_received_are_opened_only_when_the_user_asked_for_it() {
    let mut state = AppState::default();
    apply(&mut state, message("look https://example.org/x", false));
    assert!(state.ui.urls_to_open.is_empty(), "off by default");
    state.settings.open_urls = true;
    apply(&mut state, message("look https://example.org/x", false));
    apply(&mut state, message("mine https://example.org/y", true));
    assert_eq!(state.ui.urls_to_open, vec!["https://example.org/x"]);
}

#[test]
fn receipts_mark_our_messages_delivered_then_read_and_never_back() {
    let mut state = AppState::default();
    apply(&mut state, message("hi", true));
    apply(&mut state, message("theirs", false));
    let receipt = |kind: &str, commit: &str| Event::Receipt {
        account: AccountId("me".into()),
        conversation: crate::model::ConversationId("p2p:me:ab".into()),
        commits: vec![commit.into()],
        receipt: kind.into(),
    };
    let receipts = |state: &AppState| -> Vec<String> {
        let id = crate::model::ConversationId("p2p:me:ab".into());
        let row = state.conversations.get(&id).cloned().unwrap();
        row.messages.iter().map(|m| m.receipt.clone()).collect()
    };
    apply(&mut state, receipt("delivered", "c-hi"));
    assert_eq!(receipts(&state), vec!["delivered", ""]);
    apply(&mut state, receipt("read", "c-hi"));
    apply(&mut state, receipt("delivered", "c-hi"));
    // A receipt naming someone else's message changes nothing.
    apply(&mut state, receipt("read", "c-theirs"));
    assert_eq!(receipts(&state), vec!["read", ""]);
}

#[test]
fn stored_history_goes_before_what_was_seen_and_each_message_is_shown_once() {
    let mut state = AppState::default();
    apply(&mut state, message("new one", false));
    apply(&mut state, message("hi", true));
    let id = crate::model::ConversationId("p2p:me:ab".into());
    let stored = |body: &str, outgoing: bool, receipt: &str| crate::model::MessageRecord {
        conversation_id: id.0.clone(),
        commit_id: Some(format!("c-{body}")),
        body: body.into(),
        outgoing,
        receipt: receipt.into(),
        ..crate::model::MessageRecord::default()
    };
    // The history read from the store holds "hi" too (it was stored as it was sent).
    apply(
        &mut state,
        Event::Messages {
            request: RequestId(1),
            conversation: id.clone(),
            search: None,
            before: None,
            messages: vec![
                stored("old", false, "read"),
                stored("", true, "delivered"),
                stored("hi", true, "read"),
            ],
        },
    );
    let row = state.conversations.get(&id).cloned().unwrap();
    let shown: Vec<(&str, &str)> = row
        .messages
        .iter()
        .map(|m| (m.text.as_str(), m.receipt.as_str()))
        .collect();
    // Receipts only on ours; a deleted one has no text; "hi" once; "new one" after.
    assert_eq!(
        shown,
        [
            ("old", ""),
            ("", "delivered"),
            ("hi", "read"),
            ("new one", "")
        ]
    );
    // A search's answer is kept apart and leaves the conversation as it was.
    apply(
        &mut state,
        Event::Messages {
            request: RequestId(2),
            conversation: id.clone(),
            search: Some("ol".into()),
            before: None,
            messages: vec![stored("old", false, "")],
        },
    );
    let (found_in, text, found) = state.ui.chat_found.clone().unwrap();
    assert_eq!(
        (found_in, text.as_str(), found.len()),
        (id.clone(), "ol", 1)
    );
    assert_eq!(state.conversations.get(&id).unwrap().messages.len(), 4);
    let history = state.conversations.get(&id).unwrap().history;
    assert!(
        history.loaded && history.complete,
        "3 of a page of 200: all there is"
    );
    // A page of older ones (a scroll to the top) goes before what is held, once each.
    state.conversations.get_mut(&id).unwrap().history = Default::default();
    apply(
        &mut state,
        Event::Messages {
            request: RequestId(3),
            conversation: id.clone(),
            search: None,
            before: Some(7),
            messages: vec![stored("older", false, ""), stored("old", false, "")],
        },
    );
    let row = state.conversations.get(&id).unwrap();
    let texts: Vec<&str> = row.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["older", "old", "", "hi", "new one"]);
    assert!(row.history.complete && !row.history.older_pending);
}

#[test]
fn typing_members_come_and_go() {
    let mut state = AppState::default();
    apply(&mut state, message("hi", false));
    let typing = |on: bool| Event::Typing {
        account: AccountId("me".into()),
        conversation: crate::model::ConversationId("p2p:me:ab".into()),
        peer: "zoe".into(),
        typing: on,
    };
    apply(&mut state, typing(true));
    let row = |state: &AppState| {
        state
            .conversations
            .get(&crate::model::ConversationId("p2p:me:ab".into()))
            .cloned()
            .unwrap()
    };
    assert!(row(&state).typing.contains("zoe"));
    apply(&mut state, typing(false));
    assert!(row(&state).typing.is_empty());
}

#[test]
fn started_replaces_accounts_and_settings() {
    let mut state = AppState::default();
    apply(
        &mut state,
        Event::AccountAdded {
            request: None,
            account: p2p("old", "Old"),
        },
    );
    let settings = Settings {
        language: "de".into(),
        ..Settings::default()
    };
    apply(
        &mut state,
        Event::Started {
            data_dir: "/d".into(),
            settings: settings.clone(),
            accounts: vec![p2p("b", "B"), p2p("a", "A")],
            contacts: vec![crate::model::ContactInfo {
                id: crate::model::ContactId(7),
                account: AccountId("a".into()),
                uri: "sip:carol@example.org".into(),
                display_name: "Carol".into(),
                state: crate::model::ContactState::Confirmed,
            }],
            conversations: vec![],
        },
    );
    assert_eq!(state.accounts.len(), 2);
    assert!(state.accounts.get(&AccountId("old".into())).is_none());
    assert_eq!(
        state.accounts.get(&AccountId("b".into())).unwrap().position,
        0
    );
    assert_eq!(
        state.accounts.get(&AccountId("a".into())).unwrap().position,
        1
    );
    assert_eq!(state.settings, settings);
    assert!(state.engine_running);
    let carol = state.contacts.get(&crate::model::ContactId(7)).unwrap();
    assert_eq!((carol.display_name.as_str(), carol.online), ("Carol", None));
}

#[test]
fn answer_to_the_wizard_closes_it_and_selects_the_account() {
    let mut state = AppState::default();
    let request = RequestId(42);
    state.ui.page = Some(Page::Wizard);
    state.ui.wizard.pending = Some(request);
    state.ui.wizard.name = "Alice".into();
    apply(
        &mut state,
        Event::AccountAdded {
            request: Some(request),
            account: p2p("a", "Alice"),
        },
    );
    assert_eq!(state.ui.page, None);
    assert_eq!(
        state.ui.selection,
        Selection::Account(AccountId("a".into()))
    );
    assert!(state.ui.wizard.name.is_empty());
}

#[test]
fn failure_of_the_wizard_request_stays_in_the_wizard() {
    let mut state = AppState::default();
    state.ui.page = Some(Page::Wizard);
    state.ui.wizard.pending = Some(RequestId(7));
    apply(
        &mut state,
        Event::Failed {
            request: Some(RequestId(7)),
            error: "wrong passphrase".into(),
            problem: None,
        },
    );
    assert_eq!(state.ui.page, Some(Page::Wizard));
    assert_eq!(state.ui.wizard.error.as_deref(), Some("wrong passphrase"));
    assert_eq!(state.ui.wizard.pending, None);
    apply(
        &mut state,
        Event::Failed {
            request: None,
            error: "disk full".into(),
            problem: None,
        },
    );
    assert_eq!(
        state.ui.errors,
        vec![crate::ui::state::Notice::Said("disk full".into())]
    );
    // A failure the engine knows the kind of is said in the window's language.
    let problem = crate::model::Problem::new("problem-account-offline", &[("account", "Work")]);
    apply(
        &mut state,
        Event::Failed {
            request: None,
            error: problem.english(),
            problem: Some(problem.clone()),
        },
    );
    let said: Vec<String> = state
        .ui
        .errors
        .iter()
        .map(|error| error.say(&crate::i18n::I18n::new("zh-TW")))
        .collect();
    assert_eq!(said, ["disk full", "帳號 Work 未上線"]);
}

#[test]
fn changes_keep_position_and_removal_clears_selection() {
    let mut state = AppState::default();
    apply(
        &mut state,
        Event::AccountAdded {
            request: None,
            account: p2p("a", "A"),
        },
    );
    apply(
        &mut state,
        Event::AccountAdded {
            request: None,
            account: p2p("b", "B"),
        },
    );
    let mut renamed = p2p("a", "Renamed");
    renamed.enabled = false;
    apply(&mut state, Event::AccountChanged { account: renamed });
    let a = state.accounts.get(&AccountId("a".into())).unwrap();
    assert_eq!(
        (a.info.name.as_str(), a.info.enabled, a.position),
        ("Renamed", false, 0)
    );
    state.ui.selection = Selection::Account(AccountId("b".into()));
    apply(
        &mut state,
        Event::AccountRemoved {
            account: AccountId("b".into()),
        },
    );
    assert_eq!(state.ui.selection, Selection::None);
    assert_eq!(state.accounts.len(), 1);
}

#[test]
fn devices_levels_and_stop_are_recorded() {
    let mut state = AppState::default();
    apply(
        &mut state,
        Event::AudioDevices {
            inputs: vec!["Mic".into()],
            outputs: vec!["Speakers".into()],
        },
    );
    apply(&mut state, Event::Volume { volume: 0.25 });
    assert_eq!(state.ui.volume, Some(0.25), "the slider follows ctl volume");
    apply(&mut state, Event::InputLevel { peak: 1.7 });
    apply(&mut state, Event::Stopped);
    assert_eq!(state.audio_inputs, vec!["Mic".to_owned()]);
    assert_eq!(state.input_level, 1.0);
    assert!(!state.engine_running);
}

#[test]
fn a_conversation_keeps_its_newest_messages_only_so_frames_stay_bounded() {
    let mut state = AppState::default();
    for index in 0..(MESSAGES_KEPT + 25) {
        apply(&mut state, message(&format!("m{index}"), index % 2 == 0));
    }
    let row = state.conversations.values().next().unwrap();
    assert_eq!(row.messages.len(), MESSAGES_KEPT);
    assert_eq!(row.messages[0].text, "m25");
    assert_eq!(
        row.messages.last().map(|message| message.text.as_str()),
        Some(format!("m{}", MESSAGES_KEPT + 24).as_str())
    );
}

#[test]
fn a_new_conversation_is_listed_before_its_first_message_and_kept_as_it_is_after() {
    let mut state = AppState::default();
    let Event::MessageAdded { conversation, .. } = message("x", false) else {
        unreachable!()
    };
    let added = || Event::ConversationAdded {
        conversation: conversation.clone(),
    };
    apply(&mut state, added());
    let id = &conversation.id;
    let row = state.conversations.get(id).expect("listed at once");
    assert_eq!(
        (row.title.as_str(), row.last_message.as_deref()),
        ("Zoe", None)
    );
    assert_eq!(row.peer.as_deref(), Some("zoe"));
    apply(&mut state, message("hi", false));
    // Heard again (another device's commit, say): the row keeps its message and count.
    apply(&mut state, added());
    let row = state.conversations.get(id).unwrap();
    assert_eq!((row.last_message.as_deref(), row.unread), (Some("hi"), 1));
}

#[test]
fn a_conversation_listed_under_the_contact_id_takes_the_contact_name() {
    let mut state = AppState::default();
    let Event::MessageAdded {
        mut conversation, ..
    } = message("x", false)
    else {
        unreachable!()
    };
    conversation.title = "zoe".into();
    let id = conversation.id.clone();
    apply(&mut state, Event::ConversationAdded { conversation });
    apply(
        &mut state,
        Event::ContactAdded {
            request: None,
            contact: crate::model::ContactInfo {
                id: crate::model::ContactId(1),
                account: AccountId("me".into()),
                uri: "zoe".into(),
                display_name: "Zoe Q".into(),
                state: crate::model::ContactState::Requested,
            },
        },
    );
    assert_eq!(state.conversations.get(&id).unwrap().title, "Zoe Q");
}

#[test]
fn an_edit_changes_the_bubble_and_a_deletion_empties_it_in_place() {
    let mut state = AppState::default();
    apply(&mut state, message("first", true));
    apply(&mut state, message("second", true));
    let id = crate::model::ConversationId("p2p:me:ab".into());
    let edited = |text: Option<&str>| Event::MessageEdited {
        conversation: id.clone(),
        commit: "c-first".into(),
        text: text.map(str::to_owned),
    };
    apply(&mut state, edited(Some("first, better")));
    let texts = |state: &AppState| -> Vec<String> {
        let row = state.conversations.get(&id).unwrap();
        row.messages
            .iter()
            .map(|message| message.text.clone())
            .collect()
    };
    assert_eq!(texts(&state), ["first, better", "second"]);
    apply(&mut state, edited(None));
    assert_eq!(texts(&state), ["", "second"]);
}

#[test]
fn a_call_placed_or_answered_comes_to_the_front_and_the_front_passes_on_when_it_ends() {
    let mut state = AppState::default();
    let added = |call: u64, state: CallState| Event::CallAdded {
        request: None,
        call: CallId(call),
        account: AccountId("me".into()),
        peer: format!("sip:peer{call}@example.org"),
        state,
    };
    // Placed here: in front. Ringing here: asks in its dialog, the front stays.
    apply(&mut state, added(1, CallState::Outgoing));
    assert_eq!(state.ui.call_in_front, Some(CallId(1)));
    apply(&mut state, added(2, CallState::Incoming));
    assert_eq!(state.ui.call_in_front, Some(CallId(1)));
    // Answered: that one comes to the front.
    apply(
        &mut state,
        Event::CallChanged {
            call: CallId(2),
            state: CallState::Active,
        },
    );
    assert_eq!(state.ui.call_in_front, Some(CallId(2)));
    // The first call, placed here, is answered at the far end: the front stays (only
    // answering here brings a call forward).
    apply(
        &mut state,
        Event::CallChanged {
            call: CallId(1),
            state: CallState::Active,
        },
    );
    assert_eq!(state.ui.call_in_front, Some(CallId(2)));
    // The front ends: the call still going on takes it.
    apply(
        &mut state,
        Event::CallEnded {
            call: CallId(2),
            reason: "hangup".into(),
        },
    );
    assert_eq!(state.ui.call_in_front, Some(CallId(1)));
    // The user goes elsewhere: the call steps back to its bar, and stays there when
    // another call ends.
    state
        .ui
        .go_to(Selection::Conversation(ConversationId("c".into())));
    assert_eq!(state.ui.call_in_front, None);
    apply(&mut state, added(3, CallState::Incoming));
    apply(
        &mut state,
        Event::CallEnded {
            call: CallId(3),
            reason: "cancelled".into(),
        },
    );
    assert_eq!(state.ui.call_in_front, None);
    // The last call ends: nothing in front.
    state.ui.call_in_front = Some(CallId(1));
    apply(
        &mut state,
        Event::CallEnded {
            call: CallId(1),
            reason: "hangup".into(),
        },
    );
    assert_eq!(state.ui.call_in_front, None);
}

#[test]
fn messages_seen_before_the_history_page_are_left_to_the_older_pages_not_put_after_it() {
    let mut state = AppState::default();
    let at = |n: i64| Event::MessageAdded {
        conversation: crate::model::ConversationInfo {
            id: ConversationId("p2p:me:ab".into()),
            account: AccountId("me".into()),
            title: "Zoe".into(),
            last_message: None,
            peer: Some("zoe".into()),
            last_activity_ms: n,
            unread: 0,
        },
        peer: "zoe".into(),
        text: format!("m{n}"),
        outgoing: false,
        sent_at_ms: n,
        commit: Some(format!("c{n}")),
    };
    for n in 1..=5 {
        apply(&mut state, at(n));
    }
    let id = ConversationId("p2p:me:ab".into());
    // The newest page holds 3, 4 and 5 (a page of three here), and a 6 came meanwhile.
    apply(&mut state, at(6));
    let stored = |n: i64| crate::model::MessageRecord {
        conversation_id: id.0.clone(),
        commit_id: Some(format!("c{n}")),
        body: format!("m{n}"),
        sent_at: n,
        id: n,
        ..crate::model::MessageRecord::default()
    };
    apply(
        &mut state,
        Event::Messages {
            request: RequestId(1),
            conversation: id.clone(),
            search: None,
            before: None,
            messages: vec![stored(3), stored(4), stored(5)],
        },
    );
    let texts: Vec<String> = state
        .conversations
        .get(&id)
        .unwrap()
        .messages
        .iter()
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(texts, ["m3", "m4", "m5", "m6"]);
}

#[test]
fn a_peers_own_name_shows_where_we_gave_it_none_and_ours_wins_where_we_did() {
    let mut state = AppState::default();
    let me = AccountId("me".into());
    let zoe = "0123456789abcdef0123456789abcdef01234567";
    // A conversation still named by Zoe's id (she is no contact: a group member, say).
    apply(
        &mut state,
        Event::ConversationAdded {
            conversation: crate::model::ConversationInfo {
                id: ConversationId("p2p:me:z".into()),
                account: me.clone(),
                title: zoe.into(),
                last_message: None,
                peer: Some(zoe.into()),
                last_activity_ms: 1,
                unread: 0,
            },
        },
    );
    let named = |state: &AppState| crate::ui::views::contacts::peer_name(state, &me, zoe);
    assert_eq!(named(&state), "0123456789ab…");
    apply(
        &mut state,
        Event::PeerProfile {
            account: me.clone(),
            peer: zoe.into(),
            name: "Zoe".into(),
        },
    );
    assert_eq!(named(&state), "Zoe");
    let title = &state
        .conversations
        .get(&ConversationId("p2p:me:z".into()))
        .unwrap()
        .title;
    assert_eq!(title, "Zoe");
    // A name we gave her wins over hers.
    apply(
        &mut state,
        Event::ContactAdded {
            request: None,
            contact: crate::model::ContactInfo {
                id: crate::model::ContactId(1),
                account: me.clone(),
                uri: zoe.into(),
                display_name: "Zoë from work".into(),
                state: crate::model::ContactState::Confirmed,
            },
        },
    );
    assert_eq!(named(&state), "Zoë from work");
}
