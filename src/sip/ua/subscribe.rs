//! Event subscriptions (RFC 6665): watching others (presence, RFC 3856, and
//! message-summary for voicemail, RFC 3842) and serving our own presence to watchers,
//! with PIDF bodies (RFC 3863). Subscriptions are refreshed before they expire.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Key, Purpose, UaEvent, UserAgent};
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, SipMessage};
use crate::sip::transaction::response_to;

/// A subscription's handle inside the UA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionHandle(pub u64);

/// Longest subscription we grant our watchers.
const MAX_SERVED_EXPIRES: u32 = 3600;
/// Event packages we watch or serve.
const PRESENCE: &str = "presence";
const MESSAGE_SUMMARY: &str = "message-summary";

/// One subscription we hold.
#[derive(Debug, Clone)]
pub(super) struct Watching {
    to: SocketAddr,
    uri: String,
    event: String,
    expires: u32,
    /// Our request, until a response or NOTIFY forms the dialog.
    request: SipMessage,
    dialog: Option<Dialog>,
    refresh_at: Option<Instant>,
}

impl Watching {
    /// Takes in the request sent again with credentials (its CSeq is `seq`).
    pub(super) fn retried(&mut self, request: &SipMessage, seq: u32) {
        match self.dialog.as_mut() {
            Some(dialog) => dialog.local_seq = dialog.local_seq.max(seq),
            None => self.request = request.clone(),
        }
    }
}

/// One watcher of our presence.
#[derive(Debug, Clone)]
pub(super) struct Watcher {
    remote: SocketAddr,
    dialog: Dialog,
    expires_at: Instant,
}

/// The event package a SUBSCRIBE or NOTIFY names (`Event: presence;id=1` → `presence`).
fn package(message: &SipMessage) -> String {
    message
        .headers
        .get("Event")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A PIDF document (RFC 3863) for `entity` with one tuple, open or closed.
pub fn pidf(entity: &str, open: bool, note: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let status = if open { "open" } else { "closed" };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("<note>{}</note>", escape(note))
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{}\">\r\n\
         <tuple id=\"ringlet\"><status><basic>{status}</basic></status>{note}</tuple>\r\n\
         </presence>\r\n",
        escape(entity)
    )
}

/// Reads `<basic>open</basic>` from a PIDF body: `Some(true)` open, `Some(false)` closed.
/// Any tuple open makes the presentity open (RFC 3863 §4.1.4).
pub fn pidf_open(body: &str) -> Option<bool> {
    let mut found = None;
    let mut rest = body;
    while let Some(start) = rest.find("basic>") {
        let after = rest.get(start + "basic>".len()..).unwrap_or_default();
        let value = after.split('<').next().unwrap_or_default().trim();
        if value.eq_ignore_ascii_case("open") {
            return Some(true);
        }
        if value.eq_ignore_ascii_case("closed") {
            found = Some(false);
        }
        rest = after;
    }
    found
}

/// New and old voice messages from a message-summary body (RFC 3842 §5.2):
/// `Voice-Message: 2/8 (0/2)` gives (2, 8); `Messages-Waiting: yes` alone gives (1, 0).
pub fn voice_messages(body: &str) -> Option<(u32, u32)> {
    let mut waiting = None;
    for line in body.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("Voice-Message") {
            let counts = value.split('(').next().unwrap_or_default();
            let (new, old) = counts.split_once('/')?;
            return Some((new.trim().parse().ok()?, old.trim().parse().ok()?));
        }
        if name.eq_ignore_ascii_case("Messages-Waiting") {
            waiting = Some(value.trim().eq_ignore_ascii_case("yes"));
        }
    }
    waiting.map(|yes| (u32::from(yes), 0))
}

impl UserAgent {
    /// Subscribes to `event` (`presence` or `message-summary`) of `uri`, sending to `to`;
    /// notifications come as [`UaEvent::Notified`].
    pub fn subscribe(
        &mut self,
        now: Instant,
        to: SocketAddr,
        uri: &str,
        event: &str,
        expires: u32,
    ) -> SubscriptionHandle {
        let handle = SubscriptionHandle(self.next_message);
        self.next_message += 1;
        let request = self.subscribe_request(uri, event, expires);
        self.watching.insert(
            handle,
            Watching {
                to,
                uri: uri.to_owned(),
                event: event.to_owned(),
                expires,
                request: request.clone(),
                dialog: None,
                refresh_at: None,
            },
        );
        self.send_request(now, to, request, Purpose::Subscribe(handle), 0);
        handle
    }

    fn subscribe_request(&mut self, uri: &str, event: &str, expires: u32) -> SipMessage {
        let mut request = self.new_request(Method::Subscribe, uri, &format!("<{uri}>"));
        self.fill_subscribe(&mut request, event, expires);
        request
    }

