//! The desktop around the window: notifications (`org.freedesktop.Notifications`), the tray
//! icon (StatusNotifierItem) and the URIs other programs hand to `ringlet`.
//! Nothing here may block or fail a call: each service runs on its own thread, and a
//! desktop without it only loses the convenience.

pub mod notify;
pub mod tray;
pub mod uri;
