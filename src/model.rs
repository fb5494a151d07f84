//! Plain data shared by the engine, the store, the window and the control socket:
//! ids and account descriptions. No behaviour lives here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An account's id. For a P2P account it is the hash of the account's public key (40 hex
/// digits, the same on every device); for a SIP account a random id local to this install.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A call's id, unique within one engine run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub u64);

impl std::str::FromStr for CallId {
    type Err = std::num::ParseIntError;
    fn from_str(text: &str) -> Result<CallId, Self::Err> {
        text.parse().map(CallId)
    }
}

/// A contact's id (row id in the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

/// A conversation's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub String);

impl ConversationId {
    /// The conversation of a SIP account with one peer: keyed by the peer's address of
    /// record, so that every spelling of its URI finds the same conversation.
    pub fn sip(account: &AccountId, peer: &str) -> ConversationId {
        let peer = address_of_record(peer);
        ConversationId(format!("sip:{}:{peer}", account.0))
    }

    /// A P2P conversation's account and root commit (hex), as [`p2p_conversation_id`]
    /// joined them; `None` for any other conversation.
    pub fn p2p_parts(&self) -> Option<(AccountId, &str)> {
        let (account, root) = self.0.strip_prefix("p2p:")?.split_once(':')?;
        Some((AccountId(account.to_owned()), root))
    }
}

/// The address of record a SIP URI names (see [`crate::sip::uri::address_of_record`]):
/// what a SIP conversation with that peer is keyed and titled by.
pub fn address_of_record(peer: &str) -> String {
    crate::sip::uri::address_of_record(peer)
}

/// The two kinds of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// Registrar/proxy account speaking SIP.
    Sip,
    /// Serverless account: a key pair on a DHT.
    P2p,
}

impl AccountKind {
    /// The stable name used in the database and on the control socket.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Sip => "sip",
            AccountKind::P2p => "p2p",
        }
    }
}

/// SIP transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SipTransport {
    /// UDP (the default of RFC 3261).
    #[default]
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

/// Whether calls of an account use SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SrtpPolicy {
    /// Plain RTP only.
    #[default]
    Off,
    /// Offer SRTP, accept plain RTP.
    Optional,
    /// Refuse calls without SRTP.
    Mandatory,
}

/// How DTMF digits are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DtmfMode {
    /// RFC 4733 telephone-event packets.
    #[default]
    Rfc4733,
    /// SIP INFO with application/dtmf-relay.
    #[value(name = "info", alias = "sip-info")]
    SipInfo,
    /// Tones mixed into the audio.
    #[value(name = "inband", alias = "in-band")]
    InBand,
}

/// Settings of a SIP account, as stored (and as `ctl account add-sip` takes them). The
/// password is not here: it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, clap::Args)]
#[serde(default)]
pub struct SipAccountConfig {
    /// Address of record, sip:USER@HOST.
    #[arg(long)]
    pub aor: String,
    /// Registrar, sip:HOST[:PORT]; none means no registration (direct calls only).
    #[arg(long)]
    pub registrar: Option<String>,
    /// Outbound proxy, sip:HOST[:PORT]: every request outside a call goes there.
    #[arg(long)]
    pub outbound_proxy: Option<String>,
    /// Authentication user name, when it differs from the AOR's user.
    #[arg(long)]
    pub username: Option<String>,
    /// Transport.
    #[arg(long, value_enum, default_value_t)]
    pub transport: SipTransport,
    /// Local IP:PORT to listen on.
    #[arg(long)]
    pub listen: Option<String>,
    /// STUN server HOST:PORT.
    #[arg(long)]
    pub stun: Option<String>,
    /// Answer incoming calls at once.
    #[arg(long)]
    pub auto_answer: bool,
    /// SRTP policy.
    #[arg(long, value_enum, default_value_t)]
    pub srtp: SrtpPolicy,
    /// Codecs in order, comma-separated: opus,g722,pcmu,pcma,gsm,speex.
    #[arg(long, value_delimiter = ',')]
    pub codecs: Vec<String>,
    /// How DTMF is sent.
    #[arg(long, value_enum, default_value_t)]
    pub dtmf: DtmfMode,
    /// Seconds of registration to ask for (600 when unset).
    #[arg(long = "expires", value_name = "SECONDS")]
    pub register_expires: Option<u32>,
    /// Watch the account's own mailbox (message-summary) for voicemail waiting (RFC 3842).
    #[arg(long)]
    pub mwi: bool,
    /// PEM file of CA certificates to trust for TLS besides the system's.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<String>,
}

