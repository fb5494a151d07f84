use super::*;
use crate::sdp::codec::KNOWN_CODECS;

const KEY_A: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
const KEY_B: &str = "PS1uQCVeeCFCanVmcHR3cyEpNHREVkR6U2dmSDl6";

fn codecs(ids: &[&str]) -> Vec<Codec> {
    ids.iter().map(|id| *Codec::by_id(id).unwrap()).collect()
}

fn local<'a>(
    codecs: &'a [Codec],
    direction: Direction,
    srtp: SrtpPolicy,
    key: &'a str,
) -> LocalMedia<'a> {
    LocalMedia {
        address: "192.0.2.20",
        port: 40000,
        codecs,
        direction,
        srtp,
        srtp_key: key,
        session: (42, 1),
    }
}

fn offer(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap()
}

#[test]
fn answerer_picks_its_preferred_codec_with_the_offerers_payload_types() {
    let all = KNOWN_CODECS.to_vec();
    let mut offered = build_offer(&local(&all, Direction::SendRecv, SrtpPolicy::Off, KEY_A));
    // The offerer renumbers its dynamic types; the answer must follow.
    for attribute in &mut offered.media[0].attributes {
        if let Some(value) = &mut attribute.value {
            *value = value.replace("111 ", "120 ");
        }
    }
    offered.media[0].formats = offered.media[0]
        .formats
        .iter()
        .map(|f| if f == "111" { "120".into() } else { f.clone() })
        .collect();
    let mine = codecs(&["pcma", "opus"]);
    let answer = answer_offer(
        &offered,
        &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B),
    )
    .unwrap();
    assert_eq!(answer.media.codec.id, "pcma");
    assert_eq!(answer.media.payload_type, 8);
    let mine = codecs(&["opus", "pcma"]);
    let answer = answer_offer(
        &offered,
        &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B),
    )
    .unwrap();
    assert_eq!(
        (answer.media.codec.id, answer.media.payload_type),
        ("opus", 120)
    );
    assert_eq!(answer.media.dtmf_payload_type, Some(101));
    assert!(answer.media.rtcp_mux);
    assert_eq!(answer.media.remote_port, 40000);
    let printed = answer.sdp.to_string();
    assert!(
        printed.contains("m=audio 40000 RTP/AVP 120 101\r\n"),
        "{printed}"
    );
    assert!(printed.contains("a=rtpmap:120 opus/48000/2\r\n"));
    assert!(printed.contains("a=sendrecv\r\n"));
}

#[test]
fn static_payload_types_need_no_rtpmap() {
    let plain = offer(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0 8 3\r\n",
    );
    let mine = codecs(&["g722", "gsm", "pcmu"]);
    let answer = answer_offer(
        &plain,
        &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B),
    )
    .unwrap();
    assert_eq!(
        (answer.media.codec.id, answer.media.payload_type),
        ("gsm", 3)
    );
    assert_eq!(answer.media.remote_address, "198.51.100.7");
    assert_eq!(answer.media.dtmf_payload_type, None);
    assert_eq!(answer.media.ptime_ms, 20);
}

#[test]
fn hold_directions_follow_rfc_3264() {
    let base = "v=0\r\no=- 1 1 IN IP4 h.example\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n";
    let mine = codecs(&["pcmu"]);
    for (offered, wanted, expected) in [
        ("a=sendonly\r\n", Direction::SendRecv, Direction::RecvOnly),
        ("a=recvonly\r\n", Direction::SendRecv, Direction::SendOnly),
        ("a=inactive\r\n", Direction::SendRecv, Direction::Inactive),
        ("", Direction::SendOnly, Direction::SendOnly),
        ("a=sendonly\r\n", Direction::SendOnly, Direction::Inactive),
    ] {
        let answer = answer_offer(
            &offer(&format!("{base}{offered}")),
            &local(&mine, wanted, SrtpPolicy::Off, KEY_B),
        )
        .unwrap();
        assert_eq!(answer.media.direction, expected, "{offered:?} {wanted:?}");
    }
    let session_level = offer(
        "v=0\r\no=- 1 1 IN IP4 h.example\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\na=sendonly\r\nm=audio 5004 RTP/AVP 0\r\n",
    );
    let answer = answer_offer(
        &session_level,
        &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B),
    )
    .unwrap();
    assert_eq!(answer.media.direction, Direction::RecvOnly);
}

