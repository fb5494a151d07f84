//! What the engine tells the window, the control socket and tests.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::command::RequestId;
use crate::config::Settings;
use crate::model::MediaPath;
use crate::model::{
    AccountId, AccountInfo, CallId, CallState, ContactInfo, ConversationInfo, TransferInfo,
};

/// Something that happened in the engine. Plain data, serialisable as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The engine is up; everything a fresh view needs.
    Started {
        /// The data directory in use.
        data_dir: PathBuf,
        /// Current settings.
        settings: Settings,
        /// All accounts.
        accounts: Vec<AccountInfo>,
        /// All contacts.
        contacts: Vec<ContactInfo>,
        /// All conversations, most recent first.
        conversations: Vec<ConversationInfo>,
    },
    /// An account was created or imported.
    AccountAdded {
        /// The command that asked for it, if any.
        request: Option<RequestId>,
        /// The account.
        account: AccountInfo,
    },
    /// An account's name, state or devices changed.
    AccountChanged {
        /// The account as it is now.
        account: AccountInfo,
    },
    /// An account was deleted.
    AccountRemoved {
        /// Its id.
        account: AccountId,
    },
    /// Settings were changed and saved.
    SettingsChanged {
        /// The new settings.
        settings: Settings,
    },
    /// The audio devices present.
    AudioDevices {
        /// Capture device names.
        inputs: Vec<String>,
        /// Playback device names.
        outputs: Vec<String>,
    },
    /// Peak level of the microphone over the last interval, 0.0 to 1.0 (while the meter is on).
    InputLevel {
        /// Peak absolute sample value.
        peak: f32,
    },
    /// The volume calls are played at changed (1.0 as received), whoever set it.
    Volume {
        /// The new volume, 0.0 to 2.0.
        volume: f32,
    },
    /// An account archive was written.
    ArchiveExported {
        /// The command that asked for it.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The file.
        path: PathBuf,
    },
    /// A call appeared (placed or received).
    CallAdded {
        /// The command that placed it, for outgoing calls.
        request: Option<RequestId>,
        /// Call id.
        call: CallId,
        /// Account carrying it.
        account: AccountId,
        /// The other side.
        peer: String,
        /// Its state.
        state: CallState,
    },
    /// A call changed state.
    CallChanged {
        /// Call id.
        call: CallId,
        /// New state.
        state: CallState,
    },
    /// A call ended and was written to the history.
    CallEnded {
        /// Call id.
        call: CallId,
        /// Why (`hangup`, `remote-hangup`, `cancelled`, `rejected-486`, `timeout`, `replaced`,
        /// `unreachable`: the address could not be resolved; `no-media`: no usable audio).
        reason: String,
    },
    /// Hold state of a call changed.
    CallHold {
        /// Call id.
        call: CallId,
        /// We hold it.
        local: bool,
        /// The peer holds it.
        remote: bool,
    },
    /// A P2P call's device and how its media travels (end-to-end encrypted always);
    /// again when the path changes.
    CallPath {
        /// Call id.
        call: CallId,
        /// The other side's device (its peer id).
        device: String,
        /// The media's path.
        path: MediaPath,
        /// On `udp-direct`, the ICE pair: `LOCAL REMOTE` socket addresses.
        pair: Option<String>,
    },
    /// A call's audio figures (about once a second while it has audio).
    CallMedia {
        /// Call id.
        call: CallId,
        /// Figures.
        stats: crate::media::stream::MediaStats,
    },
    /// A call joined or left the conference hosted here.
    CallConference {
        /// Call id.
        call: CallId,
        /// In the conference.
        joined: bool,
    },
    /// The media thread's health while calls run: ticks so far and those that started
    /// more than 10 ms late.
    MediaHealth {
        /// Ticks run.
        ticks: u64,
        /// Late ones.
        late: u64,
    },
    /// Our side of a call was muted or unmuted.
    CallMuted {
        /// Call id.
        call: CallId,
        /// Muted.
        muted: bool,
    },
    /// A call's recording started (with its file) or stopped.
    CallRecording {
        /// Call id.
        call: CallId,
        /// The file while recording.
        path: Option<PathBuf>,
    },
    /// A file started (with its path) or stopped playing into a call.
    CallPlaying {
        /// Call id.
        call: CallId,
        /// The file while playing.
        path: Option<PathBuf>,
    },
    /// A DTMF digit arrived in a call.
    Dtmf {
        /// Call id.
        call: CallId,
        /// The digit.
        digit: char,
    },
    /// Progress of a transfer we asked for: 202 accepted, then the transferee's status
    /// codes (200 done); a code of 300 or more means it failed and the call stays.
    TransferProgress {
        /// Call id.
        call: CallId,
        /// Status code.
        code: u16,
    },
    /// A contact was added (or renamed).
    ContactAdded {
        /// The `AddContact` request, when it came from one.
        request: Option<RequestId>,
        /// The contact.
        contact: ContactInfo,
    },
    /// The name another account gives itself (its profile), learnt from its signed device
    /// list; also told for those known when a P2P account starts.
    PeerProfile {
        /// Our account.
        account: AccountId,
        /// Their account id.
        peer: String,
        /// Their name.
        name: String,
    },
    /// A profile picture: our account's own (`peer` none) or the one another account shows
    /// (a P2P contact's, learnt from its device); `picture` none when removed. Also told for
    /// those known when the engine or a P2P account starts.
    Picture {
        /// Our account.
        account: AccountId,
        /// Their account id, for another account's.
        peer: Option<String>,
        /// The picture.
        picture: Option<crate::model::Picture>,
    },
    /// A contact was removed.
    ContactRemoved {
        /// The `RemoveContact` request.
        request: Option<RequestId>,
        /// The account.
        account: AccountId,
        /// Its URI or account id.
        uri: String,
    },
    /// A contact's presence changed: `Some(true)` available, `Some(false)` away or
    /// offline, `None` unknown.
    ContactPresence {
        /// The account watching.
        account: AccountId,
        /// The contact's URI.
        uri: String,
        /// Its state.
        online: Option<bool>,
    },
    /// The public address an account learnt by STUN.
    PublicAddress {
        /// The account.
        account: AccountId,
        /// `IP:PORT`.
        address: String,
    },
    /// Voice messages waiting for an account.
    Voicemail {
        /// The account.
        account: AccountId,
        /// New messages.
        new: u32,
        /// Old messages.
        old: u32,
    },
    /// Another device of our P2P account is in a call with `peer` (or no longer).
    CallElsewhere {
        /// Our account.
        account: AccountId,
        /// The device's name.
        device: String,
        /// The other side: a contact's account id.
        peer: String,
        /// In the call now.
        active: bool,
    },
    /// A conversation was created here (before any message in it).
    ConversationAdded {
        /// The conversation.
        conversation: ConversationInfo,
    },
    /// A P2P message was edited (`text`) or deleted for everyone (`None`), by us or its
    /// author on another device.
    MessageEdited {
        /// The conversation it is in.
        conversation: crate::model::ConversationId,
        /// The message (its commit id).
        commit: String,
        /// Its new text; `None` when deleted.
        text: Option<String>,
    },
    /// A message was sent or received (it is stored).
    MessageAdded {
        /// The conversation it is in.
        conversation: ConversationInfo,
        /// The other side.
        peer: String,
        /// Text.
        text: String,
        /// Sent by us.
        outgoing: bool,
        /// Unix milliseconds.
        sent_at_ms: i64,
        /// The P2P message's id (its commit), which receipts name.
        #[serde(default)]
        commit: Option<String>,
    },
    /// The answer to `Messages`: stored messages of one conversation, oldest first.
    Messages {
        /// The request.
        request: RequestId,
        /// The conversation.
        conversation: crate::model::ConversationId,
        /// The search asked for, if any.
        search: Option<String>,
        /// The page asked for ends before this row (older messages), if any.
        before: Option<i64>,
        /// The messages.
        messages: Vec<crate::model::MessageRecord>,
    },
    /// The answer to `SearchMessages`: messages of any conversation, newest first.
    Found {
        /// The request.
        request: RequestId,
        /// The text searched for.
        text: String,
        /// The messages.
        messages: Vec<crate::model::MessageRecord>,
    },
    /// The answer to `CallHistory`: calls, newest first.
    CallHistory {
        /// The request.
        request: RequestId,
        /// The calls.
        calls: Vec<crate::model::CallRecord>,
    },
    /// What became of a message we sent (the final SIP status code).
    MessageDelivery {
        /// The `SendMessage` request.
        request: RequestId,
        /// Status code: 2xx delivered, else failed.
        code: u16,
    },
    /// The JSON answer to a query (`NodeInfo`, `Group`, `Conversations`).
    Answer {
        /// The request.
        request: RequestId,
        /// What it asked for.
        value: serde_json::Value,
    },
    /// A command failed; `error` is shown to the user as is.
    Failed {
        /// The command, when it carried a request id.
        request: Option<RequestId>,
        /// What went wrong, naming the file or account concerned, in English.
        error: String,
        /// The same for every language, when the engine knows the kind of failure.
        #[serde(skip_serializing_if = "Option::is_none")]
        problem: Option<crate::model::Problem>,
    },
    /// A member of a P2P conversation started or stopped typing.
    Typing {
        /// Our account.
        account: AccountId,
        /// The conversation.
        conversation: crate::model::ConversationId,
        /// The member's account id.
        peer: String,
        /// Typing now.
        typing: bool,
    },
    /// Messages of ours in a P2P conversation were delivered to, or read by, a member.
    Receipt {
        /// Our account.
        account: AccountId,
        /// The conversation.
        conversation: crate::model::ConversationId,
        /// The messages (commit ids).
        commits: Vec<String>,
        /// `delivered` or `read`.
        receipt: String,
    },
    /// A file transfer started, moved on, ended or was answered.
    TransferUpdated {
        /// The transfer as it is now.
        transfer: TransferInfo,
    },
    /// Something worth telling the user that is not a failure (a device fell back, …).
    Notice {
        /// The text, in English.
        text: String,
        /// The same for every language (the window says it in its own).
        problem: crate::model::Problem,
    },
    /// Another program asked the window to come forward and open this (`Command::Open`).
    Open {
        /// What to open; `None` only raises the window.
        uri: Option<String>,
    },
    /// The engine has stopped; no more events follow.
    Stopped,
}
