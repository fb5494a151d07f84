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

/// A contact's id (row id in the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

/// A conversation's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub String);

impl ConversationId {
    /// The conversation of a SIP account with one peer URI.
    pub fn sip(account: &AccountId, peer: &str) -> ConversationId {
        ConversationId(format!("sip:{}:{peer}", account.0))
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DtmfMode {
    /// RFC 4733 telephone-event packets.
    #[default]
    Rfc4733,
    /// SIP INFO with application/dtmf-relay.
    SipInfo,
    /// Tones mixed into the audio.
    InBand,
}

/// Settings of a SIP account, as stored. The password is not here: it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SipAccountConfig {
    /// Address of record, `sip:user@host`.
    pub aor: String,
    /// Registrar URI; `None` means no registration (direct calls only).
    pub registrar: Option<String>,
    /// Outbound proxy URI.
    pub outbound_proxy: Option<String>,
    /// Authentication user name, when it differs from the AOR's user.
    pub username: Option<String>,
    /// Transport protocol.
    pub transport: SipTransport,
    /// Local `IP:PORT` to listen on.
    pub listen: Option<String>,
    /// STUN server `HOST:PORT`.
    pub stun: Option<String>,
    /// Answer incoming calls without asking.
    pub auto_answer: bool,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Codec names in order of preference.
    pub codecs: Vec<String>,
    /// DTMF mode.
    pub dtmf: DtmfMode,
    /// Seconds of registration to ask the registrar for (600 when unset).
    pub register_expires: Option<u32>,
    /// Subscribe to our own message summary to show waiting voicemail (RFC 3842).
    pub mwi: bool,
    /// A PEM file of CA certificates trusted for TLS besides the system's roots.
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
    },
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
    /// `confirmed` (SIP contacts, accepted P2P ones), `requested` (we asked), `incoming`
    /// (they asked), `declined` or `blocked`.
    #[serde(default = "confirmed")]
    pub state: String,
}

fn confirmed() -> String {
    "confirmed".to_owned()
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
    /// `offered` (waiting for accept), `accepted` (downloading), `done`, `declined`, `failed`.
    pub state: String,
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
