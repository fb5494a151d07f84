//! Outside control: a Unix socket in the data directory speaking JSON lines, served by the
//! headless daemon and used by `ringlet ctl`. Scripts and kiosks drive the engine through it
//! exactly as the window does, with commands in and events out.

pub mod client;
pub mod protocol;
pub mod report;
pub mod request;
pub mod server;

pub use protocol::{Reply, Request};
pub use report::StatusReport;