#[test]
fn srtp_policies_meet_offers() {
    let mine = codecs(&["pcmu"]);
    let secure_offer = build_offer(&local(
        &mine,
        Direction::SendRecv,
        SrtpPolicy::Mandatory,
        KEY_A,
    ));
    let optional_offer = build_offer(&local(
        &mine,
        Direction::SendRecv,
        SrtpPolicy::Optional,
        KEY_A,
    ));
    let plain_offer = build_offer(&local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_A));
    assert!(secure_offer.to_string().contains("RTP/SAVP"));
    assert!(optional_offer.to_string().contains("RTP/AVP"));
    assert!(
        optional_offer
            .to_string()
            .contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
    );

    let answer = |offer: &SessionDescription, policy| {
        answer_offer(offer, &local(&mine, Direction::SendRecv, policy, KEY_B))
    };
    assert!(matches!(
        answer(&secure_offer, SrtpPolicy::Off),
        Err(NegotiateError::SrtpMismatch(_))
    ));
    assert!(matches!(
        answer(&plain_offer, SrtpPolicy::Mandatory),
        Err(NegotiateError::SrtpMismatch(_))
    ));
    assert_eq!(
        answer(&plain_offer, SrtpPolicy::Optional)
            .unwrap()
            .media
            .srtp,
        None
    );
    assert_eq!(
        answer(&optional_offer, SrtpPolicy::Off).unwrap().media.srtp,
        None
    );
    let secured = answer(&secure_offer, SrtpPolicy::Optional).unwrap();
    assert_eq!(
        secured.media.srtp,
        Some(("AES_CM_128_HMAC_SHA1_80".into(), KEY_A.into(), KEY_B.into()))
    );
    let printed = secured.sdp.to_string();
    assert!(printed.contains("m=audio 40000 RTP/SAVP 0"), "{printed}");
    assert!(printed.contains(&format!(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B}"
    )));

    let unknown_suite = offer(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 5004 RTP/SAVP 0\r\na=crypto:1 F8_128_HMAC_SHA1_80 inline:abc\r\n",
    );
    assert!(matches!(
        answer(&unknown_suite, SrtpPolicy::Optional),
        Err(NegotiateError::SrtpMismatch(_))
    ));
}

#[test]
fn other_streams_are_refused_in_place() {
    let with_video = offer(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\nm=audio 5004 RTP/AVP 0\r\n",
    );
    let mine = codecs(&["pcmu"]);
    let answer = answer_offer(
        &with_video,
        &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B),
    )
    .unwrap();
    assert_eq!(answer.sdp.media.len(), 2);
    assert_eq!(
        (answer.sdp.media[0].media.as_str(), answer.sdp.media[0].port),
        ("video", 0)
    );
    assert_eq!(
        (answer.sdp.media[1].media.as_str(), answer.sdp.media[1].port),
        ("audio", 40000)
    );
}

#[test]
fn unanswerable_offers_say_why() {
    let mine = codecs(&["opus"]);
    let no_common = offer(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n",
    );
    assert_eq!(
        answer_offer(
            &no_common,
            &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B)
        ),
        Err(NegotiateError::NoCommonCodec)
    );
    let no_address = offer(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n",
    );
    assert_eq!(
        answer_offer(
            &no_address,
            &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B)
        ),
        Err(NegotiateError::NoAddress)
    );
    let video_only = offer(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\n",
    );
    assert_eq!(
        answer_offer(
            &video_only,
            &local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B)
        ),
        Err(NegotiateError::NoCommonCodec)
    );
}

