//! The control socket server of the headless daemon.
//!
//! One task (the hub) owns an [`AppState`] kept current by the same `apply()` the window
//! uses; connections ask it for status, send commands through it and wait for the event that
//! answers them, or subscribe to the event stream.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};

use tokio::sync::{Notify, broadcast, mpsc, oneshot};

use super::protocol::{MAX_REQUEST_LEN, Reply, Request, parse_request, to_command};
use super::report::{ContactReport, StatusReport};
use crate::engine::{Command, EngineHandle, Event, RequestId};
use crate::model::AccountId;
use crate::ui::{AppState, apply};

/// How long a command may take before the client is told it timed out.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Events buffered per subscriber before a slow one starts missing some.
const EVENT_BACKLOG: usize = 1024;
/// How long connections get to deliver their last replies when the engine stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// With no client waiting for an event, the hub reads the engine's events at most this
/// often (and before every request), not once per event: under a sipp load that was three
/// thread switches a call (BENCHMARKS.md, "SIP answering", session 18).
const EVENT_REST: Duration = Duration::from_millis(50);

/// What a connection asks the hub.
enum HubRequest {
    Request(Box<Request>, oneshot::Sender<Reply>),
    Subscribe(oneshot::Sender<broadcast::Receiver<String>>),
}

/// Which event answers a waiting client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Answer {
    Request(RequestId),
    Changed(AccountId),
    Removed(AccountId),
    Stopped,
}

/// The engine's events as the hub reads them: straight from the engine's channel,
/// drained whenever the engine's waker rings (no thread carries them across, and none
/// spins waiting for them).
pub struct EngineEvents {
    events: crossbeam_channel::Receiver<Event>,
    ready: Arc<Notify>,
}

impl EngineEvents {
    /// `ready` is notified by the waker given to `Engine::start`.
    pub fn new(events: crossbeam_channel::Receiver<Event>, ready: Arc<Notify>) -> EngineEvents {
        EngineEvents { events, ready }
    }

    /// An event already waiting, without waiting; `Err` once the engine has gone.
    fn try_next(&self) -> Result<Option<Event>, ()> {
        match self.events.try_recv() {
            Ok(event) => Ok(Some(event)),
            Err(crossbeam_channel::TryRecvError::Empty) => Ok(None),
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err(()),
        }
    }

    /// The next event; `None` once the engine has gone. Cancel-safe: an event stays in
    /// the channel, and a wake-up not taken is kept as the `Notify`'s permit.
    async fn next(&self) -> Option<Event> {
        loop {
            match self.events.try_recv() {
                Ok(event) => return Some(event),
                Err(crossbeam_channel::TryRecvError::Disconnected) => return None,
                Err(crossbeam_channel::TryRecvError::Empty) => self.ready.notified().await,
            }
        }
    }
}

/// Serves `socket` until the engine stops. `events` are the engine's events.
pub async fn serve(
    socket: PathBuf,
    engine: EngineHandle,
    events: EngineEvents,
) -> std::io::Result<()> {
    // Open the socket only once the engine's first snapshot is applied, so the first
    // `status` a client gets already lists every account.
    let mut state = AppState::default();
    while !state.engine_running {
        let Some(event) = events.next().await else {
            return Ok(());
        };
        apply(&mut state, event);
    }
    let listener = bind(&socket)?;
    let (hub_tx, mut hub_rx) = mpsc::unbounded_channel::<HubRequest>();
    let (event_lines, _) = broadcast::channel::<String>(EVENT_BACKLOG);
    let mut connections = tokio::task::JoinSet::new();
    let mut hub = Hub {
        state,
        waiting: HashMap::new(),
        event_lines,
    };
    let mut resting: Option<tokio::time::Instant> = None;
    loop {
        // Someone waits for an event: each is taken as it comes.
        let eager = !hub.waiting.is_empty() || hub.event_lines.receiver_count() > 0;
        let rest_until = resting.filter(|_| !eager);
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, hub_tx.clone()));
                }
                Err(err) => tracing::warn!(%err, "control socket accept failed"),
            },
            // Reap finished connections so a long-lived daemon does not collect them.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(request) = hub_rx.recv() => {
                // What the engine said so far is applied first, so the answer is current.
                if hub.catch_up(&events) {
                    break;
                }
                match request {
                    HubRequest::Subscribe(reply) => {
                        reply.send(hub.event_lines.subscribe()).ok();
                    }
                    HubRequest::Request(request, reply) => {
                        handle_request(&hub.state, &engine, &mut hub.waiting, *request, reply);
                    }
                }
            }
            () = rest(rest_until), if rest_until.is_some() => resting = None,
            event = events.next(), if rest_until.is_none() => {
                let Some(event) = event else { break };
                if hub.on_event(event) || hub.catch_up(&events) {
                    break;
                }
                resting = Some(tokio::time::Instant::now() + EVENT_REST);
            }
        }
    }
    // Let connections write their last replies (event streams end as the sender goes).
    drop(hub);
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        connections.abort_all();
    }
    // The socket goes with the daemon; a failure to remove it is repaired at next start.
    std::fs::remove_file(&socket).ok();
    Ok(())
}

