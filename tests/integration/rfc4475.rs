//! The SIP torture messages of RFC 4475 (§3), as fixtures in `tests/fixtures/rfc4475/`,
//! each fed to Ringlet's user agent the way a datagram from the network would be, with
//! the behaviour the RFC expects of an endpoint: accepted and handled, answered with an
//! error status, or (responses) dropped. Nothing may panic.

use std::net::SocketAddr;
use std::time::Instant;

use ringlet::sip::ua::{UaConfig, UaEvent, UaOutput, UserAgent};

/// What the RFC expects the UA to do with a message.
#[derive(Debug)]
enum Expect {
    /// A response whose status line starts with this.
    Status(&'static str),
    /// A well-formed INVITE: it rings.
    Rings,
    /// A response to no request of ours: silently dropped, nothing sent.
    Dropped,
}

const CASES: &[(&str, &str, Expect)] = &[
    // §3.1.1 valid messages.
    // Well-formed, but its To tag names a dialog this UA does not have (§12.2.2).
    ("3.1.1.1", "wsinv", Expect::Status("SIP/2.0 481")),
    ("3.1.1.2", "intmeth", Expect::Status("SIP/2.0 501")),
    ("3.1.1.3", "esc01", Expect::Rings),
    ("3.1.1.4", "escnull", Expect::Status("SIP/2.0 405")),
    ("3.1.1.5", "esc02", Expect::Status("SIP/2.0 501")),
    ("3.1.1.6", "lwsdisp", Expect::Status("SIP/2.0 200")),
    ("3.1.1.7", "longreq", Expect::Rings),
    ("3.1.1.8", "dblreq", Expect::Status("SIP/2.0 405")),
    ("3.1.1.9", "semiuri", Expect::Status("SIP/2.0 200")),
    ("3.1.1.10", "transports", Expect::Status("SIP/2.0 200")),
    ("3.1.1.11", "mpart01", Expect::Status("SIP/2.0 415")),
    ("3.1.1.12", "unreason", Expect::Dropped),
    ("3.1.1.13", "noreason", Expect::Dropped),
    // §3.1.2 invalid messages.
    ("3.1.2.1", "badinv01", Expect::Status("SIP/2.0 400")),
    ("3.1.2.2", "clerr", Expect::Status("SIP/2.0 400")),
    ("3.1.2.3", "ncl", Expect::Status("SIP/2.0 400")),
    ("3.1.2.4", "scalar02", Expect::Status("SIP/2.0 400")),
    ("3.1.2.5", "scalarlg", Expect::Dropped),
    ("3.1.2.6", "quotbal", Expect::Status("SIP/2.0 400")),
    ("3.1.2.7", "ltgtruri", Expect::Status("SIP/2.0 400")),
    ("3.1.2.8", "lwsruri", Expect::Status("SIP/2.0 400")),
    ("3.1.2.9", "lwsstart", Expect::Status("SIP/2.0 400")),
    ("3.1.2.10", "trws", Expect::Status("SIP/2.0 400")),
    ("3.1.2.11", "escruri", Expect::Status("SIP/2.0 400")),
    ("3.1.2.12", "baddate", Expect::Rings),
    ("3.1.2.13", "regbadct", Expect::Status("SIP/2.0 400")),
    ("3.1.2.14", "badaspec", Expect::Status("SIP/2.0 400")),
    ("3.1.2.15", "baddn", Expect::Status("SIP/2.0 400")),
    ("3.1.2.16", "badvers", Expect::Status("SIP/2.0 505")),
    ("3.1.2.17", "mismatch01", Expect::Status("SIP/2.0 400")),
    ("3.1.2.18", "mismatch02", Expect::Status("SIP/2.0 400")),
    ("3.1.2.19", "bigcode", Expect::Dropped),
    // §3.2 transaction layer semantics.
    ("3.2.1", "badbranch", Expect::Status("SIP/2.0 200")),
    // §3.3 application layer semantics.
    ("3.3.1", "insuf", Expect::Status("SIP/2.0 400")),
    ("3.3.2", "unkscm", Expect::Status("SIP/2.0 416")),
    ("3.3.3", "novelsc", Expect::Status("SIP/2.0 416")),
    ("3.3.4", "unksm2", Expect::Status("SIP/2.0 405")),
    ("3.3.5", "bext01", Expect::Status("SIP/2.0 420")),
    ("3.3.6", "invut", Expect::Status("SIP/2.0 415")),
    ("3.3.7", "regaut01", Expect::Status("SIP/2.0 405")),
    ("3.3.8", "multi01", Expect::Status("SIP/2.0 400")),
    ("3.3.9", "mcl01", Expect::Status("SIP/2.0 400")),
    ("3.3.10", "bcast", Expect::Dropped),
    ("3.3.11", "zeromf", Expect::Status("SIP/2.0 200")),
    ("3.3.12", "cparam01", Expect::Status("SIP/2.0 405")),
    ("3.3.13", "cparam02", Expect::Status("SIP/2.0 405")),
    ("3.3.14", "regescrt", Expect::Status("SIP/2.0 405")),
    ("3.3.15", "sdp01", Expect::Status("SIP/2.0 406")),
    // §3.4 backward compatibility: an RFC 2543 INVITE (no magic cookie) is handled.
    ("3.4.1", "inv2543", Expect::Rings),
];

#[expect(
    clippy::disallowed_methods,
    reason = "the test needs one real instant to start its clock"
)]
fn now() -> Instant {
    Instant::now()
}

