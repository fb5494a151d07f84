//! Registration (RFC 3261 §10): one binding per UA, refreshed before it expires, removed
//! on request; `423 Interval Too Brief` raises the interval, failures retry later.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Purpose, UaEvent, UserAgent};
use crate::sip::header::NameAddr;
use crate::sip::message::{Method, SipMessage};

/// Wait before trying again after a failed registration.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// The registration's state in the UA.
#[derive(Debug, Clone)]
pub(super) struct Registration {
    /// Where REGISTER goes (the registrar or the outbound proxy).
    to: SocketAddr,
    /// The registrar's Request-URI.
    uri: String,
    call_id: String,
    tag: String,
    /// Our last CSeq (§10.2: one Call-ID, CSeq increasing, for all REGISTERs to a registrar).
    pub(super) seq: u32,
    /// Seconds asked for.
    expires: u32,
    /// When to send the next REGISTER.
    pub(super) refresh_at: Option<Instant>,
    /// True while removing the binding.
    removing: bool,
    /// Our Contact before a move: removed (`expires=0`) in the REGISTERs that bind the
    /// new one, until one is accepted.
    stale_contact: Option<String>,
}

/// When to refresh a binding granted for `seconds`: well before it lapses, as most UAs do
/// (half way for short bindings, a minute early for long ones), never sooner than 1 s.
fn refresh_after(seconds: u32) -> Duration {
    let seconds = u64::from(seconds);
    let early = if seconds > 120 {
        seconds - 60
    } else {
        seconds / 2
    };
    Duration::from_secs(early.max(1))
}

impl UserAgent {
    /// Registers our Contact with the registrar `uri`, sending to `to`, asking for
    /// `expires` seconds; the UA refreshes it until [`UserAgent::unregister`].
    pub fn register(&mut self, now: Instant, to: SocketAddr, uri: &str, expires: u32) {
        let tag = self.unique("");
        let call_id = self.unique("");
        self.registration = Some(Registration {
            to,
            uri: uri.to_owned(),
            call_id,
            tag,
            seq: 0,
            expires,
            refresh_at: None,
            removing: false,
            stale_contact: None,
        });
        self.send_register(now);
    }

    /// Removes our binding (Expires: 0). False when not registering.
    pub fn unregister(&mut self, now: Instant) -> bool {
        let Some(registration) = self.registration.as_mut() else {
            return false;
        };
        registration.removing = true;
        self.send_register(now);
        true
    }

    /// After a move: binds our new Contact at once and removes `old_contact` in the same
    /// REGISTER (RFC 3261 §10.2.2 allows both in one request). Nothing when not
    /// registered or when removing the binding.
    pub fn reregister(&mut self, now: Instant, old_contact: String) {
        let Some(registration) = self.registration.as_mut() else {
            return;
        };
        if registration.removing {
            return;
        }
        registration.stale_contact = Some(old_contact);
        self.send_register(now);
    }

    /// True from `register` until the binding is gone (the un-REGISTER answered or
    /// timed out).
    pub fn registering(&self) -> bool {
        self.registration.is_some()
    }

    pub(super) fn refresh_registration(&mut self, now: Instant) {
        self.send_register(now);
    }

    fn send_register(&mut self, now: Instant) {
        let Some(registration) = self.registration.as_mut() else {
            return;
        };
        registration.seq = registration.seq.wrapping_add(1);
        registration.refresh_at = None;
        let expires = if registration.removing {
            0
        } else {
            registration.expires
        };
        let registration = registration.clone();
        let aor = self.config.local_uri.clone();
        let mut request = self.request_in(
            Method::Register,
            &registration.uri,
            &aor,
            &registration.tag,
            &registration.call_id,
            registration.seq,
        );
        request
            .headers
            .push("Contact", format!("<{}>", self.config.contact));
        if let Some(stale) = &registration.stale_contact {
            request
                .headers
                .push("Contact", format!("<{stale}>;expires=0"));
        }
        request.headers.push("Expires", expires.to_string());
        self.send_request(now, registration.to, request, Purpose::Register, 0);
    }

