//! The tray icon (StatusNotifierItem, through `ksni` on zbus): Show, Do not disturb and
//! Quit in its menu, and "needs attention" while a call rings. It is started on its own
//! thread; a desktop with no tray host (no StatusNotifierWatcher) simply has none, and the
//! window is told so, so that closing it still quits.

use std::thread;

use crossbeam_channel::{Receiver, Sender};
use ksni::blocking::TrayMethods as _;

use crate::engine::Waker;

/// What the user chose in the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    /// Bring the window forward (a click on the icon, or Show).
    Show,
    /// Turn do-not-disturb on or off.
    ToggleDoNotDisturb,
    /// Quit Ringlet.
    Quit,
}

/// The words of the tray's menu, in the window's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayLabels {
    /// "Show Ringlet".
    pub show: String,
    /// "Do not disturb".
    pub do_not_disturb: String,
    /// "Quit".
    pub quit: String,
    /// The tooltip while a call rings.
    pub ringing: String,
}

/// What the tray shows.
struct RingletTray {
    labels: TrayLabels,
    attention: bool,
    do_not_disturb: bool,
    actions: Sender<TrayAction>,
    wake: Waker,
}

impl RingletTray {
    fn send(&self, action: TrayAction) {
        if self.actions.send(action).is_ok() {
            (self.wake)();
        }
    }
}

impl ksni::Tray for RingletTray {
    fn id(&self) -> String {
        "net.ringlet.Ringlet".into()
    }

    fn title(&self) -> String {
        "Ringlet".into()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::Communications
    }

    fn status(&self) -> ksni::Status {
        if self.attention {
            ksni::Status::NeedsAttention
        } else {
            ksni::Status::Active
        }
    }

    fn icon_name(&self) -> String {
        "net.ringlet.Ringlet".into()
    }

    fn attention_icon_name(&self) -> String {
        "call-start".into()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: if self.attention {
                self.labels.ringing.clone()
            } else {
                "Ringlet".into()
            },
            ..Default::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.send(TrayAction::Show);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        use ksni::menu::{CheckmarkItem, StandardItem};
        vec![
            StandardItem {
                label: self.labels.show.clone(),
                activate: Box::new(|tray: &mut Self| tray.send(TrayAction::Show)),
                ..Default::default()
            }
            .into(),
            CheckmarkItem {
                label: self.labels.do_not_disturb.clone(),
                checked: self.do_not_disturb,
                activate: Box::new(|tray: &mut Self| tray.send(TrayAction::ToggleDoNotDisturb)),
                ..Default::default()
            }
            .into(),
            ksni::MenuItem::Separator,
            StandardItem {
                label: self.labels.quit.clone(),
                activate: Box::new(|tray: &mut Self| tray.send(TrayAction::Quit)),
                ..Default::default()
            }
            .into(),
        ]
    }
}

/// The tray, once its thread has registered it (or found no host).
pub struct Tray {
    started: Receiver<Result<ksni::blocking::Handle<RingletTray>, String>>,
    handle: Option<ksni::blocking::Handle<RingletTray>>,
    /// What the user chose.
    pub actions: Receiver<TrayAction>,
    /// Last shown (attention, do-not-disturb, labels), to update only on change.
    shown: Option<(bool, bool, TrayLabels)>,
}

impl Tray {
    /// Registers the tray on the session bus from a thread of its own.
    pub fn start(labels: TrayLabels, wake: Waker) -> Tray {
        let (actions_tx, actions) = crossbeam_channel::unbounded();
        let (started_tx, started) = crossbeam_channel::bounded(1);
        let spawned = thread::Builder::new().name("tray".into()).spawn(move || {
            let tray = RingletTray {
                labels,
                attention: false,
                do_not_disturb: false,
                actions: actions_tx,
                wake: wake.clone(),
            };
            let result = tray.spawn().map_err(|err| err.to_string());
            if let Err(error) = &result {
                tracing::info!(%error, "no tray icon");
            }
            started_tx.send(result).ok();
            wake();
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the tray thread");
        }
        Tray {
            started,
            handle: None,
            actions,
            shown: None,
        }
    }

    /// True once the tray is registered with a host.
    pub fn is_shown(&mut self) -> bool {
        if self.handle.is_none()
            && let Ok(Ok(handle)) = self.started.try_recv()
        {
            self.handle = Some(handle);
        }
        self.handle
            .as_ref()
            .is_some_and(|handle| !handle.is_closed())
    }

    /// Shows this state: attention while a call rings, the do-not-disturb tick.
    pub fn show(&mut self, attention: bool, do_not_disturb: bool, labels: &TrayLabels) {
        if !self.is_shown() {
            return;
        }
        let wanted = (attention, do_not_disturb, labels.clone());
        if self.shown.as_ref() == Some(&wanted) {
            return;
        }
        if let Some(handle) = &self.handle {
            let labels = labels.clone();
            handle.update(move |tray| {
                tray.attention = attention;
                tray.do_not_disturb = do_not_disturb;
                tray.labels = labels;
            });
        }
        self.shown = Some(wanted);
    }
}