/// What the UA did with `bytes`: the status lines it sent, and whether a call rang.
fn feed(bytes: &[u8]) -> (Vec<String>, bool) {
    let mut ua = UserAgent::new(
        UaConfig {
            local_uri: "<sip:user@example.com>".into(),
            contact: "sip:user@127.0.0.1:5060".into(),
            via_sent_by: "UDP 127.0.0.1:5060".into(),
            user_agent: "Ringlet torture test".into(),
            credentials: None,
        },
        4475,
    );
    let from: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    ua.handle_datagram(now(), from, bytes);
    let (mut sent, mut rang) = (Vec::new(), false);
    while let Some(output) = ua.poll_output() {
        match output {
            UaOutput::Transmit { bytes, .. } => {
                let text = String::from_utf8_lossy(&bytes);
                sent.push(text.lines().next().unwrap_or_default().to_owned());
            }
            UaOutput::Event(UaEvent::IncomingCall { .. }) => rang = true,
            UaOutput::Event(_) => {}
        }
    }
    (sent, rang)
}

#[test]
fn every_torture_message_gets_the_behaviour_rfc_4475_expects() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rfc4475");
    let mut wrong = Vec::new();
    for (section, name, expect) in CASES {
        let bytes = std::fs::read(format!("{dir}/{name}.dat")).unwrap();
        let (sent, rang) = feed(&bytes);
        let ok = match expect {
            Expect::Rings => rang && sent.iter().any(|line| line.starts_with("SIP/2.0 180")),
            // An INVITE's server transaction says 100 Trying first (§17.2.1).
            Expect::Status(prefix) => {
                let final_line = sent.iter().find(|line| !line.starts_with("SIP/2.0 100"));
                !rang && final_line.is_some_and(|line| line.starts_with(prefix))
            }
            Expect::Dropped => sent.is_empty() && !rang,
        };
        if !ok {
            wrong.push(format!(
                "§{section} {name}: expected {expect:?}, sent {sent:?}, rang {rang}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        CASES.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_fixture_is_covered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rfc4475");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".dat")
                .to_owned()
        })
        .collect();
    files.sort();
    let mut named: Vec<String> = CASES
        .iter()
        .map(|(_, name, _)| (*name).to_owned())
        .collect();
    named.sort();
    assert_eq!(files, named);
}
