//! What `ctl status` prints: report structs of their own, built from the daemon's state
//! tables, so the window's structs can change without changing scripts' JSON. The keys are
//! those `status` has always printed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::{AccountId, AccountInfo, CallState, ContactState, MediaStats};
use crate::ui::AppState;

/// What `status` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport<'a> {
    /// Data directory.
    pub data_dir: Option<&'a Path>,
    /// Accounts in sidebar order.
    pub accounts: Vec<AccountReport<'a>>,
    /// Calls.
    pub calls: Vec<CallReport<'a>>,
    /// Contacts with their presence.
    pub contacts: Vec<ContactReport<'a>>,
    /// Audio devices found.
    pub audio: AudioReport<'a>,
    /// The media thread's 20 ms ticks so far and how many started late.
    pub media_ticks: (u64, u64),
}

/// An account in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountReport<'a> {
    /// Id, name, kind, settings and registration state.
    #[serde(flatten)]
    pub info: &'a AccountInfo,
    /// Position in the list.
    pub position: u64,
    /// Voice messages waiting (new, old).
    pub voicemail: Option<(u32, u32)>,
    /// The public address learnt by STUN.
    pub public_address: Option<&'a str>,
    /// Calls the account's other devices are in.
    pub calls_elsewhere: &'a [crate::ui::state::CallElsewhere],
    /// Hex SHA-256 of the account's profile picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<&'a str>,
}

/// A call in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallReport<'a> {
    /// Call id.
    pub id: u64,
    /// Account carrying the call.
    pub account: &'a AccountId,
    /// The other side.
    pub peer: &'a str,
    /// State.
    pub state: CallState,
    /// Placed by us.
    pub outgoing: bool,
    /// The peer holds the call.
    pub held_remotely: bool,
    /// DTMF digits received, in order.
    pub dtmf_received: &'a str,
    /// Last progress code of a transfer we asked for.
    pub transfer_code: Option<u16>,
    /// Our side is muted.
    pub muted: bool,
    /// In the conference hosted here.
    pub conference: bool,
    /// The file the call is recorded to.
    pub recording: Option<&'a PathBuf>,
    /// The file playing into the call.
    pub playing: Option<&'a PathBuf>,
    /// Audio figures, once media runs.
    pub media: Option<&'a MediaStats>,
    /// A P2P call's device (peer id).
    pub device: Option<&'a str>,
    /// A P2P call's media path (`udp-direct`, `stream-direct`, `stream-relayed`).
    pub path: Option<crate::model::MediaPath>,
    /// On `udp-direct`, the ICE pair: `LOCAL REMOTE` socket addresses.
    pub ice_pair: Option<&'a str>,
}

/// A contact in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactReport<'a> {
    /// Account the contact belongs to.
    pub account: &'a AccountId,
    /// URI or account id.
    pub uri: &'a str,
    /// Name shown.
    pub display_name: &'a str,
    /// `confirmed`, `requested`, `incoming`, `declined` or `blocked`.
    pub state: ContactState,
    /// Online now: `Some(true)` available, `Some(false)` not, `None` unknown.
    pub online: Option<bool>,
    /// The name a P2P contact gives itself (its profile), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<&'a str>,
    /// Hex SHA-256 of the profile picture a P2P contact shows, once received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<&'a str>,
}

/// Audio devices in `status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioReport<'a> {
    /// Capture devices.
    pub inputs: &'a [String],
    /// Playback devices.
    pub outputs: &'a [String],
}

impl<'a> StatusReport<'a> {
    /// The report of a state.
    pub fn of(state: &'a AppState) -> StatusReport<'a> {
        let mut accounts: Vec<AccountReport<'a>> = state
            .accounts
            .values()
            .map(|account| AccountReport {
                info: &account.info,
                position: account.position,
                voicemail: account.voicemail,
                public_address: account.public_address.as_deref(),
                calls_elsewhere: &account.calls_elsewhere,
                picture: state
                    .pictures
                    .get(&(account.info.id.clone(), None))
                    .map(|picture| picture.hash.as_str()),
            })
            .collect();
        accounts.sort_by_key(|account| account.position);
        StatusReport {
            data_dir: state.data_dir.as_deref(),
            accounts,
            contacts: state
                .contacts
                .values()
                .map(|contact| ContactReport::of(state, contact))
                .collect(),
            calls: state
                .calls
                .iter()
                .map(|(id, call)| CallReport {
                    id: id.0,
                    account: &call.account,
                    peer: &call.peer,
                    state: call.state,
                    outgoing: call.outgoing,
                    held_remotely: call.held_remotely,
                    dtmf_received: &call.dtmf_received,
                    transfer_code: call.transfer_code,
                    muted: call.muted,
                    conference: call.conference,
                    recording: call.recording.as_ref(),
                    playing: call.playing.as_ref(),
                    media: call.media.as_ref(),
                    device: call.path.as_ref().map(|(device, _)| device.as_str()),
                    path: call.path.as_ref().map(|(_, path)| *path),
                    ice_pair: call.ice_pair.as_deref(),
                })
                .collect(),
            audio: AudioReport {
                inputs: &state.audio_inputs,
                outputs: &state.audio_outputs,
            },
            media_ticks: state.media_ticks,
        }
    }
}

impl<'a> ContactReport<'a> {
    /// A contact row of `state` as `status` and `contacts` print it.
    pub fn of(state: &'a AppState, contact: &'a crate::ui::state::Contact) -> ContactReport<'a> {
        ContactReport {
            account: &contact.account,
            uri: &contact.uri,
            display_name: &contact.display_name,
            state: contact.state,
            online: contact.online,
            profile: state
                .profiles
                .get(&(contact.account.clone(), contact.uri.clone()))
                .map(String::as_str),
            picture: state
                .pictures
                .get(&(contact.account.clone(), Some(contact.uri.clone())))
                .map(|picture| picture.hash.as_str()),
        }
    }
}
