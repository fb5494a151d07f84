//! The eframe app. Each frame: drain engine events, apply them, draw the views, send the
//! commands they returned. It never blocks and never polls on a timer: the engine's waker
//! requests the repaints.

use std::sync::{Arc, OnceLock};

use crossbeam_channel::Receiver;

use super::apply::{apply, wants_input_meter};
use super::fonts::FontSetup;
use super::state::{AppState, Page, Selection, SidebarTab};
use super::{notifications, open};
use super::{theme, views};
use crate::config::Theme;
use crate::desktop::notify::{Bus, Notifier, Reconciler, Report};
use crate::desktop::tray::{Tray, TrayAction, TrayLabels};
use crate::engine::{Command, EngineHandle, Event, Waker};
use crate::i18n::I18n;

/// The window's application object.
pub struct RingletApp {
    /// Everything drawn.
    pub state: AppState,
    i18n: I18n,
    engine: EngineHandle,
    events: Receiver<Event>,
    fonts: FontSetup,
    theme: Option<Theme>,
    meter_on: bool,
    desktop: Option<Desktop>,
    /// Kiosk: the window was made as large as its screen.
    kiosk_sized: bool,
    tray: Option<Tray>,
    /// egui's image loaders are installed (file cards show pictures).
    images: bool,
    /// The window is closing for good (Quit in the tray, the engine stopped): a close is
    /// no longer turned into hiding in the tray.
    quitting: bool,
}

/// The desktop notifications of a window, when it has them.
struct Desktop {
    notifier: Notifier,
    reconciler: Reconciler,
    /// The window asked for attention for an incoming call (the urgency hint).
    attention: bool,
    /// When notifications started (unix ms): older unread messages are not notified.
    since_ms: i64,
}

impl RingletApp {
    /// A window for an engine already started.
    pub fn new(engine: EngineHandle, events: Receiver<Event>, kiosk: bool) -> RingletApp {
        let mut state = AppState::default();
        state.ui.kiosk = kiosk;
        RingletApp {
            i18n: I18n::new(&state.settings.language),
            state,
            engine,
            events,
            fonts: FontSetup::default(),
            theme: None,
            meter_on: false,
            desktop: None,
            kiosk_sized: false,
            tray: None,
            images: false,
            quitting: false,
        }
    }

    /// Shows desktop notifications on `bus` (and asks for attention on incoming calls);
    /// `wake` repaints the window when the user acts on one.
    pub fn with_notifications(mut self, bus: Bus, wake: Waker) -> RingletApp {
        self.desktop = Some(Desktop {
            notifier: Notifier::start(bus, wake),
            reconciler: Reconciler::default(),
            attention: false,
            since_ms: unix_ms_now(),
        });
        self
    }

