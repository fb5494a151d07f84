//! Requests looked at before they are handled (RFC 3261 §8.2), the CANCEL of an INVITE,
//! and the 400 answered to a message that does not parse.

use super::*;

/// Option tags this UA supports in Require (RFC 3261 §8.2.2.3).
pub(super) const SUPPORTED: &[&str] = &["replaces"];

/// The checks of RFC 3261 §8.2 before a request is handled, in the RFC's order: method
/// (501 unknown, 405 known but not served), Request-URI (416 unknown scheme, 400
/// malformed), content (415, 406 when we cannot answer in an accepted type) and Require
/// (420). `None` when the request may go on.
pub(super) fn inspect(request: &SipMessage, method: &Method) -> Option<SipMessage> {
    const SERVED: &[Method] = &[
        Method::Invite,
        Method::Options,
        Method::Bye,
        Method::Cancel,
        Method::Message,
        Method::Info,
        Method::Refer,
        Method::Notify,
        Method::Subscribe,
    ];
    if !SERVED.contains(method) {
        let (code, reason) = if matches!(method, Method::Other(_)) {
            (501, "Not Implemented")
        } else {
            (405, "Method Not Allowed")
        };
        let mut response = response_to(request, code, reason);
        response.headers.push("Allow", ALLOWED);
        return Some(response);
    }
    let StartLine::Request { uri, .. } = &request.start else {
        return None;
    };
    let scheme = uri.split(':').next().unwrap_or_default();
    if !["sip", "sips"]
        .iter()
        .any(|known| known.eq_ignore_ascii_case(scheme))
    {
        return Some(response_to(request, 416, "Unsupported URI Scheme"));
    }
    if uri.contains('?') || crate::sip::SipUri::parse(uri).is_err() {
        // §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
        return Some(response_to(
            request,
            400,
            "Bad Request (malformed Request-URI)",
        ));
    }
    if *method == Method::Cancel {
        return None;
    }
    if matches!(method, Method::Invite) && !request.body.is_empty() {
        let content_type = request.headers.get("Content-Type").unwrap_or_default();
        let base = content_type.split(';').next().unwrap_or_default().trim();
        if !base.eq_ignore_ascii_case("application/sdp") {
            let mut response = response_to(request, 415, "Unsupported Media Type");
            response.headers.push("Accept", "application/sdp");
            return Some(response);
        }
        let accept = request.headers.values("Accept");
        let acceptable = accept.is_empty()
            || accept.iter().any(|value| {
                let value = value.split(';').next().unwrap_or_default().trim();
                ["application/sdp", "application/*", "*/*"]
                    .iter()
                    .any(|ok| ok.eq_ignore_ascii_case(value))
            });
        if !acceptable {
            return Some(response_to(request, 406, "Not Acceptable"));
        }
    }
    let unsupported: Vec<String> = request
        .headers
        .values("Require")
        .into_iter()
        .filter(|tag| {
            !SUPPORTED
                .iter()
                .any(|known| known.eq_ignore_ascii_case(tag.trim()))
        })
        .collect();
    if !unsupported.is_empty() && *method != Method::Ack {
        let mut response = response_to(request, 420, "Bad Extension");
        response.headers.push("Unsupported", unsupported.join(", "));
        return Some(response);
    }
    None
}

/// CANCEL for an INVITE (§9.1): same Request-URI, Call-ID, From, To, top Via and CSeq number.
pub(super) fn cancel_for(invite: &SipMessage) -> SipMessage {
    let mut headers = Headers::default();
    if let Some(via) = invite.headers.first_value("Via") {
        headers.push("Via", via);
    }
    for name in ["Max-Forwards", "From", "To", "Call-ID", "Route"] {
        for value in invite.headers.get_all(name) {
            headers.push(name, value);
        }
    }
    let seq = invite
        .headers
        .get("CSeq")
        .and_then(|v| CSeq::parse(v).ok())
        .map_or(1, |c| c.seq);
    headers.push("CSeq", format!("{seq} CANCEL"));
    let uri = match &invite.start {
        StartLine::Request { uri, .. } => uri.clone(),
        StartLine::Response { .. } => String::new(),
    };
    SipMessage {
        start: StartLine::Request {
            method: Method::Cancel,
            uri,
        },
        headers,
        body: Vec::new(),
    }
}

/// A response to bytes that failed to parse, when enough of them can be read to route one
/// (the request line and Via/From/To/Call-ID/CSeq lines); `None` for responses and garbage.
pub(super) fn error_response_for(bytes: &[u8], code: u16, reason: &str) -> Option<SipMessage> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    let first = lines.next()?;
    if first.starts_with("SIP/") {
        // Responses are never answered; a broken one is dropped (§18.1.2).
        return None;
    }
    let mut headers = Headers::default();
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = crate::sip::message::canonical_name(name.trim());
        if ["Via", "From", "To", "Call-ID", "CSeq"].contains(&name.as_ref()) {
            // Control characters (the likely fault) are not echoed back.
            let value: String = value.chars().filter(|c| !c.is_control()).collect();
            headers.push(&name, value.trim());
        }
    }
    let complete = ["Via", "From", "To", "Call-ID", "CSeq"]
        .iter()
        .all(|name| headers.get(name).is_some());
    complete.then(|| SipMessage {
        start: StartLine::Response {
            code,
            reason: reason.to_owned(),
        },
        headers,
        body: Vec::new(),
    })
}
