//! The engine: one owner of the store, the accounts and the background threads, driven by
//! [`Command`]s and observed through [`Event`]s.
//!
//! `Engine::start` opens everything that can fail up front (data directory, lock, settings,
//! database, secret key) and returns the error naming the file, so a caller can exit
//! non-zero before any thread exists. Then a tokio runtime runs the command loop; the
//! waker is called after each batch of events so an idle window never repaints.

mod accounts;
mod call_table;
mod calls;
mod command;
mod contacts;
mod control;
mod drivers;
mod event;
pub mod failure;
mod media;
mod p2p;
mod pictures;

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use crossbeam_channel::Receiver;
use tokio::sync::mpsc;

pub use accounts::{validate_aor, validate_sip_config};
pub use command::{Command, RequestId, Secret};
pub use event::Event;
pub use media::{MediaArgError, MediaInput, MediaOutput};
/// The ids of the audio codecs a SIP account can offer, in the default order.
pub fn sip_codec_ids() -> impl Iterator<Item = &'static str> {
    crate::sdp::KNOWN_CODECS.iter().map(|codec| codec.id)
}

pub use p2p::{ContactAnswer, GroupAction, P2pOptions, parse_account_id};

use crate::config::{ConfigError, Settings};
use crate::media::devices::{AudioBackend, AudioRequest, AudioService};
use crate::media::thread::{MediaCommand, MediaEvent, MediaHandle};
use crate::model::{AccountId, AccountInfo, ContactInfo, ConversationInfo};
use crate::paths::{Paths, PathsError};
use crate::store::{Store, StoreError};
use crate::transport::sip_account::DriverCommand;

/// Called by the engine after it sends events (the window passes `ctx.request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// How to start an engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where files live.
    pub paths: Paths,
    /// Try the OS keyring for the secret key (else a 0600 key file).
    pub use_keyring: bool,
    /// Real audio devices or none.
    pub audio: AudioBackend,
    /// Name of this device for new P2P device certificates.
    pub device_name: String,
    /// The microphone, or what stands in for it (`--audio-in`).
    pub audio_input: MediaInput,
    /// The speaker, or what stands in for it (`--audio-out`).
    pub audio_output: MediaOutput,
    /// P2P listen addresses, bootstrap nodes, LAN discovery.
    pub p2p: P2pOptions,
    /// List the audio devices at start (for `ctl status`); otherwise at the first
    /// [`Command::RefreshAudioDevices`]. Listing loads the sound system's plugins (ALSA's
    /// PulseAudio plugin and its libraries: 4.4 MB resident), which an idle window that
    /// shows no device list does without.
    pub list_audio_devices_at_start: bool,
}

