//! Each running account's call driver, owned in one place: a SIP account's driver on its
//! own socket, started from the account's settings, and a P2P account's driver over its
//! network's streams. The engine reaches a driver through [`Drivers`] only: starting,
//! commanding and stopping it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::model::{AccountId, RegistrationState, SipAccountConfig};
use crate::sdp::Codec;
use crate::sip::ua::UaCredentials;
use crate::transport::sip_account::{
    self, DriverCommand, DriverConfig, P2pCallConfig, ReportSender, SipDriver,
};

/// Registration interval asked for when the account does not say (RFC 3261 §10.2.1.1
/// suggests 3600; 600 keeps NAT bindings and stale contacts short).
const DEFAULT_REGISTER_EXPIRES: u32 = 600;
/// How long the engine waits for a stopping driver (un-REGISTER, BYEs).
const DRIVER_STOP_WAIT: Duration = Duration::from_secs(3);

/// The account's registrar or outbound proxy, resolved (a blocking lookup, as when the
/// account starts): its first address.
fn server_address(config: &SipAccountConfig) -> Option<SocketAddr> {
    let server = config
        .outbound_proxy
        .as_deref()
        .or(config.registrar.as_deref())?;
    let uri = crate::sip::SipUri::parse(server)
        .or_else(|_| crate::sip::SipUri::parse(&format!("sip:{server}")))
        .ok()?;
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    (host, uri.port.unwrap_or(5060))
        .to_socket_addrs()
        .ok()?
        .next()
}

/// Where to listen when the account names nothing: every address of the family its server
/// is reached over (IPv4 without a server), any port.
fn listen_anywhere(server: Option<SocketAddr>) -> SocketAddr {
    match server {
        Some(server) if server.is_ipv6() => SocketAddr::from(([0u16; 8], 0)),
        _ => SocketAddr::from(([0, 0, 0, 0], 0)),
    }
}

/// The address to name in Contact, Via and SDP when the account listens on every
/// address: the one its server is reached from, else an interface's of that family.
fn advertised_ip(server: Option<SocketAddr>, ipv4: bool) -> Option<IpAddr> {
    server
        .filter(|server| server.is_ipv4() == ipv4)
        .and_then(sip_account::route_ip)
        .or_else(|| sip_account::interface_ip(None, ipv4))
}

/// The running call drivers, by account.
pub(super) struct Drivers {
    running: HashMap<AccountId, SipDriver>,
    /// Where every driver reports.
    reports: ReportSender,
    /// The call id counter the drivers share with the engine.
    call_ids: Arc<AtomicU64>,
}

impl Drivers {
    pub(super) fn new(reports: ReportSender, call_ids: Arc<AtomicU64>) -> Drivers {
        Drivers {
            running: HashMap::new(),
            reports,
            call_ids,
        }
    }

    /// Starts a SIP account's driver from its settings (the account must not have one
    /// running), watching the presence of `watch`; its registration state to show.
    pub(super) fn start_sip(
        &mut self,
        id: &AccountId,
        config: &SipAccountConfig,
        password: Option<String>,
        watch: Vec<String>,
    ) -> RegistrationState {
        let named = config.listen.as_ref().map(|listen| {
            listen
                .parse::<SocketAddr>()
                .map_err(|_| format!("listen address {listen:?} is not IP:PORT"))
        });
        // The server is looked up only when the address to name depends on it.
        let roams = !matches!(&named, Some(Ok(address)) if !address.ip().is_unspecified());
        let server = if roams { server_address(config) } else { None };
        let listen = named.unwrap_or_else(|| Ok(listen_anywhere(server)));
        // Listening on every address, the account names the one it is reached at.
        let advertise = match &listen {
            Ok(address) if address.ip().is_unspecified() => {
                match advertised_ip(server, address.is_ipv4()) {
                    Some(ip) => Some(ip),
                    None => {
                        let reason = "no address to name: no reachable registrar or network";
                        return RegistrationState::Failed(reason.into());
                    }
                }
            }
            _ => None,
        };
        let codecs: Vec<Codec> = if config.codecs.is_empty() {
            crate::sdp::KNOWN_CODECS.to_vec()
        } else {
            config
                .codecs
                .iter()
                .filter_map(|id| Codec::by_id(id).copied())
                .collect()
        };
        let aor_user = crate::sip::SipUri::parse(&config.aor)
            .ok()
            .and_then(|uri| uri.user);
        let credentials = password.map(|password| UaCredentials {
            username: config.username.clone().or(aor_user).unwrap_or_default(),
            password,
        });
        let driver_config = DriverConfig {
            account: id.clone(),
            aor: config.aor.clone(),
            registrar: config.registrar.clone(),
            outbound_proxy: config.outbound_proxy.clone(),
            credentials,
            register_expires: config.register_expires.unwrap_or(DEFAULT_REGISTER_EXPIRES),
            codecs,
            srtp: config.srtp,
            mwi: config.mwi,
            watch,
            transport: config.transport,
            stun: config.stun.clone(),
            tls_ca: config.tls_ca.as_ref().map(std::path::PathBuf::from),
            dtmf: config.dtmf,
            advertise,
            auto_answer: config.auto_answer,
        };
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let started = listen.and_then(|address| {
            sip_account::start(
                address,
                driver_config,
                seed,
                Arc::clone(&self.call_ids),
                self.reports.clone(),
            )
            .map_err(|err| format!("cannot listen on {address}: {err}"))
        });
        match started {
            Ok(driver) => {
                tracing::info!(account = %id, local = %driver.local, "SIP account started");
                self.running.insert(id.clone(), driver);
                RegistrationState::Trying
            }
            Err(reason) => RegistrationState::Failed(reason),
        }
    }

