//! SDP inside the core: offers and answers for a call in its hold state, reading the
//! peer's answer, and the media parameters an agreement settles.

use std::net::SocketAddr;

use rand::RngCore as _;

use super::{Output, SessionCore};
use crate::media::stream::{SrtpKeys, StreamParams};
use crate::model::{CallId, DtmfMode};
use crate::sdp::{self, Direction, LocalMedia, Negotiated, SessionDescription};

impl SessionCore {
    fn local_media<'a>(
        &'a self,
        key: &'a str,
        direction: Direction,
        version: u64,
        port: u16,
    ) -> LocalMedia<'a> {
        LocalMedia {
            address: "",
            port,
            codecs: &self.config.codecs,
            direction,
            srtp: self.config.srtp,
            srtp_key: key,
            session: (u64::from(self.config.local.port()), version),
        }
    }

    /// A fresh SRTP master key and salt (RFC 4568: 30 bytes for AES_CM), counting up the
    /// call's SDP version; with the direction its hold state asks for and our RTP port.
    fn next_sdp(&mut self, call: CallId) -> (String, Direction, u64, u16) {
        let mut key_bytes = [0u8; 30];
        self.rng.fill_bytes(&mut key_bytes);
        let key = data_encoding::BASE64.encode(&key_bytes);
        let slot = self.calls.entry(call).or_default();
        slot.sdp_version += 1;
        let direction = if slot.held_locally {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        (key, direction, slot.sdp_version, slot.port.unwrap_or(0))
    }

    fn media_address(&self) -> String {
        self.public.unwrap_or(self.config.local).ip().to_string()
    }

    /// Our offer for `call`, remembered until its answer comes.
    pub(super) fn offer(&mut self, call: CallId) -> String {
        let (key, direction, version, port) = self.next_sdp(call);
        let address = self.media_address();
        let mut local = self.local_media(&key, direction, version, port);
        local.address = &address;
        let sdp = sdp::build_offer(&local).to_string();
        if let Some(slot) = self.calls.get_mut(&call) {
            slot.offered = Some((key, direction));
        }
        sdp
    }

    /// Our answer to the peer's offer; it settles the media at once.
    pub(super) fn answer_sdp(&mut self, call: CallId, offer: &str) -> Result<String, MediaError> {
        let offer = SessionDescription::parse(offer)?;
        let (key, direction, version, port) = self.next_sdp(call);
        let address = self.media_address();
        let mut local = self.local_media(&key, direction, version, port);
        local.address = &address;
        let answer = sdp::answer_offer(&offer, &local)?;
        let sdp = answer.sdp.to_string();
        self.start_media(call, &answer.media)?;
        Ok(sdp)
    }

    /// Reads the peer's answer to our last offer and starts the media it settles.
    pub(super) fn read_answer(&mut self, call: CallId, answer: &str) -> Result<(), MediaError> {
        let Some((key, direction)) = self.calls.get(&call).and_then(|slot| slot.offered.clone())
        else {
            return Ok(());
        };
        let local = self.local_media(&key, direction, 0, 0);
        let media = sdp::read_answer(&SessionDescription::parse(answer)?, &local)?;
        self.start_media(call, &media)
    }

    /// Hands agreed media to the driver, which starts or updates the call's stream.
    fn start_media(&mut self, call: CallId, media: &Negotiated) -> Result<(), MediaError> {
        let mut params = stream_params(media, self.config.dtmf)?;
        let Some(slot) = self.calls.get_mut(&call) else {
            return Ok(());
        };
        // Our hold offers sendonly (RFC 3264 §8.4, room for music on hold), but the user's
        // microphone goes silent and the peer is not heard while the call is held.
        if slot.held_locally {
            params.send = false;
            params.receive = false;
        }
        slot.media_started = true;
        self.outputs.push_back(Output::Media { call, params });
        Ok(())
    }
}

/// Why a call's SDP leaves it no media.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum MediaError {
    /// The SDP does not parse.
    #[error(transparent)]
    Sdp(#[from] crate::sdp::SdpError),
    /// Nothing both sides accept.
    #[error(transparent)]
    Negotiation(#[from] crate::sdp::NegotiateError),
    /// The peer's connection address is a name, not an IP address.
    #[error("the peer's media address {0} is not an IP address")]
    BadAddress(String),
}

/// The media thread's parameters for an agreement.
fn stream_params(media: &Negotiated, dtmf: DtmfMode) -> Result<StreamParams, MediaError> {
    let ip: std::net::IpAddr = media
        .remote_address
        .parse()
        .map_err(|_| MediaError::BadAddress(media.remote_address.clone()))?;
    let remote_rtp = SocketAddr::new(ip, media.remote_port);
    let remote_rtcp = match &media.remote_rtcp {
        _ if media.rtcp_mux => remote_rtp,
        // RFC 3605: the port (and address) the peer names for RTCP.
        Some((port, address)) => {
            let ip = address
                .as_deref()
                .and_then(|address| address.parse().ok())
                .unwrap_or(ip);
            SocketAddr::new(ip, *port)
        }
        None => SocketAddr::new(ip, media.remote_port.saturating_add(1)),
    };
    let (send, receive) = match media.direction {
        Direction::SendRecv => (true, true),
        Direction::SendOnly => (true, false),
        Direction::RecvOnly => (false, true),
        Direction::Inactive => (false, false),
    };
    Ok(StreamParams {
        remote_rtp,
        remote_rtcp,
        rtcp_mux: media.rtcp_mux,
        codec: media.codec,
        payload_type: media.payload_type,
        dtmf_payload_type: media.dtmf_payload_type,
        send,
        receive,
        srtp: media
            .srtp
            .as_ref()
            .map(|(suite, remote_key, local_key)| SrtpKeys {
                suite: suite.clone(),
                remote_key: remote_key.clone(),
                local_key: local_key.clone(),
            }),
        dtmf,
        dtx: false,
        stereo: media.stereo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::KNOWN_CODECS;

    fn negotiated(rtcp_mux: bool, remote_rtcp: Option<(u16, Option<String>)>) -> Negotiated {
        Negotiated {
            codec: KNOWN_CODECS[0],
            payload_type: 0,
            dtmf_payload_type: None,
            remote_address: "192.0.2.7".into(),
            remote_port: 4000,
            direction: Direction::SendRecv,
            rtcp_mux,
            remote_rtcp,
            ptime_ms: 20,
            srtp: None,
            stereo: false,
        }
    }

    #[test]
    fn rtcp_goes_where_a_rtcp_says() {
        let to = |media| {
            stream_params(&media, DtmfMode::Rfc4733)
                .unwrap()
                .remote_rtcp
        };
        assert_eq!(to(negotiated(false, None)).to_string(), "192.0.2.7:4001");
        assert_eq!(
            to(negotiated(false, Some((5555, None)))).to_string(),
            "192.0.2.7:5555"
        );
        assert_eq!(
            to(negotiated(false, Some((5555, Some("198.51.100.1".into()))))).to_string(),
            "198.51.100.1:5555"
        );
        assert_eq!(
            to(negotiated(true, Some((5555, None)))).to_string(),
            "192.0.2.7:4000"
        );
    }
}
