//! Stores filled before an engine opens them: a SIP account with conversations and their
//! messages, as the window's tests start from.

use ringlet::model::{AccountDetails, AccountId, AccountInfo, RegistrationState};
use ringlet::store::{MessageRecord, Store};

/// Adds a SIP account `id` named `name` for `aor`, enabled or not.
pub fn sip_account(store: &Store, id: &str, name: &str, aor: &str, enabled: bool) -> AccountId {
    let account = AccountInfo {
        id: AccountId(id.into()),
        name: name.into(),
        enabled,
        created_at: 0,
        registration: RegistrationState::Offline,
        details: AccountDetails::Sip(ringlet::model::SipAccountConfig {
            aor: aor.into(),
            ..Default::default()
        }),
    };
    store.insert_account(&account).unwrap();
    account.id
}

/// Adds SIP conversation `id` of `account` with `peer`, titled `title`, holding `messages`
/// (text, sent by us) in order, a millisecond apart.
pub fn sip_conversation(
    store: &Store,
    account: &AccountId,
    (id, title, peer): (&str, &str, &str),
    messages: &[(&str, bool)],
) {
    store
        .ensure_conversation(id, account, "sip", title, Some(peer), 1)
        .unwrap();
    for (at, (body, outgoing)) in messages.iter().enumerate() {
        store
            .insert_message(&MessageRecord {
                conversation_id: id.into(),
                author: peer.into(),
                body: (*body).into(),
                sent_at: 1_000 + at as i64,
                outgoing: *outgoing,
                ..MessageRecord::default()
            })
            .unwrap();
    }
}
