//! The window's state, ECS-style: entities in id-keyed tables, plus `UiState` for what only
//! the window cares about. Plain data: no egui, no engine handle.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Settings;
use crate::engine::RequestId;
pub use crate::model::CallState;
use crate::model::{
    AccountId, AccountInfo, CallId, ContactId, ConversationId, DtmfMode, SipTransport, SrtpPolicy,
};

/// A table of entities keyed by id, iterated in id order (stable on screen).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct IdMap<K: Ord, V>(BTreeMap<K, V>);

impl<K: Ord, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap(BTreeMap::new())
    }
}

impl<K: Ord, V> IdMap<K, V> {
    /// Inserts or replaces a row.
    pub fn insert(&mut self, id: K, row: V) {
        self.0.insert(id, row);
    }
    /// The row with this id.
    pub fn get(&self, id: &K) -> Option<&V> {
        self.0.get(id)
    }
    /// The row with this id, mutably.
    pub fn get_mut(&mut self, id: &K) -> Option<&mut V> {
        self.0.get_mut(id)
    }
    /// Removes a row.
    pub fn remove(&mut self, id: &K) -> Option<V> {
        self.0.remove(id)
    }
    /// Rows in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }
    /// Rows in id order, without ids.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.values()
    }
    /// Rows in id order, without ids, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.values_mut()
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Drops every row.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// An account row: what the engine reported, plus the order it was added in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    /// The engine's description.
    #[serde(flatten)]
    pub info: AccountInfo,
    /// Position in the sidebar (engine order).
    pub position: u64,
    /// Voice messages waiting (new, old), when the account watches its mailbox.
    pub voicemail: Option<(u32, u32)>,
    /// The public address learnt by STUN.
    pub public_address: Option<String>,
    /// Calls the account's other devices are in (P2P).
    pub calls_elsewhere: Vec<CallElsewhere>,
}

/// A call another device of the account is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallElsewhere {
    /// The device's name.
    pub device: String,
    /// The other side: a contact's account id.
    pub peer: String,
}

/// A call row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    /// Account carrying the call.
    pub account: AccountId,
    /// The other side.
    pub peer: String,
    /// State.
    pub state: CallState,
    /// Placed by us.
    pub outgoing: bool,
    /// When it was answered, as the window saw it (unix ms), for the call's timer; `None`
    /// while it has never been up.
    pub answered_at_ms: Option<i64>,
    /// The peer holds the call.
    pub held_remotely: bool,
    /// DTMF digits received in this call, in order.
    pub dtmf_received: String,
    /// Last progress code of a transfer we asked for.
    pub transfer_code: Option<u16>,
    /// Our side is muted.
    pub muted: bool,
    /// In the conference hosted here.
    pub conference: bool,
    /// The file this call is being recorded to.
    pub recording: Option<std::path::PathBuf>,
    /// The file playing into this call.
    pub playing: Option<std::path::PathBuf>,
    /// Audio figures (codec, SRTP, loss, jitter, RTT, bitrate), once media runs.
    pub media: Option<crate::model::MediaStats>,
    /// A P2P call's device and media path.
    pub path: Option<(String, crate::model::MediaPath)>,
    /// On `udp-direct`, the ICE pair (`LOCAL REMOTE`).
    pub ice_pair: Option<String>,
    /// Recent figures for the call view's plot: (loss %, jitter ms, RTT ms), oldest first.
    #[serde(skip)]
    pub history: std::collections::VecDeque<(f32, f32, f32)>,
}

/// A contact row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// Account the contact belongs to.
    pub account: AccountId,
    /// URI or account id.
    pub uri: String,
    /// Name shown.
    pub display_name: String,
    /// Where the contact stands.
    pub state: crate::model::ContactState,
    /// Online now: `Some(true)` available, `Some(false)` not, `None` unknown.
    pub online: Option<bool>,
}

/// A conversation row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// Account the conversation belongs to.
    pub account: AccountId,
    /// Title shown.
    pub title: String,
    /// Text of the newest message.
    pub last_message: Option<String>,
    /// The other side, for SIP conversations.
    pub peer: Option<String>,
    /// Unix milliseconds of its newest message: the list's order.
    pub last_activity_ms: i64,
    /// Messages of others not read yet.
    pub unread: u32,
    /// Messages, oldest first: the stored history (read when the conversation is first
    /// shown) and those seen since.
    pub messages: Vec<ChatMessage>,
    /// Members typing now (P2P account ids).
    pub typing: std::collections::BTreeSet<String>,
    /// How much of the stored history the window holds.
    #[serde(skip)]
    pub history: History,
}

