//! What a [`UserAgent`](super::UserAgent) is configured with and tells its user: handles,
//! events, outputs and end reasons.

use std::net::SocketAddr;

use super::SubscriptionHandle;

/// A call's handle inside the UA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up.
    LocalHangup,
    /// They hung up (BYE).
    RemoteHangup,
    /// The caller cancelled before an answer.
    Cancelled,
    /// The caller cancelled because another device of ours answered (CANCEL with
    /// `Reason: SIP;cause=200`, RFC 3326).
    AnsweredElsewhere,
    /// Refused with this status code (ours or theirs).
    Rejected(u16),
    /// No answer or no ACK in time.
    Timeout,
    /// Replaced by another call (attended transfer, RFC 3891).
    Replaced,
    /// Its destination could not be resolved or reached before any request went out.
    Unreachable,
    /// Ended by us because offer/answer left it no usable audio (the reason says why).
    NoMedia(String),
    /// Ended by us because the path to the peer died (a P2P device that vanished).
    ConnectionLost,
}

/// What the UA tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaEvent {
    /// A new incoming call, ringing.
    IncomingCall {
        /// Handle.
        call: CallHandle,
        /// The caller (From header).
        from: String,
        /// The offer, if the INVITE carried one.
        offer: Option<String>,
        /// The call this one replaces (INVITE with `Replaces`, RFC 3891).
        replaces: Option<CallHandle>,
    },
    /// The far end is ringing.
    Ringing {
        /// Handle.
        call: CallHandle,
        /// SDP of early media (183 Session Progress), if any.
        early_media: Option<String>,
    },
    /// The call is up; `answer` is the far end's SDP (for calls we placed).
    Connected {
        /// Handle.
        call: CallHandle,
        /// SDP from the 2xx, for outgoing calls.
        answer: Option<String>,
    },
    /// The call is over.
    Ended {
        /// Handle.
        call: CallHandle,
        /// Why.
        reason: EndReason,
    },
    /// The peer sent a re-INVITE (hold, resume, new media): answer it with
    /// [`UserAgent::accept_reoffer`] or [`UserAgent::refuse_reoffer`].
    Reoffer {
        /// Handle.
        call: CallHandle,
        /// The new offer (`None` asks us to offer).
        offer: Option<String>,
    },
    /// Our INVITE had no offer and the 2xx carries the peer's: answer it with
    /// [`UserAgent::ack_with_answer`] (RFC 3264 §4). `Connected` comes just before.
    LateOffer {
        /// Handle.
        call: CallHandle,
        /// The peer's SDP offer.
        offer: String,
    },
    /// The ACK of a call we answered with an offer (the INVITE had none, RFC 3264 §4)
    /// carried the peer's answer.
    LateAnswer {
        /// Handle.
        call: CallHandle,
        /// The peer's SDP answer.
        answer: String,
    },
    /// Our re-INVITE was accepted.
    Reanswered {
        /// Handle.
        call: CallHandle,
        /// The peer's answer.
        answer: Option<String>,
    },
    /// Our re-INVITE was refused; the previous session stands.
    ReofferFailed {
        /// Handle.
        call: CallHandle,
        /// Status code (408 when nothing came back).
        code: u16,
    },
    /// A DTMF digit arrived by SIP INFO.
    Dtmf {
        /// Handle.
        call: CallHandle,
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: char,
    },
    /// The peer asks us to call `target` (REFER, RFC 3515); report with
    /// [`UserAgent::notify_transfer`].
    TransferRequested {
        /// The call the REFER came in.
        call: CallHandle,
        /// The Refer-To URI (with any `?Replaces=` part).
        target: String,
    },
    /// Progress of a transfer we asked for: 202 when accepted, then the status codes the
    /// transferee reports by NOTIFY; a failure code when refused.
    TransferProgress {
        /// The call we transferred.
        call: CallHandle,
        /// Status code.
        code: u16,
    },
    /// A MESSAGE arrived (RFC 3428).
    MessageReceived {
        /// The sender (From header).
        from: String,
        /// Where the request came from (its transport's source address).
        source: std::net::SocketAddr,
        /// Content-Type.
        content_type: String,
        /// The body, as text.
        body: String,
    },
    /// Outcome of a MESSAGE we sent.
    MessageSent {
        /// Id returned by [`UserAgent::message`].
        id: u64,
        /// Final status code (408 when nothing came back).
        code: u16,
    },
    /// The registrar accepted our binding for `expires` seconds.
    Registered {
        /// Seconds granted.
        expires: u32,
    },
    /// Registration failed.
    RegistrationFailed {
        /// Status code (408 when nothing came back).
        code: u16,
        /// Reason for the user.
        reason: String,
    },
    /// Our binding was removed.
    Unregistered,
    /// What the presence server said to our PUBLISH (2xx: published).
    Published {
        /// Status code (408 when nothing came back).
        code: u16,
    },
    /// A NOTIFY for one of our subscriptions.
    Notified {
        /// The subscription.
        subscription: SubscriptionHandle,
        /// Its event package (`presence`, `message-summary`).
        event: String,
        /// The body (PIDF, message summary).
        body: String,
    },
    /// A subscription was refused or went unanswered; it is tried again later.
    SubscriptionFailed {
        /// The subscription.
        subscription: SubscriptionHandle,
        /// Its event package.
        event: String,
        /// Status code (408 when nothing came back).
        code: u16,
    },
}

/// What the UA wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaOutput {
    /// Send a datagram.
    Transmit {
        /// Destination.
        to: SocketAddr,
        /// Bytes.
        bytes: Vec<u8>,
    },
    /// Tell the user.
    Event(UaEvent),
}

/// User name and password for digest authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct UaCredentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for UaCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UaCredentials({}, …)", self.username)
    }
}

/// Where the UA is and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaConfig {
    /// Our address of record, as a From value (`<sip:alice@example.org>`).
    pub local_uri: String,
    /// Our Contact URI (`sip:alice@192.0.2.1:5060`).
    pub contact: String,
    /// Via sent-by with transport (`UDP 192.0.2.1:5060`).
    pub via_sent_by: String,
    /// User-Agent header value.
    pub user_agent: String,
    /// Answers to 401/407 challenges; `None` gives up on them.
    pub credentials: Option<UaCredentials>,
}
