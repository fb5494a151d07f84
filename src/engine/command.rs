//! What the window, the control socket and tests ask of the engine.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::model::{AccountId, CallId, SipAccountConfig};

/// Ties a command to the event that answers it (`AccountAdded`, `Failed`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

impl RequestId {
    /// A request id unique in this process, whoever sends the command (window, control
    /// socket, test).
    pub fn next() -> RequestId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RequestId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A password or passphrase: never printed by `Debug`, so commands can be logged.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(text.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A request to the engine. Plain data: ids, strings, numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Create a P2P account with a fresh key pair and certify this device.
    CreateP2pAccount {
        /// Answered by `AccountAdded` or `Failed`.
        request: RequestId,
        /// Display name.
        name: String,
        /// This device's name; the host name when `None`.
        device_name: Option<String>,
    },
    /// Store a SIP account (its network side comes with the SIP stack).
    AddSipAccount {
        /// Answered by `AccountAdded` or `Failed`.
        request: RequestId,
        /// Display name.
        name: String,
        /// Settings.
        config: SipAccountConfig,
        /// Password, sealed at rest.
        password: Option<Secret>,
    },
    /// Add this device to an account from an encrypted archive.
    ImportArchive {
        /// Answered by `AccountAdded` or `Failed`.
        request: RequestId,
        /// Archive file.
        path: PathBuf,
        /// Its passphrase.
        passphrase: Secret,
        /// This device's name; the host name when `None`.
        device_name: Option<String>,
    },
    /// Offer a P2P account to a new device over the network: a one-time PIN.
    OfferLink {
        /// Answered by `Answer` (`pin`, `expires_in_s`) or `Failed`.
        request: RequestId,
        /// The P2P account.
        account: AccountId,
    },
    /// Join an account offered by another device under a PIN.
    LinkDevice {
        /// Answered by `AccountAdded` or `Failed`.
        request: RequestId,
        /// The PIN as typed.
        pin: Secret,
        /// This device's name; the host name when `None`.
        device_name: Option<String>,
    },
    /// Write an account's encrypted archive.
    ExportArchive {
        /// Answered by `ArchiveExported` or `Failed`.
        request: RequestId,
        /// The P2P account.
        account: AccountId,
        /// Where to write.
        path: PathBuf,
        /// Passphrase to seal it with.
        passphrase: Secret,
    },
    /// Rename an account.
    RenameAccount {
        /// Account.
        account: AccountId,
        /// New display name.
        name: String,
    },
    /// Replace a SIP account's settings; its driver restarts with them (a new REGISTER).
    UpdateSipAccount {
        /// Answered by `AccountChanged` or `Failed`.
        request: RequestId,
        /// Account.
        account: AccountId,
        /// The new settings.
        config: SipAccountConfig,
        /// A new password (empty removes it); `None` keeps the stored one.
        password: Option<Secret>,
    },
    /// The STUN servers a P2P account's calls ask besides its bootstrap nodes (the next
    /// call uses them; no restart).
    SetP2pStun {
        /// Account.
        account: AccountId,
        /// `HOST:PORT` or `HOST` (port 3478).
        servers: Vec<String>,
    },
    /// Set the account's profile picture from a PNG or JPEG file, or remove it (`None`). A
    /// P2P account shows it to its contacts. Answered by `Answer` (`{"picture": HASH}`) or
    /// `Failed`, once the file is read and scaled off the loop.
    SetPicture {
        /// Answered once done.
        request: RequestId,
        /// Account.
        account: AccountId,
        /// The picture's file.
        path: Option<std::path::PathBuf>,
    },
    /// Answer calls to an account at once, or no longer (SIP or P2P; no restart).
    SetAutoAnswer {
        /// Account.
        account: AccountId,
        /// On or off.
        on: bool,
    },
    /// Enable or disable an account.
    SetAccountEnabled {
        /// Account.
        account: AccountId,
        /// New state.
        enabled: bool,
    },
    /// Delete an account and everything of it on this device.
    DeleteAccount {
        /// Account.
        account: AccountId,
    },
    /// Place a call from an account.
    PlaceCall {
        /// Answered by `CallAdded` or `Failed`.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// Who to call (`sip:bob@192.0.2.1:5060`).
        uri: String,
    },
    /// Answer a ringing call.
    AnswerCall(CallId),
    /// Refuse a ringing call (486 Busy Here).
    RejectCall(CallId),
    /// End, cancel or refuse a call.
    HangUp(CallId),
    /// Put a call on hold (`true`) or resume it.
    HoldCall {
        /// The call.
        call: CallId,
        /// Hold or resume.
        hold: bool,
    },
    /// Blind transfer: ask the peer to call `target`.
    TransferCall {
        /// The call.
        call: CallId,
        /// Where to (`sip:carol@example.org`).
        target: String,
    },
    /// Attended transfer: connect the peers of two calls of one account.
    AttendedTransfer {
        /// The call whose peer is transferred.
        call: CallId,
        /// The call whose peer it joins.
        other: CallId,
    },
    /// Send DTMF digits (`0`–`9`, `*`, `#`, `A`–`D`).
    SendDtmf {
        /// The call.
        call: CallId,
        /// Digits.
        digits: String,
    },
    /// Mute or unmute our side of a call.
    MuteCall {
        /// The call.
        call: CallId,
        /// Muted.
        muted: bool,
    },
    /// In a conference hosted here, silence a participant (nobody hears it), or no longer.
    SilenceCall {
        /// The call.
        call: CallId,
        /// Silenced.
        silenced: bool,
    },
    /// Start or stop recording a call (a stereo WAV in the data directory's `recordings/`).
    RecordCall {
        /// The call.
        call: CallId,
        /// Recording.
        on: bool,
    },
    /// Play a file into a call (both sides hear it), or stop (`None`).
    PlayIntoCall {
        /// The call.
        call: CallId,
        /// The file.
        path: Option<std::path::PathBuf>,
    },
    /// Join calls into one conference hosted here (each participant hears the others and
    /// us), or take them out of it.
    Conference {
        /// The calls.
        calls: Vec<CallId>,
        /// Join (true) or leave (false).
        join: bool,
    },
    /// The volume of what the user hears in calls (1.0 as is, up to 2.0).
    SetVolume {
        /// Gain.
        volume: f32,
    },
    /// Send a text message.
    SendMessage {
        /// Answered by `MessageDelivery` or `Failed`.
        request: RequestId,
        /// From this account.
        account: AccountId,
        /// To (`sip:bob@example.org`).
        uri: String,
        /// Text.
        text: String,
    },
    /// Add a contact to an account (SIP: its presence is watched).
    AddContact {
        /// Answered by `ContactAdded` or `Failed`.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// SIP URI (or P2P account id).
        uri: String,
        /// Name shown.
        name: String,
    },
    /// No longer a contact (answered by `ContactRemoved` or `Failed`): a SIP contact is
    /// forgotten and no longer watched; a P2P one is kept as declined, its conversation
    /// and history stay.
    RemoveContact {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// SIP URI or P2P account id.
        uri: String,
    },
    /// A P2P contact's devices (answered by `Answer`: `devices`, each with its `id`, `name`
    /// and whether it is `online`; or `Failed`).
    ContactDevices {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The contact's account id.
        uri: String,
    },
    /// Accept, decline or block a P2P contact (request).
    AnswerContact {
        /// Answered by `ContactAdded` or `Failed`.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The contact's account id.
        peer: String,
        /// What to do.
        answer: super::ContactAnswer,
    },
    /// Rename this device of a P2P account (answered by `AccountChanged` or `Failed`).
    RenameDevice {
        /// The account.
        account: AccountId,
        /// The new name.
        name: String,
    },
    /// Revoke another device of a P2P account (answered by `AccountChanged` or `Failed`).
    RevokeDevice {
        /// The account.
        account: AccountId,
        /// The device's peer id.
        device: String,
    },
    /// Create, join or change a group (answered by `Answer` with the conversation id, or
    /// `Failed`).
    Group {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// What to do.
        action: super::GroupAction,
    },
    /// Register a name for a P2P account, or look one up (answered by `Answer` with the
    /// name and its account, or `Failed`).
    Name {
        /// The request.
        request: RequestId,
        /// The account (which registers, or whose network looks up).
        account: AccountId,
        /// The name.
        name: String,
        /// Register (else look up).
        register: bool,
    },
    /// One conversation's stored messages, the newest `limit` (answered by `Messages`): its
    /// history when the window opens it, or what a search within it finds.
    Messages {
        /// The request.
        request: RequestId,
        /// The conversation.
        conversation: crate::model::ConversationId,
        /// Only messages containing this text.
        search: Option<String>,
        /// Only messages before this one (its store row, `MessageRecord::id`): the page of
        /// older ones a scroll to the top asks for.
        before: Option<i64>,
        /// At most this many, newest.
        limit: usize,
    },
    /// Messages of every conversation containing `text`, newest first (answered by
    /// `Found`): the window's one search box.
    SearchMessages {
        /// The request.
        request: RequestId,
        /// The text searched for.
        text: String,
        /// At most this many.
        limit: usize,
    },
    /// The newest calls of the history (answered by `CallHistory`): the window's Recent
    /// calls.
    CallHistory {
        /// The request.
        request: RequestId,
        /// At most this many.
        limit: usize,
    },
    /// A P2P account's conversations (answered by `Answer`).
    Conversations {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
    },
    /// Send a file in a P2P conversation (answered by `Answer` with the transfer, or
    /// `Failed`).
    SendFile {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The contact's account id or the group's id.
        peer: String,
        /// The file.
        path: std::path::PathBuf,
    },
    /// Accept or decline a file offered (answered by `Answer` with the transfer, or
    /// `Failed`).
    AnswerFile {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The file's id.
        file: String,
        /// Accept (else decline).
        accept: bool,
    },
    /// Edit one of our P2P messages, or delete it for everyone (`text` `None`); answered by
    /// `MessageDelivery` (202) or `Failed`.
    EditMessage {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The contact's account id or the group's id.
        peer: String,
        /// The message (its commit id).
        message: String,
        /// The new text; `None` deletes.
        text: Option<String>,
    },
    /// Mark a P2P conversation read and tell the authors (answered by `Answer` with the count).
    MarkRead {
        /// The request.
        request: RequestId,
        /// The account.
        account: AccountId,
        /// The contact's account id or the group's id.
        peer: String,
    },
    /// Tell a P2P conversation's members we are typing, or stopped.
    SetTyping {
        /// The account.
        account: AccountId,
        /// The contact's account id or the group's id.
        peer: String,
        /// Typing now.
        typing: bool,
    },
    /// Replace the settings (saved to `config.toml`).
    UpdateSettings(Settings),
    /// List audio devices again.
    RefreshAudioDevices,
    /// Start or stop reporting the input level of the chosen microphone.
    SetInputMeter {
        /// On or off.
        on: bool,
    },
    /// Bring the window to the front, opening `uri` (sip:, sips:, tel:, ringlet:) in it:
    /// passed on as `Event::Open` (a headless engine has no window and ignores it).
    Open {
        /// What to open; `None` only raises the window.
        uri: Option<String>,
    },
    /// A `ringlet ctl` request the engine answers itself, account names and call ids
    /// checked here (`engine/control.rs`): answered by `Answer` or `Failed`. A new ctl
    /// command is a [`Request`](crate::control::Request) variant and its arm there.
    Control {
        /// Answered by `Answer` or `Failed`.
        request: RequestId,
        /// What was asked.
        body: crate::control::Request,
    },
    /// Stop the engine.
    Shutdown,
}