/// How much of a conversation's stored history the window holds: the newest page once it
/// is shown, older pages as the user scrolls up, until the first message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// The newest page was read.
    pub loaded: bool,
    /// A page of older messages was asked for and has not come.
    pub older_pending: bool,
    /// The first message is held: nothing older is stored.
    pub complete: bool,
}

/// One message in a conversation view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    /// Text.
    pub text: String,
    /// Sent by us.
    pub outgoing: bool,
    /// Unix milliseconds.
    pub sent_at_ms: i64,
    /// The P2P message's id (its commit).
    pub commit: Option<String>,
    /// `delivered` or `read` for a P2P message of ours, once a member's device says so;
    /// `delivered` or `failed` for a SIP message of ours, once its MESSAGE is answered.
    pub receipt: String,
    /// Its row in the store (0 for one seen only as an event): where older pages start.
    #[serde(skip)]
    pub row: i64,
    /// Edits shown since it came (its bubble is measured again).
    #[serde(skip)]
    pub edits: u32,
}

/// The controls of one call in the call view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallForm {
    /// The DTMF keypad is open.
    pub keypad: bool,
    /// The transfer box is open.
    pub transfer: bool,
    /// Transfer target being typed.
    pub transfer_target: String,
    /// The "play a file into the call" box is open.
    pub play: bool,
    /// File path being typed for it.
    pub play_path: String,
    /// The file picker was asked for, to play its file.
    pub pick: bool,
    /// The statistics plot is open.
    pub stats: bool,
    /// Digits sent with the keypad in this call, echoed above it.
    pub digits_sent: String,
}

/// The whole window state.
#[derive(Debug, Default)]
pub struct AppState {
    /// Accounts.
    pub accounts: IdMap<AccountId, Account>,
    /// Calls.
    pub calls: IdMap<CallId, Call>,
    /// Contacts.
    pub contacts: IdMap<ContactId, Contact>,
    /// Conversations.
    pub conversations: IdMap<ConversationId, Conversation>,
    /// Files sent and received in P2P conversations, by file id.
    pub transfers: IdMap<String, crate::model::TransferInfo>,
    /// The names other P2P accounts give themselves (their profiles), by our account and
    /// theirs: shown where we gave them none.
    pub profiles: BTreeMap<(AccountId, String), String>,
    /// Profile pictures: our accounts' own (peer `None`) and the ones other P2P accounts
    /// show, by our account.
    pub pictures: BTreeMap<(AccountId, Option<String>), AvatarPicture>,
    /// The newest calls of the history, newest first (Recent calls).
    pub recent_calls: Vec<crate::model::CallRecord>,
    /// Settings as saved.
    pub settings: Settings,
    /// Capture devices present.
    pub audio_inputs: Vec<String>,
    /// Playback devices present.
    pub audio_outputs: Vec<String>,
    /// The media thread's ticks and late ticks, as last reported.
    pub media_ticks: (u64, u64),
    /// Latest microphone peak (0..1) while the meter runs.
    pub input_level: f32,
    /// Data directory in use.
    pub data_dir: Option<PathBuf>,
    /// False once the engine stopped.
    pub engine_running: bool,
    /// Window-only state.
    pub ui: UiState,
}

/// The sidebar's lists, one shown at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SidebarTab {
    /// Conversations by last activity.
    #[default]
    Conversations,
    /// Contacts, with requests and the add box.
    Contacts,
    /// Recent calls.
    Calls,
}

/// A call that just ended, shown with its reason until dismissed or called back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedCall {
    /// Account that carried it.
    pub account: AccountId,
    /// The other side's URI or account id.
    pub peer: String,
    /// The name shown for it.
    pub peer_name: String,
    /// Placed by us.
    pub outgoing: bool,
    /// Ever connected.
    pub answered: bool,
    /// The engine's reason (`declined`, `rejected-486`, …).
    pub reason: String,
}

/// The box that adds a contact from the sidebar.
#[derive(Debug, Clone, Default)]
pub struct AddContactForm {
    /// Open.
    pub open: bool,
    /// The account it goes to (`None`: the first that fits).
    pub account: Option<AccountId>,
    /// A P2P account id, a registered name, or a SIP URI.
    pub target: String,
    /// The name to show (optional).
    pub name: String,
    /// Name lookup or add request in flight.
    pub pending: Option<RequestId>,
    /// What went wrong.
    pub error: Option<Notice>,
}