/// One device of a P2P account, as known locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device's libp2p peer id.
    pub device_id: String,
    /// Human name of the device.
    pub name: String,
    /// True for the device this engine runs on.
    pub local: bool,
    /// Unix seconds at which the account key certified the device.
    pub certified_at: u64,
}

/// What is specific to each kind of account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AccountDetails {
    /// SIP settings.
    Sip(SipAccountConfig),
    /// P2P identity.
    P2p {
        /// Devices of the account known here (this one included).
        devices: Vec<DeviceInfo>,
        /// Calls from contacts are answered at once (kiosks, conference rooms).
        #[serde(default)]
        auto_answer: bool,
        /// STUN servers (`HOST:PORT`, or `HOST` for port 3478) its calls ask for their
        /// public address, besides the bootstrap nodes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stun: Vec<String>,
    },
}

impl AccountDetails {
    /// Calls to the account are answered at once.
    pub fn auto_answer(&self) -> bool {
        match self {
            AccountDetails::Sip(config) => config.auto_answer,
            AccountDetails::P2p { auto_answer, .. } => *auto_answer,
        }
    }
}

/// Registration (SIP) or network (P2P) state of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "detail")]
pub enum RegistrationState {
    /// Disabled, or not started.
    #[default]
    Offline,
    /// Trying to register or connect.
    Trying,
    /// Registered or connected.
    Registered,
    /// Failed, with the reason shown to the user.
    Failed(String),
}

/// How a P2P call's media travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaPath {
    /// Framed on a libp2p stream over a direct connection.
    StreamDirect,
    /// Framed on a libp2p stream through a relay.
    StreamRelayed,
    /// On a UDP pair ICE found between the two devices.
    UdpDirect,
}

impl MediaPath {
    /// The name `status` and the window use.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPath::StreamDirect => "stream-direct",
            MediaPath::StreamRelayed => "stream-relayed",
            MediaPath::UdpDirect => "udp-direct",
        }
    }
}

/// State of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallState {
    /// Ringing here.
    Incoming,
    /// Ringing there (or not yet answered).
    Outgoing,
    /// Connected.
    Active,
    /// On hold.
    Held,
}

/// A contact as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfo {
    /// Row id.
    pub id: ContactId,
    /// Account the contact belongs to.
    pub account: AccountId,
    /// SIP URI or P2P account id.
    pub uri: String,
    /// Name shown (may be empty).
    pub display_name: String,
    /// Where the contact stands.
    #[serde(default)]
    pub state: ContactState,
}

/// Where a contact stands; stored and printed as its lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactState {
    /// A SIP contact, or a P2P contact both sides accepted.
    #[default]
    Confirmed,
    /// We asked; no answer yet.
    Requested,
    /// They asked; we have not answered.
    Incoming,
    /// We declined their request (a later one may come).
    Declined,
    /// Nothing of theirs gets through.
    Blocked,
}

/// Compares with the stored name (`state == "blocked"`).
impl PartialEq<&str> for ContactState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl ContactState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactState::Confirmed => "confirmed",
            ContactState::Requested => "requested",
            ContactState::Incoming => "incoming",
            ContactState::Declined => "declined",
            ContactState::Blocked => "blocked",
        }
    }

    /// The state a stored name stands for; `None` for any other text.
    pub fn parse(text: &str) -> Option<ContactState> {
        [
            ContactState::Confirmed,
            ContactState::Requested,
            ContactState::Incoming,
            ContactState::Declined,
            ContactState::Blocked,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// A conversation as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationInfo {
    /// Conversation id.
    pub id: ConversationId,
    /// Account it belongs to.
    pub account: AccountId,
    /// Title shown.
    pub title: String,
    /// Text of the newest message, if any.
    pub last_message: Option<String>,
    /// Where its messages go: the contact's account id (one-to-one), the group's id, or the
    /// SIP peer's URI.
    #[serde(default)]
    pub peer: Option<String>,
    /// Unix milliseconds of its newest message (else of its creation).
    #[serde(default)]
    pub last_activity_ms: i64,
    /// Messages of others not yet marked read (P2P conversations).
    #[serde(default)]
    pub unread: u32,
}

/// A file sent or received in a P2P conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferInfo {
    /// The file commit's id (hex): the file's id.
    pub id: String,
    /// The account.
    pub account: AccountId,
    /// The conversation (its id, hex).
    pub conversation: String,
    /// We send it.
    pub outgoing: bool,
    /// The file's name.
    pub name: String,
    /// Its size, bytes.
    pub size: u64,
    /// Bytes received and verified (incoming) or served at least once (outgoing).
    pub bytes_done: u64,
    /// Where the transfer stands.
    pub state: TransferState,
    /// The file sent, or the received file once done.
    pub path: String,
    /// Where the last resumed download started, bytes (0: from the start).
    pub resumed_from: u64,
    /// Why it failed or was declined.
    pub error: Option<String>,
}