    /// What other programs asked to open: the window comes forward at once, and each URI is
    /// acted on once its account is up.
    fn open_requested(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        let mut waiting = Vec::new();
        for mut request in std::mem::take(&mut self.state.ui.open_requests) {
            if !request.raised {
                request.raised = true;
                raise(ctx);
            }
            let Some(uri) = &request.uri else { continue };
            match open::open(&mut self.state, &self.i18n, uri, request.since_ms) {
                Some(opened) => commands.extend(opened),
                None => waiting.push(request),
            }
        }
        if !waiting.is_empty() {
            // Looked at again while the account starts (no event may come meanwhile).
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        self.state.ui.open_requests = waiting;
        commands
    }

    /// Shows a tray icon (where a tray host runs); `wake` repaints the window when the user
    /// chooses something in its menu.
    pub fn with_tray(mut self, wake: Waker) -> RingletApp {
        self.tray = Some(Tray::start(tray_labels(&self.i18n), wake));
        self
    }

    /// The tray follows the state (attention while a call rings, do-not-disturb); its menu
    /// becomes commands and window requests.
    fn sync_tray(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let Some(tray) = self.tray.as_mut() else {
            return Vec::new();
        };
        let mut commands = Vec::new();
        for action in tray.actions.try_iter() {
            match action {
                TrayAction::Show => raise(ctx),
                TrayAction::ToggleDoNotDisturb => {
                    let mut settings = self.state.settings.clone();
                    settings.do_not_disturb = !settings.do_not_disturb;
                    commands.push(Command::UpdateSettings(settings));
                }
                TrayAction::Quit => {
                    self.quitting = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
        let ringing = self
            .state
            .calls
            .values()
            .any(|call| call.state == crate::model::CallState::Incoming);
        let quiet = self.state.settings.do_not_disturb;
        tray.show(ringing && !quiet, quiet, &tray_labels(&self.i18n));
        commands
    }

    /// Notifications follow the state; actions on them become commands.
    fn sync_desktop(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let Some(desktop) = self.desktop.as_mut() else {
            return Vec::new();
        };
        let mut commands = Vec::new();
        for report in desktop.notifier.reports.try_iter() {
            match report {
                Report::Action { key, action } => {
                    let (acted, raise) = notifications::act(&mut self.state, &key, &action);
                    commands.extend(acted);
                    if raise {
                        self::raise(ctx);
                    }
                }
                Report::Unavailable(_) => {}
            }
        }
        let focused = ctx.input(|input| input.viewport().focused.unwrap_or(true));
        let wanted = notifications::wanted(&self.state, &self.i18n, focused, desktop.since_ms);
        let ringing = wanted
            .iter()
            .any(|item| item.urgency == crate::desktop::notify::Urgency::Critical);
        for request in desktop.reconciler.update(wanted) {
            desktop.notifier.send(request);
        }
        // The urgency hint: the task bar flashes while a call rings here.
        if ringing != desktop.attention {
            desktop.attention = ringing;
            let attention = if ringing {
                egui::UserAttentionType::Critical
            } else {
                egui::UserAttentionType::Reset
            };
            ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(attention));
        }
        commands
    }

    /// The translations in use.
    pub fn i18n(&self) -> &I18n {
        &self.i18n
    }

    /// One frame: events in, views drawn, commands out (what eframe does in two calls, for
    /// tests that drive the window as one `Ui`).
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        self.logic(ui.ctx());
        self.draw(ui);
    }

    /// Everything but drawing, also run while the window is hidden in the tray: engine
    /// events applied, links opened, the look, notifications, the tray and requests of
    /// other programs followed, a close turned into hiding where a tray can bring the
    /// window back.
    pub fn logic(&mut self, ctx: &egui::Context) {
        self.state.ui.now_ms = unix_ms_now();
        for event in self.events.try_iter() {
            // The engine stopped under the window (`ringlet ctl shutdown`): nothing works
            // any more, so the window goes too.
            if event == Event::Stopped && self.state.engine_running {
                self.quitting = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            apply(&mut self.state, event);
        }
        for url in self.state.ui.urls_to_open.drain(..) {
            ctx.open_url(egui::OpenUrl::new_tab(url));
        }
        self.sync_look(ctx);
        let mut commands = self.sync_desktop(ctx);
        commands.extend(self.sync_tray(ctx));
        commands.extend(self.open_requested(ctx));
        // Closing the window with a tray icon shown hides it there (Show brings it back,
        // Quit quits); with no tray host, closing quits.
        let close = ctx.input(|input| input.viewport().close_requested());
        if close && !self.quitting && self.tray.as_mut().is_some_and(Tray::is_shown) {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
        }
        for command in commands {
            self.engine.send(command);
        }
    }

    /// Draws the window and sends the commands of its views.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let commands = draw_ui(ui, &mut self.state, &self.i18n);
        // A call that is up shows its length: one repaint a second, and none when idle.
        if self
            .state
            .calls
            .values()
            .any(|call| call.answered_at_ms.is_some())
        {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
        let wants_meter = wants_input_meter(&self.state);
        if wants_meter != self.meter_on {
            self.meter_on = wants_meter;
            self.engine.send(Command::SetInputMeter { on: wants_meter });
        }
        for command in commands {
            self.engine.send(command);
        }
    }

    /// Language, fonts and theme follow the settings.
    fn sync_look(&mut self, ctx: &egui::Context) {
        if crate::i18n::best_locale(&self.state.settings.language).tag != self.i18n.language() {
            self.i18n = I18n::new(&self.state.settings.language);
        }
        self.fonts.ensure(ctx, self.i18n.language());
        if !self.images {
            egui_extras::install_image_loaders(ctx);
            self.images = true;
        }
        // Kiosk: the whole screen, also where no window manager grants full screen.
        if self.state.ui.kiosk
            && !self.kiosk_sized
            && let Some(size) = ctx.input(|input| input.viewport().monitor_size)
        {
            self.kiosk_sized = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::Pos2::ZERO));
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        }
        if self.theme != Some(self.state.settings.theme) {
            self.theme = Some(self.state.settings.theme);
            theme::apply(ctx, self.state.settings.theme, self.state.ui.kiosk);
        }
    }
}

/// Brings the window forward: shown, not minimized, focused.
fn raise(ctx: &egui::Context) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
}