impl AppState {
    /// The kind of the account `id`, if the window knows it.
    pub fn account_kind(&self, id: &AccountId) -> Option<crate::model::AccountKind> {
        self.accounts.get(id).map(|row| row.info.kind())
    }

    /// The profile picture `peer` shows our account `account` (a P2P contact's, by its
    /// account id), or with no peer the account's own.
    pub fn picture(&self, account: &AccountId, peer: Option<&str>) -> Option<&AvatarPicture> {
        self.pictures
            .get(&(account.clone(), peer.map(str::to_owned)))
    }

    /// The account `id` is enabled and registered (or online, for P2P): it can place calls.
    pub fn account_ready(&self, id: &AccountId) -> bool {
        self.accounts.get(id).is_some_and(|row| {
            row.info.enabled && row.info.registration == crate::model::RegistrationState::Registered
        })
    }
}

/// What is selected in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// Nothing: the welcome page.
    #[default]
    None,
    /// An account's page.
    Account(AccountId),
    /// A conversation's chat view.
    Conversation(ConversationId),
    /// A contact's page.
    Contact(ContactId),
}

/// A page that replaces the main area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The account wizard.
    Wizard,
    /// Settings.
    Settings,
    /// About.
    About,
}

/// Steps of the account wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WizardStep {
    /// Pick the kind of account.
    #[default]
    Choose,
    /// Name a new P2P account.
    CreateP2p,
    /// Import an archive.
    Import,
    /// Join an account another device offers under a PIN.
    LinkPin,
    /// SIP account fields.
    Sip,
}

/// The wizard's form.
#[derive(Debug, Clone, Default)]
pub struct WizardState {
    /// Current step.
    pub step: WizardStep,
    /// Display name.
    pub name: String,
    /// Device name (P2P and import).
    pub device_name: String,
    /// Archive path (import).
    pub archive_path: String,
    /// Passphrase (import).
    pub passphrase: String,
    /// PIN (joining by PIN).
    pub pin: String,
    /// SIP settings.
    pub sip: SipForm,
    /// Request in flight; the wizard waits for its answer.
    pub pending: Option<RequestId>,
    /// Validation or engine error to show.
    pub error: Option<String>,
}

/// What a chosen file is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickPurpose {
    /// Send it to a P2P conversation's peer (a contact or a group).
    SendFile {
        /// From this account.
        account: AccountId,
        /// To this peer.
        peer: String,
    },
    /// Play it into a call.
    PlayIntoCall(CallId),
    /// Make it the account's profile picture.
    ProfilePicture(AccountId),
}

/// One entry of the folder the picker shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickEntry {
    /// File or folder name.
    pub name: String,
    /// A folder (opened by a click) rather than a file (chosen by one).
    pub folder: bool,
    /// Size in bytes (files).
    pub size: u64,
}

/// The window's own file picker: a folder's entries, and the file chosen in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePicker {
    /// What the file is for.
    pub purpose: PickPurpose,
    /// The folder shown.
    pub folder: PathBuf,
    /// The folder as typed in its field (Enter goes there).
    pub folder_typed: String,
    /// Its entries, folders first (`None`: not read yet).
    pub entries: Option<Vec<PickEntry>>,
    /// The file chosen, if any.
    pub chosen: Option<PathBuf>,
    /// Why the folder cannot be shown.
    pub error: Option<String>,
}

/// A URI another program asked the window to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    /// What to open; `None` only raises the window.
    pub uri: Option<String>,
    /// When it was asked for (unix ms).
    pub since_ms: i64,
    /// The window has come forward for it.
    pub raised: bool,
}

/// A SIP account's settings as typed: the wizard's SIP page and the account page.
#[derive(Debug, Clone, Default)]
pub struct SipForm {
    /// Address of record, sip:user@host.
    pub aor: String,
    /// Registrar; empty for none (direct calls only).
    pub registrar: String,
    /// Authentication user name; empty for the AOR's user.
    pub username: String,
    /// Password; on the account page, empty keeps the stored one.
    pub password: String,
    /// Transport.
    pub transport: SipTransport,
    /// Local IP:PORT to listen on; empty for the interface towards the registrar.
    pub listen: String,
    /// Outbound proxy; empty for none.
    pub outbound_proxy: String,
    /// STUN server HOST:PORT; empty for none.
    pub stun: String,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Every known codec in the order offered, ticked when enabled.
    pub codecs: Vec<(String, bool)>,
    /// How DTMF is sent.
    pub dtmf: DtmfMode,
    /// Watch the mailbox for voicemail.
    pub mwi: bool,
    /// Answer calls at once.
    pub auto_answer: bool,
    /// Registration interval in seconds; empty for the default.
    pub expires: String,
    /// Extra CA certificates for TLS (a PEM file); empty for none.
    pub tls_ca: String,
    /// Show the fields beyond the first five.
    pub advanced: bool,
}