/// An account as the engine reports it: everything but secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Account id.
    pub id: AccountId,
    /// Display name chosen by the user.
    pub name: String,
    /// Whether the account is in use.
    pub enabled: bool,
    /// Unix seconds of creation on this install.
    pub created_at: u64,
    /// Registration or network state.
    pub registration: RegistrationState,
    /// Kind-specific part.
    pub details: AccountDetails,
}

impl AccountInfo {
    /// The account's kind.
    pub fn kind(&self) -> AccountKind {
        match self.details {
            AccountDetails::Sip(_) => AccountKind::Sip,
            AccountDetails::P2p { .. } => AccountKind::P2p,
        }
    }
}

/// A profile picture (PNG or JPEG, `p2p::picture`) and its hex SHA-256, the name device
/// lists give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// Hex SHA-256 of `bytes`.
    pub hash: String,
    /// The encoded picture.
    pub bytes: Vec<u8>,
}

/// Figures shown in the call view and `status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaStats {
    /// Codec id (`opus`, `pcmu`, …).
    pub codec: String,
    /// SRTP protects the stream.
    pub srtp: bool,
    /// Our microphone is muted in this call.
    pub muted: bool,
    /// In a conference hosted here, this participant is silenced: nobody hears it.
    #[serde(default)]
    pub silenced: bool,
    /// Packets sent.
    pub packets_sent: u64,
    /// Packets received and accepted.
    pub packets_received: u64,
    /// Packets lost (expected minus received, RFC 3550 A.3).
    pub packets_lost: i64,
    /// Loss in the last report interval, percent.
    pub loss_percent: f32,
    /// Loss the peer reports for what we send, percent.
    pub remote_loss_percent: Option<f32>,
    /// Interarrival jitter, ms.
    pub jitter_ms: f32,
    /// Round-trip time from RTCP, ms.
    pub rtt_ms: Option<f32>,
    /// Send bitrate over the last second, kbit/s (payload and headers).
    pub send_kbps: f32,
    /// Receive bitrate over the last second, kbit/s.
    pub receive_kbps: f32,
    /// Jitter-buffer depth, ms.
    pub buffer_ms: u32,
    /// Frames concealed.
    pub concealed: u64,
    /// Packets dropped: not RTP, failed SRTP, wrong payload type or source, late, duplicate.
    pub dropped: u64,
    /// The last drop's reason.
    pub last_drop: Option<String>,
    /// STUN messages on the media ports (ICE checks, keep-alives such as linphone's): not
    /// media, and not counted as drops (RFC 7983 demultiplexing).
    #[serde(default)]
    pub stun_received: u64,
    /// Peak level of what we sent over the last second, 0–1.
    pub sent_level: f32,
    /// Peak level of what we heard over the last second, 0–1.
    pub heard_level: f32,
}

/// A stored chat message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Conversation it belongs to.
    pub conversation_id: String,
    /// Commit id for P2P messages, `None` for SIP MESSAGE.
    pub commit_id: Option<String>,
    /// Author URI or account id.
    pub author: String,
    /// Text.
    pub body: String,
    /// Unix milliseconds.
    pub sent_at: i64,
    /// Sent by this account.
    pub outgoing: bool,
    /// `sent` (or received), `edited` or `deleted`.
    #[serde(default)]
    pub state: String,
    /// For P2P messages: `delivered` once a device of another member has it, `read` once
    /// one has shown it (ours); `read` once we have (theirs); empty before.
    #[serde(default)]
    pub receipt: String,
    /// Its row in the store (0 for one not read from it): where the page of older ones
    /// starts.
    #[serde(default)]
    pub id: i64,
}

/// A call record as a conversation stores it: its text is written once, in English, by
/// [`CallSummary::text`], and read back by [`CallSummary::parse`] so each window shows it in
/// its own language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSummary {
    /// Answered; it lasted this long.
    Answered {
        /// Length of the connected part, whole seconds.
        seconds: u64,
    },
    /// Nobody answered.
    Missed,
    /// The callee declined.
    Declined,
}

impl CallSummary {
    /// The stored text: "☎ Call, 1:05", "☎ Missed call", "☎ Declined call".
    pub fn text(&self) -> String {
        match self {
            CallSummary::Answered { seconds } => {
                format!("☎ Call, {}:{:02}", seconds / 60, seconds % 60)
            }
            CallSummary::Missed => "☎ Missed call".to_owned(),
            CallSummary::Declined => "☎ Declined call".to_owned(),
        }
    }

