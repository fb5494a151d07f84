//! The control protocol: one JSON request per line from the client; one JSON reply per line
//! from the server (for `events`, one line per event until the client hangs up).

use serde::{Deserialize, Serialize};

pub use super::request::{
    AccountRef, AccountRequest, ContactRequest, FileRequest, GroupRequest, NameRequest,
    PresenceState, Request, Switch,
};
use crate::engine::{Command, ContactAnswer, GroupAction, RequestId};
use crate::model::{AccountId, CallId};
use crate::ui::AppState;

/// Longest request line accepted, so a stuck or hostile client cannot grow a buffer forever.
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// Why a request is refused before it reaches the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Longer than [`MAX_REQUEST_LEN`].
    #[error("request longer than {MAX_REQUEST_LEN} bytes")]
    TooLong,
    /// Not a request's JSON.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No call with that id.
    #[error("no call {}", .0.0)]
    NoCall(CallId),
    /// No account with that id or name.
    #[error("no account {0:?}")]
    NoAccount(String),
    /// Several accounts have that name.
    #[error("{count} accounts are named {name:?}; use the id")]
    AmbiguousName {
        /// The name.
        name: String,
        /// How many have it.
        count: usize,
    },
    /// A field's value that cannot be (said in words).
    #[error("{0}")]
    BadValue(String),
}

impl From<String> for RequestError {
    fn from(text: String) -> RequestError {
        RequestError::BadValue(text)
    }
}

/// An engine check run here, at once (a SIP account's settings).
impl From<crate::engine::failure::Failure> for RequestError {
    fn from(failure: crate::engine::failure::Failure) -> RequestError {
        RequestError::BadValue(failure.to_string())
    }
}

impl From<&str> for RequestError {
    fn from(text: &str) -> RequestError {
        RequestError::BadValue(text.to_owned())
    }
}

/// Parses one request line (without its newline).
pub fn parse_request(line: &[u8]) -> Result<Request, RequestError> {
    if line.len() > MAX_REQUEST_LEN {
        return Err(RequestError::TooLong);
    }
    serde_json::from_slice(line).map_err(|err| RequestError::Invalid(err.to_string()))
}

/// A reply: `{"ok": …}` or `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reply {
    /// Success, with a result.
    Ok(serde_json::Value),
    /// Failure, with a message for the user.
    Error(String),
}

/// A call id the daemon knows.
fn known_call(state: &AppState, call: CallId) -> Result<CallId, RequestError> {
    if state.calls.get(&call).is_some() {
        Ok(call)
    } else {
        Err(RequestError::NoCall(call))
    }
}

/// Finds an account by exact id, else by unique name.
pub fn resolve_account(state: &AppState, key: &AccountRef) -> Result<AccountId, RequestError> {
    key.resolve(state.accounts.values().map(|account| &account.info))
}

/// A command and the request id its answer will carry (`None` for commands answered by a
/// plain change event).
type Translated = Result<Option<(Command, Option<RequestId>)>, RequestError>;

/// A command answered by the event that carries its request id.
fn tagged(make: impl FnOnce(RequestId) -> Command) -> Translated {
    let request = RequestId::next();
    Ok(Some((make(request), Some(request))))
}

/// A command answered by a plain change event (or not at all).
fn plain(command: Command) -> Translated {
    Ok(Some((command, None)))
}

