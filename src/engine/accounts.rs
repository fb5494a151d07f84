//! Account operations of the engine: create, import, export, rename, enable, delete.

use std::path::Path;
use std::time::SystemTime;

use rand::rngs::OsRng;

use super::{EngineCore, Secret};
use crate::crypto::StretchCost;
use crate::engine::failure::Failure;
use crate::model::{AccountDetails, AccountId, AccountInfo, RegistrationState, SipAccountConfig};
use crate::p2p::identity::{hex, unhex, unix_seconds};
use crate::p2p::{AccountKey, ArchivePayload, DeviceKey, archive};
use crate::store::SecretName;

/// Longest display name accepted.
const MAX_NAME_CHARS: usize = 128;
/// The shortest passphrase an archive is sealed with.
const MIN_PASSPHRASE_CHARS: usize = 4;

impl EngineCore {
    pub(super) fn create_p2p_account(
        &mut self,
        name: &str,
        device_name: Option<String>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let name = clean_name(name)?;
        let account_key = AccountKey::generate(&mut OsRng);
        self.add_p2p_device(&account_key, &name, &[], device_name)
    }

    pub(super) fn add_sip_account(
        &mut self,
        name: &str,
        config: SipAccountConfig,
        password: Option<Secret>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let name = clean_name(name)?;
        validate_sip_config(&config)?;
        let mut id_bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut OsRng, &mut id_bytes);
        let account = AccountInfo {
            id: AccountId(format!("sip-{}", hex(&id_bytes))),
            name,
            enabled: true,
            created_at: unix_seconds(SystemTime::now()),
            registration: RegistrationState::Offline,
            details: AccountDetails::Sip(config),
        };
        let password = password.filter(|password| !password.0.is_empty());
        self.store
            .atomically(|store| {
                store.insert_account(&account)?;
                match &password {
                    Some(password) => store.set_secret(
                        &account.id.0,
                        SecretName::SipPassword,
                        password.0.as_bytes(),
                    ),
                    None => Ok(()),
                }
            })
            .map_err(|err| err.to_string())?;
        Ok(account)
    }

    pub(super) fn import_archive(
        &mut self,
        path: &Path,
        passphrase: &Secret,
        device_name: Option<String>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let payload = archive::import(path, &passphrase.0).map_err(|err| err.to_string())?;
        self.join_account(payload, &format!("archive {}", path.display()), device_name)
    }

    /// Adds this device to the account an archive (a file, or a link record) carries.
    pub(super) fn join_account(
        &mut self,
        payload: ArchivePayload,
        source: &str,
        device_name: Option<String>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let secret = unhex(&payload.account_secret)
            .ok_or_else(|| format!("{source} holds a malformed account key"))?;
        let account_key =
            AccountKey::from_secret(&secret).map_err(|err| format!("{source}: {err}"))?;
        let account_id = account_key.account_id();
        if self.accounts.contains_key(&account_id) {
            return Err(Failure::AlreadyHere(account_id));
        }
        // Only certificates the account key really signed come along.
        let devices: Vec<_> = payload
            .devices
            .into_iter()
            .filter(|certificate| certificate.verify_for(&account_id).is_ok())
            .collect();
        self.add_p2p_device(
            &account_key,
            &clean_name(&payload.name)?,
            &devices,
            device_name,
        )
    }

    /// Stores a P2P account with a fresh, certified key for this device.
    fn add_p2p_device(
        &mut self,
        account_key: &AccountKey,
        name: &str,
        known_devices: &[crate::p2p::DeviceCertificate],
        device_name: Option<String>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let device_key = DeviceKey::generate();
        let device_name = device_name
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| self.device_name.clone());
        let certificate =
            account_key.certify(&device_key.peer_id(), &device_name, SystemTime::now());
        let mut account = AccountInfo {
            id: account_key.account_id(),
            name: name.to_owned(),
            enabled: true,
            created_at: unix_seconds(SystemTime::now()),
            registration: RegistrationState::Offline,
            details: AccountDetails::P2p {
                devices: Vec::new(),
                auto_answer: false,
                stun: Vec::new(),
            },
        };
        self.store
            .atomically(|store| {
                store.insert_account(&account)?;
                store.set_secret(
                    &account.id.0,
                    SecretName::AccountKey,
                    account_key.secret_bytes().as_slice(),
                )?;
                store.set_secret(&account.id.0, SecretName::DeviceKey, &device_key.encoded())?;
                for known in known_devices {
                    store.insert_device(&account.id, known, false)?;
                }
                store.insert_device(&account.id, &certificate, true)
            })
            .map_err(|err| err.to_string())?;
        account.details = self.reload(&account.id)?.details;
        Ok(account)
    }

    pub(super) fn export_archive(
        &mut self,
        account: &AccountId,
        path: &Path,
        passphrase: &Secret,
    ) -> Result<(), crate::engine::failure::Failure> {
        if passphrase.0.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Failure::PassphraseTooShort {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        let payload = self.archive_payload(account)?;
        archive::export(
            path,
            &passphrase.0,
            &payload,
            StretchCost::INTERACTIVE,
            &mut OsRng,
        )
        .map_err(|err| err.to_string().into())
    }

    /// What an archive of the account carries: its key, name and devices.
    pub(super) fn archive_payload(&self, account: &AccountId) -> Result<ArchivePayload, Failure> {
        let info = self
            .accounts
            .get(account)
            .ok_or_else(|| crate::engine::failure::no_account(account))?;
        if !matches!(info.details, AccountDetails::P2p { .. }) {
            return Err(Failure::NotP2p(account.clone()));
        }
        let secret = self
            .store
            .secret(&account.0, SecretName::AccountKey)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("account {account} has no key on this device"))?;
        let devices = self
            .store
            .devices(account)
            .map_err(|err| err.to_string())?
            .into_iter()
            .filter(|row| !row.revoked)
            .map(|row| row.certificate)
            .collect();
        Ok(ArchivePayload {
            account_secret: hex(&secret),
            name: info.name.clone(),
            devices,
        })
    }

    pub(super) fn rename_account(
        &mut self,
        account: &AccountId,
        name: &str,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        if !self.accounts.contains_key(account) {
            return Err(crate::engine::failure::no_account(account));
        }
        let name = clean_name(name)?;
        self.store
            .rename_account(account, &name)
            .map_err(|err| err.to_string())?;
        let renamed = self.update_cached(account, |info| info.name = name);
        // A P2P account's name is its profile: its devices and contacts hear of it.
        if self.is_p2p(account) {
            self.tell_device_list(account);
        }
        renamed
    }

    pub(super) fn update_sip_account(
        &mut self,
        account: &AccountId,
        config: SipAccountConfig,
        password: Option<Secret>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        validate_sip_config(&config)?;
        match self.accounts.get(account).map(|info| &info.details) {
            Some(AccountDetails::Sip(_)) => {}
            Some(AccountDetails::P2p { .. }) => {
                return Err(Failure::NotSip(account.clone()));
            }
            None => return Err(crate::engine::failure::no_account(account)),
        }
        self.store
            .atomically(|store| {
                store.set_sip_config(account, &config)?;
                match &password {
                    Some(password) if password.0.is_empty() => {
                        store.delete_secret(&account.0, SecretName::SipPassword)
                    }
                    Some(password) => {
                        store.set_secret(&account.0, SecretName::SipPassword, password.0.as_bytes())
                    }
                    None => Ok(()),
                }
            })
            .map_err(|err| err.to_string())?;
        self.update_cached(account, |info| info.details = AccountDetails::Sip(config))
    }

    pub(super) fn set_account_enabled(
        &mut self,
        account: &AccountId,
        enabled: bool,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        self.store
            .set_account_enabled(account, enabled)
            .map_err(|err| err.to_string())?;
        self.update_cached(account, |info| info.enabled = enabled)
    }

    /// The STUN servers a P2P account's calls ask besides its bootstrap nodes; each is
    /// checked (`HOST:PORT` or `HOST`), none is looked up yet.
    pub(super) fn set_p2p_stun(
        &mut self,
        account: &AccountId,
        servers: Vec<String>,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        match self.accounts.get(account).map(|info| &info.details) {
            Some(AccountDetails::P2p { .. }) => {}
            Some(AccountDetails::Sip(_)) => {
                return Err(Failure::NotP2p(account.clone()));
            }
            None => return Err(crate::engine::failure::no_account(account)),
        }
        let servers: Vec<String> = servers
            .iter()
            .map(|server| server.trim().to_owned())
            .filter(|server| !server.is_empty())
            .collect();
        for server in &servers {
            crate::stun::check_server(server)?;
        }
        self.store
            .set_p2p_stun(account, &servers)
            .map_err(|err| err.to_string())?;
        self.update_cached(account, |info| {
            if let AccountDetails::P2p { stun, .. } = &mut info.details {
                *stun = servers;
            }
        })
    }

    /// Calls to the account are answered at once, or no longer.
    pub(super) fn set_auto_answer(
        &mut self,
        account: &AccountId,
        on: bool,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        if !self.accounts.contains_key(account) {
            return Err(crate::engine::failure::no_account(account));
        }
        self.store
            .set_auto_answer(account, on)
            .map_err(|err| err.to_string())?;
        self.drivers.send(
            account,
            crate::transport::sip_account::DriverCommand::AutoAnswer(on),
        );
        self.update_cached(account, |info| match &mut info.details {
            AccountDetails::Sip(config) => config.auto_answer = on,
            AccountDetails::P2p { auto_answer, .. } => *auto_answer = on,
        })
    }

    pub(super) fn delete_account(
        &mut self,
        account: &AccountId,
    ) -> Result<(), crate::engine::failure::Failure> {
        self.store
            .delete_account(account)
            .map_err(|err| err.to_string())?;
        self.accounts.remove(account);
        Ok(())
    }

    fn update_cached(
        &mut self,
        account: &AccountId,
        change: impl FnOnce(&mut AccountInfo),
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        let info = self
            .accounts
            .get_mut(account)
            .ok_or_else(|| crate::engine::failure::no_account(account))?;
        change(info);
        Ok(info.clone())
    }

    pub(super) fn reload(
        &self,
        account: &AccountId,
    ) -> Result<AccountInfo, crate::engine::failure::Failure> {
        self.store
            .accounts()
            .map_err(|err| err.to_string())?
            .into_iter()
            .find(|info| &info.id == account)
            .ok_or_else(|| crate::engine::failure::no_account(account))
    }
}

