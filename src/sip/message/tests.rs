use super::*;
use crate::sip::header::{CSeq, NameAddr, Via};

/// Joins lines with CRLF, as on the wire.
fn wire(lines: &[&str]) -> Vec<u8> {
    lines.join("\r\n").into_bytes()
}

/// An INVITE written to stress the lenient parts of the grammar: compact and odd-cased
/// names, whitespace before colons, folded values, a Via list, escapes in quoted strings,
/// an unknown header and a body.
fn tortuous_invite() -> Vec<u8> {
    let body = "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let mut message = wire(&[
        "INVITE sip:carol@chicago.example.com;transport=udp SIP/2.0",
        "v: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK-first , SIP/2.0/TCP proxy.example.com;branch=z9hG4bK-second",
        "VIA   :   SIP/2.0/UDP [2001:db8::1]:5062 ;branch=z9hG4bK-third;rport",
        "TO: \"Carol \\\"CC\\\" Chicago\" <sip:carol@chicago.example.com>",
        "f: Alice <sip:alice@atlanta.example.com>",
        "  ;tag=9fxced76sl",
        "i: 3848276298220188511@atlanta.example.com",
        "cSeQ:\t  2 INVITE",
        "Max-Forwards: 70",
        "m: \"Alice, at work\" <sip:alice@192.0.2.5>;expires=60, <sip:alice@[2001:db8::1]>",
        "X-Unknown-Header: some, list, of things",
        "c: application/sdp",
        &format!("l: {}", body.len()),
        "",
        "",
    ]);
    message.extend_from_slice(body.as_bytes());
    message
}

#[test]
fn tortuous_invite_parses_with_every_leniency() {
    let message = SipMessage::parse(&tortuous_invite()).unwrap();
    assert_eq!(
        message.start,
        StartLine::Request {
            method: Method::Invite,
            uri: "sip:carol@chicago.example.com;transport=udp".into()
        }
    );
    message.check_mandatory().unwrap();
    let vias: Vec<Via> = message
        .headers
        .values("Via")
        .iter()
        .map(|v| Via::parse(v).unwrap())
        .collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("z9hG4bK-first"));
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].host, "[2001:db8::1]");
    let to = NameAddr::parse(message.headers.get("to").unwrap()).unwrap();
    assert_eq!(to.display.as_deref(), Some("Carol \"CC\" Chicago"));
    let from = NameAddr::parse(message.headers.get("From").unwrap()).unwrap();
    assert_eq!(
        from.tag(),
        Some("9fxced76sl"),
        "folded parameter joins the value"
    );
    assert_eq!(
        message.headers.get("Call-ID"),
        Some("3848276298220188511@atlanta.example.com")
    );
    assert_eq!(
        CSeq::parse(message.headers.get("CSeq").unwrap())
            .unwrap()
            .seq,
        2
    );
    let contacts = message.headers.values("Contact");
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert_eq!(
        NameAddr::parse(&contacts[0]).unwrap().display.as_deref(),
        Some("Alice, at work")
    );
    assert_eq!(
        message.headers.values("X-Unknown-Header"),
        vec!["some", "list", "of things"]
    );
    assert!(message.body.starts_with(b"v=0\r\n"));
    assert!(message.body.ends_with(b"RTP/AVP 0\r\n"));
}

#[test]
fn printing_then_parsing_gives_the_same_message() {
    let message = SipMessage::parse(&tortuous_invite()).unwrap();
    let again = SipMessage::parse(&message.to_bytes()).unwrap();
    assert_eq!(again.start, message.start);
    assert_eq!(again.body, message.body);
    let names = |m: &SipMessage| {
        m.headers
            .0
            .iter()
            .map(|h| (h.name.to_string(), h.value.clone()))
            .collect::<Vec<_>>()
    };
    let without_length = |m: &SipMessage| {
        names(m)
            .into_iter()
            .filter(|(n, _)| n != "Content-Length")
            .collect::<Vec<_>>()
    };
    assert_eq!(without_length(&again), without_length(&message));
    assert!(String::from_utf8_lossy(&message.to_bytes()).contains("\r\nCall-ID: 3848"));
}

#[test]
fn responses_keep_reason_phrases_with_spaces() {
    let message = SipMessage::parse(&wire(&[
        "SIP/2.0 183 Session Progress, really",
        "Via: SIP/2.0/UDP host;branch=z9hG4bKx",
        "Content-Length: 0",
        "",
        "",
    ]))
    .unwrap();
    assert_eq!(
        message.start,
        StartLine::Response {
            code: 183,
            reason: "Session Progress, really".into()
        }
    );
    let empty_reason = SipMessage::parse(b"SIP/2.0 200 \r\nContent-Length: 0\r\n\r\n").unwrap();
    assert!(matches!(
        empty_reason.start,
        StartLine::Response { code: 200, .. }
    ));
}