/// The engine command for a request that needs one, after names and ids are resolved.
pub fn to_command(state: &AppState, request: Request) -> Translated {
    let account = |key: &AccountRef| resolve_account(state, key);
    let call = |call: CallId| known_call(state, call);
    match request {
        Request::Status
        | Request::Events
        | Request::History { .. }
        | Request::Messages { .. }
        | Request::Contacts { .. } => Ok(None),
        Request::Account(request) => account_command(state, request),
        Request::Call { account: key, uri } => {
            let account = account(&key)?;
            tagged(|request| Command::PlaceCall {
                request,
                account,
                uri,
            })
        }
        Request::Answer { call: id } => plain(Command::AnswerCall(call(id)?)),
        Request::Reject { call: id } => plain(Command::RejectCall(call(id)?)),
        Request::Hangup { call: id } => plain(Command::HangUp(call(id)?)),
        Request::Hold { call: id } => plain(Command::HoldCall {
            call: call(id)?,
            hold: true,
        }),
        Request::Resume { call: id } => plain(Command::HoldCall {
            call: call(id)?,
            hold: false,
        }),
        Request::Transfer {
            call: id,
            uri,
            to_call,
        } => {
            let call_id = call(id)?;
            plain(match (uri, to_call) {
                (Some(target), None) => Command::TransferCall {
                    call: call_id,
                    target,
                },
                (None, Some(other)) => Command::AttendedTransfer {
                    call: call_id,
                    other: call(other)?,
                },
                _ => return Err("transfer needs either a URI or another call".into()),
            })
        }
        Request::Dtmf { call: id, digits } => {
            let call = call(id)?;
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|digit| digit.is_ascii_digit() || "*#ABCDabcd".contains(digit))
            {
                return Err(format!("{digits:?}: DTMF digits are 0-9, *, # and A-D").into());
            }
            plain(Command::SendDtmf { call, digits })
        }
        Request::Silence { call: id, state } => plain(Command::SilenceCall {
            call: call(id)?,
            silenced: state.on(),
        }),
        Request::Mute { call: id, state } => plain(Command::MuteCall {
            call: call(id)?,
            muted: state.on(),
        }),
        Request::Conference { calls, leave } => {
            let calls = calls.into_iter().map(call).collect::<Result<Vec<_>, _>>()?;
            if !leave && calls.len() < 2 {
                return Err("a conference needs at least two calls".into());
            }
            plain(Command::Conference {
                calls,
                join: !leave,
            })
        }
        Request::Record { call: id, state } => plain(Command::RecordCall {
            call: call(id)?,
            on: state.on(),
        }),
        Request::Message {
            account: key,
            uri,
            text,
        } => {
            let account = account(&key)?;
            tagged(|request| Command::SendMessage {
                request,
                account,
                uri,
                text,
            })
        }
        Request::Contact(request) => {
            let (key, peer, answer) = match request {
                ContactRequest::Add {
                    account: key,
                    uri,
                    name,
                } => {
                    let account = account(&key)?;
                    return tagged(|request| Command::AddContact {
                        request,
                        account,
                        uri,
                        name,
                    });
                }
                ContactRequest::Remove { account: key, uri } => {
                    let account = account(&key)?;
                    return tagged(|request| Command::RemoveContact {
                        request,
                        account,
                        uri,
                    });
                }
                ContactRequest::Devices { account: key, uri } => {
                    let account = account(&key)?;
                    return tagged(|request| Command::ContactDevices {
                        request,
                        account,
                        uri,
                    });
                }
                ContactRequest::Accept { account, id } => (account, id, ContactAnswer::Accept),
                ContactRequest::Decline { account, id } => (account, id, ContactAnswer::Decline),
                ContactRequest::Block { account, id } => (account, id, ContactAnswer::Block),
            };
            let account = account(&key)?;
            tagged(|request| Command::AnswerContact {
                request,
                account,
                peer,
                answer,
            })
        }
        Request::Group(request) => {
            let (key, action) = match request {
                GroupRequest::Create {
                    account,
                    title,
                    members,
                } => (account, GroupAction::Create { title, members }),
                GroupRequest::Join {
                    account,
                    conversation,
                } => (account, GroupAction::Join(conversation)),
                GroupRequest::Add {
                    account,
                    conversation,
                    member,
                } => (account, GroupAction::Add(conversation, member)),
                GroupRequest::Remove {
                    account,
                    conversation,
                    member,
                } => (account, GroupAction::Remove(conversation, member)),
            };
            let account = account(&key)?;
            tagged(|request| Command::Group {
                request,
                account,
                action,
            })
        }
        Request::Name(request) => {
            let (key, name, register) = match request {
                NameRequest::Register { account, name } => (account, name, true),
                NameRequest::Lookup { account, name } => (account, name, false),
            };
            let account = account(&key)?;
            tagged(|request| Command::Name {
                request,
                account,
                name,
                register,
            })
        }
        Request::Conversations { account: key } => {
            let account = account(&key)?;
            tagged(|request| Command::Conversations { request, account })
        }
        Request::SendFile {
            account: key,
            id,
            path,
        } => {
            let account = account(&key)?;
            tagged(|request| Command::SendFile {
                request,
                account,
                peer: id,
                path,
            })
        }
        Request::File(request) => {
            let (key, file, accept) = match request {
                FileRequest::Accept { account, file } => (account, file, true),
                FileRequest::Decline { account, file } => (account, file, false),
            };
            let account = account(&key)?;
            tagged(|request| Command::AnswerFile {
                request,
                account,
                file,
                accept,
            })
        }
        Request::MessageEdit {
            account: key,
            id,
            message,
            text,
        } => edit_message(account(&key)?, id, message, Some(text)),
        Request::MessageDelete {
            account: key,
            id,
            message,
        } => edit_message(account(&key)?, id, message, None),
        Request::Read { account: key, id } => {
            let account = account(&key)?;
            tagged(|request| Command::MarkRead {
                request,
                account,
                peer: id,
            })
        }
        Request::Typing {
            account: key,
            id,
            state,
        } => plain(Command::SetTyping {
            account: account(&key)?,
            peer: id,
            typing: state.on(),
        }),
        Request::Open { uri } => {
            if let Some(uri) = &uri {
                crate::desktop::uri::parse_open(uri).map_err(|err| err.to_string())?;
            }
            plain(Command::Open { uri })
        }
        Request::Shutdown => plain(Command::Shutdown),
        // Answered by the engine itself (engine/control.rs).
        body => tagged(|request| Command::Control { request, body }),
    }
}