/// Forms on an account's page.
#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    /// Which account the form was filled for.
    pub account: Option<AccountId>,
    /// New name being typed.
    pub rename: String,
    /// Export path being typed.
    pub export_path: String,
    /// Export passphrase being typed.
    pub export_passphrase: String,
    /// Waiting for the delete confirmation.
    pub confirm_delete: bool,
    /// Export request in flight.
    pub pending_export: Option<RequestId>,
    /// SIP URI being dialled.
    pub dial: String,
    /// The SIP settings being edited (`None` until the page fills it).
    pub sip: Option<SipForm>,
    /// A settings change in flight.
    pub pending_sip: Option<RequestId>,
    /// The last settings change was saved (cleared by the next edit).
    pub sip_saved: bool,
    /// Why the last settings change was refused.
    pub sip_error: Option<String>,
    /// The device whose revocation waits for a confirming click.
    pub confirm_revoke: Option<String>,
    /// This device's new name being typed.
    pub device_rename: String,
    /// Link request in flight (a PIN asked for).
    pub pending_link: Option<RequestId>,
    /// The PIN under which the account is offered to a new device.
    pub link_pin: Option<String>,
    /// The account's groups, as last asked for (`None`: not asked yet).
    pub groups: Option<Vec<GroupRow>>,
    /// That question in flight.
    pub pending_groups: Option<RequestId>,
    /// Title of a group being made.
    pub new_group_title: String,
    /// Contacts (account ids) ticked for it.
    pub new_group_members: std::collections::BTreeSet<String>,
    /// The contact chosen to add, by group id.
    pub group_add: std::collections::BTreeMap<String, String>,
    /// A name being typed to register for the account.
    pub register_name: String,
    /// That registration in flight.
    pub pending_name: Option<RequestId>,
    /// The name registered from this page.
    pub registered_name: Option<String>,
    /// A P2P account's STUN servers being edited, comma-separated (`None` until the page
    /// fills it from the account).
    pub stun: Option<String>,
}

/// A group of a P2P account, as the account page lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRow {
    /// The group's id (its root commit, hex).
    pub id: String,
    /// Title.
    pub title: String,
    /// The admin's account id.
    pub admin: String,
    /// Members' account ids.
    pub members: Vec<String>,
    /// Those who accepted.
    pub joined: Vec<String>,
}

/// The contact page: which contact, its devices as the engine told them, Remove asked.
#[derive(Debug, Clone, Default)]
pub struct ContactPage {
    /// The contact shown (the devices are asked again when it changes).
    pub contact: Option<ContactId>,
    /// The devices query in flight.
    pub pending: Option<RequestId>,
    /// A P2P contact's devices, once known.
    pub devices: Option<Vec<ContactDevice>>,
    /// Remove was clicked: the page asks to confirm.
    pub confirm_remove: bool,
}

/// One device of a P2P contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ContactDevice {
    /// Its peer id.
    pub id: String,
    /// The name it was certified under.
    pub name: String,
    /// Connected now.
    pub online: bool,
}

/// A notice above the main area: words the window wrote in its language, or a problem the
/// engine reported, said in the language shown when it is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Already in the window's language (or a path).
    Said(String),
    /// Said when drawn.
    Problem(crate::model::Problem),
}

impl Notice {
    /// The notice in the language of `tr`.
    pub fn say(&self, tr: &crate::i18n::I18n) -> String {
        match self {
            Notice::Said(text) => text.clone(),
            Notice::Problem(problem) => problem.say(tr),
        }
    }
}