/// The tray menu's words in the window's language.
fn tray_labels(tr: &I18n) -> TrayLabels {
    TrayLabels {
        show: tr.tr("tray-show"),
        do_not_disturb: tr.tr("settings-do-not-disturb"),
        quit: tr.tr("tray-quit"),
        ringing: tr.tr("incoming-call-title"),
    }
}

/// The wall clock in unix milliseconds, read once per frame.
fn unix_ms_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// Draws the whole window; returns the commands of every view.
pub fn draw_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Panel::left("sidebar")
        .default_size(if state.ui.kiosk {
            theme::KIOSK_SIDEBAR
        } else {
            300.0
        })
        .min_size(240.0)
        .show(ui, |ui| {
            commands.extend(views::sidebar::show(ui, state, tr))
        });
    egui::CentralPanel::default().show(ui, |ui| {
        messages_ui(ui, state, tr);
        commands.extend(views::recent::ended_ui(ui, state, tr));
        // The call placed or answered here fills the main area; other calls are bars above
        // what is shown.
        if let Some(front) = state.ui.call_in_front
            && state.calls.get(&front).is_some()
        {
            commands.extend(views::calls::pane_ui(ui, state, tr, front));
            return;
        }
        commands.extend(views::calls::bars_ui(ui, state, tr));
        let page = match state.ui.page {
            Some(Page::Settings) if state.ui.kiosk => None,
            page => page,
        };
        // A conversation fills the rest itself (its composer sits at the bottom); the other
        // pages scroll.
        if let (None, Selection::Conversation(id)) = (page, state.ui.selection.clone())
            && state.conversations.get(&id).is_some()
        {
            commands.extend(views::chat::show(ui, state, tr, &id));
            return;
        }
        egui::ScrollArea::vertical().show(ui, |ui| {
            let drawn = match (page, state.ui.selection.clone()) {
                (Some(Page::Wizard), _) => views::wizard::show(ui, state, tr),
                (Some(Page::Settings), _) => views::settings::show(ui, state, tr),
                (Some(Page::About), _) => views::about::show(ui, state, tr),
                (None, Selection::Account(id)) if state.accounts.get(&id).is_some() => {
                    views::account::show(ui, state, tr, &id)
                }
                (None, Selection::Contact(id)) if state.contacts.get(&id).is_some() => {
                    views::contact_page::show(ui, state, tr, id)
                }
                (None, _) => views::welcome::show(ui, state, tr),
            };
            commands.extend(drawn);
        });
    });
    commands.extend(views::calls::overlay_ui(ui, state, tr));
    // The file picker, over everything while it is open.
    commands.extend(views::file_picker::show(ui, state, tr));
    commands
}

