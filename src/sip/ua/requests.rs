//! The requests around calls: MESSAGE (RFC 3428) both ways, DTMF by INFO
//! (`application/dtmf-relay`), and transfer by REFER with NOTIFY progress (RFC 3515).

use std::net::SocketAddr;
use std::time::Instant;

use super::{CallHandle, Key, Purpose, UaEvent, UserAgent};
use crate::sip::message::{Method, SipMessage};
use crate::sip::transaction::response_to;

/// Largest MESSAGE body sent or accepted: RFC 3428 §7 keeps pager-mode messages under
/// 1300 bytes on UDP when the path MTU is unknown; bigger ones are refused with 513.
pub const MAX_MESSAGE_BODY: usize = 1300;

/// The digit of an INFO body: `Signal=5` (application/dtmf-relay) or `5` (application/dtmf).
fn dtmf_digit(content_type: &str, body: &str) -> Option<char> {
    let content_type = content_type.split(';').next()?.trim();
    let value = if content_type.eq_ignore_ascii_case("application/dtmf-relay") {
        body.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("Signal")
                .then(|| value.trim())
        })?
    } else if content_type.eq_ignore_ascii_case("application/dtmf") {
        body.trim()
    } else {
        return None;
    };
    let mut chars = value.chars();
    let digit = chars.next()?.to_ascii_uppercase();
    let valid = chars.next().is_none() && (digit.is_ascii_digit() || "*#ABCD".contains(digit));
    valid.then_some(digit)
}

/// The status code on a `message/sipfrag` body's first line (`SIP/2.0 200 OK`).
fn sipfrag_code(body: &str) -> Option<u16> {
    let line = body.lines().next()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|version| version.starts_with("SIP/"))?;
    parts.next()?.parse().ok()
}

