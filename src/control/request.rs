//! The one typed control surface: [`Request`] is at once the `ringlet ctl` command line
//! (clap derives it), the control socket's wire type (serde derives it) and the
//! vocabulary of outside control. Fields are typed (call ids, account references, model
//! enums), so the daemon receives what the command line checked. A new command is a
//! variant here and its arm in the engine's `control` module, which resolves account
//! names and call ids itself; [`to_command`](super::protocol::to_command) passes on every
//! request it does not translate to an older engine command.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::protocol::RequestError;
use crate::engine::Secret;
use crate::model::{AccountId, AccountInfo, CallId, SipAccountConfig};

/// An account by id or by (unique) name, as a user types it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountRef(pub String);

impl std::str::FromStr for AccountRef {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<AccountRef, Self::Err> {
        Ok(AccountRef(text.to_owned()))
    }
}

impl AccountRef {
    /// The account this names among `accounts`: the one with this exact id, else the one
    /// account with this name.
    pub fn resolve<'a>(
        &self,
        accounts: impl IntoIterator<Item = &'a AccountInfo>,
    ) -> Result<AccountId, RequestError> {
        let key = self.0.as_str();
        let mut named = Vec::new();
        for account in accounts {
            if account.id.0 == key {
                return Ok(account.id.clone());
            }
            if account.name == key {
                named.push(account.id.clone());
            }
        }
        match named.len() {
            1 => Ok(named.swap_remove(0)),
            0 => Err(RequestError::NoAccount(key.to_owned())),
            count => Err(RequestError::AmbiguousName {
                name: key.to_owned(),
                count,
            }),
        }
    }
}

impl std::fmt::Display for AccountRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

impl Switch {
    /// True for on.
    pub fn on(self) -> bool {
        self == Switch::On
    }
}

/// Available or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    /// Available.
    Open,
    /// Away or busy.
    Closed,
}

