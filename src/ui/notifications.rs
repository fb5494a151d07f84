//! Which desktop notifications the window wants, from its state: an incoming call (with
//! Answer and Decline), a missed call, a conversation with unread messages the user is not
//! looking at, voicemail waiting. Plain: the desktop driver shows, replaces and closes
//! them (`desktop::notify`), and actions come back here as commands.

use crate::desktop::notify::{Urgency, Wanted};
use crate::engine::Command;
use crate::i18n::I18n;
use crate::model::{CallId, ConversationId};
use crate::ui::state::{AppState, CallState, Selection};
use crate::ui::views::contacts::peer_name;
use crate::ui::views::recent::{Outcome, describe};

/// Conversations notified at most at once (the most recent ones).
const CHATS_NOTIFIED: usize = 5;

/// The notifications wanted now. `focused`: the window has the keyboard, so the shown
/// conversation needs none. Messages count only when they came after `since_ms` (the
/// window's start: what was unread before is in the sidebar, not a burst of bubbles).
/// Nothing under do-not-disturb.
pub fn wanted(state: &AppState, tr: &I18n, focused: bool, since_ms: i64) -> Vec<Wanted> {
    if state.settings.do_not_disturb {
        return Vec::new();
    }
    let mut wanted = Vec::new();
    for (id, call) in state.calls.iter() {
        if call.state != CallState::Incoming {
            continue;
        }
        let name = peer_name(state, &call.account, &call.peer);
        let account = state
            .accounts
            .get(&call.account)
            .map(|account| account.info.name.clone())
            .unwrap_or_default();
        wanted.push(Wanted {
            key: format!("call:{}", id.0),
            summary: tr.tr_args("incoming-call-from", &[("peer", name.into())]),
            body: tr.tr_args("incoming-call-to", &[("account", account.into())]),
            actions: vec![
                ("answer".into(), tr.tr("call-answer")),
                ("decline".into(), tr.tr("call-reject")),
            ],
            urgency: Urgency::Critical,
            category: "call.incoming",
        });
    }
    for ended in &state.ui.ended_calls {
        let (outcome, reason) = describe(&ended.reason, ended.outgoing, ended.answered, tr);
        if outcome != Outcome::Missed {
            continue;
        }
        wanted.push(Wanted {
            key: format!("missed:{}:{}", ended.account.0, ended.peer),
            summary: tr.tr_args(
                "call-missed-from",
                &[("peer", ended.peer_name.clone().into())],
            ),
            body: reason,
            actions: vec![("call-back".into(), tr.tr("call-back"))],
            urgency: Urgency::Normal,
            category: "call.unanswered",
        });
    }
    let looking_at = match (&state.ui.selection, focused) {
        (Selection::Conversation(id), true) => Some(id),
        _ => None,
    };
    let mut chats: Vec<_> = state
        .conversations
        .iter()
        .filter(|(id, conversation)| {
            conversation.unread > 0
                && conversation.last_activity_ms >= since_ms
                && looking_at != Some(*id)
        })
        .collect();
    chats.sort_by_key(|(_, conversation)| std::cmp::Reverse(conversation.last_activity_ms));
    for (id, conversation) in chats.into_iter().take(CHATS_NOTIFIED) {
        wanted.push(Wanted {
            key: format!("chat:{}", id.0),
            summary: conversation.title.clone(),
            body: conversation.last_message.clone().unwrap_or_default(),
            actions: Vec::new(),
            urgency: Urgency::Normal,
            category: "im.received",
        });
    }
    for account in state.accounts.values() {
        if let Some((new, old)) = account.voicemail
            && new > 0
        {
            wanted.push(Wanted {
                key: format!("voicemail:{}", account.info.id.0),
                summary: account.info.name.clone(),
                body: tr.tr_args(
                    "voicemail-count",
                    &[("new", new.into()), ("old", old.into())],
                ),
                actions: Vec::new(),
                urgency: Urgency::Normal,
                category: "presence",
            });
        }
    }
    wanted
}