#[test]
fn datagram_body_follows_content_length() {
    let base = [
        "MESSAGE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP h;branch=z9hG4bKm",
    ];
    let longer = [
        &base[..],
        &["Content-Length: 5", "", "hello, and trailing junk"],
    ]
    .concat();
    assert_eq!(SipMessage::parse(&wire(&longer)).unwrap().body, b"hello");
    let missing = [&base[..], &["", "whole rest"]].concat();
    assert_eq!(
        SipMessage::parse(&wire(&missing)).unwrap().body,
        b"whole rest"
    );
    let short = [&base[..], &["Content-Length: 50", "", "short"]].concat();
    assert_eq!(
        SipMessage::parse(&wire(&short)).unwrap_err(),
        ParseError::BodyTruncated {
            declared: 50,
            present: 5
        }
    );
}

#[test]
fn stream_framing_splits_messages_and_waits_for_more() {
    let one = wire(&[
        "OPTIONS sip:a@b.example SIP/2.0",
        "Content-Length: 3",
        "",
        "abc",
    ]);
    let two = wire(&["SIP/2.0 200 OK", "l: 0", "", ""]);
    let mut buffer = b"\r\n\r\n".to_vec(); // keep-alives first
    buffer.extend_from_slice(&one);
    buffer.extend_from_slice(&two);
    let (first, used) = SipMessage::parse_stream(&buffer).unwrap().unwrap();
    assert_eq!(first.body, b"abc");
    let (second, used_two) = SipMessage::parse_stream(&buffer[used..]).unwrap().unwrap();
    assert!(matches!(
        second.start,
        StartLine::Response { code: 200, .. }
    ));
    assert_eq!(used + used_two, buffer.len());
    for cut in [10, one.len() - 1] {
        assert_eq!(
            SipMessage::parse_stream(&one[..cut]).unwrap(),
            None,
            "cut at {cut}"
        );
    }
    let no_length = wire(&["OPTIONS sip:a@b.example SIP/2.0", "", ""]);
    assert!(matches!(
        SipMessage::parse_stream(&no_length),
        Err(ParseError::BadHeader { .. })
    ));
}

#[test]
fn malformed_messages_get_the_response_code_rfc_3261_asks_for() {
    let cases: &[(&[&str], u16)] = &[
        (&["INVITE sip:a@b.example SIP/2.0 extra", "", ""], 400),
        (&["INVITE  sip:a@b.example SIP/2.0", "", ""], 400),
        (&["INV ITE sip:a@b.example SIP/2.0", "", ""], 400),
        (&["INVITE sip:a@b.example SIP/7.0", "", ""], 505),
        (&["SIP/3.0 200 OK", "", ""], 505),
        (&["SIP/2.0 99 Too Low", "", ""], 400),
        (&["SIP/2.0 2000 OK", "", ""], 400),
        (&["INVITE noscheme SIP/2.0", "", ""], 400),
        (&["INVITE sip:a@b.example:99999 SIP/2.0", "", ""], 400),
        (
            &["OPTIONS sip:a@b.example SIP/2.0", "No colon here", "", ""],
            400,
        ),
        (
            &["OPTIONS sip:a@b.example SIP/2.0", "Bad Name: x", "", ""],
            400,
        ),
        (
            &[
                "OPTIONS sip:a@b.example SIP/2.0",
                "Content-Length: -1",
                "",
                "",
            ],
            400,
        ),
        (
            &[
                "OPTIONS sip:a@b.example SIP/2.0",
                "Content-Length: 0",
                "l: 0",
                "",
                "",
            ],
            400,
        ),
        (
            &[
                "OPTIONS sip:a@b.example SIP/2.0",
                " folded-without-header",
                "",
                "",
            ],
            400,
        ),
        (&["OPTIONS sip:a@b.example SIP/2.0"], 400),
    ];
    for (lines, code) in cases {
        let err = SipMessage::parse(&wire(lines)).unwrap_err();
        assert_eq!(err.status_code(), *code, "{lines:?}: {err}");
        assert!(!err.reason().is_empty());
        assert!(!err.reason().contains(['\r', '\n']));
    }
}

#[test]
fn missing_or_inconsistent_mandatory_headers_are_reported() {
    let complete = [
        "BYE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP h;branch=z9hG4bKb",
        "To: <sip:bob@example.com>;tag=b",
        "From: <sip:alice@example.com>;tag=a",
        "Call-ID: c1",
        "CSeq: 3 BYE",
        "",
        "",
    ];
    SipMessage::parse(&wire(&complete))
        .unwrap()
        .check_mandatory()
        .unwrap();
    let without_call_id: Vec<&str> = complete
        .iter()
        .copied()
        .filter(|l| !l.starts_with("Call-ID"))
        .collect();
    let err = SipMessage::parse(&wire(&without_call_id))
        .unwrap()
        .check_mandatory()
        .unwrap_err();
    assert!(err.to_string().contains("Call-ID"));
    let mismatched: Vec<&str> = complete
        .iter()
        .map(|l| {
            if l.starts_with("CSeq") {
                "CSeq: 3 INVITE"
            } else {
                l
            }
        })
        .collect();
    assert!(
        SipMessage::parse(&wire(&mismatched))
            .unwrap()
            .check_mandatory()
            .is_err()
    );
}

