//! A URI handed to the window by another program (`ringlet sip:bob@example.org`, a link in
//! a browser, `ringlet ctl open`): a SIP address or a number is called from a SIP account
//! and its conversation shown; a P2P id opens the contact's conversation, or the form to
//! add it when it is not a contact yet.

use crate::desktop::uri::{OpenTarget, parse_open, tel_to_sip};
use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountDetails, AccountId, AccountKind};
use crate::ui::state::{AppState, Selection, SidebarTab};
use crate::ui::views::sidebar::open_conversation_with;

/// How long a URI waits for an account to come up (the window was started with it).
pub const ACCOUNT_WAIT_MS: i64 = 15_000;

/// Acts on `uri`, asked for at `since_ms`; returns the commands it needs, or `None` while
/// the account it needs is still starting (ask again next frame). What cannot be done is
/// said in the window's error list, in the user's language.
pub fn open(state: &mut AppState, tr: &I18n, uri: &str, since_ms: i64) -> Option<Vec<Command>> {
    let target = match parse_open(uri) {
        Ok(target) => target,
        Err(error) => {
            report(
                state,
                tr.tr_args("open-refused", &[("reason", error.to_string().into())]),
            );
            return Some(Vec::new());
        }
    };
    let kind = match target {
        OpenTarget::Sip(_) | OpenTarget::Tel(_) => AccountKind::Sip,
        OpenTarget::P2p(_) => AccountKind::P2p,
    };
    let Some(account) = account_for(state, kind) else {
        let starting = state
            .accounts
            .values()
            .any(|account| account.info.enabled && account.info.kind() == kind);
        if !state.engine_running || (starting && state.ui.now_ms - since_ms < ACCOUNT_WAIT_MS) {
            return None;
        }
        let key = match kind {
            AccountKind::Sip => "open-no-sip-account",
            AccountKind::P2p => "open-no-p2p-account",
        };
        return Some(no_account(state, tr, uri, key));
    };
    Some(match target {
        OpenTarget::Sip(peer) => call(state, &account, peer),
        OpenTarget::Tel(number) => {
            let aor = match state.accounts.get(&account).map(|row| &row.info.details) {
                Some(AccountDetails::Sip(config)) => config.aor.clone(),
                _ => String::new(),
            };
            match tel_to_sip(&number, &aor) {
                Some(peer) => call(state, &account, peer),
                None => no_account(state, tr, uri, "open-no-sip-account"),
            }
        }
        OpenTarget::P2p(id) => {
            let is_contact = state
                .contacts
                .values()
                .any(|contact| contact.account == account && contact.uri == id);
            if !(is_contact && open_conversation_with(state, &account, &id)) {
                // Not a contact (or no conversation yet): the add-contact box, filled in.
                let form = &mut state.ui.add_contact;
                form.open = true;
                form.account = Some(account);
                form.target = id;
                form.error = None;
                state.ui.sidebar_tab = SidebarTab::Contacts;
                state.ui.page = None;
            }
            Vec::new()
        }
    })
}

/// The account to use: the one whose page is open if it is of that kind and ready, else
/// the first ready one of that kind.
fn account_for(state: &AppState, kind: AccountKind) -> Option<AccountId> {
    let fits = |id: &AccountId| state.account_kind(id) == Some(kind) && state.account_ready(id);
    if let Selection::Account(id) = &state.ui.selection
        && fits(id)
    {
        return Some(id.clone());
    }
    let mut accounts: Vec<_> = state.accounts.values().collect();
    accounts.sort_by_key(|account| account.position);
    accounts
        .into_iter()
        .map(|account| account.info.id.clone())
        .find(|id| fits(id))
}

/// Calls `peer` and shows its conversation, where the call strip is (a SIP account's
/// conversation always opens: one is made when none exists).
fn call(state: &mut AppState, account: &AccountId, peer: String) -> Vec<Command> {
    open_conversation_with(state, account, &peer);
    vec![Command::PlaceCall {
        request: RequestId::next(),
        account: account.clone(),
        uri: peer,
    }]
}

fn no_account(state: &mut AppState, tr: &I18n, uri: &str, key: &str) -> Vec<Command> {
    report(state, tr.tr_args(key, &[("uri", uri.to_owned().into())]));
    Vec::new()
}

fn report(state: &mut AppState, error: String) {
    let error = crate::ui::state::Notice::Said(error);
    if !state.ui.errors.contains(&error) {
        state.ui.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountInfo, RegistrationState, SipAccountConfig};

    fn with_sip_account(registration: RegistrationState) -> AppState {
        let mut state = AppState {
            engine_running: true,
            ..AppState::default()
        };
        crate::ui::apply(
            &mut state,
            crate::engine::Event::AccountAdded {
                request: None,
                account: AccountInfo {
                    id: AccountId("sip-desk".into()),
                    name: "Desk".into(),
                    enabled: true,
                    created_at: 0,
                    registration,
                    details: AccountDetails::Sip(SipAccountConfig {
                        aor: "sip:desk@voip.example.org".into(),
                        ..Default::default()
                    }),
                },
            },
        );
        state
    }

    #[test]
    fn a_sip_or_tel_link_calls_from_the_ready_account_and_shows_the_conversation() {
        let tr = I18n::new("en-US");
        let mut state = with_sip_account(RegistrationState::Registered);
        let commands = open(&mut state, &tr, "sip:bob@example.org", 0).unwrap();
        assert!(matches!(
            commands.as_slice(),
            [Command::PlaceCall { account, uri, .. }]
                if account.0 == "sip-desk" && uri == "sip:bob@example.org"
        ));
        assert!(matches!(state.ui.selection, Selection::Conversation(_)));
        // Another spelling of the same address opens the same conversation, titled by
        // the address of record.
        let first = state.ui.selection.clone();
        open(&mut state, &tr, "sip:bob@EXAMPLE.org:5060;transport=udp", 0).unwrap();
        assert_eq!(state.ui.selection, first);
        assert_eq!(state.conversations.len(), 1);
        let row = state.conversations.values().next().unwrap();
        assert_eq!(row.peer.as_deref(), Some("sip:bob@example.org"));
        let commands = open(&mut state, &tr, "tel:+1-201-555-0123", 0).unwrap();
        assert!(matches!(
            commands.as_slice(),
            [Command::PlaceCall { uri, .. }]
                if uri == "sip:+12015550123@voip.example.org;user=phone"
        ));
    }

    #[test]
    fn a_link_waits_for_its_account_to_come_up_then_says_why_it_cannot_be_opened() {
        let tr = I18n::new("en-US");
        let mut state = with_sip_account(RegistrationState::Trying);
        state.ui.now_ms = 1_000;
        assert_eq!(open(&mut state, &tr, "sip:bob@example.org", 0), None);
        state.ui.now_ms = ACCOUNT_WAIT_MS + 1;
        assert_eq!(
            open(&mut state, &tr, "sip:bob@example.org", 0),
            Some(Vec::new())
        );
        assert_eq!(state.ui.errors.len(), 1);
        // No P2P account at all: said at once; a scheme Ringlet does not open, too.
        assert_eq!(open(&mut state, &tr, "ringlet:abcd", 0), Some(Vec::new()));
        assert_eq!(
            open(&mut state, &tr, "mailto:bob@example.org", 0),
            Some(Vec::new())
        );
        assert_eq!(state.ui.errors.len(), 3, "{:?}", state.ui.errors);
    }
}