    /// The record a stored text is, if it is one.
    pub fn parse(text: &str) -> Option<CallSummary> {
        match text {
            "☎ Missed call" => return Some(CallSummary::Missed),
            "☎ Declined call" => return Some(CallSummary::Declined),
            _ => {}
        }
        let (minutes, seconds) = text.strip_prefix("☎ Call, ")?.split_once(':')?;
        let minutes: u64 = minutes.parse().ok()?;
        let seconds: u64 = seconds.parse().ok().filter(|seconds| *seconds < 60)?;
        Some(CallSummary::Answered {
            seconds: minutes.checked_mul(60)?.checked_add(seconds)?,
        })
    }
}

/// A finished call, as the call history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Account that carried the call.
    pub account_id: AccountId,
    /// The other side (URI or account id).
    pub peer: String,
    /// Placed by us.
    pub outgoing: bool,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Length of the connected part.
    pub duration_ms: i64,
    /// Why it ended (`hangup`, `busy`, `missed`, …).
    pub end_reason: String,
    /// Recording file, if any.
    pub recording: Option<String>,
}

/// The local id of an account's conversation replica.
pub fn p2p_conversation_id(account: &AccountId, root_hex: &str) -> String {
    format!("p2p:{}:{root_hex}", account.0)
}

/// A size as people read it: `512 B`, `3.4 KiB`, `1.5 MiB`, `2.00 GiB`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_024 => format!("{bytes} B"),
        1_024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1_024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
        _ => format!("{:.2} GiB", bytes as f64 / 1_073_741_824.0),
    }
}

/// The account key's statement that a device belongs to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCertificate {
    /// The account's public key, hex.
    pub account_public: String,
    /// The device's peer id, base58.
    pub device_id: String,
    /// The device's name at certification time.
    pub device_name: String,
    /// Unix seconds of issue.
    pub issued_at: u64,
    /// Ed25519 signature, hex.
    pub signature: String,
}

/// Where a file transfer stands; stored and printed as its lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferState {
    /// Offered, waiting to be accepted (or, ours, to be asked for).
    #[default]
    Offered,
    /// Accepted: downloading, or waiting for a device that has it.
    Accepted,
    /// Whole and verified.
    Done,
    /// Declined (over the size limit, or by the user).
    Declined,
    /// Given up (the reason is beside it).
    Failed,
}

/// Compares with the stored name (`state == "done"`).
impl PartialEq<&str> for TransferState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TransferState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Offered => "offered",
            TransferState::Accepted => "accepted",
            TransferState::Done => "done",
            TransferState::Declined => "declined",
            TransferState::Failed => "failed",
        }
    }

    /// The state a stored name stands for; `None` for any other text.
    pub fn parse(text: &str) -> Option<TransferState> {
        [
            TransferState::Offered,
            TransferState::Accepted,
            TransferState::Done,
            TransferState::Declined,
            TransferState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::CallSummary;

    #[test]
    fn a_call_summary_reads_back_what_it_wrote_and_nothing_else() {
        for summary in [
            CallSummary::Answered { seconds: 0 },
            CallSummary::Answered { seconds: 65 },
            CallSummary::Answered { seconds: 7_384 },
            CallSummary::Missed,
            CallSummary::Declined,
        ] {
            assert_eq!(CallSummary::parse(&summary.text()), Some(summary));
        }
        for text in ["☎ Call, 1:75", "☎ Call, x:05", "Call, 1:05", "☎ Missed", ""] {
            assert_eq!(CallSummary::parse(text), None, "{text}");
        }
    }
}

/// Something the user should know, as every window says it in its own language: the id of
/// a Fluent message (`problem-…` in `locales/*/ringlet.ftl`) and its arguments. The engine
/// reports these instead of English sentences; [`Problem::english`] is the sentence for
/// logs and `ringlet ctl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The Fluent message id.
    pub code: String,
    /// Its arguments, by name.
    pub args: Vec<(String, String)>,
}

impl Problem {
    /// The problem `code` with these arguments.
    pub fn new(code: &str, args: &[(&str, &str)]) -> Problem {
        Problem {
            code: code.to_owned(),
            args: args
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    /// Said in the language of `tr`.
    pub fn say(&self, tr: &crate::i18n::I18n) -> String {
        let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = self
            .args
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str().into()))
            .collect();
        tr.tr_args(&self.code, &args)
    }

    /// Said in English.
    pub fn english(&self) -> String {
        static ENGLISH: std::sync::OnceLock<crate::i18n::I18n> = std::sync::OnceLock::new();
        self.say(ENGLISH.get_or_init(|| crate::i18n::I18n::new("en-US")))
    }
}