#[test]
fn the_offerer_reads_the_answer_both_ways_round() {
    let ours = codecs(&["opus", "pcmu"]);
    let offerer = local(&ours, Direction::SendRecv, SrtpPolicy::Optional, KEY_A);
    let offered = build_offer(&offerer);
    let theirs = codecs(&["pcmu"]);
    let answerer = local(&theirs, Direction::SendOnly, SrtpPolicy::Optional, KEY_B);
    let answer = answer_offer(&offered, &answerer).unwrap();
    let read = read_answer(&answer.sdp, &offerer).unwrap();
    assert_eq!(read.codec.id, "pcmu");
    assert_eq!(read.payload_type, 0);
    assert_eq!(read.dtmf_payload_type, Some(101));
    assert_eq!(
        (read.remote_address.as_str(), read.remote_port),
        ("192.0.2.20", 40000)
    );
    // The answerer holds us (sendonly): we only receive.
    assert_eq!(read.direction, Direction::RecvOnly);
    let (suite, remote_key, local_key) = read.srtp.unwrap();
    assert_eq!(
        (suite.as_str(), remote_key.as_str(), local_key.as_str()),
        ("AES_CM_128_HMAC_SHA1_80", KEY_B, KEY_A)
    );

    let mandatory = local(&ours, Direction::SendRecv, SrtpPolicy::Mandatory, KEY_A);
    let unencrypted = offer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n",
    );
    assert!(matches!(
        read_answer(&unencrypted, &mandatory),
        Err(NegotiateError::SrtpMismatch(_))
    ));
    let nothing_in_common = offer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 18\r\n",
    );
    assert_eq!(
        read_answer(&nothing_in_common, &offerer),
        Err(NegotiateError::NoCommonCodec)
    );
}

#[test]
fn opus_stereo_is_sent_only_to_a_peer_that_asks_for_it() {
    let opus_offer = |fmtp: &str| {
        offer(&format!(
            "v=0\r\no=b 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
             m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 {fmtp}\r\n"
        ))
    };
    let mine = codecs(&["opus", "pcmu"]);
    let local = local(&mine, Direction::SendRecv, SrtpPolicy::Off, KEY_B);
    for (fmtp, stereo) in [
        ("stereo=1;sprop-stereo=1", true),
        ("useinbandfec=1; stereo=1", true),
        ("stereo=0;sprop-stereo=1", false),
        ("sprop-stereo=1", false),
        ("maxstereo=1", false),
    ] {
        let answer = answer_offer(&opus_offer(fmtp), &local).unwrap();
        assert_eq!(answer.media.stereo, stereo, "offer {fmtp}");
        // The same fmtp in an answer to our offer.
        assert_eq!(
            read_answer(&opus_offer(fmtp), &local).unwrap().stereo,
            stereo,
            "answer {fmtp}"
        );
    }
    // Our own offer says we may send stereo and asks for mono.
    let ours = build_offer(&local).to_string();
    assert!(
        ours.contains("a=fmtp:111 useinbandfec=1;sprop-stereo=1\r\n"),
        "{ours}"
    );
}

#[test]
fn an_answer_with_every_audio_stream_at_port_0_says_the_peer_refused_audio() {
    let ours = codecs(&["opus", "pcmu"]);
    let offerer = local(&ours, Direction::SendRecv, SrtpPolicy::Off, KEY_A);
    // What jami-daemon answers to a plain-RTP offer on its SRTP-only account.
    let refused = offer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 0 RTP/AVP 0 101\r\n",
    );
    let error = read_answer(&refused, &offerer).unwrap_err();
    assert_eq!(error, NegotiateError::AudioRefused);
    assert_eq!(error.to_string(), "the peer refused the audio stream");
}

#[test]
fn an_rtcp_attribute_names_where_rtcp_goes() {
    let ours = codecs(&["pcmu"]);
    let offerer = local(&ours, Direction::SendRecv, SrtpPolicy::Off, KEY_A);
    let answer = offer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtcp:53020 IN IP4 198.51.100.3\r\n",
    );
    let read = read_answer(&answer, &offerer).unwrap();
    assert_eq!(read.remote_rtcp, Some((53020, Some("198.51.100.3".into()))));
    let offered = offer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtcp:5009\r\n",
    );
    let answered = answer_offer(&offered, &offerer).unwrap();
    assert_eq!(answered.media.remote_rtcp, Some((5009, None)));
}
