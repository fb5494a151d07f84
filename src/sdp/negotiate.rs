//! RFC 3264 offer/answer for one audio stream: codecs, direction, SRTP (SDES), rtcp-mux.
//! Randomness (session ids, SRTP keys) comes in from the caller.

use super::codec::{Codec, TELEPHONE_EVENT};
use super::session::{Attribute, MediaDescription, SessionDescription};
use crate::model::SrtpPolicy;

/// SRTP suites Ringlet accepts, strongest first (RFC 4568 names).
pub const CRYPTO_SUITES: &[&str] = &["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"];

/// Media direction (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    SendRecv,
    /// We send only (we put the other side on hold).
    SendOnly,
    /// We receive only (the other side holds us).
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn of(media: &MediaDescription, session: &SessionDescription) -> Direction {
        let find = |attributes: &[Attribute]| {
            attributes
                .iter()
                .find_map(|attribute| match attribute.name.as_str() {
                    "sendrecv" => Some(Direction::SendRecv),
                    "sendonly" => Some(Direction::SendOnly),
                    "recvonly" => Some(Direction::RecvOnly),
                    "inactive" => Some(Direction::Inactive),
                    _ => None,
                })
        };
        find(&media.attributes)
            .or_else(|| find(&session.attributes))
            .unwrap_or(Direction::SendRecv)
    }

    /// What we may do given what the offer allows and what we want.
    fn answer(offered: Direction, wanted: Direction) -> Direction {
        let (we_may_send, we_may_receive) = match offered {
            Direction::SendRecv => (true, true),
            Direction::SendOnly => (false, true),
            Direction::RecvOnly => (true, false),
            Direction::Inactive => (false, false),
        };
        let (want_send, want_receive) = match wanted {
            Direction::SendRecv => (true, true),
            Direction::SendOnly => (true, false),
            Direction::RecvOnly => (false, true),
            Direction::Inactive => (false, false),
        };
        match (we_may_send && want_send, we_may_receive && want_receive) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }
}

/// Why an offer cannot be answered (answered with 488 Not Acceptable Here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiateError {
    /// No audio stream, or no codec in common.
    #[error("no common audio codec")]
    NoCommonCodec,
    /// SRTP required by one side and refused by the other.
    #[error("SRTP policy mismatch: {0}")]
    SrtpMismatch(&'static str),
    /// The offer has no address for the audio stream.
    #[error("offer has no connection address")]
    NoAddress,
    /// Every audio stream has port 0: the peer refused audio (RFC 3264 §6), as jami-daemon
    /// answers a plain-RTP offer on an SRTP-only account.
    #[error("the peer refused the audio stream")]
    AudioRefused,
}

/// What both sides agreed on for audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec, with the payload type the peer uses for it.
    pub codec: Codec,
    /// Its payload type in this session.
    pub payload_type: u8,
    /// telephone-event payload type, if both support it.
    pub dtmf_payload_type: Option<u8>,
    /// Where to send RTP.
    pub remote_address: String,
    /// Remote RTP port.
    pub remote_port: u16,
    /// Our direction.
    pub direction: Direction,
    /// RTCP on the RTP port (RFC 5761).
    pub rtcp_mux: bool,
    /// Where the peer wants RTCP when not on the RTP port + 1 (`a=rtcp:`, RFC 3605): the
    /// port and, when given, the address.
    pub remote_rtcp: Option<(u16, Option<String>)>,
    /// Packet time in ms (default 20).
    pub ptime_ms: u32,
    /// SRTP: (suite, the peer's inline key, our inline key).
    pub srtp: Option<(String, String, String)>,
    /// The peer would rather receive stereo (Opus `stereo=1`, RFC 7587 §7.1).
    pub stereo: bool,
}

/// An answer and what it settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The SDP to send back.
    pub sdp: SessionDescription,
    /// The audio agreement.
    pub media: Negotiated,
}

/// Local parameters for offers and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia<'a> {
    /// Our RTP address.
    pub address: &'a str,
    /// Our RTP port.
    pub port: u16,
    /// Codecs in our order of preference.
    pub codecs: &'a [Codec],
    /// What we want (SendOnly to hold).
    pub direction: Direction,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Our SRTP master key and salt, base64 (30 bytes for the AES_CM suites).
    pub srtp_key: &'a str,
    /// `o=` session id and version.
    pub session: (u64, u64),
}