#[test]
fn sizes_are_bounded() {
    let mut flood = vec!["OPTIONS sip:a@b.example SIP/2.0".to_owned()];
    flood.extend((0..MAX_HEADERS + 1).map(|n| format!("X-H{n}: v")));
    flood.extend([String::new(), String::new()]);
    let flood: Vec<&str> = flood.iter().map(String::as_str).collect();
    assert_eq!(
        SipMessage::parse(&wire(&flood)).unwrap_err(),
        ParseError::TooLarge
    );
    let huge = vec![b'a'; MAX_MESSAGE_LEN + 1];
    assert_eq!(SipMessage::parse(&huge).unwrap_err(), ParseError::TooLarge);
    assert_eq!(
        SipMessage::parse_stream(&huge).unwrap_err(),
        ParseError::TooLarge
    );
    let big_body = wire(&[
        "OPTIONS sip:a@b.example SIP/2.0",
        "Content-Length: 999999999",
        "",
        "",
    ]);
    assert_eq!(
        SipMessage::parse_stream(&big_body).unwrap_err(),
        ParseError::TooLarge
    );
}

#[test]
fn unsplittable_headers_stay_whole() {
    let message = SipMessage::parse(&wire(&[
        "SIP/2.0 401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"atlanta.example.com\", qop=\"auth\", nonce=\"84f1c1ae\", algorithm=MD5",
        "",
        "",
    ]))
    .unwrap();
    assert_eq!(message.headers.values("WWW-Authenticate").len(), 1);
}

#[test]
fn header_editing_keeps_order_and_canonical_names() {
    let mut headers = Headers::default();
    headers.push("v", "SIP/2.0/UDP a;branch=z9hG4bK1");
    headers.push("call-id", "x");
    headers.push("Via", "SIP/2.0/UDP b;branch=z9hG4bK2");
    headers.set("i", "y");
    assert_eq!(headers.0[1].name, "Call-ID");
    assert_eq!(headers.get("Call-ID"), Some("y"));
    headers.remove("VIA");
    assert_eq!(headers.0.len(), 1);
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let _ = SipMessage::parse(&bytes);
        let _ = SipMessage::parse_stream(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_sip_like_text(
        lines in proptest::collection::vec("[A-Za-z: ;,<>\"\\\\=@./0-9\t-]{0,40}", 0..12),
        body in "[ -~]{0,40}",
    ) {
        let mut text = String::from("INVITE sip:a@b.example SIP/2.0\r\n");
        for line in &lines {
            text.push_str(line);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
        text.push_str(&body);
        if let Ok(message) = SipMessage::parse(text.as_bytes()) {
            let _ = message.check_mandatory();
            let reparsed = SipMessage::parse(&message.to_bytes()).unwrap();
            proptest::prop_assert_eq!(reparsed.body, message.body);
        }
    }
}

#[test]
fn every_known_header_name_and_compact_form_is_found_in_any_case() {
    use super::{KNOWN_NAMES, canonical_name};
    for (canonical, compact) in KNOWN_NAMES {
        for spelling in [
            canonical.to_string(),
            canonical.to_ascii_lowercase(),
            canonical.to_ascii_uppercase(),
        ] {
            assert_eq!(canonical_name(&spelling), *canonical, "{spelling}");
        }
        if let Some(short) = compact {
            assert_eq!(canonical_name(short), *canonical);
            assert_eq!(canonical_name(&short.to_ascii_uppercase()), *canonical);
        }
    }
    for unknown in ["X-Ringlet", "Vias", "q", "", "Tó", "To-"] {
        assert_eq!(canonical_name(unknown), unknown);
    }
}

#[test]
fn control_characters_are_found_by_the_byte_scan_as_by_the_char_scan() {
    use super::has_stray_control;
    for (value, stray) in [
        ("plain value", false),
        ("tab\there", false),
        ("nul\0here", true),
        ("del\u{7f}", true),
        ("next line \u{85} (C1)", true),
        ("escaped \\\u{85} (C1)", false),
        ("escaped \\\u{1} (C0)", false),
        ("no-break\u{a0}space", false),
        ("é, ü and 中文", false),
        ("\u{9f}", true),
    ] {
        assert_eq!(has_stray_control(value), stray, "{value:?}");
    }
}

#[test]
fn the_first_value_of_a_list_is_what_values_gives_first() {
    let message = SipMessage::parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: , SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/UDP b\r\n\
          Via: SIP/2.0/UDP c\r\nContact: \"x, y\" <sip:x@y;a=1,2>, <sip:z@w>\r\n\
          User-Agent: one, two\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    for name in ["Via", "Contact", "User-Agent", "Route"] {
        let values = message.headers.values(name);
        assert_eq!(
            message.headers.first_value(name),
            values.first().map(String::as_str),
            "{name}"
        );
    }
    assert_eq!(
        message.headers.values("Via"),
        [
            "SIP/2.0/UDP a;branch=z9hG4bK1",
            "SIP/2.0/UDP b",
            "SIP/2.0/UDP c"
        ]
    );
    assert_eq!(message.headers.first_value("User-Agent"), Some("one, two"));
}