/// Errors and notices above the main area, each dismissable.
fn messages_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) {
    let mut dismiss_error = None;
    for (index, error) in state.ui.errors.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("{}: {}", tr.tr("error-title"), error.say(tr)),
            );
            if ui.small_button(tr.tr("error-dismiss")).clicked() {
                dismiss_error = Some(index);
            }
        });
    }
    if let Some(index) = dismiss_error {
        state.ui.errors.remove(index);
    }
    let mut dismiss_notice = None;
    for (index, notice) in state.ui.notices.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(notice.say(tr));
            if ui.small_button(tr.tr("error-dismiss")).clicked() {
                dismiss_notice = Some(index);
            }
        });
    }
    if let Some(index) = dismiss_notice {
        state.ui.notices.remove(index);
    }
}

/// With `RINGLET_REPORT_FIRST_FRAME` set, prints `first-frame-unix-ns N` to stderr once, when
/// the first frame is drawn, for the start-up measurement in `benches/window_figures.sh`.
pub fn report_first_frame() {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| {
        if std::env::var_os("RINGLET_REPORT_FIRST_FRAME").is_some() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_nanos());
            eprintln!("first-frame-unix-ns {now}");
        }
    });
}

impl eframe::App for RingletApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        RingletApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
        report_first_frame();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.engine.send(Command::Shutdown);
    }
}

/// A waker for a window that does not exist yet: it repaints once the context is known.
pub fn repaint_waker() -> (Waker, Arc<OnceLock<egui::Context>>) {
    let slot: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
    let target = Arc::clone(&slot);
    let waker: Waker = Arc::new(move || {
        if let Some(ctx) = target.get() {
            ctx.request_repaint();
        }
    });
    (waker, slot)
}

/// How the window starts.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// Kiosk mode: full screen, larger, no settings.
    pub kiosk: bool,
    /// A page open over the main area.
    pub page: Option<Page>,
    /// The first account's page selected once accounts are known.
    pub first_account: bool,
    /// The most recent conversation opened once conversations are known.
    pub first_conversation: bool,
    /// The sidebar's list shown first (`None`: conversations).
    pub sidebar: Option<SidebarTab>,
    /// The add-contact form open.
    pub add_contact: bool,
    /// Where desktop notifications go (`None`: none).
    pub notifications: Option<Bus>,
    /// A tray icon on the session bus.
    pub tray: bool,
    /// A URI to open once its account is up (`ringlet URI`).
    pub open: Option<String>,
}

/// Opens the window and runs until it closes.
pub fn run_window(
    engine: EngineHandle,
    events: Receiver<Event>,
    context_slot: Arc<OnceLock<egui::Context>>,
    start: Start,
) -> eframe::Result {
    let Start {
        kiosk,
        page,
        first_account,
        first_conversation,
        sidebar,
        add_contact,
        notifications,
        tray,
        open,
    } = start;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Ringlet")
        .with_app_id("net.ringlet.Ringlet")
        .with_inner_size([960.0, 640.0])
        .with_min_inner_size([480.0, 360.0]);
    if kiosk {
        viewport = viewport.with_fullscreen(true);
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "Ringlet",
        options,
        Box::new(move |creation| {
            let ctx = creation.egui_ctx.clone();
            // The slot is only ever set here, once.
            context_slot.set(ctx.clone()).ok();
            // Events sent before the context existed are waiting: draw them now.
            ctx.request_repaint();
            let mut app = RingletApp::new(engine, events, kiosk);
            if let Some(bus) = notifications {
                let repaint = ctx.clone();
                app = app.with_notifications(bus, Arc::new(move || repaint.request_repaint()));
            }
            if tray {
                let repaint = ctx.clone();
                app = app.with_tray(Arc::new(move || repaint.request_repaint()));
            }
            app.state.ui.page = page;
            app.state.ui.open_first_account = first_account;
            app.state.ui.open_first_conversation = first_conversation;
            app.state.ui.sidebar_tab = sidebar.unwrap_or_default();
            app.state.ui.add_contact.open = add_contact;
            if let Some(uri) = open {
                app.state.ui.open_requests.push(super::state::OpenRequest {
                    uri: Some(uri),
                    since_ms: unix_ms_now(),
                    raised: true,
                });
            }
            Ok(Box::new(app))
        }),
    )
}