/// Builds an offer for one audio stream.
pub fn build_offer(local: &LocalMedia<'_>) -> SessionDescription {
    let mut formats = Vec::new();
    let mut attributes = Vec::new();
    for codec in local.codecs.iter().chain(std::iter::once(&TELEPHONE_EVENT)) {
        let pt = codec.offered_payload_type();
        formats.push(pt.to_string());
        attributes.push(attr("rtpmap", Some(codec.rtpmap(pt))));
        if let Some(fmtp) = codec.fmtp {
            attributes.push(attr("fmtp", Some(format!("{pt} {fmtp}"))));
        }
    }
    let proto = if local.srtp == SrtpPolicy::Mandatory {
        "RTP/SAVP"
    } else {
        "RTP/AVP"
    };
    if local.srtp != SrtpPolicy::Off {
        for (tag, suite) in CRYPTO_SUITES.iter().enumerate() {
            attributes.push(attr(
                "crypto",
                Some(format!("{} {suite} inline:{}", tag + 1, local.srtp_key)),
            ));
        }
    }
    attributes.push(attr("rtcp-mux", None));
    attributes.push(attr("ptime", Some("20".into())));
    attributes.push(attr(local.direction.attribute(), None));
    session(
        local,
        MediaDescription {
            media: "audio".into(),
            port: local.port,
            proto: proto.into(),
            formats,
            connection: None,
            other_lines: Vec::new(),
            attributes,
        },
        Vec::new(),
    )
}

/// The direction of the first active audio stream (`sendonly`/`inactive` from the peer
/// mean it holds the call, RFC 3264 §8.4); `None` without one.
pub fn audio_direction(session: &SessionDescription) -> Option<Direction> {
    let media = session
        .media
        .iter()
        .find(|media| media.media == "audio" && media.port != 0)?;
    Some(Direction::of(media, session))
}

