//! `ringlet ctl` requests the engine answers itself (`Command::Control`): account names
//! and call ids are checked here, against the engine's own tables, and every request is
//! answered by `Answer` or `Failed`. A new ctl command is a
//! [`Request`](crate::control::Request) variant and its arm in [`EngineCore::control`];
//! nothing else changes. The requests in the last arm are still translated to older
//! commands by the control server (`control::protocol::to_command`) or answered there from
//! its mirror of the engine's state.

use std::time::Duration;

use serde_json::Value;

use super::failure::Failure;
use super::{EngineCore, Event, RequestId};
use crate::control::protocol::RequestError;
use crate::control::request::{AccountRef, PresenceState, Request};
use crate::media::thread::MediaCommand;
use crate::model::{AccountId, CallId};
use crate::transport::sip_account::DriverCommand;

/// A request refused before it did anything, said as the control server says it.
impl From<RequestError> for Failure {
    fn from(error: RequestError) -> Failure {
        Failure::Said(error.to_string())
    }
}

impl EngineCore {
    /// Answers a [`Command::Control`].
    pub(super) fn on_control(&mut self, request: RequestId, body: Request) {
        match self.control(body) {
            Ok(value) => self.events.emit(Event::Answer { request, value }),
            Err(failure) => self.fail(Some(request), failure),
        }
    }

    fn control(&mut self, body: Request) -> Result<Value, Failure> {
        match body {
            Request::NodeInfo => Ok(self.node_info()),
            Request::Files { account } => {
                let account = self.account_ref(&account)?;
                self.transfers_json(&account)
            }
            Request::Presence {
                account,
                state,
                note,
            } => {
                let account = self.account_ref(&account)?;
                let open = state == PresenceState::Open;
                self.driver(&account)?
                    .send(DriverCommand::SetPresence { open, note });
                Ok(Value::Null)
            }
            Request::Play {
                call,
                path,
                pause,
                resume,
                seek,
            } => {
                let call = self.known_call(call)?;
                let paused = match (pause, resume) {
                    (true, _) => Some(true),
                    (false, true) => Some(false),
                    (false, false) => None,
                };
                // `as` saturates: a negative, huge or NaN figure cannot panic.
                let seek = seek.map(|seconds| Duration::from_millis((seconds * 1_000.0) as u64));
                match path {
                    Some(path) if path == "off" => self.play_into_call(call, None)?,
                    Some(path) => {
                        let path = std::path::PathBuf::from(path);
                        if !path.is_file() {
                            return Err(Failure::Said(format!("{}: no such file", path.display())));
                        }
                        self.play_into_call(call, Some(path))?;
                    }
                    None if paused.is_some() || seek.is_some() => {
                        self.media
                            .send(MediaCommand::PlayControl { call, paused, seek });
                    }
                    None => {
                        return Err(Failure::Said(
                            "play: give a file, off, --pause, --resume or --seek".into(),
                        ));
                    }
                }
                Ok(Value::Null)
            }
            Request::Volume { percent } => {
                if percent > 200 {
                    return Err(Failure::Said(format!(
                        "volume {percent} %: give 0 to 200 percent"
                    )));
                }
                self.set_volume(f32::from(percent) / 100.0);
                Ok(Value::Null)
            }
            // Translated by the control server, or answered from its mirror of our state.
            Request::Status
            | Request::Events
            | Request::Account(_)
            | Request::Call { .. }
            | Request::Answer { .. }
            | Request::Reject { .. }
            | Request::Hangup { .. }
            | Request::Hold { .. }
            | Request::Resume { .. }
            | Request::Transfer { .. }
            | Request::Dtmf { .. }
            | Request::Mute { .. }
            | Request::Silence { .. }
            | Request::Conference { .. }
            | Request::Record { .. }
            | Request::Message { .. }
            | Request::Contact(_)
            | Request::Group(_)
            | Request::Name(_)
            | Request::SendFile { .. }
            | Request::MessageEdit { .. }
            | Request::MessageDelete { .. }
            | Request::Read { .. }
            | Request::Typing { .. }
            | Request::File(_)
            | Request::Conversations { .. }
            | Request::Contacts { .. }
            | Request::Messages { .. }
            | Request::History { .. }
            | Request::Open { .. }
            | Request::Shutdown => Err(Failure::Said(
                "not a request the engine answers itself".into(),
            )),
        }
    }

    /// The account a user named, by id or by its unique name.
    fn account_ref(&self, key: &AccountRef) -> Result<AccountId, Failure> {
        Ok(key.resolve(self.accounts.values())?)
    }

    /// A call in progress.
    fn known_call(&self, call: CallId) -> Result<CallId, Failure> {
        match self.calls.contains(call) {
            true => Ok(call),
            false => Err(RequestError::NoCall(call).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_request_says_what_the_control_server_says() {
        let failure: Failure = RequestError::NoCall(CallId(7)).into();
        assert_eq!(failure.to_string(), "no call 7");
    }
}
