//! The window: an eframe app whose state is plain tables (`state`), changed by engine
//! events (`apply`) and drawn by views (`views`) that return commands.

pub mod app;
pub mod apply;
pub mod clock;
pub mod fonts;
pub mod links;
pub mod notifications;
pub mod open;
pub mod state;
pub mod theme;
pub mod views;
pub mod virtual_list;
pub mod widgets;

pub use app::{RingletApp, run_window};
pub use apply::apply;
pub use state::AppState;
