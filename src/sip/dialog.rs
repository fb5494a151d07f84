//! SIP dialogs (RFC 3261 §12), sans-IO: identity, CSeq bookkeeping, route set and remote
//! target, and building requests inside a dialog. Branches and tags come in from the caller.

use super::header::{AddressParts, CSeq, NameAddr};
use super::message::{Headers, Method, SipMessage, StartLine};
use super::uri::SipUri;

/// Why a message does not fit a dialog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed.
    #[error("cannot form a dialog: {0}")]
    Malformed(&'static str),
    /// A request's CSeq is lower than one already seen (answer 500, §12.2.2).
    #[error("CSeq {got} is lower than {last}")]
    OutOfOrder {
        /// The request's CSeq.
        got: u32,
        /// The highest seen.
        last: u32,
    },
}

/// Early (provisional response with a To tag) or confirmed (2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// After a 1xx with a To tag.
    Early,
    /// After a 2xx.
    Confirmed,
}

/// One dialog, from this UA's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
    /// Our address (the From of our requests), as a header value without tag.
    pub local_uri: String,
    /// The peer's address (the To of our requests), without tag.
    pub remote_uri: String,
    /// Our last CSeq.
    pub local_seq: u32,
    /// The peer's last CSeq.
    pub remote_seq: Option<u32>,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: String,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<String>,
    /// Early or confirmed.
    pub state: DialogState,
}

fn name_addr(message: &SipMessage, name: &'static str) -> Result<NameAddr, DialogError> {
    message
        .headers
        .get(name)
        .and_then(|value| NameAddr::parse(value).ok())
        .ok_or(DialogError::Malformed(name))
}

fn without_tag(address: &NameAddr) -> String {
    let mut address = address.clone();
    address
        .params
        .retain(|(name, _)| !name.eq_ignore_ascii_case("tag"));
    address.to_string()
}

fn contact_uri(message: &SipMessage) -> Result<String, DialogError> {
    let contact = message
        .headers
        .values("Contact")
        .into_iter()
        .next()
        .ok_or(DialogError::Malformed("Contact"))?;
    Ok(NameAddr::parse(&contact)
        .map_err(|_| DialogError::Malformed("Contact"))?
        .uri)
}

fn cseq(message: &SipMessage) -> Result<CSeq, DialogError> {
    message
        .headers
        .get("CSeq")
        .and_then(|value| CSeq::parse(value).ok())
        .ok_or(DialogError::Malformed("CSeq"))
}

fn call_id(message: &SipMessage) -> Result<String, DialogError> {
    message
        .headers
        .get("Call-ID")
        .map(str::to_owned)
        .ok_or(DialogError::Malformed("Call-ID"))
}

/// The `tag` of an address; `what` names it in the error.
fn tag(address: &NameAddr, what: &'static str) -> Result<String, DialogError> {
    address
        .tag()
        .map(str::to_owned)
        .ok_or(DialogError::Malformed(what))
}

fn record_routes(message: &SipMessage) -> Vec<String> {
    message.headers.values("Record-Route")
}

