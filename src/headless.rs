//! `ringlet --headless`: the engine with no window, controlled through the socket in the
//! data directory, until SIGTERM, SIGINT or `ringlet ctl shutdown`.

use crossbeam_channel::Receiver;
use tokio::sync::mpsc;

use crate::control::server;
use crate::engine::{Command, EngineHandle, Event};
use crate::paths::Paths;

/// Runs the control socket for an engine until it stops.
pub fn run(paths: &Paths, engine: EngineHandle, events: Receiver<Event>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    // Engine events arrive on a blocking channel; a small thread carries them into async land.
    std::thread::Builder::new()
        .name("ringlet-events".into())
        .spawn(move || {
            for event in events.iter() {
                if event_tx.send(event).is_err() {
                    return;
                }
            }
        })?;
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
