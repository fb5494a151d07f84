//! Server transactions by key, with an index of their deadlines. Over UDP an answered
//! transaction lingers 32 s (Timers J and L) to absorb retransmissions, so a UA answering
//! 200 calls a second holds thousands: the next deadline and the transactions due are found
//! in the index, not by a scan of all of them after every datagram.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use super::Key;
use crate::sip::transaction::ServerTransaction;

#[derive(Debug)]
struct Entry {
    /// The transaction and where its responses go.
    pair: (ServerTransaction, SocketAddr),
    /// The deadline it is indexed under.
    armed: Option<Instant>,
}

/// Server transactions and when each next needs its timer.
#[derive(Debug, Default)]
pub(super) struct Servers {
    table: HashMap<Key, Entry>,
    deadlines: BTreeSet<(Instant, Key)>,
}

impl Servers {
    pub(super) fn get_mut(&mut self, key: &Key) -> Option<&mut (ServerTransaction, SocketAddr)> {
        self.table.get_mut(key).map(|entry| &mut entry.pair)
    }

    /// Adds a transaction; [`Servers::rearm`] indexes it once it has been fed.
    pub(super) fn insert(&mut self, key: Key, transaction: ServerTransaction, to: SocketAddr) {
        if let Some(old) = self.table.insert(
            key.clone(),
            Entry {
                pair: (transaction, to),
                armed: None,
            },
        ) && let Some(at) = old.armed
        {
            self.deadlines.remove(&(at, key));
        }
    }

    pub(super) fn remove(&mut self, key: &Key) {
        if let Some(entry) = self.table.remove(key)
            && let Some(at) = entry.armed
        {
            self.deadlines.remove(&(at, key.clone()));
        }
    }

    /// Indexes `key` under its transaction's deadline now: call after every input to it.
    pub(super) fn rearm(&mut self, key: &Key) {
        let Some(entry) = self.table.get_mut(key) else {
            return;
        };
        let next = entry.pair.0.poll_timeout();
        if next == entry.armed {
            return;
        }
        if let Some(at) = entry.armed {
            self.deadlines.remove(&(at, key.clone()));
        }
        if let Some(at) = next {
            self.deadlines.insert((at, key.clone()));
        }
        entry.armed = next;
    }

    /// The earliest deadline of any transaction.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Takes the transactions due at `now` out of the index; each is indexed again when
    /// rearmed after its timeout.
    pub(super) fn take_due(&mut self, now: Instant) -> Vec<Key> {
        let mut due = Vec::new();
        while let Some((at, _)) = self.deadlines.first()
            && *at <= now
        {
            let Some((_, key)) = self.deadlines.pop_first() else {
                break;
            };
            if let Some(entry) = self.table.get_mut(&key) {
                entry.armed = None;
            }
            due.push(key);
        }
        due
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sip::message::{Method, SipMessage};
    use crate::sip::transaction::Input;

    fn request(branch: &str, method: &str) -> SipMessage {
        let text = format!(
            "{method} sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch={branch}\r\n\
             From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: {branch}\r\n\
             CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        match SipMessage::parse(text.as_bytes()) {
            Ok(message) => message,
            Err(err) => panic!("test request does not parse: {err}"),
        }
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "the fake clock needs one real starting point"
    )]
    fn clock() -> Instant {
        Instant::now()
    }

    /// The index follows each transaction's deadline through answer, timeout and removal,
    /// and hands out only what is due.
    #[test]
    fn the_index_follows_each_transactions_deadline() {
        let start = clock();
        let from: SocketAddr = ([127, 0, 0, 1], 5070).into();
        let mut servers = Servers::default();
        for (n, at) in [(1, 0), (2, 5)] {
            let now = start + Duration::from_secs(at);
            let message = request(&format!("z9hG4bK{n}"), "OPTIONS");
            let key = (format!("z9hG4bK{n}"), Method::Options);
            servers.insert(
                key.clone(),
                ServerTransaction::new(now, &message, false),
                from,
            );
            servers.rearm(&key);
            // A transaction in Trying has no timer: the index holds only the first's J.
            let earlier = (n == 2).then(|| start + Duration::from_secs(32));
            assert_eq!(servers.next_deadline(), earlier);
            let ok = crate::sip::transaction::response_to(&message, 200, "OK");
            if let Some((transaction, _)) = servers.get_mut(&key) {
                transaction.handle_input(now, Input::Respond(ok));
            }
            servers.rearm(&key);
        }
        // Timer J: 64*T1 = 32 s after each answer.
        let first = start + Duration::from_secs(32);
        assert_eq!(servers.next_deadline(), Some(first));
        assert!(
            servers
                .take_due(first - Duration::from_millis(1))
                .is_empty()
        );
        let due = servers.take_due(first);
        assert_eq!(due, vec![("z9hG4bK1".to_owned(), Method::Options)]);
        assert_eq!(
            servers.next_deadline(),
            Some(start + Duration::from_secs(37))
        );
        servers.remove(&due[0]);
        servers.remove(&("z9hG4bK2".to_owned(), Method::Options));
        assert_eq!(servers.next_deadline(), None);
        assert_eq!(servers.len(), 0);
    }
}
