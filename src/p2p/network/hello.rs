//! Request-response between devices, and the `Hello` exchange that gates it: nothing a
//! peer sends reaches the engine before its device certificate checked out.

use libp2p::PeerId;
use libp2p::request_response::{self, ResponseChannel};
use libp2p::swarm::ConnectionId;

use super::*;
use crate::model::AccountId;
use crate::p2p::identity::DeviceCertificate;
use crate::p2p::wire::{Request, Response};

/// Times a failed Hello is sent again on the same connection.
const MAX_HELLO_RETRIES: u32 = 3;
/// Requests held per peer until its Hello is verified.
const MAX_EARLY_REQUESTS: usize = 64;

impl Driver {
    pub(super) fn on_message(
        &mut self,
        event: request_response::Event<Request, Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        match event {
            request_response::Event::Message {
                peer,
                connection_id,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
            } => self.on_request((peer, connection_id), request, channel, emit),
            request_response::Event::Message {
                peer,
                connection_id,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
            } => match self.outbound.remove(&request_id) {
                Some(Outbound::Hello) => {
                    self.on_hello_answer((peer, connection_id), response, emit);
                }
                Some(Outbound::Engine(tag)) => emit(NetworkEvent::Response {
                    tag,
                    peer,
                    response,
                }),
                None => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                match self.outbound.remove(&request_id) {
                    Some(Outbound::Engine(tag)) => emit(NetworkEvent::SendFailed {
                        tag,
                        peer,
                        error: error.to_string(),
                    }),
                    // The stream of our Hello failed (a duplicate connection closed, say):
                    // say it again while the peer is still connected.
                    Some(Outbound::Hello) if self.swarm.is_connected(&peer) => {
                        let retries = self.hello_retries.entry(peer).or_default();
                        *retries += 1;
                        if *retries <= MAX_HELLO_RETRIES {
                            self.send_hello(peer);
                        }
                    }
                    _ => {}
                }
            }
            request_response::Event::InboundFailure { error, .. } => {
                self.refuse(&format!("inbound failure: {error}"));
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    pub(super) fn on_request(
        &mut self,
        (peer, connection): (PeerId, ConnectionId),
        request: Request,
        channel: ResponseChannel<Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        if let Request::Hello {
            certificate,
            instance,
        } = request
        {
            match verify_peer(&peer, &certificate) {
                Ok(account) => {
                    match &self.certificate {
                        Some(own) => {
                            let own = own.clone();
                            let answer = Response::Hello {
                                certificate: own,
                                instance: self.instance,
                            };
                            self.answer(channel, answer);
                        }
                        None => {
                            self.answer(channel, Response::Refused("a node has no account".into()))
                        }
                    }
                    self.note_instance(peer, instance, connection);
                    self.mark_verified(peer, account, certificate, emit);
                }
                Err(reason) => {
                    self.refuse("bad certificate");
                    self.answer(channel, Response::Refused(reason.to_string()));
                }
            }
            return;
        }
        let Some(account) = self.verified.get(&peer).cloned() else {
            // Its Hello may still be on its way on another stream: hold a few requests
            // until it is verified (they are dropped if it never is).
            let early = self.early.entry(peer).or_default();
            if early.len() < MAX_EARLY_REQUESTS {
                early.push((request, channel));
            } else {
                self.refuse("request before hello");
                self.answer(channel, Response::Refused("say hello first".into()));
            }
            return;
        };
        self.deliver(peer, account, request, channel, emit);
    }

    pub(super) fn deliver(
        &mut self,
        peer: PeerId,
        account: AccountId,
        request: Request,
        channel: ResponseChannel<Response>,
        emit: &dyn Fn(NetworkEvent),
    ) {
        let inbound = self.next_inbound;
        self.next_inbound += 1;
        self.inbound.insert(inbound, channel);
        emit(NetworkEvent::Request {
            peer,
            account,
            inbound,
            request,
        });
    }

    /// A peer proved its certificate (by its Hello or its answer to ours): tell the engine
    /// once per connection, then hand over what it asked meanwhile.
    pub(super) fn mark_verified(
        &mut self,
        peer: PeerId,
        account: AccountId,
        certificate: DeviceCertificate,
        emit: &dyn Fn(NetworkEvent),
    ) {
        // Also for a peer verified before: a Hello comes with a new connection, perhaps
        // from a restarted process, which the engine greets again (heads, waiting pushes).
        self.verified.insert(peer, account.clone());
        let address = self.addresses.get(&peer).cloned();
        emit(NetworkEvent::PeerVerified {
            peer,
            account: account.clone(),
            certificate,
            address,
        });
        self.report_path(peer, emit);
        for (request, channel) in self.early.remove(&peer).unwrap_or_default() {
            self.deliver(peer, account.clone(), request, channel, emit);
        }
    }

    pub(super) fn send_hello(&mut self, peer: PeerId) {
        let Some(certificate) = self.certificate.clone() else {
            return;
        };
        let id = self.swarm.behaviour_mut().messages.send_request(
            &peer,
            Request::Hello {
                certificate,
                instance: self.instance,
            },
        );
        self.outbound.insert(id, Outbound::Hello);
    }

    pub(super) fn answer(&mut self, channel: ResponseChannel<Response>, response: Response) {
        // A peer that went away meanwhile gets nothing; it syncs again when it returns.
        self.swarm
            .behaviour_mut()
            .messages
            .send_response(channel, response)
            .ok();
    }

    pub(super) fn on_hello_answer(
        &mut self,
        (peer, connection): (PeerId, ConnectionId),
        response: Response,
        emit: &dyn Fn(NetworkEvent),
    ) {
        let Response::Hello {
            certificate,
            instance,
        } = response
        else {
            // A node, or a peer that refused us: nothing more to say to it.
            return;
        };
        match verify_peer(&peer, &certificate) {
            Ok(account) => {
                self.note_instance(peer, instance, connection);
                self.mark_verified(peer, account, certificate, emit);
            }
            Err(_) => self.refuse("bad certificate in hello answer"),
        }
    }

    /// A verified Hello on `connection` named the peer's process. When that is a new one
    /// (the peer restarted), its connections opened before this one lead to the old
    /// process: they are closed, so that no call or message goes into one of them (over QUIC a dead
    /// connection looks alive until its idle timeout).
    pub(super) fn note_instance(&mut self, peer: PeerId, instance: u64, connection: ConnectionId) {
        if instance == 0 {
            return;
        }
        let before = self.instances.insert(peer, instance);
        if before.is_none_or(|before| before == instance) {
            return;
        }
        let stale: Vec<ConnectionId> = self
            .connections
            .iter()
            // Only older ones: a late answer from the old process, on its old connection,
            // must not close the new process's connections.
            .filter(|(id, (owner, _))| *owner == peer && **id < connection)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            tracing::debug!(%peer, ?id, "the peer restarted: closing its old connection");
            self.swarm.close_connection(id);
        }
    }
}

/// Why a peer's certificate is refused.
#[derive(Debug, thiserror::Error)]
pub enum PeerCertificateError {
    /// Not signed by the account it names, or malformed.
    #[error(transparent)]
    Invalid(#[from] crate::p2p::identity::IdentityError),
    /// A good certificate, for another device than the connection's.
    #[error("the certificate is for another device")]
    OtherDevice,
}

/// Checks that a certificate is valid and names the connection's peer.
pub fn verify_peer(
    peer: &PeerId,
    certificate: &DeviceCertificate,
) -> Result<AccountId, PeerCertificateError> {
    let account = certificate.verify()?;
    if certificate.device_id != peer.to_base58() {
        return Err(PeerCertificateError::OtherDevice);
    }
    Ok(account)
}