impl EngineConfig {
    /// Defaults for `paths`: keyring on, system audio, the host name as device name.
    pub fn new(paths: Paths) -> EngineConfig {
        EngineConfig {
            paths,
            use_keyring: true,
            audio: AudioBackend::System,
            device_name: host_name(),
            audio_input: MediaInput::Device,
            audio_output: MediaOutput::Device,
            p2p: P2pOptions::default(),
            list_audio_devices_at_start: true,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The data directory is unusable.
    #[error(transparent)]
    Paths(#[from] PathsError),
    /// Another engine uses the data directory.
    #[error("data directory {0} is in use by another Ringlet (lock file {0}/ringlet.lock)")]
    Locked(PathBuf),
    /// The settings file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database or secret key is unusable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A thread could not be started.
    #[error("cannot start engine threads: {0}")]
    Threads(std::io::Error),
}

/// Sends commands to a running engine. Cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl EngineHandle {
    /// Sends a command; returns false when the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// Where the engine sends events: a channel plus the waker.
#[derive(Clone)]
pub struct EventSink {
    events: crossbeam_channel::Sender<Event>,
    waker: Waker,
}

impl EventSink {
    /// Sends one event and wakes the consumer. A consumer that went away is not an error:
    /// the engine keeps running until told to stop.
    pub fn emit(&self, event: Event) {
        if self.events.send(event).is_ok() {
            (self.waker)();
        }
    }
}

/// What the window hears of the audio thread's reports.
fn device_event(report: crate::media::devices::DeviceReport) -> Event {
    use crate::media::devices::DeviceReport;
    match report {
        DeviceReport::Notice(problem) => Event::Notice {
            text: problem.english(),
            problem,
        },
        DeviceReport::Devices { inputs, outputs } => Event::AudioDevices { inputs, outputs },
        DeviceReport::InputLevel(peak) => Event::InputLevel { peak },
    }
}

/// The engine's entry point.
pub struct Engine;

impl Engine {
    /// Opens the data directory and starts the engine.
    pub fn start(
        config: EngineConfig,
        waker: Waker,
    ) -> Result<(EngineHandle, Receiver<Event>), EngineError> {
        let paths = config.paths.clone();
        paths.ensure_writable()?;
        let lock = lock_data_dir(&paths)?;
        let settings = Settings::load(&paths.config_file)?;
        let store = Store::open(&paths.data_dir, config.use_keyring && !paths.portable)?;
        let accounts = store.accounts()?;
        let contacts = store.contacts()?;
        let conversations = store.conversations()?;

        let (event_tx, event_rx) = crossbeam_channel::unbounded();
        let sink = EventSink {
            events: event_tx,
            waker,
        };
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (driver_events, driver_rx) = mpsc::unbounded_channel();
        let (p2p_events, p2p_rx) = mpsc::unbounded_channel();
        let (prepared_pictures, pictures_rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ringlet-net")
            .enable_all()
            .build()
            .map_err(EngineError::Threads)?;
        let device_events = sink.clone();
        let audio = AudioService::start(
            config.audio,
            config.list_audio_devices_at_start,
            Box::new(move |report| device_events.emit(device_event(report))),
        )
        .map_err(EngineError::Threads)?;
        let (media_events, media_rx) = mpsc::unbounded_channel();
        let media = MediaHandle::start(
            media::media_input(&config.audio_input),
            media::media_output(&config.audio_output),
            media_events,
        )
        .map_err(EngineError::Threads)?;
        media.send(MediaCommand::SetDsp(settings.dsp()));
        let calls = call_table::CallTable::new();
        let core = EngineCore {
            store,
            paths,
            settings,
            accounts: accounts
                .into_iter()
                .map(|account| (account.id.clone(), account))
                .collect(),
            device_name: config.device_name,
            initial: (contacts, conversations),
            events: sink,
            audio,
            media,
            media_late: 0,
            audio_choice: (
                config.audio != AudioBackend::Disabled && config.audio_input == MediaInput::Device,
                config.audio != AudioBackend::Disabled
                    && config.audio_output == MediaOutput::Device,
            ),
            meter_on: false,
            drivers: drivers::Drivers::new(driver_events, calls.id_counter()),
            calls,
            p2p: std::collections::HashMap::new(),
            p2p_events,
            prepared_pictures,
            p2p_options: config.p2p,
            p2p_rejected: 0,
            p2p_blocked: 0,
            p2p_revoked_refused: 0,
            links: std::collections::HashMap::new(),
            _lock: lock,
        };
        thread::Builder::new()
            .name("ringlet-engine".into())
            .spawn(move || {
                // The loop runs on this thread, in `block_on`, while the drivers and networks
                // it spawns run on the runtime's workers. Its blocking steps (store writes,
                // key stretching) hold back only this thread; `block_in_place` here costs
                // nothing, where on a worker it handed the worker's queue to another thread
                // for every driver report (BENCHMARKS.md, "SIP answering", session 18).
                runtime.block_on(run(
                    core,
                    command_rx,
                    driver_rx,
                    media_rx,
                    p2p_rx,
                    pictures_rx,
                ));
            })
            .map_err(EngineError::Threads)?;
        Ok((
            EngineHandle {
                commands: command_tx,
            },
            event_rx,
        ))
    }
}

/// The engine's state, owned by its command loop.
struct EngineCore {
    store: Store,
    paths: Paths,
    settings: Settings,
    accounts: std::collections::BTreeMap<AccountId, AccountInfo>,
    device_name: String,
    /// Contacts and conversations loaded at start, handed over in `Started`.
    initial: (Vec<ContactInfo>, Vec<ConversationInfo>),
    events: EventSink,
    audio: AudioService,
    /// The media thread.
    media: MediaHandle,
    /// Late media ticks last reported.
    media_late: u64,
    /// Calls use the capture and the playback device (rather than a tone, file or nothing).
    audio_choice: (bool, bool),
    /// The settings page's input meter is running.
    meter_on: bool,
    /// Each running account's call driver (SIP socket or P2P streams).
    drivers: drivers::Drivers,
    /// Calls in progress: their rows, ids, media and ringing.
    calls: call_table::CallTable,
    /// Running P2P accounts.
    p2p: std::collections::HashMap<AccountId, p2p::P2pAccount>,
    /// Where their networks report.
    p2p_events: p2p::P2pEvents,
    /// Where pictures made from files (off the loop) come back.
    prepared_pictures: mpsc::UnboundedSender<pictures::PreparedPicture>,
    /// Listen addresses, bootstrap nodes, LAN discovery.
    p2p_options: P2pOptions,
    /// Commits, requests and records refused so far.
    p2p_rejected: u64,
    /// Requests from blocked accounts (or ones whose state could not be read), dropped.
    p2p_blocked: u64,
    /// Connections of revoked devices turned away at their Hello.
    p2p_revoked_refused: u64,
    /// Devices looking for an account offered under a PIN, by their session id.
    links: std::collections::HashMap<AccountId, p2p::LinkSession>,
    /// Held for the engine's life: the OS releases it when the process dies, even by SIGKILL.
    _lock: fs::File,
}

async fn run(
    mut core: EngineCore,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut driver_events: mpsc::UnboundedReceiver<Vec<crate::transport::sip_account::DriverReport>>,
    mut media_events: mpsc::UnboundedReceiver<MediaEvent>,
    mut p2p_events: mpsc::UnboundedReceiver<(AccountId, crate::p2p::network::NetworkEvent)>,
    mut prepared_pictures: mpsc::UnboundedReceiver<pictures::PreparedPicture>,
) {
    core.events.emit(Event::Started {
        data_dir: core.paths.data_dir.clone(),
        settings: core.settings.clone(),
        accounts: core.accounts.values().cloned().collect(),
        contacts: std::mem::take(&mut core.initial.0),
        conversations: std::mem::take(&mut core.initial.1),
    });
    core.tell_own_pictures();
    core.start_sip_accounts();
    core.start_p2p_accounts();
    let mut p2p_tick = tokio::time::interval(std::time::Duration::from_secs(2));
    p2p_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                if command == Command::Shutdown {
                    break;
                }
                // Handlers may wait on the runtime (`Handle::block_on`, bounded), which
                // `block_in_place` allows; on this thread it hands nothing over.
                tokio::task::block_in_place(|| core.handle(command));
            }
            Some(reports) = driver_events.recv() => {
                tokio::task::block_in_place(|| {
                    for report in reports {
                        core.on_driver_event(report);
                    }
                });
            }
            Some(event) = media_events.recv() => core.on_media_event(event),
            Some((account, event)) = p2p_events.recv() => {
                tokio::task::block_in_place(|| core.on_network_event(account, event));
            }
            Some(prepared) = prepared_pictures.recv() => core.on_prepared_picture(prepared),
            _ = p2p_tick.tick() => tokio::task::block_in_place(|| core.p2p_tick()),
            () = call_deadline(core.next_call_deadline()) => {
                core.expire_waiting_calls(tokio::time::Instant::now());
            }
        }
    }
    core.drivers.stop_all().await;
    core.stop_all_p2p_accounts().await;
    // Release everything (audio thread, database, the data directory's lock) before saying
    // so, so that whoever sees `Stopped` may start a new engine on the same directory.
    let events = core.events.clone();
    drop(core);
    events.emit(Event::Stopped);
}

/// Sleeps until `deadline`, or forever without one.
async fn call_deadline(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl EngineCore {
    fn handle(&mut self, command: Command) {
        tracing::debug!(?command, "command");
        match command {
            Command::CreateP2pAccount {
                request,
                name,
                device_name,
            } => {
                let result = self.create_p2p_account(&name, device_name);
                self.answer_added(request, result);
            }
            Command::AddSipAccount {
                request,
                name,
                config,
                password,
            } => {
                let result = self.add_sip_account(&name, config, password);
                self.answer_added(request, result);
            }
            Command::ImportArchive {
                request,
                path,
                passphrase,
                device_name,
            } => {
                let result = self.import_archive(&path, &passphrase, device_name);
                self.answer_added(request, result);
            }
            Command::OfferLink { request, account } => self.answer_offer_link(request, &account),
            Command::LinkDevice {
                request,
                pin,
                device_name,
            } => {
                if let Err(error) = self.start_link(request, &pin, device_name) {
                    self.fail(Some(request), error);
                }
            }
            Command::ExportArchive {
                request,
                account,
                path,
                passphrase,
            } => match self.export_archive(&account, &path, &passphrase) {
                Ok(()) => self.events.emit(Event::ArchiveExported {
                    request,
                    account,
                    path,
                }),
                Err(error) => self.fail(Some(request), error),
            },
            Command::RenameAccount { account, name } => {
                let result = self.rename_account(&account, &name);
                self.answer_changed(result);
            }
            Command::UpdateSipAccount {
                request,
                account,
                config,
                password,
            } => match self.update_sip_account(&account, config, password) {
                Ok(info) => {
                    self.events.emit(Event::AccountChanged { account: info });
                    // The driver restarts with the new settings: un-REGISTER, REGISTER.
                    self.start_sip_account(&account);
                }
                Err(error) => self.fail(Some(request), error),
            },
            Command::SetP2pStun { account, servers } => {
                let result = self.set_p2p_stun(&account, servers);
                self.answer_changed(result);
                self.refresh_stun_servers(&account);
            }
            Command::SetPicture {
                request,
                account,
                path,
            } => self.set_picture(request, &account, path),
            Command::SetAutoAnswer { account, on } => {
                let result = self.set_auto_answer(&account, on);
                self.answer_changed(result);
            }
            Command::SetAccountEnabled { account, enabled } => {
                let result = self.set_account_enabled(&account, enabled);
                self.answer_changed(result);
                // Starts a SIP account's driver when enabled, stops it when disabled.
                self.start_sip_account(&account);
                self.start_p2p_account(&account);
            }
            Command::DeleteAccount { account } => {
                // The driver says goodbye (un-REGISTER) by itself; no need to wait here.
                drop(self.drivers.stop(&account));
                self.stop_p2p_account(&account);
                match self.delete_account(&account) {
                    Ok(()) => self.events.emit(Event::AccountRemoved { account }),
                    Err(error) => self.fail(None, error),
                }
            }
            Command::PlaceCall {
                request,
                account,
                uri,
            } => {
                if let Err(error) = self.place_call(request, &account, &uri) {
                    self.fail(Some(request), error);
                }
            }
            Command::AnswerCall(call) => self.call_or_fail(call, DriverCommand::Answer(call)),
            Command::RejectCall(call) => {
                // A P2P contact's device declines for the callee (603: every device stops
                // ringing); a SIP phone says it is busy (486), as phones do.
                let p2p = self
                    .calls
                    .get(call)
                    .is_some_and(|row| self.is_p2p(&row.account));
                let code = if p2p { 603 } else { 486 };
                self.call_or_fail(call, DriverCommand::Reject(call, code));
            }
            Command::HangUp(call) => {
                if !self.cancel_waiting_call(call) {
                    self.call_or_fail(call, DriverCommand::Hangup(call));
                }
            }
            Command::HoldCall { call, hold } => {
                self.call_or_fail(call, DriverCommand::Hold(call, hold));
            }
            Command::TransferCall { call, target } => match self.transfer_target(call, target) {
                Ok(target) => self.call_or_fail(call, DriverCommand::Transfer { call, target }),
                Err(error) => self.fail(None, error),
            },
            Command::AttendedTransfer { call, other } => {
                self.call_or_fail(call, DriverCommand::AttendedTransfer { call, other });
            }
            Command::SendDtmf { call, digits } => self.send_dtmf(call, digits),
            Command::MuteCall { call, muted } => self.mute(call, muted),
            Command::SilenceCall { call, silenced } => self.silence(call, silenced),
            Command::Conference { calls, join } => self.conference(calls, join),
            Command::SetVolume { volume } => self.set_volume(volume),
            Command::RecordCall { call, on } => self.record(call, on),
            Command::PlayIntoCall { call, path } => {
                if let Err(error) = self.play_into_call(call, path) {
                    self.fail(None, error);
                }
            }
            Command::SendMessage {
                request,
                account,
                uri,
                text,
            } => {
                if let Err(error) = self.send_message(request, &account, &uri, &text) {
                    self.fail(Some(request), error);
                }
            }
            command @ (Command::AddContact { .. }
            | Command::AnswerContact { .. }
            | Command::RemoveContact { .. }
            | Command::ContactDevices { .. }) => self.contact_command(command),
            Command::Group {
                request,
                account,
                action,
            } => match self.group(request, &account, action) {
                Ok(conversation) => self.events.emit(Event::Answer {
                    request,
                    value: serde_json::json!({ "conversation": conversation }),
                }),
                Err(error) => self.fail(Some(request), error),
            },
            Command::Name {
                request,
                account,
                name,
                register,
            } => {
                let query = if register {
                    p2p::NameQuery::Register
                } else {
                    p2p::NameQuery::Lookup
                };
                if let Err(error) = self.query_name(request, &account, &name, query) {
                    self.fail(Some(request), error);
                }
            }
            Command::Messages {
                request,
                conversation,
                search,
                before,
                limit,
            } => match self
                .store
                .messages(&conversation.0, search.as_deref(), before, limit)
            {
                Ok(messages) => {
                    // The first page of an opened conversation: its file cards too.
                    if search.is_none() && before.is_none() {
                        self.report_conversation_files(&conversation);
                    }
                    self.events.emit(Event::Messages {
                        request,
                        conversation,
                        search,
                        before,
                        messages,
                    });
                }
                Err(err) => self.fail(Some(request), err.to_string()),
            },
            Command::SearchMessages {
                request,
                text,
                limit,
            } => match self.store.search_messages(&text, limit) {
                Ok(messages) => self.events.emit(Event::Found {
                    request,
                    text,
                    messages,
                }),
                Err(err) => self.fail(Some(request), err.to_string()),
            },
            Command::CallHistory { request, limit } => match self.store.calls(None, limit) {
                Ok(calls) => self.events.emit(Event::CallHistory { request, calls }),
                Err(err) => self.fail(Some(request), err.to_string()),
            },
            Command::Conversations { request, account } => {
                match self.conversations_json(&account) {
                    Ok(value) => self.events.emit(Event::Answer { request, value }),
                    Err(error) => self.fail(Some(request), error),
                }
            }
            Command::SendFile {
                request,
                account,
                peer,
                path,
            } => {
                // Answered once the file is hashed, off this loop (`Progress::Hashed`).
                if let Err(error) = self.send_file(request, &account, &peer, &path) {
                    self.answer_transfer(request, Err(error));
                }
            }
            Command::AnswerFile {
                request,
                account,
                file,
                accept,
            } => {
                let answered = self.answer_file(&account, &file, accept);
                self.answer_transfer(request, answered);
            }
            Command::EditMessage {
                request,
                account,
                peer,
                message,
                text,
            } => match self.edit_p2p_message(&account, &peer, &message, text.as_deref()) {
                Ok(()) => self
                    .events
                    .emit(Event::MessageDelivery { request, code: 202 }),
                Err(error) => self.fail(Some(request), error),
            },
            Command::MarkRead {
                request,
                account,
                peer,
            } => match self.mark_read(&account, &peer) {
                Ok(count) => self.events.emit(Event::Answer {
                    request,
                    value: serde_json::json!({ "read": count }),
                }),
                Err(error) => self.fail(Some(request), error),
            },
            Command::SetTyping {
                account,
                peer,
                typing,
            } => {
                if let Err(error) = self.set_p2p_typing(&account, &peer, typing) {
                    self.fail(None, error);
                }
            }
            Command::RenameDevice { account, name } => {
                let result = self.rename_device(&account, &name);
                self.answer_changed(result);
            }
            Command::RevokeDevice { account, device } => {
                if let Err(error) = self.revoke_device(&account, device.trim()) {
                    self.fail(None, error);
                }
            }
            Command::UpdateSettings(settings) => self.update_settings(settings),
            Command::RefreshAudioDevices => self.audio.request(AudioRequest::ListDevices),
            Command::SetInputMeter { on } => {
                self.meter_on = on;
                self.audio.request(if on {
                    AudioRequest::StartMeter(self.settings.audio_input.clone())
                } else {
                    AudioRequest::StopMeter
                });
            }
            Command::Open { uri } => self.events.emit(Event::Open { uri }),
            Command::Control { request, body } => self.on_control(request, body),
            Command::Shutdown => {}
        }
    }

    fn is_p2p(&self, account: &AccountId) -> bool {
        self.accounts
            .get(account)
            .is_some_and(|info| matches!(info.details, crate::model::AccountDetails::P2p { .. }))
    }

    fn call_or_fail(&mut self, call: crate::model::CallId, command: DriverCommand) {
        if let Err(error) = self.call_command(call, command) {
            self.fail(None, error);
        }
    }

    fn answer_added(&mut self, request: RequestId, result: Result<AccountInfo, failure::Failure>) {
        match result {
            Ok(account) => {
                tracing::info!(account = %account.id, kind = account.kind().as_str(), "account added");
                self.accounts.insert(account.id.clone(), account.clone());
                let id = account.id.clone();
                self.events.emit(Event::AccountAdded {
                    request: Some(request),
                    account,
                });
                self.start_sip_account(&id);
                self.start_p2p_account(&id);
            }
            Err(error) => self.fail(Some(request), error),
        }
    }

    fn answer_changed(&mut self, result: Result<AccountInfo, failure::Failure>) {
        match result {
            Ok(account) => self.events.emit(Event::AccountChanged { account }),
            Err(error) => self.fail(None, error),
        }
    }

    fn fail(&self, request: Option<RequestId>, error: impl Into<failure::Failure>) {
        let failure: failure::Failure = error.into();
        // A kind's English is its problem's (its `Display`): said once, from the problem.
        let problem = failure.problem();
        let error = problem
            .as_ref()
            .map_or_else(|| failure.to_string(), crate::model::Problem::english);
        tracing::debug!(%error, "command failed");
        self.events.emit(Event::Failed {
            request,
            error,
            problem,
        });
    }
}

/// Takes the data directory's lock, or reports that another engine holds it.
fn lock_data_dir(paths: &Paths) -> Result<fs::File, EngineError> {
    let path = paths.lock_file();
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| PathsError::Unusable {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(EngineError::Locked(paths.data_dir.clone())),
        Err(fs::TryLockError::Error(source)) => Err(PathsError::Unusable { path, source }.into()),
    }
}

/// The machine's host name, for default device names.
pub fn host_name() -> String {
    fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "Ringlet device".to_owned())
}
