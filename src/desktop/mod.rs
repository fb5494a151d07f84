//! The desktop around the window: notifications (`org.freedesktop.Notifications`).
//! Nothing here may block or fail a call: each service runs on its own thread, and a
//! desktop without it only loses the convenience.

pub mod notify;