/// What the user's choice on a notification means: commands for the engine, and whether
/// the window should come to the front. The state follows (a conversation is selected).
pub fn act(state: &mut AppState, key: &str, action: &str) -> (Vec<Command>, bool) {
    let Some((kind, rest)) = key.split_once(':') else {
        return (Vec::new(), false);
    };
    match (kind, action) {
        ("call", "answer" | "decline") => {
            let Ok(call) = rest.parse::<u64>() else {
                return (Vec::new(), false);
            };
            let call = CallId(call);
            if state.calls.get(&call).map(|call| call.state) != Some(CallState::Incoming) {
                return (Vec::new(), false);
            }
            let command = if action == "answer" {
                Command::AnswerCall(call)
            } else {
                Command::RejectCall(call)
            };
            // Answering brings the window up, where the call's controls are.
            (vec![command], action == "answer")
        }
        ("missed", "call-back") => {
            let Some(ended) = state
                .ui
                .ended_calls
                .iter()
                .position(|ended| format!("{}:{}", ended.account.0, ended.peer) == rest)
            else {
                return (Vec::new(), true);
            };
            let ended = state.ui.ended_calls.remove(ended);
            (
                vec![crate::ui::views::recent::call_back(
                    &ended.account,
                    &ended.peer,
                )],
                true,
            )
        }
        ("chat", _) => {
            state
                .ui
                .go_to(Selection::Conversation(ConversationId(rest.to_owned())));
            (Vec::new(), true)
        }
        (_, "default") => (Vec::new(), true),
        _ => (Vec::new(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountId;
    use crate::ui::state::Conversation;

    fn with_unread(unread: u32) -> (AppState, ConversationId) {
        let mut state = AppState::default();
        let id = ConversationId("c1".into());
        state.conversations.insert(
            id.clone(),
            Conversation {
                account: AccountId("a".into()),
                title: "Bob".into(),
                last_message: Some("are you there?".into()),
                peer: Some("bob".into()),
                last_activity_ms: 0,
                unread,
                messages: Vec::new(),
                typing: Default::default(),
                history: Default::default(),
            },
        );
        (state, id)
    }

    #[test]
    fn unread_messages_are_notified_unless_the_user_is_looking_at_them_or_wants_quiet() {
        let tr = I18n::new("en-US");
        let (mut state, id) = with_unread(2);
        let wanted = wanted(&state, &tr, true, 0);
        assert_eq!(wanted.len(), 1);
        assert_eq!(wanted[0].key, "chat:c1");
        assert_eq!(wanted[0].summary, "Bob");
        assert_eq!(wanted[0].body, "are you there?");
        // Open in a focused window: nothing; open in a window behind others: notified.
        state.ui.selection = Selection::Conversation(id.clone());
        assert!(super::wanted(&state, &tr, true, 0).is_empty());
        assert_eq!(super::wanted(&state, &tr, false, 0).len(), 1);
        state.settings.do_not_disturb = true;
        assert!(super::wanted(&state, &tr, false, 0).is_empty());
        // Unread from before the window started: in the sidebar, not notified.
        state.settings.do_not_disturb = false;
        assert!(super::wanted(&state, &tr, false, 1).is_empty());
        // Read: nothing to notify.
        let (state, _) = with_unread(0);
        assert!(super::wanted(&state, &tr, false, 0).is_empty());
    }

    #[test]
    fn a_click_on_a_message_notification_opens_its_conversation_and_raises_the_window() {
        let (mut state, id) = with_unread(1);
        let (commands, raise) = act(&mut state, "chat:c1", "default");
        assert!(commands.is_empty());
        assert!(raise);
        assert_eq!(state.ui.selection, Selection::Conversation(id));
        // An action on a call that no longer rings does nothing.
        let (commands, _) = act(&mut state, "call:9", "answer");
        assert!(commands.is_empty());
    }
}