/// A request to a running Ringlet, from `ringlet ctl` or any client of its socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Request {
    /// Print accounts (with registration state) and calls as JSON.
    Status,
    /// Print engine events as JSON lines until the daemon stops.
    Events,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountRequest),
    /// Call URI from ACCOUNT (id or name); prints the call id.
    Call {
        /// Account id or name.
        account: AccountRef,
        /// Who: a SIP URI (sip:bob@127.0.0.1:5070) on a SIP account, a contact's account
        /// id on a P2P account.
        uri: String,
    },
    /// Answer a ringing call.
    Answer {
        /// Call id.
        call: CallId,
    },
    /// Refuse a ringing call (486 Busy Here).
    Reject {
        /// Call id.
        call: CallId,
    },
    /// End a call.
    Hangup {
        /// Call id.
        call: CallId,
    },
    /// Put a call on hold (re-INVITE with a=sendonly).
    Hold {
        /// Call id.
        call: CallId,
    },
    /// Resume a held call.
    Resume {
        /// Call id.
        call: CallId,
    },
    /// Transfer a call: blind to URI, or attended to the peer of another call.
    Transfer {
        /// Call id.
        call: CallId,
        /// Where to (blind transfer).
        #[arg(required_unless_present = "to_call", conflicts_with = "to_call")]
        #[serde(default)]
        uri: Option<String>,
        /// Connect the peer with the peer of this call (attended transfer).
        #[arg(long, value_name = "CALL2")]
        #[serde(default)]
        to_call: Option<CallId>,
    },
    /// Send DTMF digits (0-9, *, #, A-D).
    Dtmf {
        /// Call id.
        call: CallId,
        /// Digits.
        digits: String,
    },
    /// Mute or unmute our side of a call.
    Mute {
        /// Call id.
        call: CallId,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// In a conference hosted here, silence a participant (nobody hears it), or no longer.
    Silence {
        /// Call id.
        call: CallId,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Join calls into a conference hosted here: each participant hears the others and
    /// us. With --leave, take the calls out.
    Conference {
        /// Call ids.
        #[arg(required = true)]
        calls: Vec<CallId>,
        /// Take the calls out of the conference.
        #[arg(long)]
        #[serde(default)]
        leave: bool,
    },
    /// Record a call (both sides, stereo WAV in DATA_DIR/recordings/), or stop.
    Record {
        /// Call id.
        call: CallId,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Play an audio file (FLAC, Ogg Vorbis, MP3, WAV) into a call: both sides hear it.
    /// PATH `off` stops it; --pause, --resume and --seek control it.
    Play {
        /// Call id.
        call: CallId,
        /// The file, or `off`.
        #[serde(default)]
        path: Option<String>,
        /// Pause the file.
        #[arg(long)]
        #[serde(default)]
        pause: bool,
        /// Resume it.
        #[arg(long, conflicts_with = "pause")]
        #[serde(default)]
        resume: bool,
        /// Jump to this many seconds from the start.
        #[arg(long)]
        #[serde(default)]
        seek: Option<f64>,
    },
    /// Set the volume every call is played at, in percent: 100 is as received, 200 twice
    /// as loud.
    Volume {
        /// Percent, 0 to 200.
        #[arg(value_parser = clap::value_parser!(u16).range(0..=200))]
        percent: u16,
    },
    /// Send a text message from ACCOUNT to URI (SIP) or to a contact's account id (P2P);
    /// waits for the delivery report (P2P: 202 once stored and on its way).
    Message {
        /// Account id or name.
        account: AccountRef,
        /// Recipient, e.g. sip:bob@example.org, or a P2P account id.
        uri: String,
        /// Text.
        text: String,
    },
    /// Manage contacts.
    #[command(subcommand)]
    Contact(ContactRequest),
    /// Print each P2P account's peer id, listen addresses and connected peers as JSON.
    NodeInfo,
    /// Create, join or change a P2P group conversation.
    #[command(subcommand)]
    Group(GroupRequest),
    /// Register a name for a P2P account (first come, and not authoritative: the account
    /// id is what identifies someone), or look one up.
    #[command(subcommand)]
    Name(NameRequest),
    /// Send a file to a P2P contact or group (prints the transfer as JSON); its bytes stay
    /// here until each member's device fetches them.
    SendFile {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id, or a group's id.
        id: String,
        /// The file.
        path: PathBuf,
    },
    /// Replace the text of one of your P2P messages (its id from `messages`), for everyone.
    MessageEdit {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id, or a group's id.
        id: String,
        /// The message's id (`commit_id` in `messages`).
        message: String,
        /// The new text.
        text: String,
    },
    /// Delete one of your P2P messages for everyone.
    MessageDelete {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id, or a group's id.
        id: String,
        /// The message's id (`commit_id` in `messages`).
        message: String,
    },
    /// Mark a P2P conversation read (its authors get read receipts); prints the count.
    Read {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id, or a group's id.
        id: String,
    },
    /// Tell a P2P conversation's members you are typing (on) or stopped (off).
    Typing {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id, or a group's id.
        id: String,
        /// On or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Accept or decline a file offered in a P2P conversation.
    #[command(subcommand)]
    File(FileRequest),
    /// Print a P2P account's file transfers (state, progress, path) as JSON.
    Files {
        /// Account id or name.
        account: AccountRef,
    },
    /// Print a P2P account's conversations (id, kind, title, members, heads) as JSON.
    Conversations {
        /// Account id or name.
        account: AccountRef,
    },
    /// Print an account's contacts with their presence as JSON.
    Contacts {
        /// Account id or name.
        account: AccountRef,
    },
    /// Set an account's own presence, told to everyone watching it.
    Presence {
        /// Account id or name.
        account: AccountRef,
        /// Available or not.
        #[arg(value_enum)]
        state: PresenceState,
        /// A note shown with it.
        #[arg(long, default_value = "")]
        #[serde(default)]
        note: String,
    },
    /// Print the messages exchanged with PEER as JSON, oldest first.
    Messages {
        /// Account id or name.
        account: AccountRef,
        /// The other side (SIP URI, or P2P account id or conversation id).
        peer: String,
        /// Only messages containing TEXT.
        #[arg(long, value_name = "TEXT")]
        #[serde(default)]
        search: Option<String>,
    },
    /// Print the call history as JSON, newest first.
    History {
        /// Only calls whose peer contains TEXT.
        #[arg(long, value_name = "TEXT")]
        #[serde(default)]
        search: Option<String>,
    },
    /// Bring the window forward, opening URI in it: sip:/sips: and tel: are called from a
    /// SIP account, ringlet:ID opens a contact's conversation.
    Open {
        /// What to open (none: only raise the window).
        uri: Option<String>,
    },
    /// Stop the daemon.
    Shutdown,
}

/// `ctl account …`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum AccountRequest {
    /// Add a SIP account; prints its id. With --listen and no registrar it takes direct calls.
    AddSip {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Settings.
        #[command(flatten)]
        config: SipAccountConfig,
        /// Password (sealed at rest).
        #[arg(long)]
        #[serde(default)]
        password: Option<Secret>,
    },
    /// Create a peer-to-peer account; prints its id.
    AddP2p {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Name of this device (default: the host name).
        #[arg(long)]
        #[serde(default)]
        device_name: Option<String>,
    },
    /// Rename an account (ACCOUNT is its id or name).
    Rename {
        /// Account id or name.
        account: AccountRef,
        /// New name.
        name: String,
    },
    /// The STUN servers a P2P account's calls ask for their public address, besides its
    /// bootstrap nodes (HOST:PORT, or HOST for port 3478; none: only the bootstrap nodes).
    Stun {
        /// Account id or name.
        account: AccountRef,
        /// The servers.
        #[serde(default)]
        servers: Vec<String>,
    },
    /// Set the profile picture an account shows (a PNG or JPEG file; a P2P account's contacts
    /// see it), or remove it (no file).
    Picture {
        /// Account id or name.
        account: AccountRef,
        /// The picture's file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<std::path::PathBuf>,
    },
    /// Answer calls to an account at once (kiosks, conference rooms), or no longer.
    AutoAnswer {
        /// Account id or name.
        account: AccountRef,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Enable an account.
    Enable {
        /// Account id or name.
        account: AccountRef,
    },
    /// Disable an account.
    Disable {
        /// Account id or name.
        account: AccountRef,
    },
    /// Delete an account and all its data on this device.
    Delete {
        /// Account id or name.
        account: AccountRef,
    },
    /// Write a peer-to-peer account's encrypted archive; the passphrase is read from stdin.
    Export {
        /// Account id or name.
        account: AccountRef,
        /// Archive file to write.
        path: PathBuf,
        /// Filled from standard input by `ringlet ctl`.
        #[arg(skip)]
        #[serde(default)]
        passphrase: Option<Secret>,
    },
    /// Rename this device of a P2P account (the name other devices and contacts see).
    RenameDevice {
        /// Account id or name.
        account: AccountRef,
        /// New device name.
        name: String,
    },
    /// Revoke another device of a P2P account (its peer id, as `status` lists it): its
    /// commits are refused from then on, here and by every device that hears of it.
    Revoke {
        /// Account id or name.
        account: AccountRef,
        /// The device's peer id.
        device: String,
    },
    /// Add this device to an account from an archive; the passphrase is read from stdin.
    /// Prints the account id.
    Import {
        /// Archive file.
        path: PathBuf,
        /// Name of this device (default: the host name).
        #[arg(long)]
        #[serde(default)]
        device_name: Option<String>,
        /// Filled from standard input by `ringlet ctl`.
        #[arg(skip)]
        #[serde(default)]
        passphrase: Option<Secret>,
    },
    /// Offer a P2P account to a new device over the network: prints a one-time PIN,
    /// valid for 10 minutes, to give to `account link` on the new device.
    LinkPin {
        /// Account id or name.
        account: AccountRef,
    },
    /// Add this device to an account another device offers under a PIN (see `link-pin`);
    /// looks for it for up to 30 s. Prints the account id.
    Link {
        /// The PIN, with or without its dash.
        pin: Secret,
        /// Name of this device (default: the host name).
        #[arg(long)]
        #[serde(default)]
        device_name: Option<String>,
    },
}

/// `ctl contact …`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ContactRequest {
    /// Add a contact to ACCOUNT (SIP: a URI, whose presence is then watched; P2P: an
    /// account id, which gets a contact request).
    Add {
        /// Account id or name.
        account: AccountRef,
        /// The contact's URI or P2P account id.
        uri: String,
        /// Name shown.
        #[arg(long, default_value = "")]
        #[serde(default)]
        name: String,
    },
    /// Accept a P2P contact request.
    Accept {
        /// Account id or name.
        account: AccountRef,
        /// The requester's account id.
        id: String,
    },
    /// Decline a P2P contact request.
    Decline {
        /// Account id or name.
        account: AccountRef,
        /// The requester's account id.
        id: String,
    },
    /// Block a P2P account: its requests and messages are dropped silently.
    Block {
        /// Account id or name.
        account: AccountRef,
        /// The account id to block.
        id: String,
    },
    /// Print a P2P contact's devices met so far: peer id, name, online now.
    Devices {
        /// Account id or name.
        account: AccountRef,
        /// The contact's account id.
        uri: String,
    },
    /// Remove a contact: SIP, forgotten and its presence no longer watched; P2P, no longer a
    /// contact (it may not call; the conversation and its history stay).
    Remove {
        /// Account id or name.
        account: AccountRef,
        /// The contact's URI or P2P account id.
        uri: String,
    },
}

/// `ctl file …`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum FileRequest {
    /// Fetch a file offered (it resumes by itself after a restart or a lost link).
    Accept {
        /// Account id or name.
        account: AccountRef,
        /// The file's id (from `files` or the `transfer-updated` event).
        file: String,
    },
    /// Decline a file offered (or stop fetching it).
    Decline {
        /// Account id or name.
        account: AccountRef,
        /// The file's id.
        file: String,
    },
}

/// `ctl name …`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum NameRequest {
    /// Register NAME (3 to 32 of a-z, 0-9, '.', '_', '-') for ACCOUNT.
    Register {
        /// Account id or name.
        account: AccountRef,
        /// The name.
        name: String,
    },
    /// Print the account that holds NAME, looked up through ACCOUNT's network.
    Lookup {
        /// Account id or name.
        account: AccountRef,
        /// The name.
        name: String,
    },
}

