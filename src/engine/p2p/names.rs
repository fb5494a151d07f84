//! Names in the engine: registering one for an account, and adding a contact by name.

use super::{Outstanding, unix_ms_now};
use crate::engine::failure::Failure;
use crate::engine::{EngineCore, Event, RequestId};
use crate::model::AccountId;
use crate::p2p::names;
use crate::p2p::network::NetworkCommand;

/// What a name lookup was for.
#[derive(Debug)]
pub enum NameQuery {
    /// Register it for the account unless another holds it.
    Register,
    /// Tell who holds it.
    Lookup,
    /// Add whoever holds it as a contact, under this display name.
    AddContact(String),
    /// Call whoever holds it (a confirmed contact).
    Call,
}

impl EngineCore {
    /// Starts a name query: its answer comes with the DHT lookup.
    pub(in crate::engine) fn query_name(
        &mut self,
        request: RequestId,
        id: &AccountId,
        name: &str,
        query: NameQuery,
    ) -> Result<(), Failure> {
        let name = names::normalize(name).map_err(|err| err.to_string())?;
        let account = self
            .p2p
            .get_mut(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let key = names::name_key(&name);
        let tag = account.asked.ask(Outstanding::Name(request, name, query));
        account.network.send(NetworkCommand::GetRecord { key, tag });
        Ok(())
    }

    /// The records found for a name query.
    pub(super) fn on_name_records(
        &mut self,
        id: &AccountId,
        request: RequestId,
        name: &str,
        query: NameQuery,
        values: &[Vec<u8>],
    ) {
        let holder = names::resolve(name, values).map(|registration| registration.account);
        let result = match (query, holder) {
            (NameQuery::Lookup, Some(holder)) => {
                self.events.emit(Event::Answer {
                    request,
                    value: serde_json::json!({ "name": name, "account": holder }),
                });
                Ok(())
            }
            (NameQuery::Call, Some(holder)) => self.place_p2p_call(request, id, &holder.0),
            (NameQuery::Lookup | NameQuery::AddContact(_) | NameQuery::Call, None) => {
                Err(Failure::NameUnknown(name.to_owned()))
            }
            (NameQuery::AddContact(display), Some(holder)) => {
                self.add_p2p_contact(request, id, &holder.0, &display)
            }
            (NameQuery::Register, Some(holder)) if &holder != id => Err(Failure::NameTaken {
                name: name.to_owned(),
                holder: holder.0,
            }),
            (NameQuery::Register, _) => self.publish_name(request, id, name),
        };
        if let Err(error) = result {
            self.fail(Some(request), error);
        }
    }

    fn publish_name(
        &mut self,
        request: RequestId,
        id: &AccountId,
        name: &str,
    ) -> Result<(), Failure> {
        let account = self
            .p2p
            .get(id)
            .ok_or_else(|| crate::engine::failure::offline(id))?;
        let value = names::register(&account.account_key, name, unix_ms_now())
            .map_err(|err| err.to_string())?;
        // Kept by the network and put again whenever new peers appear.
        account.network.send(NetworkCommand::PutRecord {
            key: names::name_key(name),
            value,
        });
        self.events.emit(Event::Answer {
            request,
            value: serde_json::json!({ "name": name, "account": id }),
        });
        Ok(())
    }
}