    fn fill_subscribe(&self, request: &mut SipMessage, event: &str, expires: u32) {
        request
            .headers
            .push("Contact", format!("<{}>", self.config.contact));
        request.headers.push("Event", event);
        let accept = if event == MESSAGE_SUMMARY {
            "application/simple-message-summary"
        } else {
            "application/pidf+xml"
        };
        request.headers.push("Accept", accept);
        request.headers.push("Expires", expires.to_string());
    }

    /// Ends a subscription (SUBSCRIBE with Expires: 0).
    pub fn unsubscribe(&mut self, now: Instant, handle: SubscriptionHandle) {
        if let Some(mut watching) = self.watching.remove(&handle)
            && let Some(dialog) = watching.dialog.as_mut()
        {
            let mut request = self.in_dialog(dialog, Method::Subscribe, None);
            self.fill_subscribe(&mut request, &watching.event, 0);
            self.send_request(now, watching.to, request, Purpose::Fire, 0);
        }
    }

    pub(super) fn refresh_subscriptions(&mut self, now: Instant) {
        let due: Vec<SubscriptionHandle> = self
            .watching
            .iter()
            .filter(|(_, w)| w.refresh_at.is_some_and(|at| at <= now))
            .map(|(handle, _)| *handle)
            .collect();
        for handle in due {
            let Some(mut watching) = self.watching.get(&handle).cloned() else {
                continue;
            };
            watching.refresh_at = None;
            let request = match watching.dialog.as_mut() {
                Some(dialog) => {
                    let mut request = self.in_dialog(dialog, Method::Subscribe, None);
                    self.fill_subscribe(&mut request, &watching.event, watching.expires);
                    request
                }
                // No dialog formed (refused or unanswered): start over.
                None => self.subscribe_request(&watching.uri, &watching.event, watching.expires),
            };
            watching.request = request.clone();
            let to = watching.to;
            self.watching.insert(handle, watching);
            self.send_request(now, to, request, Purpose::Subscribe(handle), 0);
        }
        self.watchers.retain(|_, watcher| watcher.expires_at > now);
    }

    pub(super) fn subscription_deadlines(&self) -> Option<Instant> {
        let refresh = self.watching.values().filter_map(|w| w.refresh_at);
        let expiry = self.watchers.values().map(|w| w.expires_at);
        refresh.chain(expiry).min()
    }

    pub(super) fn on_subscribe_response(
        &mut self,
        now: Instant,
        handle: SubscriptionHandle,
        code: u16,
        response: Option<&SipMessage>,
    ) {
        if code < 200 {
            return;
        }
        let Some(watching) = self.watching.get_mut(&handle) else {
            return;
        };
        match (code, response) {
            (200..=299, Some(response)) => {
                if watching.dialog.is_none() {
                    watching.dialog = Dialog::from_uac(&watching.request, response).ok();
                }
                watching.refresh_at = Some(now + super::refresh_delay(response, watching.expires));
            }
            _ => {
                // Refused or unanswered: say so and try again in a while.
                watching.refresh_at = Some(now + Duration::from_secs(300));
                watching.dialog = None;
                let event = watching.event.clone();
                self.event(UaEvent::SubscriptionFailed {
                    subscription: handle,
                    event,
                    code,
                });
            }
        }
    }

    /// A NOTIFY for one of our subscriptions: answered and reported. False when it is not
    /// one of ours (the caller tries the calls).
    pub(super) fn on_subscription_notify(
        &mut self,
        now: Instant,
        key: &Key,
        request: &SipMessage,
    ) -> bool {
        let call_id = request.headers.get("Call-ID").unwrap_or_default();
        let ours = crate::sip::transaction::to_tag(request);
        let found = self
            .watching
            .iter_mut()
            .find(|(_, watching)| match &watching.dialog {
                Some(dialog) => dialog.matches(request, true),
                // A NOTIFY may overtake the 2xx of the SUBSCRIBE (RFC 6665 §4.1.2.4).
                None => {
                    watching.request.headers.get("Call-ID") == Some(call_id)
                        && crate::sip::AddressParts::parse(
                            watching.request.headers.get("From").unwrap_or_default(),
                        )
                        .ok()
                        .and_then(|from| from.tag())
                            == ours
                }
            });
        let Some((handle, watching)) = found else {
            return false;
        };
        let handle = *handle;
        if watching.dialog.is_none() {
            watching.dialog = Dialog::from_uac_request(&watching.request, request).ok();
        }
        if let Some(dialog) = watching.dialog.as_mut() {
            dialog.on_request(request).ok();
        }
        let event = watching.event.clone();
        let state = request
            .headers
            .get("Subscription-State")
            .unwrap_or_default();
        let terminated = state.trim().to_ascii_lowercase().starts_with("terminated");
        if terminated {
            watching.dialog = None;
            watching.refresh_at = Some(now + Duration::from_secs(60));
        }
        self.respond(now, key, response_to(request, 200, "OK"));
        self.event(UaEvent::Notified {
            subscription: handle,
            event,
            body: String::from_utf8_lossy(&request.body).into_owned(),
        });
        true
    }