/// Window-only state.
#[derive(Debug, Clone, Default)]
pub struct UiState {
    /// Unix milliseconds at the start of this frame (the window's one clock reading).
    pub now_ms: i64,
    /// Sidebar selection.
    pub selection: Selection,
    /// Page over the main area, if any.
    pub page: Option<Page>,
    /// The call shown over the whole main area (placed or answered here); the others, and
    /// this one once the user goes elsewhere, are compact bars above what is shown.
    pub call_in_front: Option<CallId>,
    /// Sidebar search text.
    pub search: String,
    /// The sidebar search last asked of the engine (message text).
    pub search_sent: Option<String>,
    /// What it found: the text, and the messages (newest first).
    pub search_found: Option<(String, Vec<crate::model::MessageRecord>)>,
    /// The list the sidebar shows.
    pub sidebar_tab: SidebarTab,
    /// The add-contact box.
    pub add_contact: AddContactForm,
    /// The contact page shown.
    pub contact_page: ContactPage,
    /// The last presence the engine told of each account's peers, contacts or not yet.
    pub presence: BTreeMap<(AccountId, String), Option<bool>>,
    /// The history changed since Recent calls was last read from the engine.
    pub recent_stale: bool,
    /// SIP messages sent and not yet answered: their conversation and text, by request.
    pub sending: BTreeMap<RequestId, (ConversationId, String)>,
    /// Calls that ended, with their reasons, until dismissed.
    pub ended_calls: Vec<EndedCall>,
    /// Select the first account once the engine lists them (`--show account`).
    pub open_first_account: bool,
    /// Open the most recent conversation once the engine lists them (`--show conversation`).
    pub open_first_conversation: bool,
    /// The account wizard.
    pub wizard: WizardState,
    /// The account page's forms.
    pub account_form: AccountForm,
    /// Per-call controls (keypad, transfer) by call.
    pub call_forms: BTreeMap<CallId, CallForm>,
    /// Text being typed in the chat view.
    pub chat_draft: String,
    /// One of our P2P messages being edited in the composer: its conversation and commit.
    pub chat_editing: Option<(ConversationId, String)>,
    /// The composer's emoji picker is open.
    pub emoji_open: bool,
    /// The file picker, while open.
    pub file_picker: Option<FilePicker>,
    /// The folder the picker showed last (it opens there again).
    pub last_pick_folder: Option<PathBuf>,
    /// Text searched for within the open conversation.
    pub chat_search: String,
    /// The search within a conversation last asked of the engine.
    pub chat_search_sent: Option<(ConversationId, String)>,
    /// What it found: the conversation, the text, the messages (oldest first).
    pub chat_found: Option<(ConversationId, String, Vec<ChatMessage>)>,
    /// Measured heights of each conversation's timeline rows.
    pub timelines: BTreeMap<ConversationId, crate::ui::virtual_list::RowHeights>,
    /// Conversations whose stored history was asked for.
    pub history_asked: std::collections::BTreeSet<ConversationId>,
    /// We told the open conversation we are typing.
    pub typing_sent: bool,
    /// Links received that the window opens at its next frame (`open_urls` is on).
    pub urls_to_open: Vec<String>,
    /// What other programs asked the window to open (`ringlet URI`, `ctl open`), with the
    /// unix ms it was asked at; handled once its account is up. `None` only raises it.
    pub open_requests: Vec<OpenRequest>,
    /// Ringtone path being typed in settings.
    pub ringtone_path: String,
    /// Errors to show until dismissed.
    pub errors: Vec<Notice>,
    /// Notices to show until dismissed.
    pub notices: Vec<Notice>,
    /// Kiosk mode: settings hidden, large controls.
    pub kiosk: bool,
    /// Call volume set by the user (1.0 as is); `None` until changed.
    pub volume: Option<f32>,
    /// The engine was asked for the audio devices (the window asks when it first shows
    /// them, not at start).
    pub devices_asked: bool,
}

impl UiState {
    /// The user goes to `selection`: it fills the main area, and a call in front steps back
    /// to its bar.
    pub fn go_to(&mut self, selection: Selection) {
        self.selection = selection;
        self.page = None;
        self.call_in_front = None;
    }

    /// The user opens `page` over the main area (a call in front steps back to its bar).
    pub fn open_page(&mut self, page: Page) {
        self.page = Some(page);
        self.call_in_front = None;
    }
}

/// A profile picture as the window draws it: egui's image loader decodes its bytes once and
/// keeps the texture under a URI made of its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarPicture {
    /// Hex SHA-256 of the bytes.
    pub hash: String,
    /// PNG or JPEG.
    pub bytes: std::sync::Arc<[u8]>,
}

impl AvatarPicture {
    /// The URI egui's loaders know it by.
    pub fn uri(&self) -> String {
        format!("bytes://picture/{}", self.hash)
    }
}