/// A display name: trimmed, not empty, not absurdly long.
fn clean_name(name: &str) -> Result<String, Failure> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Failure::BadName {
            max: MAX_NAME_CHARS,
        });
    }
    Ok(name.to_owned())
}

/// Checks the shape `sip:user@host` or `sips:user@host`; the full grammar lives in the SIP stack.
/// Checks what a SIP account's settings must hold before they are stored: an address of
/// record, known codecs, a listen address that is IP:PORT.
pub fn validate_sip_config(config: &SipAccountConfig) -> Result<(), Failure> {
    validate_aor(&config.aor)?;
    if let Some(codec) = config
        .codecs
        .iter()
        .find(|codec| crate::sdp::Codec::by_id(codec).is_none())
    {
        return Err(Failure::UnknownCodec(codec.clone()));
    }
    if let Some(listen) = &config.listen
        && listen.parse::<std::net::SocketAddr>().is_err()
    {
        return Err(Failure::BadListen(listen.clone()));
    }
    Ok(())
}

/// Checks that an address of record is sip:user@host.
pub fn validate_aor(aor: &str) -> Result<(), Failure> {
    let rest = aor
        .strip_prefix("sip:")
        .or_else(|| aor.strip_prefix("sips:"))
        .ok_or_else(|| Failure::BadAor(aor.to_owned()))?;
    match rest.split_once('@') {
        Some((user, host))
            if !user.is_empty() && !host.is_empty() && !rest.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(Failure::BadAor(aor.to_owned())),
    }
}
