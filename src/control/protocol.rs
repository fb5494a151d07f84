//! The control protocol: one JSON request per line from the client; one JSON reply per line
//! from the server (for `events`, one line per event until the client hangs up).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::{Command, RequestId, Secret};
use crate::model::{AccountId, CallId, SipAccountConfig};
use crate::ui::AppState;
use crate::ui::state::{Account, Call};

/// Longest request line accepted, so a stuck or hostile client cannot grow a buffer forever.
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// A request from `ringlet ctl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Request {
    /// Accounts and calls as JSON.
    Status,
    /// Stream events as JSON lines.
    Events,
    /// Create a P2P account; the reply carries the account.
    AddP2pAccount {
        /// Display name.
        name: String,
        /// Device name.
        #[serde(default)]
        device_name: Option<String>,
    },
    /// Store a SIP account.
    AddSipAccount {
        /// Display name.
        name: String,
        /// Settings.
        config: SipAccountConfig,
        /// Password.
        #[serde(default)]
        password: Option<Secret>,
    },
    /// Place a call; the reply carries the call id.
    Call {
        /// Account id or name.
        account: String,
        /// Who to call.
        uri: String,
    },
    /// Answer a ringing call.
    Answer {
        /// Call id.
        call: u64,
    },
    /// Refuse a ringing call.
    Reject {
        /// Call id.
        call: u64,
    },
    /// End a call.
    Hangup {
        /// Call id.
        call: u64,
    },
    /// Call history as JSON, newest first.
    History {
        /// Only calls whose peer contains this.
        #[serde(default)]
        search: Option<String>,
    },
    /// Add a contact.
    AddContact {
        /// Account id or name.
        account: String,
        /// URI.
        uri: String,
        /// Name shown.
        #[serde(default)]
        name: String,
    },
    /// An account's contacts with presence.
    Contacts {
        /// Account id or name.
        account: String,
    },
    /// Set the account's own presence.
    SetPresence {
        /// Account id or name.
        account: String,
        /// Available.
        open: bool,
        /// A note.
        #[serde(default)]
        note: String,
    },
    /// A conversation's messages, oldest first.
    Messages {
        /// Account id or name.
        account: String,
        /// The peer (SIP URI).
        peer: String,
        /// Only messages containing this.
        #[serde(default)]
        search: Option<String>,
    },
    /// Put a call on hold.
    Hold {
        /// Call id.
        call: u64,
    },
    /// Resume a held call.
    Resume {
        /// Call id.
        call: u64,
    },
    /// Transfer a call: blind to `uri`, or attended to the peer of `to_call`.
    Transfer {
        /// Call id.
        call: u64,
        /// Blind transfer target.
        #[serde(default)]
        uri: Option<String>,
        /// Attended transfer: the other call.
        #[serde(default)]
        to_call: Option<u64>,
    },
    /// Send DTMF digits.
    Dtmf {
        /// Call id.
        call: u64,
        /// Digits.
        digits: String,
    },
    /// Mute or unmute our side of a call.
    Mute {
        /// Call id.
        call: u64,
        /// Muted.
        on: bool,
    },
    /// Join calls into a conference hosted here, or take them out.
    Conference {
        /// Call ids.
        calls: Vec<u64>,
        /// Join (true) or leave (false).
        #[serde(default = "default_true")]
        join: bool,
    },
    /// Start or stop recording a call.
    Record {
        /// Call id.
        call: u64,
        /// Recording.
        on: bool,
    },
    /// Play a file into a call (`off` stops), pause, resume or seek it.
    Play {
        /// Call id.
        call: u64,
        /// The file, `off`, or nothing to only control playback.
        #[serde(default)]
        path: Option<String>,
        /// Pause (true) or resume (false).
        #[serde(default)]
        paused: Option<bool>,
        /// Jump to this position.
        #[serde(default)]
        seek_ms: Option<u64>,
    },
    /// Send a text message; answered when the peer accepted or refused it.
    Message {
        /// Account id or name.
        account: String,
        /// Recipient URI.
        uri: String,
        /// Text.
        text: String,
    },
    /// Accept, decline or block a P2P contact.
    AnswerContact {
        /// Account id or name.
        account: String,
        /// The contact's account id.
        peer: String,
        /// `accept`, `decline` or `block`.
        answer: String,
    },
    /// The P2P networks' peer ids, addresses and peers.
    NodeInfo,
    /// Create, join or change a P2P group.
    Group {
        /// Account id or name.
        account: String,
        /// `create`, `join`, `add` or `remove`.
        action: String,
        /// The group (conversation id), except for `create`.
        #[serde(default)]
        conversation: String,
        /// Title for `create`.
        #[serde(default)]
        title: String,
        /// Members for `create`; the one member for `add` and `remove`.
        #[serde(default)]
        members: Vec<String>,
    },
    /// Register a name for a P2P account, or look one up.
    Name {
        /// Account id or name.
        account: String,
        /// The name.
        name: String,
        /// Register (else look up).
        #[serde(default)]
        register: bool,
    },
    /// A P2P account's conversations.
    Conversations {
        /// Account id or name.
        account: String,
    },
    /// Send a file in a P2P conversation.
    SendFile {
        /// Account id or name.
        account: String,
        /// The contact's account id or the group's id.
        peer: String,
        /// The file (absolute).
        path: std::path::PathBuf,
    },
    /// Accept or decline a file offered.
    AnswerFile {
        /// Account id or name.
        account: String,
        /// The file's id.
        file: String,
        /// Accept (else decline).
        accept: bool,
    },
    /// A P2P account's file transfers.
    Files {
        /// Account id or name.
        account: String,
    },
    /// Edit (or, with no text, delete) one of our P2P messages.
    EditMessage {
        /// Account id or name.
        account: String,
        /// The contact's account id or the group's id.
        peer: String,
        /// The message's commit id.
        message: String,
        /// The new text; none deletes.
        #[serde(default)]
        text: Option<String>,
    },
    /// Mark a P2P conversation read.
    MarkRead {
        /// Account id or name.
        account: String,
        /// The contact's account id or the group's id.
        peer: String,
    },
    /// Typing on or off in a P2P conversation.
    SetTyping {
        /// Account id or name.
        account: String,
        /// The contact's account id or the group's id.
        peer: String,
        /// Typing now.
        typing: bool,
    },
    /// Rename this device of a P2P account.
    RenameDevice {
        /// Account id or name.
        account: String,
        /// New device name.
        name: String,
    },
    /// Revoke another device of a P2P account.
    RevokeDevice {
        /// Account id or name.
        account: String,
        /// The device's peer id.
        device: String,
    },
    /// Rename an account (by id or name).
    RenameAccount {
        /// Account id or name.
        account: String,
        /// New name.
        name: String,
    },
    /// Enable or disable an account (by id or name).
    SetAccountEnabled {
        /// Account id or name.
        account: String,
        /// New state.
        enabled: bool,
    },
    /// Delete an account (by id or name).
    DeleteAccount {
        /// Account id or name.
        account: String,
    },
    /// Export a P2P account's archive.
    ExportAccount {
        /// Account id or name.
        account: String,
        /// Archive file to write.
        path: PathBuf,
        /// Passphrase.
        passphrase: Secret,
    },
    /// Offer a P2P account to a new device: answers a one-time PIN.
    LinkPin {
        /// Account id or name.
        account: String,
    },
    /// Join an account another device offered under a PIN.
    LinkAccount {
        /// The PIN.
        pin: Secret,
        /// Device name.
        #[serde(default)]
        device_name: Option<String>,
    },
    /// Import an account archive as a new device.
    ImportAccount {
        /// Archive file.
        path: PathBuf,
        /// Passphrase.
        passphrase: Secret,
        /// Device name.
        #[serde(default)]
        device_name: Option<String>,
    },
    /// Stop the daemon.
    Shutdown,
}