    pub(super) fn on_register_response(
        &mut self,
        now: Instant,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        if code < 200 {
            return;
        }
        let contact = self.config.contact.clone();
        let Some(registration) = self.registration.as_mut() else {
            return;
        };
        if registration.removing {
            self.registration = None;
            self.event(UaEvent::Unregistered);
            return;
        }
        match (code, response) {
            (200..=299, Some(response)) => {
                let granted = granted_expires(response, &contact).unwrap_or(registration.expires);
                registration.stale_contact = None;
                registration.refresh_at = Some(now + refresh_after(granted));
                self.event(UaEvent::Registered { expires: granted });
            }
            (423, Some(response)) => {
                // §10.2.8: ask again with at least Min-Expires.
                let minimum = response
                    .headers
                    .get("Min-Expires")
                    .and_then(|value| value.trim().parse::<u32>().ok());
                match minimum {
                    Some(minimum) if minimum > registration.expires => {
                        registration.expires = minimum;
                        self.send_register(now);
                    }
                    _ => self.registration_failed(now, code, "423 Interval Too Brief".into()),
                }
            }
            _ => {
                let reason = match (code, response) {
                    (401 | 407, _) => {
                        format!("{code}: the registrar refused the user name or password")
                    }
                    (408, None) => "408: no answer from the registrar".to_owned(),
                    (_, Some(response)) => match &response.start {
                        crate::sip::StartLine::Response { reason, .. } => {
                            format!("{code} {reason}")
                        }
                        crate::sip::StartLine::Request { .. } => code.to_string(),
                    },
                    (_, None) => code.to_string(),
                };
                self.registration_failed(now, code, reason);
            }
        }
    }

    fn registration_failed(&mut self, now: Instant, code: u16, reason: String) {
        if let Some(registration) = self.registration.as_mut() {
            registration.refresh_at = Some(now + RETRY_AFTER_FAILURE);
        }
        self.event(UaEvent::RegistrationFailed { code, reason });
    }
}