/// `ctl group …`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum GroupRequest {
    /// Create a group inviting MEMBERS (account ids); prints its conversation id.
    Create {
        /// Account id or name.
        account: AccountRef,
        /// Title.
        #[arg(long, default_value = "")]
        #[serde(default)]
        title: String,
        /// Account ids to invite.
        #[serde(default)]
        members: Vec<String>,
    },
    /// Accept an invitation to a group.
    Join {
        /// Account id or name.
        account: AccountRef,
        /// The group's conversation id.
        conversation: String,
    },
    /// Invite an account (the admin only).
    Add {
        /// Account id or name.
        account: AccountRef,
        /// The group's conversation id.
        conversation: String,
        /// The account id to invite.
        member: String,
    },
    /// Remove an account (the admin), or leave (your own id).
    Remove {
        /// Account id or name.
        account: AccountRef,
        /// The group's conversation id.
        conversation: String,
        /// The account id to remove.
        member: String,
    },
}

impl Request {
    /// Whether `ctl` prints only the `id` of the answer (a new account, a call).
    pub fn prints_id(&self) -> bool {
        matches!(
            self,
            Request::Call { .. }
                | Request::Account(
                    AccountRequest::AddP2p { .. }
                        | AccountRequest::AddSip { .. }
                        | AccountRequest::Import { .. }
                        | AccountRequest::Link { .. }
                )
        )
    }

    /// The client's fix-ups before a request leaves: paths made absolute (the daemon may
    /// run in another directory) and the passphrase, where one is needed, from
    /// `passphrase()` (standard input for `ctl`).
    pub fn prepare(
        &mut self,
        passphrase: impl FnOnce() -> std::io::Result<Secret>,
    ) -> std::io::Result<()> {
        match self {
            Request::SendFile { path, .. }
            | Request::Account(AccountRequest::Picture {
                file: Some(path), ..
            }) => *path = std::path::absolute(&*path)?,
            Request::Play {
                path: Some(path), ..
            } if path != "off" => {
                *path = std::path::absolute(&*path)?.display().to_string();
            }
            Request::Account(AccountRequest::AddSip { config, .. }) => {
                if let Some(ca) = config.tls_ca.as_mut() {
                    *ca = std::path::absolute(&*ca)?.display().to_string();
                }
            }
            Request::Account(
                AccountRequest::Export {
                    path,
                    passphrase: secret,
                    ..
                }
                | AccountRequest::Import {
                    path,
                    passphrase: secret,
                    ..
                },
            ) => {
                *path = std::path::absolute(&*path)?;
                *secret = Some(passphrase()?);
            }
            _ => {}
        }
        Ok(())
    }
}