/// Answers an offer (RFC 3264 §6): the first audio stream is accepted with the best codec
/// in our order that the offer has, using the offer's payload types; other streams are
/// refused with port 0.
pub fn answer_offer(
    offer: &SessionDescription,
    local: &LocalMedia<'_>,
) -> Result<Answer, NegotiateError> {
    let (audio_index, media, remote_address) = first_audio(offer)?;

    let offered: Vec<(u8, String, u32, u8)> = media
        .formats
        .iter()
        .filter_map(|format| {
            let pt: u8 = format.parse().ok()?;
            let (name, clock, channels) = media.rtpmap(format).or_else(|| static_mapping(pt))?;
            Some((pt, name, clock, channels))
        })
        .collect();
    let (codec, payload_type) = local
        .codecs
        .iter()
        .find_map(|codec| {
            offered
                .iter()
                .find(|(_, name, clock, channels)| codec.matches(name, *clock, *channels))
                .map(|(pt, ..)| (*codec, *pt))
        })
        .ok_or(NegotiateError::NoCommonCodec)?;
    let dtmf_payload_type = offered
        .iter()
        .find(|(_, name, clock, _)| name.eq_ignore_ascii_case("telephone-event") && *clock == 8_000)
        .map(|(pt, ..)| *pt);

    let secure_profile = media.proto.contains("SAVP");
    let offered_crypto = first_crypto(media);
    let srtp = match (local.srtp, offered_crypto) {
        (SrtpPolicy::Off, _) if secure_profile => {
            return Err(NegotiateError::SrtpMismatch("the offer requires SRTP"));
        }
        (SrtpPolicy::Off, _) => None,
        (SrtpPolicy::Mandatory, None) => {
            return Err(NegotiateError::SrtpMismatch("SRTP is mandatory here"));
        }
        (_, None) if secure_profile => {
            return Err(NegotiateError::SrtpMismatch("no usable crypto suite"));
        }
        (SrtpPolicy::Optional, None) => None,
        (_, Some(crypto)) => Some(crypto),
    };

    let direction = Direction::answer(Direction::of(media, offer), local.direction);
    let rtcp_mux = media.attribute("rtcp-mux").is_some();
    let ptime_ms = media
        .attribute("ptime")
        .flatten()
        .and_then(|ptime| ptime.trim().parse().ok())
        .filter(|ptime| (10..=120).contains(ptime))
        .unwrap_or(20);

    let mut formats = vec![payload_type.to_string()];
    let mut attributes = vec![attr("rtpmap", Some(codec.rtpmap(payload_type)))];
    if let Some(fmtp) = codec.fmtp {
        attributes.push(attr("fmtp", Some(format!("{payload_type} {fmtp}"))));
    }
    if let Some(pt) = dtmf_payload_type {
        formats.push(pt.to_string());
        attributes.push(attr("rtpmap", Some(TELEPHONE_EVENT.rtpmap(pt))));
        attributes.push(attr("fmtp", Some(format!("{pt} 0-16"))));
    }
    if let Some((tag, suite, _)) = &srtp {
        attributes.push(attr(
            "crypto",
            Some(format!("{tag} {suite} inline:{}", local.srtp_key)),
        ));
    }
    if rtcp_mux {
        attributes.push(attr("rtcp-mux", None));
    }
    attributes.push(attr("ptime", Some(ptime_ms.to_string())));
    attributes.push(attr(direction.attribute(), None));
    let accepted = MediaDescription {
        media: "audio".into(),
        port: local.port,
        proto: media.proto.clone(),
        formats,
        connection: None,
        other_lines: Vec::new(),
        attributes,
    };
    // Every offered stream gets a line in the answer, in order; only audio is accepted.
    let refused: Vec<(usize, MediaDescription)> = offer
        .media
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != audio_index)
        .map(|(index, other)| {
            (
                index,
                MediaDescription {
                    media: other.media.clone(),
                    port: 0,
                    proto: other.proto.clone(),
                    formats: other.formats.iter().take(1).cloned().collect(),
                    connection: None,
                    other_lines: Vec::new(),
                    attributes: Vec::new(),
                },
            )
        })
        .collect();
    let mut sdp = session(local, accepted, Vec::new());
    for (index, line) in refused {
        sdp.media.insert(index.min(sdp.media.len()), line);
    }
    Ok(Answer {
        sdp,
        media: Negotiated {
            codec,
            payload_type,
            dtmf_payload_type,
            remote_address,
            remote_port: media.port,
            direction,
            rtcp_mux,
            remote_rtcp: rtcp_attribute(media),
            ptime_ms,
            srtp: srtp.map(|(_, suite, key)| (suite, key, local.srtp_key.to_owned())),
            stereo: wants_stereo(media, &codec, payload_type),
        },
    })
}

/// Reads the answer to our offer (RFC 3264 §7): the first codec of the answer that we
/// offered, telephone-event, where to send, and what we may do given the answer's
/// direction and our own wish. `local` is what the offer was built from.
pub fn read_answer(
    answer: &SessionDescription,
    local: &LocalMedia<'_>,
) -> Result<Negotiated, NegotiateError> {
    let (_, media, remote_address) = first_audio(answer)?;
    let mut dtmf_payload_type = None;
    let mut chosen = None;
    for format in &media.formats {
        let Ok(pt) = format.parse::<u8>() else {
            continue;
        };
        let Some((name, clock, channels)) = media.rtpmap(format).or_else(|| static_mapping(pt))
        else {
            continue;
        };
        if name.eq_ignore_ascii_case("telephone-event") {
            dtmf_payload_type.get_or_insert(pt);
            continue;
        }
        if chosen.is_none()
            && let Some(codec) = local
                .codecs
                .iter()
                .find(|c| c.matches(&name, clock, channels))
        {
            chosen = Some((*codec, pt));
        }
    }
    let (codec, payload_type) = chosen.ok_or(NegotiateError::NoCommonCodec)?;
    let answered_crypto = first_crypto(media).map(|(_, suite, key)| (suite, key));
    let srtp = match (local.srtp, answered_crypto) {
        (SrtpPolicy::Off, _) => None,
        (SrtpPolicy::Mandatory, None) => {
            return Err(NegotiateError::SrtpMismatch("the answer has no SRTP key"));
        }
        (SrtpPolicy::Optional, None) => None,
        (_, Some((suite, key))) => Some((suite, key, local.srtp_key.to_owned())),
    };
    // The answer's direction is the peer's: ours is its mirror, within what we asked for.
    let direction = Direction::answer(Direction::of(media, answer), local.direction);
    let ptime_ms = media
        .attribute("ptime")
        .flatten()
        .and_then(|ptime| ptime.trim().parse().ok())
        .filter(|ptime| (10..=120).contains(ptime))
        .unwrap_or(20);
    Ok(Negotiated {
        codec,
        payload_type,
        dtmf_payload_type,
        remote_address,
        remote_port: media.port,
        direction,
        rtcp_mux: media.attribute("rtcp-mux").is_some(),
        remote_rtcp: rtcp_attribute(media),
        ptime_ms,
        srtp,
        stereo: wants_stereo(media, &codec, payload_type),
    })
}