impl Dialog {
    /// The dialog a UAC forms from its request and a response with a To tag (§12.1.2).
    pub fn from_uac(request: &SipMessage, response: &SipMessage) -> Result<Dialog, DialogError> {
        let StartLine::Response { code, .. } = response.start else {
            return Err(DialogError::Malformed("status line"));
        };
        let from = name_addr(request, "From")?;
        let to = name_addr(response, "To")?;
        let mut route_set = record_routes(response);
        route_set.reverse();
        Ok(Dialog {
            call_id: call_id(request)?,
            local_tag: tag(&from, "From tag")?,
            remote_tag: tag(&to, "To tag")?,
            local_uri: without_tag(&from),
            remote_uri: without_tag(&to),
            local_seq: cseq(request)?.seq,
            remote_seq: None,
            remote_target: contact_uri(response)?,
            route_set,
            state: if (200..300).contains(&code) {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
        })
    }

    /// The dialog a subscriber forms from a NOTIFY that arrives before the 2xx of its
    /// SUBSCRIBE (RFC 6665 §4.1.2.4): our tag from the SUBSCRIBE, theirs from the NOTIFY.
    pub fn from_uac_request(
        subscribe: &SipMessage,
        notify: &SipMessage,
    ) -> Result<Dialog, DialogError> {
        let ours = name_addr(subscribe, "From")?;
        let theirs = name_addr(notify, "From")?;
        Ok(Dialog {
            call_id: call_id(subscribe)?,
            local_tag: tag(&ours, "From tag")?,
            remote_tag: tag(&theirs, "From tag")?,
            local_uri: without_tag(&ours),
            remote_uri: without_tag(&theirs),
            local_seq: cseq(subscribe)?.seq,
            remote_seq: None,
            remote_target: contact_uri(notify)?,
            route_set: record_routes(notify),
            state: DialogState::Confirmed,
        })
    }

    /// The dialog a UAS forms when it answers `request` with a response tagged `local_tag`
    /// (§12.1.1); `local_seq` starts our own CSeq space.
    pub fn from_uas(
        request: &SipMessage,
        local_tag: &str,
        local_seq: u32,
        confirmed: bool,
    ) -> Result<Dialog, DialogError> {
        let from = name_addr(request, "From")?;
        let to = name_addr(request, "To")?;
        Ok(Dialog {
            call_id: call_id(request)?,
            local_tag: local_tag.to_owned(),
            remote_tag: tag(&from, "From tag")?,
            local_uri: without_tag(&to),
            remote_uri: without_tag(&from),
            local_seq,
            remote_seq: Some(cseq(request)?.seq),
            remote_target: contact_uri(request)?,
            route_set: record_routes(request),
            state: if confirmed {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
        })
    }

    /// True when `message` belongs to this dialog (Call-ID and both tags, §12.2).
    pub fn matches(&self, message: &SipMessage, incoming: bool) -> bool {
        // The Call-ID first: a UA asks every dialog it has, and only one can match, so most
        // are told apart without parsing From and To.
        if message.headers.get("Call-ID") != Some(self.call_id.as_str()) {
            return false;
        }
        let address = |name| AddressParts::parse(message.headers.get(name).unwrap_or_default());
        let (Ok(from), Ok(to)) = (address("From"), address("To")) else {
            return false;
        };
        let (ours, theirs) = if incoming {
            (to.tag(), from.tag())
        } else {
            (from.tag(), to.tag())
        };
        ours == Some(self.local_tag.as_str()) && theirs == Some(self.remote_tag.as_str())
    }

    /// Builds a request inside the dialog (§12.2.1.1). ACK reuses `ack_seq` (the INVITE's
    /// CSeq); other methods take the next CSeq.
    pub fn request(
        &mut self,
        method: Method,
        branch: &str,
        via_sent_by: &str,
        contact: &str,
        ack_seq: Option<u32>,
    ) -> SipMessage {
        let seq = match (&method, ack_seq) {
            (Method::Ack, Some(seq)) => seq,
            _ => {
                self.local_seq = self.local_seq.wrapping_add(1);
                self.local_seq
            }
        };
        // Loose routing when the first route has `lr`; else the strict form of §12.2.1.1.
        let loose = self
            .route_set
            .first()
            .is_none_or(|route| route.contains(";lr"));
        let (uri, routes) = if loose {
            (self.remote_target.clone(), self.route_set.clone())
        } else {
            let first = self
                .route_set
                .first()
                .and_then(|r| NameAddr::parse(r).ok())
                .map(|a| a.uri)
                .unwrap_or_default();
            let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
            routes.push(format!("<{}>", self.remote_target));
            (first, routes)
        };
        let mut headers = Headers::default();
        headers.push(
            "Via",
            format!("SIP/2.0/{via_sent_by};branch={branch};rport"),
        );
        headers.push("Max-Forwards", "70");
        headers.push("From", format!("{};tag={}", self.local_uri, self.local_tag));
        headers.push("To", format!("{};tag={}", self.remote_uri, self.remote_tag));
        headers.push("Call-ID", self.call_id.clone());
        headers.push("CSeq", format!("{seq} {method}"));
        for route in routes {
            headers.push("Route", route);
        }
        headers.push("Contact", format!("<{contact}>"));
        SipMessage {
            start: StartLine::Request { method, uri },
            headers,
            body: Vec::new(),
        }
    }

    /// The next hop of a request in this dialog when it names an IP address: the first
    /// route (loose or strict, it is the next hop either way), else the remote target
    /// (RFC 3261 §12.2.1.1, §8.1.2); port 5060 (5061 for `sips:`) when none is given.
    /// `None` for a host name, which needs a resolver.
    pub fn next_hop(&self) -> Option<std::net::SocketAddr> {
        let uri = match self.route_set.first() {
            Some(route) => NameAddr::parse(route).ok()?.uri,
            None => self.remote_target.clone(),
        };
        let uri = SipUri::parse(&uri).ok()?;
        let host = uri.host.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = host.parse().ok()?;
        let port = uri.port.unwrap_or(if uri.secure { 5061 } else { 5060 });
        Some(std::net::SocketAddr::new(ip, port))
    }

    /// Takes in a request from the peer: CSeq must not go backwards; a re-INVITE or
    /// UPDATE with a Contact refreshes the remote target (§12.2.2).
    pub fn on_request(&mut self, request: &SipMessage) -> Result<(), DialogError> {
        let cseq = cseq(request)?;
        if cseq.method != Method::Ack {
            if let Some(last) = self.remote_seq
                && cseq.seq < last
            {
                return Err(DialogError::OutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
            self.remote_seq = Some(cseq.seq);
        }
        if matches!(cseq.method, Method::Invite | Method::Update)
            && let Ok(target) = contact_uri(request)
        {
            self.remote_target = target;
        }
        Ok(())
    }

    /// Takes in a response to our in-dialog request: a 2xx confirms an early dialog and
    /// refreshes the target of a re-INVITE.
    pub fn on_response(&mut self, response: &SipMessage) {
        let StartLine::Response { code, .. } = response.start else {
            return;
        };
        if (200..300).contains(&code) {
            self.state = DialogState::Confirmed;
            if cseq(response)
                .is_ok_and(|cseq| matches!(cseq.method, Method::Invite | Method::Update))
                && let Ok(target) = contact_uri(response)
            {
                self.remote_target = target;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SipMessage {
        SipMessage::parse(text.replace('\n', "\r\n").as_bytes()).unwrap()
    }

    fn invite() -> SipMessage {
        parse(
            "INVITE sip:bob@biloxi.example.com SIP/2.0\n\
             Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n\
             Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n\
             To: Bob <sip:bob@biloxi.example.com>\n\
             From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n\
             Call-ID: a84b4c76e66710\n\
             CSeq: 314159 INVITE\n\
             Contact: <sip:alice@pc33.atlanta.example.com>\n\
             Content-Length: 0\n\n",
        )
    }

    fn ok() -> SipMessage {
        parse(
            "SIP/2.0 200 OK\n\
             Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n\
             Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n\
             To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\n\
             From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n\
             Call-ID: a84b4c76e66710\n\
             CSeq: 314159 INVITE\n\
             Contact: <sip:bob@192.0.2.4>\n\
             Content-Length: 0\n\n",
        )
    }

    #[test]
    fn both_sides_form_mirror_dialogs() {
        let uac = Dialog::from_uac(&invite(), &ok()).unwrap();
        let uas = Dialog::from_uas(&invite(), "a6c85cf", 1, true).unwrap();
        assert_eq!(
            (uac.local_tag.as_str(), uac.remote_tag.as_str()),
            ("1928301774", "a6c85cf")
        );
        assert_eq!(
            (uas.local_tag.as_str(), uas.remote_tag.as_str()),
            ("a6c85cf", "1928301774")
        );
        assert_eq!(uac.remote_target, "sip:bob@192.0.2.4");
        assert_eq!(uas.remote_target, "sip:alice@pc33.atlanta.example.com");
        // The UAC reverses the Record-Route; the UAS keeps it.
        assert_eq!(
            uac.route_set,
            vec!["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
        );
        assert_eq!(
            uas.route_set,
            vec!["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
        );
        assert_eq!(uac.state, DialogState::Confirmed);
        assert!(!uac.matches(&ok(), true) && uac.matches(&ok(), false));
    }

    #[test]
    fn in_dialog_requests_carry_routes_tags_and_rising_cseq() {
        let mut uac = Dialog::from_uac(&invite(), &ok()).unwrap();
        let ack = uac.request(
            Method::Ack,
            "z9hG4bKack",
            "UDP pc33.atlanta.example.com",
            "sip:alice@pc33.atlanta.example.com",
            Some(314159),
        );
        assert_eq!(ack.headers.get("CSeq"), Some("314159 ACK"));
        let bye = uac.request(
            Method::Bye,
            "z9hG4bKbye",
            "UDP pc33.atlanta.example.com",
            "sip:alice@pc33.atlanta.example.com",
            None,
        );
        assert!(matches!(&bye.start, StartLine::Request { uri, .. } if uri == "sip:bob@192.0.2.4"));
        assert_eq!(bye.headers.get("CSeq"), Some("314160 BYE"));
        assert_eq!(
            bye.headers.values("Route"),
            vec!["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
        );
        assert_eq!(
            bye.headers.get("To"),
            Some("\"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf")
        );
        assert!(bye.check_mandatory().is_ok());
        let reparsed = SipMessage::parse(&bye.to_bytes()).unwrap();
        assert!(uac.matches(&reparsed, false));
    }

    #[test]
    fn strict_routes_put_the_first_route_in_the_request_uri() {
        let mut uac = Dialog::from_uac(&invite(), &ok()).unwrap();
        uac.route_set = vec![
            "<sip:strict.example.com>".into(),
            "<sip:p1.example.com;lr>".into(),
        ];
        let bye = uac.request(Method::Bye, "z9hG4bKs", "UDP h", "sip:alice@h", None);
        assert!(
            matches!(&bye.start, StartLine::Request { uri, .. } if uri == "sip:strict.example.com")
        );
        assert_eq!(
            bye.headers.values("Route"),
            vec!["<sip:p1.example.com;lr>", "<sip:bob@192.0.2.4>"]
        );
    }

    #[test]
    fn cseq_must_not_go_backwards_and_reinvite_moves_the_target() {
        let mut uas = Dialog::from_uas(&invite(), "a6c85cf", 1, true).unwrap();
        let mut reinvite = invite();
        reinvite.headers.set("CSeq", "314160 INVITE");
        reinvite.headers.set("Contact", "<sip:alice@192.0.2.99>");
        uas.on_request(&reinvite).unwrap();
        assert_eq!(uas.remote_target, "sip:alice@192.0.2.99");
        let mut stale = invite();
        stale.headers.set("CSeq", "100 BYE");
        assert_eq!(
            uas.on_request(&stale),
            Err(DialogError::OutOfOrder {
                got: 100,
                last: 314160
            })
        );
    }

    #[test]
    fn early_dialogs_confirm_on_2xx() {
        let mut ringing = ok();
        ringing.start = StartLine::Response {
            code: 180,
            reason: "Ringing".into(),
        };
        let mut dialog = Dialog::from_uac(&invite(), &ringing).unwrap();
        assert_eq!(dialog.state, DialogState::Early);
        dialog.on_response(&ok());
        assert_eq!(dialog.state, DialogState::Confirmed);
        let mut untagged = ok();
        untagged.headers.set("To", "<sip:bob@biloxi.example.com>");
        assert_eq!(
            Dialog::from_uac(&invite(), &untagged),
            Err(DialogError::Malformed("To tag"))
        );
    }
}
