//! `ringlet --headless`: the engine with no window, controlled through the socket in the
//! data directory, until SIGTERM, SIGINT or `ringlet ctl shutdown`.

use std::sync::Arc;

use crossbeam_channel::Receiver;
use tokio::sync::Notify;

use crate::control::server::{self, EngineEvents};
use crate::engine::{Command, EngineHandle, Event};
use crate::paths::Paths;

/// The waker to give `Engine::start` for a headless engine, and what it rings: the
/// control server drains the engine's channel when it does.
pub fn waker() -> (crate::engine::Waker, Arc<Notify>) {
    let ready = Arc::new(Notify::new());
    let ring = ready.clone();
    (Arc::new(move || ring.notify_one()), ready)
}

/// Runs the control socket for an engine until it stops; `ready` is what its waker rings.
pub fn run(
    paths: &Paths,
    engine: EngineHandle,
    events: Receiver<Event>,
    ready: Arc<Notify>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let event_rx = EngineEvents::new(events, ready);
    let socket = paths.control_socket();
    runtime.block_on(async move {
        let shutdown_engine = engine.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("signal received; shutting down");
            shutdown_engine.send(Command::Shutdown);
        });
        tracing::info!(socket = %socket.display(), "control socket ready");
        server::serve(socket, engine, event_rx).await
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the daemon still stops by `ctl shutdown` or SIGKILL.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
}
