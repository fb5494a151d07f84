//! The `ringlet` executable: the window, the headless daemon, and `ringlet ctl`.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use ringlet::control::{Request, client};
use ringlet::engine::{Command, Engine, EngineConfig, Event, MediaInput, MediaOutput, Secret};
use ringlet::media::devices::AudioBackend;
use ringlet::paths::Paths;
use ringlet::ui::state::{Page, SidebarTab};

/// Allocation-heavy paths (SIP parsing, channels between threads) run faster on mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Open URI in the window: call a sip:, sips: or tel: address, or open the
    /// conversation of ringlet:ID. A window already running on the data directory is
    /// asked to do it (and comes to the front); this command then exits.
    #[arg(value_name = "URI", conflicts_with = "headless")]
    uri: Option<String>,
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
    /// The sidebar's contacts.
    Contacts,
    /// The sidebar's contacts with the add-contact form open.
    AddContact,
    /// The sidebar's recent calls.
    Calls,
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
        request: Request,
    },
    /// Run a P2P bootstrap and relay node (no account, no window). Prints `peer-id ID` and
    /// a `listen ADDRESS` line per address to give clients as --bootstrap.
    Node {
        /// Address to listen on (repeat for several).
        #[arg(long, value_name = "MULTIADDR", default_values_t = default_node_listen())]
        listen: Vec<libp2p::Multiaddr>,
        /// UDP port to answer STUN Binding requests on, so that devices learn their public
        /// address for direct call media (0: none).
        #[arg(long, value_name = "PORT", default_value_t = ringlet::stun::STUN_PORT)]
        stun_port: u16,
        /// The longest a circuit relayed for two devices lasts, in seconds (a call through
        /// it goes on over a new one).
        #[arg(long, value_name = "SECONDS", default_value_t = 30 * 60)]
        circuit_seconds: u64,
    },
}

fn default_node_listen() -> Vec<libp2p::Multiaddr> {
    ["/ip4/0.0.0.0/udp/4001/quic-v1", "/ip4/0.0.0.0/tcp/4001"]
        .iter()
        .filter_map(|address| address.parse().ok())
        .collect()
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
        Some(Sub::Ctl { request }) => ctl(&paths, request),
        Some(Sub::Node {
            listen,
            stun_port,
            circuit_seconds,
        }) => {
            let options = ringlet::p2p::node::NodeOptions {
                listen,
                bootstrap: cli.bootstrap,
                stun_port: (stun_port != 0).then_some(stun_port),
                longest_circuit: std::time::Duration::from_secs(circuit_seconds),
            };
            run_node(&paths, options)
        }
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
                let (waker, ready) = ringlet::headless::waker();
                let (engine, events) = Engine::start(config, waker)?;
                ringlet::headless::run(&paths, engine, events, ready)
                    .context("running the control socket")
            } else {
                if let Some(uri) = &cli.uri {
                    ringlet::desktop::uri::parse_open(uri)?;
                }
                // One window per data directory: a running one is asked to come forward
                // (and open the URI), and this process is done.
                let socket = paths.control_socket();
                if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                    client::call(&socket, &Request::Open { uri: cli.uri })?;
                    return Ok(());
                }
                let (waker, context_slot) = ringlet::ui::app::repaint_waker();
                // The window asks for the device list when it first shows one.
                config.list_audio_devices_at_start = false;
                // The engine's events reach the window through the control socket's copier.
                let (engine, events) = Engine::start(config, std::sync::Arc::new(|| {}))?;
                let events =
                    ringlet::headless::serve_beside_window(&paths, engine.clone(), events, waker)
                        .context("starting the window's control socket")?;
                let page = cli.show.and_then(|page| match page {
                    StartPage::Wizard => Some(Page::Wizard),
                    StartPage::Settings => Some(Page::Settings),
                    StartPage::About => Some(Page::About),
                    StartPage::Account
                    | StartPage::Conversation
                    | StartPage::Contacts
                    | StartPage::AddContact
                    | StartPage::Calls => None,
                });
                let sidebar = cli.show.and_then(|page| match page {
                    StartPage::Contacts | StartPage::AddContact => Some(SidebarTab::Contacts),
                    StartPage::Calls => Some(SidebarTab::Calls),
                    _ => None,
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
                    sidebar,
                    add_contact: matches!(cli.show, Some(StartPage::AddContact)),
                    notifications: Some(ringlet::desktop::notify::Bus::Session),
                    // A kiosk has no desktop to put an icon on.
                    tray: !cli.kiosk,
                    open: cli.uri,
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
fn run_node(paths: &Paths, options: ringlet::p2p::node::NodeOptions) -> anyhow::Result<()> {
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
        ringlet::p2p::node::run(key, options, stop).await
    })?;
    Ok(())
}

/// `ringlet ctl`: one request, its answer printed (the id alone for a new account or
/// call, else pretty JSON); `events` streams until the daemon stops.
fn ctl(paths: &Paths, mut request: Request) -> anyhow::Result<()> {
    let socket = paths.control_socket();
    if request == Request::Events {
        return Ok(client::stream_events(
            &socket,
            &mut std::io::stdout().lock(),
        )?);
    }
    request
        .prepare(read_passphrase)
        .context("preparing the request")?;
    let value = client::call(&socket, &request)?;
    let text = match value.get("id").and_then(|id| id.as_str()) {
        Some(id) if request.prints_id() => id.to_owned(),
        _ if value.is_null() => return Ok(()),
        _ => serde_json::to_string_pretty(&value)?,
    };
    // A closed pipe (`ctl status | head`) ends quietly, as `cat` does.
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => Ok(result?),
    }
}

/// The first line of standard input, without its line ending.
fn read_passphrase() -> std::io::Result<Secret> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let passphrase = line.trim_end_matches(['\n', '\r']).to_owned();
    if passphrase.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "no passphrase on standard input",
        ));
    }
    Ok(Secret(passphrase))
}
