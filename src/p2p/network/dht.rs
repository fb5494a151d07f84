//! The driver's Kademlia side: our records put and put again, inbox letters merged,
//! records from peers checked before they are stored, lookups answered.

use libp2p::PeerId;
use libp2p::kad;

use super::*;
use crate::p2p::{inbox, names, records};

/// Largest record other than an inbox.
const MAX_PLAIN_RECORD_BYTES: usize = 64 * 1024;

impl Driver {
    /// The engine's DHT commands: publish, withdraw, append to an inbox, look up.
    pub(super) fn on_dht_command(&mut self, command: NetworkCommand) {
        match command {
            NetworkCommand::PutRecord { key, value } => {
                self.published.insert(key.clone(), value.clone());
                self.put(kad::Record::new(key, value));
            }
            NetworkCommand::PutExpiring { key, value, ttl } => {
                let expires = clock() + ttl;
                self.expiring.insert(key.clone(), (value.clone(), expires));
                let mut record = kad::Record::new(key, value);
                record.expires = Some(expires);
                self.put(record);
            }
            NetworkCommand::Withdraw { key, ttl } => {
                self.expiring.remove(&key);
                self.published.remove(&key);
                let mut tombstone = kad::Record::new(key, Vec::new());
                tombstone.expires = Some(clock() + ttl);
                self.put(tombstone);
            }
            NetworkCommand::AppendToInbox { key, letter } => {
                let merged = {
                    let kad = &mut self.swarm.behaviour_mut().kad;
                    let existing =
                        kad::store::RecordStore::get(kad.store_mut(), &kad::RecordKey::new(&key))
                            .map(|record| record.value.clone())
                            .unwrap_or_default();
                    inbox::merge_inbox(&existing, &inbox::encode_inbox(vec![letter]))
                };
                tracing::debug!(bytes = merged.len(), "putting an inbox record");
                // Kept here too, and republished with the others when peers appear.
                self.published.insert(key.clone(), merged.clone());
                let record = kad::Record::new(key, merged);
                // Straight to the peers connected now (a bootstrap node, say), which does not
                // wait for a lookup that may stall on peers that just went away; and to the
                // closest peers found by the lookup.
                let connected: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
                let kad = &mut self.swarm.behaviour_mut().kad;
                if !connected.is_empty() {
                    let query =
                        kad.put_record_to(record.clone(), connected.into_iter(), kad::Quorum::One);
                    self.inbox_puts.insert(query);
                }
                match kad.put_record(record, kad::Quorum::One) {
                    Ok(query) => {
                        self.inbox_puts.insert(query);
                    }
                    Err(err) => tracing::warn!(%err, "cannot store an inbox record"),
                }
            }
            NetworkCommand::GetRecord { key, tag } => {
                let query = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .get_record(kad::RecordKey::new(&key));
                self.record_queries.insert(query, (tag, Vec::new()));
            }
            // The rest are not about the DHT (see `on_command`).
            _ => {}
        }
    }

    /// Puts our records again after the routing table gained peers: a record put while
    /// we knew nobody (at start) is only stored locally.
    pub(super) fn republish_if_due(&mut self) {
        if !self.republish_due {
            return;
        }
        self.republish_due = false;
        let now = clock();
        self.expiring.retain(|_, (_, expires)| *expires > now);
        let mut records: Vec<kad::Record> = self
            .published
            .iter()
            .map(|(key, value)| kad::Record::new(key.clone(), value.clone()))
            .collect();
        records.extend(self.expiring.iter().map(|(key, (value, expires))| {
            let mut record = kad::Record::new(key.clone(), value.clone());
            record.expires = Some(*expires);
            record
        }));
        for record in records {
            self.put(record);
        }
    }

    /// Stores a record here and at the closest peers.
    pub(super) fn put(&mut self, record: kad::Record) {
        match self
            .swarm
            .behaviour_mut()
            .kad
            .put_record(record, kad::Quorum::One)
        {
            Ok(query) => {
                self.record_puts.insert(query);
            }
            Err(err) => tracing::warn!(%err, "cannot store a DHT record"),
        }
    }

    /// A peer asks us to store a record: inbox records are merged with what we hold,
    /// others replace it if they are of a sane size.
    pub(super) fn store_record(&mut self, mut record: kad::Record) {
        let kad = &mut self.swarm.behaviour_mut().kad;
        if record.key.as_ref().starts_with(inbox::INBOX_KEY_PREFIX) {
            if inbox::decode_inbox(&record.value).is_err() {
                self.refuse("malformed inbox record");
                return;
            }
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone())
                .unwrap_or_default();
            record.value = inbox::merge_inbox(&existing, &record.value);
        } else if let Some(account) = records::device_list_account(record.key.as_ref()) {
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone());
            if !records::should_store_device_list(&account, &record.value, existing.as_deref()) {
                self.refuse("forged or stale device list");
                return;
            }
        } else if let Some(name) = names::name_of_key(record.key.as_ref()) {
            let existing = kad::store::RecordStore::get(kad.store_mut(), &record.key)
                .map(|stored| stored.value.clone());
            if !names::should_store(name, &record.value, existing.as_deref()) {
                self.refuse("name held by another account, or forged");
                return;
            }
        } else if record.value.len() > MAX_PLAIN_RECORD_BYTES {
            self.refuse("oversized record");
            return;
        }
        let bytes = record.value.len();
        match kad::store::RecordStore::put(kad.store_mut(), record) {
            Ok(()) => tracing::debug!(bytes, "record stored for a peer"),
            Err(err) => tracing::debug!(%err, "record not stored"),
        }
    }

    pub(super) fn on_kad(&mut self, event: kad::Event, emit: &dyn Fn(NetworkEvent)) {
        if let kad::Event::InboundRequest {
            request:
                kad::InboundRequest::PutRecord {
                    record: Some(record),
                    ..
                },
        } = event
        {
            self.store_record(record);
            return;
        }
        if let kad::Event::RoutingUpdated {
            is_new_peer: true, ..
        } = event
        {
            self.republish_due = !self.published.is_empty() || !self.expiring.is_empty();
            return;
        }
        let kad::Event::OutboundQueryProgressed {
            id, result, step, ..
        } = event
        else {
            return;
        };
        match result {
            kad::QueryResult::PutRecord(result) => {
                tracing::debug!(ok = result.is_ok(), "DHT put finished");
                if self.inbox_puts.remove(&id) && result.is_ok() {
                    self.inbox_stored += 1;
                }
                if self.record_puts.remove(&id) && result.is_ok() {
                    self.records_stored += 1;
                }
            }
            kad::QueryResult::GetRecord(Ok(kad::GetRecordOk::FoundRecord(found))) => {
                if let Some((_, values)) = self.record_queries.get_mut(&id) {
                    values.push(found.record.value);
                }
            }
            kad::QueryResult::GetClosestPeers(Ok(ok)) => {
                if let Some(peer) = self.peer_lookups.remove(&id)
                    && let Some(info) = ok.peers.into_iter().find(|info| info.peer_id == peer)
                {
                    let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                        .addresses(info.addrs)
                        .build();
                    self.swarm.dial(opts).ok();
                }
            }
            _ => {}
        }
        if step.last {
            self.peer_lookups.remove(&id);
            if let Some((tag, values)) = self.record_queries.remove(&id) {
                emit(NetworkEvent::Records { tag, values });
            }
        }
    }
}
