//! The `ringlet ctl` side: one request, one reply (or a stream of events).

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::Path;

use super::protocol::{Reply, Request};

/// Why a control request failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No daemon listens on the socket.
    #[error(
        "no Ringlet is running on this data directory (cannot connect to {path}: {source}); start `ringlet --headless`"
    )]
    NotRunning {
        /// The socket.
        path: String,
        /// What connect said.
        source: std::io::Error,
    },
    /// The connection broke.
    #[error("control connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The daemon answered with something unreadable.
    #[error("unreadable reply from the daemon: {0}")]
    BadReply(String),
    /// The daemon refused or the command failed.
    #[error("{0}")]
    Refused(String),
}

fn connect(socket: &Path) -> Result<UnixStream, ControlError> {
    UnixStream::connect(socket).map_err(|source| ControlError::NotRunning {
        path: socket.display().to_string(),
        source,
    })
}

fn send_request(stream: &mut UnixStream, request: &Request) -> Result<(), ControlError> {
    let mut line =
        serde_json::to_string(request).map_err(|err| ControlError::BadReply(err.to_string()))?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    Ok(())
}

/// Sends one request and returns the result value.
pub fn call(socket: &Path, request: &Request) -> Result<serde_json::Value, ControlError> {
    let mut stream = connect(socket)?;
    send_request(&mut stream, request)?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    if line.is_empty() {
        return Err(ControlError::BadReply(
            "the daemon closed the connection".into(),
        ));
    }
    match serde_json::from_str::<Reply>(&line)
        .map_err(|err| ControlError::BadReply(err.to_string()))?
    {
        Reply::Ok(value) => Ok(value),
        Reply::Error(error) => Err(ControlError::Refused(error)),
    }
}

/// Streams events as JSON lines to `out` until the daemon stops or `out` fails.
pub fn stream_events(socket: &Path, out: &mut impl std::io::Write) -> Result<(), ControlError> {
    let mut stream = connect(socket)?;
    send_request(&mut stream, &Request::Events)?;
    for line in BufReader::new(&stream).lines() {
        let line = line?;
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            // The reader of our output went away (e.g. `| head`): a normal end.
            return Ok(());
        }
    }
    Ok(())
}