/// What the hub keeps between turns.
struct Hub {
    state: AppState,
    waiting: HashMap<Answer, Vec<oneshot::Sender<Reply>>>,
    event_lines: broadcast::Sender<String>,
}

impl Hub {
    /// Applies an event and hands it on; true when the engine has stopped.
    fn on_event(&mut self, event: Event) -> bool {
        let stopped = event == Event::Stopped;
        // Lines only for `ctl events` clients; most of the time there are none.
        if self.event_lines.receiver_count() > 0
            && let Ok(line) = serde_json::to_string(&event)
        {
            // A subscriber that left meanwhile is not an error.
            self.event_lines.send(line).ok();
        }
        answer_waiters(&mut self.waiting, &event);
        apply(&mut self.state, event);
        stopped
    }

    /// Applies every event already waiting; true when the engine has stopped or gone.
    fn catch_up(&mut self, events: &EngineEvents) -> bool {
        loop {
            match events.try_next() {
                Ok(Some(event)) => {
                    if self.on_event(event) {
                        return true;
                    }
                }
                Ok(None) => return false,
                Err(()) => return true,
            }
        }
    }
}

async fn rest(until: Option<tokio::time::Instant>) {
    match until {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn bind(socket: &Path) -> std::io::Result<UnixListener> {
    // Only one engine holds the data directory's lock, so a socket file here is stale.
    match std::fs::remove_file(socket) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    let listener = UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

fn handle_request(
    state: &AppState,
    engine: &EngineHandle,
    waiting: &mut HashMap<Answer, Vec<oneshot::Sender<Reply>>>,
    request: Request,
    reply: oneshot::Sender<Reply>,
) {
    if request == Request::Status {
        let report = serde_json::to_value(StatusReport::of(state)).map_err(|err| err.to_string());
        reply.send(report.map_or_else(Reply::Error, Reply::Ok)).ok();
        return;
    }
    if let Request::History { search } = &request {
        reply.send(history(state, search.as_deref())).ok();
        return;
    }
    if let Request::Contacts { account } = &request {
        let answer = super::protocol::resolve_account(state, account).map(|account| {
            state
                .contacts
                .values()
                .filter(|contact| contact.account == account)
                .map(|contact| ContactReport::of(state, contact))
                .collect::<Vec<_>>()
        });
        reply
            .send(match answer {
                Ok(contacts) => ok_json(&contacts),
                Err(error) => Reply::Error(error.to_string()),
            })
            .ok();
        return;
    }
    if let Request::Messages {
        account,
        peer,
        search,
    } = &request
    {
        reply
            .send(messages(state, account, peer, search.as_deref()))
            .ok();
        return;
    }
    let (command, request_id) = match to_command(state, request) {
        Ok(Some(pair)) => pair,
        Ok(None) => {
            reply.send(Reply::Error("not a command".into())).ok();
            return;
        }
        Err(error) => {
            reply.send(Reply::Error(error.to_string())).ok();
            return;
        }
    };
    let answer = match (&command, request_id) {
        (_, Some(id)) => Some(Answer::Request(id)),
        (
            Command::RenameAccount { account, .. }
            | Command::SetAccountEnabled { account, .. }
            | Command::RevokeDevice { account, .. },
            None,
        ) => Some(Answer::Changed(account.clone())),
        (Command::DeleteAccount { account }, None) => Some(Answer::Removed(account.clone())),
        (Command::Shutdown, None) => Some(Answer::Stopped),
        _ => None,
    };
    if !engine.send(command) {
        reply
            .send(Reply::Error("the engine has stopped".into()))
            .ok();
        return;
    }
    match answer {
        Some(answer) => waiting.entry(answer).or_default().push(reply),
        None => {
            reply.send(Reply::Ok(serde_json::Value::Null)).ok();
        }
    }
}

fn answer_waiters(waiting: &mut HashMap<Answer, Vec<oneshot::Sender<Reply>>>, event: &Event) {
    let (answers, reply) = match event {
        Event::AccountAdded {
            request: Some(request),
            account,
        } => (vec![Answer::Request(*request)], ok_json(account)),
        Event::CallAdded {
            request: Some(request),
            call,
            ..
        } => (
            vec![Answer::Request(*request)],
            Reply::Ok(serde_json::json!({ "id": call.0.to_string() })),
        ),
        Event::ContactAdded {
            request: Some(request),
            contact,
        } => (vec![Answer::Request(*request)], ok_json(contact)),
        Event::ContactRemoved {
            request: Some(request),
            account,
            uri,
        } => (
            vec![Answer::Request(*request)],
            Reply::Ok(serde_json::json!({ "account": account, "uri": uri, "removed": true })),
        ),
        Event::MessageDelivery { request, code } => (
            vec![Answer::Request(*request)],
            Reply::Ok(serde_json::json!({ "code": code })),
        ),
        Event::Answer { request, value } => {
            (vec![Answer::Request(*request)], Reply::Ok(value.clone()))
        }
        Event::ArchiveExported { request, path, .. } => {
            (vec![Answer::Request(*request)], ok_json(path))
        }
        Event::AccountChanged { account } => {
            (vec![Answer::Changed(account.id.clone())], ok_json(account))
        }
        Event::AccountRemoved { account } => {
            (vec![Answer::Removed(account.clone())], ok_json(account))
        }
        Event::Failed {
            request: Some(request),
            error,
            ..
        } => (vec![Answer::Request(*request)], Reply::Error(error.clone())),
        // An untagged failure answers every untagged wait: those commands fail only this way.
        Event::Failed {
            request: None,
            error,
            ..
        } => {
            let untagged: Vec<Answer> = waiting
                .keys()
                .filter(|answer| !matches!(answer, Answer::Request(_)))
                .cloned()
                .collect();
            (untagged, Reply::Error(error.clone()))
        }
        Event::Stopped => {
            for waiter in waiting.remove(&Answer::Stopped).unwrap_or_default() {
                waiter.send(Reply::Ok(serde_json::Value::Null)).ok();
            }
            (
                waiting.keys().cloned().collect(),
                Reply::Error("the engine stopped".into()),
            )
        }
        _ => return,
    };
    for answer in answers {
        for waiter in waiting.remove(&answer).unwrap_or_default() {
            waiter.send(reply.clone()).ok();
        }
    }
}

/// The call history, read beside the engine (see `store::read_call_history`).
fn history(state: &AppState, search: Option<&str>) -> Reply {
    let Some(dir) = &state.data_dir else {
        return Reply::Error("the engine has not started".into());
    };
    match crate::store::read_call_history(&dir.join("ringlet.db"), search, 1000) {
        Ok(calls) => ok_json(&calls),
        Err(err) => Reply::Error(err.to_string()),
    }
}

/// One conversation's messages, read beside the engine like the history.
fn messages(
    state: &AppState,
    account: &super::request::AccountRef,
    peer: &str,
    search: Option<&str>,
) -> Reply {
    let Some(dir) = &state.data_dir else {
        return Reply::Error("the engine has not started".into());
    };
    let account = match super::protocol::resolve_account(state, account) {
        Ok(account) => account,
        Err(error) => return Reply::Error(error.to_string()),
    };
    let database = dir.join("ringlet.db");
    let p2p = state
        .accounts
        .get(&account)
        .is_some_and(|row| matches!(row.info.details, crate::model::AccountDetails::P2p { .. }));
    if p2p {
        return match crate::store::read_p2p_messages(
            &database,
            &account,
            peer.trim(),
            search,
            100_000,
        ) {
            Ok(Some(messages)) => ok_json(&messages),
            Ok(None) => Reply::Error(format!("no conversation with {peer}")),
            Err(err) => Reply::Error(err.to_string()),
        };
    }
    let conversation = crate::model::ConversationId::sip(&account, peer.trim());
    match crate::store::read_messages(&database, &conversation.0, search, 1000) {
        Ok(messages) => ok_json(&messages),
        Err(err) => Reply::Error(err.to_string()),
    }
}

fn ok_json(value: &impl serde::Serialize) -> Reply {
    serde_json::to_value(value).map_or_else(|err| Reply::Error(err.to_string()), Reply::Ok)
}

async fn connection(stream: UnixStream, hub: mpsc::UnboundedSender<HubRequest>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    loop {
        let line = match read_bounded_line(&mut reader, MAX_REQUEST_LEN).await {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => return,
        };
        let Some(line) = line else {
            write_line(&mut writer, &Reply::Error("request too long".into())).await;
            return;
        };
        let request = match parse_request(line.as_bytes()) {
            Ok(request) => request,
            Err(error) => {
                write_line(&mut writer, &Reply::Error(error.to_string())).await;
                continue;
            }
        };
        if request == Request::Events {
            stream_events(&mut writer, &hub).await;
            return;
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        if hub
            .send(HubRequest::Request(Box::new(request), reply_tx))
            .is_err()
        {
            return;
        }
        let reply = match tokio::time::timeout(ANSWER_TIMEOUT, reply_rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Reply::Error("the engine stopped".into()),
            Err(_) => Reply::Error("no answer from the engine in time".into()),
        };
        if !write_line(&mut writer, &reply).await {
            return;
        }
    }
}

/// Reads one line of at most `max` bytes. `Ok(None)` at end of stream; `Ok(Some(None))` when
/// the line is too long or not UTF-8 (the connection is then closed by the caller).
async fn read_bounded_line(
    reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    max: usize,
) -> std::io::Result<Option<Option<String>>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if line.is_empty() {
                None
            } else {
                Some(String::from_utf8(line).ok())
            });
        }
        let (chunk, done) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&available[..end], Some(end + 1)),
            None => (available, None),
        };
        line.extend_from_slice(chunk);
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        if line.len() > max {
            return Ok(Some(None));
        }
        if done.is_some() {
            return Ok(Some(String::from_utf8(line).ok()));
        }
    }
}

async fn stream_events(
    writer: &mut tokio::net::unix::OwnedWriteHalf,
    hub: &mpsc::UnboundedSender<HubRequest>,
) {
    let (tx, rx) = oneshot::channel();
    if hub.send(HubRequest::Subscribe(tx)).is_err() {
        return;
    }
    let Ok(mut events) = rx.await else { return };
    loop {
        match events.recv().await {
            Ok(line) => {
                if writer
                    .write_all(format!("{line}\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "control client too slow; events dropped");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn write_line(writer: &mut tokio::net::unix::OwnedWriteHalf, reply: &Reply) -> bool {
    let Ok(mut line) = serde_json::to_string(reply) else {
        return false;
    };
    line.push('\n');
    writer.write_all(line.as_bytes()).await.is_ok()
}
