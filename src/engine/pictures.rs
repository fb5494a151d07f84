//! An account's own profile picture: set from a file (read and scaled off the loop), kept in
//! the store, told to the window and, for a P2P account, named in its device list (contacts
//! fetch it: `p2p::profiles`).

use std::path::{Path, PathBuf};

use super::failure::Failure;
use super::{EngineCore, Event, RequestId};
use crate::model::{AccountId, Picture, Problem};
use crate::p2p::picture::{self, PictureError};

/// A picture made from a file, off the loop.
#[derive(Debug)]
pub(super) struct PreparedPicture {
    request: RequestId,
    account: AccountId,
    picture: Result<Vec<u8>, Failure>,
}

/// Why the picture in `path` cannot be one, said in every language.
fn picture_failure(path: &Path, error: &PictureError) -> Failure {
    let file = path.display().to_string();
    match error {
        PictureError::Format => Problem::new("problem-picture-format", &[("file", &file)]),
        PictureError::SourceTooLarge(_) | PictureError::TooLarge(_) => {
            Problem::new("problem-picture-too-large", &[("file", &file)])
        }
        PictureError::Decode(reason) | PictureError::Encode(reason) => Problem::new(
            "problem-picture-unreadable",
            &[("file", &file), ("reason", reason)],
        ),
    }
    .into()
}

impl EngineCore {
    /// `SetPicture`: a file is read and scaled on a blocking thread, then kept
    /// ([`EngineCore::on_prepared_picture`]); none removes the picture at once.
    pub(super) fn set_picture(
        &mut self,
        request: RequestId,
        account: &AccountId,
        path: Option<PathBuf>,
    ) {
        if !self.accounts.contains_key(account) {
            self.fail(Some(request), super::failure::no_account(account));
            return;
        }
        let Some(path) = path else {
            self.keep_picture(request, account, None);
            return;
        };
        // Checked here, so that a huge file is refused before anything reads it.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.len() > picture::MAX_SOURCE_BYTES => {
                let error = PictureError::SourceTooLarge(meta.len());
                self.fail(Some(request), picture_failure(&path, &error));
                return;
            }
            Ok(_) => {}
            Err(err) => {
                let error = PictureError::Decode(err.to_string());
                self.fail(Some(request), picture_failure(&path, &error));
                return;
            }
        }
        let done = self.prepared_pictures.clone();
        let account = account.clone();
        tokio::task::spawn_blocking(move || {
            let picture = std::fs::read(&path)
                .map_err(|err| PictureError::Decode(err.to_string()))
                .and_then(|bytes| picture::prepare(&bytes))
                .map_err(|error| picture_failure(&path, &error));
            done.send(PreparedPicture {
                request,
                account,
                picture,
            })
            .ok();
        });
    }

    /// A picture made from a file (or why not).
    pub(super) fn on_prepared_picture(&mut self, prepared: PreparedPicture) {
        match prepared.picture {
            Ok(bytes) => self.keep_picture(prepared.request, &prepared.account, Some(bytes)),
            Err(error) => self.fail(Some(prepared.request), error),
        }
    }

    /// The user's picture (or its removal), as of now; the request is answered.
    fn keep_picture(&mut self, request: RequestId, account: &AccountId, bytes: Option<Vec<u8>>) {
        let now_ms = super::p2p::unix_ms_now().min(i64::MAX as u64) as i64;
        match self.set_own_picture(account, bytes, now_ms) {
            Ok(hash) => self.events.emit(Event::Answer {
                request,
                value: serde_json::json!({ "account": account, "picture": hash }),
            }),
            Err(error) => self.fail(Some(request), error),
        }
    }

    /// Stores the account's picture as of `set_ms`, tells the window and, for a P2P
    /// account, every device connected now (its device list names the new one). Returns
    /// the picture's hash.
    pub(super) fn set_own_picture(
        &mut self,
        account: &AccountId,
        bytes: Option<Vec<u8>>,
        set_ms: i64,
    ) -> Result<Option<String>, String> {
        self.store
            .set_account_picture(account, bytes.as_deref(), set_ms)
            .map_err(|err| err.to_string())?;
        let picture = bytes.map(|bytes| Picture {
            hash: picture::hash(&bytes),
            bytes,
        });
        let hash = picture.as_ref().map(|picture| picture.hash.clone());
        self.events.emit(Event::Picture {
            account: account.clone(),
            peer: None,
            picture,
        });
        if self.p2p.contains_key(account) {
            self.tell_device_list(account);
        }
        Ok(hash)
    }

    /// Our accounts' own pictures, told when the engine starts.
    pub(super) fn tell_own_pictures(&self) {
        for account in self.accounts.keys() {
            match self.store.account_picture(account) {
                Ok((Some(bytes), _)) => self.events.emit(Event::Picture {
                    account: account.clone(),
                    peer: None,
                    picture: Some(Picture {
                        hash: picture::hash(&bytes),
                        bytes,
                    }),
                }),
                Ok((None, _)) => {}
                Err(err) => tracing::warn!(%err, %account, "the account's picture not read"),
            }
        }
    }
}
