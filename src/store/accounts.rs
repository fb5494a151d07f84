//! Account and device rows. Secrets are not here: see `secrets.rs`.

use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};
use crate::model::DeviceCertificate;
use crate::model::{
    AccountDetails, AccountId, AccountInfo, DeviceInfo, RegistrationState, SipAccountConfig,
};

/// A device row: its certificate and local flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// The certificate the account key issued.
    pub certificate: DeviceCertificate,
    /// True for this install's own device.
    pub local: bool,
    /// True once revoked.
    pub revoked: bool,
}

/// What a P2P account keeps in its `config` column (older rows hold `{}`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct P2pSettings {
    #[serde(default)]
    auto_answer: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    stun: Vec<String>,
}

impl Store {
    /// Adds an account at the end of the list.
    pub fn insert_account(&self, account: &AccountInfo) -> Result<(), StoreError> {
        let config = match &account.details {
            AccountDetails::Sip(config) => serde_json::to_string(config),
            AccountDetails::P2p {
                auto_answer, stun, ..
            } => serde_json::to_string(&P2pSettings {
                auto_answer: *auto_answer,
                stun: stun.clone(),
            }),
        }
        .map_err(|err| self.decode_err("account config", err.to_string()))?;
        self.conn
            .execute(
                "INSERT INTO accounts (id, kind, name, enabled, created_at, position, config)
                 VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(position), 0) + 1 FROM accounts), ?6)",
                params![
                    account.id.0,
                    account.kind().as_str(),
                    account.name,
                    account.enabled,
                    account.created_at as i64,
                    config
                ],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// True when an account with this id exists.
    pub fn has_account(&self, id: &AccountId) -> Result<bool, StoreError> {
        self.conn
            .query_row("SELECT 1 FROM accounts WHERE id = ?1", [&id.0], |_| Ok(()))
            .optional()
            .map(|row| row.is_some())
            .map_err(|source| self.sql(source))
    }

    /// All accounts in the user's order.
    pub fn accounts(&self) -> Result<Vec<AccountInfo>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, kind, name, enabled, created_at, config FROM accounts ORDER BY position")
            .map_err(|source| self.sql(source))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, bool>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .map_err(|source| self.sql(source))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| self.sql(source))?;
        let mut accounts = Vec::with_capacity(rows.len());
        for (id, kind, name, enabled, created_at, config) in rows {
            let id = AccountId(id);
            let details = match kind.as_str() {
                "sip" => AccountDetails::Sip(
                    serde_json::from_str::<SipAccountConfig>(&config)
                        .map_err(|err| self.decode_err("SIP account config", err.to_string()))?,
                ),
                _ => {
                    let settings = serde_json::from_str::<P2pSettings>(&config)
                        .map_err(|err| self.decode_err("P2P account config", err.to_string()))?;
                    AccountDetails::P2p {
                        devices: self.device_infos(&id)?,
                        auto_answer: settings.auto_answer,
                        stun: settings.stun,
                    }
                }
            };
            accounts.push(AccountInfo {
                id,
                name,
                enabled,
                created_at: created_at.max(0) as u64,
                registration: RegistrationState::Offline,
                details,
            });
        }
        Ok(accounts)
    }

    /// Renames an account.
    pub fn rename_account(&self, id: &AccountId, name: &str) -> Result<(), StoreError> {
        self.update_one("UPDATE accounts SET name = ?2 WHERE id = ?1", id, &name)
    }

    /// Sets or clears the account's own profile picture, as of `set_ms` (Unix ms).
    pub fn set_account_picture(
        &self,
        id: &AccountId,
        picture: Option<&[u8]>,
        set_ms: i64,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE accounts SET picture = ?2, picture_ms = ?3 WHERE id = ?1",
                params![id.0, picture, set_ms],
            )
            .map_err(|source| self.sql(source))?;
        if changed == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// The account's own profile picture, and when it was set or removed (0: never).
    pub fn account_picture(&self, id: &AccountId) -> Result<(Option<Vec<u8>>, i64), StoreError> {
        self.conn
            .query_row(
                "SELECT picture, picture_ms FROM accounts WHERE id = ?1",
                params![id.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|source| self.sql(source))
            .map(Option::unwrap_or_default)
    }

    /// Enables or disables an account.
    pub fn set_account_enabled(&self, id: &AccountId, enabled: bool) -> Result<(), StoreError> {
        self.update_one(
            "UPDATE accounts SET enabled = ?2 WHERE id = ?1",
            id,
            &enabled,
        )
    }

    /// Replaces a SIP account's settings.
    pub fn set_sip_config(
        &self,
        id: &AccountId,
        config: &SipAccountConfig,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(config)
            .map_err(|err| self.decode_err("SIP account config", err.to_string()))?;
        self.update_one(
            "UPDATE accounts SET config = ?2 WHERE id = ?1 AND kind = 'sip'",
            id,
            &json,
        )
    }

    /// Sets the STUN servers a P2P account's calls ask, besides its bootstrap nodes.
    pub fn set_p2p_stun(&self, id: &AccountId, servers: &[String]) -> Result<(), StoreError> {
        self.set_config_value(id, "stun", serde_json::json!(servers))
    }

    /// Sets whether an account (SIP or P2P) answers calls at once.
    pub fn set_auto_answer(&self, id: &AccountId, on: bool) -> Result<(), StoreError> {
        self.set_config_value(id, "auto_answer", serde_json::Value::Bool(on))
    }

    /// Sets one key of an account's JSON `config`.
    fn set_config_value(
        &self,
        id: &AccountId,
        key: &str,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        let config: String = self
            .conn
            .query_row(
                "SELECT config FROM accounts WHERE id = ?1",
                [&id.0],
                |row| row.get(0),
            )
            .map_err(|source| self.sql(source))?;
        let mut stored: serde_json::Value = serde_json::from_str(&config)
            .map_err(|err| self.decode_err("account config", err.to_string()))?;
        let Some(object) = stored.as_object_mut() else {
            return Err(self.decode_err("account config", "not an object".to_owned()));
        };
        object.insert(key.to_owned(), value);
        self.update_one(
            "UPDATE accounts SET config = ?2 WHERE id = ?1",
            id,
            &stored.to_string(),
        )
    }

    /// Deletes an account with its secrets, devices, contacts, conversations and history.
    pub fn delete_account(&self, id: &AccountId) -> Result<(), StoreError> {
        let deleted = self
            .conn
            .execute("DELETE FROM accounts WHERE id = ?1", [&id.0])
            .map_err(|source| self.sql(source))?;
        if deleted == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Records a certified device of an account.
    pub fn insert_device(
        &self,
        account: &AccountId,
        certificate: &DeviceCertificate,
        local: bool,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(certificate)
            .map_err(|err| self.decode_err("device certificate", err.to_string()))?;
        self.conn
            .execute(
                "INSERT INTO devices (account_id, device_id, name, local, certificate) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, device_id)
                 DO UPDATE SET certificate = excluded.certificate, name = excluded.name",
                params![account.0, certificate.device_id, certificate.device_name, local, json],
            )
            .map_err(|source| self.sql(source))?;
        Ok(())
    }

    /// The devices of an account, oldest certificate first.
    pub fn devices(&self, account: &AccountId) -> Result<Vec<DeviceRow>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT certificate, local, revoked FROM devices WHERE account_id = ?1")
            .map_err(|source| self.sql(source))?;
        let rows = statement
            .query_map([&account.0], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, bool>(1)?,
                    row.get::<_, bool>(2)?,
                ))
            })
            .map_err(|source| self.sql(source))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| self.sql(source))?;
        let mut devices = rows
            .into_iter()
            .map(|(json, local, revoked)| {
                serde_json::from_str(&json)
                    .map(|certificate| DeviceRow {
                        certificate,
                        local,
                        revoked,
                    })
                    .map_err(|err| self.decode_err("device certificate", err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        devices.sort_by_key(|row| row.certificate.issued_at);
        Ok(devices)
    }

    fn device_infos(&self, account: &AccountId) -> Result<Vec<DeviceInfo>, StoreError> {
        Ok(self
            .devices(account)?
            .into_iter()
            .filter(|row| !row.revoked)
            .map(|row| DeviceInfo {
                device_id: row.certificate.device_id,
                name: row.certificate.device_name,
                local: row.local,
                certified_at: row.certificate.issued_at,
            })
            .collect())
    }

    fn update_one(
        &self,
        statement: &str,
        id: &AccountId,
        value: &dyn rusqlite::ToSql,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(statement, params![id.0, value])
            .map_err(|source| self.sql(source))?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    pub(super) fn decode_err(&self, what: &'static str, detail: String) -> StoreError {
        StoreError::Decode {
            path: self.path.clone(),
            what,
            detail,
        }
    }
}

fn not_found(id: &AccountId) -> StoreError {
    StoreError::NotFound {
        what: "account",
        id: id.0.clone(),
    }
}