/// Parses one request line (without its newline).
pub fn parse_request(line: &[u8]) -> Result<Request, String> {
    if line.len() > MAX_REQUEST_LEN {
        return Err(format!("request longer than {MAX_REQUEST_LEN} bytes"));
    }
    serde_json::from_slice(line).map_err(|err| format!("invalid request: {err}"))
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

/// What `status` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport<'a> {
    /// Data directory.
    pub data_dir: Option<&'a std::path::Path>,
    /// Accounts in sidebar order.
    pub accounts: Vec<&'a Account>,
    /// Calls.
    pub calls: Vec<CallReport<'a>>,
    /// Contacts with their presence.
    pub contacts: Vec<&'a crate::ui::state::Contact>,
    /// Audio devices found.
    pub audio: AudioReport<'a>,
    /// The media thread's 20 ms ticks so far and how many started late.
    pub media_ticks: (u64, u64),
}

/// Audio devices in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioReport<'a> {
    /// Capture devices.
    pub inputs: &'a [String],
    /// Playback devices.
    pub outputs: &'a [String],
}

fn default_true() -> bool {
    true
}

/// A call in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallReport<'a> {
    /// Call id.
    pub id: u64,
    /// The call.
    #[serde(flatten)]
    pub call: &'a Call,
}

impl<'a> StatusReport<'a> {
    /// The report of a state.
    pub fn of(state: &'a AppState) -> StatusReport<'a> {
        let mut accounts: Vec<&Account> = state.accounts.values().collect();
        accounts.sort_by_key(|account| account.position);
        StatusReport {
            data_dir: state.data_dir.as_deref(),
            accounts,
            contacts: state.contacts.values().collect(),
            calls: state
                .calls
                .iter()
                .map(|(id, call)| CallReport { id: id.0, call })
                .collect(),
            audio: AudioReport {
                inputs: &state.audio_inputs,
                outputs: &state.audio_outputs,
            },
            media_ticks: state.media_ticks,
        }
    }
}

/// A call id the daemon knows.
fn known_call(state: &AppState, call: u64) -> Result<CallId, String> {
    let call = CallId(call);
    if state.calls.get(&call).is_some() {
        Ok(call)
    } else {
        Err(format!("no call {}", call.0))
    }
}

/// Finds an account by exact id, else by unique name.
pub fn resolve_account(state: &AppState, key: &str) -> Result<AccountId, String> {
    let id = AccountId(key.to_owned());
    if state.accounts.get(&id).is_some() {
        return Ok(id);
    }
    let named: Vec<_> = state
        .accounts
        .values()
        .filter(|account| account.info.name == key)
        .collect();
    match named.as_slice() {
        [one] => Ok(one.info.id.clone()),
        [] => Err(format!("no account {key:?}")),
        _ => Err(format!(
            "{} accounts are named {key:?}; use the id",
            named.len()
        )),
    }
}

/// The engine command for a request that needs one, with the request id its answer carries
/// (`None` for commands answered by a plain change event).
pub fn to_command(
    state: &AppState,
    request: Request,
) -> Result<Option<(Command, Option<RequestId>)>, String> {
    let tagged = |make: &dyn Fn(RequestId) -> Command| {
        let request = RequestId::next();
        Ok(Some((make(request), Some(request))))
    };
    match request {
        Request::Status
        | Request::Events
        | Request::History { .. }
        | Request::Messages { .. }
        | Request::Contacts { .. } => Ok(None),
        Request::AddSipAccount {
            name,
            config,
            password,
        } => tagged(&|request| Command::AddSipAccount {
            request,
            name: name.clone(),
            config: config.clone(),
            password: password.clone(),
        }),
        Request::Call { account, uri } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::PlaceCall {
                request,
                account: account.clone(),
                uri: uri.clone(),
            })
        }
        Request::Answer { call } => Ok(Some((Command::AnswerCall(known_call(state, call)?), None))),
        Request::Reject { call } => Ok(Some((Command::RejectCall(known_call(state, call)?), None))),
        Request::Hangup { call } => Ok(Some((Command::HangUp(known_call(state, call)?), None))),
        Request::AddContact { account, uri, name } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::AddContact {
                request,
                account: account.clone(),
                uri: uri.clone(),
                name: name.clone(),
            })
        }
        Request::SetPresence {
            account,
            open,
            note,
        } => Ok(Some((
            Command::SetPresence {
                account: resolve_account(state, &account)?,
                open,
                note,
            },
            None,
        ))),
        Request::Hold { call } => Ok(Some((
            Command::HoldCall {
                call: known_call(state, call)?,
                hold: true,
            },
            None,
        ))),
        Request::Resume { call } => Ok(Some((
            Command::HoldCall {
                call: known_call(state, call)?,
                hold: false,
            },
            None,
        ))),
        Request::Transfer { call, uri, to_call } => {
            let call = known_call(state, call)?;
            let command = match (uri, to_call) {
                (Some(target), None) => Command::TransferCall { call, target },
                (None, Some(other)) => Command::AttendedTransfer {
                    call,
                    other: known_call(state, other)?,
                },
                _ => return Err("transfer needs either a URI or another call".into()),
            };
            Ok(Some((command, None)))
        }
        Request::Dtmf { call, digits } => {
            let call = known_call(state, call)?;
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|digit| digit.is_ascii_digit() || "*#ABCDabcd".contains(digit))
            {
                return Err(format!("{digits:?}: DTMF digits are 0-9, *, # and A-D"));
            }
            Ok(Some((Command::SendDtmf { call, digits }, None)))
        }
        Request::Mute { call, on } => {
            let call = known_call(state, call)?;
            Ok(Some((Command::MuteCall { call, muted: on }, None)))
        }
        Request::Conference { calls, join } => {
            let calls = calls
                .into_iter()
                .map(|call| known_call(state, call))
                .collect::<Result<Vec<_>, _>>()?;
            if join && calls.len() < 2 {
                return Err("a conference needs at least two calls".into());
            }
            Ok(Some((Command::Conference { calls, join }, None)))
        }
        Request::Record { call, on } => {
            let call = known_call(state, call)?;
            Ok(Some((Command::RecordCall { call, on }, None)))
        }
        Request::Play {
            call,
            path,
            paused,
            seek_ms,
        } => {
            let call = known_call(state, call)?;
            match path {
                Some(path) if path == "off" => {
                    Ok(Some((Command::PlayIntoCall { call, path: None }, None)))
                }
                Some(path) => {
                    let path = std::path::PathBuf::from(path);
                    if !path.is_file() {
                        return Err(format!("{}: no such file", path.display()));
                    }
                    Ok(Some((
                        Command::PlayIntoCall {
                            call,
                            path: Some(path),
                        },
                        None,
                    )))
                }
                None if paused.is_some() || seek_ms.is_some() => Ok(Some((
                    Command::ControlPlayback {
                        call,
                        paused,
                        seek_ms,
                    },
                    None,
                ))),
                None => Err("play: give a file, off, --pause, --resume or --seek".into()),
            }
        }
        Request::Message { account, uri, text } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::SendMessage {
                request,
                account: account.clone(),
                uri: uri.clone(),
                text: text.clone(),
            })
        }
        Request::AnswerContact {
            account,
            peer,
            answer,
        } => {
            let account = resolve_account(state, &account)?;
            let answer = match answer.as_str() {
                "accept" => crate::engine::ContactAnswer::Accept,
                "decline" => crate::engine::ContactAnswer::Decline,
                "block" => crate::engine::ContactAnswer::Block,
                other => return Err(format!("{other:?} is not accept, decline or block")),
            };
            tagged(&|request| Command::AnswerContact {
                request,
                account: account.clone(),
                peer: peer.clone(),
                answer,
            })
        }
        Request::NodeInfo => tagged(&|request| Command::NodeInfo { request }),
        Request::Name {
            account,
            name,
            register,
        } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::Name {
                request,
                account: account.clone(),
                name: name.clone(),
                register,
            })
        }
        Request::Conversations { account } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::Conversations {
                request,
                account: account.clone(),
            })
        }
        Request::SendFile {
            account,
            peer,
            path,
        } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::SendFile {
                request,
                account: account.clone(),
                peer: peer.clone(),
                path: path.clone(),
            })
        }
        Request::AnswerFile {
            account,
            file,
            accept,
        } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::AnswerFile {
                request,
                account: account.clone(),
                file: file.clone(),
                accept,
            })
        }
        Request::Files { account } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::Files {
                request,
                account: account.clone(),
            })
        }
        Request::EditMessage {
            account,
            peer,
            message,
            text,
        } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::EditMessage {
                request,
                account: account.clone(),
                peer: peer.clone(),
                message: message.clone(),
                text: text.clone(),
            })
        }
        Request::MarkRead { account, peer } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::MarkRead {
                request,
                account: account.clone(),
                peer: peer.clone(),
            })
        }
        Request::SetTyping {
            account,
            peer,
            typing,
        } => Ok(Some((
            Command::SetTyping {
                account: resolve_account(state, &account)?,
                peer,
                typing,
            },
            None,
        ))),
        Request::Group {
            account,
            action,
            conversation,
            title,
            members,
        } => {
            let account = resolve_account(state, &account)?;
            let one = || {
                members
                    .first()
                    .cloned()
                    .ok_or_else(|| format!("group {action} needs a member"))
            };
            let action = match action.as_str() {
                "create" => crate::engine::GroupAction::Create {
                    title: title.clone(),
                    members: members.clone(),
                },
                "join" => crate::engine::GroupAction::Join(conversation.clone()),
                "add" => crate::engine::GroupAction::Add(conversation.clone(), one()?),
                "remove" => crate::engine::GroupAction::Remove(conversation.clone(), one()?),
                other => return Err(format!("{other:?} is not create, join, add or remove")),
            };
            tagged(&|request| Command::Group {
                request,
                account: account.clone(),
                action: action.clone(),
            })
        }
        Request::RenameDevice { account, name } => Ok(Some((
            Command::RenameDevice {
                account: resolve_account(state, &account)?,
                name,
            },
            None,
        ))),
        Request::RevokeDevice { account, device } => Ok(Some((
            Command::RevokeDevice {
                account: resolve_account(state, &account)?,
                device,
            },
            None,
        ))),
        Request::AddP2pAccount { name, device_name } => {
            tagged(&|request| Command::CreateP2pAccount {
                request,
                name: name.clone(),
                device_name: device_name.clone(),
            })
        }
        Request::ImportAccount {
            path,
            passphrase,
            device_name,
        } => tagged(&|request| Command::ImportArchive {
            request,
            path: path.clone(),
            passphrase: passphrase.clone(),
            device_name: device_name.clone(),
        }),
        Request::LinkPin { account } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::OfferLink {
                request,
                account: account.clone(),
            })
        }
        Request::LinkAccount { pin, device_name } => tagged(&|request| Command::LinkDevice {
            request,
            pin: pin.clone(),
            device_name: device_name.clone(),
        }),
        Request::ExportAccount {
            account,
            path,
            passphrase,
        } => {
            let account = resolve_account(state, &account)?;
            tagged(&|request| Command::ExportArchive {
                request,
                account: account.clone(),
                path: path.clone(),
                passphrase: passphrase.clone(),
            })
        }
        Request::RenameAccount { account, name } => Ok(Some((
            Command::RenameAccount {
                account: resolve_account(state, &account)?,
                name,
            },
            None,
        ))),
        Request::SetAccountEnabled { account, enabled } => Ok(Some((
            Command::SetAccountEnabled {
                account: resolve_account(state, &account)?,
                enabled,
            },
            None,
        ))),
        Request::DeleteAccount { account } => Ok(Some((
            Command::DeleteAccount {
                account: resolve_account(state, &account)?,
            },
            None,
        ))),
        Request::Shutdown => Ok(Some((Command::Shutdown, None))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_garbage_is_refused() {
        let request = Request::AddP2pAccount {
            name: "Alice".into(),
            device_name: None,
        };
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
