//! Publishing our presence to a presence server (PUBLISH, RFC 3903): the PIDF document
//! goes to our own AOR; the server's entity tag lets refreshes carry no body, and a lost
//! tag (412) makes the next PUBLISH start over.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Purpose, UaEvent, UserAgent};
use crate::sip::message::{Method, SipMessage};

/// Seconds asked for each publication.
const PUBLISH_EXPIRES: u32 = 600;

/// Our publication at the presence server.
#[derive(Debug, Clone)]
pub(super) struct Publication {
    to: SocketAddr,
    /// The server's SIP-ETag for what we published.
    etag: Option<String>,
    expires: u32,
    pub(super) refresh_at: Option<Instant>,
}

impl UserAgent {
    /// Publishes our presence (as last set with [`UserAgent::set_presence`]) to our AOR
    /// through `to`, and keeps it fresh; later changes are published too.
    pub fn publish_presence(&mut self, now: Instant, to: SocketAddr) {
        self.publication = Some(Publication {
            to,
            etag: None,
            expires: PUBLISH_EXPIRES,
            refresh_at: None,
        });
        self.send_publish(now, true);
    }

    /// Sends a PUBLISH: with the document when `full`, else a refresh of the entity tag.
    pub(super) fn send_publish(&mut self, now: Instant, full: bool) {
        let Some(publication) = self.publication.as_mut() else {
            return;
        };
        publication.refresh_at = None;
        let publication = publication.clone();
        let aor = self.config.local_uri.trim_matches(['<', '>']).to_owned();
        let mut request = self.new_request(Method::Publish, &aor, &self.config.local_uri.clone());
        request.headers.push("Event", "presence");
        request
            .headers
            .push("Expires", publication.expires.to_string());
        let full = full || publication.etag.is_none();
        if let Some(etag) = &publication.etag {
            request.headers.push("SIP-If-Match", etag.clone());
        }
        if full {
            request.headers.push("Content-Type", "application/pidf+xml");
            request.body = super::pidf(&aor, self.presence.0, &self.presence.1).into_bytes();
        }
        self.send_request(now, publication.to, request, Purpose::Publish, 0);
    }

    pub(super) fn on_publish_response(
        &mut self,
        now: Instant,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        if code < 200 {
            return;
        }
        let Some(publication) = self.publication.as_mut() else {
            return;
        };
        match (code, response) {
            (200..=299, Some(response)) => {
                publication.etag = response
                    .headers
                    .get("SIP-ETag")
                    .map(|tag| tag.trim().to_owned());
                publication.refresh_at =
                    Some(now + super::refresh_delay(response, publication.expires));
            }
            (412, _) => {
                // RFC 3903 §4.4: the server lost our entity; publish the document again.
                publication.etag = None;
                self.send_publish(now, true);
                return;
            }
            (423, Some(response)) => {
                let minimum = response
                    .headers
                    .get("Min-Expires")
                    .and_then(|value| value.trim().parse::<u32>().ok());
                if let Some(minimum) = minimum.filter(|minimum| *minimum > publication.expires) {
                    publication.expires = minimum;
                    self.send_publish(now, true);
                    return;
                }
                publication.refresh_at = Some(now + Duration::from_secs(300));
            }
            _ => {
                publication.etag = None;
                publication.refresh_at = Some(now + Duration::from_secs(300));
            }
        }
        self.event(UaEvent::Published { code });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::transaction::response_to;
    use crate::sip::ua::{UaConfig, UaOutput};

    #[expect(
        clippy::disallowed_methods,
        reason = "the fake clock needs one real starting point"
    )]
    fn clock() -> Instant {
        Instant::now()
    }

    fn sent(ua: &mut UserAgent) -> Vec<SipMessage> {
        let mut out = Vec::new();
        while let Some(output) = ua.poll_output() {
            if let UaOutput::Transmit { bytes, .. } = output {
                out.push(SipMessage::parse(&bytes).unwrap());
            }
        }
        out
    }

    #[test]
    fn publishes_refreshes_by_entity_tag_and_starts_over_after_412() {
        let start = clock();
        let server: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let mut ua = UserAgent::new(
            UaConfig {
                local_uri: "<sip:alice@example.org>".into(),
                contact: "sip:alice@127.0.0.1:5070".into(),
                via_sent_by: "UDP 127.0.0.1:5070".into(),
                user_agent: "test".into(),
                credentials: None,
            },
            3,
        );
        ua.set_presence(start, false, "away");
        assert!(
            sent(&mut ua).is_empty(),
            "nothing published before publish_presence"
        );
        ua.publish_presence(start, server);
        let first = sent(&mut ua).remove(0);
        assert!(String::from_utf8_lossy(&first.body).contains("<basic>closed</basic>"));
        assert_eq!(first.headers.get("Event"), Some("presence"));
        assert!(first.headers.get("SIP-If-Match").is_none());
        let mut ok = response_to(&first, 200, "OK");
        ok.headers.push("SIP-ETag", "e1");
        ok.headers.push("Expires", "40");
        ua.handle_datagram(start, server, &ok.to_bytes());
        sent(&mut ua);
        // The refresh, 30 s on, names the entity and carries no document.
        ua.handle_timeout(start + Duration::from_secs(30));
        let refresh = sent(&mut ua).remove(0);
        assert_eq!(refresh.headers.get("SIP-If-Match"), Some("e1"));
        assert!(refresh.body.is_empty());
        // The server forgot the entity: the next PUBLISH carries the document again.
        ua.handle_datagram(
            start + Duration::from_secs(30),
            server,
            &response_to(&refresh, 412, "Conditional Request Failed").to_bytes(),
        );
        let again = sent(&mut ua).remove(0);
        assert!(again.headers.get("SIP-If-Match").is_none());
        assert!(!again.body.is_empty());
    }
}