    /// Starts a P2P account's driver over its network's streams, replacing any.
    pub(super) fn start_p2p(&mut self, config: P2pCallConfig, streams: libp2p_stream::Control) {
        let id = config.account.clone();
        drop(self.stop(&id));
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let driver = sip_account::start_p2p(
            config,
            streams,
            seed,
            Arc::clone(&self.call_ids),
            self.reports.clone(),
        );
        self.running.insert(id, driver);
    }

    /// The account's driver, if it runs.
    pub(super) fn get(&self, id: &AccountId) -> Option<&SipDriver> {
        self.running.get(id)
    }

    /// The account has a driver running.
    pub(super) fn runs(&self, id: &AccountId) -> bool {
        self.running.contains_key(id)
    }

    /// Sends `command` to the account's driver if it runs; false when it does not.
    pub(super) fn send(&self, id: &AccountId, command: DriverCommand) -> bool {
        self.running
            .get(id)
            .is_some_and(|driver| driver.send(command))
    }

    /// Hands a P2P account's driver a stream one of its devices opened; false when the
    /// account has no P2P driver running.
    pub(super) fn hand_over(
        &self,
        id: &AccountId,
        input: crate::transport::p2p_call::LinkInput,
    ) -> bool {
        self.running
            .get(id)
            .is_some_and(|driver| driver.hand_over(input))
    }

    /// Stops an account's driver, if running, without waiting.
    pub(super) fn stop(&mut self, id: &AccountId) -> Option<tokio::task::JoinHandle<()>> {
        self.running.remove(id).map(SipDriver::stop)
    }

    /// Stops an account's driver and waits (bounded) until it has released its socket.
    /// Called inside `block_in_place`, where blocking on the runtime is allowed.
    pub(super) fn stop_and_wait(&mut self, id: &AccountId) {
        if let Some(task) = self.stop(id) {
            tokio::runtime::Handle::current()
                .block_on(tokio::time::timeout(DRIVER_STOP_WAIT, task))
                .ok();
        }
    }

    /// Stops every driver and waits (bounded) for their goodbyes: un-REGISTER and BYEs.
    pub(super) async fn stop_all(&mut self) {
        let tasks: Vec<_> = self
            .running
            .drain()
            .map(|(_, driver)| driver.stop())
            .collect();
        for task in tasks {
            tokio::time::timeout(DRIVER_STOP_WAIT, task).await.ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_with_no_listen_address_listens_in_its_servers_family_and_names_its_route() {
        let v6: SocketAddr = "[::1]:5060"
            .parse()
            .unwrap_or(SocketAddr::from(([0; 8], 0)));
        let v4 = SocketAddr::from(([127, 0, 0, 1], 5060));
        assert!(listen_anywhere(Some(v6)).is_ipv6());
        assert!(listen_anywhere(Some(v4)).is_ipv4());
        assert!(listen_anywhere(None).is_ipv4());
        assert!(listen_anywhere(Some(v6)).ip().is_unspecified());
        // The address named is the one the server is reached from.
        assert_eq!(
            advertised_ip(Some(v4), true),
            Some(IpAddr::from([127, 0, 0, 1]))
        );
        assert_eq!(
            advertised_ip(Some(v6), false),
            Some(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]))
        );
    }
}