/// The expiry the registrar granted our Contact: its `expires` parameter in the 2xx, else
/// the Expires header (§10.2.4).
fn granted_expires(response: &SipMessage, contact: &str) -> Option<u32> {
    let ours = crate::sip::SipUri::parse(contact).ok();
    let from_contact = response.headers.values("Contact").iter().find_map(|value| {
        let address = NameAddr::parse(value).ok()?;
        let same = match (&ours, crate::sip::SipUri::parse(&address.uri).ok()) {
            (Some(ours), Some(theirs)) => ours.equivalent(&theirs),
            _ => address.uri == contact,
        };
        if !same {
            return None;
        }
        address
            .params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("expires"))
            .and_then(|(_, value)| value.as_deref()?.trim().parse().ok())
    });
    from_contact.or_else(|| {
        response
            .headers
            .get("Expires")
            .and_then(|value| value.trim().parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::sip::StartLine;
    use crate::sip::auth::Challenge;
    use crate::sip::transaction::response_to;
    use crate::sip::ua::{UaConfig, UaCredentials, UaOutput};

    const CHALLENGE: &str =
        r#"Digest realm="ringlet.test", nonce="abc123", qop="auth", algorithm=MD5"#;

    #[expect(
        clippy::disallowed_methods,
        reason = "the fake clock needs one real starting point"
    )]
    fn clock() -> Instant {
        Instant::now()
    }

    fn registrar() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5060))
    }

    fn ua(password: &str) -> UserAgent {
        UserAgent::new(
            UaConfig {
                local_uri: "<sip:alice@ringlet.test>".into(),
                contact: "sip:alice@127.0.0.1:5070".into(),
                via_sent_by: "UDP 127.0.0.1:5070".into(),
                user_agent: "Ringlet test".into(),
                credentials: Some(UaCredentials {
                    username: "alice".into(),
                    password: password.into(),
                }),
            },
            7,
        )
    }

    /// Everything the UA queued: datagrams parsed, and events.
    fn drain(ua: &mut UserAgent) -> (Vec<SipMessage>, Vec<UaEvent>) {
        let (mut sent, mut events) = (Vec::new(), Vec::new());
        while let Some(output) = ua.poll_output() {
            match output {
                UaOutput::Transmit { to, bytes } => {
                    assert_eq!(to, registrar());
                    sent.push(SipMessage::parse(&bytes).unwrap());
                }
                UaOutput::Event(event) => events.push(event),
            }
        }
        (sent, events)
    }

    fn challenge(request: &SipMessage, code: u16) -> Vec<u8> {
        let mut response = response_to(request, code, "Unauthorized");
        let name = if code == 401 {
            "WWW-Authenticate"
        } else {
            "Proxy-Authenticate"
        };
        response.headers.push(name, CHALLENGE);
        response.to_bytes()
    }

    /// Checks an Authorization value the way a registrar does, with the known password.
    fn authorized(request: &SipMessage, header: &str, password: &str) -> bool {
        let Some(value) = request.headers.get(header) else {
            return false;
        };
        let param = |name: &str| {
            value
                .split(',')
                .find_map(|part| {
                    let (key, val) = part.trim().trim_start_matches("Digest ").split_once('=')?;
                    (key.trim() == name).then(|| val.trim().trim_matches('"').to_owned())
                })
                .unwrap_or_default()
        };
        let StartLine::Request { method, .. } = &request.start else {
            return false;
        };
        let nc = u32::from_str_radix(&param("nc"), 16).unwrap_or(0);
        let expected = Challenge::parse(CHALLENGE).unwrap().answer(
            &crate::sip::auth::Credentials {
                username: "alice",
                password,
            },
            method.as_str(),
            &param("uri"),
            nc,
            &param("cnonce"),
        );
        expected.contains(&format!("response=\"{}\"", param("response")))
    }

    fn seq(request: &SipMessage) -> u32 {
        crate::sip::CSeq::parse(request.headers.get("CSeq").unwrap())
            .unwrap()
            .seq
    }

    #[test]
    fn registers_with_digest_refreshes_and_unregisters() {
        let start = clock();
        let mut ua = ua("secret");
        ua.register(start, registrar(), "sip:ringlet.test", 60);
        let (sent, _) = drain(&mut ua);
        let [first] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(first.headers.get("Expires"), Some("60"));
        assert!(first.headers.get("Authorization").is_none());
        ua.handle_datagram(start, registrar(), &challenge(first, 401));
        let (sent, events) = drain(&mut ua);
        assert!(events.is_empty(), "{events:?}");
        let [second] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(seq(second), seq(first) + 1);
        assert_eq!(second.headers.get("Call-ID"), first.headers.get("Call-ID"));
        assert!(authorized(second, "Authorization", "secret"));

        let mut ok = response_to(second, 200, "OK");
        ok.headers
            .push("Contact", "<sip:alice@127.0.0.1:5070>;expires=40");
        ua.handle_datagram(start, registrar(), &ok.to_bytes());
        let (_, events) = drain(&mut ua);
        assert_eq!(events, [UaEvent::Registered { expires: 40 }]);

        // The refresh is due half way through the 40 s granted.
        let refresh = start + Duration::from_secs(20);
        let due = ua.poll_timeout().unwrap();
        assert!(due <= refresh, "refresh at {:?}", due - start);
        ua.handle_timeout(refresh);
        let (sent, _) = drain(&mut ua);
        let refreshed = sent
            .iter()
            .find(|message| {
                matches!(
                    &message.start,
                    StartLine::Request {
                        method: Method::Register,
                        ..
                    }
                )
            })
            .unwrap();
        assert_eq!(seq(refreshed), seq(second) + 1);
        assert_eq!(
            refreshed.headers.get("Call-ID"),
            first.headers.get("Call-ID")
        );

        let ok = response_to(refreshed, 200, "OK");
        ua.handle_datagram(refresh, registrar(), &ok.to_bytes());
        drain(&mut ua);
        assert!(ua.unregister(refresh));
        let (sent, _) = drain(&mut ua);
        let removal = sent.first().unwrap();
        assert_eq!(removal.headers.get("Expires"), Some("0"));
        ua.handle_datagram(
            refresh,
            registrar(),
            &response_to(removal, 200, "OK").to_bytes(),
        );
        let (_, events) = drain(&mut ua);
        assert_eq!(events, [UaEvent::Unregistered]);
        assert!(!ua.registering());
    }

    #[test]
    fn after_a_move_one_register_binds_the_new_contact_and_removes_the_old() {
        let start = clock();
        let mut ua = ua("secret");
        ua.register(start, registrar(), "sip:ringlet.test", 60);
        let (sent, _) = drain(&mut ua);
        let ok = response_to(&sent[0], 200, "OK");
        ua.handle_datagram(start, registrar(), &ok.to_bytes());
        drain(&mut ua);

        let old = ua.contact().to_owned();
        ua.set_address(SocketAddr::from(([127, 0, 0, 2], 5070)));
        assert_eq!(ua.contact(), "sip:alice@127.0.0.2:5070");
        ua.reregister(start, old);
        let (sent, _) = drain(&mut ua);
        let [moved] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(
            moved.headers.values("Contact"),
            [
                "<sip:alice@127.0.0.2:5070>",
                "<sip:alice@127.0.0.1:5070>;expires=0"
            ]
        );
        assert_eq!(
            moved
                .headers
                .get("Via")
                .map(|via| via.contains("127.0.0.2:5070")),
            Some(true)
        );
        // Challenged, it goes again with both; once accepted, the old one is forgotten.
        ua.handle_datagram(start, registrar(), &challenge(moved, 401));
        let (sent, _) = drain(&mut ua);
        assert_eq!(sent[0].headers.values("Contact").len(), 2);
        assert!(authorized(&sent[0], "Authorization", "secret"));
        ua.handle_datagram(
            start,
            registrar(),
            &response_to(&sent[0], 200, "OK").to_bytes(),
        );
        let (_, events) = drain(&mut ua);
        assert_eq!(events, [UaEvent::Registered { expires: 60 }]);
        let later = start + Duration::from_secs(30);
        ua.handle_timeout(later);
        let (sent, _) = drain(&mut ua);
        assert_eq!(
            sent[0].headers.values("Contact"),
            ["<sip:alice@127.0.0.2:5070>"]
        );
    }

    #[test]
    fn a_wrong_password_fails_once_without_looping() {
        let start = clock();
        let mut ua = ua("wrong");
        ua.register(start, registrar(), "sip:ringlet.test", 60);
        let (sent, _) = drain(&mut ua);
        ua.handle_datagram(start, registrar(), &challenge(&sent[0], 401));
        let (sent, _) = drain(&mut ua);
        assert!(!authorized(&sent[0], "Authorization", "secret"));
        ua.handle_datagram(start, registrar(), &challenge(&sent[0], 401));
        let (sent, events) = drain(&mut ua);
        assert!(sent.is_empty(), "no third try: {sent:?}");
        assert!(matches!(
            events.as_slice(),
            [UaEvent::RegistrationFailed { code: 401, reason }] if reason.contains("password")
        ));
        // It tries again a minute later, not at once.
        let next = ua.registration.as_ref().and_then(|r| r.refresh_at);
        assert_eq!(next, Some(start + RETRY_AFTER_FAILURE));
    }

    #[test]
    fn interval_too_brief_raises_the_interval() {
        let start = clock();
        let mut ua = ua("secret");
        ua.register(start, registrar(), "sip:ringlet.test", 10);
        let (sent, _) = drain(&mut ua);
        let mut brief = response_to(&sent[0], 423, "Interval Too Brief");
        brief.headers.push("Min-Expires", "120");
        ua.handle_datagram(start, registrar(), &brief.to_bytes());
        let (sent, _) = drain(&mut ua);
        assert_eq!(sent[0].headers.get("Expires"), Some("120"));
    }

    #[test]
    fn an_invite_challenged_by_a_proxy_is_sent_again_with_credentials() {
        let start = clock();
        let mut ua = ua("secret");
        let call = ua.invite(start, registrar(), "sip:bob@ringlet.test", "v=0\r\n", None);
        let (sent, _) = drain(&mut ua);
        let first = sent[0].clone();
        ua.handle_datagram(start, registrar(), &challenge(&first, 407));
        let (sent, events) = drain(&mut ua);
        assert!(events.is_empty(), "{events:?}");
        // The 407 is acknowledged, then the INVITE goes again with the next CSeq.
        assert!(matches!(
            &sent[0].start,
            StartLine::Request {
                method: Method::Ack,
                ..
            }
        ));
        let again = &sent[1];
        assert_eq!(seq(again), seq(&first) + 1);
        assert_eq!(again.headers.get("Call-ID"), first.headers.get("Call-ID"));
        assert_eq!(again.headers.get("From"), first.headers.get("From"));
        assert!(authorized(again, "Proxy-Authorization", "secret"));
        let mut ok = response_to(again, 200, "OK");
        ok.headers.set("To", "<sip:bob@ringlet.test>;tag=b1");
        ok.headers.push("Contact", "<sip:bob@127.0.0.1:5080>");
        // The proxy that challenged stays in the dialog's path.
        ok.headers
            .push("Record-Route", format!("<sip:{};lr>", registrar()));
        ua.handle_datagram(start, registrar(), &ok.to_bytes());
        let (sent, events) = drain(&mut ua);
        assert!(events.contains(&UaEvent::Connected { call, answer: None }));
        let ack = &sent[0];
        assert_eq!(seq(ack), seq(again), "the ACK carries the INVITE's CSeq");
    }
}