    /// A SUBSCRIBE from a watcher: presence is served (200, then a NOTIFY with our
    /// PIDF), anything else refused with 489 (RFC 6665 §4.2.1.1).
    pub(super) fn on_subscribe(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: &Key,
        request: &SipMessage,
    ) {
        if package(request) != PRESENCE {
            let mut response = response_to(request, 489, "Bad Event");
            response.headers.push("Allow-Events", PRESENCE);
            self.respond(now, key, response);
            return;
        }
        let expires = request
            .headers
            .get("Expires")
            .and_then(|value| value.trim().parse::<u32>().ok())
            .unwrap_or(MAX_SERVED_EXPIRES)
            .min(MAX_SERVED_EXPIRES);
        // A refresh or removal comes inside the dialog we formed.
        let existing = self
            .watchers
            .iter()
            .find(|(_, watcher)| watcher.dialog.matches(request, true))
            .map(|(handle, _)| *handle);
        let (handle, tag) = match existing {
            Some(handle) => {
                let tag = self
                    .watchers
                    .get(&handle)
                    .map(|w| w.dialog.local_tag.clone());
                (handle, tag.unwrap_or_default())
            }
            None => {
                let handle = SubscriptionHandle(self.next_message);
                self.next_message += 1;
                (handle, self.unique(""))
            }
        };
        let mut ok = response_to(request, 200, "OK");
        self.tag_response(request, &mut ok, &tag);
        ok.headers.push("Expires", expires.to_string());
        self.respond(now, key, ok);
        let dialog = match existing.and_then(|h| self.watchers.get(&h)) {
            Some(watcher) => Ok(watcher.dialog.clone()),
            None => Dialog::from_uas(request, &tag, 1, true),
        };
        let Ok(mut dialog) = dialog else {
            return;
        };
        if existing.is_some() {
            dialog.on_request(request).ok();
        }
        let watcher = Watcher {
            remote: from,
            dialog,
            expires_at: now + Duration::from_secs(u64::from(expires)),
        };
        self.watchers.insert(handle, watcher);
        self.notify_presence(now, handle, expires == 0);
        if expires == 0 {
            self.watchers.remove(&handle);
        }
    }

    /// Sets our presence and tells every watcher.
    pub fn set_presence(&mut self, now: Instant, open: bool, note: &str) {
        self.presence = (open, note.to_owned());
        let handles: Vec<SubscriptionHandle> = self.watchers.keys().copied().collect();
        for handle in handles {
            self.notify_presence(now, handle, false);
        }
        self.send_publish(now, true);
    }

    fn notify_presence(&mut self, now: Instant, handle: SubscriptionHandle, terminated: bool) {
        let Some(mut watcher) = self.watchers.get(&handle).cloned() else {
            return;
        };
        let mut request = self.in_dialog(&mut watcher.dialog, Method::Notify, None);
        request.headers.push("Event", PRESENCE);
        let state = if terminated {
            "terminated;reason=timeout".to_owned()
        } else {
            let left = watcher.expires_at.saturating_duration_since(now).as_secs();
            format!("active;expires={left}")
        };
        request.headers.push("Subscription-State", state);
        request.headers.push("Content-Type", "application/pidf+xml");
        let entity = self.config.local_uri.trim_matches(['<', '>']).to_owned();
        request.body = pidf(&entity, self.presence.0, &self.presence.1).into_bytes();
        let remote = watcher.remote;
        self.watchers.insert(handle, watcher);
        self.send_request(now, remote, request, Purpose::Fire, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidf_round_trips_and_escapes() {
        let body = pidf("sip:a&b@example.org", true, "in a <meeting>");
        assert!(body.contains("entity=\"sip:a&amp;b@example.org\""));
        assert!(body.contains("<note>in a &lt;meeting&gt;</note>"));
        assert_eq!(pidf_open(&body), Some(true));
        assert_eq!(pidf_open(&pidf("sip:x@y", false, "")), Some(false));
        let two = "<tuple><status><basic>closed</basic></status></tuple>\
                   <tuple><status><basic>open</basic></status></tuple>";
        assert_eq!(pidf_open(two), Some(true));
        assert_eq!(pidf_open("garbage"), None);
    }

    #[test]
    fn message_summaries_give_counts() {
        let body = "Messages-Waiting: yes\r\nMessage-Account: sip:alice@example.org\r\nVoice-Message: 2/8 (0/2)\r\n";
        assert_eq!(voice_messages(body), Some((2, 8)));
        assert_eq!(voice_messages("Messages-Waiting: no\r\n"), Some((0, 0)));
        assert_eq!(voice_messages("Messages-Waiting: yes\r\n"), Some((1, 0)));
        assert_eq!(voice_messages("Voice-Message: x/y\r\n"), None);
        assert_eq!(voice_messages(""), None);
    }
}
