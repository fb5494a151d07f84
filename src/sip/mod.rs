//! Sans-IO SIP (RFC 3261): message parsing and printing, URIs and typed header values.
//! No sockets and no clock here; transports and timers live in the drivers.

pub mod auth;
pub mod dialog;
pub mod header;
pub mod message;
pub mod session;
pub mod transaction;
pub mod ua;
pub mod uri;

pub use header::{AddressParts, CSeq, NameAddr, Via};
pub use message::{Headers, Method, ParseError, SipMessage, StartLine};
pub use uri::SipUri;