impl UserAgent {
    /// Sends a MESSAGE to `uri` via `to`; the outcome comes as [`UaEvent::MessageSent`]
    /// with the id returned. `None` when the text is too long for one message.
    pub fn message(
        &mut self,
        now: Instant,
        to: SocketAddr,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> Option<u64> {
        if body.len() > MAX_MESSAGE_BODY {
            return None;
        }
        let id = self.next_message;
        self.next_message += 1;
        let mut request = self.new_request(Method::Message, uri, &format!("<{uri}>"));
        request.headers.push("Content-Type", content_type);
        request.body = body.as_bytes().to_vec();
        self.send_request(now, to, request, Purpose::Message(id), 0);
        Some(id)
    }

    /// Sends one DTMF digit by INFO (`application/dtmf-relay`, 160 ms). False when the
    /// call has no dialog or the digit is not a DTMF symbol.
    pub fn send_dtmf_info(&mut self, now: Instant, call: CallHandle, digit: char) -> bool {
        let digit = digit.to_ascii_uppercase();
        if !(digit.is_ascii_digit() || "*#ABCD".contains(digit)) {
            return false;
        }
        let Some((mut request, remote)) = self.call_request(call, Method::Info) else {
            return false;
        };
        request
            .headers
            .push("Content-Type", "application/dtmf-relay");
        request.body = format!("Signal={digit}\r\nDuration=160\r\n").into_bytes();
        self.send_request(now, remote, request, Purpose::Fire, 0);
        true
    }

    /// Asks the peer of `call` to call `target` (blind transfer), or, when `target` carries
    /// `?Replaces=`, to replace another call (attended transfer). Progress comes as
    /// [`UaEvent::TransferProgress`].
    pub fn refer(&mut self, now: Instant, call: CallHandle, target: &str) -> bool {
        let Some((mut request, remote)) = self.call_request(call, Method::Refer) else {
            return false;
        };
        let target = if target.starts_with('<') {
            target.to_owned()
        } else {
            format!("<{target}>")
        };
        request.headers.push("Refer-To", target);
        request
            .headers
            .push("Referred-By", self.config.local_uri.clone());
        self.send_request(now, remote, request, Purpose::Refer(call), 0);
        true
    }

    /// Reports the progress of a transfer the peer asked for (RFC 3515 §2.4.5): the status
    /// of our call to the target as `message/sipfrag`; a final code ends the subscription.
    pub fn notify_transfer(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        reason: &str,
    ) -> bool {
        let Some((mut request, remote)) = self.call_request(call, Method::Notify) else {
            return false;
        };
        request.headers.push("Event", "refer");
        let state = if code >= 200 {
            "terminated;reason=noresource".to_owned()
        } else {
            "active;expires=60".to_owned()
        };
        request.headers.push("Subscription-State", state);
        request
            .headers
            .push("Content-Type", "message/sipfrag;version=2.0");
        request.body = format!("SIP/2.0 {code} {reason}\r\n").into_bytes();
        self.send_request(now, remote, request, Purpose::Fire, 0);
        true
    }

    /// The call whose dialog `request` belongs to, with its CSeq checked; answers 481 or
    /// 500 itself and returns `None` when it does not fit.
    fn dialog_of(&mut self, now: Instant, key: &Key, request: &SipMessage) -> Option<CallHandle> {
        let found = self.calls.iter_mut().find_map(|(handle, call)| {
            let dialog = call.dialog.as_mut()?;
            dialog
                .matches(request, true)
                .then(|| (*handle, dialog.on_request(request)))
        });
        match found {
            Some((handle, Ok(()))) => Some(handle),
            Some((_, Err(_))) => {
                let response =
                    response_to(request, 500, "Server Internal Error (CSeq out of order)");
                self.respond(now, key, response);
                None
            }
            None => {
                let response = response_to(request, 481, "Call/Transaction Does Not Exist");
                self.respond(now, key, response);
                None
            }
        }
    }

    pub(super) fn on_message(
        &mut self,
        now: Instant,
        source: std::net::SocketAddr,
        key: &Key,
        request: &SipMessage,
    ) {
        let content_type = request
            .headers
            .get("Content-Type")
            .unwrap_or("text/plain")
            .to_owned();
        let base = content_type.split(';').next().unwrap_or_default().trim();
        if !base.eq_ignore_ascii_case("text/plain") {
            let mut response = response_to(request, 415, "Unsupported Media Type");
            response.headers.push("Accept", "text/plain");
            self.respond(now, key, response);
            return;
        }
        if request.body.len() > MAX_MESSAGE_BODY {
            self.respond(now, key, response_to(request, 513, "Message Too Large"));
            return;
        }
        let Ok(body) = String::from_utf8(request.body.clone()) else {
            self.respond(
                now,
                key,
                response_to(request, 400, "Bad Request (body is not UTF-8)"),
            );
            return;
        };
        self.respond(now, key, response_to(request, 200, "OK"));
        let from = request.headers.get("From").unwrap_or_default().to_owned();
        self.event(UaEvent::MessageReceived {
            from,
            source,
            content_type,
            body,
        });
    }

    pub(super) fn on_info(&mut self, now: Instant, key: &Key, request: &SipMessage) {
        let Some(call) = self.dialog_of(now, key, request) else {
            return;
        };
        let content_type = request.headers.get("Content-Type").unwrap_or_default();
        if request.body.is_empty() {
            // An INFO without a body is a keep-alive probe (RFC 6086 §4.2.2).
            self.respond(now, key, response_to(request, 200, "OK"));
            return;
        }
        let body = String::from_utf8_lossy(&request.body);
        match dtmf_digit(content_type, &body) {
            Some(digit) => {
                self.respond(now, key, response_to(request, 200, "OK"));
                self.event(UaEvent::Dtmf { call, digit });
            }
            None => {
                let mut response = response_to(request, 415, "Unsupported Media Type");
                response
                    .headers
                    .push("Accept", "application/dtmf-relay, application/dtmf");
                self.respond(now, key, response);
            }
        }
    }

    pub(super) fn on_refer(&mut self, now: Instant, key: &Key, request: &SipMessage) {
        let Some(call) = self.dialog_of(now, key, request) else {
            return;
        };
        let targets = request.headers.values("Refer-To");
        let [target] = targets.as_slice() else {
            // RFC 3515 §2.4.1: exactly one Refer-To.
            let reason = "Bad Request (one Refer-To needed)";
            self.respond(now, key, response_to(request, 400, reason));
            return;
        };
        let target = crate::sip::NameAddr::parse(target)
            .map(|address| address.uri)
            .unwrap_or_else(|_| target.trim().to_owned());
        self.respond(now, key, response_to(request, 202, "Accepted"));
        // §2.4.4: the first NOTIFY comes at once.
        self.notify_transfer(now, call, 100, "Trying");
        self.event(UaEvent::TransferRequested { call, target });
    }

    pub(super) fn on_notify(&mut self, now: Instant, key: &Key, request: &SipMessage) {
        let Some(call) = self.dialog_of(now, key, request) else {
            return;
        };
        let event = request.headers.get("Event").unwrap_or_default();
        let package = event.split(';').next().unwrap_or_default().trim();
        if !package.eq_ignore_ascii_case("refer") {
            self.respond(now, key, response_to(request, 489, "Bad Event"));
            return;
        }
        self.respond(now, key, response_to(request, 200, "OK"));
        if let Some(code) = sipfrag_code(&String::from_utf8_lossy(&request.body)) {
            self.event(UaEvent::TransferProgress { call, code });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_bodies_of_both_content_types_give_their_digit() {
        let relay = "Signal=5\r\nDuration=160\r\n";
        assert_eq!(dtmf_digit("application/dtmf-relay", relay), Some('5'));
        assert_eq!(
            dtmf_digit("Application/DTMF-Relay", "Signal= #\r\n"),
            Some('#')
        );
        assert_eq!(dtmf_digit("application/dtmf", "*"), Some('*'));
        assert_eq!(dtmf_digit("application/dtmf-relay", "Signal=12"), None);
        assert_eq!(dtmf_digit("application/dtmf-relay", "Signal=x"), None);
        assert_eq!(dtmf_digit("text/plain", "5"), None);
    }

    #[test]
    fn sipfrag_status_lines_parse() {
        assert_eq!(sipfrag_code("SIP/2.0 200 OK\r\n"), Some(200));
        assert_eq!(sipfrag_code("SIP/2.0 100 Trying"), Some(100));
        assert_eq!(sipfrag_code("HTTP/1.1 200 OK"), None);
        assert_eq!(sipfrag_code(""), None);
    }
}