/// `a=rtcp:PORT [IN IP4 ADDRESS]` (RFC 3605 §2.1); `None` without one or when malformed.
fn rtcp_attribute(media: &MediaDescription) -> Option<(u16, Option<String>)> {
    let value = media.attribute("rtcp").flatten()?;
    let mut parts = value.split_whitespace();
    let port = parts.next()?.parse().ok()?;
    let address = match (parts.next(), parts.next(), parts.next()) {
        (Some("IN"), Some("IP4" | "IP6"), Some(address)) => Some(address.to_owned()),
        _ => None,
    };
    Some((port, address))
}

/// The peer's `stereo=1` for Opus (RFC 7587 §7.1): it prefers to receive stereo. Absent or
/// 0, a sender should send mono.
fn wants_stereo(media: &MediaDescription, codec: &Codec, payload_type: u8) -> bool {
    codec.id == "opus"
        && media.fmtp(&payload_type.to_string()).is_some_and(|params| {
            params.split(';').any(|param| {
                param
                    .split_once('=')
                    .is_some_and(|(name, value)| name.trim() == "stereo" && value.trim() == "1")
            })
        })
}

/// The first active audio stream: its index, description and connection address.
fn first_audio(
    session: &SessionDescription,
) -> Result<(usize, &MediaDescription, String), NegotiateError> {
    let index = session
        .media
        .iter()
        .position(|media| media.media == "audio" && media.port != 0)
        .ok_or_else(|| {
            if session.media.iter().any(|media| media.media == "audio") {
                NegotiateError::AudioRefused
            } else {
                NegotiateError::NoCommonCodec
            }
        })?;
    let media = session
        .media
        .get(index)
        .ok_or(NegotiateError::NoCommonCodec)?;
    let address = session
        .media_address(index)
        .ok_or(NegotiateError::NoAddress)?
        .to_owned();
    Ok((index, media, address))
}

/// The first `a=crypto` line with a suite Ringlet speaks: (tag, suite, inline key).
fn first_crypto(media: &MediaDescription) -> Option<(String, String, String)> {
    media.attributes_named("crypto").find_map(|value| {
        let mut parts = value.split_whitespace();
        let tag = parts.next()?;
        let suite = parts.next()?;
        let key = parts.next()?.strip_prefix("inline:")?.split('|').next()?;
        CRYPTO_SUITES
            .contains(&suite)
            .then(|| (tag.to_owned(), suite.to_owned(), key.to_owned()))
    })
}

/// RFC 3551 static payload types Ringlet knows, for offers without rtpmap lines.
fn static_mapping(pt: u8) -> Option<(String, u32, u8)> {
    super::codec::KNOWN_CODECS
        .iter()
        .find(|codec| codec.static_payload_type == Some(pt))
        .map(|codec| (codec.encoding.to_owned(), codec.clock_rate, codec.channels))
}

fn session(
    local: &LocalMedia<'_>,
    media: MediaDescription,
    other_lines: Vec<String>,
) -> SessionDescription {
    SessionDescription {
        origin_user: "ringlet".into(),
        session_id: local.session.0.to_string(),
        session_version: local.session.1,
        origin_address: local.address.to_owned(),
        name: "ringlet".into(),
        connection: Some(local.address.to_owned()),
        other_lines,
        attributes: Vec::new(),
        media: vec![media],
    }
}

fn attr(name: &str, value: Option<String>) -> Attribute {
    Attribute {
        name: name.to_owned(),
        value,
    }
}

#[cfg(test)]
mod tests;
