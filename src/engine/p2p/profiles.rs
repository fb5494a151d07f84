//! What P2P accounts show of each other: the name and picture in each account's signed
//! device list. A list names its picture by hash (`p2p::picture::hash`); a device that lacks
//! the picture named asks the device that sent the list for it, checks that it is the one
//! named and that it decodes, and keeps it.

use libp2p::PeerId;

use super::Outstanding;
use crate::engine::{EngineCore, Event};
use crate::model::{AccountId, Picture};
use crate::p2p::picture;
use crate::p2p::wire::{Request, Response};

/// Why fetched `bytes` are not the picture a device list named by `hash`: another
/// picture, or not one at all.
fn not_the_named_picture(bytes: &[u8], hash: &str) -> Option<String> {
    if picture::hash(bytes) != hash {
        return Some("not the picture its device list names".into());
    }
    picture::check(bytes).err().map(|err| err.to_string())
}

/// Whether `hash` is how device lists name a picture: hex SHA-256.
fn is_picture_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl EngineCore {
    /// What our device list says of `account`'s picture: its hash (empty for none) and
    /// when it was set or removed.
    pub(in crate::engine) fn own_picture_listed(&self, account: &AccountId) -> (String, u64) {
        match self.store.account_picture(account) {
            Ok((picture, set_ms)) => (
                picture
                    .map(|bytes| picture::hash(&bytes))
                    .unwrap_or_default(),
                set_ms.max(0) as u64,
            ),
            Err(err) => {
                tracing::warn!(%err, %account, "the account's picture not read");
                (String::new(), 0)
            }
        }
    }

    /// `Request::Picture`: our picture, if it is the one asked for.
    pub(super) fn serve_picture(&self, account: &AccountId, hash: &str) -> Response {
        match self.store.account_picture(account) {
            Ok((Some(bytes), _)) if picture::hash(&bytes) == hash => Response::Picture { bytes },
            Ok(_) => Response::Refused("no such picture".into()),
            Err(err) => {
                tracing::warn!(%err, %account, "the account's picture not read");
                Response::Refused("the picture cannot be read now".into())
            }
        }
    }

    /// The profile another account gives itself in its device list, from its device
    /// `device`: kept if newer than the one held; its name told when it changed, its picture
    /// asked of that device when not held yet.
    pub(super) fn learn_profile(
        &mut self,
        id: &AccountId,
        device: PeerId,
        peer: &AccountId,
        list: &crate::p2p::records::DeviceList,
    ) {
        // A name, not a text: one line, and at most 64 characters like ours.
        let name: String = list
            .name
            .chars()
            .filter(|ch| !ch.is_control())
            .take(64)
            .collect();
        let name = name.trim();
        let hash = if is_picture_hash(&list.picture) {
            list.picture.as_str()
        } else {
            ""
        };
        let published_ms = list.published_ms.min(i64::MAX as u64) as i64;
        let change = match self
            .store
            .set_peer_profile(id, peer, name, hash, published_ms)
        {
            Ok(change) => change,
            Err(err) => {
                tracing::warn!(%err, "a peer's profile not kept");
                return;
            }
        };
        if change.name && !name.is_empty() {
            self.events.emit(Event::PeerProfile {
                account: id.clone(),
                peer: peer.0.clone(),
                name: name.to_owned(),
            });
        }
        if change.picture && hash.is_empty() {
            self.events.emit(Event::Picture {
                account: id.clone(),
                peer: Some(peer.0.clone()),
                picture: None,
            });
        }
        if change.picture_wanted
            && let Some(account) = self.p2p.get_mut(id)
        {
            let asked = account.asked.any(|what| {
                matches!(what, Outstanding::Picture { peer: p, hash: h } if p == peer && h == hash)
            });
            if !asked {
                account.send(
                    device,
                    Request::Picture {
                        hash: hash.to_owned(),
                    },
                    Outstanding::Picture {
                        peer: peer.clone(),
                        hash: hash.to_owned(),
                    },
                );
            }
        }
    }

    /// Our account's picture as another device of ours lists it: taken if it was set (or
    /// removed) there after ours, the picture itself asked of that device.
    pub(super) fn learn_own_picture(
        &mut self,
        id: &AccountId,
        device: PeerId,
        list: &crate::p2p::records::DeviceList,
    ) {
        let (ours, ours_ms) = self.own_picture_listed(id);
        if list.picture_ms <= ours_ms {
            return;
        }
        let set_ms = list.picture_ms.min(i64::MAX as u64) as i64;
        if list.picture.is_empty() || list.picture == ours {
            let bytes = if list.picture.is_empty() {
                None
            } else {
                self.store
                    .account_picture(id)
                    .ok()
                    .and_then(|(bytes, _)| bytes)
            };
            if let Err(error) = self.set_own_picture(id, bytes, set_ms) {
                tracing::warn!(%error, "the picture of another device of ours not kept");
            }
            return;
        }
        if !is_picture_hash(&list.picture) {
            return;
        }
        if let Some(account) = self.p2p.get_mut(id) {
            let asked = account.asked.any(
                |what| matches!(what, Outstanding::OwnPicture { hash, .. } if *hash == list.picture),
            );
            if !asked {
                account.send(
                    device,
                    Request::Picture {
                        hash: list.picture.clone(),
                    },
                    Outstanding::OwnPicture {
                        hash: list.picture.clone(),
                        set_ms,
                    },
                );
            }
        }
    }

    /// Another device of ours sent the picture it lists: kept if it is the one named, it
    /// decodes, and nothing newer was set here meanwhile.
    pub(super) fn on_own_picture(
        &mut self,
        id: &AccountId,
        hash: &str,
        set_ms: i64,
        response: Response,
    ) {
        let Response::Picture { bytes } = response else {
            return;
        };
        if let Some(reason) = not_the_named_picture(&bytes, hash) {
            self.p2p_rejected += 1;
            tracing::info!(%reason, "a picture from another device of ours refused");
            return;
        }
        let (_, ours_ms) = self.own_picture_listed(id);
        if set_ms.max(0) as u64 <= ours_ms {
            return;
        }
        if let Err(error) = self.set_own_picture(id, Some(bytes), set_ms) {
            tracing::warn!(%error, "the picture of another device of ours not kept");
        }
    }

    /// The answer to our `Request::Picture`: kept if it is the picture named and decodes.
    pub(super) fn on_picture(
        &mut self,
        id: &AccountId,
        peer: &AccountId,
        hash: String,
        response: Response,
    ) {
        let bytes = match response {
            Response::Picture { bytes } => bytes,
            Response::Refused(reason) => {
                tracing::debug!(%peer, %reason, "picture not sent");
                return;
            }
            _ => {
                self.p2p_rejected += 1;
                return;
            }
        };
        if let Some(reason) = not_the_named_picture(&bytes, &hash) {
            self.p2p_rejected += 1;
            tracing::info!(%peer, %reason, "a contact's picture refused");
            return;
        }
        match self.store.set_peer_picture(id, peer, &hash, &bytes) {
            Ok(true) => self.events.emit(Event::Picture {
                account: id.clone(),
                peer: Some(peer.0.clone()),
                picture: Some(Picture { hash, bytes }),
            }),
            Ok(false) => {}
            Err(err) => tracing::warn!(%err, "a contact's picture not kept"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_picture_hash;

    #[test]
    fn only_lower_case_hex_sha256_names_a_picture() {
        let hash = crate::p2p::picture::hash(b"x");
        assert!(is_picture_hash(&hash));
        assert!(!is_picture_hash(&hash.to_uppercase()));
        assert!(!is_picture_hash(&hash[1..]));
        assert!(!is_picture_hash(""));
        assert!(!is_picture_hash(&format!("{}g", &hash[1..])));
    }
}
