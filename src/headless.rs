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

/// Serves the control socket beside a window: the engine's events go to both, each as its
/// own channel (a thread copies them, blocking on the engine's channel, so nothing polls).
/// Returns the window's events; `wake` is the window's repaint. The socket closes when
/// the engine stops. Scripts drive a kiosk or conference-room window as they drive
/// `--headless`.
pub fn serve_beside_window(
    paths: &Paths,
    engine: EngineHandle,
    events: Receiver<Event>,
    wake: crate::engine::Waker,
) -> std::io::Result<Receiver<Event>> {
    let (window_tx, window_rx) = crossbeam_channel::unbounded();
    let (server_tx, server_rx) = crossbeam_channel::unbounded();
    let ready = Arc::new(Notify::new());
    let ring = Arc::clone(&ready);
    std::thread::Builder::new()
        .name("events-copy".into())
        .spawn(move || {
            for event in events.iter() {
                // Either side may be gone (the socket failed, the window closed).
                server_tx.send(event.clone()).ok();
                ring.notify_one();
                window_tx.send(event).ok();
                wake();
            }
            // Dropping the senders tells both sides the engine is gone.
            ring.notify_one();
        })?;
    let socket = paths.control_socket();
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::warn!(%error, "no control socket for the window");
                    return;
                }
            };
            let events = EngineEvents::new(server_rx, ready);
            if let Err(error) = runtime.block_on(server::serve(socket, engine, events)) {
                tracing::warn!(%error, "the window's control socket failed");
            }
        })?;
    Ok(window_rx)
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