fn edit_message(
    account: AccountId,
    peer: String,
    message: String,
    text: Option<String>,
) -> Translated {
    tagged(|request| Command::EditMessage {
        request,
        account,
        peer,
        message,
        text,
    })
}

/// `ctl account …` as a command.
fn account_command(state: &AppState, request: AccountRequest) -> Translated {
    let account = |key: &AccountRef| resolve_account(state, key);
    let no_passphrase = || "no passphrase given".to_owned();
    match request {
        AccountRequest::AddSip {
            name,
            config,
            password,
        } => {
            crate::engine::validate_sip_config(&config)?;
            tagged(|request| Command::AddSipAccount {
                request,
                name,
                config,
                password,
            })
        }
        AccountRequest::AddP2p { name, device_name } => {
            tagged(|request| Command::CreateP2pAccount {
                request,
                name,
                device_name,
            })
        }
        AccountRequest::Rename { account: key, name } => plain(Command::RenameAccount {
            account: account(&key)?,
            name,
        }),
        AccountRequest::Stun {
            account: key,
            servers,
        } => plain(Command::SetP2pStun {
            // Said here, at once, rather than by a failure nobody waits for.
            servers: servers
                .into_iter()
                .map(|server| {
                    crate::stun::check_server(&server)
                        .map(|()| server)
                        .map_err(|err| err.to_string())
                })
                .collect::<Result<_, _>>()?,
            account: account(&key)?,
        }),
        AccountRequest::Picture { account: key, file } => {
            let account = account(&key)?;
            tagged(|request| Command::SetPicture {
                request,
                account,
                path: file,
            })
        }
        AccountRequest::AutoAnswer {
            account: key,
            state,
        } => plain(Command::SetAutoAnswer {
            account: account(&key)?,
            on: state.on(),
        }),
        AccountRequest::Enable { account: key } => plain(Command::SetAccountEnabled {
            account: account(&key)?,
            enabled: true,
        }),
        AccountRequest::Disable { account: key } => plain(Command::SetAccountEnabled {
            account: account(&key)?,
            enabled: false,
        }),
        AccountRequest::Delete { account: key } => plain(Command::DeleteAccount {
            account: account(&key)?,
        }),
        AccountRequest::Export {
            account: key,
            path,
            passphrase,
        } => {
            let account = account(&key)?;
            let passphrase = passphrase.ok_or_else(no_passphrase)?;
            tagged(|request| Command::ExportArchive {
                request,
                account,
                path,
                passphrase,
            })
        }
        AccountRequest::RenameDevice { account: key, name } => plain(Command::RenameDevice {
            account: account(&key)?,
            name,
        }),
        AccountRequest::Revoke {
            account: key,
            device,
        } => plain(Command::RevokeDevice {
            account: account(&key)?,
            device,
        }),
        AccountRequest::Import {
            path,
            device_name,
            passphrase,
        } => {
            let passphrase = passphrase.ok_or_else(no_passphrase)?;
            tagged(|request| Command::ImportArchive {
                request,
                path,
                passphrase,
                device_name,
            })
        }
        AccountRequest::LinkPin { account: key } => {
            let account = account(&key)?;
            tagged(|request| Command::OfferLink { request, account })
        }
        AccountRequest::Link { pin, device_name } => tagged(|request| Command::LinkDevice {
            request,
            pin,
            device_name,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_garbage_is_refused() {
        let request = Request::Account(AccountRequest::AddP2p {
            name: "Alice".into(),
            device_name: None,
        });
        let line = serde_json::to_vec(&request).unwrap();
        assert_eq!(parse_request(&line).unwrap(), request);
        assert_eq!(
            parse_request(br#"{"method":"status"}"#).unwrap(),
            Request::Status
        );
        for garbage in [&b""[..], b"{", b"\xff\xfe", br#"{"method":"format-disk"}"#] {
            assert!(parse_request(garbage).is_err(), "{garbage:?}");
        }
        assert!(
            parse_request(&vec![b' '; MAX_REQUEST_LEN + 1])
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_request_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_request(&bytes);
        }
    }
}
