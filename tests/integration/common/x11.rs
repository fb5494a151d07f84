//! The little of X11 the window tests need where no window manager runs (Xvfb): find the
//! window by its title, tell whether it is shown, and ask it to close as a window
//! manager's close button does (`WM_DELETE_WINDOW`).

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, MapState, Window,
};
use x11rb::rust_connection::RustConnection;

/// A connection to one display.
pub struct Display {
    conn: RustConnection,
    root: Window,
}

impl Display {
    /// Connects to `display` (":99").
    pub fn open(display: &str) -> Display {
        let (conn, screen) = x11rb::connect(Some(display)).expect("the X display");
        let root = conn.setup().roots[screen].root;
        Display { conn, root }
    }

    fn atom(&self, name: &str) -> u32 {
        self.conn
            .intern_atom(false, name.as_bytes())
            .expect("intern_atom")
            .reply()
            .expect("an atom")
            .atom
    }

    /// The top-level window titled `title`, if one exists.
    pub fn window(&self, title: &str) -> Option<Window> {
        let children = self.conn.query_tree(self.root).ok()?.reply().ok()?.children;
        let utf8 = self.atom("UTF8_STRING");
        let net_name = self.atom("_NET_WM_NAME");
        children.into_iter().find(|window| {
            [
                (net_name, utf8),
                (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()),
            ]
            .into_iter()
            .any(|(property, kind)| {
                self.conn
                    .get_property(false, *window, property, kind, 0, 256)
                    .ok()
                    .and_then(|cookie| cookie.reply().ok())
                    .is_some_and(|reply| reply.value == title.as_bytes())
            })
        })
    }

    /// The window is mapped and viewable (shown).
    pub fn is_shown(&self, window: Window) -> bool {
        self.conn
            .get_window_attributes(window)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE)
    }

    /// Asks the window to close, as a window manager does for its close button.
    pub fn request_close(&self, window: Window) {
        let protocols = self.atom("WM_PROTOCOLS");
        let delete = self.atom("WM_DELETE_WINDOW");
        let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
        self.conn
            .send_event(false, window, EventMask::NO_EVENT, event)
            .expect("send_event");
        self.conn.flush().expect("flush");
    }
}
