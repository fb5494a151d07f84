//! What goes into and comes out of a [`SessionCore`](super::SessionCore): the account's
//! commands, the inputs a driver feeds it, and the outputs and events it asks the driver
//! to carry out or pass on.

use std::net::SocketAddr;

use crate::media::stream::StreamParams;
use crate::model::{CallId, RegistrationState};
use crate::sip::ua::EndReason;

/// Why a target has no address ([`Input::Resolved`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Neither a SIP URI nor `host[:port]`.
    #[error("{target}: {reason}")]
    BadTarget {
        /// What was to be resolved.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The resolver failed (no such name, no network).
    #[error("cannot resolve {host}: {reason}")]
    Lookup {
        /// The name.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// The name has no address.
    #[error("{host} has no address")]
    NoAddress {
        /// The name.
        host: String,
    },
    /// A P2P device URI whose host is not a device's peer id.
    #[error("{target}: {host} is not a device")]
    NotADevice {
        /// The URI.
        target: String,
        /// Its host.
        host: String,
    },
}

/// Why no media port could be bound for a call ([`Input::MediaBound`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot bind a media port: {0}")]
pub struct BindError(pub String);

/// What the engine asks of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCommand {
    /// Place a call.
    Invite {
        /// Engine call id.
        call: CallId,
        /// Request-URI.
        uri: String,
    },
    /// Place one call to several devices at once (RFC 3261 §16.7 forking done by the
    /// caller): the first to answer wins, the others are cancelled "completed
    /// elsewhere"; a decline on one ends the call for all.
    Fork {
        /// Engine call id.
        call: CallId,
        /// One Request-URI per device.
        uris: Vec<String>,
    },
    /// Answer a ringing call.
    Answer(CallId),
    /// Refuse a ringing call with a status code.
    Reject(CallId, u16),
    /// End or cancel a call.
    Hangup(CallId),
    /// Put a call on hold (`true`) or resume it.
    Hold(CallId, bool),
    /// Answer calls as they come from now on (`true`), or let them ring.
    AutoAnswer(bool),
    /// Blind transfer: ask the peer to call `target`.
    Transfer {
        /// The call to transfer.
        call: CallId,
        /// Where to.
        target: String,
    },
    /// Attended transfer: ask the peer of `call` to replace `other`.
    AttendedTransfer {
        /// The call whose peer is transferred.
        call: CallId,
        /// The call it replaces.
        other: CallId,
    },
    /// Send DTMF digits by SIP INFO.
    Dtmf {
        /// The call.
        call: CallId,
        /// Digits.
        digits: String,
    },
    /// Send a MESSAGE.
    Message {
        /// Engine's id for the outcome.
        id: u64,
        /// Recipient.
        uri: String,
        /// Text.
        text: String,
    },
    /// Watch the presence of `uri` (SUBSCRIBE presence).
    Watch {
        /// The contact's URI.
        uri: String,
    },
    /// Stop watching the presence of `uri` (SUBSCRIBE with Expires: 0).
    Unwatch {
        /// The contact's URI.
        uri: String,
    },
    /// Publish our presence to our watchers.
    SetPresence {
        /// Available.
        open: bool,
        /// A note (“in a meeting”).
        note: String,
    },
    /// Stop: un-REGISTER and hang up every call.
    Stop,
}

