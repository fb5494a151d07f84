//! The calls this engine knows, in one owner: each call's row, the id counter it shares
//! with the drivers (which number incoming calls), the calls whose audio runs on the media
//! thread and the calls ringing here. Its fields are private: what a call is, and which of
//! these sets it is in, is read and changed only through the methods below.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::calls::CallRow;
use crate::model::CallId;

/// Every call in progress.
pub(super) struct CallTable {
    /// The calls, by id.
    rows: BTreeMap<CallId, CallRow>,
    /// The next id, shared with the drivers.
    ids: Arc<AtomicU64>,
    /// Calls whose audio the media thread runs.
    with_media: HashSet<CallId>,
    /// Calls ringing here (the ringtone plays while any does).
    ringing: HashSet<CallId>,
}

impl CallTable {
    /// No calls; ids from 1.
    pub(super) fn new() -> CallTable {
        CallTable {
            rows: BTreeMap::new(),
            ids: Arc::new(AtomicU64::new(1)),
            with_media: HashSet::new(),
            ringing: HashSet::new(),
        }
    }

    /// The id counter, for a driver that numbers the calls it receives.
    pub(super) fn id_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.ids)
    }

    /// A fresh call id.
    pub(super) fn next_id(&self) -> CallId {
        CallId(self.ids.fetch_add(1, Ordering::Relaxed))
    }

    /// A call's row.
    pub(super) fn get(&self, call: CallId) -> Option<&CallRow> {
        self.rows.get(&call)
    }

    /// A call's row, to change.
    pub(super) fn get_mut(&mut self, call: CallId) -> Option<&mut CallRow> {
        self.rows.get_mut(&call)
    }

    /// Whether the call is in progress.
    pub(super) fn contains(&self, call: CallId) -> bool {
        self.rows.contains_key(&call)
    }

    /// A new call.
    pub(super) fn insert(&mut self, call: CallId, row: CallRow) {
        self.rows.insert(call, row);
    }

    /// The call is over: its row (ringing and media are stopped by their own methods,
    /// which also act on the ringtone and the media thread).
    pub(super) fn remove(&mut self, call: CallId) -> Option<CallRow> {
        self.rows.remove(&call)
    }

    /// Every call's row.
    pub(super) fn rows(&self) -> impl Iterator<Item = &CallRow> {
        self.rows.values()
    }

    /// Every call, with its id.
    pub(super) fn iter(&self) -> impl Iterator<Item = (CallId, &CallRow)> {
        self.rows.iter().map(|(call, row)| (*call, row))
    }

    /// Whether the media thread runs the call's audio.
    pub(super) fn has_media(&self, call: CallId) -> bool {
        self.with_media.contains(&call)
    }

    /// Whether any call has audio running.
    pub(super) fn any_media(&self) -> bool {
        !self.with_media.is_empty()
    }

    /// The call's audio starts; false if it ran already.
    pub(super) fn media_started(&mut self, call: CallId) -> bool {
        self.with_media.insert(call)
    }

    /// The call's audio stops; false if it did not run.
    pub(super) fn media_stopped(&mut self, call: CallId) -> bool {
        self.with_media.remove(&call)
    }

    /// Whether any call rings here.
    pub(super) fn any_ringing(&self) -> bool {
        !self.ringing.is_empty()
    }

    /// The call rings; true if it is the first to (the ringtone starts).
    pub(super) fn ring(&mut self, call: CallId) -> bool {
        let first = self.ringing.is_empty();
        self.ringing.insert(call);
        first
    }

    /// The call no longer rings; true if it was the last that did (the ringtone stops).
    pub(super) fn stop_ringing(&mut self, call: CallId) -> bool {
        self.ringing.remove(&call) && self.ringing.is_empty()
    }
}
