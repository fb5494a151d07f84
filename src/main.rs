//! The `ringlet` executable: the window, the headless daemon, and `ringlet ctl`.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use ringlet::control::{Request, client};
use ringlet::engine::{Command, Engine, EngineConfig, Event, MediaInput, MediaOutput, Secret};
use ringlet::media::devices::AudioBackend;
use ringlet::model::{DtmfMode, SipAccountConfig, SipTransport, SrtpPolicy};
use ringlet::paths::Paths;
use ringlet::ui::state::Page;

/// Ringlet: a free, decentralized SIP softphone and peer-to-peer messenger.
///
/// Without a subcommand it opens the window (or, with --headless, runs the same engine with
/// no window, controlled by `ringlet ctl`). Data lives in the XDG directories unless
/// --data-dir is given or a file `ringlet.portable` sits beside the executable (then in
/// `ringlet-data/` beside it).
#[derive(Debug, Parser)]
#[command(
    name = "ringlet",
    version,
    about,
    long_about,
    after_long_help = "Environment:\n  RINGLET_LOG=LEVEL              log level on stderr (error, warn, info, debug, trace; default info)\n  RINGLET_NO_KEYRING=1           same as --no-keyring\n  RINGLET_REPORT_FIRST_FRAME=1   print `first-frame-unix-ns N` when the window first draws (benchmarks)\n  RINGLET_NO_MDNS=1              same as --no-mdns\n  RINGLET_P2P_LISTEN=A,B         same as --p2p-listen A --p2p-listen B"
)]
struct Cli {
    /// Run the engine without a window, serving `ringlet ctl` on DIR/ringlet.sock.
    #[arg(long)]
    headless: bool,
    /// Kiosk mode: full screen, large controls, settings hidden.
    #[arg(long, conflicts_with = "headless")]
    kiosk: bool,
    /// Keep all data (database, settings, secrets, socket) in DIR.
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Keep the secret key in DIR/secrets.key instead of the OS keyring.
    #[arg(long, env = "RINGLET_NO_KEYRING", value_parser = clap::builder::BoolishValueParser::new())]
    no_keyring: bool,
    /// Open this page at start (kiosk set-up, screenshots).
    #[arg(long, value_enum, conflicts_with = "headless")]
    show: Option<StartPage>,
    /// Audio devices: the system's (through ALSA, which also reaches PulseAudio and PipeWire
    /// by their ALSA plugins) or none.
    #[arg(long, value_enum, default_value_t = AudioChoice::System)]
    audio: AudioChoice,
    /// What calls hear from us: `device`, `null` (silence), `tone:HZ` (a sine) or
    /// `file:PATH` (FLAC, Vorbis, MP3 or WAV, looped).
    #[arg(long, value_name = "SOURCE", value_parser = MediaInput::parse, default_value = "device")]
    audio_in: MediaInput,
    /// Where what we hear goes: `device`, `null` or `file:PATH.wav` (48 kHz mono).
    #[arg(long, value_name = "SINK", value_parser = MediaOutput::parse, default_value = "device")]
    audio_out: MediaOutput,
    /// P2P bootstrap node (repeat for several), e.g. /ip4/192.0.2.1/udp/4001/quic-v1/p2p/12D3…
    #[arg(long, value_name = "MULTIADDR", global = true)]
    bootstrap: Vec<libp2p::Multiaddr>,
    /// Where P2P accounts listen (repeat for several; default: any address, QUIC and TCP,
    /// ports chosen by the system).
    #[arg(
        long,
        value_name = "MULTIADDR",
        env = "RINGLET_P2P_LISTEN",
        value_delimiter = ','
    )]
    p2p_listen: Vec<libp2p::Multiaddr>,
    /// Do not look for LAN peers by mDNS (nor map ports by UPnP): both multicast on every
    /// interface.
    #[arg(long, env = "RINGLET_NO_MDNS", value_parser = clap::builder::BoolishValueParser::new())]
    no_mdns: bool,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AudioChoice {
    /// The system's audio devices.
    System,
    /// The JACK server's ports.
    Jack,
    /// No audio devices (servers, tests).
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PresenceArg {
    /// Available.
    Open,
    /// Away or busy.
    Closed,
}

#[derive(Debug, Subcommand)]
enum ContactAction {
    /// Add a contact to ACCOUNT (SIP: a URI, whose presence is then watched; P2P: an
    /// account id, which gets a contact request).
    Add {
        /// Account id or name.
        account: String,
        /// The contact's URI or P2P account id.
        uri: String,
        /// Name shown.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Accept a P2P contact request.
    Accept {
        /// Account id or name.
        account: String,
        /// The requester's account id.
        id: String,
    },
    /// Decline a P2P contact request.
    Decline {
        /// Account id or name.
        account: String,
        /// The requester's account id.
        id: String,
    },
    /// Block a P2P account: its requests and messages are dropped silently.
    Block {
        /// Account id or name.
        account: String,
        /// The account id to block.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum FileCommand {
    /// Fetch a file offered (it resumes by itself after a restart or a lost link).
    Accept {
        /// Account id or name.
        account: String,
        /// The file's id (from `files` or the `transfer-updated` event).
        file: String,
    },
    /// Decline a file offered (or stop fetching it).
    Decline {
        /// Account id or name.
        account: String,
        /// The file's id.
        file: String,
    },
}

#[derive(Debug, Subcommand)]
enum NameCommand {
    /// Register NAME (3 to 32 of a-z, 0-9, '.', '_', '-') for ACCOUNT.
    Register {
        /// Account id or name.
        account: String,
        /// The name.
        name: String,
    },
    /// Print the account that holds NAME, looked up through ACCOUNT's network.
    Lookup {
        /// Account id or name.
        account: String,
        /// The name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum GroupCommand {
    /// Create a group inviting MEMBERS (account ids); prints its conversation id.
    Create {
        /// Account id or name.
        account: String,
        /// Title.
        #[arg(long, default_value = "")]
        title: String,
        /// Account ids to invite.
        members: Vec<String>,
    },
    /// Accept an invitation to a group.
    Join {
        /// Account id or name.
        account: String,
        /// The group's conversation id.
        conversation: String,
    },
    /// Invite an account (the admin only).
    Add {
        /// Account id or name.
        account: String,
        /// The group's conversation id.
        conversation: String,
        /// The account id to invite.
        member: String,
    },
    /// Remove an account (the admin), or leave (your own id).
    Remove {
        /// Account id or name.
        account: String,
        /// The group's conversation id.
        conversation: String,
        /// The account id to remove.
        member: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DtmfArg {
    /// RFC 4733 telephone-event packets.
    Rfc4733,
    /// SIP INFO (application/dtmf-relay).
    Info,
    /// Tones in the audio.
    Inband,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StartPage {
    /// The account wizard.
    Wizard,
    /// Settings.
    Settings,
    /// About.
    About,
    /// The first account's page.
    Account,
    /// The most recent conversation.
    Conversation,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once at start; boxing would only complicate matching"
)]
enum Sub {
    /// Control a running `ringlet --headless` through its socket; prints JSON.
    Ctl {
        #[command(subcommand)]
        action: CtlAction,
    },
    /// Run a P2P bootstrap and relay node (no account, no window). Prints `peer-id ID` and
    /// a `listen ADDRESS` line per address to give clients as --bootstrap.
    Node {
        /// Address to listen on (repeat for several).
        #[arg(long, value_name = "MULTIADDR", default_values_t = default_node_listen())]
        listen: Vec<libp2p::Multiaddr>,
    },
}

fn default_node_listen() -> Vec<libp2p::Multiaddr> {
    ["/ip4/0.0.0.0/udp/4001/quic-v1", "/ip4/0.0.0.0/tcp/4001"]
        .iter()
        .filter_map(|address| address.parse().ok())
        .collect()
}

#[derive(Debug, Subcommand)]
enum CtlAction {
    /// Print accounts (with registration state) and calls as JSON.
    Status,
    /// Print engine events as JSON lines until the daemon stops.
    Events,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Call URI from ACCOUNT (id or name); prints the call id.
    Call {
        /// Account id or name.
        account: String,
        /// SIP URI, e.g. sip:bob@127.0.0.1:5070.
        uri: String,
    },
    /// Answer a ringing call.
    Answer {
        /// Call id.
        call: u64,
    },
    /// Refuse a ringing call (486 Busy Here).
    Reject {
        /// Call id.
        call: u64,
    },
    /// End a call.
    Hangup {
        /// Call id.
        call: u64,
    },
    /// Put a call on hold (re-INVITE with a=sendonly).
    Hold {
        /// Call id.
        call: u64,
    },
    /// Resume a held call.
    Resume {
        /// Call id.
        call: u64,
    },
    /// Transfer a call: blind to URI, or attended to the peer of another call.
    Transfer {
        /// Call id.
        call: u64,
        /// Where to (blind transfer).
        #[arg(required_unless_present = "to_call", conflicts_with = "to_call")]
        uri: Option<String>,
        /// Connect the peer with the peer of this call (attended transfer).
        #[arg(long, value_name = "CALL2")]
        to_call: Option<u64>,
    },
    /// Send DTMF digits (0-9, *, #, A-D).
    Dtmf {
        /// Call id.
        call: u64,
        /// Digits.
        digits: String,
    },
    /// Mute or unmute our side of a call.
    Mute {
        /// Call id.
        call: u64,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Join calls into a conference hosted here: each participant hears the others and
    /// us. With --leave, take the calls out.
    Conference {
        /// Call ids.
        #[arg(required = true)]
        calls: Vec<u64>,
        /// Take the calls out of the conference.
        #[arg(long)]
        leave: bool,
    },
    /// Record a call (both sides, stereo WAV in DATA_DIR/recordings/), or stop.
    Record {
        /// Call id.
        call: u64,
        /// on or off.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Play an audio file (FLAC, Ogg Vorbis, MP3, WAV) into a call: both sides hear it.
    /// PATH `off` stops it; --pause, --resume and --seek control it.
    Play {
        /// Call id.
        call: u64,
        /// The file, or `off`.
        path: Option<String>,
        /// Pause the file.
        #[arg(long)]
        pause: bool,
        /// Resume it.
        #[arg(long, conflicts_with = "pause")]
        resume: bool,
        /// Jump to this many seconds from the start.
        #[arg(long)]
        seek: Option<f64>,
    },
    /// Send a text message from ACCOUNT to URI (SIP) or to a contact's account id (P2P);
    /// waits for the delivery report (P2P: 202 once stored and on its way).
    Message {
        /// Account id or name.
        account: String,
        /// Recipient, e.g. sip:bob@example.org, or a P2P account id.
        uri: String,
        /// Text.
        text: String,
    },
    /// Manage contacts.
    Contact {
        #[command(subcommand)]
        action: ContactAction,
    },
    /// Print each P2P account's peer id, listen addresses and connected peers as JSON.
    NodeInfo,
    /// Create, join or change a P2P group conversation.
    Group {
        #[command(subcommand)]
        action: GroupCommand,
    },
    /// Register a name for a P2P account (first come, and not authoritative: the account
    /// id is what identifies someone), or look one up.
    Name {
        #[command(subcommand)]
        action: NameCommand,
    },
    /// Send a file to a P2P contact or group (prints the transfer as JSON); its bytes stay
    /// here until each member's device fetches them.
    SendFile {
        /// Account id or name.
        account: String,
        /// The contact's account id, or a group's id.
        id: String,
        /// The file.
        path: PathBuf,
    },
    /// Replace the text of one of your P2P messages (its id from `messages`), for everyone.
    MessageEdit {
        /// Account id or name.
        account: String,
        /// The contact's account id, or a group's id.
        id: String,
        /// The message's id (`commit_id` in `messages`).
        message: String,
        /// The new text.
        text: String,
    },
    /// Delete one of your P2P messages for everyone.
    MessageDelete {
        /// Account id or name.
        account: String,
        /// The contact's account id, or a group's id.
        id: String,
        /// The message's id (`commit_id` in `messages`).
        message: String,
    },
    /// Mark a P2P conversation read (its authors get read receipts); prints the count.
    Read {
        /// Account id or name.
        account: String,
        /// The contact's account id, or a group's id.
        id: String,
    },
    /// Tell a P2P conversation's members you are typing (on) or stopped (off).
    Typing {
        /// Account id or name.
        account: String,
        /// The contact's account id, or a group's id.
        id: String,
        /// On or off.
        state: Switch,
    },
    /// Accept or decline a file offered in a P2P conversation.
    File {
        #[command(subcommand)]
        action: FileCommand,
    },
    /// Print a P2P account's file transfers (state, progress, path) as JSON.
    Files {
        /// Account id or name.
        account: String,
    },
    /// Print a P2P account's conversations (id, kind, title, members, heads) as JSON.
    Conversations {
        /// Account id or name.
        account: String,
    },
    /// Print an account's contacts with their presence as JSON.
    Contacts {
        /// Account id or name.
        account: String,
    },
    /// Set an account's own presence, told to everyone watching it.
    Presence {
        /// Account id or name.
        account: String,
        /// Available or not.
        #[arg(value_enum)]
        state: PresenceArg,
        /// A note shown with it.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Print the messages exchanged with PEER as JSON, oldest first.
    Messages {
        /// Account id or name.
        account: String,
        /// The other side (SIP URI, or P2P account id or conversation id).
        peer: String,
        /// Only messages containing TEXT.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Print the call history as JSON, newest first.
    History {
        /// Only calls whose peer contains TEXT.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Stop the daemon.
    Shutdown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TransportArg {
    Udp,
    Tcp,
    Tls,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SrtpArg {
    Off,
    Optional,
    Mandatory,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per run; boxing would only obscure the clap derive"
)]
enum AccountAction {
    /// Add a SIP account; prints its id. With --listen and no registrar it takes direct calls.
    AddSip {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Address of record, sip:USER@HOST.
        #[arg(long)]
        aor: String,
        /// Registrar, sip:HOST[:PORT].
        #[arg(long)]
        registrar: Option<String>,
        /// Outbound proxy, sip:HOST[:PORT]: every request outside a call goes there.
        #[arg(long)]
        outbound_proxy: Option<String>,
        /// Seconds of registration to ask for (default 600).
        #[arg(long, value_name = "SECONDS")]
        expires: Option<u32>,
        /// How DTMF is sent.
        #[arg(long, value_enum, default_value_t = DtmfArg::Rfc4733)]
        dtmf: DtmfArg,
        /// Watch the account's own mailbox (message-summary) for voicemail waiting.
        #[arg(long)]
        mwi: bool,
        /// PEM file of CA certificates to trust for TLS besides the system's.
        #[arg(long, value_name = "FILE")]
        tls_ca: Option<PathBuf>,
        /// Authentication user name.
        #[arg(long)]
        username: Option<String>,
        /// Password (sealed at rest).
        #[arg(long)]
        password: Option<String>,
        /// Transport.
        #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
        transport: TransportArg,
        /// Local IP:PORT to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// STUN server HOST:PORT.
        #[arg(long)]
        stun: Option<String>,
        /// Answer incoming calls at once.
        #[arg(long)]
        auto_answer: bool,
        /// SRTP policy.
        #[arg(long, value_enum, default_value_t = SrtpArg::Off)]
        srtp: SrtpArg,
        /// Codecs in order, comma-separated: opus,g722,pcmu,pcma,gsm,speex.
        #[arg(long, value_delimiter = ',')]
        codecs: Vec<String>,
    },
    /// Create a peer-to-peer account; prints its id.
    AddP2p {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Name of this device (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Rename an account (ACCOUNT is its id or name).
    Rename {
        /// Account id or name.
        account: String,
        /// New name.
        name: String,
    },
    /// Enable an account.
    Enable {
        /// Account id or name.
        account: String,
    },
    /// Disable an account.
    Disable {
        /// Account id or name.
        account: String,
    },
    /// Delete an account and all its data on this device.
    Delete {
        /// Account id or name.
        account: String,
    },
    /// Write a peer-to-peer account's encrypted archive; the passphrase is read from stdin.
    Export {
        /// Account id or name.
        account: String,
        /// Archive file to write.
        path: PathBuf,
    },
    /// Rename this device of a P2P account (the name other devices and contacts see).
    RenameDevice {
        /// Account id or name.
        account: String,
        /// New device name.
        name: String,
    },
    /// Revoke another device of a P2P account (its peer id, as `status` lists it): its
    /// commits are refused from then on, here and by every device that hears of it.
    Revoke {
        /// Account id or name.
        account: String,
        /// The device's peer id.
        device: String,
    },
    /// Add this device to an account from an archive; the passphrase is read from stdin.
    /// Prints the account id.
    Import {
        /// Archive file.
        path: PathBuf,
        /// Name of this device (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Offer a P2P account to a new device over the network: prints a one-time PIN,
    /// valid for 10 minutes, to give to `account link` on the new device.
    LinkPin {
        /// Account id or name.
        account: String,
    },
    /// Add this device to an account another device offers under a PIN (see `link-pin`);
    /// looks for it for up to 30 s. Prints the account id.
    Link {
        /// The PIN, with or without its dash.
        pin: String,
        /// Name of this device (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
    },
}

/// How long the window's process waits for the engine to stop after the window closes.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RINGLET_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ringlet: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.data_dir.as_deref())?;
    match cli.command {
        Some(Sub::Ctl { action }) => ctl(&paths, action),
        Some(Sub::Node { listen }) => run_node(&paths, listen, cli.bootstrap),
        None => {
            let mut config = EngineConfig::new(paths.clone());
            config.use_keyring = !cli.no_keyring;
            config.audio_input = cli.audio_in;
            config.audio_output = cli.audio_out;
            config.p2p.bootstrap = cli.bootstrap;
            if !cli.p2p_listen.is_empty() {
                config.p2p.listen = cli.p2p_listen;
            }
            config.p2p.lan_discovery = !cli.no_mdns;
            config.audio = match cli.audio {
                AudioChoice::System => AudioBackend::System,
                AudioChoice::Jack => AudioBackend::Jack,
                AudioChoice::None => AudioBackend::Disabled,
            };
            if cli.headless {
                let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {}))?;
                ringlet::headless::run(&paths, engine, events).context("running the control socket")
            } else {
                let (waker, context_slot) = ringlet::ui::app::repaint_waker();
                let (engine, events) = Engine::start(config, waker)?;
                let page = cli.show.and_then(|page| match page {
                    StartPage::Wizard => Some(Page::Wizard),
                    StartPage::Settings => Some(Page::Settings),
                    StartPage::About => Some(Page::About),
                    StartPage::Account | StartPage::Conversation => None,
                });
                let first_account = matches!(cli.show, Some(StartPage::Account));
                // Once the window is gone nobody drains events; this clone waits for the
                // engine to finish its writes and release the data directory.
                let leftover = events.clone();
                let shutdown = engine.clone();
                let start = ringlet::ui::app::Start {
                    kiosk: cli.kiosk,
                    page,
                    first_account,
                    first_conversation: matches!(cli.show, Some(StartPage::Conversation)),
                };
                let result = ringlet::ui::run_window(engine, events, context_slot, start)
                    .map_err(|err| anyhow::anyhow!("cannot open the window: {err}"));
                shutdown.send(Command::Shutdown);
                while let Ok(event) = leftover.recv_timeout(SHUTDOWN_WAIT) {
                    if event == Event::Stopped {
                        break;
                    }
                }
                result
            }
        }
    }
}

/// `ringlet node`: runs until SIGINT or SIGTERM.
fn run_node(
    paths: &Paths,
    listen: Vec<libp2p::Multiaddr>,
    bootstrap: Vec<libp2p::Multiaddr>,
) -> anyhow::Result<()> {
    paths.ensure_writable()?;
    let key = ringlet::p2p::node::node_key(&paths.data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the node's runtime")?;
    runtime.block_on(async {
        let stop = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async {
                    match term.as_mut() {
                        Some(term) => { term.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
            }
        };
        ringlet::p2p::node::run(key, listen, bootstrap, stop).await
    })?;
    Ok(())
}

fn group_request(action: GroupCommand) -> Request {
    let (account, action, conversation, title, members) = match action {
        GroupCommand::Create {
            account,
            title,
            members,
        } => (account, "create", String::new(), title, members),
        GroupCommand::Join {
            account,
            conversation,
        } => (account, "join", conversation, String::new(), Vec::new()),
        GroupCommand::Add {
            account,
            conversation,
            member,
        } => (account, "add", conversation, String::new(), vec![member]),
        GroupCommand::Remove {
            account,
            conversation,
            member,
        } => (account, "remove", conversation, String::new(), vec![member]),
    };
    Request::Group {
        account,
        action: action.to_owned(),
        conversation,
        title,
        members,
    }
}

fn answer_contact(account: String, peer: String, answer: &str) -> Request {
    Request::AnswerContact {
        account,
        peer,
        answer: answer.to_owned(),
    }
}

fn ctl(paths: &Paths, action: CtlAction) -> anyhow::Result<()> {
    let socket = paths.control_socket();
    if let CtlAction::Events = action {
        return Ok(client::stream_events(
            &socket,
            &mut std::io::stdout().lock(),
        )?);
    }
    let request = match action {
        CtlAction::Status => Request::Status,
        CtlAction::Events => Request::Events,
        CtlAction::Shutdown => Request::Shutdown,
        CtlAction::Call { account, uri } => Request::Call { account, uri },
        CtlAction::Answer { call } => Request::Answer { call },
        CtlAction::Reject { call } => Request::Reject { call },
        CtlAction::Hangup { call } => Request::Hangup { call },
        CtlAction::History { search } => Request::History { search },
        CtlAction::Messages {
            account,
            peer,
            search,
        } => Request::Messages {
            account,
            peer,
            search,
        },
        CtlAction::Contact {
            action: ContactAction::Add { account, uri, name },
        } => Request::AddContact { account, uri, name },
        CtlAction::Contact {
            action: ContactAction::Accept { account, id },
        } => answer_contact(account, id, "accept"),
        CtlAction::Contact {
            action: ContactAction::Decline { account, id },
        } => answer_contact(account, id, "decline"),
        CtlAction::Contact {
            action: ContactAction::Block { account, id },
        } => answer_contact(account, id, "block"),
        CtlAction::NodeInfo => Request::NodeInfo,
        CtlAction::Conversations { account } => Request::Conversations { account },
        CtlAction::SendFile { account, id, path } => Request::SendFile {
            account,
            peer: id,
            path: absolute(&path)?,
        },
        CtlAction::File {
            action: FileCommand::Accept { account, file },
        } => Request::AnswerFile {
            account,
            file,
            accept: true,
        },
        CtlAction::File {
            action: FileCommand::Decline { account, file },
        } => Request::AnswerFile {
            account,
            file,
            accept: false,
        },
        CtlAction::Files { account } => Request::Files { account },
        CtlAction::MessageEdit {
            account,
            id,
            message,
            text,
        } => Request::EditMessage {
            account,
            peer: id,
            message,
            text: Some(text),
        },
        CtlAction::MessageDelete {
            account,
            id,
            message,
        } => Request::EditMessage {
            account,
            peer: id,
            message,
            text: None,
        },
        CtlAction::Read { account, id } => Request::MarkRead { account, peer: id },
        CtlAction::Typing { account, id, state } => Request::SetTyping {
            account,
            peer: id,
            typing: matches!(state, Switch::On),
        },
        CtlAction::Group { action } => group_request(action),
        CtlAction::Name {
            action: NameCommand::Register { account, name },
        } => Request::Name {
            account,
            name,
            register: true,
        },
        CtlAction::Name {
            action: NameCommand::Lookup { account, name },
        } => Request::Name {
            account,
            name,
            register: false,
        },
        CtlAction::Contacts { account } => Request::Contacts { account },
        CtlAction::Presence {
            account,
            state,
            note,
        } => Request::SetPresence {
            account,
            open: matches!(state, PresenceArg::Open),
            note,
        },
        CtlAction::Hold { call } => Request::Hold { call },
        CtlAction::Resume { call } => Request::Resume { call },
        CtlAction::Transfer { call, uri, to_call } => Request::Transfer { call, uri, to_call },
        CtlAction::Dtmf { call, digits } => Request::Dtmf { call, digits },
        CtlAction::Mute { call, state } => Request::Mute {
            call,
            on: matches!(state, Switch::On),
        },
        CtlAction::Conference { calls, leave } => Request::Conference {
            calls,
            join: !leave,
        },
        CtlAction::Record { call, state } => Request::Record {
            call,
            on: matches!(state, Switch::On),
        },
        CtlAction::Play {
            call,
            path,
            pause,
            resume,
            seek,
        } => Request::Play {
            call,
            path: path.map(|path| {
                if path == "off" {
                    path
                } else {
                    // The daemon may run elsewhere: send an absolute path.
                    std::path::absolute(&path)
                        .map(|path| path.display().to_string())
                        .unwrap_or(path)
                }
            }),
            paused: if pause {
                Some(true)
            } else if resume {
                Some(false)
            } else {
                None
            },
            seek_ms: seek.map(|seconds| (seconds.max(0.0) * 1_000.0) as u64),
        },
        CtlAction::Message { account, uri, text } => Request::Message { account, uri, text },
        CtlAction::Account { action } => match action {
            AccountAction::AddP2p { name, device_name } => {
                Request::AddP2pAccount { name, device_name }
            }
            AccountAction::AddSip {
                name,
                aor,
                registrar,
                outbound_proxy,
                expires,
                dtmf,
                mwi,
                tls_ca,
                username,
                password,
                transport,
                listen,
                stun,
                auto_answer,
                srtp,
                codecs,
            } => {
                for codec in &codecs {
                    anyhow::ensure!(
                        ringlet::sdp::Codec::by_id(codec).is_some(),
                        "unknown codec {codec:?} (opus, g722, pcmu, pcma, gsm, speex, speex-nb, speex-uwb)"
                    );
                }
                Request::AddSipAccount {
                    name,
                    config: SipAccountConfig {
                        aor,
                        registrar,
                        outbound_proxy,
                        username,
                        transport: match transport {
                            TransportArg::Udp => SipTransport::Udp,
                            TransportArg::Tcp => SipTransport::Tcp,
                            TransportArg::Tls => SipTransport::Tls,
                        },
                        listen,
                        stun,
                        auto_answer,
                        srtp: match srtp {
                            SrtpArg::Off => SrtpPolicy::Off,
                            SrtpArg::Optional => SrtpPolicy::Optional,
                            SrtpArg::Mandatory => SrtpPolicy::Mandatory,
                        },
                        codecs,
                        dtmf: match dtmf {
                            DtmfArg::Rfc4733 => DtmfMode::Rfc4733,
                            DtmfArg::Info => DtmfMode::SipInfo,
                            DtmfArg::Inband => DtmfMode::InBand,
                        },
                        register_expires: expires,
                        mwi,
                        tls_ca: match tls_ca {
                            Some(path) => Some(absolute(&path)?.display().to_string()),
                            None => None,
                        },
                    },
                    password: password.map(Secret),
                }
            }
            AccountAction::Rename { account, name } => Request::RenameAccount { account, name },
            AccountAction::Enable { account } => Request::SetAccountEnabled {
                account,
                enabled: true,
            },
            AccountAction::Disable { account } => Request::SetAccountEnabled {
                account,
                enabled: false,
            },
            AccountAction::Delete { account } => Request::DeleteAccount { account },
            AccountAction::Export { account, path } => Request::ExportAccount {
                account,
                path: absolute(&path)?,
                passphrase: read_passphrase()?,
            },
            AccountAction::Revoke { account, device } => Request::RevokeDevice { account, device },
            AccountAction::RenameDevice { account, name } => {
                Request::RenameDevice { account, name }
            }
            AccountAction::Import { path, device_name } => Request::ImportAccount {
                path: absolute(&path)?,
                passphrase: read_passphrase()?,
                device_name,
            },
            AccountAction::LinkPin { account } => Request::LinkPin { account },
            AccountAction::Link { pin, device_name } => Request::LinkAccount {
                pin: Secret(pin),
                device_name,
            },
        },
    };
    let prints_id = matches!(
        request,
        Request::AddP2pAccount { .. }
            | Request::AddSipAccount { .. }
            | Request::ImportAccount { .. }
            | Request::LinkAccount { .. }
            | Request::Call { .. }
    );
    let value = client::call(&socket, &request)?;
    match value.get("id").and_then(|id| id.as_str()) {
        Some(id) if prints_id => println!("{id}"),
        _ if value.is_null() => {}
        _ => println!("{}", serde_json::to_string_pretty(&value)?),
    }
    Ok(())
}

/// The daemon may run in another directory: send it absolute paths.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// The first line of standard input, without its line ending.
fn read_passphrase() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the passphrase from standard input")?;
    let passphrase = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!passphrase.is_empty(), "no passphrase on standard input");
    Ok(Secret(passphrase))
}