/// What the core tells the engine (through its driver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// Registration state changed.
    Registration(RegistrationState),
    /// A call arrived.
    Incoming {
        /// Engine call id.
        call: CallId,
        /// The caller's From value.
        from: String,
        /// The call it replaces (attended transfer), already being ended.
        replaces: Option<CallId>,
    },
    /// The core placed a call by itself (a transfer the peer asked for).
    Outgoing {
        /// Engine call id.
        call: CallId,
        /// Who.
        peer: String,
        /// The call whose peer asked for it.
        transfer_of: CallId,
    },
    /// The far end rings.
    Ringing(CallId),
    /// The call is up.
    Connected(CallId),
    /// Hold state changed.
    Hold {
        /// The call.
        call: CallId,
        /// We hold it.
        local: bool,
        /// The peer holds it.
        remote: bool,
    },
    /// A DTMF digit arrived.
    Dtmf {
        /// The call.
        call: CallId,
        /// The digit.
        digit: char,
    },
    /// Progress of a transfer we asked for (202, then the transferee's status codes).
    Transfer {
        /// The call.
        call: CallId,
        /// Status code.
        code: u16,
    },
    /// The call ended.
    Ended(CallId, EndReason),
    /// A MESSAGE arrived.
    MessageReceived {
        /// The sender's URI.
        from: String,
        /// Text.
        text: String,
    },
    /// Outcome of a MESSAGE we sent.
    MessageSent {
        /// The engine's id.
        id: u64,
        /// Final status code.
        code: u16,
        /// Why it could not be sent, when it never left (no such host, too long).
        error: Option<String>,
    },
    /// A watched contact's presence: `Some(true)` available, `Some(false)` not, `None`
    /// unknown (the subscription failed).
    Presence {
        /// The contact's URI.
        uri: String,
        /// Its state.
        open: Option<bool>,
    },
    /// Voice messages waiting (new, old), from message-summary NOTIFYs.
    Voicemail {
        /// New messages.
        new: u32,
        /// Old messages.
        old: u32,
    },
    /// The public address STUN reported.
    PublicAddress(SocketAddr),
    /// A command could not be carried out.
    Failed(String),
}

/// A request to resolve a name, answered by [`Input::Resolved`] with the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResolveId(pub u64);

/// What a driver feeds the core.
#[derive(Debug)]
pub enum Input<'a> {
    /// Resolve the proxy and registrar, register and subscribe (once, after STUN).
    Start,
    /// A datagram or a framed message from the transport.
    Datagram {
        /// Who sent it.
        from: SocketAddr,
        /// Its bytes.
        bytes: &'a [u8],
    },
    /// A command from the engine.
    Command(SessionCommand),
    /// The answer to [`Output::Resolve`].
    Resolved {
        /// The request's id.
        request: ResolveId,
        /// The address, or why there is none.
        result: Result<SocketAddr, ResolveError>,
    },
    /// The answer to [`Output::BindMedia`]: the RTP port, or why none could be bound.
    MediaBound {
        /// The call.
        call: CallId,
        /// The port.
        result: Result<u16, BindError>,
    },
    /// Sending to `to` failed; on a stream transport the connection is gone.
    SendFailed {
        /// Where to.
        to: SocketAddr,
        /// What the transport said.
        error: String,
        /// The transport is a stream (TCP, TLS): transactions to `to` fail at once.
        stream: bool,
    },
    /// The stream (TCP, TLS, a device's P2P stream) to `to` closed, or could not be opened:
    /// a request that may have been lost with it goes once more, the rest fail.
    StreamClosed {
        /// Where to.
        to: SocketAddr,
    },
    /// A call's media path died (its device stopped answering): the call ends with
    /// [`EndReason::ConnectionLost`].
    MediaLost(CallId),
    /// The transport's local address changed (the host moved to another network): the
    /// registrar and the peers of connected calls are told the new one.
    Moved(SocketAddr),
    /// [`SessionCore::poll_timeout`](super::SessionCore::poll_timeout) has passed.
    Timeout,
}

/// What the core asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes.
    Transmit {
        /// Where to.
        to: SocketAddr,
        /// The message.
        bytes: Vec<u8>,
    },
    /// Resolve a SIP URI or `host[:port]` off the loop and answer with
    /// [`Input::Resolved`].
    Resolve {
        /// The request's id.
        request: ResolveId,
        /// What to resolve.
        target: String,
        /// The port when the target names none (5060 for SIP, 3478 for STUN).
        default_port: u16,
    },
    /// Bind RTP and RTCP sockets for a call and answer with [`Input::MediaBound`].
    BindMedia(CallId),
    /// The call is over: its sockets may go.
    ReleaseMedia(CallId),
    /// Offer/answer settled a call's audio (first time: start it; later: update it).
    Media {
        /// The call.
        call: CallId,
        /// What was agreed.
        params: StreamParams,
    },
    /// Tell the engine.
    Event(SessionEvent),
}
